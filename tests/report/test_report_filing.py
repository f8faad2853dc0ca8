"""A report that can be filed as a DPIA annex (issue 15, part 3): the context block and the
residual risk on the first screen, defenses with every parameter, the glossary of attacks,
the regulators' checklist, the first figure right after the summary, and the PDF.

Every expected number is recomputed here from the assessment's own tables, independently of
the report's code, so that a sentence that disagrees with its numbers fails.
"""

import hashlib
import importlib.util
import html
import os
import re
import shutil
import unicodedata
import zlib

import joblib
import numpy as np
import pandas as pd
import pytest
from conftest import first_screen, hide_matplotlib, html_text, report_section
from sklearn.ensemble import RandomForestClassifier

from tabinvert import Assessment, assess
from tabinvert.cli import main
from tabinvert.defenses import LabelOnly, RoundProbabilities
from tabinvert.evaluation import privacy_utility_frontier
from tabinvert.report import render_html

ROUND_FULL = "RoundProbabilities(decimals=1, step=None, renormalize=False)"
CONTEXT = {
    "purpose": "Loan decisions <b>fast</b>",
    "controller": "Example Bank & Co",
    "assessor": "A. Analyst",
    "model_name": "loans-rf",
    "model_version": "1.2.0",
    "data_sources": ["loans 2024 extract", "census 2021"],
    "ticket": "DPIA-42",
}
THRESHOLDS = ((0.2, "high"), (0.05, "medium"), (0.0, "low"))
RANK = {"none": 0, "low": 1, "medium": 2, "high": 3}
SOURCES = (
    "Opinion 28/2024",
    "Guidance on AI and data protection",
    "Analyser le statut d'un modèle d'IA au regard du RGPD",
)


# ----------------------------------------------------------------------------- reading
def _rows(fragment):
    """Every table row of a fragment as cell texts (header rows left out)."""
    return [
        [html_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", fragment, flags=re.S)
        if "<td" in row
    ]


def _level(advantage, low):
    """The headline's rule, written again: a level only when the lower end is above 0."""
    if not (np.isfinite(low) and low > 0):
        return "none"
    for threshold, level in THRESHOLDS:
        if advantage >= threshold:
            return level
    return "low"


def _best(rows):
    """The level of members' rows: the best simultaneous lower end, as the headline reads it."""
    low = rows["advantage_ci_low_family"].astype(float).fillna(-np.inf)
    best = rows.loc[low.idxmax()]
    return _level(float(best["advantage"]), float(best["advantage_ci_low_family"])), best


def _word(level):
    return "NONE (no measurable risk)" if level == "none" else level.upper()


# ----------------------------------------------------------------------------- fixtures
def _population(n=1200):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "town": rng.integers(0, 8, n),
            "secret": rng.integers(0, 2, n),
        }
    )
    y = (X["age"] > 45) ^ (X["secret"] == 1)
    return X, y


@pytest.fixture(scope="module")
def model_and_data():
    X, y = _population()
    model = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    return model, X, y


@pytest.fixture(scope="module")
def model_file(tmp_path_factory, model_and_data):
    path = tmp_path_factory.mktemp("private-folder") / "loans-model.joblib"
    joblib.dump(model_and_data[0], path)
    return path


def _assess(model_and_data, **options):
    model, X, y = model_and_data
    return assess(
        model,
        X[:600],
        y[:600],
        X_holdout=X[600:],
        y_holdout=y[600:],
        sensitive="secret",
        n_resamples=100,
        random_state=0,
        **options,
    )


def _defense_works(result):
    """The sweep's members' numbers under RoundProbabilities set low (an assessment whose
    defense works: advantage +0.03, its own interval above 0 but its simultaneous one not),
    and the frontier recomputed from the sweep, as assess computes it."""
    sweep = result.defenses.copy()
    rounded = (sweep["defense"] == "RoundProbabilities()") & (sweep["population"] == "members")
    columns = [
        "advantage",
        "advantage_ci_low",
        "advantage_ci_high",
        "advantage_ci_low_family",
        "advantage_ci_high_family",
    ]
    sweep.loc[rounded, columns] = [0.03, 0.01, 0.05, -0.002, 0.062]
    result.defenses = sweep
    result.frontier = privacy_utility_frontier(sweep)
    return result, render_html(result)


@pytest.fixture(scope="module")
def filed(model_and_data, model_file):
    """A real assessment through the API only, with a context and two defenses, one of which
    works (:func:`_defense_works`)."""
    result = _assess(
        model_and_data,
        access="api",
        defenses=[RoundProbabilities(1), LabelOnly()],
        context={**CONTEXT, "model_file": str(model_file)},
    )
    return _defense_works(result)


@pytest.fixture(scope="module")
def both(model_and_data):
    """A real assessment of both accesses (the white-box tree attack reads the forest), whose
    defense works on the attacks that query the model."""
    result = _assess(model_and_data, access="both", defenses=[RoundProbabilities(1)])
    return _defense_works(result)


@pytest.fixture
def no_figures(monkeypatch):
    hide_matplotlib(monkeypatch)


# ----------------------------------------------------------------------------- context
def test_context_block_and_model_file_hash_on_the_first_screen(filed, model_file):
    result, page = filed
    screen = first_screen(page)
    text = html_text(screen)
    for key, value in CONTEXT.items():
        for item in value if isinstance(value, list) else [value]:
            assert html.escape(item) in screen, key
    assert "<b>fast</b>" not in page  # escaped, never markup
    for label in ("Purpose of the model", "Controller", "Assessor", "Model name", "Data sources"):
        assert label in text
    assert "ticket DPIA-42" in text  # an unknown key is kept and shown under its own name
    digest = hashlib.sha256(model_file.read_bytes()).hexdigest()
    assert f"Model file {model_file.name}" in text and f"Model file SHA-256 {digest}" in text
    assert model_file.parent.name not in page  # the file's name, never its folder
    assert result.metadata["context"]["model_file"] == model_file.name
    assert result.metadata["context"]["model_file_sha256"] == digest
    # Kept through JSON: the same block from the file a DPIA would archive.
    again = render_html(Assessment.from_json(result.to_json()))
    assert html_text(first_screen(again)).count(digest) == 1


def test_missing_context_says_how_to_give_it(both):
    _, page = both
    text = html_text(first_screen(page))
    assert "Not given: Purpose of the model, controller, assessor" in text
    assert "--context context.toml" in text


@pytest.mark.parametrize(
    "context, error, words",
    [
        ({"model_version": 2}, TypeError, ["context['model_version'] is int 2", "text"]),
        ({"data_sources": ["a", 3]}, TypeError, ["context['data_sources[1]']", "int 3"]),
        ({"purpose": "  "}, ValueError, ["context['purpose'] is an empty string"]),
        ({"data_sources": []}, ValueError, ["context['data_sources'] is an empty list"]),
        ({1: "x"}, TypeError, ["has the key 1 (int)"]),
        ({"model_file": "/no/such/model.skops"}, ValueError, ["context['model_file']", "read"]),
    ],
)
def test_bad_context_is_refused_naming_the_key(model_and_data, context, error, words):
    model, X, y = model_and_data
    with pytest.raises(error) as caught:
        assess(
            model,
            X[:100],
            y[:100],
            X_holdout=X[100:200],
            y_holdout=y[100:200],
            sensitive="secret",
            context=context,
        )
    for word in words:
        assert word in str(caught.value)


def test_assess_refuses_bad_context_before_querying_the_model(model_and_data):
    class Exploding(RandomForestClassifier):
        def predict_proba(self, X):  # pragma: no cover - must never be reached
            raise AssertionError("the model was queried")

    model, X, y = model_and_data
    exploding = Exploding(5, random_state=0).fit(X[:100], y[:100])
    with pytest.raises(TypeError, match=r"context\['controller'\] is list"):
        assess(
            exploding,
            X[:100],
            y[:100],
            X_holdout=X[100:200],
            y_holdout=y[100:200],
            sensitive="secret",
            context={"controller": ["not", "text"]},
        )
    with pytest.raises(ValueError, match="context"):  # not a dict at all
        assess(
            exploding,
            X[:100],
            y[:100],
            X_holdout=X[100:200],
            y_holdout=y[100:200],
            sensitive="secret",
            context="Example Bank",
        )


# ----------------------------------------------------------------------------- residual risk
def _recommended(page):
    """The defense the recommendations name as lowering the risk most at little cost."""
    advice = report_section(page, "recommendations")
    found = re.search(
        r"lowers it most while losing at most [^<]* is <strong>(.*?)</strong>", advice
    )
    return html.unescape(found.group(1)) if found else None


def test_residual_risk_names_the_recommended_defense_and_its_level(filed):
    result, page = filed
    assert _recommended(page) == ROUND_FULL
    sweep = result.defenses
    members = sweep[
        (sweep["defense"] == "RoundProbabilities()") & (sweep["population"] == "members")
    ]
    level, best = _best(members)
    # +0.03, its own interval above 0 but not its simultaneous one: no measurable risk, as
    # the headline would read it.
    assert level == "none"
    undefended = result.summary.iloc[0]["risk_level"]
    text = html_text(first_screen(page))
    assert "Residual risk" in text
    assert (
        f"secret — undefended: {_word(undefended)} → with {ROUND_FULL}: {_word(level)}" in text
    ), text
    assert f"advantage {float(best['advantage']):+.3f}" in text
    assert "RoundProbabilities()" not in first_screen(page)  # never the bare sweep name


def test_residual_risk_keeps_the_model_file_level_an_output_defense_cannot_lower(both):
    """With model-file access assessed, the white-box tree attack is unchanged by an output
    defense: the residual level is never below its own level."""
    result, page = both
    text = html_text(first_screen(page))
    results = result.results
    white = results[(results["access"] == "model") & (results["population"] == "members")]
    white_level, _ = _best(white)
    sweep = result.defenses
    assert _recommended(page) == ROUND_FULL
    members = sweep[
        (sweep["defense"] == "RoundProbabilities()") & (sweep["population"] == "members")
    ]
    api_level, _ = _best(members)
    residual = max(api_level, white_level, key=RANK.get)
    undefended = result.summary.iloc[0]["risk_level"]
    assert (
        f"secret — undefended: {_word(undefended)} → with {ROUND_FULL}: {_word(residual)}" in text
    )
    assert "an output defense does not change what the file reveals" in text


def test_residual_risk_says_when_no_defense_was_swept(model_and_data):
    result = _assess(model_and_data, access="api")
    text = html_text(first_screen(render_html(result)))
    level = _word(result.summary.iloc[0]["risk_level"])
    assert "No defense was swept" in text
    assert f"The residual risk is the undefended level: secret: {level}." in text


# ----------------------------------------------------------------------------- defenses
def test_defenses_are_shown_with_every_parameter(filed):
    result, page = filed
    assert result.metadata["defenses"] == {
        "RoundProbabilities()": ROUND_FULL,
        "LabelOnly()": "LabelOnly()",
    }
    results = report_section(page, "results")
    start = results.index("Defenses: utility")
    rows = _rows(results[start : results.index("<h3>", start)])  # the utility table
    shown = {row[0] for row in rows}
    assert ROUND_FULL in shown and "LabelOnly()" in shown
    assert ROUND_FULL in html_text(report_section(page, "reproducibility"))
    assert ROUND_FULL in html_text(report_section(page, "recommendations"))
    # The sweep's short name only as the key of the data (the JSON's defense column), next
    # to the full name: nowhere else.
    assert [row[1] for row in rows if row[0] == ROUND_FULL] == ["RoundProbabilities()"]
    assert page.count("RoundProbabilities()") == 1


# ----------------------------------------------------------------------------- glossary
def test_glossary_explains_every_attack_with_a_reference(filed, both):
    for result, page in (filed, both):
        glossary = report_section(page, "glossary")
        rows = {row[0]: row for row in _rows(glossary)}
        names = set(result.results["attack"].astype(str))
        if result.defenses is not None:
            names |= set(result.defenses["attack"].astype(str))
        assert names and names <= set(rows), (names, set(rows))
        for name in names:
            _, words, reference = rows[name]
            assert len(words) > 40 and reference not in ("", "—"), name
    rows = {row[0]: row for row in _rows(report_section(both[1], "glossary"))}
    assert "Mehnaz" in rows["CSMIA"][2] and "Fredrikson" in rows["white-box tree"][2]
    assert "Jayaraman" in rows["imputation"][2]


def test_glossary_says_so_of_an_attack_it_does_not_know(filed):
    result, _ = filed
    data = result.to_dict()
    data["results"]["records"] = [
        [("my attack" if v == "CSMIA" else v) for v in row] for row in data["results"]["records"]
    ]
    rows = {
        r[0]: r for r in _rows(report_section(render_html(Assessment.from_dict(data)), "glossary"))
    }
    assert "not in tabinvert's glossary" in rows["my attack"][1]


# ----------------------------------------------------------------------------- regulators
def _expected_highest(summary, suffix):
    ranked = [(RANK[r[f"risk_level{suffix}"]], r) for _, r in summary.iterrows()]
    top = max(score for score, _ in ranked)
    rows = [r for score, r in ranked if score == top]
    level = rows[0][f"risk_level{suffix}"]
    if level == "none":
        return "no measurable risk on any attribute"
    named = " and ".join(f"'{r['sensitive']}' by {r[f'attack{suffix}']}" for r in rows)
    return f"highest risk {_word(level)} on {named}"


def test_regulatory_checklist_names_its_sources_and_agrees_with_the_numbers(filed):
    result, page = filed
    section = report_section(page, "regulatory")
    text = html_text(section)
    for source in SOURCES:
        assert source in text
    assert "checklist, not legal advice" in text
    rows = _rows(section)
    assert len(rows) == 5 and all(len(row) == 5 for row in rows)
    summary = result.summary
    n = len(summary)
    tested = f"attribute inference tested on {n} attribute{'s' if n != 1 else ''}"
    api = f"API access: {tested}; {_expected_highest(summary, '_api')}"
    assert rows[0][3] == api, rows[0][3]
    assert (
        rows[1][3] == "Model-file access: not assessed (the assessment rated the other access only)"
    )
    headline = f"{tested}; {_expected_highest(summary, '')}"
    sweep = result.defenses
    members = sweep[
        (sweep["defense"] == "RoundProbabilities()") & (sweep["population"] == "members")
    ]
    after, _ = _best(members)
    assert rows[3][3] == (
        f"{headline[:1].upper() + headline[1:]}; recommended defense {ROUND_FULL}; "
        f"'secret': undefended {_word(summary.iloc[0]['risk_level'])} → {_word(after)}"
    )
    assert rows[4][3].endswith(f"; {headline}")
    assert "A. Analyst" in rows[2][3] and result.metadata["created"][:10] in rows[2][3]
    for row in rows:  # what remains the controller's judgement is always said
        assert row[4]


def test_regulatory_memorisation_result_agrees_with_the_gap_table(filed):
    result, page = filed
    gap = result.membership_gap
    members = result.results[result.results["population"] == "members"].set_index("attack")
    shown = [
        r["attack"]
        for _, r in gap.iterrows()
        if r["gap_ci_low"] > 0 and members.loc[r["attack"], "advantage_ci_low"] > 0
    ]
    cell = _rows(report_section(page, "regulatory"))[4][3]
    if shown:
        assert cell.startswith("Memorisation shown by " + shown[0])
    else:
        assert cell.startswith(f"No attack shows memorisation ({len(gap)} attack × attribute")


def test_regulatory_highest_risk_names_every_attribute_at_the_top_level(filed, no_figures):
    """Two attributes at the same highest level are both named; a lower one is not."""
    result, _ = filed
    summary = pd.concat([result.summary] * 3, ignore_index=True)
    summary.loc[1, "sensitive"], summary.loc[2, "sensitive"] = "race", "town"
    summary.loc[2, ["risk_level", "risk_level_api", "attack", "attack_api"]] = [
        "medium",
        "medium",
        "LOMIA",
        "LOMIA",
    ]
    data = result.to_dict()
    data["summary"] = {
        "columns": list(summary.columns),
        "records": summary.astype(object).where(summary.notna(), None).values.tolist(),
    }
    page = render_html(Assessment.from_dict(data))
    cell = _rows(report_section(page, "regulatory"))[0][3]
    top = result.summary.iloc[0]
    assert cell == (
        f"API access: attribute inference tested on 3 attributes; highest risk "
        f"{_word(top['risk_level_api'])} on 'secret' by {top['attack_api']} and 'race' by "
        f"{top['attack_api']}"
    )


# ----------------------------------------------------------------------------- layout
@pytest.mark.skipif(importlib.util.find_spec("matplotlib") is None, reason="plots need matplotlib")
def test_first_figure_comes_right_after_the_summary(filed):
    """The rule: the first image of the page is in the section right after the summary
    (before any table), and the detailed figures keep their own section."""
    _, page = filed
    first_image = page.index("<img")
    summary_end = page.index("</section>", page.index('<section id="summary">'))
    assert summary_end < first_image < page.index("<table")
    glance = report_section(page, "at-a-glance")
    assert page.index('<section id="at-a-glance">') == page.index("<section", summary_end)
    assert len(re.findall(r"<img ", glance)) == 1
    assert "<img" in report_section(page, "figures")


def test_without_matplotlib_the_first_screen_says_how_to_get_the_figure(filed, no_figures):
    result, _ = filed
    glance = report_section(render_html(result), "at-a-glance")
    assert "<img" not in glance and "pip install tabinvert[report]" in glance


# ----------------------------------------------------------------------------- PDF
def _pdf_text(data):
    """The text a PDF printed by Chromium shows: its fonts' ToUnicode maps applied to the
    hex glyph strings of its content streams (enough for Skia's output; not a PDF parser)."""

    def streams():
        for found in re.finditer(rb"(\d+) 0 obj", data):
            end = data.find(b"endobj", found.end())
            segment = data[found.end() : end]
            start = re.search(rb"stream\r?\n", segment)
            if start is None:
                continue
            head, raw = segment[: start.start()], segment[start.end() : segment.rfind(b"endstream")]
            try:
                yield int(found.group(1)), head, zlib.decompress(raw) if b"Flate" in head else raw
            except zlib.error:
                continue

    decoded = list(streams())
    objects = {m: b for m, _, b in decoded}
    for _, head, body in decoded:  # objects packed in object streams
        if b"/ObjStm" in head:
            first = int(re.search(rb"/First (\d+)", head).group(1))
            pairs = list(zip(*[iter(map(int, body[:first].split()))] * 2))
            for i, (number, offset) in enumerate(pairs):
                stop = pairs[i + 1][1] if i + 1 < len(pairs) else len(body) - first
                objects.setdefault(number, body[first + offset : first + stop])
    for found in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S):
        objects.setdefault(int(found.group(1)), found.group(2))
    everything = b"\n".join(objects.values())
    maps = {}
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", everything):
        font = objects.get(int(number), b"")
        unicode = re.search(rb"/ToUnicode (\d+) 0 R", font)
        if unicode is None or name in maps:
            continue
        table = {}
        cmap = objects.get(int(unicode.group(1)), b"")
        for block in re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S):
            for src, dst in re.findall(rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block):
                table[int(src, 16)] = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
        for block in re.findall(rb"beginbfrange(.*?)endbfrange", cmap, re.S):
            for lo, hi, dst in re.findall(
                rb"<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>\s*<([0-9a-fA-F]+)>", block
            ):
                base = bytes.fromhex(dst.decode()).decode("utf-16-be", "replace")
                for k, code in enumerate(range(int(lo, 16), int(hi, 16) + 1)):
                    table[code] = base[:-1] + chr(ord(base[-1]) + k)
        maps[name] = table
    out, font = [], {}
    pattern = rb"/(F\d+) [\d.]+ Tf|\[(.*?)\]\s*TJ|<([0-9a-fA-F]*)>\s*Tj|(ET)"
    for _, _, body in decoded:
        for token in re.finditer(pattern, body, re.S):
            if token.group(1):
                font = maps.get(token.group(1), {})
            elif token.group(4):
                out.append(" ")
            else:
                chunks = (
                    re.findall(rb"<([0-9a-fA-F]*)>", token.group(2))
                    if token.group(2) is not None
                    else [token.group(3)]
                )
                for chunk in chunks:
                    out += [
                        font.get(int(chunk[i : i + 4], 16), "") for i in range(0, len(chunk), 4)
                    ]
    text = unicodedata.normalize("NFKC", "".join(out))
    return re.sub(r"\s+", " ", text)


def find_chromium():
    """The browser Assessment.to_pdf would use (see its docstring): the executable
    TABINVERT_CHROMIUM names, else the first Chromium or Chrome on the PATH; None without
    one."""
    named = os.environ.get("TABINVERT_CHROMIUM")
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return None


def _chromium_or_skip():
    browser = find_chromium()
    if browser is None:
        if os.environ.get("TABINVERT_REQUIRE_CHROMIUM") == "1":
            pytest.fail("TABINVERT_REQUIRE_CHROMIUM=1 but no headless Chromium was found")
        pytest.skip(
            "headless Chromium is not installed (chromium, chromium-browser or google-chrome; "
            "set TABINVERT_REQUIRE_CHROMIUM=1 to make its absence a failure)"
        )
    return browser


def test_pdf_renders_with_the_context_residual_risk_glossary_and_checklist(filed, tmp_path):
    _chromium_or_skip()
    result, _ = filed
    target = tmp_path / "annex" / "report.pdf"
    result.to_pdf(target)
    data = target.read_bytes()
    assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF")
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.pdf"]
    text = _pdf_text(data)
    digest = result.metadata["context"]["model_file_sha256"]
    for expected in (
        "Purpose of the model",
        "Loan decisions <b>fast</b>",
        "Example Bank & Co",
        "loans-rf",
        digest,
        "Residual risk",
        ROUND_FULL,
        "Glossary of attacks",
        "Mehnaz et al.",
        "checklist, not legal advice",
        "Opinion 28/2024",
    ):
        assert expected in text, (expected, text[:2000])


def test_pdf_without_chromium_says_what_to_install_and_writes_nothing(filed, tmp_path, monkeypatch):
    monkeypatch.setenv("TABINVERT_CHROMIUM", str(tmp_path / "no-browser-here"))
    result, _ = filed
    target = tmp_path / "report.pdf"
    with pytest.raises(ValueError, match="apt-get install chromium") as caught:
        result.to_pdf(target)
    assert "--out report.html" in str(caught.value)
    assert not target.exists()


def test_pdf_is_written_atomically_when_the_browser_fails(filed, tmp_path, monkeypatch):
    """A browser that prints something that is not a PDF: the old file stays, nothing else
    is left behind."""
    fake = tmp_path / "fake-chromium"
    fake.write_text(
        '#!/bin/sh\nfor a in "$@"; do case $a in --print-to-pdf=*) '
        'printf "half a file" > "${a#--print-to-pdf=}";; esac; done\nexit 0\n'
    )
    fake.chmod(0o755)
    monkeypatch.setenv("TABINVERT_CHROMIUM", str(fake))
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.pdf"
    target.write_bytes(b"old report")
    result, _ = filed
    with pytest.raises(RuntimeError, match="could not print the PDF"):
        result.to_pdf(target)
    assert target.read_bytes() == b"old report"
    assert [p.name for p in folder.iterdir()] == ["report.pdf"]


# ----------------------------------------------------------------------------- command line
@pytest.fixture(scope="module")
def cli_files(tmp_path_factory, model_and_data):
    sio = pytest.importorskip("skops.io")
    folder = tmp_path_factory.mktemp("cli")
    model, X, y = model_and_data
    data = X.assign(label=y.astype(int))
    data[:600].to_csv(folder / "train.csv", index=False)
    data[600:].to_csv(folder / "holdout.csv", index=False)
    sio.dump(model, folder / "model.skops")
    (folder / "context.toml").write_text(
        'purpose = "Loan decisions"\ncontroller = "Example Bank"\n'
        'data_sources = ["loans 2024 extract"]\n',
        encoding="utf-8",
    )
    return folder


def _cli(folder, *extra):
    return main(
        [
            "assess",
            "--model",
            str(folder / "model.skops"),
            "--train",
            str(folder / "train.csv"),
            "--target",
            "label",
            "--holdout",
            str(folder / "holdout.csv"),
            "--sensitive",
            "secret",
            "--n-resamples",
            "50",
            "--access",
            "api",
            "--quiet",
            *extra,
        ]
    )


def test_cli_context_from_toml_and_key_value_with_the_model_file_hash(cli_files, tmp_path):
    out = tmp_path / "report.html"
    extra = [
        "--context",
        str(cli_files / "context.toml"),
        "--context",
        "assessor=A. Analyst",
        "--context",
        "data_sources=census 2021",
        "--out",
        str(out),
    ]
    pdf = tmp_path / "report.pdf"
    with_pdf = find_chromium() is not None or os.environ.get("TABINVERT_REQUIRE_CHROMIUM") == "1"
    if with_pdf:
        extra += ["--pdf", str(pdf)]
    assert _cli(cli_files, *extra) == 0
    page = out.read_text(encoding="utf-8")
    text = html_text(first_screen(page))
    digest = hashlib.sha256((cli_files / "model.skops").read_bytes()).hexdigest()
    assert "Purpose of the model Loan decisions" in text
    assert "Controller Example Bank" in text and "Assessor A. Analyst" in text
    assert "Data sources loans 2024 extract census 2021" in text
    assert f"Model file model.skops Model file SHA-256 {digest}" in text
    if with_pdf:
        assert pdf.read_bytes().startswith(b"%PDF-")
        assert digest in _pdf_text(pdf.read_bytes())


@pytest.mark.parametrize(
    "files, argv, words",
    [
        ({"bad.toml": "purpose = [unclosed"}, ["--context", "@bad.toml"], ["not valid TOML"]),
        ({"n.toml": "model_version = 2"}, ["--context", "@n.toml"], ["'model_version'", "int 2"]),
        ({"t.toml": "[owner]\nname = 'x'"}, ["--context", "@t.toml"], ["'owner'", "dict"]),
        ({}, ["--context", "@missing.toml"], ["does not exist"]),
        ({}, ["--context", "purpose="], ["gives 'purpose' no value"]),
        ({}, ["--context", "=x"], ["neither KEY=VALUE", "nor a TOML file"]),
        (
            {},
            ["--context", "controller=A", "--context", "controller=B"],
            ["'controller' is given twice"],
        ),
        ({}, ["--context", "model_file=other.skops"], ["is not the --model file"]),
    ],
)
def test_cli_bad_context_exits_2_naming_the_key_and_the_fix(
    cli_files, tmp_path, capsys, files, argv, words
):
    for name, content in files.items():
        (tmp_path / name).write_text(content, encoding="utf-8")
    argv = [str(tmp_path / a[1:]) if a.startswith("@") else a for a in argv]
    out = tmp_path / "report.html"
    assert _cli(cli_files, *argv, "--out", str(out)) == 2
    error = capsys.readouterr().err
    assert error.count("tabinvert: error:") == 1
    for word in words:
        assert word in error, error
    assert not out.exists()


def test_cli_needs_a_report_file_and_chromium_for_pdf(cli_files, tmp_path, capsys, monkeypatch):
    assert _cli(cli_files) == 2
    assert "--out report.html, or --pdf report.pdf" in capsys.readouterr().err
    monkeypatch.setenv("TABINVERT_CHROMIUM", str(tmp_path / "nowhere"))
    pdf = tmp_path / "report.pdf"
    assert _cli(cli_files, "--pdf", str(pdf)) == 2  # refused before the assessment runs
    error = capsys.readouterr().err
    assert "needs headless Chromium" in error and "apt-get install chromium" in error
    assert not pdf.exists()

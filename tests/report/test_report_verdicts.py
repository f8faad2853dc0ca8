"""The report shows the verdicts the assessment now gives, and every sentence it writes about
them agrees with the numbers:

* the first screen (everything before the first table or figure) shows the level per access —
  "API access (probabilities or labels)" and "Model-file access (the model's internals)" —
  each with the attack that decides it, or "not assessed", and which access decides;
* "protect the model file" is advised exactly when the model-file level is above the API
  level, naming the white-box attack that decides it;
* where the level is explained, the simultaneous (family-wise) intervals are shown;
* the tail-risk section's sentence quotes a row of its table, and claims that an attack
  singles people out exactly when that row's interval lies above imputation's precision;
* the data-size section lists the sizes, and the first screen names the size that decides
  when it is not "all";
* an assessment from before these tables and columns still renders, and says they are not
  available.
"""

import importlib.util
import itertools
import re

import numpy as np
import pandas as pd
import pytest
from conftest import (
    first_screen,
    hide_matplotlib,
    html_text,
    report_recommendations,
    report_section,
)

from tabinvert import Assessment
from tabinvert.evaluation import RESULT_COLUMNS
from tabinvert.metrics import tail_risk_table
from tabinvert.report import render_html

SENSITIVE = "secret"
LEVELS = ("none", "low", "medium", "high")
RANK = {level: i for i, level in enumerate(LEVELS)}
NA = "not assessed"
API_LABEL = "API access (probabilities or labels)"
FILE_LABEL = "Model-file access (the model's internals)"
BADGE_WORDS = {"none": "no measurable risk", NA: NA}
#: Advantage and the lower end of its simultaneous interval, per level.
ADVANTAGE = {"none": (0.012, -0.041), "low": (0.031, 0.004), "medium": (0.124, 0.061)}
ADVANTAGE["high"] = (0.312, 0.243)
ACCESS = {"MAP": "outputs", "LOMIA": "labels", "white-box tree": "model"}
#: Members' advantage, own interval and simultaneous interval of each attack.
MEMBERS = {
    "MAP": (0.124, 0.071, 0.180, 0.052, 0.199),
    "LOMIA": (0.031, 0.004, 0.060, -0.011, 0.071),
    "white-box tree": (0.312, 0.262, 0.361, 0.243, 0.380),
}


def _has_matplotlib():
    return importlib.util.find_spec("matplotlib") is not None


# ----------------------------------------------------------------------------- reading
def _table_rows(fragment):
    """(header, rows) of the first table in an HTML fragment, as cell texts."""
    block = fragment[fragment.index("<table") : fragment.index("</table>")]
    header = [html_text(c) for c in re.findall(r"<th[^>]*>(.*?)</th>", block, flags=re.S)]
    rows = [
        [html_text(c) for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", block, flags=re.S)
        if "<td" in row
    ]
    return header, rows


def _words(level):
    return BADGE_WORDS.get(level, f"{level} risk")


# ----------------------------------------------------------------------------- building
def _results(attacks=("MAP", "LOMIA", "white-box tree"), family=True):
    rows = []
    for population in ("members", "non-members"):
        rows.append(
            dict(
                attack="imputation",
                access="none",
                population=population,
                sensitive=SENSITIVE,
                metric="accuracy",
                score=0.70,
                score_ci_low=0.66,
                score_ci_high=0.74,
                baseline_score=0.70,
                n_records=400,
                query_rows=0,
                seconds=0.01,
                notes="",
            )
        )
        for attack in attacks:
            value, low, high, family_low, family_high = MEMBERS[attack]
            shift = 0.0 if population == "members" else 0.02
            rows.append(
                dict(
                    attack=attack,
                    access=ACCESS[attack],
                    population=population,
                    sensitive=SENSITIVE,
                    metric="accuracy",
                    score=0.8,
                    score_ci_low=0.76,
                    score_ci_high=0.84,
                    baseline_score=0.70,
                    advantage=value - shift,
                    advantage_ci_low=low - shift,
                    advantage_ci_high=high - shift,
                    advantage_ci_low_family=family_low - shift,
                    advantage_ci_high_family=family_high - shift,
                    n_records=400,
                    query_rows=400,
                    seconds=0.1,
                    notes="",
                )
            )
    frame = pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)
    if not family:
        frame = frame.drop(columns=["advantage_ci_low_family", "advantage_ci_high_family"])
    return frame


def _verdict(level, attack):
    if level == NA:
        return dict(level=NA, attack=None, advantage=np.nan, ci_low=np.nan)
    advantage, low = ADVANTAGE[level]
    return dict(level=level, attack=attack, advantage=advantage, ci_low=low)


def _summary(api, model_file, *, file_attack=None, aux_size="all"):
    """One summary row: the API verdict by MAP, the model-file verdict by ``file_attack``
    (the white-box tree when its level is above the API's, else MAP, as the assessment copies
    the API verdict when the file adds nothing)."""
    if file_attack is None:
        above = model_file != NA and (api == NA or RANK[model_file] > RANK[api])
        file_attack = "white-box tree" if above else "MAP"
    a, f = _verdict(api, "MAP"), _verdict(model_file, file_attack)
    headline = f if model_file != NA else a
    row = dict(
        sensitive=SENSITIVE,
        risk_level=headline["level"],
        deciding_access="api" if headline["attack"] == a["attack"] else "model-file",
        attack=headline["attack"],
        metric="accuracy",
        score=0.8,
        baseline_score=0.7,
        advantage=headline["advantage"],
        advantage_ci_low=headline["ci_low"],
        advantage_ci_high=headline["advantage"] + 0.07,
        sentence="A synthetic verdict.",
        aux_size=aux_size,
    )
    for suffix, verdict in (("api", a), ("model_file", f)):
        row[f"risk_level_{suffix}"] = verdict["level"]
        row[f"attack_{suffix}"] = verdict["attack"]
        row[f"advantage_{suffix}"] = verdict["advantage"]
        row[f"advantage_ci_low_{suffix}"] = verdict["ci_low"]
    return pd.DataFrame([row])


def _assessment(summary, results=None, *, tail_risk=None, aux_sizes=None):
    empty = pd.DataFrame()
    return Assessment(
        summary=summary,
        results=_results() if results is None else results,
        membership_gap=empty,
        exposed_records=empty,
        by_group=empty,
        disparity=empty,
        threat_model="A synthetic threat model.",
        metadata=dict(
            sensitive=[SENSITIVE],
            confidence=0.95,
            model="synthetic",
            risk_levels={"high": 0.2, "medium": 0.05, "low": 0.0},
        ),
        tail_risk=tail_risk,
        aux_sizes=aux_sizes,
    )


@pytest.fixture
def no_figures(monkeypatch):
    hide_matplotlib(monkeypatch)


# ----------------------------------------------------------------------------- part 3: access
PAIRS = [
    (api, model_file)
    for api, model_file in itertools.product(LEVELS, LEVELS)
    if RANK[model_file] >= RANK[api]
] + [("medium", NA), (NA, "high"), (NA, "none")]


def _check_first_screen(page, summary_row):
    """Both levels, labelled, each with its deciding attack, before the first table/figure."""
    screen = first_screen(page)
    assert page.index('<section id="summary">') < len(screen)
    assert "</section>" in screen[page.index('<section id="summary">') :]  # summary is whole
    text = html_text(screen)
    for label, suffix in ((API_LABEL, "api"), (FILE_LABEL, "model_file")):
        level = summary_row[f"risk_level_{suffix}"]
        attack = summary_row[f"attack_{suffix}"]
        if level == NA:
            assert f"{label}: {NA} not asked for" in text, text
        else:
            assert f"{label}: {_words(level)} by {attack}:" in text, text
            assert f"advantage {summary_row[f'advantage_{suffix}']:+.3f}" in text


@pytest.mark.parametrize("api, model_file", PAIRS, ids=[f"{a}-{f}" for a, f in PAIRS])
def test_first_screen_shows_both_access_levels_and_their_attacks(no_figures, api, model_file):
    summary = _summary(api, model_file)
    page = render_html(_assessment(summary))
    _check_first_screen(page, summary.iloc[0])
    text = html_text(first_screen(page))
    both = NA not in (api, model_file)
    above = both and RANK[model_file] > RANK[api]
    assert ("Model-file access decides" in text) == above
    assert ("API access decides" in text) == (both and model_file == api)
    if above:
        assert f"reaches the {model_file} level (by white-box tree)" in text
        assert f"through the API alone the risk is {api} (by MAP)" in text
    if both and model_file == api:
        assert f"already reaches the {api} level (by MAP)" in text


@pytest.mark.parametrize("api, model_file", PAIRS, ids=[f"{a}-{f}" for a, f in PAIRS])
def test_protect_the_model_file_exactly_when_its_level_is_above_the_api_level(
    no_figures, api, model_file
):
    assessment = _assessment(_summary(api, model_file))
    page = render_html(assessment)
    above = NA not in (api, model_file) and RANK[model_file] > RANK[api]
    advice = [html_text(item) for item in report_recommendations(page)]
    protect = [a for a in advice if "protect the model file" in a.lower()]
    assert bool(protect) == above
    assert ("protect the model file" in html_text(page).lower()) == above
    if above:
        (item,) = protect
        advantage, _ = ADVANTAGE[model_file]
        assert f"reaches {model_file} risk by white-box tree (advantage" in item
        assert f"advantage {advantage:+.3f}" in item
        assert f"above the {api} risk through the API alone (best: MAP" in item
        for words in ("Restrict who holds the file", "clients or devices", "personal data"):
            assert words in item
        recommended = html_text(report_section(page, "recommendations"))
        assert item in recommended
    if api == NA and RANK[model_file] > 0:  # only the file assessed: compare, do not blame it
        assert any("access='both'" in a for a in advice)


def test_equal_levels_with_a_white_box_attack_deciding_the_file_are_not_blamed_on_it(
    no_figures,
):
    """Both levels high, the file's decided by the white-box tree: an API attack already
    reaches it, so the file is not what makes the difference."""
    summary = _summary("high", "high", file_attack="white-box tree")
    page = render_html(_assessment(summary))
    _check_first_screen(page, summary.iloc[0])
    text = html_text(page)
    assert "API access decides" in text and "protect the model file" not in text.lower()


def test_the_level_is_explained_with_the_simultaneous_intervals(no_figures):
    summary = _summary("medium", "high")
    page = render_html(_assessment(summary))
    results = report_section(page, "results")
    start = results.index("<h3>How the level was decided</h3>")
    block = results[start : results.index("<h3>Attack results</h3>")]
    text = html_text(block)
    assert (
        "simultaneous over the attacks compared (one bootstrap shared by them), so taking the "
        "best attack keeps the 5% false-alarm rate" in text
    )
    header, rows = _table_rows(block)
    assert "Simultaneous CI" in header and "Decides" in header
    by_attack = {row[0]: dict(zip(header, row)) for row in rows}
    assert set(by_attack) == set(MEMBERS)
    for attack, (value, low, high, family_low, family_high) in MEMBERS.items():
        row = by_attack[attack]
        assert row["Advantage [own CI]"] == f"{value:+.3f} [{low:+.3f}, {high:+.3f}]"
        assert row["Simultaneous CI"] == f"[{family_low:+.3f}, {family_high:+.3f}]"
        reading = "leaks" if family_low > 0 else "no measurable leakage"
        assert row["Reading (simultaneous)"] == reading
    assert by_attack["MAP"]["Decides"] == "API level"
    assert by_attack["white-box tree"]["Decides"] == "model-file level"
    assert by_attack["LOMIA"]["Decides"] == ""
    # The summary explains it too, before any table.
    assert "keeps the 5% false-alarm rate" in html_text(first_screen(page))


# ----------------------------------------------------------------------------- part 5: tail
def _tail_frame(seed, *, singles, n=200, value="c"):
    """A tail-risk table from scored records: with ``singles``, MAP's 10 most confident all
    hold ``value`` while imputation ranks at random; otherwise MAP ranks the records as
    imputation does (so no interval's lower end can lie above imputation's precision). LOMIA
    always ranks them as imputation does."""
    rng = np.random.default_rng(seed)
    holds = np.zeros(n, dtype=bool)
    holds[rng.choice(n, 32, replace=False)] = True  # 16% hold it
    truth = np.where(holds, value, "a")
    baseline = rng.random(n)
    if singles:
        attack = np.where(holds, rng.random(n) + 1.0, rng.random(n))
        attack[np.flatnonzero(holds)[15:]] -= 1.0  # the rest of the holders mixed in
    else:
        attack = baseline.copy()
    return tail_risk_table(truth, {"MAP": attack, "LOMIA": baseline.copy()}, baseline, value)


def _tail(secret_singles, other_singles):
    parts = []
    for sensitive, singles, seed in (("secret", secret_singles, 0), ("other", other_singles, 1)):
        for population in ("members", "non-members"):
            part = _tail_frame(seed + (population == "non-members") * 7, singles=singles)
            if population == "non-members":  # never quoted: the section reads the members
                part["precision"], part["ci_low"] = 1.0, 0.99
            part.insert(0, "value", "c")
            part.insert(0, "population", population)
            part.insert(0, "sensitive", sensitive)
            parts.append(part)
    return pd.concat(parts, ignore_index=True)


SENTENCE = re.compile(
    r"Among the (\d+) training records (.+?) is surest hold '(.+?)', (\d+) do \(precision "
    r"(\d\.\d\d), 95% CI (\d\.\d\d)–(\d\.\d\d)\), against (\d+) of imputation's (\d+) "
    r"\((\d\.\d\d)\); (\d+)% of the records hold it\.(.*?)(?=Among the|$)"
)


def _check_tail(page, tail):
    """The tail-risk section's sentences quote its members' rows and claim singling out
    exactly where the interval's lower end is above imputation's precision."""
    section = report_section(page, "tail-risk")
    members = tail[tail["population"] == "members"]
    blocks = section.split('<div class="block">')[1:]
    groups = list(members.groupby(["sensitive", "value"], sort=False))
    assert len(blocks) == len(groups)  # one block, one sentence per attribute and value
    for block, ((sensitive, value), part) in zip(blocks, groups):
        assert html_text(block).startswith(f"Sensitive attribute: {sensitive}")
        sentence = html_text(block[: block.index("<table")])
        (match,) = SENTENCE.findall(sentence)
        n, attack, shown, right, p, low, high, base_right, base_n, bp, rate, rest = match
        assert shown == str(value) and base_n == n
        rows = part[(part["attack"] == attack) & (part["n_selected"] == int(n))]
        assert len(rows) == 1, (attack, n)
        row = rows.iloc[0]
        assert int(right) == round(row["precision"] * int(n)) and p == f"{row['precision']:.2f}"
        assert low == f"{row['ci_low']:.2f}" and high == f"{row['ci_high']:.2f}"
        assert int(base_right) == round(row["baseline_precision"] * int(n))
        assert bp == f"{row['baseline_precision']:.2f}"
        assert int(rate) == round(row["base_rate"] * 100)
        singles = part["ci_low"] > part["baseline_precision"]
        claims = f"{attack} singles these people out" in rest
        assert claims == bool(row["ci_low"] > row["baseline_precision"])
        assert claims == bool(singles.any())  # the quoted row singles out when any does
        assert ("No attack singles people out" in rest) == (not singles.any())
        # The table says the same, row by row.
        header, cells = _table_rows(block)
        column = header.index("Singles out")
        assert [c[column] for c in cells] == ["yes" if s else "no" for s in singles]
        for cell, (_, r) in zip(cells, part.iterrows()):
            expected = f"{round(r['precision'] * r['n_selected'])} of {r['n_selected']}: "
            assert cell[header.index("Attack: right [CI]")].startswith(
                expected + f"{r['precision']:.2f} [{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
            )


@pytest.mark.parametrize("secret_singles, other_singles", [(True, False), (False, True)])
def test_tail_risk_sentences_agree_with_the_table(no_figures, secret_singles, other_singles):
    tail = _tail(secret_singles, other_singles)
    members = tail[tail["population"] == "members"]
    for sensitive, singles in (("secret", secret_singles), ("other", other_singles)):
        part = members[members["sensitive"] == sensitive]
        assert (part["ci_low"] > part["baseline_precision"]).any() == singles  # the design
    page = render_html(_assessment(_summary("medium", "high"), tail_risk=tail))
    assert "<h2>The people the attacker is surest about</h2>" in page
    _check_tail(page, tail)


def test_tail_risk_example_from_the_issue_and_a_tie_at_the_bound(no_figures):
    """MAP right on 10 of its 10 against 1 of imputation's 10 singles out; an interval whose
    lower end only equals imputation's precision does not."""
    base = dict(
        sensitive=SENSITIVE,
        population="members",
        value="c",
        k=10,
        n_selected=10,
        n_tied_out=0,
        baseline_n_tied_out=0,
        base_rate=0.16,
        n=600,
    )
    tail = pd.DataFrame(
        [
            dict(
                base,
                attack="MAP",
                precision=1.0,
                ci_low=0.7225,
                ci_high=1.0,
                baseline_precision=0.1,
                baseline_ci_low=0.018,
                baseline_ci_high=0.404,
                difference=0.9,
            )
        ]
    )
    page = render_html(_assessment(_summary("medium", "high"), tail_risk=tail))
    text = html_text(report_section(page, "tail-risk"))
    assert (
        "Among the 10 training records MAP is surest hold 'c', 10 do (precision 1.00, 95% CI "
        "0.72–1.00), against 1 of imputation's 10 (0.10); 16% of the records hold it." in text
    )
    assert "MAP singles these people out" in text
    _check_tail(page, tail)
    bound = tail.assign(precision=0.8, ci_low=0.5, baseline_precision=0.5, difference=0.3)
    page = render_html(_assessment(_summary("medium", "high"), tail_risk=bound))
    text = html_text(report_section(page, "tail-risk"))
    assert "singles these people out" not in text and "No attack singles people out" in text
    _check_tail(page, bound)


# ----------------------------------------------------------------------------- part 6: sizes
def _sizes():
    """MAP and the white-box tree at 50, 500 and all 2,000 auxiliary records: both reach
    "high" with 50 (imputation learns little from 50 records) and "medium" with all."""
    rows = []
    plan = {
        "MAP": [(50, 0.331, 0.271, 0.412, "high"), (500, 0.151, 0.052, 0.251, "medium")],
        "white-box tree": [(50, 0.251, 0.103, 0.402, "high"), (500, 0.142, 0.041, 0.243, "medium")],
    }
    for attack, sized in plan.items():
        for size, value, low, high, level in [*sized, ("all", 0.083, 0.021, 0.144, "medium")]:
            rows.append(
                dict(
                    sensitive=SENSITIVE,
                    attack=attack,
                    aux_size=size,
                    n_aux=2000 if size == "all" else size,
                    repeats=1 if size == "all" else 5,
                    metric="accuracy",
                    score=0.8,
                    baseline_score=0.7,
                    advantage=value,
                    advantage_ci_low=low,
                    advantage_ci_high=high,
                    risk_level=level,
                    notes="a warning <b>escaped</b>" if size == 50 and attack == "MAP" else "",
                )
            )
    return pd.DataFrame(rows)


def _sized_summary(aux_size):
    summary = _summary("medium", "medium")
    if aux_size != "all":  # as the assessment takes the worst size into the levels
        summary.loc[0, ["risk_level", "risk_level_api", "risk_level_model_file"]] = "high"
        summary.loc[0, ["advantage_api", "advantage_ci_low_api"]] = [0.331, 0.271]
        summary.loc[0, "attack_model_file"] = "white-box tree"
        summary.loc[0, ["advantage_model_file", "advantage_ci_low_model_file"]] = [0.251, 0.103]
    summary["aux_size"] = pd.Series([aux_size], dtype=object)
    return summary


@pytest.mark.parametrize("aux_size", [50, "all"])
@pytest.mark.parametrize("through_json", [False, True], ids=["object", "json"])
def test_aux_size_section_and_the_deciding_size_on_the_first_screen(
    no_figures, aux_size, through_json
):
    assessment = _assessment(_sized_summary(aux_size), aux_sizes=_sizes())
    if through_json:
        assessment = Assessment.from_json(assessment.to_json())
    page = render_html(assessment)
    screen = html_text(first_screen(page))
    section = report_section(page, "aux-sizes")
    text = html_text(section)
    assert "<h2>The attacker&#x27;s data size</h2>" in section
    header, rows = _table_rows(section)
    assert [row[header.index("Auxiliary records")] for row in rows] == [
        "50",
        "500",
        "all (2,000)",
    ] * 2
    for row, (_, expected) in zip(rows, _sizes().iterrows()):
        assert row[header.index("Advantage [adjusted CI]")] == (
            f"{expected['advantage']:+.3f} [{expected['advantage_ci_low']:+.3f}, "
            f"{expected['advantage_ci_high']:+.3f}]"
        )
        assert row[header.index("Level")] == expected["risk_level"]
    assert "&lt;b&gt;escaped&lt;/b&gt;" in section and "<b>escaped" not in section
    if aux_size == 50:
        assert "Decided at 50 auxiliary records" in screen
        assert "MAP's advantage is +0.331 [+0.271, +0.412]" in screen
        assert "with all 2,000 auxiliary records it is +0.083 (medium)" in screen
        # The per-access lines say their numbers come from 50 records.
        assert f"{API_LABEL}: high risk by MAP: advantage +0.331 with only 50" in screen
        assert f"{FILE_LABEL}: high risk by white-box tree: advantage +0.251 with only 50" in (
            screen
        )
        assert (
            "With only 50 auxiliary records (averaged over 5 samples), MAP reaches the high "
            "level: advantage +0.331 [+0.271, +0.412]" in text
        )
        assert "This size decides the headline level (high)." in text
        assert "With all the auxiliary records, the best attack is MAP" in screen
    else:
        assert "Decided at" not in screen and "with only" not in screen.lower()
        # The summary says "all" decides, but the table's 50 rows are above its "medium":
        # the section says what the table shows rather than "no smaller sample".
        assert "No smaller sample" not in text
        assert "reaches the high level" in text and "above the headline level (medium)" in text


def test_no_smaller_sample_is_said_only_when_none_is_above_the_headline(no_figures):
    sizes = _sizes()
    sizes.loc[sizes["aux_size"].astype(str) == "50", "risk_level"] = "medium"
    page = render_html(_assessment(_sized_summary("all"), aux_sizes=sizes))
    text = html_text(report_section(page, "aux-sizes"))
    assert (
        "No smaller sample (50, 500 auxiliary records) reaches a level above the headline "
        "level (medium): all the auxiliary records decide it." in text
    )


@pytest.mark.skipif(not _has_matplotlib(), reason="plots need matplotlib")
def test_tail_and_size_sections_have_their_plots():
    page = render_html(
        _assessment(_sized_summary(50), tail_risk=_tail(True, False), aux_sizes=_sizes())
    )
    for anchor in ("tail-risk", "aux-sizes"):
        images = re.findall(
            r'<img src="data:image/png;base64,[^"]+" alt="[^"]+">', report_section(page, anchor)
        )
        assert len(images) == 1, anchor


def test_without_matplotlib_the_new_sections_say_how_to_get_the_plots(no_figures):
    page = render_html(
        _assessment(_sized_summary(50), tail_risk=_tail(True, False), aux_sizes=_sizes())
    )
    for anchor in ("tail-risk", "aux-sizes"):
        section = report_section(page, anchor)
        assert "<img" not in section and "pip install tabinvert[report]" in section


# ----------------------------------------------------------------------------- older ones
def _old():
    """An assessment as written before per-access levels, simultaneous intervals, tail risk
    and data sizes: none of those columns or tables."""
    summary = _summary("medium", "high").drop(
        columns=[
            c
            for c in _summary("medium", "high").columns
            if c.endswith(("_api", "_model_file")) or c in ("deciding_access", "aux_size")
        ]
    )
    return _assessment(summary, _results(family=False))


@pytest.mark.parametrize("through_json", [False, True], ids=["object", "json"])
def test_an_older_assessment_renders_and_says_what_is_not_available(through_json):
    old = _old()
    if through_json:
        data = old.to_dict()
        for name in ("tail_risk", "aux_sizes"):  # keys an older file does not have at all
            data.pop(name)
        old = Assessment.from_dict(data)
    page = render_html(old)
    screen = html_text(first_screen(page))
    assert "Levels per access (API and model file) are not available" in screen
    assert API_LABEL not in page and "protect the model file" not in page.lower()
    assert "medium risk" not in screen  # no per-access badge was invented
    assert "+0.312 [+0.243, +0.382]" in screen  # the headline, with its (own) interval
    assert "Simultaneous intervals are not available" in html_text(report_section(page, "results"))
    assert "Not available" in html_text(report_section(page, "tail-risk"))
    assert "Not measured" in html_text(report_section(page, "aux-sizes"))
    assert report_recommendations(page) is not None


# ----------------------------------------------------------------------------- a real run
@pytest.fixture(scope="module")
def real():
    from sklearn.ensemble import RandomForestClassifier

    from tabinvert import assess

    rng = np.random.default_rng(0)
    n = 900
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "town": rng.integers(0, 8, n),
            "secret": rng.choice([0, 1, 2], n, p=[0.5, 0.35, 0.15]),
        }
    )
    y = ((X["age"] > 45) ^ (X["secret"] == 2)).astype(int)
    model = RandomForestClassifier(20, random_state=0).fit(X[:450], y[:450])
    result = assess(
        model,
        X[:450],
        y[:450],
        X_holdout=X[450:],
        y_holdout=y[450:],
        sensitive="secret",
        n_resamples=60,
        random_state=0,
    )
    return result, render_html(result)


def test_a_real_assessment(real):
    result, page = real
    row = result.summary.iloc[0]
    _check_first_screen(page, row)
    api, model_file = row["risk_level_api"], row["risk_level_model_file"]
    above = api in RANK and model_file in RANK and RANK[model_file] > RANK[api]
    assert ("protect the model file" in html_text(page).lower()) == above
    if result.tail_risk is not None and len(result.tail_risk):
        _check_tail(page, result.tail_risk)
    assert "Not measured" in html_text(report_section(page, "aux-sizes"))  # aux_sizes not asked for

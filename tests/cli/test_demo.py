"""`tabinvert demo` teaches: a setting that leaks and one that does not, on the same patients,
headers in words, every attack name explained with its paper, one closing sentence per setting
whose numbers are the assessment's own, and no network."""

import contextlib
import io
import re
import socket

import pytest

from tabinvert import Assessment, cli

SIGNED = r"([+-]\d+\.\d\d)"


def _no_network(*args, **kwargs):
    raise OSError("the demo must run offline: a network connection was attempted")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """`tabinvert demo --out report.json`, once, with the network refused: its exit code,
    printed text, the Assessment of each setting (in order) and the report file."""
    out = tmp_path_factory.mktemp("demo") / "report.json"
    assessments = []
    real = cli.run_assessment

    def spy(*args, **kwargs):
        result, code = real(*args, **kwargs)
        assessments.append(result)
        return result, code

    stdout = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cli, "run_assessment", spy)
        for name in ("connect", "connect_ex", "sendto"):
            patch.setattr(socket.socket, name, _no_network)
        patch.setattr(socket, "create_connection", _no_network)
        patch.setattr(socket, "getaddrinfo", _no_network)
        with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(io.StringIO()):
            code = cli.main(["demo", "--quiet", "--out", str(out)])
        with pytest.raises(OSError, match="offline"):  # the guard was in place
            socket.create_connection(("example.org", 80))
    return dict(code=code, text=stdout.getvalue(), assessments=assessments, out=out)


def _paragraph(text, start):
    """The paragraph (lines up to a blank line) that begins with ``start``, on one line."""
    match = re.search(rf"^{re.escape(start)}.*?(?=\n\n|\Z)", text, re.M | re.S)
    assert match, start
    return " ".join(match.group(0).split())


def _blocks(text):
    """Each setting's printed block, in order."""
    parts = re.split(r"^(?=Setting \d: )", text, flags=re.M)
    blocks = [p for p in parts if p.startswith("Setting ")]
    assert len(blocks) == 2
    blocks[-1] = blocks[-1].split("How to read the tables")[0]
    return blocks


def _table_names(block):
    """The attack names in the rows of the block's table (below its dashed rule)."""
    lines = block.splitlines()
    rule = next(i for i, line in enumerate(lines) if re.fullmatch(r"-{20,}", line))
    names = []
    for line in lines[rule + 1 :]:
        if not line.strip():
            break
        names.append(re.match(r"(.+?)\s{2,}\d", line).group(1))
    return lines[rule - 2 : rule], names


def test_the_demo_runs_offline_and_assesses_two_settings(demo):
    assert demo["code"] == 0
    assert len(demo["assessments"]) == 2
    assert "Setting 1: an over-fitted random forest" in demo["text"]
    assert "Setting 2: a regularised random forest" in demo["text"]


def test_one_setting_leaks_and_the_other_does_not(demo):
    levels = [a.summary["risk_level"].iloc[0] for a in demo["assessments"]]
    assert levels[0] != "none" and levels[1] == "none"
    for block, level in zip(_blocks(demo["text"]), levels):
        verdict = _paragraph(block, "Verdict:")
        assert verdict.startswith(f"Verdict: risk {level.upper()} for the sex")


def _expected_numbers(assessment):
    """The numbers the closing sentence must quote, in order, from the assessment's tables."""
    row = assessment.summary.iloc[0]
    numbers = [row["advantage"], row["advantage_ci_low"], row["advantage_ci_high"]]
    if row["risk_level"] == "none":
        return numbers, {}
    results = assessment.results
    out = results[
        (results["attack"] == row["attack"]) & (results["population"] == "non-members")
    ].iloc[0]
    numbers += [
        out["advantage"],
        out["advantage_ci_low_family"],
        out["advantage_ci_high_family"],
    ]
    gap = assessment.membership_gap.set_index("attack").loc[row["attack"]]
    facts = {
        "held_out_leaks": out["advantage_ci_low_family"] > 0,
        "memorised": gap["gap_ci_low"] > 0,
    }
    if row["deciding_access"] == "model-file" and row["risk_level_api"] != row["risk_level"]:
        numbers.append(row["advantage_api"])
    return numbers, facts


def test_each_closing_sentence_quotes_its_assessment(demo):
    for block, assessment in zip(_blocks(demo["text"]), demo["assessments"]):
        sentence = _paragraph(block, "In short:")
        assert sentence.count(". ") == 0 and sentence.endswith(".")  # one sentence
        row = assessment.summary.iloc[0]
        assert row["attack"] in sentence
        expected, facts = _expected_numbers(assessment)
        quoted = [float(x) for x in re.findall(SIGNED, sentence)]
        assert quoted == [round(float(x), 2) for x in expected], sentence
        if row["risk_level"] == "none":
            assert " does not let an attacker infer the sex of the patients" in sentence
            continue
        assert " lets an attacker " in sentence
        assert ("and of held-out patients too" in sentence) == facts["held_out_leaks"]
        if not facts["held_out_leaks"]:
            assert "but not of held-out patients" in sentence
            assert ("it memorised them" in sentence) == facts["memorised"]
        if row["deciding_access"] == "model-file":
            assert "holding its model file" in sentence
            assert row["attack_api"] in sentence


def test_every_attack_shown_is_explained_with_its_paper(demo):
    text = demo["text"]
    glossary = text.split("What the attacks' names mean", 1)[1]
    shown = set()
    for block, assessment in zip(_blocks(text), demo["assessments"]):
        _, names = _table_names(block)
        assert names == list(dict.fromkeys(assessment.results["attack"]))
        shown.update(names)
    assert {"imputation", "MAP", "CSMIA", "LOMIA", "white-box tree"} <= shown
    for name in shown:
        entry = re.search(
            rf"^  {re.escape(name)}: (.+?)\n    Reference: (.+?)\.\n", glossary, re.M | re.S
        )
        assert entry, name
        assert len(entry.group(1)) > 40  # words, not a restated name
        assert re.search(r"\b(19|20)\d\d\b", entry.group(2)), entry.group(2)  # a dated paper


def test_table_headers_are_words(demo):
    for block in _blocks(demo["text"]):
        header, _ = _table_names(block)
        words = re.findall(r"[A-Za-z][A-Za-z.'-]*", " ".join(header))
        assert not {"mem", "non-mem", "imput.", "adv", "CI", "MAE", "acc"} & set(words), header
        assert not [w for w in words if w.endswith(".")], header
        for phrase in ("accuracy on", "imputation (no model)", "advantage over imputation"):
            assert phrase in header[0]
        assert header[1].split()[:3] == ["attack", "training", "held-out"]


def test_the_researchers_notes_are_gone(demo):
    text = demo["text"]
    assert "note:" not in text
    assert "target(s)" not in text and "LabelOnlyInversion" not in text
    assert "MAE_attack" not in text


def test_out_writes_the_report_of_the_setting_that_leaks(demo):
    written = Assessment.from_json(demo["out"])
    first = demo["assessments"][0]
    assert written.summary["risk_level"].tolist() == first.summary["risk_level"].tolist()
    assert written.summary["advantage"].tolist() == pytest.approx(
        first.summary["advantage"].tolist()
    )
    assert f"wrote {demo['out']}: the report of setting 1" in demo["text"]


def test_help_says_what_the_two_settings_are(capsys):
    with pytest.raises(SystemExit):
        cli.main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "over-fitted" in text and "regularised" in text
    assert "--out" in text and "setting 1" in text

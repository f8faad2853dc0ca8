"""The HTML report (tabinvert.report): content, escaping, self-containment, atomic writing, the
fallback without matplotlib, generated recommendations, and a headless-Chromium rendering."""

import base64
import html
import importlib.util
import os
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from conftest import hide_matplotlib, report_recommendations
from sklearn.ensemble import RandomForestClassifier

import tabinvert.report
from tabinvert import Assessment, assess
from tabinvert.evaluation import DEFENSE_COLUMNS, RESULT_COLUMNS
from tabinvert.report import render_html

SECTION_IDS = (
    "summary",
    "threat-model",
    "results",
    "figures",
    "recommendations",
    "reproducibility",
)


def _has_matplotlib():
    return importlib.util.find_spec("matplotlib") is not None


# ----------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def real():
    """A real assessment (with subgroups and two defenses) and its report."""
    from tabinvert.defenses import LabelOnly, RoundProbabilities

    rng = np.random.default_rng(0)
    n = 1200
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "town": rng.integers(0, 8, n),
            "secret": rng.integers(0, 2, n),
        }
    )
    y = (X["age"] > 45) ^ (X["secret"] == 1)
    model = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    result = assess(
        model,
        X[:600],
        y[:600],
        X_holdout=X[600:],
        y_holdout=y[600:],
        sensitive="secret",
        group_by="town",
        defenses=[RoundProbabilities(1), LabelOnly()],
        n_resamples=100,
        random_state=0,
    )
    return result, render_html(result)


def _results_rows(rows):
    """A results table from partial rows (the other columns NaN / empty)."""
    return pd.DataFrame([{"notes": "", "verdict": "", **row} for row in rows]).reindex(
        columns=RESULT_COLUMNS
    )


def hand_assessment(*, sensitive="secret", lomia=True, gap_low=-0.05, frontier=True):
    """A small hand-built assessment with known numbers (no model, renders fast)."""
    attacks = ["MAP"] + (["LOMIA"] if lomia else [])
    access = {"MAP": "outputs", "LOMIA": "labels"}  # what each attack declares
    rows = []
    for population, score in (("members", 0.81), ("non-members", 0.74)):
        rows.append(
            dict(
                attack="imputation",
                access="none",
                population=population,
                sensitive=sensitive,
                metric="accuracy",
                score=0.70,
                score_ci_low=0.66,
                score_ci_high=0.74,
                baseline_score=0.70,
                query_rows=0,
                seconds=0.01,
            )
        )
        for attack in attacks:
            rows.append(
                dict(
                    attack=attack,
                    access=access[attack],
                    population=population,
                    sensitive=sensitive,
                    metric="accuracy",
                    score=score,
                    score_ci_low=score - 0.04,
                    score_ci_high=score + 0.04,
                    baseline_score=0.70,
                    advantage=0.1234 if population == "members" else 0.05,
                    advantage_ci_low=0.0567 if population == "members" else -0.02,
                    advantage_ci_high=0.1891 if population == "members" else 0.12,
                    query_rows=400,
                    seconds=0.2,
                )
            )
    summary = pd.DataFrame(
        [
            dict(
                sensitive=sensitive,
                risk_level="medium",
                attack="MAP",
                metric="accuracy",
                score=0.81,
                baseline_score=0.70,
                advantage=0.1234,
                advantage_ci_low=0.0567,
                advantage_ci_high=0.1891,
                sentence=f"An attacker infers {sensitive!r} & more.",
            )
        ]
    )
    gap = pd.DataFrame(
        [
            dict(
                sensitive=sensitive,
                attack=a,
                advantage_members=0.1234,
                advantage_non_members=0.05,
                gap=0.0734,
                gap_ci_low=gap_low,
                gap_ci_high=0.2,
            )
            for a in attacks
        ]
    )
    exposed = pd.DataFrame(
        dict(
            record=["<i>r1</i>", "r2"],
            position=[3, 7],
            sensitive=sensitive,
            attack="MAP",
            attack_confidence=[0.9, 0.8],
            baseline_confidence=[0.2, 0.3],
            exposure=[0.7, 0.5],
            attack_correct=True,
            baseline_correct=False,
        )
    )
    # "<u>a</u>" stands out above the other records, "b" below them; "c" is too small to test.
    by_group = pd.DataFrame(
        dict(
            sensitive=sensitive,
            attack="MAP",
            group="town",
            value=["<u>a</u>", "b", "c"],
            n_records=[40, 60, 5],
            attack_success=[0.9, 0.75, 1.0],
            baseline_success=[0.7, 0.7, 0.6],
            advantage=[0.667, 0.167, 1.0],
            advantage_ci_low=[0.45, -0.05, 0.9],
            advantage_ci_high=[0.88, 0.38, 1.0],
            rest_advantage=[0.2, 0.6, 0.4],
            p_value=[0.001, 0.001, float("nan")],
            p_adjusted=[0.002, 0.002, float("nan")],
            separates=[True, True, False],
            mean_exposure=[0.2, 0.05, 0.4],
            reliable=[True, True, False],
        )
    )
    disparity = pd.DataFrame(
        [
            dict(
                sensitive=sensitive,
                attack="MAP",
                group="town",
                n_groups=2,
                highest="<u>a</u>",
                highest_advantage=0.667,
                lowest="b",
                lowest_advantage=0.167,
                advantage_gap=0.5,
                exposure_gap=0.15,
                p_adjusted=0.002,
                correction="Holm",
                separates=True,
                most_exposed="<u>a</u>",
                least_exposed="b",
            )
        ]
    )
    defenses = front = None
    if frontier:
        sweep = [
            ("none", True, 0.900, 0.30),
            ("round", True, 0.900, 0.25),
            ("noise small", False, 0.895, 0.10),
            ("noise big", False, 0.800, 0.02),
            ("coarse", True, 0.850, 0.28),
        ]
        defense_rows = []
        for name, argmax, utility, risk in sweep:
            for attack in attacks:
                for population in ("members", "non-members"):
                    defense_rows.append(
                        dict(
                            defense=name,
                            keeps_argmax=argmax,
                            keeps_row_sums=True,
                            utility_metric="accuracy",
                            utility=utility,
                            utility_change=utility - 0.9,
                            log_loss=0.4,
                            attack=attack,
                            access=access[attack],
                            population=population,
                            sensitive=sensitive,
                            metric="accuracy",
                            score=0.8,
                            advantage=risk,
                            advantage_ci_low=risk - 0.05,
                            advantage_ci_high=risk + 0.05,
                        )
                    )
        defenses = pd.DataFrame(defense_rows).reindex(columns=DEFENSE_COLUMNS + RESULT_COLUMNS)
        front = pd.DataFrame(
            dict(
                defense=[s[0] for s in sweep],
                utility=[s[2] for s in sweep],
                risk=[s[3] for s in sweep],
                worst_attack="MAP",
                on_frontier=[False, True, True, True, False],
            )
        )
    metadata = dict(
        created="2025-01-02T03:04:05+00:00",
        model="sklearn.svm.SVC",
        model_summary="SVC(C=<1>)",
        sensitive=[sensitive],
        n_train=400,
        n_non_members=200,
        n_aux=200,
        aux_source="the 200 records passed as X_aux",
        data_sha256=dict(train="a" * 64, non_members="b" * 64, aux="c" * 64),
        versions={"tabinvert": "0.0", "scikit-learn": "9.9.9"},
        random_state=0,
        seed=123,
        n_resamples=100,
        confidence=0.95,
        risk_levels={"high": 0.2, "medium": 0.05, "low": 0.0},
    )
    return Assessment(
        summary=summary,
        results=_results_rows(rows),
        membership_gap=gap,
        exposed_records=exposed,
        by_group=by_group,
        disparity=disparity,
        defenses=defenses,
        frontier=front,
        threat_model="Attacker <knows> X.",
        metadata=metadata,
    )


def _rename(value, old, new):
    """``value`` (plain JSON data) with every string equal to, or containing, ``old`` changed."""
    if isinstance(value, dict):
        return {_rename(k, old, new): _rename(v, old, new) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename(v, old, new) for v in value]
    return value.replace(old, new) if isinstance(value, str) else value


# ----------------------------------------------------------------------------- content
def test_sections_in_order_with_title_model_date_and_scope(real):
    result, page = real
    positions = [page.index(f'<section id="{name}">') for name in SECTION_IDS]
    assert positions == sorted(positions)
    assert page.index("<h1>") < positions[0]
    assert html.escape(result.metadata["model"]) in page
    assert result.metadata["created"][:10] in page
    assert "Scope:" in page and "“secret”" in page


def test_summary_risk_levels_sentences_and_threat_model(real):
    result, page = real
    summary = page[page.index('<section id="summary">') : page.index('<section id="threat')]
    for row in result.summary.itertuples():
        assert f'<span class="badge risk-{row.risk_level}">{row.risk_level} risk</span>' in summary
        assert html.escape(row.sentence) in summary
    assert "Advantage over imputation" in summary and "includes 0" in summary
    threat = page[page.index('<section id="threat') : page.index('<section id="results">')]
    paragraphs = result.threat_model.split("\n\n")
    assert len(paragraphs) == 2  # the forest's trees were read: the white-box paragraph too
    for text in paragraphs:
        assert f"<p>{html.escape(text)}</p>" in threat
    assert "internals" in paragraphs[1]


def test_white_box_results_get_their_threat_model_even_from_a_bare_one():
    """A hand-written (or older) threat model that does not cover a white-box attack in the
    results gets the white-box paragraph; one without white-box results does not."""
    from tabinvert.assessment import WHITE_BOX_THREAT_MODEL

    plain = hand_assessment()
    white = hand_assessment()
    lomia = white.results["attack"] == "LOMIA"
    white.results.loc[lomia, ["attack", "access"]] = ["white-box tree", "model"]
    added = f"<p>{html.escape(WHITE_BOX_THREAT_MODEL)}</p>"
    assert added in render_html(white) and "holds it" in render_html(white)
    assert added not in render_html(plain) and "holds it" not in render_html(plain)
    assert "Attacker &lt;knows&gt; X." in render_html(white)  # the stated one stays first


def test_numbers_match_the_assessment(real):
    result, page = real
    for row in result.summary.itertuples():
        expected = (
            f"{row.advantage:+.3f} [{row.advantage_ci_low:+.3f}, {row.advantage_ci_high:+.3f}]"
        )
        assert expected in page
    for row in result.results.itertuples():
        score = f"{row.score:.3f} [{row.score_ci_low:.3f},&nbsp;{row.score_ci_high:.3f}]"
        assert score in page
    for row in result.frontier.itertuples():
        assert f"{row.risk:+.3f}" in page
    hand = render_html(hand_assessment())
    assert "+0.123 [+0.057, +0.189]" in hand  # summary card
    assert "0.810 [0.770,&nbsp;0.850]" in hand  # results table, members' score


def test_tables_present(real):
    result, page = real
    for heading in (
        "Attack results",
        "Members vs non-members",
        "Most exposed training records",
        "Subgroup exposure",
        "Disparity between subgroups",
        "Defenses: utility",
        "Privacy–utility frontier",
    ):
        assert f"<h3>{heading}</h3>" in page
    for record in result.exposed_records["record"]:
        assert f"<td>{html.escape(str(record))}</td>" in page
    # The records are scored with probabilities, and the text says CSMIA's are not.
    assert "CSMIA" not in set(result.exposed_records["attack"])
    assert html.escape("CSMIA's scores only rank the candidate values") in page
    for defense in result.defenses["defense"].unique():
        assert html.escape(defense) in page


def test_reproducibility_block(real):
    result, page = real
    block = page[page.index('<section id="reproducibility">') :]
    for digest in result.metadata["data_sha256"].values():
        assert digest in block
    for name, version in result.metadata["versions"].items():
        assert f"{name} {version}" in block
    assert str(result.metadata["seed"]) in block
    assert html.escape(result.metadata["model_summary"]) in block
    assert html.escape(result.metadata["aux_source"]) in block
    assert "0.20" in block and "0.05" in block  # risk thresholds


def test_self_contained_no_script_no_remote_resources(real):
    _, page = real
    assert page.startswith("<!DOCTYPE html>")
    lowered = page.lower()
    assert "<script" not in lowered and "javascript:" not in lowered
    assert "http://" not in lowered and "https://" not in lowered
    assert "@import" not in lowered and "url(" not in lowered
    for target in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', page):
        assert target.startswith(("data:", "#")), target


@pytest.mark.skipif(not _has_matplotlib(), reason="plots need matplotlib")
def test_plots_are_inline_pngs(real):
    _, page = real
    figures = page[page.index('<section id="figures">') : page.index('<section id="recomm')]
    images = re.findall(r"<img [^>]*>", figures)
    assert len(images) == 4  # advantage, membership gap, subgroups, frontier
    for tag in images:
        source = re.search(r'src="data:image/png;base64,([^"]+)"', tag)
        assert source, tag
        assert base64.b64decode(source.group(1))[:8] == b"\x89PNG\r\n\x1a\n"
        assert 'alt="' in tag
    assert "tabinvert[report]" not in figures


def test_user_text_is_escaped(real):
    result, _ = real
    name = '<b>x</b> $a$ & "q"'
    data = _rename(result.to_dict(), "secret", name)
    data = _rename(data, "LabelOnly()", "<em>labels</em>")
    page = render_html(Assessment.from_dict(data))
    assert "<b>" not in page and "<em>" not in page
    assert html.escape(name) in page
    assert "&lt;em&gt;labels&lt;/em&gt;" in page
    hand = render_html(hand_assessment(sensitive="<s>y</s>"))
    for raw in ("<s>", "<i>r1</i>", "<u>a</u>", "<knows>", "C=<1>"):
        assert raw not in hand
    assert "&lt;i&gt;r1&lt;/i&gt;" in hand and "&lt;knows&gt;" in hand


def test_without_matplotlib_the_report_is_complete_and_says_how_to_get_plots(monkeypatch):
    hide_matplotlib(monkeypatch)
    page = render_html(hand_assessment())
    assert "pip install tabinvert[report]" in page
    assert "<img" not in page
    for name in SECTION_IDS:
        assert f'<section id="{name}">' in page
    assert "+0.123 [+0.057, +0.189]" in page and "noise small" in page


# ----------------------------------------------------------------------------- recommendations
def _recommendations(assessment):
    """The recommendations' HTML, as the report's list items join them (rendered without
    figures: the advice does not depend on them)."""
    with pytest.MonkeyPatch.context() as patch:
        hide_matplotlib(patch)
        page = render_html(assessment)
    return "\n".join(report_recommendations(page))


def test_recommends_cheapest_frontier_defense_and_states_cost_of_strongest():
    advice = _recommendations(hand_assessment())
    # "noise small": on the frontier, loses 0.005 <= 0.01, risk 0.10 (lowest such).
    assert (
        "lowers it most while losing at most 0.01 accuracy is <strong>noise small</strong>"
    ) in advice
    assert "worst-case advantage +0.100 [+0.050, +0.150]" in advice
    assert "<strong>noise big</strong>" in advice and "costs 0.100 accuracy" in advice
    assert "is +0.300" in advice  # the undefended risk


def test_label_only_warning_lists_argmax_keeping_defenses():
    advice = _recommendations(hand_assessment())
    assert "survives every defense that keeps the arg-max" in advice
    # "round" and "coarse" keep the arg-max; the noise defenses do not.
    assert "<strong>round</strong>, <strong>coarse</strong> keep the arg-max" in advice
    without = _recommendations(hand_assessment(lomia=False))
    assert "LOMIA" not in without and "arg-max" not in without


def test_memorisation_and_missing_defenses_advice():
    leaky = _recommendations(hand_assessment(gap_low=0.01, frontier=False))
    assert "memorised" in leaky and "regularisation" in leaky
    assert "No defenses were measured" in leaky
    alike = _recommendations(hand_assessment(gap_low=-0.05))
    assert "memorised them" not in alike and "leak alike" in alike
    assert "<u>" not in alike and "&lt;u&gt;a&lt;/u&gt;" in alike  # the exposed subgroup


# ----------------------------------------------------------------------------- writing
def test_to_html_is_atomic(tmp_path, monkeypatch):
    assessment = hand_assessment(frontier=False)
    target = tmp_path / "report.html"
    target.write_text("old report", encoding="utf-8")

    def broken(_):
        raise RuntimeError("rendering failed")

    with monkeypatch.context() as patch:
        patch.setattr(tabinvert.report, "render_html", broken)
        with pytest.raises(RuntimeError, match="rendering failed"):
            assessment.to_html(target)
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

    with monkeypatch.context() as patch:  # failing while writing: no temp file left either
        patch.setattr(os, "replace", lambda *args: (_ for _ in ()).throw(OSError("disk")))
        with pytest.raises(OSError, match="disk"):
            assessment.to_html(target)
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]

    assert assessment.to_html(target) is None
    assert target.read_text(encoding="utf-8") == assessment.to_html()  # rendering is repeatable
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.html"]


# ----------------------------------------------------------------------------- chromium
def _chromium():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None


def _need(condition, reason):
    """Skip locally, but fail on CI (``CI`` set), where the environment must provide it."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (required on CI)")
    pytest.skip(reason)


def test_renders_in_headless_chromium(real, tmp_path):
    browser = _chromium()
    _need(browser is not None, "chromium is not installed")
    try:
        from PIL import Image
    except ImportError:
        Image = None
    _need(Image is not None, "reading the screenshot needs Pillow (installed with matplotlib)")
    _, page = real
    report = tmp_path / "report.html"
    report.write_text(page, encoding="utf-8")
    screenshot = tmp_path / "report.png"
    command = [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--hide-scrollbars",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--window-size=1280,2000",
        f"--screenshot={screenshot}",
        "--enable-logging=stderr",
        "--v=0",
        report.as_uri(),
    ]
    run = subprocess.run(
        command, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL
    )
    log = run.stdout + run.stderr
    assert run.returncode == 0, log[-3000:]
    assert screenshot.exists(), log[-3000:]
    for problem in (":CONSOLE", "Uncaught", "SyntaxError", "Refused to"):
        assert problem not in log, log[-3000:]

    with Image.open(screenshot) as image:
        pixels = np.asarray(image.convert("RGB"))
    assert pixels.shape[:2] == (2000, 1280)
    ink = (pixels < 235).any(axis=2).mean()
    assert 0.03 < ink < 0.9, ink  # text and tables, not a blank (or black) page
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) > 50
    # The "high risk" badge's red (#b2182b) is painted: the stylesheet applied.
    red = (np.abs(pixels.astype(int) - [0xB2, 0x18, 0x2B]).sum(axis=2) < 30).sum()
    assert red > 200, red

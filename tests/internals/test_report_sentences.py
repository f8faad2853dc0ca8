"""Every sentence the report writes agrees with the numbers it stands on.

A grid of synthetic outcomes — leak / no leak × membership gap / none × a defense that helps /
one under which an attack gains × a subgroup that separates / none — is rendered, and each
sentence is checked against the tables: "memorised" only for an attack whose members'
advantage and membership gap both have intervals above 0; "still up to" only before a
positive number; a recommended defense never lets an attack's advantage rise, and the one that
does is named with its rise; "no subgroup stands out" exactly when no group separates after
Holm's correction, and the group named most exposed is the separating one with the largest
advantage (not the largest mean exposure).

This module builds its grid with the assessment's private table builders and checks the Holm
adjustment and the per-group intervals directly (see README.md in this folder): a consistent
synthetic assessment, where each outcome of the grid is certain, cannot be made through
``tabinvert.assess``. Reports of real assessments are tested in tests/report/.
"""

import html
import itertools
import re

import numpy as np
import pandas as pd
import pytest

from tabinvert import Assessment
from tabinvert.assessment._exposure import (
    _advantage_se,
    _disparity,
    _group_table,
    _holm,
)
from tabinvert.assessment._summary import _membership_gap, _summary
from tabinvert.evaluation import DEFENSE_COLUMNS, RESULT_COLUMNS, privacy_utility_frontier
from tabinvert.report import _plots, render_html
from tabinvert.report._recommend import RISE_TOLERANCE, recommendations

SENSITIVE = "secret"
ACCESS = {"MAP": "outputs", "LOMIA": "labels", "MAP (imputation prior)": "outputs"}
NUMBER = r"([+-]?\d+\.\d+)"


# ----------------------------------------------------------------------------- the grid
def _results(leak, gap):
    """Members' and non-members' advantage [CI] per attack.

    Leak: MAP and LOMIA leak on the members. No leak: no interval above 0, and LOMIA's
    members' advantage is -0.088 (below imputation). Gap: the non-members do much worse —
    without a leak that is the LOMIA case of a gap of +1.323 with no memorisation.
    """
    members = (
        {
            "MAP": (0.300, 0.22, 0.38),
            "LOMIA": (0.120, 0.05, 0.19),
            "MAP (imputation prior)": (0.140, 0.08, 0.20),
        }
        if leak
        else {
            "MAP": (0.020, -0.05, 0.09),
            "LOMIA": (-0.088, -0.15, -0.02),
            "MAP (imputation prior)": (0.010, -0.04, 0.06),
        }
    )
    rows = []
    for population in ("members", "non-members"):
        rows.append(_result_row("imputation", population, 0.0, 0.0, 0.0))
        for attack, (value, low, high) in members.items():
            if population == "non-members":
                shift = (1.411 - 0.088 if attack == "LOMIA" else 0.25) if gap else 0.01
                value, low, high = value - shift, low - shift, high - shift
            rows.append(_result_row(attack, population, value, low, high))
    return pd.DataFrame(rows).reindex(columns=RESULT_COLUMNS)


def _result_row(attack, population, value, low, high):
    return dict(
        attack=attack,
        access=ACCESS.get(attack, "none"),
        population=population,
        sensitive=SENSITIVE,
        metric="accuracy",
        score=0.8,
        score_ci_low=0.76,
        score_ci_high=0.84,
        baseline_score=0.7,
        advantage=value,
        advantage_ci_low=low,
        advantage_ci_high=high,
        verdict="",
        n_records=400,
        query_rows=400,
        query_calls=1,
        query_rows_sent=400,
        seconds=0.1,
        notes="",
    )


def _defenses(results, hurts):
    """The sweep: "none" (the results), "round" and "labels" (keep the arg-max, no utility
    lost) and "noise" (costs 0.05). Under "labels", MAP loses its probabilities; when it
    ``hurts``, "MAP (imputation prior)" gains +0.110 under it (from +0.140 to +0.250 with a
    leak), while the worst case still falls: without the rule, "labels" would be recommended.
    """
    members = results[
        (results["population"] == "members") & (results["attack"] != "imputation")
    ].set_index("attack")["advantage"]
    sweep = {
        "none": (0.90, True, dict(members)),
        "round": (0.90, True, {a: v - (0.02 if a == "MAP" else 0.0) for a, v in members.items()}),
        "labels": (
            0.90,
            True,
            {
                "MAP": members["MAP"] - 0.25,
                "LOMIA": members["LOMIA"],
                "MAP (imputation prior)": members["MAP (imputation prior)"]
                + (0.110 if hurts else -0.04),
            },
        ),
        "noise": (0.85, False, {a: v - 0.10 for a, v in members.items()}),
    }
    rows = []
    for defense, (utility, argmax, advantages) in sweep.items():
        for attack, value in advantages.items():
            for population, shift in (("members", 0.0), ("non-members", 0.05)):
                value_here = value - shift
                rows.append(
                    dict(
                        _result_row(
                            attack, population, value_here, value_here - 0.07, value_here + 0.07
                        ),
                        defense=defense,
                        keeps_argmax=argmax,
                        keeps_row_sums=True,
                        utility_metric="accuracy",
                        utility=utility,
                        utility_change=utility - 0.90,
                        log_loss=0.4,
                    )
                )
    return pd.DataFrame(rows).reindex(columns=DEFENSE_COLUMNS + RESULT_COLUMNS)


def _hits(n, baseline_right, attack_right, rng):
    """Paired hit flags of ``n`` records: imputation right on ``baseline_right`` of them, the
    attack right on ``attack_right`` (first on those imputation gets right), shuffled."""
    base = np.arange(n) < baseline_right
    attack = np.arange(n) < attack_right
    order = rng.permutation(n)
    return attack[order], base[order]


def _exposure_tables(separates):
    """By-group and disparity tables computed from synthetic per-record hits.

    Separates: towns "a" and "b" (150 records each) leak strongly — "a" slightly more
    (advantage 0.667 against 0.653) but with the *lower* mean exposure (-0.083 against +0.300),
    the report's old mistake — while "c" and "d" barely leak; "e" (10 records) is too small
    to compare whatever its advantage. The distinctive records are 60 of town "a".
    Otherwise every town has the same hits, so no group can separate.
    """
    rng = np.random.default_rng(0)
    plan = (
        {"a": (150, 75, 125), "b": (150, 75, 124), "c": (150, 75, 78), "d": (150, 75, 78)}
        if separates
        else {town: (150, 75, 90) for town in "abcd"}
    )
    plan["e"] = (10, 5, 10)
    exposure_by_town = {"a": -0.083, "b": 0.300, "c": 0.0, "d": 0.0, "e": 0.4}
    towns, attack, base, exposure = [], [], [], []
    for town, (n, baseline_right, attack_right) in plan.items():
        a, b = _hits(n, baseline_right, attack_right, rng)
        towns += [town] * n
        attack.append(a)
        base.append(b)
        exposure += [exposure_by_town[town]] * n
    towns = np.array(towns)
    n = len(towns)
    distinctive = np.full(n, "typical", dtype=object)
    if separates:
        distinctive[np.flatnonzero(towns == "a")[:60]] = "distinctive"
    else:
        distinctive[rng.choice(n, 60, replace=False)] = "distinctive"
    per_record = pd.DataFrame(
        dict(
            record=np.arange(n),
            position=np.arange(n),
            sensitive=SENSITIVE,
            attack="MAP",
            exposure=exposure,
            attack_correct=np.concatenate(attack),
            baseline_correct=np.concatenate(base),
        )
    )
    groups = {"distinctive records": distinctive, "town": towns}
    by_group = _group_table(per_record, groups, min_group_size=20)
    return by_group, _disparity(by_group)


def grid_assessment(leak, gap, hurts, separates):
    results = _results(leak, gap)
    membership_gap = _membership_gap(results)
    summary = _summary(results, membership_gap, 0.95)
    defenses = _defenses(results, hurts)
    by_group, disparity = _exposure_tables(separates)
    return Assessment(
        summary=summary,
        results=results,
        membership_gap=membership_gap,
        exposed_records=pd.DataFrame(),
        by_group=by_group,
        disparity=disparity,
        defenses=defenses,
        frontier=privacy_utility_frontier(defenses),
        threat_model="A synthetic threat model.",
        metadata=dict(sensitive=[SENSITIVE], confidence=0.95, model="synthetic"),
    )


GRID = list(itertools.product([True, False], repeat=4))
GRID_IDS = [
    "-".join(
        name if on else f"no {name}" for name, on in zip(("leak", "gap", "hurts", "separates"), c)
    )
    for c in GRID
]


# ----------------------------------------------------------------------------- reading
def _plain(fragment):
    """The text of an HTML fragment, tags removed, entities decoded, spaces collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\xa0", " ")
    return re.sub(r"\s+", " ", text).strip()


def _sentences(text):
    return [s for s in re.split(r"(?<=[.!?])\s+(?=[A-Z])", text) if s]


def _html_table(page, heading):
    """Rows (lists of cell texts) of the first table after ``<h3>heading</h3>``."""
    start = page.index(f"<h3>{heading}</h3>")
    block = page[start : page.index("</table>", start)]
    return [
        [_plain(cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]
        for row in re.findall(r"<tr>(.*?)</tr>", block, flags=re.S)
        if "<td" in row
    ]


def _section(page, anchor):
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


def _reference_holm(p_values):
    """Holm's adjustment written out from its definition (for the check, not the code's)."""
    p = [float(v) for v in p_values if np.isfinite(v)]
    m = len(p)
    ranked = sorted(p)
    adjusted = {}
    for i, value in enumerate(ranked):
        adjusted[value] = max(
            min(1.0, (m - j) * ranked[j]) for j in range(i + 1)
        )  # step-down: monotone
    return [adjusted[float(v)] if np.isfinite(v) else np.nan for v in p_values]


def _expected_memorised(assessment):
    members = assessment.results[assessment.results["population"] == "members"]
    members = members.set_index("attack")
    return {
        row["attack"]
        for _, row in assessment.membership_gap.iterrows()
        if row["gap_ci_low"] > 0 and members.loc[row["attack"], "advantage_ci_low"] > 0
    }


def _gains(assessment):
    """(defense, attack, undefended, defended) of every attack whose members' advantage rises."""
    sweep = assessment.defenses
    sweep = sweep[sweep["population"] == "members"]
    none = sweep[sweep["defense"] == "none"].set_index("attack")["advantage"]
    return {
        (row["defense"], row["attack"], none[row["attack"]], row["advantage"])
        for _, row in sweep[sweep["defense"] != "none"].iterrows()
        if row["advantage"] - none[row["attack"]] > RISE_TOLERANCE
    }


@pytest.fixture(autouse=True)
def _no_figures(monkeypatch):
    """The sentences are under test, not the figures: render without drawing them."""
    monkeypatch.setattr(_plots, "load_matplotlib", lambda: None)


# ----------------------------------------------------------------------------- the grid tests
@pytest.mark.parametrize("leak, gap, hurts, separates", GRID, ids=GRID_IDS)
def test_every_sentence_agrees_with_its_numbers(leak, gap, hurts, separates):
    assessment = grid_assessment(leak, gap, hurts, separates)
    page = render_html(assessment)
    advice = [_plain(item) for item in recommendations(assessment)]
    text = _plain(page)
    sentences = _sentences(text)

    # -- memorisation: said of exactly the attacks that leak on members *and* have a gap.
    memorised = _expected_memorised(assessment)
    assert bool(memorised) == (leak and gap)  # the grid covers both sides
    for sentence in sentences:
        if "memorised them" in sentence and "only when" not in sentence:
            assert memorised, sentence
            named = {a for a in ACCESS if f"{a} on {SENSITIVE} (gap" in sentence}
            assert named <= memorised, sentence
    claimed = [a for a in advice if "the model memorised them" in a]
    assert bool(claimed) == bool(memorised)
    for attack in memorised:
        assert f"{attack} on {SENSITIVE} (gap" in claimed[0]
    readings = {row[1]: row[-1] for row in _html_table(page, "Members vs non-members")}
    assert {a for a, r in readings.items() if r == "memorisation"} == memorised
    if gap and not leak:  # the LOMIA case: a +1.323 gap, members at -0.088, no memorisation
        lomia = assessment.membership_gap.set_index("attack").loc["LOMIA"]
        assert lomia["gap"] == pytest.approx(1.323) and lomia["gap_ci_low"] > 0
        assert "not memorisation" in readings["LOMIA"]
        assert any("+1.323" in a and "does not leak" in a for a in advice)
    summary = _plain(_section(page, "summary"))
    assert ("memorised" in summary) == (assessment.summary.loc[0, "attack"] in memorised)

    # -- "still up to" only ever precedes a positive number.
    for value in re.findall(r"still up to " + NUMBER, text):
        assert float(value) > 0, value
    assert not re.search(r"up to -", text)
    lomia_under = assessment.defenses[
        assessment.defenses["keeps_argmax"]
        & (assessment.defenses["defense"] != "none")
        & (assessment.defenses["attack"] == "LOMIA")
        & (assessment.defenses["population"] == "members")
    ]["advantage"].max()
    if lomia_under > 0:
        assert f"still up to {lomia_under:+.3f}" in text
    else:
        assert "no label-only attack keeps a positive advantage" in text
    lomia = assessment.results.set_index(["attack", "population"]).loc[("LOMIA", "members")]
    assert ("cannot stop it" in text) == (lomia["advantage_ci_low"] > 0)

    # -- defenses: none recommended that lets an attack gain; the one that does is named.
    gains = _gains(assessment)
    assert bool(gains) == hurts
    gaining = {defense for defense, *_ in gains}
    recommended = re.findall(
        r"(?:lowers it most while losing at most \S+ \S+ is|under which no attack's advantage "
        r"rises is) (.+?) \(worst-case",
        " ".join(advice),
    )
    assert not set(recommended) & gaining, recommended
    if leak:
        assert recommended  # the rule does not silence every recommendation
        if hurts:  # without the rule, "labels" (the least risk at no cost) would be chosen
            risks = assessment.frontier.set_index("defense")["risk"]
            assert risks["labels"] < risks.drop(["labels", "noise"]).min()
            assert recommended[0] == "round"
    else:  # nothing leaks undefended: no defense is recommended, none is needed
        assert not recommended
        assert "no attack's interval lies above 0" in text and "need no output defense" in text
    undefended = assessment.frontier.set_index("defense").loc["none", "risk"]
    if undefended > 0:
        assert f"the worst-case advantage on the training records is {undefended:+.3f}" in text
    frontier = {row[0]: row[-1] for row in _html_table(page, "Privacy–utility frontier")}
    per_attack = {
        (row[0], row[2]): row[-1]
        for row in _html_table(page, "Defenses: attacks under each defense")
    }
    for defense, attack, before, after in gains:
        rise = f"{attack} on {SENSITIVE} rises from {before:+.3f} to {after:+.3f}"
        assert any(f"Not recommended: under {defense}" in a and rise in a for a in advice)
        assert rise in frontier[defense]
        assert per_attack[(defense, attack)] == f"{after - before:+.3f} (gains)"
    for defense in set(frontier) - gaining - {"none"}:
        assert frontier[defense] == "none"
        assert not any(f"Not recommended: under {defense} " in a for a in advice)

    # -- subgroups: ranked by advantage; named only when separating after Holm.
    by_group = assessment.by_group
    for grouping, part in by_group.groupby("group", sort=False):
        tested = part[np.isfinite(part["p_value"])]
        adjusted = (
            tested["p_value"].to_numpy()
            if len(part) == 2
            else np.array(_reference_holm(tested["p_value"].to_numpy()))
        )
        np.testing.assert_allclose(tested["p_adjusted"], adjusted)
        separating = tested[adjusted < 0.05]
        assert (part["separates"] == (part["p_adjusted"] < 0.05)).all()
        quiet = [a for a in advice if f"For {SENSITIVE}, no subgroup stands out by" in a]
        said = bool(quiet) and f"by {grouping}" in quiet[0].split(":")[0]
        assert said == separating.empty, grouping
        above = separating[separating["advantage"] > separating["rest_advantage"]]
        found = re.findall(
            rf"Records with ((?:{re.escape(grouping)} = \S+?)(?: and with "
            rf"{re.escape(grouping)} = \S+?)*) stand out as the most exposed",
            " ".join(advice),
        )
        named = found[0].replace(f"{grouping} = ", "").split(" and with ") if found else []
        if above.empty:
            assert not named
            continue
        # Every group above the rest after Holm, largest advantage first, and no other.
        ranked = above.sort_values("advantage", ascending=False)
        assert named == [str(v) for v in ranked["value"]]
        sentence = next(a for a in advice if f"Records with {grouping} = {named[0]}" in a)
        for _, group in ranked.iterrows():
            ci = f"{group['advantage']:+.3f} [{group['advantage_ci_low']:+.3f}, "
            rest = f"against {group['rest_advantage']:+.3f} on the other training records"
            assert ci in sentence and rest in sentence
    assert bool(separates) == bool(by_group["separates"].any())
    if separates:  # the case: "a" has the larger advantage, "b" the larger exposure
        town = by_group[by_group["group"] == "town"].set_index("value")
        assert town.loc["a", "advantage"] > town.loc["b", "advantage"]
        assert town.loc["a", "mean_exposure"] < town.loc["b", "mean_exposure"]
        assert "Records with town = a and with town = b stand out as the most exposed" in (
            " ".join(advice)
        )  # both separate from the rest; "a" first, by its larger advantage
    assert "town = e" not in " ".join(advice)  # too small to compare, never named
    disparity = {row[2]: row[-1] for row in _html_table(page, "Disparity between subgroups")}
    for _, row in assessment.disparity.iterrows():
        reading = disparity[row["group"]]
        if row["most_exposed"] is not None:
            assert reading.startswith(f"{row['most_exposed']} stands out: most exposed")
        elif not row["separates"]:
            assert reading == "no subgroup stands out"
        else:
            assert reading.startswith("none stands out as more exposed")


# ----------------------------------------------------------------------------- pieces
def test_holm_adjustment():
    np.testing.assert_allclose(
        _holm([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02], rtol=1e-12
    )
    np.testing.assert_allclose(_holm([0.2, np.nan, 0.8]), [0.4, np.nan, 0.8], rtol=1e-12)
    rng = np.random.default_rng(3)
    for _ in range(50):
        p = rng.uniform(0, 0.2, rng.integers(1, 9))
        np.testing.assert_allclose(_holm(p), _reference_holm(p), rtol=1e-12)


def test_group_advantage_interval_matches_a_bootstrap():
    """The delta-method standard error of the advantage is the bootstrap's, within 10%."""
    rng = np.random.default_rng(1)
    n = 400
    base = rng.random(n) < 0.55
    attack = np.where(base, rng.random(n) < 0.9, rng.random(n) < 0.45)
    advantage, se = _advantage_se(attack, base)
    b = base.mean()
    assert advantage == pytest.approx((attack.mean() - b) / (1 - b))
    draws = rng.integers(0, n, (4000, n))
    a_star, b_star = attack[draws].mean(axis=1), base[draws].mean(axis=1)
    boot = (a_star - b_star) / (1 - b_star)
    assert se == pytest.approx(boot.std(), rel=0.10)


def test_group_tests_hold_their_level_when_groups_do_not_differ():
    """Without a real difference, a grouping separates in about 5% of samples (Holm is
    family-wise), not more; with a real one, almost always."""
    rng = np.random.default_rng(2)

    def one(difference):
        n = 400
        towns = rng.integers(0, 4, n).astype(str)
        base = rng.random(n) < 0.5
        chance = np.where(towns == "0", 0.5 + difference, 0.5)
        attack = base | (rng.random(n) < chance)
        records = pd.DataFrame(
            dict(
                position=np.arange(n),
                sensitive="s",
                attack="A",
                exposure=0.0,
                attack_correct=attack,
                baseline_correct=base,
            )
        )
        return _group_table(records, {"town": towns}, 20)["separates"].any()

    null = np.mean([one(0.0) for _ in range(300)])
    assert null <= 0.09, null
    power = np.mean([one(0.4) for _ in range(40)])
    assert power >= 0.9, power


def test_old_subgroup_tables_name_no_group():
    """An assessment from before the per-group tests (mean exposure ranked the groups) names no
    group as most exposed: nothing shows that one separates."""
    by_group = pd.DataFrame(
        dict(
            sensitive=SENSITIVE,
            attack="MAP",
            group="town",
            value=["a", "b"],
            n_records=[100, 100],
            attack_success=[0.83, 0.83],
            baseline_success=[0.5, 0.5],
            advantage=[0.667, 0.651],
            mean_exposure=[-0.083, 0.2],
            reliable=[True, True],
        )
    )
    disparity = pd.DataFrame(
        [
            dict(
                sensitive=SENSITIVE,
                attack="MAP",
                group="town",
                most_exposed="b",
                least_exposed="a",
                advantage_gap=-0.016,
                exposure_gap=0.283,
            )
        ]
    )
    empty = pd.DataFrame()
    old = Assessment(
        summary=empty,
        results=empty,
        membership_gap=empty,
        exposed_records=empty,
        by_group=by_group,
        disparity=disparity,
    )
    advice = " ".join(recommendations(old))
    assert "most exposed" in advice and "not tested" in advice
    assert "stand out as the most exposed" not in advice
    page = render_html(old)
    assert "not tested" in _plain(_section(page, "results"))
    rows = _html_table(page, "Subgroup exposure")
    assert [row[3] for row in rows] == ["a", "b"]  # ranked by advantage, not exposure

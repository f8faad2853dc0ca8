"""The assessment's private rules, on hand-made tables: the risk level of an advantage and its
interval, the headline sentence and levels per access (family-wise bounds, white-box attacks,
the attacker's data size), the attack whose probabilities rate each record's exposure, the
distinctive records, and the report's own copy of the headline's rule.

These tests import the assessment's and the report's private modules on purpose (see README.md
in this folder): a table made by hand reaches each rule in a case a real model gives only by
chance. ``tabinvert.assess`` applies them end to end in tests/assessment/.
"""

import numpy as np
import pandas as pd
import pytest

from tabinvert.assessment._aux_sizes import check_aux_sizes
from tabinvert.assessment._exposure import _distinctive_groups, _exposure_attack, _typicality
from tabinvert.assessment._summary import _deciding, _risk_level, _summary
from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion
from tabinvert.evaluation import RESULT_COLUMNS
from tabinvert.report._residual import deciding

# -- the risk level (from test_readme_and_cli) --------------------------------------------------


def test_risk_level_reads_the_lower_bound_first_then_the_advantage():
    """The rule as the README's table states it (checked against the table in
    tests/cli/test_readme_and_cli.py): the interval's lower end first, then the advantage."""
    assert _risk_level(0.5, 0.0) == _risk_level(0.5, -0.1) == "none"
    assert _risk_level(0.04, 0.01) == "low"
    assert _risk_level(0.05, 0.01) == _risk_level(0.19, 0.01) == "medium"
    assert _risk_level(0.20, 0.01) == "high"


# -- the summary (from test_assessment and test_verdicts) ----------------------------------------


def test_summary_names_the_white_box_attackers_access():
    rows = pd.DataFrame(
        [
            dict(
                attack="white-box tree",
                population="members",
                sensitive="s",
                metric="accuracy",
                score=0.9,
                baseline_score=0.5,
                advantage=0.8,
                advantage_ci_low=0.7,
                advantage_ci_high=0.9,
                advantage_ci_low_family=0.65,
                advantage_ci_high_family=0.95,
                verdict="",
                access="model",
            )
        ]
    ).reindex(columns=RESULT_COLUMNS)
    gap = pd.DataFrame(columns=["sensitive", "attack", "gap_ci_low"])
    white = _summary(rows, gap, 0.95)
    black = _summary(rows.assign(attack="MAP", access="outputs"), gap, 0.95)
    assert "holding the model file (its internals)" in white.loc[0, "sentence"]
    assert "with the model's outputs" in black.loc[0, "sentence"]
    # The white-box attack decides the model-file level only; through the API: not assessed
    # attacks leave the API verdict with no attack, and the headline is the model file's.
    assert white.loc[0, "risk_level_model_file"] == "high"
    assert white.loc[0, "risk_level_api"] == "not assessed"
    assert black.loc[0, "risk_level_api"] == black.loc[0, "risk_level_model_file"] == "high"
    assert black.loc[0, "deciding_access"] == "api"


def test_exposure_attack_skips_csmia_even_when_it_decides():
    members = pd.DataFrame(
        dict(
            attack=["CSMIA", "MAP", "LOMIA"],
            advantage=[0.5, 0.3, 0.2],
            advantage_ci_low=[0.4, 0.2, 0.25],
        )
    )
    attacks = {
        "CSMIA": ConfidenceInversion(None, "s", method="csmia"),
        "MAP": ConfidenceInversion(None, "s"),
        "LOMIA": LabelOnlyInversion(None, "s"),
    }
    # The deciding attack among those with probabilities: LOMIA's lower bound beats MAP's.
    assert _exposure_attack(members, attacks, "categorical") == "LOMIA"
    # With CSMIA alone there is nothing else; a numeric attribute uses errors, not scores.
    assert _exposure_attack(members[:1], {"CSMIA": attacks["CSMIA"]}, "categorical") == "CSMIA"
    assert _exposure_attack(members, attacks, "numeric") == "CSMIA"


def test_distinctive_records_with_numeric_features_only():
    rng = np.random.default_rng(13)
    X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    X.loc[:9, "a"] = 40.0  # ten far outliers
    labels = _distinctive_groups(_typicality(X, ["a", "b"]))
    assert (labels[:10] == "distinctive").all()
    assert 0.05 < (labels == "distinctive").mean() <= 0.2
    assert _distinctive_groups(np.full(100, 0.3)) is None  # nothing varies: no such group


def _members_row(attack, advantage, low, family_low, access="outputs"):
    return dict(
        attack=attack,
        access=access,
        population="members",
        sensitive="s",
        metric="accuracy",
        score=0.6,
        baseline_score=0.5,
        advantage=advantage,
        advantage_ci_low=low,
        advantage_ci_high=advantage + 0.1,
        advantage_ci_low_family=family_low,
        advantage_ci_high_family=advantage + 0.15,
        verdict="",
    )


def test_the_level_reads_the_family_wise_lower_bound_not_the_attacks_own():
    """The best attack's own interval lies above 0 but its simultaneous one does not: with
    several attacks tried, that is not evidence of a leak."""
    rows = pd.DataFrame(
        [_members_row("MAP", 0.08, 0.01, -0.02), _members_row("CSMIA", 0.03, -0.05, -0.08)]
    ).reindex(columns=RESULT_COLUMNS)
    gap = pd.DataFrame(columns=["sensitive", "attack", "gap_ci_low"])
    summary = _summary(rows, gap, 0.95)
    assert summary.loc[0, "risk_level"] == "none"
    assert "simultaneous over the attacks compared" in summary.loc[0, "sentence"]
    assert summary.loc[0, "advantage_ci_low"] == -0.02
    leaking = rows.assign(advantage_ci_low_family=[0.02, -0.08])
    assert _summary(leaking, gap, 0.95).loc[0, "risk_level"] == "medium"


def test_the_model_file_level_is_never_below_the_api_level():
    """A white-box attack with a weaker bound must not lower the model-file level: holding the
    file includes querying the model."""
    rows = pd.DataFrame(
        [
            _members_row("MAP", 0.30, 0.2, 0.15),
            _members_row("white-box tree", 0.10, 0.05, 0.03, access="model"),
        ]
    ).reindex(columns=RESULT_COLUMNS)
    gap = pd.DataFrame(columns=["sensitive", "attack", "gap_ci_low"])
    # The model-file family is larger, so its simultaneous bounds are lower than the API's.
    families = {
        "api": pd.DataFrame(
            dict(sensitive=["s"], attack=["MAP"], population=["members"], ci_low=[0.2])
        ).assign(ci_high=0.4),
        "model-file": pd.DataFrame(
            dict(
                sensitive=["s", "s"],
                attack=["MAP", "white-box tree"],
                population=["members", "members"],
                ci_low=[-0.01, 0.06],
                ci_high=[0.5, 0.2],
            )
        ),
    }
    summary = _summary(rows, gap, 0.95, families).iloc[0]
    assert summary["risk_level_api"] == "high"
    assert summary["risk_level_model_file"] == "high"  # not "medium" from the white-box attack
    assert summary["risk_level"] == "high" and summary["deciding_access"] == "api"
    api_only = _summary(rows, gap, 0.95, families, access="api").iloc[0]
    assert api_only["risk_level_model_file"] == "not assessed"
    assert api_only["risk_level"] == "high"


def test_a_white_box_attack_that_decides_is_named_with_the_api_level_beside_it():
    rows = pd.DataFrame(
        [
            _members_row("MAP", 0.02, -0.05, -0.08),
            _members_row("white-box tree", 0.40, 0.3, 0.25, access="model"),
        ]
    ).reindex(columns=RESULT_COLUMNS)
    gap = pd.DataFrame(columns=["sensitive", "attack", "gap_ci_low"])
    summary = _summary(rows, gap, 0.95).iloc[0]
    assert (summary["risk_level_api"], summary["risk_level_model_file"]) == ("none", "high")
    assert summary["deciding_access"] == "model-file"
    assert summary["attack_model_file"] == "white-box tree"
    sentence = summary["sentence"]
    assert "holding the model file" in sentence
    assert "Through the model's API alone the risk is none (best: MAP" in sentence


def test_aux_sizes_are_checked_before_anything_runs():
    assert check_aux_sizes((50, "all")) == (50, "all")
    for bad in [(0,), ("half",), (True,), (50.5,)]:
        with pytest.raises(ValueError, match="each size must be a number of auxiliary records"):
            check_aux_sizes(bad)


def test_the_worst_size_becomes_the_headline_and_says_so():
    rows = pd.DataFrame(
        [_members_row("MAP", 0.03, 0.01, 0.01), _members_row("CSMIA", 0.01, -0.02, -0.03)]
    ).reindex(columns=RESULT_COLUMNS)
    gap = pd.DataFrame(columns=["sensitive", "attack", "gap_ci_low"])
    sized = pd.DataFrame(
        [
            dict(sensitive="s", attack="MAP", aux_size=50, repeats=5, score=0.7,
                 baseline_score=0.5, advantage=0.25, advantage_ci_low=0.1,
                 advantage_ci_high=0.4, risk_level="high"),
            dict(sensitive="s", attack="MAP", aux_size="all", repeats=1, score=0.6,
                 baseline_score=0.5, advantage=0.03, advantage_ci_low=0.01,
                 advantage_ci_high=0.05, risk_level="low"),
        ]
    )  # fmt: skip
    plain = _summary(rows, gap, 0.95).iloc[0]
    assert plain["risk_level"] == "low" and plain["aux_size"] == "all"
    out = _summary(rows, gap, 0.95, sized=sized).iloc[0]
    assert out["risk_level"] == "high" and out["aux_size"] == 50
    assert out["risk_level_api"] == out["risk_level_model_file"] == "high"
    assert out["advantage"] == 0.25 and out["advantage_ci_low"] == 0.1
    assert out["deciding_access"] == "api"
    sentence = out["sentence"]
    assert sentence.startswith("With only 50 auxiliary records (averaged over 5 samples)")
    assert "accuracy 0.70, against 0.50 for imputation fitted on the same records" in sentence
    assert "advantage +0.25 (95% CI +0.10 to +0.40, Bonferroni-adjusted" in sentence
    calm = _summary(rows, gap, 0.95, sized=sized.iloc[[1]]).iloc[0]
    assert calm["risk_level"] == "low" and calm["aux_size"] == "all"
    assert calm["sentence"] == plain["sentence"]


# -- the report's copy of the headline's rule (from test_report_filing) ------------------------


def test_the_residual_rule_is_the_headline_rule():
    """The report keeps its own copy of the headline's rule (it may not import the
    assessment): both pick the same attack and level, ties, NaN and undefined included."""
    rng = np.random.default_rng(3)
    for _ in range(300):
        n = int(rng.integers(1, 5))
        advantage = rng.choice([np.nan, -0.1, 0.0, 0.03, 0.05, 0.2, 0.6], n)
        low = advantage - rng.choice([0.0, 0.02, 0.1, np.nan], n)
        rows = pd.DataFrame(
            {"attack": [f"a{i}" for i in range(n)], "advantage": advantage, "low": low}
        )
        (mine, level), (theirs, expected) = deciding(rows, "low"), _deciding(rows, low="low")
        assert (mine["attack"], level) == (theirs["attack"], expected)

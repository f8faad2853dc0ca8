"""Tests for simultaneous_advantage_intervals: family-wise intervals for several attacks'
advantages over one imputation baseline, from one shared paired bootstrap."""

import numpy as np
import pandas as pd
import pytest

from tabinvert.metrics import advantage_over_baseline, simultaneous_advantage_intervals

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def guesses(y_true, accuracy, rng):
    """Binary guesses of y_true, each right with probability ``accuracy``."""
    return np.where(rng.random(y_true.size) < accuracy, y_true, 1 - y_true)


def reguessed(y_true, baseline, share, rng):
    """The baseline's guesses with ``share`` of them redrawn, just as accurate (0.6): an attack
    strongly correlated with the baseline and no better than it."""
    return np.where(rng.random(y_true.size) < share, guesses(y_true, 0.6, rng), baseline)


# --------------------------------------------------------------------------------------------
# (a) The false-alarm rate under the null, corrected and not
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("attacks_kind", ["independent", "reguessed"])
def test_family_wise_false_alarm_rate_under_the_null(attacks_kind):
    # Six attacks no better than the baseline (true advantage 0): independent guessers as
    # accurate as the baseline, or the baseline with 30% of its guesses redrawn alike. "Some
    # lower bound > 0" must stay within 5% (plus Monte-Carlo slack) with the simultaneous
    # intervals; with per-attack 95% intervals it is clearly more frequent.
    rng = np.random.default_rng(20240607)
    reps, n, n_attacks, n_resamples = 400, 200, 6, 200
    simultaneous = per_attack = 0
    for rep in range(reps):
        y_true = rng.integers(0, 2, n)
        baseline = guesses(y_true, 0.6, rng)
        if attacks_kind == "independent":
            attacks = {f"a{j}": guesses(y_true, 0.6, rng) for j in range(n_attacks)}
        else:
            attacks = {f"a{j}": reguessed(y_true, baseline, 0.3, rng) for j in range(n_attacks)}
        table = simultaneous_advantage_intervals(
            y_true, attacks, baseline, n_resamples=n_resamples, random_state=rep
        )
        simultaneous += bool(table["ci_low"].max() > 0)
        per_attack += any(
            advantage_over_baseline(
                y_true, attack, baseline, n_resamples=n_resamples, random_state=rep
            ).ci_low
            > 0
            for attack in attacks.values()
        )
    slack = 2.5 * np.sqrt(0.05 * 0.95 / reps)  # 2.5 Monte-Carlo standard errors at 5%
    assert simultaneous / reps <= 0.05 + slack
    assert per_attack / reps > 0.05 + slack
    assert per_attack >= 1.5 * simultaneous


def test_critical_value_grows_with_the_family():
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 2, 2000)
    baseline = guesses(y_true, 0.6, rng)
    attacks = {f"a{j}": guesses(y_true, 0.6, rng) for j in range(8)}
    one = simultaneous_advantage_intervals(y_true, {"a0": attacks["a0"]}, baseline, random_state=0)
    eight = simultaneous_advantage_intervals(y_true, attacks, baseline, random_state=0)
    assert one["critical_value"].iloc[0] == pytest.approx(1.96, abs=0.15)
    # Eight correlated attacks: well above 1.96, below Bonferroni's 2.73.
    assert 2.3 < eight["critical_value"].iloc[0] < 2.8
    assert (eight["ci_high"] - eight["ci_low"]).iloc[0] > (one["ci_high"] - one["ci_low"]).iloc[0]


# --------------------------------------------------------------------------------------------
# (b) A real leak is still detected
# --------------------------------------------------------------------------------------------


def test_a_real_leak_is_detected_among_null_attacks():
    rng = np.random.default_rng(7)
    for rep in range(20):
        y_true = rng.integers(0, 2, 300)
        baseline = guesses(y_true, 0.6, rng)
        attacks = {f"null{j}": guesses(y_true, 0.6, rng) for j in range(5)}
        attacks["leaky"] = guesses(y_true, 0.85, rng)
        table = simultaneous_advantage_intervals(
            y_true, attacks, baseline, n_resamples=300, random_state=rep
        ).set_index("attack")
        assert table.loc["leaky", "ci_low"] > 0
        assert table["ci_low"].idxmax() == "leaky"
        assert (table["ci_low"] <= table["advantage"]).all()
        assert (table["advantage"] <= table["ci_high"]).all()


# --------------------------------------------------------------------------------------------
# (c) One attack: the per-attack studentised interval
# --------------------------------------------------------------------------------------------


def test_one_attack_is_close_to_the_percentile_interval():
    rng = np.random.default_rng(2)
    y_true = rng.integers(0, 3, 3000)
    baseline = np.where(rng.random(3000) < 0.5, y_true, rng.integers(0, 3, 3000))
    attack = np.where(rng.random(3000) < 0.65, y_true, rng.integers(0, 3, 3000))
    for metric in ("accuracy", "balanced_accuracy", "mcc"):
        row = simultaneous_advantage_intervals(
            y_true, {"attack": attack}, baseline, metric=metric, random_state=0
        ).iloc[0]
        adv = advantage_over_baseline(y_true, attack, baseline, metric=metric, random_state=0)
        assert row["advantage"] == pytest.approx(adv.advantage, rel=1e-12)
        assert row["attack_score"] == pytest.approx(adv.attack_score, rel=1e-12)
        assert row["baseline_score"] == pytest.approx(adv.baseline_score, rel=1e-12)
        width = adv.ci_high - adv.ci_low
        assert row["ci_low"] == pytest.approx(adv.ci_low, abs=0.1 * width)
        assert row["ci_high"] == pytest.approx(adv.ci_high, abs=0.1 * width)


# --------------------------------------------------------------------------------------------
# The shared resamples, and every metric
# --------------------------------------------------------------------------------------------


def test_identical_attacks_get_identical_intervals():
    # With draws of their own, two copies of one attack would get slightly different intervals.
    rng = np.random.default_rng(6)
    y_true = rng.integers(0, 2, 400)
    baseline, attack = guesses(y_true, 0.6, rng), guesses(y_true, 0.7, rng)
    other = guesses(y_true, 0.65, rng)
    table = simultaneous_advantage_intervals(
        y_true, {"a": attack, "b": other, "a_again": attack}, baseline, random_state=0
    )
    columns = ["advantage", "ci_low", "ci_high", "se"]
    assert table.loc[0, columns].tolist() == table.loc[2, columns].tolist()


@pytest.mark.parametrize(
    "metric, kwargs",
    [
        ("accuracy", {}),
        ("balanced_accuracy", {}),
        ("mcc", {}),
        ("f1", {}),
        ("f1", {"positive_value": 1}),
        ("gmean", {}),
        ("within_tolerance", {"tolerance": 0.5}),
        ("mae", {}),
        ("rmse", {}),
    ],
)
def test_every_metric_matches_the_per_attack_point_estimates(metric, kwargs):
    rng = np.random.default_rng(8)
    n = 400
    if metric in ("within_tolerance", "mae", "rmse"):
        y_true = rng.normal(size=n)
        baseline = y_true + rng.normal(size=n)
        attacks = {"good": y_true + 0.3 * rng.normal(size=n), "bad": y_true + rng.normal(size=n)}
    else:
        y_true = rng.integers(0, 2, n)
        baseline = guesses(y_true, 0.6, rng)
        attacks = {"good": guesses(y_true, 0.8, rng), "bad": guesses(y_true, 0.6, rng)}
    table = simultaneous_advantage_intervals(
        y_true, attacks, baseline, metric=metric, n_resamples=300, random_state=0, **kwargs
    )
    assert table["attack"].tolist() == ["good", "bad"]
    assert table["metric"].eq(metric).all() and table["n"].eq(n).all()
    for _, row in table.iterrows():
        adv = advantage_over_baseline(
            y_true, attacks[row["attack"]], baseline, metric=metric, n_resamples=10, **kwargs
        )
        assert row["advantage"] == pytest.approx(adv.advantage, rel=1e-12, abs=1e-15)
        assert row["attack_score"] == pytest.approx(adv.attack_score, rel=1e-12, abs=1e-15)
        assert row["ci_low"] < row["advantage"] < row["ci_high"] <= 1.0
    assert table["critical_value"].nunique() == 1
    assert table.loc[0, "ci_low"] > 0  # the good attack beats the baseline


def test_callable_metric_and_containers():
    rng = np.random.default_rng(9)
    y_true = rng.integers(0, 2, 150)
    baseline = guesses(y_true, 0.6, rng)
    first, second = guesses(y_true, 0.8, rng), guesses(y_true, 0.6, rng)

    def hit_rate(true, pred):
        return float(np.mean(true == pred))

    by_callable = simultaneous_advantage_intervals(
        y_true, [first, second], baseline, metric=hit_rate, n_resamples=50, random_state=0
    )
    assert by_callable["attack"].tolist() == [0, 1]
    assert by_callable["metric"].eq("hit_rate").all()
    by_name = simultaneous_advantage_intervals(
        y_true, [first, second], baseline, n_resamples=50, random_state=0
    )
    np.testing.assert_allclose(by_callable["advantage"], by_name["advantage"], rtol=1e-12)

    frame = pd.DataFrame({"first": first, "second": second})
    from_frame = simultaneous_advantage_intervals(y_true, frame, baseline, random_state=0)
    from_dict = simultaneous_advantage_intervals(
        y_true, {"first": first, "second": second}, baseline, random_state=0
    )
    pd.testing.assert_frame_equal(from_frame, from_dict)


# --------------------------------------------------------------------------------------------
# (d) Degenerate attacks, NaN
# --------------------------------------------------------------------------------------------


def test_attack_identical_to_the_baseline_is_degenerate_and_left_out_of_the_max():
    rng = np.random.default_rng(10)
    y_true = rng.integers(0, 2, 300)
    baseline = guesses(y_true, 0.6, rng)
    attacks = {"a": guesses(y_true, 0.7, rng), "b": guesses(y_true, 0.6, rng)}
    without = simultaneous_advantage_intervals(y_true, attacks, baseline, random_state=0)
    with_copy = simultaneous_advantage_intervals(
        y_true, {**attacks, "copy": baseline.copy()}, baseline, random_state=0
    )
    copy = with_copy.set_index("attack").loc["copy"]
    assert copy["advantage"] == 0.0
    assert copy["ci_low"] == 0.0 and copy["ci_high"] == 0.0 and copy["se"] == 0.0
    # Its outcomes add no new joint cell, so the resamples are the same: the other rows and the
    # critical value do not move.
    pd.testing.assert_frame_equal(with_copy.iloc[:2], without)


def test_perfect_baseline_gives_nan_rows():
    y_true = np.array([0, 1] * 20)
    table = simultaneous_advantage_intervals(
        y_true, {"a": 1 - y_true, "b": y_true}, y_true, n_resamples=50, random_state=0
    )
    assert table["advantage"].isna().all()
    assert table[["ci_low", "ci_high", "critical_value"]].isna().all().all()


# --------------------------------------------------------------------------------------------
# (e) Bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attack_preds, match",
    [
        ({}, "attack_preds is empty"),
        ([], "attack_preds is empty"),
        ({"a": [0, 1, 0, 1, 1], "b": [0, 1, 0, 1]}, r"attack_preds\['b'\] has 4 values but y_true"),
        ([[0, 1, 0, 1, 1], [0, 1]], r"attack_preds\[1\] has 2 values"),
        ([0, 1, 0, 1, 1], "list of 5 single values"),
        ({"a": [0, 1, None, 1, 1]}, r"attack_preds\['a'\] has 1 missing"),
        (pd.DataFrame([[0, 1]] * 5, columns=["x", "x"]), "duplicated column labels"),
    ],
)
def test_bad_attack_preds(attack_preds, match):
    with pytest.raises(ValueError, match=match):
        simultaneous_advantage_intervals([0, 1, 0, 1, 0], attack_preds, [0, 0, 0, 0, 0])


def test_bad_baseline_and_options():
    y_true, attacks = [0, 1, 0, 1], {"a": [0, 1, 1, 1]}
    with pytest.raises(ValueError, match="baseline_pred has 3 values"):
        simultaneous_advantage_intervals(y_true, attacks, [0, 0, 0])
    with pytest.raises(ValueError, match="tolerance only applies"):
        simultaneous_advantage_intervals(y_true, attacks, [0, 0, 0, 0], tolerance=0.1)
    with pytest.raises(ValueError, match="positive_value only applies"):
        simultaneous_advantage_intervals(y_true, attacks, [0, 0, 0, 0], positive_value=1)
    with pytest.raises(ValueError, match="attack_preds"):
        simultaneous_advantage_intervals(y_true, np.array([[0, 1, 1, 1]]), [0, 0, 0, 0])
    with pytest.raises(ValueError, match="n_resamples"):
        simultaneous_advantage_intervals(y_true, attacks, [0, 0, 0, 0], n_resamples=1)
    with pytest.raises(ValueError, match="confidence"):
        simultaneous_advantage_intervals(y_true, attacks, [0, 0, 0, 0], confidence=1.0)

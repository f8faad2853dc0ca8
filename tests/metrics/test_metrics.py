"""Tests for tabinvert.metrics: scores, Wilson intervals and the advantage over imputation."""

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest

from tabinvert.metrics import (
    Advantage,
    SuccessRate,
    advantage_over_baseline,
    advantage_verdict,
    inference_scores,
    success_rate,
    wilson_interval,
)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

# The same labels in every container a caller may hold them in.
LABEL_CONTAINERS = {
    "list": list,
    "numpy-unicode": np.array,
    "numpy-object": lambda v: np.array(v, dtype=object),
    "series-object": lambda v: pd.Series(v, dtype=object),
    "series-str": lambda v: pd.Series(v, dtype="str"),
    "series-string": lambda v: pd.Series(v, dtype="string"),
}


def noisy_guesses(y_true, accuracy, rng, n_values=2):
    """Guess y_true with probability ``accuracy``, otherwise another value."""
    wrong = (y_true + rng.integers(1, n_values, size=y_true.size)) % n_values
    return np.where(rng.random(y_true.size) < accuracy, y_true, wrong)


def pairwise_auc(positive_scores, negative_scores):
    """AUC as the share of (positive, negative) pairs ranked correctly, ties counting half."""
    pos = np.asarray(positive_scores)[:, None]
    neg = np.asarray(negative_scores)[None, :]
    return float(((pos > neg) + 0.5 * (pos == neg)).mean())


# --------------------------------------------------------------------------------------------
# wilson_interval
# --------------------------------------------------------------------------------------------


def test_wilson_known_value():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=5e-5)
    assert high == pytest.approx(0.9433, abs=5e-5)
    assert isinstance(low, float) and isinstance(high, float)


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
@pytest.mark.parametrize("k, n", [(0, 1), (0, 7), (3, 7), (7, 7), (13, 200), (199, 200)])
def test_wilson_matches_scipy(k, n, confidence):
    expected = binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    low, high = wilson_interval(k, n, confidence=confidence)
    assert low == pytest.approx(expected.low, abs=1e-12)
    assert high == pytest.approx(expected.high, abs=1e-12)


def test_wilson_vectorised_and_exact_ends():
    low, high = wilson_interval(np.array([0, 5, 10]), 10)
    assert low.shape == high.shape == (3,)
    assert low[0] == 0.0 and high[2] == 1.0
    for i, k in enumerate([0, 5, 10]):
        assert (low[i], high[i]) == pytest.approx(wilson_interval(k, 10))


def test_wilson_coverage():
    # 20,000 binomial experiments at p = 0.3, n = 40: a 95% interval should cover p about
    # 95% of the time (Wilson is slightly liberal or conservative by n; 0.93-0.97 is generous).
    rng = np.random.default_rng(12345)
    p, n = 0.3, 40
    k = rng.binomial(n, p, size=20_000)
    low, high = wilson_interval(k, n)
    coverage = np.mean((low <= p) & (p <= high))
    assert 0.93 <= coverage <= 0.97


@given(n=st.integers(1, 10_000), data=st.data())
def test_wilson_contains_point_estimate(n, data):
    k = data.draw(st.integers(0, n))
    low, high = wilson_interval(k, n)
    assert 0.0 <= low <= k / n <= high <= 1.0


@pytest.mark.parametrize(
    "k, n, match",
    [(0, 0, "n_total must be positive"), (5, 4, "between 0 and n_total"), (-1, 4, "between 0")],
)
def test_wilson_rejects_bad_counts(k, n, match):
    with pytest.raises(ValueError, match=match):
        wilson_interval(k, n)


def test_wilson_rejects_bad_confidence():
    with pytest.raises(ValueError, match="confidence"):
        wilson_interval(3, 10, confidence=1.5)


# --------------------------------------------------------------------------------------------
# success_rate
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("container", LABEL_CONTAINERS.values(), ids=LABEL_CONTAINERS.keys())
def test_success_rate(container):
    y_true = container(["a", "b", "a", "a", "b"])
    result = success_rate(y_true, ["a", "b", "b", "a", "b"])
    assert isinstance(result, SuccessRate)
    assert (result.rate, result.n_success, result.n) == (0.8, 4, 5)
    assert (result.ci_low, result.ci_high) == pytest.approx(wilson_interval(4, 5))
    assert result.to_dict() == {
        "rate": 0.8,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "n_success": 4,
        "n": 5,
    }


def test_success_rate_compares_values_not_dtypes():
    # int labels against float guesses, str-dtype truth against object guesses
    assert success_rate(np.array([1, 2, 3]), np.array([1.0, 2.0, 4.0])).n_success == 2
    y_true = pd.Series(["x", "y"], dtype="str")
    assert success_rate(y_true, pd.Series(["x", "y"], dtype=object)).rate == 1.0


# --------------------------------------------------------------------------------------------
# inference_scores: categorical
# --------------------------------------------------------------------------------------------

# Hand-computed: confusion matrix (rows true a, b, c; columns guessed a, b, c)
# [[2, 1, 0], [0, 1, 1], [0, 0, 1]].
THREE_TRUE = ["a", "a", "a", "b", "b", "c"]
THREE_PRED = ["a", "a", "b", "b", "c", "c"]
THREE_EXPECTED = {
    "accuracy": 4 / 6,
    "balanced_accuracy": (2 / 3 + 1 / 2 + 1) / 3,
    # sklearn's multiclass MCC: (4·6 − 12) / sqrt((36 − 14)(36 − 12))
    "mcc": 12 / math.sqrt(22 * 24),
    "precision": (1 + 1 / 2 + 1 / 2) / 3,
    "recall": (2 / 3 + 1 / 2 + 1) / 3,
    "f1": (0.8 + 0.5 + 2 / 3) / 3,
    "gmean": (2 / 3 * 1 / 2 * 1) ** (1 / 3),
    "n": 6,
}


@pytest.mark.parametrize("true_container", LABEL_CONTAINERS.values(), ids=LABEL_CONTAINERS.keys())
@pytest.mark.parametrize("pred_container", [list, lambda v: pd.Series(v, dtype="str")])
def test_categorical_scores_by_hand(true_container, pred_container):
    scores = inference_scores(true_container(THREE_TRUE), pred_container(THREE_PRED))
    assert scores == pytest.approx(THREE_EXPECTED)
    assert list(scores) == list(THREE_EXPECTED)
    assert isinstance(scores["n"], int)


def test_categorical_scores_for_positive_value():
    scores = inference_scores(THREE_TRUE, THREE_PRED, positive_value="b")
    # value b: 1 right of 2 guessed (precision), 1 of 2 found (recall)
    assert (scores["precision"], scores["recall"], scores["f1"]) == pytest.approx((0.5, 0.5, 0.5))
    assert scores["accuracy"] == pytest.approx(4 / 6)  # unaffected


def test_binary_scores_by_hand():
    y_true = pd.Series(["single", "married", "married", "single"], dtype="str")
    y_pred = pd.Series(["single", "married", "single", "single"], dtype=object)
    scores = inference_scores(y_true, y_pred, positive_value="married")
    # TP 1, FN 1, TN 2, FP 0
    expected = {
        "accuracy": 0.75,
        "balanced_accuracy": 0.75,
        # (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN))
        "mcc": 2 / math.sqrt(1 * 3 * 2 * 2),
        "precision": 1.0,
        "recall": 0.5,
        "f1": 2 / 3,
        "gmean": math.sqrt(0.5 * 1.0),
        "n": 4,
    }
    assert scores == pytest.approx(expected)


def test_majority_guesser_scores():
    # The "always guess the majority" attacker: good accuracy, nothing else.
    y_true = np.array([0] * 8 + [1] * 2)
    scores = inference_scores(y_true, np.zeros(10, dtype=int), positive_value=1)
    assert scores["accuracy"] == pytest.approx(0.8)
    assert scores["balanced_accuracy"] == pytest.approx(0.5)
    assert scores["mcc"] == 0.0
    assert scores["precision"] == scores["recall"] == scores["f1"] == scores["gmean"] == 0.0


def test_guesses_outside_true_values_count_as_wrong():
    scores = inference_scores(["a", "a", "b", "b"], ["a", "z", "b", "b"])
    assert scores["accuracy"] == pytest.approx(0.75)
    assert scores["recall"] == pytest.approx((0.5 + 1.0) / 2)  # over a and b only
    assert scores["balanced_accuracy"] == scores["recall"]


def test_single_value_everywhere_does_not_warn():
    # warnings are errors in this suite; sklearn warns on a single label unless handled
    scores = inference_scores(["a", "a", "a"], ["a", "a", "a"])
    assert scores["accuracy"] == 1.0 and scores["mcc"] == 0.0 and scores["gmean"] == 1.0


@pytest.mark.parametrize(
    "values, expected",
    [
        (np.arange(11.0), "numeric"),
        (np.arange(10.0), "categorical"),
        (np.array([str(v) for v in range(50)], dtype=object), "categorical"),
        (pd.Series(np.arange(30), dtype="Int64"), "numeric"),
    ],
)
def test_auto_kind(values, expected):
    scores = inference_scores(values, values)
    assert ("mae" in scores) == (expected == "numeric")
    assert ("accuracy" in scores) == (expected == "categorical")


# --------------------------------------------------------------------------------------------
# inference_scores: roc_auc
# --------------------------------------------------------------------------------------------


def test_roc_auc_binary_from_frame():
    y_true = pd.Series(["no", "yes", "yes", "no", "yes"], dtype="str")
    # Scores need not be complementary: each value's AUC comes from its own column.
    y_score = pd.DataFrame({"no": [0.9, 0.1, 0.5, 0.3, 0.35], "yes": [0.1, 0.8, 0.3, 0.35, 0.9]})
    scores = inference_scores(y_true, ["no", "yes", "no", "no", "yes"], y_score=y_score)
    assert scores["roc_auc"] == pytest.approx(5 / 6)  # positive = "yes", second sorted value
    # Column order does not matter, labels do.
    reordered = inference_scores(y_true, ["no"] * 5, y_score=y_score[["yes", "no"]])
    assert reordered["roc_auc"] == pytest.approx(5 / 6)
    # The other value as positive uses its own column: "no" scores 0.9, 0.3 vs 0.1, 0.5, 0.35.
    as_no = inference_scores(y_true, ["no"] * 5, y_score=y_score, positive_value="no")
    assert as_no["roc_auc"] == pytest.approx(4 / 6)


def test_roc_auc_from_array_uses_sorted_values():
    y_true = np.array([0, 1, 1, 0, 1])
    yes = np.array([0.1, 0.8, 0.3, 0.35, 0.9])
    scores = inference_scores(y_true, y_true, y_score=np.column_stack([1 - yes, yes]))
    assert scores["roc_auc"] == pytest.approx(5 / 6)


def test_roc_auc_multiclass_is_macro_one_vs_rest():
    y_true = np.array(["a", "b", "c", "a", "b", "c", "a"], dtype=object)
    rng = np.random.default_rng(3)
    raw = rng.random((7, 3))  # not probabilities: rows do not sum to one
    y_score = pd.DataFrame(raw, columns=["c", "a", "b"])
    expected = np.mean(
        [pairwise_auc(y_score[v][y_true == v], y_score[v][y_true != v]) for v in "abc"]
    )
    scores = inference_scores(pd.Series(y_true, dtype="str"), y_true, y_score=y_score)
    assert scores["roc_auc"] == pytest.approx(expected)
    one_vs_rest_b = inference_scores(y_true, y_true, y_score=y_score, positive_value="b")
    assert one_vs_rest_b["roc_auc"] == pytest.approx(
        pairwise_auc(y_score["b"][y_true == "b"], y_score["b"][y_true != "b"])
    )


def test_roc_auc_single_true_value_is_nan():
    y_score = pd.DataFrame({"a": [0.2, 0.9], "b": [0.8, 0.1]})
    assert math.isnan(inference_scores(["a", "a"], ["b", "a"], y_score=y_score)["roc_auc"])


def test_roc_auc_absent_without_scores():
    assert "roc_auc" not in inference_scores(["a", "b"], ["a", "b"])


@pytest.mark.parametrize(
    "y_score, match",
    [
        (pd.DataFrame({"a": [0.5, 0.5, 0.5]}), "'b', which has no column"),
        (np.ones((3, 3)), "cannot be matched"),
        (np.ones(3), "must be 2-D"),
        (np.ones((2, 2)), "y_score has 2 rows"),
        (np.array([[0.1, np.nan]] * 3), "finite"),
    ],
)
def test_roc_auc_rejects_bad_scores(y_score, match):
    with pytest.raises(ValueError, match=match):
        inference_scores(["a", "b", "a"], ["a", "b", "b"], y_score=y_score)


# --------------------------------------------------------------------------------------------
# inference_scores: numeric
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("container", [list, np.array, pd.Series])
def test_numeric_scores_by_hand(container):
    scores = inference_scores(
        container([1.0, 2.0, 3.0, 4.0]),
        container([1.0, 2.5, 3.0, 3.0]),
        kind="numeric",
        tolerance=0.5,
    )
    assert scores == pytest.approx(
        {
            "mae": 0.375,
            "rmse": math.sqrt(1.25 / 4),
            "within_tolerance": 0.75,
            "tolerance": 0.5,
            "n": 4,
        }
    )


def test_numeric_default_tolerance_is_a_tenth_of_the_std():
    scores = inference_scores([1.0, 2.0, 3.0, 4.0], [1.0, 2.1, 3.0, 3.0], kind="numeric")
    assert scores["tolerance"] == pytest.approx(0.1 * math.sqrt(1.25))  # population std
    assert scores["within_tolerance"] == pytest.approx(0.75)  # |0.1| <= 0.1118, |1| is not


def test_numeric_tolerance_is_absolute_for_negative_values():
    # anonymeter's relative tolerance counts this guess as right; ours must not.
    scores = inference_scores([100.0, -5.0], [-10.0, -5.0], kind="numeric", tolerance=1.0)
    assert scores["within_tolerance"] == 0.5


def test_numeric_rejects_labels_and_categorical_only_options():
    with pytest.raises(ValueError, match="y_true must hold numbers"):
        inference_scores(["a", "b"], ["a", "b"], kind="numeric")
    with pytest.raises(ValueError, match="y_score only applies to categorical"):
        inference_scores(np.arange(20.0), np.arange(20.0), y_score=np.ones((20, 2)))
    with pytest.raises(ValueError, match="tolerance only applies to numeric"):
        inference_scores(["a", "b"], ["a", "b"], tolerance=1.0)


# --------------------------------------------------------------------------------------------
# Input validation (shared by every public function)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "function",
    [
        lambda t, p: inference_scores(t, p),
        lambda t, p: success_rate(t, p),
        lambda t, p: advantage_over_baseline(t, p, p, n_resamples=10),
    ],
    ids=["inference_scores", "success_rate", "advantage_over_baseline"],
)
class TestValidation:
    def test_length_mismatch(self, function):
        with pytest.raises(ValueError, match="has 2 values but y_true has 3"):
            function(["a", "b", "a"], ["a", "b"])

    def test_empty(self, function):
        with pytest.raises(ValueError, match="y_true is empty"):
            function([], [])

    def test_missing_true_value(self, function):
        match = r"y_true has 1 missing value\(s\) \(first at position 1\)"
        with pytest.raises(ValueError, match=match):
            function(pd.Series(["a", None, "b"], dtype="str"), ["a", "b", "b"])

    def test_missing_guess(self, function):
        with pytest.raises(ValueError, match="missing guess"):
            function([1.0, 2.0, 3.0], [1.0, np.nan, 3.0])

    def test_misaligned_index(self, function):
        with pytest.raises(ValueError, match="different indexes"):
            function(pd.Series(["a", "b"], index=[0, 1]), pd.Series(["a", "b"], index=[1, 0]))

    def test_two_dimensional(self, function):
        with pytest.raises(ValueError, match="must be 1-D"):
            function(np.array([["a"], ["b"]]), ["a", "b"])


# --------------------------------------------------------------------------------------------
# advantage_over_baseline: point estimates
# --------------------------------------------------------------------------------------------


def test_advantage_formula_by_hand():
    y_true = np.array([0, 1] * 5)
    y_baseline = y_true.copy()
    y_baseline[:4] = 1 - y_baseline[:4]  # 6 of 10 right
    y_attack = y_true.copy()
    y_attack[[0, 5]] = 1 - y_attack[[0, 5]]  # 8 of 10 right
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, random_state=0)
    assert (adv.attack_score, adv.baseline_score) == pytest.approx((0.8, 0.6))
    assert adv.advantage == pytest.approx((0.8 - 0.6) / (1 - 0.6))
    assert (adv.metric, adv.n, adv.n_resamples, adv.confidence) == ("accuracy", 10, 1000, 0.95)


def test_loss_advantage_formula_by_hand():
    y_true = [0.0, 0.0, 0.0, 0.0]
    adv = advantage_over_baseline(
        y_true, [1.0, -1.0, 1.0, 1.0], [2.0, 2.0, -2.0, 2.0], metric="mae", random_state=0
    )
    assert (adv.attack_score, adv.baseline_score) == pytest.approx((1.0, 2.0))
    assert adv.advantage == pytest.approx(1 - 1.0 / 2.0)


@pytest.mark.parametrize("metric", ["balanced_accuracy", "mcc", "f1", "gmean"])
def test_advantage_point_uses_the_inference_score(metric):
    rng = np.random.default_rng(7)
    y_true = rng.integers(0, 3, size=300)
    y_attack, y_baseline = noisy_guesses(y_true, 0.7, rng, 3), noisy_guesses(y_true, 0.5, rng, 3)
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, metric=metric, n_resamples=50)
    s_a = inference_scores(y_true, y_attack, kind="categorical")[metric]
    s_b = inference_scores(y_true, y_baseline, kind="categorical")[metric]
    assert (adv.attack_score, adv.baseline_score) == pytest.approx((s_a, s_b))
    assert adv.advantage == pytest.approx((s_a - s_b) / (1 - s_b))


def test_f1_advantage_for_a_positive_value():
    y_true = ["x", "x", "y", "y"]
    adv = advantage_over_baseline(
        y_true,
        ["x", "x", "y", "y"],
        ["x", "y", "x", "y"],
        metric="f1",
        positive_value="y",
        n_resamples=20,
        random_state=0,
    )
    assert (adv.attack_score, adv.baseline_score, adv.advantage) == pytest.approx((1, 0.5, 1))


def test_within_tolerance_advantage():
    y_true = np.arange(10.0)
    attack = y_true + np.r_[np.zeros(8), 5, 5]  # 8 within 0.5
    baseline = y_true + np.r_[np.zeros(5), np.full(5, 5)]  # 5 within 0.5
    adv = advantage_over_baseline(
        y_true, attack, baseline, metric="within_tolerance", tolerance=0.5, random_state=0
    )
    assert adv.advantage == pytest.approx((0.8 - 0.5) / 0.5)
    # default tolerance: 0.1 × std(0..9) ≈ 0.287, same hits here
    default = advantage_over_baseline(y_true, attack, baseline, metric="within_tolerance")
    assert default.advantage == pytest.approx(adv.advantage)


def test_perfect_baseline_gives_nan_and_says_so():
    y_true = ["a", "b", "a"]
    adv = advantage_over_baseline(y_true, ["a", "a", "a"], y_true, random_state=0)
    assert math.isnan(adv.advantage) and math.isnan(adv.ci_low) and math.isnan(adv.ci_high)
    assert advantage_verdict(adv).startswith("advantage undefined")
    loss = advantage_over_baseline([1.0, 2.0], [1.5, 2.0], [1.0, 2.0], metric="rmse")
    assert math.isnan(loss.advantage)
    assert "rmse is already 0" in advantage_verdict(loss)


def test_replicates_with_a_perfect_baseline_are_left_out():
    # baseline wrong on 1 record of 20: resamples without it have an undefined advantage
    y_true = np.zeros(20, dtype=int)
    y_baseline = y_true.copy()
    y_baseline[0] = 1
    adv = advantage_over_baseline(y_true, y_true, y_baseline, random_state=0)
    assert adv.advantage == 1.0
    assert (adv.ci_low, adv.ci_high) == (1.0, 1.0)


def test_callable_metric_is_a_success_metric():
    def hits(y_true, y_pred):
        return float(np.mean(y_true == y_pred))

    y_true = np.array([0, 1] * 10)
    y_attack = np.where(np.arange(20) < 3, 1 - y_true, y_true)
    y_baseline = np.where(np.arange(20) < 8, 1 - y_true, y_true)
    custom = advantage_over_baseline(
        y_true, y_attack, y_baseline, metric=hits, n_resamples=50, random_state=0
    )
    builtin = advantage_over_baseline(y_true, y_attack, y_baseline, n_resamples=50)
    assert custom.metric == "hits"
    assert custom.advantage == pytest.approx(builtin.advantage)
    again = advantage_over_baseline(
        y_true, y_attack, y_baseline, metric=hits, n_resamples=50, random_state=0
    )
    assert again == custom


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"metric": "accuracy", "tolerance": 1.0}, "tolerance only applies"),
        ({"metric": "accuracy", "positive_value": "a"}, "positive_value only applies"),
        ({"metric": "precision"}, "metric"),
        ({"n_resamples": 0}, "n_resamples"),
        ({"random_state": "seed"}, "random_state"),
    ],
)
def test_advantage_rejects_bad_options(kwargs, match):
    with pytest.raises(ValueError, match=match):
        advantage_over_baseline(["a", "b"], ["a", "b"], ["a", "a"], **kwargs)


def test_advantage_to_dict():
    adv = advantage_over_baseline([0, 1, 1], [0, 1, 1], [0, 0, 1], n_resamples=10, random_state=0)
    assert adv.to_dict() == {
        "advantage": adv.advantage,
        "ci_low": adv.ci_low,
        "ci_high": adv.ci_high,
        "attack_score": 1.0,
        "baseline_score": adv.baseline_score,
        "metric": "accuracy",
        "n": 3,
        "n_resamples": 10,
        "confidence": 0.95,
    }


# --------------------------------------------------------------------------------------------
# advantage_over_baseline: the paired bootstrap
# --------------------------------------------------------------------------------------------

ALL_METRICS = [
    "accuracy",
    "balanced_accuracy",
    "mcc",
    "f1",
    "gmean",
    "mae",
    "rmse",
    "within_tolerance",
]


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_identical_guessers_have_a_zero_interval(metric):
    rng = np.random.default_rng(0)
    y_true = rng.integers(0, 4, size=500).astype(float)
    guesses = noisy_guesses(y_true.astype(int), 0.6, rng, 4).astype(float)
    adv = advantage_over_baseline(y_true, guesses, guesses.copy(), metric=metric, random_state=1)
    assert (adv.advantage, adv.ci_low, adv.ci_high) == (0.0, 0.0, 0.0)
    verdict = advantage_verdict(adv)
    assert verdict.startswith("no measurable leakage beyond imputation (CI includes 0)")


@pytest.mark.parametrize("metric", ["accuracy", "mcc", "gmean"])
def test_independent_guessers_with_equal_rates_include_zero(metric):
    rng = np.random.default_rng(2024)
    y_true = rng.integers(0, 2, size=2000)
    y_attack, y_baseline = noisy_guesses(y_true, 0.7, rng), noisy_guesses(y_true, 0.7, rng)
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, metric=metric, random_state=0)
    assert adv.ci_low < 0 < adv.ci_high
    assert advantage_verdict(adv).startswith("no measurable leakage beyond imputation")


@pytest.mark.parametrize("metric", ["accuracy", "balanced_accuracy", "mcc", "f1", "gmean"])
def test_clearly_better_attack_excludes_zero(metric):
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 3, size=1000)
    y_attack, y_baseline = noisy_guesses(y_true, 0.9, rng, 3), noisy_guesses(y_true, 0.6, rng, 3)
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, metric=metric, random_state=0)
    assert 0 < adv.ci_low <= adv.advantage <= adv.ci_high < 1
    verdict = advantage_verdict(adv)
    assert verdict == (
        f"leaks beyond imputation: advantage {adv.advantage:.3f} "
        f"(95% CI {adv.ci_low:.3f} to {adv.ci_high:.3f})"
    )
    # and the other way round: below imputation
    worse = advantage_over_baseline(y_true, y_baseline, y_attack, metric=metric, random_state=0)
    assert worse.ci_high < 0
    assert advantage_verdict(worse).startswith("below imputation: advantage")


@pytest.mark.parametrize("metric", ["mae", "rmse", "within_tolerance"])
def test_clearly_better_numeric_attack_excludes_zero(metric):
    rng = np.random.default_rng(6)
    y_true = rng.normal(size=1000)
    y_attack = y_true + 0.3 * rng.normal(size=1000)
    y_baseline = y_true + 1.0 * rng.normal(size=1000)
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, metric=metric, random_state=0)
    assert 0 < adv.ci_low <= adv.advantage <= adv.ci_high < 1


def test_bootstrap_is_paired():
    # The attack is right wherever the baseline is, and on 20 more of 1000 records. Scored on
    # the same resampled records, the attack is never worse, so the interval is above 0; an
    # unpaired bootstrap (SE of the difference ≈ 0.022 for a 0.02 gap) would straddle 0.
    y_true = np.zeros(1000, dtype=int)
    y_baseline = np.r_[np.zeros(600, dtype=int), np.ones(400, dtype=int)]
    y_attack = np.r_[np.zeros(620, dtype=int), np.ones(380, dtype=int)]
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, random_state=0)
    assert adv.advantage == pytest.approx(0.02 / 0.4)
    assert adv.ci_low > 0


def test_bootstrap_width_matches_the_normal_approximation():
    # For accuracy the advantage is d / (1 − s_b); with a paired difference d of per-record
    # hit differences, the 95% interval half-width is ≈ 1.96 · sd(diff) / sqrt(n) / (1 − s_b).
    rng = np.random.default_rng(11)
    y_true = rng.integers(0, 2, size=5000)
    y_attack, y_baseline = noisy_guesses(y_true, 0.75, rng), noisy_guesses(y_true, 0.7, rng)
    adv = advantage_over_baseline(y_true, y_attack, y_baseline, n_resamples=4000, random_state=0)
    diff = (y_attack == y_true).astype(float) - (y_baseline == y_true)
    half_width = 1.96 * diff.std() / math.sqrt(diff.size) / (1 - adv.baseline_score)
    assert (adv.ci_high - adv.ci_low) / 2 == pytest.approx(half_width, rel=0.1)


def test_loss_bootstrap_paths_agree():
    # Integer-valued errors take the resample-the-distinct-pairs path; the same errors with a
    # tiny unique jitter take the resample-the-records path. Their intervals must agree.
    rng = np.random.default_rng(8)
    y_true = rng.integers(0, 50, size=4000).astype(float)
    y_attack = y_true + rng.integers(-2, 3, size=4000)
    y_baseline = y_true + rng.integers(-4, 5, size=4000)
    cells = advantage_over_baseline(y_true, y_attack, y_baseline, metric="mae", random_state=0)
    jitter = rng.uniform(0, 1e-9, size=4000)
    records = advantage_over_baseline(
        y_true, y_attack + jitter, y_baseline, metric="mae", random_state=0
    )
    assert cells.advantage == pytest.approx(records.advantage, abs=1e-6)
    assert cells.ci_low == pytest.approx(records.ci_low, abs=0.01)
    assert cells.ci_high == pytest.approx(records.ci_high, abs=0.01)


@pytest.mark.parametrize("metric", ALL_METRICS)
def test_bootstrap_is_deterministic(metric):
    rng = np.random.default_rng(9)
    y_true = rng.integers(0, 3, size=300).astype(float)
    y_attack = noisy_guesses(y_true.astype(int), 0.7, rng, 3).astype(float)
    y_baseline = noisy_guesses(y_true.astype(int), 0.6, rng, 3).astype(float)

    def run(random_state):
        return advantage_over_baseline(
            y_true,
            y_attack,
            y_baseline,
            metric=metric,
            n_resamples=200,
            random_state=random_state,
        )

    assert run(0) == run(0)
    assert run(0) == run(np.random.RandomState(0))  # an int seeds a RandomState, as in sklearn
    assert run(np.random.default_rng(3)) == run(np.random.default_rng(3))
    assert run(0) != run(1)


def test_string_dtypes_in_advantage():
    y_true = pd.Series(["a", "b", "c", "a"] * 25, dtype="str")
    attack = pd.Series(["a", "b", "c", "b"] * 25, dtype=object)
    baseline = np.array(["a", "a", "a", "a"] * 25)
    for metric in ["accuracy", "mcc", "gmean"]:
        adv = advantage_over_baseline(y_true, attack, baseline, metric=metric, random_state=0)
        assert adv.attack_score > adv.baseline_score


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------


@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_accuracy_advantage_properties(data):
    n = data.draw(st.integers(1, 60))
    draw = st.lists(st.integers(0, 2), min_size=n, max_size=n)
    y_true, y_attack, y_baseline = (np.array(data.draw(draw)) for _ in range(3))
    adv = advantage_over_baseline(
        y_true, y_attack, y_baseline, n_resamples=100, random_state=data.draw(st.integers(0, 99))
    )
    s_a, s_b = np.mean(y_attack == y_true), np.mean(y_baseline == y_true)
    assert adv.attack_score == pytest.approx(s_a) and adv.baseline_score == pytest.approx(s_b)
    if s_b == 1:
        assert math.isnan(adv.advantage)
        return
    assert adv.advantage <= 1
    assert adv.ci_low <= adv.ci_high <= 1
    # Paired: where the attack is right on every record the baseline gets right, no resample
    # can make it worse, so the interval cannot go below 0.
    if np.all((y_attack == y_true) | (y_baseline != y_true)):
        assert adv.ci_low >= 0
    verdict = advantage_verdict(adv)
    if adv.ci_low > 0:
        assert verdict.startswith("leaks beyond imputation")
    elif adv.ci_high < 0:
        assert verdict.startswith("below imputation")
    else:
        assert verdict.startswith("no measurable leakage")


def test_verdict_accepts_only_advantages():
    with pytest.raises(TypeError, match="adv"):
        advantage_verdict({"advantage": 0.1})
    adv = Advantage(0.1, 0.05, 0.2, 0.6, 0.55, "accuracy", 100, 1000, confidence=0.9)
    assert advantage_verdict(adv) == (
        "leaks beyond imputation: advantage 0.100 (90% CI 0.050 to 0.200)"
    )

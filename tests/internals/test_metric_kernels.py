"""The bootstrap kernels of tabinvert.metrics, checked directly: confusion-matrix scores of the
replicates, memory-bounded batches, the shared paired resamples of several attacks and the
max-statistic behind the family-wise intervals.

These tests import the metrics' private modules on purpose (see README.md in this folder): the
public functions (advantage_over_baseline, simultaneous_advantage_intervals) return the
intervals, not the replicates they are computed from. Those functions are tested in
tests/metrics/.
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tabinvert.metrics import simultaneous_advantage_intervals
from tabinvert.metrics._inference import (
    CATEGORICAL_METRICS,
    _categorical_metric,
    _confusion_metric,
)
from tabinvert.metrics._risk import (
    _MAX_BATCH_ELEMENTS,
    _advantage,
    _batches,
    _integers,
    _paired_correctness,
    _replicate_se,
    _shared_advantage_replicates,
    _simultaneous_from_replicates,
)

# -- the confusion-matrix kernel and the batches (from test_metrics) ------------------------------

# Hand-computed: confusion matrix (rows true a, b, c; columns guessed a, b, c)
# [[2, 1, 0], [0, 1, 1], [0, 0, 1]], as in tests/metrics/test_metrics.py.
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


def test_batches_bound_memory():
    n = 10**6
    batches = _batches(1000, n)
    assert batches[0] == (0, _MAX_BATCH_ELEMENTS // n)
    assert batches[-1][1] == 1000
    assert all(stop - start <= max(1, _MAX_BATCH_ELEMENTS // n) for start, stop in batches)
    assert _batches(1000, 10**9) == [(i, i + 1) for i in range(1000)]


labels = st.lists(st.integers(0, 3), min_size=1, max_size=40)


def test_confusion_kernel_by_hand():
    # THREE_TRUE / THREE_PRED as a confusion matrix, stacked twice (a batch of replicates).
    cm = np.array([[2, 1, 0], [0, 1, 1], [0, 0, 1]])
    for metric in ("accuracy", "balanced_accuracy", "mcc", "f1", "gmean"):
        assert _confusion_metric(np.stack([cm, cm]), metric) == pytest.approx(
            [THREE_EXPECTED[metric]] * 2
        ), metric
    assert _confusion_metric(cm, "f1", pos=1) == pytest.approx(0.5)
    # a value absent from the truth (row 2 empty) drops out of the macro averages
    cm_absent = np.array([[2, 1, 0], [0, 1, 1], [0, 0, 0]])
    assert _confusion_metric(cm_absent, "gmean") == pytest.approx(math.sqrt(2 / 3 * 1 / 2))


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_confusion_kernel_matches_sklearn(data):
    # The bootstrap scores replicates from confusion-matrix counts; on the full sample they
    # must equal the sklearn-based point estimates.
    true = np.array(data.draw(labels))
    pred = np.array(data.draw(st.lists(st.integers(0, 3), min_size=true.size, max_size=true.size)))
    cm = np.zeros((4, 4))
    np.add.at(cm, (true, pred), 1)
    for metric in CATEGORICAL_METRICS:
        if metric in ("precision", "recall"):
            continue  # not bootstrap metrics
        assert _confusion_metric(cm, metric) == pytest.approx(
            _categorical_metric(metric, true, pred), abs=1e-12
        ), metric
    pos = int(data.draw(st.integers(0, 3)))
    assert _confusion_metric(cm, "f1", pos=pos) == pytest.approx(
        _categorical_metric("f1", true, pred, pos=pos), abs=1e-12
    )


# -- the shared replicates and the max-statistic (from test_simultaneous_intervals) -------------


def guesses(y_true, accuracy, rng):
    """Binary guesses of y_true, each right with probability ``accuracy``."""
    return np.where(rng.random(y_true.size) < accuracy, y_true, 1 - y_true)


def studentised_interval(point, replicates, confidence):
    """The per-attack studentised bootstrap interval, by hand."""
    se = np.std(replicates, ddof=1)
    critical = np.quantile(np.abs(replicates - point) / se, confidence)
    return point - critical * se, min(point + critical * se, 1.0), critical


def test_one_attack_is_the_studentised_interval_on_the_same_replicates():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, 500)
    baseline, attack = guesses(y_true, 0.6, rng), guesses(y_true, 0.7, rng)
    row = simultaneous_advantage_intervals(
        y_true, [attack], baseline, n_resamples=500, random_state=3
    ).iloc[0]
    # One attack draws exactly the per-attack bootstrap's replicates.
    attack_score, baseline_score, replicates = _paired_correctness(
        attack == y_true, baseline == y_true, np.random.RandomState(3), 500
    )
    point = float(_advantage(attack_score, baseline_score, True))
    low, high, critical = studentised_interval(point, replicates, 0.95)
    assert row["advantage"] == point
    assert row["ci_low"] == pytest.approx(low, rel=1e-12)
    assert row["ci_high"] == pytest.approx(high, rel=1e-12)
    assert row["critical_value"] == pytest.approx(critical, rel=1e-12)
    assert row["se"] == pytest.approx(np.std(replicates, ddof=1), rel=1e-12)


def test_replicates_score_every_attack_on_the_same_resampled_records():
    # Continuous values: the records themselves are resampled (indices). Redraw the same
    # indices and score each attack and the baseline on them by hand.
    rng = np.random.default_rng(4)
    n, n_resamples = 120, 30
    y_true = rng.normal(size=n)
    baseline = y_true + rng.normal(size=n)
    attacks = [y_true + 0.5 * rng.normal(size=n), y_true + 2 * rng.normal(size=n)]
    names = ("y_true", "a0", "a1", "baseline_pred")
    _, greater, scores, baseline_score, replicates = _shared_advantage_replicates(
        y_true,
        attacks,
        baseline,
        names,
        metric="mae",
        tolerance=None,
        positive_value=None,
        rng=np.random.default_rng(5),
        n_resamples=n_resamples,
    )
    assert greater is False and replicates.shape == (n_resamples, 2)
    indices = _integers(np.random.default_rng(5), n, (n_resamples, n))
    for b, rows in enumerate(indices):
        base_loss = np.mean(np.abs(baseline[rows] - y_true[rows]))
        for j, attack in enumerate(attacks):
            attack_loss = np.mean(np.abs(attack[rows] - y_true[rows]))
            assert replicates[b, j] == pytest.approx(1 - attack_loss / base_loss, rel=1e-10)
    assert scores == pytest.approx([np.mean(np.abs(a - y_true)) for a in attacks])
    assert baseline_score == pytest.approx(np.mean(np.abs(baseline - y_true)))


def test_zero_spread_column_is_left_out_of_the_critical_value():
    rng = np.random.default_rng(11)
    replicates = rng.normal(size=(2000, 3)) * [0.1, 0.2, 0.05] + [0.1, 0.0, -0.1]
    point = np.array([0.1, 0.0, -0.1])
    low, high, critical = _simultaneous_from_replicates(point, replicates, 0.9)
    flat = np.column_stack([replicates, np.full(2000, 0.3)])
    low4, high4, critical4 = _simultaneous_from_replicates(np.append(point, 0.3), flat, 0.9)
    assert critical4 == critical
    np.testing.assert_array_equal(low4, np.append(low, 0.3))
    np.testing.assert_array_equal(high4, np.append(high, 0.3))
    # The max-statistic by hand.
    se = np.std(replicates, axis=0, ddof=1)
    largest = (np.abs(replicates - point) / se).max(axis=1)
    assert critical == pytest.approx(np.quantile(largest, 0.9), rel=1e-12)
    np.testing.assert_allclose(low, point - critical * se, rtol=1e-12)


def test_nan_points_and_replicates():
    rng = np.random.default_rng(12)
    replicates = rng.normal(size=(500, 3)) * 0.1
    replicates[:50, 0] = np.nan  # some undefined replicates
    replicates[:, 2] = np.nan  # an attack with none
    point = np.array([0.0, np.nan, 0.1])
    low, high, critical = _simultaneous_from_replicates(point, replicates, 0.95)
    assert np.isfinite(critical) and np.isfinite(low[0]) and np.isfinite(high[0])
    assert np.isnan(low[1:]).all() and np.isnan(high[1:]).all()
    # The first column alone: its 450 finite replicates.
    finite = replicates[50:, 0]
    se = np.std(finite, ddof=1)
    assert _replicate_se(replicates)[0] == pytest.approx(se, rel=1e-12)
    assert critical == pytest.approx(np.quantile(np.abs(finite) / se, 0.95), rel=1e-12)
    # Nothing to calibrate on.
    low, high, critical = _simultaneous_from_replicates([np.nan], np.full((10, 1), np.nan), 0.95)
    assert np.isnan(critical) and np.isnan(low).all() and np.isnan(high).all()


def test_upper_bound_is_capped_at_one():
    replicates = np.array([[0.9], [1.0], [0.8], [1.0], [0.95]])
    low, high, _ = _simultaneous_from_replicates([0.95], replicates, 0.95)
    assert high[0] == 1.0 and low[0] < 0.95


def test_from_replicates_checks_shapes():
    with pytest.raises(ValueError, match=r"replicates must have shape \(n_resamples, 2\)"):
        _simultaneous_from_replicates([0.1, 0.2], np.zeros((10, 3)), 0.95)
    with pytest.raises(ValueError, match="point must be 1-D"):
        _simultaneous_from_replicates([[0.1]], np.zeros((10, 1)), 0.95)
    with pytest.raises(ValueError, match="confidence"):
        _simultaneous_from_replicates([0.1], np.zeros((10, 1)), 95)
    # One attack: a 1-D array of replicates is accepted.
    low, high, critical = _simultaneous_from_replicates([0.0], np.linspace(-1, 1, 11), 0.95)
    assert low.shape == high.shape == (1,) and critical > 0

"""Hostile and malformed inputs to the metrics (issue 12 §6): every case asserts the *exact*
error class, that the message names the problem, and that the caller's frames are
unchanged."""

import numpy as np
import pandas as pd
import pytest
from conftest import frames_kept, refused
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert.metrics import (
    advantage_over_baseline,
    advantage_verdict,
    inference_scores,
    success_rate,
    wilson_interval,
)


# --------------------------------------------------------------------------------------------
# Metrics
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda: inference_scores([0, 1, 1], [0, 1]),
        lambda: success_rate([0, 1, 1], [0, 1]),
        lambda: advantage_over_baseline([0, 1, 1], [0, 1, 1], [0, 1], n_resamples=5),
    ],
    ids=["inference_scores", "success_rate", "advantage"],
)
def test_metric_lengths_differ(call):
    with refused(ValueError, "2 values but y_true has 3"):
        call()


def test_metric_empty_arrays():
    with refused(ValueError, "y_true is empty"):
        inference_scores([], [])


def test_metric_nan_in_truth():
    truth = pd.Series([0.0, np.nan, 1.0], name="secret")
    with refused(ValueError, "1 missing value", "position 1"):
        inference_scores(truth, [0, 1, 1])
    assert np.isnan(truth[1])


def test_metric_text_truth_against_number_guesses():
    # "1" never equals 1: the scores were a silent 0.0 (fixed in _inference.py).
    with refused(ValueError, "y_true holds text", "y_pred holds numbers", "pd.to_numeric"):
        inference_scores(pd.Series(["0", "1", "1"], dtype="str"), [0, 1, 1])
    with refused(ValueError, "y_baseline holds text"):
        advantage_over_baseline([0, 1, 1], [0, 1, 0], ["0", "1", "1"], n_resamples=5)


def test_metric_unhashable_values():
    with refused(TypeError, "y_pred holds a list at position 0"):
        inference_scores(pd.Series([1, 2]), pd.Series([[1], [2]]))


def test_metric_two_column_frame():
    frame = pd.DataFrame({"a": [0, 1], "b": [1, 0]})
    with frames_kept(frame), refused(ValueError, "single column", "2 columns"):
        inference_scores(frame, [0, 1])


def test_metric_misaligned_indexes():
    with refused(ValueError, "different indexes", "reindex"):
        inference_scores(pd.Series([0, 1, 1]), pd.Series([0, 1, 1], index=[2, 1, 0]))


def test_metric_non_numeric_scores():
    with refused(ValueError, "y_score must hold numeric scores", "'a'"):
        inference_scores([0, 1], [0, 1], y_score=[["a", "b"], ["c", "d"]])


@pytest.mark.parametrize("confidence", [0, 1, 1.5, np.nan])
def test_metric_confidence_outside_zero_one(confidence):
    with refused(InvalidParameterError, "'confidence'", "(0.0, 1.0)"):
        success_rate([0, 1], [0, 1], confidence=confidence)


@pytest.mark.parametrize("n_resamples", [0, -5, 2.5])
def test_advantage_bad_n_resamples(n_resamples):
    with refused(InvalidParameterError, "'n_resamples'", "advantage_over_baseline"):
        advantage_over_baseline([0, 1], [0, 1], [1, 1], n_resamples=n_resamples)


@pytest.mark.parametrize(
    "n_success, n_total, fragment",
    [
        (11, 10, "between 0 and n_total"),
        (0, 0, "n_total must be positive"),
        ([1, 2, 3], [10, 10], "do not broadcast"),
    ],
    ids=["more-than-trials", "no-trials", "shapes"],
)
def test_wilson_bad_counts(n_success, n_total, fragment):
    with refused(ValueError, fragment):
        wilson_interval(n_success, n_total)


@pytest.mark.parametrize("returned", [np.array([1.0, 0.0]), "good"], ids=["array", "text"])
def test_advantage_callable_metric_of_the_wrong_type(returned):
    with refused(TypeError, "metric=", "must return one number"):
        advantage_over_baseline([0, 1], [0, 1], [1, 1], metric=lambda t, p: returned, n_resamples=3)


def test_verdict_for_a_metric_that_returns_nan():
    # It used to say "the baseline's <lambda> is already at its maximum (nan)".
    adv = advantage_over_baseline(
        [0, 1, 1], [0, 1, 1], [1, 1, 1], metric=lambda t, p: float("nan"), n_resamples=3
    )
    verdict = advantage_verdict(adv)
    assert "must both be finite" in verdict and "maximum" not in verdict


def test_default_tolerance_does_not_overflow():
    # np.std of ±1e308 is inf: every guess, however wrong, was "within tolerance".
    scores = inference_scores([1e308, -1e308, 0.0], [-1e308, 1e308, 0.0], kind="numeric")
    assert np.isfinite(scores["tolerance"]) and scores["within_tolerance"] == pytest.approx(1 / 3)

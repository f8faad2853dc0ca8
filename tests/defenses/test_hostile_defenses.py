"""Hostile and malformed inputs to the defenses (issue 12 §6): the transformers, the defended
models from the outside, and the query budget.

Every case asserts the *exact* error class, that the message names the problem (the
parameter, column, value or method) and, where the call takes DataFrames, that the caller's
frames are unchanged afterwards.
"""

import inspect
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import frames_kept, refused
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.svm import SVC
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert.attacks import ConfidenceInversion
from tabinvert.defenses import (
    CoarsenProbabilities,
    ConfidenceThreshold,
    DefendedClassifier,
    DefendedRegressor,
    GaussianNoise,
    NoisePredictions,
    QueryBudget,
    QueryBudgetExceeded,
    ReverseSigmoid,
    RoundPredictions,
    RoundProbabilities,
    TopK,
)


PROBA = np.array([[0.2, 0.8], [0.6, 0.4], [0.5, 0.5]])


# --------------------------------------------------------------------------------------------
# Defenses: parameters
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "defense, parameter",
    [
        (RoundProbabilities(decimals=-1), "'decimals'"),
        (RoundProbabilities(step=0), "'step'"),
        (RoundProbabilities(step=np.nan), "'step'"),
        (CoarsenProbabilities(n_bins=0), "'n_bins'"),
        (TopK(k=0), "'k'"),
        (ConfidenceThreshold(cutoff=1.5), "'cutoff'"),
        (ConfidenceThreshold(cutoff=np.nan), "'cutoff'"),
        (GaussianNoise(scale=-1), "'scale'"),
        (GaussianNoise(scale=np.inf), "'scale'"),
        (GaussianNoise(random_state="x"), "'random_state'"),
        (ReverseSigmoid(beta=-1), "'beta'"),
        (ReverseSigmoid(gamma=0), "'gamma'"),
        (RoundPredictions(step=0), "'step'"),
        (NoisePredictions(scale=np.nan), "'scale'"),
    ],
    ids=lambda value: repr(value) if not isinstance(value, str) else value,
)
def test_defense_parameter_out_of_range(defense, parameter):
    # Refused in fit, and in a stateless transform (which never saw fit).
    with refused(InvalidParameterError, parameter, type(defense).__name__):
        clone(defense).fit(PROBA)
    with refused(InvalidParameterError, parameter, type(defense).__name__):
        clone(defense).transform(PROBA)


def test_reverse_sigmoid_beta_zero_is_the_identity():
    # beta=0 is allowed (documented: it leaves the input unchanged), never NaN.
    np.testing.assert_allclose(ReverseSigmoid(beta=0).fit_transform(PROBA), PROBA)


@pytest.mark.parametrize("bins", [[0.5, 0.2], ["a", "b"], [0, np.nan, 1], [[0, 1], [0]]])
def test_coarsen_bad_bin_edges(bins):
    with refused(ValueError, "bins must be at least two strictly increasing edges"):
        CoarsenProbabilities(bins=bins).fit(PROBA)


# --------------------------------------------------------------------------------------------
# Defenses: inputs after fit
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "values, fragments",
    [
        (np.array([[np.nan, 0.5], [0.1, 0.9]]), ("NaN",)),
        (np.array([[np.inf, 0.5]]), ("infinity",)),
        (np.array([[0.5, 0.5], [-0.1, 1.1]]), ("Negative values", "row 1", "softmax")),
        (np.array([0.5, 0.5]), ("Expected 2D array", "reshape")),
        (np.array([[0.2, 0.3, 0.5]]), ("3 features", "expecting 2")),
        (np.array([["a", "b"]]), ("RoundProbabilities", "'a'", "numeric")),
        (np.empty((0, 2)), ("0 sample(s)",)),
    ],
    ids=["nan", "inf", "negative", "1-d", "3-columns", "text", "empty"],
)
def test_defense_transform_refuses_bad_input(values, fragments):
    defense = RoundProbabilities().fit(PROBA)
    with refused(ValueError, *fragments):
        defense.transform(values)


def test_defense_transform_refuses_other_column_names():
    fitted = GaussianNoise().fit(pd.DataFrame(PROBA, columns=["no", "yes"]))
    other = pd.DataFrame(PROBA, columns=["yes", "maybe"])
    with frames_kept(other), refused(ValueError, "feature names", "maybe"):
        fitted.transform(other)


def test_defense_never_modifies_the_callers_frame():
    frame = pd.DataFrame(PROBA, columns=["no", "yes"])
    with frames_kept(frame):
        GaussianNoise(scale=0.3).fit(frame).transform(frame)
        TopK().fit(frame).transform(frame)


def test_prediction_defense_refuses_text():
    with refused(ValueError, "NoisePredictions", "'high'"):
        NoisePredictions().transform(np.array([["high"], ["low"]]))


# Parameters at float64's limits gave NaN or infinity (fixed in _transformers.py).


def test_round_probabilities_many_decimals_is_not_nan():
    # 10**400 overflows: numpy's round returned NaN for every value.
    for decimals in (400, 10**30):
        np.testing.assert_allclose(RoundProbabilities(decimals=decimals).transform(PROBA), PROBA)


def test_round_probabilities_tiny_step_keeps_the_values():
    # p / 1e-320 overflowed to inf, clipped to 1: every probability became 1.
    np.testing.assert_allclose(RoundProbabilities(step=1e-320).transform(PROBA), PROBA)


def test_coarsen_huge_n_bins_does_not_overflow():
    # A Python int beyond float64 raised OverflowError with no word about n_bins.
    out = CoarsenProbabilities(n_bins=10**400).transform(PROBA)
    np.testing.assert_allclose(out, PROBA, atol=1e-12)


def test_round_predictions_tiny_step_stays_finite():
    values = np.array([[1e308], [-1e308], [3.0]])
    out = RoundPredictions(step=1e-300).transform(values)
    assert np.isfinite(out).all()
    np.testing.assert_allclose(out, values)


def test_noise_that_overflows_is_refused_not_returned():
    values = np.array([[1.7e308], [-1.7e308]])  # its per-record noise (key 0) overflows both
    with refused(ValueError, "NoisePredictions(", "scale=1e+308", "non-finite", "row 0"):
        NoisePredictions(scale=1e308, random_state=0).transform(values)


# --------------------------------------------------------------------------------------------
# Defended models from the outside
# --------------------------------------------------------------------------------------------

X_SMALL = np.array([[0.0], [1.0], [2.0], [3.0]])
Y_SMALL = np.array([0, 0, 1, 1])


class _Shrink(TransformerMixin, BaseEstimator):
    """A "defense" that drops a column."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X)[:, :1]


class _NaNDefense(TransformerMixin, BaseEstimator):
    """A "defense" whose every answer is NaN."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.full(np.shape(X), np.nan)


def test_defended_classifier_around_a_regressor():
    with refused(InvalidParameterError, "'estimator'", "predict_proba", "LinearRegression"):
        DefendedClassifier(LinearRegression(), RoundProbabilities()).fit(X_SMALL, Y_SMALL)


def test_defended_classifier_around_an_unfitted_frozen_model():
    with refused(NotFittedError, "LogisticRegression"):
        DefendedClassifier(FrozenEstimator(LogisticRegression()), TopK()).fit(X_SMALL, Y_SMALL)


def test_defended_classifier_queried_before_fit():
    with refused(NotFittedError, "DefendedClassifier", "fit"):
        DefendedClassifier(LogisticRegression(), TopK()).predict_proba(X_SMALL)


def test_defended_classifier_without_a_defense():
    with refused(InvalidParameterError, "'defense'", "transform"):
        DefendedClassifier(LogisticRegression(), None).fit(X_SMALL, Y_SMALL)


def test_defended_classifier_with_an_invalid_defense():
    with refused(InvalidParameterError, "'k'", "TopK"):
        DefendedClassifier(LogisticRegression(), TopK(k=0)).fit(X_SMALL, Y_SMALL)


def test_defended_classifier_with_a_shape_changing_defense():
    model = DefendedClassifier(LogisticRegression(), _Shrink()).fit(X_SMALL, Y_SMALL)
    with refused(ValueError, "_Shrink", "(4, 2)", "(4, 1)"):
        model.predict_proba(X_SMALL)


def test_defended_classifier_queried_with_nan(population):
    X, y, _ = population
    model = DefendedClassifier(LogisticRegression(), RoundProbabilities()).fit(X, y)
    query = X[:5].astype(float)
    query.iloc[2, 0] = np.nan
    with frames_kept(query), refused(ValueError, "NaN"):
        model.predict(query)


def test_defended_classifier_refuses_a_defense_that_returns_nan():
    model = DefendedClassifier(LogisticRegression(), _NaNDefense()).fit(X_SMALL, Y_SMALL)
    with refused(ValueError, "_NaNDefense"):
        model.predict_proba(X_SMALL)


def test_defended_classifier_refuses_a_prediction_defense():
    with refused(ValueError, "NoisePredictions"):
        DefendedClassifier(LogisticRegression(), NoisePredictions(scale=1.0)).fit(X_SMALL, Y_SMALL)


def test_defended_regressor_refuses_a_probability_defense():
    y = np.array([10.0, 12.0, 15.0, 19.0])
    with refused(ValueError, "RoundProbabilities"):
        DefendedRegressor(LinearRegression(), RoundProbabilities()).fit(X_SMALL, y)


# --------------------------------------------------------------------------------------------
# Query budget
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params, parameter",
    [
        ({"max_rows": -1}, "'max_rows'"),
        ({"max_rows": 1.5}, "'max_rows'"),
        ({"max_rows": "10"}, "'max_rows'"),
        ({"max_calls": -1}, "'max_calls'"),
    ],
    ids=["rows-negative", "rows-float", "rows-string", "calls-negative"],
)
def test_budget_bad_quota(params, parameter):
    budget = QueryBudget(LogisticRegression().fit(X_SMALL, Y_SMALL), **params)
    with refused(InvalidParameterError, parameter, "QueryBudget"):
        budget.predict(X_SMALL)
    assert budget.rows_used_ == 0


def test_budget_around_a_model_without_predict_proba_says_so(population):
    X, y, _ = population
    budget = QueryBudget(SVC().fit(X, y))
    assert not hasattr(budget, "predict_proba")
    with refused(AttributeError, "'predict_proba'", "SVC"):
        budget.predict_proba(X)
    # ... and an attack that needs probabilities says so too.
    with frames_kept(X), refused(TypeError, "predict_proba", "LabelOnlyInversion"):
        ConfidenceInversion(budget, "secret", likelihood="proba").fit(X, y)


def test_budget_around_nothing_names_the_estimator():
    with refused(AttributeError, "'predict'", "estimator None"):
        QueryBudget(None).predict(X_SMALL)


def test_budget_exhausted_mid_attack_reports_progress(population):
    X, y, model = population
    budget = QueryBudget(model, max_rows=50)
    attack = ConfidenceInversion(budget, "secret", max_rows_per_call=20).fit(X[40:], y[40:])
    with frames_kept(X), refused(QueryBudgetExceeded, "20 of 80 target records", "50 rows") as info:
        attack.attack(X, y)
    error = info.value
    assert (error.records_completed, error.records_total) == (20, 80)
    assert (error.rows_used, error.max_rows, budget.rows_used_) == (40, 50, 40)
    copy = pickle.loads(pickle.dumps(error))  # the counts survive a process boundary
    assert (copy.records_completed, copy.rows_used) == (20, 40)


def test_budget_docstring_states_what_it_is_not():
    doc = " ".join(inspect.getdoc(QueryBudget).split())
    assert "not a sandbox" in doc
    assert ":func:`sklearn.base.clone`, pickling and ``set_params`` give a fresh or changed" in doc


def test_budget_clone_pickle_set_params_and_reset():
    budget = QueryBudget(LogisticRegression().fit(X_SMALL, Y_SMALL), max_rows=10)
    budget.predict(X_SMALL)
    assert clone(budget).rows_used_ == 0  # a clone is a fresh quota
    copy = pickle.loads(pickle.dumps(budget))
    copy.predict(X_SMALL)
    assert (copy.rows_used_, budget.rows_used_) == (8, 4)  # the copy counts on its own
    budget.set_params(max_rows=2)  # a changed quota, the rows served stay served
    assert (budget.rows_used_, budget.rows_remaining_) == (4, 0)  # never negative
    with refused(QueryBudgetExceeded, "limit of 2 rows", "4 rows in 1 calls"):
        budget.predict(X_SMALL[:1])
    assert budget.reset().rows_used_ == 0 and budget.calls_used_ == 0
    assert budget.predict(X_SMALL[:2]).tolist() == [0, 0]


def test_budget_does_not_charge_a_call_the_model_refuses():
    unfitted = QueryBudget(LogisticRegression(), max_rows=10)
    with refused(NotFittedError, "LogisticRegression"):
        unfitted.predict(X_SMALL)
    assert (unfitted.rows_used_, unfitted.calls_used_) == (0, 0)
    fitted = QueryBudget(LogisticRegression().fit(X_SMALL, Y_SMALL), max_rows=10)
    with refused(ValueError, "3 features"):
        fitted.predict(np.zeros((5, 3)))
    assert (fitted.rows_used_, fitted.calls_used_) == (0, 0)


def test_readme_says_what_protects_a_served_model():
    """The README's defenses section states the budget's limits and the server-side control."""
    readme = " ".join(
        (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8").split()
    )
    assert "they are not a sandbox" in readme
    assert "`clone`, pickling and `set_params` give a fresh or changed quota" in readme
    assert "a quota enforced by the serving process itself, keyed by client" in readme

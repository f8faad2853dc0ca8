"""A model's malformed answer is an error, never a silent wrong guess (issue 12 §2).

``BrokenModel`` answers like a fitted logistic model, then spoils its answer one way at a time.
Every spoilt answer must raise :class:`ModelQueryError` naming the method, what was expected and
what came back, and the completed record it was asked about; the caller's data is unchanged.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression

from tabinvert.exceptions import ModelQueryError
from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion, LearnedInversion
from tabinvert.defenses import (
    CoarsenProbabilities,
    DefendedClassifier,
    QueryBudget,
    RoundProbabilities,
    TopK,
)


def _population(n=300, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"known": rng.normal(size=n), "secret": rng.integers(0, 3, n)})
    y = (X["known"] + X["secret"] > 1).astype(int).to_numpy()
    return X, y


class BrokenModel(ClassifierMixin, BaseEstimator):
    """A logistic model whose answers are spoilt as ``mode`` says."""

    def __init__(self, mode="ok"):
        self.mode = mode

    def fit(self, X, y):
        self.model_ = LogisticRegression().fit(X, y)
        self.classes_ = self.model_.classes_
        self.feature_names_in_ = self.model_.feature_names_in_
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def predict_proba(self, X):
        proba = self.model_.predict_proba(X)
        mode = self.mode
        if mode == "nan":
            proba[len(proba) // 2, 0] = np.nan
        elif mode == "inf":
            proba[-1] = [np.inf, 0.0]
        elif mode == "negative":
            proba[0] = [-0.2, 1.2]
        elif mode == "above_one":
            proba[0] = [1.5, 0.5]
        elif mode == "unnormalised":
            proba = proba * 0.5
        elif mode == "one_d":
            proba = proba[:, 1]
        elif mode == "extra_column":
            proba = np.column_stack([proba, np.zeros(len(proba))])
        elif mode == "missing_column":
            proba = proba[:, :1]
        elif mode == "row_short":
            proba = proba[:-1]
        elif mode == "row_extra":
            proba = np.vstack([proba, proba[:1]])
        elif mode == "text":
            proba = proba.astype(str)
        elif mode == "none":
            proba = None
        elif mode == "scalar":
            proba = 0.5
        elif mode == "three_d":
            proba = proba[:, :, None]
        return proba

    def predict(self, X):
        labels = self.model_.predict(X)
        if self.mode == "unknown_label":
            labels = labels.astype(object)
            labels[0] = "maybe"
        elif self.mode == "label_short":
            labels = labels[:-1]
        elif self.mode == "label_two_columns":
            labels = np.column_stack([labels, labels])
        elif self.mode == "label_out_of_range":
            labels = labels + 5
        return labels


PROBA_CASES = {
    "nan": "non-finite probabilities",
    "inf": "non-finite probabilities",
    "negative": r"values outside \[0, 1\]",
    "above_one": r"values outside \[0, 1\]",
    "unnormalised": "do not sum to 1",
    "one_d": "1-D array",
    "extra_column": "returned 3 columns but the model has 2 classes",
    "missing_column": "returned 1 columns but the model has 2 classes",
    "row_short": r"returned shape \(\d+, 2\) for \d+ records",
    "row_extra": r"returned shape \(\d+, 2\) for \d+ records",
    "text": "dtype <U",
    "none": "for .* records",
    "scalar": r"returned shape \(\)",
    "three_d": "3-D array",
}


@pytest.mark.parametrize("mode, message", PROBA_CASES.items(), ids=list(PROBA_CASES))
@pytest.mark.parametrize("method", ["map", "csmia"])
def test_malformed_probabilities_are_refused(mode, message, method):
    X, y = _population()
    X_before = X.copy()
    attack = ConfidenceInversion(BrokenModel("ok").fit(X, y), "secret", method=method)
    attack.fit(X[:100], y[:100])
    attack.estimator.set_params(mode=mode)
    with pytest.raises(ModelQueryError, match=message) as error:
        attack.attack(X[100:], y[100:])
    assert "predict_proba()" in str(error.value)
    pd.testing.assert_frame_equal(X, X_before)


@pytest.mark.parametrize("mode", ["nan", "unnormalised", "one_d", "row_short"])
def test_malformed_probabilities_name_a_completed_record(mode):
    X, y = _population()
    attack = ConfidenceInversion(BrokenModel("ok").fit(X, y), "secret").fit(X[:100], y[:100])
    attack.estimator.set_params(mode=mode)
    with pytest.raises(ModelQueryError) as error:
        attack.attack(X[100:], y[100:])
    text = str(error.value)
    if mode in ("nan", "unnormalised"):  # a row-level fault names the row it was asked about
        assert "completed record {'known':" in text and "'secret':" in text
    else:  # a shape fault names both shapes
        assert "shape" in text or "array" in text


@pytest.mark.parametrize("n_jobs", [None, 2])
def test_every_chunk_and_worker_is_checked(n_jobs):
    X, y = _population(400)
    attack = ConfidenceInversion(
        BrokenModel("ok").fit(X, y), "secret", max_rows_per_call=30, n_jobs=n_jobs
    ).fit(X[:100], y[:100])
    attack.estimator.set_params(mode="nan")  # spoils the middle row of every chunk
    with pytest.raises(ModelQueryError, match="non-finite"):
        attack.attack(X[100:], y[100:])


LABEL_CASES = {
    "unknown_label": "label 'maybe', which is not in its classes_",
    "label_out_of_range": "which is not in its classes_",
    "label_short": r"returned shape \(\d+,\) for \d+ records",
    "label_two_columns": "expected one label per record",
}


@pytest.mark.parametrize("mode, message", LABEL_CASES.items(), ids=list(LABEL_CASES))
def test_malformed_labels_are_refused(mode, message):
    X, y = _population()
    attack = LabelOnlyInversion(BrokenModel("ok").fit(X, y), "secret", random_state=0)
    attack.fit(X[:100], y[:100])
    attack.estimator.set_params(mode=mode)
    with pytest.raises(ModelQueryError, match=message) as error:
        attack.attack(X[100:], y[100:])
    assert "predict()" in str(error.value)


def test_the_auxiliary_queries_are_checked_too():
    """LearnedInversion asks the model about its own auxiliary records while fitting."""
    X, y = _population()
    model = BrokenModel("nan").fit(X, y)
    with pytest.raises(ModelQueryError, match="non-finite"):
        LearnedInversion(model, "secret", random_state=0).fit(X[:150], y[:150])


class BrokenRegressor(RegressorMixin, BaseEstimator):
    def __init__(self, mode="ok"):
        self.mode = mode

    def fit(self, X, y):
        self.model_ = LinearRegression().fit(X, y)
        self.feature_names_in_ = self.model_.feature_names_in_
        self.n_features_in_ = self.model_.n_features_in_
        return self

    def predict(self, X):
        out = self.model_.predict(X)
        if self.mode == "nan":
            out[0] = np.nan
        elif self.mode == "inf":
            out[-1] = -np.inf
        elif self.mode == "short":
            out = out[:-1]
        elif self.mode == "three_d":
            out = out[:, None, None]
        return out


@pytest.mark.parametrize(
    "mode, message",
    [
        ("nan", "non-finite prediction"),
        ("inf", "non-finite prediction"),
        ("short", r"returned shape \(\d+,\) for \d+ records"),
        ("three_d", r"expected \(n_records,\) or \(n_records, n_outputs\)"),
    ],
)
def test_malformed_regressor_outputs_are_refused(mode, message):
    X, _ = _population()
    dose = 2 * X["known"].to_numpy() + X["secret"].to_numpy()
    attack = ConfidenceInversion(BrokenRegressor("ok").fit(X, dose), "secret")
    attack.fit(X[:100], dose[:100])
    attack.estimator.set_params(mode=mode)
    with pytest.raises(ModelQueryError, match=message):
        attack.attack(X[100:], dose[100:])


@pytest.mark.parametrize(
    "defense",
    [RoundProbabilities(1), TopK(1), CoarsenProbabilities(4)],
    ids=["round", "top-k", "coarsen"],
)
def test_a_declared_defense_may_return_rows_that_do_not_sum_to_one(defense):
    """Unnormalised rows are refused from a bare model but accepted from a declared defense,
    also behind a query budget."""
    X, y = _population()
    inner = LogisticRegression().fit(X, y)
    defended = DefendedClassifier(FrozenEstimator(inner), defense).fit(X, y)
    assert not defense.keeps_row_sums
    for model in (defended, QueryBudget(defended)):
        guesses = (
            ConfidenceInversion(model, "secret").fit(X[:100], y[:100]).attack(X[100:], y[100:])
        )
        assert len(guesses) == 200


def test_a_declared_defense_is_no_licence_for_non_finite_or_negative_values():
    X, y = _population()
    inner = BrokenModel("ok").fit(X, y)
    defended = DefendedClassifier(FrozenEstimator(inner), TopK(1)).fit(X, y)
    attack = ConfidenceInversion(defended, "secret").fit(X[:100], y[:100])
    for mode, message in [("nan", "NaN|non-finite"), ("negative", r"[Nn]egative|outside \[0, 1\]")]:
        inner.set_params(mode=mode)
        with pytest.raises(ModelQueryError, match=message):
            attack.attack(X[100:], y[100:])

"""Hostile and malformed inputs outside the attacks and the command line (issue 12 §6).

Defenses (the transformers, and the defended models from the outside), the query budget, the
dataset loaders with a bad data home, the metrics, the evaluation functions and the assessment
with its report. Every case asserts the *exact* error class, that the message names the problem
(the parameter, column, value, method or path) and, where the call takes DataFrames, that the
caller's frames are unchanged afterwards. Bugs in files these tests do not own are marked
``xfail(strict=True)`` with the reason.
"""

import contextlib
import inspect
import json
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin, clone
from sklearn.compose import make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import SVC
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert import Assessment, assess, evaluate_attacks, evaluate_defenses
from tabinvert.attacks import ConfidenceInversion
from tabinvert.datasets import (
    DatasetChecksumError,
    DatasetDownloadError,
    DatasetNotFoundError,
    get_data_home,
    load_adult,
    load_gss,
    load_heart,
)
from tabinvert.datasets import _base as datasets_base
from tabinvert.evaluation import privacy_utility_frontier
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
from tabinvert.metrics import (
    advantage_over_baseline,
    advantage_verdict,
    inference_scores,
    success_rate,
    wilson_interval,
)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


@contextlib.contextmanager
def refused(cls, *fragments):
    """Expect exactly ``cls`` (not a subclass) with every fragment in its message."""
    with pytest.raises(cls) as info:
        yield info
    assert type(info.value) is cls, f"{type(info.value).__name__} raised, not {cls.__name__}"
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in the message: {message}"


@contextlib.contextmanager
def frames_kept(*frames):
    """The caller's DataFrames are unchanged after the block (raising or not)."""
    copies = [frame.copy() for frame in frames]
    try:
        yield
    finally:
        for before, after in zip(copies, frames):
            pd.testing.assert_frame_equal(after, before)


def _population(n=80, seed=0):
    """``y = (known + secret) mod 2``: the model leaks ``secret`` to anyone knowing ``known``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"known": rng.integers(0, 3, n), "secret": rng.integers(0, 2, n)})
    y = ((X["known"] + X["secret"]) % 2).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def population():
    X, y = _population()
    model = LogisticRegression().fit(X[:40], y[:40])
    return X, y, model


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


# --------------------------------------------------------------------------------------------
# Datasets with a bad data home
# --------------------------------------------------------------------------------------------

HEART_CLEAN = "heart_cleveland/heart_cleveland_clean.csv"


@pytest.fixture
def offline(monkeypatch):
    """No network: every download fails at once (and the tests never touch the internet)."""
    calls = []

    def unreachable(url):
        calls.append(url)
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(datasets_base, "_download_bytes", unreachable)
    return calls


def test_data_home_empty_folder(tmp_path, offline):
    with refused(
        DatasetNotFoundError,
        str(tmp_path / HEART_CLEAN),
        "download_if_missing=True",
        "TABINVERT_DATA",
    ):
        load_heart(data_home=tmp_path, download_if_missing=False)
    assert offline == []


def test_data_home_empty_folder_unlicensed_dataset(tmp_path, offline):
    with refused(
        DatasetNotFoundError,
        str(tmp_path / "gss_mehnaz2022/GSS_15235.csv"),
        "not downloaded automatically",
        "GSS",
    ):
        load_gss(data_home=tmp_path)


def test_data_home_empty_folder_offline_download(tmp_path, offline):
    with refused(
        DatasetDownloadError,
        "network is unreachable",
        "archive.ics.uci.edu",
        str(tmp_path / "heart_cleveland/processed.cleveland.data"),
    ):
        load_heart(data_home=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_data_home_is_a_file(tmp_path, offline):
    home = tmp_path / "not-a-folder"
    home.write_text("x")
    with refused(NotADirectoryError, f"The data home {home} is not a folder", "TABINVERT_DATA"):
        load_heart(data_home=home)
    assert offline == []  # refused before any download
    assert home.read_text() == "x"


def test_data_home_from_the_environment_is_a_file(tmp_path, monkeypatch, offline):
    home = tmp_path / "data.csv"
    home.write_text("x")
    monkeypatch.setenv("TABINVERT_DATA", str(home))
    with refused(NotADirectoryError, str(home), "not a folder"):
        load_heart(download_if_missing=False)


def test_data_home_below_a_file(tmp_path, offline):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with refused(NotADirectoryError, str(blocker), "is a file"):
        load_heart(data_home=blocker / "sub" / "data")
    assert offline == []


def test_dataset_folder_is_a_file(tmp_path, offline):
    (tmp_path / "heart_cleveland").write_text("x")
    with refused(NotADirectoryError, str(tmp_path / "heart_cleveland"), "move it away"):
        load_heart(data_home=tmp_path)
    assert offline == []


def test_dataset_file_is_a_folder(tmp_path, offline):
    (tmp_path / HEART_CLEAN).mkdir(parents=True)
    with refused(IsADirectoryError, str(tmp_path / HEART_CLEAN), "is a folder", "remove"):
        load_heart(data_home=tmp_path)


@pytest.mark.data  # corrupts a copy of a real dataset file
@pytest.mark.parametrize("cut", ["truncated", "empty", "garbage"])
def test_dataset_file_corrupt(tmp_path, offline, cut):
    original = (get_data_home() / HEART_CLEAN).read_bytes()  # the shared copy, only read
    corrupt = {
        "truncated": original[: len(original) // 2],
        "empty": b"",
        "garbage": b"age,sex\n\x00\xff,<script>\n",
    }[cut]
    path = tmp_path / HEART_CLEAN
    path.parent.mkdir()
    path.write_bytes(corrupt)
    with refused(DatasetChecksumError, str(path), "corrupted, truncated", "Delete it"):
        load_heart(data_home=tmp_path)
    assert path.read_bytes() == corrupt  # reported, never silently replaced


def test_dataset_gzip_corrupt(tmp_path, offline):
    path = tmp_path / "adult" / "adult_clean.csv.gz"
    path.parent.mkdir()
    path.write_bytes(b"\x1f\x8b\x08 not really gzip")
    with refused(DatasetChecksumError, str(path), "rebuilt from adult/adult.data"):
        load_adult(data_home=tmp_path)


@pytest.mark.parametrize(
    "kwargs, cls, fragments",
    [
        ({"variant": "nope"}, InvalidParameterError, ("'variant'", "load_heart", "'nope'")),
        ({"data_home": 3}, InvalidParameterError, ("'data_home'", "Got 3")),
        ({"data_home": ""}, ValueError, ("data_home is an empty path",)),
        ({"as_frame": "yes"}, InvalidParameterError, ("'as_frame'",)),
    ],
    ids=["variant", "data_home-int", "data_home-empty", "as_frame"],
)
def test_loader_bad_arguments(kwargs, cls, fragments, offline):
    with refused(cls, *fragments):
        load_heart(**kwargs)


def test_get_data_home_not_a_path():
    with refused(TypeError, "data_home must be a folder path", "int"):
        get_data_home(3)


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


# --------------------------------------------------------------------------------------------
# evaluate_attacks / evaluate_defenses
# --------------------------------------------------------------------------------------------


def _evaluate(population, **changes):
    X, y, model = population
    kwargs = dict(
        attacks=[ConfidenceInversion(model, "secret")],
        X_aux=X[40:60],
        y_aux=y[40:60],
        targets={"members": (X[:40], y[:40])},
        n_resamples=5,
        random_state=0,
    )
    kwargs.update(changes)
    with frames_kept(X):
        return evaluate_attacks(**kwargs)


def test_evaluate_sensitive_column_missing_from_targets(population):
    X, y, _ = population
    target = X[:40].drop(columns="secret")
    with frames_kept(target), refused(ValueError, "targets['members']", "'secret'"):
        _evaluate(population, targets={"members": (target, y[:40])})


@pytest.mark.parametrize(
    "targets, cls, fragments",
    [
        (lambda X, y: {"m": (X,)}, ValueError, ("targets['m'] must be a pair", "1 item")),
        (lambda X, y: {"m": (X, y, y)}, ValueError, ("targets['m'] must be a pair", "3 item")),
        (lambda X, y: {"m": X}, TypeError, ("targets['m'] must be a pair", "DataFrame")),
        (lambda X, y: [(X, y)], TypeError, ("targets must be a dict", "list")),
        (lambda X, y: {}, ValueError, ("targets is empty",)),
        (lambda X, y: None, TypeError, ("targets must be a dict", "None")),
    ],
    ids=["one-item", "three-items", "bare-frame", "list", "empty", "none"],
)
def test_evaluate_malformed_targets(population, targets, cls, fragments):
    X, y, _ = population
    with refused(cls, *fragments):
        _evaluate(population, targets=targets(X[:40], y[:40]))


def test_evaluate_labels_of_the_wrong_length(population):
    X, y, _ = population
    with refused(ValueError, "y has 30 labels but there are 40 records"):
        _evaluate(population, targets={"members": (X[:40], y[:30])})


def test_evaluate_empty_population(population):
    X, y, _ = population
    with refused(ValueError, "is empty"):
        _evaluate(population, targets={"members": (X[:0], y[:0])})


@pytest.mark.parametrize(
    "changes, parameter",
    [
        ({"n_resamples": -5}, "'n_resamples'"),
        ({"random_state": "x"}, "'random_state'"),
        ({"confidence": 1.0}, "'confidence'"),
        ({"metric": "auc"}, "'metric'"),
    ],
    ids=["n_resamples", "random_state", "confidence", "metric"],
)
def test_evaluate_bad_parameters_refused_before_any_query(population, changes, parameter):
    # A budget that serves nothing: refusing the parameter must come first, not after the
    # attacks ran (n_resamples=-5 used to fail in the bootstrap, named advantage_over_baseline).
    _, _, model = population
    silent = QueryBudget(model, max_calls=0)
    with refused(InvalidParameterError, parameter, "evaluate_attacks"):
        _evaluate(population, attacks=[ConfidenceInversion(silent, "secret")], **changes)


@pytest.mark.parametrize(
    "attacks, cls, fragments",
    [
        ([], ValueError, ("attacks is empty",)),
        (["MAP"], TypeError, ("attacks[0] is 'MAP'", "not an attack")),
        (None, TypeError, ("attacks must be a list or dict",)),
    ],
    ids=["empty", "string", "none"],
)
def test_evaluate_bad_attacks(population, attacks, cls, fragments):
    with refused(cls, *fragments):
        _evaluate(population, attacks=attacks)


def test_evaluate_invalid_attack_parameter_names_the_attack(population):
    _, _, model = population
    with refused(InvalidParameterError, "'method'", "ConfidenceInversion (attack 'MAP')"):
        _evaluate(population, attacks=[ConfidenceInversion(model, "secret", method="bogus")])


def _sweep(population, **changes):
    X, y, model = population
    kwargs = dict(
        model=model,
        defenses=[RoundProbabilities()],
        X_aux=X[40:60],
        y_aux=y[40:60],
        targets={"members": (X[:40], y[:40])},
        X_test=X[60:],
        y_test=y[60:],
        sensitive="secret",
        n_resamples=5,
        random_state=0,
    )
    kwargs.update(changes)
    with frames_kept(X):
        return evaluate_defenses(**kwargs)


@pytest.mark.parametrize(
    "changes, cls, fragments",
    [
        ({"defenses": None}, TypeError, ("defenses must be a list or dict",)),
        ({"defenses": ["round"]}, TypeError, ("defenses[0] is 'round'", "not an output defense")),
        (
            {"defenses": {"none": RoundProbabilities()}},
            ValueError,
            ("defenses['none']", "undefended model"),
        ),
        (
            {"defenses": [NoisePredictions()]},
            ValueError,
            ("NoisePredictions", "classifier", "[0, 1]"),
        ),
        ({"defenses": [TopK(k=0)]}, InvalidParameterError, ("'k'", "TopK (defense 'TopK(k=0)')")),
        ({"y_test": np.zeros(3)}, ValueError, ("y_test has 3 labels but X_test has 20",)),
        (
            {"X_test": pd.DataFrame({"known": [], "secret": []}), "y_test": []},
            ValueError,
            ("X_test is empty",),
        ),
        (
            {"models": {"RoundProbabilities()": LogisticRegression()}},
            ValueError,
            ("models['RoundProbabilities()']", "already used by a defense"),
        ),
        ({"models": {"other": "a model"}}, TypeError, ("models['other']", "predict")),
        ({"n_resamples": -5}, InvalidParameterError, ("'n_resamples'", "evaluate_defenses")),
        ({"model": None}, TypeError, ("model must be a fitted classifier or regressor",)),
        ({"model": LogisticRegression()}, NotFittedError, ("LogisticRegression is not fitted",)),
        ({"sensitive": []}, ValueError, ("sensitive is empty",)),
        ({"utility": lambda model, X, y: "good"}, TypeError, ("utility=<lambda>", "'good'")),
    ],
    ids=[
        "defenses-none",
        "defense-string",
        "named-none",
        "prediction-defense",
        "invalid-defense",
        "y_test-length",
        "X_test-empty",
        "model-name-clash",
        "model-string",
        "n_resamples",
        "model-none",
        "model-unfitted",
        "sensitive-empty",
        "utility-text",
    ],
)
def test_sweep_bad_arguments(population, changes, cls, fragments):
    with refused(cls, *fragments):
        _sweep(population, **changes)


def test_sweep_probability_defense_on_a_regressor(population):
    X, _, _ = population
    y = X["known"] * 2.0 + X["secret"]
    regressor = LinearRegression().fit(X[:40], y[:40])
    with refused(ValueError, "RoundProbabilities", "regressor", "RoundPredictions"):
        _sweep(
            population,
            model=regressor,
            y_aux=y[40:60],
            y_test=y[60:],
            targets={"members": (X[:40], y[:40])},
        )


def test_sweep_repeated_defenses_keep_their_rows(population):
    table = _sweep(population, defenses=[RoundProbabilities(), RoundProbabilities()])
    assert list(table["defense"].unique()) == [
        "none",
        "RoundProbabilities()",
        "RoundProbabilities()′",
    ]


@pytest.mark.parametrize(
    "table, risk, cls, fragments",
    [
        ("x", "advantage", TypeError, ("table must be the DataFrame",)),
        (None, "leakage", ValueError, ("no column(s) ['leakage']", "risk='leakage'")),
        (None, "advantage", ValueError, ("No rows for population 'members'",)),
    ],
    ids=["not-a-table", "risk-column", "population"],
)
def test_frontier_bad_table(table, risk, cls, fragments):
    if table is None:
        table = pd.DataFrame(
            {
                "defense": ["none"],
                "attack": ["MAP"],
                "population": ["other"],
                "utility": [0.9],
                "advantage": [0.1],
            }
        )
    with refused(cls, *fragments):
        privacy_utility_frontier(table, risk=risk)


# --------------------------------------------------------------------------------------------
# assess and its report
# --------------------------------------------------------------------------------------------


def _assess(population, **changes):
    X, y, model = population
    kwargs = dict(
        model=model,
        X_train=X[:40],
        y_train=y[:40],
        X_holdout=X[40:],
        y_holdout=y[40:],
        sensitive="secret",
        n_resamples=5,
        random_state=0,
    )
    kwargs.update(changes)
    with frames_kept(X):
        return assess(**kwargs)


@pytest.mark.parametrize(
    "changes, cls, fragments",
    [
        ({"sensitive": "nope"}, ValueError, ("Column 'nope' is not in X_train",)),
        ({"group_by": "region"}, ValueError, ("Column 'region' is not in X_train",)),
        ({"y_train": np.zeros(3)}, ValueError, ("y_train has 3 labels for 40 records",)),
        ({"n_resamples": -5}, InvalidParameterError, ("'n_resamples'", "assess")),
        ({"random_state": "x"}, InvalidParameterError, ("'random_state'", "assess")),
        ({"y_holdout": None}, ValueError, ("X_holdout was given without y_holdout",)),
        ({"sensitive": ["secret", "secret"]}, ValueError, ("'secret'", "more than once")),
        (
            {"attacks": [ConfidenceInversion(LogisticRegression(), "secret", method="bogus")]},
            InvalidParameterError,
            ("'method'", "ConfidenceInversion"),
        ),
    ],
    ids=[
        "sensitive",
        "group_by",
        "y_train-length",
        "n_resamples",
        "random_state",
        "holdout-without-labels",
        "sensitive-twice",
        "invalid-attack",
    ],
)
def test_assess_bad_arguments(population, changes, cls, fragments):
    with refused(cls, *fragments):
        _assess(population, **changes)


def test_assess_empty_training_data(population):
    X, y, _ = population
    with refused(ValueError, "X_train is empty"):
        _assess(population, X_train=X[:0], y_train=y[:0])


def test_assess_holdout_labels_of_the_wrong_length(population):
    _, y, _ = population
    with refused(ValueError, "y_holdout"):
        _assess(population, y_holdout=y[:5])


def test_assess_no_sensitive_column(population):
    with refused(ValueError, "sensitive"):
        _assess(population, sensitive=[])


def test_assess_invalid_defense_refused_before_any_query(population):
    _, _, model = population
    with refused(InvalidParameterError, "'k'", "TopK"):
        _assess(population, model=QueryBudget(model, max_calls=0), defenses=[TopK(k=0)])


PAYLOAD = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'
IMG = "<img src=x onerror=alert(2)>"
CELL = "</td><script>alert(3)</script>"


@pytest.fixture(scope="module")
def hostile():
    """An assessment whose column names and values are HTML/JS and spreadsheet payloads."""
    rng = np.random.default_rng(1)
    n = 160
    X = pd.DataFrame(
        {
            "known": rng.integers(0, 3, n),
            PAYLOAD: rng.choice([FORMULA, IMG], n),
            "group": rng.choice([CELL, "=1+1"], n),
        }
    )
    y = ((X["known"] + (X[PAYLOAD] == FORMULA)) % 2).to_numpy()
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), [PAYLOAD, "group"]), remainder="passthrough"
    )
    model = make_pipeline(encode, LogisticRegression()).fit(X[:80], y[:80])
    with frames_kept(X):
        result = assess(
            model,
            X[:80],
            y[:80],
            X_holdout=X[80:],
            y_holdout=y[80:],
            sensitive=PAYLOAD,
            group_by="group",
            min_group_size=5,
            n_resamples=5,
            random_state=0,
        )
    return result


def test_report_escapes_payloads_in_names_and_values(hostile):
    html = hostile.to_html()
    assert "<script" not in html.lower()  # no script element at all: the report is static
    assert "<img src=x" not in html and "</td><script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the column, shown as text
    assert "&lt;/td&gt;&lt;script&gt;" in html  # a group value, shown as text
    assert "<td>=1+1</td>" in html  # a formula-like value is plain cell text


def test_json_round_trip_keeps_payloads_as_data(hostile, tmp_path):
    path = tmp_path / "report.json"
    hostile.to_json(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["summary"]["records"][0][0] == PAYLOAD
    assert CELL in {row[3] for row in data["by_group"]["records"]}
    again = Assessment.from_json(path)
    pd.testing.assert_frame_equal(again.summary, hostile.summary, check_dtype=False)


def test_report_written_onto_a_folder_leaves_it_alone(hostile, tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with refused(IsADirectoryError, str(tmp_path)):
        hostile.to_html(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]  # no temporary file


def test_from_json_relative_path_starting_with_a_brace(hostile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile.to_json("{run}.json")
    assert Assessment.from_json(Path("{run}.json")).summary.shape == hostile.summary.shape


def test_from_json_of_a_list(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with refused(ValueError, "Not a tabinvert assessment"):
        Assessment.from_json(path)


def test_readme_says_what_protects_a_served_model():
    """The README's defenses section states the budget's limits and the server-side control."""
    readme = " ".join(
        (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8").split()
    )
    assert "they are not a sandbox" in readme
    assert "`clone`, pickling and `set_params` give a fresh or changed quota" in readme
    assert "a quota enforced by the serving process itself, keyed by client" in readme

"""Defended models guard every output, query budgets hold, attacks work through both, and the
privacy–utility sweep shows what each defense buys."""

import pickle
import threading

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabinvert.attacks import (
    ConfidenceInversion,
    LabelOnlyInversion,
    WhiteBoxTreeInversion,
)
from tabinvert.defenses import (
    DefendedClassifier,
    DefendedRegressor,
    GaussianNoise,
    LabelOnly,
    QueryBudget,
    QueryBudgetExceeded,
    RoundPredictions,
    RoundProbabilities,
    TopK,
)
from tabinvert.evaluation import evaluate_attacks, evaluate_defenses, privacy_utility_frontier


def _expected_failed_checks(estimator):
    if isinstance(estimator.defense, RoundProbabilities):
        return {
            "check_classifiers_train": "rounded probabilities need not sum to one: that is "
            "what RoundProbabilities(renormalize=False) returns, by design."
        }
    return {}


@parametrize_with_checks(
    [
        DefendedClassifier(LogisticRegression(), RoundProbabilities(decimals=3)),
        DefendedClassifier(LogisticRegression(), LabelOnly()),
        DefendedClassifier(
            LogisticRegression(), make_pipeline(TopK(k=2), GaussianNoise(0.01, random_state=0))
        ),
        DefendedRegressor(Ridge(), RoundPredictions(step=1e-3)),
    ],
    expected_failed_checks=_expected_failed_checks,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


class SpyClassifier(ClassifierMixin, BaseEstimator):
    """Answers with probabilities no defense output can contain by chance, and counts calls."""

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        self.n_features_in_ = np.asarray(X).shape[1]
        self.coef_ = np.ones((1, self.n_features_in_))
        self.calls_ = 0
        return self

    def _raw(self, X):
        X = np.asarray(X, dtype=float)
        first = 0.1 + 0.8 / (1 + np.exp(-X[:, 0])) + 0.0123456789
        first = np.clip(first, 0.0123456789, 0.9876543211)
        return np.column_stack([first, 1 - first])

    def predict_proba(self, X):
        self.calls_ += 1
        return self._raw(X)

    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))

    def decision_function(self, X):
        return self._raw(X)[:, 1] - 0.5

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


def _spy_data():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(50, 3))
    return X, (X[:, 0] > 0).astype(int)


def _contains_raw(value, raw, allowed=()):
    """Whether an output carries any raw score of the model (log-probabilities and decision
    values included) other than those the defense itself lets through (``allowed``)."""
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return False
    if array.size == 0:
        return False
    flat = np.round(array.ravel(), 9)
    allowed = np.round(np.asarray(allowed, dtype=float).ravel(), 9)
    for reference in (raw.ravel(), np.log(raw).ravel(), raw[:, 1] - 0.5):
        secret = np.setdiff1d(np.round(reference, 9), allowed)
        if np.isin(flat, secret).any():
            return True
    return False


@pytest.mark.parametrize(
    "defense", [RoundProbabilities(1), LabelOnly(), TopK(1), GaussianNoise(0.05, random_state=0)]
)
def test_no_path_returns_an_undefended_score(defense):
    X, y = _spy_data()
    defended = DefendedClassifier(SpyClassifier(), defense).fit(X, y)
    raw = SpyClassifier().fit(X, y)._raw(X)
    assert _contains_raw(raw, raw)  # the detector itself works
    # What the defense lets through (TopK keeps the top value) is not a leak of the wrapper.
    allowed = clone(defense).fit(raw).transform(raw)
    allowed = np.concatenate([np.ravel(allowed), np.log(np.clip(np.ravel(allowed), 1e-300, None))])
    for restored in (defended, pickle.loads(pickle.dumps(defended))):
        checked = []
        for name in dir(restored):
            if name.startswith("_"):
                continue
            try:
                attribute = getattr(restored, name)
            except AttributeError:
                continue
            if callable(attribute):
                if name in {
                    "fit",
                    "set_params",
                    "get_params",
                    "set_output",
                    "set_score_request",
                    "get_metadata_routing",
                    "set_fit_request",
                }:
                    continue
                try:
                    output = attribute(X, y) if name == "score" else attribute(X)
                except (AttributeError, TypeError, NotFittedError):
                    continue
                checked.append(name)
            else:
                output = attribute
            assert not _contains_raw(output, raw, allowed), name
            assert not hasattr(output, "coef_"), f"{name} exposes the inner model"
        assert {"predict", "predict_proba", "predict_log_proba", "score"} <= set(checked)
        assert not hasattr(restored, "decision_function")
        assert not hasattr(restored, "coef_")


def test_pickle_round_trip_keeps_the_defense():
    X, y = _spy_data()
    defended = DefendedClassifier(SpyClassifier(), RoundProbabilities(1)).fit(X, y)
    restored = pickle.loads(pickle.dumps(defended))
    np.testing.assert_array_equal(restored.predict_proba(X), defended.predict_proba(X))
    assert set(np.round(restored.predict_proba(X).ravel(), 6)) <= {
        round(v / 10, 6) for v in range(11)
    }


def test_predict_agrees_with_defended_probabilities_and_keeps_the_models_label():
    X, y = xor_population(600, seed=5)
    model = LogisticRegression().fit(X[["known", "noise"]], y)
    defended = DefendedClassifier(FrozenEstimator(model), RoundProbabilities(0)).fit(
        X[["known", "noise"]], y
    )
    proba = defended.predict_proba(X[["known", "noise"]])
    labels = defended.predict(X[["known", "noise"]])
    positions = np.searchsorted(defended.classes_, labels)
    assert (proba[np.arange(len(proba)), positions] >= proba.max(axis=1)).all()
    # Rounding keeps the arg-max (weakly): the served label is the model's own.
    np.testing.assert_array_equal(labels, model.predict(X[["known", "noise"]]))
    assert defended.score(X[["known", "noise"]], y) == pytest.approx(
        model.score(X[["known", "noise"]], y)
    )


def test_fit_clones_an_unfitted_model_and_keeps_a_frozen_one():
    X, y = _spy_data()
    template = LogisticRegression()
    DefendedClassifier(template, LabelOnly()).fit(X, y)
    assert not hasattr(template, "coef_")  # the caller's estimator is not fitted in place
    prefit = LogisticRegression(C=0.01).fit(X, y)
    coef = prefit.coef_.copy()
    DefendedClassifier(FrozenEstimator(prefit), LabelOnly()).fit(X[:10], 1 - y[:10])
    np.testing.assert_array_equal(prefit.coef_, coef)
    with pytest.raises(NotFittedError):
        DefendedClassifier(LogisticRegression(), LabelOnly()).predict_proba(X)


def test_defended_model_on_raw_frames_keeps_feature_names(text_dtype):
    X, y = xor_population(400, seed=6, text_dtype=text_dtype)
    pipeline = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["secret"]), remainder="passthrough"),
        RandomForestClassifier(20, random_state=0),
    )
    defended = DefendedClassifier(pipeline, RoundProbabilities(1)).fit(X, y)
    assert list(defended.feature_names_in_) == ["known", "noise", "secret"]
    assert defended.predict_proba(X).shape == (400, 2)


def test_defended_regressor_rounds_every_output():
    rng = np.random.default_rng(7)
    X = rng.normal(size=(100, 2))
    y = X @ [3.0, -2.0] + rng.normal(size=100)
    defended = DefendedRegressor(LinearRegression(), RoundPredictions(step=0.5)).fit(X, y)
    predictions = defended.predict(X)
    assert predictions.shape == (100,)
    np.testing.assert_allclose(predictions * 2, np.round(predictions * 2))
    assert not hasattr(defended, "coef_")
    raw = LinearRegression().fit(X, y).predict(X)
    assert np.abs(predictions - raw).max() <= 0.25 + 1e-9


class _RefusingDefense(BaseEstimator):
    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X)[:, :1]


def test_defense_that_changes_the_shape_is_refused():
    X, y = _spy_data()
    defended = DefendedClassifier(LogisticRegression(), _RefusingDefense()).fit(X, y)
    with pytest.raises(ValueError, match="changed the output's shape"):
        defended.predict_proba(X)


# -- query budgets -----------------------------------------------------------------------------


def test_budget_refuses_before_the_model_is_called():
    X, y = _spy_data()
    spy = SpyClassifier().fit(X, y)
    api = QueryBudget(spy, max_rows=60, max_calls=5)
    api.predict_proba(X)
    assert (api.rows_used_, api.calls_used_, spy.calls_) == (50, 1, 1)
    with pytest.raises(QueryBudgetExceeded, match="60 rows") as error:
        api.predict_proba(X[:11])
    assert (error.value.rows_used, error.value.rows_requested, error.value.max_rows) == (50, 11, 60)
    assert spy.calls_ == 1 and api.rows_used_ == 50  # refused calls cost nothing
    api.predict_proba(X[:10])
    assert api.rows_remaining_ == 0
    api.reset()
    assert api.rows_used_ == 0
    calls = QueryBudget(spy, max_calls=2)
    calls.predict(X[:1])
    calls.predict(X[:1])
    with pytest.raises(QueryBudgetExceeded, match="2 calls"):
        calls.predict(X[:1])


def test_budget_is_thread_safe():
    X, y = _spy_data()
    api = QueryBudget(LogisticRegression().fit(X, y), max_rows=1000)
    served, refused = [], []

    def client():
        for _ in range(40):
            try:
                api.predict(X[:7])
                served.append(7)
            except QueryBudgetExceeded:
                refused.append(1)

    threads = [threading.Thread(target=client) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(served) == api.rows_used_ == 7 * (1000 // 7)
    assert len(served) + len(refused) == 8 * 40


@pytest.mark.parametrize("n_jobs", [1, 2])
def test_attack_reports_how_far_it_got_when_the_budget_runs_out(n_jobs):
    X, y = xor_population(1000, seed=8)
    model = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    api = QueryBudget(model, max_rows=500)
    attack = ConfidenceInversion(api, "secret", max_rows_per_call=100, n_jobs=n_jobs)
    attack.fit(X[600:800], y[600:800])
    with pytest.raises(QueryBudgetExceeded, match="had queried 250 of 600 target records") as error:
        attack.attack(X[:600], y[:600])
    assert (error.value.records_completed, error.value.records_total) == (250, 600)
    assert attack.last_query_cost_.rows == 500
    # With room for it, the same attack through the budget gives the undefended answer, and
    # every row is charged (parallel queries run on threads, against this one budget).
    roomy = QueryBudget(model, max_rows=10_000)
    through = ConfidenceInversion(
        roomy, "secret", max_rows_per_call=100, n_jobs=n_jobs, random_state=0
    ).fit(X[600:800], y[600:800])
    direct = ConfidenceInversion(model, "secret", random_state=0).fit(X[600:800], y[600:800])
    pd.testing.assert_series_equal(
        through.attack(X[:600], y[:600]), direct.attack(X[:600], y[:600])
    )
    assert roomy.rows_used_ == through.last_query_cost_.rows == 1200


# -- attacks through defenses ------------------------------------------------------------------


@pytest.fixture(scope="module")
def memorising():
    """Secret and label are noise; a fully grown forest memorises its members' records, so only
    its confidence (not the population) reveals the members' secrets."""
    rng = np.random.default_rng(3)
    n = 1600
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "secret": rng.integers(0, 2, n)}
    )
    y = rng.integers(0, 2, n)
    model = RandomForestClassifier(200, random_state=0).fit(X[:600], y[:600])
    return model, X, y


def _member_accuracy(attack, X, y):
    return float(
        (attack.attack(X[:600], y[:600]).to_numpy() == X["secret"][:600].to_numpy()).mean()
    )


def test_label_only_defense_stops_the_confidence_attack_but_not_lomia(memorising):
    model, X, y = memorising
    defended = DefendedClassifier(FrozenEstimator(model), LabelOnly()).fit(X[:2], y[:2])
    aux = (X[600:900], y[600:900])
    plain_map = ConfidenceInversion(model, "secret", random_state=0).fit(*aux)
    defended_map = ConfidenceInversion(defended, "secret", random_state=0).fit(*aux)
    assert _member_accuracy(plain_map, X, y) > 0.7
    assert _member_accuracy(defended_map, X, y) < _member_accuracy(plain_map, X, y) - 0.1
    # LOMIA only reads labels, which an arg-max-preserving defense leaves exactly as they were.
    plain_lomia = LabelOnlyInversion(model, "secret", random_state=0).fit(*aux)
    defended_lomia = LabelOnlyInversion(defended, "secret", random_state=0).fit(*aux)
    pd.testing.assert_series_equal(
        plain_lomia.attack(X[:600], y[:600]), defended_lomia.attack(X[:600], y[:600])
    )


def test_evaluate_defenses_sweep(memorising):
    model, X, y = memorising
    table = evaluate_defenses(
        model,
        {
            "round 0.1": RoundProbabilities(1),
            "label only": LabelOnly(),
            "heavy noise": GaussianNoise(2.0, random_state=0),
        },
        X[600:900],
        y[600:900],
        targets={"members": (X[:600], y[:600]), "non-members": (X[900:1200], y[900:1200])},
        X_test=X[1200:],
        y_test=y[1200:],
        attacks=[ConfidenceInversion(model, "secret")],  # no label-only attack given ...
        models={
            "shallow forest": RandomForestClassifier(50, max_depth=2, random_state=0).fit(
                X[:600], y[:600]
            )
        },
        n_resamples=200,
        random_state=0,
    )
    # ... so one is added: 5 candidates × 2 attacks × 2 populations.
    assert sorted(table["attack"].unique()) == ["LOMIA", "MAP"]
    assert len(table) == 5 * 2 * 2
    assert table["defense"].unique().tolist() == [
        "none",
        "round 0.1",
        "label only",
        "heavy noise",
        "shallow forest",
    ]
    by = table.set_index(["defense", "attack", "population"])
    assert by.loc[("none", "MAP", "members"), "utility_change"] == 0
    # Arg-max-preserving defenses cost no accuracy; heavy noise does.
    for name in ("round 0.1", "label only"):
        assert (
            by.loc[(name, "MAP", "members"), "utility"]
            == by.loc[("none", "MAP", "members"), "utility"]
        )
        assert by.loc[(name, "MAP", "members"), "keeps_argmax"]
    assert not by.loc[("heavy noise", "MAP", "members"), "keeps_argmax"]
    # The memorised members leak through the confidences; label-only output removes that.
    assert by.loc[("none", "MAP", "members"), "advantage_ci_low"] > 0
    assert (
        by.loc[("label only", "MAP", "members"), "advantage"]
        < by.loc[("none", "MAP", "members"), "advantage"] - 0.1
    )
    assert (
        by.loc[("label only", "LOMIA", "members"), "score"]
        == by.loc[("none", "LOMIA", "members"), "score"]
    )
    assert (
        by.loc[("shallow forest", "MAP", "members"), "advantage"]
        < by.loc[("none", "MAP", "members"), "advantage"] - 0.1
    )
    frontier = privacy_utility_frontier(table)
    assert set(frontier["defense"]) == set(table["defense"])
    assert not frontier.set_index("defense").loc["none", "on_frontier"]  # label only beats it


def test_sweep_repeats_evaluate_attacks_with_one_baseline_score(memorising):
    """The baseline never queries the model: the same baseline score under every defense; and
    with an int seed the undefended rows are evaluate_attacks' rows with that seed. (That the
    baseline is fitted once for the whole sweep is checked in tests/internals/, through the
    private fit it counts.)"""
    model, X, y = memorising
    aux, targets = (
        (X[600:900], y[600:900]),
        {"members": (X[:600], y[:600]), "non-members": (X[900:1200], y[900:1200])},
    )
    attacks = [
        ConfidenceInversion(model, "secret", random_state=0),
        LabelOnlyInversion(model, "secret", random_state=0),
    ]
    table = evaluate_defenses(
        model,
        {
            "round 0.1": RoundProbabilities(1),
            "label only": LabelOnly(),
            "noise": GaussianNoise(0.3, random_state=0),
        },
        *aux,
        targets=targets,
        X_test=X[1200:],
        y_test=y[1200:],
        attacks=attacks,
        n_resamples=50,
        random_state=0,
    )
    assert table["defense"].nunique() == 4
    per_attack = table.groupby(["attack", "population"])["baseline_score"].nunique()
    assert (per_attack == 1).all()
    assert table.groupby("population")["baseline_score"].nunique().eq(1).all()

    direct = evaluate_attacks(attacks, *aux, targets=targets, n_resamples=50, random_state=0)
    direct = direct[direct["attack"] != "imputation"].reset_index(drop=True)
    none = table[table["defense"] == "none"].reset_index(drop=True)
    columns = [
        "attack",
        "population",
        "score",
        "baseline_score",
        "advantage",
        "advantage_ci_low",
        "advantage_ci_high",
        "verdict",
    ]
    pd.testing.assert_frame_equal(none[columns], direct[columns])


def test_white_box_attacks_are_refused_in_an_output_defense_sweep(memorising):
    model, X, y = memorising
    with pytest.raises(ValueError, match="internals, which an output defense"):
        evaluate_defenses(
            model,
            [LabelOnly()],
            X[600:900],
            y[600:900],
            targets={"members": (X[:600], y[:600])},
            X_test=X[1200:],
            y_test=y[1200:],
            attacks=[WhiteBoxTreeInversion(model, "secret")],
        )


def test_evaluate_defenses_needs_attacks_or_a_sensitive_column(memorising):
    model, X, y = memorising
    with pytest.raises(ValueError, match="sensitive="):
        evaluate_defenses(
            model,
            [LabelOnly()],
            X[600:900],
            y[600:900],
            targets={"members": (X[:600], y[:600])},
            X_test=X[1200:],
            y_test=y[1200:],
        )


def test_clone_of_a_defended_model_is_unfitted_and_equal_in_params():
    defended = DefendedClassifier(LogisticRegression(C=2.0), RoundProbabilities(2))
    copy = clone(defended)
    assert copy.get_params()["estimator__C"] == 2.0
    assert copy.get_params()["defense__decimals"] == 2


def test_attacks_see_through_a_defended_pipeline(text_dtype):
    """The attack reads the encoder inside the defended pipeline: unseen candidates are refused,
    seen ones work and the defended model still leaks what its labels reveal."""
    X, y = xor_population(1200, seed=9, text_dtype=text_dtype)
    pipeline = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["secret"]), remainder="passthrough"
        ),
        RandomForestClassifier(50, random_state=0),
    )
    defended = DefendedClassifier(pipeline, RoundProbabilities(1)).fit(X[:800], y[:800])
    aux = X[800:1000].copy()
    attack = ConfidenceInversion(defended, "secret", random_state=0).fit(aux, y[800:1000])
    guesses = attack.attack(X[:800], y[:800])
    assert (guesses.to_numpy() == X["secret"][:800].to_numpy()).mean() > 0.95
    aux["secret"] = pd.Series(["never seen"] * len(aux), index=aux.index, dtype=text_dtype)
    aux.iloc[0, aux.columns.get_loc("secret")] = "v0"
    with pytest.raises(ValueError, match="never seen by the model's encoder"):
        ConfidenceInversion(defended, "secret").fit(aux, y[800:1000])

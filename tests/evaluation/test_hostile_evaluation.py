"""Hostile and malformed inputs to evaluate_attacks, evaluate_defenses and the frontier (issue
12 §6): every case asserts the *exact* error class, that the message names the problem, and
that the caller's frames are unchanged."""

import numpy as np
import pandas as pd
import pytest
from conftest import frames_kept, refused
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert import evaluate_attacks, evaluate_defenses
from tabinvert.attacks import ConfidenceInversion
from tabinvert.evaluation import privacy_utility_frontier
from tabinvert.defenses import (
    NoisePredictions,
    QueryBudget,
    RoundProbabilities,
    TopK,
)


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

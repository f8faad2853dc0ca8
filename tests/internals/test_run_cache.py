"""The run cache: within one run each grid is asked of the model once, each imputation learner
is fitted once, defenses are applied to the remembered raw answers, and a query budget is never
answered from memory.

These tests open the private run cache and call the query engine directly (see README.md in this
folder). What a user sees of it — fewer queries, identical results — is checked through
evaluate_attacks and assess in tests/evaluation/test_evaluation.py.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.neural_network import MLPClassifier

from tabinvert._cache import run_cache
from tabinvert._query import query_candidates
from tabinvert._validation import candidate_array, make_layout, split_known
from tabinvert.attacks import ConfidenceInversion, ImputationBaseline, LabelOnlyInversion
from tabinvert.attacks import _imputation as imputation_module
from tabinvert.defenses import (
    CoarsenProbabilities,
    DefendedClassifier,
    GaussianNoise,
    LabelOnly,
    QueryBudget,
    ReverseSigmoid,
    RoundProbabilities,
    TopK,
)
from tabinvert.evaluation import evaluate_defenses


def test_an_imputation_learner_is_fitted_once_per_run(setting, monkeypatch):
    """The baseline and a second baseline with the same data and settings share one fit."""
    _, _, X_aux, y_aux, _ = setting
    calls = []
    original = ImputationBaseline._fit_learner

    def counting(self, features, target, task):
        learner, selection = original(self, features, target, task)
        calls.append(id(learner))
        return learner, selection

    monkeypatch.setattr(ImputationBaseline, "_fit_learner", counting)
    with run_cache():
        first = ImputationBaseline("secret", random_state=0).fit(X_aux, y_aux)
        second = ImputationBaseline("secret", random_state=0).fit(X_aux, y_aux)
        other = ImputationBaseline("secret", random_state=1).fit(X_aux, y_aux)
    assert first.learner_ is second.learner_ and other.learner_ is not first.learner_
    outside = ImputationBaseline("secret", random_state=0).fit(X_aux, y_aux)
    assert outside.learner_ is not first.learner_


DEFENSES = [
    RoundProbabilities(1),
    TopK(1),
    LabelOnly(),
    CoarsenProbabilities(4),
    GaussianNoise(0.1, random_state=0),
    ReverseSigmoid(1.0, 0.1),
]


@pytest.mark.parametrize("defense", DEFENSES, ids=lambda d: type(d).__name__)
@pytest.mark.parametrize("method", ["predict_proba", "predict"])
def test_defended_answers_from_remembered_raw_answers_equal_the_defended_model(
    setting, defense, method
):
    """Within a run the defended model is not asked: its defense is applied to the raw answers
    already on hand — and gives exactly what the defended model serves."""
    model, forest, X_aux, y_aux, targets = setting
    X = targets["members"][0]
    defended = DefendedClassifier(FrozenEstimator(model), defense).fit(X[:2], [0, 1])
    layout = make_layout(model, X_aux, "secret")
    known, _ = split_known(layout, X)
    candidates = candidate_array(layout, [0, 1, 2])
    direct, _ = query_candidates(defended, layout, known, candidates, response_method=method)
    with run_cache() as cache:
        query_candidates(model, layout, known, candidates, response_method="predict_proba")
        asked = dict(model.rows_)
        derived, cost = query_candidates(
            defended, layout, known, candidates, response_method=method
        )
    assert model.rows_ == asked  # the defended model's answers came from the raw ones
    assert cache.rows_served == cost.rows == len(X) * 3
    np.testing.assert_array_equal(derived, direct)


def test_a_query_budget_is_never_answered_from_memory(setting):
    model, _, X_aux, y_aux, targets = setting
    budget = QueryBudget(model)
    with run_cache():
        for _ in range(2):
            ConfidenceInversion(budget, "secret").fit(X_aux, y_aux).attack(*targets["members"])
    assert budget.rows_used_ == 2 * 600 * 3


@pytest.mark.parametrize(
    "make_model",
    [
        lambda: RandomForestClassifier(20, random_state=0),
        lambda: HistGradientBoostingClassifier(max_iter=20, random_state=0),
        lambda: MLPClassifier((8,), max_iter=200, random_state=0),
    ],
    ids=["forest", "hist-gradient-boosting", "mlp"],
)
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_labels_are_read_off_remembered_probabilities(make_model, monkeypatch):
    """For a classifier whose predict is the arg-max of its predict_proba, a label-only attack
    reads the labels off the probabilities the run already holds: the model's predict is not
    called, and the labels are exactly what it would return."""
    X, y = xor_population(900, seed=5, n_values=3)
    model = make_model().fit(X[:600], y[:600])
    layout = make_layout(model, X[600:], "secret")
    known, _ = split_known(layout, X[600:])
    candidates = candidate_array(layout, [0, 1, 2])
    direct, _ = query_candidates(model, layout, known, candidates, response_method="predict")
    calls = []
    monkeypatch.setattr(type(model), "predict", lambda self, X: calls.append(len(X)))
    with run_cache():
        query_candidates(model, layout, known, candidates, response_method="predict_proba")
        derived, cost = query_candidates(
            model, layout, known, candidates, response_method="predict"
        )
    assert calls == [] and cost.rows == 300 * 3
    np.testing.assert_array_equal(derived, direct)


def test_labels_of_other_classifiers_are_asked_for(setting):
    """A classifier not known to predict its arg-max (here a custom one) is asked for labels."""
    model, _, X_aux, y_aux, targets = setting
    with run_cache():
        ConfidenceInversion(model, "secret").fit(X_aux, y_aux).attack(*targets["members"])
        LabelOnlyInversion(model, "secret", random_state=0).fit(X_aux, y_aux).attack(
            *targets["members"]
        )
    assert model.rows_["predict"] >= 600 * 3


# -- a defense sweep (from test_defenses) --------------------------------------------------------


@pytest.fixture(scope="module")
def memorising():
    """Secret and label are noise; a fully grown forest memorises its members' records."""
    rng = np.random.default_rng(3)
    n = 1600
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "secret": rng.integers(0, 2, n)}
    )
    y = rng.integers(0, 2, n)
    model = RandomForestClassifier(200, random_state=0).fit(X[:600], y[:600])
    return model, X, y


def test_a_defense_sweep_fits_the_imputation_baseline_once(memorising, monkeypatch):
    """The baseline never queries the model: one fit for the whole sweep (the rest of this
    sweep's promises are checked in tests/defenses/test_defenses.py)."""
    model, X, y = memorising
    fits = []
    original_compare = imputation_module._compare_with_marginal

    def counting_compare(*args, **kwargs):  # runs once per learner actually fitted
        fits.append("secret")
        return original_compare(*args, **kwargs)

    monkeypatch.setattr(imputation_module, "_compare_with_marginal", counting_compare)
    aux, targets = (
        (X[600:900], y[600:900]),
        {"members": (X[:600], y[:600]), "non-members": (X[900:1200], y[900:1200])},
    )
    attacks = [
        ConfidenceInversion(model, "secret", random_state=0),
        LabelOnlyInversion(model, "secret", random_state=0),
    ]
    evaluate_defenses(
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
    assert fits == ["secret"]

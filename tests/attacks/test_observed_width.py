"""With the victim's output in hand (``observed=``), MAP is never below nearest-output matching.

Nearest-output matching re-queries the model with every candidate value and keeps the one whose
answer is closest to what the victim saw. When the observation is exact it recovers the
attribute exactly; MAP, which also weighs the prior, must not do worse, on raw outputs and on
rounded ones, whatever the model.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import balanced_accuracy_score

from tabinvert.attacks import ConfidenceInversion
from tabinvert.defenses import DefendedClassifier, RoundProbabilities

N_TRAIN, N_AUX, N_TARGETS = 1500, 500, 1000


def _population(n, seed, secret_share=0.3, n_labels=2):
    """The label depends on two known features and on the (skewed, binary) secret."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "secret": (rng.random(n) < secret_share).astype(int),
        }
    )
    score = X["a"] - 0.5 * X["b"] + 0.8 * X["secret"] + rng.normal(scale=0.5, size=n)
    y = np.digitize(score, np.quantile(score, np.linspace(0, 1, n_labels + 1)[1:-1]))
    return X, pd.Series(y, name="y")


def _split(X, y):
    train, aux = slice(0, N_TRAIN), slice(N_TRAIN, N_TRAIN + N_AUX)
    targets = slice(N_TRAIN + N_AUX, N_TRAIN + N_AUX + N_TARGETS)
    return (X[train], y[train]), (X[aux], y[aux]), X[targets].reset_index(drop=True)


def _nearest_output(model, targets, candidates, observed, method="predict_proba", column="secret"):
    """The candidate whose answer is closest to the observed one (the first on ties)."""
    observed = np.asarray(observed, dtype=float).reshape(len(targets), -1)
    distances = []
    for value in candidates:
        answer = getattr(model, method)(targets.assign(**{column: value}))
        answer = np.asarray(answer, dtype=float).reshape(len(targets), -1)
        distances.append(((answer - observed) ** 2).sum(axis=1))
    return np.asarray(candidates)[np.argmin(np.stack(distances, axis=1), axis=1)]


def _xgboost(seed):
    xgboost = pytest.importorskip("xgboost")  # in the test extra; absent only for plain installs
    return xgboost.XGBClassifier(n_estimators=50, max_depth=3, random_state=seed, n_jobs=1)


MODELS = {
    "xgboost": _xgboost,
    "forest": lambda seed: RandomForestClassifier(
        50, min_samples_leaf=5, random_state=seed, n_jobs=1
    ),
    "logistic": lambda seed: LogisticRegression(),
}


@pytest.fixture(scope="module", params=[(2, 1), (3, 2)], ids=["binary", "3-class"])
def data(request):
    n_labels, seed = request.param
    return _split(*_population(N_TRAIN + N_AUX + N_TARGETS, seed, n_labels=n_labels))


def _served(name, train):
    return MODELS[name](0).fit(*train)


def _map_and_nearest(model, queried, aux, targets, observed, **params):
    attack = ConfidenceInversion(queried, "secret", random_state=0, **params).fit(*aux)
    guesses = attack.attack(targets, observed=observed)
    nearest = _nearest_output(queried, targets, attack.candidates_, observed)
    truth = targets["secret"]
    return balanced_accuracy_score(truth, guesses), balanced_accuracy_score(truth, nearest)


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("decimals", [None, 3, 2, 1], ids=lambda d: f"round{d}")
def test_map_with_observed_output_is_never_below_nearest_output_matching(data, name, decimals):
    """Raw outputs, and outputs the victim saw rounded (the attacker queries the raw model)."""
    train, aux, targets = data
    model = _served(name, train)
    observed = model.predict_proba(targets)
    if decimals is not None:
        observed = np.round(observed, decimals)
    map_score, nearest_score = _map_and_nearest(model, model, aux, targets, observed)
    assert map_score >= nearest_score
    if decimals is None:  # the exact output singles out the true value (and MAP finds it)
        assert nearest_score > 0.99


@pytest.mark.parametrize("name", list(MODELS))
@pytest.mark.parametrize("decimals", [2, 1])
def test_map_matches_nearest_output_behind_a_rounding_defense(data, name, decimals):
    """The victim and the attacker both get the defended (rounded) answers: ties are common."""
    train, aux, targets = data
    model = _served(name, train)
    served = DefendedClassifier(FrozenEstimator(model), RoundProbabilities(decimals=decimals))
    served.fit(*train)
    observed = served.predict_proba(targets)
    map_score, nearest_score = _map_and_nearest(model, served, aux, targets, observed)
    assert map_score >= nearest_score


def test_gradient_boosting_exact_output_recovers_the_secret():
    """The reported case: a fixed kernel width of 0.01 let the 70:30 prior overrule exact
    matches on an XGBoost model (balanced accuracy 0.955, nearest-output matching 1.000)."""
    X, y = _population(N_TRAIN + N_AUX + N_TARGETS, seed=1)
    train, aux, targets = _split(X, y)
    model = _xgboost(0).fit(*train)
    observed = model.predict_proba(targets)
    map_score, nearest_score = _map_and_nearest(model, model, aux, targets, observed)
    assert nearest_score == 1.0
    assert map_score == 1.0


def test_an_exact_match_outweighs_a_lopsided_prior():
    """The auxiliary data hold the rare value once in a hundred records, the targets half the
    time: the prior is 99:1 against it, yet the observed output decides."""
    X, y = _population(N_TRAIN + N_AUX + N_TARGETS, seed=3, secret_share=0.5)
    train, aux, targets = _split(X, y)
    aux_X, aux_y = aux
    aux_X = aux_X.assign(secret=(np.arange(len(aux_X)) < len(aux_X) // 100).astype(int))
    for name in ("logistic", "forest"):
        model = _served(name, train)
        observed = model.predict_proba(targets)
        attack = ConfidenceInversion(model, "secret", random_state=0).fit(aux_X, aux_y)
        assert attack.prior_[0] > 0.95
        guesses = attack.attack(targets, observed=observed)
        nearest = _nearest_output(model, targets, attack.candidates_, observed)
        truth = targets["secret"]
        assert balanced_accuracy_score(truth, guesses) >= balanced_accuracy_score(truth, nearest)
        assert balanced_accuracy_score(truth, guesses) > 0.95


@pytest.mark.parametrize(
    "make",
    [LinearRegression, lambda: RandomForestRegressor(30, min_samples_leaf=5, random_state=0)],
    ids=["linear", "forest"],
)
def test_regressor_observed_output_is_never_below_nearest_output_matching(make):
    X, _ = _population(N_TRAIN + N_AUX + N_TARGETS, seed=4)
    target = 3 * X["a"] + 200 * X["secret"] + np.random.default_rng(0).normal(size=len(X))
    train, aux, targets = _split(X, target)
    model = make().fit(*train)
    for observed in (model.predict(targets), np.round(model.predict(targets))):
        attack = ConfidenceInversion(model, "secret", random_state=0).fit(*aux)
        guesses = attack.attack(targets, observed=observed)
        nearest = _nearest_output(model, targets, attack.candidates_, observed, "predict")
        truth = targets["secret"]
        assert balanced_accuracy_score(truth, guesses) >= balanced_accuracy_score(truth, nearest)


def _ages(seed):
    """A numeric secret (age) that shifts a classifier's label and a regressor's output."""
    rng = np.random.default_rng(seed)
    n = N_TRAIN + N_AUX + N_TARGETS
    X = pd.DataFrame({"a": rng.normal(size=n), "age": rng.uniform(20, 80, n)})
    label = (X["a"] + 0.05 * (X["age"] - 50) + rng.normal(scale=0.5, size=n) > 0).astype(int)
    output = 3 * X["a"] + 0.2 * X["age"] + rng.normal(size=n)
    return X, label, output


@pytest.mark.parametrize(
    "make, method, decimals",
    [
        (LogisticRegression, "predict_proba", None),
        (LogisticRegression, "predict_proba", 2),
        (LogisticRegression, "predict_proba", 1),
        (
            lambda: RandomForestClassifier(30, min_samples_leaf=5, random_state=0),
            "predict_proba",
            2,
        ),
        (LinearRegression, "predict", None),
        (LinearRegression, "predict", 0),
    ],
    ids=[
        "logistic-raw",
        "logistic-round2",
        "logistic-round1",
        "forest-round2",
        "linear-raw",
        "linear-round0",
    ],
)
def test_numeric_secret_posterior_mean_beats_nearest_output(make, method, decimals):
    """For a numeric attribute the guess is the posterior mean: it interpolates between the
    grid values around an exact observation, and averages the values that round to a rounded
    one, instead of snapping to (or missing) the nearest."""
    X, label, output = _ages(0)
    y = label if method == "predict_proba" else output
    train, aux = slice(0, N_TRAIN), slice(N_TRAIN, N_TRAIN + N_AUX)
    targets = X[N_TRAIN + N_AUX :].reset_index(drop=True)
    model = make().fit(X[train], y[train])
    observed = getattr(model, method)(targets)
    if decimals is not None:
        observed = np.round(observed, decimals)
    attack = ConfidenceInversion(model, "age").fit(X[aux], y[aux])
    assert attack.sensitive_kind_ == "numeric"
    guesses = attack.attack(targets, observed=observed)
    nearest = _nearest_output(model, targets, attack.candidates_, observed, method, "age")
    map_error = np.abs(guesses - targets["age"]).mean()
    assert map_error < np.abs(nearest - targets["age"]).mean()


def test_a_set_noise_scale_keeps_its_gaussian_kernel():
    """noise_scale is the kernel width, as before: a soft kernel where the prior still counts."""
    X, y = _population(N_TRAIN + N_AUX + N_TARGETS, seed=5)
    train, aux, targets = _split(X, y)
    model = LogisticRegression().fit(*train)
    observed = model.predict_proba(targets[:50])
    attack = ConfidenceInversion(model, "secret", noise_scale=0.05).fit(*aux)
    proba = attack.attack_proba(targets[:50], observed=observed).to_numpy()
    answers = np.stack(
        [model.predict_proba(targets[:50].assign(secret=v)) for v in attack.candidates_], axis=1
    )
    log_post = np.log(attack.prior_)[None, :] - 0.5 * (
        ((answers - observed[:, None, :]) ** 2).sum(axis=2) / 0.05**2
    )
    expected = np.exp(log_post - log_post.max(axis=1, keepdims=True))
    np.testing.assert_allclose(proba, expected / expected.sum(axis=1, keepdims=True), rtol=1e-9)

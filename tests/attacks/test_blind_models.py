"""A model blind to the sensitive attribute leaks nothing about it: every attack that uses an
imputation prior, fallback or features must then score exactly as the imputation baseline it
is compared with (advantage exactly 0), and the assessment must say "none".

The blind models are Pipelines whose first step drops the sensitive column, so their answer is
identical for every candidate value. The known features predict the attribute (so imputation
is good at it) and the label depends on the attribute (so the label carries information about
it for the imputer too).
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tabinvert import assess
from tabinvert.attacks import (
    ConfidenceInversion,
    GradientInversion,
    LabelOnlyInversion,
    LearnedInversion,
)
from tabinvert.evaluation import evaluate_attacks


def _population(seed, n=900, numeric=False):
    rng = np.random.default_rng(seed)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    if numeric:
        secret = 2.0 * x1 + rng.normal(size=n)
    else:
        secret = np.where(x1 + rng.normal(scale=0.8, size=n) > 0, "a", "b")
        secret = np.where(rng.random(n) < 0.15, "c", secret)
    X = pd.DataFrame({"x1": x1, "x2": x2, "secret": secret})
    signal = x2 + (secret if numeric else (secret == "a") * 1.5)
    y_class = (signal + rng.normal(scale=0.5, size=n) > 0.5).astype(int)
    y_reg = signal + rng.normal(scale=0.3, size=n)
    return X, y_class, y_reg


def _blind(model):
    """A Pipeline whose first step drops the sensitive column."""
    drop = ColumnTransformer([("secret", "drop", ["secret"])], remainder="passthrough")
    return make_pipeline(drop, model)


def _split(X, y):
    return (X[:300], y[:300]), (X[300:600], y[300:600]), (X[600:], y[600:])


CATEGORICAL_CASES = {
    "classifier, MAP with the imputation prior": (
        "class",
        lambda m: ConfidenceInversion(m, "secret", prior="imputation", random_state=0),
    ),
    "regressor, MAP with the imputation prior": (
        "reg",
        lambda m: ConfidenceInversion(m, "secret", prior="imputation", random_state=0),
    ),
    "classifier, LOMIA": ("class", lambda m: LabelOnlyInversion(m, "secret", random_state=0)),
    "classifier, learned": ("class", lambda m: LearnedInversion(m, "secret", random_state=0)),
    "regressor, learned": ("reg", lambda m: LearnedInversion(m, "secret", random_state=0)),
}


@pytest.mark.parametrize("case", list(CATEGORICAL_CASES))
@pytest.mark.parametrize("seed", [0, 2])
def test_a_blind_model_gives_every_imputing_attack_exactly_the_baseline(case, seed):
    task, make_attack = CATEGORICAL_CASES[case]
    X, y_class, y_reg = _population(seed)
    y = y_class if task == "class" else y_reg
    learner = (
        RandomForestClassifier(50, random_state=0)
        if task == "class"
        else RandomForestRegressor(50, random_state=0)
    )
    (X_train, y_train), (X_aux, y_aux), (X_out, y_out) = _split(X, y)
    model = _blind(learner).fit(X_train, y_train)
    table = evaluate_attacks(
        [make_attack(model)],
        X_aux,
        y_aux,
        targets={"members": (X_train, y_train), "non-members": (X_out, y_out)},
        n_resamples=50,
        random_state=seed,
    )
    attack_rows = table[table["attack"] != "imputation"]
    assert len(attack_rows) == 2
    # Exactly the baseline's guesses: the same score, an advantage of exactly 0.
    assert (attack_rows["advantage"] == 0.0).all(), attack_rows[["attack", "advantage"]]
    assert (attack_rows["score"] == attack_rows["baseline_score"]).all()
    assert (table["attack"] == "imputation").sum() == 2  # one baseline per population


@pytest.mark.parametrize("task", ["class", "reg"])
def test_a_blind_model_gives_the_gradient_attack_the_baselines_numeric_guesses(task):
    X, y_class, y_reg = _population(1, numeric=True)
    y = y_class if task == "class" else y_reg
    learner = LogisticRegression() if task == "class" else LinearRegression()
    (X_train, y_train), (X_aux, y_aux), (X_out, y_out) = _split(X, y)
    model = _blind(learner).fit(X_train, y_train)
    attack = GradientInversion(model, "secret", prior="imputation", random_state=0)
    table = evaluate_attacks(
        [attack],
        X_aux,
        y_aux,
        targets={"members": (X_train, y_train), "non-members": (X_out, y_out)},
        n_resamples=50,
        random_state=0,
    )
    attack_rows = table[table["attack"] != "imputation"]
    assert (attack_rows["advantage"] == 0.0).all(), attack_rows[["attack", "advantage"]]


def test_a_model_that_reads_the_attribute_is_not_flattened():
    """The fallback only covers records the model says nothing about: a model that uses the
    attribute keeps the attack's own evidence (here it beats imputation)."""
    X, _, _ = _population(3)
    # Labels that are noise: a forest memorises them, with the secret, for its members.
    y = np.random.default_rng(3).integers(0, 2, len(X))
    (X_train, y_train), (X_aux, y_aux), (X_out, y_out) = _split(X, y)
    encode = ColumnTransformer([("secret", OneHotEncoder(), ["secret"])], remainder="passthrough")
    model = make_pipeline(encode, RandomForestClassifier(100, random_state=0))
    model.fit(X_train, y_train)
    attack = ConfidenceInversion(model, "secret", prior="imputation", random_state=0)
    attack.fit(X_aux, y_aux)
    attack.attack(X_train, y_train)
    assert not attack.last_flat_records_.any()
    table = evaluate_attacks(
        [attack],
        X_aux,
        y_aux,
        targets={"members": (X_train, y_train)},
        n_resamples=100,
        random_state=0,
    )
    assert table.loc[table["attack"] != "imputation", "advantage"].iloc[0] > 0.05


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
@pytest.mark.parametrize("learner", ["logistic", "forest"])
def test_assess_rates_a_blind_model_none(seed, learner):
    X, y, _ = _population(seed, n=1200)
    model = (
        LogisticRegression()
        if learner == "logistic"
        else RandomForestClassifier(50, random_state=0)
    )
    model = _blind(model).fit(X[:600], y[:600])
    result = assess(
        model,
        X[:600],
        y[:600],
        X_holdout=X[600:],
        y_holdout=y[600:],
        sensitive="secret",
        n_resamples=200,
        random_state=seed,
    )
    imputing = result.results[result.results["attack"] == "MAP (imputation prior)"]
    assert (imputing["advantage"] == 0.0).all()
    assert result.summary["risk_level"].tolist() == ["none"]

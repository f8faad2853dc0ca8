"""Several unknowns: joint inference of two hidden attributes, and unknown features marginalised
over the auxiliary data (JointInversion around ConfidenceInversion / LabelOnlyInversion)."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier

from tabinvert.attacks import (
    ConfidenceInversion,
    JointInversion,
    LabelOnlyInversion,
    WhiteBoxTreeInversion,
)
from tabinvert.defenses import QueryBudget, QueryBudgetExceeded

A_EFFECT = {"p": -2.5, "q": 0.0, "r": 2.5}


def two_secrets(n, seed, text_dtype="object"):
    """Two hidden attributes that shift a logistic model's score by different amounts."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "a": pd.Series(rng.choice(["p", "q", "r"], n), dtype=text_dtype),
            "b": pd.Series(rng.choice(["u", "v"], n), dtype=text_dtype),
        }
    )
    logit = X["x"] + X["a"].map(A_EFFECT).astype(float) + 1.2 * (X["b"] == "v")
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    return X, y


def logistic(columns):
    """A logistic model on x and the one-hot of ``columns`` (the others are dropped)."""
    if columns:
        encode = make_column_transformer((OneHotEncoder(), columns), ("passthrough", ["x"]))
    else:
        encode = make_column_transformer(("passthrough", ["x"]))
    return make_pipeline(encode, LogisticRegression())


@pytest.fixture(scope="module")
def population():
    return two_secrets(1600, seed=1)


def joint_accuracy(guesses, X):
    return float((guesses.astype(object) == X[["a", "b"]].astype(object)).all(axis=1).mean())


def test_product_grid_recovers_both_secrets_only_from_a_model_that_uses_them(text_dtype):
    X, y = two_secrets(1600, seed=1, text_dtype=text_dtype)
    aux, targets = X[:800], X[800:]
    leaky = logistic(["a", "b"]).fit(X, y)
    blind = logistic([]).fit(X, y)  # never reads a or b: its outputs carry nothing about them
    for model, lower, upper in [(leaky, 0.95, 1.0), (blind, 0.0, 0.30)]:
        attack = JointInversion(ConfidenceInversion(model, None), ["a", "b"]).fit(aux)
        assert attack.mode_ == "product" and len(attack.joint_candidates_) == 6
        guesses = attack.attack(targets, observed=model.predict_proba(targets))
        assert list(guesses.columns) == ["a", "b"] and guesses.index.equals(targets.index)
        assert lower <= joint_accuracy(guesses, targets) <= upper
        assert attack.last_query_cost_.rows == len(targets) * 6
    # The blind model's guesses are the prior's mode everywhere (about 1/6 right).
    assert guesses.drop_duplicates().shape[0] == 1


def test_joint_posterior_marginals_sum_the_tuples(population):
    X, y = population
    model = logistic(["a", "b"]).fit(X, y)
    attack = JointInversion(ConfidenceInversion(model, None), ["a", "b"]).fit(X[:800], y[:800])
    proba = attack.attack_proba(X[800:900], y[800:900])
    assert proba.columns.names == ["a", "b"]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    marginals = attack.attack_marginals(X[800:900], y[800:900])
    np.testing.assert_allclose(marginals["a"]["p"], proba.xs("p", axis=1, level="a").sum(axis=1))
    np.testing.assert_allclose(marginals["b"].sum(axis=1), 1.0)
    # The MAP tuple with the label only is the tuple with the highest joint posterior.
    best = proba.idxmax(axis=1)
    guesses = attack.attack(X[800:900], y[800:900])
    assert [tuple(r) for r in guesses.to_numpy()] == list(best)


def test_coordinate_ascent_agrees_with_the_product_grid(population):
    X, y = population
    model = logistic(["a", "b"]).fit(X, y)
    aux, targets = X[:800], X[800:]
    observed = model.predict_proba(targets)
    product = JointInversion(ConfidenceInversion(model, None), ["a", "b"]).fit(aux)
    coordinate = JointInversion(
        ConfidenceInversion(model, None), ["a", "b"], max_joint_candidates=5
    ).fit(aux)
    assert coordinate.mode_ == "coordinate"
    guesses = coordinate.attack(targets, observed=observed)
    assert joint_accuracy(guesses, targets) >= 0.9
    assert coordinate.n_iter_ >= 2  # the start (each attribute's mode) is wrong for most records
    agreement = (guesses == product.attack(targets, observed=observed)).all(axis=1).mean()
    assert agreement >= 0.9
    with pytest.raises(ValueError, match="coordinate ascent"):
        coordinate.attack_proba(targets, observed=observed)
    marginals = coordinate.attack_marginals(targets, observed=observed)
    np.testing.assert_allclose(marginals["a"].sum(axis=1), 1.0)


def test_label_only_joint_inference_needs_a_model_that_reproduces_the_label():
    rng = np.random.default_rng(3)
    n = 1200
    X = pd.DataFrame(
        {
            "x": rng.integers(0, 4, n),
            "a": rng.choice(["p", "q", "r"], n),
            "b": rng.choice(["u", "v"], n),
        }
    )
    # Six classes: the label names the (a, b) pair, shifted by x; a tree learns it exactly.
    pair = X["a"].map({"p": 0, "q": 1, "r": 2}) * 2 + (X["b"] == "v")
    y = (pair + X["x"]) % 6
    encode = make_column_transformer((OneHotEncoder(), ["a", "b"]), remainder="passthrough")
    tree = make_pipeline(encode, DecisionTreeClassifier(random_state=0)).fit(X, y)
    attack = JointInversion(LabelOnlyInversion(tree, None, random_state=0), ["a", "b"])
    attack.fit(X[:600], y[:600])
    assert joint_accuracy(attack.attack(X[600:], y[600:]), X[600:]) >= 0.95
    blind_encode = make_column_transformer(("passthrough", ["x"]))
    blind = make_pipeline(blind_encode, DecisionTreeClassifier(random_state=0)).fit(X, y)
    attack = JointInversion(LabelOnlyInversion(blind, None, random_state=0), ["a", "b"])
    # Without labelled auxiliary records: with them, imputation alone reads the pair off the
    # label and x (LOMIA falls back on the imputation baseline where the model is blind).
    attack.fit(X[:600])
    with pytest.warns(UserWarning, match="exactly"):
        guesses = attack.attack(X[600:], y[600:])
    assert joint_accuracy(guesses, X[600:]) <= 0.30


def unknown_feature_population(n, seed):
    """y = s XOR u XOR [x > 0]: a model that learned it reveals s only with u known."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "u": rng.integers(0, 2, n),
            "s": rng.choice(["no", "yes"], n),
            "w": rng.normal(size=n),
        }
    )
    y = (X["s"] == "yes").astype(int) ^ X["u"] ^ (X["x"] > 0).astype(int)
    return X, y.to_numpy()


def test_unknown_features_are_averaged_over_auxiliary_draws():
    X, y = unknown_feature_population(1000, seed=4)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["s"]), remainder="passthrough"),
        RandomForestClassifier(n_estimators=30, random_state=0),
    ).fit(X, y)
    attack = JointInversion(
        ConfidenceInversion(model, None), "s", unknown=["w"], n_samples=5, random_state=0
    ).fit(X[:500], y[:500])
    assert attack.mode_ == "single" and len(attack.unknown_samples_) == 5
    # What the wrapped attack sees is the mean of the model's answers over the five draws.
    adapter = attack.attacks_[0].estimator
    virtual = X[600:603].drop(columns="w")
    expected = np.mean(
        [
            model.predict_proba(virtual.assign(w=w)[list(X.columns)])
            for w in attack.unknown_samples_["w"]
        ],
        axis=0,
    )
    np.testing.assert_allclose(adapter.predict_proba(virtual), expected)
    # w barely matters to the model, so s is still recovered from x, u and the label...
    guesses = attack.attack(X[500:], y[500:])
    assert (guesses["s"] == X["s"][500:]).mean() >= 0.9
    assert attack.last_query_cost_.rows == 500 * 2 * 5
    # ...and with u unknown too, the label says nothing about s any more: chance.
    blind = JointInversion(
        ConfidenceInversion(model, None), "s", unknown=["w", "u"], n_samples=16, random_state=0
    ).fit(X[:500], y[:500])
    assert 0.35 <= (blind.attack(X[500:], y[500:])["s"] == X["s"][500:]).mean() <= 0.65


def test_budget_counts_every_draw_sent_to_the_real_model():
    X, y = unknown_feature_population(400, seed=5)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["s"]), remainder="passthrough"),
        RandomForestClassifier(n_estimators=20, random_state=0),
    ).fit(X, y)
    budget = QueryBudget(model, max_rows=10**6)
    attack = JointInversion(
        LabelOnlyInversion(budget, None, random_state=0),
        "s",
        unknown=["w"],
        n_samples=3,
        random_state=0,
    ).fit(X[:200], y[:200])
    before = budget.rows_used_
    guesses = attack.attack(X[200:], y[200:])
    assert (guesses["s"] == X["s"][200:]).mean() >= 0.8  # the forest learnt the XOR
    assert budget.rows_used_ - before == attack.last_query_cost_.rows == 200 * 2 * 3


def test_never_peeks_at_hidden_or_unknown_columns(population):
    X, y = population
    X = X.assign(w=np.random.default_rng(0).normal(size=len(X)))
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["a", "b"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    attack = JointInversion(
        ConfidenceInversion(model, None), ["a", "b"], unknown=["w"], n_samples=4, random_state=0
    ).fit(X[:800], y[:800])
    targets = X[800:1000]
    shuffled = targets.assign(
        **{c: targets[c].sample(frac=1, random_state=1).to_numpy() for c in ["a", "b", "w"]}
    )
    pd.testing.assert_frame_equal(
        attack.attack(targets, y[800:1000]), attack.attack(shuffled, y[800:1000])
    )
    pd.testing.assert_frame_equal(
        attack.attack(targets, y[800:1000]),
        attack.attack(targets.drop(columns=["a", "b", "w"]), y[800:1000]),
    )


def test_array_models_take_positions():
    X, y = two_secrets(1200, seed=2)
    codes = np.column_stack([X["x"], X["a"].map({"p": 0, "q": 1, "r": 2}), X["b"] == "v"]).astype(
        float
    )
    model = LogisticRegression().fit(codes, y)  # fitted on an array: columns are positions
    attack = JointInversion(ConfidenceInversion(model, None), [1, 2]).fit(codes[:600])
    guesses = attack.attack(codes[600:], observed=model.predict_proba(codes[600:]))
    assert list(guesses.columns) == [1, 2]
    assert (guesses.to_numpy() == codes[600:, 1:3]).all(axis=1).mean() >= 0.9
    assert attack.score(codes[600:], observed=model.predict_proba(codes[600:])) >= 0.9
    with pytest.raises(ValueError, match="by position"):
        JointInversion(ConfidenceInversion(model, None), [1, "b"]).fit(codes[:600])


def test_scores_and_clone(population):
    X, y = population
    model = logistic(["a", "b"]).fit(X, y)
    attack = JointInversion(ConfidenceInversion(model, None, random_state=0), ["a", "b"])
    copy = clone(attack)
    assert copy.base_attack.estimator is model and copy.get_params()["sensitive"] == ["a", "b"]
    attack.fit(X[:800], y[:800])
    observed = model.predict_proba(X[800:])
    joint = attack.score(X[800:], observed=observed)
    a_only = attack.score(X[800:], observed=observed, attribute="a")
    assert 0.95 <= joint <= a_only <= 1.0
    table = attack.score_table(X[800:], observed=observed)
    assert list(table.index) == ["a", "b"] and table.loc["a", "accuracy"] == pytest.approx(a_only)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sensitive": ["a", "b"], "unknown": ["a"]}, "both sensitive and unknown"),
        ({"sensitive": ["a", "zip"]}, "not model columns"),
        ({"sensitive": "a"}, "is the wrapped attack itself"),
        ({"sensitive": []}, "sensitive is empty"),
        ({"sensitive": ["a", "a"]}, "names a column twice"),
    ],
)
def test_bad_input_is_refused_with_the_reason(population, kwargs, message):
    X, y = population
    model = logistic(["a", "b"]).fit(X, y)
    with pytest.raises(ValueError, match=message):
        JointInversion(ConfidenceInversion(model, None), **kwargs).fit(X[:200])


def test_white_box_attacks_are_refused(population):
    X, y = population
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["a", "b"]), remainder="passthrough"),
        DecisionTreeClassifier(max_depth=3),
    ).fit(X, y)
    with pytest.raises(TypeError, match="black-box attack"):
        JointInversion(WhiteBoxTreeInversion(model, None), ["a", "b"]).fit(X[:200])


def test_unknown_features_are_drawn_from_records_that_hold_them():
    X, y = unknown_feature_population(600, seed=8)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["s"]), remainder="passthrough"),
        RandomForestClassifier(n_estimators=20, random_state=0),
    ).fit(X, y)
    aux = X[:300].copy()
    aux.loc[aux.index[:150], "w"] = np.nan  # half the auxiliary records lack w
    attack = JointInversion(
        ConfidenceInversion(model, None), "s", unknown=["w"], n_samples=40, random_state=0
    ).fit(aux, y[:300])
    assert attack.unknown_samples_["w"].notna().all()
    assert (attack.attack(X[300:], y[300:])["s"] == X["s"][300:]).mean() >= 0.9
    with pytest.raises(ValueError, match="No auxiliary record holds every unknown"):
        JointInversion(ConfidenceInversion(model, None), "s", unknown=["w"]).fit(
            aux.assign(w=np.nan), y[:300]
        )


def test_a_spent_budget_reports_records_counting_every_draw():
    X, y = unknown_feature_population(600, seed=9)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["s"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    budget = QueryBudget(model, max_rows=2 * 8 * 250)  # 250 targets: 2 candidates × 8 draws
    attack = JointInversion(
        ConfidenceInversion(budget, None, max_rows_per_call=2 * 8 * 50),
        "s",
        unknown=["w"],
        n_samples=8,
        random_state=0,
    ).fit(X[:300], y[:300])
    with pytest.raises(QueryBudgetExceeded) as caught:
        attack.attack(X[300:], y[300:])
    assert (caught.value.records_completed, caught.value.records_total) == (250, 300)


def test_coordinate_ascent_attack_queries_no_discarded_pass(population):
    X, y = population
    model = logistic(["a", "b"]).fit(X, y)
    attack = JointInversion(
        ConfidenceInversion(model, None),
        ["a", "b"],
        max_joint_candidates=5,
        n_samples=4,
        random_state=0,
    ).fit(X[:800])
    observed = model.predict_proba(X[800:])
    attack.attack(X[800:], observed=observed)
    rounds, n = attack.n_iter_, 800
    # the start (each attribute with the other drawn 4 times), then each round: 3 + 2 candidates
    assert attack.last_query_cost_.rows == n * (3 * 4 + 2 * 4) + rounds * n * (3 + 2)

"""LightGBM and CatBoost targets: the white-box attack reads LightGBM's leaf counts, and every
black-box attack runs on LGBMClassifier, LGBMRegressor and CatBoostClassifier, native
categorical columns included (pandas ``category`` for LightGBM, text for CatBoost).

As for XGBoost (tests/attacks/test_learned_and_tree_attacks.py), every threshold was measured
with margin (see the comments) on a population whose answer is known, and fails if the attack
loses the information it claims to use.
"""

import numpy as np
import pandas as pd
import pytest
from conftest import frames_kept, leaf_population, refused, xor_population
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

from tabinvert import assess
from tabinvert.attacks import (
    ConfidenceInversion,
    ImputationBaseline,
    JointInversion,
    LabelOnlyInversion,
    LearnedInversion,
    ReconstructionAttack,
    WhiteBoxTreeInversion,
)
from tabinvert.evaluation import evaluate_attacks

lightgbm = pytest.importorskip("lightgbm")
catboost = pytest.importorskip("catboost")


@pytest.fixture(autouse=True)
def one_openmp_thread():
    """LightGBM and CatBoost predict on OpenMP threads: one, as the other tree-model tests."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


def lgbm_classifier(**params):
    return lightgbm.LGBMClassifier(
        **{"n_estimators": 30, "n_jobs": 1, "random_state": 0, "verbose": -1, **params}
    )


def lgbm_regressor(**params):
    return lightgbm.LGBMRegressor(
        **{"n_estimators": 30, "n_jobs": 1, "random_state": 0, "verbose": -1, **params}
    )


def catboost_model(kind=None, **params):
    """CatBoost on one thread, silent, and writing no catboost_info folder."""
    kind = kind or catboost.CatBoostClassifier
    return kind(
        **{
            "iterations": 50,
            "thread_count": 1,
            "random_seed": 0,
            "verbose": 0,
            "allow_writing_files": False,
            **params,
        }
    )


def _accuracy(guesses, truth):
    return float(np.mean(np.asarray(guesses) == np.asarray(truth)))


def _as_category(X, *columns):
    """A copy of ``X`` whose ``columns`` are pandas categories (LightGBM splits on them)."""
    return X.assign(**{column: X[column].astype("category") for column in columns})


# -- the white-box attack reads LightGBM's trees --------------------------------------------------


@pytest.mark.parametrize("n_values", [2, 3])
def test_whitebox_recovers_the_secret_from_lightgbm(n_values):
    """Three values: LightGBM grows one tree per class and round."""
    X, y = xor_population(2000, seed=2, n_values=n_values)
    model = lgbm_classifier().fit(X[:1500], y[:1500])
    attack = WhiteBoxTreeInversion(model, "secret", random_state=0).fit(X[1500:], y[1500:])
    assert attack.n_trees_ == 30 * (n_values if n_values > 2 else 1)
    assert attack.tree_model_ is model and attack.last_query_cost_.rows == 0
    truth = X["secret"][:1500]
    whitebox = _accuracy(attack.attack(X[:1500], y[:1500]), truth)
    blackbox = ConfidenceInversion(model, "secret").fit(X[1500:], y[1500:])
    # The imputer holds the auxiliary records but not the label: the secret is independent of
    # the known features, so it stays at chance.
    baseline = ImputationBaseline("secret", random_state=0).fit(X[1500:])
    assert whitebox >= 0.95  # measured 1.0
    assert abs(_accuracy(baseline.attack(X[:1500]), truth) - 1 / n_values) < 0.05
    assert whitebox >= _accuracy(blackbox.attack(X[:1500], y[:1500]), truth) - 0.01


def test_whitebox_on_lightgbm_beats_imputation_with_the_same_labels():
    """The leaves hold P(secret | region of x1), which neither the model's outputs nor
    imputation from (x0, x1, x2, y) give: measured white-box 0.82, MAP 0.77, imputation with
    the label 0.78, on 3,000 members."""
    X, y = leaf_population(4000, seed=0)
    model = lgbm_classifier().fit(X[:3000], y[:3000])
    members, aux = slice(0, 3000), slice(3000, 4000)
    truth = X["secret"][members]
    whitebox = WhiteBoxTreeInversion(model, "secret", random_state=0).fit(X[aux], y[aux])
    imputation = ImputationBaseline("secret", random_state=0).fit(X[aux], y[aux])
    blackbox = ConfidenceInversion(model, "secret").fit(X[aux], y[aux])
    wb = _accuracy(whitebox.attack(X[members], y[members]), truth)
    assert wb >= _accuracy(imputation.attack(X[members], y[members]), truth) + 0.02
    assert wb >= _accuracy(blackbox.attack(X[members], y[members]), truth) + 0.02


@pytest.mark.parametrize(
    "setting", ["binary", "multiclass", "categorical splits and missing values", "regressor"]
)
def test_lightgbm_leaf_counts_are_the_training_records_in_each_leaf(setting):
    """LightGBM's leaf_count counts records (its leaf_weight is a hessian sum, as XGBoost's
    cover): read as they are, they equal the training records that predict(pred_leaf=True)
    puts in each leaf, so the leaves the attack finds are the leaves it counts."""
    X, y = xor_population(1500, seed=7, n_values=2 if setting == "binary" else 4)
    if setting == "categorical splits and missing values":
        X = _as_category(X, "secret")
        X.loc[X.index[::5], "noise"] = np.nan
    make = lgbm_regressor if setting == "regressor" else lgbm_classifier
    model = make(n_estimators=20).fit(X, y)
    attack = WhiteBoxTreeInversion(model, "secret", random_state=0).fit(X, y)
    trees = attack._trees
    leaves = model.predict(X, pred_leaf=True).reshape(len(X), -1)
    assert leaves.shape[1] == len(trees.masses) == attack.n_trees_
    for t, counts in enumerate(trees.masses):
        np.testing.assert_array_equal(counts, np.bincount(leaves[:, t], minlength=len(counts)))
    np.testing.assert_array_equal(trees.totals, len(X))
    dump = model.booster_.dump_model()
    if setting == "categorical splits and missing values":  # premise: both were used
        nodes = [str(tree["tree_structure"]) for tree in dump["tree_info"]]
        assert any("'decision_type': '=='" in node and "||" in node for node in nodes)
        assert any("'missing_type': 'NaN'" in node for node in nodes)
        assert _accuracy(attack.attack(X, y), X["secret"]) == 1.0  # members, as auxiliary
    if setting == "binary":  # the hessian sums are far from the counts here
        weights = [leaf["leaf_weight"] for leaf in _leaves(dump["tree_info"][5]["tree_structure"])]
        assert sum(weights) < 0.5 * len(X)


def _leaves(node):
    if "split_index" not in node:
        return [node]
    return _leaves(node["left_child"]) + _leaves(node["right_child"])


def test_lightgbm_counts_with_bagging_are_the_records_in_the_bag():
    """With row subsampling a tree is grown, and its leaves counted, on the bag only (as
    scikit-learn's subsampled gradient boosting): about half the records here."""
    X, y = xor_population(2000, seed=2, n_values=3)
    model = lgbm_classifier(subsample=0.5, subsample_freq=1).fit(X[:1500], y[:1500])
    attack = WhiteBoxTreeInversion(model, "secret", random_state=0).fit(X[1500:], y[1500:])
    assert (np.abs(attack._trees.totals - 750) < 75).all()
    assert _accuracy(attack.attack(X[:1500], y[:1500]), X["secret"][:1500]) >= 0.95


def test_whitebox_in_a_pipeline_ending_in_lightgbm():
    X, y = xor_population(2000, seed=6, n_values=3)
    model = make_pipeline(StandardScaler(), lgbm_classifier()).fit(X[:1500], y[:1500])
    with frames_kept(X):
        attack = WhiteBoxTreeInversion(model, "secret", random_state=0).fit(X[1500:], y[1500:])
        guesses = attack.attack(X[:1500], y[:1500])
    assert attack.tree_model_ is model[-1]
    assert list(guesses.index) == list(X.index[:1500]) and guesses.name == "secret"
    assert _accuracy(guesses, X["secret"][:1500]) >= 0.95


def test_whitebox_refuses_lightgbm_leaves_that_are_not_the_trees_it_reads(monkeypatch):
    """Trees read from another model (the same shape, other data) do not add up to the model's
    raw score through the leaves it reaches: refused, never read wrong."""
    X, y = xor_population(1200, seed=1, n_values=3)
    model = lgbm_classifier().fit(X[:600], y[:600])
    other = lgbm_classifier().fit(X[600:], y[600:])
    monkeypatch.setattr(model.booster_, "dump_model", other.booster_.dump_model)
    with refused(ValueError, "cannot read this LightGBM model", "black-box attack"):
        WhiteBoxTreeInversion(model, "secret").fit(X[600:], y[600:])


def test_whitebox_refuses_lightgbm_trees_without_leaf_counts(monkeypatch):
    X, y = xor_population(600, seed=1)
    model = lgbm_classifier().fit(X, y)
    dump = model.booster_.dump_model()
    for tree in dump["tree_info"]:
        for leaf in _leaves(tree["tree_structure"]):
            del leaf["leaf_count"]
    monkeypatch.setattr(model.booster_, "dump_model", lambda *args, **kwargs: dump)
    with refused(ValueError, "leaf_count", "black-box attack"):
        WhiteBoxTreeInversion(model, "secret").fit(X, y)


def test_whitebox_refuses_catboost_and_names_what_it_reads():
    X, y = xor_population(300, seed=12)
    model = catboost_model().fit(X, y)
    with refused(TypeError, "LGBMClassifier/LGBMRegressor", "got CatBoostClassifier", "black-box"):
        WhiteBoxTreeInversion(model, "secret").fit(X, y)


def test_lightgbm_category_columns_must_keep_their_dtype(text_dtype):
    """LightGBM pairs a frame's category columns with its own by their order: text where it
    was fitted on categories is refused with the fix, for every attack."""
    X, y = xor_population(600, seed=1, text_dtype=text_dtype)
    model = lgbm_classifier().fit(_as_category(X, "secret"), y)
    for attack in (ConfidenceInversion(model, "secret"), WhiteBoxTreeInversion(model, "secret")):
        with (
            frames_kept(X),
            refused(ValueError, "1 pandas 'category' column", ".astype('category')"),
        ):
            attack.fit(X, y)


# -- every black-box attack on LightGBM and CatBoost ----------------------------------------------


def _classifier_case(name, text_dtype):
    """A fitted classifier that learned y = (known + secret) mod 3, and its records."""
    X, y = xor_population(1200, seed=1, n_values=3, text_dtype=text_dtype)
    X["city"] = pd.Series(
        np.random.default_rng(0).choice(["a", "b", "c"], len(X)), dtype=text_dtype
    )
    if name == "lightgbm":  # native categories: pandas category columns
        X = _as_category(X, "secret", "city")
        return lgbm_classifier().fit(X[:800], y[:800]), X, y
    # CatBoost's native categories: text columns named in cat_features
    return catboost_model(cat_features=["secret", "city"]).fit(X[:800], y[:800]), X, y


BLACK_BOX_ATTACKS = {
    "MAP": lambda m, s: ConfidenceInversion(m, s),
    "CSMIA": lambda m, s: ConfidenceInversion(m, s, method="csmia"),
    "FJRMIA": lambda m, s: ConfidenceInversion(m, s, likelihood="confusion"),
    "LOMIA": lambda m, s: LabelOnlyInversion(m, s, random_state=0),
    "learned": lambda m, s: LearnedInversion(m, s, random_state=0),
    "joint, unknown feature": lambda m, s: JointInversion(
        ConfidenceInversion(m, None), s, unknown=["noise"], n_samples=4, random_state=0
    ),
    "joint, two attributes": lambda m, s: JointInversion(
        ConfidenceInversion(m, None), [s, "city"], random_state=0
    ),
}


@pytest.mark.parametrize("name", ["lightgbm", "catboost"])
def test_every_black_box_attack_recovers_the_secret(name, text_dtype):
    """Measured 1.0 for every attack on both models."""
    model, X, y = _classifier_case(name, text_dtype)
    targets, aux = slice(0, 800), slice(800, 1200)
    truth = X["secret"][targets].astype(str)
    for attack_name, make in BLACK_BOX_ATTACKS.items():
        with frames_kept(X):
            attack = make(model, "secret").fit(X[aux], y[aux])
            guesses = attack.attack(X[targets], y[targets])
        if isinstance(guesses, pd.DataFrame):  # JointInversion: one column per attribute
            guesses = guesses["secret"]
        assert list(guesses.index) == list(X.index[targets]), attack_name
        assert _accuracy(guesses.astype(str), truth) >= 0.95, attack_name
    reconstruction = ReconstructionAttack(model, unknown=["secret"], n_iter=20, random_state=0)
    recovered = reconstruction.fit(X[aux], y[aux]).reconstruct(
        X[:100].drop(columns="secret"), y[:100]
    )
    assert _accuracy(recovered["secret"].astype(str), X["secret"][:100].astype(str)) >= 0.95


def test_catboost_reads_its_own_column_names():
    """CatBoost keeps its columns in ``feature_names_`` (no ``feature_names_in_``): the
    attack sends frames with the model's names, whatever the auxiliary data's column order."""
    model, X, y = _classifier_case("catboost", "object")
    shuffled = X[["secret", "city", "noise", "known"]]
    attack = ConfidenceInversion(model, "secret").fit(shuffled[800:], y[800:])
    assert attack.layout_.is_frame and attack.layout_.columns == (
        "known",
        "noise",
        "secret",
        "city",
    )
    assert _accuracy(attack.attack(shuffled[:800], y[:800]), X["secret"][:800]) >= 0.95


def _regression_population(n=3000, seed=9):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"known": rng.normal(size=n), "noise": rng.normal(size=n), "secret": rng.integers(0, 3, n)}
    )
    return X, X["known"] + 3.0 * X["secret"] + rng.normal(scale=0.1, size=n)


@pytest.mark.parametrize("name", ["lightgbm", "catboost"])
def test_regressor_targets(name):
    """Measured 1.0 for every attack on both models."""
    X, y = _regression_population()
    if name == "lightgbm":
        model = lgbm_regressor(n_estimators=50).fit(X[:2000], y[:2000])
    else:  # CatBoostRegressor keeps an empty classes_: it is still read as a regressor
        model = catboost_model(catboost.CatBoostRegressor, iterations=100).fit(X[:2000], y[:2000])
    attacks = {
        "MAP": ConfidenceInversion(model, "secret"),
        "learned": LearnedInversion(model, "secret", random_state=0),
        "joint": JointInversion(
            ConfidenceInversion(model, None), "secret", unknown=["noise"], random_state=0
        ),
    }
    if name == "lightgbm":
        attacks["white box"] = WhiteBoxTreeInversion(model, "secret", random_state=0)
    for attack_name, attack in attacks.items():
        attack.fit(X[2000:2500], y[2000:2500])
        guesses = attack.attack(X[2500:], y[2500:])
        if isinstance(guesses, pd.DataFrame):
            guesses = guesses["secret"]
        assert _accuracy(guesses, X["secret"][2500:]) > 0.95, attack_name


def _memorising_and_blind(name):
    """Secret and label are noise: a booster grown to fit every training label memorises its
    members (its answers reveal their secret); the same booster fitted on a shuffled secret
    cannot reveal the true one. The secret is a native category (LightGBM: a pandas category,
    CatBoost: text in cat_features)."""
    rng = np.random.default_rng(11)
    n = 1600
    secret = np.where(rng.integers(0, 2, n) == 1, "yes", "no")
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n), "secret": secret})
    y = rng.integers(0, 2, n)
    shuffled = X.assign(secret=rng.permutation(secret))
    if name == "lightgbm":
        X, shuffled = _as_category(X, "secret"), _as_category(shuffled, "secret")

        def make():
            params = dict(n_estimators=100, num_leaves=64, min_child_samples=2, learning_rate=0.3)
            return lgbm_classifier(**params)
    else:

        def make():
            return catboost_model(iterations=300, learning_rate=0.3, cat_features=["secret"])

    return X, y, make().fit(X[:800], y[:800]), make().fit(shuffled[:800], y[:800])


@pytest.mark.parametrize("name", ["lightgbm", "catboost"])
def test_black_box_beats_imputation_only_where_the_model_leaks(name):
    """Advantage over imputation with the same auxiliary records and labels, measured: on the
    memorising model's members +0.17 (MAP) and +0.30 (CSMIA) for LightGBM, +0.20 and +0.19
    for CatBoost; on its non-members +0.02; on the blind model's members 0.00 or below."""
    X, y, memorising, blind = _memorising_and_blind(name)
    aux, members, outsiders = slice(800, 1200), slice(0, 800), slice(1200, 1600)
    imputation = ImputationBaseline("secret", random_state=0).fit(X[aux], y[aux])

    def advantage(model, method, targets):
        attack = ConfidenceInversion(model, "secret", method=method).fit(X[aux], y[aux])
        truth = X["secret"][targets]
        return _accuracy(attack.attack(X[targets], y[targets]), truth) - _accuracy(
            imputation.attack(X[targets], y[targets]), truth
        )

    for method in ("map", "csmia"):
        assert advantage(memorising, method, members) >= 0.12, method
        assert advantage(memorising, method, outsiders) <= 0.08, method
        assert advantage(blind, method, members) <= 0.06, method


# -- evaluation and assessment, end to end --------------------------------------------------------


def test_evaluate_attacks_and_assess_on_lightgbm():
    """Measured: members' advantage 0.33 (MAP), 0.62 (CSMIA), 0.49 (white box), each CI
    above 0; non-members' CIs include 0. ``assess`` adds the white-box attack itself."""
    X, y, model, _ = _memorising_and_blind("lightgbm")
    targets = {"members": (X[:800], y[:800]), "non-members": (X[1200:], y[1200:])}
    attacks = [
        ConfidenceInversion(model, "secret"),
        ConfidenceInversion(model, "secret", method="csmia"),
        WhiteBoxTreeInversion(model, "secret", random_state=0),
    ]
    table = evaluate_attacks(
        attacks, X[800:1200], y[800:1200], targets=targets, n_resamples=200, random_state=0
    )
    rows = table[table["attack"] != "imputation"].set_index(["attack", "population"])
    assert dict(rows.xs("members", level="population")["access"]) == {
        "MAP": "outputs",
        "CSMIA": "outputs",
        "white-box tree": "model",
    }
    assert (rows.xs("members", level="population")["advantage_ci_low"] > 0.2).all()
    assert (rows.xs("non-members", level="population")["advantage_ci_low"] <= 0).all()

    result = assess(
        model,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        n_resamples=200,
        random_state=0,
    )
    attacked = result.results[result.results["attack"] != "imputation"]
    assert "white-box tree" in set(attacked["attack"])
    assert "white-box" in result.threat_model
    whitebox = attacked.set_index(["attack", "population"]).loc["white-box tree"]
    assert whitebox.loc["members", "advantage_ci_low"] > 0.2  # measured 0.37
    assert result.summary.loc[0, "risk_level"] == "high"
    assert "memorised" in result.summary.loc[0, "sentence"]

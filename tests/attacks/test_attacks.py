"""Attacks infer what a leaking model reveals, and nothing where there is nothing to find."""

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from tabinvert.attacks import ConfidenceInversion, ImputationBaseline, LabelOnlyInversion
from tabinvert.evaluation import evaluate_attacks

ATTACKS = {
    "map": lambda m, s, **kw: ConfidenceInversion(m, s, **kw),
    "map-confusion": lambda m, s, **kw: ConfidenceInversion(m, s, likelihood="confusion", **kw),
    "map-imputation-prior": lambda m, s, **kw: ConfidenceInversion(m, s, prior="imputation", **kw),
    "csmia": lambda m, s, **kw: ConfidenceInversion(m, s, method="csmia", **kw),
    "lomia": lambda m, s, **kw: LabelOnlyInversion(m, s, **kw),
}


def _accuracy(guesses, truth):
    return float(np.mean(np.asarray(guesses) == np.asarray(truth)))


@pytest.fixture(scope="module")
def leaking():
    """A forest that learned y = known XOR secret: the label reveals the secret given `known`.

    (A single greedy tree can miss XOR when a noise column offers a first split; a forest
    learns it for every seed tried.)
    """
    X, y = xor_population(3000, seed=1)
    model = RandomForestClassifier(100, random_state=0).fit(X[:2000], y[:2000])
    return model, X, y


@pytest.mark.parametrize("name", list(ATTACKS))
def test_attack_recovers_secret_where_model_leaks(leaking, name):
    model, X, y = leaking
    attack = ATTACKS[name](model, "secret", random_state=0).fit(X[2000:2500], y[2000:2500])
    guesses = attack.attack(X[:2000], y[:2000])
    assert _accuracy(guesses, X["secret"][:2000]) >= 0.95
    # The imputer holds the same auxiliary records but not the labels: secret is independent
    # of the known features, so it stays near chance.
    baseline = ImputationBaseline("secret", random_state=0).fit(X[2000:2500])
    assert abs(_accuracy(baseline.attack(X[:2000]), X["secret"][:2000]) - 0.5) < 0.05


def test_no_advantage_when_model_never_saw_the_secret():
    """The model's pipeline drops the secret column: its answers cannot depend on it."""
    rng = np.random.default_rng(2)
    n = 3000
    X = pd.DataFrame(
        {
            "known": rng.integers(0, 3, n),
            "noise": rng.normal(size=n),
            "secret": rng.integers(0, 2, n),
        }
    )
    y = (X["known"] + (rng.random(n) < 0.2)) % 3
    blind = make_pipeline(
        make_column_transformer(("passthrough", ["known", "noise"])),  # "secret" is dropped
        RandomForestClassifier(50, random_state=0),
    ).fit(X[:2000], y[:2000])
    attacks = {name: make(blind, "secret", random_state=0) for name, make in ATTACKS.items()}
    table = evaluate_attacks(
        attacks,
        X[2000:2500],
        y[2000:2500],
        targets={"members": (X[:2000], y[:2000])},
        random_state=0,
    )
    # LOMIA finds no target with a unique label-reproducing value, and says so in the table.
    assert "only 0 target" in table.set_index("attack").loc["lomia", "notes"]
    for _, row in table[table["attack"] != "imputation"].iterrows():
        assert row["advantage_ci_low"] <= 0 <= row["advantage_ci_high"], row["attack"]
        assert "no measurable leakage" in row["verdict"]


def test_memorised_secret_leaks_for_members_only():
    """Secret and label are pure noise; a fully grown forest memorises the training records."""
    rng = np.random.default_rng(3)
    n = 1200
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "secret": rng.integers(0, 2, n)}
    )
    y = rng.integers(0, 2, n)
    model = RandomForestClassifier(200, random_state=0).fit(X[:600], y[:600])
    attack = ConfidenceInversion(model, "secret").fit(X[600:900], y[600:900])
    members = _accuracy(attack.attack(X[:600], y[:600]), X["secret"][:600])
    outsiders = _accuracy(attack.attack(X[900:], y[900:]), X["secret"][900:])
    assert members > 0.7
    assert abs(outsiders - 0.5) < 0.1


def test_numeric_sensitive_attribute_with_a_regressor():
    """Fredrikson 2014's setting: a linear dose model, a numeric hidden input, the true dose."""
    rng = np.random.default_rng(4)
    n = 2000
    X = pd.DataFrame({"weight": rng.normal(70, 10, n), "age": rng.integers(20, 80, n)})
    y = 0.5 * X["weight"] + 2.0 * X["age"] + rng.normal(0, 1, n)
    model = LinearRegression().fit(X[:1000], y[:1000])
    attack = ConfidenceInversion(model, "age", n_grid=30).fit(X[1000:1500], y[1000:1500])
    assert attack.sensitive_kind_ == "numeric" and len(attack.candidates_) > 20
    guesses = attack.attack(X[:1000], y[:1000])
    baseline = ImputationBaseline("age", random_state=0).fit(X[1000:1500])
    attack_mae = np.abs(guesses - X["age"][:1000]).mean()
    baseline_mae = np.abs(baseline.attack(X[:1000]) - X["age"][:1000]).mean()
    assert attack_mae < 3 < 10 < baseline_mae
    assert attack.score(X[:1000], y[:1000]) == pytest.approx(-attack_mae)


def test_observed_output_alone_reveals_the_secret():
    """The victim's decision letter shows the model's score; no true label is needed."""
    X, y = xor_population(2000, seed=5, n_values=3)
    model = RandomForestClassifier(100, random_state=0).fit(X[:1500], y[:1500])
    observed = model.predict_proba(X[:1500])
    attack = ConfidenceInversion(model, "secret").fit(X[1500:])
    assert _accuracy(attack.attack(X[:1500], observed=observed), X["secret"][:1500]) > 0.95
    labels_only = model.predict(X[:1500])  # the letter shows only the decision
    assert _accuracy(attack.attack(X[:1500], observed=labels_only), X["secret"][:1500]) > 0.95


@pytest.mark.parametrize("name", list(ATTACKS) + ["baseline"])
def test_no_peeking_at_the_true_sensitive_column(leaking, name):
    model, X, y = leaking
    if name == "baseline":
        attack = ImputationBaseline("secret", random_state=0).fit(X[2000:], y[2000:])
    else:
        attack = ATTACKS[name](model, "secret", random_state=0).fit(X[2000:], y[2000:])
    targets = X[:500]
    reference = attack.attack(targets, y[:500])
    for tampered in (
        targets.assign(secret=1 - targets["secret"]),
        targets.assign(secret=np.random.default_rng(0).permutation(targets["secret"])),
        targets.drop(columns="secret"),
    ):
        pd.testing.assert_series_equal(attack.attack(tampered, y[:500]), reference)


def test_pipeline_on_raw_frames_with_text_columns(text_dtype):
    X, y = xor_population(2400, seed=6, n_values=3, text_dtype=text_dtype)
    X["city"] = pd.Series(
        np.random.default_rng(0).choice(["a", "b", "c"], len(X)), dtype=text_dtype
    )
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["secret", "city"]), remainder="passthrough"),
        HistGradientBoostingClassifier(random_state=0),
    ).fit(X[:1600], y[:1600])
    before = X.copy()
    for name, make in ATTACKS.items():
        attack = make(model, "secret", random_state=0).fit(X[1600:2000], y[1600:2000])
        assert sorted(attack.candidates_) == ["v0", "v1", "v2"]
        guesses = attack.attack(X[:1600], y[:1600])
        assert list(guesses.index) == list(X.index[:1600]) and guesses.name == "secret"
        assert _accuracy(guesses, X["secret"][:1600]) > 0.9, name
        proba = attack.attack_proba(X[:5], y[:5])
        assert list(proba.columns) == list(attack.candidates_)
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    pd.testing.assert_frame_equal(X, before)  # the caller's data is never mutated


def test_ndarray_input_and_column_positions():
    X, y = xor_population(3000, seed=7)
    A = X[["known", "secret", "noise"]].to_numpy()
    model = RandomForestClassifier(100, random_state=0).fit(A[:2000], y[:2000])
    before = A.copy()
    attack = ConfidenceInversion(model, 1).fit(A[2000:2500], y[2000:2500])
    full = attack.attack(A[:2000], y[:2000])
    known_only = attack.attack(np.delete(A[:2000], 1, axis=1), y[:2000])
    pd.testing.assert_series_equal(full, known_only)
    assert _accuracy(full, A[:2000, 1]) >= 0.95
    np.testing.assert_array_equal(A, before)


def test_xgboost_classifier_multiclass_and_many_values():
    xgboost = pytest.importorskip("xgboost")  # in the test extra; absent only for plain installs
    X, y = xor_population(4000, seed=8, n_values=5)
    model = xgboost.XGBClassifier(n_estimators=60, max_depth=4, random_state=0).fit(
        X[:3000], y[:3000]
    )
    for name, make in ATTACKS.items():
        attack = make(model, "secret", random_state=0).fit(X[3000:3500], y[3000:3500])
        assert len(attack.candidates_) == 5
        assert _accuracy(attack.attack(X[:3000], y[:3000]), X["secret"][:3000]) > 0.9, name


def test_xgboost_regressor():
    xgboost = pytest.importorskip("xgboost")
    rng = np.random.default_rng(9)
    n = 3000
    X = pd.DataFrame({"known": rng.normal(size=n), "secret": rng.integers(0, 3, n)})
    y = X["known"] + 3.0 * X["secret"]
    model = xgboost.XGBRegressor(n_estimators=100, random_state=0).fit(X[:2000], y[:2000])
    attack = ConfidenceInversion(model, "secret").fit(X[2000:2500], y[2000:2500])
    assert _accuracy(attack.attack(X[2500:], y[2500:]), X["secret"][2500:]) > 0.95


@pytest.mark.parametrize("name", ["csmia", "lomia", "map"])
def test_same_output_for_any_n_jobs(leaking, name):
    model, X, y = leaking
    # Small calls force many chunks, so the parallel path really splits the work.
    outputs = [
        ATTACKS[name](model, "secret", random_state=3, n_jobs=n_jobs, max_rows_per_call=256)
        .fit(X[2000:], y[2000:])
        .attack_proba(X[:1500], y[:1500])
        for n_jobs in (1, 2)
    ]
    pd.testing.assert_frame_equal(*outputs)


def test_csmia_breaks_ties_at_random_but_reproducibly():
    X, y = xor_population(600, seed=10)
    constant = DecisionTreeClassifier(max_depth=1).fit(
        X[["noise"]].assign(known=0, secret=0)[["known", "noise", "secret"]], np.zeros(600, int)
    )
    y_const = np.zeros(300, int)  # every candidate reproduces the label with equal confidence

    def run(seed):
        return (
            ConfidenceInversion(
                constant, "secret", method="csmia", random_state=seed, candidates=[0, 1]
            )
            .fit(X[300:])
            .attack(X[:300], y_const)
        )

    first, again, other = run(0), run(0), run(1)
    pd.testing.assert_series_equal(first, again)
    assert 0.35 < first.mean() < 0.65  # not always the first candidate
    assert (first != other).any()


def test_clone_keeps_the_fitted_target_model(leaking):
    model, X, y = leaking
    attack = ConfidenceInversion(model, "secret", method="csmia", random_state=0)
    copy = clone(attack)
    assert copy.estimator is model
    assert copy.get_params()["method"] == "csmia"
    copy.set_params(method="map")
    assert attack.method == "csmia"
    copy.fit(X[2000:], y[2000:])  # works: the model is still fitted
    with pytest.raises(NotFittedError):
        clone(copy).attack(X[:10], y[:10])


def test_query_cost_is_reported(leaking):
    model, X, y = leaking
    attack = ConfidenceInversion(model, "secret", max_rows_per_call=100).fit(X[2000:], y[2000:])
    attack.attack(X[:120], y[:120])
    assert attack.last_query_cost_.rows == 240
    assert attack.last_query_cost_.calls == 3  # 50 records (100 rows) per call
    assert ImputationBaseline("secret").fit(X[2000:]).last_query_cost_.rows == 0


# -- bad input: a clear error naming the problem -------------------------------------------------


@pytest.fixture(scope="module")
def text_model():
    X, y = xor_population(800, seed=11, n_values=3, text_dtype="object")
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["secret"]), remainder="passthrough"
        ),
        LogisticRegression(max_iter=500),
    ).fit(X[:600], y[:600])
    return model, X, y


def test_error_sensitive_column_missing_from_aux(text_model):
    model, X, y = text_model
    with pytest.raises(ValueError, match=r"missing the column\(s\) 'secret'"):
        ConfidenceInversion(model, "secret").fit(X.drop(columns="secret"))
    with pytest.raises(ValueError, match="'secret'.*not in X_aux"):
        ImputationBaseline("secret").fit(X.drop(columns="secret"))


def test_error_sensitive_column_with_one_value(text_model):
    model, X, y = text_model
    with pytest.raises(ValueError, match="single value 'v1'.*at least two"):
        ConfidenceInversion(model, "secret").fit(X.assign(secret="v1"))


def test_error_candidate_unseen_by_the_models_encoder(text_model):
    model, X, y = text_model
    with pytest.raises(ValueError, match="'v7'.*never seen by the model's encoder"):
        ConfidenceInversion(model, "secret", candidates=["v0", "v7"]).fit(X[600:])


def test_error_nan_in_known_features_the_model_cannot_take(text_model):
    model, X, y = text_model
    attack = ConfidenceInversion(model, "secret").fit(X[600:], y[600:])
    targets = X[:50].copy()
    targets.loc[targets.index[:3], "noise"] = np.nan
    with pytest.raises(ValueError, match=r"'noise' \(3 missing\).*cannot take missing values"):
        attack.attack(targets, y[:50])


def test_error_model_without_predict_proba():
    X, y = xor_population(300, seed=12)
    model = SVC().fit(X, y)  # predict only
    with pytest.raises(TypeError, match="needs a target model with predict_proba.*LabelOnly"):
        ConfidenceInversion(model, "secret", method="csmia").fit(X)
    # The MAP attack falls back to the confusion matrix of labels; label-only works as is.
    assert ConfidenceInversion(model, "secret").fit(X, y).likelihood_ == "confusion"
    LabelOnlyInversion(model, "secret").fit(X).attack(X[:20], y[:20])


def test_error_missing_and_extra_columns(text_model):
    model, X, y = text_model
    attack = ConfidenceInversion(model, "secret").fit(X[600:], y[600:])
    with pytest.raises(ValueError, match=r"missing the column\(s\) 'known'"):
        attack.attack(X[:10].drop(columns="known"), y[:10])
    with pytest.raises(ValueError, match=r"not trained on: 'zip'.*drop them"):
        attack.attack(X[:10].assign(zip=1), y[:10])


def test_error_empty_targets_and_label_length(text_model):
    model, X, y = text_model
    attack = ConfidenceInversion(model, "secret").fit(X[600:], y[600:])
    with pytest.raises(ValueError, match="X is empty"):
        attack.attack(X[:0], y[:0])
    with pytest.raises(ValueError, match="y has 9 labels but there are 10 records"):
        attack.attack(X[:10], y[:9])
    with pytest.raises(ValueError, match="pass the targets' true labels"):
        attack.attack(X[:10])
    with pytest.raises(ValueError, match="does not predict"):
        attack.attack(X[:3], ["nope"] * 3)


def test_error_wrong_shapes_for_array_models():
    X, y = xor_population(300, seed=13)
    A = X.to_numpy()
    model = DecisionTreeClassifier().fit(A, y)
    attack = ConfidenceInversion(model, 2).fit(A, y)
    with pytest.raises(ValueError, match="has 1 columns; expected 3"):
        attack.attack(A[:, :1], y)
    with pytest.raises(ValueError, match="fitted on an array with 3"):
        ConfidenceInversion(model, "secret").fit(X.assign(extra=1))


def test_regressor_rejects_label_only_and_csmia():
    rng = np.random.default_rng(14)
    X = pd.DataFrame({"a": rng.normal(size=200), "secret": rng.integers(0, 2, 200)})
    model = RandomForestRegressor(10, random_state=0).fit(X, X["a"] + X["secret"])
    with pytest.raises(ValueError, match="needs a classifier"):
        LabelOnlyInversion(model, "secret").fit(X)
    with pytest.raises(ValueError, match="method='csmia' needs a classifier"):
        ConfidenceInversion(model, "secret", method="csmia").fit(X)


@pytest.mark.parametrize(
    "params, match",
    [
        ({"method": "magic"}, "'method' parameter"),
        ({"prior": "flat"}, "'prior' parameter"),
        ({"n_grid": 1}, "'n_grid' parameter"),
        ({"max_rows_per_call": 0}, "'max_rows_per_call' parameter"),
        ({"noise_scale": -1.0}, "'noise_scale' parameter"),
    ],
)
def test_bad_parameters_are_refused_at_fit(leaking, params, match):
    model, X, y = leaking
    with pytest.raises(ValueError, match=match):
        ConfidenceInversion(model, "secret", **params).fit(X[2000:], y[2000:])


def test_xgboost_native_categorical_sensitive_column(text_dtype):
    xgboost = pytest.importorskip("xgboost")
    X, y = xor_population(3000, seed=3, n_values=3, text_dtype=text_dtype)
    X["secret"] = X["secret"].astype("category")
    model = xgboost.XGBClassifier(n_estimators=50, enable_categorical=True).fit(X[:2000], y[:2000])
    attack = LabelOnlyInversion(model, "secret", random_state=0).fit(X[2000:2500])
    guesses = attack.attack(X[:2000], y[:2000])
    assert list(attack.candidates_) == ["v0", "v1", "v2"]
    assert _accuracy(guesses, X["secret"][:2000]) > 0.95


def test_score_with_other_metrics(leaking):
    model, X, y = leaking
    attack = ConfidenceInversion(model, "secret").fit(X[2000:], y[2000:])
    assert attack.score(X[:500], y[:500], scoring="roc_auc") > 0.99
    assert attack.score(X[:500], y[:500], scoring="mcc") > 0.9
    with pytest.raises(ValueError, match="scoring='mae' is not available"):
        attack.score(X[:500], y[:500], scoring="mae")
    with pytest.raises(ValueError, match="observed has 3 columns.*2 class probabilities"):
        attack.attack(X[:5], observed=np.full((5, 3), 1 / 3))


def test_imputation_baseline_never_worse_than_the_most_common_value():
    """On small auxiliary data a boosted learner can overfit noise and guess worse than the
    most common value; the baseline then falls back to the marginal (else every attack that
    outputs the most common value would look like a leak)."""
    rng = np.random.default_rng(31)
    n = 1200
    X = pd.DataFrame({f"noise{i}": rng.normal(size=n) for i in range(6)})
    X["secret"] = np.where(rng.random(n) < 0.8, "common", "rare")
    aux, targets = X[:150], X[150:]
    majority = float((targets["secret"] == "common").mean())
    fallback = ImputationBaseline("secret", random_state=0).fit(aux)
    assert fallback.selection_["chosen"] == "marginal"
    assert fallback.selection_["marginal"] > fallback.selection_["learner"]
    assert _accuracy(fallback.attack(targets), targets["secret"]) == pytest.approx(majority)
    overfit = ImputationBaseline("secret", fallback="never", random_state=0).fit(aux)
    assert _accuracy(overfit.attack(targets), targets["secret"]) < majority - 0.02
    # Where the features do predict the attribute, the learner is kept.
    X["signal"] = (X["secret"] == "rare").astype(float) + rng.normal(scale=0.3, size=n)
    informed = ImputationBaseline("secret", random_state=0).fit(X[:150])
    assert informed.selection_["chosen"] == "learner"

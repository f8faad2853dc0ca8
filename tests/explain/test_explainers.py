"""Explainers return what the model computes: contributions that add up to its margin, per
input column, and defended explainers do exactly what they state."""

import importlib.util

import numpy as np
import pandas as pd
import pytest
from conftest import frames_kept, refused
from lightgbm import LGBMClassifier, LGBMRegressor
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler
from xgboost import XGBClassifier, XGBRegressor

from tabinvert.explain import (
    DropContribution,
    LinearContributions,
    NoisyContributions,
    ReasonCodes,
    RoundContributions,
    ShapExplainer,
    TopKContributions,
    TreeContributions,
)

HAS_SHAP = importlib.util.find_spec("shap") is not None


def applicants(n=600, seed=0, text_dtype="object"):
    """Loan applicants: a region (text), an income, an age and a 0/1 secret."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "region": pd.Series(rng.choice(["north", "south", "east"], n), dtype=text_dtype),
            "income": rng.normal(size=n),
            "age": rng.integers(18, 80, n).astype(float),
            "secret": rng.integers(0, 2, n),
        }
    )
    score = X["income"] + (X["region"] == "north") + X["secret"] - (X["age"] - 50) / 30
    y = (score + rng.normal(scale=0.5, size=n) > 0.8).astype(int)
    return X, y


def encoded(model):
    """A Pipeline: one-hot region, scaled income and age, the secret passed through."""
    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["region"]),
            (StandardScaler(), ["income", "age"]),
            remainder="passthrough",
        ),
        model,
    )


@pytest.fixture(scope="module")
def numeric_data():
    X, y = applicants()
    return X.drop(columns="region"), y


# -- contributions add up to the margin ------------------------------------------------------


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_tree_contributions_add_up_to_the_raw_margin(numeric_data, library):
    X, y = numeric_data
    if library == "xgboost":
        model = XGBClassifier(n_estimators=20, max_depth=3).fit(X, y)
        margin = model.predict(X, output_margin=True)
    else:
        model = LGBMClassifier(n_estimators=20, verbose=-1).fit(X, y)
        margin = model.predict(X, raw_score=True)
    explainer = TreeContributions(model)
    explanation = explainer.explain(X)
    assert list(explanation.columns) == list(X.columns)
    assert explanation.index.equals(X.index)
    assert all(pd.api.types.is_float_dtype(dtype) for dtype in explanation.dtypes)
    total = explanation.sum(axis=1) + explainer.base_values(X)
    np.testing.assert_allclose(total, margin, atol=1e-5)


@pytest.mark.parametrize("library", ["xgboost", "lightgbm"])
def test_tree_contributions_of_a_regressor_and_of_each_class(numeric_data, library):
    X, _ = numeric_data
    three = pd.Series(np.digitize(X["income"], [-0.5, 0.5]))
    if library == "xgboost":
        regressor = XGBRegressor(n_estimators=10).fit(X, X["income"] * 2)
        multi = XGBClassifier(n_estimators=10).fit(X, three)
        margins = multi.predict(X, output_margin=True)
    else:
        regressor = LGBMRegressor(n_estimators=10, verbose=-1).fit(X, X["income"] * 2)
        multi = LGBMClassifier(n_estimators=10, verbose=-1).fit(X, three)
        margins = multi.predict(X, raw_score=True)
    explainer = TreeContributions(regressor)
    total = explainer.explain(X).sum(axis=1) + explainer.base_values(X)
    np.testing.assert_allclose(total, regressor.predict(X), atol=1e-4)
    for position, label in enumerate(multi.classes_):
        explainer = TreeContributions(multi, output=label)
        total = explainer.explain(X).sum(axis=1) + explainer.base_values(X)
        np.testing.assert_allclose(total, margins[:, position], atol=1e-5)
    with refused(ValueError, "3 classes", "output="):
        TreeContributions(multi).explain(X)


def test_the_other_class_of_a_binary_model_is_the_negative_log_odds(numeric_data):
    X, y = numeric_data
    model = XGBClassifier(n_estimators=10).fit(X, y)
    positive = TreeContributions(model).explain(X[:20])
    negative = TreeContributions(model, output=0).explain(X[:20])
    pd.testing.assert_frame_equal(negative, -positive)


def test_linear_contributions_add_up_to_the_decision_function():
    X, y = applicants()
    model = encoded(LogisticRegression()).fit(X, y)
    explainer = LinearContributions(model).fit(X)
    explanation = explainer.explain(X)
    assert list(explanation.columns) == list(X.columns)
    total = explanation.sum(axis=1) + explainer.base_values(X)
    np.testing.assert_allclose(total, model.decision_function(X), atol=1e-10)
    # With the mean as the reference the contributions average to 0 over the background.
    np.testing.assert_allclose(explanation.mean(), 0.0, atol=1e-10)


@pytest.mark.parametrize("model", [LinearRegression(), Ridge(alpha=2.0)])
def test_linear_regressors_add_up_to_the_prediction(numeric_data, model):
    X, _ = numeric_data
    model.fit(X, 3 * X["income"] - X["secret"])
    explainer = LinearContributions(model).fit(X)
    total = explainer.explain(X).sum(axis=1) + explainer.base_values(X)
    np.testing.assert_allclose(total, model.predict(X), atol=1e-10)


def test_one_hot_columns_are_summed_back_into_their_column():
    """The region's contribution is the sum of its indicators' w_c (z_c − r_c)."""
    X, y = applicants()
    model = encoded(LogisticRegression()).fit(X, y)
    explainer = LinearContributions(model).fit(X)
    indicators = model[0].transform(X)[:, :3]  # north/south/east, in the encoder's order
    weights = model[-1].coef_[0, :3]
    expected = ((indicators - indicators.mean(axis=0)) * weights).sum(axis=1)
    np.testing.assert_allclose(explainer.explain(X)["region"], expected, atol=1e-12)


def test_tree_contributions_through_a_one_hot_pipeline():
    X, y = applicants()
    model = encoded(XGBClassifier(n_estimators=10, max_depth=3)).fit(X, y)
    explainer = TreeContributions(model)
    explanation = explainer.explain(X)
    assert list(explanation.columns) == list(X.columns)
    total = explanation.sum(axis=1) + explainer.base_values(X)
    np.testing.assert_allclose(total, model.predict(X, output_margin=True), atol=1e-5)


def test_a_reference_record_gives_zero_contributions_to_itself():
    X, y = applicants()
    model = encoded(LogisticRegression()).fit(X, y)
    explainer = LinearContributions(model, reference=X.iloc[[3]])
    np.testing.assert_allclose(explainer.explain(X.iloc[[3]]), 0.0, atol=1e-12)


def test_steps_that_mix_columns_are_refused_by_name(numeric_data):
    X, y = numeric_data
    model = make_pipeline(StandardScaler(), PolynomialFeatures(2), LogisticRegression()).fit(X, y)
    with refused(ValueError, "PolynomialFeatures", "ShapExplainer"):
        LinearContributions(model).fit(X).explain(X)


def test_models_without_exact_contributions_are_refused(numeric_data):
    X, y = numeric_data
    with refused(TypeError, "XGBoost and LightGBM", "ShapExplainer"):
        TreeContributions(LogisticRegression().fit(X, y)).explain(X)
    with refused(TypeError, "coef_", "TreeContributions"):
        LinearContributions(XGBClassifier(n_estimators=2).fit(X, y)).fit(X)


def test_the_mean_reference_needs_fit(numeric_data):
    X, y = numeric_data
    explainer = LinearContributions(LogisticRegression().fit(X, y))
    with refused(NotFittedError, "fit(X)"):
        explainer.explain(X)


def test_explainers_keep_the_model_when_cloned_and_never_touch_the_data(numeric_data):
    X, y = numeric_data
    model = XGBClassifier(n_estimators=5).fit(X, y)
    copy = clone(TreeContributions(model, output=1))
    assert copy.estimator is model and copy.output == 1
    codes = clone(ReasonCodes(TreeContributions(model), k=2))
    assert codes.explainer.estimator is model
    with frames_kept(X):
        TreeContributions(model).explain(X)
        LinearContributions(LogisticRegression().fit(X, y)).fit(X).explain(X)


def test_text_columns_as_pandas_3_stores_them(text_dtype):
    X, y = applicants(text_dtype=text_dtype)
    model = encoded(LogisticRegression()).fit(X, y)
    explainer = LinearContributions(model).fit(X)
    total = explainer.explain(X).sum(axis=1) + explainer.base_values(X)
    np.testing.assert_allclose(total, model.decision_function(X), atol=1e-10)


def test_records_in_another_column_order_are_read_by_name(numeric_data):
    X, y = numeric_data
    model = XGBClassifier(n_estimators=5).fit(X, y)
    shuffled = X[list(reversed(X.columns))]
    pd.testing.assert_frame_equal(
        TreeContributions(model).explain(shuffled), TreeContributions(model).explain(X)
    )
    with refused(ValueError, "missing ['secret']"):
        TreeContributions(model).explain(X.drop(columns="secret"))


# -- reason codes and defended explainers do what they state ---------------------------------


@pytest.fixture(scope="module")
def explainer():
    X, y = applicants()
    model = encoded(LogisticRegression()).fit(X, y)
    return LinearContributions(model).fit(X), X


@pytest.mark.parametrize("k", [1, 2, 4])
def test_top_k_keeps_exactly_k_contributions_with_their_values(explainer, k):
    base, X = explainer
    full = base.explain(X)
    top = TopKContributions(base, k=k)
    kept = top.explain(X)
    mask = top.explain_mask(X)
    assert (mask.sum(axis=1) == k).all()
    assert ((kept != 0) == mask).all().all()
    pd.testing.assert_frame_equal(kept[mask].fillna(0), full[mask].fillna(0))
    smallest_kept = full.abs().where(mask).min(axis=1)
    largest_dropped = full.abs().where(~mask).max(axis=1).fillna(0)
    assert (smallest_kept >= largest_dropped).all()
    assert not top.keeps_sum and "largest" in top.keeps


@pytest.mark.parametrize("values", ["signs", "rounded", "none"])
def test_reason_codes_report_names_signs_or_rounded_values(explainer, values):
    base, X = explainer
    full = base.explain(X)
    codes = ReasonCodes(base, k=2, values=values, decimals=1)
    reported = codes.explain(X)
    mask = codes.explain_mask(X)
    assert (mask.sum(axis=1) == 2).all()
    assert (reported.to_numpy()[~mask.to_numpy()] == 0).all()
    expected = {"signs": np.sign(full), "rounded": full.round(1), "none": full * 0 + 1}[values]
    pd.testing.assert_frame_equal(reported.where(mask, 0.0), expected.where(mask, 0.0))


def test_adverse_action_reasons_name_only_what_lowered_the_score(explainer):
    base, X = explainer
    full = base.explain(X)
    mask = ReasonCodes(base, k=2, rank_by="negative").explain_mask(X)
    assert (full[mask] < 0).sum().sum() == mask.sum().sum()


def test_rounding_keeps_every_contribution_on_the_grid(explainer):
    base, X = explainer
    rounded = RoundContributions(base, decimals=1).explain(X)
    np.testing.assert_allclose(rounded, base.explain(X).round(1))
    on_grid = RoundContributions(base, step=0.25).explain(X)
    np.testing.assert_allclose(on_grid / 0.25, np.round(on_grid / 0.25))


def test_dropping_a_contribution_withholds_it_and_nothing_else(explainer):
    base, X = explainer
    dropped = DropContribution(base, "secret")
    answer = dropped.explain(X)
    assert (answer["secret"] == 0).all()
    assert not dropped.explain_mask(X)["secret"].any()
    pd.testing.assert_frame_equal(
        answer.drop(columns="secret"), base.explain(X).drop(columns="secret")
    )
    with refused(ValueError, "'sex'"):
        DropContribution(base, ["sex"]).explain(X)


def test_noise_is_the_same_for_the_same_record_unless_fresh(explainer):
    base, X = explainer
    twice = pd.concat([X[:50], X[:50]], ignore_index=True)
    noisy = NoisyContributions(base, scale=0.3, random_state=0).explain(twice)
    np.testing.assert_array_equal(noisy[:50].to_numpy(), noisy[50:].to_numpy())
    off = (noisy[:50] - base.explain(X[:50]).to_numpy()).to_numpy()
    assert 0.2 < off.std() < 0.4
    fresh = NoisyContributions(base, scale=0.3, random_state=0, per_record=False)
    answer = fresh.explain(twice)
    assert not np.allclose(answer[:50].to_numpy(), answer[50:].to_numpy())


def test_defenses_compose_and_report_only_what_every_layer_reports(explainer):
    base, X = explainer
    chain = TopKContributions(DropContribution(base, "secret"), k=2)
    mask = chain.explain_mask(X)
    assert not mask["secret"].any() and (mask.sum(axis=1) == 2).all()


# -- SHAP, the optional extra -----------------------------------------------------------------


@pytest.mark.skipif(not HAS_SHAP, reason="shap is not installed (pip install 'tabinvert[shap]')")
def test_shap_values_of_a_linear_model_are_its_linear_contributions():
    """Interventional Shapley values of a model additive in its input columns are its
    contributions against the background's mean: a known answer."""
    X, y = applicants(200)
    model = encoded(LogisticRegression()).fit(X, y)
    background, records = X[:20], X[40:45]
    explainer = ShapExplainer(model, background, algorithm="exact")
    shap_values = explainer.explain(records)
    linear = LinearContributions(model, reference=background).explain(records)
    np.testing.assert_allclose(shap_values, linear, atol=1e-8)
    total = shap_values.sum(axis=1) + explainer.base_values(records)
    np.testing.assert_allclose(total, model.decision_function(records), atol=1e-8)


def test_without_shap_the_error_names_the_extra(monkeypatch, numeric_data):
    X, y = numeric_data
    monkeypatch.setitem(__import__("sys").modules, "shap", None)
    explainer = ShapExplainer(LogisticRegression().fit(X, y), X[:10])
    with refused(ImportError, "tabinvert[shap]"):
        explainer.explain(X[:2])


def test_tree_contributions_of_a_model_behind_a_sparse_one_hot_add_up_to_its_margin():
    # XGBoost reads entries a sparse matrix leaves out as missing, a dense 0 as 0: explaining
    # on a densified matrix would explain another model.
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {"colour": rng.choice(["red", "green", "blue"], 500), "size": rng.choice(["S", "L"], 500)}
    )
    y = ((X["colour"] == "red") ^ (X["size"] == "L")).astype(int)
    model = make_pipeline(OneHotEncoder(), XGBClassifier(n_estimators=20, max_depth=3))
    model.fit(X, y)
    explainer = TreeContributions(model)
    margin = model[-1].predict(model[:-1].transform(X), output_margin=True)
    total = explainer.explain(X).sum(axis=1).to_numpy() + explainer.base_values(X)
    np.testing.assert_allclose(total, margin, atol=1e-5)


def test_fresh_noise_is_fresh_at_every_call_and_reproducible_from_its_seed():
    X, y = _noise_population()
    explainer = LinearContributions(LogisticRegression().fit(X, y)).fit(X)
    fresh = NoisyContributions(explainer, scale=1.0, random_state=0, per_record=False)
    first, second = fresh.explain(X[:50]), fresh.explain(X[:50])
    assert not np.allclose(first, second)  # averaging repeated calls can remove it
    again = NoisyContributions(explainer, scale=1.0, random_state=0, per_record=False)
    np.testing.assert_array_equal(again.explain(X[:50]), first)


def _noise_population(n=400, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"a": rng.normal(size=n), "secret": rng.integers(0, 2, n)})
    return X, (X["a"] > 0).astype(int)


def test_noise_keyed_on_the_explanation_adds_no_leak_of_its_own():
    # The secret carries no weight: every candidate's explanation is the same, and so is its
    # noise; matching then cannot beat imputation (keyed on the record, it found the secret).
    from tabinvert.attacks import ExplanationInversion

    X, y = _noise_population(n=800)
    model = LogisticRegression().fit(X, y)
    model.coef_[0, 1] = 0.0
    explainer = NoisyContributions(LinearContributions(model).fit(X), scale=0.1, random_state=0)
    attack = ExplanationInversion(explainer, "secret", victim_explanations="served")
    attack.fit(X[:400], y[:400])
    guesses = attack.attack(X[400:], y[400:])
    baseline = attack.imputer_.attack(X[400:], y[400:])
    np.testing.assert_array_equal(guesses, baseline)

"""Gradient white-box inversion and optimisation-based reconstruction.

Every planted case comes with its control: the attack recovers what the model memorised, and no
more than the prior (or imputation) where the model never saw the features.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import gradient_cases
from sklearn.base import clone
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (
    OneHotEncoder,
    QuantileTransformer,
    StandardScaler,
)
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from tabinvert.attacks import (
    GradientInversion,
    ImputationBaseline,
    ReconstructionAttack,
    estimate_gradient,
    model_gradient,
)
from tabinvert.exceptions import ModelQueryError, NotDifferentiableError


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The optimisers multiply small matrices many times; on a shared 2-core machine BLAS
    threads contend (10x slower) rather than help. Also silences MLP convergence chatter."""
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _normalised_mae(guess, truth, spread):
    return float(np.mean(np.abs(np.asarray(guess, float) - np.asarray(truth, float))) / spread)


# -- gradients ------------------------------------------------------------------------------------


def test_black_box_gradient_estimates_agree_with_the_analytic_gradient():
    """Finite differences and SPSA (averaged over 4000 directions) on a logistic model, from
    predict_proba answers only, against backpropagation."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(600, 4))
    y = (X @ [1.0, -2.0, 0.5, 1.5] + rng.normal(size=600) > 0).astype(int)
    model = LogisticRegression().fit(X, y)
    targets, labels, wrt = X[:40], y[:40], [0, 1, 3]
    _, analytic = model_gradient(model, targets, wrt, labels)

    def log_proba(points):  # (N, M, 3) values of the wrt columns → (N, M) log p(true label)
        N, M, _ = points.shape
        rows = np.repeat(targets, M, axis=0)
        rows[:, wrt] = points.reshape(N * M, -1)
        proba = model.predict_proba(rows)
        return np.log(proba[np.arange(N * M), np.repeat(labels, M)]).reshape(N, M)

    fd, fd_rows = estimate_gradient(
        log_proba, targets[:, wrt], method="finite_differences", epsilon=1e-4
    )
    spsa, spsa_rows = estimate_gradient(
        log_proba, targets[:, wrt], method="spsa", epsilon=1e-3, n_samples=4000, random_state=0
    )
    norm = np.linalg.norm(analytic, axis=1)
    fd_error = np.linalg.norm(fd - analytic, axis=1) / norm
    spsa_error = np.linalg.norm(spsa - analytic, axis=1) / norm
    assert fd_rows == 40 * 2 * 3 and spsa_rows == 40 * 2 * 4000
    assert fd_error.max() < 1e-5  # central differences: O(ε²)
    # SPSA: the cross terms average out as 1/√n_samples (√(2/4000) ≈ 0.02 relative).
    assert np.median(spsa_error) < 0.05 and spsa_error.max() < 0.15
    few, _ = estimate_gradient(
        log_proba, targets[:, wrt], method="spsa", epsilon=1e-3, n_samples=1, random_state=0
    )
    assert np.median(np.linalg.norm(few - analytic, axis=1) / norm) > 0.3  # averaging matters


_X_GRAD, _GRADIENT_CASES = gradient_cases()


@pytest.mark.parametrize("name", list(_GRADIENT_CASES))
def test_analytic_gradient_matches_the_models_own_outputs(name):
    """Value and gradient against central differences of the model's own predict_proba /
    predict (not of our forward pass): a wrong backward pass or forward pass fails."""
    estimator, y = _GRADIENT_CASES[name]
    with threadpool_limits(limits=1, user_api="blas"):
        model = clone(estimator).fit(_X_GRAD, y)
    X, y = _X_GRAD[:25], np.asarray(y)[:25]
    wrt = [0, 2, 3]
    sigma = 0.7
    value, grad = model_gradient(model, X, wrt, y, noise_scale=sigma)

    def objective(records):
        if hasattr(model, "predict_proba"):
            positions = np.searchsorted(model.classes_, y)
            return np.log(model.predict_proba(records)[np.arange(len(y)), positions])
        return -0.5 * ((y - model.predict(records)) / sigma) ** 2

    np.testing.assert_allclose(value, objective(X), rtol=1e-7, atol=1e-9)
    numerical = np.empty_like(grad)
    for j, column in enumerate(wrt):
        h = 1e-5 * max(1.0, np.abs(X[:, column]).max())
        up, down = X.copy(), X.copy()
        up[:, column] += h
        down[:, column] -= h
        numerical[:, j] = (objective(up) - objective(down)) / (2 * h)
    scale = np.abs(numerical).max()
    np.testing.assert_allclose(grad, numerical, rtol=1e-4, atol=1e-5 * scale)


@pytest.mark.parametrize("kernel", ["proba", "logit"])
@pytest.mark.parametrize(
    "name",
    ["logistic-multiclass", "mlp-classifier-tanh", "mlp-binary-relu", "logistic-binary-minmax"],
)
def test_analytic_gradient_of_observed_probabilities(name, kernel):
    """The kernels on observed probabilities, against the model's own predict_proba."""
    estimator, y = _GRADIENT_CASES[name]
    model = clone(estimator).fit(_X_GRAD, y)
    X, wrt, width = _X_GRAD[:25], [0, 2, 3], 0.05
    seen = model.predict_proba(_X_GRAD[100:125])  # what other records' victims saw

    def objective(records):
        p = model.predict_proba(records)
        if kernel == "proba":
            gap = p - seen
        else:
            gap = np.log(p) - np.log(p).mean(axis=1, keepdims=True)
            gap -= np.log(seen) - np.log(seen).mean(axis=1, keepdims=True)
        return -0.5 * (gap**2).sum(axis=1) / width**2

    value, grad = model_gradient(
        model, X, wrt, observed=seen, observed_width=width, observed_kernel=kernel
    )
    np.testing.assert_allclose(value, objective(X), rtol=1e-6)
    for j, column in enumerate(wrt):
        h = 1e-5 * max(1.0, np.abs(X[:, column]).max())
        up, down = X.copy(), X.copy()
        up[:, column] += h
        down[:, column] -= h
        numerical = (objective(up) - objective(down)) / (2 * h)
        np.testing.assert_allclose(
            grad[:, j], numerical, rtol=1e-4, atol=1e-6 * np.abs(numerical).max()
        )


def test_analytic_gradient_through_a_column_transformer_with_one_hot_known_columns():
    rng = np.random.default_rng(2)
    n = 500
    X = pd.DataFrame(
        {"city": rng.choice(["a", "b", "c"], n), "x": rng.normal(size=n), "z": rng.normal(5, 2, n)}
    )
    y = X["x"] * 2 + (X["city"] == "b") - X["z"] / 2 + rng.normal(size=n) > -2
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["city"]), (StandardScaler(), ["x"]), remainder="passthrough"
        ),
        MLPClassifier((6,), activation="tanh", max_iter=300, random_state=0),
    ).fit(X, y)
    value, grad = model_gradient(model, X[:20], ["x", "z"], y[:20])
    for j, column in enumerate(["x", "z"]):
        up, down = X[:20].copy(), X[:20].copy()
        up[column] += 1e-5
        down[column] -= 1e-5
        rows = np.arange(20), np.asarray(y[:20]).astype(int)
        numeric = (
            np.log(model.predict_proba(up)[rows]) - np.log(model.predict_proba(down)[rows])
        ) / 2e-5
        np.testing.assert_allclose(grad[:, j], numeric, rtol=1e-4, atol=1e-7)
    with pytest.raises(NotDifferentiableError, match=r"\['city'\].*OneHotEncoder.*not affine"):
        model_gradient(model, X[:20], ["city"], y[:20])


# -- GradientInversion ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dose():
    """Fredrikson et al. 2014: a linear dose model; the attacker knows the dose and the other
    features, and infers the age."""
    rng = np.random.default_rng(4)
    n = 2500
    X = pd.DataFrame(
        {
            "weight": rng.normal(70, 10, n),
            "age": rng.uniform(20, 80, n),
            "height": rng.normal(170, 10, n),
        }
    )
    y = 0.5 * X["weight"] + 2.0 * X["age"] - 0.1 * X["height"] + rng.normal(0, 1, n)
    model = LinearRegression().fit(X[:1000], y[:1000])
    return model, X, y


def test_gradient_inversion_recovers_the_planted_age(dose):
    model, X, y = dose
    attack = GradientInversion(model, "age").fit(X[1000:1500], y[1000:1500])
    guesses = attack.attack(X[:1000], y[:1000])
    truth = X["age"][:1000]
    mae = float(np.mean(np.abs(guesses - truth)))
    # Imputation with the same auxiliary records *and the labels* (the strongest baseline).
    baseline = ImputationBaseline("age", random_state=0).fit(X[1000:1500], y[1000:1500])
    baseline_mae = float(np.mean(np.abs(baseline.attack(X[:1000], y[:1000]) - truth)))
    assert mae < 0.05 * truth.std()  # σ/β = 0.5 year against a spread of 17 years
    assert mae < 0.7 * baseline_mae
    # The optimiser finds the exact posterior mode of the linear-Gaussian model.
    beta = model.coef_[1]
    rest = model.intercept_ + X[:1000].drop(columns="age") @ np.delete(model.coef_, 1)
    s2, t2 = attack.sigma_**2, attack.prior_std_**2
    mode = (attack.prior_mean_ / t2 + beta * (y[:1000] - rest) / s2) / (1 / t2 + beta**2 / s2)
    np.testing.assert_allclose(guesses, np.clip(mode, *attack.bounds_), atol=1e-5)
    assert attack.score(X[:1000], y[:1000]) == pytest.approx(-mae)
    assert attack.last_query_cost_.rows == 0  # white-box: no queries
    proba = attack.attack_proba(X[:50], y[:50])
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    nearest = np.abs(proba.columns.to_numpy(float)[None, :] - guesses[:50].to_numpy()[:, None])
    assert (proba.to_numpy().argmax(axis=1) == nearest.argmin(axis=1)).mean() > 0.9


def test_gradient_inversion_learns_nothing_from_a_model_blind_to_the_attribute(dose):
    _, X, y = dose
    blind = make_pipeline(
        make_column_transformer(("passthrough", ["weight", "height"])), LinearRegression()
    ).fit(X[:1000], y[:1000])
    attack = GradientInversion(blind, "age").fit(X[1000:1500], y[1000:1500])
    guesses = attack.attack(X[:1000], y[:1000])
    np.testing.assert_allclose(guesses, attack.prior_mean_)  # the prior's mode, for everyone


def test_imputation_prior_combines_what_the_known_features_say_with_the_model():
    """Age follows weight closely; the dose says a little more. A flat-population prior
    ignores the weight, the imputation prior uses it, and the model adds to it."""
    rng = np.random.default_rng(6)
    n = 3000
    weight = rng.normal(70, 10, n)
    X = pd.DataFrame(
        {
            "weight": weight,
            "age": 0.8 * weight - 6 + rng.normal(0, 4, n),
            "height": rng.normal(170, 10, n),
        }
    )
    y = 0.5 * X["weight"] + 0.3 * X["age"] + rng.normal(0, 2, n)
    model = LinearRegression().fit(X[:1000], y[:1000])
    truth = X["age"][:1000]

    def mae(attack):
        attack.fit(X[1000:2000], y[1000:2000])
        return float(np.mean(np.abs(attack.attack(X[:1000], y[:1000]) - truth)))

    gaussian = mae(GradientInversion(model, "age"))
    combined = mae(GradientInversion(model, "age", prior="imputation", random_state=0))
    imputation = ImputationBaseline("age", random_state=0).fit(X[1000:2000].drop(columns=[]))
    imputed = float(np.mean(np.abs(imputation.attack(X[:1000]) - truth)))
    assert combined < 0.8 * gaussian
    assert combined < imputed  # the dose still tells something beyond the weight


def test_auxiliary_records_without_the_attribute_are_left_out(dose):
    model, X, y = dose
    aux = X[1000:1500].copy()
    aux.loc[aux.index[:50], "age"] = np.nan
    for prior in ("gaussian", "imputation"):
        attack = GradientInversion(model, "age", prior=prior, random_state=0).fit(aux, y[1000:1500])
        assert np.isfinite(attack.bounds_).all() and np.isfinite(attack.prior_mean_)
        guesses = attack.attack(X[:200], y[:200])
        assert guesses.notna().all()
        assert float(np.mean(np.abs(guesses - X["age"][:200]))) < 2.0


def test_gradient_inversion_never_peeks_at_the_true_attribute(dose):
    model, X, y = dose
    attack = GradientInversion(model, "age").fit(X[1000:1500], y[1000:1500])
    targets = X[:300]
    shuffled = targets.assign(age=targets["age"].sample(frac=1, random_state=0).to_numpy())
    expected = attack.attack(targets, y[:300])
    pd.testing.assert_series_equal(attack.attack(shuffled, y[:300]), expected)
    pd.testing.assert_series_equal(attack.attack(targets.assign(age=0.0), y[:300]), expected)


# -- reconstruction -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def planted():
    """y = k1 + k2 + 1.5·u + 6·group + small noise, u ~ U(-1, 1): the output pins down both the
    numeric ``u`` and the categorical ``group`` (jumps of 6 exceed u's range of 3)."""
    rng = np.random.default_rng(1)
    n = 2000
    X = pd.DataFrame(
        {
            "k1": rng.normal(size=n),
            "k2": rng.uniform(0, 1, n),
            "u": rng.uniform(-1, 1, n),
            "group": rng.choice(["a", "b", "c"], n),
        }
    )
    y = (
        X["k1"]
        + X["k2"]
        + 1.5 * X["u"]
        + 6 * X["group"].map({"a": 0, "b": 1, "c": 2})
        + rng.normal(0, 0.05, n)
    )

    def model(columns):
        with threadpool_limits(limits=1, user_api="blas"):
            return make_pipeline(
                make_column_transformer(
                    (OneHotEncoder(), [c for c in ["group"] if c in columns]),
                    (StandardScaler(), [c for c in ["k1", "k2", "u"] if c in columns]),
                ),
                MLPRegressor(
                    hidden_layer_sizes=(32,), activation="tanh", max_iter=1000, random_state=0
                ),
            ).fit(X[:1200], y[:1200])

    return X, y, model(["k1", "k2", "u", "group"]), model(["k1", "k2"])


def _imputation_errors(X, aux, targets):
    errors = {}
    for column in ["u", "group"]:
        baseline = ImputationBaseline(column, random_state=0).fit(aux[["k1", "k2", column]])
        guess = baseline.attack(targets[["k1", "k2"]])
        errors[column] = (
            float(np.mean(guess != targets[column]))
            if column == "group"
            else _normalised_mae(guess, targets[column], aux[column].std(ddof=0))
        )
    return errors


def test_reconstruction_recovers_memorised_features(planted):
    X, y, model, _ = planted
    aux, targets = X[1500:], X[:300]
    observed = model.predict(targets)  # the score the victim saw
    attack = ReconstructionAttack(model, ["u", "group"], random_state=0).fit(aux, y[1500:])
    assert attack.gradient_ == "analytic" and attack.categorical_search_ == "enumerate"
    guess = attack.reconstruct(targets[["k1", "k2"]], y[:300], observed=observed)
    assert list(guess.columns) == ["u", "group"] and guess.index.equals(targets.index)
    errors = attack.score(targets, y[:300], observed=observed)
    assert errors["u"] < 0.05 and errors["group"] <= 0.01  # measured: 0.011 and 0.0
    prior = attack._errors(attack.prior_reconstruction(targets), targets)
    imputation = _imputation_errors(X, aux, targets)
    assert prior["u"] > 0.8 and prior["group"] > 0.6
    assert imputation["u"] > 0.8 and imputation["group"] > 0.6
    # The categorical unknown relaxed to a probability simplex over its one-hot columns, then
    # rounded and the numeric unknown refined: the same answer.
    relaxed = ReconstructionAttack(
        model, ["u", "group"], categorical_search="relax", random_state=0
    ).fit(aux, y[1500:])
    relaxed_errors = relaxed.score(targets, y[:300], observed=observed)
    assert relaxed_errors["u"] < 0.06 and relaxed_errors["group"] <= 0.01  # 0.029 and 0.0


def test_reconstruction_gains_nothing_when_the_model_ignores_the_features(planted):
    X, y, _, blind = planted
    aux, targets = X[1500:], X[:300]
    attack = ReconstructionAttack(blind, ["u", "group"], random_state=0).fit(aux, y[1500:])
    errors = attack.score(targets, y[:300], observed=blind.predict(targets))
    prior = attack._errors(attack.prior_reconstruction(targets), targets)
    imputation = _imputation_errors(X, aux, targets)
    for column in ["u", "group"]:
        assert errors[column] == pytest.approx(prior[column], abs=0.02)
        assert errors[column] > imputation[column] - 0.05


def test_reconstruction_never_peeks_at_the_true_unknowns(planted):
    X, y, model, _ = planted
    attack = ReconstructionAttack(model, ["u", "group"], n_iter=20, random_state=0).fit(
        X[1500:], y[1500:]
    )
    targets = X[:30]
    reference = attack.reconstruct(targets, y[:30])
    tampered = targets.assign(u=0.0, group="a")
    pd.testing.assert_frame_equal(attack.reconstruct(tampered, y[:30]), reference)
    pd.testing.assert_frame_equal(attack.reconstruct(targets[["k1", "k2"]], y[:30]), reference)


def test_black_box_reconstruction_matches_white_box_and_counts_queries(planted):
    X, y, model, _ = planted
    aux, targets = X[1500:], X[:40]
    observed = model.predict(targets)
    results = {}
    for gradient in ("analytic", "finite_differences", "spsa"):
        attack = ReconstructionAttack(
            model, ["u", "group"], gradient=gradient, n_iter=60, n_spsa=2, random_state=0
        ).fit(aux, y[1500:])
        results[gradient] = (
            attack.reconstruct(targets, y[:40], observed=observed),
            attack.last_query_cost_,
        )
    white, white_cost = results["analytic"]
    assert white_cost.rows == 0 and white_cost.calls == 0
    n_chains = 40 * 4 * 3  # records × restarts × enumerated group values
    for gradient, per_chain in (("finite_differences", 2), ("spsa", 2 * 2)):
        guess, cost = results[gradient]
        assert _normalised_mae(guess["u"], white["u"], aux["u"].std()) < 0.01, gradient
        assert (guess["group"] == white["group"]).all()
        # One batched call per iteration (every chain's perturbed points) + one final call.
        assert cost.calls == 60 + 1
        assert cost.rows == 60 * n_chains * per_chain + n_chains
    # Records are solved in blocks whose points fit max_rows_per_call (memory stays bounded):
    # 12 chains × 2 points per record, so blocks of 20 records, n_iter + 1 calls each.
    small = ReconstructionAttack(
        model,
        ["u", "group"],
        gradient="finite_differences",
        n_iter=5,
        max_rows_per_call=n_chains,
        random_state=0,
    )
    small.fit(aux, y[1500:]).reconstruct(targets, y[:40], observed=observed)
    assert small.last_query_cost_.calls == 2 * (5 + 1)
    assert small.last_query_cost_.rows == 5 * n_chains * 2 + n_chains


def test_black_box_recovers_two_numeric_unknowns_from_observed_probabilities():
    """Two unknowns, three class probabilities (two log-odds): SPSA in two dimensions."""
    rng = np.random.default_rng(5)
    n = 1500
    X = pd.DataFrame({f"c{i}": rng.normal(size=n) for i in range(4)})
    logits = np.column_stack([np.zeros(n), X["c2"] + X["c0"], X["c3"] - X["c2"] + X["c1"]])
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (rng.random(n)[:, None] > proba.cumsum(axis=1)).sum(axis=1)
    model = LogisticRegression().fit(X[:1000], y[:1000])
    targets = X[:50]
    observed = model.predict_proba(targets)
    guesses = {}
    for gradient in ("analytic", "finite_differences", "spsa"):
        attack = ReconstructionAttack(
            model, ["c2", "c3"], gradient=gradient, n_iter=150, random_state=0
        ).fit(X[1000:], y[1000:])
        guesses[gradient] = attack.reconstruct(targets, y[:50], observed=observed)
    errors = attack._errors(guesses["analytic"], targets)
    assert errors.max() < 0.05  # the probabilities pin both values down
    for gradient in ("finite_differences", "spsa"):
        gap = (guesses[gradient] - guesses["analytic"]).abs().to_numpy().mean()
        assert gap < 0.02, gradient


def test_class_representatives_are_nearer_to_training_members():
    """Labels are noise: a large MLP memorises its rare positive members, so the records it
    finds most typical of the class sit next to training members, not to comparable
    non-members (equal numbers of each, from the same population)."""
    rng = np.random.default_rng(0)
    n = 400
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n)})
    y = (rng.random(n) < 0.15).astype(int)
    members, nonmembers, aux = slice(0, 150), slice(150, 300), slice(300, 400)
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier((50,), solver="lbfgs", alpha=1e-5, max_iter=2000, random_state=0),
    ).fit(X[members], y[members])
    attack = ReconstructionAttack(
        model, mode="class_representative", prior_weight=0.1, random_state=0
    ).fit(X[aux], y[aux])
    representatives = attack.representative(1, n=20)
    assert list(representatives.columns) == ["a", "b"] and len(representatives) == 20
    assert (model.predict(representatives) == 1).all()
    positive_members = X[members][y[members] == 1]
    positive_nonmembers = X[nonmembers][y[nonmembers] == 1]
    size = min(len(positive_members), len(positive_nonmembers))
    table = attack.representative_distances(
        representatives, positive_members[:size], positive_nonmembers[:size]
    )
    assert set(table["nearer"]) <= {"member", "non-member", "tie"}
    assert table.attrs["share_nearer_member"] >= 0.75  # measured: 0.95
    assert table["nearest_member"].median() < table["nearest_nonmember"].median()


def test_array_models_take_positions_and_trees_fall_back_to_black_box():
    rng = np.random.default_rng(6)
    A = rng.normal(size=(600, 3))
    y = (A[:, 0] + A[:, 2] > 0).astype(int)
    forest = RandomForestClassifier(20, random_state=0).fit(A[:400], y[:400])
    attack = ReconstructionAttack(forest, [2], n_iter=5, random_state=0).fit(A[400:], y[400:])
    assert attack.gradient_ == "finite_differences" and attack.differentiable_ is None
    guess = attack.reconstruct(A[:10, :2], y[:10])
    assert list(guess.columns) == [2] and len(guess) == 10
    assert attack.last_query_cost_.calls == 5 + 1


# -- sklearn conventions and bad input ------------------------------------------------------------


def test_clone_keeps_the_target_model(planted, dose):
    X, y, model, _ = planted
    attack = ReconstructionAttack(model, ["u", "group"], n_iter=10, random_state=0)
    copy = clone(attack)
    assert copy.estimator is model and copy.get_params()["unknown"] == ["u", "group"]
    copy.set_params(n_iter=3)
    assert attack.n_iter == 10
    copy.fit(X[1500:], y[1500:])
    with pytest.raises(NotFittedError):
        clone(copy).reconstruct(X[:5], y[:5])
    linear, Xd, yd = dose
    inversion = clone(GradientInversion(linear, "age", prior="uniform"))
    assert inversion.estimator is linear and inversion.prior == "uniform"


def test_errors_are_clear(planted, dose):
    X, y, model, _ = planted
    aux = X[1500:]
    with pytest.raises(ValueError, match="unknown column 'nope' is not one of the model's"):
        ReconstructionAttack(model, ["u", "nope"]).fit(aux, y[1500:])
    with pytest.raises(ValueError, match="more than once"):
        ReconstructionAttack(model, ["u", "u"]).fit(aux, y[1500:])
    forest = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["group"]), remainder="passthrough"),
        RandomForestClassifier(5, random_state=0),
    ).fit(X[:300], y[:300] > 6)
    with pytest.raises(TypeError, match="gradient='analytic' needs a differentiable.*Random"):
        ReconstructionAttack(forest, ["u"], gradient="analytic").fit(aux, y[1500:] > 6)
    linear, Xd, yd = dose
    with pytest.raises(TypeError, match="GradientInversion needs a differentiable"):
        GradientInversion(forest, "u").fit(aux, y[1500:] > 6)
    with pytest.raises(ValueError, match="numeric attribute"):
        GradientInversion(model, "group", sensitive_type="auto").fit(aux, y[1500:])
    quantiles = make_pipeline(QuantileTransformer(n_quantiles=50), LinearRegression()).fit(
        Xd[:500], yd[:500]
    )
    with pytest.raises(NotDifferentiableError, match="QuantileTransformer is not supported"):
        GradientInversion(quantiles, "age").fit(Xd[1000:1500], yd[1000:1500])
    attack = ReconstructionAttack(model, ["u", "group"], n_iter=2).fit(aux, y[1500:])
    with pytest.raises(ValueError, match="pass the targets' true labels or outputs"):
        attack.reconstruct(X[:5])
    with pytest.raises(ValueError, match=r"missing the known column\(s\) \['k2'\]"):
        attack.reconstruct(X[:5][["k1"]], y[:5])
    with pytest.raises(ValueError, match="needs mode='class_representative'"):
        attack.representative(1.0)
    with pytest.raises(ValueError, match="bounds_quantiles"):
        ReconstructionAttack(model, ["u"], bounds_quantiles=(0.9, 0.1)).fit(aux, y[1500:])
    with pytest.raises(InvalidParameterError, match="'gradient' parameter"):
        ReconstructionAttack(model, ["u"], gradient="magic").fit(aux, y[1500:])
    with pytest.raises(ValueError, match="relaxing them needs analytic gradients"):
        ReconstructionAttack(model, ["u", "group"], gradient="spsa", max_enumerate=2).fit(
            aux, y[1500:]
        )
    with pytest.raises(ValueError, match="unknown=None .* is for mode='class_representative'"):
        ReconstructionAttack(model).fit(aux, y[1500:])


def test_array_models_are_scored_by_position_whatever_the_frame_says():
    rng = np.random.default_rng(3)
    X = pd.DataFrame(
        {"a": rng.normal(size=400), "s": rng.normal(size=400), "b": rng.normal(size=400)}
    )
    y = X["a"] + 2 * X["s"] + X["b"]
    model = LinearRegression().fit(X.to_numpy(), y)
    attack = ReconstructionAttack(model, [1], n_iter=30, random_state=0).fit(X[:200], y[:200])
    errors = attack.score(X[200:], y[200:])
    assert list(errors.index) == [1] and errors[1] < 0.2


class _SpoiltProbabilities(LogisticRegression):
    """A classifier whose first answer of every call is not a probability row."""

    def predict_proba(self, X):
        proba = super().predict_proba(X)
        proba[0] = np.nan
        return proba


class _SpoiltOutputs(LinearRegression):
    """A regressor whose first answer of every call is infinite."""

    def predict(self, X):
        output = super().predict(X)
        output[0] = np.inf
        return output


def test_black_box_reconstruction_refuses_malformed_model_answers(planted):
    """Black-box queries go through the query engine, which checks every answer: a spoilt one
    is refused, naming what came back, rather than silently steering the optimiser."""
    X, y, _, _ = planted
    features = ["k1", "k2", "u"]
    classifier = _SpoiltProbabilities().fit(X[:1200][features], y[:1200] > 6)
    attack = ReconstructionAttack(
        classifier, ["u"], gradient="finite_differences", n_iter=2, random_state=0
    ).fit(X[1500:][features], y[1500:] > 6)
    with pytest.raises(ModelQueryError, match=r"predict_proba\(\) returned non-finite"):
        attack.reconstruct(X[:5][["k1", "k2"]], y[:5] > 6)
    regressor = _SpoiltOutputs().fit(X[:1200][features], y[:1200])
    with pytest.raises(ModelQueryError, match=r"predict\(\) returned a non-finite prediction"):
        ReconstructionAttack(regressor, ["u"], gradient="spsa").fit(X[1500:][features], y[1500:])

"""DP-SGD estimators: the mechanism (clipping, noise, Poisson sampling) checked against
explicit per-example references, their behaviour, their hooks, and scikit-learn's checks."""

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats
from scipy.special import expit, logsumexp
from sklearn.linear_model import LinearRegression
from sklearn.utils.estimator_checks import parametrize_with_checks

from tabinvert.dp import DPSGDClassifier, DPSGDRegressor
from tabinvert.dp._network import (
    backward,
    clipped_gradient_sum,
    forward,
    output_error,
    per_example_norms,
)
from tabinvert.exceptions import PrivacyLeakWarning

pytest.importorskip("dp_accounting")  # in the test extra: never skips in CI


# --------------------------------------------------------------------------------------------
# A reference: per-example gradients by central finite differences, one example at a time
# --------------------------------------------------------------------------------------------

ACT = {"tanh": np.tanh, "relu": lambda z: np.maximum(z, 0.0)}


def example_loss(coefs, intercepts, x, label, loss, activation):
    a = x
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        z = a @ W + b
        a = z if layer == len(coefs) - 1 else ACT[activation](z)
    if loss == "binary":
        p = expit(z[0])
        return -(label * np.log(p) + (1 - label) * np.log(1 - p))
    if loss == "softmax":
        return logsumexp(z) - z[label]
    return 0.5 * (z[0] - label) ** 2


def fd_gradient(coefs, intercepts, x, label, loss, activation, h=1e-6):
    """The gradient of one example's loss, every parameter perturbed on its own."""
    params = [p.copy() for p in (*coefs, *intercepts)]
    grads = []
    for p in params:
        g = np.zeros_like(p)
        for index in np.ndindex(p.shape):
            old = p[index]
            values = []
            for step in (h, -h):
                p[index] = old + step
                values.append(
                    example_loss(
                        params[: len(coefs)], params[len(coefs) :], x, label, loss, activation
                    )
                )
            p[index] = old
            g[index] = (values[0] - values[1]) / (2 * h)
        grads.append(g)
    return grads[: len(coefs)], grads[len(coefs) :]


def flat(arrays):
    return np.concatenate([np.ravel(a) for a in arrays])


def small_network(rng, sizes):
    coefs = [rng.normal(0, 0.8, (i, o)) for i, o in zip(sizes[:-1], sizes[1:])]
    intercepts = [rng.normal(0, 0.3, o) for o in sizes[1:]]
    return coefs, intercepts


@pytest.mark.parametrize(
    "sizes, loss, activation",
    [
        ((3, 4, 3), "softmax", "tanh"),
        ((3, 5, 2, 1), "binary", "relu"),
        ((4, 1), "binary", "tanh"),
        ((4, 1), "squared", "tanh"),
    ],
)
def test_vectorised_norms_and_clipped_sum_equal_the_per_example_reference(sizes, loss, activation):
    rng = np.random.default_rng(0)
    coefs, intercepts = small_network(rng, sizes)
    n = 8
    X = rng.uniform(-1, 1, size=(n, sizes[0]))
    if loss == "softmax":
        labels = rng.integers(0, sizes[-1], n)
        targets = np.eye(sizes[-1])[labels]
    elif loss == "binary":
        labels = rng.integers(0, 2, n)
        targets = labels[:, None].astype(float)
    else:
        labels = rng.uniform(-1, 1, n)
        targets = labels[:, None]

    reference = [
        fd_gradient(coefs, intercepts, X[i], labels[i], loss, activation) for i in range(n)
    ]
    ref_norms = np.array([np.linalg.norm(flat(w + b)) for w, b in reference])

    acts = forward(coefs, intercepts, X, activation)
    deltas = backward(coefs, acts, output_error(acts[-1], targets, loss), activation)
    norms = per_example_norms(acts, deltas)
    np.testing.assert_allclose(norms, ref_norms, rtol=1e-6)
    np.testing.assert_allclose(
        per_example_norms(acts, deltas, np.einsum("ij,ij->i", X, X)), norms, rtol=1e-12
    )

    clip_norm = float(np.median(ref_norms))  # some examples clipped, some not
    model = DPSGDClassifier(clip_norm=clip_norm)
    factors = model._clip_factors(norms)
    assert (factors < 1).any() and (factors == 1).any()
    clipped = [[g * factors[i] for g in w + b] for i, (w, b) in enumerate(reference)]
    assert max(np.linalg.norm(flat(c)) for c in clipped) <= clip_norm * (1 + 1e-6)
    expected = [sum(c[k] for c in clipped) for k in range(2 * len(coefs))]
    grads_w, grads_b = clipped_gradient_sum(acts, deltas, factors)
    for got, want in zip(grads_w + grads_b, expected):
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)


def test_clip_factors_leave_small_and_zero_gradients_alone():
    factors = DPSGDClassifier(clip_norm=2.0)._clip_factors(np.array([0.0, 1.0, 2.0, 4.0, 8.0]))
    np.testing.assert_array_equal(factors, [1.0, 1.0, 1.0, 0.5, 0.25])


class Recording(DPSGDClassifier):
    """Records every norm vector the training step hands to the clipping hook."""

    def _clip_factors(self, norms):
        self.seen_.append(norms.copy())
        return super()._clip_factors(norms)

    def fit(self, X, y):
        self.seen_ = []
        return super().fit(X, y)


def test_one_training_step_is_the_clipped_mean_gradient():
    # One full-batch step without noise: W1 = W0 - lr · (Σ clipped g_i) / n. Two learning
    # rates give W0 and the step; both are compared with the finite-difference reference.
    rng = np.random.default_rng(3)
    n, d = 12, 3
    X = rng.uniform(-1, 1, size=(n, d))
    y = rng.integers(0, 3, n)
    params = dict(
        epsilon=np.inf,
        epochs=1,
        batch_size=n,
        hidden_layer_sizes=(4,),
        clip_norm=0.5,
        bounds=(-1, 1),
        classes=[0, 1, 2],
        random_state=7,
    )
    one = Recording(learning_rate=1.0, **params).fit(X, y)
    two = Recording(learning_rate=2.0, **params).fit(X, y)
    assert one.n_steps_ == 1 and len(one.seen_) == 1
    start = [2 * a - b for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_)]
    step = [a - b for a, b in zip(one.coefs_ + one.intercepts_, two.coefs_ + two.intercepts_)]
    coefs, intercepts = start[:2], start[2:]
    reference = [fd_gradient(coefs, intercepts, X[i], y[i], "softmax", "tanh") for i in range(n)]
    ref_norms = np.array([np.linalg.norm(flat(w + b)) for w, b in reference])
    np.testing.assert_allclose(one.seen_[0], ref_norms, rtol=1e-5)
    assert (ref_norms > 0.5).any()  # clipping is exercised
    factors = np.minimum(1, 0.5 / ref_norms)
    mean = [sum(factors[i] * flat(w + b) for i, (w, b) in enumerate(reference)) / n]
    np.testing.assert_allclose(flat(step), mean[0], rtol=1e-5, atol=1e-10)


@pytest.mark.parametrize(
    "n, batch_size, epochs, rate, steps",
    [
        (1000, 300, 2, 0.3, 7),  # 2 / 0.3 = 6.67 steps, rounded
        (1000, 300, 1.9, 0.3, 6),
        (200, 256, 20, 1.0, 20),  # a batch of all records: one step per epoch
        (1000, 10, 0.001, 0.01, 1),  # at least one step
    ],
)
def test_sampling_rate_and_number_of_steps(n, batch_size, epochs, rate, steps):
    X = np.linspace(0, 1, n)[:, None]
    model = DPSGDClassifier(
        epsilon=np.inf, epochs=epochs, batch_size=batch_size, bounds=(0, 1), classes=[0, 1]
    ).fit(X, np.arange(n) % 2)
    assert model.sampling_rate_ == pytest.approx(rate) and model.n_steps_ == steps


def test_gradient_sum_is_divided_by_the_expected_batch_size():
    # One sampled step from zero weights, every label 1: each record's gradient is
    # (-x_i / 2, -1/2), unclipped, so the bias moves by lr · (m / 2) / (q · n) for a batch of
    # m records, not by lr / 2 as dividing by the actual batch size would give.
    n, batch_size, lr = 1000, 100, 0.5
    X = np.linspace(0, 1, n)[:, None]
    model = Recording(
        epsilon=np.inf,
        epochs=0.1,
        batch_size=batch_size,
        learning_rate=lr,
        bounds=(-1, 1),
        classes=[0, 1],
        random_state=0,
    ).fit(X, np.ones(n, dtype=int))
    assert model.n_steps_ == 1
    (norms,) = model.seen_
    m = len(norms)
    assert m != batch_size  # the test tells the two normalisations apart
    assert (norms < 1).all()  # nothing clipped
    assert model.intercepts_[0][0] == pytest.approx(lr * (m / 2) / batch_size, rel=1e-12)
    x = np.sqrt((2 * norms) ** 2 - 1)
    assert model.coefs_[0][0, 0] == pytest.approx(lr * (x.sum() / 2) / batch_size, rel=1e-9)


# --------------------------------------------------------------------------------------------
# Noise and sampling
# --------------------------------------------------------------------------------------------


class NoSignal(DPSGDClassifier):
    """Clips every gradient to zero: the weights then move by the noise alone."""

    def _clip_factors(self, norms):
        return np.zeros_like(norms)


@pytest.mark.parametrize(
    "n, batch_size, epochs, clip_norm", [(1000, 100, 0.5, 1.0), (200, 256, 3, 3.0)]
)
def test_noise_has_the_stated_standard_deviation(n, batch_size, epochs, clip_norm):
    # Linear model from zero: after T steps each weight is -lr/(q·n) times a sum of T noise
    # draws of std noise_multiplier_ · clip_norm. The expected batch size q·n is batch_size
    # (sampled) or n (full batch).
    d = 2000
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(n, d))
    y = rng.integers(0, 2, n)
    model = NoSignal(
        epsilon=1.0,
        epochs=epochs,
        batch_size=batch_size,
        clip_norm=clip_norm,
        learning_rate=0.5,
        bounds=(0, 1),
        classes=[0, 1],
        random_state=0,
    ).fit(X, y)
    assert model._noise_std() == model.noise_multiplier_ * clip_norm > 0
    expected_batch = min(batch_size, n)
    std = 0.5 * model._noise_std() * np.sqrt(model.n_steps_) / expected_batch
    z = np.concatenate([model.coefs_[0].ravel(), model.intercepts_[0]]) / std
    chi2 = float(np.sum(z**2))
    assert 0.0005 < stats.chi2.cdf(chi2, df=z.size) < 0.9995
    assert stats.kstest(z, "norm").pvalue > 0.001


def test_poisson_sampling_includes_each_record_independently():
    # Zero clipped gradients and no noise keep the weights at zero, so each recorded norm is
    # 0.5·sqrt(x² + 1): it identifies the record. Over 200 steps every record should be in
    # about q·T batches, and the batch size should vary as a Binomial(n, q).
    n, batch_size, epochs = 500, 50, 20

    class Spy(NoSignal):
        def _clip_factors(self, norms):
            self.seen_.append(norms.copy())
            return super()._clip_factors(norms)

    X = np.linspace(0, 1, n)[:, None]
    y = np.arange(n) % 2
    spy = Spy(
        epsilon=np.inf,
        epochs=epochs,
        batch_size=batch_size,
        bounds=(-1, 1),
        classes=[0, 1],
        random_state=0,
    )
    spy.seen_ = []
    spy.fit(X, y)
    assert np.all(spy.coefs_[0] == 0)
    q, steps = spy.sampling_rate_, spy.n_steps_
    assert (q, steps) == (0.1, 200)
    sizes = np.array([len(s) for s in spy.seen_])
    counts = np.zeros(n)
    for norms in spy.seen_:
        x = np.sqrt(np.maximum((2 * norms) ** 2 - 1, 0))
        rows = np.rint(x * (n - 1)).astype(int)
        assert len(set(rows)) == len(rows)  # no record twice in a batch
        counts[rows] += 1
    assert abs(sizes.mean() - n * q) < 4 * np.sqrt(n * q * (1 - q) / steps)
    assert 0.6 < sizes.var() / (n * q * (1 - q)) < 1.5  # varies like a Binomial, not fixed
    assert abs(counts.mean() - steps * q) < 1e-9 + 4 * np.sqrt(steps * q * (1 - q) / n)
    assert 0.7 < counts.var() / (steps * q * (1 - q)) < 1.35
    # The same seed samples the same batches whatever epsilon is.
    honest = Recording(
        epsilon=1.0,
        epochs=epochs,
        batch_size=batch_size,
        bounds=(-1, 1),
        classes=[0, 1],
        random_state=0,
    ).fit(X, y)
    assert [len(s) for s in honest.seen_] == list(sizes)


# --------------------------------------------------------------------------------------------
# The mechanism's hooks, broken on purpose
# --------------------------------------------------------------------------------------------


class NoNoise(DPSGDClassifier):
    def _noise_std(self):
        return 0.0


class NoClip(DPSGDClassifier):
    def _clip_factors(self, norms):
        return np.ones_like(norms)


def test_broken_hooks_train_and_change_exactly_what_they_break():
    rng = np.random.default_rng(4)
    X = rng.uniform(-1, 1, size=(600, 5))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    common = dict(
        epochs=5,
        batch_size=60,
        hidden_layer_sizes=(6,),
        clip_norm=0.1,
        bounds=(-1, 1),
        classes=[0, 1],
        random_state=11,
    )

    def weights(model):
        return flat(model.coefs_ + model.intercepts_)

    honest = DPSGDClassifier(epsilon=1.0, **common).fit(X, y)
    free = DPSGDClassifier(epsilon=np.inf, **common).fit(X, y)
    no_noise = NoNoise(epsilon=1.0, **common).fit(X, y)
    assert no_noise.noise_multiplier_ == honest.noise_multiplier_ > 0  # still claims ε = 1
    np.testing.assert_array_equal(weights(no_noise), weights(free))
    assert not np.allclose(weights(no_noise), weights(honest))

    no_clip = NoClip(epsilon=np.inf, **common).fit(X, y)
    unclipped = DPSGDClassifier(epsilon=np.inf, **{**common, "clip_norm": 1e9}).fit(X, y)
    np.testing.assert_array_equal(weights(no_clip), weights(unclipped))
    assert not np.allclose(weights(no_clip), weights(free))


# --------------------------------------------------------------------------------------------
# Behaviour
# --------------------------------------------------------------------------------------------


def separable(n, seed, d=10):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, size=(n, d))
    y = (X @ (np.linspace(1, -1, d) + 0.3) > 0).astype(int)
    return X, y


def test_small_epsilon_costs_accuracy_that_no_noise_keeps():
    X, y = separable(400, seed=0)
    X_test, y_test = separable(2000, seed=1)
    common = dict(bounds=(-1, 1), classes=[0, 1])
    scores = {
        eps: np.mean(
            [
                DPSGDClassifier(epsilon=eps, random_state=s, **common)
                .fit(X, y)
                .score(X_test, y_test)
                for s in range(3)
            ]
        )
        for eps in (np.inf, 0.1)
    }
    assert scores[np.inf] >= 0.95
    assert scores[0.1] <= scores[np.inf] - 0.1


def test_seeds_reproduce_and_differ():
    X, y = separable(500, seed=2)
    kwargs = dict(epsilon=1.0, hidden_layer_sizes=(5,), bounds=(-1, 1), classes=[0, 1])
    a = DPSGDClassifier(random_state=3, **kwargs).fit(X, y)
    b = DPSGDClassifier(random_state=3, **kwargs).fit(X, y)
    c = DPSGDClassifier(random_state=4, **kwargs).fit(X, y)
    for wa, wb in zip(a.coefs_ + a.intercepts_, b.coefs_ + b.intercepts_):
        np.testing.assert_array_equal(wa, wb)
    assert not np.allclose(a.coefs_[0], c.coefs_[0])
    rs = np.random.RandomState(0)
    first = DPSGDClassifier(random_state=rs, **kwargs).fit(X, y).coefs_[0]
    second = DPSGDClassifier(random_state=rs, **kwargs).fit(X, y).coefs_[0]
    assert not np.allclose(first, second)  # a RandomState instance advances


def test_mlp_learns_xor_that_a_linear_model_cannot():
    rng = np.random.default_rng(5)
    X = rng.uniform(-1, 1, size=(2000, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)
    common = dict(bounds=(-1, 1), classes=[0, 1], random_state=0)
    linear = DPSGDClassifier(epsilon=np.inf, **common).fit(X, y)
    assert linear.score(X, y) < 0.65
    for epsilon, activation in [(np.inf, "tanh"), (np.inf, "relu"), (8.0, "tanh")]:
        mlp = DPSGDClassifier(
            epsilon=epsilon, hidden_layer_sizes=(16,), activation=activation, **common
        ).fit(X, y)
        assert [w.shape for w in mlp.coefs_] == [(2, 16), (16, 1)]
        assert mlp.score(X, y) > 0.85, (epsilon, activation)
    two = DPSGDClassifier(epsilon=np.inf, hidden_layer_sizes=(8, 3), epochs=1, **common)
    assert [w.shape for w in two.fit(X, y).coefs_] == [(2, 8), (8, 3), (3, 1)]
    one = DPSGDClassifier(epsilon=np.inf, hidden_layer_sizes=5, epochs=1, **common)
    assert [w.shape for w in one.fit(X, y).coefs_] == [(2, 5), (5, 1)]


def test_regressor_recovers_a_linear_relation():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 10, size=(5000, 3))
    y = 5 + 2 * X[:, 0] - 3 * X[:, 1] + rng.normal(0, 0.5, 5000)
    common = dict(bounds=(0, 10), target_bounds=(-30, 30), random_state=0)
    for epsilon, tol in [(np.inf, 0.05), (10.0, 0.1)]:
        reg = DPSGDRegressor(epsilon=epsilon, **common).fit(X, y)
        line = LinearRegression().fit(X, reg.predict(X))  # the model in the units of y
        np.testing.assert_allclose(line.coef_, [2, -3, 0], atol=tol)
        assert abs(line.intercept_ - 5) < 4 * tol
        assert reg.score(X, y) > 0.99
    assert reg.target_bounds_ == (-30.0, 30.0)


def test_multiclass_probabilities_and_scores_agree():
    rng = np.random.default_rng(6)
    X = rng.uniform(0, 1, size=(900, 2))
    y = np.array(["low", "mid", "high"])[np.digitize(X[:, 0], [1 / 3, 2 / 3])]
    clf = DPSGDClassifier(
        epsilon=4.0, bounds=(0, 1), classes=["high", "low", "mid"], random_state=0
    ).fit(X, y)
    assert list(clf.classes_) == ["high", "low", "mid"]
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    scores = clf.decision_function(X)
    assert proba.shape == scores.shape == (900, 3)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[scores.argmax(axis=1)])
    assert clf.score(X, y) > 0.8


def test_binary_outputs_and_feature_names():
    X, y = separable(300, seed=7, d=3)
    frame = pd.DataFrame(X, columns=["a", "b", "c"])
    labels = np.where(y == 1, "yes", "no")
    clf = DPSGDClassifier(
        epsilon=np.inf, bounds=(-1, 1), classes=["no", "yes"], random_state=0
    ).fit(frame, labels)
    assert list(clf.feature_names_in_) == ["a", "b", "c"] and clf.n_features_in_ == 3
    scores = clf.decision_function(frame)
    assert scores.shape == (300,)
    np.testing.assert_allclose(clf.predict_proba(frame)[:, 1], expit(scores))
    np.testing.assert_array_equal(clf.predict(frame), np.where(scores > 0, "yes", "no"))


def test_values_outside_the_bounds_are_clipped_to_them():
    rng = np.random.default_rng(8)
    X = rng.uniform(0, 10, size=(400, 2))
    y = 3 * X[:, 0] - X[:, 1]
    outside = X.copy()
    outside[::5, 0] = 55.0  # beyond the upper bound
    outside[1::5, 1] = -40.0  # below the lower bound
    clipped = np.clip(outside, 0, 10)
    y_out = y.copy()
    y_out[::7] = 500.0
    common = dict(epsilon=2.0, bounds=(0, 10), target_bounds=(-10, 30), random_state=0)
    a = DPSGDRegressor(**common).fit(outside, y_out)
    b = DPSGDRegressor(**common).fit(clipped, np.clip(y_out, -10, 30))
    np.testing.assert_array_equal(a.coefs_[0], b.coefs_[0])
    np.testing.assert_array_equal(a.predict(outside), b.predict(clipped))

    labels = (X[:, 0] > 5).astype(int)
    kwargs = dict(epsilon=2.0, bounds=([0, 0], [10, 10]), classes=[0, 1], random_state=0)
    c = DPSGDClassifier(**kwargs).fit(outside, labels)
    d = DPSGDClassifier(**kwargs).fit(clipped, labels)
    np.testing.assert_array_equal(c.coefs_[0], d.coefs_[0])
    np.testing.assert_array_equal(c.predict_proba(outside), d.predict_proba(clipped))
    np.testing.assert_array_equal(c.bounds_[1], [10.0, 10.0])


# --------------------------------------------------------------------------------------------
# PrivacyLeakWarning: exactly when something is read from the data
# --------------------------------------------------------------------------------------------


def leak_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit()
    assert all(issubclass(w.category, PrivacyLeakWarning) for w in caught), caught
    assert all(w.filename == __file__ for w in caught)  # points at the caller of fit
    return [str(w.message) for w in caught]


@pytest.mark.parametrize(
    "estimator, given",
    [
        (DPSGDClassifier, {}),
        (DPSGDClassifier, {"bounds": (0, 1)}),
        (DPSGDClassifier, {"classes": [0, 1]}),
        (DPSGDClassifier, {"bounds": (0, 1), "classes": [0, 1]}),
        (DPSGDRegressor, {}),
        (DPSGDRegressor, {"bounds": (0, 1)}),
        (DPSGDRegressor, {"target_bounds": (0, 2)}),
        (DPSGDRegressor, {"bounds": (0, 1), "target_bounds": (0, 2)}),
    ],
)
def test_privacy_leak_warning_names_what_was_read_from_the_data(estimator, given):
    rng = np.random.default_rng(9)
    X = rng.uniform(0, 1, size=(100, 2))
    y = (X[:, 0] > 0.5).astype(int) if estimator is DPSGDClassifier else X.sum(axis=1)
    optional = ["bounds", "classes" if estimator is DPSGDClassifier else "target_bounds"]
    messages = leak_warnings(lambda: estimator(epochs=1, random_state=0, **given).fit(X, y))
    read = [name for name in optional if name not in given]
    assert len(messages) == len(read)
    for name in read:
        (message,) = [m for m in messages if f"because {name}=None" in m]
        assert f"Set {name} from domain knowledge" in message


def test_prediction_reads_nothing_and_warns_nothing():
    X, y = separable(100, seed=10, d=2)
    with pytest.warns(PrivacyLeakWarning):
        clf = DPSGDClassifier(epochs=1, random_state=0).fit(X, y)
    assert leak_warnings(lambda: (clf.predict(X), clf.predict_proba(X))) == []


# --------------------------------------------------------------------------------------------
# Parameter and input errors
# --------------------------------------------------------------------------------------------

X3 = np.random.default_rng(11).uniform(0, 1, size=(40, 3))
Y3 = np.arange(40) % 2


@pytest.mark.parametrize(
    "params, match",
    [
        ({"bounds": ([0, 0], [1, 1])}, r"bounds: the lower bound has shape \(2,\), but X has 3"),
        ({"bounds": (0, [1, 1, 1, 1])}, r"the upper bound has shape \(4,\)"),
        ({"bounds": (1, 0)}, r"lower > upper for feature\(s\) 0, 1, 2"),
        ({"bounds": (0, 1, 2)}, r"bounds must be a pair \(lower, upper\)"),
        ({"bounds": (0, np.inf)}, "the upper bound must be finite"),
        ({"bounds": ("a", 1)}, "the lower bound must be numeric"),
        ({"classes": [1]}, "classes must list at least 2 labels"),
        ({"classes": [0, 2]}, r"y has label\(s\) 1 not in classes"),
        ({"hidden_layer_sizes": (0,)}, "hidden_layer_sizes must be a tuple of positive"),
        ({"hidden_layer_sizes": (3.5,)}, "hidden_layer_sizes must be a tuple of positive"),
        ({"epsilon": 0}, "'epsilon' parameter of DPSGDClassifier must be"),
        ({"epsilon": -np.inf}, "'epsilon' parameter of DPSGDClassifier must be"),
        ({"delta": 1.0}, "'delta' parameter of DPSGDClassifier must be"),
        ({"clip_norm": np.inf}, "'clip_norm' parameter of DPSGDClassifier must be"),
        ({"batch_size": 0}, "'batch_size' parameter of DPSGDClassifier must be"),
        ({"activation": "sigmoid"}, "'activation' parameter of DPSGDClassifier must be"),
    ],
)
def test_bad_classifier_parameters_are_named(params, match):
    kwargs = {"bounds": (0, 1), "classes": [0, 1], **params}
    with pytest.raises(ValueError, match=match):
        DPSGDClassifier(epochs=1, **kwargs).fit(X3, Y3)


@pytest.mark.parametrize(
    "target_bounds, match",
    [
        ((1, 1), "target_bounds must have lower < upper"),
        ((2, 1), "target_bounds must have lower < upper"),
        ((0, [1, 2]), "the upper bound must be one finite number"),
        ((np.nan, 1), "the lower bound must be one finite number"),
        ((0, 1, 2), r"target_bounds must be a pair"),
        (5, "'target_bounds' parameter of DPSGDRegressor must be"),
    ],
)
def test_bad_target_bounds_are_named(target_bounds, match):
    with pytest.raises(ValueError, match=match):
        DPSGDRegressor(epochs=1, bounds=(0, 1), target_bounds=target_bounds).fit(X3, Y3)


def test_one_class_is_refused_unless_the_classes_are_given():
    y = np.zeros(40, dtype=int)
    with pytest.raises(ValueError, match="needs samples of at least 2 classes"):
        DPSGDClassifier(bounds=(0, 1)).fit(X3, y)
    clf = DPSGDClassifier(epochs=2, bounds=(0, 1), classes=[0, 1], random_state=0).fit(X3, y)
    assert list(clf.classes_) == [0, 1]


def test_continuous_labels_are_refused():
    with pytest.raises(ValueError, match="Unknown label type"):
        DPSGDClassifier(bounds=(0, 1), classes=[0, 1]).fit(X3, X3[:, 0])


# --------------------------------------------------------------------------------------------
# scikit-learn's estimator checks
# --------------------------------------------------------------------------------------------


# The checks fit on random data of unknown range without bounds or classes, so the estimators
# read them from the data and warn, as they should: that warning is silenced here only.
@pytest.mark.filterwarnings("ignore::tabinvert.exceptions.PrivacyLeakWarning")
@parametrize_with_checks(
    [
        DPSGDClassifier(),
        DPSGDClassifier(hidden_layer_sizes=(4,), activation="relu", epochs=5),
        DPSGDRegressor(),
    ]
)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)

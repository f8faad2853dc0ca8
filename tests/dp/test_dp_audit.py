"""The empirical privacy audit: its statistics on known numbers, its harness on a mechanism of
known ε, and DP-SGD audited honest and broken on purpose (no noise, no clipping)."""

import math

import numpy as np
import pandas as pd
import pytest
from scipy.stats import beta
from sklearn.base import BaseEstimator, RegressorMixin

from tabinvert.dp import DPSGDClassifier, audit_epsilon, epsilon_lower_bound

pytest.importorskip("dp_accounting")  # the dp extra is in the test extra: this never skips in CI


def cp_upper(k, n, level):
    """One-sided Clopper–Pearson upper bound, straight from the beta quantile."""
    return 1.0 if k == n else beta.ppf(level, k + 1, n - k)


def reference_bound(fp, neg, fn, pos, delta, confidence):
    level = 1 - (1 - confidence) / 2
    a, b = cp_upper(fp, neg, level), cp_upper(fn, pos, level)
    terms = [0.0]
    if 1 - delta - b > 0:
        terms.append(math.log((1 - delta - b) / a))
    if 1 - delta - a > 0:
        terms.append(math.log((1 - delta - a) / b))
    return max(terms)


# --------------------------------------------------------------------------------------------
# epsilon_lower_bound
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "counts, delta, confidence",
    [
        ((0, 50, 0, 50), 0.0, 0.95),
        ((3, 40, 7, 60), 1e-3, 0.9),
        ((7, 60, 3, 40), 1e-3, 0.9),
        ((0, 200, 12, 150), 1e-5, 0.99),
        ((30, 100, 1, 100), 0.0, 0.95),
    ],
)
def test_bound_matches_beta_quantiles(counts, delta, confidence):
    expected = reference_bound(*counts, delta, confidence)
    assert epsilon_lower_bound(*counts, delta=delta, confidence=confidence) == pytest.approx(
        expected, rel=1e-12, abs=1e-12
    )


def test_no_error_gives_a_finite_bound_growing_with_the_trials():
    n = np.array([10, 20, 50, 100, 1000, 10_000])
    bounds = epsilon_lower_bound(0, n, 0, n)
    assert np.isfinite(bounds).all()
    assert (np.diff(bounds) > 0).all()
    # Closed form at k = 0: the upper bound is 1 - (alpha/2) ** (1/n).
    u = 1 - 0.025 ** (1 / n)
    np.testing.assert_allclose(bounds, np.log((1 - u) / u), rtol=1e-10)
    assert epsilon_lower_bound(0, 50, 0, 50) == pytest.approx(2.5696, abs=1e-4)
    # Too few trials prove nothing even when the test never errs.
    assert epsilon_lower_bound(0, 5, 0, 5) == 0.0


def test_coin_toss_and_always_wrong_tests_prove_nothing():
    assert epsilon_lower_bound(50, 100, 50, 100) == 0.0
    assert epsilon_lower_bound(500, 1000, 500, 1000) == 0.0
    assert epsilon_lower_bound(100, 100, 0, 100) == 0.0  # calls everything "in"
    assert epsilon_lower_bound(0, 100, 100, 100) == 0.0  # calls everything "out"


def test_bound_is_symmetric_and_monotone():
    assert epsilon_lower_bound(2, 80, 9, 70) == epsilon_lower_bound(9, 70, 2, 80)
    errors = np.arange(0, 30)
    bounds = epsilon_lower_bound(errors, 100, 0, 100)
    assert (np.diff(bounds) <= 0).all() and bounds[0] > bounds[-1]
    # More confidence, or a larger delta, can only lower the bound.
    assert epsilon_lower_bound(1, 100, 1, 100, confidence=0.99) < epsilon_lower_bound(
        1, 100, 1, 100, confidence=0.9
    )
    assert epsilon_lower_bound(1, 100, 1, 100, delta=0.05) < epsilon_lower_bound(1, 100, 1, 100)


def test_vectorised_equals_scalar():
    fp = np.array([0, 3, 10, 40])
    fn = np.array([1, 0, 10, 45])
    vector = epsilon_lower_bound(fp, 100, fn, 90, delta=1e-4)
    assert isinstance(vector, np.ndarray) and vector.shape == (4,)
    scalars = [epsilon_lower_bound(int(a), 100, int(b), 90, delta=1e-4) for a, b in zip(fp, fn)]
    assert isinstance(scalars[0], float)
    np.testing.assert_array_equal(vector, scalars)


def test_bound_covers_the_true_epsilon():
    """Randomized response at epsilon has FPR = FNR = 1 / (1 + e^eps), on the boundary of
    epsilon-DP: the 95% bound may exceed epsilon in at most 5% of audits (the Bonferroni split
    makes it rarer). 20,000 simulated audits of 100 + 100 trials each."""
    rng = np.random.default_rng(0)
    eps = 1.5
    rate = 1 / (1 + math.exp(eps))
    fp = rng.binomial(100, rate, 20_000)
    fn = rng.binomial(100, rate, 20_000)
    bounds = epsilon_lower_bound(fp, 100, fn, 100)
    assert (bounds > eps).mean() <= 0.05
    # ...and the bound is not vacuous: it is usually well above 0 for this test.
    assert np.median(bounds) > 0.5


@pytest.mark.parametrize(
    "counts, match",
    [
        ((5, 4, 0, 4), "between 0"),
        ((0, 0, 0, 5), "positive"),
        ((0, 5, -1, 5), "between 0"),
        ((0.5, 5, 0, 5), "whole"),
        ((np.nan, 5, 0, 5), "finite"),
        (([0, 1], 5, [0, 1, 2], 5), "broadcast"),
    ],
)
def test_bad_counts_are_refused(counts, match):
    with pytest.raises(ValueError, match=match):
        epsilon_lower_bound(*counts)


# --------------------------------------------------------------------------------------------
# The harness, on a mechanism whose epsilon is known exactly
# --------------------------------------------------------------------------------------------


class LaplaceCount(RegressorMixin, BaseEstimator):
    """Publishes the number of records whose first feature is 1, plus Laplace noise of scale
    1 / epsilon: epsilon-DP under adding or removing one record (sensitivity 1)."""

    def __init__(self, epsilon=1.0, random_state=None):
        self.epsilon = epsilon
        self.random_state = random_state

    def fit(self, X, y):
        rng = np.random.default_rng(self.random_state)
        self.count_ = float(np.sum(np.asarray(X)[:, 0] == 1)) + rng.laplace(0, 1 / self.epsilon)
        self.epsilon_ = self.epsilon
        self.delta_ = 0.0
        self.labels_ = set(np.asarray(y).tolist())
        return self

    def predict(self, X):
        return np.full(len(X), self.count_)


def published_count(model, x, label):
    return model.count_


@pytest.fixture(scope="module")
def count_data():
    X = np.zeros((30, 2))
    X[:, 1] = np.arange(30)
    return X, np.zeros(30)


def test_harness_stays_below_a_true_epsilon_and_finds_a_large_one(count_data):
    X, y = count_data
    honest = audit_epsilon(
        LaplaceCount(1.0), X, y, ([1, 0], 0.0), n_trials=400, score=published_count,
        random_state=0,
    )  # fmt: skip
    assert honest.claimed_epsilon == 1.0 and honest.delta == 0.0
    assert 0.0 < honest.epsilon_lower_bound < 1.0
    assert honest.refutes_claim is False
    assert (honest.negatives, honest.positives, honest.n_selection) == (200, 200, 200)
    assert honest.scores_out.shape == honest.scores_in.shape == (400,)
    # Same counts, recomputed from the stored scores with the stored threshold.
    fp = int(np.sum(honest.scores_out[200:] > honest.threshold))
    fn = int(np.sum(honest.scores_in[200:] <= honest.threshold))
    assert (fp, fn) == (honest.false_positives, honest.false_negatives)
    assert honest.epsilon_lower_bound == epsilon_lower_bound(fp, 200, fn, 200)
    assert honest.fpr == fp / 200 and honest.fnr == fn / 200

    # A mechanism claiming epsilon = 1 but adding 100 times less noise is caught.
    class Leaky(LaplaceCount):
        def fit(self, X, y):
            super().fit(X, y)
            self.count_ = float(np.sum(np.asarray(X)[:, 0] == 1)) + (self.count_ % 1) / 100
            return self

    leaky = audit_epsilon(
        Leaky(1.0), X, y, ([1, 0], 0.0), n_trials=400, score=published_count, random_state=0
    )
    assert leaky.claimed_epsilon == 1.0
    assert leaky.false_positives == leaky.false_negatives == 0
    assert leaky.epsilon_lower_bound > 3.5 and leaky.refutes_claim is True


def test_harness_is_deterministic_and_takes_a_factory(count_data):
    X, y = count_data
    kwargs = dict(n_trials=40, score=published_count, random_state=3)
    first = audit_epsilon(LaplaceCount(0.5), X, y, ([1, 0], 0.0), **kwargs)
    second = audit_epsilon(lambda seed: LaplaceCount(0.5, seed), X, y, ([1, 0], 0.0), **kwargs)
    np.testing.assert_array_equal(first.scores_out, second.scores_out)
    np.testing.assert_array_equal(first.scores_in, second.scores_in)
    assert first == second
    parallel = audit_epsilon(LaplaceCount(0.5), X, y, ([1, 0], 0.0), n_jobs=2, **kwargs)
    np.testing.assert_array_equal(first.scores_in, parallel.scores_in)


def test_harness_refuses_bad_setups(count_data):
    X, y = count_data
    with pytest.raises(ValueError, match="no trial"):
        audit_epsilon(LaplaceCount(), X, y, ([1, 0], 0.0), n_trials=3, selection_fraction=0.2)
    with pytest.raises(ValueError, match="features"):
        audit_epsilon(LaplaceCount(), X, y, ([1, 0, 0], 0.0), n_trials=4)
    with pytest.raises(ValueError, match="canary"):
        audit_epsilon(LaplaceCount(), X, y, ([1, 0], 0.0, 1), n_trials=4)


def test_harness_takes_dataframes(count_data):
    X, y = count_data
    frame = pd.DataFrame(X, columns=["flag", "index"])
    from_frame = audit_epsilon(
        LaplaceCount(0.5), frame, pd.Series(y), ({"flag": 1.0, "index": 0.0}, 0.0),
        n_trials=20, score=published_count, random_state=3,
    )  # fmt: skip
    from_array = audit_epsilon(
        LaplaceCount(0.5), X, y, ([1, 0], 0.0), n_trials=20, score=published_count,
        random_state=3,
    )  # fmt: skip
    np.testing.assert_array_equal(from_frame.scores_in, from_array.scores_in)


def test_canary_label_keeps_its_type(count_data):
    # A label longer than y's fixed-width strings, and a new category, reach the trainer whole.
    X, _ = count_data

    def label_seen(model, x, label):
        return float(label in model.labels_)

    for y in (np.array(["no", "yes"] * 15), pd.Series(pd.Categorical(["no", "yes"] * 15))):
        result = audit_epsilon(
            LaplaceCount(), X, y, ([1, 0], "maybe"), n_trials=4, score=label_seen, random_state=0
        )
        assert (result.scores_out == 0).all() and (result.scores_in == 1).all()


# --------------------------------------------------------------------------------------------
# DP-SGD, honest and broken on purpose
# --------------------------------------------------------------------------------------------
# D: 100 records with 2 informative features and 16 features that are 0 (the middle of their
# bounds) in every record. The canary sets those 16 to their upper bound, with label 1; the
# reference is the same record with them at 0. The test reads the canary's log-odds minus the
# reference's: for the linear model, the sum of the 16 weights that only the canary (and the
# noise) ever move. Its gradient there has norm about sqrt(16) = 4, eighty times the clip norm.


class NoNoise(DPSGDClassifier):
    """Broken on purpose: no noise, still reports the calibrated epsilon_."""

    def _noise_std(self):
        return 0.0


class NoClipping(DPSGDClassifier):
    """Broken on purpose: no clipping, still reports the calibrated epsilon_."""

    def _clip_factors(self, norms):
        return np.ones_like(norms)


N_RECORDS, N_INFORMATIVE, N_CANARY_FEATURES = 100, 2, 16
N_TRIALS = 200  # per side: 100 choose the threshold, 100 count the errors


@pytest.fixture(scope="module")
def canary_setting():
    rng = np.random.default_rng(0)
    X = np.zeros((N_RECORDS, N_INFORMATIVE + N_CANARY_FEATURES))
    X[:, :N_INFORMATIVE] = rng.uniform(-1, 1, (N_RECORDS, N_INFORMATIVE))
    y = (X[:, 0] + 0.3 * rng.normal(size=N_RECORDS) > 0).astype(int)
    canary = np.zeros(X.shape[1])
    canary[N_INFORMATIVE:] = 1.0
    return X, y, (canary, 1), np.zeros(X.shape[1])


def run_audit(trainer, epsilon, setting):
    X, y, canary, reference = setting
    model = trainer(
        epsilon=epsilon, clip_norm=0.05, epochs=6, batch_size=20, bounds=(-1, 1), classes=[0, 1]
    )
    return audit_epsilon(
        model, X, y, canary, reference=reference, n_trials=N_TRIALS, random_state=0
    )


@pytest.mark.parametrize("epsilon", [1.0, 2.0])
def test_honest_dpsgd_stays_below_its_claim(epsilon, canary_setting):
    result = run_audit(DPSGDClassifier, epsilon, canary_setting)
    assert result.claimed_epsilon == pytest.approx(epsilon, rel=2e-3)
    assert result.claimed_epsilon <= epsilon
    assert result.delta == pytest.approx(1 / (10 * N_RECORDS))
    assert (result.negatives, result.positives) == (100, 100)
    # The audit could have refuted the claim: a test without error would have.
    assert result.epsilon_ceiling > epsilon + 1
    assert result.epsilon_lower_bound < result.claimed_epsilon
    assert result.refutes_claim is False


@pytest.mark.parametrize("epsilon", [1.0, 2.0])
@pytest.mark.parametrize("trainer", [NoNoise, NoClipping], ids=["noise off", "clipping off"])
def test_broken_dpsgd_is_caught(trainer, epsilon, canary_setting):
    result = run_audit(trainer, epsilon, canary_setting)
    # The broken trainer still claims the calibrated epsilon...
    assert result.claimed_epsilon == pytest.approx(epsilon, rel=2e-3)
    # ...and the same audit proves it spends more.
    assert result.epsilon_lower_bound > result.claimed_epsilon + 1
    assert result.refutes_claim is True
    assert result.false_positives + result.false_negatives <= 1

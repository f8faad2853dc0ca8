"""Privacy accounting of tabinvert.dp, checked against dp-accounting called directly.

Every expected ε here is computed in the test from dp-accounting's own classes, built by hand
(not through tabinvert's event builder), so a wrong event, a wrong adjacency or a wrong
discretisation in tabinvert shows up as a mismatch.
"""

import math
import subprocess
import sys

import numpy as np
import pytest

from tabinvert.dp import (
    DPSGDClassifier,
    DPSGDRegressor,
    calibrate_noise_multiplier,
    default_delta,
    dpsgd_epsilon,
    dpsgd_event,
)

dpa = pytest.importorskip("dp_accounting")  # in the test extra: never skips in CI


def direct_pld(sigma, q, steps, delta, interval=1e-4):
    """dp-accounting's PLD ε of DP-SGD, its event built here by hand."""
    accountant = dpa.pld.PLDAccountant(
        dpa.NeighboringRelation.ADD_OR_REMOVE_ONE, value_discretization_interval=interval
    )
    if q < 1:
        step = dpa.PoissonSampledDpEvent(q, dpa.GaussianDpEvent(sigma))
    else:
        step = dpa.GaussianDpEvent(sigma)
    return accountant.compose(step, steps).get_epsilon(delta)


def direct_rdp(sigma, q, steps, delta):
    accountant = dpa.rdp.RdpAccountant()
    step = dpa.PoissonSampledDpEvent(q, dpa.GaussianDpEvent(sigma)) if q < 1 else None
    step = step or dpa.GaussianDpEvent(sigma)
    return accountant.compose(step, steps).get_epsilon(delta)


# A few (noise multiplier, sampling rate, steps, delta) settings, sampled and full-batch.
SETTINGS = [
    (1.1, 0.01, 1000, 1e-5),
    (2.0, 0.05, 200, 1e-6),
    (1.5, 0.2, 50, 1e-4),
    (5.0, 1.0, 20, 1e-5),
]


@pytest.mark.parametrize("sigma, q, steps, delta", SETTINGS)
def test_reported_epsilon_is_dp_accountings_pld(sigma, q, steps, delta):
    assert dpsgd_epsilon(sigma, q, steps, delta) == direct_pld(sigma, q, steps, delta)
    coarse = dpsgd_epsilon(sigma, q, steps, delta, value_discretization_interval=1e-3)
    assert coarse == direct_pld(sigma, q, steps, delta, interval=1e-3)


@pytest.mark.parametrize("sigma, q, steps, delta", SETTINGS)
def test_rdp_cross_check_is_looser_but_close(sigma, q, steps, delta):
    pld = dpsgd_epsilon(sigma, q, steps, delta)
    rdp = dpsgd_epsilon(sigma, q, steps, delta, accountant="rdp")
    assert rdp == direct_rdp(sigma, q, steps, delta)
    # RDP's conversion to (ε, δ) is lossy: an upper bound, above PLD's but not far above.
    assert pld < rdp < 1.5 * pld


def test_full_batch_pld_matches_the_analytic_gaussian():
    # Without sampling, T Gaussian steps of multiplier σ are one Gaussian of σ/√T, whose exact
    # ε is known in closed form (Balle & Wang 2018): PLD's pessimistic estimate sits just above.
    sigma, steps, delta = 5.0, 20, 1e-5
    exact = dpa.get_epsilon_gaussian(sigma / math.sqrt(steps), delta)
    pld = dpsgd_epsilon(sigma, 1.0, steps, delta)
    assert exact <= pld <= 1.001 * exact


def test_event_is_the_poisson_sampled_gaussian():
    event = dpsgd_event(1.3, 0.02, 500)
    expected = dpa.SelfComposedDpEvent(
        dpa.PoissonSampledDpEvent(0.02, dpa.GaussianDpEvent(1.3)), 500
    )
    assert event == expected
    assert dpsgd_event(1.3, 1.0, 7) == dpa.SelfComposedDpEvent(dpa.GaussianDpEvent(1.3), 7)


def test_more_steps_or_more_sampling_cost_more_and_more_noise_less():
    base = dpsgd_epsilon(2.0, 0.05, 100, 1e-5)
    assert dpsgd_epsilon(2.0, 0.05, 200, 1e-5) > base
    assert dpsgd_epsilon(2.0, 0.1, 100, 1e-5) > base
    assert dpsgd_epsilon(3.0, 0.05, 100, 1e-5) < base
    assert dpsgd_epsilon(0.0, 0.05, 100, 1e-5) == math.inf


@pytest.mark.parametrize(
    "target, q, steps, delta",
    [
        (1.0, 0.01, 1000, 1e-5),
        (0.2, 0.05, 100, 1e-5),
        (4.0, 0.1, 200, 1e-6),
        (1.0, 1.0, 20, 1e-3),
        (30.0, 1.0, 20, 1e-5),
    ],
)
def test_calibrated_noise_reaches_the_target_from_below(target, q, steps, delta):
    sigma, eps = calibrate_noise_multiplier(target, delta, q, steps)
    assert 0.99 * target <= eps <= target
    # The reported ε is dp-accounting's PLD ε at that noise (discretised as documented).
    interval = 1e-4 * max(1.0, target)
    assert eps == direct_pld(sigma, q, steps, delta, interval=interval)
    # And the noise is (nearly) the least that meets the target: 1 % less noise exceeds it.
    assert direct_pld(0.99 * sigma, q, steps, delta, interval=interval) > target


def test_estimator_reports_the_accountants_epsilon():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 1, size=(3000, 4))
    y = (X[:, 0] > 0.5).astype(int)
    clf = DPSGDClassifier(
        epsilon=1.0, epochs=3, batch_size=100, bounds=(0, 1), classes=[0, 1], random_state=0
    ).fit(X, y)
    assert clf.sampling_rate_ == pytest.approx(100 / 3000)
    assert clf.n_steps_ == 90  # round(3 / (100 / 3000))
    assert clf.delta_ == pytest.approx(1 / 30_000) == default_delta(3000)
    assert 0.99 <= clf.epsilon_ <= 1.0
    direct = direct_pld(clf.noise_multiplier_, clf.sampling_rate_, clf.n_steps_, clf.delta_)
    assert clf.epsilon_ == direct
    assert clf._noise_std() == clf.noise_multiplier_ * clf.clip_norm


def test_given_delta_is_used_and_infinite_epsilon_means_no_noise():
    rng = np.random.default_rng(1)
    X = rng.uniform(0, 1, size=(400, 2))
    y = X @ [1.0, -1.0]
    common = dict(epochs=2, bounds=(0, 1), target_bounds=(-1, 1), random_state=0)
    reg = DPSGDRegressor(epsilon=2.0, delta=1e-6, **common).fit(X, y)
    assert reg.delta_ == 1e-6 and 0.99 * 2.0 <= reg.epsilon_ <= 2.0
    free = DPSGDRegressor(epsilon=np.inf, delta=1e-6, **common).fit(X, y)
    assert free.noise_multiplier_ == 0.0 and free.epsilon_ == math.inf
    assert free.n_steps_ == reg.n_steps_ and free.sampling_rate_ == reg.sampling_rate_


def test_default_delta():
    assert default_delta(1) == 0.1
    assert default_delta(50_000) == pytest.approx(2e-6)
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="n_samples must be a positive integer"):
            default_delta(bad)


@pytest.mark.parametrize(
    "args, kwargs, match",
    [
        ((1.0, 0.0, 10, 1e-5), {}, "sampling_rate must be in \\(0, 1\\]"),
        ((1.0, 1.5, 10, 1e-5), {}, "sampling_rate must be in \\(0, 1\\]"),
        ((1.0, 0.1, 0, 1e-5), {}, "n_steps must be a positive integer"),
        ((1.0, 0.1, 2.5, 1e-5), {}, "n_steps must be a positive integer"),
        ((1.0, 0.1, 10, 1.0), {}, "delta must be in \\(0, 1\\)"),
        ((-1.0, 0.1, 10, 1e-5), {}, "noise_multiplier must be a finite number >= 0"),
        ((math.nan, 0.1, 10, 1e-5), {}, "noise_multiplier must be a finite number >= 0"),
        ((1.0, 0.1, 10, 1e-5), {"accountant": "moments"}, "accountant must be 'pld' or 'rdp'"),
        (
            (1.0, 0.1, 10, 1e-5),
            {"value_discretization_interval": -1.0},
            "value_discretization_interval must be a positive number",
        ),
        (
            (1.0, 0.1, 10, 1e-5),
            {"value_discretization_interval": 0},
            "value_discretization_interval must be a positive number",
        ),
    ],
)
def test_bad_accounting_arguments_are_named(args, kwargs, match):
    with pytest.raises(ValueError, match=match):
        dpsgd_epsilon(*args, **kwargs)


@pytest.mark.parametrize("epsilon", [0.0, -1.0, math.inf, math.nan])
def test_calibration_refuses_targets_it_cannot_meet(epsilon):
    with pytest.raises(ValueError, match="epsilon must be a positive finite number"):
        calibrate_noise_multiplier(epsilon, 1e-5, 0.01, 100)


def test_missing_dp_accounting_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "dp_accounting", None)  # import now raises ImportError
    with pytest.raises(ImportError, match=r'pip install "tabinvert\[dp\]"'):
        dpsgd_event(1.0, 0.1, 10)


def test_import_and_infinite_epsilon_work_without_dp_accounting():
    # A fresh interpreter in which dp_accounting cannot be imported.
    code = """
import sys
sys.modules["dp_accounting"] = None
import numpy as np
import tabinvert.dp
from tabinvert.dp import DPSGDClassifier
X = np.array([[0.0], [1.0], [0.1], [0.9]]); y = [0, 1, 0, 1]
kw = dict(bounds=(0, 1), classes=[0, 1], epochs=2, random_state=0)
DPSGDClassifier(epsilon=np.inf, **kw).fit(X, y)
try:
    DPSGDClassifier(epsilon=1.0, **kw).fit(X, y)
except ImportError as exc:
    print(exc)
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert 'pip install "tabinvert[dp]"' in result.stdout

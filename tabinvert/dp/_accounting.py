"""Privacy accounting of DP-SGD, delegated to Google's ``dp-accounting`` library.

DP-SGD with Poisson subsampling is, for the accountant, ``n_steps`` compositions of a
Poisson-subsampled Gaussian mechanism (sampling probability ``q``, noise multiplier ``σ``)
under the add-or-remove-one-record adjacency. This module builds that event and asks
``dp-accounting`` for its ε: the privacy-loss-distribution (PLD) accountant is the reported
one (tight, and a pessimistic estimate: an upper bound up to its discretisation), the Rényi
(RDP) accountant a looser cross-check. Nothing here re-implements accounting.

``dp_accounting`` is imported lazily, inside the functions that need it, so that
``import tabinvert.dp`` works without it (training with ``epsilon=np.inf`` needs no
accounting either).
"""

from __future__ import annotations

import contextlib
import functools
import logging
import math
from numbers import Integral, Real

__all__ = [
    "calibrate_noise_multiplier",
    "default_delta",
    "dpsgd_epsilon",
    "dpsgd_event",
]

#: dp-accounting's own default discretisation of the privacy loss (PLDAccountant).
PLD_DISCRETIZATION = 1e-4

_INSTALL_HINT = (
    "Differential-privacy accounting needs Google's dp-accounting library: "
    'pip install "tabinvert[dp]" (or pip install dp-accounting).'
)


def _dp_accounting():
    """The ``dp_accounting`` module, or an ImportError that says how to install it."""
    try:
        import dp_accounting
    except ImportError as exc:
        raise ImportError(f"{_INSTALL_HINT} ({exc})") from exc
    return dp_accounting


def default_delta(n_samples):
    """The δ used when none is given: ``1 / (10 · n_samples)``.

    δ bounds the probability that the ε guarantee fails; it must be well below ``1 / n``
    (a mechanism that publishes one random record in full satisfies ``δ = 1 / n``). One tenth
    of that is a common convention, not a law: pass ``delta`` to choose your own.

    Parameters
    ----------
    n_samples : int
        Number of training records (at least 1).

    Returns
    -------
    float

    Examples
    --------
    >>> from tabinvert.dp import default_delta
    >>> default_delta(50_000)
    2e-06
    """
    if isinstance(n_samples, bool) or not isinstance(n_samples, Integral) or n_samples < 1:
        raise ValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    return 1.0 / (10.0 * int(n_samples))


def pld_discretization(epsilon):
    """The PLD discretisation used when calibrating for ``epsilon``.

    dp-accounting's default (1e-4) for ε ≤ 1, and ``1e-4 · ε`` above: the accountant's time
    grows as the inverse of the interval, while its (pessimistic) error shrinks relative to
    a larger ε, so the relative precision is kept and large ε do not take seconds per
    evaluation.
    """
    return PLD_DISCRETIZATION * max(1.0, float(epsilon))


def _check_accounting_args(noise_multiplier, sampling_rate, n_steps, delta=None):
    def bad(name, value, expected):
        raise ValueError(f"{name} must be {expected}; got {value!r}.")

    if not isinstance(noise_multiplier, Real) or not (
        math.isfinite(noise_multiplier) and noise_multiplier >= 0
    ):
        bad("noise_multiplier", noise_multiplier, "a finite number >= 0")
    if not isinstance(sampling_rate, Real) or not 0 < sampling_rate <= 1:
        bad("sampling_rate", sampling_rate, "in (0, 1] (batch_size / n_samples)")
    if isinstance(n_steps, bool) or not isinstance(n_steps, Integral) or n_steps < 1:
        bad("n_steps", n_steps, "a positive integer")
    if delta is not None and (not isinstance(delta, Real) or not 0 < delta < 1):
        bad("delta", delta, "in (0, 1), e.g. default_delta(n_samples)")


def dpsgd_event(noise_multiplier, sampling_rate, n_steps):
    """The ``dp_accounting`` event of DP-SGD: ``n_steps`` Poisson-subsampled Gaussians.

    With ``sampling_rate == 1`` (full batches) there is no sampling, and the event is
    ``n_steps`` compositions of a plain Gaussian mechanism.

    Parameters
    ----------
    noise_multiplier : float
        Noise standard deviation divided by the clipping norm (the sensitivity).
    sampling_rate : float
        Probability ``q`` that a record is in a step's batch, in (0, 1].
    n_steps : int
        Number of noisy gradient steps.

    Returns
    -------
    dp_accounting.DpEvent

    Examples
    --------
    >>> from tabinvert.dp import dpsgd_event
    >>> event = dpsgd_event(1.1, 0.01, 1000)
    >>> type(event).__name__, event.count, event.event.sampling_probability
    ('SelfComposedDpEvent', 1000, 0.01)
    """
    _check_accounting_args(noise_multiplier, sampling_rate, n_steps)
    dpa = _dp_accounting()
    gaussian = dpa.GaussianDpEvent(float(noise_multiplier))
    if sampling_rate >= 1:
        return dpa.SelfComposedDpEvent(gaussian, int(n_steps))
    return dpa.SelfComposedDpEvent(
        dpa.PoissonSampledDpEvent(float(sampling_rate), gaussian), int(n_steps)
    )


class _QuietRdpWarnings(logging.Filter):
    # The RDP accountant logs (through absl) every fractional order whose series it could not
    # sum, and then leaves that order out: a note about its own numerics, not about the result.
    def filter(self, record):
        return "failed to converge" not in record.getMessage()


@contextlib.contextmanager
def _quiet_rdp():
    logger = logging.getLogger("absl")
    quiet = _QuietRdpWarnings()
    logger.addFilter(quiet)
    try:
        yield
    finally:
        logger.removeFilter(quiet)


def _accountant(name, value_discretization_interval=None):
    dpa = _dp_accounting()
    if name == "pld":
        interval = value_discretization_interval or PLD_DISCRETIZATION
        return dpa.pld.PLDAccountant(value_discretization_interval=interval)
    if name == "rdp":
        return dpa.rdp.RdpAccountant()
    raise ValueError(f"accountant must be 'pld' or 'rdp'; got {name!r}.")


@functools.lru_cache(maxsize=1024)
def _event_epsilon(event, delta, accountant, interval):
    """ε of a (hashable, frozen) DpEvent: each accountant run is done once per process."""
    with _quiet_rdp():
        return float(_accountant(accountant, interval).compose(event).get_epsilon(delta))


def _cached_pld_accountant(interval):
    """A fresh accountant for ``calibrate_dp_mechanism`` whose ε is :func:`_event_epsilon`'s.

    The search evaluates its bracket's ends and its answer again; the cache spares those
    PLD runs (each can take a second). It composes exactly one event, as the search does.
    """
    dpa = _dp_accounting()

    class _CachedPLD(dpa.PrivacyAccountant):
        def __init__(self):
            super().__init__(dpa.NeighboringRelation.ADD_OR_REMOVE_ONE)
            self._events = []

        def _maybe_compose(self, event, count, do_compose):
            if do_compose:
                self._events.append(event if count == 1 else dpa.SelfComposedDpEvent(event, count))
            return None

        def get_epsilon(self, target_delta):
            (event,) = self._events
            return _event_epsilon(event, float(target_delta), "pld", interval)

    return _CachedPLD()


def dpsgd_epsilon(
    noise_multiplier,
    sampling_rate,
    n_steps,
    delta,
    *,
    accountant="pld",
    value_discretization_interval=None,
):
    """ε of DP-SGD at ``delta``, as ``dp-accounting`` computes it.

    Parameters
    ----------
    noise_multiplier : float
        Noise standard deviation divided by the clipping norm; 0 means no noise (ε = ∞).
    sampling_rate : float
        Poisson sampling probability ``q`` of each step, in (0, 1].
    n_steps : int
        Number of noisy gradient steps.
    delta : float
        Target δ, in (0, 1).
    accountant : {"pld", "rdp"}, default="pld"
        ``"pld"``: dp-accounting's privacy-loss-distribution accountant (``PLDAccountant``),
        tight, and the one the estimators report. ``"rdp"``: its Rényi accountant
        (``RdpAccountant``, default orders), a looser upper bound for cross-checks.
    value_discretization_interval : float, default=None
        The PLD accountant's discretisation (None: dp-accounting's default, 1e-4). A coarser
        interval is faster and gives a larger (still valid) ε. Ignored by ``"rdp"``.

    Returns
    -------
    float
        ε (``inf`` when ``noise_multiplier`` is 0).

    Examples
    --------
    >>> from tabinvert.dp import dpsgd_epsilon
    >>> pld = dpsgd_epsilon(1.1, 0.01, 1000, 1e-5)
    >>> rdp = dpsgd_epsilon(1.1, 0.01, 1000, 1e-5, accountant="rdp")
    >>> round(pld, 2), pld < rdp
    (1.52, True)
    """
    _check_accounting_args(noise_multiplier, sampling_rate, n_steps, delta)
    if accountant not in ("pld", "rdp"):
        raise ValueError(f"accountant must be 'pld' or 'rdp'; got {accountant!r}.")
    interval = None
    if accountant == "pld":
        interval = value_discretization_interval
        interval = PLD_DISCRETIZATION if interval is None else interval
        if not isinstance(interval, Real) or not (math.isfinite(interval) and interval > 0):
            raise ValueError(
                "value_discretization_interval must be a positive number (e.g. 1e-4); got "
                f"{value_discretization_interval!r}."
            )
    if noise_multiplier == 0:
        return math.inf
    event = dpsgd_event(noise_multiplier, sampling_rate, n_steps)
    interval = None if interval is None else float(interval)
    return _event_epsilon(event, float(delta), accountant, interval)


#: Relative tolerance of the noise multiplier in each search.
_RELATIVE_TOLERANCE = 1e-3

#: The calibrated ε is accepted when it is at least this fraction of the target (and at most
#: the target); otherwise the search is repeated at the reported discretisation.
_ACCEPT = 0.995

#: Rényi orders of the RDP search that brackets the PLD one.
_BRACKET_ORDERS = tuple(range(2, 65)) + (128, 256, 512, 1024)

#: The first search runs at this multiple of the reported discretisation (ten times faster).
_COARSE = 10.0


def _search(epsilon, delta, sampling_rate, n_steps, interval, lower, upper):
    """The least noise whose PLD ε (at ``interval``) is at most ``epsilon``, searched by
    dp-accounting's ``calibrate_dp_mechanism`` from a guess of the bracket."""
    dpa = _dp_accounting()

    def pld(sigma):
        return dpsgd_epsilon(
            sigma, sampling_rate, n_steps, delta, value_discretization_interval=interval
        )

    while pld(upper) > epsilon:
        lower, upper = upper, upper * 1.1
    while pld(lower) <= epsilon:
        lower, upper = lower * 0.9, lower
    sigma = dpa.calibrate_dp_mechanism(
        lambda: _cached_pld_accountant(interval),
        lambda sigma: dpsgd_event(sigma, sampling_rate, n_steps),
        epsilon,
        delta,
        dpa.ExplicitBracketInterval(lower, upper),
        tol=_RELATIVE_TOLERANCE * lower,
    )
    return float(sigma)


@functools.lru_cache(maxsize=256)
def _calibrate(epsilon, delta, sampling_rate, n_steps):
    dpa = _dp_accounting()
    # The RDP accountant is fast and looser (its ε is larger for the same noise), so the noise
    # it calibrates is about the upper end of the PLD search; its own search starts at [0, 1].
    # Integer orders only: fractional ones are slow to sum at large sampling rates, and any
    # set of orders gives a valid (if looser) bound, which is all a bracket needs.
    with _quiet_rdp():
        upper = dpa.calibrate_dp_mechanism(
            lambda: dpa.rdp.RdpAccountant(orders=_BRACKET_ORDERS),
            lambda sigma: dpsgd_event(sigma, sampling_rate, n_steps),
            epsilon,
            delta,
            tol=1e-2,
        )
    upper += 1e-2
    interval = pld_discretization(epsilon)
    # A coarser discretisation is pessimistic too (its ε is larger), and ten times faster:
    # search with it, then account the answer at the reported discretisation, searching
    # again there only when that ε falls short of the target or exceeds it.
    args = (epsilon, delta, sampling_rate, n_steps)
    sigma = _search(*args, _COARSE * interval, 0.8 * upper, upper)
    eps = dpsgd_epsilon(
        sigma, sampling_rate, n_steps, delta, value_discretization_interval=interval
    )
    if not _ACCEPT * epsilon <= eps <= epsilon:
        sigma = _search(*args, interval, 0.98 * sigma, sigma)
        eps = dpsgd_epsilon(
            sigma, sampling_rate, n_steps, delta, value_discretization_interval=interval
        )
    return sigma, eps


def calibrate_noise_multiplier(epsilon, delta, sampling_rate, n_steps):
    """The smallest noise multiplier for which DP-SGD is (``epsilon``, ``delta``)-DP.

    Searches with ``dp_accounting.mechanism_calibration.calibrate_dp_mechanism`` over the
    PLD accountant's ε of :func:`dpsgd_event`, bracketed by the (looser, faster) RDP
    accountant's answer. The reported PLD discretisation is dp-accounting's default (1e-4)
    for ``epsilon ≤ 1`` and ``1e-4 · epsilon`` above (the same relative precision, far
    faster); the search runs at ten times that and its answer is then accounted at the
    reported one (and searched again there if it falls outside [0.995, 1] × ``epsilon``).

    Parameters
    ----------
    epsilon : float
        Target ε, positive and finite.
    delta : float
        Target δ, in (0, 1).
    sampling_rate : float
        Poisson sampling probability ``q``, in (0, 1].
    n_steps : int
        Number of noisy gradient steps.

    Returns
    -------
    noise_multiplier : float
        The calibrated σ (noise standard deviation / clipping norm).
    epsilon : float
        The PLD accountant's ε at that σ: at most the target, and within 0.5 % of it.

    Examples
    --------
    >>> from tabinvert.dp import calibrate_noise_multiplier
    >>> sigma, eps = calibrate_noise_multiplier(1.0, 1e-5, 0.01, 1000)
    >>> round(sigma, 1), 0.995 <= eps <= 1.0
    (1.4, True)
    """
    _check_accounting_args(0.0, sampling_rate, n_steps, delta)
    if not isinstance(epsilon, Real) or not (math.isfinite(epsilon) and epsilon > 0):
        raise ValueError(
            f"epsilon must be a positive finite number to calibrate noise for; got {epsilon!r}"
            " (epsilon=inf means no noise: noise multiplier 0)."
        )
    return _calibrate(float(epsilon), float(delta), float(sampling_rate), int(n_steps))

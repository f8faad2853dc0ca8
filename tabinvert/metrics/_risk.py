"""Honest risk statements: success rates with intervals, and advantage over imputation.

Two numbers answer "does the model leak this attribute?":

* the **raw success rate** of the attack, with a Wilson score interval
  (:func:`success_rate`, :func:`wilson_interval`);
* the **advantage over imputation** (:func:`advantage_over_baseline`): how much of the room left
  by an attacker that never queries the model the attack closes, on the same records. Following
  Jayaraman & Evans (2022), only this part is leakage *from the model*; the rest is what the
  population statistics give away anyway. Its interval comes from a paired bootstrap, because the
  attack and the baseline are scored on the same records.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
import scipy.sparse
from scipy.stats import norm
from sklearn.metrics import mean_absolute_error, root_mean_squared_error
from sklearn.utils import check_random_state

from .._sklearn_compat import Interval, StrOptions, validate_params
from ._inference import (
    _as_float,
    _categorical_metric,
    _check_columns,
    _confusion_metric,
    _default_tolerance,
    _encode,
    _label_position,
)

#: Success metrics: higher is better, best value 1.
SUCCESS_METRICS = ("accuracy", "balanced_accuracy", "within_tolerance", "mcc", "f1", "gmean")
#: Loss metrics: lower is better, best value 0.
LOSS_METRICS = ("mae", "rmse")

# Upper bound on the number of array elements one bootstrap batch materialises (~32 MB of
# int64): memory stays bounded whatever the number of records.
_MAX_BATCH_ELEMENTS = 2**22

# The arguments of advantage_over_baseline, as its errors name them.
_ADVANTAGE_NAMES = ("y_true", "y_attack", "y_baseline")

# A success score this close to its maximum leaves no room to beat: the advantage is undefined.
_AT_MAXIMUM = 1e-12

# A bootstrap standard error this small means the advantage is the same on every resample (an
# attack identical to the baseline): its simultaneous interval is the point itself.
_NO_SPREAD = 1e-12


# --------------------------------------------------------------------------------------------
# Wilson interval and success rate
# --------------------------------------------------------------------------------------------


@validate_params(
    {
        "n_success": [Real, "array-like"],
        "n_total": [Real, "array-like"],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def wilson_interval(n_success, n_total, *, confidence=0.95):
    """Wilson score interval for a success proportion.

    Parameters
    ----------
    n_success : int or array-like of int
        Number of successes, ``0 <= n_success <= n_total``.
    n_total : int or array-like of int
        Number of trials, positive. Arrays broadcast against ``n_success``.
    confidence : float, default=0.95
        Confidence level, strictly between 0 and 1.

    Returns
    -------
    ci_low, ci_high : float or ndarray
        Interval bounds, in ``[0, 1]``; floats for scalar input, arrays otherwise.

    Notes
    -----
    With :math:`z = \\Phi^{-1}((1 + c)/2)`, :math:`k` successes out of :math:`n`, the interval is

    .. math::

        \\frac{k + z^2/2}{n + z^2} \\pm \\frac{z}{n + z^2}
        \\sqrt{\\frac{k(n-k)}{n} + \\frac{z^2}{4}},

    the same as ``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``, vectorised. It
    stays inside ``[0, 1]`` and keeps close to its nominal coverage for small ``n`` and rates near
    0 or 1, where the normal ("Wald") interval fails.

    Examples
    --------
    >>> from tabinvert.metrics import wilson_interval
    >>> wilson_interval(8, 10)
    (0.490, 0.943)
    >>> low, high = wilson_interval([0, 50], [100, 100], confidence=0.9)
    >>> low.round(3), high.round(3)
    (array([0.   , 0.419]), array([0.026, 0.581]))
    """
    scalar = np.ndim(n_success) == 0 and np.ndim(n_total) == 0
    k = np.asarray(n_success, dtype=np.float64)
    n = np.asarray(n_total, dtype=np.float64)
    try:
        np.broadcast_shapes(k.shape, n.shape)
    except ValueError:
        raise ValueError(
            f"n_success (shape {k.shape}) and n_total (shape {n.shape}) do not broadcast "
            "together: pass arrays of the same length, or a scalar for either."
        ) from None
    if not (np.isfinite(k).all() and np.isfinite(n).all()):
        raise ValueError("n_success and n_total must be finite counts.")
    if (n <= 0).any():
        raise ValueError(
            "n_total must be positive: a success rate over zero trials has no interval. "
            "Check that the attack was run on at least one record."
        )
    if (k < 0).any() or (k > n).any():
        raise ValueError(
            "n_success must lie between 0 and n_total; more successes than trials usually means "
            "misaligned or duplicated records."
        )
    z = norm.ppf(0.5 + confidence / 2.0)
    z2 = z * z
    centre = (k + z2 / 2.0) / (n + z2)
    half = z / (n + z2) * np.sqrt(k * (n - k) / n + z2 / 4.0)
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    if scalar:
        return float(low), float(high)
    return low, high


@dataclass(frozen=True)
class SuccessRate:
    """Share of exactly-correct guesses, with its Wilson interval.

    Attributes
    ----------
    rate : float
        Raw share of correct guesses, ``n_success / n`` (not the Wilson centre).
    ci_low, ci_high : float
        Wilson score interval of the rate.
    n_success : int
        Number of correct guesses.
    n : int
        Number of records.
    """

    rate: float
    ci_low: float
    ci_high: float
    n_success: int
    n: int

    def to_dict(self):
        """Plain dict of the fields, for JSON and DataFrames."""
        return asdict(self)


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def success_rate(y_true, y_pred, *, confidence=0.95):
    """Share of records whose sensitive value the attacker guessed exactly, with an interval.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        True sensitive values. No missing values.
    y_pred : array-like of shape (n_records,)
        The attacker's guesses, in the same order. No missing values.
    confidence : float, default=0.95
        Confidence level of the Wilson interval.

    Returns
    -------
    SuccessRate
        ``rate``, ``ci_low``, ``ci_high``, ``n_success``, ``n``.

    See Also
    --------
    wilson_interval : The interval used.
    inference_scores : More scores, and tolerances for numeric attributes.

    Examples
    --------
    >>> from tabinvert.metrics import success_rate
    >>> result = success_rate(["a", "b", "a", "a", "b"], ["a", "b", "b", "a", "b"])
    >>> result.rate, result.n_success, result.n
    (0.8, 4, 5)
    >>> round(result.ci_low, 3), round(result.ci_high, 3)
    (0.376, 0.964)
    """
    true, (pred,) = _check_columns(y_true, [("y_pred", y_pred)])
    (true_c, pred_c), _ = _encode(true, pred, names=("y_true", "y_pred"))
    n = int(true_c.size)
    n_success = int(np.count_nonzero(true_c == pred_c))
    low, high = wilson_interval(n_success, n, confidence=confidence)
    return SuccessRate(rate=n_success / n, ci_low=low, ci_high=high, n_success=n_success, n=n)


# --------------------------------------------------------------------------------------------
# Advantage over the imputation baseline
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Advantage:
    """How far an attack beats the imputation baseline on the same records.

    Attributes
    ----------
    advantage : float
        ``(s_attack - s_base) / (1 - s_base)`` for success metrics, ``1 - loss_attack /
        loss_base`` for loss metrics. 1 = every error of the baseline fixed; 0 = no better;
        negative = worse. NaN when the baseline is already perfect.
    ci_low, ci_high : float
        Paired-bootstrap percentile interval of the advantage.
    attack_score, baseline_score : float
        The metric for the attack and for the baseline.
    metric : str
        The metric's name.
    n : int
        Number of records.
    n_resamples : int
        Number of bootstrap replicates.
    confidence : float
        Confidence level of the interval.
    """

    advantage: float
    ci_low: float
    ci_high: float
    attack_score: float
    baseline_score: float
    metric: str
    n: int
    n_resamples: int
    confidence: float = 0.95

    def to_dict(self):
        """Plain dict of the fields, for JSON and DataFrames."""
        return asdict(self)


def _rng(random_state):
    """A numpy Generator as is; anything else through sklearn's check_random_state."""
    if isinstance(random_state, np.random.Generator):
        return random_state
    return check_random_state(random_state)


def _integers(rng, high, size):
    """Uniform integers in ``[0, high)``; 32-bit when they fit (faster, half the memory)."""
    dtype = np.int32 if high < 2**31 else np.int64
    if isinstance(rng, np.random.Generator):
        return rng.integers(0, high, size=size, dtype=dtype)
    return rng.randint(0, high, size=size, dtype=dtype)


def _batches(n_resamples, elements_per_replicate):
    """Replicate batches ``(start, stop)`` holding at most ``_MAX_BATCH_ELEMENTS`` elements."""
    size = max(1, min(n_resamples, _MAX_BATCH_ELEMENTS // max(1, elements_per_replicate)))
    return [(start, min(start + size, n_resamples)) for start in range(0, n_resamples, size)]


def _advantage(attack, baseline, greater_is_better):
    """Advantage of the attack's scores over the baseline's, elementwise; NaN if undefined."""
    attack = np.asarray(attack, dtype=np.float64)
    baseline = np.asarray(baseline, dtype=np.float64)
    out = np.full(np.broadcast(attack, baseline).shape, np.nan)
    if greater_is_better:
        room = 1.0 - baseline
        np.divide(attack - baseline, room, out=out, where=room > _AT_MAXIMUM)
    else:
        np.divide(attack, baseline, out=out, where=baseline != 0)
        out = np.where(baseline != 0, 1.0 - out, np.nan)
    return out


def _cell_replicates(rng, values, counts, n_resamples, statistic, elements_per_replicate):
    """Bootstrap replicates from *cells*: the distinct joint outcomes of attack and baseline.

    ``values`` are the distinct per-record outcomes and ``counts`` how many records have each.
    A bootstrap resample of ``n`` records, drawn uniformly with replacement, has cell counts
    ``Multinomial(n, counts / n)``: drawing those counts is the same paired bootstrap as
    drawing record indices (both guessers see the same resampled records), at a cost that
    depends on the number of distinct cells, not on ``n``.
    """
    n = int(counts.sum())
    probabilities = counts / n
    out = None
    for start, stop in _batches(n_resamples, max(values.size, elements_per_replicate)):
        weights = rng.multinomial(n, probabilities, size=stop - start)
        out = _store(out, start, stop, statistic(values, weights), n_resamples)
    return out


def _index_replicates(rng, n, n_resamples, statistic):
    """Bootstrap replicates from record indices drawn in bounded batches; same indices for all
    the guessers."""
    out = None
    for start, stop in _batches(n_resamples, n):
        out = _store(out, start, stop, statistic(_integers(rng, n, (stop - start, n))), n_resamples)
    return out


def _store(out, start, stop, batch, n_resamples):
    """Write one batch of replicates into ``out`` (allocated on the first batch): shape
    ``(n_resamples,)`` for one statistic per replicate, ``(n_resamples, m)`` for ``m``."""
    batch = np.asarray(batch, dtype=np.float64)
    if out is None:
        out = np.empty((n_resamples,) + batch.shape[1:])
    out[start:stop] = batch
    return out


def _resample_counts(indices, n):
    """How often each of the ``n`` records occurs in each row of ``indices``: shape
    ``(len(indices), n)``, one ``bincount`` for the whole batch."""
    rows = indices.shape[0]
    offsets = (np.arange(rows, dtype=np.int64) * n)[:, None]
    return np.bincount((indices + offsets).ravel(), minlength=rows * n).reshape(rows, n)


# The kernels below score several attacks against one baseline on the *same* bootstrap
# resamples (the shared resamples that simultaneous intervals need); one attack is the special
# case that advantage_over_baseline uses. Each returns the attacks' point scores (one per
# attack), the baseline's point score and the replicate advantages, shape (n_resamples,
# n_attacks). The resampled units are the distinct *joint* outcomes of all the guessers on a
# record (cells), so one multinomial draw of cell counts resamples the records for every attack
# and the baseline at once.


def _shared_correctness(hits_attacks, hit_baseline, rng, n_resamples):
    """Point scores and shared replicate advantages for a per-record hit/miss metric.

    ``hits_attacks`` has shape ``(n_records, n_attacks)``, ``hit_baseline`` ``(n_records,)``.
    """
    n = hit_baseline.size
    joint = np.column_stack([hits_attacks, hit_baseline]).astype(np.uint8)

    def statistic(values, weights):
        scores = weights @ values / n  # (replicates, attacks + baseline) success rates
        return _advantage(scores[:, :-1], scores[:, -1:], True)

    values, counts = np.unique(joint, axis=0, return_counts=True)
    replicates = _cell_replicates(rng, values, counts, n_resamples, statistic, 2 * joint.shape[1])
    return hits_attacks.mean(axis=0), float(hit_baseline.mean()), replicates


def _paired_correctness(hit_attack, hit_baseline, rng, n_resamples):
    """Point scores and replicate advantages for a per-record hit/miss metric."""
    scores, baseline_score, replicates = _shared_correctness(
        hit_attack[:, None], hit_baseline, rng, n_resamples
    )
    return float(scores[0]), baseline_score, replicates[:, 0]


def _shared_confusion(metric, true, attacks, baseline, pos, rng, n_resamples, names):
    """Point scores (sklearn) and shared replicate advantages (confusion-matrix counts).

    ``names`` name ``true``, each attack and ``baseline`` in the errors, in that order.
    """
    (t, *guesses), labels = _encode(true, *attacks, baseline, names=names)
    k = labels.size
    pos_code = None if pos is None else _label_position(labels, pos, "positive_value")
    scores = np.array([_categorical_metric(metric, t, a, pos=pos_code) for a in guesses[:-1]])
    baseline_score = _categorical_metric(metric, t, guesses[-1], pos=pos_code)
    n_guessers = len(guesses)  # the attacks, then the baseline

    def statistic(values, weights):
        # Sum the resampled cell counts into one k × k confusion matrix per replicate and
        # guesser: a sparse (cells × guessers·k²) indicator maps each cell to its entry in each
        # guesser's matrix (true value on rows, guess on columns).
        cells = values.shape[0]
        entries = np.arange(n_guessers) * (k * k) + values[:, :1] * k + values[:, 1:]
        indicator = scipy.sparse.csr_array(
            (np.ones(entries.size), (np.repeat(np.arange(cells), n_guessers), entries.ravel())),
            shape=(cells, n_guessers * k * k),
        )
        matrices = (weights @ indicator).reshape(-1, n_guessers, k, k)
        scores = _confusion_metric(matrices, metric, pos=pos_code)
        return _advantage(scores[:, :-1], scores[:, -1:], True)

    joint = np.column_stack([t, *guesses]).astype(np.int64)
    values, counts = np.unique(joint, axis=0, return_counts=True)
    replicates = _cell_replicates(
        rng, values, counts, n_resamples, statistic, 2 * n_guessers * k * k
    )
    return scores, baseline_score, replicates


def _paired_confusion(metric, true, attack, baseline, pos, rng, n_resamples):
    """Point scores (sklearn) and replicate advantages (confusion-matrix counts)."""
    scores, baseline_score, replicates = _shared_confusion(
        metric, true, [attack], baseline, pos, rng, n_resamples, _ADVANTAGE_NAMES
    )
    return float(scores[0]), baseline_score, replicates[:, 0]


def _shared_loss(metric, true, attacks, baseline, rng, n_resamples):
    """Point losses (sklearn) and shared replicate advantages from per-record errors."""
    n = true.size
    if metric == "mae":
        scorer = mean_absolute_error
        errors = np.column_stack([np.abs(g - true) for g in (*attacks, baseline)])
    else:
        scorer = root_mean_squared_error
        errors = np.column_stack([(g - true) ** 2 for g in (*attacks, baseline)])

    def advantage_of(losses):  # losses: (replicates, attacks + baseline) mean errors
        if metric == "rmse":
            losses = np.sqrt(losses)
        return _advantage(losses[:, :-1], losses[:, -1:], False)

    cells, cell_counts = np.unique(errors, axis=0, return_counts=True)
    if cells.shape[0] <= n // 8:
        # Few distinct joint errors, e.g. integer-valued attributes: resample the cells'
        # counts instead of the records.
        replicates = _cell_replicates(
            rng,
            cells,
            cell_counts,
            n_resamples,
            lambda values, weights: advantage_of(weights @ values / n),
            errors.shape[1],
        )
    else:
        # How often each record was drawn, then one pass over all the guessers' errors.
        replicates = _index_replicates(
            rng,
            n,
            n_resamples,
            lambda indices: advantage_of(_resample_counts(indices, n) @ errors / n),
        )
    scores = np.array([float(scorer(true, a)) for a in attacks])
    return scores, float(scorer(true, baseline)), replicates


def _paired_loss(metric, true, attack, baseline, rng, n_resamples):
    """Point losses (sklearn) and replicate advantages from per-record errors."""
    scores, baseline_score, replicates = _shared_loss(
        metric, true, [attack], baseline, rng, n_resamples
    )
    return float(scores[0]), baseline_score, replicates[:, 0]


def _call_metric(metric, true, pred):
    """``metric(true, pred)`` as a float; TypeError naming the metric if it is not one number."""
    value = metric(true, pred)
    name = getattr(metric, "__name__", repr(metric))
    if np.ndim(value) != 0:
        raise TypeError(
            f"metric={name} returned {type(value).__name__} of shape {np.shape(value)}; a "
            "callable metric must return one number per call (e.g. a mean over the records)."
        )
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"metric={name} returned {value!r} ({type(value).__name__}); a callable metric "
            "must return one number."
        ) from None


def _shared_callable(metric, true, attacks, baseline, rng, n_resamples):
    """A user metric (treated as a success metric), re-evaluated on each shared replicate."""
    # The point scores first: a metric returning the wrong type fails before the bootstrap.
    scores = np.array([_call_metric(metric, true, a) for a in attacks])
    baseline_score = _call_metric(metric, true, baseline)

    def statistic(indices):
        # One call per replicate and guesser: a user metric cannot be vectorised.
        guessers = (*attacks, baseline)
        values = np.array(
            [[_call_metric(metric, true[i], g[i]) for g in guessers] for i in indices]
        ).reshape(len(indices), len(guessers))
        return _advantage(values[:, :-1], values[:, -1:], True)

    replicates = _index_replicates(rng, true.size, n_resamples, statistic)
    return scores, baseline_score, replicates


def _paired_callable(metric, true, attack, baseline, rng, n_resamples):
    """A user metric (treated as a success metric), re-evaluated on each replicate."""
    scores, baseline_score, replicates = _shared_callable(
        metric, true, [attack], baseline, rng, n_resamples
    )
    return float(scores[0]), baseline_score, replicates[:, 0]


@validate_params(
    {
        "y_true": ["array-like"],
        "y_attack": ["array-like"],
        "y_baseline": ["array-like"],
        "metric": [StrOptions(set(SUCCESS_METRICS + LOSS_METRICS)), callable],
        "tolerance": [Interval(Real, 0, None, closed="left"), None],
        "positive_value": "no_validation",
        "n_resamples": [Interval(Integral, 1, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state", np.random.Generator],
    },
    prefer_skip_nested_validation=True,
)
def advantage_over_baseline(
    y_true,
    y_attack,
    y_baseline,
    *,
    metric="accuracy",
    tolerance=None,
    positive_value=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=None,
):
    """How much an attack beats the imputation baseline on the same records, with a paired CI.

    An attribute-inference attack only shows leakage *from the model* to the extent it beats an
    attacker with the same knowledge of the population but no access to the model (Jayaraman &
    Evans, 2022). This function measures that, anonymeter-style, as the share of the baseline's
    room for improvement that the attack closes.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        True sensitive values. No missing values.
    y_attack : array-like of shape (n_records,)
        The attack's guesses, in the same order.
    y_baseline : array-like of shape (n_records,)
        The baseline's (imputation's) guesses for the same records, in the same order.
    metric : str or callable, default="accuracy"
        Success metrics (higher is better, best 1): ``"accuracy"``, ``"balanced_accuracy"``,
        ``"mcc"``, ``"f1"``, ``"gmean"`` (as in :func:`inference_scores`) and
        ``"within_tolerance"`` (numeric values). Loss metrics (lower is better, best 0):
        ``"mae"``, ``"rmse"``. A callable ``metric(y_true, y_pred) -> float`` is treated as a
        success metric with best value 1; it receives numpy arrays and is called twice per
        bootstrap replicate, so it is the slow path.
    tolerance : float, default=None
        For ``"within_tolerance"`` only: a guess within this absolute distance of the true value
        counts as correct. Defaults to 0.1 × the standard deviation of ``y_true``.
    positive_value : object, default=None
        For ``"f1"`` only: score F1 of this value against the rest instead of the macro F1.
    n_resamples : int, default=1000
        Number of bootstrap replicates.
    confidence : float, default=0.95
        Confidence level of the interval.
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the bootstrap. Pass an int for results that are the same on every run.

    Returns
    -------
    Advantage
        ``advantage``, ``ci_low``, ``ci_high``, ``attack_score``, ``baseline_score``,
        ``metric``, ``n``, ``n_resamples``, ``confidence``; ``to_dict()`` for JSON.

    See Also
    --------
    advantage_verdict : The result in one plain sentence.
    inference_scores : The scores themselves.

    Notes
    -----
    For a success metric :math:`s`, the advantage is
    :math:`(s_{attack} - s_{base}) / (1 - s_{base})` — the risk net of a control attacker of
    anonymeter, with imputation as the control; it is NaN when the baseline is perfect. For a
    loss :math:`L` it is :math:`1 - L_{attack} / L_{base}`, NaN when the baseline loss is 0.
    Both are at most 1; 0 means no better than imputation.

    The interval is a paired percentile bootstrap: each replicate resamples the records with
    replacement and scores the attack and the baseline on the *same* resampled records, so
    their correlation (both tend to get the same easy records right) is kept; treating them as
    independent samples would give too wide an interval. For the categorical metrics and
    ``"within_tolerance"`` a replicate is drawn as multinomial counts of the distinct
    (true, attack, baseline) outcomes, which is the same distribution as resampling records and
    costs nothing per record; for the losses, record indices are drawn in batches of bounded
    size. Replicates where the advantage is undefined (a perfect baseline on that resample)
    are left out of the interval.

    References
    ----------
    .. [1] B. Jayaraman and D. Evans, "Are Attribute Inference Attacks Just Imputation?",
       ACM CCS 2022.
    .. [2] M. Giomi et al., "A Unified Framework for Quantifying Privacy Risk in Synthetic Data"
       (anonymeter), PoPETs 2023.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.metrics import advantage_over_baseline, advantage_verdict
    >>> rng = np.random.default_rng(0)
    >>> y_true = rng.integers(0, 2, size=2000)
    >>> y_baseline = np.where(rng.random(2000) < 0.6, y_true, 1 - y_true)  # ~60% right
    >>> y_attack = np.where(rng.random(2000) < 0.8, y_true, 1 - y_true)  # ~80% right
    >>> adv = advantage_over_baseline(y_true, y_attack, y_baseline, random_state=0)
    >>> round(adv.attack_score, 3), round(adv.baseline_score, 3), round(adv.advantage, 3)
    (0.793, 0.62, 0.455)
    >>> advantage_verdict(adv)
    'leaks beyond imputation: advantage 0.455 (95% CI 0.398 to 0.509)'
    """
    true, (attack, baseline) = _check_columns(
        y_true, [("y_attack", y_attack), ("y_baseline", y_baseline)]
    )
    if tolerance is not None and metric != "within_tolerance":
        raise ValueError(
            f"tolerance only applies to metric='within_tolerance', not {metric!r}; drop it."
        )
    if positive_value is not None and metric != "f1":
        raise ValueError(f"positive_value only applies to metric='f1', not {metric!r}; drop it.")
    rng = _rng(random_state)
    greater_is_better = True

    if callable(metric):
        name = getattr(metric, "__name__", repr(metric))
        attack_score, baseline_score, replicates = _paired_callable(
            metric, true, attack, baseline, rng, n_resamples
        )
    elif metric == "accuracy":
        name = metric
        (t, a, b), _ = _encode(true, attack, baseline, names=_ADVANTAGE_NAMES)
        attack_score, baseline_score, replicates = _paired_correctness(
            a == t, b == t, rng, n_resamples
        )
    elif metric == "within_tolerance":
        name = metric
        true_f = _as_float(true, "y_true")
        attack_f, baseline_f = _as_float(attack, "y_attack"), _as_float(baseline, "y_baseline")
        if tolerance is None:
            tolerance = _default_tolerance(true_f)
        attack_score, baseline_score, replicates = _paired_correctness(
            np.abs(attack_f - true_f) <= tolerance,
            np.abs(baseline_f - true_f) <= tolerance,
            rng,
            n_resamples,
        )
    elif metric in LOSS_METRICS:
        name = metric
        greater_is_better = False
        attack_score, baseline_score, replicates = _paired_loss(
            metric,
            _as_float(true, "y_true"),
            _as_float(attack, "y_attack"),
            _as_float(baseline, "y_baseline"),
            rng,
            n_resamples,
        )
    else:
        name = metric
        attack_score, baseline_score, replicates = _paired_confusion(
            metric, true, attack, baseline, positive_value, rng, n_resamples
        )

    point = float(_advantage(attack_score, baseline_score, greater_is_better))
    finite = replicates[np.isfinite(replicates)]
    if np.isfinite(point) and finite.size:
        alpha = 1.0 - confidence
        ci_low, ci_high = (float(q) for q in np.quantile(finite, [alpha / 2, 1 - alpha / 2]))
    else:
        ci_low = ci_high = float("nan")
    return Advantage(
        advantage=point,
        ci_low=ci_low,
        ci_high=ci_high,
        attack_score=attack_score,
        baseline_score=baseline_score,
        metric=name,
        n=int(true.size),
        n_resamples=int(n_resamples),
        confidence=float(confidence),
    )


@validate_params({"adv": [Advantage]}, prefer_skip_nested_validation=True)
def advantage_verdict(adv):
    """State an :class:`Advantage` in one plain sentence.

    Parameters
    ----------
    adv : Advantage
        The result of :func:`advantage_over_baseline`.

    Returns
    -------
    str
        ``"leaks beyond imputation: ..."`` when the whole interval is above 0,
        ``"below imputation: ..."`` when it is below 0,
        ``"no measurable leakage beyond imputation (CI includes 0): ..."`` otherwise, or a
        sentence saying why the advantage is undefined.

    Examples
    --------
    >>> from tabinvert.metrics import Advantage, advantage_verdict
    >>> adv = Advantage(0.02, -0.01, 0.05, 0.71, 0.70, "accuracy", n=500, n_resamples=1000)
    >>> print(advantage_verdict(adv))
    no measurable leakage beyond imputation (CI includes 0):
    advantage 0.020 (95% CI -0.010 to 0.050)
    """
    if not np.isfinite(adv.advantage):
        if not (np.isfinite(adv.attack_score) and np.isfinite(adv.baseline_score)):
            # Not "the baseline is perfect": the metric itself gave no usable number.
            return (
                f"advantage undefined: the {adv.metric} of the attack ({adv.attack_score:.3g}) "
                f"and of the baseline ({adv.baseline_score:.3g}) must both be finite to be "
                f"compared; check the metric and the guesses"
            )
        if adv.metric in LOSS_METRICS:
            why = f"the baseline's {adv.metric} is already 0"
        else:
            why = (
                f"the baseline's {adv.metric} is already at its maximum ({adv.baseline_score:.3g})"
            )
        return (
            f"advantage undefined: {why}, so there is nothing left for the attack to beat; "
            f"the attribute is fully predictable without the model on these records"
        )
    if not (np.isfinite(adv.ci_low) and np.isfinite(adv.ci_high)):
        return (
            f"advantage {adv.advantage:.3f} with no confidence interval (every bootstrap "
            f"replicate was undefined); treat it as unmeasured"
        )
    interval = f"({100 * adv.confidence:g}% CI {adv.ci_low:.3f} to {adv.ci_high:.3f})"
    if adv.ci_low > 0:
        return f"leaks beyond imputation: advantage {adv.advantage:.3f} {interval}"
    if adv.ci_high < 0:
        return (
            f"below imputation: advantage {adv.advantage:.3f} {interval}; the attack does worse "
            f"than imputing the value without the model"
        )
    return (
        f"no measurable leakage beyond imputation (CI includes 0): "
        f"advantage {adv.advantage:.3f} {interval}"
    )


# --------------------------------------------------------------------------------------------
# Simultaneous intervals: several attacks against one baseline
# --------------------------------------------------------------------------------------------


def _named_columns(preds, argument):
    """``(key, values)`` pairs from a dict, a DataFrame (one column per attack) or a list or
    tuple (keyed by position) of per-record predictions; errors name ``argument``."""
    if isinstance(preds, pd.DataFrame):
        if not preds.columns.is_unique:
            duplicated = preds.columns[preds.columns.duplicated()].unique().tolist()
            raise ValueError(
                f"{argument} has duplicated column labels {duplicated}; give each attack its "
                "own column name."
            )
        items = [(column, preds[column]) for column in preds.columns]
    elif isinstance(preds, dict):
        items = list(preds.items())
    else:
        items = list(enumerate(preds))
        if items and all(np.ndim(values) == 0 for _, values in items):
            raise ValueError(
                f"{argument} is a list of {len(items)} single values, not a list of prediction "
                f"arrays. Pass {{name: predictions}} (one entry per attack), or [predictions] for "
                "one attack."
            )
    if not items:
        raise ValueError(
            f"{argument} is empty; pass at least one attack's predictions, e.g. "
            f"{{'my_attack': predictions}}."
        )
    return items


def _shared_advantage_replicates(
    true, attacks, baseline, names, *, metric, tolerance, positive_value, rng, n_resamples
):
    """Every attack's advantage over the baseline on the same bootstrap resamples.

    ``true``, each array of ``attacks`` and ``baseline`` are checked columns of the same length
    (:func:`._inference._check_columns`); ``names`` name them in errors, in that order.

    Returns ``(metric_name, greater_is_better, attack_scores, baseline_score, replicates)``:
    the attacks' metric values (shape ``(n_attacks,)``), the baseline's, and the replicate
    advantages, shape ``(n_resamples, n_attacks)``, whose row ``b`` scores every attack and the
    baseline on the same resampled records. ``_advantage(attack_scores, baseline_score,
    greater_is_better)`` gives the point advantages.
    """
    if callable(metric):
        name = getattr(metric, "__name__", repr(metric))
        return (name, True, *_shared_callable(metric, true, attacks, baseline, rng, n_resamples))
    if metric == "accuracy":
        (t, *guesses), _ = _encode(true, *attacks, baseline, names=names)
        hits = np.column_stack([g == t for g in guesses[:-1]])
        return (metric, True, *_shared_correctness(hits, guesses[-1] == t, rng, n_resamples))
    if metric not in ("within_tolerance", *LOSS_METRICS):
        result = _shared_confusion(
            metric, true, attacks, baseline, positive_value, rng, n_resamples, names
        )
        return (metric, True, *result)
    true_f = _as_float(true, names[0])
    guesses = [_as_float(g, name) for g, name in zip((*attacks, baseline), names[1:])]
    if metric in LOSS_METRICS:
        result = _shared_loss(metric, true_f, guesses[:-1], guesses[-1], rng, n_resamples)
        return (metric, False, *result)
    if tolerance is None:
        tolerance = _default_tolerance(true_f)
    hits = [np.abs(g - true_f) <= tolerance for g in guesses]
    result = _shared_correctness(np.column_stack(hits[:-1]), hits[-1], rng, n_resamples)
    return (metric, True, *result)


def _replicate_se(replicates):
    """Bootstrap standard error of each column (``ddof=1``) over its finite replicates; NaN
    for a column with fewer than two."""
    finite = np.isfinite(replicates)
    count = finite.sum(axis=0)
    filled = np.where(finite, replicates, 0.0)
    mean = filled.sum(axis=0) / np.maximum(count, 1)
    squares = np.where(finite, (filled - mean) ** 2, 0.0).sum(axis=0)
    variance = np.full(count.shape, np.nan)
    np.divide(squares, count - 1, out=variance, where=count >= 2)
    return np.sqrt(variance)


def _simultaneous_from_replicates(point, replicates, confidence):
    """Simultaneous studentised max-|t| intervals from already-drawn paired replicates.

    Parameters
    ----------
    point : array-like of shape (n_attacks,)
        The attacks' advantages on the full sample.
    replicates : array-like of shape (n_resamples, n_attacks)
        Their bootstrap replicates, row ``b`` computed on the *same* resampled records for
        every attack (and the baseline). NaN marks an undefined replicate. A 1-D array is
        accepted for one attack.
    confidence : float
        Simultaneous confidence level, strictly between 0 and 1.

    Returns
    -------
    ci_low, ci_high : ndarray of shape (n_attacks,)
        ``point ± critical · se`` (``se`` the bootstrap standard error of each column; the
        upper bound capped at 1, the largest possible advantage). ``[point, point]`` for an
        attack whose replicates do not vary (``se == 0``); NaN where the point is NaN or fewer
        than two replicates are finite.
    critical : float
        The ``confidence`` quantile of ``max_j |replicate_j - point_j| / se_j`` over the
        attacks with ``se_j > 0`` (and a finite point and replicate); NaN when there is none.
    """
    point = np.asarray(point, dtype=np.float64)
    replicates = np.asarray(replicates, dtype=np.float64)
    if point.ndim != 1:
        raise ValueError(f"point must be 1-D (one advantage per attack); got shape {point.shape}.")
    if replicates.ndim == 1 and point.size == 1:
        replicates = replicates[:, None]
    if replicates.ndim != 2 or replicates.shape[1] != point.size:
        raise ValueError(
            f"replicates must have shape (n_resamples, {point.size}), one column per attack in "
            f"the order of point; got shape {replicates.shape}."
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    se = _replicate_se(replicates)
    finite_point = np.isfinite(point)
    flat = finite_point & (se <= _NO_SPREAD)  # False for a NaN se
    active = finite_point & (se > _NO_SPREAD)
    low = np.where(flat, point, np.nan)
    high = low.copy()
    critical = float("nan")
    if active.any():
        deviations = np.abs(replicates[:, active] - point[active]) / se[active]
        deviations = np.where(np.isfinite(deviations), deviations, -np.inf)
        largest = deviations.max(axis=1)
        largest = largest[np.isfinite(largest)]  # replicates undefined for every attack: out
        if largest.size:
            critical = float(np.quantile(largest, confidence))
            low[active] = point[active] - critical * se[active]
            high[active] = np.minimum(point[active] + critical * se[active], 1.0)
    return low, high, critical


@validate_params(
    {
        "y_true": ["array-like"],
        "attack_preds": [dict, list, tuple, pd.DataFrame],
        "baseline_pred": ["array-like"],
        "metric": [StrOptions(set(SUCCESS_METRICS + LOSS_METRICS)), callable],
        "tolerance": [Interval(Real, 0, None, closed="left"), None],
        "positive_value": "no_validation",
        "n_resamples": [Interval(Integral, 2, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "random_state": ["random_state", np.random.Generator],
    },
    prefer_skip_nested_validation=True,
)
def simultaneous_advantage_intervals(
    y_true,
    attack_preds,
    baseline_pred,
    *,
    metric="accuracy",
    tolerance=None,
    positive_value=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=None,
):
    """Simultaneous intervals for several attacks' advantages over one baseline.

    When the verdict on an attribute is decided by the *best* of several attacks, per-attack
    95% intervals overstate the evidence: with six attacks no better than imputation, some
    attack's lower bound lands above 0 far more often than the nominal rate. These intervals
    hold for all the attacks at once (family-wise), so "the best attack's lower bound is above
    0" keeps its false-alarm rate at most ``1 - confidence``.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        True sensitive values. No missing values.
    attack_preds : dict, DataFrame, list or tuple
        The attacks' guesses for the same records, in the same order as ``y_true``:
        ``{name: predictions}``, a DataFrame with one column per attack, or a list or tuple of
        prediction arrays (named by their position).
    baseline_pred : array-like of shape (n_records,)
        The baseline's (imputation's) guesses for the same records.
    metric : str or callable, default="accuracy"
        As in :func:`advantage_over_baseline`: ``"accuracy"``, ``"balanced_accuracy"``,
        ``"mcc"``, ``"f1"``, ``"gmean"``, ``"within_tolerance"``, ``"mae"``, ``"rmse"`` or a
        callable success metric ``metric(y_true, y_pred) -> float`` (the slow path: called once
        per replicate and guesser).
    tolerance : float, default=None
        For ``"within_tolerance"`` only, as in :func:`advantage_over_baseline`.
    positive_value : object, default=None
        For ``"f1"`` only, as in :func:`advantage_over_baseline`.
    n_resamples : int, default=1000
        Number of bootstrap resamples, shared by all the attacks. The critical value is a tail
        quantile: use at least 1000 for a 95% level.
    confidence : float, default=0.95
        Simultaneous confidence level: all the intervals cover their true advantage together
        with about this probability.
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the bootstrap. Pass an int for results that are the same on every run.

    Returns
    -------
    DataFrame
        One row per attack, in the order given, with columns ``attack`` (its name or
        position), ``advantage`` (as in :func:`advantage_over_baseline`), ``ci_low``,
        ``ci_high`` (the simultaneous interval), ``se`` (bootstrap standard error of the
        advantage), ``critical_value`` (the multiplier of ``se``, the same for every attack),
        ``attack_score``, ``baseline_score``, ``metric``, ``n``, ``n_resamples`` and
        ``confidence``.

    See Also
    --------
    advantage_over_baseline : One attack, with its own (per-attack) interval.

    Notes
    -----
    All the attacks and the baseline are scored on **one** set of bootstrap resamples of the
    records (a paired bootstrap, as in :func:`advantage_over_baseline`, shared across the
    attacks), which keeps the correlation between the attacks: they tend to get the same easy
    records right. With :math:`\\hat a_j` attack :math:`j`'s advantage,
    :math:`\\hat a^*_{bj}` its value on resample :math:`b` and :math:`s_j` the standard
    deviation of its replicates, the critical value :math:`c` is the ``confidence`` quantile
    of the studentised maximum

    .. math::

        T^*_b = \\max_j \\frac{|\\hat a^*_{bj} - \\hat a_j|}{s_j},

    and attack :math:`j`'s interval is :math:`\\hat a_j \\pm c\\, s_j` (the single-step
    bootstrap max-t method of Westfall & Young, 1993, and Romano & Wolf, 2005). Studentising
    puts attacks with noisy and with precise advantages on one scale, so neither dominates the
    maximum.

    *Why two-sided.* The intervals cover all the true advantages at once with probability
    about ``confidence``. If no attack is in truth better than the baseline (every true
    advantage at most 0), a lower bound above 0 lies above its attack's true advantage, so
    "some lower bound is above 0" happens with probability at most about ``1 - confidence``:
    that is the family-wise false-alarm rate of "the best attack's lower bound is above 0".
    With many records it is about half that, just as the lower bound of one attack's two-sided
    95% interval errs about 2.5% of the time, so simultaneous and per-attack intervals at the
    same ``confidence`` read the same way; and the upper bounds hold simultaneously too. With
    one attack, the interval is the per-attack studentised bootstrap interval
    :math:`\\hat a \\pm c\\, s` (:math:`c` near 1.96 at 95%), close to the percentile interval
    of :func:`advantage_over_baseline`.

    The guarantee is asymptotic. In simulations with six attacks guessing a binary value
    exactly as well as the baseline (95%, ``accuracy``), some lower bound was above 0 in 2.6%
    of the data sets of 10,000 records, 3.9% of 1,000 (1,000 resamples) and 5.2% of 200 (200
    resamples), against 10-11% for per-attack percentile intervals; with twenty attacks and
    200 records it was 7% (per-attack: 23%). That far in the tail the bootstrap is too
    optimistic: keep the family small when the records are few.

    An attack whose advantage is the same on every resample (``se == 0``, e.g. one that
    guesses exactly like the baseline) has the interval ``[advantage, advantage]`` and is left
    out of the maximum. An undefined advantage (the baseline already perfect, see
    :func:`advantage_over_baseline`) gives NaN bounds and is left out too; undefined
    replicates are left out of their attack's standard error and of the maximum. The upper
    bound is capped at 1, the largest possible advantage.

    References
    ----------
    .. [1] P. H. Westfall and S. S. Young, *Resampling-Based Multiple Testing: Examples and
       Methods for p-Value Adjustment*, Wiley, 1993.
    .. [2] J. P. Romano and M. Wolf, "Exact and Approximate Stepdown Methods for Multiple
       Hypothesis Testing", Journal of the American Statistical Association 100(469), 2005.
    .. [3] B. Jayaraman and D. Evans, "Are Attribute Inference Attacks Just Imputation?",
       ACM CCS 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.metrics import simultaneous_advantage_intervals
    >>> rng = np.random.default_rng(0)
    >>> y_true = rng.integers(0, 2, size=1000)
    >>> def guesses(accuracy):  # right with probability `accuracy`
    ...     return np.where(rng.random(1000) < accuracy, y_true, 1 - y_true)
    >>> baseline = guesses(0.6)
    >>> attacks = {"leaky": guesses(0.75), "noise": guesses(0.6), "copy": baseline}
    >>> table = simultaneous_advantage_intervals(y_true, attacks, baseline, random_state=0)
    >>> print(table[["attack", "advantage", "ci_low", "ci_high"]].round(3).to_string(index=False))
    attack  advantage  ci_low  ci_high
     leaky      0.419   0.325    0.512
     noise      0.028  -0.096    0.151
      copy      0.000   0.000    0.000
    >>> round(float(table["critical_value"].iloc[0]), 2)  # one attack alone: about 1.96
    2.25
    """
    named = _named_columns(attack_preds, "attack_preds")
    names = [f"attack_preds[{key!r}]" for key, _ in named]
    true, columns = _check_columns(
        y_true, [*zip(names, (values for _, values in named)), ("baseline_pred", baseline_pred)]
    )
    if tolerance is not None and metric != "within_tolerance":
        raise ValueError(
            f"tolerance only applies to metric='within_tolerance', not {metric!r}; drop it."
        )
    if positive_value is not None and metric != "f1":
        raise ValueError(f"positive_value only applies to metric='f1', not {metric!r}; drop it.")
    name, greater_is_better, scores, baseline_score, replicates = _shared_advantage_replicates(
        true,
        columns[:-1],
        columns[-1],
        ("y_true", *names, "baseline_pred"),
        metric=metric,
        tolerance=tolerance,
        positive_value=positive_value,
        rng=_rng(random_state),
        n_resamples=n_resamples,
    )
    point = _advantage(scores, baseline_score, greater_is_better)
    low, high, critical = _simultaneous_from_replicates(point, replicates, confidence)
    return pd.DataFrame(
        {
            "attack": pd.Series([key for key, _ in named], dtype=object),
            "advantage": point,
            "ci_low": low,
            "ci_high": high,
            "se": _replicate_se(replicates),
            "critical_value": critical,
            "attack_score": np.asarray(scores, dtype=np.float64),
            "baseline_score": float(baseline_score),
            "metric": name,
            "n": int(true.size),
            "n_resamples": int(n_resamples),
            "confidence": float(confidence),
        }
    )

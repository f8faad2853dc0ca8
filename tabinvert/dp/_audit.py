"""Empirical privacy audit: a statistical lower bound on the ε a trainer really spends.

A differentially private trainer claims (ε, δ): no test can tell whether one record was in its
training set with a false-positive rate α and a false-negative rate β such that
``α + e^ε β < 1 − δ`` or ``β + e^ε α < 1 − δ`` (the hypothesis-testing view of DP, Kairouz
et al. 2015). The audit turns that around (Jagielski et al. 2020; Nasr et al. 2021): train many
times on a dataset ``D`` and on ``D`` plus one *canary* record, run a distinguishing test on
each model, and turn the test's observed error counts into a one-sided confidence bound on the
ε the trainer must spend to produce them. The bound can only be *below* the true ε (with the
stated confidence), so a bound above the claimed ε proves the claim false — a missing noise
term, a missing clip, or a mis-calibrated accountant — while a bound below it proves nothing
about the claim being tight: it is a check that can fail, not a certificate.

* :func:`epsilon_lower_bound` — the statistics: Clopper–Pearson upper bounds on the two error
  rates, then the ε they imply;
* :func:`audit_epsilon` — the harness: the trainings (in parallel), the canary's score, the
  threshold chosen on half of the trials and the bound computed on the other half;
* :class:`AuditResult` — what the audit returns.

References
----------
Jagielski, M., Ullman, J. & Oprea, A. (2020). Auditing differentially private machine learning:
how private is private SGD? NeurIPS 2020.

Nasr, M., Song, S., Thakurta, A., Papernot, N. & Carlini, N. (2021). Adversary instantiation:
lower bounds for differentially private machine learning. IEEE S&P 2021.

Kairouz, P., Oh, S. & Viswanath, P. (2015). The composition theorem for differential privacy.
ICML 2015.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.stats import beta as beta_distribution
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.parallel import Parallel, delayed

from .._sklearn_compat import HasMethods, Interval, validate_params

__all__ = ["AuditResult", "audit_epsilon", "epsilon_lower_bound"]


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def _clopper_pearson_upper(k, n, level):
    """One-sided Clopper–Pearson upper bound on a binomial rate: with probability at least
    ``level``, the true rate is at most the returned value (1 when ``k == n``)."""
    k = np.asarray(k, dtype=np.float64)
    n = np.asarray(n, dtype=np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        upper = beta_distribution.ppf(level, k + 1.0, np.maximum(n - k, 1.0))
    return np.where(k >= n, 1.0, upper)


def _check_counts(errors, total, what):
    errors = np.asarray(errors, dtype=np.float64)
    total = np.asarray(total, dtype=np.float64)
    if not (np.isfinite(errors).all() and np.isfinite(total).all()):
        raise ValueError(f"The {what} counts must be finite.")
    if (total <= 0).any():
        raise ValueError(
            f"The number of {what} trials must be positive: an error rate over zero trials has "
            "no confidence bound."
        )
    if (errors < 0).any() or (errors > total).any():
        raise ValueError(f"The {what} errors must lie between 0 and the number of {what} trials.")
    if (errors != np.round(errors)).any() or (total != np.round(total)).any():
        raise ValueError(f"The {what} counts must be whole numbers.")
    return errors, total


@validate_params(
    {
        "false_positives": [Real, "array-like"],
        "negatives": [Real, "array-like"],
        "false_negatives": [Real, "array-like"],
        "positives": [Real, "array-like"],
        "delta": [Interval(Real, 0, 1, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def epsilon_lower_bound(
    false_positives, negatives, false_negatives, positives, *, delta=0.0, confidence=0.95
):
    """Lower confidence bound on ε from a distinguishing test's error counts.

    A test guessed, for each of ``negatives`` models trained *without* the canary and
    ``positives`` models trained *with* it, whether the canary was there;
    ``false_positives`` of the former and ``false_negatives`` of the latter were guessed
    wrong. With probability at least ``confidence`` over the trainings, every trainer that
    produces such counts spends at least the returned ε for this δ.

    Parameters
    ----------
    false_positives : int or array-like of int
        Models trained without the canary that the test called "with".
    negatives : int or array-like of int
        Models trained without the canary (positive).
    false_negatives : int or array-like of int
        Models trained with the canary that the test called "without".
    positives : int or array-like of int
        Models trained with the canary (positive). Arrays broadcast together.
    delta : float, default=0.0
        The δ of the (ε, δ) guarantee being audited, in ``[0, 1)``.
    confidence : float, default=0.95
        Joint confidence level of the two rate bounds, strictly between 0 and 1.

    Returns
    -------
    epsilon : float or ndarray
        The lower bound, ``>= 0``; a float for scalar input, an array otherwise.

    See Also
    --------
    audit_epsilon : Runs the trainings and the test, and calls this function.

    Notes
    -----
    A mechanism is (ε, δ)-DP only if every test of "the canary is in" against "it is out" has
    false-positive rate α and false-negative rate β with

    .. math::

        \\alpha + e^{\\varepsilon}\\beta \\ge 1 - \\delta
        \\quad\\text{and}\\quad
        \\beta + e^{\\varepsilon}\\alpha \\ge 1 - \\delta

    (Kairouz et al. 2015, Theorem 2.1). Let :math:`\\bar\\alpha` and :math:`\\bar\\beta` be the
    one-sided Clopper–Pearson upper bounds on the two rates, each at level
    :math:`1 - (1 - c)/2` (a Bonferroni split of the confidence :math:`c`, so that both hold
    together with probability at least :math:`c`; a rate with no success left,
    :math:`k = n`, gets the bound 1). Since the two left-hand sides grow with α and β, the
    guarantee then implies

    .. math::

        \\varepsilon \\ge \\max\\left(
        \\log\\frac{1 - \\delta - \\bar\\alpha}{\\bar\\beta},\\;
        \\log\\frac{1 - \\delta - \\bar\\beta}{\\bar\\alpha},\\; 0\\right),

    the bound of Jagielski et al. 2020 (Algorithm 2, its ε_LB with the Clopper–Pearson
    bounds) and Nasr et al. 2021 (Eq. 2); a term whose numerator is not positive counts as
    0. With no error at all out of ``n`` trials per side the bound is
    ``log((1 - δ - u) / u)`` with ``u = 1 - ((1 - c)/2) ** (1/n)``: it grows like
    ``log(n)``, so auditing a large ε needs many trials (about ``3.7 e^ε`` per side at 95%).

    Examples
    --------
    >>> from tabinvert.dp import epsilon_lower_bound
    >>> round(epsilon_lower_bound(0, 50, 0, 50), 3)  # a perfect test on 50 + 50 trainings
    2.57
    >>> round(epsilon_lower_bound(0, 500, 0, 500), 3)  # ten times the trainings
    4.9
    >>> epsilon_lower_bound(25, 50, 25, 50)  # a coin toss proves nothing
    0.0
    >>> epsilon_lower_bound([0, 5, 20], 100, [1, 5, 20], 100, delta=1e-5).round(2)
    array([3.26, 2.06, 0.89])
    """
    scalar = all(np.ndim(a) == 0 for a in (false_positives, negatives, false_negatives, positives))
    fp, neg = _check_counts(false_positives, negatives, "negative")
    fn, pos = _check_counts(false_negatives, positives, "positive")
    try:
        np.broadcast_shapes(fp.shape, neg.shape, fn.shape, pos.shape)
    except ValueError:
        raise ValueError(
            "The four counts do not broadcast together: pass arrays of the same length, or scalars."
        ) from None
    level = 1.0 - (1.0 - confidence) / 2.0  # Bonferroni: half the miss probability per rate
    fpr_upper = _clopper_pearson_upper(fp, neg, level)
    fnr_upper = _clopper_pearson_upper(fn, pos, level)
    epsilon = np.maximum(
        np.maximum(_log_ratio(1.0 - delta - fnr_upper, fpr_upper), 0.0),
        _log_ratio(1.0 - delta - fpr_upper, fnr_upper),
    )
    return float(epsilon) if scalar else epsilon


def _log_ratio(numerator, denominator):
    """``log(numerator / denominator)``, -inf where the numerator is not positive (the
    denominators, Clopper–Pearson upper bounds over at least one trial, are positive)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(numerator > 0, np.log(np.maximum(numerator, 1e-300) / denominator), -np.inf)


def _error_counts(scores_out, scores_in, thresholds):
    """False positives (``out`` scores above each threshold) and false negatives (``in``
    scores at or below it), for the rule "the canary is in when its score is above the
    threshold"; vectorised over ``thresholds``."""
    scores_out, scores_in = np.sort(scores_out), np.sort(scores_in)
    false_positives = len(scores_out) - np.searchsorted(scores_out, thresholds, side="right")
    false_negatives = np.searchsorted(scores_in, thresholds, side="right")
    return false_positives, false_negatives


def _choose_threshold(scores_out, scores_in, *, delta, confidence):
    """The threshold whose ε bound is largest on these scores (the selection half). Among
    ties, the middle one; then halfway to the next score, so that the rule keeps a margin on
    both sides on fresh trials."""
    pooled = np.unique(np.concatenate([scores_out, scores_in]))
    candidates = np.concatenate([[-np.inf], pooled])
    fp, fn = _error_counts(scores_out, scores_in, candidates)
    bounds = epsilon_lower_bound(
        fp, len(scores_out), fn, len(scores_in), delta=delta, confidence=confidence
    )
    best = np.flatnonzero(bounds == bounds.max())
    index = best[len(best) // 2]
    threshold = candidates[index]
    if index + 1 < len(candidates):  # halfway to the next score (no score lies in between)
        upper = candidates[index + 1]
        if np.isfinite(threshold) and np.isfinite(upper):
            threshold = threshold + (upper - threshold) / 2.0
    return float(threshold)


# --------------------------------------------------------------------------------------------
# The harness
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AuditResult:
    """What :func:`audit_epsilon` found.

    Attributes
    ----------
    epsilon_lower_bound : float
        The ε the trainer spends at least, with probability ``confidence`` (from the
        evaluation half of the trials).
    claimed_epsilon : float or None
        The largest ``epsilon_`` the fitted models report (None if they report none).
    delta : float
        The δ used in the bound.
    confidence : float
        Confidence level of the bound.
    threshold : float
        The test: "the canary is in" when its score is above this value (chosen on the
        selection half).
    false_positives, negatives, false_negatives, positives : int
        The error counts on the evaluation half: models trained without the canary called
        "with" out of those trained without it, and models trained with it called "without"
        out of those trained with it.
    fpr_upper, fnr_upper : float
        Their Clopper–Pearson upper bounds (each at level ``1 - (1 - confidence) / 2``).
    n_selection : int
        Trials per side used to choose the threshold (the first ones of each side).
    scores_out, scores_in : ndarray of shape (n_trials,)
        The canary's score under every model trained without and with it, in trial order
        (selection half first).
    """

    epsilon_lower_bound: float
    claimed_epsilon: float | None
    delta: float
    confidence: float
    threshold: float
    false_positives: int
    negatives: int
    false_negatives: int
    positives: int
    fpr_upper: float
    fnr_upper: float
    n_selection: int
    scores_out: np.ndarray = field(repr=False, compare=False)
    scores_in: np.ndarray = field(repr=False, compare=False)

    @property
    def fpr(self):
        """Observed false-positive rate on the evaluation half."""
        return self.false_positives / self.negatives

    @property
    def fnr(self):
        """Observed false-negative rate on the evaluation half."""
        return self.false_negatives / self.positives

    @property
    def epsilon_ceiling(self):
        """The largest bound these trial counts can give: that of a test without error. An
        audit can refute a claimed ε only if this is above it."""
        return epsilon_lower_bound(
            0, self.negatives, 0, self.positives, delta=self.delta, confidence=self.confidence
        )

    @property
    def refutes_claim(self):
        """True when the lower bound exceeds the claimed ε: the claim is false (with the
        stated confidence). None when the models claim no ε."""
        if self.claimed_epsilon is None:
            return None
        return bool(self.epsilon_lower_bound > self.claimed_epsilon)


def _canary_score(model, x_canary, y_canary):
    """The default test statistic: higher means "the canary looks trained on". For a
    classifier, the log-odds of the canary's label (``log p − log(1 − p)``: a decreasing
    function of the canary's log-loss that does not round to 0 as ``p`` nears 1); for a
    regressor, minus its absolute error."""
    if hasattr(model, "predict_proba") and hasattr(model, "classes_"):
        classes = list(np.asarray(model.classes_).tolist())
        proba = np.asarray(model.predict_proba(x_canary), dtype=np.float64)[0]
        p = proba[classes.index(y_canary)] if y_canary in classes else 0.0
        with np.errstate(divide="ignore"):
            return float(np.log(p) - np.log1p(-p)) if np.isfinite(p) else np.nan
    prediction = np.asarray(model.predict(x_canary), dtype=np.float64).ravel()[0]
    return float(-abs(prediction - float(y_canary)))


def _fit_and_score(estimator, seed, X, y, x_canary, y_canary, score, x_reference):
    """One training: the model from ``estimator`` with ``seed``, fitted on ``(X, y)``; returns
    the canary's score (minus the reference's, if any; NaN becomes -inf: a diverged model
    "looks out") and the model's claimed ``(epsilon_, delta_)``."""
    if hasattr(estimator, "fit"):
        model = clone(estimator).set_params(random_state=seed)
    else:
        model = estimator(seed)
    model.fit(X, y)
    value = float(score(model, x_canary, y_canary))
    if x_reference is not None:
        value -= float(score(model, x_reference, y_canary))
    if np.isnan(value):
        value = -np.inf
    return value, getattr(model, "epsilon_", None), getattr(model, "delta_", None)


def _one_row(X, x, what):
    """The record ``x`` as a one-row X in ``X``'s format (DataFrame or 2-D array)."""
    if isinstance(X, pd.DataFrame):
        if isinstance(x, pd.DataFrame):
            row = x
        elif isinstance(x, (pd.Series, dict)):
            row = pd.DataFrame([dict(x)])
        else:
            values = np.asarray(x, dtype=object).ravel()
            if values.size != X.shape[1]:
                raise ValueError(
                    f"The {what} has {values.size} features; X has {X.shape[1]} columns."
                )
            row = pd.DataFrame([values], columns=X.columns)
        if len(row) != 1:
            raise ValueError(f"The {what} must be one record; got {len(row)} rows.")
        missing = [c for c in X.columns if c not in row.columns]
        if missing:
            raise ValueError(f"The {what} lacks the column(s) {missing} of X.")
        row = row[list(X.columns)].reset_index(drop=True)
        for column in X.columns:  # X's dtype where it holds the value (not a new category)
            dtype = X[column].dtype
            if isinstance(dtype, pd.CategoricalDtype) and not (
                row[column].dropna().isin(dtype.categories).all()
            ):
                continue
            try:
                cast = row[column].astype(dtype)
            except (TypeError, ValueError):
                continue
            if cast.isna().equals(row[column].isna()) and bool((cast == row[column]).all()):
                row[column] = cast
        return row
    X = np.asarray(X)
    row = np.asarray(x, dtype=X.dtype if X.dtype != object else None).reshape(1, -1)
    if X.ndim != 2 or row.shape[1] != X.shape[1]:
        raise ValueError(
            f"The {what} has {row.shape[1]} features; X has "
            f"{X.shape[1] if X.ndim == 2 else 'no 2-D shape and no'} columns."
        )
    return row


def _with_canary(X, y, row, y_canary):
    """``(X + canary row, y + canary label)``."""
    if isinstance(X, pd.DataFrame):
        X_in = pd.concat([X, row], ignore_index=True)
    else:
        X_in = np.vstack([np.asarray(X), row])
    # The common type of y and the label (a longer string, a new category, a float target).
    if isinstance(y, pd.Series):
        y_in = pd.concat([y, pd.Series([y_canary], name=y.name)], ignore_index=True)
    else:
        y = np.asarray(y)
        label = np.asarray([y_canary], dtype=object if y.dtype == object else None)
        y_in = np.concatenate([y, label])
    return X_in, y_in


@validate_params(
    {
        "estimator": [HasMethods(["fit"]), callable],
        "X": ["array-like"],
        "y": ["array-like"],
        "canary": [tuple],
        "n_trials": [Interval(Integral, 2, None, closed="left")],
        "score": [callable, None],
        "reference": "no_validation",
        "selection_fraction": [Interval(Real, 0, 1, closed="neither")],
        "delta": [Interval(Real, 0, 1, closed="left"), None],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def audit_epsilon(
    estimator,
    X,
    y,
    canary,
    *,
    n_trials=100,
    score=None,
    reference=None,
    selection_fraction=0.5,
    delta=None,
    confidence=0.95,
    n_jobs=None,
    random_state=None,
):
    """Audit a private trainer: a lower confidence bound on the ε it spends on one record.

    Trains ``n_trials`` models on ``(X, y)`` and ``n_trials`` on ``(X, y)`` plus the canary
    record, each with its own seed (all drawn up front from ``random_state``), and scores the
    canary under each model. The first ``selection_fraction`` of each side's trials choose
    the threshold of the test "the canary is in when its score is above the threshold"; the
    other trials count the test's errors, and :func:`epsilon_lower_bound` turns the counts into
    the bound. Choosing the threshold on trials that the bound does not use keeps the
    Clopper–Pearson intervals valid.

    Parameters
    ----------
    estimator : estimator or callable
        The trainer. An estimator with a ``random_state`` parameter is cloned and given each
        trial's seed; a callable is called as ``estimator(seed)`` and must return an unfitted
        estimator.
    X : array-like or DataFrame of shape (n_samples, n_features)
        The dataset ``D`` without the canary.
    y : array-like of shape (n_samples,)
        Its labels (or targets).
    canary : tuple ``(x, label)``
        The record added to ``D``: ``x`` has the features of one row of ``X`` (array-like of
        shape (n_features,), or a dict, Series or one-row DataFrame when ``X`` is a
        DataFrame), ``label`` its label. The strongest canaries sit where no record of ``D``
        does (a feature ``D`` never uses, at the edge of the feature bounds) with a label the
        model would not otherwise give them.
    n_trials : int, default=100
        Trainings per side (``2 * n_trials`` in all). The bound cannot exceed
        ``epsilon_lower_bound(0, m, 0, m)`` with ``m`` the evaluation trials per side: about
        2.6 for ``m = 50``, 3.3 for 100, 4.9 for 500.
    score : callable, default=None
        ``score(fitted_model, x_canary, label) -> float``, higher when the canary looks
        trained on (``x_canary`` is a one-row X). By default, for a classifier the log-odds
        of the canary's label (a decreasing function of its log-loss), for a regressor minus
        its absolute error. A NaN score (a diverged model) counts as ``-inf``.
    reference : array-like, dict, Series or one-row DataFrame, default=None
        A second record, in the canary's format, whose score (with the canary's label) is
        subtracted from the canary's under every model. It cancels what moves both records
        from one training to the next and has nothing to do with the canary (the intercept,
        the drift of the other records' gradients): the canary with its distinctive features
        set to values ``D`` has is a good choice. The test is then on the difference of two
        queries of the same model, for a linear model ``w · (x_canary - x_reference)``.
    selection_fraction : float, default=0.5
        Share of each side's trials that choose the threshold; at least one trial per side
        goes to each half.
    delta : float, default=None
        The δ of the guarantee audited; by default the largest ``delta_`` the fitted models
        report, or 0.
    confidence : float, default=0.95
        Confidence level of the bound.
    n_jobs : int, default=None
        Trainings run in parallel (joblib; None means 1 unless in a
        :func:`joblib.parallel_config` context).
    random_state : int, RandomState instance or None, default=None
        Draws the trials' seeds.

    Returns
    -------
    AuditResult
        The bound, the claimed ε, the chosen threshold, the error counts and their upper
        bounds on the evaluation half, and every score.

    See Also
    --------
    epsilon_lower_bound : The statistics.

    Notes
    -----
    The bound holds, with the stated confidence, for the trainer as called here: any fixed
    test gives a valid bound, however weak; a weak test or too few trials give a small bound
    that says nothing about the claim being tight. What makes an audit worth its cost is a
    check that it can fail: break the trainer on purpose (no noise, no clipping) and confirm
    that the same audit then reports a bound above the claimed ε.

    The adjacency audited is adding or removing one record. ``D`` and ``D`` plus the canary
    differ in size by one, so a trainer that derives its sampling rate, noise or δ from the
    number of records (as :class:`~tabinvert.dp.DPSGDClassifier` does) runs with slightly different
    settings on the two sides: its guarantee treats that number as public, and so does the
    audit. The bound is about the released model only (a black-box or white-box look at the
    final weights); DP-SGD's accounting also covers every intermediate step, so an honest
    trainer's bound usually stays well below its ε.

    Examples
    --------
    The second feature is 0 in every record of ``D``; the canary sets it to its upper bound
    and the reference is the canary without it, so the test reads the weight that only the
    canary moves.

    >>> import numpy as np
    >>> from tabinvert.dp import DPSGDClassifier, audit_epsilon
    >>> rng = np.random.default_rng(0)
    >>> X = np.column_stack([rng.uniform(-1, 1, 100), np.zeros(100)])
    >>> y = (X[:, 0] > 0).astype(int)
    >>> model = DPSGDClassifier(
    ...     epsilon=1.0, clip_norm=0.1, epochs=6, batch_size=20, bounds=(-1, 1), classes=[0, 1]
    ... )
    >>> canary, reference = ([0.0, 1.0], 1), [0.0, 0.0]
    >>> honest = audit_epsilon(model, X, y, canary, reference=reference, n_trials=40,
    ...                        random_state=0)
    >>> honest.epsilon_lower_bound < honest.claimed_epsilon < honest.epsilon_ceiling
    True

    The same audit of a trainer that forgets its noise (and still reports ε = 1):

    >>> class NoNoise(DPSGDClassifier):
    ...     def _noise_std(self):
    ...         return 0.0
    >>> broken = audit_epsilon(NoNoise(**model.get_params()), X, y, canary,
    ...                        reference=reference, n_trials=40, random_state=0)
    >>> broken.false_positives, broken.false_negatives, round(broken.epsilon_lower_bound, 2)
    (0, 0, 1.6)
    """
    if not (isinstance(canary, tuple) and len(canary) == 2):
        raise ValueError("canary must be a tuple (x, label): the record's features and label.")
    if hasattr(estimator, "fit") and "random_state" not in estimator.get_params():
        raise ValueError(
            "The estimator has no random_state parameter: pass a callable seed -> estimator "
            "instead, so that every training gets its own seed."
        )
    n_selection = int(np.floor(selection_fraction * n_trials + 1e-9))  # 0.29 * 100 is 29
    if not 1 <= n_selection <= n_trials - 1:
        raise ValueError(
            f"selection_fraction={selection_fraction} leaves no trial for the threshold or "
            f"none for the bound out of n_trials={n_trials}; choose a fraction between "
            f"{1 / n_trials:.3g} and {1 - 1 / n_trials:.3g}, or more trials."
        )
    x_canary, y_canary = canary
    x_row = _one_row(X, x_canary, "canary")
    x_reference = None if reference is None else _one_row(X, reference, "reference")
    X_in, y_in = _with_canary(X, y, x_row, y_canary)
    if isinstance(X, pd.DataFrame):
        X_out, y_out = X, y
    else:
        X_out, y_out = np.asarray(X), np.asarray(y)
    if isinstance(y_canary, np.generic):
        y_canary = y_canary.item()
    score = _canary_score if score is None else score

    seeds = check_random_state(random_state).randint(np.iinfo(np.int32).max, size=(2, n_trials))
    jobs = [(X_out, y_out, seed) for seed in seeds[0]] + [(X_in, y_in, seed) for seed in seeds[1]]
    outcomes = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_score)(estimator, int(seed), X_, y_, x_row, y_canary, score, x_reference)
        for X_, y_, seed in jobs
    )
    scores = np.array([outcome[0] for outcome in outcomes], dtype=np.float64)
    scores_out, scores_in = scores[:n_trials], scores[n_trials:]
    claimed = [outcome[1] for outcome in outcomes if outcome[1] is not None]
    claimed_epsilon = float(max(claimed)) if claimed else None
    if delta is None:
        reported = [outcome[2] for outcome in outcomes if outcome[2] is not None]
        delta = float(max(reported)) if reported else 0.0

    threshold = _choose_threshold(
        scores_out[:n_selection], scores_in[:n_selection], delta=delta, confidence=confidence
    )
    evaluation_out, evaluation_in = scores_out[n_selection:], scores_in[n_selection:]
    fp, fn = _error_counts(evaluation_out, evaluation_in, np.array([threshold]))
    fp, fn = int(fp[0]), int(fn[0])
    negatives, positives = len(evaluation_out), len(evaluation_in)
    level = 1.0 - (1.0 - confidence) / 2.0
    return AuditResult(
        epsilon_lower_bound=epsilon_lower_bound(
            fp, negatives, fn, positives, delta=delta, confidence=confidence
        ),
        claimed_epsilon=claimed_epsilon,
        delta=float(delta),
        confidence=float(confidence),
        threshold=threshold,
        false_positives=fp,
        negatives=negatives,
        false_negatives=fn,
        positives=positives,
        fpr_upper=float(_clopper_pearson_upper(fp, negatives, level)),
        fnr_upper=float(_clopper_pearson_upper(fn, positives, level)),
        n_selection=n_selection,
        scores_out=scores_out,
        scores_in=scores_in,
    )

"""Output-perturbation defenses as stateless scikit-learn transformers.

Each defense maps a model's output matrix to a perturbed matrix of the same shape, one row at a
time, so it can sit behind ``predict_proba`` (probability defenses) or ``predict`` (prediction
defenses) of a deployed model. They learn nothing: ``fit`` only records the number (and names)
of the columns, and ``transform`` also works without it.

========================  =======================================  ===============  ============
defense                   what a row becomes                       rows sum to 1    arg-max
========================  =======================================  ===============  ============
``RoundProbabilities``    each value rounded (decimals or grid)    if renormalised  kept
``CoarsenProbabilities``  each value's bin midpoint                no               kept
``TopK``                  the k largest values, others 0           if renormalised  kept
``LabelOnly``             one-hot of the arg-max                   yes              kept
``ConfidenceThreshold``   values below a cutoff to 0, max kept     if renormalised  kept
``GaussianNoise``         plus per-record noise, renormalised      yes              no
``ReverseSigmoid``        Lee et al. 2019 perturbation             yes              if β·γ small
``RoundPredictions``      regressor outputs on a grid              n/a              n/a
``NoisePredictions``      regressor outputs plus per-record noise  n/a              n/a
========================  =======================================  ===============  ============

"rows sum to 1" and "arg-max kept" are machine-readable as each instance's ``keeps_row_sums``
and ``keeps_argmax``. Arg-max kept is a weak, tie-tolerant promise: the input's first
arg-max is among the output's maximal positions (rounding can create ties, never reverse an
order).

Input rules, shared by all probability defenses:

* The input is an ``(n, k)`` matrix of finite, non-negative scores, normally rows of
  ``predict_proba``. NaN or infinity raise ``ValueError``, and so do negative values (decision
  scores or log-probabilities: turn them into probabilities first, e.g. with
  :func:`scipy.special.softmax`). Rows need not sum to 1, and values above 1 are accepted, as
  scikit-learn's estimator checks require; each class says what it does with them.
* A single column (``k = 1``) is read as the positive-class probability ``p`` of a binary
  model: the defense is applied to the two-column row ``(p, 1 - p)`` (``1 - p`` floored at 0)
  and returns the first column, so :class:`LabelOnly` thresholds at ½ instead of returning 1
  everywhere. Both promises then refer to that two-column row.
* A 1-D array is refused (scikit-learn transformers take 2-D input); pass ``y.reshape(-1, 1)``.

Prediction defenses take any finite ``(n, n_outputs)`` matrix of predictions.

Noise is *per record* by default: a deterministic function of the key (``random_state``) and
of the input row, read at a resolution of 2**-32 (about 2e-10: absolute for probabilities,
relative for predictions), so repeating a query returns the same answer and averaging repeated
queries cannot remove the noise. Exact float64 bytes would not do: a model's output for one
record can differ in the last bit with the batch it is computed in (scikit-learn's
``LogisticRegression.predict_proba`` does, through BLAS), which would hand out fresh noise to
anyone who varies the batch. ART's ``GaussianNoise`` draws fresh noise per call, which an
attacker averages away (see the research notes, ``art.md`` §3).
"""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
from scipy.special import expit, logit, ndtri
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_array, check_is_fitted, validate_data
from .._sklearn_compat import _check_feature_names_in, _fit_context, Interval

__all__ = [
    "CoarsenProbabilities",
    "ConfidenceThreshold",
    "GaussianNoise",
    "LabelOnly",
    "NoisePredictions",
    "ReverseSigmoid",
    "RoundPredictions",
    "RoundProbabilities",
    "TopK",
]

# --------------------------------------------------------------------------------------------
# Shared helpers
# --------------------------------------------------------------------------------------------

#: Lee et al. (and ART) clip probabilities to [c, 1 - c] before taking their logit.
REVERSE_SIGMOID_CLIP = 1e-9

#: Per-record noise reads each value at this resolution: 2**-32 absolute (probabilities) or
#: relative (predictions, by keeping 32 of the 52 mantissa bits).
HASH_RESOLUTION_BITS = 32

#: ``RoundProbabilities(decimals=d)`` rounds with ``min(d, MAX_DECIMALS)``: ``10**d`` overflows
#: float64 beyond it (numpy would return NaN), and finer decimals change only subnormal values.
MAX_DECIMALS = 308

#: ``CoarsenProbabilities(n_bins=n)`` uses ``min(n, MAX_BINS)`` bins: finer bins than float64's
#: resolution near 1 change nothing, and larger Python ints do not convert to float.
MAX_BINS = 2**52

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment (2**64 / golden ratio)
_OUTPUT_SALT = np.uint64(0xD1B54A32D192ED03)  # separates the row hash from the noise lanes


def _mix64(z):
    """splitmix64's finaliser on a uint64 array: a bijection that scrambles every bit.

    numpy's uint64 arithmetic wraps modulo 2**64, which is exactly what the hash needs.
    """
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def _noise_key(random_state):
    """The 64-bit key of per-record noise, derived from ``random_state`` without consuming it.

    ``None`` is the key 0 (the same noise as ``random_state=0``); an integer is itself; a
    ``RandomState`` gives one draw from a *copy*, so the caller's generator is not advanced and
    repeated transforms agree.
    """
    if random_state is None:
        return 0
    if isinstance(random_state, Integral):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(copy.deepcopy(random_state).randint(0, 2**63, dtype=np.int64))
    raise ValueError(f"random_state must be None, an int or a RandomState; got {random_state!r}.")


def _hash_words(values, relative):
    """One uint64 word per value: the value rounded to the hash resolution.

    Values one float64 rounding apart (the same record computed in another batch) give the
    same word unless they straddle a rounding boundary, which happens for a share of about
    2**-32 / spacing of the values (2**-31 for 1-ulp differences near 1/2).
    """
    if relative:  # round the mantissa to its top HASH_RESOLUTION_BITS bits
        words = np.ascontiguousarray(values + 0.0, dtype=np.float64).view(np.uint64)
        dropped = np.uint64(52 - HASH_RESOLUTION_BITS)
        return (words + (np.uint64(1) << (dropped - np.uint64(1)))) >> dropped
    with np.errstate(over="ignore"):  # huge scores overflow to inf: still a valid key
        grid = np.rint(values * 2.0**HASH_RESOLUTION_BITS) + 0.0
    return np.ascontiguousarray(grid, dtype=np.float64).view(np.uint64)


def _per_record_normals(values, key, *, relative=False):
    """Standard normal noise that is a deterministic function of ``key`` and each row.

    Each row's values, rounded to 2**-32 (absolute, or relative with ``relative=True``), are
    hashed (splitmix64, one lane key per column, summed, mixed again); the row hash then gives
    one 52-bit uniform in (0, 1) per column, mapped to a normal through the inverse normal
    CDF. The same row gets the same noise in any batch and at any position, and so does a row
    that differs only by floating-point rounding. ``-0.0`` is read as ``0.0``.

    Parameters
    ----------
    values : ndarray of shape (n, k), float64
    key : int
    relative : bool, default=False
        Round relative to each value's magnitude (for predictions of any scale).

    Returns
    -------
    ndarray of shape (n, k)

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses._transformers import _per_record_normals
    >>> rows = np.array([[0.2, 0.8], [0.7, 0.3], [0.2, 0.8], [0.2, np.nextafter(0.8, 1)]])
    >>> noise = _per_record_normals(rows, key=0)
    >>> bool((noise[0] == noise[2]).all()), bool((noise[0] == noise[3]).all())
    (True, True)
    >>> bool((noise[0] == noise[1]).any())
    False
    """
    n_columns = values.shape[1]
    words = _hash_words(values, relative)
    key = np.uint64(key % 2**64)
    with np.errstate(over="ignore"):
        lanes = np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN_GAMMA
        lane_keys = _mix64(key + lanes)
        row_hash = _mix64(words ^ lane_keys).sum(axis=1, dtype=np.uint64)
        row_hash = _mix64(row_hash ^ _mix64(key ^ _OUTPUT_SALT))
        bits = _mix64(row_hash[:, None] + _mix64(lane_keys ^ _OUTPUT_SALT)) >> np.uint64(12)
    # 52 bits: (bits + 0.5) / 2**52 is exact and lies in [2**-53, 1 - 2**-53], never 0 or 1.
    uniforms = (bits.astype(np.float64) + 0.5) * 2.0**-52
    return ndtri(uniforms)


def _standard_normals(values, random_state, per_record, relative=False):
    """Standard normals shaped like ``values``: per record, or fresh from ``random_state``."""
    if per_record:
        return _per_record_normals(values, _noise_key(random_state), relative=relative)
    return check_random_state(random_state).standard_normal(values.shape)


def _normalize_rows(values, *, empty_rows):
    """Divide each row by its sum; a row summing to 0 becomes uniform or stays all zero.

    ``empty_rows="uniform"`` (1/k each) is for defenses whose perturbation emptied a row: it
    carries no information about the input and keeps both promises (a uniform row ties every
    position). ``empty_rows="keep"`` leaves an all-zero row (only an all-zero input gives one).
    """
    sums = values.sum(axis=1, keepdims=True)
    has_mass = sums > 0
    out = np.divide(values, sums, out=np.zeros_like(values), where=has_mass)
    if empty_rows == "uniform":
        out[~has_mass[:, 0]] = 1.0 / values.shape[1]
    return out


def _first_argmax_onehot(values):
    """One-hot of each row's first arg-max (one 1 per row, whatever the batch)."""
    out = np.zeros_like(values)
    out[np.arange(values.shape[0]), values.argmax(axis=1)] = 1.0
    return out


def _round_to_grid(values, step):
    """``round(values / step) * step`` without overflow.

    Where ``values / step`` overflows, the grid is finer than float64's resolution at that
    value, so the value is already on it and is returned as is; where rounding *up* would
    overflow (a grid point past the largest float), the grid point toward zero is used.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        quotient = values / step
        rounded = np.round(quotient) * step
        toward_zero = np.trunc(quotient) * step
    rounded = np.where(np.isfinite(rounded), rounded, toward_zero)
    return np.where(np.isfinite(quotient), rounded, values)


# --------------------------------------------------------------------------------------------
# Base classes
# --------------------------------------------------------------------------------------------


class _OutputDefense(TransformerMixin, BaseEstimator):
    """Shared plumbing of the output defenses (not for direct use).

    Subclasses implement ``_perturb`` on a validated float64 matrix and return a new array.
    """

    _parameter_constraints: dict = {}

    #: Whether the input must be non-negative scores (probability defenses).
    _requires_non_negative = False

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the parameters and record the number (and names) of the columns.

        The defense learns nothing else; ``transform`` works without ``fit``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns)
            Model outputs, e.g. ``predict_proba(X)`` (columns named after the classes).
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._check_params()
        self._check_values(self._validated(X, reset=True))
        return self

    def transform(self, X):
        """Perturb each row of ``X``.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_columns)
            Model outputs, in the columns seen in ``fit`` (if fitted).

        Returns
        -------
        ndarray of shape (n_samples, n_columns), float64
            A new array; ``X`` is never modified.
        """
        check_is_fitted(self)
        self._validate_params()  # transform may be called without fit
        self._check_params()
        values = self._validated(X, reset=False)
        self._check_values(values)
        with np.errstate(over="ignore", invalid="ignore"):  # overflow is refused just below
            out = self._perturb_matrix(values)
        return self._checked_output(out)

    def get_feature_names_out(self, input_features=None):
        """Output column names: the input's (e.g. the class names).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Input column names; by default those seen in ``fit`` (or ``x0, x1, ...``), so
            without ``input_features`` this needs ``fit``, and so does
            ``set_output(transform="pandas")``, which names its columns with it.

        Returns
        -------
        ndarray of str objects
        """
        if input_features is None:
            check_is_fitted(self, "n_features_in_")
        return _check_feature_names_in(self, input_features)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # stateless: transform needs nothing learned
        tags.input_tags.positive_only = self._requires_non_negative
        tags.transformer_tags.preserves_dtype = ["float64"]
        return tags

    # -- input and output checks ---------------------------------------------------------------
    def _validated(self, X, *, reset):
        """``X`` as a float64 matrix, checked (and its columns recorded when ``reset``)."""
        kwargs = self._check_array_kwargs()
        try:
            if reset:
                return validate_data(self, X, **kwargs)
            if hasattr(self, "n_features_in_"):
                return validate_data(self, X, reset=False, **kwargs)
            # Stateless use: no columns to compare with (and no "fitted without names" warning).
            return check_array(X, estimator=self, **kwargs)
        except ValueError as exc:
            if "could not convert" not in str(exc):
                raise
            # numpy's message names the value but not who refused it, nor what it expects.
            raise ValueError(
                f"{type(self).__name__} takes a numeric matrix of model outputs (e.g. "
                f"predict_proba's); {exc}. Pass the model's scores, not its labels or text."
            ) from exc

    def _checked_output(self, out):
        """Refuse to return NaN or infinity: a defense's answer must stay a usable output."""
        finite = np.isfinite(out)
        if not finite.all():
            rows = np.flatnonzero(~finite.all(axis=1))
            raise ValueError(
                f"{self!r} produced non-finite values for {rows.size} row(s) (first: row "
                f"{rows[0]}): its parameters overflow float64 on these inputs. Use a smaller "
                "scale or step for outputs of this magnitude."
            )
        return out

    # -- hooks ---------------------------------------------------------------------------------
    @staticmethod
    def _check_array_kwargs():
        return dict(dtype=np.float64, ensure_all_finite=True, ensure_2d=True)

    def _check_params(self):
        """Checks beyond ``_parameter_constraints`` (subclass hook)."""

    def _check_values(self, values):
        if self._requires_non_negative and values.size and values.min() < 0:
            rows, _ = np.nonzero(values < 0)
            raise ValueError(
                f"Negative values in data passed to {type(self).__name__}: "
                f"{np.unique(rows).size} row(s) (first: row {rows[0]}) have negative entries. "
                "A probability defense takes non-negative scores such as predict_proba's "
                "output; turn decision_function scores or log-probabilities into "
                "probabilities first (e.g. scipy.special.softmax(scores, axis=1))."
            )

    def _perturb_matrix(self, values):
        return self._perturb(values)

    def _perturb(self, values):  # pragma: no cover - abstract
        raise NotImplementedError


class _ProbabilityDefense(_OutputDefense):
    """Base of the defenses over ``(n, n_classes)`` probability matrices (not for direct use)."""

    _requires_non_negative = True

    def _perturb_matrix(self, values):
        if values.shape[1] == 1:  # a binary model's positive-class probability p
            pair = np.hstack([values, np.clip(1.0 - values, 0.0, None)])
            return self._perturb(pair)[:, :1]
        return self._perturb(values)


class _PredictionDefense(_OutputDefense):
    """Base of the defenses over a regressor's ``(n, n_outputs)`` predictions (not for direct
    use). Both promises are about probability rows and do not apply: they are False."""

    @property
    def keeps_row_sums(self):
        """False: predictions are not probability rows (not applicable)."""
        return False

    @property
    def keeps_argmax(self):
        """False: predictions are not probability rows (not applicable)."""
        return False


# --------------------------------------------------------------------------------------------
# Probability defenses
# --------------------------------------------------------------------------------------------


class RoundProbabilities(_ProbabilityDefense):
    """Round each probability to a number of decimals or onto a grid (Fredrikson et al. 2015).

    Coarse confidences create ties between an attacker's candidate queries, which is what blunts
    confidence-based attribute inference. Unlike ART's ``Rounded``, 0 decimals and arbitrary
    grids (``step=0.05``) are allowed.

    Parameters
    ----------
    decimals : int, default=1
        Round to this many decimals (0 allowed). Ignored when ``step`` is given. Values above
        308 act as 308 (float64's range; only subnormal values could differ).
    step : float in (0, 1], default=None
        Round onto the grid ``0, step, 2·step, ...`` instead: ``round(p / step) * step``.
    renormalize : bool, default=False
        Divide each rounded row by its sum. A row that rounds to all zeros (every value below
        half a step) becomes uniform, 1/k per column, so it never turns into NaN.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    CoarsenProbabilities : report each value's bin instead of its rounded value.

    Notes
    -----
    Rounding is half-to-even (numpy's rule), so an exact half such as 0.25 at one decimal goes
    to 0.2. Outputs are clipped to [0, 1]: a grid whose last point overshoots 1 (``step=0.4``
    rounds 1 to 1.2) reports 1, and scores above 1 become 1.

    Guarantees. Rows sum to 1 (``keeps_row_sums``) only when ``renormalize=True``; without it
    ``(1/3, 1/3, 1/3)`` rounds to ``(0.3, 0.3, 0.3)``. The arg-max is kept
    (``keeps_argmax`` is True): rounding, clipping and dividing by a positive row sum never
    reverse the order of two values, they can only tie them; a uniform fallback row ties all.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import RoundProbabilities
    >>> proba = np.array([[0.62, 0.38], [0.141, 0.859]])
    >>> RoundProbabilities(decimals=1).fit_transform(proba).tolist()
    [[0.6, 0.4], [0.1, 0.9]]
    >>> RoundProbabilities(step=0.25).fit_transform(proba).tolist()
    [[0.5, 0.5], [0.25, 0.75]]
    >>> RoundProbabilities(decimals=0).fit_transform(proba).tolist()
    [[1.0, 0.0], [0.0, 1.0]]
    """

    _parameter_constraints: dict = {
        "decimals": [Interval(Integral, 0, None, closed="left")],
        "step": [Interval(Real, 0, 1, closed="right"), None],
        "renormalize": ["boolean"],
    }

    def __init__(self, decimals=1, step=None, renormalize=False):
        self.decimals = decimals
        self.step = step
        self.renormalize = renormalize

    @property
    def keeps_row_sums(self):
        """Whether output rows sum to 1 whenever input rows do: iff ``renormalize``."""
        return bool(self.renormalize)

    @property
    def keeps_argmax(self):
        """True: rounding is monotone, so the arg-max stays among the maxima."""
        return True

    def _perturb(self, values):
        if self.step is None:
            with np.errstate(over="ignore"):  # scores far above 1 overflow: clipped to 1 below
                rounded = np.round(values, min(int(self.decimals), MAX_DECIMALS))
        else:
            rounded = _round_to_grid(values, self.step)
        rounded = np.clip(rounded, 0.0, 1.0)
        if self.renormalize:
            return _normalize_rows(rounded, empty_rows="uniform")
        return rounded


class CoarsenProbabilities(_ProbabilityDefense):
    """Report, for each probability, the midpoint of the bin it falls in.

    Parameters
    ----------
    n_bins : int, default=10
        Number of equal-width bins on [0, 1]; value ``p`` falls in bin
        ``min(floor(p · n_bins), n_bins - 1)``. Ignored when ``bins`` is given. Values above
        2**52 act as 2**52 (bins finer than float64's resolution near 1).
    bins : array-like of float, default=None
        Strictly increasing bin edges in [0, 1] (at least two), e.g. ``[0, 0.5, 0.9, 1]``.
        Bins are ``[edge_i, edge_i+1)``, the last one closed; values outside the edges go to
        the first or last bin.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    RoundProbabilities : round onto a grid (whose points, not midpoints, are reported).

    Notes
    -----
    A value on an edge (up to floating-point rounding of ``p · n_bins``) may go to either
    neighbouring bin. Zeros are reported as the first midpoint (0.05 with 10 bins), so a
    confident one-hot row is not reported as one-hot; scores above 1 go to the last bin.

    Guarantees. Rows do not sum to 1 (``keeps_row_sums`` is False): ``(0.5, 0.5)`` becomes
    ``(0.55, 0.55)`` with 10 bins. The arg-max is kept (``keeps_argmax`` is True): the bin
    index and its midpoint are non-decreasing in the value, so orders can only tie.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import CoarsenProbabilities
    >>> proba = np.array([[0.62, 0.38], [0.04, 0.96]])
    >>> CoarsenProbabilities(n_bins=5).fit_transform(proba).tolist()
    [[0.7, 0.3], [0.1, 0.9]]
    >>> CoarsenProbabilities(bins=[0, 0.5, 0.9, 1]).fit_transform(proba).tolist()
    [[0.7, 0.25], [0.25, 0.95]]
    """

    _parameter_constraints: dict = {
        "n_bins": [Interval(Integral, 1, None, closed="left")],
        "bins": ["array-like", None],
    }

    def __init__(self, n_bins=10, bins=None):
        self.n_bins = n_bins
        self.bins = bins

    @property
    def keeps_row_sums(self):
        """False: bin midpoints need not sum to 1."""
        return False

    @property
    def keeps_argmax(self):
        """True: the reported midpoint is non-decreasing in the value."""
        return True

    def _bin_edges(self):
        try:
            edges = np.asarray(self.bins, dtype=np.float64)
        except (TypeError, ValueError):  # text or ragged edges: the message below says it all
            edges = np.empty(0)
        if (
            edges.ndim != 1
            or edges.size < 2
            or not np.all(np.isfinite(edges))
            or np.any(np.diff(edges) <= 0)
            or edges[0] < 0
            or edges[-1] > 1
        ):
            raise ValueError(
                "bins must be at least two strictly increasing edges in [0, 1], e.g. "
                f"[0, 0.5, 0.9, 1]; got {self.bins!r}. Use n_bins for equal-width bins."
            )
        return edges

    def _check_params(self):
        if self.bins is not None:
            self._bin_edges()

    def _perturb(self, values):
        if self.bins is None:
            # Clipping first keeps p · n_bins finite for any score.
            n_bins = float(min(int(self.n_bins), MAX_BINS))
            index = np.clip(np.floor(np.clip(values, 0.0, 1.0) * n_bins), 0, n_bins - 1)
            return (index + 0.5) / n_bins
        edges = self._bin_edges()
        index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, edges.size - 2)
        return ((edges[:-1] + edges[1:]) / 2)[index]


class TopK(_ProbabilityDefense):
    """Keep the k largest probabilities of each row and set the others to 0.

    Parameters
    ----------
    k : int, default=1
        Number of values kept per row (all of them if a row has no more than k). Exactly k
        positions are kept; among tied values the lowest column index goes first.
    renormalize : bool, default=False
        Divide the kept values by their sum. An all-zero input row stays all zero.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    ConfidenceThreshold : keep the values above a cutoff instead of a fixed number.
    LabelOnly : keep only the label.

    Notes
    -----
    Guarantees. Rows sum to 1 (``keeps_row_sums``) only when ``renormalize=True``; without it
    ``(0.5, 0.3, 0.2)`` becomes ``(0.5, 0, 0)``. The arg-max is kept (``keeps_argmax`` is
    True): the first arg-max is always kept, with its value (or that value divided by the
    row's positive kept sum), and every other output is smaller or zero.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import TopK
    >>> proba = np.array([[0.5, 0.3, 0.2], [0.25, 0.25, 0.5]])
    >>> TopK(k=2).fit_transform(proba).tolist()
    [[0.5, 0.3, 0.0], [0.25, 0.0, 0.5]]
    >>> TopK(k=1, renormalize=True).fit_transform(proba).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    """

    _parameter_constraints: dict = {
        "k": [Interval(Integral, 1, None, closed="left")],
        "renormalize": ["boolean"],
    }

    def __init__(self, k=1, renormalize=False):
        self.k = k
        self.renormalize = renormalize

    @property
    def keeps_row_sums(self):
        """Whether output rows sum to 1 whenever input rows do: iff ``renormalize``."""
        return bool(self.renormalize)

    @property
    def keeps_argmax(self):
        """True: the first arg-max is always among the kept values."""
        return True

    def _perturb(self, values):
        n_kept = min(int(self.k), values.shape[1])
        # A stable sort of the negated values orders ties by column index.
        kept_columns = np.argsort(-values, axis=1, kind="stable")[:, :n_kept]
        keep = np.zeros(values.shape, dtype=bool)
        np.put_along_axis(keep, kept_columns, True, axis=1)
        kept = np.where(keep, values, 0.0)
        if self.renormalize:
            return _normalize_rows(kept, empty_rows="keep")
        return kept


class LabelOnly(_ProbabilityDefense):
    """Return only the label: a one-hot row at the arg-max (the first one among ties).

    ART's ``ClassLabels`` writes ``out[:, argmax] = 1``, which for a batch puts a 1 in every
    column that is any row's arg-max; here each row gets exactly one 1.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    TopK : keep the top value(s) with their confidence.

    Notes
    -----
    A single column ``p`` (binary positive-class probability) becomes 1 where ``p >= 1/2``
    and 0 elsewhere.

    Guarantees. Rows sum to 1 (``keeps_row_sums`` is True): every row is one-hot, whatever
    the input. The arg-max is kept (``keeps_argmax`` is True): the 1 is at the input's first
    arg-max.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import LabelOnly
    >>> proba = np.array([[0.7, 0.3], [0.2, 0.8], [0.5, 0.5]])
    >>> LabelOnly().fit_transform(proba).tolist()
    [[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]]
    """

    def __init__(self):
        pass

    @property
    def keeps_row_sums(self):
        """True: every output row is one-hot."""
        return True

    @property
    def keeps_argmax(self):
        """True: the 1 sits at the input's first arg-max."""
        return True

    def _perturb(self, values):
        return _first_argmax_onehot(values)


class ConfidenceThreshold(_ProbabilityDefense):
    """Set the probabilities below a cutoff to 0, but always keep each row's maximum.

    ART's ``HighConfidence`` zeroes every value below the cutoff, so with a cutoff above 1/k a
    row can become all zeros; here values equal to the row's maximum are always kept.

    Parameters
    ----------
    cutoff : float in [0, 1], default=0.25
        Values strictly below it become 0 (unless they are the row's maximum).
    renormalize : bool, default=False
        Divide the kept values by their sum. An all-zero input row stays all zero.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    TopK : keep a fixed number of values per row.

    Notes
    -----
    Guarantees. Rows sum to 1 (``keeps_row_sums``) only when ``renormalize=True``; without it
    ``(0.5, 0.3, 0.2)`` becomes ``(0.5, 0.3, 0)``. The arg-max is kept (``keeps_argmax`` is
    True): the maximal values are kept as they are (or divided by the same positive sum), the
    others are kept or lowered to 0. Only an all-zero input row gives an all-zero output row.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import ConfidenceThreshold
    >>> proba = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.2]])
    >>> ConfidenceThreshold(cutoff=0.25).fit_transform(proba).tolist()
    [[0.5, 0.3, 0.0], [0.2, 0.2, 0.2]]
    >>> ConfidenceThreshold(cutoff=0.4, renormalize=True).fit_transform(proba[:1]).tolist()
    [[1.0, 0.0, 0.0]]
    """

    _parameter_constraints: dict = {
        "cutoff": [Interval(Real, 0, 1, closed="both")],
        "renormalize": ["boolean"],
    }

    def __init__(self, cutoff=0.25, renormalize=False):
        self.cutoff = cutoff
        self.renormalize = renormalize

    @property
    def keeps_row_sums(self):
        """Whether output rows sum to 1 whenever input rows do: iff ``renormalize``."""
        return bool(self.renormalize)

    @property
    def keeps_argmax(self):
        """True: each row's maximal values are always kept."""
        return True

    def _perturb(self, values):
        is_row_max = values == values.max(axis=1, keepdims=True)
        kept = np.where((values >= self.cutoff) | is_row_max, values, 0.0)
        if self.renormalize:
            return _normalize_rows(kept, empty_rows="keep")
        return kept


class GaussianNoise(_ProbabilityDefense):
    """Add Gaussian noise to each probability, clip to [0, 1] and renormalise each row.

    Parameters
    ----------
    scale : float >= 0, default=0.1
        Standard deviation of the noise added to each value.
    random_state : int, RandomState instance or None, default=None
        The noise key. With ``per_record=True``: an int is the key; None is the key 0 (the
        same noise as ``random_state=0``); a RandomState gives a key drawn from a copy of it
        (the generator is not advanced). With ``per_record=False``: the generator of
        :func:`sklearn.utils.check_random_state`, created at each ``transform`` (so an int
        gives the same noise, position by position, at every call; None or a RandomState give
        fresh noise at every call). In deployment pass a private integer.
    per_record : bool, default=True
        Make the noise a deterministic function of the key and the input row, read at a
        resolution of 2**-32 (see ``_per_record_normals``): the same query always gets
        the same answer, in any batch and at any position, even when the model's output for
        it differs in the last bits between batches, so repeating it and averaging the
        answers gains nothing. With False the noise depends on the row's position and the
        generator: repeated queries then differ and their average converges to the input,
        which is what ART's ``GaussianNoise`` allows.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    ReverseSigmoid : a deterministic perturbation.
    NoisePredictions : the same noise for a regressor's predictions.

    Notes
    -----
    If noise and clipping leave a row all zero, the row becomes uniform (1/k per column):
    falling back to the input row would publish it exactly. Values above 1 are clipped to 1
    after the noise is added. With ``per_record=False`` the instance is tagged
    ``non_deterministic`` for scikit-learn, since one row's answer depends on its batch.

    Per-record noise stops the averaging of *repeated* queries. Rows more than about 2e-10
    apart get independent noise, so an attacker who can make many slightly different queries
    with nearly the same probabilities (e.g. by varying a feature the model barely uses) can
    still average. Rounding *before* the noise (a Pipeline of :class:`RoundProbabilities`,
    then this) gives nearby rows the same values, hence the same noise.

    Guarantees. Rows sum to 1 (``keeps_row_sums`` is True): every row is renormalised (or
    uniform). The arg-max is not kept (``keeps_argmax`` is False): noise can swap two close
    values, e.g. in ``(0.51, 0.49)``.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import GaussianNoise
    >>> proba = np.array([[0.7, 0.3], [0.2, 0.8]])
    >>> defense = GaussianNoise(scale=0.05, random_state=0).fit(proba)
    >>> noisy = defense.transform(proba)
    >>> noisy.round(3).tolist()
    [[0.72, 0.28], [0.205, 0.795]]
    >>> bool((defense.transform(proba[::-1]) == noisy[::-1]).all())  # same row, same answer
    True
    """

    _parameter_constraints: dict = {
        "scale": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "per_record": ["boolean"],
    }

    def __init__(self, scale=0.1, random_state=None, per_record=True):
        self.scale = scale
        self.random_state = random_state
        self.per_record = per_record

    @property
    def keeps_row_sums(self):
        """True: rows are renormalised after the noise."""
        return True

    @property
    def keeps_argmax(self):
        """False: noise can reorder close values."""
        return False

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = not self.per_record
        return tags

    def _perturb(self, values):
        noise = self.scale * _standard_normals(values, self.random_state, self.per_record)
        return _normalize_rows(np.clip(values + noise, 0.0, 1.0), empty_rows="uniform")


class ReverseSigmoid(_ProbabilityDefense):
    """Lee et al.'s reverse-sigmoid perturbation (IEEE S&P Workshops 2019, arXiv 1806.00054).

    With ``σ(z) = 1 / (1 + exp(-z))``, ``logit(p) = log(p / (1 - p))`` and ``p`` clipped to
    ``[1e-9, 1 - 1e-9]`` inside the logit::

        r = β · (σ(γ · logit(p)) - 1/2),    q = clip(p - r, 0, 1),    output = q / Σ q

    It pulls confident values toward the middle while keeping the probabilities useful, to
    mislead anyone who fits a model on them (model stealing, attribute inference).

    Parameters
    ----------
    beta : float >= 0, default=1.0
        Magnitude β (0 leaves the input unchanged).
    gamma : float > 0, default=0.1
        Convergence γ.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    GaussianNoise : random rather than deterministic perturbation.

    Notes
    -----
    The arg-max condition. Write ``f(p) = p - r(p)`` and ``t = logit(p)``. Where ``p`` is
    clipped (below 1e-9, above 1 - 1e-9) ``r`` is constant and ``f`` has slope 1; in between
    its slope is ``1 - βγ · g(t)`` with ``g(t) = cosh²(t/2) / cosh²(γt/2)`` (so ``1 - βγ``
    at ``p = 1/2``), for ``|t| <= T = logit(1 - 1e-9) ≈ 20.72``. When ``γ >= 1``, ``g <= 1``
    with its maximum at ``t = 0``; when ``γ < 1``, ``g`` grows with ``|t|`` up to ``g(T)``.
    Hence ``f`` is non-decreasing on [0, ∞) exactly when::

        βγ <= 1                               if γ >= 1,
        βγ · cosh²(T/2) / cosh²(γT/2) <= 1     if γ < 1 (β below about 6e-5 for γ = 0.5),

    and then clipping to [0, 1] and dividing by the row's sum keep every order, so the
    arg-max is kept. Otherwise ``f`` decreases on an interval starting at a point where
    ``1/2 < f < 1`` (or ending at one where ``0 < f < 1/2``), so two values there swap and
    the promise fails: near ``p = 1/2`` when ``βγ > 1`` (``(0.5 + ε, 0.5 - ε)`` flips), near
    the clipped ends otherwise. The defaults (β = 1, γ = 0.1) fail it even on probability
    rows: ``(0.34, 0.33, 0.33, 0)`` has arg-max 0 but the 0 ends up largest, because tiny
    probabilities are pushed up by almost β/2. Under the condition the transform also lifts
    each row's first arg-max to the row maximum, so that floating-point rounding (a few ulps
    between near-ties) cannot break the promise; the formula's values are otherwise
    unchanged.

    A single column ``p`` is perturbed as the row ``(p, 1 - p)`` and the first column returned,
    as ART does. A row that clipping leaves all zero (possible only for an all-zero input,
    for scores above 1, or outside the condition) becomes uniform.

    Guarantees. Rows sum to 1 (``keeps_row_sums`` is True): every row is renormalised (or
    uniform). The arg-max is kept (``keeps_argmax``) exactly under the condition above on β
    and γ; it is False for the defaults.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import ReverseSigmoid
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4]])
    >>> ReverseSigmoid(beta=1.0, gamma=0.1).fit_transform(proba).round(4).tolist()
    [[0.8453, 0.1547], [0.5899, 0.4101]]
    >>> ReverseSigmoid(beta=1.0, gamma=0.1).keeps_argmax, ReverseSigmoid(0.5, 1.5).keeps_argmax
    (False, True)
    """

    _parameter_constraints: dict = {
        "beta": [Interval(Real, 0, None, closed="left")],
        "gamma": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, beta=1.0, gamma=0.1):
        self.beta = beta
        self.gamma = gamma

    @property
    def keeps_row_sums(self):
        """True: rows are renormalised."""
        return True

    @property
    def keeps_argmax(self):
        """Whether ``p - r(p)`` is non-decreasing on [0, ∞) (see Notes for the condition)."""
        beta, gamma = float(self.beta), float(self.gamma)
        if gamma >= 1:
            largest_slope_ratio = 1.0
        else:
            half_t = logit(1.0 - REVERSE_SIGMOID_CLIP) / 2
            largest_slope_ratio = (np.cosh(half_t) / np.cosh(gamma * half_t)) ** 2
        return bool(beta * gamma * largest_slope_ratio <= 1.0)

    def _perturb(self, values):
        clipped = np.clip(values, REVERSE_SIGMOID_CLIP, 1.0 - REVERSE_SIGMOID_CLIP)
        shift = self.beta * (expit(self.gamma * logit(clipped)) - 0.5)
        perturbed = np.clip(values - shift, 0.0, 1.0)
        if self.keeps_argmax:
            # Mathematically the first arg-max is already maximal; remove rounding ulps.
            rows, first = np.arange(values.shape[0]), values.argmax(axis=1)
            perturbed[rows, first] = np.maximum(perturbed[rows, first], perturbed.max(axis=1))
        return _normalize_rows(perturbed, empty_rows="uniform")


# --------------------------------------------------------------------------------------------
# Prediction (regressor) defenses
# --------------------------------------------------------------------------------------------


class RoundPredictions(_PredictionDefense):
    """Round a regressor's predictions onto a grid: ``round(y / step) * step``.

    Parameters
    ----------
    step : float > 0, default=1.0
        Grid spacing (half-to-even rounding at exact midpoints).

    Attributes
    ----------
    n_features_in_ : int
        Number of outputs seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    RoundProbabilities : the same for probabilities.

    Notes
    -----
    Takes a 2-D ``(n, n_outputs)`` array; reshape a 1-D prediction with ``y.reshape(-1, 1)``
    (:class:`~tabinvert.defenses.DefendedRegressor` does this). Any finite value is accepted.

    Guarantees. Predictions are not probability rows, so neither promise applies:
    ``keeps_row_sums`` and ``keeps_argmax`` are False. Rounding is monotone in each output.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import RoundPredictions
    >>> RoundPredictions(step=0.5).fit_transform(np.array([[1.3], [-0.2], [7.74]])).tolist()
    [[1.5], [-0.0], [7.5]]
    """

    _parameter_constraints: dict = {
        "step": [Interval(Real, 0, None, closed="neither")],
    }

    def __init__(self, step=1.0):
        self.step = step

    def _perturb(self, values):
        return _round_to_grid(values, self.step)


class NoisePredictions(_PredictionDefense):
    """Add Gaussian noise to a regressor's predictions, per record by default.

    Parameters
    ----------
    scale : float >= 0, default=1.0
        Standard deviation of the noise, in the units of the predictions.
    random_state : int, RandomState instance or None, default=None
        The noise key, as in :class:`GaussianNoise` (None is the key 0 when
        ``per_record=True``).
    per_record : bool, default=True
        Noise as a deterministic function of the key and the prediction row, read at a
        relative resolution of 2**-32 (repeated queries get the same answer); with False,
        fresh noise from ``check_random_state(random_state)`` at each transform.

    Attributes
    ----------
    n_features_in_ : int
        Number of outputs seen in ``fit``.
    feature_names_in_ : ndarray of str
        Their names, when ``fit`` saw a DataFrame with string column names.

    See Also
    --------
    GaussianNoise : the same noise for probabilities.

    Notes
    -----
    Takes a 2-D ``(n, n_outputs)`` array; reshape a 1-D prediction with ``y.reshape(-1, 1)``.
    With ``per_record=False`` the instance is tagged ``non_deterministic``.

    Guarantees. Predictions are not probability rows, so neither promise applies:
    ``keeps_row_sums`` and ``keeps_argmax`` are False.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses import NoisePredictions
    >>> predictions = np.array([[10.0], [20.0], [10.0]])
    >>> noisy = NoisePredictions(scale=1.0, random_state=0).fit_transform(predictions)
    >>> noisy.round(2).tolist()
    [[10.6], [20.77], [10.6]]
    """

    _parameter_constraints: dict = {
        "scale": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "per_record": ["boolean"],
    }

    def __init__(self, scale=1.0, random_state=None, per_record=True):
        self.scale = scale
        self.random_state = random_state
        self.per_record = per_record

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = not self.per_record
        return tags

    def _perturb(self, values):
        noise = _standard_normals(values, self.random_state, self.per_record, relative=True)
        return values + self.scale * noise

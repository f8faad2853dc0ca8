"""Tail risk: how often the attacker is right on the records it is most sure about.

An average over all targets hides the records an attacker can single out. Jayaraman & Evans
(2022) therefore also report the **precision at top-k**: rank the targets by the attacker's
confidence that they hold a sensitive value, keep the ``k`` most confident, and count how many
truly hold it. Set against the imputation baseline's own ``k`` most confident records, it says
whether the model lets the attacker pick out people that population statistics alone would
not (:func:`precision_at_k`, :func:`tail_risk_table`).
"""

from __future__ import annotations

import math
from numbers import Integral, Real

import numpy as np
import pandas as pd

from .._sklearn_compat import Interval, validate_params
from ._inference import _as_column, _check_columns, _value_kind
from ._risk import _named_columns, wilson_interval

#: The columns of :func:`precision_at_k`, in order.
PRECISION_AT_K_COLUMNS = (
    "k",
    "n_selected",
    "n_correct",
    "precision",
    "ci_low",
    "ci_high",
    "n_tied_out",
    "base_rate",
    "n",
)


def _check_value(true, value):
    """Refuse a missing ``value``, or one of another kind than ``y_true`` (a number for text
    values, or text for numbers), which no record could hold."""
    if np.ndim(value) != 0:
        raise ValueError(
            f"value must be one sensitive value (e.g. 'Married' or 1); got "
            f"{type(value).__name__} {value!r}."
        )
    if pd.isna(value):
        raise ValueError(
            "value is missing (None or NaN); pass the sensitive value whose precision to "
            "measure, e.g. 'Married' or 1."
        )
    # Through pandas: numpy < 2 warns on comparing numbers with text instead of saying False.
    is_value = pd.Series(true, copy=False).eq(value).to_numpy(dtype=bool)
    if not is_value.any():
        kinds = {_value_kind(true), _value_kind(np.array([value], dtype=object))}
        if kinds == {"text", "number"}:
            sample = pd.unique(true)[:5].tolist()
            raise ValueError(
                f"value={value!r} is a {type(value).__name__}, but y_true holds values like "
                f"{sample} of another type, so no record can hold it. Pass value in the type of "
                "y_true (e.g. '1' rather than 1)."
            )
    return is_value


def _check_scores(scores, n, name, true_index):
    """``scores`` as a float array of length ``n``, with errors naming ``name``."""
    column, index = _as_column(scores, name)
    if column.dtype.kind not in "biuf":
        sample = column[:3].tolist()
        raise ValueError(
            f"{name} must hold numbers, the attacker's confidence that each record holds "
            f"value; got values like {sample}. Pass one column of scores (e.g. a column of "
            "predict_proba), not the guesses."
        )
    if column.shape[0] != n:
        raise ValueError(
            f"{name} has {column.shape[0]} scores but y_true has {n} values; pass one score per "
            "target record, in the same order as y_true."
        )
    if true_index is not None and index is not None and not true_index.equals(index):
        raise ValueError(
            f"y_true and {name} are pandas objects with different indexes, so their records may "
            f"not line up. Align them first ({name}.reindex(y_true.index)) or pass numpy arrays "
            "in matching order."
        )
    column = column.astype(np.float64)
    missing = np.isnan(column)
    if missing.any():
        raise ValueError(
            f"{name} has {int(missing.sum())} missing (NaN) score(s) (first at position "
            f"{int(np.flatnonzero(missing)[0])}); a record without a score cannot be ranked. "
            f"Fill them with the lowest score (e.g. 0 for probabilities) or drop those records "
            f"from y_true and {name}."
        )
    return column


def _check_k(k, name="k"):
    """A single ``k``: a positive int (a count) or a float in (0, 1) (a share of targets)."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, Real):
        raise ValueError(
            f"{name} must be a positive int (a number of records) or a float in (0, 1) (a share "
            f"of the targets); got {type(k).__name__} {k!r}."
        )
    if isinstance(k, Integral):
        if k <= 0:
            raise ValueError(
                f"{name}={k!r} selects no record; pass a positive number of records (e.g. 10) "
                "or a share of the targets in (0, 1) (e.g. 0.01)."
            )
        return int(k)
    k = float(k)
    if not 0 < k < 1:
        hint = f" For a number of records pass an int ({int(k)})." if k.is_integer() else ""
        raise ValueError(
            f"{name}={k!r} is a float outside (0, 1); a float is a share of the targets, e.g. "
            f"0.01 for 1%.{hint}"
        )
    return k


def _k_list(k, name):
    """One ``k`` or a list of them, checked, as a list."""
    if isinstance(k, (list, tuple, np.ndarray, pd.Series)):
        values = list(k)
        if not values:
            raise ValueError(f"{name} is empty; pass at least one k, e.g. [10, 100, 0.01].")
        return [_check_k(v, name) for v in values]
    return [_check_k(k, name)]


def _n_selected(k, n):
    """How many records ``k`` selects among ``n``: a count clipped to ``n``, or a share rounded
    up (at least one record)."""
    if isinstance(k, int):
        return min(k, n)
    # The smallest count whose share is at least k; the small slack keeps 0.01 * 300 (which is
    # 3.0000000000000004 in floating point) at 3.
    return min(n, max(1, math.ceil(k * n - 1e-9)))


def _top_k_rows(ks, is_value, scores, confidence):
    """The rows of :func:`precision_at_k` for checked inputs."""
    n = is_value.size
    order = np.argsort(-scores, kind="stable")  # most confident first; ties by position
    correct = np.cumsum(is_value[order])
    ranked = scores[order]
    base_rate = float(is_value.mean())
    rows = []
    for k in ks:
        selected = _n_selected(k, n)
        n_correct = int(correct[selected - 1])
        low, high = wilson_interval(n_correct, selected, confidence=confidence)
        kth = ranked[selected - 1]
        rows.append(
            {
                "k": k,
                "n_selected": selected,
                "n_correct": n_correct,
                "precision": n_correct / selected,
                "ci_low": low,
                "ci_high": high,
                "n_tied_out": int(np.count_nonzero(ranked[selected:] == kth)),
                "base_rate": base_rate,
                "n": n,
            }
        )
    return rows


def _frame(rows, columns):
    frame = pd.DataFrame(rows, columns=list(columns))
    # An object column, so that 10 stays 10 and 0.01 stays 0.01 side by side.
    frame["k"] = pd.Series([row["k"] for row in rows], index=frame.index, dtype=object)
    return frame


@validate_params(
    {
        "y_true": ["array-like"],
        "scores": ["array-like"],
        "value": "no_validation",
        "k": "no_validation",
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def precision_at_k(y_true, scores, value, k, *, confidence=0.95):
    """Precision of the attacker's ``k`` most confident inferences of one sensitive value.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        True sensitive values of the target records. No missing values.
    scores : array-like of shape (n_records,)
        The attacker's confidence that each record holds ``value`` (higher = more confident),
        e.g. the column of ``value`` in the attack's ``predict_proba``. No NaN.
    value : object
        The sensitive value of interest (e.g. ``"Married"``). A value that no record holds
        gives precision 0; one of another type than ``y_true`` (``1`` for text values) is an
        error.
    k : int, float or list of them
        How many of the most confident records to keep: an int is a number of records, a float
        in ``(0, 1)`` a share of the targets (``0.01`` = the top 1%), rounded up to at least
        one record. An int larger than the number of records keeps them all (the row's
        ``n_selected`` says how many were kept). A list gives one row per entry.
    confidence : float, default=0.95
        Confidence level of the Wilson interval.

    Returns
    -------
    DataFrame
        One row per ``k``, with columns ``k`` (as requested), ``n_selected`` (records kept),
        ``n_correct`` (of them, how many hold ``value``), ``precision``
        (``n_correct / n_selected``), ``ci_low``, ``ci_high`` (its Wilson interval),
        ``n_tied_out`` (records with the same score as the last one kept that did not fit in
        the top ``k``), ``base_rate`` (share of all targets holding ``value``: the precision of
        a random pick) and ``n`` (number of targets).

    See Also
    --------
    tail_risk_table : The attacks against the baseline, for several ``k``.
    wilson_interval : The interval used.

    Notes
    -----
    Records are ranked by decreasing score with a stable sort, so records with equal scores
    keep their order in ``y_true``: among records tied with the ``k``-th score, the first ones
    are kept. The result is then deterministic, but depends on the records' order when
    ``n_tied_out > 0`` (typical of an attacker with few distinct scores, e.g. label-only):
    shuffle the records first if their order carries information.

    The Wilson interval treats the kept records as a sample of the attacker's most confident
    inferences; it ignores that which records are kept is itself random.

    References
    ----------
    .. [1] B. Jayaraman and D. Evans, "Are Attribute Inference Attacks Just Imputation?",
       ACM CCS 2022.

    Examples
    --------
    >>> from tabinvert.metrics import precision_at_k
    >>> y_true = ["yes", "no", "yes", "yes", "no", "no"]
    >>> scores = [0.9, 0.8, 0.8, 0.3, 0.6, 0.1]
    >>> table = precision_at_k(y_true, scores, "yes", [1, 2, 0.5])
    >>> table[["k", "n_selected", "n_correct", "precision", "n_tied_out", "base_rate"]]
         k  n_selected  n_correct  precision  n_tied_out  base_rate
    0    1           1          1   1.000000           0        0.5
    1    2           2          1   0.500000           1        0.5
    2  0.5           3          2   0.666667           0        0.5
    >>> table.loc[0, ["ci_low", "ci_high"]].round(3).tolist()
    [0.207, 1.0]
    """
    true, _ = _check_columns(y_true, [])
    true_index = _as_column(y_true, "y_true")[1]
    is_value = _check_value(true, value)
    score_column = _check_scores(scores, true.size, "scores", true_index)
    ks = _k_list(k, "k")
    return _frame(_top_k_rows(ks, is_value, score_column, confidence), PRECISION_AT_K_COLUMNS)


#: The columns of :func:`tail_risk_table`, in order.
TAIL_RISK_COLUMNS = (
    "attack",
    "k",
    "n_selected",
    "precision",
    "ci_low",
    "ci_high",
    "baseline_precision",
    "baseline_ci_low",
    "baseline_ci_high",
    "difference",
    "n_tied_out",
    "baseline_n_tied_out",
    "base_rate",
    "n",
)


@validate_params(
    {
        "y_true": ["array-like"],
        "attack_scores": [dict, list, tuple, pd.DataFrame],
        "baseline_scores": ["array-like"],
        "value": "no_validation",
        "ks": "no_validation",
        "confidence": [Interval(Real, 0, 1, closed="neither")],
    },
    prefer_skip_nested_validation=True,
)
def tail_risk_table(
    y_true, attack_scores, baseline_scores, value, ks=(10, 100, 0.01), *, confidence=0.95
):
    """Precision at top-k of several attacks against the imputation baseline's own top-k.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        True sensitive values of the target records. No missing values.
    attack_scores : dict, DataFrame, list or tuple
        Each attack's confidence that each record holds ``value``: ``{name: scores}``, a
        DataFrame with one column per attack, or a list or tuple of score arrays (named by
        their position). Same record order as ``y_true``; no NaN.
    baseline_scores : array-like of shape (n_records,)
        The imputation baseline's confidence that each record holds ``value``.
    value : object
        The sensitive value of interest, as in :func:`precision_at_k`.
    ks : int, float or list of them, default=(10, 100, 0.01)
        The ``k`` to report, as in :func:`precision_at_k`: ints are numbers of records (kept to
        the number of targets), floats in ``(0, 1)`` shares of the targets.
    confidence : float, default=0.95
        Confidence level of the Wilson intervals.

    Returns
    -------
    DataFrame
        One row per attack and ``k`` (attacks in the order given, then ``ks`` in the order
        given), with columns ``attack``, ``k``, ``n_selected``, ``precision``, ``ci_low``,
        ``ci_high`` (the attack's top-k precision and Wilson interval),
        ``baseline_precision``, ``baseline_ci_low``, ``baseline_ci_high`` (the baseline's, on
        its own top ``n_selected`` records), ``difference`` (``precision -
        baseline_precision``), ``n_tied_out``, ``baseline_n_tied_out`` (see
        :func:`precision_at_k`), ``base_rate`` and ``n``.

    See Also
    --------
    precision_at_k : One set of scores; the tie rule and the columns.

    Notes
    -----
    The attack and the baseline each pick their own ``k`` records, so the two precisions are on
    different (usually overlapping) records. ``difference`` has no interval: the two Wilson
    intervals are each for one precision, not for the difference; non-overlapping intervals
    are a conservative sign of a real difference.

    References
    ----------
    .. [1] B. Jayaraman and D. Evans, "Are Attribute Inference Attacks Just Imputation?",
       ACM CCS 2022.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.metrics import tail_risk_table
    >>> rng = np.random.default_rng(0)
    >>> y_true = rng.integers(0, 2, size=1000)
    >>> attack = y_true + rng.normal(size=1000)  # higher for the records holding 1
    >>> baseline = np.full(1000, y_true.mean())  # the same score for every record
    >>> table = tail_risk_table(y_true, {"attack": attack}, baseline, 1, ks=[10, 100, 0.05])
    >>> table[["attack", "k", "n_selected", "precision", "baseline_precision", "difference"]]
       attack     k  n_selected  precision  baseline_precision  difference
    0  attack    10          10        1.0                0.40        0.60
    1  attack   100         100        0.9                0.56        0.34
    2  attack  0.05          50        0.9                0.54        0.36

    A baseline that gives every record the same score has no top-k of its own: it keeps the
    first records, and says so.

    >>> table["baseline_n_tied_out"].tolist()
    [990, 900, 950]
    """
    true, _ = _check_columns(y_true, [])
    true_index = _as_column(y_true, "y_true")[1]
    is_value = _check_value(true, value)
    checked_ks = _k_list(ks, "ks")
    named = _named_columns(attack_scores, "attack_scores")
    attacks = [
        (key, _check_scores(values, true.size, f"attack_scores[{key!r}]", true_index))
        for key, values in named
    ]
    baseline = _top_k_rows(
        checked_ks,
        is_value,
        _check_scores(baseline_scores, true.size, "baseline_scores", true_index),
        confidence,
    )
    rows = []
    for key, scores in attacks:
        for own, base in zip(_top_k_rows(checked_ks, is_value, scores, confidence), baseline):
            rows.append(
                {
                    "attack": key,
                    "k": own["k"],
                    "n_selected": own["n_selected"],
                    "precision": own["precision"],
                    "ci_low": own["ci_low"],
                    "ci_high": own["ci_high"],
                    "baseline_precision": base["precision"],
                    "baseline_ci_low": base["ci_low"],
                    "baseline_ci_high": base["ci_high"],
                    "difference": own["precision"] - base["precision"],
                    "n_tied_out": own["n_tied_out"],
                    "baseline_n_tied_out": base["n_tied_out"],
                    "base_rate": own["base_rate"],
                    "n": own["n"],
                }
            )
    frame = _frame(rows, TAIL_RISK_COLUMNS)
    frame["attack"] = frame["attack"].astype(object)
    return frame

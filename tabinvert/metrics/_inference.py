"""How well did the attacker guess? Scores for inferred sensitive values.

An attribute-inference attack outputs one guess per target record. This module scores those
guesses against the true values:

* categorical sensitive attributes get the metrics of the attribute-inference literature
  (accuracy, balanced accuracy, MCC, precision / recall / F1, G-mean, ROC AUC from the attacker's
  per-candidate scores) — accuracy alone flatters the "always guess the majority" attacker on
  imbalanced attributes;
* numeric sensitive attributes get MAE, RMSE and the share of guesses within a tolerance.

It also holds the input checks and the confusion-matrix kernels that :mod:`._risk` reuses for the
paired bootstrap.
"""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.metrics import (
    accuracy_score,
    matthews_corrcoef,
    mean_absolute_error,
    precision_recall_fscore_support,
    recall_score,
    roc_auc_score,
    root_mean_squared_error,
)

from .._sklearn_compat import Interval, StrOptions, validate_params

#: In ``kind="auto"``, a numeric ``y_true`` with more distinct values than this is numeric.
MAX_CATEGORICAL_VALUES = 10

#: Share of the standard deviation of ``y_true`` used as the default numeric tolerance.
DEFAULT_TOLERANCE_SCALE = 0.1

CATEGORICAL_METRICS = ("accuracy", "balanced_accuracy", "mcc", "precision", "recall", "f1", "gmean")


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------


def _as_column(y, name):
    """Return ``y`` as a 1-D numpy array and its pandas index (``None`` for non-pandas input).

    Numeric data stays numeric (nullable pandas numbers become float with NaN); everything else
    (strings of any pandas dtype, categoricals, mixed objects) becomes an ``object`` array, so
    ``"str"``/``StringDtype`` and ``object`` columns holding the same labels compare equal.
    """
    index = None
    if isinstance(y, pd.DataFrame):
        if y.shape[1] != 1:
            raise ValueError(
                f"{name} must be a single column; got a DataFrame with {y.shape[1]} columns. "
                f"Pass the sensitive column itself, e.g. df['column']."
            )
        y = y.iloc[:, 0]
    if isinstance(y, pd.Series):
        index = y.index
        dtype = y.dtype
        if isinstance(dtype, np.dtype) and dtype.kind in "biuf":
            arr = y.to_numpy()
        elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
            arr = y.to_numpy(dtype="float64", na_value=np.nan)
        else:
            arr = y.to_numpy(dtype=object)
    else:
        arr = np.asarray(y)
        if arr.dtype.kind not in "biuf":
            arr = arr.astype(object)
    if arr.ndim != 1:
        shape = "a scalar" if arr.ndim == 0 else f"an array of shape {arr.shape}"
        raise ValueError(
            f"{name} must be 1-D (one value per target record); got {shape}. "
            f"For a single column of shape (n, 1), pass {name}.ravel() or the column itself."
        )
    return arr, index


def _check_columns(y_true, named_preds):
    """Validate ``y_true`` and the guesses against it; return the numpy arrays.

    ``named_preds`` is a sequence of ``(name, values)``. Checks: 1-D, non-empty, same length,
    no missing value in ``y_true`` or any guess, equal pandas indexes when both sides have one.
    """
    true, true_index = _as_column(y_true, "y_true")
    if true.shape[0] == 0:
        raise ValueError("y_true is empty; pass at least one target record.")
    missing = pd.isna(true)
    if missing.any():
        raise ValueError(
            f"y_true has {int(missing.sum())} missing value(s) (first at position "
            f"{int(np.flatnonzero(missing)[0])}). A record whose true value is unknown cannot be "
            f"scored: drop those records from y_true and from the guesses."
        )
    preds = []
    for name, values in named_preds:
        pred, pred_index = _as_column(values, name)
        if pred.shape[0] != true.shape[0]:
            raise ValueError(
                f"{name} has {pred.shape[0]} values but y_true has {true.shape[0]}; pass one "
                f"guess per target record, in the same order as y_true."
            )
        if true_index is not None and pred_index is not None and not true_index.equals(pred_index):
            raise ValueError(
                f"y_true and {name} are pandas objects with different indexes, so their records "
                f"may not line up. Align them first ({name}.reindex(y_true.index)) or pass numpy "
                f"arrays in matching order."
            )
        missing = pd.isna(pred)
        if missing.any():
            raise ValueError(
                f"{name} has {int(missing.sum())} missing guess(es) (first at position "
                f"{int(np.flatnonzero(missing)[0])}). Every record needs a guess: fill "
                f"abstentions with a value (e.g. the majority value) or drop those records from "
                f"y_true and {name}."
            )
        preds.append(pred)
    _check_same_kind(true, preds, [name for name, _ in named_preds])
    return true, preds


#: pandas.api.types.infer_dtype results that mean "numbers".
_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean"}


def _value_kind(arr):
    """``"number"``, ``"text"`` or ``"other"`` (mixed, categories of objects, ...) for a
    checked 1-D column."""
    if arr.dtype.kind in "biuf":
        return "number"
    inferred = pd.api.types.infer_dtype(arr, skipna=True)
    if inferred == "string":
        return "text"
    return "number" if inferred in _NUMBER_KINDS else "other"


def _check_same_kind(true, preds, names):
    """Refuse guesses of numbers for text truth (or back): no guess could equal a true value,
    so every score would be a silent 0 (``"1"`` is not ``1``)."""
    true_kind = _value_kind(true)
    if true_kind == "other":
        return
    for name, pred in zip(names, preds):
        kind = _value_kind(pred)
        if {true_kind, kind} == {"text", "number"}:
            words = {"text": "text", "number": "numbers"}
            true_sample = _short_list(pd.unique(true).tolist(), 3)
            pred_sample = _short_list(pd.unique(pred).tolist(), 3)
            raise ValueError(
                f"y_true holds {words[true_kind]} ({true_sample}) but {name} holds "
                f"{words[kind]} ({pred_sample}): no guess can "
                "equal a true value, so every score would be 0. Convert one of them "
                "(pd.to_numeric, or .astype(str)) so both hold the same type."
            )


def _as_float(arr, name):
    """Convert a checked column to float for the numeric metrics, with a clear error."""
    if not pd.api.types.is_numeric_dtype(arr):
        raise ValueError(
            f"{name} must hold numbers for numeric scores; got values like {arr[0]!r}. "
            f"Use kind='categorical' for labels."
        )
    out = arr.astype(np.float64)
    if not np.isfinite(out).all():
        raise ValueError(f"{name} contains infinite values; numeric scores need finite numbers.")
    return out


def _encode(*arrays, names=None):
    """Integer codes for the values of several columns, over their union of values.

    Returns ``(codes, labels)``: one code array per input, and the labels such that
    ``labels[codes[i]] == arrays[i]``. Labels are sorted when their types allow it. ``names``
    (one per array) name the argument holding an unhashable value in the error.
    """
    joined = np.concatenate(arrays)
    try:
        codes, labels = pd.factorize(joined, sort=True)
    except TypeError:  # labels of types that cannot be ordered (e.g. str and int)
        try:
            codes, labels = pd.factorize(joined, sort=False)
        except TypeError:  # unhashable values (lists, dicts): not labels at all
            raise _unhashable_error(arrays, names) from None
    splits = np.cumsum([len(a) for a in arrays])[:-1]
    return np.split(codes, splits), np.asarray(labels)


def _unhashable_error(arrays, names):
    names = names or [f"column {i}" for i in range(len(arrays))]
    for name, array in zip(names, arrays):
        for position, value in enumerate(array):
            try:
                hash(value)
            except TypeError:
                return TypeError(
                    f"{name} holds a {type(value).__name__} at position {position} "
                    f"({value!r}), which cannot be compared as a label; pass one number or "
                    "string per record."
                )
    return TypeError("The values cannot be compared as labels; pass numbers or strings.")


def _label_position(labels, value, name):
    """Position of ``value`` among ``labels``; ``ValueError`` naming ``name`` if absent."""
    position = pd.Index(labels, dtype=object).get_indexer([value])[0]
    if position < 0:
        raise ValueError(
            f"{name}={value!r} does not occur among the values "
            f"{_short_list(labels)}; pass one of them."
        )
    return int(position)


def _short_list(values, limit=10):
    values = list(values)
    text = ", ".join(repr(v) for v in values[:limit])
    return f"[{text}{', ...' if len(values) > limit else ''}]"


def _default_tolerance(true):
    """The default numeric tolerance: a tenth of the (population) standard deviation of y_true."""
    with np.errstate(over="ignore", invalid="ignore"):
        spread = float(np.std(true))
    if not np.isfinite(spread):
        # Values near float64's limit overflow the squares: an infinite tolerance would count
        # every guess as correct. Compute the spread of the scaled values instead.
        scale = float(np.max(np.abs(true)))
        spread = float(np.std(true / scale)) * scale
    return DEFAULT_TOLERANCE_SCALE * spread


def _numeric_losses(true, pred):
    """MAE and RMSE; values near float64's limit are scaled first so that differences and
    squares do not overflow (the losses are then infinite only if they truly exceed it)."""
    with np.errstate(over="ignore", invalid="ignore"):
        mae = float(mean_absolute_error(true, pred))
        rmse = float(root_mean_squared_error(true, pred))
        if np.isfinite(mae) and np.isfinite(rmse):
            return mae, rmse
        scale = max(float(np.max(np.abs(true))), float(np.max(np.abs(pred))))
        true, pred = true / scale, pred / scale
        return (
            float(mean_absolute_error(true, pred)) * scale,
            float(root_mean_squared_error(true, pred)) * scale,
        )


def _resolve_kind(kind, true):
    if kind != "auto":
        return kind
    if pd.api.types.is_numeric_dtype(true) and pd.unique(true).size > MAX_CATEGORICAL_VALUES:
        return "numeric"
    return "categorical"


# --------------------------------------------------------------------------------------------
# Categorical metrics, point estimates (sklearn)
# --------------------------------------------------------------------------------------------


def _categorical_metric(name, true, pred, *, pos=None):
    """One categorical metric on integer codes, computed with sklearn.

    Macro averages (and balanced accuracy, G-mean) run over the values present in ``true``;
    ``pos`` (a code) switches precision / recall / F1 to that value against the rest.
    """
    present = np.unique(true)
    if name == "accuracy":
        return float(accuracy_score(true, pred))
    if name == "mcc":
        if np.union1d(present, pred).size < 2:  # one value everywhere: sklearn's value, no warning
            return 0.0
        return float(matthews_corrcoef(true, pred))
    if name in ("balanced_accuracy", "gmean"):
        recalls = recall_score(true, pred, labels=present, average=None, zero_division=0)
        if name == "balanced_accuracy":
            return float(np.mean(recalls))
        return float(np.prod(recalls) ** (1.0 / recalls.size))
    if name in ("precision", "recall", "f1"):
        labels = present if pos is None else [pos]
        precision, recall, f1, _ = precision_recall_fscore_support(
            true, pred, labels=labels, average=None, zero_division=0
        )
        return float(np.mean({"precision": precision, "recall": recall, "f1": f1}[name]))
    raise ValueError(f"unknown categorical metric {name!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Categorical metrics from confusion matrices (for the bootstrap: many matrices at once)
# --------------------------------------------------------------------------------------------


def _confusion_metric(cm, name, *, pos=None):
    """The same metrics as :func:`_categorical_metric`, from stacked confusion matrices.

    ``cm`` has shape ``(..., k, k)`` with true values on rows and guesses on columns. Returns
    an array of shape ``cm.shape[:-2]``. Classes absent from a matrix's rows are left out of
    its macro averages, exactly as :func:`_categorical_metric` does for the values of y_true.
    """
    cm = np.asarray(cm, dtype=np.float64)
    diag = np.diagonal(cm, axis1=-2, axis2=-1)
    row = cm.sum(axis=-1)  # true count per value
    col = cm.sum(axis=-2)  # guess count per value
    total = row.sum(axis=-1)
    present = row > 0
    n_present = present.sum(axis=-1)

    if name == "accuracy":
        return diag.sum(axis=-1) / total
    if name == "mcc":
        # sklearn.metrics.matthews_corrcoef's multiclass formula; 0 when undefined, like sklearn.
        cov_tp = diag.sum(axis=-1) * total - (row * col).sum(axis=-1)
        cov_pp = total**2 - (col * col).sum(axis=-1)
        cov_tt = total**2 - (row * row).sum(axis=-1)
        denom = np.sqrt(cov_tt * cov_pp)
        return np.divide(cov_tp, denom, out=np.zeros_like(cov_tp), where=denom != 0)

    recall = np.divide(diag, row, out=np.zeros_like(diag), where=row != 0)
    if name == "balanced_accuracy":
        return np.where(present, recall, 0.0).sum(axis=-1) / n_present
    if name == "gmean":
        return np.prod(np.where(present, recall, 1.0), axis=-1) ** (1.0 / n_present)
    if name == "f1":
        denom = row + col
        f1 = np.divide(2.0 * diag, denom, out=np.zeros_like(diag), where=denom != 0)
        if pos is not None:
            return f1[..., pos]
        return np.where(present, f1, 0.0).sum(axis=-1) / n_present
    raise ValueError(f"unknown categorical metric {name!r}")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# ROC AUC from the attacker's per-candidate scores
# --------------------------------------------------------------------------------------------


def _numeric_scores(convert):
    try:
        return convert()
    except (TypeError, ValueError) as exc:
        raise ValueError(
            f"y_score must hold numeric scores, one column per candidate value; {exc}."
        ) from None


def _roc_auc(true, labels, y_score, score_index, positive_value):
    """ROC AUC of the attacker's scores; see :func:`inference_scores` for the rules."""
    if isinstance(y_score, pd.DataFrame):
        columns = np.asarray(y_score.columns, dtype=object)
        if score_index is not None and not score_index.equals(y_score.index):
            raise ValueError(
                "y_true and y_score have different indexes, so their records may not line up. "
                "Align them first (y_score.reindex(y_true.index)) or pass numpy arrays."
            )
        scores = _numeric_scores(lambda: y_score.to_numpy(dtype=np.float64, na_value=np.nan))
    else:
        scores = _numeric_scores(lambda: np.asarray(y_score, dtype=np.float64))
        if scores.ndim != 2:
            raise ValueError(
                f"y_score must be 2-D, one column per candidate value; got shape {scores.shape}. "
                f"Pass a DataFrame whose column labels are the candidate values."
            )
        columns = np.asarray(labels, dtype=object)
        if scores.shape[1] != columns.size:
            raise ValueError(
                f"y_score is an array with {scores.shape[1]} columns, but y_true and y_pred hold "
                f"{columns.size} distinct values {_short_list(columns)}, so the columns cannot "
                f"be matched to values. Pass a DataFrame whose column labels are the candidate "
                f"values."
            )
    if scores.shape[0] != true.shape[0]:
        raise ValueError(
            f"y_score has {scores.shape[0]} rows but y_true has {true.shape[0]}; pass one row of "
            f"candidate scores per target record."
        )
    if not np.isfinite(scores).all():
        raise ValueError("y_score contains missing or infinite scores; every score must be finite.")

    column_of = pd.Index(columns, dtype=object)
    true_values = pd.unique(true)
    positions = column_of.get_indexer(true_values)
    if (positions < 0).any():
        raise ValueError(
            f"y_true contains {true_values[positions < 0][0]!r}, which has no column in y_score "
            f"(columns: {_short_list(columns)}). Pass one score column per candidate value."
        )
    if true_values.size < 2:
        return float("nan")  # AUC is undefined when every record has the same value
    if positive_value is None and true_values.size == 2:
        present_columns = [c for c in columns if c in set(true_values)]
        try:
            present_columns = sorted(present_columns)
        except TypeError:
            pass
        positive_value = present_columns[1]
    if positive_value is not None:
        column = _label_position(columns, positive_value, "positive_value")
        is_positive = true == columns[column]
        if is_positive.all() or not is_positive.any():
            return float("nan")
        return float(roc_auc_score(is_positive, scores[:, column]))
    # One-vs-rest macro AUC over the values present in y_true. Passed to sklearn as a
    # multilabel indicator, so the scores need not be probabilities summing to one.
    indicator = true[:, None] == true_values[None, :]
    return float(roc_auc_score(indicator, scores[:, positions], average="macro"))


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


@validate_params(
    {
        "y_true": ["array-like"],
        "y_pred": ["array-like"],
        "y_score": ["array-like", None],
        "positive_value": "no_validation",
        "kind": [StrOptions({"auto", "categorical", "numeric"})],
        "tolerance": [Interval(Real, 0, None, closed="left"), None],
    },
    prefer_skip_nested_validation=True,
)
def inference_scores(
    y_true, y_pred, *, y_score=None, positive_value=None, kind="auto", tolerance=None
):
    """Score an attacker's guesses of a sensitive attribute against the true values.

    Parameters
    ----------
    y_true : array-like of shape (n_records,)
        True sensitive values of the target records. No missing values.
    y_pred : array-like of shape (n_records,)
        The attacker's guess for each record, in the same order. No missing values.
    y_score : DataFrame or array-like of shape (n_records, n_candidates), default=None
        Categorical only: the attacker's score for every candidate value (higher = more likely).
        In a DataFrame the column labels are the candidate values; in an array the columns are
        the sorted distinct values of ``y_true`` and ``y_pred``. When given, ``roc_auc`` is
        reported.
    positive_value : object, default=None
        Categorical only: the sensitive value of interest (e.g. ``"Married"``). When given,
        ``precision``, ``recall``, ``f1`` and ``roc_auc`` are for this value against all others;
        otherwise they are macro averages over the values present in ``y_true``.
    kind : {"auto", "categorical", "numeric"}, default="auto"
        Which family of scores to compute. ``"auto"`` picks ``"numeric"`` when ``y_true`` has a
        numeric dtype and more than 10 distinct values, else ``"categorical"``.
    tolerance : float, default=None
        Numeric only: a guess with ``|guess - true| <= tolerance`` counts as correct in
        ``within_tolerance``. Defaults to 0.1 × the standard deviation of ``y_true``
        (population standard deviation, ``ddof=0``); the value used is returned.

    Returns
    -------
    scores : dict
        Categorical: ``accuracy``, ``balanced_accuracy``, ``mcc``, ``precision``, ``recall``,
        ``f1``, ``gmean``, ``roc_auc`` (only when ``y_score`` is given; NaN when ``y_true`` has
        a single value) and ``n``. Numeric: ``mae``, ``rmse``, ``within_tolerance``,
        ``tolerance`` and ``n``. ``n`` is the number of records (an int); the rest are floats.

    See Also
    --------
    advantage_over_baseline : Is the attack better than imputation without the model?
    success_rate : Share of exactly-correct guesses with a Wilson interval.

    Notes
    -----
    Guesses are compared by value: an ``object`` column and a pandas ``"str"`` column holding
    the same labels match. Macro averages, ``balanced_accuracy`` (mean per-value recall, as
    :func:`sklearn.metrics.balanced_accuracy_score`) and ``gmean`` (geometric mean of the
    per-value recalls, :math:`\\sqrt{TPR \\cdot TNR}` for two values, as in Mehnaz et al. 2022)
    run over the values that occur in ``y_true``; guesses of any other value simply count as
    wrong. Undefined precisions (a value never guessed) count as 0.

    For ``roc_auc`` with two values in ``y_true`` and no ``positive_value``, the positive
    value is the second of those two values in sorted order; with more values it is the
    one-vs-rest AUC averaged over the values of ``y_true``. The scores need not sum to one.

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert.metrics import inference_scores
    >>> y_true = pd.Series(["single", "married", "married", "single"], dtype="str")
    >>> y_pred = ["single", "married", "single", "single"]
    >>> scores = inference_scores(y_true, y_pred, positive_value="married")
    >>> {k: round(v, 3) for k, v in scores.items()}
    {'accuracy': 0.75, 'balanced_accuracy': 0.75, 'mcc': 0.577, 'precision': 1.0,
     'recall': 0.5, 'f1': 0.667, 'gmean': 0.707, 'n': 4}

    Numeric guesses:

    >>> inference_scores([1.0, 2.0, 3.0, 4.0], [1.0, 2.5, 3.0, 3.0], kind="numeric", tolerance=0.5)
    {'mae': 0.375, 'rmse': 0.559..., 'within_tolerance': 0.75, 'tolerance': 0.5, 'n': 4}
    """
    true, (pred,) = _check_columns(y_true, [("y_pred", y_pred)])
    kind = _resolve_kind(kind, true)
    n = int(true.shape[0])

    if kind == "numeric":
        for name, value in (("y_score", y_score), ("positive_value", positive_value)):
            if value is not None:
                raise ValueError(
                    f"{name} only applies to categorical scores, but kind resolved to "
                    f"'numeric'. Pass kind='categorical' or drop {name}."
                )
        true_f, pred_f = _as_float(true, "y_true"), _as_float(pred, "y_pred")
        if tolerance is None:
            tolerance = _default_tolerance(true_f)
        mae, rmse = _numeric_losses(true_f, pred_f)
        with np.errstate(over="ignore"):  # an overflowing distance is beyond any tolerance
            within = np.abs(pred_f - true_f) <= tolerance
        return {
            "mae": mae,
            "rmse": rmse,
            "within_tolerance": float(np.mean(within)),
            "tolerance": float(tolerance),
            "n": n,
        }

    if tolerance is not None:
        raise ValueError(
            "tolerance only applies to numeric scores, but kind resolved to 'categorical'. "
            "Pass kind='numeric' or drop tolerance."
        )
    (true_c, pred_c), labels = _encode(true, pred, names=("y_true", "y_pred"))
    pos = None
    if positive_value is not None:
        pos = _label_position(labels, positive_value, "positive_value")
    scores = {
        name: _categorical_metric(name, true_c, pred_c, pos=pos) for name in CATEGORICAL_METRICS
    }
    if y_score is not None:
        score_index = _as_column(y_true, "y_true")[1]
        scores["roc_auc"] = _roc_auc(true, labels, y_score, score_index, positive_value)
    scores["n"] = n
    return scores


def _one_inference_score(y_true, y_pred, metric, *, kind="auto"):
    """``inference_scores(y_true, y_pred, kind=kind).get(metric, nan)``, computing that one
    score only (the same checks and the same computation; the other scores are not needed
    when one metric is reported, as in every row of a results table)."""
    true, (pred,) = _check_columns(y_true, [("y_pred", y_pred)])
    kind = _resolve_kind(kind, true)
    if kind == "numeric":
        if metric not in ("mae", "rmse", "within_tolerance"):
            return np.nan
        true_f, pred_f = _as_float(true, "y_true"), _as_float(pred, "y_pred")
        if metric == "within_tolerance":
            with np.errstate(over="ignore"):
                return float(np.mean(np.abs(pred_f - true_f) <= _default_tolerance(true_f)))
        mae, rmse = _numeric_losses(true_f, pred_f)
        return mae if metric == "mae" else rmse
    if metric not in CATEGORICAL_METRICS:
        return np.nan
    (true_c, pred_c), _ = _encode(true, pred, names=("y_true", "y_pred"))
    return _categorical_metric(metric, true_c, pred_c, pos=None)

"""Input checks shared by every attack: what the model expects, what the attacker knows.

Errors here name the column, the value and the fix, because the person reading them is
usually a privacy engineer pointing the library at somebody else's model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.pipeline import Pipeline

from ._query import RecordLayout

#: Numeric sensitive columns with at most this many distinct values are treated as categorical.
MAX_NUMERIC_CATEGORIES = 10


def _describe(values, limit=8):
    values = list(values)
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def model_feature_names(model):
    """The column names the model was fitted on, or None for models fitted on arrays."""
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


def make_layout(model, X_aux, sensitive, *, name="X_aux"):
    """Work out how ``model`` wants records, from the model and the attacker's auxiliary data.

    ``X_aux`` must hold every model column, the sensitive one included.
    """
    if isinstance(X_aux, pd.DataFrame):
        if X_aux.shape[0] == 0:
            raise ValueError(f"{name} is empty: the attacker needs at least one auxiliary record.")
        names = model_feature_names(model)
        if names is None:
            n_features = getattr(model, "n_features_in_", X_aux.shape[1])
            if X_aux.shape[1] != n_features:
                raise ValueError(
                    f"{name} has {X_aux.shape[1]} columns but the model was fitted on an array "
                    f"with {n_features}; pass the columns in the model's order."
                )
            position = _sensitive_position(sensitive, list(X_aux.columns))
            array = X_aux.to_numpy()
            return RecordLayout(
                columns=tuple(range(n_features)),
                sensitive=position,
                is_frame=False,
                array_dtype=array.dtype,
            )
        missing = [c for c in names if c not in X_aux.columns]
        extra = [c for c in X_aux.columns if c not in names]
        if missing or extra:
            raise ValueError(
                _column_mismatch_message(name, missing, extra, names)
                + f" {name} must hold every column the model uses, the sensitive one included."
            )
        if isinstance(sensitive, (int, np.integer)) and sensitive not in names:
            if not 0 <= sensitive < len(names):
                raise ValueError(f"sensitive={sensitive} is not a column position of the model.")
            sensitive = names[sensitive]
        if sensitive not in names:
            raise ValueError(
                f"The sensitive column {sensitive!r} is not one of the model's columns "
                f"({_describe(names)}). Pass one of them as `sensitive`."
            )
        return RecordLayout(
            columns=tuple(names),
            sensitive=sensitive,
            is_frame=True,
            dtypes={c: X_aux[c].dtype for c in names},
        )
    array = np.asarray(X_aux)
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (records × columns); got shape {array.shape}.")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: the attacker needs at least one auxiliary record.")
    if model_feature_names(model) is not None:
        raise ValueError(
            f"The model was fitted on a DataFrame with named columns; pass {name} as a "
            "DataFrame with those columns rather than an array."
        )
    n_features = getattr(model, "n_features_in_", array.shape[1])
    if array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} columns but the model expects {n_features}."
        )
    position = _sensitive_position(sensitive, list(range(n_features)))
    return RecordLayout(
        columns=tuple(range(n_features)),
        sensitive=position,
        is_frame=False,
        array_dtype=array.dtype,
    )


def _sensitive_position(sensitive, columns):
    if isinstance(sensitive, (int, np.integer)):
        if not -len(columns) <= sensitive < len(columns):
            raise ValueError(
                f"sensitive={sensitive} is out of range for data with {len(columns)} columns."
            )
        return int(sensitive) % len(columns)
    if sensitive in columns:
        return columns.index(sensitive)
    raise ValueError(
        f"The sensitive column {sensitive!r} is not among the columns ({_describe(columns)})."
    )


def _column_mismatch_message(name, missing, extra, expected):
    parts = []
    if missing:
        parts.append(f"{name} is missing the column(s) {_describe(missing)}")
    if extra:
        parts.append(f"{name} has column(s) the model was not trained on: {_describe(extra)} "
                     "(drop them)")
    return "; ".join(parts) + f". The model's columns are: {_describe(expected, limit=20)}."


def split_known(layout, X, *, name="X"):
    """The attacker's known features of the target records, and their index.

    The sensitive column may be present in ``X`` (so an evaluation set can be passed as is) but
    it is dropped here, before anything else sees it: attacks never peek at it.

    Returns
    -------
    known : dict or ndarray
        Column name → 1-D array (frame layouts) or a 2-D array of the known columns.
    index : pandas.Index
        The records' index (``X.index`` for frames).
    """
    if isinstance(X, pd.DataFrame):
        if X.shape[0] == 0:
            raise ValueError(f"{name} is empty: pass at least one target record.")
        if layout.is_frame:
            expected = layout.known_columns
            missing = [c for c in expected if c not in X.columns]
            extra = [c for c in X.columns if c not in layout.columns]
            if missing or extra:
                raise ValueError(_column_mismatch_message(name, missing, extra, expected))
            known = {}
            for column in expected:
                values = X[column]
                # numpy arrays take() fastest; extension arrays (str, category) keep their dtype.
                known[column] = (
                    values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array
                )
            return known, X.index
        array, index = X.to_numpy(), X.index
    else:
        if layout.is_frame:
            raise ValueError(
                f"The model takes named columns; pass {name} as a DataFrame with the columns "
                f"{_describe(layout.known_columns, limit=20)}."
            )
        array = np.asarray(X)
        index = None
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D (records × columns); got shape {array.shape}.")
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty: pass at least one target record.")
    n_all = len(layout.columns)
    if array.shape[1] == n_all:
        array = np.delete(array, layout.sensitive_position, axis=1)
    elif array.shape[1] != n_all - 1:
        raise ValueError(
            f"{name} has {array.shape[1]} columns; expected {n_all} (all model columns, the "
            f"sensitive one ignored) or {n_all - 1} (the known columns only, in model order)."
        )
    return array, (pd.RangeIndex(array.shape[0]) if index is None else index)


def columns_with_missing(layout, known):
    """Known columns holding NaN, with their counts."""
    if isinstance(known, dict):
        counts = {c: int(pd.isna(v).sum()) for c, v in known.items()}
    else:
        mask = pd.isna(pd.DataFrame(known)).to_numpy()
        counts = dict(zip(layout.known_columns, mask.sum(axis=0).tolist()))
    return {c: n for c, n in counts.items() if n}


def true_sensitive(layout, X, *, name="X"):
    """The true sensitive values held in an evaluation set ``X``."""
    if isinstance(X, pd.DataFrame) and layout.is_frame:
        if layout.sensitive not in X.columns:
            raise ValueError(
                f"{name} must hold the true values of the sensitive column {layout.sensitive!r} "
                "to score an attack."
            )
        values = X[layout.sensitive].to_numpy()
    else:
        array = np.asarray(X)
        if array.ndim != 2 or array.shape[1] != len(layout.columns):
            raise ValueError(
                f"{name} must hold all {len(layout.columns)} model columns, the true sensitive "
                "one included, to score an attack."
            )
        values = array[:, layout.sensitive_position]
    if pd.isna(values).any():
        raise ValueError(
            f"The true sensitive column {layout.sensitive!r} in {name} has missing values; "
            "drop those records before scoring."
        )
    return values


def check_label(y, n, *, name="y"):
    """The targets' true labels as a 1-D array, or None."""
    if y is None:
        return None
    values = np.asarray(y)
    if values.ndim == 2 and values.shape[1] == 1:
        values = values.ravel()
    if values.ndim != 1:
        raise ValueError(f"{name} must be 1-D (one label per record); got shape {values.shape}.")
    if len(values) != n:
        raise ValueError(f"{name} has {len(values)} labels but there are {n} records.")
    if pd.isna(values).any():
        raise ValueError(f"{name} has missing values; every target needs its label.")
    return values


def sensitive_kind(values, sensitive_type):
    """"categorical" or "numeric" for a sensitive column's auxiliary values."""
    if sensitive_type != "auto":
        return sensitive_type
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    ):
        if series.nunique(dropna=True) > MAX_NUMERIC_CATEGORIES:
            return "numeric"
    return "categorical"


def _sorted_unique(values):
    unique = pd.unique(pd.Series(values).dropna())
    try:
        return np.sort(np.asarray(unique))
    except TypeError:
        return np.asarray(sorted(unique, key=str), dtype=object)


def make_candidates(aux_values, kind, candidates, n_grid, column):
    """The candidate values and their prior weights from the auxiliary data.

    Returns ``(candidates, prior)`` with ``prior`` summing to 1 (add-one smoothing, so a
    candidate absent from the auxiliary data is unlikely but never impossible).
    """
    observed = pd.Series(aux_values).dropna()
    if len(observed) == 0:
        raise ValueError(
            f"The sensitive column {column!r} has no values in the auxiliary data; the attacker "
            "needs records with the sensitive value to learn candidates and priors."
        )
    if isinstance(candidates, str) and candidates == "auto":
        if kind == "categorical":
            values = _sorted_unique(observed)
        else:
            quantiles = (np.arange(n_grid) + 0.5) / n_grid
            values = np.unique(np.quantile(observed.to_numpy(dtype=float), quantiles))
            if pd.api.types.is_integer_dtype(observed.dtype):
                values = np.unique(np.round(values)).astype(observed.dtype)
    else:
        values = np.asarray(list(candidates))
        if pd.isna(values).any():
            raise ValueError("candidates must not contain missing values.")
        if len(np.unique(values.astype(str))) != len(values):
            raise ValueError(f"candidates has repeated values: {_describe(values)}.")
    if len(values) < 2:
        raise ValueError(
            f"The sensitive column {column!r} has a single value {values[0]!r} in the auxiliary "
            "data; an attack needs at least two candidate values. Pass more varied auxiliary "
            "records or the candidate values explicitly (candidates=[...])."
        )
    if kind == "categorical":
        counts = np.array([(observed == v).sum() for v in values], dtype=float)
    else:
        nearest = np.abs(
            observed.to_numpy(dtype=float)[:, None] - values.astype(float)[None, :]
        ).argmin(axis=1)
        counts = np.bincount(nearest, minlength=len(values)).astype(float)
    prior = (counts + 1.0) / (counts.sum() + len(values))
    return values, prior


def candidate_array(layout, values):
    """Candidate values in the dtype the model's sensitive column has."""
    if layout.is_frame:
        dtype = layout.dtypes[layout.sensitive]
        try:
            return pd.array(values, dtype=dtype)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"Candidate values {_describe(values)} cannot be stored in the sensitive column "
                f"{layout.sensitive!r} of dtype {dtype}: {exc}"
            ) from exc
    return np.asarray(values).astype(layout.array_dtype, copy=False)


def _encoders_for(model, column):
    """(encoder, position) pairs of fitted encoders inside ``model`` that read ``column``."""
    found = []
    steps = model.steps if isinstance(model, Pipeline) else [(None, model)]
    # Through wrappers: a fitted inner model (tabinvert's defended models), or an `estimator`.
    inner = getattr(model, "_inner_model", None) or getattr(model, "estimator", None)
    if inner is not None and inner is not model and not isinstance(model, Pipeline):
        return _encoders_for(inner, column)
    for _, step in steps:
        for _, transformer, columns in getattr(step, "transformers_", []):
            if isinstance(columns, str):
                columns = [columns]
            try:
                columns = list(columns)
            except TypeError:
                continue
            if column not in columns:
                continue
            encoder = transformer
            if isinstance(encoder, Pipeline):
                encoder = encoder.steps[0][1]
            if hasattr(encoder, "categories_"):
                found.append((encoder, columns.index(column)))
        break  # only the first step sees raw columns
    return found


def check_candidates_known_to_model(model, layout, values):
    """Refuse candidate values that a fitted encoder in the model has never seen.

    An unseen category either makes the model raise, or (with ``handle_unknown="ignore"``)
    encodes the same as every other unseen value, so the attack would learn nothing from it.
    """
    if not layout.is_frame:
        return
    for encoder, position in _encoders_for(model, layout.sensitive):
        known = list(encoder.categories_[position])
        unseen = [v for v in values if v not in known]
        if unseen:
            raise ValueError(
                f"Candidate value(s) {_describe(unseen)} of the sensitive column "
                f"{layout.sensitive!r} were never seen by the model's encoder, which knows "
                f"{_describe(known)}. Pass candidates=[...] restricted to those values, or "
                "auxiliary data drawn from the model's population."
            )

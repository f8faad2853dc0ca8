"""Input checks shared by every attack: what the model expects, what the attacker knows.

Errors here name the column, the value and the fix, because the person reading them is
usually a privacy engineer pointing the library at somebody else's model.
"""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ._sklearn_compat import fitted_transformers
from ._query import RecordLayout
from ._wrappers import MAX_DEPTH as MAX_WRAPPER_DEPTH

#: Numeric sensitive columns with at most this many distinct values are treated as categorical.
MAX_NUMERIC_CATEGORIES = 10


def _describe(values, limit=8):
    # Python scalars: np.int64(1) reads as 1 in a message.
    values = [v.item() if isinstance(v, np.generic) else v for v in values]
    shown = ", ".join(repr(v) for v in values[:limit])
    return shown + (f", ... ({len(values)} in all)" if len(values) > limit else "")


def model_feature_names(model):
    """The column names the model was fitted on, or None for models fitted on arrays.

    Read from ``feature_names_in_``, scikit-learn's convention; a CatBoost model (alone, or
    behind a FrozenEstimator or a wrapper) keeps them in ``feature_names_`` instead.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert._validation import model_feature_names
    >>> model_feature_names(LinearRegression().fit(pd.DataFrame({"a": [0, 1]}), [0, 1]))
    ['a']
    >>> model_feature_names(LinearRegression().fit([[0], [1]], [0, 1])) is None
    True
    """
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        names = _catboost_feature_names(model)
    return None if names is None else [str(n) for n in names]


def _innermost_model(model):
    """The model that answers for ``model``: behind any FrozenEstimator and wrapper."""
    for _ in range(MAX_WRAPPER_DEPTH):
        if isinstance(model, FrozenEstimator):
            model = model.estimator
        elif getattr(model, "_inner_model", None) is not None:
            model = model._inner_model
        else:
            break
    return model


def loaded_instance(model, library, *class_names):
    """Whether ``model`` is an instance of one of ``library``'s classes ``class_names``.

    Nothing is imported to find out: an object can only be an instance of a class whose
    module was imported (to build it, or to unpickle it), so a library that is not loaded
    has no models here, and the optional ones (``pip install "tabinvert[lightgbm]"``,
    ``"tabinvert[catboost]"``, xgboost) are never loaded for another model.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert._validation import loaded_instance
    >>> loaded_instance(LogisticRegression(), "sklearn.linear_model", "LogisticRegression")
    True
    >>> loaded_instance(LogisticRegression(), "no_such_library", "Model")
    False
    """
    module = sys.modules.get(library)
    classes = tuple(getattr(module, name) for name in class_names if hasattr(module, name))
    return isinstance(model, classes)


def _catboost_feature_names(model):
    """The columns a fitted CatBoost model was given names for, or None.

    CatBoost names the columns of an array "0", "1", ...: such names are positions, and the
    model is then taken as fitted on an array (a frame whose labels are those positions is
    read the same way)."""
    model = _innermost_model(model)
    if not loaded_instance(model, "catboost", "CatBoost"):
        return None
    names = getattr(model, "feature_names_", None)
    if not names or list(names) == [str(i) for i in range(len(names))]:
        return None
    return list(names)


def _check_lightgbm_category_columns(model, X_aux, columns, name):
    """Refuse a frame whose pandas ``category`` columns are not as many as those a LightGBM
    model was fitted with: LightGBM pairs a frame's category columns with its own by their
    order and fails with "train and valid dataset categorical_feature do not match"."""
    model = _innermost_model(model)
    if not loaded_instance(model, "lightgbm", "LGBMModel"):
        return
    if [str(c) for c in getattr(model, "feature_names_in_", [])] != list(columns):
        return  # the frame does not go to the model as it is (a JointInversion's grid)
    fitted = getattr(getattr(model, "booster_", None), "pandas_categorical", None) or []
    given = [c for c in columns if isinstance(X_aux[c].dtype, pd.CategoricalDtype)]
    if len(given) != len(fitted):
        categories = "; ".join(_describe(list(c)) for c in fitted) or "none"
        raise ValueError(
            f"The LightGBM model was fitted on a frame with {len(fitted)} pandas 'category' "
            f"column(s) (categories: {categories}), but {name} has {len(given)} "
            f"({_describe(given) or 'none'}). LightGBM reads a frame's category columns by "
            "their order among its own: give them the dtype they had in training, e.g. "
            f"{name}[column] = {name}[column].astype('category'), in {name} and the targets."
        )


def check_model_fitted(model):
    """Refuse an unfitted target model with sklearn's ``NotFittedError``, naming it.

    An unfitted model would otherwise fail far from the cause (``classes_`` missing, or inside
    its own ``predict``), or, for attacks that read only labels, not at all until ``attack``.
    Objects with no notion of fitting (no ``fit`` and no ``__sklearn_is_fitted__``, e.g. a
    client of a prediction API) are taken as they are.
    """
    label = type(model).__name__
    try:
        if hasattr(model, "fit") and hasattr(model, "__sklearn_tags__"):
            check_is_fitted(model)
        elif callable(getattr(model, "__sklearn_is_fitted__", None)):
            # A wrapper without fit (a QueryBudget) says whether the model behind it is fitted.
            if not model.__sklearn_is_fitted__():
                raise NotFittedError(f"{label} says it is not fitted.")
    except NotFittedError as exc:
        raise NotFittedError(
            f"The target model {label} is not fitted: fit it first. An attack queries a trained "
            f"model and never trains it. ({exc})"
        ) from exc
    except (TypeError, AttributeError):  # no sklearn tags to read: cannot tell, take it
        pass


def check_unique_columns(X, *, name="X"):
    """Refuse a frame whose column labels repeat: ``X[column]`` would be a frame, not a column."""
    if isinstance(X, pd.DataFrame) and not X.columns.is_unique:
        repeated = X.columns[X.columns.duplicated()].unique().tolist()
        raise ValueError(
            f"{name} has duplicate column name(s) {_describe(repeated)}; every column must "
            "appear once. Drop or rename the duplicates, e.g. "
            f"{name}.loc[:, ~{name}.columns.duplicated()]."
        )


def _is_position(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _not_a_label(column, columns, where, what="sensitive"):
    """The error for a column given by a value that is not one of a frame's labels."""
    if _is_position(column) and -len(columns) <= column < len(columns):
        return ValueError(
            f"{what}={column!r} is not a column label (the labels of {where} are "
            f"{_describe(columns)}), though it is a valid position. Columns are labels for a "
            "DataFrame; pass the column's label, or pass a numpy array to use positions."
        )
    return ValueError(
        f"The {what} column {column!r} is not in {where} ({_describe(columns)}). Pass one of "
        f"them as `{what}`."
    )


def frame_column_position(column, X, *, name="X_aux", what="sensitive"):
    """Position of the column labelled ``column`` in the frame ``X``.

    ``column`` is always a label for a frame: an integer that is no label but a valid position
    is ambiguous (columns ``[1, 0, 2]``, ``sensitive=0``) and refused, never guessed.
    """
    columns = list(X.columns)
    if column in columns:
        return columns.index(column)
    raise _not_a_label(column, columns, name, what)


def make_layout(model, X_aux, sensitive, *, name="X_aux", what="sensitive"):
    """Work out how ``model`` wants records, from the model and the attacker's auxiliary data.

    ``X_aux`` must hold every model column, the sensitive one included. For a DataFrame,
    ``sensitive`` is a column label; for an array, a position. Also refuses an unfitted model,
    repeated column labels, and a sensitive column of numbers stored as text. ``what`` names
    the hidden column in messages ("sensitive", "unknown").
    """
    check_model_fitted(model)
    if isinstance(X_aux, pd.DataFrame):
        check_unique_columns(X_aux, name=name)
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
            position = frame_column_position(sensitive, X_aux, name=name, what=what)
            array = X_aux.to_numpy()
            layout = RecordLayout(
                columns=tuple(range(n_features)),
                sensitive=position,
                is_frame=False,
                array_dtype=array.dtype,
            )
            kinds = {i: value_kind(X_aux.iloc[:, i]) for i in range(n_features)}
            return _checked(model, layout, kinds, X_aux.iloc[:, position], name, what)
        missing = [c for c in names if c not in X_aux.columns]
        extra = [c for c in X_aux.columns if c not in names]
        if missing or extra:
            raise ValueError(
                _column_mismatch_message(name, missing, extra, names)
                + f" {name} must hold every column the model uses, the sensitive one included."
            )
        if sensitive not in names:
            raise _not_a_label(sensitive, names, "the model's columns", what)
        _check_lightgbm_category_columns(model, X_aux, names, name)
        layout = RecordLayout(
            columns=tuple(names),
            sensitive=sensitive,
            is_frame=True,
            dtypes={c: X_aux[c].dtype for c in names},
        )
        kinds = {c: value_kind(X_aux[c]) for c in names}
        return _checked(model, layout, kinds, X_aux[sensitive], name, what)
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
        raise ValueError(f"{name} has {array.shape[1]} columns but the model expects {n_features}.")
    position = _sensitive_position(sensitive, list(range(n_features)))
    layout = RecordLayout(
        columns=tuple(range(n_features)),
        sensitive=position,
        is_frame=False,
        array_dtype=array.dtype,
    )
    kinds = {i: value_kind(array[:, i]) for i in range(n_features)}
    return _checked(model, layout, kinds, array[:, position], name, what)


def _sensitive_position(sensitive, columns):
    if _is_position(sensitive):
        if not -len(columns) <= sensitive < len(columns):
            raise ValueError(
                f"sensitive={sensitive} is out of range for data with {len(columns)} columns."
            )
        return int(sensitive) % len(columns)
    raise ValueError(
        f"sensitive={sensitive!r} is not a column position: an array's columns are named by "
        f"position (0 to {len(columns) - 1}). Pass a DataFrame to name columns by label."
    )


# -- what a column holds: text or numbers -----------------------------------------------------

_NUMBER_KINDS = {"integer", "floating", "mixed-integer-float", "decimal", "boolean"}


def value_kind(values):
    """ "text", "number" or "other" (categories, dates, mixed, all missing) for a column.

    Read from the dtype when it says (numeric, pandas ``str``), else from the values (a numpy
    or pandas ``object`` column of text is text, whichever pandas version stored it).
    """
    dtype = getattr(values, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        return value_kind(dtype.categories)
    if dtype is not None and pd.api.types.is_numeric_dtype(dtype):
        return "number"
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    if inferred == "string":
        return "text"
    return "number" if inferred in _NUMBER_KINDS else "other"


def _sample(values, limit=3):
    shown = pd.unique(pd.Series(np.asarray(values, dtype=object)).dropna())[:limit]
    return ", ".join(repr(v.item() if isinstance(v, np.generic) else v) for v in shown) + ", ..."


def _dtype_of(values):
    return getattr(values, "dtype", np.asarray(values).dtype)


def _checked(model, layout, kinds, sensitive_values, name, what="sensitive"):
    """The layout, after refusing a sensitive column of numbers stored as text.

    A numeric column read as text gives one text candidate per value ("29", "41", ...), which
    can never equal the targets' numbers: the attack would score 0.0 without any error.
    """
    column = layout.sensitive
    if kinds[column] == "text":
        present = pd.Series(np.asarray(sensitive_values, dtype=object)).dropna()
        as_numbers = pd.to_numeric(present, errors="coerce")
        if len(present) and as_numbers.notna().all() and not _model_knows_text(model, column):
            raise ValueError(
                f"The {what} column {column!r} holds text ({_sample(present)}; dtype "
                f"{_dtype_of(sensitive_values)}) in {name}, but every value is a number and the "
                "model reads the column as numbers (no encoder in it knows text categories for "
                "it): the attack's text candidates could never match the model's or the "
                "targets' numbers. Convert the column with pd.to_numeric before fitting."
            )
    return record_value_kinds(layout, kinds)


def record_value_kinds(layout, kinds):
    """Note on ``layout`` what each auxiliary column holds (column → :func:`value_kind`).

    ``split_known`` and ``true_sensitive`` then refuse targets whose columns hold the other
    kind. The layout type is frozen and shared with the query engine; this private note
    travels with it (pickling included) and layouts without it are not checked.
    """
    object.__setattr__(layout, "_value_kinds", dict(kinds))
    return layout


def _model_knows_text(model, column):
    """Whether a fitted encoder inside ``model`` reads ``column`` with text categories."""
    return any(
        value_kind(encoder.categories_[position]) == "text"
        for encoder, position in _encoders_for(model, column)
    )


def _kind_mismatch(column, kind, values, where, aux_kind, aux_dtype, fix):
    return ValueError(
        f"Column {column!r} holds {'text' if kind == 'text' else 'numbers'} "
        f"({_sample(values)}; dtype {_dtype_of(values)}) in {where}, but "
        f"{'text' if aux_kind == 'text' else 'numbers'} (dtype {aux_dtype}) in the auxiliary "
        f"data the attack was fitted on. {fix}"
    )


def check_same_kinds(layout, columns, *, name="X"):
    """Refuse columns of ``name`` holding text where the auxiliary data held numbers, or back.

    ``columns`` maps column → values (as ``split_known`` hands them on).
    """
    kinds = getattr(layout, "_value_kinds", None)
    if not kinds:
        return
    for column, values in columns.items():
        aux_kind = kinds.get(column)
        if aux_kind not in ("text", "number"):
            continue
        kind = value_kind(values)
        if kind in ("text", "number") and kind != aux_kind:
            aux_dtype = (layout.dtypes or {}).get(column, layout.array_dtype)
            raise _kind_mismatch(
                column,
                kind,
                values,
                name,
                aux_kind,
                aux_dtype,
                "The model would read the targets differently from the auxiliary records: "
                "convert the column with pd.to_numeric (or .astype(str)) so both hold the "
                "same type.",
            )


def _column_mismatch_message(name, missing, extra, expected):
    parts = []
    if missing:
        parts.append(f"{name} is missing the column(s) {_describe(missing)}")
    if extra:
        parts.append(
            f"{name} has column(s) the model was not trained on: {_describe(extra)} (drop them)"
        )
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
        check_unique_columns(X, name=name)
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
            check_same_kinds(layout, known, name=name)
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
    check_same_kinds(layout, dict(zip(layout.known_columns, array.T)), name=name)
    return array, (pd.RangeIndex(array.shape[0]) if index is None else index)


def columns_with_missing(layout, known):
    """Known columns holding NaN, with their counts."""
    if isinstance(known, dict):
        counts = {c: int(pd.isna(v).sum()) for c, v in known.items()}
    else:
        mask = pd.isna(pd.DataFrame(known)).to_numpy()
        counts = dict(zip(layout.known_columns, mask.sum(axis=0).tolist()))
    return {c: n for c, n in counts.items() if n}


def columns_with_infinite(layout, known):
    """Known numeric columns holding ±inf, with their counts (most models refuse them)."""
    if not isinstance(known, dict):
        known = dict(zip(layout.known_columns, np.asarray(known).T))
    counts = {}
    for column, values in known.items():
        if value_kind(values) == "number":
            counts[column] = int(np.isinf(np.asarray(values, dtype=float)).sum())
    return {c: n for c, n in counts.items() if n}


def true_sensitive(layout, X, *, name="X"):
    """The true sensitive values held in an evaluation set ``X``.

    Refuses truth of another type than the auxiliary data's (numbers against text candidates,
    or back): no guess could equal it, and the score would be a silent 0.
    """
    if isinstance(X, pd.DataFrame):
        check_unique_columns(X, name=name)
    if isinstance(X, pd.DataFrame) and layout.is_frame:
        if layout.sensitive not in X.columns:
            raise ValueError(
                f"{name} must hold the true values of the sensitive column {layout.sensitive!r} "
                "to score an attack."
            )
        column = X[layout.sensitive]
        values = column.to_numpy()
    else:
        array = np.asarray(X)
        if array.ndim != 2 or array.shape[1] != len(layout.columns):
            raise ValueError(
                f"{name} must hold all {len(layout.columns)} model columns, the true sensitive "
                "one included, to score an attack."
            )
        column = (
            X.iloc[:, layout.sensitive_position]
            if isinstance(X, pd.DataFrame)
            else array[:, layout.sensitive_position]
        )
        values = array[:, layout.sensitive_position]
    if pd.isna(values).any():
        raise ValueError(
            f"The true sensitive column {layout.sensitive!r} in {name} has missing values; "
            "drop those records before scoring."
        )
    aux_kind = getattr(layout, "_value_kinds", {}).get(layout.sensitive)
    kind = value_kind(column)
    if {kind, aux_kind} == {"text", "number"}:
        aux_dtype = (layout.dtypes or {}).get(layout.sensitive, layout.array_dtype)
        raise _kind_mismatch(
            layout.sensitive,
            kind,
            column,
            name,
            aux_kind,
            aux_dtype,
            "The attack's guesses are auxiliary values, so none could equal the truth and the "
            "score would be 0. Convert one of them (pd.to_numeric, or .astype(str)) so both "
            "hold the same type, and fit again.",
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


def check_observed(observed, n, *, name="observed"):
    """The model outputs the victims saw, as a 1-D (labels, outputs) or 2-D (probabilities)
    array with one row per record, or None."""
    if observed is None:
        return None
    values = np.asarray(observed)
    if values.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D (one label or output per record) or 2-D (one row of class "
            f"probabilities per record); got shape {values.shape}."
        )
    if values.shape[0] != n:
        raise ValueError(f"{name} has {values.shape[0]} rows but there are {n} records.")
    if pd.isna(values).any():
        raise ValueError(f"{name} has missing values; pass the output of every target record.")
    return values


def sensitive_kind(values, sensitive_type):
    """ "categorical" or "numeric" for a sensitive column's auxiliary values."""
    if sensitive_type != "auto":
        return sensitive_type
    series = pd.Series(values)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
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
    if kind == "numeric" or pd.api.types.is_float_dtype(observed.dtype):
        _check_numbers(observed, column)  # an infinite value would become a candidate
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
        if kind == "numeric":
            _check_numbers(pd.Series(values), column, where="candidates")
    if len(values) < 2:
        raise ValueError(
            f"The sensitive column {column!r} has a single value {_describe(values[:1])} in the "
            "auxiliary data; an attack needs at least two candidate values. Pass more varied "
            "auxiliary records or the candidate values explicitly (candidates=[...])."
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


def _check_numbers(values, column, where="the auxiliary data"):
    """Refuse values of a numeric sensitive attribute that are not finite numbers."""
    try:
        numbers = values.to_numpy(dtype=float)
    except (TypeError, ValueError):
        raise ValueError(
            f"The sensitive column {column!r} is treated as numeric but holds values that are "
            f"not numbers in {where} ({_sample(values)}; dtype {values.dtype}). Numeric attacks "
            "(GradientInversion, sensitive_type='numeric') need numbers: use a categorical "
            "attack such as ConfidenceInversion for this column, or convert it with "
            "pd.to_numeric if it holds numbers."
        ) from None
    infinite = ~np.isfinite(numbers)
    if infinite.any():
        raise ValueError(
            f"The sensitive column {column!r} holds {int(infinite.sum())} infinite value(s) in "
            f"{where} ({_sample(values[infinite])}); a numeric attribute needs finite values to "
            "place candidates. Drop those records, or replace them with NaN "
            "(X.replace([np.inf, -np.inf], np.nan)) so they are left out."
        )


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
    # Through wrappers (tabinvert._wrappers), and a FrozenEstimator's `estimator`.
    inner = getattr(model, "_inner_model", None) or getattr(model, "estimator", None)
    if inner is not None and inner is not model and not isinstance(model, Pipeline):
        return _encoders_for(inner, column)
    for _, step in steps:
        for _, transformer, columns in fitted_transformers(step):
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


def candidates_known_to_model(model, column, values):
    """``values`` split into those every fitted encoder of ``column`` in the model knows, and
    those some encoder never saw (a model fitted on a DataFrame; otherwise all are known)."""
    known = list(values)
    for encoder, position in _encoders_for(model, column):
        categories = list(encoder.categories_[position])
        known = [v for v in known if v in categories]
    return known, [v for v in values if v not in known]


def rows_with_unseen_categories(model, X, columns):
    """Boolean mask of the rows of ``X`` holding, in one of ``columns``, a category that a
    fitted encoder of the model never saw (the model cannot answer about such a record)."""
    unseen = np.zeros(len(X), dtype=bool)
    for column in columns:
        if column not in X.columns:
            continue
        for encoder, position in _encoders_for(model, column):
            known = pd.Series(list(encoder.categories_[position]), dtype=object)
            values = X[column]
            unseen |= (values.notna() & ~values.astype(object).isin(known)).to_numpy()
    return unseen


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

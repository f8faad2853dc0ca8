"""Which input column each transformed column comes from, through a model's preprocessing.

A Pipeline's model sees transformed columns (one-hot indicators, scaled values); an explanation
is read per *input* column. Contributions of the transformed columns that come from one input
column are summed into it, the usual practice for one-hot blocks. That is exact bookkeeping
only when every transformed column comes from exactly one input column, so only steps known to
keep columns apart are accepted: one-hot encoding, ordinal encoding, scaling, imputation
without indicators, passthrough, and ColumnTransformers and Pipelines made of them. Anything
else (polynomial features, PCA, a custom function) mixes columns, and is refused by name.
"""

from __future__ import annotations

import numpy as np
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)

from .._sklearn_compat import fitted_transformers, transformer_input_positions

#: Steps whose output column ``j`` is a function of their input column ``j`` alone.
COLUMNWISE_STEPS = (
    StandardScaler,
    MinMaxScaler,
    MaxAbsScaler,
    RobustScaler,
    OrdinalEncoder,
    SimpleImputer,
)

SUPPORTED_STEPS = (
    "OneHotEncoder, OrdinalEncoder, StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler, "
    "SimpleImputer (without add_indicator), 'passthrough', and ColumnTransformers or Pipelines "
    "of these"
)


def unfrozen(model):
    """The model behind any :class:`~sklearn.frozen.FrozenEstimator`."""
    while isinstance(model, FrozenEstimator):
        model = model.estimator
    return model


def split_pipeline(model):
    """``(preprocessing, final model)``: the steps before a Pipeline's last one (None without
    any), and the last step (the model itself when it is no Pipeline)."""
    model = unfrozen(model)
    if not isinstance(model, Pipeline):
        return None, model
    steps = [step for _, step in model.steps[:-1] if step not in (None, "passthrough")]
    final = unfrozen(model.steps[-1][1])
    return (model[:-1] if steps else None), final


def transformed_sources(preprocessing, n_inputs):
    """For each column the preprocessing outputs, the position of the input column it comes
    from: an int array. Raises ValueError naming a step that mixes columns.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from tabinvert.explain._columns import transformed_sources
    >>> X = pd.DataFrame({"colour": ["red", "blue", "green"], "size": [1.0, 2.0, 3.0]})
    >>> encode = make_column_transformer(
    ...     (OneHotEncoder(), ["colour"]), (StandardScaler(), ["size"])
    ... ).fit(X)
    >>> transformed_sources(encode, 2).tolist()
    [0, 0, 0, 1]
    """
    return _step_sources(preprocessing, n_inputs)


def _step_sources(step, n_inputs):
    if step is None or (isinstance(step, str) and step == "passthrough"):
        return np.arange(n_inputs)
    # A fitted ColumnTransformer holds its "passthrough" parts as identity FunctionTransformers.
    if isinstance(step, FunctionTransformer) and step.func is None:
        return np.arange(n_inputs)
    step = unfrozen(step)
    if isinstance(step, Pipeline):
        sources = np.arange(n_inputs)
        for _, inner in step.steps:
            sources = sources[_step_sources(inner, len(sources))]
        return sources
    if isinstance(step, ColumnTransformer):
        return _column_transformer_sources(step)
    if isinstance(step, OneHotEncoder):
        return _one_hot_sources(step, n_inputs)
    if isinstance(step, COLUMNWISE_STEPS):
        if isinstance(step, SimpleImputer) and step.add_indicator:
            raise ValueError(_refusal(step, "its missing-value indicators"))
        _check_width(step, n_inputs, n_inputs)
        return np.arange(n_inputs)
    raise ValueError(_refusal(step))


def _column_transformer_sources(transformer):
    positions = transformer_input_positions(transformer)
    sources = []
    for name, part, _ in fitted_transformers(transformer):
        chosen = np.asarray(positions.get(name, []), dtype=int)
        if (isinstance(part, str) and part == "drop") or chosen.size == 0:
            continue
        sources.append(chosen[_step_sources(part, chosen.size)])
    return np.concatenate(sources) if sources else np.zeros(0, dtype=int)


def _one_hot_sources(encoder, n_inputs):
    """One run of indicator columns per input column, as long as the categories it keeps
    (minus a dropped category, with infrequent categories grouped into one column)."""
    counts = []
    infrequent = getattr(encoder, "infrequent_categories_", None)
    drop = getattr(encoder, "drop_idx_", None)
    for i, categories in enumerate(encoder.categories_):
        count = len(categories)
        if infrequent is not None and infrequent[i] is not None:
            count -= len(infrequent[i]) - 1
        if drop is not None and drop[i] is not None:
            count -= 1
        counts.append(count)
    sources = np.repeat(np.arange(n_inputs), counts)
    _check_width(encoder, n_inputs, sources.size)
    return sources


def _check_width(step, n_inputs, n_outputs):
    """Refuse a step whose number of outputs is not what the mapping assumed."""
    try:
        width = len(step.get_feature_names_out())
    except Exception:  # a step that cannot name its outputs: trust the structure read above
        return
    if width != n_outputs:
        raise ValueError(
            _refusal(step, f"{width} output columns for {n_inputs} inputs (expected {n_outputs})")
        )


def _refusal(step, detail="columns that mix several input columns"):
    return (
        f"Cannot map the model's transformed columns back to its input columns through "
        f"{type(step).__name__}: it produces {detail}. Contributions can be read per input "
        f"column through {SUPPORTED_STEPS}. Explain the model with ShapExplainer instead "
        "(it explains the whole pipeline from its input columns)."
    )


def summing_matrix(sources, n_inputs):
    """The (n_transformed, n_inputs) 0/1 matrix that sums transformed columns into inputs."""
    matrix = np.zeros((len(sources), n_inputs))
    matrix[np.arange(len(sources)), sources] = 1.0
    return matrix


def dense(values):
    """A float ndarray of a transformed matrix (sparse one-hot output included)."""
    if hasattr(values, "toarray"):
        values = values.toarray()
    return np.asarray(values, dtype=float)

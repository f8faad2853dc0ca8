"""Which fitted models have an analytic gradient, and their layers when they do.

A pipeline is differentiable with respect to some raw input columns when its preprocessing is
affine in the unknown numeric columns (``StandardScaler``, ``MinMaxScaler`` without ``clip``,
``MaxAbsScaler``, ``RobustScaler``, ``"passthrough"``; a ``ColumnTransformer`` only as the first
step), unknown categorical columns go through ``OneHotEncoder`` / ``OrdinalEncoder`` (optionally
after a ``SimpleImputer``), known columns go through anything, and the final estimator is a
linear regressor, a ``LogisticRegression`` or an MLP. This module flattens the pipeline, checks
its steps and reads the final estimator's layers; everything else raises
:class:`~tabinvert.exceptions.NotDifferentiableError` naming the part that is not supported.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.base import is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier, MLPRegressor
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
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import LinearModel, transformer_input_positions
from ..exceptions import NotDifferentiableError

_AFFINE_SCALERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
_CATEGORY_ENCODERS = (OneHotEncoder, OrdinalEncoder, SimpleImputer)


def flatten_pipeline(model):
    """Preprocessing steps and final estimator of a (possibly nested) Pipeline."""
    if not isinstance(model, Pipeline):
        return [], model
    steps = []
    for _, step in model.steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if isinstance(step, Pipeline):
            inner, last = flatten_pipeline(step)
            steps += inner + [last]
        else:
            steps.append(step)
    inner, final = flatten_pipeline(model.steps[-1][1])
    return steps + inner, final


def _is_affine(transformer):
    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return True
    if isinstance(transformer, Pipeline):
        return all(_is_affine(step) for _, step in transformer.steps)
    if isinstance(transformer, FunctionTransformer):
        return transformer.func is None
    if isinstance(transformer, MinMaxScaler):
        return not transformer.clip
    return isinstance(transformer, _AFFINE_SCALERS)


def _is_category_encoding(transformer):
    if isinstance(transformer, Pipeline):
        return all(_is_category_encoding(step) for _, step in transformer.steps)
    return _is_affine(transformer) or isinstance(transformer, _CATEGORY_ENCODERS)


def check_steps(steps, numeric, categorical):
    """Refuse preprocessing ``steps`` that are not affine in the ``numeric`` unknown columns or
    do not encode the ``categorical`` ones."""
    for i, step in enumerate(steps):
        if isinstance(step, ColumnTransformer):
            if i:
                raise NotDifferentiableError(
                    "A ColumnTransformer is supported as the first pipeline step only (it must "
                    "read the raw columns)."
                )
            _check_column_transformer(step, numeric, categorical)
        elif not _is_affine(step):
            raise NotDifferentiableError(
                f"The pipeline step {type(step).__name__} is not supported for analytic "
                "gradients (supported: StandardScaler, MinMaxScaler without clip, MaxAbsScaler, "
                "RobustScaler, and a ColumnTransformer as the first step). Use a black-box "
                "gradient (finite differences or SPSA) instead."
            )


def _check_column_transformer(transformer, numeric, categorical):
    indices = transformer_input_positions(transformer)
    if hasattr(transformer, "feature_names_in_"):
        columns = list(transformer.feature_names_in_)
    else:
        columns = list(range(transformer.n_features_in_))
    fitted = transformer.named_transformers_
    for name, positions in indices.items():
        read = [columns[p] for p in positions]
        free_numeric = [c for c in read if c in numeric]
        free_categorical = [c for c in read if c in categorical]
        if not (free_numeric or free_categorical):
            continue  # only known columns: constants, whatever the transformer
        step = fitted[name] if name in fitted else "drop"
        if isinstance(step, str) and step == "drop":
            continue
        if free_numeric and not _is_affine(step):
            raise NotDifferentiableError(
                f"The unknown numeric column(s) {free_numeric} go through "
                f"{type(step).__name__} ({name!r}) in the model's ColumnTransformer, which is "
                "not affine. Analytic gradients need them passed through or scaled "
                "(StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler); declare one-hot "
                "encoded unknowns categorical, or use a black-box gradient."
            )
        if free_categorical and not _is_category_encoding(step):
            raise NotDifferentiableError(
                f"The unknown categorical column(s) {free_categorical} go through "
                f"{type(step).__name__} ({name!r}); supported are OneHotEncoder, OrdinalEncoder, "
                "SimpleImputer and the affine scalers."
            )


def final_layers(estimator):
    """``(layers, hidden_activation, head)`` of a supported final estimator.

    ``layers`` is a list of ``(W, b)``; ``head`` the output activation ("identity", "exp",
    "logistic" or "softmax").
    """
    name = type(estimator).__name__
    if getattr(estimator, "_tabinvert_shared_state", False):  # a metered API (QueryBudget)
        raise NotDifferentiableError(
            "The model is served through a QueryBudget, a metered prediction API: it answers "
            "queries (each one charged) but does not expose the parameters that analytic "
            "gradients are computed from. Use black-box gradients ('finite_differences' or "
            "'spsa', every query charged to the budget), or pass the model itself "
            "(budget.estimator) if you hold its parameters."
        )
    check_is_fitted(estimator)
    if isinstance(estimator, (MLPClassifier, MLPRegressor)):
        return _mlp_layers(estimator)
    if isinstance(estimator, LogisticRegression):
        W = _dense(estimator.coef_).T
        head = "logistic" if W.shape[1] == 1 else "softmax"
        return [(W, np.asarray(estimator.intercept_, dtype=float).reshape(-1))], "identity", head
    if isinstance(estimator, LinearModel) and not is_classifier(estimator):
        coef = _dense(estimator.coef_)
        if coef.ndim == 2:
            if coef.shape[0] != 1:
                raise NotDifferentiableError(f"A multi-output {name} is not supported.")
            coef = coef[0]
        intercept = np.asarray(getattr(estimator, "intercept_", 0.0), dtype=float).reshape(-1)
        return [(coef[:, None], intercept[:1])], "identity", "identity"
    raise NotDifferentiableError(
        f"No analytic gradient for {name}: supported are linear regressors (LinearModel with "
        "coef_), LogisticRegression, MLPClassifier and MLPRegressor, optionally in a Pipeline "
        "after affine scalers. For other models use a black-box gradient (finite differences "
        "or SPSA) or ConfidenceInversion."
    )


def _mlp_layers(estimator):
    name = type(estimator).__name__
    head = estimator.out_activation_
    if head not in ("softmax", "logistic", "identity", "exp"):  # pragma: no cover
        raise NotDifferentiableError(f"{name} has an unsupported output {head!r}.")
    binarizer = getattr(estimator, "_label_binarizer", None)
    if binarizer is not None and binarizer.y_type_ == "multilabel-indicator":
        raise NotDifferentiableError(f"A multilabel {name} is not supported.")
    if isinstance(estimator, MLPRegressor) and estimator.n_outputs_ != 1:
        raise NotDifferentiableError(f"A multi-output {name} is not supported.")
    layers = [
        (np.asarray(W, dtype=float), np.asarray(b, dtype=float))
        for W, b in zip(estimator.coefs_, estimator.intercepts_)
    ]
    return layers, estimator.activation, head


def _dense(array):
    if sparse.issparse(array):
        array = array.toarray()
    return np.asarray(array, dtype=float)

"""Exact TreeSHAP contributions of XGBoost and LightGBM models, computed by the libraries."""

from __future__ import annotations

import numpy as np
from scipy import sparse

from .._validation import loaded_instance
from ._base import BaseExplainer, output_column
from ._columns import dense, split_pipeline, summing_matrix, transformed_sources


def _library(model):
    if loaded_instance(model, "xgboost", "XGBModel"):
        return "xgboost"
    if loaded_instance(model, "lightgbm", "LGBMModel"):
        return "lightgbm"
    return None


def _xgboost_contributions(model, Z):
    """``pred_contribs=True``: (n, n_features + 1) or (n, n_classes, n_features + 1)."""
    import xgboost  # loaded already: the model is one of its objects

    try:  # the trees a fitted-with-early-stopping model predicts with
        iteration_range = (0, int(model.best_iteration) + 1)
    except AttributeError:
        iteration_range = (0, 0)  # every tree
    matrix = xgboost.DMatrix(
        Z,
        missing=np.nan if model.missing is None else model.missing,
        enable_categorical=bool(getattr(model, "enable_categorical", False)),
        feature_types=getattr(model, "feature_types", None),
    )
    values = model.get_booster().predict(
        matrix, pred_contribs=True, iteration_range=iteration_range
    )
    return np.asarray(values, dtype=float)


def _lightgbm_contributions(model, Z):
    """``pred_contrib=True``: (n, n_features + 1), or one such block per class side by side."""
    values = np.asarray(model.predict(Z, pred_contrib=True), dtype=float)
    n_features = int(model.n_features_in_)
    if values.shape[1] > n_features + 1:  # multiclass: (n, n_classes * (n_features + 1))
        values = values.reshape(len(values), -1, n_features + 1)
    return values


class TreeContributions(BaseExplainer):
    """Exact TreeSHAP contributions of an XGBoost or LightGBM model, per input column.

    The libraries compute them themselves (XGBoost's ``pred_contribs=True``, LightGBM's
    ``pred_contrib=True``): no extra dependency. For each record, the contributions of its
    columns and a base value (the model's expected margin) add up to the model's margin: the
    log-odds of a binary classifier's positive class, a multiclass model's margin for one
    class, or a regressor's prediction.

    A Pipeline ending in such a model is explained per *input* column: the contributions of
    the transformed columns that come from one input column (the indicators of a one-hot
    block, a scaled column) are summed into it. Only steps that keep input columns apart are
    accepted (one-hot and ordinal encoding, scaling, imputation, passthrough, and
    ColumnTransformers of them); any other is refused, naming it.

    Parameters
    ----------
    estimator : object
        A fitted ``xgboost.XGBClassifier`` / ``XGBRegressor``, ``lightgbm.LGBMClassifier`` /
        ``LGBMRegressor``, or a Pipeline ending in one. Never refitted; ``clone`` keeps it.
    output : class label or int, default=None
        Which margin to explain. Classifiers: a class (default: the positive class of a binary
        model, whose margin is the log-odds; the other class's log-odds is its negative; a
        multiclass model needs one). Multi-output regressors: a position.

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        The columns of the explanation: the model's input columns (``x0, x1, ...`` for a
        model fitted on an array).
    feature_names_in_ : ndarray of str
        The model's input column names (models fitted on a frame).
    n_features_in_ : int
        The number of the model's input columns.
    keeps : str
        What the explanation keeps: every contribution, exactly.

    See Also
    --------
    LinearContributions : The same for linear models.
    ShapExplainer : Any model, through the ``shap`` package.

    References
    ----------
    .. [1] S. M. Lundberg, G. Erion et al., "From local explanations to global understanding
       with explainable AI for trees", Nature Machine Intelligence 2, 2020.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from xgboost import XGBClassifier
    >>> from tabinvert.explain import TreeContributions
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"income": rng.normal(size=200), "age": rng.integers(18, 80, 200)})
    >>> y = (X["income"] > 0).astype(int)
    >>> model = XGBClassifier(n_estimators=5, max_depth=2).fit(X, y)
    >>> explainer = TreeContributions(model)
    >>> explanation = explainer.explain(X[:3])
    >>> list(explanation.columns)
    ['income', 'age']
    >>> margin = explanation.sum(axis=1) + explainer.base_values(X[:3])
    >>> bool(np.allclose(margin, model.predict(X[:3], output_margin=True), atol=1e-5))
    True
    """

    _parameter_constraints: dict = {
        **BaseExplainer._parameter_constraints,
        "output": "no_validation",  # a class label of any type, or a position
    }

    def __init__(self, estimator, *, output=None):
        self.estimator = estimator
        self.output = output

    def _check_ready(self):
        super()._check_ready()
        _, final = split_pipeline(self.estimator)
        if _library(final) is None:
            raise TypeError(
                f"TreeContributions reads the exact TreeSHAP values XGBoost and LightGBM "
                f"compute; {type(final).__name__} is neither. Use LinearContributions for a "
                "linear model, or ShapExplainer (pip install 'tabinvert[shap]') for any model."
            )

    def _contributions(self, X):
        preprocessing, final = split_pipeline(self.estimator)
        Z = X if preprocessing is None else preprocessing.transform(X)
        library = _library(final)
        # XGBoost reads an entry a sparse matrix leaves out as missing, and a dense 0 as 0: a
        # model trained behind a sparse one-hot encoder is explained on the sparse matrix.
        keep_sparse = library == "xgboost" and sparse.issparse(Z)
        if preprocessing is not None and not hasattr(Z, "columns") and not keep_sparse:
            Z = dense(Z)
        if library == "xgboost":
            values = _xgboost_contributions(final, Z)
        else:
            values = _lightgbm_contributions(final, Z)
        n_outputs = 1 if values.ndim == 2 else values.shape[1]
        row, sign = output_column(final, self.output, n_outputs=n_outputs)
        if values.ndim == 3:
            values = values[:, row, :]
        values = sign * values
        contributions, base = values[:, :-1], values[:, -1]
        if preprocessing is not None:
            sources = transformed_sources(preprocessing, X.shape[1])
            if len(sources) != contributions.shape[1]:
                raise ValueError(
                    f"The pipeline's preprocessing outputs {contributions.shape[1]} columns "
                    f"but its steps account for {len(sources)}: cannot map contributions back "
                    "to the input columns."
                )
            contributions = contributions @ summing_matrix(sources, X.shape[1])
        return contributions, base

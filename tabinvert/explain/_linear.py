"""Contributions of a linear model: coefficient × (value − reference), per input column."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.exceptions import NotFittedError

from .._sklearn_compat import HasMethods, StrOptions
from ._base import BaseExplainer, model_columns, output_column
from ._columns import dense, split_pipeline, summing_matrix, transformed_sources


class LinearContributions(BaseExplainer):
    """A linear model's contributions: coefficient × (value − reference), per input column.

    For a model whose margin is ``w · z + b`` in its (transformed) columns ``z``, the
    contribution of column ``j`` is ``w_j (z_j − r_j)`` for a reference point ``r``; with the
    base value ``w · r + b`` they add up to the margin exactly. With the mean of background
    records as the reference these are the exact (interventional) Shapley values of a linear
    model. The margin is ``decision_function`` for classifiers (the log-odds of a binary
    logistic regression's positive class) and the linear predictor for regressors
    (``predict`` for LinearRegression and Ridge; the link scale for generalised linear
    models).

    Inside a Pipeline the coefficients are those of the transformed columns, and the
    contributions of the transformed columns that come from one input column (the indicators
    of a one-hot block, a scaled column) are summed into it: a one-hot column contributes
    ``w_category − Σ_c w_c r_c``, its category's weight against the reference mix.

    Parameters
    ----------
    estimator : object
        A fitted linear model with ``coef_`` and ``intercept_`` (LogisticRegression,
        LinearRegression, Ridge, SGDClassifier, LinearSVC, ...), alone or at the end of a
        Pipeline of one-hot / ordinal encoding, scaling, imputation and passthrough steps
        (ColumnTransformers of them included). Never refitted; ``clone`` keeps it.
    reference : "mean" or array-like, default="mean"
        The point contributions are measured from. "mean": the mean of the transformed columns
        over the records given to :meth:`fit` (the one-hot columns' mean is the categories'
        frequencies). Array-like: one record, or several (their transformed mean), in the
        model's input columns (a DataFrame for a model fitted on one).
    output : class label or int, default=None
        Which margin to explain. Classifiers: a class (default: the positive class of a binary
        model; a multiclass model needs one). Multi-output regressors: a position.

    Attributes
    ----------
    reference_ : ndarray of shape (n_transformed_columns,)
        The reference in the model's transformed columns.
    feature_names_out_ : ndarray of str
        The columns of the explanation: the model's input columns.
    feature_names_in_ : ndarray of str
        The model's input column names (models fitted on a frame).
    n_features_in_ : int
        The number of the model's input columns.

    See Also
    --------
    TreeContributions : The same for XGBoost and LightGBM models.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder, StandardScaler
    >>> from tabinvert.explain import LinearContributions
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(
    ...     {"region": rng.choice(["north", "south", "east"], 300), "income": rng.normal(size=300)}
    ... )
    >>> y = ((X["region"] == "north") ^ (X["income"] > 0)).astype(int)
    >>> model = make_pipeline(
    ...     make_column_transformer((OneHotEncoder(), ["region"]), (StandardScaler(), ["income"])),
    ...     LogisticRegression(),
    ... ).fit(X, y)
    >>> explainer = LinearContributions(model).fit(X)
    >>> explanation = explainer.explain(X[:2])
    >>> list(explanation.columns)
    ['region', 'income']
    >>> margin = explanation.sum(axis=1) + explainer.base_values(X[:2])
    >>> bool(np.allclose(margin, model.decision_function(X[:2])))
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "reference": [StrOptions({"mean"}), "array-like"],
        "output": "no_validation",
    }

    def __init__(self, estimator, *, reference="mean", output=None):
        self.estimator = estimator
        self.reference = reference
        self.output = output

    def _linear_parts(self):
        preprocessing, final = split_pipeline(self.estimator)
        if not (hasattr(final, "coef_") and hasattr(final, "intercept_")):
            raise TypeError(
                f"LinearContributions reads a linear model's coef_ and intercept_; "
                f"{type(final).__name__} has none. Use TreeContributions for XGBoost or "
                "LightGBM, or ShapExplainer (pip install 'tabinvert[shap]') for any model."
            )
        coef = np.atleast_2d(np.asarray(final.coef_, dtype=float))
        intercept = np.broadcast_to(
            np.atleast_1d(np.asarray(final.intercept_, dtype=float)), (coef.shape[0],)
        )
        return preprocessing, final, coef, intercept

    def _check_ready(self):
        super()._check_ready()
        self._linear_parts()
        if isinstance(self.reference, str) and not hasattr(self, "reference_"):
            raise NotFittedError(
                "LinearContributions(reference='mean') measures contributions from the mean of "
                "background records: call fit(X) with records in the model's columns first, "
                "or give the reference point (reference=<a record>)."
            )

    def _transformed(self, X):
        preprocessing, _ = split_pipeline(self.estimator)
        return dense(X if preprocessing is None else preprocessing.transform(X))

    def _fit(self, X):
        if not isinstance(self.reference, str):
            self.reference_ = self._given_reference()
            return
        if X is None:
            raise ValueError(
                "LinearContributions(reference='mean') learns the mean of background "
                "records: pass them to fit(X)."
            )
        self.reference_ = np.nanmean(self._transformed(_model_input(self.estimator, X)), axis=0)

    def _given_reference(self):
        """The given reference record(s), in the model's transformed columns (their mean)."""
        reference = self.reference
        names = model_columns(self.estimator)
        if not isinstance(reference, pd.DataFrame):
            reference = np.asarray(reference, dtype=object)
            if reference.ndim == 1:
                reference = reference[None, :]
            if names is not None:  # one record as a list: the model's columns, in order
                reference = pd.DataFrame(reference, columns=names).infer_objects()
        records, _ = self._records(reference, name="reference")
        return self._transformed(_model_input(self.estimator, records)).mean(axis=0)

    def _reference_point(self):
        if hasattr(self, "reference_"):
            return self.reference_
        return self._given_reference()  # a given reference needs no fit

    def _contributions(self, X):
        preprocessing, final, coef, intercept = self._linear_parts()
        row, sign = output_column(final, self.output, n_outputs=coef.shape[0])
        weights, reference = sign * coef[row], self._reference_point()
        Z = self._transformed(_model_input(self.estimator, X))
        if Z.shape[1] != weights.size or reference.size != weights.size:
            raise ValueError(
                f"The linear model has {weights.size} coefficients but its input has "
                f"{Z.shape[1]} columns (the reference {reference.size}); refit the explainer."
            )
        contributions = (Z - reference) * weights
        base = np.full(len(Z), sign * intercept[row] + weights @ reference)
        if preprocessing is not None:
            sources = transformed_sources(preprocessing, X.shape[1])
            contributions = contributions @ summing_matrix(sources, X.shape[1])
        return contributions, base


def _model_input(model, X):
    """What the first step reads: the records as they are for a Pipeline, floats for a bare
    linear model (it reads numbers only)."""
    if split_pipeline(model)[0] is not None:
        return X
    return X.to_numpy(dtype=float) if isinstance(X, pd.DataFrame) else np.asarray(X, dtype=float)

"""Any model's Shapley contributions through the ``shap`` package (the ``shap`` extra)."""

from __future__ import annotations

import importlib
import warnings
from numbers import Integral

import numpy as np
import pandas as pd
from scipy.special import logit

from .._sklearn_compat import HasMethods, Interval, StrOptions
from ._base import BaseExplainer, is_classifier_like, model_columns, output_column
from ._columns import unfrozen

#: Probabilities are clipped to [ε, 1 − ε] before their log-odds (a tree's 0 and 1 are finite).
_PROBABILITY_CLIP = 1e-12


def import_shap():
    """The ``shap`` module, or an ImportError naming the extra that installs it.

    shap's own import emits deprecation warnings from its plotting modules' use of matplotlib;
    they are not the caller's to act on, so they are silenced here (and only here).
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            return importlib.import_module("shap")
    except ImportError as exc:
        raise ImportError(
            "ShapExplainer needs the shap package: pip install 'tabinvert[shap]' (or pip "
            f"install shap). ({exc})"
        ) from exc


class ShapExplainer(BaseExplainer):
    """Any model's Shapley contributions, computed by the ``shap`` package.

    The model is explained as a function of its input columns (a whole Pipeline included),
    against background records given by the user: shap's ``Explainer`` with an independent
    masker over them, so a contribution is the column's interventional Shapley value and the
    contributions add up to the margin minus its mean over the background (exactly for the
    "exact" algorithm, up to sampling for "permutation"). The margin explained is a
    classifier's log-odds of one class, ``logit(predict_proba)``, or a regressor's
    prediction.

    ``shap`` is an optional dependency: ``pip install 'tabinvert[shap]'``. It is imported when
    the explainer first explains.

    Parameters
    ----------
    estimator : object
        Any fitted model with ``predict_proba`` (classifiers) or ``predict`` (regressors).
        Never refitted; ``clone`` keeps it.
    background : DataFrame or array-like of shape (n_background, n_features)
        Records in the model's columns that absent columns are filled from. Small sets (a few
        dozen records) keep the cost down: each explained record costs about
        ``n_background × 2**n_features`` model rows with "exact".
    output : class label or int, default=None
        Which margin to explain. Classifiers: a class (default: the positive class of a binary
        model; a multiclass model needs one). Multi-output regressors: a position.
    algorithm : {"auto", "exact", "permutation"}, default="auto"
        shap's algorithm ("auto": shap's choice, exact for up to 10 columns).
    max_evals : int or "auto", default="auto"
        Model evaluations per record for "permutation" (shap's ``max_evals``).

    Attributes
    ----------
    feature_names_out_ : ndarray of str
        The columns of the explanation: the model's input columns.

    See Also
    --------
    TreeContributions : Exact and fast for XGBoost and LightGBM, without shap.
    LinearContributions : Exact and fast for linear models, without shap.

    References
    ----------
    .. [1] S. M. Lundberg and S.-I. Lee, "A Unified Approach to Interpreting Model
       Predictions", NeurIPS 2017.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from tabinvert.explain import ShapExplainer
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"income": rng.normal(size=200), "age": rng.normal(size=200)})
    >>> y = (X["income"] > 0).astype(int)
    >>> model = RandomForestClassifier(10, random_state=0).fit(X, y)
    >>> explainer = ShapExplainer(model, X[:20])
    >>> explanation = explainer.explain(X[:2])  # doctest: +SKIP
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "background": ["array-like"],
        "output": "no_validation",
        "algorithm": [StrOptions({"auto", "exact", "permutation"})],
        "max_evals": [StrOptions({"auto"}), Interval(Integral, 1, None, closed="left")],
    }

    def __init__(self, estimator, background, *, output=None, algorithm="auto", max_evals="auto"):
        self.estimator = estimator
        self.background = background
        self.output = output
        self.algorithm = algorithm
        self.max_evals = max_evals

    def _margin_function(self, template, codebook):
        """The margin as a function of a 2-D float array of the model's input columns (text
        columns as codes into ``codebook``)."""
        model = self.estimator
        names = model_columns(model)
        dtypes = template.dtypes.to_dict() if isinstance(template, pd.DataFrame) else None
        classifier = is_classifier_like(unfrozen(model))

        def margin(values):
            X = values
            if names is not None:  # back to the frame (and dtypes) the model was fitted on
                columns = {}
                for j, name in enumerate(names):
                    if name in codebook:
                        codes = np.rint(values[:, j]).astype(int)
                        columns[name] = pd.Series(codebook[name].take(codes), dtype=dtypes[name])
                    else:
                        columns[name] = pd.Series(values[:, j]).astype(dtypes[name])
                X = pd.DataFrame(columns)
            if classifier:
                proba = np.asarray(model.predict_proba(X), dtype=float)
                row, _ = output_column(model, self.output, n_outputs=proba.shape[1])
                return logit(np.clip(proba[:, row], _PROBABILITY_CLIP, 1 - _PROBABILITY_CLIP))
            predicted = np.asarray(model.predict(X), dtype=float)
            if predicted.ndim == 1:
                output_column(model, self.output, n_outputs=1)
                return predicted
            row, _ = output_column(model, self.output, n_outputs=predicted.shape[1])
            return predicted[:, row]

        return margin

    def _shap_values(self, X):
        shap = import_shap()
        background, _ = self._records(self.background, name="background")
        # shap's maskers compute with numbers: text columns travel as codes into the values
        # seen in the background and the records, and are decoded before the model sees them.
        codebook = {}
        if isinstance(background, pd.DataFrame):
            for name in background.columns:
                if not pd.api.types.is_numeric_dtype(background[name].dtype):
                    values = pd.concat([background[name], X[name]], ignore_index=True)
                    codebook[name] = pd.unique(values.astype(object))
            background_values = _encoded(background, codebook)
            records = _encoded(X, codebook)
        else:
            background_values = np.asarray(background, dtype=float)
            records = np.asarray(X, dtype=float)
        masker = shap.maskers.Independent(background_values, max_samples=len(background_values))
        explainer = shap.Explainer(
            self._margin_function(background, codebook), masker, algorithm=self.algorithm
        )
        with warnings.catch_warnings():
            # shap's progress bar and numba deprecations: not the caller's to act on.
            warnings.simplefilter("ignore", DeprecationWarning)
            warnings.simplefilter("ignore", FutureWarning)
            kwargs = {} if self.max_evals == "auto" else {"max_evals": self.max_evals}
            explanation = explainer(records, silent=True, **kwargs)
        values = np.asarray(explanation.values, dtype=float)
        base = np.asarray(explanation.base_values, dtype=float).reshape(len(records))
        return values, base

    def _contributions(self, X):
        return self._shap_values(X)


def _encoded(frame, codebook):
    """A frame as a float array, text columns as their position in ``codebook``."""
    columns = []
    for name in frame.columns:
        if name in codebook:
            lookup = {value: code for code, value in enumerate(codebook[name])}
            columns.append(frame[name].astype(object).map(lookup).to_numpy(dtype=float))
        else:
            columns.append(frame[name].to_numpy(dtype=float))
    return np.column_stack(columns)

"""Meta-estimators that put an output defense in front of a model, on every path out of it."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from sklearn.base import (
    BaseEstimator,
    ClassifierMixin,
    MetaEstimatorMixin,
    RegressorMixin,
    clone,
)
from sklearn.utils import get_tags
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import _fit_context, HasMethods
from ._transformers import _PredictionDefense, _ProbabilityDefense

_SECURITY_NOTE = """
    Every output leaves through the defense. ``predict``, ``score`` and (for classifiers)
    ``predict_proba`` and ``predict_log_proba`` are computed from the defended output;
    ``decision_function``, raw scores and the inner model's attributes (``coef_``,
    ``feature_importances_``, ...) are not offered, and the fitted inner model is not a public
    attribute. Pickling keeps the defense. This guards the *API* of the object, e.g. what a
    model server exposes; it is not a sandbox: whoever holds the Python object (or a prefit
    model passed as ``estimator`` through :class:`~sklearn.frozen.FrozenEstimator`, which
    ``get_params`` returns) holds the model.
"""


class _DefendedModel(MetaEstimatorMixin, BaseEstimator):
    """Shared fitting and plumbing of the defended meta-estimators (not for direct use)."""

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"])],
        "defense": [HasMethods(["fit", "transform"])],
    }

    def __init__(self, estimator, defense):
        self.estimator = estimator
        self.defense = defense

    @_fit_context(prefer_skip_nested_validation=False)  # the estimator validates itself
    def fit(self, X, y, **fit_params):
        """Fit the inner model (a :class:`~sklearn.frozen.FrozenEstimator` stays as it is) and
        the defense.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Training data, as the inner model takes it.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        **fit_params : dict
            Passed to the inner model's ``fit``.

        Returns
        -------
        self : object
        """
        model = clone(self.estimator).fit(X, y, **fit_params)
        self._inner_model = model
        for name in ("n_features_in_", "feature_names_in_"):
            if hasattr(model, name):
                setattr(self, name, getattr(model, name))
            elif name in self.__dict__:
                delattr(self, name)
        self._fit_defense(model, y)
        return self

    def _defend(self, raw):
        raw = np.asarray(raw, dtype=float)
        defended = np.asarray(self.defense_.transform(raw), dtype=float)
        if defended.shape != raw.shape:
            raise ValueError(
                f"The defense {type(self.defense_).__name__} changed the output's shape from "
                f"{raw.shape} to {defended.shape}; a defense must keep one value per output."
            )
        finite = np.isfinite(defended).all(axis=tuple(range(1, defended.ndim)))
        if not finite.all():
            row = int(np.flatnonzero(~finite)[0])
            raise ValueError(
                f"The defense {type(self.defense_).__name__} returned non-finite values "
                f"{defended[row].tolist()} (row {row}) for the model's output "
                f"{raw[row].tolist()}; a defended model never serves NaN or infinity."
            )
        return defended

    def _check_defense_kind(self, wrong_kind, what):
        """Refuse a defense (or a Pipeline step) made for the other kind of model's output."""
        steps = getattr(self.defense, "steps", None) or [(None, self.defense)]
        for _, step in steps:
            if isinstance(step, wrong_kind):
                raise ValueError(
                    f"{type(self).__name__} cannot use {type(step).__name__}: it transforms "
                    f"{what}. Use a defense made for this model's output (see "
                    "tabinvert.defenses)."
                )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags = inner.input_tags
        tags.target_tags = inner.target_tags
        return tags


class DefendedClassifier(ClassifierMixin, _DefendedModel):
    """A classifier whose probabilities all pass through an output defense.

    ``predict_proba`` returns ``defense.transform(estimator.predict_proba(X))``; ``predict``
    agrees with it: it returns the inner model's label whenever that label is among the
    defended maxima (so an arg-max-preserving defense such as rounding costs no accuracy), and
    the defended arg-max otherwise.
    {security}
    Parameters
    ----------
    estimator : classifier
        The model to defend, unfitted (``fit`` fits a clone) or prefit and wrapped in
        :class:`sklearn.frozen.FrozenEstimator` (``fit`` then only reads its classes).
    defense : transformer
        A probability defense from :mod:`tabinvert.defenses` (or any transformer of an
        ``(n, n_classes)`` matrix), or a :class:`~sklearn.pipeline.Pipeline` of them.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The inner model's classes.
    defense_ : transformer
        The fitted clone of ``defense``.
    n_features_in_ : int
        Columns the inner model takes.
    feature_names_in_ : ndarray of str
        Their names, when the inner model was fitted on a DataFrame.

    See Also
    --------
    DefendedRegressor : the same for regressors.
    QueryBudget : limit how many queries a model answers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.frozen import FrozenEstimator
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.defenses import DefendedClassifier, RoundProbabilities
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> model = LogisticRegression().fit(X, y)
    >>> model.predict_proba(X[:2]).round(3).tolist()
    [[0.808, 0.192], [0.618, 0.382]]
    >>> defended = DefendedClassifier(FrozenEstimator(model), RoundProbabilities(1)).fit(X, y)
    >>> defended.predict_proba(X[:2]).tolist()
    [[0.8, 0.2], [0.6, 0.4]]
    >>> defended.predict(X).tolist(), hasattr(defended, "decision_function")
    ([0, 0, 1, 1], False)
    """

    _parameter_constraints: dict = {
        **_DefendedModel._parameter_constraints,
        "estimator": [HasMethods(["fit", "predict_proba"])],
    }

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # One (n, n_classes) probability matrix goes through the defense: several outputs are
        # refused in fit, whatever the inner classifier supports.
        tags.target_tags = replace(tags.target_tags, multi_output=False, single_output=True)
        return tags

    def _fit_defense(self, model, y):
        self._check_defense_kind(_PredictionDefense, "a regressor's predictions")
        classes = getattr(model, "classes_", None)
        if isinstance(classes, list):
            raise ValueError(
                f"DefendedClassifier defends one output, but y has {len(classes)} columns (a "
                f"multi-output {type(model).__name__}); fit one DefendedClassifier per output "
                "column."
            )
        if classes is None:
            raise ValueError(
                "DefendedClassifier needs a classifier with classes_; "
                f"{type(model).__name__} has none."
            )
        self.classes_ = np.asarray(classes)
        # Stateless defenses only learn the number of columns: fit on one row per class.
        self.defense_ = clone(self.defense).fit(np.eye(len(self.classes_)))

    def predict_proba(self, X):
        """Defended class probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        check_is_fitted(self, "defense_")
        return self._defend(self._inner_model.predict_proba(X))

    def predict_log_proba(self, X):
        """Logarithm of the defended probabilities (``-inf`` where the defense returns 0).

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
        """
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """Class labels that agree with the defended probabilities.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,)
        """
        check_is_fitted(self, "defense_")
        return self._labels(np.asarray(self._inner_model.predict_proba(X), dtype=float))

    def _labels(self, raw):
        """The labels served for raw probabilities: the inner label while it is among the
        defended maxima, the defended arg-max otherwise."""
        defended = self._defend(raw)
        rows = np.arange(len(defended))
        inner_choice = raw.argmax(axis=1)
        keeps_inner = defended[rows, inner_choice] >= defended.max(axis=1)
        return self.classes_[np.where(keeps_inner, inner_choice, defended.argmax(axis=1))]

    #: The wrapper protocol (tabinvert._wrappers): what is served is a function of the inner
    #: model's probabilities, so the query engine can defend answers it already holds.
    _tabinvert_raw_method = "predict_proba"

    def _tabinvert_defend(self, raw, response_method):
        """What ``response_method`` serves for the inner model's raw probabilities ``raw``."""
        check_is_fitted(self, "defense_")
        raw = np.asarray(raw, dtype=float)
        if response_method == "predict_proba":
            return self._defend(raw)
        if response_method == "predict":
            return self._labels(raw)
        if response_method == "predict_log_proba":
            with np.errstate(divide="ignore"):
                return np.log(self._defend(raw))
        raise AttributeError(f"DefendedClassifier does not serve {response_method}().")


class DefendedRegressor(RegressorMixin, _DefendedModel):
    """A regressor whose predictions all pass through an output defense.

    ``predict`` returns ``defense.transform(estimator.predict(X))`` (as a column, then back to
    the inner model's shape); ``score`` is the R² of the defended predictions.
    {security}
    Parameters
    ----------
    estimator : regressor
        The model to defend, unfitted (``fit`` fits a clone) or prefit and wrapped in
        :class:`sklearn.frozen.FrozenEstimator`.
    defense : transformer
        A prediction defense (:class:`~tabinvert.defenses.RoundPredictions`,
        :class:`~tabinvert.defenses.NoisePredictions`) or a Pipeline of them.

    Attributes
    ----------
    defense_ : transformer
        The fitted clone of ``defense``.
    n_features_in_ : int
        Columns the inner model takes.
    feature_names_in_ : ndarray of str
        Their names, when the inner model was fitted on a DataFrame.

    See Also
    --------
    DefendedClassifier : the same for classifiers.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.defenses import DefendedRegressor, RoundPredictions
    >>> X, y = np.array([[0.0], [1.0], [2.0]]), np.array([0.3, 2.4, 4.2])
    >>> defended = DefendedRegressor(LinearRegression(), RoundPredictions(step=1.0)).fit(X, y)
    >>> defended.predict(X).tolist()
    [0.0, 2.0, 4.0]
    """

    def _fit_defense(self, model, y):
        self._check_defense_kind(_ProbabilityDefense, "class probabilities")
        shape = getattr(y, "shape", None) or np.asarray(y).shape
        n_outputs = 1 if len(shape) == 1 else shape[1]
        self.defense_ = clone(self.defense).fit(np.zeros((1, n_outputs)))

    def predict(self, X):
        """Defended predictions.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self, "defense_")
        raw = np.asarray(self._inner_model.predict(X), dtype=float)
        defended = self._defend(raw.reshape(len(raw), -1))
        return defended.reshape(raw.shape)

    #: The wrapper protocol (tabinvert._wrappers): see DefendedClassifier.
    _tabinvert_raw_method = "predict"

    def _tabinvert_defend(self, raw, response_method):
        """What ``predict`` serves for the inner model's raw predictions ``raw`` (one row per
        record, one column per output)."""
        check_is_fitted(self, "defense_")
        if response_method != "predict":
            raise AttributeError(f"DefendedRegressor does not serve {response_method}().")
        return self._defend(np.asarray(raw, dtype=float))


DefendedClassifier.__doc__ = DefendedClassifier.__doc__.format(security=_SECURITY_NOTE)
DefendedRegressor.__doc__ = DefendedRegressor.__doc__.format(security=_SECURITY_NOTE)

"""What every explainer shares: the records it takes, the frame it returns, its declarations.

An explainer is what an explanation service computes: for each record, one contribution per
input column of the model (``explain``), which, for the exact explainers, add up with a base
value (``base_values``) to the model's margin for one output. Explainers wrap a *fitted*
model and never refit it: ``fit`` only learns what the explanation itself needs (a linear
explanation's reference point), and :func:`sklearn.base.clone` keeps the very same model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import _fit_context, HasMethods
from .._validation import check_unique_columns, model_feature_names
from ._columns import unfrozen


def model_columns(model):
    """The model's input columns: names for a model fitted on a frame, else None."""
    return model_feature_names(model)


def model_n_features(model):
    """How many input columns the model takes (None when it does not say)."""
    names = model_feature_names(model)
    if names is not None:
        return len(names)
    n = getattr(model, "n_features_in_", None)
    return None if n is None else int(n)


def output_column(model, output, *, n_outputs):
    """``(row, sign)``: which output of the model a contribution matrix explains.

    For a classifier, ``output`` is a class label (None: the positive class of a binary
    classifier, whose margin is its log-odds). A binary model has one margin, the log-odds of
    ``classes_[1]``: the first class's log-odds is its negative (sign -1). A multiclass model
    has one margin per class. A regressor with several targets takes the target's position.
    """
    model = unfrozen(model)
    classes = getattr(model, "classes_", None)
    if classes is not None and is_classifier_like(model):
        classes = list(np.asarray(classes).tolist())
        if output is None:
            if len(classes) != 2:
                raise ValueError(
                    f"The model has {len(classes)} classes: say which class's margin to explain "
                    f"with output=<one of {classes}>."
                )
            output = classes[1]
        value = output.item() if isinstance(output, np.generic) else output
        if value not in classes:
            raise ValueError(f"output={output!r} is not one of the model's classes {classes}.")
        position = classes.index(value)
        if len(classes) == 2 and n_outputs == 1:
            return 0, (1.0 if position == 1 else -1.0)
        return position, 1.0
    if output is None:
        if n_outputs != 1:
            raise ValueError(
                f"The model has {n_outputs} outputs: say which one to explain with "
                f"output=<a position below {n_outputs}>."
            )
        return 0, 1.0
    if not isinstance(output, (int, np.integer)) or not 0 <= int(output) < n_outputs:
        raise ValueError(
            f"output={output!r} is not an output of this regressor (it has {n_outputs}; pass "
            "a position)."
        )
    return int(output), 1.0


def is_classifier_like(model):
    """Whether ``model`` (or a Pipeline's last step) answers with class labels."""
    try:
        if is_classifier(model):
            return True
    except Exception:  # objects without sklearn tags
        pass
    return hasattr(model, "classes_") and hasattr(model, "predict_proba")


class BaseExplainer(BaseEstimator):
    """Base class of the explainers (not for direct use).

    Subclasses implement ``_contributions(X) -> (values, base)``: an ``(n, n_features)`` float
    array of contributions per input column and an ``(n,)`` array of base values, for records
    ``X`` already in the model's columns. ``fit`` learns state in ``_fit`` when it needs any.

    An explainer explains a fitted model as it is: ``clone`` keeps the same model (as a
    :class:`~sklearn.frozen.FrozenEstimator` would) and copies the other settings.
    """

    _parameter_constraints: dict = {"estimator": [HasMethods(["predict"])]}

    #: One line: what the explanation keeps of the model's margin, and what it destroys.
    keeps = "every contribution exactly: they add up, with the base value, to the margin"
    #: Whether ``explain(X).sum(axis=1) + base_values(X)`` is the model's margin.
    keeps_sum = True
    #: Whether the order of the contributions by magnitude is kept (up to ties).
    keeps_ranking = True

    def __sklearn_clone__(self):
        params = self.get_params(deep=False)
        return type(self)(
            **{
                name: value if name in ("estimator", "explainer") else clone(value, safe=False)
                for name, value in params.items()
            }
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.requires_fit = False  # the model is fitted; fit only learns optional state
        tags.non_deterministic = False
        return tags

    # -- the wrapper protocol (tabinvert._wrappers): what stands behind ``explain`` ----------
    @property
    def _inner_model(self):
        return self.estimator

    # -- what the explanation is about --------------------------------------------------------
    @property
    def feature_names_in_(self):
        """The model's input column names (only for a model fitted on a DataFrame)."""
        names = model_columns(self._inner_model)
        if names is None:
            raise AttributeError("The model was fitted on an array: it has no column names.")
        return np.asarray(names, dtype=object)

    @property
    def n_features_in_(self):
        """The number of the model's input columns."""
        n = model_n_features(self._inner_model)
        if n is None:
            raise AttributeError("The model does not say how many columns it takes.")
        return n

    @property
    def feature_names_out_(self):
        """The columns of ``explain``'s frame: the model's input column names, or ``x0, x1,
        ...`` (scikit-learn's names) for a model fitted on an array."""
        names = model_columns(self._inner_model)
        if names is None:
            names = [f"x{i}" for i in range(self.n_features_in_)]
        return np.asarray(names, dtype=object)

    def get_feature_names_out(self, input_features=None):
        """The columns of ``explain``'s frame (see :attr:`feature_names_out_`).

        Parameters
        ----------
        input_features : None
            Ignored: the columns are the model's.

        Returns
        -------
        ndarray of str objects
        """
        return self.feature_names_out_

    def __sklearn_is_fitted__(self):
        try:
            self._check_ready()
        except NotFittedError:
            return False
        return True

    def _check_ready(self):
        """Raise NotFittedError when the explainer cannot explain yet (the model unfitted)."""
        check_is_fitted(unfrozen(self.estimator))

    # -- fitting --------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X=None, y=None):
        """Check the parameters and the model, and learn what the explanation needs.

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n_samples, n_features), default=None
            Records in the model's columns: the background some explainers learn a reference
            from. Ignored by the others.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        self._fit(None if X is None else self._records(X, name="X")[0])
        self._check_ready()
        return self

    def _fit(self, X):
        """Subclass hook: learn state from background records (already in model columns)."""

    # -- explaining -----------------------------------------------------------------------------
    def explain(self, X):
        """Each record's contribution per input column of the model.

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n_samples, n_features)
            Records in the model's columns (a frame may hold them in any order; other columns
            are refused).

        Returns
        -------
        DataFrame of shape (n_samples, n_features)
            Float contributions, indexed like ``X``, one column per input column of the model
            (:attr:`feature_names_out_`).
        """
        self._validate_params()
        self._check_ready()
        X, index = self._records(X)
        values, _ = self._contributions(X)
        return self._frame(values, index)

    def base_values(self, X):
        """What the contributions add up to the margin from: one value per record.

        ``explain(X).sum(axis=1) + base_values(X)`` is the model's margin for the explained
        output (exactly for tree and linear contributions, up to the estimate for SHAP's
        sampling algorithms).

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n_samples, n_features)

        Returns
        -------
        Series of shape (n_samples,)
        """
        self._validate_params()
        self._check_ready()
        X, index = self._records(X)
        _, base = self._contributions(X)
        return pd.Series(np.asarray(base, dtype=float), index=index, name="base_value")

    def explain_mask(self, X):
        """Which contributions the explanation reports: all of them.

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n_samples, n_features)

        Returns
        -------
        DataFrame of bool, shaped and labelled like :meth:`explain`'s.
        """
        self._validate_params()
        _, index = self._records(X)
        return self._frame(np.ones((len(index), len(self.feature_names_out_)), bool), index)

    def _explain_with_mask(self, X):
        """``(values, reported, index)`` in one pass: what wrappers build on."""
        self._validate_params()
        self._check_ready()
        X, index = self._records(X)
        values, _ = self._contributions(X)
        return np.asarray(values, dtype=float), np.ones(values.shape, dtype=bool), index

    # -- helpers --------------------------------------------------------------------------------
    def _frame(self, values, index):
        return pd.DataFrame(values, index=index, columns=list(self.feature_names_out_))

    def _records(self, X, *, name="X"):
        """``X`` in the model's columns and order (a frame for frame models), and its index.

        The caller's object is never modified: a column selection is a new frame.
        """
        names = model_columns(self._inner_model)
        if isinstance(X, pd.DataFrame):
            check_unique_columns(X, name=name)
            index = X.index
            if names is not None:
                missing = [c for c in names if c not in X.columns]
                extra = [c for c in X.columns if c not in names]
                if missing or extra:
                    raise ValueError(
                        f"{name} must hold exactly the model's columns {names}"
                        + (f"; missing {missing}" if missing else "")
                        + (f"; not the model's: {extra}" if extra else "")
                        + "."
                    )
                return X[names], index
            X = X.to_numpy()
        else:
            if names is not None:
                raise ValueError(
                    f"The model was fitted on a DataFrame: pass {name} as a DataFrame with its "
                    f"columns {names}."
                )
            X = np.asarray(X)
            index = pd.RangeIndex(X.shape[0]) if X.ndim == 2 else None
        if X.ndim != 2:
            raise ValueError(f"{name} must be 2-D (records × columns); got shape {X.shape}.")
        n = model_n_features(self._inner_model)
        if n is not None and X.shape[1] != n:
            raise ValueError(f"{name} has {X.shape[1]} columns but the model takes {n}.")
        return X, index

    def _contributions(self, X):  # pragma: no cover - abstract
        raise NotImplementedError


class ExplainerWrapper(BaseExplainer):
    """Base class of explainers that transform another explainer's answers (not for direct
    use): reason codes and the defended explainers.

    Subclasses implement ``_transform(values, reported, X) -> (values, reported)``: from the
    wrapped explainer's contributions and the entries it reports, the new contribution matrix
    and the entries still reported.
    """

    _parameter_constraints: dict = {"explainer": [HasMethods(["explain"])]}

    @property
    def _inner_model(self):
        return self.explainer

    def _check_ready(self):
        if not getattr(self.explainer, "__sklearn_is_fitted__", lambda: True)():
            raise NotFittedError(
                f"{type(self).__name__} wraps an explainer that cannot explain yet: fit "
                f"{type(self.explainer).__name__} first."
            )

    @property
    def feature_names_in_(self):
        """The model's input column names (only for a model fitted on a DataFrame)."""
        return self.explainer.feature_names_in_

    @property
    def n_features_in_(self):
        """The number of the model's input columns."""
        return self.explainer.n_features_in_

    @property
    def feature_names_out_(self):
        """The columns of ``explain``'s frame: the wrapped explainer's."""
        return np.asarray(self.explainer.feature_names_out_, dtype=object)

    def _records(self, X, *, name="X"):
        if isinstance(X, pd.DataFrame):
            check_unique_columns(X, name=name)
            return X, X.index
        X = np.asarray(X)
        return X, (pd.RangeIndex(X.shape[0]) if X.ndim == 2 else None)

    def _fit(self, X):
        """Nothing to learn: the wrapped explainer is used as it is (fit it on its own)."""

    def _explain_with_mask(self, X):
        self._validate_params()
        self._check_ready()
        inner = self.explainer
        if hasattr(inner, "_explain_with_mask"):  # one pass through a chain of wrappers
            values, inner_reported, index = inner._explain_with_mask(X)
        else:  # any object with explain (and, optionally, explain_mask)
            frame = inner.explain(X)
            values, index = frame.to_numpy(dtype=float), frame.index
            inner_reported = _mask_of(inner, X, frame)
        values, reported = self._transform(np.array(values, dtype=float), inner_reported, X)
        reported = reported & inner_reported
        return np.where(reported, values, 0.0), reported, index

    def explain(self, X):
        values, _, index = self._explain_with_mask(X)
        return self._frame(values, index)

    explain.__doc__ = BaseExplainer.explain.__doc__

    def explain_mask(self, X):
        """Which contributions the explanation reports (the others are 0.0 in ``explain``).

        Parameters
        ----------
        X : DataFrame or ndarray of shape (n_samples, n_features)

        Returns
        -------
        DataFrame of bool, shaped and labelled like :meth:`explain`'s.
        """
        _, reported, index = self._explain_with_mask(X)
        return self._frame(reported, index)

    def base_values(self, X):
        """The wrapped explainer's base values (see :meth:`BaseExplainer.base_values`); the
        reported contributions add up to the margin with them only when :attr:`keeps_sum`."""
        return self.explainer.base_values(X)

    def _transform(self, values, reported, X):  # pragma: no cover - abstract
        raise NotImplementedError


def _mask_of(explainer, X, explanation):
    """The reported entries of an explainer's answer (all, for one without ``explain_mask``)."""
    if hasattr(explainer, "explain_mask"):
        return explainer.explain_mask(X).to_numpy(dtype=bool)
    return np.ones(explanation.shape, dtype=bool)

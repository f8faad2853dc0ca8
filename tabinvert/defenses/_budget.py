"""A query quota in front of a model, the way a prediction API meters its callers."""

from __future__ import annotations

import threading
from numbers import Integral

from sklearn.base import BaseEstimator, MetaEstimatorMixin
from sklearn.utils import get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import HasMethods, Interval, _num_samples
from .._wrappers import wrapper_chain
from ..exceptions import QueryBudgetExceeded

# One lock for every budget: charging is a few integer operations, so contention is negligible,
# and a module-level lock keeps the wrapper picklable and clonable.
_CHARGE_LOCK = threading.Lock()


#: The prediction methods a budget serves (those its estimator has).
_SERVED_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

#: The model's description, forwarded by a budget.
_FORWARDED_ATTRIBUTES = ("classes_", "n_features_in_", "feature_names_in_")


def _inner_has(method):
    return lambda self: hasattr(self.estimator, method)


class ServesModel:
    """What a gatekeeper in front of a fitted model (a query budget, a monitor) forwards from
    it: the description any API publishes (classes, columns) and the model's tags."""

    def __sklearn_tags__(self):
        tags = get_tags(self.estimator)
        tags.requires_fit = True
        return tags

    @property
    def classes_(self):
        return self.estimator.classes_

    @property
    def n_features_in_(self):
        return self.estimator.n_features_in_

    @property
    def feature_names_in_(self):
        return self.estimator.feature_names_in_


class QueryBudget(ServesModel, MetaEstimatorMixin, BaseEstimator):
    """Serve a fitted model under a quota of rows and calls, like a metered prediction API.

    Each call to ``predict``, ``predict_proba``, ``predict_log_proba`` or
    ``decision_function`` (those the model has) is charged its number of rows and one call.
    A call that would exceed ``max_rows`` or ``max_calls`` is refused *before* it reaches the
    model with :class:`QueryBudgetExceeded`, which carries the counts; a call the model
    itself raises on (malformed input, an unfitted model) served nothing and is not counted.
    Charging is thread-safe; attacks run their parallel queries on threads when the model is a
    budget, so every query is charged to this one object.

    Parameters
    ----------
    estimator : fitted estimator
        The model behind the quota (not refitted; there is no ``fit``).
    max_rows : int, default=None
        Most rows served in all; None for no limit.
    max_calls : int, default=None
        Most calls served in all; None for no limit.

    Attributes
    ----------
    rows_used_ : int
        Rows served so far (0 before the first call).
    rows_remaining_ : int or None
        Rows still allowed, never negative; None without ``max_rows``.
    calls_used_ : int
        Calls served so far.

    See Also
    --------
    DefendedClassifier : perturb what the model returns.

    Notes
    -----
    This is an in-process meter, not a sandbox (like :class:`DefendedClassifier`). The counters
    belong to this one object: :func:`sklearn.base.clone`, pickling and ``set_params`` give a
    fresh or changed quota, and ``estimator`` (the model itself) is a public parameter, so
    whoever holds the object can query the model directly. It measures what an attack would
    cost against a metered API; what protects a *served* model is a quota enforced by the
    serving process, keyed by client and kept outside the model object.

    A budget shared by worker *processes* would be copied into each of them and could not
    count their queries; tabinvert's attacks therefore query a budget from threads. If you pass
    the budget to other parallel code yourself, use a thread-based joblib backend.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.defenses import QueryBudget, QueryBudgetExceeded
    >>> X, y = np.array([[0.0], [1.0], [2.0], [3.0]]), np.array([0, 0, 1, 1])
    >>> api = QueryBudget(LogisticRegression().fit(X, y), max_rows=5)
    >>> api.predict(X).tolist()
    [0, 0, 1, 1]
    >>> try:
    ...     api.predict_proba(X)
    ... except QueryBudgetExceeded as error:
    ...     print(error.rows_used, error.rows_requested, error.max_rows)
    4 4 5
    >>> api.rows_used_, api.calls_used_
    (4, 1)
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "max_rows": [Interval(Integral, 0, None, closed="left"), None],
        "max_calls": [Interval(Integral, 0, None, closed="left"), None],
    }

    #: Every call must reach this object (its counters): tabinvert's query engine then runs
    #: parallel queries on threads (the wrapper protocol of :mod:`tabinvert._wrappers`).
    _tabinvert_shared_state = True

    @property
    def _inner_model(self):
        """The model behind the quota, for tabinvert's wrapper protocol."""
        return self.estimator

    def __init__(self, estimator, *, max_rows=None, max_calls=None):
        self.estimator = estimator
        self.max_rows = max_rows
        self.max_calls = max_calls

    def __getattr__(self, name):
        # Reached only when normal lookup failed: say *why* a served method or forwarded
        # attribute is missing (the model behind the budget lacks it), e.g. to an attack that
        # needs predict_proba. hasattr() stays False.
        estimator = self.__dict__.get("estimator")
        if name in _SERVED_METHODS + _FORWARDED_ATTRIBUTES and "estimator" in self.__dict__:
            hint = (
                "A QueryBudget offers exactly the prediction methods of the model it meters."
                if name in _SERVED_METHODS
                else "Is the model fitted?"
            )
            raise AttributeError(
                f"This 'QueryBudget' has no attribute {name!r}: its estimator {estimator!r} "
                f"(type {type(estimator).__name__}) has no {name}. {hint}"
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __sklearn_is_fitted__(self):
        check_is_fitted(self.estimator)
        return True

    # The model's description, which any API publishes, is forwarded (ServesModel); its
    # outputs are charged.

    @property
    def rows_used_(self):
        return self.__dict__.get("_rows_used", 0)

    @property
    def calls_used_(self):
        return self.__dict__.get("_calls_used", 0)

    @property
    def rows_remaining_(self):
        """Rows still allowed (None when there is no row limit); never negative, also after
        ``set_params`` lowered ``max_rows`` below the rows already served."""
        return None if self.max_rows is None else max(0, self.max_rows - self.rows_used_)

    def reset(self):
        """Start a new quota period (counters back to zero). Returns self."""
        with _CHARGE_LOCK:
            self._rows_used = 0
            self._calls_used = 0
        return self

    def _charge(self, X):
        self._validate_params()
        rows = _num_samples(X)
        with _CHARGE_LOCK:
            used_rows, used_calls = self.rows_used_, self.calls_used_
            over_rows = self.max_rows is not None and used_rows + rows > self.max_rows
            over_calls = self.max_calls is not None and used_calls + 1 > self.max_calls
            if over_rows or over_calls:
                limit = f"{self.max_rows:,} rows" if over_rows else f"{self.max_calls:,} calls"
                raise QueryBudgetExceeded(
                    f"Query budget exhausted: a call of {rows:,} rows would exceed the limit of "
                    f"{limit} ({used_rows:,} rows in {used_calls:,} calls already served). "
                    "Raise max_rows/max_calls or reset() the budget.",
                    rows_used=used_rows,
                    calls_used=used_calls,
                    rows_requested=rows,
                    max_rows=self.max_rows,
                    max_calls=self.max_calls,
                )
            self._rows_used = used_rows + rows
            self._calls_used = used_calls + 1
        return rows

    def _refund(self, rows):
        """Take back the charge of a call the model failed on (it served nothing)."""
        with _CHARGE_LOCK:
            self._rows_used = max(0, self.rows_used_ - rows)
            self._calls_used = max(0, self.calls_used_ - 1)

    def _serve(self, method, X):
        """Charge the call, then run it; a call the model raises on is not counted."""
        rows = self._charge(X)
        try:
            return getattr(self.estimator, method)(X)
        except BaseException:
            self._refund(rows)
            raise

    @available_if(_inner_has("predict"))
    def predict(self, X):
        """The model's ``predict``, charged to the budget."""
        return self._serve("predict", X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """The model's ``predict_proba``, charged to the budget."""
        return self._serve("predict_proba", X)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The model's ``predict_log_proba``, charged to the budget."""
        return self._serve("predict_log_proba", X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """The model's ``decision_function``, charged to the budget."""
        return self._serve("decision_function", X)


def find_query_budget(model):
    """The :class:`QueryBudget` a model is served through, or None.

    Looks at the model itself and through tabinvert's wrappers.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from tabinvert.defenses import QueryBudget, find_query_budget
    >>> budget = QueryBudget(DummyClassifier().fit([[0], [1]], [0, 1]))
    >>> find_query_budget(budget) is budget, find_query_budget(budget.estimator)
    (True, None)
    """
    return next((m for m in wrapper_chain(model) if isinstance(m, QueryBudget)), None)

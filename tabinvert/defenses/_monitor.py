"""A monitor in front of a model that finds the query patterns attribute-inference attacks leave,
per client, in process; and the same scan over a query log."""

from __future__ import annotations

import threading
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, MetaEstimatorMixin
from sklearn.utils import check_random_state
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import (
    HasMethods,
    Interval,
    StrOptions,
    _fit_context,
    validate_params,
)
from ..exceptions import InversionPatternRefused
from ._budget import ServesModel
from ._monitor_report import POPULATION, MonitorReport, findings
from ._query_patterns import (
    DETECTORS,
    STATISTICS,
    Baseline,
    Encoded,
    Encoder,
    Thresholds,
    detect,
    is_numeric_column,
    measure_baseline,
    robust_scale,
)

#: The prediction methods a monitor serves (those its estimator has).
_SERVED_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")

#: The model's description, forwarded by a monitor.
_FORWARDED_ATTRIBUTES = ("classes_", "n_features_in_", "feature_names_in_")

#: The client of calls made on the monitor itself (``monitor.predict_proba(X)``).
DEFAULT_CLIENT = "default"

#: The parameters shared by the monitor and the offline scan, with their constraints.
_THRESHOLD_CONSTRAINTS = {
    "scope": [StrOptions({"client", "global"})],
    "min_sweep_values": [Interval(Integral, 2, None, closed="left")],
    "min_sweep_groups": [Interval(Integral, 1, None, closed="left")],
    "tolerance": [Interval(Real, 0, None, closed="left")],
    "min_near_duplicates": [Interval(Integral, 2, None, closed="left")],
    "finite_difference_step": [Interval(Real, 0, None, closed="neither")],
    "min_finite_difference_pairs": [Interval(Integral, 1, None, closed="left")],
    "detectors": [list, tuple],
    "scale": [dict, None],
    "random_state": ["random_state"],
}

_THRESHOLDS_DOC = """
    Each detector flags a client when its count reaches its threshold *above chance*: above
    what ordinary traffic of as many queries shows (measured on the reference records, per
    column for sweeps and probe pairs), plus three standard deviations of that chance count
    (``3 √expected``). Without reference records chance counts as 0.
    min_sweep_values : int, default=2
        Sweep detector: a group of queries identical in every column but one counts when that
        column takes at least this many distinct values (cells, for numbers).
    min_sweep_groups : int, default=10
        Sweep detector: a client is flagged with this many such groups.
    tolerance : float, default=0.1
        Width of the cells numeric values are quantised to, in units of each column's scale:
        values in one cell count as equal for the sweep and near-duplicate detectors, so small
        noise added to the other columns does not hide a sweep. 0 compares exact values.
    min_near_duplicates : int, default=25
        Near-duplicate detector: a client is flagged when this many of its queries fall in one
        cell in every column (repeats included).
    finite_difference_step : float, default=0.05
        Finite-difference detector: two queries equal in every other column whose one numeric
        column differs by more than 0 and at most this many times its scale are a probe pair.
    min_finite_difference_pairs : int, default=10
        Finite-difference detector: a client is flagged with this many probe pairs.
    detectors : list of str, default=("sweep", "near_duplicates", "finite_differences")
        The detectors to run.
    scale : dict, default=None
        The scale of numeric columns ({column: positive number}), in their units; columns
        left out get a robust scale learned from the reference records (interquartile range
        / 1.349, else the standard deviation, else 1).
    random_state : int, RandomState instance or None, default=None
        Seeds the random subsets of the reference records on which what ordinary traffic
        shows by chance is measured."""


def _check_thresholds(params):
    """The detectors' settings as :class:`Thresholds`, refused with a clear message."""
    detectors = tuple(params["detectors"])
    unknown = [d for d in detectors if d not in DETECTORS]
    if unknown or not detectors:
        raise ValueError(
            f"detectors must name one or more of {list(DETECTORS)}; got {list(detectors)}."
        )
    return Thresholds(
        min_sweep_values=params["min_sweep_values"],
        min_sweep_groups=params["min_sweep_groups"],
        tolerance=float(params["tolerance"]),
        min_near_duplicates=params["min_near_duplicates"],
        finite_difference_step=float(params["finite_difference_step"]),
        min_finite_difference_pairs=params["min_finite_difference_pairs"],
        detectors=detectors,
    )


def _as_frame(X, columns=None, what="X"):
    """``X`` as a DataFrame (never the caller's object: a new frame over its columns)."""
    if isinstance(X, pd.DataFrame):
        if columns is None:
            return X.reset_index(drop=True)
        missing = [c for c in columns if c not in X.columns]
        if missing:
            raise ValueError(
                f"{what} lacks the column(s) {missing[:10]} the monitor was fitted on "
                f"(it has {list(X.columns)[:20]}): fit the monitor on reference records "
                "laid out as the model's queries are."
            )
        return X[list(columns)].reset_index(drop=True)
    array = np.asarray(X)
    if array.ndim != 2:
        raise ValueError(f"{what} must be 2-D (one query per row); got shape {array.shape}.")
    frame = pd.DataFrame(array).infer_objects()
    if columns is not None:
        if array.shape[1] != len(columns):
            raise ValueError(
                f"{what} has {array.shape[1]} columns but the monitor was fitted on "
                f"{len(columns)}: fit it on reference records laid out as the queries are."
            )
        frame.columns = list(columns)
    return frame


def _make_encoder(reference, scale, tolerance, columns=None):
    """The columns, their kinds and scales, learned from ``reference`` (a DataFrame)."""
    columns = list(reference.columns) if columns is None else list(columns)
    if not columns:
        raise ValueError("The reference records have no columns to monitor.")
    numeric = [c for c in columns if is_numeric_column(reference[c])]
    scale = dict(scale or {})
    for column, value in scale.items():
        if column not in numeric:
            raise ValueError(
                f"scale names {column!r}, which is not a numeric column of the reference "
                f"records (numeric columns: {numeric[:20]})."
            )
        if not (isinstance(value, Real) and np.isfinite(value) and value > 0):
            raise ValueError(
                f"scale[{column!r}] must be a positive number (in the column's units); got "
                f"{value!r}."
            )
    learned = {
        c: float(scale[c]) if c in scale else robust_scale(reference[c].to_numpy(dtype=float))
        for c in numeric
    }
    return Encoder(tuple(columns), tuple(numeric), learned, float(tolerance))


def _settings(thresholds, encoder, scope, baseline):
    return {
        **thresholds.to_dict(),
        "scope": scope,
        "scale": {str(c): s for c, s in encoder.scale.items()},
        "chance_counts": baseline.to_dict() if baseline.sizes else None,
    }


def _scan(rows, encoded, row_clients, encoder, thresholds, scope, baseline):
    """Findings and per-client statistics of queries ``rows`` sent by ``row_clients``."""
    if scope == "client":
        codes, keys = pd.factorize(pd.Series(row_clients, dtype=object), sort=False)
        codes, keys, named = codes.astype(np.int64), list(keys), None
    else:  # one population: the rows' own clients are named only as those involved
        codes, keys, named = np.zeros(len(rows), dtype=np.int64), [POPULATION], row_clients
    detection = detect(encoded, codes, len(keys), encoder, thresholds)
    return findings(
        detection, encoded, codes, keys, rows, encoder, thresholds, baseline, row_clients=named
    )


@validate_params(
    {
        "log": [pd.DataFrame],
        "client_column": "no_validation",
        "columns": [list, None],
        "reference": [pd.DataFrame, None],
        **_THRESHOLD_CONSTRAINTS,
    },
    prefer_skip_nested_validation=True,
)
def scan_query_log(
    log,
    *,
    client_column,
    columns=None,
    reference=None,
    scope="client",
    min_sweep_values=2,
    min_sweep_groups=10,
    tolerance=0.1,
    min_near_duplicates=25,
    finite_difference_step=0.05,
    min_finite_difference_pairs=10,
    detectors=DETECTORS,
    scale=None,
    random_state=None,
):
    """Find the clients of a query log whose queries look like an attribute-inference attack.

    The offline counterpart of :class:`InversionMonitor`: the same detectors, over the whole
    log at once (no window). See :ref:`monitor` for what each detector finds and misses.

    Parameters
    ----------
    log : DataFrame
        One query per row: the client's key in ``client_column`` and the model inputs. Not
        modified.
    client_column : str
        The column holding each query's client key (an API key, an account).
    columns : list, default=None
        The model-input columns to examine; default every column but ``client_column``. Leave
        out timestamps, request ids and answers: a column that differs on every query hides
        every pattern.
    reference : DataFrame, default=None
        Ordinary records (the training data, or normal traffic): the numeric columns' scales,
        and what each detector counts by chance in ordinary traffic of each size, are learned
        from them, and a client is flagged only that far above chance. Default: scales from
        the log itself and no chance correction (raw counts against the thresholds), which
        suits data with a column that is rarely equal by chance (an amount, a date); give a
        reference at least as large as the log for a global scope.
    scope : {"client", "global"}, default="client"
        Count per client, or over all clients together (to see an attack spread over many
        client keys; the findings then name no single client).
    {thresholds}

    Returns
    -------
    MonitorReport

    Raises
    ------
    ValueError
        When ``client_column`` or a column of ``columns`` is not in the log, a client key is
        missing, or the log has no queries.

    See Also
    --------
    InversionMonitor : the same detectors in front of a model, per call.

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert.defenses import scan_query_log
    >>> log = pd.DataFrame({"client": ["x", "x", "y"], "age": [40, 40, 33],
    ...                     "smoker": ["yes", "no", "no"]})
    >>> report = scan_query_log(log, client_column="client", min_sweep_groups=1)
    >>> report.flagged_clients, report.findings[0]["column"]
    (['x'], 'smoker')
    """
    if client_column not in log.columns:
        raise ValueError(
            f"The client column {client_column!r} is not in the log (columns: "
            f"{list(log.columns)[:20]}). Pass the column that holds each query's client key."
        )
    if columns is None:
        columns = [c for c in log.columns if c != client_column]
    else:
        missing = [c for c in columns if c not in log.columns]
        if missing:
            raise ValueError(
                f"columns names {missing[:10]}, not in the log (columns: {list(log.columns)[:20]})."
            )
        if client_column in columns:
            raise ValueError(
                f"columns includes the client column {client_column!r}: list the model-input "
                "columns only."
            )
    if not columns:
        raise ValueError(
            f"The log has no column besides the client column {client_column!r}: it holds no "
            "queries to examine."
        )
    if log.empty:
        raise ValueError("The log has no queries (no rows).")
    clients = log[client_column]
    if clients.isna().any():
        row = int(np.flatnonzero(clients.isna().to_numpy())[0])
        raise ValueError(
            f"The client column {client_column!r} is empty on {int(clients.isna().sum()):,} "
            f"row(s) (the first at row {row}): every query needs a client key. Drop those rows "
            "or give them a key such as 'unknown'."
        )
    thresholds = _check_thresholds(locals())
    rows = _as_frame(log, columns, what="The log")
    baseline = Baseline()
    if reference is None:
        encoder = _make_encoder(rows, scale, tolerance, columns)
    else:
        reference_rows = _as_frame(reference, columns, what="The reference")
        encoder = _make_encoder(reference_rows, scale, tolerance, columns)
        baseline = measure_baseline(
            encoder.encode(reference_rows), encoder, thresholds, check_random_state(random_state)
        )
    encoded = encoder.encode(rows)
    found, statistics = _scan(
        rows, encoded, clients.to_numpy(dtype=object), encoder, thresholds, scope, baseline
    )
    return MonitorReport(
        found,
        statistics,
        scope=scope,
        n_queries=len(rows),
        settings=_settings(thresholds, encoder, scope, baseline),
    )


class _History:
    """The most recent queries of one client (or of everyone, in a global scope): the rows as
    sent (for examples), their hashes, and each row's client."""

    def __init__(self, rows, encoded, clients):
        self.rows, self.encoded, self.clients = rows, encoded, clients

    def extend(self, rows, encoded, clients, window):
        rows = pd.concat([self.rows, rows], ignore_index=True)
        encoded = Encoded.concatenate([self.encoded, encoded])
        clients = np.concatenate([self.clients, clients])
        if len(rows) > window:  # keep the most recent `window` rows
            rows = rows.iloc[-window:].reset_index(drop=True)
            encoded, clients = encoded.take(slice(-window, None)), clients[-window:]
        self.rows, self.encoded, self.clients = rows, encoded, clients


def _inner_has(method):
    return lambda self: hasattr(self.estimator, method)


class InversionMonitor(ServesModel, MetaEstimatorMixin, BaseEstimator):
    """Serve a fitted model while watching each client's queries for attribute-inference
    patterns; flag or refuse the clients that show them.

    Attribute-inference attacks query a model in shapes ordinary clients do not: a target
    record completed with every candidate value of the sensitive column (a *sweep*), many
    copies of one record with noise or repeated (*near-duplicates*), pairs of records a tiny
    step apart in one numeric column (*finite differences*, to estimate gradients). Each call
    to ``predict``, ``predict_proba``, ``predict_log_proba`` or ``decision_function`` is
    added to its client's history (the last ``window`` queries), the three detectors count
    those patterns over the history, and a client whose count reaches a threshold is flagged;
    with ``action="refuse"``, the call that reaches it and every later call of that client are
    refused with :class:`~tabinvert.exceptions.InversionPatternRefused` *before* the model is
    called. :ref:`monitor` explains the detectors and says plainly what they cannot catch.

    Calls on the monitor itself belong to the client ``"default"``;
    ``monitor.for_client(key)`` returns a view of the same monitor whose calls belong to
    ``key``. Both can be handed to tabinvert's attacks as the target model.

    Parameters
    ----------
    estimator : fitted estimator
        The model behind the monitor (not refitted).
    action : {"flag", "refuse"}, default="flag"
        Only record flagged clients (``report()``), or also refuse them.
    scope : {"client", "global"}, default="client"
        Count each client's queries apart, or all clients' together (one shared history of
        ``window`` queries): the global scope sees an attack spread over several client keys,
        and flags (and refuses) every client with queries in a counted group.
    window : int, default=10_000
        Queries kept per client (in a global scope, in all): older ones are forgotten. Memory
        is bounded by ``window`` rows per client, as sent, plus two 64-bit hashes per column
        and row; findings are kept until ``reset``.
    {thresholds}

    Attributes
    ----------
    columns_ : list
        The monitored columns (names, or positions for arrays), as in the reference records.
    scale_ : dict
        The scale of each numeric column (given or learned in ``fit``).
    chance_counts_ : dict
        What each detector counted in ``sizes`` random reference records: the counts
        ordinary traffic shows by chance, which a flag must exceed by its threshold.
    flagged_clients_ : list
        The clients flagged so far, in order.
    classes_, n_features_in_, feature_names_in_
        The model's, forwarded.

    See Also
    --------
    scan_query_log : the same detectors over a query log.
    QueryBudget : limit how many queries a model answers.

    Notes
    -----
    Like :class:`QueryBudget`, this is an in-process monitor, not a sandbox: the history
    belongs to this one object (``clone`` and pickling start afresh or copy it), and whoever
    holds the object holds the model. It shows what a monitor in a serving process would see;
    the serving process must key clients by an account it authenticates. The check runs under
    a lock on every call, over the client's whole window, before the model is asked.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.defenses import InversionMonitor
    >>> from tabinvert.exceptions import InversionPatternRefused
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"income": rng.lognormal(10, 0.5, 600).round(2),
    ...                   "age": rng.integers(20, 70, 600), "smoker": rng.integers(0, 2, 600)})
    >>> y = (X["smoker"] + (X["age"] > 45)) % 2
    >>> model = LogisticRegression().fit(X[:400], y[:400])
    >>> monitor = InversionMonitor(model, action="refuse", random_state=0).fit(X[:400])
    >>> monitor.for_client("alice").predict(X[400:403]).tolist()  # ordinary queries
    [1, 0, 1]
    >>> attack = ConfidenceInversion(monitor.for_client("eve"), "smoker").fit(X[400:], y[400:])
    >>> try:
    ...     attack.attack(X[:50], y[:50])
    ... except InversionPatternRefused as refusal:
    ...     print(refusal.client, refusal.findings[0]["detector"], refusal.findings[0]["column"])
    eve sweep smoker
    >>> monitor.flagged_clients_
    ['eve']
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "action": [StrOptions({"flag", "refuse"})],
        "window": [Interval(Integral, 1, None, closed="left")],
        **_THRESHOLD_CONSTRAINTS,
    }

    #: Every call must reach this object (its histories): tabinvert's query engine then runs
    #: parallel queries on threads and never answers from its cache.
    _tabinvert_shared_state = True

    @property
    def _inner_model(self):
        """The model behind the monitor, for tabinvert's wrapper protocol."""
        return self.estimator

    def __init__(
        self,
        estimator,
        *,
        action="flag",
        scope="client",
        window=10_000,
        min_sweep_values=2,
        min_sweep_groups=10,
        tolerance=0.1,
        min_near_duplicates=25,
        finite_difference_step=0.05,
        min_finite_difference_pairs=10,
        detectors=DETECTORS,
        scale=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.action = action
        self.scope = scope
        self.window = window
        self.min_sweep_values = min_sweep_values
        self.min_sweep_groups = min_sweep_groups
        self.tolerance = tolerance
        self.min_near_duplicates = min_near_duplicates
        self.finite_difference_step = finite_difference_step
        self.min_finite_difference_pairs = min_finite_difference_pairs
        self.detectors = detectors
        self.scale = scale
        self.random_state = random_state

    def __getattr__(self, name):
        # Reached only when normal lookup failed: say why a served method or forwarded
        # attribute is missing (the model behind the monitor lacks it).
        estimator = self.__dict__.get("estimator")
        if name in _SERVED_METHODS + _FORWARDED_ATTRIBUTES and "estimator" in self.__dict__:
            raise AttributeError(
                f"This 'InversionMonitor' has no attribute {name!r}: its estimator "
                f"{estimator!r} (type {type(estimator).__name__}) has no {name}."
            )
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_lock_object", None)  # a lock cannot be pickled; a new one is made
        return state

    @property
    def _lock(self):
        return self.__dict__.setdefault("_lock_object", threading.RLock())

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the monitored columns, the numeric columns' scales and what each detector
        counts by chance in ordinary traffic from reference records, and start with empty
        histories. The model is not refitted.

        Parameters
        ----------
        X : array-like or DataFrame of shape (n_samples, n_features)
            Ordinary records laid out as the model's queries (the training data, or normal
            traffic); not modified.
        y : None
            Ignored.

        Returns
        -------
        self : object
        """
        _check_thresholds(self.get_params())
        reference = _as_frame(X, what="X")
        encoder = _make_encoder(reference, self.scale, self.tolerance)
        self.columns_ = list(encoder.columns)
        self.scale_ = dict(encoder.scale)
        baseline = measure_baseline(
            encoder.encode(reference),
            encoder,
            _check_thresholds(self.get_params()),
            check_random_state(self.random_state),
        )
        self.chance_counts_ = baseline.to_dict()
        self._fitted_settings = self._measured_settings()
        self.reset()
        return self

    def __sklearn_is_fitted__(self):
        check_is_fitted(self.estimator)
        return "scale_" in self.__dict__

    # The model's description, which any API publishes, is forwarded (ServesModel).

    @property
    def flagged_clients_(self):
        check_is_fitted(self)
        with self._lock:
            return list(self._flagged)

    def for_client(self, client):
        """A view of this monitor whose calls belong to ``client``.

        Parameters
        ----------
        client : hashable
            The client's key (an API key, an account id).

        Returns
        -------
        object
            Offers the model's ``predict``, ``predict_proba``, ``predict_log_proba`` and
            ``decision_function`` (those it has) and its ``classes_``, through this monitor.
        """
        return _MonitoredClient(self, client)

    def reset(self, client=None):
        """Forget the history and flags of ``client`` (None: of every client). Returns self.

        In a global scope the history is shared: resetting one client only clears its flag.
        """
        with self._lock:
            if client is None:
                self._histories, self._findings, self._statistics = {}, {}, {}
                self._flagged = {}
                return self
            self._histories.pop(client, None)
            self._findings.pop(client, None)
            self._statistics.pop(client, None)
            self._flagged.pop(client, None)
            for found in self._findings.values():  # global findings naming the client
                for finding in found.values():
                    if client in finding["clients"]:
                        finding["clients"].remove(client)
        return self

    def report(self):
        """The flagged clients and why, as of now.

        Returns
        -------
        MonitorReport
        """
        check_is_fitted(self)
        with self._lock:
            found = [dict(f) for per in self._findings.values() for f in per.values()]
            columns = ["n_queries"]
            for name in STATISTICS.values():
                columns += [name, f"expected_{name}"]
            statistics = pd.DataFrame.from_dict(self._statistics, orient="index")
            statistics = statistics.reindex(columns=columns).fillna(0)
            counted = ["n_queries", *STATISTICS.values()]
            statistics[counted] = statistics[counted].astype(np.int64)
            statistics.index = pd.Index(list(self._statistics), name="client", dtype=object)
            return MonitorReport(
                found,
                statistics,
                scope=self.scope,
                n_queries=int(statistics["n_queries"].sum()),
                settings=_settings(
                    self._thresholds(), self._encoder(), self.scope, self._baseline()
                ),
            )

    def _thresholds(self):
        return _check_thresholds(self.get_params())

    def _measured_settings(self):
        """The parameters the cells, scales and chance counts learned in ``fit`` depend on."""
        return {
            "tolerance": self.tolerance,
            "min_sweep_values": self.min_sweep_values,
            "finite_difference_step": self.finite_difference_step,
            "scale": self.scale,
        }

    def _check_measured_settings(self):
        fitted = self.__dict__.get("_fitted_settings", {})
        for name, value in self._measured_settings().items():
            if name in fitted and fitted[name] != value:
                raise ValueError(
                    f"{name} changed since fit ({fitted[name]!r} → {value!r}): the chance "
                    "counts and scales were measured with the old value. Call fit again."
                )

    def _baseline(self):
        return Baseline.from_dict(self.chance_counts_)

    def _encoder(self):
        numeric = tuple(self.scale_)
        return Encoder(tuple(self.columns_), numeric, dict(self.scale_), float(self.tolerance))

    def _watch(self, client, X):
        """Add the call to the client's history, run the detectors, and refuse if the client
        is (now) flagged and the action is "refuse"."""
        check_is_fitted(self)
        self._validate_params()
        self._check_measured_settings()
        thresholds = self._thresholds()
        encoder = self._encoder()
        with self._lock:
            if self.action == "refuse" and client in self._flagged:
                self._refuse(client)
            rows = _as_frame(X, self.columns_, what="The query")
            encoded = encoder.encode(rows)
            key = client if self.scope == "client" else POPULATION
            senders = np.full(len(rows), client, dtype=object)
            history = self._histories.get(key)
            if history is None:
                empty = slice(0, 0)
                history = _History(rows.iloc[empty], encoded.take(empty), senders[empty])
                self._histories[key] = history
            history.extend(rows, encoded, senders, self.window)
            found, statistics = _scan(
                history.rows,
                history.encoded,
                history.clients,
                encoder,
                thresholds,
                self.scope,
                self._baseline(),
            )
            self._statistics[key] = statistics.iloc[0].to_dict()
            per_detector = self._findings.setdefault(key, {})
            for finding in found:
                per_detector[finding["detector"]] = finding
                for flagged in finding["clients"]:
                    self._flagged.setdefault(flagged, finding["reason"])
            if self.action == "refuse" and client in self._flagged:
                self._refuse(client)

    def _refuse(self, client):
        found = [
            f for per in self._findings.values() for f in per.values() if client in f["clients"]
        ]
        reason = self._flagged[client]
        raise InversionPatternRefused(
            f"InversionMonitor refused client {client!r}: its queries match an "
            f"attribute-inference pattern ({reason}). Every later call of this client is "
            f"refused until reset({client!r}).",
            client=client,
            findings=found,
        )

    def _serve(self, client, method, X):
        self._watch(client, X)
        return getattr(self.estimator, method)(X)

    @available_if(_inner_has("predict"))
    def predict(self, X):
        """The model's ``predict``, watched as a call of the default client."""
        return self._serve(DEFAULT_CLIENT, "predict", X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """The model's ``predict_proba``, watched as a call of the default client."""
        return self._serve(DEFAULT_CLIENT, "predict_proba", X)

    @available_if(_inner_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The model's ``predict_log_proba``, watched as a call of the default client."""
        return self._serve(DEFAULT_CLIENT, "predict_log_proba", X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """The model's ``decision_function``, watched as a call of the default client."""
        return self._serve(DEFAULT_CLIENT, "decision_function", X)


def _view_has(method):
    return lambda self: hasattr(self.monitor.estimator, method)


class _MonitoredClient:
    """One client's view of an :class:`InversionMonitor` (what ``for_client`` returns)."""

    #: The wrapper protocol (tabinvert._wrappers): every call must reach the monitor.
    _tabinvert_shared_state = True

    def __init__(self, monitor, client):
        self.monitor = monitor
        self.client = client

    @property
    def _inner_model(self):
        return self.monitor

    def __repr__(self):
        return f"{self.monitor!r}.for_client({self.client!r})"

    def __sklearn_tags__(self):
        return self.monitor.__sklearn_tags__()

    def __sklearn_is_fitted__(self):
        return self.monitor.__sklearn_is_fitted__()

    @property
    def classes_(self):
        return self.monitor.classes_

    @property
    def n_features_in_(self):
        return self.monitor.n_features_in_

    @property
    def feature_names_in_(self):
        return self.monitor.feature_names_in_

    @available_if(_view_has("predict"))
    def predict(self, X):
        """The model's ``predict``, watched as a call of this client."""
        return self.monitor._serve(self.client, "predict", X)

    @available_if(_view_has("predict_proba"))
    def predict_proba(self, X):
        """The model's ``predict_proba``, watched as a call of this client."""
        return self.monitor._serve(self.client, "predict_proba", X)

    @available_if(_view_has("predict_log_proba"))
    def predict_log_proba(self, X):
        """The model's ``predict_log_proba``, watched as a call of this client."""
        return self.monitor._serve(self.client, "predict_log_proba", X)

    @available_if(_view_has("decision_function"))
    def decision_function(self, X):
        """The model's ``decision_function``, watched as a call of this client."""
        return self.monitor._serve(self.client, "decision_function", X)


# Not str.format: the docstrings hold braces ({"client", "global"}, dict literals).
scan_query_log.__doc__ = scan_query_log.__doc__.replace("{thresholds}", _THRESHOLDS_DOC.lstrip())
InversionMonitor.__doc__ = InversionMonitor.__doc__.replace(
    "{thresholds}", _THRESHOLDS_DOC.lstrip()
)

"""Every exception and warning tabinvert raises on purpose, in one place.

* :class:`ModelQueryError` — the target model failed on, or answered malformed, a query;
* :class:`QueryRefused` — the model (an API with a quota) refused a query on purpose;
  :class:`QueryBudgetExceeded` is the one a :class:`~tabinvert.defenses.QueryBudget` raises;
* :class:`NotDifferentiableError` — a white-box gradient attack met a step it cannot
  differentiate;
* :class:`DatasetNotFoundError`, :class:`DatasetChecksumError`,
  :class:`DatasetDownloadError` — the dataset loaders;
* :class:`PrivacyLeakWarning` — a differentially private estimator read something from the
  training data outside its mechanism (feature bounds, the label set), which its guarantee
  does not cover.

The modules that raise them import them from here, so ``except`` clauses can name them through
``tabinvert.exceptions`` whatever module raised them.
"""

from __future__ import annotations

__all__ = [
    "DatasetChecksumError",
    "DatasetDownloadError",
    "DatasetNotFoundError",
    "InversionPatternRefused",
    "ModelQueryError",
    "NotDifferentiableError",
    "PrivacyLeakWarning",
    "QueryBudgetExceeded",
    "QueryRefused",
    "RemoteModelError",
]


class ModelQueryError(RuntimeError):
    """The target model failed on the completed records, or answered malformed; the message
    names the method, what was expected and what came back, and the record asked about."""


class RemoteModelError(RuntimeError):
    """A model service failed after its retries, or answered something that cannot be read.

    Passed on unchanged by the query engine and never caught by an assessment, so that no
    result is computed from part of the answers. The message names the URL without its
    credentials, the status and the first bytes of the body.

    Attributes
    ----------
    url : str
        The address, without user information or query string.
    status : int or None
        The last HTTP status, when the service answered.
    body : bytes
        The first bytes of the last body, when the service answered.
    """

    def __init__(self, message, *, url, status=None, body=b""):
        super().__init__(message)
        self.url = url
        self.status = status
        self.body = body

    def __reduce__(self):  # keeps the keyword arguments across processes
        return (_rebuild_remote_error, (str(self), self.url, self.status, self.body))


def _rebuild_remote_error(message, url, status, body):
    return RemoteModelError(message, url=url, status=status, body=body)


class QueryRefused(RuntimeError):
    """The model (an API with a quota, say) refused a query on purpose; passed on unchanged.

    When it stops an attack, the query engine attaches how far the attack got.

    Attributes
    ----------
    records_completed, records_total : int or None
        Target records fully queried before the refusal, out of how many (set by the query
        engine; None when the refusal did not come through it).
    """

    records_completed = None
    records_total = None


class QueryBudgetExceeded(QueryRefused):
    """Raised when a call would take a :class:`~tabinvert.defenses.QueryBudget` past its quota.

    The refused call is not run and not counted. An attack that hits the budget re-raises it
    with how far it got (``records_completed`` of ``records_total``).

    Attributes
    ----------
    rows_used, calls_used : int
        What the budget had served before the refused call.
    rows_requested : int
        Rows in the refused call.
    max_rows, max_calls : int or None
        The quota.
    records_completed, records_total : int or None
        Target records fully queried before the budget ran out, out of how many.
    """

    def __init__(self, message, *, rows_used, calls_used, rows_requested, max_rows, max_calls):
        super().__init__(message)
        self.rows_used = rows_used
        self.calls_used = calls_used
        self.rows_requested = rows_requested
        self.max_rows = max_rows
        self.max_calls = max_calls
        self.records_completed = None
        self.records_total = None

    def __reduce__(self):  # keep the counts when the error crosses a process boundary
        state = dict(
            rows_used=self.rows_used,
            calls_used=self.calls_used,
            rows_requested=self.rows_requested,
            max_rows=self.max_rows,
            max_calls=self.max_calls,
        )
        return _rebuild_budget_error, (
            self.args[0],
            state,
            self.records_completed,
            self.records_total,
        )


def _rebuild_budget_error(message, state, records_completed, records_total):
    error = QueryBudgetExceeded(message, **state)
    error.records_completed, error.records_total = records_completed, records_total
    return error


class NotDifferentiableError(TypeError):
    """A model step a white-box gradient attack cannot differentiate (the message names it)."""


class DatasetNotFoundError(FileNotFoundError):
    """A dataset file is missing from the data home and cannot be fetched."""


class DatasetChecksumError(OSError):
    """A dataset file does not have the sha256 it should have."""


class DatasetDownloadError(OSError):
    """A dataset file could not be downloaded from any of its addresses."""


class PrivacyLeakWarning(UserWarning):
    """A differentially private estimator read something from the training data outside its
    mechanism (feature bounds, the label set, the target's range): the (ε, δ) guarantee does
    not cover it. The message names the parameter to set instead."""


class InversionPatternRefused(QueryRefused):
    """Raised when an :class:`~tabinvert.defenses.InversionMonitor` with ``action="refuse"``
    refuses a client whose queries match an attribute-inference pattern.

    The refused call is not run. The message names the client and the reason; the client's
    later calls are refused too, until the monitor's ``reset(client)``.

    Attributes
    ----------
    client : hashable
        The refused client's key.
    findings : list of dict
        The findings that flagged it (as in :class:`~tabinvert.defenses.MonitorReport`).
    records_completed, records_total : int or None
        Target records fully queried before the refusal, out of how many (set when an attack
        was refused through the query engine).
    """

    def __init__(self, message, *, client, findings):
        super().__init__(message)
        self.client = client
        self.findings = findings
        self.records_completed = None
        self.records_total = None

    def __reduce__(self):  # keep the client and findings when the error crosses processes
        return _rebuild_pattern_error, (
            self.args[0],
            self.client,
            self.findings,
            self.records_completed,
            self.records_total,
        )


def _rebuild_pattern_error(message, client, findings, records_completed, records_total):
    error = InversionPatternRefused(message, client=client, findings=findings)
    error.records_completed, error.records_total = records_completed, records_total
    return error

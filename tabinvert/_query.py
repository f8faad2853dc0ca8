"""The query engine: ask a model about every (record × candidate value) completion at once.

Every black-box attack reduces to the same step: take the known part of ``n`` target records,
fill the hidden sensitive column with each of ``k`` candidate values, and send the ``n × k``
completed records to the model. This module does that step once, for every attack:

* it builds the completed records in exactly the column order and dtypes the model expects
  (a pandas frame for models fitted on frames, a numpy array otherwise);
* it sends them in record-aligned chunks (at most ``max_rows_per_call`` rows per model call), so
  peak memory does not grow with ``n``;
* chunks run through :class:`sklearn.utils.parallel.Parallel`; the answer is identical for any
  ``n_jobs`` (and any joblib backend) because chunks are fixed before dispatch and reassembled
  in order;
* it returns an ``(n, k, n_outputs)`` array and the query cost (rows and calls).

Rows are laid out record-major: row ``i * k + j`` is record ``i`` completed with candidate ``j``.
The returned array is a view of ``(n_outputs, k, n)`` storage: each (candidate, output) pair is
one contiguous run over the records, so the attacks' reductions over candidates or classes run
as a few whole-column operations instead of numpy's slow per-row loops over axes of length 2-10.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from joblib import effective_n_jobs, parallel_config
from sklearn.utils.parallel import Parallel, delayed

DEFAULT_MAX_ROWS_PER_CALL = 131_072


@dataclass
class QueryCost:
    """Rows sent to the model and calls made: what an attack cost its attacker.

    Examples
    --------
    >>> from tabinvert._query import QueryCost
    >>> QueryCost(rows=10, calls=1) + QueryCost(rows=4, calls=2)
    QueryCost(rows=14, calls=3)
    """

    rows: int = 0
    calls: int = 0

    def __add__(self, other):
        return QueryCost(self.rows + other.rows, self.calls + other.calls)


class ModelQueryError(RuntimeError):
    """The target model failed on the completed records; the message says which column."""


class QueryRefused(RuntimeError):
    """The model (an API with a quota, say) refused a query on purpose; passed on unchanged."""


@dataclass(frozen=True)
class RecordLayout:
    """How the model wants a record: column order, dtypes, and where the sensitive value goes.

    Parameters
    ----------
    columns : list
        The model's input columns, in order: names for frame models, positions otherwise.
    sensitive : str or int
        The sensitive column (a member of ``columns``).
    is_frame : bool
        Whether the model is given pandas frames (it was fitted on named columns).
    dtypes : dict or None
        For frame models, the dtype of each column (from the attacker's auxiliary data).
    array_dtype : numpy dtype or None
        For array models, the dtype of the completed array.
    """

    columns: tuple
    sensitive: object
    is_frame: bool
    dtypes: dict | None = None
    array_dtype: object = None

    @property
    def known_columns(self):
        """The columns the attacker knows: every model column but the sensitive one."""
        return tuple(c for c in self.columns if c != self.sensitive)

    @property
    def sensitive_position(self):
        return self.columns.index(self.sensitive)


def n_records(known):
    """How many target records the known features describe (a column mapping or an array)."""
    if isinstance(known, dict):
        return len(next(iter(known.values()))) if known else 0
    return len(known)


def _known_block(layout, known, start, stop):
    """The slice of known features for records ``start:stop``, in a picklable compact form."""
    if layout.is_frame:
        return {c: known[c][start:stop] for c in layout.known_columns}
    return known[start:stop]


def _complete(layout, block, candidate_values, block_size):
    """Build the ``block_size × k`` completed records for one block of known features."""
    k = len(candidate_values)
    rows = np.repeat(np.arange(block_size), k)
    cand_index = np.tile(np.arange(k), block_size)
    if layout.is_frame:
        data = {}
        for column in layout.columns:
            if column == layout.sensitive:
                data[column] = candidate_values.take(cand_index)
            else:
                data[column] = block[column].take(rows)
        # A given RangeIndex: pandas would otherwise infer the index from every column.
        return pd.DataFrame(data, index=pd.RangeIndex(len(rows)), copy=False)
    completed = np.empty((block_size * k, len(layout.columns)), dtype=layout.array_dtype)
    position = layout.sensitive_position
    known_positions = [i for i in range(len(layout.columns)) if i != position]
    completed[:, known_positions] = block[rows]
    completed[:, position] = np.asarray(candidate_values)[cand_index]
    return completed


def _as_outputs(answer, n_rows):
    """Shape a model answer as (rows, n_outputs)."""
    answer = np.asarray(answer)
    if answer.ndim == 1:
        answer = answer.reshape(n_rows, 1)
    return answer


def _query_blocks(model, response_method, layout, blocks, candidate_values):
    """Answer several consecutive blocks in one task (one model transfer per worker).

    The model's own joblib calls (a ColumnTransformer's transformers, a forest's trees) run
    inside the task with threads, as they would in a loky worker. Under dask, joblib's default
    for such nested calls is the cluster itself: every chunk would be shipped to another
    worker and back, once per transformer (same answers, 10-30% slower on a 2-core machine).
    """
    with parallel_config(backend="threading"):
        return [
            _query_block(model, response_method, layout, block, candidate_values, block_size)
            for block, block_size in blocks
        ]


def _query_block(model, response_method, layout, block, candidate_values, block_size):
    completed = _complete(layout, block, candidate_values, block_size)
    try:
        answer = getattr(model, response_method)(completed)
    except QueryRefused:
        raise
    except Exception as exc:  # re-raised with what the attack was asking, and the fix
        raise ModelQueryError(
            f"The target model's {response_method}() failed on the records completed with "
            f"candidate values {list(candidate_values)[:10]} in column {layout.sensitive!r}: "
            f"{type(exc).__name__}: {exc}. Check that the known features have the columns "
            f"and categories the model was trained on."
        ) from exc
    return _as_outputs(answer, len(completed))


def _assemble(answers, n, k):
    """Copy the chunks' answers, in record order, into ``(n_outputs, k, n)`` storage.

    Answers arrive one chunk (or one task) at a time and are dropped once copied, so they do
    not all coexist with the whole result. Returns the storage seen as ``(n, k, n_outputs)``.
    """
    storage, start = None, 0
    for answer in answers:
        stop = start + len(answer) // k
        if storage is None:
            storage = np.empty((answer.shape[1], k, n), dtype=answer.dtype)
        elif answer.dtype != storage.dtype:  # e.g. text labels of different widths
            storage = storage.astype(np.result_type(storage.dtype, answer.dtype))
        storage[:, :, start:stop] = answer.reshape(stop - start, k, -1).transpose(2, 1, 0)
        start = stop
    return storage.transpose(2, 1, 0)


def query_candidates(
    model,
    layout,
    known,
    candidate_values,
    *,
    response_method="predict_proba",
    max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
    n_jobs=None,
):
    """Query ``model`` on every (record × candidate value) completion.

    Parameters
    ----------
    model : object
        Anything with the method named by ``response_method``.
    layout : RecordLayout
        Column order, dtypes and the sensitive column.
    known : dict of str to array or ndarray of shape (n, n_columns - 1)
        The known features of the ``n`` target records: for frame layouts a mapping from column
        name to a 1-D array (numpy or pandas extension array), for array layouts a 2-D array of
        the known columns in model order.
    candidate_values : array-like of shape (k,)
        The values tried in the sensitive column (a pandas array keeps its dtype).
    response_method : {"predict_proba", "predict"}, default="predict_proba"
        Which method of the model to call.
    max_rows_per_call : int, default=131072
        At most this many completed rows per model call (at least one record's ``k`` rows).
    n_jobs : int, default=None
        Parallel model calls, through :class:`sklearn.utils.parallel.Parallel`.

    Returns
    -------
    outputs : ndarray of shape (n, k, n_outputs)
        What the model answered for record ``i`` completed with candidate ``j``.
    cost : QueryCost
        Rows sent and calls made.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert._query import RecordLayout, query_candidates
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [2.0, 1.0]])
    >>> model = LinearRegression().fit(X, X[:, 0] + 10 * X[:, 1])
    >>> layout = RecordLayout(columns=(0, 1), sensitive=1, is_frame=False, array_dtype=float)
    >>> outputs, cost = query_candidates(
    ...     model, layout, np.array([[3.0]]), np.array([0.0, 1.0]), response_method="predict")
    >>> outputs.round(6).tolist(), cost
    ([[[3.0], [13.0]]], QueryCost(rows=2, calls=1))
    """
    n = n_records(known)
    k = len(candidate_values)
    if n == 0 or k == 0:
        raise ValueError("query_candidates needs at least one record and one candidate value.")
    n_workers = effective_n_jobs(n_jobs)
    records_per_call = max(1, int(max_rows_per_call) // k)
    # As few calls as the bound allows (the query cost does not depend on n_jobs), of equal
    # size so that parallel workers get equal shares.
    n_calls = -(-n // records_per_call)
    records_per_call = -(-n // n_calls)
    bounds = [
        (start, min(start + records_per_call, n))
        for start in range(0, n, records_per_call)
    ]
    # Coarse tasks: one contiguous run of calls per worker, so the model is sent to each
    # worker once rather than once per call; concatenating the tasks keeps the record order.
    tasks = np.array_split(np.arange(len(bounds)), min(len(bounds), n_workers))
    blocks = [
        [(_known_block(layout, known, *bounds[i]), bounds[i][1] - bounds[i][0]) for i in task]
        for task in tasks
    ]
    if len(tasks) == 1:  # nothing to parallelise: no worker pool, no copy of the model
        answers = (
            _query_block(model, response_method, layout, block, candidate_values, block_size)
            for block, block_size in blocks[0]
        )  # one chunk at a time: only one chunk's completions and answer are alive at once
    else:
        # A model that keeps shared state (a query budget's counters) must see every call in
        # this process: threads, never copies of it in worker processes.
        shared = getattr(model, "__tabinvert_requires_sharedmem__", False)
        results = Parallel(
            n_jobs=n_jobs, require="sharedmem" if shared else None, return_as="generator"
        )(
            delayed(_query_blocks)(model, response_method, layout, task_blocks, candidate_values)
            for task_blocks in blocks
        )
        answers = (answer for result in results for answer in result)
    return _assemble(answers, n, k), QueryCost(rows=n * k, calls=len(bounds))


def query_records(model, X, *, response_method="predict", max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL):
    """Query ``model`` on whole records ``X`` (already in model order), in chunks.

    Used when an attacker asks the model about its own auxiliary records, e.g. to estimate the
    model's error or confusion matrix.

    Returns
    -------
    outputs : ndarray of shape (n, n_outputs)
    cost : QueryCost

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyRegressor
    >>> from tabinvert._query import query_records
    >>> model = DummyRegressor(constant=2.0, strategy="constant").fit(np.zeros((3, 1)), [0, 0, 0])
    >>> outputs, cost = query_records(model, np.zeros((5, 1)), max_rows_per_call=2)
    >>> outputs.ravel().tolist(), cost
    ([2.0, 2.0, 2.0, 2.0, 2.0], QueryCost(rows=5, calls=3))
    """
    n = len(X)
    answers = []
    for start in range(0, n, max_rows_per_call):
        chunk = X.iloc[start:start + max_rows_per_call] if hasattr(X, "iloc") else X[start:start + max_rows_per_call]
        answers.append(_as_outputs(getattr(model, response_method)(chunk), len(chunk)))
    calls = len(answers)
    return np.concatenate(answers, axis=0), QueryCost(rows=n, calls=calls)

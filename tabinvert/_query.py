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

import contextlib
import contextvars
import threading
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from joblib import effective_n_jobs, parallel_config
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.utils.parallel import Parallel, delayed

from ._wrappers import declared_defenses, requires_shared_memory
from ._cache import active_cache, content_key
from .exceptions import ModelQueryError, QueryRefused, RemoteModelError

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


#: How far a probability row's sum may stray from 1 (float32 models, e.g. XGBoost, drift ~1e-7).
ROW_SUM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class AnswerSpec:
    """What a well-formed answer of ``model.<method>`` looks like; checked on every chunk.

    Attributes
    ----------
    method : str
        ``"predict_proba"`` or ``"predict"``.
    n_columns : int or None
        Probability columns expected (``len(classes_)``), or None when unknown.
    classes : ndarray or None
        Labels ``predict`` may return (a single-output classifier's ``classes_``).
    rows_sum_to_one : bool
        Whether probability rows must sum to 1 (False behind a declared output defense that
        does not keep row sums, e.g. ``RoundProbabilities(renormalize=False)``).
    """

    method: str
    n_columns: int | None = None
    classes: object = None
    rows_sum_to_one: bool = True


def answer_spec(model, response_method):
    """What ``model``'s answers to ``response_method`` must look like.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert._query import answer_spec
    >>> spec = answer_spec(LogisticRegression().fit([[0], [1], [2]], [0, 1, 2]), "predict_proba")
    >>> spec.n_columns, spec.rows_sum_to_one
    (3, True)
    """
    classes = getattr(model, "classes_", None)
    # No classes: a regressor (CatBoostRegressor keeps an empty classes_).
    single_output = (
        classes is not None
        and not isinstance(classes, list)
        and np.ndim(classes) == 1
        and len(classes) > 0
    )
    if response_method == "predict_proba":
        # A declared defense that does not promise row sums may return any non-negative row.
        keeps_sums = all(getattr(d, "keeps_row_sums", False) for d in declared_defenses(model))
        return AnswerSpec(
            response_method, len(classes) if single_output else None, rows_sum_to_one=keeps_sums
        )
    return AnswerSpec(response_method, classes=np.asarray(classes) if single_output else None)


def _describe_row(completed, row):
    """One completed record, for an error message (the values the model was asked about)."""
    if isinstance(completed, pd.DataFrame):
        values = completed.iloc[row].to_dict()
    else:
        values = np.asarray(completed)[row].tolist()
    text = repr(values)
    return text if len(text) <= 300 else text[:300] + "…"


def check_answer(answer, spec, completed):
    """Refuse a malformed model answer: wrong shape, non-finite, not probabilities, or labels
    outside ``classes_``. Vectorised; returns the answer as an ``(n, n_outputs)`` array.

    Raises
    ------
    ModelQueryError
        Naming the method, what was expected and what came back, and a completed record.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert._query import AnswerSpec, check_answer
    >>> check_answer(np.array([[0.2, 0.8]]), AnswerSpec("predict_proba", 2), np.zeros((1, 1)))
    array([[0.2, 0.8]])
    >>> check_answer(np.array([[0.2, 0.9]]), AnswerSpec("predict_proba", 2), np.zeros((1, 1)))
    Traceback (most recent call last):
    ...
    tabinvert.exceptions.ModelQueryError: The target model's predict_proba() returned rows ...
    """
    n_rows = len(completed)
    method = spec.method
    try:
        answer = np.asarray(answer)
    except Exception as exc:
        raise ModelQueryError(
            f"The target model's {method}() returned {type(answer).__name__}, which is not an "
            f"array ({exc})."
        ) from exc

    fail = _Failure(method, completed)
    if answer.ndim == 0 or len(answer) != n_rows:
        fail(f"returned shape {answer.shape} for {n_rows} records: expected one row per record")
    if method == "predict_proba":
        return _checked_probabilities(answer, spec, fail)
    if spec.classes is not None:
        return _checked_labels(answer, spec, fail)
    return _checked_outputs(answer, fail)


class _Failure:
    """Raises the ModelQueryError of one answer: the method, the problem and, for a row-level
    problem, the completed record it was asked about."""

    def __init__(self, method, completed):
        self.method, self.completed = method, completed

    def __call__(self, problem, row=None):
        where = ""
        if row is not None:
            record = _describe_row(self.completed, row)
            where = f" First offending row {row}, the completed record {record}."
        raise ModelQueryError(f"The target model's {self.method}() {problem}.{where}")


def _first(bad):
    return int(np.flatnonzero(bad)[0])


def _checked_probabilities(answer, spec, fail):
    """A ``(n, n_classes)`` matrix of finite values in [0, 1] whose rows sum to 1 (unless a
    declared defense allows otherwise)."""
    n_rows = len(answer)
    if answer.ndim != 2:
        fail(
            f"returned a {answer.ndim}-D array of shape {answer.shape}: expected "
            f"(n_records, n_classes) = ({n_rows}, {spec.n_columns or 'n_classes'})"
        )
    if spec.n_columns is not None and answer.shape[1] != spec.n_columns:
        fail(
            f"returned {answer.shape[1]} columns but the model has {spec.n_columns} "
            "classes (classes_): expected one probability per class"
        )
    if not np.issubdtype(answer.dtype, np.number) or np.issubdtype(
        answer.dtype, np.complexfloating
    ):
        fail(f"returned values of dtype {answer.dtype}: expected probabilities")
    answer = answer.astype(float, copy=False)
    bad = ~np.isfinite(answer).all(axis=1)
    if bad.any():
        fail(f"returned non-finite probabilities {answer[_first(bad)].tolist()}", _first(bad))
    bad = ((answer < -1e-9) | (answer > 1 + 1e-9)).any(axis=1)
    if bad.any():
        fail(f"returned values outside [0, 1]: {answer[_first(bad)].tolist()}", _first(bad))
    if spec.rows_sum_to_one:
        sums = answer.sum(axis=1)
        bad = np.abs(sums - 1) > ROW_SUM_TOLERANCE
        if bad.any():
            row = _first(bad)
            fail(
                f"returned rows that do not sum to 1 ({bad.sum():,} of {n_rows:,}; "
                f"e.g. {answer[row].tolist()} sums to {sums[row]:.6g}); wrap an output "
                "defense in DefendedClassifier so the model declares it",
                row,
            )
    return answer


def _checked_labels(answer, spec, fail):
    """One label per record, each among the model's ``classes_``."""
    n_rows = len(answer)
    if answer.ndim != 1 and not (answer.ndim == 2 and answer.shape[1] == 1):
        fail(f"returned shape {answer.shape}: expected one label per record")
    labels = answer.reshape(n_rows)
    try:
        unknown = ~np.isin(labels, spec.classes)
    except TypeError:  # labels that cannot be compared with the classes at all
        unknown = np.ones(n_rows, dtype=bool)
    if unknown.any():
        row = _first(unknown)
        fail(
            f"returned the label {labels[row]!r}, which is not in its classes_ "
            f"{spec.classes.tolist()[:10]}",
            row,
        )
    return _as_outputs(answer, n_rows)


def _checked_outputs(answer, fail):
    """A regressor's (or a class-less model's) outputs: one row per record, finite numbers."""
    n_rows = len(answer)
    if answer.ndim > 2:
        fail(f"returned shape {answer.shape}: expected (n_records,) or (n_records, n_outputs)")
    if not np.issubdtype(answer.dtype, np.number) and not np.issubdtype(answer.dtype, np.bool_):
        # A model without classes_ returning text: nothing to check against, pass it on.
        return _as_outputs(answer, n_rows)
    if np.issubdtype(answer.dtype, np.floating) or np.issubdtype(answer.dtype, np.complexfloating):
        rows = answer.reshape(n_rows, -1)
        bad = ~np.isfinite(rows).all(axis=1)
        if bad.any():
            fail(f"returned a non-finite prediction {rows[_first(bad)].tolist()}", _first(bad))
    return _as_outputs(answer, n_rows)


class _Progress:
    """Rows and calls answered so far, shared by the threads of one query (thread-safe).

    In worker processes each copy counts for itself and the parent's stays 0: progress is
    exact for serial and threaded queries, which is how a shared-state model is queried.
    """

    def __init__(self):
        self.rows = 0
        self.calls = 0
        self._lock = threading.Lock()

    def add(self, rows):
        with self._lock:
            self.rows += rows
            self.calls += 1

    def __getstate__(self):  # a copy sent to a worker process counts for itself
        return {"rows": 0, "calls": 0}

    def __setstate__(self, state):
        self.__dict__.update(state)
        self._lock = threading.Lock()


def _query_blocks(model, response_method, layout, blocks, candidate_values, spec, progress):
    """Answer several consecutive blocks in one task (one model transfer per worker).

    The model's own joblib calls (a ColumnTransformer's transformers, a forest's trees) run
    inside the task with threads, as they would in a loky worker. Under dask, joblib's default
    for such nested calls is the cluster itself: every chunk would be shipped to another
    worker and back, once per transformer (same answers, 10-30% slower on a 2-core machine).
    """
    with parallel_config(backend="threading"):
        return [
            _query_block(
                model, response_method, layout, block, candidate_values, block_size, spec, progress
            )
            for block, block_size in blocks
        ]


def _values_text(values, limit=10):
    """A short list of values for a message (plain Python scalars, at most ``limit``)."""
    shown = [v.item() if isinstance(v, np.generic) else v for v in list(values)[:limit]]
    return repr(shown)[:300] + (f" and {len(values) - limit:,} more" if len(values) > limit else "")


def _query_block(
    model, response_method, layout, block, candidate_values, block_size, spec, progress
):
    completed = _complete(layout, block, candidate_values, block_size)
    try:
        answer = getattr(model, response_method)(completed)
    except (QueryRefused, RemoteModelError):  # a quota or a failed service: passed on as is
        raise
    except Exception as exc:  # re-raised with what the attack was asking, and the fix
        raise ModelQueryError(
            f"The target model's {response_method}() failed on the records completed with "
            f"candidate values {_values_text(candidate_values)} in column "
            f"{layout.sensitive!r}: {type(exc).__name__}: {str(exc)[:1000].rstrip('.')}. "
            "Check that the known features have the columns and categories the model was "
            "trained on."
        ) from exc
    answer = check_answer(answer, spec, completed)
    progress.add(len(completed))
    return answer


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
    local=False,
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
    local : bool, default=False
        ``model`` is the attacker's own computation (e.g. a white-box attack's reading of the
        trees), not the model as deployed: its answers are neither looked up in nor kept in
        the run cache, and nothing is counted as sent to a model.

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
    cost = QueryCost(rows=n * k, calls=len(_call_bounds(n, k, max_rows_per_call)))
    cache = None if local else active_cache()
    # A model that must see every query itself (a budget's counters) is always asked.
    if cache is None or requires_shared_memory(model):
        outputs, sent = _send_candidates(
            model, layout, known, candidate_values, response_method, max_rows_per_call, n_jobs
        )
        if cache is not None:
            cache.count_sent(sent)
        return outputs, cost
    key = grid_key(model, layout, known, candidate_values, response_method)
    remembered = cache.answers(key)
    if remembered is not None:
        cache.rows_served += n * k
        return remembered[1], cost
    outputs = _defended_from_raw(
        model, layout, known, candidate_values, response_method, max_rows_per_call, n_jobs
    )
    if outputs is None:
        outputs = _labels_from_probabilities(
            model, layout, known, candidate_values, response_method, max_rows_per_call, n_jobs
        )
    if outputs is None:
        outputs, sent = _send_candidates(
            model,
            layout,
            known,
            candidate_values,
            response_method,
            max_rows_per_call,
            n_jobs,
            grid_key=key,
        )
        cache.count_sent(sent)
    # (Defended answers: the inner model's query was counted, as sent or as served.)
    cache.remember_answers(key, _answering_model(model), outputs)
    return outputs, cost


def _call_bounds(n, k, max_rows_per_call):
    """Record ranges of the model calls: as few as the bound allows (the query cost does not
    depend on n_jobs), of equal size so that parallel workers get equal shares."""
    records_per_call = max(1, int(max_rows_per_call) // k)
    n_calls = -(-n // records_per_call)
    records_per_call = -(-n // n_calls)
    return [(start, min(start + records_per_call, n)) for start in range(0, n, records_per_call)]


def _answering_model(model):
    """The model whose answers these are: a FrozenEstimator answers exactly as its estimator."""
    while isinstance(model, FrozenEstimator):
        model = model.estimator
    return model


#: Classifiers whose ``predict`` is, in scikit-learn's code, the class of the arg-max of the
#: very ``predict_proba`` they return (forests and HistGradientBoosting call it and take the
#: arg-max; an MLP thresholds or takes the arg-max of the same output): their labels can be
#: read off probabilities already asked for. Not listed: models whose ``predict`` reads
#: another quantity (a decision function, unnormalised leaf values), where rounding could
#: part the two.
_ARGMAX_CLASSIFIERS = frozenset(
    {
        "sklearn.ensemble._forest.RandomForestClassifier",
        "sklearn.ensemble._forest.ExtraTreesClassifier",
        "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
        "sklearn.neural_network._multilayer_perceptron.MLPClassifier",
    }
)


def _predicts_argmax(model):
    """Whether ``model.predict`` is known to be the arg-max of its ``predict_proba``: one of
    :data:`_ARGMAX_CLASSIFIERS`, alone or at the end of a Pipeline (which delegates both)."""
    model = _answering_model(model)
    while isinstance(model, Pipeline):
        model = _answering_model(model[-1])
    kind = f"{type(model).__module__}.{type(model).__qualname__}"
    classes = getattr(model, "classes_", None)
    return kind in _ARGMAX_CLASSIFIERS and classes is not None and np.ndim(classes) == 1


def _labels_from_probabilities(
    model, layout, known, candidate_values, response_method, max_rows_per_call, n_jobs
):
    """A classifier's labels on a grid, read off its probabilities on the same grid (asked
    once, and shared with every attack that reads them) when its ``predict`` is their arg-max
    (:func:`_predicts_argmax`); None otherwise."""
    if response_method != "predict" or not _predicts_argmax(model):
        return None
    proba, _ = query_candidates(
        model,
        layout,
        known,
        candidate_values,
        response_method="predict_proba",
        max_rows_per_call=max_rows_per_call,
        n_jobs=n_jobs,
    )
    classes = np.asarray(model.classes_)
    labels = classes[np.asarray(proba).argmax(axis=2)]  # (n, k)
    return np.ascontiguousarray(labels.T[None]).transpose(2, 1, 0)


def _defended_from_raw(
    model, layout, known, candidate_values, response_method, max_rows_per_call, n_jobs
):
    """A defended model's answers, computed from its inner model's raw answers on the same grid
    (remembered, or asked once): an output defense is a function of the raw answers, so the
    model is not asked again for every defense. None when ``model`` declares no such defense
    (the wrapper protocol's ``_tabinvert_defend``)."""
    defend = getattr(model, "_tabinvert_defend", None)
    inner = getattr(model, "_inner_model", None)
    if defend is None or inner is None:
        return None
    raw, _ = query_candidates(
        inner,
        layout,
        known,
        candidate_values,
        response_method=model._tabinvert_raw_method,
        max_rows_per_call=max_rows_per_call,
        n_jobs=n_jobs,
    )
    n, k = raw.shape[:2]
    flat = np.asarray(raw).reshape(n * k, -1)
    answer = check_answer(
        defend(flat, response_method), answer_spec(model, response_method), np.empty((n * k, 0))
    )
    # The engine's storage layout: (n_outputs, k, n), seen as (n, k, n_outputs).
    return np.ascontiguousarray(answer.reshape(n, k, -1).transpose(2, 1, 0)).transpose(2, 1, 0)


def _send_candidates(
    model,
    layout,
    known,
    candidate_values,
    response_method,
    max_rows_per_call,
    n_jobs,
    grid_key=None,
):
    """Ask ``model`` about every completion, in chunks, in parallel: the outputs and the cost.

    ``grid_key``: the grid's key in the run cache; a grid a registered leaf reader reads
    (:func:`reading_grid_leaves`) is answered through it, and its leaves kept under that key.
    """
    n = n_records(known)
    k = len(candidate_values)
    spec = answer_spec(model, response_method)
    progress = _Progress()
    n_workers = effective_n_jobs(n_jobs)
    bounds = _call_bounds(n, k, max_rows_per_call)
    # Coarse tasks: one contiguous run of calls per worker, so the model is sent to each
    # worker once rather than once per call; concatenating the tasks keeps the record order.
    tasks = np.array_split(np.arange(len(bounds)), min(len(bounds), n_workers))
    blocks = [
        [(_known_block(layout, known, *bounds[i]), bounds[i][1] - bounds[i][0]) for i in task]
        for task in tasks
    ]
    reader = _leaf_reader_for(model, layout, candidate_values, response_method, n * k, grid_key)
    if len(tasks) == 1 and reader is not None:  # one pass through the trees for two uses
        answers = _read_blocks(
            reader, model, response_method, layout, blocks[0], candidate_values, spec, progress
        )
    elif len(tasks) == 1:  # nothing to parallelise: no worker pool, no copy of the model
        answers = (
            _query_block(
                model, response_method, layout, block, candidate_values, block_size, spec, progress
            )
            for block, block_size in blocks[0]
        )  # one chunk at a time: only one chunk's completions and answer are alive at once
    else:
        # A model that keeps shared state (a query budget's counters) must see every call in
        # this process: threads, never copies of it in worker processes.
        shared = requires_shared_memory(model)
        results = Parallel(
            n_jobs=n_jobs, require="sharedmem" if shared else None, return_as="generator"
        )(
            delayed(_query_blocks)(
                model, response_method, layout, task_blocks, candidate_values, spec, progress
            )
            for task_blocks in blocks
        )
        answers = (answer for result in results for answer in result)
    try:
        return _assemble(answers, n, k), QueryCost(rows=n * k, calls=len(bounds))
    except QueryRefused as refusal:  # say how far the query got before the model refused
        refusal.records_completed = progress.rows // k
        refusal.records_total = n
        refusal.answered_cost = QueryCost(rows=progress.rows, calls=progress.calls)
        raise


# --------------------------------------------------------------------------------------------
# Leaves of tree models, read once for two attacks
# --------------------------------------------------------------------------------------------
#
# A white-box tree attack sends every completed record down the trees of the very model whose
# answers the black-box attacks ask on the same grid. Within a run of attacks that includes
# one, a leaf reader registered by it (:func:`reading_grid_leaves`) answers those grids: it
# finds each completion's leaf in every tree and reads the model's own answer off the leaves
# (checked, chunk by chunk, to equal the model's answer on real rows, else the model is asked
# as usual), and the leaves are kept for the white-box attack to take
# (:func:`take_grid_leaves`) instead of sending the same completions down the trees again.
# The rows still count as sent to the model: it was, in effect, evaluated on every one.

#: At most this many bytes of kept leaves at once (more: the grid is asked as usual).
MAX_KEPT_LEAF_BYTES = 1 << 27

_LEAF_READING = contextvars.ContextVar("tabinvert_leaf_reading", default=None)


@dataclass
class _LeafReading:
    """The leaf readers of a run of attacks and the leaves they kept, by grid key."""

    readers: list
    kept: dict = field(default_factory=dict)

    def kept_bytes(self):
        return sum(chunk.nbytes for chunks in self.kept.values() for chunk in chunks)


@contextlib.contextmanager
def reading_grid_leaves(readers):
    """Within the block, grids that one of ``readers`` reads are answered through it and
    their leaves kept (see the section comment above); outside it nothing is kept.

    A reader has ``reads(model, layout, candidate_values, response_method)`` (whether it can
    answer that grid), ``leaf_bytes(n_rows)`` and ``read(model, response_method, completed)``,
    which returns the model's answer for the completed rows and their leaves, or None when the
    answer read off the leaves is not the model's own.
    """
    readers = [reader for reader in readers if reader is not None]
    if not readers:
        yield
        return
    token = _LEAF_READING.set(_LeafReading(readers))
    try:
        yield
    finally:
        _LEAF_READING.reset(token)


def grid_key(model, layout, known, candidate_values, response_method):
    """The run cache's key of a grid (what :func:`query_candidates` remembers it under)."""
    return (
        id(_answering_model(model)),
        response_method,
        layout.columns,
        layout.sensitive,
        content_key(known, pd.Series(candidate_values)),
    )


def take_grid_leaves(model, layout, known, candidate_values, response_method):
    """The leaves kept for a grid and the model's answers on it, or None: ``(leaves,
    outputs)``, ``leaves`` a list of record-aligned chunks of shape (rows, n_trees) in
    record-major order, ``outputs`` the remembered ``(n, k, n_outputs)`` answers (read-only).
    The leaves are handed over once (then forgotten)."""
    reading, cache = _LEAF_READING.get(), active_cache()
    if reading is None or cache is None or not reading.kept:
        return None
    key = grid_key(model, layout, known, candidate_values, response_method)
    chunks = reading.kept.pop(key, None)
    remembered = cache.answers(key)
    if chunks is None or remembered is None:
        return None
    cache.rows_served += n_records(known) * len(candidate_values)
    return chunks, remembered[1]


def _leaf_reader_for(model, layout, candidate_values, response_method, n_rows, key):
    """The registered reader that answers this grid (and keeps its leaves), or None."""
    reading = _LEAF_READING.get()
    if reading is None or key is None or key in reading.kept:
        return None
    for reader in reading.readers:
        if reader.reads(model, layout, candidate_values, response_method):
            if reading.kept_bytes() + reader.leaf_bytes(n_rows) > MAX_KEPT_LEAF_BYTES:
                return None
            return _KeepingReader(reader, reading, key)
    return None


class _KeepingReader:
    """A reader answering one grid, keeping its leaves under the grid's key once every chunk
    was read (a chunk answered by the model instead leaves nothing kept)."""

    def __init__(self, reader, reading, key):
        self.reader, self.reading, self.key = reader, reading, key
        self.chunks, self.complete = [], True

    def read(self, model, response_method, completed):
        result = self.reader.read(model, response_method, completed) if self.complete else None
        if result is None:
            self.complete, self.chunks = False, []
            return None
        answer, leaves = result
        self.chunks.append(leaves)
        return answer

    def finish(self):
        if self.complete and self.chunks:
            self.reading.kept[self.key] = self.chunks


def _read_blocks(reader, model, response_method, layout, blocks, candidate_values, spec, progress):
    """The answers of consecutive blocks, read off the trees' leaves by ``reader`` (the model
    is asked as usual for a block whose answer the reader cannot vouch for, or that it fails
    on: then the model's own error is raised)."""
    for block, block_size in blocks:
        completed = _complete(layout, block, candidate_values, block_size)
        try:
            answer = reader.read(model, response_method, completed)
        except Exception:  # the model's own call says what is wrong, as usual
            answer = None
        if answer is None:
            reader.complete, reader.chunks = False, []
            yield _query_block(
                model, response_method, layout, block, candidate_values, block_size, spec, progress
            )
            continue
        answer = check_answer(answer, spec, completed)
        progress.add(len(completed))
        yield answer
    reader.finish()


def query_records(
    model, X, *, response_method="predict", max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL
):
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
    spec = answer_spec(model, response_method)
    answers = []
    for start in range(0, n, max_rows_per_call):
        chunk = (
            X.iloc[start : start + max_rows_per_call]
            if hasattr(X, "iloc")
            else X[start : start + max_rows_per_call]
        )
        answers.append(check_answer(getattr(model, response_method)(chunk), spec, chunk))
    calls = len(answers)
    return np.concatenate(answers, axis=0), QueryCost(rows=n, calls=calls)

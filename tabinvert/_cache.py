"""What one assessment computes once and every attack reuses: the model's answers on each
record × candidate grid, and the imputation learners fitted on the auxiliary records.

Several attacks read the very same answers (MAP, CSMIA and MAP with the imputation prior all
ask ``predict_proba`` about the same completed records), and several fit the very same
imputation learner on the same auxiliary data. Inside :func:`run_cache`, the query engine
answers a grid it has answered before from memory, and an output defense in front of a model
(:class:`~tabinvert.defenses.DefendedClassifier`) is applied to the cached raw answers instead
of querying the model again; fitted learners are looked up by the content of what they were
fitted on. Outside it nothing is kept.

Query costs stay honest: an attack's ``last_query_cost_`` is what an attacker would send; the
cache counts what was actually sent (:attr:`RunCache.rows_sent`). A model that must see every
query itself (a :class:`~tabinvert.defenses.QueryBudget`) is never answered from memory.
"""

from __future__ import annotations

import contextlib
import contextvars
import hashlib

import numpy as np
import pandas as pd

_ACTIVE = contextvars.ContextVar("tabinvert_run_cache", default=None)


class RunCache:
    """Model answers and fitted learners kept for one run (see the module docstring).

    Attributes
    ----------
    rows_sent, calls_sent : int
        Rows and calls actually sent to models while the cache was active.
    rows_served : int
        Rows answered from memory (or from a defense applied to remembered answers).
    """

    def __init__(self):
        self._answers = {}
        self._fits = {}
        self.rows_sent = 0
        self.calls_sent = 0
        self.rows_served = 0

    # -- model answers --------------------------------------------------------------------
    def count_sent(self, cost):
        """Count the rows and calls of a query actually sent to a model."""
        self.rows_sent += cost.rows
        self.calls_sent += cost.calls

    def answers(self, key):
        """The remembered ``(model, outputs)`` for a grid key, or None."""
        return self._answers.get(key)

    def remember_answers(self, key, model, outputs):
        outputs.flags.writeable = False  # shared by every attack: nobody may change it
        self._answers[key] = (model, outputs)  # the model is kept so its id is not reused

    # -- fitted learners ------------------------------------------------------------------
    def fitted(self, key, fit):
        """The result of ``fit()`` for ``key``, computed on the first call only."""
        if key not in self._fits:
            self._fits[key] = fit()
        return self._fits[key]


def active_cache():
    """The :class:`RunCache` of the run in progress, or None."""
    return _ACTIVE.get()


@contextlib.contextmanager
def run_cache(cache=None):
    """Keep model answers and fitted learners for the duration of the ``with`` block.

    A block inside another one shares the outer cache (unless ``cache`` is given).

    Examples
    --------
    >>> from tabinvert._cache import active_cache, run_cache
    >>> with run_cache() as cache:
    ...     active_cache() is cache
    True
    >>> active_cache() is None
    True
    """
    cache = cache or _ACTIVE.get() or RunCache()
    token = _ACTIVE.set(cache)
    try:
        yield cache
    finally:
        _ACTIVE.reset(token)


def content_key(*parts):
    """A digest of arrays, frames, mappings of arrays and plain values (their content, not
    their identity), for looking up remembered work."""
    digest = hashlib.sha256()
    for part in parts:
        _update(digest, part)
    return digest.hexdigest()


def _update(digest, part):
    if isinstance(part, dict):
        for name in part:
            digest.update(repr(name).encode())
            _update(digest, part[name])
    elif isinstance(part, pd.DataFrame):
        digest.update(repr(list(part.columns)).encode())
        digest.update(repr(list(part.dtypes.astype(str))).encode())
        digest.update(pd.util.hash_pandas_object(part, index=False).to_numpy().tobytes())
    elif isinstance(part, np.ndarray) and part.ndim > 1:
        digest.update(f"{part.dtype}{part.shape}".encode())
        frame = pd.DataFrame(part.reshape(len(part), -1))
        digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    elif isinstance(part, (np.ndarray, pd.Series, pd.api.extensions.ExtensionArray)):
        values = pd.Series(part)
        digest.update(f"{values.dtype}{len(values)}".encode())
        digest.update(pd.util.hash_pandas_object(values, index=False).to_numpy().tobytes())
    else:
        digest.update(repr(part).encode())

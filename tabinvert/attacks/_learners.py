"""The attacker's own learner: predicts a sensitive value from known features (and a label).

Used by the imputation baseline and by the label-only attack. A histogram gradient-boosting
model handles mixed numeric and text columns natively (text columns are ordinal-encoded and
declared categorical), scales to millions of rows, and tolerates missing values.
"""

from __future__ import annotations

import contextlib

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder
from threadpoolctl import threadpool_limits

LABEL_COLUMN = "__label__"
_MAX_NATIVE_CATEGORIES = 255  # HistGradientBoosting's limit for native categorical splits
# Below this many rows the attacker's learner runs on one OpenMP thread: on a busy machine
# HistGradientBoosting's spinning threads made a 600-row fit take 1–15 s instead of 0.2 s (and
# a 40,000-row fit 0.46 s instead of 0.19 s), while one thread is never much slower there.
_ONE_THREAD_BELOW_ROWS = 200_000


def learner_threads(n_rows):
    """Context for fitting or applying the attacker's learner on ``n_rows`` rows."""
    if n_rows < _ONE_THREAD_BELOW_ROWS:
        return threadpool_limits(limits=1, user_api="openmp")
    return contextlib.nullcontext()


def attacker_features(known, columns, y=None):
    """One frame of what the attacker knows: known feature columns, plus the label if given."""
    if isinstance(known, dict):  # string names: sklearn refuses int and str names mixed
        frame = pd.DataFrame({str(c): known[c] for c in columns}, copy=False)
    else:
        frame = pd.DataFrame(known, columns=[f"x{i}" for i in range(known.shape[1])])
    frame.index = pd.RangeIndex(len(frame))
    if y is not None:
        frame[LABEL_COLUMN] = y
    return frame


def make_learner(frame, task, learner=None, random_state=None):
    """A fresh, unfitted learner suited to ``frame`` (or a clone of the user's ``learner``)."""
    if learner is not None:
        return clone(learner)
    # A column without a single value carries nothing to learn, and HistGradientBoosting's
    # binning fails on it: leave it out.
    usable = [c for c in frame.columns if frame[c].notna().any()]
    text = [c for c in usable if not pd.api.types.is_numeric_dtype(frame[c].dtype)]
    other = [c for c in usable if c not in text]
    native = [frame[c].nunique(dropna=True) <= _MAX_NATIVE_CATEGORIES for c in text]
    categorical = np.array(native + [False] * len(other), dtype=bool)
    model_class = (
        HistGradientBoostingClassifier
        if task == "classification"
        else HistGradientBoostingRegressor
    )
    model = model_class(
        categorical_features=categorical if categorical.any() else None,
        random_state=random_state,
    )
    if not text and len(usable) == len(frame.columns):
        return model
    encode = ColumnTransformer(
        [
            (
                "text",
                OrdinalEncoder(
                    handle_unknown="use_encoded_value",
                    unknown_value=np.nan,
                    encoded_missing_value=np.nan,
                ),
                text,
            ),
            ("other", "passthrough", other),
        ],
        remainder="drop",
    )
    return Pipeline([("encode", encode), ("learn", model)])

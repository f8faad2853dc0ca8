"""Records as a pandas DataFrame or a 2-D numpy array, read and written alike.

The white-box attacks handle records in the model's own input format: a DataFrame (columns are
labels) for models fitted on frames, a 2-D array (columns are positions) otherwise. These
helpers take rows, read a column and replace columns the same way for both, keeping each
column's dtype where it can hold the new values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def n_rows(X):
    """How many records ``X`` holds."""
    return X.shape[0]


def take_rows(X, index):
    """Records ``index`` of ``X`` (positions, a boolean mask or a slice)."""
    return X.iloc[index] if isinstance(X, pd.DataFrame) else np.asarray(X)[index]


def column_values(X, column):
    """Column ``column`` (a label for frames, a position for arrays) as a 1-D array."""
    if isinstance(X, pd.DataFrame):
        return X[column].to_numpy()
    return np.asarray(X)[:, column]


def column_labels(X):
    """The columns of ``X``: a frame's labels, or an array's positions."""
    return list(X.columns) if isinstance(X, pd.DataFrame) else list(range(np.shape(X)[1]))


def as_column(values, dtype):
    """``values`` stored as a column of ``dtype``; continuous values keep a float dtype."""
    values = np.asarray(values)
    if dtype is None:
        return values
    if isinstance(dtype, np.dtype):
        if dtype.kind in "iub" and values.dtype.kind == "f":
            return values
        return values.astype(dtype, copy=False) if dtype.kind != "O" else values.astype(object)
    try:
        return pd.array(values, dtype=dtype)
    except (TypeError, ValueError):
        return values


def with_columns(X, values):
    """A copy of ``X`` with the columns in ``values`` (column → 1-D array) replaced."""
    if isinstance(X, pd.DataFrame):
        X = X.copy()
        for column, value in values.items():
            X[column] = as_column(value, X[column].dtype)
        return X
    X = np.array(X, copy=True)
    if X.dtype.kind in "iub" and any(np.asarray(v).dtype.kind == "f" for v in values.values()):
        X = X.astype(float)
    for column, value in values.items():
        X[:, column] = value
    return X


def complete_rows(records):
    """Boolean mask of the rows with every value present, and every numeric value finite."""
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(records)
    complete = frame.notna().all(axis=1).to_numpy()
    numeric = frame.select_dtypes("number")
    if numeric.shape[1]:
        complete = complete & np.isfinite(numeric.to_numpy(dtype=float)).all(axis=1)
    return complete

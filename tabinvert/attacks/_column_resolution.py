"""Which of the model's columns the caller's column labels or positions stand for.

A model fitted on a DataFrame names its columns; one fitted on an array numbers them, though
the caller may still hand over a DataFrame whose labels say what each position holds. The
reconstruction attack takes its ``unknown`` columns as labels or positions; these functions
resolve them to model columns, reading a frame's labels first and refusing ambiguity (an
integer that is both a label and a position) rather than guessing.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .._validation import model_feature_names


def model_columns(model, X_aux):
    """The model's columns (names, or positions for array models) and whether they are names."""
    if np.ndim(X_aux) != 2:
        raise ValueError(f"X_aux must be 2-D (records × columns); got shape {np.shape(X_aux)}.")
    names = model_feature_names(model)
    if names is not None:
        return names, True
    n_features = getattr(model, "n_features_in_", np.shape(X_aux)[1])
    if np.shape(X_aux)[1] != n_features:
        raise ValueError(
            f"X_aux has {np.shape(X_aux)[1]} columns but the model was fitted on an array "
            f"with {n_features}; pass the columns in the model's order."
        )
    return list(range(n_features)), False


def resolve_unknown(unknown, mode, columns, is_frame, X_aux):
    """The model columns that ``unknown`` names (every column when None, for
    ``mode="class_representative"``)."""
    if unknown is None:
        if mode != "class_representative":
            raise ValueError(
                "unknown=None (every column) is for mode='class_representative'; pass the "
                "columns to reconstruct as unknown=[...]."
            )
        return list(columns)
    if isinstance(unknown, (str, int, np.integer)):
        unknown = [unknown]
    unknown = list(unknown)
    if not unknown:
        raise ValueError("unknown is empty: pass at least one column to reconstruct.")
    aux_names = list(X_aux.columns) if isinstance(X_aux, pd.DataFrame) else None
    resolved = [_resolve_one(column, columns, is_frame, aux_names) for column in unknown]
    if len(set(resolved)) != len(resolved):
        raise ValueError(f"unknown lists a column more than once: {unknown}.")
    return resolved


def _resolve_one(column, columns, is_frame, aux_names):
    """The model column (a name, or a position for array models) ``column`` stands for.

    A frame's labels come first. An integer that is not a label is a position only for a
    model fitted on an array, and only when no label of the frame is an integer that it
    could be confused with (columns ``[1, 0, 2]``): ambiguity is an error, never a guess.
    """
    position = (
        isinstance(column, (int, np.integer))
        and not isinstance(column, bool)
        and 0 <= column < len(columns)
    )
    if is_frame:  # the model's columns are names
        if column in columns:
            return column
        if position:
            raise ValueError(
                f"unknown={column!r} is not a column label (the model's columns are "
                f"{list(columns)[:20]}), though it is a valid position. Columns are labels "
                "for a DataFrame; pass the column's label, or pass a numpy array to use "
                "positions."
            )
    elif aux_names is None:  # an array: positions
        if position:
            return columns[int(column)]
    elif column in aux_names:
        return columns[aux_names.index(column)]
    elif position:
        if any(isinstance(c, (int, np.integer)) for c in aux_names):
            raise ValueError(
                f"unknown={column!r} is not a column label of X_aux (its columns are "
                f"{aux_names[:20]}), though it is a valid position. Columns are labels for "
                "a DataFrame; pass the column's label, or pass a numpy array to use "
                "positions."
            )
        return columns[int(column)]
    shown = aux_names if (aux_names is not None and not is_frame) else columns
    raise ValueError(
        f"The unknown column {column!r} is not one of the model's columns "
        f"({list(shown)[:20]}); pass names of the columns to reconstruct."
    )


def aux_label(X_aux, column, is_frame):
    """How ``make_layout`` names a resolved model column in ``X_aux`` (a frame's label)."""
    if isinstance(X_aux, pd.DataFrame) and not is_frame:
        return X_aux.columns[column]
    return column

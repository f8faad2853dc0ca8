"""The one place tabinvert imports scikit-learn's private names.

scikit-learn may rename or move anything whose module or name starts with an underscore in any
release. Every such import in tabinvert goes through this module, so a new scikit-learn breaks
one file, and the oldest supported release (``scikit-learn>=1.6``, run in CI) and the newest
are handled here side by side.

What is used, and why:

* parameter validation (``Interval``, ``StrOptions``, ``HasMethods``, ``Options``,
  ``validate_params``) and ``_fit_context``: the estimator conventions scikit-learn's own
  estimators follow (``_parameter_constraints``), which tabinvert's attacks and defenses share;
* ``_num_samples``: the row count of any array-like, as scikit-learn counts it;
* ``_check_feature_names_in``: ``get_feature_names_out`` of the defense transformers;
* ``LinearModel``: recognising linear models whose gradient is known in closed form;
* ``TreePredictor``: the trees of HistGradientBoosting models, read by the white-box attack;
* ``openmp_effective_n_threads``: how many threads HistGradientBoosting predicts with (the
  white-box tree attack reads its answer off the leaves only when it predicts on one);
* :func:`fitted_transformers`: a ColumnTransformer's fitted parts, read without scikit-learn
  1.6's FutureWarning about the remainder's column format (they are names from 1.7 on).
"""

import warnings

import numpy as np

from sklearn.base import _fit_context
from sklearn.ensemble._hist_gradient_boosting.predictor import TreePredictor
from sklearn.linear_model._base import LinearModel
from sklearn.utils._param_validation import (
    HasMethods,
    Interval,
    InvalidParameterError,
    Options,
    StrOptions,
    validate_parameter_constraints,
    validate_params,
)
from sklearn.utils.validation import _check_feature_names_in, _num_samples


try:  # the thread count HistGradientBoosting predicts with
    from sklearn.utils._openmp_helpers import (
        _openmp_effective_n_threads as openmp_effective_n_threads,
    )
except ImportError:  # pragma: no cover - a scikit-learn without it: one thread

    def openmp_effective_n_threads():
        """One thread, where scikit-learn does not say how many it uses."""
        return 1


def fitted_transformers(column_transformer):
    """``(name, transformer, columns)`` of a fitted ColumnTransformer (``transformers_``), the
    columns as a plain list (or as given when not a sequence)."""
    with warnings.catch_warnings():
        # scikit-learn 1.6 warns on reading a remainder given as column indices.
        warnings.filterwarnings(
            "ignore", "\nThe format of the columns of the 'remainder'", FutureWarning
        )
        warnings.filterwarnings(
            "ignore", "The format of the columns of the 'remainder'", FutureWarning
        )
        parts = []
        for name, transformer, columns in getattr(column_transformer, "transformers_", []):
            if not isinstance(columns, (str, slice)) and hasattr(columns, "__iter__"):
                columns = list(columns)
            parts.append((name, transformer, columns))
        return parts


def transformer_input_positions(column_transformer):
    """``{name: [input column positions]}`` of a fitted ColumnTransformer's parts, the remainder
    included, read from the public ``transformers_`` (column names, positions, slices and
    boolean masks all resolved to positions), instead of the private
    ``_transformer_to_input_indices``."""
    if hasattr(column_transformer, "feature_names_in_"):
        names = list(column_transformer.feature_names_in_)
    else:
        names = list(range(column_transformer.n_features_in_))
    positions = {}
    for name, _, columns in fitted_transformers(column_transformer):
        if isinstance(columns, slice):
            chosen = list(range(len(names)))[columns]
        else:
            items = [columns] if isinstance(columns, (str, int)) else list(columns)
            if items and np.asarray(items).dtype == bool:  # a mask over the input columns
                chosen = [i for i, keep in enumerate(items) if keep]
            else:
                chosen = [names.index(c) if isinstance(c, str) else int(c) for c in items]
        positions[name] = chosen
    return positions


__all__ = [
    "fitted_transformers",
    "openmp_effective_n_threads",
    "transformer_input_positions",
    "HasMethods",
    "Interval",
    "InvalidParameterError",
    "LinearModel",
    "Options",
    "StrOptions",
    "TreePredictor",
    "_check_feature_names_in",
    "_fit_context",
    "_num_samples",
    "validate_parameter_constraints",
    "validate_params",
]

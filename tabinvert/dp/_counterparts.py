"""Differentially private counterparts of a user's model, for the privacy–utility sweep.

``assess(..., dp_epsilons=(0.5, 1, 2, 4, 8))`` asks: had this model been trained with
differential privacy at each ε, what would the attacks still learn, and what would it cost?
The counterpart keeps the model's family where tabinvert has a private version of it (logistic
regression → DP logistic regression; a multi-layer perceptron → a DP one of the same hidden
layers; linear regression → DP linear regression); for any other family it offers the nearest
private alternatives (DP logistic regression and a DP perceptron for a classifier, DP linear
regression for a regressor), and says so.

Each counterpart is a :class:`~sklearn.pipeline.Pipeline` on the model's own input columns: text
columns one-hot encoded with their categories, then the DP estimator with the feature bounds.
Here the categories, the bounds and the label set are read from the training data, so the
guarantee covers the training itself, not those few facts (the report says so); a deployment
fixes them from domain knowledge (see the user guide, :ref:`dp`).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils import check_random_state

from .._validation import model_feature_names
from .._wrappers import wrapper_chain
from ._sgd import DPSGDClassifier, DPSGDRegressor

#: The hidden layers of the DP perceptron offered for a classifier of another family.
DEFAULT_HIDDEN_LAYERS = (32,)

#: What the report says of a counterpart's preprocessing.
PREPROCESSING_NOTE = (
    "the DP models' one-hot categories, feature bounds and label set were read from the "
    "training data: the guarantee covers their training, not those facts, which a deployment "
    "fixes in advance from domain knowledge"
)


def _final_model(model):
    """The estimator that answers for ``model``: through wrappers (defenses, a query budget,
    a frozen estimator) and to the last step of (nested) Pipelines."""
    while True:
        model = wrapper_chain(model)[-1]
        if isinstance(model, FrozenEstimator):
            model = model.estimator
        elif isinstance(model, Pipeline) and model.steps:
            model = model.steps[-1][1]
        else:
            return model


def counterpart_names(model, epsilons):
    """``{name: (family, ε)}`` of the counterparts :func:`private_counterparts` trains, in
    its order, without training them (to refuse a clash of names before any work).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from tabinvert.dp import counterpart_names
    >>> list(counterpart_names(RandomForestClassifier(), [1, np.inf]))
    ['DP logistic ε=1', 'DP logistic ε=∞', 'DP MLP ε=1', 'DP MLP ε=∞']
    """
    families, _ = counterpart_families(model)
    return {
        f"{family} ε={epsilon_text(epsilon)}": (family, float(epsilon))
        for family, _ in families
        for epsilon in epsilons
    }


def check_epsilons(epsilons, name="epsilons"):
    """``epsilons`` as a list of distinct positive floats, or a ValueError naming ``name``."""
    values = [float(e) for e in np.atleast_1d(epsilons)]
    if not values or any(not e > 0 for e in values) or len(set(values)) < len(values):
        raise ValueError(
            f"{name} must be distinct positive numbers (np.inf for no noise), e.g. "
            f"(0.5, 1, 2, 4, 8); got {values}."
        )
    return values


def epsilon_text(epsilon):
    """ε as the counterparts' names and the report write it: "∞", or 3 significant digits."""
    epsilon = math.inf if epsilon is None else float(epsilon)
    return "∞" if math.isinf(epsilon) else f"{epsilon:.3g}"


def counterpart_families(model):
    """The private families standing in for ``model``'s, and whether it is the same family.

    Returns
    -------
    families : list of (str, tuple)
        ``(name, hidden_layer_sizes)`` per family: ``"DP logistic"`` and ``"DP MLP"`` for
        classifiers, ``"DP linear"`` for regressors.
    same_family : bool
        False when the model's own family has no private version here and the nearest
        alternatives stand in for it.

    Examples
    --------
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.dp import counterpart_families
    >>> counterpart_families(LogisticRegression())
    ([('DP logistic', ())], True)
    >>> counterpart_families(RandomForestClassifier())
    ([('DP logistic', ()), ('DP MLP', (32,))], False)
    """
    from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, SGDClassifier
    from sklearn.neural_network import MLPClassifier

    final = _final_model(model)
    if not _answers_classes(final):
        return [("DP linear", ())], isinstance(final, (LinearRegression, Ridge))
    if isinstance(final, LogisticRegression) or (
        isinstance(final, SGDClassifier) and final.loss == "log_loss"
    ):
        return [("DP logistic", ())], True
    if isinstance(final, MLPClassifier):
        return [("DP MLP", tuple(np.atleast_1d(final.hidden_layer_sizes).tolist()))], True
    return [("DP logistic", ()), ("DP MLP", DEFAULT_HIDDEN_LAYERS)], False


def _answers_classes(model):
    """Whether ``model`` is a classifier: scikit-learn's tags, or, for an object without
    them, class labels and probabilities (as the attacks decide)."""
    try:
        if is_classifier(model):
            return True
    except Exception:  # an object of no scikit-learn lineage: no tags to read
        pass
    return hasattr(model, "classes_") and hasattr(model, "predict_proba")


def _check_complete(frame, y):
    """Refuse missing values, naming the columns (DP-SGD reads complete records only)."""
    missing = frame.isna().sum()
    missing = missing[missing > 0]
    if len(missing) or pd.isna(pd.Series(y)).any():
        where = ", ".join(f"{column!r} ({count:,})" for column, count in missing.items())
        where = where or f"the labels ({int(pd.isna(pd.Series(y)).sum()):,})"
        raise ValueError(
            f"The DP counterparts are trained on complete records, but values are missing in "
            f"{where}. Fill them with a value fixed in advance or drop those records before "
            "training DP counterparts (or leave dp_epsilons out)."
        )


def _encoder(X):
    """One-hot encoding of the text columns with the categories found in ``X`` (given to the
    encoder, so it learns nothing), the numeric columns as they are."""
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c])]
    numeric = [c for c in X.columns if c not in text]
    categories = [sorted(X[c].dropna().unique(), key=str) for c in text]
    return ColumnTransformer(
        [
            (
                "text",
                OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False),
                text,
            ),
            ("numeric", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    )


def private_counterparts(model, X, y, epsilons, *, delta=None, random_state=None, **dp_params):
    """DP models of ``model``'s family at each ε, trained on ``(X, y)``.

    Parameters
    ----------
    model : fitted classifier or regressor
        The model whose private counterparts are built; only its family and its input
        columns are read.
    X, y : DataFrame, array-like
        Its training records and labels.
    epsilons : sequence of float
        The privacy budgets; ``np.inf`` trains the same way without noise.
    delta : float, default=None
        δ of every counterpart (None: the estimators' default).
    random_state : int, RandomState instance or None, default=None
        Seeds the training: one seed per family, drawn up front, shared by its ε, so that a
        family's counterparts see the same batches and differ only by their noise.
    **dp_params
        Passed to every DP estimator (``epochs``, ``batch_size``, ``clip_norm``, …).

    Returns
    -------
    dict of str to Pipeline
        Fitted counterparts by name, e.g. ``"DP logistic ε=1"``, in the order of the families
        then of ``epsilons``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.dp import private_counterparts
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=500), "colour": rng.choice(["red", "blue"], 500)})
    >>> y = (X["x"] > 0).astype(int)
    >>> models = private_counterparts(LogisticRegression().fit(X[["x"]], y), X[["x"]], y,
    ...                               [1, 8], random_state=0)
    >>> list(models)
    ['DP logistic ε=1', 'DP logistic ε=8']
    >>> round(models["DP logistic ε=8"][-1].epsilon_, 1)
    8.0
    """
    epsilons = check_epsilons(epsilons)
    columns = model_feature_names(model)
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise ValueError(
                f"The model reads column(s) {missing[:10]} that X does not have; pass the "
                "model's training records."
            )
        frame = frame[list(columns)]
    y = np.asarray(y)
    _check_complete(frame, y)
    families, _ = counterpart_families(model)
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(families))
    encoder = _encoder(frame)
    encoded = np.asarray(encoder.fit_transform(frame), dtype=float)
    bounds = (encoded.min(axis=0), encoded.max(axis=0))
    classifier = _answers_classes(_final_model(model))
    counterparts = {}
    for (family, hidden), seed in zip(families, seeds):
        for epsilon in epsilons:
            common = dict(epsilon=epsilon, delta=delta, bounds=bounds, random_state=int(seed))
            if classifier:
                estimator = DPSGDClassifier(
                    hidden_layer_sizes=hidden, classes=np.unique(y), **common, **dp_params
                )
            else:
                target_bounds = (float(np.min(y)), float(np.max(y)))
                estimator = DPSGDRegressor(target_bounds=target_bounds, **common, **dp_params)
            # The encoder learns nothing from the data (its categories are given), so each
            # counterpart fits its own copy of it.
            pipeline = Pipeline([("encode", clone(encoder)), ("dp", estimator)])
            counterparts[f"{family} ε={epsilon_text(epsilon)}"] = pipeline.fit(frame, y)
    return counterparts

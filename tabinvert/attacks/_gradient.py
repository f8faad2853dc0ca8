"""White-box gradients of the attacker's objective, and the gradient-based inversion attack.

An attacker who holds the model's parameters can differentiate what it observed with respect to
the inputs it does not know. For a target record ``x = (x_K, x_U)`` whose known part is
``x_K``, the objective is the log-likelihood of the evidence,

* ``log p_y(x)`` — the model's log-probability of the record's true label (classifiers);
* ``-(y - f(x))² / 2σ²`` — a Gaussian error model around the true output (regressors);
* ``-‖p(x) - q‖² / 2w²`` (``-(o - f(x))² / 2w²``) — a Gaussian kernel on the distance between
  the model's output and the output the victim saw (``observed``), as in
  :class:`~tabinvert.attacks.ConfidenceInversion`; or, for probabilities,
  ``-‖clr p(x) - clr q‖² / 2w²`` on their centred log-ratios (``observed_kernel="logit"``: the
  centred logits, so the objective is quadratic in the logits and does not flatten where the
  probabilities saturate);

plus a log-prior term the attack adds. :class:`DifferentiableModel` computes this objective and
its gradient with respect to chosen raw input columns for a whole batch of records at once
(matrix products; no loop over records), by backpropagation through

* linear regressors (any ``LinearModel`` with ``coef_``: ``LinearRegression``, ``Ridge``,
  ``Lasso``, ``ElasticNet``, ``BayesianRidge``, ``HuberRegressor``…);
* ``LogisticRegression`` (binary: a logistic output; multiclass: softmax);
* ``MLPClassifier`` / ``MLPRegressor`` (``coefs_``/``intercepts_`` with relu, tanh, logistic or
  identity hidden units; softmax, logistic or identity outputs);
* preprocessing that is affine in the unknown columns: ``StandardScaler``, ``MinMaxScaler``
  (without ``clip``), ``MaxAbsScaler``, ``RobustScaler``, and a ``ColumnTransformer`` as the
  first pipeline step whose transformers of unknown numeric columns are those scalers or
  ``"passthrough"``. Known columns may go through anything (one-hot encoders, imputers…): they
  are constants. Unknown *categorical* columns may go through ``OneHotEncoder`` /
  ``OrdinalEncoder`` (optionally after a ``SimpleImputer``); the model input is then a convex
  combination of the categories' encodings (see :class:`ReconstructionAttack`).

Everything else raises :class:`NotDifferentiableError` (a ``TypeError``) naming the part that is
not supported. At construction the affine map is derived from the model's own ``transform`` and
checked on random records, and the forward pass is checked against the model's own
``predict_proba``/``predict``, so an unsupported model is refused rather than silently
mis-differentiated.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import optimize, sparse
from scipy.special import expit, log_expit, logsumexp
from sklearn.base import clone, is_classifier
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.linear_model._base import LinearModel
from sklearn.model_selection import cross_val_predict
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import (
    FunctionTransformer,
    MaxAbsScaler,
    MinMaxScaler,
    OneHotEncoder,
    OrdinalEncoder,
    RobustScaler,
    StandardScaler,
)
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .._query import DEFAULT_MAX_ROWS_PER_CALL, QueryCost, _complete
from .._validation import check_observed, split_known
from ..defenses._budget import QueryBudget, find_query_budget
from ._base import THREAT_MODEL_DOC, BaseAttack, gaussian_error_scale
from ._confidence import class_positions
from ._imputation import ImputationBaseline
from ._learners import attacker_features, learner_threads

_TINY = 1e-300
_AFFINE_SCALERS = (StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler)
_CATEGORY_ENCODERS = (OneHotEncoder, OrdinalEncoder, SimpleImputer)
_ROWS_PER_BLOCK = 65_536  # rows of the model input kept alive at once on the candidate grid


class NotDifferentiableError(TypeError):
    """The model (or its preprocessing) offers no analytic gradient for the unknown columns."""


# -- activations ----------------------------------------------------------------------------------

def _relu(s):
    return np.maximum(s, 0.0)


_ACTIVATIONS = {
    "identity": lambda s: s,
    "relu": _relu,
    "tanh": np.tanh,
    "logistic": expit,
}
# Derivatives written in terms of the activation's *output* a (what the forward pass keeps).
_DERIVATIVES = {
    "identity": lambda a: np.ones_like(a),
    "relu": lambda a: (a > 0).astype(a.dtype),
    "tanh": lambda a: 1.0 - a * a,
    "logistic": lambda a: a * (1.0 - a),
}


# -- the evidence ---------------------------------------------------------------------------------

@dataclass
class Evidence:
    """What the attacker observed about each record, in the model's encoding.

    Parameters
    ----------
    labels : ndarray of shape (n,) or None
        Positions of the records' true labels in the model's ``classes_`` (classifiers).
    observed_labels : ndarray of shape (n,) or None
        Positions of labels the victim saw the model output (scored like ``labels``: a label is
        not differentiable, its log-probability is).
    observed_proba : ndarray of shape (n, n_classes) or None
        Probabilities the victim saw (classifiers), compared with a Gaussian kernel.
    observed_logits : ndarray of shape (n, n_classes) or None
        Their centred log-ratios ``log q - mean(log q)`` (``q`` clipped at 1e-12), used instead
        of ``observed_proba`` by the "logit" kernel.
    target : ndarray of shape (n,) or None
        True outputs (regressors), with Gaussian noise ``sigma``.
    observed_output : ndarray of shape (n,) or None
        The regressor's output the victim saw, with kernel width ``width``.
    sigma, width : float
        Noise scale of ``target`` and kernel width of the observed outputs.
    """

    labels: np.ndarray | None = None
    observed_labels: np.ndarray | None = None
    observed_proba: np.ndarray | None = None
    observed_logits: np.ndarray | None = None
    target: np.ndarray | None = None
    observed_output: np.ndarray | None = None
    sigma: float = 1.0
    width: float = 0.01

    def take(self, index):
        """The evidence of records ``index`` (e.g. one row per optimisation chain)."""
        fields = ("labels", "observed_labels", "observed_proba", "observed_logits", "target",
                  "observed_output")
        return replace(self, **{f: None if getattr(self, f) is None else getattr(self, f)[index]
                                for f in fields})


def make_evidence(is_classifier_, classes, y=None, observed=None, *, sigma=None, width=None,
                  observed_kernel="proba"):
    """Build :class:`Evidence` from labels/outputs as the attacker holds them.

    Classifiers: ``y`` holds labels; ``observed`` is either probabilities (n, n_classes),
    compared with a kernel of width ``width`` (default 0.01) on the probabilities
    (``observed_kernel="proba"``) or on their centred log-ratios ("logit"), or labels (1-D).
    Regressors: ``y`` holds true outputs (Gaussian noise ``sigma``, required) and ``observed``
    model outputs (kernel width ``width``, required).
    """
    if y is None and observed is None:
        raise ValueError(
            "The attack compares the model's answers with what the attacker observed: pass the "
            "targets' true labels or outputs (y) and/or the model's outputs for their real "
            "records (observed)."
        )
    if observed is not None:
        observed = check_observed(observed, len(observed))
    evidence = Evidence()
    if is_classifier_:
        if y is not None:
            evidence.labels = class_positions(classes, np.asarray(y))
        if observed is not None:
            observed = np.asarray(observed)
            if observed.ndim == 2 and observed.shape[1] > 1:
                if observed.shape[1] != len(classes):
                    raise ValueError(
                        f"observed has {observed.shape[1]} columns but the model answers with "
                        f"{len(classes)} class probabilities; pass its predict_proba output."
                    )
                if observed_kernel == "logit":
                    log_q = np.log(np.clip(observed.astype(float), 1e-12, None))
                    evidence.observed_logits = log_q - log_q.mean(axis=1, keepdims=True)
                else:
                    evidence.observed_proba = observed.astype(float)
                evidence.width = float(width or 0.01)
            else:
                evidence.observed_labels = class_positions(
                    classes, observed.reshape(-1), name="observed")
        return evidence
    if y is not None:
        if sigma is None:
            raise ValueError(
                "The Gaussian error model of a regressor needs σ: pass y_aux to fit() (σ = the "
                "model's RMSE on it) or set noise_scale."
            )
        evidence.target = np.asarray(y, dtype=float).reshape(-1)
        evidence.sigma = float(sigma)
    if observed is not None:
        evidence.observed_output = (
            np.asarray(observed, dtype=float).reshape(len(observed), -1)[:, 0])
        evidence.width = float(width)
    return evidence


def evidence_log_likelihood(outputs, evidence, is_classifier_):
    """The evidence's log-likelihood from the model's answers (black-box: no gradient).

    ``outputs`` is ``predict_proba``'s (n, n_classes) for classifiers, ``predict``'s (n,) for
    regressors. Agrees with :meth:`DifferentiableModel.value_and_grad`'s value.
    """
    outputs = np.asarray(outputs, dtype=float)
    n = len(outputs)
    value = np.zeros(n)
    if is_classifier_:
        rows = np.arange(n)
        for positions in (evidence.labels, evidence.observed_labels):
            if positions is not None:
                value += np.log(np.maximum(outputs[rows, positions], _TINY))
        if evidence.observed_proba is not None:
            gap = outputs - evidence.observed_proba
            value -= 0.5 * (gap * gap).sum(axis=1) / evidence.width**2
        if evidence.observed_logits is not None:
            log_p = np.log(np.maximum(outputs, _TINY))
            gap = log_p - log_p.mean(axis=1, keepdims=True) - evidence.observed_logits
            value -= 0.5 * (gap * gap).sum(axis=1) / evidence.width**2
        return value
    outputs = outputs.reshape(n, -1)[:, 0]
    if evidence.target is not None:
        value -= 0.5 * ((evidence.target - outputs) / evidence.sigma) ** 2
    if evidence.observed_output is not None:
        value -= 0.5 * ((evidence.observed_output - outputs) / evidence.width) ** 2
    return value


# -- frames and arrays ----------------------------------------------------------------------------

def _n_rows(X):
    return X.shape[0]


def _take_rows(X, index):
    return X.iloc[index] if isinstance(X, pd.DataFrame) else np.asarray(X)[index]


def _column(X, column):
    if isinstance(X, pd.DataFrame):
        return X[column].to_numpy()
    return np.asarray(X)[:, column]


def _as_column(values, dtype):
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


def _assign(X, values):
    """A copy of ``X`` with the columns in ``values`` (column → 1-D array) replaced."""
    if isinstance(X, pd.DataFrame):
        X = X.copy()
        for column, value in values.items():
            X[column] = _as_column(value, X[column].dtype)
        return X
    X = np.array(X, copy=True)
    if X.dtype.kind in "iub" and any(np.asarray(v).dtype.kind == "f" for v in values.values()):
        X = X.astype(float)
    for column, value in values.items():
        X[:, column] = value
    return X


def _complete_rows(records):
    """Rows with every value present, and every numeric value finite."""
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(records)
    complete = frame.notna().all(axis=1).to_numpy()
    numeric = frame.select_dtypes("number")
    if numeric.shape[1]:
        complete = complete & np.isfinite(numeric.to_numpy(dtype=float)).all(axis=1)
    return complete


def _model_columns(X):
    return list(X.columns) if isinstance(X, pd.DataFrame) else list(range(np.shape(X)[1]))


# -- what is differentiable -----------------------------------------------------------------------

def _flatten(model):
    """Preprocessing steps and final estimator of a (possibly nested) Pipeline."""
    if not isinstance(model, Pipeline):
        return [], model
    steps = []
    for _, step in model.steps[:-1]:
        if step is None or (isinstance(step, str) and step == "passthrough"):
            continue
        if isinstance(step, Pipeline):
            inner, last = _flatten(step)
            steps += inner + [last]
        else:
            steps.append(step)
    inner, final = _flatten(model.steps[-1][1])
    return steps + inner, final


def _is_affine(transformer):
    if transformer is None or (isinstance(transformer, str) and transformer == "passthrough"):
        return True
    if isinstance(transformer, Pipeline):
        return all(_is_affine(step) for _, step in transformer.steps)
    if isinstance(transformer, FunctionTransformer):
        return transformer.func is None
    if isinstance(transformer, MinMaxScaler):
        return not transformer.clip
    return isinstance(transformer, _AFFINE_SCALERS)


def _is_category_encoding(transformer):
    if isinstance(transformer, Pipeline):
        return all(_is_category_encoding(step) for _, step in transformer.steps)
    return _is_affine(transformer) or isinstance(transformer, _CATEGORY_ENCODERS)


def _check_steps(steps, numeric, categorical):
    for i, step in enumerate(steps):
        if isinstance(step, ColumnTransformer):
            if i:
                raise NotDifferentiableError(
                    "A ColumnTransformer is supported as the first pipeline step only (it must "
                    "read the raw columns)."
                )
            _check_column_transformer(step, numeric, categorical)
        elif not _is_affine(step):
            raise NotDifferentiableError(
                f"The pipeline step {type(step).__name__} is not supported for analytic "
                "gradients (supported: StandardScaler, MinMaxScaler without clip, MaxAbsScaler, "
                "RobustScaler, and a ColumnTransformer as the first step). Use a black-box "
                "gradient (finite differences or SPSA) instead."
            )


def _check_column_transformer(transformer, numeric, categorical):
    indices = getattr(transformer, "_transformer_to_input_indices", None)
    if indices is None:  # pragma: no cover - every supported scikit-learn version has it
        raise NotDifferentiableError("Cannot tell which columns the ColumnTransformer reads.")
    if hasattr(transformer, "feature_names_in_"):
        columns = list(transformer.feature_names_in_)
    else:
        columns = list(range(transformer.n_features_in_))
    fitted = transformer.named_transformers_
    for name, positions in indices.items():
        read = [columns[p] for p in positions]
        free_numeric = [c for c in read if c in numeric]
        free_categorical = [c for c in read if c in categorical]
        if not (free_numeric or free_categorical):
            continue  # only known columns: constants, whatever the transformer
        step = fitted[name] if name in fitted else "drop"
        if isinstance(step, str) and step == "drop":
            continue
        if free_numeric and not _is_affine(step):
            raise NotDifferentiableError(
                f"The unknown numeric column(s) {free_numeric} go through "
                f"{type(step).__name__} ({name!r}) in the model's ColumnTransformer, which is "
                "not affine. Analytic gradients need them passed through or scaled "
                "(StandardScaler, MinMaxScaler, MaxAbsScaler, RobustScaler); declare one-hot "
                "encoded unknowns categorical, or use a black-box gradient."
            )
        if free_categorical and not _is_category_encoding(step):
            raise NotDifferentiableError(
                f"The unknown categorical column(s) {free_categorical} go through "
                f"{type(step).__name__} ({name!r}); supported are OneHotEncoder, OrdinalEncoder, "
                "SimpleImputer and the affine scalers."
            )


def _final_layers(estimator):
    """``(layers, hidden_activation, head)`` of a supported final estimator."""
    name = type(estimator).__name__
    if isinstance(estimator, QueryBudget):
        raise NotDifferentiableError(
            "The model is served through a QueryBudget, a metered prediction API: it answers "
            "queries (each one charged) but does not expose the parameters that analytic "
            "gradients are computed from. Use black-box gradients ('finite_differences' or "
            "'spsa', every query charged to the budget), or pass the model itself "
            "(budget.estimator) if you hold its parameters."
        )
    check_is_fitted(estimator)
    if isinstance(estimator, (MLPClassifier, MLPRegressor)):
        head = estimator.out_activation_
        if head not in ("softmax", "logistic", "identity", "exp"):  # pragma: no cover
            raise NotDifferentiableError(f"{name} has an unsupported output {head!r}.")
        binarizer = getattr(estimator, "_label_binarizer", None)
        if binarizer is not None and binarizer.y_type_ == "multilabel-indicator":
            raise NotDifferentiableError(f"A multilabel {name} is not supported.")
        if isinstance(estimator, MLPRegressor) and estimator.n_outputs_ != 1:
            raise NotDifferentiableError(f"A multi-output {name} is not supported.")
        layers = [(np.asarray(W, dtype=float), np.asarray(b, dtype=float))
                  for W, b in zip(estimator.coefs_, estimator.intercepts_)]
        return layers, estimator.activation, head
    if isinstance(estimator, LogisticRegression):
        W = _dense(estimator.coef_).T
        head = "logistic" if W.shape[1] == 1 else "softmax"
        return [(W, np.asarray(estimator.intercept_, dtype=float).reshape(-1))], "identity", head
    if isinstance(estimator, LinearModel) and not is_classifier(estimator):
        coef = _dense(estimator.coef_)
        if coef.ndim == 2:
            if coef.shape[0] != 1:
                raise NotDifferentiableError(f"A multi-output {name} is not supported.")
            coef = coef[0]
        intercept = np.asarray(getattr(estimator, "intercept_", 0.0), dtype=float).reshape(-1)
        return [(coef[:, None], intercept[:1])], "identity", "identity"
    raise NotDifferentiableError(
        f"No analytic gradient for {name}: supported are linear regressors (LinearModel with "
        "coef_), LogisticRegression, MLPClassifier and MLPRegressor, optionally in a Pipeline "
        "after affine scalers. For other models use a black-box gradient (finite differences "
        "or SPSA) or ConfidenceInversion."
    )


def _dense(array):
    if sparse.issparse(array):
        array = array.toarray()
    return np.asarray(array, dtype=float)


class DifferentiableModel:
    """A fitted model seen as a differentiable function of some of its raw input columns.

    The model input (after preprocessing) of a record is
    ``Z = Z_ref + x_num @ A + Σ_j π_j @ D_j`` where ``Z_ref`` is the record with its free
    numeric columns at 0 and its free categorical columns at their first category, ``x_num``
    the free numeric values, and ``π_j`` a probability vector over the categories of free
    categorical column ``j`` (one-hot for an actual category). ``A`` and ``D_j`` are taken from
    the model's own ``transform`` on one template record and checked on others.

    Parameters
    ----------
    model : estimator
        The fitted target model (see the module docstring for what is supported).
    X_template : DataFrame or ndarray
        Records in the model's input format (their free columns' values are ignored).
    free : list
        The columns to differentiate with respect to (names for frame models, positions for
        array models).
    categories : dict, default=None
        For free categorical columns, their categories (the first is the reference).
    random_state : int, default=0
        Seeds the random records used to check the affine map.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.attacks._gradient import DifferentiableModel, Evidence
    >>> X = np.array([[0.0, 1.0], [1.0, 0.0], [2.0, 2.0]])
    >>> model = LinearRegression().fit(X, 3 * X[:, 0] - X[:, 1])
    >>> dm = DifferentiableModel(model, X, free=[0])
    >>> Z = dm.features(dm.encode(X), X[:, [0]])
    >>> value, grad_Z = dm.value_and_grad(Z, Evidence(target=np.zeros(3)))
    >>> dm.grad_numeric(grad_Z).ravel().round(6).tolist()  # d/dx0 of -f(x)²/2 = -3 f(x)
    [3.0, -9.0, -12.0]
    """

    def __init__(self, model, X_template, free, *, categories=None, random_state=0):
        categories = dict(categories or {})
        self.model = model
        self.free = list(free)
        self.numeric = [c for c in self.free if c not in categories]
        self.categorical = [c for c in self.free if c in categories]
        self.categories = {c: np.asarray(categories[c]) for c in self.categorical}
        steps, final = _flatten(model)
        self.layers, self.hidden, self.head = _final_layers(final)
        _check_steps(steps, set(self.numeric), set(self.categorical))
        self.steps = steps
        self.is_classifier = self.head not in ("identity", "exp")
        if self.is_classifier:
            self.classes_ = np.asarray(model.classes_)
            if self.head == "logistic" and len(self.classes_) != 2:  # pragma: no cover
                raise NotDifferentiableError("A logistic output needs exactly two classes.")
        self._derive_affine_map(X_template)
        self._check(X_template, random_state)

    # -- the input map ------------------------------------------------------------------------
    def _reference_values(self, n):
        values = {c: np.zeros(n) for c in self.numeric}
        values.update({c: np.repeat(self.categories[c][:1], n) for c in self.categorical})
        return values

    def _transform(self, X):
        for step in self.steps:
            X = step.transform(X)
        if sparse.issparse(X):
            X = X.toarray()
        if isinstance(X, pd.DataFrame):
            X = X.to_numpy()
        try:
            return np.asarray(X, dtype=float)
        except (TypeError, ValueError) as exc:
            raise NotDifferentiableError(
                f"The model's input is not numeric after preprocessing ({exc}); analytic "
                "gradients need numeric model inputs."
            ) from exc

    def _derive_affine_map(self, X_template):
        row = _take_rows(X_template, [0])
        base = self._transform(_assign(row, self._reference_values(1)))[0]
        p = len(self.numeric)
        if p:
            rows = _take_rows(X_template, np.zeros(p, dtype=np.intp))
            values = self._reference_values(p)
            values.update({c: (np.arange(p) == j).astype(float)
                           for j, c in enumerate(self.numeric)})
            self.A = self._transform(_assign(rows, values)) - base
        else:
            self.A = np.zeros((0, base.shape[0]))
        self.D = []
        for column in self.categorical:
            m = len(self.categories[column])
            rows = _take_rows(X_template, np.zeros(m, dtype=np.intp))
            values = self._reference_values(m)
            values[column] = self.categories[column]
            self.D.append(self._transform(_assign(rows, values)) - base)
        self.n_inputs = base.shape[0]

    def _check(self, X_template, random_state):
        """Refuse preprocessing that is not affine, and forward passes that disagree."""
        rng = check_random_state(random_state)
        n = min(_n_rows(X_template), 4)
        rows = _take_rows(X_template, np.arange(n))
        x_num = rng.uniform(-2.0, 2.0, size=(n, len(self.numeric)))
        codes = [rng.randint(len(self.categories[c]), size=n) for c in self.categorical]
        values = {c: x_num[:, j] for j, c in enumerate(self.numeric)}
        values.update({c: self.categories[c][k] for c, k in zip(self.categorical, codes)})
        records = _assign(rows, values)
        actual = self._transform(records)
        probs = [np.eye(len(self.categories[c]))[k] for c, k in zip(self.categorical, codes)]
        predicted = self.features(self.encode(rows), x_num, probs)
        scale = 1.0 + np.abs(actual).max()
        if not np.allclose(actual, predicted, rtol=1e-6, atol=1e-7 * scale):
            raise NotDifferentiableError(
                f"The model's preprocessing is not affine in the unknown column(s) {self.free} "
                "(its output changes with them other than by a fixed linear map); analytic "
                "gradients are unavailable. Use a black-box gradient instead."
            )
        if self.is_classifier:
            expected = np.asarray(self.model.predict_proba(records), dtype=float)
        else:
            expected = np.asarray(self.model.predict(records), dtype=float).reshape(n)
        mine = self.predict(actual)
        if not np.allclose(mine, expected, rtol=1e-5, atol=1e-7 * (1 + np.abs(expected).max())):
            raise NotDifferentiableError(
                f"The analytic forward pass of {type(self.model).__name__} disagrees with the "
                "model's own predictions; analytic gradients are unavailable for it."
            )

    def encode(self, X):
        """``Z_ref``: the model input of records ``X`` with their free columns at reference."""
        return self._transform(_assign(X, self._reference_values(_n_rows(X))))

    def features(self, Z_ref, x_num=None, probs=()):
        """The model input ``Z_ref + x_num @ A + Σ_j probs[j] @ D_j``."""
        Z = np.array(Z_ref, dtype=float, copy=True)
        if x_num is not None and len(self.numeric):
            Z += np.asarray(x_num, dtype=float) @ self.A
        for prob, D in zip(probs, self.D):
            Z += prob @ D
        return Z

    # -- the network ----------------------------------------------------------------------------
    def _forward(self, Z):
        activations = [Z]
        a = Z
        last = len(self.layers) - 1
        for i, (W, b) in enumerate(self.layers):
            s = a @ W + b
            if i < last:
                a = _ACTIVATIONS[self.hidden](s)
                activations.append(a)
        return s, activations

    def _output(self, s):
        if self.head == "identity":
            return s[:, 0]
        if self.head == "exp":
            return np.exp(s[:, 0])
        if self.head == "logistic":
            p1 = expit(s[:, 0])
            return np.column_stack([1.0 - p1, p1])
        return np.exp(s - logsumexp(s, axis=1, keepdims=True))

    def predict(self, Z):
        """What the model answers for inputs ``Z``: probabilities, or a regressor's outputs."""
        return self._output(self._forward(Z)[0])

    def value_and_grad(self, Z, evidence):
        """The evidence's log-likelihood (n,) and its gradient (n, n_inputs) w.r.t. ``Z``."""
        s, activations = self._forward(Z)
        value, grad = self._head(s, evidence)
        for i in range(len(self.layers) - 1, -1, -1):
            grad = grad @ self.layers[i][0].T
            if i:
                grad *= _DERIVATIVES[self.hidden](activations[i])
        return value, grad

    def _head(self, s, ev):
        """Log-likelihood of the evidence and its gradient w.r.t. the output pre-activation."""
        n = s.shape[0]
        value = np.zeros(n)
        grad = np.zeros_like(s)
        if not self.is_classifier:
            f = s[:, 0] if self.head == "identity" else np.exp(s[:, 0])
            slope = 1.0 if self.head == "identity" else f  # df/ds
            for truth, scale in ((ev.target, ev.sigma), (ev.observed_output, ev.width)):
                if truth is not None:
                    residual = (truth - f) / scale
                    value -= 0.5 * residual**2
                    grad[:, 0] += residual / scale * slope
            return value, grad
        rows = np.arange(n)
        if self.head == "logistic":
            z = s[:, 0]
            p1 = expit(z)
            for positions in (ev.labels, ev.observed_labels):
                if positions is not None:
                    positive = positions == 1
                    value += log_expit(np.where(positive, z, -z))
                    grad[:, 0] += positive - p1
            if ev.observed_proba is not None:
                p = np.column_stack([1.0 - p1, p1])
                gap = ev.observed_proba - p
                value -= 0.5 * (gap * gap).sum(axis=1) / ev.width**2
                g = gap / ev.width**2  # d value / d p
                grad[:, 0] += (g[:, 1] - g[:, 0]) * p1 * (1.0 - p1)
            if ev.observed_logits is not None:  # centred log-ratios of (1 - p, p): ∓z/2
                d0 = -z / 2 - ev.observed_logits[:, 0]
                d1 = z / 2 - ev.observed_logits[:, 1]
                value -= 0.5 * (d0 * d0 + d1 * d1) / ev.width**2
                grad[:, 0] += (d0 - d1) / (2 * ev.width**2)
            return value, grad
        log_p = s - logsumexp(s, axis=1, keepdims=True)
        p = np.exp(log_p)
        for positions in (ev.labels, ev.observed_labels):
            if positions is not None:
                value += log_p[rows, positions]
                grad -= p
                grad[rows, positions] += 1.0
        if ev.observed_proba is not None:
            gap = ev.observed_proba - p
            value -= 0.5 * (gap * gap).sum(axis=1) / ev.width**2
            g = gap / ev.width**2
            grad += p * (g - (p * g).sum(axis=1, keepdims=True))
        if ev.observed_logits is not None:  # centred log-ratios are the centred logits
            gap = s - s.mean(axis=1, keepdims=True) - ev.observed_logits
            value -= 0.5 * (gap * gap).sum(axis=1) / ev.width**2
            grad -= gap / ev.width**2  # gap is centred: the centring's Jacobian keeps it
        return value, grad

    def grad_numeric(self, grad_Z):
        """Chain rule to the free numeric columns: (n, n_numeric)."""
        return grad_Z @ self.A.T

    def grad_categorical(self, grad_Z):
        """Chain rule to each free categorical column's category weights: list of (n, m_j)."""
        return [grad_Z @ D.T for D in self.D]


def model_gradient(model, X, wrt_columns, y=None, *, observed=None, noise_scale=1.0,
                   observed_width=None, observed_kernel="proba", log_prior=None):
    """The attacker's objective and its gradient w.r.t. numeric input columns, for a batch.

    Parameters
    ----------
    model : estimator
        A fitted differentiable model (see :class:`DifferentiableModel`).
    X : DataFrame or ndarray of shape (n, n_model_columns)
        Whole records, in the model's input format, at the point where to differentiate.
    wrt_columns : list
        Numeric columns to differentiate with respect to (names, or positions for arrays).
    y : array-like of shape (n,), default=None
        True labels (classifiers: objective ``log p_y(x)``) or outputs (regressors:
        ``-(y - f(x))² / 2σ²`` with σ = ``noise_scale``).
    observed : array-like, default=None
        The model's outputs the victim saw (see :func:`make_evidence`).
    noise_scale : float, default=1.0
        σ of a regressor's Gaussian error model.
    observed_width : float, default=None
        Kernel width for ``observed`` (default 0.01 for probabilities, ``noise_scale`` for a
        regressor's outputs).
    observed_kernel : {"proba", "logit"}, default="proba"
        Compare observed probabilities directly or by their centred log-ratios.
    log_prior : callable, default=None
        ``log_prior(values) -> (log_density (n,), gradient (n, p))`` of the ``wrt_columns``
        values (n, p); added to the objective.

    Returns
    -------
    objective : ndarray of shape (n,)
    gradient : ndarray of shape (n, len(wrt_columns))

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.attacks._gradient import model_gradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> model = LogisticRegression().fit(X, X[:, 0] + X[:, 1] > 0)
    >>> value, grad = model_gradient(model, X[:3], [0], y=[True, True, True])
    >>> bool(np.all(grad > 0))  # more of feature 0 makes the positive label more likely
    True
    """
    wrt = list(wrt_columns)
    columns = _model_columns(X)
    missing = [c for c in wrt if c not in columns]
    if missing:
        raise ValueError(f"wrt_columns {missing} are not columns of X ({columns[:20]}).")
    dm = DifferentiableModel(model, X, wrt)
    values = np.column_stack([_column(X, c).astype(float) for c in wrt])
    Z = dm.features(dm.encode(X), values)
    evidence = make_evidence(
        dm.is_classifier, getattr(dm, "classes_", None), y, observed, sigma=noise_scale,
        width=observed_width or (0.01 if dm.is_classifier else noise_scale),
        observed_kernel=observed_kernel,
    )
    value, grad_Z = dm.value_and_grad(Z, evidence)
    grad = dm.grad_numeric(grad_Z)
    if log_prior is not None:
        prior_value, prior_grad = log_prior(values)
        value = value + prior_value
        grad = grad + prior_grad
    return value, grad


def estimate_gradient(func, U, *, method="spsa", epsilon=1e-3, n_samples=8, random_state=None):
    """Black-box gradient estimates of ``func`` at points ``U``, with one batched call.

    Parameters
    ----------
    func : callable
        ``func(points)`` with ``points`` of shape (N, M, p) returns values of shape (N, M):
        row ``i`` of the points belongs to chain (record) ``i``.
    U : ndarray of shape (N, p)
        Where to estimate the gradients.
    method : {"finite_differences", "spsa"}
        Central finite differences (``2p`` evaluations per point), or simultaneous-perturbation
        stochastic approximation (Spall 1992): ``n_samples`` random ±1 directions ``Δ``, each
        giving ``(f(u + εΔ) - f(u - εΔ)) / 2ε · Δ``, averaged (``2 n_samples`` evaluations).
    epsilon : float
        Perturbation size, in the units of ``U``.
    n_samples : int
        SPSA directions per point.
    random_state : int, RandomState instance or None
        Seeds the SPSA directions.

    Returns
    -------
    gradient : ndarray of shape (N, p)
    n_evaluations : int
        Points evaluated (rows sent to the model).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._gradient import estimate_gradient
    >>> f = lambda P: -(P ** 2).sum(axis=-1)
    >>> grad, rows = estimate_gradient(f, np.array([[1.0, -2.0]]), method="finite_differences")
    >>> grad.round(6).tolist(), rows
    ([[-2.0, 4.0]], 4)
    """
    U = np.asarray(U, dtype=float)
    N, p = U.shape
    if method == "finite_differences":
        step = np.eye(p) * epsilon
        points = np.concatenate([U[:, None, :] + step, U[:, None, :] - step], axis=1)
        values = np.asarray(func(points), dtype=float)
        return (values[:, :p] - values[:, p:]) / (2.0 * epsilon), N * 2 * p
    if method != "spsa":
        raise ValueError(f"method must be 'finite_differences' or 'spsa'; got {method!r}.")
    rng = check_random_state(random_state)
    delta = rng.randint(0, 2, size=(N, n_samples, p)) * 2.0 - 1.0
    points = np.concatenate([U[:, None, :] + epsilon * delta, U[:, None, :] - epsilon * delta],
                            axis=1)
    values = np.asarray(func(points), dtype=float)
    slope = (values[:, :n_samples] - values[:, n_samples:]) / (2.0 * epsilon)
    return (slope[:, :, None] * delta).mean(axis=1), N * 2 * n_samples


# -- the attack -----------------------------------------------------------------------------------

class GradientInversion(BaseAttack):
    """Infer a numeric sensitive attribute by maximising its posterior with analytic gradients.

    A white-box attack: the attacker holds the model's parameters (a linear model, a logistic
    regression, an MLP, optionally behind affine scalers — see
    :class:`~tabinvert.attacks._gradient.DifferentiableModel`) and maximises over the hidden
    value ``s`` of each target

    ``log P(evidence | x_K, s) + log prior(s)``,

    the log-likelihood of what it observed (the true label's log-probability for classifiers;
    ``-(y - f(x))² / 2σ²`` around the true output for regressors, σ the model's RMSE on the
    auxiliary data, Fredrikson et al. 2014; a Gaussian kernel on observed outputs) plus a prior
    learned from the auxiliary data. Every record is scored on the candidate grid in one
    vectorised pass (``attack_proba``); the best grid value starts L-BFGS-B
    (``scipy.optimize``), run on all records at once (the objective is a sum of per-record
    terms), within the auxiliary data's range. ``attack`` returns the posterior mode (MAP);
    ``attack_proba`` the posterior on the grid. No model queries are made
    (``last_query_cost_`` is zero): the model's answers are computed from its parameters.
    {threat_model}
    Parameters
    ----------
    estimator : object
        The fitted target model; must be differentiable (else ``fit`` raises a TypeError).
    sensitive : str or int
        The numeric sensitive column: its label when ``X_aux`` is a DataFrame, its position
        for an array.
    prior : {{"gaussian", "imputation", "uniform"}}, default="gaussian"
        A Gaussian fitted to the auxiliary values; a Gaussian per record centred on an
        :class:`~tabinvert.attacks.ImputationBaseline`'s prediction from the known features
        (not the label, which enters through the likelihood), as wide as that learner's
        out-of-fold error on the auxiliary data: imputation and model combined; or flat within
        the auxiliary range.
    noise_scale : float, default=None
        σ of a regressor's Gaussian error model (default: its RMSE on ``y_aux``); with
        ``observed`` outputs, the kernel width (default 0.01 for probabilities, 1% of the spread
        of the model's outputs on the auxiliary data for regressors).
    max_iter : int, default=200
        L-BFGS-B iterations.
    candidates : "auto" or array-like, default="auto"
        The grid used by ``attack_proba`` and to start the optimiser ("auto": ``n_grid``
        quantiles of the auxiliary values).
    sensitive_type : {{"numeric", "auto"}}, default="numeric"
        The attribute must be numeric.
    n_grid : int, default=20
        Size of the automatic grid.
    max_rows_per_call, n_jobs : int
        Accepted for compatibility with the other attacks; unused (no queries are made).
    random_state : int, RandomState instance or None, default=None
        Unused (the attack is deterministic); kept for the common interface.

    Attributes
    ----------
    differentiable_ : DifferentiableModel
        The model's differentiable form.
    prior_mean_, prior_std_ : float
        The Gaussian prior's parameters (with ``prior="imputation"``, the auxiliary values'
        mean and spread, which only scale the optimisation).
    imputation_ : ImputationBaseline
        With ``prior="imputation"``: the learner of the per-record prior.
    bounds_ : tuple of float
        The auxiliary data's range; guesses stay inside it.
    sigma_ : float or None
        Regressors: the noise scale of the Gaussian error model.
    n_iter_ : int
        L-BFGS-B iterations used by the last ``attack``.
    last_query_cost_ : QueryCost
        Always zero.

    Examples
    --------
    A linear dose model (Fredrikson et al. 2014): the attacker knows the dose and the weight.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.attacks._gradient import GradientInversion
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({{"weight": rng.normal(70, 10, 600), "age": rng.uniform(20, 80, 600)}})
    >>> dose = 0.5 * X["weight"] + 2.0 * X["age"] + rng.normal(0, 1, 600)
    >>> model = LinearRegression().fit(X[:400], dose[:400])
    >>> attack = GradientInversion(model, "age").fit(X[400:], dose[400:])
    >>> error = (attack.attack(X[:400], dose[:400]) - X["age"][:400]).abs().mean()
    >>> bool(error < 1.0)  # ages spread over 60 years
    True
    """

    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "sensitive_type": [StrOptions({"auto", "numeric"})],
        "prior": [StrOptions({"gaussian", "imputation", "uniform"})],
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
    }

    def __init__(
        self,
        estimator,
        sensitive,
        *,
        prior="gaussian",
        noise_scale=None,
        max_iter=200,
        candidates="auto",
        sensitive_type="numeric",
        n_grid=20,
        max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.sensitive = sensitive
        self.prior = prior
        self.noise_scale = noise_scale
        self.max_iter = max_iter
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.max_rows_per_call = max_rows_per_call
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _get_response_method(self, model):
        return "predict_proba" if hasattr(model, "predict_proba") else "predict"

    def _check_model(self, model):
        super()._check_model(model)
        if find_query_budget(model) is not None:
            raise TypeError(
                "GradientInversion is a white-box attack: it computes the model's answers and "
                "their gradients from the model's parameters, which a metered API (QueryBudget) "
                "does not expose, and it sends no queries a budget could charge. Pass the model "
                "itself (budget.estimator) if you hold its parameters, or use a black-box attack "
                "(ConfidenceInversion, or ReconstructionAttack with gradient='finite_differences' "
                "or 'spsa', which charges every query to the budget)."
            )

    def _fit_attack(self, X_aux, y_aux):
        if self.sensitive_kind_ != "numeric":
            raise ValueError(
                f"GradientInversion infers a numeric attribute; {self.layout_.sensitive!r} was "
                "treated as categorical. Pass sensitive_type='numeric', or use "
                "ConfidenceInversion for categorical attributes."
            )
        records = self._model_records(X_aux)
        # Records with a missing or infinite value teach neither the prior nor σ, and the
        # model's parameters cannot be run on them (they would fail the affine-map check).
        complete = _complete_rows(records)
        if not complete.any():
            frame = pd.DataFrame(records)
            gaps = [c for c in frame.columns if not _complete_rows(frame[[c]]).all()]
            raise ValueError(
                "No auxiliary record of X_aux has every model column present and finite "
                f"(column(s) with missing or infinite values: {gaps[:10]}); GradientInversion "
                "runs the model's parameters on whole records. Impute or drop those values."
            )
        if not complete.all():
            records = records[complete]
            y_aux = None if y_aux is None else np.asarray(y_aux)[complete]
        try:
            self.differentiable_ = DifferentiableModel(
                self.estimator, records, [self.layout_.sensitive])
        except NotDifferentiableError as exc:
            raise NotDifferentiableError(
                f"GradientInversion needs a differentiable target model: {exc}"
            ) from exc
        values = _column(records, self.layout_.sensitive).astype(float)
        self.prior_mean_ = float(np.mean(values))
        self.prior_std_ = float(np.std(values)) or 1.0
        self.bounds_ = (float(np.min(values)), float(np.max(values)))
        if self.prior == "imputation":
            self.imputation_ = ImputationBaseline(
                self.layout_.sensitive, candidates=self.candidates_, sensitive_type="numeric",
                random_state=self.random_state,
            ).fit(records)
            # The prior's spread: the learner's out-of-fold error on the auxiliary records.
            features = attacker_features(self._known_of(records), self.layout_.known_columns, None)
            learner = clone(self.imputation_.learner_)
            if len(values) >= 10:
                with learner_threads(len(values)):
                    predicted = cross_val_predict(learner, features, values, cv=5)
                self.imputation_spread_ = float(np.sqrt(np.mean((values - predicted) ** 2)))
            else:
                self.imputation_spread_ = self.prior_std_
            self.imputation_spread_ = self.imputation_spread_ or self.prior_std_
        self.sigma_ = None
        dm = self.differentiable_
        if not dm.is_classifier:
            predicted = dm.predict(self._inputs(dm.encode(records), values))
            self.sigma_, self.output_spread_ = gaussian_error_scale(predicted, y_aux,
                                                                    self.noise_scale)

    def _model_records(self, X):
        if self.layout_.is_frame:
            return X[list(self.layout_.columns)]
        return np.asarray(X)

    def _inputs(self, Z_ref, values):
        return self.differentiable_.features(Z_ref, np.asarray(values, dtype=float)[:, None])

    def _evidence(self, y, observed):
        dm = self.differentiable_
        if dm.is_classifier:
            width = self.noise_scale or 0.01
        else:
            width = self.noise_scale or 0.01 * self.output_spread_
        return make_evidence(dm.is_classifier, getattr(dm, "classes_", None), y, observed,
                             sigma=self.sigma_, width=width)

    def _record_priors(self, known):
        """Each record's Gaussian prior (mean, std): arrays, or the auxiliary scalars."""
        if self.prior != "imputation":
            return self.prior_mean_, self.prior_std_
        features = attacker_features(known, self.layout_.known_columns, None)
        with learner_threads(len(features)):
            mean = np.asarray(self.imputation_.learner_.predict(features), dtype=float)
        return mean, np.full(len(mean), self.imputation_spread_)

    def _known_of(self, records):
        """The known columns of whole records, in the form the query engine uses."""
        return split_known(self.layout_, records, name="X_aux")[0]

    def _log_posterior(self, Z_ref, values, evidence, prior):
        """Log-posterior (n,) and its derivative (n,) at ``values`` (n,).

        ``prior`` is (mean, std), scalars or arrays aligned with ``values``."""
        dm = self.differentiable_
        value, grad_Z = dm.value_and_grad(self._inputs(Z_ref, values), evidence)
        grad = dm.grad_numeric(grad_Z)[:, 0]
        if self.prior != "uniform":
            mean, std = prior
            standard = (values - mean) / std
            value = value - 0.5 * standard**2
            grad = grad - standard / std
        return value, grad

    def _reference_inputs(self, known):
        n = len(next(iter(known.values()))) if isinstance(known, dict) else len(known)
        records = _complete(self.layout_, known, self.candidate_values_[:1], n)
        return self.differentiable_.encode(records)

    def _grid_log_posterior(self, Z_ref, evidence, prior):
        """Log-posterior (n, k) of every record at every grid value, in bounded blocks."""
        grid = np.asarray(self.candidates_, dtype=float)
        n, k = len(Z_ref), len(grid)
        out = np.empty((n, k))
        block = max(1, _ROWS_PER_BLOCK // k)
        for start in range(0, n, block):
            stop = min(start + block, n)
            rows = np.repeat(np.arange(start, stop), k)
            values = np.tile(grid, stop - start)
            mean, std = prior
            rows_prior = (mean if np.ndim(mean) == 0 else mean[rows],
                          std if np.ndim(std) == 0 else std[rows])
            value, _ = self._log_posterior(Z_ref[rows], values, evidence.take(rows), rows_prior)
            out[start:stop] = value.reshape(stop - start, k)
        return out

    def _candidate_scores(self, known, y, observed):
        evidence = self._evidence(y, observed)
        log_post = self._grid_log_posterior(self._reference_inputs(known), evidence,
                                            self._record_priors(known))
        self.last_query_cost_ = QueryCost()
        scores = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        return scores

    def attack(self, X, y=None, *, observed=None):
        """Infer each target's sensitive value: the posterior mode (MAP).

        Parameters
        ----------
        X : DataFrame or ndarray
            The targets' known features (the sensitive column, if present, is ignored).
        y : array-like of shape (n,), default=None
            True labels (classifiers) or outputs (regressors).
        observed : array-like, default=None
            The model's output for each target's real record, as the victim saw it.

        Returns
        -------
        Series of shape (n,)
            Float guesses inside the auxiliary range, indexed like ``X``.
        """
        known, index, y, observed = self._prepare(X, y, observed)
        evidence = self._evidence(y, observed)
        Z_ref = self._reference_inputs(known)
        prior = self._record_priors(known)
        grid = np.asarray(self.candidates_, dtype=float)
        start = grid[self._grid_log_posterior(Z_ref, evidence, prior).argmax(axis=1)]
        mean, std = self.prior_mean_, self.prior_std_

        def objective(u):  # standardised units condition the problem
            value, grad = self._log_posterior(Z_ref, mean + std * u, evidence, prior)
            return -value.sum(), -grad * std

        low, high = ((b - mean) / std for b in self.bounds_)
        result = optimize.minimize(
            objective, np.clip((start - mean) / std, low, high), jac=True, method="L-BFGS-B",
            bounds=[(low, high)] * len(start),
            options={"maxiter": self.max_iter, "ftol": 1e-13, "gtol": 1e-7},
        )
        self.n_iter_ = int(result.nit)
        self.last_query_cost_ = QueryCost()
        return pd.Series(mean + std * result.x, index=index, name=self.layout_.sensitive)


GradientInversion.__doc__ = GradientInversion.__doc__.format(threat_model=THREAT_MODEL_DOC)

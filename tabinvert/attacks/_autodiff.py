"""Backpropagation through a fitted model to some of its raw input columns.

:class:`DifferentiableModel` sees a linear regressor, a ``LogisticRegression`` or an MLP behind
affine scalers and one-hot encoded columns (what is supported:
:mod:`tabinvert.attacks._differentiability`) as a function of chosen raw input columns: the
model input is an affine map of the unknown numeric values plus a convex combination of the
unknown categories' encodings, then the network's layers and activations. It computes the
evidence's log-likelihood and its gradient for a whole batch of records at once (matrix
products; no loop over records); the affine map is derived from the model's own ``transform``
and the forward pass is checked against the model's own predictions, so an unsupported model is
refused rather than silently mis-differentiated. :func:`model_gradient` is its one-call form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.special import expit, logsumexp
from sklearn.utils import check_random_state

from ..exceptions import NotDifferentiableError
from ._differentiability import check_steps, final_layers, flatten_pipeline
from ._evidence import make_evidence, output_log_likelihood
from ._frames import column_labels, column_values, n_rows, take_rows, with_columns


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


def softmax(theta):
    """Row-wise softmax of logits ``theta`` (n, m): e.g. category weights of a relaxed column."""
    theta = theta - theta.max(axis=1, keepdims=True)
    np.exp(theta, out=theta)
    return theta / theta.sum(axis=1, keepdims=True)


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
        The fitted target model: a linear regressor (``LinearModel`` with ``coef_``), a
        ``LogisticRegression``, an ``MLPClassifier`` or ``MLPRegressor``, optionally in a
        ``Pipeline`` after affine scalers (a ``ColumnTransformer`` first). Anything else raises
        :class:`~tabinvert.exceptions.NotDifferentiableError` (a ``TypeError``).
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
    >>> from tabinvert.attacks import DifferentiableModel
    >>> from tabinvert.attacks._evidence import Evidence
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
        steps, final = flatten_pipeline(model)
        self.layers, self.hidden, self.head = final_layers(final)
        check_steps(steps, set(self.numeric), set(self.categorical))
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
        row = take_rows(X_template, [0])
        base = self._transform(with_columns(row, self._reference_values(1)))[0]
        p = len(self.numeric)
        if p:
            rows = take_rows(X_template, np.zeros(p, dtype=np.intp))
            values = self._reference_values(p)
            values.update(
                {c: (np.arange(p) == j).astype(float) for j, c in enumerate(self.numeric)}
            )
            self.A = self._transform(with_columns(rows, values)) - base
        else:
            self.A = np.zeros((0, base.shape[0]))
        self.D = []
        for column in self.categorical:
            m = len(self.categories[column])
            rows = take_rows(X_template, np.zeros(m, dtype=np.intp))
            values = self._reference_values(m)
            values[column] = self.categories[column]
            self.D.append(self._transform(with_columns(rows, values)) - base)
        self.n_inputs = base.shape[0]

    def _check(self, X_template, random_state):
        """Refuse preprocessing that is not affine, and forward passes that disagree."""
        rng = check_random_state(random_state)
        n = min(n_rows(X_template), 4)
        rows = take_rows(X_template, np.arange(n))
        x_num = rng.uniform(-2.0, 2.0, size=(n, len(self.numeric)))
        codes = [rng.randint(len(self.categories[c]), size=n) for c in self.categorical]
        values = {c: x_num[:, j] for j, c in enumerate(self.numeric)}
        values.update({c: self.categories[c][k] for c, k in zip(self.categorical, codes)})
        records = with_columns(rows, values)
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
        return self._transform(with_columns(X, self._reference_values(n_rows(X))))

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
        value, grad = output_log_likelihood(s, evidence, self.head)
        for i in range(len(self.layers) - 1, -1, -1):
            grad = grad @ self.layers[i][0].T
            if i:
                grad *= _DERIVATIVES[self.hidden](activations[i])
        return value, grad

    def grad_numeric(self, grad_Z):
        """Chain rule to the free numeric columns: (n, n_numeric)."""
        return grad_Z @ self.A.T

    def grad_categorical(self, grad_Z):
        """Chain rule to each free categorical column's category weights: list of (n, m_j)."""
        return [grad_Z @ D.T for D in self.D]


def model_gradient(
    model,
    X,
    wrt_columns,
    y=None,
    *,
    observed=None,
    noise_scale=1.0,
    observed_width=None,
    observed_kernel="proba",
    log_prior=None,
):
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
        The model's outputs the victim saw (see
        :func:`~tabinvert.attacks._evidence.make_evidence`).
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
    >>> from tabinvert.attacks import model_gradient
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(200, 2))
    >>> model = LogisticRegression().fit(X, X[:, 0] + X[:, 1] > 0)
    >>> value, grad = model_gradient(model, X[:3], [0], y=[True, True, True])
    >>> bool(np.all(grad > 0))  # more of feature 0 makes the positive label more likely
    True
    """
    wrt = list(wrt_columns)
    columns = column_labels(X)
    missing = [c for c in wrt if c not in columns]
    if missing:
        raise ValueError(f"wrt_columns {missing} are not columns of X ({columns[:20]}).")
    dm = DifferentiableModel(model, X, wrt)
    values = np.column_stack([column_values(X, c).astype(float) for c in wrt])
    Z = dm.features(dm.encode(X), values)
    evidence = make_evidence(
        dm.is_classifier,
        getattr(dm, "classes_", None),
        y,
        observed,
        sigma=noise_scale,
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

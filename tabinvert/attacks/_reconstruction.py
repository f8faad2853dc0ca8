"""Optimisation-based reconstruction: recover several unknown features of a record at once, or a
representative record of a class (Fredrikson et al. 2015's MI-Face, for tables)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from sklearn.pipeline import Pipeline
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._query import DEFAULT_MAX_ROWS_PER_CALL, QueryCost, query_records
from .._sklearn_compat import HasMethods, Interval, StrOptions, _fit_context
from .._validation import (
    _sorted_unique,
    check_candidates_known_to_model,
    check_label,
    check_model_fitted,
    check_same_kinds,
    check_unique_columns,
    make_layout,
    sensitive_kind,
)
from ..exceptions import NotDifferentiableError
from ._autodiff import DifferentiableModel, softmax
from .._wrappers import is_wrapped
from ._base import (
    AttackCapabilities,
    clone_keeping_model,
    gaussian_error_scale,
    model_is_classifier,
)
from ._column_resolution import aux_label, model_columns, resolve_unknown
from ._evidence import evidence_log_likelihood, make_evidence
from ._frames import as_column, column_values, take_rows, with_columns
from ._numerical_gradient import estimate_gradient

_ADAM = (0.9, 0.999, 1e-8)
_MIN_VARIANCE = 1e-3  # floor of the Gaussian prior's conditional variance (standardised units)


@dataclass
class _Chains:
    """The optimisation chains of a block of records, all climbed together.

    Chain ``i`` belongs to record ``rec[i]``, is restart ``restart[i]`` of it and holds the
    enumerated category combination ``combo[i]``; ``evidence`` and ``prior_means`` (the
    standardised prior mode of the numeric unknowns) are its record's. ``bounds`` are the
    standardised (low, high) of the numeric unknowns; ``Z_ref`` and ``combo_inputs`` the
    records' model inputs and each combination's offset to them (analytic gradients only).
    """

    records: object
    rec: np.ndarray
    combo: np.ndarray
    restart: np.ndarray
    evidence: object
    prior_means: np.ndarray
    bounds: object
    combo_log_prior: np.ndarray
    relax: bool
    Z_ref: np.ndarray | None = None
    combo_inputs: np.ndarray | None = None


def _adam_ascent(params, gradients, n_steps, step_size, project):
    """Adam ascent of ``params`` (arrays, updated in place), step size cosine-decayed from
    ``step_size`` to 1% of it; ``gradients()`` gives their gradients at the current point and
    ``project()`` is called after every step."""
    first_moment = [np.zeros_like(a) for a in params]
    second_moment = [np.zeros_like(a) for a in params]
    beta1, beta2, eps = _ADAM
    for t in range(n_steps):
        grads = gradients()
        rate = step_size * (0.01 + 0.99 * 0.5 * (1 + np.cos(np.pi * t / n_steps)))
        for a, g, m1, m2 in zip(params, grads, first_moment, second_moment):
            m1 *= beta1
            m1 += (1 - beta1) * g
            m2 *= beta2
            m2 += (1 - beta2) * g * g
            a += rate * (m1 / (1 - beta1 ** (t + 1))) / (np.sqrt(m2 / (1 - beta2 ** (t + 1))) + eps)
        project()


class ReconstructionAttack(BaseEstimator):
    """Recover several unknown features of target records, or a class-representative record, by
    iteratively raising the likelihood of what the attacker observed.

    ``mode="record"`` — for each target record (known features ``x_K``, and the true label or
    output ``y`` and/or the model's output the victim saw, ``observed``), find unknown features
    ``x_U`` maximising

    ``log P(evidence | x_K, x_U) + prior_weight · log prior(x_U | x_K)``.

    ``mode="class_representative"`` — Fredrikson et al. 2015's MI-Face, for tables: start from
    random or prior-drawn records and climb ``log P(target class | x) + prior_weight ·
    log prior(x)`` (``representative``). Comparing representatives with the training members
    and with non-members (``representative_distances``) shows whether the model memorised
    individuals rather than the class.

    Every (record × restart × categorical combination) is a chain, all moved by one
    vectorised Adam step per iteration; a prior learned from the auxiliary records keeps the
    unknowns plausible; gradients are analytic (white box) or estimated from queries (finite
    differences, SPSA; one model call per iteration). The user guide explains the optimiser, the
    prior, categorical unknowns and the query cost: :ref:`reconstruction-details`.

    Parameters
    ----------
    estimator : object
        The fitted target model: a classifier with ``predict_proba`` or a regressor. Held
        frozen (``clone`` keeps the very same model). A model served through a
        :class:`~tabinvert.defenses.QueryBudget` is attacked with black-box gradients (it
        exposes no parameters), every query charged to the budget.
    unknown : list of column labels, default=None
        The columns to recover (names for frame models, positions or names of ``X_aux``'s
        columns for array models). None, with ``mode="class_representative"`` only: every
        model column.
    mode : {"record", "class_representative"}, default="record"
        Recover target records' features (``reconstruct``) or class representatives
        (``representative``).
    gradient : {"auto", "analytic", "finite_differences", "spsa"}, default="auto"
        How the likelihood's gradient is obtained (see above).
    n_iter : int, default=100
        Ascent iterations.
    step_size : float, default=0.1
        Initial Adam step, in standard deviations of each feature (logits for relaxed
        categoricals).
    prior : {"gaussian", "independent"}, default="gaussian"
        The prior of the numeric unknowns (see above).
    prior_weight : float, default=1.0
        Weight of the log-prior (0: likelihood only, within the bounds).
    n_restarts : int, default=4
        Starting points per record.
    init : {"prior", "random"}, default="prior"
        Where restarts start (see above).
    noise_scale : float, default=None
        Regressors: σ of the Gaussian error model around ``y`` (default: the model's RMSE on
        ``y_aux``), and the kernel width for ``observed`` outputs (default 1% of the spread of
        the model's outputs on the auxiliary data). Classifiers: the kernel width on observed
        probabilities (default 0.01, in the units of ``observed_kernel``).
    observed_kernel : {"logit", "proba"}, default="logit"
        How observed class probabilities ``q`` are compared with the model's ``p(x)``: a
        Gaussian kernel on their centred log-ratios ``log p - mean(log p)`` (the centred
        logits: quadratic in the logits, so it keeps pulling where probabilities saturate, and
        is concave for linear models), or on the probabilities themselves (as
        :class:`~tabinvert.attacks.ConfidenceInversion` does).
    categorical_features : "auto" or list, default="auto"
        Which unknowns are categorical. "auto": non-numeric columns and numeric ones with at
        most 10 distinct auxiliary values.
    categorical_search : {"auto", "enumerate", "relax"}, default="auto"
        "auto": enumerate up to ``max_enumerate`` combinations, else relax (analytic only).
    max_enumerate : int, default=32
        Largest number of categorical combinations enumerated by "auto".
    bounds_quantiles : tuple of float, default=(0.0, 1.0)
        Auxiliary quantiles bounding each numeric unknown.
    epsilon : float, default=0.01
        Black-box perturbation size, in standard deviations.
    n_spsa : int, default=8
        SPSA directions per chain and iteration.
    max_rows_per_call : int, default=131072
        At most this many rows per model call.
    random_state : int, RandomState instance or None, default=None
        Seeds the restarts and the SPSA directions.

    Attributes
    ----------
    unknown_ : list
        The unknown columns (as the model's layout names them).
    numeric_, categorical_ : list
        The numeric and the categorical unknowns.
    categories_ : dict
        Each categorical unknown's categories.
    center_, spread_ : ndarray of shape (n_numeric,)
        Auxiliary mean and standard deviation of the numeric unknowns (the standardised units).
    bounds_ : ndarray of shape (2, n_numeric)
        Lower and upper bounds of the numeric unknowns.
    gradient_ : str
        The gradient method used ("analytic", "finite_differences" or "spsa").
    categorical_search_ : str or None
        "enumerate" or "relax" (None without categorical unknowns).
    differentiable_ : DifferentiableModel or None
        The model's differentiable form, for analytic gradients.
    sigma_ : float or None
        Regressors: the noise scale of the Gaussian error model.
    fit_query_cost_, last_query_cost_ : QueryCost
        Rows and calls spent in ``fit`` and in the last ``reconstruct``/``representative``.
    last_objective_ : ndarray
        The best objective reached for each record of the last call.

    Examples
    --------
    The label reveals the sum of the two unknowns and the prior ties them together.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.attacks import ReconstructionAttack
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"a": rng.normal(size=400), "b": rng.normal(size=400)})
    >>> X["c"] = X["b"] + 0.1 * rng.normal(size=400)
    >>> y = X["a"] + X["b"] + X["c"] + 0.01 * rng.normal(size=400)
    >>> model = LinearRegression().fit(X, y)
    >>> attack = ReconstructionAttack(model, ["b", "c"], random_state=0).fit(X[200:], y[200:])
    >>> guess = attack.reconstruct(X[:200][["a"]], y[:200])
    >>> bool((guess["b"] - X["b"][:200]).abs().mean() < 0.1)
    True
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "unknown": "no_validation",
        "mode": [StrOptions({"record", "class_representative"})],
        "gradient": [StrOptions({"auto", "analytic", "finite_differences", "spsa"})],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "step_size": [Interval(Real, 0, None, closed="neither")],
        "prior": [StrOptions({"gaussian", "independent"})],
        "prior_weight": [Interval(Real, 0, None, closed="left")],
        "n_restarts": [Interval(Integral, 1, None, closed="left")],
        "init": [StrOptions({"prior", "random"})],
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
        "observed_kernel": [StrOptions({"logit", "proba"})],
        "categorical_features": [StrOptions({"auto"}), "array-like"],
        "categorical_search": [StrOptions({"auto", "enumerate", "relax"})],
        "max_enumerate": [Interval(Integral, 1, None, closed="left")],
        "bounds_quantiles": "no_validation",
        "epsilon": [Interval(Real, 0, None, closed="neither")],
        "n_spsa": [Interval(Integral, 1, None, closed="left")],
        "max_rows_per_call": [Interval(Integral, 1, None, closed="left")],
        "random_state": ["random_state"],
    }

    def capabilities(self):
        """What this attack needs (see :class:`~tabinvert.attacks.AttackCapabilities`): the
        model's parameters for analytic gradients, its outputs for estimated ones."""
        method = getattr(self, "gradient_", self.gradient)
        if method == "auto":  # fit decides; before it, whether the final model has weights
            final = self.estimator[-1] if isinstance(self.estimator, Pipeline) else self.estimator
            readable = hasattr(final, "coef_") or hasattr(final, "coefs_")
            method = "analytic" if readable and not is_wrapped(self.estimator) else "estimated"
        access = "gradients" if method == "analytic" else "outputs"
        return AttackCapabilities(
            "reconstruction",
            access,
            calibrated=False,
            reference="Fredrikson et al., CCS 2015 (MI-Face)",
        )

    def __init__(
        self,
        estimator,
        unknown=None,
        *,
        mode="record",
        gradient="auto",
        n_iter=100,
        step_size=0.1,
        prior="gaussian",
        prior_weight=1.0,
        n_restarts=4,
        init="prior",
        noise_scale=None,
        observed_kernel="logit",
        categorical_features="auto",
        categorical_search="auto",
        max_enumerate=32,
        bounds_quantiles=(0.0, 1.0),
        epsilon=0.01,
        n_spsa=8,
        max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
        random_state=None,
    ):
        self.estimator = estimator
        self.unknown = unknown
        self.mode = mode
        self.gradient = gradient
        self.n_iter = n_iter
        self.step_size = step_size
        self.prior = prior
        self.prior_weight = prior_weight
        self.n_restarts = n_restarts
        self.init = init
        self.noise_scale = noise_scale
        self.observed_kernel = observed_kernel
        self.categorical_features = categorical_features
        self.categorical_search = categorical_search
        self.max_enumerate = max_enumerate
        self.bounds_quantiles = bounds_quantiles
        self.epsilon = epsilon
        self.n_spsa = n_spsa
        self.max_rows_per_call = max_rows_per_call
        self.random_state = random_state

    def __sklearn_clone__(self):
        return clone_keeping_model(self)

    # -- fitting --------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X_aux, y_aux=None):
        """Learn the prior, the bounds and the model's form from auxiliary records.

        Parameters
        ----------
        X_aux : DataFrame or ndarray of shape (n_aux, n_model_columns)
            Records from the target population with every model column, the unknown ones
            included.
        y_aux : array-like of shape (n_aux,), default=None
            Their labels or outputs (a regressor's noise scale is its RMSE on them).

        Returns
        -------
        self : object
        """
        model = self.estimator
        low_q, high_q = self._check_bounds_quantiles()
        check_model_fitted(model)
        check_unique_columns(X_aux, name="X_aux")
        records = self._fit_columns(model, X_aux)
        y_aux = check_label(y_aux, len(records), name="y_aux")  # classifiers' too, though unused
        categorical = self._categorical_unknowns(records)
        self.categorical_ = [c for c in self.unknown_ if c in categorical]
        self.numeric_ = [c for c in self.unknown_ if c not in categorical]
        self._fit_categories(model, X_aux, records)
        self._fit_numeric_prior(records, low_q, high_q)
        self._fit_model_answers(model)
        self._resolve_gradient(model, records)
        self._resolve_categorical_search()
        self.fit_query_cost_ = QueryCost()
        self._fit_noise_scale(records, y_aux)
        self.last_query_cost_ = QueryCost()
        return self

    def _fit_columns(self, model, X_aux):
        """Resolve the unknown columns and the model's layout; return the auxiliary records."""
        columns, is_frame = model_columns(model, X_aux)
        unknown = resolve_unknown(self.unknown, self.mode, columns, is_frame, X_aux)
        self.unknown_labels_ = list(self.unknown) if self.unknown is not None else list(unknown)
        if isinstance(self.unknown, (str, int, np.integer)):
            self.unknown_labels_ = [self.unknown]
        layout = make_layout(
            model, X_aux, aux_label(X_aux, unknown[0], is_frame), name="X_aux", what="unknown"
        )
        self._layout = layout  # what each auxiliary column holds, to check targets against
        records = X_aux[list(layout.columns)] if layout.is_frame else np.asarray(X_aux)
        self.columns_ = list(layout.columns)
        self.is_frame_ = layout.is_frame
        self.dtypes_ = dict(layout.dtypes) if layout.is_frame else None
        self.unknown_ = unknown
        self.known_ = [c for c in self.columns_ if c not in unknown]
        self.n_features_in_ = len(self.columns_)
        if layout.is_frame:
            self.feature_names_in_ = np.asarray(self.columns_, dtype=object)
        return records

    def _fit_categories(self, model, X_aux, records):
        """Each categorical unknown's categories and their add-one smoothed log-frequencies."""
        self.categories_, self.category_log_prior_ = {}, {}
        for column in self.categorical_:
            values = pd.Series(column_values(records, column)).dropna()
            cats = _sorted_unique(values)
            if len(cats) < 2:
                raise ValueError(
                    f"The unknown column {column!r} has a single value in the auxiliary data; "
                    "there is nothing to reconstruct."
                )
            check_candidates_known_to_model(
                model,
                make_layout(model, X_aux, aux_label(X_aux, column, self.is_frame_), what="unknown"),
                cats,
            )
            counts = np.array([(values == c).sum() for c in cats], dtype=float)
            self.categories_[column] = cats
            self.category_log_prior_[column] = np.log((counts + 1) / (counts.sum() + len(cats)))

    def _fit_model_answers(self, model):
        """What the model answers: classes and the method black-box queries call."""
        self.is_classifier_ = model_is_classifier(model)
        if self.is_classifier_:
            self.classes_model_ = np.asarray(model.classes_)
        self.response_method_ = "predict_proba" if self.is_classifier_ else "predict"
        if not hasattr(model, self.response_method_):
            raise TypeError(
                f"ReconstructionAttack needs a target model with {self.response_method_}(); "
                f"{type(model).__name__} has none."
            )

    def _fit_noise_scale(self, records, y_aux):
        """Regressors: σ of the Gaussian error model and the spread of the model's outputs."""
        self.sigma_ = None
        if self.is_classifier_:
            return
        if self.differentiable_ is not None:  # white-box: the model's answers from its weights
            predicted = self.differentiable_.predict(self._aux_inputs(records))
        else:
            predicted, cost = self._query_model(records)
            self.fit_query_cost_ = self.fit_query_cost_ + cost
        predicted = np.asarray(predicted, dtype=float).reshape(-1)
        self.sigma_, self.output_spread_ = gaussian_error_scale(predicted, y_aux, self.noise_scale)

    def _check_bounds_quantiles(self):
        try:
            low, high = (float(q) for q in self.bounds_quantiles)
        except (TypeError, ValueError):
            low = high = np.nan
        if not 0.0 <= low < high <= 1.0:
            raise ValueError(
                "bounds_quantiles must be two quantiles 0 <= low < high <= 1; got "
                f"{self.bounds_quantiles!r}."
            )
        return low, high

    def _categorical_unknowns(self, records):
        if isinstance(self.categorical_features, str):  # "auto"
            return {
                c
                for c in self.unknown_
                if sensitive_kind(column_values(records, c), "auto") == "categorical"
            }
        chosen = set()
        for column in self.categorical_features:
            matches = [
                u
                for u, label in zip(self.unknown_, self.unknown_labels_)
                if column == u or column == label
            ]
            if not matches:
                raise ValueError(
                    f"categorical_features names {column!r}, which is not an unknown column "
                    f"({self.unknown_labels_})."
                )
            chosen.update(matches)
        return chosen

    def _fit_numeric_prior(self, records, low_q, high_q):
        p = len(self.numeric_)
        if not p:
            self.center_ = self.spread_ = np.zeros(0)
            self.bounds_ = np.zeros((2, 0))
            self.init_pool_ = np.zeros((1, 0))
            self.prior_precision_ = np.zeros((0, 0))
            self.prior_regression_ = np.zeros((0, 0))
            self.prior_known_ = []
            return
        raw = np.column_stack([column_values(records, c).astype(float) for c in self.numeric_])
        infinite = np.isinf(raw).any(axis=0)
        if infinite.any():
            columns = [c for c, bad in zip(self.numeric_, infinite) if bad]
            raise ValueError(
                f"The unknown column(s) {columns} hold infinite values in X_aux; the prior and "
                "the bounds need finite values. Drop those records, or replace the values with "
                "NaN (X_aux.replace([np.inf, -np.inf], np.nan)) so they are left out."
            )
        known = []
        for column in self.known_:
            try:
                values = column_values(records, column).astype(float)
            except (TypeError, ValueError):
                continue
            if np.nanstd(values) > 0:
                known.append((column, values))
        if self.prior != "gaussian":
            known = []
        K = np.column_stack([v for _, v in known]) if known else np.zeros((len(raw), 0))
        ok = ~(np.isnan(raw).any(axis=1) | np.isnan(K).any(axis=1))
        raw, K = raw[ok], K[ok]
        if len(raw) < 2:
            raise ValueError("The auxiliary data needs at least two complete records.")
        self.center_ = raw.mean(axis=0)
        spread = raw.std(axis=0)
        iqr = np.subtract(*np.quantile(raw, [0.75, 0.25], axis=0)) / 1.349
        self.spread_ = np.where(spread > 0, spread, np.where(iqr > 0, iqr, 1.0))
        self.bounds_ = np.quantile(raw, [low_q, high_q], axis=0)
        U = (raw - self.center_) / self.spread_
        self.init_pool_ = U
        self.prior_known_ = [c for c, _ in known]
        if self.prior == "gaussian":
            self.prior_known_center_ = K.mean(axis=0)
            self.prior_known_spread_ = K.std(axis=0)
            Ks = (K - self.prior_known_center_) / self.prior_known_spread_
            joint = np.cov(np.column_stack([U, Ks]), rowvar=False).reshape(p + Ks.shape[1], -1)
            joint += 1e-6 * np.eye(len(joint))
            uu, uk, kk = joint[:p, :p], joint[:p, p:], joint[p:, p:]
            B = np.linalg.solve(kk, uk.T).T if Ks.shape[1] else np.zeros((p, 0))
            conditional = uu - B @ uk.T + _MIN_VARIANCE * np.eye(p)
            self.prior_regression_ = B
            self.prior_precision_ = np.linalg.inv(conditional)
        else:
            self.prior_regression_ = np.zeros((p, 0))
            self.prior_precision_ = np.eye(p)

    def _resolve_gradient(self, model, records):
        self.differentiable_ = None
        if self.gradient in ("auto", "analytic"):
            try:
                self.differentiable_ = DifferentiableModel(
                    model, records, self.unknown_, categories=self.categories_
                )
                self.gradient_ = "analytic"
                return
            except NotDifferentiableError as exc:
                if self.gradient == "analytic":
                    raise NotDifferentiableError(
                        f"gradient='analytic' needs a differentiable target model: {exc}"
                    ) from exc
        if self.gradient == "auto":
            self.gradient_ = "finite_differences" if len(self.numeric_) <= self.n_spsa else "spsa"
        else:
            self.gradient_ = self.gradient

    def _resolve_categorical_search(self):
        if not self.categorical_:
            self.categorical_search_ = None
            self._combos = np.zeros((1, 0), dtype=np.intp)
            return
        sizes = [len(self.categories_[c]) for c in self.categorical_]
        n_combos = int(np.prod(sizes))
        search = self.categorical_search
        if search == "auto":
            search = "enumerate" if n_combos <= self.max_enumerate else "relax"
        if search == "relax" and self.gradient_ != "analytic":
            raise ValueError(
                f"The categorical unknowns {self.categorical_} have {n_combos} combinations "
                f"(more than max_enumerate={self.max_enumerate}), and relaxing them needs "
                "analytic gradients; raise max_enumerate or reconstruct fewer columns at once."
            )
        self.categorical_search_ = search
        if search == "enumerate":
            self._combos = np.array(
                list(itertools.product(*[range(m) for m in sizes])), dtype=np.intp
            )
        else:
            self._combos = np.zeros((1, 0), dtype=np.intp)

    def _aux_inputs(self, records):
        dm = self.differentiable_
        x = (
            np.column_stack([column_values(records, c).astype(float) for c in self.numeric_])
            if self.numeric_
            else None
        )
        probs = []
        for column in self.categorical_:
            codes = pd.Index(self.categories_[column]).get_indexer(column_values(records, column))
            probs.append(np.eye(len(self.categories_[column]))[np.maximum(codes, 0)])
        return dm.features(dm.encode(records), x, probs)

    # -- records --------------------------------------------------------------------------------
    def _placeholder(self, column, n):
        if column in self.categories_:
            return np.repeat(self.categories_[column][:1], n)
        return np.full(n, self.center_[self.numeric_.index(column)])

    def _base_records(self, X, name="X_known"):
        """The model-format records of ``X``'s known features (unknowns at placeholders)."""
        check_unique_columns(X, name=name)
        if isinstance(X, pd.DataFrame) and self.is_frame_:
            if X.shape[0] == 0:
                raise ValueError(f"{name} is empty: pass at least one target record.")
            missing = [c for c in self.known_ if c not in X.columns]
            extra = [c for c in X.columns if c not in self.columns_]
            if missing or extra:
                problems = []
                if missing:
                    problems.append(f"{name} is missing the known column(s) {missing}")
                if extra:
                    problems.append(f"{name} has column(s) the model does not use: {extra}")
                raise ValueError("; ".join(problems) + ".")
            n = len(X)
            data = {
                c: (
                    X[c]
                    if c in self.known_
                    else pd.Series(
                        as_column(self._placeholder(c, n), self.dtypes_[c]), index=X.index
                    )
                )
                for c in self.columns_
            }
            records = pd.DataFrame(data, index=X.index)
            index = X.index
        else:
            if self.is_frame_:
                raise ValueError(
                    f"The model takes named columns; pass {name} as a DataFrame with the known "
                    f"columns {self.known_[:20]}."
                )
            index = X.index if isinstance(X, pd.DataFrame) else None
            array = np.asarray(X)
            if array.ndim != 2 or array.shape[0] == 0:
                raise ValueError(f"{name} must be a non-empty 2-D array; got {array.shape}.")
            n_all, n_known = len(self.columns_), len(self.known_)
            if array.shape[1] == n_known and n_known != n_all:
                full = np.empty(
                    (len(array), n_all),
                    dtype=np.result_type(array.dtype, float) if array.dtype.kind != "O" else object,
                )
                full[:, self.known_] = array
                array = full
            elif array.shape[1] != n_all:
                raise ValueError(
                    f"{name} has {array.shape[1]} columns; expected {n_all} (all model columns, "
                    f"the unknown ones ignored) or {n_known} (the known columns, in model order)."
                )
            else:
                array = array.astype(
                    np.result_type(array.dtype, float) if array.dtype.kind != "O" else object
                )
            for column in self.unknown_:
                array[:, column] = self._placeholder(column, len(array))
            records = array
            index = pd.RangeIndex(len(array)) if index is None else index
        known = [c for c in self.known_]
        # The caller's own columns (their dtypes), read the way the model reads them.
        check_same_kinds(
            self._layout,
            {c: X[c] if isinstance(records, pd.DataFrame) else records[:, c] for c in known},
            name=name,
        )
        if known:
            block = records[known] if isinstance(records, pd.DataFrame) else records[:, known]
            if pd.isna(pd.DataFrame(block)).to_numpy().any():
                raise ValueError(
                    f"The known features in {name} hold missing values; impute them or drop "
                    "those records first."
                )
        return records, index

    def _prior_means(self, records):
        """Per-record prior mode of the numeric unknowns, standardised (n, p)."""
        n = len(records)
        p = len(self.numeric_)
        if not p:
            return np.zeros((n, 0))
        if not self.prior_known_:
            return np.zeros((n, p))
        K = np.column_stack([column_values(records, c).astype(float) for c in self.prior_known_])
        Ks = (K - self.prior_known_center_) / self.prior_known_spread_
        return Ks @ self.prior_regression_.T

    def _query_model(self, records):
        """The model's answers to whole records, through the query engine.

        :func:`~tabinvert._query.query_records` sends at most ``max_rows_per_call`` rows per
        call, checks every answer (shape, finite values, probabilities) and counts the cost.
        """
        return query_records(
            self.estimator,
            records,
            response_method=self.response_method_,
            max_rows_per_call=self.max_rows_per_call,
        )

    # -- the optimiser --------------------------------------------------------------------------
    def _numeric_prior(self, U, mean):
        diff = U - mean
        grad = -diff @ self.prior_precision_
        return 0.5 * (grad * diff).sum(axis=1), grad

    def _solve_in_blocks(self, records, evidence, *, prior_start):
        """:meth:`_solve` over blocks of records, so memory does not grow with their number.

        A block holds at most ``max_rows_per_call`` rows of the points every chain evaluates
        per step (its restarts × category combinations × finite-difference or SPSA points);
        one random stream runs through the blocks, so a single block is exactly ``_solve``.
        """
        rng = check_random_state(self.random_state)
        p = len(self.numeric_)
        chains = (self.n_restarts if (p or self.categorical_search_ == "relax") else 1) * len(
            self._combos
        )
        points = {"analytic": 1, "finite_differences": 2 * p}.get(self.gradient_, 2 * self.n_spsa)
        # Only categorical unknowns: no gradient points, one evaluation per chain and step.
        points = max(points, 1)
        per_block = max(1, self.max_rows_per_call // (chains * points))
        n = len(records)
        results, objectives, cost = [], [], QueryCost()
        for start in range(0, n, per_block):
            rows = np.arange(start, min(start + per_block, n))
            block = (
                take_rows(records, slice(rows[0], rows[-1] + 1))
                if isinstance(records, pd.DataFrame)
                else records[rows]
            )
            results.append(
                self._solve(block, evidence.take(rows), prior_start=prior_start, rng=rng)
            )
            objectives.append(self.last_objective_)
            cost = cost + self.last_query_cost_
        self.last_objective_ = np.concatenate(objectives)
        self.last_query_cost_ = cost
        return (
            np.concatenate([x for x, _ in results]),
            np.concatenate([codes for _, codes in results]),
        )

    def _solve(self, records, evidence, *, prior_start, rng):
        """Run every chain; return the best numeric (raw) and categorical codes per record."""
        chains = self._chains(records, evidence)
        p = len(self.numeric_)
        n_iter = self.n_iter if (p or chains.relax) else 0
        U, thetas = self._starting_points(chains, prior_start, rng)
        self._cost = QueryCost()
        self._ascend(chains, U, thetas, n_iter, update_thetas=True, rng=rng)
        codes = [theta.argmax(axis=1) for theta in thetas]
        if chains.relax:
            # Round the relaxed categories, then refine the numeric unknowns with them fixed
            # (a convex mixture of categories can explain the evidence with wrong numbers).
            # Logits of ±1e6 make the softmax exactly one-hot.
            thetas = [np.eye(theta.shape[1])[c] * 1e6 for theta, c in zip(thetas, codes)]
            if p:
                self._ascend(chains, U, thetas, max(n_iter // 2, 1), update_thetas=False, rng=rng)
        # score every chain at its end point, keep the best
        value = self._chain_objective(chains, U, thetas)
        n = len(records)
        per_record = len(chains.rec) // n
        best = value.reshape(n, per_record).argmax(axis=1) + np.arange(n) * per_record
        self.last_objective_ = value[best]
        self.last_query_cost_ = self._cost
        x = self.center_ + self.spread_ * U[best]
        if chains.relax:
            cat_codes = np.column_stack([c[best] for c in codes])
        else:
            cat_codes = self._combos[chains.combo[best]]
        return x, cat_codes

    def _chains(self, records, evidence):
        """One chain per (record × restart × enumerated category combination)."""
        n, p = len(records), len(self.numeric_)
        relax = self.categorical_search_ == "relax"
        K = len(self._combos)
        R = self.n_restarts if (p or relax) else 1
        rec = np.repeat(np.arange(n), R * K)
        chains = _Chains(
            records=records,
            rec=rec,
            combo=np.tile(np.arange(K), n * R),
            restart=np.tile(np.repeat(np.arange(R), K), n),
            evidence=evidence.take(rec),
            prior_means=self._prior_means(records)[rec],
            bounds=((self.bounds_ - self.center_) / self.spread_) if p else (None, None),
            combo_log_prior=np.zeros(K),
            relax=relax,
        )
        if not relax:
            for j, column in enumerate(self.categorical_):
                chains.combo_log_prior += self.category_log_prior_[column][self._combos[:, j]]
        if self.gradient_ == "analytic":
            dm = self.differentiable_
            chains.Z_ref = dm.encode(records)
            chains.combo_inputs = np.zeros((K, dm.n_inputs))
            for j, D in enumerate(dm.D if not relax else []):
                chains.combo_inputs += D[self._combos[:, j]]
        return chains

    def _starting_points(self, chains, prior_start, rng):
        """Standardised numeric starts ``U`` (N, p) and, when relaxed, category logits."""
        N, p = len(chains.rec), len(self.numeric_)
        low, high = chains.bounds
        if self.init == "prior":
            U = self.init_pool_[rng.randint(len(self.init_pool_), size=N)]
            if prior_start and p:
                first = chains.restart == 0
                U[first] = chains.prior_means[first]
        else:
            U = rng.uniform(low, high, size=(N, p)) if p else np.zeros((N, 0))
        U = np.clip(U, low, high) if p else U
        thetas = []
        if chains.relax:
            for column in self.categorical_:
                m = len(self.categories_[column])
                if self.init == "prior":
                    theta = np.tile(self.category_log_prior_[column], (N, 1))
                    later = chains.restart > 0
                    theta[later] += rng.gumbel(size=(int(later.sum()), m))
                else:
                    theta = rng.normal(size=(N, m))
                thetas.append(theta)
        return U, thetas

    def _ascend(self, chains, U, thetas, n_steps, *, update_thetas, rng):
        """Cosine-decayed Adam ascent of every chain at once, projected on the bounds."""
        params = [U] + (thetas if update_thetas else [])

        def gradients():
            grad_U, grad_theta = self._chain_gradients(chains, U, thetas, rng)
            return [grad_U] + (grad_theta if update_thetas else [])

        def project():
            if len(self.numeric_):
                np.clip(U, *chains.bounds, out=U)

        _adam_ascent(params, gradients, n_steps, self.step_size, project)

    def _chain_gradients(self, chains, U, thetas, rng):
        """Gradients of the objective w.r.t. ``U`` and the category logits (analytic only)."""
        if self.gradient_ == "analytic":
            _, grad_U, grad_theta = self._analytic_objective(chains, U, thetas)
            return grad_U, grad_theta
        grad_U, _ = estimate_gradient(
            lambda points: self._queried_log_likelihood(chains, points),
            U,
            method=self.gradient_,
            epsilon=self.epsilon,
            n_samples=self.n_spsa,
            random_state=rng,
        )
        return grad_U + self.prior_weight * self._numeric_prior(U, chains.prior_means)[1], []

    def _chain_objective(self, chains, U, thetas):
        """Each chain's objective (N,) at its current point."""
        if self.gradient_ == "analytic":
            return self._analytic_objective(chains, U, thetas)[0]
        w = self.prior_weight
        value = (
            self._queried_log_likelihood(chains, U[:, None, :])[:, 0]
            + w * chains.combo_log_prior[chains.combo]
        )
        if len(self.numeric_):
            value = value + w * self._numeric_prior(U, chains.prior_means)[0]
        return value

    def _analytic_objective(self, chains, U, thetas):
        """The objective (N,) and its gradients w.r.t. ``U`` and ``thetas``, backpropagated."""
        dm, w, p = self.differentiable_, self.prior_weight, len(self.numeric_)
        x = self.center_ + self.spread_ * U
        probs = [softmax(t) for t in thetas]
        Z = (
            dm.features(chains.Z_ref[chains.rec], x if p else None, probs)
            + chains.combo_inputs[chains.combo]
        )
        value, grad_Z = dm.value_and_grad(Z, chains.evidence)
        grad_U = dm.grad_numeric(grad_Z) * self.spread_ if p else np.zeros((len(U), 0))
        grad_theta = []
        for prob, g, column in zip(probs, dm.grad_categorical(grad_Z), self.categorical_):
            g = g + w * self.category_log_prior_[column]
            value = value + w * prob @ self.category_log_prior_[column]
            grad_theta.append(prob * (g - (prob * g).sum(axis=1, keepdims=True)))
        value = value + w * chains.combo_log_prior[chains.combo]
        if p:
            prior_value, prior_grad = self._numeric_prior(U, chains.prior_means)
            value = value + w * prior_value
            grad_U = grad_U + w * prior_grad
        return value, grad_U, grad_theta

    def _queried_log_likelihood(self, chains, points):
        """Log-likelihood (N, M) of chains' points (N, M, p), from one batch of queries."""
        N, M = points.shape[:2]
        rows = np.repeat(np.arange(N), M)
        values = {
            c: self.center_[j] + self.spread_[j] * points[:, :, j].reshape(-1)
            for j, c in enumerate(self.numeric_)
        }
        codes = self._combos[chains.combo[rows]]
        for j, column in enumerate(self.categorical_):
            values[column] = self.categories_[column][codes[:, j]]
        batch = with_columns(take_rows(chains.records, chains.rec[rows]), values)
        outputs, cost = self._query_model(batch)
        self._cost = self._cost + cost
        return evidence_log_likelihood(
            outputs, chains.evidence.take(rows), self.is_classifier_
        ).reshape(N, M)

    def _frame(self, x, cat_codes, index):
        data = {}
        for column, label in zip(self.unknown_, self._labels()):
            if column in self.categories_:
                j = self.categorical_.index(column)
                data[label] = self.categories_[column][cat_codes[:, j]]
            else:
                data[label] = x[:, self.numeric_.index(column)]
        return pd.DataFrame(data, index=index)

    def _labels(self):
        return self.unknown_labels_

    def _evidence(self, y, observed, n):
        y = check_label(y, n)
        if observed is not None:
            observed = np.asarray(observed)
            if observed.shape[0] != n:
                raise ValueError(
                    f"observed has {observed.shape[0]} rows but there are {n} records."
                )
        if self.is_classifier_:
            width = self.noise_scale or 0.01
        else:
            width = self.noise_scale or 0.01 * self.output_spread_
        return make_evidence(
            self.is_classifier_,
            getattr(self, "classes_model_", None),
            y,
            observed,
            sigma=self.sigma_,
            width=width,
            observed_kernel=self.observed_kernel,
        )

    # -- the verbs ------------------------------------------------------------------------------
    def reconstruct(self, X_known, y=None, observed=None):
        """Recover the unknown features of each target record.

        Parameters
        ----------
        X_known : DataFrame or ndarray
            The targets' known features (unknown columns, if present, are ignored).
        y : array-like of shape (n,), default=None
            Their true labels (classifiers) or outputs (regressors).
        observed : array-like, default=None
            The model's outputs for their real records, as the victims saw them.

        Returns
        -------
        DataFrame of shape (n, n_unknown)
            The reconstructed unknown columns, indexed like ``X_known``.
        """
        check_is_fitted(self, "unknown_")
        if self.mode != "record":
            raise ValueError(
                "mode='class_representative': call representative(), not reconstruct()."
            )
        records, index = self._base_records(X_known)
        evidence = self._evidence(y, observed, len(records))
        x, cat_codes = self._solve_in_blocks(records, evidence, prior_start=True)
        return self._frame(x, cat_codes, index)

    def prior_reconstruction(self, X_known):
        """The prior's guess alone (no model): the reference a reconstruction must beat.

        Numeric unknowns: the prior's mode (the conditional mean under ``prior="gaussian"``,
        within the bounds); categorical unknowns: the most frequent auxiliary category.
        """
        check_is_fitted(self, "unknown_")
        records, index = self._base_records(X_known)
        means = self._prior_means(records)
        x = np.clip(self.center_ + self.spread_ * means, self.bounds_[0], self.bounds_[1])
        codes = (
            np.array(
                [[self.category_log_prior_[c].argmax() for c in self.categorical_]], dtype=np.intp
            )
            .reshape(1, -1)
            .repeat(len(records), axis=0)
        )
        return self._frame(x, codes, index)

    def score(self, X_true, y=None, observed=None):
        """Per-feature error of the reconstruction, normalised by the feature's spread.

        Parameters
        ----------
        X_true : DataFrame or ndarray
            Target records *with* their true unknown values (used only for scoring).
        y, observed : see :meth:`reconstruct`.

        Returns
        -------
        Series
            For each unknown column: numeric — mean absolute error divided by the auxiliary
            standard deviation; categorical — the error rate. Lower is better.
        """
        check_is_fitted(self, "unknown_")
        self._check_truth(X_true)  # before any query is spent
        guess = self.reconstruct(X_true, y, observed)
        return self._errors(guess, X_true)

    def _check_truth(self, X_true):
        """Refuse truth that is missing, or of another type than the auxiliary data's."""
        check_unique_columns(X_true, name="X_true")
        for column, label in zip(self.unknown_, self._labels()):
            if self.is_frame_ and isinstance(X_true, pd.DataFrame):
                if label not in X_true.columns:
                    raise ValueError(
                        f"X_true must hold the true values of the unknown column {label!r} to "
                        "score the reconstruction."
                    )
                values = X_true[label]
            else:
                array = np.asarray(X_true)
                if array.ndim != 2 or array.shape[1] != len(self.columns_):
                    raise ValueError(
                        f"X_true must hold all {len(self.columns_)} model columns, the unknown "
                        f"ones included, to score the reconstruction; got shape {array.shape}."
                    )
                values = array[:, column]
            if pd.isna(np.asarray(values, dtype=object)).any():
                raise ValueError(
                    f"The true values of the unknown column {label!r} in X_true are missing "
                    "for some records; drop those records before scoring."
                )
            check_same_kinds(self._layout, {column: values}, name="X_true")

    def _errors(self, guess, X_true):
        errors = {}
        for column, label in zip(self.unknown_, self._labels()):
            # Models fitted on arrays name columns by position, whatever X_true's labels are.
            truth = X_true[label].to_numpy() if self.is_frame_ else np.asarray(X_true)[:, column]
            if column in self.categories_:
                errors[label] = float(np.mean(guess[label].to_numpy() != truth))
            else:
                j = self.numeric_.index(column)
                errors[label] = float(
                    np.mean(np.abs(guess[label].to_numpy() - truth.astype(float))) / self.spread_[j]
                )
        return pd.Series(errors, name="normalised_error")

    def representative(self, target_class, n=1, X_known=None):
        """Records the model considers most typical of ``target_class`` (MI-Face for tables).

        Parameters
        ----------
        target_class : label or float
            A class of the model (classifiers), or a target output (regressors).
        n : int, default=1
            How many representatives (each from its own ``n_restarts`` random starts).
        X_known : DataFrame or ndarray, default=None
            Values of the columns that are not unknown, one row per representative (then ``n``
            is its number of rows). Needed unless every column is unknown.

        Returns
        -------
        DataFrame of shape (n, n_model_columns)
            Whole records in the model's columns.
        """
        check_is_fitted(self, "unknown_")
        if self.mode != "class_representative":
            raise ValueError("representative() needs mode='class_representative'.")
        if self.is_classifier_ and target_class not in list(self.classes_model_):
            raise ValueError(
                f"target_class={target_class!r} is not a class of the model "
                f"({list(self.classes_model_)[:10]})."
            )
        if X_known is None:
            if self.known_:
                raise ValueError(
                    f"The columns {self.known_[:10]} are not unknown: pass their values as "
                    "X_known (one row per representative)."
                )
            records = self._empty_records(n)
            index = pd.RangeIndex(n)
        else:
            records, index = self._base_records(X_known)
            n = len(records)
        if self.is_classifier_:
            position = list(self.classes_model_).index(target_class)
            labels = np.repeat(np.asarray(self.classes_model_)[position : position + 1], n)
        else:
            labels = np.full(n, float(target_class))
        evidence = self._evidence(labels, None, n)
        x, cat_codes = self._solve_in_blocks(records, evidence, prior_start=False)
        recovered = self._frame(x, cat_codes, index)
        if isinstance(records, pd.DataFrame):
            out = records.copy()
        else:
            out = pd.DataFrame(records, index=index)
        for column, label in zip(self.unknown_, self._labels()):
            out[column] = recovered[label].to_numpy()
        return out

    def _empty_records(self, n):
        """``n`` records with every (unknown) column at its placeholder."""
        values = {c: self._placeholder(c, n) for c in self.columns_}
        if self.is_frame_:
            return pd.DataFrame({c: as_column(values[c], self.dtypes_[c]) for c in self.columns_})
        textual = any(
            np.asarray(self.categories_[c]).dtype.kind in "OUS" for c in self.categorical_
        )
        dtype = object if textual else float
        return np.column_stack([np.asarray(values[c], dtype=dtype) for c in self.columns_])

    def representative_distances(self, representatives, members, nonmembers):
        """How near each representative is to the nearest training member and non-member.

        Distances use the unknown columns: numeric differences divided by the auxiliary
        standard deviation, plus 1 per differing categorical value (Euclidean). Pass the members
        and non-members of the target class: a representative nearer to members than to
        comparable non-members suggests the model memorised individual training records.

        Parameters
        ----------
        representatives : DataFrame
            Output of :meth:`representative`.
        members, nonmembers : DataFrame or ndarray
            Records (in the model's columns) that were, and were not, in the training data.

        Returns
        -------
        DataFrame
            Columns ``nearest_member``, ``nearest_nonmember`` and ``nearer`` ("member",
            "non-member" or "tie"); ``attrs["share_nearer_member"]`` is the share of
            representatives nearer to a member.
        """
        check_is_fitted(self, "unknown_")
        d_member = self._nearest(representatives, members)
        d_nonmember = self._nearest(representatives, nonmembers)
        nearer = np.where(
            d_member < d_nonmember, "member", np.where(d_member > d_nonmember, "non-member", "tie")
        )
        table = pd.DataFrame(
            {"nearest_member": d_member, "nearest_nonmember": d_nonmember, "nearer": nearer},
            index=representatives.index,
        )
        table.attrs["share_nearer_member"] = float(np.mean(nearer == "member"))
        return table

    def _nearest(self, representatives, others):
        def matrix(frame):
            cols = []
            for column, label in zip(self.unknown_, self._labels()):
                if isinstance(frame, pd.DataFrame):
                    key = column if column in frame.columns else label
                    cols.append(frame[key].to_numpy())
                else:
                    cols.append(np.asarray(frame)[:, column])
            return cols

        a, b = matrix(representatives), matrix(others)
        total = np.zeros((len(a[0]), len(b[0])))
        for column, ca, cb in zip(self.unknown_, a, b):
            if column in self.categories_:
                total += ca[:, None] != cb[None, :]
            else:
                j = self.numeric_.index(column)
                diff = (ca.astype(float)[:, None] - cb.astype(float)[None, :]) / self.spread_[j]
                total += diff * diff
        return np.sqrt(total.min(axis=1))

"""The white-box gradient attack: a numeric sensitive attribute by gradient MAP.

:class:`GradientInversion` holds the model's parameters, scores every target on a grid of
candidate values with the analytic log-likelihood of what it observed plus a prior, and refines
the best grid value with L-BFGS-B. The gradients come from
:class:`~tabinvert.attacks.DifferentiableModel` (:mod:`tabinvert.attacks._autodiff`), the
likelihoods from :mod:`tabinvert.attacks._evidence`. The names that lived here before the module
was split (``DifferentiableModel``, ``model_gradient``, ``estimate_gradient``, ``Evidence``…)
are still importable from it.
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy import optimize
from sklearn.base import clone
from sklearn.model_selection import cross_val_predict

from .._query import DEFAULT_MAX_ROWS_PER_CALL, QueryCost, _complete
from .._sklearn_compat import Interval, StrOptions
from .._validation import split_known
from .._wrappers import requires_shared_memory
from ..exceptions import NotDifferentiableError
from ._autodiff import DifferentiableModel, model_gradient
from ._base import THREAT_MODEL_DOC, AttackCapabilities, BaseAttack, gaussian_error_scale
from ._evidence import Evidence, evidence_log_likelihood, make_evidence
from ._frames import column_values, complete_rows
from ._imputation import fit_shared_imputer
from ._learners import attacker_features, learner_threads
from ._numerical_gradient import estimate_gradient

__all__ = [  # the attack, and the names that moved to other modules, for existing imports
    "DifferentiableModel",
    "Evidence",
    "GradientInversion",
    "NotDifferentiableError",
    "estimate_gradient",
    "evidence_log_likelihood",
    "make_evidence",
    "model_gradient",
]

_ROWS_PER_BLOCK = 65_536  # rows of the model input kept alive at once on the candidate grid


class GradientInversion(BaseAttack):
    """Infer a numeric sensitive attribute by maximising its posterior with analytic gradients.

    A white-box attack: the attacker holds the model's parameters (a linear model, a logistic
    regression, an MLP, optionally behind affine scalers — see
    :class:`~tabinvert.attacks.DifferentiableModel`) and maximises over the hidden
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
        A Gaussian fitted to the auxiliary values; a Gaussian per record centred on the
        imputation baseline's prediction (an :class:`~tabinvert.attacks.ImputationBaseline`
        fitted exactly as the baseline the attack is compared with: known features, and the
        label when ``y_aux`` is given), as wide as that learner's out-of-fold error on the
        auxiliary data: imputation and model combined; or flat within the auxiliary range.
        With the imputation prior, a record whose model answer does not move with the
        attribute gets the baseline's prediction itself.
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
        Seeds the imputation prior's learner (``prior="imputation"``); the attack itself is
        deterministic.

    Attributes
    ----------
    differentiable_ : DifferentiableModel
        The model's differentiable form.
    prior_mean_, prior_std_ : float
        The Gaussian prior's parameters (with ``prior="imputation"``, the auxiliary values'
        mean and spread, which only scale the optimisation).
    imputer_ : ImputationBaseline
        With ``prior="imputation"``: the imputation baseline that gives the per-record prior.
    last_flat_records_ : ndarray of bool
        Targets of the last ``attack`` whose likelihood was the same at every grid value.
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
    >>> from tabinvert.attacks import GradientInversion
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

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        return AttackCapabilities(
            "gradient MAP (white-box)", "gradients", reference="Fredrikson et al., CCS 2015"
        )

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
        if requires_shared_memory(model):  # a metered API (QueryBudget)
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
        y_aux_all = y_aux
        # Records with a missing or infinite value teach neither the prior nor σ, and the
        # model's parameters cannot be run on them (they would fail the affine-map check).
        complete = complete_rows(records)
        if not complete.any():
            frame = pd.DataFrame(records)
            gaps = [c for c in frame.columns if not complete_rows(frame[[c]]).all()]
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
                self.estimator, records, [self.layout_.sensitive]
            )
        except NotDifferentiableError as exc:
            raise NotDifferentiableError(
                f"GradientInversion needs a differentiable target model: {exc}"
            ) from exc
        values = column_values(records, self.layout_.sensitive).astype(float)
        self.prior_mean_ = float(np.mean(values))
        self.prior_std_ = float(np.std(values)) or 1.0
        self.bounds_ = (float(np.min(values)), float(np.max(values)))
        if self.prior == "imputation":
            # The imputation baseline itself (label included when the attacker has labels), so
            # that where the model's answer does not move with the attribute the guess is the
            # baseline's; the prior's spread is that learner's out-of-fold error.
            fit_shared_imputer(self, X_aux, y_aux_all)
            label = y_aux if self.imputer_.uses_label_ else None
            features = attacker_features(self._known_of(records), self.layout_.known_columns, label)
            learner = clone(self.imputer_.learner_)
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
            self.sigma_, self.output_spread_ = gaussian_error_scale(
                predicted, y_aux, self.noise_scale
            )

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
        return make_evidence(
            dm.is_classifier,
            getattr(dm, "classes_", None),
            y,
            observed,
            sigma=self.sigma_,
            width=width,
        )

    def _record_priors(self, known, y):
        """Each record's Gaussian prior (mean, std): arrays, or the auxiliary scalars."""
        if self.prior != "imputation":
            return self.prior_mean_, self.prior_std_
        if self.imputer_.uses_label_ and y is None:
            raise ValueError(
                "GradientInversion was fitted with labels (y_aux), so its imputation prior "
                "reads the targets' labels as the baseline does: pass y to attack()."
            )
        features = self.imputer_._features(known, y)
        with learner_threads(len(features)):
            mean = np.asarray(self.imputer_.learner_.predict(features), dtype=float)
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
        if prior is not None and self.prior != "uniform":
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
        """Log-posterior (n, k) of every record at every grid value, in bounded blocks; sets
        ``last_flat_records_`` (the records whose likelihood is the same at every value)."""
        grid = np.asarray(self.candidates_, dtype=float)
        n, k = len(Z_ref), len(grid)
        likelihood = np.empty((n, k))
        block = max(1, _ROWS_PER_BLOCK // k)
        for start in range(0, n, block):
            stop = min(start + block, n)
            rows = np.repeat(np.arange(start, stop), k)
            values = np.tile(grid, stop - start)
            value, _ = self._log_posterior(Z_ref[rows], values, evidence.take(rows), None)
            likelihood[start:stop] = value.reshape(stop - start, k)
        self.last_flat_records_ = np.ptp(likelihood, axis=1) == 0
        if self.prior == "uniform":
            return likelihood
        mean, std = (np.reshape(p, (-1, 1)) if np.ndim(p) else p for p in prior)
        return likelihood - 0.5 * ((grid[None, :] - mean) / std) ** 2

    def _candidate_scores(self, known, y, observed):
        evidence = self._evidence(y, observed)
        log_post = self._grid_log_posterior(
            self._reference_inputs(known), evidence, self._record_priors(known, y)
        )
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
        prior = self._record_priors(known, y)
        grid = np.asarray(self.candidates_, dtype=float)
        start = grid[self._grid_log_posterior(Z_ref, evidence, prior).argmax(axis=1)]
        mean, std = self.prior_mean_, self.prior_std_

        def objective(u):  # standardised units condition the problem
            value, grad = self._log_posterior(Z_ref, mean + std * u, evidence, prior)
            return -value.sum(), -grad * std

        low, high = ((b - mean) / std for b in self.bounds_)
        result = optimize.minimize(
            objective,
            np.clip((start - mean) / std, low, high),
            jac=True,
            method="L-BFGS-B",
            bounds=[(low, high)] * len(start),
            options={"maxiter": self.max_iter, "ftol": 1e-13, "gtol": 1e-7},
        )
        self.n_iter_ = int(result.nit)
        self.last_query_cost_ = QueryCost()
        guesses = mean + std * result.x
        flat = self.last_flat_records_
        if self.prior == "imputation" and flat.any():
            # The model says nothing about these records: the baseline's own prediction.
            guesses[flat] = prior[0][flat]
        return pd.Series(guesses, index=index, name=self.layout_.sensitive)


GradientInversion.__doc__ = GradientInversion.__doc__.format(threat_model=THREAT_MODEL_DOC)

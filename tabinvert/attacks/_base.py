"""What every attribute-inference attack shares: the threat model, fitting, and the verbs.

An attack is an estimator: ``fit`` learns what the attacker can learn from auxiliary records,
``attack`` infers the hidden sensitive value of target records, ``attack_proba`` gives a score
per candidate value, ``score`` says how well it did. ``predict``/``predict_proba`` are aliases.

Each attack implements one hook, ``_candidate_scores``, that turns what it learned and what it
observed into an ``(n_records, n_candidates)`` score matrix; the base class turns that into
guesses, frames and scores.
"""

from __future__ import annotations

from abc import ABCMeta, abstractmethod
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone, is_classifier
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import _fit_context, HasMethods, Interval, StrOptions
from .._query import (
    n_records,
    QueryCost,
    query_candidates,
    query_records,
)
from .._validation import (
    candidate_array,
    check_candidates_known_to_model,
    check_label,
    check_observed,
    columns_with_infinite,
    columns_with_missing,
    make_candidates,
    make_layout,
    sensitive_kind,
    split_known,
    true_sensitive,
)
from .._threat_models import WHITE_BOX_ACCESS
from ..exceptions import ModelQueryError, QueryRefused
from ..metrics import inference_scores

THREAT_MODEL_DOC = """
    Threat model. The attacker knows, for every target record, the non-sensitive features the
    model uses (always); optionally the record's true label ``y`` (e.g. the diagnosis, the
    decision); optionally the model's output for the real record as the victim saw it
    (``observed``, e.g. a score printed on a decision letter); and auxiliary records from the same
    population *with* the sensitive column (``fit``), from which it learns the candidate values
    and their prior. It never sees the targets' sensitive values: ``attack`` drops that column
    from ``X`` before doing anything.
"""


def argmax_random_ties(scores, random_state):
    """Row-wise arg-max, breaking exact ties uniformly at random (seeded).

    Always picking the first maximal column biases an attack toward the first candidate value
    (Mehnaz et al. 2022 break ties at random; see literature notes §8).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._base import argmax_random_ties
    >>> argmax_random_ties(np.array([[0.1, 0.9], [0.5, 0.5]]), random_state=0).tolist()
    [1, 1]
    >>> float(argmax_random_ties(np.full((1000, 2), 0.5), random_state=0).mean())  # about half
    0.513
    """
    scores = np.asarray(scores, dtype=float)
    is_max = scores >= scores.max(axis=1, keepdims=True) - 1e-12
    choice = is_max.argmax(axis=1)
    tied = np.flatnonzero(is_max.sum(axis=1) > 1)
    if tied.size:  # random keys only where there is a tie to break
        keys = check_random_state(random_state).random_sample((tied.size, scores.shape[1]))
        choice[tied] = np.where(is_max[tied], keys, -1.0).argmax(axis=1)
    return choice


def model_is_classifier(model):
    """Whether ``model`` answers with class labels (sklearn tags, or a ``classes_`` attribute)."""
    try:
        if is_classifier(model):
            return True
    except Exception:  # non-sklearn objects without tags
        pass
    return hasattr(model, "classes_") and hasattr(model, "predict_proba")


def gaussian_error_scale(predicted, y_aux, noise_scale):
    """σ of a regressor's Gaussian error model, and the spread of its outputs.

    σ is ``noise_scale`` if given, else the model's RMSE on the auxiliary labels (never 0:
    a perfect fit gets a millionth of the outputs' spread), else None (no labels: only observed
    outputs can be weighed).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._base import gaussian_error_scale
    >>> gaussian_error_scale(np.array([1.0, 3.0]), np.array([2.0, 3.0]), None)
    (0.7071067811865476, 1.0)
    """
    predicted = np.asarray(predicted, dtype=float).reshape(-1)
    spread = float(np.std(predicted)) or 1.0
    if noise_scale is not None:
        return float(noise_scale), spread
    if y_aux is None:
        return None, spread
    residual = np.asarray(y_aux, dtype=float).reshape(-1) - predicted
    return float(np.sqrt(np.mean(residual**2))) or 1e-6 * spread, spread


def clone_keeping_model(attack):
    """A copy of an attack's settings that shares its ``estimator`` (the fitted target model).

    Cloning an attack must never re-train, or need the training data of, the victim model.
    """
    params = attack.get_params(deep=False)
    return type(attack)(
        **{
            name: value if name == "estimator" else clone(value, safe=False)
            for name, value in params.items()
        }
    )


#: What an attacker must be able to reach, by :attr:`AttackCapabilities.access`.
ACCESS_LEVELS = {
    "none": "no access to the model (the imputation baseline)",
    "outputs": "the model's outputs through its API (probabilities, or a regressor's predictions)",
    "labels": "the model's predicted labels only",
    "model": "the fitted model itself (its file): trees and the training mass in their leaves",
    "gradients": "the fitted model's parameters, to compute gradients",
    "explanations": "the model's explanations (per-feature contributions) through its service",
}


@dataclass(frozen=True)
class AttackCapabilities:
    """What an attack is: the access it needs, how to read its scores, its name and source.

    Every attack declares these through its ``capabilities()`` method; evaluation, the
    assessment and the report read them instead of testing classes or names.

    Attributes
    ----------
    name : str
        A short display name for tables and reports ("CSMIA", "white-box tree", ...).
    access : str
        What the attacker must reach: a key of :data:`ACCESS_LEVELS` ("none", "outputs",
        "labels", "model", "gradients", "explanations").
    calibrated : bool
        Whether ``attack_proba`` is a posterior probability of each candidate value (False
        when the scores only rank the candidates, as CSMIA's do).
    reference : str
        The paper the attack follows.

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> info = ConfidenceInversion(None, "sex", method="csmia").capabilities()
    >>> info.name, info.access, info.calibrated, info.white_box
    ('CSMIA', 'outputs', False, False)
    """

    name: str
    access: str
    calibrated: bool = True
    reference: str = ""

    def __post_init__(self):
        if self.access not in ACCESS_LEVELS:
            raise ValueError(f"access={self.access!r} is not one of {sorted(ACCESS_LEVELS)}.")

    @property
    def white_box(self):
        """Whether the attack reads the model itself (an output defense cannot change that)."""
        return self.access in WHITE_BOX_ACCESS


def capabilities_of(attack):
    """An attack's :class:`AttackCapabilities`; an object that declares none is taken to
    query the model's outputs, under its class name.

    Examples
    --------
    >>> from tabinvert.attacks import LabelOnlyInversion
    >>> from tabinvert.attacks._base import capabilities_of
    >>> capabilities_of(LabelOnlyInversion(None, "sex")).access
    'labels'
    """
    declare = getattr(attack, "capabilities", None)
    if callable(declare):
        return declare()
    return AttackCapabilities(name=type(attack).__name__, access="outputs")


class BaseAttack(BaseEstimator, metaclass=ABCMeta):
    """Base class of model-querying attribute-inference attacks (not for direct use).

    The target model is held frozen: :func:`sklearn.base.clone` copies the attack's settings but
    keeps the very same fitted model, so an attack can be cloned, grid-searched and re-fitted
    without ever re-training (or needing the training data of) the victim.
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["predict"])],
        "sensitive": "no_validation",  # any column label, or a position
        "candidates": [StrOptions({"auto"}), "array-like"],
        "sensitive_type": [StrOptions({"auto", "categorical", "numeric"})],
        "n_grid": [Interval(Integral, 2, None, closed="left")],
        "max_rows_per_call": [Interval(Integral, 1, None, closed="left")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
    }

    #: Which model method the attack calls on completed records.
    _response_method = "predict_proba"

    def _get_response_method(self, model):
        return self._response_method

    def __sklearn_clone__(self):
        return clone_keeping_model(self)

    def capabilities(self):
        """What this attack needs and how to read its scores (see :class:`AttackCapabilities`).

        Returns
        -------
        AttackCapabilities
        """
        return AttackCapabilities(name=type(self).__name__, access="outputs")

    def _access_of_response(self):
        """ "outputs" or "labels": what the attack's model method reveals (before ``fit``, what
        it would call on the model it holds)."""
        method = getattr(self, "response_method_", None)
        if method is None:
            try:
                method = self._get_response_method(self.estimator)
            except Exception:  # no model yet, or one the attack would refuse at fit
                method = self._response_method
        if method == "predict" and model_is_classifier(self.estimator):
            return "labels"
        return "outputs"

    # -- fitting ------------------------------------------------------------------------------
    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X_aux, y_aux=None):
        """Learn what the attacker can learn from auxiliary records.

        Parameters
        ----------
        X_aux : DataFrame or ndarray of shape (n_aux, n_model_columns)
            Records from the target population, with the sensitive column, in the model's
            columns (names for models fitted on frames, positions otherwise).
        y_aux : array-like of shape (n_aux,), default=None
            Their true labels, if the attacker has them (needed by some likelihoods).

        Returns
        -------
        self : object
        """
        model = self.estimator
        self._check_model(model)
        layout = make_layout(model, X_aux, self.sensitive, name="X_aux")
        if isinstance(X_aux, pd.DataFrame) and layout.is_frame:
            aux_sensitive = X_aux[layout.sensitive].to_numpy()
        else:
            aux_sensitive = np.asarray(X_aux)[:, layout.sensitive_position]
        kind = sensitive_kind(aux_sensitive, self.sensitive_type)
        values, prior = make_candidates(
            aux_sensitive, kind, self.candidates, self.n_grid, layout.sensitive
        )
        check_candidates_known_to_model(model, layout, values)
        y_aux = check_label(y_aux, len(aux_sensitive), name="y_aux")

        self._set_sensitive_state(layout, kind, values, prior)
        self.is_classifier_ = model_is_classifier(model)
        self.response_method_ = self._get_response_method(model)
        self.fit_query_cost_ = QueryCost()
        self.__dict__.pop("imputer_", None)  # a re-fit with other settings may use none
        self._fit_attack(X_aux, y_aux)
        return self

    def _set_sensitive_state(self, layout, kind, values, prior):
        """Record what fitting learned about the columns and the sensitive attribute."""
        self.layout_ = layout
        self.sensitive_kind_ = kind
        self.candidates_ = values
        self.prior_ = prior
        self.candidate_values_ = candidate_array(layout, values)
        self.n_features_in_ = len(layout.columns)
        if layout.is_frame:
            self.feature_names_in_ = np.asarray(layout.columns, dtype=object)

    def _check_model(self, model):
        method = self._get_response_method(model)
        if not hasattr(model, method):
            raise TypeError(
                f"{type(self).__name__} needs a target model with {method}(); "
                f"{type(model).__name__} has none. Use LabelOnlyInversion for models that only "
                "return labels."
            )

    def _fit_attack(self, X_aux, y_aux):
        """Subclass hook: learn attack-specific state from the auxiliary data."""

    def _query_aux(self, X_aux, response_method):
        """Ask the model about the attacker's own auxiliary records (counted as fit cost)."""
        if self.layout_.is_frame:
            X = X_aux[list(self.layout_.columns)]
        else:
            X = np.asarray(X_aux)
        outputs, cost = query_records(
            self.estimator,
            X,
            response_method=response_method,
            max_rows_per_call=self.max_rows_per_call,
        )
        self.fit_query_cost_ = self.fit_query_cost_ + cost
        return outputs

    # -- querying -----------------------------------------------------------------------------
    def _query(self, known):
        """The model's answers for every (target × candidate) completion."""
        try:
            outputs, cost = query_candidates(
                self.estimator,
                self.layout_,
                known,
                self.candidate_values_,
                response_method=self.response_method_,
                max_rows_per_call=self.max_rows_per_call,
                n_jobs=self.n_jobs,
            )
        except ModelQueryError as exc:
            missing = columns_with_missing(self.layout_, known)
            if missing:
                described = ", ".join(f"{c!r} ({n} missing)" for c, n in missing.items())
                raise ValueError(
                    f"Known feature column(s) {described} hold NaN and the target model cannot "
                    f"take missing values ({exc.__cause__ or exc}). Impute them, or drop those "
                    "records, before attacking."
                ) from exc
            infinite = columns_with_infinite(self.layout_, known)
            if infinite:
                described = ", ".join(f"{c!r} ({n} infinite)" for c, n in infinite.items())
                raise ValueError(
                    f"Known feature column(s) {described} hold ±inf and the target model "
                    f"cannot take them ({exc.__cause__ or exc}). Drop those records, or "
                    "replace the values with NaN if the model takes missing values."
                ) from exc
            raise
        except QueryRefused as refusal:
            if refusal.records_total is None:  # not refused through the query engine
                raise
            self._report_refusal(refusal)
        self.last_query_cost_ = cost
        # A record whose answer is the same whatever its sensitive value tells the attacker
        # nothing: an attack holding an imputer falls back on it there (see ``_flat_fallback``).
        self.last_flat_records_ = (outputs == outputs[:, :1]).all(axis=(1, 2))
        return outputs

    def _report_refusal(self, refusal):
        """Say how far the attack got when the model refused further queries, then re-raise.

        The query engine attached the progress; rows count the rows this attack sent (a
        wrapper such as JointInversion's may send several real rows for each).
        """
        cost = refusal.answered_cost
        done, n = refusal.records_completed, refusal.records_total
        self.last_query_cost_ = cost
        k = len(self.candidate_values_)
        refusal.args = (
            f"{refusal.args[0]} {type(self).__name__} had queried {done:,} of {n:,} target "
            f"records ({cost.rows:,} of {n * k:,} rows) when the model refused further "
            "queries; attack fewer records at a time or raise the budget.",
        )
        raise refusal

    # -- the verbs ----------------------------------------------------------------------------
    def _prepare(self, X, y, observed):
        check_is_fitted(self, "candidates_")
        known, index = split_known(self.layout_, X)
        n = n_records(known)
        y = check_label(y, n)
        observed = check_observed(observed, n)
        return known, index, y, observed

    @abstractmethod
    def _candidate_scores(self, known, y, observed):
        """Return ``(scores, how)``: an (n, k) score matrix; rows need not be normalised."""

    def _decide(self, scores):
        """Turn per-candidate scores into one guess per record."""
        if self.sensitive_kind_ == "numeric":
            weights = scores / scores.sum(axis=1, keepdims=True)
            return weights @ self.candidates_.astype(float)
        return self.candidates_[argmax_random_ties(scores, self.random_state)]

    # -- the imputer an attack shares with its baseline ---------------------------------------
    def _imputer_scores(self, known, y):
        """The shared imputer's (n, k) candidate scores for the targets."""
        imputer = self.imputer_
        if imputer.uses_label_ and y is None:
            raise ValueError(
                f"{type(self).__name__} was fitted with labels (y_aux), so its imputation prior "
                "reads the targets' labels as the baseline does: pass y to attack()."
            )
        return imputer._candidate_scores(known, y if imputer.uses_label_ else None, None)

    def _flat_fallback(self, known, y, scores):
        """Scores, and guesses (or None), where records on which the model's answer did not
        depend on the sensitive value take the shared imputer's scores and decision."""
        flat = getattr(self, "last_flat_records_", None)
        if getattr(self, "imputer_", None) is None or flat is None or not flat.any():
            return scores, None
        if self.sensitive_kind_ != "categorical":
            return scores, None  # a numeric attack with an imputer decides in its own attack()
        imputed = self._imputer_scores(known, y)
        scores = np.array(scores, dtype=float, copy=True)
        scores[flat] = imputed[flat]
        guesses = self._decide(scores)
        # The imputer's own tie-breaking, so that a record the model says nothing about gets
        # exactly the baseline's guess.
        guesses[flat] = self.imputer_._decide(imputed[flat])
        return scores, guesses

    def attack_proba(self, X, y=None, *, observed=None):
        """Score every candidate value of the sensitive attribute for each target record.

        Parameters
        ----------
        X : DataFrame or ndarray
            The targets' known features (the sensitive column, if present, is ignored).
        y : array-like of shape (n,), default=None
            The targets' true labels, if the threat model gives them to the attacker.
        observed : array-like, default=None
            The model's output for each target's real record, as the victim saw it.

        Returns
        -------
        DataFrame of shape (n, n_candidates)
            One column per candidate value; rows sum to 1. Indexed like ``X``.
        """
        known, index, y, observed = self._prepare(X, y, observed)
        self.last_flat_records_ = None
        scores, _ = self._flat_fallback(known, y, self._candidate_scores(known, y, observed))
        scores = scores / scores.sum(axis=1, keepdims=True)
        return pd.DataFrame(scores, index=index, columns=list(self.candidates_))

    def attack(self, X, y=None, *, observed=None):
        """Infer the hidden sensitive value of each target record.

        Parameters
        ----------
        X : DataFrame or ndarray
            The targets' known features (the sensitive column, if present, is ignored).
        y : array-like of shape (n,), default=None
            The targets' true labels, if the threat model gives them to the attacker.
        observed : array-like, default=None
            The model's output for each target's real record, as the victim saw it.

        Returns
        -------
        Series of shape (n,)
            The inferred values, indexed like ``X`` and named after the sensitive column.
        """
        known, index, y, observed = self._prepare(X, y, observed)
        self.last_flat_records_ = None
        scores, guesses = self._flat_fallback(known, y, self._candidate_scores(known, y, observed))
        if guesses is None:
            guesses = self._decide(scores)
        return pd.Series(guesses, index=index, name=self.layout_.sensitive)

    def _attack_with_scores(self, X, y=None):
        """``attack`` and ``attack_proba`` from one scoring pass: (guesses, (n, k) scores)."""
        known, index, y, observed = self._prepare(X, y, None)
        self.last_flat_records_ = None
        scores, guesses = self._flat_fallback(known, y, self._candidate_scores(known, y, observed))
        if guesses is None:
            guesses = self._decide(scores)
        return np.asarray(guesses), scores / scores.sum(axis=1, keepdims=True)

    def predict(self, X, y=None, *, observed=None):
        """Alias of :meth:`attack`, so sklearn tooling works."""
        return self.attack(X, y, observed=observed)

    def predict_proba(self, X, y=None, *, observed=None):
        """Alias of :meth:`attack_proba`, as an array."""
        return self.attack_proba(X, y, observed=observed).to_numpy()

    def score(self, X, y=None, *, observed=None, scoring=None):
        """How well the attack infers the sensitive values held in ``X``.

        Parameters
        ----------
        X : DataFrame or ndarray
            Target records *with* their true sensitive values (used only for scoring).
        y, observed : see :meth:`attack`.
        scoring : str, default=None
            A key of :func:`tabinvert.metrics.inference_scores` (e.g. ``"accuracy"``, ``"mcc"``,
            ``"roc_auc"`` from :meth:`attack_proba`, ``"mae"``), or ``"neg_mae"``/``"neg_rmse"``.
            Default: ``"accuracy"`` for categorical
            sensitive attributes, ``"neg_mae"`` for numeric ones (higher is better).

        Returns
        -------
        float
        """
        check_is_fitted(self, "candidates_")
        truth = true_sensitive(self.layout_, X)
        if scoring == "roc_auc":
            proba = self.attack_proba(X, y, observed=observed)
            scores = inference_scores(
                np.asarray(truth),
                proba.idxmax(axis=1).to_numpy(),
                y_score=proba,
                kind=self.sensitive_kind_,
            )
            return float(scores["roc_auc"])
        return score_guesses(
            truth, self.attack(X, y, observed=observed), self.sensitive_kind_, scoring
        )


def score_guesses(truth, guesses, kind, scoring=None):
    """Score guesses of a sensitive attribute (shared by every attack's ``score``)."""
    if scoring is None:
        scoring = "accuracy" if kind == "categorical" else "neg_mae"
    sign = 1.0
    if scoring.startswith("neg_"):
        sign, scoring = -1.0, scoring[4:]
    scores = inference_scores(np.asarray(truth), np.asarray(guesses), kind=kind)
    if scoring not in scores:
        raise ValueError(
            f"scoring={scoring!r} is not available for a {kind} attribute; choose from "
            f"{sorted(scores)}."
        )
    return sign * float(scores[scoring])


COMMON_PARAMS_DOC = """    candidates : "auto" or array-like, default="auto"
        The values tried for the sensitive attribute. "auto": every value seen in the auxiliary
        data (categorical), or ``n_grid`` quantiles of it (numeric).
    sensitive_type : {"auto", "categorical", "numeric"}, default="auto"
        "auto" treats numeric columns with more than 10 distinct auxiliary values as numeric.
    n_grid : int, default=20
        Size of the candidate grid for a numeric sensitive attribute.
    max_rows_per_call : int, default=131072
        Upper bound on the completed rows sent to the model in one call (bounds memory).
    n_jobs : int, default=None
        Parallel model calls through joblib; results are identical for any value.
    random_state : int, RandomState instance or None, default=None
        Seeds tie-breaking and any learner the attack trains.

"""

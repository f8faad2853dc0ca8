"""Attribute inference from a model's explanations: matching, learned, explanations only."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import HasMethods, Interval, StrOptions
from .._query import DEFAULT_MAX_ROWS_PER_CALL, QueryCost, n_records, query_records
from .._validation import check_label, split_known, true_sensitive
from ..metrics import inference_scores
from ._base import (
    COMMON_PARAMS_DOC,
    THREAT_MODEL_DOC,
    AttackCapabilities,
    BaseAttack,
    score_guesses,
)
from ._imputation import (
    _MAX_CV_ROWS,
    cross_validated_choice,
    fit_shared_imputer,
    model_columns_of,
)
from ._learned import _ImputationColumns, usable_aux_records
from ._learners import attacker_features, learner_threads, make_learner

_TINY = 1e-12
#: Two explanations closer than this (relative to the observed one's largest entry, at least
#: 1) are the same answer: float noise between two computations (a sum taken in another order
#: in another batch), not evidence. TreeSHAP values of XGBoost are float32 (about 1e-7).
_SAME_EXPLANATION = 1e-5

_NAMES = {
    "match": "explanation match",
    "learned": "explanation learned",
    "explanation_only": "explanation only",
}
_REFERENCES = {
    "match": "Fredrikson et al., CCS 2015 (candidate enumeration), on explanations",
    "learned": "Duddu & Boutet, CIKM 2022",
    "explanation_only": "Luo, Jiang & Xiao, CCS 2022",
}


class ExplanationInversion(BaseAttack):
    """Infer a sensitive attribute from the explanations a model's service returns.

    An explanation service answers, for a record, one contribution per input column of the
    model (:mod:`tabinvert.explain`). The sensitive column's own contribution, and the other
    columns' through interactions, move with the sensitive value: the attacker who saw a
    victim's explanation (``observed_explanation``, e.g. the reason codes printed on a credit
    decision, or the SHAP chart a patient portal shows) can read the value back.

    ``method="match"`` — the attacker can query the explanation service. For each target it
    completes the known features with each candidate value of the sensitive attribute,
    explains all ``n × k`` completions in one batched call (the query engine's), and picks
    the candidate whose explanation is nearest to the observed one (squared distance over the
    entries the victim saw; NaN entries of ``observed_explanation`` are left out). Exact
    explainers (TreeSHAP, linear contributions) reproduce the victim's explanation exactly
    for the true value, so the match is exact wherever another value does not give the very
    same explanation; candidates tied with the nearest are weighed by the imputation prior
    (:class:`ImputationBaseline`, fitted as the baseline is). Where every candidate gives the
    same explanation (the explanation does not depend on the value) the guess is the
    baseline's.

    ``method="learned"`` — Duddu & Boutet (CIKM 2022): an attack classifier
    (``attack_model``) is trained on auxiliary records' known features, their explanations
    (one query per auxiliary record, at ``fit``) and, when ``y_aux`` is given, their labels, to
    predict the sensitive value. No query at attack time: the target's own explanation is the
    input.

    ``method="explanation_only"`` — Luo, Jiang & Xiao (CCS 2022)'s setting: the attacker sees
    the explanation vector and nothing else (no features, no label), and an attack classifier
    trained on auxiliary records' explanations maps it to the sensitive value. Simplified to
    the tabular attribute case: Luo et al. reconstruct every private feature (a regression
    per feature, and a second adversary without auxiliary data that exploits the local
    linearity of Shapley values); here one categorical (or gridded numeric) sensitive
    attribute is predicted by a classifier.
    {threat_model}
    Here the attacker observes, instead of (or besides) a model output, each target's
    explanation as the service returned it (``observed_explanation``); "match" also queries
    the explanation service, ``k`` rows per target, and "learned" / "explanation_only" query it
    on their auxiliary records at ``fit``. The explainer is held as is (``clone`` keeps it):
    the attack never refits the model or the explainer.

    Parameters
    ----------
    explainer : explainer
        The explanation service: an object with ``explain(X)`` returning ``(n, n_features)``
        contributions (a :mod:`tabinvert.explain` explainer, defended or not), fitted.
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    method : {{"match", "learned", "explanation_only"}}, default="match"
        The attack (see above).
    attack_model : classifier, default=None
        "learned" and "explanation_only": the attack classifier, cloned; any scikit-learn
        classifier with ``predict_proba``. Default: histogram gradient boosting (text columns
        handled natively).
    noise_scale : float, default=None
        "match": the standard deviation of noise on the observed explanations (a
        :class:`~tabinvert.explain.NoisyContributions` defense's ``scale``): candidates are
        then weighed by a Gaussian kernel on the distance, times the prior. Default: the
        observed explanation is taken as exact; the nearest candidates win outright.
    fallback : {{"cv", "never"}}, default="cv"
        "learned" and "explanation_only", categorical attributes: compare by 5-fold
        cross-validated accuracy on the auxiliary records (at most 50,000) the attack
        classifier with the imputation attacker's learner (known features and label only;
        "learned") and with the marginal, and keep the best (the attack classifier wins
        ties), so that an attack model overfitting a small auxiliary set does not understate
        the leak. "never": always the attack classifier.
    victim_explanations : {{"given", "served"}}, default="given"
        Where the victims' explanations come from when ``observed_explanation`` is not
        passed: "given" refuses (pass what they were shown); "served" explains each target's
        own complete record with ``explainer`` (:meth:`served_explanation`), the targets then
        holding their true sensitive values, as in an evaluation or an assessment.
    {common}
    Attributes
    ----------
    candidates_ : ndarray
        Candidate values of the sensitive attribute.
    prior_ : ndarray
        Their frequency in the auxiliary data (add-one smoothed).
    sensitive_kind_ : str
        "categorical" or "numeric".
    imputer_ : ImputationBaseline
        "match" and "learned", categorical attributes: the imputation baseline (the prior
        that breaks ties, and the guess where the explanation says nothing).
    attack_model_ : estimator
        "learned" and "explanation_only": the fitted attack classifier (or what the
        cross-validated comparison preferred to it).
    selection_ : dict
        "learned" and "explanation_only": how ``attack_model_`` was chosen, with the
        cross-validated accuracies (None without a comparison).
    explanation_columns_ : list
        The explanation's columns, in the order ``observed_explanation`` is read.
    fit_query_cost_, last_query_cost_ : QueryCost
        Rows and calls sent to the explanation service in ``fit`` and in the last ``attack``.
    last_flat_records_ : ndarray of bool
        "match": targets of the last ``attack`` whose explanation was the same for every
        candidate value (the explanation told the attacker nothing about them).

    See Also
    --------
    ConfidenceInversion : The same candidate enumeration on the model's probabilities.
    ImputationBaseline : The same auxiliary data and labels, no model access.

    References
    ----------
    .. [1] V. Duddu and A. Boutet, "Inferring Sensitive Attributes from Model Explanations",
       CIKM 2022.
    .. [2] X. Luo, Y. Jiang and X. Xiao, "Feature Inference Attack on Shapley Values",
       ACM CCS 2022.

    Examples
    --------
    A logistic regression that weighs the sensitive column: the victim's own explanation
    gives its value away.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.attacks import ExplanationInversion
    >>> from tabinvert.explain import LinearContributions
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({{"income": rng.normal(size=400), "sex": rng.integers(0, 2, 400)}})
    >>> y = (X["income"] + X["sex"] + rng.normal(size=400) > 0.5).astype(int)
    >>> model = LogisticRegression().fit(X[:200], y[:200])
    >>> explainer = LinearContributions(model).fit(X[:200])
    >>> attack = ExplanationInversion(explainer, "sex", random_state=0).fit(X[200:300])
    >>> seen = explainer.explain(X[:200])  # what the victims were shown
    >>> guesses = attack.attack(X[:200], observed_explanation=seen)
    >>> float((guesses == X["sex"][:200]).mean())
    1.0
    """

    _parameter_constraints: dict = {
        **{k: v for k, v in BaseAttack._parameter_constraints.items() if k != "estimator"},
        "explainer": [HasMethods(["explain"])],
        "method": [StrOptions({"match", "learned", "explanation_only"})],
        "attack_model": [HasMethods(["fit", "predict_proba"]), None],
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
        "fallback": [StrOptions({"cv", "never"})],
        "victim_explanations": [StrOptions({"given", "served"})],
    }

    _response_method = "explain"

    def __init__(
        self,
        explainer,
        sensitive,
        *,
        method="match",
        attack_model=None,
        noise_scale=None,
        fallback="cv",
        victim_explanations="given",
        candidates="auto",
        sensitive_type="auto",
        n_grid=20,
        max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
        n_jobs=None,
        random_state=None,
    ):
        self.explainer = explainer
        self.sensitive = sensitive
        self.method = method
        self.attack_model = attack_model
        self.noise_scale = noise_scale
        self.fallback = fallback
        self.victim_explanations = victim_explanations
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.max_rows_per_call = max_rows_per_call
        self.n_jobs = n_jobs
        self.random_state = random_state

    @property
    def estimator(self):
        """The explanation service the attack queries (``explainer``): what the shared attack
        machinery calls every attack's target."""
        return self.explainer

    def __sklearn_clone__(self):
        # The explainer is the deployed service (and may hold a fitted reference): kept as is.
        params = self.get_params(deep=False)
        return type(self)(
            **{
                name: value if name == "explainer" else clone(value, safe=False)
                for name, value in params.items()
            }
        )

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        return AttackCapabilities(
            _NAMES.get(self.method, str(self.method)),
            "explanations",
            # Matching's scores rank by distance and prior; the learned attacks' are the
            # attack classifier's probabilities.
            calibrated=self.method != "match" or self.noise_scale is not None,
            reference=_REFERENCES.get(self.method, ""),
        )

    def _get_response_method(self, model):
        return "explain"

    def _check_model(self, model):
        if not callable(getattr(model, "explain", None)):
            raise TypeError(
                f"ExplanationInversion queries an explanation service with explain(X); "
                f"{type(model).__name__} has none. Wrap the model in an explainer from "
                "tabinvert.explain (TreeContributions, LinearContributions, ShapExplainer)."
            )

    # -- fitting ------------------------------------------------------------------------------
    def _fit_attack(self, X_aux, y_aux):
        self.explanation_columns_ = list(np.asarray(self.explainer.feature_names_out_))
        self.uses_label_ = y_aux is not None and self.method != "explanation_only"
        if self.sensitive_kind_ == "categorical" and self.method != "explanation_only":
            fit_shared_imputer(self, X_aux, y_aux if self.uses_label_ else None)
        if self.method == "match":
            return
        X_used, y_used, target = self._usable_aux_records(X_aux, y_aux)
        explained, cost = query_records(
            self.explainer,
            model_columns_of(self.layout_, X_used),
            response_method="explain",
            max_rows_per_call=self.max_rows_per_call,
        )
        self.fit_query_cost_ = self.fit_query_cost_ + cost
        known, _ = split_known(self.layout_, X_used, name="X_aux")
        features = self._features(known, y_used, explained)
        model = self._choose_attack_model(features, target)
        with learner_threads(len(features)):
            model.fit(features, target)
        self.attack_model_ = model

    def _usable_aux_records(self, X_aux, y_aux):
        """The auxiliary records whose secret is a candidate (or known, numeric), their labels,
        and the candidate position each is learned as (the nearest grid value, numeric)."""
        return usable_aux_records(
            self,
            X_aux,
            y_aux,
            f"ExplanationInversion(method={self.method!r}) learns from auxiliary records "
            "whose sensitive value is one of the candidates",
        )

    def _features(self, known, y, explained):
        """The attack classifier's features: the explanation, after the known features and
        the label ("learned"), or alone ("explanation_only"). Unreported (NaN) entries read
        as 0, the value a service gives a withheld contribution."""
        explained = np.nan_to_num(np.asarray(explained, dtype=float), nan=0.0)
        columns = {
            f"__explanation_{name}__": explained[:, j]
            for j, name in enumerate(self.explanation_columns_)
        }
        if self.method == "explanation_only":
            return pd.DataFrame(columns, index=pd.RangeIndex(len(explained)))
        label = y if self.uses_label_ else None
        features = attacker_features(known, self.layout_.known_columns, label)
        return pd.concat([features, pd.DataFrame(columns, index=features.index)], axis=1)

    def _choose_attack_model(self, features, target):
        """The attack classifier, or what cross-validation prefers; records ``selection_``."""
        model = make_learner(features, "classification", self.attack_model, self.random_state)
        self.selection_ = {"chosen": "learner", "metric": None, "learner": None, "marginal": None}
        if not (
            self.fallback == "cv"
            and self.sensitive_kind_ == "categorical"
            and 10 <= len(target) <= _MAX_CV_ROWS
        ):
            return model
        learners, order = {"learner": model}, ("learner", "marginal")
        if self.method == "learned":  # the imputation attacker's columns: features, label
            base = features.iloc[:, : len(self.layout_.known_columns) + int(self.uses_label_)]
            learners["imputation"] = _ImputationColumns(
                make_learner(base, "classification", self.attack_model, self.random_state),
                base.shape[1],
            )
            order = ("learner", "imputation", "marginal")
        self.selection_ = cross_validated_choice(
            learners, features, target, "classification", self.random_state, order=order
        )
        if self.selection_["chosen"] == "marginal":
            return DummyClassifier(strategy="prior")
        return learners[self.selection_["chosen"]]

    # -- the verbs, with the victims' explanations -------------------------------------------
    def _prepare(self, X, y, observed):
        check_is_fitted(self, "candidates_")
        if observed is None and self.victim_explanations == "served":
            observed = self.served_explanation(X)
        known, index = split_known(self.layout_, X)
        n = n_records(known)
        y = check_label(y, n)
        return known, index, y, self._observed_explanation(observed, n, index)

    def served_explanation(self, X):
        """The explanations the service gives for the targets' own, complete records.

        What each victim was shown, with ``victim_explanations="served"``: the targets must
        then hold their true sensitive values (as an evaluation's do), which reach the attack
        only through their explanations.

        Parameters
        ----------
        X : DataFrame
            The targets' complete records, the sensitive column included.

        Returns
        -------
        explanation : DataFrame of shape (n, n_features)
        """
        sensitive = self.layout_.sensitive
        columns = getattr(X, "columns", None)
        if columns is None or sensitive not in columns:
            raise ValueError(
                "victim_explanations='served' explains each target's own record, so X must "
                f"hold the sensitive column {sensitive!r} (the true values, as in an "
                "evaluation); otherwise pass observed_explanation= with what the victims were "
                "shown."
            )
        return self.explainer.explain(X)

    def _observed_explanation(self, observed, n, index):
        """The victims' explanations as an (n, n_features) float array (NaN: not seen)."""
        columns = self.explanation_columns_
        if observed is None:
            raise ValueError(
                "ExplanationInversion reads each target's explanation as the service returned "
                "it: pass observed_explanation=explainer.explain(X) (one row per target, the "
                f"columns {columns[:10]})."
            )
        if isinstance(observed, pd.DataFrame):
            missing = [c for c in columns if c not in observed.columns]
            extra = [c for c in observed.columns if c not in columns]
            if missing or extra:
                raise ValueError(
                    f"observed_explanation must have the explanation's columns {columns}"
                    + (f"; missing {missing}" if missing else "")
                    + (f"; not the explanation's: {extra}" if extra else "")
                    + "."
                )
            if (
                len(observed) == n
                and not observed.index.equals(index)
                and observed.index.is_unique
                and observed.index.isin(index).all()
            ):
                observed = observed.loc[index]  # the same targets in another order
            observed = observed[columns]
        values = np.asarray(observed, dtype=float)
        if values.ndim != 2 or values.shape != (n, len(columns)):
            raise ValueError(
                f"observed_explanation must have shape ({n}, {len(columns)}) (one explanation "
                f"per target); got {values.shape}."
            )
        if np.isinf(values).any():
            raise ValueError("observed_explanation holds ±inf; pass the explanations as served.")
        return values

    def attack(self, X, y=None, *, observed_explanation=None):
        """Infer the hidden sensitive value of each target record.

        Parameters
        ----------
        X : DataFrame or ndarray
            The targets' known features (the sensitive column, if present, is ignored).
        y : array-like of shape (n,), default=None
            The targets' true labels, when the attack was fitted with ``y_aux`` ("match" and
            "learned" then read them, as the imputation baseline does).
        observed_explanation : DataFrame or array-like of shape (n, n_features)
            Each target's explanation as the service returned it (withheld entries 0.0, as
            ``explain`` gives them; NaN for entries the attacker did not see).

        Returns
        -------
        Series of shape (n,)
            The inferred values, indexed like ``X`` and named after the sensitive column.
        """
        return BaseAttack.attack(self, X, y, observed=observed_explanation)

    def attack_proba(self, X, y=None, *, observed_explanation=None):
        """Score every candidate value of the sensitive attribute for each target record.

        Parameters
        ----------
        X, y, observed_explanation : see :meth:`attack`.

        Returns
        -------
        DataFrame of shape (n, n_candidates)
            One column per candidate value; rows sum to 1. Indexed like ``X``.
        """
        return BaseAttack.attack_proba(self, X, y, observed=observed_explanation)

    def predict(self, X, y=None, *, observed_explanation=None):
        """Alias of :meth:`attack`, so sklearn tooling works."""
        return self.attack(X, y, observed_explanation=observed_explanation)

    def predict_proba(self, X, y=None, *, observed_explanation=None):
        """Alias of :meth:`attack_proba`, as an array."""
        return self.attack_proba(X, y, observed_explanation=observed_explanation).to_numpy()

    def score(self, X, y=None, *, observed_explanation=None, scoring=None):
        """How well the attack infers the sensitive values held in ``X``.

        Parameters
        ----------
        X : DataFrame or ndarray
            Target records *with* their true sensitive values (used only for scoring).
        y, observed_explanation : see :meth:`attack`.
        scoring : str, default=None
            As in :meth:`BaseAttack.score` (default: accuracy, or negative MAE for a numeric
            attribute).

        Returns
        -------
        float
        """
        check_is_fitted(self, "candidates_")
        truth = true_sensitive(self.layout_, X)
        if scoring == "roc_auc":
            proba = self.attack_proba(X, y, observed_explanation=observed_explanation)
            scores = inference_scores(
                np.asarray(truth),
                proba.idxmax(axis=1).to_numpy(),
                y_score=proba,
                kind=self.sensitive_kind_,
            )
            return float(scores["roc_auc"])
        guesses = self.attack(X, y, observed_explanation=observed_explanation)
        return score_guesses(truth, guesses, self.sensitive_kind_, scoring)

    # -- scoring ------------------------------------------------------------------------------
    def _candidate_scores(self, known, y, observed):
        if self.uses_label_ and y is None:
            raise ValueError(
                "This attack was fitted with labels (y_aux), so it reads the targets' labels "
                "as the imputation baseline does: pass y to attack()."
            )
        if self.method == "match":
            return self._match_scores(known, y, observed)
        self.last_query_cost_ = QueryCost()  # the target's own explanation is the input
        features = self._features(known, y, observed)
        model = self.attack_model_
        with learner_threads(len(features)):
            proba = model.predict_proba(features)
        scores = np.zeros((len(features), len(self.candidates_)))
        scores[:, np.asarray(model.classes_, dtype=int)] = proba
        return scores + _TINY

    def _prior_scores(self, known, y):
        """Each target's prior over the candidates: the imputation baseline's, or the
        auxiliary frequencies (numeric attributes)."""
        if getattr(self, "imputer_", None) is not None:
            return np.asarray(self._imputer_scores(known, y), dtype=float)
        return np.broadcast_to(self.prior_, (n_records(known), len(self.prior_)))

    def _match_scores(self, known, y, observed):
        explained = self._query(known)  # (n, k, n_features), one batched call per chunk
        seen = ~np.isnan(observed)
        gap = np.where(seen[:, None, :], explained - np.nan_to_num(observed)[:, None, :], 0.0)
        distance2 = (gap**2).sum(axis=2)  # (n, k)
        prior = self._prior_scores(known, y)
        if self.noise_scale is not None:
            log_scores = np.log(prior) - 0.5 * distance2 / self.noise_scale**2
            log_scores -= log_scores.max(axis=1, keepdims=True)
            return np.exp(log_scores) + _TINY
        # The observation is exact: the nearest candidates (within float noise) win outright,
        # the prior decides among them.
        scale = np.maximum(1.0, np.nanmax(np.abs(np.where(seen, observed, 0.0)), axis=1))
        tolerance2 = (_SAME_EXPLANATION * scale) ** 2
        nearest = distance2 <= distance2.min(axis=1, keepdims=True) + tolerance2[:, None]
        return np.where(nearest, prior, 0.0) + _TINY


ExplanationInversion.__doc__ = ExplanationInversion.__doc__.format(
    threat_model=THREAT_MODEL_DOC, common=COMMON_PARAMS_DOC.lstrip()
)

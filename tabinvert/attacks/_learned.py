"""A learned attack on the model's full answers for every candidate value of the secret."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.dummy import DummyClassifier

from .._sklearn_compat import HasMethods, Options, StrOptions
from .._query import DEFAULT_MAX_ROWS_PER_CALL, QueryCost
from .._validation import check_observed, split_known
from ._base import (
    COMMON_PARAMS_DOC,
    THREAT_MODEL_DOC,
    AttackCapabilities,
    BaseAttack,
    model_is_classifier,
)
from ._confidence import class_positions
from ._imputation import (
    _MAX_CV_ROWS,
    candidate_positions,
    cross_validated_choice,
    fit_shared_imputer,
)
from ._learners import attacker_features, learner_threads, make_learner

_TINY = 1e-12


def usable_aux_records(attack, X_aux, y_aux, refusal):
    """The auxiliary records a learned attack can learn from: those whose secret is a
    candidate (categorical) or known (numeric), their labels, and the candidate position each
    is learned as (the nearest grid value, numeric). Fewer than two: ``refusal`` and the count.
    """
    layout = attack.layout_
    if isinstance(X_aux, pd.DataFrame) and layout.is_frame:
        values = X_aux[layout.sensitive].to_numpy()
    else:
        values = np.asarray(X_aux)[:, layout.sensitive_position]
    if attack.sensitive_kind_ == "categorical":
        keep = pd.Series(values).isin(list(attack.candidates_)).to_numpy()
    else:
        keep = ~pd.isna(values)
    if keep.sum() < 2:
        raise ValueError(f"{refusal}; {int(keep.sum())} found.")
    rows = np.flatnonzero(keep)
    X_used = X_aux.iloc[rows] if isinstance(X_aux, pd.DataFrame) else np.asarray(X_aux)[rows]
    if attack.sensitive_kind_ == "categorical":
        target = candidate_positions(attack.candidates_, values[rows])
    else:
        grid = attack.candidates_.astype(float)
        target = np.abs(values[rows].astype(float)[:, None] - grid[None, :]).argmin(axis=1)
    return X_used, (None if y_aux is None else y_aux[rows]), target


class _ImputationColumns(ClassifierMixin, BaseEstimator):
    """A learner that reads only the first ``n_columns`` features (the imputation attacker's)."""

    def __init__(self, learner, n_columns):
        self.learner = learner
        self.n_columns = n_columns

    def fit(self, X, y):
        self.learner_ = clone(self.learner).fit(X.iloc[:, : self.n_columns], y)
        self.classes_ = self.learner_.classes_
        return self

    def predict_proba(self, X):
        return self.learner_.predict_proba(X.iloc[:, : self.n_columns])

    def predict(self, X):
        return self.learner_.predict(X.iloc[:, : self.n_columns])


class LearnedInversion(BaseAttack):
    """Learn to read the secret off the model's answers for every candidate value.

    A learned (shadow-free) attack in the style of IBM ART's ``AttributeInferenceBlackBox``,
    given strictly more to learn from. At ``fit`` the attacker queries the model on each of its
    auxiliary records completed with *every* candidate value of the sensitive attribute (one
    batched call through the query engine, counted in ``fit_query_cost_``) and trains an attack
    classifier on

    * the record's known features,
    * its true label, when the attacker has labels (``y_aux`` given and ``use_label=True``),
    * the model's full output for each candidate value: ``k × n_classes`` probabilities for a
      classifier with ``predict_proba``, ``k × n_classes`` one-hot predicted labels for a
      label-only classifier, ``k`` predictions for a regressor,
    * with the label, one derived column per candidate: the log-probability the model gives the
      true label under that candidate (one-hot match for label-only models, minus the absolute
      residual for regressors), centred over the candidates. It is a function of the columns
      above, but it puts the evidence of Fredrikson's MAP attack in single columns, where a tree
      learner finds it with a single split rather than by comparing columns,

    to predict the record's true sensitive value. ``attack`` builds the same features for the
    targets (one batched query) and the attack model's ``predict_proba`` scores the candidates.

    ART's black-box attack keeps only the arg-max class of the model's answer for the real
    record;
    this attack sees the model's confidence, and how it changes with each candidate value.

    A numeric sensitive attribute is learned as a classification over the candidate grid
    (``n_grid`` quantiles of the auxiliary values; each auxiliary record is labelled with its
    nearest grid value), so ``attack_proba`` is a distribution over the grid like every other
    attack's, and the guess is its mean.
    {threat_model}
    Here the attacker also needs the model's answers on its own auxiliary records completed with
    each candidate value (``k`` queries per auxiliary record), and learns from them how the
    answers relate to the secret. The attack model learns the population the auxiliary records
    come from: auxiliary records that were in the model's training set teach it how the model
    treats members (e.g. how memorisation shows), non-members how it treats everyone else.

    Parameters
    ----------
    estimator : object
        The target model (fitted): a classifier (``predict_proba`` is used when it has one,
        ``predict`` otherwise) or a regressor; a bare estimator, a Pipeline, an XGBoost model.
        Held frozen, never refitted.
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    attack_model : classifier, default=None
        Learns the sensitive value (its candidate position) from the features above (the label
        as the position of its class). Any scikit-learn classifier with ``predict_proba``; it
        is cloned and given the known features as they are, so with text columns pass a
        Pipeline that encodes them. Default: histogram gradient boosting with native handling
        of text columns.
    use_label : bool, default=True
        Whether the attack model uses the records' true labels when ``y_aux`` is given (then
        ``attack`` needs ``y``). Without labels the attack reads the model's answers alone.
    use_observed : {{False, "labels", "proba"}}, default=False
        Whether the attacker also sees the model's output for each target's *real* record
        (``observed`` in :meth:`attack`): its predicted label ("labels", e.g. the decision the
        target was given; IBM ART's black-box attack uses only this) or its probabilities
        ("proba", classifiers with ``predict_proba``; a regressor's output for regressors).
        ``fit`` then queries the model on the real auxiliary records too, in the same form,
        and the attack model learns from those answers as well.
    fallback : {{"cv", "never"}}, default="cv"
        "cv" compares, by 5-fold cross-validated accuracy on the auxiliary records (when there
        are at most 50,000), the attack model with the same learner on the imputation
        attacker's features only (known features and label: no model output) and with the
        marginal (the most common value), and keeps the best; the attack model wins ties. An
        attack model that overfits a small auxiliary set, or reads noise in the model's
        outputs, would otherwise guess worse than imputation and understate what the model
        leaks. Categorical attributes only: for a numeric one the attack model is always used
        (fifteen more fits of an ``n_grid``-class model would cost tens of seconds). "never":
        always use the attack model.
    {common}
    Attributes
    ----------
    attack_model_ : estimator
        The fitted attack model: ``attack_model``'s (or the default) on every feature, the
        imputation baseline (``imputer_``: imputation features only), or a
        :class:`~sklearn.dummy.DummyClassifier` (the prior), whichever won the comparison.
    imputer_ : ImputationBaseline
        Categorical attributes: the imputation baseline, fitted exactly as the baseline the
        attack is compared with; it also guesses the targets for which the model answered the
        same for every candidate value.
    selection_ : dict
        How ``attack_model_`` was chosen: ``{{"chosen": "learner" | "imputation" | "marginal",
        "metric": "accuracy", "learner": ..., "imputation": ..., "marginal": ...}}`` with the
        cross-validated scores (None without a comparison).
    uses_label_ : bool
        Whether the attack model was trained with the label (then ``attack`` needs ``y``).
    response_method_ : str
        The model method queried: "predict_proba" or "predict".
    classes_model_ : ndarray
        The target classifier's classes (classifiers only).
    feature_columns_ : list of str
        The columns the attack model is trained on.
    candidates_ : ndarray
        Candidate values of the sensitive attribute.
    prior_ : ndarray
        Their frequency in the auxiliary data (add-one smoothed).
    sensitive_kind_ : str
        "categorical" or "numeric".
    fit_query_cost_, last_query_cost_ : QueryCost
        Rows and calls spent in ``fit`` (``k`` rows per auxiliary record) and in the last
        ``attack`` (``k`` rows per target).

    See Also
    --------
    ConfidenceInversion : Fredrikson's MAP inversion: no learning, the same queries.
    ImputationBaseline : The same auxiliary data and labels, no model access.

    Examples
    --------
    A model that leaks: the label is the sensitive value XOR a known feature.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from tabinvert.attacks._learned import LearnedInversion
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(
    ...     {{"known": rng.integers(0, 2, 400), "secret": rng.integers(0, 2, 400)}}
    ... )
    >>> y = X["known"] ^ X["secret"]
    >>> model = DecisionTreeClassifier(random_state=0).fit(X, y)
    >>> attack = LearnedInversion(model, "secret", random_state=0).fit(X[:200], y[:200])
    >>> attack.fit_query_cost_
    QueryCost(rows=400, calls=1)
    >>> float((attack.attack(X[200:], y[200:]) == X["secret"][200:]).mean())
    1.0
    """

    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "attack_model": [HasMethods(["fit", "predict_proba"]), None],
        "use_label": ["boolean"],
        "use_observed": [StrOptions({"labels", "proba"}), Options(bool, {False})],
        "fallback": [StrOptions({"cv", "never"})],
    }

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        return AttackCapabilities(
            "learned" if self.use_label else "learned (no label)",
            self._access_of_response(),
            reference="Fredrikson et al., CCS 2015; IBM ART's AttributeInferenceBlackBox",
        )

    def __init__(
        self,
        estimator,
        sensitive,
        *,
        attack_model=None,
        use_label=True,
        use_observed=False,
        fallback="cv",
        candidates="auto",
        sensitive_type="auto",
        n_grid=20,
        max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.sensitive = sensitive
        self.attack_model = attack_model
        self.use_label = use_label
        self.use_observed = use_observed
        self.fallback = fallback
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.max_rows_per_call = max_rows_per_call
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _get_response_method(self, model):
        if model_is_classifier(model) and hasattr(model, "predict_proba"):
            return "predict_proba"
        return "predict"

    def _check_model(self, model):
        if not hasattr(model, "predict"):
            raise TypeError(
                f"LearnedInversion needs a target model with predict(); {type(model).__name__} "
                "has none."
            )

    # -- fitting ------------------------------------------------------------------------------
    def _fit_attack(self, X_aux, y_aux):
        """Query the model on the auxiliary records and fit the attack model on its answers."""
        X_used, y_used, target = self._usable_aux_records(X_aux, y_aux)
        self.uses_label_ = bool(self.use_label and y_used is not None)
        if self.is_classifier_:
            self.classes_model_ = np.asarray(self.estimator.classes_)
        features = self._aux_attack_features(X_used, y_used)
        self.feature_columns_ = [str(c) for c in features.columns]
        model = self._choose_attack_model(features, target)
        if self.sensitive_kind_ == "categorical":
            # The imputation baseline itself: it answers when cross-validation prefers the
            # imputation features, and for targets the model answers alike for every candidate.
            fit_shared_imputer(self, X_aux, y_aux if self.uses_label_ else None)
        if self.selection_["chosen"] == "imputation":
            self.attack_model_ = self.imputer_
            return
        with learner_threads(len(features)):
            model.fit(features, target)
        self.attack_model_ = model

    def _usable_aux_records(self, X_aux, y_aux):
        """The auxiliary records whose secret is a candidate, their labels and candidate codes."""
        return usable_aux_records(
            self,
            X_aux,
            y_aux,
            "LearnedInversion needs auxiliary records whose sensitive value is one of the "
            "candidates to learn from",
        )

    def _aux_attack_features(self, X_used, y_used):
        """The attack's features of the auxiliary records (one batched query, a fit cost)."""
        known, _ = split_known(self.layout_, X_used, name="X_aux")
        outputs = self._query(known)
        self.fit_query_cost_ = self.fit_query_cost_ + self.last_query_cost_
        del self.last_query_cost_  # that cost was the fit's, not an attack's
        observed = self._aux_observed(X_used) if self.use_observed else None
        return self._features(known, y_used, outputs, observed)

    def _aux_observed(self, X_used):
        """What each auxiliary record's own answer was, in the ``use_observed`` form."""
        method = (
            "predict_proba" if self.use_observed == "proba" and self.is_classifier_ else "predict"
        )
        if method == "predict_proba" and not hasattr(self.estimator, "predict_proba"):
            raise ValueError(
                "use_observed='proba' needs a classifier with predict_proba; this one "
                "returns labels only: use use_observed='labels'."
            )
        observed = self._query_aux(X_used, method)
        if method == "predict" or not self.is_classifier_:
            observed = observed[:, 0]
        return observed

    def _choose_attack_model(self, features, target):
        """The attack model, or what cross-validation prefers to it; records ``selection_``."""
        model = make_learner(features, "classification", self.attack_model, self.random_state)
        self.selection_ = {
            "chosen": "learner",
            "metric": None,
            "learner": None,
            "imputation": None,
            "marginal": None,
        }
        if not (
            self.fallback == "cv"
            and self.sensitive_kind_ == "categorical"
            and 10 <= len(target) <= _MAX_CV_ROWS
        ):
            return model
        # The imputation attacker's features: the first columns (known features, label).
        base = features.iloc[:, : len(self.layout_.known_columns) + int(self.uses_label_)]
        imputation = _ImputationColumns(
            make_learner(base, "classification", self.attack_model, self.random_state),
            base.shape[1],
        )
        # Ties go to the attack model, then to the imputation features.
        self.selection_ = cross_validated_choice(
            {"learner": model, "imputation": imputation},
            features,
            target,
            "classification",
            self.random_state,
            order=("learner", "imputation", "marginal"),
        )
        if self.selection_["chosen"] == "marginal":
            return DummyClassifier(strategy="prior")
        if self.selection_["chosen"] == "imputation":
            return imputation
        return model

    # -- the attack's features ----------------------------------------------------------------
    def _features(self, known, y, outputs, observed=None):
        """Known features, the label, the model's answers for every candidate, derived columns,
        and (``use_observed``) the answer for the real record."""
        label = None
        if self.uses_label_:  # class positions: any attack model reads them, text labels too
            label = class_positions(self.classes_model_, y) if self.is_classifier_ else y
        features = attacker_features(known, self.layout_.known_columns, label)
        n, k = outputs.shape[:2]
        storage = outputs.transpose(2, 1, 0)  # (n_outputs, k, n), the query engine's storage
        columns = {}
        if self.is_classifier_ and self.response_method_ == "predict":  # labels: one-hot
            predicted = class_positions(
                self.classes_model_, storage[0].ravel(), name="model output"
            ).reshape(k, n)
            for j in range(k):
                for c in range(len(self.classes_model_)):
                    columns[f"__out_{j}_{c}__"] = (predicted[j] == c).astype(float)
        else:
            for j in range(k):
                for c in range(storage.shape[0]):
                    columns[f"__out_{j}_{c}__"] = storage[c, j].astype(float)
        if self.uses_label_:
            columns.update(self._label_evidence(storage, y, k))
        if observed is not None:
            columns.update(self._observed_columns(observed, n))
        extra = pd.DataFrame(columns, index=features.index)
        return pd.concat([features, extra], axis=1)

    def _label_evidence(self, storage, y, k):
        """Per candidate: how well the model's answer explains the true label, centred."""
        if self.is_classifier_:
            positions = class_positions(self.classes_model_, y)
            if self.response_method_ == "predict":
                predicted = class_positions(
                    self.classes_model_, storage[0].ravel(), name="model output"
                ).reshape(k, -1)
                evidence = (predicted == positions[None, :]).astype(float)
            else:
                picked = storage[
                    positions[None, :], np.arange(k)[:, None], np.arange(storage.shape[2])[None, :]
                ]
                evidence = np.log(np.clip(picked.astype(float), _TINY, None))
        else:
            evidence = -np.abs(np.asarray(y, dtype=float)[None, :] - storage[0].astype(float))
        evidence = evidence - evidence.mean(axis=0, keepdims=True)
        return {f"__evidence_{j}__": evidence[j] for j in range(k)}

    def _observed_columns(self, observed, n):
        """The real record's answer, in the form the attack was fitted with: labels one-hot,
        probabilities (or a regressor's output) as they are."""
        observed = check_observed(observed, n)
        if not self.is_classifier_:
            if observed.size != n:
                raise ValueError(
                    "The target model is a regressor: pass its output for each target's real "
                    f"record, one value per record (shape ({n},)); got shape {observed.shape}."
                )
            return {"__observed__": observed.reshape(n).astype(float)}
        n_classes = len(self.classes_model_)
        if self.use_observed == "labels":
            if observed.ndim != 1:
                raise ValueError(
                    f"This attack was fitted with use_observed='labels': pass the predicted "
                    f"labels the targets saw (1-D); got shape {observed.shape}."
                )
            positions = class_positions(self.classes_model_, observed, name="observed")
            return {f"__observed_{c}__": (positions == c).astype(float) for c in range(n_classes)}
        if observed.ndim != 2 or observed.shape[1] != n_classes:
            raise ValueError(
                f"This attack was fitted with use_observed='proba': pass the probabilities the "
                f"targets saw, shape (n, {n_classes}); got shape {observed.shape}."
            )
        return {f"__observed_{c}__": observed[:, c].astype(float) for c in range(n_classes)}

    # -- scoring ------------------------------------------------------------------------------
    def _candidate_scores(self, known, y, observed):
        if (observed is None) == bool(self.use_observed):
            raise ValueError(
                f"This attack was fitted with use_observed={self.use_observed!r}: pass the "
                "model's output for each target's real record (observed=...)."
                if self.use_observed
                else "This attack was fitted with use_observed=False, so its attack model does not "
                "read observed outputs: fit with use_observed='labels' or 'proba' to use them."
            )
        if self.uses_label_ and y is None:
            raise ValueError(
                "This attack was fitted with labels (y_aux), so its attack model reads the "
                "targets' labels: pass y to attack(), or fit with use_label=False."
            )
        if self.selection_["chosen"] == "imputation":
            self.last_query_cost_ = QueryCost()  # imputation never asks the model
            return self._imputer_scores(known, y)
        outputs = self._query(known)
        features = self._features(known, y, outputs, observed)
        model = self.attack_model_
        with learner_threads(len(features)):
            proba = model.predict_proba(features)
        classes = model.classes_
        scores = np.zeros((len(features), len(self.candidates_)))
        scores[:, np.asarray(classes, dtype=int)] = proba
        return scores + _TINY


LearnedInversion.__doc__ = LearnedInversion.__doc__.format(
    threat_model=THREAT_MODEL_DOC, common=COMMON_PARAMS_DOC.lstrip()
)

"""LOMIA: attribute inference from predicted labels only (Mehnaz et al. 2022)."""

from __future__ import annotations

import warnings

import numpy as np

from .._sklearn_compat import HasMethods
from .._query import DEFAULT_MAX_ROWS_PER_CALL
from ._base import COMMON_PARAMS_DOC, THREAT_MODEL_DOC, AttackCapabilities, BaseAttack
from ._confidence import class_positions
from ._imputation import fit_shared_imputer
from ._learners import attacker_features, learner_threads, make_learner


class LabelOnlyInversion(BaseAttack):
    """Infer a sensitive attribute using only the labels the model predicts.

    Mehnaz et al. 2022 (USENIX Security), "LOMIA". The attacker queries the model's ``predict``
    on every target completed with every candidate value. Targets for which exactly one
    candidate reproduces their true label are labelled with that candidate; an attack model is
    trained on those targets (known features + true label → inferred value) and then labels
    every target. No confidence score is used, so defenses that round, noise or hide the scores
    but keep the predicted label cannot stop it.
    {threat_model}
    Parameters
    ----------
    estimator : object
        The target classifier (fitted); only its ``predict`` is used. Held frozen.
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    attack_model : classifier, default=None
        Learns the sensitive value from known features and the label on the self-labelled
        targets. Default: histogram gradient boosting with native text-column handling.
    {common}
    Attributes
    ----------
    candidates_ : ndarray
        Candidate values of the sensitive attribute.
    prior_ : ndarray
        Their frequency in the auxiliary data.
    imputer_ : ImputationBaseline
        Categorical attributes: the imputation baseline (fitted exactly as the baseline the
        attack is compared with) that guesses the targets whose label every candidate
        reproduces alike, and all targets when too few are self-labelled.
    last_n_self_labelled_ : int
        Targets with exactly one label-reproducing candidate in the last ``attack``.
    last_flat_records_ : ndarray of bool
        Targets of the last ``attack`` for which every candidate gave the same label.
    last_query_cost_ : QueryCost
        Rows and calls spent in the last ``attack``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from tabinvert.attacks import LabelOnlyInversion
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(
    ...     {{"known": rng.integers(0, 2, 400), "secret": rng.integers(0, 2, 400)}}
    ... )
    >>> y = X["known"] ^ X["secret"]
    >>> model = DecisionTreeClassifier(random_state=0).fit(X, y)
    >>> attack = LabelOnlyInversion(model, "secret", random_state=0).fit(X[:200])
    >>> float((attack.attack(X[200:], y[200:]) == X["secret"][200:]).mean())
    1.0
    """

    _response_method = "predict"
    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "attack_model": [HasMethods(["fit", "predict_proba"]), None],
    }

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        return AttackCapabilities(
            "LOMIA", "labels", reference="Mehnaz et al., USENIX Security 2022"
        )

    def __init__(
        self,
        estimator,
        sensitive,
        *,
        attack_model=None,
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
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.max_rows_per_call = max_rows_per_call
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _fit_attack(self, X_aux, y_aux):
        if not self.is_classifier_:
            raise ValueError(
                "LabelOnlyInversion needs a classifier: it checks which candidate reproduces "
                "the true label. For a regressor use ConfidenceInversion(method='map')."
            )
        classes = getattr(self.estimator, "classes_", None)
        self.classes_model_ = None if classes is None else np.asarray(classes)
        if self.sensitive_kind_ == "categorical":
            # Targets whose label no candidate singles out are guessed by the imputation
            # baseline itself, so a model blind to the attribute scores exactly as imputation.
            fit_shared_imputer(self, X_aux, y_aux)

    def _candidate_scores(self, known, y, observed):
        if observed is not None:
            raise ValueError(
                "LabelOnlyInversion reads the labels the model predicts for the completed "
                "records and the targets' true labels (y); it does not take observed outputs. "
                "Use ConfidenceInversion or LearnedInversion(use_observed=...) to weigh them."
            )
        if y is None:
            raise ValueError(
                "LabelOnlyInversion finds the candidates that reproduce each target's true "
                "label: pass the targets' labels (y)."
            )
        if self.classes_model_ is not None:
            # A label the model never predicts matches no candidate: refuse it (as every attack
            # does) rather than fall back to the prior with only a warning.
            class_positions(self.classes_model_, y)
        # Candidate-major (k, n), as the query engine stores its answers: the comparisons and
        # counts run over whole rows of records, and the scores go out as an (n, k) view of a
        # (k, n) array, so the base class's row-wise arg-max runs the same way.
        labels = self._query(known)[:, :, 0].T
        matches = labels == np.asarray(y)[None, :]
        self_labelled = matches.sum(axis=0) == 1
        self.last_n_self_labelled_ = int(self_labelled.sum())
        k, n = matches.shape
        inferred = matches[:, self_labelled].argmax(axis=0)
        if len(np.unique(inferred)) < 2:
            warnings.warn(
                f"LabelOnlyInversion: only {self.last_n_self_labelled_} target(s) have exactly "
                "one candidate value that reproduces their label, with fewer than two distinct "
                "values: too few to train the attack model. Those targets get their unique "
                "value; the others the imputation baseline's guess.",
                UserWarning,
                stacklevel=3,
            )
            if getattr(self, "imputer_", None) is not None:
                scores = np.array(self._imputer_scores(known, y), dtype=float)
            else:
                scores = np.repeat(self.prior_[:, None], n, axis=1).T
            scores[self_labelled] = np.eye(k)[inferred]
            return scores + 1e-12
        features = attacker_features(known, self.layout_.known_columns, y)
        model = make_learner(features, "classification", self.attack_model, self.random_state)
        with learner_threads(len(features)):
            model.fit(features[self_labelled], inferred)
            proba = model.predict_proba(features)
        self.attack_model_ = model
        scores = np.zeros((k, n)).T
        scores[:, model.classes_.astype(int)] = proba
        return scores + 1e-12


LabelOnlyInversion.__doc__ = LabelOnlyInversion.__doc__.format(
    threat_model=THREAT_MODEL_DOC, common=COMMON_PARAMS_DOC.lstrip()
)

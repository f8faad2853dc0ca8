"""The imputation baseline: what an attacker infers with no access to the model at all."""

from __future__ import annotations

from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.model_selection import KFold
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import _fit_context, HasMethods, Interval, StrOptions
from .._query import QueryCost, RecordLayout
from .._validation import (
    _sensitive_position,
    check_label,
    check_unique_columns,
    frame_column_position,
    make_candidates,
    record_value_kinds,
    sensitive_kind,
    value_kind,
)
from .._cache import active_cache, content_key
from ._base import AttackCapabilities, BaseAttack
from ._learners import attacker_features, learner_threads, make_learner


class ImputationBaseline(BaseAttack):
    """Infer the sensitive attribute from the known features alone, never querying the model.

    Jayaraman & Evans (CCS 2022) showed that much of what attribute-inference attacks "learn"
    is the population's statistics, which any analyst with similar data could impute. This
    learner has exactly the attacker's distributional knowledge (the auxiliary records, and the
    label if the threat model gives it) but no model access, so an attack's advantage over it is
    what the *model* leaks. Every other attack in tabinvert is reported against it.

    Parameters
    ----------
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    learner : estimator, default=None
        Predicts the sensitive value from the known columns (plus a ``__label__`` column when
        labels are used). Default: a histogram gradient-boosting model with native handling of
        text columns (a classifier, or a regressor for a numeric sensitive attribute).
    candidates : "auto" or array-like, default="auto"
        The values the sensitive attribute may take ("auto": those seen in the auxiliary data).
    sensitive_type : {"auto", "categorical", "numeric"}, default="auto"
        "auto" treats numeric columns with more than 10 distinct auxiliary values as numeric.
    n_grid : int, default=20
        Grid size for numeric attributes (only used to report candidates).
    fallback : {"cv", "never"}, default="cv"
        "cv": when the auxiliary data has at most 50,000 usable records, compare the learner
        with the attribute's marginal (the most common value, or the median) by 5-fold
        cross-validation on the auxiliary records (accuracy, or mean absolute error) and keep
        the learner only if it does better. A learner that overfits a small auxiliary set can
        guess worse than the most common value, which would make every attack look like it
        leaks. "never": always use the learner.
    random_state : int, RandomState instance or None, default=None
        Seeds the learner, the cross-validation folds and tie-breaking.

    Attributes
    ----------
    candidates_ : ndarray
        The candidate values.
    prior_ : ndarray
        Their frequencies in the auxiliary data (add-one smoothed).
    uses_label_ : bool
        Whether the learner was trained with the label (then ``attack`` needs ``y``).
    learner_ : estimator
        The fitted learner: ``learner``'s, or a :class:`~sklearn.dummy.DummyClassifier` /
        :class:`~sklearn.dummy.DummyRegressor` (the marginal) when that won the comparison.
    selection_ : dict
        How ``learner_`` was chosen: ``{"chosen": "learner" | "marginal", "metric": ...,
        "learner": cv score, "marginal": cv score}`` (scores are None when there was no
        comparison).
    last_query_cost_ : QueryCost
        Always zero: the baseline never queries the model.

    Notes
    -----
    Threat model: the attacker knows the targets' known features (and, if ``y_aux`` was given to
    ``fit``, their labels) and holds auxiliary records with the sensitive column. No model
    access.

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert.attacks import ImputationBaseline
    >>> aux = pd.DataFrame({"smoker": ["yes", "no"] * 50, "cigarettes": [20, 0] * 50})
    >>> baseline = ImputationBaseline("smoker", random_state=0).fit(aux)
    >>> baseline.attack(pd.DataFrame({"cigarettes": [15, 0]})).tolist()
    ['yes', 'no']
    """

    _parameter_constraints: dict = {
        "sensitive": "no_validation",
        "learner": [HasMethods(["fit", "predict"]), None],
        "candidates": [StrOptions({"auto"}), "array-like"],
        "sensitive_type": [StrOptions({"auto", "categorical", "numeric"})],
        "n_grid": [Interval(Integral, 2, None, closed="left")],
        "fallback": [StrOptions({"cv", "never"})],
        "random_state": ["random_state"],
    }

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        return AttackCapabilities("imputation", "none", reference="Jayaraman & Evans, CCS 2022")

    def __init__(
        self,
        sensitive,
        *,
        learner=None,
        candidates="auto",
        sensitive_type="auto",
        n_grid=20,
        fallback="cv",
        random_state=None,
    ):
        self.sensitive = sensitive
        self.learner = learner
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.fallback = fallback
        self.random_state = random_state

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X_aux, y_aux=None):
        """Train the imputation learner on the auxiliary records.

        Parameters
        ----------
        X_aux : DataFrame or ndarray of shape (n_aux, n_columns)
            Auxiliary records with the sensitive column.
        y_aux : array-like of shape (n_aux,), default=None
            Their labels; if given, the learner uses the label and ``attack`` needs ``y``.

        Returns
        -------
        self : object
        """
        if isinstance(X_aux, pd.DataFrame):
            check_unique_columns(X_aux, name="X_aux")
            if X_aux.shape[0] == 0:
                raise ValueError("X_aux is empty: the attacker needs auxiliary records.")
            columns = list(X_aux.columns)
            # A label, never a position: an integer that is not a label is refused.
            sensitive = columns[frame_column_position(self.sensitive, X_aux, name="X_aux")]
            layout = RecordLayout(
                columns=tuple(columns),
                sensitive=sensitive,
                is_frame=True,
                dtypes=dict(X_aux.dtypes),
            )
            record_value_kinds(layout, {c: value_kind(X_aux[c]) for c in columns})
            aux_sensitive = X_aux[sensitive].to_numpy()
            known = {c: X_aux[c].to_numpy() for c in layout.known_columns}
        else:
            array = np.asarray(X_aux)
            if array.ndim != 2 or array.shape[0] == 0:
                raise ValueError(f"X_aux must be a non-empty 2-D array; got shape {array.shape}.")
            n_columns = array.shape[1]
            layout = RecordLayout(
                columns=tuple(range(n_columns)),
                sensitive=_sensitive_position(self.sensitive, list(range(n_columns))),
                is_frame=False,
                array_dtype=array.dtype,
            )
            record_value_kinds(layout, {j: value_kind(array[:, j]) for j in range(n_columns)})
            aux_sensitive = array[:, layout.sensitive_position]
            known = np.delete(array, layout.sensitive_position, axis=1)
        kind = sensitive_kind(aux_sensitive, self.sensitive_type)
        values, prior = make_candidates(
            aux_sensitive, kind, self.candidates, self.n_grid, layout.sensitive
        )
        y_aux = check_label(y_aux, len(aux_sensitive), name="y_aux")
        keep = ~pd.isna(aux_sensitive)
        features = attacker_features(known, layout.known_columns, y_aux)[keep]
        target = aux_sensitive[keep]
        task = "classification" if kind == "categorical" else "regression"
        if kind == "categorical":
            in_candidates = pd.Series(target).isin(list(values)).to_numpy()
            features, target = features[in_candidates], target[in_candidates]
            target = candidate_positions(values, target)
        target = target if kind == "categorical" else target.astype(float)
        learner, self.selection_ = self._fit_learner(features, target, task)

        self._set_sensitive_state(layout, kind, values, prior)
        self.uses_label_ = y_aux is not None
        self.learner_ = learner
        self.fit_query_cost_ = QueryCost()
        self.last_query_cost_ = QueryCost()
        return self

    def _fit_learner(self, features, target, task):
        """The learner (or the marginal, when cross-validation prefers it), fitted. Within a
        run (:mod:`tabinvert._cache`) one fit serves every baseline and imputation prior
        fitted on the same features and target with the same settings."""

        def fit():
            learner = make_learner(features, task, self.learner, self.random_state)
            selection = {"chosen": "learner", "metric": None, "learner": None, "marginal": None}
            if self.fallback == "cv" and 10 <= len(target) <= _MAX_CV_ROWS:
                selection = _compare_with_marginal(
                    learner, features, target, task, self.random_state
                )
                if selection["chosen"] == "marginal":
                    learner = (
                        DummyClassifier(strategy="prior")
                        if task == "classification"
                        else DummyRegressor(strategy="median")
                    )
            with learner_threads(len(features)):
                learner.fit(features, target)
            return learner, selection

        cache = active_cache()
        if cache is None or not isinstance(self.random_state, (int, np.integer, type(None))):
            return fit()  # a RandomState instance is consumed: nothing to share
        if self.random_state is None:
            return fit()  # unseeded fits differ from one another: nothing to share
        key = content_key(
            "imputation learner",
            task,
            features,
            target,
            self.fallback,
            repr(self.learner),
            int(self.random_state),
        )
        return cache.fitted(key, fit)

    def _features(self, known, y):
        if self.uses_label_ and y is None:
            raise ValueError(
                "This baseline was fitted with labels (y_aux), so the threat model gives the "
                "attacker the targets' labels: pass y to attack()."
            )
        return attacker_features(known, self.layout_.known_columns, y if self.uses_label_ else None)

    def _candidate_scores(self, known, y, observed):
        features = self._features(known, y)
        if self.sensitive_kind_ == "numeric":
            raise ValueError(
                "The imputation baseline predicts a numeric sensitive attribute directly; use "
                "attack() rather than attack_proba()."
            )
        proba = self._learner_proba(features)
        scores = np.zeros((len(features), len(self.candidates_)))
        scores[:, np.asarray(self._learner_classes(), dtype=int)] = proba
        return scores + 1e-12  # never an all-zero row

    def _learner_proba(self, features):
        """The learner's probabilities; within a run (:mod:`tabinvert._cache`) computed once
        per learner and records, since the run's main phase and its exposure both ask."""

        def predict():
            with learner_threads(len(features)):
                return self.learner_.predict_proba(features)

        cache = active_cache()
        if cache is None:
            return predict()
        key = content_key("imputation proba", id(self.learner_), features)
        return cache.fitted(key, lambda: (self.learner_, predict()))[1]

    def _learner_classes(self):
        learner = self.learner_
        return learner.classes_ if hasattr(learner, "classes_") else learner[-1].classes_

    def attack(self, X, y=None, *, observed=None):
        if self.sensitive_kind_ == "numeric":
            known, index, y, _ = self._prepare(X, y, None)
            features = self._features(known, y)
            with learner_threads(len(features)):
                guesses = self.learner_.predict(features)
            return pd.Series(guesses, index=index, name=self.layout_.sensitive)
        return super().attack(X, y)

    attack.__doc__ = BaseAttack.attack.__doc__

    def _prepare(self, X, y, observed):
        check_is_fitted(self, "learner_")
        return super()._prepare(X, y, None)


def model_columns_of(layout, X_aux):
    """The auxiliary records in the model's columns and form (what an attack reads)."""
    if layout.is_frame:
        return X_aux[list(layout.columns)]
    return np.asarray(X_aux)


def fit_imputer_like_baseline(attack, X_aux, y_aux, random_state=None):
    """An :class:`ImputationBaseline` fitted as the baseline ``attack`` is compared with: on
    the model's columns of ``X_aux``, with ``y_aux`` when given, the attack's candidates and
    seed (``random_state`` when the attack has none).

    Within a run (:mod:`tabinvert._cache`) two calls with the same data and an integer seed
    share one learner fit, so an attack's imputer and its baseline answer identically.
    """
    kind = attack.sensitive_kind_
    seed = attack.random_state if random_state is None else random_state
    return ImputationBaseline(
        attack.layout_.sensitive,
        candidates=attack.candidates_ if kind == "categorical" else "auto",
        sensitive_type=kind,
        random_state=seed,
    ).fit(model_columns_of(attack.layout_, X_aux), y_aux)


def fit_shared_imputer(attack, X_aux, y_aux):
    """Fit ``attack.imputer_``: the :class:`ImputationBaseline` the attack uses for its prior or
    fallback, exactly as the baseline it is compared with is fitted
    (:func:`fit_imputer_like_baseline`).

    Within a run (:mod:`tabinvert._cache`) the baseline and every attack seeded alike share one
    fit, so where the model's answer does not depend on the sensitive value the attack's
    posterior *is* the baseline's and its advantage is exactly 0.
    """
    attack.imputer_ = fit_imputer_like_baseline(attack, X_aux, y_aux)
    return attack.imputer_


_MAX_CV_ROWS = 50_000  # beyond this the learner is trusted (the comparison would cost minutes)


def _compare_with_marginal(learner, features, target, task, random_state):
    """5-fold comparison of the learner with the marginal on the auxiliary records (ties: the
    marginal)."""
    return cross_validated_choice(
        {"learner": learner}, features, target, task, random_state, order=("marginal", "learner")
    )


def cross_validated_choice(learners, features, target, task, random_state, order):
    """5-fold score of each learner and of the marginal on the same folds; the best.

    ``order`` lists the names (``"marginal"`` included) from most to least preferred on a tie.
    Returns ``{"chosen": name, "metric": "accuracy" | "mae", name: mean score, ...}``.
    """
    folds = KFold(
        n_splits=5,
        shuffle=True,
        random_state=check_random_state(random_state).randint(np.iinfo(np.int32).max),
    )
    scores = {name: [] for name in (*learners, "marginal")}
    for train, test in folds.split(features):
        for name, learner in learners.items():
            fitted = clone(learner)
            with learner_threads(len(train)):
                fitted.fit(features.iloc[train], target[train])
                predicted = fitted.predict(features.iloc[test])
            if task == "classification":
                scores[name].append(np.mean(predicted == target[test]))
            else:
                scores[name].append(np.mean(np.abs(predicted - target[test])))
        if task == "classification":
            values, counts = np.unique(target[train], return_counts=True)
            scores["marginal"].append(np.mean(values[counts.argmax()] == target[test]))
        else:
            scores["marginal"].append(np.mean(np.abs(np.median(target[train]) - target[test])))
    means = {name: float(np.mean(values)) for name, values in scores.items()}
    best = max if task == "classification" else min  # the first of equals wins: ``order``
    return {
        "chosen": best(order, key=means.get),
        "metric": "accuracy" if task == "classification" else "mae",
        **means,
    }


def candidate_positions(values, target):
    """Position of each target value among the candidate values."""
    lookup = {v: i for i, v in enumerate(values)}
    return pd.Series(target).map(lookup).to_numpy(dtype=int)

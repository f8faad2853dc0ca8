"""Black-box attacks that read the model's confidence: Fredrikson's MAP inversion and CSMIA."""

from __future__ import annotations

from numbers import Real

import numpy as np
import pandas as pd

from .._sklearn_compat import Interval, StrOptions
from .._query import DEFAULT_MAX_ROWS_PER_CALL, n_records
from .._validation import check_observed
from ._base import (
    COMMON_PARAMS_DOC,
    THREAT_MODEL_DOC,
    AttackCapabilities,
    BaseAttack,
    argmax_random_ties,
    gaussian_error_scale,
    model_is_classifier,
)

_TINY = 1e-12
_LABEL_NOISE = 0.01  # chance an observed label differs from the model's answer
# Up to this many classes (or candidates), work one whole column of records at a time: a few
# vectorised passes beat numpy's per-row loops over a short axis, and pandas' hashing of text.
_FEW = 8

# Scores are computed candidate-major, as (k, n) arrays (one contiguous row of records per
# candidate, like the query engine's storage), and handed over transposed: (n, k) in Fortran
# order, so the base class's row reductions (normalising, arg-max with ties) also run over
# whole columns.


def _softmax(log_scores):
    """Softmax over the candidates of a (k, n) array, in place (a temporary of the caller)."""
    log_scores -= log_scores.max(axis=0)
    np.exp(log_scores, out=log_scores)
    log_scores /= log_scores.sum(axis=0)
    return log_scores


def _argmax_first(stack):
    """Position of the largest of ``stack[0], stack[1], ...`` (the first on ties), elementwise."""
    if len(stack) > _FEW:
        return stack.argmax(axis=0)
    best = stack[0]
    position = np.zeros(best.shape, dtype=np.intp)
    for j in range(1, len(stack)):
        better = stack[j] > best
        position[better] = j
        best = np.maximum(best, stack[j])
    return position


def _take_class(storage, positions):
    """``storage[positions[i], :, i]`` for every record ``i``: a (k, n) array.

    ``storage`` is (n_classes, k, n), ``positions`` (n,): each record's class column.
    """
    if len(storage) > _FEW:
        k, n = storage.shape[1:]
        return storage[positions[None, :], np.arange(k)[:, None], np.arange(n)[None, :]]
    picked = storage[0].copy()
    for c in range(1, len(storage)):
        np.copyto(picked, storage[c], where=(positions == c)[None, :])
    return picked


def class_positions(classes, labels, *, name="y"):
    """Column of each label among the model's ``classes_``; a clear error for unknown labels."""
    classes, labels = np.asarray(classes), np.asarray(labels)
    if len(classes) <= _FEW:  # one vectorised comparison per class; no hashing of every label
        positions = np.full(labels.shape, -1, dtype=np.intp)
        for j in range(len(classes) - 1, -1, -1):  # the first equal class wins, as in an Index
            positions[labels == classes[j]] = j
    else:
        positions = pd.Index(classes).get_indexer(labels)
    if (positions < 0).any():
        unknown = pd.unique(np.asarray(labels)[positions < 0])[:5].tolist()
        raise ValueError(
            f"{name} holds label(s) {unknown} that the model does not predict (its classes are "
            f"{np.asarray(classes).tolist()[:10]}). Pass labels in the model's encoding."
        )
    return positions


class ConfidenceInversion(BaseAttack):
    """Infer a sensitive attribute from how the model's answers change with each candidate.

    For every target record and every candidate value of the sensitive attribute, the attack
    queries the model on the record completed with that value (one batched call over all
    ``n × k`` completions) and weighs the candidates by how well each explains what the attacker
    observed.

    ``method="map"`` — Fredrikson et al. 2014 (USENIX Security) / 2015 (CCS): the posterior
    ``P(v | x_K, y) ∝ P(y | x_K ⊕ v) · prior(v)``, where ``P(y | ·)`` is

    * the model's confidence in the true label (``likelihood="proba"``);
    * the model's confusion matrix entry ``Pr[ŷ_v | y]`` estimated on the auxiliary data
      (``likelihood="confusion"``; labels only, the "FJRMIA" of Mehnaz et al.);
    * for regressors, a Gaussian error model ``N(y; f(x_K ⊕ v), σ)`` with σ the model's RMSE on
      the auxiliary data (Fredrikson 2014's warfarin attack);

    times, when the attacker saw the model's output for the real record (``observed``), a kernel
    on the distance between that output and each candidate's output. The guess is the MAP value
    (categorical) or the posterior mean (numeric).

    ``method="csmia"`` — Mehnaz et al. 2022 (USENIX Security) confidence-score attack: if
    exactly one candidate makes the model predict the true label, guess it; if several do, the
    one the model is most confident about; if none does, the one it is least confident about.
    Ties are broken at random (``random_state``).
    {threat_model}
    Parameters
    ----------
    estimator : object
        The target model (fitted): a classifier with ``predict_proba`` or a regressor with
        ``predict``; a bare estimator, a Pipeline, an XGBoost model. Held frozen, never
        refitted.
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    method : {{"map", "csmia"}}, default="map"
        Fredrikson's MAP inversion or Mehnaz's CSMIA rules.
    prior : {{"marginal", "uniform", "imputation"}}, default="marginal"
        MAP only. The candidates' prior: their frequency in the auxiliary data (Fredrikson),
        uniform, or a per-record prior from the imputation baseline itself
        (:class:`ImputationBaseline` fitted exactly as the baseline the attack is compared
        with, on the same auxiliary data and, when ``y_aux`` is given, labels): imputation and
        model combined. Where the model's answer is the same for every candidate value, the
        attack's posterior and guess are the baseline's (its advantage there is exactly 0).
    likelihood : {{"auto", "proba", "confusion", "gaussian"}}, default="auto"
        MAP only. "auto": "proba" for classifiers with ``predict_proba``, "confusion" for
        label-only classifiers, "gaussian" for regressors.
    confidence : "max_proba" or callable, default="max_proba"
        CSMIA only. The confidence of an answer: the largest class probability, or a function of
        the (n, n_classes) probability matrix returning (n,) values.
    noise_scale : float, default=None
        MAP with a regressor: the σ of the Gaussian error model (default: the model's RMSE on
        ``y_aux``). With ``observed`` outputs: the kernel width (default 0.01 for probabilities,
        1% of the spread of the model's outputs on the auxiliary data for regressors).
    {common}
    Attributes
    ----------
    candidates_ : ndarray
        Candidate values of the sensitive attribute.
    prior_ : ndarray
        Their frequency in the auxiliary data (add-one smoothed).
    sensitive_kind_ : str
        "categorical" or "numeric".
    fit_query_cost_, last_query_cost_ : QueryCost
        Rows and calls spent in ``fit`` (on auxiliary records) and in the last ``attack``.
    imputer_ : ImputationBaseline
        With ``prior="imputation"``: the fitted imputation baseline that gives the prior.
    last_flat_records_ : ndarray of bool
        Targets of the last ``attack`` for which the model answered the same for every
        candidate value (the model told the attacker nothing about them).

    Examples
    --------
    A model that leaks: the label is the sensitive value XOR a known feature.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(
    ...     {{"known": rng.integers(0, 2, 400), "secret": rng.integers(0, 2, 400)}}
    ... )
    >>> y = X["known"] ^ X["secret"]
    >>> model = DecisionTreeClassifier(random_state=0).fit(X, y)
    >>> attack = ConfidenceInversion(model, "secret").fit(X[:200], y[:200])
    >>> float((attack.attack(X[200:], y[200:]) == X["secret"][200:]).mean())
    1.0
    """

    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "method": [StrOptions({"map", "csmia"})],
        "prior": [StrOptions({"marginal", "uniform", "imputation"})],
        "likelihood": [StrOptions({"auto", "proba", "confusion", "gaussian"})],
        "confidence": [StrOptions({"max_proba"}), callable],
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
    }

    def __init__(
        self,
        estimator,
        sensitive,
        *,
        method="map",
        prior="marginal",
        likelihood="auto",
        confidence="max_proba",
        noise_scale=None,
        candidates="auto",
        sensitive_type="auto",
        n_grid=20,
        max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.sensitive = sensitive
        self.method = method
        self.prior = prior
        self.likelihood = likelihood
        self.confidence = confidence
        self.noise_scale = noise_scale
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.max_rows_per_call = max_rows_per_call
        self.n_jobs = n_jobs
        self.random_state = random_state

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        if self.method == "csmia":
            # Its scores rank the candidates (2 + confidence for a label match), not odds.
            return AttackCapabilities(
                "CSMIA",
                "outputs",
                calibrated=False,
                reference="Mehnaz et al., USENIX Security 2022",
            )
        if self.likelihood == "confusion":
            name = "MAP-confusion (FJRMIA)"
        else:
            name = "MAP" if self.prior == "marginal" else f"MAP ({self.prior} prior)"
        return AttackCapabilities(
            name,
            self._access_of_response(),
            reference="Fredrikson et al., USENIX Security 2014; CCS 2015",
        )

    def _resolved_likelihood(self, model):
        if self.likelihood != "auto":
            return self.likelihood
        if not model_is_classifier(model):
            return "gaussian"
        return "proba" if hasattr(model, "predict_proba") else "confusion"

    def _get_response_method(self, model):
        if self.method == "csmia":
            if not model_is_classifier(model):
                raise ValueError(
                    "method='csmia' needs a classifier (it compares predicted labels with the "
                    "true label); for a regressor use method='map'."
                )
            return "predict_proba"
        return "predict_proba" if self._resolved_likelihood(model) == "proba" else "predict"

    def _fit_attack(self, X_aux, y_aux):
        likelihood = self._resolved_likelihood(self.estimator)
        if likelihood == "gaussian" and self.is_classifier_:
            raise ValueError("likelihood='gaussian' is for regressors; this model is a classifier.")
        if likelihood in ("proba", "confusion") and not self.is_classifier_:
            raise ValueError(f"likelihood={likelihood!r} needs a classifier; use 'gaussian'.")
        self.likelihood_ = likelihood if self.method == "map" else None
        if self.is_classifier_:
            self.classes_model_ = np.asarray(self.estimator.classes_)
        if self.method == "map" and likelihood == "confusion":
            if y_aux is None:
                raise ValueError(
                    "likelihood='confusion' estimates the model's confusion matrix on labelled "
                    "auxiliary records: pass y_aux to fit()."
                )
            predicted = self._query_aux(X_aux, "predict")[:, 0]
            n_classes = len(self.classes_model_)
            counts = np.ones((n_classes, n_classes))  # add-one: no impossible confusion
            np.add.at(
                counts,
                (
                    class_positions(self.classes_model_, y_aux, name="y_aux"),
                    class_positions(self.classes_model_, predicted, name="model output"),
                ),
                1,
            )
            self.confusion_ = counts / counts.sum(axis=1, keepdims=True)  # Pr[ŷ | y]
        if self.method == "map" and likelihood == "gaussian":
            predicted = self._query_aux(X_aux, "predict")[:, 0]
            self.sigma_, self.output_spread_ = gaussian_error_scale(
                predicted, y_aux, self.noise_scale
            )
        if self.method == "map" and self.prior == "imputation":
            if self.sensitive_kind_ == "numeric":
                raise ValueError(
                    "prior='imputation' is available for categorical sensitive attributes only."
                )
            # The very imputer the baseline is (label included when the attacker has labels),
            # so that where the model's answer does not depend on the sensitive value the
            # posterior is the baseline's. With labels, the label's population signal enters
            # through both the prior and the model's likelihood: the attack leans on it more
            # than a calibrated posterior would, never less than imputation does.
            self._fit_imputer(X_aux, y_aux)

    # -- scoring ------------------------------------------------------------------------------
    def _candidate_scores(self, known, y, observed):
        if y is None and observed is None:
            raise ValueError(
                f"{type(self).__name__} compares the model's answers with what the attacker "
                "observed: pass the targets' true labels (y) and/or the model's outputs for "
                "their real records (observed)."
            )
        observed = check_observed(observed, n_records(known))
        if self.method == "csmia":
            if y is None:
                raise ValueError("method='csmia' needs the targets' true labels: pass y.")
            return self._csmia_scores(self._query(known), y)
        return self._map_scores(self._query(known), known, y, observed)

    def _map_scores(self, outputs, known, y, observed):
        n, k = outputs.shape[:2]
        storage = outputs.transpose(2, 1, 0)  # (n_outputs, k, n): the query engine's storage
        if self.prior == "marginal":
            log_post = np.repeat(np.log(self.prior_)[:, None], n, axis=1)
        elif self.prior == "uniform":
            log_post = np.zeros((k, n))
        else:
            prior = self._imputer_scores(known, y)
            log_post = np.log(np.ascontiguousarray(np.asarray(prior).T))
        if self.likelihood_ == "gaussian":
            predicted = storage[0].astype(float)
            if y is not None:
                if self.sigma_ is None:
                    raise ValueError(
                        "The Gaussian error model needs σ: pass y_aux to fit() (σ = the model's "
                        "RMSE on it) or set noise_scale."
                    )
                residual = np.asarray(y, dtype=float)[None, :] - predicted
                log_post += -0.5 * (residual / self.sigma_) ** 2
            if observed is not None:
                width = self.noise_scale or 0.01 * self.output_spread_
                gap = np.asarray(observed, dtype=float).reshape(n, -1)[:, 0][None, :] - predicted
                log_post += -0.5 * (gap / width) ** 2
            return _softmax(log_post).T
        labels = None
        if self.likelihood_ == "proba":
            if y is not None:
                true_proba = _take_class(storage, class_positions(self.classes_model_, y))
                # The label is the model's answer up to noise: a tree's probability of 0 must
                # not veto a candidate outright (Pr[y] = (1 - ε) p + ε / n_classes).
                true_proba *= 1 - _LABEL_NOISE
                true_proba += _LABEL_NOISE / len(self.classes_model_)
                log_post += np.log(true_proba, out=true_proba)
            if observed is not None and not (observed.ndim == 2 and observed.shape[1] > 1):
                labels = self.classes_model_[_argmax_first(storage)]
        else:
            labels = storage[0]
            if y is not None:
                true_pos = class_positions(self.classes_model_, y)
                pred_pos = class_positions(
                    self.classes_model_, labels.ravel(), name="model output"
                ).reshape(k, n)
                log_post += np.log(self.confusion_)[true_pos[None, :], pred_pos]
        if observed is not None:
            log_post += self._observed_log_likelihood(storage, labels, observed)
        return _softmax(log_post).T

    def _observed_log_likelihood(self, storage, labels, observed):
        """Log-likelihood (k, n) of what the victim saw, given each candidate's answer."""
        if observed.ndim == 2 and observed.shape[1] > 1:
            if observed.shape[1] != storage.shape[0]:
                raise ValueError(
                    f"observed has {observed.shape[1]} columns but the model answers with "
                    f"{storage.shape[0]} class probabilities; pass its predict_proba output."
                )
            if self.likelihood_ != "proba":
                raise ValueError(
                    "observed holds probabilities but the attack queries labels only; pass the "
                    "observed labels (1-D) or use likelihood='proba'."
                )
            width = self.noise_scale or 0.01
            distance2 = ((storage - observed.T[:, None, :].astype(float)) ** 2).sum(axis=0)
            return -0.5 * distance2 / width**2
        n_classes = len(self.classes_model_)
        same = labels == observed.reshape(-1)[None, :]
        return np.where(same, np.log(1 - _LABEL_NOISE), np.log(_LABEL_NOISE / (n_classes - 1)))

    def _csmia_scores(self, outputs, y):
        n, k, n_classes = outputs.shape
        storage = outputs.transpose(2, 1, 0)  # (n_classes, k, n)
        predicted = _argmax_first(storage)  # positions in classes_, compared as integers
        if callable(self.confidence):
            conf = np.asarray(self.confidence(outputs.reshape(n * k, n_classes))).reshape(n, k).T
        else:  # "max_proba"
            conf = storage.max(axis=0)
        matches = predicted == class_positions(self.classes_model_, y)[None, :]
        n_matches = matches.sum(axis=0)
        any_match = n_matches > 0
        # A ranking that reproduces the three cases: matching candidates first (most confident
        # first); if none matches, the least confident wrong answer first.
        scores = np.where(matches, 2.0 + conf, np.where(any_match, 0.0, 1.0 - conf))
        self.last_case_counts_ = {
            "one_match": int((n_matches == 1).sum()),
            "several_match": int((n_matches > 1).sum()),
            "no_match": int(n - any_match.sum()),
        }
        scores += _TINY
        return scores.T

    def _decide(self, scores):
        if self.method == "csmia":
            return self.candidates_[argmax_random_ties(scores, self.random_state)]
        return super()._decide(scores)


ConfidenceInversion.__doc__ = ConfidenceInversion.__doc__.format(
    threat_model=THREAT_MODEL_DOC, common=COMMON_PARAMS_DOC.lstrip()
)

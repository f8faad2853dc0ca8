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
from ._imputation import fit_shared_imputer

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


#: Observed outputs without ``noise_scale``: a record's kernel width is the separation of its
#: candidates' outputs divided by this, so the best match beats every candidate the observation
#: tells apart from it by at least ½·20² = 200 nats, more than a prior or a label can outweigh.
_SHARPNESS = 20.0
#: ... and, for a numeric attribute whose true value no candidate reproduces (it lies between
#: two grid values of a continuous model), by this: a soft kernel, half the separation wide,
#: so that the posterior mean interpolates between the neighbouring candidates.
_INTERPOLATION = 2.0
#: Outputs closer than this (times the observed output's scale, at least 1) are one answer:
#: float noise between two computations of a value, not evidence.
_SAME_OUTPUT = 1e-12
#: The most decimals an observed output is read as rounded to (float32 outputs: 4, as their
#: precision blurs finer grids).
_MAX_DECIMALS = 6


def _rounding_step(observed):
    """``10**-d`` for the fewest decimals ``d`` that every observed value has, else 0.

    Values on such a grid were rounded (or the model only gives such values, e.g. a tree's
    0 and 1): a candidate whose output rounds to the observed value reproduces it.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._confidence import _rounding_step
    >>> _rounding_step(np.array([[0.25, 0.75], [0.5, 0.5]])), _rounding_step(np.array([1 / 3]))
    (0.01, 0.0)
    >>> _rounding_step(np.round(np.array([0.1234567], dtype=np.float32), 1))
    0.1
    """
    values = np.asarray(observed)
    single = values.dtype.kind == "f" and values.dtype.itemsize <= 4
    values = values.astype(float)
    tolerance = 4 * np.finfo(np.float32 if single else np.float64).eps
    for decimals in range((4 if single else _MAX_DECIMALS) + 1):
        scaled = values * 10.0**decimals
        off = np.abs(scaled - np.rint(scaled))
        if np.all(off <= tolerance * np.maximum(1.0, np.abs(scaled))):
            return 10.0**-decimals
    return 0.0


def _observed_kernel(storage, observed, width=None, *, numeric=False):
    """Log-likelihood (k, n) of the observed outputs given each candidate's answer.

    ``storage`` is (n_outputs, k, n), the candidates' answers; ``observed`` (n, n_outputs),
    what each victim saw. A Gaussian kernel on the Euclidean distance between the two, of
    ``width`` (``noise_scale``) when given.

    Otherwise the observed output is taken as exact and the width comes from the evidence, per
    record: with ``p*`` the candidate output closest to the observed ``q`` and ``s`` the
    distance from ``p*`` to the nearest *different* candidate output, ``w = s / 20`` and the
    log-likelihood is ``-(‖p - q‖² - ‖p* - q‖²) / 2w²``. When ``q`` matches ``p*`` exactly,
    every candidate with another output loses at least 200 nats (``200 (1 - 2‖p* - q‖ / s)``
    when ``q`` is off by less than ``s/2``): whatever the prior, MAP picks what nearest-output
    matching picks. Candidates with ``p*``'s very output tie with it, and so, nearly, does one
    about as far from ``q`` as ``p*``: the observation cannot tell those apart, the prior
    decides. Being relative, this fits raw probabilities, rounded ones and a regressor's
    outputs in any unit. For a categorical attribute (the guess is the arg-max) a rounding
    step is deliberately not read as a width: calling every candidate that rounds to ``q``
    equally likely hands the choice among them to the prior, which scored below nearest-output
    matching (balanced accuracy) on rounded outputs.

    ``numeric=True`` (the guess is the posterior mean, which must average what the observation
    cannot separate): distances are measured from the rounding cell of ``q`` (half a step of
    :func:`_rounding_step` around it), so every candidate that rounds to ``q`` reproduces it
    and the prior weighs those; when some candidate reproduces ``q`` the others lose as above,
    and when none does (a continuous model: the true value lies between two candidates) the
    kernel is soft, ``w = s / 2``, and the mean interpolates between them.
    """
    storage = np.asarray(storage, dtype=float)
    seen = np.asarray(observed, dtype=float).T  # (n_outputs, n)
    gap = storage - seen[:, None, :]
    if width is not None:
        return -0.5 * (gap**2).sum(axis=0) / width**2
    if numeric:  # the distance to the values that round to q
        gap = np.maximum(np.abs(gap) - 0.5 * _rounding_step(observed) * (1 + 1e-9), 0.0)
    mismatch2 = (gap**2).sum(axis=0)  # (k, n)
    best = _argmax_first(-mismatch2)
    best_output = _take_class(storage.transpose(1, 0, 2), best)  # (n_outputs, n)
    offset = storage - best_output[:, None, :]  # each candidate's output minus the best's
    separation2 = (offset**2).sum(axis=0)
    tie2 = (_SAME_OUTPUT * np.maximum(1.0, np.abs(seen).max(axis=0))) ** 2
    same = separation2 <= tie2
    s2 = np.where(same, np.inf, separation2).min(axis=0)
    s2[~np.isfinite(s2)] = 1.0  # every candidate gives the same answer: the prior decides
    if numeric:
        least = mismatch2.min(axis=0)
        excess = mismatch2 - least
        sharpness = np.where(least <= tie2, _SHARPNESS, _INTERPOLATION)
    else:
        # ‖p - q‖² - ‖p* - q‖² = ‖p - p*‖² + 2 (p - p*)·(p* - q), without cancellation.
        excess = separation2 + 2 * (offset * (best_output - seen)[:, None, :]).sum(axis=0)
        sharpness = _SHARPNESS
    log_lik = np.maximum(excess, 0.0)
    log_lik *= -0.5 * sharpness**2 / s2
    log_lik[same] = 0.0
    return log_lik


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
        ``y_aux``). With ``observed`` outputs: the width of the Gaussian kernel on the distance
        between the observed output and each candidate's, in the outputs' units; set it to the
        noise the observations carry (e.g. a noise defense's σ) for a soft kernel. By default
        the observed outputs are taken as exact and each record's width is 1/20 of the distance
        between the candidate output nearest the observed one and the next different candidate
        output: the closest candidate then wins by at least 200 nats whenever the observation
        matches it, whatever the prior, so MAP is never below nearest-output matching and the
        prior decides only between candidates the observation cannot tell apart. For a numeric
        attribute (guessed by the posterior mean) observed values on a decimal grid count as
        rounded, every candidate whose output rounds to them reproduces them, and where no
        candidate reproduces the observation the width is half the separation, so the mean
        interpolates between neighbouring candidates. (The default used to be a fixed 0.01 for
        probabilities and 1% of the outputs' spread for regressors, which let the prior
        overrule an exact match.)
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
            fit_shared_imputer(self, X_aux, y_aux)

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
                seen = np.asarray(observed).reshape(n, -1)[:, :1]
                log_post += _observed_kernel(
                    predicted[None],
                    seen,
                    self.noise_scale,
                    numeric=self.sensitive_kind_ == "numeric",
                )
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
            return _observed_kernel(
                storage, observed, self.noise_scale, numeric=self.sensitive_kind_ == "numeric"
            )
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

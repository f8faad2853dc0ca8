"""The evidence about a record and its log-likelihood under the model's answers.

What the attacker observed about a target record — its true label or output, or the model's
output the victim saw — is held as :class:`Evidence`. Its log-likelihood given the record's
completion is the attacker's objective: ``log p_y(x)`` for a classifier's label;
``-(y - f(x))² / 2σ²`` around a regressor's true output; a Gaussian kernel of width ``w`` on
observed outputs, ``-‖p(x) - q‖² / 2w²`` on probabilities or ``-‖clr p(x) - clr q‖² / 2w²`` on
their centred log-ratios (the centred logits, which do not flatten where probabilities
saturate). :func:`evidence_log_likelihood` scores the model's answers (black-box);
:func:`output_log_likelihood` scores the output layer's pre-activation and gives its gradient,
the first step of backpropagation (white-box). The two agree.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
from scipy.special import expit, log_expit, logsumexp

from .._validation import check_observed
from ._confidence import class_positions

_TINY = 1e-300


@dataclass
class Evidence:
    """What the attacker observed about each record, in the model's encoding.

    Parameters
    ----------
    labels : ndarray of shape (n,) or None
        Positions of the records' true labels in the model's ``classes_`` (classifiers).
    observed_labels : ndarray of shape (n,) or None
        Positions of labels the victim saw the model output (scored like ``labels``: a label is
        not differentiable, its log-probability is).
    observed_proba : ndarray of shape (n, n_classes) or None
        Probabilities the victim saw (classifiers), compared with a Gaussian kernel.
    observed_logits : ndarray of shape (n, n_classes) or None
        Their centred log-ratios ``log q - mean(log q)`` (``q`` clipped at 1e-12), used instead
        of ``observed_proba`` by the "logit" kernel.
    target : ndarray of shape (n,) or None
        True outputs (regressors), with Gaussian noise ``sigma``.
    observed_output : ndarray of shape (n,) or None
        The regressor's output the victim saw, with kernel width ``width``.
    sigma, width : float
        Noise scale of ``target`` and kernel width of the observed outputs.
    """

    labels: np.ndarray | None = None
    observed_labels: np.ndarray | None = None
    observed_proba: np.ndarray | None = None
    observed_logits: np.ndarray | None = None
    target: np.ndarray | None = None
    observed_output: np.ndarray | None = None
    sigma: float = 1.0
    width: float = 0.01

    def take(self, index):
        """The evidence of records ``index`` (e.g. one row per optimisation chain)."""
        fields = (
            "labels",
            "observed_labels",
            "observed_proba",
            "observed_logits",
            "target",
            "observed_output",
        )
        return replace(
            self,
            **{f: None if getattr(self, f) is None else getattr(self, f)[index] for f in fields},
        )


def make_evidence(
    is_classifier_,
    classes,
    y=None,
    observed=None,
    *,
    sigma=None,
    width=None,
    observed_kernel="proba",
):
    """Build :class:`Evidence` from labels/outputs as the attacker holds them.

    Classifiers: ``y`` holds labels; ``observed`` is either probabilities (n, n_classes),
    compared with a kernel of width ``width`` (default 0.01) on the probabilities
    (``observed_kernel="proba"``) or on their centred log-ratios ("logit"), or labels (1-D).
    Regressors: ``y`` holds true outputs (Gaussian noise ``sigma``, required) and ``observed``
    model outputs (kernel width ``width``, required).
    """
    if y is None and observed is None:
        raise ValueError(
            "The attack compares the model's answers with what the attacker observed: pass the "
            "targets' true labels or outputs (y) and/or the model's outputs for their real "
            "records (observed)."
        )
    if observed is not None:
        observed = check_observed(observed, len(observed))
    if is_classifier_:
        return _classifier_evidence(classes, y, observed, width, observed_kernel)
    evidence = Evidence()
    if y is not None:
        if sigma is None:
            raise ValueError(
                "The Gaussian error model of a regressor needs σ: pass y_aux to fit() (σ = the "
                "model's RMSE on it) or set noise_scale."
            )
        evidence.target = np.asarray(y, dtype=float).reshape(-1)
        evidence.sigma = float(sigma)
    if observed is not None:
        evidence.observed_output = np.asarray(observed, dtype=float).reshape(len(observed), -1)[
            :, 0
        ]
        evidence.width = float(width)
    return evidence


def _classifier_evidence(classes, y, observed, width, observed_kernel):
    """:func:`make_evidence` for a classifier: label positions, or observed probabilities."""
    evidence = Evidence()
    if y is not None:
        evidence.labels = class_positions(classes, np.asarray(y))
    if observed is None:
        return evidence
    observed = np.asarray(observed)
    if observed.ndim == 2 and observed.shape[1] > 1:
        if observed.shape[1] != len(classes):
            raise ValueError(
                f"observed has {observed.shape[1]} columns but the model answers with "
                f"{len(classes)} class probabilities; pass its predict_proba output."
            )
        if observed_kernel == "logit":
            log_q = np.log(np.clip(observed.astype(float), 1e-12, None))
            evidence.observed_logits = log_q - log_q.mean(axis=1, keepdims=True)
        else:
            evidence.observed_proba = observed.astype(float)
        evidence.width = float(width or 0.01)
    else:
        evidence.observed_labels = class_positions(classes, observed.reshape(-1), name="observed")
    return evidence


def evidence_log_likelihood(outputs, evidence, is_classifier_):
    """The evidence's log-likelihood from the model's answers (black-box: no gradient).

    ``outputs`` is ``predict_proba``'s (n, n_classes) for classifiers, ``predict``'s (n,) or
    (n, 1) for regressors. Agrees with :func:`output_log_likelihood`'s value.
    """
    outputs = np.asarray(outputs, dtype=float)
    n = len(outputs)
    value = np.zeros(n)
    if is_classifier_:
        rows = np.arange(n)
        for positions in (evidence.labels, evidence.observed_labels):
            if positions is not None:
                value += np.log(np.maximum(outputs[rows, positions], _TINY))
        if evidence.observed_proba is not None:
            gap = outputs - evidence.observed_proba
            value -= 0.5 * (gap * gap).sum(axis=1) / evidence.width**2
        if evidence.observed_logits is not None:
            log_p = np.log(np.maximum(outputs, _TINY))
            gap = log_p - log_p.mean(axis=1, keepdims=True) - evidence.observed_logits
            value -= 0.5 * (gap * gap).sum(axis=1) / evidence.width**2
        return value
    outputs = outputs.reshape(n, -1)[:, 0]
    if evidence.target is not None:
        value -= 0.5 * ((evidence.target - outputs) / evidence.sigma) ** 2
    if evidence.observed_output is not None:
        value -= 0.5 * ((evidence.observed_output - outputs) / evidence.width) ** 2
    return value


def output_log_likelihood(s, evidence, head):
    """The evidence's log-likelihood and its gradient w.r.t. the output pre-activation ``s``.

    Parameters
    ----------
    s : ndarray of shape (n, n_outputs)
        The output layer's pre-activation.
    evidence : Evidence
    head : {"identity", "exp", "logistic", "softmax"}
        The output activation (a regressor's identity or exp; a classifier's logistic or
        softmax).

    Returns
    -------
    value : ndarray of shape (n,)
    gradient : ndarray of shape (n, n_outputs)
    """
    if head in ("identity", "exp"):
        return _regression_head(s, evidence, head)
    if head == "logistic":
        return _logistic_head(s, evidence)
    return _softmax_head(s, evidence)


def _regression_head(s, ev, head):
    """Gaussian errors around a regressor's true and observed outputs ``f = s`` or ``exp s``."""
    value = np.zeros(s.shape[0])
    grad = np.zeros_like(s)
    f = s[:, 0] if head == "identity" else np.exp(s[:, 0])
    slope = 1.0 if head == "identity" else f  # df/ds
    for truth, scale in ((ev.target, ev.sigma), (ev.observed_output, ev.width)):
        if truth is not None:
            residual = (truth - f) / scale
            value -= 0.5 * residual**2
            grad[:, 0] += residual / scale * slope
    return value, grad


def _logistic_head(s, ev):
    """A binary classifier with one logit ``z``: ``p = (1 - σ(z), σ(z))``."""
    value = np.zeros(s.shape[0])
    grad = np.zeros_like(s)
    z = s[:, 0]
    p1 = expit(z)
    for positions in (ev.labels, ev.observed_labels):
        if positions is not None:
            positive = positions == 1
            value += log_expit(np.where(positive, z, -z))
            grad[:, 0] += positive - p1
    if ev.observed_proba is not None:
        p = np.column_stack([1.0 - p1, p1])
        gap = ev.observed_proba - p
        value -= 0.5 * (gap * gap).sum(axis=1) / ev.width**2
        g = gap / ev.width**2  # d value / d p
        grad[:, 0] += (g[:, 1] - g[:, 0]) * p1 * (1.0 - p1)
    if ev.observed_logits is not None:  # centred log-ratios of (1 - p, p): ∓z/2
        d0 = -z / 2 - ev.observed_logits[:, 0]
        d1 = z / 2 - ev.observed_logits[:, 1]
        value -= 0.5 * (d0 * d0 + d1 * d1) / ev.width**2
        grad[:, 0] += (d0 - d1) / (2 * ev.width**2)
    return value, grad


def _softmax_head(s, ev):
    """A classifier with one logit per class: ``p = softmax(s)``."""
    n = s.shape[0]
    value = np.zeros(n)
    grad = np.zeros_like(s)
    rows = np.arange(n)
    log_p = s - logsumexp(s, axis=1, keepdims=True)
    p = np.exp(log_p)
    for positions in (ev.labels, ev.observed_labels):
        if positions is not None:
            value += log_p[rows, positions]
            grad -= p
            grad[rows, positions] += 1.0
    if ev.observed_proba is not None:
        gap = ev.observed_proba - p
        value -= 0.5 * (gap * gap).sum(axis=1) / ev.width**2
        g = gap / ev.width**2
        grad += p * (g - (p * g).sum(axis=1, keepdims=True))
    if ev.observed_logits is not None:  # centred log-ratios are the centred logits
        gap = s - s.mean(axis=1, keepdims=True) - ev.observed_logits
        value -= 0.5 * (gap * gap).sum(axis=1) / ev.width**2
        grad -= gap / ev.width**2  # gap is centred: the centring's Jacobian keeps it
    return value, grad

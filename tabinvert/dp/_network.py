"""A small dense network with per-example gradient norms, for DP-SGD.

Layer ``l`` computes ``z_l = a_{l-1} W_l + b_l`` and ``a_l = f(z_l)`` (the last layer's
output is left linear: the loss adds the sigmoid or softmax). For one example ``i`` the
gradient of ``W_l`` is the outer product ``a_{l-1,i} δ_{l,i}ᵀ``, whose Frobenius norm is
``‖a_{l-1,i}‖·‖δ_{l,i}‖``, and that of ``b_l`` is ``δ_{l,i}``. So every example's gradient
norm over all layers is

    ‖g_i‖² = Σ_l ‖δ_{l,i}‖² (‖a_{l-1,i}‖² + 1),

computed from the batch's activations and back-propagated errors without materialising any
per-example gradient, and the sum of the clipped gradients is ``a_{l-1}ᵀ (δ_l · s)`` with
``s_i`` each example's clipping factor: batched matrix products, no loop over records.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, softmax

__all__ = [
    "backward",
    "clipped_gradient_sum",
    "forward",
    "init_parameters",
    "output_error",
    "per_example_norms",
    "predict_output",
]


def _relu(z):
    return np.maximum(z, 0.0)


ACTIVATIONS = {"tanh": np.tanh, "relu": _relu}


def _derivative(name, a):
    """f'(z) written with the activation's output ``a = f(z)``."""
    if name == "tanh":
        return 1.0 - a * a
    return (a > 0).astype(a.dtype)


def init_parameters(layer_sizes, rng):
    """Weights and biases; a single layer (a linear model) starts at zero.

    Hidden networks get Glorot-uniform weights (as scikit-learn's MLP) and zero biases.
    """
    coefs, intercepts = [], []
    pairs = list(zip(layer_sizes[:-1], layer_sizes[1:]))
    for fan_in, fan_out in pairs:
        if len(pairs) == 1:
            coefs.append(np.zeros((fan_in, fan_out)))
        else:
            bound = np.sqrt(6.0 / (fan_in + fan_out))
            coefs.append(rng.uniform(-bound, bound, size=(fan_in, fan_out)))
        intercepts.append(np.zeros(fan_out))
    return coefs, intercepts


def forward(coefs, intercepts, X, activation):
    """Activations of every layer: ``[X, a_1, ..., a_{L-1}, z_L]`` (the output linear)."""
    f = ACTIVATIONS[activation]
    out = [X]
    last = len(coefs) - 1
    for layer, (W, b) in enumerate(zip(coefs, intercepts)):
        z = out[-1] @ W
        z += b
        out.append(z if layer == last else f(z))
    return out


def predict_output(z, loss):
    """The model's output for raw scores ``z``: probabilities or the regression value."""
    if loss == "binary":
        return expit(z)
    if loss == "softmax":
        return softmax(z, axis=1)
    return z


def output_error(z, targets, loss):
    """``∂loss/∂z`` per example: ``p - y`` for log-loss and cross-entropy, ``ŷ - y`` for
    half the squared error."""
    return predict_output(z, loss) - targets


def backward(coefs, activations, error, activation):
    """Back-propagated errors ``[δ_1, ..., δ_L]`` of every layer, per example."""
    deltas = [error]
    for layer in range(len(coefs) - 1, 0, -1):
        error = (error @ coefs[layer].T) * _derivative(activation, activations[layer])
        deltas.append(error)
    return deltas[::-1]


def per_example_norms(activations, deltas, input_sq_norms=None):
    """Each example's gradient norm over all layers (weights and biases).

    ``input_sq_norms`` may hold the squared norms of the batch's input rows, computed once
    for the whole data set.
    """
    total = None
    for layer, delta in enumerate(deltas):
        a = activations[layer]
        if layer == 0 and input_sq_norms is not None:
            a_sq = input_sq_norms
        else:
            a_sq = np.einsum("ij,ij->i", a, a)
        part = np.einsum("ij,ij->i", delta, delta) * (a_sq + 1.0)
        total = part if total is None else total + part
    return np.sqrt(total)


def clipped_gradient_sum(activations, deltas, factors):
    """Sums over the batch of the per-example gradients, each scaled by its factor."""
    grads_w, grads_b = [], []
    for layer, delta in enumerate(deltas):
        scaled = delta * factors[:, None]
        grads_w.append(activations[layer].T @ scaled)
        grads_b.append(scaled.sum(axis=0))
    return grads_w, grads_b

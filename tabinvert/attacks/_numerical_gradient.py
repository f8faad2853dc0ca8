"""Black-box gradient estimates, from the model's answers alone.

An attacker without the model's parameters estimates the gradient of its objective by querying
perturbed points: central finite differences (``2p`` points per estimate, ``p`` the dimension)
or simultaneous-perturbation stochastic approximation (SPSA, Spall 1992; ``2 n_samples`` points
whatever ``p``). :func:`estimate_gradient` builds the perturbed points of many chains at once so
that all of them go to the model in a single batched call.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state


def estimate_gradient(func, U, *, method="spsa", epsilon=1e-3, n_samples=8, random_state=None):
    """Black-box gradient estimates of ``func`` at points ``U``, with one batched call.

    Parameters
    ----------
    func : callable
        ``func(points)`` with ``points`` of shape (N, M, p) returns values of shape (N, M):
        row ``i`` of the points belongs to chain (record) ``i``.
    U : ndarray of shape (N, p)
        Where to estimate the gradients.
    method : {"finite_differences", "spsa"}
        Central finite differences (``2p`` evaluations per point), or simultaneous-perturbation
        stochastic approximation (Spall 1992): ``n_samples`` random ±1 directions ``Δ``, each
        giving ``(f(u + εΔ) - f(u - εΔ)) / 2ε · Δ``, averaged (``2 n_samples`` evaluations).
    epsilon : float
        Perturbation size, in the units of ``U``.
    n_samples : int
        SPSA directions per point.
    random_state : int, RandomState instance or None
        Seeds the SPSA directions.

    Returns
    -------
    gradient : ndarray of shape (N, p)
    n_evaluations : int
        Points evaluated (rows sent to the model).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks import estimate_gradient
    >>> f = lambda P: -(P ** 2).sum(axis=-1)
    >>> grad, rows = estimate_gradient(f, np.array([[1.0, -2.0]]), method="finite_differences")
    >>> grad.round(6).tolist(), rows
    ([[-2.0, 4.0]], 4)
    """
    U = np.asarray(U, dtype=float)
    N, p = U.shape
    if method == "finite_differences":
        step = np.eye(p) * epsilon
        points = np.concatenate([U[:, None, :] + step, U[:, None, :] - step], axis=1)
        values = np.asarray(func(points), dtype=float)
        return (values[:, :p] - values[:, p:]) / (2.0 * epsilon), N * 2 * p
    if method != "spsa":
        raise ValueError(f"method must be 'finite_differences' or 'spsa'; got {method!r}.")
    rng = check_random_state(random_state)
    delta = rng.randint(0, 2, size=(N, n_samples, p)) * 2.0 - 1.0
    points = np.concatenate(
        [U[:, None, :] + epsilon * delta, U[:, None, :] - epsilon * delta], axis=1
    )
    values = np.asarray(func(points), dtype=float)
    slope = (values[:, :n_samples] - values[:, n_samples:]) / (2.0 * epsilon)
    return (slope[:, :, None] * delta).mean(axis=1), N * 2 * n_samples

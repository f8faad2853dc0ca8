"""Kernels inside the attacks, checked directly: the evidence likelihoods the gradient attacks
climb, the kernel that weighs an observed output, and the white-box tree attack's held-out
scoring of its auxiliary records.

These tests import the attacks' private modules on purpose (see README.md in this folder): the
public attacks are tested end to end under tests/attacks/, where a wrong kernel shows only as a
weaker attack.
"""

import warnings

import numpy as np
import pytest
from conftest import gradient_cases, leaf_population
from sklearn.base import clone
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

from tabinvert._validation import split_known
from tabinvert.attacks import DifferentiableModel, WhiteBoxTreeInversion
from tabinvert.attacks._confidence import _observed_kernel
from tabinvert.attacks._evidence import evidence_log_likelihood, make_evidence


@pytest.fixture(autouse=True)
def _one_blas_thread():
    """The models multiply small matrices many times; on a shared 2-core machine BLAS threads
    contend rather than help. Also silences MLP convergence chatter."""
    with threadpool_limits(limits=1, user_api="blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


# -- the evidence likelihoods of the gradient attacks (from test_gradient_and_reconstruction) -----


_X_GRAD, _GRADIENT_CASES = gradient_cases()


@pytest.mark.parametrize(
    "name",
    [
        "logistic-multiclass",
        "logistic-binary-minmax",
        "mlp-binary-tanh",
        "ridge-scaled",
        # A Poisson MLP exists from scikit-learn 1.7 on (CI also runs 1.6).
        *(["mlp-poisson"] if "mlp-poisson" in _GRADIENT_CASES else []),
    ],
)
def test_black_box_and_analytic_likelihoods_agree(name):
    """The evidence's log-likelihood from the model's answers (what black-box gradients climb)
    equals the one backpropagation starts from, for every kind of evidence."""
    estimator, y = _GRADIENT_CASES[name]
    model = clone(estimator).fit(_X_GRAD, y)
    X, y = _X_GRAD[:25], np.asarray(y)[:25]
    dm = DifferentiableModel(model, X, free=[0, 3])
    Z = dm.features(dm.encode(X), X[:, [0, 3]])
    if dm.is_classifier:
        seen = model.predict_proba(_X_GRAD[100:125])
        answers = model.predict_proba(X)
        kinds = [
            dict(y=y),
            dict(observed=seen),
            dict(observed=seen, observed_kernel="logit"),
            dict(observed=model.predict(_X_GRAD[100:125])),
        ]
    else:
        answers = model.predict(X)
        kinds = [dict(y=y, sigma=0.7), dict(observed=model.predict(_X_GRAD[100:125]), width=0.3)]
    for kind in kinds:
        evidence = make_evidence(dm.is_classifier, getattr(dm, "classes_", None), **kind)
        np.testing.assert_allclose(
            dm.value_and_grad(Z, evidence)[0],
            evidence_log_likelihood(answers, evidence, dm.is_classifier),
            rtol=1e-6,
            atol=1e-8,
        )


def test_names_stay_importable_where_they_were_before_the_split():
    """The gradient module was split by concept; what it held is still importable from it."""
    from tabinvert import attacks, exceptions
    from tabinvert.attacks import _autodiff, _evidence, _gradient, _numerical_gradient

    for module, name in [
        (_autodiff, "DifferentiableModel"),
        (_autodiff, "model_gradient"),
        (_numerical_gradient, "estimate_gradient"),
        (exceptions, "NotDifferentiableError"),
        (_evidence, "Evidence"),
        (_evidence, "make_evidence"),
        (_evidence, "evidence_log_likelihood"),
    ]:
        assert getattr(_gradient, name) is getattr(module, name), name
        if name in attacks.__all__:
            assert getattr(attacks, name) is getattr(module, name), name


# -- the observed-output kernel of MAP (from test_observed_width) ------------------------------


def test_kernel_ties_and_exact_matches():
    """Per record: an exact match wins by at least 200 nats; equal outputs tie; an observation
    equidistant from two outputs leaves them to the prior; the scale does not matter."""
    # storage: (n_outputs=2, k=3, n=4); observed (4, 2)
    outputs = np.array(
        [
            [[0.3, 0.7], [0.3 + 1e-6, 0.7 - 1e-6], [0.9, 0.1]],  # candidate 0 matches exactly
            [[0.2, 0.8], [0.2, 0.8], [0.6, 0.4]],  # candidates 0 and 1 answer the same
            [[0.4, 0.6], [0.6, 0.4], [0.5, 0.5]],  # all three distinct
            [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]],  # the model ignores the secret
        ]
    )  # (n, k, n_outputs)
    observed = np.array([[0.3, 0.7], [0.2, 0.8], [0.45, 0.55], [0.5, 0.5]])
    for scale in (1.0, 1e4):
        log_lik = _observed_kernel(outputs.transpose(2, 1, 0) * scale, observed * scale)
        assert log_lik.shape == (3, 4)
        decisive = -200 * (1 - 1e-6)
        assert log_lik[0, 0] == 0 and log_lik[1:, 0].max() <= decisive
        assert log_lik[0, 1] == log_lik[1, 1] == 0 and log_lik[2, 1] <= decisive
        # 0.45 is 0.05 from candidate 0, 0.05 from candidate 2 (0.5), 0.15 from candidate 1
        assert log_lik[[0, 2], 2] == pytest.approx([0, 0], abs=1e-6)
        assert log_lik[1, 2] <= decisive
        assert (log_lik[:, 3] == 0).all()


def test_numeric_kernel_reads_the_rounding_cell_and_interpolates():
    """numeric=True: the observed values lie on a 0.1 grid, so every candidate output within
    0.05 reproduces them; with none within, the kernel is soft (the mean interpolates)."""
    outputs = np.array([[0.27, 0.33, 0.41], [0.5, 0.9, 1.0]])  # (n=2, k=3), one output
    observed = np.array([[0.3], [0.7]])
    log_lik = _observed_kernel(outputs.T[None], observed, numeric=True)
    assert log_lik[0, 0] == log_lik[1, 0] == 0  # both round to 0.3: the prior weighs them
    assert log_lik[2, 0] <= -200 * (1 - 1e-6)  # 0.41 rounds to 0.4
    assert log_lik[:2, 1] == pytest.approx([0, 0], abs=1e-9)  # 0.5, 0.9: as far from 0.7
    assert -1 < log_lik[2, 1] < 0  # 1.0 is a little farther: a soft penalty


# -- the white-box tree attack's held-out scoring (from test_whitebox_strength) ----------------


@pytest.fixture(scope="module")
def small():
    X, y = leaf_population(1200, seed=1)
    model = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    return model, X, y


def test_auxiliary_records_are_scored_as_if_left_out_of_the_leaf_counts(small):
    """Every auxiliary record was scored as if left out of the leaf counts: counting it gives
    different (in-sample) evidence."""
    model, X, y = small
    aux = slice(600, 900)
    attack = WhiteBoxTreeInversion(model, "secret", scoring="mcc", random_state=0)
    attack.fit(X[aux], y[aux])
    known, _ = split_known(attack.layout_, X[aux])
    held_out, _ = attack._evidence_of(known, None, own_counted=True)
    in_sample, _ = attack._evidence_of(known, None)
    assert not np.allclose(held_out, in_sample)

"""Differentially private training: DP-SGD estimators with their privacy accounting.

* :class:`DPSGDClassifier` — logistic regression, or a small MLP (``hidden_layer_sizes``);
* :class:`DPSGDRegressor` — linear regression, for bounded (dose-like) targets.

Both train with DP-SGD (Abadi et al., CCS 2016): Poisson-sampled batches, per-example
gradient clipping, Gaussian noise. The user states the privacy budget (``epsilon``,
``delta``) and the noise is calibrated to it with Google's ``dp-accounting`` library
(``pip install "tabinvert[dp]"``), whose PLD accountant is also what the fitted ``epsilon_``
reports. The accounting is exposed on its own:

* :func:`calibrate_noise_multiplier` — the noise for a target (ε, δ);
* :func:`dpsgd_epsilon` — ε of a run, with the PLD or (as a cross-check) the RDP accountant;
* :func:`dpsgd_event` — the run as a ``dp_accounting`` event;
* :func:`default_delta` — δ when none is given, ``1 / (10 n)``.

The guarantee covers what the estimator sees. Preprocessing that reads the data (feature
ranges, the label set) is outside it: give ``bounds``, ``classes`` and ``target_bounds`` by
hand, or the estimator reads them from the data and emits a :class:`PrivacyLeakWarning`.

:func:`audit_epsilon` checks a trainer's claimed ε empirically (a lower bound on ε from
trainings with and without a canary record, :func:`epsilon_lower_bound`), and
:func:`private_counterparts` trains DP counterparts of a user's model at several ε, for the
privacy–utility sweep of :func:`~tabinvert.assess` (``dp_epsilons=``).

``import tabinvert.dp`` works without dp-accounting; the functions that account import it.
"""

from ..exceptions import PrivacyLeakWarning
from ._audit import AuditResult, audit_epsilon, epsilon_lower_bound
from ._accounting import calibrate_noise_multiplier, default_delta, dpsgd_epsilon, dpsgd_event
from ._counterparts import (
    PREPROCESSING_NOTE,
    counterpart_families,
    counterpart_names,
    private_counterparts,
)
from ._sgd import DPSGDClassifier, DPSGDRegressor

__all__ = [
    "AuditResult",
    "DPSGDClassifier",
    "DPSGDRegressor",
    "PrivacyLeakWarning",
    "PREPROCESSING_NOTE",
    "audit_epsilon",
    "calibrate_noise_multiplier",
    "counterpart_families",
    "counterpart_names",
    "default_delta",
    "dpsgd_epsilon",
    "dpsgd_event",
    "epsilon_lower_bound",
    "private_counterparts",
]

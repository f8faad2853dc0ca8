"""Output defenses: perturb what a model returns, and measure what that costs and buys.

Transformers over a model's ``(n, n_classes)`` probability matrix (or a regressor's
predictions), meta-estimators that put them in front of a model on every output path, and a
query quota.

==========================  =====================================  ===============  ==============
defense                     what it returns                        rows sum to 1    keeps arg-max
==========================  =====================================  ===============  ==============
``RoundProbabilities``      each value rounded (decimals / grid)   if renormalised  yes (ties)
``CoarsenProbabilities``    each value's bin representative        no               yes (ties)
``TopK``                    the k largest values, others 0         if renormalised  yes
``LabelOnly``               one-hot of the arg-max                 yes              yes
``ConfidenceThreshold``     values under a cutoff set to 0         if renormalised  yes
``GaussianNoise``           seeded per-record noise, renormalised  yes              no
``ReverseSigmoid``          deceptive perturbation (Lee et al.     yes              if βγ ≤ 1 and
                            2019)                                                   γ ≥ 1, or β is
                                                                                    small enough
                                                                                    (keeps_argmax)
``RoundPredictions``        a regressor's output on a grid         n/a              n/a
``NoisePredictions``        a regressor's output plus noise        n/a              n/a
==========================  =====================================  ===============  ==============

Each defense states both promises as ``keeps_row_sums`` and ``keeps_argmax``; label-only
attacks (:class:`~tabinvert.attacks.LabelOnlyInversion`) are untouched by every defense that
keeps the arg-max.

``InversionMonitor`` watches the queries instead of perturbing the answers: it flags (or
refuses) clients whose queries look like an attribute-inference attack, and
``scan_query_log`` finds the same patterns in a log of queries (:ref:`monitor`).
"""

from ._budget import QueryBudget, QueryBudgetExceeded, find_query_budget
from ._defended import DefendedClassifier, DefendedRegressor
from ._monitor import InversionMonitor, scan_query_log
from ._monitor_report import MonitorReport
from ._transformers import (
    CoarsenProbabilities,
    ConfidenceThreshold,
    GaussianNoise,
    LabelOnly,
    NoisePredictions,
    ReverseSigmoid,
    RoundPredictions,
    RoundProbabilities,
    TopK,
)

__all__ = [
    "CoarsenProbabilities",
    "ConfidenceThreshold",
    "DefendedClassifier",
    "DefendedRegressor",
    "GaussianNoise",
    "InversionMonitor",
    "LabelOnly",
    "MonitorReport",
    "NoisePredictions",
    "QueryBudget",
    "QueryBudgetExceeded",
    "ReverseSigmoid",
    "RoundPredictions",
    "RoundProbabilities",
    "TopK",
    "find_query_budget",
    "scan_query_log",
]

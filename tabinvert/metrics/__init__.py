"""Metrics for attribute-inference attacks: how well the attacker guessed, and how much of it
the model is to blame for.

* :func:`inference_scores` — accuracy, balanced accuracy, MCC, precision / recall / F1, G-mean
  and ROC AUC for categorical attributes; MAE, RMSE and within-tolerance share for numeric ones.
* :func:`success_rate`, :func:`wilson_interval` — raw success with a Wilson score interval.
* :func:`advantage_over_baseline`, :func:`advantage_verdict` — the attack's advantage over the
  imputation baseline on the same records, with a paired-bootstrap interval, and its verdict in
  plain words.
"""

from ._inference import inference_scores
from ._risk import (
    Advantage,
    SuccessRate,
    advantage_over_baseline,
    advantage_verdict,
    success_rate,
    wilson_interval,
)

__all__ = [
    "Advantage",
    "SuccessRate",
    "advantage_over_baseline",
    "advantage_verdict",
    "inference_scores",
    "success_rate",
    "wilson_interval",
]

"""Metrics for attribute-inference attacks: how well the attacker guessed, and how much of it
the model is to blame for.

* :func:`inference_scores` — accuracy, balanced accuracy, MCC, precision / recall / F1, G-mean
  and ROC AUC for categorical attributes; MAE, RMSE and within-tolerance share for numeric ones.
* :func:`success_rate`, :func:`wilson_interval` — raw success with a Wilson score interval.
* :func:`advantage_over_baseline`, :func:`advantage_verdict` — the attack's advantage over the
  imputation baseline on the same records, with a paired-bootstrap interval, and its verdict in
  plain words.
* :func:`simultaneous_advantage_intervals` — several attacks' advantages over one baseline, with
  intervals that hold for all of them at once (a shared paired bootstrap, studentised max).
* :func:`precision_at_k`, :func:`tail_risk_table` — tail risk: the precision of the attacker's
  ``k`` most confident inferences of a value, against the baseline's own top ``k``.
"""

from ._inference import inference_scores
from ._risk import (
    Advantage,
    SuccessRate,
    advantage_over_baseline,
    advantage_verdict,
    simultaneous_advantage_intervals,
    success_rate,
    wilson_interval,
)
from ._tail import precision_at_k, tail_risk_table

__all__ = [
    "Advantage",
    "SuccessRate",
    "advantage_over_baseline",
    "advantage_verdict",
    "inference_scores",
    "precision_at_k",
    "simultaneous_advantage_intervals",
    "success_rate",
    "tail_risk_table",
    "wilson_interval",
]

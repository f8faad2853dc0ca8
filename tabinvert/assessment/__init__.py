"""One call from a model to a risk assessment of its training data: :func:`assess`.

The result, :class:`Assessment`, holds data (tables), not prose: per sensitive attribute,
attack and population the success and its interval, the imputation baseline and the advantage
over it; the member vs non-member gap; the most exposed training records (as indices); the
exposure of subgroups; the privacy–utility sweep of defenses. ``to_html`` renders it as a
self-contained report a data-protection impact assessment can cite.

The package holds one concept per module: ``_assess`` (the steps of :func:`assess`),
``_running`` (running the attacks once, and the defense sweep), ``_summary`` (risk levels and
the sentences), ``_exposure`` (records and subgroups) and ``_result`` (:class:`Assessment`).
"""

from .._threat_models import RISK_LEVELS, THREAT_MODEL, WHITE_BOX_THREAT_MODEL
from ._assess import assess
from ._exposure import scores_are_probabilities
from ._result import Assessment

__all__ = [
    "Assessment",
    "assess",
    "scores_are_probabilities",
    "THREAT_MODEL",
    "WHITE_BOX_THREAT_MODEL",
    "RISK_LEVELS",
]

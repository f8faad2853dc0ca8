"""tabinvert: what can an attacker infer about a tabular model's training data?

Attribute-inference (model-inversion) attacks for scikit-learn-compatible models, always
measured against an imputation baseline that never queries the model.
"""

from ._version import __version__
from .assessment import Assessment, assess
from .evaluation import evaluate_attacks, evaluate_defenses

__all__ = ["Assessment", "__version__", "assess", "evaluate_attacks", "evaluate_defenses"]

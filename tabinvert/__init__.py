"""tabinvert: what can an attacker infer about a tabular model's training data?

Attribute-inference (model-inversion) attacks for scikit-learn-compatible models, always
measured against an imputation baseline that never queries the model.
"""

__version__ = "0.1.0.dev0"

from .assessment import Assessment, assess  # noqa: E402  (after __version__, which they read)
from .evaluation import evaluate_attacks, evaluate_defenses  # noqa: E402

__all__ = ["Assessment", "__version__", "assess", "evaluate_attacks", "evaluate_defenses"]

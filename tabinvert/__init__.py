"""tabinvert: what can an attacker infer about a tabular model's training data?

Attribute-inference (model-inversion) attacks for scikit-learn-compatible models, always
measured against an imputation baseline that never queries the model.
"""

__version__ = "0.1.0.dev0"

"""Attribute-inference attacks: infer a hidden sensitive attribute of a model's training records.

=============================  =====================================  ============================
attack                         what the attacker needs                paper
=============================  =====================================  ============================
``ImputationBaseline``         auxiliary records; no model access     Jayaraman & Evans 2022
``ConfidenceInversion``        ``predict_proba`` (or labels, or a     Fredrikson et al. 2014/2015
(``method="map"``)             regressor's output), label or output   ("FJRMIA" with labels only)
``ConfidenceInversion``        ``predict_proba`` and the true label   Mehnaz et al. 2022 (CSMIA)
(``method="csmia"``)
``LabelOnlyInversion``         ``predict`` labels and the true label  Mehnaz et al. 2022 (LOMIA)
``LearnedInversion``           ``predict_proba`` (or ``predict``) on  Fredrikson et al. 2015,
                               auxiliary records; label if known      IBM ART's black-box attack
                                                                      (keeping the confidences)
``WhiteBoxTreeInversion``      the trees of a tree model (sklearn     Fredrikson et al. 2015
                               trees, forests, boosting, XGBoost,     (generalised to ensembles)
                               LightGBM)
``GradientInversion``          a differentiable model's parameters    Fredrikson et al. 2015
                               (linear, logistic, MLP); numeric       (white-box, gradient MAP)
                               sensitive attribute
``ReconstructionAttack``       outputs (white-box gradients or        Fredrikson et al. 2015
                               black-box estimates); several unknown  (MI-Face, for tables)
                               features or a class representative
``JointInversion``             what the wrapped black-box attack      Fredrikson et al. 2014
                               needs; several hidden attributes, or   (product grid / coordinate
                               unknown features (averaged over aux)   ascent, marginalisation)
``ExplanationInversion``       the victim's explanation (per-feature  Duddu & Boutet 2022;
                               contributions); ``"match"`` queries    Luo, Jiang & Xiao 2022
                               the explanation service                (``"explanation_only"``)
=============================  =====================================  ============================
"""

from ._autodiff import DifferentiableModel, model_gradient
from ._base import ACCESS_LEVELS, AttackCapabilities, BaseAttack
from ._confidence import ConfidenceInversion
from ._explanation import ExplanationInversion
from ._gradient import GradientInversion
from ._imputation import ImputationBaseline
from ._joint import JointInversion
from ._label_only import LabelOnlyInversion
from ._learned import LearnedInversion
from ._numerical_gradient import estimate_gradient
from ._reconstruction import ReconstructionAttack
from ._whitebox_tree import WhiteBoxTreeInversion

__all__ = [
    "ACCESS_LEVELS",
    "AttackCapabilities",
    "BaseAttack",
    "ConfidenceInversion",
    "DifferentiableModel",
    "ExplanationInversion",
    "GradientInversion",
    "ImputationBaseline",
    "JointInversion",
    "LabelOnlyInversion",
    "LearnedInversion",
    "ReconstructionAttack",
    "WhiteBoxTreeInversion",
    "estimate_gradient",
    "model_gradient",
]

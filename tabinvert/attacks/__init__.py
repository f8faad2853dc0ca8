"""Attribute-inference attacks: infer a hidden sensitive attribute of a model's training records.

=========================  =======================================  ============================
attack                     what the attacker needs                  paper
=========================  =======================================  ============================
``ImputationBaseline``     auxiliary records; no model access       Jayaraman & Evans 2022
``ConfidenceInversion``    ``predict_proba`` (or labels, or a       Fredrikson et al. 2014/2015
(``method="map"``)         regressor's output), label or output     ("FJRMIA" with labels only)
``ConfidenceInversion``    ``predict_proba`` and the true label     Mehnaz et al. 2022 (CSMIA)
(``method="csmia"``)
``LabelOnlyInversion``     ``predict`` labels and the true label    Mehnaz et al. 2022 (LOMIA)
=========================  =======================================  ============================
"""

from ._base import BaseAttack
from ._confidence import ConfidenceInversion
from ._imputation import ImputationBaseline
from ._label_only import LabelOnlyInversion

__all__ = ["BaseAttack", "ConfidenceInversion", "ImputationBaseline", "LabelOnlyInversion"]

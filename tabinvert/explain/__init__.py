"""Explanations as a service returns them: per-column contributions to one record's score.

An explainer wraps a fitted model and answers ``explain(X)``: an ``(n, n_features)`` frame of
contributions, one column per input column of the model, indexed like ``X``. For the exact
explainers they add up, with ``base_values(X)``, to the model's margin (a binary classifier's
log-odds of its positive class by default; ``output=`` picks another class or output).

========================  ==============================================  ===================
explainer                 what it returns                                 needs
========================  ==============================================  ===================
``TreeContributions``     exact TreeSHAP of an XGBoost / LightGBM model   nothing more (the
                          (alone or ending a Pipeline), per input column  libraries compute
                                                                          it)
``LinearContributions``   coefficient × (value − reference) of a linear   nothing more
                          model, one-hot blocks summed into their column
``ShapExplainer``         Shapley values of any model against user-given  the ``shap`` extra
                          background records                              (``shap``)
``ReasonCodes``           the top ``k`` features: names, signs or         an explainer
                          rounded values (a lender's reason codes)
========================  ==============================================  ===================

Defended explainers wrap another explainer and state what they keep (``keeps``, a sentence;
``keeps_sum`` and ``keeps_ranking``, machine-readable), as :mod:`tabinvert.defenses`' output
defenses do:

========================  ====================================================  =====  =======
defense                   what each explanation becomes                         sum    ranking
========================  ====================================================  =====  =======
``TopKContributions``     the ``k`` largest contributions, the others withheld  no     yes
``RoundContributions``    every contribution rounded (decimals or a grid)       no     ties
``DropContribution``      some columns' own contributions withheld              no     yes
``NoisyContributions``    every contribution plus Gaussian noise (per record)   no     no
========================  ====================================================  =====  =======

Withheld entries are 0.0 in ``explain``'s frame; ``explain_mask(X)`` says which entries are
reported. :class:`tabinvert.attacks.ExplanationInversion` measures what the explanations
reveal about a sensitive attribute.
"""

from ._base import BaseExplainer
from ._defended import (
    DropContribution,
    NoisyContributions,
    RoundContributions,
    TopKContributions,
)
from ._linear import LinearContributions
from ._reason_codes import ReasonCodes
from ._shap import ShapExplainer
from ._tree import TreeContributions

__all__ = [
    "BaseExplainer",
    "DropContribution",
    "LinearContributions",
    "NoisyContributions",
    "ReasonCodes",
    "RoundContributions",
    "ShapExplainer",
    "TopKContributions",
    "TreeContributions",
]

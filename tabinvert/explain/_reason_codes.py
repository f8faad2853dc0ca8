"""Reason codes: the few features that weighed most in a decision, as lenders report them."""

from __future__ import annotations

from numbers import Integral

import numpy as np

from .._sklearn_compat import Interval, StrOptions
from ._base import ExplainerWrapper


def top_k_mask(values, k, rank_by="magnitude", eligible=None):
    """Boolean (n, p) matrix of each row's ``k`` entries ranked first (among the ``eligible``
    ones: a boolean (n, p) matrix, default all).

    ``rank_by``: "magnitude" (largest absolute value), "negative" (most negative first; only
    negative entries are ranked) or "positive" (most positive first; only positive ones).
    Ties go to the lower column index, so exactly ``min(k, p)`` entries are chosen per row
    under "magnitude".

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.explain._reason_codes import top_k_mask
    >>> top_k_mask(np.array([[0.1, -0.5, 0.3]]), 2).tolist()
    [[False, True, True]]
    >>> top_k_mask(np.array([[0.1, -0.5, 0.3]]), 2, rank_by="negative").tolist()
    [[False, True, False]]
    """
    n_kept = min(int(k), values.shape[1])
    if rank_by == "magnitude":
        key = -np.abs(values)
    elif rank_by == "negative":
        key = values
    else:
        key = -values
    if eligible is not None:  # entries not reported upstream are never ranked
        key = np.where(eligible, key, np.inf)
    # A stable sort orders ties by column index: the same record always gets the same codes.
    order = np.argsort(key, axis=1, kind="stable")[:, :n_kept]
    mask = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(mask, order, True, axis=1)
    if rank_by == "negative":
        mask &= values < 0
    elif rank_by == "positive":
        mask &= values > 0
    if eligible is not None:
        mask &= eligible
    return mask


class ReasonCodes(ExplainerWrapper):
    """The ``k`` features that weighed most in each decision: names, signs or rounded values.

    What a lender's adverse-action notice gives ("principal reasons": the features that
    lowered the score most), a fraud team's case note, or a clinician's alert: the top of an
    explanation, not all of it. The frame ``explain`` returns has the reported features'
    entries and 0.0 elsewhere; :meth:`explain_mask` says which were reported.

    Parameters
    ----------
    explainer : explainer
        The explanation the codes are read from (e.g. :class:`TreeContributions`).
    k : int, default=3
        How many features each record's codes name (fewer under "negative" or "positive" when
        fewer contributions have that sign).
    values : {"signs", "rounded", "none"}, default="signs"
        What is reported for each named feature: the sign of its contribution (+1.0 / -1.0),
        its value rounded to ``decimals``, or nothing but its name (1.0 in the frame).
    decimals : int, default=2
        Decimals of the rounded values.
    rank_by : {"magnitude", "negative", "positive"}, default="magnitude"
        Which features are named: those with the largest contributions in absolute value, or
        the most negative ones (the reasons a score was low, as adverse-action notices give
        them), or the most positive ones.

    Attributes
    ----------
    keeps : str
        What the codes keep of the explanation, and what they destroy.
    keeps_sum : bool
        False: the reported values no longer add up to the margin.
    keeps_ranking : bool
        True for the named features (they are the top ``k``), which is all that is reported.

    See Also
    --------
    TopKContributions : The top ``k`` contributions with their exact values.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.explain import LinearContributions, ReasonCodes
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0],
    ...                   "c": [0.0, 0.0, 1.0, 1.0]})
    >>> model = LinearRegression().fit(X, 3 * X["a"] - 2 * X["b"] + 0.5 * X["c"])
    >>> codes = ReasonCodes(LinearContributions(model).fit(X), k=2)
    >>> codes.explain(X[:1])
         a    b    c
    0 -1.0 -1.0  0.0
    >>> codes.explain_mask(X[:1])
          a     b      c
    0  True  True  False
    """

    _parameter_constraints: dict = {
        **ExplainerWrapper._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
        "values": [StrOptions({"signs", "rounded", "none"})],
        "decimals": [Interval(Integral, 0, 15, closed="both")],
        "rank_by": [StrOptions({"magnitude", "negative", "positive"})],
    }

    keeps_sum = False
    keeps_ranking = True

    def __init__(self, explainer, *, k=3, values="signs", decimals=2, rank_by="magnitude"):
        self.explainer = explainer
        self.k = k
        self.values = values
        self.decimals = decimals
        self.rank_by = rank_by

    @property
    def keeps(self):
        """What the codes keep, and what they destroy."""
        what = {
            "signs": "and the signs of their contributions",
            "rounded": f"and their contributions rounded to {self.decimals} decimals",
            "none": "only",
        }[self.values]
        return (
            f"the names of the {self.k} features ranked first by {self.rank_by} contribution, "
            f"{what}; every other contribution is withheld"
        )

    def _transform(self, values, reported, X):
        reported = top_k_mask(values, self.k, self.rank_by, eligible=reported)
        if self.values == "signs":
            out = np.sign(values)
        elif self.values == "rounded":
            out = np.round(values, self.decimals)
        else:
            out = np.ones_like(values)
        return out, reported

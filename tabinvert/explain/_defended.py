"""Defended explainers: what an explanation service can withhold or blur, each saying what it
keeps (``keeps``, ``keeps_sum``, ``keeps_ranking``), as the probability defenses of
:mod:`tabinvert.defenses` state theirs."""

from __future__ import annotations

import copy
from numbers import Integral, Real

import numpy as np
import pandas as pd
from scipy.special import ndtri
from sklearn.utils import check_random_state

from .._sklearn_compat import Interval
from ._base import ExplainerWrapper
from ._reason_codes import top_k_mask

_GOLDEN_GAMMA = np.uint64(0x9E3779B97F4A7C15)  # splitmix64's increment


def _mix64(z):
    """splitmix64's finaliser on a uint64 array (wrapping arithmetic): scrambles every bit."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


def record_normals(X, n_columns, key):
    """Standard normals (n, n_columns), a deterministic function of ``key`` and each record.

    Each record (a row of ``X``, hashed by pandas from its values) always gets the same
    noise, in any batch and at any position: repeating a query returns the same answer, so
    averaging repeated queries cannot remove the noise.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.explain._defended import record_normals
    >>> noise = record_normals(np.array([[1.0, 2.0], [3.0, 4.0], [1.0, 2.0]]), 2, key=0)
    >>> bool((noise[0] == noise[2]).all()), bool((noise[0] == noise[1]).any())
    (True, False)
    """
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    rows = pd.util.hash_pandas_object(frame, index=False).to_numpy(dtype=np.uint64)
    with np.errstate(over="ignore"):
        lanes = _mix64(
            np.uint64(key % 2**64) + np.arange(1, n_columns + 1, dtype=np.uint64) * _GOLDEN_GAMMA
        )
        bits = _mix64(rows[:, None] ^ lanes[None, :]) >> np.uint64(12)
    # 52 bits: (bits + 0.5) / 2**52 lies strictly inside (0, 1).
    return ndtri((bits.astype(np.float64) + 0.5) * 2.0**-52)


class TopKContributions(ExplainerWrapper):
    """Report each record's ``k`` largest contributions (by magnitude) with their values.

    Parameters
    ----------
    explainer : explainer
        The explanation to reduce.
    k : int, default=3
        Contributions kept per record; exactly ``min(k, n_features)`` (ties: the lower
        column first). The others are 0.0 and not reported (:meth:`explain_mask`).

    Attributes
    ----------
    keeps : str
        "the k largest contributions with their exact values; the others are withheld (and
        the sum no longer adds up to the margin)".
    keeps_sum : bool
        False.
    keeps_ranking : bool
        True among the reported contributions.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.explain import LinearContributions, TopKContributions
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    >>> model = LinearRegression().fit(X, 3 * X["a"] - 2 * X["b"])
    >>> TopKContributions(LinearContributions(model).fit(X), k=1).explain(X[:2])
         a    b
    0 -4.5  0.0
    1 -1.5  0.0
    """

    _parameter_constraints: dict = {
        **ExplainerWrapper._parameter_constraints,
        "k": [Interval(Integral, 1, None, closed="left")],
    }

    keeps_sum = False
    keeps_ranking = True

    def __init__(self, explainer, k=3):
        self.explainer = explainer
        self.k = k

    @property
    def keeps(self):
        """What the explanation keeps, and what it destroys."""
        return (
            f"the {self.k} largest contributions with their exact values; the others are "
            "withheld (and the sum no longer adds up to the margin)"
        )

    def _transform(self, values, reported, X):
        return values, top_k_mask(values, self.k, eligible=reported)


class RoundContributions(ExplainerWrapper):
    """Round every contribution to ``decimals`` places, or onto a grid of ``step``.

    Coarse contributions make the explanations of different candidate values coincide, which
    is what blunts matching them (the analogue of rounding probabilities, Fredrikson et al.
    2015; Luo et al. 2022 suggest quantising Shapley values).

    Parameters
    ----------
    explainer : explainer
        The explanation to round.
    decimals : int, default=1
        Decimals kept (0 allowed). Ignored when ``step`` is given.
    step : float > 0, default=None
        Round onto the grid ``0, ±step, ±2·step, ...`` instead.

    Attributes
    ----------
    keeps : str
        "every contribution, rounded ...: signs and ranking up to ties, the sum up to the
        rounding".
    keeps_sum : bool
        False (the sum is off by up to half a step per column).
    keeps_ranking : bool
        True up to ties: rounding is monotone.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.explain import LinearContributions, RoundContributions
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    >>> model = LinearRegression().fit(X, 0.33 * X["a"] - 0.21 * X["b"])
    >>> RoundContributions(LinearContributions(model).fit(X), step=0.25).explain(X[:1])
         a    b
    0 -0.5 -0.0
    """

    _parameter_constraints: dict = {
        **ExplainerWrapper._parameter_constraints,
        "decimals": [Interval(Integral, 0, 15, closed="both")],
        "step": [Interval(Real, 0, None, closed="neither"), None],
    }

    keeps_sum = False
    keeps_ranking = True

    def __init__(self, explainer, decimals=1, step=None):
        self.explainer = explainer
        self.decimals = decimals
        self.step = step

    @property
    def keeps(self):
        """What the explanation keeps, and what it destroys."""
        grid = f"onto a grid of {self.step}" if self.step else f"to {self.decimals} decimals"
        return (
            f"every contribution, rounded {grid}: signs and ranking up to ties, the sum only "
            "up to the rounding; finer differences are destroyed"
        )

    def _transform(self, values, reported, X):
        if self.step is not None:
            return np.round(values / self.step) * self.step, reported
        return np.round(values, self.decimals), reported


class DropContribution(ExplainerWrapper):
    """Withhold the contributions of some columns (e.g. the sensitive attribute's own).

    The dropped entries are 0.0 and not reported (:meth:`explain_mask`); every other
    contribution is returned exactly. Against a linear model that removes what the sensitive
    value does to the explanation entirely (the other columns' contributions do not depend on
    it); a tree model's other contributions still move with it through interactions.

    Parameters
    ----------
    explainer : explainer
        The explanation to redact.
    columns : str, int or list
        The column(s) withheld, among the explanation's columns (:attr:`feature_names_out_`).

    Attributes
    ----------
    keeps : str
        "every other contribution exactly; the dropped columns' own contributions are
        withheld (and the sum no longer adds up to the margin)".
    keeps_sum : bool
        False.
    keeps_ranking : bool
        True among the reported contributions.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.explain import DropContribution, LinearContributions
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "sex": [1.0, 0.0, 1.0, 0.0]})
    >>> model = LinearRegression().fit(X, 3 * X["a"] - 2 * X["sex"])
    >>> DropContribution(LinearContributions(model).fit(X), "sex").explain(X[:1])
         a  sex
    0 -4.5  0.0
    """

    _parameter_constraints: dict = {
        **ExplainerWrapper._parameter_constraints,
        "columns": "no_validation",  # a label, or a list of them
    }

    keeps_sum = False
    keeps_ranking = True

    def __init__(self, explainer, columns):
        self.explainer = explainer
        self.columns = columns

    def _dropped(self):
        columns = self.columns
        if isinstance(columns, (str, int, np.integer)) or np.ndim(columns) == 0:
            columns = [columns]
        names = list(self.feature_names_out_)
        unknown = [c for c in columns if c not in names]
        if unknown:
            raise ValueError(
                f"DropContribution: column(s) {unknown} are not among the explanation's "
                f"columns {names}."
            )
        return np.isin(np.asarray(names, dtype=object), np.asarray(list(columns), dtype=object))

    @property
    def keeps(self):
        """What the explanation keeps, and what it destroys."""
        return (
            f"every other contribution exactly; the contributions of {self.columns!r} are "
            "withheld (and the sum no longer adds up to the margin)"
        )

    def _transform(self, values, reported, X):
        return values, np.broadcast_to(~self._dropped(), values.shape)


class NoisyContributions(ExplainerWrapper):
    """Add Gaussian noise to every contribution.

    By default the noise is a deterministic function of the key (``random_state``) and of the
    exact explanation it blurs: asking about the same record again returns the same noisy
    explanation, so averaging repeated queries gains nothing, and records whose explanations
    are equal get equal noisy ones, so the noise itself tells an attacker nothing the
    explanation does not (noise keyed on the whole record would: completing a victim's record
    with the true value would reproduce the victim's noise even where the sensitive value
    carries no weight). It also means that an attacker who completes a victim's known
    features with the victim's true value gets the victim's very explanation, noise included:
    per-explanation noise does not stop matching (see the user guide). ``per_record=False``
    draws fresh noise at each call, from one generator seeded once by ``random_state``, which
    matching must then tolerate, and which averaging repeated queries removes.

    Parameters
    ----------
    explainer : explainer
        The explanation to blur.
    scale : float >= 0, default=0.1
        Standard deviation of the noise, in the contributions' units (the margin's).
    random_state : int, RandomState instance or None, default=None
        The noise key (per record; None is the key 0), or the generator of fresh noise.
    per_record : bool, default=True
        Noise as a function of the key and the explanation; False for fresh noise at every
        call.

    Attributes
    ----------
    keeps : str
        "every contribution plus Gaussian noise of σ = scale: ...".
    keeps_sum : bool
        False.
    keeps_ranking : bool
        False: noise can swap close contributions.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from tabinvert.explain import LinearContributions, NoisyContributions
    >>> X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 0.0], "b": [1.0, 0.0, 1.0, 1.0]})
    >>> model = LinearRegression().fit(X, 3 * X["a"] - 2 * X["b"])
    >>> noisy = NoisyContributions(LinearContributions(model).fit(X), scale=0.1, random_state=0)
    >>> answer = noisy.explain(X)
    >>> bool((answer.loc[0] == answer.loc[3]).all())  # the same record, the same answer
    True
    """

    _parameter_constraints: dict = {
        **ExplainerWrapper._parameter_constraints,
        "scale": [Interval(Real, 0, None, closed="left")],
        "random_state": ["random_state"],
        "per_record": ["boolean"],
    }

    keeps_sum = False
    keeps_ranking = False

    def __init__(self, explainer, scale=0.1, random_state=None, per_record=True):
        self.explainer = explainer
        self.scale = scale
        self.random_state = random_state
        self.per_record = per_record

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.non_deterministic = not self.per_record
        return tags

    @property
    def keeps(self):
        """What the explanation keeps, and what it destroys."""
        return f"every contribution plus Gaussian noise of σ = {self.scale} " + (
            "(the same for the same record): differences below σ are blurred"
            if self.per_record
            else "(fresh at every call): differences below σ are blurred, unless averaged"
        )

    def _transform(self, values, reported, X):
        if self.per_record:
            key = self.random_state
            if isinstance(key, np.random.RandomState):  # one draw from a copy: not consumed
                key = int(copy.deepcopy(key).randint(0, 2**63, dtype=np.int64))
            # Keyed on the explanation (to 9 decimals, below any float noise of the model's
            # arithmetic; + 0.0 makes -0.0 hash as 0.0), not on the record: see the class
            # docstring.
            noise = record_normals(
                np.round(values, 9) + 0.0, values.shape[1], 0 if key is None else int(key)
            )
        else:
            noise = self._fresh_generator().standard_normal(values.shape)
        return values + self.scale * noise, reported

    def _fresh_generator(self):
        """One generator for the fresh noise, seeded once: every call draws new noise, and
        the sequence is reproducible from ``random_state``."""
        seeded = getattr(self, "_noise_generator", None)
        if seeded is None or seeded[0] is not self.random_state:
            seeded = (self.random_state, check_random_state(self.random_state))
            self._noise_generator = seeded
        return seeded[1]

"""Several unknowns at once: joint inference of two or more sensitive attributes, and targets
whose other features are partly unknown too (marginalised over the auxiliary data).

:class:`JointInversion` wraps a black-box attack (:class:`ConfidenceInversion`,
:class:`LabelOnlyInversion` or :class:`LearnedInversion`) and shows it the target model through
an adapter, :class:`_CompletingModel`:

* the hidden attributes become one virtual column of *combination codes*: candidate ``c`` is
  one tuple of values (a product grid), which the adapter writes into the real columns; the
  wrapped attack then runs unchanged (same query engine, priors, likelihoods and decisions);
* the unknown non-sensitive features are filled with ``n_samples`` draws from the auxiliary
  data for every completed record, and the adapter answers with the average over the draws
  (probabilities and regression outputs averaged, labels by majority), i.e. a Monte Carlo
  estimate of ``E_u[model(known, s, u)]``.

When the product grid is larger than ``max_joint_candidates``, the attack runs coordinate ascent
instead: one attribute at a time, the others fixed at their current guesses, until no guess
changes.
"""

from __future__ import annotations

import itertools
from dataclasses import replace
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.validation import check_is_fitted

from .._sklearn_compat import HasMethods, Interval
from .._query import QueryCost
from .._wrappers import requires_shared_memory
from .._validation import (
    _describe,
    check_candidates_known_to_model,
    check_label,
    frame_column_position,
    make_candidates,
    make_layout,
    record_value_kinds,
    sensitive_kind,
    true_sensitive,
)
from ..metrics import inference_scores
from ._base import AttackCapabilities, score_guesses
from ._confidence import ConfidenceInversion
from ._label_only import LabelOnlyInversion
from ._learned import LearnedInversion

JOINT_COLUMN = "__tabinvert_joint__"
_SUPPORTED = (ConfidenceInversion, LabelOnlyInversion, LearnedInversion)


class _CompletingModel:
    """The target model as the wrapped attack sees it (not public).

    It takes *virtual* records: the known columns, plus (when ``joint_values`` is given) a
    column of combination codes. It writes each code's values into the hidden columns, fills
    the unknown columns with ``unknown_samples`` (every record once per draw), asks the real
    model, and averages the answers over the draws.
    """

    def __init__(
        self,
        model,
        *,
        real_columns,
        virtual_columns,
        is_frame,
        array_dtype,
        joint_values=None,
        unknown_samples=None,
    ):
        self._inner_model = model  # the wrapper protocol (tabinvert._wrappers)
        self.real_columns = tuple(real_columns)
        self.virtual_columns = tuple(virtual_columns)
        self.is_frame = is_frame
        self.array_dtype = array_dtype
        self.joint_values = joint_values or {}
        self.unknown_samples = unknown_samples
        self.feature_names_in_ = np.asarray(self.virtual_columns, dtype=object)
        self.n_features_in_ = len(self.virtual_columns)
        # A wrapper passes the flag on (the wrapper protocol of tabinvert._wrappers).
        self._tabinvert_shared_state = requires_shared_memory(model)

    @property
    def n_draws(self):
        return 1 if self.unknown_samples is None else len(self.unknown_samples)

    @property
    def classes_(self):
        return self._inner_model.classes_

    def __sklearn_tags__(self):
        return get_tags(self._inner_model)

    @property
    def predict_proba(self):
        method = self._inner_model.predict_proba  # AttributeError when the model has none
        return lambda X: self._answer(X, method, "mean")

    def predict(self, X):
        # A regressor may keep an empty classes_ (CatBoostRegressor): its outputs are averaged.
        classes = getattr(self._inner_model, "classes_", None)
        is_label = classes is not None and len(classes) > 0
        return self._answer(X, self._inner_model.predict, "vote" if is_label else "mean")

    def _real_records(self, X):
        n, m = len(X), self.n_draws
        rows = np.repeat(np.arange(n), m)
        draws = np.tile(np.arange(m), n)
        codes = None
        if self.joint_values:
            codes = X[JOINT_COLUMN].to_numpy().astype(np.intp, copy=False)[rows]
        data = {}
        for column in self.real_columns:
            if column in self.joint_values:
                data[column] = self.joint_values[column].take(codes)
            elif self.unknown_samples is not None and column in self.unknown_samples:
                data[column] = self.unknown_samples[column].array.take(draws)
            else:
                values = X[column]
                values = values.to_numpy() if isinstance(values.dtype, np.dtype) else values.array
                data[column] = values.take(rows)
        frame = pd.DataFrame(data, index=pd.RangeIndex(n * m), copy=False)
        if self.is_frame:
            return frame
        return frame.to_numpy(dtype=self.array_dtype)

    def _answer(self, X, method, how):
        answer = np.asarray(method(self._real_records(X)))
        m = self.n_draws
        if m == 1:
            return answer
        n = len(answer) // m
        if how == "mean":
            shaped = answer.reshape(n, m, *answer.shape[1:]).astype(float)
            return shaped.mean(axis=1)
        # Labels: the most frequent answer over the draws (the first such class on a tie).
        values, codes = np.unique(answer, return_inverse=True)
        counts = np.zeros((n, len(values)), dtype=np.intp)
        np.add.at(counts, (np.repeat(np.arange(n), m), codes.ravel()), 1)
        return values[counts.argmax(axis=1)]


class JointInversion(BaseEstimator):
    """Infer several hidden attributes at once, and/or attack targets with unknown features.

    Wraps a black-box attack — :class:`ConfidenceInversion` (MAP, FJRMIA, CSMIA),
    :class:`LabelOnlyInversion` (LOMIA) or :class:`LearnedInversion` — whose own settings
    (likelihood, prior, learner, ``random_state``…) are used; its ``sensitive``, ``candidates``
    and ``sensitive_type`` are set here.

    * **Several sensitive attributes** (``sensitive=["VKORC1", "CYP2C9"]``): when the product of
      their candidate sets has at most ``max_joint_candidates`` tuples, every tuple is one
      candidate (a product grid) and the wrapped attack scores them all jointly: its prior is
      the tuples' frequency in the auxiliary data (add-one smoothed), its decision the best
      tuple. Otherwise, coordinate ascent: each attribute in turn is attacked with the others
      fixed at their current guesses, until a full round changes no guess or ``max_iter``
      rounds have run; the prior is then each attribute's own. The start is each attribute
      inferred with the others treated as unknown features (averaged over auxiliary draws).
    * **Unknown non-sensitive features** (``unknown=["zip"]``): the attacker does not know them
      for the targets. Every completed record is sent ``n_samples`` times, with those features
      taken from ``n_samples`` auxiliary records (drawn once, seeded; the unknown features'
      joint distribution in the auxiliary data, not conditioned on the known features), and
      the model's answers are averaged: probabilities and regression outputs by their mean,
      labels by majority. The query cost grows ``n_samples``-fold.

    Numeric sensitive attributes are attacked over ``n_grid`` quantiles of their auxiliary
    values (as in the wrapped attacks).

    Parameters
    ----------
    base_attack : ConfidenceInversion, LabelOnlyInversion or LearnedInversion
        The attack to run, holding the target model (its ``sensitive`` is ignored).
    sensitive : column label or list of column labels
        The hidden attributes: labels of ``X_aux``'s columns when it is a DataFrame, positions
        when it is an array.
    unknown : list of column labels, default=None
        Non-sensitive model columns the attacker does not know for the targets.
    n_samples : int, default=16
        Auxiliary draws that the unknown features are averaged over.
    max_joint_candidates : int, default=256
        Largest product grid scored jointly; above it, coordinate ascent.
    max_iter : int, default=10
        Most rounds of coordinate ascent.
    n_grid : int, default=10
        Size of the candidate grid of a numeric sensitive attribute.
    random_state : int, RandomState instance or None, default=None
        Seeds the draws of unknown features.

    Attributes
    ----------
    mode_ : {"product", "coordinate", "single"}
        How the attributes are inferred ("single": one attribute, unknown features only).
    candidates_ : dict
        Attribute → its candidate values.
    sensitive_kinds_ : dict
        Attribute → "categorical" or "numeric".
    attacks_ : list of fitted attacks
        The wrapped attack fitted once (product/single mode) or once per attribute.
    init_attacks_ : list of fitted attacks
        Coordinate mode: per attribute, the attack with the other attributes unknown, which
        gives the starting point.
    fit_query_cost_, last_query_cost_ : QueryCost
        Rows sent to the *real* model (``n_samples`` per completed record) and calls.
    n_iter_ : int
        Rounds of coordinate ascent in the last :meth:`attack` (1 otherwise).

    Examples
    --------
    Two hidden attributes of a model that reveals both through its probabilities:

    >>> import numpy as np, pandas as pd
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> from tabinvert.attacks import ConfidenceInversion, JointInversion
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"x": rng.normal(size=600),
    ...                   "a": rng.choice(["p", "q", "r"], 600), "b": rng.choice(["u", "v"], 600)})
    >>> logit = X["x"] + X["a"].map({"p": -2, "q": 0, "r": 2}) + 1.5 * (X["b"] == "v")
    >>> y = rng.random(600) < 1 / (1 + np.exp(-logit))
    >>> model = make_pipeline(
    ...     make_column_transformer((OneHotEncoder(), ["a", "b"]), remainder="passthrough"),
    ...     LogisticRegression()).fit(X, y)
    >>> attack = JointInversion(ConfidenceInversion(model, None), ["a", "b"]).fit(X[:300])
    >>> guesses = attack.attack(X[300:], observed=model.predict_proba(X[300:]))
    >>> list(guesses.columns), float((guesses == X[300:][["a", "b"]]).all(axis=1).mean())
    (['a', 'b'], 1.0)
    """

    _parameter_constraints: dict = {
        "base_attack": [HasMethods(["fit", "attack", "attack_proba"])],
        "sensitive": "no_validation",
        "unknown": "no_validation",
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        "max_joint_candidates": [Interval(Integral, 1, None, closed="left")],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "n_grid": [Interval(Integral, 2, None, closed="left")],
        "random_state": ["random_state"],
    }

    def capabilities(self):
        """What this attack needs: its base attack's access (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        base = self.base_attack.capabilities()
        return AttackCapabilities(
            f"joint {base.name}",
            base.access,
            base.calibrated,
            "Fredrikson et al., USENIX Security 2014 (marginalisation)",
        )

    def __init__(
        self,
        base_attack,
        sensitive,
        *,
        unknown=None,
        n_samples=16,
        max_joint_candidates=256,
        max_iter=10,
        n_grid=10,
        random_state=None,
    ):
        self.base_attack = base_attack
        self.sensitive = sensitive
        self.unknown = unknown
        self.n_samples = n_samples
        self.max_joint_candidates = max_joint_candidates
        self.max_iter = max_iter
        self.n_grid = n_grid
        self.random_state = random_state

    # -- fitting ------------------------------------------------------------------------------
    def fit(self, X_aux, y_aux=None):
        """Learn candidates, priors and the wrapped attack's state from auxiliary records.

        Parameters
        ----------
        X_aux : DataFrame or ndarray of shape (n_aux, n_model_columns)
            Auxiliary records with every model column, the hidden and unknown ones included.
        y_aux : array-like of shape (n_aux,), default=None
            Their labels, if the attacker has them.

        Returns
        -------
        self : object
        """
        self._validate_params()
        self._check_base_attack()
        model = self.base_attack.estimator
        sensitive, unknown = self._checked_columns()
        frame, y_aux = self._resolve_hidden_columns(model, X_aux, y_aux, sensitive, unknown)
        encoded = self._learn_candidates(model, X_aux, frame)
        draw = self._draw_unknown_features(frame)
        n_tuples = int(np.prod([len(v) for v in self.candidates_.values()]))
        self.mode_ = self._choose_mode(n_tuples)
        known_labels = [c for c in frame.columns if c not in self.unknown_labels_]
        if self.mode_ == "product":
            self.attacks_ = [
                self._fit_product_attack(model, frame, y_aux, known_labels, encoded, n_tuples)
            ]
        else:
            self.attacks_ = self._fit_attribute_attacks(model, frame, y_aux, known_labels)
        self.init_attacks_ = []
        if self.mode_ == "coordinate":
            self._fit_starting_attacks(model, frame, y_aux, draw)
        self.fit_query_cost_ = self._real_cost(self.attacks_ + self.init_attacks_, "fit")
        self.n_features_in_ = len(self.real_layout_.columns)
        return self

    def _check_base_attack(self):
        """Refuse a base attack that cannot be shown the completing model."""
        if not isinstance(self.base_attack, _SUPPORTED):
            raise TypeError(
                "JointInversion wraps a black-box attack "
                f"({', '.join(c.__name__ for c in _SUPPORTED)}); got "
                f"{type(self.base_attack).__name__}. White-box attacks read one real column at a "
                "time: run them per attribute."
            )

    def _checked_columns(self):
        """The sensitive and unknown columns as lists, checked against each other."""
        sensitive = self._as_list(self.sensitive, "sensitive")
        unknown = self._as_list(self.unknown, "unknown") if self.unknown is not None else []
        if not sensitive:
            raise ValueError("sensitive is empty: name at least one hidden attribute.")
        if len(sensitive) == 1 and not unknown:
            raise ValueError(
                f"JointInversion with one sensitive attribute ({sensitive[0]!r}) and no unknown "
                "features is the wrapped attack itself: use it directly, or name the unknown "
                "features (unknown=[...])."
            )
        overlap = [c for c in unknown if c in sensitive]
        if overlap:
            raise ValueError(
                f"Column(s) {overlap} are both sensitive and unknown; list each in one of them."
            )
        return sensitive, unknown

    def _resolve_hidden_columns(self, model, X_aux, y_aux, sensitive, unknown):
        """Label the hidden and unknown columns; the auxiliary frame and labels to learn from."""
        # The real model's layout validates the auxiliary columns (missing/extra, shapes).
        real_layout = make_layout(model, X_aux, sensitive[0], name="X_aux")
        frame = self._to_frame(X_aux, real_layout, name="X_aux")
        labels = [self._label(c, real_layout, X_aux, "sensitive") for c in sensitive] + [
            self._label(c, real_layout, X_aux, "unknown") for c in unknown
        ]
        not_model = [c for c in labels if c not in frame.columns]
        if not_model:
            raise ValueError(
                f"Column(s) {not_model} are not model columns ({_describe(list(frame.columns))}); "
                "sensitive and unknown must name columns the model uses."
            )
        self.real_layout_ = real_layout
        self.sensitive_labels_ = labels[: len(sensitive)]
        self.unknown_labels_ = labels[len(sensitive) :]
        self.sensitive_names_ = sensitive
        y_aux = check_label(y_aux, len(frame), name="y_aux")
        # Records without a hidden value teach neither candidates nor priors.
        complete = frame[self.sensitive_labels_].notna().all(axis=1).to_numpy()
        if not complete.all():
            frame = frame[complete]
            y_aux = None if y_aux is None else np.asarray(y_aux)[complete]
        return frame, y_aux

    def _learn_candidates(self, model, X_aux, frame):
        """Each hidden attribute's kind and candidates; the auxiliary values' candidate codes."""
        kinds, values, encoded = {}, {}, {}
        for name, label in zip(self.sensitive_names_, self.sensitive_labels_):
            column = frame[label]
            kinds[name] = sensitive_kind(column.to_numpy(), self.base_attack.sensitive_type)
            values[name], _ = make_candidates(
                column.to_numpy(), kinds[name], "auto", self.n_grid, name
            )
            if self.real_layout_.is_frame:
                check_candidates_known_to_model(
                    model, make_layout(model, X_aux, label, name="X_aux"), values[name]
                )
            encoded[name] = self._codes(column, values[name], kinds[name])
        self.sensitive_kinds_, self.candidates_ = kinds, values
        return encoded

    def _draw_unknown_features(self, frame):
        """Draw the auxiliary records that fill the unknown features; their positions."""
        rng = check_random_state(self.random_state)
        # Draws come from records that hold every unknown (and, for the coordinate start,
        # every hidden) value: a missing value is no value the target could have.
        pool = np.flatnonzero(frame[self.unknown_labels_].notna().all(axis=1).to_numpy())
        if len(pool) == 0:
            raise ValueError(
                f"No auxiliary record holds every unknown column {self.unknown_labels_}; the "
                "attacker needs some to draw them from."
            )
        draw = pool[rng.choice(len(pool), size=self.n_samples, replace=len(pool) < self.n_samples)]
        samples = None
        if self.unknown_labels_:
            samples = frame[self.unknown_labels_].iloc[draw].reset_index(drop=True)
        self.unknown_samples_ = samples
        return draw

    def _choose_mode(self, n_tuples):
        """The mode: one attribute, the whole product grid, or coordinate ascent."""
        if len(self.sensitive_names_) == 1:
            return "single"
        if n_tuples <= self.max_joint_candidates:
            return "product"
        return "coordinate"

    def _fit_product_attack(self, model, frame, y_aux, known_labels, encoded, n_tuples):
        """Fit the wrapped attack once, on one virtual column coding every candidate tuple."""
        sensitive, values = self.sensitive_names_, self.candidates_
        self.joint_candidates_ = list(itertools.product(*(values[s] for s in sensitive)))
        joint_values = {
            label: self._column_values(frame[label], [t[i] for t in self.joint_candidates_])
            for i, label in enumerate(self.sensitive_labels_)
        }
        # Tuple codes in itertools.product's order: the last attribute varies fastest.
        strides = np.cumprod([1] + [len(values[s]) for s in sensitive[::-1]][:-1])[::-1]
        codes = sum(encoded[s] * stride for s, stride in zip(sensitive, strides))
        virtual = [c for c in known_labels if c not in self.sensitive_labels_]
        adapter = self._adapter(
            model, virtual + [JOINT_COLUMN], joint_values, self.unknown_samples_
        )
        aux_virtual = frame[virtual].assign(**{JOINT_COLUMN: codes})
        return self._fit_one(
            adapter, JOINT_COLUMN, np.arange(n_tuples), "categorical", aux_virtual, y_aux
        )

    def _fit_attribute_attacks(self, model, frame, y_aux, known_labels):
        """Fit the wrapped attack once per hidden attribute (single and coordinate modes)."""
        adapter = self._adapter(model, known_labels, None, self.unknown_samples_)
        return [
            self._fit_one(
                adapter,
                label,
                self.candidates_[name],
                self.sensitive_kinds_[name],
                frame[known_labels],
                y_aux,
            )
            for name, label in zip(self.sensitive_names_, self.sensitive_labels_)
        ]

    def _fit_starting_attacks(self, model, frame, y_aux, draw):
        """Fit, per attribute, the attack with the other attributes unknown (coordinate start)."""
        # The starting point: each attribute inferred with the others unknown (averaged over
        # the same auxiliary draws). Starting from the most common values instead leaves
        # coordinate ascent in a wrong local optimum whenever two attributes' effects can
        # offset each other.
        for name, label in zip(self.sensitive_names_, self.sensitive_labels_):
            hidden = self.unknown_labels_ + [c for c in self.sensitive_labels_ if c != label]
            virtual = [c for c in frame.columns if c not in hidden]
            adapter = self._adapter(
                model, virtual, None, frame[hidden].iloc[draw].reset_index(drop=True)
            )
            self.init_attacks_.append(
                self._fit_one(
                    adapter,
                    label,
                    self.candidates_[name],
                    self.sensitive_kinds_[name],
                    frame[virtual],
                    y_aux,
                )
            )

    def _fit_one(self, adapter, label, candidates, kind, aux, y_aux):
        attack = clone(self.base_attack).set_params(
            estimator=adapter, sensitive=label, candidates=list(candidates), sensitive_type=kind
        )
        # The model sees n_samples rows per completed record: keep each call's size bounded.
        attack.set_params(max_rows_per_call=max(1, attack.max_rows_per_call // adapter.n_draws))
        return attack.fit(aux, y_aux)

    def _adapter(self, model, virtual, joint_values, samples):
        layout = self.real_layout_
        real = [str(c) for c in layout.columns] if not layout.is_frame else list(layout.columns)
        return _CompletingModel(
            model,
            real_columns=real,
            virtual_columns=virtual,
            is_frame=layout.is_frame,
            array_dtype=layout.array_dtype,
            joint_values=joint_values,
            unknown_samples=samples,
        )

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _as_list(value, name):
        if isinstance(value, (str, int, np.integer)) or not np.iterable(value):
            value = [value]
        value = list(value)
        if len(set(map(str, value))) != len(value):
            raise ValueError(f"{name} names a column twice: {value}.")
        return value

    @staticmethod
    def _label(column, layout, X_aux=None, what="sensitive"):
        """The label of a column in the attack's frames (positions → strings for array models).

        A frame's columns are named by label even when the model was fitted on an array.
        """
        if layout.is_frame:
            return column
        if isinstance(X_aux, pd.DataFrame):
            return str(frame_column_position(column, X_aux, name="X_aux", what=what))
        if not isinstance(column, (int, np.integer)) or not 0 <= column < len(layout.columns):
            raise ValueError(
                f"The model was fitted on an array: name columns by position (0 to "
                f"{len(layout.columns) - 1}); got {column!r}."
            )
        return str(int(column))

    @staticmethod
    def _to_frame(X, layout, *, name):
        if layout.is_frame:
            if not isinstance(X, pd.DataFrame):
                raise ValueError(f"The model takes named columns; pass {name} as a DataFrame.")
            return X
        array = np.asarray(X)
        if array.ndim != 2:
            raise ValueError(f"{name} must be 2-D (records × columns); got shape {array.shape}.")
        index = X.index if isinstance(X, pd.DataFrame) else None
        return pd.DataFrame(array, columns=[str(i) for i in range(array.shape[1])], index=index)

    @staticmethod
    def _codes(column, values, kind):
        if kind == "numeric":
            return np.abs(
                column.to_numpy(dtype=float)[:, None] - values.astype(float)[None, :]
            ).argmin(axis=1)
        codes = pd.Index(values).get_indexer(column.to_numpy())
        return np.where(codes < 0, 0, codes)  # unseen in candidates cannot happen: made from it

    @staticmethod
    def _column_values(column, values):
        """Values in the column's own dtype (pandas str, category…), ready for ``take``."""
        if isinstance(column.dtype, np.dtype):
            return np.asarray(values, dtype=column.dtype)
        return pd.array(values, dtype=column.dtype)

    @staticmethod
    def _real_cost(attacks, which="last"):
        """What the wrapped attacks cost on the real model (``n_draws`` rows per virtual row)."""
        total = QueryCost()
        for attack in attacks:
            cost = getattr(attack, f"{which}_query_cost_")
            total = total + QueryCost(rows=cost.rows * attack.estimator.n_draws, calls=cost.calls)
        return total

    def _targets(self, X):
        """The targets' frame with only what the attacker knows (hidden/unknown columns dropped)."""
        check_is_fitted(self, "attacks_")
        layout = self.real_layout_
        if layout.is_frame:
            if not isinstance(X, pd.DataFrame):
                raise ValueError("The model takes named columns; pass X as a DataFrame.")
            frame = X
        else:
            array = np.asarray(X)
            n_all = len(layout.columns)
            if array.ndim != 2 or array.shape[1] != n_all:
                raise ValueError(
                    f"X must have the model's {n_all} columns (hidden and unknown ones are "
                    f"ignored); got shape {array.shape}."
                )
            frame = self._to_frame(X, layout, name="X")
        hidden = set(self.sensitive_labels_) | set(self.unknown_labels_)
        # Never peek: the hidden and unknown columns are dropped before anything else runs.
        return frame.drop(columns=[c for c in frame.columns if c in hidden])

    # -- the verbs ----------------------------------------------------------------------------
    def attack(self, X, y=None, *, observed=None):
        """Infer every hidden attribute of each target record.

        Parameters
        ----------
        X : DataFrame or ndarray
            The targets' records; hidden and unknown columns, if present, are ignored.
        y : array-like of shape (n,), default=None
            The targets' true labels, if the threat model gives them to the attacker.
        observed : array-like, default=None
            The model's output for each target's real record, as the victim saw it.

        Returns
        -------
        DataFrame of shape (n, n_sensitive)
            One column per hidden attribute, indexed like ``X``.
        """
        known = self._targets(X)
        if self.mode_ in ("product", "single"):
            attack = self.attacks_[0]
            guesses = attack.attack(known, y, observed=observed)
            self.last_query_cost_ = self._real_cost([attack])
            self.n_iter_ = 1
            if self.mode_ == "single":
                return guesses.to_frame(self.sensitive_names_[0])
            tuples = [self.joint_candidates_[int(c)] for c in guesses.to_numpy()]
            return pd.DataFrame(tuples, index=known.index, columns=self.sensitive_names_)
        return self._coordinate_ascent(known, y, observed)[0]

    def _coordinate_ascent(self, known, y, observed, want_proba=False):
        names, labels = self.sensitive_names_, self.sensitive_labels_
        cost = QueryCost()

        def run(attack, frame, verb="attack"):
            nonlocal cost
            answer = getattr(attack, verb)(frame, y, observed=observed)
            cost = cost + self._real_cost([attack])
            return answer

        current = {
            label: run(start, known).to_numpy() for label, start in zip(labels, self.init_attacks_)
        }
        for round_ in range(1, self.max_iter + 1):
            changed = False
            for label, attack in zip(labels, self.attacks_):
                others = {other: values for other, values in current.items() if other != label}
                guesses = run(attack, known.assign(**others)).to_numpy()
                changed |= not np.array_equal(guesses, current[label])
                current[label] = guesses
            if not changed:
                break
        probas = {}
        for name, label, attack in zip(names, labels, self.attacks_ if want_proba else []):
            others = {other: values for other, values in current.items() if other != label}
            probas[name] = run(attack, known.assign(**others), "attack_proba")
        self.n_iter_ = round_
        self.last_query_cost_ = cost
        guesses = pd.DataFrame(
            {n: current[lab] for n, lab in zip(names, labels)}, index=known.index
        )
        return guesses, probas

    def attack_proba(self, X, y=None, *, observed=None):
        """The wrapped attack's scores of every candidate tuple (product and single modes).

        Returns
        -------
        DataFrame of shape (n, n_tuples)
            Columns: a MultiIndex of the candidate tuples, named after the attributes (a plain
            index of values in single mode). Rows sum to 1. Coordinate ascent never scores
            every tuple: use :meth:`attack_marginals` there.
        """
        if self.mode_ == "coordinate":
            raise ValueError(
                f"The product grid of {self.sensitive_names_} has more than "
                f"max_joint_candidates={self.max_joint_candidates} tuples, so the attack ran "
                "coordinate ascent and never scored every tuple. Use attack_marginals(), or "
                "raise max_joint_candidates."
            )
        known = self._targets(X)
        attack = self.attacks_[0]
        proba = attack.attack_proba(known, y, observed=observed)
        self.last_query_cost_ = self._real_cost([attack])
        if self.mode_ == "single":
            return proba
        proba.columns = pd.MultiIndex.from_tuples(
            self.joint_candidates_, names=self.sensitive_names_
        )
        return proba

    def attack_marginals(self, X, y=None, *, observed=None):
        """Each attribute's scores over its own candidates.

        In product mode, sums of the joint scores over the other attributes; in coordinate
        mode, each attribute's scores with the others fixed at the final guesses.

        Returns
        -------
        dict of str to DataFrame
            Attribute → (n, n_candidates) frame whose rows sum to 1.
        """
        if self.mode_ == "coordinate":
            return self._coordinate_ascent(self._targets(X), y, observed, want_proba=True)[1]
        proba = self.attack_proba(X, y, observed=observed)
        if self.mode_ == "single":
            return {self.sensitive_names_[0]: proba}
        return {
            name: proba.T.groupby(level=name, sort=False)
            .sum()
            .T.reindex(columns=list(self.candidates_[name]))
            for name in self.sensitive_names_
        }

    def predict(self, X, y=None, *, observed=None):
        """Alias of :meth:`attack`."""
        return self.attack(X, y, observed=observed)

    def score(self, X, y=None, *, observed=None, attribute=None, scoring=None):
        """How well the attack infers the hidden values held in ``X``.

        Parameters
        ----------
        X : DataFrame or ndarray
            Target records *with* their true hidden values (used only for scoring).
        y, observed : see :meth:`attack`.
        attribute : column label, default=None
            Score this attribute alone (any ``scoring`` of the wrapped attacks). Default: the
            share of records whose every hidden attribute is right (categorical attributes
            exactly; numeric ones within half a grid step is not attempted: pass ``attribute``).

        Returns
        -------
        float
        """
        truth = self._truth(X)  # checked before any query is spent
        guesses = self.attack(X, y, observed=observed)
        if attribute is not None:
            if attribute not in self.sensitive_names_:
                raise ValueError(f"attribute={attribute!r} is not one of {self.sensitive_names_}.")
            return score_guesses(
                truth[attribute], guesses[attribute], self.sensitive_kinds_[attribute], scoring
            )
        numeric = [n for n, k in self.sensitive_kinds_.items() if k == "numeric"]
        if numeric:
            raise ValueError(
                f"Joint accuracy needs categorical attributes; {numeric} are numeric. Pass "
                "attribute=... to score one attribute."
            )
        return float((guesses.astype(object) == truth.astype(object)).all(axis=1).mean())

    def _truth(self, X):
        layout = self.real_layout_
        frame = X if layout.is_frame else self._to_frame(X, layout, name="X")
        missing = [
            n
            for n, lab in zip(self.sensitive_names_, self.sensitive_labels_)
            if lab not in frame.columns
        ]
        if missing:
            raise ValueError(f"X must hold the true values of {missing} to be scored.")
        truth = {}
        for name, label in zip(self.sensitive_names_, self.sensitive_labels_):
            # The real model's layout checks each truth: present, and of the auxiliary type.
            column = label if layout.is_frame else int(label)
            single = replace(layout, sensitive=column)
            record_value_kinds(single, getattr(layout, "_value_kinds", {}))
            truth[name] = true_sensitive(
                single, X if layout.is_frame else frame.to_numpy(), name="X"
            )
        return pd.DataFrame(truth, index=frame.index)

    def score_table(self, X, y=None, *, observed=None):
        """Per-attribute scores (:func:`tabinvert.metrics.inference_scores`), one row each."""
        truth = self._truth(X)
        guesses = self.attack(X, y, observed=observed)
        return pd.DataFrame(
            {
                name: inference_scores(
                    truth[name].to_numpy(),
                    guesses[name].to_numpy(),
                    kind=self.sensitive_kinds_[name],
                )
                for name in self.sensitive_names_
            }
        ).T

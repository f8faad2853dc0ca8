"""White-box attribute inference from the training mass in a tree model's leaves.

Fredrikson, Jha & Ristenpart (CCS 2015), generalised to tree ensembles.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from numbers import Real
from typing import Callable

import numpy as np
import pandas as pd
from joblib import effective_n_jobs
from scipy.optimize import minimize
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data

from .._sklearn_compat import Interval, StrOptions, TreePredictor, openmp_effective_n_threads
from .._cache import content_key
from .._query import (
    DEFAULT_MAX_ROWS_PER_CALL,
    QueryCost,
    _answering_model,
    _complete,
    _known_block,
    n_records,
    query_candidates,
    take_grid_leaves,
)
from .._validation import check_model_fitted, loaded_instance, split_known
from ._base import (
    COMMON_PARAMS_DOC,
    AttackCapabilities,
    BaseAttack,
    gaussian_error_scale,
    model_is_classifier,
)
from ._confidence import _LABEL_NOISE, _softmax, _take_class, class_positions
from ._learners import learner_threads

_TINY = 1e-12
#: Pseudo-count (in auxiliary records) that shrinks a leaf's mass ratio toward 1 ("no evidence").
_PSEUDO_COUNT = 1.0
#: Leaf indices held at once, per chunk of completed records (rows × trees), bounds memory.
_MAX_LEAF_CELLS = 1 << 22
#: What ``evidence="auto"`` / ``prior="auto"`` maximise on the auxiliary records.
_SCORINGS = ("accuracy", "balanced_accuracy", "mcc")
#: Fewer auxiliary records than this: no choice (the first option: the leaves).
_MIN_SELECTION_ROWS = 10
#: More auxiliary records than this: the choice is made on a seeded sample of this many.
_MAX_SELECTION_ROWS = 50_000
#: Upper bound of each weight of the combined evidence (fitted on the auxiliary records).
_MAX_WEIGHT = 50.0
#: Folds of the cross-fitted combined evidence whose held-out score decides the choice.
_N_FOLDS = 5
#: Up to this many candidates the leaves' shared prior compares whole rows of records.
_FEW_CANDIDATES = 8
#: Leaf indices of the completed auxiliary records kept between counting them and choosing
#: the evidence on them (rows × trees); more are found again instead (bounds memory).
_MAX_KEPT_LEAF_CELLS = 1 << 24
#: Scores this close are tied (as in argmax_random_ties); CSMIA's ties get a nudge this size
#: from the leaves' posterior.
_TIE, _TIE_BREAK = 1e-12, 1e-6

_SKLEARN_TREES = (
    DecisionTreeClassifier,
    DecisionTreeRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
)
_HIST_TREES = (HistGradientBoostingClassifier, HistGradientBoostingRegressor)


def _is_sklearn_tree(model):
    return isinstance(model, _SKLEARN_TREES)


def _is_hist_tree(model):
    return isinstance(model, _HIST_TREES)


def _is_xgboost(model):
    return loaded_instance(model, "xgboost", "XGBClassifier", "XGBRegressor")


def _is_lightgbm(model):
    return loaded_instance(model, "lightgbm", "LGBMClassifier", "LGBMRegressor")


@dataclass(frozen=True)
class _TreeFamily:
    """A family of tree models whose trees the attack reads, declared in one place.

    Attributes
    ----------
    name : str
        What :class:`_Trees` calls the family (its ``kind``).
    described : str
        The models, as the message refusing any other names them.
    is_member : callable
        ``is_member(model)``: whether ``model`` belongs to the family.
    read : callable
        ``read(trees, model)``: reads the trees' leaf masses into ``trees`` (a :class:`_Trees`).
    answers_from_leaves : bool
        Whether the model's own answer may be read off the leaves it finds (for the black-box
        attacks' grids, :class:`_GridReader`); False where it is always asked of the model.
    """

    name: str
    described: str
    is_member: Callable
    read: Callable
    answers_from_leaves: bool


def _tree_family(model):
    """The :class:`_TreeFamily` of ``model``, or None for a model whose trees are not read."""
    return next((family for family in _TREE_FAMILIES if family.is_member(model)), None)


def split_tree_model(model):
    """``(preprocessing, tree_model)`` of a supported model; a TypeError for any other.

    ``preprocessing`` is the fitted Pipeline of the steps before the trees, or None.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.attacks._whitebox_tree import split_tree_model
    >>> split_tree_model(LogisticRegression())
    Traceback (most recent call last):
    ...
    TypeError: WhiteBoxTreeInversion reads the trees of DecisionTreeClassifier/Regressor, ...
    """
    original = model
    if isinstance(model, FrozenEstimator):
        model = model.estimator
    preprocessing = None
    if isinstance(model, Pipeline):
        final = model.steps[-1][1]
        if isinstance(final, FrozenEstimator):
            final = final.estimator
        preprocessing = model[:-1] if len(model.steps) > 1 else None
        model = final
    if _tree_family(model) is None:
        described = type(model).__name__
        if model is not original:
            described += f" (inside {type(original).__name__})"
        raise TypeError(
            f"WhiteBoxTreeInversion reads the trees of {SUPPORTED_MODELS}; got {described}, "
            "which has no trees it can read. Use a black-box attack (ConfidenceInversion, "
            "LabelOnlyInversion) for other models."
        )
    check_model_fitted(model)
    return preprocessing, model


class _Trees:
    """The leaves of a fitted tree model: leaf index of every row, training mass of every node
    (of every leaf, for LightGBM, whose leaves are numbered apart from its inner nodes)."""

    def __init__(self, model):
        self.model = model
        family = _tree_family(model)
        self.kind = family.name  # plain state (the family is looked up): pickled to workers
        self.masses = []  # per tree: the training mass at each node index the leaves give
        self.totals = None  # per tree: its whole training mass
        family.read(self, model)
        if self.totals is None:
            self.totals = np.array([mass[0] for mass in self.masses])  # the root holds it all
        self._node_outputs = {}  # per method: each tree's output at each node (averaging trees)
        self._derived_checked = {}  # per method: whether the boosted sum read off the leaves
        # was found equal to the model's own output (see output_from_leaves)
        self._leaves_checked = False  # LightGBM: whether its leaf indices were checked

    @property
    def family(self):
        """The :class:`_TreeFamily` of the model read."""
        return next(family for family in _TREE_FAMILIES if family.name == self.kind)

    def _read_sklearn(self, model):
        if hasattr(model, "tree_"):
            trees = [model.tree_]
        else:
            trees = [estimator.tree_ for estimator in np.ravel(model.estimators_)]
        self.masses = [np.asarray(tree.weighted_n_node_samples, dtype=float) for tree in trees]

    def _read_hist(self, model):
        self.node_predictors = []
        self.node_values = []  # each node's own output (a leaf's contribution)
        for predictors in model._predictors:
            for predictor in predictors:
                self.node_values.append(np.asarray(predictor.nodes["value"], dtype=float))
                nodes = predictor.nodes.copy()
                nodes["value"] = np.arange(len(nodes))  # "predicts" the index of its leaf
                self.node_predictors.append(
                    TreePredictor(
                        nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets
                    )
                )
                self.masses.append(nodes["count"].astype(float))

    def _read_xgboost(self, model):
        frame = model.get_booster().trees_to_dataframe()
        self.leaf_values, self.is_leaf = [], []
        for _, tree in frame.groupby("Tree", sort=True):
            nodes = tree["Node"].to_numpy(dtype=int)
            mass = np.zeros(nodes.max() + 1)
            mass[nodes] = tree["Cover"].to_numpy(dtype=float)
            self.masses.append(mass)
            value = np.zeros(nodes.max() + 1)  # a leaf's "Gain" is its output value
            is_leaf = (tree["Feature"] == "Leaf").to_numpy()
            value[nodes[is_leaf]] = tree["Gain"].to_numpy(dtype=float)[is_leaf]
            self.leaf_values.append(value)
            leaf_mask = np.zeros(nodes.max() + 1, dtype=bool)
            leaf_mask[nodes[is_leaf]] = True
            self.is_leaf.append(leaf_mask)

    def _read_lightgbm(self, model):
        """Each leaf's ``leaf_count`` (training records, not a hessian sum like XGBoost's
        cover) and output, at the index ``predict(pred_leaf=True)`` gives it. The same
        iterations as the model's own predictions (its best iteration after early stopping)."""
        dump = model.booster_.dump_model()
        self.n_groups = dump["num_tree_per_iteration"]  # tree t adds to class t mod n_groups
        self.average_output = bool(dump.get("average_output"))  # boosting="rf"
        self.leaf_values, self.linear_leaves = [], False
        for t, tree in enumerate(dump["tree_info"]):
            mass, value = np.zeros(tree["num_leaves"]), np.zeros(tree["num_leaves"])
            for leaf in _lightgbm_leaves(tree["tree_structure"]):
                if "leaf_count" not in leaf:
                    raise ValueError(
                        f"The LightGBM model's tree {t} has a leaf without its training count "
                        "(leaf_count in booster_.dump_model()), which WhiteBoxTreeInversion "
                        "reads. Refit the model with lightgbm>=4, or use a black-box attack "
                        "(ConfidenceInversion, LabelOnlyInversion)."
                    )
                index = leaf.get("leaf_index", 0)  # a tree without a split: its one leaf
                mass[index], value[index] = leaf["leaf_count"], leaf["leaf_value"]
                self.linear_leaves |= bool(leaf.get("leaf_coeff"))
            self.masses.append(mass)
            self.leaf_values.append(value)
        self.totals = np.array([mass.sum() for mass in self.masses])

    def xgboost_hessian_objective(self):
        """The model's objective if its hessian is not constant (cover is then no count)."""
        if self.kind != "xgboost":
            return None
        config = json.loads(self.model.get_booster().save_config())["learner"]
        objective = config["objective"]["name"]
        parallel = int(
            config["gradient_booster"].get("gbtree_model_param", {}).get("num_parallel_tree", 1)
        )
        if objective.startswith(("binary:logistic", "binary:logitraw", "multi:soft")):
            return objective if parallel == 1 else None
        return None

    def estimate_xgboost_counts(self, X):
        """Turn XGBoost's cover (a sum of hessians, not of records) into estimated counts.

        Cover is a count only for a constant hessian (squared error). For the logistic and
        softmax losses a record weighs ``p(1 - p)`` at the stage its tree was grown, so a leaf
        of confident records holds many more people than its cover says. The attacker divides
        each leaf's cover by the mean hessian of its own auxiliary records ``X`` (already
        transformed) in that leaf, at that stage; a leaf none of them reaches gets the tree's
        mean. The root's mass becomes the sum over the leaves.
        """
        objective = self.xgboost_hessian_objective()
        if objective is None:
            return
        leaves = self.leaves(X)
        n, n_trees = leaves.shape
        contributions = np.column_stack([self.leaf_values[t][leaves[:, t]] for t in range(n_trees)])
        margin = np.asarray(self.model.predict(X, output_margin=True), dtype=float).reshape(n, -1)
        n_groups = margin.shape[1]
        # Margin of every class before each boosting round: the final margin minus what the
        # trees of that round and later added (tree t grows for class t mod n_groups).
        later = np.zeros_like(margin)
        hessians = np.empty((n, n_trees))
        for round_start in range(n_trees - n_groups, -1, -n_groups):
            block = contributions[:, round_start : round_start + n_groups]
            later += block
            before = margin - later
            if n_groups == 1:
                p = 1.0 / (1.0 + np.exp(-before[:, 0]))
                hessians[:, round_start] = p * (1 - p)
            else:
                shifted = np.exp(before - before.max(axis=1, keepdims=True))
                p = shifted / shifted.sum(axis=1, keepdims=True)
                hessians[:, round_start : round_start + n_groups] = 2 * p * (1 - p)  # XGBoost's
        np.clip(hessians, 1e-16, None, out=hessians)
        for t in range(n_trees):
            size = len(self.masses[t])
            reached = np.bincount(leaves[:, t], minlength=size)
            mean_hessian = np.bincount(leaves[:, t], weights=hessians[:, t], minlength=size)
            mean_hessian = np.where(
                reached > 0, mean_hessian / np.maximum(reached, 1), hessians[:, t].mean()
            )
            is_leaf = self.is_leaf[t]
            counts = np.where(is_leaf, self.masses[t] / mean_hessian, 0.0)
            if not is_leaf[0]:  # the root of a tree that splits: all its leaves' records
                counts[0] = counts[is_leaf].sum()
            self.masses[t] = counts
        self.totals = np.array([mass[0] for mass in self.masses])

    def reads_output_from_leaves(self, method):
        """Whether :meth:`output_from_leaves` reads the model's ``method`` off the leaves."""
        if self.kind == "hist":
            return bool(self._derived_checked.get(method))
        averaging = (
            DecisionTreeClassifier,
            DecisionTreeRegressor,
            RandomForestClassifier,
            RandomForestRegressor,
            ExtraTreesClassifier,
            ExtraTreesRegressor,
        )
        return (
            self.kind == "sklearn"
            and isinstance(self.model, averaging)
            and self._averaging_node_outputs(method) is not None
        )

    def output_from_leaves(self, leaves, method):
        """The model's own ``predict_proba`` (or a regressor's ``predict``) read off the leaves
        already found; None when it cannot be (then the model is asked).

        For the averaging tree models (a decision tree, a random forest, extra trees) it is
        the mean of the trees' leaf values, as scikit-learn computes it. For histogram
        gradient boosting it is the model's own sum of its trees' leaf values, in its order,
        through its own link function, once :meth:`check_output_from_leaves` found it equal
        to the model's answer on real rows. Saves running every tree a second time on every
        completed record."""
        if not self.reads_output_from_leaves(method):
            return None
        if self.kind == "hist":
            return self._boosted_output(leaves, method)
        node_outputs = self._averaging_node_outputs(method)
        # Class by class (one contiguous gather per tree and class): the trees' values added
        # in tree order, as scikit-learn adds them, then divided by their number.
        total = np.empty((len(node_outputs[0]), len(leaves)))
        gathered = np.empty(len(leaves))
        for t, values in enumerate(node_outputs):
            leaf = leaves[:, t]
            for c, column in enumerate(values):
                if t == 0:
                    np.take(column, leaf, out=total[c])
                else:
                    np.take(column, leaf, out=gathered)
                    total[c] += gathered
        total /= len(node_outputs)
        return total.T  # (n_rows, n_classes) or (n_rows, 1)

    def _averaging_node_outputs(self, method):
        """Each tree's output at each of its nodes, class by class, (n_classes, n_nodes)
        (``predict_proba``: the node's class shares normalised as scikit-learn normalises a
        leaf's, row by row), computed once per method; None for multi-output trees."""
        if method not in self._node_outputs:
            trees = (
                [self.model.tree_]
                if hasattr(self.model, "tree_")
                else [estimator.tree_ for estimator in self.model.estimators_]
            )
            if trees[0].n_outputs != 1:
                self._node_outputs[method] = None
            else:
                outputs = []
                for tree in trees:
                    value = tree.value[:, 0, :]  # (n_nodes, n_classes) or (n_nodes, 1)
                    if method == "predict_proba":
                        sums = value.sum(axis=1, keepdims=True)
                        value = value / np.where(sums == 0, 1.0, sums)
                    outputs.append(np.ascontiguousarray(value.T))
                self._node_outputs[method] = outputs
        return self._node_outputs[method]

    def _boosted_output(self, leaves, method):
        """A histogram gradient-boosting model's output from its leaves: its raw prediction
        summed as the model sums it (baseline, then each iteration's trees in order, in a
        Fortran-ordered array), through its own loss's link."""
        model = self.model
        raw = np.zeros(
            (len(leaves), model.n_trees_per_iteration_),
            dtype=model._baseline_prediction.dtype,
            order="F",
        )
        raw += model._baseline_prediction
        t = 0
        for predictors in model._predictors:
            for k in range(len(predictors)):
                raw[:, k] += self.node_values[t][leaves[:, t]]
                t += 1
        if method == "predict_proba":
            return model._loss.predict_proba(raw)
        return model._loss.link.inverse(raw.ravel())

    def answer_from_leaves(self, leaves, method):
        """The model's ``method`` as scikit-learn computes it, read off the leaves, for a grid
        reader (:class:`_GridReader`, which checks it against the model's own answer); None
        when this model's answer cannot be read off its leaves (a forest predicting on several
        threads adds its trees in no fixed order)."""
        if self.kind == "hist":
            return self._boosted_output(leaves, method)
        if not self.reads_output_from_leaves(method):
            return None
        if effective_n_jobs(getattr(self.model, "n_jobs", None)) != 1:
            return None
        return self.output_from_leaves(leaves, method)

    def leaf_dtype(self):
        """The smallest integer type holding every node index (for kept leaves)."""
        largest = max(len(mass) for mass in self.masses)
        for dtype in (np.uint8, np.uint16, np.int32):
            if largest <= np.iinfo(dtype).max:
                return dtype
        return np.intp

    def check_output_from_leaves(self, X, leaves, method, n_rows=64):
        """Whether the model's output read off the leaves (:meth:`output_from_leaves`) equals
        the model's own answer, exactly, on the first ``n_rows`` transformed rows ``X`` (with
        their ``leaves``); checked once per method for histogram gradient boosting (the
        averaging models' mean is read as scikit-learn computes it). Afterwards
        :meth:`output_from_leaves` reads it off the leaves only if it was equal."""
        if self.kind != "hist" or method in self._derived_checked or method is None:
            return
        rows = min(n_rows, len(leaves))
        try:
            derived = self._boosted_output(leaves[:rows], method)
            own = np.asarray(getattr(self.model, method)(X[:rows]), dtype=float)
            same = derived.shape == own.shape and np.array_equal(derived, own)
        except Exception:  # private attributes of another scikit-learn: ask the model
            same = False
        self._derived_checked[method] = bool(same)

    def leaves(self, X, n_threads=1):
        """Leaf index of each row in each tree: (n_rows, n_trees) integers, in Fortran order
        (each tree's column contiguous). ``n_threads``: a histogram gradient-boosting model's
        OpenMP threads (None: as many as the model predicts with); a scikit-learn forest uses
        its own ``n_jobs``."""
        model = self.model
        if self.kind == "hist":
            X = model._preprocess_X(X, reset=False)
            known_cat_bitsets, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
            threads = openmp_effective_n_threads() if n_threads is None else n_threads
            leaves = np.empty((len(self.node_predictors), X.shape[0]), dtype=np.intp)
            for t, predictor in enumerate(self.node_predictors):
                leaves[t] = predictor.predict(X, known_cat_bitsets, f_idx_map, threads)
            return leaves.T
        if isinstance(model, (GradientBoostingClassifier, GradientBoostingRegressor)):
            # Its apply() hands named columns to trees fitted without names; validate first.
            X = validate_data(
                model,
                X,
                reset=False,
                dtype=np.float32,
                accept_sparse="csr",
                ensure_all_finite=False,
            )
        if self.kind == "lightgbm":
            leaves = np.asarray(model.predict(X, pred_leaf=True))
            leaves = leaves.reshape(len(leaves), -1)
            self._check_lightgbm_leaves(X, leaves)
            return np.asfortranarray(leaves, dtype=np.intp)
        leaves = np.asarray(model.apply(X))
        return np.asfortranarray(leaves.reshape(len(leaves), -1), dtype=np.intp)

    def _check_lightgbm_leaves(self, X, leaves, n_rows=64):
        """Refuse LightGBM leaf indices that are not those of the trees read: one per tree,
        each a leaf of its tree, and (once, on the first ``n_rows`` rows ``X``) adding up,
        through the leaves' outputs, to the model's own raw score. Routing, categorical
        splits and missing values included, is LightGBM's own (``pred_leaf``): the check makes
        sure the counts read belong to the leaves it routes to."""
        sizes = np.array([len(mass) for mass in self.masses])
        problem = None
        if leaves.shape[1] != len(sizes):
            problem = f"{leaves.shape[1]} leaf indices per row for {len(sizes)} trees"
        elif len(leaves) and ((leaves < 0) | (leaves >= sizes)).any():
            problem = "leaf indices beyond the leaves of their trees"
        elif not self._leaves_checked and not self.linear_leaves and len(leaves):
            rows = min(n_rows, len(leaves))
            own = np.asarray(self.model.predict(X[:rows], raw_score=True), dtype=float)
            own = own.reshape(rows, -1)
            summed = np.zeros((rows, self.n_groups))
            for t, values in enumerate(self.leaf_values):
                summed[:, t % self.n_groups] += values[leaves[:rows, t]]
            totals = [summed]
            if self.average_output:  # a random forest ("rf") averages its trees in its
                # probabilities, but lightgbm 4 gives their sum as the raw score: either is read
                totals.append(summed / max(len(self.leaf_values) // self.n_groups, 1))
            if not any(np.allclose(total, own, rtol=1e-6, atol=1e-6) for total in totals):
                problem = "leaf outputs that do not add up to the model's raw score"
        if problem is not None:
            raise ValueError(
                "WhiteBoxTreeInversion cannot read this LightGBM model: predict(pred_leaf=True) "
                f"gave {problem} (the trees of booster_.dump_model()), so the leaf counts read "
                "would not be those of the leaves the records reach. Use a black-box attack "
                "(ConfidenceInversion, LabelOnlyInversion)."
            )
        self._leaves_checked = True


def _lightgbm_leaves(node):
    """The leaves (dicts) of one tree of LightGBM's ``dump_model()``, walked without
    recursion (a tree grown leaf-wise can be deeper than Python's recursion limit)."""
    stack = [node]
    while stack:
        node = stack.pop()
        if "split_index" in node:
            stack += [node["right_child"], node["left_child"]]
        else:
            yield node


#: The tree models the attack reads, in the order they are recognised.
_TREE_FAMILIES = (
    _TreeFamily(
        "sklearn",
        "DecisionTreeClassifier/Regressor, RandomForestClassifier/Regressor, "
        "ExtraTreesClassifier/Regressor, GradientBoostingClassifier/Regressor",
        _is_sklearn_tree,
        _Trees._read_sklearn,
        answers_from_leaves=True,
    ),
    _TreeFamily(
        "hist",
        "HistGradientBoostingClassifier/Regressor",
        _is_hist_tree,
        _Trees._read_hist,
        answers_from_leaves=True,
    ),
    _TreeFamily(
        "xgboost",
        "xgboost.XGBClassifier/XGBRegressor",
        _is_xgboost,
        _Trees._read_xgboost,
        answers_from_leaves=False,
    ),
    _TreeFamily(
        "lightgbm",
        "lightgbm.LGBMClassifier/LGBMRegressor",
        _is_lightgbm,
        _Trees._read_lightgbm,
        answers_from_leaves=False,
    ),
)

#: The models whose trees :class:`WhiteBoxTreeInversion` reads.
SUPPORTED_MODELS = (
    ", ".join(family.described for family in _TREE_FAMILIES) + ", or a Pipeline ending in one"
    " of them"
)


def shared_prior(leaves, prior):
    """For each record and candidate, the prior mass of the candidates sharing its leaf.

    ``leaves`` is (n, k): the leaf each record reaches with each candidate value. Candidates that
    reach the same leaf are those the leaf's path does not tell apart.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._whitebox_tree import shared_prior
    >>> shared_prior(np.array([[3, 3, 5], [1, 2, 4]]), np.array([0.5, 0.3, 0.2])).tolist()
    [[0.8, 0.8, 0.2], [0.5, 0.3, 0.2]]
    """
    n, k = leaves.shape
    order = np.argsort(leaves, axis=1, kind="stable")
    ordered = np.take_along_axis(leaves, order, axis=1)
    new = np.ones((n, k), dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    group = np.cumsum(new.ravel()) - 1  # each row starts a group: groups never span records
    sums = np.bincount(group, weights=prior[order].ravel())
    shared = np.empty((n, k))
    np.put_along_axis(shared, order, sums[group].reshape(n, k), axis=1)
    return shared


def _shared_prior_by_candidate(leaf, prior):
    """:func:`shared_prior` of a candidate-major (k, n) array of leaves, as a (k, n) array.

    For a few candidates, the leaf of each candidate is compared with every other's, whole
    rows of records at a time (numpy's per-record loops over a short axis are slow), and the
    priors of those sharing it are added in candidate order, as :func:`shared_prior` adds
    them: the same sums, to the last bit.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._whitebox_tree import _shared_prior_by_candidate
    >>> leaves = np.array([[3, 1], [3, 2], [5, 4]])  # (k, n): 3 candidates, 2 records
    >>> _shared_prior_by_candidate(leaves, np.array([0.5, 0.3, 0.2])).T.tolist()
    [[0.8, 0.8, 0.2], [0.5, 0.3, 0.2]]
    """
    k, n = leaf.shape
    if k > _FEW_CANDIDATES:
        return np.ascontiguousarray(shared_prior(leaf.T, prior).T)
    same = {}
    for j in range(k):
        for other in range(j + 1, k):
            same[j, other] = same[other, j] = leaf[j] == leaf[other]
    shared = np.zeros((k, n))
    for j in range(k):
        for other in range(k):  # the order shared_prior adds them in: by candidate
            if other == j:
                shared[j] += prior[j]
            else:
                shared[j] += same[j, other] * prior[other]
    return shared


def _log_mass(trees, leaves, k, prior, aux_counts, n_aux, own_counted):
    """The leaf evidence of completed records: per record and candidate, the mean over the
    record's informative trees of the log leaf-mass ratio (see :class:`_LeafEvidence`), as a
    candidate-major (k, n) array.

    ``leaves`` is (n · k, n_trees), record-major. Every tree's column is read as whole rows of
    records per candidate; each value is computed with the same operations, in the same
    order, as record by record."""
    n_rows, n_trees = leaves.shape
    n = n_rows // k
    log_ratio = np.zeros((k, n))
    n_informative = np.zeros(n)
    for t in range(n_trees):
        leaf = np.ascontiguousarray(leaves[:, t].reshape(n, k).T)  # (k, n)
        informative = np.zeros(n, dtype=bool)
        for j in range(1, k):
            informative |= leaf[j] != leaf[0]
        n_informative += informative
        # Training share of the leaf per unit of prior of the values it admits: under "the
        # leaf says nothing about the secret" this is the population share of the leaf's
        # region of the known features.
        shared = _shared_prior_by_candidate(leaf, prior)
        shared *= trees.totals[t]
        ratio = trees.masses[t][leaf]
        ratio /= shared
        if aux_counts is not None:  # "relative": against how many auxiliary records it holds
            counted = aux_counts[t][leaf]
            counted -= own_counted
            counted += _PSEUDO_COUNT
            ratio *= n_aux - own_counted
            ratio += _PSEUDO_COUNT
            ratio /= counted
        np.clip(ratio, _TINY, None, out=ratio)
        log_ratio += np.log(ratio, out=ratio)
    log_ratio /= np.maximum(n_informative, 1)
    return log_ratio


def _option_name(kind, prior):
    """How ``selection_`` names a candidate posterior: "leaves/marginal", "csmia", ..."""
    return kind if prior is None else f"{kind}/{prior}"


def _take_records(known, rows):
    """The known features of the records ``rows`` (a mapping of columns, or a 2-D array)."""
    if isinstance(known, dict):
        return {column: values[rows] for column, values in known.items()}
    return known[rows]


def _classification_score(truth, guesses, metric):
    """Accuracy, balanced accuracy or MCC of guesses against the true candidate positions
    ``truth`` (-1: a value that is no candidate, never guessed right).

    ``guesses`` is (n, k): each record's weight on each candidate, 1 on its guess, or shared
    equally among tied candidates (the expected score when ties are broken at random).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._whitebox_tree import _classification_score
    >>> truth, guesses = np.array([0, 0, 0, 1]), np.eye(2)[[0, 0, 0, 0]]
    >>> [_classification_score(truth, guesses, m) for m in ("accuracy", "balanced_accuracy")]
    [0.75, 0.5]
    >>> _classification_score(truth, guesses, "mcc")
    0.0
    >>> _classification_score(truth, np.full((4, 2), 0.5), "accuracy")  # coin flips
    0.5
    """
    k = guesses.shape[1]
    truth = np.where(truth < 0, k, truth)
    confusion = np.zeros((k + 1, k + 1))  # true value × guess, with a row for non-candidates
    np.add.at(confusion, (truth, slice(0, k)), guesses)
    n, correct = confusion.sum(), np.trace(confusion)
    if metric == "accuracy":
        return float(correct / n)
    support = confusion.sum(axis=1)
    if metric == "balanced_accuracy":
        present = support > 0
        return float(np.mean(np.diag(confusion)[present] / support[present]))
    guessed = confusion.sum(axis=0)  # MCC, multiclass (Gorodkin's R_K, as scikit-learn)
    covariance = correct * n - support @ guessed
    spread = np.sqrt((n**2 - support @ support) * (n**2 - guessed @ guessed))
    return float(covariance / spread) if spread > 0 else 0.0


def _fit_log_linear(features, truth, start, bounds):
    """Weights ``w`` (within ``bounds``) that make ``softmax(Σ_j w_j · features[j])`` over the
    candidates the best posterior (log-loss) of the records whose true candidate position
    ``truth`` is known (>= 0): a conditional logit, fitted with its gradient.

    ``features`` is (n_features, k, n); ``start`` the first guess; ``bounds`` each weight's
    (low, high).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.attacks._whitebox_tree import _fit_log_linear
    >>> rng = np.random.default_rng(0)
    >>> evidence = rng.normal(size=(1, 2, 2000))  # one feature, two candidates
    >>> odds = 1 / (1 + np.exp(-2.0 * (evidence[0, 1] - evidence[0, 0])))
    >>> truth = (rng.random(2000) < odds).astype(int)  # the true weight is 2
    >>> _fit_log_linear(evidence, truth, [1.0], [(0.0, 10.0)]).round(1).tolist()
    [2.0]
    """
    known = truth >= 0
    start = np.asarray(start, dtype=float)
    if not known.any():
        return start
    features, truth = features[:, :, known], truth[known]
    true_features = features[:, truth, np.arange(len(truth))]  # (n_features, n)

    def loss_and_gradient(weights):
        scores = np.tensordot(weights, features, axes=1)  # (k, n)
        scores -= scores.max(axis=0)
        posterior = np.exp(scores)
        total = posterior.sum(axis=0)
        posterior /= total
        loss = np.mean(np.log(total) - scores[truth, np.arange(len(truth))])
        gradient = (features * posterior).sum(axis=1).mean(axis=1) - true_features.mean(axis=1)
        return float(loss), gradient

    found = minimize(loss_and_gradient, start, jac=True, method="L-BFGS-B", bounds=bounds)
    return found.x


class _LeafEvidence:
    """Stands in for the model in the query engine: evidence from the leaves of each completion.

    ``predict`` takes completed records (record-major, ``k`` rows per record) and returns, per
    row, the mean over the record's informative trees of the log leaf-mass ratio, followed by
    the model's own output (its probabilities, or a regressor's prediction), computed on the
    same transformed rows. Going through the query engine gives chunking (bounded memory),
    ``n_jobs`` and the frame/array handling of completed records for free.
    """

    def __init__(
        self, preprocessing, trees, k, prior, aux_counts, n_aux, output_method, own_counted=False
    ):
        self.preprocessing = preprocessing
        self.trees = trees
        self.k = k
        self.prior = prior
        self.aux_counts = aux_counts
        self.n_aux = n_aux
        self.output_method = output_method
        # The records are auxiliary records, each counted once in every leaf it reaches: they
        # are scored as if left out (their own count taken away), as a target would be.
        self.own_counted = int(own_counted)

    def predict(self, X):
        with learner_threads(len(X)):
            return self._predict(X)

    def _predict(self, X):
        if self.preprocessing is not None:
            X = self.preprocessing.transform(X)
        leaves = self.trees.leaves(X)
        self.trees.check_output_from_leaves(X, leaves, self.output_method)
        return self.evidence(leaves, X)

    def evidence(self, leaves, X=None):
        """The rows :meth:`predict` returns, from the completions' ``leaves`` (and their
        transformed rows ``X``, asked of the model when its output cannot be read off the
        leaves; None: it can)."""
        n_rows = len(leaves)
        log_ratio = _log_mass(
            self.trees,
            leaves,
            self.k,
            self.prior,
            self.aux_counts,
            self.n_aux,
            self.own_counted,
        )
        columns = [log_ratio.T.reshape(n_rows, 1)]
        if self.output_method is not None:
            output = self.trees.output_from_leaves(leaves, self.output_method)
            if output is None:
                output = np.asarray(getattr(self.trees.model, self.output_method)(X), dtype=float)
            columns.append(output.reshape(n_rows, -1))
        return np.hstack(columns)


#: Rows of each chunk on which a grid reader's answer is checked against the model's own.
_CHECKED_ROWS = 64


class _GridReader:
    """Answers the model's grids for the query engine from the leaves of its trees, and hands
    the leaves to the engine to keep for the white-box attack (see
    :func:`~tabinvert._query.reading_grid_leaves`): one pass of every completion through
    the trees serves the black-box attacks' queries and the white-box attack's evidence.

    Each chunk's answer is the model's own, read off the leaves as the model computes it, and
    checked to equal, exactly, the model's answer on the chunk's first rows; otherwise the
    engine asks the model as usual."""

    def __init__(self, attack):
        self.model = attack.estimator
        self.answering = _answering_model(attack.estimator)
        self.columns, self.sensitive = attack.layout_.columns, attack.layout_.sensitive
        self.candidates = content_key(pd.Series(attack.candidate_values_))
        self.method = attack.response_method_
        self.preprocessing = attack._preprocessing
        self.trees = attack._trees
        self.dtype = attack._trees.leaf_dtype()

    def reads(self, model, layout, candidate_values, response_method):
        return (
            _answering_model(model) is self.answering
            and response_method == self.method
            and layout.columns == self.columns
            and layout.sensitive == self.sensitive
            and content_key(pd.Series(candidate_values)) == self.candidates
        )

    def leaf_bytes(self, n_rows):
        return n_rows * len(self.trees.masses) * np.dtype(self.dtype).itemsize

    def read(self, model, response_method, completed):
        n_trees = len(self.trees.masses)
        step = max(1, _MAX_LEAF_CELLS // max(n_trees, 1))  # full-width leaf indices at once
        answers, kept = [], np.empty((len(completed), n_trees), self.dtype, order="F")
        for start in range(0, len(completed), step):
            part = _rows_of(completed, slice(start, start + step))
            X = part if self.preprocessing is None else self.preprocessing.transform(part)
            leaves = self.trees.leaves(X, n_threads=None)
            answer = self.trees.answer_from_leaves(leaves, response_method)
            if answer is None:
                return None
            answers.append(answer)
            kept[start : start + len(leaves)] = leaves
        answer = np.concatenate(answers) if len(answers) > 1 else answers[0]
        # The model's own answer on the first rows: the one read off the leaves must equal it.
        rows = min(_CHECKED_ROWS, len(completed))
        own = np.asarray(getattr(model, response_method)(_rows_of(completed, slice(0, rows))))
        if own.ndim == 1:
            answer = answer.reshape(len(answer))
        if own.shape != answer[:rows].shape or not np.array_equal(own, answer[:rows]):
            return None
        return answer, kept


def _rows_of(X, rows):
    """Rows of a frame or an array."""
    return X.iloc[rows] if hasattr(X, "iloc") else X[rows]


class WhiteBoxTreeInversion(BaseAttack):
    """Infer a sensitive attribute by reading the training mass in a tree model's leaves.

    Fredrikson, Jha & Ristenpart (CCS 2015) white-box estimator, generalised from one decision
    tree to tree ensembles. The attacker holds the fitted trees with the training mass of every
    node (scikit-learn's ``tree_.weighted_n_node_samples``, HistGradientBoosting's node
    ``count``, XGBoost's ``cover``, LightGBM's ``leaf_count``; BigML publishes the same counts
    with shared models). For each target, each candidate value ``v`` of the sensitive attribute
    is put into the record and the completed record is sent down every tree (leaf indices of
    all ``n × k`` completions at once, tree by tree; the model is never queried as a service).
    The same pass reads the model's probabilities for each completion. Its posterior combines a
    prior, the leaf-mass evidence ``M(v)`` (how much of the training mass the leaves the
    completion reaches hold, against their share of the auxiliary records) and the model's
    probability of the true label; ``evidence`` chooses among four posteriors (``"auto"``: the
    best on the auxiliary records).
    The user guide explains each term and choice: :ref:`whitebox-tree`.

    Threat model (white box). The attacker holds the fitted model itself (its trees and their
    per-node training counts, and any preprocessing steps of its Pipeline); knows, for every
    target record, the non-sensitive features the model uses and optionally its true label
    ``y``; and holds auxiliary records from the same population *with* the sensitive column
    (``fit``), from which it learns the candidate values, their prior, the population share
    of each leaf's region and, with their labels, how to weigh the evidence. It never sees the
    targets' sensitive values: ``attack`` drops that column from ``X`` before doing anything.

    Parameters
    ----------
    estimator : object
        The target model (fitted): one of :data:`SUPPORTED_MODELS` (DecisionTree, RandomForest,
        ExtraTrees, GradientBoosting or HistGradientBoosting classifiers and regressors, XGBoost
        ``XGBClassifier``/``XGBRegressor``, LightGBM ``LGBMClassifier``/``LGBMRegressor``),
        possibly the last step of a Pipeline (the completed records are transformed by the
        preceding steps). Held frozen, never refitted. CatBoost's trees are not read: attack a
        CatBoost model with the black-box attacks.
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    prior : {{"auto", "marginal", "uniform"}}, default="auto"
        The candidates' prior: their frequency in the auxiliary data, uniform, or chosen with
        the evidence ("auto", see above; the marginal for a numeric attribute). The leaf
        evidence always uses the marginal to decide which values a leaf admits; CSMIA uses none.
    evidence : {{"auto", "leaves", "combined", "label", "csmia"}}, default="auto"
        Which posterior to read when the targets' labels are given (see above): the one that
        scores best on the auxiliary records, or one of them. "csmia" needs a classifier.
        Without labels in ``fit`` (``y_aux``) nothing is chosen: "auto" reads the leaves, and
        "combined" weighs its terms as the leaves' posterior does.
    scoring : {{"accuracy", "balanced_accuracy", "mcc"}}, default="accuracy"
        What ``evidence="auto"`` and ``prior="auto"`` maximise on the auxiliary records (a
        categorical attribute; a numeric one is scored by mean absolute error).
    leaf_mass : {{"relative", "raw"}}, default="relative"
        How a leaf's training mass is read (see above): against the auxiliary records'
        population share of its region, or as Fredrikson's raw count.
    noise_scale : float, default=None
        Regressors: the σ of the Gaussian error model (default: the model's RMSE on ``y_aux``).
    {common}
    Attributes
    ----------
    tree_model_ : estimator
        The fitted tree model that was read (the Pipeline's last step, for a Pipeline).
    n_trees_ : int
        Number of trees read.
    n_aux_ : int
        Auxiliary records whose leaves were counted (``leaf_mass="relative"``).
    classes_model_ : ndarray
        The target classifier's classes (classifiers only).
    sigma_ : float or None
        Regressors: σ of the Gaussian error model.
    candidates_ : ndarray
        Candidate values of the sensitive attribute.
    prior_ : ndarray
        Their frequency in the auxiliary data (add-one smoothed).
    sensitive_kind_ : str
        "categorical" or "numeric".
    selection_ : dict
        What was read and why: ``"evidence"`` and ``"prior"`` (for targets with labels; prior
        None for "csmia"), ``"prior_without_label"``, ``"metric"`` (None when nothing was
        scored), ``"scores"`` and ``"scores_without_label"`` (each posterior's held-out score on
        the auxiliary records, by name: "leaves/marginal", "csmia", ...) and
        ``"combined_weights"`` (the combined evidence's weights by term, None without
        ``y_aux``).
    fit_query_cost_, last_query_cost_ : QueryCost
        Always zero: the attacker runs the model's trees itself and sends no queries.

    See Also
    --------
    ConfidenceInversion : The black-box MAP and CSMIA attacks: the "label" and "csmia"
        evidence, asked of the model.

    Notes
    -----
    Training mass is the node's training count for scikit-learn trees (bootstrap-weighted for
    forests, in-bag for subsampled boosting; weighted by ``sample_weight`` / ``class_weight``
    when the model was fitted with them, which then tilts the ratios toward up-weighted
    values), HistGradientBoosting's ``count`` (the training split, without an early-stopping
    validation set), and XGBoost's ``cover``, the sum of the training records' hessians: the
    count for squared error; for the logistic and softmax losses each record weighs
    ``p(1 - p)`` at the stage its tree was grown, so the attack divides each leaf's cover by the
    mean hessian of the auxiliary records in that leaf at that stage (an estimated count; exact
    when the auxiliary records are the training records).
    Reading the raw cover instead tilts every leaf toward the values of confident records (on
    Adult with an XGBoost target: 0.52 accuracy with raw cover, 0.71 with estimated counts).
    LightGBM keeps each leaf's ``leaf_count``, a count of training records (in-bag with
    bagging or GOSS, unweighted by ``sample_weight``), read as it is; its leaves are found
    with its own ``predict(X, pred_leaf=True)``, so categorical splits and missing values go
    where the model sends them. A LightGBM model whose leaf indices do not add up, through the
    leaves' outputs, to its raw score is refused (ValueError), never read wrong.

    IBM ART's ``AttributeInferenceWhiteBoxDecisionTree`` reads one scikit-learn decision tree,
    takes the candidate that reproduces the predicted label if it is unique and otherwise the
    largest ``prior · leaf count``; it scores below its own model-free baseline on Adult. Here
    every tree of an ensemble is read, the label enters as a likelihood (and, in the combined
    evidence, its reproduction with a fitted weight), and the leaf count is compared with the
    population's.

    Choosing among posteriors that include the black-box attacks' own makes the attack, on
    auxiliary records like its targets, at least as good as MAP and CSMIA up to the noise of
    the choice. On a forest that memorised its members (noisy labels, secret 0.8/0.2, training
    records as auxiliary data) it reached MCC 0.88 where CSMIA reached 0.64 and the leaves'
    posterior alone 0.60.

    Examples
    --------
    A model that leaks: the label is the sensitive value XOR a known feature.

    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from tabinvert.attacks._whitebox_tree import WhiteBoxTreeInversion
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame(
    ...     {{"known": rng.integers(0, 2, 400), "secret": rng.integers(0, 2, 400)}}
    ... )
    >>> y = X["known"] ^ X["secret"]
    >>> model = RandomForestClassifier(20, random_state=0).fit(X, y)
    >>> attack = WhiteBoxTreeInversion(model, "secret").fit(X[:200], y[:200])
    >>> attack.n_trees_, attack.last_query_cost_
    (20, QueryCost(rows=0, calls=0))
    >>> float((attack.attack(X[200:], y[200:]) == X["secret"][200:]).mean())
    1.0
    """

    _parameter_constraints: dict = {
        **BaseAttack._parameter_constraints,
        "prior": [StrOptions({"auto", "marginal", "uniform"})],
        "evidence": [StrOptions({"auto", "leaves", "label", "csmia", "combined"})],
        "scoring": [StrOptions(set(_SCORINGS))],
        "leaf_mass": [StrOptions({"relative", "raw"})],
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
    }

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        settings = ["raw counts"] if self.leaf_mass == "raw" else []
        if self.evidence != "auto":
            settings.append(f"{self.evidence} evidence")
        if self.prior != "auto":
            settings.append(f"{self.prior} prior")
        name = "white-box tree" + (f" ({', '.join(settings)})" if settings else "")
        return AttackCapabilities(name, "model", reference="Fredrikson et al., CCS 2015")

    def __init__(
        self,
        estimator,
        sensitive,
        *,
        prior="auto",
        evidence="auto",
        scoring="accuracy",
        leaf_mass="relative",
        noise_scale=None,
        candidates="auto",
        sensitive_type="auto",
        n_grid=20,
        max_rows_per_call=DEFAULT_MAX_ROWS_PER_CALL,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.sensitive = sensitive
        self.prior = prior
        self.evidence = evidence
        self.scoring = scoring
        self.leaf_mass = leaf_mass
        self.noise_scale = noise_scale
        self.candidates = candidates
        self.sensitive_type = sensitive_type
        self.n_grid = n_grid
        self.max_rows_per_call = max_rows_per_call
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _check_model(self, model):
        split_tree_model(model)

    def _get_response_method(self, model):
        return "predict_proba" if model_is_classifier(model) else "predict"

    # -- fitting ------------------------------------------------------------------------------
    def _fit_attack(self, X_aux, y_aux):
        preprocessing, tree_model = split_tree_model(self.estimator)
        if self.evidence == "csmia" and not self.is_classifier_:
            raise ValueError(
                "evidence='csmia' needs a classifier (it compares the label each candidate "
                "produces with the true label); for a regressor use 'leaves', 'label', "
                "'combined' or 'auto'."
            )
        self.tree_model_ = tree_model
        self._preprocessing = preprocessing
        self._trees = _Trees(tree_model)
        self.n_trees_ = len(self._trees.masses)
        if self.is_classifier_:
            self.classes_model_ = np.asarray(tree_model.classes_)
        if self._trees.xgboost_hessian_objective() is not None:
            columns = list(self.layout_.columns)
            X = X_aux[columns] if self.layout_.is_frame else np.asarray(X_aux)
            with learner_threads(len(X)):
                if preprocessing is not None:
                    X = preprocessing.transform(X)
                self._trees.estimate_xgboost_counts(X)
        known, _ = split_known(self.layout_, X_aux, name="X_aux")
        self.n_aux_ = n_records(known)
        self._aux_leaves = None  # the auxiliary completions' leaves, while choosing the evidence
        self._aux_counts = self._count_aux_leaves(known) if self.leaf_mass == "relative" else None
        self.sigma_ = None
        if not self.is_classifier_ and self.noise_scale is not None:
            self.sigma_ = float(self.noise_scale)
        elif not self.is_classifier_ and y_aux is not None:
            columns = list(self.layout_.columns)
            X = X_aux[columns] if self.layout_.is_frame else np.asarray(X_aux)
            self.sigma_, _ = gaussian_error_scale(self.estimator.predict(X), y_aux, None)
        if isinstance(X_aux, pd.DataFrame) and self.layout_.is_frame:
            truth = X_aux[self.layout_.sensitive].to_numpy()
        else:
            truth = np.asarray(X_aux)[:, self.layout_.sensitive_position]
        try:
            self._select_evidence(known, truth, y_aux)
        finally:
            self._aux_leaves = None  # not kept with the fitted attack
        self.last_query_cost_ = QueryCost()

    def _records_per_chunk(self):
        k = len(self.candidate_values_)
        rows = min(self.max_rows_per_call, max(k, _MAX_LEAF_CELLS // max(self.n_trees_, 1)))
        return max(1, rows // k)

    def _count_aux_leaves(self, known):
        """Per tree and node: auxiliary records whose known features lie in the node's region.

        A record lies in a leaf's region of the known features iff it reaches that leaf when
        completed with one of the values the leaf admits; each record counts once per leaf.
        The completions' leaves are kept (``_aux_leaves``, when they fit in
        :data:`_MAX_KEPT_LEAF_CELLS`) for choosing the evidence on the same records, which
        then does not send them down the trees again.
        """
        counts = [np.zeros(len(mass)) for mass in self._trees.masses]
        k = len(self.candidate_values_)
        n, step = n_records(known), self._records_per_chunk()
        n_trees = len(counts)
        kept = None
        if n * k * n_trees <= _MAX_KEPT_LEAF_CELLS:
            kept = np.empty((n * k, n_trees), dtype=self._trees.leaf_dtype(), order="F")
        for start in range(0, n, step):
            stop = min(start + step, n)
            block = _known_block(self.layout_, known, start, stop)
            completed = _complete(self.layout_, block, self.candidate_values_, stop - start)
            with learner_threads(len(completed)):
                if self._preprocessing is not None:
                    completed = self._preprocessing.transform(completed)
                leaves = self._trees.leaves(completed)
                if start == 0:
                    self._trees.check_output_from_leaves(completed, leaves, self.response_method_)
            if kept is not None:
                kept[start * k : stop * k] = leaves
            for t, count in enumerate(counts):
                leaf = np.ascontiguousarray(leaves[:, t].reshape(-1, k).T)  # (k, records)
                parts = [leaf[0]]
                for j in range(1, k):  # each leaf once per record: where no earlier candidate
                    new = leaf[j] != leaf[0]  # of the record reached it
                    for other in range(1, j):
                        new &= leaf[j] != leaf[other]
                    parts.append(leaf[j][new])
                count += np.bincount(np.concatenate(parts), minlength=len(count))
        self._aux_leaves = kept
        return counts

    def _grid_reader(self):
        """A reader answering the model's grids from the leaves of its trees and keeping them
        for this attack's evidence (:class:`_GridReader`); None when the model's answer cannot
        be read off its leaves."""
        if not hasattr(self, "_trees") or not self._trees.family.answers_from_leaves:
            return None
        if self._trees.kind == "sklearn" and not self._trees.reads_output_from_leaves(
            self.response_method_
        ):
            return None
        return _GridReader(self)

    # -- choosing the evidence ----------------------------------------------------------------
    def _options(self, labelled):
        """The (evidence, prior) posteriors that ``evidence="auto"`` and ``prior="auto"`` choose
        from, for targets with (``labelled``) or without labels; the first wins ties."""
        priors = (self.prior,)
        if self.prior == "auto":  # the Bayes rule of each score; MCC has none: both are tried
            priors = {
                "accuracy": ("marginal",),
                "balanced_accuracy": ("uniform",),
                "mcc": ("marginal", "uniform"),
            }[self.scoring]
            if self.sensitive_kind_ == "numeric":  # the posterior mean
                priors = ("marginal",)
        if not labelled:  # without labels only the leaves speak
            return [("leaves", prior) for prior in priors]
        kinds = (self.evidence,)
        if self.evidence == "auto":
            kinds = ("leaves", "combined", "label") + (("csmia",) if self.is_classifier_ else ())
        options = []
        for kind in kinds:
            options += [("csmia", None)] if kind == "csmia" else [(kind, p) for p in priors]
        return options

    def _select_evidence(self, known, truth, y_aux):
        """Fit the combined evidence's weights on the auxiliary records, score every candidate
        posterior on them (held out: the combined one cross-fitted, every record left out of
        the leaf counts) and keep the best; records the choice in ``selection_``."""
        labelled, unlabelled = self._options(True), self._options(False)
        self.selection_ = {
            "evidence": labelled[0][0],
            "prior": labelled[0][1],
            "prior_without_label": unlabelled[0][1],
            "metric": None,
            "scores": {},
            "scores_without_label": {},
            "combined_weights": None,
        }
        self._csmia_scale, self._weights = 1.0, self._default_weights()
        can_label = y_aux is not None and (self.is_classifier_ or self.sigma_ is not None)
        # The records with a sensitive value; of many, a seeded sample tells the posteriors
        # apart as well.
        rows = np.flatnonzero(~pd.isna(truth))
        rng = check_random_state(self.random_state)
        if len(rows) > _MAX_SELECTION_ROWS:
            rows = np.sort(rng.choice(rows, _MAX_SELECTION_ROWS, replace=False))
        if len(rows) < _MIN_SELECTION_ROWS:
            return
        if len(rows) < n_records(known):
            known = _take_records(known, rows)
        truth = truth[rows]
        if self.sensitive_kind_ == "numeric":  # the grid value nearest each true value
            truth = truth.astype(float)
            grid = self.candidates_.astype(float)
            positions = np.abs(truth[:, None] - grid[None, :]).argmin(axis=1)
        else:
            positions = pd.Index(self.candidates_).get_indexer(pd.Index(truth))
            if (positions < 0).all():  # no auxiliary value is a candidate
                return
        y = np.asarray(y_aux)[rows] if can_label else None
        log_mass, outputs = self._evidence_of(known, y, own_counted=True, aux_rows=rows)
        held_out = None
        if can_label:
            features = self._features(log_mass, outputs, y)
            self._weights = self._fit_weights(features, positions)
            names = ("leaves", "label", "match", "prior")
            if not self.is_classifier_:
                names = ("leaves", "label", "prior")
            self.selection_["combined_weights"] = dict(zip(names, self._weights.tolist()))
            if self.is_classifier_:  # a scale that turns CSMIA's ranking into a posterior
                ranks = self._label_matches(outputs, y)[1][None]
                self._csmia_scale = _fit_log_linear(ranks, positions, [1.0], [(0.01, 100.0)])[0]
            if any(kind == "combined" for kind, _ in labelled) and len(labelled) > 1:
                held_out = self._cross_fitted(features, positions, rng)
        metric = "mae" if self.sensitive_kind_ == "numeric" else self.scoring
        rounds = [(False, unlabelled)] if len(unlabelled) > 1 else []
        if can_label and len(labelled) > 1:
            rounds.append((True, labelled))
        for with_label, options in rounds:
            scores = {}
            for kind, prior in options:
                if kind == "combined":
                    log_post = self._combined(held_out, prior)
                else:
                    given = y if with_label else None
                    log_post = self._log_posterior(log_mass, outputs, given, kind, prior)
                scores[_option_name(kind, prior)] = self._choice_score(
                    _softmax(log_post), truth, positions, metric
                )
            best = max(options, key=lambda option: scores[_option_name(*option)])  # first on ties
            self.selection_["metric"] = metric
            if with_label:
                self.selection_.update(evidence=best[0], prior=best[1], scores=scores)
            else:
                self.selection_.update(prior_without_label=best[1], scores_without_label=scores)

    def _default_weights(self):
        """The combined evidence's weights before (or without) fitting: the leaves' posterior."""
        return np.array([1.0, 1.0, 0.0, 1.0] if self.is_classifier_ else [1.0, 1.0, 1.0])

    def _fit_weights(self, features, positions):
        # The leaves and the label weigh at least as in the leaves' posterior (and the label
        # as much as in MAP's): records the model was trained on fit it better than the
        # auxiliary ones, so the weights these give them are a floor, not an estimate.
        bounds = [(1.0, _MAX_WEIGHT), (1.0, _MAX_WEIGHT)]
        bounds += [(0.0, _MAX_WEIGHT)] * (len(features) - 3) + [(1.0, 1.0)]
        return _fit_log_linear(features, positions, self._default_weights(), bounds)

    def _cross_fitted(self, features, positions, rng):
        """The combined evidence's log-posterior (marginal prior) of every record, with
        weights fitted on the other folds."""
        n = features.shape[2]
        folds = KFold(min(_N_FOLDS, n), shuffle=True, random_state=rng.randint(2**31 - 1))
        log_post = np.empty(features.shape[1:])
        for train, test in folds.split(np.empty((n, 1))):
            weights = self._fit_weights(features[:, :, train], positions[train])
            log_post[:, test] = np.tensordot(weights, features[:, :, test], axes=1)
        return log_post

    def _choice_score(self, posterior, truth, positions, metric):
        """How well the guesses of a (k, n) posterior hit the auxiliary records' values."""
        if metric == "mae":
            guesses = self.candidates_.astype(float) @ posterior
            return -float(np.mean(np.abs(guesses - truth)))
        # Ties shared equally (as argmax_random_ties breaks them): the expected score, not
        # the luck of one draw, which would favour the rule with the most ties.
        tied = posterior.T >= posterior.max(axis=0)[:, None] - _TIE
        return _classification_score(positions, tied / tied.sum(axis=1, keepdims=True), metric)

    # -- scoring ------------------------------------------------------------------------------
    def _evidence_of(self, known, y, own_counted=False, aux_rows=None):
        """The leaf evidence ``log M`` (k, n) and, with labels, the tree model's outputs for
        every completion (n_outputs, k, n); one pass of all completions through the trees.

        ``aux_rows``: the records are these auxiliary records (positions in ``X_aux``), whose
        completions' leaves were kept when counting them; they are read from there when the
        model's outputs can be read off the leaves too."""
        k = len(self.candidate_values_)
        output_method = self.response_method_ if y is not None else None
        evidence = _LeafEvidence(
            self._preprocessing,
            self._trees,
            k,
            np.asarray(self.prior_, dtype=float),
            self._aux_counts,
            self.n_aux_,
            output_method,
            own_counted=own_counted,
        )
        if aux_rows is None:
            taken = take_grid_leaves(
                self.estimator, self.layout_, known, self.candidate_values_, self.response_method_
            )
            if taken is not None:  # the black-box attacks' grid already went down the trees
                chunks, answers = taken
                log_mass = np.concatenate(
                    [
                        _log_mass(
                            self._trees,
                            chunk,
                            k,
                            evidence.prior,
                            self._aux_counts,
                            self.n_aux_,
                            evidence.own_counted,
                        )
                        for chunk in chunks
                    ],
                    axis=1,
                )
                if y is None:
                    return log_mass, None
                return log_mass, np.array(answers.transpose(2, 1, 0), dtype=float)
        kept = getattr(self, "_aux_leaves", None)
        if (
            aux_rows is not None
            and kept is not None
            and (output_method is None or self._trees.reads_output_from_leaves(output_method))
        ):
            if len(aux_rows) < len(kept) // k:
                kept = np.asfortranarray(kept[(aux_rows[:, None] * k + np.arange(k)).ravel()])
            answers = evidence.evidence(kept)
            storage = answers.reshape(len(aux_rows), k, -1).transpose(2, 1, 0)
        else:
            outputs, _ = query_candidates(
                evidence,
                self.layout_,
                known,
                self.candidate_values_,
                response_method="predict",
                max_rows_per_call=self._records_per_chunk() * k,
                n_jobs=self.n_jobs,
                local=True,  # the attacker runs the trees itself: nothing is sent to the model
            )
            storage = outputs.transpose(2, 1, 0)  # (1 + n_outputs, k, n)
        if y is None:
            return storage[0].astype(float), None
        return storage[0].astype(float), np.ascontiguousarray(storage[1:], dtype=float)

    def _label_matches(self, outputs, y):
        """Which candidates make the model predict the true label (k, n), and Mehnaz's CSMIA
        ranking (k, n): a candidate that does scores 2 + the model's confidence; if none does,
        1 - the confidence; otherwise 0 (as ``ConfidenceInversion(method="csmia")``)."""
        predicted = outputs.argmax(axis=0)  # the first on ties, as the black-box attack
        matches = predicted == class_positions(self.classes_model_, y)[None, :]
        confidence = outputs.max(axis=0)
        any_match = matches.any(axis=0)
        ranks = np.where(matches, 2.0 + confidence, np.where(any_match, 0.0, 1.0 - confidence))
        return matches, ranks

    def _label_log_likelihood(self, outputs, y, floor):
        """(k, n) log-likelihood of the true labels given each candidate: the model's
        probability of the label (with MAP's label-noise ``floor``, or clipped at 1e-12), or a
        regressor's Gaussian error model."""
        if not self.is_classifier_:
            residual = np.asarray(y, dtype=float)[None, :] - outputs[0]
            return -0.5 * (residual / self.sigma_) ** 2
        true_proba = _take_class(outputs, class_positions(self.classes_model_, y))
        if floor:  # the label is the model's answer up to noise: no probability of 0
            true_proba = (1 - _LABEL_NOISE) * true_proba + _LABEL_NOISE / len(outputs)
        return np.log(np.clip(true_proba, _TINY, None))

    def _features(self, log_mass, outputs, y):
        """The combined evidence's terms (n_terms, k, n): leaf evidence ``log M``, the label's
        log-likelihood (as in the leaves' posterior), whether the candidate reproduces the
        label (CSMIA's evidence; not for regressors), and the log prior."""
        terms = [log_mass, self._label_log_likelihood(outputs, y, floor=False)]
        if self.is_classifier_:
            terms.append(self._label_matches(outputs, y)[0].astype(float))
        terms.append(np.broadcast_to(np.log(self.prior_)[:, None], log_mass.shape))
        return np.stack(terms)

    def _combined(self, log_post, prior):
        """The combined posterior (log, (k, n)) under ``prior``: with the marginal prior, as
        fitted, or divided by it ("uniform")."""
        if prior == "uniform":
            return log_post - np.log(self.prior_)[:, None]
        return log_post

    def _log_posterior(self, log_mass, outputs, y, kind, prior):
        """One candidate posterior of the evidence ``kind`` (see the class docstring), (k, n),
        on the log scale up to a constant per record."""
        if y is not None and kind == "csmia":
            # CSMIA breaks its ties at random; this attacker, by the leaves' posterior: a nudge
            # within each record's tied candidates, far below any gap between CSMIA's ranks.
            ranks = self._label_matches(outputs, y)[1]
            tied = ranks >= ranks.max(axis=0) - _TIE
            leaves_prior = "uniform" if self.prior == "uniform" else "marginal"
            leaves = _softmax(self._log_posterior(log_mass, outputs, y, "leaves", leaves_prior))
            return self._csmia_scale * ranks + _TIE_BREAK * tied * leaves
        if y is not None and kind == "combined":
            features = self._features(log_mass, outputs, y)
            return self._combined(np.tensordot(self._weights, features, axes=1), prior)
        log_post = log_mass.copy() if kind == "leaves" or y is None else np.zeros_like(log_mass)
        if prior == "marginal":
            log_post += np.log(self.prior_)[:, None]
        if y is not None:
            log_post += self._label_log_likelihood(outputs, y, floor=kind == "label")
        return log_post

    def _candidate_scores(self, known, y, observed):
        if observed is not None:
            raise ValueError(
                "WhiteBoxTreeInversion reads the model's trees and the targets' labels; it does "
                "not take observed outputs. Use ConfidenceInversion to weigh observed outputs."
            )
        if y is not None and not self.is_classifier_ and self.sigma_ is None:
            raise ValueError(
                "The Gaussian error model of a regressor needs σ: pass y_aux to fit() (σ = the "
                "model's RMSE on it) or set noise_scale."
            )
        log_mass, outputs = self._evidence_of(known, y)
        self.last_query_cost_ = QueryCost()  # the trees were run locally: no queries
        if y is None:
            kind, prior = "leaves", self.selection_["prior_without_label"]
        else:
            kind, prior = self.selection_["evidence"], self.selection_["prior"]
        return _softmax(self._log_posterior(log_mass, outputs, y, kind, prior)).T


WhiteBoxTreeInversion.__doc__ = WhiteBoxTreeInversion.__doc__.format(
    common=COMMON_PARAMS_DOC.lstrip()
)

__all__ = ["SUPPORTED_MODELS", "WhiteBoxTreeInversion", "shared_prior", "split_tree_model"]

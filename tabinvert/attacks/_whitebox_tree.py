"""White-box attribute inference from the training mass in a tree model's leaves.

Fredrikson, Jha & Ristenpart (CCS 2015), generalised to tree ensembles.
"""

from __future__ import annotations

import json

from numbers import Real

import numpy as np
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
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.utils.validation import validate_data

from .._sklearn_compat import Interval, StrOptions, TreePredictor
from .._query import (
    DEFAULT_MAX_ROWS_PER_CALL,
    QueryCost,
    _complete,
    _known_block,
    n_records,
    query_candidates,
)
from .._validation import check_model_fitted, split_known
from ._base import (
    COMMON_PARAMS_DOC,
    AttackCapabilities,
    BaseAttack,
    gaussian_error_scale,
    model_is_classifier,
)
from ._confidence import _softmax, _take_class, class_positions
from ._learners import learner_threads

_TINY = 1e-12
#: Pseudo-count (in auxiliary records) that shrinks a leaf's mass ratio toward 1 ("no evidence").
_PSEUDO_COUNT = 1.0
#: Leaf indices held at once, per chunk of completed records (rows × trees), bounds memory.
_MAX_LEAF_CELLS = 1 << 22

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
SUPPORTED_MODELS = (
    "DecisionTreeClassifier/Regressor, RandomForestClassifier/Regressor, "
    "ExtraTreesClassifier/Regressor, GradientBoostingClassifier/Regressor, "
    "HistGradientBoostingClassifier/Regressor, xgboost.XGBClassifier/XGBRegressor, or a "
    "Pipeline ending in one of them"
)


def _is_xgboost(model):
    try:
        import xgboost
    except ImportError:  # pragma: no cover - xgboost is a test dependency
        return False
    return isinstance(model, (xgboost.XGBClassifier, xgboost.XGBRegressor))


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
    if not (isinstance(model, _SKLEARN_TREES + _HIST_TREES) or _is_xgboost(model)):
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
    """The leaves of a fitted tree model: leaf index of every row, training mass of every node."""

    def __init__(self, model):
        self.model = model
        if isinstance(model, _SKLEARN_TREES):
            self.kind = "sklearn"
            if hasattr(model, "tree_"):
                trees = [model.tree_]
            else:
                trees = [estimator.tree_ for estimator in np.ravel(model.estimators_)]
            masses = [np.asarray(tree.weighted_n_node_samples, dtype=float) for tree in trees]
        elif isinstance(model, _HIST_TREES):
            self.kind = "hist"
            self.node_predictors = []
            masses = []
            for predictors in model._predictors:
                for predictor in predictors:
                    nodes = predictor.nodes.copy()
                    nodes["value"] = np.arange(len(nodes))  # "predicts" the index of its leaf
                    self.node_predictors.append(
                        TreePredictor(
                            nodes, predictor.binned_left_cat_bitsets, predictor.raw_left_cat_bitsets
                        )
                    )
                    masses.append(nodes["count"].astype(float))
        else:
            self.kind = "xgboost"
            frame = model.get_booster().trees_to_dataframe()
            masses, self.leaf_values, self.is_leaf = [], [], []
            for _, tree in frame.groupby("Tree", sort=True):
                nodes = tree["Node"].to_numpy(dtype=int)
                mass = np.zeros(nodes.max() + 1)
                mass[nodes] = tree["Cover"].to_numpy(dtype=float)
                masses.append(mass)
                value = np.zeros(nodes.max() + 1)  # a leaf's "Gain" is its output value
                is_leaf = (tree["Feature"] == "Leaf").to_numpy()
                value[nodes[is_leaf]] = tree["Gain"].to_numpy(dtype=float)[is_leaf]
                self.leaf_values.append(value)
                leaf_mask = np.zeros(nodes.max() + 1, dtype=bool)
                leaf_mask[nodes[is_leaf]] = True
                self.is_leaf.append(leaf_mask)
        self.masses = masses
        self.totals = np.array([mass[0] for mass in masses])  # the root holds all the mass

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

    def output_from_leaves(self, leaves, method):
        """The model's own ``predict_proba`` (or a regressor's ``predict``) read off the leaves
        already found, for the averaging tree models (a decision tree, a random forest, extra
        trees: the mean of the trees' leaf values, as scikit-learn computes it); None for the
        boosted models, whose outputs go through a link function and are asked of the model.
        Saves running every tree a second time on every completed record."""
        averaging = (
            DecisionTreeClassifier,
            DecisionTreeRegressor,
            RandomForestClassifier,
            RandomForestRegressor,
            ExtraTreesClassifier,
            ExtraTreesRegressor,
        )
        if self.kind != "sklearn" or not isinstance(self.model, averaging):
            return None
        trees = (
            [self.model.tree_]
            if hasattr(self.model, "tree_")
            else [estimator.tree_ for estimator in self.model.estimators_]
        )
        if trees[0].n_outputs != 1:
            return None
        total = None
        for t, tree in enumerate(trees):
            value = tree.value[leaves[:, t], 0, :]  # (n_rows, n_classes) or (n_rows, 1)
            if method == "predict_proba":
                sums = value.sum(axis=1, keepdims=True)
                value = value / np.where(sums == 0, 1.0, sums)
            total = value if total is None else total + value
        return total / len(trees)

    def leaves(self, X):
        """Leaf index of each row in each tree: (n_rows, n_trees) integers."""
        model = self.model
        if self.kind == "hist":
            X = model._preprocess_X(X, reset=False)
            known_cat_bitsets, f_idx_map = model._bin_mapper.make_known_categories_bitsets()
            return np.column_stack(
                [
                    predictor.predict(X, known_cat_bitsets, f_idx_map, 1)
                    for predictor in self.node_predictors
                ]
            ).astype(np.intp)
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
        leaves = np.asarray(model.apply(X))
        return leaves.reshape(len(leaves), -1).astype(np.intp)


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


class _LeafEvidence:
    """Stands in for the model in the query engine: evidence from the leaves of each completion.

    ``predict`` takes completed records (record-major, ``k`` rows per record) and returns, per
    row, the mean over the record's informative trees of the log leaf-mass ratio, followed by
    the model's own output (its probabilities, or a regressor's prediction), computed on the
    same transformed rows. Going through the query engine gives chunking (bounded memory),
    ``n_jobs`` and the frame/array handling of completed records for free.
    """

    def __init__(self, preprocessing, trees, k, prior, aux_counts, n_aux, output_method):
        self.preprocessing = preprocessing
        self.trees = trees
        self.k = k
        self.prior = prior
        self.aux_counts = aux_counts
        self.n_aux = n_aux
        self.output_method = output_method

    def predict(self, X):
        with learner_threads(len(X)):
            return self._predict(X)

    def _predict(self, X):
        if self.preprocessing is not None:
            X = self.preprocessing.transform(X)
        leaves = self.trees.leaves(X)
        n_rows, n_trees = leaves.shape
        k = self.k
        log_ratio = np.zeros((n_rows // k, k))
        n_informative = np.zeros((n_rows // k, 1))
        for t in range(n_trees):
            leaf = leaves[:, t].reshape(-1, k)
            n_informative[:, 0] += (leaf != leaf[:, :1]).any(axis=1)
            # Training share of the leaf per unit of prior of the values it admits: under "the
            # leaf says nothing about the secret" this is the population share of the leaf's
            # region of the known features.
            expected = self.trees.masses[t][leaf] / (
                self.trees.totals[t] * shared_prior(leaf, self.prior)
            )
            if self.aux_counts is None:  # leaf_mass="raw": Fredrikson's training counts
                ratio = expected
            else:  # "relative": against how many auxiliary records that region holds
                ratio = (self.n_aux * expected + _PSEUDO_COUNT) / (
                    self.aux_counts[t][leaf] + _PSEUDO_COUNT
                )
            log_ratio += np.log(np.clip(ratio, _TINY, None))
        log_ratio /= np.maximum(n_informative, 1)
        columns = [log_ratio.reshape(n_rows, 1)]
        if self.output_method is not None:
            output = self.trees.output_from_leaves(leaves, self.output_method)
            if output is None:
                output = np.asarray(getattr(self.trees.model, self.output_method)(X), dtype=float)
            columns.append(output.reshape(n_rows, -1))
        return np.hstack(columns)


class WhiteBoxTreeInversion(BaseAttack):
    """Infer a sensitive attribute by reading the training mass in a tree model's leaves.

    Fredrikson, Jha & Ristenpart (CCS 2015) white-box estimator, generalised from one decision
    tree to tree ensembles. The attacker holds the fitted trees with the training mass of every
    node (scikit-learn's ``tree_.weighted_n_node_samples``, HistGradientBoosting's node
    ``count``, XGBoost's ``cover``; BigML publishes the same counts with shared models). For
    each
    target, each candidate value ``v`` of the sensitive attribute is put into the record and the
    completed record is sent down every tree (leaf indices of all ``n × k`` completions at once,
    tree by tree; the model is never queried as a service). The posterior is

        P(v | x_K, y) ∝ prior(v) · M(v) · P(y | x_K ⊕ v)

    * ``M(v)``, the leaf-mass evidence. In tree ``t`` the completion reaches leaf ``ℓ``, which
      holds ``m_ℓ`` of the tree's training mass ``m_t`` and admits the candidates ``S_ℓ`` (the
      candidates that reach the same leaf from this record). If the leaf said nothing about the
      secret, its training share ``m_ℓ / m_t`` would be the population share of its region of
      the known features times ``prior(S_ℓ)``. ``leaf_mass="relative"`` (default) measures that
      population share on the auxiliary records (``aux_ℓ``: those that reach ``ℓ`` when
      completed with some candidate) and scores

          r_t(v) = (n_aux · m_ℓ / (m_t · prior(S_ℓ)) + 1) / (aux_ℓ + 1),

      an estimate of ``P(s ∈ S_ℓ | x_K in ℓ's region) / prior(S_ℓ)`` (the ``+1`` pseudo-count
      pulls thinly observed leaves toward 1, "no evidence"). ``leaf_mass="raw"`` scores
      Fredrikson's training count, ``r_t(v) = m_ℓ / prior(S_ℓ)``, which also favours candidates
      whose path ends in a leaf covering a larger region of the known features, whether or not
      the secret explains it. Dividing by ``prior(S_ℓ)`` keeps the prior from being counted
      twice when a leaf admits a single value, and makes a tree that does not split on the
      secret along the record's path neutral (all candidates share its leaf).

      **Ensembles**: ``log M(v)`` is the *average* of ``log r_t(v)`` over the trees that are
      informative for the record (whose leaf depends on the candidate), i.e. a geometric mean.
      Averaging rather than summing, because the trees of an ensemble are grown on the same
      training records: their leaves are correlated estimates of one density, not independent
      evidence, and a sum would multiply the evidence by the number of trees and drown the
      prior and the label. Over informative trees only, because a tree that does not split on
      the secret abstains; counting it as "no evidence" would dilute the evidence of the trees
      that do, most in boosted ensembles, whose shallow trees rarely all split on the secret
      (on a synthetic population, accuracy 0.62 → 0.70 for gradient boosting, 0.64 → 0.75 for
      XGBoost).
    * ``P(y | x_K ⊕ v)``, when the targets' labels ``y`` are given: the model's own probability
      of the true label (for a single tree, the leaf's share of that label, so that
      ``M · P(y | ·)`` is Fredrikson's count of training records in the leaf agreeing with
      ``y``; for a forest the mean of its trees' shares; boosted trees hold gradient steps, not
      class shares, so their ensemble probability is the only such share). For a regressor, a
      Gaussian error model ``N(y; f(x_K ⊕ v), σ)`` with σ the model's RMSE on ``y_aux``.

    Without labels the attack uses ``prior · M`` alone (Fredrikson's "lifestyle" estimator).
    A numeric sensitive attribute is tried on its candidate grid; the guess is the posterior
    mean.

    Threat model (white box). The attacker holds the fitted model itself (its trees and their
    per-node training counts, and any preprocessing steps of its Pipeline); knows, for every
    target record, the non-sensitive features the model uses and optionally its true label
    ``y``; and holds auxiliary records from the same population *with* the sensitive column
    (``fit``), from which it learns the candidate values, their prior and the population share
    of each leaf's region. It never sees the targets' sensitive values: ``attack`` drops that
    column from ``X`` before doing anything.

    Parameters
    ----------
    estimator : object
        The target model (fitted): one of :data:`SUPPORTED_MODELS` (DecisionTree, RandomForest,
        ExtraTrees, GradientBoosting or HistGradientBoosting classifiers and regressors, XGBoost
        ``XGBClassifier``/``XGBRegressor``), possibly the last step of a Pipeline (the completed
        records are transformed by the preceding steps). Held frozen, never refitted.
    sensitive : str or int
        The sensitive column: its label when ``X_aux`` is a DataFrame (an integer that is no
        label is refused, never read as a position), its position for an array.
    prior : {{"marginal", "uniform"}}, default="marginal"
        The candidates' prior: their frequency in the auxiliary data, or uniform (the leaf
        evidence always uses the marginal to decide which values a leaf admits).
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
    fit_query_cost_, last_query_cost_ : QueryCost
        Always zero: the attacker runs the model's trees itself and sends no queries.

    See Also
    --------
    ConfidenceInversion : The black-box MAP attack: the same posterior without ``M(v)``.

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

    IBM ART's ``AttributeInferenceWhiteBoxDecisionTree`` reads one scikit-learn decision tree,
    takes the candidate that reproduces the predicted label if it is unique and otherwise the
    largest ``prior · leaf count``; it scores below its own model-free baseline on Adult. Here
    every tree of an ensemble is read, the label enters as a likelihood, and the leaf count is
    compared with the population's.

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
        "prior": [StrOptions({"marginal", "uniform"})],
        "leaf_mass": [StrOptions({"relative", "raw"})],
        "noise_scale": [Interval(Real, 0, None, closed="neither"), None],
    }

    def capabilities(self):
        """What this attack needs and how to read its scores (see
        :class:`~tabinvert.attacks.AttackCapabilities`)."""
        name = "white-box tree" + (" (raw counts)" if self.leaf_mass == "raw" else "")
        if self.prior != "marginal":
            name = f"{name} ({self.prior} prior)"
        return AttackCapabilities(name, "model", reference="Fredrikson et al., CCS 2015")

    def __init__(
        self,
        estimator,
        sensitive,
        *,
        prior="marginal",
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
        self._aux_counts = self._count_aux_leaves(known) if self.leaf_mass == "relative" else None
        self.sigma_ = None
        if not self.is_classifier_ and self.noise_scale is not None:
            self.sigma_ = float(self.noise_scale)
        elif not self.is_classifier_ and y_aux is not None:
            columns = list(self.layout_.columns)
            X = X_aux[columns] if self.layout_.is_frame else np.asarray(X_aux)
            self.sigma_, _ = gaussian_error_scale(self.estimator.predict(X), y_aux, None)
        self.last_query_cost_ = QueryCost()

    def _records_per_chunk(self):
        k = len(self.candidate_values_)
        rows = min(self.max_rows_per_call, max(k, _MAX_LEAF_CELLS // max(self.n_trees_, 1)))
        return max(1, rows // k)

    def _count_aux_leaves(self, known):
        """Per tree and node: auxiliary records whose known features lie in the node's region.

        A record lies in a leaf's region of the known features iff it reaches that leaf when
        completed with one of the values the leaf admits; each record counts once per leaf.
        """
        counts = [np.zeros(len(mass)) for mass in self._trees.masses]
        k = len(self.candidate_values_)
        n, step = n_records(known), self._records_per_chunk()
        for start in range(0, n, step):
            stop = min(start + step, n)
            block = _known_block(self.layout_, known, start, stop)
            completed = _complete(self.layout_, block, self.candidate_values_, stop - start)
            with learner_threads(len(completed)):
                if self._preprocessing is not None:
                    completed = self._preprocessing.transform(completed)
                leaves = self._trees.leaves(completed)
            for t, count in enumerate(counts):
                ordered = np.sort(leaves[:, t].reshape(-1, k), axis=1)
                new = np.ones(ordered.shape, dtype=bool)
                new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
                count += np.bincount(ordered[new], minlength=len(count))
        return counts

    # -- scoring ------------------------------------------------------------------------------
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
        k = len(self.candidate_values_)
        evidence = _LeafEvidence(
            self._preprocessing,
            self._trees,
            k,
            np.asarray(self.prior_, dtype=float),
            self._aux_counts,
            self.n_aux_,
            self.response_method_ if y is not None else None,
        )
        outputs, _ = query_candidates(
            evidence,
            self.layout_,
            known,
            self.candidate_values_,
            response_method="predict",
            max_rows_per_call=self._records_per_chunk() * k,
            n_jobs=self.n_jobs,
        )
        self.last_query_cost_ = QueryCost()  # the trees were run locally: no queries
        storage = outputs.transpose(2, 1, 0)  # (1 + n_outputs, k, n)
        log_post = storage[0].astype(float)  # M(v), on the log scale
        if self.prior == "marginal":
            log_post += np.log(self.prior_)[:, None]
        if y is not None:
            if self.is_classifier_:
                positions = class_positions(self.classes_model_, y)
                true_proba = _take_class(np.ascontiguousarray(storage[1:]), positions)
                log_post += np.log(np.clip(true_proba, _TINY, None))
            else:
                residual = np.asarray(y, dtype=float)[None, :] - storage[1]
                log_post += -0.5 * (residual / self.sigma_) ** 2
        return _softmax(log_post).T


WhiteBoxTreeInversion.__doc__ = WhiteBoxTreeInversion.__doc__.format(
    common=COMMON_PARAMS_DOC.lstrip()
)

__all__ = ["SUPPORTED_MODELS", "WhiteBoxTreeInversion", "shared_prior", "split_tree_model"]

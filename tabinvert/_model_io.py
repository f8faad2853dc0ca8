"""Loading a model file safely, and reading defenses from the command line.

Threat model of model loading. A model file may come from someone else (a vendor, a colleague,
a download). Loading it must not run code its author chose:

* pickle / joblib files can run anything when loaded, so they need ``trust_pickle=True``
  (``--trust-pickle``);
* a skops file is read as data. Every type it names must be on an exact allowlist
  (:data:`TRUSTED_TYPE_NAMES` plus skops' own defaults for scikit-learn estimators, NumPy and
  SciPy arrays and dtypes), and it may hold **no callable at all** — no function, builtin,
  ``functools.partial``, ``operator`` object or method, including the ``func`` of a
  ``FunctionTransformer`` — unless the user names each one (``trusted_types``,
  ``--trust-type NAME``). A callable inside a model is run on the attacker's records when the
  model predicts, so trusting one is trusting its author;
* the trees of scikit-learn's tree ensembles hold raw node and feature indices that
  scikit-learn follows without bounds checks; tabinvert checks every index (and that each
  child comes after its parent, so no path loops) before the model is used;
* an ONNX file (``.onnx``) is a graph of standard operators that onnxruntime runs as data
  (:class:`~tabinvert.models.ONNXModel`); no custom-operator library is registered, and a model
  whose weights sit in external files is refused.

What this does not cover: a trusted library's own file parser (XGBoost, LightGBM and CatBoost
read their boosters from the bytes stored in the file, onnxruntime its graph) and the cost of a
model that is merely huge.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np

#: Types a skops file may hold beyond skops' own defaults, by exact name. None of them holds a
#: callable: they are model state (trees, optimiser moments, boosters) or tabinvert's own
#: meta-estimators, whose parameters are checked like any other node in the file.
TRUSTED_TYPE_NAMES = frozenset(
    {
        # scikit-learn's fitted trees: node indices are checked by _check_tree_indices below.
        "sklearn.tree._tree.Tree",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
        # scikit-learn 1.6's list of a ColumnTransformer's remainder columns (a list of labels).
        "sklearn.compose._column_transformer._RemainderColsList",
        # An MLP's optimiser state (moments and learning rate, arrays and floats).
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        # XGBoost's scikit-learn wrappers and the booster they hold (bytes parsed by XGBoost).
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
        "xgboost.sklearn.XGBRFClassifier",
        "xgboost.sklearn.XGBRFRegressor",
        "xgboost.core.Booster",
        # LightGBM's and CatBoost's scikit-learn wrappers and their boosters (a model string or
        # blob parsed by the library itself); LightGBM keeps some parameters in an OrderedDict.
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "lightgbm.basic.Booster",
        "collections.OrderedDict",
        "catboost.core.CatBoostClassifier",
        "catboost.core.CatBoostRegressor",
        # tabinvert's defended models, query budget and output defenses.
        "tabinvert.defenses._defended.DefendedClassifier",
        "tabinvert.defenses._defended.DefendedRegressor",
        "tabinvert.defenses._budget.QueryBudget",
        "tabinvert.defenses._transformers.RoundProbabilities",
        "tabinvert.defenses._transformers.CoarsenProbabilities",
        "tabinvert.defenses._transformers.TopK",
        "tabinvert.defenses._transformers.LabelOnly",
        "tabinvert.defenses._transformers.ConfidenceThreshold",
        "tabinvert.defenses._transformers.GaussianNoise",
        "tabinvert.defenses._transformers.ReverseSigmoid",
        "tabinvert.defenses._transformers.RoundPredictions",
        "tabinvert.defenses._transformers.NoisePredictions",
    }
)

#: skops node kinds that load a callable (a function, a method, a partial, an operator object).
_CALLABLE_LOADERS = frozenset({"FunctionNode", "MethodNode", "PartialNode", "OperatorFuncNode"})

TRUST_TYPE_HINT = (
    "pass --trust-type NAME for each only if you made the file or fully trust its author "
    "(a callable in a model runs when the model predicts)"
)

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
ONNX_SUFFIX = ".onnx"
EXTRA_ONNX = 'pip install "tabinvert[onnx]"'


def load_model(path, *, trust_pickle=False, trusted_types=()):
    """Load a fitted model from a skops file, or a pickle/joblib file when trusted.

    A skops file is checked before anything in it is built: every type must be on an exact
    allowlist (scikit-learn, NumPy, SciPy, XGBoost and tabinvert model types) or named in
    ``trusted_types``, and it may hold no callable (function, builtin, ``functools.partial``,
    ``operator`` object, method, a ``FunctionTransformer``'s ``func``) unless named there too.
    The trees of tree ensembles are then checked for out-of-range node and feature indices.
    Loading a pickle can run any code its author chose, so it needs ``trust_pickle=True``.
    The module docstring states the whole threat model.

    Parameters
    ----------
    path : str or path-like
        A ``.skops`` file, an ``.onnx`` file (an :class:`~tabinvert.models.ONNXModel`), or with
        ``trust_pickle`` a ``.pkl`` / ``.pickle`` / ``.joblib`` one.
    trust_pickle : bool, default=False
        Allow unpickling, which runs whatever code the file holds.
    trusted_types : sequence of str, default=()
        Fully qualified names of further types or callables to trust in a skops file, e.g.
        ``"numpy.log1p"`` for ``FunctionTransformer(np.log1p)``.

    Returns
    -------
    model : object

    Raises
    ------
    ValueError
        The file is missing or unreadable, a pickle without ``trust_pickle``, holds untrusted
        types or callables (each named), or a tree whose indices point outside it.

    Examples
    --------
    >>> import pathlib, tempfile, joblib
    >>> from sklearn.dummy import DummyClassifier
    >>> from tabinvert._model_io import load_model
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.joblib"
    >>> _ = joblib.dump(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_model(path)
    Traceback (most recent call last):
    ...
    ValueError: ... is a pickle file, which can run arbitrary code when loaded...
    >>> type(load_model(path, trust_pickle=True)).__name__
    'DummyClassifier'
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"The model file {str(path)!r} is a folder: give the model's file.")
    if not path.is_file():
        raise ValueError(f"Model file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".skops":
        return _load_skops(path, trusted_types)
    if suffix == ONNX_SUFFIX:
        return _load_onnx(path)
    if suffix in PICKLE_SUFFIXES:
        if not trust_pickle:
            raise ValueError(
                f"{str(path)!r} is a pickle file, which can run arbitrary code when loaded. "
                "Pass --trust-pickle only if you made it or trust who did, or save the model "
                "with skops (skops.io.dump) instead."
            )
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise ValueError(
                f"Cannot read the model file {str(path)!r}: {type(exc).__name__}: {exc}"
            ) from exc
    raise ValueError(
        f"Cannot read the model file {str(path)!r}: expected a .skops file or an "
        f"{ONNX_SUFFIX} file (or, with --trust-pickle, {'/'.join(PICKLE_SUFFIXES)})."
    )


def _load_onnx(path):
    """An ONNX file as a :class:`~tabinvert.models.ONNXModel`: data run by onnxruntime, no code
    of its author's (no custom-operator library is registered), so it needs no trust flag."""
    from .models import ONNXModel

    try:
        return ONNXModel(str(path))
    except ImportError as exc:
        raise ValueError(f"Reading .onnx model files needs onnxruntime: {EXTRA_ONNX}.") from exc


def _data_type_names():
    """Types a skops file may name as a value (a ``dtype=`` parameter, a defaultdict's
    factory), not as a function: calling one only makes an empty or converted value."""
    builtins = {f"builtins.{t.__name__}" for t in (int, float, complex, str, bytes, bool)}
    numpy_types = {f"{t.__module__}.{t.__name__}" for t in set(np.sctypeDict.values())}
    # LightGBM keeps its best scores in a defaultdict(OrderedDict).
    containers = {"builtins.dict", "builtins.list", "collections.OrderedDict"}
    return frozenset(builtins | numpy_types | containers)


def _walk_schema(node):
    """Yield every node of a skops schema (a JSON tree) that names a type to load."""
    stack = [node]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if "__loader__" in node:
                yield node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def _callables_in(path):
    """Names of the callables a skops file would load (functions, partials, builtins, ...)."""
    with zipfile.ZipFile(path) as archive:
        schema = json.loads(archive.read("schema.json"))
    data_types = _data_type_names()
    found = set()
    for node in _walk_schema(schema):
        name = f"{node.get('__module__')}.{node.get('__class__')}"
        loader = node["__loader__"]
        # A TypeNode holds a type or a builtin function (skops stores both alike): only data
        # types used as values (dtype=np.float64, str) are not callables to worry about.
        if loader in _CALLABLE_LOADERS or (loader == "TypeNode" and name not in data_types):
            found.add(name)
    return found


def _load_skops(path, trusted_types):
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ValueError(
            "Reading .skops model files needs skops: pip install 'tabinvert[skops]'."
        ) from exc
    try:
        untrusted = set(sio.get_untrusted_types(file=path))
        callables = _callables_in(path)
    except Exception as exc:
        raise ValueError(
            f"Cannot read the model file {str(path)!r}: {type(exc).__name__}: {exc}"
        ) from exc
    user_trusted = set(trusted_types)
    refused_types = untrusted - TRUSTED_TYPE_NAMES - callables - user_trusted
    refused_callables = callables - user_trusted
    if refused_types or refused_callables:
        parts = []
        if refused_callables:
            parts.append("callables " + ", ".join(sorted(refused_callables)))
        if refused_types:
            parts.append(
                "types outside the trusted model libraries " + ", ".join(sorted(refused_types))
            )
        raise ValueError(
            f"The model file {str(path)!r} holds {' and '.join(parts)}; it was not loaded. "
            f"To load it anyway, {TRUST_TYPE_HINT}."
        )
    try:
        model = sio.load(path, trusted=sorted(untrusted))
    except Exception as exc:
        raise ValueError(
            f"Cannot read the model file {str(path)!r}: {type(exc).__name__}: {exc}"
        ) from exc
    _check_tree_indices(model, path)
    return model


def _check_tree_indices(model, path):
    """Refuse trees whose node or feature indices point outside them, before any predict.

    scikit-learn follows these indices without bounds checks (a crafted file could crash the
    process or read memory); every child must also come after its parent, so no path loops.
    """
    seen = set()
    stack = [model]
    while stack:
        obj = stack.pop()
        if id(obj) in seen or obj is None or isinstance(obj, (str, bytes, int, float)):
            continue
        seen.add(id(obj))
        if isinstance(obj, np.ndarray):
            if obj.dtype == object:
                stack.extend(obj.ravel().tolist())
            continue
        if isinstance(obj, (list, tuple, set)):
            stack.extend(obj)
            continue
        if isinstance(obj, dict):
            stack.extend(obj.values())
            continue
        kind = f"{type(obj).__module__}.{type(obj).__qualname__}"
        if kind == "sklearn.tree._tree.Tree":
            _check_sklearn_tree(obj, path)
        elif hasattr(obj, "_predictors") and hasattr(obj, "n_features_in_"):
            for predictor in (p for stage in obj._predictors for p in stage):
                _check_hist_predictor(predictor, obj.n_features_in_, path)
        if type(obj).__module__.split(".")[0] in ("sklearn", "tabinvert", "xgboost"):
            stack.extend(getattr(obj, "__dict__", {}).values())


def _bad_tree(path, what):
    return ValueError(
        f"The model file {str(path)!r} holds a tree whose {what}; it was not loaded (a "
        "damaged or crafted file)."
    )


def _check_children(left, right, internal, n_nodes, path):
    ids = np.arange(n_nodes)
    for side, children in (("left", left), ("right", right)):
        children = np.asarray(children, dtype=np.int64)
        bad = internal & ((children <= ids) | (children >= n_nodes))
        if bad.any():
            node = int(np.flatnonzero(bad)[0])
            raise _bad_tree(
                path,
                f"node {node} has {side} child {int(children[node])} "
                f"(of {n_nodes} nodes; a child must come after its parent)",
            )


def _check_features(feature, internal, n_features, path):
    """Every split reads one of the model's ``n_features`` columns."""
    feature = np.asarray(feature, dtype=np.int64)
    bad = internal & ((feature < 0) | (feature >= n_features))
    if bad.any():
        node = int(np.flatnonzero(bad)[0])
        raise _bad_tree(path, f"node {node} splits on feature {int(feature[node])} of {n_features}")


def _check_sklearn_tree(tree, path):
    n_nodes = int(tree.node_count)
    left, right = tree.children_left, tree.children_right
    internal = left != -1
    if len(left) != n_nodes or np.any(internal != (right != -1)):
        raise _bad_tree(path, "nodes have one child, or the node count does not match")
    _check_children(left, right, internal, n_nodes, path)
    _check_features(tree.feature, internal, int(tree.n_features), path)
    if tree.value.shape[0] != n_nodes:
        raise _bad_tree(path, f"value array has {tree.value.shape[0]} rows for {n_nodes} nodes")


def _check_hist_predictor(predictor, n_features, path):
    nodes = predictor.nodes
    n_nodes = len(nodes)
    internal = nodes["is_leaf"] == 0
    _check_children(nodes["left"], nodes["right"], internal, n_nodes, path)
    _check_features(nodes["feature_idx"], internal, n_features, path)
    categorical = internal & (nodes["is_categorical"] != 0)
    n_bitsets = min(len(predictor.raw_left_cat_bitsets), len(predictor.binned_left_cat_bitsets))
    bad = categorical & (np.asarray(nodes["bitset_idx"], dtype=np.int64) >= n_bitsets)
    if bad.any():
        node = int(np.flatnonzero(bad)[0])
        raise _bad_tree(
            path,
            f"node {node} points to category bitset "
            f"{int(nodes['bitset_idx'][node])} of {n_bitsets}",
        )


def _number(text, kind, spec):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"--defense {spec!r}: {text!r} is not a valid {kind.__name__}.") from None


DEFENSE_SPECS = {
    "round": ("RoundProbabilities", "round:DECIMALS — round each probability (round:1)"),
    "round-step": ("RoundProbabilities", "round-step:STEP — onto a grid (round-step:0.05)"),
    "coarsen": ("CoarsenProbabilities", "coarsen:BINS — equal-width bins (coarsen:10)"),
    "top-k": ("TopK", "top-k:K — keep the K largest (top-k:1)"),
    "label-only": ("LabelOnly", "label-only — one-hot of the arg-max"),
    "threshold": ("ConfidenceThreshold", "threshold:CUTOFF — zero values under it"),
    "noise": ("GaussianNoise", "noise:SCALE — seeded per-record Gaussian noise"),
    "reverse-sigmoid": ("ReverseSigmoid", "reverse-sigmoid:BETA,GAMMA (reverse-sigmoid:1,0.1)"),
    "round-predictions": ("RoundPredictions", "round-predictions:STEP — a regressor's output"),
    "noise-predictions": ("NoisePredictions", "noise-predictions:SCALE — a regressor's output"),
}


def parse_defense(spec, random_state=None):
    """A defense from a command-line spec such as ``round:1`` or ``label-only``.

    Examples
    --------
    >>> from tabinvert._model_io import parse_defense
    >>> parse_defense("round:2")
    RoundProbabilities(decimals=2)
    >>> parse_defense("reverse-sigmoid:0.5,0.1")
    ReverseSigmoid(beta=0.5)
    """
    from . import defenses

    name, _, argument = spec.partition(":")
    if name not in DEFENSE_SPECS:
        raise ValueError(
            f"Unknown defense {spec!r}; use one of: "
            + "; ".join(text for _, text in DEFENSE_SPECS.values())
            + "."
        )
    cls = getattr(defenses, DEFENSE_SPECS[name][0])
    if name == "label-only":
        return cls()
    if not argument:
        raise ValueError(f"--defense {spec!r} needs a value: {DEFENSE_SPECS[name][1]}.")
    if name == "round":
        return cls(decimals=_number(argument, int, spec))
    if name == "round-step":
        return cls(step=_number(argument, float, spec))
    if name == "coarsen":
        return cls(n_bins=_number(argument, int, spec))
    if name == "top-k":
        return cls(k=_number(argument, int, spec))
    if name == "threshold":
        return cls(cutoff=_number(argument, float, spec))
    if name in ("noise", "noise-predictions"):
        return cls(scale=_number(argument, float, spec), random_state=random_state)
    if name == "reverse-sigmoid":
        parts = argument.split(",")
        if len(parts) != 2:
            raise ValueError(f"--defense {spec!r}: give BETA,GAMMA, e.g. reverse-sigmoid:1,0.1.")
        return cls(beta=_number(parts[0], float, spec), gamma=_number(parts[1], float, spec))
    return cls(step=_number(argument, float, spec))  # round-predictions

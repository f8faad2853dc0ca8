"""A model exported to ONNX, run by onnxruntime, wrapped as a fitted scikit-learn estimator.

The file is read once, when the wrapper is made: onnxruntime must be able to load it, and its
inputs, outputs and classes are worked out then, so that a model that cannot be used is refused
before any attack runs. The onnxruntime session is made again, lazily, in each process the
wrapper is sent to: it is never pickled, the model's bytes are.
"""

from __future__ import annotations

import itertools
import threading
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.metaestimators import available_if

from ._base import DeployedModel

EXTRA_HINT = 'pip install "tabinvert[onnx]"'

#: ONNX tensor element types and the NumPy dtype a column is cast to for them.
TENSOR_DTYPES = {
    "tensor(float)": np.float32,
    "tensor(double)": np.float64,
    "tensor(float16)": np.float16,
    "tensor(int64)": np.int64,
    "tensor(int32)": np.int32,
    "tensor(int16)": np.int16,
    "tensor(int8)": np.int8,
    "tensor(uint64)": np.uint64,
    "tensor(uint32)": np.uint32,
    "tensor(uint16)": np.uint16,
    "tensor(uint8)": np.uint8,
    "tensor(bool)": np.bool_,
    "tensor(string)": object,
}

#: How an input's type is named in a message.
TYPE_WORDS = {
    "tensor(float)": "32-bit floats",
    "tensor(double)": "64-bit floats",
    "tensor(float16)": "16-bit floats",
    "tensor(bool)": "booleans",
    "tensor(string)": "text",
}

_FLOAT_TYPES = {"tensor(float)", "tensor(double)", "tensor(float16)"}
_LABEL_TYPES = {"tensor(string)", "tensor(bool)"} | {
    t for t in TENSOR_DTYPES if t.startswith("tensor(int") or t.startswith("tensor(uint")
}

#: Operators of the ONNX-ML domain whose attributes name the classes, and those attributes.
_CLASS_OPS = ("ZipMap", "LinearClassifier", "TreeEnsembleClassifier", "SVMClassifier")
_CLASS_ATTRIBUTES = ("classlabels_strings", "classlabels_int64s", "classlabels_ints")
#: Operators that pass the labels through unchanged, on the way back from the label output.
_PASS_THROUGH = {"Identity", "Cast", "Reshape", "Squeeze", "Unsqueeze", "Flatten"}

#: One lock for making sessions lazily in threads (the wrapper itself holds no lock, so that
#: it pickles).
_SESSION_LOCK = threading.Lock()


def _import_onnx():
    """onnxruntime and onnx, or an ImportError naming the extra that installs them."""
    try:
        import onnxruntime
    except ImportError as exc:
        raise ImportError(
            f"Running ONNX models needs onnxruntime, which is not installed: {EXTRA_HINT}."
        ) from exc
    try:
        import onnx
    except ImportError as exc:
        raise ImportError(
            f"Reading ONNX models needs the onnx package, which is not installed: {EXTRA_HINT}."
        ) from exc
    return onnxruntime, onnx


def _type_words(onnx_type):
    if onnx_type in TYPE_WORDS:
        return f"{onnx_type}, {TYPE_WORDS[onnx_type]}"
    if onnx_type.startswith("tensor(uint"):
        return f"{onnx_type}, non-negative integers"
    if onnx_type.startswith("tensor(int"):
        return f"{onnx_type}, integers"
    return onnx_type


def _width(shape):
    """The static number of columns of a ``(rows, columns)`` input or output, else None."""
    if len(shape) == 2 and isinstance(shape[1], int):
        return shape[1]
    if len(shape) == 1:
        return 1
    return None


def _shown(values, limit=10):
    values = [v.item() if isinstance(v, np.generic) else v for v in list(values)]
    text = ", ".join(repr(v) for v in values[:limit])
    return "[" + text + (f", ... ({len(values)} in all)" if len(values) > limit else "") + "]"


# -- the graph: external data, and the classes it names ---------------------------------------


def _tensors(graph):
    """Every tensor stored in a graph and its subgraphs (initializers, constants)."""
    stack = [graph]
    while stack:
        graph = stack.pop()
        yield from graph.initializer
        yield from (sparse.values for sparse in graph.sparse_initializer)
        for node in graph.node:
            for attribute in node.attribute:
                if attribute.HasField("t"):
                    yield attribute.t
                yield from attribute.tensors
                if attribute.HasField("g"):
                    stack.append(attribute.g)
                stack.extend(attribute.graphs)


def _uses_external_data(onnx, model):
    return any(t.data_location == onnx.TensorProto.EXTERNAL for t in _tensors(model.graph))


def _attribute_labels(onnx, node):
    """The class labels named by a node's attributes, or None."""
    for attribute in node.attribute:
        if attribute.name in _CLASS_ATTRIBUTES:
            values = onnx.helper.get_attribute_value(attribute)
            if len(values):
                return [v.decode("utf-8") if isinstance(v, bytes) else int(v) for v in values]
    return None


def _labels_behind(onnx, graph, output):
    """The labels a label output picks from, read off the graph: the ``classes`` constant an
    ``ArrayFeatureExtractor`` indexes (skl2onnx's MLP, naive Bayes, neighbours...), found by
    walking back from the output through operators that pass labels on unchanged."""
    producers = {name: node for node in graph.node for name in node.output}
    constants = {t.name: t for t in graph.initializer}
    name = output
    for _ in range(20):
        node = producers.get(name)
        if node is None:
            return None
        if node.op_type in _PASS_THROUGH and node.input:
            name = node.input[0]
        elif node.op_type == "ArrayFeatureExtractor" and node.input[0] in constants:
            values = onnx.numpy_helper.to_array(constants[node.input[0]]).ravel()
            if values.dtype == object:
                return [v.decode("utf-8") if isinstance(v, bytes) else v for v in values]
            return values.tolist()
        else:
            return None
    return None


def _graph_classes(onnx, model, label_output):
    """The classes the model's graph names, in the order of its probability columns, or None.

    Read from a ``ZipMap`` (the dictionaries' keys), else from the one classifier operator of
    the ONNX-ML domain (all agreeing, if several), else from the constant the label output
    picks from.
    """
    graph = model.graph
    found = {}
    for node in graph.node:
        if node.op_type in _CLASS_OPS:
            labels = _attribute_labels(onnx, node)
            if labels is not None:
                found.setdefault(node.op_type == "ZipMap", []).append(labels)
    for zipmap in (True, False):
        candidates = found.get(zipmap, [])
        if candidates and all(c == candidates[0] for c in candidates):
            return candidates[0]
    if label_output is not None:
        return _labels_behind(onnx, graph, label_output)
    return None


# -- columns to tensors ----------------------------------------------------------------------


def _column_error(column, input_name, onnx_type, problem, fix):
    return ValueError(
        f"The column {column!r} cannot be given to the ONNX model's input {input_name!r}, "
        f"which takes {_type_words(onnx_type)}: {problem}. {fix}"
    )


def _numeric_values(values, column, input_name, onnx_type):
    """A column's values as a float or integer NumPy array, or a clear error for text."""
    series = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
    dtype = series.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        series = pd.Series(np.asarray(series), copy=False)
        dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) and not series.hasnans:
        return series.to_numpy(dtype=np.int8)
    if pd.api.types.is_numeric_dtype(dtype):
        if pd.api.types.is_extension_array_dtype(dtype):  # nullable: missing becomes NaN
            return series.to_numpy(dtype=np.float64, na_value=np.nan)
        return series.to_numpy()
    kind = pd.api.types.infer_dtype(series, skipna=True)
    if kind in ("integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty"):
        return pd.to_numeric(series).to_numpy(dtype=np.float64, na_value=np.nan)
    example = next((v for v in series if isinstance(v, str)), series.iloc[0])
    raise _column_error(
        column,
        input_name,
        onnx_type,
        f"it holds text (e.g. {example!r})",
        f"Pass numbers in it (X[{column!r}] = pd.to_numeric(X[{column!r}])), or export the "
        "model with a text input for this column.",
    )


def _cast_column(values, column, input_name, onnx_type):
    """One column as the 1-D array the ONNX input takes, or an error naming the column, the
    input's type and the fix."""
    target = TENSOR_DTYPES[onnx_type]
    if onnx_type == "tensor(string)":
        series = values if isinstance(values, pd.Series) else pd.Series(values, copy=False)
        if pd.api.types.is_numeric_dtype(series.dtype) or pd.api.types.is_bool_dtype(series.dtype):
            raise _column_error(
                column,
                input_name,
                onnx_type,
                f"it holds numbers ({series.dtype})",
                f"Pass the values as text (X[{column!r}] = X[{column!r}].astype(str)) if the "
                "model was trained on them as text, or export the model with a numeric input "
                "for this column.",
            )
        array = series.to_numpy(dtype=object)
        missing = pd.isna(array)
        if missing.any():
            raise _column_error(
                column,
                input_name,
                onnx_type,
                f"{int(missing.sum()):,} value(s) are missing (row {int(np.argmax(missing))})",
                "Fill them with a category the model knows, or drop those records.",
            )
        if pd.api.types.infer_dtype(array, skipna=False) != "string":
            other = next(v for v in array if not isinstance(v, str))
            raise _column_error(
                column,
                input_name,
                onnx_type,
                f"it holds {type(other).__name__} values such as {other!r}, not only text",
                f"Convert the column to text (X[{column!r}] = X[{column!r}].astype(str)).",
            )
        return array
    numbers = _numeric_values(values, column, input_name, onnx_type)
    if np.issubdtype(target, np.floating):
        return numbers.astype(target, copy=False)
    if np.issubdtype(numbers.dtype, np.floating):
        missing = np.isnan(numbers)
        if missing.any():
            raise _column_error(
                column,
                input_name,
                onnx_type,
                f"{int(missing.sum()):,} value(s) are missing (row {int(np.argmax(missing))})",
                "Fill them, or drop those records: an integer input has no missing value.",
            )
        fractional = numbers != np.round(numbers)
        if fractional.any():
            raise _column_error(
                column,
                input_name,
                onnx_type,
                f"it holds non-integer values such as {numbers[np.argmax(fractional)].item()!r}",
                "Pass whole numbers, or export the model with a float input for this column.",
            )
    if target is np.bool_:
        return numbers != 0
    return numbers.astype(target, copy=False)


# -- the wrapper -----------------------------------------------------------------------------


class ONNXModel(DeployedModel):
    """A fitted model exported to ONNX, run by onnxruntime, as a scikit-learn estimator.

    Load a model exported with skl2onnx or onnxmltools and assess it like any other: it answers
    ``predict`` (and ``predict_proba`` for a classifier) for a pandas DataFrame of raw columns
    or an array, and is tagged a classifier or a regressor. Needs
    ``pip install "tabinvert[onnx]"``.

    **Inputs.** skl2onnx exports a Pipeline fitted on a DataFrame with one input per column,
    named after it and typed like it (float, int64 or string); each column of ``X`` is sent to
    the input of the same name, cast to its type. A model with a single tensor input (a numeric
    model, such as an XGBoost export) takes every column at once: by position, or, with
    ``feature_names``, the named columns of a DataFrame in that order. ``input_mapping`` says
    which columns go to which input in any other case. A column that is missing, or whose
    values the input cannot take (text for a numeric input, missing or fractional values for
    an integer one), is refused with a :class:`ValueError` naming the column, the input's type
    and the fix.

    **Outputs.** A classifier exported by skl2onnx has a label output and a probability output,
    a matrix or, by default, a list of dictionaries (ZipMap); both are read. Export with
    ``options={"zipmap": False}`` for a plain matrix, which is faster. The classes are read
    from the graph (the ZipMap's keys, the classifier operator's labels, or the constant the
    label output picks from); pass ``classes`` when it names none. A model with a single float
    output is a regressor, unless ``classes`` is given (then the output is the classes'
    probabilities); a model whose only output is a label serves ``predict`` alone.

    ONNX models usually compute in 32-bit floats: their probabilities differ from the original
    model's by about 1e-7, so an attack's guess can differ only where two candidate values
    were within that of each other.

    Parameters
    ----------
    path : str or path-like
        The ``.onnx`` file. It is read once, when the wrapper is made; the model's bytes are
        kept (and pickled), the onnxruntime session is made again in each process.
    classes : array-like, default=None
        The classes, in the order of the probability columns. By default read from the graph;
        when given and the graph names classes too, they must match one for one (their values
        may differ in type, e.g. ``[False, True]`` for the graph's ``[0, 1]``).
    feature_names : list of str, default=None
        The model's input columns, in order (``feature_names_in_``). For a model with a single
        tensor input, the DataFrame columns stacked into it; for one input per column, an order
        for the input names. By default the input names of a model with several inputs; none
        for a single tensor input, which then takes columns by position.
    input_mapping : dict of str to str or list of str, default=None
        For each ONNX input, the column (or the columns, in order) sent to it. By default each
        input of a model with several inputs takes the column of its own name.
    output : str, default=None
        The output to read: a classifier's probabilities (or its labels, for a label-only
        model), or a regressor's prediction. By default the probabilities (the ZipMap output,
        a float output with "prob" in its name, or the only float output).
    batch_size : int, default=65536
        At most this many rows per onnxruntime call.
    providers : list of str, default=None
        onnxruntime's execution providers; by default ``["CPUExecutionProvider"]``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The classes of a classifier (absent for a regressor).
    n_features_in_ : int
        Number of input columns (absent when a single input's width is not fixed).
    feature_names_in_ : ndarray of str
        The input columns by name (absent when the model takes columns by position).
    input_names_ : list of str
        The ONNX model's inputs, in order.
    input_types_ : dict of str to str
        Each input's ONNX type, e.g. ``"tensor(float)"``.
    output_ : str
        The output read (probabilities, or a regressor's prediction).
    label_output_ : str or None
        A classifier's label output, which ``predict`` returns (None: the arg-max of the
        probabilities).

    See Also
    --------
    tabinvert.assess : Assess a model, an ONNXModel included.

    Notes
    -----
    Loading an ONNX file runs no Python code: onnxruntime reads it as data, and no
    custom-operator library is registered (see :ref:`model-loading`). A model whose weights
    are stored in external files is refused. The file is read when the wrapper is made, and
    again by :meth:`set_params`; ``fit`` refuses to train it.
    The white-box attacks do not read an ONNX graph: an assessment of an ONNX model rates the
    attackers who query it (``access="api"``).

    Examples
    --------
    >>> import pathlib, tempfile
    >>> import numpy as np, pandas as pd
    >>> from sklearn.compose import make_column_transformer
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import OneHotEncoder
    >>> from skl2onnx import to_onnx
    >>> from tabinvert.models import ONNXModel
    >>> X = pd.DataFrame({"age": [25, 40, 61, 33, 52, 47],
    ...                   "smoker": ["yes", "no", "yes", "no", "no", "yes"]})
    >>> y = np.array(["low", "low", "high", "low", "high", "high"])
    >>> model = make_pipeline(
    ...     make_column_transformer((OneHotEncoder(), ["smoker"]), ("passthrough", ["age"])),
    ...     LogisticRegression()).fit(X, y)
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.onnx"
    >>> _ = path.write_bytes(
    ...     to_onnx(model, X[:1], options={"zipmap": False}).SerializeToString())
    >>> onnx_model = ONNXModel(path)
    >>> onnx_model.classes_, onnx_model.feature_names_in_
    (array(['high', 'low'], dtype='<U4'), array(['age', 'smoker'], dtype=object))
    >>> bool(np.allclose(onnx_model.predict_proba(X), model.predict_proba(X), atol=1e-5))
    True
    >>> onnx_model.predict(X).tolist() == model.predict(X).tolist()
    True
    """

    def __init__(
        self,
        path,
        *,
        classes=None,
        feature_names=None,
        input_mapping=None,
        output=None,
        batch_size=65536,
        providers=None,
    ):
        self.path = path
        self.classes = classes
        self.feature_names = feature_names
        self.input_mapping = input_mapping
        self.output = output
        self.batch_size = batch_size
        self.providers = providers
        self._load()

    # -- loading ---------------------------------------------------------------------------

    def _load(self):
        onnxruntime, onnx = _import_onnx()
        path = Path(self.path)
        shown = repr(str(path))
        if not isinstance(self.batch_size, (int, np.integer)) or self.batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer; got {self.batch_size!r}.")
        if path.is_dir():
            raise ValueError(f"The ONNX model file {shown} is a folder: give the model's file.")
        if not path.is_file():
            raise ValueError(f"The ONNX model file {shown} does not exist.")
        content = path.read_bytes()
        try:
            proto = onnx.load_model_from_string(content)
        except Exception as exc:
            raise ValueError(
                f"Cannot read the ONNX model file {shown}: it is not an ONNX model "
                f"({type(exc).__name__}: {str(exc)[:300]})."
            ) from exc
        if _uses_external_data(onnx, proto):
            raise ValueError(
                f"The ONNX model file {shown} keeps its weights in external data files, which "
                "are not read: save the model as one file (onnx.save_model(model, path, "
                "save_as_external_data=False))."
            )
        self._model_bytes = content
        self._session_cache = None
        session = self._session()  # refuse now a file onnxruntime cannot load
        self._read_signature(session, proto, onnx, shown)

    def _session(self):
        session = getattr(self, "_session_cache", None)
        if session is not None:
            return session
        onnxruntime, _ = _import_onnx()
        with _SESSION_LOCK:
            if self._session_cache is None:
                options = onnxruntime.SessionOptions()
                options.log_severity_level = 3  # errors only: no warnings on stderr
                try:
                    self._session_cache = onnxruntime.InferenceSession(
                        self._model_bytes,
                        sess_options=options,
                        providers=list(self.providers or ["CPUExecutionProvider"]),
                    )
                except Exception as exc:
                    raise ValueError(
                        f"onnxruntime cannot load the ONNX model file {str(self.path)!r}: "
                        f"{type(exc).__name__}: {str(exc)[:500]}"
                    ) from exc
        return self._session_cache

    def _read_signature(self, session, proto, onnx, shown):
        inputs = session.get_inputs()
        self.input_names_ = [i.name for i in inputs]
        self.input_types_ = {i.name: i.type for i in inputs}
        self._input_shapes = {i.name: list(i.shape) for i in inputs}
        for i in inputs:
            if i.type not in TENSOR_DTYPES:
                raise ValueError(
                    f"The ONNX model {shown} has the input {i.name!r} of type {i.type}, which "
                    "tabinvert cannot build from a table's columns (it takes tensors of "
                    f"numbers, booleans or text: {', '.join(TENSOR_DTYPES)})."
                )
            if len(i.shape) not in (1, 2):
                raise ValueError(
                    f"The ONNX model {shown} has the input {i.name!r} of shape {i.shape}: "
                    "expected (rows, columns) or (rows,), one record per row."
                )
        self._set_columns(shown)
        self._set_outputs(session, proto, onnx, shown)

    def _set_columns(self, shown):
        """Which columns go to which input; ``feature_names_in_`` and ``n_features_in_``."""
        names = self.input_names_
        mapping = self.input_mapping
        feature_names = None if self.feature_names is None else list(self.feature_names)
        if mapping is not None:
            unknown = [name for name in mapping if name not in names]
            unmapped = [name for name in names if name not in mapping]
            if unknown or unmapped:
                raise ValueError(
                    f"input_mapping must name each input of the ONNX model {shown} once: its "
                    f"inputs are {_shown(names)}"
                    + (f"; not inputs: {_shown(unknown)}" if unknown else "")
                    + (f"; not mapped: {_shown(unmapped)}" if unmapped else "")
                    + "."
                )
            columns = {
                name: [mapping[name]] if isinstance(mapping[name], str) else list(mapping[name])
                for name in names
            }
        elif len(names) > 1:
            columns = {name: [name] for name in names}
        elif feature_names is not None:
            columns = {names[0]: feature_names}
        else:
            columns = None  # one tensor input, columns by position
        if columns is None:
            self._columns = None
            width = _width(self._input_shapes[names[0]])
            if width is not None:
                self.n_features_in_ = width
            return
        for name, chosen in columns.items():
            width = _width(self._input_shapes[name])
            if width is not None and width != len(chosen):
                raise ValueError(
                    f"The ONNX model {shown}'s input {name!r} takes {width} column(s) (shape "
                    f"{self._input_shapes[name]}) but {len(chosen)} are sent to it "
                    f"({_shown(chosen)}): say which columns it takes with "
                    f"input_mapping={{{name!r}: [...]}}"
                    + (" or feature_names=[...]." if len(names) == 1 else ".")
                )
        ordered = list(dict.fromkeys(c for chosen in columns.values() for c in chosen))
        if feature_names is not None:
            if sorted(map(str, feature_names)) != sorted(map(str, ordered)) or len(
                set(feature_names)
            ) != len(feature_names):
                raise ValueError(
                    f"feature_names {_shown(feature_names)} must be the columns the ONNX "
                    f"model's inputs take, each once: {_shown(ordered)}."
                )
            ordered = feature_names
        self._columns = columns
        self.feature_names_in_ = np.asarray([str(c) for c in ordered], dtype=object)
        self.n_features_in_ = len(ordered)

    def _set_outputs(self, session, proto, onnx, shown):
        outputs = {o.name: (o.type, list(o.shape)) for o in session.get_outputs()}
        listed = ", ".join(f"{name!r} ({kind})" for name, (kind, _) in outputs.items())

        def is_scores(kind):
            return kind in _FLOAT_TYPES or kind.startswith("seq(map(")

        labels = [name for name, (kind, _) in outputs.items() if kind in _LABEL_TYPES]
        scores = [name for name, (kind, _) in outputs.items() if is_scores(kind)]
        label_output = score_output = None
        if self.output is not None:
            if self.output not in outputs:
                raise ValueError(
                    f"output={self.output!r} is not an output of the ONNX model {shown}; its "
                    f"outputs are {listed}."
                )
            if self.output in labels:
                label_output = self.output
            elif self.output in scores:
                score_output = self.output
                label_output = next(iter(labels), None)
            else:
                raise ValueError(
                    f"The output {self.output!r} of the ONNX model {shown} is of type "
                    f"{outputs[self.output][0]}: expected probabilities or predictions (a "
                    "float tensor, or a ZipMap's list of dictionaries) or labels."
                )
        else:
            zipmaps = [name for name in scores if outputs[name][0].startswith("seq(map(")]
            named = [name for name in scores if "prob" in name.lower()]
            for choice in (zipmaps, named, scores):
                if len(choice) == 1:
                    score_output = choice[0]
                    break
            else:
                if scores:
                    raise ValueError(
                        f"The ONNX model {shown} has several outputs that could be its answer "
                        f"({listed}): pass output= with the one to read."
                    )
            label_output = next(
                (name for name in labels if "label" in name.lower()), next(iter(labels), None)
            )
            if score_output is None and label_output is None:
                raise ValueError(
                    f"The ONNX model {shown} has no output tabinvert can read ({listed}): "
                    "expected probabilities or predictions (a float tensor, or a ZipMap's "
                    "list of dictionaries) or labels."
                )
        zipmap = score_output is not None and outputs[score_output][0].startswith("seq(map(")
        self._is_classifier = label_output is not None or zipmap or self.classes is not None
        self.output_ = score_output if score_output is not None else label_output
        self.label_output_ = label_output
        self._zipmap = zipmap
        self._has_scores = score_output is not None
        if not self._is_classifier:
            return
        graph = _graph_classes(onnx, proto, label_output)
        self._graph_classes = None if graph is None else np.asarray(graph)
        if self.classes is not None:
            classes = np.asarray(self.classes)
            if classes.ndim != 1 or len(classes) < 2 or len(set(classes.tolist())) != len(classes):
                raise ValueError(
                    f"classes must list at least two distinct classes; got {_shown(classes)}."
                )
            if graph is not None and (
                len(graph) != len(classes) or any(a != b for a, b in zip(graph, classes.tolist()))
            ):
                raise ValueError(
                    f"classes={_shown(classes)} differ from the classes the ONNX model {shown} "
                    f"names, {_shown(graph)} (in the order of its probability columns); "
                    "leave classes out to use the model's own."
                )
        elif graph is not None:
            classes = np.asarray(graph)
        else:
            raise ValueError(
                f"The ONNX model {shown} does not name its classes (no ZipMap or classifier "
                "operator holds them): pass classes=[...] in the order of its probability "
                "columns, as the original model's classes_."
            )
        self.classes_ = classes
        if score_output is not None and not zipmap:
            width = _width(outputs[score_output][1])
            if (
                width is not None
                and width != len(classes)
                and not (width == 1 and len(classes) == 2)
            ):
                raise ValueError(
                    f"The ONNX model {shown}'s output {score_output!r} has {width} columns "
                    f"for {len(classes)} classes {_shown(classes)}: pass output= with its "
                    "probability output, or the classes it has."
                )

    # -- scikit-learn conventions ------------------------------------------------------------

    def _configure(self):
        self._load()

    def _takes_text(self):
        return any(t == "tensor(string)" for t in getattr(self, "input_types_", {}).values())

    def __getstate__(self):
        state = dict(super().__getstate__())  # a copy: this wrapper keeps its session
        state["_session_cache"] = None  # made again where the wrapper is unpickled
        return state

    # -- answering ---------------------------------------------------------------------------

    def _feeds(self, X):
        """The ONNX inputs for ``X``, each cast to its input's type; and the number of rows."""
        if self._columns is None:
            return self._array_feeds(X)
        names = list(self.feature_names_in_)
        if not isinstance(X, pd.DataFrame):
            array = np.asarray(X) if not hasattr(X, "keys") else None
            if array is None or array.ndim != 2 or array.shape[1] != len(names):
                shape = "a mapping" if array is None else f"shape {array.shape}"
                raise ValueError(
                    f"The ONNX model takes the columns {_shown(names)}: pass a DataFrame with "
                    f"them (or a 2-D array with those columns in that order), not {shape}."
                )
            X = pd.DataFrame(array, columns=names)
        missing = [c for c in names if c not in X.columns]
        if missing:
            where = {c: n for n, chosen in self._columns.items() for c in chosen}
            first = missing[0]
            raise ValueError(
                f"X lacks the column(s) {_shown(missing)} that the ONNX model takes (the column "
                f"{first!r} goes to its input {where[first]!r}, of type "
                f"{_type_words(self.input_types_[where[first]])}). Pass a DataFrame with every "
                f"column of feature_names_in_ {_shown(names)}"
                + (
                    ", or map the inputs to your columns with input_mapping."
                    if self.input_mapping is None
                    else "."
                )
            )
        feeds = {}
        for name, chosen in self._columns.items():
            kind = self.input_types_[name]
            parts = [_cast_column(X[c], c, name, kind) for c in chosen]
            feeds[name] = self._shaped(name, parts)
        return feeds, len(X)

    def _array_feeds(self, X):
        name = self.input_names_[0]
        kind = self.input_types_[name]
        if isinstance(X, pd.DataFrame):
            parts = [X.iloc[:, i] for i in range(X.shape[1])]
            labels = list(X.columns)
        else:
            array = np.asarray(X)
            if array.ndim == 1:
                array = array.reshape(-1, 1)
            if array.ndim != 2:
                raise ValueError(f"X must be 2-D (records × columns); got shape {array.shape}.")
            parts = [array[:, i] for i in range(array.shape[1])]
            labels = list(range(array.shape[1]))
        width = _width(self._input_shapes[name])
        if width is not None and len(parts) != width:
            raise ValueError(
                f"X has {len(parts)} columns but the ONNX model's input {name!r} takes {width}."
            )
        if kind in _FLOAT_TYPES and not isinstance(X, pd.DataFrame):
            array = np.asarray(X)
            if np.issubdtype(array.dtype, np.number) or array.dtype == bool:
                # A numeric array for a float input: one cast, no column to check.
                return {name: self._fit_rank(name, array.astype(TENSOR_DTYPES[kind]))}, len(array)
        cast = [_cast_column(part, label, name, kind) for part, label in zip(parts, labels)]
        return {name: self._shaped(name, cast)}, (len(cast[0]) if cast else 0)

    def _shaped(self, name, parts):
        return self._fit_rank(name, np.column_stack(parts) if len(parts) > 1 else parts[0][:, None])

    def _fit_rank(self, name, array):
        if array.ndim == 1:
            array = array[:, None]
        return array.reshape(-1) if len(self._input_shapes[name]) == 1 else array

    def _run(self, X, names):
        """The named outputs for ``X``, in batches of ``batch_size`` rows."""
        feeds, n_rows = self._feeds(X)
        if n_rows == 0:
            raise ValueError("X has no records: the ONNX model needs at least one row.")
        session = self._session()
        answers = [[] for _ in names]
        for start in range(0, n_rows, int(self.batch_size)):
            batch = {k: v[start : start + int(self.batch_size)] for k, v in feeds.items()}
            for store, answer in zip(answers, session.run(names, batch)):
                store.append(answer)
        return [
            list(itertools.chain.from_iterable(parts))
            if isinstance(parts[0], list)
            else np.concatenate(parts)
            for parts in answers
        ], n_rows

    def _scores(self, answer, n_rows):
        """Probabilities as an ``(n, n_classes)`` float64 array, from a matrix or a ZipMap."""
        if self._zipmap:
            keys = (
                self._graph_classes.tolist()
                if self._graph_classes is not None
                else self.classes_.tolist()
            )
            try:
                answer = np.array([[row[k] for k in keys] for row in answer], dtype=np.float64)
            except (KeyError, TypeError) as exc:
                raise ValueError(
                    f"The ONNX model's output {self.output_!r} returned dictionaries without "
                    f"the keys {_shown(keys)} of its classes ({type(exc).__name__}: {exc})."
                ) from exc
        answer = np.asarray(answer, dtype=np.float64)
        if answer.ndim == 1:
            answer = answer[:, None]
        if answer.shape[0] != n_rows or answer.ndim != 2:
            raise ValueError(
                f"The ONNX model's output {self.output_!r} has shape {answer.shape} for "
                f"{n_rows} records: expected one row per record."
            )
        return answer

    def _probabilities(self, answer, n_rows):
        answer = self._scores(answer, n_rows)
        n_classes = len(self.classes_)
        if answer.shape[1] == 1 and n_classes == 2:  # the positive class's probability alone
            answer = np.hstack([1 - answer, answer])
        if answer.shape[1] != n_classes:
            raise ValueError(
                f"The ONNX model's output {self.output_!r} has {answer.shape[1]} columns for "
                f"{n_classes} classes {_shown(self.classes_)}."
            )
        return answer

    def _labels(self, answer, n_rows):
        """The label output as ``classes_`` values (the graph's labels mapped one for one)."""
        labels = np.asarray(answer).reshape(-1)
        if len(labels) != n_rows:
            raise ValueError(
                f"The ONNX model's label output {self.label_output_!r} returned "
                f"{len(labels)} labels for {n_rows} records."
            )
        known = self._graph_classes if self._graph_classes is not None else self.classes_
        positions = pd.Index(known.tolist()).get_indexer(labels.tolist())
        if (positions < 0).any():
            unknown = labels[np.argmax(positions < 0)]
            raise ValueError(
                f"The ONNX model's label output {self.label_output_!r} returned {unknown!r}, "
                f"which is not one of its classes {_shown(known)}."
            )
        return self.classes_[positions]

    def _has_probabilities(self):
        return getattr(self, "_is_classifier", False) and getattr(self, "_has_scores", False)

    @available_if(_has_probabilities)
    def predict_proba(self, X):
        """Probability of each class, as the ONNX model computes it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Raw records, as the exported model takes them.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``, as float64.
        """
        (answer,), n_rows = self._run(X, [self.output_])
        return self._probabilities(answer, n_rows)

    def predict(self, X):
        """The model's label (a classifier) or prediction (a regressor).

        A classifier returns its label output, as ``classes_`` values; without one, the class
        of the highest probability.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Raw records, as the exported model takes them.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        if self._is_classifier and self.label_output_ is not None:
            (answer,), n_rows = self._run(X, [self.label_output_])
            return self._labels(answer, n_rows)
        (answer,), n_rows = self._run(X, [self.output_])
        if self._is_classifier:
            return self.classes_[self._probabilities(answer, n_rows).argmax(axis=1)]
        predictions = self._scores(answer, n_rows)
        return predictions[:, 0] if predictions.shape[1] == 1 else predictions

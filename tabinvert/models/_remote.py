"""A model behind an HTTP prediction service, wrapped as a fitted scikit-learn estimator.

The wrapper holds no model: every ``predict``/``predict_proba`` call sends the records to the
service, in batches of ``batch_size`` rows, at most ``max_concurrency`` requests at a time, and
reads the answers back in order. What a request looks like is the protocol's business (one
class per protocol, registered in :data:`PROTOCOLS`); what happens when the service fails is
the transport's (urllib3: timeouts, retries with backoff on connection errors and 5xx, the
``Retry-After`` of a 429 respected up to a ceiling). A request that still fails stops the call
with :class:`~tabinvert.exceptions.RemoteModelError`, which the query engine passes on
unchanged, so that no attack or assessment finishes on part of the answers.

Credentials come from an environment variable (``token_env``) or the ``headers`` argument. They
are sent with each request and nowhere else: the wrapper's ``repr`` (which an assessment
records) masks header values, and error messages name the URL without its user information.
"""

from __future__ import annotations

import base64
import json
import math
import os
import threading
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.utils.metaestimators import available_if

from ..exceptions import RemoteModelError
from ._base import DeployedModel

EXTRA_HINT = 'pip install "tabinvert[remote]"'

#: Statuses retried with backoff (429 also waits for its ``Retry-After``).
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})

#: Characters of a failed response's body quoted in the error.
BODY_SHOWN = 300

#: How a masked header value is shown.
MASK = "***"

_POOL_LOCK = threading.Lock()


def _import_urllib3():
    try:
        import urllib3
    except ImportError as exc:
        raise ImportError(
            f"Querying a model over HTTP needs urllib3, which is not installed: {EXTRA_HINT}."
        ) from exc
    return urllib3


def safe_url(url):
    """``url`` without user information (``user:password@``) or query string, for messages."""
    parts = urllib.parse.urlsplit(str(url))
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def _address(url):
    """``url`` without its user information, which goes in a Basic Authorization header."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def _basic_auth(url):
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return None
    pair = f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
    return "Basic " + base64.b64encode(pair.encode()).decode()


def _shown(values, limit=10):
    values = [v.item() if isinstance(v, np.generic) else v for v in list(values)]
    text = ", ".join(repr(v) for v in values[:limit])
    return "[" + text + (f", ... ({len(values)} in all)" if len(values) > limit else "") + "]"


# -- records as JSON ---------------------------------------------------------------------------


def _json_column(series, name, allow_missing):
    """A column as a list of JSON values (floats, ints, bools or text); missing as None."""
    if pd.api.types.is_bool_dtype(series):
        values = series.astype(object).tolist()
    elif pd.api.types.is_numeric_dtype(series):
        array = series.to_numpy(dtype=np.float64, na_value=np.nan)
        missing = ~np.isfinite(array)
        if missing.any():
            if not allow_missing:
                first = series.index[int(np.argmax(missing))]
                raise ValueError(
                    f"The column {name!r} has the value {array[missing][0]!r} in the record "
                    f"{first!r}: JSON tensors cannot carry missing or infinite numbers. Impute "
                    "the column, or use protocol='mlflow' or 'json', which send them as null."
                )
            values = [None if m else v for v, m in zip(array.tolist(), missing.tolist())]
        elif pd.api.types.is_integer_dtype(series):
            values = series.astype(np.int64).tolist()
        else:
            values = array.tolist()
    else:
        values = [
            None if (v is None or (isinstance(v, float) and math.isnan(v))) else str(v)
            for v in series.astype(object).tolist()
        ]
        if not allow_missing and any(v is None for v in values):
            raise ValueError(
                f"The column {name!r} has missing values: JSON tensors of text cannot carry "
                "them. Fill them, or use protocol='mlflow' or 'json'."
            )
    return values


def _rows(frame, allow_missing=True):
    columns = [_json_column(frame[c], c, allow_missing) for c in frame.columns]
    return [list(row) for row in zip(*columns)]


class Protocol:
    """How records become a request body, and how an answer is read from the response.

    Subclasses declare ``name`` and are registered in :data:`PROTOCOLS`.
    """

    name = None

    def endpoint(self, model):
        """The URL a prediction request is posted to."""
        raise NotImplementedError

    def ready_url(self, model):
        """A URL that answers 200 when the service is ready, or None."""
        return None

    def body(self, model, frame):
        """The JSON body for the records of ``frame``."""
        raise NotImplementedError

    def answer(self, model, payload):
        """The list or array of answers in a decoded response body."""
        raise NotImplementedError

    def default_output(self, model):
        return None


class OpenInferenceProtocol(Protocol):
    """The Open Inference Protocol v2 (KServe, Seldon MLServer, Triton).

    Records go as one input per column with the ``pd`` content type (``input_format="columns"``,
    what MLServer's scikit-learn runtime decodes into a DataFrame), or as one ``(rows, columns)``
    FP64 tensor (``input_format="tensor"``). The answer is read from the output named ``output``
    (``predict_proba`` for probabilities, ``predict`` for labels and regression), which the
    request asks for by name.
    """

    name = "v2"
    _DATATYPES = {"b": "BOOL", "i": "INT64", "u": "INT64", "f": "FP64"}

    def _base(self, model):
        base = _address(model.url).rstrip("/")
        path = f"/v2/models/{urllib.parse.quote(str(model.model_name), safe='')}"
        if model.model_version is not None:
            path += f"/versions/{urllib.parse.quote(str(model.model_version), safe='')}"
        return base + path

    def endpoint(self, model):
        return self._base(model) + "/infer"

    def ready_url(self, model):
        return self._base(model) + "/ready"

    def default_output(self, model):
        return "predict_proba" if model._answers_probabilities() else "predict"

    def body(self, model, frame):
        n = len(frame)
        if model.input_format == "tensor":
            if not all(pd.api.types.is_numeric_dtype(frame[c]) for c in frame.columns):
                text = [c for c in frame.columns if not pd.api.types.is_numeric_dtype(frame[c])]
                raise ValueError(
                    f"The column {text[0]!r} is not numeric: input_format='tensor' sends one "
                    "FP64 tensor. Encode the column, or use input_format='columns' (one input "
                    "per column, as MLServer's pd content type)."
                )
            data = [v for row in _rows(frame, allow_missing=False) for v in row]
            inputs = [
                {
                    "name": model.input_name,
                    "shape": [n, frame.shape[1]],
                    "datatype": "FP64",
                    "data": [float(v) for v in data],
                }
            ]
            body = {"inputs": inputs}
        else:
            inputs = []
            for column in frame.columns:
                series = frame[column]
                kind = series.dtype.kind if pd.api.types.is_numeric_dtype(series) else "O"
                if pd.api.types.is_bool_dtype(series):
                    kind = "b"
                entry = {
                    "name": str(column),
                    "shape": [n],
                    "datatype": self._DATATYPES.get(kind, "BYTES"),
                    "data": _json_column(series, column, allow_missing=False),
                }
                if entry["datatype"] == "BYTES":
                    entry["parameters"] = {"content_type": "str"}
                inputs.append(entry)
            body = {"parameters": {"content_type": "pd"}, "inputs": inputs}
        body["outputs"] = [{"name": model._output_name()}]
        return body

    def answer(self, model, payload):
        outputs = payload.get("outputs") if isinstance(payload, dict) else None
        if not isinstance(outputs, list):
            raise _Malformed("has no 'outputs' list")
        name = model._output_name()
        chosen = [o for o in outputs if isinstance(o, dict) and o.get("name") == name]
        if not chosen:
            names = [o.get("name") for o in outputs if isinstance(o, dict)]
            raise _Malformed(
                f"has no output named {name!r} (its outputs: {_shown(names)}); pass output= "
                "with the name of the one to read"
            )
        output = chosen[0]
        data, shape = output.get("data"), output.get("shape")
        if not isinstance(data, list) or not isinstance(shape, list):
            raise _Malformed(f"output {name!r} lacks its 'data' or 'shape'")
        if len(shape) == 2 and shape[1] != 1:
            if shape[0] * shape[1] != len(data):
                raise _Malformed(f"output {name!r} has {len(data)} values for shape {shape}")
            return [data[i * shape[1] : (i + 1) * shape[1]] for i in range(shape[0])]
        return data


class MLflowProtocol(Protocol):
    """MLflow's scoring server (``mlflow models serve``): ``POST /invocations`` with a
    ``dataframe_split`` body; the answer is the response's ``predictions`` (or the bare list
    older servers return). A model logged with ``pyfunc_predict_fn="predict_proba"`` answers
    probabilities, one list per record; one logged as it is answers labels."""

    name = "mlflow"

    def endpoint(self, model):
        return _address(model.url).rstrip("/") + "/invocations"

    def ready_url(self, model):
        return _address(model.url).rstrip("/") + "/ping"

    def body(self, model, frame):
        return {
            "dataframe_split": {"columns": [str(c) for c in frame.columns], "data": _rows(frame)}
        }

    def answer(self, model, payload):
        if isinstance(payload, dict):
            if "predictions" not in payload:
                raise _Malformed(f"has no 'predictions' (its keys: {_shown(payload)})")
            payload = payload["predictions"]
        if isinstance(payload, dict):  # a DataFrame answered column by column
            payload = pd.DataFrame(payload).to_dict("records")
        return payload


class TemplateProtocol(Protocol):
    """Any JSON API, described by a request template and the path of the answer.

    ``request_template`` is a JSON-like object in which the strings ``"$records"`` (a list of
    ``{column: value}`` objects), ``"$rows"`` (a list of value lists) and ``"$columns"`` (the
    column names) are replaced; ``response_path`` is a dotted path to the answer in the response
    (``"predictions"``, ``"outputs.0.data"``); the answer is a list with one entry per record:
    a list of probabilities, a ``{class: probability}`` object, a label or a value.
    ``url`` is the full address requests are posted to.
    """

    name = "json"
    _PLACEHOLDERS = ("$records", "$rows", "$columns")

    def endpoint(self, model):
        return _address(model.url)

    def body(self, model, frame):
        template = model.request_template if model.request_template is not None else "$records"
        values = {
            "$columns": [str(c) for c in frame.columns],
            "$rows": None,
            "$records": None,
        }

        def fill(node):
            if isinstance(node, str) and node in self._PLACEHOLDERS:
                if values[node] is None:
                    rows = _rows(frame)
                    values["$rows"] = rows
                    values["$records"] = [dict(zip(values["$columns"], r)) for r in rows]
                return values[node]
            if isinstance(node, dict):
                return {key: fill(value) for key, value in node.items()}
            if isinstance(node, list):
                return [fill(value) for value in node]
            return node

        return fill(template)

    def answer(self, model, payload):
        node = payload
        for step in [] if not model.response_path else str(model.response_path).split("."):
            if (
                isinstance(node, list)
                and step.lstrip("-").isdigit()
                and -len(node) <= int(step) < len(node)
            ):
                node = node[int(step)]
            elif isinstance(node, dict) and step in node:
                node = node[step]
            else:
                raise _Malformed(
                    f"has nothing at {step!r} of response_path={model.response_path!r}"
                )
        return node


#: The protocols by name (``protocol=``).
PROTOCOLS = {p.name: p for p in (OpenInferenceProtocol(), MLflowProtocol(), TemplateProtocol())}


class _Malformed(Exception):
    """A response that was received but cannot be read (becomes a RemoteModelError)."""


def _check_template(template):
    found = []

    def walk(node):
        if isinstance(node, str) and node in TemplateProtocol._PLACEHOLDERS:
            found.append(node)
        elif isinstance(node, dict):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(template)
    if not any(p in found for p in ("$records", "$rows")):
        raise ValueError(
            f"request_template={template!r} must hold '$records' or '$rows' where the records "
            "go, e.g. {'instances': '$records'}."
        )
    try:
        json.dumps(template)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"request_template must be JSON-like (dicts, lists, text): {exc}") from exc


# -- the wrapper -------------------------------------------------------------------------------


class _RemoteModel(DeployedModel):
    """What the remote classifier and regressor share: the transport and the batching."""

    _is_classifier = False

    def __init__(
        self,
        url,
        *,
        protocol="v2",
        model_name=None,
        model_version=None,
        feature_names=None,
        output=None,
        input_format="columns",
        input_name="input-0",
        request_template=None,
        response_path=None,
        batch_size=1000,
        max_concurrency=4,
        timeout=30.0,
        max_retries=5,
        backoff_factor=0.2,
        max_retry_after=60.0,
        headers=None,
        token_env=None,
    ):
        self.url = url
        self.protocol = protocol
        self.model_name = model_name
        self.model_version = model_version
        self.feature_names = feature_names
        self.output = output
        self.input_format = input_format
        self.input_name = input_name
        self.request_template = request_template
        self.response_path = response_path
        self.batch_size = batch_size
        self.max_concurrency = max_concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_factor = backoff_factor
        self.max_retry_after = max_retry_after
        self.headers = headers
        self.token_env = token_env
        self._configure()

    # -- configuration -----------------------------------------------------------------------

    def _configure(self):
        """Check the parameters (no request is sent) and set the fitted attributes."""
        if not isinstance(self.url, str) or urllib.parse.urlsplit(self.url).scheme not in (
            "http",
            "https",
        ):
            raise ValueError(f"url must be an http:// or https:// address; got {self.url!r}.")
        if self.protocol not in PROTOCOLS:
            raise ValueError(
                f"protocol={self.protocol!r} is not one of {_shown(PROTOCOLS)}: 'v2' for the "
                "Open Inference Protocol (KServe, MLServer, Triton), 'mlflow' for MLflow's "
                "scoring server, 'json' for another JSON API with request_template."
            )
        if self.protocol == "v2" and not self.model_name:
            raise ValueError("protocol='v2' needs model_name=, the model's name on the server.")
        if self.protocol == "json":
            _check_template(
                self.request_template if self.request_template is not None else "$records"
            )
        if self.input_format not in ("columns", "tensor"):
            raise ValueError(
                f"input_format must be 'columns' or 'tensor'; got {self.input_format!r}."
            )
        for name in ("batch_size", "max_concurrency"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer; got {value!r}.")
        if (
            isinstance(self.max_retries, bool)
            or not isinstance(self.max_retries, (int, np.integer))
            or self.max_retries < 0
        ):
            raise ValueError(f"max_retries must be an integer ≥ 0; got {self.max_retries!r}.")
        for name in ("timeout", "backoff_factor", "max_retry_after"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float, np.number))
                or not np.isfinite(value)
                or value < 0
                or (name == "timeout" and value == 0)
            ):
                raise ValueError(f"{name} must be a finite number of seconds; got {value!r}.")
        if self.headers is not None and not (
            isinstance(self.headers, dict)
            and all(isinstance(k, str) and isinstance(v, str) for k, v in self.headers.items())
        ):
            raise ValueError("headers must be a dict of header names to text values.")
        if self.token_env is not None and not isinstance(self.token_env, str):
            raise ValueError(
                f"token_env must name an environment variable; got {self.token_env!r}."
            )
        if self.feature_names is not None:
            names = [str(c) for c in self.feature_names]
            if len(set(names)) != len(names) or not names:
                raise ValueError(f"feature_names must be distinct column names; got {names!r}.")
            self.feature_names_in_ = np.asarray(names, dtype=object)
            self.n_features_in_ = len(names)
        else:
            for name in ("feature_names_in_", "n_features_in_"):
                self.__dict__.pop(name, None)
        self._pool = None
        self._counter_lock = threading.Lock()
        self.rows_sent_ = self.requests_sent_ = self.retries_ = 0

    def _takes_text(self):
        return self.protocol != "v2" or self.input_format == "columns"

    # -- credentials stay out of reprs and pickles --------------------------------------------

    def _masked(self):
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        if self.headers:
            clone.headers = {key: MASK for key in self.headers}
        parts = urllib.parse.urlsplit(str(self.url))
        if parts.password is not None:
            netloc = f"{parts.username}:{MASK}@" + parts.netloc.rpartition("@")[2]
            clone.url = urllib.parse.urlunsplit(parts._replace(netloc=netloc))
        return clone

    def __repr__(self, N_CHAR_MAX=700):
        return BaseEstimator.__repr__(self._masked(), N_CHAR_MAX=N_CHAR_MAX)

    def _repr_html_inner(self):
        return BaseEstimator._repr_html_inner(self._masked())

    def _repr_mimebundle_(self, **kwargs):
        return BaseEstimator._repr_mimebundle_(self._masked(), **kwargs)

    def __getstate__(self):
        state = dict(super().__getstate__())
        state["_pool"] = None  # connections are made again where the wrapper is unpickled
        state.pop("_counter_lock", None)
        return state

    def __setstate__(self, state):
        super().__setstate__(state)
        self._counter_lock = threading.Lock()

    # -- the transport ------------------------------------------------------------------------

    def _output_name(self):
        if self.output is not None:
            return self.output
        return PROTOCOLS[self.protocol].default_output(self)

    def _answers_probabilities(self):
        return False

    def _request_headers(self):
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        basic = _basic_auth(self.url)  # user:password@ in the URL, as curl and requests read it
        if basic is not None:
            headers["Authorization"] = basic
        headers.update(self.headers or {})
        if self.token_env is not None:
            token = os.environ.get(self.token_env)
            if not token:
                raise ValueError(
                    f"token_env={self.token_env!r} names an environment variable that is not "
                    "set: export it with the service's token."
                )
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def _connections(self):
        if self._pool is None:
            urllib3 = _import_urllib3()
            with _POOL_LOCK:
                if self._pool is None:
                    retries = urllib3.util.Retry(
                        total=int(self.max_retries),
                        connect=int(self.max_retries),
                        read=int(self.max_retries),
                        status=int(self.max_retries),
                        other=0,
                        redirect=0,
                        allowed_methods=None,  # inference is idempotent: POSTs are retried
                        status_forcelist=RETRY_STATUSES,
                        backoff_factor=float(self.backoff_factor),
                        backoff_max=30.0,
                        respect_retry_after_header=True,
                        retry_after_max=float(self.max_retry_after),
                        raise_on_status=False,
                        raise_on_redirect=False,
                    )
                    self._pool = urllib3.PoolManager(
                        num_pools=4,
                        maxsize=int(self.max_concurrency),
                        block=True,
                        retries=retries,
                        timeout=urllib3.Timeout(
                            connect=float(self.timeout), read=float(self.timeout)
                        ),
                    )
        return self._pool

    def _count(self, rows, retries):
        with self._counter_lock:
            self.rows_sent_ += rows * (1 + retries)
            self.requests_sent_ += 1 + retries
            self.retries_ += retries

    def _post(self, url, body, n_rows):
        """The decoded JSON answer of one request; RemoteModelError when it cannot be had."""
        urllib3 = _import_urllib3()
        headers = self._request_headers()
        shown = safe_url(url)
        try:
            response = self._connections().request(
                "POST", url, body=json.dumps(body, allow_nan=False).encode(), headers=headers
            )
        except urllib3.exceptions.MaxRetryError as exc:
            self._count(n_rows, int(self.max_retries))
            reason = exc.reason if exc.reason is not None else exc
            raise RemoteModelError(
                f"The model service at {shown} did not answer after {int(self.max_retries)} "
                f"retries: {type(reason).__name__}: {_reason_text(reason)}. Check that it is "
                "running and reachable, or raise timeout=/max_retries=.",
                url=shown,
            ) from None
        except urllib3.exceptions.HTTPError as exc:
            self._count(n_rows, 0)
            raise RemoteModelError(
                f"The request to the model service at {shown} failed: "
                f"{type(exc).__name__}: {_reason_text(exc)}.",
                url=shown,
            ) from None
        retries = len(response.retries.history) if response.retries is not None else 0
        self._count(n_rows, retries)
        data = response.data
        if response.status != 200:
            hint = (
                " The service kept refusing for its rate limit: lower max_concurrency or "
                "batch_size, or raise max_retries."
                if response.status == 429
                else ""
            )
            raise RemoteModelError(
                f"The model service at {shown} answered HTTP {response.status}"
                + (f" after {retries} retries" if retries else "")
                + f": {_body_head(data)}.{hint}",
                url=shown,
                status=response.status,
                body=data[:BODY_SHOWN],
            )
        try:
            return json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise RemoteModelError(
                f"The model service at {shown} answered HTTP 200 with a body that is not "
                f"JSON ({exc}): {_body_head(data)}.",
                url=shown,
                status=response.status,
                body=data[:BODY_SHOWN],
            ) from None

    def _frame(self, X):
        """``X`` as a DataFrame with the columns the service takes."""
        if isinstance(X, pd.DataFrame):
            frame = X
        else:
            array = np.asarray(X)
            if array.ndim != 2:
                raise ValueError(f"X must be 2-D (records × columns); got shape {array.shape}.")
            names = (
                list(self.feature_names_in_)
                if hasattr(self, "feature_names_in_")
                else [f"x{i}" for i in range(array.shape[1])]
            )
            if len(names) != array.shape[1]:
                raise ValueError(
                    f"X has {array.shape[1]} columns but the service takes {len(names)}: "
                    f"{_shown(names)}."
                )
            frame = pd.DataFrame(array, columns=names)
        if hasattr(self, "feature_names_in_"):
            names = list(self.feature_names_in_)
            missing = [c for c in names if c not in frame.columns]
            if missing:
                raise ValueError(
                    f"X lacks the column(s) {_shown(missing)} that the model service takes: "
                    f"pass a DataFrame with every column of feature_names_in_ {_shown(names)}."
                )
            frame = frame[names]
        if len(frame) == 0:
            raise ValueError("X has no records: the model service needs at least one row.")
        return frame

    def _ask(self, X):
        """One answer per record of ``X``, in order, as a list."""
        frame = self._frame(X)
        protocol = PROTOCOLS[self.protocol]
        url = protocol.endpoint(self)
        size = int(self.batch_size)
        batches = [frame.iloc[start : start + size] for start in range(0, len(frame), size)]

        def one(batch):
            payload = self._post(url, protocol.body(self, batch), len(batch))
            try:
                answer = protocol.answer(self, payload)
            except _Malformed as exc:
                raise RemoteModelError(
                    f"The model service at {safe_url(url)} answered a body that {exc}: "
                    f"{_body_head(json.dumps(payload).encode())}.",
                    url=safe_url(url),
                ) from None
            if not isinstance(answer, list) or len(answer) != len(batch):
                count = len(answer) if isinstance(answer, list) else type(answer).__name__
                raise RemoteModelError(
                    f"The model service at {safe_url(url)} answered {count} predictions for "
                    f"{len(batch)} records: expected one per record.",
                    url=safe_url(url),
                )
            return answer

        if len(batches) == 1 or int(self.max_concurrency) == 1:
            answers = [one(batch) for batch in batches]
        else:
            # Requests wait on the network, not the CPU: threads, at most max_concurrency.
            with ThreadPoolExecutor(
                max_workers=min(int(self.max_concurrency), len(batches))
            ) as pool:
                answers = list(pool.map(one, batches))
        return [value for answer in answers for value in answer], safe_url(url)

    def endpoint_record(self):
        """Where the service is and what this process sent it, for an assessment's record.

        Returns
        -------
        record : dict
            ``url`` (without credentials), ``protocol``, ``answers`` (``"probabilities"``,
            ``"labels"`` or ``"values"``), ``batch_size``, ``max_concurrency`` and the counts
            ``rows_sent``, ``requests_sent`` and ``retries``. No header or token.
        """
        if not self._is_classifier:
            answers = "values"
        else:
            answers = "probabilities" if self._answers_probabilities() else "labels"
        return {
            "url": safe_url(PROTOCOLS[self.protocol].endpoint(self)),
            "protocol": self.protocol,
            "answers": answers,
            "batch_size": int(self.batch_size),
            "max_concurrency": int(self.max_concurrency),
            "rows_sent": int(self.rows_sent_),
            "requests_sent": int(self.requests_sent_),
            "retries": int(self.retries_),
        }

    def check_ready(self):
        """Ask the service whether it is ready (v2 ``/ready``, MLflow ``/ping``).

        Returns
        -------
        self
            When the service answered 200, or when the protocol has no readiness address.

        Raises
        ------
        RemoteModelError
            When it cannot be reached or answers another status.
        """
        url = PROTOCOLS[self.protocol].ready_url(self)
        if url is None:
            return self
        urllib3 = _import_urllib3()
        headers = self._request_headers()
        try:
            response = self._connections().request("GET", url, headers=headers)
        except urllib3.exceptions.HTTPError as exc:
            reason = getattr(exc, "reason", None) or exc
            raise RemoteModelError(
                f"The model service at {safe_url(url)} cannot be reached: "
                f"{type(reason).__name__}: {_reason_text(reason)}.",
                url=safe_url(url),
            ) from None
        if response.status != 200:
            raise RemoteModelError(
                f"The model service at {safe_url(url)} is not ready: HTTP {response.status}: "
                f"{_body_head(response.data)}.",
                url=safe_url(url),
                status=response.status,
                body=response.data[:BODY_SHOWN],
            )
        return self


def _reason_text(reason):
    # urllib3's messages quote the pool (host and port only) and the reason; cut them short.
    return str(reason)[:300]


def _body_head(data):
    text = data[:BODY_SHOWN].decode("utf-8", errors="replace") if data else "(an empty body)"
    return repr(text) + (" …" if data and len(data) > BODY_SHOWN else "")


class RemoteClassifier(_RemoteModel):
    """A classifier behind an HTTP prediction service, queried like a fitted estimator.

    Every black-box attack, :class:`~tabinvert.defenses.QueryBudget`,
    :func:`~tabinvert.evaluation.evaluate_attacks`, :func:`~tabinvert.evaluation.evaluate_defenses`
    and :func:`~tabinvert.assess` take it where they take a fitted model. With
    ``response="probabilities"`` it answers ``predict_proba``; with ``response="labels"`` (a
    service that returns labels only) it has ``predict`` alone, and the attacks that need
    probabilities step aside for the label-only ones. See :ref:`remote_models`.

    Parameters
    ----------
    url : str
        The service's base address (``http://host:8080``) for ``protocol="v2"`` and
        ``"mlflow"``; the full address requests are posted to for ``"json"``.
    classes : array-like
        The classes in the order of the service's probability columns (as the trained model's
        ``classes_``): the protocols do not say them.
    protocol : {"v2", "mlflow", "json"}, default="v2"
        The Open Inference Protocol v2 (KServe, Seldon MLServer, Triton), MLflow's scoring
        server, or a JSON API described by ``request_template`` and ``response_path``.
    response : {"probabilities", "labels"}, default="probabilities"
        What the service returns.
    model_name, model_version : str, optional
        The model on a v2 server (``model_name`` is required there).
    feature_names : list of str, optional
        The columns the service takes, in its order (``feature_names_in_``); by default the
        columns of the records given.
    output : str, optional
        The v2 output to read: by default ``predict_proba`` for probabilities, ``predict`` for
        labels (MLServer's scikit-learn runtime).
    input_format : {"columns", "tensor"}, default="columns"
        v2 only: one input per column (MLServer's ``pd`` content type, for pipelines on raw
        tables), or one FP64 tensor named ``input_name``.
    input_name : str, default="input-0"
        The v2 tensor input's name with ``input_format="tensor"``.
    request_template : dict, optional
        ``protocol="json"``: the request body, where ``"$records"``, ``"$rows"`` and
        ``"$columns"`` are replaced by the records; by default the list of records itself.
    response_path : str, optional
        ``protocol="json"``: the dotted path to the answers in the response body.
    batch_size : int, default=1000
        Records per request.
    max_concurrency : int, default=4
        Requests in flight at once.
    timeout : float, default=30.0
        Seconds to connect, and seconds to wait for an answer, per try.
    max_retries : int, default=5
        Retries of a request after a connection error, a timeout, a 5xx or a 429 (which waits
        for its ``Retry-After``), with exponential backoff.
    backoff_factor : float, default=0.2
        The backoff's first wait, in seconds, doubled at each retry.
    max_retry_after : float, default=60.0
        The longest ``Retry-After`` obeyed, in seconds.
    headers : dict, optional
        Extra request headers (an API key, say). Sent with each request, masked in ``repr``
        and never written to reports.
    token_env : str, optional
        An environment variable holding a bearer token, read at each request and sent as
        ``Authorization: Bearer …``.

    Attributes
    ----------
    classes_ : ndarray
        ``classes``.
    feature_names_in_ : ndarray of str
        ``feature_names``, when given.
    rows_sent_, requests_sent_, retries_ : int
        Rows and requests sent by this process, retries included.

    Examples
    --------
    >>> from tabinvert.models import RemoteClassifier
    >>> model = RemoteClassifier(
    ...     "http://localhost:8080", classes=[0, 1], protocol="v2", model_name="credit"
    ... )
    >>> model.classes_, model.batch_size
    (array([0, 1]), 1000)
    """

    _is_classifier = True

    def __init__(
        self,
        url,
        *,
        classes,
        protocol="v2",
        response="probabilities",
        model_name=None,
        model_version=None,
        feature_names=None,
        output=None,
        input_format="columns",
        input_name="input-0",
        request_template=None,
        response_path=None,
        batch_size=1000,
        max_concurrency=4,
        timeout=30.0,
        max_retries=5,
        backoff_factor=0.2,
        max_retry_after=60.0,
        headers=None,
        token_env=None,
    ):
        self.classes = classes
        self.response = response
        super().__init__(
            url,
            protocol=protocol,
            model_name=model_name,
            model_version=model_version,
            feature_names=feature_names,
            output=output,
            input_format=input_format,
            input_name=input_name,
            request_template=request_template,
            response_path=response_path,
            batch_size=batch_size,
            max_concurrency=max_concurrency,
            timeout=timeout,
            max_retries=max_retries,
            backoff_factor=backoff_factor,
            max_retry_after=max_retry_after,
            headers=headers,
            token_env=token_env,
        )

    def _configure(self):
        if self.response not in ("probabilities", "labels"):
            raise ValueError(
                f"response must be 'probabilities' or 'labels'; got {self.response!r}."
            )
        classes = np.asarray(self.classes) if self.classes is not None else None
        if (
            classes is None
            or classes.ndim != 1
            or len(classes) < 2
            or len(set(classes.tolist())) != len(classes)
        ):
            raise ValueError(
                f"classes must list at least two distinct classes, in the order of the "
                f"service's probability columns; got {self.classes!r}."
            )
        self.classes_ = classes
        super()._configure()

    def _answers_probabilities(self):
        return self.response == "probabilities"

    @available_if(_answers_probabilities)
    def predict_proba(self, X):
        """Probability of each class, as the service answers it.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Records as the service takes them.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns in the order of ``classes_``.

        Raises
        ------
        RemoteModelError
            When a request fails after its retries, or the answer cannot be read.
        """
        answers, url = self._ask(X)
        return self._probabilities(answers, url)

    def _probabilities(self, answers, url):
        keys = self.classes_.tolist()
        if answers and isinstance(answers[0], dict):
            lookup = {str(k): i for i, k in enumerate(keys)}
            matrix = np.full((len(answers), len(keys)), np.nan)
            for row, answer in enumerate(answers):
                if not isinstance(answer, dict) or set(map(str, answer)) != set(lookup):
                    raise RemoteModelError(
                        f"The model service at {url} answered {answer!r} for a record: "
                        f"expected a probability for each class of {_shown(keys)}.",
                        url=url,
                    )
                for key, value in answer.items():
                    matrix[row, lookup[str(key)]] = value
            answers = matrix
        try:
            matrix = np.asarray(answers, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise RemoteModelError(
                f"The model service at {url} answered values that are not probabilities "
                f"({type(exc).__name__}: {exc}). If it returns labels, use response='labels'.",
                url=url,
            ) from None
        if matrix.ndim == 1 and len(keys) == 2:  # the positive class's probability alone
            matrix = np.column_stack([1 - matrix, matrix])
        if matrix.ndim != 2 or matrix.shape[1] != len(keys):
            raise RemoteModelError(
                f"The model service at {url} answered probabilities of shape {matrix.shape} "
                f"for {len(keys)} classes {_shown(keys)}. If it returns labels, use "
                "response='labels'; otherwise check classes= and output=.",
                url=url,
            )
        return matrix

    def predict(self, X):
        """The label of each record: the service's own, or its most probable class.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Records as the service takes them.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            Values of ``classes_``.
        """
        answers, url = self._ask(X)
        if self.response == "probabilities":
            return self.classes_[self._probabilities(answers, url).argmax(axis=1)]
        labels = [a[0] if isinstance(a, list) and len(a) == 1 else a for a in answers]
        positions = pd.Index(self.classes_.tolist()).get_indexer(labels)
        if (positions < 0).any():  # "1" for the class 1: services often answer text
            as_text = pd.Index([str(c) for c in self.classes_.tolist()])
            positions = as_text.get_indexer([str(v) for v in labels])
        if (positions < 0).any():
            unknown = labels[int(np.argmax(positions < 0))]
            raise RemoteModelError(
                f"The model service at {url} answered the label {unknown!r}, which is not one "
                f"of classes {_shown(self.classes_)}.",
                url=url,
            )
        return self.classes_[positions]


class RemoteRegressor(_RemoteModel):
    """A regressor behind an HTTP prediction service, queried like a fitted estimator.

    The parameters are :class:`RemoteClassifier`'s, without ``classes`` and ``response``.
    See :ref:`remote_models`.

    Examples
    --------
    >>> from tabinvert.models import RemoteRegressor
    >>> model = RemoteRegressor("http://localhost:5000", protocol="mlflow")
    >>> model.protocol, model.max_retries
    ('mlflow', 5)
    """

    def predict(self, X):
        """The service's prediction for each record.

        Parameters
        ----------
        X : DataFrame or array-like of shape (n_samples, n_features)
            Records as the service takes them.

        Returns
        -------
        y : ndarray of shape (n_samples,)
        """
        answers, url = self._ask(X)
        values = [a[0] if isinstance(a, list) and len(a) == 1 else a for a in answers]
        try:
            result = np.asarray(values, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise RemoteModelError(
                f"The model service at {url} answered values that are not numbers "
                f"({type(exc).__name__}: {exc}).",
                url=url,
            ) from None
        if result.ndim != 1:
            raise RemoteModelError(
                f"The model service at {url} answered predictions of shape {result.shape}: "
                "expected one number per record.",
                url=url,
            )
        return result

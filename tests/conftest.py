"""Shared fixtures and helpers: small populations with a known answer, the checks of the
hostile-input tests (the exact error raised, the caller's frames kept), and a local prediction
service that injects faults."""

import contextlib
import functools
import hashlib
import html
import json
import re
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, MinMaxScaler, StandardScaler

from tabinvert.datasets import (
    load_adult,
    load_compas,
    load_german_credit,
    load_gss,
    load_heart,
    load_steak_survey,
    load_warfarin,
)


@pytest.fixture(params=["object", "str"])
def text_dtype(request):
    """Text columns as pandas 2 stores them (object) and as pandas 3 does (str)."""
    return request.param


def xor_population(n, seed=0, n_values=2, text_dtype=None):
    """The label is a deterministic function of a known feature and the sensitive value.

    ``y = (known + secret) mod n_values``: a model that learned it reveals ``secret`` to anyone
    who knows ``known`` and ``y``, while ``secret`` is independent of ``known`` (imputation
    without the label is at chance).
    """
    rng = np.random.default_rng(seed)
    known = rng.integers(0, n_values, n)
    secret = rng.integers(0, n_values, n)
    noise = rng.normal(size=n)
    X = pd.DataFrame({"known": known, "noise": noise, "secret": secret})
    if text_dtype is not None:
        X["secret"] = pd.Series([f"v{v}" for v in secret], dtype=text_dtype)
    y = (known + secret) % n_values
    return X, y


@contextlib.contextmanager
def refused(cls, *fragments):
    """Expect exactly ``cls`` (not a subclass) with every fragment in its message."""
    with pytest.raises(cls) as info:
        yield info
    assert type(info.value) is cls, f"{type(info.value).__name__} raised, not {cls.__name__}"
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in the message: {message}"


@contextlib.contextmanager
def frames_kept(*frames):
    """The caller's DataFrames are unchanged after the block (raising or not)."""
    copies = [frame.copy() for frame in frames]
    try:
        yield
    finally:
        for before, after in zip(copies, frames):
            pd.testing.assert_frame_equal(after, before)


def report_recommendations(page):
    """The recommendations of a rendered report, in reading order: the HTML of each item of its
    "Recommendations" list."""
    start = page.index('<section id="recommendations">')
    section = page[start : page.index("</section>", start)]
    advice = section[section.index('<ol class="advice">') : section.rindex("</ol>")]
    return re.findall(r"<li>(.*?)</li>\n", advice, flags=re.S)


#: What the report imports to draw its figures.
MATPLOTLIB_MODULES = (
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends",
    "matplotlib.backends.backend_agg",
)


def hide_matplotlib(monkeypatch):
    """Make matplotlib unimportable for the rest of the test, as when it is not installed."""
    for module in MATPLOTLIB_MODULES:
        monkeypatch.setitem(sys.modules, module, None)


# -- model files: gadgets that run code when a loaded model predicts ---------------------------


@pytest.fixture
def data():
    """A small frame (numeric ``a``, ``b``, text ``c``) and a label that follows ``a``."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame(
        {"a": rng.normal(size=200), "b": rng.normal(size=200), "c": rng.choice(["x", "y"], 200)}
    )
    return frame, (frame["a"] > 0).astype(int).to_numpy()


def fitted_classifier():
    """A fitted last step, so the gadget looks like a model (it has predict)."""
    return LogisticRegression().fit([[0.0], [1.0]], [0, 1])


def fitted_on(step, frame):
    """``step`` fitted on ``frame``'s columns (FunctionTransformer.fit never calls ``func``), so
    the gadget takes DataFrames with named columns, as a real model would."""
    return step.fit(frame)


def gadget_eval_chain(marker, frame):
    """The reported gadget: ``dict``, ``max`` and ``eval`` with the payload in ``kw_args``."""
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return Pipeline(
        [
            ("as_dict", fitted_on(FunctionTransformer(dict, kw_args={code: 1}), frame)),
            ("longest_key", FunctionTransformer(max, kw_args={"key": len})),
            ("run", FunctionTransformer(eval)),
            ("model", fitted_classifier()),
        ]
    )


def gadget_partial(marker, frame):
    """A gadget that runs the payload through ``functools.partial(eval, code)``."""
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    return Pipeline(
        [
            ("as_dict", fitted_on(FunctionTransformer(dict), frame)),
            ("run", FunctionTransformer(functools.partial(eval, code))),
            ("model", fitted_classifier()),
        ]
    )


# -- counting the model's work ----------------------------------------------------------------


class CountingModel(ClassifierMixin, BaseEstimator):
    """A fitted model that counts the rows each of its methods is asked about."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.classes_ = self.model.classes_
        self.feature_names_in_ = self.model.feature_names_in_
        self.n_features_in_ = self.model.n_features_in_
        self.rows_ = {"predict": 0, "predict_proba": 0}
        return self

    def predict_proba(self, X):
        self.rows_["predict_proba"] += len(X)
        return self.model.predict_proba(X)

    def predict(self, X):
        self.rows_["predict"] += len(X)
        return self.model.predict(X)


@pytest.fixture
def setting():
    """A counted forest, the forest, auxiliary records and members / non-members to attack."""
    X, y = xor_population(1200, seed=3, n_values=3)
    forest = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    model = CountingModel(forest).fit(X[:600], y[:600])
    targets = {"members": (X[:600], y[:600]), "non-members": (X[900:], y[900:])}
    return model, forest, X[600:900], y[600:900], targets


# -- populations for the attacks --------------------------------------------------------------


def gradient_cases():
    """Records and ``{name: (unfitted differentiable model, target)}`` for the gradient tests."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(400, 4))
    X[:, 2] = 50 + 10 * X[:, 2]  # a feature on another scale, for the scalers
    y_multi = (X[:, 0] + X[:, 1] ** 2 > 1).astype(int) + (X[:, 3] > 0.5)
    y_binary = X[:, 0] - X[:, 3] > 0
    y_reg = X[:, 0] * X[:, 1] + np.sin(X[:, 3]) + (X[:, 2] - 50) / 10
    cases = {
        "linear-regression": (LinearRegression(), y_reg),
        "ridge-scaled": (make_pipeline(StandardScaler(), Ridge()), y_reg),
        "logistic-multiclass": (LogisticRegression(max_iter=500), y_multi),
        "logistic-binary-minmax": (make_pipeline(MinMaxScaler(), LogisticRegression()), y_binary),
    }
    if "loss" in MLPRegressor().get_params():  # scikit-learn >= 1.7 (CI also runs 1.6)
        cases["mlp-poisson"] = (
            make_pipeline(
                StandardScaler(),
                MLPRegressor(loss="poisson", hidden_layer_sizes=(8,), max_iter=300, random_state=0),
            ),
            np.exp(y_reg / 3),
        )
    for activation in ("relu", "tanh", "logistic", "identity"):
        kw = dict(activation=activation, max_iter=300, random_state=0)
        cases[f"mlp-classifier-{activation}"] = (
            make_pipeline(StandardScaler(), MLPClassifier((8, 5), **kw)),
            y_multi,
        )
        cases[f"mlp-binary-{activation}"] = (
            make_pipeline(StandardScaler(), MLPClassifier((6,), **kw)),
            y_binary,
        )
        cases[f"mlp-regressor-{activation}"] = (
            make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), **kw)),
            y_reg,
        )
    return X, cases


def leaf_population(n, seed=0, n_values=2, p1=0.7, dependence=1.5, noise=0.25):
    """A secret the model needs, labels it must memorise, and a secret the leaves can tell.

    Binary: ``y = [x0 > 0] XOR secret``, flipped for a ``noise`` share of the records (a deep
    forest memorises the flips of its members); ``P(secret = 1 | x1)`` is a logistic in ``x1``
    (``dependence``) around ``p1``: a tree that splits on ``x1`` and the secret stores it in its
    leaves' training counts, which no black-box attack reads. Ternary: ``y = (bin(x0) + secret)
    mod 3``, flipped to another class for a ``noise`` share.
    """
    rng = np.random.default_rng(seed)
    x0, x1, x2 = rng.normal(size=(3, n))
    if n_values == 2:
        logit = np.log(p1 / (1 - p1)) + dependence * x1
        secret = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
        y = ((x0 > 0).astype(int) + secret) % 2
        y = np.where(rng.random(n) < noise, 1 - y, y)
    else:
        logits = np.column_stack([np.zeros(n), dependence * x1, np.log(0.5) - dependence * x1])
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        secret = (rng.random(n)[:, None] > np.cumsum(p, axis=1)).sum(axis=1)
        y = (np.digitize(x0, [-0.43, 0.43]) + secret) % 3
        y = np.where(rng.random(n) < noise, (y + rng.integers(1, 3, n)) % 3, y)
    X = pd.DataFrame({"x0": x0, "x1": x1, "x2": x2, "secret": secret})
    return X, pd.Series(y)


# -- hostile inputs ---------------------------------------------------------------------------


def leaky_population(n=80, seed=0):
    """``y = (known + secret) mod 2``: the model leaks ``secret`` to anyone knowing ``known``."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"known": rng.integers(0, 3, n), "secret": rng.integers(0, 2, n)})
    y = ((X["known"] + X["secret"]) % 2).to_numpy()
    return X, y


@pytest.fixture(scope="module")
def population():
    """A leaky population and a logistic regression fitted on its first 40 records."""
    X, y = leaky_population()
    model = LogisticRegression().fit(X[:40], y[:40])
    return X, y, model


# -- datasets ---------------------------------------------------------------------------------

#: Each dataset's loader, by name.
LOADERS = {
    "adult": load_adult,
    "steak_survey": load_steak_survey,
    "warfarin": load_warfarin,
    "heart": load_heart,
    "gss": load_gss,
    "german_credit": load_german_credit,
    "compas": load_compas,
}


def sha256(path):
    """The hex sha256 of a file's bytes."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def leftovers(folder):
    """Temporary files left behind by an interrupted write."""
    return [p for p in Path(folder).rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


# -- reading a rendered report ----------------------------------------------------------------


def html_text(fragment):
    """The text of an HTML fragment: tags removed, entities decoded, spaces collapsed."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", fragment)).replace("\xa0", " ")
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r" ([:;,.)])", r"\1", text)


def first_screen(page):
    """Everything before the first table or figure."""
    ends = [i for i in (page.find("<table"), page.find("<img"), page.find("<figure")) if i >= 0]
    return page[: min(ends)] if ends else page


def report_section(page, anchor):
    """The HTML of the report's ``<section id="anchor">``."""
    start = page.index(f'<section id="{anchor}">')
    return page[start : page.index("</section>", start)]


# -- query monitoring ---------------------------------------------------------------------------


def customer_population(n, seed=0):
    """Customer records as a prediction API receives them: an amount, a balance, an age, a
    region and the sensitive ``smoker`` (never / former / current), which the label depends on.

    Unlike :func:`xor_population`'s three columns, two records here rarely agree on every
    column but one by chance, as in real tabular data: what a sweep detector needs.
    """
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "income": rng.lognormal(10, 0.5, n).round(2),
            "balance": rng.normal(2_000, 800, n).round(2),
            "age": rng.integers(18, 80, n),
            "region": rng.choice([f"r{i}" for i in range(8)], n),
            "smoker": rng.choice(["never", "former", "current"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    risk = (X["smoker"] == "current") * 1.5 + (X["smoker"] == "former") * 0.5 + X["age"] / 40
    y = (risk + rng.normal(0, 0.3, n) > 1.6).astype(int).to_numpy()
    return X, y


def smoking_population(n, seed):
    """Records whose label depends strongly on the (text) sensitive column ``smoker``, and the
    latent score behind the label (a regression target).

    Returns ``X`` (age, bmi, region, smoker), the labels ``"high"``/``"low"`` and the score.
    """
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "bmi": rng.normal(26, 4, n).round(1),
            "region": rng.choice(["north", "south", "east"], n),
            "smoker": rng.choice(["never", "former", "current"], n, p=[0.5, 0.3, 0.2]),
        }
    )
    effect = frame["smoker"].map({"never": -1.5, "former": 0.2, "current": 2.0}).to_numpy()
    z = effect + 0.04 * (frame["age"] - 45) + rng.normal(0, 1, n)
    return frame, np.where(z > 0, "high", "low"), z + frame["bmi"].to_numpy()


def smoking_pipeline(X, y, final=None):
    """The deployed model of :func:`smoking_population`: one-hot text columns, scaled numbers,
    then ``final`` (a logistic regression, C=10, by default), fitted on ``X``, ``y``."""
    from sklearn.compose import make_column_transformer
    from sklearn.preprocessing import OneHotEncoder

    return make_pipeline(
        make_column_transformer(
            (OneHotEncoder(), ["region", "smoker"]), (StandardScaler(), ["age", "bmi"])
        ),
        LogisticRegression(C=10.0) if final is None else final,
    ).fit(X, y)


class ModelServer:
    """A prediction service for tests: a threaded HTTP server on a free port of 127.0.0.1 that
    answers with ``model`` in the v2 (``kind="v2"``), MLflow or generic JSON (``"json"``:
    ``{"instances": records}`` in, ``{"result": {"scores": [...]}}`` out) format, after the
    faults queued in ``plan`` (one per request, in order): ``("status", code)``,
    ``("retry_after", seconds)``, ``("slow", seconds)``, ``("truncated",)``, ``("not_json",)``,
    ``("short",)`` (one answer fewer than records). ``requests`` keeps each request's path,
    headers and row count. Call ``close()`` when done."""

    def __init__(self, model, kind="v2", feature_names=None):
        self.model, self.kind = model, kind
        self.plan = deque()
        self.requests = []  # (path, headers, rows) of each request received
        self.in_flight = self.most_in_flight = 0
        self.lock = threading.Lock()
        self.delay = 0.0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_GET(self):
                self._send(200, b"{}")

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with server.lock:
                    server.in_flight += 1
                    server.most_in_flight = max(server.most_in_flight, server.in_flight)
                    fault = server.plan.popleft() if server.plan else ("ok",)
                try:
                    server.handle(self, fault, body)
                finally:
                    with server.lock:
                        server.in_flight -= 1

            def _send(self, status, payload, headers=(), length=None):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload) if length is None else length))
                for key, value in headers:
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def frame(self, payload):
        if self.kind == "v2":
            return pd.DataFrame({i["name"]: i["data"] for i in payload["inputs"]})
        if self.kind == "mlflow":
            split = payload["dataframe_split"]
            return pd.DataFrame(split["data"], columns=split["columns"])
        return pd.DataFrame(payload["instances"])

    def answer(self, frame):
        if self.kind == "v2":
            proba = self.model.predict_proba(frame)
            return {
                "outputs": [
                    {
                        "name": "predict_proba",
                        "shape": list(proba.shape),
                        "datatype": "FP64",
                        "data": proba.ravel().tolist(),
                    }
                ]
            }
        if self.kind == "mlflow":
            return {"predictions": self.model.predict_proba(frame).tolist()}
        classes = [str(c) for c in self.model.classes_]
        return {
            "result": {
                "scores": [dict(zip(classes, row)) for row in self.model.predict_proba(frame)]
            }
        }

    def handle(self, handler, fault, body):
        payload = json.loads(body)
        frame = self.frame(payload)
        with self.lock:
            self.requests.append((handler.path, dict(handler.headers), len(frame)))
        if self.delay:
            time.sleep(self.delay)
        kind = fault[0]
        if kind == "status":
            handler._send(fault[1], b'{"error": "injected failure"}')
        elif kind == "retry_after":
            handler._send(429, b'{"error": "slow down"}', headers=[("Retry-After", fault[1])])
        elif kind == "slow":
            time.sleep(fault[1])
            handler._send(200, json.dumps(self.answer(frame)).encode())
        elif kind == "truncated":  # the connection closes before the promised length
            text = json.dumps(self.answer(frame)).encode()
            handler._send(200, text[: len(text) // 2], length=len(text))
            handler.close_connection = True
        elif kind == "not_json":
            handler._send(200, b"<html>gateway says hello</html>")
        elif kind == "short":  # one answer fewer than records
            answer = self.answer(frame.iloc[:-1])
            handler._send(200, json.dumps(answer).encode())
        else:
            handler._send(200, json.dumps(self.answer(frame)).encode())

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

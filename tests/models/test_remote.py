"""Models behind an HTTP service are assessed like the models themselves (issue: models as
deployed, part 1).

A real Seldon MLServer, with its scikit-learn runtime, is started over TCP and serves a
Pipeline on raw DataFrames (text columns included): attacks, evaluation and assessment through
``RemoteClassifier`` give the same guesses and scores as in process. A small server in this
file injects faults (slow answers, 429 with ``Retry-After``, 500s, truncated and malformed
bodies) and speaks MLflow's and a generic JSON protocol, so that retries, errors, batching,
concurrency, credentials and the query count are checked against real sockets.
"""

import base64
import contextlib
import json
import os
import pickle
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.linear_model import LinearRegression

from conftest import ModelServer, smoking_pipeline, smoking_population
from tabinvert import assess
from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion, LearnedInversion
from tabinvert.defenses import QueryBudget
from tabinvert.evaluation import evaluate_attacks
from tabinvert.exceptions import ModelQueryError, QueryBudgetExceeded, RemoteModelError
from tabinvert.models import RemoteClassifier, RemoteRegressor

pytest.importorskip("urllib3")  # the remote extra, in the test extra

SECRET = "s3cr3t-token-value"


@pytest.fixture(scope="module")
def people():
    X, y, z = smoking_population(1400, seed=0)
    return {
        "train": (X[:800], y[:800]),
        "aux": (X[800:1100].reset_index(drop=True), y[800:1100]),
        "held_out": (X[1100:].reset_index(drop=True), y[1100:]),
        "score": z[:800],
    }


@pytest.fixture(scope="module")
def pipeline(people):
    X, y = people["train"]
    return smoking_pipeline(X, y)


@pytest.fixture(scope="module")
def regressor(people):
    X, _ = people["train"]
    return smoking_pipeline(X, people["score"], LinearRegression())


def _free_ports(k):
    sockets = [socket.socket() for _ in range(k)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


# -- a real serving process --------------------------------------------------------------------


@pytest.fixture(scope="module")
def mlserver(pipeline, regressor, tmp_path_factory):
    """Seldon MLServer (scikit-learn runtime) serving the pipeline and the regressor over TCP."""
    pytest.importorskip("mlserver_sklearn", reason="MLServer installs on Python < 3.13 only")
    executable = Path(sys.executable).parent / "mlserver"
    if not executable.exists():
        executable = shutil.which("mlserver")
    root = tmp_path_factory.mktemp("served")
    for name, model in (("smoking", pipeline), ("score", regressor)):
        folder = root / name
        folder.mkdir()
        joblib.dump(model, folder / "model.joblib")
        settings = {
            "name": name,
            "implementation": "mlserver_sklearn.SKLearnModel",
            "parameters": {"uri": "./model.joblib"},
        }
        (folder / "model-settings.json").write_text(json.dumps(settings))
    http, grpc, metrics = _free_ports(3)
    (root / "settings.json").write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "http_port": http,
                "grpc_port": grpc,
                "metrics_port": metrics,
                # Inference in the server process: its worker pool fails to start under the
                # newest uvloop (no event loop in the worker's main thread).
                "parallel_workers": 0,
            }
        )
    )
    log = open(root / "server.log", "w")  # noqa: SIM115 - closed at teardown
    process = subprocess.Popen(
        [str(executable), "start", str(root)], cwd=root, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{http}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if process.poll() is not None:
                raise RuntimeError("MLServer exited:\n" + (root / "server.log").read_text()[-3000:])
            with contextlib.suppress(OSError):
                with urllib.request.urlopen(f"{url}/v2/models/smoking/ready", timeout=2) as r:
                    if r.status == 200:
                        break
            if time.monotonic() > deadline:
                raise RuntimeError("MLServer did not become ready in 120 s")
            time.sleep(0.5)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


def _served(url, **options):
    options.setdefault("feature_names", ["age", "bmi", "region", "smoker"])
    return RemoteClassifier(url, classes=["high", "low"], model_name="smoking", **options)


def _rate(model, people, n_resamples=200):
    """The API-level assessment of ``model`` on the people's training and held-out records."""
    return assess(
        model,
        *people["train"],
        X_holdout=people["held_out"][0],
        y_holdout=people["held_out"][1],
        sensitive="smoker",
        access="api",
        n_resamples=n_resamples,
        random_state=0,
    )


def test_the_served_pipeline_answers_as_in_process(mlserver, pipeline, people):
    X, _ = people["held_out"]
    remote = _served(mlserver, batch_size=128)
    assert is_classifier(remote) and list(remote.classes_) == list(pipeline.classes_)
    np.testing.assert_allclose(remote.predict_proba(X), pipeline.predict_proba(X), rtol=1e-12)
    np.testing.assert_array_equal(remote.predict(X), pipeline.predict(X))
    assert remote.rows_sent_ == 2 * len(X) and remote.requests_sent_ == 2 * 3  # 300 rows / 128
    assert remote.retries_ == 0


def test_attacks_on_the_served_model_guess_as_in_process(mlserver, pipeline, people):
    X_aux, y_aux = people["aux"]
    X, y = people["train"]
    remote = _served(mlserver, batch_size=500, max_concurrency=3)
    for method in ("map", "csmia"):
        local = ConfidenceInversion(pipeline, "smoker", method=method, random_state=0).fit(
            X_aux, y_aux
        )
        served = ConfidenceInversion(remote, "smoker", method=method, random_state=0).fit(
            X_aux, y_aux
        )
        np.testing.assert_array_equal(served.attack(X, y), local.attack(X, y))
        assert served.score(X, y) == local.score(X, y)
        # Every row the attack asked for went over the network, and was counted.
        assert served.last_query_cost_.rows == len(X) * 3
    learned = [
        LearnedInversion(m, "smoker", random_state=0).fit(X_aux, y_aux) for m in (pipeline, remote)
    ]
    np.testing.assert_array_equal(learned[1].attack(X, y), learned[0].attack(X, y))


def test_a_labels_only_service_runs_the_label_only_attack(mlserver, pipeline, people):
    X_aux, y_aux = people["aux"]
    X, y = people["train"]
    remote = _served(mlserver, response="labels")
    assert not hasattr(remote, "predict_proba")
    np.testing.assert_array_equal(remote.predict(X), pipeline.predict(X))
    attacks = [
        LabelOnlyInversion(m, "smoker", random_state=0).fit(X_aux, y_aux)
        for m in (pipeline, remote)
    ]
    np.testing.assert_array_equal(attacks[1].attack(X, y), attacks[0].attack(X, y))
    with pytest.raises(RemoteModelError, match="not probabilities|shape"):
        # A service that answers labels, read as probabilities: a clear refusal.
        _served(mlserver, output="predict").predict_proba(X[:5])


def test_evaluate_attacks_gives_the_same_table_for_the_served_model(mlserver, pipeline, people):
    def table(model):
        attacks = {
            "MAP": ConfidenceInversion(model, "smoker"),
            "LOMIA": LabelOnlyInversion(model, "smoker", random_state=0),
        }
        return evaluate_attacks(
            attacks,
            *people["aux"],
            targets={"members": people["train"], "non-members": people["held_out"]},
            n_resamples=200,
            random_state=0,
        ).drop(columns="seconds")

    pd.testing.assert_frame_equal(table(_served(mlserver)), table(pipeline))


def test_assess_rates_the_served_model_as_in_process(mlserver, pipeline, people):
    remote = _served(mlserver, headers={"X-Api-Key": SECRET}, batch_size=700)
    local, served = _rate(pipeline, people), _rate(remote, people)
    assert local.summary["risk_level"].tolist() in (["medium"], ["high"])  # a leak to find
    columns = ["attack", "population", "score", "baseline_score", "advantage"]
    pd.testing.assert_frame_equal(served.results[columns], local.results[columns])
    # The report says where the model was queried and what was sent, as counted.
    endpoint = served.metadata["endpoint"]
    assert endpoint["url"] == f"{mlserver}/v2/models/smoking/infer"
    assert endpoint["rows_sent"] == remote.rows_sent_ > 0 and endpoint["retries"] == 0
    assert endpoint["requests_sent"] == remote.requests_sent_ and endpoint["answers"] == (
        "probabilities"
    )
    sentence = (
        f"The model was queried over HTTP at {mlserver}/v2/models/smoking/infer (the Open "
        f"Inference Protocol v2): {remote.rows_sent_:,} rows in {remote.requests_sent_:,} "
        "requests, none retried."
    )
    assert sentence in served.to_html()
    assert "returns labels only" not in served.to_html()
    # The credential went with the requests and nowhere into the assessment or its report.
    assert SECRET not in json.dumps(served.to_dict(), default=str)
    assert SECRET not in served.to_html()


def test_a_labels_only_service_is_assessed_and_the_report_says_so(mlserver, pipeline, people):
    served = _rate(_served(mlserver, response="labels"), people, n_resamples=100)
    assert served.metadata["model_answers"] == "labels"
    attacked = served.results[served.results["attack"] != "imputation"]
    assert {"LOMIA", "MAP-confusion (FJRMIA)"} <= set(attacked["attack"])
    assert set(attacked["access"]) == {"labels"}  # nothing that reads probabilities ran
    html = served.to_html()
    assert "The model returns labels only, not probabilities" in html
    assert "returns labels only" not in _rate(pipeline, people, n_resamples=100).to_html()


def test_evaluate_defenses_sweeps_the_served_model_as_in_process(mlserver, pipeline, people):
    from tabinvert.defenses import LabelOnly, RoundProbabilities
    from tabinvert.evaluation import evaluate_defenses

    def sweep(model):
        return evaluate_defenses(
            model,
            {"round 0.1": RoundProbabilities(1), "label only": LabelOnly()},
            *people["aux"],
            targets={"members": people["train"]},
            X_test=people["held_out"][0],
            y_test=people["held_out"][1],
            attacks=[ConfidenceInversion(model, "smoker", random_state=0)],
            n_resamples=100,
            random_state=0,
        ).drop(columns="seconds")

    local, served = sweep(pipeline), sweep(_served(mlserver))
    assert set(served["defense"]) >= {"round 0.1", "label only"}
    pd.testing.assert_frame_equal(served, local)


def test_a_query_budget_in_front_of_the_served_model(mlserver, people):
    X_aux, y_aux = people["aux"]
    X, y = people["train"]
    remote = _served(mlserver)
    budget = QueryBudget(remote, max_rows=len(X) * 3 - 1)
    attack = ConfidenceInversion(budget, "smoker").fit(X_aux, y_aux)
    with pytest.raises(QueryBudgetExceeded):
        attack.attack(X, y)
    assert remote.rows_sent_ < len(X) * 3  # the refused block never reached the service


def test_the_served_regressor_predicts_as_in_process(mlserver, regressor, people):
    X, _ = people["held_out"]
    remote = RemoteRegressor(
        mlserver, model_name="score", feature_names=["age", "bmi", "region", "smoker"]
    )
    assert is_regressor(remote)
    np.testing.assert_allclose(remote.predict(X), regressor.predict(X), rtol=1e-12)


def test_a_wrong_model_name_is_an_error_naming_the_status(mlserver, people):
    X, _ = people["held_out"]
    remote = RemoteClassifier(mlserver, classes=["high", "low"], model_name="absent")
    with pytest.raises(RemoteModelError, match="HTTP 404") as info:
        remote.predict_proba(X[:3])
    assert info.value.status == 404 and "/v2/models/absent/infer" in str(info.value)
    with pytest.raises(RemoteModelError, match="not ready"):
        remote.check_ready()
    assert _served(mlserver).check_ready() is not None


# -- a local server that injects faults --------------------------------------------------------


@pytest.fixture
def fault_server(pipeline):
    servers = []

    def make(kind="v2"):
        server = ModelServer(pipeline, kind)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.close()


def _client(server, **options):
    options.setdefault("backoff_factor", 0.01)
    options.setdefault("feature_names", ["age", "bmi", "region", "smoker"])
    return RemoteClassifier(server.url, classes=["high", "low"], model_name="m", **options)


def test_5xx_answers_are_retried_and_counted(fault_server, pipeline, people):
    server = fault_server()
    server.plan.extend([("status", 500), ("status", 503)])
    X, _ = people["held_out"]
    remote = _client(server, batch_size=1000)
    np.testing.assert_allclose(remote.predict_proba(X), pipeline.predict_proba(X))
    assert len(server.requests) == 3 and remote.retries_ == 2
    assert remote.rows_sent_ == 3 * len(X) and remote.requests_sent_ == 3


def test_a_429_waits_for_its_retry_after(fault_server, pipeline, people):
    server = fault_server()
    server.plan.append(("retry_after", "1"))
    X, _ = people["held_out"]
    start = time.monotonic()
    proba = _client(server).predict_proba(X[:10])
    assert time.monotonic() - start >= 0.95  # the service's wait, not the 0.01 s backoff
    np.testing.assert_allclose(proba, pipeline.predict_proba(X[:10]))


def test_a_long_retry_after_is_capped(fault_server, people):
    server = fault_server()
    server.plan.append(("retry_after", "3600"))
    start = time.monotonic()
    _client(server, max_retry_after=0.5).predict_proba(people["held_out"][0][:5])
    assert time.monotonic() - start < 10


def test_a_service_that_keeps_failing_is_an_error_naming_url_status_and_body(fault_server, people):
    server = fault_server()
    server.plan.extend([("status", 500)] * 10)
    host = server.url.removeprefix("http://")
    remote = RemoteClassifier(
        f"http://admin:{SECRET}@{host}",
        classes=["high", "low"],
        model_name="m",
        max_retries=2,
        backoff_factor=0.01,
        headers={"Authorization": f"Bearer {SECRET}"},
    )
    with pytest.raises(RemoteModelError) as info:
        remote.predict_proba(people["held_out"][0][:5])
    message = str(info.value)
    assert f"{server.url}/v2/models/m/infer" in message and "HTTP 500" in message
    assert "injected failure" in message and "after 2 retries" in message
    assert SECRET not in message and SECRET not in repr(remote) and "***" in repr(remote)
    assert info.value.status == 500 and len(server.requests) == 3


def test_a_timeout_is_retried_then_reported(fault_server, people):
    server = fault_server()
    server.plan.extend([("slow", 1.0)] * 3)
    start = time.monotonic()
    with pytest.raises(RemoteModelError, match="did not answer after 1 retries.*[Tt]imeout"):
        _client(server, timeout=0.2, max_retries=1).predict_proba(people["held_out"][0][:5])
    assert time.monotonic() - start < 5


def test_a_slow_answer_within_the_timeout_is_taken(fault_server, pipeline, people):
    server = fault_server()
    server.plan.append(("slow", 0.3))
    X = people["held_out"][0][:5]
    np.testing.assert_allclose(
        _client(server, timeout=5).predict_proba(X), pipeline.predict_proba(X)
    )


def test_a_truncated_body_is_retried(fault_server, pipeline, people):
    server = fault_server()
    server.plan.append(("truncated",))
    X = people["held_out"][0][:20]
    remote = _client(server)
    np.testing.assert_allclose(remote.predict_proba(X), pipeline.predict_proba(X))
    assert remote.retries_ == 1


def test_a_body_that_is_not_json_is_an_error_quoting_it(fault_server, people):
    server = fault_server()
    server.plan.append(("not_json",))
    with pytest.raises(RemoteModelError, match="not JSON.*gateway says hello"):
        _client(server).predict_proba(people["held_out"][0][:5])


def test_a_missing_answer_is_an_error(fault_server, people):
    server = fault_server()
    server.plan.append(("short",))
    with pytest.raises(RemoteModelError, match="4 predictions for 5 records"):
        _client(server).predict_proba(people["held_out"][0][:5])


def test_an_unreachable_service_is_an_error_naming_it(people):
    (port,) = _free_ports(1)
    remote = RemoteClassifier(
        f"http://127.0.0.1:{port}",
        classes=[0, 1],
        model_name="m",
        max_retries=1,
        backoff_factor=0.01,
    )
    with pytest.raises(RemoteModelError, match=f"127.0.0.1:{port}.*did not answer"):
        remote.predict_proba(people["held_out"][0][:5])


def test_a_failed_service_stops_the_attack_and_the_assessment(fault_server, people):
    # Passed through the query engine as it is (not turned into a per-column failure), so
    # that no result is computed from part of the answers.
    server = fault_server()
    X_aux, y_aux = people["aux"]
    X, y = people["train"]
    remote = _client(server, max_retries=0)
    attack = ConfidenceInversion(remote, "smoker").fit(X_aux, y_aux)
    server.plan.extend([("status", 500)] * 50)
    with pytest.raises(RemoteModelError) as info:
        attack.attack(X, y)
    assert not isinstance(info.value, ModelQueryError)
    server.plan.clear()
    server.plan.extend([("ok",)] * 4 + [("status", 500)] * 1000)
    with pytest.raises(RemoteModelError):
        assess(
            remote,
            X,
            y,
            X_holdout=people["held_out"][0],
            y_holdout=people["held_out"][1],
            sensitive=["smoker", "region"],
            access="api",
            n_resamples=50,
            random_state=0,
        )


def test_batches_and_concurrency_are_bounded(fault_server, pipeline, people):
    server = fault_server()
    server.delay = 0.05  # so that requests overlap
    X, _ = people["held_out"]
    remote = _client(server, batch_size=25, max_concurrency=3)
    np.testing.assert_allclose(remote.predict_proba(X), pipeline.predict_proba(X))
    assert [rows for _, _, rows in server.requests] == [25] * 12
    assert 2 <= server.most_in_flight <= 3


def test_the_token_comes_from_the_environment(fault_server, people, monkeypatch):
    server = fault_server()
    monkeypatch.setenv("MODEL_TOKEN", SECRET)
    remote = _client(server, token_env="MODEL_TOKEN", headers={"X-Tenant": "clinic-7"})
    remote.predict_proba(people["held_out"][0][:3])
    _, headers, _ = server.requests[-1]
    assert headers["Authorization"] == f"Bearer {SECRET}" and headers["X-Tenant"] == "clinic-7"
    assert SECRET not in repr(remote) and SECRET not in pickle.dumps(remote).decode("latin-1")
    monkeypatch.delenv("MODEL_TOKEN")
    with pytest.raises(ValueError, match="MODEL_TOKEN.*not set"):
        remote.predict_proba(people["held_out"][0][:3])


def test_the_mlflow_protocol(fault_server, pipeline, people):
    server = fault_server("mlflow")
    X = people["held_out"][0]
    remote = RemoteClassifier(server.url, classes=["high", "low"], protocol="mlflow")
    np.testing.assert_allclose(remote.predict_proba(X), pipeline.predict_proba(X))
    assert server.requests[0][0] == "/invocations"


def test_the_json_protocol_with_a_template(fault_server, pipeline, people):
    server = fault_server("json")
    X = people["held_out"][0]
    remote = RemoteClassifier(
        server.url + "/score",
        classes=["high", "low"],
        protocol="json",
        request_template={"instances": "$records", "version": 3},
        response_path="result.scores",
    )
    np.testing.assert_allclose(remote.predict_proba(X), pipeline.predict_proba(X))
    assert server.requests[0][0] == "/score"
    with pytest.raises(RemoteModelError, match="nothing at 'probabilities'"):
        clone(remote).set_params(response_path="result.probabilities").predict_proba(X[:2])


def test_the_wrapper_clones_pickles_and_refuses_to_fit(fault_server, pipeline, people):
    server = fault_server()
    remote = _client(server, headers={"X-Api-Key": SECRET})
    X, y = people["held_out"]
    copied = pickle.loads(pickle.dumps(remote))
    np.testing.assert_allclose(copied.predict_proba(X[:5]), pipeline.predict_proba(X[:5]))
    assert clone(remote).get_params() == remote.get_params()
    with pytest.raises(TypeError, match="cannot be fitted"):
        remote.fit(X, y)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"url": "ftp://host"}, "http:// or https://"),
        ({"protocol": "grpc"}, "protocol='grpc' is not one of"),
        ({"model_name": None}, "model_name"),
        ({"batch_size": 0}, "batch_size must be a positive integer"),
        ({"max_concurrency": 1.5}, "max_concurrency must be a positive integer"),
        ({"timeout": 0}, "timeout must be a finite number"),
        ({"classes": ["only"]}, "at least two distinct classes"),
        ({"response": "scores"}, "'probabilities' or 'labels'"),
        ({"protocol": "json", "request_template": {"x": 1}}, "'\\$records' or '\\$rows'"),
        ({"headers": {"X-Key": 5}}, "headers must be a dict"),
    ],
)
def test_bad_parameters_are_refused_with_the_fix(options, message):
    params = {"url": "http://localhost:1", "classes": [0, 1], "model_name": "m"} | options
    url = params.pop("url")
    with pytest.raises(ValueError, match=message):
        RemoteClassifier(url, **params)


def test_a_column_missing_from_the_records_is_named(fault_server, people):
    server = fault_server()
    with pytest.raises(ValueError, match="lacks the column.*'smoker'"):
        _client(server).predict_proba(people["held_out"][0].drop(columns="smoker"))
    assert not server.requests  # refused before anything was sent


def test_missing_numbers_cannot_go_in_a_v2_tensor(fault_server, people):
    server = fault_server()
    X = people["held_out"][0][:5].copy()
    X.loc[2, "bmi"] = np.nan
    with pytest.raises(ValueError, match="'bmi'.*nan.*record 2"):
        _client(server).predict_proba(X)


def test_without_urllib3_the_error_names_the_extra(monkeypatch, people):
    monkeypatch.setitem(sys.modules, "urllib3", None)
    remote = RemoteClassifier("http://localhost:1", classes=[0, 1], model_name="m")
    with pytest.raises(ImportError, match=r"tabinvert\[remote\]"):
        remote.predict_proba(people["held_out"][0][:2])


def test_basic_auth_in_the_url_never_reaches_a_message(fault_server, people):
    server = fault_server()
    server.plan.append(("status", 401))
    host = server.url.removeprefix("http://")
    remote = RemoteClassifier(
        f"http://user:{SECRET}@{host}", classes=["high", "low"], model_name="m", max_retries=0
    )
    with pytest.raises(RemoteModelError) as info:
        remote.predict_proba(people["held_out"][0][:2])
    assert SECRET not in str(info.value) and "HTTP 401" in str(info.value)
    _, headers, _ = server.requests[-1]
    expected = base64.b64encode(f"user:{SECRET}".encode()).decode()
    assert headers.get("Authorization") == f"Basic {expected}"
    assert os.environ.get("MODEL_TOKEN") is None


# -- the command line --------------------------------------------------------------------------


def _write_csvs(people, folder):
    for name, (X, y) in (("train", people["train"]), ("holdout", people["held_out"])):
        X.assign(label=y).to_csv(folder / f"{name}.csv", index=False)


def _cli(folder, *options):
    return [
        "assess",
        *options,
        "--train",
        str(folder / "train.csv"),
        "--holdout",
        str(folder / "holdout.csv"),
        "--target",
        "label",
        "--sensitive",
        "smoker",
        "--access",
        "api",
        "--n-resamples",
        "100",
        "--random-state",
        "0",
        "--quiet",
        "--out",
        str(folder / "report.html"),
        "--json",
        str(folder / "report.json"),
    ]


def test_the_cli_assesses_a_served_model(mlserver, pipeline, people, tmp_path, capsys, monkeypatch):
    from tabinvert.cli import main

    _write_csvs(people, tmp_path)
    monkeypatch.setenv("SERVICE_KEY", SECRET)
    code = main(
        _cli(
            tmp_path,
            "--endpoint",
            mlserver,
            "--protocol",
            "v2",
            "--model-name",
            "smoking",
            "--header-env",
            "X-Api-Key=SERVICE_KEY",
            "--batch-size",
            "400",
        )
    )
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["metadata"]["endpoint"]["url"] == f"{mlserver}/v2/models/smoking/infer"
    assert report["metadata"]["endpoint"]["rows_sent"] > 0
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "The model was queried over HTTP at" in html
    assert SECRET not in html and SECRET not in json.dumps(report)
    # The same numbers as the in-process model assessed by the library.
    local = _rate(pipeline, people, n_resamples=100)
    served = pd.DataFrame(report["results"]["records"], columns=report["results"]["columns"])
    np.testing.assert_allclose(
        served.sort_values(["attack", "population"])["advantage"].to_numpy(dtype=float),
        local.results.sort_values(["attack", "population"])["advantage"].to_numpy(dtype=float),
    )


def test_the_cli_stops_without_a_report_when_the_service_fails(
    fault_server, people, tmp_path, capsys
):
    from tabinvert.cli import main

    server = fault_server()
    server.plan.extend([("ok",)] * 2 + [("status", 503)] * 1000)
    _write_csvs(people, tmp_path)
    code = main(_cli(tmp_path, "--endpoint", server.url, "--model-name", "m", "--retries", "1"))
    err = capsys.readouterr().err
    assert code == 4, err
    assert f"{server.url}/v2/models/m/infer" in err and "HTTP 503" in err
    assert not (tmp_path / "report.html").exists() and not (tmp_path / "report.json").exists()


@pytest.mark.parametrize(
    "options, message",
    [
        (["--model", "m.skops", "--protocol", "mlflow"], "--protocol describes a model service"),
        (["--endpoint", "http://127.0.0.1:1", "--trust-pickle"], "no model file is loaded"),
        (
            ["--endpoint", "http://127.0.0.1:1", "--model-name", "m", "--header-env", "X=NOPE_VAR"],
            "'NOPE_VAR' is not set",
        ),
        (
            ["--endpoint", "http://127.0.0.1:1", "--model-name", "m", "--classes", "high,medium"],
            "'medium', which is not a label",
        ),
    ],
)
def test_the_cli_refuses_endpoint_options_that_do_not_fit(
    options, message, people, tmp_path, capsys, monkeypatch
):
    from tabinvert.cli import main

    monkeypatch.delenv("NOPE_VAR", raising=False)
    _write_csvs(people, tmp_path)
    code = main(_cli(tmp_path, *options))
    err = capsys.readouterr().err
    assert code == 2 and message in err, err
    assert not (tmp_path / "report.html").exists()

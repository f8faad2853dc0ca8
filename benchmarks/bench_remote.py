"""Benchmark: an attack on a model behind a real serving process, against the floor of a remote
attacker (the same rows sent as plain prediction requests).

The target is Adult's logistic-regression pipeline (``make_model("logreg")``: one-hot text
columns, scaled numbers) trained on the 35,222 ``mehnaz2022`` rows, served by Seldon MLServer
with its scikit-learn runtime on this machine (loopback TCP; inference in the server process).
The attacker runs CSMIA on ``marital`` (7 candidate values) for ``--members`` training records
through :class:`tabinvert.models.RemoteClassifier` (Open Inference Protocol v2, one input per
column): every one of the records × candidates rows goes over HTTP.

The floor is what any remote attacker pays for those rows: the same completed rows, as v2
request bodies serialised *before* the clock starts, posted with urllib3 at the same batch size
and concurrency, each answer decoded from JSON and nothing else done. The ratio (attack ÷
floor) is tabinvert's overhead over a bare client: building the rows, serialising, checking
and scoring. Each repeat runs the floor and the attack back to back (order alternating); the
table gives medians and the median of the per-repeat ratios. The guesses through the service
are checked equal to the in-process attack's.

This is a script that prints tables, not a test::

    TABINVERT_DATA=../shared/datasets python benchmarks/bench_remote.py --out results.txt
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import joblib
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import _common  # noqa: E402

SENSITIVE = _common.MEHNAZ_SENSITIVE


def _free_ports(k):
    sockets = [socket.socket() for _ in range(k)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def start_mlserver(model, folder):
    """MLServer serving ``model`` as ``adult`` on a free port; returns (process, url)."""
    executable = Path(sys.executable).parent / "mlserver"
    if not executable.exists():
        executable = shutil.which("mlserver")
    if executable is None:
        raise SystemExit('MLServer is not installed: pip install ".[test]" (Python < 3.13).')
    model_folder = folder / "adult"
    model_folder.mkdir()
    joblib.dump(model, model_folder / "model.joblib")
    (model_folder / "model-settings.json").write_text(
        json.dumps(
            {
                "name": "adult",
                "implementation": "mlserver_sklearn.SKLearnModel",
                "parameters": {"uri": "./model.joblib"},
            }
        )
    )
    http, grpc, metrics = _free_ports(3)
    (folder / "settings.json").write_text(
        json.dumps(
            {
                "host": "127.0.0.1",
                "http_port": http,
                "grpc_port": grpc,
                "metrics_port": metrics,
                "parallel_workers": 0,  # the worker pool fails under the newest uvloop
            }
        )
    )
    log = open(folder / "server.log", "w")  # noqa: SIM115 - the process writes to it
    process = subprocess.Popen(
        [str(executable), "start", str(folder)], cwd=folder, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{http}"
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            raise SystemExit("MLServer exited:\n" + (folder / "server.log").read_text()[-3000:])
        try:
            with urllib.request.urlopen(f"{url}/v2/models/adult/ready", timeout=2) as answer:
                if answer.status == 200:
                    return process, url
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            raise SystemExit("MLServer did not become ready in 120 s")
        time.sleep(0.5)


def v2_body(frame):
    """The v2 request a bare client would send: one input per column, ``pd`` content type."""
    inputs = []
    for column in frame.columns:
        series = frame[column]
        if pd.api.types.is_numeric_dtype(series):
            integer = pd.api.types.is_integer_dtype(series)
            entry = {
                "name": column,
                "shape": [len(frame)],
                "datatype": "INT64" if integer else "FP64",
                "data": series.tolist(),
            }
        else:
            entry = {
                "name": column,
                "shape": [len(frame)],
                "datatype": "BYTES",
                "data": series.astype(str).tolist(),
                "parameters": {"content_type": "str"},
            }
        inputs.append(entry)
    body = {
        "parameters": {"content_type": "pd"},
        "inputs": inputs,
        "outputs": [{"name": "predict_proba"}],
    }
    return json.dumps(body).encode()


def floor_seconds(pool, url, bodies, concurrency):
    """Post the prebuilt bodies, ``concurrency`` at a time, and decode each answer."""
    headers = {"Content-Type": "application/json"}

    def post(body):
        response = pool.request("POST", url, body=body, headers=headers)
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}: {response.data[:200]!r}")
        return json.loads(response.data)

    start = time.perf_counter()
    if concurrency == 1:
        for body in bodies:
            post(body)
    else:
        with ThreadPoolExecutor(max_workers=concurrency) as workers:
            list(workers.map(post, bodies))
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=10000, help="training records attacked")
    parser.add_argument("--batch-sizes", default="100,1000,5000")
    parser.add_argument("--concurrency", default="1,4")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", help="also write the results to this file")
    args = parser.parse_args(argv)
    batch_sizes = [int(v) for v in args.batch_sizes.split(",")]
    concurrencies = [int(v) for v in args.concurrency.split(",")]

    import urllib3

    from tabinvert.attacks import ConfidenceInversion
    from tabinvert.models import RemoteClassifier

    wall_start = time.perf_counter()
    report = _common.Report()
    _common.header(
        report,
        "bench_remote: CSMIA through a served model (MLServer, v2) vs the same rows as plain "
        "requests",
        _common.options_text(args),
        versions=_common.VERSIONS + ("mlserver", "urllib3"),
    )
    seed = args.random_state
    X_train, y_train, X_aux, _, y_aux, _ = _common.mehnaz_adult(seed)
    model, _ = _common.make_model("logreg", X_train, seed, None)
    model.fit(X_train, y_train)
    members = X_train.sample(n=min(args.members, len(X_train)), random_state=seed)
    y_members = np.asarray(y_train.loc[members.index])
    candidates = sorted(X_aux[SENSITIVE].dropna().unique().tolist())
    grid = _common.completed_grid(members, SENSITIVE, candidates)[list(X_train.columns)]
    n_rows = len(grid)
    report(
        f"data    : {len(X_train):,} training rows; {len(members):,} members attacked × "
        f"{len(candidates)} candidates = {n_rows:,} rows per attack; auxiliary {len(X_aux):,}"
    )

    local = ConfidenceInversion(model, SENSITIVE, method="csmia", random_state=seed).fit(
        X_aux, y_aux
    )
    start = time.perf_counter()
    local_guesses = local.attack(members, y_members)
    local_seconds = time.perf_counter() - start
    report(f"in-process attack: {local_seconds:.3f} s for {n_rows:,} rows (reference)")
    report()

    folder = Path(tempfile.mkdtemp(prefix="bench-remote-"))
    process, url = start_mlserver(model, folder)
    rows = []
    try:
        for batch_size in batch_sizes:
            bodies = [
                v2_body(grid.iloc[start : start + batch_size])
                for start in range(0, n_rows, batch_size)
            ]
            for concurrency in concurrencies:
                remote = RemoteClassifier(
                    url,
                    classes=list(model.classes_),
                    model_name="adult",
                    feature_names=list(X_train.columns),
                    batch_size=batch_size,
                    max_concurrency=concurrency,
                )
                attack = ConfidenceInversion(
                    remote, SENSITIVE, method="csmia", random_state=seed
                ).fit(X_aux, y_aux)
                # Both clients keep their connections open across repeats: open them first.
                pool = urllib3.PoolManager(maxsize=concurrency, block=True)
                floor_seconds(pool, f"{url}/v2/models/adult/infer", bodies[:1], 1)
                remote.predict_proba(grid.iloc[:1])
                floors, attacks, ratios = [], [], []
                for repeat in range(args.repeats):
                    order = ("floor", "attack") if repeat % 2 == 0 else ("attack", "floor")
                    timed = {}
                    for which in order:
                        if which == "floor":
                            timed[which] = floor_seconds(
                                pool, f"{url}/v2/models/adult/infer", bodies, concurrency
                            )
                        else:
                            sent = remote.rows_sent_
                            start = time.perf_counter()
                            guesses = attack.attack(members, y_members)
                            timed[which] = time.perf_counter() - start
                            assert remote.rows_sent_ - sent == n_rows, "rows sent != rows asked"
                            if not np.array_equal(np.asarray(guesses), np.asarray(local_guesses)):
                                raise SystemExit("the served model's guesses differ")
                    floors.append(timed["floor"])
                    attacks.append(timed["attack"])
                    ratios.append(timed["attack"] / timed["floor"])
                rows.append(
                    {
                        "batch rows": batch_size,
                        "concurrency": concurrency,
                        "requests": len(bodies),
                        "floor s": statistics.median(floors),
                        "attack s": statistics.median(attacks),
                        "ratio": statistics.median(ratios),
                        "ratio min-max": f"{min(ratios):.2f}-{max(ratios):.2f}",
                        "attack rows/s": n_rows / statistics.median(attacks),
                    }
                )
                report(
                    f"batch {batch_size:>5}, concurrency {concurrency}: attack "
                    f"{statistics.median(attacks):.2f} s, floor {statistics.median(floors):.2f} s,"
                    f" ratio {statistics.median(ratios):.2f}"
                )
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(folder, ignore_errors=True)
    report()
    table = pd.DataFrame(rows)
    report.table(
        table.round({"floor s": 3, "attack s": 3, "ratio": 2, "attack rows/s": 0}),
        title=(
            f"CSMIA on {len(members):,} members through MLServer ({args.repeats} repeats, "
            "medians; ratio = attack ÷ floor, median of per-repeat ratios); guesses equal to "
            f"the in-process attack's ({local_seconds:.3f} s) in every run"
        ),
    )
    report.finish(wall_start, args.out)


if __name__ == "__main__":
    main()

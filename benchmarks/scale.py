"""Scale: one attack on 10³ … 10⁶ target records — wall time, peak memory, n_jobs, dask.

The target model is a scikit-learn ``Pipeline`` (``OneHotEncoder`` on the text columns,
``StandardScaler`` on the numbers, then ``LogisticRegression``) trained on ``--train-size``
real rows of ``load_adult(variant="clean")`` (rows with a missing value dropped). The attacker
holds ``--aux-size`` other real rows with their labels. The targets are synthetic Adult-like
records: every column drawn independently from its real marginal in the clean data (same
dtypes: ``str`` text columns, ``int64`` numbers), the label from the label's marginal. The
attack is ``ConfidenceInversion`` (MAP by default) on ``marital-status``: k = 7 candidates, so
10⁶ targets are 7 × 10⁶ completed records, sent in chunks of at most ``max_rows_per_call``.

Each (size, configuration) runs in a fresh Python process, which:

1. loads the model and the auxiliary data (pickled once by this script), generates the targets,
   fits the attack, and runs it on 1,000 targets in several calls (warm-up: imports, loky
   workers, dask connections);
2. collects garbage, hands the allocator's free pages back (``malloc_trim``), records its
   resident memory (VmRSS) with the targets in memory, then resets the kernel's peak-RSS
   counter (``echo 5 > /proc/self/clear_refs``: VmHWM := VmRSS);
3. times ``attack()`` on all the targets, then reads the peak (VmHWM, which is also what
   ``getrusage(RUSAGE_SELF).ru_maxrss`` reports after the reset). ``extra`` = peak − before is
   what the attack itself needed at its worst moment. (Where the reset is not allowed, a
   thread samples VmRSS every 2 ms instead; the output says which.) More timed runs follow
   (2 to 5); the best time counts;
4. runs the attack again under ``tracemalloc`` (the peak of the bytes allocated through Python
   and numpy), and (``n_jobs=1`` only) a plain chunked query of the same grid with public
   pieces (``_common.query_grid``: the completions built with pandas, ``max_rows_per_call``
   rows per model call), whose traced peak minus the (n, k, 2) answers it returns is the
   working set of the chunks in flight at that chunk size.

``extra`` has two parts, at different moments. The unavoidable O(n) arrays — the (n, k, 2)
answers, then the (n, k) scores with a temporary of their size and the n guesses — are computed
from their sizes and reported separately; the chunks in flight (the completed frame, the
model's one-hot matrix, its answer) depend on ``max_rows_per_call`` but not on n. The peak is
the larger of (answers + chunks) during the queries and the O(n) arrays while scoring.

Configurations: ``1`` (``n_jobs=1``), ``2`` (``n_jobs=2``, joblib's loky worker processes),
``dask`` (``joblib.parallel_config(backend="dask")`` with a ``distributed.LocalCluster`` of two
one-thread worker processes, ``n_jobs=None``: one task per worker). With workers, the memory
above is the parent process's; the workers' is reported as the largest descendant's peak RSS.
Every configuration must give the same guesses (SHA-256 of them) and, up to
``--proba-check-max`` targets, the same ``attack_proba`` (SHA-256 of the float64 bytes).

dask is an optional extra: ``pip install "dask[distributed]"``.

    TABINVERT_DATA=/work/shared/datasets python benchmarks/scale.py --out results.txt
    python benchmarks/scale.py --max-size 10000            # a quick run
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import gc
import hashlib
import importlib.util
import inspect
import json
import logging
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
import tracemalloc

import joblib
import numpy as np
import pandas as pd
from sklearn.base import clone

from tabinvert.attacks import ConfidenceInversion
from tabinvert.datasets import load_adult

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402  (the helpers beside this file)
    Report,
    choices,
    completed_grid,
    header,
    make_model,
    options_text,
    query_grid,
)

# the attacks' default chunk size (a public parameter's default)
DEFAULT_MAX_ROWS_PER_CALL = (
    inspect.signature(ConfidenceInversion).parameters["max_rows_per_call"].default
)
SENSITIVE = "marital-status"
DEFAULT_SIZES = "1e3,1e4,1e5,1e6"
CONFIGS = ("1", "2", "dask")
WARM_UP = 1000
MB = 2**20


# ------------------------------------------------------------------------------------------
# Data and model (parent)
# ------------------------------------------------------------------------------------------
def real_data():
    bunch = load_adult(variant="clean")
    keep = bunch.data.notna().all(axis=1).to_numpy() & bunch.target.notna().to_numpy()
    return bunch.data[keep].reset_index(drop=True), np.asarray(bunch.target)[keep]


def marginals(X, y):
    """Each column's values and frequencies in the real data, and its dtype."""
    columns = {}
    for column in X.columns:
        counts = X[column].value_counts(sort=False)
        columns[column] = (
            counts.index.to_numpy(dtype=object),
            counts.to_numpy() / counts.sum(),
            X[column].dtype,
        )
    labels, label_counts = np.unique(y, return_counts=True)
    return columns, (labels, label_counts / label_counts.sum())


def synthetic(columns, labels, n, seed):
    """``n`` Adult-like records: every column drawn from its own real marginal."""
    rng = np.random.default_rng([seed, n])
    data = {}
    for column, (values, p, dtype) in columns.items():
        drawn = values[rng.choice(len(values), size=n, p=p)]
        data[column] = pd.array(drawn, dtype=dtype)
    y = labels[0][rng.choice(len(labels[0]), size=n, p=labels[1])]
    return pd.DataFrame(data), y


# ------------------------------------------------------------------------------------------
# Memory (child)
# ------------------------------------------------------------------------------------------
def proc_status(field):
    with open("/proc/self/status", encoding="ascii") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise KeyError(field)


class PeakRSS:
    """The peak resident memory of this process over a ``with`` block."""

    def __enter__(self):
        try:
            with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
                fh.write("5")  # resets VmHWM (the peak RSS) to the current RSS
            self.method = "VmHWM after reset (/proc/self/clear_refs 5)"
            self._sampler = None
        except OSError:
            self.method = "VmRSS sampled every 2 ms by a thread (clear_refs not allowed)"
            self._peak, self._stop = proc_status("VmRSS"), threading.Event()
            self._sampler = threading.Thread(target=self._sample, daemon=True)
            self._sampler.start()
        return self

    def _sample(self):
        while not self._stop.wait(0.002):
            self._peak = max(self._peak, proc_status("VmRSS"))

    def __exit__(self, *exc):
        if self._sampler is None:
            self.peak = proc_status("VmHWM")
        else:
            self._stop.set()
            self._sampler.join()
            self.peak = max(self._peak, proc_status("VmRSS"))
        self.ru_maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        return False


def release_free_memory():
    """Collect garbage and hand the allocator's free pages back to the kernel, so that memory
    freed before the measurement (making the targets, the warm-up) cannot hide what the attack
    needs: glibc keeps freed heap pages resident and would serve the attack from them."""
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc
        pass


def digest(values):
    return hashlib.sha256(values).hexdigest()[:16]


# ------------------------------------------------------------------------------------------
# One measurement (child process)
# ------------------------------------------------------------------------------------------
def child(spec):
    bundle = joblib.load(spec["bundle"])
    model, X_aux, y_aux = bundle["model"], bundle["X_aux"], bundle["y_aux"]
    n, config = spec["n"], spec["config"]
    X, y = synthetic(bundle["columns"], bundle["labels"], n, spec["seed"])
    n_jobs = {"1": 1, "2": 2, "dask": None}[config]
    attack = ConfidenceInversion(
        model,
        SENSITIVE,
        method=spec["method"],
        n_jobs=n_jobs,
        max_rows_per_call=spec["max_rows_per_call"],
        random_state=0,
    )
    attack.fit(X_aux, y_aux)

    client = cluster = None
    context = contextlib.nullcontext()  # joblib's default backend: loky for n_jobs > 1
    if config == "dask":
        import distributed

        cluster = distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",
            silence_logs=logging.ERROR,
        )
        client = distributed.Client(cluster)
        context = joblib.parallel_config(backend="dask")
    result = {}
    with context:
        # Warm-up: imports, caches, and (with a small max_rows_per_call, so that it takes
        # several calls) the loky / dask workers, whose start is not the attack's cost.
        clone(attack).set_params(max_rows_per_call=WARM_UP).fit(X_aux, y_aux).attack(
            X[:WARM_UP], y[:WARM_UP]
        )
        release_free_memory()
        result["rss_before"] = proc_status("VmRSS")
        with PeakRSS() as memory:
            start = time.perf_counter()
            guesses = attack.attack(X, y)
            result["seconds"] = time.perf_counter() - start
        result.update(peak=memory.peak, ru_maxrss=memory.ru_maxrss, memory_method=memory.method)
        # Runs are at the mercy of other processes: repeat them (2 to 5 runs, ~4 s in all
        # for the short ones) and keep the best time. The memory is the first run's.
        result["runs"] = runs = int(min(5, max(2, 4.0 // max(result["seconds"], 1e-3))))
        for _ in range(runs - 1):
            start = time.perf_counter()
            attack.attack(X, y)
            result["seconds"] = min(result["seconds"], time.perf_counter() - start)
        result["guesses"] = digest("\n".join(guesses.astype(str)).encode())
        del guesses
        if spec["traced"]:  # allocation by allocation (slower, not timed)
            release_free_memory()
            tracemalloc.start()
            attack.attack(X, y)
            result["traced_peak"] = tracemalloc.get_traced_memory()[1]
            if config == "1":
                # A plain chunked query of the same grid (public pieces only): its peak above
                # the (n, k, 2) answers it returns is the working set of the chunks in flight.
                tracemalloc.reset_peak()
                before = tracemalloc.get_traced_memory()[0]
                outputs = query_grid(
                    model,
                    X,
                    SENSITIVE,
                    attack.candidates_,
                    max_rows_per_call=attack.max_rows_per_call,
                )
                result["query_peak"] = tracemalloc.get_traced_memory()[1] - before
                result["query_answers_bytes"] = outputs.nbytes
                del outputs
            tracemalloc.stop()
        if n <= spec["proba_check_max"]:
            proba = attack.attack_proba(X, y).to_numpy()
            result["proba"] = digest(np.ascontiguousarray(proba, dtype=np.float64).tobytes())
    cost = attack.last_query_cost_
    k = len(attack.candidates_)
    if config == "1":
        # The model's own cost: one raw call on a chunk's worth of completed records, built
        # beforehand (best of 3), scaled to all n × k rows.
        m = min(n, max(1, attack.max_rows_per_call // k))
        grid = completed_grid(X.iloc[:m], SENSITIVE, attack.candidates_)
        best = np.inf
        for _ in range(3):
            start = time.perf_counter()
            model.predict_proba(grid)
            best = min(best, time.perf_counter() - start)
        result["model_seconds"] = best * n / m
    n_classes = len(model.classes_)
    result.update(
        n=n,
        config=config,
        k=k,
        calls=cost.calls,
        rows=cost.rows,
        input_bytes=int(X.memory_usage(index=False).sum() + y.nbytes),
        # The O(n) arrays the attack must hold: the (n, k, n_classes) float64 answers, the
        # (n, k) float64 scores with one temporary of the same size, the n guesses (object
        # array, then the str Series built from it).
        on_bytes=n * k * n_classes * 8 + 2 * n * k * 8 + 2 * n * 8,
        answers_bytes=n * k * n_classes * 8,  # the (n, k, n_classes) float64 answers alone
    )
    if client is not None:
        client.close()
        cluster.close()
    if config == "2":
        from joblib.externals.loky import get_reusable_executor

        get_reusable_executor().shutdown(wait=True)
    result["children_maxrss"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    print("RESULT " + json.dumps(result), flush=True)


# ------------------------------------------------------------------------------------------
# Output (parent)
# ------------------------------------------------------------------------------------------
def scale_header(report, args):
    header(
        report,
        "# scale: ConfidenceInversion on 10³…10⁶ records — time, peak memory, n_jobs, dask",
        options_text(args, skip=("child",)),
        versions=(
            "tabinvert",
            "scikit-learn",
            "numpy",
            "pandas",
            "scipy",
            "joblib",
            "dask",
            "distributed",
        ),
    )


def parse_sizes(text):
    return [int(float(s)) for s in text.split(",") if s.strip()]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=DEFAULT_SIZES,
        help=f"comma-separated target counts (default {DEFAULT_SIZES})",
    )
    parser.add_argument(
        "--max-size",
        type=float,
        default=None,
        help="drop the sizes above this (e.g. 1e4 for a quick run)",
    )
    parser.add_argument(
        "--configs",
        default=",".join(CONFIGS),
        help="comma-separated among 1 (n_jobs=1), 2 (n_jobs=2, loky), dask",
    )
    parser.add_argument(
        "--dask-max-size",
        type=float,
        default=None,
        help="run the dask configuration only up to this size",
    )
    parser.add_argument(
        "--method", default="map", choices=("map", "csmia"), help="ConfidenceInversion(method=...)"
    )
    parser.add_argument("--max-rows-per-call", type=int, default=DEFAULT_MAX_ROWS_PER_CALL)
    parser.add_argument(
        "--train-size", type=int, default=10_000, help="real rows the target model is trained on"
    )
    parser.add_argument(
        "--aux-size", type=int, default=5_000, help="real labelled rows the attacker holds"
    )
    parser.add_argument(
        "--proba-check-max",
        type=float,
        default=1e5,
        help="also compare attack_proba across configurations up to this size",
    )
    parser.add_argument(
        "--no-traced",
        dest="traced",
        action="store_false",
        help="skip the second, tracemalloc-traced run of each attack",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--out", default=None, help="also write the output to this text file")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.sizes = sorted(parse_sizes(args.sizes))
    if args.max_size is not None:
        args.sizes = [n for n in args.sizes if n <= args.max_size]
    args.configs = choices(parser, args.configs, CONFIGS, "configuration")
    if not args.sizes and args.child is None:
        parser.error("no size left to run")
    return args


def run_child(spec):
    """One measurement in a fresh interpreter; its result, or the reason it failed."""
    process = subprocess.run(
        [sys.executable, os.path.abspath(__file__), "--child", json.dumps(spec)],
        capture_output=True,
        text=True,
        check=False,
    )
    for line in process.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    tail = "\n".join((process.stderr or process.stdout).strip().splitlines()[-5:])
    return {"n": spec["n"], "config": spec["config"], "error": tail}


def main(argv=None):
    args = parse_args(argv)
    if args.child is not None:
        child(json.loads(args.child))
        return
    if "dask" in args.configs and importlib.util.find_spec("distributed") is None:
        print(
            "dask[distributed] is not installed: the dask configuration is skipped "
            "(pip install 'dask[distributed]')",
            file=sys.stderr,
        )
        args.configs = [c for c in args.configs if c != "dask"]
    report = Report()
    scale_header(report, args)
    wall_start = time.perf_counter()

    X, y = real_data()
    rng = np.random.default_rng(args.random_state)
    order = rng.permutation(len(X))
    train, aux = order[: args.train_size], order[args.train_size : args.train_size + args.aux_size]
    model = make_model("logreg", X, args.random_state, None)[0].fit(X.iloc[train], y[train])
    columns, labels = marginals(X, y)
    report(
        f"model   : Pipeline(OneHotEncoder + StandardScaler → LogisticRegression) trained on "
        f"{len(train):,} real rows of Adult (clean, complete rows: {len(X):,}); attacker's "
        f"auxiliary data: {len(aux):,} other real rows with labels"
    )
    report(
        f"attack  : ConfidenceInversion(method={args.method!r}) on {SENSITIVE!r} "
        f"(k = {X[SENSITIVE].nunique()}), max_rows_per_call={args.max_rows_per_call:,}"
    )
    report("targets : synthetic: each column drawn independently from its real marginal")
    report()

    rows = []
    with tempfile.TemporaryDirectory() as folder:
        bundle = os.path.join(folder, "bundle.joblib")
        joblib.dump(
            dict(
                model=model,
                X_aux=X.iloc[aux].reset_index(drop=True),
                y_aux=y[aux],
                columns=columns,
                labels=labels,
            ),
            bundle,
        )
        for n in args.sizes:
            for config in args.configs:
                if config == "dask" and args.dask_max_size and n > args.dask_max_size:
                    continue
                spec = dict(
                    bundle=bundle,
                    n=n,
                    config=config,
                    seed=args.random_state,
                    method=args.method,
                    max_rows_per_call=args.max_rows_per_call,
                    proba_check_max=args.proba_check_max,
                    traced=args.traced,
                )
                load = os.getloadavg()[0]
                result = run_child(spec)
                result["load1"] = round(load, 1)
                rows.append(result)
                if "error" in result:
                    report(f"n={n:,} config={config}: FAILED\n{result['error']}")
                else:
                    report(
                        f"n={n:>9,} config={config:>4}: {result['seconds']:8.2f} s, peak "
                        f"extra {(result['peak'] - result['rss_before']) / MB:7.1f} MB "
                        f"(elapsed {time.perf_counter() - wall_start:.0f} s, load {load:.1f})"
                    )

    done = pd.DataFrame([r for r in rows if "error" not in r])
    report()
    if len(done):
        summarise(report, done, args)
    report("## Notes")
    report(
        "- One process per (size, configuration), best of 2-5 runs, on a shared 2-core "
        "machine (load average in the table): the seconds of the small sizes and the "
        "parallel speed-ups are the noisiest; "
        "vs_model compares the attack with a best-of-3 model call on one chunk, so it moves "
        "by ±0.3 from run to run."
    )
    single = sorted({int(n) for n in done["n"][done["calls"] == 1]}) if len(done) else []
    if single:
        report(
            f"- At {', '.join(f'{n:,}' for n in single)} targets n × k fits in one call: "
            "there is nothing to parallelise and every configuration computes in the calling "
            "process (the dask rows are slower there because the LocalCluster's scheduler "
            "and client threads run in that process)."
        )
    report(
        "- With workers (n_jobs=2, dask) the query engine makes one task per worker, so the "
        "model is sent to each worker once; the calling process then receives a whole task's "
        "answers at once (half of all answers with two workers) and holds the pickled "
        "payloads, hence its larger traced / extra there."
    )
    report(
        "- dask: the model's own joblib calls (the ColumnTransformer's transformers) run "
        "inside each query task with threads, as in a loky worker; with joblib's default "
        "under dask they were sent back to the cluster as nested tasks, shipping every chunk "
        "to another worker (same answers; 1.1-1.3× slower here, measured A/B at 3·10⁴-10⁶ "
        "targets)."
    )
    report()
    report.finish(wall_start, args.out)


def summarise(report, done, args):
    done = done.copy()
    done["extra"] = done["peak"] - done["rss_before"]
    reference = done[done["config"] == "1"].set_index("n")
    smallest = min(done["n"])

    def identical(row, key):
        if key not in row or not isinstance(row[key], str) or row["n"] not in reference.index:
            return ""
        return "yes" if row[key] == reference.loc[row["n"], key] else "NO"

    table = pd.DataFrame(
        {
            "n": done["n"].map("{:,}".format),
            "config": done["config"],
            "calls": done["calls"],
            "runs": done["runs"],
            "seconds": done["seconds"].round(3),
            "us_per_record": (done["seconds"] / done["n"] * 1e6).round(2),
            "vs_model": [
                round(row.seconds / reference.loc[row.n, "model_seconds"], 2)
                if row.n in reference.index and "model_seconds" in reference
                else np.nan
                for row in done.itertuples()
            ],
            "time_vs_smallest": [
                round(row.seconds / reference.loc[smallest, "seconds"], 1)
                if smallest in reference.index
                else np.nan
                for row in done.itertuples()
            ],
            "rss_before_MB": (done["rss_before"] / MB).round(1),
            "peak_MB": (done["peak"] / MB).round(1),
            "extra_MB": (done["extra"] / MB).round(1),
            "O(n)_arrays_MB": (done["on_bytes"] / MB).round(1),
            "traced_MB": (done["traced_peak"] / MB).round(1) if "traced_peak" in done else np.nan,
            "answers_MB": (done["answers_bytes"] / MB).round(1)
            if "traced_peak" in done
            else np.nan,
            "chunks_MB": (
                ((done["query_peak"] - done["query_answers_bytes"]) / MB).round(1)
                if "query_peak" in done
                else np.nan
            ),
            "input_MB": (done["input_bytes"] / MB).round(1),
            "workers_peak_MB": [
                round(row.children_maxrss / MB, 1)
                if row.config != "1" and row.children_maxrss
                else np.nan  # no worker started (a single call needs none)
                for row in done.itertuples()
            ],
            "same_guesses": [identical(row, "guesses") for _, row in done.iterrows()],
            "same_proba": [identical(row, "proba") for _, row in done.iterrows()],
            "load1": done["load1"],
        }
    )
    report.table(
        table,
        "## Per size and configuration (one fresh process each). seconds = attack() wall time "
        "after a warm-up (the best of `runs`);\n"
        "## vs_model = seconds ÷ the model's own time for the n×k rows (one raw predict_proba "
        "on a chunk's worth of completed records built beforehand, best of 3, × n×k ÷ its "
        "rows);\n"
        "## time_vs_smallest = seconds ÷ seconds of n_jobs=1 at the smallest size "
        f"({smallest:,}); rss_before = resident memory with the targets loaded;\n"
        "## peak = the process's peak RSS during attack() "
        f"[{done['memory_method'].iloc[0]}];\n"
        "## extra = peak − rss_before; traced = the peak of the bytes allocated through Python "
        "and numpy (tracemalloc) during a second attack() run;\n"
        "## O(n)_arrays = what the scoring step holds at once: the answers (n×k×2 float64), the "
        "scores (n×k float64) and one temporary of their size, the guesses;\n"
        "## answers = the (n, k, 2) answers of the queries; chunks (n_jobs=1) = the traced "
        "peak of a plain chunked query of the same grid (_common.query_grid, max_rows_per_call "
        "rows per call) above its answers: the chunks in flight (completed frame, the model's "
        "one-hot matrix, its answer);\n"
        "## so peak ≈ max(answers + chunks [query step], O(n)_arrays [scoring]);\n"
        "## input = the targets frame and labels (held by the caller, in rss_before);\n"
        "## workers_peak = the largest descendant process's peak RSS (loky / dask workers, "
        "whole lifetime);\n"
        "## same_guesses / same_proba: SHA-256 of attack() / attack_proba() equal to "
        "n_jobs=1's at the same size (proba checked up to "
        f"{int(args.proba_check_max):,} targets)",
    )

    one = done[done["config"] == "1"].sort_values("n")
    if len(one) >= 2:
        slope, intercept = np.polyfit(one["n"], one["extra"], 1)
        big = one[one["n"] >= 10_000]
        time_slope = np.polyfit(big["n"], big["seconds"], 1)[0] if len(big) >= 2 else np.nan
        report("## Growth (n_jobs=1)")
        per_record = ", ".join(f"{r.n:,}: {r.seconds / r.n * 1e6:.2f}" for r in one.itertuples())
        report(
            f"- time: {per_record} µs per record; least-squares slope over n >= 10,000: "
            f"{time_slope * 1e6:.2f} µs per record (linear growth = constant µs per record; "
            "the smallest sizes carry fixed costs)."
        )
        report(
            f"- memory: least-squares fit extra ≈ {intercept / MB:.1f} MB + {slope:.0f} B × n "
            f"(the O(n) arrays are {one['on_bytes'].iloc[-1] / one['n'].iloc[-1]:.0f} B per "
            "record)."
        )
        if "query_peak" in one:
            chunks = ", ".join(
                f"{r.n:,}: {(r.query_peak - r.query_answers_bytes) / MB:.1f}"
                for r in one.itertuples()
            )
            report(
                f"- the chunks in flight (a plain chunked query's traced peak − its answers), "
                f"MB: {chunks}"
                " — flat once n × k exceeds max_rows_per_call: chunking bounds it, n does not."
            )
        report()
    for config in ("2", "dask"):
        part = done[done["config"] == config].set_index("n")
        common = [n for n in part.index if n in reference.index]
        if common:
            speedups = ", ".join(
                f"{n:,}: {reference.loc[n, 'seconds'] / part.loc[n, 'seconds']:.2f}×"
                for n in common
            )
            report(
                f"- {config if config == 'dask' else 'n_jobs=2 (loky)'} vs n_jobs=1, "
                f"speed-up: {speedups}"
            )
    report()


if __name__ == "__main__":
    main()

"""Speed at the limit: each black-box attack's wall time ÷ ONE raw model call on the same grid.

For ``n`` target records and ``k`` candidate values of the sensitive attribute, every black-box
attack must send the model the ``n × k`` completed records; nothing else it does is necessary.
The *limit ratio* is ``attack()`` wall time ÷ the wall time of one raw batched call of the model
(``predict_proba``, or ``predict`` for the label-only attacks) on that same completed grid,
built beforehand in exactly the model's input format. Goal: <= 1.25.

Setup (as ``bench_attacks.py``): Adult, ``load_adult(variant="mehnaz2022")``; sensitive
attribute ``marital`` (Married / Single, k = 2); the attacker's labelled auxiliary data is half
of the ``mehnaz2022_query`` rows; the targets are ``--n-targets`` training rows (members).
Target models, each on the input format it is most often given:

* ``rf``   — a bare ``RandomForestClassifier`` (100 trees) on a numeric array (text columns
  ordinal-encoded beforehand): the array path of the query engine;
* ``xgb``  — a bare ``XGBClassifier`` (100 trees, depth 6) with native categorical support on a
  DataFrame with ``category`` columns: the frame path with extension (categorical) columns;
* ``pipe`` — a scikit-learn ``Pipeline``: ``ColumnTransformer`` (``OneHotEncoder`` on the text
  columns, ``StandardScaler`` on the numbers) then ``LogisticRegression``, on the raw DataFrame
  (``str`` columns): the frame path, and the fastest model call, so the hardest ratio;
* ``pipe_mlp`` — the same pipeline with the paper's MLP (32-16-8).

Attacks: MAP (``ConfidenceInversion()``), FJRMIA (``likelihood="confusion"``, labels only),
CSMIA (``method="csmia"``), LOMIA (``LabelOnlyInversion``). LOMIA trains a learner inside
``attack()`` (histogram gradient boosting on the self-labelled targets, then a prediction for
every target), so it gets two rows: its *query step* (prepare the targets, query the grid, find
the label-reproducing candidates) against the goal, and its whole ``attack()``, whose ratio
measures the learner, not the query engine.

Timings are the best of at least ``--repeats`` rounds and ``--min-seconds`` per (model,
attack); within a round the raw call and the attack run in turn (the order rotating from round
to round) so that load from other processes hits them alike, on one BLAS/OpenMP thread. Both
wall-time and CPU-time (``time.process_time``) ratios are reported: on a shared machine the
second is blind to the time other processes hold the cores. ``--before DIR`` also times the
attacks of an older copy of the package (e.g. ``git archive <commit> tabinvert | tar -x -C
DIR``), imported as ``tabinvert_before``, in the same rounds.

    TABINVERT_DATA=/work/shared/datasets python benchmarks/speed.py --out results.txt
"""

from __future__ import annotations

import argparse
import datetime
import gc
import importlib
import importlib.util
import os
import platform
import shlex
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_attacks import (  # noqa: E402  (the benchmark beside this file)
    GOAL_RATIO,
    SENSITIVE,
    Report,
    memory_total,
    version,
)
from threadpoolctl import threadpool_limits  # noqa: E402

import tabinvert  # noqa: E402
from tabinvert._io import write_atomic  # noqa: E402
from tabinvert._query import query_candidates  # noqa: E402  (private: splits the cost)
from tabinvert._validation import split_known  # noqa: E402
from tabinvert import attacks as attacks_now  # noqa: E402
from tabinvert.datasets import load_adult  # noqa: E402

MODEL_NAMES = ("rf", "xgb", "pipe", "pipe_mlp")
ATTACK_NAMES = ("MAP", "FJRMIA", "CSMIA", "LOMIA")


# ------------------------------------------------------------------------------------------
# Data and models
# ------------------------------------------------------------------------------------------
def text_columns(X):
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]


class Encoding:
    """How one model takes its records: a transform of the raw Adult frame, and of its labels."""

    def __init__(self, name, X_train, y_train):
        self.name = name
        text = text_columns(X_train)
        self.text = text
        if name == "rf":  # a numeric array: text columns ordinal-encoded (the attacker does too)
            self.ordinal = OrdinalEncoder().fit(X_train[text])
        elif name == "xgb":  # category columns with the training categories
            self.dtypes = {c: pd.CategoricalDtype(sorted(X_train[c].dropna().unique()))
                           for c in text}
        self.positive = ">50K"

    def X(self, X):
        if self.name == "rf":
            X = X.copy()
            X[self.text] = self.ordinal.transform(X[self.text])
            return X.to_numpy(dtype=float)
        if self.name == "xgb":
            return X.astype(self.dtypes)
        return X

    def y(self, y):
        y = np.asarray(y)
        return (y == self.positive).astype(int) if self.name == "xgb" else y

    def sensitive(self, X_train):
        """The sensitive column as the model names it: a position for arrays."""
        return list(X_train.columns).index(SENSITIVE) if self.name == "rf" else SENSITIVE


def make_model(name, X_train, seed, n_jobs):
    if name == "rf":
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=n_jobs)
    if name == "xgb":
        from xgboost import XGBClassifier

        return XGBClassifier(n_estimators=100, max_depth=6, enable_categorical=True,
                             tree_method="hist", random_state=seed, n_jobs=n_jobs)
    text = text_columns(X_train)
    numeric = [c for c in X_train.columns if c not in text]
    prepare = ColumnTransformer([
        ("text", OneHotEncoder(handle_unknown="ignore"), text),
        ("numeric", StandardScaler(), numeric),
    ])
    if name == "pipe":
        clf = LogisticRegression(max_iter=1000)
    elif name == "pipe_mlp":
        clf = MLPClassifier((32, 16, 8), learning_rate_init=0.005, max_iter=200,
                            random_state=seed)
    else:
        raise ValueError(f"unknown model {name!r}; choose from {MODEL_NAMES}")
    return Pipeline([("prepare", prepare), ("classify", clf)])


def make_attacks(attacks_module, model, sensitive, seed):
    common = dict(random_state=seed)
    return {
        "MAP": attacks_module.ConfidenceInversion(model, sensitive, **common),
        "FJRMIA": attacks_module.ConfidenceInversion(model, sensitive, likelihood="confusion",
                                                     **common),
        "CSMIA": attacks_module.ConfidenceInversion(model, sensitive, method="csmia", **common),
        "LOMIA": attacks_module.LabelOnlyInversion(model, sensitive, **common),
    }


def completed_grid(X, layout, candidate_values):
    """The n × k completed records, record-major, in the model's columns and dtypes: what one
    raw batched call of the model is given."""
    k = len(candidate_values)
    n = len(X)
    cand_index = np.tile(np.arange(k), n)
    if layout.is_frame:
        frame = X.loc[X.index.repeat(k), list(layout.columns)].reset_index(drop=True)
        frame[layout.sensitive] = candidate_values.take(cand_index)
        return frame
    grid = np.repeat(np.asarray(X, dtype=layout.array_dtype), k, axis=0)
    grid[:, layout.sensitive_position] = np.asarray(candidate_values)[cand_index]
    return grid


def best_times_interleaved(funcs, repeats, min_seconds):
    """Best wall time of each function, calling them in turn within a round (so that load from
    other processes hits them alike), over at least ``repeats`` rounds and ``min_seconds``;
    returns the best wall times, the best CPU times (``time.process_time``: what the process
    itself used, blind to the time other processes held the cores) and the number of rounds."""
    best, best_cpu = [np.inf] * len(funcs), [np.inf] * len(funcs)
    rounds, start = 0, time.perf_counter()
    while rounds < repeats or time.perf_counter() - start < min_seconds:
        # A full collection once a round (it costs more than the fastest calls); it leaves the
        # caches cold for whatever runs next, so the order rotates from round to round.
        gc.collect()
        for step in range(len(funcs)):
            i = (rounds + step) % len(funcs)
            tic, cpu = time.perf_counter(), time.process_time()
            funcs[i]()
            best[i] = min(best[i], time.perf_counter() - tic)
            best_cpu[i] = min(best_cpu[i], time.process_time() - cpu)
        rounds += 1
    return best, best_cpu, rounds


def lomia_query_step(attack, X, y):
    """LOMIA up to its learner: prepare the targets, query the grid, find the candidates that
    reproduce each label (what ``LabelOnlyInversion._candidate_scores`` does first)."""
    known, _, y, _ = attack._prepare(X, y, None)
    labels = attack._query(known)[:, :, 0].T
    matches = labels == np.asarray(y)[None, :]
    return matches.sum(axis=0) == 1


def import_before(path):
    """The ``tabinvert`` package found in ``path``, imported as ``tabinvert_before``."""
    package = os.path.join(os.path.abspath(path), "tabinvert")
    spec = importlib.util.spec_from_file_location(
        "tabinvert_before", os.path.join(package, "__init__.py"),
        submodule_search_locations=[package])
    module = importlib.util.module_from_spec(spec)
    sys.modules["tabinvert_before"] = module
    spec.loader.exec_module(module)
    return importlib.import_module("tabinvert_before.attacks")


# ------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------
def command_line():
    env = ([f"TABINVERT_DATA={shlex.quote(os.environ['TABINVERT_DATA'])}"]
           if "TABINVERT_DATA" in os.environ else [])
    return " ".join(env + [shlex.join([sys.executable] + sys.argv)])


def load_text():
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def header(report, args, title):
    versions = ", ".join(
        f"{name} {version(*dist)}"
        for name, dist in [
            ("tabinvert", ("tabinvert",)), ("scikit-learn", ("scikit-learn",)),
            ("xgboost", ("xgboost", "xgboost-cpu")), ("numpy", ("numpy",)),
            ("pandas", ("pandas",)), ("scipy", ("scipy",)), ("joblib", ("joblib",)),
        ]
    )
    report(title)
    report(f"command : {command_line()}")
    report(f"date    : {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    report(f"machine : {platform.machine()}, {os.cpu_count()} cores (os.cpu_count), "
           f"{memory_total()} RAM (/proc/meminfo), {platform.platform()}")
    report(f"python  : {platform.python_version()}; {versions}")
    report(f"package : {os.path.dirname(tabinvert.__file__)}")
    if args.before:
        report(f"before  : {os.path.abspath(args.before)} {args.before_label}".rstrip())
    report(f"load avg: {load_text()} (1/5/15 min) at start; a shared, noisy machine")
    report("options : " + ", ".join(f"{k}={v}" for k, v in vars(args).items()))
    report()


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-targets", type=int, default=5000,
                        help="member records attacked (default 5000; k = 2 candidates each)")
    parser.add_argument("--models", default=",".join(MODEL_NAMES),
                        help=f"comma-separated, among {','.join(MODEL_NAMES)}")
    parser.add_argument("--repeats", type=int, default=15,
                        help="at least this many timed rounds; the best counts")
    parser.add_argument("--min-seconds", type=float, default=8.0,
                        help="and rounds until this long per (model, attack): fast calls get "
                             "many rounds")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads while timing (threadpoolctl; default 1)")
    parser.add_argument("--model-n-jobs", type=int, default=1,
                        help="threads of the RF / XGBoost model calls (default 1: steadier "
                             "timings on a shared machine); the attacks use n_jobs=None")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--before", default=None, metavar="DIR",
                        help="a directory holding an older tabinvert package to time alongside")
    parser.add_argument("--before-label", default="",
                        help="what --before holds, for the output (e.g. a commit)")
    parser.add_argument("--out", default=None, help="also write the output to this text file")
    args = parser.parse_args(argv)
    args.models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = [m for m in args.models if m not in MODEL_NAMES]
    if unknown:
        parser.error(f"unknown model(s) {unknown}; choose from {','.join(MODEL_NAMES)}")
    return args


def main(argv=None):
    args = parse_args(argv)
    report = Report()
    header(report, args, "# speed: limit ratio of the black-box attacks (attack() ÷ one raw "
                         "model call on the same n×k grid)")
    seed = args.random_state
    wall_start = time.perf_counter()
    before = import_before(args.before) if args.before else None

    train = load_adult(variant="mehnaz2022")
    query = load_adult(variant="mehnaz2022_query")
    X_train, y_train = train.data, train.target
    X_aux, _, y_aux, _ = train_test_split(query.data, query.target, train_size=0.5,
                                          random_state=seed)
    X_t = X_train.sample(n=min(args.n_targets, len(X_train)), random_state=seed)
    y_t = y_train.loc[X_t.index]
    report(f"data    : Adult mehnaz2022; models trained on {len(X_train):,} rows; attacker's "
           f"auxiliary data {len(X_aux):,} labelled rows; {len(X_t):,} member targets; "
           f"sensitive '{SENSITIVE}' (k = {X_aux[SENSITIVE].nunique()} candidates)")
    report()

    rows = []
    for model_name in args.models:
        encoding = Encoding(model_name, X_train, y_train)
        model = make_model(model_name, X_train, seed, args.model_n_jobs)
        start = time.perf_counter()
        model.fit(encoding.X(X_train), encoding.y(y_train))
        report(f"[{model_name}] trained in {time.perf_counter() - start:.1f} s "
               f"(elapsed {time.perf_counter() - wall_start:.0f} s)")
        Xa, ya = encoding.X(X_aux), encoding.y(y_aux)
        Xt, yt = encoding.X(X_t), encoding.y(y_t)
        sensitive = encoding.sensitive(X_train)
        attacks = make_attacks(attacks_now, model, sensitive, seed)
        old_attacks = make_attacks(before, model, sensitive, seed) if before else {}
        for attack_name, attack in attacks.items():
            attack.fit(Xa, ya)
            method = attack.response_method_
            layout, values = attack.layout_, attack.candidate_values_
            grid = completed_grid(Xt, layout, values)
            known, _ = split_known(layout, Xt)
            # The grid is the very one the attack sends: same answers.
            raw_answer = np.asarray(getattr(model, method)(grid)).reshape(len(Xt), len(values), -1)
            engine_answer, cost = query_candidates(model, layout, known, values,
                                                   response_method=method)
            same = bool(np.array_equal(raw_answer, engine_answer))
            funcs = [
                lambda: getattr(model, method)(grid),
                lambda: attack.attack(Xt, yt),
                # the query engine alone: build the completions, call the model, reassemble
                lambda: query_candidates(model, layout, known, values, response_method=method),
            ]
            if attack_name == "LOMIA":
                funcs.append(lambda: lomia_query_step(attack, Xt, yt))
            old = old_attacks.get(attack_name)
            if old is not None:
                old.fit(Xa, ya)
                funcs.append(lambda: old.attack(Xt, yt))
                same_guesses = bool(np.array_equal(old.attack(Xt, yt).to_numpy(),
                                                   attack.attack(Xt, yt).to_numpy()))
            load = os.getloadavg()[0]
            with threadpool_limits(limits=args.threads):
                times, cpu, rounds = best_times_interleaved(funcs, args.repeats,
                                                            args.min_seconds)
            raw, whole, engine = times[:3]
            common = dict(model=model_name, raw_call=method, rows=f"{cost.rows:,}",
                          calls=cost.calls, raw_ms=raw * 1e3, engine_ratio=engine / raw,
                          rounds=rounds,
                          same_grid="yes" if same else "NO", load1=round(load, 1))
            if old is not None:
                common["before_ratio"] = times[-1] / raw
                common["same_guesses"] = "yes" if same_guesses else "NO"
            if attack_name == "LOMIA":
                step = times[3]
                rows.append(dict(attack="LOMIA query step", attack_ms=step * 1e3,
                                 ratio=step / raw, cpu_ratio=cpu[3] / cpu[0],
                                 goal="ok" if step / raw <= GOAL_RATIO else "ABOVE", **common))
                rows.append(dict(attack="LOMIA whole", attack_ms=whole * 1e3, ratio=whole / raw,
                                 cpu_ratio=cpu[1] / cpu[0], goal="(learner)", **common))
                if old is not None:
                    rows[-2]["before_ratio"] = np.nan  # only the whole attack was timed
            else:
                rows.append(dict(attack=attack_name, attack_ms=whole * 1e3, ratio=whole / raw,
                                 cpu_ratio=cpu[1] / cpu[0],
                                 goal="ok" if whole / raw <= GOAL_RATIO else "ABOVE", **common))

    table = pd.DataFrame(rows)
    first = ["model", "attack", "raw_call", "rows", "calls", "raw_ms", "attack_ms", "ratio",
             "goal", "cpu_ratio", "engine_ratio"]
    table = table[first + [c for c in table.columns if c not in first]]
    report()
    report.table(
        table.round({"raw_ms": 1, "attack_ms": 1, "ratio": 2, "cpu_ratio": 2,
                     "engine_ratio": 2, "before_ratio": 2}),
        f"## Limit ratio = attack() wall time ÷ ONE raw {{predict_proba|predict}} call on the "
        f"same n×k completed grid, built beforehand (best of `rounds`, interleaved; "
        f"{args.threads} BLAS/OpenMP thread(s)); "
        f"goal <= {GOAL_RATIO}.\n## cpu_ratio = the same with the best CPU times of this "
        "process (time.process_time), which other processes' load does not inflate;"
        "\n## engine_ratio = the query engine alone "
        "(tabinvert._query.query_candidates: build the completions, call the model, reassemble)"
        " ÷ the raw call; same_grid = the raw call and the engine give identical answers; "
        "load1 = 1-min load average before the timing"
        + ("\n## before_ratio = the same attack from the package in --before, timed in the "
           "same rounds; same_guesses = both give identical guesses" if before else ""))

    for values, what in (("ratio", "wall time"), ("cpu_ratio", "CPU time")):
        pivot = table.pivot(index="model", columns="attack", values=values)
        pivot = pivot[[c for c in ("MAP", "FJRMIA", "CSMIA", "LOMIA query step", "LOMIA whole")
                       if c in pivot.columns]].reindex(args.models)
        report.table(pivot.round(2).reset_index(),
                     f"## Headline: limit ratio per model × attack ({what})")

    report("## Notes")
    report("- LOMIA whole: after the queries, LOMIA fits tabinvert's default learner "
           "(HistGradientBoosting on known features + label) on the self-labelled targets and "
           "predicts every target. That is the attack (Mehnaz et al. 2022), not query overhead: "
           "50-200 ms here (depending on how many targets are self-labelled and on the feature "
           "types), whatever the target model's speed, so its ratio is large next to a 10 ms "
           "model call and nearer 1 next to a slow one. Its query step is held to the goal.")
    report("- The ratios of the fastest calls (pipe: ~10 ms) are the least stable: ~1 ms of "
           "fixed work (checks on the targets, building the n×k frame, scoring, the result "
           "Series) is ~0.1 of the ratio, and busy neighbours (the 2 vCPUs, their caches and "
           "memory bandwidth are shared) slow a call by up to 2×, CPU time included, from one "
           "round to the next.")
    report("- Timings: one run on a shared machine; compare ratios, not seconds.")
    report()
    report(f"load avg at end: {load_text()}; total wall time "
           f"{time.perf_counter() - wall_start:.0f} s")
    if args.out:
        write_atomic(args.out, "\n".join(report.lines).rstrip() + "\n")
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()

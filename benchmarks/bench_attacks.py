"""Benchmark: attribute-inference attacks on Adult (Mehnaz et al. 2022 protocol), quality and cost.

Protocol (Mehnaz et al., USENIX Security 2022; literature notes §3):

* target model trained on all 35,222 rows of ``load_adult(variant="mehnaz2022")`` to predict
  ``income``; sensitive attribute ``marital`` (Married / Single; Married is the positive value
  for precision and recall);
* the attacker's auxiliary data: half of the 10,000 ``mehnaz2022_query`` rows, with labels;
  non-member targets: the other half; member targets: the training rows (``--members N``
  subsamples them, the model is still trained on all of them);
* attacks: MAP inversion (``ConfidenceInversion``), FJRMIA
  (``ConfidenceInversion(likelihood="confusion")``), CSMIA
  (``ConfidenceInversion(method="csmia")``), LOMIA (``LabelOnlyInversion``), and the
  ``ImputationBaseline`` that every attack is compared with (same auxiliary data and labels,
  no model access).

Cost: the *limit ratio* of a black-box attack is its wall time (``attack()`` on the member
targets) divided by the wall time of ONE raw call of the model (``predict_proba``, or
``predict`` for the label-only attacks) on the same ``n × k`` completed-record frame, built
beforehand. It says how far the attack is from the cost of the queries it cannot avoid.
Goal: <= 1.25. Timings are the best of ``--repeats`` runs in this process.

This is a script that prints tables, not a test::

    TABINVERT_DATA=/work/shared/datasets python benchmarks/bench_attacks.py --out results.txt
"""

from __future__ import annotations

import argparse
import datetime
import gc
import os
import platform
import shlex
import sys
import time
from importlib import metadata

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabinvert._query import query_candidates  # private: used only to split the cost below
from tabinvert._validation import split_known
from tabinvert.attacks import ConfidenceInversion, ImputationBaseline, LabelOnlyInversion
from tabinvert.datasets import load_adult
from tabinvert.metrics import advantage_over_baseline, inference_scores

SENSITIVE = "marital"
POSITIVE = "Married"
GOAL_RATIO = 1.25
MODEL_NAMES = ("rf", "xgb", "logreg", "mlp")

# Paper figures for the DNN target on Adult / marital, members (literature notes §3 and §7:
# [FIG] bar chart ±2 points, the PyTorch port's re-run [READ], our sklearn re-run [RUN]).
PAPER = {
    "CSMIA": dict(accuracy=(0.69, 0.70), precision=(0.86, 0.875), recall=(0.42, 0.44),
                  mcc=(0.43, 0.44)),
    "LOMIA": dict(accuracy=(0.70, 0.70), precision=(0.86, 0.86), recall=(0.45, 0.45),
                  mcc=(0.44, 0.44)),
    "FJRMIA": dict(accuracy=(0.60, 0.61), precision=(0.85, 0.88), recall=(0.21, 0.22),
                   mcc=(0.27, 0.30)),
}
PAPER_TOLERANCE = 0.02  # the [FIG] values are read off a bar chart to about ±2 points


# ------------------------------------------------------------------------------------------
# Output
# ------------------------------------------------------------------------------------------
class Report:
    """Print lines as they come and keep them for ``--out``."""

    def __init__(self):
        self.lines = []

    def __call__(self, text=""):
        print(text, flush=True)
        self.lines.extend(str(text).split("\n"))

    def table(self, frame, title):
        self(title)
        self(frame.to_string(index=False))
        self()

    def write(self, path):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as fh:
            fh.write("\n".join(self.lines).rstrip() + "\n")


def memory_total():
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def version(dist, module=None):
    for name in (dist,) if module is None else (dist, module):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def header(report, args):
    command = " ".join(
        [f"TABINVERT_DATA={shlex.quote(os.environ['TABINVERT_DATA'])}"]
        if "TABINVERT_DATA" in os.environ else []
    )
    command = (command + " " if command else "") + shlex.join([sys.executable] + sys.argv)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    versions = ", ".join(
        f"{name} {version(*dist)}"
        for name, dist in [
            ("tabinvert", ("tabinvert",)), ("scikit-learn", ("scikit-learn",)),
            ("xgboost", ("xgboost", "xgboost-cpu")), ("numpy", ("numpy",)),
            ("pandas", ("pandas",)), ("scipy", ("scipy",)), ("joblib", ("joblib",)),
        ]
    )
    report("# bench_attacks: attribute inference on Adult, Mehnaz et al. 2022 protocol")
    report(f"command : {command}")
    report(f"date    : {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    report(f"machine : {platform.machine()}, {os.cpu_count()} cores (os.cpu_count), "
           f"{memory_total()} RAM (/proc/meminfo), {platform.platform()}")
    report(f"python  : {platform.python_version()}; {versions}")
    report(f"load avg: {load} (1/5/15 min) at start; a shared, noisy machine")
    report(f"options : members={args.members or 'all'}, models={','.join(args.models)}, "
           f"n_jobs={args.n_jobs}, random_state={args.random_state}, repeats={args.repeats}, "
           f"bootstrap resamples={args.n_resamples}")
    report()


# ------------------------------------------------------------------------------------------
# Target models
# ------------------------------------------------------------------------------------------
def preprocessor(X):
    text = [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]
    numeric = [c for c in X.columns if c not in text]
    return ColumnTransformer([
        ("text", OneHotEncoder(handle_unknown="ignore"), text),
        ("numeric", StandardScaler(), numeric),
    ])


def make_model(name, X, seed, n_jobs):
    """A Pipeline taking the raw DataFrame, and how it wants its labels encoded."""
    identity = lambda y: np.asarray(y)  # noqa: E731
    if name == "rf":
        clf, encode = RandomForestClassifier(n_estimators=100, random_state=seed,
                                             n_jobs=n_jobs), identity
    elif name == "xgb":
        from xgboost import XGBClassifier

        # XGBoost wants 0/1 labels: the attacker passes the labels in the model's encoding.
        clf = XGBClassifier(random_state=seed, n_jobs=n_jobs)  # defaults: 100 trees, depth 6
        encode = lambda y: (np.asarray(y) == ">50K").astype(int)  # noqa: E731
    elif name == "logreg":
        clf, encode = LogisticRegression(max_iter=1000), identity
    elif name == "mlp":
        # As the paper's PyTorch port trains it: 32-16-8, Adam, learning rate 0.005.
        clf = MLPClassifier((32, 16, 8), learning_rate_init=0.005, max_iter=200,
                            random_state=seed)
        encode = identity
    else:
        raise ValueError(f"unknown model {name!r}; choose from {MODEL_NAMES}")
    return Pipeline([("prepare", preprocessor(X)), ("classify", clf)]), encode


def make_attacks(model, seed, n_jobs):
    common = dict(random_state=seed, n_jobs=n_jobs)
    return {
        "MAP": ConfidenceInversion(model, SENSITIVE, **common),
        "FJRMIA": ConfidenceInversion(model, SENSITIVE, likelihood="confusion", **common),
        "CSMIA": ConfidenceInversion(model, SENSITIVE, method="csmia", **common),
        "LOMIA": LabelOnlyInversion(model, SENSITIVE, **common),
        # The strongest attacker of this family: imputation's per-record prior times the model's
        # likelihood. If even this does not beat imputation, the model adds nothing measurable.
        "MAP+imputation prior": ConfidenceInversion(model, SENSITIVE, prior="imputation",
                                                    **common),
    }


# ------------------------------------------------------------------------------------------
# Timing and scoring
# ------------------------------------------------------------------------------------------
def best_times_interleaved(funcs, repeats):
    """Best wall time of each function over ``repeats`` rounds, calling them in turn within a
    round (so that load from other processes on a shared machine hits them alike), and the
    last result of each."""
    best, results = [np.inf] * len(funcs), [None] * len(funcs)
    for _ in range(repeats):
        for i, func in enumerate(funcs):
            gc.collect()
            start = time.perf_counter()
            results[i] = func()
            best[i] = min(best[i], time.perf_counter() - start)
    return best, results


def completed_frame(X, candidates):
    """The n × k completed records, record-major (as the attacks build them), model dtypes."""
    k = len(candidates)
    frame = X.loc[X.index.repeat(k)].reset_index(drop=True)
    frame[SENSITIVE] = pd.array(np.tile(np.asarray(candidates, dtype=object), len(X)),
                                dtype=X[SENSITIVE].dtype)
    return frame


def scores(truth, guesses, baseline, n_resamples, seed):
    s = inference_scores(np.asarray(truth), np.asarray(guesses), positive_value=POSITIVE)
    row = {k: s[k] for k in ("accuracy", "balanced_accuracy", "mcc", "precision", "recall")}
    if baseline is not None:
        for metric, key in (("accuracy", "adv_acc"), ("mcc", "adv_mcc")):
            adv = advantage_over_baseline(truth, guesses, baseline, metric=metric,
                                          n_resamples=n_resamples, random_state=seed)
            row[key] = (adv.advantage, adv.ci_low, adv.ci_high)
    return row


def fmt_ci(value):
    if not isinstance(value, tuple):
        return ""
    point, low, high = value
    return f"{point:+.3f} [{low:+.3f}, {high:+.3f}]"


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=None,
                        help="attack a random subsample of N member rows (default: all 35,222)")
    parser.add_argument("--models", default=",".join(MODEL_NAMES),
                        help="comma-separated target models among rf,xgb,logreg,mlp")
    parser.add_argument("--n-jobs", type=int, default=None,
                        help="n_jobs of the attacks and of the RF/XGBoost models (default None: "
                             "one RF job, XGBoost's own default thread count)")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=3, help="timed runs; the best counts")
    parser.add_argument("--n-resamples", type=int, default=1000,
                        help="paired-bootstrap resamples for the advantage CIs")
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
    header(report, args)
    seed, n_jobs = args.random_state, args.n_jobs
    wall_start = time.perf_counter()

    train = load_adult(variant="mehnaz2022")
    query = load_adult(variant="mehnaz2022_query")
    X_train, y_train = train.data, train.target
    X_aux, X_out, y_aux, y_out = train_test_split(
        query.data, query.target, train_size=0.5, random_state=seed)
    X_mem, y_mem = X_train, y_train
    if args.members and args.members < len(X_train):
        X_mem = X_train.sample(n=args.members, random_state=seed)
        y_mem = y_train.loc[X_mem.index]
    populations = {"members": (X_mem, y_mem), "non-members": (X_out, y_out)}
    report(f"data    : target model trained on {len(X_train):,} rows (mehnaz2022); attacker's "
           f"auxiliary data {len(X_aux):,} labelled non-member rows; targets: "
           f"{len(X_mem):,} members, {len(X_out):,} non-members (mehnaz2022_query halves). "
           f"Sensitive '{SENSITIVE}', positive value '{POSITIVE}' "
           f"({(X_mem[SENSITIVE] == POSITIVE).mean():.3f} of members).")
    report()

    # The imputation baseline: the same auxiliary data and labels, no model; model-independent.
    baseline = ImputationBaseline(SENSITIVE, random_state=seed)
    start = time.perf_counter()
    baseline.fit(X_aux, np.asarray(y_aux))
    baseline_fit = time.perf_counter() - start
    baseline_guesses, rows = {}, []
    for population, (X, y) in populations.items():
        start = time.perf_counter()
        guesses = baseline.attack(X, np.asarray(y))
        seconds = time.perf_counter() - start
        baseline_guesses[population] = guesses.to_numpy()
        rows.append(dict(model="(none)", attack="imputation", population=population,
                         **scores(X[SENSITIVE].to_numpy(), guesses.to_numpy(), None, 0, seed)))
        report(f"imputation baseline: fit {baseline_fit:.2f} s on the auxiliary data, attack() "
               f"on {len(X):,} {population} {seconds:.2f} s (one run)")

    model_rows, ratio_rows, case_rows = [], [], []
    for model_name in args.models:
        model, encode = make_model(model_name, X_train, seed, n_jobs)
        start = time.perf_counter()
        model.fit(X_train, encode(y_train))
        train_seconds = time.perf_counter() - start
        model_rows.append(dict(
            model=model_name, train_s=round(train_seconds, 1),
            train_acc=float((model.predict(X_train) == encode(y_train)).mean()),
            test_acc=float((model.predict(X_out) == encode(y_out)).mean()),
            note=(f"{model[-1].n_iter_} epochs" if hasattr(model[-1], "n_iter_")
                  and np.ndim(model[-1].n_iter_) == 0 else ""),
        ))
        report(f"[{model_name}] trained in {train_seconds:.1f} s "
               f"(elapsed {time.perf_counter() - wall_start:.0f} s)")

        # The raw call the attacks cannot avoid, on the n × k frame built outside the timing.
        candidates = np.sort(X_aux[SENSITIVE].dropna().unique().astype(object))
        frame = completed_frame(X_mem, candidates)

        attacks = make_attacks(model, seed, n_jobs)
        y_mem_enc, y_out_enc = encode(y_mem), encode(y_out)
        for attack_name, attack in attacks.items():
            attack.fit(X_aux, encode(y_aux))
            method = attack.response_method_
            known, _ = split_known(attack.layout_, X_mem)
            load = os.getloadavg()[0]
            (raw, seconds, query_seconds), (_, guesses, _) = best_times_interleaved([
                lambda: getattr(model, method)(frame),
                lambda: attack.attack(X_mem, y_mem_enc),
                # the query engine alone: build the completions, call the model, reassemble
                lambda: query_candidates(
                    model, attack.layout_, known, attack.candidate_values_,
                    response_method=method, max_rows_per_call=attack.max_rows_per_call,
                    n_jobs=attack.n_jobs),
            ], args.repeats)
            ratio_rows.append(dict(
                model=model_name, attack=attack_name, raw_call=method,
                rows=f"{len(frame):,}", raw_s=raw, attack_s=seconds, query_s=query_seconds,
                ratio=seconds / raw, query_ratio=query_seconds / raw,
                goal="ok" if seconds / raw <= GOAL_RATIO else "ABOVE", load1=round(load, 1),
            ))
            if attack_name == "CSMIA":
                cases = attack.last_case_counts_
                case_rows.append(dict(model=model_name, what="CSMIA cases (members)",
                                      **{k: f"{v:,}" for k, v in cases.items()}))
            if attack_name == "LOMIA":
                case_rows.append(dict(model=model_name, what="LOMIA self-labelled (members)",
                                      one_match=f"{attack.last_n_self_labelled_:,}"))
            results = {"members": guesses,
                       "non-members": attack.attack(populations["non-members"][0], y_out_enc)}
            for population, pop_guesses in results.items():
                X, _ = populations[population]
                rows.append(dict(model=model_name, attack=attack_name, population=population,
                                 **scores(X[SENSITIVE].to_numpy(), pop_guesses.to_numpy(),
                                          baseline_guesses[population], args.n_resamples, seed)))

    # -- tables ------------------------------------------------------------------------------
    report()
    report.table(pd.DataFrame(model_rows).round(3),
                 "## Target models (Pipeline: OneHotEncoder on text, StandardScaler on numbers)")

    table = pd.DataFrame(rows)
    for column in ("adv_acc", "adv_mcc"):
        table[column] = table[column].map(fmt_ci) if column in table else ""
    table = table.rename(columns={
        "balanced_accuracy": "bal_acc", "precision": "prec(M)", "recall": "rec(M)",
        "adv_acc": "adv. acc vs imputation [95% CI]", "adv_mcc": "adv. MCC vs imputation [95% CI]",
    })
    for population in populations:
        part = table[table["population"] == population].drop(columns="population")
        report.table(
            part.round({"accuracy": 3, "bal_acc": 3, "mcc": 3, "prec(M)": 3, "rec(M)": 3}),
            f"## Attack quality, {population} ({len(populations[population][0]):,} targets). "
            "Advantage = (s_attack - s_imputation) / (1 - s_imputation) on the same records, "
            f"paired bootstrap ({args.n_resamples} resamples); (M) = Married")

    mlp = table[(table["model"] == "mlp") & (table["population"] == "members")]
    if len(mlp):
        paper_rows = []
        for attack_name, figures in PAPER.items():
            ours = mlp[mlp["attack"] == attack_name]
            if not len(ours):
                continue
            ours = ours.iloc[0]
            for metric, column in (("accuracy", "accuracy"), ("precision", "prec(M)"),
                                   ("recall", "rec(M)"), ("mcc", "mcc")):
                low, high = figures[metric]
                value = float(ours[column])
                inside = low - PAPER_TOLERANCE <= value <= high + PAPER_TOLERANCE
                paper_rows.append(dict(
                    attack=attack_name, metric=metric, ours=round(value, 3),
                    paper=f"{low:.3f}" if low == high else f"{low:.3f}-{high:.3f}",
                    within_2pts="yes" if inside else "NO",
                ))
        report.table(pd.DataFrame(paper_rows),
                     "## MLP, members vs the paper (Adult / DNN / marital; paper = [FIG] bar "
                     "chart ±2 pts, PyTorch port and our earlier sklearn re-run, lit. notes §3/§7)"
                     "\n## within_2pts: ours inside the paper's range widened by ±0.02")

    if case_rows:
        report.table(pd.DataFrame(case_rows).fillna(""),
                     "## CSMIA case counts and LOMIA self-labelled targets (members)")

    ratios = pd.DataFrame(ratio_rows)
    if len(ratios):
        report.table(
            ratios.round({"raw_s": 3, "attack_s": 3, "query_s": 3, "ratio": 2, "query_ratio": 2}),
            f"## Limit ratio = attack() wall time on the members / ONE raw call on the same n×k "
            f"frame built beforehand (best of {args.repeats}, interleaved); goal <= {GOAL_RATIO}."
            "\n## query_ratio = the query engine alone (tabinvert._query.query_candidates: build "
            "the completions, call the model, reassemble) / the raw call; load1 = 1-min load average "
            "before the timing (2 cores)")

    report("## Notes")
    report("- FJRMIA: the model's confusion matrix and the prior of marital are estimated on the "
           "attacker's 5,000 auxiliary rows (Mehnaz et al. computed them on the attacked data).")
    report("- LOMIA's attack model is tabinvert's default (HistGradientBoosting, known features + "
           "label), trained on the self-labelled targets; the paper used a BigML ensemble. Its "
           "training and prediction are inside LOMIA's attack() time, hence its ratio.")
    report("- The imputation baseline is model-independent (same auxiliary rows and labels, no "
           "queries), so one baseline serves every model; advantages are paired on the same "
           "records.")
    report("- Timings: one run of this script on a shared machine; compare ratios, not seconds.")
    report()
    report(f"load avg at end: {', '.join(f'{x:.2f}' for x in os.getloadavg())}; "
           f"total wall time {time.perf_counter() - wall_start:.0f} s")
    if args.out:
        report.write(args.out)
        print(f"written to {args.out}")


if __name__ == "__main__":
    main()

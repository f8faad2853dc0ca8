"""Benchmark: differentially private training against attribute inference, on Adult and warfarin.

Two sections (``--sections adult,warfarin``, both by default). In each, tabinvert's DP-SGD
estimators (``tabinvert.dp``) are trained at ε ∈ {0.5, 1, 2, 4, 8, ∞} (``--epsilons``; ∞ = the
same trainer with the same clipping, sampling and steps but no noise) and attacked exactly as
the non-private model is; every figure sits next to the non-private scikit-learn model's.

**adult** — Mehnaz et al. 2022 split (as ``bench_attacks.py``): a DP-SGD logistic regression
trained on the 35,222 ``mehnaz2022`` rows to predict ``income``; sensitive attribute
``marital``; the attacker's labelled auxiliary data is half of the 10,000 ``mehnaz2022_query``
rows, the other half are the non-member targets; members are the training rows (``--members N``
attacks a random subsample; the models always train on all of them). Utility = accuracy on the
10,000 query rows (none trained on). Attacks: CSMIA, MAP with the imputation prior, LOMIA and
the learned attack, each against the imputation baseline (same auxiliary rows and labels, no
model) on the same records: advantage = (s_attack - s_imputation) / (1 - s_imputation) in
accuracy and in MCC, with paired-bootstrap 95% intervals. The anchor: diffprivlib's
``LogisticRegression`` (objective perturbation, pure ε-DP) at the same finite ε, fitted in its
own virtualenv (``--diffprivlib-python``) on the same encoded training matrix; its
coefficients are put into a scikit-learn ``LogisticRegression`` behind the same encoder and
attacked in this process like every other model.

**warfarin** — Fredrikson et al. 2014's setting (as ``bench_attacks.py``): a DP-SGD linear
regression of the stable weekly dose on the IWPC complete cases (75% members, the rest halved
into auxiliary rows and non-members); VKORC1 inferred with MAP (Gaussian error model), MAP
with the imputation prior and the learned attack. CSMIA and LOMIA need a classifier (they
check which candidate reproduces the true label), so they do not apply to a dose regressor.
Utility = MAE on the 25% not trained on.

Training time: every model's fit (preprocessing included) is timed in this process, the
first fit cold and then the best of ``--repeats`` interleaved rounds. The DP fit calibrates
its noise to ε with dp-accounting, and tabinvert caches that calibration in-process, so the
cold fit includes it and the best of the later rounds does not. Ratios are against the same
DP-SGD code at ε = ∞ and against scikit-learn's non-private counterparts (``SGDClassifier(
loss="log_loss")`` / ``SGDRegressor`` for the same epochs, ``LogisticRegression`` /
``LinearRegression``); the issue's goal is ≤ 3×.

This is a script that prints tables, not a test::

    TABINVERT_DATA=../shared/datasets python benchmarks/bench_dp.py \\
        --diffprivlib-python ../dpl-venv/bin/python --out results.txt
"""

from __future__ import annotations

import argparse
import functools
import math
import os
import shlex
import subprocess
import sys
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    LogisticRegression,
    SGDClassifier,
    SGDRegressor,
)
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder

from tabinvert.dp import DPSGDClassifier, DPSGDRegressor, dpsgd_epsilon
from tabinvert.evaluation import run_attacks
from tabinvert.metrics import advantage_over_baseline

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402  (the helpers beside this file)
    MEHNAZ_SENSITIVE,
    Report,
    best_times_interleaved,
    choices,
    command_line,
    dose_model,
    fmt_ci,
    header,
    make_attacks,
    mehnaz_adult,
    pipeline,
    run_sections,
    text_columns,
    warfarin_frame,
    warfarin_setting,
)

SECTIONS = ("adult", "warfarin")
EPSILONS = (0.5, 1.0, 2.0, 4.0, 8.0, math.inf)
GOAL = 3.0  # the goal for the training-time ratio
EPOCHS = 20  # DPSGD's default; the SGD references run as many epochs
WARFARIN_SENSITIVE = "VKORC1"

# name in the tables -> name in _common.ATTACKS
ADULT_ATTACKS = {
    "CSMIA": "CSMIA",
    "MAP+imputation prior": "MAP+imputation prior",
    "LOMIA": "LOMIA",
    "learned": "learned",
}
WARFARIN_ATTACKS = {
    "MAP (gaussian)": "MAP",
    "MAP+imputation prior": "MAP+imputation prior",
    "learned": "learned",
}
NOT_FOR_REGRESSORS = {
    "CSMIA": "n/a: needs a classifier (keeps the candidates that reproduce the true label)",
    "LOMIA": "n/a: needs a classifier (labels its training set by which candidate "
    "reproduces the true label)",
}

TABINVERT, DIFFPRIVLIB, NONPRIVATE = "tabinvert DP-SGD", "diffprivlib", "non-private"

# ------------------------------------------------------------------------------------------
# diffprivlib: runs in its own virtualenv (--diffprivlib-python), needs numpy + diffprivlib
# ------------------------------------------------------------------------------------------
DIFFPRIVLIB_WORKER = r"""
import sys, time, warnings
from importlib import metadata

import numpy as np
from diffprivlib.accountant import BudgetAccountant
from diffprivlib.models import LogisticRegression as DPLogisticRegression
from sklearn.linear_model import LogisticRegression

source, target = sys.argv[1], sys.argv[2]
data = np.load(source)
X, y = data["X"], data["y"]
epsilons = [float(e) for e in data["epsilons"]]
data_norm, seed, repeats = float(data["data_norm"]), int(data["seed"]), int(data["repeats"])

def dp_fit(epsilon):
    return DPLogisticRegression(
        epsilon=epsilon, data_norm=data_norm, random_state=seed, accountant=BudgetAccountant()
    ).fit(X, y)

fits = [lambda: LogisticRegression().fit(X, y)]
fits += [lambda e=e: dp_fit(e) for e in epsilons]
best, models, caught = [np.inf] * len(fits), [None] * len(fits), []
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    warnings.simplefilter("ignore", DeprecationWarning)  # scipy's, about L-BFGS-B options
    for _ in range(repeats):  # interleaved rounds, the best time counts
        for i, fit in enumerate(fits):
            start = time.perf_counter()
            models[i] = fit()
            best[i] = min(best[i], time.perf_counter() - start)
out = {"sklearn_seconds": best[0], "classes": models[1].classes_}
for i, model in enumerate(models[1:]):
    out[f"coef_{i}"] = model.coef_
    out[f"intercept_{i}"] = model.intercept_
    out[f"seconds_{i}"] = best[i + 1]
    out[f"n_iter_{i}"] = model.n_iter_
# to check the rebuilt model: diffprivlib's own probabilities on the first training rows
for i, model in enumerate(models[1:]):
    out[f"proba_{i}"] = model.predict_proba(X[:200])
out["versions"] = np.array(
    [f"{d} {metadata.version(d)}" for d in ("diffprivlib", "scikit-learn", "numpy")]
)
out["warnings"] = np.array(sorted({f"{w.category.__name__}: {w.message}" for w in caught}) or [""])
np.savez(target, **out)
"""


def diffprivlib_version(python):
    """diffprivlib's, scikit-learn's and numpy's versions in ``python``, or None."""
    if not python:
        return None
    try:
        out = subprocess.run(
            [
                python,
                "-c",
                "from importlib import metadata as m\n"
                "print(', '.join(f'{d} {m.version(d)}' for d in "
                "('diffprivlib', 'scikit-learn', 'numpy')))",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return out.stdout.strip()


def run_diffprivlib(python, X, y, epsilons, data_norm, seed, repeats):
    """Fit diffprivlib's LogisticRegression at each ε in ``python``; its fitted attributes,
    fit times (best of ``repeats``) and scikit-learn's LogisticRegression time on the same
    matrix in the same process."""
    with tempfile.TemporaryDirectory(prefix="bench_dp_") as folder:
        source, target = os.path.join(folder, "data.npz"), os.path.join(folder, "fitted.npz")
        np.savez(
            source,
            X=np.ascontiguousarray(X, dtype=float),
            y=np.asarray(y).astype(str),
            epsilons=np.asarray(epsilons, dtype=float),
            data_norm=data_norm,
            seed=seed,
            repeats=repeats,
        )
        start = time.perf_counter()
        done = subprocess.run(
            [python, "-c", DIFFPRIVLIB_WORKER, source, target],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        wall = time.perf_counter() - start
        if done.returncode != 0:
            raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
        with np.load(target) as fitted:
            result = {key: fitted[key] for key in fitted.files}
    result["wall"] = wall
    return result


def scale01(X, lower, upper):
    """Clip to the bounds and map linearly onto [0, 1] (0 where lower = upper): the input of
    diffprivlib's model (one-hot columns stay 0/1)."""
    span = upper - lower
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (np.clip(np.asarray(X, dtype=float), lower, upper) - lower) / span
    return np.where(span > 0, out, 0.0)


def rebuilt_logistic(encoder, lower, upper, coef, intercept, classes):
    """A fitted scikit-learn LogisticRegression holding diffprivlib's coefficients, behind the
    same encoder and the [0, 1] scaling it was trained on."""
    scale = FunctionTransformer(scale01, kw_args={"lower": lower, "upper": upper})
    scale.fit(np.zeros((1, len(lower))))
    logistic = LogisticRegression()
    logistic.coef_ = np.asarray(coef, dtype=float)
    logistic.intercept_ = np.asarray(intercept, dtype=float)
    logistic.classes_ = np.asarray(classes, dtype=object)
    logistic.n_features_in_ = len(lower)
    logistic.n_iter_ = np.zeros(1, dtype=np.int32)
    return Pipeline([("encode", encoder), ("scale", scale), ("logistic", logistic)])


# ------------------------------------------------------------------------------------------
# Models
# ------------------------------------------------------------------------------------------
def blank(frame):
    """Missing cells shown empty."""
    return frame.astype(object).where(frame.notna(), "")


def eps_text(epsilon):
    return "∞" if math.isinf(epsilon) else f"{epsilon:g}"


def onehot_encoder(X):
    """One-hot on the text columns with their categories given (read from ``X``: the encoder
    itself then learns nothing), the numbers passed through; fitted on ``X``. Returns the
    encoder, the encoded ``X`` and the bounds: [0, 1] for the one-hot columns, each numeric
    column's minimum and maximum in ``X`` (read from the data, outside the guarantee)."""
    text = text_columns(X)
    numeric = [c for c in X.columns if c not in text]
    categories = [sorted(X[c].dropna().unique(), key=str) for c in text]
    encoder = ColumnTransformer(
        [
            (
                "onehot",
                OneHotEncoder(categories=categories, handle_unknown="ignore", sparse_output=False),
                text,
            ),
            ("numeric", "passthrough", numeric),
        ],
        verbose_feature_names_out=False,
    ).fit(X)
    encoded = np.asarray(encoder.transform(X), dtype=float)
    n_onehot = sum(len(c) for c in categories)
    lower = np.concatenate([np.zeros(n_onehot), encoded[:, n_onehot:].min(axis=0)])
    upper = np.concatenate([np.ones(n_onehot), encoded[:, n_onehot:].max(axis=0)])
    return encoder, encoded, (lower, upper), len(text), len(numeric)


def dp_pipeline(encoder, estimator, epsilon):
    """An unfitted DP pipeline: the encoder, then the DP estimator at ``epsilon``."""
    return Pipeline(
        [("encode", clone(encoder)), ("dp", clone(estimator).set_params(epsilon=epsilon))]
    )


def dp_makers(encoder, estimator, epsilons):
    """A function per ε building an unfitted DP pipeline."""
    return {eps: functools.partial(dp_pipeline, encoder, estimator, eps) for eps in epsilons}


def timed_fits(makers, X, y, repeats):
    """Fit each ``makers[name]()`` on (X, y): the first fit of each (cold: the DP fits
    calibrate their noise then) and the best of ``repeats`` interleaved rounds after it (the
    calibration is cached in-process by then). Returns ``{name: (cold s, best s, best CPU s,
    fitted model)}``."""

    def fit(make):
        return make().fit(X, y)

    funcs = [functools.partial(fit, make) for make in makers.values()]
    with warnings.catch_warnings():
        # the SGD references stop at EPOCHS on purpose
        warnings.simplefilter("ignore", ConvergenceWarning)
        cold = best_times_interleaved(funcs, 1)
        warm = best_times_interleaved(funcs, repeats)
    return {
        name: (cold.wall[i], warm.wall[i], warm.cpu[i], warm.results[i])
        for i, name in enumerate(makers)
    }


def time_table(fits, dp_names, ratio_refs):
    """The training-time rows: each model's cold and best fit, and the ratios of the DP fits
    to the references (best DP / best ref; cold DP / best ref)."""
    rows = []
    for name, (cold, best, cpu, _) in fits.items():
        row = dict(model=name, cold_s=cold, best_s=best, best_cpu_s=cpu)
        if name in dp_names:
            for label, ref in ratio_refs.items():
                ref_best = fits[ref][1]
                row[f"best/{label}"] = best / ref_best
                row[f"cold/{label}"] = cold / ref_best
        rows.append(row)
    table = pd.DataFrame(rows)
    ratio_columns = [c for c in table.columns if "/" in c]
    dp = table["model"].isin(dp_names)
    table[f"above {GOAL:g}x"] = ""
    table.loc[dp, f"above {GOAL:g}x"] = [
        ", ".join(c for c in ratio_columns if row[c] > GOAL) or "none"
        for _, row in table.loc[dp].iterrows()
    ]
    return blank(table.round(3))


# ------------------------------------------------------------------------------------------
# Attacks
# ------------------------------------------------------------------------------------------
def ci_side(low, high):
    if not (np.isfinite(low) and np.isfinite(high)):
        return "undefined"
    if low > 0:
        return "above 0"
    if high < 0:
        return "below 0"
    return "includes 0"


def label_rule_share(guesses, labels):
    """The share of targets whose guess is the value guessed most often for their label: 1
    when the guesses are a function of the label alone."""
    if labels is None:
        return np.nan
    guesses = pd.Series(np.asarray(guesses).astype(str))
    labels = np.asarray(labels).astype(str)
    modal = guesses.groupby(labels).transform(lambda part: part.value_counts().index[0])
    return float((guesses == modal).mean())


def attack_rows(model, family, epsilon, attacks, sensitive, X_aux, y_aux, targets, args, notes):
    """Run ``attacks`` (table name -> _common name) on ``model`` through ``run_attacks``
    (imputation baseline on the same records); one row per (attack, population) with the
    accuracy advantage from the run and the MCC advantage from its guesses."""
    seed = args.random_state
    built = make_attacks(model, sensitive, list(attacks.values()), random_state=seed)
    named = {label: built[name] for label, name in attacks.items()}
    run = run_attacks(
        named,
        X_aux,
        y_aux,
        targets=targets,
        n_resamples=args.n_resamples,
        random_state=seed,
    )
    rows = []
    for r in run.table.itertuples():
        if r.attack == "imputation":
            continue
        truth = run.truths[r.population]
        guesses = run.guesses[r.attack, r.population]
        baseline = run.baselines[run.baseline_keys[r.attack]][1][r.population][0]
        mcc = advantage_over_baseline(
            truth,
            guesses,
            baseline,
            metric="mcc",
            n_resamples=args.n_resamples,
            random_state=seed,
        )
        rows.append(
            dict(
                family=family,
                epsilon=eps_text(epsilon) if epsilon is not None else "-",
                attack=r.attack,
                population=r.population,
                n=r.n_records,
                accuracy=r.score,
                imputation=r.baseline_score,
                adv=(r.advantage, r.advantage_ci_low, r.advantage_ci_high),
                adv_mcc=(mcc.advantage, mcc.ci_low, mcc.ci_high),
                ci=ci_side(r.advantage_ci_low, r.advantage_ci_high),
                seconds=r.seconds,
                label_rule=label_rule_share(guesses, targets[r.population][1]),
            )
        )
        if r.notes:
            notes.setdefault(
                f"{family} ε={rows[-1]['epsilon']}, {r.attack}, {r.population}: {r.notes}"
            )
    learned = run.attacks.get("learned")
    if learned is not None and getattr(learned, "selection_", None):
        sel = learned.selection_
        scores = ", ".join(
            f"{k} {sel[k]:.3f}" for k in ("learner", "imputation", "marginal") if sel[k] is not None
        )
        notes.setdefault(
            f"{family} ε={eps_text(epsilon) if epsilon is not None else '-'}: learned attack "
            f"model = {sel['chosen']}"
            + (f" (5-fold CV {sel['metric']}: {scores})" if scores else "")
        )
    return rows


def attack_tables(report, rows, populations, utility_name, utility, n_resamples):
    """The long attack tables, one per population."""
    report("## Detail: every attack on every model")
    table = pd.DataFrame(rows)
    table[utility_name] = [utility[(f, e)] for f, e in zip(table["family"], table["epsilon"])]
    table["adv. accuracy [95% CI]"] = table["adv"].map(fmt_ci)
    table["adv. MCC [95% CI]"] = table["adv_mcc"].map(fmt_ci)
    table = table.rename(columns={"ci": "accuracy CI"})
    for population, n in populations.items():
        part = table[table["population"] == population]
        report.table(
            part[
                [
                    "family",
                    "epsilon",
                    utility_name,
                    "attack",
                    "accuracy",
                    "imputation",
                    "adv. accuracy [95% CI]",
                    "accuracy CI",
                    "adv. MCC [95% CI]",
                    "seconds",
                ]
            ].round({"accuracy": 3, "imputation": 3, utility_name: 3, "seconds": 1}),
            f"### {population} ({n:,} targets): attack accuracy, imputation's accuracy on the "
            "same records, advantage = (s_attack - s_imputation) / (1 - s_imputation) with "
            f"its paired-bootstrap 95% CI ({n_resamples} resamples); accuracy CI = where "
            "that interval lies; seconds = the attack's fit + attack() on this population",
        )


def summary_pivot(report, rows, populations, attack_names, not_applicable=None):
    """Per population: the accuracy advantage of every attack by model, side by side."""
    table = pd.DataFrame(rows)
    for population in populations:
        part = table[table["population"] == population]
        pivot = {}
        for r in part.itertuples():
            pivot.setdefault((r.family, r.epsilon), {})[r.attack] = fmt_ci(r.adv)
        frame = pd.DataFrame(
            [
                dict(family=f, epsilon=e, **{a: cells.get(a, "") for a in attack_names})
                for (f, e), cells in pivot.items()
            ]
        )
        for name, why in (not_applicable or {}).items():
            frame[name] = "n/a"
        report.table(
            frame,
            f"### {population}: advantage over imputation in accuracy [95% CI], by attack",
        )
    if not_applicable:
        for name, why in not_applicable.items():
            report(f"  {name}: {why}")
        report()


def zero_table(report, rows):
    """For each attack, population and family: the ε at which the accuracy advantage's
    interval includes 0, lies above it, lies below it."""
    table = pd.DataFrame(rows)
    out = []
    for (family, attack, population), part in table.groupby(
        ["family", "attack", "population"], sort=False
    ):
        sides = {
            side: ", ".join(part.loc[part["ci"] == side, "epsilon"])
            for side in ("includes 0", "above 0", "below 0")
        }
        out.append(dict(family=family, attack=attack, population=population, **sides))
    report.table(
        pd.DataFrame(out),
        "### Where each accuracy-advantage interval lies, by ε ('-' = the non-private model)",
    )


# ------------------------------------------------------------------------------------------
# 1. Adult
# ------------------------------------------------------------------------------------------
def section_adult(report, args, state):
    seed = args.random_state
    report.banner(
        f"## 1. Adult, Mehnaz et al. 2022 split: sensitive '{MEHNAZ_SENSITIVE}', target income; "
        "DP logistic regression at each ε"
    )
    X_train, y_train, X_aux, X_out, y_aux, y_out = mehnaz_adult(seed)
    y_train, y_aux, y_out = np.asarray(y_train), np.asarray(y_aux), np.asarray(y_out)
    X_mem, y_mem = X_train, y_train
    if args.members and args.members < len(X_train):
        picked = np.random.default_rng(seed).choice(len(X_train), args.members, replace=False)
        X_mem, y_mem = X_train.iloc[np.sort(picked)], y_train[np.sort(picked)]
    targets = {"members": (X_mem, y_mem), "non-members": (X_out, y_out)}
    X_test = pd.concat([X_aux, X_out])
    y_test = np.concatenate([y_aux, y_out])

    encoder, encoded, (lower, upper), n_text, n_numeric = onehot_encoder(X_train)
    classes = np.unique(y_train)
    estimator = DPSGDClassifier(
        epsilon=1.0, bounds=(lower, upper), classes=classes, epochs=EPOCHS, random_state=seed
    )
    report(
        f"data    : trained on {len(X_train):,} rows (mehnaz2022); attacker's auxiliary data "
        f"{len(X_aux):,} labelled rows; targets {len(X_mem):,} members"
        + (" (a random subsample, --members)" if len(X_mem) < len(X_train) else " (all)")
        + f" and {len(X_out):,} non-members (mehnaz2022_query halves); utility = accuracy on "
        f"the {len(X_test):,} query rows (auxiliary + non-member halves, none trained on)."
    )
    report(
        f"DP model: Pipeline(OneHotEncoder(categories given) on {n_text} text columns + "
        f"{n_numeric} numeric passed through = {encoded.shape[1]} features → "
        f"DPSGDClassifier(epsilon=ε, bounds, classes, epochs={EPOCHS}, batch_size="
        f"{estimator.batch_size}, learning_rate={estimator.learning_rate}, clip_norm="
        f"{estimator.clip_norm}, random_state={seed})); δ = its default 1/(10 n); the same "
        "random_state at every ε, so the runs see the same batches and differ by the noise only."
    )
    report(
        "  leak note: the one-hot categories, the numeric columns' bounds (min and max) and the "
        "label set were read from the training data (one-hot columns have bounds [0, 1]): the "
        "guarantee covers the DP-SGD run, not those facts, which a deployment fixes in advance "
        "from domain knowledge. The same holds for the diffprivlib anchor's inputs below."
    )
    report(
        "  references: non-private = the bench_attacks logistic-regression pipeline (OneHotEncoder "
        "+ StandardScaler + LogisticRegression(max_iter=1000), lbfgs) — attacked as the "
        f"non-private row; SGD = the same preprocessing + SGDClassifier(loss='log_loss', "
        f"max_iter={EPOCHS}, tol=None) — the same number of epochs, timed only."
    )
    report()

    # -- training, timed ---------------------------------------------------------------------
    makers = {
        "LogisticRegression (lbfgs)": lambda: pipeline(X_train, LogisticRegression(max_iter=1000)),
        f"SGDClassifier {EPOCHS} epochs": lambda: pipeline(
            X_train,
            SGDClassifier(loss="log_loss", max_iter=EPOCHS, tol=None, random_state=seed),
        ),
    }
    dp_names = {}
    for eps, make in dp_makers(encoder, estimator, args.epsilons).items():
        dp_names[f"DP-SGD ε={eps_text(eps)}"] = eps
        makers[f"DP-SGD ε={eps_text(eps)}"] = make
    start = time.perf_counter()
    fits = timed_fits(makers, X_train, y_train, args.repeats)
    report(f"[trained and timed {len(fits)} models in {time.perf_counter() - start:.0f} s]")
    ratio_refs = {"SGD": f"SGDClassifier {EPOCHS} epochs", "LR": "LogisticRegression (lbfgs)"}
    if "DP-SGD ε=∞" in fits:
        ratio_refs = {"ε=∞": "DP-SGD ε=∞", **ratio_refs}
    timing = time_table(fits, set(dp_names), ratio_refs)

    models = {(NONPRIVATE, "-"): fits["LogisticRegression (lbfgs)"][3]}
    info = [
        dict(
            family=NONPRIVATE,
            epsilon="-",
            model="LogisticRegression (sklearn)",
            eps_accounted="",
            delta="",
            noise_multiplier="",
            steps="",
        )
    ]
    for name, eps in dp_names.items():
        model = fits[name][3]
        models[(TABINVERT, eps_text(eps))] = model
        dp = model[-1]
        info.append(
            dict(
                family=TABINVERT,
                epsilon=eps_text(eps),
                model="DPSGDClassifier",
                eps_accounted=f"{dp.epsilon_:.4g}",
                delta=f"{dp.delta_:.2g}",
                noise_multiplier=f"{dp.noise_multiplier_:.3f}",
                steps=dp.n_steps_,
            )
        )

    # -- diffprivlib, in its own venv ---------------------------------------------------------
    finite = [e for e in args.epsilons if math.isfinite(e)]
    data_norm = math.sqrt(n_text + n_numeric)
    dpl, dpl_text = None, "not run (no --diffprivlib-python)"
    if args.diffprivlib_python:
        try:
            dpl = run_diffprivlib(
                args.diffprivlib_python,
                scale01(encoded, lower, upper),
                y_train,
                finite,
                data_norm,
                seed,
                args.repeats,
            )
            dpl_text = f"{', '.join(dpl['versions'])}; subprocess wall {dpl['wall']:.0f} s"
        except Exception as exc:  # report, keep the rest of the run
            dpl_text = f"not run: {type(exc).__name__}: {exc}"
    dpl_rows, reproduced = [], []
    for i, eps in enumerate(finite):
        if dpl is None:
            info.append(
                dict(
                    family=DIFFPRIVLIB,
                    epsilon=eps_text(eps),
                    model="LogisticRegression",
                    eps_accounted=dpl_text,
                    delta="",
                    noise_multiplier="",
                    steps="",
                )
            )
            continue
        models[(DIFFPRIVLIB, eps_text(eps))] = rebuilt = rebuilt_logistic(
            encoder, lower, upper, dpl[f"coef_{i}"], dpl[f"intercept_{i}"], dpl["classes"]
        )
        proba = dpl[f"proba_{i}"]
        reproduced.append(
            float(np.max(np.abs(rebuilt.predict_proba(X_train.iloc[: len(proba)]) - proba)))
        )
        info.append(
            dict(
                family=DIFFPRIVLIB,
                epsilon=eps_text(eps),
                model="LogisticRegression",
                eps_accounted=f"{eps:g} (pure ε)",
                delta="0",
                noise_multiplier="",
                steps=f"{int(np.max(dpl[f'n_iter_{i}']))} L-BFGS iter.",
            )
        )
        dpl_rows.append(
            dict(
                model=f"diffprivlib ε={eps_text(eps)}",
                best_s=float(dpl[f"seconds_{i}"]),
                sklearn_LR_s=float(dpl["sklearn_seconds"]),
                ratio=float(dpl[f"seconds_{i}"]) / float(dpl["sklearn_seconds"]),
            )
        )
    report(
        f"diffprivlib anchor: {dpl_text}. diffprivlib.models.LogisticRegression(epsilon=ε, "
        f"data_norm={data_norm:.4f}, random_state={seed}, accountant=a fresh BudgetAccountant; "
        "defaults otherwise: C=1, max_iter=100) fitted on the same one-hot matrix with every "
        "column mapped onto [0, 1] by the same bounds (one-hot columns unchanged), so no row's "
        f"norm exceeds √({n_text} one-hot groups + {n_numeric} numeric columns) = "
        f"{data_norm:.4f}: data_norm follows from the encoding and the bounds, not from a row's "
        "norm (computing it from the data would leak, like the bounds; diffprivlib would warn). "
        "diffprivlib also reads the label set from y without saying so. Its coef_, intercept_ "
        "and classes_ are put into a scikit-learn LogisticRegression behind the same encoder "
        "and [0, 1] scaling, attacked here like the others. ε = ∞ has no diffprivlib "
        "counterpart (its non-private limit is a plain logistic regression: see the "
        "non-private row). diffprivlib is pure ε-DP (δ = 0); tabinvert's DP-SGD is (ε, δ)-DP "
        "with the δ shown."
    )
    if reproduced:
        report(
            f"  check: the rebuilt pipelines reproduce diffprivlib's own predict_proba on the "
            f"first {len(dpl['proba_0'])} training rows to within {max(reproduced):.1e} "
            "(largest absolute difference over the ε)."
        )
    if dpl is not None and str(dpl["warnings"][0]):
        report(f"  diffprivlib warnings: {'; '.join(str(w) for w in dpl['warnings'])}")
    report()

    # -- utility ------------------------------------------------------------------------------
    utility = {key: float(np.mean(m.predict(X_test) == y_test)) for key, m in models.items()}
    for row in info:
        row["accuracy (held-out)"] = utility.get((row["family"], row["epsilon"]), "not run")
        if row["family"] == TABINVERT or row["family"] == NONPRIVATE:
            name = (
                "LogisticRegression (lbfgs)"
                if row["family"] == NONPRIVATE
                else f"DP-SGD ε={row['epsilon']}"
            )
            row["fit s (best)"] = round(fits[name][1], 2)
    report.table(
        blank(pd.DataFrame(info)),
        "## Models: ε asked, ε accounted (tabinvert: dp-accounting's PLD accountant; "
        "diffprivlib: its objective perturbation is ε-DP by construction), δ, noise multiplier, "
        "steps, and utility = accuracy on the 10,000 held-out rows",
    )

    report.table(
        timing,
        f"## Training time (whole pipeline fit, encoder included), this process: cold = the "
        f"first fit (a DP fit calibrates its noise to ε then); best = the best of "
        f"{args.repeats} interleaved rounds after it (the calibration is cached in-process by "
        "then, so best is DP-SGD's training alone). Ratios: best/X = DP best ÷ X best, "
        "cold/X = DP cold ÷ X best, X = the same DP-SGD code at ε=∞ (clipping on, no noise), "
        f"SGDClassifier(log_loss) for {EPOCHS} epochs, LogisticRegression (lbfgs); the issue's "
        f"goal is ≤ {GOAL:g}× (last column: the ratios above it). load avg now: "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
    )
    if dpl_rows:
        report.table(
            pd.DataFrame(dpl_rows).round(3),
            "## diffprivlib's fit time in its own process (best of the same rounds, on the "
            "encoded [0, 1] matrix, no encoder): ratio = diffprivlib ÷ scikit-learn 1.7's "
            "LogisticRegression() on the same matrix in the same process",
        )

    # -- attacks ------------------------------------------------------------------------------
    rows, notes = [], {}
    start = time.perf_counter()
    for (family, eps), model in models.items():
        rows += attack_rows(
            model,
            family,
            None if eps == "-" else (math.inf if eps == "∞" else float(eps)),
            ADULT_ATTACKS,
            MEHNAZ_SENSITIVE,
            X_aux,
            y_aux,
            targets,
            args,
            notes,
        )
    report(
        f"[attacked {len(models)} models × {len(ADULT_ATTACKS)} attacks × 2 populations in "
        f"{time.perf_counter() - start:.0f} s]"
    )
    report()
    populations = {p: len(X) for p, (X, _) in targets.items()}
    report.banner("## Adult: attacks (sensitive 'marital', Married / Single)")
    summary_pivot(report, rows, populations, list(ADULT_ATTACKS))
    zero_table(report, rows)
    side_by_side(report, rows, utility, finite, dpl is not None, dpl_text)
    attack_tables(report, rows, populations, "accuracy_model", utility, args.n_resamples)
    csmia = pd.DataFrame(rows).query("attack == 'CSMIA'")["label_rule"]
    report(
        f"- CSMIA: on every model, {csmia.min():.1%}–{csmia.max():.1%} of the targets (members "
        "and non-members) get the value CSMIA guesses most often for their income label. On a "
        "logistic model and a binary attribute, CSMIA's rules (one candidate reproduces the "
        "label; else the most, or the least, confident) pick the value whose coefficient "
        "favours the label, whatever the coefficients' size: its guess depends on the label and "
        "that sign only, so DP noise that keeps the sign leaves it unchanged (identical rows)."
    )
    for line in notes:
        report(f"- {line}")
    report()
    state["adult"] = rows


def side_by_side(report, rows, utility, epsilons, ran, why):
    """tabinvert's DP-SGD logistic regression and diffprivlib's at the same ε."""
    table = pd.DataFrame(rows)
    out = []
    for eps in map(eps_text, epsilons):
        for attack in ADULT_ATTACKS:
            row = {"ε": eps, "attack": attack}
            row["utility tabinvert"] = utility.get((TABINVERT, eps), np.nan)
            row["utility diffprivlib"] = utility.get((DIFFPRIVLIB, eps), "not run")
            for population in ("members", "non-members"):
                for family, short in ((TABINVERT, "tabinvert"), (DIFFPRIVLIB, "diffprivlib")):
                    cell = table[
                        (table["family"] == family)
                        & (table["epsilon"] == eps)
                        & (table["attack"] == attack)
                        & (table["population"] == population)
                    ]
                    row[f"{population} {short}"] = (
                        fmt_ci(cell["adv"].iloc[0]) if len(cell) else "not run"
                    )
            out.append(row)
    report.table(
        pd.DataFrame(out).round(3),
        "### tabinvert DP-SGD vs diffprivlib LogisticRegression at the same ε, same split, "
        "same attacks and baseline: utility = held-out accuracy; cells = advantage over "
        "imputation in accuracy [95% CI]" + ("" if ran else f" — diffprivlib {why}"),
    )


# ------------------------------------------------------------------------------------------
# 2. Warfarin
# ------------------------------------------------------------------------------------------
def section_warfarin(report, args, state):
    seed = args.random_state
    report.banner(
        "## 2. IWPC warfarin, Fredrikson et al. 2014: VKORC1 from a dose model; DP linear "
        "regression at each ε"
    )
    X, dose, n_raw, n_kept = warfarin_frame()
    train, aux, out, ols, sigma = warfarin_setting(X, dose, seed)
    held = np.concatenate([aux, out])
    X_train, y_train = X.iloc[train], dose[train]
    targets = {"members": (X_train, y_train), "non-members": (X.iloc[out], dose[out])}
    encoder, encoded, (lower, upper), n_text, n_numeric = onehot_encoder(X_train)
    target_bounds = (float(y_train.min()), float(y_train.max()))
    estimator = DPSGDRegressor(
        epsilon=1.0,
        bounds=(lower, upper),
        target_bounds=target_bounds,
        epochs=EPOCHS,
        random_state=seed,
    )
    report(
        f"data    : load_warfarin() ({n_raw:,} patients) -> {n_kept:,} complete stable-dose "
        f"cases (as bench_attacks.py); {len(train):,} members train the dose model; "
        f"{len(aux):,} auxiliary rows (genotypes and doses known to the attacker) and "
        f"{len(out):,} non-member targets; utility = MAE (mg/week) on those {len(held):,} rows "
        "not trained on. The attacker knows every feature but VKORC1 and the patient's dose (y)."
    )
    report(
        f"DP model: Pipeline(OneHotEncoder(categories given) on {n_text} text columns + "
        f"{n_numeric} numeric = {encoded.shape[1]} features → DPSGDRegressor(epsilon=ε, bounds, "
        f"target_bounds=({target_bounds[0]:g}, {target_bounds[1]:g}), epochs={EPOCHS}, "
        f"batch_size={estimator.batch_size}, learning_rate={estimator.learning_rate}, "
        f"clip_norm={estimator.clip_norm}, random_state={seed})); δ = 1/(10 n). Leak note: "
        "categories, feature bounds and target bounds were read from the training data (see "
        "Adult). Non-private = Fredrikson's OLS pipeline (OneHotEncoder + StandardScaler + "
        f"LinearRegression, σ = {sigma:.2f}); SGD reference = the same preprocessing + "
        f"SGDRegressor(max_iter={EPOCHS}, tol=None), timed only."
    )
    report(
        "attacks : MAP (gaussian) = ConfidenceInversion(model, 'VKORC1'): Gaussian error "
        "model with σ = the model's RMSE on the attacker's auxiliary rows (each model's own: a "
        "noisier model gets a wider σ), marginal prior; MAP+imputation prior = the same "
        "likelihood times the imputation baseline's per-record prior; learned = "
        "LearnedInversion(model, 'VKORC1'). CSMIA and LOMIA do not apply (regressor)."
    )
    report()

    makers = {
        "LinearRegression (OLS)": dose_model,
        f"SGDRegressor {EPOCHS} epochs": lambda: dose_model().set_params(
            regress=SGDRegressor(max_iter=EPOCHS, tol=None, random_state=seed)
        ),
    }
    dp_names = {}
    for eps, make in dp_makers(encoder, estimator, args.epsilons).items():
        dp_names[f"DP-SGD ε={eps_text(eps)}"] = eps
        makers[f"DP-SGD ε={eps_text(eps)}"] = make
    fits = timed_fits(makers, X_train, y_train, args.repeats)
    ratio_refs = {"SGD": f"SGDRegressor {EPOCHS} epochs", "OLS": "LinearRegression (OLS)"}
    if "DP-SGD ε=∞" in fits:
        ratio_refs = {"ε=∞": "DP-SGD ε=∞", **ratio_refs}
    timing = time_table(fits, set(dp_names), ratio_refs)

    models = {(NONPRIVATE, "-"): fits["LinearRegression (OLS)"][3]}
    info = [
        dict(
            family=NONPRIVATE,
            epsilon="-",
            model="LinearRegression (sklearn)",
            eps_accounted="",
            delta="",
            noise_multiplier="",
            steps="",
            fit_s=round(fits["LinearRegression (OLS)"][1], 3),
        )
    ]
    for name, eps in dp_names.items():
        model = fits[name][3]
        models[(TABINVERT, eps_text(eps))] = model
        dp = model[-1]
        info.append(
            dict(
                family=TABINVERT,
                epsilon=eps_text(eps),
                model="DPSGDRegressor",
                eps_accounted=f"{dp.epsilon_:.4g}",
                delta=f"{dp.delta_:.2g}",
                noise_multiplier=f"{dp.noise_multiplier_:.3f}",
                steps=dp.n_steps_,
                fit_s=round(fits[name][1], 3),
            )
        )
    utility = {
        key: float(np.mean(np.abs(m.predict(X.iloc[held]) - dose[held])))
        for key, m in models.items()
    }
    for row in info:
        row["MAE (held-out)"] = round(utility[(row["family"], row["epsilon"])], 2)
    report.table(
        pd.DataFrame(info),
        "## Models: ε asked and accounted (PLD), δ, noise multiplier, steps, fit time (best), "
        "utility = MAE on the held-out patients (mg/week)",
    )
    report.table(
        timing,
        "## Training time (as for Adult): cold = first fit (noise calibration included), best = "
        f"best of {args.repeats} rounds after it (calibration cached); ratios to DP-SGD ε=∞, "
        f"SGDRegressor {EPOCHS} epochs, LinearRegression (OLS); goal ≤ {GOAL:g}× (last column: "
        "the ratios above it)",
    )

    rows, notes = [], {}
    for (family, eps), model in models.items():
        rows += attack_rows(
            model,
            family,
            None if eps == "-" else (math.inf if eps == "∞" else float(eps)),
            WARFARIN_ATTACKS,
            WARFARIN_SENSITIVE,
            X.iloc[aux],
            dose[aux],
            targets,
            args,
            notes,
        )
    populations = {p: len(Xp) for p, (Xp, _) in targets.items()}
    report.banner("## Warfarin: attacks on VKORC1 (3 genotypes; MCC is the multi-class MCC)")
    summary_pivot(
        report,
        rows,
        populations,
        list(WARFARIN_ATTACKS),
        not_applicable=NOT_FOR_REGRESSORS,
    )
    zero_table(report, rows)
    attack_tables(report, rows, populations, "MAE_model", utility, args.n_resamples)
    for line in notes:
        report(f"- {line}")
    report(
        "- Reading: DP bounds what the model reveals about any one patient. The dose–VKORC1 "
        "relation is what the model is trained to learn about the population; an attack that "
        "uses it works on non-members as well as on members (compare the two populations), and "
        "DP is not meant to remove it."
    )
    report()
    state["warfarin"] = rows


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------
def parse_epsilons(parser, text):
    values = []
    for item in text.split(","):
        item = item.strip().lower()
        if not item:
            continue
        try:
            value = math.inf if item in ("inf", "∞") else float(item)
        except ValueError:
            parser.error(f"--epsilons: {item!r} is not a number (use inf for no noise)")
        if not value > 0:
            parser.error(f"--epsilons: {item!r} must be positive")
        values.append(value)
    if not values:
        parser.error("--epsilons: give at least one ε")
    return sorted(set(values))


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sections",
        default=",".join(SECTIONS),
        help="comma-separated subset of adult,warfarin (default: both)",
    )
    parser.add_argument(
        "--epsilons",
        default="0.5,1,2,4,8,inf",
        help="comma-separated privacy budgets; inf = the same trainer without noise",
    )
    parser.add_argument(
        "--diffprivlib-python",
        default=None,
        metavar="PATH",
        help="a python with diffprivlib (and numpy, scikit-learn) for the Adult anchor; "
        "without it the anchor rows say 'not run'",
    )
    parser.add_argument(
        "--members",
        type=int,
        default=None,
        help="adult: attack a random subsample of N member rows (the models train on all "
        "35,222; default: attack all)",
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed fit rounds after the cold one; the best counts",
    )
    parser.add_argument(
        "--n-resamples", type=int, default=1000, help="paired-bootstrap resamples for the CIs"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a couple of minutes: 2,000 Adult members attacked, 200 resamples, 1 timed round",
    )
    parser.add_argument("--out", default=None, help="also write the output to this text file")
    args = parser.parse_args(argv)
    args.sections = choices(parser, args.sections, SECTIONS, "section", required=True)
    args.epsilons = parse_epsilons(parser, args.epsilons)
    if args.quick:
        args.members = min(args.members or 2000, 2000)
        args.n_resamples = min(args.n_resamples, 200)
        args.repeats = 1
    return args


def main(argv=None):
    args = parse_args(argv)
    report = Report()
    dpl = diffprivlib_version(args.diffprivlib_python) if "adult" in args.sections else None
    header(
        report,
        "# bench_dp: differentially private training (tabinvert.dp) against attribute "
        "inference — Adult (Mehnaz split, marital) and IWPC warfarin (VKORC1)",
        f"sections={','.join(args.sections)}, epsilons={','.join(map(eps_text, args.epsilons))}, "
        f"members={args.members or 'all'}, random_state={args.random_state}, "
        f"repeats={args.repeats}, bootstrap resamples={args.n_resamples}, quick={args.quick}",
        versions=("tabinvert", "scikit-learn", "numpy", "pandas", "scipy", "dp-accounting"),
        extra=[
            (
                "anchor",
                f"{dpl} (its own venv, run as a subprocess)"
                if dpl
                else "diffprivlib not run"
                + (
                    f" (no diffprivlib at {args.diffprivlib_python})"
                    if args.diffprivlib_python
                    else " (no --diffprivlib-python)"
                ),
            )
        ],
    )
    # Results files show the command as typed from the repository root: 'python', not the
    # interpreter's absolute path.
    report.lines[1] = "command : " + command_line().replace(
        shlex.quote(sys.executable), "python", 1
    )
    # dp-accounting's import (a second or so) is paid here, not by the first timed DP fit.
    dpsgd_epsilon(1.0, 0.01, 10, 1e-5)
    wall = time.perf_counter()
    seconds = run_sections(report, args, {"adult": section_adult, "warfarin": section_warfarin}, {})
    report.finish(
        wall, args.out, " (" + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + ")"
    )


if __name__ == "__main__":
    main()

"""How much of an assessment is the model's own work: ``assess`` on full Adult as a multiple of
its floor, with a per-stage breakdown.

Setting (issue 13): the UCI Adult training split (32,561 people) are the members; the test
split (16,281) is the holdout, half of which becomes the attacker's auxiliary data (8,140) and
the other half the non-members (8,141). The sensitive attributes are marital status (7 values),
race (5) and sex (2): a 40,702 × 14 = 569,828-row record × candidate grid. The targets are a
random forest and a HistGradientBoosting classifier, each behind a OneHotEncoder /
StandardScaler ColumnTransformer on the raw DataFrame.

The floor is what any honest assessment must do at least once: one batched ``predict_proba``
over each (attribute, population) grid, and one imputation fit per attribute (the baseline that
never queries the model). ``assess`` is timed as a whole, undefended and with three output
defenses (rounding to 0.1, top-1, label-only), and reported as a multiple of that floor (goals:
≤ 2× undefended, ≤ 3× with the three defenses). Stages come from the timestamps of the
progress messages ``assess`` prints: the attacks on each attribute, the per-record exposure
and the defense sweep.

Run (about 3–4 minutes on 2 cores, both models, undefended and defended)::

    TABINVERT_DATA=../shared/datasets python benchmarks/bench_assess.py \\
        --out benchmarks/results/bench_assess_YYYY-MM-DD.txt

To compare with an older version of the package, point ``PYTHONPATH`` at its checkout (the
script uses only the public API): ``git worktree add /tmp/before <commit>`` then
``PYTHONPATH=/tmp/before python benchmarks/bench_assess.py ...``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402
    ROOT,
    Report,
    header,
    options_text,
    pipeline,
    portable_path,
    query_grid,
)

SENSITIVE = ("marital-status", "race", "sex")
MODELS = ("rf", "hgb")


def adult_setting(seed):
    """Members, holdout and their labels, as ``assess`` takes them."""
    from tabinvert.datasets import load_adult

    frame = load_adult().frame
    X = frame.drop(columns=["income", "split"])
    y = frame["income"].to_numpy()
    train = (frame["split"] == "train").to_numpy()
    return X[train].reset_index(drop=True), y[train], X[~train].reset_index(drop=True), y[~train]


def make_target(name, X, y, seed, n_jobs):
    if name == "rf":
        clf = RandomForestClassifier(100, min_samples_leaf=1, random_state=seed, n_jobs=n_jobs)
    else:
        clf = HistGradientBoostingClassifier(random_state=seed)
    # HistGradientBoosting takes dense input only: the one-hot columns stay dense.
    return pipeline(X, clf).set_params(prepare__sparse_threshold=0.0).fit(X, y)


def floor_seconds(model, X_train, y_train, X_holdout, y_holdout, seed):
    """One grid call per (attribute, population) and one imputation fit per attribute, with
    the same auxiliary / non-member split ``assess`` makes (half the holdout, seeded)."""
    from tabinvert.attacks import ImputationBaseline

    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X_holdout))
    n_aux = len(X_holdout) // 2
    X_aux, y_aux = X_holdout.iloc[order[:n_aux]], y_holdout[order[:n_aux]]
    X_out = X_holdout.iloc[order[n_aux:]]
    grid = impute = 0.0
    for column in SENSITIVE:
        candidates = pd.unique(X_aux[column].dropna())
        for X in (X_train, X_out):
            start = time.perf_counter()
            query_grid(model, X, column, candidates, max_rows_per_call=131_072)
            grid += time.perf_counter() - start
        start = time.perf_counter()
        ImputationBaseline(column, random_state=seed).fit(X_aux, y_aux)
        impute += time.perf_counter() - start
    return grid, impute


def timed_assess(model, X_train, y_train, X_holdout, y_holdout, seed, defenses, n_jobs):
    """``assess`` as a whole, and the seconds between its progress messages (the stages)."""
    from tabinvert import assess

    marks = []

    def progress(message):
        marks.append((time.perf_counter(), message))

    start = time.perf_counter()
    result = assess(
        model,
        X_train,
        y_train,
        X_holdout=X_holdout,
        y_holdout=y_holdout,
        sensitive=list(SENSITIVE),
        defenses=defenses,
        n_resamples=200,
        random_state=seed,
        n_jobs=n_jobs,
        progress=progress,
    )
    total = time.perf_counter() - start
    stages, previous = [], start
    labels = ["setup"] + [message for _, message in marks]
    for (when, _), label in zip(marks + [(start + total, None)], labels):
        stages.append((_stage_name(label), when - previous))
        previous = when
    return result, total, stages


def _package_text(folder):
    """Which tabinvert was measured: this repository's, or another checkout's folder."""
    if os.path.realpath(folder) == os.path.realpath(os.path.join(ROOT, "tabinvert")):
        return "tabinvert (this repository)"
    return portable_path(folder)


def _stage_name(message):
    if message.startswith("'"):
        return "attacks " + message.split(":")[0].strip("'")
    if message.startswith("per-record"):
        return "exposure"
    if message.startswith("defense sweep"):
        return "defense sweep"
    return message


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--n-jobs", type=int, default=None)
    parser.add_argument("--no-defenses", action="store_true", help="skip the defended runs")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    from tabinvert.defenses import LabelOnly, RoundProbabilities, TopK

    report, wall = Report(), time.perf_counter()
    import tabinvert

    header(
        report,
        "assess on full Adult as a multiple of its floor",
        options_text(args),
        extra=[("package", _package_text(os.path.dirname(tabinvert.__file__)))],
    )
    X_train, y_train, X_holdout, y_holdout = adult_setting(args.seed)
    report(
        f"members {len(X_train):,}; holdout {len(X_holdout):,} (half auxiliary, half "
        f"non-members); sensitive {', '.join(SENSITIVE)}"
    )
    rows, stage_rows = [], []
    for name in args.models.split(","):
        model = make_target(name, X_train, y_train, args.seed, args.n_jobs)
        grid, impute = floor_seconds(model, X_train, y_train, X_holdout, y_holdout, args.seed)
        floor = grid + impute
        runs = [("undefended", None)]
        if not args.no_defenses:
            runs.append(("3 defenses", [RoundProbabilities(1), TopK(1), LabelOnly()]))
        for label, defenses in runs:
            result, total, stages = timed_assess(
                model, X_train, y_train, X_holdout, y_holdout, args.seed, defenses, args.n_jobs
            )
            levels = ", ".join(f"{r.sensitive} {r.risk_level}" for r in result.summary.itertuples())
            rows.append(
                dict(
                    model=name,
                    run=label,
                    assess_s=round(total, 1),
                    grid_calls_s=round(grid, 1),
                    imputation_fits_s=round(impute, 1),
                    floor_s=round(floor, 1),
                    ratio=round(total / floor, 2),
                    ratio_to_grid_calls=round(total / grid, 1),
                    goal=2.0 if defenses is None else 3.0,
                    levels=levels,
                )
            )
            for stage, seconds in stages:
                stage_rows.append(
                    dict(
                        model=name,
                        run=label,
                        stage=stage,
                        seconds=round(seconds, 1),
                        share=f"{seconds / total:.0%}",
                    )
                )
            report(f"{name} {label}: {total:.1f} s = {total / floor:.2f} × floor ({floor:.1f} s)")
    report()
    report.table(
        pd.DataFrame(rows),
        "assess as a multiple of its floor (one grid call per "
        "attribute and population + one imputation fit per "
        "attribute):",
    )
    report.table(pd.DataFrame(stage_rows), "stages (seconds between assess's progress messages):")
    report.finish(wall, args.out)


if __name__ == "__main__":
    main()

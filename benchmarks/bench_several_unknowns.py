"""Benchmark: several unknowns on IWPC warfarin (the Fredrikson et al. 2014 dose model).

Setting (as ``paper_tables.py`` section 3): complete cases of the patients who reached a stable
dose; a OneHotEncoder + StandardScaler + LinearRegression dose model trained on a random 75%
(members); the other 25% halved into the attacker's auxiliary rows and non-member targets. The
attacker knows the patient's stable dose (``y``), the model (black-box ``predict``) and σ, its
training RMSE (Gaussian error model, ``noise_scale=σ``).

Rows, for members and non-members:

* ``VKORC1 alone`` — the paper's attack: every other feature known, CYP2C9 included;
* ``joint (product grid)`` — VKORC1 *and* CYP2C9 both hidden: ``JointInversion`` over the
  3 × 6 = 18 genotype pairs, MAP with the pairs' auxiliary frequencies as prior;
* ``joint (coordinate ascent)`` — the same with ``max_joint_candidates=1``;
* ``VKORC1, height & weight unknown`` — ``JointInversion(unknown=["Height", "Weight"])``:
  the model's answers averaged over ``--n-samples`` auxiliary draws of the two features.

Each attack is scored per genotype (accuracy with a Wilson 95% interval) against an
``ImputationBaseline`` that knows exactly what the attack knows (same hidden and unknown
columns dropped, same dose), with the advantage over it and its paired-bootstrap 95% CI; and
against the most common genotype. Query rows are those sent to the real model.

This is a script that prints a table, not a test::

    TABINVERT_DATA=../shared/datasets python benchmarks/bench_several_unknowns.py \\
        --out benchmarks/results/bench_several_unknowns_$(date +%F).txt
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from tabinvert.attacks import ConfidenceInversion, ImputationBaseline, JointInversion
from tabinvert.metrics import advantage_over_baseline, success_rate

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402  (the helpers beside this file)
    GENOTYPES,
    Report,
    fmt_ci,
    header,
    warfarin_frame,
    warfarin_setting,
)

BOTH = list(GENOTYPES)  # VKORC1 and CYP2C9, hidden together


def imputed(X_aux, dose_aux, targets, dose, column, drop, seed):
    """Imputation of ``column`` by an attacker who lacks the columns in ``drop`` too."""
    baseline = ImputationBaseline(column, random_state=seed).fit(X_aux.drop(columns=drop), dose_aux)
    return baseline.attack(targets.drop(columns=drop), dose).to_numpy(dtype=object)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--n-samples",
        type=int,
        default=32,
        help="auxiliary draws the unknown features are averaged over",
    )
    parser.add_argument("--n-resamples", type=int, default=1000, help="bootstrap replicates")
    parser.add_argument("--out", default=None, help="also write the output to this file")
    args = parser.parse_args(argv)
    say = Report()
    seed = args.random_state
    wall = time.perf_counter()
    header(
        say,
        "# bench_several_unknowns: several unknowns on IWPC warfarin (Fredrikson et al. "
        "2014 dose model)",
        f"random_state={seed}, n_samples={args.n_samples}, bootstrap resamples={args.n_resamples}",
        versions=("tabinvert", "scikit-learn", "pandas", "numpy"),
    )
    X, dose, n_raw, n_kept = warfarin_frame()
    train, aux, out, model, sigma = warfarin_setting(X, dose, seed)
    say(
        f"data: load_warfarin() {n_raw:,} patients -> {n_kept:,} complete stable-dose cases; "
        f"members {len(train):,}, auxiliary {len(aux):,}, non-members {len(out):,}; "
        f"σ = {sigma:.2f} mg/week; seed {seed}; {args.n_samples} draws for unknown features"
    )
    say()
    X_aux, dose_aux = X.iloc[aux], dose[aux]
    base = ConfidenceInversion(model, None, noise_scale=sigma, random_state=seed)
    settings = {
        "VKORC1 alone": (
            ConfidenceInversion(model, "VKORC1", noise_scale=sigma, random_state=seed),
            ["VKORC1"],
            [],
        ),
        "joint (product grid)": (JointInversion(base, BOTH, random_state=seed), BOTH, []),
        "joint (coordinate ascent)": (
            JointInversion(
                base, BOTH, max_joint_candidates=1, n_samples=args.n_samples, random_state=seed
            ),
            BOTH,
            [],
        ),
        "VKORC1, height & weight unknown": (
            JointInversion(
                base,
                "VKORC1",
                unknown=["Height", "Weight"],
                n_samples=args.n_samples,
                random_state=seed,
            ),
            ["VKORC1"],
            ["Height", "Weight"],
        ),
    }
    rows = []
    for name, (attack, hidden, unknown) in settings.items():
        start = time.perf_counter()
        attack.fit(X_aux, dose_aux)
        for population, index in {"members": train, "non-members": out}.items():
            targets, y = X.iloc[index], dose[index]
            guesses = attack.attack(targets, y)
            if isinstance(guesses, pd.Series):
                guesses = guesses.to_frame()
            rows_sent = attack.last_query_cost_.rows
            for genotype in hidden:
                truth = targets[genotype].to_numpy(dtype=object)
                guess = guesses[genotype].to_numpy(dtype=object)
                drop = [g for g in hidden if g != genotype] + unknown
                imputation = imputed(X_aux, dose_aux, targets, y, genotype, drop, seed)
                mode = X[genotype].iloc[train].mode().iloc[0]
                rate = success_rate(truth, guess)
                adv = advantage_over_baseline(
                    truth, guess, imputation, n_resamples=args.n_resamples, random_state=seed
                )
                rows.append(
                    {
                        "setting": name,
                        "population": population,
                        "genotype": genotype,
                        "accuracy [95% CI]": (
                            f"{rate.rate:.3f} [{rate.ci_low:.3f}, {rate.ci_high:.3f}]"
                        ),
                        "imputation": round(adv.baseline_score, 3),
                        "most common": round(float(np.mean(truth == mode)), 3),
                        "advantage [95% CI]": fmt_ci(adv),
                        "query rows": rows_sent,
                    }
                )
            if len(hidden) > 1:
                both = (
                    guesses[hidden].to_numpy(dtype=object) == targets[hidden].to_numpy(dtype=object)
                ).all(axis=1)
                rows.append(
                    {
                        "setting": name,
                        "population": population,
                        "genotype": "both right",
                        "accuracy [95% CI]": f"{both.mean():.3f}",
                        "query rows": rows_sent,
                    }
                )
        rows[-1]["seconds (fit + 2 attacks)"] = round(time.perf_counter() - start, 1)
    table = pd.DataFrame(rows).astype(object).fillna("")
    with pd.option_context("display.width", 250, "display.max_columns", 20):
        say(table.to_string(index=False))
    say()
    say(
        "Reading: 'advantage' is over an imputation attacker that lacks exactly the same columns "
        "and knows the dose; a CI containing 0 means the model adds nothing measurable."
    )
    say.finish(wall, args.out)


if __name__ == "__main__":
    main()

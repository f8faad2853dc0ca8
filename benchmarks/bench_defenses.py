"""Benchmark: the privacy–utility sweep of output defenses on Adult (Mehnaz et al. 2022 split).

Protocol (as ``bench_attacks.py``): target models trained on the 35,222 rows of
``load_adult(variant="mehnaz2022")`` to predict ``income``; sensitive attribute ``marital``
(Married / Single); the attacker's auxiliary data is half of the 10,000 ``mehnaz2022_query``
rows, with labels; the other half are the non-member targets and the held-out data on which
utility is measured; members are the training rows (``--members N`` subsamples them).

For each target (RandomForest, MLP 32-16-8) every output defense of ``tabinvert.defenses`` is
put in front of the model at two or three strengths, plus more regularised models as
training-time alternatives; CSMIA, FJRMIA, MAP and LOMIA run against each, scored by MCC (the
paper's headline metric) against the imputation baseline (same auxiliary data and labels, no
model). The table has utility (accuracy and log-loss on held-out rows), attack MCC, the
advantage over imputation with its paired-bootstrap 95% CI, and the query rows; then the
privacy–utility frontier (risk = the best attack's advantage on members).

This is a script that prints tables, not a test::

    TABINVERT_DATA=../shared/datasets python benchmarks/bench_defenses.py --out results.txt
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

from tabinvert.defenses import (
    CoarsenProbabilities,
    ConfidenceThreshold,
    GaussianNoise,
    LabelOnly,
    ReverseSigmoid,
    RoundProbabilities,
    TopK,
)
from tabinvert.evaluation import evaluate_defenses, privacy_utility_frontier

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402  (the helpers beside this file)
    MEHNAZ_SENSITIVE as SENSITIVE,
    Report,
    choices,
    classifier,
    fmt_ci,
    header,
    make_attacks,
    make_model,
    mehnaz_adult,
    pipeline,
)

MODEL_NAMES = ("rf", "mlp")

# literature notes §6 [RUN]: CSMIA on Adult/MLP, MCC under each defense (and LOMIA unchanged).
LITERATURE = {
    "none": "CSMIA 0.435, LOMIA 0.442",
    "round step 0.05": "CSMIA 0.385",
    "round step 0.1": "CSMIA 0.364",
    "round step 0.2": "CSMIA 0.337",
    "label only": "CSMIA 0.164, LOMIA 0.442",
    "gaussian 0.01": "CSMIA 0.407",
    "gaussian 0.05": "CSMIA 0.361",
    "gaussian 0.1": "CSMIA 0.328",
    "reverse sigmoid β=0.5 γ=0.1": "CSMIA 0.302",
    "reverse sigmoid β=1 γ=0.1": "CSMIA 0.250",
    "reverse sigmoid β=1 γ=0.5": "CSMIA 0.107",
}


def make_defenses(seed):
    return {
        "round step 0.05": RoundProbabilities(step=0.05),
        "round step 0.1": RoundProbabilities(step=0.1),
        "round step 0.2": RoundProbabilities(step=0.2),
        "coarsen 10 bins": CoarsenProbabilities(n_bins=10),
        "coarsen 3 bins": CoarsenProbabilities(n_bins=3),
        "top-1 (other classes 0)": TopK(k=1),
        "label only": LabelOnly(),
        "threshold 0.7": ConfidenceThreshold(cutoff=0.7),
        "threshold 0.9": ConfidenceThreshold(cutoff=0.9),
        "gaussian 0.01": GaussianNoise(scale=0.01, random_state=seed),
        "gaussian 0.05": GaussianNoise(scale=0.05, random_state=seed),
        "gaussian 0.1": GaussianNoise(scale=0.1, random_state=seed),
        "reverse sigmoid β=0.5 γ=0.1": ReverseSigmoid(beta=0.5, gamma=0.1),
        "reverse sigmoid β=1 γ=0.1": ReverseSigmoid(beta=1.0, gamma=0.1),
        "reverse sigmoid β=1 γ=0.5": ReverseSigmoid(beta=1.0, gamma=0.5),
    }


def regularised_models(name, X, seed):
    """Training-time alternatives: the same pipeline, more regularised."""
    if name == "rf":
        variants = {
            "RF min_samples_leaf=20": classifier("rf", seed).set_params(min_samples_leaf=20),
            "RF max_depth=8": classifier("rf", seed).set_params(max_depth=8),
        }
    else:
        variants = {
            "MLP alpha=0.01": classifier("mlp", seed).set_params(alpha=0.01),
            "MLP 8 hidden": classifier("mlp", seed).set_params(hidden_layer_sizes=(8,)),
        }
    return {label: pipeline(X, clf) for label, clf in variants.items()}


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--members",
        type=int,
        default=None,
        help="attack a random subsample of N member rows (default: all 35,222)",
    )
    parser.add_argument(
        "--models", default=",".join(MODEL_NAMES), help="comma-separated target models among rf,mlp"
    )
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--n-resamples",
        type=int,
        default=500,
        help="paired-bootstrap resamples for the advantage CIs",
    )
    parser.add_argument("--out", default=None, help="also write the output to this text file")
    args = parser.parse_args(argv)
    args.models = choices(parser, args.models, MODEL_NAMES, "model")
    return args


def main(argv=None):
    args = parse_args(argv)
    report = Report()
    header(
        report,
        "# bench_defenses: the privacy–utility sweep on Adult (Mehnaz et al. split)",
        f"members={args.members or 'all'}, models={','.join(args.models)}, "
        f"random_state={args.random_state}, bootstrap resamples={args.n_resamples}",
    )
    seed = args.random_state
    wall = time.perf_counter()

    X_train, y_train, X_aux, X_out, y_aux, y_out = mehnaz_adult(seed)
    y_train, y_aux, y_out = np.asarray(y_train), np.asarray(y_aux), np.asarray(y_out)
    X_mem, y_mem = X_train, y_train
    if args.members and args.members < len(X_train):
        picked = np.random.default_rng(seed).choice(len(X_train), args.members, replace=False)
        X_mem, y_mem = X_train.iloc[picked], y_train[picked]
    report(
        f"data    : {len(X_train):,} training rows; aux {len(X_aux):,} labelled rows; targets "
        f"{len(X_mem):,} members and {len(X_out):,} non-members (also the utility hold-out); "
        f"sensitive '{SENSITIVE}'; attack metric MCC (Married vs Single)."
    )
    report()

    for model_name in args.models:
        model, _ = make_model(model_name, X_train, seed, None)
        model.fit(X_train, y_train)
        alternatives = {
            name: alt.fit(X_train, y_train)
            for name, alt in regularised_models(model_name, X_train, seed).items()
        }
        attacks = list(
            make_attacks(
                model, SENSITIVE, ("CSMIA", "FJRMIA", "MAP", "LOMIA"), random_state=seed
            ).values()
        )
        start = time.perf_counter()
        table = evaluate_defenses(
            model,
            make_defenses(seed),
            X_aux,
            y_aux,
            targets={"members": (X_mem, y_mem), "non-members": (X_out, y_out)},
            X_test=X_out,
            y_test=y_out,
            attacks=attacks,
            models=alternatives,
            metric="mcc",
            n_resamples=args.n_resamples,
            random_state=seed,
        )
        seconds = time.perf_counter() - start
        report(
            f"## target: {model_name} ({len(table['defense'].unique())} defended/alternative "
            f"models × {len(attacks)} attacks × 2 populations in {seconds:.0f} s; elapsed "
            f"{time.perf_counter() - wall:.0f} s)"
        )
        report()
        shown = table.assign(
            advantage_ci=[
                fmt_ci((r.advantage, r.advantage_ci_low, r.advantage_ci_high))
                for r in table.itertuples()
            ],
            argmax=table["keeps_argmax"].map({True: "kept", False: "may change"}),
        )[
            [
                "defense",
                "argmax",
                "utility",
                "log_loss",
                "attack",
                "population",
                "score",
                "baseline_score",
                "advantage_ci",
                "query_rows",
            ]
        ].rename(
            columns={
                "utility": "accuracy",
                "score": "attack_mcc",
                "baseline_score": "imputation_mcc",
                "advantage_ci": "advantage (MCC) [95% CI]",
            }
        )
        members = shown[shown["population"] == "members"].drop(columns="population")
        report.table(members.round(3), "### members (the training records)")
        outsiders = shown[shown["population"] == "non-members"].drop(columns="population")
        report.table(outsiders.round(3), "### non-members")
        frontier = privacy_utility_frontier(table)
        frontier["literature (Adult/MLP, §6 [RUN])"] = (
            frontier["defense"].map(LITERATURE).fillna("") if model_name == "mlp" else ""
        )
        report.table(
            frontier.round(3),
            "### privacy–utility frontier (risk = best attack's "
            "advantage in MCC on members; on_frontier = no other defense has at least "
            "its accuracy and at most its risk)",
        )
    report.finish(wall, args.out)


if __name__ == "__main__":
    main()

"""Benchmark: what a model's explanations reveal about a sensitive attribute, with and without
the explanation defenses of ``tabinvert.explain``, on Adult and the Cleveland heart data.

Two sections (``--sections adult,heart``, both by default), each with a logistic-regression
and an XGBoost target (``--models logreg,xgb``).

**adult** — Mehnaz et al. 2022 split (as ``bench_attacks.py``): the models train on the 35,222
``mehnaz2022`` rows to predict ``income``; sensitive attribute ``marital`` (Married / Single);
the attacker's labelled auxiliary data is half of the 10,000 ``mehnaz2022_query`` rows, the
other half are the non-member targets; ``--members N`` random training rows are attacked
(default 2,000; the models always train on all of them). Logistic regression =
``_common.make_model("logreg")`` (one-hot + scaler); XGBoost = ``_common.make_model("xgb")``
with a *dense* one-hot output (``sparse_output=False``). On the sparse matrix the pipeline
builds by default, XGBoost reads the absent one-hot zeros as missing values; an explainer
that densified the matrix would explain another model. ``TreeContributions`` explains on the
sparse matrix itself, and the check table at the top of the section measures that the
sparse pipeline's explanation adds up to its served margin too.

**heart** — ``load_heart()``, the 297 complete cases (6 rows miss ``ca`` or ``thal``);
label ``num > 0``; sensitive attribute ``sex`` (0 female, 1 male). A stratified half of the
patients trains the models (members), a quarter is the attacker's labelled auxiliary data,
the last quarter are the non-members. One-hot on the coded columns ``cp``, ``restecg``,
``slope``, ``thal``, scaler on the others (``sex`` included). With about 75 auxiliary rows
and 75-150 targets the intervals are wide.

For each model, what the attacker sees and how it attacks:

1. probabilities only: CSMIA, MAP (``ConfidenceInversion``) and LOMIA, as ``bench_attacks.py``
   runs them (``_common.make_attacks``);
2. the full explanation (``LinearContributions`` fitted on the auxiliary rows for the
   logistic model, ``TreeContributions`` for XGBoost): ``ExplanationInversion`` with
   ``method="match"`` (queries the explanation service with every candidate completion),
   ``"learned"`` (Duddu & Boutet 2022: known features, label and explanation) and
   ``"explanation_only"`` (Luo et al. 2022: the explanation alone);
3. reason codes, ``ReasonCodes(k=3)`` with the signs only and with values rounded to 1
   decimal;
4. each explanation defense: ``TopKContributions(k=3)``, ``RoundContributions`` (1 decimal;
   a grid of 1 log-odds), ``DropContribution(<sensitive>)``, ``NoisyContributions(scale=1)``
   per record (the default; attacked by matching as if exact: the victim's completion with
   its true value gets the victim's very noise) and fresh at every call (a seeded
   ``RandomState`` as ``random_state``, consumed call after call: an int would repeat the
   same draws at every call; matching attacked with ``noise_scale=1``, the true scale, once
   as is and once asking every completion 20 times and averaging the answers).

Every attack (all three methods on every served explanation) is scored against the same
imputation baseline (``ImputationBaseline``: the auxiliary rows and labels, no model) on the
same records, members and non-members: accuracy and advantage = (s_attack - s_imputation) /
(1 - s_imputation) with a paired-bootstrap 95% interval (``tabinvert.metrics.
advantage_over_baseline``; ``evaluate_attacks`` cannot pass ``observed_explanation``).

Utility of what each defended explanation keeps, against the undefended explanation of the
same members: the share of entries reported and how often the sensitive column's own is;
the top-3 features (by |contribution| among the reported entries, ties to the first column):
mean Jaccard of the sets and share of records with the same top feature; Spearman's ρ and
Kendall's τ-b of the |contributions| over all features (withheld = 0), averaged over records;
the share of reported entries with the undefended sign; and the mean |Σ reported + base −
margin| (log-odds), with what the defense declares (``keeps_sum``, ``keeps_ranking``).

This is a script that prints tables, not a test::

    TABINVERT_DATA=../shared/datasets python benchmarks/bench_explanations.py --out results.txt
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings

import numpy as np
import pandas as pd
from scipy.stats import rankdata
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabinvert.attacks import ExplanationInversion, ImputationBaseline
from tabinvert.datasets import load_heart
from tabinvert.explain import (
    DropContribution,
    LinearContributions,
    NoisyContributions,
    ReasonCodes,
    RoundContributions,
    TopKContributions,
    TreeContributions,
)
from tabinvert.metrics import advantage_over_baseline

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import (  # noqa: E402  (the helpers beside this file)
    MEHNAZ_SENSITIVE,
    Report,
    choices,
    classifier,
    fmt_ci,
    header,
    make_attacks,
    make_model,
    mehnaz_adult,
    options_text,
    run_sections,
)

SECTIONS = ("adult", "heart")
MODELS = ("logreg", "xgb")
PROBABILITY_ATTACKS = ("CSMIA", "MAP", "LOMIA")
METHODS = ("match", "learned", "explanation_only")
NOISE = 1.0  # NoisyContributions' σ, in log-odds
STEP = 1.0  # RoundContributions' coarse grid, in log-odds
AVERAGED = 20  # queries per completion of the averaging attacker (fresh noise)
TOP = 3  # reason codes, top-k defense and the utility's top features
HEART_CODED = ["cp", "restecg", "slope", "thal"]  # one-hot; the other columns are scaled


# ------------------------------------------------------------------------------------------
# Data and models
# ------------------------------------------------------------------------------------------
def adult_setting(args):
    seed = args.random_state
    X_train, y_train, X_aux, X_out, y_aux, y_out = mehnaz_adult(seed)
    rng = np.random.default_rng(seed)
    members = np.sort(rng.choice(len(X_train), min(args.members, len(X_train)), replace=False))
    out = np.sort(rng.choice(len(X_out), min(args.non_members, len(X_out)), replace=False))

    def build(name):
        model, encode = make_model(name, X_train, seed, args.n_jobs)
        if name == "xgb":
            model.set_params(prepare__text__sparse_output=False)
        return model, encode

    return dict(
        sensitive=MEHNAZ_SENSITIVE,
        train=(X_train, y_train),
        aux=(X_aux, y_aux),
        targets={
            "members": (X_train.iloc[members], y_train.iloc[members]),
            "non-members": (X_out.iloc[out], y_out.iloc[out]),
        },
        test=(X_out, y_out),  # none trained on
        build=build,
        sparse_xgb=lambda: make_model("xgb", X_train, seed, args.n_jobs),
        pipelines={"logreg": "sparse one-hot + scaler", "xgb": "dense one-hot + scaler"},
        describe=(
            f"load_adult(variant='mehnaz2022') ({len(X_train):,} training rows = members, "
            f"{len(members):,} of them attacked, drawn at random); mehnaz2022_query halved: "
            f"{len(X_aux):,} auxiliary rows with labels, {len(X_out):,} non-members "
            f"({len(out):,} attacked); utility = accuracy on the {len(X_out):,} non-members; "
            f"sensitive {MEHNAZ_SENSITIVE!r} (Married / Single)"
        ),
    )


def heart_preprocessor(X):
    numeric = [c for c in X.columns if c not in HEART_CODED]
    return ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore", sparse_output=False), HEART_CODED),
            ("numeric", StandardScaler(), numeric),
        ]
    )


def heart_setting(args):
    seed = args.random_state
    heart = load_heart()
    frame = heart.frame.dropna().reset_index(drop=True)
    X = frame.drop(columns=[heart.target_name])
    y = (frame[heart.target_name] > 0).astype(int)
    train, rest = train_test_split(np.arange(len(X)), train_size=0.5, stratify=y, random_state=seed)
    aux, out = train_test_split(rest, train_size=0.5, stratify=y[rest], random_state=seed)
    take = lambda rows: (X.iloc[rows], y.iloc[rows])  # noqa: E731

    def build(name):
        model = Pipeline([("prepare", heart_preprocessor(X)), ("classify", classifier(name, seed))])
        if name == "xgb":
            model.set_params(classify__n_jobs=args.n_jobs)
        return model, np.asarray

    return dict(
        sensitive="sex",
        train=take(train),
        aux=take(aux),
        targets={"members": take(train), "non-members": take(out)},
        test=take(np.concatenate([aux, out])),
        build=build,
        sparse_xgb=None,
        pipelines={"logreg": "dense one-hot + scaler", "xgb": "dense one-hot + scaler"},
        describe=(
            f"load_heart(): {len(X)} complete cases of {len(heart.frame)} (label num > 0: "
            f"{int(y.sum())}); stratified split: {len(train)} members (all attacked), "
            f"{len(aux)} auxiliary rows with labels, {len(out)} non-members; utility = "
            f"accuracy on the {len(aux) + len(out)} rows not trained on; sensitive 'sex' "
            f"(1 male: {int(X['sex'].sum())}, 0 female: {int((X['sex'] == 0).sum())})"
        ),
    )


def margin(model, X):
    """The served model's margin (log-odds of its positive class), from the model itself."""
    if hasattr(model, "decision_function"):
        return np.asarray(model.decision_function(X), dtype=float)
    return np.asarray(model[-1].predict(model[:-1].transform(X), output_margin=True), dtype=float)


class Averaged:
    """The attacker's side of a noisy service: each record asked ``repeats`` times, the answers
    averaged (fresh noise then shrinks as 1/√repeats; per-record noise would not)."""

    def __init__(self, service, repeats):
        self.service = service
        self.repeats = repeats

    @property
    def feature_names_in_(self):
        return self.service.feature_names_in_

    @property
    def feature_names_out_(self):
        return self.service.feature_names_out_

    @property
    def n_features_in_(self):
        return self.service.n_features_in_

    def explain(self, X):
        return sum(self.service.explain(X) for _ in range(self.repeats)) / self.repeats


def attacks_on(service, match_params=None):
    """attack label -> (what the attack queries, method, settings): the three methods."""
    return {
        method: (service, method, (match_params or {}) if method == "match" else {})
        for method in METHODS
    }


def served_explanations(explainer, sensitive, seed):
    """label -> (explainer as served, the attacks run on it)."""
    per_record = NoisyContributions(explainer, scale=NOISE, random_state=seed)
    # Fresh noise needs a generator: an int random_state repeats the same draws at every call.
    fresh = NoisyContributions(
        explainer, scale=NOISE, random_state=np.random.RandomState(seed), per_record=False
    )
    served = {
        "full contributions": explainer,
        f"ReasonCodes(k={TOP}), signs": ReasonCodes(explainer, k=TOP, values="signs"),
        f"ReasonCodes(k={TOP}), rounded 1 dec.": ReasonCodes(
            explainer, k=TOP, values="rounded", decimals=1
        ),
        f"TopKContributions(k={TOP})": TopKContributions(explainer, k=TOP),
        "RoundContributions(decimals=1)": RoundContributions(explainer, decimals=1),
        f"RoundContributions(step={STEP:g})": RoundContributions(explainer, step=STEP),
        f"DropContribution({sensitive!r})": DropContribution(explainer, sensitive),
        f"Noisy(σ={NOISE:g}), per record": per_record,
    }
    out = {label: (service, attacks_on(service)) for label, service in served.items()}
    fresh_attacks = attacks_on(fresh, {"noise_scale": NOISE})
    fresh_attacks[f"match, {AVERAGED} queries averaged"] = (
        Averaged(fresh, AVERAGED),
        "match",
        {"noise_scale": NOISE},
    )
    out[f"Noisy(σ={NOISE:g}), fresh per call"] = (fresh, fresh_attacks)
    return out


# ------------------------------------------------------------------------------------------
# Utility of what an explanation keeps
# ------------------------------------------------------------------------------------------
def top_sets(values, reported, k):
    """(n, p) bool: each row's ``k`` largest |values| among the reported entries."""
    key = np.where(reported, -np.abs(values), np.inf)
    order = np.argsort(key, axis=1, kind="stable")[:, :k]
    chosen = np.zeros(values.shape, dtype=bool)
    np.put_along_axis(chosen, order, True, axis=1)
    return chosen & reported


def rowwise_spearman(a, b):
    ra, rb = rankdata(a, axis=1), rankdata(b, axis=1)
    ra -= ra.mean(axis=1, keepdims=True)
    rb -= rb.mean(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (ra * rb).sum(axis=1) / np.sqrt((ra**2).sum(axis=1) * (rb**2).sum(axis=1))


def rowwise_kendall(a, b):
    """Kendall's τ-b of each row pair (ties in either row handled as τ-b does)."""
    i, j = np.triu_indices(a.shape[1], 1)
    sa, sb = np.sign(a[:, i] - a[:, j]), np.sign(b[:, i] - b[:, j])
    with np.errstate(invalid="ignore", divide="ignore"):
        return (sa * sb).sum(axis=1) / np.sqrt(np.abs(sa).sum(axis=1) * np.abs(sb).sum(axis=1))


def utility_row(full, explainer, X, base, model_margin, sensitive_position):
    values = explainer.explain(X).to_numpy(dtype=float)
    reported = explainer.explain_mask(X).to_numpy(dtype=bool)
    everything = np.ones_like(reported)
    top_full, top_served = top_sets(full, everything, TOP), top_sets(values, reported, TOP)
    jaccard = (top_full & top_served).sum(axis=1) / (top_full | top_served).sum(axis=1)
    first = lambda v, r: top_sets(v, r, 1).argmax(axis=1)  # noqa: E731
    signed = reported & (full != 0)
    gap = np.abs(values.sum(axis=1) + base - model_margin)
    return {
        "keeps_sum": bool(explainer.keeps_sum),
        "keeps_ranking": bool(explainer.keeps_ranking),
        "reported": reported.mean(),
        "secret reported": reported[:, sensitive_position].mean(),
        f"top-{TOP} Jaccard": jaccard.mean(),
        # Signs alone rank nothing: every reported entry is ±1.
        "same top-1": np.nan
        if getattr(explainer, "values", None) == "signs"
        else (first(full, everything) == first(values, reported)).mean(),
        "Spearman |c|": np.nanmean(rowwise_spearman(np.abs(full), np.abs(values))),
        "Kendall τb |c|": np.nanmean(rowwise_kendall(np.abs(full), np.abs(values))),
        "sign kept": (np.sign(values) == np.sign(full))[signed].mean() if signed.any() else np.nan,
        "mean |sum gap|": gap.mean(),
    }


# ------------------------------------------------------------------------------------------
# One model: every attack on every served explanation
# ------------------------------------------------------------------------------------------
def scored(row, truth, guesses, baseline, args):
    adv = advantage_over_baseline(
        truth,
        guesses,
        baseline,
        n_resamples=args.n_resamples,
        random_state=args.random_state,
    )
    row.update(accuracy=adv.attack_score, imputation=adv.baseline_score, adv=adv)
    return row


def attack_model(report, args, setting, dataset, name, notes):
    seed, sensitive = args.random_state, setting["sensitive"]
    (X_train, y_train), (X_aux, y_aux) = setting["train"], setting["aux"]
    X_test, y_test = setting["test"]
    model, encode = setting["build"](name)
    start = time.perf_counter()
    model.fit(X_train, encode(y_train))
    fit_seconds = time.perf_counter() - start
    accuracy = float(np.mean(model.predict(X_test) == encode(y_test)))
    y_aux = encode(y_aux)
    targets = {p: (X, encode(y)) for p, (X, y) in setting["targets"].items()}
    truths = {p: X[sensitive].to_numpy() for p, (X, _) in targets.items()}

    explainer = (
        LinearContributions(model).fit(X_aux) if name == "logreg" else TreeContributions(model)
    )
    baseline = ImputationBaseline(sensitive, random_state=seed).fit(X_aux, y_aux)
    base_guesses = {p: baseline.attack(X, y).to_numpy() for p, (X, y) in targets.items()}
    key = dict(dataset=dataset, model=name)
    rows = []

    # 1. probabilities (or labels) only
    for label, attack in make_attacks(
        model, sensitive, PROBABILITY_ATTACKS, random_state=seed
    ).items():
        start = time.perf_counter()
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            attack.fit(X_aux, y_aux)
            guesses = {p: attack.attack(X, y).to_numpy() for p, (X, y) in targets.items()}
        seconds = time.perf_counter() - start
        for message in dict.fromkeys(str(w.message).split("\n")[0] for w in caught):
            notes.setdefault(f"{dataset}/{name}, {label}: {message}")
        for p in targets:
            row = dict(key, served="probabilities only", attack=label, population=p, flat=np.nan)
            rows.append(scored(row, truths[p], guesses[p], base_guesses[p], args))
            rows[-1]["seconds"] = seconds

    # 2-4. explanations, undefended and defended
    members_X = targets["members"][0]
    full = explainer.explain(members_X).to_numpy(dtype=float)
    base = explainer.base_values(members_X).to_numpy()
    model_margin = margin(model, members_X)
    position = list(explainer.feature_names_out_).index(sensitive)
    utility = []
    for served, (service, attacks) in served_explanations(explainer, sensitive, seed).items():
        seen = {p: service.explain(X) for p, (X, _) in targets.items()}
        for label, (queried, method, params) in attacks.items():
            attack = ExplanationInversion(
                queried, sensitive, method=method, random_state=seed, **params
            )
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                attack.fit(X_aux, y_aux)
                for p, (X, y) in targets.items():
                    guesses = attack.attack(
                        X, None if method == "explanation_only" else y, observed_explanation=seen[p]
                    ).to_numpy()
                    flat = attack.last_flat_records_.mean() if method == "match" else np.nan
                    row = dict(key, served=served, attack=label, population=p, flat=flat)
                    if (
                        label == "match"
                        and p == "members"
                        and isinstance(service, ReasonCodes)
                        and not service.explain_mask(X)[sensitive].all()
                    ):
                        named = service.explain_mask(X)[sensitive].to_numpy()
                        right = guesses[~named] == truths[p][~named]
                        notes.setdefault(
                            f"{dataset}/{name}, {served}: the codes name {sensitive!r} for "
                            f"{named.mean():.1%} of the members; matching is right for "
                            f"{right.mean():.1%} of the {int((~named).sum())} others (which "
                            "features are named moves with the value even when the secret "
                            "itself is not named: imputation gets "
                            f"{np.mean(base_guesses[p][~named] == truths[p][~named]):.1%})"
                        )
                    rows.append(scored(row, truths[p], guesses, base_guesses[p], args))
            seconds = time.perf_counter() - start
            for row in rows[-len(targets) :]:
                row["seconds"] = seconds
            for message in dict.fromkeys(str(w.message).split("\n")[0] for w in caught):
                notes.setdefault(f"{dataset}/{name}, {served}, {label}: {message}")
            if method != "match" and getattr(attack, "selection_", {}).get("chosen") not in (
                None,
                "learner",
            ):
                notes.setdefault(
                    f"{dataset}/{name}, {served}, {label}: 5-fold CV on the auxiliary rows "
                    f"chose {attack.selection_['chosen']!r} over the attack classifier"
                )
        utility.append(
            dict(
                key,
                served=served,
                **utility_row(full, service, members_X, base, model_margin, position),
            )
        )
    gap = np.abs(full.sum(axis=1) + base - model_margin)
    check = dict(
        key,
        explainer=type(explainer).__name__,
        pipeline=setting["pipelines"][name],
        **{
            "held-out accuracy": f"{accuracy:.3f}",
            "fit s": f"{fit_seconds:.1f}",
            "max |Σ c + base − margin|": f"{gap.max():.2g}",
        },
    )
    return rows, utility, check


def sparse_xgb_check(setting, args):
    """``_common.make_model("xgb")`` as bench_attacks.py trains it (sparse one-hot): how far
    TreeContributions is from the served margin, and what matching reads from it."""
    seed, sensitive = args.random_state, setting["sensitive"]
    (X_train, y_train), (X_aux, y_aux) = setting["train"], setting["aux"]
    model, encode = setting["sparse_xgb"]()
    start = time.perf_counter()
    model.fit(X_train, encode(y_train))
    fit_seconds = time.perf_counter() - start
    X_test, y_test = setting["test"]
    accuracy = float(np.mean(model.predict(X_test) == encode(y_test)))
    X, y = setting["targets"]["members"]
    explainer = TreeContributions(model)
    full = explainer.explain(X)
    gap = np.abs(full.sum(axis=1) + explainer.base_values(X) - margin(model, X))
    attack = ExplanationInversion(explainer, sensitive, random_state=seed).fit(X_aux, encode(y_aux))
    guesses = attack.attack(X, encode(y), observed_explanation=full)
    baseline = ImputationBaseline(sensitive, random_state=seed).fit(X_aux, encode(y_aux))
    adv = advantage_over_baseline(
        X[sensitive],
        guesses,
        baseline.attack(X, encode(y)),
        n_resamples=args.n_resamples,
        random_state=seed,
    )
    return dict(
        dataset="adult",
        model="xgb",
        explainer="TreeContributions",
        pipeline="sparse one-hot + scaler (make_model)",
        **{
            "held-out accuracy": f"{accuracy:.3f}",
            "fit s": f"{fit_seconds:.1f}",
            "max |Σ c + base − margin|": f"{gap.max():.2g}",
        },
        note=(
            f"mean gap {gap.mean():.3f}; match on members: {adv.attack_score:.3f} vs imputation "
            f"{adv.baseline_score:.3f}, flat for {attack.last_flat_records_.mean():.1%} of them"
        ),
    )


# ------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------
def attack_table(report, rows, dataset, name, populations):
    table = pd.DataFrame([r for r in rows if r["dataset"] == dataset and r["model"] == name])
    out = []
    for (served, attack), part in table.groupby(["served", "attack"], sort=False):
        row = {"served": served, "attack": attack}
        for p in populations:
            r = part[part["population"] == p].iloc[0]
            row[f"{p} acc."] = round(r["accuracy"], 3)
            row[f"{p} adv. [95% CI]"] = fmt_ci(r["adv"], "n/a")
        member = part[part["population"] == "members"].iloc[0]
        row["flat (members)"] = "" if np.isnan(member["flat"]) else f"{member['flat']:.1%}"
        row["s"] = round(member["seconds"], 1)
        out.append(row)
    imputation = {p: table[table["population"] == p]["imputation"].iloc[0] for p in populations}
    report.table(
        pd.DataFrame(out),
        f"### {dataset} / {name}: accuracy, and advantage over imputation (accuracy "
        + ", ".join(f"{p} {v:.3f}" for p, v in imputation.items())
        + ") with a paired-bootstrap 95% CI; flat = share of members whose served explanation "
        "is the same for every candidate value (matching then guesses as imputation); s = fit "
        "+ both populations",
    )


def summary_table(report, rows, keys):
    """The best attack per served explanation, members, per model."""
    table = pd.DataFrame(rows)
    table = table[table["population"] == "members"]
    out = {}
    for dataset, name in keys:
        part = table[(table["dataset"] == dataset) & (table["model"] == name)]
        for served, group in part.groupby("served", sort=False):
            best = group.loc[group["adv"].map(lambda a: a.advantage).idxmax()]
            out.setdefault(served, {"served": served})[f"{dataset}/{name}"] = (
                f"{fmt_ci(best['adv'], 'n/a')} {best['attack']}"
            )
    report.table(
        pd.DataFrame(list(out.values())).fillna(""),
        "### Summary, members: the best attack's advantage over imputation [95% CI] and which "
        "attack, per served explanation (the best of 3-4 attacks is picked after the fact: read "
        "its interval as optimistic)",
    )


def utility_table(report, utility):
    table = pd.DataFrame(utility)
    report.table(
        table.round(3),
        f"### Utility of the served explanation against the undefended one, members: share of "
        f"entries reported, and of the sensitive column's own; top-{TOP} features (by "
        "|contribution| among reported entries): mean Jaccard with the undefended top-"
        f"{TOP}, share with the same top-1 (none for signs: they rank nothing); Spearman ρ and "
        "Kendall τ-b of |contributions| over all features (withheld = 0), mean over records; "
        "share of reported entries with the undefended sign (one rounded to 0 has lost it); "
        "mean |Σ reported + base − margin| in log-odds; keeps_sum / "
        "keeps_ranking as the defense declares them",
    )


# ------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------
def section(dataset, make_setting):
    def run(report, args, state):
        setting = make_setting(args)
        report.banner(f"## {dataset}: {setting['describe']}")
        report()
        notes, checks, rows, utility = {}, [], [], []
        for name in args.models:
            start = time.perf_counter()
            r, u, check = attack_model(report, args, setting, dataset, name, notes)
            rows += r
            utility += u
            checks.append(check)
            report(f"[{dataset}/{name}: {time.perf_counter() - start:.0f} s]")
        if setting["sparse_xgb"] is not None and "xgb" in args.models:
            checks.append(sparse_xgb_check(setting, args))
        report()
        report.table(
            pd.DataFrame(checks).fillna(""),
            "### Models: held-out accuracy, fit time, and whether the undefended explanation "
            "adds up to the served margin (max over the members; exact explainers: ~0)",
        )
        if setting["sparse_xgb"] is not None and "xgb" in args.models:
            gap = float(checks[-1]["max |Σ c + base − margin|"])
            report(
                "The sparse row: XGBoost reads the entries a sparse one-hot matrix leaves out "
                "as missing, and a dense 0 as a value. "
                + (
                    f"Explained on the sparse matrix itself, the explanation adds up to the "
                    f"served margin (largest gap {gap:.2g}). "
                    if gap < 1e-3
                    else f"The explanation does not add up to the served margin (largest gap "
                    f"{gap:.2g}): it explains another model. "
                )
                + "The attacks below use the dense pipeline."
            )
            report()
        populations = list(setting["targets"])
        for name in args.models:
            attack_table(report, rows, dataset, name, populations)
        summary_table(report, rows, [(dataset, name) for name in args.models])
        utility_table(report, utility)
        for line in notes:
            report(f"- {line}")
        report()
        state.setdefault("rows", []).extend(rows)

    return run


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--sections", default=",".join(SECTIONS), help="comma-separated subset of adult,heart"
    )
    parser.add_argument(
        "--models", default=",".join(MODELS), help="comma-separated subset of logreg,xgb"
    )
    parser.add_argument(
        "--members", type=int, default=2000, help="adult: training rows attacked (default 2000)"
    )
    parser.add_argument(
        "--non-members",
        type=int,
        default=5000,
        help="adult: non-member rows attacked (default all 5000)",
    )
    parser.add_argument("--n-jobs", type=int, default=None, help="XGBoost threads")
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument(
        "--n-resamples", type=int, default=1000, help="paired-bootstrap resamples for the CIs"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: 300 Adult members and non-members, 100 resamples",
    )
    parser.add_argument("--out", default=None, help="also write the output to this text file")
    args = parser.parse_args(argv)
    args.sections = choices(parser, args.sections, SECTIONS, "section", required=True)
    args.models = choices(parser, args.models, MODELS, "model", required=True)
    if args.quick:
        args.members = min(args.members, 300)
        args.non_members = min(args.non_members, 300)
        args.n_resamples = min(args.n_resamples, 100)
    return args


def main(argv=None):
    args = parse_args(argv)
    report = Report()
    header(
        report,
        "# bench_explanations: attribute inference from explanations (tabinvert.explain, "
        "ExplanationInversion) and the explanation defenses — Adult (Mehnaz split, marital) "
        "and Cleveland heart disease (sex)",
        options_text(args, {"out"}),
    )
    wall = time.perf_counter()
    seconds = run_sections(
        report,
        args,
        {"adult": section("adult", adult_setting), "heart": section("heart", heart_setting)},
        {},
    )
    report.finish(
        wall, args.out, " (" + ", ".join(f"{k} {v:.0f} s" for k, v in seconds.items()) + ")"
    )


if __name__ == "__main__":
    main()

"""The verdict of an assessment: the risk level of each sensitive attribute, the deciding
attack, the members vs non-members gap, and the sentence that says it."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .._threat_models import RISK_LEVELS


def _risk_level(advantage, ci_low):
    if not (np.isfinite(ci_low) and ci_low > 0):
        return "none"
    for threshold, level in RISK_LEVELS:
        if advantage >= threshold:
            return level
    return "low"


def _membership_gap(results):
    """Members' advantage minus non-members', per attack and attribute; the CI's half-width is
    the root sum of squares of the two independent bootstrap intervals' half-widths (a normal
    approximation; the populations are disjoint)."""
    rows = []
    keyed = results[results["attack"] != "imputation"].set_index(
        ["sensitive", "attack", "population"]
    )
    for (sensitive, attack), _ in results[results["attack"] != "imputation"].groupby(
        ["sensitive", "attack"], sort=False
    ):
        try:
            mem = keyed.loc[(sensitive, attack, "members")]
            out = keyed.loc[(sensitive, attack, "non-members")]
        except KeyError:
            continue
        gap = mem["advantage"] - out["advantage"]
        half = math.hypot(
            (mem["advantage_ci_high"] - mem["advantage_ci_low"]) / 2,
            (out["advantage_ci_high"] - out["advantage_ci_low"]) / 2,
        )
        rows.append(
            dict(
                sensitive=sensitive,
                attack=attack,
                advantage_members=mem["advantage"],
                advantage_non_members=out["advantage"],
                gap=gap,
                gap_ci_low=gap - half if np.isfinite(half) else np.nan,
                gap_ci_high=gap + half if np.isfinite(half) else np.nan,
            )
        )
    gap = pd.DataFrame(
        rows,
        columns=[
            "sensitive",
            "attack",
            "advantage_members",
            "advantage_non_members",
            "gap",
            "gap_ci_low",
            "gap_ci_high",
        ],
    )
    return gap


#: The access an attacker needs, as the verdicts name it: the model's API (its outputs or its
#: labels), or the model file (its internals, which include querying it).
ACCESS_VERDICTS = {
    "api": "API access",
    "explanations": "API access with explanations",
    "model-file": "model-file access",
}
_API_ATTACK_ACCESS = {"outputs", "labels"}
_EXPLANATION_ACCESS = _API_ATTACK_ACCESS | {"explanations"}
_LEVEL_ORDER = {"undetermined": -1, "none": 0, "low": 1, "medium": 2, "high": 3}


def _deciding(part, low="advantage_ci_low_family"):
    """(row, risk level) of the attack that decides an attribute's risk among the members'
    rows ``part``: the best lower bound of the family-wise interval of the advantage (one
    bootstrap shared by the attacks compared, so that taking the best of them keeps the
    false-alarm rate); when that shows no measurable leakage, the best advantage;
    "undetermined" when no advantage is defined."""
    finite = part[np.isfinite(part["advantage"].astype(float))]
    if finite.empty:
        return part.iloc[0], "undetermined"
    if low not in finite.columns:  # a table from before family-wise intervals
        low = "advantage_ci_low"
    lows = finite[low].astype(float).fillna(-np.inf)
    best = finite.loc[lows.idxmax()]
    level = _risk_level(float(best["advantage"]), float(best[low]))
    if level == "none":
        best = finite.loc[finite["advantage"].astype(float).idxmax()]
    return best, level


def _access_rows(members, family, access):
    """The members' rows of the attacks an attacker with ``access`` can run, with the lower
    and upper bounds of their family-wise intervals for that family."""
    if access == "api":
        members = members[members["access"].isin(_API_ATTACK_ACCESS)]
    elif access == "explanations":
        members = members[members["access"].isin(_EXPLANATION_ACCESS)]
    members = members.copy()
    has_family = (
        "advantage_ci_low_family" in members and members["advantage_ci_low_family"].notna().any()
    )
    members["simultaneous"] = has_family or family is not None
    if not has_family:  # a table from before family-wise intervals: the attacks' own
        members["advantage_ci_low_family"] = members["advantage_ci_low"]
        members["advantage_ci_high_family"] = members["advantage_ci_high"]
    if family is None or members.empty:
        return members
    bounds = family[family["population"] == "members"].set_index(["sensitive", "attack"])
    keys = list(zip(members["sensitive"], members["attack"]))
    members["advantage_ci_low_family"] = [
        bounds["ci_low"].get(key, np.nan) if len(bounds) else np.nan for key in keys
    ]
    members["advantage_ci_high_family"] = [
        bounds["ci_high"].get(key, np.nan) if len(bounds) else np.nan for key in keys
    ]
    return members


def _verdict(part):
    """The deciding row and level of one access family, as a dict of columns."""
    if part.empty:
        return None, "not assessed"
    return _deciding(part)


def _at_worst_size(sensitive, verdict, sized):
    """A verdict replaced by its attack's result at a smaller auxiliary size, when that size
    reaches a higher level (the attacker's data size, see ``_aux_sizes``)."""
    best, level = verdict
    if best is None or sized is None or sized.empty:
        return verdict
    rows = sized[
        (sized["sensitive"] == sensitive)
        & (sized["attack"] == best["attack"])
        & (sized["aux_size"] != "all")
    ]
    if rows.empty:
        return verdict
    worst = rows.loc[rows["risk_level"].map(lambda r: _LEVEL_ORDER.get(r, -2)).idxmax()]
    if _LEVEL_ORDER.get(worst["risk_level"], -2) <= _LEVEL_ORDER.get(level, -2):
        return verdict
    at_size = best.copy()
    for column, value in (
        ("score", worst["score"]),
        ("baseline_score", worst["baseline_score"]),
        ("advantage", worst["advantage"]),
        ("advantage_ci_low_family", worst["advantage_ci_low"]),
        ("advantage_ci_high_family", worst["advantage_ci_high"]),
        ("aux_size", worst["aux_size"]),
        ("repeats", worst["repeats"]),
    ):
        at_size[column] = value
    return at_size, worst["risk_level"]


def _summary(results, gap, confidence, families=None, access="both", sized=None):
    """One row per attribute: the headline verdict and one per access.

    ``families`` maps an access ("api", "model-file") to the family-wise intervals of the
    attacks an attacker with that access can run (:func:`~tabinvert.evaluation.family_intervals`
    with a ``sensitive`` column); without it, the results' own family-wise columns are used.
    ``access`` says which verdicts are asked for: "api", "model-file" or "both". ``sized`` is
    the attacker's-data-size table (``_aux_sizes``): a verdict whose attack reaches a higher
    level with fewer auxiliary records takes that level, and ``aux_size`` says which size. The
    model-file verdict is never below the API verdict: holding the file includes querying it.
    When the results hold explanation attacks (the API returns explanations), a third verdict,
    "explanations", is never below the API's nor above the model file's, and is the headline
    of an API-only assessment.
    """
    families = families or {}
    accesses = ["api", "model-file"] if access == "both" else [access]
    rows = []
    members = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    explained = "access" in members and members["access"].eq("explanations").any()
    if explained and access != "model-file":
        accesses.insert(1, "explanations")
    for sensitive, part in members.groupby("sensitive", sort=False):
        verdicts = {}
        for name in ("api", "explanations", "model-file"):
            if name not in accesses and not (name == "api" and access == "model-file"):
                continue
            verdict = _verdict(_access_rows(part, families.get(name), name))
            verdicts[name] = _at_worst_size(sensitive, verdict, sized)
        # Each access includes the one below it: the file holder can query the model and
        # compute its explanations; an API that explains also answers.
        chain = [name for name in ("api", "explanations", "model-file") if name in verdicts]
        for lower, upper in zip(chain, chain[1:]):
            if _LEVEL_ORDER.get(verdicts[lower][1], -2) > _LEVEL_ORDER.get(verdicts[upper][1], -2):
                verdicts[upper] = verdicts[lower]
        headline = next(n for n in ("model-file", "explanations", "api") if n in accesses)
        best, level = verdicts[headline]
        if best is None:
            raise ValueError(
                f"No attack on {sensitive!r} needs only {ACCESS_VERDICTS[headline]}: add one, "
                "or assess with access='both'."
            )
        decided_by = headline
        for lower in chain[: chain.index(headline)]:
            if verdicts[lower][1] == level:  # an attacker with less access already reaches it
                decided_by = lower
                break
        row = dict(
            sensitive=sensitive,
            risk_level=level,
            deciding_access=decided_by,
            attack=best["attack"],
            metric=best["metric"],
            score=best["score"],
            baseline_score=best["baseline_score"],
            advantage=best["advantage"],
            advantage_ci_low=best["advantage_ci_low_family"],
            advantage_ci_high=best["advantage_ci_high_family"],
            sentence=_sentence(sensitive, best, level, gap, confidence, verdicts, accesses),
            aux_size=best.get("aux_size", "all"),
        )
        for name in ("api", "explanations", "model-file"):
            suffix = name.replace("-", "_")
            chosen, chosen_level = verdicts.get(name, (None, "not assessed"))
            if name == "explanations" and name not in accesses:
                chosen, chosen_level = None, None  # the API returns no explanations
            elif name not in accesses:
                chosen, chosen_level = None, "not assessed"
            row[f"risk_level_{suffix}"] = chosen_level
            row[f"attack_{suffix}"] = None if chosen is None else chosen["attack"]
            row[f"advantage_{suffix}"] = np.nan if chosen is None else chosen["advantage"]
            row[f"advantage_ci_low_{suffix}"] = (
                np.nan if chosen is None else chosen["advantage_ci_low_family"]
            )
        rows.append(row)
    columns = SUMMARY_COLUMNS
    if "explanations" not in accesses:  # the API returns no explanations: no such verdict
        columns = [c for c in columns if not c.endswith("_explanations")]
    return pd.DataFrame(rows, columns=columns)


SUMMARY_COLUMNS = [
    "sensitive",
    "risk_level",
    "deciding_access",
    "attack",
    "metric",
    "score",
    "baseline_score",
    "advantage",
    "advantage_ci_low",
    "advantage_ci_high",
    "sentence",
    "risk_level_api",
    "attack_api",
    "advantage_api",
    "advantage_ci_low_api",
    "risk_level_explanations",
    "attack_explanations",
    "advantage_explanations",
    "advantage_ci_low_explanations",
    "risk_level_model_file",
    "attack_model_file",
    "advantage_model_file",
    "advantage_ci_low_model_file",
    "aux_size",
]


def _sentence(sensitive, best, level, gap, confidence, verdicts, accesses):
    """The headline sentence of one attribute; it names the access that decides it and, when
    the model file decides, what an attacker with API access alone achieves."""
    if level == "undetermined":
        return f"The advantage of attacks on {sensitive!r} is undefined: {best['verdict']}."
    pct = int(round(confidence * 100))
    interval = (
        f"{pct}% CI {best['advantage_ci_low_family']:+.2f} to "
        f"{best['advantage_ci_high_family']:+.2f}"
    )
    if best.get("simultaneous", False):
        interval += ", simultaneous over the attacks compared"
    if level == "none":
        return (
            f"No attack infers {sensitive!r} of the training records measurably better than "
            f"imputation from the population's statistics (best: {best['attack']}, advantage "
            f"{best['advantage']:+.2f}, {interval}, which includes 0 or lies below it)."
        )
    sample = best.get("aux_size", "all")
    g = gap[(gap["sensitive"] == sensitive) & (gap["attack"] == best["attack"])]
    member_note = ""
    if (
        sample == "all"
        and len(g)
        and np.isfinite(g["gap_ci_low"].iloc[0])
        and g["gap_ci_low"].iloc[0] > 0
        and best["advantage_ci_low_family"] > 0
    ):
        member_note = (
            " It works better on the training records than on held-out people: the model "
            "memorised them."
        )
    white_box = best["access"] not in _EXPLANATION_ACCESS
    if white_box:
        who = "holding the model file (its internals)"
    elif best["access"] == "explanations":
        who = "with the explanations the model's API returns"
    else:
        who = "with the model's outputs"
    if sample == "all":
        sentence = (
            f"An attacker {who} infers {sensitive!r} of the people it was trained on with "
            f"{best['metric']} {best['score']:.2f}, against {best['baseline_score']:.2f} for "
            f"imputation without the model: advantage {best['advantage']:+.2f} ({interval}), "
            f"by {best['attack']}.{member_note}"
        )
    else:
        sentence = (
            f"With only {sample} auxiliary records (averaged over {best['repeats']} samples), "
            f"an attacker {who} infers {sensitive!r} of the people it was trained on with "
            f"{best['metric']} {best['score']:.2f}, against {best['baseline_score']:.2f} for "
            f"imputation fitted on the same records: advantage {best['advantage']:+.2f} "
            f"({pct}% CI {best['advantage_ci_low_family']:+.2f} to "
            f"{best['advantage_ci_high_family']:+.2f}, Bonferroni-adjusted over the sizes and "
            f"attacks tried), by {best['attack']}; with every auxiliary record the risk is lower."
        )
    if best["access"] not in _API_ATTACK_ACCESS and "api" in accesses and "api" in verdicts:
        api_best, api_level = verdicts["api"]
        if api_best is not None:
            alone = (
                "the model's answers alone (no explanations)"
                if "explanations" in accesses
                else "the model's API alone"
            )
            sentence += (
                f" Through {alone} the risk is {api_level} (best: "
                f"{api_best['attack']}, advantage {api_best['advantage']:+.2f})."
            )
    return sentence

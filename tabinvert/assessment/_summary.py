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


def _deciding(part):
    """(row, risk level) of the attack that decides an attribute's risk among the members'
    rows ``part``: the best lower confidence bound of the advantage; when that shows no
    measurable leakage, the best advantage; "undetermined" when no advantage is defined."""
    finite = part[np.isfinite(part["advantage"].astype(float))]
    if finite.empty:
        return part.iloc[0], "undetermined"
    best = finite.loc[finite["advantage_ci_low"].astype(float).idxmax()]
    level = _risk_level(float(best["advantage"]), float(best["advantage_ci_low"]))
    if level == "none":
        best = finite.loc[finite["advantage"].astype(float).idxmax()]
    return best, level


def _summary(results, gap, confidence, white_box=()):
    """One row per attribute; ``white_box`` holds the (attribute, attack) pairs of white-box
    attacks, whose sentence names the attacker's access to the model's internals."""
    rows = []
    members = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    for sensitive, part in members.groupby("sensitive", sort=False):
        best, level = _deciding(part)
        if level == "undetermined":
            sentence = f"The advantage of attacks on {sensitive!r} is undefined: {best['verdict']}."
        else:
            pct = int(round(confidence * 100))
            metric = best["metric"]
            if level == "none":
                top = best
                sentence = (
                    f"No attack infers {sensitive!r} of the training records measurably better "
                    f"than imputation from the population's statistics (best: {top['attack']}, "
                    f"advantage {top['advantage']:+.2f}, {pct}% CI {top['advantage_ci_low']:+.2f} "
                    f"to {top['advantage_ci_high']:+.2f}, which includes 0 or lies below it)."
                )
            else:
                g = gap[(gap["sensitive"] == sensitive) & (gap["attack"] == best["attack"])]
                member_note = ""
                if len(g) and np.isfinite(g["gap_ci_low"].iloc[0]) and g["gap_ci_low"].iloc[0] > 0:
                    member_note = (
                        " It works better on the training records than on held-out "
                        "people: the model memorised them."
                    )
                access = (
                    "holding the model itself (its internals)"
                    if (sensitive, best["attack"]) in set(white_box)
                    else "with the model's outputs"
                )
                sentence = (
                    f"An attacker {access} infers {sensitive!r} of the people it "
                    f"was trained on with {metric} {best['score']:.2f}, against "
                    f"{best['baseline_score']:.2f} for imputation without the model: advantage "
                    f"{best['advantage']:+.2f} ({pct}% CI {best['advantage_ci_low']:+.2f} to "
                    f"{best['advantage_ci_high']:+.2f}), by {best['attack']}.{member_note}"
                )
        rows.append(
            dict(
                sensitive=sensitive,
                risk_level=level,
                attack=best["attack"],
                metric=best["metric"],
                score=best["score"],
                baseline_score=best["baseline_score"],
                advantage=best["advantage"],
                advantage_ci_low=best["advantage_ci_low"],
                advantage_ci_high=best["advantage_ci_high"],
                sentence=sentence,
            )
        )
    return pd.DataFrame(
        rows,
        columns=[
            "sensitive",
            "risk_level",
            "attack",
            "metric",
            "score",
            "baseline_score",
            "advantage",
            "advantage_ci_low",
            "advantage_ci_high",
            "sentence",
        ],
    )

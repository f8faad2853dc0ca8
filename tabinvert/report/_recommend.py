"""Recommendations generated from an assessment's tables (never from fixed prose alone).

Each ``*_advice`` function reads one aspect of the :class:`~tabinvert.Assessment` and returns a
list of safe HTML snippets (user text escaped), one per recommendation; :func:`recommendations`
concatenates them in reading order: defenses, label-only attacks, memorisation, subgroups.
"""

from __future__ import annotations

import numpy as np

from ._format import esc, has, interval, num

#: A defense "costs nothing" when it loses at most this much utility.
UTILITY_TOLERANCE = 0.01
#: Utility metrics for which lower is better (the rest: higher is better).
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mse", "log_loss"})
#: Subgroup exposure gaps below this are not worth a recommendation.
EXPOSURE_GAP = 0.05


def utility_metric(defenses):
    """Name of the utility metric of a defense sweep ("utility" when unknown)."""
    if not has(defenses, "utility_metric"):
        return "utility"
    return str(defenses["utility_metric"].iloc[0])


def utility_drop(defenses, frontier):
    """Per frontier row, how much utility it loses against the undefended model (> 0: worse).

    The reference is the frontier's ``"none"`` row, else the sweep's own reference
    (``utility - utility_change``), else the best utility of the frontier.
    """
    lower_better = utility_metric(defenses) in LOWER_IS_BETTER
    utility = frontier["utility"].astype(float)
    reference = _reference(frontier, "utility")
    if reference is None and has(defenses, "utility", "utility_change"):
        reference = float(defenses["utility"].iloc[0] - defenses["utility_change"].iloc[0])
    if reference is None:
        reference = float(utility.min() if lower_better else utility.max())
    return (utility - reference) if lower_better else (reference - utility)


def _reference(frontier, column):
    rows = frontier[frontier["defense"].astype(str) == "none"]
    return float(rows[column].iloc[0]) if len(rows) else None


def _risk_text(defenses, defense, attack):
    """The worst attack's members advantage under ``defense``, with its interval if known."""
    if not has(
        defenses,
        "defense",
        "attack",
        "population",
        "advantage",
        "advantage_ci_low",
        "advantage_ci_high",
    ):
        return None
    rows = defenses[
        (defenses["defense"].astype(str) == str(defense))
        & (defenses["attack"].astype(str) == str(attack))
        & (defenses["population"] == "members")
    ]
    if rows.empty:
        return None
    return _advantage_interval(rows.iloc[0])


def _describe(defenses, row, metric):
    """ "<defense> (worst advantage a [lo, hi] by <attack>; costs d <metric>)"."""
    risk = _risk_text(defenses, row["defense"], row["worst_attack"]) or num(
        row["risk"], signed=True
    )
    drop = row["drop"]
    cost = "no utility" if drop <= 0 else f"{num(drop)} {esc(metric)}"
    return (
        f"<strong>{esc(row['defense'])}</strong> (worst-case advantage {esc(risk)}, by "
        f"{esc(row['worst_attack'])}; costs {cost})"
    )


def defense_advice(assessment):
    """Which defense lowers the risk at what utility cost, or a prompt to measure defenses."""
    frontier, defenses = assessment.frontier, assessment.defenses
    if not has(frontier, "defense", "utility", "risk", "worst_attack", "on_frontier"):
        return [
            "No defenses were measured. Re-run <code>assess(..., defenses=[...])</code> "
            "with output defenses from <code>tabinvert.defenses</code> (e.g. "
            "<code>RoundProbabilities</code>, <code>TopK</code>, <code>GaussianNoise</code>, "
            "<code>LabelOnly</code>) to see what each one buys in privacy and costs in "
            "utility."
        ]
    metric = utility_metric(defenses)
    table = frontier.assign(
        drop=utility_drop(defenses, frontier).to_numpy(), risk=frontier["risk"].astype(float)
    )
    reference_risk = _reference(table, "risk")
    if reference_risk is None:
        reference_risk = float(table["risk"].max())
    tried = table[table["defense"].astype(str) != "none"]
    if tried.empty:
        return ["Only the undefended model was measured; add output defenses to compare."]
    start = (
        "Undefended, the worst-case advantage on the training records is "
        f"{num(reference_risk, signed=True)}."
    )
    lowered = tried[tried["risk"] < reference_risk - 1e-12]
    if lowered.empty:
        return [
            f"{start} None of the defenses tried lowers it: the attacks do not depend on "
            "the detail the defenses remove."
        ]
    cheap = lowered[
        lowered["on_frontier"].astype(bool) & (lowered["drop"] <= UTILITY_TOLERANCE + 1e-12)
    ]
    tolerance = f"{num(UTILITY_TOLERANCE, 2)} {esc(metric)}"
    strongest = lowered.sort_values(["risk", "drop"], kind="stable").iloc[0]
    if len(cheap):
        best = cheap.sort_values(["risk", "drop"], kind="stable").iloc[0]
        advice = [
            f"{start} The defense that lowers it most while losing at most {tolerance} "
            f"is {_describe(defenses, best, metric)}."
        ]
    else:
        best = None
        advice = [f"{start} No defense tried lowers it while losing at most {tolerance}."]
    if best is None or str(strongest["defense"]) != str(best["defense"]):
        advice.append(f"The strongest defense tried is {_describe(defenses, strongest, metric)}.")
    if _still_leaks(defenses, strongest):
        advice.append(
            "Even the strongest defense tried leaves measurable leakage; combine "
            "output defenses with training-time measures, or do not expose the "
            "model's outputs to untrusted parties."
        )
    return advice


def _still_leaks(defenses, row):
    """Whether the worst attack under a defense still leaks (interval above 0, or, without an
    interval, a positive advantage)."""
    if has(defenses, "defense", "attack", "population", "advantage_ci_low"):
        rows = defenses[
            (defenses["defense"].astype(str) == str(row["defense"]))
            & (defenses["attack"].astype(str) == str(row["worst_attack"]))
            & (defenses["population"] == "members")
        ]
        if len(rows) and np.isfinite(float(rows["advantage_ci_low"].iloc[0])):
            return float(rows["advantage_ci_low"].iloc[0]) > 0
    return float(row["risk"]) > 0


def _advantage_interval(row):
    return interval(
        row["advantage"], row["advantage_ci_low"], row["advantage_ci_high"], signed=True
    )


def _label_only(table):
    """Rows of attacks that read the predicted labels only (their declared ``access``)."""
    return table["access"].astype(str) == "labels"


def label_only_advice(assessment):
    """Label-only attacks survive every defense that keeps the arg-max (always said when one
    was run)."""
    results = assessment.results
    if not has(results, "attack", "access", "population", "sensitive", "advantage"):
        return []
    rows = results[_label_only(results) & (results["population"] == "members")]
    if rows.empty:
        return []
    measured = "; ".join(
        f"{esc(r['sensitive'])}: advantage {esc(_advantage_interval(r))}"
        for _, r in rows.iterrows()
    )
    text = (
        f"A label-only attack was run ({measured} on the training records). It "
        "needs only the predicted label, so it survives every defense that keeps the "
        "arg-max: rounding, coarsening or truncating probabilities, or returning labels "
        "only, cannot stop it."
    )
    defenses = assessment.defenses
    if has(defenses, "defense", "keeps_argmax", "attack", "access", "population", "advantage"):
        keep = defenses[
            defenses["keeps_argmax"].astype(bool) & (defenses["defense"].astype(str) != "none")
        ]
        names = list(dict.fromkeys(keep["defense"].astype(str)))
        under = keep[_label_only(keep) & (keep["population"] == "members")]
        if names:
            text += (
                " Of the defenses tried, "
                + ", ".join(f"<strong>{esc(n)}</strong>" for n in names)
                + " keep the arg-max"
            )
            if len(under):
                worst = under.loc[under["advantage"].astype(float).idxmax()]
                text += (
                    f"; under them the label-only attack's advantage is still up to "
                    f"{esc(num(worst['advantage'], signed=True))}"
                )
            text += "."
    text += (
        " Only changing the decisions themselves (noise that can flip labels) or "
        "training-time measures reduce it."
    )
    return [text]


def memorisation_advice(assessment):
    """Training-time measures when members leak measurably more than non-members."""
    gap = assessment.membership_gap
    if not has(gap, "sensitive", "attack", "gap", "gap_ci_low", "gap_ci_high"):
        return []
    low = gap["gap_ci_low"].astype(float)
    leaking = gap[np.isfinite(low) & (low > 0)]
    if leaking.empty:
        members = assessment.summary
        leaks = (
            has(members, "risk_level")
            and members["risk_level"].isin(["low", "medium", "high"]).any()
        )
        if leaks:
            return [
                "Members and non-members leak alike (no membership gap's interval lies "
                "above 0): the attacks exploit what the model learned about the population, "
                "not memorised records. Regularisation will not remove that; review whether "
                "the model needs the features that carry the sensitive attribute."
            ]
        return []
    items = ", ".join(
        f"{esc(r['attack'])} on {esc(r['sensitive'])} (gap "
        f"{esc(interval(r['gap'], r['gap_ci_low'], r['gap_ci_high'], signed=True))})"
        for _, r in leaking.iterrows()
    )
    return [
        f"The training records leak more than held-out people for {items}: the model "
        "memorised them. Use training-time measures: stronger regularisation (shallower "
        "trees, larger <code>min_samples_leaf</code>, stronger L2 penalty, early stopping), "
        "more training data, or differentially private training; compare the candidates "
        "with <code>tabinvert.evaluate_defenses(..., models={...})</code> and re-assess."
    ]


def group_advice(assessment):
    """Point at the most exposed subgroup when the exposure gap is material."""
    disparity = assessment.disparity
    if not has(disparity, "sensitive", "group", "most_exposed", "least_exposed", "exposure_gap"):
        return []
    gaps = disparity["exposure_gap"].astype(float)
    if not (np.isfinite(gaps) & (gaps >= EXPOSURE_GAP)).any():
        return []
    row = disparity.loc[gaps.idxmax()]
    return [
        f"Records with {esc(row['group'])} = {esc(row['most_exposed'])} are the most exposed "
        f"for {esc(row['sensitive'])}: their mean exposure is {esc(num(row['exposure_gap']))} "
        f"higher than for {esc(row['group'])} = {esc(row['least_exposed'])}. Name this group "
        "in the impact assessment and check the mitigation for it specifically."
    ]


def undetermined_advice(assessment):
    """Attributes whose advantage is undefined (the baseline is already perfect)."""
    summary = assessment.summary
    if not has(summary, "sensitive", "risk_level"):
        return []
    rows = summary[summary["risk_level"] == "undetermined"]
    return [
        f"The risk for {esc(r['sensitive'])} is undetermined: imputation from the population "
        "already infers it perfectly on these records, so the model cannot add to it. Treat "
        "the attribute as public to anyone with the auxiliary data."
        for _, r in rows.iterrows()
    ]


def recommendations(assessment):
    """All recommendations, as safe HTML snippets in reading order.

    Parameters
    ----------
    assessment : Assessment

    Returns
    -------
    list of str
    """
    advice = []
    for part in (
        defense_advice,
        label_only_advice,
        memorisation_advice,
        group_advice,
        undetermined_advice,
    ):
        advice.extend(part(assessment))
    return advice

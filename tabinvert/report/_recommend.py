"""Recommendations generated from an assessment's tables (never from fixed prose alone).

Each ``*_advice`` function reads one aspect of the :class:`~tabinvert.Assessment` and returns a
list of safe HTML snippets (user text escaped), one per recommendation; :func:`recommendations`
concatenates them in reading order: the model file, defenses, label-only attacks,
memorisation, subgroups.

Every sentence is conditioned on the numbers it quotes: a defense under which any attack gains
is never recommended (:func:`attack_changes`), "memorised" is said only of an attack that
leaks on the training records and leaks more on them than on held-out people
(:func:`memorised`), an advantage is "still up to" a number only when that number is
positive, and a subgroup is named "most exposed" only when it separates from the other records
after Holm's correction (the ``separates`` column of the subgroup table). "Protect the model
file" is said exactly when the model-file level is above the API level (:func:`model_file_advice`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._defenses import alternative_models, defense_labeller
from ._format import esc, has, interval, is_missing, num
from ._verdicts import (
    NOT_ASSESSED,
    access_verdict,
    file_above_api,
    has_access_levels,
    is_white_box,
    rank,
    size_text,
    sized_row,
)

#: A defense "costs nothing" when it loses at most this much utility.
UTILITY_TOLERANCE = 0.01
#: Utility metrics for which lower is better (the rest: higher is better).
LOWER_IS_BETTER = frozenset({"mae", "rmse", "mse", "log_loss"})
#: An attack "gains" under a defense when its advantage on the training records rises by more
#: than this over the undefended one: any rise the report's three decimals can show. However
#: small, such a defense is never recommended (a rise inside the interval may be noise, but the
#: report does not recommend a defense its own table shows helping an attack).
RISE_TOLERANCE = 0.0005
#: The level of the subgroup tests, as the subgroup table's ``separates`` applies it.
GROUP_LEVEL = 0.05


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


def _describe(defenses, row, metric, label=str):
    """ "<defense> (worst advantage a [lo, hi] by <attack>; costs d <metric>)", the defense
    named by ``label`` (with all its parameters)."""
    risk = _risk_text(defenses, row["defense"], row["worst_attack"]) or num(
        row["risk"], signed=True
    )
    drop = row["drop"]
    cost = "no utility" if drop <= 0 else f"{num(drop)} {esc(metric)}"
    return (
        f"<strong>{esc(label(row['defense']))}</strong> (worst-case advantage {esc(risk)}, by "
        f"{esc(row['worst_attack'])}; costs {cost})"
    )


def attack_changes(defenses):
    """Per defense (other than "none"), attribute and attack: the members' advantage
    undefended and under the defense, the change, and whether the attack ``gains`` (rises by
    more than :data:`RISE_TOLERANCE`). ``undefended`` is NaN when the sweep has no "none" row
    for the attack (then whether it gains is unknown: ``checked`` is False).

    Returns an empty frame when the sweep lacks the columns.
    """
    columns = [
        "defense",
        "sensitive",
        "attack",
        "undefended",
        "defended",
        "change",
        "gains",
        "checked",
    ]
    if not has(defenses, "defense", "attack", "population", "sensitive", "advantage"):
        return pd.DataFrame(columns=columns)
    members = defenses[defenses["population"] == "members"]
    name = members["defense"].astype(str)
    reference = (
        members[name == "none"]
        .drop_duplicates(["sensitive", "attack"])
        .set_index(["sensitive", "attack"])["advantage"]
        .astype(float)
    )
    rows = []
    for _, row in members[name != "none"].iterrows():
        key = (row["sensitive"], row["attack"])
        undefended = float(reference.get(key, np.nan))
        defended = float(row["advantage"]) if not is_missing(row["advantage"]) else np.nan
        change = defended - undefended
        checked = bool(np.isfinite(undefended) and np.isfinite(defended))
        rows.append(
            dict(
                defense=str(row["defense"]),
                sensitive=row["sensitive"],
                attack=row["attack"],
                undefended=undefended,
                defended=defended,
                change=change,
                gains=bool(checked and change > RISE_TOLERANCE),
                checked=checked,
            )
        )
    return pd.DataFrame(rows, columns=columns)


def _attack_label(row):
    """The sweep's attack name without the " [attribute]" suffix it adds, and its attribute."""
    attack = str(row["attack"]).removesuffix(f" [{row['sensitive']}]")
    return f"{attack} on {row['sensitive']}"


def gains_text(changes, defense):
    """ "<attack> on <attribute> rises from a to b (+d)" for every attack that gains under
    ``defense`` (largest rise first), as plain text; "" when none does."""
    rows = changes[(changes["defense"] == str(defense)) & changes["gains"]]
    rows = rows.sort_values("change", ascending=False, kind="stable")
    return "; ".join(
        f"{_attack_label(r)} rises from {num(r['undefended'], signed=True)} to "
        f"{num(r['defended'], signed=True)} ({num(r['change'], signed=True)})"
        for _, r in rows.iterrows()
    )


def defense_choice(assessment):
    """The defense the recommendations choose, and why: the one rule that the
    recommendations, the residual risk of the first screen and the regulatory checklist share.

    Returns
    -------
    dict
        ``kind``: "not measured" (no sweep), "only undefended" (no defense tried), "no leak"
        (no attack leaks undefended: no defense is needed), "none lowers" (no defense under
        which no attack gains lowers the worst-case risk), "recommended" (``defense`` lowers
        it most while losing at most :data:`UTILITY_TOLERANCE`; ``strongest`` is the strongest
        such defense when it differs) or "strongest only" (every defense that lowers it costs
        more than that; ``strongest`` is the one that lowers it most, and ``defense`` is
        None). Also the table the choice was read from (``table``, with ``drop``), the
        reference risk, the per-attack ``changes``, and the defenses under which an attack
        gains (``gaining``) or whose changes cannot be checked (``unchecked``).
    """
    frontier, defenses = assessment.frontier, assessment.defenses
    choice = dict(
        kind="not measured", defense=None, strongest=None, best_row=None, strongest_row=None
    )
    if not has(frontier, "defense", "utility", "risk", "worst_attack", "on_frontier"):
        return choice
    choice["metric"] = utility_metric(defenses)
    table = frontier.assign(
        drop=utility_drop(defenses, frontier).to_numpy(), risk=frontier["risk"].astype(float)
    )
    reference_risk = _reference(table, "risk")
    if reference_risk is None:
        reference_risk = float(table["risk"].max())
    choice.update(table=table, reference_risk=reference_risk)
    # Output defenses only: another model (a DP counterpart, a regularised one) changes what
    # the model file reveals too, which the residual reading of an output defense assumes not.
    others = alternative_models(assessment)
    tried = table[~table["defense"].astype(str).isin({"none"} | others)]
    choice["tried"] = tried
    if tried.empty:
        choice["kind"] = "only undefended"
        return choice
    changes = attack_changes(defenses)
    gaining = set(changes.loc[changes["gains"], "defense"])
    unchecked = set(changes.loc[~changes["checked"].astype(bool), "defense"])
    if changes.empty:  # no per-attack rows: nothing shows that no attack gains
        unchecked = set(tried["defense"].astype(str))
    choice.update(changes=changes, gaining=gaining, unchecked=unchecked)
    names = tried["defense"].astype(str)
    safe = tried[~names.isin(gaining | unchecked)]
    leaks = _undefended_leaks(defenses)
    choice["leaks"] = leaks
    if leaks is False or (leaks is None and np.isfinite(reference_risk) and reference_risk <= 0):
        choice["kind"] = "no leak"
        return choice
    choice["lowers"] = tried[tried["risk"] < reference_risk - 1e-12]
    lowered = safe[safe["risk"] < reference_risk - 1e-12]
    if lowered.empty:
        choice["kind"] = "none lowers"
        return choice
    # Not filtered by the sweep's frontier: a defense dominated only by one under which an attack
    # gains is still a candidate (the least risk, then the least loss, is never dominated by
    # another candidate).
    cheap = lowered[lowered["drop"] <= UTILITY_TOLERANCE + 1e-12]
    strongest = lowered.sort_values(["risk", "drop"], kind="stable").iloc[0]
    choice.update(strongest=str(strongest["defense"]), strongest_row=strongest)
    if len(cheap):
        best = cheap.sort_values(["risk", "drop"], kind="stable").iloc[0]
        choice.update(kind="recommended", defense=str(best["defense"]), best_row=best)
    else:
        choice["kind"] = "strongest only"
    return choice


def defense_advice(assessment):
    """Which defense lowers the risk at what utility cost, or a prompt to measure defenses.

    A defense under which any attack's advantage on the training records rises (by more than
    :data:`RISE_TOLERANCE`) is never recommended, and the attack that gains is named. The
    choice is :func:`defense_choice`'s.
    """
    choice = defense_choice(assessment)
    kind = choice["kind"]
    if kind == "not measured":
        return [
            "No defenses were measured. Re-run <code>assess(..., defenses=[...])</code> "
            "with output defenses from <code>tabinvert.defenses</code> (e.g. "
            "<code>RoundProbabilities</code>, <code>TopK</code>, <code>GaussianNoise</code>, "
            "<code>LabelOnly</code>) to see what each one buys in privacy and costs in "
            "utility."
        ]
    if kind == "only undefended":
        return ["Only the undefended model was measured; add output defenses to compare."]
    defenses, metric = assessment.defenses, choice["metric"]
    label = defense_labeller(assessment)
    changes, gaining, unchecked = choice["changes"], choice["gaining"], choice["unchecked"]
    names = choice["tried"]["defense"].astype(str)
    warnings = [
        f"Not recommended: under <strong>{esc(label(d))}</strong> an attack gains: "
        f"{esc(gains_text(changes, d))}."
        for d in dict.fromkeys(names)
        if d in gaining
    ]
    if unchecked - gaining:
        listed = ", ".join(f"<strong>{esc(label(d))}</strong>" for d in sorted(unchecked - gaining))
        warnings.append(
            f"Not recommended: for {listed} the sweep lacks an undefended or a defended "
            "advantage of some attack, so it cannot show that no attack gains."
        )
    reference_risk = choice["reference_risk"]
    start = (
        "Undefended, the worst-case advantage on the training records is "
        f"{num(reference_risk, signed=True)}"
    )
    if kind == "no leak":
        reason = (
            "no attack's interval lies above 0: no attack leaks measurably"
            if choice["leaks"] is False
            else "no attack has a positive advantage"
        )
        return [f"{start}, and {reason}, so these attacks need no output defense."] + warnings
    start += "."
    if kind == "none lowers":
        lowers = choice["lowers"]
        if lowers.empty:
            text = f"{start} None of the defenses tried lowers it" + (
                "." if gaining else ": the attacks do not depend on the detail the defenses remove."
            )
        else:
            text = (
                f"{start} The defenses that lower it ("
                + ", ".join(
                    f"<strong>{esc(label(d))}</strong>" for d in lowers["defense"].astype(str)
                )
                + ") are not recommended, for the reasons below."
            )
        return [text] + warnings
    tolerance = f"{num(UTILITY_TOLERANCE, 2)} {esc(metric)}"
    best, strongest = choice["best_row"], choice["strongest_row"]
    if best is not None:
        advice = [
            f"{start} The defense that lowers it most while losing at most {tolerance} "
            f"is {_describe(defenses, best, metric, label)}; no attack's advantage rises under it."
        ]
    else:
        advice = [
            f"{start} No defense tried lowers it while losing at most {tolerance} without "
            "an attack gaining under it."
        ]
    if best is None or str(strongest["defense"]) != str(best["defense"]):
        advice.append(
            "The strongest defense tried under which no attack's advantage rises is "
            f"{_describe(defenses, strongest, metric, label)}."
        )
    if _still_leaks(defenses, strongest):
        advice.append(
            "Even that defense leaves measurable leakage; combine output defenses with "
            "training-time measures, or do not expose the model's outputs to untrusted "
            "parties."
        )
    return advice + warnings


def _undefended_leaks(defenses):
    """Whether some attack leaks measurably on the undefended model (an interval of the sweep's
    "none" rows on the members lies above 0); None when the sweep has no such intervals."""
    if not has(defenses, "defense", "population", "advantage_ci_low"):
        return None
    low = defenses.loc[
        (defenses["defense"].astype(str) == "none") & (defenses["population"] == "members"),
        "advantage_ci_low",
    ].astype(float)
    low = low[np.isfinite(low)]
    if low.empty:
        return None
    return bool((low > 0).any())


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
    was run; that one leaks is said only when its interval lies above 0)."""
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
    low = rows["advantage_ci_low"].astype(float) if "advantage_ci_low" in rows else None
    leaks = low is not None and bool((np.isfinite(low) & (low > 0)).any())
    if leaks:
        text = (
            f"A label-only attack leaks ({measured} on the training records). It "
            "needs only the predicted label, so it survives every defense that keeps the "
            "arg-max: rounding, coarsening or truncating probabilities, or returning labels "
            "only, cannot stop it."
        )
    else:
        text = (
            f"A label-only attack was run and shows no measurable leakage ({measured} on the "
            "training records). Were one to leak, it would need only the predicted label: "
            "defenses that keep the arg-max (rounding, coarsening or truncating "
            "probabilities, or returning labels only) could not stop it."
        )
    defenses = assessment.defenses
    if has(defenses, "defense", "keeps_argmax", "attack", "access", "population", "advantage"):
        names = defenses["defense"].astype(str)
        keep = defenses[
            defenses["keeps_argmax"].eq(True)  # missing for another model: no promise
            & (names != "none")
            & ~names.isin(alternative_models(assessment))
        ]
        names = list(dict.fromkeys(keep["defense"].astype(str)))
        under = keep[_label_only(keep) & (keep["population"] == "members")]
        if names:
            text += (
                " Of the defenses tried, "
                + ", ".join(
                    f"<strong>{esc(defense_labeller(assessment)(n))}</strong>" for n in names
                )
                + " keep the arg-max"
            )
            advantages = under["advantage"].astype(float)
            if advantages.notna().any():
                worst = under.loc[advantages.idxmax()]
                if float(worst["advantage"]) > RISE_TOLERANCE:  # positive as printed
                    text += (
                        "; under them the label-only attack's advantage is still up to "
                        f"{esc(_advantage_interval(worst))}"
                    )
                else:
                    text += (
                        "; under them no label-only attack keeps a positive advantage (at most "
                        f"{esc(num(worst['advantage'], signed=True))})"
                    )
            text += "."
    if leaks:
        text += (
            " Only changing the decisions themselves (noise that can flip labels) or "
            "training-time measures reduce it."
        )
    return [text]


def _members(results):
    """The members' rows of the attacks (not imputation), by (attribute, attack)."""
    if not has(results, "attack", "population", "sensitive", "advantage", "advantage_ci_low"):
        return {}
    rows = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    return {(r["sensitive"], r["attack"]): r for _, r in rows.iterrows()}


def memorised(assessment):
    """The membership-gap rows that show memorisation: the gap's interval lies above 0 *and*
    the attack leaks on the training records (its members' advantage interval lies above 0,
    read from the results). A gap that only comes from non-members doing worse than
    imputation is not memorisation. Adds ``members_ci_low``, ``members_ci_high`` and the
    boolean ``memorised`` to every gap row (an empty frame when the gap table lacks columns).
    """
    gap = assessment.membership_gap
    if not has(gap, "sensitive", "attack", "gap", "gap_ci_low", "gap_ci_high"):
        return pd.DataFrame(columns=["sensitive", "attack", "gap", "memorised"])
    members = _members(assessment.results)
    low, high = [], []
    for _, row in gap.iterrows():
        member = members.get((row["sensitive"], row["attack"]))
        low.append(np.nan if member is None else float(member["advantage_ci_low"]))
        high.append(
            np.nan
            if member is None or "advantage_ci_high" not in member
            else float(member["advantage_ci_high"])
        )
    gap = gap.assign(members_ci_low=low, members_ci_high=high)
    gap_low = gap["gap_ci_low"].astype(float)
    member_low = gap["members_ci_low"].astype(float)
    return gap.assign(
        memorised=(
            np.isfinite(gap_low) & (gap_low > 0) & np.isfinite(member_low) & (member_low > 0)
        )
    )


def memorisation_advice(assessment):
    """Training-time measures when members leak measurably more than non-members (and do leak
    themselves); a note when a gap above 0 is not memorisation."""
    gap = memorised(assessment)
    if gap.empty:
        return []
    leaking = gap[gap["memorised"]]
    gap_low = gap["gap_ci_low"].astype(float)
    only_gap = gap[~gap["memorised"] & np.isfinite(gap_low) & (gap_low > 0)]
    notes = []
    if len(only_gap):
        items = ", ".join(
            f"{esc(r['attack'])} on {esc(r['sensitive'])} (gap "
            f"{esc(interval(r['gap'], r['gap_ci_low'], r['gap_ci_high'], signed=True))}, "
            f"members' advantage {esc(_members_text(r))})"
            for _, r in only_gap.iterrows()
        )
        notes.append(
            f"The membership gap of {items} lies above 0, but that is not memorisation: the "
            "attack does not leak measurably on the training records (the interval of its "
            "advantage on them does not lie above 0)."
        )
    if leaking.empty:
        members = _members(assessment.results)
        leaky = [
            key
            for key, r in members.items()
            if np.isfinite(float(r["advantage_ci_low"])) and float(r["advantage_ci_low"]) > 0
        ]
        compared = set(zip(gap["sensitive"], gap["attack"]))
        if any(key in compared for key in leaky):
            return [
                "Members and non-members leak alike for the attacks that leak on the training "
                "records (none of their membership gaps' intervals lies above 0): they exploit "
                "what the model learned about the population, not memorised records. "
                "Regularisation will not remove that; review whether the model needs the "
                "features that carry the sensitive attribute."
            ] + notes
        return notes
    items = ", ".join(
        f"{esc(r['attack'])} on {esc(r['sensitive'])} (gap "
        f"{esc(interval(r['gap'], r['gap_ci_low'], r['gap_ci_high'], signed=True))}, "
        f"members' advantage {esc(_members_text(r))})"
        for _, r in leaking.iterrows()
    )
    return [
        f"The training records leak more than held-out people for {items}: the model "
        "memorised them. Use training-time measures: stronger regularisation (shallower "
        "trees, larger <code>min_samples_leaf</code>, stronger L2 penalty, early stopping), "
        "more training data, or differentially private training; compare the candidates "
        "with <code>tabinvert.evaluate_defenses(..., models={...})</code> and re-assess."
    ] + notes


def _members_text(row):
    value = row["advantage_members"] if "advantage_members" in row else np.nan
    return interval(value, row["members_ci_low"], row["members_ci_high"], signed=True)


def _group_row(by_group, disparity_row, value):
    """The subgroup-table row of ``value`` in the grouping of ``disparity_row`` (None if absent)."""
    if not has(by_group, "sensitive", "attack", "group", "value"):
        return None
    rows = by_group[
        (by_group["sensitive"] == disparity_row["sensitive"])
        & (by_group["attack"] == disparity_row["attack"])
        & (by_group["group"] == disparity_row["group"])
        & (by_group["value"].astype(str) == str(value))
    ]
    return rows.iloc[0] if len(rows) else None


def above_the_rest(by_group, disparity_row):
    """The groups of ``disparity_row``'s grouping whose advantage is above the other records'
    and separates from it after the correction (comparable groups only), largest advantage
    first (an empty frame when none does, or the table has no tests)."""
    if not has(by_group, "sensitive", "attack", "group", "separates", "rest_advantage"):
        return pd.DataFrame()
    part = by_group[
        (by_group["sensitive"] == disparity_row["sensitive"])
        & (by_group["attack"] == disparity_row["attack"])
        & (by_group["group"] == disparity_row["group"])
    ]
    if "reliable" in part:
        part = part[part["reliable"].astype(bool)]
    separates = np.array([v is not None and v == v and bool(v) for v in part["separates"]])
    part = part[separates] if len(part) else part
    part = part[part["advantage"].astype(float) > part["rest_advantage"].astype(float)]
    return part.sort_values("advantage", ascending=False, kind="stable")


def standing_out(assessment):
    """Per grouping of the disparity table with a ``most_exposed`` group: (its row, the
    groups that stand out above the other records, :func:`above_the_rest`), kept only when
    the most exposed group is the first of them (the tables agree)."""
    disparity, by_group = assessment.disparity, assessment.by_group
    if not has(disparity, "sensitive", "attack", "group", "most_exposed"):
        return []
    named = []
    for _, row in disparity.iterrows():
        if is_missing(row["most_exposed"]):
            continue
        groups = above_the_rest(by_group, row)
        if len(groups) and str(groups["value"].iloc[0]) == str(row["most_exposed"]):
            named.append((row, groups))
    return named


def group_advice(assessment):
    """Name the most exposed subgroup of each grouping where one separates from the other
    records after Holm's correction; otherwise say that no subgroup stands out."""
    disparity, by_group = assessment.disparity, assessment.by_group
    if not has(disparity, "sensitive", "attack", "group"):
        return []
    if not has(disparity, "separates") or not has(by_group, "separates", "rest_advantage"):
        return [
            "The subgroups of this assessment were not tested against the other records (it "
            "predates the per-group tests), so no subgroup is named as most exposed; re-run "
            "the assessment to test them."
        ]
    advice = []
    for row, groups in standing_out(assessment):
        grouping = esc(row["group"])
        names = " and with ".join(f"{grouping} = {esc(v)}" for v in groups["value"])
        several = len(groups) > 1
        numbers = "; ".join(
            (f"on {grouping} = {esc(g['value'])} " if several else "on them ")
            + f"it is {esc(_group_interval(g))} against "
            f"{esc(num(g['rest_advantage'], signed=True))} on the other training records "
            f"({esc(_correction(row))}-adjusted p {esc(_p(g.get('p_adjusted')))})"
            for _, g in groups.iterrows()
        )
        advice.append(
            f"Records with {names} stand out as the most exposed for "
            f"{esc(row['sensitive'])} (by {esc(row['attack'])})"
            + (", largest advantage first" if several else "")
            + f": the attack's advantage {numbers}, over the "
            f"{esc(num(row.get('n_groups')))} groups compared. Name "
            + ("these groups" if several else "this group")
            + " in the impact assessment and check the mitigation for "
            + ("them" if several else "it")
            + " specifically."
        )
    quiet = disparity[~disparity["separates"].astype(bool)]
    for sensitive, part in quiet.groupby("sensitive", sort=False):
        groupings = " or by ".join(esc(g) for g in dict.fromkeys(part["group"].astype(str)))
        advice.append(
            f"For {esc(sensitive)}, no subgroup stands out by {groupings}: no comparable "
            "group's advantage differs from the other records' after "
            f"{esc(_correction(part.iloc[0]))}'s correction over the groups compared, so "
            "none is named as most exposed."
        )
    if "most_exposed" in disparity and "least_exposed" in disparity:
        lower = disparity[
            disparity["separates"].astype(bool)
            & disparity["most_exposed"].map(is_missing)
            & ~disparity["least_exposed"].map(is_missing)
        ]
    else:
        lower = disparity.head(0)
    for _, row in lower.iterrows():
        group = _group_row(by_group, row, row["least_exposed"])
        if group is None:
            continue
        advice.append(
            f"For {esc(row['sensitive'])} by {esc(row['group'])}, no subgroup stands out as "
            f"more exposed; {esc(row['group'])} = {esc(group['value'])} is less exposed than "
            f"the other records (advantage {esc(num(group['advantage'], signed=True))} against "
            f"{esc(num(group['rest_advantage'], signed=True))})."
        )
    return advice


def _group_interval(row):
    return interval(
        row["advantage"], row.get("advantage_ci_low"), row.get("advantage_ci_high"), signed=True
    )


def _correction(row):
    return (
        str(row["correction"])
        if "correction" in row and not is_missing(row["correction"])
        else "Holm"
    )


def _p(value):
    """A p-value as the end of "p …": "= 0.012", or "< 0.001" below that."""
    if is_missing(value):
        return "undefined"
    return "< 0.001" if float(value) < 0.001 else f"= {num(float(value))}"


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


def _verdict_numbers(assessment, row, verdict):
    """ "advantage +a" (with the auxiliary size when a smaller sample decided it)."""
    text = f"advantage {esc(num(verdict['advantage'], signed=True))}"
    sized = sized_row(
        assessment.aux_sizes, row["sensitive"], verdict["attack"], verdict["advantage"]
    )
    if sized is not None:
        text += f" with {esc(size_text(sized['aux_size']))} auxiliary records"
    return text


def model_file_advice(assessment):
    """Protect the model file, for each attribute whose model-file level is above its API
    level, naming the white-box attack that decides; when only model-file access was
    assessed, a prompt to compare it with API access (nothing says the file is the cause)."""
    summary = assessment.summary
    if not has_access_levels(summary):
        return []
    advice = []
    for _, row in summary.iterrows():
        api, model_file = access_verdict(row, "api"), access_verdict(row, "model_file")
        sensitive = esc(row["sensitive"])
        if file_above_api(row):
            white_box = is_white_box(assessment.results, row["sensitive"], model_file["attack"])
            attack = esc(model_file["attack"])
            plain = str(model_file["attack"])
            named = (
                f"the white-box attack {attack}"
                if white_box and "white-box" not in plain.lower()
                else attack
            )
            advice.append(
                f"<strong>Protect the model file.</strong> For {sensitive}, an attacker holding "
                f"the model file reaches {esc(model_file['level'])} risk by {named} "
                f"({_verdict_numbers(assessment, row, model_file)}), above the "
                f"{esc(api['level'])} risk through the API alone (best: {esc(api['attack'])}, "
                f"{_verdict_numbers(assessment, row, api)}). Restrict who holds the file "
                "(access control and a record of every copy), do not ship it to clients or "
                "devices (an app, a browser or an edge device hands it to every user), and "
                "treat it as personal data in the impact assessment: it carries what "
                f"{attack} reads about the training records. Output defenses do not help "
                "against this attack: it reads the file, not the model's outputs."
            )
        elif (
            api is not None
            and model_file is not None
            and api["level"] == NOT_ASSESSED
            and model_file["attack"] is not None
            and rank(model_file["level"]) is not None
            and rank(model_file["level"]) > 0
        ):
            advice.append(
                f"Only model-file access was assessed: for {sensitive}, an attacker holding the "
                f"model file reaches {esc(model_file['level'])} risk by "
                f"{esc(model_file['attack'])} "
                f"({_verdict_numbers(assessment, row, model_file)}). Whether an attacker who "
                "can only query the model gets as far was not assessed; re-assess with "
                "access='both' (command line: --access both) to see whether guarding the file "
                "lowers the risk."
            )
    return advice


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
        model_file_advice,
        defense_advice,
        label_only_advice,
        memorisation_advice,
        group_advice,
        undetermined_advice,
    ):
        advice.extend(part(assessment))
    return advice

"""The differential-privacy section: what each ε would buy against the attacks, and cost.

With ``assess(..., dp_epsilons=(0.5, 1, 2, 4, 8))`` the defense sweep includes private
counterparts of the model (:func:`~tabinvert.dp.private_counterparts`), attacked like the
deployed model on its members and on held-out people. The section says what ε means, shows
utility and the worst attack's advantage per ε with members and non-members side by side, and
names per family the smallest ε tried at which no attack does measurably better than imputation
on the members (every attack's advantage interval reaches 0), with its utility — or says that no
ε tried reached it. Every sentence is built from the rows the table shows.
"""

from __future__ import annotations

import math

import pandas as pd

from ..dp._counterparts import epsilon_text
from ._format import MISSING, has, interval, is_missing, num, paragraph, table

TITLE = "Differential privacy"
ANCHOR = "differential-privacy"

#: What ε means, in plain words (the report's and the glossary's reading).
EPSILON_MEANING = (
    "A model trained with ε-differential privacy (DP) behaves almost the same whether or not "
    "any one person's record was in its training data: whatever an attacker concludes about a "
    "person from the model, the odds of it are at most e^ε times what they would be had that "
    "person been left out (except with probability δ). Smaller ε is stronger: ε = 1 allows "
    "odds up to 2.7 times, ε = 8 up to about 3,000 times, a weak formal promise that may "
    "still stop real attacks."
)

#: Why members and non-members stand side by side.
MEMBERS_NOTE = (
    "DP bounds what the model reveals about its members, not what the population's statistics "
    "reveal: an attack that does as well on held-out people as on the members infers from the "
    "population, which no training-time guarantee removes."
)


def dp_names(assessment):
    """The sweep names of the DP counterparts, in the order they were trained."""
    dp = assessment.metadata.get("dp") or {}
    return list((dp.get("models") or {}).keys())


def _interval_columns(defenses):
    """The interval columns, and whether they are simultaneous over the attacks (taking the
    best of several attacks then keeps the error rate) or each attack's own."""
    if {"advantage_ci_low_family", "advantage_ci_high_family"} <= set(defenses.columns):
        return "advantage_ci_low_family", "advantage_ci_high_family", True
    return "advantage_ci_low", "advantage_ci_high", False


def deciding_rows(assessment):
    """Per (DP model or "none", attribute, population): the deciding attack — the one whose
    interval's lower bound is highest, so that "every attack's interval reaches 0" holds
    exactly when its does (``all_reach_zero``) — with its advantage and interval."""
    defenses = assessment.defenses
    names = dp_names(assessment)
    if not names or not has(
        defenses, "defense", "sensitive", "population", "attack", "advantage", "advantage_ci_low"
    ):
        return pd.DataFrame()
    low, high, _ = _interval_columns(defenses)
    rows = []
    keep = defenses[defenses["defense"].astype(str).isin(["none", *names])]
    for (defense, sensitive, population), part in keep.groupby(
        ["defense", "sensitive", "population"], sort=False
    ):
        lows = part[low].astype(float)
        if lows.isna().all():
            continue  # nothing measured: neither reaches 0 nor fails to
        deciding = part.loc[lows.idxmax()]
        rows.append(
            dict(
                defense=str(defense),
                sensitive=sensitive,
                population=population,
                attack=deciding["attack"],
                advantage=float(deciding["advantage"]),
                advantage_ci_low=float(deciding[low]),
                advantage_ci_high=float(deciding[high]),
                all_reach_zero=bool(lows.max() <= 0),
                utility=float(part["utility"].iloc[0]),
            )
        )
    return pd.DataFrame(rows)


def smallest_safe_epsilons(assessment):
    """Per (family, attribute), as a list of dicts: ``reached`` (whether some ε tried has
    every attack's interval on the members reach 0), the smallest such ε with its model's
    name and utility, the smaller ε measured that did not (``smaller_failed``) and the range
    of ε measured."""
    dp = assessment.metadata.get("dp") or {}
    models = dp.get("models") or {}
    deciding = deciding_rows(assessment)
    if deciding.empty:
        return []
    members = deciding[deciding["population"] == "members"]
    found_rows = []
    for family in dict.fromkeys(info["family"] for info in models.values()):
        named = sorted(
            (_epsilon_value(info.get("epsilon")), name)
            for name, info in models.items()
            if info["family"] == family
        )
        for sensitive in members["sensitive"].drop_duplicates():
            measured = []  # (ε, name, row) of the models measured on these members
            for epsilon, name in named:
                row = members[(members["defense"] == name) & (members["sensitive"] == sensitive)]
                if len(row):
                    measured.append((epsilon, name, row.iloc[0]))
            if not measured:
                continue
            safe = next((m for m in measured if m[2]["all_reach_zero"]), None)
            found_rows.append(
                dict(
                    family=family,
                    sensitive=sensitive,
                    reached=safe is not None,
                    epsilon=None if safe is None else safe[0],
                    model=None if safe is None else safe[1],
                    utility=None if safe is None else float(safe[2]["utility"]),
                    smaller_failed=[]
                    if safe is None
                    else [epsilon for epsilon, _, _ in measured if epsilon < safe[0]],
                    smallest_measured=measured[0][0],
                    largest_measured=measured[-1][0],
                )
            )
    return found_rows


def _confidence(assessment):
    confidence = assessment.metadata.get("confidence")
    return f"{0.95 if is_missing(confidence) else float(confidence):.0%}"


def _epsilon_value(epsilon):
    """ε as a float; None (how JSON keeps an infinite ε) is infinite."""
    return math.inf if epsilon is None else float(epsilon)


def _tried_text(row):
    low, high = epsilon_text(row["smallest_measured"]), epsilon_text(row["largest_measured"])
    return f"ε = {low}" if low == high else f"ε = {low} to {high}"


def sentences(assessment):
    """One sentence per (family, attribute) naming the smallest safe ε, or that none was."""
    found = smallest_safe_epsilons(assessment)
    deciding = deciding_rows(assessment)
    if not found:
        return []
    reference = deciding[(deciding["defense"] == "none") & (deciding["population"] == "members")]
    texts = []
    for row in found:
        lead = f"{row['family']}, {row['sensitive']}"
        if not row["reached"]:
            texts.append(
                f"{lead}: at no ε tried ({_tried_text(row)}) does every attack's advantage "
                "interval on the training records reach 0: some attack still does measurably "
                "better than imputation."
            )
            continue
        text = (
            f"{lead}: the smallest ε tried at which no attack does measurably better than "
            "imputation on the training records (every advantage interval reaches 0) is ε = "
            f"{epsilon_text(row['epsilon'])}; its utility is {num(row['utility'])}"
        )
        deployed = reference[reference["sensitive"] == row["sensitive"]]
        if len(deployed):
            text += f", against {num(deployed['utility'].iloc[0])} for the deployed model"
        text += "."
        if row["smaller_failed"]:
            smaller = ", ".join(epsilon_text(e) for e in row["smaller_failed"])
            text += (
                f" At the smaller ε = {smaller}, the stronger promise, some attack's interval "
                "lies above 0; as the smaller ε promises more, such a reversal is most likely "
                "the width of the intervals, not a leak."
            )
        texts.append(text)
    return texts


def _table(assessment, deciding, models):
    """The table of the section: per model and attribute, utility and the deciding attack
    per population."""
    populations = list(dict.fromkeys(deciding["population"]))
    defenses = assessment.defenses
    metric = str(defenses["utility_metric"].iloc[0]) if "utility_metric" in defenses else "utility"
    rows = []
    for (defense, sensitive), part in deciding.groupby(["defense", "sensitive"], sort=False):
        info = models.get(defense, {})
        undefended = defense == "none"
        row = {
            "Model": "deployed (no DP)" if undefended else str(defense),
            "ε (accounted)": MISSING if undefended else epsilon_text(info.get("epsilon_accounted")),
            "δ": MISSING if undefended else f"{info.get('delta', float('nan')):.1e}",
            "Attribute": str(sensitive),
            f"Utility ({metric})": num(part["utility"].iloc[0]),
        }
        keyed = part.set_index("population")
        for population in populations:
            title = str(population).capitalize()
            measured = population in keyed.index
            r = keyed.loc[population] if measured else None
            row[f"{title}: deciding attack"] = str(r["attack"]) if measured else MISSING
            row[f"{title}: advantage [CI]"] = (
                interval(r["advantage"], r["advantage_ci_low"], r["advantage_ci_high"], signed=True)
                if measured
                else MISSING
            )
        rows.append(row)
    frame = pd.DataFrame(rows)
    numeric = ["ε (accounted)", f"Utility ({metric})"] + [c for c in frame if "[CI]" in c]
    return table(frame, numeric=numeric)


def dp_body(assessment):
    """The section's HTML: ε in plain words, the table, the sentences, the caveats."""
    dp = assessment.metadata.get("dp") or {}
    deciding = deciding_rows(assessment)
    if not dp or deciding.empty:
        return paragraph(
            "No differentially private models were measured (pass dp_epsilons=(0.5, 1, 2, 4, 8) "
            "to assess, or --dp-epsilons to the command line)."
        )
    models = dp.get("models") or {}
    parts = [paragraph(EPSILON_MEANING)]
    if not dp.get("same_family", True):
        parts.append(
            paragraph(
                "tabinvert has no private version of this model's family; the nearest "
                "private alternatives stand in for it: "
                + ", ".join(dict.fromkeys(info["family"] for info in models.values()))
                + "."
            )
        )
    parts.append(_table(assessment, deciding, models))
    _, _, simultaneous = _interval_columns(assessment.defenses)
    kind = (
        "simultaneous over the attacks (so that “every attack's interval reaches 0” is one "
        "statement with that confidence)"
        if simultaneous
        else "each attack's own"
    )
    parts.append(
        paragraph(
            "Each row shows the deciding attack: the one whose interval's lower bound is the "
            "highest, so every attack's interval reaches 0 exactly when its does. Its "
            f"{_confidence(assessment)} interval is {kind}."
        )
    )
    parts.extend(paragraph(text) for text in sentences(assessment))
    parts.append(paragraph(MEMBERS_NOTE))
    if dp.get("note"):
        parts.append(paragraph("Note: " + dp["note"] + "."))
    return "\n".join(parts)

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

from ._format import MISSING, has, interval, num, paragraph, table

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
    """The simultaneous intervals over the attacks when the sweep has them (taking the best of
    several attacks keeps its error rate), else each attack's own."""
    if {"advantage_ci_low_family", "advantage_ci_high_family"} <= set(defenses.columns):
        return "advantage_ci_low_family", "advantage_ci_high_family"
    return "advantage_ci_low", "advantage_ci_high"


def worst_rows(assessment):
    """Per (DP model or "none", attribute, population): the worst attack's row with its
    interval, and whether every attack's interval reaches 0 (``all_reach_zero``); simultaneous
    intervals over the attacks where the sweep has them."""
    defenses = assessment.defenses
    names = dp_names(assessment)
    if not names or not has(
        defenses, "defense", "sensitive", "population", "attack", "advantage", "advantage_ci_low"
    ):
        return pd.DataFrame()
    low, high = _interval_columns(defenses)
    rows = []
    keep = defenses[defenses["defense"].astype(str).isin(["none", *names])]
    for (defense, sensitive, population), part in keep.groupby(
        ["defense", "sensitive", "population"], sort=False
    ):
        advantage = part["advantage"].astype(float)
        if advantage.isna().all():
            continue
        worst = part.loc[advantage.idxmax()]
        rows.append(
            dict(
                defense=str(defense),
                sensitive=sensitive,
                population=population,
                attack=worst["attack"],
                advantage=float(worst["advantage"]),
                advantage_ci_low=float(worst[low]),
                advantage_ci_high=float(worst[high]),
                all_reach_zero=bool((part[low].astype(float) <= 0).all()),
                utility=float(part["utility"].iloc[0]),
            )
        )
    return pd.DataFrame(rows)


def smallest_safe_epsilons(assessment):
    """Per (family, attribute): the smallest ε tried at which every attack's advantage
    interval on the members reaches 0, with that model's name and utility; ``epsilon`` is
    None when no ε tried reached it."""
    dp = assessment.metadata.get("dp") or {}
    models = dp.get("models") or {}
    worst = worst_rows(assessment)
    if worst.empty:
        return pd.DataFrame()
    members = worst[worst["population"] == "members"]
    rows = []
    families = dict.fromkeys(info["family"] for info in models.values())
    for family in families:
        named = sorted(
            (_epsilon_value(info.get("epsilon")), name)
            for name, info in models.items()
            if info["family"] == family
        )
        for sensitive in members["sensitive"].drop_duplicates():
            found = None
            failed = []
            for epsilon, name in named:
                row = members[(members["defense"] == name) & (members["sensitive"] == sensitive)]
                if len(row) and bool(row["all_reach_zero"].iloc[0]):
                    found = (epsilon, name, float(row["utility"].iloc[0]))
                    break
                failed.append(epsilon)
            rows.append(
                dict(
                    family=family,
                    sensitive=sensitive,
                    epsilon=None if found is None else found[0],
                    model=None if found is None else found[1],
                    utility=None if found is None else found[2],
                    smaller_failed=failed if found is not None else [],
                    largest_tried=named[-1][0] if named else None,
                    smallest_tried=named[0][0] if named else None,
                )
            )
    return pd.DataFrame(rows)


def _confidence(assessment):
    confidence = assessment.metadata.get("confidence")
    return "" if confidence is None else f"{float(confidence):.0%}"


def _epsilon_value(epsilon):
    """ε as a float; None (how JSON keeps an infinite ε) is infinite."""
    return math.inf if epsilon is None else float(epsilon)


def _epsilon_text(epsilon):
    return "∞" if epsilon is None or math.isinf(float(epsilon)) else f"{float(epsilon):.3g}"


def sentences(assessment):
    """One sentence per (family, attribute) naming the smallest safe ε, or that none was."""
    safe = smallest_safe_epsilons(assessment)
    worst = worst_rows(assessment)
    if safe.empty:
        return []
    reference = worst[(worst["defense"] == "none") & (worst["population"] == "members")]
    deployed_utility = float(reference["utility"].iloc[0]) if len(reference) else None
    texts = []
    for _, row in safe.iterrows():
        attribute = str(row["sensitive"])
        if row["epsilon"] is None:
            texts.append(
                f"{row['family']}, {attribute}: at no ε tried (ε = "
                f"{_epsilon_text(row['smallest_tried'])} to {_epsilon_text(row['largest_tried'])})"
                " does every attack's advantage interval on the training records reach 0: some "
                "attack still does measurably better than imputation."
            )
            continue
        text = (
            f"{row['family']}, {attribute}: the smallest ε tried at which no attack does "
            "measurably better than imputation on the training records (every advantage "
            f"interval reaches 0) is ε = {_epsilon_text(row['epsilon'])}; its utility is "
            f"{num(row['utility'])}"
        )
        if deployed_utility is not None:
            text += f", against {num(deployed_utility)} for the deployed model"
        text += "."
        if row["smaller_failed"]:
            smaller = ", ".join(_epsilon_text(e) for e in row["smaller_failed"])
            text += (
                f" At the smaller ε = {smaller}, the stronger promise, some attack's interval "
                "lies above 0: a reversal that the width of the intervals at this number of "
                "records most likely explains, not a leak that more noise causes."
            )
        texts.append(text)
    return texts


def dp_body(assessment):
    """The section's HTML: ε in plain words, the table, the sentences, the caveats."""
    dp = assessment.metadata.get("dp") or {}
    worst = worst_rows(assessment)
    if not dp or worst.empty:
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
    populations = list(dict.fromkeys(worst["population"]))
    metric = (
        str(assessment.defenses["utility_metric"].iloc[0])
        if "utility_metric" in assessment.defenses
        else "utility"
    )
    rows = []
    for (defense, sensitive), part in worst.groupby(["defense", "sensitive"], sort=False):
        info = models.get(defense, {})
        row = {
            "Model": "deployed (no DP)" if defense == "none" else str(defense),
            "ε (accounted)": MISSING
            if defense == "none"
            else _epsilon_text(info.get("epsilon_accounted")),
            "δ": MISSING if defense == "none" else f"{info.get('delta', float('nan')):.1e}",
            "Attribute": str(sensitive),
            f"Utility ({metric})": num(part["utility"].iloc[0]),
        }
        keyed = part.set_index("population")
        for population in populations:
            title = str(population).capitalize()
            if population in keyed.index:
                r = keyed.loc[population]
                row[f"{title}: worst attack"] = str(r["attack"])
                row[f"{title}: advantage [CI]"] = interval(
                    r["advantage"], r["advantage_ci_low"], r["advantage_ci_high"], signed=True
                )
            else:
                row[f"{title}: worst attack"] = MISSING
                row[f"{title}: advantage [CI]"] = MISSING
        rows.append(row)
    frame = pd.DataFrame(rows)
    parts.append(
        table(
            frame,
            numeric=["ε (accounted)", f"Utility ({metric})"] + [c for c in frame if "[CI]" in c],
        )
    )
    parts.append(
        paragraph(
            "Each row shows the attack with the largest advantage over imputation, with its "
            f"{_confidence(assessment)} interval simultaneous over the attacks (so that "
            "“every attack's interval reaches 0” is one statement with that confidence)."
        )
    )
    parts.extend(paragraph(text) for text in sentences(assessment))
    parts.append(paragraph(MEMBERS_NOTE))
    if dp.get("note"):
        parts.append(paragraph("Note: " + dp["note"] + "."))
    return "\n".join(parts)

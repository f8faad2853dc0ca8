"""Who is exposed: the per-record exposure of the training records under the deciding attack,
the most exposed records, and the exposure of subgroups."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..attacks._base import capabilities_of
from ._result import _plain
from ._summary import _deciding


def _typicality(X, columns):
    """How common each record's values are: the mean, over ``columns``, of the share of records
    with the same value (numeric columns with many values: the same of 10 equal-width bins, so
    that extreme values are rare); low = distinctive."""
    shares = []
    for column in columns:
        values = X[column]
        if pd.api.types.is_numeric_dtype(values.dtype) and values.nunique() > 10:
            values = pd.cut(values.astype(float), 10, labels=False)
        frequency = values.map(values.value_counts(normalize=True, dropna=False))
        shares.append(frequency.to_numpy(dtype=float))
    return np.mean(shares, axis=0) if shares else np.ones(len(X))


def _distinctive_groups(typical):
    """Label the ~10% least typical records "distinctive" (None when typicality does not vary)."""
    threshold = np.quantile(typical, 0.10)
    distinctive = typical <= threshold
    if distinctive.mean() > 0.2:  # ties at the threshold: keep only the strictly rarer
        distinctive = typical < threshold
    if not distinctive.any() or distinctive.all():
        return None
    return np.where(distinctive, "distinctive", "typical")


def scores_are_probabilities(attack):
    """Whether an attack's ``attack_proba`` is a posterior probability of each candidate, as
    the attack declares it (``calibrated`` in
    :meth:`~tabinvert.attacks.BaseAttack.capabilities`).

    True for MAP inversion (all priors and likelihoods), the learned and label-only attacks
    (their attack model's ``predict_proba``), the white-box attacks and imputation. False for
    CSMIA (``ConfidenceInversion(method="csmia")``): its scores only *rank* the candidates
    (a candidate that reproduces the true label scores 2 + the model's confidence, one that
    does not 0 or 1 − it), so normalising them gives numbers in [0, 1] that are not
    probabilities.

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.assessment import scores_are_probabilities
    >>> scores_are_probabilities(ConfidenceInversion(None, "sex"))
    True
    >>> scores_are_probabilities(ConfidenceInversion(None, "sex", method="csmia"))
    False
    """
    return capabilities_of(attack).calibrated


def _exposure_attack(part, attack_set, kind):
    """The attack whose per-record exposure is reported for one attribute (members' rows
    ``part``): the deciding attack (:func:`_deciding`), except that for a categorical
    attribute it must give probabilities (:func:`scores_are_probabilities`): the deciding one
    among those that do, when there is one; the overall deciding attack otherwise (its
    confidence is then its hit, see :func:`_per_record`)."""
    part = part[part["attack"].isin(list(attack_set))]
    if part.empty:
        return None
    if kind == "categorical":
        calibrated = part[[scores_are_probabilities(attack_set[a]) for a in part["attack"]]]
        if len(calibrated):
            part = calibrated
    return _deciding(part)[0]["attack"]


def _per_record(attack, baseline, X, y, kind, truth):
    """Per-record exposure: how much more the attack believes the true value than imputation.

    Categorical: P_attack(true value) − P_imputation(true value) and both hit flags. For an
    attack whose scores are not probabilities (CSMIA, see :func:`scores_are_probabilities`)
    the attack's confidence is its hit instead: 1 when its guess is the true value, 0 when
    not (its guess taken as certain), so the exposure is 1 − P_imputation(true value) for the
    records it gets right and −P_imputation(true value) for the others. Numeric: the
    reduction in absolute error, in units of the attribute's spread.
    """
    if kind == "categorical":
        baseline_proba = baseline.attack_proba(X, y if baseline.uses_label_ else None)
        rows = np.arange(len(truth))
        baseline_columns = pd.Index(list(baseline_proba.columns)).get_indexer(truth)
        p_base = np.where(
            baseline_columns >= 0,
            baseline_proba.to_numpy()[rows, np.maximum(baseline_columns, 0)],
            0.0,
        )
        base_guess = np.asarray(list(baseline_proba.columns), dtype=object)[
            baseline_proba.to_numpy().argmax(axis=1)
        ]
        if scores_are_probabilities(attack):
            attack_proba = attack.attack_proba(X, y)
            columns = list(attack_proba.columns)
            position = pd.Index(columns).get_indexer(truth)
            p_attack = np.where(
                position >= 0, attack_proba.to_numpy()[rows, np.maximum(position, 0)], 0.0
            )
            attack_guess = np.asarray(columns, dtype=object)[attack_proba.to_numpy().argmax(axis=1)]
        else:  # rank scores: the guess (ties broken as the attack breaks them) and its hit
            attack_guess = attack.attack(X, y).to_numpy(dtype=object)
            p_attack = (attack_guess == truth).astype(float)
        return pd.DataFrame(
            {
                "attack_confidence": p_attack,
                "baseline_confidence": p_base,
                "exposure": p_attack - p_base,
                "attack_correct": attack_guess == truth,
                "baseline_correct": base_guess == truth,
            }
        )
    guesses = attack.attack(X, y).to_numpy(dtype=float)
    base = baseline.attack(X, y if baseline.uses_label_ else None).to_numpy(dtype=float)
    spread = float(np.std(truth.astype(float))) or 1.0
    attack_error = np.abs(guesses - truth.astype(float)) / spread
    base_error = np.abs(base - truth.astype(float)) / spread
    return pd.DataFrame(
        {
            "attack_confidence": -attack_error,
            "baseline_confidence": -base_error,
            "exposure": base_error - attack_error,
            "attack_correct": attack_error < 0.5 * base_error.mean(),
            "baseline_correct": base_error < 0.5 * base_error.mean(),
        }
    )


def _group_table(exposure, groups, min_group_size):
    """Exposure by subgroup: attack and imputation success, advantage, mean exposure."""
    rows = []
    for (sensitive, attack), records in exposure.groupby(["sensitive", "attack"], sort=False):
        for column, labels in groups.items():
            labels = np.asarray(labels)[records["position"].to_numpy()]
            for value in pd.unique(labels):
                part = records[labels == value]
                n = len(part)
                attack_rate = float(part["attack_correct"].mean()) if n else np.nan
                base_rate = float(part["baseline_correct"].mean()) if n else np.nan
                advantage = (
                    (attack_rate - base_rate) / (1 - base_rate) if n and base_rate < 1 else np.nan
                )
                rows.append(
                    dict(
                        sensitive=sensitive,
                        attack=attack,
                        group=column,
                        value=value if not isinstance(value, np.generic) else value.item(),
                        n_records=n,
                        attack_success=attack_rate,
                        baseline_success=base_rate,
                        advantage=advantage,
                        mean_exposure=float(part["exposure"].mean()) if n else np.nan,
                        reliable=n >= min_group_size,
                    )
                )
    table = pd.DataFrame(
        rows,
        columns=[
            "sensitive",
            "attack",
            "group",
            "value",
            "n_records",
            "attack_success",
            "baseline_success",
            "advantage",
            "mean_exposure",
            "reliable",
        ],
    )
    return table


_DISPARITY_COLUMNS = [
    "sensitive",
    "attack",
    "group",
    "most_exposed",
    "least_exposed",
    "advantage_gap",
    "exposure_gap",
]


def _disparity(by_group):
    """Per (attribute, grouping): the most and least exposed reliable groups and the gap."""
    rows = []
    if by_group.empty:
        return pd.DataFrame(columns=_DISPARITY_COLUMNS)
    for (sensitive, attack, column), part in by_group.groupby(
        ["sensitive", "attack", "group"], sort=False
    ):
        part = part[part["reliable"]]
        if len(part) < 2:
            continue
        top = part.loc[part["mean_exposure"].idxmax()]
        bottom = part.loc[part["mean_exposure"].idxmin()]
        rows.append(
            dict(
                sensitive=sensitive,
                attack=attack,
                group=column,
                most_exposed=top["value"],
                least_exposed=bottom["value"],
                advantage_gap=top["advantage"] - bottom["advantage"],
                exposure_gap=top["mean_exposure"] - bottom["mean_exposure"],
            )
        )
    return pd.DataFrame(rows, columns=_DISPARITY_COLUMNS)


def _groups(X_train, sensitive, group_by):
    """The subgroups compared for exposure: the distinctive records, and each ``group_by``."""
    typical = _typicality(X_train, [c for c in X_train.columns if c not in sensitive])
    distinctive = _distinctive_groups(typical)
    groups = {} if distinctive is None else {"distinctive records": distinctive}
    for column in group_by:
        groups[column] = X_train[column].astype(str).to_numpy()
    return groups


def _exposure(results, summary, runs, X_train, y_train, top_records):
    """Per record, for each attribute's deciding attack on the members (the deciding one
    among the attacks whose scores are probabilities, for a categorical attribute): the
    exposure table and the most exposed records. The attacks and baselines are the ones the
    run fitted; their answers on the members are remembered, so nothing is asked again."""
    members = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    exposure_parts, exposed = [], []
    for column in summary["sensitive"]:
        run = runs[column]
        kind = next(iter(run.attacks.values())).sensitive_kind_
        name = _exposure_attack(members[members["sensitive"] == column], run.attacks, kind)
        if name is None:
            continue
        attack = run.attacks[name]
        baseline = run.baseline_for(attack)
        truth = X_train[column].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported in the results' notes
            per_record = _per_record(attack, baseline, X_train, y_train, kind, truth)
        per_record.insert(0, "attack", name)
        per_record.insert(0, "sensitive", column)
        per_record.insert(0, "position", np.arange(len(X_train)))
        per_record.insert(0, "record", [_plain(v) for v in X_train.index])
        exposure_parts.append(per_record)
        leaked = per_record[per_record["attack_correct"] & ~per_record["baseline_correct"]]
        exposed.append(
            leaked.sort_values("exposure", ascending=False, kind="stable").head(top_records)
        )
    exposure = (
        pd.concat(exposure_parts, ignore_index=True)
        if exposure_parts
        else pd.DataFrame(
            columns=[
                "record",
                "position",
                "sensitive",
                "attack",
                "exposure",
                "attack_correct",
                "baseline_correct",
            ]
        )
    )
    exposed_records = (
        pd.concat(exposed, ignore_index=True) if exposed else exposure.head(0)
    ).reset_index(drop=True)
    return exposure, exposed_records

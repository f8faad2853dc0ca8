"""Who is exposed: the per-record exposure of the training records under the deciding attack,
the most exposed records, and the exposure of subgroups."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

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


class _Answers:
    """An attack's and its baseline's answers on the target records: asked of them, or read
    from what the run already computed (``run``: their guesses and, for a categorical
    attribute, their normalised candidate scores, the very numbers ``attack`` and
    ``attack_proba`` return)."""

    def __init__(self, attack, baseline, X, y, run=None, name=None):
        self.attack, self.baseline, self.X, self.y = attack, baseline, X, y
        self.run, self.name = run, name

    def proba(self, of_baseline=False):
        """``attack_proba`` of the attack (or of its baseline) on the records."""
        if self.run is None:
            if of_baseline:
                y = self.y if self.baseline.uses_label_ else None
                return self.baseline.attack_proba(self.X, y)
            return self.attack.attack_proba(self.X, self.y)
        if of_baseline:
            scores = self.run.baselines[self.run.baseline_keys[self.name]][1]["members"][2]
        else:
            scores = self.run.scores[self.name, "members"]
        return pd.DataFrame(scores, index=self.X.index, columns=list(self.attack.candidates_))

    def guesses(self, of_baseline=False):
        """``attack`` of the attack (or of its baseline) on the records."""
        if self.run is None:
            if of_baseline:
                y = self.y if self.baseline.uses_label_ else None
                return self.baseline.attack(self.X, y)
            return self.attack.attack(self.X, self.y)
        if of_baseline:
            guesses = self.run.baselines[self.run.baseline_keys[self.name]][1]["members"][0]
        else:
            guesses = self.run.guesses[self.name, "members"]
        return pd.Series(guesses, index=self.X.index)


def _run_kept_answers(run, name, n_records):
    """Whether the run kept the answers of the attack ``name`` and of its baseline on exactly
    ``n_records`` members: the records :func:`_exposure` scores, none left out of the run as
    unanswerable (the run's members are those records, in order, less the unanswerable)."""
    guesses = run.guesses.get((name, "members"))
    baseline = run.baselines[run.baseline_keys[name]][1].get("members")
    if guesses is None or baseline is None or len(guesses) != n_records:
        return False
    if run.attacks[name].sensitive_kind_ != "categorical":
        return True
    return (name, "members") in run.scores and baseline[2] is not None


def _per_record(answers, kind, truth):
    """Per-record exposure: how much more the attack believes the true value than imputation.

    Categorical: P_attack(true value) − P_imputation(true value) and both hit flags. For an
    attack whose scores are not probabilities (CSMIA, see :func:`scores_are_probabilities`)
    the attack's confidence is its hit instead: 1 when its guess is the true value, 0 when
    not (its guess taken as certain), so the exposure is 1 − P_imputation(true value) for the
    records it gets right and −P_imputation(true value) for the others. Numeric: the
    reduction in absolute error, in units of the attribute's spread. ``answers``: the
    attack's and the baseline's (:class:`_Answers`).
    """
    attack = answers.attack
    if kind == "categorical":
        baseline_proba = answers.proba(of_baseline=True)
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
            attack_proba = answers.proba()
            columns = list(attack_proba.columns)
            position = pd.Index(columns).get_indexer(truth)
            p_attack = np.where(
                position >= 0, attack_proba.to_numpy()[rows, np.maximum(position, 0)], 0.0
            )
            attack_guess = np.asarray(columns, dtype=object)[attack_proba.to_numpy().argmax(axis=1)]
        else:  # rank scores: the guess (ties broken as the attack breaks them) and its hit
            attack_guess = answers.guesses().to_numpy(dtype=object)
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
    guesses = answers.guesses().to_numpy(dtype=float)
    base = answers.guesses(of_baseline=True).to_numpy(dtype=float)
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


#: Two-sided level of the per-group tests (after Holm's correction); the groups' advantage
#: intervals are at ``1 - GROUP_ALPHA``.
GROUP_ALPHA = 0.05
#: Name of the multiple-testing correction over the groups of one grouping, as reported.
GROUP_CORRECTION = "Holm"

_GROUP_COLUMNS = [
    "sensitive",
    "attack",
    "group",
    "value",
    "n_records",
    "attack_success",
    "baseline_success",
    "advantage",
    "advantage_ci_low",
    "advantage_ci_high",
    "rest_advantage",
    "p_value",
    "p_adjusted",
    "separates",
    "mean_exposure",
    "reliable",
]


def _holm(p_values):
    """Holm's step-down adjustment of ``p_values`` (family-wise error control); NaN entries
    stay NaN and do not count as hypotheses.

    Examples
    --------
    >>> from tabinvert.assessment._exposure import _holm
    >>> _holm([0.01, 0.04, 0.03, float("nan")]).round(3).tolist()
    [0.03, 0.06, 0.06, nan]
    """
    p = np.asarray(p_values, dtype=float)
    adjusted = np.full(p.shape, np.nan)
    tested = np.flatnonzero(np.isfinite(p))
    order = tested[np.argsort(p[tested], kind="stable")]
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (len(order) - rank) * p[index]))
        adjusted[index] = running
    return adjusted


def _advantage_se(attack_correct, baseline_correct):
    """The advantage ``(a - b) / (1 - b)`` of paired hit flags and its standard error.

    The advantage is ``1 - u / v`` with ``u``, ``v`` the attack's and imputation's error
    rates on the same records; the error is the delta-method (ratio-estimator) one,
    ``sd(((1 - A) - r (1 - B)) / v) / sqrt(n)`` with ``r = u / v``. NaN when imputation is
    never wrong (the advantage is undefined) or for fewer than two records.
    """
    attack = np.asarray(attack_correct, dtype=float)
    base = np.asarray(baseline_correct, dtype=float)
    n = len(attack)
    if n == 0:
        return np.nan, np.nan
    v = 1.0 - base.mean()
    if v <= 0:
        return np.nan, np.nan
    ratio = (1.0 - attack.mean()) / v
    if n < 2:
        return 1.0 - ratio, np.nan
    influence = ((1.0 - attack) - ratio * (1.0 - base)) / v
    se = float(influence.std(ddof=1) / np.sqrt(n))
    if se == 0:
        # No spread (e.g. the attack right on every record of the group): the sample says
        # nothing about the noise, so take the error with two pseudo-records, one the attack
        # alone gets right and one imputation alone gets right (as add-one smoothing does).
        smoothed_attack, smoothed_base = np.append(attack, [1.0, 0.0]), np.append(base, [0.0, 1.0])
        v = 1.0 - smoothed_base.mean()
        ratio_s = (1.0 - smoothed_attack.mean()) / v
        influence = ((1.0 - smoothed_attack) - ratio_s * (1.0 - smoothed_base)) / v
        se = float(influence.std(ddof=1) / np.sqrt(n + 2))
    return 1.0 - ratio, se


def _versus_rest(advantage, se, rest_advantage, rest_se):
    """Two-sided p-value of a normal (z) test that a group's advantage equals that of the other
    records (disjoint records: the variances add); NaN when either is undefined."""
    difference = advantage - rest_advantage
    scale = np.hypot(se, rest_se)
    if not (np.isfinite(difference) and np.isfinite(scale)):
        return np.nan
    if scale == 0:
        return 1.0 if difference == 0 else np.nan
    return float(2 * stats.norm.sf(abs(difference) / scale))


def _group_table(exposure, groups, min_group_size, alpha=GROUP_ALPHA):
    """Exposure by subgroup: attack and imputation success, the advantage with its interval,
    the test of each comparable group against the other records, and the mean exposure.

    Groups are compared by their advantage over imputation (attack accuracy minus imputation
    accuracy within the group, over imputation's errors): ``advantage_ci_low`` /
    ``advantage_ci_high`` is its ``1 - alpha`` normal interval (:func:`_advantage_se`).
    Each group with at least ``min_group_size`` records (``reliable``) is tested against the
    rest of the records of its attribute (``rest_advantage``): ``p_value`` is the two-sided
    z-test of :func:`_versus_rest`, ``p_adjusted`` its Holm adjustment over the tested groups
    of the same grouping (:func:`_holm`; a grouping of exactly two groups holds one
    comparison, not two), and ``separates`` whether ``p_adjusted < alpha``. The mean
    exposure (the attack's confidence in the true value minus imputation's) is supporting
    evidence only: it neither ranks nor separates groups.
    """
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for (sensitive, attack), records in exposure.groupby(["sensitive", "attack"], sort=False):
        attack_hits = records["attack_correct"].to_numpy(dtype=bool)
        base_hits = records["baseline_correct"].to_numpy(dtype=bool)
        for column, labels in groups.items():
            labels = np.asarray(labels)[records["position"].to_numpy()]
            values = pd.unique(labels)
            grouping = []
            for value in values:
                inside = labels == value
                part = records[inside]
                n = len(part)
                advantage, se = _advantage_se(attack_hits[inside], base_hits[inside])
                rest_advantage, rest_se = _advantage_se(attack_hits[~inside], base_hits[~inside])
                reliable = n >= min_group_size
                grouping.append(
                    dict(
                        sensitive=sensitive,
                        attack=attack,
                        group=column,
                        value=value if not isinstance(value, np.generic) else value.item(),
                        n_records=n,
                        attack_success=float(attack_hits[inside].mean()) if n else np.nan,
                        baseline_success=float(base_hits[inside].mean()) if n else np.nan,
                        advantage=advantage,
                        advantage_ci_low=advantage - z * se,
                        advantage_ci_high=float(np.minimum(advantage + z * se, 1.0)),
                        rest_advantage=rest_advantage,
                        p_value=(
                            _versus_rest(advantage, se, rest_advantage, rest_se)
                            if reliable
                            else np.nan
                        ),
                        mean_exposure=float(part["exposure"].mean()) if n else np.nan,
                        reliable=reliable,
                    )
                )
            p_values = np.array([row["p_value"] for row in grouping], dtype=float)
            if len(grouping) == 2:  # each group against the other: one comparison
                adjusted = p_values.copy()
            else:
                adjusted = _holm(p_values)
            for row, p in zip(grouping, adjusted):
                row["p_adjusted"] = p
                row["separates"] = bool(np.isfinite(p) and p < alpha)
            rows.extend(grouping)
    return pd.DataFrame(rows, columns=_GROUP_COLUMNS)


_DISPARITY_COLUMNS = [
    "sensitive",
    "attack",
    "group",
    "n_groups",
    "highest",
    "highest_advantage",
    "lowest",
    "lowest_advantage",
    "advantage_gap",
    "exposure_gap",
    "p_adjusted",
    "correction",
    "separates",
    "most_exposed",
    "least_exposed",
]


def _disparity(by_group):
    """Per (attribute, attack, grouping) with at least two comparable groups whose advantage is
    defined: the groups ranked by advantage (``highest``, ``lowest`` and their gap; the
    ``exposure_gap`` is the same two groups' difference in mean exposure, supporting only),
    the smallest Holm-adjusted p-value of the grouping's per-group tests, whether any group
    ``separates`` from the other records, and the ``most_exposed`` group: the one with the
    largest advantage among those whose advantage is significantly *above* the other
    records' (None when no group is); ``least_exposed`` likewise below (None when none is)."""
    rows = []
    if by_group.empty:
        return pd.DataFrame(columns=_DISPARITY_COLUMNS)
    for (sensitive, attack, column), part in by_group.groupby(
        ["sensitive", "attack", "group"], sort=False
    ):
        part = part[part["reliable"].astype(bool)]
        part = part[np.isfinite(part["advantage"].astype(float))]
        if len(part) < 2:
            continue
        advantage = part["advantage"].astype(float)
        top = part.loc[advantage.idxmax()]
        bottom = part.loc[advantage.idxmin()]
        separated = part[part["separates"].astype(bool)]
        above = separated[separated["advantage"] > separated["rest_advantage"]]
        below = separated[separated["advantage"] < separated["rest_advantage"]]
        adjusted = part["p_adjusted"].astype(float)
        rows.append(
            dict(
                sensitive=sensitive,
                attack=attack,
                group=column,
                n_groups=len(part),
                highest=top["value"],
                highest_advantage=top["advantage"],
                lowest=bottom["value"],
                lowest_advantage=bottom["advantage"],
                advantage_gap=top["advantage"] - bottom["advantage"],
                exposure_gap=top["mean_exposure"] - bottom["mean_exposure"],
                p_adjusted=adjusted.min() if adjusted.notna().any() else np.nan,
                correction=GROUP_CORRECTION,
                separates=bool(len(separated)),
                most_exposed=(
                    above.loc[above["advantage"].astype(float).idxmax(), "value"]
                    if len(above)
                    else None
                ),
                least_exposed=(
                    below.loc[below["advantage"].astype(float).idxmin(), "value"]
                    if len(below)
                    else None
                ),
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
        if column not in runs:  # its run failed: nothing to score
            continue
        run = runs[column]
        kind = next(iter(run.attacks.values())).sensitive_kind_
        name = _exposure_attack(members[members["sensitive"] == column], run.attacks, kind)
        if name is None:
            continue
        attack = run.attacks[name]
        baseline = run.baseline_for(attack)
        # Records with no value for the column were not attacked (see _running).
        positions = np.flatnonzero(X_train[column].notna().to_numpy())
        X_kept, y_kept = X_train.iloc[positions], np.asarray(y_train)[positions]
        truth = X_kept[column].to_numpy()
        answers = _Answers(attack, baseline, X_kept, y_kept)
        if _run_kept_answers(run, name, len(positions)):
            # The run attacked these very records: its guesses and scores are the attack's
            # and the baseline's answers, read rather than asked again (the same numbers).
            answers = _Answers(attack, baseline, X_kept, y_kept, run=run, name=name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported in the results' notes
            per_record = _per_record(answers, kind, truth)
        per_record.insert(0, "attack", name)
        per_record.insert(0, "sensitive", column)
        per_record.insert(0, "position", positions)
        per_record.insert(0, "record", [_plain(v) for v in X_kept.index])
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

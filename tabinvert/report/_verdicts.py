"""The verdicts the report reads from an assessment's summary: the level per access (API and
model file) and the auxiliary-data size that decides, with the rows of the other tables they
stand on.

The first screen (:mod:`._sections`), the recommendations (:mod:`._recommend`) and the
data-size section (:mod:`._sizes`) all read them here, so they never disagree. Assessments from
before these columns existed lack them: every function then returns None (or False) and the
report says the verdict is not available instead of inventing one.
"""

from __future__ import annotations

import math

from .._threat_models import WHITE_BOX_ACCESS
from ._format import has, is_missing, num

#: The levels that can be compared, lowest first ("undetermined" and "not assessed" cannot).
LEVELS = ("none", "low", "medium", "high")
LEVEL_ORDER = {level: rank for rank, level in enumerate(LEVELS)}
NOT_ASSESSED = "not assessed"
#: The accesses, as the summary's column suffixes name them, and as the report labels them.
ACCESSES = ("api", "explanations", "model_file")
ACCESS_LABELS = {
    "api": "API access (probabilities or labels)",
    "explanations": "API access with explanations (the answers and their explanations)",
    "model_file": "Model-file access (the model's internals)",
}
#: Why an access was not assessed (the assessment asked for the other one only).
NOT_ASSESSED_WHY = {
    "api": "not asked for: the assessment rated model-file access only (access='model-file')",
    "explanations": "not asked for: the assessment rated model-file access only",
    "model_file": "not asked for: the assessment rated API access only (access='api'), so no "
    "white-box attack was run",
}


def rank(level):
    """The order of a comparable level ("none" < "low" < "medium" < "high"), else None."""
    return LEVEL_ORDER.get(str(level)) if not is_missing(level) else None


def has_access_levels(summary):
    """Whether the summary has a level per access (assessments from before it do not)."""
    return has(summary, "risk_level_api", "risk_level_model_file")


def access_verdict(row, access):
    """The verdict of one access in a summary row: ``level``, ``attack``, ``advantage`` and
    ``ci_low`` (the lower end of the interval the level was read from); None when the summary
    predates per-access levels."""
    level = row.get(f"risk_level_{access}")
    if level is None or is_missing(level):
        return None
    attack = row.get(f"attack_{access}")
    return dict(
        level=str(level),
        attack=None if attack is None or is_missing(attack) else str(attack),
        advantage=row.get(f"advantage_{access}", math.nan),
        ci_low=row.get(f"advantage_ci_low_{access}", math.nan),
    )


def file_above_api(row):
    """Whether the model-file level is above the API level (both assessed and comparable):
    holding the file then lets an attacker do more than querying the model."""
    api, model_file = access_verdict(row, "api"), access_verdict(row, "model_file")
    if api is None or model_file is None:
        return False
    api_rank, file_rank = rank(api["level"]), rank(model_file["level"])
    return api_rank is not None and file_rank is not None and file_rank > api_rank


def is_white_box(results, sensitive, attack):
    """Whether ``attack`` on ``sensitive`` reads the model's internals (its declared access in
    the results); None when the results do not say."""
    if not has(results, "attack", "access", "sensitive"):
        return None
    rows = results[(results["sensitive"] == sensitive) & (results["attack"] == attack)]
    if rows.empty:
        return None
    return str(rows["access"].iloc[0]) in WHITE_BOX_ACCESS


# --------------------------------------------------------------------------- auxiliary sizes
def size_key(value):
    """An auxiliary size as a comparable key: "all", or the number as text ("50"); None when
    missing (an int may come back from JSON as a float, or as text)."""
    if value is None or is_missing(value):
        return None
    if str(value) == "all":
        return "all"
    try:
        return str(int(float(value)))
    except (TypeError, ValueError):
        return str(value)


def size_text(value, n_aux=None):
    """An auxiliary size for the reader: "50", or "all (300)"."""
    key = size_key(value)
    if key == "all":
        return "all" if is_missing(n_aux) or n_aux is None else f"all ({num(n_aux)})"
    return num(int(key)) if key is not None and key.isdigit() else str(key)


def _same(a, b):
    return not is_missing(a) and not is_missing(b) and math.isclose(float(a), float(b))


def sized_row(aux_sizes, sensitive, attack, advantage):
    """The data-size table's row at a size other than "all" of ``attack`` on ``sensitive`` whose
    advantage is ``advantage`` (where the summary took a per-access verdict from a smaller
    sample), or None."""
    if not has(aux_sizes, "sensitive", "attack", "aux_size", "advantage") or attack is None:
        return None
    rows = aux_sizes[
        (aux_sizes["sensitive"] == sensitive)
        & (aux_sizes["attack"].astype(str) == str(attack))
        & (aux_sizes["aux_size"].map(size_key) != "all")
    ]
    for _, row in rows.iterrows():
        if _same(row["advantage"], advantage):
            return row
    return None


def deciding_size(row, aux_sizes):
    """``(size, table row)`` when a size other than "all" decides the attribute's headline
    level (the summary's ``aux_size``), else None. The row is the data-size table's worst at
    that size (highest level, then largest advantage), or None when the table is missing."""
    key = size_key(row.get("aux_size"))
    if key is None or key == "all":
        return None
    if not has(aux_sizes, "sensitive", "attack", "aux_size", "risk_level", "advantage"):
        return key, None
    rows = aux_sizes[
        (aux_sizes["sensitive"] == row["sensitive"]) & (aux_sizes["aux_size"].map(size_key) == key)
    ]
    if rows.empty:
        return key, None
    order = rows.assign(
        _rank=[rank(level) if rank(level) is not None else -1 for level in rows["risk_level"]],
        _advantage=rows["advantage"].astype(float).fillna(-math.inf),
    ).sort_values(["_rank", "_advantage"], ascending=False, kind="stable")
    return key, order.iloc[0]


def full_row(aux_sizes, sensitive, attack):
    """The data-size table's row of ``attack`` on ``sensitive`` with all the auxiliary records,
    or None."""
    if not has(aux_sizes, "sensitive", "attack", "aux_size") or attack is None:
        return None
    rows = aux_sizes[
        (aux_sizes["sensitive"] == sensitive)
        & (aux_sizes["attack"].astype(str) == str(attack))
        & (aux_sizes["aux_size"].map(size_key) == "all")
    ]
    return rows.iloc[0] if len(rows) else None


def threshold_lines(metadata):
    """The positive risk thresholds as ``{value: "level value"}``, lowest first (for the lines
    the figures draw)."""
    levels = metadata.get("risk_levels") or {}
    return {
        float(v): f"{k} {num(v, 2)}"
        for k, v in sorted(levels.items(), key=lambda item: float(item[1]))
        if not is_missing(v) and float(v) > 0
    }

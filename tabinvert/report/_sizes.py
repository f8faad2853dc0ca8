"""The data-size section: "The attacker's data size".

With ``assess(..., aux_sizes=(50, 500, "all"))`` each attribute's deciding attacks are re-run on
seeded random samples of each number of auxiliary records, imputation fitted on the very same
sample, and their advantage on the training records averaged over the samples (the
assessment's ``aux_sizes`` table; Jayaraman & Evans, CCS 2022). The section shows the table,
one sentence per attribute, and the advantage against the size (one line per attack).

The sentence names the size that decides the headline level when the summary says one does
(``aux_size``), with that size's numbers from the table; otherwise it says that no smaller
sample reaches a level above the headline only when no row of the table does.
"""

from __future__ import annotations

import pandas as pd

from . import _plots
from ._format import MISSING, esc, has, interval, is_missing, num, paragraph, table
from ._verdicts import (
    deciding_size,
    full_row,
    rank,
    size_key,
    size_text,
    threshold_lines,
)

TITLE = "The attacker's data size"
ANCHOR = "aux-sizes"
NEEDED = ("sensitive", "attack", "aux_size", "advantage")


def _advantage(row):
    return interval(
        row["advantage"], row.get("advantage_ci_low"), row.get("advantage_ci_high"), signed=True
    )


def _worst(rows):
    """The row with the highest level, then the largest advantage."""
    order = rows.assign(
        _rank=[rank(level) if rank(level) is not None else -1 for level in rows["risk_level"]],
        _advantage=rows["advantage"].astype(float).fillna(-float("inf")),
    )
    return order.sort_values(["_rank", "_advantage"], ascending=False, kind="stable").iloc[0]


def _at_size(row):
    """ "With only 50 auxiliary records (averaged over 3 samples), MAP reaches the high level:
    advantage …, against … with all of them." from a table row."""
    return (
        f"With only {esc(size_text(row['aux_size']))} auxiliary records (averaged over "
        f"{esc(num(row.get('repeats')))} samples), {esc(row['attack'])} reaches the "
        f"{esc(row['risk_level'])} level: advantage {esc(_advantage(row))} against imputation "
        "fitted on the same records"
    )


def sentence(part, summary_row, table_all):
    """One attribute's sentence on which size decides, agreeing with the table's rows."""
    headline = None if summary_row is None else summary_row.get("risk_level")
    decided = None if summary_row is None else deciding_size(summary_row, table_all)
    small = part[part["aux_size"].map(size_key) != "all"]
    if decided is not None and decided[1] is not None:
        row = decided[1]
        text = _at_size(row)
        full = full_row(part, row["sensitive"], row["attack"])
        if full is not None and not is_missing(full.get("advantage")):
            text += (
                f"; with all {esc(num(full.get('n_aux')))} it is "
                f"{esc(num(full['advantage'], signed=True))} ({esc(full['risk_level'])})"
            )
        text += "."
        if str(row["risk_level"]) == str(headline):
            text += f" This size decides the headline level ({esc(headline)})."
        return text
    if headline is None or rank(headline) is None or small.empty:
        return ""
    higher = small[[(rank(level) or -1) > rank(headline) for level in small["risk_level"]]]
    if len(higher):
        row = _worst(higher)
        return _at_size(row) + f", above the headline level ({esc(headline)})."
    sizes = ", ".join(dict.fromkeys(esc(size_text(s)) for s in small["aux_size"]))
    return (
        f"No smaller sample ({sizes} auxiliary records) reaches a level above the headline "
        f"level ({esc(headline)}): all the auxiliary records decide it."
    )


def _table(part):
    metric = ", ".join(dict.fromkeys(part["metric"].astype(str))) if "metric" in part else ""
    score = f"Score ({metric})" if metric else "Score"
    frame = pd.DataFrame(
        {
            "Attack": part["attack"].astype(str),
            "Auxiliary records": [
                size_text(s, n)
                for s, n in zip(part["aux_size"], part.get("n_aux", part["aux_size"]))
            ],
            "Samples": [num(v) for v in part.get("repeats", [MISSING] * len(part))],
            score: [num(v) for v in part.get("score", [MISSING] * len(part))],
            "Imputation (same records)": [
                num(v) for v in part.get("baseline_score", [MISSING] * len(part))
            ],
            "Advantage [adjusted CI]": [_advantage(r) for _, r in part.iterrows()],
            "Level": [
                MISSING if is_missing(v) else str(v)
                for v in part.get("risk_level", [MISSING] * len(part))
            ],
        }
    )
    return table(
        frame,
        numeric=["Samples", score, "Imputation (same records)", "Advantage [adjusted CI]"],
    )


def _notes(part):
    if "notes" not in part:
        return ""
    rows = part[part["notes"].fillna("").astype(str).str.strip() != ""]
    if rows.empty:
        return ""
    items = "".join(
        f"<li>{esc(r['attack'])}, {esc(size_text(r['aux_size']))} records: {esc(r['notes'])}</li>"
        for _, r in rows.iterrows()
    )
    return f'<p class="note">Notes from the runs:</p><ul class="note">{items}</ul>'


def sizes_body(assessment):
    """The section's HTML: what was measured, then per attribute a sentence and a table, and
    (with matplotlib) the advantage against the size."""
    sizes = getattr(assessment, "aux_sizes", None)
    if not has(sizes, *NEEDED):
        return paragraph(
            "Not measured: the attacks were run with all the auxiliary records only (pass "
            "aux_sizes=(50, 500, 'all') to assess to see whether an attacker holding fewer "
            "records does better against imputation)."
        )
    meta = assessment.metadata
    alpha = num((1 - float(meta.get("confidence", 0.95))) * 100, 0)
    pct = num(float(meta.get("confidence", 0.95)) * 100, 0)
    parts = [
        paragraph(
            "How the risk depends on how many auxiliary records the attacker holds "
            "(Jayaraman & Evans, CCS 2022: with thousands, imputation matches the attacks; "
            "with 50 to 500 the attacks can win). Each attribute's deciding attacks were re-run "
            "on seeded random samples of each size, imputation fitted on the very same sample, "
            "and their advantage on the training records averaged over the samples. Each "
            f"interval is a {pct}% interval adjusted (Bonferroni) over the sizes and attacks of "
            f"the attribute, so reading the worst size keeps the {alpha}% false-alarm rate; "
            "when a smaller size gives a higher level than all the records, the headline level "
            "is that size's."
        )
    ]
    summary = assessment.summary
    by_attribute = (
        {r["sensitive"]: r for _, r in summary.iterrows()} if has(summary, "sensitive") else {}
    )
    for sensitive, part in sizes.groupby("sensitive", sort=False):
        said = sentence(part, by_attribute.get(sensitive), sizes) if "risk_level" in part else ""
        parts.append(
            f'<div class="block"><p><strong>Sensitive attribute: {esc(sensitive)}</strong></p>\n'
            + (f'<p class="size-sentence">{said}</p>\n' if said else "")
            + _table(part)
            + _notes(part)
            + "</div>"
        )
    parts.append(
        _plots.figure_block(
            _plots.plot_aux_sizes,
            (sizes, threshold_lines(meta)),
            "Advantage over imputation against the number of auxiliary records, per attack",
            "The attacker's data size: each deciding attack's advantage over imputation (fitted "
            f"on the same records) with its adjusted {pct}% interval, against the number of "
            "auxiliary records the attacker holds, one line per attack; the dashed line is 0, "
            "the dotted lines the risk thresholds.",
            what="the data-size plot",
        )
    )
    return "\n".join(parts)

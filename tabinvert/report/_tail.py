"""The tail-risk section: "The people the attacker is surest about".

An average advantage can hide a few people the model lets an attacker single out. The
assessment's ``tail_risk`` table holds, per categorical attribute, value and population, the
precision of each attack's ``k`` most confident inferences that a target holds the value (k =
10, 100 and 1% of the targets), with a Wilson interval, against the imputation baseline's own
``k`` most confident (Jayaraman & Evans, CCS 2022). The section shows the training records'
(members') rows as a table, one sentence per attribute and value, and a precision-at-k plot.

The sentence claims that an attack singles people out only when the lower end of its interval
lies above imputation's precision at the same k (:func:`singles_out`); the counts it quotes
are the precision times the records selected, as the table shows them.
"""

from __future__ import annotations

import math

import pandas as pd

from . import _plots
from ._format import MISSING, esc, has, is_missing, k_text, num, paragraph, table

TITLE = "The people the attacker is surest about"
ANCHOR = "tail-risk"
#: The columns the section needs (older assessments have no table at all).
NEEDED = (
    "sensitive",
    "population",
    "value",
    "attack",
    "k",
    "n_selected",
    "precision",
    "ci_low",
    "ci_high",
    "baseline_precision",
)


def count(precision, n_selected):
    """The number of right inferences behind a precision (``precision × n_selected``)."""
    if is_missing(precision) or is_missing(n_selected):
        return None
    return int(round(float(precision) * int(n_selected)))


def singles_out(row):
    """Whether an attack singles people out at this k: the lower end of its interval lies above
    imputation's precision on its own k most confident."""
    low, baseline = row.get("ci_low"), row.get("baseline_precision")
    return not is_missing(low) and not is_missing(baseline) and float(low) > float(baseline)


def _p(value):
    return num(value, 2)


def share_text(rate):
    """A base rate as a percentage: "16%" (one decimal below 1%)."""
    if is_missing(rate):
        return MISSING
    pct = float(rate) * 100
    return f"{num(pct, 1 if 0 < pct < 1 else 0)}%"


def members_rows(tail):
    """The training records' rows of the tail-risk table (the attacks, not imputation)."""
    if not has(tail, *NEEDED):
        return None
    rows = tail[(tail["population"] == "members") & (tail["attack"].astype(str) != "imputation")]
    return rows if len(rows) else None


def _ranked(part):
    """Rows by difference from imputation (largest first), then fewest records selected."""
    difference = part["precision"].astype(float) - part["baseline_precision"].astype(float)
    return (
        part.assign(_difference=difference.fillna(-math.inf), _n=part["n_selected"].astype(float))
        .sort_values(["_difference", "_n"], ascending=[False, True], kind="stable")
        .drop(columns=["_difference", "_n"])
    )


def sentence(part, value):
    """One attribute's (and value's) sentence; it quotes one row of the table and claims that
    an attack singles people out only where :func:`singles_out` holds."""
    out = part[[singles_out(r) for _, r in part.iterrows()]]
    row = _ranked(out if len(out) else part).iloc[0]
    n = int(row["n_selected"])
    right = count(row["precision"], n)
    base_right = count(row["baseline_precision"], n)
    shown = esc(value)
    text = (
        f"Among the {n} training records {esc(row['attack'])} is surest hold '{shown}', "
        f"{right} do (precision {_p(row['precision'])}, 95% CI {_p(row['ci_low'])}–"
        f"{_p(row['ci_high'])}), against {base_right} of imputation's {n} "
        f"({_p(row['baseline_precision'])}); {share_text(row.get('base_rate'))} of the records "
        "hold it."
    )
    tied = row.get("n_tied_out")
    if not is_missing(tied) and int(tied) > 0:
        text += (
            f" {int(tied)} more records tie with the last of these {n}; which of them are "
            "counted follows their order in the data."
        )
    if len(out):
        text += (
            f" {esc(row['attack'])} singles these people out: the lower end of its interval "
            f"({_p(row['ci_low'])}) is above imputation's precision "
            f"({_p(row['baseline_precision'])})."
        )
        others = [
            f"{esc(r['attack'])} at top {esc(k_text(r['k'], r['n_selected']))}"
            for _, r in out.iterrows()
            if (str(r["attack"]), str(r["k"])) != (str(row["attack"]), str(row["k"]))
        ]
        if others:
            text += " So do " + ", ".join(others) + "."
    else:
        text += (
            " No attack singles people out beyond imputation: at every k, the lower end of "
            "each attack's interval is at or below imputation's precision."
        )
    return text


def _precision_cell(precision, low, high, n_selected):
    right = count(precision, n_selected)
    if right is None:
        return MISSING
    cell = f"{right} of {int(n_selected)}: {_p(precision)}"
    if not is_missing(low) and not is_missing(high):
        cell += f" [{_p(low)}, {_p(high)}]"
    return cell


def _ties(row):
    attack, baseline = row.get("n_tied_out"), row.get("baseline_n_tied_out")
    if is_missing(attack) and is_missing(baseline):
        return MISSING
    return f"{num(attack)} / {num(baseline)}"


def _block_table(part):
    frame = pd.DataFrame(
        {
            "Attack": part["attack"].astype(str),
            "Top k": [k_text(k, n) for k, n in zip(part["k"], part["n_selected"])],
            "Attack: right [CI]": [
                _precision_cell(r["precision"], r["ci_low"], r["ci_high"], r["n_selected"])
                for _, r in part.iterrows()
            ],
            "Imputation: right [CI]": [
                _precision_cell(
                    r["baseline_precision"],
                    r.get("baseline_ci_low"),
                    r.get("baseline_ci_high"),
                    r["n_selected"],
                )
                for _, r in part.iterrows()
            ],
            "Difference": [
                num(float(r["precision"]) - float(r["baseline_precision"]), 2, signed=True)
                if not is_missing(r["precision"]) and not is_missing(r["baseline_precision"])
                else MISSING
                for _, r in part.iterrows()
            ],
            "Singles out": ["yes" if singles_out(r) else "no" for _, r in part.iterrows()],
            "Base rate": [_p(r.get("base_rate")) for _, r in part.iterrows()],
            "Ties left out (attack / imputation)": [_ties(r) for _, r in part.iterrows()],
        }
    )
    return table(
        frame,
        numeric=[
            "Attack: right [CI]",
            "Imputation: right [CI]",
            "Difference",
            "Base rate",
            "Ties left out (attack / imputation)",
        ],
    )


def _ks(rows):
    """The k of the table in words: "10, 100 and 1% of the records"."""
    texts = []
    for k in dict.fromkeys(str(k) for k in rows["k"]):
        text = k_text(k)
        texts.append(f"{text} of the records" if text.endswith("%") else text)
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def tail_body(assessment):
    """The section's HTML: what it measures, then per attribute and value a sentence, a table
    and (with matplotlib) the precision-at-k plot."""
    tail = getattr(assessment, "tail_risk", None)
    rows = members_rows(tail)
    if rows is None:
        why = (
            "this assessment has no tail-risk table (it was made before tail risk was "
            "measured, or no sensitive attribute is categorical)"
            if tail is None or not has(tail, "sensitive")
            else "the tail-risk table has no rows for the training records"
        )
        return paragraph(f"Not available: {why}.")
    confidence = float(assessment.metadata.get("confidence", 0.95))
    pct = num(confidence * 100, 0)
    parts = [
        paragraph(
            "An average over every record can hide a few people the model lets an attacker "
            "single out. Here the training records are ranked by each attack's confidence "
            "that they hold one value of the attribute (by default its rarest in the auxiliary "
            f"data), and the k most confident (k = {_ks(rows)}) are checked: how many truly "
            f"hold it (the precision, with its {pct}% Wilson interval), against the "
            "imputation baseline's own k most confident, chosen without the model "
            "(Jayaraman & Evans, CCS 2022). An attack singles people out only when the lower "
            "end of its interval lies above imputation's precision. Records that tie with "
            "the last one selected are left out by their order in the data; the last column "
            "counts them."
        )
    ]
    for (sensitive, value), part in rows.groupby(["sensitive", "value"], sort=False):
        n = part["n"].iloc[0] if "n" in part else None
        held = (
            f" (held by {share_text(part['base_rate'].iloc[0])} of the {num(n)} training records)"
            if "base_rate" in part and not is_missing(n)
            else ""
        )
        parts.append(
            f'<div class="block"><p><strong>Sensitive attribute: {esc(sensitive)}</strong> — '
            f"value '{esc(value)}'{esc(held)}</p>\n"
            f'<p class="tail-sentence">{sentence(part, value)}</p>\n'
            f"{_block_table(part)}</div>"
        )
    parts.append(
        _plots.figure_block(
            _plots.plot_precision_at_k,
            (rows,),
            "Precision of each attack's k most confident inferences against imputation's",
            "Precision at k: of the k training records each attack is surest hold the value, "
            f"the share that do, with its {pct}% Wilson interval (filled markers joined by "
            "lines), against imputation's own k most confident (open grey squares, dashed); "
            "the dotted line is the share of all training records that hold the value.",
            what="the precision-at-k plot",
        )
    )
    return "\n".join(parts)


__all__ = ["ANCHOR", "TITLE", "sentence", "singles_out", "tail_body"]

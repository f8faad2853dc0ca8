"""The residual risk of the first screen: each attribute's level undefended, next to its level
under the defense the recommendations choose (:func:`~._recommend.defense_choice`).

The level under a defense is read from the defense sweep with the headline's own rule
(:func:`deciding`, the report's copy of the assessment's: the best lower end of the
simultaneous intervals over the attacks compared, on the training records, at the same
thresholds). The
sweep holds the attacks that query the model; an output defense does not change what an
attacker holding the model file reads, so where model-file access was assessed the residual
level is never below the white-box attacks' own (undefended) level.
"""

from __future__ import annotations

import numpy as np

from .._threat_models import RISK_LEVELS, WHITE_BOX_ACCESS
from ._defenses import defense_labeller
from ._format import esc, has, is_missing, num
from ._recommend import UTILITY_TOLERANCE, defense_choice
from ._verdicts import NOT_ASSESSED, access_verdict, rank

FAMILY_LOW = "advantage_ci_low_family"


def _low_column(rows):
    """The lower bound the level is read from: the simultaneous one when the table has it."""
    if FAMILY_LOW in rows and np.isfinite(rows[FAMILY_LOW].astype(float)).any():
        return FAMILY_LOW
    return "advantage_ci_low"


def risk_level(advantage, ci_low):
    """The headline's level of one advantage and the lower end of its interval: a level only
    when that lower end is above 0, then by the thresholds of :data:`RISK_LEVELS`."""
    if not (np.isfinite(ci_low) and ci_low > 0):
        return "none"
    for threshold, level in RISK_LEVELS:
        if advantage >= threshold:
            return level
    return "low"


def _number(value):
    return np.nan if is_missing(value) else float(value)


def deciding(rows, low):
    """(row, level) of the attack that decides among members' ``rows``, by the headline's
    rule (the report's copy of the assessment's, which it may not import: it sits above the
    report): the best lower end ``low`` of the intervals decides; when that shows no
    measurable leakage, the largest advantage is shown; "undetermined" when no advantage is
    defined."""
    advantage = rows["advantage"].astype(float)
    finite = rows[np.isfinite(advantage)]
    if finite.empty:
        return rows.iloc[0], "undetermined"
    lows = finite[low].astype(float).fillna(-np.inf)
    best = finite.loc[lows.idxmax()]
    level = risk_level(_number(best["advantage"]), _number(best[low]))
    if level == "none":
        best = finite.loc[finite["advantage"].astype(float).idxmax()]
    return best, level


def _high(row, low):
    high = "advantage_ci_high_family" if low == FAMILY_LOW else "advantage_ci_high"
    value = row.get(high, np.nan)
    return np.nan if is_missing(value) else float(value)


def level_of(rows, sensitive=None):
    """The verdict of the members' rows ``rows`` of one attribute: ``level``, ``attack`` (its
    name without the sweep's " [attribute]" suffix), ``advantage``, ``ci_low`` and whether
    ``ci_low`` is simultaneous; None when there are no rows."""
    if rows is None or len(rows) == 0:
        return None
    low = _low_column(rows)
    best, level = deciding(rows, low)
    attack = str(best["attack"])
    if sensitive is not None:
        attack = attack.removesuffix(f" [{sensitive}]")
    return dict(
        level=str(level),
        attack=attack,
        advantage=float(best["advantage"]) if not is_missing(best["advantage"]) else np.nan,
        ci_low=float(best[low]) if not is_missing(best[low]) else np.nan,
        ci_high=_high(best, low),
        simultaneous=low == FAMILY_LOW,
    )


def under_defense(defenses, defense, sensitive):
    """The level of ``sensitive`` under ``defense`` in the sweep (its members' rows), or None."""
    if not has(defenses, "defense", "population", "sensitive", "attack", "advantage"):
        return None
    rows = defenses[
        (defenses["defense"].astype(str) == str(defense))
        & (defenses["population"] == "members")
        & (defenses["sensitive"].astype(str) == str(sensitive))
    ]
    return level_of(rows, sensitive)


def white_box_level(results, sensitive):
    """The level the white-box attacks on ``sensitive`` reach by themselves (the model-file
    family's intervals), or None when none was run."""
    if not has(results, "attack", "access", "population", "sensitive", "advantage"):
        return None
    rows = results[
        results["access"].astype(str).isin(sorted(WHITE_BOX_ACCESS))
        & (results["population"] == "members")
        & (results["sensitive"].astype(str) == str(sensitive))
    ]
    return level_of(rows)


def _model_file_assessed(row):
    verdict = access_verdict(row, "model_file")
    return verdict is None or verdict["level"] != NOT_ASSESSED


def _worse(a, b):
    """The higher of two verdicts by level (the first on a tie; a comparable level over an
    undetermined one)."""
    if b is None:
        return a
    if a is None:
        return b
    ra, rb = rank(a["level"]), rank(b["level"])
    if ra is None:
        return b if rb is not None else a
    if rb is None:
        return a
    return b if rb > ra else a


def residual_rows(assessment, defense):
    """Per attribute of the summary: the undefended level, and under ``defense`` the API
    level (the sweep), the white-box level (unchanged by an output defense) and the residual
    level (the higher of them where model-file access was assessed)."""
    rows = []
    summary = assessment.summary
    if not has(summary, "sensitive", "risk_level"):
        return rows
    for _, row in summary.iterrows():
        sensitive = row["sensitive"]
        api = under_defense(assessment.defenses, defense, sensitive)
        white = (
            white_box_level(assessment.results, sensitive) if _model_file_assessed(row) else None
        )
        residual = _worse(api, white)
        if str(row["risk_level"]) == "undetermined" or residual is None:
            residual = None
        rows.append(
            dict(
                sensitive=str(sensitive),
                undefended=str(row["risk_level"]),
                undefended_attack=None if is_missing(row.get("attack")) else row.get("attack"),
                api=api,
                white_box=white,
                residual=residual,
            )
        )
    return rows


def level_word(level):
    """A level as the first screen prints it: "HIGH", "NONE (no measurable risk)"."""
    level = str(level)
    if level == "none":
        return "NONE (no measurable risk)"
    return level.upper()


def _level_html(level):
    css = level if level in ("high", "medium", "low", "none") else "undetermined"
    return f'<span class="level risk-{esc(css)}">{esc(level_word(level))}</span>'


def _verdict_detail(verdict, pct):
    text = f"by {esc(verdict['attack'])}, advantage {esc(num(verdict['advantage'], signed=True))}"
    if not is_missing(verdict["ci_low"]):
        kind = f"simultaneous {pct}% interval" if verdict["simultaneous"] else f"{pct}% interval"
        text += f"; lower end of its {kind} {esc(num(verdict['ci_low'], signed=True))}"
    return text


def _attribute_line(item, shown, pct):
    """One attribute: "undefended: HIGH → with D: LOW", and how the residual level is made."""
    head = (
        f"<strong>{esc(item['sensitive'])}</strong> — undefended: {_level_html(item['undefended'])}"
    )
    if item["residual"] is None:
        if item["undefended"] == "undetermined":
            return head + " (see its sentence in the summary: no level to lower)"
        return head + f" → with {shown}: not measured for this attribute"
    api, white = item["api"], item["white_box"]
    text = head + f" → with {shown}: {_level_html(item['residual']['level'])}"
    details = []
    if api is not None:
        details.append(f"through the API {_level_html(api['level'])} {_verdict_detail(api, pct)}")
    if white is not None:
        same = item["residual"] is white
        details.append(
            f"an attacker holding the model file {'still ' if same else ''}reaches "
            f"{_level_html(white['level'])} {_verdict_detail(white, pct)}: an output defense "
            "does not change what the file reveals"
        )
    if details:
        text += " (" + "; ".join(details) + ")"
    return text


def none_lowers_text(choice):
    """Why no defense is recommended when none that is safe lowers the risk."""
    lowers = choice.get("lowers")
    if lowers is None or len(lowers) == 0:
        return (
            "No defense is recommended: none of the defenses tried lowers the worst-case advantage"
        )
    return (
        "No defense is recommended: the defenses that lower the worst-case advantage are not "
        "recommended, because an attack gains under them or the sweep cannot show that none "
        "does (see the recommendations)"
    )


def residual_block(assessment):
    """The residual-risk block of the first screen (safe HTML)."""
    meta = assessment.metadata
    pct = num(float(meta.get("confidence", 0.95)) * 100, 0)
    choice = defense_choice(assessment)
    kind = choice["kind"]
    label = defense_labeller(assessment)
    summary = assessment.summary
    levels = (
        "; ".join(
            f"<strong>{esc(r['sensitive'])}</strong>: {_level_html(str(r['risk_level']))}"
            for _, r in summary.iterrows()
        )
        if has(summary, "sensitive", "risk_level")
        else "not available"
    )
    parts = ['<div class="residual" id="residual-risk">', "<h3>Residual risk</h3>"]
    if kind in ("recommended", "strongest only"):
        defense = choice["defense"] if kind == "recommended" else choice["strongest"]
        shown = f"<code>{esc(label(defense))}</code>"
        metric = esc(choice.get("metric", "utility"))
        if kind == "recommended":
            row = choice["best_row"]
            cost = "no utility" if row["drop"] <= 0 else f"{num(row['drop'])} {metric}"
            parts.append(
                f"<p>Recommended defense: {shown}: of the defenses tried under which no "
                "attack's advantage rises, the one that lowers the worst-case advantage most "
                f"while losing at most {num(UTILITY_TOLERANCE, 2)} {metric} (it costs "
                f"{cost}). The level under it, read from the defense sweep with the same rule "
                "as the headline:</p>"
            )
        else:
            row = choice["strongest_row"]
            parts.append(
                "<p>No defense is recommended: every defense tried that lowers the worst-case "
                f"advantage without an attack gaining loses more than "
                f"{num(UTILITY_TOLERANCE, 2)} {metric}. The strongest of them, {shown}, costs "
                f"{num(row['drop'])} {metric}; were it deployed, the level would be:</p>"
            )
        items = [_attribute_line(item, shown, pct) for item in residual_rows(assessment, defense)]
        parts.append(
            '<ul class="residual">\n' + "\n".join(f"<li>{i}.</li>" for i in items) + "\n</ul>"
        )
        if has(summary, "aux_size") and any(
            str(v) not in ("all", "nan", "None") and not is_missing(v) for v in summary["aux_size"]
        ):
            parts.append(
                '<p class="note">The defenses were measured with all the auxiliary records; '
                "a headline decided with fewer of them (see the summary) may stay above the "
                "level shown under the defense.</p>"
            )
    else:
        reason = {
            "not measured": "No defense was swept, so no residual risk under a defense was "
            "measured (pass <code>defenses=[...]</code> to <code>assess</code>, or "
            "<code>--defense</code> on the command line)",
            "only undefended": "Only the undefended model was measured: no defense was swept",
            "no leak": "No defense is needed against the attacks that query the model: none of "
            "them leaks measurably on the undefended model (an output defense does not change "
            "what an attacker holding the model file reads)",
            "none lowers": none_lowers_text(choice),
        }[kind]
        parts.append(f"<p>{reason}. The residual risk is the undefended level: {levels}.</p>")
    parts.append("</div>")
    return "\n".join(parts)


def residual_summary(assessment):
    """(choice, defense shown, [(attribute, undefended level, residual level or None)]) for
    the regulatory checklist (the defense and rows only when one is recommended)."""
    choice = defense_choice(assessment)
    label = defense_labeller(assessment)
    if choice["kind"] != "recommended":
        return choice, None, []
    rows = residual_rows(assessment, choice["defense"])
    return (
        choice,
        label(choice["defense"]),
        [
            (
                r["sensitive"],
                r["undefended"],
                None if r["residual"] is None else r["residual"]["level"],
            )
            for r in rows
        ],
    )


def glance_items(assessment):
    """The rows of the "risk at a glance" figure: per attribute, its headline (undefended) and,
    when a defense is recommended, the API verdict under it (the attacks the defense acts
    on; the white-box attacks' points are the undefended ones)."""
    summary = assessment.summary
    if not has(summary, "sensitive", "advantage", "advantage_ci_low", "advantage_ci_high"):
        return []
    choice = defense_choice(assessment)
    residual = (
        {r["sensitive"]: r for r in residual_rows(assessment, choice["defense"])}
        if choice["kind"] == "recommended"
        else {}
    )
    items = []
    for _, row in summary.iterrows():
        attack = "" if is_missing(row.get("attack")) else f" ({row['attack']})"
        items.append(
            dict(
                label=f"{row['sensitive']}: undefended{attack}",
                advantage=row["advantage"],
                ci_low=row["advantage_ci_low"],
                ci_high=row["advantage_ci_high"],
                defended=False,
            )
        )
        verdict = residual.get(str(row["sensitive"]), {}).get("api")
        if verdict is not None:
            items.append(
                dict(
                    label=f"{row['sensitive']}: defended, API ({verdict['attack']})",
                    advantage=verdict["advantage"],
                    ci_low=verdict["ci_low"],
                    ci_high=verdict["ci_high"],
                    defended=True,
                )
            )
    return [i for i in items if not is_missing(i["advantage"])]

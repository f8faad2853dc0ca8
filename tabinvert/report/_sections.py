"""The report's sections, each a function from an :class:`~tabinvert.Assessment` to safe HTML.

Sections read the assessment defensively: an assessment rebuilt from JSON, or built by hand,
may lack metadata keys or optional tables, and the report then says so instead of failing.
"""

from __future__ import annotations

import datetime
import json

import pandas as pd

from . import _dp, _glossary_section, _plots, _regulatory, _sizes, _tail
from .._threat_models import WHITE_BOX_ACCESS, WHITE_BOX_THREAT_MODEL
from ._format import (
    MISSING,
    definition_list,
    esc,
    has,
    image,
    interval,
    is_missing,
    leakage_word,
    num,
    paragraph,
    table,
    text,
)
from ._verdicts import (
    ACCESS_LABELS,
    ACCESSES,
    NOT_ASSESSED,
    NOT_ASSESSED_WHY,
    access_verdict,
    deciding_size,
    full_row,
    has_access_levels,
    rank,
    size_text,
    sized_row,
    threshold_lines,
)
from ._context import context_block
from ._defenses import alternative_models, defense_labeller
from ._residual import glance_items, residual_block
from ._recommend import (
    GROUP_LEVEL,
    LOWER_IS_BETTER,
    RISE_TOLERANCE,
    above_the_rest,
    attack_changes,
    gains_text,
    memorised,
    recommendations,
    utility_metric,
)

RISK_ORDER = ("high", "medium", "low", "none", "undetermined")
#: Rows of the subgroup table shown per grouping (the largest advantage first).
MAX_GROUP_ROWS = 30
INSTALL_HINT = _plots.INSTALL_HINT

#: The sections in reading order. The first screen is the header (with the context), the
#: summary (with the residual risk) and the figure at a glance: the first figure comes right
#: after the summary, before any table.
SECTIONS = (
    ("summary", "Summary"),
    ("at-a-glance", "Risk at a glance"),
    ("threat-model", "Threat model"),
    ("results", "Results"),
    (_dp.ANCHOR, _dp.TITLE),
    (_tail.ANCHOR, _tail.TITLE),
    (_sizes.ANCHOR, _sizes.TITLE),
    ("figures", "Figures"),
    ("recommendations", "Recommendations"),
    (_regulatory.ANCHOR, "Regulators' checklist"),
    (_glossary_section.ANCHOR, _glossary_section.TITLE),
    ("reproducibility", "Reproducibility"),
)


def section(anchor, title, body):
    """A ``<section>`` with an anchored ``<h2>``; ``body`` must already be safe HTML."""
    return f'<section id="{esc(anchor)}">\n<h2>{esc(title)}</h2>\n{body}\n</section>'


def _sensitive(assessment):
    names = assessment.metadata.get("sensitive")
    if not names and len(assessment.summary):
        names = list(assessment.summary["sensitive"])
    return [str(n) for n in (names or [])]


def _white_box_attacks(assessment):
    """Names of the white-box attacks among the results: those whose ``access`` is the model
    itself (its file or its gradients), as each attack declares."""
    results = assessment.results
    if not has(results, "attack", "access"):
        return []
    white_box = results[results["access"].astype(str).isin(sorted(WHITE_BOX_ACCESS))]
    return [str(a) for a in dict.fromkeys(white_box["attack"])]


def _created(metadata):
    created = metadata.get("created")
    if not created:
        return "unknown date"
    try:
        moment = datetime.datetime.fromisoformat(str(created))
    except ValueError:
        return str(created)
    suffix = " UTC" if moment.utcoffset() == datetime.timedelta(0) else ""
    return moment.strftime("%Y-%m-%d %H:%M") + suffix


# --------------------------------------------------------------------------- 1. header
def header(assessment):
    """Title, model, date and a one-line scope."""
    meta = assessment.metadata
    names = _sensitive(assessment)
    attributes = ", ".join(f"“{esc(n)}”" for n in names) or "the sensitive attributes"
    people = f"the {num(meta['n_train'])} people" if "n_train" in meta else "the people"
    held_out = (
        f", compared with {num(meta['n_non_members'])} held-out people of the same population"
        if meta.get("n_non_members")
        else ""
    )
    plural = "s" if len(names) != 1 else ""
    nav = " ".join(f'<a href="#{anchor}">{esc(title)}</a>' for anchor, title in SECTIONS)
    attacker = (
        "who can query this model (or, for the white-box attacks, holds it)"
        if _white_box_attacks(assessment)
        else "who can query this model"
    )
    return (
        "<header>\n<h1>Attribute-inference risk report</h1>\n"
        f'<p class="meta">Model: <code>{esc(meta.get("model", "unknown model"))}</code></p>\n'
        f'<p class="meta">Assessed: {esc(_created(meta))}</p>\n'
        f'<p class="scope"><strong>Scope:</strong> what an attacker {attacker} can '
        f"infer about the sensitive attribute{plural} {attributes} of {people} it was trained "
        f"on, beyond what the population's statistics already reveal{held_out}."
        f"{_attacked_counts(meta)}{_answers_sentence(meta)}</p>\n"
        f"{context_block(meta)}\n"
        f"</header>\n<nav>{nav}</nav>"
    )


#: How each protocol of a model service is named in the report.
PROTOCOL_NAMES = {
    "v2": "the Open Inference Protocol v2",
    "mlflow": "MLflow's scoring protocol",
    "json": "a JSON API",
}


def _answers_sentence(meta):
    """What the model returns to a query (labels only, say) and, for a model behind an HTTP
    service, where it was queried and how many rows and requests were sent."""
    text = ""
    if meta.get("model_answers") == "labels":
        text += (
            " The model returns labels only, not probabilities: the attacks that read "
            "probabilities were not run against it."
        )
    endpoint = meta.get("endpoint")
    if isinstance(endpoint, dict):
        protocol = PROTOCOL_NAMES.get(endpoint.get("protocol"), endpoint.get("protocol"))
        retries = int(endpoint.get("retries", 0))
        text += (
            f" The model was queried over HTTP at {esc(endpoint.get('url', MISSING))} "
            f"({esc(protocol)}): {num(endpoint.get('rows_sent'))} rows in "
            f"{num(endpoint.get('requests_sent'))} requests"
            + (f", {num(retries)} of them retries" if retries else ", none retried")
            + "."
        )
    return text


def _attacked_counts(meta):
    """How many training records were attacked per attribute, and why fewer than given."""
    attacked = meta.get("n_attacked") or {}
    n_train = meta.get("n_train")
    parts = []
    for column, counts in attacked.items():
        members = counts.get("members")
        if members is None or n_train is None or members == n_train:
            continue
        out = (meta.get("left_out") or {}).get(column, {})
        reasons = []
        missing = (out.get("missing") or {}).get("members", 0)
        if missing:
            reasons.append(f"{num(missing)} with no recorded value")
        unanswerable = (out.get("unanswerable") or {}).get("members", 0)
        if unanswerable:
            reasons.append(f"{num(unanswerable)} holding a category the model never saw")
        why = f" ({'; '.join(reasons)} left out)" if reasons else ""
        parts.append(f"“{esc(column)}”: {num(members)} attacked{why}")
    if not parts:
        return ""
    return (
        f" The assessment was given {num(n_train)} training records; "
        + ", ".join(parts)
        + ". If the model was trained on more records than were given, the figures are about "
        "those given."
    )


# --------------------------------------------------------------------------- 2. summary
def badge(level):
    """A risk badge: colour for the screen, the level's name for print and screen readers."""
    level = str(level)
    if level == NOT_ASSESSED:
        return f'<span class="badge risk-na">{esc(NOT_ASSESSED)}</span>'
    css = level if level in RISK_ORDER else "undetermined"
    words = {"none": "no measurable risk", "undetermined": "risk undetermined"}.get(
        level, f"{level} risk"
    )
    return f'<span class="badge risk-{css}">{esc(words)}</span>'


def _summary_card(row, assessment, confidence):
    """One attribute's card: the headline badge and sentence, the level per access with the
    attack that decides it, which access decides, the auxiliary size that decides (when a
    smaller one does), and the headline attack's numbers."""
    pct = num(confidence * 100, 0)
    new = has_access_levels(assessment.summary)
    parts = [f'<p class="sentence">{esc(row["sentence"])}</p>']
    if new:
        parts.append(_access_list(row, assessment, pct))
        deciding = _deciding_access_text(row, assessment)
        if deciding:
            parts.append(f'<p class="decides">{deciding}</p>')
        explained = explanations_text(row)
        if explained:
            parts.append(f'<p class="decides explanations">{explained}</p>')
    else:
        parts.append(
            '<p class="detail">Levels per access (API and model file) are not available: '
            "this assessment was made before they were reported.</p>"
        )
    sized = _deciding_size_text(row, assessment, pct)
    if sized:
        parts.append(f'<p class="decides">{sized}</p>')
    if not is_missing(row.get("advantage")):
        ci = f"simultaneous {pct}% CI over the attacks compared" if new else f"{pct}% CI"
        full = deciding_size(row, assessment.aux_sizes) is not None
        lead = (
            f"With all the auxiliary records, the best attack is {esc(row['attack'])}"
            if full
            else f"Decided by {esc(row['attack'])}"
        )
        parts.append(
            f'<p class="detail">{lead}: {esc(row["metric"])} '
            f"{esc(num(row['score']))} against {esc(num(row['baseline_score']))} for imputation; "
            f"advantage over imputation {esc(_advantage(row))} ({esc(ci)}).</p>"
        )
    return (
        f'<div class="card risk-{esc(_css_level(row["risk_level"]))}">\n'
        f"<h3>{badge(row['risk_level'])} <span>{esc(row['sensitive'])}</span></h3>\n"
        + "\n".join(parts)
        + "</div>"
    )


def _css_level(level):
    level = str(level)
    return level if level in RISK_ORDER else "undetermined"


def _verdict_text(row, assessment, access, pct):
    """How one access's level was reached: the attack, its advantage and the lower end of the
    interval the level was read from (and the auxiliary size, when a smaller one decided)."""
    verdict = access_verdict(row, access)
    if verdict is None:
        return "not available in this assessment"
    if verdict["level"] == NOT_ASSESSED:
        return esc(NOT_ASSESSED_WHY[access])
    if verdict["attack"] is None:
        return "no attack decides it"
    text = f"by <strong>{esc(verdict['attack'])}</strong>"
    if is_missing(verdict["advantage"]):
        return text
    text += f": advantage {esc(num(verdict['advantage'], signed=True))}"
    sized = sized_row(
        assessment.aux_sizes, row["sensitive"], verdict["attack"], verdict["advantage"]
    )
    if sized is not None:
        text += (
            f" with only {esc(size_text(sized['aux_size']))} auxiliary records (averaged over "
            f"{esc(num(sized.get('repeats')))} samples)"
        )
        kind = f"{pct}% interval adjusted over the sizes and attacks tried"
    else:
        kind = f"simultaneous {pct}% interval over the attacks this access allows"
    if not is_missing(verdict["ci_low"]):
        text += f"; the lower end of its {kind} is {esc(num(verdict['ci_low'], signed=True))}"
    return text


def _access_list(row, assessment, pct):
    """The level per access, each labelled, with the attack that decides it."""
    items = []
    for access in ACCESSES:
        verdict = access_verdict(row, access)
        if access == "explanations" and verdict is None:
            continue  # the API returns no explanations: no such access to rate
        shown = "" if verdict is None else badge(verdict["level"]) + " "
        items.append(
            f'<li class="access-{access}"><strong>{esc(ACCESS_LABELS[access])}:</strong> '
            f"{shown}{_verdict_text(row, assessment, access, pct)}.</li>"
        )
    return '<ul class="access">\n' + "\n".join(items) + "\n</ul>"


def _deciding_access_text(row, assessment):
    """Which access decides, read from the two levels (never from a column that could
    disagree with them)."""
    api, model_file = access_verdict(row, "api"), access_verdict(row, "model_file")
    if api is None or model_file is None:
        return ""
    api_rank, file_rank = rank(api["level"]), rank(model_file["level"])
    if api["level"] == NOT_ASSESSED or model_file["level"] == NOT_ASSESSED:
        return ""
    if api_rank is None or file_rank is None:
        return ""
    if file_rank > api_rank:
        return (
            f"<strong>Model-file access decides:</strong> only an attacker holding the model "
            f"file reaches the {esc(model_file['level'])} level (by "
            f"{esc(model_file['attack'])}); through the API alone the risk is "
            f"{esc(api['level'])} (by {esc(api['attack'])}). The recommendations say how to "
            "protect the model file."
        )
    if file_rank == api_rank:
        return (
            f"<strong>API access decides:</strong> an attacker who can only query the model "
            f"already reaches the {esc(api['level'])} level (by {esc(api['attack'])}); "
            "holding the model file does not raise it."
        )
    return (
        f"The model-file level ({esc(model_file['level'])}) is below the API level "
        f"({esc(api['level'])}), although holding the file includes querying it: read the "
        f"model-file risk as at least {esc(api['level'])}."
    )


def explanations_text(row):
    """What returning explanations adds to the API's answers, read from the two levels: the
    channel in plain words, for an assessment with an explainer; "" without one."""
    api, explained = access_verdict(row, "api"), access_verdict(row, "explanations")
    if api is None or explained is None or NOT_ASSESSED in (api["level"], explained["level"]):
        return ""
    api_rank, explained_rank = rank(api["level"]), rank(explained["level"])
    if api_rank is None or explained_rank is None:
        return ""
    channel = (
        "The model's API returns explanations with its answers (each feature's contribution "
        "to the decision, or the top reasons). The victim's own explanation depends on the "
        f"victim's value of {esc(repr(row['sensitive']))}, so an attacker who sees it can "
        "compare it with the explanations of each possible value. "
    )
    if explained_rank > api_rank:
        return channel + (
            f"<strong>Explanations raise the risk:</strong> with them an attacker reaches the "
            f"{esc(explained['level'])} level (by {esc(explained['attack'])}); from the "
            f"answers alone the risk is {esc(api['level'])} (by {esc(api['attack'])}). "
            "Returning fewer or coarser explanations (top-k reasons, rounding, leaving the "
            "sensitive feature's contribution out) is the defense to weigh."
        )
    return channel + (
        f"Here they do not raise the level: with or without them the risk is {esc(api['level'])}."
    )


def _file_below_api(row):
    api, model_file = access_verdict(row, "api"), access_verdict(row, "model_file")
    if api is None or model_file is None:
        return False
    api_rank, file_rank = rank(api["level"]), rank(model_file["level"])
    return api_rank is not None and file_rank is not None and file_rank < api_rank


def _deciding_size_text(row, assessment, pct):
    """When a smaller auxiliary sample than all of it decides the headline: which size, and
    the numbers there and with all the records."""
    decided = deciding_size(row, assessment.aux_sizes)
    if decided is None:
        return ""
    size, sized = decided
    text = (
        f"<strong>Decided at {esc(size_text(size))} auxiliary records:</strong> an attacker "
        f"holding only {esc(size_text(size))} auxiliary records reaches the "
        f"{esc(row['risk_level'])} level"
    )
    if sized is None:
        return text + (
            ", above what it reaches with all of them (the data-size table is not in this "
            "assessment)."
        )
    text += (
        f": {esc(sized['attack'])}'s advantage is "
        f"{esc(_advantage(sized))} ({pct}% interval adjusted over the sizes and attacks tried; "
        f"averaged over {esc(num(sized.get('repeats')))} samples), against imputation fitted on "
        "the same records"
    )
    full = full_row(assessment.aux_sizes, row["sensitive"], sized["attack"])
    if full is not None and not is_missing(full.get("advantage")):
        text += (
            f"; with all {esc(num(full.get('n_aux')))} auxiliary records it is "
            f"{esc(num(full['advantage'], signed=True))} ({esc(full['risk_level'])})"
        )
    return text + ". See “The attacker's data size”."


def _advantage(row, prefix="advantage"):
    return interval(row[prefix], row[f"{prefix}_ci_low"], row[f"{prefix}_ci_high"], signed=True)


def _thresholds_text(metadata):
    levels = metadata.get("risk_levels") or {"high": 0.2, "medium": 0.05, "low": 0.0}
    high, medium = levels.get("high", 0.2), levels.get("medium", 0.05)
    return (
        f"high when the best attack's advantage is at least {num(high, 2)}, medium at "
        f"least {num(medium, 2)}, low below that — each only when the whole confidence "
        "interval lies above 0; none when it includes 0; undetermined when imputation is "
        "already perfect"
    )


def family_sentence(metadata):
    """The one sentence on how the simultaneous intervals keep the false-alarm rate."""
    alpha = num((1 - float(metadata.get("confidence", 0.95))) * 100, 0)
    return (
        "Each level is read from confidence intervals simultaneous over the attacks compared "
        "(one bootstrap shared by them), so taking the best attack keeps the "
        f"{alpha}% false-alarm rate."
    )


def summary_section(assessment):
    """Risk level and plain sentence per attribute, and what the advantage means."""
    meta = assessment.metadata
    confidence = float(meta.get("confidence", 0.95))
    cards = [_summary_card(row, assessment, confidence) for _, row in assessment.summary.iterrows()]
    if not cards:
        cards = [paragraph("No sensitive attribute was assessed.")]
    pct = num(confidence * 100, 0)
    explain = (
        '<p class="explain"><strong>Advantage over imputation</strong> is how much of what an '
        "attacker gets wrong when it infers the attribute from the population's statistics "
        "alone (imputation from the same auxiliary records, without the model) the attack gets "
        "right by querying the model: 0 means the model reveals nothing beyond those "
        f"statistics, 1 means it closes the whole gap. The bracket is its {pct}% confidence "
        "interval; an interval that includes 0 means no measurable leakage. Risk levels: "
        f"{esc(_thresholds_text(meta))}."
        + (
            f" {esc(family_sentence(meta))} An attacker with API access can only query the "
            "model (its probabilities, or only its labels); one holding the model file can "
            "also read its internals and query it"
            + (
                ", so the model-file level is never below the API level."
                if not any(_file_below_api(r) for _, r in assessment.summary.iterrows())
                else "."
            )
            if has_access_levels(assessment.summary)
            else ""
        )
        + "</p>"
    )
    return section(
        "summary", "Summary", "\n".join(cards) + "\n" + residual_block(assessment) + "\n" + explain
    )


# --------------------------------------------------------------------------- at a glance
def glance_section(assessment):
    """The first figure, right after the summary: each attribute's headline advantage with
    its interval and, when a defense is recommended, the API attacks' advantage under it."""
    if _plots.load_matplotlib() is None:
        body = (
            f'<p class="notice">The figure at a glance needs matplotlib: '
            f"<code>{esc(INSTALL_HINT)}</code>. Every number it would show is in the summary "
            "above.</p>"
        )
        return section("at-a-glance", "Risk at a glance", body)
    png = _plots.figure_png(
        _plots.plot_headline, glance_items(assessment), threshold_lines(assessment.metadata)
    )
    if png is None:
        body = paragraph("Nothing to plot: no attribute has a defined advantage.")
    else:
        body = image(
            png,
            "Each attribute's deciding advantage over imputation with its interval, undefended "
            "and under the recommended defense",
            "Risk at a glance: per attribute, the deciding attack's advantage over imputation "
            "on the training records, with the simultaneous interval its level is read from "
            "(filled circles, undefended) and, when a defense is recommended, the best attack "
            "that queries the model under it (open diamonds; an output defense does not change "
            "what the white-box attacks read). Right of the dashed 0 line = the model leaks; "
            "dotted lines mark the risk thresholds.",
        )
    return section("at-a-glance", "Risk at a glance", body)


# --------------------------------------------------------------------------- 3. threat model
def threat_model_section(assessment):
    """The threat model in words; when white-box attacks were run and the stated threat model
    does not cover them (e.g. one written by hand), what they assume is added."""

    stated = str(assessment.threat_model or "")
    paragraphs = [p for p in stated.split("\n\n") if p.strip()]
    if _white_box_attacks(assessment) and "white-box" not in stated.lower():
        paragraphs.append(WHITE_BOX_THREAT_MODEL)
    body = "\n".join(paragraph(p.strip()) for p in paragraphs) or paragraph("Not stated.")
    return section("threat-model", "Threat model", body)


# --------------------------------------------------------------------------- 4. tables
def _population_order(results):
    order = [p for p in ("members", "non-members") if p in set(results["population"])]
    return order + [p for p in dict.fromkeys(results["population"]) if p not in order]


def _population_title(population):
    return {"members": "Members (training records)", "non-members": "Non-members (held out)"}.get(
        population, str(population)
    )


def _results_table(part, populations):
    """Attacks × populations of one attribute: score [CI], advantage [CI], reading."""
    attacks = list(dict.fromkeys(part["attack"]))
    keyed = part.set_index(["attack", "population"]).sort_index()
    rows = []
    for attack in attacks:
        row = {"Attack": attack}
        queries = seconds = 0.0
        for population in populations:
            if (attack, population) not in keyed.index:
                row.update(
                    {
                        f"{population} score": MISSING,
                        f"{population} adv": MISSING,
                        f"{population} reading": MISSING,
                    }
                )
                continue
            r = keyed.loc[(attack, population)]
            row[f"{population} score"] = interval(r["score"], r["score_ci_low"], r["score_ci_high"])
            baseline = attack == "imputation"
            row[f"{population} adv"] = "(baseline)" if baseline else _advantage(r)
            row[f"{population} reading"] = (
                "—"
                if baseline
                else leakage_word(r["advantage_ci_low"], r["advantage_ci_high"], r["advantage"])
            )
            queries += 0 if is_missing(r.get("query_rows")) else float(r["query_rows"])
            seconds += 0 if is_missing(r.get("seconds")) else float(r["seconds"])
        row["Queries (rows)"] = num(int(queries))
        row["Seconds"] = num(seconds, 2)
        rows.append(row)
    frame = pd.DataFrame(rows)
    numeric = [c for c in frame.columns if c.endswith((" score", " adv"))] + [
        "Queries (rows)",
        "Seconds",
    ]
    top = (
        '<tr><th rowspan="2">Attack</th>'
        + "".join(f'<th colspan="3">{esc(_population_title(p))}</th>' for p in populations)
        + '<th rowspan="2" class="num">Queries (rows)</th>'
        '<th rowspan="2" class="num">Seconds</th></tr>'
    )
    sub = (
        "<tr>"
        + "".join(
            '<th class="num">score [CI]</th><th class="num">advantage [CI]</th><th>reading</th>'
            for _ in populations
        )
        + "</tr>"
    )
    return table(frame, numeric=numeric, header_rows=top + sub)


def _notes(part):
    notes = part[part["notes"].fillna("").astype(str).str.strip() != ""] if "notes" in part else []
    if len(notes) == 0:
        return ""
    items = "".join(
        f"<li>{esc(r['attack'])}, {esc(r['population'])}: {esc(r['notes'])}</li>"
        for _, r in notes.iterrows()
    )
    return f'<p class="note">Notes from the attacks:</p><ul class="note">{items}</ul>'


def results_tables(assessment):
    """Per attribute: every attack on members and non-members, with the imputation row."""
    results = assessment.results
    if not has(results, "attack", "population", "sensitive", "metric", "score", "advantage"):
        return "<h3>Attack results</h3>" + paragraph("No attack results.")
    populations = _population_order(results)
    parts = [
        "<h3>Attack results</h3>",
        paragraph(
            "Score with its confidence interval (Wilson interval for accuracy), and the advantage "
            "over imputation with its paired-bootstrap interval, for the training records "
            "(members) "
            "and held-out people (non-members). The imputation rows are the baseline itself."
        ),
    ]
    for sensitive, part in results.groupby("sensitive", sort=False):
        metrics = ", ".join(esc(m) for m in dict.fromkeys(part["metric"].astype(str)))
        parts.append(
            f'<div class="block"><p><strong>Sensitive attribute: {esc(sensitive)}'
            f"</strong> (metric: {metrics})</p>\n{_results_table(part, populations)}"
            f"\n{_notes(part)}</div>"
        )
    return "\n".join(parts)


_ACCESS_NEEDED = {
    "outputs": "API (probabilities)",
    "labels": "API (labels only)",
    "model": "model file",
    "gradients": "model file (gradients)",
}


def _decides_cell(row, summary_row):
    """Which of the attribute's per-access levels the attack decides ("" for none)."""
    if summary_row is None:
        return ""
    roles = [
        label
        for access, label in (("api", "API level"), ("model_file", "model-file level"))
        if (verdict := access_verdict(summary_row, access)) is not None
        and verdict["level"] != NOT_ASSESSED
        and verdict["attack"] == str(row["attack"])
    ]
    return " and ".join(roles)


def _bracket(low, high):
    """An interval alone, "[lo, hi]" (signed), or :data:`MISSING`."""
    if is_missing(low) or is_missing(high):
        return MISSING
    return f"[{num(low, signed=True)}, {num(high, signed=True)}]"


def decision_tables(assessment):
    """How each attribute's level was decided: every attack on the training records, the
    access it needs, its own interval and the simultaneous one the level is read from, and
    which level it decides."""
    results = assessment.results
    head = "<h3>How the level was decided</h3>"
    if not has(results, "attack", "population", "sensitive", "advantage"):
        return head + paragraph("No attack results.")
    members = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    if members.empty:
        return head + paragraph("No attack was run on the training records.")
    meta = assessment.metadata
    pct = num(float(meta.get("confidence", 0.95)) * 100, 0)
    family = has(members, "advantage_ci_low_family", "advantage_ci_high_family")
    summary = assessment.summary
    by_attribute = (
        {r["sensitive"]: r for _, r in summary.iterrows()}
        if has(summary, "sensitive") and has_access_levels(summary)
        else {}
    )
    if family:
        intro = (
            f"{family_sentence(meta)} Per attribute, each attack's advantage on the training "
            f"records with its own {pct}% interval and its simultaneous {pct}% interval over "
            "every attack compared (the model-file family); the level is the one of the best "
            "lower end of the simultaneous intervals, at the thresholds above. The API level "
            "is read the same way from simultaneous intervals over the attacks that need only "
            "API access (a smaller family, so their lower ends can be higher than the ones "
            "shown here; the summary gives them)."
        )
    else:
        intro = (
            "Simultaneous intervals are not available in this assessment (it was made before "
            "they were reported): its levels were read from each attack's own "
            f"{pct}% interval."
        )
    parts = [head, paragraph(intro)]
    for sensitive, part in members.groupby("sensitive", sort=False):
        summary_row = by_attribute.get(sensitive)
        columns = {
            "Attack": part["attack"].astype(str),
            "Access needed": [
                _ACCESS_NEEDED.get(str(a), str(a)) for a in part.get("access", [""] * len(part))
            ],
            "Advantage [own CI]": [_advantage(r) for _, r in part.iterrows()],
        }
        if family:
            columns["Simultaneous CI"] = [
                _bracket(r["advantage_ci_low_family"], r["advantage_ci_high_family"])
                for _, r in part.iterrows()
            ]
            columns["Reading (simultaneous)"] = [
                leakage_word(
                    r["advantage_ci_low_family"], r["advantage_ci_high_family"], r["advantage"]
                )
                for _, r in part.iterrows()
            ]
        if by_attribute:
            columns["Decides"] = [_decides_cell(r, summary_row) for _, r in part.iterrows()]
        frame = pd.DataFrame(columns)
        parts.append(
            f'<div class="block"><p><strong>Sensitive attribute: {esc(sensitive)}</strong></p>\n'
            + table(frame, numeric=["Advantage [own CI]", "Simultaneous CI"])
            + "</div>"
        )
    return "\n".join(parts)


def gap_table(assessment):
    """Members' advantage minus non-members', per attack; "memorisation" only where the gap's
    interval lies above 0 and the attack leaks on the members (:func:`memorised`)."""
    gap = assessment.membership_gap
    head = "<h3>Members vs non-members</h3>"
    if not has(gap, "sensitive", "attack", "advantage_members", "advantage_non_members", "gap"):
        return head + paragraph("Not measured: there were no non-members to compare with.")
    readings = memorised(assessment) if has(gap, "gap_ci_low", "gap_ci_high") else None
    if readings is None or len(readings) != len(gap):
        readings = gap.assign(members_ci_low=float("nan"), members_ci_high=float("nan"))
    frame = pd.DataFrame(
        {
            "Attribute": gap["sensitive"].astype(str),
            "Attack": gap["attack"].astype(str),
            "Members' advantage [CI]": [
                interval(v, lo, hi, signed=True)
                for v, lo, hi in zip(
                    gap["advantage_members"],
                    readings["members_ci_low"],
                    readings["members_ci_high"],
                )
            ],
            "Non-members' advantage": [num(v, signed=True) for v in gap["advantage_non_members"]],
            "Gap [CI]": [
                _advantage(r, "gap") if "gap_ci_low" in r else num(r["gap"], signed=True)
                for _, r in gap.iterrows()
            ],
            "Reading": [_gap_reading(r) for _, r in readings.iterrows()],
        }
    )
    return (
        head
        + paragraph(
            "A gap whose interval lies above 0 means the attack works better on the training "
            "records than on people the model never saw. It shows that the model memorised "
            "them only when the attack also leaks on the training records (its members' "
            "advantage interval lies above 0); the gap of an attack that does not leak on them "
            "(one that does worse than imputation on held-out people, say) is not "
            "memorisation."
        )
        + table(frame, numeric=["Members' advantage [CI]", "Non-members' advantage", "Gap [CI]"])
    )


def _gap_reading(row):
    if "gap_ci_low" not in row or "gap_ci_high" not in row:
        return "no interval"
    low, high = row["gap_ci_low"], row["gap_ci_high"]
    if is_missing(row["gap"]) or is_missing(low) or is_missing(high):
        return "undefined"
    if low > 0:
        members_low = row.get("members_ci_low")
        if is_missing(members_low):
            return "members leak more; members' interval unknown"
        if members_low > 0:
            return "memorisation"
        return "gap above 0, but members do not leak: not memorisation"
    if high < 0:
        return "non-members leak more"
    return "no measurable gap"


def exposed_table(assessment):
    """The most exposed training records, as index labels only."""
    records = assessment.exposed_records
    head = "<h3>Most exposed training records</h3>"
    note = paragraph(
        "Training records whose sensitive value the attack infers correctly and imputation "
        "does not, most exposed first. Only their index labels (record) and positions are "
        "shown: look them up in your own copy of the data. Confidence is the probability the "
        "attack (or imputation) gives the true value, and exposure their difference; for "
        "numeric attributes, minus the absolute error in standard deviations. For a "
        "categorical attribute the records are scored by the strongest attack whose scores "
        "are probabilities, which need not be the attack that decides the risk: CSMIA's scores "
        "only rank the candidate values, so it is used only when no other attack was run, and "
        "its confidence is then 1 for a right guess and 0 for a wrong one."
    )
    if not has(records, "record"):
        return head + paragraph(
            "No training record is inferred by the attack and missed by imputation."
        )
    columns = {
        "record": "Record",
        "position": "Position",
        "sensitive": "Attribute",
        "attack": "Attack",
        "attack_confidence": "Attack confidence",
        "baseline_confidence": "Imputation confidence",
        "exposure": "Exposure",
    }
    present = [c for c in columns if c in records]
    frame = pd.DataFrame({columns[c]: [text(v) for v in records[c]] for c in present})
    return (
        head
        + note
        + table(
            frame, numeric=["Position", "Attack confidence", "Imputation confidence", "Exposure"]
        )
    )


def _stands_out_cell(row):
    """Whether a group separates from the other records, and in which direction."""
    if "separates" not in row or is_missing(row.get("p_adjusted")):
        return "not tested" if row.get("reliable", True) else "not tested (too small)"
    if not bool(row["separates"]):
        return "no"
    if float(row["advantage"]) > float(row["rest_advantage"]):
        return "yes: more exposed"
    return "yes: less exposed"


def _p_text(value):
    if is_missing(value):
        return MISSING
    return "< 0.001" if float(value) < 0.001 else num(float(value))


def _group_interval(row):
    if "advantage_ci_low" in row and "advantage_ci_high" in row:
        return interval(
            row["advantage"], row["advantage_ci_low"], row["advantage_ci_high"], signed=True
        )
    return num(row["advantage"], signed=True)


def group_tables(assessment):
    """Exposure by subgroup, ranked by the advantage with its interval, each group tested
    against the other records (Holm's correction per grouping), and per grouping the group that
    stands out, or that none does."""
    by_group, disparity = assessment.by_group, assessment.disparity
    head = "<h3>Subgroup exposure</h3>"
    if not has(by_group, "sensitive", "attack", "group", "value", "n_records", "advantage"):
        return head + paragraph("No subgroups were compared.")
    rule = assessment.metadata.get("distinctive_rule")
    pct = num((1 - GROUP_LEVEL) * 100, 0)
    parts = [
        head,
        paragraph(
            "Per subgroup, for the attack of the most exposed records above: the attack's and "
            "imputation's success on its training records, and the groups ranked by the "
            "attack's advantage over imputation within the group, with its "
            f"{pct}% interval (normal approximation). Each group large enough to compare is "
            "tested against the other training records (two-sided z-test of the difference "
            "of the advantages); the p-values are adjusted with Holm's step-down correction "
            "over the groups of each grouping, and a group stands out when its adjusted "
            f"p-value is below {num(GROUP_LEVEL, 2)}. The mean exposure (the attack's "
            "confidence in the true value minus imputation's) is supporting evidence only: "
            "it neither ranks the groups nor makes one stand out. Groups too small to compare "
            "are marked and listed after the others."
            + (f" Distinctive records: {rule}." if rule else "")
        ),
    ]
    shown, hidden = _group_rows(by_group)
    column = {
        "Attribute": shown["sensitive"].astype(str),
        "Attack": shown["attack"].astype(str),
        "Grouping": shown["group"].astype(str),
        "Group": shown["value"].astype(str),
        "Records": [num(v) for v in shown["n_records"]],
    }
    if "attack_success" in shown:
        column["Attack success"] = [num(v) for v in shown["attack_success"]]
    if "baseline_success" in shown:
        column["Imputation success"] = [num(v) for v in shown["baseline_success"]]
    column["Advantage [CI]"] = [_group_interval(r) for _, r in shown.iterrows()]
    if "rest_advantage" in shown:
        column["Other records' advantage"] = [num(v, signed=True) for v in shown["rest_advantage"]]
    if "p_adjusted" in shown:
        column["p (Holm)"] = [_p_text(v) for v in shown["p_adjusted"]]
    column["Stands out"] = [_stands_out_cell(r) for _, r in shown.iterrows()]
    if "mean_exposure" in shown:
        column["Mean exposure (supporting)"] = [num(v, signed=True) for v in shown["mean_exposure"]]
    if "reliable" in shown:
        column["Comparable"] = ["yes" if r else "no (too small)" for r in shown["reliable"]]
    frame = pd.DataFrame(column)
    parts.append(
        table(
            frame,
            numeric=[
                "Records",
                "Attack success",
                "Imputation success",
                "Advantage [CI]",
                "Other records' advantage",
                "p (Holm)",
                "Mean exposure (supporting)",
            ],
        )
    )
    if hidden:
        parts.append(
            paragraph(
                f"{hidden} groups further down the ranking are not listed "
                f"(at most {MAX_GROUP_ROWS} per grouping)."
            )
        )
    parts.append("<h3>Disparity between subgroups</h3>")
    if not has(disparity, "sensitive", "attack", "group"):
        parts.append(paragraph("No grouping has two groups large enough to compare."))
    else:
        parts.append(_disparity_table(disparity, by_group))
    return "\n".join(parts)


def _disparity_table(disparity, by_group):
    """Per grouping: the highest and lowest advantage, their gaps, the smallest adjusted
    p-value, and which group stands out ("no subgroup stands out" when none separates)."""
    highest = "highest" if "highest" in disparity else "most_exposed"  # older assessments
    lowest = "lowest" if "lowest" in disparity else "least_exposed"
    frame = {
        "Attribute": disparity["sensitive"].astype(str),
        "Attack": disparity["attack"].astype(str),
        "Grouping": disparity["group"].astype(str),
    }
    if highest in disparity:
        frame["Highest advantage"] = [
            _named_value(r, highest, "highest_advantage") for _, r in disparity.iterrows()
        ]
    if lowest in disparity:
        frame["Lowest advantage"] = [
            _named_value(r, lowest, "lowest_advantage") for _, r in disparity.iterrows()
        ]
    if "advantage_gap" in disparity:
        frame["Advantage gap"] = [num(v, signed=True) for v in disparity["advantage_gap"]]
    if "exposure_gap" in disparity:
        frame["Exposure gap (supporting)"] = [
            num(v, signed=True) for v in disparity["exposure_gap"]
        ]
    if "p_adjusted" in disparity:
        frame["Smallest p (Holm)"] = [_p_text(v) for v in disparity["p_adjusted"]]
    frame["Reading"] = [_disparity_reading(r, by_group) for _, r in disparity.iterrows()]
    frame = pd.DataFrame(frame)
    return table(
        frame,
        numeric=["Advantage gap", "Exposure gap (supporting)", "Smallest p (Holm)"],
    )


def _named_value(row, name, value):
    if value not in row or is_missing(row[value]):
        return str(row[name])
    return f"{row[name]} ({num(row[value], signed=True)})"


def _disparity_reading(row, by_group):
    if "separates" not in row or is_missing(row["separates"]):
        return "not tested"
    if not bool(row["separates"]):
        return "no subgroup stands out"
    if not is_missing(row.get("most_exposed")):
        above = [str(v) for v in above_the_rest(by_group, row).get("value", [])]
        others = [v for v in above if v != str(row["most_exposed"])]
        return f"{row['most_exposed']} stands out: most exposed" + (
            f" (also above the other records: {', '.join(others)})" if others else ""
        )
    if not is_missing(row.get("least_exposed")):
        return f"none stands out as more exposed; {row['least_exposed']} is less exposed"
    return "a group separates"


def _group_rows(by_group):
    """The first :data:`MAX_GROUP_ROWS` rows per grouping, ranked by advantage (groups too
    small to compare after the others, :func:`~._plots.rank_groups`), and how many were left
    out."""
    parts, hidden = [], 0
    for _, part in by_group.groupby(["sensitive", "attack", "group"], sort=False):
        parts.append(_plots.rank_groups(part).head(MAX_GROUP_ROWS))
        hidden += max(len(part) - MAX_GROUP_ROWS, 0)
    return pd.concat(parts, ignore_index=True), hidden


def defense_tables(assessment):
    """The privacy–utility sweep: utility per defense, attacks under each, and the frontier."""
    defenses, frontier = assessment.defenses, assessment.frontier
    if not has(
        defenses,
        "defense",
        "keeps_argmax",
        "keeps_row_sums",
        "utility",
        "attack",
        "population",
        "sensitive",
        "advantage",
    ):
        return "<h3>Defenses</h3>" + paragraph(
            "No defenses were measured (pass defenses=[...] to assess)."
        )
    metric = utility_metric(defenses)
    label = defense_labeller(assessment)
    others = alternative_models(assessment)
    per_defense = defenses.drop_duplicates("defense")
    utility = pd.DataFrame(
        {
            "Defense (all parameters)": per_defense["defense"].astype(str).map(label),
            # The sweep's own name: the key of the defense column in the JSON and CSV.
            "Name in the data": per_defense["defense"].astype(str),
            "Keeps arg-max": _promise_cells(per_defense, "keeps_argmax", others),
            "Keeps row sums": _promise_cells(per_defense, "keeps_row_sums", others),
            f"Utility ({metric})": [num(v) for v in per_defense["utility"]],
            "Change": [num(v, signed=True) for v in per_defense["utility_change"]],
            "Log-loss": [num(v) for v in per_defense["log_loss"]],
        }
    )
    parts = [
        "<h3>Defenses: utility</h3>",
        paragraph(
            "Utility on held-out data of the model behind each output defense, named with "
            "every parameter (the name in the data is the defense column of the JSON and "
            "CSV, which shows only the parameters that differ from their defaults); the "
            "change is relative to the undefended model (“none”). A defense that keeps the "
            "arg-max leaves every predicted label unchanged."
            + (
                " Another model trained on the same records (a DP counterpart, or one passed "
                "as models=) is attacked as it is; it is not an output defense and is never "
                "the recommended one."
                if others
                else ""
            )
        ),
        table(utility, numeric=[f"Utility ({metric})", "Change", "Log-loss"]),
    ]
    changes = attack_changes(defenses)
    parts += [
        "<h3>Defenses: attacks under each defense</h3>",
        paragraph(
            "Each attack's advantage under each defense; the change is against the same "
            "attack on the undefended model, on the training records. A defense under which "
            "any attack's advantage rises (by more than "
            f"{num(RISE_TOLERANCE, 4)}, i.e. any rise these tables show) is never "
            "recommended, however small the rise, and the attack that gains is named."
        ),
        _defense_attack_table(defenses, changes, label),
    ]
    parts.append("<h3>Privacy–utility frontier</h3>")
    if not has(frontier, "defense", "utility", "risk", "worst_attack", "on_frontier"):
        parts.append(paragraph("Not computed."))
    else:
        parts.append(
            paragraph(
                "Risk is the worst attack's advantage on the training records under each defense; "
                "a defense is on the frontier when no other has at least its utility and at most "
                "its risk."
            )
        )
        parts.append(
            table(
                pd.DataFrame(
                    {
                        "Defense": frontier["defense"].astype(str).map(label),
                        f"Utility ({metric})": [num(v) for v in frontier["utility"]],
                        "Risk (worst advantage)": [num(v, signed=True) for v in frontier["risk"]],
                        "Worst attack": frontier["worst_attack"].astype(str),
                        "On the frontier": [num(bool(v)) for v in frontier["on_frontier"]],
                        "Attack that gains": [
                            _gains_cell(changes, d) for d in frontier["defense"].astype(str)
                        ],
                    }
                ),
                numeric=[f"Utility ({metric})", "Risk (worst advantage)"],
            )
        )
    return "\n".join(parts)


def _promise_cells(per_defense, column, others):
    """An output defense's promise (yes / no); "n/a" for the undefended model's own answers
    and for another model, which is not a function of the deployed model's answers."""
    return [
        "n/a (another model)" if str(name) in others else num(bool(value))
        for name, value in zip(per_defense["defense"], per_defense[column])
    ]


def _gains_cell(changes, defense):
    """The attacks that gain under ``defense`` and by how much, or "none"."""
    if defense == "none":
        return MISSING
    rows = changes[changes["defense"] == defense]
    if rows.empty or not rows["checked"].astype(bool).all():
        return "not checked"
    return gains_text(changes, defense) or "none"


def _defense_attack_table(defenses, changes, label=str):
    populations = _population_order(defenses)
    keyed_changes = changes.set_index(["defense", "sensitive", "attack"]) if len(changes) else None
    rows = []
    for (defense, sensitive, attack), part in defenses.groupby(
        ["defense", "sensitive", "attack"], sort=False
    ):
        name = str(attack).removesuffix(f" [{sensitive}]")  # the sweep's name suffix
        row = {"Defense": label(defense), "Attribute": str(sensitive), "Attack": name}
        keyed = part.set_index("population")
        for population in populations:
            row[f"{_population_title(population)}: advantage [CI]"] = (
                _advantage(keyed.loc[population]) if population in keyed.index else MISSING
            )
        key = (str(defense), sensitive, attack)
        if str(defense) == "none":
            row["Members: change vs none"] = "(reference)"
        elif keyed_changes is not None and key in keyed_changes.index:
            change = keyed_changes.loc[key]
            if isinstance(change, pd.DataFrame):
                change = change.iloc[0]
            row["Members: change vs none"] = num(change["change"], signed=True) + (
                " (gains)" if bool(change["gains"]) else ""
            )
        else:
            row["Members: change vs none"] = MISSING
        rows.append(row)
    frame = pd.DataFrame(rows)
    return table(
        frame,
        numeric=[c for c in frame.columns if c.endswith("[CI]")] + ["Members: change vs none"],
    )


def explanation_defense_tables(assessment):
    """The explanation attacks under each defended explainer: a table (members and
    non-members, advantage with its interval) and, per attribute, one sentence per defense
    saying how the best explanation attack on the training records changes; "" when no
    defended explainer was measured."""
    sweep = getattr(assessment, "explanation_defenses", None)
    if not has(sweep, "defense", "keeps", "attack", "population", "sensitive", "advantage"):
        return ""
    rows = [
        {
            "Defended explanations": str(r["defense"]),
            "Keeps": str(r["keeps"]),
            "Attribute": str(r["sensitive"]),
            "Attack": str(r["attack"]),
            "Population": str(r["population"]),
            "Advantage [CI]": f"{num(r['advantage'], signed=True)} "
            f"{_bracket(r.get('advantage_ci_low'), r.get('advantage_ci_high'))}",
        }
        for _, r in sweep[sweep["attack"] != "imputation"].iterrows()
    ]
    sentences = [esc(sentence) for sentence in explanation_defense_sentences(sweep)]
    return "\n".join(
        [
            "<h3>Explanation defenses</h3>",
            paragraph(
                "The explanation attacks against the explanations as the service returns them "
                "(“none”) and against each defended version, on the same records and seed. "
                "The model's answers are unchanged by them, and so are the other attacks and "
                "the model's utility."
            ),
            table(pd.DataFrame(rows), numeric=["Advantage [CI]"]),
            "<ul>" + "".join(f"<li>{s}</li>" for s in sentences) + "</ul>",
        ]
    )


def explanation_defense_sentences(sweep):
    """One sentence per attribute and defended explainer: the best explanation attack's
    advantage on the training records, against the explanations as served."""
    members = sweep[(sweep["population"] == "members") & (sweep["attack"] != "imputation")]
    sentences = []
    for sensitive, part in members.groupby("sensitive", sort=False):
        best = {
            defense: rows.loc[rows["advantage"].astype(float).idxmax()]
            for defense, rows in part.groupby("defense", sort=False)
            if rows["advantage"].astype(float).notna().any()
        }
        served = best.get("none")
        if served is None:
            continue
        for defense, row in best.items():
            if defense == "none":
                continue
            closed = not is_missing(row.get("advantage_ci_low")) and (
                float(row["advantage_ci_low"]) <= 0
            )
            sentences.append(
                f"{defense} on {sensitive!r}: the best explanation attack ({row['attack']}) "
                f"has advantage {num(row['advantage'], signed=True)} on the training records, "
                f"against {num(served['advantage'], signed=True)} with the explanations as "
                "served; "
                + (
                    "its interval includes 0: no measurable leak through these explanations."
                    if closed
                    else "the explanations still leak measurably."
                )
            )
    return sentences


def tables_section(assessment):
    """Every table of the assessment."""
    body = "\n".join(
        [
            decision_tables(assessment),
            results_tables(assessment),
            gap_table(assessment),
            exposed_table(assessment),
            group_tables(assessment),
            defense_tables(assessment),
            explanation_defense_tables(assessment),
        ]
    )
    return section("results", "Results", body)


# --------------------------------------------------------------------------- tail risk, data size
def dp_section(assessment):
    """What differentially private training at each ε would buy and cost."""
    return section(_dp.ANCHOR, _dp.TITLE, _dp.dp_body(assessment))


def tail_risk_section(assessment):
    """The people the attacker is surest about: precision at k against imputation's."""
    return section(_tail.ANCHOR, _tail.TITLE, _tail.tail_body(assessment))


def sizes_section(assessment):
    """The attacker's data size: the deciding attacks' advantage per auxiliary size."""
    return section(_sizes.ANCHOR, _sizes.TITLE, _sizes.sizes_body(assessment))


# --------------------------------------------------------------------------- 5. figures
def _utility_label(defenses):
    metric = utility_metric(defenses)
    better = "lower" if metric in LOWER_IS_BETTER else "higher"
    return f"utility ({metric}; {better} is better)"


def figure_specs(assessment):
    """(plot function, its arguments, alt text, caption) of every figure, in order."""
    thresholds = threshold_lines(assessment.metadata)
    specs = [
        (
            _plots.plot_advantage,
            (assessment.results, thresholds),
            "Advantage over imputation per attack and attribute, members and non-members",
            "Advantage over imputation with its confidence interval, per attack: filled circles "
            "for the training records (members), open squares for held-out people (non-members). "
            "Right of the dashed 0 line = the model leaks; dotted lines mark the risk thresholds.",
        ),
        (
            _plots.plot_membership_gap,
            (assessment.membership_gap,),
            "Members' advantage minus non-members' per attack",
            "Members vs non-members: the gap between the advantage on the training records and "
            "on held-out people, with its interval. Right of 0: the attack works better on the "
            "training records; that is memorisation only when it also leaks on them (see the "
            "table's reading).",
        ),
        (
            _plots.plot_groups,
            (assessment.by_group,),
            "Advantage over imputation per subgroup, with its interval",
            "Subgroup exposure: the attack's advantage over imputation on each group's training "
            "records with its interval (the "
            f"first {_plots.MAX_BARS} in the table's order per grouping, at most "
            f"{_plots.MAX_PANELS} groupings). "
            "Green bars with a diamond: groups whose advantage is above the other records' "
            "after Holm's correction (they stand out); hatched grey bars: groups too small to "
            "compare.",
        ),
    ]
    if has(assessment.frontier, "defense"):
        specs.append(
            (
                _plots.plot_frontier,
                (
                    assessment.frontier.assign(
                        defense=assessment.frontier["defense"]
                        .astype(str)
                        .map(defense_labeller(assessment))
                    ),
                    _utility_label(assessment.defenses),
                ),
                "Privacy–utility frontier of the defenses",
                "Privacy–utility frontier: each defense's utility against its worst-case advantage "
                "on the training records; green diamonds joined by a line are on the frontier, "
                "open "
                "circles are beaten by another defense on both axes.",
            )
        )
    return specs


def figures_section(assessment):
    """The plots as inline PNGs, or how to get them when matplotlib is missing."""
    if _plots.load_matplotlib() is None:
        body = (
            f'<p class="notice">The plots need matplotlib: <code>{esc(INSTALL_HINT)}</code>. '
            "Every number they would show is in the tables above.</p>"
        )
        return section("figures", "Figures", body)
    images = []
    for plot, args, alt, caption in figure_specs(assessment):
        png = _plots.figure_png(plot, *args)
        if png is not None:
            images.append(image(png, alt, caption))
    body = "\n".join(images) or paragraph("Nothing to plot.")
    return section("figures", "Figures", body)


# --------------------------------------------------------------------------- 6. recommendations
def recommendations_section(assessment):
    """Recommendations generated from the tables."""
    items = "".join(f"<li>{item}</li>\n" for item in recommendations(assessment))
    return section("recommendations", "Recommendations", f'<ol class="advice">\n{items}</ol>')


# --------------------------------------------------------------------------- regulators, glossary
def regulatory_section(assessment):
    """What regulators ask, as a checklist (not legal advice)."""
    return section(
        _regulatory.ANCHOR, "Regulators' checklist", _regulatory.regulatory_body(assessment)
    )


def glossary_section(assessment):
    """Every attack of the results in plain words, with its reference."""
    return section(
        _glossary_section.ANCHOR,
        _glossary_section.TITLE,
        _glossary_section.glossary_body(assessment),
    )


# --------------------------------------------------------------------------- 7. reproducibility
_KNOWN_KEYS = {
    "created",
    "versions",
    "random_state",
    "seed",
    "model",
    "model_summary",
    "sensitive",
    "n_train",
    "n_non_members",
    "n_aux",
    "aux_source",
    "data_sha256",
    "n_resamples",
    "confidence",
    "risk_levels",
    "distinctive_rule",
    "context",
    "defenses",
}


def _code(value):
    return f"<code>{esc(value)}</code>"


def _versions(meta):
    from .._version import __version__

    versions = dict(meta.get("versions") or {})
    listed = ", ".join(f"{esc(k)} {esc(v)}" for k, v in versions.items()) or "not recorded"
    renderer = f"tabinvert {esc(__version__)}"
    if _plots.load_matplotlib() is None:
        renderer += ", without matplotlib"
    else:
        import matplotlib

        renderer += f", matplotlib {esc(matplotlib.__version__)}"
    return listed, renderer


def reproducibility_section(assessment):
    """Versions, seeds, data hashes, model, sizes, auxiliary data, thresholds."""
    meta = assessment.metadata
    hashes = meta.get("data_sha256") or {}
    hash_rows = (
        "<br>".join(
            f"{esc(name)}: {_code(value if value else 'none')}" for name, value in hashes.items()
        )
        or "not recorded"
    )
    listed, renderer = _versions(meta)
    sizes = (
        f"{num(meta.get('n_train'))} training records (members), "
        f"{num(meta.get('n_non_members'))} non-members, "
        f"{num(meta.get('n_aux'))} auxiliary records"
    )
    items = [
        ("Assessed", esc(_created(meta))),
        ("Package versions", listed),
        ("Report rendered with", renderer),
        (
            "random_state / seed",
            f"{_code(meta.get('random_state', MISSING))} / {_code(meta.get('seed', MISSING))}",
        ),
        ("Data sha256", hash_rows),
        ("Model type", _code(meta.get("model", MISSING))),
        ("Model file", _model_file(meta)),
        ("Model", f"<pre>{esc(meta.get('model_summary', MISSING))}</pre>"),
        ("Sensitive attributes", esc(", ".join(_sensitive(assessment)) or MISSING)),
        ("Sizes", esc(sizes)),
        ("Auxiliary data", esc(meta.get("aux_source", "not recorded"))),
        (
            "Intervals",
            esc(
                f"{num(float(meta.get('confidence', 0.95)) * 100, 0)}% level; "
                f"{num(meta.get('n_resamples'))} paired-bootstrap resamples"
            ),
        ),
        (
            "Risk levels",
            esc(_thresholds_text(meta))
            + (
                f" (thresholds: {_code(json.dumps(meta['risk_levels'], sort_keys=True))})"
                if meta.get("risk_levels")
                else ""
            ),
        ),
        ("Distinctive records", esc(meta.get("distinctive_rule", "not recorded"))),
        ("Defenses swept (all parameters)", _defenses_swept(assessment)),
    ]
    items += [
        (str(key), _code(_json(value))) for key, value in meta.items() if key not in _KNOWN_KEYS
    ]
    return section("reproducibility", "Reproducibility", definition_list(items))


def _model_file(meta):
    """The model file's name and SHA-256 from the context, or "not recorded"."""
    context = meta.get("context") if isinstance(meta.get("context"), dict) else {}
    if not context.get("model_file") and not context.get("model_file_sha256"):
        return "not recorded (give context={'model_file': path} or use the command line)"
    return (
        f"{esc(context.get('model_file', 'name not recorded'))}, SHA-256 "
        f"{_code(context.get('model_file_sha256', 'not recorded'))}"
    )


def _defenses_swept(assessment):
    defenses = assessment.defenses
    if not has(defenses, "defense"):
        return "none"
    label = defense_labeller(assessment)
    names = [label(d) for d in dict.fromkeys(defenses["defense"].astype(str)) if d != "none"]
    return "<br>".join(_code(n) for n in names) or "none (only the undefended model)"


def _json(value):
    try:
        return json.dumps(value, sort_keys=True, default=str)
    except (TypeError, ValueError):
        return str(value)


def body(assessment):
    """Every section, in reading order."""
    return "\n".join(
        [
            header(assessment),
            summary_section(assessment),
            glance_section(assessment),
            threat_model_section(assessment),
            tables_section(assessment),
            dp_section(assessment),
            tail_risk_section(assessment),
            sizes_section(assessment),
            figures_section(assessment),
            recommendations_section(assessment),
            regulatory_section(assessment),
            glossary_section(assessment),
            reproducibility_section(assessment),
        ]
    )

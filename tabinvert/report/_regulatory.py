"""What regulators ask, as a checklist: for each item of three public documents, what this
assessment tested, its result (read from the tables, never written by hand) and what remains
the controller's judgement.

The documents (named by their titles; the "what it asks" column summarises them in plain
words, and the report says to read the documents themselves):

* the European Data Protection Board's Opinion 28/2024 on certain data protection aspects
  related to the processing of personal data in the context of AI models (adopted
  17 December 2024);
* the UK Information Commissioner's Office's Guidance on AI and data protection, its section
  "How should we assess security and data minimisation in AI?", and its AI audit toolkit,
  "Information security and integrity";
* the CNIL's "IA : Analyser le statut d'un modèle d'IA au regard du RGPD" (22 July 2025).

It is a checklist, not legal advice: it does not decide whether a model is anonymous.
"""

from __future__ import annotations

import pandas as pd

from .._threat_models import WHITE_BOX_ACCESS
from ._defenses import defense_labeller
from ._dp import dp_names
from ._format import esc, has, is_missing, num, table
from ._recommend import memorised
from ._recommend import UTILITY_TOLERANCE
from ._residual import level_word, none_lowers_text, residual_summary
from ._verdicts import NOT_ASSESSED, rank

ANCHOR, TITLE = "regulatory", "What regulators ask: checklist"

EDPB = (
    "EDPB, Opinion 28/2024 on certain data protection aspects related to the processing of "
    "personal data in the context of AI models (adopted 17 December 2024)"
)
ICO = (
    "ICO (UK), Guidance on AI and data protection, the section “How should we assess security "
    "and data minimisation in AI?” (with its parts “What types of privacy attacks apply to AI "
    "models?” and “What steps should we take to manage the risks of privacy attacks on AI "
    "models?”); and the ICO's data protection audit framework, AI toolkit, “Information "
    "security and integrity”"
)
CNIL = "CNIL, “IA : Analyser le statut d'un modèle d'IA au regard du RGPD” (22 July 2025)"
SOURCES = (EDPB, ICO, CNIL)
#: How the checklist's rows name them (the full titles are listed above the table).
SHORT = {
    EDPB: "EDPB Opinion 28/2024 on AI models",
    ICO: "ICO Guidance on AI and data protection",
    CNIL: "CNIL, the status of an AI model under the GDPR",
}

DISCLAIMER = (
    "This is a checklist, not legal advice. It maps this assessment's measurements to what "
    "the public guidance of three regulators asks of a controller; it does not decide whether "
    "the model is "
    "anonymous, whether it contains personal data, or whether the processing is lawful. The "
    "“What it asks” column summarises each document in plain words: read the documents "
    "themselves. The last column is what remains for the controller (with its data protection "
    "officer) to judge."
)


def _quoted(name):
    return f"'{name}'"


def _attacks(results, white_box):
    """Names of the attacks run (not the baseline), white-box ones or the others."""
    if not has(results, "attack", "access"):
        return []
    rows = results[results["attack"].astype(str) != "imputation"]
    is_white = rows["access"].astype(str).isin(sorted(WHITE_BOX_ACCESS))
    rows = rows[is_white] if white_box else rows[~is_white]
    return [str(a) for a in dict.fromkeys(rows["attack"])]


def highest(summary, suffix=""):
    """(level, [(attribute, attack)]) of the highest comparable level of the summary's
    ``risk_level{suffix}`` column; (None, []) when no attribute has one."""
    column, attack_column = f"risk_level{suffix}", f"attack{suffix}"
    if not has(summary, "sensitive", column):
        return None, []
    ranked = [(rank(r[column]), r) for _, r in summary.iterrows() if rank(r[column]) is not None]
    if not ranked:
        return None, []
    top = max(score for score, _ in ranked)
    rows = [r for score, r in ranked if score == top]
    level = str(rows[0][column])
    return level, [
        (str(r["sensitive"]), None if is_missing(r.get(attack_column)) else str(r[attack_column]))
        for r in rows
    ]


def highest_text(summary, suffix=""):
    """ "highest risk HIGH on 'a' by X (and 'b' by Y)", "no measurable risk on any attribute",
    or "" when no level is comparable."""
    level, where = highest(summary, suffix)
    if level is None:
        return ""
    if level == "none":
        return "no measurable risk on any attribute"
    named = " and ".join(
        _quoted(attribute) + (f" by {attack}" if attack else "") for attribute, attack in where
    )
    return f"highest risk {level_word(level)} on {named}"


def _undetermined(summary, column="risk_level"):
    if not has(summary, "sensitive", column):
        return []
    return [str(r["sensitive"]) for _, r in summary.iterrows() if str(r[column]) == "undetermined"]


def _assessed(summary, suffix):
    column = f"risk_level{suffix}"
    return has(summary, column) and any(str(v) != NOT_ASSESSED for v in summary[column])


def inference_result(summary, suffix=""):
    """ "attribute inference tested on N attribute(s); highest risk …" for one access
    (``suffix`` "_api", "_model_file", or "" for the headline)."""
    n = len(summary) if has(summary, "sensitive") else 0
    if suffix and has(summary, f"risk_level{suffix}") and not _assessed(summary, suffix):
        return "not assessed (the assessment rated the other access only)"
    if suffix and not has(summary, f"risk_level{suffix}"):
        return "not available in this assessment (it predates the levels per access)"
    text = f"attribute inference tested on {n} attribute{'s' if n != 1 else ''}"
    best = highest_text(summary, suffix)
    if best:
        text += f"; {best}"
    undetermined = _undetermined(summary, f"risk_level{suffix}")
    if undetermined:
        text += "; undetermined for " + ", ".join(_quoted(u) for u in undetermined)
    return text


def _memorisation_result(assessment):
    gap = memorised(assessment)
    if gap.empty:
        return "not measured: there were no held-out people to compare with"
    shown = gap[gap["memorised"]]
    if shown.empty:
        return (
            f"no attack shows memorisation ({len(gap)} attack × attribute pair"
            f"{'s' if len(gap) != 1 else ''} compared: none both leaks on the training "
            "records and does better on them than on held-out people)"
        )
    return "memorisation shown by " + "; ".join(
        f"{r['attack']} on {_quoted(r['sensitive'])} (gap {num(r['gap'], signed=True)}, "
        f"interval [{num(r['gap_ci_low'], signed=True)}, {num(r['gap_ci_high'], signed=True)}])"
        for _, r in shown.iterrows()
    )


def defense_result(assessment):
    """What the defense sweep leaves: the residual level per attribute under the recommended
    defense, or why there is none."""
    choice, shown, rows = residual_summary(assessment)
    kind = choice["kind"]
    if kind == "not measured":
        return "no output defense was swept: the residual risk is the undefended level"
    if kind == "only undefended":
        return "only the undefended model was measured: no defense was swept"
    if kind == "no leak":
        return (
            "no attack that queries the model leaks measurably undefended: no output defense "
            "is needed against them"
        )
    if kind == "none lowers":
        text = none_lowers_text(choice)
        return text[:1].lower() + text[1:] + ": the residual risk is the undefended level"
    if kind == "strongest only":
        return (
            "no defense is recommended: every defense that lowers the worst-case advantage "
            f"without an attack gaining loses more than {num(UTILITY_TOLERANCE, 2)} "
            f"{choice.get('metric', 'utility')}; the residual risk is the undefended level"
        )
    parts = [
        f"{_quoted(attribute)}: undefended {level_word(before)} → "
        + (level_word(after) if after is not None else "not measured")
        for attribute, before, after in rows
    ]
    return f"recommended defense {shown}; " + "; ".join(parts)


def _defenses_tested(assessment):
    defenses = assessment.defenses
    if not has(defenses, "defense"):
        return "no output defense was swept"
    label = defense_labeller(assessment)
    dp = dp_names(assessment)
    models = [str(m) for m in assessment.metadata.get("alternatives") or []]
    names = [
        label(d)
        for d in dict.fromkeys(defenses["defense"].astype(str))
        if d != "none" and d not in dp and d not in models
    ]
    parts = []
    if names:
        parts.append(
            f"{len(names)} output defense{'s' if len(names) != 1 else ''} swept: "
            + ", ".join(names)
        )
    if models:
        parts.append("alternative models attacked: " + ", ".join(models))
    if dp:
        parts.append("differentially private counterparts attacked: " + ", ".join(dp))
    return "; ".join(parts) or "only the undefended model was measured"


def checklist_rows(assessment):
    """The checklist as a DataFrame of text: Source, What it asks, What this assessment
    tested, Result, The controller's judgement."""
    meta = assessment.metadata
    summary, results = assessment.summary, assessment.results
    api_attacks = _attacks(results, white_box=False)
    white_attacks = _attacks(results, white_box=True)
    n_non = meta.get("n_non_members")
    context = meta.get("context") or {}
    assessor = context.get("assessor") if isinstance(context, dict) else None
    compared = f" and {num(n_non)} held-out people" if not is_missing(n_non) and n_non else ""
    rows = [
        (
            EDPB,
            "Whether personal data about the people in the training data can be obtained "
            "from the model through queries, intentionally or not, with all the means "
            "reasonably likely to be used (by the controller or another person); for the "
            "model to be considered anonymous, this likelihood should be insignificant.",
            "Attribute inference through queries (API access): "
            + (", ".join(api_attacks) or "no attack that only queries the model")
            + f", against imputation from the same auxiliary records, on the "
            f"{num(meta.get('n_train'))} training records{compared}.",
            "API access: " + inference_result(summary, "_api")
            if has(summary, "risk_level_api")
            else inference_result(summary),
            "Whether these attacks and an attacker holding "
            f"{num(meta.get('n_aux'))} auxiliary records are the means reasonably likely to be "
            "used against this model, and whether the measured likelihood is insignificant.",
        ),
        (
            EDPB,
            "Whether personal data about the people in the training data can be extracted "
            "from the model itself (directly, including probabilistically); this likelihood "
            "should also be insignificant for the model to be considered anonymous.",
            (
                "White-box attacks reading the model file: " + ", ".join(white_attacks) + "."
                if white_attacks
                else "No white-box attack was run (the model's internals could not be read, "
                "or the assessment rated API access only)."
            ),
            "Model-file access: " + inference_result(summary, "_model_file")
            if has(summary, "risk_level_model_file")
            else "not available in this assessment",
            "Who can obtain the model file (how it is shared, stored and deployed), and "
            "whether other ways of extracting data from it apply to this model.",
        ),
        (
            EDPB,
            "Structured testing of the model's resistance to state-of-the-art attacks (the "
            "Opinion names attribute and membership inference, exfiltration, regurgitation of "
            "training data, model inversion and reconstruction), documented so that a "
            "supervisory authority can check the claim that the model is anonymous.",
            "Attribute inference (model inversion) only: the attacks run are listed in the "
            "glossary. Membership inference, exfiltration and regurgitation were not tested.",
            "Documented in this report: assessed "
            + (str(meta.get("created", "on an unrecorded date"))[:10])
            + (f" by {assessor}" if assessor else " (assessor not given)")
            + f"; {num(meta.get('n_resamples'))} bootstrap resamples, seed "
            f"{meta.get('seed', 'not recorded')}; every attack's result with its interval is "
            "in the tables, and the data's SHA-256 in the reproducibility block.",
            "Whether the attack types not tested here need testing for this model, and "
            "whether these attacks are the state of the art for it.",
        ),
        (
            ICO,
            "Which privacy attacks apply to the AI model and what steps manage their risks; "
            "the AI audit toolkit expects the security risks specific to AI models (model "
            "inversion and data leakage among them) to be assessed, with their mitigating "
            "controls, in the data protection impact assessment.",
            "Model inversion (attribute inference) through the model's outputs and labels"
            + (" and through the model file" if white_attacks else "")
            + "; "
            + _defenses_tested(assessment)
            + ".",
            inference_result(summary) + "; " + defense_result(assessment),
            "Which mitigation to deploy (output defenses, access control, training-time "
            "measures) and whether the residual risk is acceptable; membership inference "
            "was not tested here.",
        ),
        (
            CNIL,
            "A model that has memorised personal data from its training, which can be "
            "extracted or inferred with means reasonably likely to be used, is subject to "
            "the GDPR; its provider is expected to test and document its resistance to "
            "re-identification attacks to determine its status.",
            "Whether the attacks do better on the training records than on people the model "
            "never saw (memorisation), per attack and attribute, and what they infer on the "
            "training records.",
            _memorisation_result(assessment) + "; " + inference_result(summary),
            "The model's status: whether it is anonymous or contains personal data. This "
            "assessment is one input to that analysis, not its conclusion.",
        ),
    ]
    rows = [
        (SHORT[source], asks, tested, result[:1].upper() + result[1:], judgement)
        for source, asks, tested, result, judgement in rows
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "Source",
            "What it asks",
            "What this assessment tested",
            "Result",
            "The controller's judgement",
        ],
    )


def regulatory_body(assessment):
    """The checklist section's body: the disclaimer, the sources, the table."""
    sources = "".join(f"<li>{esc(source)}</li>" for source in SOURCES)
    return (
        f'<p class="notice">{esc(DISCLAIMER)}</p>\n'
        f'<p>Sources:</p>\n<ul class="sources">{sources}</ul>\n'
        + table(checklist_rows(assessment), css_class="checklist")
    )

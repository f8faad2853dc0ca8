"""Render an :class:`~tabinvert.Assessment` as one self-contained HTML report for a
data-protection impact assessment (DPIA).

The report is a single file: inline CSS, figures as base64 PNG ``data:`` URIs, no JavaScript
and no external resources, so it opens offline, can be archived with the DPIA, and prints
(A4, numbered pages, black-and-white safe); :meth:`Assessment.to_pdf` prints it to PDF with
headless Chromium. Its sections, in reading order:

1. title, model, date, scope and the **context** (purpose of the model, controller, assessor,
   model name and version, the model file's name and SHA-256, data sources: ``assess(...,
   context={...})``, ``tabinvert assess --context``), or what is missing from it;
2. summary (the first screen): per sensitive attribute a risk badge and one plain sentence,
   the level per access — "API access (probabilities or labels)" and "Model-file access (the
   model's internals)", each with the attack that decides it, or "not assessed" — which access
   decides, the auxiliary-data size that decides when a smaller one does; the **residual
   risk** (each attribute's level undefended → under the recommended defense, with its
   parameters, or why no defense is recommended); and what "advantage over imputation" and
   the simultaneous intervals mean;
3. risk at a glance: the first figure, right after the summary (each attribute's deciding
   advantage, undefended and under the recommended defense);
4. the threat model;
5. tables: how the level was decided (each attack's own and simultaneous interval), attack
   results (members vs non-members), membership gap, most exposed records (index labels
   only), subgroup exposure and disparity, defenses (with every parameter) and their frontier;
6. the people the attacker is surest about: precision of each attack's k most confident
   inferences against imputation's (table, sentence, precision-at-k plot);
7. the attacker's data size: the deciding attacks' advantage per number of auxiliary records
   (table, sentence, plot);
8. figures (matplotlib, the optional ``report`` extra: ``pip install tabinvert[report]``;
   without it the report says so and is otherwise complete);
9. recommendations generated from the tables (protect the model file when its level is above
   the API level; defenses; label-only attacks; memorisation; subgroups);
10. regulators' checklist: per item of the EDPB's Opinion 28/2024, the ICO's guidance on AI
    and data protection and the CNIL's guidance on an AI model's status, what it asks, what
    was tested, the result read from the tables, and what remains the controller's judgement
    (a checklist, not legal advice);
11. glossary: every attack named, in plain words, with its reference;
12. reproducibility: versions, seeds, data hashes, model and model file, sizes, auxiliary
    data, thresholds, defenses with every parameter.

Tables and columns an older assessment lacks (per-access levels, simultaneous intervals, tail
risk, data sizes) are reported as not available; the report never infers them.

Layout of the package:

``_format``
    escaping, number formatting (``"a [lo, hi]"``), the table builder and inline figures;
``_sections``
    one function per section, each from an assessment to safe HTML;
``_verdicts``
    the levels per access and the deciding auxiliary size, as every section reads them;
``_tail``, ``_sizes``
    the tail-risk and data-size sections;
``_plots``
    the figures, drawn on Agg canvases without ``pyplot``;
``_recommend``
    the recommendations, and the defense they choose (:func:`~._recommend.defense_choice`);
``_context``, ``_residual``, ``_defenses``
    the context block, the residual risk, defenses named with every parameter;
``_regulatory``, ``_glossary_section``
    the regulators' checklist and the glossary;
``_pdf``
    printing to PDF with headless Chromium;
``_style``
    the stylesheet.

All text that may come from user data (column names, category values, index labels, model
reprs, defense names, the context) is escaped with :func:`html.escape` where it enters the page.
"""

from __future__ import annotations

from ._format import esc
from ._sections import body
from ._style import CSS


def render_html(assessment):
    """Render an assessment as one self-contained HTML document.

    Parameters
    ----------
    assessment : Assessment
        The result of :func:`tabinvert.assess` (or :meth:`Assessment.from_json`).

    Returns
    -------
    str
        The HTML text (UTF-8, no scripts, no external resources). Figures are included when
        matplotlib is installed (``pip install tabinvert[report]``).

    See Also
    --------
    tabinvert.Assessment.to_html : render and write the report atomically.

    Examples
    --------
    A hand-built assessment with one attribute (normally :func:`tabinvert.assess` builds it):

    >>> import pandas as pd
    >>> from tabinvert import Assessment
    >>> from tabinvert.report import render_html
    >>> summary = pd.DataFrame([{
    ...     "sensitive": "diagnosis", "risk_level": "medium", "attack": "MAP",
    ...     "metric": "accuracy", "score": 0.71, "baseline_score": 0.64, "advantage": 0.19,
    ...     "advantage_ci_low": 0.08, "advantage_ci_high": 0.30,
    ...     "sentence": "An attacker infers 'diagnosis' better than imputation."}])
    >>> empty = pd.DataFrame()
    >>> assessment = Assessment(
    ...     summary=summary, results=empty, membership_gap=empty, exposed_records=empty,
    ...     by_group=empty, disparity=empty, metadata={"model": "sklearn.svm.SVC"})
    >>> html = render_html(assessment)
    >>> html.startswith("<!DOCTYPE html>"), "medium risk" in html, "<script" in html
    (True, True, False)
    >>> "+0.190 [+0.080, +0.300]" in html
    True
    """
    title = "Attribute-inference risk report"
    context = assessment.metadata.get("context")
    context = context if isinstance(context, dict) else {}
    named = " ".join(str(context[k]) for k in ("model_name", "model_version") if context.get(k))
    model = named or assessment.metadata.get("model")
    if model:
        title += f": {model}"  # also the PDF's title
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        # Forbid every external fetch and all scripts, even if a future section slipped one in.
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">\n"
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f"{body(assessment)}\n</body>\n</html>\n"
    )


__all__ = ["render_html"]

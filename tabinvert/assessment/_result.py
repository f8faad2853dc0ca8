"""The result of an assessment, :class:`Assessment`: tables and the facts to reproduce
them, written as JSON or rendered as the HTML report."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pandas as pd

from .._io import write_atomic
from .._threat_models import THREAT_MODEL


_TABLES = (
    "summary",
    "results",
    "membership_gap",
    "exposed_records",
    "by_group",
    "disparity",
    "defenses",
    "frontier",
    "tail_risk",
    "aux_sizes",
    "explanation_defenses",
)


class Assessment:
    """The result of :func:`assess`: tables (DataFrames) and the facts needed to reproduce them,
    written as JSON (:meth:`to_json`), HTML (:meth:`to_html`) or PDF (:meth:`to_pdf`).

    Attributes
    ----------
    summary : DataFrame
        One row per sensitive attribute: ``risk_level`` ("none", "low", "medium", "high" or
        "undetermined"), the attack that decides it, its score, the baseline, the advantage with
        its simultaneous CI, and one ``sentence`` of plain meaning; the level per access
        (``risk_level_api``, ``risk_level_model_file``, each with its attack and advantage),
        ``deciding_access`` and, with ``aux_sizes``, the ``aux_size`` that decides.
    results : DataFrame
        Attribute × attack × population rows of :func:`~tabinvert.evaluation.evaluate_attacks`.
    membership_gap : DataFrame
        Members' advantage minus non-members', per attribute and attack, with a CI.
    exposed_records : DataFrame
        The most exposed training records: ``record`` (the index label of ``X_train``) and
        ``position``, the attack, its and imputation's confidence in the true value (the
        probability each gives it; for a rank-score attack such as CSMIA, used only when no
        attack with probabilities was run, the attack's hit, 1 or 0), and ``exposure`` (their
        difference). No feature values are copied.
    by_group : DataFrame
        Exposure by subgroup (``group_by`` columns and "distinctive" records), for the same
        attack as ``exposed_records``.
    disparity : DataFrame
        The most and least exposed subgroup per grouping, and the gap between them.
    defenses : DataFrame or None
        The privacy–utility sweep (:func:`~tabinvert.evaluation.evaluate_defenses`), when
        ``defenses`` were given.
    frontier : DataFrame or None
        Its privacy–utility frontier.
    tail_risk : DataFrame or None
        Per categorical attribute and population, the precision of each attack's most
        confident inferences (k = 10, 100 and 1% of targets) against imputation's own
        (:func:`~tabinvert.evaluation.tail_risk`).
    aux_sizes : DataFrame or None
        With ``aux_sizes``: the deciding attacks' advantage per auxiliary-data size.
    explanation_defenses : DataFrame or None
        With ``explainer`` and ``explainer_defenses``: the explanation attacks under the
        explanations as served ("none") and under each defended explainer, with what each
        keeps (attack × attribute × population rows, as ``results``).
    threat_model : str
        The threat model, in words (:data:`THREAT_MODEL`, and :data:`WHITE_BOX_THREAT_MODEL`
        when a white-box attack was run).
    metadata : dict
        Package versions, seeds, data hashes, model type, sizes, how the auxiliary data was
        chosen, risk-level thresholds.
    """

    def __init__(
        self,
        *,
        summary,
        results,
        membership_gap,
        exposed_records,
        by_group,
        disparity,
        defenses=None,
        frontier=None,
        threat_model=THREAT_MODEL,
        metadata=None,
        tail_risk=None,
        aux_sizes=None,
        explanation_defenses=None,
    ):
        self.summary = summary
        self.results = results
        self.membership_gap = membership_gap
        self.exposed_records = exposed_records
        self.by_group = by_group
        self.disparity = disparity
        self.defenses = defenses
        self.frontier = frontier
        self.threat_model = threat_model
        self.metadata = dict(metadata or {})
        self.tail_risk = tail_risk
        self.aux_sizes = aux_sizes
        self.explanation_defenses = explanation_defenses

    def __repr__(self):
        levels = ", ".join(f"{r.sensitive}: {r.risk_level}" for r in self.summary.itertuples())
        return f"<Assessment {levels}>"

    def to_frame(self):
        """The attribute × attack × population results as one DataFrame (a copy)."""
        return self.results.copy()

    def to_dict(self):
        """Everything as plain JSON-compatible Python (tables as lists of records; NaN → None).

        Returns
        -------
        dict
        """
        out = {name: _records(getattr(self, name)) for name in _TABLES}
        out["threat_model"] = self.threat_model
        out["metadata"] = _plain(self.metadata)
        out["format"] = "tabinvert.assessment/1"
        return out

    @classmethod
    def from_dict(cls, data):
        """Rebuild an :class:`Assessment` from :meth:`to_dict` output.

        Parameters
        ----------
        data : dict

        Returns
        -------
        Assessment
        """
        if not isinstance(data, dict) or data.get("format") != "tabinvert.assessment/1":
            raise ValueError(
                "Not a tabinvert assessment (missing format 'tabinvert.assessment/1')."
            )
        tables = {
            name: None
            if data.get(name) is None
            else pd.DataFrame.from_records(data[name]["records"], columns=data[name]["columns"])
            for name in _TABLES
        }
        return cls(**tables, threat_model=data["threat_model"], metadata=data["metadata"])

    def to_json(self, path=None, *, indent=2):
        """Write (atomically) or return the assessment as JSON.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write; None returns the text.
        indent : int, default=2

        Returns
        -------
        str or None
        """
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        if path is None:
            return text
        write_atomic(path, text + "\n")
        return None

    @classmethod
    def from_json(cls, path_or_text):
        """Read an assessment written by :meth:`to_json` (a path, or the JSON text)."""
        text = str(path_or_text)
        # A path object is always a path, even one named "{run}.json".
        if isinstance(path_or_text, os.PathLike) or not text.lstrip().startswith("{"):
            with open(path_or_text, encoding="utf-8") as stream:
                text = stream.read()
        return cls.from_dict(json.loads(text))

    def to_html(self, path=None):
        """Render the self-contained HTML report (plots need the ``report`` extra: matplotlib).

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write (atomically: an existing file is replaced only on success); None
            returns the HTML text.

        Returns
        -------
        str or None
        """
        from ..report import render_html

        html = render_html(self)
        if path is None:
            return html
        write_atomic(path, html)
        return None

    def to_pdf(self, path, *, timeout=None):
        """Print the report to a PDF with headless Chromium (its own print layout: A4).

        Chromium is looked for on the PATH (``chromium``, ``chromium-browser``,
        ``google-chrome``) or named by the ``TABINVERT_CHROMIUM`` environment variable.

        Parameters
        ----------
        path : str or path-like
            Where to write (atomically: an existing file is replaced only on success).
        timeout : float, default=None
            Seconds Chromium may take (default 180).

        Raises
        ------
        ValueError
            When no Chromium is found (the message says what to install; write the HTML
            report with :meth:`to_html` and print it from a browser instead).
        RuntimeError
            When Chromium fails or times out.
        """
        from ..report._pdf import TIMEOUT, html_to_pdf, require_chromium

        browser = require_chromium()  # before rendering: say what is missing at once
        html_to_pdf(self.to_html(), path, browser=browser, timeout=timeout or TIMEOUT)


def _plain(value):
    """JSON-compatible copy of ``value`` (numpy scalars → Python, NaN/inf → None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _records(table):
    if table is None:
        return None
    return {
        "columns": [str(c) for c in table.columns],
        "records": [[_plain(v) for v in row] for row in table.itertuples(index=False)],
    }

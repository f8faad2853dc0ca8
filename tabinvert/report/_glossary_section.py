"""The glossary section: every attack name the report shows, in plain words, with the paper it
follows (:mod:`tabinvert._glossary`, shared with the demo)."""

from __future__ import annotations

import pandas as pd

from .._glossary import glossary_entry
from ._format import MISSING, has, paragraph, table

ANCHOR, TITLE = "glossary", "Glossary of attacks"
#: What the glossary says of a name it does not know.
UNKNOWN = (
    "not in tabinvert's glossary: an attack of your own (or from another library); describe "
    "it and its reference in the impact assessment."
)


def _base_name(name, sensitive=None):
    """A displayed name without the sweep's " [attribute]" suffix and repeat primes."""
    name = str(name)
    if sensitive is not None:
        name = name.removesuffix(f" [{sensitive}]")
    return name.rstrip("′")


def attack_names(assessment):
    """Every attack name the report's tables show, the baseline first, each once."""
    names = []
    for frame in (assessment.results, assessment.defenses, assessment.tail_risk):
        if not has(frame, "attack"):
            continue
        sensitive = frame["sensitive"] if "sensitive" in frame else [None] * len(frame)
        names += [_base_name(a, s) for a, s in zip(frame["attack"], sensitive)]
    names = list(dict.fromkeys(names))
    return sorted(names, key=lambda n: n != "imputation")


def glossary_rows(assessment):
    """(name, plain words, reference) of every attack shown; unknown names say so."""
    rows = []
    for name in attack_names(assessment):
        entry = glossary_entry(name)
        if entry is None:
            rows.append((name, UNKNOWN, MISSING))
        else:
            words, reference = entry
            rows.append((name, words[:1].upper() + words[1:], reference))
    return rows


def glossary_body(assessment):
    """The glossary's table, or a line when no attack was run."""
    rows = glossary_rows(assessment)
    if not rows:
        return paragraph("No attack was run.")
    return (
        paragraph(
            "The attacks this report names, in plain words, with the paper each follows. "
            "Every attack is compared with imputation, which never asks the model."
        )
        + "\n"
        + table(
            pd.DataFrame(rows, columns=["Attack", "In plain words", "Reference"]),
            css_class="glossary",
        )
    )


__all__ = ["ANCHOR", "TITLE", "attack_names", "glossary_body", "glossary_rows"]

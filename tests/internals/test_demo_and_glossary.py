"""The demo's results table and the glossary of attacks, checked directly: the table names the
metric in words and says when there are no held-out records, and the glossary explains every
attack tabinvert has, by the name the results show.

These tests import private modules on purpose (see README.md in this folder): the table and the
glossary are reached by users only inside the demo's printout and the report, where an attack
or a case (no held-out records) appears only when a real run happens to produce it. The demo's
printout is tested end to end in tests/cli/test_demo.py.
"""

import re

import numpy as np
import pandas as pd
import pytest

from tabinvert._demo import format_table
from tabinvert._glossary import GLOSSARY, glossary_entries, glossary_entry
from tabinvert.attacks import (
    ConfidenceInversion,
    GradientInversion,
    ImputationBaseline,
    JointInversion,
    LabelOnlyInversion,
    LearnedInversion,
    ReconstructionAttack,
    WhiteBoxTreeInversion,
)


def _results(metric, names=("imputation", "MAP")):
    rows = []
    for name in names:
        for population in ("members", "non-members"):
            rows.append(
                dict(
                    attack=name,
                    population=population,
                    metric=metric,
                    score=0.5,
                    baseline_score=0.5,
                    advantage=np.nan if name == "imputation" else 0.1,
                    advantage_ci_low=np.nan if name == "imputation" else -0.1,
                    advantage_ci_high=np.nan if name == "imputation" else 0.3,
                    query_rows=0 if name == "imputation" else 100,
                    seconds=0.01,
                )
            )
    return pd.DataFrame(rows)


@pytest.mark.parametrize(
    "metric, words", [("accuracy", "accuracy on"), ("mae", "mean absolute error on")]
)
def test_format_table_names_the_metric_in_words(metric, words):
    header, columns, rule, *rows = format_table(_results(metric)).splitlines()
    assert header.startswith(" " * 10) and words in header
    assert "advantage over imputation [95% interval] on" in header
    assert set(rule) == {"-"}
    assert re.match(r"^MAP\s+0\.500\s+0\.500", rows[1])
    assert "+0.10 [-0.10, +0.30]" in rows[1]
    assert rows[0].split()[-2:] == ["0", "0.02"]


def test_format_table_without_held_out_records():
    table = _results("accuracy")
    table = table[table["population"] == "members"]
    rows = format_table(table).splitlines()[3:]
    assert "nan" in rows[1]  # no held-out records: their cells say so


ATTACKS = [
    ImputationBaseline("s"),
    ConfidenceInversion(None, "s"),
    ConfidenceInversion(None, "s", prior="imputation"),
    ConfidenceInversion(None, "s", prior="uniform"),
    ConfidenceInversion(None, "s", likelihood="confusion"),
    ConfidenceInversion(None, "s", method="csmia"),
    LabelOnlyInversion(None, "s"),
    LearnedInversion(None, "s"),
    LearnedInversion(None, "s", use_label=False),
    WhiteBoxTreeInversion(None, "s"),
    WhiteBoxTreeInversion(None, "s", leaf_mass="raw"),
    GradientInversion(None, "s"),
    ReconstructionAttack(None, ["s"], gradient="estimated"),
    JointInversion(ConfidenceInversion(None, "s"), ["s"]),
]


@pytest.mark.parametrize("attack", ATTACKS, ids=lambda a: a.capabilities().name)
def test_the_glossary_explains_every_attack_of_tabinvert(attack):
    name = attack.capabilities().name
    words, reference = glossary_entry(name)
    assert len(words) > 40 and reference
    assert glossary_entries([name, name]) == [(name, words, reference)]


def test_the_glossary_keys_are_display_names():
    assert {"imputation", "MAP", "MAP-confusion (FJRMIA)", "CSMIA", "LOMIA"} <= set(GLOSSARY)
    assert {"MAP (imputation prior)", "white-box tree", "learned"} <= set(GLOSSARY)
    for words, reference in GLOSSARY.values():
        assert words.endswith(".") and not reference.endswith(".")
    # An attack of the user's own is left out, not guessed at.
    assert glossary_entries(["my attack", "CSMIA"])[0][0] == "CSMIA"

"""How the report names a defense, checked directly: the full parameters of each swept defense,
rebuilt from the class's defaults for an assessment made before they were recorded, and the
names a sweep gives repeated defenses.

This test imports the report's private module on purpose (see README.md in this folder): only
an assessment from an older version lacks the recorded parameters, and the current assess
always records them. The report of a real sweep is tested in tests/report/test_report_filing.py.
"""

import pandas as pd

from tabinvert import Assessment
from tabinvert.defenses import RoundProbabilities
from tabinvert.report._defenses import defense_labeller, sweep_parameters

ROUND_FULL = "RoundProbabilities(decimals=1, step=None, renormalize=False)"


def test_defense_parameters_without_metadata_come_from_the_class_defaults():
    """An assessment made before the parameters were recorded: rebuilt from the sweep's name
    and the class's defaults; a dict's own names keep their name next to the parameters."""
    older = Assessment(
        summary=pd.DataFrame(),
        results=pd.DataFrame(),
        membership_gap=pd.DataFrame(),
        exposed_records=pd.DataFrame(),
        by_group=pd.DataFrame(),
        disparity=pd.DataFrame(),
    )
    label = defense_labeller(older)
    assert label("RoundProbabilities()") == ROUND_FULL
    assert label("RoundProbabilities(decimals=2)") == (
        "RoundProbabilities(decimals=2, step=None, renormalize=False)"
    )
    assert label("my rounding") == "my rounding" and label("none") == "none"
    named = sweep_parameters({"my rounding": RoundProbabilities(2)})
    older.metadata["defenses"] = named
    assert defense_labeller(older)("my rounding") == (
        "my rounding: RoundProbabilities(decimals=2, step=None, renormalize=False)"
    )
    assert sweep_parameters([RoundProbabilities(1), RoundProbabilities(1)]) == {
        "RoundProbabilities()": ROUND_FULL,
        "RoundProbabilities()′": ROUND_FULL,
    }

"""The command line's parsing of --candidates, checked directly: COLUMN=VALUE,VALUE specs are
split, then typed by the training data's column.

This test imports private helpers of tabinvert.cli on purpose (see README.md in this folder):
the parsed, typed candidates are handed to the assessment and never shown, so only these
helpers can say what they became.
"""

import pandas as pd
import pytest

from tabinvert.cli import _candidate_options, _typed_candidates


def test_cli_candidates_are_parsed_and_typed():
    assert _candidate_options(["genotype=*1/*1, *1/*2", "n=0,1"]) == {
        "genotype": ["*1/*1", "*1/*2"],
        "n": ["0", "1"],
    }
    with pytest.raises(ValueError, match="is not COLUMN=VALUE,VALUE"):
        _candidate_options(["genotype"])
    frame = pd.DataFrame({"n": [0, 1], "g": ["a", "b"]})
    assert _typed_candidates({"n": ["0", "1"], "g": ["a"]}, frame) == {"n": [0, 1], "g": ["a"]}
    with pytest.raises(ValueError, match="not a number"):
        _typed_candidates({"n": ["zero"]}, frame)
    with pytest.raises(ValueError, match="not a column of the training data"):
        _typed_candidates({"x": ["1"]}, frame)

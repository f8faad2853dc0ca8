"""Hostile and malformed inputs to assess and its report (issue 12 §6): bad arguments are
refused with the exact error class, and HTML/JS and spreadsheet payloads in names and values
stay data in the report and its JSON."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import frames_kept, refused
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert import Assessment, assess
from tabinvert.attacks import ConfidenceInversion
from tabinvert.defenses import (
    QueryBudget,
    TopK,
)


# --------------------------------------------------------------------------------------------
# assess and its report
# --------------------------------------------------------------------------------------------


def _assess(population, **changes):
    X, y, model = population
    kwargs = dict(
        model=model,
        X_train=X[:40],
        y_train=y[:40],
        X_holdout=X[40:],
        y_holdout=y[40:],
        sensitive="secret",
        n_resamples=5,
        random_state=0,
    )
    kwargs.update(changes)
    with frames_kept(X):
        return assess(**kwargs)


@pytest.mark.parametrize(
    "changes, cls, fragments",
    [
        ({"sensitive": "nope"}, ValueError, ("Column 'nope' is not in X_train",)),
        ({"group_by": "region"}, ValueError, ("Column 'region' is not in X_train",)),
        ({"y_train": np.zeros(3)}, ValueError, ("y_train has 3 labels for 40 records",)),
        ({"n_resamples": -5}, InvalidParameterError, ("'n_resamples'", "assess")),
        ({"random_state": "x"}, InvalidParameterError, ("'random_state'", "assess")),
        ({"y_holdout": None}, ValueError, ("X_holdout was given without y_holdout",)),
        ({"sensitive": ["secret", "secret"]}, ValueError, ("'secret'", "more than once")),
        (
            {"attacks": [ConfidenceInversion(LogisticRegression(), "secret", method="bogus")]},
            InvalidParameterError,
            ("'method'", "ConfidenceInversion"),
        ),
    ],
    ids=[
        "sensitive",
        "group_by",
        "y_train-length",
        "n_resamples",
        "random_state",
        "holdout-without-labels",
        "sensitive-twice",
        "invalid-attack",
    ],
)
def test_assess_bad_arguments(population, changes, cls, fragments):
    with refused(cls, *fragments):
        _assess(population, **changes)


def test_assess_empty_training_data(population):
    X, y, _ = population
    with refused(ValueError, "X_train is empty"):
        _assess(population, X_train=X[:0], y_train=y[:0])


def test_assess_holdout_labels_of_the_wrong_length(population):
    _, y, _ = population
    with refused(ValueError, "y_holdout"):
        _assess(population, y_holdout=y[:5])


def test_assess_no_sensitive_column(population):
    with refused(ValueError, "sensitive"):
        _assess(population, sensitive=[])


def test_assess_invalid_defense_refused_before_any_query(population):
    _, _, model = population
    with refused(InvalidParameterError, "'k'", "TopK"):
        _assess(population, model=QueryBudget(model, max_calls=0), defenses=[TopK(k=0)])


PAYLOAD = "<script>alert(1)</script>"
FORMULA = '=HYPERLINK("http://evil.example","x")'
IMG = "<img src=x onerror=alert(2)>"
CELL = "</td><script>alert(3)</script>"


@pytest.fixture(scope="module")
def hostile():
    """An assessment whose column names and values are HTML/JS and spreadsheet payloads."""
    rng = np.random.default_rng(1)
    n = 160
    X = pd.DataFrame(
        {
            "known": rng.integers(0, 3, n),
            PAYLOAD: rng.choice([FORMULA, IMG], n),
            "group": rng.choice([CELL, "=1+1"], n),
        }
    )
    y = ((X["known"] + (X[PAYLOAD] == FORMULA)) % 2).to_numpy()
    encode = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), [PAYLOAD, "group"]), remainder="passthrough"
    )
    model = make_pipeline(encode, LogisticRegression()).fit(X[:80], y[:80])
    with frames_kept(X):
        result = assess(
            model,
            X[:80],
            y[:80],
            X_holdout=X[80:],
            y_holdout=y[80:],
            sensitive=PAYLOAD,
            group_by="group",
            min_group_size=5,
            n_resamples=5,
            random_state=0,
        )
    return result


def test_report_escapes_payloads_in_names_and_values(hostile):
    html = hostile.to_html()
    assert "<script" not in html.lower()  # no script element at all: the report is static
    assert "<img src=x" not in html and "</td><script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # the column, shown as text
    assert "&lt;/td&gt;&lt;script&gt;" in html  # a group value, shown as text
    assert "<td>=1+1</td>" in html  # a formula-like value is plain cell text


def test_json_round_trip_keeps_payloads_as_data(hostile, tmp_path):
    path = tmp_path / "report.json"
    hostile.to_json(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["summary"]["records"][0][0] == PAYLOAD
    assert CELL in {row[3] for row in data["by_group"]["records"]}
    again = Assessment.from_json(path)
    pd.testing.assert_frame_equal(again.summary, hostile.summary, check_dtype=False)


def test_report_written_onto_a_folder_leaves_it_alone(hostile, tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    with refused(IsADirectoryError, str(tmp_path)):
        hostile.to_html(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]  # no temporary file


def test_from_json_relative_path_starting_with_a_brace(hostile, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    hostile.to_json("{run}.json")
    assert Assessment.from_json(Path("{run}.json")).summary.shape == hostile.summary.shape


def test_from_json_of_a_list(tmp_path):
    path = tmp_path / "list.json"
    path.write_text("[1, 2]")
    with refused(ValueError, "Not a tabinvert assessment"):
        Assessment.from_json(path)

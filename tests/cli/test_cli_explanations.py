"""tabinvert assess --explanations: the explanation channel from the command line."""

import json

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from tabinvert.cli import main


@pytest.fixture
def files(tmp_path):
    rng = np.random.default_rng(0)
    n = 1200
    X = pd.DataFrame(
        {"known": rng.normal(size=n), "secret": rng.integers(0, 2, n), "other": rng.normal(size=n)}
    )
    y = ((X["known"] + 0.8 * X["secret"] + rng.normal(0, 1.5, n)) > 0.5).astype(int)
    sio.dump(LogisticRegression().fit(X[:600], y[:600]), tmp_path / "model.skops")
    X[:600].assign(label=y[:600]).to_csv(tmp_path / "train.csv", index=False)
    X[600:].assign(label=y[600:]).to_csv(tmp_path / "holdout.csv", index=False)
    return tmp_path


def _args(folder, *options):
    return [
        "assess",
        "--model",
        str(folder / "model.skops"),
        "--train",
        str(folder / "train.csv"),
        "--holdout",
        str(folder / "holdout.csv"),
        "--target",
        "label",
        "--sensitive",
        "secret",
        "--access",
        "api",
        "--n-resamples",
        "100",
        "--quiet",
        "--json",
        str(folder / "report.json"),
        "--out",
        str(folder / "report.html"),
        *options,
    ]


def _summary(folder):
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    table = report["summary"]
    return dict(zip(table["columns"], table["records"][0]))


def test_contributions_add_the_explanation_verdict(files, capsys):
    assert main(_args(files, "--explanations", "contributions")) == 0, capsys.readouterr().err
    row = _summary(files)
    assert row["risk_level_explanations"] == "high" and row["advantage_explanations"] == 1.0
    assert row["attack_explanations"].startswith("explanation")
    html = (files / "report.html").read_text(encoding="utf-8")
    assert "API returns explanations with its answers" in html


def test_reason_codes_are_rated_as_served(files, capsys):
    assert main(_args(files, "--explanations", "reasons:3")) == 0, capsys.readouterr().err
    row = _summary(files)
    # Three reasons out of three columns name the secret's sign for everyone: it leaks.
    assert row["risk_level_explanations"] in ("medium", "high")


def test_without_explanations_there_is_no_such_verdict(files, capsys):
    assert main(_args(files)) == 0, capsys.readouterr().err
    assert "risk_level_explanations" not in _summary(files)


@pytest.mark.parametrize(
    "options, message",
    [
        (["--explanations", "everything"], "expected contributions, shap or reasons:K"),
        (["--explanations", "reasons:0"], "expected contributions, shap or reasons:K"),
    ],
)
def test_bad_explanation_kinds_are_refused(files, capsys, options, message):
    assert main(_args(files, *options)) == 2
    assert message in capsys.readouterr().err
    assert not (files / "report.json").exists()


def test_explanation_defenses_are_swept_from_the_command_line(files, capsys):
    code = main(
        _args(
            files,
            "--explanations",
            "contributions",
            "--explanation-defense",
            "drop",
            "--explanation-defense",
            "top-k:1",
        )
    )
    assert code == 0, capsys.readouterr().err
    report = json.loads((files / "report.json").read_text(encoding="utf-8"))
    table = report["explanation_defenses"]
    defenses = list(dict.fromkeys(r[table["columns"].index("defense")] for r in table["records"]))
    assert defenses == ["none", "DropContribution(columns=['secret'])", "TopKContributions(k=1)"]
    assert "Explanation defenses" in (files / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize("spec", ["top-k:0", "round-step:0", "noise:-1", "blur:2"])
def test_bad_explanation_defenses_are_refused(files, capsys, spec):
    code = main(_args(files, "--explanations", "contributions", "--explanation-defense", spec))
    assert code == 2 and "expected top-k:K" in capsys.readouterr().err


def test_an_explanation_defense_needs_explanations(files, capsys):
    assert main(_args(files, "--explanation-defense", "drop")) == 2
    assert "it needs --explanations" in capsys.readouterr().err


def test_shap_explanations_from_the_command_line(files, capsys):
    pytest.importorskip("shap")  # the shap extra, in the test extra
    assert main(_args(files, "--explanations", "shap")) == 0, capsys.readouterr().err
    row = _summary(files)
    # Shapley values of a logistic model carry the secret's own contribution: it leaks.
    assert row["risk_level_explanations"] in ("medium", "high")
    assert row["attack_explanations"].startswith("explanation")

"""`tabinvert assess`: model files load safely, bad input exits 2 with one clear line, and
--fail-above gates on leakage."""

import json

import joblib
import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier

from tabinvert.cli import main

sio = pytest.importorskip("skops.io")  # in the test extra, so CI always runs these


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A forest that memorised noise labels (its members' secrets leak), saved as skops and
    joblib, and its training / holdout data as CSV."""
    folder = tmp_path_factory.mktemp("assess")
    rng = np.random.default_rng(21)
    n = 1200
    data = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "secret": rng.integers(0, 2, n),
            "label": rng.integers(0, 2, n),
        }
    )
    model = RandomForestClassifier(100, random_state=0).fit(
        data[["a", "b", "secret"]][:600], data["label"][:600]
    )
    data[:600].to_csv(folder / "train.csv", index=False)
    data[600:].to_csv(folder / "holdout.csv", index=False)
    sio.dump(model, folder / "model.skops")
    joblib.dump(model, folder / "model.joblib")
    return folder


def _run(files, *extra, model="model.skops"):
    return main(
        [
            "assess",
            "--model",
            str(files / model),
            "--train",
            str(files / "train.csv"),
            "--target",
            "label",
            "--holdout",
            str(files / "holdout.csv"),
            "--n-resamples",
            "100",
            *extra,
        ]
    )


def test_assess_writes_json_and_reports_progress(files, tmp_path, capsys):
    out = tmp_path / "report.json"
    assert _run(files, "--sensitive", "secret", "--out", str(out)) == 0
    captured = capsys.readouterr()
    assert "secret: risk HIGH" in captured.out
    assert "loading the model" in captured.err and "assessing 600 training records" in captured.err
    report = json.loads(out.read_text())
    assert report["summary"]["records"][0][1] == "high"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_fail_above_gates_on_leakage(files, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(files, "--sensitive", "secret", "--out", str(out), "--fail-above", "0.05") == 1
    assert "leakage above --fail-above" in capsys.readouterr().err
    assert _run(files, "--sensitive", "secret", "--out", str(out), "--fail-above", "0.99") == 0


def test_pickle_needs_trust(files, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert _run(files, "--sensitive", "secret", "--out", str(out), model="model.joblib") == 2
    err = capsys.readouterr().err
    assert "pickle file, which can run arbitrary code" in err and "--trust-pickle" in err
    assert err.count("tabinvert: error:") == 1
    assert err.strip().splitlines()[-1].startswith("tabinvert: error:")  # one line, the last
    assert not out.exists()
    assert (
        _run(
            files,
            "--sensitive",
            "secret",
            "--out",
            str(out),
            "--trust-pickle",
            model="model.joblib",
        )
        == 0
    )


class NotFromALibrary(ClassifierMixin, BaseEstimator):
    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return np.repeat(self.classes_[0], len(X))


def test_skops_file_with_an_untrusted_type_is_refused(files, tmp_path, capsys):
    path = tmp_path / "odd.skops"
    sio.dump(NotFromALibrary().fit([[0], [1]], [0, 1]), path)
    code = main(
        [
            "assess",
            "--model",
            str(path),
            "--train",
            str(files / "train.csv"),
            "--target",
            "label",
            "--holdout",
            str(files / "holdout.csv"),
            "--sensitive",
            "secret",
            "--out",
            str(tmp_path / "r.json"),
        ]
    )
    assert code == 2
    assert "NotFromALibrary" in capsys.readouterr().err


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(target="nope"), "target column 'nope' is not in the training file"),
        (dict(sensitive="zip"), "sensitive column 'zip' is not in the training file"),
        (dict(model="garbage.skops"), "Cannot read the model file"),
        (dict(model="missing.skops"), "does not exist"),
        (dict(model="notes.txt"), "expected a .skops file"),
        (dict(train="short.csv"), "lacks column(s) the model needs: 'b'"),
        (dict(defense="round:x"), "'x' is not a valid int"),
        (dict(defense="blur:1"), "Unknown defense 'blur:1'"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(files, tmp_path, capsys, change, message):
    (files / "garbage.skops").write_bytes(b"not a zip file")
    (files / "notes.txt").write_text("hello")
    pd.read_csv(files / "train.csv").drop(columns=["b"]).to_csv(files / "short.csv", index=False)
    argv = [
        "assess",
        "--model",
        str(files / change.get("model", "model.skops")),
        "--train",
        str(files / change.get("train", "train.csv")),
        "--target",
        change.get("target", "label"),
        "--holdout",
        str(files / "holdout.csv"),
        "--sensitive",
        change.get("sensitive", "secret"),
        "--out",
        str(tmp_path / "r.html"),
    ]
    if "defense" in change:
        argv += ["--defense", change["defense"]]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err, err
    assert err.count("tabinvert: error:") == 1
    assert err.strip().splitlines()[-1].startswith("tabinvert: error:")  # one line, the last
    assert not (tmp_path / "r.html").exists()


@pytest.mark.parametrize("access", ["api", "model-file", "both"])
def test_access_option_rates_the_attacker_asked_for(files, tmp_path, capsys, access):
    out = tmp_path / "r.json"
    assert _run(files, "--sensitive", "secret", "--out", str(out), "--access", access) == 0
    printed = capsys.readouterr().out
    summary = json.loads(out.read_text())["summary"]
    row = dict(zip(summary["columns"], summary["records"][0]))
    results = json.loads(out.read_text())["results"]
    accesses = {dict(zip(results["columns"], r))["access"] for r in results["records"]}
    assert ("model" in accesses) == (access != "api")  # the forest's trees, read or not
    if access == "api":
        assert row["risk_level_model_file"] == "not assessed"
    else:
        assert row["risk_level"] == row["risk_level_model_file"] != "not assessed"
    shown = f"API access: {row['risk_level_api']}; model-file access: "
    assert (shown in printed) == (access == "both")


def test_aux_sizes_option_adds_the_size_table(files, tmp_path, capsys):
    out = tmp_path / "r.json"
    code = _run(files, "--sensitive", "secret", "--out", str(out), "--aux-sizes", "40,all")
    assert code == 0
    sizes = json.loads(out.read_text())["aux_sizes"]
    rows = [dict(zip(sizes["columns"], r)) for r in sizes["records"]]
    assert [r["aux_size"] for r in rows][:2] == [40, "all"]
    assert _run(files, "--sensitive", "secret", "--out", str(out), "--aux-sizes", "1,all") == 2
    assert "at least 2" in capsys.readouterr().err

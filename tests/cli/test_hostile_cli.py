"""`tabinvert assess` and `tabinvert demo` against someone trying to break them.

Every case asserts the exact exit code (0 done, 1 only for --fail-above, 2 bad input, 3 internal
failure, 130 interrupted), that stderr names the problem on one line, and that the caller's files
are unchanged: outputs never overwrite inputs, CSV outputs cannot run spreadsheet formulas, and a
5 MB value never reaches the terminal whole.
"""

import csv
import hashlib
import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tabinvert.cli import MESSAGE_CHARS, main

sio = pytest.importorskip("skops.io")  # in the test extra, so CI always runs these

FIVE_MB = 5_000_000
INJECTED = "=cmd|' /C calc'!A0"  # the classic formula-injection payload
# What a spreadsheet may read as the start of a formula, as the README lists it.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A tiny model (one-hot colour + logistic regression, 200 training records) saved with
    skops, and its training and holdout data as CSV."""
    folder = tmp_path_factory.mktemp("hostile")
    rng = np.random.default_rng(0)
    n = 400
    data = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "color": rng.choice(["red", "blue"], n),
            "secret": rng.integers(0, 2, n),
        }
    )
    data["label"] = (data["a"] > 0) ^ (data["secret"] == 1) ^ (rng.random(n) < 0.3)
    data["label"] = data["label"].astype(int)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["color"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(data[["a", "color", "secret"]][:200], data["label"][:200])
    data[:200].to_csv(folder / "train.csv", index=False)
    data[200:].to_csv(folder / "holdout.csv", index=False)
    sio.dump(model, folder / "model.skops")
    return folder


def _digests(folder):
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


@pytest.fixture(autouse=True)
def inputs_unchanged(files):
    """Whatever a case does, the shared model and CSV files keep their bytes."""
    before = _digests(files)
    yield
    assert _digests(files) == before


def _argv(files, tmp_path, command="assess", **options):
    """`tabinvert assess` on the fixture, with options replaced (None drops one)."""
    defaults = {
        "--model": files / "model.skops",
        "--train": files / "train.csv",
        "--holdout": files / "holdout.csv",
        "--target": "label",
        "--sensitive": "secret",
        "--out": tmp_path / "r.csv",
        "--n-resamples": "50",
    }
    argv = [command]
    for option, value in {**defaults, **options}.items():
        if value is not None:
            argv += [option, *map(str, value if isinstance(value, list) else [value])]
    return argv


def _the_error(capsys, prefix="tabinvert: error: ", *, keep=None):
    """The one error line, which is stderr's last line; ``keep`` (a dict) gets stdout/stderr."""
    captured = capsys.readouterr()
    err = captured.err
    if keep is not None:
        keep.update(out=captured.out, err=err)
    lines = err.strip().splitlines()
    assert err.count("tabinvert: error:") + err.count("tabinvert: internal error:") == 1, err
    assert lines[-1].startswith(prefix), err
    assert len(lines[-1]) <= MESSAGE_CHARS + 100, len(lines[-1])
    return lines[-1]


def _nothing_written(tmp_path, *keep):
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(keep)


# -- exit codes ---------------------------------------------------------------------------------


def test_unseen_category_is_bad_input_not_a_traceback(files, tmp_path, capsys):
    # Before: ModelQueryError escaped main(): a traceback and exit 1, the --fail-above code.
    train = pd.read_csv(files / "train.csv")
    train.loc[:4, "color"] = "purple"
    train.to_csv(tmp_path / "train.csv", index=False)
    out = tmp_path / "out" / "r.csv"
    assert main(_argv(files, tmp_path, **{"--train": tmp_path / "train.csv", "--out": out})) == 2
    line = _the_error(capsys)
    assert "unknown categories ['purple']" in line and "Traceback" not in line
    assert not out.exists()


@pytest.mark.parametrize(
    "error",
    [
        ZeroDivisionError("division by zero"),
        AttributeError("'NoneType' object has no attribute 'x'"),
        KeyError("non-members"),
    ],
)
def test_a_bug_exits_3_with_one_line_and_a_debug_hint(files, tmp_path, capsys, monkeypatch, error):
    def broken_assess(*args, **kwargs):
        raise error

    monkeypatch.setattr("tabinvert.assessment.assess", broken_assess)
    assert main(_argv(files, tmp_path)) == 3
    line = _the_error(capsys, prefix="tabinvert: internal error: ")
    assert f"{type(error).__name__}: {error}" in line
    assert "run again with --debug for the traceback" in line
    _nothing_written(tmp_path)


@pytest.mark.parametrize("where", ["before the command", "after the command"])
def test_debug_prints_the_traceback_and_keeps_the_code(files, tmp_path, capsys, monkeypatch, where):
    def broken_assess(*args, **kwargs):
        return 1 / 0

    monkeypatch.setattr("tabinvert.assessment.assess", broken_assess)
    argv = _argv(files, tmp_path)
    argv = ["--debug", *argv] if where == "before the command" else [*argv, "--debug"]
    assert main(argv) == 3
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "in broken_assess" in err
    assert err.strip().splitlines()[-1] == (
        "tabinvert: internal error: ZeroDivisionError: division by zero"
    )


def test_debug_on_bad_input_keeps_exit_2(files, tmp_path, capsys):
    assert main(_argv(files, tmp_path, **{"--target": "nope", "--debug": []})) == 2
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err
    assert err.strip().splitlines()[-1].startswith("tabinvert: error: The target column 'nope'")


def test_interrupt_exits_130(files, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("tabinvert.assessment.assess", interrupted)
    assert main(_argv(files, tmp_path)) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "tabinvert: interrupted"


@pytest.mark.parametrize("filename, code", [("OUT", 2), ("/var/cache/elsewhere", 3)])
def test_an_os_error_is_bad_input_only_about_the_users_paths(
    files, tmp_path, capsys, monkeypatch, filename, code
):
    out = tmp_path / "r.csv"
    filename = str(out) if filename == "OUT" else filename

    def disk_full(path, data):
        raise OSError(28, "No space left on device", filename)

    monkeypatch.setattr("tabinvert.cli.write_atomic", disk_full)
    assert main(_argv(files, tmp_path)) == code
    line = _the_error(capsys, "tabinvert: error: " if code == 2 else "tabinvert: internal error:")
    assert "No space left on device" in line and filename in line


@pytest.mark.parametrize(
    "argv, message",
    [
        (["demo", "--bogus"], "unrecognized arguments: --bogus"),
        (["assess", "--model", "m.skops"], "the following arguments are required: --train"),
        ([], "the following arguments are required: command"),
        (["demo", "--task", "clustering"], "argument --task: invalid choice: 'clustering'"),
    ],
)
def test_usage_errors_are_one_line_exit_2(capsys, argv, message):
    assert main(argv) == 2
    line = _the_error(capsys)
    assert message in line and "--help" in line


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--n-resamples", "0", "argument --n-resamples: must be at least 1, got 0"),
        ("--n-resamples", "-5", "argument --n-resamples: must be at least 1, got -5"),
        ("--n-resamples", "ten", "argument --n-resamples: expected a whole number, got 'ten'"),
        ("--fail-above", "nan", "argument --fail-above: must be a finite number, got 'nan'"),
        ("--fail-above", "inf", "argument --fail-above: must be a finite number, got 'inf'"),
        ("--fail-above", "high", "argument --fail-above: expected a number, got 'high'"),
        ("--n-jobs", "0", "argument --n-jobs: must not be 0"),
        ("--random-state", "-1", "argument --random-state: must be from 0 to 2**32 - 1, got -1"),
    ],
)
def test_bad_numbers_are_refused_before_any_work(files, tmp_path, capsys, option, value, message):
    # Before: --fail-above nan was accepted and the gate could never close (exit 0), and the
    # others were refused only after the model and data were loaded.
    assert main(_argv(files, tmp_path, **{option: value})) == 2
    line = _the_error(capsys)
    assert message in line
    _nothing_written(tmp_path)


@pytest.mark.parametrize("spec", ["blur:1", "", "round:"])
def test_bad_defense_spec_exits_2(files, tmp_path, capsys, spec):
    assert main(_argv(files, tmp_path, **{"--defense": [spec]})) == 2
    line = _the_error(capsys)
    assert "defense" in line.lower() and repr(spec) in line
    _nothing_written(tmp_path)


# -- output paths -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "option, input_option, name",
    [
        ("--out", "--train", "train.csv"),
        ("--out", "--model", "model.skops"),
        ("--out", "--holdout", "holdout.csv"),
        ("--json", "--train", "train.csv"),
    ],
)
def test_an_output_that_is_an_input_is_refused(files, tmp_path, capsys, option, input_option, name):
    # Before: --train t.csv --out t.csv overwrote the training data with the report.
    before = (files / name).read_bytes()
    assert main(_argv(files, tmp_path, **{option: files / name})) == 2
    seen = {}
    line = _the_error(capsys, keep=seen)
    assert f"{option} {str(files / name)!r} is the {input_option} file" in line
    assert (files / name).read_bytes() == before
    assert "loading the model" not in seen["err"]  # refused before any work


def test_an_output_spelled_differently_is_still_the_input(files, tmp_path, capsys):
    elsewhere = files.parent / "sub"  # <parent>/sub/../<files>/./train.csv
    spelled = os.sep.join([str(elsewhere), "..", files.name, ".", "train.csv"])
    before = (files / "train.csv").read_bytes()
    assert main(_argv(files, tmp_path, **{"--json": spelled})) == 2
    assert "is the --train file" in _the_error(capsys)
    assert (files / "train.csv").read_bytes() == before


@pytest.mark.parametrize("link", ["symlink", "hard link"])
def test_an_output_linked_to_an_input_is_refused(files, tmp_path, capsys, link):
    train = tmp_path / "train.csv"
    train.write_bytes((files / "train.csv").read_bytes())
    alias = tmp_path / "alias.csv"
    (os.symlink if link == "symlink" else os.link)(train, alias)
    before = train.read_bytes()
    assert main(_argv(files, tmp_path, **{"--train": train, "--out": alias})) == 2
    assert f"--out {str(alias)!r} is the --train file" in _the_error(capsys)
    assert train.read_bytes() == before and alias.read_bytes() == before


def test_out_and_json_on_one_path_are_refused(files, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert main(_argv(files, tmp_path, **{"--out": out, "--json": out})) == 2
    assert f"--json {str(out)!r} is also the --out file" in _the_error(capsys)
    _nothing_written(tmp_path)


def test_holdout_that_is_the_training_file_is_refused(files, tmp_path, capsys):
    assert main(_argv(files, tmp_path, **{"--holdout": files / "train.csv"})) == 2
    line = _the_error(capsys)
    assert "--holdout" in line and "is the --train file" in line


@pytest.mark.parametrize(
    "kind, message",
    [
        ("folder", "it is a folder, not a file"),
        ("trailing separator", "it is a folder, not a file"),
        ("below a file", "is a file, so it cannot hold folders"),
        ("empty", "--out is empty"),
    ],
)
def test_unwritable_out_is_refused_before_the_assessment(files, tmp_path, capsys, kind, message):
    # Before: the assessment ran first, then the write failed naming the temporary .part file.
    (tmp_path / "reports").mkdir()
    (tmp_path / "notes.txt").write_text("keep me")
    out = {
        "folder": str(tmp_path / "reports"),
        "trailing separator": str(tmp_path / "new") + os.sep,
        "below a file": str(tmp_path / "notes.txt" / "r.csv"),
        "empty": "",
    }[kind]
    assert main(_argv(files, tmp_path, **{"--out": out})) == 2
    seen = {}
    line = _the_error(capsys, keep=seen)
    assert message in line
    if out:
        assert repr(out) in line  # the user's path, as they spelled it
    assert ".part" not in line
    assert "loading the model" not in seen["err"]
    _nothing_written(tmp_path, "reports", "notes.txt")
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_out_in_a_folder_without_write_access_is_refused(files, tmp_path, capsys, monkeypatch):
    # Root can write anywhere, so the folder's refusal is simulated where os.access asks.
    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os,
        "access",
        lambda path, mode, **kw: Path(path) != locked and real_access(path, mode, **kw),
    )
    out = locked / "deeper" / "r.csv"
    assert main(_argv(files, tmp_path, **{"--out": out})) == 2
    line = _the_error(capsys)
    assert f"Cannot write --out {str(out)!r}" in line and "is not writable" in line
    _nothing_written(locked)


def test_out_in_new_nested_folders_is_created(files, tmp_path, capsys):
    out = tmp_path / "a" / "b" / "r.json"
    assert main(_argv(files, tmp_path, **{"--out": out})) == 0
    assert out.is_file() and sorted(p.name for p in out.parent.iterdir()) == ["r.json"]


# -- CSV formula injection ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def injected_files(tmp_path_factory):
    """A model whose sensitive feature's name is a formula, as the user's data could have."""
    folder = tmp_path_factory.mktemp("injected")
    rng = np.random.default_rng(1)
    n = 400
    data = pd.DataFrame({"a": rng.normal(size=n), INJECTED: rng.integers(0, 2, n)})
    data["label"] = ((data["a"] > 0) ^ (data[INJECTED] == 1)).astype(int)
    model = LogisticRegression().fit(data[["a", INJECTED]][:200], data["label"][:200])
    data[:200].to_csv(folder / "train.csv", index=False)
    data[200:].to_csv(folder / "holdout.csv", index=False)
    sio.dump(model, folder / "model.skops")
    return folder


def test_csv_report_cells_cannot_run_as_formulas(injected_files, tmp_path, capsys):
    # Before: the 'sensitive' cells held the payload as is, a formula when opened in Excel.
    out = tmp_path / "r.csv"
    assert main(_argv(injected_files, tmp_path, **{"--sensitive": INJECTED})) == 0
    capsys.readouterr()
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    for cell in (cell for row in rows for cell in row):
        if cell.startswith(FORMULA_TRIGGERS):
            float(cell)  # only a number (a negative advantage) may start with "-"
    table = pd.read_csv(out)
    assert set(table["sensitive"]) == {"'" + INJECTED}
    for column in ("score", "advantage", "advantage_ci_low", "n_records"):
        assert pd.api.types.is_numeric_dtype(table[column]), column  # numbers stay numbers


# -- messages: bounded, one line, naming the problem -------------------------------------------


def test_a_5mb_cell_is_cut_in_the_message(files, tmp_path, capsys):
    # Before: the model's "unknown categories" error echoed the whole cell on one line.
    train = pd.read_csv(files / "train.csv")
    train["color"] = train["color"].astype(object)
    train.loc[0, "color"] = "x" * FIVE_MB
    train.to_csv(tmp_path / "train.csv", index=False)
    assert main(_argv(files, tmp_path, **{"--train": tmp_path / "train.csv"})) == 2
    line = _the_error(capsys)  # at most MESSAGE_CHARS (and the cut's note)
    assert "unknown categories" in line and "x" * MESSAGE_CHARS not in line


def test_a_5mb_column_name_is_cut_in_the_message(files, tmp_path, capsys):
    train = pd.read_csv(files / "train.csv")
    train["c" * FIVE_MB] = 1
    train.to_csv(tmp_path / "train.csv", index=False)
    assert (
        main(_argv(files, tmp_path, **{"--train": tmp_path / "train.csv", "--sensitive": "zip"}))
        == 2
    )
    line = _the_error(capsys)
    assert "The sensitive column 'zip' is not in the training file" in line
    assert f"… ({FIVE_MB:,} characters)" in line and len(line) < 2_000


def test_a_huge_argument_is_cut_in_the_message(files, tmp_path, capsys):
    assert main(_argv(files, tmp_path, **{"--target": "t" * 300_000})) == 2
    line = _the_error(capsys)
    assert "The target column 'tttt" in line and "… (300,000 characters)" in line


def test_control_characters_in_a_name_stay_on_one_line(files, tmp_path, capsys):
    name = "evil\nline\x1b[2J"
    assert main(_argv(files, tmp_path, **{"--sensitive": name})) == 2
    err = capsys.readouterr().err
    assert "\x1b" not in err and err.count("\n") == err.count("tabinvert:")
    assert r"'evil\nline\x1b[2J' is not in the training file" in err.splitlines()[-1]


# -- column names -------------------------------------------------------------------------------


def test_sensitive_equal_to_target_says_it_is_the_target(files, tmp_path, capsys):
    # Before: "The sensitive column 'label' is not in the training file".
    assert main(_argv(files, tmp_path, **{"--sensitive": "label"})) == 2
    line = _the_error(capsys)
    assert "'label' is the target (label) column given by --target, not a feature" in line
    assert "must be one of the model's feature columns" in line
    assert "is not in the training file" not in line


def test_group_by_the_target_is_refused(files, tmp_path, capsys):
    assert main(_argv(files, tmp_path, **{"--group-by": "label"})) == 2
    assert "--group-by column 'label' is the target (label) column" in _the_error(capsys)


@pytest.mark.parametrize(
    "option, extra",
    [
        ("--sensitive", ["--sensitive", "secret", "secret"]),
        ("--group-by", ["--group-by", "color", "--group-by", "color"]),
    ],
)
def test_a_column_named_twice_is_refused(files, tmp_path, capsys, option, extra):
    # Before: --sensitive secret secret crashed in the report with a TypeError (exit 1).
    argv = _argv(files, tmp_path, **{"--sensitive": None if option == "--sensitive" else "a"})
    assert main([*argv, *extra]) == 2
    assert f"{option} names {extra[-1]!r} more than once" in _the_error(capsys)


def test_sensitive_column_the_model_does_not_take(files, tmp_path, capsys):
    train = pd.read_csv(files / "train.csv").assign(zip_code=1)
    train.to_csv(tmp_path / "train.csv", index=False)
    assert (
        main(
            _argv(files, tmp_path, **{"--train": tmp_path / "train.csv", "--sensitive": "zip_code"})
        )
        == 2
    )
    line = _the_error(capsys)
    assert "'zip_code' is in the training file but is not one of the model's input features" in line


# -- input files --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (None, "does not exist"),
        (b"", "is empty: it has no header line"),
        (b"a,color,secret,label\n", "has no records: only a header line"),
        (b"a,color,secret,secret,label\n0.1,red,1,0,1\n", "has the column 'secret' more than once"),
        (b"a,color,secret,label\n0.1,r\xe9d,1,0\n", "is not UTF-8 text (byte 0xe9"),
        ("folder", "is a folder, not a CSV file"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00\xff\xfe\x00binary", "training file"),
        (b'a,color,secret,label\n0.1,"red,1,0\n', "Cannot read the training file"),
    ],
)
def test_a_bad_training_file_exits_2_naming_it(files, tmp_path, capsys, content, message):
    train = tmp_path / "train.csv"
    if content == "folder":
        train.mkdir()
    elif content is not None:
        train.write_bytes(content)
    before = _digests(tmp_path)
    out = tmp_path / "r.csv"
    assert main(_argv(files, tmp_path, **{"--train": train, "--out": out})) == 2
    line = _the_error(capsys)
    assert message in line and repr(str(train)) in line
    assert _digests(tmp_path) == before and not out.exists()


def test_a_missing_model_file_exits_2(files, tmp_path, capsys):
    model = tmp_path / "missing.skops"
    assert main(_argv(files, tmp_path, **{"--model": model})) == 2
    line = _the_error(capsys)
    assert "does not exist" in line and str(model) in line


def test_no_attacker_data_is_refused_before_loading_the_model(files, tmp_path, capsys):
    assert main(_argv(files, tmp_path, **{"--holdout": None})) == 2
    seen = {}
    assert "Give the attacker auxiliary data" in _the_error(capsys, keep=seen)
    assert "loading the model" not in seen["err"]


def test_aux_without_holdout_runs(files, tmp_path, capsys):
    # Before: the summary table looked up the missing non-members: KeyError, exit 2 with the
    # message "'non-members'".
    out = tmp_path / "r.csv"
    assert main(_argv(files, tmp_path, **{"--holdout": None, "--aux": files / "holdout.csv"})) == 0
    assert set(pd.read_csv(out)["population"]) == {"members"}
    assert "sensitive attribute 'secret'" in capsys.readouterr().out


# -- the demo -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "out, message",
    [
        (".", "it is a folder, not a file"),
        ("", "--out is empty"),
    ],
)
def test_demo_refuses_an_unwritable_out_before_training(
    tmp_path, capsys, monkeypatch, out, message
):
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--out", out]) == 2
    seen = {}
    assert message in _the_error(capsys, keep=seen)
    assert "tabinvert demo: diabetes" not in seen["out"]  # nothing was trained
    _nothing_written(tmp_path)


def test_demo_bug_exits_3(capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise AttributeError("no attribute 'fit'")

    monkeypatch.setattr("tabinvert.assessment.assess", broken)
    assert main(["demo"]) == 3
    assert "AttributeError: no attribute 'fit'; run again with --debug" in _the_error(
        capsys, "tabinvert: internal error:"
    )


# -- the documentation --------------------------------------------------------------------------


def test_exit_codes_and_csv_neutralisation_are_documented(capsys):
    from tabinvert import cli

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    documented = {int(code) for code in re.findall(r"^\| (\d+) \| ", readme, re.MULTILINE)}
    assert documented == {
        cli.EXIT_OK,
        cli.EXIT_LEAKS,
        cli.EXIT_BAD_INPUT,
        cli.EXIT_INTERNAL,
        cli.EXIT_SERVICE_FAILED,
        cli.EXIT_INTERRUPTED,
    }
    assert "`=`, `+`, `-`, `@`, a tab or a carriage return" in readme
    assert f"cut\nto {cli.SHOWN_CHARS} characters, and a message to {cli.MESSAGE_CHARS:,}" in readme
    for command in ("assess", "demo"):
        with pytest.raises(SystemExit) as stopped:
            main([command, "--help"])
        assert stopped.value.code == 0
        text = " ".join(capsys.readouterr().out.split())
        assert "Exit codes: 0 done; 1 only when leakage is above --fail-above; 2 bad input" in text
        assert "3 internal failure" in text and "--debug" in text
        if command == "assess":
            assert "4 the model service at --endpoint failed after its retries" in text

"""`tabinvert monitor`: a query log in, the flagged clients and why out; the log is never
overwritten, and bad input exits 2 with one line naming the column and the fix."""

import json

import pandas as pd
import pytest
from conftest import customer_population, leftovers, sha256

from tabinvert.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A JSON Lines and a CSV query log (40 ordinary clients and one sweeping 'smoker' through
    its values for 30 records), and ordinary reference records."""
    folder = tmp_path_factory.mktemp("monitor")
    X, _ = customer_population(1_000, seed=2)
    ordinary = X[:400].assign(client=[f"c{i % 40}" for i in range(400)])
    sweep = pd.concat(
        [X[400:430].assign(smoker=value) for value in ("never", "former", "current")]
    ).assign(client="eve")
    log = pd.concat([ordinary, sweep], ignore_index=True)
    log["timestamp"] = range(len(log))
    log.to_json(folder / "log.jsonl", orient="records", lines=True)
    log.to_csv(folder / "log.csv", index=False)
    X[500:].to_csv(folder / "reference.csv", index=False)
    return folder


def _run(files, *extra, log="log.jsonl"):
    return main(
        ["monitor", "--log", str(files / log), "--client-column", "client", "--quiet", *extra]
    )


@pytest.mark.parametrize("log", ["log.jsonl", "log.csv"])
def test_monitor_writes_the_report_of_the_flagged_client(files, tmp_path, capsys, log):
    out = tmp_path / "report.json"
    code = _run(
        files,
        "--ignore",
        "timestamp",
        "--reference",
        str(files / "reference.csv"),
        "--output",
        str(out),
        log=log,
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert report["flagged_clients"] == ["eve"]
    (finding,) = report["findings"]
    assert (finding["detector"], finding["column"], finding["statistic"]) == ("sweep", "smoker", 30)
    assert report["n_clients"] == 41 and report["n_queries"] == 490
    printed = capsys.readouterr().out
    assert "client 'eve': sweep" in printed and f"wrote {out}" in printed
    assert leftovers(tmp_path) == []


def test_monitor_fails_on_flag_only_when_asked(files, tmp_path):
    assert _run(files, "--ignore", "timestamp") == 0
    assert _run(files, "--ignore", "timestamp", "--fail-on-flag") == 1
    clean = tmp_path / "clean.jsonl"
    pd.read_json(files / "log.jsonl", lines=True).query("client != 'eve'").to_json(
        clean, orient="records", lines=True
    )
    assert (
        main(
            [
                "monitor",
                "--log",
                str(clean),
                "--client-column",
                "client",
                "--quiet",
                "--ignore",
                "timestamp",
                "--fail-on-flag",
            ]
        )
        == 0
    )


def test_monitor_csv_output_and_global_scope(files, tmp_path):
    out = tmp_path / "findings.csv"
    assert _run(files, "--ignore", "timestamp", "--scope", "global", "--output", str(out)) == 0
    frame = pd.read_csv(out)
    assert list(frame["detector"]) == ["sweep"] and frame["client"].isna().all()
    assert "'eve'" in frame["clients"][0]


def test_monitor_never_overwrites_the_log(files, capsys):
    before = sha256(files / "log.csv")
    assert _run(files, "--output", str(files / "log.csv"), log="log.csv") == 2
    assert "is the --log file" in capsys.readouterr().err
    assert sha256(files / "log.csv") == before


@pytest.mark.parametrize(
    "extra, fragments",
    [
        (["--client-column", "user"], ["'user' is not in the query log", "'income'", "'client'"]),
        (["--ignore", "time"], ["--ignore names 'time'", "'timestamp'"]),
        (["--ignore", "client"], ["client column 'client'"]),
        (["--output", "report.html"], ["must end in .json or .csv"]),
        (["--min-sweep-values", "1"], ["must be at least 2"]),
        (["--reference", "missing.csv"], ["does not exist"]),
    ],
)
def test_monitor_bad_input_exits_2_with_the_fix(files, capsys, extra, fragments, monkeypatch):
    monkeypatch.chdir(files)
    assert _run(files, *extra) == 2
    err = capsys.readouterr().err
    assert err.startswith("tabinvert: error:") and err.count("\n") == 1
    for fragment in fragments:
        assert fragment in err


def test_monitor_refuses_a_line_that_is_not_a_json_object(tmp_path, capsys):
    log = tmp_path / "log.jsonl"
    log.write_text('{"client": "a", "age": 3}\n[1, 2]\n')
    assert main(["monitor", "--log", str(log), "--client-column", "client"]) == 2
    assert "Line 2 of the query log file" in capsys.readouterr().err

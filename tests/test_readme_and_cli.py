"""The README's promises and the command line."""

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tabinvert.cli import main

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_opens_with_the_two_commands():
    first_block = re.search(r"```bash\n(.*?)```", README.read_text(), re.S).group(1)
    lines = [line.split("#")[0].strip() for line in first_block.strip().splitlines()]
    assert lines == ['pip install . && tabinvert demo', 'pip install ".[test]" && pytest']


def test_readme_python_example_runs_and_shows_a_member_leak():
    code = re.search(r"```python\n(.*?)```", README.read_text(), re.S).group(1)
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)
    table = namespace["table"].set_index(["attack", "population"])
    # What the prose under the example says.
    assert table.loc[("MAP", "members"), "advantage"] > 0.3
    assert table.loc[("MAP", "members"), "advantage"] > table.loc[("MAP", "non-members"),
                                                                    "advantage"]


def test_demo_prints_every_attack_and_writes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    for name in ("imputation", "MAP", "MAP-confusion (FJRMIA)", "CSMIA", "LOMIA"):
        assert re.search(rf"^{re.escape(name)}\s+\d\.\d{{3}}", out, re.M), name
    assert "advantage mem [95% CI]" in out
    assert list(tmp_path.iterdir()) == []


def test_demo_numeric_sensitive_and_out_file(tmp_path, capsys):
    out_file = tmp_path / "table.csv"
    assert main(["demo", "--sensitive", "age", "--out", str(out_file)]) == 0
    table = pd.read_csv(out_file)
    assert set(table["metric"]) == {"mae"}
    assert set(table["population"]) == {"members", "non-members"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # no temp file left


def test_demo_bad_sensitive_column_exits_2(capsys):
    assert main(["demo", "--sensitive", "zip"]) == 2
    assert "'zip'" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "tabinvert.cli", "--help"],
                            capture_output=True, text=True, check=True)
    assert "demo" in result.stdout


@pytest.mark.parametrize("argv", [["demo", "--task", "regression", "--model", "linear"]])
def test_demo_regression(argv, capsys):
    assert main(argv) == 0
    assert re.search(r"^MAP\s+\d", capsys.readouterr().out, re.M)


def test_readme_assess_example_runs_on_the_first_examples_model():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), re.S)
    namespace = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    exec(compile(blocks[1], str(README), "exec"), namespace)
    result = namespace["result"]
    assert result.summary.loc[0, "risk_level"] in {"low", "medium", "high"}  # the forest leaks
    assert set(result.defenses["defense"]) == {"none", "RoundProbabilities()", "LabelOnly()"}


def test_written_files_get_the_usual_permissions(tmp_path):
    import os
    import stat

    from tabinvert._io import write_atomic

    mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "report.html", "<html></html>")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "report.html").stat().st_mode) == 0o644

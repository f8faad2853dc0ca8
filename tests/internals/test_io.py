"""Writing files, checked directly: a write is atomic (an interrupted one leaves nothing), an
error names the user's path and never the temporary file, and text cells that a spreadsheet
would run as formulas are neutralised, numbers and the caller's frame left alone.

These tests import tabinvert._io on purpose (see README.md in this folder): every writer of the
package goes through it, and only a direct call can break a write halfway or hand it every kind
of cell. The writers users call are tested end to end in tests/cli/ (CSV outputs cannot run
formulas, a full disk is bad input) and tests/report/ (to_html is atomic).
"""

import numpy as np
import pandas as pd
import pytest

import tabinvert._io
from tabinvert._io import FORMULA_TRIGGERS, check_writable, neutralise_formulas, write_atomic


def test_interrupted_write_leaves_nothing(monkeypatch, tmp_path):
    target = tmp_path / "home" / "file.csv"

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(tabinvert._io.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        tabinvert._io.write_atomic(target, b"a,b\n1,2\n")
    assert list(target.parent.iterdir()) == []


@pytest.mark.parametrize("kind", ["folder", "below a file"])
def test_write_atomic_names_the_users_path_not_the_temporary_file(tmp_path, kind):
    (tmp_path / "notes.txt").write_text("keep me")
    target = tmp_path / "reports" if kind == "folder" else tmp_path / "notes.txt" / "r.csv"
    if kind == "folder":
        target.mkdir()
    with pytest.raises(OSError) as caught:
        write_atomic(target, "a,b\n")
    assert caught.value.filename == str(target) and ".part" not in str(caught.value)
    assert sorted(p.name for p in tmp_path.rglob("*")) == sorted(
        ["notes.txt", "reports"] if kind == "folder" else ["notes.txt"]
    )
    with pytest.raises(OSError) as checked:
        check_writable(target)
    assert checked.value.filename == str(target)


def test_neutralise_formulas_prefixes_text_only(text_dtype):
    payloads = [f"{trigger}1+1" for trigger in FORMULA_TRIGGERS]
    frame = pd.DataFrame(
        {
            "text": pd.Series([*payloads, "plain", None], dtype=text_dtype),
            "advantage": [-0.5, -1.0, 0.25, 1e-3, -7.0, 2.0, 0.0, np.nan],
            "count": np.arange(-4, 4),
            "flag": [True, False] * 4,
            "mixed": pd.Series([-3, "-3", "@x", 1.5, None, "ok", "=A1", "+"], dtype=object),
        }
    )
    frame.columns = ["=text", "advantage", "-count", "@flag", "mixed"]
    safe = neutralise_formulas(frame)
    assert list(safe.columns) == ["'=text", "advantage", "'-count", "'@flag", "mixed"]
    assert list(safe["'=text"][:6]) == ["'" + p for p in payloads]
    assert safe["'=text"][6] == "plain" and pd.isna(safe["'=text"][7])
    pd.testing.assert_series_equal(safe["advantage"], frame["advantage"])
    pd.testing.assert_series_equal(safe["'-count"], frame["-count"], check_names=False)
    pd.testing.assert_series_equal(safe["'@flag"], frame["@flag"], check_names=False)
    assert list(safe["mixed"][:4]) == [-3, "'-3", "'@x", 1.5]
    assert list(safe["mixed"][5:]) == ["ok", "'=A1", "'+"]
    assert frame.columns[0] == "=text"  # the caller's frame is not changed

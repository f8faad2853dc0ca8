"""Progress a person can follow: a bar over attribute × attack × population steps, stage
messages through logging, silence by default in the Python API, --verbose / --quiet."""

import logging
import sys
import types

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from tabinvert import assess
from tabinvert.cli import main
from tabinvert.defenses import LabelOnly


@pytest.fixture(scope="module")
def small():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"age": rng.integers(20, 70, 400), "secret": rng.integers(0, 2, 400)})
    y = rng.integers(0, 2, 400)
    model = RandomForestClassifier(20, random_state=0).fit(X[:200], y[:200])
    return X, y, model


def _assess(small, **kwargs):
    X, y, model = small
    return assess(
        model,
        X[:200],
        y[:200],
        X_holdout=X[200:],
        y_holdout=y[200:],
        sensitive="secret",
        n_resamples=20,
        random_state=0,
        **kwargs,
    )


class _FakeBar:
    """Stands in for tqdm: records what the run tells it."""

    made = []

    def __init__(self, total, **kwargs):
        self.total, self.n, self.closed, self.kwargs = total, 0, False, kwargs
        _FakeBar.made.append(self)

    def update(self, n=1):
        self.n += n

    def refresh(self):
        pass

    def set_postfix_str(self, text, refresh=True):
        self.postfix = text

    def close(self):
        self.closed = True


def test_the_bar_counts_every_attack_on_every_population(small, monkeypatch):
    fake = types.ModuleType("tqdm.auto")
    fake.tqdm = _FakeBar
    monkeypatch.setitem(sys.modules, "tqdm.auto", fake)
    _FakeBar.made.clear()
    result = _assess(small, progress=True, defenses=[LabelOnly()])
    (bar,) = _FakeBar.made
    main_steps = int((result.results["attack"] != "imputation").sum())
    assert bar.total == bar.n >= main_steps  # the sweep's steps come on top
    assert bar.closed and bar.kwargs["disable"] is None  # off when stderr is no terminal


def test_silent_by_default_with_stages_and_steps_on_the_logger(small, capsys, caplog):
    with caplog.at_level(logging.DEBUG, logger="tabinvert"):
        result = _assess(small)
    assert capsys.readouterr().err == ""  # nothing printed by the Python API
    messages = [r.getMessage() for r in caplog.records if r.name == "tabinvert"]
    assert any(m.startswith("'secret': ") for m in messages)  # a stage, at INFO
    steps = [m for m in messages if m.startswith("done: ")]
    assert len(steps) == int((result.results["attack"] != "imputation").sum())


def test_progress_true_prints_the_stages(small, capsys):
    _assess(small, progress=True)
    assert "tabinvert: 'secret': " in capsys.readouterr().err


def test_a_callable_gets_the_stage_messages(small):
    seen = []
    _assess(small, progress=seen.append)
    assert any("per-record and subgroup exposure" in m for m in seen)


@pytest.mark.parametrize(
    "flag, stages, steps",
    [("--quiet", False, False), (None, True, False), ("--verbose", True, True)],
)
def test_cli_verbosity(tmp_path, capsys, flag, stages, steps):
    argv = ["demo", "--out", str(tmp_path / "r.json")] + ([flag] if flag else [])
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert ("tabinvert: " in err) == stages
    assert ("tabinvert: done: " in err) == steps
    assert logging.getLogger("tabinvert").level == logging.NOTSET  # restored after the command

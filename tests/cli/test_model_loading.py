"""Loading a model file runs no code its author chose (issue 12 §1).

Each gadget below is *live*: loaded with everything trusted, predicting writes a marker file.
Loaded the way ``tabinvert assess`` loads it, the file is refused before anything is built and
the marker never appears. The loader's own refusals, file by file (crafted trees, types outside
the model libraries, the names it gives), are checked on it directly in
tests/internals/test_model_io.py.
"""

import functools
import operator

import pytest
from conftest import fitted_classifier, fitted_on, gadget_eval_chain, gadget_partial
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer

from tabinvert.cli import build_parser, main

sio = pytest.importorskip("skops.io")  # in the test extra, so CI always runs these


def gadget_methodcaller(marker, frame):
    return Pipeline(
        [
            ("os", fitted_on(FunctionTransformer(functools.partial(__import__, "os")), frame)),
            ("run", FunctionTransformer(operator.methodcaller("system", f"touch {marker}"))),
            ("model", fitted_classifier()),
        ]
    )


GADGETS = [gadget_eval_chain, gadget_partial, gadget_methodcaller]


@pytest.mark.parametrize("make_gadget", GADGETS, ids=lambda f: f.__name__)
def test_gadget_is_live_when_everything_is_trusted(make_gadget, data, tmp_path):
    """The gadgets do run code: this is what the refusal below prevents."""
    marker, path = tmp_path / "pwned", tmp_path / "model.skops"
    sio.dump(make_gadget(marker, data[0]), path)
    model = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    try:
        model.predict(data[0])
    except Exception:  # the payload runs before the chain fails
        pass
    assert marker.exists()


@pytest.mark.parametrize("make_gadget", GADGETS, ids=lambda f: f.__name__)
def test_assess_refuses_a_model_file_that_holds_callables(make_gadget, data, tmp_path, capsys):
    frame, y = data
    marker, path = tmp_path / "pwned", tmp_path / "model.skops"
    sio.dump(make_gadget(marker, data[0]), path)
    frame.assign(label=y)[:100].to_csv(tmp_path / "train.csv", index=False)
    frame.assign(label=y)[100:].to_csv(tmp_path / "holdout.csv", index=False)
    code = main(
        [
            "assess",
            "--model",
            str(path),
            "--train",
            str(tmp_path / "train.csv"),
            "--target",
            "label",
            "--sensitive",
            "c",
            "--holdout",
            str(tmp_path / "holdout.csv"),
            "--out",
            str(tmp_path / "r.json"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "callables" in err and "--trust-type" in err and "it was not loaded" in err
    assert not marker.exists()
    assert not (tmp_path / "r.json").exists()


def test_the_help_text_states_the_loading_threat_model():
    help_text = " ".join(
        build_parser()._subparsers._group_actions[0].choices["assess"].format_help().split()
    )
    assert "--trust-type" in help_text and "holds no callable" in help_text
    assert "needs --trust-pickle" in help_text and "node indices" in help_text

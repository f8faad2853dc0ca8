"""Models exported to ONNX are assessed like the originals (issue: models as deployed, part 2).

A scikit-learn Pipeline (a ColumnTransformer on a DataFrame with text columns) exported with
skl2onnx, and an XGBoost classifier exported with onnxmltools, are attacked as ONNX models and
as the originals: the guesses are the same and the scores agree within float32 tolerance. The
data are built with no near-tie between candidate values (the fixtures check it), since an ONNX
model computes in 32-bit floats. Then the wrapper's contract: inputs mapped and cast by name,
clear refusals (a missing column, a column of the wrong type, a corrupt file, no onnxruntime),
pickling, and loading a ``.onnx`` file from the command line.
"""

import copy
import json
import pickle
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone, is_classifier, is_regressor
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression

from conftest import smoking_pipeline, smoking_population
from tabinvert import assess
from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion
from tabinvert.cli import main
from tabinvert.defenses import DefendedClassifier, RoundProbabilities
from tabinvert.evaluation import evaluate_attacks
from tabinvert.exceptions import ModelQueryError
from tabinvert.models import ONNXModel

pytest.importorskip("onnxruntime")  # the onnx extra, in the test extra: CI always runs these
skl2onnx = pytest.importorskip("skl2onnx")

#: How far an ONNX model's probabilities may stray from the original's (float32 arithmetic).
ATOL = 1e-5
#: The least gap between an attack's best and second-best candidate the fixtures allow, so
#: that float32 rounding (about 1e-7 here) cannot change a guess.
MARGIN = 1e-5


def _export(model, sample, path, **options):
    """``model`` saved as ONNX by skl2onnx, float64 columns typed as float32 inputs."""
    floats = {c: np.float32 for c in sample.columns if sample[c].dtype == np.float64}
    onx = skl2onnx.to_onnx(model, sample.astype(floats), options=options or None)
    path.write_bytes(onx.SerializeToString())
    return path


@pytest.fixture(scope="module")
def people():
    X, y, _ = smoking_population(1800, seed=0)
    return {
        "train": (X[:1000], y[:1000]),
        "aux": (X[1000:1400].reset_index(drop=True), y[1000:1400]),
        "held_out": (X[1400:].reset_index(drop=True), y[1400:]),
    }


@pytest.fixture(scope="module")
def pipeline(people):
    X, y = people["train"]
    return smoking_pipeline(X, y)


@pytest.fixture(scope="module")
def pipeline_onnx(pipeline, people, tmp_path_factory):
    X, _ = people["train"]
    folder = tmp_path_factory.mktemp("onnx")
    return _export(pipeline, X[:1], folder / "pipeline.onnx", zipmap=False)


@pytest.fixture(scope="module")
def xgb_data():
    """Numeric records; the sensitive ``group`` (0, 1, 2) moves the label a lot."""
    rng = np.random.default_rng(1)
    n = 1500
    X = pd.DataFrame(
        {
            "income": rng.normal(50, 15, n).round(1),
            "group": rng.choice([0, 1, 2], n, p=[0.5, 0.3, 0.2]),
            "tenure": rng.integers(0, 30, n),
        }
    )
    z = 1.5 * (X["group"] - 1) + 0.05 * (X["income"] - 50) + rng.normal(0, 1, n)
    return X, (z > 0).astype(int).to_numpy()


@pytest.fixture(scope="module")
def xgb_models(xgb_data, tmp_path_factory):
    xgboost = pytest.importorskip("xgboost")
    onnxmltools = pytest.importorskip("onnxmltools")
    from onnxmltools.convert.common.data_types import FloatTensorType

    X, y = xgb_data
    model = xgboost.XGBClassifier(n_estimators=30, max_depth=3, n_jobs=1, random_state=0).fit(
        X[:800], y[:800]
    )
    # onnxmltools names features f0, f1, ...: export a copy whose booster has no names.
    exported = copy.deepcopy(model)
    exported.get_booster().feature_names = None
    onx = onnxmltools.convert_xgboost(
        exported, initial_types=[("input", FloatTensorType([None, X.shape[1]]))]
    )
    path = tmp_path_factory.mktemp("onnx") / "xgb.onnx"
    path.write_bytes(onx.SerializeToString())
    return model, path


def _check_no_near_ties(attack, X, y):
    """The fixture's promise: no target's best two candidates within MARGIN of each other."""
    posteriors = np.sort(np.asarray(attack.attack_proba(X, y)), axis=1)
    gap = posteriors[:, -1] - posteriors[:, -2]
    assert gap.min() > MARGIN, f"near tie (gap {gap.min():.2g}): redesign the test data"


def _assert_same_attack(original_attack, onnx_attack, X_aux, y_aux, X, y):
    original = original_attack.fit(X_aux, y_aux)
    exported = onnx_attack.fit(X_aux, y_aux)
    if original.capabilities().calibrated:  # MAP's posteriors (CSMIA's scores only rank)
        _check_no_near_ties(original, X, y)
    np.testing.assert_array_equal(exported.attack(X, y), original.attack(X, y))
    np.testing.assert_allclose(
        exported.attack_proba(X, y), original.attack_proba(X, y), atol=ATOL, rtol=0
    )
    assert exported.score(X, y) == original.score(X, y)


# -- the wrapper reads what skl2onnx wrote ----------------------------------------------------


def test_a_pipeline_export_is_a_classifier_taking_the_frames_columns(pipeline, pipeline_onnx):
    model = ONNXModel(pipeline_onnx)
    assert is_classifier(model) and not is_regressor(model)
    assert model._estimator_type == "classifier"
    np.testing.assert_array_equal(model.classes_, pipeline.classes_)
    assert list(model.feature_names_in_) == list(pipeline.feature_names_in_)
    assert model.n_features_in_ == pipeline.n_features_in_
    assert model.input_types_ == {
        "age": "tensor(int64)",
        "bmi": "tensor(float)",
        "region": "tensor(string)",
        "smoker": "tensor(string)",
    }
    assert (model.output_, model.label_output_) == ("probabilities", "label")


def test_the_answers_match_the_originals(pipeline, pipeline_onnx, people):
    X, _ = people["held_out"]
    model = ONNXModel(pipeline_onnx, batch_size=97)  # several onnxruntime calls
    proba = model.predict_proba(X)
    assert proba.dtype == np.float64 and proba.shape == (len(X), 2)
    np.testing.assert_allclose(proba, pipeline.predict_proba(X), atol=ATOL, rtol=0)
    labels = model.predict(X)
    assert labels.shape == (len(X),)
    np.testing.assert_array_equal(labels, pipeline.predict(X))


def test_a_zipmap_export_gives_the_same_probabilities(pipeline, people, tmp_path):
    X, _ = people["held_out"]
    path = _export(pipeline, X[:1], tmp_path / "zipmap.onnx")  # skl2onnx's default: ZipMap
    model = ONNXModel(path)
    assert model.output_ == "output_probability"
    np.testing.assert_array_equal(model.classes_, pipeline.classes_)
    np.testing.assert_allclose(model.predict_proba(X), pipeline.predict_proba(X), atol=ATOL, rtol=0)


def test_a_regressor_export_predicts_like_the_original(people, tmp_path):
    X, _ = people["train"]
    X = X[["age", "bmi"]]
    target = 0.5 * X["age"] + X["bmi"]
    original = LinearRegression().fit(X, target)
    # A bare estimator takes one tensor: export it from an array, name its columns on loading.
    path = tmp_path / "regressor.onnx"
    path.write_bytes(skl2onnx.to_onnx(original, X.to_numpy(np.float32)[:1]).SerializeToString())
    model = ONNXModel(path, feature_names=["age", "bmi"])
    assert is_regressor(model) and not hasattr(model, "predict_proba")
    assert not hasattr(model, "classes_")
    prediction = model.predict(X)
    assert prediction.shape == (len(X),) and prediction.dtype == np.float64
    np.testing.assert_allclose(prediction, original.predict(X), rtol=1e-5)


def test_classes_are_required_when_the_graph_names_none_and_checked_when_it_does(
    pipeline_onnx, tmp_path
):
    with pytest.raises(ValueError, match="differ from the classes the ONNX model"):
        ONNXModel(pipeline_onnx, classes=["low", "high"])
    model = ONNXModel(pipeline_onnx, classes=np.array(["high", "low"], dtype=object))
    assert model.classes_.tolist() == ["high", "low"]
    # A model whose only output is a float matrix: a regressor, unless classes are given.
    onnx = pytest.importorskip("onnx")
    helper = onnx.helper
    graph = helper.make_graph(
        [helper.make_node("Softmax", ["x"], ["scores"], axis=1)],
        "softmax",
        [helper.make_tensor_value_info("x", onnx.TensorProto.FLOAT, [None, 2])],
        [helper.make_tensor_value_info("scores", onnx.TensorProto.FLOAT, [None, 2])],
    )
    path = tmp_path / "softmax.onnx"
    path.write_bytes(
        helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]).SerializeToString()
    )
    classifier = ONNXModel(path, classes=["a", "b"])
    assert is_classifier(classifier) and classifier.label_output_ is None
    X = np.array([[0.0, 2.0], [3.0, 0.0]])
    np.testing.assert_array_equal(classifier.predict(X), ["b", "a"])
    np.testing.assert_allclose(classifier.predict_proba(X).sum(axis=1), 1.0, rtol=1e-6)
    assert is_regressor(ONNXModel(path))


def test_classes_given_relabel_the_graphs_own(tmp_path):
    # skl2onnx stores boolean classes as the integers 0 and 1.
    X = np.random.default_rng(0).normal(size=(200, 2)).astype(np.float32)
    original = LogisticRegression().fit(X, X[:, 0] > 0)
    path = tmp_path / "boolean.onnx"
    path.write_bytes(skl2onnx.to_onnx(original, X[:1]).SerializeToString())
    assert ONNXModel(path).classes_.tolist() == [0, 1]
    model = ONNXModel(path, classes=[False, True])
    labels = model.predict(X)
    assert labels.dtype == bool
    np.testing.assert_array_equal(labels, original.predict(X))
    np.testing.assert_array_equal(clone(model).predict(X), labels)  # its parameters rebuild it
    assert model.set_params(classes=None).classes_.tolist() == [0, 1]  # read again


# -- attacks on the export are attacks on the original ------------------------------------


def test_pipeline_attacks_agree_with_the_original(pipeline, pipeline_onnx, people):
    onnx_model = ONNXModel(pipeline_onnx)
    X_aux, y_aux = people["aux"]
    X, y = people["train"]
    for method in ("map", "csmia"):
        _assert_same_attack(
            ConfidenceInversion(pipeline, "smoker", method=method),
            ConfidenceInversion(onnx_model, "smoker", method=method),
            X_aux,
            y_aux,
            X,
            y,
        )


def test_evaluate_attacks_gives_the_same_table_for_the_export(pipeline, pipeline_onnx, people):
    onnx_model = ONNXModel(pipeline_onnx)

    def table(model):
        attacks = {
            "MAP": ConfidenceInversion(model, "smoker"),
            "CSMIA": ConfidenceInversion(model, "smoker", method="csmia"),
            "LOMIA": LabelOnlyInversion(model, "smoker", random_state=0),
        }
        return evaluate_attacks(
            attacks,
            *people["aux"],
            targets={"members": people["train"], "non-members": people["held_out"]},
            n_resamples=200,
            random_state=0,
        )

    original, exported = (table(m).drop(columns="seconds") for m in (pipeline, onnx_model))
    numeric = original.select_dtypes("number").columns
    pd.testing.assert_frame_equal(
        exported.drop(columns=numeric), original.drop(columns=numeric), check_dtype=False
    )
    pd.testing.assert_frame_equal(
        exported[numeric], original[numeric], check_exact=False, atol=ATOL, rtol=0
    )


def test_xgboost_export_attacks_agree_with_the_original(xgb_models, xgb_data):
    original, path = xgb_models
    X, y = xgb_data
    onnx_model = ONNXModel(path, feature_names=list(X.columns))
    assert list(onnx_model.feature_names_in_) == list(original.feature_names_in_)
    np.testing.assert_array_equal(onnx_model.classes_, original.classes_)
    np.testing.assert_allclose(
        onnx_model.predict_proba(X), original.predict_proba(X), atol=ATOL, rtol=0
    )
    X_aux, y_aux = X[800:1100], y[800:1100]
    members = (X[:800], y[:800])
    for method in ("map", "csmia"):
        _assert_same_attack(
            ConfidenceInversion(original, "group", method=method),
            ConfidenceInversion(onnx_model, "group", method=method),
            X_aux,
            y_aux,
            *members,
        )
    label_only = [
        LabelOnlyInversion(m, "group", random_state=0).fit(X_aux, y_aux)
        for m in (original, onnx_model)
    ]
    np.testing.assert_array_equal(label_only[1].attack(*members), label_only[0].attack(*members))


def test_xgboost_export_takes_arrays_by_position(xgb_models, xgb_data):
    original, path = xgb_models
    X, _ = xgb_data
    onnx_model = ONNXModel(path)  # no feature names: columns by position
    assert not hasattr(onnx_model, "feature_names_in_") and onnx_model.n_features_in_ == 3
    np.testing.assert_allclose(
        onnx_model.predict_proba(X.to_numpy()), original.predict_proba(X), atol=ATOL, rtol=0
    )
    np.testing.assert_array_equal(onnx_model.predict(X), original.predict(X))


def test_assess_rates_the_export_as_the_original(pipeline, pipeline_onnx, people):
    # The white-box attacks do not read an ONNX graph: the API's attackers are compared.
    def rate(model):
        return assess(
            model,
            *people["train"],
            X_holdout=people["held_out"][0],
            y_holdout=people["held_out"][1],
            sensitive="smoker",
            access="api",
            n_resamples=200,
            random_state=0,
        )

    original, exported = rate(pipeline), rate(ONNXModel(pipeline_onnx))
    assert original.summary["risk_level"].tolist() == ["high"]  # a leak to find, not "none"
    pd.testing.assert_frame_equal(
        exported.summary[["sensitive", "risk_level", "attack"]],
        original.summary[["sensitive", "risk_level", "attack"]],
    )
    columns = ["attack", "population", "score", "baseline_score", "advantage"]
    pd.testing.assert_frame_equal(
        exported.results[columns], original.results[columns], check_exact=False, atol=ATOL
    )


def test_a_defense_in_front_of_the_export(pipeline, pipeline_onnx, people):
    X, y = people["held_out"]
    defended = DefendedClassifier(FrozenEstimator(ONNXModel(pipeline_onnx)), RoundProbabilities(1))
    served = defended.fit(X, y).predict_proba(X)
    expected = RoundProbabilities(1).fit_transform(pipeline.predict_proba(X))
    assert np.mean(np.isclose(served, expected)) > 0.99  # a rounding edge may fall either way
    with pytest.raises(TypeError, match="already trained"):
        ONNXModel(pipeline_onnx).fit(X, y)


def test_pickling_drops_the_session_and_keeps_the_model(pipeline_onnx, people, tmp_path):
    X, _ = people["held_out"]
    model = ONNXModel(pipeline_onnx)
    expected = model.predict_proba(X)
    copied = tmp_path / "moved.onnx"
    copied.write_bytes(pipeline_onnx.read_bytes())
    model = ONNXModel(copied)
    model.predict(X[:5])  # its onnxruntime session is made (a session cannot be pickled)
    restored = pickle.loads(pickle.dumps(model))
    copied.unlink()  # the copy answers from the bytes it carries
    np.testing.assert_array_equal(restored.predict_proba(X), expected)


# -- refusals ---------------------------------------------------------------------------------


def test_a_missing_column_is_named(pipeline_onnx, people):
    X, _ = people["held_out"]
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['region'\].*input 'region'"):
        ONNXModel(pipeline_onnx).predict_proba(X.drop(columns="region"))


@pytest.mark.parametrize(
    "column, values, problem, fix",
    [
        ("age", lambda X: X["age"].astype(str), "it holds text", "pd.to_numeric"),
        ("age", lambda X: X["age"] + 0.5, r"non-integer values such as \d+\.5", "whole numbers"),
        ("smoker", lambda X: X["age"], r"it holds numbers \(int64\)", "astype(str)"),
        ("smoker", lambda X: X["smoker"].where(X.index > 3), r"4 value\(s\) are missing", "Fill"),
        ("bmi", lambda X: X["region"], "it holds text", "pd.to_numeric"),
    ],
)
def test_a_column_of_the_wrong_type_is_named_with_the_fix(
    pipeline_onnx, people, column, values, problem, fix
):
    X, _ = people["held_out"]
    X = X.assign(**{column: values(X)})
    with pytest.raises(ValueError, match=f"The column '{column}'.*takes .*: .*{problem}") as info:
        ONNXModel(pipeline_onnx).predict_proba(X)
    assert fix in str(info.value)


def test_whole_floats_go_to_an_integer_input(pipeline, pipeline_onnx, people):
    X, _ = people["held_out"]
    as_floats = X.astype({"age": float})
    np.testing.assert_allclose(
        ONNXModel(pipeline_onnx).predict_proba(as_floats),
        pipeline.predict_proba(X),
        atol=ATOL,
        rtol=0,
    )


def test_an_attack_on_the_wrong_columns_fails_with_the_models_message(pipeline_onnx, people):
    X_aux, y_aux = people["aux"]
    attack = ConfidenceInversion(ONNXModel(pipeline_onnx), "smoker")
    X_aux = X_aux.assign(age=X_aux["age"].astype(str))
    with pytest.raises(ModelQueryError, match="The column 'age'.*pd.to_numeric"):
        attack.fit(X_aux, y_aux).attack(X_aux, y_aux)


@pytest.mark.parametrize(
    "content", [b"", b"not an onnx model at all", b"\x08\x07\x12\x00\x3a\x05\x12\x03abc"]
)
def test_a_corrupt_file_is_refused_naming_it(tmp_path, content):
    path = tmp_path / "broken.onnx"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="broken.onnx"):
        ONNXModel(path)


def test_a_missing_file_and_a_folder_are_refused(tmp_path):
    with pytest.raises(ValueError, match="does not exist"):
        ONNXModel(tmp_path / "absent.onnx")
    with pytest.raises(ValueError, match="is a folder"):
        ONNXModel(tmp_path)


def test_without_onnxruntime_the_error_names_the_extra(
    pipeline_onnx, monkeypatch, tmp_path, capsys
):
    monkeypatch.setitem(sys.modules, "onnxruntime", None)
    with pytest.raises(ImportError, match=r'pip install "tabinvert\[onnx\]"'):
        ONNXModel(pipeline_onnx)
    code = main(_cli_args(pipeline_onnx, tmp_path))
    assert code == 2 and 'pip install "tabinvert[onnx]"' in capsys.readouterr().err


def test_input_mapping_and_feature_names_are_checked(pipeline_onnx):
    with pytest.raises(ValueError, match="not mapped"):
        ONNXModel(pipeline_onnx, input_mapping={"age": "age"})
    with pytest.raises(ValueError, match="must be the columns"):
        ONNXModel(pipeline_onnx, feature_names=["age", "bmi"])
    with pytest.raises(ValueError, match="is not an output"):
        ONNXModel(pipeline_onnx, output="proba")


def test_input_mapping_renames_columns(pipeline, pipeline_onnx, people):
    X, _ = people["held_out"]
    renamed = X.rename(columns={"smoker": "tobacco"})
    mapping = {"age": "age", "bmi": "bmi", "region": "region", "smoker": "tobacco"}
    model = ONNXModel(pipeline_onnx, input_mapping=mapping)
    assert list(model.feature_names_in_) == ["age", "bmi", "region", "tobacco"]
    np.testing.assert_allclose(
        model.predict_proba(renamed), pipeline.predict_proba(X), atol=ATOL, rtol=0
    )


# -- the command line -------------------------------------------------------------------------


def _cli_args(model, folder):
    """``tabinvert assess`` on ``model`` with the CSVs and the report in ``folder``."""
    return [
        "assess",
        "--model",
        str(model),
        "--train",
        str(folder / "train.csv"),
        "--holdout",
        str(folder / "holdout.csv"),
        "--target",
        "label",
        "--sensitive",
        "smoker",
        "--access",
        "api",
        "--n-resamples",
        "100",
        "--quiet",
        "--out",
        str(folder / "report.json"),
    ]


def test_the_cli_assesses_an_onnx_file(pipeline_onnx, people, tmp_path, capsys):
    for name, (X, y) in (("train", people["train"]), ("holdout", people["held_out"])):
        X.assign(label=y).to_csv(tmp_path / f"{name}.csv", index=False)
    code = main(_cli_args(pipeline_onnx, tmp_path))
    assert code == 0, capsys.readouterr().err
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert "smoker" in json.dumps(report)


def test_the_cli_refuses_a_corrupt_onnx_file(tmp_path, capsys):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"garbage")
    code = main(_cli_args(path, tmp_path))
    err = capsys.readouterr().err
    assert code == 2 and "model.onnx" in err and "not an ONNX model" in err
    assert not (tmp_path / "report.json").exists()

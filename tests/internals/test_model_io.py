"""Loading a model file runs no code its author chose (issue 12 §1): the loader itself, checked
directly. It names every callable and every type outside the model libraries it refuses, loads
what the user names with --trust-type, refuses crafted tree arrays before the model can predict,
and loads every model kind the suite uses without flags.

These tests import the private loader on purpose (see README.md in this folder): the command line
is its only public face, and it shows neither the loaded model nor the whole refusal. The
command line's refusal is tested end to end in tests/cli/test_model_loading.py.
"""

import numpy as np
import pytest
from conftest import gadget_eval_chain, gadget_partial
from sklearn.compose import make_column_transformer
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler
from sklearn.tree import DecisionTreeClassifier

from tabinvert._model_io import load_model
from tabinvert.defenses import DefendedClassifier, QueryBudget, RoundProbabilities

sio = pytest.importorskip("skops.io")  # in the test extra, so CI always runs these


def test_refusal_names_each_callable(data, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(gadget_eval_chain(tmp_path / "m", data[0]), path)
    with pytest.raises(ValueError) as error:
        load_model(path)
    for name in ("builtins.dict", "builtins.max", "builtins.eval", "builtins.len"):
        assert name in str(error.value)


def test_naming_only_some_callables_still_refuses(data, tmp_path):
    path = tmp_path / "model.skops"
    sio.dump(gadget_partial(tmp_path / "m", data[0]), path)
    with pytest.raises(ValueError, match="builtins.eval"):
        load_model(path, trusted_types=["functools.partial", "builtins.dict"])


def test_function_transformer_with_a_function_needs_naming(data, tmp_path):
    frame, y = data
    model = make_pipeline(FunctionTransformer(np.log1p), LogisticRegression())
    model.fit(frame[["a", "b"]].abs(), y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    with pytest.raises(ValueError, match=r"callables numpy\.log1p.*--trust-type"):
        load_model(path)
    loaded = load_model(path, trusted_types=["numpy.log1p"])
    np.testing.assert_array_equal(
        loaded.predict(frame[["a", "b"]].abs()), model.predict(frame[["a", "b"]].abs())
    )


def test_a_type_from_outside_the_model_libraries_is_refused(tmp_path):
    from fractions import Fraction

    path = tmp_path / "model.skops"
    model = make_pipeline(StandardScaler()).fit([[0.0], [1.0]])
    model.odd_attribute_ = Fraction(1, 3)
    sio.dump(model, path)
    with pytest.raises(ValueError, match=r"types outside the trusted.*fractions\.Fraction"):
        load_model(path)
    assert load_model(path, trusted_types=["fractions.Fraction"]).odd_attribute_ == Fraction(1, 3)


def _every_model_kind(frame, y):
    numeric = frame[["a", "b"]].to_numpy()
    preprocess = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["c"]), (StandardScaler(), ["a", "b"])
    )
    models = {
        "pipeline": make_pipeline(preprocess, LogisticRegression()).fit(frame, y),
        "forest": RandomForestClassifier(5, random_state=0).fit(numeric, y),
        "forest_regressor": RandomForestRegressor(5, random_state=0).fit(numeric, y),
        "gradient_boosting": GradientBoostingClassifier(n_estimators=5).fit(numeric, y),
        "hist_gradient_boosting": HistGradientBoostingClassifier(max_iter=5).fit(numeric, y),
        "mlp": MLPClassifier((4,), max_iter=20, random_state=0).fit(numeric, y),
        "function_transformer_none": make_pipeline(FunctionTransformer(), LogisticRegression()).fit(
            numeric, y
        ),
        "defended": DefendedClassifier(
            FrozenEstimator(LogisticRegression().fit(numeric, y)), RoundProbabilities(2)
        ).fit(numeric, y),
        "budget": QueryBudget(LogisticRegression().fit(numeric, y), max_rows=1000),
    }
    xgboost = pytest.importorskip("xgboost")
    models["xgboost"] = xgboost.XGBClassifier(n_estimators=3).fit(numeric, y)
    lightgbm = pytest.importorskip("lightgbm")
    models["lightgbm"] = lightgbm.LGBMClassifier(n_estimators=3, verbose=-1).fit(numeric, y)
    models["lightgbm_regressor"] = lightgbm.LGBMRegressor(n_estimators=3, verbose=-1).fit(
        numeric, y
    )
    catboost = pytest.importorskip("catboost")
    models["catboost"] = catboost.CatBoostClassifier(
        iterations=3, verbose=0, allow_writing_files=False
    ).fit(numeric, y)
    return models


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_every_model_kind_the_suite_uses_loads_without_flags(data, tmp_path):
    frame, y = data
    for name, model in _every_model_kind(frame, y).items():
        path = tmp_path / f"{name}.skops"
        sio.dump(model, path)
        loaded = load_model(path)
        X = frame if name == "pipeline" else frame[["a", "b"]].to_numpy()
        np.testing.assert_array_equal(loaded.predict(X[:20]), model.predict(X[:20]), err_msg=name)


def _tree_with(model, field, node, value):
    """``model`` with one value of its first tree's node array replaced (a crafted file)."""
    from sklearn.tree._tree import Tree

    tree = model.tree_
    state = tree.__getstate__()
    nodes = state["nodes"].copy()
    nodes[field][node] = value
    state["nodes"] = nodes
    crafted = Tree(tree.n_features, np.asarray(tree.n_classes), tree.n_outputs)
    crafted.__setstate__(state)
    model.tree_ = crafted
    return model


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("left_child", 10**6, "left child 1000000"),
        ("right_child", 0, "right child 0"),  # a loop back to the root
        ("feature", 99, "splits on feature 99 of 2"),
    ],
)
def test_a_crafted_tree_is_refused_before_it_can_predict(data, tmp_path, field, value, message):
    frame, y = data
    model = DecisionTreeClassifier(max_depth=3, random_state=0).fit(frame[["a", "b"]], y)
    path = tmp_path / "tree.skops"
    sio.dump(_tree_with(model, field, 0, value), path)
    with pytest.raises(ValueError, match=message):
        load_model(path)


def test_a_crafted_hist_gradient_boosting_tree_is_refused(data, tmp_path):
    frame, y = data
    model = HistGradientBoostingClassifier(max_iter=3).fit(frame[["a", "b"]].to_numpy(), y)
    nodes = model._predictors[0][0].nodes
    root = int(np.flatnonzero(nodes["is_leaf"] == 0)[0])
    nodes["feature_idx"][root] = 7
    path = tmp_path / "hgb.skops"
    sio.dump(model, path)
    with pytest.raises(ValueError, match="splits on feature 7 of 2"):
        load_model(path)


def test_a_folder_is_not_a_model_file(tmp_path):
    with pytest.raises(ValueError, match="is a folder"):
        load_model(tmp_path)

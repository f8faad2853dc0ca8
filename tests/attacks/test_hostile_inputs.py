"""The catalogue of hostile and malformed inputs: data and attacks (issue 12 §3, §6).

Attacks refuse inputs they would read wrongly, with the error that names the column, the value
or dtype, and the fix, and never change the caller's data while doing so. The rest of the
catalogue lives beside the tests of what it attacks, one module per part of the package:
``tests/query/test_hostile_query.py`` (malformed model answers), ``tests/cli/test_hostile_cli.py``
(the command line), ``test_hostile_defenses.py`` (defenses and the query budget),
``test_hostile_datasets.py``, ``test_hostile_metrics.py``, ``test_hostile_evaluation.py`` and
``test_hostile_assessment.py`` (assess and its report) in their folders, and
``tests/cli/test_model_loading.py`` (model files).
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier
from sklearn.utils import get_tags
from sklearn.utils.estimator_checks import check_estimator

from tabinvert.attacks import (
    ConfidenceInversion,
    GradientInversion,
    ImputationBaseline,
    JointInversion,
    LabelOnlyInversion,
    LearnedInversion,
    ReconstructionAttack,
    WhiteBoxTreeInversion,
)
from tabinvert.exceptions import NotDifferentiableError
from tabinvert.defenses import DefendedClassifier, QueryBudget, RoundProbabilities

# -- shared data, models and helpers --------------------------------------------------------------


@pytest.fixture(scope="module")
def population():
    """``y = known XOR secret``, with a numeric ``noise`` column (GradientInversion's target)."""
    return xor_population(300, seed=3)


@pytest.fixture(scope="module")
def tree(population):
    X, y = population
    return DecisionTreeClassifier(random_state=0).fit(X, y)


@pytest.fixture(scope="module")
def logistic(population):
    X, y = population
    return LogisticRegression().fit(X, y)


# Every attack class, built on the tree (black-box and tree attacks) or the logistic model
# (white-box gradients); "hidden" is the column each one infers.
FACTORIES = {
    "ConfidenceInversion": lambda tree, lr: ConfidenceInversion(tree, "secret"),
    "LabelOnlyInversion": lambda tree, lr: LabelOnlyInversion(tree, "secret", random_state=0),
    "LearnedInversion": lambda tree, lr: LearnedInversion(
        tree, "secret", fallback="never", random_state=0
    ),
    "WhiteBoxTreeInversion": lambda tree, lr: WhiteBoxTreeInversion(tree, "secret"),
    "GradientInversion": lambda tree, lr: GradientInversion(lr, "noise"),
    "ReconstructionAttack": lambda tree, lr: ReconstructionAttack(
        lr, ["noise"], n_iter=3, n_restarts=1, random_state=0
    ),
    "JointInversion": lambda tree, lr: JointInversion(
        ConfidenceInversion(tree, None), ["secret"], unknown=["noise"], n_samples=4, random_state=0
    ),
    "ImputationBaseline": lambda tree, lr: ImputationBaseline(
        "secret", fallback="never", random_state=0
    ),
}
ALL = list(FACTORIES)
WITH_MODEL = [name for name in ALL if name != "ImputationBaseline"]
HIDDEN = {"GradientInversion": "noise", "ReconstructionAttack": "noise"}


def _hidden(name):
    return HIDDEN.get(name, "secret")


def _attack(attack, X, y=None, observed=None):
    if isinstance(attack, ReconstructionAttack):
        return attack.reconstruct(X, y, observed)
    return attack.attack(X, y, observed=observed)


def _raises(error, call, *fragments, keeps=()):
    """``call()`` raises exactly ``error`` whose message holds every fragment, and leaves the
    frames in ``keeps`` (the caller's data it was given) as they were; the message."""
    before = [frame.copy() for frame in keeps]
    with pytest.raises(error) as info:
        call()
    assert info.type is error, f"{info.type.__name__}: {info.value}"
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in: {message}"
    for frame, copy in zip(keeps, before):
        pd.testing.assert_frame_equal(frame, copy)
    return message


def _as_text(values, text_dtype):
    """Numbers written as text, in the text dtype under test (pandas 2 object, pandas 3 str)."""
    return pd.Series([str(v) for v in values], index=values.index, dtype=text_dtype)


# -- issue 12 §3: integer column labels -----------------------------------------------------------


def _clean(n=400, seed=5):
    """``y = known XOR secret`` with a third column that adds nothing (so a tree is exact)."""
    X, y = xor_population(n, seed=seed)
    return X.assign(noise=2.0 * X["known"]), y


def _int_labelled(n=400, seed=5):
    """Columns labelled ``[1, 0, 2]``: ``1`` is the known feature, ``0`` the secret."""
    X, y = _clean(n, seed)
    X = X[["known", "secret", "noise"]].set_axis([1, 0, 2], axis=1)
    return X, y


@pytest.mark.parametrize(
    "name",
    [
        "ConfidenceInversion",
        "LabelOnlyInversion",
        "LearnedInversion",
        "WhiteBoxTreeInversion",
        "ImputationBaseline",
    ],
)
def test_integer_labels_of_a_frame_are_labels_not_positions(name):
    X, y = _int_labelled()
    model = DecisionTreeClassifier(random_state=0).fit(X, y)  # int labels: no feature names
    before = X.copy()
    attack = FACTORIES[name](model, None).set_params(sensitive=0).fit(X[:200], y[:200])
    guesses = attack.attack(X[200:], y[200:])
    # The column *labelled* 0 (the secret, at position 1), not the one at position 0.
    assert float((guesses == X[0][200:]).mean()) >= 0.9
    assert float((guesses == X[1][200:]).mean()) < 0.7
    pd.testing.assert_frame_equal(X, before)


@pytest.mark.parametrize(
    "name", ["ConfidenceInversion", "LabelOnlyInversion", "ImputationBaseline", "JointInversion"]
)
def test_an_integer_that_is_no_label_but_a_position_is_refused(name, tree, logistic):
    X, y = _int_labelled()
    X = X.set_axis([1, 5, 2], axis=1)  # 0 is no label now, but still a valid position
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    before = X.copy()
    if name == "JointInversion":
        attack = JointInversion(ConfidenceInversion(model, None), [0], unknown=[2])
    else:
        attack = FACTORIES[name](model, None).set_params(sensitive=0)
    _raises(
        ValueError,
        lambda: attack.fit(X, y),
        "=0 is not a column label",
        "1, 5, 2",
        "Columns are labels for a DataFrame",
        "pass a numpy array to use positions",
    )
    pd.testing.assert_frame_equal(X, before)


def test_a_position_is_refused_for_a_model_with_named_columns(population, tree):
    X, y = population
    before = X.copy()
    _raises(
        ValueError,
        lambda: ConfidenceInversion(tree, 2).fit(X, y),
        "sensitive=2 is not a column label",
        "'known', 'noise', 'secret'",
        "pass the column's label",
    )
    pd.testing.assert_frame_equal(X, before)


def test_positions_name_the_columns_of_an_array():
    X, y = _clean()
    A = X[["known", "secret", "noise"]].to_numpy()
    model = DecisionTreeClassifier(random_state=0).fit(A, y)
    attack = ConfidenceInversion(model, 1).fit(A[:200], y[:200])
    assert float((attack.attack(A[200:], y[200:]) == A[200:, 1]).mean()) >= 0.9
    _raises(
        ValueError,
        lambda: ConfidenceInversion(model, "secret").fit(A, y),
        "'secret' is not a column position",
        "Pass a DataFrame",
    )


def test_reconstruction_reads_frame_labels_first_and_refuses_ambiguity():
    X, y = _int_labelled()
    model = LogisticRegression().fit(X, y)  # columns [1, 0, 2]: positions on the model side
    before = X.copy()
    attack = ReconstructionAttack(model, [0], n_iter=2, n_restarts=1, random_state=0).fit(X, y)
    assert attack.unknown_ == [1]  # the column labelled 0 sits at position 1
    relabelled = X.set_axis([1, 5, 2], axis=1)
    _raises(
        ValueError,
        lambda: ReconstructionAttack(LogisticRegression().fit(relabelled, y), [0]).fit(
            relabelled, y
        ),
        "unknown=0 is not a column label",
        "pass a numpy array to use positions",
    )
    pd.testing.assert_frame_equal(X, before)


# -- issue 12 §3: numbers stored as text ----------------------------------------------------------


def _ages(n=400, seed=8):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"known": rng.integers(0, 2, n), "age": rng.integers(20, 70, n)})
    y = ((X["age"] > 44).astype(int) ^ X["known"]).to_numpy()
    return X, y


@pytest.mark.parametrize(
    "name",
    ["ConfidenceInversion", "LabelOnlyInversion", "LearnedInversion", "WhiteBoxTreeInversion"],
)
def test_numbers_stored_as_text_in_the_auxiliary_data_are_refused(name, text_dtype):
    X, y = _ages()
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    aux = X.assign(age=_as_text(X["age"], text_dtype))
    before = aux.copy()
    attack = FACTORIES[name](model, None).set_params(sensitive="age")
    _raises(
        ValueError,
        lambda: attack.fit(aux, y),
        "column 'age' holds text",
        f"'{aux['age'].iloc[0]}'",
        f"dtype {aux['age'].dtype}",
        "in X_aux",
        "pd.to_numeric",
    )
    pd.testing.assert_frame_equal(aux, before)


def test_text_codes_that_the_models_encoder_knows_are_accepted(text_dtype):
    X, y = _ages()
    X = X.assign(age=_as_text(X["age"] // 10, text_dtype))  # "2" .. "6": text categories
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["age"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    attack = ConfidenceInversion(model, "age").fit(X, y)
    assert attack.sensitive_kind_ == "categorical"
    assert all(isinstance(v, str) for v in attack.candidates_)


def test_score_refuses_numeric_truth_against_text_candidates(text_dtype):
    X, y = xor_population(300, seed=4, text_dtype=text_dtype)  # secret: "v0", "v1"
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["secret"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    attack = ConfidenceInversion(model, "secret").fit(X[:150], y[:150])
    targets = X[150:].assign(secret=X["secret"][150:].str[1:].astype(int))  # 0, 1
    before = targets.copy()
    _raises(
        ValueError,
        lambda: attack.score(targets, y[150:]),
        "Column 'secret' holds numbers",
        "dtype int64",
        f"text (dtype {X['secret'].dtype})",
        "none could equal the truth",
    )
    pd.testing.assert_frame_equal(targets, before)


def test_score_refuses_text_truth_against_numeric_candidates(population, tree, text_dtype):
    X, y = population
    attack = ConfidenceInversion(tree, "secret").fit(X[:150], y[:150])
    targets = X[150:].assign(secret=_as_text(X["secret"][150:], text_dtype))
    before = targets.copy()
    _raises(
        ValueError,
        lambda: attack.score(targets, y[150:]),
        "Column 'secret' holds text",
        f"dtype {targets['secret'].dtype}",
        "numbers (dtype int64)",
        "pd.to_numeric",
    )
    pd.testing.assert_frame_equal(targets, before)


@pytest.mark.parametrize(
    "name",
    [
        "ConfidenceInversion",
        "LabelOnlyInversion",
        "LearnedInversion",
        "WhiteBoxTreeInversion",
        "GradientInversion",
        "ReconstructionAttack",
        "JointInversion",
        "ImputationBaseline",
    ],
)
def test_a_known_column_of_text_where_the_auxiliary_data_held_numbers_is_refused(
    name, population, tree, logistic, text_dtype
):
    X, y = population
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    targets = X[150:].assign(known=_as_text(X["known"][150:], text_dtype))
    if name == "ReconstructionAttack":
        targets = targets.drop(columns="noise")
    before = targets.copy()
    _raises(
        ValueError,
        lambda: _attack(attack, targets, y[150:]),
        "Column 'known' holds text",
        f"dtype {targets['known'].dtype}",
        "numbers (dtype int64)",
        "pd.to_numeric",
    )
    pd.testing.assert_frame_equal(targets, before)


# -- issue 12 §3: labels the model never predicts -------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "ConfidenceInversion",
        "LabelOnlyInversion",
        "LearnedInversion",
        "WhiteBoxTreeInversion",
        "GradientInversion",
        "ReconstructionAttack",
        "JointInversion",
    ],
)
def test_labels_the_model_never_predicts_are_refused_by_every_attack(
    name, population, tree, logistic
):
    X, y = population
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    targets = X[150:160]
    before = targets.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning is not enough: the guesses would be noise
        _raises(
            ValueError,
            lambda: _attack(attack, targets, y[150:160] + 5),
            "y holds label(s)",
            "that the model does not predict",
            "its classes are [0, 1]",
            "Pass labels in the model's encoding",
        )
    pd.testing.assert_frame_equal(targets, before)


# -- issue 12 §3: duplicate column names, unfitted models -----------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_duplicate_column_names_are_refused_in_fit(name, population, tree, logistic):
    X, y = population
    aux = pd.concat([X[:150], X[["known"]][:150]], axis=1)
    before = aux.copy()
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:150]),
        "X_aux has duplicate column name(s) 'known'",
        "Drop or rename the duplicates",
    )
    pd.testing.assert_frame_equal(aux, before)


@pytest.mark.parametrize("name", ALL)
def test_duplicate_column_names_are_refused_in_attack(name, population, tree, logistic):
    X, y = population
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    targets = pd.concat([X[150:160], X[["known"]][150:160]], axis=1)
    before = targets.copy()
    _raises(
        ValueError,
        lambda: _attack(attack, targets, y[150:160]),
        "duplicate column name(s) 'known'",
        "Drop or rename the duplicates",
    )
    pd.testing.assert_frame_equal(targets, before)


@pytest.mark.parametrize("name", WITH_MODEL)
def test_an_unfitted_target_model_is_refused_in_fit(name, population):
    X, y = population
    unfitted_tree, unfitted_lr = DecisionTreeClassifier(), LogisticRegression()
    before = X.copy()
    model_name = (
        "LogisticRegression"
        if name in ("GradientInversion", "ReconstructionAttack")
        else "DecisionTreeClassifier"
    )
    _raises(
        NotFittedError,
        lambda: FACTORIES[name](unfitted_tree, unfitted_lr).fit(X[:150], y[:150]),
        model_name,
        "not fitted",
        "fit it first",
    )
    pd.testing.assert_frame_equal(X, before)


def test_an_unfitted_model_behind_a_query_budget_is_refused(population):
    X, y = population
    _raises(
        NotFittedError,
        lambda: ConfidenceInversion(QueryBudget(DecisionTreeClassifier()), "secret").fit(X, y),
        "QueryBudget",
        "fit it first",
        keeps=[X],
    )


# -- issue 12 §3: GradientInversion on a categorical attribute; white-box through a budget -------


def test_gradient_inversion_refuses_a_categorical_attribute(text_dtype):
    X, y = xor_population(300, seed=4, text_dtype=text_dtype)
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["secret"]), remainder="passthrough"),
        LogisticRegression(),
    ).fit(X, y)
    before = X.copy()
    _raises(
        ValueError,
        lambda: GradientInversion(model, "secret").fit(X, y),
        "sensitive column 'secret'",
        "not numbers",
        "'v",
        "dtype",
        "ConfidenceInversion",
    )
    pd.testing.assert_frame_equal(X, before)


def test_gradient_inversion_refuses_a_query_budget_and_says_why(population, logistic):
    X, y = population
    budget = QueryBudget(logistic)
    _raises(
        TypeError,
        lambda: GradientInversion(budget, "noise").fit(X, y),
        "white-box",
        "QueryBudget",
        "parameters",
        "budget.estimator",
        "black-box",
        keeps=[X],
    )
    assert budget.rows_used_ == 0


def test_reconstruction_through_a_query_budget_charges_every_query(population, logistic):
    X, y = population
    budget = QueryBudget(logistic)
    attack = ReconstructionAttack(budget, ["noise"], n_iter=4, n_restarts=2, random_state=0).fit(
        X[:150], y[:150]
    )
    assert attack.gradient_ == "finite_differences"  # no parameters to read: black-box
    guesses = attack.reconstruct(X[150:170].drop(columns="noise"), y[150:170])
    assert len(guesses) == 20
    spent = attack.fit_query_cost_.rows + attack.last_query_cost_.rows
    assert budget.rows_used_ == spent > 0
    assert budget.calls_used_ == attack.fit_query_cost_.calls + attack.last_query_cost_.calls
    _raises(
        NotDifferentiableError,
        lambda: ReconstructionAttack(budget, ["noise"], gradient="analytic").fit(X, y),
        "QueryBudget",
        "does not expose the parameters",
        "'finite_differences'",
        keeps=[X],
    )


# -- issue 12 §3: DefendedClassifier around a multi-output-capable classifier ---------------------


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.SkipTestWarning")
def test_defended_random_forest_passes_the_sklearn_checks():
    defended = DefendedClassifier(RandomForestClassifier(20, random_state=0), RoundProbabilities(3))
    assert get_tags(defended).target_tags.multi_output is False
    results = check_estimator(
        defended,
        on_fail=None,
        expected_failed_checks={
            "check_classifiers_train": "rounded probabilities need not "
            "sum to one (RoundProbabilities(renormalize=False))"
        },
    )
    failed = [
        (r["check_name"], str(r["exception"])[:200]) for r in results if r["status"] == "failed"
    ]
    assert failed == []


def test_defended_classifier_refuses_several_outputs_with_the_fix():
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(60, 3)), rng.integers(0, 2, size=(60, 2))
    defended = DefendedClassifier(RandomForestClassifier(5, random_state=0), RoundProbabilities(2))
    _raises(
        ValueError,
        lambda: defended.fit(X, Y),
        "y has 2 columns",
        "RandomForestClassifier",
        "one DefendedClassifier per output",
    )


# -- more hostile inputs: shapes and sizes --------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_empty_auxiliary_data_is_refused(name, population, tree, logistic):
    X, y = population
    aux = X.iloc[:0]
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:0]),
        "X_aux is empty",
        keeps=[aux],
    )


@pytest.mark.parametrize("name", ALL)
def test_zero_target_records_are_refused(name, population, tree, logistic):
    X, y = population
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    targets = X.iloc[:0]
    _raises(
        ValueError,
        lambda: _attack(attack, targets, y[:0]),
        "is empty",
        "at least one target record",
        keeps=[targets],
    )


@pytest.mark.parametrize("name", ALL)
def test_one_dimensional_auxiliary_data_is_refused(name, population, tree, logistic):
    X, y = population
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(X["secret"].to_numpy(), y),
        "2-D",
        "(300,)",
        keeps=[X],
    )


@pytest.mark.parametrize("name", ALL)
def test_auxiliary_labels_of_the_wrong_length_are_refused(name, population, tree, logistic):
    X, y = population
    aux = X[:150]
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:149]),
        "y_aux has 149 labels but there are 150 records",
        keeps=[aux],
    )


@pytest.mark.parametrize("name", ALL)
def test_target_labels_of_the_wrong_length_are_refused(name, population, tree, logistic):
    X, y = population
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    targets = X[150:160]
    _raises(
        ValueError,
        lambda: _attack(attack, targets, y[150:159]),
        "y has 9 labels but there are 10 records",
        keeps=[targets],
    )


@pytest.mark.parametrize(
    "name", ["ConfidenceInversion", "GradientInversion", "ReconstructionAttack", "JointInversion"]
)
@pytest.mark.parametrize(
    "shape, fragment",
    [((9, 2), "observed has 9 rows but there are 10"), ((10, 2, 2), "must be 1-D")],
)
def test_observed_outputs_of_the_wrong_shape_are_refused(
    name, shape, fragment, population, tree, logistic
):
    X, y = population
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    targets = X[150:160]
    _raises(
        ValueError,
        lambda: _attack(attack, targets, y[150:160], observed=np.full(shape, 0.5)),
        fragment,
        keeps=[targets],
    )


def test_label_only_inversion_refuses_observed_outputs(population, tree):
    X, y = population
    attack = LabelOnlyInversion(tree, "secret", random_state=0).fit(X[:150], y[:150])
    targets = X[150:160]
    _raises(
        ValueError,
        lambda: attack.attack(targets, y[150:160], observed=tree.predict(targets)),
        "does not take observed outputs",
        "ConfidenceInversion",
        keeps=[targets],
    )


def test_a_regressors_observed_output_must_be_one_value_per_record():
    rng = np.random.default_rng(2)
    X = pd.DataFrame({"a": rng.normal(size=300), "secret": rng.integers(0, 3, 300)})
    y = X["a"] + X["secret"]
    model = LinearRegression().fit(X, y)
    attack = LearnedInversion(
        model, "secret", use_observed="labels", fallback="never", random_state=0
    ).fit(X[:150], y[:150])
    targets = X[150:160]
    _raises(
        ValueError,
        lambda: attack.attack(targets, y[150:160], observed=np.zeros((10, 2))),
        "regressor",
        "one value per record",
        "(10, 2)",
        keeps=[targets],
    )


# -- more hostile inputs: columns -----------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_the_hidden_column_missing_from_the_auxiliary_data_is_refused(
    name, population, tree, logistic
):
    X, y = population
    hidden = _hidden(name)
    aux = X[:150].drop(columns=hidden)
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:150]),
        f"'{hidden}'",
        keeps=[aux],
    )


@pytest.mark.parametrize("name", WITH_MODEL)
def test_extra_columns_are_refused_in_fit_and_attack(name, population, tree, logistic):
    X, y = population
    aux, targets = X[:150].assign(extra=1), X[150:160].assign(extra=1)
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:150]),
        "'extra'",
        keeps=[aux],
    )
    attack = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    _raises(ValueError, lambda: _attack(attack, targets, y[150:160]), "'extra'", keeps=[targets])


@pytest.mark.parametrize(
    "name",
    [
        "ConfidenceInversion",
        "LabelOnlyInversion",
        "LearnedInversion",
        "WhiteBoxTreeInversion",
        "GradientInversion",
        "JointInversion",
        "ImputationBaseline",
    ],
)
def test_columns_in_another_order_give_the_same_answers(name, population, tree, logistic):
    X, y = population
    order = ["secret", "noise", "known"]
    aux, targets = X[:150][order], X[150:][order]
    before = [aux.copy(), targets.copy()]
    plain = FACTORIES[name](tree, logistic).fit(X[:150], y[:150])
    shuffled = FACTORIES[name](tree, logistic).fit(aux, y[:150])
    expected = plain.attack(X[150:], y[150:])
    result = shuffled.attack(targets, y[150:])
    pd.testing.assert_frame_equal(aux, before[0])
    pd.testing.assert_frame_equal(targets, before[1])
    if isinstance(expected, pd.DataFrame):
        pd.testing.assert_frame_equal(expected, result)
    else:
        pd.testing.assert_series_equal(expected, result)


# -- more hostile inputs: values ------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_missing_sensitive_values_in_the_auxiliary_data_are_left_out(
    name, population, tree, logistic
):
    X, y = population
    hidden = _hidden(name)
    aux = X[:150].astype({hidden: float})
    aux.loc[aux.index[::4], hidden] = np.nan
    before = aux.copy()
    attack = FACTORIES[name](tree, logistic).fit(aux, y[:150])
    if name not in ("JointInversion", "ReconstructionAttack"):
        assert not pd.isna(attack.candidates_).any()
    pd.testing.assert_frame_equal(aux, before)


@pytest.mark.parametrize(
    "name",
    [
        "ConfidenceInversion",
        "LabelOnlyInversion",
        "LearnedInversion",
        "WhiteBoxTreeInversion",
        "GradientInversion",
        "JointInversion",
        "ImputationBaseline",
    ],
)
def test_a_sensitive_column_without_any_value_is_refused(name, population, tree, logistic):
    X, y = population
    hidden = _hidden(name)
    aux = X[:150].assign(**{hidden: np.nan})
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:150]),
        f"'{hidden}'",
        keeps=[aux],
    )


@pytest.mark.parametrize(
    "name",
    [
        "ConfidenceInversion",
        "LabelOnlyInversion",
        "LearnedInversion",
        "WhiteBoxTreeInversion",
        "JointInversion",
        "ImputationBaseline",
    ],
)
def test_a_single_candidate_value_is_refused(name, population, tree, logistic):
    X, y = population
    aux = X[:150].assign(secret=1)
    message = _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:150]),
        "'secret' has a single value 1",
        "candidates=[...]",
        keeps=[aux],
    )
    assert "np.int64" not in message


def test_candidates_absent_from_the_auxiliary_data_get_a_small_prior(population, tree):
    X, y = population
    aux, targets = X[:150], X[150:]
    before = [aux.copy(), targets.copy()]
    attack = ConfidenceInversion(tree, "secret", candidates=[0, 1, 2]).fit(aux, y[:150])
    assert list(attack.candidates_) == [0, 1, 2]
    assert attack.prior_[2] < attack.prior_[0] and attack.prior_[2] > 0
    proba = attack.attack_proba(targets, y[150:])
    pd.testing.assert_frame_equal(aux, before[0])
    pd.testing.assert_frame_equal(targets, before[1])
    assert list(proba.columns) == [0, 1, 2]
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)


@pytest.mark.parametrize(
    "name", ["ConfidenceInversion", "LearnedInversion", "GradientInversion", "ReconstructionAttack"]
)
def test_infinite_sensitive_values_in_the_auxiliary_data_are_refused(
    name, population, tree, logistic
):
    X, y = population
    hidden = _hidden(name)
    aux = X[:150].astype({hidden: float})
    aux.loc[aux.index[0], hidden] = np.inf
    before = aux.copy()
    _raises(
        ValueError,
        lambda: FACTORIES[name](tree, logistic).fit(aux, y[:150]),
        f"'{hidden}'",
        "infinite",
        "replace them with NaN"
        if name != "ReconstructionAttack"
        else "replace the values with NaN",
    )
    pd.testing.assert_frame_equal(aux, before)


def test_infinite_known_values_in_the_targets_are_refused_naming_the_column(population, tree):
    X, y = population
    attack = ConfidenceInversion(tree, "secret").fit(X[:150], y[:150])
    targets = X[150:160].assign(noise=np.inf)
    _raises(
        ValueError,
        lambda: attack.attack(targets, y[150:160]),
        "'noise'",
        "infinite",
        keeps=[targets],
    )


def test_gradient_inversion_leaves_out_auxiliary_records_with_missing_known_values(
    population, logistic
):
    X, y = population
    aux = X[:150].astype({"known": float})
    aux.loc[aux.index[::5], "known"] = np.nan
    before = aux.copy()
    attack = GradientInversion(logistic, "noise").fit(aux, y[:150])
    assert np.isfinite(attack.prior_mean_)
    assert len(attack.attack(X[150:160], y[150:160])) == 10
    _raises(
        ValueError,
        lambda: GradientInversion(logistic, "noise").fit(aux.assign(known=np.nan), y[:150]),
        "'known'",
        "present and finite",
    )
    pd.testing.assert_frame_equal(aux, before)


def test_imputation_with_a_known_column_without_any_value(population):
    X, y = population
    attack = ImputationBaseline("secret", fallback="never", random_state=0).fit(
        X[:150].assign(noise=np.nan), y[:150]
    )
    assert len(attack.attack(X[150:160], y[150:160])) == 10


@pytest.mark.parametrize(
    "name",
    ["ConfidenceInversion", "LabelOnlyInversion", "WhiteBoxTreeInversion", "ImputationBaseline"],
)
def test_a_pandas_categorical_sensitive_column(name):
    X, y = _clean()
    X = X.assign(secret=X["secret"].map({0: "no", 1: "yes"}).astype("category"))
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["secret"]), remainder="passthrough"),
        DecisionTreeClassifier(random_state=0),
    ).fit(X, y)
    if name == "WhiteBoxTreeInversion":  # the trees are read through the encoder
        attack = WhiteBoxTreeInversion(model, "secret")
    else:
        attack = FACTORIES[name](model, None)
    before = X.copy()
    guesses = attack.fit(X[:150], y[:150]).attack(X[150:], y[150:])
    assert set(guesses) <= {"no", "yes"}
    assert float((guesses.astype(str) == X["secret"][150:].astype(str)).mean()) >= 0.9
    pd.testing.assert_frame_equal(X, before)


def test_a_bool_sensitive_column():
    X, y = _clean()
    X = X.assign(secret=X["secret"].astype(bool))
    before = X.copy()
    model = DecisionTreeClassifier(random_state=0).fit(X, y)
    attack = ConfidenceInversion(model, "secret").fit(X[:150], y[:150])
    guesses = attack.attack(X[150:], y[150:])
    assert set(guesses) <= {True, False}
    assert attack.score(X[150:], y[150:]) >= 0.9
    pd.testing.assert_frame_equal(X, before)


def test_imputation_baseline_refuses_a_name_for_an_array(population):
    X, y = population
    _raises(
        ValueError,
        lambda: ImputationBaseline("secret").fit(X.to_numpy(), y),
        "'secret' is not a column position",
        "Pass a DataFrame",
        keeps=[X],
    )


# -- scoring what cannot be scored ----------------------------------------------------------------


@pytest.mark.parametrize("truth, fragment", [(np.nan, "missing"), ("text", "holds text")])
def test_joint_inversion_checks_the_truth_before_scoring(
    truth, fragment, population, tree, text_dtype
):
    X, y = population
    attack = FACTORIES["JointInversion"](tree, None).fit(X[:150], y[:150])
    targets = X[150:160]
    if truth == "text":
        targets = targets.assign(secret=_as_text(targets["secret"], text_dtype))
    else:
        targets = targets.assign(secret=truth)
    before = targets.copy()
    _raises(ValueError, lambda: attack.score(targets, y[150:160]), "'secret'", fragment)
    pd.testing.assert_frame_equal(targets, before)


@pytest.mark.parametrize("truth, fragment", [(np.nan, "missing"), ("text", "holds text")])
def test_reconstruction_checks_the_truth_before_scoring(
    truth, fragment, population, logistic, text_dtype
):
    X, y = population
    attack = FACTORIES["ReconstructionAttack"](None, logistic).fit(X[:150], y[:150])
    targets = X[150:160]
    if truth == "text":
        targets = targets.assign(noise=_as_text(targets["noise"], text_dtype))
    else:
        targets = targets.assign(noise=truth)
    before = targets.copy()
    _raises(ValueError, lambda: attack.score(targets, y[150:160]), "'noise'", fragment)
    pd.testing.assert_frame_equal(targets, before)

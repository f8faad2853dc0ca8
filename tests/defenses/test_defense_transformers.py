"""Output-perturbation defenses: scikit-learn conformance, promises, and specific behaviours."""

import math
import pickle

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import expit, logit
from sklearn.base import TransformerMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.estimator_checks import parametrize_with_checks

import tabinvert.defenses
from tabinvert.defenses import (
    CoarsenProbabilities,
    ConfidenceThreshold,
    GaussianNoise,
    LabelOnly,
    NoisePredictions,
    ReverseSigmoid,
    RoundPredictions,
    RoundProbabilities,
    TopK,
)

PROBABILITY_DEFENSE_CLASSES = [
    RoundProbabilities,
    CoarsenProbabilities,
    TopK,
    LabelOnly,
    ConfidenceThreshold,
    GaussianNoise,
    ReverseSigmoid,
]
PREDICTION_DEFENSE_CLASSES = [RoundPredictions, NoisePredictions]

# Settings that change a promise or a code path, each seeded.
PROBABILITY_DEFENSES = [
    RoundProbabilities(),
    RoundProbabilities(decimals=0, renormalize=True),
    RoundProbabilities(step=0.05, renormalize=True),
    RoundProbabilities(step=0.3),
    CoarsenProbabilities(),
    CoarsenProbabilities(bins=[0.0, 0.5, 0.9, 1.0]),
    TopK(),
    TopK(k=2, renormalize=True),
    LabelOnly(),
    ConfidenceThreshold(),
    ConfidenceThreshold(cutoff=0.6, renormalize=True),
    GaussianNoise(random_state=0),
    GaussianNoise(scale=0.3, random_state=7),
    ReverseSigmoid(),
    ReverseSigmoid(beta=0.5, gamma=1.5),
    ReverseSigmoid(beta=1.0, gamma=1.0),
    ReverseSigmoid(beta=5e-5, gamma=0.5),
]


def _ids(defenses):
    return [repr(defense) for defense in defenses]


# --------------------------------------------------------------------------------------------
# scikit-learn conformance
# --------------------------------------------------------------------------------------------


@parametrize_with_checks(
    [
        RoundProbabilities(),
        RoundProbabilities(step=0.05, renormalize=True),
        CoarsenProbabilities(bins=[0.0, 0.5, 1.0]),
        TopK(k=2),
        LabelOnly(),
        ConfidenceThreshold(),
        GaussianNoise(random_state=0),
        GaussianNoise(random_state=0, per_record=False),
        ReverseSigmoid(),
        RoundPredictions(),
        NoisePredictions(random_state=0),
    ]
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_public_class_is_checked():
    exported = {getattr(tabinvert.defenses, name) for name in tabinvert.defenses.__all__}
    transformers = {
        cls.__name__
        for cls in exported
        if isinstance(cls, type) and issubclass(cls, TransformerMixin)
    }
    assert sorted(transformers) == sorted(
        cls.__name__ for cls in PROBABILITY_DEFENSE_CLASSES + PREDICTION_DEFENSE_CLASSES
    )


@pytest.mark.parametrize("cls", PROBABILITY_DEFENSE_CLASSES + PREDICTION_DEFENSE_CLASSES)
def test_clone_get_params_set_params_round_trip(cls):
    defense = cls()
    params = defense.get_params()
    assert params == cls().get_params()  # defaults, stored unchanged
    copy = clone(defense)
    assert copy is not defense and copy.get_params() == params
    if params:
        name = sorted(params)[0]
        new_value = {
            "decimals": 3,
            "n_bins": 4,
            "k": 3,
            "cutoff": 0.5,
            "scale": 0.25,
            "beta": 0.5,
            "step": 0.5,
        }.get(name, params[name])
        assert defense.set_params(**{name: new_value}) is defense
        assert defense.get_params()[name] == new_value
        assert clone(defense).get_params()[name] == new_value
    assert pickle.loads(pickle.dumps(defense)).get_params() == defense.get_params()


@pytest.mark.parametrize("cls", PROBABILITY_DEFENSE_CLASSES + PREDICTION_DEFENSE_CLASSES)
def test_promises_are_read_only_booleans(cls):
    defense = cls()
    for name in ("keeps_row_sums", "keeps_argmax"):
        assert isinstance(getattr(defense, name), bool)
        with pytest.raises(AttributeError):
            setattr(defense, name, True)
    # Documented in words, as the promise says.
    assert "Guarantees." in cls.__doc__


def test_stateless_tags_and_transform_without_fit():
    proba = np.array([[0.62, 0.38]])
    for defense in PROBABILITY_DEFENSES:
        tags = defense.__sklearn_tags__()
        assert tags.requires_fit is False
        assert tags.input_tags.positive_only is True
        np.testing.assert_array_equal(
            clone(defense).transform(proba), clone(defense).fit(proba).transform(proba)
        )
        assert not hasattr(clone(defense), "n_features_in_")
    assert RoundPredictions().__sklearn_tags__().input_tags.positive_only is False
    assert GaussianNoise(per_record=False).__sklearn_tags__().non_deterministic is True
    assert GaussianNoise().__sklearn_tags__().non_deterministic is False


# --------------------------------------------------------------------------------------------
# Property tests on probability matrices
# --------------------------------------------------------------------------------------------

SPECIAL_VALUES = [0.0, 1e-300, 1e-12, 1e-9, 0.5, 1.0]


@st.composite
def probability_rows(draw, n_columns):
    """One row on the simplex: random, one-hot, uniform, with exact ties or tiny values."""
    if n_columns == 1:  # a binary model's positive-class probability
        return [draw(st.sampled_from(SPECIAL_VALUES + [1 - 1e-12]) | st.floats(0, 1))]
    kind = draw(st.sampled_from(["random", "one_hot", "uniform", "tie"]))
    if kind == "one_hot":
        row = np.zeros(n_columns)
        row[draw(st.integers(0, n_columns - 1))] = 1.0
        return row.tolist()
    if kind == "uniform":
        return [1.0 / n_columns] * n_columns
    weight = st.sampled_from(SPECIAL_VALUES) | st.floats(0, 1)
    weights = np.array(draw(st.lists(weight, min_size=n_columns, max_size=n_columns)))
    if kind == "tie":  # two positions share the largest weight exactly
        first, second = draw(st.permutations(range(n_columns)))[:2]
        weights[[first, second]] = max(weights.max(), 1e-3)
    if weights.sum() == 0:
        weights[0] = 1.0
    return (weights / weights.sum()).tolist()


@st.composite
def probability_matrices(draw, max_rows=6, max_columns=5):
    n_columns = draw(st.integers(1, max_columns))
    n_rows = draw(st.integers(1, max_rows))
    return np.array([draw(probability_rows(n_columns)) for _ in range(n_rows)], dtype=float)


def as_two_columns(proba):
    """The two-column row a single column stands for (as the defenses read it)."""
    return np.hstack([proba, np.clip(1.0 - proba, 0.0, None)])


def assert_promises(defense, proba, out):
    """Both promises, when made, and the output range."""
    assert np.all((out >= 0) & (out <= 1))
    if defense.keeps_row_sums:
        on_simplex = np.abs(proba.sum(axis=1) - 1) <= 1e-12
        np.testing.assert_allclose(out[on_simplex].sum(axis=1), 1.0, atol=1e-9)
    if defense.keeps_argmax:
        rows = np.arange(len(proba))
        first_argmax = proba.argmax(axis=1)
        assert np.all(out[rows, first_argmax] == out.max(axis=1)), (proba, out)


@pytest.mark.parametrize("defense", PROBABILITY_DEFENSES, ids=_ids(PROBABILITY_DEFENSES))
@settings(max_examples=40, deadline=None)
@given(proba=probability_matrices())
def test_probability_defense_properties(defense, proba):
    original = proba.copy()
    out = defense.fit(proba).transform(proba)
    np.testing.assert_array_equal(proba, original)  # input not mutated
    assert out.shape == proba.shape and out.dtype == np.float64
    assert np.all(np.isfinite(out))

    if proba.shape[1] == 1:
        # A single column is the first column of the defended pair (p, 1 - p); the promises
        # are about that pair.
        pair = as_two_columns(proba)
        pair_out = clone(defense).fit(pair).transform(pair)
        np.testing.assert_array_equal(out, pair_out[:, :1])
        assert_promises(defense, pair, pair_out)
    else:
        assert_promises(defense, proba, out)

    # Deterministic, and row by row: the same row gets the same answer in another call, in
    # another order and in another batch.
    np.testing.assert_array_equal(defense.transform(proba), out)
    reverse = np.arange(len(proba))[::-1]
    np.testing.assert_array_equal(defense.transform(proba[reverse]), out[reverse])
    other_rows = np.full((2, proba.shape[1]), 1.0 / proba.shape[1])
    batch = np.vstack([other_rows, proba])
    np.testing.assert_array_equal(defense.transform(batch)[2:], out)


@pytest.mark.parametrize("defense", PROBABILITY_DEFENSES, ids=_ids(PROBABILITY_DEFENSES))
def test_frame_input_keeps_index_and_class_columns(defense):
    proba = pd.DataFrame(
        [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.3, 0.4, 0.3]],
        columns=["cat", "dog", "fish"],
        index=[10, 20, 30],
    )
    defense = clone(defense).set_output(transform="pandas")
    out = defense.fit_transform(proba)
    assert isinstance(out, pd.DataFrame)
    assert list(out.columns) == ["cat", "dog", "fish"]
    assert list(out.index) == [10, 20, 30]
    plain = type(defense)(**defense.get_params())  # default output, unfitted
    np.testing.assert_array_equal(out.to_numpy(), plain.transform(proba.to_numpy()))
    assert list(defense.get_feature_names_out()) == ["cat", "dog", "fish"]
    with pytest.raises(ValueError, match="feature names"):  # columns in another order
        defense.transform(proba[["dog", "cat", "fish"]])


def test_float32_and_int_inputs_give_float64():
    out = RoundProbabilities().fit_transform(np.array([[0.62, 0.38]], dtype=np.float32))
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, [[0.6, 0.4]])
    assert LabelOnly().fit_transform(np.array([[0, 1]])).dtype == np.float64


# --------------------------------------------------------------------------------------------
# Counterexamples: a promise that is False really fails for the default settings
# --------------------------------------------------------------------------------------------

ROW_SUM_COUNTEREXAMPLES = {
    RoundProbabilities: [[1 / 3, 1 / 3, 1 / 3]],  # (0.3, 0.3, 0.3)
    CoarsenProbabilities: [[0.5, 0.5]],  # (0.55, 0.55)
    TopK: [[0.5, 0.3, 0.2]],  # (0.5, 0, 0)
    ConfidenceThreshold: [[0.5, 0.3, 0.2]],  # (0.5, 0.3, 0)
}

ARGMAX_COUNTEREXAMPLES = {
    # Tiny probabilities are pushed up by almost beta / 2: the 0 ends up largest.
    ReverseSigmoid: [[0.34, 0.33, 0.33, 0.0]],
}


@pytest.mark.parametrize("cls", PROBABILITY_DEFENSE_CLASSES)
def test_false_row_sum_promise_has_a_counterexample(cls):
    defense = cls()
    if defense.keeps_row_sums:
        assert cls not in ROW_SUM_COUNTEREXAMPLES
        return
    proba = np.array(ROW_SUM_COUNTEREXAMPLES[cls])
    assert proba.sum() == pytest.approx(1.0)
    out = defense.fit_transform(proba)
    assert abs(out.sum() - 1) > 0.05


@pytest.mark.parametrize("cls", PROBABILITY_DEFENSE_CLASSES)
def test_false_argmax_promise_has_a_counterexample(cls):
    defense = cls()
    if defense.keeps_argmax:
        assert cls not in ARGMAX_COUNTEREXAMPLES and cls is not GaussianNoise
        return
    if cls is GaussianNoise:
        # Close pairs: the noise swaps some of them.
        offsets = np.arange(1, 201) * 1e-6
        proba = np.column_stack([0.51 + offsets, 0.49 - offsets])
    else:
        proba = np.array(ARGMAX_COUNTEREXAMPLES[cls])
    out = defense.fit_transform(proba)
    flipped = out[np.arange(len(proba)), proba.argmax(axis=1)] < out.max(axis=1)
    assert flipped.any()


@pytest.mark.parametrize("cls", PREDICTION_DEFENSE_CLASSES)
def test_prediction_defenses_make_no_probability_promise(cls):
    defense = cls()
    assert defense.keeps_row_sums is False and defense.keeps_argmax is False
    predictions = np.array([[-3.7, 120.2], [0.0, 5.5]])  # any finite values
    out = defense.fit_transform(predictions)
    assert out.shape == predictions.shape and out.dtype == np.float64


# --------------------------------------------------------------------------------------------
# Specific behaviours
# --------------------------------------------------------------------------------------------


def test_round_zero_decimals_and_grid():
    proba = np.array([[0.62, 0.38], [0.123, 0.877]])
    np.testing.assert_array_equal(
        RoundProbabilities(decimals=0).fit_transform(proba), [[1.0, 0.0], [0.0, 1.0]]
    )
    np.testing.assert_allclose(
        RoundProbabilities(step=0.05).fit_transform(proba), [[0.6, 0.4], [0.1, 0.9]]
    )
    # step replaces decimals
    np.testing.assert_allclose(
        RoundProbabilities(decimals=3, step=0.25).fit_transform(proba),
        [[0.5, 0.5], [0.0, 1.0]],
    )
    # A grid that overshoots 1 (1 / 0.4 = 2.5 -> 3 steps of 0.4) is clipped to 1.
    assert RoundProbabilities(step=0.4).fit_transform([[1.0, 0.0]]).tolist() == [[0.8, 0.0]]
    assert RoundProbabilities(step=0.6).fit_transform([[1.0, 0.0]]).tolist() == [[1.0, 0.0]]


def test_round_renormalize_and_the_all_zero_row():
    proba = np.array([[0.4, 0.3, 0.3], [1 / 3, 1 / 3, 1 / 3], [0.7, 0.2, 0.1]])
    out = RoundProbabilities(decimals=0, renormalize=True).fit_transform(proba)
    np.testing.assert_allclose(out, [[1 / 3] * 3, [1 / 3] * 3, [1.0, 0.0, 0.0]])
    out = RoundProbabilities(decimals=1, renormalize=True).fit_transform(proba)
    np.testing.assert_allclose(out[1], [1 / 3] * 3)
    np.testing.assert_allclose(out.sum(axis=1), 1.0)
    # Without renormalisation the zero row stays zero (no NaN).
    out = RoundProbabilities(decimals=0).fit_transform(proba)
    np.testing.assert_array_equal(out[0], [0.0, 0.0, 0.0])


def test_coarsen_midpoints_custom_bins_and_monotonicity():
    values = np.array([[0.0, 0.05, 0.1, 0.55, 0.99, 1.0, 3.0]])
    np.testing.assert_allclose(
        CoarsenProbabilities(n_bins=10).fit_transform(values),
        [[0.05, 0.05, 0.15, 0.55, 0.95, 0.95, 0.95]],
    )
    np.testing.assert_allclose(
        CoarsenProbabilities(bins=[0.2, 0.5, 1.0]).fit_transform(values),
        [[0.35, 0.35, 0.35, 0.75, 0.75, 0.75, 0.75]],
    )
    grid = np.linspace(0, 1, 1001)[None, :]
    for defense in (CoarsenProbabilities(n_bins=7), CoarsenProbabilities(bins=[0, 0.1, 0.7, 1])):
        assert np.all(np.diff(defense.fit_transform(grid)) >= 0)
    assert CoarsenProbabilities(n_bins=1).fit_transform([[0.2, 0.8]]).tolist() == [[0.5, 0.5]]


@pytest.mark.parametrize(
    "bins", [[0.5], [0.0, 0.5, 0.5, 1.0], [0.0, 0.7, 0.3], [-0.1, 1.0], [0.0, 1.5], [[0, 1]]]
)
def test_coarsen_rejects_bad_edges(bins):
    with pytest.raises(ValueError, match="strictly increasing edges"):
        CoarsenProbabilities(bins=bins).fit([[0.5, 0.5]])
    with pytest.raises(ValueError, match="strictly increasing edges"):
        CoarsenProbabilities(bins=bins).transform([[0.5, 0.5]])


def test_top_k_ties_lowest_index_and_exactly_k():
    proba = np.array([[0.3, 0.3, 0.3, 0.1], [0.1, 0.3, 0.3, 0.3], [0.25, 0.25, 0.25, 0.25]])
    out = TopK(k=2).fit_transform(proba)
    np.testing.assert_array_equal(
        out, [[0.3, 0.3, 0.0, 0.0], [0.0, 0.3, 0.3, 0.0], [0.25, 0.25, 0.0, 0.0]]
    )
    assert (np.count_nonzero(out, axis=1) == 2).all()
    np.testing.assert_array_equal(TopK(k=10).fit_transform(proba), proba)  # k > columns
    # Many columns (numpy sorts short rows stably whatever the algorithm).
    wide = np.r_[np.full(30, 0.02), np.full(10, 0.04)][None, :]
    np.testing.assert_array_equal(np.flatnonzero(TopK(k=5).fit_transform(wide)), range(30, 35))
    kept = np.flatnonzero(TopK(k=12).fit_transform(wide))
    np.testing.assert_array_equal(kept, [0, 1] + list(range(30, 40)))
    np.testing.assert_allclose(
        TopK(k=2, renormalize=True).fit_transform(proba)[0], [0.5, 0.5, 0.0, 0.0]
    )
    np.testing.assert_array_equal(TopK(renormalize=True).fit_transform([[0.0, 0.0]]), [[0, 0]])


def test_label_only_is_right_for_batches():
    # ART's ClassLabels writes out[:, argmax] = 1 and gives [[1, 1], [1, 1]] here.
    out = LabelOnly().fit_transform(np.array([[0.9, 0.1], [0.2, 0.8]]))
    np.testing.assert_array_equal(out, [[1.0, 0.0], [0.0, 1.0]])
    assert (out.sum(axis=1) == 1).all()
    proba = np.random.default_rng(0).dirichlet(np.ones(5), size=200)
    out = LabelOnly().fit_transform(proba)
    assert (out.sum(axis=1) == 1).all() and (out.argmax(axis=1) == proba.argmax(axis=1)).all()
    # A single column is thresholded at 1/2, ties to the positive class.
    np.testing.assert_array_equal(
        LabelOnly().fit_transform([[0.2], [0.5], [0.9]]), [[0.0], [1.0], [1.0]]
    )


@settings(max_examples=40, deadline=None)
@given(proba=probability_matrices(), cutoff=st.floats(0, 1))
def test_confidence_threshold_never_returns_a_zero_row(proba, cutoff):
    if proba.shape[1] == 1:  # the first column of (p, 1 - p) may be 0; the pair is not
        proba = as_two_columns(proba)
    for renormalize in (False, True):
        out = ConfidenceThreshold(cutoff=cutoff, renormalize=renormalize).fit_transform(proba)
        assert (out.max(axis=1) > 0).all()
        kept = out > 0
        assert (kept <= (proba > 0)).all()  # never creates mass


def test_confidence_threshold_keeps_maximum_and_values_above_cutoff():
    proba = np.array([[0.5, 0.3, 0.2], [0.2, 0.2, 0.2], [0.1, 0.45, 0.45]])
    out = ConfidenceThreshold(cutoff=0.5).fit_transform(proba)
    np.testing.assert_array_equal(out, [[0.5, 0.0, 0.0], [0.2, 0.2, 0.2], [0.0, 0.45, 0.45]])
    out = ConfidenceThreshold(cutoff=0.25, renormalize=True).fit_transform(proba)
    np.testing.assert_allclose(out[0], [0.625, 0.375, 0.0])


# -- ReverseSigmoid ----------------------------------------------------------------------------


def _sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def test_reverse_sigmoid_matches_the_formula_by_hand():
    # beta = 1, gamma = 0.1, p = (0.9, 0.1): r(0.9) = sigmoid(0.1 * ln 9) - 1/2 = 0.0547...
    r = _sigmoid(0.1 * math.log(0.9 / 0.1)) - 0.5
    assert r == pytest.approx(0.054711, abs=1e-6)
    q = [0.9 - r, 0.1 + r]  # r(0.1) = -r(0.9); q sums to 1 already
    out = ReverseSigmoid(beta=1.0, gamma=0.1).fit_transform(np.array([[0.9, 0.1]]))
    np.testing.assert_allclose(out, [q], rtol=1e-12)
    np.testing.assert_allclose(out, [[0.845289, 0.154711]], atol=1e-6)
    # Single column: the pair (p, 1 - p), first column.
    single = ReverseSigmoid(beta=1.0, gamma=0.1).fit_transform(np.array([[0.9], [0.1]]))
    np.testing.assert_allclose(single, [[q[0]], [q[1]]], rtol=1e-12)


#: ReverseSigmoid clips p to [1e-9, 1 - 1e-9] inside the logit, as its docstring says (after Lee
#: et al. and ART).
REVERSE_SIGMOID_CLIP = 1e-9


def _reverse_sigmoid_reference(proba, beta, gamma):
    """ART's formula, written out independently (multi-column case)."""
    clipped = np.clip(proba, REVERSE_SIGMOID_CLIP, 1 - REVERSE_SIGMOID_CLIP)
    shift = beta * (1 / (1 + np.exp(-gamma * np.log(clipped / (1 - clipped)))) - 0.5)
    perturbed = np.clip(proba - shift, 0, 1)
    return perturbed / perturbed.sum(axis=1, keepdims=True)


@settings(max_examples=40, deadline=None)
@given(
    proba=probability_matrices(max_columns=6).filter(lambda p: p.shape[1] > 1),
    beta=st.floats(0, 3),
    gamma=st.floats(0.05, 4),
)
def test_reverse_sigmoid_matches_reference_and_promise(proba, beta, gamma):
    defense = ReverseSigmoid(beta=beta, gamma=gamma)
    out = defense.fit_transform(proba)
    reference = _reverse_sigmoid_reference(proba, beta, gamma)
    usable = np.isfinite(reference).all(axis=1)  # the reference divides by zero for empty rows
    # The arg-max lift only removes rounding: the output is the formula to 1e-12.
    np.testing.assert_allclose(out[usable], reference[usable], atol=1e-12, rtol=0)
    assert_promises(defense, proba, out)


def _reverse_sigmoid_map(p, beta, gamma):
    clipped = np.clip(p, REVERSE_SIGMOID_CLIP, 1 - REVERSE_SIGMOID_CLIP)
    return p - beta * (expit(gamma * logit(clipped)) - 0.5)


# Around the whole range: the clipped ends, a fine grid in logit space, and scores above 1.
_P_GRID = np.unique(
    np.concatenate(
        [
            np.linspace(0, 2e-9, 41),
            expit(np.linspace(-21, 21, 200_001)),
            np.linspace(1 - 2e-9, 1.5, 41),
        ]
    )
)


@pytest.mark.parametrize(
    "beta, gamma, keeps",
    [
        (1.0, 0.1, False),  # the defaults
        (0.6, 2.0, False),  # beta * gamma = 1.2 > 1: flips near 1/2
        (1.2, 1.0, False),
        (2.0, 0.5, False),
        (1e-3, 0.5, False),  # beta * gamma small, but gamma < 1 lets the clipped ends decrease
        (7e-5, 0.5, False),
        (0.5, 1.5, True),
        (0.4, 2.0, True),
        (1.0, 1.0, True),  # beta * gamma = 1: flat around 1/2, never decreasing
        (5e-5, 0.5, True),
        (0.0, 0.3, True),  # no perturbation
    ],
)
def test_reverse_sigmoid_argmax_condition(beta, gamma, keeps):
    """keeps_argmax is True exactly when the map p -> p - r(p) never decreases."""
    defense = ReverseSigmoid(beta=beta, gamma=gamma)
    assert defense.keeps_argmax is keeps
    values = _reverse_sigmoid_map(_P_GRID, beta, gamma)
    steps = np.diff(values)
    if keeps:
        assert steps.min() >= -1e-15  # non-decreasing up to rounding
        return
    # Find the steepest decrease with both values inside (0, 1), and show it flips a row.
    inside = (values[:-1] > 0) & (values[:-1] < 1) & (values[1:] > 0) & (values[1:] < 1)
    where = np.argmin(np.where(inside, steps, np.inf))
    assert steps[where] < -1e-14  # about 100 ulps of the values near 1: not rounding
    lower, higher = _P_GRID[where], _P_GRID[where + 1]
    out = defense.fit_transform(np.array([[higher, lower]]))
    assert out[0, 0] < out[0, 1]


def test_reverse_sigmoid_flips_a_close_binary_row_when_beta_gamma_exceeds_one():
    epsilon = 1e-3
    proba = np.array([[0.5 + epsilon, 0.5 - epsilon]])
    assert ReverseSigmoid(beta=0.9, gamma=1.0).fit_transform(proba).argmax() == 0
    assert ReverseSigmoid(beta=1.1, gamma=1.0).fit_transform(proba).argmax() == 1


def test_reverse_sigmoid_lift_makes_near_ties_exact():
    # beta * gamma = 1 with gamma = 1 maps every value to 1/2 up to rounding: the first
    # arg-max must still be maximal.
    rng = np.random.default_rng(0)
    base = rng.uniform(0.05, 0.5, size=500)
    proba = np.column_stack([np.nextafter(base, 1), base])
    out = ReverseSigmoid(beta=1.0, gamma=1.0).fit_transform(proba)
    assert (out[:, 0] >= out[:, 1]).all()
    np.testing.assert_allclose(out, 0.5, atol=1e-12)


def test_reverse_sigmoid_empty_row_becomes_uniform():
    # Scores above 1 with a large beta: 3 - 10 * (1/2 - 1e-9) < 0, and so on; all clip to 0.
    out = ReverseSigmoid(beta=10.0, gamma=1.0).fit_transform(np.array([[3.0, 2.0, 4.0]]))
    np.testing.assert_allclose(out, [[1 / 3] * 3])


# -- noise -------------------------------------------------------------------------------------


def _near_half_pairs(n):
    """n distinct rows (1/2 + d, 1/2 - d): renormalised noise there is (e1 - e2) / 2."""
    offsets = np.arange(n) * 1e-9
    return np.column_stack([0.5 + offsets, 0.5 - offsets])


@pytest.mark.parametrize("per_record", [True, False])
@pytest.mark.parametrize("scale", [0.01, 0.03])
def test_gaussian_noise_has_the_requested_scale(scale, per_record):
    proba = _near_half_pairs(4000)
    out = GaussianNoise(scale=scale, random_state=3, per_record=per_record).fit_transform(proba)
    change = out[:, 0] - proba[:, 0]
    # First order: (e1 - e2) / 2 has standard deviation scale / sqrt(2); the sample standard
    # deviation of 4000 draws is within 5% with overwhelming probability.
    assert np.std(change) == pytest.approx(scale / math.sqrt(2), rel=0.05)
    assert abs(np.mean(change)) < 4 * scale / math.sqrt(2) / math.sqrt(4000)


def test_averaging_repeated_queries_does_not_remove_per_record_noise():
    proba = np.random.default_rng(2).dirichlet(np.ones(3), size=300)

    def errors(defense):
        answers = np.stack([defense.transform(proba) for _ in range(100)])
        return np.abs(answers[0] - proba).mean(), np.abs(answers.mean(axis=0) - proba).mean()

    one, averaged = errors(GaussianNoise(scale=0.05, random_state=0).fit(proba))
    assert averaged == pytest.approx(one, rel=1e-12)  # identical answers: nothing to average
    # The fresh-noise variant is what an attacker can average away.
    one, averaged = errors(
        GaussianNoise(scale=0.05, random_state=np.random.RandomState(0), per_record=False)
    )
    assert averaged < 0.3 * one


def test_per_record_noise_ignores_batch_and_position():
    rng = np.random.default_rng(3)
    target = rng.dirichlet(np.ones(4), size=1)
    defense = GaussianNoise(scale=0.1, random_state=11)
    alone = defense.transform(target)
    for _ in range(5):
        batch = rng.dirichlet(np.ones(4), size=7)
        position = rng.integers(0, 8)
        batch = np.insert(batch, position, target[0], axis=0)
        np.testing.assert_array_equal(defense.transform(batch)[position], alone[0])
    # A different key gives different noise; None is documented as the key 0.
    assert not np.array_equal(GaussianNoise(random_state=12).transform(target), alone)
    np.testing.assert_array_equal(
        GaussianNoise(random_state=None).transform(target),
        GaussianNoise(random_state=0).transform(target),
    )


def test_per_record_noise_ignores_last_bit_differences_between_batches():
    # A model's output for one record can differ in the last bit with the batch size (BLAS);
    # exact-byte hashing would then give fresh noise to average.
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(5)
    X = rng.normal(size=(300, 6))
    model = LogisticRegression().fit(X, rng.integers(0, 3, 300))
    batch = model.predict_proba(X)
    one_by_one = np.vstack([model.predict_proba(X[i : i + 1]) for i in range(len(X))])
    assert not np.array_equal(batch, one_by_one)  # the premise
    # Same noise: the answers differ only by the inputs' last bits (fresh noise: by ~0.1).
    defense = GaussianNoise(scale=0.1, random_state=0)
    np.testing.assert_allclose(
        defense.transform(batch), defense.transform(one_by_one), rtol=0, atol=1e-14
    )
    # The same for one-ulp changes anywhere, and for predictions of any magnitude.
    proba = rng.dirichlet(np.ones(4), size=1000)
    np.testing.assert_allclose(
        defense.transform(proba), defense.transform(np.nextafter(proba, 1)), rtol=0, atol=1e-14
    )
    predictions = rng.normal(scale=1e6, size=(1000, 2))
    noisy = NoisePredictions(random_state=0)
    np.testing.assert_allclose(
        noisy.transform(predictions) - predictions,
        noisy.transform(np.nextafter(predictions, np.inf)) - predictions,
        rtol=0,
        atol=1e-9,
    )
    # ... while values 1e-6 apart are different records.
    moved = proba + np.array([1e-6, -1e-6, 0.0, 0.0])
    assert not np.isin(defense.transform(proba), defense.transform(moved)).all()


def test_rounding_before_the_noise_gives_nearby_rows_the_same_noise():
    from sklearn.pipeline import make_pipeline

    nearby = np.array([[0.301, 0.699], [0.3012, 0.6988]])
    alone = GaussianNoise(random_state=0).transform(nearby)
    assert not np.array_equal(alone[0], alone[1])
    rounded_first = make_pipeline(RoundProbabilities(decimals=2), GaussianNoise(random_state=0))
    out = rounded_first.fit_transform(nearby)
    np.testing.assert_array_equal(out[0], out[1])


def test_per_record_noise_with_a_random_state_instance_is_repeatable():
    generator = np.random.RandomState(4)
    state_before = generator.get_state()[1].copy()
    defense = GaussianNoise(random_state=generator)
    proba = np.array([[0.3, 0.7], [0.6, 0.4]])
    first = defense.transform(proba)
    np.testing.assert_array_equal(defense.transform(proba), first)
    np.testing.assert_array_equal(clone(defense).transform(proba), first)
    np.testing.assert_array_equal(generator.get_state()[1], state_before)  # not advanced


def test_fresh_noise_differs_between_calls():
    proba = np.array([[0.3, 0.7], [0.6, 0.4]])
    for random_state in (None, np.random.RandomState(0)):
        defense = GaussianNoise(random_state=random_state, per_record=False)
        assert not np.array_equal(defense.transform(proba), defense.transform(proba))
    # An integer seed reproduces the same draws, position by position.
    defense = GaussianNoise(random_state=0, per_record=False)
    np.testing.assert_array_equal(defense.transform(proba), defense.transform(proba))
    assert not np.array_equal(defense.transform(proba[::-1])[::-1], defense.transform(proba))


def test_gaussian_noise_empty_row_becomes_uniform():
    # A huge negative draw is impossible to force, so emulate it: zero scale on a zero row.
    out = GaussianNoise(scale=0.0).fit_transform(np.array([[0.0, 0.0, 0.0], [0.2, 0.8, 0.0]]))
    np.testing.assert_allclose(out, [[1 / 3] * 3, [0.2, 0.8, 0.0]])


def test_noise_predictions_is_per_record_with_the_requested_scale():
    predictions = np.column_stack([np.arange(5000.0), -np.arange(5000.0)])
    defense = NoisePredictions(scale=2.0, random_state=1)
    out = defense.fit_transform(predictions)
    change = out - predictions
    assert np.std(change) == pytest.approx(2.0, rel=0.05)
    assert abs(np.corrcoef(change.T)[0, 1]) < 0.06
    np.testing.assert_array_equal(defense.transform(predictions[::-1]), out[::-1])
    fresh = NoisePredictions(scale=2.0, random_state=None, per_record=False)
    assert not np.array_equal(fresh.transform(predictions), fresh.transform(predictions))


def test_round_predictions():
    predictions = np.array([[1.3, 104.0], [-0.2, 97.6], [7.74, 100.0]])
    np.testing.assert_allclose(
        RoundPredictions(step=0.5).fit_transform(predictions),
        [[1.5, 104.0], [0.0, 97.5], [7.5, 100.0]],
    )
    np.testing.assert_allclose(
        RoundPredictions(step=5).fit_transform(predictions)[:, 1], [105.0, 100.0, 100.0]
    )


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "defense", PROBABILITY_DEFENSES + [RoundPredictions(), NoisePredictions()], ids=repr
)
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_values_are_refused(defense, bad):
    data = np.array([[0.5, 0.5], [bad, 0.5]])
    with pytest.raises(ValueError, match="NaN|infinity"):
        clone(defense).fit(data)
    with pytest.raises(ValueError, match="NaN|infinity"):
        clone(defense).transform(data)


@pytest.mark.parametrize("defense", PROBABILITY_DEFENSES, ids=_ids(PROBABILITY_DEFENSES))
def test_negative_scores_are_refused_with_the_fix(defense):
    scores = np.array([[0.5, 0.5], [2.1, -0.3]])
    for method in ("fit", "transform"):
        with pytest.raises(ValueError, match=r"Negative values.*row 1.*softmax"):
            getattr(clone(defense), method)(scores)


@pytest.mark.parametrize("defense", PROBABILITY_DEFENSES, ids=_ids(PROBABILITY_DEFENSES))
def test_scores_above_one_are_accepted(defense):
    scores = np.array([[3.0, 1.5, 0.0], [0.2, 7.0, 7.0]])
    out = clone(defense).fit_transform(scores)
    assert np.all(np.isfinite(out)) and np.all(out >= 0)
    if defense.keeps_argmax:
        assert out[0, 0] == out[0].max() and out[1, 1] == out[1].max()


def test_one_dimensional_input_is_refused():
    with pytest.raises(ValueError, match="Reshape"):
        RoundPredictions().fit_transform(np.array([1.0, 2.0]))
    with pytest.raises(ValueError, match="Reshape"):
        LabelOnly().transform(np.array([0.2, 0.8]))


def test_column_count_is_checked_after_fit():
    defense = TopK().fit(np.eye(3))
    with pytest.raises(ValueError, match="expecting 3 features"):
        defense.transform(np.eye(4))
    clone(defense).transform(np.eye(4))  # stateless use: any width


@pytest.mark.parametrize(
    "defense",
    [
        RoundProbabilities(decimals=-1),
        RoundProbabilities(step=0.0),
        RoundProbabilities(step=1.5),
        CoarsenProbabilities(n_bins=0),
        TopK(k=0),
        ConfidenceThreshold(cutoff=1.5),
        GaussianNoise(scale=-0.1),
        GaussianNoise(random_state="seed"),
        ReverseSigmoid(gamma=0.0),
        ReverseSigmoid(beta=-1.0),
        RoundPredictions(step=0.0),
        NoisePredictions(per_record="yes"),
    ],
    ids=repr,
)
def test_invalid_parameters_are_refused_in_fit_and_transform(defense):
    proba = np.array([[0.5, 0.5]])
    with pytest.raises(InvalidParameterError):
        clone(defense).fit(proba)
    with pytest.raises(InvalidParameterError):
        clone(defense).transform(proba)


def test_feature_names_out_before_fit():
    with pytest.raises(NotFittedError):
        LabelOnly().get_feature_names_out()
    assert list(LabelOnly().get_feature_names_out(["a", "b"])) == ["a", "b"]
    assert list(LabelOnly().fit(np.eye(2)).get_feature_names_out()) == ["x0", "x1"]

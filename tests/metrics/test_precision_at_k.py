"""Tests for precision_at_k and tail_risk_table: the precision of the attacker's k most
confident inferences, against the imputation baseline's own top k."""

import numpy as np
import pandas as pd
import pytest

from tabinvert.metrics import precision_at_k, tail_risk_table, wilson_interval

# The columns, in order, as the docstrings of precision_at_k and tail_risk_table list them.
PRECISION_AT_K_COLUMNS = (
    "k",
    "n_selected",
    "n_correct",
    "precision",
    "ci_low",
    "ci_high",
    "n_tied_out",
    "base_rate",
    "n",
)
TAIL_RISK_COLUMNS = (
    "attack",
    "k",
    "n_selected",
    "precision",
    "ci_low",
    "ci_high",
    "baseline_precision",
    "baseline_ci_low",
    "baseline_ci_high",
    "difference",
    "n_tied_out",
    "baseline_n_tied_out",
    "base_rate",
    "n",
)

# Eight targets, half holding 1, scored in decreasing order: the top k are the first k.
Y8 = np.array([1, 0, 1, 1, 0, 0, 1, 0])
S8 = np.array([0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2])


# --------------------------------------------------------------------------------------------
# precision_at_k: known answers
# --------------------------------------------------------------------------------------------


def test_known_answers():
    table = precision_at_k(Y8, S8, 1, [1, 2, 3, 5, 8])
    assert list(table.columns) == list(PRECISION_AT_K_COLUMNS)
    assert table["k"].tolist() == [1, 2, 3, 5, 8]
    assert table["n_selected"].tolist() == [1, 2, 3, 5, 8]
    assert table["n_correct"].tolist() == [1, 1, 2, 3, 4]
    assert table["precision"].tolist() == [1.0, 0.5, 2 / 3, 0.6, 0.5]
    assert table["base_rate"].eq(0.5).all() and table["n"].eq(8).all()
    assert table["n_tied_out"].eq(0).all()


def test_order_of_the_records_does_not_matter_without_ties():
    order = np.random.default_rng(0).permutation(8)
    shuffled = precision_at_k(Y8[order], S8[order], 1, [1, 2, 3, 5, 8])
    pd.testing.assert_frame_equal(shuffled, precision_at_k(Y8, S8, 1, [1, 2, 3, 5, 8]))


def test_the_other_value_uses_its_own_scores():
    table = precision_at_k(Y8, 1 - S8, 0, [1, 4])  # most confident in 0: the last records
    assert table["n_correct"].tolist() == [1, 3]  # records 7; 7, 6, 5, 4 hold 0, 1, 0, 0
    assert table["base_rate"].iloc[0] == 0.5


def test_ties_are_broken_by_position():
    y_true = np.array([0, 1, 1, 1, 0])
    scores = np.array([0.5, 0.9, 0.5, 0.5, 0.1])
    # Ranked: record 1 (0.9), then the tied records 0, 2, 3 in their order, then record 4.
    table = precision_at_k(y_true, scores, 1, [1, 2, 3, 4, 5])
    assert table["n_correct"].tolist() == [1, 1, 2, 3, 3]
    assert table["n_tied_out"].tolist() == [0, 2, 1, 0, 0]
    # The same records in another order: the tie is broken the other way.
    reordered = precision_at_k(y_true[[1, 3, 2, 0, 4]], scores[[1, 3, 2, 0, 4]], 1, 2)
    assert reordered["n_correct"].tolist() == [2]
    # The tie rule is the same on every call.
    pd.testing.assert_frame_equal(table, precision_at_k(y_true, scores, 1, [1, 2, 3, 4, 5]))


def test_all_scores_equal_keeps_the_first_records():
    table = precision_at_k(Y8, np.full(8, 0.5), 1, [3, 8])
    assert table["n_correct"].tolist() == [Y8[:3].sum(), 4]
    assert table["n_tied_out"].tolist() == [5, 0]


@pytest.mark.parametrize(
    "n, share, expected",
    [
        (300, 0.01, 3),  # 0.01 * 300 is 3.0000000000000004 in floating point
        (250, 0.01, 3),  # 2.5 rounded up
        (50, 0.01, 1),  # at least one record
        (1000, 1e-9, 1),
        (10, 0.5, 5),
        (10, 0.99, 10),
    ],
)
def test_share_k(n, share, expected):
    rng = np.random.default_rng(n)
    table = precision_at_k(rng.integers(0, 2, n), rng.random(n), 1, share)
    assert table["k"].tolist() == [share]
    assert table["n_selected"].tolist() == [expected]


def test_k_larger_than_the_targets_is_clipped():
    table = precision_at_k(Y8, S8, 1, [100, 8])
    assert table["k"].tolist() == [100, 8]
    assert table["n_selected"].tolist() == [8, 8]
    assert table["precision"].tolist() == [0.5, 0.5]  # everyone: the base rate


def test_mixed_k_keep_their_type():
    table = precision_at_k(Y8, S8, 1, (2, 0.25, np.int64(3)))
    assert table["k"].dtype == object
    assert [type(k) for k in table["k"]] == [int, float, int]
    assert table["n_selected"].tolist() == [2, 2, 3]


@pytest.mark.parametrize("confidence", [0.8, 0.95, 0.99])
def test_wilson_bounds_are_wilson_interval(confidence):
    rng = np.random.default_rng(3)
    y_true = rng.integers(0, 3, 500)
    scores = rng.random(500) + 0.3 * (y_true == 2)
    table = precision_at_k(y_true, scores, 2, [1, 10, 100, 0.5, 500], confidence=confidence)
    low, high = wilson_interval(table["n_correct"], table["n_selected"], confidence=confidence)
    np.testing.assert_array_equal(table["ci_low"].to_numpy(), low)
    np.testing.assert_array_equal(table["ci_high"].to_numpy(), high)
    assert (table["ci_low"] <= table["precision"]).all()
    assert (table["precision"] <= table["ci_high"]).all()


def test_text_values_and_pandas_inputs():
    index = pd.Index([10, 11, 12, 13])
    y_true = pd.Series(["married", "single", "married", "single"], index=index, dtype="str")
    scores = pd.Series([0.2, 0.4, 0.9, 0.1], index=index)
    table = precision_at_k(y_true, scores, "married", [1, 2])
    assert table["n_correct"].tolist() == [1, 1]
    assert table["base_rate"].iloc[0] == 0.5
    as_category = precision_at_k(y_true.astype("category"), scores.to_numpy(), "married", [1, 2])
    pd.testing.assert_frame_equal(as_category, table)


def test_value_held_by_no_record_has_precision_zero():
    table = precision_at_k(Y8, S8, 2, 3)
    assert table["precision"].tolist() == [0.0] and table["base_rate"].tolist() == [0.0]
    assert table["ci_low"].tolist() == [0.0]


def test_boolean_scores_are_numbers():
    table = precision_at_k(Y8, Y8.astype(bool), 1, 4)
    assert table["precision"].tolist() == [1.0]


# --------------------------------------------------------------------------------------------
# precision_at_k: bad input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "k, match",
    [
        (0, r"k=0 selects no record"),
        (-3, r"k=-3 selects no record"),
        (1.5, r"k=1.5 is a float outside \(0, 1\)"),
        (100.0, r"pass an int \(100\)"),
        (0.0, r"k=0.0 is a float outside"),
        (True, "k must be a positive int"),
        ("10", "k must be a positive int"),
        ([], "k is empty"),
        ([10, -1], r"k=-1 selects no record"),
    ],
)
def test_bad_k(k, match):
    with pytest.raises(ValueError, match=match):
        precision_at_k(Y8, S8, 1, k)


def test_bad_scores():
    with pytest.raises(
        ValueError, match=r"scores has 3 missing \(NaN\) score\(s\) \(first at position 0\)"
    ):
        precision_at_k(Y8, np.where(S8 > 0.65, np.nan, S8), 1, 3)
    with pytest.raises(ValueError, match="scores has 7 scores but y_true has 8 values"):
        precision_at_k(Y8, S8[:7], 1, 3)
    with pytest.raises(ValueError, match="scores must hold numbers"):
        precision_at_k(Y8, Y8.astype(str), 1, 3)
    with pytest.raises(ValueError, match="scores must be a single column"):
        precision_at_k(Y8, pd.DataFrame({0: 1 - S8, 1: S8}), 1, 3)
    with pytest.raises(ValueError, match="different indexes"):
        precision_at_k(pd.Series(Y8), pd.Series(S8, index=range(1, 9)), 1, 3)


def test_bad_value_and_truth():
    with pytest.raises(ValueError, match=r"value=1 is a int, but y_true holds values like"):
        precision_at_k(["a", "b"], [0.1, 0.2], 1, 1)
    with pytest.raises(ValueError, match="value is missing"):
        precision_at_k(Y8, S8, np.nan, 1)
    with pytest.raises(ValueError, match="value must be one sensitive value"):
        precision_at_k(Y8, S8, [1], 1)
    with pytest.raises(ValueError, match="y_true has 1 missing value"):
        precision_at_k([1.0, np.nan], [0.1, 0.2], 1.0, 1)
    with pytest.raises(ValueError, match="y_true is empty"):
        precision_at_k([], [], 1, 1)
    with pytest.raises(ValueError, match="confidence"):
        precision_at_k(Y8, S8, 1, 1, confidence=1.5)


# --------------------------------------------------------------------------------------------
# tail_risk_table
# --------------------------------------------------------------------------------------------


def test_table_known_answers():
    baseline = np.full(8, 0.5)  # every record alike: the first k records
    attacks = {"perfect": Y8.astype(float), "ranked": S8}
    table = tail_risk_table(Y8, attacks, baseline, 1, ks=[2, 4])
    assert list(table.columns) == list(TAIL_RISK_COLUMNS)
    assert table["attack"].tolist() == ["perfect", "perfect", "ranked", "ranked"]
    assert table["k"].tolist() == [2, 4, 2, 4]
    assert table["precision"].tolist() == [1.0, 1.0, 0.5, 0.75]
    assert table["baseline_precision"].tolist() == [0.5, 0.75] * 2  # records 0-1, 0-3
    assert table["difference"].tolist() == [0.5, 0.25, 0.0, 0.0]
    assert table["baseline_n_tied_out"].tolist() == [6, 4] * 2
    assert table["n_tied_out"].tolist() == [2, 0, 0, 0]  # four records score 1.0
    # Each half is precision_at_k's row.
    ranked = precision_at_k(Y8, S8, 1, [2, 4])
    rows = table[table["attack"] == "ranked"].reset_index(drop=True)
    for column in ("n_selected", "precision", "ci_low", "ci_high", "base_rate", "n"):
        assert rows[column].tolist() == ranked[column].tolist()
    base = precision_at_k(Y8, baseline, 1, [2, 4])
    assert rows["baseline_ci_low"].tolist() == base["ci_low"].tolist()
    assert rows["baseline_ci_high"].tolist() == base["ci_high"].tolist()


def test_table_default_ks_on_a_small_population():
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, 50)
    table = tail_risk_table(y_true, [rng.random(50), rng.random(50)], rng.random(50), 1)
    assert table["attack"].tolist() == [0, 0, 0, 1, 1, 1]
    assert table["k"].tolist() == [10, 100, 0.01] * 2
    assert table["n_selected"].tolist() == [10, 50, 1] * 2  # 100 clipped to the 50 targets


def test_table_accepts_a_dataframe_of_scores():
    frame = pd.DataFrame({"a": S8, "b": 1 - S8})
    from_frame = tail_risk_table(Y8, frame, np.full(8, 0.5), 1, ks=3)
    from_dict = tail_risk_table(Y8, {"a": S8, "b": 1 - S8}, np.full(8, 0.5), 1, ks=3)
    pd.testing.assert_frame_equal(from_frame, from_dict)


def test_table_bad_input():
    baseline = np.full(8, 0.5)
    with pytest.raises(ValueError, match=r"attack_scores\['b'\] has 1 missing \(NaN\) score"):
        tail_risk_table(Y8, {"a": S8, "b": np.append(S8[:7], np.nan)}, baseline, 1)
    with pytest.raises(ValueError, match=r"attack_scores\['a'\] has 7 scores"):
        tail_risk_table(Y8, {"a": S8[:7]}, baseline, 1)
    with pytest.raises(ValueError, match="baseline_scores has 2 missing"):
        tail_risk_table(Y8, {"a": S8}, np.where(S8 > 0.75, np.nan, S8), 1)
    with pytest.raises(ValueError, match="attack_scores is empty"):
        tail_risk_table(Y8, {}, baseline, 1)
    with pytest.raises(ValueError, match="ks is empty"):
        tail_risk_table(Y8, {"a": S8}, baseline, 1, ks=[])
    with pytest.raises(ValueError, match=r"ks=0 selects no record"):
        tail_risk_table(Y8, {"a": S8}, baseline, 1, ks=[10, 0])

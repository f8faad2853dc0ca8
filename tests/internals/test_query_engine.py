"""The query engine builds exactly what the model expects and answers the same however chunked.

These tests call the private query engine directly (see README.md in this folder): the records
it completes, their dtypes and column order, and how it splits a grid into calls are what every
attack relies on, and no attack shows them. The attacks' answers under chunking and parallel
backends are tested through them in tests/attacks/ and tests/query/.
"""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, RegressorMixin

from tabinvert._query import RecordLayout, query_candidates
from tabinvert._validation import candidate_array, make_layout, split_known


class RecordingModel(RegressorMixin, BaseEstimator):
    """Answers with a checksum of each row (two outputs), and remembers every frame it was sent.

    A regressor: the query engine refuses checksums as probabilities (they are not)."""

    def fit(self, X, y=None):
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.seen_ = []
        return self

    def predict(self, X):
        self.seen_.append(X)
        code = X["age"].to_numpy(float) * 1000 + X["group"].cat.codes.to_numpy()
        return np.column_stack([code, -code])


@pytest.fixture
def frame():
    return pd.DataFrame(
        {
            "age": np.arange(7, dtype=float),
            "group": pd.Categorical(list("abcabca"), categories=["a", "b", "c"]),
            "city": pd.Series(list("xyzxyzx"), dtype="str"),
        }
    )


def test_completed_records_have_model_order_dtypes_and_layout(frame):
    model = RecordingModel().fit(frame[["city", "group", "age"]])
    layout = make_layout(model, frame[["city", "group", "age"]], "group")
    known, _ = split_known(layout, frame)
    candidates = candidate_array(layout, ["c", "a"])
    outputs, cost = query_candidates(model, layout, known, candidates, response_method="predict")
    sent = model.seen_[0]
    assert list(sent.columns) == ["city", "group", "age"]
    assert isinstance(sent["group"].dtype, pd.CategoricalDtype)
    assert list(sent["group"].cat.categories) == ["a", "b", "c"]
    assert pd.api.types.is_string_dtype(sent["city"].dtype)
    # Record-major: row i*k + j is record i with candidate j.
    assert sent["age"].tolist() == [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6]
    assert sent["group"].tolist() == ["c", "a"] * 7
    assert outputs.shape == (7, 2, 2)
    np.testing.assert_array_equal(outputs[3, :, 0], [3002, 3000])
    assert (cost.rows, cost.calls) == (14, 1)


@pytest.mark.parametrize("max_rows", [2, 3, 5, 100])
@pytest.mark.parametrize("n_jobs", [1, 2])
def test_chunking_and_parallelism_do_not_change_the_answer(frame, max_rows, n_jobs):
    model = RecordingModel().fit(frame)
    layout = make_layout(model, frame, "group")
    known, _ = split_known(layout, frame)
    candidates = candidate_array(layout, ["a", "b", "c"])
    reference, _ = query_candidates(model, layout, known, candidates, response_method="predict")
    outputs, cost = query_candidates(
        model,
        layout,
        known,
        candidates,
        max_rows_per_call=max_rows,
        n_jobs=n_jobs,
        response_method="predict",
    )
    np.testing.assert_array_equal(outputs, reference)
    per_call = max(1, max_rows // 3)  # whole records only: k = 3 rows each
    assert cost.calls == -(-7 // per_call)
    assert cost.rows == 21


def test_array_layout_inserts_the_candidate_at_its_position():
    class Echo:
        def predict(self, X):
            return X @ np.array([1.0, 10.0, 100.0])

    layout = RecordLayout(columns=(0, 1, 2), sensitive=1, is_frame=False, array_dtype=float)
    known = np.array([[1.0, 2.0], [3.0, 4.0]])
    outputs, _ = query_candidates(
        Echo(), layout, known, np.array([5.0, 6.0]), response_method="predict"
    )
    np.testing.assert_array_equal(outputs[:, :, 0], [[251, 261], [453, 463]])


def test_empty_input_is_refused():
    layout = RecordLayout(columns=(0, 1), sensitive=1, is_frame=False, array_dtype=float)
    with pytest.raises(ValueError, match="at least one record"):
        query_candidates(None, layout, np.empty((0, 1)), np.array([1.0, 2.0]))

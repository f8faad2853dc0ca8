"""The query engine answers the same on any joblib backend: one process, loky, a dask cluster.

dask is an optional extra (``pip install "dask[distributed]"``). Without it this module skips,
except in CI, which installs it for this test: there a missing dask fails the run instead of
hiding the test (as the root ``conftest.py`` does for the real datasets).
"""

import os

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from joblib import parallel_config
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tabinvert.attacks import ConfidenceInversion

if os.environ.get("CI"):
    try:
        import distributed
    except ImportError as exc:
        raise ImportError(
            "CI must install dask[distributed] for tests/query/test_parallel_backends.py "
            "(pip install 'dask[distributed]'); it is not installed."
        ) from exc
else:
    distributed = pytest.importorskip("distributed", reason="dask[distributed] not installed")


@pytest.fixture(scope="module")
def dask_client():
    """A two-worker local cluster, closed (workers, scheduler, client) after the module."""
    # Worker processes (the model and the records are pickled, as on a real cluster); the
    # scheduler's HTTP server on a free port (":0"): its default, 8787, warns when taken.
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",
    )
    client = distributed.Client(cluster)
    try:
        yield client
    finally:
        client.close()
        cluster.close()


@pytest.fixture(scope="module")
def target():
    """A pipeline on a frame with a text sensitive column, and targets with their labels."""
    X, y = xor_population(900, seed=4, n_values=3, text_dtype="str")
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["secret"]), remainder="passthrough"),
        RandomForestClassifier(30, random_state=0),
    ).fit(X[:600], y[:600])
    return model, X, y


@pytest.mark.parametrize("method", ["map", "csmia"])
def test_dask_loky_and_one_process_give_identical_output(target, dask_client, method):
    model, X, y = target
    # 3 candidates and at most 40 rows a call: 13 records a call, 24 calls over 300 targets,
    # split into as many tasks as there are workers.
    common = dict(method=method, max_rows_per_call=40, random_state=0)
    X_aux, y_aux, X_t, y_t = X[600:], y[600:], X[:300], y[:300]

    def run(n_jobs):
        attack = ConfidenceInversion(model, "secret", n_jobs=n_jobs, **common).fit(X_aux, y_aux)
        return attack.attack_proba(X_t, y_t), attack.attack(X_t, y_t), attack.last_query_cost_

    one_proba, one_guesses, one_cost = run(1)
    loky_proba, loky_guesses, loky_cost = run(2)
    with parallel_config(backend="dask"), distributed.get_task_stream(dask_client) as stream:
        dask_proba, dask_guesses, dask_cost = run(None)  # None: one task per dask worker
    # The dask run really went through the cluster: its workers ran the query tasks, and only
    # those (the pipeline's ColumnTransformer ran inside them, not as nested cluster tasks).
    keys = [str(task["key"]) for task in stream.data]
    assert keys and all("_query_blocks" in key for key in keys), keys

    assert one_cost.calls == 24 and one_cost == loky_cost == dask_cost
    pd.testing.assert_frame_equal(loky_proba, one_proba, check_exact=True)
    pd.testing.assert_frame_equal(dask_proba, one_proba, check_exact=True)
    pd.testing.assert_series_equal(loky_guesses, one_guesses)
    pd.testing.assert_series_equal(dask_guesses, one_guesses)
    assert np.mean(one_guesses == X_t["secret"]) > 0.9  # and the attack works

"""Shared fixtures: the data home and small populations with a known answer."""

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "datasets"

# Tests read real datasets from the data home; in a checkout beside shared/ that is the copy there.
if "TABINVERT_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["TABINVERT_DATA"] = str(SHARED_DATA)


def pytest_collection_modifyitems(config, items):
    """Real-data tests skip on a user's machine without the data, but fail in CI."""
    home = os.environ.get("TABINVERT_DATA")
    if home and Path(home).is_dir():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            "CI must point TABINVERT_DATA at the shared datasets; it is unset or missing.")
    skip = pytest.mark.skip(reason="real datasets not found: set TABINVERT_DATA")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(params=["object", "str"])
def text_dtype(request):
    """Text columns as pandas 2 stores them (object) and as pandas 3 does (str)."""
    return request.param


def xor_population(n, seed=0, n_values=2, text_dtype=None):
    """The label is a deterministic function of a known feature and the sensitive value.

    ``y = (known + secret) mod n_values``: a model that learned it reveals ``secret`` to anyone
    who knows ``known`` and ``y``, while ``secret`` is independent of ``known`` (imputation
    without the label is at chance).
    """
    rng = np.random.default_rng(seed)
    known = rng.integers(0, n_values, n)
    secret = rng.integers(0, n_values, n)
    noise = rng.normal(size=n)
    X = pd.DataFrame({"known": known, "noise": noise, "secret": secret})
    if text_dtype is not None:
        X["secret"] = pd.Series([f"v{v}" for v in secret], dtype=text_dtype)
    y = (known + secret) % n_values
    return X, y

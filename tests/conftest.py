"""Shared fixtures: small populations with a known answer."""

import numpy as np
import pandas as pd
import pytest


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

"""Shared fixtures and helpers: small populations with a known answer, and the checks of the
hostile-input tests (the exact error raised, the caller's frames kept)."""

import contextlib
import re
import sys

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


@contextlib.contextmanager
def refused(cls, *fragments):
    """Expect exactly ``cls`` (not a subclass) with every fragment in its message."""
    with pytest.raises(cls) as info:
        yield info
    assert type(info.value) is cls, f"{type(info.value).__name__} raised, not {cls.__name__}"
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in the message: {message}"


@contextlib.contextmanager
def frames_kept(*frames):
    """The caller's DataFrames are unchanged after the block (raising or not)."""
    copies = [frame.copy() for frame in frames]
    try:
        yield
    finally:
        for before, after in zip(copies, frames):
            pd.testing.assert_frame_equal(after, before)


def report_recommendations(page):
    """The recommendations of a rendered report, in reading order: the HTML of each item of its
    "Recommendations" list."""
    start = page.index('<section id="recommendations">')
    section = page[start : page.index("</section>", start)]
    advice = section[section.index('<ol class="advice">') : section.rindex("</ol>")]
    return re.findall(r"<li>(.*?)</li>\n", advice, flags=re.S)


#: What the report imports to draw its figures.
MATPLOTLIB_MODULES = (
    "matplotlib",
    "matplotlib.figure",
    "matplotlib.backends",
    "matplotlib.backends.backend_agg",
)


def hide_matplotlib(monkeypatch):
    """Make matplotlib unimportable for the rest of the test, as when it is not installed."""
    for module in MATPLOTLIB_MODULES:
        monkeypatch.setitem(sys.modules, module, None)

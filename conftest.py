"""Root pytest configuration: point the data home at the shared datasets for every test and
doctest, and make real-data tests fail (not skip) in CI when the data is missing."""

import os
from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parent.parent / "shared" / "datasets"

if "TABINVERT_DATA" not in os.environ and SHARED_DATA.is_dir():
    os.environ["TABINVERT_DATA"] = str(SHARED_DATA)


def pytest_collection_modifyitems(config, items):
    # The loaders' doctests read the real datasets: they are data tests like any other.
    for item in items:
        if item.path.name == "_loaders.py" and item.name.rpartition(".")[2].startswith("load_"):
            item.add_marker(pytest.mark.data)
    home = os.environ.get("TABINVERT_DATA")
    if home and Path(home).is_dir():
        return
    if os.environ.get("CI"):
        raise pytest.UsageError(
            "CI must point TABINVERT_DATA at the shared datasets; it is unset or missing."
        )
    skip = pytest.mark.skip(reason="real datasets not found: set TABINVERT_DATA")
    for item in items:
        if "data" in item.keywords:
            item.add_marker(skip)

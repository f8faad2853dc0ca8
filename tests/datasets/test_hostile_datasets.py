"""Hostile and malformed inputs to the dataset loaders (issue 12 §6): a bad data home, a file
where a folder should be, corrupt files, bad arguments. Every case asserts the *exact* error
class and that the message names the path and the fix."""

import time
import urllib.error
import urllib.request

import pytest
from conftest import refused
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert.datasets import (
    DatasetChecksumError,
    DatasetDownloadError,
    DatasetNotFoundError,
    get_data_home,
    load_adult,
    load_gss,
    load_heart,
)


# --------------------------------------------------------------------------------------------
# Datasets with a bad data home
# --------------------------------------------------------------------------------------------

HEART_CLEAN = "heart_cleveland/heart_cleveland_clean.csv"


@pytest.fixture
def offline(monkeypatch):
    """No network: every download fails at once (and the tests never touch the internet).

    Every request the loaders make goes through ``urllib.request.urlopen``; here it fails as an
    unreachable network does, and the pause between retries is skipped."""
    calls = []

    def unreachable(request, timeout=None):
        calls.append(request.full_url)
        raise urllib.error.URLError("network is unreachable (test)")

    monkeypatch.setattr(urllib.request, "urlopen", unreachable)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    return calls


def test_data_home_empty_folder(tmp_path, offline):
    with refused(
        DatasetNotFoundError,
        str(tmp_path / HEART_CLEAN),
        "download_if_missing=True",
        "TABINVERT_DATA",
    ):
        load_heart(data_home=tmp_path, download_if_missing=False)
    assert offline == []


def test_data_home_empty_folder_unlicensed_dataset(tmp_path, offline):
    with refused(
        DatasetNotFoundError,
        str(tmp_path / "gss_mehnaz2022/GSS_15235.csv"),
        "not downloaded automatically",
        "GSS",
    ):
        load_gss(data_home=tmp_path)


def test_data_home_empty_folder_offline_download(tmp_path, offline):
    with refused(
        DatasetDownloadError,
        "network is unreachable",
        "archive.ics.uci.edu",
        str(tmp_path / "heart_cleveland/processed.cleveland.data"),
    ):
        load_heart(data_home=tmp_path)
    assert list(tmp_path.iterdir()) == []  # no partial file left behind


def test_data_home_is_a_file(tmp_path, offline):
    home = tmp_path / "not-a-folder"
    home.write_text("x")
    with refused(NotADirectoryError, f"The data home {home} is not a folder", "TABINVERT_DATA"):
        load_heart(data_home=home)
    assert offline == []  # refused before any download
    assert home.read_text() == "x"


def test_data_home_from_the_environment_is_a_file(tmp_path, monkeypatch, offline):
    home = tmp_path / "data.csv"
    home.write_text("x")
    monkeypatch.setenv("TABINVERT_DATA", str(home))
    with refused(NotADirectoryError, str(home), "not a folder"):
        load_heart(download_if_missing=False)


def test_data_home_below_a_file(tmp_path, offline):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with refused(NotADirectoryError, str(blocker), "is a file"):
        load_heart(data_home=blocker / "sub" / "data")
    assert offline == []


def test_dataset_folder_is_a_file(tmp_path, offline):
    (tmp_path / "heart_cleveland").write_text("x")
    with refused(NotADirectoryError, str(tmp_path / "heart_cleveland"), "move it away"):
        load_heart(data_home=tmp_path)
    assert offline == []


def test_dataset_file_is_a_folder(tmp_path, offline):
    (tmp_path / HEART_CLEAN).mkdir(parents=True)
    with refused(IsADirectoryError, str(tmp_path / HEART_CLEAN), "is a folder", "remove"):
        load_heart(data_home=tmp_path)


@pytest.mark.data  # corrupts a copy of a real dataset file
@pytest.mark.parametrize("cut", ["truncated", "empty", "garbage"])
def test_dataset_file_corrupt(tmp_path, offline, cut):
    original = (get_data_home() / HEART_CLEAN).read_bytes()  # the shared copy, only read
    corrupt = {
        "truncated": original[: len(original) // 2],
        "empty": b"",
        "garbage": b"age,sex\n\x00\xff,<script>\n",
    }[cut]
    path = tmp_path / HEART_CLEAN
    path.parent.mkdir()
    path.write_bytes(corrupt)
    with refused(DatasetChecksumError, str(path), "corrupted, truncated", "Delete it"):
        load_heart(data_home=tmp_path)
    assert path.read_bytes() == corrupt  # reported, never silently replaced


def test_dataset_gzip_corrupt(tmp_path, offline):
    path = tmp_path / "adult" / "adult_clean.csv.gz"
    path.parent.mkdir()
    path.write_bytes(b"\x1f\x8b\x08 not really gzip")
    with refused(DatasetChecksumError, str(path), "rebuilt from adult/adult.data"):
        load_adult(data_home=tmp_path)


@pytest.mark.parametrize(
    "kwargs, cls, fragments",
    [
        ({"variant": "nope"}, InvalidParameterError, ("'variant'", "load_heart", "'nope'")),
        ({"data_home": 3}, InvalidParameterError, ("'data_home'", "Got 3")),
        ({"data_home": ""}, ValueError, ("data_home is an empty path",)),
        ({"as_frame": "yes"}, InvalidParameterError, ("'as_frame'",)),
    ],
    ids=["variant", "data_home-int", "data_home-empty", "as_frame"],
)
def test_loader_bad_arguments(kwargs, cls, fragments, offline):
    with refused(cls, *fragments):
        load_heart(**kwargs)


def test_get_data_home_not_a_path():
    with refused(TypeError, "data_home must be a folder path", "int"):
        get_data_home(3)

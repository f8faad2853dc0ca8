"""The machinery behind tabinvert.datasets, checked directly: the file table (paths, checksums,
licenses, how each file is obtained), the dataset cards, where the data home is looked for, and
downloading (each downloadable file served from a ``file://`` copy of the real one, or from an
address that does not exist).

These tests import the datasets' private modules on purpose (see README.md in this folder): the
file table and the download addresses are not public, and the data home's search looks for a
checkout relative to the installed package, which only a private root can point elsewhere. The
loaders themselves are tested through their public names in tests/datasets/.
"""

import dataclasses
import os
import re
import urllib.error
from pathlib import Path

import pandas as pd
import pytest
from conftest import LOADERS, leftovers, sha256

import tabinvert
from tabinvert.datasets import (
    DatasetDownloadError,
    get_data_home,
    load_german_credit,
    load_heart,
)
from tabinvert.datasets import _base, _loaders


@pytest.fixture
def real_home():
    home = os.environ.get(_base.ENV_DATA_HOME)
    if not home:
        pytest.skip(f"set {_base.ENV_DATA_HOME} to a data home holding the real datasets")
    return Path(home)


# --------------------------------------------------------------------------- fixtures


@pytest.fixture
def no_retry_delay(monkeypatch):
    monkeypatch.setattr(_base, "_RETRY_DELAY", 0)


@pytest.fixture
def file_urls(monkeypatch, real_home):
    """Serve every downloadable file from its copy in the real data home."""
    files = {
        path: dataclasses.replace(spec, urls=((real_home / path).as_uri(),)) if spec.urls else spec
        for path, spec in _loaders._FILES.items()
    }
    monkeypatch.setattr(_loaders, "_FILES", files)
    return files


def _set_urls(monkeypatch, path, urls):
    files = dict(_loaders._FILES)
    files[path] = dataclasses.replace(files[path], urls=tuple(urls))
    monkeypatch.setattr(_loaders, "_FILES", files)


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No TABINVERT_DATA, no checkout data home, XDG cache under tmp_path."""
    monkeypatch.delenv(_base.ENV_DATA_HOME, raising=False)
    monkeypatch.setattr(_base, "_PACKAGE_ROOT", tmp_path / "checkout" / "tabinvert")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    return tmp_path


def _make_checkout(root):
    datasets = root / "checkout" / "datasets"
    datasets.mkdir(parents=True)
    (datasets / "README.md").write_text("marker")
    return datasets


# --------------------------------------------------------------------------- data home


def test_data_home_argument_beats_environment(clean_env, monkeypatch):
    _make_checkout(clean_env)
    monkeypatch.setenv(_base.ENV_DATA_HOME, str(clean_env / "env"))
    assert get_data_home(clean_env / "arg") == clean_env / "arg"
    assert get_data_home(str(clean_env / "arg")) == clean_env / "arg"


def test_data_home_environment_beats_checkout(clean_env, monkeypatch):
    _make_checkout(clean_env)
    monkeypatch.setenv(_base.ENV_DATA_HOME, str(clean_env / "env"))
    assert get_data_home() == clean_env / "env"


def test_data_home_checkout_beats_cache(clean_env):
    checkout = _make_checkout(clean_env)
    assert get_data_home() == checkout


def test_data_home_checkout_needs_marker(clean_env):
    (clean_env / "checkout" / "datasets").mkdir(parents=True)  # no README.md
    assert get_data_home() == clean_env / "xdg" / "tabinvert"


def test_data_home_cache_without_xdg(clean_env, monkeypatch):
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(clean_env / "home"))
    monkeypatch.setenv("USERPROFILE", str(clean_env / "home"))
    assert get_data_home() == clean_env / "home" / ".cache" / "tabinvert"


def test_data_home_empty_environment_is_unset(clean_env, monkeypatch):
    monkeypatch.setenv(_base.ENV_DATA_HOME, "")
    assert get_data_home() == clean_env / "xdg" / "tabinvert"


def test_data_home_is_not_created(clean_env):
    home = get_data_home()
    assert not home.exists()


def test_checkout_root_is_package_parent():
    assert _base._PACKAGE_ROOT == Path(tabinvert.__file__).resolve().parent


# --------------------------------------------------------------------------- file table


def test_file_table_is_consistent():
    files = _loaders._FILES
    for path, spec in files.items():
        assert path == spec.path
        assert re.fullmatch(r"[0-9a-f]{64}", spec.sha256), path
        assert spec.license, path
        assert all(source in files for source in spec.sources), path
        assert (spec.build is None) == (not spec.sources), path
        if not spec.fetchable:
            assert spec.how_to_obtain, path
    for variants in _loaders._DATASETS.values():
        for variant in variants.values():
            assert variant.file in files


def test_only_openly_licensed_files_are_downloaded():
    for spec in _loaders._FILES.values():
        if spec.urls:
            assert spec.license.startswith("CC BY"), spec.path
            assert all(url.startswith("https://") for url in spec.urls), spec.path
    for path in (
        "gss_mehnaz2022/GSS_15235.csv",
        "gss_mehnaz2022/GSS_5079.csv",
        "compas/compas_two_years_deidentified.csv",
        "warfarin_iwpc/warfarin.csv",
    ):
        assert not _loaders._FILES[path].fetchable


@pytest.mark.parametrize("dataset", list(_loaders._DATASETS))
def test_card_names_target_and_sensitive_columns(dataset):
    card = _loaders._descr(dataset)
    assert card.startswith("# ")
    assert "License" in card and "Citation" in card
    for variant in _loaders._DATASETS[dataset].values():
        for column in (variant.target, *variant.sensitive):
            assert f"`{column}`" in card, (dataset, column)


def test_loader_variants_match_table():
    for dataset, loader in LOADERS.items():
        for variant in _loaders._DATASETS[dataset]:
            assert variant in loader.__doc__, (dataset, variant)


@pytest.mark.data
def test_file_table_matches_sha256sums(real_home):
    sums = {}
    for line in (real_home / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name.removeprefix("./")] = digest
    for path, spec in _loaders._FILES.items():
        assert sums[path] == spec.sha256, path


@pytest.mark.data
@pytest.mark.parametrize(
    "dataset, variant",
    [
        (dataset, variant)
        for dataset, variants in _loaders._DATASETS.items()
        for variant in variants
    ],
)
def test_loader_reads_the_file_and_card_of_its_table_entry(real_home, dataset, variant):
    """What tests/datasets/test_datasets.py::test_loader_frame cannot see from outside: the
    file the loader reads is its table entry's, with the table's checksum, its card is the
    dataset's, and every column but the target and the table's non-features is a feature."""
    bunch = LOADERS[dataset](variant=variant)
    entry = _loaders._DATASETS[dataset][variant]
    assert len(bunch.feature_names) == bunch.frame.shape[1] - 1 - len(entry.not_features)
    assert Path(bunch.filename) == real_home / entry.file
    assert sha256(bunch.filename) == _loaders._FILES[entry.file].sha256
    assert bunch.DESCR == _loaders._descr(dataset)


# --------------------------------------------------------------------------- fetching


@pytest.mark.data
@pytest.mark.parametrize(
    "dataset, variant, fetched",
    [
        ("adult", "clean", ["adult/adult.data", "adult/adult.test", "adult/adult_clean.csv.gz"]),
        ("adult", "mehnaz2022", ["adult/mehnaz2022/Adult_35222.csv"]),
        (
            "steak_survey",
            "clean",
            ["steak_survey/steak-risk-survey.csv", "steak_survey/steak_survey_clean.csv"],
        ),
        ("steak_survey", "mehnaz2022", ["steak_survey/mehnaz2022/fte_full.csv"]),
        (
            "heart",
            "clean",
            [
                "heart_cleveland/processed.cleveland.data",
                "heart_cleveland/heart_cleveland_clean.csv",
            ],
        ),
        ("german_credit", "clean", ["german_credit/german.data", "german_credit/german_clean.csv"]),
    ],
)
def test_download_into_empty_data_home(real_home, file_urls, tmp_path, dataset, variant, fetched):
    home = tmp_path / "not" / "yet" / "there"
    bunch = LOADERS[dataset](variant=variant, data_home=home)
    assert sorted(p.relative_to(home).as_posix() for p in home.rglob("*") if p.is_file()) == (
        sorted(fetched)
    )
    for path in fetched:  # downloaded and rebuilt files are byte-identical to the published
        assert sha256(home / path) == _loaders._FILES[path].sha256, path
    assert leftovers(home) == []
    expected = LOADERS[dataset](variant=variant, data_home=real_home)
    pd.testing.assert_frame_equal(bunch.frame, expected.frame)


@pytest.mark.data
def test_download_tries_next_address(real_home, monkeypatch, tmp_path, no_retry_delay):
    path = "heart_cleveland/processed.cleveland.data"
    _set_urls(monkeypatch, path, [(tmp_path / "gone").as_uri(), (real_home / path).as_uri()])
    assert load_heart(data_home=tmp_path / "home").data.shape == (303, 13)


def test_download_failure_leaves_nothing(monkeypatch, tmp_path, no_retry_delay):
    url = (tmp_path / "offline" / "german.data").as_uri()
    _set_urls(monkeypatch, "german_credit/german.data", [url])
    home = tmp_path / "home"
    with pytest.raises(DatasetDownloadError) as excinfo:
        load_german_credit(data_home=home)
    message = str(excinfo.value)
    assert "german_credit/german.data" in message
    assert url in message
    assert str(home / "german_credit" / "german.data") in message
    assert "TABINVERT_DATA" in message
    assert isinstance(excinfo.value, OSError)
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_download_with_wrong_checksum_is_not_kept(monkeypatch, tmp_path):
    served = tmp_path / "served.data"
    served.write_bytes(b"63.0,1.0\n")
    _set_urls(monkeypatch, "heart_cleveland/processed.cleveland.data", [served.as_uri()])
    home = tmp_path / "home"
    with pytest.raises(DatasetDownloadError, match=sha256(served)):
        load_heart(data_home=home)
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_network_errors_are_retried_client_errors_are_not(monkeypatch, no_retry_delay):
    calls = []

    def urlopen(request, timeout):
        calls.append(request.full_url)
        raise error

    monkeypatch.setattr(_base.urllib.request, "urlopen", urlopen)
    error = urllib.error.URLError("no route to host")
    with pytest.raises(urllib.error.URLError):
        _base._download_bytes("https://example.invalid/a")
    assert len(calls) == _base._N_RETRIES

    calls.clear()
    error = urllib.error.HTTPError("https://example.invalid/a", 404, "Not Found", None, None)
    with pytest.raises(urllib.error.HTTPError):
        _base._download_bytes("https://example.invalid/a")
    assert len(calls) == 1

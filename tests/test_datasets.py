"""Tests for tabinvert.datasets: data home, checksums, fetching and the loaders.

Tests marked ``data`` read the real files from the data home named by ``TABINVERT_DATA``.
Fetching is tested offline: downloadable files are pointed at ``file://`` copies of the real
files, and the offline case at a ``file://`` address that does not exist.
"""

import dataclasses
import gzip
import hashlib
import os
import re
import shutil
import urllib.error
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.api.types import is_numeric_dtype
from sklearn.utils._param_validation import InvalidParameterError

import tabinvert
from tabinvert.datasets import (
    DatasetChecksumError,
    DatasetDownloadError,
    DatasetNotFoundError,
    _base,
    _loaders,
    get_data_home,
    load_adult,
    load_compas,
    load_german_credit,
    load_gss,
    load_heart,
    load_steak_survey,
    load_warfarin,
)

LOADERS = {
    "adult": load_adult,
    "steak_survey": load_steak_survey,
    "warfarin": load_warfarin,
    "heart": load_heart,
    "gss": load_gss,
    "german_credit": load_german_credit,
    "compas": load_compas,
}

# pandas' default dtype for text: ``str`` under pandas >= 3, object under pandas 2.
TEXT_DTYPE = pd.Series(["a", None]).dtype


def _sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _leftovers(folder):
    """Temporary files left behind by an interrupted write."""
    return [p for p in Path(folder).rglob("*") if p.name.startswith(".") or p.suffix == ".part"]


@pytest.fixture
def real_home():
    home = os.environ.get(_base.ENV_DATA_HOME)
    if not home:
        pytest.skip(f"set {_base.ENV_DATA_HOME} to a data home holding the real datasets")
    return Path(home)


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


# --------------------------------------------------------------------------- data home


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


def test_data_home_expands_user():
    assert get_data_home("~/somewhere") == Path.home() / "somewhere"


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


def test_invalid_variant_is_rejected(tmp_path):
    with pytest.raises(InvalidParameterError, match="variant"):
        load_adult(variant="raw", data_home=tmp_path)


@pytest.mark.data
def test_file_table_matches_sha256sums(real_home):
    sums = {}
    for line in (real_home / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name.removeprefix("./")] = digest
    for path, spec in _loaders._FILES.items():
        assert sums[path] == spec.sha256, path


# --------------------------------------------------------------------------- loaders

# dataset, variant, frame shape, target, sensitive, numeric columns, text columns
CASES = [
    ("adult", "clean", (48842, 16), "income", ["marital-status", "race", "sex", "relationship"],
     {"age", "fnlwgt", "education-num", "capital-gain", "capital-loss", "hours-per-week"},
     {"workclass", "education", "marital-status", "occupation", "relationship", "race", "sex",
      "native-country", "income", "split"}),
    ("adult", "mehnaz2022", (35222, 11), "income", ["marital", "race", "sex"],
     {"fnlwgt", "capitalgain", "capitalloss", "hoursperweek"},
     {"work", "education", "marital", "occupation", "sex", "race", "income"}),
    ("adult", "mehnaz2022_query", (10000, 11), "income", ["marital", "race", "sex"],
     {"fnlwgt", "capitalgain", "capitalloss", "hoursperweek"},
     {"work", "education", "marital", "occupation", "sex", "race", "income"}),
    ("steak_survey", "clean", (550, 15), "steak_type", ["infidelity", "alcohol", "age"],
     {"response_id"},
     {"lottery", "smoking", "alcohol", "gambling", "skydiving", "speeding", "infidelity",
      "steak", "steak_type", "gender", "age", "income", "education", "location"}),
    ("steak_survey", "mehnaz2022", (331, 15), "steak_type", ["infidelity", "alcohol", "age"],
     {"response_id"},
     {"lottery", "smoking", "alcohol", "infidelity", "steak_type", "age", "income"}),
    ("warfarin", "clean", (5700, 63), "Therapeutic Dose of Warfarin",
     ["VKORC1 -1639 consensus", "CYP2C9 consensus", "Race"],
     {"Height (cm)", "Weight (kg)", "Target INR", "Therapeutic Dose of Warfarin",
      "Subject Reached Stable Dose of Warfarin", "Current Smoker"},
     {"PharmGKB Subject ID", "Gender", "Race", "Age", "Medications", "Cyp2C9 genotypes",
      "CYP2C9 consensus", "VKORC1 -1639 consensus"}),
    ("heart", "clean", (303, 14), "num", ["sex", "age"],
     {"age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach", "exang",
      "oldpeak", "slope", "ca", "thal", "num"},
     set()),
    ("gss", "mehnaz2022", (15235, 12), "hapmar",
     ["xmovie", "relig", "race", "sex", "divorce", "pornlaw"],
     {"year", "childs", "age", "educ"},
     {"marital", "divorce", "sex", "race", "relig", "xmovie", "pornlaw", "hapmar"}),
    ("gss", "mehnaz2022_query", (5079, 12), "hapmar",
     ["xmovie", "relig", "race", "sex", "divorce", "pornlaw"],
     {"year", "childs", "age", "educ"},
     {"marital", "divorce", "sex", "race", "relig", "xmovie", "pornlaw", "hapmar"}),
    ("german_credit", "clean", (1000, 21), "credit_risk",
     ["personal_status_sex", "age_years", "foreign_worker"],
     {"duration_months", "credit_amount", "installment_rate", "residence_since", "age_years",
      "existing_credits", "num_dependents", "credit_risk"},
     {"checking_status", "credit_history", "purpose", "savings", "employment_since",
      "personal_status_sex", "other_debtors", "property", "other_installment_plans",
      "housing", "job", "telephone", "foreign_worker"}),
    ("compas", "clean", (7214, 44), "two_year_recid", ["race", "sex", "age", "age_cat"],
     {"id", "age", "priors_count", "decile_score", "juv_fel_count", "two_year_recid"},
     {"sex", "race", "age_cat", "c_charge_degree", "c_charge_desc", "score_text"}),
]  # fmt: skip


@pytest.mark.data
@pytest.mark.parametrize(
    "dataset, variant, shape, target, sensitive, numeric, text",
    CASES,
    ids=[f"{case[0]}-{case[1]}" for case in CASES],
)
def test_loader_frame(real_home, dataset, variant, shape, target, sensitive, numeric, text):
    bunch = LOADERS[dataset](variant=variant)
    frame = bunch.frame
    assert frame.shape == shape
    assert bunch.target_name == target
    assert bunch.sensitive_names == sensitive
    assert set(sensitive) <= set(bunch.feature_names)
    assert target not in bunch.feature_names
    assert list(bunch.data.columns) == bunch.feature_names
    assert len(bunch.feature_names) == shape[1] - 1 - len(
        _loaders._DATASETS[dataset][variant].not_features
    )
    pd.testing.assert_frame_equal(bunch.data, frame[bunch.feature_names])
    pd.testing.assert_series_equal(bunch.target, frame[target])
    assert bunch.data.index.equals(pd.RangeIndex(shape[0]))
    for column in numeric:
        assert is_numeric_dtype(frame[column]), column
    for column in text:
        assert not is_numeric_dtype(frame[column]), column
        assert frame[column].dtype == TEXT_DTYPE, column
    assert Path(bunch.filename) == real_home / _loaders._DATASETS[dataset][variant].file
    assert (
        _sha256(bunch.filename) == _loaders._FILES[_loaders._DATASETS[dataset][variant].file].sha256
    )
    assert bunch.DESCR == _loaders._descr(dataset)
    assert bunch.license and bunch.citation


@pytest.mark.data
def test_adult_values(real_home):
    frame = load_adult().frame
    assert frame["sex"].value_counts().to_dict() == {"Male": 32650, "Female": 16192}
    assert frame["split"].value_counts().to_dict() == {"train": 32561, "test": 16281}
    assert (frame["income"] == ">50K").sum() == 11687
    assert set(frame["income"]) == {"<=50K", ">50K"}  # test labels lost their "."
    assert frame.isna().sum()[["workclass", "occupation", "native-country"]].tolist() == [
        2799,
        2809,
        857,
    ]
    assert not frame.isin(["?"]).any().any()
    assert load_adult(variant="mehnaz2022").frame["marital"].nunique() == 2


@pytest.mark.data
def test_missing_values_follow_the_file(real_home):
    steak = load_steak_survey().frame
    assert steak["steak_type"].isna().sum() == 118
    assert steak["infidelity"].value_counts().to_dict() == {"No": 447, "Yes": 92}
    assert load_steak_survey(variant="mehnaz2022").frame.notna().all().all()

    warfarin = load_warfarin().frame
    # "NA" is missing, but "None" (no medications) is an answer.
    assert warfarin["Therapeutic Dose of Warfarin"].notna().sum() == 5528
    assert warfarin["VKORC1 -1639 consensus"].isna().sum() == 1499
    assert (warfarin["Medications"] == "None").sum() == 7
    assert not warfarin.isin(["NA"]).any().any()

    heart = load_heart().frame
    assert heart[["ca", "thal"]].isna().sum().tolist() == [4, 2]
    assert load_gss().frame.notna().all().all()


@pytest.mark.data
def test_as_frame_false(real_home):
    adult = load_adult(as_frame=False)
    assert adult.frame is None
    assert isinstance(adult.data, np.ndarray) and adult.data.dtype == object
    assert adult.data.shape == (48842, 14)
    assert isinstance(adult.target, np.ndarray) and adult.target.shape == (48842,)
    assert adult.data[0, adult.feature_names.index("age")] == 39
    assert adult.data[0, adult.feature_names.index("workclass")] == "State-gov"

    heart = load_heart(as_frame=False)
    assert heart.data.dtype == np.float64 and heart.data.shape == (303, 13)
    assert np.issubdtype(heart.target.dtype, np.integer)


@pytest.mark.data
def test_data_home_argument_is_used(real_home, monkeypatch, tmp_path):
    monkeypatch.setenv(_base.ENV_DATA_HOME, str(tmp_path / "elsewhere"))
    bunch = load_gss(data_home=real_home)
    assert Path(bunch.filename).parent == real_home / "gss_mehnaz2022"


# --------------------------------------------------------------------------- checksums


def _copy(real_home, home, path):
    target = home / path
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(real_home / path, target)
    target.chmod(0o644)
    return target


def _corrupt(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.data
def test_checksum_mismatch_names_file_hashes_and_fix(real_home, tmp_path):
    path = _copy(real_home, tmp_path, "german_credit/german_clean.csv")
    _corrupt(path)
    expected = _loaders._FILES["german_credit/german_clean.csv"].sha256
    with pytest.raises(DatasetChecksumError) as excinfo:
        load_german_credit(data_home=tmp_path)
    message = str(excinfo.value)
    assert str(path) in message
    assert expected in message and _sha256(path) in message
    assert "Delete it" in message
    assert path.exists()  # the user's file is reported, not removed


@pytest.mark.data
def test_checksum_mismatch_of_non_downloadable_file(real_home, tmp_path):
    path = _copy(real_home, tmp_path, "gss_mehnaz2022/GSS_5079.csv")
    _corrupt(path)
    with pytest.raises(DatasetChecksumError, match="Replace it with a correct copy"):
        load_gss(variant="mehnaz2022_query", data_home=tmp_path)


@pytest.mark.data
def test_gzip_with_same_content_is_accepted(real_home, tmp_path):
    source = real_home / "adult" / "adult_clean.csv.gz"
    content = gzip.decompress(source.read_bytes())
    path = tmp_path / "adult" / "adult_clean.csv.gz"
    path.parent.mkdir()
    path.write_bytes(gzip.compress(content, compresslevel=1, mtime=0))
    assert _sha256(path) != _loaders._FILES["adult/adult_clean.csv.gz"].sha256
    assert load_adult(data_home=tmp_path).frame.shape == (48842, 16)

    path.write_bytes(gzip.compress(content.replace(b"State-gov", b"State-Gov", 1)))
    with pytest.raises(DatasetChecksumError, match="adult_clean.csv.gz"):
        load_adult(data_home=tmp_path)


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
        assert _sha256(home / path) == _loaders._FILES[path].sha256, path
    assert _leftovers(home) == []
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
    with pytest.raises(DatasetDownloadError, match=_sha256(served)):
        load_heart(data_home=home)
    assert [p for p in home.rglob("*") if p.is_file()] == []


def test_interrupted_write_leaves_nothing(monkeypatch, tmp_path):
    target = tmp_path / "home" / "file.csv"

    def fail(src, dst):
        raise OSError("disk full")

    import tabinvert._io

    monkeypatch.setattr(tabinvert._io.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        tabinvert._io.write_atomic(target, b"a,b\n1,2\n")
    assert list(target.parent.iterdir()) == []


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


def test_download_if_missing_false_does_not_fetch(monkeypatch, tmp_path):
    def urlopen(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(_base.urllib.request, "urlopen", urlopen)
    with pytest.raises(DatasetNotFoundError, match="download_if_missing=True"):
        load_adult(data_home=tmp_path, download_if_missing=False)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    "loader, path, reason",
    [
        (load_gss, "gss_mehnaz2022/GSS_15235.csv", "no open license"),
        (load_compas, "compas/compas_two_years_deidentified.csv", "names real people"),
        (load_warfarin, "warfarin_iwpc/warfarin.csv", "PharmGKB"),
    ],
)
def test_non_downloadable_missing_explains_how_to_obtain(
    monkeypatch, tmp_path, loader, path, reason
):
    def urlopen(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(_base.urllib.request, "urlopen", urlopen)
    with pytest.raises(DatasetNotFoundError) as excinfo:
        loader(data_home=tmp_path)
    message = str(excinfo.value)
    assert path in message
    assert str(tmp_path.joinpath(*path.split("/"))) in message
    assert reason in message
    assert "TABINVERT_DATA" in message
    assert "not downloaded automatically" in message
    assert list(tmp_path.iterdir()) == []


@pytest.mark.data
def test_warfarin_is_rebuilt_from_the_raw_file(real_home, tmp_path):
    _copy(real_home, tmp_path, "warfarin_iwpc/warfarin.csv")
    bunch = load_warfarin(data_home=tmp_path)
    clean = tmp_path / "warfarin_iwpc" / "warfarin_clean.csv"
    assert _sha256(clean) == _loaders._FILES["warfarin_iwpc/warfarin_clean.csv"].sha256
    assert bunch.data.shape == (5700, 61)
    assert _leftovers(tmp_path) == []

"""Tests for tabinvert.datasets: data home, checksums, fetching and the loaders.

Tests marked ``data`` read the real files from the data home named by ``TABINVERT_DATA``; the
checksums a file must have are the ones its ``SHA256SUMS`` publishes. Nothing here touches the
network. The file table behind the loaders, the data-home search and downloading (served from
``file://`` copies of the real files) are checked through the private modules in
tests/internals/test_dataset_files.py.
"""

import gzip
import os
import shutil
import urllib.request
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import LOADERS, leftovers, sha256
from pandas.api.types import is_numeric_dtype
from sklearn.utils._param_validation import InvalidParameterError

from tabinvert.datasets import (
    DatasetChecksumError,
    DatasetNotFoundError,
    get_data_home,
    load_adult,
    load_compas,
    load_german_credit,
    load_gss,
    load_heart,
    load_steak_survey,
    load_warfarin,
)

# pandas' default dtype for text: ``str`` under pandas >= 3, object under pandas 2.
TEXT_DTYPE = pd.Series(["a", None]).dtype


@pytest.fixture
def real_home():
    home = os.environ.get("TABINVERT_DATA")
    if not home:
        pytest.skip("set TABINVERT_DATA to a data home holding the real datasets")
    return Path(home)


def _published_sha256(real_home):
    """File (relative to the data home) → the sha256 its SHA256SUMS publishes."""
    sums = {}
    for line in (real_home / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split()
        sums[name.removeprefix("./")] = digest
    return sums


# --------------------------------------------------------------------------- data home


def test_data_home_expands_user():
    assert get_data_home("~/somewhere") == Path.home() / "somewhere"


# --------------------------------------------------------------------------- variants


def test_invalid_variant_is_rejected(tmp_path):
    with pytest.raises(InvalidParameterError, match="variant"):
        load_adult(variant="raw", data_home=tmp_path)


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
    pd.testing.assert_frame_equal(bunch.data, frame[bunch.feature_names])
    pd.testing.assert_series_equal(bunch.target, frame[target])
    assert bunch.data.index.equals(pd.RangeIndex(shape[0]))
    for column in numeric:
        assert is_numeric_dtype(frame[column]), column
    for column in text:
        assert not is_numeric_dtype(frame[column]), column
        assert frame[column].dtype == TEXT_DTYPE, column
    # The file read is in the data home, with the checksum its SHA256SUMS publishes (which file
    # of the table, the number of features and the card: tests/internals/).
    read = Path(bunch.filename).relative_to(real_home).as_posix()
    assert sha256(bunch.filename) == _published_sha256(real_home)[read]
    assert bunch.DESCR.startswith("# ")
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
    monkeypatch.setenv("TABINVERT_DATA", str(tmp_path / "elsewhere"))
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
    expected = _published_sha256(real_home)["german_credit/german_clean.csv"]
    with pytest.raises(DatasetChecksumError) as excinfo:
        load_german_credit(data_home=tmp_path)
    message = str(excinfo.value)
    assert str(path) in message
    assert expected in message and sha256(path) in message
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
    assert sha256(path) != _published_sha256(real_home)["adult/adult_clean.csv.gz"]
    assert load_adult(data_home=tmp_path).frame.shape == (48842, 16)

    path.write_bytes(gzip.compress(content.replace(b"State-gov", b"State-Gov", 1)))
    with pytest.raises(DatasetChecksumError, match="adult_clean.csv.gz"):
        load_adult(data_home=tmp_path)


# --------------------------------------------------------------------------- fetching


def test_download_if_missing_false_does_not_fetch(monkeypatch, tmp_path):
    def urlopen(*args, **kwargs):
        raise AssertionError("must not download")

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
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

    monkeypatch.setattr(urllib.request, "urlopen", urlopen)
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
    assert sha256(clean) == _published_sha256(real_home)["warfarin_iwpc/warfarin_clean.csv"]
    assert bunch.data.shape == (5700, 61)
    assert leftovers(tmp_path) == []

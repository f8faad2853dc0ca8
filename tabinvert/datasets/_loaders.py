"""Loaders for real public tabular datasets used in attribute-inference research.

Two tables drive every loader: ``_FILES`` says where each file lives in the data home, its
sha256, its license and how it is obtained; ``_DATASETS`` says, for each dataset and variant,
which file to read, the target, the sensitive columns and the citation. The public ``load_*``
functions only validate their arguments and call :func:`_load`.
"""

# Authors: The tabinvert developers
# SPDX-License-Identifier: BSD-3-Clause

import os
from dataclasses import dataclass
from importlib import resources

import pandas as pd
from sklearn.utils import Bunch

from .._sklearn_compat import StrOptions, validate_params
from ._base import FileSpec, fetch_file, get_data_home
from ._cleaning import (
    clean_adult,
    clean_german_credit,
    clean_heart,
    clean_steak_survey,
    clean_warfarin,
)

_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases/"
_GITHUB = "https://raw.githubusercontent.com/"
_MEHNAZ_REPO = "smehnaz/Black-box-Model-Inversion-Attribute-Inference"
_MEHNAZ = f"{_GITHUB}{_MEHNAZ_REPO}/1feca3b475ee550c3fc33a69e7bc13841f1b53eb/data/"

_CC_BY = "CC BY 4.0"
_CC_BY_MEHNAZ = (
    "CC BY 4.0 (derived from UCI / FiveThirtyEight data by Mehnaz et al.; their repository "
    "states no license of its own)"
)

_FILES = {
    spec.path: spec
    for spec in (
        FileSpec(
            "adult/adult.data",
            "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
            _CC_BY,
            urls=(
                _UCI + "adult/adult.data",
                _GITHUB + "jj4192/MLp3/18548a53e562971567fa096e984848b138e371bb/"
                "dataset/adult/adult.data",
            ),
        ),
        FileSpec(
            "adult/adult.test",
            "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
            _CC_BY,
            urls=(_UCI + "adult/adult.test",),
        ),
        FileSpec(
            "adult/adult_clean.csv.gz",
            "9a6898f1202d661015626855c69e948a34cde66eabda0a4e19f7fcae91e73d7c",
            _CC_BY,
            sources=("adult/adult.data", "adult/adult.test"),
            build=clean_adult,
            content_sha256="bf0482767305b8e0fdea738fe4e72ec6ee531a69f99ed34cc196f741c7c43298",
        ),
        FileSpec(
            "adult/mehnaz2022/Adult_35222.csv",
            "b5349f41ebe480f5273661d5ea36fc596c0654747a3406dffc3e3d1c025b6a2b",
            _CC_BY_MEHNAZ,
            urls=(_MEHNAZ + "Adult_35222.csv",),
        ),
        FileSpec(
            "adult/mehnaz2022/Adult_10000.csv",
            "26763cde1cb4e23fe51725019c74a9dcb0cd92632cfade254e8f7d2c43ae15e0",
            _CC_BY_MEHNAZ,
            urls=(_MEHNAZ + "Adult_10000.csv",),
        ),
        FileSpec(
            "steak_survey/steak-risk-survey.csv",
            "cc25080bf53209ba5034d738e857bd6106314f8e49ac7c203dbca9ff35474a1a",
            _CC_BY,
            urls=(
                _GITHUB + "fivethirtyeight/data/fcf572c4fba05a42f1f34f415bd5e6dc389efd68/"
                "steak-survey/steak-risk-survey.csv",
            ),
        ),
        FileSpec(
            "steak_survey/steak_survey_clean.csv",
            "52156bbe195b6779de8b57c6a9e57aa521de92d37531ff52cf5baef524602fe3",
            _CC_BY,
            sources=("steak_survey/steak-risk-survey.csv",),
            build=clean_steak_survey,
        ),
        FileSpec(
            "steak_survey/mehnaz2022/fte_full.csv",
            "1e3900a0310f41410c9c56d5b2b4390cefd8cd5df9dc8e5073bf351765f5cf03",
            _CC_BY_MEHNAZ,
            urls=(_MEHNAZ + "fte_full.csv",),
        ),
        FileSpec(
            "warfarin_iwpc/warfarin.csv",
            "13c37c04d28bee5c02b2ff55afbc256b11aec74b2d2eea284744dce1af697810",
            "CC BY-SA 4.0 (PharmGKB)",
            how_to_obtain=(
                "The IWPC data are distributed by PharmGKB (file "
                "iwpc_data_7_3_09_revised3.xls); this loader expects the CSV copy handed out "
                "with Stanford CS234, e.g. data/warfarin.csv of the GitHub repository "
                "chuchro3/Warfarin at commit 39bca6823bd099cfb8f0367cdf928b22c8392db0. "
                "Read PharmGKB's terms of use before using it."
            ),
        ),
        FileSpec(
            "warfarin_iwpc/warfarin_clean.csv",
            "7e7de3671ff2f222a1ff33afc145e05199c64345a912a1add23d86dd2894253d",
            "CC BY-SA 4.0 (PharmGKB)",
            sources=("warfarin_iwpc/warfarin.csv",),
            build=clean_warfarin,
        ),
        FileSpec(
            "heart_cleveland/processed.cleveland.data",
            "a74b7efa387bc9d108d7d0115d831fe9b414b29ae7124f331b622b4efa0427c8",
            _CC_BY,
            urls=(_UCI + "heart-disease/processed.cleveland.data",),
        ),
        FileSpec(
            "heart_cleveland/heart_cleveland_clean.csv",
            "c1a68b0099f13630967e05a357aa7f856bf0b784124f9ae4a01612d5378617a9",
            _CC_BY,
            sources=("heart_cleveland/processed.cleveland.data",),
            build=clean_heart,
        ),
        FileSpec(
            "german_credit/german.data",
            "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871",
            _CC_BY,
            urls=(
                _UCI + "statlog/german/german.data",
                _GITHUB + "Srisai85/GermanCredit/9781e17bbfd53bf256dde751db5b779f7c54736e/"
                "german.data",
            ),
        ),
        FileSpec(
            "german_credit/german_clean.csv",
            "88021343cf973359cf453248bca94b3c18274559bb070d8648563557dffb4827",
            _CC_BY,
            sources=("german_credit/german.data",),
            build=clean_german_credit,
        ),
        *(
            FileSpec(
                f"gss_mehnaz2022/{name}",
                sha256,
                "GSS public-use data (NORC terms: cite the GSS); no explicit license",
                how_to_obtain=(
                    "This GSS extract carries no open license. It is data/"
                    f"{name} of the GitHub repository {_MEHNAZ_REPO} at commit "
                    "1feca3b475ee550c3fc33a69e7bc13841f1b53eb; read NORC's GSS terms of use "
                    "before using it."
                ),
            )
            for name, sha256 in (
                (
                    "GSS_15235.csv",
                    "49b1f7755cd9c072645809c239865e9dc4b42a811950e214f43587a3e5e526ef",
                ),
                (
                    "GSS_5079.csv",
                    "857d1d93e6c55f21bab34a27bf359921421a590e656a18d2e6b7ebc1e25ad90a",
                ),
            )
        ),
        FileSpec(
            "compas/compas_two_years_deidentified.csv",
            "889057646e5439d789eb568de1f61c57fc62af2f0efed630f1d51ea69d9d571f",
            "none stated (ProPublica publishes it without a license)",
            how_to_obtain=(
                "ProPublica's data carry no license, and the published file names real people. "
                "Build the de-identified file yourself from compas-scores-two-years.csv of the "
                "GitHub repository propublica/compas-analysis: drop the columns name, first, "
                "last, dob, c_case_number, r_case_number and vr_case_number and the second "
                "copies of decile_score and priors_count (see the dataset card)."
            ),
        ),
    )
}


@dataclass(frozen=True)
class _Variant:
    """One loadable table: a file, its target, its sensitive columns and its citation."""

    file: str
    target: str
    sensitive: tuple[str, ...]
    citation: str
    # Bookkeeping columns (row ids, split labels) kept in ``frame`` but not in ``data``.
    not_features: tuple[str, ...] = ()
    # Cell values read as missing, besides the empty cell.
    na_values: tuple[str, ...] = ()


_CITE_ADULT = (
    "Becker, B. & Kohavi, R. (1996). Adult [Dataset]. UCI Machine Learning Repository. "
    "https://doi.org/10.24432/C5XW20"
)
_CITE_MEHNAZ = (
    "Mehnaz, S., Dibbo, S. V., Kabir, E., Li, N. & Bertino, E. (2022). Are Your Sensitive "
    "Attributes Private? Novel Model Inversion Attribute Inference Attacks on Classification "
    "Models. 31st USENIX Security Symposium."
)
_CITE_STEAK = (
    "FiveThirtyEight (2014). Data behind 'How Americans Like Their Steak'. "
    "https://github.com/fivethirtyeight/data/tree/master/steak-survey"
)
_CITE_GSS = (
    "NORC at the University of Chicago. General Social Survey, cumulative file 1973-2018. "
    "https://gss.norc.org"
)

_ADULT_SENSITIVE = ("marital-status", "race", "sex", "relationship")
_MEHNAZ_ADULT_SENSITIVE = ("marital", "race", "sex")
_STEAK_SENSITIVE = ("infidelity", "alcohol", "age")
_GSS_SENSITIVE = ("xmovie", "relig", "race", "sex", "divorce", "pornlaw")

_DATASETS = {
    "adult": {
        "clean": _Variant(
            "adult/adult_clean.csv.gz",
            "income",
            _ADULT_SENSITIVE,
            _CITE_ADULT,
            not_features=("split",),
        ),
        "mehnaz2022": _Variant(
            "adult/mehnaz2022/Adult_35222.csv",
            "income",
            _MEHNAZ_ADULT_SENSITIVE,
            f"{_CITE_ADULT}\n{_CITE_MEHNAZ}",
        ),
        "mehnaz2022_query": _Variant(
            "adult/mehnaz2022/Adult_10000.csv",
            "income",
            _MEHNAZ_ADULT_SENSITIVE,
            f"{_CITE_ADULT}\n{_CITE_MEHNAZ}",
        ),
    },
    "steak_survey": {
        "clean": _Variant(
            "steak_survey/steak_survey_clean.csv",
            "steak_type",
            _STEAK_SENSITIVE,
            _CITE_STEAK,
            not_features=("response_id",),
        ),
        "mehnaz2022": _Variant(
            "steak_survey/mehnaz2022/fte_full.csv",
            "steak_type",
            _STEAK_SENSITIVE,
            f"{_CITE_STEAK}\n{_CITE_MEHNAZ}",
            not_features=("response_id",),
        ),
    },
    "warfarin": {
        "clean": _Variant(
            "warfarin_iwpc/warfarin_clean.csv",
            "Therapeutic Dose of Warfarin",
            ("VKORC1 -1639 consensus", "CYP2C9 consensus", "Race"),
            "International Warfarin Pharmacogenetics Consortium (2009). Estimation of the "
            "warfarin dose with clinical and pharmacogenetic data. N Engl J Med 360:753-764. "
            "Data: PharmGKB.",
            not_features=("PharmGKB Subject ID",),
            na_values=("NA",),
        ),
    },
    "heart": {
        "clean": _Variant(
            "heart_cleveland/heart_cleveland_clean.csv",
            "num",
            ("sex", "age"),
            "Janosi, A., Steinbrunn, W., Pfisterer, M. & Detrano, R. (1988). Heart Disease "
            "[Dataset]. UCI Machine Learning Repository. https://doi.org/10.24432/C52P4X",
        ),
    },
    "gss": {
        "mehnaz2022": _Variant(
            "gss_mehnaz2022/GSS_15235.csv",
            "hapmar",
            _GSS_SENSITIVE,
            f"{_CITE_GSS}\n{_CITE_MEHNAZ}",
        ),
        "mehnaz2022_query": _Variant(
            "gss_mehnaz2022/GSS_5079.csv",
            "hapmar",
            _GSS_SENSITIVE,
            f"{_CITE_GSS}\n{_CITE_MEHNAZ}",
        ),
    },
    "german_credit": {
        "clean": _Variant(
            "german_credit/german_clean.csv",
            "credit_risk",
            ("personal_status_sex", "age_years", "foreign_worker"),
            "Hofmann, H. (1994). Statlog (German Credit Data) [Dataset]. UCI Machine Learning "
            "Repository. https://doi.org/10.24432/C5NC77",
        ),
    },
    "compas": {
        "clean": _Variant(
            "compas/compas_two_years_deidentified.csv",
            "two_year_recid",
            ("race", "sex", "age", "age_cat"),
            "Angwin, J., Larson, J., Mattu, S. & Kirchner, L. (2016). Machine Bias. ProPublica. "
            "https://github.com/propublica/compas-analysis",
            not_features=("id",),
        ),
    },
}


def _descr(dataset):
    card = resources.files(__package__).joinpath("descr").joinpath(f"{dataset}.md")
    return card.read_text(encoding="utf-8")


def _load(dataset, variant, data_home, download_if_missing, as_frame):
    spec = _DATASETS[dataset][variant]
    file = _FILES[spec.file]
    path = fetch_file(file, get_data_home(data_home), download_if_missing, _FILES)
    frame = pd.read_csv(
        path, keep_default_na=False, na_values=["", *spec.na_values], low_memory=False
    )
    feature_names = [
        column
        for column in frame.columns
        if column != spec.target and column not in spec.not_features
    ]
    data, target = frame[feature_names], frame[spec.target]
    if not as_frame:
        frame, data, target = None, data.to_numpy(), target.to_numpy()
    return Bunch(
        frame=frame,
        data=data,
        target=target,
        target_name=spec.target,
        sensitive_names=list(spec.sensitive),
        feature_names=feature_names,
        DESCR=_descr(dataset),
        filename=str(path),
        license=file.license,
        citation=spec.citation,
    )


def _params(dataset):
    return {
        "variant": [StrOptions(set(_DATASETS[dataset]))],
        "data_home": [str, os.PathLike, None],
        "download_if_missing": ["boolean"],
        "as_frame": ["boolean"],
    }


@validate_params(_params("adult"), prefer_skip_nested_validation=True)
def load_adult(*, variant="clean", data_home=None, download_if_missing=True, as_frame=True):
    """Load the UCI Adult (Census Income) dataset.

    Predict whether a person earns more than $50K a year from 1994 US census answers. Read
    more in the dataset card (``DESCR``).

    ======================  ======================================================
    Variant                 Table
    ======================  ======================================================
    ``"clean"``             UCI train + test splits, 48,842 rows; 14 features;
                            column ``split`` (``"train"``/``"test"``) is kept in
                            ``frame`` only.
    ``"mehnaz2022"``        Mehnaz et al. (2022) target-model training set, 35,222
                            rows; 10 features (education binned, marital status
                            binarised).
    ``"mehnaz2022_query"``  Their 10,000 non-member rows, same columns.
    ======================  ======================================================

    The file is downloaded from the UCI repository (``"clean"``) or the authors' repository
    (``"mehnaz2022*"``) if it is not in the data home.

    Parameters
    ----------
    variant : {"clean", "mehnaz2022", "mehnaz2022_query"}, default="clean"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        If False, raise instead of downloading a missing file.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series; text columns have pandas'
        default string dtype and empty cells are missing. If False, they are numpy arrays
        (of object dtype where text is present) and ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the following attributes.

        frame : DataFrame or None
            The whole table, target and ``split`` included.
        data : DataFrame or ndarray of shape (n_samples, n_features)
            The features.
        target : Series or ndarray of shape (n_samples,)
            ``income``, ``"<=50K"`` or ``">50K"``.
        target_name : str
            ``"income"``.
        feature_names : list of str
            Columns of ``data``.
        sensitive_names : list of str
            Columns attacked in the attribute-inference literature, most studied first:
            marital status, race, sex (and relationship for ``"clean"``).
        DESCR : str
            The dataset card.
        filename : str
            Path of the file that was read.
        license : str
            License of the file.
        citation : str
            How to cite the data.

    Raises
    ------
    DatasetNotFoundError
        If the file is missing and ``download_if_missing=False``.
    DatasetChecksumError
        If the file in the data home does not have the expected sha256.
    DatasetDownloadError
        If the file is missing and cannot be downloaded.

    Examples
    --------
    >>> from tabinvert.datasets import load_adult
    >>> adult = load_adult()
    >>> adult.data.shape
    (48842, 14)
    >>> adult.target.value_counts()
    income
    <=50K    37155
    >50K     11687
    Name: count, dtype: int64
    >>> adult.sensitive_names
    ['marital-status', 'race', 'sex', 'relationship']
    >>> load_adult(variant="mehnaz2022").data.shape
    (35222, 10)
    """
    return _load("adult", variant, data_home, download_if_missing, as_frame)


@validate_params(_params("steak_survey"), prefer_skip_nested_validation=True)
def load_steak_survey(*, variant="clean", data_home=None, download_if_missing=True, as_frame=True):
    """Load the FiveThirtyEight steak and risk-taking survey.

    Predict how a respondent likes their steak from answers about lotteries, smoking,
    drinking, gambling, skydiving, speeding and infidelity, and demographics. All columns are
    categorical. Read more in the dataset card (``DESCR``).

    ==================  ============================================================
    Variant             Table
    ==================  ============================================================
    ``"clean"``         All 550 respondents; 13 features. 118 rows have no target
                        (people who do not eat steak or did not answer).
    ``"mehnaz2022"``    The 331 steak eaters with complete answers used by Mehnaz
                        et al. (2022).
    ==================  ============================================================

    ``response_id`` is kept in ``frame`` but not in ``data``. The file is downloaded from
    FiveThirtyEight's repository (``"clean"``) or the authors' repository (``"mehnaz2022"``)
    if it is not in the data home.

    Parameters
    ----------
    variant : {"clean", "mehnaz2022"}, default="clean"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        If False, raise instead of downloading a missing file.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series; text columns have pandas'
        default string dtype and empty cells are missing. If False, they are numpy arrays
        (of object dtype) and ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``frame``, ``data``, ``target``,
        ``target_name`` (``"steak_type"``), ``feature_names``, ``sensitive_names``
        (``infidelity``, ``alcohol``, ``age``), ``DESCR``, ``filename``, ``license`` and
        ``citation``; see :func:`load_adult` for their meaning.

    Raises
    ------
    DatasetNotFoundError, DatasetChecksumError, DatasetDownloadError
        As in :func:`load_adult`.

    Examples
    --------
    >>> from tabinvert.datasets import load_steak_survey
    >>> steak = load_steak_survey()
    >>> steak.data.shape
    (550, 13)
    >>> int(steak.target.isna().sum())
    118
    >>> steak.sensitive_names
    ['infidelity', 'alcohol', 'age']
    >>> load_steak_survey(variant="mehnaz2022").frame.shape
    (331, 15)
    """
    return _load("steak_survey", variant, data_home, download_if_missing, as_frame)


@validate_params(_params("warfarin"), prefer_skip_nested_validation=True)
def load_warfarin(*, variant="clean", data_home=None, download_if_missing=True, as_frame=True):
    """Load the IWPC warfarin pharmacogenetics dataset.

    Predict the stable weekly warfarin dose (mg/week) of 5,700 patients from demographics,
    medication, and CYP2C9 / VKORC1 genotypes; the data of Fredrikson et al. (2014). 172
    patients have no dose. ``PharmGKB Subject ID`` is kept in ``frame`` but not in ``data``;
    ``NA`` cells are missing. Read more in the dataset card (``DESCR``).

    The data are not downloaded automatically: place ``warfarin_iwpc/warfarin.csv`` (the
    Stanford CS234 copy) or ``warfarin_iwpc/warfarin_clean.csv`` in the data home; the
    cleaned file is rebuilt from the raw one when needed.

    Parameters
    ----------
    variant : {"clean"}, default="clean"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        If False, raise instead of rebuilding a missing cleaned file.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series; text columns have pandas'
        default string dtype. If False, they are numpy arrays and ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``frame``, ``data``, ``target``,
        ``target_name`` (``"Therapeutic Dose of Warfarin"``), ``feature_names``,
        ``sensitive_names`` (``VKORC1 -1639 consensus``, ``CYP2C9 consensus``, ``Race``),
        ``DESCR``, ``filename``, ``license`` and ``citation``; see :func:`load_adult`.

    Raises
    ------
    DatasetNotFoundError, DatasetChecksumError
        As in :func:`load_adult`.

    Examples
    --------
    >>> from tabinvert.datasets import load_warfarin
    >>> warfarin = load_warfarin()
    >>> warfarin.data.shape
    (5700, 61)
    >>> float(warfarin.target.median())
    28.0
    >>> warfarin.sensitive_names
    ['VKORC1 -1639 consensus', 'CYP2C9 consensus', 'Race']
    """
    return _load("warfarin", variant, data_home, download_if_missing, as_frame)


@validate_params(_params("heart"), prefer_skip_nested_validation=True)
def load_heart(*, variant="clean", data_home=None, download_if_missing=True, as_frame=True):
    """Load the UCI Heart Disease dataset (Cleveland, 14 processed attributes).

    Predict angiographic heart disease (``num``, 0 = none to 4) of 303 patients from 13
    numeric clinical attributes; ``num > 0`` is the usual binary target. Six cells (``ca``,
    ``thal``) are missing. The file is downloaded from the UCI repository if it is not in the
    data home. Read more in the dataset card (``DESCR``).

    Parameters
    ----------
    variant : {"clean"}, default="clean"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        If False, raise instead of downloading a missing file.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series. If False, they are numpy
        arrays and ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``frame``, ``data``, ``target``,
        ``target_name`` (``"num"``), ``feature_names``, ``sensitive_names`` (``sex``,
        ``age``), ``DESCR``, ``filename``, ``license`` and ``citation``; see
        :func:`load_adult`.

    Raises
    ------
    DatasetNotFoundError, DatasetChecksumError, DatasetDownloadError
        As in :func:`load_adult`.

    Examples
    --------
    >>> from tabinvert.datasets import load_heart
    >>> heart = load_heart()
    >>> heart.data.shape
    (303, 13)
    >>> int((heart.target > 0).sum())
    139
    >>> heart.sensitive_names
    ['sex', 'age']
    """
    return _load("heart", variant, data_home, download_if_missing, as_frame)


@validate_params(_params("gss"), prefer_skip_nested_validation=True)
def load_gss(*, variant="mehnaz2022", data_home=None, download_if_missing=True, as_frame=True):
    """Load the General Social Survey subset of Mehnaz et al. (2022).

    Predict the happiness of a married respondent's marriage (``hapmar``) from survey
    answers; the sensitive attribute of Fredrikson et al. (2015) and Mehnaz et al. (2022) is
    ``xmovie`` (seen an X-rated movie in the last year). Read more in the dataset card
    (``DESCR``).

    ======================  ====================================================
    Variant                 Table
    ======================  ====================================================
    ``"mehnaz2022"``        Target-model data set, 15,235 rows; 11 features.
    ``"mehnaz2022_query"``  Their 5,079-row query set, same columns.
    ======================  ====================================================

    The data carry no open license and are not downloaded automatically; place
    ``gss_mehnaz2022/GSS_15235.csv`` and ``GSS_5079.csv`` in the data home.

    Parameters
    ----------
    variant : {"mehnaz2022", "mehnaz2022_query"}, default="mehnaz2022"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        Has no effect: these files are never downloaded.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series; text columns have pandas'
        default string dtype. If False, they are numpy arrays (of object dtype) and
        ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``frame``, ``data``, ``target``,
        ``target_name`` (``"hapmar"``), ``feature_names``, ``sensitive_names`` (``xmovie``
        first), ``DESCR``, ``filename``, ``license`` and ``citation``; see
        :func:`load_adult`.

    Raises
    ------
    DatasetNotFoundError, DatasetChecksumError
        As in :func:`load_adult`.

    Examples
    --------
    >>> from tabinvert.datasets import load_gss
    >>> gss = load_gss()
    >>> gss.data.shape
    (15235, 11)
    >>> gss.target.value_counts().to_dict()
    {'veryhappy': 9806, 'prettyhappy': 4991, 'nottoohappy': 438}
    >>> gss.sensitive_names[0]
    'xmovie'
    """
    return _load("gss", variant, data_home, download_if_missing, as_frame)


@validate_params(_params("german_credit"), prefer_skip_nested_validation=True)
def load_german_credit(*, variant="clean", data_home=None, download_if_missing=True, as_frame=True):
    """Load the UCI Statlog German Credit dataset.

    Predict the credit risk (``credit_risk``: 1 = good, 2 = bad) of 1,000 loan applicants
    from 20 attributes; categorical values are UCI's codes (``A11``, ``A34``, ...), explained
    in the dataset card (``DESCR``). The file is downloaded from the UCI repository if it is
    not in the data home.

    Parameters
    ----------
    variant : {"clean"}, default="clean"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        If False, raise instead of downloading a missing file.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series; text columns have pandas'
        default string dtype. If False, they are numpy arrays and ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``frame``, ``data``, ``target``,
        ``target_name`` (``"credit_risk"``), ``feature_names``, ``sensitive_names``
        (``personal_status_sex``, ``age_years``, ``foreign_worker``), ``DESCR``,
        ``filename``, ``license`` and ``citation``; see :func:`load_adult`.

    Raises
    ------
    DatasetNotFoundError, DatasetChecksumError, DatasetDownloadError
        As in :func:`load_adult`.

    Examples
    --------
    >>> from tabinvert.datasets import load_german_credit
    >>> credit = load_german_credit()
    >>> credit.data.shape
    (1000, 20)
    >>> credit.target.value_counts().to_dict()
    {1: 700, 2: 300}
    >>> credit.sensitive_names
    ['personal_status_sex', 'age_years', 'foreign_worker']
    """
    return _load("german_credit", variant, data_home, download_if_missing, as_frame)


@validate_params(_params("compas"), prefer_skip_nested_validation=True)
def load_compas(*, variant="clean", data_home=None, download_if_missing=True, as_frame=True):
    """Load ProPublica's COMPAS two-year recidivism data, de-identified.

    Predict whether a defendant screened in Broward County, Florida, in 2013-2014 reoffended
    within two years (``two_year_recid``). Names, birth dates and court case numbers are
    removed; ``id`` is kept in ``frame`` but not in ``data``. Several remaining columns record
    what happened after screening (``is_recid``, ``r_*``, ``vr_*``, ``event``, ``end``) and
    leak the target: choose features before training. Read more in the dataset card
    (``DESCR``).

    The data carry no license and are not downloaded automatically; place
    ``compas/compas_two_years_deidentified.csv`` in the data home.

    Parameters
    ----------
    variant : {"clean"}, default="clean"
        Which table to load.
    data_home : str or path-like, default=None
        Folder holding the data; see :func:`get_data_home` for the default.
    download_if_missing : bool, default=True
        Has no effect: this file is never downloaded.
    as_frame : bool, default=True
        If True, ``data`` is a DataFrame and ``target`` a Series; text columns have pandas'
        default string dtype. If False, they are numpy arrays and ``frame`` is None.

    Returns
    -------
    bunch : :class:`~sklearn.utils.Bunch`
        Dictionary-like object with the attributes ``frame``, ``data``, ``target``,
        ``target_name`` (``"two_year_recid"``), ``feature_names``, ``sensitive_names``
        (``race``, ``sex``, ``age``, ``age_cat``), ``DESCR``, ``filename``, ``license`` and
        ``citation``; see :func:`load_adult`.

    Raises
    ------
    DatasetNotFoundError, DatasetChecksumError
        As in :func:`load_adult`.

    Examples
    --------
    >>> from tabinvert.datasets import load_compas
    >>> compas = load_compas()
    >>> compas.data.shape
    (7214, 42)
    >>> compas.target.value_counts().to_dict()
    {0: 3963, 1: 3251}
    >>> compas.sensitive_names
    ['race', 'sex', 'age', 'age_cat']
    """
    return _load("compas", variant, data_home, download_if_missing, as_frame)

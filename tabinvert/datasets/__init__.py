"""Real public tabular datasets, read from a local data home.

The loaders return :class:`~sklearn.utils.Bunch` objects with the table, the target, the
columns treated as sensitive in the attribute-inference literature, a dataset card and the
license and citation. Files are verified by sha256 each time they are read; openly licensed
files are downloaded on first use. See :func:`get_data_home` for where the files live.
"""

# Authors: The tabinvert developers
# SPDX-License-Identifier: BSD-3-Clause

from ._base import (
    DatasetChecksumError,
    DatasetDownloadError,
    DatasetNotFoundError,
    get_data_home,
)
from ._loaders import (
    load_adult,
    load_compas,
    load_german_credit,
    load_gss,
    load_heart,
    load_steak_survey,
    load_warfarin,
)

__all__ = [
    "DatasetChecksumError",
    "DatasetDownloadError",
    "DatasetNotFoundError",
    "get_data_home",
    "load_adult",
    "load_compas",
    "load_german_credit",
    "load_gss",
    "load_heart",
    "load_steak_survey",
    "load_warfarin",
]

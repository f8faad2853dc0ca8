"""Data home, checksums and fetching of dataset files.

Every dataset file is described by a :class:`FileSpec`: where it lives inside the data home,
its sha256, and how it can be obtained when it is missing (downloaded from upstream addresses,
rebuilt from other files, or neither, in which case the user is told how to get it). Files are
verified each time they are read. Files are written atomically: the content goes to a temporary
file in the target folder, is verified, and is only then moved into place with
:func:`os.replace`, so a failed or interrupted fetch never leaves a partial file behind.
"""

# Authors: The tabinvert developers
# SPDX-License-Identifier: BSD-3-Clause

import errno
import gzip
import hashlib
import http.client
import os
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .._io import write_atomic
from ..exceptions import DatasetChecksumError, DatasetDownloadError, DatasetNotFoundError

ENV_DATA_HOME = "TABINVERT_DATA"

# The ``tabinvert`` package folder; its parent is the root of a source checkout.
_PACKAGE_ROOT = Path(__file__).resolve().parents[1]
# A ``datasets/`` folder in the checkout is used as data home only if it holds this file.
_CHECKOUT_MARKER = "README.md"

_TIMEOUT = 60  # seconds, per request
_N_RETRIES = 3  # attempts per address on network errors
_RETRY_DELAY = 1.0  # seconds between attempts
_CHUNK_SIZE = 1 << 20


@dataclass(frozen=True)
class FileSpec:
    """How one dataset file is identified, verified and obtained.

    Parameters
    ----------
    path : str
        Location relative to the data home, with ``/`` separators
        (e.g. ``"adult/adult_clean.csv.gz"``).
    sha256 : str
        Hex digest of the file's bytes.
    license : str
        License under which the file may be used.
    urls : tuple of str, default=()
        Addresses to download the file from, tried in order. Empty if the file is not
        downloaded automatically.
    sources : tuple of str, default=()
        Paths (relative to the data home) of the files it is rebuilt from.
    build : callable, default=None
        ``build(*source_bytes) -> bytes``, deterministic, used when ``urls`` is empty.
    content_sha256 : str, default=None
        For a gzip file, the hex digest of the decompressed bytes. A rebuilt ``.gz`` file may
        differ byte-wise from the published one when the local zlib compresses differently; it
        is accepted when its content matches.
    how_to_obtain : str, default=""
        Instructions shown when the file is missing and cannot be fetched.
    """

    path: str
    sha256: str
    license: str
    urls: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    build: Callable[..., bytes] | None = None
    content_sha256: str | None = None
    how_to_obtain: str = ""

    @property
    def fetchable(self):
        """Whether a missing file can be obtained without the user's help."""
        return bool(self.urls) or self.build is not None


def get_data_home(data_home=None):
    """Return the folder the dataset loaders read from.

    The folder is chosen in this order:

    1. the ``data_home`` argument;
    2. the ``TABINVERT_DATA`` environment variable;
    3. the ``datasets/`` folder of a source checkout of tabinvert, if it holds a
       ``README.md``;
    4. a user cache: ``$XDG_CACHE_HOME/tabinvert``, or ``~/.cache/tabinvert``.

    The folder is not created here; loaders create it when they write a file into it. Its
    layout is ``<data_home>/<dataset>/<file>``, e.g. ``<data_home>/adult/adult_clean.csv.gz``.

    Parameters
    ----------
    data_home : str or path-like, default=None
        Folder to use. ``~`` is expanded.

    Returns
    -------
    data_home : pathlib.Path
        The data home.

    Raises
    ------
    TypeError
        If ``data_home`` is neither a path nor None.
    ValueError
        If ``data_home`` is an empty string.

    Examples
    --------
    >>> from pathlib import Path
    >>> from tabinvert.datasets import get_data_home
    >>> get_data_home("~/tabinvert_data") == Path.home() / "tabinvert_data"
    True
    """
    if data_home is not None:
        if not isinstance(data_home, (str, os.PathLike)):
            raise TypeError(
                f"data_home must be a folder path (str or path-like) or None; got "
                f"{data_home!r} of type {type(data_home).__name__}."
            )
        if not os.fspath(data_home).strip():
            # Path("") is the working directory: never a data home chosen on purpose.
            raise ValueError(
                f"data_home is an empty path ({data_home!r}); pass a folder, or None to use "
                f"the {ENV_DATA_HOME} environment variable or the default folder."
            )
        return Path(os.fspath(data_home)).expanduser()
    from_env = os.environ.get(ENV_DATA_HOME)
    if from_env:
        return Path(from_env).expanduser()
    checkout = _PACKAGE_ROOT.parent / "datasets"
    if (checkout / _CHECKOUT_MARKER).is_file():
        return checkout
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache).expanduser() / "tabinvert"


def _sha256(data):
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK_SIZE):
            digest.update(chunk)
    return digest.hexdigest()


def _matches(spec, data):
    """Whether ``data`` (bytes) is the content ``spec`` describes."""
    if _sha256(data) == spec.sha256:
        return True
    if spec.content_sha256 is None:
        return False
    try:
        return _sha256(gzip.decompress(data)) == spec.content_sha256
    except (OSError, EOFError, zlib.error):  # zlib.error: a corrupt deflate stream
        return False


def _checksum_error(spec, path, actual, fix):
    return DatasetChecksumError(
        f"{path} has sha256 {actual} but {spec.sha256} was expected: the file is corrupted, "
        f"truncated or a different version. {fix}"
    )


def _verify(spec, path):
    """Raise DatasetChecksumError unless the file at ``path`` is the one ``spec`` describes."""
    actual = _file_sha256(path)
    if actual == spec.sha256:
        return
    if spec.content_sha256 is not None and _matches(spec, Path(path).read_bytes()):
        return
    if spec.urls:
        fix = "Delete it; it is downloaded again on the next load."
    elif spec.build is not None:
        fix = f"Delete it; it is rebuilt from {', '.join(spec.sources)} on the next load."
    else:
        fix = f"Replace it with a correct copy. {spec.how_to_obtain}"
    raise _checksum_error(spec, path, actual, fix)


def _download_bytes(url):
    """Bytes at ``url``; retries network errors, not HTTP client errors (4xx)."""
    request = urllib.request.Request(url, headers={"User-Agent": "tabinvert"})
    for attempt in range(_N_RETRIES):
        try:
            with urllib.request.urlopen(request, timeout=_TIMEOUT) as response:
                return response.read()
        except urllib.error.HTTPError as exc:
            if exc.code < 500 or attempt == _N_RETRIES - 1:
                raise
        except (OSError, http.client.HTTPException):  # URLError, timeouts, resets
            if attempt == _N_RETRIES - 1:
                raise
        time.sleep(_RETRY_DELAY)


def _download(spec, path):
    failures = []
    for url in spec.urls:
        try:
            data = _download_bytes(url)
        except (OSError, http.client.HTTPException, ValueError) as exc:
            failures.append(f"{url}: {exc}")
            continue
        if not _matches(spec, data):
            failures.append(
                f"{url}: sha256 {_sha256(data)} differs from the expected {spec.sha256}"
            )
            continue
        write_atomic(path, data)
        return
    raise DatasetDownloadError(
        f"Could not download {spec.path} into {path}:\n  "
        + "\n  ".join(failures)
        + f"\nIf this machine is offline, download the file elsewhere and place it at {path}, "
        f"or set the {ENV_DATA_HOME} environment variable to a folder that already holds "
        f"{spec.path}."
    )


def _build(spec, path, data_home, files):
    sources = [fetch_file(files[name], data_home, True, files) for name in spec.sources]
    data = spec.build(*(source.read_bytes() for source in sources))
    if not _matches(spec, data):
        raise _checksum_error(
            spec,
            path,
            _sha256(data),
            f"It was rebuilt from {', '.join(map(str, sources))} and was not written; "
            "please report this as a bug.",
        )
    write_atomic(path, data)


def _check_folders(path, data_home):
    """Refuse a data home (or a dataset folder in it) that exists but is not a folder.

    Otherwise a file in the way reads as "dataset missing", and fetching it fails only after
    the download, when the file cannot be written.
    """
    for folder in path.parents:
        if folder.is_dir():
            return
        if not folder.exists():
            continue
        if folder == data_home or folder in data_home.parents:
            raise NotADirectoryError(
                errno.ENOTDIR,
                f"The data home {data_home} is not a folder ({folder} is a file). Pass "
                f"data_home=<a folder>, or set the {ENV_DATA_HOME} environment variable to "
                "one; a missing folder is created when a file is fetched into it",
                str(folder),
            )
        raise NotADirectoryError(
            errno.ENOTDIR,
            f"{folder} is a file where the data home {data_home} needs a folder for "
            f"{path.relative_to(data_home).as_posix()}: move it away",
            str(folder),
        )


def fetch_file(spec, data_home, download_if_missing, files):
    """Return the verified local path of ``spec``, fetching the file if needed.

    Parameters
    ----------
    spec : FileSpec
        The file.
    data_home : pathlib.Path
        Resolved data home.
    download_if_missing : bool
        If False, a missing file raises instead of being downloaded or rebuilt.
    files : dict of str to FileSpec
        All known files by path, to look up the sources of a rebuilt file.

    Returns
    -------
    path : pathlib.Path
        The file, verified against ``spec.sha256``.
    """
    path = data_home.joinpath(*spec.path.split("/"))
    _check_folders(path, data_home)
    if path.exists():
        if not path.is_file():
            raise IsADirectoryError(
                errno.EISDIR,
                f"{path} is a folder, not the dataset file {spec.path}: remove or rename it "
                f"so that the file can be placed or fetched there",
                str(path),
            )
        _verify(spec, path)
        return path
    where = (
        f"Place the file at {path}, or set the {ENV_DATA_HOME} environment variable to a "
        f"folder that holds {spec.path}."
    )
    if not spec.fetchable:
        raise DatasetNotFoundError(
            f"{spec.path} is not in the data home {data_home} and is not downloaded "
            f"automatically. {spec.how_to_obtain} {where}"
        )
    if not download_if_missing:
        raise DatasetNotFoundError(
            f"{spec.path} is not in the data home {data_home}. Pass "
            f"download_if_missing=True to fetch it, or: {where}"
        )
    if spec.urls:
        _download(spec, path)
    else:
        _build(spec, path, data_home, files)
    return path

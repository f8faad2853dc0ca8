"""File writing that never leaves a partial file behind, never writes where it cannot, and
never hands a spreadsheet a formula taken from the user's data."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

#: The first characters that make a spreadsheet (Excel, LibreOffice, Google Sheets) read a CSV
#: cell as a formula, as OWASP's "CSV injection" page lists them.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def write_atomic(path, data):
    """Write ``data`` (bytes or text) to ``path`` through a temporary file and a rename.

    The temporary file sits in the same folder (so the rename is atomic); it is removed on any
    failure, and an existing ``path`` is replaced only on success. Missing parent folders are
    created. An :class:`OSError` names ``path`` itself, never the temporary file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tabinvert._io import write_atomic
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> write_atomic(folder / "table.csv", "a,b\\n1,2\\n")
    >>> sorted(p.name for p in folder.iterdir())
    ['table.csv']
    >>> write_atomic(folder, "a,b\\n")
    Traceback (most recent call last):
    ...
    IsADirectoryError: [Errno 21] Is a directory: '...'
    """
    path = Path(path)
    temp = None
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except FileExistsError:  # an ancestor is a file: say so, not "file exists"
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)) from None
        handle, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
        with os.fdopen(handle, "wb") as stream:
            stream.write(data.encode("utf-8") if isinstance(data, str) else data)
        # mkstemp makes the file private (0600); give it the mode a plain open() would (the
        # umask's), or the replaced file's.
        os.chmod(temp, path.stat().st_mode & 0o7777 if path.exists() else 0o666 & ~_umask())
        os.replace(temp, path)
    except BaseException as exc:
        if temp is not None:
            Path(temp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            # The user chose ``path``; the temporary name would only confuse them.
            raise _os_error(exc, path) from exc
        raise


def check_writable(path):
    """Raise the :class:`OSError` that :func:`write_atomic` would meet at ``path``, if it can
    be seen before any work is done.

    Refuses a path that names a folder (an existing one, or one spelled with a trailing
    separator), a path below a file, and a path whose nearest existing folder is not writable.
    Missing parent folders are fine: :func:`write_atomic` creates them.

    Parameters
    ----------
    path : str or path-like

    Raises
    ------
    OSError
        With ``filename`` set to ``path`` and ``strerror`` saying what is wrong.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from tabinvert._io import check_writable
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> check_writable(folder / "new" / "report.html")  # the folder would be created
    >>> check_writable(folder)
    Traceback (most recent call last):
    ...
    IsADirectoryError: [Errno 21] it is a folder, not a file: '...'
    """
    text = os.fspath(path)
    if not text or text.endswith((os.sep, "/")) or os.path.isdir(text):
        raise IsADirectoryError(errno.EISDIR, "it is a folder, not a file", text)
    existing = Path(text).absolute().parent
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise NotADirectoryError(
            errno.ENOTDIR, f"{str(existing)!r} is a file, so it cannot hold folders", text
        )
    # W for the new entry, X to reach it; os.access asks with the real user's rights.
    if not os.access(existing, os.W_OK | os.X_OK):
        raise PermissionError(errno.EACCES, f"the folder {str(existing)!r} is not writable", text)


def neutralise_formula(value):
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Text starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
    (:data:`FORMULA_TRIGGERS`) gets the apostrophe that spreadsheets read as "this is text"
    (OWASP's advice against CSV injection); anything else, numbers included, is returned as is.

    Examples
    --------
    >>> from tabinvert._io import neutralise_formula
    >>> neutralise_formula("=HYPERLINK(\\"http://evil\\")"), neutralise_formula("smoker")
    ('\\'=HYPERLINK("http://evil")', 'smoker')
    >>> neutralise_formula(-0.5)
    -0.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def neutralise_formulas(frame):
    """A copy of ``frame`` whose text cells and column names cannot run as spreadsheet formulas.

    Every text cell and column name starting with ``=``, ``+``, ``-``, ``@``, a tab or a
    carriage return gets a leading ``'`` (see :func:`neutralise_formula`): column names and
    values come from the user's data, and a CSV opened in a spreadsheet would otherwise run
    ``=HYPERLINK(...)`` or ``=cmd|...`` cells. Numeric, boolean and date columns are left
    alone, so negative numbers stay numbers; in a column of mixed Python objects only the
    ``str`` cells change. Strip one leading ``'`` from a text cell to get the original back.

    Parameters
    ----------
    frame : pandas.DataFrame

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert._io import neutralise_formulas
    >>> frame = pd.DataFrame({"=1+1": ["@SUM(A1)", "ok"], "advantage": [-0.25, 0.5]})
    >>> neutralise_formulas(frame)
      '=1+1  advantage
    0  '@SUM(A1)      -0.25
    1        ok       0.50
    """
    import pandas as pd

    safe = frame.copy()
    safe.columns = [neutralise_formula(name) for name in frame.columns]
    for position in range(safe.shape[1]):  # by position: names may repeat
        column = safe.iloc[:, position]
        if (
            pd.api.types.is_numeric_dtype(column)
            or pd.api.types.is_bool_dtype(column)
            or pd.api.types.is_datetime64_any_dtype(column)
            or pd.api.types.is_timedelta64_dtype(column)
        ):
            continue
        safe.isetitem(position, column.map(neutralise_formula, na_action="ignore"))
    return safe


def _os_error(exc, path):
    """``exc`` retold about ``path`` (same errno, so the same OSError subclass)."""
    if exc.errno is None:
        return OSError(f"Cannot write {str(path)!r}: {exc}")
    return OSError(exc.errno, exc.strerror or os.strerror(exc.errno), os.fspath(path))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask

"""The report as a PDF, printed by headless Chromium from the self-contained HTML.

The HTML carries its own print stylesheet (A4, margins, tables and figures kept whole, badge
colours forced), so the PDF is the report as a browser prints it. Chromium is looked for on
the PATH (``chromium``, ``chromium-browser``, ``google-chrome``, ``google-chrome-stable``) or
named by the ``TABINVERT_CHROMIUM`` environment variable; without it, :class:`ChromiumNotFound`
says what to install. The PDF is written atomically: Chromium prints into a private temporary
folder, the result is checked to be a PDF, and only then replaces the target (through a
temporary file in the target's folder and a rename), so a failed or interrupted rendering
never leaves a partial file.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from .._io import write_atomic

#: Executables tried, in order, on the PATH.
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
#: The environment variable that names the browser to use.
CHROMIUM_VARIABLE = "TABINVERT_CHROMIUM"
#: Seconds Chromium may take to print a report before it is stopped.
TIMEOUT = 180


class ChromiumNotFound(ValueError):
    """No headless Chromium to print the PDF with (a ValueError: the command line reports it
    as bad input, exit code 2, with what to install)."""


def find_chromium():
    """The path of a Chromium (or Chrome) executable, or None.

    ``TABINVERT_CHROMIUM`` wins when set (it must name an executable file); otherwise the
    first of :data:`CHROMIUM_NAMES` on the PATH.
    """
    named = os.environ.get(CHROMIUM_VARIABLE)
    if named:
        return named if os.path.isfile(named) and os.access(named, os.X_OK) else None
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium():
    """The Chromium executable, or :class:`ChromiumNotFound` saying what to do."""
    browser = find_chromium()
    if browser is not None:
        return browser
    named = os.environ.get(CHROMIUM_VARIABLE)
    looked = (
        f"{CHROMIUM_VARIABLE}={named!r} is not an executable file"
        if named
        else f"none of {', '.join(CHROMIUM_NAMES)} is on the PATH"
    )
    raise ChromiumNotFound(
        f"Writing a PDF needs headless Chromium, which was not found ({looked}). Install it "
        "(e.g. 'apt-get install chromium', or Google Chrome), or set "
        f"{CHROMIUM_VARIABLE} to its path; or write the HTML report instead (--out "
        "report.html, Assessment.to_html) and print it to PDF from a browser: it carries its "
        "own print layout."
    )


def _command(browser, profile, html_path, pdf_path):
    return [
        browser,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--disable-extensions",
        f"--user-data-dir={profile}",
        f"--print-to-pdf={pdf_path}",
        "--no-pdf-header-footer",
        "--print-to-pdf-no-header",  # the older spelling of the same option
        "--generate-pdf-document-outline",
        Path(html_path).as_uri(),
    ]


def _run(command, timeout):
    """Run Chromium in its own process group; on timeout, stop that group (only it)."""
    process = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=timeout)
    except BaseException:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        raise
    return process.returncode, (out + err).decode("utf-8", "replace")


def html_to_pdf(html, path, *, browser=None, timeout=TIMEOUT):
    """Print ``html`` (a self-contained document) to a PDF at ``path``, atomically.

    Parameters
    ----------
    html : str
        The document (the report's HTML).
    path : str or path-like
        Where to write the PDF; an existing file is replaced only on success.
    browser : str, default=None
        The Chromium executable; default :func:`require_chromium`.
    timeout : float, default=TIMEOUT
        Seconds before Chromium is stopped and a :class:`RuntimeError` raised.

    Raises
    ------
    ChromiumNotFound
        When no Chromium is found.
    RuntimeError
        When Chromium fails, times out, or writes something that is not a PDF.
    """
    browser = browser or require_chromium()
    with tempfile.TemporaryDirectory(prefix="tabinvert-pdf-") as folder:
        folder = Path(folder)
        source, printed = folder / "report.html", folder / "report.pdf"
        source.write_text(html, encoding="utf-8")
        try:
            code, log = _run(_command(browser, folder / "profile", source, printed), timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError(
                f"Chromium did not finish printing the PDF within {timeout:g} seconds and was "
                "stopped; write the HTML report instead and print it from a browser."
            ) from None
        data = printed.read_bytes() if printed.exists() else b""
        if code != 0 or not data.startswith(b"%PDF"):
            tail = " ".join(log.split())[-600:]
            raise RuntimeError(
                f"Chromium ({browser}) could not print the PDF (exit code {code}"
                + ("" if data else ", no file written")
                + f"): {tail or 'no message'}"
            )
    write_atomic(path, data)

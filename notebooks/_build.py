"""Build the walk-through notebooks from their Python sources, and optionally execute them.

Each notebook ``NN_name.ipynb`` has its source next to it in ``NN_name.py``, a jupytext
"percent" script: ``# %%`` starts a code cell, ``# %% [markdown]`` a text cell whose lines are
Markdown behind ``# ``. The sources are ordinary Python that linters check and diffs show; edit
them, not the ``.ipynb`` files, then rebuild::

    python notebooks/_build.py                 # write the four notebooks (no outputs)
    python notebooks/_build.py --execute       # write them and execute them in place
    python notebooks/_build.py --execute 02    # only the notebooks whose name contains "02"
    python notebooks/_build.py --check         # fail if an .ipynb's cells differ from its .py

Building needs ``jupytext`` and ``nbformat``; executing also ``nbclient`` and ``ipykernel``, and
the real datasets (``TABINVERT_DATA``, or ``datasets/`` in the checkout). Each notebook runs in
the ``notebooks/`` folder, with the ``python3`` kernel of the current interpreter. Files are
written atomically: an interrupted or failed run leaves the previous ``.ipynb`` in place.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import jupytext
import nbformat

HERE = Path(__file__).resolve().parent

#: The last code cell of every notebook prints one line starting with this marker, followed by
#: a JSON object of the notebook's key facts; ``tests/notebooks/test_notebooks.py`` reads it.
FACTS_MARKER = "NOTEBOOK_FACTS"

KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}


def sources():
    """The notebook sources, ``NN_name.py``, in order."""
    return sorted(HERE.glob("[0-9][0-9]_*.py"))


def notebook_path(source):
    return Path(source).with_suffix(".ipynb")


def build(source):
    """The notebook (without outputs) that the percent-format script ``source`` describes."""
    source = Path(source)
    nb = jupytext.read(source, fmt="py:percent")
    # Only what the notebook needs, none of jupytext's bookkeeping.
    nb.metadata = nbformat.from_dict({"kernelspec": dict(KERNELSPEC),
                                      "language_info": {"name": "python"}})
    # Stable cell ids keep the diffs of a rebuild small.
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"{source.stem[:2]}-{k:02d}"
    nbformat.validate(nb)
    return nb


def cells(nb):
    """``(cell_type, source)`` for every cell: what must agree between a ``.py`` and its
    ``.ipynb``."""
    return [(cell.cell_type, cell.source) for cell in nb.cells]


def execute(nb, timeout=600):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}}, record_timing=False)
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def write_atomic(nb, path):
    """Write ``nb`` to ``path`` through a temporary file in the same folder, then rename."""
    path = Path(path)
    text = nbformat.writes(nb)
    if not text.endswith("\n"):
        text += "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, path.stat().st_mode & 0o777 if path.exists() else 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--execute", action="store_true",
                       help="execute each notebook and store its outputs")
    group.add_argument("--check", action="store_true",
                       help="write nothing; exit 1 if an .ipynb's cells differ from its .py")
    parser.add_argument("only", nargs="*", help="substrings of the notebook names to build")
    args = parser.parse_args(argv)
    stale = []
    for source in sources():
        target = notebook_path(source)
        if args.only and not any(part in target.name for part in args.only):
            continue
        nb = build(source)
        if args.check:
            if not target.exists() or (
                    cells(nbformat.read(target, as_version=4)) != cells(nb)):
                stale.append(target.name)
            continue
        if args.execute:
            seconds = execute(nb)
            print(f"{target.name}: executed in {seconds:.1f} s", flush=True)
        write_atomic(nb, target)
        print(f"wrote {target}", flush=True)
    if stale:
        print("out of date with their .py sources (rebuild them): " + ", ".join(stale),
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

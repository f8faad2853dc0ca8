"""Sphinx configuration of tabinvert's documentation.

Build (from the repository root, after ``pip install -e ".[docs]"``)::

    python -m sphinx -W --keep-going -b html docs docs/_build/html

``-W`` turns every warning into an error, as CI does; ``--keep-going`` reports all of them
before failing. The build fetches nothing from the network (no intersphinx inventories), so it
runs offline. The API pages under ``docs/api/generated/`` are written by autosummary at build
time from the docstrings; they are not committed.
"""

import argparse
import importlib
import os
import re
from pathlib import Path

from docutils import nodes
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

import tabinvert

logger = logging.getLogger(__name__)

project = "tabinvert"
author = "The tabinvert developers"
copyright = "The tabinvert developers, BSD-3-Clause"
version = release = tabinvert.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "numpydoc",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "README.md"]
root_doc = "index"
# The default role (single backquotes) reads as a Python object, as in numpydoc docstrings.
default_role = "py:obj"

# -- API reference ---------------------------------------------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_default_options = {"member-order": "groupwise"}
# numpydoc renders the docstrings; the class template lists the members itself.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
# Links to scikit-learn, NumPy and pandas would need their intersphinx inventories, which are
# fetched from the web: off, so that the build runs offline. Unresolved cross-references to
# them render as plain code (nitpicky mode is off).

# -- HTML ------------------------------------------------------------------------------------
html_theme = "alabaster"
html_theme_options = {
    "description": "What can an attacker infer about a tabular model's training data?",
    "fixed_sidebar": False,
}
html_static_path = []
html_show_sourcelink = False


# -- Helpers -----------------------------------------------------------------------------------


def _defined_in(obj):
    """The module that defines a class member (unwrapping properties and class methods)."""
    obj = getattr(obj, "fget", None) or getattr(obj, "__func__", None) or obj
    module = getattr(obj, "__module__", None)
    if module is None and hasattr(obj, "__objclass__"):  # methods of builtins (Exception)
        module = obj.__objclass__.__module__
    return module


def _skip_foreign_members(app, what, name, obj, skip, options):
    # Classes list their inherited members too (an attack's fit/attack/score come from
    # BaseAttack), but not those scikit-learn or Python define (get_params, set_output,
    # set_fit_request, with_traceback): their docstrings link into scikit-learn's own site.
    if what == "class":
        module = _defined_in(obj)
        if module is not None and not module.startswith("tabinvert"):
            return True
    return None


def _check_api_lists(app):
    # The API page lists each public module's names by hand (in a reading order); fail the
    # build (a warning, and -W) when a module's __all__ and that list differ.
    text = Path(app.srcdir, "api.rst").read_text(encoding="utf-8")
    listed = {}
    sections = r"\.\. currentmodule:: (\S+)\n(.*?)(?=\n\.\. currentmodule::|$)"
    for module, block in re.findall(sections, text, flags=re.S):
        names = re.findall(r"^   ~?([\w.]+)$", block, flags=re.M)
        listed.setdefault(module, set()).update(name.rpartition(".")[2] for name in names)
    for module, names in listed.items():
        public = set(getattr(importlib.import_module(module), "__all__", names)) - {"__version__"}
        if public != names:
            logger.warning(
                "api.rst: %s lists %s, but its __all__ is %s (missing: %s; extra: %s)",
                module,
                sorted(names),
                sorted(public),
                sorted(public - names),
                sorted(names - public),
            )


class CommandHelp(SphinxDirective):
    """``.. tabinvert-help:: assess``: the ``--help`` of a command, as the parser prints it."""

    optional_arguments = 1

    def run(self):
        from tabinvert.cli import build_parser

        parser = build_parser()
        if self.arguments:
            commands = next(
                action
                for action in parser._actions
                if isinstance(action, argparse._SubParsersAction)
            )
            parser = commands.choices[self.arguments[0]]
        columns = os.environ.get("COLUMNS")
        os.environ["COLUMNS"] = "92"  # argparse wraps to the terminal; the page is fixed
        try:
            text = parser.format_help()
        finally:
            if columns is None:
                del os.environ["COLUMNS"]
            else:
                os.environ["COLUMNS"] = columns
        return [nodes.literal_block(text, text)]


def setup(app):
    app.connect("autodoc-skip-member", _skip_foreign_members)
    app.connect("builder-inited", _check_api_lists)
    app.add_directive("tabinvert-help", CommandHelp)

"""The test suite's own layout: it mirrors the package, and it uses only tabinvert's public names.

* Every test module lives in a folder named after the part of the package it tests
  (``tests/attacks/``, ``tests/report/``, ...); only this module and ``conftest.py`` sit at the
  top of ``tests/``. Module names are unique across the folders (pytest imports them by name).
* Outside ``tests/internals/`` and ``tests/dp/``, a test reaches tabinvert the way a user does:
  no private module or name (a path component or name starting with ``_``; dunders such as
  ``__version__`` are public). That covers ``import`` and ``from ... import``, attributes read
  off an imported tabinvert name (``tabinvert._io.write_atomic``,
  ``attacks._imputation``), and a dotted name given as a string (``monkeypatch.setattr(
  "tabinvert._demo.settings", ...)``). ``tests/internals/`` holds the unit tests of private
  mechanisms (its README says why each is there); ``tests/dp/`` may test the differential-
  privacy mechanisms' internals.

The checks read the source with ``ast`` and import nothing.
"""

import ast
import textwrap
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
#: Folders whose tests may reach into private modules.
PRIVATE_ALLOWED = ("internals", "dp")
#: Modules allowed at the top of tests/.
TOP_LEVEL = {"conftest.py", "test_layout.py"}


def _private(part):
    return part.startswith("_") and not (part.startswith("__") and part.endswith("__"))


def _attribute_chain(node):
    """``a.b.c`` as ``["a", "b", "c"]``, or None when the chain does not start at a name."""
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    return [node.id, *reversed(parts)]


def private_uses(source):
    """``(line, what)`` for each use of a private tabinvert module or name in ``source``."""
    tree = ast.parse(source)
    found = []
    bound = set()  # local names bound to tabinvert or to one of its names
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                parts = alias.name.split(".")
                if parts[0] != "tabinvert":
                    continue
                bound.add(alias.asname or "tabinvert")
                if any(_private(p) for p in parts):
                    found.append((node.lineno, f"import {alias.name}"))
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            parts = node.module.split(".")
            if parts[0] != "tabinvert":
                continue
            names = [alias.name for alias in node.names]
            bound.update(alias.asname or alias.name for alias in node.names)
            if any(_private(p) for p in parts) or any(_private(n) for n in names):
                found.append((node.lineno, f"from {node.module} import {', '.join(names)}"))
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            parts = node.value.split(".")
            dotted = len(parts) > 1 and all(p.isidentifier() for p in parts)
            if dotted and parts[0] == "tabinvert" and any(_private(p) for p in parts):
                found.append((node.lineno, f"the dotted name {node.value!r}"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            chain = _attribute_chain(node)
            if chain and chain[0] in bound and any(_private(p) for p in chain[1:]):
                found.append((node.lineno, ".".join(chain)))
    # An attribute chain and the chains inside it (a.b._c.d, a.b._c) are one use: keep the longest.
    found = sorted(set(found))
    return [
        (line, what)
        for line, what in found
        if not any(
            other_line == line and other != what and other.startswith(what + ".")
            for other_line, other in found
        )
    ]


def _test_modules():
    return sorted(TESTS.rglob("test_*.py"))


def _private_allowed(path):
    # This module names private modules in its examples, as strings for the detector.
    return path.relative_to(TESTS).parts[0] in PRIVATE_ALLOWED or path.name == "test_layout.py"


# -- the detector can fail ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, what",
    [
        ("import tabinvert._io", "import tabinvert._io"),
        ("import tabinvert._io as io", "import tabinvert._io"),
        ("from tabinvert._query import query_candidates", "from tabinvert._query import"),
        ("from tabinvert.metrics._risk import wilson_interval", "from tabinvert.metrics._risk"),
        ("from tabinvert.datasets import _base", "from tabinvert.datasets import _base"),
        ("from tabinvert.attacks import (\n    LabelOnly,\n    _learners,\n)", "_learners"),
        ("from tabinvert.cli import main, _typed_candidates", "_typed_candidates"),
        ("import tabinvert\ntabinvert._io.write_atomic('x', 'y')", "tabinvert._io.write_atomic"),
        ("from tabinvert import attacks\nattacks._imputation", "attacks._imputation"),
        ("from tabinvert.attacks import A\nA._fit_learner", "A._fit_learner"),
        ("m.setattr('tabinvert._demo.settings', f)", "'tabinvert._demo.settings'"),
    ],
)
def test_the_detector_finds_each_way_of_reaching_a_private_name(source, what):
    uses = private_uses(source)
    assert len(uses) == 1, uses
    assert what in uses[0][1]


def test_the_detector_names_the_line():
    source = textwrap.dedent(
        """\
        import numpy as np

        from tabinvert import assess
        from tabinvert.report._plots import load_matplotlib
        """
    )
    assert private_uses(source) == [(4, "from tabinvert.report._plots import load_matplotlib")]


@pytest.mark.parametrize(
    "source",
    [
        "from tabinvert import __version__, assess",
        "import tabinvert\ntabinvert.__version__\ntabinvert.defenses.__all__",
        "from tabinvert.attacks import ConfidenceInversion\nConfidenceInversion.fit",
        "from sklearn.utils._param_validation import InvalidParameterError",
        "import numpy as np\nnp._NoValue",
        "from . import _helpers",  # relative imports are not tabinvert's
        "x = 'tabinvert.report.render_html'",
        "x = 'see tabinvert._io for how'",  # prose, not a dotted name
        "obj._private_attribute",  # not reached through a tabinvert name
        "from tabinvert.assessment import Assessment\nAssessment.from_json",
    ],
)
def test_the_detector_lets_public_names_pass(source):
    assert private_uses(source) == []


# -- the suite ------------------------------------------------------------------------------------


def test_tests_outside_internals_use_only_public_names():
    offences = [
        f"{path.relative_to(TESTS.parent)}:{line}: {what}"
        for path in _test_modules()
        if not _private_allowed(path)
        for line, what in private_uses(path.read_text(encoding="utf-8"))
    ]
    assert not offences, (
        "tests outside tests/internals/ use private tabinvert names (test through the public "
        "API, or move a unit test of a private mechanism to tests/internals/ and say why in its "
        "README):\n" + "\n".join(offences)
    )


def loose_modules(root):
    """Python files at the top of ``root`` other than conftest.py and this module."""
    return sorted(p.name for p in root.glob("*.py") if p.name not in TOP_LEVEL)


def repeated_names(root):
    """Test module names found in more than one folder below ``root``."""
    seen = {}
    for path in sorted(root.rglob("test_*.py")):
        seen.setdefault(path.name, []).append(path.relative_to(root).as_posix())
    return {name: paths for name, paths in seen.items() if len(paths) > 1}


def test_the_folder_checks_can_fail(tmp_path):
    for name in ("conftest.py", "test_layout.py", "test_loose.py"):
        (tmp_path / name).write_text("")
    for folder in ("attacks", "internals"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "test_same.py").write_text("")
    assert loose_modules(tmp_path) == ["test_loose.py"]
    assert repeated_names(tmp_path) == {
        "test_same.py": ["attacks/test_same.py", "internals/test_same.py"]
    }


def test_test_modules_live_in_folders_that_mirror_the_package():
    loose = loose_modules(TESTS)
    assert not loose, f"modules at the top of tests/ (put them in the folder they test): {loose}"


def test_test_module_names_are_unique():
    repeated = repeated_names(TESTS)
    assert not repeated, f"test modules with the same name in several folders: {repeated}"


def test_internals_say_why_they_reach_into_private_modules():
    readme = (TESTS / "internals" / "README.md").read_text(encoding="utf-8")
    for path in sorted((TESTS / "internals").glob("test_*.py")):
        assert f"`{path.name}`" in readme, f"tests/internals/README.md does not list {path.name}"

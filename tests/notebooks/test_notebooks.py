"""The walk-through notebooks in ``notebooks/``: they are built from their Python sources, they run
top to bottom, their stored outputs are complete, and the facts their text relies on still hold.

Each ``NN_name.ipynb`` is built by ``notebooks/_build.py`` from ``NN_name.py``, a jupytext
percent-format script; its cells must equal the ones parsed from that script, so the two cannot
drift. Each notebook is executed afresh (in memory; the file is not rewritten) with nbclient and the
``python3`` kernel of this interpreter, in the ``notebooks/`` folder, with ``TABINVERT_DATA``
inherited from the environment (the root ``conftest.py`` points it at the shared datasets). The
last code cell of every notebook prints ``NOTEBOOK_FACTS {json}``; the checks read it.

The executions are marked ``slow`` (about a minute for the four): ``pytest -m "not slow"`` runs
only the checks of the committed files.

nbclient, nbformat, ipykernel and jupytext are test dependencies: without them the tests skip
locally and fail in CI (``CI`` set), so that a missing install cannot pass as green.
"""

import ast
import importlib.util
import json
import math
import os
import shutil
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
FACTS_MARKER = "NOTEBOOK_FACTS"
CELL_TIMEOUT = 300  # seconds per cell; each notebook takes well under a minute in all

try:
    import ipykernel  # noqa: F401  (the kernel nbclient starts)
    import jupytext  # noqa: F401  (the builder reads the notebooks' sources with it)
    import nbclient
    import nbformat
except ImportError as exc:  # pragma: no cover - depends on the environment
    MISSING = f"{exc.name} is not installed (pip install nbclient nbformat ipykernel jupytext)"
else:
    MISSING = None

if MISSING and not os.environ.get("CI"):
    pytest.skip(f"notebook tests need {MISSING}", allow_module_level=True)

# The Jupyter machinery may warn about its own deprecations, or about sockets left for the
# garbage collector, while it starts and stops a kernel (none does with the versions tested);
# those are not ours to fix, and pytest turns warnings into errors in this project. Warnings
# raised *inside* a notebook never reach this process: the stored-output test rejects them.
_JUPYTER = "(jupyter_client|jupyter_core|nbclient|nbformat|traitlets|zmq|tornado|asyncio)"
pytestmark = [
    pytest.mark.filterwarnings(f"ignore::DeprecationWarning:{_JUPYTER}"),
    pytest.mark.filterwarnings(f"ignore::PendingDeprecationWarning:{_JUPYTER}"),
    pytest.mark.filterwarnings(f"ignore::RuntimeWarning:{_JUPYTER}"),
    pytest.mark.filterwarnings("ignore::ResourceWarning"),
]

NAMES = [
    "01_quickstart.ipynb",
    "02_warfarin_reproduction.ipynb",
    "03_defenses_tradeoff.ipynb",
    "04_dpia_walkthrough.ipynb",
]


def _require_tools():
    if MISSING:
        pytest.fail(f"CI must install the notebook test dependencies: {MISSING}")


_builder = []


def _build_module():
    """``notebooks/_build.py``, imported once (it is not a package, so by its path)."""
    if not _builder:
        spec = importlib.util.spec_from_file_location(
            "_tabinvert_notebooks_build", NOTEBOOKS / "_build.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _builder.append(module)
    return _builder[0]


def _read(name):
    return nbformat.read(NOTEBOOKS / name, as_version=4)


def _stdout(cell):
    return "".join(
        o.get("text", "")
        for o in cell.get("outputs", [])
        if o.get("output_type") == "stream" and o.get("name") == "stdout"
    )


def _facts(nb):
    for cell in reversed(nb.cells):
        if cell.cell_type != "code":
            continue
        for line in _stdout(cell).splitlines():
            if line.startswith(FACTS_MARKER + " "):
                return json.loads(line[len(FACTS_MARKER) + 1 :])
    raise AssertionError(f"no {FACTS_MARKER} line in the notebook's outputs")


_executed = {}


def _execute(name):
    """Execute a fresh copy of the notebook once per session; return it (outputs included)."""
    if name not in _executed:
        nb = _read(name)
        for cell in nb.cells:  # start from a clean copy, as a newcomer's "restart & run all"
            if cell.cell_type == "code":
                cell.outputs, cell.execution_count = [], None
        client = nbclient.NotebookClient(
            nb,
            timeout=CELL_TIMEOUT,
            kernel_name="python3",
            allow_errors=False,
            resources={"metadata": {"path": str(NOTEBOOKS)}},
            record_timing=False,
        )
        try:
            client.execute()
        except nbclient.exceptions.CellExecutionError as error:
            _executed[name] = error
        else:
            _executed[name] = nb
    result = _executed[name]
    if isinstance(result, Exception):
        pytest.fail(f"{name} failed while executing:\n{result}")
    return result


def _should_show_something(source):
    """Whether a code cell prints, shows a plot, or ends with an expression that has a value."""
    tree = ast.parse(source)
    calls = [node.func for node in ast.walk(tree) if isinstance(node, ast.Call)]
    names = {getattr(f, "id", None) for f in calls} | {getattr(f, "attr", None) for f in calls}
    if "print" in names or "show" in names:
        return True
    if not tree.body or not isinstance(tree.body[-1], ast.Expr):
        return False
    last = tree.body[-1].value
    returns_none = {"close", "set_option", "filterwarnings", "seed", "use"}
    return not (isinstance(last, ast.Call) and getattr(last.func, "attr", None) in returns_none)


def _no_errors(nb):
    for k, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", (
                f"cell {k} raised {output.get('ename')}: {output.get('evalue')}"
            )


# ---------------------------------------------------------------------------------------------
# The sources: one percent-format script per notebook, and the notebook is built from it.
# ---------------------------------------------------------------------------------------------
def test_one_source_per_notebook():
    _require_tools()
    build = _build_module()
    assert build.FACTS_MARKER == FACTS_MARKER
    assert [build.notebook_path(s).name for s in build.sources()] == NAMES
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == NAMES


@pytest.mark.parametrize("name", NAMES)
def test_cells_match_source(name):
    """The committed notebook's cells are exactly those of its ``.py`` (re-parsed now): edit the
    ``.py``, then rebuild with ``python notebooks/_build.py --execute``."""
    _require_tools()
    build = _build_module()
    source = NOTEBOOKS / name.replace(".ipynb", ".py")
    expected = build.build(source)
    stored = _read(name)
    hint = (
        f"{name} is out of date with {source.name}: rebuild it "
        "(python notebooks/_build.py --execute)"
    )
    code = [s for kind, s in build.cells(expected) if kind == "code"]
    assert [s for kind, s in build.cells(stored) if kind == "code"] == code, hint
    assert build.cells(stored) == build.cells(expected), hint + " (a text cell differs)"
    assert [cell.get("id") for cell in stored.cells] == [cell.id for cell in expected.cells]
    assert stored.metadata["kernelspec"] == expected.metadata["kernelspec"]
    # The source itself is a script, as jupytext's percent format reads it: no cell was lost
    # to a malformed marker, and the code is valid Python.
    text = source.read_text(encoding="utf-8")
    markers = [line for line in text.splitlines() if line.startswith("# %%")]
    assert len(markers) == len(expected.cells), "a cell marker that jupytext did not read"
    ast.parse(text, filename=str(source))
    assert any(FACTS_MARKER in s for s in code[-1:]), "the last code cell prints the facts"


# ---------------------------------------------------------------------------------------------
# The files as committed: every code cell executed, in order, with its outputs stored.
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_stored_outputs(name):
    _require_tools()
    nb = _read(name)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    assert code, "a notebook without code"
    counts = [cell.get("execution_count") for cell in code]
    assert all(isinstance(c, int) for c in counts), (
        f"unexecuted code cells (execution_count None) at positions "
        f"{[k for k, c in enumerate(counts) if not isinstance(c, int)]}: execute the notebook "
        "(python notebooks/_build.py --execute) before committing"
    )
    assert counts == list(range(1, len(code) + 1)), (
        f"cells were not executed top to bottom in one run: {counts}"
    )
    _no_errors(nb)
    for cell in code:
        if _should_show_something(cell.source):
            assert cell.outputs, (
                f"code cell {cell.execution_count} prints or shows a value but has no stored "
                f"output:\n{cell.source[:200]}"
            )
    # No warnings were left in the stored outputs for a reader to puzzle over.
    for cell in code:
        for output in cell.outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                assert "Warning" not in output.get("text", ""), (
                    f"code cell {cell.execution_count} printed a warning:\n{output['text'][:500]}"
                )
    # The key facts are stored too, so a reader sees what the tests check.
    _facts(nb)
    # Plots are stored as images where the notebook draws them.
    if any("plt.show()" in cell.source for cell in code):
        assert any(
            "image/png" in output.get("data", {}) for cell in code for output in cell.outputs
        ), "a plot without a stored image"


# ---------------------------------------------------------------------------------------------
# Fresh executions, and the facts each notebook's text states.
# ---------------------------------------------------------------------------------------------
@pytest.mark.slow
@pytest.mark.data
def test_quickstart_runs():
    _require_tools()
    nb = _execute("01_quickstart.ipynb")
    _no_errors(nb)
    facts = _facts(nb)
    advantage = facts["members_advantage"]
    low, high = facts["members_advantage_ci"]
    # The members' advantage is reported with its interval, and the interval brackets it.
    assert all(math.isfinite(v) for v in (advantage, low, high))
    assert low <= advantage <= high and low < high
    # The text: the forest leaks the members' sex beyond imputation, not the non-members'.
    assert low > 0, facts
    assert facts["non_members_advantage"] < advantage, facts
    # ... and on people it never saw, CSMIA does worse than imputation.
    assert facts["non_members_advantage_ci"][1] < 0, facts


@pytest.mark.slow
@pytest.mark.data
def test_warfarin_runs():
    _require_tools()
    nb = _execute("02_warfarin_reproduction.ipynb")
    _no_errors(nb)
    facts = _facts(nb)
    members = facts["vkorc1_members"]
    # Fredrikson et al.'s ordering: most common genotype < MAP inversion < ideal classifier.
    assert members["most common genotype"] < members["MAP inversion (attack)"], members
    assert members["MAP inversion (attack)"] < members["ideal classifier"], members
    assert (
        facts["vkorc1_non_members"]["MAP inversion (attack)"]
        > (facts["vkorc1_non_members"]["most common genotype"])
    )
    # The text: measured against imputation, the attack shows no leakage from the model.
    assert facts["advantage_members_ci"][0] <= 0, facts
    # ... and it works about as well on patients the model never saw (no memorisation).
    assert (
        abs(
            facts["vkorc1_non_members"]["MAP inversion (attack)"]
            - members["MAP inversion (attack)"]
        )
        < 0.06
    )
    # CYP2C9: the attack is no better than the most common genotype.
    assert abs(facts["cyp2c9_attack"] - facts["cyp2c9_most_common"]) < 0.02
    # Rounding: fine steps change nothing, the coarsest costs both the attack and the model.
    attack, r2 = facts["rounding_attack_members"], facts["rounding_r2"]
    assert facts["rounding_steps"][0] == "none"
    assert abs(attack[1] - attack[0]) < 0.01 and abs(r2[1] - r2[0]) < 0.01
    assert attack[-1] < attack[0] - 0.05 and r2[-1] < r2[0] - 0.2


@pytest.mark.slow
@pytest.mark.data
def test_defenses_runs():
    _require_tools()
    nb = _execute("03_defenses_tradeoff.ipynb")
    _no_errors(nb)
    facts = _facts(nb)
    # Every probability defense of tabinvert.defenses is in the sweep.
    kinds = " ".join(facts["defenses"]).lower()
    for word in (
        "round",
        "coarsen",
        "top-1",
        "label only",
        "threshold",
        "gaussian",
        "reverse sigmoid",
    ):
        assert word in kinds, word
    # LOMIA reads labels only: exactly the same score under LabelOnly() as undefended, and
    # under every defense that keeps the arg-max.
    assert facts["lomia_members_label_only"] == facts["lomia_members_none"]
    assert facts["lomia_non_members_label_only"] == facts["lomia_non_members_none"]
    assert facts["argmax_defenses_lomia_identical"] and facts["n_argmax_defenses"] >= 5
    # ... while the confidence attack loses its advantage when only labels are returned.
    assert facts["csmia_advantage_label_only"] < facts["csmia_advantage_none"]
    assert facts["frontier_defenses"]
    # The text: coarse bins can even improve the log-loss of the over-confident forest.
    assert facts["log_loss_coarsen"] < facts["log_loss_none"]
    # The query budget stopped the attack part-way, and the error said how far it got.
    assert 0 < facts["budget_records_completed"] < facts["budget_records_total"]
    assert facts["budget_rows_used"] <= 2500


@pytest.mark.slow
@pytest.mark.data
def test_dpia_runs():
    _require_tools()
    nb = _execute("04_dpia_walkthrough.ipynb")
    _no_errors(nb)
    facts = _facts(nb)
    report = Path(facts["report_path"])
    try:
        assert report.is_file(), report
        html = report.read_text(encoding="utf-8")
        assert html.startswith("<!DOCTYPE html>")
        assert "Threat model" in html and "Reproducibility" in html
        assert "<script" not in html
        assert (report.parent / "heart_disease_risk_report.json").is_file()
    finally:
        if report.parent.name.startswith("tabinvert-dpia-"):
            shutil.rmtree(report.parent, ignore_errors=True)
    assert set(facts["risk_levels"]) == {"sex", "age"}
    assert set(facts["risk_levels"].values()) <= {"none", "low", "medium", "high", "undetermined"}
    assert facts["paragraph_chars"] > 300
    assert "LOMIA" in facts["attacks"] and "imputation" in facts["attacks"]

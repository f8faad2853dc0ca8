"""The README's promises and the command line.

Every fenced code block of README.md is run or checked here, so that none can go stale:

* ``python`` blocks are executed in order, in one shared namespace (later blocks use the
  model and data of the first), in a temporary folder;
* ``bash`` blocks are split into commands (continuation lines joined, comments dropped,
  ``&&`` separating commands), and each command must match one rule:

  - ``tabinvert ...``: run for real, through the installed console script, in a temporary
    folder where the test first makes the files the command names (a skops model, CSVs with
    the columns it names);
  - ``pip install ...``: not run (it would change the test's own environment); what it
    installs must be this project (``.`` or ``tabinvert``) with extras that ``pyproject.toml``
    defines, or a package as one of those extras lists it (``dask[distributed]``); the same
    holds for ``pip install`` in the prose's inline code. The opening block's commands must
    be the ones ``.ci/run`` runs;
  - ``pytest`` (the opening block only): checked against ``.ci/run``, not run (it would run
    this test again);

* a block of any other language, or a command no rule covers, fails the suite.
"""

import contextlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from conftest import ModelServer
from tabinvert.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
HANDLED_LANGUAGES = {"python", "bash"}
OPENING_COMMANDS = ["pip install . && tabinvert demo", 'pip install ".[test]" && pytest']

# dask's scheduler warns when its dashboard's default port is taken by another program on the
# machine (only with bokeh installed); not something the README's example can fix.
pytestmark = pytest.mark.filterwarnings("ignore:Port \\d+ is already in use:UserWarning")


# -- reading the README ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    line: int  # of the opening fence, 1-based


def readme_blocks(text=None):
    """Every fenced code block of the README (``` or ~~~ fences, indented or not)."""
    lines = (README.read_text(encoding="utf-8") if text is None else text).splitlines(keepends=True)
    opening = re.compile(r"^\s*(`{3,}|~{3,})\s*([^\s`~]*)")
    blocks, i = [], 0
    while i < len(lines):
        match = opening.match(lines[i])
        if not match:
            i += 1
            continue
        fence, language = match.group(1), match.group(2).lower()
        closing = re.compile(rf"^\s*{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        end = i + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        assert end < len(lines), f"README.md:{i + 1}: a code fence that is never closed"
        blocks.append(Block(language, "".join(lines[i + 1 : end]), i + 1))
        i = end + 1
    return blocks


def bash_commands(code):
    """The commands of a bash block, as token lists: lines joined at a trailing backslash,
    ``#`` comments dropped, ``&&`` separating commands."""
    commands = []
    for line in code.replace("\\\n", " ").splitlines():
        command = []
        for token in shlex.split(line, comments=True):
            if token == "&&":
                commands.append(command)
                command = []
            else:
                command.append(token)
        if command:
            commands.append(command)
    return commands


def command_rule(tokens):
    """Which rule covers a README shell command: "tabinvert", "pip", "pytest" or None."""
    if tokens[0] == "tabinvert":
        return "tabinvert"
    if tokens[:2] == ["pip", "install"]:
        return "pip"
    if tokens == ["pytest"]:
        return "pytest"
    return None


BLOCKS = readme_blocks()
BASH = [
    (index, block, tokens)
    for index, block in enumerate(BLOCKS)
    if block.language == "bash"
    for tokens in bash_commands(block.code)
]
TABINVERT_COMMANDS = [
    (block, tokens) for _, block, tokens in BASH if command_rule(tokens) == "tabinvert"
]


def markdown_table(heading, first_header):
    """The rows (lists of cell texts) of the table whose first header cell is ``first_header``,
    in the README section that starts with ``heading``."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index(heading) :]
    end = section.find("\n## ", 1)
    lines = (section if end < 0 else section[:end]).splitlines()

    def cells(line):
        return [cell.strip() for cell in line.strip().strip("|").split("|")]

    start = next(
        i for i, line in enumerate(lines) if line.startswith("|") and cells(line)[0] == first_header
    )
    rows = []
    for line in lines[start + 2 :]:  # after the header and its |---| line
        if not line.startswith("|"):
            break
        rows.append(cells(line))
    return rows


def readme_text():
    """The README with its line breaks collapsed, to look for phrases wrapped over lines."""
    return " ".join(README.read_text(encoding="utf-8").split())


# -- every block is of a language handled here, and every command has a rule --------------------


def test_every_readme_code_block_is_of_a_handled_language():
    assert BLOCKS, "no code block found in README.md"
    unhandled = [
        f"README.md:{b.line}: {b.language or '(no language)'}"
        for b in BLOCKS
        if b.language not in HANDLED_LANGUAGES
    ]
    assert not unhandled, (
        f"code blocks of a language tests/cli/test_readme_and_cli.py does not run: {unhandled}; "
        f"handled: {sorted(HANDLED_LANGUAGES)}"
    )


def test_block_reader_finds_every_fence():
    text = (
        "# t\n\n```bash\nls\n```\n\n~~~python\nx = 1\n~~~\n\n```\nplain\n```\n"
        "\n* item\n\n  ```Console\n  $ ls\n  ```\n"
    )
    assert [(b.language, b.code, b.line) for b in readme_blocks(text)] == [
        ("bash", "ls\n", 3),
        ("python", "x = 1\n", 7),
        ("", "plain\n", 11),
        ("console", "  $ ls\n", 17),
    ]
    assert bash_commands("a b \\\n  c && d  # note\ne\n") == [["a", "b", "c"], ["d"], ["e"]]


def test_every_readme_shell_command_has_a_rule():
    assert BASH
    for index, block, tokens in BASH:
        rule = command_rule(tokens)
        where = f"README.md:{block.line}: {shlex.join(tokens)}"
        assert rule is not None, f"{where}: no rule runs or checks this command"
        if rule == "pytest":
            assert index == 0, f"{where}: pytest is only checked in the opening block"


def test_readme_opens_with_the_two_commands():
    lines = README.read_text(encoding="utf-8").splitlines()
    first = BLOCKS[0]
    assert [line for line in lines[: first.line - 1] if line.strip()] == ["# tabinvert"]
    assert first.language == "bash"
    commands = [line.split("#")[0].strip() for line in first.code.strip().splitlines()]
    assert commands == OPENING_COMMANDS


# -- pip install: this project with its own extras, and what CI installs --------------------------


def pyproject_extras():
    toml = pytest.importorskip("tomllib" if sys.version_info >= (3, 11) else "tomli")
    with open(ROOT / "pyproject.toml", "rb") as stream:
        return toml.load(stream)["project"]["optional-dependencies"]


def requirement(spec):
    """``(name, extras)`` of a requirement such as ``.[test]`` or ``dask[distributed]>=2024.1``."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.-]+)\s*(?:\[([^\]]*)\])?\s*(.*)", spec)
    assert match, f"not a requirement: {spec!r}"
    extras = frozenset(e.strip() for e in (match.group(2) or "").split(",") if e.strip())
    return match.group(1).lower(), extras


def pip_specs(tokens):
    """The requirements a ``pip install`` command names (its options dropped)."""
    assert tokens[:2] == ["pip", "install"]
    return [requirement(t) for t in tokens[2:] if not t.startswith("-")]


def readme_pip_commands():
    """``pip install`` commands of the bash blocks and of the prose's inline code."""
    commands = [tokens for _, _, tokens in BASH if command_rule(tokens) == "pip"]
    for span in re.findall(r"`(pip install [^`]+)`", README.read_text(encoding="utf-8")):
        commands.append(shlex.split(span))
    return commands


def test_readme_pip_installs_name_this_project_and_its_extras():
    extras = pyproject_extras()
    declared = {requirement(r) for requirements in extras.values() for r in requirements}
    commands = readme_pip_commands()
    assert len(commands) >= 4  # the two opening ones, the report, skops and dask extras
    for tokens in commands:
        specs = pip_specs(tokens)
        assert specs, shlex.join(tokens)
        for name, wanted in specs:
            if name in (".", "tabinvert"):
                assert wanted <= set(extras), (
                    f"{shlex.join(tokens)}: no extra {wanted - set(extras)}"
                )
            else:  # another package: only as the project itself declares it
                assert (name, wanted) in declared, (
                    f"{shlex.join(tokens)}: {name}{sorted(wanted)} is not in pyproject.toml"
                )


def ci_commands():
    """The commands ``.ci/run`` runs, written as the README writes them: a virtualenv's path
    dropped from executables, ``python -m pip`` as ``pip``, pip's options and redirections
    dropped."""
    commands = []
    for line in (
        (ROOT / ".ci" / "run").read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
    ):
        if line.lstrip().startswith("#"):
            continue
        for piece in re.split(r"&&|\|\||;|\(|\)", line):
            try:
                tokens = shlex.split(piece, comments=True)
            except ValueError:  # a piece of a quoted $(...) cut by the split
                continue
            cut = next((i for i, t in enumerate(tokens) if re.match(r"\d?[<>]", t)), len(tokens))
            tokens = tokens[:cut]
            if not tokens:
                continue
            tokens[0] = os.path.basename(tokens[0])
            if tokens[0].startswith("python") and tokens[1:3] == ["-m", "pip"]:
                tokens = tokens[2:]
            if tokens[:2] == ["pip", "install"]:
                tokens = tokens[:2] + [t for t in tokens[2:] if not t.startswith("-")]
            commands.append(tokens)
    return commands


def test_readme_opening_commands_are_what_ci_runs():
    ci = ci_commands()
    ci_installs = [set(pip_specs(c)) for c in ci if c[:2] == ["pip", "install"]]
    opening = [tokens for index, _, tokens in BASH if index == 0]
    assert opening == [
        ["pip", "install", "."],
        ["tabinvert", "demo"],
        ["pip", "install", ".[test]"],
        ["pytest"],
    ]
    for tokens in opening:
        if command_rule(tokens) == "pip":
            # CI installs the project with the test extra: `pip install .` is that, less the
            # extra; `pip install ".[test]"` is exactly it.
            for name, extras in pip_specs(tokens):
                assert any(
                    any(n == name and extras <= e for n, e in install) for install in ci_installs
                ), (shlex.join(tokens), ci_installs)
            assert any(install == {(".", frozenset({"test"}))} for install in ci_installs)
        else:  # `tabinvert demo` and the bare `pytest`: the very same command
            assert tokens in ci, (tokens, ci)


# -- tabinvert commands: run for real -------------------------------------------------------------


def tabinvert_executable():
    """The console script that installing the project puts beside the running interpreter
    (or on the PATH): what the README's `tabinvert ...` commands run."""
    script = Path(sys.executable).parent / "tabinvert"
    found = str(script) if script.is_file() else shutil.which("tabinvert")
    assert found, "the `tabinvert` console script is not installed (pip install .)"
    return [found]


def run_tabinvert(tokens, folder, env=None):
    result = subprocess.run(
        [*tabinvert_executable(), *tokens[1:]],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        env=None if env is None else {**os.environ, **env},
    )
    return result


def make_assess_files(args, folder):
    """The files a README `tabinvert assess` command names: a forest that memorised noisy
    labels depending on the first sensitive column (so its members' values leak), saved with
    skops, and its training / held-out records as CSV with the columns the command names.
    Text columns have two values: binary attack models fit three times faster."""
    import skops.io as sio
    from sklearn.compose import make_column_transformer
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    rng = np.random.default_rng(0)
    n = 600
    frame = pd.DataFrame({"age": rng.integers(20, 70, n), "hours": rng.integers(10, 60, n)})
    text_columns = list(dict.fromkeys([*args.sensitive, *(args.group_by or [])]))
    for column in text_columns:
        frame[column] = rng.choice([f"{column}-{k}" for k in range(2)], n)
    flip = rng.random(n) < 0.25
    secret = frame[args.sensitive[0]] == f"{args.sensitive[0]}-0"
    frame[args.target] = np.where(secret ^ (frame["age"] > 45) ^ flip, "yes", "no")
    X, y = frame.drop(columns=[args.target]), frame[args.target]
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), text_columns), remainder="passthrough"
        ),
        RandomForestClassifier(50, random_state=0),
    ).fit(X[:300], y[:300])
    if args.endpoint is None:
        assert args.model.endswith(".skops"), "the README's model file is a skops file"
        sio.dump(model, folder / args.model)
    frame[:300].to_csv(folder / args.train, index=False)
    for path in (args.holdout, args.aux):
        if path:
            frame[300:].to_csv(folder / path, index=False)
    return model


def check_assess(tokens, folder):
    from tabinvert import Assessment

    args = build_parser().parse_args(tokens[1:])
    model = make_assess_files(args, folder)
    made = {p.name for p in folder.iterdir()}
    if args.endpoint is not None:  # the model served over the v2 protocol, on this machine
        server = ModelServer(model, "v2")
        try:
            tokens = [server.url if t == args.endpoint else t for t in tokens]
            env = {args.token_env: "readme-token"} if args.token_env else {}
            result = run_tabinvert(tokens, folder, env=env)
        finally:
            server.close()
        assert server.requests, "the README's --endpoint command sent no request"
        if args.token_env:
            assert server.requests[0][1]["Authorization"] == "Bearer readme-token"
    else:
        result = run_tabinvert(tokens, folder)
    assert result.returncode in (0, 1), result.stderr
    written = {p.name for p in folder.iterdir()} - made
    assert written == {Path(p).name for p in (args.out, args.json) if p}
    if args.out.endswith(".html"):
        assert "<html" in (folder / args.out).read_text(encoding="utf-8").lower()
    if args.json:
        assessment = Assessment.from_json(folder / args.json)
        assert list(assessment.summary["sensitive"]) == list(args.sensitive)
        assert len(set(assessment.defenses["defense"])) == 1 + len(args.defense)
        if args.fail_above is not None:
            # The README's exit codes: 1 when an attack's whole interval is above the bound.
            worst = assessment.summary["advantage_ci_low"].astype(float).max()
            assert result.returncode == (1 if worst > args.fail_above else 0), result.stderr
            assert worst > args.fail_above  # the memorising forest leaks: the gate is exercised
            assert "leakage above --fail-above" in result.stderr


def check_demo(tokens, folder):
    result = run_tabinvert(tokens, folder)
    assert result.returncode == 0, result.stderr
    if tokens == ["tabinvert", "demo"]:  # what "What `tabinvert demo` shows" says it prints
        for name in ("imputation", "MAP", "CSMIA", "LOMIA", "white-box tree"):
            assert re.search(rf"^{re.escape(name)}\s+\d\.\d{{3}}", result.stdout, re.M), name
        assert "advantage over imputation [95% interval] on" in result.stdout
    if "--out" not in tokens:
        assert list(folder.iterdir()) == []  # nothing is written without --out


@pytest.mark.parametrize(
    "block, tokens", TABINVERT_COMMANDS, ids=[f"line{b.line}-{t[1]}" for b, t in TABINVERT_COMMANDS]
)
def test_readme_tabinvert_command_runs(block, tokens, tmp_path):
    checks = {"demo": check_demo, "assess": check_assess}
    assert tokens[1] in checks, f"README.md:{block.line}: no check for `tabinvert {tokens[1]}`"
    checks[tokens[1]](tokens, tmp_path)


def test_readme_runs_both_tabinvert_commands():
    assert sorted({tokens[1] for _, tokens in TABINVERT_COMMANDS}) == ["assess", "demo"]


# -- python blocks: run in order, in one namespace ------------------------------------------------

PYTHON_BLOCKS = [block for block in BLOCKS if block.language == "python"]


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory):
    """Run every python block of the README in order, in one namespace, in an empty folder.

    Returns the namespace, each block's printed output (keyed by its line) and the folder."""
    folder = tmp_path_factory.mktemp("readme")
    namespace, printed = {"__name__": "__readme__"}, {}
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        for block in PYTHON_BLOCKS:
            # Padded so that a traceback names the README's own line numbers.
            code = compile("\n" * block.line + block.code, str(README), "exec")
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(code, namespace)
            printed[block.line] = out.getvalue()
    return namespace, printed, folder


def printed_by(readme_run, snippet):
    """What the python block containing ``snippet`` printed."""
    _, printed, _ = readme_run
    (line,) = [b.line for b in PYTHON_BLOCKS if snippet in b.code]
    return printed[line]


def test_readme_python_blocks_all_run(readme_run):
    namespace, printed, folder = readme_run
    assert len(printed) == len(PYTHON_BLOCKS) >= 5
    for name in ("table", "result", "served", "guesses", "on_dask"):
        assert name in namespace, name
    assert list(folder.iterdir()) == []  # the examples write no file


def test_readme_python_example_shows_a_member_leak(readme_run):
    namespace, *_ = readme_run
    table = namespace["table"].set_index(["attack", "population"]).sort_index()
    # What the prose under the example says: "MAP: 0.84 vs 0.66, advantage ≈ 0.5".
    members = table.loc[("MAP", "members")]
    assert round(members["score"], 2) == 0.84 and round(members["baseline_score"], 2) == 0.66
    assert 0.45 <= members["advantage"] <= 0.55
    assert members["advantage"] > table.loc[("MAP", "non-members"), "advantage"]


def test_readme_assess_example_runs_on_the_first_examples_model(readme_run):
    namespace, *_ = readme_run
    result = namespace["result"]
    assert result.summary.loc[0, "risk_level"] in {"low", "medium", "high"}  # the forest leaks
    assert set(result.defenses["defense"]) == {"none", "RoundProbabilities()", "LabelOnly()"}


def test_readme_risk_sentence_is_what_assess_writes_for_the_example(readme_run):
    namespace, *_ = readme_run
    text = README.read_text(encoding="utf-8")
    quoted = re.search(r"^> (An attacker .*)$", text, re.M).group(1)
    level = re.search(r'For the forest above \(a "(\w+)" risk', text).group(1)
    summary = namespace["result"].summary.set_index("sensitive").loc["smoker"]
    assert summary["risk_level"] == level
    number = r"[+-]?\d+\.\d+"
    assert re.sub(number, "#", quoted) == re.sub(number, "#", summary["sentence"])
    np.testing.assert_allclose(
        [float(x) for x in re.findall(number, quoted)],
        [float(x) for x in re.findall(number, summary["sentence"])],
        atol=0.021,
    )


def test_readme_defense_example_meters_and_rounds(readme_run):
    from tabinvert.defenses import RoundProbabilities

    namespace, *_ = readme_run
    assert "stopped after 400 of 2000 records" in printed_by(readme_run, "QueryBudget(")
    api, served, model = namespace["api"], namespace["served"], namespace["model"]
    assert (api.rows_used_, api.calls_used_) == (800, 2)  # within its 1,000 rows
    X = namespace["people"][namespace["held_out"]]
    # The frozen forest, not a refitted one, behind the rounding.
    expected = RoundProbabilities(1).fit_transform(model.predict_proba(X))
    np.testing.assert_array_equal(served.predict_proba(X), expected)
    np.testing.assert_array_equal(served.predict(X), model.predict(X))


def test_readme_scaling_examples_give_the_guesses_of_one_process(readme_run):
    namespace, *_ = readme_run
    attack, people, risk = namespace["attack"], namespace["people"], namespace["risk"]
    assert "QueryCost(rows=4000, calls=8)" in printed_by(readme_run, '"loky"')  # as commented
    one_process = attack.attack(people[namespace["train"]], risk[namespace["train"]])
    cost = attack.last_query_cost_
    assert repr(cost) == "QueryCost(rows=4000, calls=8)" and (cost.rows, cost.calls) == (4000, 8)
    pd.testing.assert_series_equal(namespace["guesses"], one_process)
    pd.testing.assert_series_equal(namespace["on_dask"], one_process)


# -- the tables say what the code says ------------------------------------------------------------


def check_promise(cls, shown, cell, name):
    """A `keeps_row_sums` / `keeps_argmax` cell: "yes", "no" or "n/a (`False`)" for the
    parameters shown, then optional "; yes|no with `param=value, ...`" for other parameters."""
    match = re.fullmatch(
        r"(yes|no|n/a \(`False`\))((?:; (?:yes|no) with `[^`]*`)?)(?: \(.*\))?", cell
    )
    assert match, f"{cls.__name__}.{name}: cannot read {cell!r}"
    head = match.group(1)
    value = getattr(shown, name)
    if head.startswith("n/a"):
        assert value is False, (cls.__name__, name)
        assert "not applicable" in getattr(cls, name).__doc__, (cls.__name__, name)
    else:
        assert value is (head == "yes"), (cls.__name__, name, value)
    for answer, kwargs in re.findall(r"; (yes|no) with `([^`]*)`", match.group(2)):
        other = eval(f"cls({kwargs})", {"cls": cls})  # noqa: S307 - the README's own text
        assert getattr(other, name) is (answer == "yes"), (cls.__name__, kwargs, name)


def test_readme_defense_table_states_what_the_code_says():
    from tabinvert import defenses

    rows = markdown_table("## Defenses", "defense")
    listed = set()
    for shown_cell, returns, row_sums, argmax, paper in rows:
        expression = re.fullmatch(r"`((\w+)\(.*\))`", shown_cell)
        assert expression, shown_cell
        cls = getattr(defenses, expression.group(2))
        shown = eval(expression.group(1), {cls.__name__: cls})  # noqa: S307
        assert shown.get_params() == cls().get_params(), f"{shown_cell} is not the defaults"
        assert returns
        check_promise(cls, shown, row_sums, "keeps_row_sums")
        check_promise(cls, shown, argmax, "keeps_argmax")
        if paper:  # the class cites the same first author and year
            author, year = re.match(r"(\w+).*?(\d{4})", paper).groups()
            assert author in cls.__doc__ and year in cls.__doc__, (cls.__name__, paper)
        listed.add(cls.__name__)
    transformers = {
        name for name in defenses.__all__ if hasattr(getattr(defenses, name), "keeps_argmax")
    }
    assert listed == transformers
    text = readme_text()
    for name in ("DefendedClassifier", "DefendedRegressor", "QueryBudget"):
        assert f"`{name}`" in text


@pytest.mark.parametrize("gamma", [1.0, 1.5, 3.0, 10.0])
def test_readme_reverse_sigmoid_argmax_condition(gamma):
    from tabinvert.defenses import ReverseSigmoid

    assert "(whenever γ ≥ 1 and βγ ≤ 1)" in readme_text()
    for beta in (0.0, 0.05, 0.5 / gamma, 1.0 / gamma, 1.01 / gamma, 2.0):
        assert ReverseSigmoid(beta=beta, gamma=gamma).keeps_argmax is (beta * gamma <= 1)


def test_readme_attack_table_lists_every_attack_with_its_threat_model():
    import inspect

    from sklearn.dummy import DummyClassifier

    from tabinvert import attacks

    rows = markdown_table("## Threat models and attacks", "attack")
    listed = set()
    for shown_cell, threat, needs, paper in rows:
        expression = re.fullmatch(r"`(\w+)(?:\((.*)\))?`", shown_cell)
        assert expression, shown_cell
        cls = getattr(attacks, expression.group(1))
        if expression.group(2):  # a variant: the parameters exist and take these values
            kwargs = eval(f"dict({expression.group(2)})")  # noqa: S307 - the README's own text
            cls(DummyClassifier(), "s", **kwargs)._validate_params()
        models = set(re.findall(r"black-box|label-only|white-box|no model", threat))
        assert models, f"{shown_cell}: no threat model in {threat!r}"
        if "white-box" in models:
            assert re.search(r"white[- ]box", cls.__doc__, re.I), cls.__name__
        assert needs and paper
        listed.add(cls.__name__)
    exported = {
        name
        for name in attacks.__all__
        if inspect.isclass(getattr(attacks, name))
        and name != "BaseAttack"
        and any(hasattr(getattr(attacks, name), m) for m in ("attack", "reconstruct"))
    }
    assert exported <= listed, f"attacks missing from the README's table: {exported - listed}"


def test_readme_risk_levels_are_the_codes():
    """The table's levels and thresholds are the code's. (That the headline applies the rule as
    the table states it is checked on the private rule itself in tests/internals/.)"""
    from tabinvert.assessment import RISK_LEVELS

    rows = dict(markdown_table("## How to read a risk figure", "risk level"))
    assert list(rows) == ["none", "low", "medium", "high", "undetermined"]
    thresholds = {level: threshold for threshold, level in RISK_LEVELS}
    assert thresholds == {"high": 0.20, "medium": 0.05, "low": 0.0}
    assert "below 0.05" in rows["low"]
    assert "0.05 ≤ advantage < 0.20" in rows["medium"]
    assert "at least 0.20" in rows["high"]


# -- figures quoted from the committed benchmark results, and links -------------------------------


def test_readme_defense_figures_are_the_committed_results():
    path = "benchmarks/results/bench_defenses_2026-11-22.txt"
    text = readme_text()
    assert f"]({path})" in text
    results = (ROOT / path).read_text(encoding="utf-8")
    mlp = results[results.index("## target: mlp") :]
    members = mlp[mlp.index("### members") : mlp.index("### non-members")]

    def row(defense, attack):  # accuracy, attack MCC, imputation MCC
        match = re.search(
            rf"^\s*{re.escape(defense)}\s+kept\s+([\d.]+)\s+[\d.]+\s+"
            rf"{re.escape(attack)}\s+([-\d.]+)\s+([-\d.]+)",
            members,
            re.M,
        )
        return match.groups()

    accuracy, csmia, imputation = row("none", "CSMIA")
    rounded, labels = row("round step 0.1", "CSMIA")[1], row("label only", "CSMIA")[1]
    lomia = {row(d, "LOMIA")[1] for d in ("none", "round step 0.1", "label only")}
    assert len(lomia) == 1
    accuracies = {row(d, "CSMIA")[0] for d in ("none", "round step 0.1", "label only")}
    assert accuracies == {accuracy}
    assert (
        f"rounding the probabilities to steps of 0.1 moves CSMIA's MCC on the training "
        f"records from {csmia} to {rounded}, and label-only output to {labels}, at the same "
        f"accuracy ({accuracy}), while LOMIA stays at {lomia.pop()} under both"
    ) in text
    assert f"imputation baseline there (MCC {imputation}," in text
    assert max(float(csmia), float(rounded), float(labels)) < float(imputation)


def test_readme_scale_figures_are_the_committed_results():
    path = "benchmarks/results/scale_2026-11-22.txt"
    text = readme_text()
    assert f"]({path})" in text
    results = (ROOT / path).read_text(encoding="utf-8")

    def row(config):  # seconds, µs per record, ratio to the model's own call
        match = re.search(
            rf"^\s*1,000,000\s+{config}\s+\d+\s+\d+\s+([\d.]+)\s+([\d.]+)\s+"
            r"([\d.]+)",
            results,
            re.M,
        )
        return [float(x) for x in match.groups()]

    seconds, _, vs_model = row("1")
    assert f"in {seconds:.1f} s in one process: {vs_model:.2f}× the model's own" in text
    slope = float(re.search(r"slope over n >= 10,000: ([\d.]+) µs per record", results).group(1))
    assert f"{slope:.1f} µs per record from 10⁴ to 10⁶ records" in text
    assert f"`n_jobs=2` takes {row('2')[0]:.1f} s" in text
    chunks = re.search(r"the chunks in flight .*?MB: (.*?) — flat", results).group(1)
    chunks = dict(re.findall(r"([\d,]+): ([\d.]+)", chunks))
    assert f"stay at {float(chunks['100,000']):.0f}–{float(chunks['1,000,000']):.0f} MB" in text
    dask = re.search(r"dask vs n_jobs=1, speed-up: .*1,000,000: ([\d.]+)×", results).group(1)
    assert f"({dask}× the speed of one process there)" in text


def test_readme_links_point_at_files_of_the_repository():
    targets = re.findall(r"\]\(([^)\s]+)\)", README.read_text(encoding="utf-8"))
    local = [t for t in targets if "://" not in t]
    assert {"notebooks/README.md", "benchmarks/README.md"} <= set(local)
    for target in local:
        assert (ROOT / target.split("#")[0]).exists(), target


# -- the command line ---------------------------------------------------------------------------

# `tabinvert demo` itself, through the console script: test_readme_tabinvert_command_runs.


def test_demo_numeric_sensitive_and_out_file(tmp_path, capsys):
    out_file = tmp_path / "table.csv"
    assert main(["demo", "--sensitive", "age", "--out", str(out_file)]) == 0
    table = pd.read_csv(out_file)
    assert set(table["metric"]) == {"mae"}
    assert set(table["population"]) == {"members", "non-members"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["table.csv"]  # no temp file left


def test_demo_bad_sensitive_column_exits_2(capsys):
    assert main(["demo", "--sensitive", "zip"]) == 2
    assert "'zip'" in capsys.readouterr().err


@pytest.mark.parametrize("argv", [["demo", "--task", "regression", "--model", "linear"]])
def test_demo_regression(argv, capsys):
    assert main(argv) == 0
    assert re.search(r"^MAP\s+\d", capsys.readouterr().out, re.M)


def test_written_files_get_the_usual_permissions(tmp_path):
    """A report is written through a private temporary file, then renamed: it still gets the
    permissions any new file gets (0o644 under the usual umask), not the temporary's 0o600."""
    import os
    import stat

    from tabinvert import Assessment

    empty = pd.DataFrame()
    assessment = Assessment(
        summary=empty,
        results=empty,
        membership_gap=empty,
        exposed_records=empty,
        by_group=empty,
        disparity=empty,
    )
    mask = os.umask(0o022)
    try:
        assessment.to_json(tmp_path / "report.json")
    finally:
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "report.json").stat().st_mode) == 0o644

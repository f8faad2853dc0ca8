"""Check tabinvert's layering: imports only point down, and there are no import cycles.

Run from anywhere: ``python docs/check_imports.py`` (``--list`` also prints every module's
tabinvert-internal imports). It reads the source with :mod:`ast` and imports nothing, so it
needs no dependency. Exit status 0 when the rules hold, 1 with one line per violation.

It also checks that private scikit-learn names (a module or name starting with ``_``) are
imported only in ``tabinvert/_sklearn_compat.py``.
"""

import ast
import sys
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "tabinvert"

#: Bottom to top. A module may import from its own layer or a lower one, never a higher one.
LAYERS = [
    [
        "_version",
        "exceptions",
        "_sklearn_compat",
        "_wrappers",
        "_cache",
        "_query",
        "_validation",
        "_io",
        "_threat_models",
        "_glossary",
        "_progress",
        "metrics",
        "datasets",
        "models",
        "explain",
    ],
    ["defenses", "attacks", "dp"],
    ["evaluation", "report"],
    ["assessment"],
    ["cli", "_model_io", "_demo"],
    ["__init__"],  # tabinvert/__init__.py: the public names, re-exported
]
LAYER = {name: level for level, names in enumerate(LAYERS) for name in names}


def module_name(path):
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name):
    path = PACKAGE.parent.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer_of(name):
    parts = name.split(".")
    return LAYER.get(parts[1] if len(parts) > 1 else "__init__")


def imports(path):
    """``(line, imported module)`` for every tabinvert import, and the private sklearn ones."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    internal, private = [], []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join((base if node.level else []) + [node.module or ""]).strip(".")
            targets = [(module, [alias.name for alias in node.names])]
        else:
            continue
        for module, names in targets:
            if module.split(".")[0] == "sklearn" and any(
                part.startswith("_") for part in module.split(".") + names
            ):
                private.append((node.lineno, module))
            if module.split(".")[0] == "tabinvert":
                # `from . import report` imports a module; `from . import __version__`, the package.
                subs = [f"{module}.{n}" for n in names if is_module(f"{module}.{n}")]
                internal += [(node.lineno, target) for target in subs or [module]]
    return internal, private


def main(argv):
    problems, graph = [], {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name, where = module_name(path), path.relative_to(PACKAGE.parent)
        internal, private = imports(path)
        graph[name] = {target for _, target in internal}
        if layer_of(name) is None:
            problems.append(f"{where}: {name} is in no layer (add it to LAYERS)")
        for line, target in internal:
            if None not in (layer_of(name), layer_of(target)) and layer_of(target) > layer_of(name):
                shown = "tabinvert/__init__.py" if target == "tabinvert" else target
                problems.append(f"{where}:{line}: {name} imports {shown}, a higher layer")
        if path.name != "_sklearn_compat.py":
            problems += [
                f"{where}:{line}: private scikit-learn import {module}: go through "
                f"tabinvert._sklearn_compat"
                for line, module in private
            ]
        if "--list" in argv:
            print(name, "->", ", ".join(sorted(graph[name])) or "-")
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as error:
        problems.append("import cycle: " + " -> ".join(error.args[1]))
    print("\n".join(problems) or f"ok: {len(graph)} modules, imports only point down, no cycles")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Defenses named with every parameter, as a DPIA needs them.

The sweep names a defense by its class and the parameters that differ from their defaults
(``RoundProbabilities()`` for ``RoundProbabilities(decimals=1)``), which hides what was
measured. :func:`full_defense_name` names a defense object with all of its parameters;
:func:`sweep_parameters` maps each name of a sweep to that text (``assess`` records it in
``metadata["defenses"]``); :func:`defense_labeller` gives the report a function from a sweep
name to the text to show: the recorded one, else one rebuilt from the name and the class's
defaults (for an assessment made before they were recorded), else the name itself.
"""

from __future__ import annotations

import ast
import inspect
from collections.abc import Mapping

import pandas as pd

#: What the report says of the undefended model.
UNDEFENDED = "none"


def _value_text(value):
    if callable(value) and not hasattr(value, "get_params"):
        return getattr(value, "__qualname__", None) or repr(value)
    if hasattr(value, "get_params"):
        return full_defense_name(value)
    return repr(value)


def full_defense_name(defense):
    """``Class(param=value, ...)`` with every parameter of ``get_params(deep=False)``, or the
    steps of a Pipeline joined by " → ".

    Examples
    --------
    >>> from tabinvert.defenses import RoundProbabilities
    >>> from tabinvert.report._defenses import full_defense_name
    >>> full_defense_name(RoundProbabilities())
    'RoundProbabilities(decimals=1, step=None, renormalize=False)'
    """
    if defense is None:
        return UNDEFENDED
    steps = getattr(defense, "steps", None)
    if isinstance(steps, list) and all(isinstance(s, tuple) and len(s) == 2 for s in steps):
        return " → ".join(full_defense_name(step) for _, step in steps)
    get_params = getattr(defense, "get_params", None)
    if get_params is None:
        return repr(defense)
    params = get_params(deep=False)
    try:  # in the order of the signature, as the class documents them
        order = list(inspect.signature(type(defense).__init__).parameters)
    except (TypeError, ValueError):
        order = []
    params = dict(
        sorted(
            params.items(),
            key=lambda kv: (kv[0] not in order, order.index(kv[0]) if kv[0] in order else 0, kv[0]),
        )
    )
    args = ", ".join(f"{key}={_value_text(value)}" for key, value in params.items())
    return f"{type(defense).__name__}({args})"


def sweep_parameters(defenses):
    """{name in the sweep: full name} for the ``defenses`` given to a sweep, named as
    :func:`~tabinvert.evaluation.evaluate_defenses` names them (a dict's keys; in a list, the
    class and its non-default parameters, with primes for repeats)."""
    from ..evaluation import _defense_name

    if not defenses:
        return {}
    items = list(defenses.items()) if isinstance(defenses, Mapping) else list(enumerate(defenses))
    named = {}
    for key, defense in items:
        if defense is None:
            continue
        if isinstance(defenses, Mapping):
            name = str(key)
        else:
            name = _defense_name(defense)
            while name in named:
                name += "′"
        named[name] = full_defense_name(defense)
    return named


def _defense_classes():
    from .. import defenses

    return {
        name: getattr(defenses, name)
        for name in getattr(defenses, "__all__", dir(defenses))
        if inspect.isclass(getattr(defenses, name, None))
    }


def _rebuilt(name):
    """The full name of a sweep name ``Class(changed=...)`` of a tabinvert defense, its other
    parameters at the class's defaults; None when ``name`` is not such a call."""
    parts = str(name).rstrip("′").split(" → ")
    classes = _defense_classes()
    shown = []
    for part in parts:
        try:
            call = ast.parse(part.strip(), mode="eval").body
        except SyntaxError:
            return None
        if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and not call.args):
            return None
        cls = classes.get(call.func.id)
        if cls is None:
            return None
        try:
            given = {k.arg: ast.literal_eval(k.value) for k in call.keywords}
        except ValueError:
            return None
        parameters = {
            key: p.default
            for key, p in inspect.signature(cls.__init__).parameters.items()
            if key != "self" and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
        }
        if set(given) - set(parameters):
            return None
        parameters.update(given)
        args = ", ".join(f"{key}={value!r}" for key, value in parameters.items())
        shown.append(f"{cls.__name__}({args})")
    return " → ".join(shown)


def _classes_of(text):
    """The class names of a defense name, step by step ("A(x=1) → B()" → ["A", "B"])."""
    return [part.split("(", 1)[0].strip() for part in str(text).split(" → ")]


def defense_labeller(assessment):
    """A function from a sweep's defense name to the text the report shows for it.

    The recorded full name (``metadata["defenses"]``), prefixed with the user's name when the
    defenses were given as a dict; else the name rebuilt with the class's defaults; else the
    name as it is. The undefended model stays "none".
    """
    recorded = assessment.metadata.get("defenses") or {}
    if not isinstance(recorded, Mapping):
        recorded = {}

    def label(name):
        name = str(name)
        if name == UNDEFENDED:
            return name
        full = recorded.get(name)
        if full is None:
            full = _rebuilt(name)
        if full is None or full == name:
            return name
        bare = name.rstrip("′")
        if _classes_of(bare) == _classes_of(full):  # the sweep's own name for it
            return full + "′" * (len(name) - len(bare))
        return f"{name}: {full}"

    return label


def alternative_models(assessment):
    """The sweep's names of alternative models (models trained otherwise, DP counterparts),
    which are not output defenses: the ``kind`` column says so, and for an assessment made
    before it existed, the names recorded in its metadata."""
    defenses = assessment.defenses
    if isinstance(defenses, pd.DataFrame) and "kind" in defenses.columns:
        rows = defenses[defenses["kind"].astype(str) == "alternative model"]
        return set(rows["defense"].astype(str))
    metadata = assessment.metadata
    dp = (metadata.get("dp") or {}).get("models") or {}
    return {str(name) for name in metadata.get("alternatives") or []} | set(map(str, dp))

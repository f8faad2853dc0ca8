"""The assessment's context, as the report's first screen shows it: the model's purpose, the
controller, the assessor, the model's name, version and file (its name and SHA-256), and the
data sources.

:func:`check_context` checks and normalises what :func:`tabinvert.assess` is given as
``context``; :func:`context_block` renders it. The model file itself is only hashed: its
content never enters the report or the metadata, and of its path only the file's name is kept.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from ._format import MISSING, esc

#: The keys the report knows, in the order it shows them, with their labels. Other keys are
#: kept and shown after these, under their own names.
CONTEXT_LABELS = {
    "purpose": "Purpose of the model",
    "controller": "Controller",
    "assessor": "Assessor",
    "model_name": "Model name",
    "model_version": "Model version",
    "model_file": "Model file",
    "model_file_sha256": "Model file SHA-256",
    "data_sources": "Data sources",
}
#: The keys the report asks for when they are missing (the hash comes with the model file).
_ASKED = tuple(k for k in CONTEXT_LABELS if k != "model_file_sha256")
#: Keys whose value may be a list of strings (each one a line).
LIST_KEYS = frozenset({"data_sources"})
#: What to write, per key, when the context is missing it.
CONTEXT_EXAMPLE = (
    'context={"purpose": "...", "controller": "...", "assessor": "...", "model_name": "...", '
    '"model_version": "...", "model_file": "path/to/model.skops", "data_sources": ["..."]}'
)
_CHUNK = 1 << 20


def file_sha256(path):
    """The SHA-256 of a file's bytes, read in chunks (the file is never kept in memory)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for chunk in iter(lambda: stream.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _kind(value):
    """``value``'s type in words, for a message."""
    return type(value).__name__


def _text(key, value, where):
    if not isinstance(value, str):
        raise TypeError(
            f"{where}[{key!r}] is {_kind(value)} {value!r:.80}, but context values must be "
            f"text: give it as a string, e.g. {key}={str(value)!r:.80}."
        )
    if not value.strip():
        raise ValueError(
            f"{where}[{key!r}] is an empty string: give its text, or leave the key out."
        )
    return value.strip()


def check_context(context, *, where="context"):
    """Check and normalise an assessment's ``context``.

    Parameters
    ----------
    context : dict or None
        String keys to string values (``data_sources`` may also be a list of strings).
        ``model_file`` is a path to the model file: it is replaced by the file's name, and
        ``model_file_sha256`` is set to the SHA-256 of its bytes (a given
        ``model_file_sha256`` must then match it). Unknown keys are kept.
    where : str, default="context"
        How the context is named in messages (``"--context"`` on the command line).

    Returns
    -------
    dict
        The context with stripped text, ``data_sources`` as a list, and the model file's name
        and hash; ``{}`` for None.

    Raises
    ------
    TypeError
        When ``context`` is not a dict, or a key or value is not text, naming the key.
    ValueError
        When a value is empty, or the model file cannot be read, naming the key.

    Examples
    --------
    >>> from tabinvert.report._context import check_context
    >>> check_context({"purpose": " Credit scoring ", "data_sources": "loans.csv"})
    {'purpose': 'Credit scoring', 'data_sources': ['loans.csv']}
    >>> check_context({"model_version": 2})
    Traceback (most recent call last):
    ...
    TypeError: context['model_version'] is int 2, but context values must be text: ...
    """
    if context is None:
        return {}
    if not isinstance(context, dict):
        raise TypeError(
            f"{where} must be a dict of text, e.g. {CONTEXT_EXAMPLE}; got {_kind(context)}."
        )
    checked = {}
    for key, value in context.items():
        if not isinstance(key, str) or not key.strip():
            raise TypeError(
                f"{where} has the key {key!r} ({_kind(key)}): every key must be a non-empty "
                "string such as 'purpose' or 'controller'."
            )
        if key in LIST_KEYS and isinstance(value, (list, tuple)):
            if not value:
                raise ValueError(
                    f"{where}[{key!r}] is an empty list: name at least one source, or leave "
                    "the key out."
                )
            checked[key] = [
                _text(f"{key}[{i}]", item, where).strip() for i, item in enumerate(value)
            ]
        elif key in LIST_KEYS:
            checked[key] = [_text(key, value, where)]
        else:
            checked[key] = _text(key, value, where)
    if "model_file" in checked:
        path = checked["model_file"]
        try:
            digest = file_sha256(path)
        except OSError as exc:
            raise ValueError(
                f"{where}['model_file'] is {path!r:.200}, which cannot be read "
                f"({exc.strerror or exc}): give the path of the model file, so that its "
                "SHA-256 can be recorded."
            ) from None
        given = checked.get("model_file_sha256")
        if given is not None and given.lower() != digest:
            raise ValueError(
                f"{where}['model_file_sha256'] is {given!r:.80}, but the file "
                f"{path!r:.200} has SHA-256 {digest}: remove the key (it is computed) or "
                "name the right file."
            )
        checked["model_file"] = Path(os.fspath(path)).name
        checked["model_file_sha256"] = digest
    return checked


def _value_html(key, value):
    if isinstance(value, (list, tuple)):
        items = [esc(v) for v in value]
        return "<br>".join(items) if items else MISSING
    if key == "model_file_sha256":
        return f"<code>{esc(value)}</code>"
    return esc(value)


def context_items(context):
    """(label, safe HTML) rows of a context, known keys first in their order, then the rest."""
    context = dict(context or {})
    ordered = [k for k in CONTEXT_LABELS if k in context]
    ordered += [k for k in context if k not in CONTEXT_LABELS]
    return [(CONTEXT_LABELS.get(k, str(k)), _value_html(k, context[k])) for k in ordered]


def context_block(metadata):
    """The context block of the first screen: a definition list, or how to give one."""
    context = metadata.get("context") or {}
    if not isinstance(context, dict):
        context = {"context": str(context)}
    items = context_items(context)
    missing = [CONTEXT_LABELS[k] for k in _ASKED if k not in context]
    rows = "".join(f"<dt>{esc(label)}</dt><dd>{value}</dd>\n" for label, value in items)
    parts = ['<div class="context" id="context">', "<h3>Context</h3>"]
    if rows:
        parts.append(f'<dl class="context">\n{rows}</dl>')
    if missing:
        parts.append(
            '<p class="note">Not given: '
            + esc(", ".join(m.lower() if i else m for i, m in enumerate(missing)))
            + ". Give them with <code>assess(..., context={...})</code> or "
            "<code>tabinvert assess --context context.toml</code> (or "
            "<code>--context key=value</code>).</p>"
        )
    parts.append("</div>")
    return "\n".join(parts)

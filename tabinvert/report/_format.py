"""Small HTML building blocks: escaping, number formatting and tables.

Every piece of text that may come from user data (column names, category values, index labels,
model reprs) goes through :func:`esc`; the helpers here never put unescaped text in the page.
"""

from __future__ import annotations

import base64
import html
import math
import numbers

import numpy as np
import pandas as pd

#: Shown for a missing or undefined number.
MISSING = "—"
#: Tables with more rows than this may break across printed pages.
LONG_TABLE = 15


def esc(value):
    """``value`` as HTML-escaped text (quotes included), for element content and attributes.

    Examples
    --------
    >>> from tabinvert.report._format import esc
    >>> esc('<b>"x"</b>')
    '&lt;b&gt;&quot;x&quot;&lt;/b&gt;'
    """
    return html.escape(str(value), quote=True)


def has(frame, *columns):
    """Whether ``frame`` is a non-empty DataFrame with all of ``columns``.

    Tables of a hand-built or partial assessment may be None, empty, or lack columns; the
    report then leaves their part out instead of failing.
    """
    return (
        isinstance(frame, pd.DataFrame)
        and len(frame) > 0
        and all(column in frame.columns for column in columns)
    )


def is_missing(value):
    """Whether ``value`` is None, NaN, NA or an infinite float."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
        return not math.isfinite(float(value))
    return False


def num(value, digits=3, signed=False):
    """A number as short readable text: ``digits`` decimals for values below 100, fewer above
    (thousands separated), integers as integers, and :data:`MISSING` for undefined values.

    Examples
    --------
    >>> from tabinvert.report._format import num
    >>> num(0.98333), num(0.8, signed=True), num(12345.678), num(600), num(float("nan"))
    ('0.983', '+0.800', '12,346', '600', '—')
    """
    if is_missing(value):
        return MISSING
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if not isinstance(value, numbers.Real):
        return str(value)
    sign = "+" if signed else ""
    if isinstance(value, numbers.Integral):
        return f"{int(value):{sign},d}"
    value = float(value)
    size = abs(value)
    decimals = digits if size < 100 else 1 if size < 1000 else 0
    if round(value, decimals) == 0:
        value = 0.0  # "-0.000" would read as a negative number
    return f"{value:{sign},.{decimals}f}"


def interval(value, low, high, digits=3, signed=False):
    """A value with its confidence interval as ``"a [lo, hi]"`` (just ``"a"`` without one).

    Examples
    --------
    >>> from tabinvert.report._format import interval
    >>> interval(0.8, 0.499, 1.0, signed=True)
    '+0.800 [+0.499, +1.000]'
    >>> interval(0.5, float("nan"), float("nan"))
    '0.500'
    """
    text = num(value, digits, signed)
    if is_missing(low) or is_missing(high) or is_missing(value):
        return text
    return f"{text} [{num(low, digits, signed)}, {num(high, digits, signed)}]"


def leakage_word(low, high, value=0.0):
    """Plain reading of an advantage interval: leaks / no measurable leakage / below imputation."""
    if is_missing(value):
        return "undefined"
    if is_missing(low) or is_missing(high):
        return "no interval"
    if low > 0:
        return "leaks"
    if high < 0:
        return "below imputation"
    return "no measurable leakage"


def text(value, digits=3):
    """Plain text of any value for a table cell (numbers through :func:`num`); :func:`table`
    escapes it."""
    if is_missing(value) or isinstance(value, (numbers.Number, np.bool_)):
        return num(value, digits)
    return str(value)


def table(frame, *, caption=None, numeric=(), header_rows=None, css_class=None):
    """An HTML table from a DataFrame whose cells are already *text* (they are escaped here).

    Parameters
    ----------
    frame : DataFrame
        The rows to show; the column labels are the header (escaped).
    caption : str, default=None
        Plain-text caption (escaped).
    numeric : collection of str, default=()
        Columns right-aligned as numbers.
    header_rows : str, default=None
        Pre-built, already safe ``<tr>`` rows replacing the default header (for grouped
        headers).
    css_class : str, default=None
        Extra class of the ``<table>``.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert.report._format import table
    >>> print(table(pd.DataFrame({"a<b": ["1"]}), numeric=["a<b"]))
    <table><thead><tr><th class="num">a&lt;b</th></tr></thead><tbody>
    <tr><td class="num">1</td></tr>
    </tbody></table>
    """
    # Long tables may break across printed pages (their header repeats); short ones may not.
    css_class = " ".join(filter(None, [css_class, "long" if len(frame) > LONG_TABLE else None]))
    classes = f' class="{esc(css_class)}"' if css_class else ""
    parts = [f"<table{classes}>"]
    if caption:
        parts.append(f"<caption>{esc(caption)}</caption>")
    if header_rows is None:
        cells = "".join(
            f"<th{_align(column, numeric)}>{esc(column)}</th>" for column in frame.columns
        )
        header_rows = f"<tr>{cells}</tr>"
    parts.append(f"<thead>{header_rows}</thead><tbody>\n")
    for row in frame.itertuples(index=False):
        parts.append(
            "<tr>"
            + "".join(
                f"<td{_align(column, numeric)}>{_cell_text(value, column in numeric)}</td>"
                for column, value in zip(frame.columns, row)
            )
            + "</tr>\n"
        )
    parts.append("</tbody></table>")
    return "".join(parts)


def _cell_text(value, number):
    """Escaped cell text; a number's interval wraps only before its bracket, never inside."""
    text = esc(value)
    return text.replace(", ", ",&nbsp;") if number else text


def _align(column, numeric):
    return ' class="num"' if column in numeric else ""


def definition_list(items):
    """A ``<dl>`` of (term, safe HTML description) pairs; terms are escaped, descriptions not."""
    rows = "".join(f"<dt>{esc(term)}</dt><dd>{description}</dd>\n" for term, description in items)
    return f"<dl>\n{rows}</dl>"


def paragraph(text):
    """An escaped ``<p>``."""
    return f"<p>{esc(text)}</p>"


def image(png, alt, caption):
    """A ``<figure>`` of PNG bytes as a ``data:`` URI, with alt text and a caption (escaped)."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
        f"<figcaption>{esc(caption)}</figcaption></figure>"
    )


def k_text(k, n_selected=None):
    """A k for the reader: "10", or "1% (6)" for a share of the targets."""
    if isinstance(k, str):
        try:
            k = float(k)
        except ValueError:
            return k
    if isinstance(k, numbers.Real) and not isinstance(k, numbers.Integral) and 0 < k < 1:
        share = f"{float(k) * 100:g}%"
        return share if n_selected is None or is_missing(n_selected) else f"{share} ({n_selected})"
    if isinstance(k, numbers.Real) and float(k).is_integer():
        return str(int(k))
    return str(k)

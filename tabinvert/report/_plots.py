"""The report's figures, drawn with matplotlib (optional: the ``report`` extra) as PNG bytes.

Figures are built as :class:`matplotlib.figure.Figure` objects on an Agg canvas, never through
``pyplot``: nothing is registered in a global figure manager, the user's backend is left alone,
and every figure is released as soon as its PNG is written. Styles are applied in an
``rc_context``, so the caller's settings are untouched. Every series differs by marker shape,
fill and hatching as well as colour, so the figures read in black and white.

Each ``plot_*`` function returns a Figure, or None when the assessment has nothing to plot.
"""

from __future__ import annotations

import io

import numpy as np

from ._format import esc, has, image, k_text

INSTALL_HINT = "pip install tabinvert[report]"

#: Colour-blind-safe colours (Okabe–Ito): members, non-members, highlight, neutral.
MEMBERS, NON_MEMBERS, HIGHLIGHT, NEUTRAL = "#0072B2", "#D55E00", "#009E73", "#777777"
#: Lowest advantage drawn; lower values (possible for attacks worse than imputation) are
#: drawn at the edge with an arrow-shaped marker.
FLOOR = -1.0
MAX_PANELS = 6
MAX_BARS = 15

_STYLE = {
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "savefig.facecolor": "white",
    "text.usetex": False,
    "axes.axisbelow": True,
}


def load_matplotlib():
    """``(Figure, FigureCanvasAgg, rc_context)``, or None when matplotlib is not installed."""
    try:
        from matplotlib import rc_context
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return None
    return Figure, FigureCanvasAgg, rc_context


def figure_png(plot, *args, dpi=150):
    """PNG bytes of ``plot(Figure, *args)``, or None when it has nothing to draw.

    Requires matplotlib (see :func:`load_matplotlib`).
    """
    Figure, FigureCanvasAgg, rc_context = load_matplotlib()
    with rc_context(_STYLE):
        figure = plot(Figure, *args)
        if figure is None:
            return None
        try:
            FigureCanvasAgg(figure)
            buffer = io.BytesIO()
            # No "Software" stamp: the same assessment always gives the same bytes.
            figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
        finally:
            figure.clear()
    return buffer.getvalue()


def figure_block(plot, args, alt, caption, *, what="this plot"):
    """The plot as an inline figure; without matplotlib, how to get it (the tables hold every
    number it would show); "" when it has nothing to draw."""
    if load_matplotlib() is None:
        return (
            f'<p class="notice">{esc(what[:1].upper() + what[1:])} needs matplotlib: '
            f"<code>{esc(INSTALL_HINT)}</code>. Every number it would show is in the table "
            "above.</p>"
        )
    png = figure_png(plot, *args)
    return "" if png is None else image(png, alt, caption)


def label(text, width=40):
    """User text safe for matplotlib (``$`` would start mathtext), shortened to ``width``."""
    text = str(text).replace("$", r"\$")
    return text if len(text) <= width else text[: width - 1] + "…"


def _interval_errors(values, low, high):
    """Asymmetric error-bar lengths (0 where the interval is undefined)."""
    below = np.where(np.isfinite(low), values - np.maximum(low, FLOOR), 0.0)
    above = np.where(np.isfinite(high), high - values, 0.0)
    return np.vstack([np.clip(below, 0, None), np.clip(above, 0, None)])


def _forest(axes, positions, values, low, high, *, color, marker, filled, name):
    """Points with interval bars on horizontal rows; values below :data:`FLOOR` at the edge."""
    values = np.asarray(values, dtype=float)
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    shown = np.isfinite(values)
    cut = shown & (values < FLOOR)
    drawn = np.where(cut, FLOOR, values)
    errors = _interval_errors(drawn, low, high)
    ok = shown & ~cut
    axes.errorbar(
        drawn[ok],
        positions[ok],
        xerr=errors[:, ok],
        fmt=marker,
        color=color,
        markerfacecolor=color if filled else "white",
        markersize=6,
        capsize=3,
        linewidth=1.2,
        label=name,
    )
    if cut.any():
        axes.plot(drawn[cut], positions[cut], "<", color=color, markersize=7)


def _zero_line(axes, thresholds=None):
    """The dashed 0 line, and dotted lines at the risk thresholds (one legend entry for all)."""
    axes.axvline(0, color="black", linewidth=1, linestyle="--")
    thresholds = thresholds or {}
    name = "risk thresholds: " + ", ".join(thresholds.values())
    for i, value in enumerate(thresholds):
        axes.axvline(
            value, color=NEUTRAL, linewidth=0.9, linestyle=":", label=name if i == 0 else None
        )


def _advantage_limits(low, high):
    low = np.asarray(low, dtype=float)
    high = np.asarray(high, dtype=float)
    lo = np.nanmin(low[np.isfinite(low)], initial=0.0)
    hi = np.nanmax(high[np.isfinite(high)], initial=0.0)
    lo, hi = max(min(lo, -0.05), FLOOR), max(hi, 0.25)
    pad = 0.05 * (hi - lo)
    return lo - pad, hi + pad


def plot_advantage(Figure, results, thresholds):
    """Advantage over imputation with its interval, per attack, one panel per attribute, members
    and non-members side by side, with the 0 line and the risk thresholds."""
    if not has(
        results,
        "attack",
        "population",
        "sensitive",
        "advantage",
        "advantage_ci_low",
        "advantage_ci_high",
    ):
        return None
    rows = results[results["attack"] != "imputation"]
    if rows.empty:
        return None
    attributes = list(dict.fromkeys(rows["sensitive"]))
    attacks = {
        s: list(dict.fromkeys(rows.loc[rows["sensitive"] == s, "attack"])) for s in attributes
    }
    heights = [max(len(a), 1) for a in attacks.values()]
    figure = Figure(
        figsize=(7.2, 0.9 + 0.5 * sum(heights) + 0.45 * len(attributes)), layout="constrained"
    )
    grid = figure.subplots(
        len(attributes), 1, squeeze=False, sharex=True, gridspec_kw={"height_ratios": heights}
    )[:, 0]
    limits = _advantage_limits(rows["advantage_ci_low"], rows["advantage_ci_high"])
    styles = {
        "members": (MEMBERS, "o", True, -0.17),
        "non-members": (NON_MEMBERS, "s", False, 0.17),
    }
    for axes, attribute in zip(grid, attributes):
        names = attacks[attribute]
        part = rows[rows["sensitive"] == attribute]
        for population, (color, marker, filled, offset) in styles.items():
            sub = part[part["population"] == population].set_index("attack").reindex(names)
            if sub["advantage"].notna().any():
                _forest(
                    axes,
                    np.arange(len(names)) + offset,
                    sub["advantage"],
                    sub["advantage_ci_low"],
                    sub["advantage_ci_high"],
                    color=color,
                    marker=marker,
                    filled=filled,
                    name=population,
                )
        _zero_line(axes, thresholds)
        axes.set_yticks(np.arange(len(names)), [label(n, 28) for n in names])
        axes.set_ylim(len(names) - 0.5, -0.5)
        axes.set_xlim(*limits)
        axes.set_title(f"sensitive attribute: {label(attribute)}", loc="left", pad=12)
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    grid[-1].set_xlabel("advantage over imputation (0 = nothing beyond population statistics)")
    handles, names = grid[0].get_legend_handles_labels()
    # Populations first, the thresholds' entry last.
    pairs = sorted(zip(handles, names), key=lambda pair: pair[1].startswith("risk thresholds"))
    handles, names = [h for h, _ in pairs], [n for _, n in pairs]
    if handles:
        figure.legend(handles, names, loc="outside lower center", ncols=3, frameon=False)
    return figure


def plot_membership_gap(Figure, gap):
    """Members' advantage minus non-members', per attack, with its interval and the 0 line."""
    if not has(gap, "sensitive", "attack", "gap", "gap_ci_low", "gap_ci_high"):
        return None
    gap = gap[np.isfinite(gap["gap"].astype(float))]
    if gap.empty:
        return None
    several = gap["sensitive"].nunique() > 1
    names = [
        label(f"{a} · {s}" if several else a, 36) for a, s in zip(gap["attack"], gap["sensitive"])
    ]
    figure = Figure(figsize=(7.2, 1.2 + 0.38 * len(gap)), layout="constrained")
    axes = figure.subplots()
    positions = np.arange(len(gap), dtype=float)
    _forest(
        axes,
        positions,
        gap["gap"],
        gap["gap_ci_low"],
        gap["gap_ci_high"],
        color=MEMBERS,
        marker="D",
        filled=True,
        name="gap",
    )
    _zero_line(axes)
    axes.set_yticks(positions, names)
    axes.set_ylim(len(gap) - 0.5, -0.5)
    low, high = _advantage_limits(gap["gap_ci_low"], gap["gap_ci_high"])
    axes.set_xlim(min(low, -0.25), high)
    axes.set_xlabel(
        "members' advantage − non-members'\n(> 0: better on the training records; memorisation "
        "only if it also leaks on them)"
    )
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    return figure


def _group_panels(by_group):
    """The (sensitive, attack, group) panels of the subgroup figure, at most MAX_PANELS."""
    keys = list(dict.fromkeys(zip(by_group["sensitive"], by_group["attack"], by_group["group"])))
    return keys[:MAX_PANELS]


def rank_groups(part):
    """The groups of one grouping ranked by advantage, largest first; groups too small to
    compare (``reliable`` False) and undefined advantages after the ranked ones."""
    order = part.assign(
        _small=~part["reliable"].astype(bool) if "reliable" in part else False,
        _advantage=part["advantage"].astype(float),
    )
    order = order.sort_values(
        ["_small", "_advantage"], ascending=[True, False], kind="stable", na_position="last"
    )
    return order.drop(columns=["_small", "_advantage"])


def _stands_out(part):
    """Per row: whether the group separates from the other records *above* them (False when
    the table has no tests, as in older assessments)."""
    if "separates" not in part or "rest_advantage" not in part:
        return np.zeros(len(part), dtype=bool)
    separates = np.array(
        [v is not None and v == v and bool(v) for v in part["separates"]], dtype=bool
    )
    above = (
        part["advantage"].astype(float).to_numpy() > part["rest_advantage"].astype(float).to_numpy()
    )
    return separates & above


def plot_groups(Figure, by_group):
    """The attack's advantage per subgroup with its interval (bars; green with a diamond =
    stands out from the other records after the correction; hatched grey = too small to
    compare), one panel per grouping, at most :data:`MAX_BARS` groups each (the largest
    advantages), values below :data:`FLOOR` drawn at the edge."""
    if not has(by_group, "sensitive", "attack", "group", "value", "n_records", "advantage"):
        return None
    panels = _group_panels(by_group)
    sizes = []
    for sensitive, attack, group in panels:
        part = by_group[
            (by_group["sensitive"] == sensitive)
            & (by_group["attack"] == attack)
            & (by_group["group"] == group)
        ]
        sizes.append(min(len(part), MAX_BARS))
    figure = Figure(figsize=(7.2, 0.6 + sum(0.28 * n + 0.7 for n in sizes)), layout="constrained")
    grid = figure.subplots(len(panels), 1, squeeze=False, gridspec_kw={"height_ratios": sizes})
    for axes, (sensitive, attack, group) in zip(grid[:, 0], panels):
        part = by_group[
            (by_group["sensitive"] == sensitive)
            & (by_group["attack"] == attack)
            & (by_group["group"] == group)
        ]
        part = rank_groups(part).head(MAX_BARS)
        raw = part["advantage"].astype(float).to_numpy()
        values = np.clip(np.nan_to_num(raw, nan=0.0), FLOOR, 1.0)
        reliable = (
            part["reliable"].astype(bool).to_numpy()
            if "reliable" in part
            else np.ones(len(part), dtype=bool)
        )
        out = _stands_out(part)
        positions = np.arange(len(part), dtype=float)
        colors = np.where(out, HIGHLIGHT, np.where(reliable, MEMBERS, "#bbbbbb"))
        bars = axes.barh(positions, values, color=colors, edgecolor="black", linewidth=0.6)
        for bar, ok in zip(bars, reliable):
            if not ok:
                bar.set_hatch("///")
        # The interval's ends as drawn (the bar's end where there is no interval).
        left, right = values.copy(), values.copy()
        if "advantage_ci_low" in part and "advantage_ci_high" in part:
            low = part["advantage_ci_low"].astype(float).to_numpy()
            high = part["advantage_ci_high"].astype(float).to_numpy()
            shown = np.isfinite(raw) & (raw >= FLOOR)
            errors = _interval_errors(values, low, high)
            left, right = values - errors[0], values + errors[1]
            axes.errorbar(
                values[shown],
                positions[shown],
                xerr=errors[:, shown],
                fmt="none",
                ecolor="black",
                capsize=2.5,
                linewidth=0.9,
            )
        if out.any():
            axes.plot(
                values[out],
                positions[out],
                "D",
                color=HIGHLIGHT,
                markeredgecolor="black",
                markersize=6,
                zorder=4,
            )
        for y, value, n, defined, stands, lo, hi in zip(
            positions, values, part["n_records"], np.isfinite(raw), out, left, right
        ):
            note = (
                f"n={int(n)}"
                + ("" if defined else ", undefined")
                + (", stands out" if stands else "")
            )
            # Beyond the interval's end, on the bar's side, so the text never crosses it.
            positive = value >= 0
            axes.text(
                hi if positive else lo,
                y,
                f" {note} ",
                va="center",
                fontsize=7,
                ha="left" if positive else "right",
            )
        axes.axvline(0, color="black", linewidth=1)
        axes.set_yticks(positions, [label(v, 24) for v in part["value"]])
        axes.set_ylim(len(part) - 0.5, -0.5)
        lowest = min(np.min(left, initial=0.0), 0.0)
        highest = max(np.max(right, initial=0.0), 0.0)
        span = max(highest - lowest, 0.1)
        # Room for the notes: about a third of the span on the side they are written.
        axes.set_xlim(
            lowest - (0.4 * span if (values < 0).any() else 0.05 * span),
            highest + (0.4 * span if (values >= 0).any() else 0.05 * span),
        )
        axes.set_title(f"{label(sensitive)} by {label(group)} ({label(attack, 24)})", loc="left")
        axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    grid[-1, 0].set_xlabel(
        "advantage over imputation within the group, with its interval\n"
        "(green diamond: stands out after Holm's correction; hatched grey: too small to compare)"
    )
    return figure


def plot_frontier(Figure, frontier, utility_label):
    """Utility against worst-case risk per defense; the frontier highlighted and joined."""
    if not has(frontier, "defense", "utility", "risk", "on_frontier"):
        return None
    data = frontier.astype({"utility": float, "risk": float})
    data = data[np.isfinite(data["utility"]) & np.isfinite(data["risk"])]
    if data.empty:
        return None
    figure = Figure(figsize=(7.2, 4.2), layout="constrained")
    axes = figure.subplots()
    on = data["on_frontier"].astype(bool).to_numpy()
    axes.scatter(
        data["utility"][~on],
        data["risk"][~on],
        s=40,
        facecolors="white",
        edgecolors=NEUTRAL,
        marker="o",
        label="dominated",
        zorder=3,
    )
    line = data[on].sort_values("utility")
    axes.plot(line["utility"], line["risk"], "-", color=HIGHLIGHT, linewidth=1.2, zorder=2)
    axes.scatter(
        line["utility"],
        line["risk"],
        s=60,
        color=HIGHLIGHT,
        edgecolors="black",
        marker="D",
        label="on the frontier",
        zorder=4,
    )
    # One annotation per distinct point: defenses with equal utility and risk share it.
    for (utility, risk), part in data.groupby(["utility", "risk"], sort=False):
        names = ", ".join(label(d, 28) for d in part["defense"])
        axes.annotate(
            label(names, 70), (utility, risk), xytext=(6, 5), textcoords="offset points", fontsize=7
        )
    axes.axhline(0, color="black", linewidth=1, linestyle="--")
    _pad_axis(axes.set_xlim, data["utility"])
    _pad_axis(axes.set_ylim, np.append(data["risk"].to_numpy(), 0.0))
    axes.set_xlabel(label(utility_label, 80))
    axes.set_ylabel("risk: worst attack's advantage\non members (lower is safer)")
    axes.grid(color="#dddddd", linewidth=0.6)
    axes.legend(frameon=False, loc="best")
    return figure


def _pad_axis(setter, values):
    values = np.asarray(values, dtype=float)
    low, high = float(np.min(values)), float(np.max(values))
    pad = max(0.08 * (high - low), 0.02)
    setter(low - pad, high + 2 * pad)


#: Colours and markers of the attacks in the precision-at-k and data-size figures (Okabe–Ito;
#: every attack differs by marker shape as well, for black-and-white print).
SERIES_COLORS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SERIES_MARKERS = ("o", "D", "^", "v", "P", "X", "*")


def _series_style(i):
    return SERIES_COLORS[i % len(SERIES_COLORS)], SERIES_MARKERS[i % len(SERIES_MARKERS)]


def _k_order(part):
    """The distinct k of a tail-risk part, fewest records selected first, with their labels."""
    firsts = part.drop_duplicates(subset=["_k"]).sort_values("n_selected", kind="stable")
    return list(firsts["_k"]), [
        f"top {k_text(k, n)}" for k, n in zip(firsts["k"], firsts["n_selected"])
    ]


def plot_precision_at_k(Figure, tail):
    """Precision of each attack's k most confident inferences with its Wilson interval
    (one line per attack), against imputation's own k most confident (grey, dashed), and the
    base rate (dotted); one panel per attribute and value, at most :data:`MAX_PANELS`."""
    if not has(tail, "sensitive", "value", "attack", "k", "n_selected", "precision"):
        return None
    tail = tail.assign(_k=tail["k"].astype(str))
    panels = list(dict.fromkeys(zip(tail["sensitive"], tail["value"].astype(str))))[:MAX_PANELS]
    figure = Figure(figsize=(7.2, 0.8 + 3.0 * len(panels)), layout="constrained")
    grid = figure.subplots(len(panels), 1, squeeze=False)[:, 0]
    for axes, (sensitive, value) in zip(grid, panels):
        part = tail[(tail["sensitive"] == sensitive) & (tail["value"].astype(str) == value)]
        keys, labels = _k_order(part)
        positions = np.arange(len(keys), dtype=float)
        attacks = list(dict.fromkeys(part["attack"].astype(str)))
        width = 0.5 / max(len(attacks), 1)
        baselines = {}
        for i, attack in enumerate(attacks):
            rows = part[part["attack"].astype(str) == attack].set_index("_k").reindex(keys)
            x = positions - 0.25 + width * (i + 0.5)
            y = rows["precision"].astype(float).to_numpy()
            low = rows["ci_low"].astype(float).to_numpy() if "ci_low" in rows else y
            high = rows["ci_high"].astype(float).to_numpy() if "ci_high" in rows else y
            color, marker = _series_style(i)
            shown = np.isfinite(y)
            errors = np.vstack(
                [
                    np.clip(np.where(np.isfinite(low), y - low, 0.0), 0, None),
                    np.clip(np.where(np.isfinite(high), high - y, 0.0), 0, None),
                ]
            )
            axes.errorbar(
                x[shown],
                y[shown],
                yerr=errors[:, shown],
                fmt=f"{marker}-",
                color=color,
                markersize=6,
                capsize=3,
                linewidth=1.1,
                label=label(attack, 28),
            )
            if "baseline_precision" in rows:
                base = tuple(np.round(rows["baseline_precision"].astype(float).to_numpy(), 12))
                baselines.setdefault(base, (rows, []))[1].append(attack)
        for j, (rows, names) in enumerate(baselines.values()):
            y = rows["baseline_precision"].astype(float).to_numpy()
            low = rows.get("baseline_ci_low", rows["baseline_precision"]).astype(float).to_numpy()
            high = rows.get("baseline_ci_high", rows["baseline_precision"]).astype(float).to_numpy()
            shown = np.isfinite(y)
            errors = np.vstack(
                [
                    np.clip(np.where(np.isfinite(low), y - low, 0.0), 0, None),
                    np.clip(np.where(np.isfinite(high), high - y, 0.0), 0, None),
                ]
            )
            name = (
                "imputation"
                if len(baselines) == 1
                else label(f"imputation (for {', '.join(names)})", 40)
            )
            axes.errorbar(
                positions[shown] + 0.32 + 0.04 * j,
                y[shown],
                yerr=errors[:, shown],
                fmt="s--",
                color=NEUTRAL,
                markerfacecolor="white",
                markersize=6,
                capsize=3,
                linewidth=1.0,
                label=name,
            )
        if "base_rate" in part and np.isfinite(part["base_rate"].astype(float)).any():
            rate = float(part["base_rate"].astype(float).dropna().iloc[0])
            axes.axhline(
                rate,
                color="black",
                linestyle=":",
                linewidth=1,
                label=f"share holding it ({rate:.2f})",
            )
        axes.set_xticks(positions, labels)
        axes.set_xlim(-0.6, len(keys) - 0.4)
        axes.set_ylim(-0.03, 1.05)
        axes.set_ylabel("precision: share of the k\nthat hold the value")
        axes.set_title(
            f"{label(sensitive)} = {label(value, 24)} (training records)", loc="left", pad=8
        )
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        axes.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return figure


def size_order(part):
    """The distinct auxiliary sizes of a data-size part, smallest first and "all" last, as
    (key, label) pairs."""
    from ._verdicts import size_key, size_text

    seen = {}
    for size, n_aux in zip(part["aux_size"], part.get("n_aux", [None] * len(part))):
        key = size_key(size)
        if key is not None and key not in seen:
            seen[key] = size_text(size, n_aux)
    keys = sorted(seen, key=lambda k: (k == "all", int(k) if k.isdigit() else 0))
    return [(k, seen[k]) for k in keys]


def plot_aux_sizes(Figure, sizes, thresholds):
    """Advantage over imputation (fitted on the same records) with its interval against the
    attacker's number of auxiliary records, one line per attack, one panel per attribute, with
    the 0 line and the risk thresholds."""
    if not has(sizes, "sensitive", "attack", "aux_size", "advantage"):
        return None
    from ._verdicts import size_key

    sizes = sizes.assign(_size=sizes["aux_size"].map(size_key))
    attributes = list(dict.fromkeys(sizes["sensitive"]))[:MAX_PANELS]
    figure = Figure(figsize=(7.2, 0.8 + 3.0 * len(attributes)), layout="constrained")
    grid = figure.subplots(len(attributes), 1, squeeze=False)[:, 0]
    for axes, attribute in zip(grid, attributes):
        part = sizes[sizes["sensitive"] == attribute]
        order = size_order(part)
        keys = [k for k, _ in order]
        positions = np.arange(len(keys), dtype=float)
        attacks = list(dict.fromkeys(part["attack"].astype(str)))
        width = 0.3 / max(len(attacks), 1)
        lows, highs = [], []
        for i, attack in enumerate(attacks):
            rows = part[part["attack"].astype(str) == attack].set_index("_size").reindex(keys)
            y = rows["advantage"].astype(float).to_numpy()
            low = rows.get("advantage_ci_low", rows["advantage"]).astype(float).to_numpy()
            high = rows.get("advantage_ci_high", rows["advantage"]).astype(float).to_numpy()
            lows.append(low)
            highs.append(high)
            shown = np.isfinite(y)
            drawn = np.clip(y, FLOOR, None)
            errors = np.vstack(
                [
                    np.clip(
                        np.where(np.isfinite(low), drawn - np.maximum(low, FLOOR), 0.0), 0, None
                    ),
                    np.clip(np.where(np.isfinite(high), high - drawn, 0.0), 0, None),
                ]
            )
            color, marker = _series_style(i)
            axes.errorbar(
                positions[shown] - 0.15 + width * (i + 0.5),
                drawn[shown],
                yerr=errors[:, shown],
                fmt=f"{marker}-",
                color=color,
                markersize=6,
                capsize=3,
                linewidth=1.1,
                label=label(attack, 28),
            )
        axes.axhline(0, color="black", linewidth=1, linestyle="--")
        thresholds = thresholds or {}
        for j, value in enumerate(thresholds):
            axes.axhline(
                value,
                color=NEUTRAL,
                linewidth=0.9,
                linestyle=":",
                label="risk thresholds: " + ", ".join(thresholds.values()) if j == 0 else None,
            )
        low, high = _advantage_limits(np.concatenate(lows), np.concatenate(highs))
        axes.set_ylim(low, high)
        axes.set_xticks(positions, [label(text, 16) for _, text in order])
        axes.set_xlim(-0.5, len(keys) - 0.5)
        axes.set_xlabel("auxiliary records the attacker holds")
        axes.set_ylabel("advantage over imputation\n(fitted on the same records)")
        axes.set_title(f"sensitive attribute: {label(attribute)}", loc="left", pad=8)
        axes.grid(axis="y", color="#dddddd", linewidth=0.6)
        axes.legend(frameon=False, fontsize=7, loc="center left", bbox_to_anchor=(1.0, 0.5))
    return figure


def plot_headline(Figure, items, thresholds):
    """Risk at a glance: per attribute, the deciding attack's advantage with the interval the
    level is read from, undefended (filled circles) and under the recommended defense (open
    diamonds), with the 0 line and the risk thresholds.

    ``items`` are dicts with ``label``, ``advantage``, ``ci_low``, ``ci_high`` and
    ``defended`` (bool), in the order drawn (top first).
    """
    items = [i for i in items if np.isfinite(_f(i["advantage"]))]
    if not items:
        return None
    figure = Figure(figsize=(7.2, 1.3 + 0.42 * len(items)), layout="constrained")
    axes = figure.subplots()
    positions = np.arange(len(items), dtype=float)
    for defended, color, marker, filled, name in (
        (False, MEMBERS, "o", True, "undefended"),
        (True, HIGHLIGHT, "D", False, "under the recommended defense"),
    ):
        chosen = np.array([bool(i["defended"]) == defended for i in items])
        if not chosen.any():
            continue
        _forest(
            axes,
            positions[chosen],
            np.array([_f(i["advantage"]) for i in items])[chosen],
            np.array([_f(i["ci_low"]) for i in items])[chosen],
            np.array([_f(i["ci_high"]) for i in items])[chosen],
            color=color,
            marker=marker,
            filled=filled,
            name=name,
        )
    _zero_line(axes, thresholds)
    axes.set_yticks(positions, [label(i["label"], 46) for i in items])
    axes.set_ylim(len(items) - 0.5, -0.5)
    axes.set_xlim(
        *_advantage_limits([_f(i["ci_low"]) for i in items], [_f(i["ci_high"]) for i in items])
    )
    axes.set_xlabel("advantage over imputation (training records)")
    axes.grid(axis="x", color="#dddddd", linewidth=0.6)
    figure.legend(loc="outside lower center", ncols=2, frameon=False)
    return figure


def _f(value):
    """A float, NaN for None (a missing interval end)."""
    return np.nan if value is None else float(value)

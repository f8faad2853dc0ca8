"""What an inversion monitor found: flagged clients and why, as data, and its text rendering."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ._query_patterns import DETECTORS, STATISTICS, example_rows, involved_rows

#: The label of the whole population in a global-scope report.
POPULATION = "(all clients)"

#: Client keys named in a text line before "and N more".
SHOWN_CLIENTS = 5

#: The columns of :meth:`MonitorReport.to_frame`.
FINDING_COLUMNS = [
    "client",
    "detector",
    "statistic",
    "threshold",
    "expected",
    "groups",
    "column",
    "columns",
    "clients",
    "reason",
    "example",
]


def json_value(value):
    """``value`` as a plain JSON-ready Python value (numpy scalars unwrapped, NaN and missing
    values as None, infinities and other objects as text).

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses._monitor_report import json_value
    >>> json_value(np.int64(3)), json_value(float("nan")), json_value(np.float64("inf"))
    (3, None, 'inf')
    """
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return None if math.isnan(value) else (value if math.isfinite(value) else str(value))
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    return str(value)


def _finding_reason(detector, statistic, threshold, expected, groups, columns, thresholds):
    """One sentence saying what the detector counted, against which threshold."""
    named = ", ".join(f"{column!r} ({count:,})" for column, count in columns[:3])
    bar = f"threshold {threshold:,}" + (
        f" above the {expected:,.1f} ordinary traffic shows by chance, plus 3 × its square root"
        if expected
        else ""
    )
    if detector == "sweep":
        return (
            f"{statistic:,} groups of queries identical in every column but one, which ran "
            f"through {thresholds.min_sweep_values} or more values ({bar}); swept: {named}"
        )
    if detector == "near_duplicates":
        return (
            f"{statistic:,} queries within {thresholds.tolerance:g} of a column's scale of one "
            f"another in every column ({bar}); {groups:,} such cluster(s)"
        )
    return (
        f"{statistic:,} pairs of queries equal but for one numeric column, which moved by at "
        f"most {thresholds.finite_difference_step:g} of its scale ({bar}): "
        f"finite-difference probes of {named}"
    )


def flag_bar(expected, threshold):
    """The count that flags: ``threshold`` above what chance gives, plus three standard
    deviations of a Poisson count with that mean (chance counts vary too).

    Examples
    --------
    >>> from tabinvert.defenses._monitor_report import flag_bar
    >>> float(flag_bar(0.0, 10)), float(flag_bar(100.0, 10))
    (10.0, 140.0)
    """
    return np.asarray(expected) + threshold + 3 * np.sqrt(expected)


def findings(
    detection, encoded, codes, keys, rows, encoder, thresholds, baseline, *, row_clients=None
):
    """The findings of a :class:`~tabinvert.defenses._query_patterns.Detection`, and each
    client's statistics.

    A detector flags a client when its count reaches :func:`flag_bar`: its threshold above
    what ``baseline`` expects by chance for the client's number of queries, plus three Poisson
    standard deviations of that chance count; for sweeps and probe
    pairs this is judged column by column, and the statistic reported is the count in the
    column furthest above chance. ``codes`` are the client codes the detection ran on,
    ``keys`` the client key of each code (``[POPULATION]`` for a global scope), ``rows`` the
    queries as sent (a DataFrame aligned with ``encoded``), and ``row_clients`` (global scope)
    each row's real client key, to name the clients involved.

    Returns
    -------
    found : list of dict
        One dict per (client, detector) flagged.
    statistics : DataFrame
        One row per client key: ``n_queries``, each detector's statistic and what chance
        gives (``expected_<statistic>``).
    """
    found = []
    n_queries = detection.n_queries
    statistics = pd.DataFrame({"n_queries": n_queries})
    columns = list(encoder.columns)
    for detector in DETECTORS:
        name = STATISTICS[detector]
        if detector not in thresholds.detectors:
            statistics[name], statistics[f"expected_{name}"] = 0, 0.0
            continue
        threshold = thresholds.threshold(detector)
        counts = detection.counts[detector]
        expected = baseline.expected(detector, n_queries, len(columns))
        if detector == "near_duplicates":
            best = np.full(len(counts), -1)
            statistic, chance = counts, expected
        else:
            best = np.argmax(counts - expected, axis=1)
            rows_index = np.arange(len(counts))
            statistic, chance = counts[rows_index, best], expected[rows_index, best]
        statistics[name] = statistic.astype(np.int64)
        statistics[f"expected_{name}"] = chance.round(3)
        groups = detection.groups[detector]
        for code in np.flatnonzero(statistic >= flag_bar(chance, threshold)):
            if detector == "near_duplicates":
                flagged_positions = []
                mine = groups[groups["client"] == code]
                counted = int((mine["size"] >= flag_bar(chance[code], threshold)).sum())
                listed = []
            else:
                excess = counts[code] - flag_bar(expected[code], 0)
                flagged_positions = list(np.flatnonzero(excess >= threshold))
                order = sorted(flagged_positions, key=lambda j: -excess[j])
                listed = [(json_value(columns[j]), int(counts[code, j])) for j in order]
                counted = int(statistic[code])
            example = example_rows(detector, groups, encoded, codes, code, int(best[code]))
            column = columns[best[code]] if best[code] >= 0 else None
            involved = [keys[code]]
            if row_clients is not None:
                mask = involved_rows(
                    detector,
                    groups,
                    encoded,
                    codes,
                    code,
                    flagged_positions,
                    flag_bar(chance[code], threshold),
                )
                involved = _involved_clients(row_clients, mask)
            found.append(
                {
                    "client": json_value(keys[code]) if row_clients is None else None,
                    "detector": detector,
                    "statistic": int(statistic[code]),
                    "threshold": int(threshold),
                    "expected": round(float(chance[code]), 3),
                    "groups": counted,
                    "column": json_value(column),
                    "columns": [list(pair) for pair in listed],
                    "clients": [json_value(c) for c in involved],
                    "reason": _finding_reason(
                        detector,
                        int(statistic[code]),
                        threshold,
                        float(chance[code]),
                        counted,
                        listed,
                        thresholds,
                    ),
                    "example": _example(rows, example, column),
                }
            )
    statistics.index = pd.Index(keys, name="client", dtype=object)
    return found, statistics


def _involved_clients(row_clients, involved):
    """The clients with rows in counted groups, most rows first."""
    counts = pd.Series(np.asarray(row_clients, dtype=object)[involved]).value_counts(sort=True)
    return list(counts.index)


def _example(rows, positions, column):
    """One counted group as data: its rows (as sent) and the column it concerns."""
    records = [
        {str(c): json_value(v) for c, v in record.items()}
        for record in rows.iloc[positions].to_dict(orient="records")
    ]
    return {"column": json_value(column) if column is not None else None, "rows": records}


class MonitorReport:
    """Which clients' queries look like an attribute-inference attack, and why.

    Returned by :meth:`InversionMonitor.report` and :func:`scan_query_log`. A finding is one
    (client, detector) pair whose count reached its threshold: the detector, its statistic
    and threshold, how many groups it counted, the columns involved (most groups first), an
    example group (its rows as sent) and a sentence saying why. In a ``"global"`` scope the
    detectors count over all clients together: a finding then belongs to no single client
    (``client`` is None) and ``clients`` lists every client with queries in its counted
    groups, most first, which need not be one attacker.

    Attributes
    ----------
    findings : list of dict
        One JSON-ready dict per finding, in the order of ``to_frame``.
    statistics : DataFrame
        Every client's statistics (index ``client``; in a global scope one row, the
        population): ``n_queries`` examined and each detector's count, flagged or not;
        read it to set thresholds on your own traffic.
    scope : {"client", "global"}
    n_queries : int
        Queries examined.
    settings : dict
        The thresholds, tolerance and scales used.

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert.defenses import scan_query_log
    >>> log = pd.DataFrame({"client": ["a"] * 6 + ["b"] * 2,
    ...                     "income": [52e3] * 3 + [31e3] * 3 + [40e3, 47e3],
    ...                     "age": [30] * 3 + [41] * 3 + [25, 52],
    ...                     "sex": ["F", "M", "X", "F", "M", "X", "F", "M"]})
    >>> report = scan_query_log(log, client_column="client", min_sweep_groups=2)
    >>> report.flagged_clients
    ['a']
    >>> print(report)
    InversionMonitor report (scope: client): 1 of 2 clients flagged, 8 queries examined.
    client 'a': sweep: 2 groups of queries identical in every column but one, which ran through 2
    or more values (threshold 2); swept: 'sex' (2)
        e.g. 'sex' = 'F', 'M', 'X' in {'income': 52000.0, 'age': 30}
    >>> report.to_frame()[["client", "detector", "statistic", "column"]]
      client detector  statistic column
    0      a    sweep          2    sex
    """

    def __init__(self, findings, statistics, *, scope, n_queries, settings):
        self.findings = list(findings)
        self.statistics = statistics
        self.scope = scope
        self.n_queries = int(n_queries)
        self.settings = settings

    @property
    def flagged_clients(self):
        """The flagged clients' keys, in the order of their first finding (in a global
        scope, every client involved in a finding)."""
        seen = {}
        for finding in self.findings:
            for client in finding["clients"]:
                seen.setdefault(client, None)
        return list(seen)

    def to_frame(self):
        """The findings, one row each (columns :data:`FINDING_COLUMNS`).

        Returns
        -------
        DataFrame
        """
        return pd.DataFrame(self.findings, columns=FINDING_COLUMNS)

    def to_dict(self):
        """Everything in the report as JSON-ready data (``json.dumps`` takes it as is).

        Returns
        -------
        dict
        """
        statistics = self.statistics.reset_index()
        return {
            "scope": self.scope,
            "n_queries": self.n_queries,
            "n_clients": int(len(self.statistics)) if self.scope == "client" else None,
            "flagged_clients": self.flagged_clients,
            "settings": self.settings,
            "findings": self.findings,
            "statistics": [
                {str(k): json_value(v) for k, v in record.items()}
                for record in statistics.to_dict(orient="records")
            ],
        }

    def to_text(self):
        """A short text rendering: one line per flagged client and detector, with an example.

        Returns
        -------
        str
        """
        return render_text(self)

    def __str__(self):
        return self.to_text()

    def __repr__(self):
        return (
            f"<MonitorReport scope={self.scope!r}: {len(self.flagged_clients)} flagged "
            f"client(s), {len(self.findings)} finding(s), {self.n_queries:,} queries>"
        )


def _clients_text(clients):
    shown = ", ".join(repr(c) for c in clients[:SHOWN_CLIENTS])
    more = len(clients) - SHOWN_CLIENTS
    return shown + (f" and {more:,} more" if more > 0 else "")


def _example_text(finding):
    example = finding["example"]
    rows, column = example["rows"], example["column"]
    if not rows:
        return ""
    if column is None:
        return f"    e.g. {rows[0]}"
    first = {c: v for c, v in rows[0].items() if c != str(column)}
    values = ", ".join(repr(row.get(str(column))) for row in rows)
    return f"    e.g. {column!r} = {values} in {first}"


def render_text(report):
    """The text of :meth:`MonitorReport.to_text`."""
    flagged = report.flagged_clients
    if report.scope == "client":
        head = (
            f"InversionMonitor report (scope: client): {len(flagged):,} of "
            f"{len(report.statistics):,} clients flagged, {report.n_queries:,} queries examined."
        )
    else:
        head = (
            f"InversionMonitor report (scope: global): {len(report.findings):,} "
            f"population-level finding(s), {report.n_queries:,} queries examined; the counts "
            "are over all clients together, so no single client is named as the attacker."
        )
    lines = [head]
    for finding in report.findings:
        who = (
            f"client {finding['client']!r}"
            if report.scope == "client"
            else f"clients {_clients_text(finding['clients'])}"
        )
        lines.append(f"{who}: {finding['detector']}: {finding['reason']}")
        example = _example_text(finding)
        if example:
            lines.append(example if len(example) <= 300 else example[:300] + "…")
    if not report.findings:
        lines.append("No client's queries reached a threshold.")
    return "\n".join(lines)

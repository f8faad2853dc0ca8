"""The query patterns attribute-inference attacks leave, found over a whole batch of queries.

Every query (one row of model inputs) is turned into one 64-bit hash per column, twice: an
*exact* hash of its value, and a *cell* hash, where a numeric value is first quantised to a
cell ``tolerance`` times its column's scale wide (categorical values are hashed as they are, in
both). A row's key is the sum of its column hashes (mod 2**64), so the key of a row *with one
column left out* is that sum minus one term: every "identical but for column j" grouping is a
subtraction and a pandas ``groupby``, one per column, never a loop over rows. With 64-bit keys
two different rows share a key with probability about 2**-64 per pair: a false match is
negligible for logs of billions of rows.

Three detectors, each a count compared with a threshold:

``sweep``
    groups of queries identical (up to the cell) in every column but one, where that column
    takes ``min_sweep_values`` or more distinct cells: an attacker completing a target record
    with each candidate value of the sensitive column. Counted: such groups.
``near_duplicates``
    queries falling in one cell on every column: repeated or noise-added probes of one record.
    Counted: the size of the largest cluster.
``finite_differences``
    pairs of queries exactly equal in every column but one numeric column, which differs by a
    step of at most ``finite_difference_step`` times its scale (and more than 0): gradient
    estimation. Counted: such pairs (between consecutive distinct values).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

#: The detectors, in the order reports list them.
DETECTORS = ("sweep", "near_duplicates", "finite_differences")

#: The statistic each detector compares with its threshold, as the report names it.
STATISTICS = {
    "sweep": "sweep_groups",
    "near_duplicates": "largest_near_duplicate_cluster",
    "finite_differences": "finite_difference_pairs",
}

#: Rows of one group shown as a finding's example.
EXAMPLE_ROWS = 10

_GOLDEN = 0x9E3779B97F4A7C15
_MASK = (1 << 64) - 1
#: Cell codes of missing and infinite numeric values (no finite value quantises to them).
_MISSING_CELL = np.iinfo(np.int64).min
_POSITIVE_INFINITE_CELL = np.iinfo(np.int64).max
_NEGATIVE_INFINITE_CELL = np.iinfo(np.int64).min + 1
#: Cells are clipped inside this range before the cast to int64 (a value of 1e300 is one cell).
_LARGEST_CELL = 2.0**62


@dataclass(frozen=True)
class Thresholds:
    """The detectors' settings (see the module docstring)."""

    min_sweep_values: int = 2
    min_sweep_groups: int = 10
    tolerance: float = 0.1
    min_near_duplicates: int = 25
    finite_difference_step: float = 0.05
    min_finite_difference_pairs: int = 10
    detectors: tuple = DETECTORS

    def threshold(self, detector):
        """The count ``detector`` must reach for a flag."""
        return {
            "sweep": self.min_sweep_groups,
            "near_duplicates": self.min_near_duplicates,
            "finite_differences": self.min_finite_difference_pairs,
        }[detector]

    def to_dict(self):
        return {
            "min_sweep_values": self.min_sweep_values,
            "min_sweep_groups": self.min_sweep_groups,
            "tolerance": self.tolerance,
            "min_near_duplicates": self.min_near_duplicates,
            "finite_difference_step": self.finite_difference_step,
            "min_finite_difference_pairs": self.min_finite_difference_pairs,
            "detectors": list(self.detectors),
        }


def _mix(values, salt):
    """splitmix64 of ``values`` (uint64) xor a per-column salt: well spread 64-bit hashes."""
    with np.errstate(over="ignore"):
        z = values ^ np.uint64(salt)
        z = z + np.uint64(_GOLDEN)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


def _salt(position):
    return ((position + 1) * _GOLDEN) & _MASK


def robust_scale(values):
    """A column's scale: its interquartile range / 1.349 (the standard deviation of a normal
    column, unmoved by outliers), else its standard deviation, else 1.

    Examples
    --------
    >>> import numpy as np
    >>> from tabinvert.defenses._query_patterns import robust_scale
    >>> round(robust_scale(np.arange(101.0)), 2), robust_scale(np.zeros(5))
    (37.07, 1.0)
    """
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return 1.0
    low, high = np.percentile(values, [25, 75])
    for scale in ((high - low) / 1.349, float(np.std(values))):
        if np.isfinite(scale) and scale > 0:
            return float(scale)
    return 1.0


def is_numeric_column(series):
    """Numbers (not booleans): quantised; everything else is compared exactly."""
    dtype = series.dtype
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


@dataclass(frozen=True)
class Encoder:
    """How queries become hashes: the monitored columns, which are numeric, and their scales.

    ``columns`` are labels of the query frames (positions for arrays); ``scale`` maps each
    numeric column to its positive scale.
    """

    columns: tuple
    numeric: tuple
    scale: dict
    tolerance: float

    def encode(self, frame):
        """``Encoded`` hashes of ``frame``'s rows (a DataFrame holding ``columns``)."""
        n, p = len(frame), len(self.columns)
        cells = np.empty((n, p), dtype=np.uint64)
        exact = np.empty((n, p), dtype=np.uint64)
        numbers = np.empty((n, len(self.numeric)), dtype=float)
        for j, column in enumerate(self.columns):
            series = frame[column]
            if column in self.scale:
                values = _as_numbers(series, column)
                numbers[:, self.numeric.index(column)] = values
                exact[:, j] = _mix(_float_bits(values), _salt(j))
                cells[:, j] = _mix(self._cell_codes(values, column), _salt(j))
            else:
                hashed = _mix(_text_hashes(series), _salt(j))
                exact[:, j] = hashed
                cells[:, j] = hashed
        return Encoded(cells, exact, numbers)

    def _cell_codes(self, values, column):
        if self.tolerance == 0:
            return _float_bits(values)
        width = self.tolerance * self.scale[column]
        with np.errstate(invalid="ignore", over="ignore"):
            scaled = np.floor(values / width)
        finite = np.isfinite(scaled)
        codes = np.clip(np.where(finite, scaled, 0.0), -_LARGEST_CELL, _LARGEST_CELL)
        codes = codes.astype(np.int64)
        codes[np.isnan(values)] = _MISSING_CELL
        codes[values == np.inf] = _POSITIVE_INFINITE_CELL
        codes[values == -np.inf] = _NEGATIVE_INFINITE_CELL
        return codes.view(np.uint64)


def _as_numbers(series, column):
    """A numeric column's values as float64, refused (naming the value) when not numbers."""
    if is_numeric_column(series):
        return np.asarray(series, dtype=float)
    converted = pd.to_numeric(series, errors="coerce")
    bad = converted.isna() & series.notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise ValueError(
            f"The column {column!r} holds numbers in the reference records but "
            f"{str(series.iloc[position])[:100]!r} (row {position}) in the queries: give it "
            "numbers, or fit the monitor on records typed as the queries are."
        )
    return np.asarray(converted, dtype=float)


def _float_bits(values):
    """The bits of float64 values, with 0.0 and -0.0 one value and every NaN one value."""
    values = np.where(np.isnan(values), np.nan, values + 0.0)
    return np.ascontiguousarray(values, dtype=np.float64).view(np.uint64)


def _text_hashes(series):
    """One 64-bit hash per value of a categorical column (missing values hash alike)."""
    values = np.asarray(series.astype(object), dtype=object)
    missing = pd.isna(values)
    values = values.astype(str)
    values[missing] = "\x00missing"
    return pd.util.hash_array(values.astype(object), categorize=True)


@dataclass
class Encoded:
    """Per-row, per-column hashes (cells and exact values) and the numeric columns' values."""

    cells: np.ndarray
    exact: np.ndarray
    numbers: np.ndarray

    def __len__(self):
        return len(self.cells)

    def take(self, rows):
        return Encoded(self.cells[rows], self.exact[rows], self.numbers[rows])

    @staticmethod
    def concatenate(parts):
        return Encoded(
            np.concatenate([p.cells for p in parts]),
            np.concatenate([p.exact for p in parts]),
            np.concatenate([p.numbers for p in parts]),
        )


@dataclass
class Detection:
    """What the detectors found in one batch of queries, per client code.

    ``n_queries``: queries per client code (0 … n_clients - 1). ``counts[detector]``: for the
    sweep and finite-difference detectors an (n_clients, n_columns) array of groups / pairs
    per column; for near-duplicates an (n_clients,) array, the largest cluster.
    ``groups[detector]``: the counted groups (client, key, size, column, …).
    """

    n_queries: np.ndarray
    counts: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)


def detect(encoded, clients, n_clients, encoder, thresholds):
    """Run the detectors over ``encoded`` queries whose senders are the codes ``clients``.

    Parameters
    ----------
    encoded : Encoded
    clients : ndarray of int of shape (n,)
        Each row's client code, in ``range(n_clients)``.
    n_clients : int
    encoder : Encoder
    thresholds : Thresholds

    Returns
    -------
    Detection
    """
    clients = np.asarray(clients, dtype=np.int64)
    detection = Detection(np.bincount(clients, minlength=n_clients))
    finders = {
        "sweep": _sweeps,
        "near_duplicates": _near_duplicates,
        "finite_differences": _finite_differences,
    }
    for detector in thresholds.detectors:
        groups = finders[detector](encoded, clients, encoder, thresholds)
        detection.groups[detector] = groups
        if detector == "near_duplicates":
            largest = np.zeros(n_clients, dtype=np.int64)
            np.maximum.at(largest, groups["client"].to_numpy(np.int64), groups["size"].to_numpy())
            detection.counts[detector] = largest
        else:
            counts = np.zeros((n_clients, len(encoder.columns)), dtype=np.int64)
            np.add.at(
                counts,
                (groups["client"].to_numpy(np.int64), groups["position"].to_numpy(np.int64)),
                1,
            )
            detection.counts[detector] = counts
    return detection


def _without_column(hashes, j):
    """Each row's key with column ``j`` left out."""
    with np.errstate(over="ignore"):
        return hashes.sum(axis=1, dtype=np.uint64) - hashes[:, j]


def _sweeps(encoded, clients, encoder, thresholds):
    """Groups identical (to the cell) but for one column that takes several cells."""
    found = [_empty_groups()]
    for j, column in enumerate(encoder.columns):
        key = _without_column(encoded.cells, j)
        rows = pd.DataFrame({"client": clients, "key": key, "value": encoded.cells[:, j]})
        distinct = rows[~rows.duplicated()]
        sizes = distinct.groupby(["client", "key"], sort=False).size()
        sizes = sizes[sizes >= thresholds.min_sweep_values]
        if sizes.empty:
            continue
        groups = sizes.rename("size").reset_index()
        groups["column"] = column
        groups["position"] = j
        found.append(groups)
    return pd.concat(found, ignore_index=True)


def _near_duplicates(encoded, clients, encoder, thresholds):
    """Clusters of queries in one cell on every column (every cluster, with its size)."""
    with np.errstate(over="ignore"):
        key = encoded.cells.sum(axis=1, dtype=np.uint64)
    sizes = pd.DataFrame({"client": clients, "key": key}).groupby(["client", "key"]).size()
    groups = sizes.rename("size").reset_index()
    groups["column"] = None
    groups["position"] = -1
    return groups


def _finite_differences(encoded, clients, encoder, thresholds):
    """Pairs exactly equal but for one numeric column, which moved by a tiny step."""
    found = [_empty_groups()]
    for position, column in enumerate(encoder.numeric):
        j = encoder.columns.index(column)
        values = encoded.numbers[:, position]
        rows = pd.DataFrame(
            {
                "client": clients,
                "key": _without_column(encoded.exact, j),
                "value": values,
                "row": np.arange(len(values)),
            }
        )
        rows = rows[np.isfinite(values)].drop_duplicates(["client", "key", "value"])
        rows = rows.sort_values(["client", "key", "value"], kind="stable")
        client, key = rows["client"].to_numpy(), rows["key"].to_numpy()
        value, row = rows["value"].to_numpy(), rows["row"].to_numpy()
        same_group = (client[1:] == client[:-1]) & (key[1:] == key[:-1])
        step = (value[1:] - value[:-1]) / encoder.scale[column]
        pair = same_group & (step > 0) & (step <= thresholds.finite_difference_step)
        if not pair.any():
            continue
        found.append(
            pd.DataFrame(
                {
                    "client": client[1:][pair],
                    "key": key[1:][pair],
                    "size": 2,
                    "column": column,
                    "position": j,
                    "first_row": row[:-1][pair],
                    "second_row": row[1:][pair],
                }
            )
        )
    return pd.concat(found, ignore_index=True)


def _empty_groups():
    return pd.DataFrame(
        {
            "client": np.array([], dtype=np.int64),
            "key": np.array([], dtype=np.uint64),
            "size": np.array([], dtype=np.int64),
            "column": np.array([], dtype=object),
            "position": np.array([], dtype=np.int64),
            "first_row": np.array([], dtype=np.int64),
            "second_row": np.array([], dtype=np.int64),
        }
    )


def involved_rows(detector, groups, encoded, clients, client, positions, min_size):
    """Which rows belong to the groups ``detector`` counted for ``client``: in the columns
    at ``positions`` (sweeps, probe pairs), or clusters of ``min_size`` or more rows."""
    mine = groups[groups["client"] == client]
    involved = np.zeros(len(encoded), dtype=bool)
    if detector == "near_duplicates":
        keys = mine.loc[mine["size"] >= min_size, "key"].to_numpy(dtype=np.uint64)
        with np.errstate(over="ignore"):
            involved = np.isin(encoded.cells.sum(axis=1, dtype=np.uint64), keys)
        return involved & (clients == client)
    mine = mine[mine["position"].isin(positions)]
    if detector == "finite_differences":
        involved[mine["first_row"].to_numpy(np.int64)] = True
        involved[mine["second_row"].to_numpy(np.int64)] = True
        return involved
    for j, keys in mine.groupby("position")["key"]:
        involved |= np.isin(_without_column(encoded.cells, int(j)), keys.to_numpy(np.uint64))
    return involved & (clients == client)


def example_rows(detector, groups, encoded, clients, client, position):
    """The rows (positions in the batch) of one group ``detector`` counted for ``client``:
    in the column at ``position``, the group with the most distinct values (sweeps) or the
    first pair; the largest cluster (near-duplicates)."""
    mine = groups[groups["client"] == client]
    if detector != "near_duplicates":
        mine = mine[mine["position"] == position]
    if mine.empty:
        return np.array([], dtype=np.int64)
    if detector == "finite_differences":
        return mine[["first_row", "second_row"]].to_numpy(dtype=np.int64)[0]
    best = int(np.argmax(mine["size"].to_numpy()))
    # The key read from its own uint64 column: a row of mixed dtypes could round it.
    best_key = mine["key"].to_numpy(dtype=np.uint64)[best]
    if detector == "near_duplicates":
        with np.errstate(over="ignore"):
            key = encoded.cells.sum(axis=1, dtype=np.uint64)
        return np.flatnonzero((clients == client) & (key == best_key))[:EXAMPLE_ROWS]
    key = _without_column(encoded.cells, position)
    rows = np.flatnonzero((clients == client) & (key == best_key))
    # One row per distinct swept cell: the values the column ran through.
    _, first = np.unique(encoded.cells[rows, position], return_index=True)
    return rows[np.sort(first)][:EXAMPLE_ROWS]


@dataclass(frozen=True)
class Baseline:
    """What each detector counts *by chance* in ordinary traffic, as a function of the number
    of queries: measured on nested random subsets of reference records (sizes 2, 4, 8, …, all
    of them), per column for sweeps and probe pairs, so that a flag means "more than ordinary
    traffic of this size shows".

    Between measured sizes the count is interpolated; beyond the reference's size it is
    extrapolated as chance coincidences grow: with the square of the number of queries for
    sweep groups and probe pairs (they are pairs of rows), linearly for the largest cluster.
    """

    sizes: tuple = ()
    counts: dict = field(default_factory=dict)

    def expected(self, detector, n_queries, n_columns):
        """The count expected by chance for clients sending ``n_queries`` (an array): an
        (n, n_columns) array for sweeps and probe pairs, (n,) for near-duplicates."""
        n_queries = np.asarray(n_queries, dtype=float)
        per_column = detector != "near_duplicates"
        shape = (len(n_queries), n_columns) if per_column else (len(n_queries),)
        if not self.sizes:
            return np.zeros(shape)
        sizes = np.asarray(self.sizes, dtype=float)
        counts = np.asarray(self.counts[detector], dtype=float).reshape(len(sizes), -1)
        expected = np.column_stack(
            [np.interp(n_queries, sizes, counts[:, j]) for j in range(counts.shape[1])]
        )
        beyond = n_queries > sizes[-1]
        power = 2.0 if per_column else 1.0
        expected[beyond] = counts[-1] * ((n_queries[beyond] / sizes[-1]) ** power)[:, None]
        return expected if per_column else expected[:, 0]

    def to_dict(self):
        return {"sizes": list(self.sizes), **{d: list(c) for d, c in self.counts.items()}}

    @classmethod
    def from_dict(cls, data):
        data = dict(data or {})
        sizes = tuple(data.pop("sizes", ()))
        return cls(sizes, {d: tuple(map(_as_tuple, c)) for d, c in data.items()})


def _as_tuple(value):
    return tuple(value) if isinstance(value, (list, tuple, np.ndarray)) else value


def measure_baseline(encoded, encoder, thresholds, random_state):
    """The :class:`Baseline` of reference records ``encoded`` (every detector, all sizes)."""
    n = len(encoded)
    if n < 2:
        return Baseline()
    order = random_state.permutation(n)
    sizes = sorted({*(2**k for k in range(1, int(np.log2(n)) + 1)), n})
    everything = Thresholds(**{**thresholds.__dict__, "detectors": DETECTORS})
    measured = {detector: [] for detector in DETECTORS}
    for size in sizes:
        rows = np.sort(order[:size])
        clients = np.zeros(size, dtype=np.int64)
        detection = detect(encoded.take(rows), clients, 1, encoder, everything)
        for detector in DETECTORS:
            measured[detector].append(detection.counts[detector][0])
    # Counts can only grow with the traffic: a smaller subset's count never exceeds a larger's.
    counts = {}
    for detector, values in measured.items():
        grown = np.maximum.accumulate(np.asarray(values), axis=0)
        counts[detector] = tuple(
            tuple(int(v) for v in row) if np.ndim(row) else int(row) for row in grown
        )
    return Baseline(tuple(sizes), counts)

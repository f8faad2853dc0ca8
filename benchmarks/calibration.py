"""Calibration of ``assess``'s verdict: how often it cries wolf, and how often it sees a wolf.

**False alarms.** Models blind to the sensitive attribute — a Pipeline whose first step drops
the column (``ColumnTransformer([("secret", "drop", [col])], remainder="passthrough")``), then
a logistic regression, a random forest or a histogram gradient boosting — cannot reveal it:
their answer is the same for every candidate value. Every alarm on them is false. The script
runs ``assess`` on such models over synthetic populations (training sizes n = 500 … 20,000,
a categorical and a numeric attribute, several seeds) and counts the alarms *before* the
correction (some attack's own 95% interval on the members lies above 0: ``results``'
``advantage_ci_low > 0``) and *after* it (the headline ``risk_level`` is not "none": the best
lower bound of the intervals simultaneous over the attacks compared is above 0), each rate
with its Wilson 95% interval; goal ≤ 5%.

**Power.** Planted leaks of increasing strength: a model that memorises a share s of its
members' attribute (s = 0, 1%, 2%, 5%, 10%, 20%, 50%, 100%). It answers as a blind base
model, except for a record whose known features are those of a memorised member *and* whose
sensitive value is that member's (within ±3 for the numeric attribute, whose candidates are
a 20-value quantile grid): there it moves its probability of the member's true label to 0.95.
The table gives the share of assessments that detect the leak, before and after the
correction. s = 0 is a second false-alarm check.

**Blind but noisy** (``--sections noisy``, extra). A blind model's answers are identical for
every candidate, so the attacks fall back on the imputation baseline's guess and score exactly
0: the false-alarm table above tests that rule, not the bootstrap's tail. This section adds to
each blind model's answers a small pseudo-random shift (a fixed function of the record's known
features and the candidate value, independent of the true value), so the attacks' guesses
depart from imputation's on some records without knowing anything more: every alarm is still
false, and now the intervals decide it.

Data: synthetic populations (nothing is downloaded). Five known features (four standard
normal, one region code 0–4) predict the attribute partly, so imputation has something to do;
the attribute is categorical (three values) or numeric (an integer "age", 18–90); the label
depends on the known features and on the attribute. Training set n records; holdout n records
of the same population (half to the attacker, half the non-members attacked).

Run (full: 16-22 min with 2 workers on 2 shared cores; ``--quick``: 1-2 min)::

    python benchmarks/calibration.py --n-jobs 2 \\
        --out benchmarks/results/calibration_YYYY-MM-DD.txt

Only tabinvert's public API is used (``tabinvert.assess``, ``tabinvert.metrics``); point
``PYTHONPATH`` at another copy of the package to calibrate that one (the header says which copy
ran and whether it matches the checkout's HEAD).
"""

from __future__ import annotations

import os

# One thread per process: the assessments themselves run in parallel (--n-jobs), and the
# histogram gradient boosting (the target, the imputation baseline and LOMIA's learner) would
# otherwise start an OpenMP team per process on a shared 2-core machine. Set before numpy.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import collections  # noqa: E402
import hashlib  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.base import BaseEstimator, ClassifierMixin, clone  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import ROOT, Report, choices, header, options_text  # noqa: E402

SECRET = "secret"
KNOWN = ["x1", "x2", "x3", "x4", "region"]
KINDS = ("categorical", "numeric")
MODELS = ("logistic", "forest", "boosting")
SECTIONS = ("blind", "power", "noisy")
ALARM_LEVELS = ("low", "medium", "high")
GOAL = 0.05
NUMERIC_TOLERANCE = 3  # the memoriser's match on the numeric attribute: within ±3
LEAK_CONFIDENCE = 0.95  # the memoriser's probability of a memorised member's true label

# (n, repetitions per model and kind): full and --quick. 20,000 gets fewer repetitions.
BLIND_PLAN = {
    "full": ((500, 16), (2000, 12), (5000, 8), (20000, 4)),
    "quick": ((500, 2), (2000, 1)),
}
POWER_SHARES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
POWER_PLAN = {"full": (2000, 12), "quick": (2000, 1)}  # (n, seeds per share and kind)
NOISY_PLAN = {"full": ((500, 15), (2000, 9)), "quick": ((500, 1),)}
NOISE_SCALES = (0.05, 0.3, 1.0)  # logit shifts of the blind-but-noisy models, cycled by seed
RESAMPLES = {"full": 1000, "quick": 200}


# ------------------------------------------------------------------------------------------
# Data and models
# ------------------------------------------------------------------------------------------
def population(n, kind, seed):
    """``n`` people: the known features, the attribute (``SECRET``) and a 0/1 label."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(1, 5)})
    X["region"] = rng.integers(0, 5, size=n)
    if kind == "categorical":
        logits = np.column_stack(
            [
                np.zeros(n),
                1.0 * X["x1"] + 0.3 * (X["region"] == 1),
                -1.0 * X["x2"] + 0.5 * X["x3"] - 0.3,
            ]
        )
        prob = np.exp(logits - logits.max(axis=1, keepdims=True))
        prob /= prob.sum(axis=1, keepdims=True)
        drawn = (rng.random(n)[:, None] > np.cumsum(prob, axis=1)).sum(axis=1).clip(max=2)
        X[SECRET] = np.array(["A", "B", "C"], dtype=object)[drawn]
        effect = np.array([0.0, 0.8, -0.8])[drawn]
    else:
        age = 45 + 7 * X["x1"] + 4 * X["x2"] + 9 * rng.normal(size=n)
        X[SECRET] = np.clip(np.round(age), 18, 90).astype(np.int64)
        effect = (X[SECRET].to_numpy() - 45) / 12
    z = 0.8 * X["x1"] - 0.6 * X["x3"] + 0.5 * X["x4"] + 0.4 * (X["region"] == 2) + effect - 0.2
    y = (rng.random(n) < 1 / (1 + np.exp(-z.to_numpy()))).astype(np.int64)
    return X, y


def blind_model(name, seed):
    """An unfitted Pipeline that drops the attribute, then the named classifier."""
    if name == "logistic":
        clf = LogisticRegression(max_iter=1000)
    elif name == "forest":
        clf = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1)
    elif name == "boosting":
        clf = HistGradientBoostingClassifier(random_state=seed)
    else:
        raise ValueError(f"unknown model {name!r}; choose from {MODELS}")
    drop = ColumnTransformer([("secret", "drop", [SECRET])], remainder="passthrough")
    return Pipeline([("blind", drop), ("model", clf)])


def _row_keys(X, columns):
    """One 64-bit hash per row of ``X[columns]`` (numbers as float64, so that a completed
    grid's dtypes cannot change the key): a vectorised lookup key."""
    part = X[columns]
    part = part.astype({c: "float64" for c in columns if pd.api.types.is_numeric_dtype(part[c])})
    return pd.util.hash_pandas_object(part, index=False).to_numpy()


class MemorisingClassifier(ClassifierMixin, BaseEstimator):
    """A planted leak: a blind base model that memorises a share of its members' attribute.

    For a record whose known features are those of a memorised member and whose sensitive
    value is that member's (``|value - true| <= tolerance`` for a number), the probability of
    the member's true label becomes ``confidence`` (the rest shared by the other classes);
    every other record gets the base model's answer. The lookup is vectorised (row hashes,
    ``np.isin`` and ``np.searchsorted``).
    """

    def __init__(
        self,
        base=None,
        sensitive=SECRET,
        share=0.0,
        tolerance=0.0,
        confidence=LEAK_CONFIDENCE,
        random_state=None,
    ):
        self.base = base
        self.sensitive = sensitive
        self.share = share
        self.tolerance = tolerance
        self.confidence = confidence
        self.random_state = random_state

    def fit(self, X, y):
        y = np.asarray(y)
        self.base_ = clone(self.base).fit(X, y)
        self.classes_ = self.base_.classes_
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        self.known_ = [c for c in X.columns if c != self.sensitive]
        rng = np.random.default_rng(self.random_state)
        chosen = rng.choice(len(X), size=int(round(self.share * len(X))), replace=False)
        keys = _row_keys(X.iloc[chosen], self.known_)
        order = np.argsort(keys, kind="stable")
        self.keys_ = keys[order]
        self.values_ = X[self.sensitive].to_numpy()[chosen][order]
        self.labels_ = np.searchsorted(self.classes_, y[chosen])[order]
        self.n_memorised_ = len(chosen)
        return self

    def _hits(self, X):
        """Which rows match a memorised member (features and value), and that member."""
        if not len(self.keys_):
            return np.zeros(len(X), dtype=bool), np.zeros(len(X), dtype=int)
        keys = _row_keys(X, self.known_)
        found = np.isin(keys, self.keys_)
        where = np.searchsorted(self.keys_, keys).clip(max=len(self.keys_) - 1)
        values, truth = X[self.sensitive].to_numpy(), self.values_[where]
        if self.tolerance:
            same = np.abs(values.astype(float) - truth.astype(float)) <= self.tolerance
        else:
            same = values == truth
        return found & same, self.labels_[where]

    def predict_proba(self, X):
        proba = np.array(self.base_.predict_proba(X), dtype=float)
        hit, label = self._hits(X)
        if hit.any():
            rows = np.flatnonzero(hit)
            proba[rows] = (1 - self.confidence) / (len(self.classes_) - 1)
            proba[rows, label[rows]] = self.confidence
        return proba

    def predict(self, X):
        return self.classes_[self.predict_proba(X).argmax(axis=1)]


class NoisyBlindClassifier(ClassifierMixin, BaseEstimator):
    """A blind base model (binary label) whose probability is shifted on the logit scale by
    ``scale * (2u - 1)``, ``u`` a fixed pseudo-random number of the record's known features
    *and* its sensitive value: answers differ from candidate to candidate, but say nothing of
    the true value (``u`` does not depend on it)."""

    def __init__(self, base=None, sensitive=SECRET, scale=0.1):
        self.base = base
        self.sensitive = sensitive
        self.scale = scale

    def fit(self, X, y):
        self.base_ = clone(self.base).fit(X, np.asarray(y))
        self.classes_ = self.base_.classes_
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X):
        p = np.clip(np.asarray(self.base_.predict_proba(X))[:, 1], 1e-9, 1 - 1e-9)
        known = [c for c in X.columns if c != self.sensitive]
        keys = _row_keys(X, known) ^ pd.util.hash_array(X[self.sensitive].astype(str).to_numpy())
        u = (keys >> np.uint64(11)).astype(np.float64) / 2.0**53
        logit = np.log(p / (1 - p)) + self.scale * (2 * u - 1)
        p = 1 / (1 + np.exp(-logit))
        return np.column_stack([1 - p, p])

    def predict(self, X):
        return self.classes_[(self.predict_proba(X)[:, 1] > 0.5).astype(int)]


# ------------------------------------------------------------------------------------------
# One assessment
# ------------------------------------------------------------------------------------------
def run_one(task):
    """Draw the population, fit the target, assess it; a row of plain values."""
    from tabinvert import assess

    section, model_name, kind, n, seed = (
        task[k] for k in ("section", "model", "kind", "n", "seed")
    )
    X, y = population(2 * n, kind, seed)
    X_train, y_train = X.iloc[:n].reset_index(drop=True), y[:n]
    X_holdout, y_holdout = X.iloc[n:].reset_index(drop=True), y[n:]
    base = blind_model(model_name, seed)
    if section == "power":
        tolerance = NUMERIC_TOLERANCE if kind == "numeric" else 0.0
        model = MemorisingClassifier(
            base, share=task["share"], tolerance=tolerance, random_state=seed
        )
    elif section == "noisy":
        model = NoisyBlindClassifier(base, scale=task["scale"])
    else:
        model = base
    model.fit(X_train, y_train)
    start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        # Recorded, not shown: a warning of an attack (e.g. a learner that did not converge)
        # repeats in every assessment and would drown the progress lines; the distinct
        # messages and their counts are printed at the end.
        warnings.simplefilter("always")
        result = assess(
            model,
            X_train,
            y_train,
            X_holdout=X_holdout,
            y_holdout=y_holdout,
            sensitive=SECRET,
            n_resamples=task["n_resamples"],
            random_state=seed,
            access="both",
        )
    seconds = time.perf_counter() - start
    summary = result.summary.iloc[0]
    table = result.results
    members = table[(table["population"] == "members") & (table["attack"] != "imputation")]
    low = members["advantage_ci_low"].astype(float)
    low_family = members["advantage_ci_low_family"].astype(float)
    level = summary["risk_level"]
    return dict(
        task,
        seconds=seconds,
        level=level,
        level_api=summary["risk_level_api"],
        level_model_file=summary["risk_level_model_file"],
        before=bool((low > 0).any()),
        before_attacks=sorted(members.loc[(low > 0).to_numpy(), "attack"]),
        after=level in ALARM_LEVELS,
        undetermined=level == "undetermined",
        after_family=bool((low_family > 0).any()),
        deciding=summary["attack"],
        advantage=float(summary["advantage"]),
        advantage_ci_low=float(summary["advantage_ci_low"]),
        best_own_low=float(low.max()) if low.notna().any() else np.nan,
        exact_zero=_exact_zero(members),
        attacks=", ".join(members["attack"]),
        warnings=[f"{type(w.message).__name__}: {w.message}"[:200] for w in caught],
    )


def _exact_zero(members):
    """Whether the best attack on the members scores exactly imputation's: advantage 0 with a
    zero-width interval (it fell back on the baseline's guess on every record)."""
    advantage = members["advantage"].astype(float)
    if not advantage.notna().any():
        return False
    best = members.loc[advantage.idxmax()]
    return bool(
        best["advantage"] == 0 and best["advantage_ci_low"] == 0 and best["advantage_ci_high"] == 0
    )


def run_tasks(tasks, n_jobs, label):
    """All the tasks, most expensive first, ``n_jobs`` at a time; progress on stderr."""
    from joblib import Parallel, delayed

    order = sorted(tasks, key=lambda t: -t["n"])
    rows, start = [], time.perf_counter()
    results = Parallel(n_jobs=n_jobs, return_as="generator_unordered")(
        delayed(run_one)(task) for task in order
    )
    for i, row in enumerate(results, 1):
        rows.append(row)
        if i % 10 == 0 or i == len(order):
            print(
                f"  [{label}] {i}/{len(order)} assessments, {time.perf_counter() - start:.0f} s",
                file=sys.stderr,
                flush=True,
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------
# Tables
# ------------------------------------------------------------------------------------------
def rate_text(k, n):
    """``k/n = r% [lo%, hi%]`` with the Wilson 95% interval."""
    from tabinvert.metrics import wilson_interval

    low, high = wilson_interval(int(k), int(n), confidence=0.95)
    return f"{k}/{n} = {k / n:5.1%} [{low:4.1%}, {high:5.1%}]"


def goal_text(k, n):
    """``met``: even the Wilson upper bound is ≤ 5%; ``ok``: the rate is ≤ 5% but the interval
    still reaches above it (too few assessments to show it); ``OVER``: the rate is above 5%."""
    from tabinvert.metrics import wilson_interval

    if k / n > GOAL:
        return "OVER"
    return "met" if wilson_interval(int(k), int(n), confidence=0.95)[1] <= GOAL else "ok"


def deciding_text(rows):
    """The deciding attacks of the false alarms after the correction, with their counts."""
    counts = collections.Counter(rows.loc[rows["after"], "deciding"])
    return "; ".join(f"{name} ×{c}" for name, c in counts.most_common()) or "-"


def alarm_row(keys, rows):
    k_before, k_after, n = int(rows["before"].sum()), int(rows["after"].sum()), len(rows)
    return dict(
        keys,
        assessments=n,
        before=rate_text(k_before, n),
        after=rate_text(k_after, n),
        goal=goal_text(k_after, n),
        deciding_attacks_of_alarms=deciding_text(rows),
        exact_0=f"{rows['exact_zero'].mean():.0%}",
        s_per_assess=round(float(rows["seconds"].median()), 1),
    )


def alarm_table(frame, cells):
    """One row per cell of ``cells`` (column names), then subtotals and the overall row."""
    rank = {name: i for i, name in enumerate(MODELS + KINDS)}
    frame = frame.sort_values(
        cells, key=lambda col: col.map(rank) if col.name in ("model", "kind") else col
    )
    frame = frame.assign(n=frame["n"].map(lambda v: f"{v:,}"))
    out = [alarm_row(dict(zip(cells, key)), part) for key, part in frame.groupby(cells, sort=False)]
    blank = {c: "" for c in cells}
    for column in cells[:2]:
        for value, part in frame.groupby(column, sort=False):
            out.append(alarm_row(dict(blank, **{column: value, cells[-1]: "all"}), part))
    out.append(alarm_row(dict(blank, **{cells[0]: "all"}), frame))
    return pd.DataFrame(out)


def power_table(frame):
    out = []
    for (kind, share), part in frame.groupby(["kind", "share"], sort=True):
        n = len(part)
        out.append(
            dict(
                kind=kind,
                share=f"{share:.0%}",
                memorised=int(round(share * part["n"].iloc[0])),
                assessments=n,
                mean_advantage=f"{part['advantage'].mean():+.3f}",
                detected_before=rate_text(int(part["before"].sum()), n),
                detected_after=rate_text(int(part["after"].sum()), n),
                deciding_attacks=deciding_text(part),
            )
        )
    return pd.DataFrame(out)


def checks(report, frame):
    """What the tables rest on: the headline against the family columns, undetermined levels,
    the warnings recorded."""
    differ = frame[frame["after"] != frame["after_family"]]
    report(
        f"  headline 'risk_level not none' vs 'some members advantage_ci_low_family > 0': "
        f"{len(frame) - len(differ)}/{len(frame)} agree"
        + (
            ""
            if differ.empty
            else f"; they differ in {len(differ)} (levels "
            f"{', '.join(sorted(set(differ['level'])))}: the API family, fewer attacks, has "
            "the smaller critical value, and the model-file level is never below the API one)"
        )
    )
    report(f"  undetermined levels: {int(frame['undetermined'].sum())}")
    counts = collections.Counter(w for ws in frame["warnings"] for w in ws)
    if counts:
        report(f"  warnings raised inside assess (recorded, {len(counts)} distinct):")
        for text, c in counts.most_common(8):
            report(f"    ×{c}: {text}")
    else:
        report("  warnings raised inside assess: none")
    report()


# ------------------------------------------------------------------------------------------
# Sections
# ------------------------------------------------------------------------------------------
def section_blind(report, args, mode):
    tasks = [
        dict(
            section="blind",
            model=m,
            kind=k,
            n=n,
            seed=1000 * n + 10 * r + i,
            n_resamples=args.n_resamples,
        )
        for n, reps in BLIND_PLAN[mode]
        for r in range(reps)
        for i, (m, k) in enumerate((m, k) for m in args.models for k in args.kinds)
    ]
    report.banner(f"False alarms: {len(tasks)} assessments of models blind to the attribute")
    frame = run_tasks(tasks, args.n_jobs, "blind")
    report.table(alarm_table(frame, ["model", "kind", "n"]))
    report(LEGEND_ALARMS)
    checks(report, frame)
    return frame


def section_noisy(report, args, mode):
    tasks = [
        dict(
            section="noisy",
            model=m,
            kind=k,
            n=n,
            seed=7000 + 1000 * n + 10 * r + i,
            scale=NOISE_SCALES[r % len(NOISE_SCALES)],
            n_resamples=args.n_resamples,
        )
        for n, reps in NOISY_PLAN[mode]
        for r in range(reps)
        for i, (m, k) in enumerate((m, k) for m in args.models for k in args.kinds)
    ]
    report.banner(
        f"Blind but noisy (extra): {len(tasks)} assessments; answers shifted by a pseudo-random "
        f"logit of scale {', '.join(map(str, NOISE_SCALES))} that ignores the true value"
    )
    frame = run_tasks(tasks, args.n_jobs, "noisy")
    report.table(alarm_table(frame, ["model", "kind", "n"]))
    by_scale = [alarm_row({"scale": s}, part) for s, part in frame.groupby("scale")]
    report.table(pd.DataFrame(by_scale), "by noise scale:")
    before = collections.Counter(a for attacks in frame["before_attacks"] for a in attacks)
    report(
        "attacks whose own interval is above 0 (before the correction): "
        + ("; ".join(f"{a} ×{c}" for a, c in before.most_common()) or "none")
    )
    checks(report, frame)
    return frame


def section_power(report, args, mode):
    n, seeds = POWER_PLAN[mode]
    tasks = [
        dict(
            section="power",
            model=args.models[(s + j) % len(args.models)],
            kind=k,
            n=n,
            seed=50_000 + 100 * s + 10 * j + i,
            share=share,
            n_resamples=args.n_resamples,
        )
        for s in range(seeds)
        for j, share in enumerate(POWER_SHARES)
        for i, k in enumerate(args.kinds)
    ]
    report.banner(
        f"Power: {len(tasks)} assessments of planted leaks (n = {n:,} members; the blind base "
        f"model cycles through {', '.join(args.models)})"
    )
    frame = run_tasks(tasks, args.n_jobs, "power")
    report.table(power_table(frame))
    report(LEGEND_POWER)
    checks(report, frame)
    return frame


LEGEND_ALARMS = """\
## Every alarm here is false: the model drops the attribute before it sees the record.
## before = some attack's own 95% paired-bootstrap interval on the members lies above 0
##          (results: advantage_ci_low > 0); after = the headline risk_level is not "none"
##          (best lower bound of the intervals simultaneous over the attacks compared > 0).
## k/n = rate [Wilson 95% interval]. goal (<= 5% after the correction): met = even the upper
## bound is <= 5%; ok = the rate is <= 5% but too few assessments to bound it there; OVER.
## deciding_attacks_of_alarms = the summary's deciding attack of each false alarm (after).
## exact_0 = share of assessments whose best attack on the members scores exactly imputation's
## (advantage 0, interval [0, 0]: it fell back on the baseline's guess, the model answering
## alike for every candidate). s_per_assess = median seconds of one assess call."""

LEGEND_POWER = f"""\
## share = members whose attribute the model memorised (s = 0: the blind base model, a second
## false-alarm check); memorised = how many. On a memorised member's features with its value
## (numeric: within ±{NUMERIC_TOLERANCE}) the model gives the member's true label probability
## {LEAK_CONFIDENCE}. mean_advantage = mean headline advantage (the deciding attack's, on the
## members). detected = k/n [Wilson 95%] with before / after as in the false-alarm table."""


# ------------------------------------------------------------------------------------------
# Header pieces
# ------------------------------------------------------------------------------------------
def _blob_sha(path):
    with open(path, "rb") as fh:
        data = fh.read()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def library_text():
    """Which copy of tabinvert ran (relative to the repository) and whether its files are
    those of the checkout's HEAD (read-only git: ``rev-parse``, ``ls-tree``)."""
    import tabinvert

    package = os.path.dirname(os.path.abspath(tabinvert.__file__))
    where = os.path.relpath(package, ROOT)
    try:
        run = dict(capture_output=True, text=True, timeout=30, check=True)
        head = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], **run)
        tree = subprocess.run(
            ["git", "-C", ROOT, "ls-tree", "-r", "HEAD", "--", "tabinvert"], **run
        )
    except (subprocess.SubprocessError, OSError):
        return f"{where} (git state unknown)"
    committed = {}
    for line in tree.stdout.splitlines():
        meta, path = line.split("\t", 1)
        committed[path] = meta.split()[2]
    present = {}
    for folder, dirs, files in os.walk(package):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in files:
            if not name.endswith((".pyc", ".pyo")):
                full = os.path.join(folder, name)
                present["tabinvert/" + os.path.relpath(full, package).replace(os.sep, "/")] = full
    differ = sorted(
        p
        for p in set(committed) | set(present)
        if p not in committed or p not in present or _blob_sha(present[p]) != committed[p]
    )
    same = "identical to" if not differ else f"{len(differ)} file(s) differ from"
    listed = "" if not differ else ": " + ", ".join(differ[:6]) + (" …" if len(differ) > 6 else "")
    return f"{where} ({same} the repository's HEAD {head.stdout.strip()}{listed})"


class PortableReport(Report):
    """A Report whose lines name no machine-specific path: the interpreter becomes ``python``
    and paths inside the repository become relative."""

    def __call__(self, text=""):
        text = str(text).replace(sys.executable, "python").replace(ROOT + os.sep, "")
        super().__call__(text)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small run to check the script")
    parser.add_argument("--sections", default=",".join(SECTIONS))
    parser.add_argument("--models", default=",".join(MODELS))
    parser.add_argument("--kinds", default=",".join(KINDS))
    parser.add_argument("--n-jobs", type=int, default=2, help="assessments run at once (≤ 2)")
    parser.add_argument("--n-resamples", type=int, default=None, help="default 1000, --quick 200")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    args.sections = choices(parser, args.sections, SECTIONS, "section", required=True)
    args.models = choices(parser, args.models, MODELS, "model", required=True)
    args.kinds = choices(parser, args.kinds, KINDS, "kind", required=True)
    mode = "quick" if args.quick else "full"
    if args.n_resamples is None:
        args.n_resamples = RESAMPLES[mode]

    report, wall = PortableReport(), time.perf_counter()
    header(
        report,
        "calibration of assess: false alarms on blind models, power on planted leaks",
        options_text(args),
        extra=[("library", f"tabinvert imported from {library_text()}")],
        after=[
            (
                "setting",
                "synthetic populations (5 known features; attribute categorical with 3 values "
                "or an integer 18-90; 0/1 label depending on both); training n records, holdout "
                "n (half auxiliary, half non-members); assess(..., access='both', "
                f"n_resamples={args.n_resamples}), 95% intervals",
            )
        ],
    )
    sections = dict(blind=section_blind, power=section_power, noisy=section_noisy)
    for name in SECTIONS:
        if name in args.sections:
            start = time.perf_counter()
            sections[name](report, args, mode)
            report(f"[section {name}: {time.perf_counter() - start:.0f} s]")
            report()
    report.finish(wall, args.out)


if __name__ == "__main__":
    main()

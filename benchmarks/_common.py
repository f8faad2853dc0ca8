"""What the benchmark scripts share: the report writer, the header, model factories, the data
settings, timing, and a plain query of a model on a records × candidates grid.

Only the public API of tabinvert is used (``tabinvert.attacks``, ``tabinvert.datasets``), and
only inside the functions that need it: ``vs_anchors.py`` imports this module in SACRO-ML's own
virtualenv, where tabinvert is not installed. Not a package module: the scripts beside it put
this folder on ``sys.path`` and ``import _common``.
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time
from collections import namedtuple
from importlib import metadata

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.model_selection import StratifiedKFold, train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

GOAL_RATIO = 1.25  # the limit ratio's goal: attack wall time <= 1.25 × one raw model call
MEHNAZ_SENSITIVE, MEHNAZ_POSITIVE = "marital", "Married"  # Adult, Mehnaz et al. 2022 tables
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))  # the repository


# ------------------------------------------------------------------------------------------
# Output: the report, written atomically
# ------------------------------------------------------------------------------------------
def write_atomic(path, text):
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename, so
    that an interrupted run never leaves a half-written results file (missing folders are
    created; the temporary file is removed on any failure)."""
    path = os.path.abspath(path)
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    handle, temp = tempfile.mkstemp(
        dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part"
    )
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        # mkstemp makes the file private (0600): give it the mode a plain open() would.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temp, os.stat(path).st_mode & 0o7777 if os.path.exists(path) else 0o666 & ~umask)
        os.replace(temp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp)
        raise


class Report:
    """Print lines as they come and keep them for ``--out``."""

    def __init__(self):
        self.lines = []

    def __call__(self, text=""):
        print(text, flush=True)
        self.lines.extend(str(text).split("\n"))

    def banner(self, title):
        """A section title between two rules."""
        self("=" * 100)
        self(title)
        self("=" * 100)

    def table(self, frame, title=None):
        if title:
            self(title)
        self(frame.to_string(index=False))
        self()

    def text(self):
        return "\n".join(line.rstrip() for line in self.lines).rstrip() + "\n"

    def write(self, path):
        write_atomic(path, self.text())

    def finish(self, wall_start, out, detail=""):
        """The closing line (load average, total wall time), then ``--out`` if given."""
        self(
            f"load avg at end: {load_text()}; total wall time "
            f"{time.perf_counter() - wall_start:.0f} s{detail}"
        )
        if out:
            self.write(out)
            print(f"written to {out}")


# ------------------------------------------------------------------------------------------
# The header: command line, date, machine, versions
# ------------------------------------------------------------------------------------------
VERSIONS = ("tabinvert", "scikit-learn", "xgboost", "numpy", "pandas", "scipy", "joblib")
DISTRIBUTIONS = {"xgboost": ("xgboost", "xgboost-cpu")}  # label -> distributions to try


def version(*dists):
    """The installed version of the first of ``dists`` found, or 'not installed'."""
    for name in dists:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return "not installed"


def versions_text(names=VERSIONS):
    return ", ".join(f"{name} {version(*DISTRIBUTIONS.get(name, (name,)))}" for name in names)


def memory_total():
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return f"{int(line.split()[1]) / 2**20:.1f} GiB"
    except OSError:
        pass
    return "unknown"


def load_text():
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


def portable_path(path):
    """``path`` as seen from the repository root when it lies beside or inside the
    repository (``../shared/datasets``), so that a results file names no machine's folders;
    any other path as given."""
    if not os.path.isabs(path):
        return path
    parent = os.path.dirname(ROOT)
    if os.path.commonpath([os.path.abspath(path), parent]) != parent:
        return path
    return os.path.relpath(path, ROOT)


def command_line(env=("TABINVERT_DATA", "PYTHONPATH")):
    """The command as typed from the repository root (``python`` for the interpreter, paths
    beside the repository relative to it), with the environment variables that change what
    it reads."""
    prefix = []
    for name in env:
        if os.environ.get(name):
            paths = os.pathsep.join(map(portable_path, os.environ[name].split(os.pathsep)))
            prefix.append(f"{name}={shlex.quote(paths)}")
    arguments = [portable_path(a) if os.path.isabs(a) else a for a in sys.argv]
    return " ".join(prefix + [shlex.join(["python"] + arguments)])


def options_text(args, skip=()):
    return ", ".join(f"{k}={v}" for k, v in vars(args).items() if k not in skip)


def header(
    report,
    title,
    options,
    *,
    versions=VERSIONS,
    extra=(),
    after=(),
    load_note="a shared, noisy machine",
):
    """The first lines of every results file: title, command, date, machine, versions, load
    and options. ``extra`` and ``after`` are ``(label, text)`` lines printed before the load
    average and after the options."""
    report(title)
    report(f"command : {command_line()}")
    report(f"date    : {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}")
    report(
        f"machine : {platform.machine()}, {os.cpu_count()} cores (os.cpu_count), "
        f"{memory_total()} RAM (/proc/meminfo), {platform.platform()}"
    )
    report(f"python  : {platform.python_version()}; {versions_text(versions)}")
    for label, text in extra:
        report(f"{label:<8}: {text}")
    report(f"load avg: {load_text()} (1/5/15 min) at start; {load_note}")
    report(f"options : {options}")
    for label, text in after:
        report(f"{label:<8}: {text}")
    report()


def git_state(path="tabinvert"):
    """``(short HEAD commit, files under path changed since it)`` of this checkout, by read-only
    git commands; None without git."""
    try:
        commit = subprocess.run(
            ["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        dirty = subprocess.run(
            ["git", "-C", ROOT, "status", "--porcelain", "--", path],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
    except (subprocess.SubprocessError, OSError):
        return None
    return commit.stdout.strip(), [line[3:] for line in dirty.stdout.splitlines()]


# ------------------------------------------------------------------------------------------
# Command-line options
# ------------------------------------------------------------------------------------------
def choices(parser, text, allowed, what, required=False):
    """The comma-separated items of ``text``, each one of ``allowed`` (else ``parser.error``)."""
    items = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in items if s not in allowed]
    if unknown or (required and not items):
        parser.error(f"unknown {what}(s) {unknown}; choose from {','.join(allowed)}")
    return items


def run_sections(report, args, sections, state):
    """Run ``sections[name](report, args, state)`` for each name in ``args.sections``, each
    followed by its wall time; returns the seconds per section."""
    seconds = {}
    for name in args.sections:
        start = time.perf_counter()
        sections[name](report, args, state)
        seconds[name] = time.perf_counter() - start
        report(f"[section {name}: {seconds[name]:.0f} s]")
        report()
    return seconds


def fmt_ci(value, missing=""):
    """``+0.123 [+0.100, +0.150]`` for a ``(point, low, high)`` tuple or an advantage result
    (``advantage``, ``ci_low``, ``ci_high``); ``missing`` for anything else or a NaN point."""
    if hasattr(value, "advantage"):
        value = (value.advantage, value.ci_low, value.ci_high)
    if not isinstance(value, tuple) or not np.isfinite(value[0]):
        return missing
    point, low, high = value
    return f"{point:+.3f} [{low:+.3f}, {high:+.3f}]"


# ------------------------------------------------------------------------------------------
# Target models
# ------------------------------------------------------------------------------------------
ADULT_MODELS = ("rf", "xgb", "logreg", "mlp")


def classifier(name, seed, n_jobs=None):
    """A bare, unfitted classifier: rf, dt, logreg, xgb or mlp (as the benchmarks train them)."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.neural_network import MLPClassifier
    from sklearn.tree import DecisionTreeClassifier

    if name == "rf":
        return RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=n_jobs)
    if name == "dt":
        return DecisionTreeClassifier(random_state=seed)
    if name == "logreg":
        return LogisticRegression(max_iter=1000)
    if name == "xgb":
        from xgboost import XGBClassifier

        return XGBClassifier(random_state=seed, n_jobs=n_jobs)  # defaults: 100 trees, depth 6
    if name == "mlp":
        # As the Mehnaz et al. paper's PyTorch port trains it: 32-16-8, Adam, learning rate 0.005.
        return MLPClassifier((32, 16, 8), learning_rate_init=0.005, max_iter=200, random_state=seed)
    raise ValueError(f"unknown model {name!r}; choose from rf, dt, logreg, xgb, mlp")


def text_columns(X):
    return [c for c in X.columns if not pd.api.types.is_numeric_dtype(X[c].dtype)]


def preprocessor(X):
    """OneHotEncoder on the text columns of ``X``, StandardScaler on the numbers."""
    text = text_columns(X)
    numeric = [c for c in X.columns if c not in text]
    return ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), text),
            ("numeric", StandardScaler(), numeric),
        ]
    )


def pipeline(X, clf):
    """``clf`` behind :func:`preprocessor`: a Pipeline taking the raw DataFrame."""
    return Pipeline([("prepare", preprocessor(X)), ("classify", clf)])


def make_model(name, X, seed, n_jobs):
    """An Adult target (``ADULT_MODELS``): a Pipeline taking the raw DataFrame, and how it wants
    its labels encoded (XGBoost wants 0/1: the attacker passes labels in the model's encoding)."""
    if name not in ADULT_MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {ADULT_MODELS}")
    if name == "xgb":
        encode = lambda y: (np.asarray(y) == ">50K").astype(int)  # noqa: E731
    else:
        encode = np.asarray
    return pipeline(X, classifier(name, seed, n_jobs)), encode


def make_attacks(model, sensitive, names, *, module=None, **common):
    """The named attacks on ``model`` (``module``: where the classes live, default
    ``tabinvert.attacks``; an older copy of the package for ``speed.py --before``)."""
    if module is None:
        from tabinvert import attacks as module
    return {
        name: getattr(module, ATTACKS[name][0])(model, sensitive, **ATTACKS[name][1], **common)
        for name in names
    }


ATTACKS = {  # name -> (class in tabinvert.attacks, settings)
    "MAP": ("ConfidenceInversion", {}),
    "FJRMIA": ("ConfidenceInversion", {"likelihood": "confusion"}),
    "CSMIA": ("ConfidenceInversion", {"method": "csmia"}),
    "LOMIA": ("LabelOnlyInversion", {}),
    # The strongest attacker of this family: imputation's per-record prior times the model's
    # likelihood. If even this does not beat imputation, the model adds nothing measurable.
    "MAP+imputation prior": ("ConfidenceInversion", {"prior": "imputation"}),
    # An attack classifier on the known features, the label and the model's outputs for
    # every candidate.
    "learned": ("LearnedInversion", {}),
    "white-box tree": ("WhiteBoxTreeInversion", {}),
}


# ------------------------------------------------------------------------------------------
# Data settings shared by several scripts
# ------------------------------------------------------------------------------------------
def mehnaz_adult(seed):
    """Mehnaz et al. 2022's Adult tables: the 35,222 training rows (``mehnaz2022``), and the
    10,000 ``mehnaz2022_query`` rows halved into the attacker's labelled auxiliary rows and the
    non-member targets. Returns ``X_train, y_train, X_aux, X_out, y_aux, y_out``."""
    from tabinvert.datasets import load_adult

    train = load_adult(variant="mehnaz2022")
    query = load_adult(variant="mehnaz2022_query")
    X_aux, X_out, y_aux, y_out = train_test_split(
        query.data, query.target, train_size=0.5, random_state=seed
    )
    return train.data, train.target, X_aux, X_out, y_aux, y_out


def steak_model(name, X, seed):
    """The steak-survey targets: one-hot answers, then a DecisionTreeClassifier(
    min_samples_leaf=5) (``dt``) or the 32-16-8 MLP with 500 iterations (``mlp``)."""
    prepare = ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), list(X.columns))])
    if name == "dt":
        clf = classifier("dt", seed).set_params(min_samples_leaf=5)
    else:
        clf = classifier("mlp", seed).set_params(max_iter=500)
    return Pipeline([("prepare", prepare), ("classify", clf)])


def steak_setting(seed, n_folds, names=("(a) all trained", "(b) half trained")):
    """The FiveThirtyEight steak survey as Mehnaz et al. 2022 use it (the constant 'steak'
    column dropped), the cross-fitting folds (stratified by label) and the two protocols:
    ``names[0]`` = all respondents trained on and attacked, ``names[1]`` = a stratified half
    trained on, both halves attacked. Returns ``X_all, y_all, folds, protocols``."""
    from tabinvert.datasets import load_steak_survey

    steak = load_steak_survey(variant="mehnaz2022")
    X_all, y_all = steak.data.drop(columns=["steak"]), steak.target.to_numpy(dtype=object)
    n_all = len(X_all)
    folds = np.empty(n_all, dtype=int)
    splitter = StratifiedKFold(n_folds, shuffle=True, random_state=seed)
    for f, (_, test) in enumerate(splitter.split(X_all, y_all)):
        folds[test] = f
    half_train, _ = train_test_split(
        np.arange(n_all), train_size=0.5, stratify=y_all, random_state=seed
    )
    half = np.zeros(n_all, dtype=bool)
    half[half_train] = True
    protocols = {
        names[0]: {"members": np.arange(n_all)},
        names[1]: {"members": np.flatnonzero(half), "non-members": np.flatnonzero(~half)},
    }
    return X_all, y_all, folds, protocols


# Fredrikson et al. 2014, IWPC warfarin
GENOTYPES = {"VKORC1": "VKORC1 -1639 consensus", "CYP2C9": "CYP2C9 consensus"}
CYP2C9_VALUES = ["*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3"]
AGE_DECADES = {
    "10 - 19": 1,
    "20 - 29": 2,
    "30 - 39": 3,
    "40 - 49": 4,
    "50 - 59": 5,
    "60 - 69": 6,
    "70 - 79": 7,
    "80 - 89": 8,
    "90+": 9,
}


def warfarin_frame():
    """Fredrikson / IWPC features: complete cases of the patients who reached a stable dose.
    Returns ``X, dose, patients in the table, patients kept``."""
    from tabinvert.datasets import load_warfarin

    w = load_warfarin()
    d = w.data
    inducer = (
        d[["Carbamazepine (Tegretol)", "Phenytoin (Dilantin)", "Rifampin or Rifampicin"]]
        .fillna(0)
        .max(axis=1)
    )
    X = pd.DataFrame(
        {
            "Race": d["Race"],
            "Age": d["Age"].map(AGE_DECADES).astype(float),
            "Height": d["Height (cm)"],
            "Weight": d["Weight (kg)"],
            "Amiodarone": d["Amiodarone (Cordarone)"].fillna(0),
            "Enzyme inducer": inducer,
            "VKORC1": d[GENOTYPES["VKORC1"]],
            "CYP2C9": d[GENOTYPES["CYP2C9"]],
        }
    )
    dose = w.target.astype(float)
    keep = (
        X.notna().all(axis=1)
        & dose.notna()
        & X["CYP2C9"].isin(CYP2C9_VALUES)
        & (d["Subject Reached Stable Dose of Warfarin"] == 1)
    )
    X = X[keep].reset_index(drop=True)
    for column in ("Race", "VKORC1", "CYP2C9"):
        X[column] = X[column].astype("str")
    return X, dose[keep].to_numpy(), int(len(d)), int(keep.sum())


def dose_model():
    """Fredrikson et al. 2014's dose model: one-hot + scaler + ordinary least squares."""
    from sklearn.linear_model import LinearRegression

    prepare = ColumnTransformer(
        [
            ("text", OneHotEncoder(handle_unknown="ignore"), ["Race", "VKORC1", "CYP2C9"]),
            (
                "numeric",
                StandardScaler(),
                ["Age", "Height", "Weight", "Amiodarone", "Enzyme inducer"],
            ),
        ]
    )
    return Pipeline([("prepare", prepare), ("regress", LinearRegression())])


def warfarin_setting(X, dose, seed):
    """75% of the patients train the dose model (members); the other 25% are halved into the
    attacker's auxiliary rows and the non-member targets. Returns ``train, aux, out`` (row
    positions), the fitted dose model and σ = its training RMSE."""
    train, rest = train_test_split(np.arange(len(X)), train_size=0.75, random_state=seed)
    aux, out = train_test_split(rest, train_size=0.5, random_state=seed)
    model = dose_model().fit(X.iloc[train], dose[train])
    sigma = float(np.sqrt(np.mean((dose[train] - model.predict(X.iloc[train])) ** 2)))
    return train, aux, out, model, sigma


# ------------------------------------------------------------------------------------------
# Timing, and the model's own cost on the records × candidates grid
# ------------------------------------------------------------------------------------------
Timings = namedtuple("Timings", "wall cpu results rounds")


def best_times_interleaved(funcs, repeats, *, min_seconds=0.0, rotate=False):
    """Best wall and CPU time (``time.process_time``: what this process itself used, blind to
    the time other processes held the cores) of each function, calling them in turn within a
    round so that load from other processes hits them alike, over at least ``repeats`` rounds
    and ``min_seconds``. A ``None`` entry is skipped (time NaN, result None).

    ``rotate=False``: a full garbage collection before every call, the order fixed.
    ``rotate=True``: one collection per round (it costs more than the fastest calls), and since
    it leaves the caches cold for whatever runs next, the order rotates from round to round.

    Returns ``Timings(wall, cpu, results, rounds)``; ``results`` = each function's last result.
    """
    n = len(funcs)
    wall, cpu, results = [np.inf] * n, [np.inf] * n, [None] * n
    rounds, start = 0, time.perf_counter()
    while rounds < repeats or time.perf_counter() - start < min_seconds:
        if rotate:
            gc.collect()
        for step in range(n):
            i = (rounds + step) % n if rotate else step
            if funcs[i] is None:
                continue
            if not rotate:
                gc.collect()
            tic, tic_cpu = time.perf_counter(), time.process_time()
            results[i] = funcs[i]()
            wall[i] = min(wall[i], time.perf_counter() - tic)
            cpu[i] = min(cpu[i], time.process_time() - tic_cpu)
        rounds += 1

    def finite(times):
        return [t if np.isfinite(t) else np.nan for t in times]

    return Timings(finite(wall), finite(cpu), results, rounds)


def completed_grid(X, sensitive, candidates):
    """The ``len(X) × k`` completed records, record-major (the first record with every
    candidate, then the next), in ``X``'s own format: a DataFrame keeps its columns and dtypes
    (the sensitive column gets the candidates in its dtype), an array gets them at column
    position ``sensitive``. What one raw batched call of the model is given."""
    n, k = len(X), len(candidates)
    if isinstance(X, pd.DataFrame):
        grid = X.iloc[np.repeat(np.arange(n), k)].reset_index(drop=True)
        grid[sensitive] = pd.array(
            np.tile(np.asarray(candidates, dtype=object), n), dtype=X[sensitive].dtype
        )
        return grid
    grid = np.repeat(np.asarray(X), k, axis=0)
    grid[:, sensitive] = np.tile(np.asarray(candidates), n)
    return grid


def query_grid(model, X, sensitive, candidates, method="predict_proba", max_rows_per_call=None):
    """A plain query of every record completed with every candidate, with public pieces only:
    build the completions (pandas / numpy, in chunks of at most ``max_rows_per_call`` rows),
    call ``model.<method>`` once per chunk, and return the answers as an ``(n, k, n_outputs)``
    array. The reference against which an attack's own query engine is measured."""
    n, k = len(X), len(candidates)
    step = n if max_rows_per_call is None else max(1, max_rows_per_call // k)
    answers = None
    for start in range(0, n, step):
        part = (
            X.iloc[start : start + step] if isinstance(X, pd.DataFrame) else X[start : start + step]
        )
        answer = np.asarray(getattr(model, method)(completed_grid(part, sensitive, candidates)))
        answer = answer.reshape(len(part), k, -1)
        if step >= n:
            return answer
        if answers is None:
            answers = np.empty((n, k, answer.shape[2]), dtype=answer.dtype)
        answers[start : start + len(part)] = answer
    return answers

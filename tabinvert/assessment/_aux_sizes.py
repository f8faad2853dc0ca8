"""The attacker's data size: the deciding attacks re-run with fewer auxiliary records.

Published results turn on it (Jayaraman & Evans, CCS 2022): with thousands of auxiliary
records imputation matches the attacks, with 50–500 the attacks win. An assessment that only
gives the attacker every holdout record can understate the risk from an attacker who holds
little data, so the deciding attacks are re-run on seeded random samples of each size, the
baseline fitted on the very same sample, and the advantage on the training records averaged
over the samples.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone

from ..attacks._imputation import fit_imputer_like_baseline
from ._running import _records_with_value
from ._summary import _risk_level

AUX_SIZE_COLUMNS = [
    "sensitive",
    "attack",
    "aux_size",
    "n_aux",
    "repeats",
    "metric",
    "score",
    "baseline_score",
    "advantage",
    "advantage_ci_low",
    "advantage_ci_high",
    "risk_level",
    "notes",
]


def check_aux_sizes(aux_sizes):
    """The sizes as a tuple of positive ints and "all" (refused with the fix otherwise)."""
    if aux_sizes is None:
        return ()
    sizes = (aux_sizes,) if isinstance(aux_sizes, (int, str)) else tuple(aux_sizes)
    for size in sizes:
        valid = size == "all" or (
            isinstance(size, (int, np.integer)) and not isinstance(size, bool) and size >= 2
        )
        if not valid:
            raise ValueError(
                f"aux_sizes holds {size!r}; each size must be a number of auxiliary records "
                "(an int of at least 2) or 'all', e.g. aux_sizes=(50, 500, 'all')."
            )
    return sizes


def _subsample_attack(attack, X_aux, y_aux, rows, seed):
    """A clone of a fitted attack, fitted on the auxiliary rows ``rows`` with the candidates
    of the full run (the values an attribute may take are public knowledge; keeping them
    keeps every (record × candidate) grid the run already asked)."""
    fresh = clone(attack)
    params = fresh.get_params(deep=False)
    updates = {"random_state": seed} if "random_state" in params else {}
    if "candidates" in params:
        updates["candidates"] = list(attack.candidates_)
    fresh.set_params(**updates)
    X_sub = X_aux.iloc[rows]
    y_sub = None if y_aux is None else np.asarray(y_aux)[rows]
    fresh.fit(X_sub, y_sub)
    return fresh, X_sub, y_sub


def _pooled_advantage(correct_attack, correct_baseline, kind, rng, n_resamples, confidence):
    """Advantage of per-record mean outcomes (hits, or absolute errors for a numeric
    attribute) averaged over the samples, with a record-level percentile bootstrap."""

    def advantage(a, b):
        if kind == "categorical":
            with np.errstate(divide="ignore", invalid="ignore"):
                return np.where(b < 1, (a - b) / (1 - b), np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, 1 - a / b, np.nan)

    n = len(correct_attack)
    point = float(advantage(correct_attack.mean(), correct_baseline.mean()))
    replicates = []
    for start in range(0, n_resamples, 100):  # bounded memory: 100 resamples at a time
        batch = min(100, n_resamples - start)
        idx = rng.integers(0, n, size=(batch, n))
        replicates.append(
            advantage(correct_attack[idx].mean(axis=1), correct_baseline[idx].mean(axis=1))
        )
    replicates = np.concatenate(replicates)
    replicates = replicates[np.isfinite(replicates)]
    if not np.isfinite(point) or replicates.size == 0:
        return point, np.nan, np.nan
    alpha = 1 - confidence
    low, high = np.quantile(replicates, [alpha / 2, 1 - alpha / 2])
    return point, float(low), float(high)


def aux_size_table(runs, summary, X_aux, y_aux, targets, aux_sizes, *, repeats, seed, **scoring):
    """Re-run each attribute's deciding attacks (the attacks that decide its API and
    model-file verdicts) with ``repeats`` seeded random samples of each auxiliary size.

    Every level in the table is read from a Bonferroni-adjusted interval (the sizes and
    attacks of an attribute are several looks at the same question), so "the worst size"
    keeps the assessment's false-alarm rate. Returns a DataFrame of :data:`AUX_SIZE_COLUMNS`.
    """
    n_resamples, confidence = scoring["n_resamples"], scoring["confidence"]
    sizes = check_aux_sizes(aux_sizes)
    rng = np.random.default_rng(seed)
    rows = []
    for row in summary.itertuples():
        if row.sensitive not in runs:  # its run failed
            continue
        run = runs[row.sensitive]
        X_col, y_col, kept, _ = _records_with_value(row.sensitive, X_aux, y_aux, targets)
        X_members, y_members = kept["members"]
        deciding = list(
            dict.fromkeys(
                name
                for name in (
                    getattr(row, "attack_api", None),
                    getattr(row, "attack_model_file", None),
                )
                if isinstance(name, str) and name in run.attacks
            )
        )
        n_tests = max(1, len(deciding) * len(sizes))
        level = 1 - (1 - confidence) / n_tests
        for name in deciding:
            attack = run.attacks[name]
            kind = attack.sensitive_kind_
            truth = run.truths["members"]
            for size in sizes:
                sampled = (X_col, y_col, X_members, y_members, truth)
                rows.append(
                    _one_size(
                        row.sensitive,
                        name,
                        attack,
                        run,
                        sampled,
                        kind,
                        size,
                        repeats,
                        rng,
                        n_resamples,
                        level,
                    )
                )
    return pd.DataFrame(rows, columns=AUX_SIZE_COLUMNS)


def _one_size(sensitive, name, attack, run, sampled, kind, size, repeats, rng, n_resamples, level):
    """One row of the table: one attack at one auxiliary size, pooled over its samples."""
    X_aux, y_aux, X_members, y_members, truth = sampled
    n_aux = len(X_aux)
    notes = []
    if size == "all" or size >= n_aux:
        samples = [None]  # the run's own guesses, on every auxiliary record
    else:
        samples = [rng.choice(n_aux, size, replace=False) for _ in range(repeats)]
    outcome_attack = np.zeros(len(truth))
    outcome_baseline = np.zeros(len(truth))
    done = 0
    for rows in samples:
        if rows is None:
            guesses = run.guesses[name, "members"]
            baseline, baseline_guesses = run.baselines[run.baseline_keys[name]]
            guessed_baseline = baseline_guesses["members"][0]
        else:
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    fitted, X_sub, y_sub = _subsample_attack(
                        attack, X_aux, y_aux, rows, int(rng.integers(2**31 - 1))
                    )
                    guesses = fitted.attack(X_members, y_members).to_numpy()
                    baseline = getattr(fitted, "imputer_", None)
                    if baseline is None or baseline.uses_label_ != (y_sub is not None):
                        baseline = fit_imputer_like_baseline(fitted, X_sub, y_sub)
                    guessed_baseline = baseline.attack(
                        X_members, y_members if baseline.uses_label_ else None
                    ).to_numpy()
                notes.extend(str(w.message) for w in caught)
            except (ValueError, TypeError) as exc:  # too few records for this attack
                notes.append(f"a sample of {size} failed: {exc}")
                continue
        if kind == "categorical":
            outcome_attack += guesses == truth
            outcome_baseline += guessed_baseline == truth
        else:
            outcome_attack += np.abs(guesses.astype(float) - truth.astype(float))
            outcome_baseline += np.abs(guessed_baseline.astype(float) - truth.astype(float))
        done += 1
    metric = "accuracy" if kind == "categorical" else "mae"
    if done == 0:
        advantage = low = high = score = baseline_score = np.nan
    else:
        outcome_attack, outcome_baseline = outcome_attack / done, outcome_baseline / done
        advantage, low, high = _pooled_advantage(
            outcome_attack, outcome_baseline, kind, rng, n_resamples, level
        )
        score, baseline_score = outcome_attack.mean(), outcome_baseline.mean()
    return [
        sensitive,
        name,
        "all" if size == "all" or size >= n_aux else int(size),
        n_aux if size == "all" or size >= n_aux else int(size),
        done,
        metric,
        score,
        baseline_score,
        advantage,
        low,
        high,
        "undetermined" if not np.isfinite(advantage) else _risk_level(advantage, low),
        " ".join(dict.fromkeys(notes)),
    ]

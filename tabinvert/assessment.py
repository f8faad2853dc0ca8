"""One call from a model to a risk assessment of its training data: :func:`assess`.

The result, :class:`Assessment`, holds data (tables), not prose: per sensitive attribute,
attack and population the success and its interval, the imputation baseline and the advantage
over it; the member vs non-member gap; the most exposed training records (as indices); the
exposure of subgroups; the privacy–utility sweep of defenses. ``to_html`` renders it as a
self-contained report a data-protection impact assessment can cite.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import math
import os
import platform
import warnings
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from ._sklearn_compat import Interval, StrOptions, validate_params
from ._version import __version__
from ._io import write_atomic
from ._threat_models import RISK_LEVELS, THREAT_MODEL, WHITE_BOX_THREAT_MODEL
from ._validation import model_feature_names, sensitive_kind
from ._cache import run_cache
from .attacks._base import capabilities_of, model_is_classifier
from .evaluation import (
    default_attacks,
    evaluate_defenses,
    is_white_box,
    named_attacks,
    privacy_utility_frontier,
    run_attacks,
)
from .evaluation import _sweep_candidates


def _data_hash(X, y=None):
    """sha256 of the records' contents (values and index), for the reproducibility block."""
    if X is None:
        return None
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    if y is not None:
        digest.update(pd.util.hash_pandas_object(pd.Series(np.asarray(y)), index=False)
                      .to_numpy().tobytes())
    return digest.hexdigest()


def _rows(X, positions):
    return X.iloc[positions] if hasattr(X, "iloc") else np.asarray(X)[positions]


def _risk_level(advantage, ci_low):
    if not (np.isfinite(ci_low) and ci_low > 0):
        return "none"
    for threshold, level in RISK_LEVELS:
        if advantage >= threshold:
            return level
    return "low"


def _membership_gap(results):
    """Members' advantage minus non-members', per attack and attribute; the CI's half-width is
    the root sum of squares of the two independent bootstrap intervals' half-widths (a normal
    approximation; the populations are disjoint)."""
    rows = []
    keyed = results[results["attack"] != "imputation"].set_index(["sensitive", "attack", "population"])
    for (sensitive, attack), _ in results[results["attack"] != "imputation"].groupby(
            ["sensitive", "attack"], sort=False):
        try:
            mem = keyed.loc[(sensitive, attack, "members")]
            out = keyed.loc[(sensitive, attack, "non-members")]
        except KeyError:
            continue
        gap = mem["advantage"] - out["advantage"]
        half = math.hypot((mem["advantage_ci_high"] - mem["advantage_ci_low"]) / 2,
                          (out["advantage_ci_high"] - out["advantage_ci_low"]) / 2)
        rows.append(dict(sensitive=sensitive, attack=attack, advantage_members=mem["advantage"],
                         advantage_non_members=out["advantage"], gap=gap,
                         gap_ci_low=gap - half if np.isfinite(half) else np.nan,
                         gap_ci_high=gap + half if np.isfinite(half) else np.nan))
    gap = pd.DataFrame(rows, columns=["sensitive", "attack", "advantage_members",
                                      "advantage_non_members", "gap", "gap_ci_low",
                                      "gap_ci_high"])
    return gap


def _typicality(X, columns):
    """How common each record's values are: the mean, over ``columns``, of the share of records
    with the same value (numeric columns with many values: the same of 10 equal-width bins, so
    that extreme values are rare); low = distinctive."""
    shares = []
    for column in columns:
        values = X[column]
        if pd.api.types.is_numeric_dtype(values.dtype) and values.nunique() > 10:
            values = pd.cut(values.astype(float), 10, labels=False)
        frequency = values.map(values.value_counts(normalize=True, dropna=False))
        shares.append(frequency.to_numpy(dtype=float))
    return np.mean(shares, axis=0) if shares else np.ones(len(X))


def _distinctive_groups(typical):
    """Label the ~10% least typical records "distinctive" (None when typicality does not vary)."""
    threshold = np.quantile(typical, 0.10)
    distinctive = typical <= threshold
    if distinctive.mean() > 0.2:  # ties at the threshold: keep only the strictly rarer
        distinctive = typical < threshold
    if not distinctive.any() or distinctive.all():
        return None
    return np.where(distinctive, "distinctive", "typical")


def scores_are_probabilities(attack):
    """Whether an attack's ``attack_proba`` is a posterior probability of each candidate, as
    the attack declares it (``calibrated`` in
    :meth:`~tabinvert.attacks.BaseAttack.capabilities`).

    True for MAP inversion (all priors and likelihoods), the learned and label-only attacks
    (their attack model's ``predict_proba``), the white-box attacks and imputation. False for
    CSMIA (``ConfidenceInversion(method="csmia")``): its scores only *rank* the candidates
    (a candidate that reproduces the true label scores 2 + the model's confidence, one that
    does not 0 or 1 − it), so normalising them gives numbers in [0, 1] that are not
    probabilities.

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.assessment import scores_are_probabilities
    >>> scores_are_probabilities(ConfidenceInversion(None, "sex"))
    True
    >>> scores_are_probabilities(ConfidenceInversion(None, "sex", method="csmia"))
    False
    """
    return capabilities_of(attack).calibrated


def _exposure_attack(part, attack_set, kind):
    """The attack whose per-record exposure is reported for one attribute (members' rows
    ``part``): the deciding attack (:func:`_deciding`), except that for a categorical
    attribute it must give probabilities (:func:`scores_are_probabilities`): the deciding one
    among those that do, when there is one; the overall deciding attack otherwise (its
    confidence is then its hit, see :func:`_per_record`)."""
    part = part[part["attack"].isin(list(attack_set))]
    if part.empty:
        return None
    if kind == "categorical":
        calibrated = part[[scores_are_probabilities(attack_set[a]) for a in part["attack"]]]
        if len(calibrated):
            part = calibrated
    return _deciding(part)[0]["attack"]


def _per_record(attack, baseline, X, y, kind, truth):
    """Per-record exposure: how much more the attack believes the true value than imputation.

    Categorical: P_attack(true value) − P_imputation(true value) and both hit flags. For an
    attack whose scores are not probabilities (CSMIA, see :func:`scores_are_probabilities`)
    the attack's confidence is its hit instead: 1 when its guess is the true value, 0 when
    not (its guess taken as certain), so the exposure is 1 − P_imputation(true value) for the
    records it gets right and −P_imputation(true value) for the others. Numeric: the
    reduction in absolute error, in units of the attribute's spread.
    """
    if kind == "categorical":
        baseline_proba = baseline.attack_proba(X, y if baseline.uses_label_ else None)
        rows = np.arange(len(truth))
        baseline_columns = pd.Index(list(baseline_proba.columns)).get_indexer(truth)
        p_base = np.where(baseline_columns >= 0, baseline_proba.to_numpy()[
            rows, np.maximum(baseline_columns, 0)], 0.0)
        base_guess = np.asarray(list(baseline_proba.columns), dtype=object)[
            baseline_proba.to_numpy().argmax(axis=1)]
        if scores_are_probabilities(attack):
            attack_proba = attack.attack_proba(X, y)
            columns = list(attack_proba.columns)
            position = pd.Index(columns).get_indexer(truth)
            p_attack = np.where(position >= 0, attack_proba.to_numpy()[
                rows, np.maximum(position, 0)], 0.0)
            attack_guess = np.asarray(columns, dtype=object)[
                attack_proba.to_numpy().argmax(axis=1)]
        else:  # rank scores: the guess (ties broken as the attack breaks them) and its hit
            attack_guess = attack.attack(X, y).to_numpy(dtype=object)
            p_attack = (attack_guess == truth).astype(float)
        return pd.DataFrame({
            "attack_confidence": p_attack,
            "baseline_confidence": p_base,
            "exposure": p_attack - p_base,
            "attack_correct": attack_guess == truth,
            "baseline_correct": base_guess == truth,
        })
    guesses = attack.attack(X, y).to_numpy(dtype=float)
    base = baseline.attack(X, y if baseline.uses_label_ else None).to_numpy(dtype=float)
    spread = float(np.std(truth.astype(float))) or 1.0
    attack_error = np.abs(guesses - truth.astype(float)) / spread
    base_error = np.abs(base - truth.astype(float)) / spread
    return pd.DataFrame({
        "attack_confidence": -attack_error,
        "baseline_confidence": -base_error,
        "exposure": base_error - attack_error,
        "attack_correct": attack_error < 0.5 * base_error.mean(),
        "baseline_correct": base_error < 0.5 * base_error.mean(),
    })


def _group_table(exposure, groups, min_group_size):
    """Exposure by subgroup: attack and imputation success, advantage, mean exposure."""
    rows = []
    for (sensitive, attack), records in exposure.groupby(["sensitive", "attack"], sort=False):
        for column, labels in groups.items():
            labels = np.asarray(labels)[records["position"].to_numpy()]
            for value in pd.unique(labels):
                part = records[labels == value]
                n = len(part)
                attack_rate = float(part["attack_correct"].mean()) if n else np.nan
                base_rate = float(part["baseline_correct"].mean()) if n else np.nan
                advantage = ((attack_rate - base_rate) / (1 - base_rate)
                             if n and base_rate < 1 else np.nan)
                rows.append(dict(sensitive=sensitive, attack=attack, group=column,
                                 value=value if not isinstance(value, np.generic) else value.item(),
                                 n_records=n, attack_success=attack_rate,
                                 baseline_success=base_rate, advantage=advantage,
                                 mean_exposure=float(part["exposure"].mean()) if n else np.nan,
                                 reliable=n >= min_group_size))
    table = pd.DataFrame(rows, columns=["sensitive", "attack", "group", "value", "n_records",
                                        "attack_success", "baseline_success", "advantage",
                                        "mean_exposure", "reliable"])
    return table


def _disparity(by_group):
    """Per (attribute, grouping): the most and least exposed reliable groups and the gap."""
    rows = []
    if by_group.empty:
        return pd.DataFrame(columns=["sensitive", "attack", "group", "most_exposed",
                                     "least_exposed", "advantage_gap", "exposure_gap"])
    for (sensitive, attack, column), part in by_group.groupby(["sensitive", "attack", "group"],
                                                              sort=False):
        part = part[part["reliable"]]
        if len(part) < 2:
            continue
        top = part.loc[part["mean_exposure"].idxmax()]
        bottom = part.loc[part["mean_exposure"].idxmin()]
        rows.append(dict(sensitive=sensitive, attack=attack, group=column,
                         most_exposed=top["value"], least_exposed=bottom["value"],
                         advantage_gap=top["advantage"] - bottom["advantage"],
                         exposure_gap=top["mean_exposure"] - bottom["mean_exposure"]))
    return pd.DataFrame(rows, columns=["sensitive", "attack", "group", "most_exposed",
                                       "least_exposed", "advantage_gap", "exposure_gap"])


def _deciding(part):
    """(row, risk level) of the attack that decides an attribute's risk among the members'
    rows ``part``: the best lower confidence bound of the advantage; when that shows no
    measurable leakage, the best advantage; "undetermined" when no advantage is defined."""
    finite = part[np.isfinite(part["advantage"].astype(float))]
    if finite.empty:
        return part.iloc[0], "undetermined"
    best = finite.loc[finite["advantage_ci_low"].astype(float).idxmax()]
    level = _risk_level(float(best["advantage"]), float(best["advantage_ci_low"]))
    if level == "none":
        best = finite.loc[finite["advantage"].astype(float).idxmax()]
    return best, level


def _summary(results, gap, confidence, white_box=()):
    """One row per attribute; ``white_box`` holds the (attribute, attack) pairs of white-box
    attacks, whose sentence names the attacker's access to the model's internals."""
    rows = []
    members = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    for sensitive, part in members.groupby("sensitive", sort=False):
        best, level = _deciding(part)
        if level == "undetermined":
            sentence = (f"The advantage of attacks on {sensitive!r} is undefined: "
                        f"{best['verdict']}.")
        else:
            pct = int(round(confidence * 100))
            metric = best["metric"]
            if level == "none":
                top = best
                sentence = (
                    f"No attack infers {sensitive!r} of the training records measurably better "
                    f"than imputation from the population's statistics (best: {top['attack']}, "
                    f"advantage {top['advantage']:+.2f}, {pct}% CI {top['advantage_ci_low']:+.2f} "
                    f"to {top['advantage_ci_high']:+.2f}, which includes 0 or lies below it).")
            else:
                g = gap[(gap["sensitive"] == sensitive) & (gap["attack"] == best["attack"])]
                member_note = ""
                if len(g) and np.isfinite(g["gap_ci_low"].iloc[0]) and g["gap_ci_low"].iloc[0] > 0:
                    member_note = (" It works better on the training records than on held-out "
                                   "people: the model memorised them.")
                access = ("holding the model itself (its internals)"
                          if (sensitive, best["attack"]) in set(white_box)
                          else "with the model's outputs")
                sentence = (
                    f"An attacker {access} infers {sensitive!r} of the people it "
                    f"was trained on with {metric} {best['score']:.2f}, against "
                    f"{best['baseline_score']:.2f} for imputation without the model: advantage "
                    f"{best['advantage']:+.2f} ({pct}% CI {best['advantage_ci_low']:+.2f} to "
                    f"{best['advantage_ci_high']:+.2f}), by {best['attack']}.{member_note}")
        rows.append(dict(sensitive=sensitive, risk_level=level, attack=best["attack"],
                         metric=best["metric"], score=best["score"],
                         baseline_score=best["baseline_score"], advantage=best["advantage"],
                         advantage_ci_low=best["advantage_ci_low"],
                         advantage_ci_high=best["advantage_ci_high"], sentence=sentence))
    return pd.DataFrame(rows, columns=["sensitive", "risk_level", "attack", "metric", "score",
                                       "baseline_score", "advantage", "advantage_ci_low",
                                       "advantage_ci_high", "sentence"])


_TABLES = ("summary", "results", "membership_gap", "exposed_records", "by_group", "disparity",
           "defenses", "frontier")


class Assessment:
    """The result of :func:`assess`: tables (DataFrames) and the facts needed to reproduce them.

    Attributes
    ----------
    summary : DataFrame
        One row per sensitive attribute: ``risk_level`` ("none", "low", "medium", "high" or
        "undetermined"), the attack that decides it, its score, the baseline, the advantage with
        its CI, and one ``sentence`` of plain meaning.
    results : DataFrame
        Attribute × attack × population rows of :func:`~tabinvert.evaluation.evaluate_attacks`.
    membership_gap : DataFrame
        Members' advantage minus non-members', per attribute and attack, with a CI.
    exposed_records : DataFrame
        The most exposed training records: ``record`` (the index label of ``X_train``) and
        ``position``, the attack, its and imputation's confidence in the true value (the
        probability each gives it; for a rank-score attack such as CSMIA, used only when no
        attack with probabilities was run, the attack's hit, 1 or 0), and ``exposure`` (their
        difference). No feature values are copied.
    by_group : DataFrame
        Exposure by subgroup (``group_by`` columns and "distinctive" records), for the same
        attack as ``exposed_records``.
    disparity : DataFrame
        The most and least exposed subgroup per grouping, and the gap between them.
    defenses : DataFrame or None
        The privacy–utility sweep (:func:`~tabinvert.evaluation.evaluate_defenses`), when
        ``defenses`` were given.
    frontier : DataFrame or None
        Its privacy–utility frontier.
    threat_model : str
        The threat model, in words (:data:`THREAT_MODEL`, and :data:`WHITE_BOX_THREAT_MODEL`
        when a white-box attack was run).
    metadata : dict
        Package versions, seeds, data hashes, model type, sizes, how the auxiliary data was
        chosen, risk-level thresholds.
    """

    def __init__(self, *, summary, results, membership_gap, exposed_records, by_group,
                 disparity, defenses=None, frontier=None, threat_model=THREAT_MODEL,
                 metadata=None):
        self.summary = summary
        self.results = results
        self.membership_gap = membership_gap
        self.exposed_records = exposed_records
        self.by_group = by_group
        self.disparity = disparity
        self.defenses = defenses
        self.frontier = frontier
        self.threat_model = threat_model
        self.metadata = dict(metadata or {})

    def __repr__(self):
        levels = ", ".join(f"{r.sensitive}: {r.risk_level}" for r in self.summary.itertuples())
        return f"<Assessment {levels}>"

    def to_frame(self):
        """The attribute × attack × population results as one DataFrame (a copy)."""
        return self.results.copy()

    def to_dict(self):
        """Everything as plain JSON-compatible Python (tables as lists of records; NaN → None).

        Returns
        -------
        dict
        """
        out = {name: _records(getattr(self, name)) for name in _TABLES}
        out["threat_model"] = self.threat_model
        out["metadata"] = _plain(self.metadata)
        out["format"] = "tabinvert.assessment/1"
        return out

    @classmethod
    def from_dict(cls, data):
        """Rebuild an :class:`Assessment` from :meth:`to_dict` output.

        Parameters
        ----------
        data : dict

        Returns
        -------
        Assessment
        """
        if not isinstance(data, dict) or data.get("format") != "tabinvert.assessment/1":
            raise ValueError("Not a tabinvert assessment (missing format 'tabinvert.assessment/1').")
        tables = {name: None if data.get(name) is None else pd.DataFrame.from_records(
            data[name]["records"], columns=data[name]["columns"]) for name in _TABLES}
        return cls(**tables, threat_model=data["threat_model"], metadata=data["metadata"])

    def to_json(self, path=None, *, indent=2):
        """Write (atomically) or return the assessment as JSON.

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write; None returns the text.
        indent : int, default=2

        Returns
        -------
        str or None
        """
        text = json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)
        if path is None:
            return text
        write_atomic(path, text + "\n")
        return None

    @classmethod
    def from_json(cls, path_or_text):
        """Read an assessment written by :meth:`to_json` (a path, or the JSON text)."""
        text = str(path_or_text)
        # A path object is always a path, even one named "{run}.json".
        if isinstance(path_or_text, os.PathLike) or not text.lstrip().startswith("{"):
            with open(path_or_text, encoding="utf-8") as stream:
                text = stream.read()
        return cls.from_dict(json.loads(text))

    def to_html(self, path=None):
        """Render the self-contained HTML report (plots need the ``report`` extra: matplotlib).

        Parameters
        ----------
        path : str or path-like, default=None
            Where to write (atomically: an existing file is replaced only on success); None
            returns the HTML text.

        Returns
        -------
        str or None
        """
        from .report import render_html

        html = render_html(self)
        if path is None:
            return html
        write_atomic(path, html)
        return None


def _plain(value):
    """JSON-compatible copy of ``value`` (numpy scalars → Python, NaN/inf → None)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray, pd.Index)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)


def _records(table):
    if table is None:
        return None
    return {"columns": [str(c) for c in table.columns],
            "records": [[_plain(v) for v in row] for row in table.itertuples(index=False)]}


@validate_params(
    {
        "model": "no_validation",
        "X_train": ["array-like"],
        "y_train": ["array-like"],
        "X_holdout": ["array-like", None],
        "y_holdout": ["array-like", None],
        "sensitive": [str, Integral, list, tuple],
        "X_aux": ["array-like", None],
        "y_aux": ["array-like", None],
        "attacks": [StrOptions({"auto"}), list, tuple],
        "defenses": [dict, list, tuple, None],
        "group_by": [str, list, tuple, None],
        "aux_fraction": [Interval(Real, 0, 1, closed="neither")],
        "top_records": [Interval(Integral, 0, None, closed="left")],
        "min_group_size": [Interval(Integral, 1, None, closed="left")],
        "n_resamples": [Interval(Integral, 1, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "progress": [callable, None],
    },
    prefer_skip_nested_validation=False,
)
def assess(model, X_train, y_train, *, X_holdout=None, y_holdout=None, sensitive, X_aux=None,
           y_aux=None, attacks="auto", defenses=None, group_by=None, aux_fraction=0.5,
           top_records=20, min_group_size=20, n_resamples=1000, confidence=0.95, n_jobs=None,
           random_state=None, progress=None):
    """Assess what an attacker can infer about the sensitive attributes of a model's training
    records, how sure that is, who is most exposed, and what defenses would change.

    Parameters
    ----------
    model : fitted classifier or regressor
        The model as deployed (any object with ``predict``, and ``predict_proba`` for the
        confidence attacks); a :class:`~sklearn.pipeline.Pipeline` on raw DataFrames works.
    X_train, y_train : DataFrame, array-like
        The model's training records, with the sensitive columns, and their labels (the
        members attacked).
    X_holdout, y_holdout : DataFrame, array-like, default=None
        Held-out records of the same population (non-members). Needed when ``X_aux`` is not
        given, and for the utility of defenses.
    sensitive : str or list of str
        The sensitive column(s).
    X_aux, y_aux : DataFrame, array-like, default=None
        The attacker's auxiliary records and labels. If not given, a random ``aux_fraction``
        share of the holdout is used (seeded by ``random_state``), and the rest of the holdout
        are the non-members attacked: the auxiliary records are never attacked.
    attacks : "auto" or list of attacks, default="auto"
        "auto": for classifiers with ``predict_proba``, MAP inversion, CSMIA, LOMIA (label-only,
        always) and MAP with an imputation prior (categorical attributes); for label-only
        classifiers, FJRMIA and LOMIA; for regressors, MAP with a Gaussian error model. When
        the model is a tree model the attacker can read (a scikit-learn decision tree, random
        forest, extra trees, gradient or histogram gradient boosting, an XGBoost model, or a
        Pipeline ending in one), also the white-box tree attack
        (:class:`~tabinvert.attacks.WhiteBoxTreeInversion`) for categorical attributes: it
        assumes the attacker holds the model itself, and the threat model says so. A model
        served through a defense (:class:`~tabinvert.defenses.DefendedClassifier`,
        :class:`~tabinvert.defenses.DefendedRegressor`) or a
        :class:`~tabinvert.defenses.QueryBudget` is a black box to the attacker: no white-box
        attack. :class:`~tabinvert.attacks.LearnedInversion` is not chosen (it trains a
        gradient-boosting attack model, cross-validated against the marginal, per attribute,
        which costs more than the other attacks together); pass it in a list to include it.
        A list of attack instances is run as given (each on its own ``sensitive`` column).
    defenses : list or dict of transformers, default=None
        Output defenses to sweep (:func:`~tabinvert.evaluation.evaluate_defenses`), with the
        same seed as the main results, so that the sweep's undefended (``"none"``) rows equal
        the corresponding rows of ``results``. White-box attacks are left out of the sweep: an
        output defense does not change what they read.
    group_by : str or list of str, default=None
        Columns of ``X_train`` whose groups' exposure is compared. "distinctive" records (the
        10% whose known values are rarest) are always compared with the rest.
    aux_fraction : float, default=0.5
        Share of the holdout given to the attacker when ``X_aux`` is None.
    top_records : int, default=20
        How many most-exposed training records to list per attribute. A record's exposure is
        the probability the attack gives its true value minus the probability imputation gives
        it. For a categorical attribute the records are scored with the deciding attack among
        those whose scores are probabilities
        (:func:`scores_are_probabilities`: every attack but CSMIA, whose scores only rank the
        candidates); when CSMIA is the only attack, its confidence is its hit (1 when its guess
        is right, 0 when not). The subgroup tables use the same attack.
    min_group_size : int, default=20
        Groups smaller than this are reported but not used for the disparity.
    n_resamples : int, default=1000
        Paired-bootstrap resamples for every advantage interval.
    confidence : float, default=0.95
        Level of every interval.
    n_jobs : int, default=None
        Parallel model queries.
    random_state : int, RandomState instance or None, default=None
        Seeds the auxiliary split, the attacks, the baseline and the bootstrap.
    progress : callable, default=None
        Called with a short message at each stage (the command line prints them to stderr).

    Returns
    -------
    Assessment

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from tabinvert import assess

    A forest memorises its training records, noisy labels included; their secret shows in
    its confidence, while the population's statistics say nothing about it:

    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.integers(20, 70, 1200), "secret": rng.integers(0, 2, 1200)})
    >>> y = rng.integers(0, 2, 1200)
    >>> model = RandomForestClassifier(100, random_state=0).fit(X[:600], y[:600])
    >>> result = assess(model, X[:600], y[:600], X_holdout=X[600:], y_holdout=y[600:],
    ...                 sensitive="secret", n_resamples=200, random_state=0)
    >>> result.summary[["sensitive", "risk_level"]].to_dict("records")
    [{'sensitive': 'secret', 'risk_level': 'high'}]
    """
    progress = progress or (lambda message: None)
    sensitive = [sensitive] if isinstance(sensitive, (str, Integral)) else list(sensitive)
    group_by = [] if group_by is None else [group_by] if isinstance(group_by, str) else list(group_by)
    for option, names in (("sensitive", sensitive), ("group_by", group_by)):
        repeated = sorted({repr(name) for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"{option} names the column(s) {', '.join(repeated)} more than "
                             "once; name each column once.")
    if not isinstance(X_train, pd.DataFrame):
        X_train = pd.DataFrame(np.asarray(X_train))
        X_holdout = None if X_holdout is None else pd.DataFrame(np.asarray(X_holdout))
        X_aux = None if X_aux is None else pd.DataFrame(np.asarray(X_aux))
    for column in sensitive + group_by:
        if column not in X_train.columns:
            raise ValueError(
                f"Column {column!r} is not in X_train (columns: {list(X_train.columns)[:20]}). "
                "Pass the name of a column of the training data.")
    if len(X_train) == 0:
        raise ValueError("X_train is empty: there are no training records to assess.")
    y_train = np.asarray(y_train)
    if len(y_train) != len(X_train):
        raise ValueError(f"y_train has {len(y_train)} labels for {len(X_train)} records.")
    if not sensitive:
        raise ValueError("sensitive is empty: name at least one sensitive column to attack.")
    if X_holdout is not None and y_holdout is None:
        raise ValueError("X_holdout was given without y_holdout; pass both.")
    if X_holdout is not None and len(np.asarray(y_holdout)) != len(X_holdout):
        raise ValueError(f"y_holdout has {len(np.asarray(y_holdout))} labels for "
                         f"{len(X_holdout)} records in X_holdout.")
    if defenses:  # refused now, not after every attack has queried the model
        _sweep_candidates(model, defenses, None)
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))

    if X_aux is None:
        if X_holdout is None or len(X_holdout) < 4:
            raise ValueError(
                "The attacker needs auxiliary data: pass X_aux and y_aux, or a holdout "
                "(X_holdout, y_holdout) of at least 4 records, a share of which is given to "
                "the attacker.")
        order = rng.permutation(len(X_holdout))
        n_aux = min(max(2, int(round(aux_fraction * len(X_holdout)))), len(X_holdout) - 2)
        X_aux, y_aux = _rows(X_holdout, order[:n_aux]), np.asarray(y_holdout)[order[:n_aux]]
        X_out, y_out = _rows(X_holdout, order[n_aux:]), np.asarray(y_holdout)[order[n_aux:]]
        aux_source = (f"{n_aux} of the {len(X_holdout)} holdout records (share {aux_fraction}, "
                      f"seeded); the other {len(X_holdout) - n_aux} are the non-members")
    else:
        if y_aux is None:
            raise ValueError("X_aux was given without y_aux: the attacker's auxiliary records "
                             "need their labels.")
        y_aux = np.asarray(y_aux)
        X_out = X_holdout
        y_out = None if y_holdout is None else np.asarray(y_holdout)
        aux_source = f"the {len(X_aux)} records passed as X_aux"
    targets = {"members": (X_train, y_train)}
    if X_out is not None and len(X_out):
        targets["non-members"] = (X_out, y_out)

    with run_cache():  # each grid asked once, each imputation learner fitted once
        attack_sets, runs = _run_attacks(model, attacks, sensitive, X_aux, y_aux, targets,
                                         seed, n_jobs, n_resamples, confidence, progress)
        results = pd.concat([run.table for run in runs.values()], ignore_index=True)
        gap = _membership_gap(results)
        white_box = {(column, name) for column, chosen in attack_sets.items()
                     for name, attack in chosen.items() if is_white_box(attack)}
        summary = _summary(results, gap, confidence, white_box)
        progress("per-record and subgroup exposure")
        exposure, exposed_records = _exposure(results, summary, runs, X_train, y_train,
                                              top_records)
        by_group = _group_table(exposure, _groups(X_train, sensitive, group_by), min_group_size)
        disparity = _disparity(by_group)
        defense_table = frontier = None
        if defenses:
            defense_table = _defense_sweep(model, defenses, attack_sets, runs, X_aux, y_aux,
                                           targets, X_out, y_out, sensitive, seed, n_resamples,
                                           confidence, progress)
            frontier = privacy_utility_frontier(defense_table)

    metadata = {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "random_state": random_state if isinstance(random_state, (int, type(None))) else "instance",
        "seed": seed,
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "model_summary": _model_summary(model),
        "model_is_classifier": bool(model_is_classifier(model)),
        "model_columns": model_feature_names(model),
        "sensitive": sensitive,
        "group_by": group_by,
        "n_train": len(X_train),
        "n_non_members": 0 if X_out is None else len(X_out),
        "n_aux": len(X_aux),
        "aux_source": aux_source,
        "data_sha256": {"train": _data_hash(X_train, y_train),
                        "non_members": _data_hash(X_out, y_out),
                        "aux": _data_hash(X_aux, y_aux)},
        "n_resamples": n_resamples,
        "confidence": confidence,
        "risk_levels": {level: threshold for threshold, level in RISK_LEVELS},
        "distinctive_rule": "the 10% of training records whose non-sensitive values are the "
                            "least common (mean share of records with the same value; 10 "
                            "equal-width bins for numeric columns)",
    }
    threat_model = THREAT_MODEL + ("\n\n" + WHITE_BOX_THREAT_MODEL if white_box else "")
    return Assessment(summary=summary, results=results, membership_gap=gap,
                      exposed_records=exposed_records, by_group=by_group, disparity=disparity,
                      defenses=defense_table, frontier=frontier, threat_model=threat_model,
                      metadata=metadata)


def _run_attacks(model, attacks, sensitive, X_aux, y_aux, targets, seed, n_jobs, n_resamples,
                 confidence, progress):
    """Choose the attacks of each sensitive column and run them once (:func:`run_attacks`):
    the attacks by column and name, and each column's :class:`AttackRun`."""
    attack_sets, runs = {}, {}
    for column in sensitive:
        kind = sensitive_kind(X_aux[column].to_numpy(), "auto")
        if attacks == "auto":
            chosen = default_attacks(model, column, kind, random_state=seed, n_jobs=n_jobs)
        else:
            chosen = [a for a in attacks if getattr(a, "sensitive", None) == column]
            if not chosen:
                raise ValueError(f"None of the attacks given attacks {column!r}; give each "
                                 "sensitive column at least one attack, or attacks='auto'.")
        attack_sets[column] = named_attacks(chosen)
        progress(f"{column!r}: {', '.join(attack_sets[column])} on {', '.join(targets)}")
        runs[column] = run_attacks(attack_sets[column], X_aux, y_aux, targets=targets,
                                   n_resamples=n_resamples, confidence=confidence,
                                   random_state=seed)
    return attack_sets, runs


def _groups(X_train, sensitive, group_by):
    """The subgroups compared for exposure: the distinctive records, and each ``group_by``."""
    typical = _typicality(X_train, [c for c in X_train.columns if c not in sensitive])
    distinctive = _distinctive_groups(typical)
    groups = {} if distinctive is None else {"distinctive records": distinctive}
    for column in group_by:
        groups[column] = X_train[column].astype(str).to_numpy()
    return groups


def _exposure(results, summary, runs, X_train, y_train, top_records):
    """Per record, for each attribute's deciding attack on the members (the deciding one
    among the attacks whose scores are probabilities, for a categorical attribute): the
    exposure table and the most exposed records. The attacks and baselines are the ones the
    run fitted; their answers on the members are remembered, so nothing is asked again."""
    members = results[(results["population"] == "members") & (results["attack"] != "imputation")]
    exposure_parts, exposed = [], []
    for column in summary["sensitive"]:
        run = runs[column]
        kind = next(iter(run.attacks.values())).sensitive_kind_
        name = _exposure_attack(members[members["sensitive"] == column], run.attacks, kind)
        if name is None:
            continue
        attack = run.attacks[name]
        baseline = run.baseline_for(attack)
        truth = X_train[column].to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # already reported in the results' notes
            per_record = _per_record(attack, baseline, X_train, y_train, kind, truth)
        per_record.insert(0, "attack", name)
        per_record.insert(0, "sensitive", column)
        per_record.insert(0, "position", np.arange(len(X_train)))
        per_record.insert(0, "record", [_plain(v) for v in X_train.index])
        exposure_parts.append(per_record)
        leaked = per_record[per_record["attack_correct"] & ~per_record["baseline_correct"]]
        exposed.append(leaked.sort_values("exposure", ascending=False, kind="stable")
                       .head(top_records))
    exposure = pd.concat(exposure_parts, ignore_index=True) if exposure_parts else pd.DataFrame(
        columns=["record", "position", "sensitive", "attack", "exposure", "attack_correct",
                 "baseline_correct"])
    exposed_records = (pd.concat(exposed, ignore_index=True) if exposed
                       else exposure.head(0)).reset_index(drop=True)
    return exposure, exposed_records


def _defense_sweep(model, defenses, attack_sets, runs, X_aux, y_aux, targets, X_out, y_out,
                   sensitive, seed, n_resamples, confidence, progress):
    """The defense sweep over the black-box attacks of the main run (output defenses do not
    change what a white-box attacker reads); its undefended rows are the main run's rows."""
    if X_out is None or y_out is None:
        raise ValueError("Measuring defenses needs held-out data for their utility: pass "
                         "X_holdout and y_holdout.")
    black_box = [(column, name, attack) for column, chosen in attack_sets.items()
                 for name, attack in chosen.items() if not is_white_box(attack)]
    sweep_attacks = [attack for _, _, attack in black_box] or None
    what = (f"{len(sweep_attacks)} attack(s)" if sweep_attacks
            else "the default black-box attacks")
    progress(f"defense sweep: {len(defenses)} defense(s) × {what}")
    undefended = {}
    if sweep_attacks:
        names = named_attacks(sweep_attacks,
                              with_column=len({a.sensitive for a in sweep_attacks}) > 1)
        for sweep_name, (column, name, _) in zip(names, black_box):
            table = runs[column].table
            undefended[sweep_name] = table[table["attack"] == name].assign(attack=sweep_name)
    # The same int seed as the results: the sweep's "none" rows are the results' rows.
    return evaluate_defenses(
        model, defenses, X_aux, y_aux, targets=targets, X_test=X_out, y_test=y_out,
        attacks=sweep_attacks, sensitive=sensitive, n_resamples=n_resamples,
        confidence=confidence, random_state=seed, _undefended_rows=undefended)


def _versions():
    from importlib import metadata as importlib_metadata

    versions = {"tabinvert": __version__, "python": platform.python_version()}
    for name in ("scikit-learn", "numpy", "pandas", "scipy", "joblib", "xgboost", "xgboost-cpu",
                 "matplotlib", "skops"):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def _model_summary(model):
    text = repr(model)
    return text if len(text) <= 2000 else text[:2000] + " …"


__all__ = ["Assessment", "assess", "scores_are_probabilities", "THREAT_MODEL",
           "WHITE_BOX_THREAT_MODEL", "RISK_LEVELS"]

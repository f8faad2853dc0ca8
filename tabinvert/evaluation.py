"""Run attacks against target populations and measure them honestly against imputation; sweep
defenses to see what each one buys in privacy and costs in utility."""

from __future__ import annotations

import contextlib
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.frozen import FrozenEstimator
from sklearn.metrics import (
    accuracy_score,
    balanced_accuracy_score,
    mean_absolute_error,
    r2_score,
)
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state

from ._sklearn_compat import (
    Interval,
    InvalidParameterError,
    StrOptions,
    validate_parameter_constraints,
)
from ._cache import run_cache
from ._query import reading_grid_leaves
from ._validation import check_model_fitted, sensitive_kind, true_sensitive
from ._wrappers import is_wrapped
from .attacks import (
    ConfidenceInversion,
    ExplanationInversion,
    LabelOnlyInversion,
    WhiteBoxTreeInversion,
)
from .attacks._base import capabilities_of, model_is_classifier
from .attacks._whitebox_tree import split_tree_model
from .attacks._confidence import class_positions
from .attacks._imputation import fit_imputer_like_baseline
from .metrics import simultaneous_advantage_intervals, tail_risk_table
from .defenses import DefendedClassifier, DefendedRegressor
from .defenses._transformers import _PredictionDefense, _ProbabilityDefense
from .metrics import advantage_over_baseline, advantage_verdict, success_rate
from .metrics._inference import _one_inference_score
from .metrics._risk import LOSS_METRICS, SUCCESS_METRICS

#: The columns of a results table. ``access`` is what the attack needs
#: (:data:`~tabinvert.attacks.ACCESS_LEVELS`); ``query_rows`` / ``query_calls`` what an attacker
#: would send for it; ``query_rows_sent`` the rows actually sent to the model for this row
#: (answers already on hand within one run are not asked again; a white-box attack, which runs
#: the model's trees itself, sends none); ``seconds`` the attack's time on this population, its
#: fit counted once (on its first population), so the column sums.
RESULT_COLUMNS = [
    "attack",
    "access",
    "population",
    "sensitive",
    "metric",
    "score",
    "score_ci_low",
    "score_ci_high",
    "baseline_score",
    "advantage",
    "advantage_ci_low",
    "advantage_ci_high",
    "advantage_ci_low_family",
    "advantage_ci_high_family",
    "verdict",
    "n_records",
    "query_rows",
    "query_calls",
    "query_rows_sent",
    "seconds",
    "notes",
]


def is_white_box(attack):
    """Whether an attack reads the model's internals rather than querying it as deployed.

    White-box attacks declare access to the model itself (``access`` "model" or "gradients"
    in :meth:`~tabinvert.attacks.BaseAttack.capabilities`): an output defense in front of the
    model does not change what they read.

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion, WhiteBoxTreeInversion
    >>> from tabinvert.evaluation import is_white_box
    >>> is_white_box(WhiteBoxTreeInversion(None, "sex"))
    True
    >>> is_white_box(ConfidenceInversion(None, "sex"))
    False
    """
    return capabilities_of(attack).white_box


def attack_name(attack):
    """A short, readable name for an attack instance (its declared display name).

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.evaluation import attack_name
    >>> attack_name(ConfidenceInversion(None, "sex", method="csmia"))
    'CSMIA'
    """
    return capabilities_of(attack).name


# --------------------------------------------------------------------------------------------
# Input checks: everything is refused before the first attack is fitted, with the argument's
# name, rather than deep inside a bootstrap after minutes of querying.
# --------------------------------------------------------------------------------------------

_SHARED_CONSTRAINTS = {
    "metric": [StrOptions(set(SUCCESS_METRICS + LOSS_METRICS)), callable, None],
    "n_resamples": [Interval(Integral, 1, None, closed="left")],
    "confidence": [Interval(Real, 0, 1, closed="neither")],
    "random_state": ["random_state"],
}


def _check_shared(caller, **params):
    """Validate ``metric``, ``n_resamples``, ``confidence`` and ``random_state`` for ``caller``.

    Called directly rather than through ``validate_params``: that decorator would rename the
    attacks' and defenses' own parameter errors after this function, and could skip their
    validation.
    """
    validate_parameter_constraints(_SHARED_CONSTRAINTS, params, caller_name=caller)


def _describe(value):
    """A one-line description of a wrong argument: never a whole table."""
    if isinstance(value, (pd.DataFrame, pd.Series, np.ndarray)):
        return f"a {type(value).__name__} of shape {value.shape}"
    if isinstance(value, (list, tuple)):
        return f"a {type(value).__name__} of {len(value)} item(s)"
    text = repr(value)
    return (text if len(text) <= 80 else text[:77] + "...") + f" (type {type(value).__name__})"


def _check_targets(targets):
    """``targets`` must be a non-empty dict of population name -> ``(X, y)``."""
    example = "e.g. targets={'members': (X_train, y_train)}"
    if not isinstance(targets, Mapping):
        raise TypeError(
            f"targets must be a dict of population name -> (X, y); got {_describe(targets)}, "
            f"{example}."
        )
    if not targets:
        raise ValueError(f"targets is empty: pass at least one target population, {example}.")
    for population, pair in targets.items():
        if not isinstance(pair, (tuple, list)):
            raise TypeError(
                f"targets[{population!r}] must be a pair (X, y), with y None when the attacker "
                f"does not know the labels; got {_describe(pair)}."
            )
        if len(pair) != 2:
            raise ValueError(
                f"targets[{population!r}] must be a pair (X, y), with y None when the attacker "
                f"does not know the labels; got a {type(pair).__name__} of {len(pair)} item(s)."
            )


def _as_named(objects, what, example):
    """``objects`` (a list or a dict) as a list of (key, object): the key names it in errors."""
    if isinstance(objects, Mapping):
        return list(objects.items())
    if isinstance(objects, (str, bytes, pd.DataFrame)) or hasattr(objects, "get_params"):
        raise TypeError(
            f"{what} must be a list or dict of {what}; got {_describe(objects)}. Wrap a single "
            f"one in a list, {example}."
        )
    try:
        return list(enumerate(objects))
    except TypeError:
        raise TypeError(
            f"{what} must be a list or dict of {what}; got {_describe(objects)}, {example}."
        ) from None


def _validate_estimator(estimator, role):
    """Check an attack's or defense's parameters now, naming it (``role``) in the error.

    The name goes after the class name so that an enclosing ``validate_params`` (as on
    :func:`~tabinvert.assess`) does not rename the error after itself.
    """
    steps = estimator.steps if isinstance(estimator, Pipeline) else [(None, estimator)]
    for _, step in steps:
        validate = getattr(step, "_validate_params", None)
        if validate is None:  # "passthrough", None or a non-sklearn object
            continue
        try:
            validate()
        except InvalidParameterError as exc:
            cls = type(step).__name__
            raise InvalidParameterError(
                str(exc).replace(
                    f"parameter of {cls} must be", f"parameter of {cls} ({role}) must be", 1
                )
            ) from exc


def _check_attacks(attacks):
    """The attacks as a list of (key, attack), each an object with ``fit`` and ``attack``."""
    example = "e.g. [ConfidenceInversion(model, 'column')]"
    items = _as_named(attacks, "attacks", example)
    if not items:
        raise ValueError(f"attacks is empty: pass at least one attack, {example}.")
    for key, attack in items:
        if not all(callable(getattr(attack, method, None)) for method in ("fit", "attack")):
            raise TypeError(
                f"attacks[{key!r}] is {_describe(attack)}, not an attack: an attack has fit "
                f"and attack methods, {example}."
            )
    return items


def evaluate_attacks(
    attacks,
    X_aux,
    y_aux=None,
    *,
    targets,
    metric=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=None,
    tail_risk=False,
):
    """Fit each attack on the attacker's auxiliary data, run it on each target population, and
    compare it with an imputation baseline on the very same records.

    The baseline (:class:`~tabinvert.attacks.ImputationBaseline`) gets the same auxiliary data,
    and the targets' labels exactly when the attack does (when ``y_aux`` is given), so the
    advantage measures what the *model* adds beyond the population's statistics.

    Parameters
    ----------
    attacks : list or dict of attacks
        Unfitted or fitted attacks (they are cloned, the target model is kept). A dict gives
        their names. Every attack's parameters are checked before the first one is fitted.
    X_aux : DataFrame or ndarray
        The attacker's auxiliary records, with the sensitive column.
    y_aux : array-like, default=None
        Their labels, if the attacker has them.
    targets : dict of str to (X, y)
        Target populations, e.g. ``{"members": (X_train, y_train), "non-members": (X_test,
        y_test)}``; ``X`` holds the true sensitive values (used only for scoring), ``y`` the
        labels the attacker knows (or None).
    metric : str, default=None
        Success metric: "accuracy" (categorical) or "mae" (numeric) by default; any metric of
        :func:`tabinvert.metrics.advantage_over_baseline`.
    n_resamples : int, default=1000
        Paired-bootstrap resamples for the advantage interval.
    confidence : float, default=0.95
        Level of every interval.
    random_state : int, RandomState instance or None, default=None
        Seeds the baseline learner and the bootstrap.
    tail_risk : bool or dict, default=False
        Also return the tail risk (:func:`tail_risk`): the precision of each attack's most
        confident inferences that a target holds a value, against the baseline's own most
        confident. True: the rarest candidate value, at k = 10, 100 and 1% of targets; a dict
        ``{"value": ..., "ks": ...}`` chooses them.

    Returns
    -------
    results : DataFrame
        One row per (attack, population) with the columns of ``RESULT_COLUMNS``; the baseline's
        own rows have attack ``"imputation"``. Warnings an attack raised while attacking (e.g.
        a label-only attack that found too few self-labelled targets) are kept in ``notes``.
        ``advantage_ci_low/high`` is each attack's own interval; ``advantage_ci_low/high_family``
        the simultaneous interval over all the attacks evaluated (:func:`family_intervals`),
        the one to read when the verdict is the best attack.
    tail : DataFrame
        Only with ``tail_risk``: the tail-risk table (:func:`tail_risk`).

    Raises
    ------
    InvalidParameterError
        If ``metric``, ``n_resamples``, ``confidence`` or ``random_state`` is invalid, or an
        attack's own parameters are (the error names the attack).
    TypeError
        If ``attacks`` or ``targets`` is not a list / dict of the right objects.
    ValueError
        If ``attacks`` or ``targets`` is empty, a population is not an ``(X, y)`` pair, or the
        data do not fit the attacks (missing sensitive column, labels of another length, ...).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.evaluation import evaluate_attacks
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"known": rng.integers(0, 2, 600), "secret": rng.integers(0, 2, 600)})
    >>> y = X["known"] ^ X["secret"]
    >>> model = DecisionTreeClassifier(random_state=0).fit(X[:400], y[:400])
    >>> table = evaluate_attacks(
    ...     [ConfidenceInversion(model, "secret")], X[400:500],
    ...     targets={"members": (X[:400], y[:400]), "non-members": (X[500:], y[500:])},
    ...     random_state=0)
    >>> print(table[["attack", "population", "score", "baseline_score"]].round(2).to_string())
        attack   population  score  baseline_score
    0  imputation     members   0.46            0.46
    1         MAP     members   1.00            0.46
    2  imputation non-members   0.52            0.52
    3         MAP non-members   1.00            0.52
    """
    _check_shared(
        "evaluate_attacks",
        metric=metric,
        n_resamples=n_resamples,
        confidence=confidence,
        random_state=random_state,
    )
    _check_targets(targets)
    items = _check_attacks(attacks)
    if not isinstance(attacks, Mapping):
        attacks = named_attacks([attack for _, attack in items])
    if not isinstance(tail_risk, (bool, dict)):
        raise TypeError(
            f"tail_risk must be True, False or a dict with 'value' and/or 'ks'; got "
            f"{type(tail_risk).__name__} {tail_risk!r}."
        )
    run = run_attacks(
        attacks,
        X_aux,
        y_aux,
        targets=targets,
        metric=metric,
        n_resamples=n_resamples,
        confidence=confidence,
        random_state=random_state,
    )
    if tail_risk is False:
        return run.table
    options = {} if tail_risk is True else dict(tail_risk)
    unknown = set(options) - {"value", "ks"}
    if unknown:
        raise ValueError(
            f"tail_risk takes the keys 'value' and 'ks'; got {sorted(unknown)}. E.g. "
            "tail_risk={'value': 'Divorced', 'ks': (10, 100, 0.01)}."
        )
    return run.table, run.tail_risk(**options)


#: The ``k`` of the tail-risk tables: 10 and 100 targets, and 1% of them.
TAIL_KS = (10, 100, 0.01)


@dataclass
class AttackRun:
    """What one run of attacks produced: the results table, and the fitted attacks and
    baselines that produced it, so that nothing is fitted twice.

    Attributes
    ----------
    table : DataFrame
        The results, one row per (attack, population) (:data:`RESULT_COLUMNS`).
    attacks : dict of str to fitted attack
        The attacks as fitted, by name.
    baselines : dict
        The fitted :class:`~tabinvert.attacks.ImputationBaseline` and its guesses per
        population, by (sensitive column, kind, label use).
    truths : dict
        The targets' true values by population, of the run's first sensitive column (a run
        over one column, as ``assess`` makes them).
    column_truths : dict
        The targets' true values by (sensitive column, population), for every column.
    """

    table: pd.DataFrame
    attacks: dict = field(default_factory=dict)
    baselines: dict = field(default_factory=dict)
    uses_label: bool = True
    baseline_keys: dict = field(default_factory=dict)
    guesses: dict = field(default_factory=dict)
    scores: dict = field(default_factory=dict)
    truths: dict = field(default_factory=dict)
    scoring: object = None
    column_truths: dict = field(default_factory=dict)
    _families: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def tail_risk(self, value=None, ks=TAIL_KS):
        """Precision of each attack's ``k`` most confident inferences that a target holds
        ``value``, against the imputation baseline's own ``k`` most confident, per
        population (Jayaraman & Evans, CCS 2022). See :func:`tail_risk`."""
        return tail_risk(self, value, ks)

    def family_intervals(self, names=None):
        """Simultaneous (family-wise) intervals of the advantages of ``names`` (default: every
        attack of the run), per population: a table with ``attack``, ``population``,
        ``ci_low``, ``ci_high`` (see :func:`family_intervals`)."""
        names = list(self.attacks) if names is None else list(names)
        # One bootstrap per family: the run's scoring is seeded, so a family asked again (the
        # run's own columns, then the model file's verdict) gets the same table.
        key = tuple(names)
        if key not in self._families:
            self._families[key] = family_intervals(self, names)
        return self._families[key].copy()

    def baseline_for(self, attack):
        """The fitted baseline an attack was compared with."""
        for name, fitted in self.attacks.items():
            if fitted is attack:
                return self.baselines[self.baseline_keys[name]][0]
        raise KeyError(f"{attack_name(attack)} was not fitted in this run.")


def _baseline_key(attack, baseline, uses_label):
    """Baselines are shared by the attacks on one column, of one kind, with one label use and
    candidates, whose imputers are one fit: an attack that holds the imputation baseline it
    uses as a prior or a fallback (``imputer_``) is compared with that very imputer, the
    others with one seeded like the attack (within a run, attacks seeded alike share it)."""
    return (*_column_key(attack, uses_label), id(baseline.learner_))


def _column_key(attack, uses_label):
    """What any baseline an attack may be compared with must share with it: the column, its
    kind, the label use and the candidates."""
    candidates = tuple(attack.candidates_) if attack.sensitive_kind_ == "categorical" else ()
    return attack.layout_.sensitive, attack.sensitive_kind_, uses_label, candidates


def _baseline_seed(attack):
    """The seed of an attack's own baseline: the attack's, when it is an integer."""
    seed = getattr(attack, "random_state", None)
    return int(seed) if isinstance(seed, (int, np.integer)) else None


def run_attacks(
    attacks,
    X_aux,
    y_aux,
    *,
    targets,
    metric=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=None,
    baselines=None,
    _progress=None,
):
    """The one place attacks are fitted and run against the imputation baseline.

    :func:`evaluate_attacks`, :func:`evaluate_defenses` and :func:`~tabinvert.assess` all run
    their attacks through it. It works inside a run cache (:mod:`tabinvert._cache`): a grid
    of completed records is asked of the model once whatever the number of attacks that read
    it, and an imputation learner is fitted once for everyone fitted on the same data.

    Parameters are those of :func:`evaluate_attacks` (already checked), plus ``baselines``: a
    dict of fitted baselines to reuse and fill (see :class:`AttackRun`).

    Returns
    -------
    AttackRun
    """
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=2)
    if not isinstance(attacks, Mapping):
        attacks = named_attacks(attacks)
    for name, attack in attacks.items():  # all of them before the first is fitted
        _validate_estimator(attack, f"attack {name!r}")
    scoring = _Scoring(metric, confidence, n_resamples, int(seeds[1]))
    rows, reported, fitted, baseline_keys = [], set(), {}, {}
    guesses_of, scores_of, column_truths = {}, {}, {}
    baselines = {} if baselines is None else baselines
    with run_cache() as cache, contextlib.ExitStack() as stack:
        fit_costs = {}
        for name, attack in attacks.items():  # every attack fitted before any baseline
            fitted[name] = attack = clone(attack)
            with _Meter(cache) as fit_costs[name]:
                attack.fit(X_aux, y_aux)
        baseline_keys = _choose_baselines(fitted, baselines, X_aux, y_aux, int(seeds[0]))
        # A white-box tree attack reads the leaves of the grids the black-box attacks ask of
        # the same model: those grids go down the trees once, for both (see _query).
        readers = [
            attack._grid_reader()
            for attack in fitted.values()
            if callable(getattr(attack, "_grid_reader", None))
        ]
        stack.enter_context(reading_grid_leaves(readers))
        for name, attack in fitted.items():
            fit_cost, key = fit_costs[name], baseline_keys[name]
            baseline, baseline_guesses = baselines[key]
            for population, (X, y) in targets.items():
                truth = true_sensitive(attack.layout_, X, name=f"targets[{population!r}]")
                if population not in baseline_guesses:
                    baseline_guesses[population] = _baseline_guesses(baseline, X, y)
                if (key, population) not in reported:  # the baseline's own row, once
                    reported.add((key, population))
                    guesses, seconds, _ = baseline_guesses[population]
                    rows.append(
                        scoring.row(
                            "imputation",
                            "none",
                            population,
                            attack,
                            truth,
                            guesses,
                            None,
                            seconds,
                            (0, 0, 0),
                        )
                    )
                with _Meter(cache) as attack_cost, warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    guesses, scores = _guesses_and_scores(attack, X, y)
                cost = attack.fit_query_cost_ + attack.last_query_cost_
                sent = fit_cost.rows_sent + attack_cost.rows_sent
                row = scoring.row(
                    name,
                    capabilities_of(attack).access,
                    population,
                    attack,
                    truth,
                    guesses,
                    baseline_guesses[population][0],
                    fit_cost.seconds + attack_cost.seconds,
                    (cost.rows, cost.calls, sent),
                )
                row[-1] = " ".join(dict.fromkeys(str(w.message) for w in caught))
                rows.append(row)
                guesses_of[name, population] = guesses
                if _progress is not None:
                    _progress.step(f"{name} on {population}")
                if scores is not None:
                    scores_of[name, population] = scores
                column_truths[attack.layout_.sensitive, population] = truth
                fit_cost.clear()  # the fit is counted once, on the first population
    run = AttackRun(
        pd.DataFrame(rows, columns=RESULT_COLUMNS),
        fitted,
        baselines,
        uses_label=y_aux is not None,
        baseline_keys=baseline_keys,
        guesses=guesses_of,
        scores=scores_of,
        truths=_first_column_truths(column_truths),
        scoring=scoring,
        column_truths=column_truths,
    )
    _fill_family_columns(run.table, run.family_intervals())
    return run


def _choose_baselines(fitted, baselines, X_aux, y_aux, seed):
    """The baseline of each fitted attack, registered in ``baselines``; returns their keys.

    An attack that holds the imputer it uses as a prior or fallback is compared with that very
    imputer. An attack seeded with an integer gets a baseline seeded alike (within a run, one
    fit with every imputer seeded alike). An unseeded attack that holds no imputer is compared
    with a baseline the run already has for its column (any imputation baseline serves it
    equally), else with one seeded with ``seed``: one imputation row per population.
    """
    uses_label = y_aux is not None
    keys = {}

    def register(name, attack, baseline):
        key = _baseline_key(attack, baseline, uses_label)
        baselines.setdefault(key, (baseline, {}))
        keys[name] = key

    holders = {
        name: attack
        for name, attack in fitted.items()
        if getattr(attack, "imputer_", None) is not None
        and attack.imputer_.uses_label_ == uses_label
    }
    for name, attack in holders.items():
        register(name, attack, attack.imputer_)
    for name, attack in fitted.items():
        if name in holders:
            continue
        if _baseline_seed(attack) is None:
            column = _column_key(attack, uses_label)
            existing = [key for key in baselines if key[:-1] == column]
            if existing:
                keys[name] = existing[0]
                continue
        register(name, attack, _fit_baseline(attack, X_aux, y_aux, seed))
    return {name: keys[name] for name in fitted}


def _first_column_truths(column_truths):
    """``{population: truth}`` of the first column in ``{(column, population): truth}``."""
    first = next(iter(column_truths), (None, None))[0]
    return {p: truth for (column, p), truth in column_truths.items() if column == first}


def _guesses_and_scores(attack, X, y):
    """An attack's guesses, and its (n, k) candidate scores when it has them (a categorical
    attribute), from one scoring pass."""
    if attack.sensitive_kind_ == "categorical" and hasattr(attack, "_attack_with_scores"):
        return attack._attack_with_scores(X, y)
    return attack.attack(X, y).to_numpy(), None


def default_tail_value(attack):
    """The value whose tail risk is reported by default: the rarest candidate in the
    auxiliary data (the one an attacker singling people out is most likely after)."""
    return attack.candidates_[int(np.argmin(attack.prior_))]


def tail_risk(run, value=None, ks=TAIL_KS):
    """Tail risk of a run: how often each attack is right on the targets it is surest about.

    For each population and attack on a categorical attribute, the precision of the attack's
    ``k`` most confident inferences that a target holds ``value`` (its score for that value),
    with a Wilson interval, against the imputation baseline's own ``k`` most confident
    (:func:`~tabinvert.metrics.tail_risk_table`). An average advantage near 0 can hide a few
    people the model lets an attacker single out; this shows them.

    Parameters
    ----------
    run : AttackRun
    value : object, default=None
        The sensitive value; default: the rarest candidate in the auxiliary data.
    ks : sequence of int or float, default=(10, 100, 0.01)
        Numbers of targets, or shares of them.

    Returns
    -------
    DataFrame
        ``sensitive``, ``population``, ``value``, then the columns of
        :func:`~tabinvert.metrics.tail_risk_table` (``attack``, ``k``, ``precision``,
        ``ci_low``, ``ci_high``, ``baseline_precision``, ``difference``, ...).
    """
    parts = []
    for (sensitive, population), truth in run.column_truths.items():
        by_baseline = {}
        for name, attack in run.attacks.items():
            if (name, population) not in run.scores or attack.layout_.sensitive != sensitive:
                continue
            by_baseline.setdefault(run.baseline_keys[name], []).append(name)
        for key, names in by_baseline.items():
            baseline_scores = run.baselines[key][1][population][2]
            first = run.attacks[names[0]]
            chosen = default_tail_value(first) if value is None else value
            if chosen not in list(first.candidates_):
                raise ValueError(
                    f"value={chosen!r} is not a candidate value of {first.layout_.sensitive!r} "
                    f"(candidates: {list(first.candidates_)[:10]}); pass one of them."
                )
            column = list(first.candidates_).index(chosen)
            table = tail_risk_table(
                truth,
                {name: run.scores[name, population][:, column] for name in names},
                baseline_scores[:, column],
                chosen,
                ks,
                confidence=run.scoring.confidence,
            )
            table.insert(0, "value", [chosen] * len(table))
            table.insert(0, "population", population)
            table.insert(0, "sensitive", first.layout_.sensitive)
            parts.append(table)
    if not parts:
        return pd.DataFrame(columns=["sensitive", "population", "value", "attack", "k"])
    return pd.concat(parts, ignore_index=True)


def family_intervals(run, names):
    """Simultaneous intervals over a family of attacks of one run, per population.

    The verdict on an attribute is the best of several attacks, so each attack's own interval
    overstates the evidence. These intervals come from one paired bootstrap shared by the
    attacks of the family (studentised maximum,
    :func:`~tabinvert.metrics.simultaneous_advantage_intervals`): "some lower bound is above 0"
    keeps the run's false-alarm rate. Attacks compared with different baselines form separate
    families, each at a Bonferroni share of the error rate.

    Parameters
    ----------
    run : AttackRun
    names : list of str
        The attacks of the family.

    Returns
    -------
    DataFrame
        ``attack``, ``population``, ``ci_low``, ``ci_high``, ``critical_value``,
        ``family_size``.
    """
    columns = ["attack", "population", "ci_low", "ci_high", "critical_value", "family_size"]
    scoring = run.scoring
    if scoring is None or not names:
        return pd.DataFrame(columns=columns)
    groups = {}
    for name in names:
        groups.setdefault(run.baseline_keys[name], []).append(name)
    error = (1 - scoring.confidence) / len(groups)
    parts = []
    for key, members in groups.items():
        baseline, baseline_guesses = run.baselines[key]
        kind = key[1]
        metric = scoring.metric or ("accuracy" if kind == "categorical" else "mae")
        for (sensitive, population), truth in run.column_truths.items():
            if sensitive != key[0]:  # the family's column (the baseline key's first part)
                continue
            present = [n for n in members if (n, population) in run.guesses]
            if not present or population not in baseline_guesses:
                continue
            table = simultaneous_advantage_intervals(
                truth,
                {n: run.guesses[n, population] for n in present},
                baseline_guesses[population][0],
                metric=metric,
                n_resamples=scoring.n_resamples,
                confidence=1 - error,
                random_state=scoring.seed,
            )
            table["population"] = population
            table["family_size"] = len(names)
            parts.append(table[columns])
    if not parts:
        return pd.DataFrame(columns=columns)
    return pd.concat(parts, ignore_index=True)


def _fill_family_columns(table, intervals):
    """Write the family-wise interval of each attack row into ``table`` (in place)."""
    if intervals.empty:
        return
    keyed = intervals.set_index(["attack", "population"]).sort_index()
    for position, row in table.iterrows():
        key = (row["attack"], row["population"])
        if key in keyed.index:
            table.at[position, "advantage_ci_low_family"] = keyed.at[key, "ci_low"]
            table.at[position, "advantage_ci_high_family"] = keyed.at[key, "ci_high"]


class _Meter:
    """Seconds and rows actually sent to models while the ``with`` block runs."""

    def __init__(self, cache):
        self.cache = cache

    def __enter__(self):
        self._start, self._sent = time.perf_counter(), self.cache.rows_sent
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self._start
        self.rows_sent = self.cache.rows_sent - self._sent
        return False

    def clear(self):
        self.seconds = self.rows_sent = 0


def _fit_baseline(attack, X_aux, y_aux, seed):
    """The imputation baseline an attack is compared with: the imputer it holds, or one fitted
    as it would fit one (the model's columns, its candidates, its seed or else ``seed``)."""
    imputer = getattr(attack, "imputer_", None)
    if imputer is not None and imputer.uses_label_ == (y_aux is not None):
        return imputer
    own = _baseline_seed(attack)
    return fit_imputer_like_baseline(attack, X_aux, y_aux, seed if own is None else own)


def _baseline_guesses(baseline, X, y):
    """The baseline's guesses on one population, the seconds they took, and its candidate
    scores (None for a numeric attribute)."""
    start = time.perf_counter()
    guesses, scores = _guesses_and_scores(baseline, X, y if baseline.uses_label_ else None)
    return guesses, time.perf_counter() - start, scores


@dataclass
class _Scoring:
    """How every row of one run is scored: the metric, the intervals, the bootstrap seed."""

    metric: object
    confidence: float
    n_resamples: int
    seed: int

    def row(
        self, name, access, population, attack, truth, guesses, baseline_guesses, seconds, cost
    ):
        kind = attack.sensitive_kind_
        metric = self.metric or ("accuracy" if kind == "categorical" else "mae")
        return _row(
            name,
            access,
            population,
            attack.layout_.sensitive,
            metric,
            kind,
            truth,
            guesses,
            baseline_guesses,
            seconds,
            cost,
            self.confidence,
            self.n_resamples,
            self.seed,
        )


def _row(
    name,
    access,
    population,
    sensitive,
    metric,
    kind,
    truth,
    guesses,
    baseline_guesses,
    seconds,
    cost,
    confidence,
    n_resamples,
    seed,
):
    score = _one_inference_score(truth, guesses, metric, kind=kind)  # the one reported
    low = high = np.nan
    if metric == "accuracy":
        rate = success_rate(truth, guesses, confidence=confidence)
        low, high = rate.ci_low, rate.ci_high
    advantage = adv_low = adv_high = np.nan
    verdict = "(baseline)"
    baseline_score = score
    if baseline_guesses is not None:
        result = advantage_over_baseline(
            truth,
            guesses,
            baseline_guesses,
            metric=metric,
            n_resamples=n_resamples,
            confidence=confidence,
            random_state=int(seed),
        )
        advantage, adv_low, adv_high = result.advantage, result.ci_low, result.ci_high
        baseline_score = result.baseline_score
        verdict = advantage_verdict(result)
    return [
        name,
        access,
        population,
        sensitive,
        metric,
        score,
        low,
        high,
        baseline_score,
        advantage,
        adv_low,
        adv_high,
        np.nan,  # the family-wise interval, filled once every attack of the run is scored
        np.nan,
        verdict,
        len(truth),
        cost[0],
        cost[1],
        cost[2],
        seconds,
        "",
    ]


DEFENSE_COLUMNS = [
    "defense",
    "keeps_argmax",
    "keeps_row_sums",
    "utility_metric",
    "utility",
    "utility_change",
    "log_loss",
]


def _defense_name(defense):
    if defense is None:
        return "none"
    if isinstance(defense, Pipeline):
        return " → ".join(_defense_name(step) for _, step in defense.steps)
    changed = {
        k: v
        for k, v in defense.get_params(deep=False).items()
        if not callable(v) and v != _default_param(type(defense), k)
    }
    args = ", ".join(f"{k}={v!r}" for k, v in changed.items())
    return f"{type(defense).__name__}({args})"


def _default_param(cls, name):
    import inspect

    parameter = inspect.signature(cls.__init__).parameters.get(name)
    return None if parameter is None else parameter.default


def defense_guarantees(defense):
    """Whether a defense (or a Pipeline of them) keeps row sums and the arg-max.

    A Pipeline keeps a promise only if its last step does (row sums) or every step does
    (arg-max); an unknown transformer promises nothing.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from tabinvert.defenses import GaussianNoise, LabelOnly, RoundProbabilities
    >>> from tabinvert.evaluation import defense_guarantees
    >>> defense_guarantees(LabelOnly())
    {'keeps_argmax': True, 'keeps_row_sums': True}
    >>> defense_guarantees(make_pipeline(GaussianNoise(0.1), RoundProbabilities(1)))
    {'keeps_argmax': False, 'keeps_row_sums': False}
    """
    if defense is None:
        return {"keeps_argmax": True, "keeps_row_sums": True}
    if isinstance(defense, Pipeline):
        steps = [defense_guarantees(step) for _, step in defense.steps]
        return {
            "keeps_argmax": all(s["keeps_argmax"] for s in steps),
            "keeps_row_sums": steps[-1]["keeps_row_sums"],
        }
    return {
        "keeps_argmax": bool(getattr(defense, "keeps_argmax", False)),
        "keeps_row_sums": bool(getattr(defense, "keeps_row_sums", False)),
    }


def _utility(model, X_test, y_test, utility):
    """(metric name, value, log-loss or NaN) of a (defended) model on held-out data."""
    if callable(utility):
        name = getattr(utility, "__name__", "utility")
        value = utility(model, X_test, y_test)
        try:
            value = float(value)
        except (TypeError, ValueError):
            raise TypeError(
                f"utility={name} returned {_describe(value)}; a utility callable "
                "(model, X_test, y_test) must return one number."
            ) from None
        return name, value, np.nan
    if model_is_classifier(model):
        name = utility or "accuracy"
        predicted = model.predict(X_test)
        value = {
            "accuracy": lambda: accuracy_score(y_test, predicted),
            "balanced_accuracy": lambda: balanced_accuracy_score(y_test, predicted),
        }.get(name)
        if value is None:
            raise ValueError(
                f"utility={name!r} is not known for a classifier; use 'accuracy', "
                "'balanced_accuracy' or a callable (model, X, y) -> float."
            )
        proba = np.asarray(model.predict_proba(X_test), dtype=float)
        # Defended rows need not sum to 1: score the renormalised probabilities, with rows the
        # defense zeroed out counted as uniform and probabilities floored at 1e-15.
        sums = proba.sum(axis=1, keepdims=True)
        proba = np.where(sums > 0, proba / np.where(sums > 0, sums, 1), 1 / proba.shape[1])
        columns = class_positions(np.asarray(model.classes_), np.asarray(y_test))
        loss = float(-np.log(np.clip(proba[np.arange(len(columns)), columns], 1e-15, None)).mean())
        return name, float(value()), loss
    name = utility or "r2"
    predicted = model.predict(X_test)
    scorers = {"r2": r2_score, "mae": mean_absolute_error}
    if name not in scorers:
        raise ValueError(
            f"utility={name!r} is not known for a regressor; use 'r2', 'mae' or a "
            "callable (model, X, y) -> float."
        )
    return name, float(scorers[name](y_test, predicted)), np.nan


def _defend(model, defense, X_fit, y_fit):
    if defense is None:
        return model
    wrapper = DefendedClassifier if model_is_classifier(model) else DefendedRegressor
    return wrapper(FrozenEstimator(model), defense).fit(X_fit, y_fit)


def evaluate_defenses(
    model,
    defenses,
    X_aux,
    y_aux=None,
    *,
    targets,
    X_test,
    y_test,
    attacks=None,
    sensitive=None,
    models=None,
    dp_epsilons=None,
    utility=None,
    add_label_only=True,
    metric=None,
    n_resamples=1000,
    confidence=0.95,
    random_state=None,
    _undefended_rows=None,
    _progress=None,
):
    """The privacy–utility sweep: run attacks against a model under each defense.

    Each defense is put in front of the fitted ``model`` with :class:`DefendedClassifier` /
    :class:`DefendedRegressor`; each alternative model in ``models`` (e.g. a more regularised
    one: training-time defenses are compared this way) is attacked as it is. For each, the
    function measures utility on held-out data and runs every attack on every target population
    against the imputation baseline (:func:`evaluate_attacks`). The undefended model is always
    the first row group, as the reference.

    A label-only attacker is always included (``add_label_only``): defenses that keep the
    arg-max cannot stop it, and a sweep without it would overstate what they buy.

    The imputation baseline never queries the model, so it is the same for every defense: it
    is fitted once per sensitive attribute and its guesses are reused, and every row's
    ``baseline_score`` and advantage compare with the very same baseline.

    Parameters
    ----------
    model : fitted classifier or regressor
        The deployed model.
    defenses : list or dict of transformers
        Output defenses (a dict gives their names; in a list, a repeated name gets primes);
        ``None`` entries mean "undefended". The name "none" is the undefended model's. A
        prediction defense (:class:`~tabinvert.defenses.RoundPredictions`,
        :class:`~tabinvert.defenses.NoisePredictions`) in front of a classifier, or a
        probability defense in front of a regressor, is refused.
    X_aux, y_aux : DataFrame or ndarray, array-like
        The attacker's auxiliary records (with the sensitive column) and their labels.
    targets : dict of str to (X, y)
        Target populations, as in :func:`evaluate_attacks`.
    X_test, y_test : DataFrame or ndarray, array-like
        Held-out data for the utility.
    attacks : list of attacks, default=None
        Attacks to run (their ``estimator`` is replaced by each defended model). Default: for
        each ``sensitive`` column, the black-box attacks of :func:`default_attacks` (those
        ``assess`` runs: MAP, CSMIA, LOMIA and MAP with the imputation prior for a classifier,
        MAP for a regressor). White-box
        attacks (:func:`is_white_box`) read the model's internals, which an output defense does
        not change: they are refused when ``defenses`` has any defense (they may be run with
        ``models`` alone).
    sensitive : str or list of str, default=None
        The sensitive column(s), needed when ``attacks`` is None.
    models : dict of str to fitted model, default=None
        Alternative models (training-time defenses), attacked undefended; their names must
        differ from the defenses' and from "none".
    dp_epsilons : list of float, default=None
        Privacy budgets, e.g. ``(0.5, 1, 2, 4, 8)``: differentially private counterparts of
        ``model``'s family (:func:`~tabinvert.dp.private_counterparts`, ``pip install
        "tabinvert[dp]"``) are trained on ``targets["members"]`` (the model's training
        records) at each ε, seeded by ``random_state``, and attacked as alternative models.
    utility : str or callable, default=None
        "accuracy" (default) or "balanced_accuracy" for classifiers, "r2" (default) or "mae" for
        regressors, or ``callable(model, X_test, y_test) -> float``. Classifiers also get the
        log-loss of their (renormalised) defended probabilities.
    add_label_only : bool, default=True
        Add a :class:`LabelOnlyInversion` per sensitive column when ``attacks`` has none
        (classifiers only).
    metric, n_resamples, confidence : see :func:`evaluate_attacks`.
    random_state : int, RandomState instance or None, default=None
        Seeds the default attacks' tie-breaking, the baseline and the bootstrap; the same seeds
        are used for every defense, so rows differ only by the defense. An int is used as-is,
        as :func:`evaluate_attacks` uses it: the undefended (``"none"``) rows then equal the
        rows of ``evaluate_attacks`` with the same attacks, data and ``random_state`` (the
        ``seconds`` aside). A RandomState instance or None draws one seed.

    Returns
    -------
    DataFrame
        One row per (defense, attack, sensitive attribute, population): ``DEFENSE_COLUMNS``
        (``utility_change`` is relative to the undefended model) followed by the columns of
        :func:`evaluate_attacks` (the baseline's own rows are left out; its score is in
        ``baseline_score``).

    See Also
    --------
    privacy_utility_frontier : the defenses no other defense beats on both axes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.tree import DecisionTreeClassifier
    >>> from tabinvert.defenses import LabelOnly, RoundProbabilities
    >>> from tabinvert.evaluation import evaluate_defenses
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"known": rng.integers(0, 4, 800), "secret": rng.integers(0, 2, 800)})
    >>> y = (X["known"] + X["secret"]) % 3
    >>> model = DecisionTreeClassifier(random_state=0).fit(X[:400], y[:400])
    >>> table = evaluate_defenses(
    ...     model, {"round to 0.5": RoundProbabilities(step=0.5), "label only": LabelOnly()},
    ...     X[400:600], y[400:600], targets={"members": (X[:400], y[:400])},
    ...     X_test=X[600:], y_test=y[600:], sensitive="secret", random_state=0)
    >>> print(table[["defense", "attack", "utility", "score"]].round(2).to_string())
             defense                  attack  utility  score
    0           none                     MAP      1.0    1.0
    1           none                   CSMIA      1.0    1.0
    2           none                   LOMIA      1.0    1.0
    3           none  MAP (imputation prior)      1.0    1.0
    4   round to 0.5                     MAP      1.0    1.0
    5   round to 0.5                   CSMIA      1.0    1.0
    6   round to 0.5                   LOMIA      1.0    1.0
    7   round to 0.5  MAP (imputation prior)      1.0    1.0
    8     label only                     MAP      1.0    1.0
    9     label only                   CSMIA      1.0    1.0
    10    label only                   LOMIA      1.0    1.0
    11    label only  MAP (imputation prior)      1.0    1.0
    """
    _check_shared(
        "evaluate_defenses",
        metric=metric,
        n_resamples=n_resamples,
        confidence=confidence,
        random_state=random_state,
    )
    _check_targets(targets)
    if attacks is not None:
        _check_attacks(attacks)
    _check_test_data(X_test, y_test)
    if not callable(getattr(model, "predict", None)):
        raise TypeError(
            f"model must be a fitted classifier or regressor (with predict); got "
            f"{_describe(model)}."
        )
    check_model_fitted(model)
    if isinstance(random_state, Integral) and not isinstance(random_state, bool):
        seed = int(random_state)  # as-is: the "none" rows repeat evaluate_attacks' exactly
    else:
        seed = int(check_random_state(random_state).randint(np.iinfo(np.int32).max))
    if dp_epsilons:
        models = dict(models or {}, **_dp_counterparts(model, targets, dp_epsilons, models, seed))
    candidates = _sweep_candidates(model, defenses, models)
    attacks = _sweep_attacks(model, attacks, sensitive, add_label_only, seed, X_aux)
    for name, attack in attacks.items():
        _validate_estimator(attack, f"attack {name!r}")
    white_box = [name for name, attack in attacks.items() if is_white_box(attack)]
    if white_box and any(defense is not None for _, defense in candidates.values()):
        raise ValueError(
            f"{', '.join(white_box)} read(s) the model's internals, which an output defense in "
            "front of the model does not change: sweep output defenses with black-box attacks "
            "only (compare training-time defenses, i.e. other models, with models={...})."
        )

    undefended_rows = _undefended_rows or {}
    X_fit = X_test.iloc[:2] if hasattr(X_test, "iloc") else np.asarray(X_test)[:2]
    y_fit = np.asarray(y_test)[:2]
    with run_cache():  # each grid asked once; a defense is applied to the remembered answers
        tables = []
        reference_utility = None
        baselines = {}  # the imputation baseline never queries the model: fitted once, reused
        undefended = {}  # the rows of each attack on the undefended model
        labels_follow_argmax = _labels_follow_argmax(model, X_test)
        for name, (base_model, defense) in candidates.items():
            served = _defend(base_model, defense, X_fit, y_fit)
            utility_name, utility_value, loss = _utility(served, X_test, y_test, utility)
            if reference_utility is None:
                reference_utility = utility_value
            promises = defense_guarantees(defense)
            if base_model is not model:  # another model: no promise about the model's answers
                promises = {"keeps_argmax": None, "keeps_row_sums": None}
            reused, to_run = {}, {}
            for attack_name, attack in attacks.items():
                if base_model is model and defense is None and attack_name in undefended_rows:
                    reused[attack_name] = undefended_rows[attack_name]  # the caller's own run
                elif (
                    base_model is model
                    and promises["keeps_argmax"]
                    and labels_follow_argmax
                    and capabilities_of(attack).access == "labels"
                    and attack_name in undefended
                ):
                    # The served labels are the model's own (the defense keeps the arg-max, and
                    # the model predicts its arg-max), so a label-only attack reads exactly what
                    # it read undefended: its rows are those rows.
                    reused[attack_name] = undefended[attack_name].assign(
                        notes="the defense keeps the arg-max: the labels, and so these rows, are "
                        "the undefended model's"
                    )
                else:
                    to_run[attack_name] = clone(attack).set_params(estimator=served)
            if _progress is not None:
                _progress.expect(len(to_run) * len(targets))
                _progress.stage(f"defense {name}: {len(to_run)} attack(s) to run")
            table = (
                run_attacks(
                    to_run,
                    X_aux,
                    y_aux,
                    targets=targets,
                    metric=metric,
                    n_resamples=n_resamples,
                    confidence=confidence,
                    random_state=seed,
                    baselines=baselines,
                    _progress=_progress,
                ).table
                if to_run
                else pd.DataFrame(columns=RESULT_COLUMNS)
            )
            table = table[table["attack"] != "imputation"]
            parts = [table] + [rows for rows in reused.values()]
            order = {attack_name: i for i, attack_name in enumerate(attacks)}
            table = pd.concat([p for p in parts if len(p)], ignore_index=True)
            table = table.sort_values("attack", key=lambda s: s.map(order), kind="stable")
            table = table.reset_index(drop=True)
            if base_model is model and defense is None:
                undefended = {a: rows for a, rows in table.groupby("attack", sort=False)}
            head = pd.DataFrame(
                {
                    "defense": name,
                    "keeps_argmax": promises["keeps_argmax"],
                    "keeps_row_sums": promises["keeps_row_sums"],
                    "utility_metric": utility_name,
                    "utility": utility_value,
                    "utility_change": utility_value - reference_utility,
                    "log_loss": loss,
                },
                index=table.index,
            )
            tables.append(pd.concat([head, table], axis=1))
        return pd.concat(tables, ignore_index=True)


def _dp_counterparts(model, targets, dp_epsilons, models, seed):
    """DP counterparts of ``model`` trained on the members, by name; a name ``models``
    already uses, or no members, is refused before any training."""
    from .dp import counterpart_names, private_counterparts
    from .dp._counterparts import check_epsilons

    epsilons = check_epsilons(dp_epsilons, "dp_epsilons")
    if "members" not in targets:
        raise ValueError(
            "dp_epsilons trains DP counterparts on the model's training records: pass them "
            "as targets['members']."
        )
    clash = sorted(set(models or {}) & set(counterpart_names(model, epsilons)))
    if clash:
        raise ValueError(
            f"models= uses the name(s) {clash}, which the DP counterparts take; give those "
            "models other names."
        )
    X, y = targets["members"]
    return private_counterparts(model, X, y, epsilons, random_state=seed)


def _labels_follow_argmax(model, X_test):
    """Whether ``model.predict`` is the arg-max of its ``predict_proba`` on the held-out
    records (true of scikit-learn's probabilistic classifiers; a label-only attacker then
    reads the same labels through any arg-max-preserving defense)."""
    if not (model_is_classifier(model) and hasattr(model, "predict_proba")):
        return False
    classes = np.asarray(model.classes_)
    proba = np.asarray(model.predict_proba(X_test))
    return bool(np.array_equal(np.asarray(model.predict(X_test)), classes[proba.argmax(axis=1)]))


def _check_test_data(X_test, y_test):
    """Held-out data for the utility: one label per record, at least one record."""
    for name, values in (("X_test", X_test), ("y_test", y_test)):
        if values is None or not hasattr(values, "__len__") or isinstance(values, str):
            raise TypeError(
                f"{name} must be array-like (held-out data for the utility); got "
                f"{_describe(values)}."
            )
    if len(X_test) == 0:
        raise ValueError("X_test is empty: the utility of each defense needs held-out records.")
    if len(y_test) != len(X_test):
        raise ValueError(
            f"y_test has {len(y_test)} labels but X_test has {len(X_test)} records; pass one "
            "label per held-out record."
        )


def _defense_kind_error(name, defense, model):
    """The error for a defense of the wrong kind for the model, or None."""
    steps = defense.steps if isinstance(defense, Pipeline) else [(None, defense)]
    is_classifier = model_is_classifier(model)
    for _, step in steps:
        if is_classifier and isinstance(step, _PredictionDefense):
            return ValueError(
                f"defenses[{name!r}] ({type(step).__name__}) perturbs a regressor's "
                f"predictions, but the model {type(model).__name__} is a classifier: its "
                "probabilities would leave the [0, 1] range. Use a probability defense "
                "(RoundProbabilities, GaussianNoise, ...)."
            )
        if not is_classifier and isinstance(step, _ProbabilityDefense):
            return ValueError(
                f"defenses[{name!r}] ({type(step).__name__}) perturbs class probabilities, but "
                f"the model {type(model).__name__} is a regressor: its predictions would be "
                "clipped or refused. Use RoundPredictions or NoisePredictions."
            )
    return None


def _sweep_candidates(model, defenses, models):
    """The models of a sweep by name: ``{name: (model, defense or None)}``, "none" first.

    Refuses what would otherwise be dropped or overwritten without a word: a defense or
    alternative model named "none" (the undefended model's name), and a name used twice.
    Repeated names of a list's defenses get primes, as attacks do.
    """
    if defenses is None:
        raise TypeError(
            "defenses must be a list or dict of output defenses (use [] to compare models "
            "only); got None."
        )
    items = _as_named(defenses, "defenses", "e.g. [RoundProbabilities(decimals=1)]")
    named = {}
    for key, defense in items:
        if defense is not None and not (hasattr(defense, "fit") and hasattr(defense, "transform")):
            raise TypeError(
                f"defenses[{key!r}] is {_describe(defense)}, not an output defense: a defense "
                "is a transformer (fit and transform) such as RoundProbabilities(), or None "
                "for the undefended model."
            )
        if isinstance(defenses, Mapping):
            name = key
            if name == "none" and defense is not None:
                raise ValueError(
                    f"defenses['none'] is {type(defense).__name__}, but 'none' names the "
                    "undefended model in the sweep; give the defense another name."
                )
        else:
            name = _defense_name(defense)
            while name in named:
                name += "′"
        if defense is None:
            continue  # the undefended model is always the first row group
        error = _defense_kind_error(name, defense, model)
        if error is not None:
            raise error
        _validate_estimator(defense, f"defense {name!r}")
        named[name] = defense
    candidates = {"none": (model, None)}
    candidates.update({name: (model, defense) for name, defense in named.items()})
    if models is not None and not isinstance(models, Mapping):
        raise TypeError(f"models must be a dict of name -> fitted model; got {_describe(models)}.")
    for name, alternative in (models or {}).items():
        if name in candidates:
            what = "the undefended model" if name == "none" else "a defense"
            raise ValueError(
                f"models[{name!r}]: the name {name!r} is already used by {what}; give each "
                "model and defense its own name."
            )
        if not callable(getattr(alternative, "predict", None)):
            raise TypeError(
                f"models[{name!r}] is {_describe(alternative)}, not a fitted model with predict."
            )
        candidates[name] = (alternative, None)
    return candidates


def explanation_attacks(explainer, sensitive, *, random_state=None, candidates="auto"):
    """The attacks on an explanation service that ``assess(explainer=...)`` adds: matching the
    victim's explanation against each candidate's, and an attack model learned on auxiliary
    explanations (Duddu & Boutet), each victim's explanation taken as the service gives it for
    the victim's own record.

    Parameters
    ----------
    explainer : explainer of :mod:`tabinvert.explain`
    sensitive : str or int
        The sensitive column.
    random_state : int, default=None
    candidates : "auto" or array-like, default="auto"

    Returns
    -------
    list of attacks

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.evaluation import attack_name, explanation_attacks
    >>> from tabinvert.explain import LinearContributions
    >>> model = LogisticRegression().fit([[0, 0], [1, 1], [0, 1], [1, 0]], [0, 1, 1, 0])
    >>> [attack_name(a) for a in explanation_attacks(LinearContributions(model), 1)]
    ['explanation match', 'explanation learned']
    """
    common = dict(victim_explanations="served", random_state=random_state, candidates=candidates)
    return [
        ExplanationInversion(explainer, sensitive, method="match", **common),
        ExplanationInversion(explainer, sensitive, method="learned", **common),
    ]


def default_attacks(
    model, sensitive, kind, *, random_state=None, n_jobs=None, white_box=True, candidates="auto"
):
    """The attacks that fit the model and the attribute: the one policy of ``assess`` and of
    a defense sweep without attacks.

    A regressor: MAP. A classifier with probabilities: MAP, CSMIA, the label-only attack
    (LOMIA) and, for a categorical attribute, MAP with the imputation prior; with labels only:
    MAP on the confusion matrix (FJRMIA) and LOMIA. With ``white_box``, the white-box tree
    attack too, for a categorical attribute of a tree model whose trees can be read (not one
    served through a defense or a query budget: that is a black box, whatever is inside).

    Parameters
    ----------
    model : fitted estimator
    sensitive : str or int
        The sensitive column.
    kind : {"categorical", "numeric"}
    random_state : int, default=None
    n_jobs : int, default=None
    white_box : bool, default=True
    candidates : "auto" or array-like, default="auto"
        The candidate values every attack tries.

    Returns
    -------
    list of attacks

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from tabinvert.evaluation import attack_name, default_attacks
    >>> model = LogisticRegression().fit([[0, 0], [1, 1], [0, 1], [1, 0]], [0, 1, 1, 0])
    >>> [attack_name(a) for a in default_attacks(model, 1, "categorical")]
    ['MAP', 'CSMIA', 'LOMIA', 'MAP (imputation prior)']
    """
    common = dict(random_state=random_state, n_jobs=n_jobs, candidates=candidates)
    if not model_is_classifier(model):
        attacks = [ConfidenceInversion(model, sensitive, **common)]
    elif not hasattr(model, "predict_proba"):
        attacks = [
            ConfidenceInversion(model, sensitive, likelihood="confusion", **common),
            LabelOnlyInversion(model, sensitive, **common),
        ]
    else:
        attacks = [
            ConfidenceInversion(model, sensitive, **common),
            ConfidenceInversion(model, sensitive, method="csmia", **common),
            LabelOnlyInversion(model, sensitive, **common),
        ]
        if kind == "categorical":
            attacks.append(ConfidenceInversion(model, sensitive, prior="imputation", **common))
    if white_box and kind == "categorical" and _readable_trees(model):
        attacks.append(WhiteBoxTreeInversion(model, sensitive, **common))
    return attacks


def _readable_trees(model):
    """Whether a white-box attacker can read the model's trees: a supported tree model (or a
    Pipeline ending in one), and *not* served through a wrapper (a defense or a query budget
    makes it a black box to the attacker, whatever is inside)."""
    if is_wrapped(model):
        return False
    try:
        split_tree_model(model)
    except TypeError:
        return False
    return True


def _sweep_attacks(model, attacks, sensitive, add_label_only, seed, X_aux=None):
    """The attacks of a sweep, by name, with a label-only attacker for every sensitive column."""
    is_classifier = model_is_classifier(model)
    if attacks is None:
        if sensitive is None:
            raise ValueError(
                "Pass the attacks to run, or the sensitive column(s) to attack "
                "with the default attacks (sensitive=...)."
            )
        columns = [sensitive] if isinstance(sensitive, (str, int, np.integer)) else list(sensitive)
        if not columns:
            raise ValueError("sensitive is empty: name at least one sensitive column to attack.")
        attacks = []
        for column in columns:  # the assessment's black-box attacks
            kind = (
                "categorical"
                if X_aux is None
                or not isinstance(X_aux, pd.DataFrame)
                or column not in X_aux.columns
                else sensitive_kind(X_aux[column].to_numpy(), "auto")
            )
            attacks.extend(default_attacks(model, column, kind, random_state=seed, white_box=False))
    attacks = list(attacks.values()) if isinstance(attacks, dict) else list(attacks)
    if add_label_only and is_classifier:
        covered = {a.sensitive for a in attacks if isinstance(a, LabelOnlyInversion)}
        for column in dict.fromkeys(a.sensitive for a in attacks):
            if column not in covered:
                attacks.append(LabelOnlyInversion(model, column, random_state=seed))
    several = len({a.sensitive for a in attacks}) > 1
    return named_attacks(attacks, with_column=several)


def named_attacks(attacks, *, with_column=False):
    """Attacks by :func:`attack_name`; a repeated name gets primes (′), never replaces one.

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.evaluation import named_attacks
    >>> list(named_attacks([ConfidenceInversion(None, "sex"), ConfidenceInversion(None, "sex")]))
    ['MAP', 'MAP′']
    """
    names = {}
    for attack in attacks:
        name = attack_name(attack) + (f" [{attack.sensitive}]" if with_column else "")
        while name in names:
            name += "′"
        names[name] = attack
    return names


def privacy_utility_frontier(table, *, population="members", risk="advantage"):
    """The defenses no other defense beats on both utility and privacy risk.

    Each defense's risk is its worst case over the attacks and sensitive attributes of
    ``table`` (the output of :func:`evaluate_defenses`) on ``population``: the attacker picks
    the attack that works best. A defense is on the frontier when no other has at least its
    utility and at most its risk, with one of the two strictly better.

    Parameters
    ----------
    table : DataFrame
        Output of :func:`evaluate_defenses`.
    population : str, default="members"
        Which target population's risk counts.
    risk : str, default="advantage"
        Column to use as the risk (e.g. "advantage", "advantage_ci_high", "score"). For the
        numeric metrics where lower is better (MAE, RMSE), the advantage column is already
        oriented so that larger means more leakage.

    Returns
    -------
    DataFrame
        One row per defense: ``defense``, ``utility``, ``risk``, ``worst_attack``,
        ``on_frontier``; sorted by utility, best first.

    Examples
    --------
    >>> import pandas as pd
    >>> from tabinvert.evaluation import privacy_utility_frontier
    >>> table = pd.DataFrame({
    ...     "defense": ["none", "none", "round", "round", "noise", "noise"],
    ...     "attack": ["CSMIA", "LOMIA"] * 3, "population": "members",
    ...     "utility": [0.85, 0.85, 0.85, 0.85, 0.80, 0.80],
    ...     "advantage": [0.10, 0.05, 0.04, 0.05, 0.06, 0.02]})
    >>> print(privacy_utility_frontier(table).to_string())
      defense  utility  risk worst_attack  on_frontier
    0   round     0.85  0.05        LOMIA         True
    1    none     0.85  0.10        CSMIA        False
    2   noise     0.80  0.06        CSMIA        False
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(
            f"table must be the DataFrame returned by evaluate_defenses; got {_describe(table)}."
        )
    needed = ["defense", "attack", "population", "utility", risk]
    missing = [column for column in dict.fromkeys(needed) if column not in table.columns]
    if missing:
        raise ValueError(
            f"table has no column(s) {missing} (risk={risk!r}); pass the output of "
            f"evaluate_defenses, and a risk column among {list(table.columns)[:30]}."
        )
    rows = table[table["population"] == population]
    if rows.empty:
        raise ValueError(
            f"No rows for population {population!r}; the table has "
            f"{sorted(table['population'].unique())}."
        )
    # The worst case per defense; a defense whose risks are all undefined keeps one row, NaN.
    ordered = rows.assign(_risk=rows[risk].astype(float).fillna(-np.inf))
    worst = ordered.loc[ordered.groupby("defense", sort=False)["_risk"].idxmax()]
    summary = pd.DataFrame(
        {
            "defense": worst["defense"].to_numpy(),
            "utility": worst["utility"].to_numpy(dtype=float),
            "risk": worst[risk].to_numpy(dtype=float),
            "worst_attack": worst["attack"].to_numpy(),
        }
    )
    utility, risk_values = summary["utility"].to_numpy(), summary["risk"].to_numpy()
    dominated = (
        (utility[None, :] >= utility[:, None])
        & (risk_values[None, :] <= risk_values[:, None])
        & ((utility[None, :] > utility[:, None]) | (risk_values[None, :] < risk_values[:, None]))
    ).any(axis=1)
    summary["on_frontier"] = ~dominated
    return summary.sort_values(
        ["utility", "risk"], ascending=[False, True], kind="stable"
    ).reset_index(drop=True)


__all__ = [
    "RESULT_COLUMNS",
    "AttackRun",
    "attack_name",
    "default_attacks",
    "defense_guarantees",
    "evaluate_attacks",
    "evaluate_defenses",
    "family_intervals",
    "is_white_box",
    "named_attacks",
    "privacy_utility_frontier",
    "run_attacks",
    "tail_risk",
]

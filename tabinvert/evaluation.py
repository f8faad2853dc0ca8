"""Run attacks against target populations and measure them honestly against imputation."""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
from sklearn.base import clone
from sklearn.utils import check_random_state

from ._validation import true_sensitive
from .attacks import ConfidenceInversion, ImputationBaseline, LabelOnlyInversion
from .metrics import advantage_over_baseline, advantage_verdict, inference_scores, success_rate

RESULT_COLUMNS = [
    "attack", "population", "sensitive", "metric", "score", "score_ci_low", "score_ci_high",
    "baseline_score", "advantage", "advantage_ci_low", "advantage_ci_high", "verdict",
    "n_records", "query_rows", "query_calls", "seconds", "notes",
]


def attack_name(attack):
    """A short, readable name for an attack instance.

    Examples
    --------
    >>> from tabinvert.attacks import ConfidenceInversion
    >>> from tabinvert.evaluation import attack_name
    >>> attack_name(ConfidenceInversion(None, "sex", method="csmia"))
    'CSMIA'
    """
    if isinstance(attack, ConfidenceInversion):
        if attack.method == "csmia":
            return "CSMIA"
        if attack.likelihood == "confusion":
            return "MAP-confusion (FJRMIA)"
        return "MAP" if attack.prior == "marginal" else f"MAP ({attack.prior} prior)"
    if isinstance(attack, LabelOnlyInversion):
        return "LOMIA"
    if isinstance(attack, ImputationBaseline):
        return "imputation"
    return type(attack).__name__


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
        their names.
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

    Returns
    -------
    DataFrame
        One row per (attack, population) with the columns of ``RESULT_COLUMNS``; the baseline's
        own rows have attack ``"imputation"``. Warnings an attack raised while attacking (e.g.
        a label-only attack that found too few self-labelled targets) are kept in ``notes``.

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
    rng = check_random_state(random_state)
    seeds = rng.randint(np.iinfo(np.int32).max, size=2)
    if not isinstance(attacks, dict):
        attacks = {attack_name(a): a for a in attacks}
    rows = []
    baselines = {}
    for name, attack in attacks.items():
        attack = clone(attack)
        start = time.perf_counter()
        attack.fit(X_aux, y_aux)
        fit_seconds = time.perf_counter() - start
        kind = attack.sensitive_kind_
        chosen = metric or ("accuracy" if kind == "categorical" else "mae")
        key = (attack.layout_.sensitive, kind)
        if key not in baselines:
            baseline = ImputationBaseline(
                attack.layout_.sensitive,
                candidates=attack.candidates_ if kind == "categorical" else "auto",
                sensitive_type=kind,
                random_state=int(seeds[0]),
            ).fit(X_aux, y_aux)
            baselines[key] = (baseline, {})
        baseline, baseline_guesses = baselines[key]
        for population, (X, y) in targets.items():
            truth = true_sensitive(attack.layout_, X, name=f"targets[{population!r}]")
            if population not in baseline_guesses:
                start = time.perf_counter()
                guesses = baseline.attack(X, y if baseline.uses_label_ else None)
                baseline_guesses[population] = (guesses.to_numpy(), time.perf_counter() - start)
                rows.append(_row("imputation", population, attack.layout_.sensitive, chosen, kind,
                                 truth, guesses.to_numpy(), None, baseline_guesses[population][1],
                                 (0, 0), confidence, n_resamples, seeds[1]))
            start = time.perf_counter()
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                guesses = attack.attack(X, y).to_numpy()
            seconds = fit_seconds + time.perf_counter() - start
            cost = attack.fit_query_cost_ + attack.last_query_cost_
            rows.append(_row(name, population, attack.layout_.sensitive, chosen, kind, truth,
                             guesses, baseline_guesses[population][0], seconds,
                             (cost.rows, cost.calls), confidence, n_resamples, seeds[1]))
            rows[-1][-1] = " ".join(dict.fromkeys(str(w.message) for w in caught))
    return pd.DataFrame(rows, columns=RESULT_COLUMNS)


def _row(name, population, sensitive, metric, kind, truth, guesses, baseline_guesses, seconds,
         cost, confidence, n_resamples, seed):
    scores = inference_scores(truth, guesses, kind=kind)
    score = scores.get(metric, np.nan)
    low = high = np.nan
    if metric == "accuracy":
        rate = success_rate(truth, guesses, confidence=confidence)
        low, high = rate.ci_low, rate.ci_high
    advantage = adv_low = adv_high = np.nan
    verdict = "(baseline)"
    baseline_score = score
    if baseline_guesses is not None:
        result = advantage_over_baseline(
            truth, guesses, baseline_guesses, metric=metric, n_resamples=n_resamples,
            confidence=confidence, random_state=int(seed),
        )
        advantage, adv_low, adv_high = result.advantage, result.ci_low, result.ci_high
        baseline_score = result.baseline_score
        verdict = advantage_verdict(result)
    return [name, population, sensitive, metric, score, low, high, baseline_score, advantage,
            adv_low, adv_high, verdict, len(truth), cost[0], cost[1], seconds, ""]

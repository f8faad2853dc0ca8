"""Running the attacks of an assessment once (:func:`~tabinvert.evaluation.run_attacks`), and
the defense sweep that reuses the undefended rows."""

from __future__ import annotations


import numpy as np
import pandas as pd

from .._validation import (
    candidates_known_to_model,
    rows_with_unseen_categories,
    sensitive_kind,
)
from ..attacks._base import capabilities_of
from ..exceptions import ModelQueryError
from ..evaluation import (
    default_attacks,
    evaluate_defenses,
    explanation_attacks,
    is_white_box,
    named_attacks,
    run_attacks,
)


def _keep(X, y, mask):
    if mask.all():
        return X, y, 0
    return X[mask], None if y is None else np.asarray(y)[mask], int((~mask).sum())


def _records_with_value(column, X_aux, y_aux, targets):
    """The auxiliary and target records whose ``column`` holds a value (health data often
    lacks one for some people: they cannot be scored, so they are left out and counted)."""
    X_aux, y_aux, missing_aux = _keep(X_aux, y_aux, X_aux[column].notna().to_numpy())
    kept, missing = {}, {"aux": missing_aux}
    for population, (X, y) in targets.items():
        X, y, missing[population] = _keep(X, y, X[column].notna().to_numpy())
        kept[population] = (X, y)
    return X_aux, y_aux, kept, missing


def _records_the_model_can_answer(model, column, X_aux, y_aux, targets):
    """The records whose known features hold no category the model's encoders never saw
    (the model cannot answer about them), and, among the auxiliary records, none whose
    ``column`` does (the attacker's own queries would fail); with their counts."""
    known = [c for c in X_aux.columns if c != column]
    X_aux, y_aux, dropped_aux = _keep(
        X_aux, y_aux, ~rows_with_unseen_categories(model, X_aux, X_aux.columns)
    )
    kept, dropped = {}, {"aux": dropped_aux}
    for population, (X, y) in targets.items():
        X, y, dropped[population] = _keep(X, y, ~rows_with_unseen_categories(model, X, known))
        kept[population] = (X, y)
    return X_aux, y_aux, kept, dropped


def _run_attacks(
    model,
    attacks,
    sensitive,
    X_aux,
    y_aux,
    targets,
    seed,
    n_jobs,
    n_resamples,
    confidence,
    progress,
    white_box=True,
    candidates=None,
    explainer=None,
):
    """Choose the attacks of each sensitive column and run them once (:func:`run_attacks`).

    Returns the attacks by column and name, each column's :class:`AttackRun`, and what each
    column's run left out: ``{column: {"missing": {population: n}, "unseen": [values],
    "error": message or None}}``. Records with no value for the column are left out of its
    run; candidate values the model's encoder never saw are left out of the candidates (when
    not given in ``candidates``); a column whose run fails on its data is reported as failed
    and the other columns complete. Without ``white_box`` (an API-only assessment) no attack
    that reads the model's internals runs. With an ``explainer`` (what the API returns beside
    its answers), the explanation attacks join the automatic choice."""
    attack_sets, runs, left_out = {}, {}, {}
    candidates = dict(candidates or {})
    for column in sensitive:
        X_col, y_col, targets_col, missing = _records_with_value(column, X_aux, y_aux, targets)
        kind = sensitive_kind(X_col[column].to_numpy(), "auto")
        known, unseen = candidates_known_to_model(model, column, list(pd.unique(X_col[column])))
        X_col, y_col, targets_col, unanswerable = _records_the_model_can_answer(
            model, column, X_col, y_col, targets_col
        )
        left_out[column] = {
            "missing": missing,
            "unanswerable": unanswerable,
            # Left out of the candidates only when tabinvert chooses them.
            "unseen": unseen
            if kind == "categorical" and attacks == "auto" and column not in candidates
            else [],
            "error": None,
        }
        chosen_candidates = candidates.get(column, "auto")
        if left_out[column]["unseen"]:
            chosen_candidates = known
        if attacks == "auto":
            chosen = default_attacks(
                model,
                column,
                kind,
                random_state=seed,
                n_jobs=n_jobs,
                white_box=white_box,
                candidates=chosen_candidates,
            )
            if explainer is not None:
                chosen += explanation_attacks(
                    explainer, column, random_state=seed, candidates=chosen_candidates
                )
        else:
            chosen = [a for a in attacks if getattr(a, "sensitive", None) == column]
            if not white_box:
                chosen = [a for a in chosen if not is_white_box(a)]
            if not chosen:
                raise ValueError(
                    f"None of the attacks given attacks {column!r}; give each "
                    "sensitive column at least one attack, or attacks='auto'."
                )
        attack_sets[column] = named_attacks(chosen)
        progress.stage(f"{column!r}: {', '.join(attack_sets[column])} on {', '.join(targets)}")
        progress.expect(len(attack_sets[column]) * len(targets_col))
        try:
            runs[column] = run_attacks(
                attack_sets[column],
                X_col,
                y_col,
                targets=targets_col,
                n_resamples=n_resamples,
                confidence=confidence,
                random_state=seed,
                _progress=progress,
            )
        except (ValueError, TypeError, ModelQueryError) as exc:
            if len(sensitive) == 1:
                raise
            left_out[column]["error"] = f"{type(exc).__name__}: {exc}"
            del attack_sets[column]
            progress.stage(f"{column!r} failed: {exc}")
    if not runs:
        first = next(iter(left_out.values()))["error"]
        raise ValueError(f"Every sensitive column failed; the first: {first}")
    return attack_sets, runs, left_out


def _defense_sweep(
    model,
    defenses,
    attack_sets,
    runs,
    X_aux,
    y_aux,
    targets,
    X_out,
    y_out,
    sensitive,
    seed,
    n_resamples,
    confidence,
    progress,
    models=None,
):
    """The defense sweep over the black-box attacks of the main run (output defenses do not
    change what a white-box attacker reads), and over the alternative ``models``; its
    undefended rows are the main run's rows."""
    if X_out is None or y_out is None:
        raise ValueError(
            "Measuring defenses needs held-out data for their utility: pass "
            "X_holdout and y_holdout."
        )
    # Output defenses change the model's answers, not what a white-box attacker reads nor the
    # explanations the service returns: those attacks are swept by the explainer defenses.
    black_box = [
        (column, name, attack)
        for column, chosen in attack_sets.items()
        for name, attack in chosen.items()
        if not is_white_box(attack) and capabilities_of(attack).access != "explanations"
    ]
    sweep_attacks = [attack for _, _, attack in black_box] or None
    what = f"{len(sweep_attacks)} attack(s)" if sweep_attacks else "the default black-box attacks"
    progress.stage(
        f"defense sweep: {len(defenses)} defense(s) and {len(models or {})} alternative "
        f"model(s) × {what}"
    )
    undefended = {}
    if sweep_attacks:
        names = named_attacks(
            sweep_attacks, with_column=len({a.sensitive for a in sweep_attacks}) > 1
        )
        for sweep_name, (column, name, _) in zip(names, black_box):
            table = runs[column].table
            undefended[sweep_name] = table[table["attack"] == name].assign(attack=sweep_name)
    # The same int seed as the results: the sweep's "none" rows are the results' rows.
    return evaluate_defenses(
        model,
        defenses,
        X_aux,
        y_aux,
        targets=targets,
        X_test=X_out,
        y_test=y_out,
        attacks=sweep_attacks,
        sensitive=sensitive,
        models=models or None,
        n_resamples=n_resamples,
        confidence=confidence,
        random_state=seed,
        _undefended_rows=undefended,
        _progress=progress,
    )


def explainer_defense_name(defended):
    """A defended explainer's name in the tables: its class and every parameter that is set,
    without the explainer it wraps (``TopKContributions(k=3)``)."""
    shown = ", ".join(
        f"{key}={value!r}"
        for key, value in defended.get_params(deep=False).items()
        if key != "explainer" and not hasattr(value, "explain") and value is not None
    )
    return f"{type(defended).__name__}({shown})"


def _explanation_sweep(
    explainer,
    explainer_defenses,
    attack_sets,
    X_aux,
    y_aux,
    targets,
    seed,
    n_resamples,
    confidence,
    progress,
):
    """The explanation attacks of the main run, again under the explanations as served
    ("none") and under each defended explainer, on the same records and seed."""
    columns = [
        column
        for column, chosen in attack_sets.items()
        if any(capabilities_of(a).access == "explanations" for a in chosen.values())
    ]
    progress.stage(
        f"explanation defenses: {len(explainer_defenses)} defended explainer(s) × "
        f"{len(columns)} attribute(s)"
    )
    tables = []
    for name, served in [("none", explainer)] + [
        (explainer_defense_name(d), d) for d in explainer_defenses
    ]:
        for column in columns:
            main = next(
                a
                for a in attack_sets[column].values()
                if capabilities_of(a).access == "explanations"
            )
            X_col, y_col, targets_col, _ = _records_with_value(column, X_aux, y_aux, targets)
            attacks = named_attacks(
                explanation_attacks(served, column, random_state=seed, candidates=main.candidates)
            )
            table = run_attacks(
                attacks,
                X_col,
                y_col,
                targets=targets_col,
                n_resamples=n_resamples,
                confidence=confidence,
                random_state=seed,
            ).table
            keeps = (
                "the explanations as the service returns them" if name == "none" else (served.keeps)
            )
            tables.append(table.assign(defense=name, keeps=keeps))
    table = pd.concat(tables, ignore_index=True)
    first = ["defense", "keeps"]
    return table[first + [c for c in table.columns if c not in first]]

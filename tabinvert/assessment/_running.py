"""Running the attacks of an assessment once (:func:`~tabinvert.evaluation.run_attacks`), and
the defense sweep that reuses the undefended rows."""

from __future__ import annotations


from .._validation import sensitive_kind
from ..evaluation import (
    default_attacks,
    evaluate_defenses,
    is_white_box,
    named_attacks,
    run_attacks,
)


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
):
    """Choose the attacks of each sensitive column and run them once (:func:`run_attacks`):
    the attacks by column and name, and each column's :class:`AttackRun`. Without
    ``white_box`` (an API-only assessment) no attack that reads the model's internals runs."""
    attack_sets, runs = {}, {}
    for column in sensitive:
        kind = sensitive_kind(X_aux[column].to_numpy(), "auto")
        if attacks == "auto":
            chosen = default_attacks(
                model, column, kind, random_state=seed, n_jobs=n_jobs, white_box=white_box
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
        progress(f"{column!r}: {', '.join(attack_sets[column])} on {', '.join(targets)}")
        runs[column] = run_attacks(
            attack_sets[column],
            X_aux,
            y_aux,
            targets=targets,
            n_resamples=n_resamples,
            confidence=confidence,
            random_state=seed,
        )
    return attack_sets, runs


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
):
    """The defense sweep over the black-box attacks of the main run (output defenses do not
    change what a white-box attacker reads); its undefended rows are the main run's rows."""
    if X_out is None or y_out is None:
        raise ValueError(
            "Measuring defenses needs held-out data for their utility: pass "
            "X_holdout and y_holdout."
        )
    black_box = [
        (column, name, attack)
        for column, chosen in attack_sets.items()
        for name, attack in chosen.items()
        if not is_white_box(attack)
    ]
    sweep_attacks = [attack for _, _, attack in black_box] or None
    what = f"{len(sweep_attacks)} attack(s)" if sweep_attacks else "the default black-box attacks"
    progress(f"defense sweep: {len(defenses)} defense(s) × {what}")
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
        n_resamples=n_resamples,
        confidence=confidence,
        random_state=seed,
        _undefended_rows=undefended,
    )

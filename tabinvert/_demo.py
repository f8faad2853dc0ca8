"""The demo: attack a model trained on scikit-learn's bundled diabetes patients, offline."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from .attacks import ConfidenceInversion, LabelOnlyInversion

MODELS = {
    "random_forest": (
        lambda seed: RandomForestClassifier(n_estimators=200, random_state=seed),
        lambda seed: RandomForestRegressor(n_estimators=200, random_state=seed),
    ),
    "linear": (
        lambda seed: make_pipeline(StandardScaler(), LogisticRegression()),
        lambda seed: make_pipeline(StandardScaler(), Ridge()),
    ),
    "mlp": (
        lambda seed: make_pipeline(
            StandardScaler(), MLPClassifier((64, 64), max_iter=2000, random_state=seed)
        ),
        lambda seed: make_pipeline(
            StandardScaler(), MLPRegressor((64, 64), max_iter=2000, random_state=seed)
        ),
    ),
}


def demo_data(task="classification"):
    """Diabetes patients (Efron et al. 2004, bundled with scikit-learn): features and label.

    For ``task="classification"`` the label is whether disease progression after one year is
    above the median ("high"/"low"); for "regression" it is the progression score itself.
    """
    data = load_diabetes(as_frame=True, scaled=False)
    X = data.data.copy()
    X["sex"] = X["sex"].astype(int)  # coded 1/2 in the source, which does not say which is which
    X["age"] = X["age"].astype(int)
    target = data.target
    if task == "classification":
        y = pd.Series(
            np.where(target > target.median(), "high", "low"), index=X.index, name="progression"
        )
    else:
        y = target.rename("progression")
    return X, y


def _demo_attacks(target_model, X, sensitive, task, random_state, n_jobs):
    common = dict(random_state=random_state, n_jobs=n_jobs)
    if task != "classification":
        return [ConfidenceInversion(target_model, sensitive, **common)]
    attacks = [
        ConfidenceInversion(target_model, sensitive, **common),
        ConfidenceInversion(target_model, sensitive, likelihood="confusion", **common),
        ConfidenceInversion(target_model, sensitive, method="csmia", **common),
        LabelOnlyInversion(target_model, sensitive, **common),
    ]
    if not pd.api.types.is_numeric_dtype(X[sensitive]) or X[sensitive].nunique() <= 10:
        attacks.append(ConfidenceInversion(target_model, sensitive, prior="imputation", **common))
    return attacks


def demo_assessment_inputs(
    *, sensitive="sex", task="classification", model="random_forest", random_state=0, n_jobs=None
):
    """Train the demo's target model on half the patients; return the arguments of
    :func:`tabinvert.cli.run_assessment` (the path ``tabinvert assess`` takes).

    A quarter of the patients is the attacker's auxiliary data, the last quarter the
    non-members attacked.
    """
    X, y = demo_data(task)
    if sensitive not in X.columns:
        raise ValueError(
            f"The sensitive column {sensitive!r} is not a column of the demo data "
            f"({', '.join(X.columns)})."
        )
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=0.5, random_state=random_state
    )
    X_aux, X_out, y_aux, y_out = train_test_split(
        X_rest, y_rest, train_size=0.5, random_state=random_state
    )
    factory = MODELS[model][0 if task == "classification" else 1]
    target_model = factory(random_state).fit(X_train, y_train)
    numeric = pd.api.types.is_numeric_dtype(X[sensitive]) and X[sensitive].nunique() > 10
    return dict(
        model=target_model,
        X_train=X_train,
        y_train=y_train,
        X_holdout=X_out,
        y_holdout=y_out,
        X_aux=X_aux,
        y_aux=y_aux,
        numeric=numeric,
        attacks=_demo_attacks(target_model, X, sensitive, task, random_state, n_jobs),
    )


def run_demo(
    *,
    sensitive="sex",
    task="classification",
    model="random_forest",
    random_state=0,
    n_jobs=None,
    n_resamples=1000,
):
    """Train a target model on half the patients and assess it (members and non-members).

    Returns the :class:`~tabinvert.assessment.Assessment`'s results table.

    Examples
    --------
    >>> from tabinvert._demo import run_demo
    >>> table = run_demo(n_resamples=200)
    >>> sorted(table["attack"].unique())
    ['CSMIA', 'LOMIA', 'MAP', 'MAP (imputation prior)', 'MAP-confusion (FJRMIA)', 'imputation']
    """
    from .assessment import assess

    inputs = demo_assessment_inputs(
        sensitive=sensitive, task=task, model=model, random_state=random_state, n_jobs=n_jobs
    )
    inputs.pop("numeric")
    return assess(
        **inputs, sensitive=sensitive, n_resamples=n_resamples, random_state=random_state
    ).results


def format_table(table):
    """The compact side-by-side view: members vs non-members for each attack."""

    def fmt_adv(row):
        if np.isnan(row["advantage"]):
            return "—"
        low, high = row["advantage_ci_low"], row["advantage_ci_high"]
        return f"{row['advantage']:+.2f} [{low:+.2f}, {high:+.2f}]"

    lines = []
    metric = table["metric"].iloc[0]
    header = (
        f"{'attack':<24} {metric + ' mem':>12} {'non-mem':>8} {'imput. mem':>10} "
        f"{'non-mem':>8}  {'advantage mem [95% CI]':<26} {'advantage non-mem [95% CI]':<26} "
        f"{'queries':>8} {'seconds':>8}"
    )
    lines.append(header)
    lines.append("-" * len(header))
    for name, group in table.groupby("attack", sort=False):
        # Without a holdout (only --aux) there are no non-members: their cells read "nan".
        by_pop = group.set_index("population").reindex(["members", "non-members"])
        mem, out = by_pop.loc["members"], by_pop.loc["non-members"]
        lines.append(
            f"{name:<24} {mem['score']:>12.3f} {out['score']:>8.3f} {mem['baseline_score']:>10.3f} "
            f"{out['baseline_score']:>8.3f}  {fmt_adv(mem):<26} {fmt_adv(out):<26} "
            f"{int(np.nansum([mem['query_rows'], out['query_rows']])):>8d} "
            f"{np.nansum([mem['seconds'], out['seconds']]):>8.2f}"
        )
    return "\n".join(lines)

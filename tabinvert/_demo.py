"""The demo: two models trained on scikit-learn's bundled diabetes patients, one over-fitted and
one regularised, attacked the same way (offline), and what the numbers mean in words.

``tabinvert demo`` trains both on the same patients, assesses each with
:func:`tabinvert.cli.run_assessment` (the path ``tabinvert assess`` takes) and prints, for
each, the verdict, the results table (:func:`format_table`, shared with ``tabinvert assess``)
and one closing sentence derived from the assessment's numbers; then what the columns and the
attacks' names mean (:mod:`tabinvert._glossary`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import is_classifier
from sklearn.datasets import load_diabetes
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import PolynomialFeatures, StandardScaler

from ._glossary import glossary_entries
from ._threat_models import RISK_LEVELS

#: Width of the demo's prose (the tables are as wide as their columns).
WIDTH = 96

#: The demo's columns in words (the source's own descriptions).
COLUMN_WORDS = {
    "age": "age",
    "sex": "sex",
    "bmi": "body mass index",
    "bp": "blood pressure",
    "s1": "total cholesterol",
    "s2": "low-density lipoprotein level",
    "s3": "high-density lipoprotein level",
    "s4": "ratio of total to high-density cholesterol",
    "s5": "triglyceride level (log)",
    "s6": "blood sugar level",
}


@dataclass(frozen=True)
class _Family:
    """A model family of the demo: an over-fitted and a regularised model, for each task."""

    noun: str
    over: tuple  # (classifier factory, regressor factory), each taking the seed
    over_words: tuple  # (for the classifier, for the regressor)
    regularised: tuple
    regularised_words: tuple


def _mlp(kind, layers, alpha, seed):
    return make_pipeline(
        StandardScaler(),
        kind(hidden_layer_sizes=layers, alpha=alpha, max_iter=2000, random_state=seed),
    )


#: ``--model``: the model family of both settings.
MODELS = {
    "random_forest": _Family(
        "random forest",
        (
            lambda seed: RandomForestClassifier(n_estimators=200, random_state=seed),
            lambda seed: RandomForestRegressor(n_estimators=200, random_state=seed),
        ),
        ("200 trees grown until they fit every training patient",) * 2,
        (
            lambda seed: RandomForestClassifier(
                n_estimators=200, min_samples_leaf=20, random_state=seed
            ),
            lambda seed: RandomForestRegressor(
                n_estimators=200, min_samples_leaf=20, random_state=seed
            ),
        ),
        ("200 trees again, but no leaf may hold fewer than 20 patients",) * 2,
    ),
    "linear": _Family(
        "linear model",
        (
            lambda seed: make_pipeline(
                StandardScaler(),
                PolynomialFeatures(2),
                StandardScaler(),
                LogisticRegression(C=100, max_iter=10_000),
            ),
            lambda seed: make_pipeline(
                StandardScaler(), PolynomialFeatures(2), StandardScaler(), Ridge(alpha=1e-3)
            ),
        ),
        tuple(
            f"a {kind} regression on the measurements, their squares and their pairwise "
            "products, almost unpenalised"
            for kind in ("logistic", "linear")
        ),
        (
            lambda seed: make_pipeline(StandardScaler(), LogisticRegression(C=0.1)),
            lambda seed: make_pipeline(StandardScaler(), Ridge(alpha=10)),
        ),
        tuple(
            f"a {kind} regression on the measurements alone, with a strong penalty"
            for kind in ("logistic", "linear")
        ),
    ),
    "mlp": _Family(
        "neural network",
        (
            lambda seed: _mlp(MLPClassifier, (64, 64), 0.0, seed),
            lambda seed: _mlp(MLPRegressor, (64, 64), 0.0, seed),
        ),
        ("two layers of 64 units with no weight penalty",) * 2,
        (
            lambda seed: _mlp(MLPClassifier, (16,), 10.0, seed),
            lambda seed: _mlp(MLPRegressor, (16,), 10.0, seed),
        ),
        ("one layer of 16 units with a strong weight penalty",) * 2,
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


def demo_assessment_inputs(
    *,
    sensitive="sex",
    task="classification",
    model="random_forest",
    random_state=0,
    n_jobs=None,
    regularised=False,
):
    """Train one of the demo's models on half the patients; return the arguments of
    :func:`tabinvert.cli.run_assessment` (the path ``tabinvert assess`` takes), with the
    attacks ``tabinvert assess`` chooses ("auto").

    A quarter of the patients is the attacker's auxiliary data, the last quarter the
    held-out patients attacked. The split depends on ``random_state`` only, so that both
    settings are trained and attacked on the same patients.
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
    family = MODELS[model]
    factory = (family.regularised if regularised else family.over)[
        0 if task == "classification" else 1
    ]
    target_model = factory(random_state)
    if n_jobs is not None and "n_jobs" in target_model.get_params():
        target_model.set_params(n_jobs=n_jobs)
    target_model.fit(X_train, y_train)
    return dict(
        model=target_model,
        X_train=X_train,
        y_train=y_train,
        X_holdout=X_out,
        y_holdout=y_out,
        X_aux=X_aux,
        y_aux=y_aux,
        attacks="auto",
    )


@dataclass
class DemoSetting:
    """One setting of the demo: its model, the words that describe it, and the arguments of
    :func:`tabinvert.cli.run_assessment`."""

    title: str  # "an over-fitted random forest"
    name: str  # "the over-fitted random forest", the subject of its closing sentence
    description: str
    inputs: dict = field(repr=False)

    def fit_line(self):
        """How well the model fits its training patients and held-out ones, in words."""
        inputs = self.inputs
        model = inputs["model"]
        train = model.score(inputs["X_train"], inputs["y_train"])
        held_out = model.score(inputs["X_holdout"], inputs["y_holdout"])
        if is_classifier(model):
            measure = "its accuracy at predicting the outcome"
        else:
            measure = "the share of the outcome's variance it explains"
        return (
            f"{measure}: {train:.2f} on its training patients, {held_out:.2f} on held-out patients"
        )


def demo_settings(
    *, sensitive="sex", task="classification", model="random_forest", random_state=0, n_jobs=None
):
    """The demo's two settings: the over-fitted model of ``model``'s family, then the
    regularised one, both trained on the same patients.

    Returns
    -------
    list of DemoSetting
    """
    family = MODELS[model]
    settings = []
    for regularised in (False, True):
        adjective = "regularised" if regularised else "over-fitted"
        article = "an" if adjective[0] in "aeiou" else "a"
        settings.append(
            DemoSetting(
                title=f"{article} {adjective} {family.noun}",
                name=f"the {adjective} {family.noun}",
                description=(family.regularised_words if regularised else family.over_words)[
                    0 if task == "classification" else 1
                ],
                inputs=demo_assessment_inputs(
                    sensitive=sensitive,
                    task=task,
                    model=model,
                    random_state=random_state,
                    n_jobs=n_jobs,
                    regularised=regularised,
                ),
            )
        )
    return settings


def run_demo(
    *,
    sensitive="sex",
    task="classification",
    model="random_forest",
    random_state=0,
    n_jobs=None,
    n_resamples=1000,
):
    """Assess both settings of the demo (members and non-members), without printing.

    Returns a dict of the :class:`~tabinvert.assessment.Assessment` of each setting, by its
    title.

    Examples
    --------
    >>> from tabinvert._demo import run_demo
    >>> result = run_demo(n_resamples=200)
    >>> {title: a.summary["risk_level"].iloc[0] for title, a in result.items()}
    {'an over-fitted random forest': 'high', 'a regularised random forest': 'none'}
    """
    from .assessment import assess

    out = {}
    for setting in demo_settings(
        sensitive=sensitive, task=task, model=model, random_state=random_state, n_jobs=n_jobs
    ):
        out[setting.title] = assess(
            **setting.inputs,
            sensitive=sensitive,
            n_jobs=n_jobs,
            n_resamples=n_resamples,
            random_state=random_state,
        )
    return out


# -- the words -------------------------------------------------------------------------------


def _wrap(text, indent=""):
    return textwrap.fill(
        text, WIDTH, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def _what(sensitive):
    words = COLUMN_WORDS.get(sensitive, sensitive)
    return words if words == sensitive else f"{words} ({sensitive!r})"


def introduction(settings, sensitive, task):
    """The demo's opening: the data, the split, the attacker, the two settings."""
    inputs = settings[0].inputs
    n_train, n_aux, n_out = (len(inputs[name]) for name in ("X_train", "X_aux", "X_holdout"))
    n = n_train + n_aux + n_out
    outcome = (
        "whether their disease progressed more than the median a year later"
        if task == "classification"
        else "how much their disease progressed a year later (a score)"
    )
    what = _what(sensitive)
    paragraphs = [
        f"tabinvert demo: diabetes patients (Efron et al. 2004, bundled with scikit-learn; "
        f"offline). Can an attacker infer a patient's {what} from a model trained on them?",
        f"Each of the {n} patients has an age, a sex, a body mass index, a blood pressure and "
        f"six blood measurements; the model predicts {outcome}. It is trained on {n_train} of "
        f"them (its training patients). The attacker holds {n_aux} others with their "
        f"{COLUMN_WORDS.get(sensitive, sensitive)} (its own records); the last {n_out} are "
        "held-out patients the model never saw.",
        f"For each patient attacked, the attacker knows everything but their {what}, the "
        "outcome included; it tries each possible value on the model and watches its answers. "
        "Every attack is compared with imputation, a guess made from the attacker's own "
        "records without the model: only what an attack infers beyond it is the model's doing.",
        f"Two settings, the same patients and the same attacks (those `tabinvert assess` "
        f"would run): 1. {settings[0].title}, {settings[0].description}; 2. "
        f"{settings[1].title}, {settings[1].description}. The names and columns are explained "
        "at the end.",
    ]
    return "\n\n".join(_wrap(p) for p in paragraphs)


def verdict_line(assessment, sensitive):
    """The verdict of one setting: the headline level and the level per access."""
    row = assessment.summary.iloc[0]
    line = (
        f"Verdict: risk {row['risk_level'].upper()} for the {_what(sensitive)} of its training "
        "patients"
    )
    levels = []
    if row.get("risk_level_model_file", "not assessed") != "not assessed":
        levels.append(f"{row['risk_level_model_file']} for an attacker holding the model file")
    if row.get("risk_level_api", "not assessed") != "not assessed":
        levels.append(f"{row['risk_level_api']} for one who can only query it, through its API")
    if levels:
        line += f" ({'; '.join(levels)})"
    return _wrap(line + ".")


def _family_interval(row):
    """A results row's interval that allows for the several attacks tried (the verdict's),
    or its own when the table has none."""
    low, high = row.get("advantage_ci_low_family"), row.get("advantage_ci_high_family")
    if low is None or high is None or not (np.isfinite(low) and np.isfinite(high)):
        low, high = row["advantage_ci_low"], row["advantage_ci_high"]
    return float(low), float(high)


def _ci(low, high):
    return f"95% CI {low:+.2f} to {high:+.2f}"


def closing_sentence(setting, assessment, sensitive):
    """One sentence on one setting, every clause derived from the assessment: whether the
    model lets an attacker infer ``sensitive`` of its training patients better than
    imputation (the summary's verdict, attack and interval), whether of held-out patients too
    (that attack's non-member row), whether that is memorisation (the membership gap's
    interval above 0), and what an attacker with only the model's API achieves when the model
    file decides."""
    row = assessment.summary.iloc[0]
    what = COLUMN_WORDS.get(sensitive, sensitive)
    level = row["risk_level"]
    if level == "undetermined":
        reason = row["sentence"]
        return f"In short: for {setting.name}, {reason[:1].lower()}{reason[1:]}"
    advantage = float(row["advantage"])
    low, high = float(row["advantage_ci_low"]), float(row["advantage_ci_high"])
    if level == "none":
        return (
            f"In short: {setting.name} does not let an attacker infer the {what} of the "
            "patients it was trained on measurably better than imputation (best attack: "
            f"{row['attack']}, advantage {advantage:+.2f}, {_ci(low, high)}, not above 0)."
        )
    who = (
        "an attacker holding its model file"
        if row["deciding_access"] == "model-file"
        else "an attacker who can only query it"
    )
    sentence = (
        f"In short: {setting.name} lets {who} infer the {what} of the patients it was trained "
        f"on better than imputation ({row['attack']}: advantage {advantage:+.2f}, "
        f"{_ci(low, high)})"
    )
    results = assessment.results
    out = results[
        (results["sensitive"] == sensitive)
        & (results["attack"] == row["attack"])
        & (results["population"] == "non-members")
    ]
    if len(out) and np.isfinite(out["advantage"].iloc[0]):
        out_row = out.iloc[0]
        out_low, out_high = _family_interval(out_row)
        numbers = f"advantage {float(out_row['advantage']):+.2f}, {_ci(out_low, out_high)}"
        if out_low > 0:
            sentence += (
                f", and of held-out patients too ({numbers}): not only memorisation, its "
                "answers reveal it for people it never saw"
            )
        else:
            gap = assessment.membership_gap
            gap = gap[(gap["sensitive"] == sensitive) & (gap["attack"] == row["attack"])]
            memorised = len(gap) and float(gap["gap_ci_low"].iloc[0]) > 0
            sentence += f", but not of held-out patients ({numbers})" + (
                ": it memorised them"
                if memorised
                else ", though the two groups' difference is itself within the uncertainty"
            )
    api_level = row.get("risk_level_api", "not assessed")
    if row["deciding_access"] == "model-file" and api_level not in ("not assessed", level):
        api = f"best: {row['attack_api']}, advantage {float(row['advantage_api']):+.2f}"
        if api_level == "none":
            sentence += (
                "; for an attacker who can only query it, no attack does measurably better "
                f"than imputation ({api})"
            )
        else:
            sentence += f"; for an attacker who can only query it, the risk is {api_level} ({api})"
    return sentence + "."


def setting_block(number, setting, assessment, sensitive):
    """One setting as printed: title, model, verdict, table, closing sentence."""
    title = f"Setting {number}: {setting.title}"
    description = setting.description[0].upper() + setting.description[1:]
    lines = [
        title,
        "=" * len(title),
        _wrap(f"{description}; {setting.fit_line()}."),
        "",
        verdict_line(assessment, sensitive),
        "",
    ]
    for _, table in assessment.results.groupby("sensitive", sort=False):
        lines.append(format_table(table))
    lines += ["", _wrap(closing_sentence(setting, assessment, sensitive))]
    return "\n".join(lines)


def legend(names, metric, n_resamples=1000):
    """What the columns, the verdict and each attack name shown mean, in words."""
    levels = ", ".join(
        f"{name} from {threshold:.2f}" for threshold, name in reversed(RISK_LEVELS) if threshold
    )
    words = _METRIC_WORDS.get(metric, metric)
    if metric in ("mae", "rmse"):
        advantage = (
            f"1 − the attack's {words} / imputation's: the share of imputation's error the "
            "attack removes"
        )
    else:
        advantage = (
            f"the attack's {words} minus imputation's, as a share of what imputation got "
            f"wrong (1 − imputation's {words})"
        )
    reading = [
        f"{words} on training / held-out: how well each attack "
        "infers the hidden value of the model's training patients and of held-out patients.",
        "imputation (no model): the same for imputation, the guess that never asks the model.",
        f"advantage over imputation: {advantage}. Above 0, the attack gets right what "
        "imputation does not; at or below 0, the model gives nothing away beyond the "
        "population's statistics.",
        "[95% interval]: where the advantage lies with 95% confidence (the patients "
        f"resampled {n_resamples:,} times). An interval that includes 0 is no measurable leak. The "
        "verdict and the closing sentences use a wider 95% confidence interval (CI), which "
        "allows for having tried several attacks and kept the best.",
        "Verdict: none when no attack's advantage on the training patients is measurably "
        f"above 0; otherwise low, {levels} by that advantage. An attack that works on the "
        "training patients but not on held-out ones exploits what the model memorised.",
        "model queries: the records sent to the model (each patient's completed with every "
        "possible value); seconds: the attack's time.",
    ]
    lines = ["How to read the tables", "----------------------"]
    lines += [_bullet(item) for item in reading]
    lines += ["", "What the attacks' names mean", "----------------------------"]
    for name, words, reference in glossary_entries(names):
        lines.append(_bullet(f"{name}: {words}"))
        lines.append(_wrap(f"Reference: {reference}.", "    "))
    return "\n".join(lines)


def _bullet(text):
    return textwrap.fill(
        text, WIDTH, initial_indent="  ", subsequent_indent="    ", break_on_hyphens=False
    )


# -- the table -------------------------------------------------------------------------------

#: The metrics of the results tables, in words.
_METRIC_WORDS = {
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "within_tolerance": "share within tolerance",
    "mcc": "Matthews correlation",
    "f1": "F1 score",
    "gmean": "geometric mean of the recalls",
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
}


def format_table(table):
    """The compact side-by-side view: each attack on the training records and on held-out
    ones, imputation's score on the same records, and the advantage over imputation.

    Two header lines: a group ("accuracy on", "imputation (no model)", "advantage over
    imputation [95% interval] on", "model") above each column's own ("training",
    "held-out", "queries", "seconds").
    """

    def fmt_adv(row):
        if np.isnan(row["advantage"]):
            return "—"
        low, high = row["advantage_ci_low"], row["advantage_ci_high"]
        return f"{row['advantage']:+.2f} [{low:+.2f}, {high:+.2f}]"

    metric = table["metric"].iloc[0]
    words = _METRIC_WORDS.get(metric, metric)
    # (group, header, right-aligned)
    columns = [
        ("", "attack", False),
        (f"{words} on", "training", True),
        (f"{words} on", "held-out", True),
        ("imputation (no model)", "training", True),
        ("imputation (no model)", "held-out", True),
        ("advantage over imputation [95% interval] on", "training", False),
        ("advantage over imputation [95% interval] on", "held-out", False),
        ("model", "queries", True),
        ("", "seconds", True),
    ]
    rows = []
    for name, group in table.groupby("attack", sort=False):
        # Without a holdout (only --aux) there are no non-members: their cells read "nan".
        by_pop = group.set_index("population").reindex(["members", "non-members"])
        mem, out = by_pop.loc["members"], by_pop.loc["non-members"]
        rows.append(
            [
                str(name),
                f"{mem['score']:.3f}",
                f"{out['score']:.3f}",
                f"{mem['baseline_score']:.3f}",
                f"{out['baseline_score']:.3f}",
                fmt_adv(mem),
                fmt_adv(out),
                f"{int(np.nansum([mem['query_rows'], out['query_rows']])):d}",
                f"{np.nansum([mem['seconds'], out['seconds']]):.2f}",
            ]
        )
    widths = [
        max([len(header), *(len(row[i]) for row in rows)])
        for i, (_, header, _) in enumerate(columns)
    ]
    # A group's label spans its columns (two spaces between columns); widen them evenly when
    # the label is longer.
    spans = []
    for i, (group, _, _) in enumerate(columns):
        if spans and spans[-1][0] == group:
            spans[-1][2] = i
        else:
            spans.append([group, i, i])
    for group, first, last in spans:
        missing = len(group) - (sum(widths[first : last + 1]) + 2 * (last - first))
        for k, i in enumerate(range(first, last + 1)):
            widths[i] += max(missing, 0) // (last - first + 1) + (
                k < max(missing, 0) % (last - first + 1)
            )

    def line(cells, aligns):
        return "  ".join(
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, aligns)
        ).rstrip()

    aligns = [right for _, _, right in columns]
    groups = "  ".join(
        group.ljust(sum(widths[first : last + 1]) + 2 * (last - first))
        for group, first, last in spans
    ).rstrip()
    header = line([header for _, header, _ in columns], aligns)
    body = [line(row, aligns) for row in rows]
    rule = "-" * max(len(header), len(groups), *(len(b) for b in body))
    return "\n".join([groups, header, rule, *body])

"""Work an assessment shares instead of doing twice, with results identical to doing it twice:
the grids the black-box attacks ask of a tree model go down its trees once for the white-box
attack too, the exposure reads the run's answers instead of attacking the members again, a
results row computes the one score it reports, and a family's bootstrap runs once."""

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.ensemble import (
    ExtraTreesClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
)
from sklearn.tree import DecisionTreeClassifier

import tabinvert.evaluation as evaluation_module
from tabinvert import assess
from tabinvert.attacks import (
    ConfidenceInversion,
    LabelOnlyInversion,
    WhiteBoxTreeInversion,
)
from tabinvert.evaluation import family_intervals, run_attacks
from tabinvert.metrics import inference_scores

COLUMNS = ["attack", "population", "score", "advantage", "advantage_ci_low", "advantage_ci_high"]
FAMILY = ["advantage_ci_low_family", "advantage_ci_high_family", "query_rows", "n_records"]
MODELS = {
    "forest": lambda: RandomForestClassifier(25, random_state=0),
    "extra trees": lambda: ExtraTreesClassifier(25, random_state=0),
    "tree": lambda: DecisionTreeClassifier(min_samples_leaf=2, random_state=0),
    "boosting": lambda: HistGradientBoostingClassifier(max_iter=25, random_state=0),
}


def noisy_population(n, seed):
    """The xor population with a third of the labels drawn at random: imputation with the
    label is no longer perfect, and a model memorises its members' noisy labels."""
    X, y = xor_population(n, seed=seed, n_values=3)
    rng = np.random.default_rng(seed)
    noisy = rng.random(n) < 1 / 3
    y = np.where(noisy, rng.integers(0, 3, n), np.asarray(y))
    return X, y


def _setting(model):
    X, y = noisy_population(900, seed=5)
    model = clone(model).fit(X[:450], y[:450])
    targets = {"members": (X[:450], y[:450]), "non-members": (X[700:], y[700:])}
    return model, X[450:700], y[450:700], targets


@pytest.fixture(scope="module")
def forest_setting():
    return _setting(MODELS["forest"]())


def _attacks(model):
    return [
        ConfidenceInversion(model, "secret", random_state=0),
        ConfidenceInversion(model, "secret", method="csmia", random_state=0),
        LabelOnlyInversion(model, "secret", random_state=0),
        WhiteBoxTreeInversion(model, "secret", random_state=0),
    ]


def _run(attacks, X_aux, y_aux, targets):
    return run_attacks(attacks, X_aux, y_aux, targets=targets, n_resamples=50, random_state=0)


# -- one pass down the trees for the black-box and the white-box attacks ---------------------
@pytest.mark.parametrize("kind", list(MODELS))
def test_black_box_and_white_box_attacks_together_change_no_result(kind):
    model, X_aux, y_aux, targets = _setting(MODELS[kind]())
    together = _run(_attacks(model), X_aux, y_aux, targets)
    for attack in _attacks(model):
        alone = _run([attack], X_aux, y_aux, targets)
        name = next(iter(alone.attacks))
        for population in targets:
            assert np.array_equal(
                together.guesses[name, population], alone.guesses[name, population]
            )
            assert np.array_equal(together.scores[name, population], alone.scores[name, population])
        rows = alone.table[alone.table["attack"] == name].reset_index(drop=True)
        same = together.table[together.table["attack"] == name].reset_index(drop=True)
        pd.testing.assert_frame_equal(same[COLUMNS], rows[COLUMNS])


def _count_rows(monkeypatch, cls, methods):
    rows = dict.fromkeys(methods, 0)
    for method in methods:
        original = getattr(cls, method)

        def counted(self, X, _original=original, _method=method):
            rows[_method] += len(X)
            return _original(self, X)

        monkeypatch.setattr(cls, method, counted)
    return rows


def test_each_grid_goes_down_the_trees_once(forest_setting, monkeypatch):
    forest, X_aux, y_aux, targets = forest_setting
    rows = _count_rows(monkeypatch, RandomForestClassifier, ["apply", "predict_proba"])
    run = _run(_attacks(forest), X_aux, y_aux, targets)
    k = 3
    grids = sum(len(X) for X, _ in targets.values()) * k
    # The auxiliary records' completions once (counted, then the evidence chosen on them),
    # the targets' grids once for every attack; the model's own answer only on the rows
    # that check the answer read off the leaves.
    assert rows["apply"] == len(X_aux) * k + grids
    assert rows["predict_proba"] < grids / 4
    table = run.table.set_index("attack")
    assert (table.loc["white-box tree", "query_rows_sent"] == 0).all()  # it sends nothing
    assert table.loc["MAP", "query_rows_sent"].sum() == grids  # the grids were sent once
    assert (table.loc[["CSMIA", "LOMIA"], "query_rows_sent"] == 0).all()
    # What an attacker would send is still reported in full.
    assert (table.loc["MAP", "query_rows"] == table.loc["MAP", "n_records"] * k).all()


def test_the_models_own_answers_win_over_what_its_leaves_say(forest_setting, monkeypatch):
    forest, X_aux, y_aux, targets = forest_setting
    original = RandomForestClassifier.predict_proba

    def swapped(self, X):  # a model whose answers are not its trees' mean
        return original(self, X)[:, ::-1]

    monkeypatch.setattr(RandomForestClassifier, "predict_proba", swapped)
    black_box = _attacks(forest)[:3]
    with_white_box = _run(_attacks(forest), X_aux, y_aux, targets).table
    without = _run(black_box, X_aux, y_aux, targets).table
    names = ["imputation", "MAP", "CSMIA", "LOMIA"]
    with_white_box = with_white_box[with_white_box["attack"].isin(names)].reset_index(drop=True)
    pd.testing.assert_frame_equal(
        with_white_box[COLUMNS + FAMILY[2:]], without[COLUMNS + FAMILY[2:]]
    )


def test_a_forest_predicting_on_several_threads_is_asked_as_usual(monkeypatch):
    forest, X_aux, y_aux, targets = _setting(RandomForestClassifier(10, random_state=0, n_jobs=2))
    rows = _count_rows(monkeypatch, RandomForestClassifier, ["predict_proba"])
    _run(_attacks(forest), X_aux, y_aux, targets)
    assert rows["predict_proba"] >= sum(len(X) for X, _ in targets.values()) * 3


# -- the exposure reads the run ---------------------------------------------------------------
fits = []


class CountingLearner(ClassifierMixin, BaseEstimator):
    """LOMIA's attack model, counting its fits (in a list shared by its clones)."""

    def __init__(self, max_iter=20):
        self.max_iter = max_iter

    def fit(self, X, y):
        fits.append(len(X))
        self.model_ = HistGradientBoostingClassifier(max_iter=self.max_iter, random_state=0)
        self.model_.fit(X, y)
        self.classes_ = self.model_.classes_
        return self

    def predict_proba(self, X):
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.model_.predict(X)


def test_the_exposure_reads_the_runs_answers_instead_of_attacking_again(forest_setting):
    forest, X_aux, y_aux, targets = forest_setting
    (X, y), (X_out, y_out) = targets["members"], targets["non-members"]

    def lomia():
        return LabelOnlyInversion(forest, "secret", attack_model=CountingLearner(), random_state=0)

    fits.clear()
    result = assess(
        forest,
        X,
        y,
        X_holdout=X_out,
        y_holdout=y_out,
        X_aux=X_aux,
        y_aux=y_aux,
        sensitive="secret",
        attacks=[lomia()],
        n_resamples=50,
        random_state=0,
    )
    assert len(fits) == 2  # members and non-members: the members are not attacked again
    attack = lomia().fit(X_aux, y_aux)
    proba = attack.attack_proba(X, y)
    baseline = attack.imputer_.attack_proba(X, y)
    exposed = result.exposed_records
    assert len(exposed) and (exposed["attack"] == "LOMIA").all()
    for row in exposed.itertuples():
        truth = X["secret"].iloc[row.position]
        assert row.attack_confidence == proba.iloc[row.position][truth]
        assert row.baseline_confidence == baseline.iloc[row.position][truth]


# -- a row computes the score it reports; a family is bootstrapped once -----------------------
def test_each_rows_score_is_the_one_inference_scores_gives(forest_setting):
    forest, X_aux, y_aux, targets = forest_setting
    run = _run(_attacks(forest), X_aux, y_aux, targets)
    for row in run.table.itertuples():
        name = row.attack if row.attack != "imputation" else None
        guesses = (
            run.guesses[name, row.population]
            if name
            else next(g for g in run.baselines.values())[1][row.population][0]
        )
        everything = inference_scores(run.truths[row.population], guesses, kind="categorical")
        assert row.score == everything["accuracy"]


def test_a_numeric_rows_score_is_the_one_inference_scores_gives():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"known": rng.normal(size=600), "secret": rng.normal(size=600)})
    y = (X["known"] + X["secret"] > 0).astype(int).to_numpy()
    forest = RandomForestClassifier(15, random_state=0).fit(X[:300], y[:300])
    targets = {"members": (X[:300], y[:300])}
    for metric in ("mae", "rmse", "within_tolerance"):
        run = run_attacks(
            [ConfidenceInversion(forest, "secret", random_state=0)],
            X[300:],
            y[300:],
            targets=targets,
            metric=metric,
            n_resamples=30,
            random_state=0,
        )
        row = run.table[run.table["attack"] == "MAP"].iloc[0]
        everything = inference_scores(
            run.truths["members"], run.guesses["MAP", "members"], kind="numeric"
        )
        assert row["score"] == everything[metric]


def test_a_familys_bootstrap_runs_once_and_is_handed_out_as_copies(forest_setting, monkeypatch):
    forest, X_aux, y_aux, targets = forest_setting
    run = _run(_attacks(forest), X_aux, y_aux, targets)
    calls = []
    original = evaluation_module.simultaneous_advantage_intervals

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(evaluation_module, "simultaneous_advantage_intervals", counted)
    names = [name for name in run.attacks if name != "white-box tree"]
    first = run.family_intervals(names)
    n_bootstraps = len(calls)
    assert n_bootstraps > 0 and first["ci_low"].notna().all()
    first["ci_low"] = np.nan  # the caller's copy
    second = run.family_intervals(names)
    assert len(calls) == n_bootstraps  # asked again: not bootstrapped again
    pd.testing.assert_frame_equal(second, family_intervals(run, names))
    # The run's table holds its whole family's intervals, as asked afresh.
    table = run.table[run.table["attack"] != "imputation"].set_index(["attack", "population"])
    family = family_intervals(run, list(run.attacks)).set_index(["attack", "population"])
    assert np.array_equal(
        table.loc[family.index, "advantage_ci_low_family"].to_numpy(),
        family["ci_low"].to_numpy(),
    )

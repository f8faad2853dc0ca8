"""One path runs the attacks (issue 13 §1–2): attacks declare what they are, each grid is asked
of the model once per run, imputation learners are fitted once, defenses are applied to the
remembered raw answers, and nothing is fitted twice — with results identical to running every
attack on its own. The run cache behind it is checked directly, through its private
module, in tests/internals/test_run_cache.py."""

import numpy as np
import pandas as pd
import pytest
from conftest import xor_population
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import RandomForestClassifier

from tabinvert import assess
from tabinvert.attacks import (
    ACCESS_LEVELS,
    AttackCapabilities,
    ConfidenceInversion,
    GradientInversion,
    ImputationBaseline,
    JointInversion,
    LabelOnlyInversion,
    LearnedInversion,
    ReconstructionAttack,
    WhiteBoxTreeInversion,
)
from tabinvert.defenses import (
    LabelOnly,
    RoundProbabilities,
)
from tabinvert.evaluation import (
    RESULT_COLUMNS,
    attack_name,
    evaluate_attacks,
    is_white_box,
    run_attacks,
)


# -- §1: attacks declare what they are ------------------------------------------------------
DECLARED = [
    (ConfidenceInversion(None, "s"), "MAP", "outputs", True),
    (ConfidenceInversion(None, "s", method="csmia"), "CSMIA", "outputs", False),
    (ConfidenceInversion(None, "s", prior="imputation"), "MAP (imputation prior)", "outputs", True),
    (
        ConfidenceInversion(None, "s", likelihood="confusion"),
        "MAP-confusion (FJRMIA)",
        "outputs",
        True,
    ),
    (LabelOnlyInversion(None, "s"), "LOMIA", "labels", True),
    (LearnedInversion(None, "s"), "learned", "outputs", True),
    (ImputationBaseline("s"), "imputation", "none", True),
    (WhiteBoxTreeInversion(None, "s"), "white-box tree", "model", True),
    (GradientInversion(None, "s"), "gradient MAP (white-box)", "gradients", True),
]


@pytest.mark.parametrize(
    "attack, name, access, calibrated", DECLARED, ids=[row[1] for row in DECLARED]
)
def test_every_attack_declares_its_capabilities(attack, name, access, calibrated):
    info = attack.capabilities()
    assert isinstance(info, AttackCapabilities)
    assert (info.name, info.access, info.calibrated) == (name, access, calibrated)
    assert info.access in ACCESS_LEVELS and info.reference
    assert attack_name(attack) == name
    assert is_white_box(attack) == (access in ("model", "gradients"))


def test_access_follows_the_model_a_label_only_model_gives_labels():
    X, y = xor_population(300, seed=1)

    class LabelsOnly(ClassifierMixin, BaseEstimator):
        def fit(self, X, y):
            self.model_ = RandomForestClassifier(5, random_state=0).fit(X, y)
            self.classes_ = self.model_.classes_
            return self

        def predict(self, X):
            return self.model_.predict(X)

    model = LabelsOnly().fit(X, y)
    assert ConfidenceInversion(model, "secret").capabilities().access == "labels"
    assert LearnedInversion(model, "secret").capabilities().access == "labels"
    joint = JointInversion(ConfidenceInversion(model, None), "secret")
    assert joint.capabilities().access == "labels"
    reconstruction = ReconstructionAttack(model, unknown=["secret"])
    assert reconstruction.capabilities().access in ("outputs", "gradients")


def test_an_unknown_access_level_is_refused():
    with pytest.raises(ValueError, match="access='api'"):
        AttackCapabilities("mine", "api")


def test_results_say_what_access_each_attack_needs(setting):
    model, _, X_aux, y_aux, targets = setting
    table = evaluate_attacks(
        [ConfidenceInversion(model, "secret"), LabelOnlyInversion(model, "secret", random_state=0)],
        X_aux,
        y_aux,
        targets=targets,
        n_resamples=20,
        random_state=0,
    )
    assert list(table.columns) == RESULT_COLUMNS
    access = dict(zip(table["attack"], table["access"]))
    assert access == {"imputation": "none", "MAP": "outputs", "LOMIA": "labels"}


# -- §2: one path, each grid asked once -----------------------------------------------------
def _three_attacks(model):
    return [
        ConfidenceInversion(model, "secret", random_state=0),
        ConfidenceInversion(model, "secret", method="csmia", random_state=0),
        ConfidenceInversion(model, "secret", prior="imputation", random_state=0),
    ]


def test_attacks_that_read_the_same_grid_share_one_query(setting):
    model, forest, X_aux, y_aux, targets = setting
    run = run_attacks(
        _three_attacks(model), X_aux, y_aux, targets=targets, n_resamples=20, random_state=0
    )
    grid = sum(len(X) for X, _ in targets.values()) * 3  # 3 candidate values
    assert model.rows_["predict_proba"] == grid  # once, for three attacks
    rows = run.table[run.table["attack"] != "imputation"]
    # What an attacker would send for each attack is still reported in full ...
    assert (rows["query_rows"] == rows["n_records"] * 3).all()
    # ... and what was actually sent: the first attack's queries only.
    sent = rows.groupby("attack", sort=False)["query_rows_sent"].sum()
    assert sent.tolist() == [grid, 0, 0]


def test_sharing_changes_no_result(setting):
    model, forest, X_aux, y_aux, targets = setting
    together = evaluate_attacks(
        _three_attacks(model), X_aux, y_aux, targets=targets, n_resamples=50, random_state=0
    )
    alone = pd.concat(
        [
            evaluate_attacks(
                [attack], X_aux, y_aux, targets=targets, n_resamples=50, random_state=0
            )
            for attack in _three_attacks(forest)
        ],
        ignore_index=True,
    )
    alone = alone.drop_duplicates(["attack", "population"]).set_index(["attack", "population"])
    together = together.set_index(["attack", "population"])
    columns = [
        "score",
        "baseline_score",
        "advantage",
        "advantage_ci_low",
        "advantage_ci_high",
        "query_rows",
    ]
    pd.testing.assert_frame_equal(together.loc[alone.index, columns], alone[columns])


def test_run_keeps_the_fitted_attacks_and_baselines(setting):
    model, _, X_aux, y_aux, targets = setting
    run = run_attacks(
        _three_attacks(model), X_aux, y_aux, targets=targets, n_resamples=20, random_state=0
    )
    assert set(run.attacks) == {"MAP", "CSMIA", "MAP (imputation prior)"}
    for attack in run.attacks.values():
        assert hasattr(attack, "candidates_")  # fitted
        baseline = run.baseline_for(attack)
        assert isinstance(baseline, ImputationBaseline) and baseline.uses_label_


def test_seconds_count_a_fit_once_so_the_column_sums(setting, monkeypatch):
    model, _, X_aux, y_aux, targets = setting
    slow_fit = ConfidenceInversion.fit

    def fit(self, *args, **kwargs):
        import time

        time.sleep(0.3)
        return slow_fit(self, *args, **kwargs)

    monkeypatch.setattr(ConfidenceInversion, "fit", fit)
    table = evaluate_attacks(
        [ConfidenceInversion(model, "secret")],
        X_aux,
        y_aux,
        targets=targets,
        n_resamples=20,
        random_state=0,
    )
    seconds = table.set_index(["attack", "population"])["seconds"]
    assert seconds[("MAP", "members")] >= 0.3 > seconds[("MAP", "non-members")]


# -- the assessment runs everything once --------------------------------------------------
def test_assess_asks_each_grid_once_and_fits_each_attack_once(setting, monkeypatch):
    model, _, X_aux, y_aux, targets = setting
    (X_train, y_train), (X_out, y_out) = targets["members"], targets["non-members"]
    fits = []
    for cls in (ConfidenceInversion, LabelOnlyInversion, WhiteBoxTreeInversion):
        original = cls.fit

        def counting(self, *args, _original=original, **kwargs):
            fits.append(attack_name(self))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(cls, "fit", counting)
    X_holdout = pd.concat([X_aux, X_out])
    y_holdout = np.concatenate([y_aux, y_out])
    result = assess(
        model,
        X_train,
        y_train,
        X_holdout=X_holdout,
        y_holdout=y_holdout,
        sensitive="secret",
        defenses=[RoundProbabilities(1), LabelOnly()],
        n_resamples=50,
        random_state=0,
    )
    n_targets = len(X_train) + result.metadata["n_non_members"]
    n_test = result.metadata["n_non_members"]  # the held-out records the utility is read on
    # One predict_proba grid for MAP, CSMIA and MAP (imputation prior), the main run, the
    # exposure and both defenses; LOMIA's labels are one more grid, plus its auxiliary
    # queries. Beyond the grids: the utility of the model and of each defended model
    # (predict and predict_proba each), and one check that predict is predict_proba's arg-max.
    utility_proba = n_test * (1 + 2 + 2) + n_test
    assert model.rows_["predict_proba"] == n_targets * 3 + utility_proba
    # predict: LOMIA's one grid, its queries of the auxiliary records and the utility's labels
    # (a second grid would add 2,700 rows).
    assert (
        n_targets * 3
        <= model.rows_["predict"]
        <= (n_targets * 3 + result.metadata["n_aux"] + 2 * n_test)
    )
    # Each attack of the main run is fitted once (the exposure reuses them); under the two
    # defenses the black-box attacks are fitted again, except LOMIA, whose labels every
    # arg-max-keeping defense leaves as they were.
    assert sorted(fits) == sorted(
        ["MAP", "CSMIA", "LOMIA", "MAP (imputation prior)"]
        + ["MAP", "CSMIA", "MAP (imputation prior)"] * 2
    )
    sweep = result.defenses.set_index(["defense", "attack", "population"])
    main = result.results.set_index(["attack", "population"])
    for attack in ("MAP", "CSMIA", "LOMIA"):
        np.testing.assert_equal(
            sweep.loc[("none", attack, "members"), "advantage"],
            main.loc[(attack, "members"), "advantage"],
        )
        for defense in ("RoundProbabilities()", "LabelOnly()"):
            if attack == "LOMIA":
                row = sweep.loc[(defense, attack, "members")]
                np.testing.assert_equal(
                    row["advantage"], main.loc[(attack, "members"), "advantage"]
                )
                assert "keeps the arg-max" in row["notes"]


def test_family_intervals_of_several_columns_read_their_own_truth():
    """With attacks on two sensitive columns in one run, each family's bootstrap compares its
    attacks' guesses with its own column's true values (it once used the last column's for
    every family, and advantages fell outside their own intervals)."""
    from sklearn.ensemble import RandomForestClassifier

    from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion
    from tabinvert.evaluation import evaluate_attacks

    rng = np.random.default_rng(0)
    n = 800
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "secret": rng.integers(0, 2, n), "other": rng.integers(0, 3, n)}
    )
    y = rng.integers(0, 2, n)
    model = RandomForestClassifier(30, random_state=0).fit(X[:400], y[:400])
    attacks = [
        ConfidenceInversion(model, sensitive="secret"),
        LabelOnlyInversion(model, sensitive="secret"),
        ConfidenceInversion(model, sensitive="other"),
        LabelOnlyInversion(model, sensitive="other"),
    ]
    table = evaluate_attacks(
        attacks,
        X[400:600],
        y[400:600],
        targets={"members": (X[:400], y[:400]), "non-members": (X[600:], y[600:])},
        n_resamples=200,
        random_state=0,
    )
    rows = table[table["attack"] != "imputation"]
    assert len(rows) == 8
    inside = (rows["advantage_ci_low_family"] <= rows["advantage"] + 1e-12) & (
        rows["advantage"] <= rows["advantage_ci_high_family"] + 1e-12
    )
    assert inside.all(), rows[["attack", "population", "advantage", "advantage_ci_low_family"]]

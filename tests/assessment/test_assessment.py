"""`assess` flips its verdict between a leaking and a non-leaking model, points at the planted
vulnerable records and groups, and its result round-trips through JSON. (The summary's and the
exposure's private rules, on hand-made tables: tests/internals/test_summary_rules.py.)"""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

from tabinvert import Assessment, assess
from tabinvert.assessment import WHITE_BOX_THREAT_MODEL, scores_are_probabilities
from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion
from tabinvert.defenses import DefendedClassifier, LabelOnly, QueryBudget, RoundProbabilities
from tabinvert.evaluation import attack_name, default_attacks


def _leaking_and_blind():
    """Secret and label are noise: a fully grown forest memorises its training records (its
    confidence reveals their secret), a forest that never sees the secret cannot."""
    rng = np.random.default_rng(11)
    n = 1600
    X = pd.DataFrame(
        {"a": rng.normal(size=n), "b": rng.normal(size=n), "secret": rng.integers(0, 2, n)}
    )
    y = rng.integers(0, 2, n)
    leaking = RandomForestClassifier(100, random_state=0).fit(X[:800], y[:800])
    blind = make_pipeline(
        make_column_transformer(("passthrough", ["a", "b"])),  # never sees "secret"
        RandomForestClassifier(100, random_state=0),
    ).fit(X[:800], y[:800])
    return X, y, leaking, blind


def test_verdict_flips_between_a_leaking_and_a_blind_model():
    X, y, leaking, blind = _leaking_and_blind()
    leaks = assess(
        leaking,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        attacks=[ConfidenceInversion(leaking, "secret")],
        n_resamples=200,
        random_state=0,
    )
    quiet = assess(
        blind,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        n_resamples=200,
        random_state=0,
    )
    assert leaks.summary.loc[0, "risk_level"] == "high"
    assert "infers 'secret'" in leaks.summary.loc[0, "sentence"]
    assert quiet.summary.loc[0, "risk_level"] == "none"
    assert "No attack infers 'secret'" in quiet.summary.loc[0, "sentence"]
    attacks = quiet.results[quiet.results["attack"] != "imputation"]
    # The blind model is a Pipeline ending in a forest: "auto" also reads its trees.
    assert set(attacks["attack"]) == {
        "MAP",
        "CSMIA",
        "LOMIA",
        "MAP (imputation prior)",
        "white-box tree",
    }
    assert (attacks["advantage_ci_low"] <= 0).all()


@pytest.fixture(scope="module")
def planted():
    """Typical people's label is `b`; in the rare town 99 the *training* records' label is
    `secret XOR b` (a pattern of those few people, not of the population), which a tree
    memorises: only the rare training records are exposed."""
    rng = np.random.default_rng(12)

    def people(n, n_rare, memorised):
        town = np.concatenate([rng.integers(0, 4, n - n_rare), np.full(n_rare, 99)])
        b, secret = rng.integers(0, 2, n), rng.integers(0, 2, n)
        rare = town == 99
        y = np.where(rare, (secret ^ b) if memorised else rng.integers(0, 2, n), b)
        return pd.DataFrame({"town": town, "b": b, "secret": secret}), y

    X_train, y_train = people(1000, 60, memorised=True)
    X_hold, y_hold = people(1000, 60, memorised=False)
    X_train.index = pd.RangeIndex(5000, 6000)  # index labels, not positions, are reported
    model = DecisionTreeClassifier(random_state=0).fit(X_train, y_train)
    result = assess(
        model,
        X_train,
        y_train,
        X_holdout=X_hold,
        y_holdout=y_hold,
        sensitive="secret",
        group_by="town",
        top_records=30,
        n_resamples=200,
        random_state=0,
    )
    return X_train, result


def test_most_exposed_records_are_the_planted_ones(planted):
    X_train, result = planted
    exposed = result.exposed_records
    assert len(exposed) == 30
    assert (X_train.loc[exposed["record"], "town"] == 99).all()
    assert (X_train.index[exposed["position"]] == exposed["record"]).all()
    assert set(exposed.columns).isdisjoint({"town", "b"})  # indices and scores, no data


def test_subgroup_disparity_finds_the_rare_group(planted):
    _, result = planted
    disparity = result.disparity.set_index("group")
    assert str(disparity.loc["town", "most_exposed"]) == "99"
    assert disparity.loc["town", "advantage_gap"] > 0.5
    by_town = result.by_group[result.by_group["group"] == "town"].set_index("value")
    assert by_town.loc["99", "attack_success"] > 0.9
    assert by_town.loc["99", "baseline_success"] < 0.75
    # The rare town's records are also the "distinctive" ones, found without being told.
    distinct = result.by_group[result.by_group["group"] == "distinctive records"].set_index("value")
    assert (
        distinct.loc["distinctive", "mean_exposure"]
        > distinct.loc["typical", "mean_exposure"] + 0.1
    )


def test_members_leak_more_than_non_members(planted):
    _, result = planted
    gap = result.membership_gap.set_index("attack")
    assert gap.loc["MAP", "gap"] > 0
    assert gap.loc["MAP", "advantage_members"] > gap.loc["MAP", "advantage_non_members"]


def test_json_round_trip(planted, tmp_path):
    _, result = planted
    path = tmp_path / "assessment.json"
    result.to_json(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["assessment.json"]
    again = Assessment.from_json(path)
    assert again.to_dict() == result.to_dict()
    assert json.loads(path.read_text())["format"] == "tabinvert.assessment/1"
    pd.testing.assert_frame_equal(again.to_frame(), result.to_frame(), check_dtype=False)
    with pytest.raises(ValueError, match="Not a tabinvert assessment"):
        Assessment.from_dict({"results": []})


def test_auxiliary_share_of_the_holdout_is_never_attacked():
    X, y, leaking, *_ = _leaking_and_blind()
    result = assess(
        leaking,
        X[:800],
        y[:800],
        X_holdout=X[800:1200],
        y_holdout=y[800:1200],
        sensitive="secret",
        attacks=[ConfidenceInversion(leaking, "secret")],
        aux_fraction=0.25,
        n_resamples=100,
        random_state=0,
    )
    meta = result.metadata
    assert (meta["n_aux"], meta["n_non_members"]) == (100, 300)
    non_members = result.results[result.results["population"] == "non-members"]
    assert (non_members["n_records"] == 300).all()
    assert meta["data_sha256"]["aux"] != meta["data_sha256"]["non_members"]


@pytest.fixture(scope="module")
def swept():
    """The leaking forest, assessed with attacks="auto" and two output defenses."""
    X, y, leaking, *_ = _leaking_and_blind()
    return assess(
        leaking,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        defenses={"round": RoundProbabilities(1), "label only": LabelOnly()},
        n_resamples=100,
        random_state=0,
    )


def test_defenses_sweep_is_included(swept):
    result = swept
    assert set(result.defenses["defense"]) == {"none", "round", "label only"}
    assert set(result.frontier["defense"]) == {"none", "round", "label only"}
    assert "LOMIA" in set(result.defenses["attack"])


def test_undefended_sweep_rows_repeat_the_main_results(swept):
    """Same int seed, same attack, same baseline: the "none" rows of the defense sweep are the
    rows of the results table, number for number."""
    result = swept
    none = result.defenses[result.defenses["defense"] == "none"]
    main = result.results.set_index(["sensitive", "attack", "population"])
    assert len(none) == 2 * 4  # MAP, CSMIA, LOMIA, MAP (imputation prior) × 2 populations
    for row in none.itertuples():
        expected = main.loc[(row.sensitive, row.attack, row.population)]
        for column in (
            "score",
            "score_ci_low",
            "score_ci_high",
            "baseline_score",
            "advantage",
            "advantage_ci_low",
            "advantage_ci_high",
        ):
            assert getattr(row, column) == expected[column], (row.attack, row.population, column)
        assert row.verdict == expected["verdict"]


def test_white_box_attack_is_stated_and_kept_out_of_the_defense_sweep(swept):
    result = swept
    # A bare forest: "auto" reads its trees, and says what that attacker holds.
    assert "white-box tree" in set(result.results["attack"])
    assert result.threat_model.endswith(WHITE_BOX_THREAT_MODEL)
    assert "internals" in WHITE_BOX_THREAT_MODEL
    assert "internals" in result.to_html()
    # An output defense does not change what a white-box attacker reads: not in the sweep.
    assert not result.defenses["attack"].str.contains("white-box").any()


def _fitted(model):
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "secret": [0, 1, 0, 1]})
    return model.fit(X, [0, 1, 1, 0])


@pytest.mark.parametrize(
    "make_model, kind, white_box",
    [
        (
            lambda: _fitted(
                make_pipeline(StandardScaler(), RandomForestClassifier(5, random_state=0))
            ),
            "categorical",
            True,
        ),
        (lambda: _fitted(DecisionTreeClassifier(random_state=0)), "categorical", True),
        (
            lambda: FrozenEstimator(_fitted(RandomForestClassifier(5, random_state=0))),
            "categorical",
            True,
        ),
        (lambda: _fitted(RandomForestClassifier(5, random_state=0)), "numeric", False),
        (lambda: _fitted(LogisticRegression()), "categorical", False),
        (
            lambda: _fitted(make_pipeline(StandardScaler(), LogisticRegression())),
            "categorical",
            False,
        ),
        # Served through a defense or a query budget, the forest is a black box to the attacker.
        (
            lambda: _fitted(
                DefendedClassifier(RandomForestClassifier(5, random_state=0), RoundProbabilities(1))
            ),
            "categorical",
            False,
        ),
        (
            lambda: QueryBudget(_fitted(RandomForestClassifier(5, random_state=0)), max_rows=10),
            "categorical",
            False,
        ),
    ],
    ids=[
        "forest pipeline",
        "tree",
        "frozen forest",
        "numeric attribute",
        "logistic",
        "logistic pipeline",
        "defended forest",
        "budgeted forest",
    ],
)
def test_auto_adds_the_white_box_tree_attack_only_for_readable_trees(make_model, kind, white_box):
    names = [attack_name(a) for a in default_attacks(make_model(), "secret", kind, random_state=0)]
    assert ("white-box tree" in names) is white_box, names
    assert "LOMIA" in names  # label-only, always
    assert not any(name.startswith("learned") for name in names)  # not chosen by default


def test_assess_auto_on_a_defended_forest_runs_black_box_attacks_only():
    X, y, leaking, *_ = _leaking_and_blind()
    defended = DefendedClassifier(FrozenEstimator(leaking), RoundProbabilities(1)).fit(X[:2], y[:2])
    result = assess(
        defended,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        n_resamples=50,
        random_state=0,
    )
    assert not result.results["attack"].str.contains("white-box").any()
    assert "white-box" not in result.threat_model


# -- per-record exposure: probabilities, not CSMIA's rank scores --------------------------------


def test_csmia_scores_are_not_probabilities():
    assert not scores_are_probabilities(ConfidenceInversion(None, "s", method="csmia"))
    for attack in (
        ConfidenceInversion(None, "s"),
        LabelOnlyInversion(None, "s"),
        ConfidenceInversion(None, "s", prior="imputation"),
    ):
        assert scores_are_probabilities(attack)


def test_exposure_is_the_posterior_of_an_attack_with_probabilities():
    """CSMIA and MAP both run: the exposed records are scored with MAP's posterior of the true
    value, recomputed here from the attack itself."""
    X, y, leaking, *_ = _leaking_and_blind()
    attacks = [
        ConfidenceInversion(leaking, "secret", method="csmia", random_state=0),
        ConfidenceInversion(leaking, "secret", random_state=0),
    ]
    result = assess(
        leaking,
        X[:800],
        y[:800],
        X_holdout=X[1200:],
        y_holdout=y[1200:],
        X_aux=X[800:1200],
        y_aux=y[800:1200],
        sensitive="secret",
        attacks=attacks,
        n_resamples=50,
        random_state=0,
    )
    assert result.summary.loc[0, "attack"] == "CSMIA"  # CSMIA decides the risk, but ...
    exposed = result.exposed_records
    assert len(exposed) and set(exposed["attack"]) == {"MAP"}  # ... MAP scores the records
    posterior = (
        ConfidenceInversion(leaking, "secret", random_state=0)
        .fit(X[800:1200], y[800:1200])
        .attack_proba(X[:800], y[:800])
        .to_numpy()
    )
    truth = X["secret"].to_numpy()[exposed["position"]]
    np.testing.assert_allclose(exposed["attack_confidence"], posterior[exposed["position"], truth])
    np.testing.assert_allclose(
        exposed["exposure"], exposed["attack_confidence"] - exposed["baseline_confidence"]
    )
    assert set(result.by_group["attack"]) == {"MAP"}


def test_csmia_only_exposure_is_its_hit_against_imputations_probability():
    X, y, leaking, *_ = _leaking_and_blind()
    result = assess(
        leaking,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        attacks=[ConfidenceInversion(leaking, "secret", method="csmia", random_state=0)],
        top_records=1000,
        n_resamples=50,
        random_state=0,
    )
    exposed = result.exposed_records
    assert len(exposed) > 50 and set(exposed["attack"]) == {"CSMIA"}
    # CSMIA's scores only rank the candidates: its confidence is its hit, 1 on these records.
    assert (exposed["attack_confidence"] == 1.0).all()
    assert exposed["baseline_confidence"].between(0, 1).all()
    np.testing.assert_allclose(exposed["exposure"], 1.0 - exposed["baseline_confidence"])
    assert exposed["exposure"].between(0, 1).all()
    # The hits are CSMIA's own guesses: over all training records (the distinctive and the
    # typical together), the success rate is the members' score in the results table.
    groups = result.by_group[result.by_group["group"] == "distinctive records"]
    success = (groups["attack_success"] * groups["n_records"]).sum() / groups["n_records"].sum()
    score = result.results.set_index(["attack", "population"]).loc[("CSMIA", "members"), "score"]
    assert success == pytest.approx(score)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(sensitive="missing"), "Column 'missing' is not in X_train"),
        (dict(sensitive="secret", X_holdout=None, y_holdout=None), "needs auxiliary data"),
        (dict(sensitive="secret", X_aux="use-holdout", y_aux=None), "without y_aux"),
        (dict(sensitive="secret", group_by="nope"), "Column 'nope' is not in X_train"),
    ],
)
def test_bad_input_is_refused_with_the_fix(kwargs, match):
    X, y, leaking, *_ = _leaking_and_blind()
    arguments = dict(X_holdout=X[800:], y_holdout=y[800:])
    arguments.update(kwargs)
    if arguments.get("X_aux") == "use-holdout":
        arguments["X_aux"] = X[800:900]
    with pytest.raises(ValueError, match=match):
        assess(leaking, X[:800], y[:800], n_resamples=50, **arguments)


def test_frontier_keeps_a_defense_whose_risk_is_undefined():
    from tabinvert.evaluation import privacy_utility_frontier

    table = pd.DataFrame(
        {
            "defense": ["none", "blind"],
            "attack": ["MAP", "MAP"],
            "population": "members",
            "utility": [0.8, 0.7],
            "advantage": [0.1, np.nan],
        }
    )
    frontier = privacy_utility_frontier(table).set_index("defense")
    assert np.isnan(frontier.loc["blind", "risk"])
    assert frontier.loc["none", "on_frontier"]


def test_models_fitted_on_arrays_are_assessed_by_position():
    rng = np.random.default_rng(15)
    X = np.column_stack([rng.normal(size=600), rng.integers(0, 3, 600), rng.integers(0, 2, 600)])
    y = ((X[:, 1] == 1) ^ (X[:, 0] > 0)).astype(int)
    model = RandomForestClassifier(30, random_state=0).fit(X[:300], y[:300])
    result = assess(
        model,
        X[:300],
        y[:300],
        X_holdout=X[300:],
        y_holdout=y[300:],
        sensitive=1,
        n_resamples=50,
        random_state=0,
    )
    assert set(result.summary["sensitive"]) == {1}
    assert {"MAP", "LOMIA", "imputation"} <= set(result.results["attack"])

"""`assess` flips its verdict between a leaking and a non-leaking model, points at the planted
vulnerable records and groups, and its result round-trips through JSON."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.tree import DecisionTreeClassifier

from tabinvert import Assessment, assess
from tabinvert.attacks import ConfidenceInversion
from tabinvert.defenses import LabelOnly, RoundProbabilities


def _leaking_and_blind():
    """Secret and label are noise: a fully grown forest memorises its training records (its
    confidence reveals their secret), a forest that never sees the secret cannot."""
    rng = np.random.default_rng(11)
    n = 1600
    X = pd.DataFrame({"a": rng.normal(size=n), "b": rng.normal(size=n),
                      "secret": rng.integers(0, 2, n)})
    y = rng.integers(0, 2, n)
    leaking = RandomForestClassifier(100, random_state=0).fit(X[:800], y[:800])
    blind = make_pipeline(
        make_column_transformer(("passthrough", ["a", "b"])),  # never sees "secret"
        RandomForestClassifier(100, random_state=0),
    ).fit(X[:800], y[:800])
    return X, y, leaking, blind


def test_verdict_flips_between_a_leaking_and_a_blind_model():
    X, y, leaking, blind = _leaking_and_blind()
    leaks = assess(leaking, X[:800], y[:800], X_holdout=X[800:], y_holdout=y[800:],
                   sensitive="secret", attacks=[ConfidenceInversion(leaking, "secret")],
                   n_resamples=200, random_state=0)
    quiet = assess(blind, X[:800], y[:800], X_holdout=X[800:], y_holdout=y[800:],
                   sensitive="secret", n_resamples=200, random_state=0)
    assert leaks.summary.loc[0, "risk_level"] == "high"
    assert "infers 'secret'" in leaks.summary.loc[0, "sentence"]
    assert quiet.summary.loc[0, "risk_level"] == "none"
    assert "No attack infers 'secret'" in quiet.summary.loc[0, "sentence"]
    attacks = quiet.results[quiet.results["attack"] != "imputation"]
    assert set(attacks["attack"]) == {"MAP", "CSMIA", "LOMIA", "MAP (imputation prior)"}
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
    result = assess(model, X_train, y_train, X_holdout=X_hold, y_holdout=y_hold,
                    sensitive="secret", group_by="town", top_records=30, n_resamples=200,
                    random_state=0)
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
    assert distinct.loc["distinctive", "mean_exposure"] > distinct.loc["typical", "mean_exposure"] + 0.1


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
    result = assess(leaking, X[:800], y[:800], X_holdout=X[800:1200], y_holdout=y[800:1200],
                    sensitive="secret", attacks=[ConfidenceInversion(leaking, "secret")],
                    aux_fraction=0.25, n_resamples=100, random_state=0)
    meta = result.metadata
    assert (meta["n_aux"], meta["n_non_members"]) == (100, 300)
    non_members = result.results[result.results["population"] == "non-members"]
    assert (non_members["n_records"] == 300).all()
    assert meta["data_sha256"]["aux"] != meta["data_sha256"]["non_members"]


def test_defenses_sweep_is_included(planted):
    X, y, leaking, *_ = _leaking_and_blind()
    result = assess(leaking, X[:800], y[:800], X_holdout=X[800:], y_holdout=y[800:],
                    sensitive="secret", defenses={"round": RoundProbabilities(1),
                                                  "label only": LabelOnly()},
                    n_resamples=100, random_state=0)
    assert set(result.defenses["defense"]) == {"none", "round", "label only"}
    assert set(result.frontier["defense"]) == {"none", "round", "label only"}
    assert "LOMIA" in set(result.defenses["attack"])


@pytest.mark.parametrize("kwargs, match", [
    (dict(sensitive="missing"), "Column 'missing' is not in X_train"),
    (dict(sensitive="secret", X_holdout=None, y_holdout=None), "needs auxiliary data"),
    (dict(sensitive="secret", X_aux="use-holdout", y_aux=None), "without y_aux"),
    (dict(sensitive="secret", group_by="nope"), "Column 'nope' is not in X_train"),
])
def test_bad_input_is_refused_with_the_fix(kwargs, match):
    X, y, leaking, *_ = _leaking_and_blind()
    arguments = dict(X_holdout=X[800:], y_holdout=y[800:])
    arguments.update(kwargs)
    if arguments.get("X_aux") == "use-holdout":
        arguments["X_aux"] = X[800:900]
    with pytest.raises(ValueError, match=match):
        assess(leaking, X[:800], y[:800], n_resamples=50, **arguments)


def test_distinctive_records_with_numeric_features_only():
    from tabinvert.assessment import _distinctive_groups, _typicality

    rng = np.random.default_rng(13)
    X = pd.DataFrame({"a": rng.normal(size=500), "b": rng.normal(size=500)})
    X.loc[:9, "a"] = 40.0  # ten far outliers
    labels = _distinctive_groups(_typicality(X, ["a", "b"]))
    assert (labels[:10] == "distinctive").all()
    assert 0.05 < (labels == "distinctive").mean() <= 0.2
    assert _distinctive_groups(np.full(100, 0.3)) is None  # nothing varies: no such group


def test_frontier_keeps_a_defense_whose_risk_is_undefined():
    from tabinvert.evaluation import privacy_utility_frontier

    table = pd.DataFrame({"defense": ["none", "blind"], "attack": ["MAP", "MAP"],
                          "population": "members", "utility": [0.8, 0.7],
                          "advantage": [0.1, np.nan]})
    frontier = privacy_utility_frontier(table).set_index("defense")
    assert np.isnan(frontier.loc["blind", "risk"])
    assert frontier.loc["none", "on_frontier"]

"""Verdicts that hold up: family-wise intervals decide the level, a level per access (API or
model file), tail risk and the attacker's data size. The headline's rules applied to hand-made
result tables are checked on the private summary itself in tests/internals/test_summary_rules.py."""

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier

from tabinvert import assess
from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion
from tabinvert.evaluation import evaluate_attacks, run_attacks
from tabinvert.metrics import simultaneous_advantage_intervals, tail_risk_table


def _memorising(n=1200, seed=0):
    """Labels that are noise: a forest memorises them with its members' secret (rare "c")."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n),
            "secret": rng.choice(["a", "b", "c"], n, p=[0.5, 0.35, 0.15]),
        }
    )
    X["secret_code"] = X["secret"].map({"a": 0, "b": 1, "c": 2})
    y = rng.integers(0, 2, n)
    return X, y


def _forest_on_codes(X, y):
    """A forest reading the secret through its code (a model on numbers, a frame on input)."""
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OrdinalEncoder

    encode = make_column_transformer((OrdinalEncoder(), ["secret"]), ("passthrough", ["age"]))
    return make_pipeline(encode, RandomForestClassifier(100, random_state=0)).fit(X, y)


@pytest.fixture(scope="module")
def leaking():
    X, y = _memorising()
    X = X.drop(columns="secret_code")
    model = _forest_on_codes(X[:600], y[:600])
    return X, y, model


# -- 2. family-wise intervals decide ------------------------------------------------------------


def test_run_family_columns_are_the_simultaneous_intervals_of_the_runs_guesses(leaking):
    X, y, model = leaking
    attacks = [
        ConfidenceInversion(model, "secret", random_state=0),
        ConfidenceInversion(model, "secret", method="csmia", random_state=0),
        LabelOnlyInversion(model, "secret", random_state=0),
    ]
    run = run_attacks(
        attacks,
        X[600:900],
        y[600:900],
        targets={"members": (X[:600], y[:600])},
        n_resamples=300,
        random_state=0,
    )
    rows = run.table[run.table["attack"] != "imputation"].set_index("attack")
    baseline_guesses = next(iter(run.baselines.values()))[1]["members"][0]
    expected = simultaneous_advantage_intervals(
        run.truths["members"],
        {name: run.guesses[name, "members"] for name in rows.index},
        baseline_guesses,
        n_resamples=300,
        random_state=run.scoring.seed,
    ).set_index("attack")
    np.testing.assert_allclose(rows["advantage_ci_low_family"], expected["ci_low"])
    np.testing.assert_allclose(rows["advantage_ci_high_family"], expected["ci_high"])
    # Simultaneous over three attacks: wider than each attack's own interval.
    own = rows["advantage_ci_high"] - rows["advantage_ci_low"]
    family = rows["advantage_ci_high_family"] - rows["advantage_ci_low_family"]
    assert (family > own).all()


# -- 3. a level per access ----------------------------------------------------------------------


@pytest.mark.parametrize("access", ["api", "model-file", "both"])
def test_assess_access_chooses_the_attacks_and_the_verdicts(leaking, access):
    X, y, _ = leaking
    model = RandomForestClassifier(50, random_state=0).fit(
        X[:600].assign(secret=X[:600]["secret"].map({"a": 0, "b": 1, "c": 2})), y[:600]
    )
    X_num = X.assign(secret=X["secret"].map({"a": 0, "b": 1, "c": 2}))
    result = assess(
        model,
        X_num[:600],
        y[:600],
        X_holdout=X_num[600:],
        y_holdout=y[600:],
        sensitive="secret",
        n_resamples=100,
        random_state=0,
        access=access,
    )
    ran = set(result.results["access"])
    assert ("model" in ran) == (access != "api")  # no white-box attack for an API-only view
    row = result.summary.iloc[0]
    order = ["not assessed", "none", "low", "medium", "high"]
    if access == "api":
        assert row["risk_level_model_file"] == "not assessed"
        assert row["risk_level"] == row["risk_level_api"]
    else:
        assert row["risk_level"] == row["risk_level_model_file"]
    if access == "both":
        assert order.index(row["risk_level_model_file"]) >= order.index(row["risk_level_api"])
        document = json.loads(result.to_json())
        summary_json = document["summary"]
        assert {"risk_level_api", "risk_level_model_file"} <= set(summary_json["columns"])


# -- 5. tail risk -------------------------------------------------------------------------------


def test_evaluate_attacks_tail_risk_is_the_precision_of_the_surest_inferences(leaking):
    X, y, model = leaking
    attack = ConfidenceInversion(model, "secret", random_state=0)
    table, tail = evaluate_attacks(
        [attack],
        X[600:900],
        y[600:900],
        targets={"members": (X[:600], y[:600])},
        n_resamples=50,
        random_state=0,
        tail_risk={"value": "c", "ks": (10, 0.05)},
    )
    fitted = ConfidenceInversion(model, "secret", random_state=0).fit(X[600:900], y[600:900])
    scores = fitted.attack_proba(X[:600], y[:600])["c"].to_numpy()
    from tabinvert.attacks import ImputationBaseline

    baseline = ImputationBaseline(
        "secret", candidates=fitted.candidates_, random_state=0
    )  # seeded as the attack: the run's baseline for it
    baseline.fit(X[600:900][list(fitted.layout_.columns)], y[600:900])
    base_scores = baseline.attack_proba(X[:600], y[:600])["c"].to_numpy()
    expected = tail_risk_table(
        X["secret"][:600].to_numpy(), {"MAP": scores}, base_scores, "c", (10, 0.05)
    )
    np.testing.assert_allclose(tail["precision"], expected["precision"])
    np.testing.assert_allclose(tail["baseline_precision"], expected["baseline_precision"])
    assert (tail["value"] == "c").all() and (tail["population"] == "members").all()
    # A small average advantage hides people singled out: three of the forest's ten surest
    # "c" hold it (interval above 0), none of imputation's ten.
    first = tail.iloc[0]
    assert first["ci_low"] > first["baseline_precision"] == 0.0


def test_evaluate_attacks_refuses_a_bad_tail_risk_option(leaking):
    X, y, model = leaking
    common = dict(targets={"members": (X[:100], y[:100])}, n_resamples=10, random_state=0)
    attack = ConfidenceInversion(model, "secret", random_state=0)
    with pytest.raises(ValueError, match="takes the keys 'value' and 'ks'"):
        evaluate_attacks([attack], X[600:900], y[600:900], tail_risk={"k": 10}, **common)
    with pytest.raises(ValueError, match="not a candidate value"):
        evaluate_attacks([attack], X[600:900], y[600:900], tail_risk={"value": "z"}, **common)


# -- 6. the attacker's data size ----------------------------------------------------------------


def test_assess_reruns_the_deciding_attacks_at_each_aux_size(leaking):
    X, y, model = leaking
    result = assess(
        model,
        X[:600],
        y[:600],
        X_holdout=X[600:],
        y_holdout=y[600:],
        sensitive="secret",
        n_resamples=100,
        random_state=0,
        aux_sizes=(40, "all"),
        aux_repeats=2,
        access="api",
    )
    sized = result.aux_sizes
    summary = result.summary.iloc[0]
    assert list(sized["aux_size"]) == [40, "all"]
    assert set(sized["attack"]) == {summary["attack_api"]}
    assert list(sized["repeats"]) == [2, 1]
    # "all" is the main run: the same advantage as the results table.
    main = (
        result.results.set_index(["attack", "population"])
        .sort_index()
        .loc[(summary["attack_api"], "members"), "advantage"]
    )
    assert sized.iloc[1]["advantage"] == pytest.approx(main)
    assert summary["aux_size"] in (40, "all")
    assert result.tail_risk is not None and set(result.tail_risk["value"]) == {"c"}


def test_an_unseeded_attack_shares_the_baseline_of_an_attack_holding_an_imputer(leaking):
    """MAP (no seed, no imputer) is compared with LOMIA's own imputer: one imputation row per
    population, not one per attack, whatever their order."""
    X, y, model = leaking
    for attacks in (
        [ConfidenceInversion(model, "secret"), LabelOnlyInversion(model, "secret", random_state=0)],
        [LabelOnlyInversion(model, "secret", random_state=0), ConfidenceInversion(model, "secret")],
    ):
        run = run_attacks(
            attacks,
            X[600:900],
            y[600:900],
            targets={"members": (X[:600], y[:600]), "non-members": (X[900:], y[900:])},
            n_resamples=20,
            random_state=0,
        )
        assert (run.table["attack"] == "imputation").sum() == 2
        assert run.baseline_for(run.attacks["MAP"]) is run.attacks["LOMIA"].imputer_

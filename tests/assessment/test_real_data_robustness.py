"""Real data must not abort an assessment: missing sensitive values, a category the model
never saw, one attribute that cannot be assessed."""

import numpy as np
import pandas as pd
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder

from tabinvert import assess


def _patients(n=1000, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 90, n),
            "genotype": rng.choice(["*1/*1", "*1/*2", "*2/*2"], n, p=[0.6, 0.3, 0.1]),
            "smoker": rng.choice(["yes", "no"], n),
        }
    )
    y = rng.integers(0, 2, n)  # noise: the forest memorises its members
    return X, y


def _model(X, y):
    encode = make_column_transformer(
        (OneHotEncoder(), ["genotype", "smoker"]), remainder="passthrough"
    )
    return make_pipeline(encode, RandomForestClassifier(50, random_state=0)).fit(X, y)


def test_missing_sensitive_values_are_left_out_and_counted():
    X, y = _patients()
    model = _model(X[:500], y[:500])
    X = X.copy()
    X.loc[X.index[:40], "genotype"] = np.nan  # 40 members with no recorded genotype
    X.loc[X.index[700:710], "genotype"] = np.nan  # and 10 holdout records
    before = X.copy()
    result = assess(
        model,
        X[:500],
        y[:500],
        X_holdout=X[500:],
        y_holdout=y[500:],
        sensitive="genotype",
        n_resamples=50,
        random_state=0,
    )
    pd.testing.assert_frame_equal(X, before)  # the caller's data untouched
    assert result.metadata["left_out"]["genotype"]["missing"]["members"] == 40
    assert result.metadata["n_attacked"]["genotype"]["members"] == 460
    members = result.results[result.results["population"] == "members"]
    assert (members["n_records"] == 460).all()
    assert (
        "40 training record(s) with no recorded 'genotype' were left out"
        in (result.summary.loc[0, "sentence"])
    )
    # Exposed records point at attacked records only, by their own index and position.
    exposed = result.exposed_records
    assert (exposed["position"] >= 40).all()
    assert (X[:500].index[exposed["position"]] == exposed["record"]).all()


def test_a_category_the_model_never_saw_is_left_out_of_the_candidates():
    X, y = _patients()
    model = _model(X[:500], y[:500])
    X = X.copy()
    X.loc[X.index[600], "genotype"] = "*1/*13"  # one holdout patient, a rare allele
    result = assess(
        model,
        X[:500],
        y[:500],
        X_holdout=X[500:],
        y_holdout=y[500:],
        sensitive=["genotype", "smoker"],
        n_resamples=50,
        random_state=0,
        aux_fraction=0.5,
    )
    assert list(result.summary["sensitive"]) == ["genotype", "smoker"]
    unseen = result.metadata["left_out"]["genotype"]["unseen"]
    if unseen:  # the record fell in the attacker's half of the holdout
        assert unseen == ["*1/*13"]
        assert "'*1/*13' were left out of the candidates" in result.summary.loc[0, "sentence"]
    assert set(result.summary["risk_level"]) <= {"none", "low", "medium", "high"}


def test_the_unseen_value_in_the_auxiliary_data_no_longer_aborts():
    X, y = _patients()
    model = _model(X[:500], y[:500])
    X_aux = X[500:800].copy()
    X_aux.loc[X_aux.index[0], "genotype"] = "*1/*13"
    result = assess(
        model,
        X[:500],
        y[:500],
        X_holdout=X[800:],
        y_holdout=y[800:],
        X_aux=X_aux,
        y_aux=y[500:800],
        sensitive="genotype",
        n_resamples=50,
        random_state=0,
    )
    assert result.metadata["left_out"]["genotype"]["unseen"] == ["*1/*13"]
    # Given explicitly, the candidates are used as they are.
    chosen = assess(
        model,
        X[:500],
        y[:500],
        X_holdout=X[800:],
        y_holdout=y[800:],
        X_aux=X_aux,
        y_aux=y[500:800],
        sensitive="genotype",
        n_resamples=50,
        random_state=0,
        candidates={"genotype": ["*1/*1", "*1/*2"]},
    )
    assert chosen.metadata["left_out"]["genotype"]["unseen"] == []
    assert "were left out of the candidates" not in chosen.summary.loc[0, "sentence"]


def test_one_attribute_that_fails_does_not_lose_the_others():
    X, y = _patients()
    X = X.assign(unrecorded=np.nan)  # no auxiliary record holds a value: nothing to learn
    X.loc[X.index[:500], "unrecorded"] = 1.0
    model = make_pipeline(
        make_column_transformer((OneHotEncoder(), ["genotype", "smoker"]), remainder="passthrough"),
        RandomForestClassifier(30, random_state=0),
    ).fit(X[:500].fillna(0), y[:500])
    result = assess(
        model,
        X[:500],
        y[:500],
        X_holdout=X[500:],
        y_holdout=y[500:],
        sensitive=["genotype", "unrecorded"],
        n_resamples=50,
        random_state=0,
    )
    summary = result.summary.set_index("sensitive")
    assert summary.loc["genotype", "risk_level"] in {"none", "low", "medium", "high"}
    assert summary.loc["unrecorded", "risk_level"] == "undetermined"
    assert "'unrecorded' could not be assessed" in summary.loc["unrecorded", "sentence"]
    assert result.metadata["left_out"]["unrecorded"]["error"]
    assert set(result.results["sensitive"]) == {"genotype"}


def test_the_scope_says_how_many_were_attacked_and_why_fewer():
    X, y = _patients()
    model = _model(X[:500], y[:500])
    X = X.copy()
    X.loc[X.index[:40], "genotype"] = np.nan
    result = assess(
        model,
        X[:500],
        y[:500],
        X_holdout=X[500:],
        y_holdout=y[500:],
        sensitive=["genotype", "smoker"],
        n_resamples=50,
        random_state=0,
    )
    html = result.to_html()
    scope = html[html.index('<p class="scope">') : html.index("</p>", html.index('class="scope"'))]
    assert "The assessment was given 500 training records" in scope
    assert "“genotype”: 460 attacked (40 with no recorded value left out)" in scope
    assert "“smoker”: " not in scope  # all 500 attacked: nothing to explain

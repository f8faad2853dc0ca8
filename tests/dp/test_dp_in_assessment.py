"""DP counterparts in the sweep: assess(dp_epsilons=...), the CLI's --dp-epsilons, and the
report's sentences checked against the rows they read."""

import math
import re

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.neural_network import MLPClassifier

from tabinvert import assess
from tabinvert.assessment import Assessment
from tabinvert.dp import counterpart_families, private_counterparts

pytest.importorskip("dp_accounting")  # the dp extra is in the test extra: this never skips in CI


def memorising_population(n, seed):
    """A label that is noise to anyone but a model that memorised it together with the
    secret: a deep forest leaks the members' secret, a private linear model cannot."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "age": rng.integers(20, 70, n).astype(float),
            "income": rng.normal(size=n),
            "secret": rng.integers(0, 2, n),
        }
    )
    y = rng.integers(0, 2, n)
    return X, y


@pytest.fixture(scope="module")
def leaky_assessment():
    X, y = memorising_population(1200, 0)
    model = RandomForestClassifier(100, random_state=0).fit(X[:600], y[:600])
    return assess(
        model,
        X[:600],
        y[:600],
        X_holdout=X[600:],
        y_holdout=y[600:],
        sensitive="secret",
        n_resamples=200,
        random_state=0,
        dp_epsilons=[0.5, 4],
        access="api",
    )


def test_families_follow_the_model():
    assert counterpart_families(LogisticRegression()) == ([("DP logistic", ())], True)
    assert counterpart_families(MLPClassifier(hidden_layer_sizes=(8, 4))) == (
        [("DP MLP", (8, 4))],
        True,
    )
    families, same = counterpart_families(RandomForestClassifier())
    assert [name for name, _ in families] == ["DP logistic", "DP MLP"] and same is False
    assert counterpart_families(LinearRegression()) == ([("DP linear", ())], True)


def test_counterparts_are_fitted_at_each_epsilon():
    X, y = memorising_population(400, 1)
    X["colour"] = np.where(X["income"] > 0, "red", "blue")
    model = RandomForestClassifier(10, random_state=0).fit(X.drop(columns="colour"), y)
    models = private_counterparts(model, X, y, [1, 8], random_state=0)
    assert list(models) == ["DP logistic ε=1", "DP logistic ε=8", "DP MLP ε=1", "DP MLP ε=8"]
    for name, pipeline in models.items():
        target = float(name.rsplit("=", 1)[1])
        # Calibrated to the target from below, within 1%.
        assert 0.99 * target <= pipeline[-1].epsilon_ <= target
        # Only the model's own columns are read: "colour" is not one of them.
        assert list(pipeline.feature_names_in_) == ["age", "income", "secret"]
    with pytest.raises(ValueError, match="distinct positive"):
        private_counterparts(model, X, y, [1, 1])


def test_regressor_counterpart():
    X, y = memorising_population(400, 2)
    target = 3 * X["income"] + X["secret"]
    model = LinearRegression().fit(X, target)
    models = private_counterparts(model, X, target, [np.inf], random_state=0)
    ((name, pipeline),) = models.items()
    assert name == "DP linear ε=∞"
    assert pipeline[-1].noise_multiplier_ == 0
    # Without noise the private trainer still learns the relation.
    assert pipeline.score(X, target) > 0.6


def test_assess_sweeps_dp_models_members_and_non_members(leaky_assessment):
    result = leaky_assessment
    dp = result.metadata["dp"]
    assert list(dp["models"]) == [
        "DP logistic ε=0.5",
        "DP logistic ε=4",
        "DP MLP ε=0.5",
        "DP MLP ε=4",
    ]
    assert dp["same_family"] is False
    for info in dp["models"].values():
        assert 0.99 * info["epsilon"] <= info["epsilon_accounted"] <= info["epsilon"]
        assert info["noise_multiplier"] > 0 and info["n_steps"] > 0
    table = result.defenses
    for name in dp["models"]:
        rows = table[table["defense"] == name]
        assert set(rows["population"]) == {"members", "non-members"}
    # The deployed forest gives its members' secret away; no private model comes near it
    # (DP bounds, it does not zero, what a model reveals: e^ε − 1 bounds the advantage).
    members = table[table["population"] == "members"]
    none = members[members["defense"] == "none"]
    assert none["advantage_ci_low_family"].max() > 0.5
    for name in dp["models"]:
        rows = members[members["defense"] == name]
        assert rows["advantage"].max() < 0.2, name


def _section(html):
    start = html.index('<section id="differential-privacy">')
    return html[start : html.index("</section>", start)]


def test_report_sentences_agree_with_the_rows(leaky_assessment):
    result = leaky_assessment
    section = _section(result.to_html())
    assert "e^ε" in section and "not what the population" in section
    table = result.defenses
    members = table[table["population"] == "members"]
    found = 0
    for family in ("DP logistic", "DP MLP"):
        # The smallest ε at which every attack's (simultaneous) interval on the members
        # reaches 0, computed here from the rows.
        safe = None
        for epsilon in (0.5, 4):
            rows = members[members["defense"] == f"{family} ε={epsilon:g}"]
            if (rows["advantage_ci_low_family"] <= 0).all():
                safe = epsilon
                break
        if safe is None:
            assert f"{family}, secret: at no ε tried (ε = 0.5 to 4)" in section
            continue
        found += 1
        utility = table.loc[table["defense"] == f"{family} ε={safe:g}", "utility"].iloc[0]
        match = re.search(
            rf"{family}, secret: the smallest ε tried at which no attack .*? is ε = ([\d.]+); "
            r"its utility is ([\d.]+), against ([\d.]+) for the deployed model\.( At the "
            r"smaller ε = ([\d., ]+), the stronger promise)?",
            section,
        )
        assert match, section
        assert float(match.group(1)) == safe
        assert float(match.group(2)) == pytest.approx(utility, abs=5e-4)
        deployed = table.loc[table["defense"] == "none", "utility"].iloc[0]
        assert float(match.group(3)) == pytest.approx(deployed, abs=5e-4)
        # The smaller ε that did not reach 0 are named, and only those.
        smaller = [e for e in (0.5, 4) if e < safe]
        named = [] if match.group(5) is None else [float(e) for e in match.group(5).split(",")]
        assert named == smaller
    assert found  # one family at least reaches 0 here: that branch's sentence is checked


def test_report_says_when_no_epsilon_reaches_zero(leaky_assessment):
    data = leaky_assessment.to_dict()
    rebuilt = Assessment.from_dict(data)
    # Every DP row made to leak: no ε tried reaches 0, and the sentence must say so.
    defenses = rebuilt.defenses
    leaking = defenses["defense"].str.startswith("DP ")
    defenses.loc[leaking, ["advantage_ci_low", "advantage_ci_low_family"]] = 0.01
    defenses.loc[leaking, "advantage"] = 0.05
    section = _section(rebuilt.to_html())
    assert "DP logistic, secret: at no ε tried (ε = 0.5 to 4)" in section
    assert "the smallest ε tried at which" not in section


def test_checklist_names_dp_models_apart_from_output_defenses(leaky_assessment):
    html = leaky_assessment.to_html()
    assert (
        "differentially private counterparts attacked: DP logistic ε=0.5, DP logistic ε=4, "
        "DP MLP ε=0.5, DP MLP ε=4" in html
    )
    assert "output defense" not in html.split("differentially private counterparts")[0][-300:]


def test_json_round_trip_keeps_the_dp_record(leaky_assessment):
    rebuilt = Assessment.from_json(leaky_assessment.to_json())
    assert (
        rebuilt.metadata["dp"]["models"].keys() == leaky_assessment.metadata["dp"]["models"].keys()
    )
    assert _section(rebuilt.to_html()) == _section(leaky_assessment.to_html())


def test_infinite_epsilon_survives_json():
    X, y = memorising_population(400, 3)
    model = LogisticRegression().fit(X[:200], y[:200])
    result = assess(
        model,
        X[:200],
        y[:200],
        X_holdout=X[200:],
        y_holdout=y[200:],
        sensitive="secret",
        n_resamples=50,
        random_state=0,
        dp_epsilons=[1, math.inf],
    )
    rebuilt = Assessment.from_json(result.to_json())
    section = _section(rebuilt.to_html())
    assert "DP logistic ε=∞" in section


def test_alternatives_need_held_out_data():
    X, y = memorising_population(300, 4)
    model = LogisticRegression().fit(X[:200], y[:200])
    with pytest.raises(ValueError, match="X_holdout"):
        assess(
            model,
            X[:200],
            y[:200],
            X_aux=X[200:],
            y_aux=y[200:],
            sensitive="secret",
            dp_epsilons=[1],
        )


def test_models_are_swept_beside_defenses():
    X, y = memorising_population(800, 5)
    model = RandomForestClassifier(50, random_state=0).fit(X[:400], y[:400])
    regularised = RandomForestClassifier(50, min_samples_leaf=30, random_state=0).fit(
        X[:400], y[:400]
    )
    result = assess(
        model,
        X[:400],
        y[:400],
        X_holdout=X[400:],
        y_holdout=y[400:],
        sensitive="secret",
        n_resamples=100,
        random_state=0,
        models={"regularised": regularised},
        access="api",
    )
    assert set(result.defenses["defense"]) == {"none", "regularised"}
    assert "dp" not in result.metadata
    assert "alternative models attacked: regularised" in result.to_html()
    with pytest.raises(ValueError, match="none"):
        assess(
            model,
            X[:400],
            y[:400],
            X_holdout=X[400:],
            y_holdout=y[400:],
            sensitive="secret",
            models={"none": regularised},
        )


def test_cli_dp_epsilons(tmp_path, capsys):
    from tabinvert.cli import main

    sio = pytest.importorskip("skops.io")  # in the test extra
    X, y = memorising_population(800, 6)
    data = X.assign(label=y)
    model = LogisticRegression().fit(X[:400], y[:400])
    data[:400].to_csv(tmp_path / "train.csv", index=False)
    data[400:].to_csv(tmp_path / "holdout.csv", index=False)
    sio.dump(model, tmp_path / "model.skops")
    common = [
        "assess",
        "--model",
        str(tmp_path / "model.skops"),
        "--train",
        str(tmp_path / "train.csv"),
        "--target",
        "label",
        "--holdout",
        str(tmp_path / "holdout.csv"),
        "--sensitive",
        "secret",
        "--n-resamples",
        "50",
        "--quiet",
    ]
    out = tmp_path / "report.json"
    assert main([*common, "--dp-epsilons", "1,8", "--out", str(out)]) == 0
    rebuilt = Assessment.from_json(out)
    assert list(rebuilt.metadata["dp"]["models"]) == ["DP logistic ε=1", "DP logistic ε=8"]
    capsys.readouterr()
    assert main([*common, "--dp-epsilons", "1,0", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "distinct positive privacy budgets" in err and "got '0'" in err


def test_a_family_shares_its_batches_across_epsilons():
    X, y = memorising_population(400, 7)
    model = LogisticRegression().fit(X, y)
    models = private_counterparts(model, X, y, [1, 8, np.inf], random_state=0)
    seeds = {name: pipeline[-1].random_state for name, pipeline in models.items()}
    assert len(set(seeds.values())) == 1, seeds
    other = private_counterparts(RandomForestClassifier(5).fit(X, y), X, y, [1], random_state=0)
    assert other["DP logistic ε=1"][-1].random_state != other["DP MLP ε=1"][-1].random_state


def _section_of(assessment):
    return _section(assessment.to_html())


def test_mixed_families_and_missing_rows_read_right(leaky_assessment):
    rebuilt = Assessment.from_dict(leaky_assessment.to_dict())
    defenses = rebuilt.defenses
    logistic = defenses["defense"].str.startswith("DP logistic")
    mlp = defenses["defense"].str.startswith("DP MLP")
    defenses.loc[logistic, ["advantage_ci_low", "advantage_ci_low_family"]] = 0.01
    defenses.loc[mlp, ["advantage_ci_low", "advantage_ci_low_family"]] = -0.01
    # ε = 0.5 of the MLP not measured at all: neither reached nor failed.
    small_mlp = defenses["defense"] == "DP MLP ε=0.5"
    defenses.loc[small_mlp, ["advantage_ci_low", "advantage_ci_low_family"]] = np.nan
    section = _section_of(rebuilt)
    assert "nan" not in section
    assert "DP logistic, secret: at no ε tried (ε = 0.5 to 4)" in section
    assert "DP MLP, secret: the smallest ε tried at which no attack" in section
    assert "is ε = 4;" in section and "At the smaller ε" not in section


def test_deciding_attack_is_the_highest_lower_bound(leaky_assessment):
    rebuilt = Assessment.from_dict(leaky_assessment.to_dict())
    defenses = rebuilt.defenses
    rows = (defenses["defense"] == "DP logistic ε=4") & (defenses["population"] == "members")
    # The largest point advantage and the highest lower bound belong to different attacks.
    attacks = list(defenses.loc[rows, "attack"])
    defenses.loc[rows, "advantage"] = [0.30, 0.05, 0.0, 0.0][: len(attacks)]
    defenses.loc[rows, "advantage_ci_low_family"] = [-0.10, 0.02, -0.2, -0.2][: len(attacks)]
    defenses.loc[rows, "advantage_ci_high_family"] = [0.70, 0.08, 0.2, 0.2][: len(attacks)]
    section = _section_of(rebuilt)
    start = section.index("<td>DP logistic ε=4</td>")
    row = section[start : section.index("</tr>", start)]
    assert f"<td>{attacks[1]}</td>" in row and "+0.050 [+0.020,&nbsp;+0.080]" in row


def test_one_epsilon_and_confidence_default(leaky_assessment):
    data = leaky_assessment.to_dict()
    models = data["metadata"]["dp"]["models"]
    data["metadata"]["dp"]["models"] = {
        name: info for name, info in models.items() if name.endswith("ε=4")
    }
    del data["metadata"]["confidence"]
    rebuilt = Assessment.from_dict(data)
    defenses = rebuilt.defenses
    leaking = defenses["defense"].str.startswith("DP ")
    defenses.loc[leaking, "advantage_ci_low_family"] = 0.01
    section = _section_of(rebuilt)
    assert "at no ε tried (ε = 4) does" in section
    assert "Its 95% interval" in section


def test_counterparts_are_checked_before_any_training(monkeypatch):
    from tabinvert.dp import DPSGDClassifier

    def must_not_train(self, X, y):
        raise AssertionError("a DP counterpart was trained before the checks")

    monkeypatch.setattr(DPSGDClassifier, "fit", must_not_train)
    X, y = memorising_population(300, 8)
    model = LogisticRegression().fit(X[:200], y[:200])
    common = dict(sensitive="secret", n_resamples=20, random_state=0)
    with pytest.raises(ValueError, match="X_holdout"):
        assess(model, X[:200], y[:200], X_aux=X[200:], y_aux=y[200:], dp_epsilons=[1], **common)
    with pytest.raises(ValueError, match="DP counterparts take"):
        assess(
            model,
            X[:200],
            y[:200],
            X_holdout=X[200:],
            y_holdout=y[200:],
            dp_epsilons=[1],
            models={"DP logistic ε=1": model},
            **common,
        )
    with pytest.raises(ValueError, match="dp_epsilons must be distinct positive"):
        assess(
            model,
            X[:200],
            y[:200],
            X_holdout=X[200:],
            y_holdout=y[200:],
            dp_epsilons=[1, 1],
            **common,
        )


def test_missing_values_are_named():
    X, y = memorising_population(300, 9)
    model = LogisticRegression().fit(X, y)
    X = X.astype({"income": float})
    X.loc[[3, 7], "income"] = np.nan
    with pytest.raises(ValueError, match=r"'income' \(2\)"):
        private_counterparts(model, X, y, [1])


def test_wrapped_and_duck_typed_models_keep_their_family():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from tabinvert.defenses import QueryBudget

    X, y = memorising_population(300, 10)
    nested = make_pipeline(make_pipeline(StandardScaler(), LogisticRegression())).fit(X, y)
    assert counterpart_families(nested) == ([("DP logistic", ())], True)
    assert counterpart_families(QueryBudget(nested, max_rows=10**6)) == (
        [("DP logistic", ())],
        True,
    )

    class DuckClassifier:
        classes_ = np.array([0, 1])

        def predict_proba(self, X):
            return np.full((len(X), 2), 0.5)

        def predict(self, X):
            return np.zeros(len(X), dtype=int)

    families, same = counterpart_families(DuckClassifier())
    assert [name for name, _ in families] == ["DP logistic", "DP MLP"] and same is False


def test_dp_models_are_not_output_defenses():
    from tabinvert.defenses import RoundProbabilities

    X, y = memorising_population(800, 11)
    model = RandomForestClassifier(50, random_state=0).fit(X[:400], y[:400])
    result = assess(
        model,
        X[:400],
        y[:400],
        X_holdout=X[400:],
        y_holdout=y[400:],
        sensitive="secret",
        n_resamples=100,
        random_state=0,
        defenses=[RoundProbabilities(1)],
        dp_epsilons=[1],
    )
    html = result.to_html()
    # The utility table says "n/a" for the DP models' promises, the label-only text names only
    # the output defense, and no DP model is recommended as an output defense.
    assert html.count("n/a (another model)") == 4  # 2 DP models × 2 promises
    keep = html[html.index("Of the defenses tried") :][:400]
    assert "RoundProbabilities" in keep and "DP " not in keep
    assert "Recommended defense: DP" not in html and "recommended defense DP" not in html


def test_evaluate_defenses_trains_dp_counterparts_on_the_members():
    from tabinvert.defenses import RoundProbabilities
    from tabinvert.evaluation import evaluate_defenses

    X, y = memorising_population(800, 12)
    model = RandomForestClassifier(50, random_state=0).fit(X[:400], y[:400])
    table = evaluate_defenses(
        model,
        [RoundProbabilities(1)],
        X[400:600],
        y[400:600],
        targets={"members": (X[:400], y[:400]), "non-members": (X[600:], y[600:])},
        X_test=X[600:],
        y_test=y[600:],
        sensitive="secret",
        dp_epsilons=[1],
        n_resamples=50,
        random_state=0,
    )
    names = list(dict.fromkeys(table["defense"]))
    assert names == ["none", "RoundProbabilities()", "DP logistic ε=1", "DP MLP ε=1"]
    dp_rows = table[table["defense"].str.startswith("DP ")]
    # Another model makes no promise about the deployed model's answers.
    assert dp_rows["keeps_argmax"].isna().all() and dp_rows["keeps_row_sums"].isna().all()
    assert table.loc[table["defense"] == "RoundProbabilities()", "keeps_argmax"].all()
    with pytest.raises(ValueError, match="targets\\['members'\\]"):
        evaluate_defenses(
            model,
            [],
            X[400:600],
            y[400:600],
            targets={"non-members": (X[600:], y[600:])},
            X_test=X[600:],
            y_test=y[600:],
            sensitive="secret",
            dp_epsilons=[1],
        )

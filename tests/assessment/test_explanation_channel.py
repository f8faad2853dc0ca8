"""assess(explainer=...): the explanation channel gets its own verdict, between the API's
answers and the model file, and the report's sentences agree with the numbers.

Known answers: a logistic model whose secret carries weight gives it away in the victim's own
contribution (the explanation verdict is high while the answers alone show little), and the
same model with the secret's coefficient set to exactly 0 gives nothing away through its
explanations (the explanation attacks equal imputation: no measurable risk)."""

import re

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from tabinvert import assess
from tabinvert.explain import DropContribution, LinearContributions, RoundContributions


def _population(n=1600, seed=0):
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {"known": rng.normal(size=n), "secret": rng.integers(0, 2, n), "other": rng.normal(size=n)}
    )
    y = ((X["known"] + 0.8 * X["secret"] + rng.normal(0, 1.5, n)) > 0.5).astype(int)
    return X, y.to_numpy()


def _assess(model, X, y, explainer, access="api"):
    return assess(
        model,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        access=access,
        n_resamples=200,
        random_state=0,
        explainer=explainer,
    )


@pytest.fixture(scope="module")
def leaking():
    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    explainer = LinearContributions(model).fit(X[:800])
    return model, X, y, _assess(model, X, y, explainer)


def _explanation_paragraph(html):
    found = re.findall(r'<p class="decides explanations">(.*?)</p>', html, re.S)
    assert len(found) == 1
    return re.sub(r"<[^>]+>", "", found[0])


def test_the_victims_contribution_gives_the_secret_away(leaking):
    _, _, _, result = leaking
    row = result.summary.iloc[0]
    assert row["risk_level_explanations"] == "high" and row["advantage_explanations"] == 1.0
    assert row["attack_explanations"].startswith("explanation")
    assert row["risk_level"] == "high" and row["deciding_access"] == "explanations"
    # The answers alone say much less (their level depends on the solver's version).
    assert row["risk_level_api"] != "high" and row["advantage_api"] < 0.5
    explained = result.results[result.results["access"] == "explanations"]
    assert set(explained["attack"]) == {"explanation match", "explanation learned"}
    assert (explained["score"] == 1.0).all()  # members and non-members: exact, every record
    assert row["sentence"].startswith(
        "An attacker with the explanations the model's API returns infers 'secret'"
    )
    assert (
        f"Through the model's answers alone (no explanations) the risk is "
        f"{row['risk_level_api']} (best: {row['attack_api']}, advantage "
        f"{row['advantage_api']:+.2f})."
    ) in row["sentence"]


def test_the_report_explains_the_channel_with_the_verdicts_numbers(leaking):
    _, _, _, result = leaking
    row = result.summary.iloc[0]
    text = _explanation_paragraph(result.to_html())
    assert "The model's API returns explanations with its answers" in text
    assert (
        f"Explanations raise the risk: with them an attacker reaches the "
        f"{row['risk_level_explanations']} level (by {row['attack_explanations']}); from the "
        f"answers alone the risk is {row['risk_level_api']} (by {row['attack_api']})."
    ) in text
    assert "API access with explanations" in result.to_html()


def test_a_contribution_of_exactly_zero_gives_nothing_away():
    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    secret = list(X.columns).index("secret")
    model.coef_[0, secret] = 0.0  # the secret carries no weight: its contribution is always 0
    result = _assess(model, X, y, LinearContributions(model).fit(X[:800]))
    row = result.summary.iloc[0]
    assert row["risk_level_explanations"] == "none"
    explained = result.results[
        (result.results["access"] == "explanations") & (result.results["population"] == "members")
    ]
    assert (explained["advantage_ci_low"] <= 0).all() and (
        explained["advantage_ci_high"] >= 0
    ).all()
    text = _explanation_paragraph(result.to_html())
    assert "Here they do not raise the level: with or without them the risk is none." in text


def test_defended_explanations_are_rated_as_served():
    # The same leaking model, its explanations served without the secret's own contribution,
    # or rounded onto a grid coarser than any contribution: the channel closes.
    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    explainer = LinearContributions(model).fit(X[:800])
    dropped = _assess(model, X, y, DropContribution(explainer, ["secret"]))
    assert (
        dropped.summary.iloc[0]["risk_level_explanations"]
        == dropped.summary.iloc[0]["risk_level_api"]
    )
    coarse = _assess(model, X, y, RoundContributions(explainer, step=10.0))
    assert (
        coarse.summary.iloc[0]["risk_level_explanations"]
        == coarse.summary.iloc[0]["risk_level_api"]
    )


def test_without_an_explainer_no_explanation_verdict_is_invented():
    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    result = _assess(model, X, y, None)
    row = result.summary.iloc[0]
    assert "risk_level_explanations" not in result.summary and row["deciding_access"] == "api"
    html = result.to_html()
    assert "API access with explanations" not in html and 'class="decides explanations"' not in html


def test_the_model_file_verdict_is_never_below_the_explanations():
    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    result = _assess(model, X, y, LinearContributions(model).fit(X[:800]), access="both")
    row = result.summary.iloc[0]
    assert row["risk_level_model_file"] == "high" and row["risk_level"] == "high"
    assert row["deciding_access"] == "explanations"  # the file adds nothing to them


def test_explainer_defenses_are_swept_and_the_sentences_read_the_table():
    from tabinvert import Assessment
    from tabinvert.explain import TopKContributions

    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    explainer = LinearContributions(model).fit(X[:800])
    result = assess(
        model,
        X[:800],
        y[:800],
        X_holdout=X[800:],
        y_holdout=y[800:],
        sensitive="secret",
        access="api",
        n_resamples=200,
        random_state=0,
        explainer=explainer,
        explainer_defenses=[
            DropContribution(explainer, ["secret"]),
            RoundContributions(explainer, step=10.0),
            TopKContributions(explainer, k=3),
        ],
    )
    sweep = result.explanation_defenses
    assert list(dict.fromkeys(sweep["defense"])) == [
        "none",
        "DropContribution(columns=['secret'])",
        "RoundContributions(decimals=1, step=10.0)",
        "TopKContributions(k=3)",
    ]
    members = sweep[(sweep["population"] == "members") & (sweep["attack"] != "imputation")]
    best = members.groupby("defense", sort=False)["advantage"].max()
    assert best["none"] == 1.0 and best["TopKContributions(k=3)"] == 1.0  # 3 of 3: all kept
    assert best["DropContribution(columns=['secret'])"] < 0.2
    # The main run's explanation rows are the sweep's "none" rows (same records and seed).
    main = result.results[result.results["access"] == "explanations"]
    none = sweep[(sweep["defense"] == "none") & (sweep["attack"] != "imputation")]
    np.testing.assert_array_equal(none["score"].to_numpy(), main["score"].to_numpy())
    html = result.to_html()
    for defense in ("DropContribution(columns=['secret'])", "TopKContributions(k=3)"):
        rows = members[members["defense"] == defense]
        row = rows.loc[rows["advantage"].astype(float).idxmax()]  # the first of the best
        closed = row["advantage_ci_low"] <= 0
        sentence = (
            f"{defense} on 'secret': the best explanation attack ({row['attack']}) has "
            f"advantage {row['advantage']:+.3f} on the training records, against +1.000 with "
            "the explanations as served; "
            + (
                "its interval includes 0: no measurable leak through these explanations."
                if closed
                else "the explanations still leak measurably."
            )
        )
        assert html.replace("&#x27;", "'").count(sentence) == 1, sentence
    again = Assessment.from_json(result.to_json())
    assert again.explanation_defenses.shape == sweep.shape


def test_explainer_defenses_need_the_explainer():
    X, y = _population()
    model = LogisticRegression().fit(X[:800], y[:800])
    explainer = LinearContributions(model).fit(X[:800])
    with pytest.raises(ValueError, match="pass explainer= too"):
        assess(
            model,
            X[:800],
            y[:800],
            X_holdout=X[800:],
            y_holdout=y[800:],
            sensitive="secret",
            explainer_defenses=[DropContribution(explainer, ["secret"])],
        )

"""InversionMonitor and scan_query_log: every black-box attack run through the monitor is
flagged with the right detector and column, ordinary traffic is not, refusals stop the model,
and the offline scan of the same queries says what the monitor said."""

import json
import pickle

import numpy as np
import pandas as pd
import pytest
from conftest import customer_population, frames_kept, xor_population
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.compose import make_column_transformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabinvert.attacks import (
    ConfidenceInversion,
    JointInversion,
    LabelOnlyInversion,
    LearnedInversion,
    ReconstructionAttack,
)
from tabinvert.defenses import InversionMonitor, MonitorReport, scan_query_log
from tabinvert.exceptions import InversionPatternRefused, QueryRefused


class RecordingModel(ClassifierMixin, BaseEstimator):
    """A fitted model that keeps every query it answers (and counts its calls)."""

    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.classes_ = self.model.classes_
        self.feature_names_in_ = self.model.feature_names_in_
        self.n_features_in_ = self.model.n_features_in_
        self.queries_ = []
        return self

    def predict_proba(self, X):
        self.queries_.append(X.copy())
        return self.model.predict_proba(X)

    def predict(self, X):
        self.queries_.append(X.copy())
        return self.model.predict(X)


@pytest.fixture(scope="module")
def customers():
    """A pipeline fitted on 1,000 customers, the attacker's 400 and 600 held-out ones."""
    X, y = customer_population(2_000, seed=4)
    prepare = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["region", "smoker"]),
        (StandardScaler(), ["income", "balance", "age"]),
    )
    model = make_pipeline(prepare, LogisticRegression(max_iter=500)).fit(X[:1000], y[:1000])
    return model, X, y


def _monitor(model, X, **params):
    return InversionMonitor(model, random_state=0, **params).fit(X[:1000])


ATTACKS = {
    "map": (lambda m: ConfidenceInversion(m, "smoker"), "sweep", "smoker"),
    "csmia": (lambda m: ConfidenceInversion(m, "smoker", method="csmia"), "sweep", "smoker"),
    "lomia": (lambda m: LabelOnlyInversion(m, "smoker", random_state=0), "sweep", "smoker"),
    "learned": (lambda m: LearnedInversion(m, "smoker", random_state=0), "sweep", "smoker"),
    "joint": (
        lambda m: JointInversion(ConfidenceInversion(m, "smoker"), ["smoker", "region"]),
        "sweep",
        "smoker",
    ),
}


@pytest.mark.parametrize("name", list(ATTACKS))
def test_every_black_box_attack_is_flagged_with_its_swept_column(customers, name):
    model, X, y = customers
    monitor = _monitor(model, X)
    make, detector, column = ATTACKS[name]
    attack = make(monitor.for_client("eve")).fit(X[1000:1400], y[1000:1400])
    attack.attack(X[:60], y[:60])
    report = monitor.report()
    assert report.flagged_clients == ["eve"]
    (finding,) = [f for f in report.findings if f["detector"] == detector]
    assert finding["client"] == "eve" and finding["column"] == column
    assert finding["statistic"] >= 60 and finding["expected"] < 5
    example = finding["example"]
    assert example["column"] == column
    assert {row["smoker"] for row in example["rows"]} == {"never", "former", "current"}


@pytest.mark.parametrize(
    "gradient, unknown, detector",
    [
        ("finite_differences", ["balance"], "finite_differences"),
        ("spsa", ["balance", "income"], "near_duplicates"),
    ],
)
def test_black_box_reconstruction_is_flagged(customers, gradient, unknown, detector):
    model, X, y = customers
    monitor = _monitor(model, X)
    attack = ReconstructionAttack(
        monitor.for_client("eve"),
        unknown=unknown,
        gradient=gradient,
        n_iter=30,
        n_spsa=2,
        random_state=0,
    ).fit(X[1000:1400], y[1000:1400])
    attack.reconstruct(X[:10].drop(columns=unknown), y[:10])
    findings = {f["detector"]: f for f in monitor.report().findings}
    assert monitor.flagged_clients_ == ["eve"]
    assert detector in findings
    if detector == "finite_differences":
        assert findings[detector]["column"] == "balance"


def test_ordinary_traffic_is_not_flagged(customers):
    """Held-out customers queried by 60 clients, and repeat customers re-querying their own
    record 2 to 6 times with genuine changes (a birthday, a new balance, a move)."""
    model, X, y = customers
    monitor = _monitor(model, X)
    held_out = X[1400:2000]
    for client, rows in held_out.groupby(np.arange(len(held_out)) % 60):
        monitor.for_client(f"shop-{client}").predict_proba(rows)
    rng = np.random.default_rng(1)
    for i in range(150):
        record = X.iloc[[1400 + i]].copy()
        view = monitor.for_client(f"customer-{i}")
        for _ in range(rng.integers(2, 7)):
            view.predict_proba(record)
            change = rng.integers(0, 4)
            if change == 0:
                record["age"] += 1
            elif change == 1:
                record["balance"] = (record["balance"] + rng.normal(0, 300)).round(2)
            elif change == 2:
                record["region"] = rng.choice([f"r{k}" for k in range(8)])
    report = monitor.report()
    assert report.flagged_clients == []
    assert len(report.statistics) == 60 + 150


def test_low_dimensional_data_looks_like_a_sweep_by_chance():
    """Three columns (xor_population): ordinary records agree on all but one column so often
    that a sweep is within chance; the chance correction keeps held-out traffic unflagged, and
    without it (no reference) the same traffic would be."""
    X, y = xor_population(1200, seed=3, n_values=3)
    model = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    monitor = InversionMonitor(model, random_state=0).fit(X[:600])
    monitor.for_client("shop").predict_proba(X[600:900])
    assert monitor.flagged_clients_ == []
    log = X[600:900].assign(client="shop")
    assert scan_query_log(log, client_column="client").flagged_clients == ["shop"]


class CountingModel(ClassifierMixin, BaseEstimator):
    def __init__(self, model):
        self.model = model

    def fit(self, X, y):
        self.classes_ = self.model.classes_
        self.feature_names_in_ = self.model.feature_names_in_
        self.calls_ = 0
        return self

    def predict_proba(self, X):
        self.calls_ += 1
        return self.model.predict_proba(X)

    def predict(self, X):
        self.calls_ += 1
        return self.model.predict(X)


def test_refuse_stops_the_model_after_the_threshold(customers):
    model, X, y = customers
    counting = CountingModel(model).fit(X, y)
    monitor = _monitor(counting, X, action="refuse")
    # One target record (three completions) per call: the refusal comes mid-attack.
    attack = ConfidenceInversion(monitor.for_client("eve"), "smoker", max_rows_per_call=3)
    attack.fit(X[1000:1400], y[1000:1400])
    with pytest.raises(InversionPatternRefused, match="refused client 'eve'") as refusal:
        attack.attack(X[:100], y[:100])
    assert isinstance(refusal.value, QueryRefused) and refusal.value.client == "eve"
    assert refusal.value.findings[0]["detector"] == "sweep"
    served = counting.calls_
    # The sweep threshold (10 groups above chance) is reached on the 10th record's call.
    assert refusal.value.records_completed == served == 9
    with pytest.raises(InversionPatternRefused):
        monitor.for_client("eve").predict_proba(X[1500:1501])
    assert counting.calls_ == served  # refused before the model
    monitor.for_client("alice").predict_proba(X[1500:1510])  # others are served
    assert counting.calls_ == served + 1
    monitor.reset("eve")
    monitor.for_client("eve").predict_proba(X[1500:1501])
    assert counting.calls_ == served + 2


def test_offline_scan_of_the_log_says_what_the_monitor_said(customers):
    model, X, y = customers
    recorder = RecordingModel(model).fit(X, y)
    monitor = _monitor(recorder, X)
    log = []
    for client, make in (("eve", ATTACKS["map"][0]), ("mallory", ATTACKS["lomia"][0])):
        start = len(recorder.queries_)
        make(monitor.for_client(client)).fit(X[1000:1400], y[1000:1400]).attack(X[:40], y[:40])
        log += [q.assign(client=client) for q in recorder.queries_[start:]]
    start = len(recorder.queries_)
    monitor.for_client("alice").predict_proba(X[1400:1450])
    log += [q.assign(client="alice") for q in recorder.queries_[start:]]
    log = pd.concat(log, ignore_index=True)
    offline = scan_query_log(log, client_column="client", reference=X[:1000], random_state=0)
    online = monitor.report()
    assert online.flagged_clients == offline.flagged_clients == ["eve", "mallory"]
    assert json.dumps(online.to_dict()) == json.dumps(offline.to_dict())
    assert isinstance(offline, MonitorReport)


def test_global_scope_sees_an_attack_spread_over_keys(customers):
    model, X, y = customers
    rows = []  # the attacker's grid, each row sent under one of 10 keys at random

    class Spreading(RecordingModel):
        def predict_proba(self, X_):
            rows.append(X_.copy())
            return self.model.predict_proba(X_)

    ConfidenceInversion(Spreading(model).fit(X, y), "smoker").fit(
        X[1000:1400], y[1000:1400]
    ).attack(X[:100], y[:100])
    grid = pd.concat(rows, ignore_index=True)
    keys = np.random.default_rng(0).integers(0, 20, len(grid))
    log = pd.concat(
        [grid.assign(client=[f"k{k}" for k in keys]), X[1400:1800].assign(client="shop")],
        ignore_index=True,
    )
    per_client = scan_query_log(log, client_column="client", reference=X[:1000], random_state=0)
    assert per_client.flagged_clients == []
    population = scan_query_log(
        log, client_column="client", reference=X[:1000], scope="global", random_state=0
    )
    (finding,) = population.findings
    assert finding["client"] is None and finding["column"] == "smoker"
    # Most rows first: the 20 keys; an ordinary client may follow, with a chance group of
    # its own in the same column (the report names everyone in a counted group).
    assert set(finding["clients"][:20]) == {f"k{k}" for k in range(20)}
    assert finding["statistic"] >= 100 and finding["expected"] < 5
    assert "no single client" in str(population)


def test_settings_measured_in_fit_need_a_new_fit(customers):
    model, X, y = customers
    monitor = _monitor(model, X)
    monitor.set_params(min_sweep_groups=3).predict_proba(X[:5])  # a threshold: fine
    monitor.set_params(tolerance=0.5)
    with pytest.raises(ValueError, match="tolerance changed since fit"):
        monitor.predict_proba(X[:5])
    monitor.fit(X[:1000]).predict_proba(X[:5])


def test_history_is_bounded_by_the_window(customers):
    model, X, y = customers
    monitor = _monitor(model, X, window=100)
    for start in range(1000, 1500, 50):
        monitor.for_client("shop").predict_proba(X[start : start + 50])
    assert monitor.report().statistics.loc["shop", "n_queries"] == 100


def test_global_window_and_refusal_of_involved_clients(customers):
    model, X, y = customers
    monitor = _monitor(model, X, scope="global", action="refuse")
    monitor.for_client("k1").predict_proba(X[:40].assign(smoker="never"))
    with pytest.raises(InversionPatternRefused, match="'k2'"):
        monitor.for_client("k2").predict_proba(X[:40].assign(smoker="current"))
    assert set(monitor.flagged_clients_) == {"k1", "k2"}
    monitor.for_client("alice").predict_proba(X[1500:1510])  # not involved: served


def test_caller_data_is_not_modified_and_the_monitor_pickles(customers):
    model, X, y = customers
    reference, queries = X[:1000].copy(), X[1000:1100].copy()
    with frames_kept(reference, queries):
        monitor = _monitor(model, reference)
        monitor.predict_proba(queries)
        report = scan_query_log(queries.assign(client="a"), client_column="client")
    assert isinstance(report.to_frame(), pd.DataFrame)
    copy = pickle.loads(pickle.dumps(monitor))
    assert copy.report().to_dict() == monitor.report().to_dict()
    copy.predict_proba(queries)
    np.testing.assert_allclose(monitor.predict(queries), model.predict(queries))


def test_report_is_json_ready_and_renders(customers):
    model, X, y = customers
    monitor = _monitor(model, X)
    ConfidenceInversion(monitor, "smoker").fit(X[1000:1400], y[1000:1400]).attack(X[:30], y[:30])
    report = monitor.report()
    data = json.loads(json.dumps(report.to_dict()))
    assert data["flagged_clients"] == ["default"]
    assert data["findings"][0]["columns"][0] == ["smoker", 30]
    frame = report.to_frame()
    assert list(frame["detector"]) == ["sweep"]
    text = str(report)
    assert "client 'default': sweep" in text and "'smoker' = " in text


def test_bad_input_is_refused_with_the_fix(customers):
    model, X, y = customers
    log = X[:10].assign(client="a")
    with pytest.raises(ValueError, match="'user' is not in the log.*'income'"):
        scan_query_log(log, client_column="user")
    with pytest.raises(ValueError, match="empty on 1 row"):
        scan_query_log(log.assign(client=[None] + ["a"] * 9), client_column="client")
    with pytest.raises(ValueError, match="detectors must name"):
        scan_query_log(log, client_column="client", detectors=["sweeps"])
    with pytest.raises(ValueError, match="scale names 'region'"):
        scan_query_log(log, client_column="client", scale={"region": 1.0})
    monitor = _monitor(model, X)
    with pytest.raises(ValueError, match=r"lacks the column\(s\) \['age'\]"):
        monitor.predict_proba(X[:5].drop(columns="age"))
    with pytest.raises(ValueError, match="holds numbers in the reference"):
        monitor.predict_proba(X[:5].assign(age="old"))

"""The white-box tree attack is at least as strong as the best black-box attack.

The attacker who holds the trees can compute everything a black-box attacker asks the model
for (each candidate's probabilities and label), so ``WhiteBoxTreeInversion`` weighs MAP's
likelihood, CSMIA's label evidence and the leaves' training mass, and keeps, on its auxiliary
records, whichever posterior scores best. These tests check it on synthetic populations where
the secret is known: a memorising forest, a regularised forest, gradient boosting and XGBoost,
members and non-members, against MAP (marginal and uniform prior), CSMIA and LOMIA on the same
model, records and auxiliary data. No tolerance: every comparison holds with a measured margin
(noted beside each population); the selection itself is held out (see
``test_the_choice_is_held_out_and_recorded``).
"""

import numpy as np
import pandas as pd
import pytest
from conftest import leaf_population
from sklearn.ensemble import (
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.metrics import accuracy_score, balanced_accuracy_score, matthews_corrcoef
from sklearn.utils._param_validation import InvalidParameterError
from threadpoolctl import threadpool_limits

from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion, WhiteBoxTreeInversion

xgboost = pytest.importorskip("xgboost")


@pytest.fixture(autouse=True)
def one_openmp_thread():
    """Boosted models and LOMIA's learner on one OpenMP thread (the machine is shared)."""
    with threadpool_limits(limits=1, user_api="openmp"):
        yield


N = 1000  # records per block: members attacked, members known to the attacker, and the same
# two blocks of non-members. The model is trained on the first two blocks.
MEMBERS, MEMBER_AUX = slice(0, N), slice(N, 2 * N)
NON_MEMBER_AUX, NON_MEMBERS = slice(2 * N, 3 * N), slice(3 * N, 4 * N)
CASES = {
    # The attacker's auxiliary records come from the population attacked (as in ART's and
    # Mehnaz et al.'s evaluations, training records for members) ...
    "members": (MEMBERS, MEMBER_AUX),
    "non-members": (NON_MEMBERS, NON_MEMBER_AUX),
    # ... or, as in tabinvert.assess, from held-out records, whatever the targets.
    "members, held-out aux": (MEMBERS, NON_MEMBER_AUX),
}
MODELS = {
    "memorising forest": lambda: RandomForestClassifier(100, random_state=0),
    "regularised forest": lambda: RandomForestClassifier(
        100, max_depth=4, min_samples_leaf=20, random_state=0
    ),
    "gradient boosting": lambda: GradientBoostingClassifier(random_state=0),
    "hist gradient boosting": lambda: HistGradientBoostingClassifier(random_state=0),
    "xgboost": lambda: xgboost.XGBClassifier(n_estimators=100, max_depth=4, random_state=0),
}
METRICS = {
    "accuracy": accuracy_score,
    "balanced_accuracy": balanced_accuracy_score,
    "mcc": matthews_corrcoef,
}


def black_box_attacks(model):
    return {
        "MAP": ConfidenceInversion(model, "secret", random_state=0),
        "MAP (uniform prior)": ConfidenceInversion(
            model, "secret", prior="uniform", random_state=0
        ),
        "CSMIA": ConfidenceInversion(model, "secret", method="csmia", random_state=0),
        "LOMIA": LabelOnlyInversion(model, "secret", random_state=0),
    }


def compare(model, X, y, targets, aux, scorings):
    """Each metric of the white-box attack chosen by it (``scoring``), and the best black-box
    attack's value of it, on the same targets with the same auxiliary records."""
    truth = X["secret"][targets]
    guesses = {
        name: attack.fit(X[aux], y[aux]).attack(X[targets], y[targets])
        for name, attack in black_box_attacks(model).items()
    }
    results = {}
    for scoring in scorings:
        white = WhiteBoxTreeInversion(model, "secret", scoring=scoring, random_state=0)
        white.fit(X[aux], y[aux])
        metric = METRICS[scoring]
        best = max(guesses, key=lambda name: metric(truth, guesses[name]))
        results[scoring] = (
            metric(truth, white.attack(X[targets], y[targets])),
            metric(truth, guesses[best]),
            best,
        )
    return results


@pytest.fixture(scope="module")
def binary():
    return leaf_population(4 * N)


@pytest.fixture(scope="module", params=list(MODELS))
def fitted(request, binary):
    X, y = binary
    with threadpool_limits(limits=1, user_api="openmp"):
        return request.param, MODELS[request.param]().fit(X[: 2 * N], y[: 2 * N])


@pytest.mark.parametrize("case", list(CASES))
def test_whitebox_at_least_best_blackbox(fitted, binary, case):
    """Balanced accuracy, MCC (the attack choosing by each) and accuracy (its default), against
    the best of MAP, MAP with a uniform prior, CSMIA and LOMIA for that metric.

    Measured (white-box / best black-box): balanced accuracy, MCC, accuracy; for members,
    non-members, members with held-out auxiliary records.
    memorising forest: .933/.864 .858/.792 .935/.902; .794/.760 .565/.507 .801/.771;
    .894/.863 .804/.770 .906/.891.
    regularised forest: .809/.749 .576/.482 .811/.750; .801/.777 .605/.536 .826/.780;
    .795/.749 .599/.482 .820/.750.
    gradient boosting: .796/.762 .597/.509 .818/.770; .789/.776 .569/.537 .808/.782;
    .800/.758 .583/.501 .811/.760.
    hist gradient boosting: .838/.799 .665/.587 .853/.806; .781/.766 .585/.516 .816/.772;
    .842/.790 .648/.571 .841/.800.
    xgboost: .826/.785 .647/.558 .830/.791; .790/.766 .598/.516 .823/.772; .835/.779
    .622/.546 .830/.786.
    Before the change the attack (then without a choice) lost on balanced accuracy to the best
    black-box attack for the regularised forest (all three), gradient boosting and hist
    gradient boosting (non-members), e.g. .733/.749, .757/.776. The smallest margin here is
    .013 (gradient boosting, non-members, balanced accuracy). On two other seeds of this
    population (and the ternary one below) one comparison of 98 fell short, MCC .487 against
    LOMIA's .497 (gradient boosting, non-members): the choice is made on 1000 auxiliary
    records, which tell near-equal posteriors apart only up to their sampling noise.
    """
    name, model = fitted
    X, y = binary
    targets, aux = CASES[case]
    results = compare(model, X, y, targets, aux, ("balanced_accuracy", "mcc", "accuracy"))
    for scoring, (white, black, best) in results.items():
        assert white >= black, (name, case, scoring, white, black, best)


def test_memorising_forest_members_beat_csmia():
    """Issue 14: on a forest that memorised its members (noisy labels, a secret of 0.8/0.2 that
    the population does not reveal), CSMIA scored MCC +0.64 where the white-box attack scored
    +0.60 (balanced accuracy 0.85 against 0.71): the leaves' evidence was multiplied into a
    marginal-prior posterior, and CSMIA's evidence (which candidate reproduces the label) was
    not used. Now the attack (its defaults) weighs it too. Measured (white-box / best black-box):
    MCC .876/.839 (LOMIA; CSMIA .637), balanced accuracy .913/.875 (LOMIA; CSMIA .853),
    accuracy .960/.948 (LOMIA); before the change .599, .707, .878."""
    X, y = leaf_population(4 * N, p1=0.8, dependence=0.0)
    model = RandomForestClassifier(100, random_state=0).fit(X[: 2 * N], y[: 2 * N])
    truth = X["secret"][MEMBERS]
    white = WhiteBoxTreeInversion(model, "secret", random_state=0).fit(X[MEMBER_AUX], y[MEMBER_AUX])
    guessed = white.attack(X[MEMBERS], y[MEMBERS])
    csmia = ConfidenceInversion(model, "secret", method="csmia", random_state=0)
    csmia_guessed = csmia.fit(X[MEMBER_AUX], y[MEMBER_AUX]).attack(X[MEMBERS], y[MEMBERS])
    assert matthews_corrcoef(truth, guessed) >= matthews_corrcoef(truth, csmia_guessed) + 0.15
    assert balanced_accuracy_score(truth, guessed) >= balanced_accuracy_score(truth, csmia_guessed)
    for attack in black_box_attacks(model).values():
        other = attack.fit(X[MEMBER_AUX], y[MEMBER_AUX]).attack(X[MEMBERS], y[MEMBERS])
        for metric in METRICS.values():
            assert metric(truth, guessed) >= metric(truth, other), (attack, metric)


@pytest.mark.parametrize("case", ["members", "non-members"])
def test_ternary_secret_on_a_memorising_forest(case):
    """Three values and three classes. Measured (white-box / best black-box), balanced
    accuracy and MCC: members .942/.871 .913/.820, non-members .782/.765 .668/.643."""
    X, y = leaf_population(4 * N, n_values=3)
    model = RandomForestClassifier(100, random_state=0).fit(X[: 2 * N], y[: 2 * N])
    targets, aux = CASES[case]
    for scoring, (white, black, best) in compare(
        model, X, y, targets, aux, ("balanced_accuracy", "mcc")
    ).items():
        assert white >= black, (case, scoring, white, black, best)


# -- what the attack holds: the black-box posteriors themselves ------------------------------


@pytest.fixture(scope="module")
def small():
    X, y = leaf_population(1200, seed=1)
    model = RandomForestClassifier(30, random_state=0).fit(X[:600], y[:600])
    return model, X, y


def test_label_and_csmia_evidence_are_the_blackbox_attacks(small):
    """``evidence="label"`` is MAP's posterior and ``evidence="csmia"`` CSMIA's decision, read
    off the trees instead of asked of the model; where CSMIA's candidates tie (it draws at
    random), the leaves' posterior decides."""
    model, X, y = small
    aux, targets = slice(600, 900), slice(0, 600)
    for prior in ("marginal", "uniform"):
        white = WhiteBoxTreeInversion(model, "secret", evidence="label", prior=prior)
        black = ConfidenceInversion(model, "secret", prior=prior)
        pd.testing.assert_frame_equal(
            white.fit(X[aux], y[aux]).attack_proba(X[targets], y[targets]),
            black.fit(X[aux], y[aux]).attack_proba(X[targets], y[targets]),
            atol=1e-9,
        )
    white = WhiteBoxTreeInversion(model, "secret", evidence="csmia").fit(X[aux], y[aux])
    black = ConfidenceInversion(model, "secret", method="csmia").fit(X[aux], y[aux])
    ranks = black.attack_proba(X[targets], y[targets]).to_numpy()
    tied = (ranks >= ranks.max(axis=1, keepdims=True) - 1e-12).sum(axis=1) > 1
    assert 0 < tied.sum() < len(tied)  # premise: both kinds of record
    guessed = white.attack(X[targets], y[targets])
    truth = np.asarray(black.candidates_)[ranks.argmax(axis=1)]
    np.testing.assert_array_equal(guessed[~tied], truth[~tied])
    leaves = WhiteBoxTreeInversion(model, "secret", evidence="leaves").fit(X[aux], y[aux])
    proba = leaves.attack_proba(X[targets], y[targets]).to_numpy()
    tied_ranks = np.where(ranks >= ranks.max(axis=1, keepdims=True) - 1e-12, proba, -1.0)
    expected = np.asarray(leaves.candidates_)[tied_ranks.argmax(axis=1)]
    np.testing.assert_array_equal(guessed[tied], expected[tied])
    # Its scores are made a posterior (a fitted scale), so they are probabilities.
    proba = white.attack_proba(X[targets], y[targets])
    assert white.capabilities().calibrated and np.allclose(proba.sum(axis=1), 1.0)


def test_the_choice_is_held_out_and_recorded(small):
    model, X, y = small
    aux = slice(600, 900)
    attack = WhiteBoxTreeInversion(model, "secret", scoring="mcc", random_state=0)
    attack.fit(X[aux], y[aux])
    selection = attack.selection_
    assert selection["metric"] == "mcc"
    assert set(selection["scores"]) == {
        f"{kind}/{prior}"
        for kind in ("leaves", "combined", "label")
        for prior in ("marginal", "uniform")
    } | {"csmia"}
    chosen = selection["evidence"]
    if chosen != "csmia":
        chosen = f"{chosen}/{selection['prior']}"
    assert selection["scores"][chosen] == max(selection["scores"].values())
    assert set(selection["scores_without_label"]) == {"leaves/marginal", "leaves/uniform"}
    # The combined evidence keeps at least the weight the leaves' posterior gives the leaves
    # and the label (records the model was trained on fit it better than the attacker's).
    weights = selection["combined_weights"]
    assert weights["leaves"] >= 1 and weights["label"] >= 1 and weights["prior"] == 1
    # Every auxiliary record was scored as if left out of the leaf counts: checked in
    # tests/internals/test_attack_kernels.py (it reads the attack's private evidence).
    # A fixed evidence and prior: nothing to choose, the combined weights are still fitted.
    fixed = WhiteBoxTreeInversion(model, "secret", evidence="combined", prior="uniform")
    fixed.fit(X[aux], y[aux])
    assert fixed.selection_["scores"] == {} and fixed.selection_["evidence"] == "combined"
    assert fixed.selection_["combined_weights"]["leaves"] >= 1
    assert fixed.capabilities().name == "white-box tree (combined evidence, uniform prior)"
    # Without labels at fit time only the leaves can be scored; the labelled attack then
    # reads the leaves' posterior (the attack before labels were weighed).
    unlabelled = WhiteBoxTreeInversion(model, "secret").fit(X[aux])
    assert unlabelled.selection_["evidence"] == "leaves"
    assert unlabelled.selection_["combined_weights"] is None


def test_without_labels_only_the_leaves_speak(small):
    model, X, y = small
    attack = WhiteBoxTreeInversion(model, "secret", evidence="csmia").fit(X[600:900], y[600:900])
    leaves = WhiteBoxTreeInversion(model, "secret", evidence="leaves").fit(X[600:900], y[600:900])
    pd.testing.assert_frame_equal(attack.attack_proba(X[:100]), leaves.attack_proba(X[:100]))


def test_new_parameters_are_validated(small):
    model, X, y = small
    for params, match in (
        ({"evidence": "everything"}, "'evidence' parameter"),
        ({"scoring": "f1"}, "'scoring' parameter"),
        ({"prior": "imputation"}, "'prior' parameter"),
    ):
        with pytest.raises(InvalidParameterError, match=match):
            WhiteBoxTreeInversion(model, "secret", **params).fit(X[600:900], y[600:900])
    regressor = RandomForestRegressor(10, random_state=0).fit(X[:600], y[:600])
    with pytest.raises(ValueError, match="evidence='csmia' needs a classifier"):
        WhiteBoxTreeInversion(regressor, "secret", evidence="csmia").fit(X[600:900], y[600:900])

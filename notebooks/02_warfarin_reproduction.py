# %% [markdown]
# # 2. The first model-inversion attack: warfarin dosing (Fredrikson et al. 2014)
#
# **The setting.** Warfarin is an anticoagulant whose right dose varies a lot between patients.
# The International Warfarin Pharmacogenetics Consortium (IWPC) published a **linear model** that
# predicts a patient's stable weekly dose from demographics, two interacting drugs and two
# genotypes, **VKORC1** and **CYP2C9**. Fredrikson et al. (USENIX Security 2014, "Privacy in
# Pharmacogenetics") asked: if an attacker knows a patient's demographics and the dose they take,
# can the dosing model reveal the patient's **genotype**?
#
# **The attack** (MAP inversion). For each possible VKORC1 genotype (A/A, A/G, G/G), complete the
# patient's record with it, ask the model for the dose, and score how likely the patient's *real*
# dose is under a Gaussian error model around that prediction (σ = the model's typical error),
# times how common the genotype is. The most likely genotype is the guess.
#
# **What we reproduce.**
# 1. The paper's comparison: the attack vs the **most common genotype** (a guess that needs
#    nothing) vs an **"ideal" classifier** trained on the real data to predict the genotype from
#    everything the attacker knows.
# 2. The question Jayaraman & Evans (CCS 2022) added: does the attack beat **imputation** — a
#    classifier the attacker trains on its own auxiliary patients, without the model?
# 3. A defense: **rounding the dose** the model outputs, at a few steps.
#
# The protocol is the one of `benchmarks/paper_tables.py` (section 3), which also compares the
# results with the published figures. Runtime: about fifteen seconds on all 3,439 usable patients.

# %%
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabinvert.attacks import ConfidenceInversion, ImputationBaseline
from tabinvert.datasets import load_warfarin
from tabinvert.defenses import DefendedRegressor, RoundPredictions
from tabinvert.evaluation import evaluate_attacks

SEED = 0
pd.set_option("display.width", 160)

# %% [markdown]
# ## The data: Fredrikson's feature set
#
# `load_warfarin()` reads the IWPC table (5,700 patients). As in the paper we keep the features
# of the IWPC dosing algorithm, and the patients who **reached a stable dose** with every feature
# known:
#
# * `Race`, `Age` (in decades, 1–9), `Height`, `Weight`;
# * `Amiodarone` (taking it lowers the dose) and `Enzyme inducer` (carbamazepine, phenytoin or
#   rifampin, which raise it); a missing medication entry counts as "not taking it";
# * the genotypes `VKORC1` (−1639 G>A: A/A, A/G, G/G) and `CYP2C9` (\*1/\*1 … \*3/\*3; the rare
#   alleles are dropped);
# * the target: the stable **weekly dose in mg**.

# %%
AGE_DECADES = {"10 - 19": 1, "20 - 29": 2, "30 - 39": 3, "40 - 49": 4, "50 - 59": 5,
               "60 - 69": 6, "70 - 79": 7, "80 - 89": 8, "90+": 9}
CYP2C9_VALUES = ["*1/*1", "*1/*2", "*1/*3", "*2/*2", "*2/*3", "*3/*3"]

warfarin = load_warfarin()
raw = warfarin.data
patients = pd.DataFrame({
    "Race": raw["Race"],
    "Age": raw["Age"].map(AGE_DECADES).astype(float),
    "Height": raw["Height (cm)"],
    "Weight": raw["Weight (kg)"],
    "Amiodarone": raw["Amiodarone (Cordarone)"].fillna(0),
    "Enzyme inducer": raw[["Carbamazepine (Tegretol)", "Phenytoin (Dilantin)",
                           "Rifampin or Rifampicin"]].fillna(0).max(axis=1),
    "VKORC1": raw["VKORC1 -1639 consensus"],
    "CYP2C9": raw["CYP2C9 consensus"],
})
dose = warfarin.target.astype(float)
keep = (patients.notna().all(axis=1) & dose.notna() & patients["CYP2C9"].isin(CYP2C9_VALUES)
        & (raw["Subject Reached Stable Dose of Warfarin"] == 1))
patients = patients[keep].reset_index(drop=True)
for column in ("Race", "VKORC1", "CYP2C9"):
    patients[column] = patients[column].astype("str")
dose = dose[keep].to_numpy()

print(f"{len(raw):,} patients in the table, {len(patients):,} complete cases with a stable dose")
print("VKORC1 genotypes:", patients["VKORC1"].value_counts(normalize=True).round(3).to_dict())
print(f"weekly dose: median {np.median(dose):.0f} mg, middle half {np.percentile(dose, 25):.0f}"
      f"-{np.percentile(dose, 75):.0f} mg")

# %% [markdown]
# ## The dosing model, and who is who
#
# 75% of the patients train the model (the **members**, as in the paper's main experiment). The
# remaining 25% are split in half: the attacker's **auxiliary** patients (with genotypes, from
# which it learns how common each genotype is) and the **non-members**, patients the model never
# saw.
#
# The model is ordinary least squares on one-hot genotypes and race and standardised numbers. Its
# coefficients show *why* the attack can work: the VKORC1 genotype moves the predicted dose by
# several mg/week, a shift of the same order as the model's typical error σ.

# %%
index = np.arange(len(patients))
train, rest = train_test_split(index, train_size=0.75, random_state=SEED)
aux, out = train_test_split(rest, train_size=0.5, random_state=SEED)
X_train, X_aux, X_out = patients.iloc[train], patients.iloc[aux], patients.iloc[out]
dose_train, dose_aux, dose_out = dose[train], dose[aux], dose[out]

model = Pipeline([
    ("prepare", ColumnTransformer([
        ("text", OneHotEncoder(handle_unknown="ignore"), ["Race", "VKORC1", "CYP2C9"]),
        ("numeric", StandardScaler(), ["Age", "Height", "Weight", "Amiodarone",
                                       "Enzyme inducer"]),
    ])),
    ("regress", LinearRegression()),
]).fit(X_train, dose_train)

sigma = float(np.sqrt(np.mean((dose_train - model.predict(X_train)) ** 2)))
print(f"members {len(train):,} | auxiliary {len(aux):,} | non-members {len(out):,}")
print(f"R² on the non-members: {model.score(X_out, dose_out):.3f}; "
      f"typical error σ (training RMSE): {sigma:.1f} mg/week")
coefficients = pd.Series(model[-1].coef_, index=model[0].get_feature_names_out())
coefficients[coefficients.index.str.startswith("text__VKORC1")].round(1).rename("mg/week")

# %% [markdown]
# ## The attack: MAP inversion of VKORC1
#
# `ConfidenceInversion(model, "VKORC1")` on a regressor is Fredrikson's attack: for each patient,
# `posterior(v) ∝ prior(v) · N(dose; model(record with VKORC1 = v), σ)`. The prior is the
# genotype frequency in the auxiliary patients; σ is the model's training error, which the paper's
# attacker knows (`noise_scale=sigma`). The patient's real dose is passed as the label `y`: it is
# what the attacker observes.

# %%
attack = ConfidenceInversion(model, "VKORC1", noise_scale=sigma, random_state=SEED)
attack.fit(X_aux, dose_aux)
print("candidates:", list(attack.candidates_), "| prior:", attack.prior_.round(3).tolist())

example = X_train.head(5)
posterior = attack.attack_proba(example, dose_train[:5]).round(3)
posterior.insert(0, "weekly dose", dose_train[:5].round(1))
posterior["guess"] = attack.attack(example, dose_train[:5]).to_numpy()
posterior["true VKORC1"] = example["VKORC1"].to_numpy()
posterior

# %% [markdown]
# ## Three comparators
#
# * **Most common genotype** — the paper's *baseline*: guess the commonest VKORC1 of the training
#   data for everyone. It needs no model and no patient data.
# * **Ideal classifier** — the paper's *ideal*: a logistic regression trained on the members'
#   real data to predict VKORC1 from everything the attacker knows (the other features and the
#   dose). It is an upper reference for what the data itself allows, not an attack; on the members
#   it is scored in-sample.
# * **Imputation** — Jayaraman & Evans' baseline: `ImputationBaseline` trained on the attacker's
#   *auxiliary* patients from the same known features and the dose, never querying the model.

# %%
known_text = ["Race", "CYP2C9"]
with_dose = patients.drop(columns=["VKORC1"]).assign(Dose=dose)
ideal = Pipeline([
    ("prepare", ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), known_text)],
                                  remainder=StandardScaler())),
    ("classify", LogisticRegression(max_iter=2000)),
]).fit(with_dose.iloc[train], patients["VKORC1"].iloc[train])
imputation = ImputationBaseline("VKORC1", random_state=SEED).fit(X_aux, dose_aux)
most_common = X_train["VKORC1"].mode().iloc[0]

rows = []
for population, idx, X, y in [("members", train, X_train, dose_train),
                              ("non-members", out, X_out, dose_out)]:
    truth = X["VKORC1"].to_numpy()
    guesses = {
        "most common genotype": np.full(len(X), most_common),
        "MAP inversion (attack)": attack.attack(X, y).to_numpy(),
        "imputation (no model)": imputation.attack(X, y).to_numpy(),
        "ideal classifier": ideal.predict(with_dose.iloc[idx]),
    }
    for name, guess in guesses.items():
        rows.append({"comparator": name, "population": population,
                     "accuracy": float(np.mean(guess == truth))})
accuracy = pd.DataFrame(rows).pivot(index="comparator", columns="population",
                                    values="accuracy").loc[list(guesses)]
accuracy.round(3)

# %%
acc = accuracy["members"]
print(f"On the members the attack infers VKORC1 for {acc['MAP inversion (attack)']:.1%} of "
      f"patients, against {acc['most common genotype']:.1%} for the most common genotype and "
      f"{acc['ideal classifier']:.1%} for the ideal classifier.")
ordered = (acc["most common genotype"] < acc["MAP inversion (attack)"] < acc["ideal classifier"])
print("Fredrikson's ordering  baseline < attack < ideal  holds:", bool(ordered))
print(f"Imputation without the model: {acc['imputation (no model)']:.1%}.")

# %% [markdown]
# **Reading it.** The attack is far better than guessing the most common genotype, and below the
# ideal classifier: the ordering Fredrikson et al. reported. (They describe the attack as coming
# close to the ideal; on this feature set and split the gap is larger — see
# `benchmarks/paper_tables.py` for the comparison with the published and re-run figures.)
#
# But the third comparison changes the conclusion. Measured against **imputation** — what an
# attacker learns from its own auxiliary patients, without the model — the attack gains nothing
# on this run. `evaluate_attacks` gives the advantage over imputation with its paired-bootstrap
# interval, on the members and on the non-members:

# %%
table = evaluate_attacks(
    [ConfidenceInversion(model, "VKORC1", noise_scale=sigma, random_state=SEED)],
    X_aux, dose_aux,
    targets={"members": (X_train, dose_train), "non-members": (X_out, dose_out)},
    random_state=SEED,
)
mapped = table[table["attack"] != "imputation"].set_index("population")
for population, row in mapped.iterrows():
    print(f"{population}: attack accuracy {row.score:.3f}, imputation {row.baseline_score:.3f}")
    print(f"    {row.verdict}")

# %% [markdown]
# **What this means for a privacy assessment.** The dose *is* informative about VKORC1 — that is
# medicine, and the reason the IWPC model uses the genotype. An attacker who has a few hundred
# genotyped patients with doses learns that relationship directly, as the imputation baseline
# does; the dosing model hands it over in another form but, on this evidence, adds no measurable
# information on top, and the attack works as well on patients the model never saw as on its
# training patients (no sign of memorisation). Fredrikson's attack shows that a *published* dosing
# model discloses genotype information about **anyone** whose dose and demographics are known; it
# is not, here, a leak of the training patients' data beyond what the population already reveals.
# Both findings belong in an impact assessment, and only the second one is a property of the model.
#
# ### The other genotype: CYP2C9
#
# The same attack on CYP2C9, whose most common genotype (\*1/\*1) covers about three patients in
# four: the attack can rarely do better than guessing it.

# %%
cyp = ConfidenceInversion(model, "CYP2C9", noise_scale=sigma, random_state=SEED)
cyp.fit(X_aux, dose_aux)
cyp_truth = X_train["CYP2C9"].to_numpy()
cyp_attack = float(np.mean(cyp.attack(X_train, dose_train).to_numpy() == cyp_truth))
cyp_mode = float(np.mean(X_train["CYP2C9"] == X_train["CYP2C9"].mode().iloc[0]))
print(f"CYP2C9 on the members: attack {cyp_attack:.3f}, most common genotype {cyp_mode:.3f}")

# %% [markdown]
# ## A defense: round the dose the model outputs
#
# If the model is served through an API, the operator can **round its output**.
# `DefendedRegressor(FrozenEstimator(model), RoundPredictions(step))` serves the same fitted model
# with every prediction rounded to a multiple of `step` mg/week (`FrozenEstimator` keeps the model
# as it is: `fit` only sets up the defense). Coarser outputs make different genotypes give the same
# answer, so the attack has less to go on — but the dose recommendation also gets worse.
#
# We sweep a few steps and measure both sides: the **utility** of the served dose (R² and mean
# absolute error on the non-members) and the attack's accuracy.

# %%
steps = [None, 1, 5, 10, 20, 35]
targets = {"members": (X_train, dose_train), "non-members": (X_out, dose_out)}
rows = []
for step in steps:
    served = model if step is None else DefendedRegressor(
        FrozenEstimator(model), RoundPredictions(step=step)).fit(X_out[:2], dose_out[:2])
    result = evaluate_attacks(
        [ConfidenceInversion(served, "VKORC1", noise_scale=sigma, random_state=SEED)],
        X_aux, dose_aux, targets=targets, n_resamples=300, random_state=SEED)
    result = result[result["attack"] != "imputation"].set_index("population")
    predicted = served.predict(X_out)
    rows.append({
        "rounding step (mg/week)": "none" if step is None else step,
        "R² (non-members)": served.score(X_out, dose_out),
        "dose MAE (mg/week)": float(np.mean(np.abs(predicted - dose_out))),
        "attack accuracy, members": result.loc["members", "score"],
        "attack accuracy, non-members": result.loc["non-members", "score"],
        "advantage over imputation, members": result.loc["members", "advantage"],
    })
rounding = pd.DataFrame(rows)
rounding.round(3)

# %%
fig, (left, right) = plt.subplots(1, 2, figsize=(9, 3.4))
x = np.arange(len(rounding))
labels = rounding["rounding step (mg/week)"].astype(str)
left.plot(x, rounding["attack accuracy, members"], "o-", color="#1f5fa8", label="attack (members)")
left.axhline(acc["most common genotype"], color="#999999", ls="--", label="most common genotype")
left.axhline(acc["imputation (no model)"], color="#c0392b", ls=":", label="imputation (no model)")
left.set_xticks(x, labels)
left.set_xlabel("rounding step of the served dose (mg/week)")
left.set_ylabel("accuracy inferring VKORC1")
left.legend(fontsize=8)
right.plot(x, rounding["R² (non-members)"], "s-", color="#2e7d32")
right.set_xticks(x, labels)
right.set_xlabel("rounding step of the served dose (mg/week)")
right.set_ylabel("R² of the served dose")
fig.suptitle("Rounding the output: the attack and the model's usefulness", fontsize=10)
fig.tight_layout()
plt.show()
plt.close(fig)

# %%
none_row, coarsest = rounding.iloc[0], rounding.iloc[-1]
print(f"undefended: attack {none_row['attack accuracy, members']:.3f} on the members, "
      f"R² {none_row['R² (non-members)']:.3f}")
print(f"rounded to {coarsest['rounding step (mg/week)']} mg/week: attack "
      f"{coarsest['attack accuracy, members']:.3f}, R² {coarsest['R² (non-members)']:.3f}")

# %% [markdown]
# **Reading it.** Fine rounding (a few mg/week) changes neither side. The attack only weakens when
# the step becomes comparable to the genotype's effect on the dose — and by then the rounded dose
# has lost much of its clinical value (R² falls). The information that makes the model useful is
# the information the attack uses. Fredrikson et al. met the same tension with differential
# privacy: privacy budgets small enough to stop the attack made the simulated patients' dosing
# unsafe. And since
# the attack did not beat imputation in the first place, the honest recommendation here is not to
# degrade the dose, but to record that genotype is inferable from dose and demographics by anyone
# with similar data, model or no model.

# %% [markdown]
# ### Machine-readable summary
#
# The test suite (`tests/notebooks/test_notebooks.py`) re-executes this notebook and checks the
# facts the text above relies on. They are printed as one JSON line after the marker
# `NOTEBOOK_FACTS`.

# %%
facts = {
    "n_patients": int(len(patients)),
    "vkorc1_members": {k: float(v) for k, v in accuracy["members"].items()},
    "vkorc1_non_members": {k: float(v) for k, v in accuracy["non-members"].items()},
    "advantage_members": float(mapped.loc["members", "advantage"]),
    "advantage_members_ci": [float(mapped.loc["members", "advantage_ci_low"]),
                             float(mapped.loc["members", "advantage_ci_high"])],
    "cyp2c9_attack": cyp_attack,
    "cyp2c9_most_common": cyp_mode,
    "rounding_steps": [str(s) for s in rounding["rounding step (mg/week)"]],
    "rounding_attack_members": [float(v) for v in rounding["attack accuracy, members"]],
    "rounding_r2": [float(v) for v in rounding["R² (non-members)"]],
}
print("NOTEBOOK_FACTS", json.dumps(facts))

"""Write the walk-through notebooks from the cell sources below, and optionally execute them.

The notebooks are generated so that their text can be reviewed as ordinary Python in a diff;
edit the cells here, not the ``.ipynb`` files, then rebuild::

    python notebooks/_build.py                 # write the four notebooks (no outputs)
    python notebooks/_build.py --execute       # write them and execute them in place
    python notebooks/_build.py --execute 02    # only the notebooks whose name contains "02"

Executing needs ``nbclient``, ``nbformat`` and ``ipykernel``, and the real datasets
(``TABINVERT_DATA``, or ``datasets/`` in the checkout). Each notebook runs in the
``notebooks/`` folder, with the ``python3`` kernel of the current interpreter.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

#: The last code cell of every notebook prints one line starting with this marker, followed by
#: a JSON object of the notebook's key facts; ``tests/test_notebooks.py`` reads it.
FACTS_MARKER = "NOTEBOOK_FACTS"


def md(text):
    return new_markdown_cell(text.strip("\n"))


def code(text):
    return new_code_cell(text.strip("\n"))


FACTS_INTRO = md(f"""
### Machine-readable summary

The test suite (`tests/test_notebooks.py`) re-executes this notebook and checks the facts the
text above relies on. They are printed as one JSON line after the marker `{FACTS_MARKER}`.
""")

# =============================================================================================
# 01 — quickstart
# =============================================================================================
QUICKSTART = [
    md("""
# 1. Quickstart: does my model leak a sensitive attribute of the people it was trained on?

**Who this is for.** A privacy engineer or data-protection officer who has a tabular model
(here: an income classifier) and wants to know what an attacker can learn about the people in
its training data from its answers.

**What an attribute-inference attack is.** The attacker knows *part* of a person's record — say
their age, job and hours worked, and the decision the model made about them — but not one
*sensitive* attribute. It tries each possible value of that attribute, asks the model about each
completed record, and keeps the value that best explains the model's answer.

**What we will do, in five steps.**
1. Split the data into the three groups of people every assessment needs.
2. Train a model the usual scikit-learn way: a `Pipeline` on a raw `DataFrame`.
3. Run one attack, **CSMIA** (Mehnaz et al., USENIX Security 2022), which reads the model's
   confidence.
4. Run the **imputation baseline** (Jayaraman & Evans, CCS 2022): the same attacker's guesses
   *without* the model, from the population's statistics alone.
5. Compare the two with `evaluate_attacks`, on people the model was trained on and on people it
   never saw, and read the advantage and its confidence interval.

Runtime: about ten seconds. To keep it short we use a random **6,000 of the 48,842** people of
the UCI Adult census data; every random step is seeded, so re-running gives the same numbers.
"""),
    code("""
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from tabinvert.attacks import ConfidenceInversion, ImputationBaseline
from tabinvert.datasets import load_adult
from tabinvert.evaluation import evaluate_attacks

SEED = 0
SENSITIVE = "sex"
pd.set_option("display.width", 160)
"""),
    md("""
## Step 1 — the data, and three groups of people

`load_adult` reads the census table from the data home (the `TABINVERT_DATA` folder). The model
predicts `income` (`<=50K` / `>50K`); the attribute the attacker wants is `sex`.

We drop the `relationship` column: its values `Husband` and `Wife` state a person's sex outright,
so with it in the data nobody would need the model to infer sex (try keeping it at the end — the
imputation baseline then wins, which is the right answer).

An honest assessment needs **three disjoint groups of people**:

| group | who they are | role |
|---|---|---|
| **members** | the model's training records | the people whose privacy is at stake |
| **auxiliary** | other people from the same population, *with* their sex and income | what the attacker already knows: it learns which values exist and how they relate to the other columns |
| **non-members** | people the model never saw | the control group: what the attack does on anyone, not because of training |
"""),
    code("""
adult = load_adult(variant="clean")
people = adult.data.drop(columns=["relationship"])
income = adult.target

sample = people.sample(6000, random_state=SEED)          # a subsample, to run in seconds
X_train, X_rest, y_train, y_rest = train_test_split(
    sample, income.loc[sample.index], train_size=3000, stratify=income.loc[sample.index],
    random_state=SEED)
X_aux, X_out, y_aux, y_out = train_test_split(
    X_rest, y_rest, train_size=0.5, stratify=y_rest, random_state=SEED)

print(f"members (training records): {len(X_train):,}")
print(f"auxiliary records (attacker): {len(X_aux):,}")
print(f"non-members (never seen):    {len(X_out):,}")
print(f"share of women among the members: {(X_train[SENSITIVE] == 'Female').mean():.1%}")
"""),
    md("""
## Step 2 — the target model

A random forest behind a `ColumnTransformer` that one-hot encodes the text columns: the
model takes the raw `DataFrame`, as it would in production. tabinvert's attacks call the
`Pipeline`'s `predict_proba` / `predict` directly; nothing has to be encoded by hand.

Random forests with fully grown trees tend to **memorise** their training records: compare the
accuracy on the members with the accuracy on the non-members.
"""),
    code("""
text_columns = [c for c in people.columns if not pd.api.types.is_numeric_dtype(people[c])]
model = Pipeline([
    ("encode", ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore"), text_columns)],
        remainder="passthrough")),
    ("forest", RandomForestClassifier(n_estimators=100, random_state=SEED)),
]).fit(X_train, y_train)

print(f"accuracy on the members:     {model.score(X_train, y_train):.3f}")
print(f"accuracy on the non-members: {model.score(X_out, y_out):.3f}")
"""),
    md("""
## Step 3 — one attack: CSMIA

`ConfidenceInversion(model, "sex", method="csmia")` is the confidence-score attack of Mehnaz et
al. For every target person it builds one copy of the record per candidate value (`Female`,
`Male`), asks the model for its probabilities, and:

* if exactly one candidate makes the model predict the person's **true income**, guesses it;
* if both do, guesses the one the model is **more confident** about;
* if neither does, guesses the one the model is **less confident** about.

What the attacker holds: the person's other columns and their true income (the decision), and
the auxiliary records (`fit` learns the candidate values from them). The attack never looks at
the target's `sex` column: it drops it before doing anything, so we can pass the full records and
keep the truth for scoring.
"""),
    code("""
attack = ConfidenceInversion(model, SENSITIVE, method="csmia", random_state=SEED)
attack.fit(X_aux, y_aux)
print("candidate values:", list(attack.candidates_))

first = X_train.head(8)
pd.DataFrame({
    "true sex": first[SENSITIVE],
    "income (known)": y_train.head(8),
    "CSMIA guess": attack.attack(first, y_train.head(8)),
})
"""),
    md("""
## Step 4 — the imputation baseline

Many people's sex can be guessed from their other columns without any model (occupation,
hours worked, income...). The **imputation baseline** is a classifier trained on the attacker's
auxiliary records only, from the same known columns and the same label, that **never queries the
model**. Whatever it gets right is population statistics, which anyone with similar data could
infer; only what an attack gets right *beyond* it can be blamed on the model.

By default it keeps its learner only when the learner beats "always guess the most common
value" in cross-validation on the auxiliary records (`selection_` says which won).
"""),
    code("""
baseline = ImputationBaseline(SENSITIVE, random_state=SEED).fit(X_aux, y_aux)
print("baseline chose:", baseline.selection_["chosen"], "| uses the label:", baseline.uses_label_)

members_truth = X_train[SENSITIVE]
csmia_right = (attack.attack(X_train, y_train) == members_truth).mean()
baseline_right = (baseline.attack(X_train, y_train) == members_truth).mean()
print(f"on the members, CSMIA is right for {csmia_right:.1%} of people, "
      f"the imputation baseline for {baseline_right:.1%}")
"""),
    md("""
## Step 5 — measure it properly: `evaluate_attacks`

`evaluate_attacks` does steps 3 and 4 for every population at once, on the very same records,
and adds the statistics:

* **`score`** — the attack's accuracy, with a 95% (Wilson) interval `score_ci_low`–`score_ci_high`;
* **`baseline_score`** — the imputation baseline's accuracy on the same people;
* **`advantage`** — `(accuracy_attack − accuracy_imputation) / (1 − accuracy_imputation)`: how
  much of imputation's error the attack removes (1 = it gets everyone right, 0 = no better than
  imputation, negative = worse), with a 95% **paired-bootstrap** interval
  `advantage_ci_low`–`advantage_ci_high` (the same people are resampled for both);
* **`verdict`** — the interval read out in words.

The rows named `imputation` are the baseline itself.
"""),
    code("""
table = evaluate_attacks(
    [ConfidenceInversion(model, SENSITIVE, method="csmia", random_state=SEED)],
    X_aux, y_aux,
    targets={"members": (X_train, y_train), "non-members": (X_out, y_out)},
    random_state=SEED,
)
table[["attack", "population", "score", "score_ci_low", "score_ci_high", "baseline_score",
       "advantage", "advantage_ci_low", "advantage_ci_high", "query_rows"]].round(3)
"""),
    md("""
### Reading the numbers out loud

The cell below turns each CSMIA row into a sentence. How to read it:

* **The interval decides, not the point estimate.** If the advantage's interval lies **above 0**,
  the model lets the attacker infer sex better than population statistics do: that is leakage
  *from the model*. If it **includes 0**, there is no measurable leakage on this sample. If it
  lies **below 0**, the attack is misled by the model and an attacker would do better to ignore
  it and impute.
* **Members vs non-members.** The same attack on people the model never saw tells you whether
  the leak is about the *training records* (the model memorised them — a risk to exactly the
  people whose data you used) or about *anyone* (the model encodes a population correlation).
"""),
    code("""
csmia = table[table["attack"] == "CSMIA"].set_index("population")
for population, row in csmia.iterrows():
    print(f"{population}: CSMIA infers sex correctly for {row.score:.1%} of {row.n_records:,} "
          f"people (95% CI {row.score_ci_low:.1%} to {row.score_ci_high:.1%}); imputation "
          f"without the model: {row.baseline_score:.1%}.")
    print(f"    {row.verdict}")
gap = csmia.loc["members", "advantage"] - csmia.loc["non-members", "advantage"]
print(f"members' advantage minus non-members': {gap:+.3f}")
"""),
    md("""
In this run the members' interval lies above zero while the non-members' does not: the forest
leaks the sex of **the people it was trained on**, through the confidence it has on records it
memorised, and not of people in general. On people it never saw, its confidence is a poor guide
and CSMIA does worse than imputation. That asymmetry is the signature of memorisation, and it is
why an assessment must always attack both populations and always report the baseline: CSMIA's
raw accuracy alone would look alarming (or reassuring) for the wrong reason.

The picture below shows the same comparison: bars are accuracies with their 95% intervals.
"""),
    code("""
fig, ax = plt.subplots(figsize=(6, 3.2))
populations = ["members", "non-members"]
positions = np.arange(len(populations))
for offset, (label, rows, colour) in enumerate([
        ("imputation (no model)", table[table["attack"] == "imputation"], "#999999"),
        ("CSMIA (queries the model)", table[table["attack"] == "CSMIA"], "#1f5fa8")]):
    rows = rows.set_index("population").loc[populations]
    ax.bar(positions + (offset - 0.5) * 0.38, rows["score"], width=0.36, color=colour,
           label=label, yerr=[rows["score"] - rows["score_ci_low"],
                              rows["score_ci_high"] - rows["score"]], capsize=3)
ax.set_xticks(positions, populations)
ax.set_ylim(0.4, 1.0)
ax.set_ylabel("accuracy inferring sex")
ax.legend(loc="upper right", ncol=2, fontsize=8)
ax.set_title("Attack vs imputation, with 95% intervals", fontsize=10)
fig.tight_layout()
plt.show()
plt.close(fig)
"""),
    md("""
## Where to go next

* **Other attacks.** `ConfidenceInversion(model, "sex")` (Fredrikson's MAP inversion),
  `ConfidenceInversion(model, "sex", likelihood="confusion")` (labels only, FJRMIA) and
  `LabelOnlyInversion(model, "sex")` (LOMIA) take the same place in the list given to
  `evaluate_attacks`; an attacker uses whichever works best.
* **Keep the `relationship` column** and re-run: `Husband` / `Wife` give away the sex of every
  married person, the baseline gets much better, and CSMIA no longer beats it — the model then
  adds nothing an analyst could not impute.
* **The warfarin reproduction** (`02_warfarin_reproduction.ipynb`): the first model-inversion
  attack, on a dosing model.
* **Defenses** (`03_defenses_tradeoff.ipynb`): what rounding or hiding the probabilities buys.
* **One call and a report** (`04_dpia_walkthrough.ipynb`): `tabinvert.assess` and the HTML report
  for a data-protection impact assessment.
"""),
    FACTS_INTRO,
    code(f"""
members, outsiders = csmia.loc["members"], csmia.loc["non-members"]
facts = {{
    "n_members": int(members.n_records),
    "members_score": float(members.score),
    "members_baseline": float(members.baseline_score),
    "members_advantage": float(members.advantage),
    "members_advantage_ci": [float(members.advantage_ci_low), float(members.advantage_ci_high)],
    "non_members_advantage": float(outsiders.advantage),
    "non_members_advantage_ci": [float(outsiders.advantage_ci_low),
                                 float(outsiders.advantage_ci_high)],
}}
print("{FACTS_MARKER}", json.dumps(facts))
"""),
]

# =============================================================================================
# 02 — warfarin
# =============================================================================================
WARFARIN = [
    md("""
# 2. The first model-inversion attack: warfarin dosing (Fredrikson et al. 2014)

**The setting.** Warfarin is an anticoagulant whose right dose varies a lot between patients.
The International Warfarin Pharmacogenetics Consortium (IWPC) published a **linear model** that
predicts a patient's stable weekly dose from demographics, two interacting drugs and two
genotypes, **VKORC1** and **CYP2C9**. Fredrikson et al. (USENIX Security 2014, "Privacy in
Pharmacogenetics") asked: if an attacker knows a patient's demographics and the dose they take,
can the dosing model reveal the patient's **genotype**?

**The attack** (MAP inversion). For each possible VKORC1 genotype (A/A, A/G, G/G), complete the
patient's record with it, ask the model for the dose, and score how likely the patient's *real*
dose is under a Gaussian error model around that prediction (σ = the model's typical error),
times how common the genotype is. The most likely genotype is the guess.

**What we reproduce.**
1. The paper's comparison: the attack vs the **most common genotype** (a guess that needs
   nothing) vs an **"ideal" classifier** trained on the real data to predict the genotype from
   everything the attacker knows.
2. The question Jayaraman & Evans (CCS 2022) added: does the attack beat **imputation** — a
   classifier the attacker trains on its own auxiliary patients, without the model?
3. A defense: **rounding the dose** the model outputs, at a few steps.

The protocol is the one of `benchmarks/paper_tables.py` (section 3), which also compares the
results with the published figures. Runtime: about fifteen seconds on all 3,439 usable patients.
"""),
    code("""
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
"""),
    md("""
## The data: Fredrikson's feature set

`load_warfarin()` reads the IWPC table (5,700 patients). As in the paper we keep the features
of the IWPC dosing algorithm, and the patients who **reached a stable dose** with every feature
known:

* `Race`, `Age` (in decades, 1–9), `Height`, `Weight`;
* `Amiodarone` (taking it lowers the dose) and `Enzyme inducer` (carbamazepine, phenytoin or
  rifampin, which raise it); a missing medication entry counts as "not taking it";
* the genotypes `VKORC1` (−1639 G>A: A/A, A/G, G/G) and `CYP2C9` (\\*1/\\*1 … \\*3/\\*3; the rare
  alleles are dropped);
* the target: the stable **weekly dose in mg**.
"""),
    code("""
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
"""),
    md("""
## The dosing model, and who is who

75% of the patients train the model (the **members**, as in the paper's main experiment). The
remaining 25% are split in half: the attacker's **auxiliary** patients (with genotypes, from
which it learns how common each genotype is) and the **non-members**, patients the model never
saw.

The model is ordinary least squares on one-hot genotypes and race and standardised numbers. Its
coefficients show *why* the attack can work: the VKORC1 genotype moves the predicted dose by
several mg/week, a shift of the same order as the model's typical error σ.
"""),
    code("""
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
"""),
    md("""
## The attack: MAP inversion of VKORC1

`ConfidenceInversion(model, "VKORC1")` on a regressor is Fredrikson's attack: for each patient,
`posterior(v) ∝ prior(v) · N(dose; model(record with VKORC1 = v), σ)`. The prior is the
genotype frequency in the auxiliary patients; σ is the model's training error, which the paper's
attacker knows (`noise_scale=sigma`). The patient's real dose is passed as the label `y`: it is
what the attacker observes.
"""),
    code("""
attack = ConfidenceInversion(model, "VKORC1", noise_scale=sigma, random_state=SEED)
attack.fit(X_aux, dose_aux)
print("candidates:", list(attack.candidates_), "| prior:", attack.prior_.round(3).tolist())

example = X_train.head(5)
posterior = attack.attack_proba(example, dose_train[:5]).round(3)
posterior.insert(0, "weekly dose", dose_train[:5].round(1))
posterior["guess"] = attack.attack(example, dose_train[:5]).to_numpy()
posterior["true VKORC1"] = example["VKORC1"].to_numpy()
posterior
"""),
    md("""
## Three comparators

* **Most common genotype** — the paper's *baseline*: guess the commonest VKORC1 of the training
  data for everyone. It needs no model and no patient data.
* **Ideal classifier** — the paper's *ideal*: a logistic regression trained on the members'
  real data to predict VKORC1 from everything the attacker knows (the other features and the
  dose). It is an upper reference for what the data itself allows, not an attack; on the members
  it is scored in-sample.
* **Imputation** — Jayaraman & Evans' baseline: `ImputationBaseline` trained on the attacker's
  *auxiliary* patients from the same known features and the dose, never querying the model.
"""),
    code("""
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
"""),
    code("""
acc = accuracy["members"]
print(f"On the members the attack infers VKORC1 for {acc['MAP inversion (attack)']:.1%} of "
      f"patients, against {acc['most common genotype']:.1%} for the most common genotype and "
      f"{acc['ideal classifier']:.1%} for the ideal classifier.")
ordered = (acc["most common genotype"] < acc["MAP inversion (attack)"] < acc["ideal classifier"])
print("Fredrikson's ordering  baseline < attack < ideal  holds:", bool(ordered))
print(f"Imputation without the model: {acc['imputation (no model)']:.1%}.")
"""),
    md("""
**Reading it.** The attack is far better than guessing the most common genotype, and below the
ideal classifier: the ordering Fredrikson et al. reported. (They describe the attack as coming
close to the ideal; on this feature set and split the gap is larger — see
`benchmarks/paper_tables.py` for the comparison with the published and re-run figures.)

But the third comparison changes the conclusion. Measured against **imputation** — what an
attacker learns from its own auxiliary patients, without the model — the attack gains nothing
on this run. `evaluate_attacks` gives the advantage over imputation with its paired-bootstrap
interval, on the members and on the non-members:
"""),
    code("""
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
"""),
    md("""
**What this means for a privacy assessment.** The dose *is* informative about VKORC1 — that is
medicine, and the reason the IWPC model uses the genotype. An attacker who has a few hundred
genotyped patients with doses learns that relationship directly, as the imputation baseline
does; the dosing model hands it over in another form but, on this evidence, adds no measurable
information on top, and the attack works as well on patients the model never saw as on its
training patients (no sign of memorisation). Fredrikson's attack shows that a *published* dosing
model discloses genotype information about **anyone** whose dose and demographics are known; it
is not, here, a leak of the training patients' data beyond what the population already reveals.
Both findings belong in an impact assessment, and only the second one is a property of the model.

### The other genotype: CYP2C9

The same attack on CYP2C9, whose most common genotype (\\*1/\\*1) covers about three patients in
four: the attack can rarely do better than guessing it.
"""),
    code("""
cyp = ConfidenceInversion(model, "CYP2C9", noise_scale=sigma, random_state=SEED)
cyp.fit(X_aux, dose_aux)
cyp_truth = X_train["CYP2C9"].to_numpy()
cyp_attack = float(np.mean(cyp.attack(X_train, dose_train).to_numpy() == cyp_truth))
cyp_mode = float(np.mean(X_train["CYP2C9"] == X_train["CYP2C9"].mode().iloc[0]))
print(f"CYP2C9 on the members: attack {cyp_attack:.3f}, most common genotype {cyp_mode:.3f}")
"""),
    md("""
## A defense: round the dose the model outputs

If the model is served through an API, the operator can **round its output**.
`DefendedRegressor(FrozenEstimator(model), RoundPredictions(step))` serves the same fitted model
with every prediction rounded to a multiple of `step` mg/week (`FrozenEstimator` keeps the model
as it is: `fit` only sets up the defense). Coarser outputs make different genotypes give the same
answer, so the attack has less to go on — but the dose recommendation also gets worse.

We sweep a few steps and measure both sides: the **utility** of the served dose (R² and mean
absolute error on the non-members) and the attack's accuracy.
"""),
    code("""
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
"""),
    code("""
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
"""),
    code("""
none_row, coarsest = rounding.iloc[0], rounding.iloc[-1]
print(f"undefended: attack {none_row['attack accuracy, members']:.3f} on the members, "
      f"R² {none_row['R² (non-members)']:.3f}")
print(f"rounded to {coarsest['rounding step (mg/week)']} mg/week: attack "
      f"{coarsest['attack accuracy, members']:.3f}, R² {coarsest['R² (non-members)']:.3f}")
"""),
    md("""
**Reading it.** Fine rounding (a few mg/week) changes neither side. The attack only weakens when
the step becomes comparable to the genotype's effect on the dose — and by then the rounded dose
has lost much of its clinical value (R² falls). The information that makes the model useful is
the information the attack uses. Fredrikson et al. met the same tension with differential
privacy: privacy budgets small enough to stop the attack made the simulated patients' dosing
unsafe. And since
the attack did not beat imputation in the first place, the honest recommendation here is not to
degrade the dose, but to record that genotype is inferable from dose and demographics by anyone
with similar data, model or no model.
"""),
    FACTS_INTRO,
    code(f"""
facts = {{
    "n_patients": int(len(patients)),
    "vkorc1_members": {{k: float(v) for k, v in accuracy["members"].items()}},
    "vkorc1_non_members": {{k: float(v) for k, v in accuracy["non-members"].items()}},
    "advantage_members": float(mapped.loc["members", "advantage"]),
    "advantage_members_ci": [float(mapped.loc["members", "advantage_ci_low"]),
                             float(mapped.loc["members", "advantage_ci_high"])],
    "cyp2c9_attack": cyp_attack,
    "cyp2c9_most_common": cyp_mode,
    "rounding_steps": [str(s) for s in rounding["rounding step (mg/week)"]],
    "rounding_attack_members": [float(v) for v in rounding["attack accuracy, members"]],
    "rounding_r2": [float(v) for v in rounding["R² (non-members)"]],
}}
print("{FACTS_MARKER}", json.dumps(facts))
"""),
]

# =============================================================================================
# 03 — defenses
# =============================================================================================
DEFENSES = [
    md("""
# 3. Defenses: what each one buys in privacy and costs in utility

**The question.** If a model leaks, what can the operator change in what it *returns*? Round
the probabilities, return only the top class, add noise...? And what does each change cost the
model's legitimate users?

**What we do.**
1. Train a target model on Adult, the protocol of Mehnaz et al. (USENIX Security 2022) used by
   `benchmarks/bench_defenses.py`: predict `income`, the attacker infers `marital`
   (Married / Single).
2. Put **every output defense** of `tabinvert.defenses` in front of it and run four attacks
   against each, with `evaluate_defenses`.
3. Plot the **privacy–utility frontier**.
4. Show why **label-only attacks** (LOMIA) survive every defense that keeps the predicted label.
5. Show how a **query budget** stops an attack, and what its error says.

Runtime: under a minute. The benchmark uses all 35,222 training rows; here the target model is
trained on a random **3,000** of them, the attacker holds **1,000** of the 10,000 held-out rows
and **1,500** others are the non-members (and the held-out set on which utility is measured).
"""),
    code("""
import json

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomForestClassifier
from sklearn.frozen import FrozenEstimator
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from tabinvert.attacks import ConfidenceInversion, LabelOnlyInversion
from tabinvert.datasets import load_adult
from tabinvert.defenses import (
    CoarsenProbabilities,
    ConfidenceThreshold,
    DefendedClassifier,
    GaussianNoise,
    LabelOnly,
    QueryBudget,
    QueryBudgetExceeded,
    ReverseSigmoid,
    RoundProbabilities,
    TopK,
)
from tabinvert.evaluation import defense_guarantees, evaluate_defenses, privacy_utility_frontier

SEED = 0
SENSITIVE = "marital"
pd.set_option("display.width", 140)
"""),
    code("""
train = load_adult(variant="mehnaz2022")
query = load_adult(variant="mehnaz2022_query")

picked = np.random.default_rng(SEED).choice(len(train.data), 3000, replace=False)
X_train, y_train = train.data.iloc[picked], np.asarray(train.target)[picked]
X_aux, X_out, y_aux, y_out = train_test_split(
    query.data, np.asarray(query.target), train_size=1000, test_size=1500,
    stratify=query.target, random_state=SEED)

text = [c for c in X_train.columns if not pd.api.types.is_numeric_dtype(X_train[c])]
numeric = [c for c in X_train.columns if c not in text]
model = Pipeline([
    ("prepare", ColumnTransformer([("text", OneHotEncoder(handle_unknown="ignore"), text),
                                   ("numeric", StandardScaler(), numeric)])),
    ("classify", RandomForestClassifier(n_estimators=60, random_state=SEED)),
]).fit(X_train, y_train)
print(f"members {len(X_train):,} | auxiliary {len(X_aux):,} | non-members {len(X_out):,}")
print(f"accuracy: members {model.score(X_train, y_train):.3f}, "
      f"non-members {model.score(X_out, y_out):.3f}")
"""),
    md("""
## The defenses, and what each promises

Each defense is a scikit-learn transformer over the model's `(n, n_classes)` probability matrix.
Two promises matter:

* **`keeps_argmax`** — the predicted class never changes, so accuracy is untouched;
* **`keeps_row_sums`** — what is returned still sums to 1 (a valid probability vector).

`defense_guarantees(defense)` reads both (for a `Pipeline` of defenses too). The table also
shows what each one returns for the same three people (the model's probabilities of `<=50K` and
`>50K`), served through `DefendedClassifier`, which puts the defense in front of the model on
every output path (`predict`, `predict_proba`, `score`).
"""),
    code("""
defenses = {
    "round to 0.2": RoundProbabilities(step=0.2),
    "coarsen, 3 bins": CoarsenProbabilities(n_bins=3),
    "top-1 only": TopK(k=1),
    "label only": LabelOnly(),
    "threshold 0.7": ConfidenceThreshold(cutoff=0.7),
    "Gaussian noise 0.05": GaussianNoise(scale=0.05, random_state=SEED),
    "Gaussian noise 0.2": GaussianNoise(scale=0.2, random_state=SEED),
    "reverse sigmoid β=1 γ=0.5": ReverseSigmoid(beta=1.0, gamma=0.5),
}

three = X_out.head(3)
shown = {"none": model.predict_proba(three)}
for name, defense in defenses.items():
    served = DefendedClassifier(FrozenEstimator(model), defense).fit(X_out[:2], y_out[:2])
    shown[name] = served.predict_proba(three)
rows = []
for name, proba in shown.items():
    promise = defense_guarantees(defenses.get(name))
    rows.append({"defense": name, **promise,
                 **{f"person {i + 1}": "(" + ", ".join(f"{p:.2f}" for p in row) + ")"
                    for i, row in enumerate(proba)}})
pd.DataFrame(rows).set_index("defense")
"""),
    md("""
## The sweep: `evaluate_defenses`

For each defense (and the undefended model, always the first row group), `evaluate_defenses`
measures the model's **utility** on the non-members (accuracy, and the log-loss of the returned
probabilities), then runs every attack on the members and the non-members against the
imputation baseline, exactly as `evaluate_attacks` does. The same seeds are used for every
defense, so rows differ only by the defense. The attacks:

| attack | reads | paper |
|---|---|---|
| CSMIA | probabilities + true label | Mehnaz et al. 2022 |
| MAP | probabilities + true label | Fredrikson et al. 2014/2015 |
| MAP-confusion (FJRMIA) | predicted labels + true label | Fredrikson et al. 2015, as in Mehnaz et al. |
| LOMIA | predicted labels + true label | Mehnaz et al. 2022 |
"""),
    code("""
attacks = [
    ConfidenceInversion(model, SENSITIVE, method="csmia", random_state=SEED),
    ConfidenceInversion(model, SENSITIVE, random_state=SEED),
    ConfidenceInversion(model, SENSITIVE, likelihood="confusion", random_state=SEED),
    LabelOnlyInversion(model, SENSITIVE, random_state=SEED),
]
sweep = evaluate_defenses(
    model, defenses, X_aux, y_aux,
    targets={"members": (X_train, y_train), "non-members": (X_out, y_out)},
    X_test=X_out, y_test=y_out, attacks=attacks, n_resamples=300, random_state=SEED,
)
members = sweep[sweep["population"] == "members"]
print("Advantage over imputation on the members (rows: defense, columns: attack)")
members.pivot_table(index="defense", columns="attack", values="advantage", sort=False).round(3)
"""),
    code("""
utility = sweep.drop_duplicates("defense").set_index("defense")[
    ["keeps_argmax", "utility", "utility_change", "log_loss"]]
utility.rename(columns={"utility": "accuracy", "utility_change": "accuracy change"}).round(3)
"""),
    md("""
**How to read the two tables.** The first one is the privacy side: each attack's advantage over
imputation on the training records (positive = the model leaks `marital` beyond population
statistics). The second is the utility side: accuracy only moves for the defenses that may change
the predicted class (noise, reverse sigmoid), while the **log-loss** — how useful the returned
*probabilities* are, lower is better — shows the cost of the others: a client that uses the
scores (to rank, to set its own threshold) loses most of them under "label only", "top-1" or a
high threshold. The cell below reads out the confidence attacks and LOMIA for a few defenses.
"""),
    code("""
adv = members.pivot_table(index="defense", columns="attack", values="advantage", sort=False)
for name in ["none", "round to 0.2", "label only", "reverse sigmoid β=1 γ=0.5"]:
    row = adv.loc[name]
    print(f"{name:>26}: CSMIA {row['CSMIA']:+.3f}, MAP {row['MAP']:+.3f}, "
          f"LOMIA {row['LOMIA']:+.3f}; log-loss {utility.loc[name, 'log_loss']:.3f}")
"""),
    md("""
## The privacy–utility frontier

`privacy_utility_frontier(sweep)` summarises each defense by its **worst case**: the largest
advantage of any attack on the members (an attacker picks the attack that works best). A defense
is *on the frontier* when no other defense has at least its utility and at most its risk.

Utility can be measured two ways, and the frontier depends on which matters to the model's users:
**accuracy** (left), or the **log-loss** of the returned probabilities (right; we pass
`utility = −log-loss` so that larger is better, as the function expects).
"""),
    code("""
frontier_accuracy = privacy_utility_frontier(sweep)
frontier_logloss = privacy_utility_frontier(sweep.assign(utility=-sweep["log_loss"]))
frontier_accuracy.round(3)
"""),
    code("""
def label_points(ax, xs, ys, names, x_span, y_span):
    \"\"\"Write each point's name beside it; points that (nearly) coincide share one label.\"\"\"
    groups = []
    for x, y, name in zip(xs, ys, names):
        for group in groups:
            if abs(group[0] - x) < 0.06 * x_span and abs(group[1] - y) < 0.06 * y_span:
                group[2].append(name)
                break
        else:
            groups.append([x, y, [name]])
    for x, y, group_names in groups:
        ax.annotate("\\n".join(group_names), (x, y), xytext=(6, 0), textcoords="offset points",
                    fontsize=7, va="center")


fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
panels = [(axes[0], frontier_accuracy, 1, "accuracy on the non-members (higher is better)"),
          (axes[1], frontier_logloss, -1, "log-loss of the returned probabilities\\n"
                                          "(lower is better; axis inverted)")]
for ax, frontier, sign, label in panels:
    risk, value = frontier["risk"], sign * frontier["utility"]
    on = frontier[frontier["on_frontier"]].sort_values("risk")
    ax.scatter(risk, value, color="#888888", zorder=2, label="dominated")
    ax.plot(on["risk"], sign * on["utility"], "o-", color="#1f5fa8", zorder=3,
            label="on the frontier")
    ax.axvline(0, color="#c0392b", lw=0.8, ls=":")
    x_span = max(risk.max() - min(risk.min(), 0), 1e-9)
    y_span = max(value.max() - value.min(), 1e-9)
    label_points(ax, risk, value, frontier["defense"], x_span, y_span)
    ax.set_xlim(min(risk.min(), 0) - 0.05 * x_span, risk.max() + 0.45 * x_span)
    ax.set_ylim(value.min() - 0.1 * y_span, value.max() + 0.1 * y_span)
    if sign < 0:
        ax.invert_yaxis()
    ax.set_xlabel("worst attack's advantage over imputation, members (lower is better)")
    ax.set_ylabel(label)
    ax.legend(fontsize=8, loc="center right")
fig.suptitle("Privacy–utility frontier of the output defenses", fontsize=10)
fig.tight_layout()
plt.show()
plt.close(fig)
"""),
    md("""
**Reading the plot.** Points further left leak less; points higher up serve users better; the
dotted red line is "no advantage over imputation". On **accuracy** (left), every defense that
keeps the predicted class costs nothing, so the frontier is made of the ones that bring the
confidence attacks down furthest. On **log-loss** (right) the picture changes: "label only",
"top-1" and the threshold throw the scores away and pay for it, while coarse bins can even
*improve* the log-loss of an over-confident model. Which panel applies is a product decision:
does anyone downstream use the scores?

Note the floor: no defense that keeps the predicted class can bring the worst case below
LOMIA's advantage on the undefended model. The next section shows why.

## Why label-only attacks survive arg-max-preserving defenses

LOMIA (`LabelOnlyInversion`) only reads the **predicted class** for each candidate value. Every
defense with `keeps_argmax=True` returns the same predicted class as the undefended model — by
construction — so LOMIA's queries get exactly the same answers, and its result cannot change.
This is why `evaluate_defenses` always adds a label-only attacker to the sweep: without it, a
defense that merely hides the confidence would look like it solved a problem it cannot touch.
"""),
    code("""
lomia = sweep[sweep["attack"] == "LOMIA"].pivot_table(
    index="defense", columns="population", values="score", sort=False)
undefended = lomia.loc["none"]
check = pd.DataFrame({
    "keeps_argmax": [defense_guarantees(defenses.get(name))["keeps_argmax"]
                     for name in lomia.index],
    "LOMIA accuracy, members": lomia["members"],
    "LOMIA accuracy, non-members": lomia["non-members"],
    "identical to undefended": (lomia == undefended).all(axis=1),
}, index=lomia.index)
check.round(4)
"""),
    code("""
kept = check[check["keeps_argmax"]]
print(f"{len(kept)} defenses keep the arg-max; LOMIA's accuracy is identical to the undefended "
      f"model's under {int(kept['identical to undefended'].sum())} of them.")
print(f"Under 'label only' LOMIA scores {check.loc['label only', 'LOMIA accuracy, members']:.4f} "
      f"on the members, undefended {undefended['members']:.4f}.")
lomia_none = members[(members["defense"] == "none") & (members["attack"] == "LOMIA")].iloc[0]
print(f"LOMIA on the undefended model, members: {lomia_none['verdict']}")
"""),
    md("""
The defenses that may change the predicted class (Gaussian noise, reverse sigmoid with these
parameters) carry no such guarantee; LOMIA's accuracy may move under them, slightly, because a few
predicted labels flip. To stop a label-only attacker the *labels themselves* must change — which
costs accuracy — or the attacker must be kept from querying at scale.

## Query budgets

An attack needs many queries: one per candidate value per person attacked (here 2 per person,
Married / Single). `QueryBudget(model, max_rows=..., max_calls=...)` serves the model like a
metered API: a call that would exceed the quota is refused **before** it reaches the model, with a
`QueryBudgetExceeded` error. An attack that hits it re-raises the error with how far it got
(`records_completed` of `records_total`).

Here the API allows 2,500 rows; CSMIA tries to attack all 3,000 members (6,000 rows), sending
them in calls of at most 1,000 rows (`max_rows_per_call`).
"""),
    code("""
api = QueryBudget(model, max_rows=2500)
budgeted = ConfidenceInversion(api, SENSITIVE, method="csmia", max_rows_per_call=1000,
                               random_state=SEED).fit(X_aux, y_aux)
try:
    budgeted.attack(X_train, y_train)
except QueryBudgetExceeded as error:
    stopped = error
    print(error)
print()
print(f"records completed: {stopped.records_completed:,} of {stopped.records_total:,}")
print(f"rows served by the API: {api.rows_used_:,} in {api.calls_used_} calls "
      f"(limit {api.max_rows:,} rows)")
"""),
    md("""
**What a budget does and does not do.** A quota of `B` rows lets an attacker attack about
`B / k` people per period (`k` candidate values each); the error says exactly how many it managed.
It limits *scale* — useful against bulk inference over a whole training set — but not the attack
on any one person: a single record costs only `k` queries, and an attacker with several accounts
or patience resets the counter (`api.reset()` is the new period). Budgets complement output
defenses; they do not replace them.
"""),
    FACTS_INTRO,
    code(f"""
facts = {{
    "defenses": list(defenses),
    "lomia_members_none": float(undefended["members"]),
    "lomia_members_label_only": float(check.loc["label only", "LOMIA accuracy, members"]),
    "lomia_non_members_none": float(undefended["non-members"]),
    "lomia_non_members_label_only": float(check.loc["label only", "LOMIA accuracy, non-members"]),
    "argmax_defenses_lomia_identical": bool(kept["identical to undefended"].all()),
    "n_argmax_defenses": int(len(kept)),
    "csmia_advantage_none": float(adv.loc["none", "CSMIA"]),
    "csmia_advantage_label_only": float(adv.loc["label only", "CSMIA"]),
    "log_loss_none": float(utility.loc["none", "log_loss"]),
    "log_loss_coarsen": float(utility.loc["coarsen, 3 bins", "log_loss"]),
    "frontier_defenses": list(frontier_accuracy.loc[frontier_accuracy["on_frontier"], "defense"]),
    "budget_records_completed": int(stopped.records_completed),
    "budget_records_total": int(stopped.records_total),
    "budget_rows_used": int(api.rows_used_),
}}
print("{FACTS_MARKER}", json.dumps(facts))
"""),
]

# =============================================================================================
# 04 — DPIA
# =============================================================================================
DPIA = [
    md("""
# 4. A data-protection impact assessment, step by step: `tabinvert.assess`

**The situation.** A hospital has trained a model that predicts **heart disease** from routine
clinical measurements, and wants to publish it as a scoring service. The data-protection impact
assessment (DPIA; GDPR art. 35) must say whether the model's answers let someone infer
attributes of the patients it was trained on — here their **sex** and **age** — and what to do
about it.

**What we do.**
1. Train the model on the UCI Cleveland heart-disease data (303 patients).
2. Run the whole assessment with **one call**, `tabinvert.assess`: every attack that fits the
   model, on the training patients and on held-out ones, against the imputation baseline, per-
   record exposure, subgroups, and two candidate defenses.
3. Write the **self-contained HTML report** to a temporary folder, and go through it section by
   section.
4. Draft the paragraph that goes into the DPIA, **filled in from the results**.

Runtime: about ten seconds. With 303 patients every interval is wide: that is itself a finding
to record.
"""),
    code("""
import json
import re
import tempfile
import textwrap
from html import unescape
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline

from tabinvert import assess
from tabinvert.assessment import RISK_LEVELS
from tabinvert.datasets import load_heart
from tabinvert.defenses import LabelOnly, RoundProbabilities

SEED = 0
pd.set_option("display.width", 140)
pd.set_option("display.max_colwidth", 80)
"""),
    md("""
## The model

`load_heart()` returns 13 clinical measurements (age, sex, chest-pain type `cp`, resting blood
pressure, cholesterol, maximum heart rate, ...) and `num`, the angiographic diagnosis from 0 (no
disease) to 4; as usual we predict `num > 0`. Six cells are missing (`ca`, `thal`), so the model
imputes them first. Half of the patients train it; the other half is the **holdout**, which
`assess` splits in two: half for the attacker's auxiliary knowledge, half as the non-members.
"""),
    code("""
heart = load_heart()
X = heart.data
y = np.where(heart.target > 0, "disease", "no disease")
X_train, X_holdout, y_train, y_holdout = train_test_split(
    X, y, train_size=0.5, stratify=y, random_state=SEED)

model = make_pipeline(SimpleImputer(strategy="most_frequent"),
                      RandomForestClassifier(n_estimators=200, random_state=SEED))
model.fit(X_train, y_train)
print(f"training patients {len(X_train)}, holdout {len(X_holdout)}; "
      f"accuracy on the holdout {model.score(X_holdout, y_holdout):.3f}")
print("sensitive columns suggested by the dataset card:", heart.sensitive_names)
"""),
    md("""
## One call: `assess`

* `sensitive=["sex", "age"]` — the attributes to protect. `sex` is categorical (accuracy is the
  metric), `age` numeric (mean absolute error in years).
* `attacks="auto"` (the default) chooses the attacks that fit the model: MAP inversion, CSMIA,
  LOMIA (label-only, always) and, for categorical attributes, MAP with an imputation prior and
  — because this model is a pipeline ending in a random forest, whose trees an attacker holding
  the model file can read — the **white-box tree** attack. A model served behind a defense or a
  query budget is a black box: no white-box attack then.
* `defenses` — candidate output defenses to weigh in the same report.
* `group_by=["cp"]` — compare exposure across chest-pain types (the "distinctive" patients,
  whose known values are the rarest 10%, are always compared with the rest).
* `random_state` — seeds the auxiliary split, the attacks and the bootstrap: same inputs, same
  report.
"""),
    code("""
result = assess(
    model, X_train, y_train, X_holdout=X_holdout, y_holdout=y_holdout,
    sensitive=["sex", "age"],
    defenses={"round to 0.1": RoundProbabilities(decimals=1), "label only": LabelOnly()},
    group_by=["cp"], random_state=SEED, progress=print,
)
result
"""),
    md("""
## The HTML report

`result.to_html(path)` writes one self-contained file: inline styles, figures embedded as
images, no scripts and nothing fetched from the network, so it can be archived with the DPIA and
opened offline. We write it to a temporary folder (generated reports do not belong in the
repository); pass any path of your own to keep it. `result.to_json(path)` writes the same content
as data.
"""),
    code("""
report_dir = Path(tempfile.mkdtemp(prefix="tabinvert-dpia-"))
report_path = report_dir / "heart_disease_risk_report.html"
result.to_html(report_path)
result.to_json(report_dir / "heart_disease_risk_report.json")
html = report_path.read_text(encoding="utf-8")
print(f"wrote {report_path} ({report_path.stat().st_size / 1024:.0f} KiB)")
for section in ["Summary", "Threat model", "Results", "Figures", "Recommendations",
                "Reproducibility"]:
    print(f"  section {section!r}: {'present' if f'>{section}</h2>' in html else 'MISSING'}")
"""),
    md("""
## Reading the report, section by section

The report's sections follow the order below; each has a table on `result` you can inspect in
Python.

### 1. Summary — `result.summary`

One row per sensitive attribute: the **risk level** and one sentence. The level is decided by
the attack with the best lower confidence bound on the *training* patients:

* **none** — no attack's advantage over imputation has an interval above 0;
* **low / medium / high** — the interval is above 0 and the advantage is below 0.05 / from 0.05 /
  from 0.20 (the thresholds are `tabinvert.assessment.RISK_LEVELS`, printed below and in the
  report's reproducibility section).
"""),
    code("""
print("thresholds:", {level: threshold for threshold, level in RISK_LEVELS})
for row in result.summary.itertuples():
    print(f"\\n[{row.sensitive}: {row.risk_level}] {row.sentence}")
"""),
    md("""
### 2. Threat model — `result.threat_model`

What the attacker is assumed to know and do, in words. The DPIA should quote it: every number in
the report is conditional on it (an attacker who knows less does worse; one who also knows other
attributes may do better). Because a white-box attack was run, a second paragraph says what it
assumes: the attacker holds the model itself and reads its internals.
"""),
    code("""
print(result.threat_model)
"""),
    md("""
### 3. Results — `result.results`, `membership_gap`, `exposed_records`, `by_group`, `defenses`

* **Attack results**: every attack on the members and the non-members, its score, the imputation
  baseline's and the advantage with its 95% interval (for `age`, the score is the mean absolute
  error in years, and the advantage `1 − MAE_attack / MAE_imputation`).
* **Membership gap**: members' advantage minus non-members'. An interval above 0 means the attack
  exploits what the model **memorised** about its training patients.
"""),
    code("""
result.results[["sensitive", "attack", "population", "metric", "score", "baseline_score",
                "advantage", "advantage_ci_low", "advantage_ci_high"]].round(3)
"""),
    code("""
result.membership_gap.round(3)
"""),
    md("""
* **Most exposed records**: the training patients for whom the deciding attack was right where
  imputation was wrong, most exposed first. For a categorical attribute such as sex, "deciding"
  is among the attacks whose scores are probabilities: CSMIA's scores only rank the candidate
  values, so when CSMIA decides the risk the records are scored by the strongest of the others. Only their **index labels** (`record`) are listed
  — no feature values are copied into the report — so the data controller can look them up, and
  nobody else can. `exposure` is how much more the attack believes the true value than
  imputation does; for a numeric attribute such as age, the two "confidence" columns are minus
  the absolute error in units of the attribute's standard deviation.
* **Subgroups and disparity**: the same success rates per `cp` value and for "distinctive" vs
  "typical" patients. Groups under `min_group_size` (20) patients are shown but flagged
  unreliable and left out of the disparity.
"""),
    code("""
result.exposed_records.groupby("sensitive").head(3)
"""),
    code("""
result.by_group[["sensitive", "group", "value", "n_records", "attack_success",
                 "baseline_success", "advantage", "reliable"]].round(3)
"""),
    md("""
* **Defenses**: the privacy–utility sweep of the candidate defenses (see
  `03_defenses_tradeoff.ipynb`): each attack's advantage on the training patients under each
  defense, and the frontier. The sweep uses the seed of the results and fits the imputation
  baseline once for all defenses, so its `none` rows repeat the results table number for number
  (the cell after the tables checks it) and every defended row is compared with the very same
  baseline. White-box attacks are not in the sweep: an output defense does not change what they
  read. With 76 auxiliary patients the intervals are wide — read them, not the points.
"""),
    code("""
sweep_members = result.defenses[result.defenses["population"] == "members"]
sweep_members.pivot_table(index="defense", columns="attack", values="advantage",
                          sort=False).round(3)
"""),
    code("""
result.frontier.round(3)
"""),
    code("""
main = result.results.set_index(["sensitive", "attack", "population"])
sweep_none = result.defenses[result.defenses["defense"] == "none"]
compared = ["score", "baseline_score", "advantage", "advantage_ci_low", "advantage_ci_high"]
same = 0
for row in sweep_none.itertuples():
    attack = row.attack.removesuffix(f" [{row.sensitive}]")  # the sweep's name suffix
    expected = main.loc[(row.sensitive, attack, row.population)]
    same += all(getattr(row, column) == expected[column] for column in compared)
print(f"{same} of the sweep's {len(sweep_none)} undefended rows equal the results table")
for sensitive in result.summary["sensitive"]:
    in_results = main.loc[(sensitive, "imputation", "members"), "score"]
    in_sweep = sweep_none.loc[(sweep_none["sensitive"] == sensitive)
                              & (sweep_none["population"] == "members"), "baseline_score"]
    print(f"imputation baseline on the training patients, {sensitive}: {in_results:.3f} in the "
          f"results table, {in_sweep.iloc[0]:.3f} in the defense sweep")
"""),
    md("""
### 4. Figures and 5. Recommendations

The **figures** plot the advantages with their intervals and the privacy–utility trade-off (they
need matplotlib, the `report` extra; without it the report says so and is otherwise complete).
The **recommendations** are generated from the tables — about defenses, label-only attacks,
memorisation and subgroups — never written in advance. Here is their text, read back from the
HTML file:
"""),
    code("""
start = html.index('<section id="recommendations">')
section_html = html[start:html.index("</section>", start)]
items = re.findall(r"<li>(.*?)</li>", section_html, flags=re.S) or [section_html]
for item in items:
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split())
    print(textwrap.fill("• " + text, width=100, subsequent_indent="  "))
    print()
"""),
    md("""
### 6. Reproducibility — `result.metadata`

Package versions, the seed, SHA-256 hashes of the training, non-member and auxiliary data, the
model, the sizes and how the auxiliary data was chosen: everything needed to re-run the
assessment and get the same report.
"""),
    code("""
meta = result.metadata
print("seed:", meta["seed"], "| resamples:", meta["n_resamples"],
      "| confidence:", meta["confidence"])
print("sizes: train", meta["n_train"], "| non-members", meta["n_non_members"],
      "| auxiliary", meta["n_aux"])
print("auxiliary data:", meta["aux_source"])
print("training data sha256:", meta["data_sha256"]["train"][:16], "…")
print("versions:", {name: meta["versions"][name]
                    for name in ("tabinvert", "scikit-learn", "numpy", "pandas")})
"""),
    md("""
## What to write in the impact assessment

The DPIA needs a short, sourced statement per attribute: the threat model, the finding with its
uncertainty, whether it concerns the training patients specifically, and the decision taken. The
cell below fills a template from `result.summary`, `result.membership_gap` and `result.metadata`
— adapt the wording, but keep the numbers coming from the assessment rather than typed by hand,
so that the DPIA and the archived report cannot disagree.
"""),
    code("""
def dpia_paragraph(result, purpose):
    meta = result.metadata
    pct = int(round(meta["confidence"] * 100))
    white_box = result.results["attack"].str.contains("white-box").any()
    lines = [
        f"Attribute-inference risk of {purpose}. Assessed with tabinvert "
        f"{meta['versions']['tabinvert']} on {meta['created'][:10]} (seed {meta['seed']}, "
        f"{meta['n_resamples']} bootstrap resamples): {meta['n_train']} training records "
        f"attacked, {meta['n_non_members']} held-out records as a control, and "
        f"{meta['n_aux']} records given to the simulated attacker. Threat model: the attacker "
        "queries the model freely and knows, for each person, every other input and the "
        "person's true outcome, plus records of other people from the same population"
        + ("; the white-box attacks also read the model's internals, as if the model file "
           "were released" if white_box else "")
        + "; the full statement is in the attached report."]
    for row in result.summary.itertuples():
        if row.risk_level in ("none", "undetermined"):
            finding = (f"For '{row.sensitive}', no attack inferred the attribute of the training "
                       f"records measurably better than imputation from population statistics "
                       f"(best: {row.attack}, advantage {row.advantage:+.2f}, {pct}% CI "
                       f"{row.advantage_ci_low:+.2f} to {row.advantage_ci_high:+.2f}); "
                       f"risk level: {row.risk_level}.")
        else:
            gaps = result.membership_gap
            gap = gaps[(gaps["sensitive"] == row.sensitive) & (gaps["attack"] == row.attack)]
            memorised = len(gap) > 0 and gap["gap_ci_low"].iloc[0] > 0
            measure = {"accuracy": "an accuracy of", "mae": "a mean absolute error of"}.get(
                row.metric, row.metric)
            finding = (f"For '{row.sensitive}', the {row.attack} attack achieved {measure} "
                       f"{row.score:.2f} against {row.baseline_score:.2f} for imputation, an "
                       f"advantage of {row.advantage:+.2f} ({pct}% CI {row.advantage_ci_low:+.2f} "
                       f"to {row.advantage_ci_high:+.2f}); risk level: {row.risk_level}. "
                       + ("The attack works better on the training records than on held-out "
                          "ones: the model memorised them." if memorised else
                          "No significant difference between training and held-out records "
                          "was found."))
        lines.append(finding)
    lines.append("Decision and residual risk: [to be completed by the controller — e.g. the "
                 "defense adopted from the report's frontier, access controls, query limits, "
                 "retraining with more regularisation — and the date of the next assessment].")
    return "\\n\\n".join(lines)


paragraph = dpia_paragraph(result, "the heart-disease scoring model")
print(paragraph)
"""),
    md("""
**Before signing it off**, check three things in the report: (1) the threat model matches how
the model will really be exposed (a model behind a portal that shows only a yes/no decision is
exposed to label-only attacks, not to confidence attacks); (2) the intervals — with a few hundred
patients they are wide, and "no measurable leakage" is weaker evidence than on a large dataset;
(3) the members-vs-non-members gap, which separates a leak of *these patients'* data from what the
model reveals about anyone.
"""),
    FACTS_INTRO,
    code(f"""
facts = {{
    "report_path": str(report_path),
    "report_bytes": report_path.stat().st_size,
    "risk_levels": dict(zip(result.summary["sensitive"], result.summary["risk_level"])),
    "sensitive": list(result.summary["sensitive"]),
    "paragraph_chars": len(paragraph),
    "attacks": sorted(result.results["attack"].unique()),
}}
print("{FACTS_MARKER}", json.dumps(facts))
"""),
]

NOTEBOOKS = {
    "01_quickstart.ipynb": QUICKSTART,
    "02_warfarin_reproduction.ipynb": WARFARIN,
    "03_defenses_tradeoff.ipynb": DEFENSES,
    "04_dpia_walkthrough.ipynb": DPIA,
}


def build(name):
    nb = new_notebook(cells=[nbformat.from_dict(dict(cell)) for cell in NOTEBOOKS[name]])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python",
                                 "name": "python3"}
    nb.metadata["language_info"] = {"name": "python"}
    # Stable cell ids keep the diffs of a rebuild small.
    for k, cell in enumerate(nb.cells):
        cell["id"] = f"{Path(name).stem[:2]}-{k:02d}"
    nbformat.validate(nb)
    return nb


def execute(nb, timeout=600):
    from nbclient import NotebookClient

    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(HERE)}}, record_timing=False)
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--execute", action="store_true",
                        help="execute each notebook and store its outputs")
    parser.add_argument("only", nargs="*", help="substrings of the notebook names to build")
    args = parser.parse_args(argv)
    for name in NOTEBOOKS:
        if args.only and not any(part in name for part in args.only):
            continue
        nb = build(name)
        if args.execute:
            seconds = execute(nb)
            print(f"{name}: executed in {seconds:.1f} s", flush=True)
        nbformat.write(nb, HERE / name)
        print(f"wrote {HERE / name}", flush=True)


if __name__ == "__main__":
    sys.exit(main())

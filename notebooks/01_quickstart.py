# %% [markdown]
# # 1. Quickstart: does my model leak a sensitive attribute of the people it was trained on?
#
# **Who this is for.** A privacy engineer or data-protection officer who has a tabular model
# (here: an income classifier) and wants to know what an attacker can learn about the people in
# its training data from its answers.
#
# **What an attribute-inference attack is.** The attacker knows *part* of a person's record — say
# their age, job and hours worked, and the decision the model made about them — but not one
# *sensitive* attribute. It tries each possible value of that attribute, asks the model about each
# completed record, and keeps the value that best explains the model's answer.
#
# **What we will do, in five steps.**
# 1. Split the data into the three groups of people every assessment needs.
# 2. Train a model the usual scikit-learn way: a `Pipeline` on a raw `DataFrame`.
# 3. Run one attack, **CSMIA** (Mehnaz et al., USENIX Security 2022), which reads the model's
#    confidence.
# 4. Run the **imputation baseline** (Jayaraman & Evans, CCS 2022): the same attacker's guesses
#    *without* the model, from the population's statistics alone.
# 5. Compare the two with `evaluate_attacks`, on people the model was trained on and on people it
#    never saw, and read the advantage and its confidence interval.
#
# Runtime: about ten seconds. To keep it short we use a random **6,000 of the 48,842** people of
# the UCI Adult census data; every random step is seeded, so re-running gives the same numbers.

# %%
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

# %% [markdown]
# ## Step 1 — the data, and three groups of people
#
# `load_adult` reads the census table from the data home (the `TABINVERT_DATA` folder). The model
# predicts `income` (`<=50K` / `>50K`); the attribute the attacker wants is `sex`.
#
# We drop the `relationship` column: its values `Husband` and `Wife` state a person's sex outright,
# so with it in the data nobody would need the model to infer sex (try keeping it at the end — the
# imputation baseline then wins, which is the right answer).
#
# An honest assessment needs **three disjoint groups of people**:
#
# * **members** — the model's training records: the people whose privacy is at stake;
# * **auxiliary** — other people from the same population, *with* their sex and income: what the
#   attacker already knows (it learns which values exist and how they relate to the other
#   columns);
# * **non-members** — people the model never saw: the control group, what the attack does on
#   anyone, not because of training.

# %%
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

# %% [markdown]
# ## Step 2 — the target model
#
# A random forest behind a `ColumnTransformer` that one-hot encodes the text columns: the
# model takes the raw `DataFrame`, as it would in production. tabinvert's attacks call the
# `Pipeline`'s `predict_proba` / `predict` directly; nothing has to be encoded by hand.
#
# Random forests with fully grown trees tend to **memorise** their training records: compare the
# accuracy on the members with the accuracy on the non-members.

# %%
text_columns = [c for c in people.columns if not pd.api.types.is_numeric_dtype(people[c])]
model = Pipeline([
    ("encode", ColumnTransformer(
        [("onehot", OneHotEncoder(handle_unknown="ignore"), text_columns)],
        remainder="passthrough")),
    ("forest", RandomForestClassifier(n_estimators=100, random_state=SEED)),
]).fit(X_train, y_train)

print(f"accuracy on the members:     {model.score(X_train, y_train):.3f}")
print(f"accuracy on the non-members: {model.score(X_out, y_out):.3f}")

# %% [markdown]
# ## Step 3 — one attack: CSMIA
#
# `ConfidenceInversion(model, "sex", method="csmia")` is the confidence-score attack of Mehnaz et
# al. For every target person it builds one copy of the record per candidate value (`Female`,
# `Male`), asks the model for its probabilities, and:
#
# * if exactly one candidate makes the model predict the person's **true income**, guesses it;
# * if both do, guesses the one the model is **more confident** about;
# * if neither does, guesses the one the model is **less confident** about.
#
# What the attacker holds: the person's other columns and their true income (the decision), and
# the auxiliary records (`fit` learns the candidate values from them). The attack never looks at
# the target's `sex` column: it drops it before doing anything, so we can pass the full records and
# keep the truth for scoring.

# %%
attack = ConfidenceInversion(model, SENSITIVE, method="csmia", random_state=SEED)
attack.fit(X_aux, y_aux)
print("candidate values:", list(attack.candidates_))

first = X_train.head(8)
pd.DataFrame({
    "true sex": first[SENSITIVE],
    "income (known)": y_train.head(8),
    "CSMIA guess": attack.attack(first, y_train.head(8)),
})

# %% [markdown]
# ## Step 4 — the imputation baseline
#
# Many people's sex can be guessed from their other columns without any model (occupation,
# hours worked, income...). The **imputation baseline** is a classifier trained on the attacker's
# auxiliary records only, from the same known columns and the same label, that **never queries the
# model**. Whatever it gets right is population statistics, which anyone with similar data could
# infer; only what an attack gets right *beyond* it can be blamed on the model.
#
# By default it keeps its learner only when the learner beats "always guess the most common
# value" in cross-validation on the auxiliary records (`selection_` says which won).

# %%
baseline = ImputationBaseline(SENSITIVE, random_state=SEED).fit(X_aux, y_aux)
print("baseline chose:", baseline.selection_["chosen"], "| uses the label:", baseline.uses_label_)

members_truth = X_train[SENSITIVE]
csmia_right = (attack.attack(X_train, y_train) == members_truth).mean()
baseline_right = (baseline.attack(X_train, y_train) == members_truth).mean()
print(f"on the members, CSMIA is right for {csmia_right:.1%} of people, "
      f"the imputation baseline for {baseline_right:.1%}")

# %% [markdown]
# ## Step 5 — measure it properly: `evaluate_attacks`
#
# `evaluate_attacks` does steps 3 and 4 for every population at once, on the very same records,
# and adds the statistics:
#
# * **`score`** — the attack's accuracy, with a 95% (Wilson) interval
#   `score_ci_low`–`score_ci_high`;
# * **`baseline_score`** — the imputation baseline's accuracy on the same people;
# * **`advantage`** — `(accuracy_attack − accuracy_imputation) / (1 − accuracy_imputation)`: how
#   much of imputation's error the attack removes (1 = it gets everyone right, 0 = no better than
#   imputation, negative = worse), with a 95% **paired-bootstrap** interval
#   `advantage_ci_low`–`advantage_ci_high` (the same people are resampled for both);
# * **`verdict`** — the interval read out in words.
#
# The rows named `imputation` are the baseline itself.

# %%
table = evaluate_attacks(
    [ConfidenceInversion(model, SENSITIVE, method="csmia", random_state=SEED)],
    X_aux, y_aux,
    targets={"members": (X_train, y_train), "non-members": (X_out, y_out)},
    random_state=SEED,
)
table[["attack", "population", "score", "score_ci_low", "score_ci_high", "baseline_score",
       "advantage", "advantage_ci_low", "advantage_ci_high", "query_rows"]].round(3)

# %% [markdown]
# ### Reading the numbers out loud
#
# The cell below turns each CSMIA row into a sentence. How to read it:
#
# * **The interval decides, not the point estimate.** If the advantage's interval lies **above 0**,
#   the model lets the attacker infer sex better than population statistics do: that is leakage
#   *from the model*. If it **includes 0**, there is no measurable leakage on this sample. If it
#   lies **below 0**, the attack is misled by the model and an attacker would do better to ignore
#   it and impute.
# * **Members vs non-members.** The same attack on people the model never saw tells you whether
#   the leak is about the *training records* (the model memorised them — a risk to exactly the
#   people whose data you used) or about *anyone* (the model encodes a population correlation).

# %%
csmia = table[table["attack"] == "CSMIA"].set_index("population")
for population, row in csmia.iterrows():
    print(f"{population}: CSMIA infers sex correctly for {row.score:.1%} of {row.n_records:,} "
          f"people (95% CI {row.score_ci_low:.1%} to {row.score_ci_high:.1%}); imputation "
          f"without the model: {row.baseline_score:.1%}.")
    print(f"    {row.verdict}")
gap = csmia.loc["members", "advantage"] - csmia.loc["non-members", "advantage"]
print(f"members' advantage minus non-members': {gap:+.3f}")

# %% [markdown]
# In this run the members' interval lies above zero while the non-members' does not: the forest
# leaks the sex of **the people it was trained on**, through the confidence it has on records it
# memorised, and not of people in general. On people it never saw, its confidence is a poor guide
# and CSMIA does worse than imputation. That asymmetry is the signature of memorisation, and it is
# why an assessment must always attack both populations and always report the baseline: CSMIA's
# raw accuracy alone would look alarming (or reassuring) for the wrong reason.
#
# The picture below shows the same comparison: bars are accuracies with their 95% intervals.

# %%
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

# %% [markdown]
# ## Where to go next
#
# * **Other attacks.** `ConfidenceInversion(model, "sex")` (Fredrikson's MAP inversion),
#   `ConfidenceInversion(model, "sex", likelihood="confusion")` (labels only, FJRMIA) and
#   `LabelOnlyInversion(model, "sex")` (LOMIA) take the same place in the list given to
#   `evaluate_attacks`; an attacker uses whichever works best.
# * **Keep the `relationship` column** and re-run: `Husband` / `Wife` give away the sex of every
#   married person, the baseline gets much better, and CSMIA no longer beats it — the model then
#   adds nothing an analyst could not impute.
# * **The warfarin reproduction** (`02_warfarin_reproduction.ipynb`): the first model-inversion
#   attack, on a dosing model.
# * **Defenses** (`03_defenses_tradeoff.ipynb`): what rounding or hiding the probabilities buys.
# * **One call and a report** (`04_dpia_walkthrough.ipynb`): `tabinvert.assess` and the HTML report
#   for a data-protection impact assessment.

# %% [markdown]
# ### Machine-readable summary
#
# The test suite (`tests/notebooks/test_notebooks.py`) re-executes this notebook and checks the
# facts the text above relies on. They are printed as one JSON line after the marker
# `NOTEBOOK_FACTS`.

# %%
members, outsiders = csmia.loc["members"], csmia.loc["non-members"]
facts = {
    "n_members": int(members.n_records),
    "members_score": float(members.score),
    "members_baseline": float(members.baseline_score),
    "members_advantage": float(members.advantage),
    "members_advantage_ci": [float(members.advantage_ci_low), float(members.advantage_ci_high)],
    "non_members_advantage": float(outsiders.advantage),
    "non_members_advantage_ci": [float(outsiders.advantage_ci_low),
                                 float(outsiders.advantage_ci_high)],
}
print("NOTEBOOK_FACTS", json.dumps(facts))

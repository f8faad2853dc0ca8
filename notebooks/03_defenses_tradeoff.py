# %% [markdown]
# # 3. Defenses: what each one buys in privacy and costs in utility
#
# **The question.** If a model leaks, what can the operator change in what it *returns*? Round
# the probabilities, return only the top class, add noise...? And what does each change cost the
# model's legitimate users?
#
# **What we do.**
# 1. Train a target model on Adult, the protocol of Mehnaz et al. (USENIX Security 2022) used by
#    `benchmarks/bench_defenses.py`: predict `income`, the attacker infers `marital`
#    (Married / Single).
# 2. Put **every output defense** of `tabinvert.defenses` in front of it and run four attacks
#    against each, with `evaluate_defenses`.
# 3. Plot the **privacy–utility frontier**.
# 4. Show why **label-only attacks** (LOMIA) survive every defense that keeps the predicted label.
# 5. Show how a **query budget** stops an attack, and what its error says.
#
# Runtime: under a minute. The benchmark uses all 35,222 training rows; here the target model is
# trained on a random **3,000** of them, the attacker holds **1,000** of the 10,000 held-out rows
# and **1,500** others are the non-members (and the held-out set on which utility is measured).

# %%
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

# %%
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

# %% [markdown]
# ## The defenses, and what each promises
#
# Each defense is a scikit-learn transformer over the model's `(n, n_classes)` probability matrix.
# Two promises matter:
#
# * **`keeps_argmax`** — the predicted class never changes, so accuracy is untouched;
# * **`keeps_row_sums`** — what is returned still sums to 1 (a valid probability vector).
#
# `defense_guarantees(defense)` reads both (for a `Pipeline` of defenses too). The table also
# shows what each one returns for the same three people (the model's probabilities of `<=50K` and
# `>50K`), served through `DefendedClassifier`, which puts the defense in front of the model on
# every output path (`predict`, `predict_proba`, `score`).

# %%
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

# %% [markdown]
# ## The sweep: `evaluate_defenses`
#
# For each defense (and the undefended model, always the first row group), `evaluate_defenses`
# measures the model's **utility** on the non-members (accuracy, and the log-loss of the returned
# probabilities), then runs every attack on the members and the non-members against the
# imputation baseline, exactly as `evaluate_attacks` does. The same seeds are used for every
# defense, so rows differ only by the defense. The attacks:
#
# | attack | reads | paper |
# |---|---|---|
# | CSMIA | probabilities + true label | Mehnaz et al. 2022 |
# | MAP | probabilities + true label | Fredrikson et al. 2014/2015 |
# | MAP-confusion (FJRMIA) | predicted + true labels | Fredrikson et al. 2015, as in Mehnaz et al. |
# | LOMIA | predicted + true labels | Mehnaz et al. 2022 |

# %%
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

# %%
utility = sweep.drop_duplicates("defense").set_index("defense")[
    ["keeps_argmax", "utility", "utility_change", "log_loss"]]
utility.rename(columns={"utility": "accuracy", "utility_change": "accuracy change"}).round(3)

# %% [markdown]
# **How to read the two tables.** The first one is the privacy side: each attack's advantage over
# imputation on the training records (positive = the model leaks `marital` beyond population
# statistics). The second is the utility side: accuracy only moves for the defenses that may change
# the predicted class (noise, reverse sigmoid), while the **log-loss** — how useful the returned
# *probabilities* are, lower is better — shows the cost of the others: a client that uses the
# scores (to rank, to set its own threshold) loses most of them under "label only", "top-1" or a
# high threshold. The cell below reads out the confidence attacks and LOMIA for a few defenses.

# %%
adv = members.pivot_table(index="defense", columns="attack", values="advantage", sort=False)
for name in ["none", "round to 0.2", "label only", "reverse sigmoid β=1 γ=0.5"]:
    row = adv.loc[name]
    print(f"{name:>26}: CSMIA {row['CSMIA']:+.3f}, MAP {row['MAP']:+.3f}, "
          f"LOMIA {row['LOMIA']:+.3f}; log-loss {utility.loc[name, 'log_loss']:.3f}")

# %% [markdown]
# ## The privacy–utility frontier
#
# `privacy_utility_frontier(sweep)` summarises each defense by its **worst case**: the largest
# advantage of any attack on the members (an attacker picks the attack that works best). A defense
# is *on the frontier* when no other defense has at least its utility and at most its risk.
#
# Utility can be measured two ways, and the frontier depends on which matters to the model's users:
# **accuracy** (left), or the **log-loss** of the returned probabilities (right; we pass
# `utility = −log-loss` so that larger is better, as the function expects).

# %%
frontier_accuracy = privacy_utility_frontier(sweep)
frontier_logloss = privacy_utility_frontier(sweep.assign(utility=-sweep["log_loss"]))
frontier_accuracy.round(3)


# %%
def label_points(ax, xs, ys, names, x_span, y_span):
    """Write each point's name beside it; points that (nearly) coincide share one label."""
    groups = []
    for x, y, name in zip(xs, ys, names):
        for group in groups:
            if abs(group[0] - x) < 0.06 * x_span and abs(group[1] - y) < 0.06 * y_span:
                group[2].append(name)
                break
        else:
            groups.append([x, y, [name]])
    for x, y, group_names in groups:
        ax.annotate("\n".join(group_names), (x, y), xytext=(6, 0), textcoords="offset points",
                    fontsize=7, va="center")


fig, axes = plt.subplots(1, 2, figsize=(11, 4.4))
panels = [(axes[0], frontier_accuracy, 1, "accuracy on the non-members (higher is better)"),
          (axes[1], frontier_logloss, -1, "log-loss of the returned probabilities\n"
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

# %% [markdown]
# **Reading the plot.** Points further left leak less; points higher up serve users better; the
# dotted red line is "no advantage over imputation". On **accuracy** (left), every defense that
# keeps the predicted class costs nothing, so the frontier is made of the ones that bring the
# confidence attacks down furthest. On **log-loss** (right) the picture changes: "label only",
# "top-1" and the threshold throw the scores away and pay for it, while coarse bins can even
# *improve* the log-loss of an over-confident model. Which panel applies is a product decision:
# does anyone downstream use the scores?
#
# Note the floor: no defense that keeps the predicted class can bring the worst case below
# LOMIA's advantage on the undefended model. The next section shows why.
#
# ## Why label-only attacks survive arg-max-preserving defenses
#
# LOMIA (`LabelOnlyInversion`) only reads the **predicted class** for each candidate value. Every
# defense with `keeps_argmax=True` returns the same predicted class as the undefended model — by
# construction — so LOMIA's queries get exactly the same answers, and its result cannot change.
# This is why `evaluate_defenses` always adds a label-only attacker to the sweep: without it, a
# defense that merely hides the confidence would look like it solved a problem it cannot touch.

# %%
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

# %%
kept = check[check["keeps_argmax"]]
print(f"{len(kept)} defenses keep the arg-max; LOMIA's accuracy is identical to the undefended "
      f"model's under {int(kept['identical to undefended'].sum())} of them.")
print(f"Under 'label only' LOMIA scores {check.loc['label only', 'LOMIA accuracy, members']:.4f} "
      f"on the members, undefended {undefended['members']:.4f}.")
lomia_none = members[(members["defense"] == "none") & (members["attack"] == "LOMIA")].iloc[0]
print(f"LOMIA on the undefended model, members: {lomia_none['verdict']}")

# %% [markdown]
# The defenses that may change the predicted class (Gaussian noise, reverse sigmoid with these
# parameters) carry no such guarantee; LOMIA's accuracy may move under them, slightly, because a few
# predicted labels flip. To stop a label-only attacker the *labels themselves* must change — which
# costs accuracy — or the attacker must be kept from querying at scale.
#
# ## Query budgets
#
# An attack needs many queries: one per candidate value per person attacked (here 2 per person,
# Married / Single). `QueryBudget(model, max_rows=..., max_calls=...)` serves the model like a
# metered API: a call that would exceed the quota is refused **before** it reaches the model, with a
# `QueryBudgetExceeded` error. An attack that hits it re-raises the error with how far it got
# (`records_completed` of `records_total`).
#
# Here the API allows 2,500 rows; CSMIA tries to attack all 3,000 members (6,000 rows), sending
# them in calls of at most 1,000 rows (`max_rows_per_call`).

# %%
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

# %% [markdown]
# **What a budget does and does not do.** A quota of `B` rows lets an attacker attack about
# `B / k` people per period (`k` candidate values each); the error says exactly how many it managed.
# It limits *scale* — useful against bulk inference over a whole training set — but not the attack
# on any one person: a single record costs only `k` queries, and an attacker with several accounts
# or patience resets the counter (`api.reset()` is the new period). Budgets complement output
# defenses; they do not replace them.

# %% [markdown]
# ### Machine-readable summary
#
# The test suite (`tests/notebooks/test_notebooks.py`) re-executes this notebook and checks the
# facts the text above relies on. They are printed as one JSON line after the marker
# `NOTEBOOK_FACTS`.

# %%
facts = {
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
}
print("NOTEBOOK_FACTS", json.dumps(facts))

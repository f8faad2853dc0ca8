# %% [markdown]
# # 4. A data-protection impact assessment, step by step: `tabinvert.assess`
#
# **The situation.** A hospital has trained a model that predicts **heart disease** from routine
# clinical measurements, and wants to publish it as a scoring service. The data-protection impact
# assessment (DPIA; GDPR art. 35) must say whether the model's answers let someone infer
# attributes of the patients it was trained on — here their **sex** and **age** — and what to do
# about it.
#
# **What we do.**
# 1. Train the model on the UCI Cleveland heart-disease data (303 patients).
# 2. Run the whole assessment with **one call**, `tabinvert.assess`: every attack that fits the
#    model, on the training patients and on held-out ones, against the imputation baseline, per-
#    record exposure, subgroups, and two candidate defenses.
# 3. Write the **self-contained HTML report** to a temporary folder, and go through it section by
#    section.
# 4. Draft the paragraph that goes into the DPIA, **filled in from the results**.
#
# Runtime: about ten seconds. With 303 patients every interval is wide: that is itself a finding
# to record.

# %%
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

# %% [markdown]
# ## The model
#
# `load_heart()` returns 13 clinical measurements (age, sex, chest-pain type `cp`, resting blood
# pressure, cholesterol, maximum heart rate, ...) and `num`, the angiographic diagnosis from 0 (no
# disease) to 4; as usual we predict `num > 0`. Six cells are missing (`ca`, `thal`), so the model
# imputes them first. Half of the patients train it; the other half is the **holdout**, which
# `assess` splits in two: half for the attacker's auxiliary knowledge, half as the non-members.

# %%
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

# %% [markdown]
# ## One call: `assess`
#
# * `sensitive=["sex", "age"]` — the attributes to protect. `sex` is categorical (accuracy is the
#   metric), `age` numeric (mean absolute error in years).
# * `attacks="auto"` (the default) chooses the attacks that fit the model: MAP inversion, CSMIA,
#   LOMIA (label-only, always) and, for categorical attributes, MAP with an imputation prior and
#   — because this model is a pipeline ending in a random forest, whose trees an attacker holding
#   the model file can read — the **white-box tree** attack. A model served behind a defense or a
#   query budget is a black box: no white-box attack then.
# * `defenses` — candidate output defenses to weigh in the same report.
# * `group_by=["cp"]` — compare exposure across chest-pain types (the "distinctive" patients,
#   whose known values are the rarest 10%, are always compared with the rest).
# * `random_state` — seeds the auxiliary split, the attacks and the bootstrap: same inputs, same
#   report.

# %%
result = assess(
    model, X_train, y_train, X_holdout=X_holdout, y_holdout=y_holdout,
    sensitive=["sex", "age"],
    defenses={"round to 0.1": RoundProbabilities(decimals=1), "label only": LabelOnly()},
    group_by=["cp"], random_state=SEED, progress=print,
)
result

# %% [markdown]
# ## The HTML report
#
# `result.to_html(path)` writes one self-contained file: inline styles, figures embedded as
# images, no scripts and nothing fetched from the network, so it can be archived with the DPIA and
# opened offline. We write it to a temporary folder (generated reports do not belong in the
# repository); pass any path of your own to keep it. `result.to_json(path)` writes the same content
# as data.

# %%
report_dir = Path(tempfile.mkdtemp(prefix="tabinvert-dpia-"))
report_path = report_dir / "heart_disease_risk_report.html"
result.to_html(report_path)
result.to_json(report_dir / "heart_disease_risk_report.json")
html = report_path.read_text(encoding="utf-8")
print(f"wrote {report_path} ({report_path.stat().st_size / 1024:.0f} KiB)")
for section in ["Summary", "Threat model", "Results", "Figures", "Recommendations",
                "Reproducibility"]:
    print(f"  section {section!r}: {'present' if f'>{section}</h2>' in html else 'MISSING'}")

# %% [markdown]
# ## Reading the report, section by section
#
# The report's sections follow the order below; each has a table on `result` you can inspect in
# Python.
#
# ### 1. Summary — `result.summary`
#
# One row per sensitive attribute: the **risk level** and one sentence. The level is decided by
# the attack with the best lower confidence bound on the *training* patients:
#
# * **none** — no attack's advantage over imputation has an interval above 0;
# * **low / medium / high** — the interval is above 0 and the advantage is below 0.05 / from 0.05 /
#   from 0.20 (the thresholds are `tabinvert.assessment.RISK_LEVELS`, printed below and in the
#   report's reproducibility section).

# %%
print("thresholds:", {level: threshold for threshold, level in RISK_LEVELS})
for row in result.summary.itertuples():
    print(f"\n[{row.sensitive}: {row.risk_level}] {row.sentence}")

# %% [markdown]
# ### 2. Threat model — `result.threat_model`
#
# What the attacker is assumed to know and do, in words. The DPIA should quote it: every number in
# the report is conditional on it (an attacker who knows less does worse; one who also knows other
# attributes may do better). Because a white-box attack was run, a second paragraph says what it
# assumes: the attacker holds the model itself and reads its internals.

# %%
print(result.threat_model)

# %% [markdown]
# ### 3. Results — `result.results`, `membership_gap`, `exposed_records`, `by_group`, `defenses`
#
# * **Attack results**: every attack on the members and the non-members, its score, the imputation
#   baseline's and the advantage with its 95% interval (for `age`, the score is the mean absolute
#   error in years, and the advantage `1 − MAE_attack / MAE_imputation`).
# * **Membership gap**: members' advantage minus non-members'. An interval above 0 means the attack
#   exploits what the model **memorised** about its training patients.

# %%
result.results[["sensitive", "attack", "population", "metric", "score", "baseline_score",
                "advantage", "advantage_ci_low", "advantage_ci_high"]].round(3)

# %%
result.membership_gap.round(3)

# %% [markdown]
# * **Most exposed records**: the training patients for whom the deciding attack was right where
#   imputation was wrong, most exposed first. For a categorical attribute such as sex, "deciding"
#   is among the attacks whose scores are probabilities: CSMIA's scores only rank the candidate
#   values, so when CSMIA decides the risk the records are scored by the strongest of the
#   others. Only their **index labels** (`record`) are listed — no feature values are copied
#   into the report — so the data controller can look them up, and nobody else can. `exposure`
#   is how much more the attack believes the true value than imputation does; for a numeric
#   attribute such as age, the two "confidence" columns are minus the absolute error in units of
#   the attribute's standard deviation.
# * **Subgroups and disparity**: the same success rates per `cp` value and for "distinctive" vs
#   "typical" patients. Groups under `min_group_size` (20) patients are shown but flagged
#   unreliable and left out of the disparity.

# %%
result.exposed_records.groupby("sensitive").head(3)

# %%
result.by_group[["sensitive", "group", "value", "n_records", "attack_success",
                 "baseline_success", "advantage", "reliable"]].round(3)

# %% [markdown]
# * **Defenses**: the privacy–utility sweep of the candidate defenses (see
#   `03_defenses_tradeoff.ipynb`): each attack's advantage on the training patients under each
#   defense, and the frontier. The sweep uses the seed of the results and fits the imputation
#   baseline once for all defenses, so its `none` rows repeat the results table number for number
#   (the cell after the tables checks it) and every defended row is compared with the very same
#   baseline. White-box attacks are not in the sweep: an output defense does not change what they
#   read. With 76 auxiliary patients the intervals are wide — read them, not the points.

# %%
sweep_members = result.defenses[result.defenses["population"] == "members"]
sweep_members.pivot_table(index="defense", columns="attack", values="advantage",
                          sort=False).round(3)

# %%
result.frontier.round(3)

# %%
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

# %% [markdown]
# ### 4. Figures and 5. Recommendations
#
# The **figures** plot the advantages with their intervals and the privacy–utility trade-off (they
# need matplotlib, the `report` extra; without it the report says so and is otherwise complete).
# The **recommendations** are generated from the tables — about defenses, label-only attacks,
# memorisation and subgroups — never written in advance. Here is their text, read back from the
# HTML file:

# %%
start = html.index('<section id="recommendations">')
section_html = html[start:html.index("</section>", start)]
items = re.findall(r"<li>(.*?)</li>", section_html, flags=re.S) or [section_html]
for item in items:
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", item)).split())
    print(textwrap.fill("• " + text, width=100, subsequent_indent="  "))
    print()

# %% [markdown]
# ### 6. Reproducibility — `result.metadata`
#
# Package versions, the seed, SHA-256 hashes of the training, non-member and auxiliary data, the
# model, the sizes and how the auxiliary data was chosen: everything needed to re-run the
# assessment and get the same report.

# %%
meta = result.metadata
print("seed:", meta["seed"], "| resamples:", meta["n_resamples"],
      "| confidence:", meta["confidence"])
print("sizes: train", meta["n_train"], "| non-members", meta["n_non_members"],
      "| auxiliary", meta["n_aux"])
print("auxiliary data:", meta["aux_source"])
print("training data sha256:", meta["data_sha256"]["train"][:16], "…")
print("versions:", {name: meta["versions"][name]
                    for name in ("tabinvert", "scikit-learn", "numpy", "pandas")})


# %% [markdown]
# ## What to write in the impact assessment
#
# The DPIA needs a short, sourced statement per attribute: the threat model, the finding with its
# uncertainty, whether it concerns the training patients specifically, and the decision taken. The
# cell below fills a template from `result.summary`, `result.membership_gap` and `result.metadata`
# — adapt the wording, but keep the numbers coming from the assessment rather than typed by hand,
# so that the DPIA and the archived report cannot disagree.

# %%
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
    return "\n\n".join(lines)


paragraph = dpia_paragraph(result, "the heart-disease scoring model")
print(paragraph)

# %% [markdown]
# **Before signing it off**, check three things in the report: (1) the threat model matches how
# the model will really be exposed (a model behind a portal that shows only a yes/no decision is
# exposed to label-only attacks, not to confidence attacks); (2) the intervals — with a few hundred
# patients they are wide, and "no measurable leakage" is weaker evidence than on a large dataset;
# (3) the members-vs-non-members gap, which separates a leak of *these patients'* data from what the
# model reveals about anyone.

# %% [markdown]
# ### Machine-readable summary
#
# The test suite (`tests/notebooks/test_notebooks.py`) re-executes this notebook and checks the
# facts the text above relies on. They are printed as one JSON line after the marker
# `NOTEBOOK_FACTS`.

# %%
facts = {
    "report_path": str(report_path),
    "report_bytes": report_path.stat().st_size,
    "risk_levels": dict(zip(result.summary["sensitive"], result.summary["risk_level"])),
    "sensitive": list(result.summary["sensitive"]),
    "paragraph_chars": len(paragraph),
    "attacks": sorted(result.results["attack"].unique()),
}
print("NOTEBOOK_FACTS", json.dumps(facts))

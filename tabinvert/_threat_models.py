"""The threat models and risk levels that the assessment applies and the report states.

Both :mod:`tabinvert.assessment` and :mod:`tabinvert.report` read these texts; they live here
so that neither has to import the other for them (imports only point down).
"""

#: Risk levels by the best attack's advantage over imputation on the training records, when its
#: confidence interval lies above 0 (otherwise the level is "none").
RISK_LEVELS = ((0.20, "high"), (0.05, "medium"), (0.0, "low"))

THREAT_MODEL = (
    "The attacker can query the model as deployed (its probabilities, or only its labels for "
    "the label-only attack) as often as it likes. For each person attacked it knows every "
    "feature the model uses except the sensitive one, and the person's true label (the "
    "decision or diagnosis the model predicts). It also holds auxiliary records of other "
    "people from the same population, with their sensitive values and labels, from which it "
    "learns what values exist and how common they are. It does not know the training data. "
    "The same auxiliary records and labels are given to an imputation baseline that never "
    "queries the model; only what an attack infers beyond that baseline is blamed on the "
    "model. Members are the model's training records; non-members are held-out people of "
    "the same population: an attack that works equally on both exploits population "
    "statistics the model learned, one that works better on members exploits memorisation."
)

#: Added to the threat model when a white-box attack was run.
WHITE_BOX_THREAT_MODEL = (
    "White-box attacks (“white-box” in their name) assume more: the attacker holds the "
    "fitted model itself and reads its internals — for the white-box tree attack, the trees, "
    "the training mass in their leaves and any preprocessing steps of the pipeline — as when "
    "the model file is published, shared or leaked, not only served behind an interface. "
    "Their rows measure the risk of releasing the model; output defenses do not change what "
    "they read, so the defense sweep runs the black-box attacks only."
)

#: Access levels of white-box attacks (the fitted model itself, not its API); the assessment
#: and the report read an attack's declared ``access`` against these.
WHITE_BOX_ACCESS = frozenset({"model", "gradients"})

"""The attacks in plain words: what each display name means, and the paper it follows.

The keys are the attacks' display names (``attack.capabilities().name``, the ``attack`` column
of every results table), so that the demo and the report explain the names they show with the
same words. :func:`glossary_entries` also resolves the names built from a key: a white-box tree
attack with its settings in brackets, a joint attack ("joint MAP").
"""

from __future__ import annotations

_FREDRIKSON_2014 = 'Fredrikson et al., "Privacy in pharmacogenetics", USENIX Security 2014'
_FREDRIKSON_2015 = (
    'Fredrikson, Jha & Ristenpart, "Model inversion attacks that exploit confidence '
    'information", ACM CCS 2015'
)
_MEHNAZ_2022 = (
    'Mehnaz et al., "Are your sensitive attributes private? Novel model inversion attribute '
    'inference attacks on classification models", USENIX Security 2022'
)
_JAYARAMAN_2022 = (
    'Jayaraman & Evans, "Are attribute inference attacks just imputation?", ACM CCS 2022'
)

#: Display name → (what the attack does, in plain words; the paper it follows).
GLOSSARY = {
    "imputation": (
        "the baseline every attack is compared with. It guesses the hidden value from the "
        "attacker's own records of other people (their other features and labels) and never "
        "asks the model. What it gets right, the population's statistics give away, not the "
        "model; an attack's advantage is what it gets right beyond it.",
        _JAYARAMAN_2022,
    ),
    "MAP": (
        "maximum a posteriori inversion. It fills in each possible value of the hidden "
        "attribute, asks the model how confident it is in the person's true label with each, "
        "weighs that by how common each value is, and picks the most probable value.",
        _FREDRIKSON_2014,
    ),
    "MAP (imputation prior)": (
        "MAP that starts from imputation's guess for each person instead of how common each "
        "value is overall: it can only gain on imputation where the model's answers add "
        "something.",
        f"{_FREDRIKSON_2014}, with the baseline of {_JAYARAMAN_2022}",
    ),
    "MAP (uniform prior)": (
        "MAP that starts from every possible value being equally likely.",
        _FREDRIKSON_2014,
    ),
    "MAP-confusion (FJRMIA)": (
        "MAP for a model that shows only its decisions, not its confidence: how likely the "
        "person's label is with each value is read from how often the model gives each label "
        "to people of each label (its confusion matrix). FJRMIA, for Fredrikson, Jha and "
        "Ristenpart's model inversion attack, is the name Mehnaz et al. gave it.",
        _FREDRIKSON_2015,
    ),
    "CSMIA": (
        "the confidence-score model inversion attack. It fills in each possible value, keeps "
        "the values with which the model predicts the person's true label, and among those "
        "picks the one the model is most confident about.",
        _MEHNAZ_2022,
    ),
    "LOMIA": (
        "the label-only model inversion attack: it sees only the model's decisions. People for "
        "whom exactly one value reproduces their true label get that value, and an attack "
        "model learned from them guesses the others. When changing the value rarely changes "
        "the model's decision, too few people qualify and it falls back on imputation's guess, "
        "so it scores close to imputation.",
        _MEHNAZ_2022,
    ),
    "white-box tree": (
        "reads the trees in the model file itself, as someone holding a published, shared or "
        "leaked file can: for each possible value, which leaves the person's record reaches "
        "and how many training records of each label those leaves hold. It sends the model no "
        "query.",
        f"{_FREDRIKSON_2015}, generalised to forests and boosting",
    ),
    "learned": (
        "an attack model trained on the attacker's own records to predict the hidden value "
        "from the other features, the label and the model's answers for every possible value.",
        f"{_FREDRIKSON_2015}; the attribute-inference attack of IBM's Adversarial Robustness "
        "Toolbox",
    ),
    "learned (no label)": (
        "the learned attack without the person's true label: only the other features and the "
        "model's answers for every possible value.",
        f"{_FREDRIKSON_2015}; the attribute-inference attack of IBM's Adversarial Robustness "
        "Toolbox",
    ),
    "gradient MAP (white-box)": (
        "MAP computed from the model's own parameters (a linear model or a neural network in "
        "the model file): it follows the gradient to the value that best explains the "
        "person's label, without querying the model.",
        f"{_FREDRIKSON_2014}; {_FREDRIKSON_2015}",
    ),
    "reconstruction": (
        "recovers several unknown features of a person at once, by searching for the record "
        "that best explains the model's answer about them.",
        f"{_FREDRIKSON_2015} (its face-reconstruction attack, for tables)",
    ),
}

_JOINT = (
    "{base}, run for several hidden values at once (or with features the attacker lacks "
    "averaged over its own records).",
    f"{_FREDRIKSON_2014} (marginalisation)",
)


def glossary_entry(name):
    """``(plain words, reference)`` for one display name, or None for a name the glossary does
    not know (an attack of the user's own).

    A white-box tree attack with settings ("white-box tree (raw counts)") is explained as the
    white-box tree attack; a joint attack ("joint CSMIA") as its base attack run jointly.

    Examples
    --------
    >>> from tabinvert._glossary import glossary_entry
    >>> words, reference = glossary_entry("CSMIA")
    >>> reference.startswith("Mehnaz et al.")
    True
    >>> glossary_entry("white-box tree (raw counts)") == glossary_entry("white-box tree")
    True
    >>> glossary_entry("my own attack") is None
    True
    """
    if name in GLOSSARY:
        return GLOSSARY[name]
    if name.startswith("white-box tree ("):
        return GLOSSARY["white-box tree"]
    if name.startswith("joint "):
        base = glossary_entry(name[len("joint ") :])
        if base is not None:
            words = base[0].rstrip(".")
            return _JOINT[0].format(base=words[0].upper() + words[1:]), _JOINT[1]
    return None


def glossary_entries(names):
    """The glossary entries of ``names`` (display names, e.g. a results table's ``attack``
    column), each name once in the order given: a list of ``(name, plain words, reference)``.

    A name the glossary does not know is left out.

    Examples
    --------
    >>> from tabinvert._glossary import glossary_entries
    >>> [name for name, _, _ in glossary_entries(["imputation", "MAP", "MAP", "mine"])]
    ['imputation', 'MAP']
    """
    entries = []
    for name in dict.fromkeys(names):
        entry = glossary_entry(name)
        if entry is not None:
            entries.append((name, *entry))
    return entries

"""Loading a model file safely, and reading defenses from the command line."""

from __future__ import annotations

from pathlib import Path

#: Modules whose types a skops file may hold without being listed by the user: the libraries
#: whose models tabinvert assesses, and the containers they are built from.
TRUSTED_MODULE_PREFIXES = (
    "sklearn.", "numpy.", "scipy.", "xgboost.", "tabinvert.", "builtins.", "collections.",
    "_operator.", "pandas.",
)

PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")


def load_model(path, *, trust_pickle=False, trusted_types=()):
    """Load a fitted model from a skops file, or a pickle/joblib file when trusted.

    skops files are checked: every type they hold must come from scikit-learn, NumPy, SciPy,
    XGBoost, pandas or tabinvert, or be listed in ``trusted_types``; loading a pickle can run
    any code its author chose, so it needs ``trust_pickle=True``.

    Parameters
    ----------
    path : str or path-like
    trust_pickle : bool, default=False
    trusted_types : sequence of str, default=()
        Extra fully qualified type names to trust in a skops file.

    Returns
    -------
    model : object

    Examples
    --------
    >>> import pathlib, tempfile, joblib
    >>> from sklearn.dummy import DummyClassifier
    >>> from tabinvert._model_io import load_model
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "model.joblib"
    >>> _ = joblib.dump(DummyClassifier().fit([[0], [1]], [0, 1]), path)
    >>> load_model(path)
    Traceback (most recent call last):
    ...
    ValueError: ... is a pickle file, which can run arbitrary code when loaded...
    >>> type(load_model(path, trust_pickle=True)).__name__
    'DummyClassifier'
    """
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"Model file {str(path)!r} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".skops":
        return _load_skops(path, trusted_types)
    if suffix in PICKLE_SUFFIXES:
        if not trust_pickle:
            raise ValueError(
                f"{str(path)!r} is a pickle file, which can run arbitrary code when loaded. "
                "Pass --trust-pickle only if you made it or trust who did, or save the model "
                "with skops (skops.io.dump) instead.")
        import joblib

        try:
            return joblib.load(path)
        except Exception as exc:
            raise ValueError(f"Cannot read the model file {str(path)!r}: "
                             f"{type(exc).__name__}: {exc}") from exc
    raise ValueError(
        f"Cannot read the model file {str(path)!r}: expected a .skops file (or, with "
        f"--trust-pickle, {'/'.join(PICKLE_SUFFIXES)}).")


def _load_skops(path, trusted_types):
    try:
        import skops.io as sio
    except ImportError as exc:
        raise ValueError(
            "Reading .skops model files needs skops: pip install 'tabinvert[skops]'.") from exc
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except Exception as exc:
        raise ValueError(f"Cannot read the model file {str(path)!r}: "
                         f"{type(exc).__name__}: {exc}") from exc
    extra = set(trusted_types)
    refused = [t for t in untrusted if not t.startswith(TRUSTED_MODULE_PREFIXES) and t not in extra]
    if refused:
        raise ValueError(
            f"The model file {str(path)!r} holds types outside scikit-learn, NumPy, SciPy, "
            f"XGBoost and pandas: {', '.join(sorted(refused))}. If you trust them, pass "
            "--trust-type NAME for each.")
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:
        raise ValueError(f"Cannot read the model file {str(path)!r}: "
                         f"{type(exc).__name__}: {exc}") from exc


def _number(text, kind, spec):
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"--defense {spec!r}: {text!r} is not a valid {kind.__name__}.") from None


DEFENSE_SPECS = {
    "round": ("RoundProbabilities", "round:DECIMALS — round each probability (round:1)"),
    "round-step": ("RoundProbabilities", "round-step:STEP — onto a grid (round-step:0.05)"),
    "coarsen": ("CoarsenProbabilities", "coarsen:BINS — equal-width bins (coarsen:10)"),
    "top-k": ("TopK", "top-k:K — keep the K largest (top-k:1)"),
    "label-only": ("LabelOnly", "label-only — one-hot of the arg-max"),
    "threshold": ("ConfidenceThreshold", "threshold:CUTOFF — zero values under it"),
    "noise": ("GaussianNoise", "noise:SCALE — seeded per-record Gaussian noise"),
    "reverse-sigmoid": ("ReverseSigmoid", "reverse-sigmoid:BETA,GAMMA (reverse-sigmoid:1,0.1)"),
    "round-predictions": ("RoundPredictions", "round-predictions:STEP — a regressor's output"),
    "noise-predictions": ("NoisePredictions", "noise-predictions:SCALE — a regressor's output"),
}


def parse_defense(spec, random_state=None):
    """A defense from a command-line spec such as ``round:1`` or ``label-only``.

    Examples
    --------
    >>> from tabinvert._model_io import parse_defense
    >>> parse_defense("round:2")
    RoundProbabilities(decimals=2)
    >>> parse_defense("reverse-sigmoid:0.5,0.1")
    ReverseSigmoid(beta=0.5)
    """
    from . import defenses

    name, _, argument = spec.partition(":")
    if name not in DEFENSE_SPECS:
        raise ValueError(f"Unknown defense {spec!r}; use one of: "
                         + "; ".join(text for _, text in DEFENSE_SPECS.values()) + ".")
    cls = getattr(defenses, DEFENSE_SPECS[name][0])
    if name == "label-only":
        return cls()
    if not argument:
        raise ValueError(f"--defense {spec!r} needs a value: {DEFENSE_SPECS[name][1]}.")
    if name == "round":
        return cls(decimals=_number(argument, int, spec))
    if name == "round-step":
        return cls(step=_number(argument, float, spec))
    if name == "coarsen":
        return cls(n_bins=_number(argument, int, spec))
    if name == "top-k":
        return cls(k=_number(argument, int, spec))
    if name == "threshold":
        return cls(cutoff=_number(argument, float, spec))
    if name in ("noise", "noise-predictions"):
        return cls(scale=_number(argument, float, spec), random_state=random_state)
    if name == "reverse-sigmoid":
        parts = argument.split(",")
        if len(parts) != 2:
            raise ValueError(f"--defense {spec!r}: give BETA,GAMMA, e.g. reverse-sigmoid:1,0.1.")
        return cls(beta=_number(parts[0], float, spec), gamma=_number(parts[1], float, spec))
    return cls(step=_number(argument, float, spec))  # round-predictions

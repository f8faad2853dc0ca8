"""The ``tabinvert`` command: ``tabinvert assess`` (a model file and CSV data to a risk report),
``tabinvert demo`` (the same path on scikit-learn's bundled diabetes data, offline) and
``tabinvert monitor`` (a query log to the clients whose queries look like an attack).

Exit codes are unambiguous, so a CI pipeline can tell a leak from a mistake: 0 done, 1 only
for leakage above ``--fail-above`` (``assess``, ``demo``) or flagged clients with
``--fail-on-flag`` (``monitor``), 2 for input tabinvert refused (one ``tabinvert: error:``
line on stderr), 3 for an internal failure (one line naming the exception; ``--debug`` adds
the traceback), 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import math
import os
import re
import sys
import traceback
from pathlib import Path

from ._io import check_writable, neutralise_formulas, write_atomic
from ._progress import RunProgress, logger

EXIT_OK, EXIT_LEAKS, EXIT_BAD_INPUT, EXIT_INTERNAL = 0, 1, 2, 3
EXIT_SERVICE_FAILED = 4  # the model service at --endpoint failed after its retries
EXIT_INTERRUPTED = 130  # the shell's code for SIGINT (128 + 2)

#: Longest quotation of a user's value (a column name, a cell, a path) in a message: a CSV can
#: hold a 5 MB cell, and a message is read on one terminal line.
SHOWN_CHARS = 200
#: Longest line printed on stderr, whatever the exception's own message holds.
MESSAGE_CHARS = 1_000
#: Column names listed in a message.
LISTED_COLUMNS = 20

EXIT_CODES_HELP = (
    "Exit codes: 0 done; 1 only when leakage is above --fail-above; 2 bad input (the inputs "
    "were refused: one 'tabinvert: error:' line on stderr); 3 internal failure (one line "
    "naming the exception; --debug prints the traceback); 4 the model service at --endpoint "
    "failed after its retries (no report is written); 130 interrupted."
)

PICKLE_HELP = (
    "allow loading a pickle/joblib model file. Unpickling runs whatever code the file's author "
    "put in it, so only use this for files you made or fully trust; prefer skops files "
    "(skops.io.dump), which are checked type by type"
)

LOADING_HELP = (
    "Model files: a model file is read as data and may come from anyone. A .skops file loads "
    "only if every type in it is a known model type of scikit-learn, NumPy, SciPy, XGBoost, "
    "LightGBM, CatBoost or tabinvert, and it holds no callable (a function, builtin, "
    "functools.partial, operator object, or a FunctionTransformer's func), since a callable "
    "in a model runs when the model predicts; --trust-type NAME admits one such type or "
    "callable by its exact name. The node indices of tree models are checked before use. A "
    "pickle/joblib file can run any code when loaded: it needs --trust-pickle."
)

DEBUG_HELP = "on an error, also print the traceback (the exit code stays the same)"

MONITOR_EXIT_CODES_HELP = (
    "Exit codes: 0 done (flagged clients or not); 1 only with --fail-on-flag when a client is "
    "flagged; 2 bad input (one 'tabinvert: error:' line on stderr); 3 internal failure; 130 "
    "interrupted."
)

# Control characters (escape sequences included) would let a column name rewrite the terminal.
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class _UsageError(Exception):
    """A command line argparse refused; reported as bad input, on one line."""


class _Parser(argparse.ArgumentParser):
    """An argparse parser whose errors reach :func:`main` instead of exiting with a usage
    block, so that every refusal is the same one ``tabinvert: error:`` line."""

    def error(self, message):
        raise _UsageError(f"{message} (see '{self.prog} --help')")


def _shown(value, limit=SHOWN_CHARS):
    """``value`` quoted for a message, cut to ``limit`` characters.

    Examples
    --------
    >>> from tabinvert.cli import _shown
    >>> _shown("risk")
    "'risk'"
    >>> _shown("x" * 5_000_000, limit=3)
    "'xxx'… (5,000,000 characters)"
    """
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def _column_list(columns):
    """The first columns' names, quoted and cut, for a message."""
    columns = list(columns)
    listed = ", ".join(_shown(c, limit=60) for c in columns[:LISTED_COLUMNS])
    more = len(columns) - LISTED_COLUMNS
    return listed + (f" and {more:,} more" if more > 0 else "")


def _one_line(text, limit=MESSAGE_CHARS):
    """``text`` as one printable line of at most ``limit`` characters (plus the cut's note).

    Examples
    --------
    >>> from tabinvert.cli import _one_line
    >>> _one_line("two\\nlines \\x1b[31mred")
    'two lines \\\\x1b[31mred'
    >>> _one_line("y" * 50, limit=10)
    'yyyyyyyyyy… (cut at 10 of 50 characters)'
    """
    line = " ".join(str(text).split())
    line = _CONTROL_CHARACTERS.sub(lambda match: f"\\x{ord(match.group()):02x}", line)
    if len(line) > limit:
        line = f"{line[:limit]}… (cut at {limit:,} of {len(line):,} characters)"
    return line


def _progress(message):
    """A stage of the command, to the "tabinvert" logger (stderr unless --quiet)."""
    logger.info(_one_line(message))


@contextlib.contextmanager
def _logging_to_stderr(args):
    """The "tabinvert" logger's messages on stderr while a command runs: stages (INFO) by
    default, every step too with --verbose (DEBUG), warnings only with --quiet."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("tabinvert: %(message)s"))
    level = (
        logging.WARNING
        if getattr(args, "quiet", False)
        else logging.DEBUG
        if getattr(args, "verbose", False)
        else logging.INFO
    )
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(level)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def _same_file(path, other):
    """Whether two paths are one file: the same after resolving links, or hard links."""
    if os.path.realpath(path) == os.path.realpath(other):
        return True
    try:
        return os.path.samefile(path, other)
    except OSError:  # one of them does not exist (yet): not the same file
        return False


def _check_outputs(outputs, inputs):
    """Refuse, before any work, output paths that are inputs, each other, or unwritable.

    Parameters
    ----------
    outputs, inputs : dict
        Option name (``"--out"``) to the path the user gave, or None when not given.
    """
    outputs = {option: path for option, path in outputs.items() if path is not None}
    inputs = {option: path for option, path in inputs.items() if path is not None}
    checked = {}
    for option, path in outputs.items():
        if not str(path).strip():
            raise ValueError(f"{option} is empty: give the path of the file to write.")
        for other, other_path in inputs.items():
            if _same_file(path, other_path):
                raise ValueError(
                    f"{option} {_shown(path)} is the {other} file: writing there would "
                    "overwrite your input. Choose another output path."
                )
        for other, other_path in checked.items():
            if _same_file(path, other_path):
                raise ValueError(
                    f"{option} {_shown(path)} is also the {other} file: one "
                    "output would overwrite the other. Give two different paths."
                )
        try:
            check_writable(path)
        except OSError as exc:
            raise ValueError(f"Cannot write {option} {_shown(path)}: {exc.strerror}.") from exc
        checked[option] = path


def _first_repeated(names):
    """The first name that occurs twice in ``names``, or None."""
    seen = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return None


def _check_distinct(option, names):
    repeated = _first_repeated(names)
    if repeated is not None:
        raise ValueError(f"{option} names {_shown(repeated)} more than once.")


def _read_csv(path, what):
    """A CSV file as a DataFrame, refused with one clear sentence when it cannot be used."""
    import pandas as pd

    shown = _shown(path)
    try:
        frame = pd.read_csv(path)
        # pandas renames a repeated column "x" to "x.1": read the header as written.
        header = pd.read_csv(path, header=None, nrows=1, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ValueError(f"The {what} file {shown} does not exist.") from None
    except IsADirectoryError:
        raise ValueError(f"The {what} file {shown} is a folder, not a CSV file.") from None
    except UnicodeDecodeError as exc:
        raise ValueError(
            f"The {what} file {shown} is not UTF-8 text (byte {exc.object[exc.start]:#04x} "
            f"cannot be decoded): save it as UTF-8 CSV."
        ) from None
    except pd.errors.EmptyDataError:
        raise ValueError(f"The {what} file {shown} is empty: it has no header line.") from None
    except Exception as exc:
        raise ValueError(
            f"Cannot read the {what} file {shown} as CSV: {type(exc).__name__}: {exc}"
        ) from exc
    # Unnamed columns (a saved index, say) may repeat: pandas numbers them and nobody names them.
    repeated = _first_repeated(name for name in header.iloc[0] if name)
    if repeated is not None:
        raise ValueError(
            f"The {what} file {shown} has the column {_shown(repeated)} more than "
            "once: give every column its own name."
        )
    if frame.empty:
        raise ValueError(f"The {what} file {shown} has no records: only a header line.")
    return frame


def _split_target(frame, target, what, path):
    if target not in frame.columns:
        raise ValueError(
            f"The target column {_shown(target)} is not in the {what} file {_shown(path)} "
            f"(columns: {_column_list(frame.columns)}). Pass --target with the label's "
            "column name."
        )
    return frame.drop(columns=[target]), frame[target].to_numpy()


def _model_columns(model, frame, what):
    """The columns the model takes, checked against a CSV's columns."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return frame
    names = [str(n) for n in names]
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise ValueError(
            f"The {what} data lacks column(s) the model needs: {_column_list(missing)}."
        )
    return frame[names]


def run_assessment(
    model,
    X_train,
    y_train,
    *,
    sensitive,
    X_holdout=None,
    y_holdout=None,
    X_aux=None,
    y_aux=None,
    defenses=(),
    group_by=None,
    attacks="auto",
    out=None,
    json_out=None,
    fail_above=None,
    random_state=0,
    n_jobs=None,
    n_resamples=1000,
    stream=None,
    access="both",
    candidates=None,
    quiet=False,
    aux_sizes=None,
    context=None,
    pdf=None,
    dp_epsilons=None,
    explainer=None,
    explainer_defenses=None,
):
    """Assess, print the summary, write the outputs; the shared path of ``assess`` and ``demo``.

    ``out`` is written as JSON (``.json``), CSV (``.csv``: the results table, its text cells
    passed through :func:`~tabinvert._io.neutralise_formulas` so that a spreadsheet cannot run
    them), PDF (``.pdf``, printed by headless Chromium) or HTML (any other suffix);
    ``json_out`` as JSON; ``pdf`` as PDF. ``context`` is :func:`~tabinvert.assess`'s.

    Returns the :class:`~tabinvert.assessment.Assessment` and the exit code (1 when the best
    attack's advantage on the training records is above ``fail_above`` with its whole
    interval).
    """
    from ._demo import format_table
    from .assessment import assess

    stream = stream or sys.stdout
    for column in [*sensitive, *(group_by or [])]:
        if column not in X_train.columns:
            raise ValueError(
                f"The column {_shown(column)} is not in the training data (columns: "
                f"{_column_list(X_train.columns)})."
            )
    result = assess(
        model,
        X_train,
        y_train,
        X_holdout=X_holdout,
        y_holdout=y_holdout,
        sensitive=sensitive,
        X_aux=X_aux,
        y_aux=y_aux,
        attacks=attacks,
        defenses=list(defenses) or None,
        group_by=group_by,
        n_jobs=n_jobs,
        n_resamples=n_resamples,
        random_state=random_state,
        progress=RunProgress(bar=not quiet),
        access=access,
        candidates=_typed_candidates(candidates, X_train),
        aux_sizes=aux_sizes,
        context=context,
        dp_epsilons=dp_epsilons,
        explainer=explainer,
        explainer_defenses=explainer_defenses,
    )
    for row in result.summary.itertuples():
        print(f"{row.sensitive}: risk {row.risk_level.upper()}. {row.sentence}", file=stream)
        if access == "both":
            print(
                f"  API access: {row.risk_level_api}; model-file access: "
                f"{row.risk_level_model_file}",
                file=stream,
            )
    for sensitive_name, table in result.results.groupby("sensitive", sort=False):
        print(f"\nsensitive attribute {sensitive_name!r}:", file=stream)
        print(format_table(table), file=stream)
    notes = dict.fromkeys(n for n in result.results["notes"] if n)
    for note in notes:
        print(f"\nnote: {note}", file=stream)
    if out is not None:
        suffix = Path(out).suffix.lower()
        if suffix == ".json":
            result.to_json(out)
        elif suffix == ".csv":
            write_atomic(out, neutralise_formulas(result.to_frame()).to_csv(index=False))
        elif suffix == ".pdf":
            result.to_pdf(out)
        else:
            result.to_html(out)
        print(f"\nwrote {out}", file=stream)
    if json_out is not None:
        result.to_json(json_out)
        print(f"wrote {json_out}", file=stream)
    if pdf is not None:
        result.to_pdf(pdf)
        print(f"wrote {pdf}", file=stream)
    code = EXIT_OK
    if fail_above is not None:
        worst = result.summary["advantage_ci_low"].astype(float).max()
        if not math.isnan(worst) and worst > fail_above:
            _progress(
                f"leakage above --fail-above {fail_above}: the best attack's advantage "
                f"is at least {worst:.3f} (lower end of its interval)"
            )
            code = EXIT_LEAKS
    return result, code


def _check_columns_named(args):
    """Refuse --sensitive / --group-by columns that cannot be, before reading any file."""
    _check_distinct("--sensitive", args.sensitive)
    _check_distinct("--group-by", args.group_by or [])
    for column in args.sensitive:
        if column == args.target:
            raise ValueError(
                f"The sensitive column {_shown(column)} is the target (label) column given by "
                "--target, not a feature: a sensitive attribute must be one of the model's "
                "feature columns."
            )
    for column in args.group_by or []:
        if column == args.target:
            raise ValueError(
                f"The --group-by column {_shown(column)} is the target (label) column given by "
                "--target: group by one of the model's feature columns."
            )


def _check_in_training_file(X_train, model_columns, args):
    """Each named column is in the training file and is one of the model's features."""
    for option, columns in (("sensitive", args.sensitive), ("--group-by", args.group_by or [])):
        for column in columns:
            if column not in X_train.columns:
                raise ValueError(
                    f"The {option} column {_shown(column)} is not in the training file "
                    f"{_shown(args.train)} (columns: {_column_list(X_train.columns)})."
                )
            if column not in model_columns:
                raise ValueError(
                    f"The {option} column {_shown(column)} is in the training file but is not "
                    f"one of the model's input features ({_column_list(model_columns)}): the "
                    "attacks infer a value the model takes."
                )


def _assess(args):
    from ._model_io import load_model, parse_defense

    # Everything that can be refused without reading a file is refused first, before the
    # model is loaded or anything is computed.
    inputs = {
        "--model": args.model,  # None with --endpoint
        "--train": args.train,
        "--holdout": args.holdout,
        "--aux": args.aux,
    }
    if args.out is None and args.pdf is None:
        raise ValueError("Give the report's file: --out report.html, or --pdf report.pdf.")
    _check_outputs({"--out": args.out, "--json": args.json, "--pdf": args.pdf}, inputs)
    if args.pdf is not None or Path(args.out or "").suffix.lower() == ".pdf":
        from .report._pdf import require_chromium

        require_chromium()  # refused now, not after the assessment has run
    if args.holdout is None and args.aux is None:
        raise ValueError(
            "Give the attacker auxiliary data: --holdout test.csv (a share of it "
            "becomes the attacker's) or --aux aux.csv."
        )
    if args.holdout is not None and _same_file(args.holdout, args.train):
        raise ValueError(
            f"--holdout {_shown(args.holdout)} is the --train file: held-out "
            "records must be records the model was not trained on."
        )
    _check_columns_named(args)
    defenses = [parse_defense(spec, random_state=args.random_state) for spec in args.defense]
    _check_endpoint_options(args)
    if args.endpoint is None:
        _progress(f"loading the model {args.model}")
        model = load_model(
            args.model, trust_pickle=args.trust_pickle, trusted_types=args.trust_type
        )
        if not hasattr(model, "predict"):
            raise ValueError(
                f"The object in {_shown(args.model)} ({type(model).__name__}) is not "
                "a model: it has no predict()."
            )
    context = _context_options(args.context, args.model)  # with the model file's hash
    X_train, y_train = _split_target(
        _read_csv(args.train, "training"), args.target, "training", args.train
    )
    if args.endpoint is not None:
        model = _remote_model(args, X_train, y_train)
    model_X_train = _model_columns(model, X_train, "training")
    _check_in_training_file(X_train, model_X_train.columns, args)
    X_train = model_X_train
    X_holdout = y_holdout = X_aux = y_aux = None
    if args.holdout is not None:
        X_holdout, y_holdout = _split_target(
            _read_csv(args.holdout, "holdout"), args.target, "holdout", args.holdout
        )
        X_holdout = _model_columns(model, X_holdout, "holdout")
    if args.aux is not None:
        X_aux, y_aux = _split_target(
            _read_csv(args.aux, "auxiliary"), args.target, "auxiliary", args.aux
        )
        X_aux = _model_columns(model, X_aux, "auxiliary")
    explainer = _explainer(args.explanations, model, X_train, args) if args.explanations else None
    explainer_defenses = _explanation_defenses(args.explanation_defense, explainer, args)
    _progress(f"assessing {len(X_train):,} training records, sensitive {', '.join(args.sensitive)}")
    _, code = run_assessment(
        model,
        X_train,
        y_train,
        sensitive=args.sensitive,
        X_holdout=X_holdout,
        y_holdout=y_holdout,
        X_aux=X_aux,
        y_aux=y_aux,
        defenses=defenses,
        group_by=args.group_by,
        out=args.out,
        json_out=args.json,
        fail_above=args.fail_above,
        random_state=args.random_state,
        n_jobs=args.n_jobs,
        n_resamples=args.n_resamples,
        access=args.access,
        candidates=_candidate_options(args.candidates),
        quiet=args.quiet,
        aux_sizes=args.aux_sizes,
        context=context,
        pdf=args.pdf,
        dp_epsilons=args.dp_epsilons,
        explainer=explainer,
        explainer_defenses=explainer_defenses,
    )
    return code


#: Defaults of the endpoint options, which argparse sets too (a default is not "given").
ENDPOINT_DEFAULTS = {
    "protocol": "v2",
    "batch_size": 1000,
    "concurrency": 4,
    "timeout": 30.0,
    "retries": 5,
}

#: The options that only describe a model service, and only go with --endpoint.
ENDPOINT_OPTIONS = (
    "protocol",
    "model_name",
    "model_version",
    "classes",
    "regression",
    "labels_only",
    "token_env",
    "header_env",
    "request_template",
    "response_path",
    "batch_size",
    "concurrency",
    "timeout",
    "retries",
)


def _explanations_spec(text):
    """--explanations KIND: ("contributions" | "shap" | "reasons", k)."""
    kind, _, k = text.partition(":")
    if kind in ("contributions", "shap") and not k:
        return kind, None
    if kind == "reasons":
        try:
            count = int(k or 3)
        except ValueError:
            count = 0
        if count >= 1:
            return kind, count
    raise argparse.ArgumentTypeError(
        f"expected contributions, shap or reasons:K (K a whole number ≥ 1), got {_shown(text)}"
    )


def _explanation_defense_spec(text):
    """--explanation-defense SPEC: (kind, number or None)."""
    kind, _, value = text.partition(":")
    numbers = {"top-k": int, "round": int, "round-step": float, "noise": float}
    if kind == "drop" and not value:
        return kind, None
    if kind in numbers:
        try:
            number = numbers[kind](value)
        except ValueError:
            number = None
        if number is not None and math.isfinite(number) and number >= (1 if kind == "top-k" else 0):
            if not (kind in ("round-step", "noise") and number == 0):
                return kind, number
    raise argparse.ArgumentTypeError(
        f"expected top-k:K, round:DECIMALS, round-step:STEP, drop or noise:SCALE, got "
        f"{_shown(text)}"
    )


def _explanation_defenses(specs, explainer, args):
    """The defended explainers --explanation-defense describes, around ``explainer``."""
    from .explain import DropContribution, NoisyContributions, RoundContributions, TopKContributions

    if specs and explainer is None:
        raise ValueError("--explanation-defense defends the explanations: it needs --explanations.")
    made = {
        "top-k": lambda k: TopKContributions(explainer, k=k),
        "round": lambda d: RoundContributions(explainer, decimals=d),
        "round-step": lambda step: RoundContributions(explainer, step=step),
        "drop": lambda _: DropContribution(explainer, list(args.sensitive)),
        "noise": lambda scale: NoisyContributions(
            explainer, scale=scale, random_state=args.random_state
        ),
    }
    return [made[kind](value) for kind, value in specs]


#: Records the shap explainer is given as its background (sampled from the training file).
SHAP_BACKGROUND = 100


def _explainer(spec, model, X_train, args):
    """The explainer --explanations describes, around the model, checked on two records."""
    from .explain import LinearContributions, ReasonCodes, ShapExplainer, TreeContributions

    if args.endpoint is not None:
        raise ValueError(
            "--explanations computes the explanations from the model itself: it goes with "
            "--model (a model service's own explanations are not queried)."
        )
    kind, k = spec
    if kind == "shap":
        background = X_train.sample(
            n=min(SHAP_BACKGROUND, len(X_train)), random_state=args.random_state
        )
        explainer = ShapExplainer(model, background)
    else:
        explainer = None
        for make in (
            lambda: TreeContributions(model),
            lambda: LinearContributions(model).fit(X_train),
        ):
            try:
                candidate = make()
                candidate.explain(X_train.iloc[:2])
            except (TypeError, ValueError):
                continue
            explainer = candidate
            break
        if explainer is None:
            raise ValueError(
                f"--explanations {kind}: the model ({type(model).__name__}) is neither an "
                "XGBoost or LightGBM model (exact TreeSHAP) nor a linear one, possibly in a "
                'Pipeline; use --explanations shap (pip install "tabinvert[shap]").'
            )
        if kind == "reasons":
            explainer = ReasonCodes(explainer, k=k, values="signs")
    explainer.explain(X_train.iloc[:2])  # refused now, not after the attacks ran
    return explainer


def _check_endpoint_options(args):
    """--endpoint's options without --endpoint, or with a model file's options, are refused."""
    if args.endpoint is None:
        given = [
            name
            for name in ENDPOINT_OPTIONS
            if getattr(args, name) not in (None, False, [], ENDPOINT_DEFAULTS.get(name))
        ]
        if given:
            option = "--" + given[0].replace("_", "-")
            raise ValueError(f"{option} describes a model service: it goes with --endpoint URL.")
        return
    if args.trust_pickle or args.trust_type:
        raise ValueError(
            "--trust-pickle and --trust-type are about a model file: with --endpoint no model "
            "file is loaded; leave them out."
        )
    if args.regression and (args.classes or args.labels_only):
        raise ValueError("--regression takes no --classes or --labels-only (a regressor has none).")


def _header_from_env(spec):
    name, sep, variable = spec.partition("=")
    if not sep or not name.strip() or not variable.strip():
        raise ValueError(
            f"--header-env {_shown(spec)} must be NAME=VARIABLE, e.g. --header-env "
            "X-Api-Key=MODEL_API_KEY (the header's value is read from the environment "
            "variable, so no secret is typed on the command line)."
        )
    value = os.environ.get(variable.strip())
    if not value:
        raise ValueError(
            f"--header-env {_shown(spec)}: the environment variable {variable.strip()!r} is "
            "not set; export it with the header's value."
        )
    return name.strip(), value


def _remote_model(args, X_train, y_train):
    """The model service at --endpoint, wrapped as a fitted model taking the training file's
    columns; its readiness is checked before anything is computed."""
    import json

    import numpy as np

    from .models import RemoteClassifier, RemoteRegressor

    template = None
    if args.request_template is not None:
        try:
            template = json.loads(Path(args.request_template).read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(
                f"--request-template {_shown(args.request_template)} is not JSON: {exc}."
            ) from None
    headers = dict(_header_from_env(spec) for spec in args.header_env) or None
    options = {
        "protocol": args.protocol,
        "model_name": args.model_name,
        "model_version": args.model_version,
        "feature_names": [str(c) for c in X_train.columns],
        "request_template": template,
        "response_path": args.response_path,
        "batch_size": args.batch_size,
        "max_concurrency": args.concurrency,
        "timeout": args.timeout,
        "max_retries": args.retries,
        "headers": headers,
        "token_env": args.token_env,
    }
    if args.regression:
        model = RemoteRegressor(args.endpoint, **options)
    else:
        if args.classes:
            classes = _typed_classes(args.classes, y_train)
        else:  # scikit-learn's order: the sorted labels of the training file
            classes = np.unique(np.asarray(y_train))
        model = RemoteClassifier(
            args.endpoint,
            classes=classes,
            response="labels" if args.labels_only else "probabilities",
            **options,
        )
    _progress(f"checking the model service at {model.endpoint_record()['url']}")
    return model.check_ready()


def _typed_classes(text, y_train):
    """--classes A,B,... typed like the training file's labels (numbers stay numbers)."""
    import numpy as np
    import pandas as pd

    names = [name.strip() for name in text.split(",")]
    labels = pd.unique(np.asarray(y_train))
    by_text = {str(label): label for label in labels}
    unknown = [name for name in names if name not in by_text]
    if unknown:
        raise ValueError(
            f"--classes names {_shown(unknown[0])}, which is not a label of the training file "
            f"(its labels: {_column_list(sorted(by_text))})."
        )
    if len(set(names)) != len(names) or len(names) < 2:
        raise ValueError(f"--classes must name at least two distinct labels; got {_shown(text)}.")
    return np.asarray([by_text[name] for name in names])


def _aux_sizes(text):
    """``--aux-sizes 50,500,all``: numbers of auxiliary records, and "all"."""
    sizes = []
    for part in text.split(","):
        part = part.strip()
        if part == "all":
            sizes.append("all")
            continue
        try:
            size = int(part)
        except ValueError:
            size = 0
        if size < 2:
            raise argparse.ArgumentTypeError(
                f"expected numbers of auxiliary records (at least 2) or 'all', separated by "
                f"commas, e.g. 50,500,all; got {_shown(part)}"
            )
        sizes.append(size)
    return tuple(sizes)


def _epsilons(text):
    """``--dp-epsilons 0.5,1,2,4,8``: distinct positive privacy budgets ("inf" for no noise)."""
    epsilons = []
    for part in text.split(","):
        try:
            epsilon = float(part.strip())
        except ValueError:
            epsilon = 0.0
        if not epsilon > 0 or epsilon in epsilons:
            raise argparse.ArgumentTypeError(
                "expected distinct positive privacy budgets separated by commas, e.g. "
                f"0.5,1,2,4,8; got {_shown(part.strip())}"
            )
        epsilons.append(epsilon)
    return tuple(epsilons)


def _candidate_options(specs):
    """``--candidates COLUMN=v1,v2`` options as {column: [text values]}."""
    chosen = {}
    for spec in specs or ():
        column, sep, values = spec.partition("=")
        if not sep or not column or not values:
            raise ValueError(
                f"--candidates {spec!r} is not COLUMN=VALUE,VALUE,...; e.g. --candidates "
                "'genotype=*1/*1,*1/*2,*2/*2'."
            )
        chosen[column] = [v.strip() for v in values.split(",") if v.strip()]
    return chosen


#: ``--context KEY=VALUE``: a key of letters, digits, "_", "-" or ".", then "=".
_CONTEXT_PAIR = re.compile(r"^([A-Za-z_][A-Za-z0-9_.-]*)=(.*)$", re.S)


def _read_context_file(path):
    """A ``--context`` TOML file as a dict (tomllib, or tomli before Python 3.11)."""
    try:
        import tomllib
    except ImportError:  # Python 3.10
        try:
            import tomli as tomllib
        except ImportError:
            raise ValueError(
                f"Reading --context {_shown(path)} needs Python 3.11 or later, or "
                "'pip install tomli'; or give the context as --context KEY=VALUE."
            ) from None
    try:
        with open(path, "rb") as stream:
            return tomllib.load(stream)
    except FileNotFoundError:
        raise ValueError(
            f"The --context file {_shown(path)} does not exist (give a TOML file, or "
            "KEY=VALUE such as --context 'purpose=credit scoring')."
        ) from None
    except IsADirectoryError:
        raise ValueError(
            f"The --context file {_shown(path)} is a folder, not a TOML file."
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(
            f"The --context file {_shown(path)} is not valid TOML: {exc}. Write one "
            '\'key = "text"\' per line, e.g. purpose = "credit scoring".'
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"The --context file {_shown(path)} is not UTF-8 text.") from None
    except OSError as exc:
        raise ValueError(
            f"Cannot read the --context file {_shown(path)}: {exc.strerror}."
        ) from None


def _context_options(specs, model_path):
    """``--context`` options (TOML files and KEY=VALUE pairs, in order) as one context for
    :func:`~tabinvert.assess`, checked now; ``model_file`` is the --model file's path (assess
    records its name and SHA-256)."""
    from .report._context import check_context

    context, origin = {}, {}
    for spec in specs or ():
        pair = _CONTEXT_PAIR.match(spec)
        if pair is not None:
            key, value = pair.groups()
            if not value.strip():
                raise ValueError(
                    f"--context {_shown(spec)} gives {key!r} no value: write "
                    f"--context '{key}=text', or leave it out."
                )
            entries, where = [(key, value)], f"--context {_shown(spec)}"
        elif "=" in spec and not os.path.exists(spec):
            raise ValueError(
                f"--context {_shown(spec)} is neither KEY=VALUE (a KEY of letters, digits, "
                "'_', '-' or '.', e.g. --context 'controller=Example Bank') nor a TOML file."
            )
        else:
            entries, where = _read_context_file(spec).items(), f"the --context file {_shown(spec)}"
        for key, value in entries:
            if key == "data_sources" and key in context:
                more = value if isinstance(value, list) else [value]
                previous = context[key] if isinstance(context[key], list) else [context[key]]
                context[key] = previous + more
            elif key in context:
                raise ValueError(
                    f"The context key {key!r} is given twice ({origin[key]} and {where}); "
                    "give it once."
                )
            else:
                context[key] = value
            origin[key] = where
    if model_path is None:  # --endpoint: the assessment records the service, not a file
        if "model_file" in context:
            raise ValueError(
                f"The context's model_file ({origin['model_file']}) goes with --model: with "
                "--endpoint the assessment records the service's URL instead; remove it."
            )
        model_path = None
    elif "model_file" in context and not _same_file(str(context["model_file"]), model_path):
        raise ValueError(
            f"The context's model_file {_shown(context['model_file'])} ({origin['model_file']}) "
            f"is not the --model file {_shown(model_path)}: the model file is recorded from "
            "--model; remove model_file from the context."
        )
    if model_path is not None:
        context["model_file"] = model_path
    try:
        check_context(context, where="--context")  # refused now, naming the key
    except TypeError as exc:  # a TOML number, date or table: the user's input
        raise ValueError(str(exc)) from None
    return context  # assess records the model file's name and SHA-256


def _typed_candidates(candidates, X_train):
    """Candidate values read as the column's values are (numbers for a numeric column)."""
    import pandas as pd

    if not candidates:
        return None
    typed = {}
    for column, values in candidates.items():
        if column not in X_train.columns:
            raise ValueError(
                f"--candidates names {_shown(column)}, which is not a column of the training "
                f"data (columns: {_column_list(X_train.columns)})."
            )
        if pd.api.types.is_numeric_dtype(X_train[column]):
            try:
                values = [float(v) if "." in str(v) else int(v) for v in values]
            except ValueError as exc:
                raise ValueError(
                    f"--candidates for the numeric column {_shown(column)} holds a value "
                    f"that is not a number ({exc}); give numbers, e.g. {column}=0,1,2."
                ) from None
        typed[column] = values
    return typed


def _demo(args):
    import io

    from . import _demo as demo

    _check_outputs({"--out": args.out}, {})
    settings = demo.demo_settings(
        sensitive=args.sensitive,
        task=args.task,
        model=args.model,
        random_state=args.random_state,
        n_jobs=args.n_jobs,
    )
    print(demo.introduction(settings, args.sensitive, args.task))
    code, names, metric = EXIT_OK, [], None
    for number, setting in enumerate(settings, start=1):
        # The shared path of `tabinvert assess` (and its --out writer); its own printout is
        # replaced by the demo's, which explains it.
        result, setting_code = run_assessment(
            **setting.inputs,
            sensitive=[args.sensitive],
            out=args.out if number == 1 else None,
            random_state=args.random_state,
            n_jobs=args.n_jobs,
            quiet=args.quiet,
            stream=io.StringIO(),
        )
        code = max(code, setting_code)
        print(f"\n{demo.setting_block(number, setting, result, args.sensitive)}")
        names += list(result.results["attack"])
        metric = metric or result.results["metric"].iloc[0]
    print(f"\n{demo.legend(names, metric, result.metadata.get('n_resamples', 1000))}")
    if args.out is not None:
        print(f"\nwrote {args.out}: the report of setting 1 ({settings[0].title})")
    return code


def _whole_number(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {_shown(text)}") from None


def _at_least_one(text):
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _n_jobs(text):
    value = _whole_number(text)
    if value == 0:
        raise argparse.ArgumentTypeError(
            "must not be 0: give 1 or more processes, or -1 for all cores"
        )
    return value


def _seed(text):
    value = _whole_number(text)
    if not 0 <= value < 2**32:
        raise argparse.ArgumentTypeError(f"must be from 0 to 2**32 - 1, got {value}")
    return value


def _finite_number(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {_shown(text)}") from None
    if not math.isfinite(value):
        # NaN compares false with everything: the gate would never close.
        raise argparse.ArgumentTypeError(f"must be a finite number, got {_shown(text)}")
    return value


def build_parser():
    """The argument parser of the ``tabinvert`` command.

    Its errors raise instead of exiting: :func:`main` turns them into one line and exit code 2.
    """
    parser = _Parser(
        prog="tabinvert",
        description="Measure what an attacker can infer about a tabular model's training data.",
        epilog=EXIT_CODES_HELP,
    )
    parser.add_argument("--debug", action="store_true", help=DEBUG_HELP)
    # Also accepted after the command; SUPPRESS keeps a --debug given before it.
    debug = _Parser(add_help=False)
    debug.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=DEBUG_HELP)
    commands = parser.add_subparsers(dest="command", required=True)
    _add_assess_command(commands, debug)
    _add_demo_command(commands, debug)
    _add_monitor_command(commands, debug)
    return parser


def _add_assess_command(commands, debug):
    """Add the ``assess`` command, its arguments in the order its help lists them."""
    assess = commands.add_parser(
        "assess",
        parents=[debug],
        help="assess a model file on CSV data and write a risk report",
        description="Run the attribute-inference attacks that fit the model against its "
        "training records (and held-out ones), compare them with imputation, and "
        "write a self-contained HTML report. Output paths are checked before the "
        "assessment runs: an output that is an input file, or that cannot be "
        "written, is refused.",
        epilog=LOADING_HELP + " " + EXIT_CODES_HELP,
    )
    _add_assess_inputs(assess)
    _add_assess_endpoint_options(assess)
    _add_assess_report_options(assess)
    _add_assess_trust_options(assess)
    _add_assess_run_options(assess)
    assess.set_defaults(handler=_assess)


def _add_assess_inputs(assess):
    """Add the model (a file or a service), the CSV files and the columns to attack."""
    which = assess.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--model",
        help="fitted model: a .skops file (types checked), an .onnx file (run by onnxruntime), "
        "or .pkl/.joblib with --trust-pickle",
    )
    which.add_argument(
        "--endpoint",
        metavar="URL",
        help="the model as served: the base URL of a prediction service (--protocol v2 or "
        "mlflow), or the full URL requests are posted to (--protocol json)",
    )
    assess.add_argument("--train", required=True, help="CSV of the model's training records")
    assess.add_argument("--target", required=True, help="the label's column in the CSV files")
    assess.add_argument(
        "--sensitive",
        required=True,
        nargs="+",
        metavar="COL",
        help="sensitive feature column(s) to attack",
    )
    assess.add_argument(
        "--holdout",
        help="CSV of held-out records (non-members); a share "
        "becomes the attacker's auxiliary data unless --aux",
    )
    assess.add_argument("--aux", help="CSV of the attacker's auxiliary records")


def _add_assess_endpoint_options(assess):
    """Add how the service at --endpoint is spoken to."""
    group = assess.add_argument_group("model service (with --endpoint)")
    group.add_argument(
        "--protocol",
        choices=["v2", "mlflow", "json"],
        default=ENDPOINT_DEFAULTS["protocol"],
        help="v2: the Open Inference Protocol (KServe, MLServer, Triton); mlflow: MLflow's "
        "scoring server; json: another JSON API (--request-template, --response-path). "
        "Default v2",
    )
    group.add_argument("--model-name", help="the model's name on a v2 server (required there)")
    group.add_argument("--model-version", help="the model's version on a v2 server")
    group.add_argument(
        "--classes",
        metavar="A,B,...",
        help="the classes in the order of the service's probability columns (default: the "
        "training file's labels, sorted, as scikit-learn orders them)",
    )
    group.add_argument("--regression", action="store_true", help="the service is a regressor")
    group.add_argument(
        "--labels-only",
        action="store_true",
        help="the service returns labels, not probabilities (the label-only attacks run)",
    )
    group.add_argument(
        "--token-env",
        metavar="VAR",
        help="environment variable holding a bearer token (sent, never written anywhere)",
    )
    group.add_argument(
        "--header-env",
        action="append",
        default=[],
        metavar="NAME=VAR",
        help="send the header NAME with the value of the environment variable VAR "
        "(repeatable; an API key, say)",
    )
    group.add_argument(
        "--request-template",
        metavar="FILE",
        help='--protocol json: a JSON file, the request body with "$records", "$rows" or '
        '"$columns" where the records go',
    )
    group.add_argument(
        "--response-path", help="--protocol json: the dotted path to the answers, e.g. predictions"
    )
    group.add_argument(
        "--batch-size",
        type=_at_least_one,
        default=ENDPOINT_DEFAULTS["batch_size"],
        help="records per request (1000)",
    )
    group.add_argument(
        "--concurrency",
        type=_at_least_one,
        default=ENDPOINT_DEFAULTS["concurrency"],
        help="requests in flight at once (4)",
    )
    group.add_argument(
        "--timeout",
        type=_positive_seconds,
        default=ENDPOINT_DEFAULTS["timeout"],
        help="seconds to connect and to wait for an answer, per try (30)",
    )
    group.add_argument(
        "--retries",
        type=_whole_number,
        default=ENDPOINT_DEFAULTS["retries"],
        help="retries of a failed request, with backoff; a 429's Retry-After is obeyed (5)",
    )


def _positive_seconds(text):
    value = _finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number of seconds, got {text!r}")
    return value


def _add_assess_report_options(assess):
    """Add what the report compares (defenses, groups) and where it is written."""
    assess.add_argument(
        "--defense",
        action="append",
        default=[],
        metavar="SPEC",
        help="output defense to sweep, repeatable: round:1, round-step:0.05, "
        "coarsen:10, top-k:1, label-only, threshold:0.7, noise:0.05, "
        "reverse-sigmoid:1,0.1, round-predictions:1, noise-predictions:1",
    )
    assess.add_argument(
        "--dp-epsilons",
        type=_epsilons,
        default=None,
        metavar="E,E,...",
        help="also train differentially private counterparts of the model at these privacy "
        "budgets, e.g. 0.5,1,2,4,8, and attack them beside the defenses (needs --holdout; "
        'pip install "tabinvert[dp]")',
    )
    assess.add_argument(
        "--explanations",
        type=_explanations_spec,
        default=None,
        metavar="KIND",
        help="the API also returns explanations: contributions (XGBoost/LightGBM TreeSHAP, or "
        'a linear model\'s), shap (any model; pip install "tabinvert[shap]"), or reasons:K '
        "(the top K reason codes, signs only); adds the explanation attacks and a verdict for "
        "them",
    )
    assess.add_argument(
        "--explanation-defense",
        action="append",
        default=[],
        type=_explanation_defense_spec,
        metavar="SPEC",
        help="with --explanations, a defended version to sweep, repeatable: top-k:3, round:1, "
        "round-step:0.5, drop (the sensitive columns' own contributions), noise:0.1",
    )
    assess.add_argument(
        "--group-by",
        action="append",
        default=None,
        metavar="COL",
        help="compare the exposure of this column's groups (repeatable)",
    )
    assess.add_argument(
        "--out",
        help="report file: .html (default), .pdf, or .json / .csv (in a CSV, text "
        "cells starting with = + - @ get a leading ' so that a "
        "spreadsheet shows them as text); --out or --pdf is required",
    )
    assess.add_argument("--json", help="also write the assessment as JSON")
    assess.add_argument(
        "--pdf",
        help="also write the report as PDF, printed by headless Chromium (chromium, "
        "chromium-browser or google-chrome on the PATH, or TABINVERT_CHROMIUM=/path)",
    )
    assess.add_argument(
        "--context",
        action="append",
        default=[],
        metavar="FILE.toml|KEY=VALUE",
        help="the context the report's first screen shows, for filing it with a DPIA: a "
        "TOML file of text values, or KEY=VALUE (repeatable): purpose, controller, "
        "assessor, model_name, model_version, data_sources (repeat it for several); other "
        "keys are shown too. The model file's name and SHA-256 are recorded from --model",
    )


def _add_assess_trust_options(assess):
    """Add what the model file is trusted to load (pickles, named types)."""
    assess.add_argument("--trust-pickle", action="store_true", help=PICKLE_HELP)
    assess.add_argument(
        "--trust-type",
        action="append",
        default=[],
        metavar="NAME",
        help="trust this type or callable in a .skops file, by its exact name "
        "as the refusal prints it (repeatable); only for files you made "
        "or whose author you fully trust",
    )


def _add_assess_run_options(assess):
    """Add the CI gate, the seed, the parallelism and the bootstrap size."""
    assess.add_argument(
        "--fail-above",
        type=_finite_number,
        default=None,
        metavar="ADVANTAGE",
        help="exit with 1 when an attack's advantage over imputation on the "
        "training records is above this, with its whole 95%% interval "
        "(to gate a CI pipeline)",
    )
    assess.add_argument(
        "--candidates",
        action="append",
        default=None,
        metavar="COLUMN=V1,V2",
        help="the values a sensitive column may take (repeatable); default: those in the "
        "auxiliary data that the model's encoder knows (values it never saw are left out, "
        "and the report says so)",
    )
    assess.add_argument(
        "--aux-sizes",
        type=_aux_sizes,
        default=None,
        metavar="N,N,all",
        help="also re-run the deciding attacks with this many auxiliary records (seeded "
        "samples, 5 each), e.g. 50,500,all; the worst size heads the summary",
    )
    assess.add_argument(
        "--access",
        choices=["api", "model-file", "both"],
        default="both",
        help="whose risk to rate: an attacker who can only query the model as deployed "
        "(api), one who holds the model file (model-file: its internals, and querying it), "
        "or a level for each (both, the default)",
    )
    _add_verbosity_options(assess)
    assess.add_argument("--random-state", type=_seed, default=0)
    assess.add_argument("--n-jobs", type=_n_jobs, default=None)
    assess.add_argument(
        "--n-resamples",
        type=_at_least_one,
        default=1000,
        help="bootstrap resamples of every interval",
    )


def _add_verbosity_options(command):
    """--verbose / --quiet: how much of the run's progress reaches stderr."""
    loud = command.add_mutually_exclusive_group()
    loud.add_argument(
        "--verbose",
        action="store_true",
        help="also print every step (attribute × attack × population, defense)",
    )
    loud.add_argument(
        "--quiet",
        action="store_true",
        help="print no progress (no stage lines, no bar); errors and the summary still print",
    )


def _add_demo_command(commands, debug):
    """Add the ``demo`` command (scikit-learn's bundled diabetes data, offline)."""
    demo = commands.add_parser(
        "demo",
        parents=[debug],
        help="see, offline, an over-fitted model leak and a regularised one not (diabetes data)",
        description="Two settings on scikit-learn's bundled diabetes patients (offline): "
        "1. an over-fitted model (by default a random forest grown until it fits every "
        "training patient), 2. the same kind of model regularised (a forest whose leaves hold "
        "at least 20 patients). Both are trained on the same half of the patients and attacked "
        "with the attacks `tabinvert assess` would run, on their training patients and on "
        "held-out ones; the demo prints each verdict, its table, one sentence saying what it "
        "means, and what the columns and attack names mean.",
        epilog=EXIT_CODES_HELP,
    )
    demo.add_argument(
        "--sensitive",
        default="sex",
        help="the column the attacker infers: 'sex' (categorical), or e.g. 'age' (numeric)",
    )
    demo.add_argument(
        "--task",
        choices=["classification", "regression"],
        default="classification",
        help="what both models predict: whether the disease progressed more than the median "
        "(classification), or by how much (regression)",
    )
    demo.add_argument(
        "--model",
        choices=["random_forest", "linear", "mlp"],
        default="random_forest",
        help="the kind of model of both settings: over-fitted in setting 1, regularised in "
        "setting 2 (linear: on the measurements' squares and products, almost unpenalised, vs "
        "the measurements with a strong penalty; mlp: two layers of 64 units without weight "
        "penalty vs one of 16 with a strong one)",
    )
    _add_verbosity_options(demo)
    demo.add_argument("--random-state", type=_seed, default=0)
    demo.add_argument("--n-jobs", type=_n_jobs, default=None)
    demo.add_argument(
        "--out",
        help="also write the report of setting 1, the over-fitted model (.html), or its "
        "assessment (.json) or table (.csv)",
    )
    demo.set_defaults(handler=_demo)


def _add_monitor_command(commands, debug):
    """Add the ``monitor`` command (a query log to flagged clients)."""
    monitor = commands.add_parser(
        "monitor",
        parents=[debug],
        help="find the clients of a query log whose queries look like an attribute-inference "
        "attack",
        description="Read a log of the queries a model answered (JSON Lines: one JSON object "
        "per line; or CSV), one query per row with the client's key in --client-column, and "
        "find the patterns attribute-inference attacks leave: groups of queries identical but "
        "for one column that runs through its values (sweep), many near-copies of one record "
        "(near_duplicates), and pairs a tiny step apart in one numeric column "
        "(finite_differences). Prints the flagged clients and why; --output writes the "
        "report. What the detectors cannot catch is in the user guide (Monitoring queries).",
        epilog=MONITOR_EXIT_CODES_HELP,
    )
    monitor.add_argument(
        "--log", required=True, help="the query log: .jsonl / .json (JSON Lines) or .csv"
    )
    monitor.add_argument(
        "--client-column", required=True, metavar="COL", help="the column of client keys"
    )
    monitor.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="COL",
        help="a column of the log that is not a model input (a timestamp, a request id, the "
        "answer), repeatable: a column that differs on every query hides every pattern",
    )
    monitor.add_argument(
        "--reference",
        help="CSV or JSON Lines of ordinary records (the training data, or normal traffic): "
        "the numeric columns' scales and what each detector counts by chance are learned from "
        "it, and clients are flagged only above chance; default: scales from the log, no "
        "chance correction",
    )
    monitor.add_argument(
        "--scope",
        choices=["client", "global"],
        default="client",
        help="count per client (default), or over all clients together, to see an attack "
        "spread over several client keys (findings then name no single client)",
    )
    monitor.add_argument("--output", help="write the report: .json (everything) or .csv")
    monitor.add_argument(
        "--fail-on-flag", action="store_true", help="exit with 1 when a client is flagged"
    )
    thresholds = monitor.add_argument_group("detector thresholds (see the user guide)")
    thresholds.add_argument("--min-sweep-values", type=_at_least_two, default=2, metavar="N")
    thresholds.add_argument("--min-sweep-groups", type=_at_least_one, default=10, metavar="N")
    thresholds.add_argument(
        "--tolerance",
        type=_non_negative_number,
        default=0.1,
        metavar="X",
        help="cell width of numeric values, in units of each column's scale (0: exact)",
    )
    thresholds.add_argument("--min-near-duplicates", type=_at_least_two, default=25, metavar="N")
    thresholds.add_argument(
        "--finite-difference-step", type=_positive_number, default=0.05, metavar="X"
    )
    thresholds.add_argument(
        "--min-finite-difference-pairs", type=_at_least_one, default=10, metavar="N"
    )
    monitor.add_argument("--random-state", type=_seed, default=0)
    _add_verbosity_options(monitor)
    monitor.set_defaults(handler=_monitor)


def _at_least_two(text):
    value = _whole_number(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def _positive_number(text):
    value = _finite_number(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above 0, got {_shown(text)}")
    return value


def _non_negative_number(text):
    value = _finite_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {_shown(text)}")
    return value


def _read_json_lines(path, what):
    """A JSON Lines file (one JSON object per line) as a DataFrame, refused with the line."""
    import json

    import pandas as pd

    shown = _shown(path)
    records = []
    try:
        with open(path, encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(
                        f"Line {number:,} of the {what} file {shown} is not valid JSON "
                        f"({exc.msg}): write one JSON object per line."
                    ) from None
                if not isinstance(record, dict):
                    raise ValueError(
                        f"Line {number:,} of the {what} file {shown} is a JSON "
                        f"{type(record).__name__}, not an object: write one object per line, "
                        'e.g. {"client": "k1", "age": 39}.'
                    )
                nested = [k for k, v in record.items() if isinstance(v, (dict, list))]
                if nested:
                    raise ValueError(
                        f"Line {number:,} of the {what} file {shown} holds a nested value in "
                        f"{_shown(nested[0])}: give one plain value per column."
                    )
                records.append(record)
    except FileNotFoundError:
        raise ValueError(f"The {what} file {shown} does not exist.") from None
    except IsADirectoryError:
        raise ValueError(f"The {what} file {shown} is a folder, not a file.") from None
    except UnicodeDecodeError:
        raise ValueError(f"The {what} file {shown} is not UTF-8 text.") from None
    if not records:
        raise ValueError(f"The {what} file {shown} holds no queries.")
    return pd.DataFrame.from_records(records)


def _read_table(path, what):
    """A CSV or JSON Lines file (by its suffix) as a DataFrame."""
    suffix = Path(path).suffix.lower()
    if suffix in (".jsonl", ".json", ".ndjson"):
        return _read_json_lines(path, what)
    if suffix == ".csv":
        return _read_csv(path, what)
    raise ValueError(
        f"The {what} file {_shown(path)} must be JSON Lines (.jsonl, .json, .ndjson) or CSV (.csv)."
    )


def _monitor(args):
    import json

    from .defenses import scan_query_log

    output = args.output
    if output is not None and Path(output).suffix.lower() not in (".json", ".csv"):
        raise ValueError(f"--output {_shown(output)} must end in .json or .csv.")
    _check_outputs({"--output": output}, {"--log": args.log, "--reference": args.reference})
    _check_distinct("--ignore", args.ignore)
    if args.client_column in args.ignore:
        raise ValueError(
            f"--ignore names the client column {_shown(args.client_column)}: it is needed to "
            "tell the clients apart."
        )
    _progress(f"reading the query log {args.log}")
    log = _read_table(args.log, "query log")
    if args.client_column not in log.columns:
        raise ValueError(
            f"The client column {_shown(args.client_column)} is not in the query log "
            f"{_shown(args.log)} (columns: {_column_list(log.columns)}). Pass "
            "--client-column with the column that holds each query's client key."
        )
    unknown = [c for c in args.ignore if c not in log.columns]
    if unknown:
        raise ValueError(
            f"--ignore names {_shown(unknown[0])}, which is not a column of the query log "
            f"(columns: {_column_list(log.columns)})."
        )
    columns = [c for c in log.columns if c != args.client_column and c not in args.ignore]
    reference = None
    if args.reference is not None:
        reference = _read_table(args.reference, "reference")
        missing = [c for c in columns if c not in reference.columns]
        if missing:
            raise ValueError(
                f"The reference file {_shown(args.reference)} lacks the log's column(s) "
                f"{_column_list(missing)}: give records with the model-input columns of the "
                "log, or --ignore the columns that are not model inputs."
            )
    _progress(f"scanning {len(log):,} queries of {log[args.client_column].nunique():,} clients")
    report = scan_query_log(
        log,
        client_column=args.client_column,
        columns=columns,
        reference=reference,
        scope=args.scope,
        min_sweep_values=args.min_sweep_values,
        min_sweep_groups=args.min_sweep_groups,
        tolerance=args.tolerance,
        min_near_duplicates=args.min_near_duplicates,
        finite_difference_step=args.finite_difference_step,
        min_finite_difference_pairs=args.min_finite_difference_pairs,
        random_state=args.random_state,
    )
    print(_one_line_per_row(report.to_text()))
    if output is not None:
        if Path(output).suffix.lower() == ".json":
            write_atomic(output, json.dumps(report.to_dict(), indent=2, ensure_ascii=False))
        else:
            frame = report.to_frame().astype({"columns": str, "clients": str, "example": str})
            write_atomic(output, neutralise_formulas(frame).to_csv(index=False))
        print(f"wrote {output}")
    if args.fail_on_flag and report.flagged_clients:
        return EXIT_LEAKS
    return EXIT_OK


def _one_line_per_row(text):
    """``text`` with each line made printable (a log's values may hold escape sequences)."""
    return "\n".join(
        " " * (len(line) - len(line.lstrip())) + _one_line(line, limit=2_000)
        for line in text.splitlines()
    )


def _user_paths(args):
    names = ("model", "train", "holdout", "aux", "out", "json", "pdf", "log", "reference", "output")
    return [path for path in (getattr(args, name, None) for name in names) if path]


def _exit_code(exc, args):
    """2 when the user's input caused ``exc`` (the fix is theirs), 3 when tabinvert failed.

    Bad input: a ValueError (tabinvert and the libraries it calls refuse input with one), a
    ModelQueryError (the model failed on the user's records: an unseen category, a column of
    the wrong type), and an OSError about a path the user gave. Anything else, a KeyError
    included (the command checks every name the user gives before looking it up), is a bug.
    """
    from .exceptions import ModelQueryError, RemoteModelError

    if isinstance(exc, RemoteModelError):
        return EXIT_SERVICE_FAILED
    if isinstance(exc, (ValueError, ModelQueryError)):
        return EXIT_BAD_INPUT
    if isinstance(exc, OSError):
        named = [name for name in (exc.filename, exc.filename2) if name is not None]
        if any(_same_file(os.fsdecode(name), path) for name in named for path in _user_paths(args)):
            return EXIT_BAD_INPUT
    return EXIT_INTERNAL


def main(argv=None):
    """Entry point of the ``tabinvert`` command; returns the exit code.

    0 done; 1 only when leakage is above ``--fail-above``; 2 bad input, with one
    ``tabinvert: error: ...`` line on stderr; 3 an internal failure, with one line naming the
    exception (``--debug`` prints the traceback too); 4 the model service at ``--endpoint``
    failed after its retries (one ``tabinvert: error: ...`` line; no report); 130 interrupted.
    Values quoted in a message are cut to :data:`SHOWN_CHARS` characters and the line to
    :data:`MESSAGE_CHARS`.
    """
    try:
        args = build_parser().parse_args(argv)
    except _UsageError as exc:
        print(f"tabinvert: error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        with _logging_to_stderr(args):
            return args.handler(args)
    except KeyboardInterrupt:
        print("tabinvert: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - every failure gets its code and one line
        code = _exit_code(exc, args)
        if args.debug:
            traceback.print_exc(file=sys.stderr)
        message = _one_line(exc) or "(no message)"
        if code in (EXIT_BAD_INPUT, EXIT_SERVICE_FAILED):
            print(f"tabinvert: error: {message}", file=sys.stderr)
        else:
            hint = "" if args.debug else "; run again with --debug for the traceback"
            print(
                f"tabinvert: internal error: {type(exc).__name__}: {message}{hint}", file=sys.stderr
            )
        return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

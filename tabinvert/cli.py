"""The ``tabinvert`` command: ``tabinvert assess`` (a model file and CSV data to a risk report)
and ``tabinvert demo`` (the same path on scikit-learn's bundled diabetes data, offline)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ._io import write_atomic

EXIT_OK, EXIT_LEAKS, EXIT_BAD_INPUT = 0, 1, 2

PICKLE_HELP = (
    "allow loading a pickle/joblib model file. Unpickling runs whatever code the file's author "
    "put in it, so only use this for files you made or fully trust; prefer skops files "
    "(skops.io.dump), which are checked type by type")


def _progress(message):
    print(f"tabinvert: {message}", file=sys.stderr, flush=True)


def _read_csv(path, what):
    import pandas as pd

    try:
        return pd.read_csv(path)
    except FileNotFoundError:
        raise ValueError(f"The {what} file {str(path)!r} does not exist.") from None
    except Exception as exc:
        raise ValueError(f"Cannot read the {what} file {str(path)!r} as CSV: {exc}") from exc


def _split_target(frame, target, what, path):
    if target not in frame.columns:
        raise ValueError(
            f"The target column {target!r} is not in the {what} file {str(path)!r} (columns: "
            f"{', '.join(map(str, list(frame.columns)[:20]))}). Pass --target with the label's "
            "column name.")
    return frame.drop(columns=[target]), frame[target].to_numpy()


def _model_columns(model, frame, what):
    """The columns the model takes, checked against a CSV's columns."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return frame
    names = [str(n) for n in names]
    missing = [c for c in names if c not in frame.columns]
    if missing:
        raise ValueError(f"The {what} data lacks column(s) the model needs: "
                         f"{', '.join(missing)}.")
    return frame[names]


def run_assessment(model, X_train, y_train, *, sensitive, X_holdout=None, y_holdout=None,
                   X_aux=None, y_aux=None, defenses=(), group_by=None, attacks="auto",
                   out=None, json_out=None, fail_above=None, random_state=0, n_jobs=None,
                   n_resamples=1000, stream=None):
    """Assess, print the summary, write the outputs; the shared path of ``assess`` and ``demo``.

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
                f"The column {column!r} is not in the training data (columns: "
                f"{', '.join(map(str, list(X_train.columns)[:20]))}).")
    result = assess(
        model, X_train, y_train, X_holdout=X_holdout, y_holdout=y_holdout, sensitive=sensitive,
        X_aux=X_aux, y_aux=y_aux, attacks=attacks, defenses=list(defenses) or None,
        group_by=group_by, n_jobs=n_jobs, n_resamples=n_resamples, random_state=random_state,
        progress=_progress,
    )
    for row in result.summary.itertuples():
        print(f"{row.sensitive}: risk {row.risk_level.upper()}. {row.sentence}", file=stream)
    for sensitive_name, table in result.results.groupby("sensitive", sort=False):
        print(f"\nsensitive attribute {sensitive_name!r}:", file=stream)
        print(format_table(table), file=stream)
    notes = dict.fromkeys(n for n in result.results["notes"] if n)
    for note in notes:
        print(f"\nnote: {note}", file=stream)
    if out:
        suffix = Path(out).suffix.lower()
        if suffix == ".json":
            result.to_json(out)
        elif suffix == ".csv":
            write_atomic(out, result.to_frame().to_csv(index=False))
        else:
            result.to_html(out)
        print(f"\nwrote {out}", file=stream)
    if json_out:
        result.to_json(json_out)
        print(f"wrote {json_out}", file=stream)
    code = EXIT_OK
    if fail_above is not None:
        worst = result.summary["advantage_ci_low"].astype(float).max()
        if worst == worst and worst > fail_above:  # not NaN
            _progress(f"leakage above --fail-above {fail_above}: the best attack's advantage "
                      f"is at least {worst:.3f} (lower end of its interval)")
            code = EXIT_LEAKS
    return result, code


def _assess(args):
    from ._model_io import load_model, parse_defense

    defenses = [parse_defense(spec, random_state=args.random_state) for spec in args.defense]
    _progress(f"loading the model {args.model}")
    model = load_model(args.model, trust_pickle=args.trust_pickle,
                       trusted_types=args.trust_type)
    if not hasattr(model, "predict"):
        raise ValueError(f"The object in {args.model!r} ({type(model).__name__}) is not a "
                         "model: it has no predict().")
    X_train, y_train = _split_target(_read_csv(args.train, "training"), args.target,
                                     "training", args.train)
    for column in args.sensitive:
        if column not in X_train.columns:
            raise ValueError(
                f"The sensitive column {column!r} is not in the training file {args.train!r} "
                f"(columns: {', '.join(map(str, list(X_train.columns)[:20]))}).")
    X_train = _model_columns(model, X_train, "training")
    X_holdout = y_holdout = X_aux = y_aux = None
    if args.holdout:
        X_holdout, y_holdout = _split_target(_read_csv(args.holdout, "holdout"), args.target,
                                             "holdout", args.holdout)
        X_holdout = _model_columns(model, X_holdout, "holdout")
    if args.aux:
        X_aux, y_aux = _split_target(_read_csv(args.aux, "auxiliary"), args.target,
                                     "auxiliary", args.aux)
        X_aux = _model_columns(model, X_aux, "auxiliary")
    if X_holdout is None and X_aux is None:
        raise ValueError("Give the attacker auxiliary data: --holdout test.csv (a share of it "
                         "becomes the attacker's) or --aux aux.csv.")
    _progress(f"assessing {len(X_train):,} training records, sensitive "
              f"{', '.join(args.sensitive)}")
    _, code = run_assessment(
        model, X_train, y_train, sensitive=args.sensitive, X_holdout=X_holdout,
        y_holdout=y_holdout, X_aux=X_aux, y_aux=y_aux, defenses=defenses,
        group_by=args.group_by, out=args.out, json_out=args.json, fail_above=args.fail_above,
        random_state=args.random_state, n_jobs=args.n_jobs, n_resamples=args.n_resamples,
    )
    return code


def _demo(args):
    from ._demo import demo_assessment_inputs

    inputs = demo_assessment_inputs(sensitive=args.sensitive, task=args.task, model=args.model,
                                    random_state=args.random_state, n_jobs=args.n_jobs)
    kind = "numeric" if inputs.pop("numeric") else "categorical"
    print(f"tabinvert demo: diabetes patients (scikit-learn), {args.model} {args.task} model "
          f"trained on half; sensitive attribute {args.sensitive!r} ({kind}).")
    print("Members = training patients; non-members = held-out patients; the attacker's "
          "auxiliary data is a separate held-out quarter.\n")
    _, code = run_assessment(
        **inputs, sensitive=[args.sensitive], out=args.out, random_state=args.random_state,
        n_jobs=args.n_jobs)
    print("\nadvantage = (attack − imputation) / (1 − imputation) for success rates, "
          "1 − MAE_attack / MAE_imputation for MAE; an interval that includes 0 means no "
          "measurable leakage beyond what imputation infers without the model.")
    return code


def build_parser():
    """The argument parser of the ``tabinvert`` command."""
    parser = argparse.ArgumentParser(
        prog="tabinvert",
        description="Measure what an attacker can infer about a tabular model's training data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    assess = commands.add_parser(
        "assess", help="assess a model file on CSV data and write a risk report",
        description="Run the attribute-inference attacks that fit the model against its "
                    "training records (and held-out ones), compare them with imputation, and "
                    "write a self-contained HTML report. Exit codes: 0 done, 1 leakage above "
                    "--fail-above, 2 bad input.")
    assess.add_argument("--model", required=True,
                        help="fitted model: a .skops file (types checked), or .pkl/.joblib "
                             "with --trust-pickle")
    assess.add_argument("--train", required=True, help="CSV of the model's training records")
    assess.add_argument("--target", required=True, help="the label's column in the CSV files")
    assess.add_argument("--sensitive", required=True, nargs="+", metavar="COL",
                        help="sensitive column(s) to attack")
    assess.add_argument("--holdout", help="CSV of held-out records (non-members); a share "
                                          "becomes the attacker's auxiliary data unless --aux")
    assess.add_argument("--aux", help="CSV of the attacker's auxiliary records")
    assess.add_argument("--defense", action="append", default=[], metavar="SPEC",
                        help="output defense to sweep, repeatable: round:1, round-step:0.05, "
                             "coarsen:10, top-k:1, label-only, threshold:0.7, noise:0.05, "
                             "reverse-sigmoid:1,0.1, round-predictions:1, noise-predictions:1")
    assess.add_argument("--group-by", action="append", default=None, metavar="COL",
                        help="compare the exposure of this column's groups (repeatable)")
    assess.add_argument("--out", required=True,
                        help="report file: .html (default), or .json / .csv")
    assess.add_argument("--json", help="also write the assessment as JSON")
    assess.add_argument("--trust-pickle", action="store_true", help=PICKLE_HELP)
    assess.add_argument("--trust-type", action="append", default=[], metavar="NAME",
                        help="trust this type in a .skops file (repeatable)")
    assess.add_argument("--fail-above", type=float, default=None, metavar="ADVANTAGE",
                        help="exit with 1 when an attack's advantage over imputation on the "
                             "training records is above this, with its whole 95%% interval "
                             "(to gate a CI pipeline)")
    assess.add_argument("--random-state", type=int, default=0)
    assess.add_argument("--n-jobs", type=int, default=None)
    assess.add_argument("--n-resamples", type=int, default=1000,
                        help="bootstrap resamples of every interval")
    assess.set_defaults(handler=_assess)

    demo = commands.add_parser(
        "demo", help="assess a model trained on scikit-learn's bundled diabetes data (offline)")
    demo.add_argument("--sensitive", default="sex",
                      help="sensitive column: 'sex' (categorical) or e.g. 'age' (numeric)")
    demo.add_argument("--task", choices=["classification", "regression"],
                      default="classification")
    demo.add_argument("--model", choices=["random_forest", "linear", "mlp"],
                      default="random_forest")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--n-jobs", type=int, default=None)
    demo.add_argument("--out", help="also write the report (.html), or the table (.csv, .json)")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None):
    """Entry point of the ``tabinvert`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, KeyError, OSError) as exc:
        message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        print(f"tabinvert: error: {message}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

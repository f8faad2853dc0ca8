"""The ``tabinvert`` command."""

from __future__ import annotations

import argparse
import sys

from ._io import write_atomic


def _demo(args):
    from ._demo import format_table, run_demo

    table = run_demo(sensitive=args.sensitive, task=args.task, model=args.model,
                     random_state=args.random_state, n_jobs=args.n_jobs)
    kind = "numeric" if table["metric"].iloc[0] in ("mae", "rmse") else "categorical"
    print(f"tabinvert demo: diabetes patients (scikit-learn), {args.model} {args.task} model "
          f"trained on half; sensitive attribute {args.sensitive!r} ({kind}).")
    print("Members = training patients; non-members = held-out patients; the attacker's "
          "auxiliary data is a separate held-out quarter.\n")
    print(format_table(table))
    print("\nadvantage = (attack − imputation) / (1 − imputation) for success rates, "
          "1 − MAE_attack / MAE_imputation for MAE; an interval that includes 0 means no "
          "measurable leakage beyond what imputation infers without the model.")
    for note in dict.fromkeys(n for n in table["notes"] if n):
        print(f"\nnote: {note}")
    if args.out:
        text = table.to_json(orient="records", indent=2) if str(args.out).endswith(".json") \
            else table.to_csv(index=False)
        write_atomic(args.out, text)
        print(f"\nwrote {args.out}")
    return 0


def build_parser():
    """The argument parser of the ``tabinvert`` command."""
    parser = argparse.ArgumentParser(
        prog="tabinvert",
        description="Measure what an attacker can infer about a tabular model's training data.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser(
        "demo", help="attack a model trained on scikit-learn's bundled diabetes data (offline)")
    demo.add_argument("--sensitive", default="sex",
                      help="sensitive column: 'sex' (categorical) or e.g. 'age' (numeric)")
    demo.add_argument("--task", choices=["classification", "regression"],
                      default="classification")
    demo.add_argument("--model", choices=["random_forest", "linear", "mlp"],
                      default="random_forest")
    demo.add_argument("--random-state", type=int, default=0)
    demo.add_argument("--n-jobs", type=int, default=None)
    demo.add_argument("--out", help="also write the full table (.csv, or .json)")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv=None):
    """Entry point of the ``tabinvert`` command."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (ValueError, KeyError, OSError) as exc:
        print(f"tabinvert: error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

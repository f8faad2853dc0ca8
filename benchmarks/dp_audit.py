"""Empirical privacy audit of DP-SGD: the claimed ε is not beaten, and a broken trainer is caught.

For each claimed ε, ``DPSGDClassifier`` is trained many times on a dataset ``D`` and on ``D``
plus one canary record (``tabinvert.dp.audit_epsilon``); a test guesses from each model
whether the canary was there, and the test's errors on trials that did not choose its
threshold give a 95% lower bound on the ε the trainer spends (Clopper–Pearson upper bounds on
the false-positive and false-negative rates, Bonferroni-split; Jagielski et al. 2020, Nasr et
al. 2021: ``tabinvert.dp.epsilon_lower_bound``). Three trainers, all reporting the same
calibrated ``epsilon_``:

* **honest** — ``DPSGDClassifier`` itself: its bound must stay *below* the claim ("pass");
* **noise off** — a subclass whose ``_noise_std()`` returns 0;
* **clipping off** — a subclass whose ``_clip_factors()`` returns ones.

The broken two must be *detected* (bound above the claim), or the audit proves nothing. A
bound can exceed ε only if the trials allow it: with ``m`` evaluation trials per side, no test
gets above ``epsilon_lower_bound(0, m, 0, m)`` ("ceiling", about ``log(m / 3.7)``), so the
number of trials grows with ε (``--margin``: ceiling ≥ ε + margin), and ε = 8 takes about
15,000 trials per side.

Setting: ``D`` has 100 records, 2 informative features uniform on [-1, 1] (the label is the
first one's sign, with noise) and 16 features at 0 (the middle of their bounds) in every
record. The canary sets those 16 to their upper bound (scaled norm 4, eighty times the clip
norm 0.05), with label 1; the reference is the same record with them at 0. Logistic
regression, ``clip_norm=0.05``, ``batch_size=50`` (sampling rate 1/2), ``epochs=10``
(20 steps: the canary is left out of every step once in a million trainings),
``bounds=(-1, 1)``, ``classes=[0, 1]``, δ = 1/(10 n).

Tests (``--sections``):

* **reference** (the audit): the canary's log-odds of its label minus the reference's, i.e.
  the sum of the 16 weights that only the canary and the noise move;
* **loss**: the canary's own log-odds, a decreasing function of its log-loss (the textbook
  "canary's loss" test), at a few hundred trials: it also varies with the intercept, which
  the other records move, and shows how a weaker test proves less.

Run (about 8 minutes on 2 shared cores; ``--quick`` about 1 minute)::

    python benchmarks/dp_audit.py --out benchmarks/results/dp_audit_YYYY-MM-DD.txt

Only tabinvert's public API is used (``tabinvert.dp``).
"""

from __future__ import annotations

import os

# One thread per process: the trainings run in parallel (--n-jobs).
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

import argparse  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Report, choices, header, options_text  # noqa: E402

SECTIONS = ("reference", "loss")
N_RECORDS, N_INFORMATIVE, N_CANARY_FEATURES = 100, 2, 16
TRAINING = dict(clip_norm=0.05, epochs=10, batch_size=50, bounds=(-1, 1), classes=[0, 1])
CONFIDENCE = 0.95


def setting(seed):
    """``D`` (X, y), the canary ``(x, label)`` and the reference record."""
    rng = np.random.default_rng(seed)
    X = np.zeros((N_RECORDS, N_INFORMATIVE + N_CANARY_FEATURES))
    X[:, :N_INFORMATIVE] = rng.uniform(-1, 1, (N_RECORDS, N_INFORMATIVE))
    y = (X[:, 0] + 0.3 * rng.normal(size=N_RECORDS) > 0).astype(int)
    canary = np.zeros(X.shape[1])
    canary[N_INFORMATIVE:] = 1.0
    return X, y, (canary, 1), np.zeros(X.shape[1])


def trainers():
    """The honest trainer and the two broken on purpose (same parameters, same claim)."""
    from tabinvert.dp import DPSGDClassifier

    class NoNoise(DPSGDClassifier):
        def _noise_std(self):
            return 0.0

    class NoClipping(DPSGDClassifier):
        def _clip_factors(self, norms):
            return np.ones_like(norms)

    return {"honest": DPSGDClassifier, "noise off": NoNoise, "clipping off": NoClipping}


def evaluation_trials(epsilon, *, margin, minimum, delta):
    """The fewest evaluation trials per side whose ceiling (the bound of a test without
    error) reaches ``epsilon + margin``, and at least ``minimum``."""
    from tabinvert.dp import epsilon_lower_bound

    def ceiling(m):
        return epsilon_lower_bound(0, m, 0, m, delta=delta, confidence=CONFIDENCE)

    high = max(minimum, 2)
    while ceiling(high) < epsilon + margin:
        high *= 2
    low = max(minimum, 1) - 1  # ceiling(low) < target or low below the minimum
    while high - low > 1:
        middle = (low + high) // 2
        if middle >= minimum and ceiling(middle) >= epsilon + margin:
            high = middle
        else:
            low = middle
    return high


def verdict(trainer, result):
    if trainer == "honest":
        return "pass (bound < claim)" if not result.refutes_claim else "FAIL: claim refuted"
    if result.refutes_claim:
        return "detected"
    if result.epsilon_ceiling <= result.claimed_epsilon:
        return "not detectable: too few trials"
    return "NOT DETECTED"


def run(report, args, section, epsilons, plan):
    """One table: every claimed ε × trainer, ``plan(ε) -> (selection, evaluation)`` trials."""
    from tabinvert.dp import audit_epsilon

    X, y, canary, reference = setting(args.random_state)
    use_reference = reference if section == "reference" else None
    rows, failures = [], []
    for epsilon in epsilons:
        n_select, n_eval = plan(epsilon)
        n_trials = n_select + n_eval
        for name, trainer in trainers().items():
            start = time.perf_counter()
            result = audit_epsilon(
                trainer(epsilon=epsilon, **TRAINING),
                X,
                y,
                canary,
                reference=use_reference,
                n_trials=n_trials,
                selection_fraction=(n_select + 0.5) / n_trials,
                confidence=CONFIDENCE,
                n_jobs=args.n_jobs,
                random_state=args.random_state,
            )
            seconds = time.perf_counter() - start
            assert (result.negatives, result.positives) == (n_eval, n_eval)
            text = verdict(name, result)
            if text not in ("pass (bound < claim)", "detected"):
                failures.append(f"ε={epsilon:g} {name}: {text}")
            rows.append(
                {
                    "claimed ε": f"{epsilon:g}",
                    "epsilon_": f"{result.claimed_epsilon:.3f}",
                    "trainer": name,
                    "trials/side": f"{n_select:,}+{n_eval:,}",
                    "FP": result.false_positives,
                    "FPR": f"{result.fpr:.4f}",
                    "FN": result.false_negatives,
                    "FNR": f"{result.fnr:.4f}",
                    "ceiling": f"{result.epsilon_ceiling:.2f}",
                    "ε lower bound": f"{result.epsilon_lower_bound:.3f}",
                    "verdict": text,
                    "seconds": f"{seconds:.0f}",
                }
            )
            print(f"  ... ε={epsilon:g} {name}: {text} ({seconds:.0f} s)", flush=True)
    report.table(pd.DataFrame(rows))
    return failures


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epsilons", default="0.5,1,2,4,8", help="claimed ε, comma-separated")
    parser.add_argument("--sections", default=",".join(SECTIONS), help="reference,loss")
    parser.add_argument(
        "--margin",
        type=float,
        default=0.3,
        help="evaluation trials so that a test without error bounds ε above claim + margin",
    )
    parser.add_argument(
        "--min-trials", type=int, default=200, help="evaluation trials per side, at least"
    )
    parser.add_argument(
        "--loss-trials", type=int, default=200, help="evaluation trials per side, loss test"
    )
    parser.add_argument("--loss-epsilons", default="1,2", help="claimed ε of the loss test")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--random-state", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="ε 1 and 2, 100 trials: ~1 min")
    parser.add_argument("--out", default=None, help="also write the output to this file")
    args = parser.parse_args(argv)
    args.sections = choices(parser, args.sections, SECTIONS, "section", required=True)
    if args.quick:
        args.epsilons, args.min_trials = "1,2", 100
        args.loss_epsilons, args.loss_trials = "1", 100
    epsilons = [float(e) for e in args.epsilons.split(",") if e.strip()]
    loss_epsilons = [float(e) for e in args.loss_epsilons.split(",") if e.strip()]

    report = Report()
    wall = time.perf_counter()
    header(
        report,
        "# dp_audit: empirical privacy audit of DP-SGD (honest, noise off, clipping off)",
        options_text(args),
        versions=("tabinvert", "dp-accounting", "scikit-learn", "numpy", "scipy", "joblib"),
    )
    delta = 1 / (10 * N_RECORDS)
    report(
        f"setting: D = {N_RECORDS} records, {N_INFORMATIVE} informative + {N_CANARY_FEATURES} "
        f"canary features (0 in D, 1 in the canary), canary label 1; DPSGDClassifier("
        + ", ".join(f"{k}={v}" for k, v in TRAINING.items())
        + f"); δ = 1/(10 n) = {delta:g}; confidence {CONFIDENCE:.0%} (Clopper–Pearson, "
        "Bonferroni-split between FPR and FNR); threshold chosen on the first trials of each "
        "side ('trials/side' = selection + evaluation), counts on the others"
    )
    report(
        "columns: epsilon_ = the ε every trainer reports (the PLD accountant's, for the "
        "calibrated noise; the broken ones report it too); FP/FPR = models trained without the "
        "canary called 'with' (evaluation trials); FN/FNR = models trained with it called "
        "'without'; ceiling = the bound of a test without error on these trials; verdict: "
        "honest passes when its bound stays below the claim, a broken trainer is detected when "
        "its bound exceeds the claim"
    )
    report()
    failures = []
    if "reference" in args.sections:
        report.banner(
            "Audit: canary's log-odds minus the reference's (the 16 weights only the canary moves)"
        )

        def plan(epsilon):
            n_eval = evaluation_trials(
                epsilon, margin=args.margin, minimum=args.min_trials, delta=delta
            )
            return max(100, math.ceil(n_eval / 10)), n_eval

        start = time.perf_counter()
        failures += run(report, args, "reference", epsilons, plan)
        report(f"[section reference: {time.perf_counter() - start:.0f} s]")
        report()
    if "loss" in args.sections:
        report.banner(
            "Weaker test: the canary's own log-odds (its log-loss), no reference, "
            f"{args.loss_trials} evaluation trials per side"
        )
        start = time.perf_counter()
        run(report, args, "loss", loss_epsilons, lambda epsilon: (100, args.loss_trials))
        report(
            "(a contrast, not a check: without the reference the score also carries the "
            "intercept, which every record moves, so the test errs more often and proves less "
            "from the same trainings; compare its errors with the audit's above)"
        )
        report(f"[section loss: {time.perf_counter() - start:.0f} s]")
        report()
    if failures:
        report("FAILED: " + "; ".join(failures))
    else:
        report("all checks hold: every honest bound below its claim, every broken trainer detected")
    report.finish(wall, args.out)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

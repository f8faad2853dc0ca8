"""The steps of :func:`assess`: check the inputs, split the holdout, run the attacks once,
summarise, measure exposure and defenses, record how to reproduce it."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
import hashlib
import platform
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.utils import check_random_state

from .._cache import run_cache
from .._progress import RunProgress, as_progress
from .._sklearn_compat import HasMethods, Interval, StrOptions, validate_params
from .._threat_models import RISK_LEVELS, THREAT_MODEL, WHITE_BOX_THREAT_MODEL
from .._validation import model_feature_names
from .._version import __version__
from ..attacks._base import capabilities_of, model_is_classifier
from ..evaluation import (
    _sweep_candidates,
    is_white_box,
    privacy_utility_frontier,
)
from ._aux_sizes import aux_size_table, check_aux_sizes
from ._exposure import _disparity, _exposure, _group_table, _groups
from ._result import Assessment
from ._running import _defense_sweep, _explanation_sweep, _records_with_value, _run_attacks
from ._summary import _membership_gap, _summary


def _data_hash(X, y=None):
    """sha256 of the records' contents (values and index), for the reproducibility block."""
    if X is None:
        return None
    frame = X if isinstance(X, pd.DataFrame) else pd.DataFrame(np.asarray(X))
    digest = hashlib.sha256(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    if y is not None:
        digest.update(
            pd.util.hash_pandas_object(pd.Series(np.asarray(y)), index=False).to_numpy().tobytes()
        )
    return digest.hexdigest()


def _rows(X, positions):
    return X.iloc[positions] if hasattr(X, "iloc") else np.asarray(X)[positions]


@validate_params(
    {
        "model": "no_validation",
        "X_train": ["array-like"],
        "y_train": ["array-like"],
        "X_holdout": ["array-like", None],
        "y_holdout": ["array-like", None],
        "sensitive": [str, Integral, list, tuple],
        "X_aux": ["array-like", None],
        "y_aux": ["array-like", None],
        "attacks": [StrOptions({"auto"}), list, tuple],
        "defenses": [dict, list, tuple, None],
        "group_by": [str, list, tuple, None],
        "aux_fraction": [Interval(Real, 0, 1, closed="neither")],
        "top_records": [Interval(Integral, 0, None, closed="left")],
        "min_group_size": [Interval(Integral, 1, None, closed="left")],
        "n_resamples": [Interval(Integral, 1, None, closed="left")],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "n_jobs": [Integral, None],
        "random_state": ["random_state"],
        "progress": [callable, "boolean", RunProgress, None],
        "access": [StrOptions({"api", "model-file", "both"})],
        "aux_sizes": [list, tuple, None],
        "aux_repeats": [Interval(Integral, 1, None, closed="left")],
        "tail_values": [dict, None],
        "candidates": [dict, None],
        "context": [dict, None],
        "models": [dict, None],
        "dp_epsilons": [list, tuple, None],
        "explainer": [HasMethods(["explain"]), None],
        "explainer_defenses": [list, tuple, None],
    },
    prefer_skip_nested_validation=False,
)
def assess(
    model,
    X_train,
    y_train,
    *,
    X_holdout=None,
    y_holdout=None,
    sensitive,
    X_aux=None,
    y_aux=None,
    attacks="auto",
    defenses=None,
    group_by=None,
    aux_fraction=0.5,
    top_records=20,
    min_group_size=20,
    n_resamples=1000,
    confidence=0.95,
    n_jobs=None,
    random_state=None,
    progress=None,
    access="both",
    aux_sizes=None,
    aux_repeats=5,
    tail_values=None,
    candidates=None,
    context=None,
    models=None,
    dp_epsilons=None,
    explainer=None,
    explainer_defenses=None,
):
    """Assess what an attacker can infer about the sensitive attributes of a model's training
    records, how sure that is, who is most exposed, and what defenses would change.

    Parameters
    ----------
    model : fitted classifier or regressor
        The model as deployed (any object with ``predict``, and ``predict_proba`` for the
        confidence attacks); a :class:`~sklearn.pipeline.Pipeline` on raw DataFrames works.
    X_train, y_train : DataFrame, array-like
        The model's training records, with the sensitive columns, and their labels (the
        members attacked).
    X_holdout, y_holdout : DataFrame, array-like, default=None
        Held-out records of the same population (non-members). Needed when ``X_aux`` is not
        given, and for the utility of defenses.
    sensitive : str or list of str
        The sensitive column(s).
    X_aux, y_aux : DataFrame, array-like, default=None
        The attacker's auxiliary records and labels. If not given, a random ``aux_fraction``
        share of the holdout is used (seeded by ``random_state``), and the rest of the holdout
        are the non-members attacked: the auxiliary records are never attacked.
    attacks : "auto" or list of attacks, default="auto"
        "auto": for classifiers with ``predict_proba``, MAP inversion, CSMIA, LOMIA (label-only,
        always) and MAP with an imputation prior (categorical attributes); for label-only
        classifiers, FJRMIA and LOMIA; for regressors, MAP with a Gaussian error model. When
        the model is a tree model the attacker can read (a scikit-learn decision tree, random
        forest, extra trees, gradient or histogram gradient boosting, an XGBoost model, or a
        Pipeline ending in one), also the white-box tree attack
        (:class:`~tabinvert.attacks.WhiteBoxTreeInversion`) for categorical attributes: it
        assumes the attacker holds the model itself, and the threat model says so. A model
        served through a defense (:class:`~tabinvert.defenses.DefendedClassifier`,
        :class:`~tabinvert.defenses.DefendedRegressor`) or a
        :class:`~tabinvert.defenses.QueryBudget` is a black box to the attacker: no white-box
        attack. :class:`~tabinvert.attacks.LearnedInversion` is not chosen (it trains a
        gradient-boosting attack model, cross-validated against the marginal, per attribute,
        which costs more than the other attacks together); pass it in a list to include it.
        A list of attack instances is run as given (each on its own ``sensitive`` column).
    defenses : list or dict of transformers, default=None
        Output defenses to sweep (:func:`~tabinvert.evaluation.evaluate_defenses`), with the
        same seed as the main results, so that the sweep's undefended (``"none"``) rows equal
        the corresponding rows of ``results``. White-box attacks are left out of the sweep: an
        output defense does not change what they read.
    group_by : str or list of str, default=None
        Columns of ``X_train`` whose groups' exposure is compared. "distinctive" records (the
        10% whose known values are rarest) are always compared with the rest.
    aux_fraction : float, default=0.5
        Share of the holdout given to the attacker when ``X_aux`` is None.
    top_records : int, default=20
        How many most-exposed training records to list per attribute. A record's exposure is
        the probability the attack gives its true value minus the probability imputation gives
        it. For a categorical attribute the records are scored with the deciding attack among
        those whose scores are probabilities
        (:func:`scores_are_probabilities`: every attack but CSMIA, whose scores only rank the
        candidates); when CSMIA is the only attack, its confidence is its hit (1 when its guess
        is right, 0 when not). The subgroup tables use the same attack.
    min_group_size : int, default=20
        Groups smaller than this are reported but not used for the disparity.
    n_resamples : int, default=1000
        Paired-bootstrap resamples for every advantage interval.
    confidence : float, default=0.95
        Level of every interval.
    n_jobs : int, default=None
        Parallel model queries.
    random_state : int, RandomState instance or None, default=None
        Seeds the auxiliary split, the attacks, the baseline and the bootstrap.
    progress : bool or callable, default=None
        None or False: silent (stage messages still go to the ``"tabinvert"`` logger at INFO,
        each step at DEBUG). True: a progress bar over attribute × attack × population (and
        defense) steps with an ETA (with ``pip install "tabinvert[progress]"``, when stderr is
        a terminal) and a line per stage on stderr. A callable: called with each stage message.
    access : {"api", "model-file", "both"}, default="both"
        Whose risk to rate. "api": an attacker who can only query the model as deployed (its
        probabilities or its labels); white-box attacks are not run. "model-file": an attacker
        who holds the model file (its internals), who can also query it, so this level is
        never below the API level. "both": a level for each, in ``summary``
        (``risk_level_api``, ``risk_level_model_file``); the headline ``risk_level`` is then the
        model-file level, and ``deciding_access`` says whether an API attack already reaches it.
        Every level is decided by the best lower bound of simultaneous intervals over the
        attacks that access allows (:func:`~tabinvert.evaluation.family_intervals`), so taking
        the best of several attacks keeps the false-alarm rate at ``1 - confidence``.
    aux_sizes : list of int and "all", default=None
        The attacker's data size (Jayaraman & Evans, CCS 2022: with thousands of auxiliary
        records imputation matches the attacks, with 50–500 the attacks win), e.g.
        ``(50, 500, "all")``: each attribute's deciding attacks are re-run on ``aux_repeats``
        seeded random samples of each size (the baseline fitted on the same sample, the
        candidate values kept) and their advantage on the training records averaged
        (``aux_sizes`` table). The headline is the worst size: ``summary["aux_size"]`` says
        which ("all" when the full auxiliary data is the worst).
    aux_repeats : int, default=5
        Samples per auxiliary size.
    tail_values : dict, default=None
        The value whose tail risk (``tail_risk`` table: the precision of each attack's 10,
        100 and 1% most confident inferences against imputation's own,
        :func:`~tabinvert.evaluation.tail_risk`) is reported, by categorical attribute, e.g.
        ``{"marital-status": "Divorced"}``; default: each attribute's rarest value in the
        auxiliary data.
    candidates : dict, default=None
        The values each categorical attribute may take, by column, e.g. ``{"genotype": ["*1/*1",
        "*1/*2", "*2/*2"]}``. Default: the values in the auxiliary data that the model's
        encoder knows; values it never saw are left out (a model cannot be asked about them),
        and the summary says which.
    context : dict, default=None
        What the report's first screen says about the assessment, for filing it with a DPIA:
        ``purpose``, ``controller``, ``assessor``, ``model_name``, ``model_version``,
        ``data_sources`` (a string or a list of strings) and ``model_file`` (the path of the
        model file: the report shows its name and SHA-256, never its content or its folder),
        e.g. ``{"purpose": "credit scoring", "controller": "Example Bank"}``. Values are
        strings; other keys are kept and shown. Kept in ``metadata["context"]``.
    models : dict of str to fitted model, default=None
        Alternative models trained on the same records (training-time defenses: a more
        regularised model, a private one), attacked beside the output ``defenses`` in the
        sweep (:func:`~tabinvert.evaluation.evaluate_defenses`). Needs held-out data.
    dp_epsilons : list of float, default=None
        Privacy budgets, e.g. ``(0.5, 1, 2, 4, 8)``: differentially private counterparts of
        the model's family are trained on ``X_train`` at each ε
        (:func:`~tabinvert.dp.private_counterparts`, ``pip install "tabinvert[dp]"``) and
        attacked in the sweep, members and non-members; the report says what ε means and the
        smallest ε at which no attack does measurably better than imputation. Their
        parameters and accounted ε are in ``metadata["dp"]``.
    explainer : explainer, default=None
        What the model's API returns beside its answer, when it explains them: an explainer of
        :mod:`tabinvert.explain` around the same model (contributions, Shapley values, reason
        codes, or a defended explainer). The explanation attacks
        (:class:`~tabinvert.attacks.ExplanationInversion`, "match" and "learned", each victim's
        explanation as the service gives it) join the attacks, and each attribute gets a third
        verdict, "API with explanations", beside the API's and the model file's
        (``risk_level_explanations`` in the summary); the report explains the channel. See
        :ref:`explanations`.
    explainer_defenses : list of defended explainers, default=None
        With ``explainer``: defended explainers of :mod:`tabinvert.explain` around it
        (``TopKContributions(explainer, k=3)``, ``RoundContributions``, ``DropContribution``,
        ``NoisyContributions``, ``ReasonCodes``). The explanation attacks run again under each,
        on the same records and seed, beside the explanations as served ("none"): the table
        ``explanation_defenses``, and a section of the report. The model's answers, and so the
        other attacks and the model's utility, are unchanged by them.

    Records whose sensitive value is missing are left out of that attribute's attacked set and
    counted (``metadata["left_out"]``, ``metadata["n_attacked"]``, and the sentence). When
    several attributes are assessed and one fails on its data (an attack refuses it, the model
    cannot answer), that attribute's row says why (level "undetermined") and the others
    complete.

    Returns
    -------
    Assessment

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from sklearn.ensemble import RandomForestClassifier
    >>> from tabinvert import assess

    A forest memorises its training records, noisy labels included; their secret shows in
    its confidence, while the population's statistics say nothing about it:

    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"age": rng.integers(20, 70, 1200), "secret": rng.integers(0, 2, 1200)})
    >>> y = rng.integers(0, 2, 1200)
    >>> model = RandomForestClassifier(100, random_state=0).fit(X[:600], y[:600])
    >>> result = assess(model, X[:600], y[:600], X_holdout=X[600:], y_holdout=y[600:],
    ...                 sensitive="secret", n_resamples=200, random_state=0)
    >>> result.summary[["sensitive", "risk_level"]].to_dict("records")
    [{'sensitive': 'secret', 'risk_level': 'high'}]
    """
    progress = as_progress(progress)
    sensitive, group_by, X_train, y_train, X_holdout, X_aux = _checked_inputs(
        model, X_train, y_train, X_holdout, y_holdout, X_aux, sensitive, group_by, defenses
    )
    check_aux_sizes(aux_sizes)  # refused before anything is asked of the model
    explainer_defenses = _checked_explainer_defenses(explainer, explainer_defenses)
    from ..report._context import check_context

    context = check_context(context)  # refused (naming the key) before any work, too
    rng = check_random_state(random_state)
    seed = int(rng.randint(np.iinfo(np.int32).max))
    # Refused before anything is trained or asked of the model; the DP counterparts are
    # trained last.
    planned = _planned_alternatives(model, models, dp_epsilons, X_holdout, defenses)
    alternatives, dp_record = _alternatives(model, X_train, y_train, models, planned, seed)
    split = _attacker_split(X_holdout, y_holdout, X_aux, y_aux, aux_fraction, rng)
    targets = {"members": (X_train, y_train)}
    if split.X_out is not None and len(split.X_out):
        targets["non-members"] = (split.X_out, split.y_out)

    with run_cache(), progress:  # each grid asked once, each imputation learner fitted once
        attack_sets, runs, left_out = _run_attacks(
            model,
            attacks,
            sensitive,
            split.X_aux,
            split.y_aux,
            targets,
            seed,
            n_jobs,
            n_resamples,
            confidence,
            progress,
            white_box=access != "api",
            candidates=candidates,
            explainer=explainer,
        )
        results = pd.concat([run.table for run in runs.values()], ignore_index=True)
        gap = _membership_gap(results)
        white_box = {
            (column, name)
            for column, chosen in attack_sets.items()
            for name, attack in chosen.items()
            if is_white_box(attack)
        }
        summary = _summary(results, gap, confidence, _access_families(runs), access)
        summary = _with_left_out(summary, left_out)
        tail = _tail_risk(runs, tail_values)
        sized = None
        if aux_sizes:
            sizes = ", ".join(map(str, aux_sizes))
            progress.stage(f"the deciding attacks with {sizes} auxiliary records")
            sized = aux_size_table(
                runs,
                summary,
                split.X_aux,
                split.y_aux,
                targets,
                aux_sizes,
                repeats=aux_repeats,
                seed=seed,
                n_resamples=n_resamples,
                confidence=confidence,
            )
            summary = _summary(
                results, gap, confidence, _access_families(runs), access, sized=sized
            )
            summary = _with_left_out(summary, left_out)
        progress.stage("per-record and subgroup exposure")
        exposure, exposed_records = _exposure(results, summary, runs, X_train, y_train, top_records)
        by_group = _group_table(
            exposure, _groups(X_train, sensitive, group_by), min_group_size, alpha=1 - confidence
        )
        defense_table = frontier = None
        if defenses or alternatives:
            defense_table = _sweep(
                model,
                defenses,
                alternatives,
                attack_sets,
                runs,
                split,
                targets,
                seed,
                n_resamples,
                confidence,
                progress,
            )
            frontier = privacy_utility_frontier(defense_table)
        explanation_defenses = None
        if explainer_defenses:
            explanation_defenses = _explanation_sweep(
                explainer,
                explainer_defenses,
                attack_sets,
                split.X_aux,
                split.y_aux,
                targets,
                seed,
                n_resamples,
                confidence,
                progress,
            )

    metadata = _metadata(
        model,
        X_train,
        y_train,
        split,
        sensitive,
        group_by,
        random_state,
        seed,
        n_resamples,
        confidence,
    )
    metadata.update(_run_record(runs, left_out, context, dp_record, models, defenses))
    endpoint = _endpoint_record(model)
    if endpoint is not None:
        metadata["endpoint"] = endpoint
    threat_model = THREAT_MODEL + ("\n\n" + WHITE_BOX_THREAT_MODEL if white_box else "")
    return Assessment(
        summary=summary,
        results=results,
        membership_gap=gap,
        exposed_records=exposed_records,
        by_group=by_group,
        disparity=_disparity(by_group),
        defenses=defense_table,
        frontier=frontier,
        threat_model=threat_model,
        metadata=metadata,
        tail_risk=tail,
        aux_sizes=sized,
        explanation_defenses=explanation_defenses,
    )


def _sweep(
    model,
    defenses,
    alternatives,
    attack_sets,
    runs,
    split,
    targets,
    seed,
    n_resamples,
    confidence,
    progress,
):
    """The defense sweep over every attribute at once, on the records that hold a value for
    each of them, with the alternative models beside the output defenses."""
    X_sweep, y_sweep, targets_sweep = split.X_aux, split.y_aux, targets
    for column in runs:
        X_sweep, y_sweep, targets_sweep, _ = _records_with_value(
            column, X_sweep, y_sweep, targets_sweep
        )
    return _defense_sweep(
        model,
        defenses or [],
        attack_sets,
        runs,
        X_sweep,
        y_sweep,
        targets_sweep,
        split.X_out,
        split.y_out,
        list(runs),
        seed,
        n_resamples,
        confidence,
        progress,
        models=alternatives,
    )


def _run_record(runs, left_out, context, dp_record, models, defenses):
    """What the run adds to the metadata: who was left out and who was attacked, the
    context, the DP counterparts, the alternative models and every defense's parameters."""
    record = {
        "left_out": left_out,
        "context": context,
        "n_attacked": {
            column: {population: len(truth) for population, truth in run.truths.items()}
            for column, run in runs.items()
        },
    }
    if dp_record:
        record["dp"] = dp_record
    if models:
        record["alternatives"] = [str(name) for name in models]
    if defenses:
        from ..report._defenses import sweep_parameters

        record["defenses"] = sweep_parameters(defenses)  # every parameter, by sweep name
    return record


def _planned_alternatives(model, models, dp_epsilons, X_holdout, defenses):
    """Refuse what would stop the sweep, before any DP counterpart is trained: the names the
    counterparts will take (``{name: (family, ε)}``, empty without ``dp_epsilons``)."""
    planned = {}
    if dp_epsilons:
        from ..dp import counterpart_names
        from ..dp._counterparts import check_epsilons

        planned = counterpart_names(model, check_epsilons(dp_epsilons, "dp_epsilons"))
    if (models or planned) and X_holdout is None:
        raise ValueError(
            "Measuring alternative models (models=, dp_epsilons=) needs held-out data for "
            "their utility: pass X_holdout and y_holdout."
        )
    clash = sorted(set(models or {}) & set(planned))
    if clash:
        raise ValueError(
            f"models= uses the name(s) {clash}, which the DP counterparts take; give those "
            "models other names."
        )
    if defenses or models or planned:  # the sweep's names, checked with stand-ins
        stand_in = dict(models or {}, **{name: model for name in planned})
        _sweep_candidates(model, defenses or [], stand_in)
    return planned


def _alternatives(model, X_train, y_train, models, planned, seed):
    """The sweep's alternative models: the caller's ``models`` and the DP counterparts
    ``planned`` (trained here, seeded by ``seed``), with what the report needs of the latter
    (``metadata["dp"]``)."""
    alternatives = dict(models or {})
    if not planned:
        return alternatives, None
    from ..dp import PREPROCESSING_NOTE, counterpart_families, private_counterparts

    epsilons = list(dict.fromkeys(epsilon for _, epsilon in planned.values()))
    counterparts = private_counterparts(model, X_train, y_train, epsilons, random_state=seed)
    _, same_family = counterpart_families(model)
    record = {
        "epsilons": epsilons,
        "same_family": bool(same_family),
        "note": PREPROCESSING_NOTE,
        "models": {},
    }
    for name, (family, epsilon) in planned.items():
        estimator = counterparts[name][-1]
        record["models"][name] = {
            "family": family,
            "epsilon": epsilon,
            "epsilon_accounted": float(estimator.epsilon_),
            "delta": float(estimator.delta_),
            "noise_multiplier": float(estimator.noise_multiplier_),
            "n_steps": int(estimator.n_steps_),
            "parameters": {
                key: value if np.isscalar(value) or value is None else repr(value)
                for key, value in estimator.get_params().items()
                if key != "bounds"
            },
        }
    alternatives.update(counterparts)
    return alternatives, record


def _with_left_out(summary, left_out):
    """The summary with what each attribute's run left out said in its sentence, and a row
    for each attribute whose run failed (its level "undetermined", the error in words)."""
    summary = summary.copy()
    for position, row in summary.iterrows():
        out = left_out.get(row["sensitive"], {})
        notes = []
        missing = out.get("missing", {}).get("members", 0)
        if missing:
            notes.append(
                f"{missing:,} training record(s) with no recorded {row['sensitive']!r} were "
                "left out of the attacked set"
            )
        unanswerable = out.get("unanswerable", {}).get("members", 0)
        if unanswerable:
            notes.append(
                f"{unanswerable:,} training record(s) holding a category the model's encoder "
                "never saw in another column were left out (the model cannot answer about them)"
            )
        if out.get("unseen"):
            unseen = ", ".join(repr(v) for v in out["unseen"][:10])
            notes.append(
                f"value(s) {unseen} were left out of the candidates: the model's encoder never "
                "saw them, so no attack can tell them apart"
            )
        if notes:
            summary.at[position, "sentence"] = row["sentence"] + " Note: " + "; ".join(notes) + "."
    failed = [
        dict(
            sensitive=column,
            risk_level="undetermined",
            sentence=f"{column!r} could not be assessed: {out['error']}",
            aux_size="all",
        )
        for column, out in left_out.items()
        if out.get("error")
    ]
    if failed:
        summary = pd.concat([summary, pd.DataFrame(failed)], ignore_index=True)
    return summary


def _tail_risk(runs, tail_values):
    """The tail-risk table of every categorical attribute (:func:`tail_risk`)."""
    tail_values = dict(tail_values or {})
    unknown = set(tail_values) - set(runs)
    if unknown:
        raise ValueError(
            f"tail_values names {sorted(map(str, unknown))}, which are not sensitive columns "
            f"assessed ({list(runs)}); name a sensitive column."
        )
    parts = [run.tail_risk(tail_values.get(column)) for column, run in runs.items()]
    parts = [part for part in parts if len(part)]
    return pd.concat(parts, ignore_index=True) if parts else None


def _checked_explainer_defenses(explainer, explainer_defenses):
    """The defended explainers, refused now when there is no explainer or one cannot explain."""
    defenses = list(explainer_defenses or [])
    if defenses and explainer is None:
        raise ValueError(
            "explainer_defenses are defended versions of the explanations the API returns: "
            "pass explainer= too (the explanations as served)."
        )
    for position, defended in enumerate(defenses):
        if not callable(getattr(defended, "explain", None)) or not hasattr(defended, "keeps"):
            raise ValueError(
                f"explainer_defenses[{position}] ({type(defended).__name__}) is not a defended "
                "explainer of tabinvert.explain (TopKContributions, RoundContributions, "
                "DropContribution, NoisyContributions, ReasonCodes)."
            )
    return defenses


def _access_families(runs):
    """The family-wise intervals of each access's attacks, per sensitive column: the API's
    (attacks that only query the model's answers), the API's with explanations (those and the
    explanation attacks) and the model file's (every attack)."""
    families = {"api": [], "explanations": [], "model-file": []}
    for column, run in runs.items():
        access = {name: capabilities_of(attack).access for name, attack in run.attacks.items()}
        api = [name for name, attack in run.attacks.items() if not is_white_box(attack)]
        answers = [name for name in api if access[name] != "explanations"]
        chosen = [("api", answers), ("model-file", list(run.attacks))]
        if len(answers) < len(api):
            chosen.append(("explanations", api))
        for name, names in chosen:
            families[name].append(run.family_intervals(names).assign(sensitive=column))
    return {
        access: pd.concat(parts, ignore_index=True) for access, parts in families.items() if parts
    }


def _checked_inputs(
    model, X_train, y_train, X_holdout, y_holdout, X_aux, sensitive, group_by, defenses
):
    """Refuse what cannot be assessed before anything is asked of the model; the column lists
    as lists, arrays as frames (columns by position)."""
    sensitive = [sensitive] if isinstance(sensitive, (str, Integral)) else list(sensitive)
    group_by = (
        [] if group_by is None else [group_by] if isinstance(group_by, str) else list(group_by)
    )
    for option, names in (("sensitive", sensitive), ("group_by", group_by)):
        repeated = sorted({repr(name) for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(
                f"{option} names the column(s) {', '.join(repeated)} more than "
                "once; name each column once."
            )
    if not isinstance(X_train, pd.DataFrame):
        X_train = pd.DataFrame(np.asarray(X_train))
        X_holdout = None if X_holdout is None else pd.DataFrame(np.asarray(X_holdout))
        X_aux = None if X_aux is None else pd.DataFrame(np.asarray(X_aux))
    for column in sensitive + group_by:
        if column not in X_train.columns:
            raise ValueError(
                f"Column {column!r} is not in X_train (columns: {list(X_train.columns)[:20]}). "
                "Pass the name of a column of the training data."
            )
    if len(X_train) == 0:
        raise ValueError("X_train is empty: there are no training records to assess.")
    y_train = np.asarray(y_train)
    if len(y_train) != len(X_train):
        raise ValueError(f"y_train has {len(y_train)} labels for {len(X_train)} records.")
    if not sensitive:
        raise ValueError("sensitive is empty: name at least one sensitive column to attack.")
    if X_holdout is not None and y_holdout is None:
        raise ValueError("X_holdout was given without y_holdout; pass both.")
    if X_holdout is not None and len(np.asarray(y_holdout)) != len(X_holdout):
        raise ValueError(
            f"y_holdout has {len(np.asarray(y_holdout))} labels for "
            f"{len(X_holdout)} records in X_holdout."
        )
    if defenses:  # refused now, not after every attack has queried the model
        _sweep_candidates(model, defenses, None)
    return sensitive, group_by, X_train, y_train, X_holdout, X_aux


@dataclass
class _AttackerSplit:
    """The attacker's auxiliary records, the non-members, and where they came from."""

    X_aux: object
    y_aux: object
    X_out: object
    y_out: object
    source: str


def _attacker_split(X_holdout, y_holdout, X_aux, y_aux, aux_fraction, rng):
    """Given auxiliary data, the holdout are the non-members; otherwise a seeded share of the
    holdout becomes the attacker's and the rest the non-members."""
    if X_aux is not None:
        if y_aux is None:
            raise ValueError(
                "X_aux was given without y_aux: the attacker's auxiliary records need their labels."
            )
        y_out = None if y_holdout is None else np.asarray(y_holdout)
        return _AttackerSplit(
            X_aux, np.asarray(y_aux), X_holdout, y_out, f"the {len(X_aux)} records passed as X_aux"
        )
    if X_holdout is None or len(X_holdout) < 4:
        raise ValueError(
            "The attacker needs auxiliary data: pass X_aux and y_aux, or a holdout "
            "(X_holdout, y_holdout) of at least 4 records, a share of which is given to "
            "the attacker."
        )
    order = rng.permutation(len(X_holdout))
    n_aux = min(max(2, int(round(aux_fraction * len(X_holdout)))), len(X_holdout) - 2)
    y_holdout = np.asarray(y_holdout)
    return _AttackerSplit(
        _rows(X_holdout, order[:n_aux]),
        y_holdout[order[:n_aux]],
        _rows(X_holdout, order[n_aux:]),
        y_holdout[order[n_aux:]],
        f"{n_aux} of the {len(X_holdout)} holdout records (share {aux_fraction}, "
        f"seeded); the other {len(X_holdout) - n_aux} are the non-members",
    )


def _metadata(
    model, X_train, y_train, split, sensitive, group_by, random_state, seed, n_resamples, confidence
):
    """What is needed to reproduce the assessment: versions, seeds, sizes, data hashes."""
    return {
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "versions": _versions(),
        "random_state": random_state if isinstance(random_state, (int, type(None))) else "instance",
        "seed": seed,
        "model": f"{type(model).__module__}.{type(model).__qualname__}",
        "model_summary": _model_summary(model),
        "model_is_classifier": bool(model_is_classifier(model)),
        "model_answers": _model_answers(model),
        "model_columns": model_feature_names(model),
        "sensitive": sensitive,
        "group_by": group_by,
        "n_train": len(X_train),
        "n_non_members": 0 if split.X_out is None else len(split.X_out),
        "n_aux": len(split.X_aux),
        "aux_source": split.source,
        "data_sha256": {
            "train": _data_hash(X_train, y_train),
            "non_members": _data_hash(split.X_out, split.y_out),
            "aux": _data_hash(split.X_aux, split.y_aux),
        },
        "n_resamples": n_resamples,
        "confidence": confidence,
        "risk_levels": {level: threshold for threshold, level in RISK_LEVELS},
        "distinctive_rule": "the 10% of training records whose non-sensitive values are the "
        "least common (mean share of records with the same value; 10 "
        "equal-width bins for numeric columns)",
    }


def _model_answers(model):
    """What the model returns to a query: "probabilities", "labels" (a classifier without
    predict_proba, such as a service that returns labels only) or "values" (a regressor)."""
    if not model_is_classifier(model):
        return "values"
    return "probabilities" if hasattr(model, "predict_proba") else "labels"


def _endpoint_record(model):
    """Where a model behind an HTTP service was queried and what was sent, or None."""
    record = getattr(model, "endpoint_record", None)
    return record() if callable(record) else None


def _versions():
    from importlib import metadata as importlib_metadata

    versions = {"tabinvert": __version__, "python": platform.python_version()}
    for name in (
        "scikit-learn",
        "numpy",
        "pandas",
        "scipy",
        "joblib",
        "xgboost",
        "xgboost-cpu",
        "matplotlib",
        "skops",
        "dp-accounting",
        "onnxruntime",
        "onnx",
        "urllib3",
        "lightgbm",
        "catboost",
    ):
        try:
            versions[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            continue
    return versions


def _model_summary(model):
    text = repr(model)
    return text if len(text) <= 2000 else text[:2000] + " …"

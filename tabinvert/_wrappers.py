"""How tabinvert looks through the models it wraps: one documented protocol.

A wrapper puts another model behind its own prediction methods: an output defense
(:class:`~tabinvert.defenses.DefendedClassifier`, :class:`~tabinvert.defenses.DefendedRegressor`),
a quota (:class:`~tabinvert.defenses.QueryBudget`), or the completing model through which
:class:`~tabinvert.attacks.JointInversion` queries. A wrapper declares, as attributes:

``_inner_model``
    The model it wraps (fitted), so that code can look through the chain: the query engine
    reads the declared defenses, the assessment finds a budget, the white-box attacks find
    (or refuse) the model file behind it. Private on purpose: a defended model does not offer
    its inner model to callers, but tabinvert may look.
``_tabinvert_shared_state``
    True when every call must reach this very object (a budget's counters): the query engine
    then runs parallel queries on threads, never in worker processes that would each hold a
    copy. A wrapper around such a model passes the flag on.
``defense_``
    For a defended model, its fitted output defense (or a Pipeline of them), whose
    ``keeps_row_sums`` says whether rows of probabilities still sum to 1.
``_tabinvert_raw_method`` and ``_tabinvert_defend(raw, response_method)``
    For a defended model whose every answer is a function of its inner model's raw answers
    (``_tabinvert_raw_method`` of the inner model): what it would serve for ``raw``. Within a
    run (:mod:`tabinvert._cache`), the query engine asks the inner model once and defends the
    remembered answers for every defense, instead of asking again.

Nothing else is read through a wrapper.
"""

from __future__ import annotations

#: The longest chain of wrappers followed (a chain never loops, but a bound costs nothing).
MAX_DEPTH = 10


def wrapper_chain(model):
    """``model`` and every model it wraps, outermost first.

    Examples
    --------
    >>> from sklearn.dummy import DummyClassifier
    >>> from tabinvert._wrappers import wrapper_chain
    >>> from tabinvert.defenses import QueryBudget
    >>> inner = DummyClassifier().fit([[0], [1]], [0, 1])
    >>> [type(m).__name__ for m in wrapper_chain(QueryBudget(inner))]
    ['QueryBudget', 'DummyClassifier']
    """
    chain = []
    while model is not None and len(chain) < MAX_DEPTH:
        chain.append(model)
        model = getattr(model, "_inner_model", None)
    return chain


def requires_shared_memory(model):
    """Whether some model in the chain must see every call itself (``_tabinvert_shared_state``)."""
    return any(getattr(m, "_tabinvert_shared_state", False) for m in wrapper_chain(model))


def declared_defenses(model):
    """The output defenses declared along the chain (``defense_``), Pipelines step by step."""
    found = []
    for wrapper in wrapper_chain(model):
        defense = getattr(wrapper, "defense_", None)
        if defense is not None:
            steps = getattr(defense, "steps", None)
            found.extend([step for _, step in steps] if steps else [defense])
    return found


def is_wrapped(model):
    """Whether ``model`` hides another model behind its methods (a defense, a quota, ...)."""
    return len(wrapper_chain(model)) > 1

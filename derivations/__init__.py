"""derivations: SymPy proofs of the mathematics behind funcnet and its lesson.

Each topic module exposes ``CHECKS``, a tuple of functions with no arguments that
return a :class:`Result`; :mod:`derivations.claims` judges the lesson's claims from
those results. ``python -m derivations`` prints everything. Only
:mod:`derivations.crosscheck` imports funcnet (and JAX), and only when its checks run;
funcnet never imports this package.

Example:
    >>> results = run(["affine"])
    >>> all(r.verified for r in results), results[0].id
    (True, 'affine.scalar_collapse')
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from derivations._result import ClaimVerdict, Result, run_check

__all__ = ["TOPICS", "ClaimVerdict", "Result", "run"]

#: Topic name -> module holding its ``CHECKS``, in report order.
TOPICS: dict[str, str] = {
    "activations": "derivations.activations",
    "softmax": "derivations.softmax",
    "affine": "derivations.affine",
    "convexity": "derivations.convexity",
    "fourier": "derivations.fourier",
    "taylor": "derivations.taylor",
    "backprop": "derivations.backprop",
    "crosscheck": "derivations.crosscheck",
}


def run(topics: Iterable[str] | None = None) -> list[Result]:
    """Runs the checks of the given topics (all by default), in report order.

    Args:
        topics: Topic names from :data:`TOPICS`.

    Returns:
        One result per check; a check that raises becomes a failed result.

    Raises:
        ValueError: if a topic is unknown.

    Example:
        >>> [r.id for r in run(["backprop"])]
        ['backprop.backward_needs_forward', 'backprop.prediction_needs_no_loss']
    """
    wanted = list(TOPICS) if topics is None else list(topics)
    unknown = [t for t in wanted if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown topic(s) {unknown}; choose from {list(TOPICS)}")
    results = []
    for topic in TOPICS:  # report order, whatever order the caller gave
        if topic in wanted:
            module = importlib.import_module(TOPICS[topic])
            results.extend(run_check(check, topic) for check in module.CHECKS)
    return results

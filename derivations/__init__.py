"""derivations: SymPy proofs of the mathematics behind funcnet and its lesson.

Each topic module exposes ``CHECKS``, a tuple of functions with no arguments that
return a :class:`Result`; :mod:`derivations.claims` judges the lesson's claims from
those results. ``python -m derivations`` prints everything. Only
:mod:`derivations.crosscheck` and :mod:`derivations.computation` (the traced graph and
XLA's costs) import funcnet (and JAX), and only when their checks run; funcnet never
imports this package.

Examples:
    >>> results = run(["affine"])
    >>> all(r.verified for r in results), results[0].id
    (True, 'affine.scalar_collapse')
"""

from __future__ import annotations

import atexit
import concurrent.futures
import contextlib
import importlib
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator

from derivations._result import ClaimVerdict, Result, run_check

__all__ = ["ISOLATED", "TOPICS", "ClaimVerdict", "Result", "run", "stream"]

TOPICS: dict[str, str] = {
    "activations": "derivations.activations",
    "softmax": "derivations.softmax",
    "affine": "derivations.affine",
    "convexity": "derivations.convexity",
    "fourier": "derivations.fourier",
    "taylor": "derivations.taylor",
    "backprop": "derivations.backprop",
    "computation": "derivations.computation",
    "crosscheck": "derivations.crosscheck",
}
"""Topic name -> module holding its ``CHECKS``, in report order."""

ISOLATED: tuple[str, ...] = ("fourier", "crosscheck")
"""Topics ``python -m derivations`` runs in a worker process while the others run in its
own, on a second core: the cross-check, whose JAX import and XLA compilation then
overlap with the SymPy checks (and whose 64-bit switch stays out of the main process),
and the Fourier topic, the only one that integrates symbolically, so SymPy's integrator
warms up there alone. Together they take about as long as the rest."""


def stream(
    topics: Iterable[str] | None = None, *, isolated: Iterable[str] = ()
) -> Iterator[Result]:
    """Yields the checks' results in report order, each as soon as it is known.

    Topics named in ``isolated`` start at once in one worker process when other topics
    run too; their results are yielded in their place in the order all the same. A
    check that raises, here or in the worker, becomes a failed result (see
    :func:`derivations._result.run_check`). If no worker can start, or it stops before
    answering, those checks run here instead. The worker is a fresh interpreter that
    imports the caller's main module, so a script that isolates topics needs the
    ``if __name__ == "__main__":`` guard (``python -m derivations`` has it).

    Args:
        topics: Topic names from :data:`TOPICS` (all by default).
        isolated: Topics to run in a worker process, e.g. :data:`ISOLATED`; by default
            everything runs in this process.

    Yields:
        One result per check.

    Raises:
        ValueError: if a topic is unknown.

    Examples:
        >>> [r.id for r in stream(["backprop"])]
        ['backprop.backward_needs_forward', 'backprop.prediction_needs_no_loss']
    """
    wanted = _wanted(topics)
    aside = [t for t in wanted if t in set(isolated)]
    if len(aside) == len(wanted):
        aside = []  # nothing to overlap with
    with _worker(aside) as pending:
        for topic in wanted:
            for check in importlib.import_module(TOPICS[topic]).CHECKS:
                yield pending(check, topic) if topic in aside else run_check(check, topic)


def run(topics: Iterable[str] | None = None) -> list[Result]:
    """Runs the checks of the given topics (all by default), in report order.

    Args:
        topics: Topic names from :data:`TOPICS`.

    Returns:
        One result per check; a check that raises becomes a failed result.

    Raises:
        ValueError: if a topic is unknown.

    Examples:
        >>> [r.id for r in run(["backprop"])]
        ['backprop.backward_needs_forward', 'backprop.prediction_needs_no_loss']
    """
    return list(stream(topics))  # all in this process


def _wanted(topics: Iterable[str] | None) -> list[str]:
    wanted = list(TOPICS) if topics is None else list(topics)
    unknown = [t for t in wanted if t not in TOPICS]
    if unknown:
        raise ValueError(f"unknown topic(s) {unknown}; choose from {list(TOPICS)}")
    return [t for t in TOPICS if t in wanted]  # report order, whatever order the caller gave


@contextlib.contextmanager
def _worker(topics: list[str]) -> Iterator[Callable[[Callable[[], Result], str], Result]]:
    """Submits every check of ``topics`` to one worker process; yields a result getter."""
    executor, futures = _start(topics)
    if executor is None:
        yield run_check
        return

    def collect(check: Callable[[], Result], topic: str) -> Result:
        try:
            return futures[check].result()
        except Exception:  # the worker stopped or could not take the check: run it here
            return run_check(check, topic)

    try:
        yield collect
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _start(
    topics: list[str],
) -> tuple[
    concurrent.futures.Executor | None, dict[Callable[[], Result], concurrent.futures.Future]
]:
    if not topics:
        return None, {}
    checks = [(c, t) for t in topics for c in importlib.import_module(TOPICS[t]).CHECKS]
    try:
        # spawn: a fresh interpreter, safe even when this process already runs JAX's threads.
        context = multiprocessing.get_context("spawn")
        executor = concurrent.futures.ProcessPoolExecutor(
            max_workers=1, mp_context=context, initializer=_exit_without_teardown
        )
        return executor, {
            check: executor.submit(run_check, check, topic) for check, topic in checks
        }
    except OSError:  # no worker process can start here: everything runs in this process
        return None, {}


def _exit_without_teardown() -> None:
    # Runs in the worker. By the time it is asked to stop, every result it computed has
    # been delivered (multiprocessing flushes its queues before the interpreter exits),
    # so the interpreter's own teardown (JAX's and SymPy's modules, about half a second,
    # which the calling process would wait for) is skipped.
    atexit.register(os._exit, 0)

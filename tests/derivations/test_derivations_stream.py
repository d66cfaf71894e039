"""``derivations.stream``: report order, and topics run aside in a worker process."""

from __future__ import annotations

import sys
import types

import pytest
import sympy as sp

import derivations
from derivations import Result
from derivations._result import result


def test_an_isolated_topic_gives_the_same_results_in_order(results: dict[str, Result]) -> None:
    # affine runs in the worker process while backprop runs here; the order is the report's.
    found = list(derivations.stream(["backprop", "affine"], isolated=("affine",)))
    expected = [r for r in results.values() if r.topic in ("affine", "backprop")]
    assert [r.id for r in found] == [r.id for r in expected]
    assert [(r.verified, r.statement, r.steps) for r in found] == [
        (r.verified, r.statement, r.steps) for r in expected
    ]


def test_run_and_stream_stay_in_this_process_unless_asked(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_processes(method: str) -> object:
        raise AssertionError(f"a {method} process was started")

    monkeypatch.setattr(derivations.multiprocessing, "get_context", no_processes)
    assert [r.topic for r in derivations.run(["backprop", "affine"])][-1] == "backprop"


def _statement() -> sp.Basic:
    return sp.Eq(sp.Symbol("x"), 1)


def unpicklable_topic(monkeypatch: pytest.MonkeyPatch) -> None:
    # A check defined inside a function cannot be sent to a worker process.
    def local() -> Result:
        """A check the worker never receives."""
        return result("aside.local", claim="c", statement=_statement(), verified=True)

    module = types.ModuleType("fake_aside")
    module.CHECKS = (local,)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(derivations.TOPICS, "aside", module.__name__)


def test_a_check_the_worker_cannot_take_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    unpicklable_topic(monkeypatch)
    found = list(derivations.stream(["backprop", "aside"], isolated=("aside",)))
    assert [r.id for r in found] == [
        "backprop.backward_needs_forward",
        "backprop.prediction_needs_no_loss",
        "aside.local",
    ]
    assert all(r.verified for r in found)


def test_an_isolated_topic_alone_runs_here(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing to overlap with: no worker is started, so even a local check runs.
    unpicklable_topic(monkeypatch)
    (found,) = derivations.stream(["aside"], isolated=("aside",))
    assert found.verified


def test_unknown_topics_are_refused_before_anything_runs() -> None:
    with pytest.raises(ValueError, match=r"unknown topic\(s\) \['trigonometry'\]"):
        next(derivations.stream(["affine", "trigonometry"]))


def test_without_a_worker_process_the_isolated_topics_run_here(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_processes(method: str) -> object:
        raise OSError(f"cannot start a {method} process here")

    monkeypatch.setattr(derivations.multiprocessing, "get_context", no_processes)
    unpicklable_topic(monkeypatch)  # runs fine here, where nothing is pickled
    found = list(derivations.stream(["backprop", "aside"], isolated=("aside",)))
    assert [r.id for r in found][-1] == "aside.local"
    assert all(r.verified for r in found)

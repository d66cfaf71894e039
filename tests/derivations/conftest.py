"""Fixtures for the derivations tests: every check runs once per session."""

from __future__ import annotations

import pytest
import sympy

import derivations
from derivations import Result


@pytest.fixture(scope="session")
def _session_run() -> tuple[dict[str, Result], set[str]]:
    """Every check's result, and every string ``sympy.latex`` returned while they ran.

    All topics run in this process (no worker), so that the recording sees every call.
    """
    written: set[str] = set()
    real = sympy.latex

    def recording(expr: object, **settings: object) -> str:
        text = real(expr, **settings)
        written.add(text)
        return text

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sympy, "latex", recording)
        results = {r.id: r for r in derivations.stream(isolated=())}
    return results, written


@pytest.fixture(scope="session")
def results(_session_run: tuple[dict[str, Result], set[str]]) -> dict[str, Result]:
    """Every check's result, by id (the full run, as ``python -m derivations`` does it)."""
    return _session_run[0]


@pytest.fixture(scope="session")
def latex_written(_session_run: tuple[dict[str, Result], set[str]]) -> set[str]:
    """Every string ``sympy.latex`` returned during the session's run."""
    return _session_run[1]

"""Fixtures for the derivations tests: every check runs once per session."""

from __future__ import annotations

import pytest

import derivations
from derivations import Result


@pytest.fixture(scope="session")
def results() -> dict[str, Result]:
    """Every check's result, by id (the full run, as ``python -m derivations`` does it)."""
    return {r.id: r for r in derivations.run()}

"""The trust suites import their shared modules (registry, strategies, catalogue) by name.

In the deep Hypothesis profile every test compiles thousands of shapes; JAX's caches
are cleared after each test so that a long run's memory stays bounded.
"""

import os
import pathlib
import sys

import jax
import pytest

HERE = str(pathlib.Path(__file__).resolve().parent)
if HERE not in sys.path:
    sys.path.insert(0, HERE)


@pytest.fixture(autouse=True)
def _bounded_compilation_caches():
    yield
    if os.environ.get("FUNCNET_HYPOTHESIS_PROFILE") == "deep":  # see tests/conftest.py
        jax.clear_caches()

"""Hypothesis profiles for the whole test suite.

`FUNCNET_HYPOTHESIS_PROFILE` picks one:

- `quick` (the default, what `make test` and CI run): few examples, derandomized, so a
  CI run is reproducible and fast;
- `deep` (a nightly-style run): many examples from fresh random seeds; a failure
  prints the `@reproduce_failure` line that replays it.

    make test-deep        # FUNCNET_HYPOTHESIS_PROFILE=deep pytest -n 2

Neither profile keeps an example database: nothing is written into the repository.
A test's own `@settings(max_examples=...)` still overrides the profile's count.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "FUNCNET_HYPOTHESIS_PROFILE"

settings.register_profile(
    "quick",
    max_examples=10,
    deadline=None,
    derandomize=True,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "deep",
    max_examples=500,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get(PROFILE_VARIABLE, "quick"))

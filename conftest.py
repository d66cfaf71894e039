"""Test-wide JAX settings: float64 for numeric cross-checks, strict rank promotion."""

import jax

jax.config.update("jax_enable_x64", True)
# Implicit rank promotion hides shape bugs; funcnet's own code must not rely on it.
jax.config.update("jax_numpy_rank_promotion", "raise")

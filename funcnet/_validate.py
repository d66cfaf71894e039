"""Argument checks shared by every layer, loss, loop and loader: the one home for them.

Each check raises the built-in exception a Python user expects (`TypeError` for a
wrong type, `ValueError` for a wrong value) with a message that names the caller
(`owner`), the argument, what arrived and what was expected. Shapes are static in JAX,
so these run in Python at trace time and cost nothing inside `jit`.
"""

from __future__ import annotations

import operator
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

__all__ = ["as_shape", "check_key", "describe", "is_key", "positive_int"]

Shape = tuple[int, ...]


def describe(value: object) -> str:
    """A short description of `value` for an error message: shape and dtype of arrays."""
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{value!r} of type {type(value).__name__}"


def positive_int(value: Any, name: str, owner: str) -> int:
    """`value` as an int if it is a positive int (numpy ints too, never bool).

    Raises:
        TypeError: if `value` is not an int.
        ValueError: if it is zero or negative.
    """
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{owner}: {name} must be a positive int, got {value!r}.")
    if value <= 0:
        raise ValueError(f"{owner}: {name} must be a positive int, got {value}.")
    return int(value)


def as_shape(shape: object, owner: str) -> Shape:
    """Validate an input shape (a sequence of non-negative ints) and return it as a tuple."""
    if hasattr(shape, "shape") and not isinstance(shape, tuple | list):
        raise TypeError(
            f"{owner}: input_shape must be a tuple of ints such as (4, 10), got an array; "
            "pass x.shape instead of x."
        )
    try:
        dims = tuple(operator.index(dim) for dim in shape)  # type: ignore[union-attr]
    except TypeError:
        raise TypeError(
            f"{owner}: input_shape must be a tuple of ints such as (4, 10), got {shape!r}."
        ) from None
    if any(dim < 0 for dim in dims):
        raise ValueError(f"{owner}: input_shape must not have negative sizes, got {dims}.")
    return dims


def is_key(value: object) -> bool:
    """True for one PRNG key: a typed key (`jax.random.key`) or a raw uint32[2] key."""
    if not isinstance(value, jax.Array | jax.core.Tracer):
        return False
    if jnp.issubdtype(value.dtype, jax.dtypes.prng_key):
        return value.shape == ()
    return value.dtype == jnp.uint32 and value.shape == (2,)


def check_key(key: object, owner: str) -> jax.Array:
    """`key` if it is one PRNG key, else a `TypeError` that says how to make one."""
    if is_key(key):
        return key
    raise TypeError(
        f"{owner}: key must be a single PRNG key from jax.random.key(seed) or "
        f"jax.random.PRNGKey(seed), got {describe(key)}."
    )

"""The layer protocol: an immutable value with `init`, `apply` and `output_shape`.

A layer holds configuration only. Its parameters live outside it, in a pytree that
`init` creates and `apply` reads, so `jax.jit`, `jax.grad` and `jax.vmap` compose with
`apply` directly. Shapes are static in JAX, so every shape check here runs in Python at
init and at trace time and costs nothing inside a compiled function.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from typing import Any

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

Params = Any  # a pytree of arrays: {} for layers without parameters
Shape = tuple[int, ...]

__all__ = ["Layer", "Params", "Shape"]


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


def check_key(key: object, owner: str) -> jax.Array:
    """Validate a PRNG key: a typed key (`jax.random.key`) or a raw uint32[2] key."""
    if isinstance(key, jax.Array | jax.core.Tracer):
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ():
            return key
        if key.dtype == jnp.uint32 and key.shape == (2,):
            return key
    raise TypeError(
        f"{owner}: key must be a single PRNG key from jax.random.key(seed) or "
        f"jax.random.PRNGKey(seed), got {_describe(key)}."
    )


def _describe(value: object) -> str:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{value!r} of type {type(value).__name__}"


class Layer:
    """Base class of all layers: configuration plus three pure methods.

    Subclasses are frozen dataclasses and implement `_output_shape`, `_apply` and,
    if they have parameters, `_init`. The public methods validate their arguments and
    call those.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> layer = funcnet.Linear(10, 5)
        >>> params = layer.init(jax.random.key(0), (4, 10))
        >>> layer.apply(params, jnp.ones((4, 10))).shape
        (4, 5)
        >>> layer.output_shape((4, 10))
        (4, 5)
    """

    #: True for layers that draw random numbers in training (dropout), so a train
    #: step splits a PRNG key only for models that need one.
    stochastic: bool = False

    def init(self, key: jax.Array, input_shape: Sequence[int]) -> Params:
        """Create this layer's parameters for inputs of shape `input_shape`.

        Args:
            key: a PRNG key; the same key gives the same parameters.
            input_shape: `(*batch, ...)` the shape of the input `apply` will see.

        Returns:
            A pytree of arrays (`{}` for a layer without parameters).

        Raises:
            ShapeError: if `input_shape` does not fit this layer.
            TypeError: if `key` is not a PRNG key or `input_shape` not a tuple of ints.
        """
        shape = as_shape(input_shape, f"{self!r}.init")
        self.output_shape(shape)
        return self._init(check_key(key, f"{self!r}.init"), shape)

    def apply(
        self,
        params: Params,
        x: ArrayLike,
        *,
        key: jax.Array | None = None,
        training: bool = False,
    ) -> jax.Array:
        """Run the layer: a pure function of `params`, `x` and (for dropout) `key`.

        Args:
            params: the pytree `init` returned (or one of the same structure).
            x: `(*batch, ...)` input of a shape this layer accepts.
            key: a PRNG key, needed only by stochastic layers in training.
            training: True in training (dropout active), False for evaluation.

        Returns:
            The output, of shape `self.output_shape(x.shape)`.

        Raises:
            ShapeError: if `x` does not fit this layer.
        """
        x = jnp.asarray(x)
        self.output_shape(x.shape)
        return self._apply(params, x, key=key, training=training)

    def __call__(
        self,
        params: Params,
        x: ArrayLike,
        *,
        key: jax.Array | None = None,
        training: bool = False,
    ) -> jax.Array:
        """Same as `apply`: `layer(params, x)`."""
        return self.apply(params, x, key=key, training=training)

    def output_shape(self, input_shape: Sequence[int]) -> Shape:
        """The output shape for `input_shape`, computed without touching any data.

        Raises:
            ShapeError: if `input_shape` does not fit this layer.
        """
        return self._output_shape(as_shape(input_shape, f"{self!r}.output_shape"))

    # Subclasses override these three.
    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        return {}

    def _output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        raise NotImplementedError

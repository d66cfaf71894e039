"""The layer protocol: an immutable value with `init`, `apply` and `output_shape`.

A layer holds configuration only. Its parameters live outside it, in a pytree that
`init` creates and `apply` reads, so `jax.jit`, `jax.grad` and `jax.vmap` compose with
`apply` directly. Shapes are static in JAX, so every shape check here runs in Python at
init and at trace time and costs nothing inside a compiled function.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from funcnet.errors import ShapeError

Params = Any  # a pytree of arrays: {} for layers without parameters
Shape = tuple[int, ...]

__all__ = ["Layer", "ParamSpec", "Params", "Shape", "check_params"]


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


def _is_key(value: object) -> bool:
    if not isinstance(value, jax.Array | jax.core.Tracer):
        return False
    if jnp.issubdtype(value.dtype, jax.dtypes.prng_key):
        return value.shape == ()
    return value.dtype == jnp.uint32 and value.shape == (2,)


def check_key(key: object, owner: str) -> jax.Array:
    """Validate a PRNG key: a typed key (`jax.random.key`) or a raw uint32[2] key."""
    if _is_key(key):
        return key
    raise TypeError(
        f"{owner}: key must be a single PRNG key from jax.random.key(seed) or "
        f"jax.random.PRNGKey(seed), got {_describe(key)}."
    )


def _describe(value: object) -> str:
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return f"an array of shape {tuple(value.shape)} and dtype {value.dtype}"
    return f"{value!r} of type {type(value).__name__}"


class ParamSpec(NamedTuple):
    """The shape a layer declares for one of its parameters.

    Attributes:
        shape: the sizes, with None for a size the layer infers from its input.
        axes: a name per axis, in PyTorch's words, such as
            `("out_features", "in_features")`.
    """

    shape: tuple[int | None, ...]
    axes: tuple[str, ...]


def _leaf_shape(leaf: object) -> Shape:
    return tuple(leaf.shape) if hasattr(leaf, "shape") else np.shape(leaf)


def _fits(shape: Shape, spec: ParamSpec) -> bool:
    return len(shape) == len(spec.shape) and all(
        want is None or want == got for want, got in zip(spec.shape, shape, strict=True)
    )


def _params_kind(params: object) -> str:
    if isinstance(params, tuple | list):
        return (
            f"a {type(params).__name__} of {len(params)} entries (the params of a whole "
            "Sequential?)"
        )
    return _describe(params)


def check_params(layer: Layer, params: Params, specs: Mapping[str, ParamSpec]) -> None:
    """Check `params` against the shapes `layer` declares, before any data flows.

    Shapes are static, so this runs in Python at trace time and costs nothing under
    `jit`. Params that come from another model (a `Linear(10, 6)` where the layer is a
    `Linear(10, 5)`) fail here, at the layer they belong to, instead of later in a
    layer whose input they have distorted.

    Args:
        layer: the layer that is about to use `params`.
        params: a dict from parameter name to array.
        specs: the declared shape of every parameter `layer` uses.

    Raises:
        ValueError: if `params` is not a dict with exactly the names in `specs`.
        ShapeError: if an array's shape differs from its declared shape; the message
            names the layer and both shapes.
    """
    if not isinstance(params, dict):
        name = next(iter(specs))
        raise ValueError(
            f"{layer!r} needs params with a {name!r} entry, got {_params_kind(params)}; "
            "create them with layer.init(key, input_shape)."
        )
    for name in specs:
        if name not in params:
            raise ValueError(
                f"{layer!r} needs params with a {name!r} entry, got {sorted(params)}; "
                "create them with layer.init(key, input_shape)."
            )
    unexpected = sorted(str(name) for name in params if name not in specs)
    if unexpected:
        raise ValueError(
            f"{layer!r} uses params {sorted(specs)} but was given unexpected entries "
            f"{unexpected} as well, which it would ignore; the params were made for a "
            "different layer: create them with layer.init(key, input_shape)."
        )
    for name, spec in specs.items():
        shape = _leaf_shape(params[name])
        if not _fits(shape, spec):
            raise _param_mismatch(layer, params, name, spec, shape)


def _param_mismatch(
    layer: Layer, params: Params, name: str, spec: ParamSpec, shape: Shape
) -> ShapeError:
    sizes = ", ".join(
        axis if want is None else str(want)
        for want, axis in zip(spec.shape, spec.axes, strict=True)
    )
    sizes = f"({sizes},)" if len(spec.shape) == 1 else f"({sizes})"
    hint = (
        "the params were made for a different model: create them with "
        "model.init(key, input_shape) for this one, or load a state dict that fits it"
    )
    fitting = layer._fitted_to({key: _leaf_shape(value) for key, value in params.items()})
    if fitting is not None and fitting != layer:
        hint += f"; or build {fitting!r} to use these params"
    return ShapeError(
        f"{type(layer).__name__}: expected {name} of shape {sizes}, got {shape}",
        layer=repr(layer),
        detail=(
            f"needs params[{name!r}] of shape {sizes}, that is ({', '.join(spec.axes)}), "
            f"but receives {shape}"
        ),
        hint=hint + ".",
        about_params=True,
    )


def _with_arguments(names: tuple[str, str], usage: Callable[[Layer, int], str]):
    """Let a method of two required arguments say how to call it when given fewer."""

    def decorate(method):
        @functools.wraps(method)
        def checked(self, *args, **kwargs):
            given = len(args) + sum(name in kwargs for name in names[len(args) :])
            if given < len(names):
                raise TypeError(usage(self, given))
            return method(self, *args, **kwargs)

        return checked

    return decorate


def _arguments(given: int) -> str:
    return f"{given} argument" if given == 1 else f"{given} arguments"


def _call_usage(method: str) -> Callable[[Layer, int], str]:
    habit = "model(x) as in PyTorch" if not method else f"model{method}(x)"

    def usage(layer: Layer, given: int) -> str:
        return (
            f"{type(layer).__name__}{method} got {_arguments(given)} but needs 2: funcnet "
            f"layers are called as model{method}(params, x), not {habit}. The params "
            "come from model.init(key, input_shape), for example "
            "params = model.init(jax.random.key(0), x.shape); a funcnet layer holds no "
            "parameters (unlike a torch.nn.Module), so every call passes them in."
        )

    return usage


def _init_usage(layer: Layer, given: int) -> str:
    return (
        f"{type(layer).__name__}.init got {_arguments(given)} but needs 2, a PRNG key and "
        "the input shape: params = model.init(jax.random.key(0), (4, 10)), or "
        "model.init(key, x.shape)."
    )


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

    @_with_arguments(("key", "input_shape"), _init_usage)
    def init(self, key: jax.Array, input_shape: Sequence[int]) -> Params:
        """Create this layer's parameters for inputs of shape `input_shape`.

        Args:
            key: a PRNG key; the same key gives the same parameters.
            input_shape: `(*batch, ...)` the shape of the input `apply` will see.

        Returns:
            A pytree of arrays (`{}` for a layer without parameters).

        Raises:
            ShapeError: if `input_shape` does not fit this layer.
            TypeError: if `key` is not a PRNG key or `input_shape` not a tuple of ints,
                or if either is missing.
        """
        if _is_key(input_shape) and not _is_key(key):
            raise TypeError(
                f"{self!r}.init: the arguments look swapped: init takes the PRNG key "
                "first, then the input shape: model.init(jax.random.key(0), (4, 10))."
            )
        shape = as_shape(input_shape, f"{self!r}.init")
        self.output_shape(shape)
        return self._init(check_key(key, f"{self!r}.init"), shape)

    @_with_arguments(("params", "x"), _call_usage(".apply"))
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
            ShapeError: if `x` does not fit this layer, or an array in `params` differs
                from the shape this layer declares for it (params made for another
                model), naming the layer and both shapes.
            ValueError: if `params` lacks an entry this layer uses, or has extra ones.
            TypeError: if `params` or `x` is missing: a PyTorch habit is `model(x)`,
                where funcnet needs `model(params, x)`.
        """
        x = jnp.asarray(x)
        self.output_shape(x.shape)
        specs = self._param_specs()
        if specs:
            check_params(self, params, specs)
        return self._apply(params, x, key=key, training=training)

    @_with_arguments(("params", "x"), _call_usage(""))
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

    # Subclasses override these three, and the two below if they have parameters.
    def _init(self, key: jax.Array, input_shape: Shape) -> Params:
        return {}

    def _param_specs(self) -> dict[str, ParamSpec]:
        """The declared shape of each parameter, checked by `apply`."""
        return {}

    def _fitted_to(self, shapes: dict[str, Shape]) -> Layer | None:
        """A layer like this one whose parameters would have `shapes`, if one exists."""
        return None

    def _output_shape(self, input_shape: Shape) -> Shape:
        return input_shape

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        raise NotImplementedError

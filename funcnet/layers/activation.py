"""Layer forms of the activations, plus `Identity` and `Flatten`.

Each is a thin wrapper, as stax's `elementwise`: `ReLU()` applies `funcnet.relu`, and
`LeakyReLU(0.2)` applies `funcnet.leaky_relu` with `negative_slope=0.2`. The function
alone decides which settings are allowed, so the layer and the function cannot
disagree. They have no parameters, so their params entry is `{}`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

import jax
import jax.numpy as jnp

from funcnet import activations as F
from funcnet._validate import check_dim, integer
from funcnet.errors import ShapeError
from funcnet.layers._base import Layer, Params, Shape

__all__ = [
    "ELU",
    "GELU",
    "Flatten",
    "Identity",
    "LeakyReLU",
    "LogSoftmax",
    "ReLU",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Tanh",
]


class _Elementwise(Layer):
    """A parameter-free layer applying `function` with this layer's settings (its fields).

    The settings are checked when the layer is built, by the function itself: it is
    traced once on an abstract scalar (`jax.eval_shape`, nothing is computed), and the
    error it raises is raised again in the layer's name.
    """

    function: ClassVar[Callable[..., jax.Array]]

    def __post_init__(self) -> None:
        settings = self._settings()
        if not settings:
            return
        probe = jax.ShapeDtypeStruct((), jnp.float32)
        try:
            jax.eval_shape(functools.partial(type(self).function, **settings), probe)
        except (TypeError, ValueError) as error:
            if type(error) not in (TypeError, ValueError):
                raise
            message = str(error).removeprefix(f"{type(self).function.__name__}: ")
            raise type(error)(f"{type(self).__name__}: {message}") from None

    def _settings(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        return type(self).function(x, **self._settings())


@dataclass(frozen=True)
class Identity(Layer):
    """Returns its input unchanged. `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.Identity()({}, jnp.array([1.0, 2.0])))
        [1. 2.]
    """

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        return x


@dataclass(frozen=True)
class Sigmoid(_Elementwise):
    """Layer form of `funcnet.sigmoid`. `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.Sigmoid()({}, jnp.array([0.0])))
        [0.5]
    """

    function = staticmethod(F.sigmoid)


@dataclass(frozen=True)
class Tanh(_Elementwise):
    """Layer form of `funcnet.tanh`. `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.Tanh()({}, jnp.array([0.0])))
        [0.]
    """

    function = staticmethod(F.tanh)


@dataclass(frozen=True)
class ReLU(_Elementwise):
    """Layer form of `funcnet.relu` (derivative 0 at 0). `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.ReLU()({}, jnp.array([-1.0, 2.0])))
        [0. 2.]
    """

    function = staticmethod(F.relu)


@dataclass(frozen=True)
class SiLU(_Elementwise):
    """Layer form of `funcnet.silu`. `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.SiLU()({}, jnp.array([0.0])))
        [0.]
    """

    function = staticmethod(F.silu)


@dataclass(frozen=True)
class LeakyReLU(_Elementwise):
    """Layer form of `funcnet.leaky_relu`. `(*shape) -> (*shape)`.

    Args:
        negative_slope: slope for non-positive inputs (PyTorch's default 0.01).

    Raises:
        TypeError: if `negative_slope` is not a real number.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.LeakyReLU(0.2)({}, jnp.array([-1.0, 2.0])))
        [-0.2  2. ]
    """

    negative_slope: float = 0.01
    function = staticmethod(F.leaky_relu)


@dataclass(frozen=True)
class ELU(_Elementwise):
    """Layer form of `funcnet.elu`. `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.ELU()({}, jnp.array([0.0, 2.0])))
        [0. 2.]
    """

    alpha: float = 1.0
    function = staticmethod(F.elu)


@dataclass(frozen=True)
class Softplus(_Elementwise):
    """Layer form of `funcnet.softplus`. `(*shape) -> (*shape)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.Softplus()({}, jnp.array([0.0])))
        [0.6931]
    """

    beta: float = 1.0
    threshold: float = 20.0
    function = staticmethod(F.softplus)


@dataclass(frozen=True)
class GELU(_Elementwise):
    """Layer form of `funcnet.gelu`. `(*shape) -> (*shape)`.

    Args:
        approximate: `"none"` (exact, erf) or `"tanh"`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.GELU()({}, jnp.array([0.0])))
        [0.]
    """

    approximate: str = "none"
    function = staticmethod(F.gelu)


class _Normalising(_Elementwise):
    """Softmax-like layers: `dim` must be an int within the input's rank.

    The rank is known only from the input, so the layer checks that `dim` is an int
    when it is built and the range at `output_shape`, with `check_dim`, which the
    function uses too.
    """

    def __post_init__(self) -> None:
        integer(self.dim, "dim", type(self).__name__)

    def _output_shape(self, input_shape: Shape) -> Shape:
        try:
            check_dim(self.dim, len(input_shape), type(self).__name__)
        except ValueError as error:
            raise ShapeError(
                str(error).split(": ", 1)[1],
                layer=repr(self),
                detail=f"normalises dim={self.dim} but receives an input of shape {input_shape}",
                hint="pick a dim inside the input's rank (dim=-1 is the last axis).",
            ) from None
        return input_shape


@dataclass(frozen=True)
class Softmax(_Normalising):
    """Layer form of `funcnet.softmax` along `dim` (default: the last axis).

    PyTorch's `nn.Softmax()` without `dim` guesses an axis and warns; funcnet always
    uses `dim=-1` unless told otherwise.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.Softmax()({}, jnp.array([[0.0, 0.0]])))
        [[0.5 0.5]]
    """

    dim: int = -1
    function = staticmethod(F.softmax)


@dataclass(frozen=True)
class LogSoftmax(_Normalising):
    """Layer form of `funcnet.log_softmax` along `dim`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.LogSoftmax()({}, jnp.array([[0.0, 0.0]])))
        [[-0.6931 -0.6931]]
    """

    dim: int = -1
    function = staticmethod(F.log_softmax)


@dataclass(frozen=True)
class Flatten(Layer):
    """Flatten axes `start_dim..end_dim` into one, as `torch.nn.Flatten`.

    Shapes:
        `(N, C, H, W)` -> `(N, C*H*W)` with the defaults `start_dim=1, end_dim=-1`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> funcnet.Flatten().output_shape((2, 3, 4, 5))
        (2, 60)
    """

    start_dim: int = 1
    end_dim: int = -1

    def __post_init__(self) -> None:
        integer(self.start_dim, "start_dim", "Flatten")
        integer(self.end_dim, "end_dim", "Flatten")

    def _span(self, input_shape: Shape) -> tuple[int, int]:
        rank = len(input_shape)
        try:
            start = check_dim(self.start_dim, rank, "Flatten", "start_dim")
            end = check_dim(self.end_dim, rank, "Flatten", "end_dim")
        except ValueError as error:
            raise ShapeError(
                str(error).split(": ", 1)[1],
                layer=repr(self),
                detail=f"flattens dims {self.start_dim}..{self.end_dim} of shape {input_shape}",
            ) from None
        if start > end:
            raise ShapeError(
                "flatten() has invalid args: start_dim cannot come after end_dim",
                layer=repr(self),
                detail=f"resolves to dims {start}..{end} for input shape {input_shape}",
            )
        return start, end

    def _output_shape(self, input_shape: Shape) -> Shape:
        if not input_shape:
            return (1,)
        start, end = self._span(input_shape)
        merged = math.prod(input_shape[start : end + 1])
        return (*input_shape[:start], merged, *input_shape[end + 1 :])

    def _apply(self, params: Params, x: jax.Array, *, key, training) -> jax.Array:
        return x.reshape(self._output_shape(x.shape))

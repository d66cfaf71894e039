"""Parameter initializers, with PyTorch's formulas and names.

An initializer is a callable `(key, shape, dtype) -> array`, the same signature as
`jax.nn.initializers`, so either kind can be passed to a layer's `weight_init` or
`bias_init`. Each constructor here returns a small frozen value (it compares equal and
prints its settings), not a closure.

Fans follow `torch.nn.init._calculate_fan_in_and_fan_out` for PyTorch's weight layout
`(out_features, in_features, *kernel)`: fan_in = `shape[1] * prod(kernel)`, fan_out =
`shape[0] * prod(kernel)`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax.typing import DTypeLike

from funcnet._validate import one_of

__all__ = [
    "Initializer",
    "calculate_gain",
    "constant",
    "fans",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "orthogonal",
    "pytorch_default",
    "truncated_normal",
    "uniform",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

Initializer = Callable[[jax.Array, Sequence[int], DTypeLike], jax.Array]

_GAINS = {"linear": 1.0, "identity": 1.0, "sigmoid": 1.0, "tanh": 5.0 / 3.0, "selu": 0.75}
_GAINS.update({f"conv{n}d": 1.0 for n in (1, 2, 3)})
_GAINS.update({f"conv_transpose{n}d": 1.0 for n in (1, 2, 3)})


def calculate_gain(nonlinearity: str, param: float | None = None) -> float:
    """The recommended gain for a nonlinearity, as `torch.nn.init.calculate_gain`.

    Args:
        nonlinearity: one of linear, conv1d/2d/3d, sigmoid, tanh, relu, leaky_relu, selu.
        param: the negative slope for `leaky_relu` (default 0.01).

    Returns:
        The gain: 1 for linear and sigmoid, 5/3 for tanh, $\\sqrt{2}$ for relu,
        $\\sqrt{2 / (1 + a^2)}$ for leaky_relu, 3/4 for selu.

    Raises:
        ValueError: for an unknown nonlinearity.

    Examples:
        >>> from funcnet import init
        >>> round(init.calculate_gain("relu"), 4)
        1.4142
    """
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        slope = 0.01 if param is None else float(param)
        return math.sqrt(2.0 / (1 + slope**2))
    if nonlinearity in _GAINS:
        return _GAINS[nonlinearity]
    known = sorted([*_GAINS, "relu", "leaky_relu"])
    raise ValueError(f"calculate_gain: unknown nonlinearity {nonlinearity!r}; use one of {known}.")


def fans(shape: Sequence[int]) -> tuple[int, int]:
    """`(fan_in, fan_out)` of a weight of PyTorch layout `(out, in, *kernel)`.

    Raises:
        ValueError: for fewer than 2 dimensions, as PyTorch does.

    Examples:
        >>> from funcnet import init
        >>> init.fans((16, 3, 5, 5))
        (75, 400)
    """
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 "
            f"dimensions (got shape {shape})."
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


_MODES = ("fan_in", "fan_out")


@dataclass(frozen=True)
class _Constant:
    value: float

    def __call__(self, key, shape, dtype=jnp.float32):
        return jnp.full(tuple(shape), self.value, dtype)


@dataclass(frozen=True)
class _Uniform:
    low: float
    high: float

    def __call__(self, key, shape, dtype=jnp.float32):
        return jax.random.uniform(key, tuple(shape), dtype, self.low, self.high)


@dataclass(frozen=True)
class _Normal:
    mean: float
    std: float

    def __call__(self, key, shape, dtype=jnp.float32):
        return self.mean + self.std * jax.random.normal(key, tuple(shape), dtype)


@dataclass(frozen=True)
class _TruncatedNormal:
    mean: float
    std: float
    a: float
    b: float

    def __call__(self, key, shape, dtype=jnp.float32):
        lower = (self.a - self.mean) / self.std
        upper = (self.b - self.mean) / self.std
        unit = jax.random.truncated_normal(key, lower, upper, tuple(shape), dtype)
        return self.mean + self.std * unit


@dataclass(frozen=True)
class _FanScaled:
    """Uniform or normal with std = gain / sqrt(fan), the fan read from the shape."""

    distribution: str  # "uniform" | "normal" | "truncated_normal"
    gain: float
    mode: str  # "fan_in" | "fan_out" | "fan_avg"

    def __call__(self, key, shape, dtype=jnp.float32):
        shape = tuple(shape)
        fan_in, fan_out = fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        std = self.gain / math.sqrt(fan)
        if self.distribution == "uniform":
            bound = math.sqrt(3.0) * std
            return jax.random.uniform(key, shape, dtype, -bound, bound)
        if self.distribution == "normal":
            return std * jax.random.normal(key, shape, dtype)
        # A standard normal cut at +-2 has variance 0.7737; rescale to keep std.
        unit = jax.random.truncated_normal(key, -2.0, 2.0, shape, dtype)
        return (std / 0.87962566103423978) * unit


@dataclass(frozen=True)
class _Orthogonal:
    gain: float

    def __call__(self, key, shape, dtype=jnp.float32):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(f"orthogonal: only arrays with 2 or more dimensions, got {shape}.")
        rows, cols = shape[0], math.prod(shape[1:])
        flat = jax.random.normal(key, (max(rows, cols), min(rows, cols)), jnp.float32)
        q, r = jnp.linalg.qr(flat)
        # Sign fix from PyTorch (and Mezzadri 2007): makes Q uniform over the group.
        q = q * jnp.sign(jnp.diagonal(r))[None, :]
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)


def zeros() -> Initializer:
    """All zeros. Example: `init.zeros()(key, (2, 3), jnp.float32)`.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> print(init.zeros()(jax.random.key(0), (2,)))
        [0. 0.]
    """
    return _Constant(0.0)


def ones() -> Initializer:
    """All ones.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> print(init.ones()(jax.random.key(0), (2,)))
        [1. 1.]
    """
    return _Constant(1.0)


def constant(value: float) -> Initializer:
    """Every entry equal to `value`.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> print(init.constant(0.5)(jax.random.key(0), (2,)))
        [0.5 0.5]
    """
    return _Constant(float(value))


def uniform(low: float = 0.0, high: float = 1.0) -> Initializer:
    """$U(\\mathrm{low}, \\mathrm{high})$, as `torch.nn.init.uniform_(a=low, b=high)`.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> w = init.uniform(-1.0, 1.0)(jax.random.key(0), (1000,))
        >>> bool((w >= -1).all() and (w < 1).all())
        True
    """
    if not low < high:
        raise ValueError(f"uniform: need low < high, got low={low}, high={high}.")
    return _Uniform(float(low), float(high))


def normal(mean: float = 0.0, std: float = 1.0) -> Initializer:
    """$\\mathcal{N}(\\mathrm{mean}, \\mathrm{std}^2)$, as `torch.nn.init.normal_`.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.normal(std=0.02)(jax.random.key(0), (3, 4)).shape
        (3, 4)
    """
    if std < 0:
        raise ValueError(f"normal: std must be >= 0, got {std}.")
    return _Normal(float(mean), float(std))


def truncated_normal(
    mean: float = 0.0, std: float = 1.0, a: float = -2.0, b: float = 2.0
) -> Initializer:
    """Normal(mean, std) redrawn outside the absolute bounds `[a, b]` (PyTorch's meaning).

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> w = init.truncated_normal(std=1.0, a=-2.0, b=2.0)(jax.random.key(0), (1000,))
        >>> bool((abs(w) <= 2).all())
        True
    """
    if not a < b or std <= 0:
        raise ValueError(f"truncated_normal: need a < b and std > 0, got a={a}, b={b}, std={std}.")
    return _TruncatedNormal(float(mean), float(std), float(a), float(b))


def xavier_uniform(gain: float = 1.0) -> Initializer:
    """Glorot uniform: $U(-b, b)$ with $b = g\\sqrt{6 / (n_{in} + n_{out})}$, $g$ = `gain`.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.xavier_uniform()(jax.random.key(0), (5, 10)).shape
        (5, 10)
    """
    return _FanScaled("uniform", float(gain), "fan_avg")


def xavier_normal(gain: float = 1.0) -> Initializer:
    """Glorot normal: std = $\\mathrm{gain}\\sqrt{2 / (\\mathrm{fan\\_in} + \\mathrm{fan\\_out})}$.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.xavier_normal()(jax.random.key(0), (5, 10)).shape
        (5, 10)
    """
    return _FanScaled("normal", float(gain), "fan_avg")


def kaiming_uniform(
    a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Initializer:
    """He uniform: $U(-b, b)$ with $b = \\mathrm{gain}\\sqrt{3 / \\mathrm{fan}}$.

    Args:
        a: the negative slope used in the gain when `nonlinearity="leaky_relu"`.
        mode: `"fan_in"` keeps forward variance, `"fan_out"` backward variance.
        nonlinearity: passed to `calculate_gain`.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.kaiming_uniform(nonlinearity="relu")(jax.random.key(0), (5, 10)).shape
        (5, 10)
    """
    one_of(mode, _MODES, "mode", "kaiming_uniform")
    return _FanScaled("uniform", calculate_gain(nonlinearity, a), mode)


def kaiming_normal(
    a: float = 0.0, mode: str = "fan_in", nonlinearity: str = "leaky_relu"
) -> Initializer:
    """He normal: std = $\\mathrm{gain} / \\sqrt{\\mathrm{fan}}$.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.kaiming_normal(nonlinearity="relu")(jax.random.key(0), (5, 10)).shape
        (5, 10)
    """
    one_of(mode, _MODES, "mode", "kaiming_normal")
    return _FanScaled("normal", calculate_gain(nonlinearity, a), mode)


def lecun_normal() -> Initializer:
    """LeCun normal: truncated normal with variance $1/\\mathrm{fan\\_in}$ (JAX's convention).

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.lecun_normal()(jax.random.key(0), (5, 10)).shape
        (5, 10)
    """
    return _FanScaled("truncated_normal", 1.0, "fan_in")


def lecun_uniform() -> Initializer:
    """LeCun uniform: $U(-b, b)$, $b = \\sqrt{3 / n_{in}}$, so the variance is $1/n_{in}$.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> init.lecun_uniform()(jax.random.key(0), (5, 10)).shape
        (5, 10)
    """
    return _FanScaled("uniform", 1.0, "fan_in")


def orthogonal(gain: float = 1.0) -> Initializer:
    """A (semi-)orthogonal matrix times `gain`, as `torch.nn.init.orthogonal_`.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> from funcnet import init
        >>> q = init.orthogonal()(jax.random.key(0), (4, 4))
        >>> bool(jnp.allclose(q @ q.T, jnp.eye(4), atol=1e-5))
        True
    """
    return _Orthogonal(float(gain))


def pytorch_default() -> Initializer:
    """PyTorch's default weight init for Linear and Conv: `kaiming_uniform(a=sqrt(5))`.

    That is $U(-1/\\sqrt{\\mathrm{fan\\_in}}, 1/\\sqrt{\\mathrm{fan\\_in}})$; the matching
    bias init is `uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))`, which layers apply themselves
    because the bias alone does not know the fan.

    Examples:
        >>> import jax
        >>> from funcnet import init
        >>> w = init.pytorch_default()(jax.random.key(0), (5, 4))
        >>> bool((abs(w) <= 0.5).all())
        True
    """
    return kaiming_uniform(a=math.sqrt(5.0))

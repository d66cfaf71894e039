"""Activation functions as pure, elementwise (or per-axis) JAX functions.

Every function here matches PyTorch's `torch.nn.functional` counterpart in value, and
in gradient including the conventions at kinks:

| function     | derivative at the kink                 | same as                  |
|--------------|----------------------------------------|--------------------------|
| `relu`       | $\\mathrm{relu}'(0) = 0$                | PyTorch, `jax.nn.relu`   |
| `leaky_relu` | $\\mathrm{leaky\\_relu}'(0) = a$ (slope) | PyTorch (`jax.nn` gives 1) |
| `elu`        | $\\mathrm{elu}'(0) = \\alpha$            | PyTorch                  |

Neither ReLU nor LeakyReLU is differentiable at 0 (the one-sided derivatives differ);
the value at 0 is a convention that autodiff must pick. `jnp.maximum(x, 0)` would pick
1/2 there, which is why `relu` is not written that way.

All functions are stable for inputs of magnitude 1e4 in float32 and float64: no `nan`
or `inf` where the true value is finite.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike, DTypeLike

from funcnet._validate import check_dim, floating_dtype, one_of, real

__all__ = [
    "elu",
    "gelu",
    "leaky_relu",
    "log_softmax",
    "relu",
    "sigmoid",
    "silu",
    "softmax",
    "softplus",
    "tanh",
]


def _floating(name: str, x: ArrayLike, *, ordered: bool = False) -> jax.Array:
    """Return `x` as an array, promoting integers and bools to the default float.

    `ordered` functions compare with 0, which complex numbers do not support.
    """
    if x is None or isinstance(x, str | bytes):
        raise TypeError(f"{name}: x must be an array or a number, got {type(x).__name__}.")
    x = jnp.asarray(x)
    if ordered and jnp.issubdtype(x.dtype, jnp.complexfloating):
        raise TypeError(
            f"{name}: complex input has no order, so {name} is undefined for it "
            f"(got dtype {x.dtype}); pass real values."
        )
    if not jnp.issubdtype(x.dtype, jnp.inexact):
        # PyTorch refuses integer input for most activations; JAX promotes. We promote
        # too (the value is unchanged), so `relu(jnp.arange(3))` works as expected.
        x = x.astype(jnp.result_type(float))
    return x


def _cast(name: str, x: jax.Array, dtype: DTypeLike | None) -> jax.Array:
    """`x` cast to `dtype` before computing, as PyTorch's `dtype=` argument does."""
    dtype = floating_dtype(dtype, name, optional=True)
    return x if dtype is None else x.astype(dtype)


def sigmoid(x: ArrayLike) -> jax.Array:
    """The logistic function $\\sigma(x) = 1 / (1 + e^{-x})$.

    Args:
        x: `(*shape)` input.

    Returns:
        `(*shape)` values in $[0, 1]$ (exactly 0 or 1 only where float rounding reaches
        them); $\\sigma'(x) = \\sigma(x)(1 - \\sigma(x))$.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.sigmoid(jnp.array([0.0, 2.0])))
        [0.5 0.8808]
    """
    return jax.nn.sigmoid(_floating("sigmoid", x))


def tanh(x: ArrayLike) -> jax.Array:
    """The hyperbolic tangent $\\tanh(x) = (e^x - e^{-x}) / (e^x + e^{-x})$.

    Not the arctangent: $\\tanh(x) = 2\\sigma(2x) - 1$, with derivative $1 - \\tanh^2(x)$.

    Args:
        x: `(*shape)` input.

    Returns:
        `(*shape)` values in $[-1, 1]$.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.tanh(jnp.array([0.0, 1.0])))
        [0. 0.7616]
    """
    return jnp.tanh(_floating("tanh", x))


def relu(x: ArrayLike) -> jax.Array:
    """Rectified linear unit $\\max(x, 0)$, with $\\mathrm{relu}'(0) = 0$.

    Args:
        x: `(*shape)` input.

    Returns:
        `(*shape)` output; the gradient is 1 where `x > 0` and 0 elsewhere, 0 included.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.relu(jnp.array([-1.0, 0.0, 2.0])))
        [0. 0. 2.]
        >>> print(jax.grad(funcnet.relu)(0.0))
        0.0
    """
    # jax.nn.relu carries a custom JVP whose derivative at 0 is 0, as PyTorch's.
    return jax.nn.relu(_floating("relu", x, ordered=True))


def leaky_relu(x: ArrayLike, negative_slope: float = 0.01) -> jax.Array:
    """Leaky ReLU: $x$ for $x > 0$, $a x$ otherwise, where $a$ = `negative_slope`.

    The derivative at 0 is `negative_slope`, as in PyTorch (`jax.nn.leaky_relu` uses 1).

    Args:
        x: `(*shape)` input.
        negative_slope: the slope $a$ for non-positive inputs.

    Returns:
        `(*shape)` output.

    Raises:
        TypeError: if `negative_slope` is not a real number.

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.leaky_relu(jnp.array([-10.0, 3.0]), negative_slope=0.2))
        [-2. 3.]
        >>> print(jax.grad(funcnet.leaky_relu)(0.0))
        0.01
    """
    slope = real(negative_slope, "negative_slope", "leaky_relu")
    x = _floating("leaky_relu", x, ordered=True)
    # `x > 0` (not `>=`) selects the negative branch at 0, giving PyTorch's slope there.
    return jnp.where(x > 0, x, slope * x)


def softmax(x: ArrayLike, dim: int = -1, *, dtype: DTypeLike | None = None) -> jax.Array:
    """Softmax along `dim`: $p_i = e^{x_i} / \\sum_j e^{x_j}$.

    Computed as `exp(x - max(x))` so that inputs of magnitude 1e4 do not overflow.

    Args:
        x: `(*shape)` input (logits).
        dim: the axis that is normalised (PyTorch's name for `axis`).
        dtype: if given, `x` is cast to it before computing, as
            `torch.nn.functional.softmax(x, dim, dtype=...)`; gradients flow back to
            `x` in its own dtype. None keeps `x`'s dtype.

    Returns:
        `(*shape)` probabilities that sum to 1 along `dim`.

    Raises:
        TypeError: if `dim` is not an int, or `dtype` is not a floating dtype.
        ValueError: if `dim` is out of range for `x`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.softmax(jnp.array([[1.0, 1.0], [0.0, 1e4]])))
        [[0.5 0.5]
         [0.  1. ]]
        >>> funcnet.softmax(jnp.array([1.0, 2.0], jnp.float64), dtype=jnp.float32).dtype
        dtype('float32')
    """
    x = _cast("softmax", _floating("softmax", x), dtype)
    axis = check_dim(dim, x.ndim, "softmax")
    if x.ndim == 0:  # PyTorch treats a scalar as one class: probability 1
        return jax.nn.softmax(x[None], axis=0)[0]
    return jax.nn.softmax(x, axis=axis)


def log_softmax(x: ArrayLike, dim: int = -1, *, dtype: DTypeLike | None = None) -> jax.Array:
    """Log of softmax along `dim`: $x_i - \\log \\sum_j e^{x_j}$, computed stably.

    Args:
        x: `(*shape)` input (logits).
        dim: the axis that is normalised.
        dtype: if given, `x` is cast to it before computing, as
            `torch.nn.functional.log_softmax(x, dim, dtype=...)`. None keeps `x`'s dtype.

    Returns:
        `(*shape)` log-probabilities; `exp` of them sums to 1 along `dim`.

    Raises:
        TypeError: if `dim` is not an int, or `dtype` is not a floating dtype.
        ValueError: if `dim` is out of range for `x`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.log_softmax(jnp.array([0.0, 0.0])))
        [-0.6931 -0.6931]
        >>> funcnet.log_softmax(jnp.array([0.0, 0.0], jnp.float32), dtype=jnp.float64).dtype
        dtype('float64')
    """
    x = _cast("log_softmax", _floating("log_softmax", x), dtype)
    axis = check_dim(dim, x.ndim, "log_softmax")
    if x.ndim == 0:  # one class: log-probability 0
        return jax.nn.log_softmax(x[None], axis=0)[0]
    return jax.nn.log_softmax(x, axis=axis)


def gelu(x: ArrayLike, approximate: str = "none") -> jax.Array:
    """Gaussian error linear unit $x \\Phi(x) = \\tfrac{x}{2}(1 + \\mathrm{erf}(x/\\sqrt{2}))$.

    Args:
        x: `(*shape)` input.
        approximate: `"none"` for the exact erf form, `"tanh"` for
            $\\tfrac{x}{2}(1 + \\tanh(\\sqrt{2/\\pi}(x + 0.044715 x^3)))$; PyTorch's names.

    Returns:
        `(*shape)` output.

    Raises:
        ValueError: if `approximate` is neither `"none"` nor `"tanh"`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.gelu(jnp.array([-1.0, 0.0, 1.0])))
        [-0.1587 0. 0.8413]
    """
    one_of(approximate, ("none", "tanh"), "approximate", "gelu")
    return jax.nn.gelu(_floating("gelu", x), approximate=approximate == "tanh")


def elu(x: ArrayLike, alpha: float = 1.0) -> jax.Array:
    """Exponential linear unit: $x$ for $x > 0$, $\\alpha (e^x - 1)$ otherwise.

    The derivative at 0 is $\\alpha$ (the left branch), as in PyTorch.

    Args:
        x: `(*shape)` input.
        alpha: the saturation value for large negative inputs is $-\\alpha$.

    Returns:
        `(*shape)` output.

    Raises:
        TypeError: if `alpha` is not a real number.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.elu(jnp.array([-1e4, 0.0, 2.0])))
        [-1. 0. 2.]
    """
    alpha = real(alpha, "alpha", "elu")
    x = _floating("elu", x, ordered=True)
    # Zero the positive inputs before expm1: the unused branch must stay finite, or
    # its gradient (inf * 0) turns into nan through jnp.where. (jnp.minimum would
    # halve the derivative at the tie x = 0.)
    negative = jnp.where(x > 0, 0.0, x)
    return jnp.where(x > 0, x, alpha * jnp.expm1(negative))


def softplus(x: ArrayLike, beta: float = 1.0, threshold: float = 20.0) -> jax.Array:
    """Softplus $\\tfrac{1}{\\beta}\\log(1 + e^{\\beta x})$, linear where $\\beta x$ > `threshold`.

    The linear switch is PyTorch's; below it the log is computed with `logaddexp`, so it
    is stable for any input. $\\mathrm{softplus}'(x) = \\sigma(\\beta x)$.

    Args:
        x: `(*shape)` input.
        beta: sharpness $\\beta$ (must be non-zero).
        threshold: above this value of $\\beta x$ the function returns `x` itself.

    Returns:
        `(*shape)` positive output.

    Raises:
        TypeError: if `beta` or `threshold` is not a real number.
        ValueError: if `beta` is 0.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.softplus(jnp.array([-1e4, 0.0, 1e4])))
        [0. 0.6931 10000.]
    """
    beta = real(beta, "beta", "softplus")
    threshold = real(threshold, "threshold", "softplus")
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero, got 0.")
    x = _floating("softplus", x, ordered=True)
    scaled = beta * x
    return jnp.where(scaled > threshold, x, jnp.logaddexp(scaled, 0.0) / beta)


def silu(x: ArrayLike) -> jax.Array:
    """Sigmoid-weighted linear unit (swish) $x\\,\\sigma(x)$.

    Args:
        x: `(*shape)` input.

    Returns:
        `(*shape)` output.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.silu(jnp.array([0.0, 1.0])))
        [0. 0.7311]
    """
    return jax.nn.silu(_floating("silu", x))

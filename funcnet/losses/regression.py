"""Regression losses: `mse_loss`, `l1_loss`, `smooth_l1_loss`, `huber_loss`."""

from __future__ import annotations

from numbers import Real

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet.losses._common import _abs, _pair, _reduce

__all__ = ["huber_loss", "l1_loss", "mse_loss", "smooth_l1_loss"]


def mse_loss(input: ArrayLike, target: ArrayLike, *, reduction: str = "mean") -> jax.Array:
    """Mean squared error $(x - y)^2$.

    Args:
        input: `(*shape)` predictions.
        target: `(*shape)` targets (same shape; no broadcasting).
        reduction: `"mean"`, `"sum"` or `"none"`.

    Returns:
        A scalar, or `(*shape)` for `"none"`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.mse_loss(jnp.array([1.0, 2.0]), jnp.array([1.0, 4.0])))
        2.0
    """
    input, target = _pair("mse_loss", input, target, reduction)
    return _reduce(jnp.square(input - target), reduction)


def l1_loss(input: ArrayLike, target: ArrayLike, *, reduction: str = "mean") -> jax.Array:
    """Mean absolute error $|x - y|$ (gradient 0 where $x = y$, as PyTorch's `sign`).

    Args:
        input: `(*shape)` predictions.
        target: `(*shape)` targets.
        reduction: `"mean"`, `"sum"` or `"none"`.

    Returns:
        A scalar, or `(*shape)` for `"none"`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.l1_loss(jnp.array([1.0, 2.0]), jnp.array([1.0, 4.0])))
        1.0
    """
    input, target = _pair("l1_loss", input, target, reduction)
    return _reduce(_abs(input - target), reduction)


def smooth_l1_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", beta: float = 1.0
) -> jax.Array:
    """Smooth L1: $0.5 d^2 / \\beta$ where $|d| < \\beta$, else $|d| - 0.5\\beta$ ($d = x - y$).

    Args:
        input: `(*shape)` predictions.
        target: `(*shape)` targets.
        reduction: `"mean"`, `"sum"` or `"none"`.
        beta: the switch point, >= 0; `beta=0` is `l1_loss`.

    Returns:
        A scalar, or `(*shape)` for `"none"`.

    Raises:
        ValueError: for a negative `beta`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.smooth_l1_loss(jnp.array([0.5, 3.0]), jnp.array([0.0, 0.0])))
        1.3125
    """
    if isinstance(beta, bool) or not isinstance(beta, Real):
        raise TypeError(f"smooth_l1_loss: beta must be a real number >= 0, got {beta!r}.")
    if not beta >= 0:  # also refuses nan
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}.")
    input, target = _pair("smooth_l1_loss", input, target, reduction)
    diff = _abs(input - target)
    if beta == 0:
        return _reduce(diff, reduction)
    losses = jnp.where(diff < beta, 0.5 * jnp.square(diff) / beta, diff - 0.5 * beta)
    return _reduce(losses, reduction)


def huber_loss(
    input: ArrayLike, target: ArrayLike, *, reduction: str = "mean", delta: float = 1.0
) -> jax.Array:
    """Huber: $0.5 d^2$ where $|d| \\le \\delta$, else $\\delta(|d| - 0.5\\delta)$.

    Equal to `delta * smooth_l1_loss(..., beta=delta)`.

    Args:
        input: `(*shape)` predictions.
        target: `(*shape)` targets.
        reduction: `"mean"`, `"sum"` or `"none"`.
        delta: the switch point, > 0.

    Returns:
        A scalar, or `(*shape)` for `"none"`.

    Raises:
        ValueError: for a non-positive `delta`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.huber_loss(jnp.array([0.5, 3.0]), jnp.array([0.0, 0.0])))
        1.3125
    """
    if isinstance(delta, bool) or not isinstance(delta, Real):
        raise TypeError(f"huber_loss: delta must be a real number > 0, got {delta!r}.")
    if not delta > 0:  # also refuses nan
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    input, target = _pair("huber_loss", input, target, reduction)
    diff = _abs(input - target)
    losses = jnp.where(diff <= delta, 0.5 * jnp.square(diff), delta * (diff - 0.5 * delta))
    return _reduce(losses, reduction)

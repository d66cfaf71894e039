"""Regression losses: `mse_loss`, `l1_loss`, `smooth_l1_loss`, `huber_loss`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet._validate import real
from funcnet.losses._common import absolute, checked_pair, reduce_loss

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
    input, target = checked_pair("mse_loss", input, target, reduction)
    return reduce_loss(jnp.square(input - target), reduction)


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
    input, target = checked_pair("l1_loss", input, target, reduction)
    return reduce_loss(absolute(input - target), reduction)


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
    real(beta, "beta", "smooth_l1_loss", wanted="a real number >= 0")
    if not beta >= 0:  # also refuses nan
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}.")
    input, target = checked_pair("smooth_l1_loss", input, target, reduction)
    diff = absolute(input - target)
    if beta == 0:
        return reduce_loss(diff, reduction)
    losses = jnp.where(diff < beta, 0.5 * jnp.square(diff) / beta, diff - 0.5 * beta)
    return reduce_loss(losses, reduction)


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
    real(delta, "delta", "huber_loss", wanted="a real number > 0")
    if not delta > 0:  # also refuses nan
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    input, target = checked_pair("huber_loss", input, target, reduction)
    diff = absolute(input - target)
    losses = jnp.where(diff <= delta, 0.5 * jnp.square(diff), delta * (diff - 0.5 * delta))
    return reduce_loss(losses, reduction)

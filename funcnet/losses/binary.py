"""Binary losses: `binary_cross_entropy` and its logits form."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet._validate import concrete, floating
from funcnet.errors import ShapeError
from funcnet.losses._common import checked_pair, reduce_loss

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits"]


# PyTorch clamps each log term of binary_cross_entropy at -100 so that p = 0 or 1 gives
# a finite loss, and divides the gradient by max(p (1 - p), 1e-12).
_LOG_FLOOR = -100.0
_GRAD_EPSILON = 1e-12


@jax.custom_jvp
def _bce_terms(p: jax.Array, y: jax.Array) -> jax.Array:
    log_p = jnp.maximum(jnp.log(p), _LOG_FLOOR)
    log_q = jnp.maximum(jnp.log1p(-p), _LOG_FLOOR)
    return -(y * log_p + (1.0 - y) * log_q)


@_bce_terms.defjvp
def _bce_terms_jvp(primals, tangents):
    p, y = primals
    dp, dy = tangents
    log_p = jnp.maximum(jnp.log(p), _LOG_FLOOR)
    log_q = jnp.maximum(jnp.log1p(-p), _LOG_FLOOR)
    value = -(y * log_p + (1.0 - y) * log_q)
    d_dp = (p - y) / jnp.maximum(p * (1.0 - p), _GRAD_EPSILON)
    d_dy = log_q - log_p
    return value, d_dp * dp + d_dy * dy


def _binary_weight(name: str, argument: str, weight, shape) -> jax.Array | None:
    if weight is None:
        return None
    weight = floating(weight, name, argument)
    try:
        fits = jnp.broadcast_shapes(weight.shape, shape) == tuple(shape)
    except ValueError:
        fits = False
    if not fits:
        raise ShapeError(
            f"{name}: {argument} of shape {weight.shape} does not broadcast to {shape}",
            layer=name,
            detail=f"needs a {argument} that broadcasts to the input shape {shape}",
        )
    return jnp.broadcast_to(weight, shape)


def binary_cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
) -> jax.Array:
    """Binary cross-entropy of probabilities: $-w[y \\log p + (1 - y)\\log(1 - p)]$.

    Takes probabilities in `[0, 1]` (after a sigmoid). Each log is clamped at -100 and
    the gradient uses PyTorch's formula, so `p = 0` or `1` stays finite. Prefer
    `binary_cross_entropy_with_logits`, which is stable without clamping.

    Args:
        input: `(*shape)` probabilities in `[0, 1]`.
        target: `(*shape)` targets in `[0, 1]`.
        weight: rescaling weight broadcastable to `(*shape)`, or None.
        reduction: `"mean"`, `"sum"` or `"none"`.

    Returns:
        A scalar, or `(*shape)` for `"none"`.

    Raises:
        ValueError: if concrete `input` values lie outside `[0, 1]`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.binary_cross_entropy(jnp.array([0.8, 0.4]), jnp.array([1.0, 0.0])))
        0.367
    """
    input, target = checked_pair("binary_cross_entropy", input, target, reduction)
    values = concrete(input)
    if values is not None and not ((values >= 0) & (values <= 1)).all():
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1; "
            "pass probabilities (after sigmoid), or use binary_cross_entropy_with_logits."
        )
    losses = _bce_terms(input, target)
    weight = _binary_weight("binary_cross_entropy", "weight", weight, losses.shape)
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses, reduction)


def binary_cross_entropy_with_logits(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    reduction: str = "mean",
    pos_weight: ArrayLike | None = None,
) -> jax.Array:
    """Binary cross-entropy of logits: `binary_cross_entropy(sigmoid(x), y)`, stably.

    $\\ell = (1 - y)x + (1 + (p_w - 1)y)\\,\\mathrm{softplus}(-x)$, PyTorch's form, exact
    for logits of any magnitude.

    Args:
        input: `(*shape)` logits.
        target: `(*shape)` targets in `[0, 1]`.
        weight: rescaling weight broadcastable to `(*shape)`, or None.
        reduction: `"mean"`, `"sum"` or `"none"`.
        pos_weight: weight of positive examples, broadcastable to `(*shape)` (one per
            class on the last axis), or None.

    Returns:
        A scalar, or `(*shape)` for `"none"`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> logits, target = jnp.array([1e4, -1e4]), jnp.array([1.0, 0.0])
        >>> print(funcnet.binary_cross_entropy_with_logits(logits, target))
        0.0
    """
    name = "binary_cross_entropy_with_logits"
    input, target = checked_pair(name, input, target, reduction)
    # softplus(-x) = log(1 + exp(-x)), via logaddexp for any magnitude.
    softplus_neg = jnp.logaddexp(0.0, -input)
    pos_weight = _binary_weight(name, "pos_weight", pos_weight, input.shape)
    if pos_weight is None:
        losses = (1.0 - target) * input + softplus_neg
    else:
        losses = (1.0 - target) * input + (1.0 + (pos_weight - 1.0) * target) * softplus_neg
    weight = _binary_weight(name, "weight", weight, input.shape)
    if weight is not None:
        losses = losses * weight
    return reduce_loss(losses, reduction)

"""What the losses share: the `reduction` argument, the elementwise pair check, `|x|`.

A private module: its names without an underscore are used by the other loss modules.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet._validate import floating, one_of
from funcnet.errors import ShapeError

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name: str, reduction: object) -> str:
    """`reduction` if it is `"mean"`, `"sum"` or `"none"`; else a `ValueError` naming `name`."""
    return one_of(reduction, REDUCTIONS, "reduction", name)


def reduce_loss(loss: jax.Array, reduction: str) -> jax.Array:
    """The mean or sum of per-example losses, or the losses themselves for `"none"`."""
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _reshape_hint(input_shape: tuple, target_shape: tuple) -> str:
    if input_shape == (*target_shape, 1):
        return (
            f"drop the input's last axis of size 1 with input[..., 0] (a Linear(..., 1) "
            f"gives {input_shape}), or give the target that axis with target[..., None]; "
        )
    if target_shape == (*input_shape, 1):
        return "drop the target's last axis of size 1 with target[..., 0]; "
    return "reshape one to match; "


def _same_shape(name: str, input: jax.Array, target: jax.Array) -> None:
    if input.shape != target.shape:
        raise ShapeError(
            f"Using a target size ({target.shape}) that is different to the input size "
            f"({input.shape})",
            layer=name,
            detail=(
                f"needs target and input of the same shape but receives {target.shape} "
                f"and {input.shape}"
            ),
            hint=_reshape_hint(input.shape, target.shape)
            + "funcnet does not broadcast here (PyTorch broadcasts with a warning, which "
            "silently computes a different loss).",
        )


def absolute(x: jax.Array) -> jax.Array:
    """$|x|$ with gradient `sign(x)`, 0 at $x = 0$ as in PyTorch (`jnp.abs` gives 1 there)."""
    return x * jnp.sign(x)


def checked_pair(
    name: str, input: ArrayLike, target: ArrayLike, reduction: str
) -> tuple[jax.Array, jax.Array]:
    """`(input, target)` of an elementwise loss, checked: `reduction`, floating dtypes,
    and the same shape (no broadcasting)."""
    check_reduction(name, reduction)
    input = floating(input, name, "input")
    target = floating(target, name, "target")
    _same_shape(name, input, target)
    return input, target

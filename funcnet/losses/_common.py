"""Helpers shared by the losses: argument checks and reductions."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from funcnet.errors import ShapeError

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(name: str, reduction: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{name}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}.")


def _reduce(loss: jax.Array, reduction: str) -> jax.Array:
    if reduction == "mean":
        return jnp.mean(loss)
    if reduction == "sum":
        return jnp.sum(loss)
    return loss


def _float_input(name: str, argument: str, x: ArrayLike) -> jax.Array:
    x = jnp.asarray(x)
    if not jnp.issubdtype(x.dtype, jnp.floating):
        raise TypeError(
            f"{name}: {argument} must be floating point, got dtype {x.dtype}; "
            f"convert it with {argument}.astype(jnp.float32)."
        )
    return x


def _concrete(x: jax.Array) -> np.ndarray | None:
    """The values of `x` if known now (outside `jit`), else None."""
    if isinstance(x, jax.core.Tracer):
        return None
    return np.asarray(x)


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


def _abs(x: jax.Array) -> jax.Array:
    """$|x|$ with gradient `sign(x)`, 0 at $x = 0$ as in PyTorch (`jnp.abs` gives 1 there)."""
    return x * jnp.sign(x)


def _pair(name: str, input: ArrayLike, target: ArrayLike, reduction: str):
    _check_reduction(name, reduction)
    input = _float_input(name, "input", input)
    target = _float_input(name, "target", target)
    _same_shape(name, input, target)
    return input, target

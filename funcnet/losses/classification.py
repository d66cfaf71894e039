"""Multi-class losses: `cross_entropy` and `nll_loss`."""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet._validate import floating, real
from funcnet.errors import ShapeError
from funcnet.losses._common import check_reduction, reduce_loss
from funcnet.losses._targets import (
    check_argument_order,
    check_ignore_index,
    check_index_target,
    probability_target_mismatch,
)

__all__ = ["cross_entropy", "nll_loss"]


def _class_axis_last(name: str, input: jax.Array) -> jax.Array:
    """Move the class axis (1, or 0 for an unbatched input) to the end."""
    if input.ndim == 0:
        raise ShapeError(
            f"{name}: input must have a class dimension, got a scalar",
            layer=name,
            detail="needs input of shape (C,), (N, C) or (N, C, d1, ...) but receives ()",
        )
    return input if input.ndim == 1 else jnp.moveaxis(input, 1, -1)


def _check_class_weight(name: str, weight: ArrayLike | None, classes: int) -> jax.Array | None:
    if weight is None:
        return None
    weight = floating(weight, name, "weight")
    if weight.shape != (classes,):
        raise ShapeError(
            f"{name}: weight tensor should be defined either for all {classes} classes or "
            f"no classes but got weight tensor of shape: {list(weight.shape)}",
            layer=name,
            detail=f"needs weight of shape ({classes},) but receives {weight.shape}",
        )
    return weight


def _picked(log_probs: jax.Array, target: jax.Array, ignore_index: int):
    """`log_probs[..., target]` with ignored entries set to 0, plus the keep mask."""
    classes = log_probs.shape[-1]
    keep = target != ignore_index
    valid = (target >= 0) & (target < classes)
    safe = jnp.where(keep & valid, target, 0).astype(jnp.int32)
    picked = jnp.take_along_axis(log_probs, safe[..., None], axis=-1)[..., 0]
    # Under jit an out-of-range index cannot raise; make it visible as nan.
    picked = jnp.where(keep & ~valid, jnp.nan, picked)
    return jnp.where(keep, picked, 0.0), keep


def nll_loss(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
) -> jax.Array:
    """Negative log-likelihood of class indices given log-probabilities.

    $\\ell_i = -w_{y_i} \\log p_{i, y_i}$; `"mean"` divides by $\\sum_i w_{y_i}$ over the
    examples not ignored (PyTorch's weighted mean).

    Args:
        input: `(N, C)`, `(C,)` or `(N, C, d1, ...)` log-probabilities.
        target: `(N,)`, `()` or `(N, d1, ...)` integer class indices.
        weight: `(C,)` per-class weights, or None.
        ignore_index: a target value that contributes nothing.
        reduction: `"mean"`, `"sum"` or `"none"`.

    Returns:
        A scalar, or the per-example losses of `target`'s shape for `"none"`. With
        `"mean"` and every target ignored the result is `nan` (0/0), as in PyTorch.

    Raises:
        TypeError: for float targets or integer input, or the arguments swapped
            (`nll_loss(labels, log_probs)`).
        ShapeError: for mismatched shapes, saying which (a batch of 4 inputs but 3
            labels, labels of shape `(N, 1)`, ...) and how to fix it.
        ValueError: for concrete targets outside `[0, C)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> log_probs = jnp.log(jnp.array([[0.25, 0.75], [0.5, 0.5]]))
        >>> print(funcnet.nll_loss(log_probs, jnp.array([1, 0])))
        0.4904
    """
    return _nll("nll_loss", input, target, weight, ignore_index, reduction)


def _nll(name, input, target, weight, ignore_index, reduction) -> jax.Array:
    """`nll_loss`, with errors that name `name`, the function the user called."""
    check_reduction(name, reduction)
    ignore_index = check_ignore_index(name, ignore_index)
    check_argument_order(name, input, target)
    log_probs = _class_axis_last(name, floating(input, name, "input"))
    target = _int_target(name, target)
    classes = log_probs.shape[-1]
    weight = _check_class_weight(name, weight, classes)
    check_index_target(name, target, log_probs.shape[:-1], classes, ignore_index)
    picked, keep = _picked(log_probs, target, ignore_index)
    example_weight = keep.astype(log_probs.dtype)
    if weight is not None:
        example_weight = example_weight * weight[jnp.where(keep, target, 0)]
    losses = -picked * example_weight
    if reduction == "mean":
        return jnp.sum(losses) / jnp.sum(example_weight)
    return reduce_loss(losses, reduction)


def _int_target(name: str, target: ArrayLike) -> jax.Array:
    target = jnp.asarray(target)
    if not jnp.issubdtype(target.dtype, jnp.integer):
        raise TypeError(
            f"{name}: class-index targets must be integers, got dtype {target.dtype}; use "
            "target.astype(jnp.int32), or pass class probabilities shaped like the input."
        )
    return target


def cross_entropy(
    input: ArrayLike,
    target: ArrayLike,
    *,
    weight: ArrayLike | None = None,
    ignore_index: int = -100,
    reduction: str = "mean",
    label_smoothing: float = 0.0,
) -> jax.Array:
    """Cross-entropy between logits and class indices or class probabilities.

    Takes **logits** (unnormalised scores), like `torch.nn.CrossEntropyLoss`: it applies
    `log_softmax` itself. Feeding it softmax outputs applies softmax twice, which
    shrinks the gradients.

    With integer targets $y$: $\\ell_i = -w_{y_i} \\log \\mathrm{softmax}(x_i)_{y_i}$.
    With probability targets $t$ (floats shaped like `input`):
    $\\ell_i = -\\sum_c w_c t_{ic} \\log \\mathrm{softmax}(x_i)_c$, and `"mean"` divides by
    the number of examples. `label_smoothing` $\\varepsilon$ mixes the target with the
    uniform distribution, $(1 - \\varepsilon)\\,t + \\varepsilon / C$, as PyTorch does.

    Args:
        input: `(N, C)`, `(C,)` or `(N, C, d1, ...)` logits.
        target: `(N,)`, `()` or `(N, d1, ...)` integer class indices, or float
            probabilities of the same shape as `input`.
        weight: `(C,)` per-class weights, or None.
        ignore_index: an index target value that contributes nothing.
        reduction: `"mean"`, `"sum"` or `"none"`.
        label_smoothing: $\\varepsilon$ in `[0, 1]`.

    Returns:
        A scalar, or per-example losses for `"none"`.

    Raises:
        TypeError: for integer logits, float targets not shaped like the input, or the
            arguments swapped (`cross_entropy(labels, logits)`).
        ShapeError: for mismatched shapes, saying which (a batch of 4 logits but 3
            labels, labels of shape `(N, 1)`, ...) and how to fix it.
        ValueError: for a bad `reduction` or `label_smoothing`, or concrete class
            indices outside `[0, C)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> logits = jnp.array([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
        >>> print(funcnet.cross_entropy(logits, jnp.array([0, 2])))
        0.1672
    """
    check_reduction("cross_entropy", reduction)
    real(label_smoothing, "label_smoothing", "cross_entropy", wanted="a float in [0, 1]")
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}."
        )
    check_argument_order("cross_entropy", input, target)
    logits = floating(input, "cross_entropy", "input")
    _class_axis_last("cross_entropy", logits)  # a scalar has no class axis to softmax over
    target = jnp.asarray(target)
    if jnp.issubdtype(target.dtype, jnp.floating):
        return _cross_entropy_probabilities(logits, target, weight, reduction, label_smoothing)
    log_probs = jax.nn.log_softmax(logits, axis=0 if logits.ndim == 1 else 1)
    nll = _nll("cross_entropy", log_probs, target, weight, ignore_index, reduction)
    if label_smoothing == 0.0:
        return nll
    classes = log_probs.shape[0 if log_probs.ndim == 1 else 1]
    smooth = _smoothing_term(log_probs, target, weight, ignore_index, reduction)
    return (1.0 - label_smoothing) * nll + smooth * (label_smoothing / classes)


def _smoothing_term(log_probs, target, weight, ignore_index, reduction):
    """PyTorch's uniform-target term: $-\\sum_c w_c \\log p_c$ per example."""
    log_probs = _class_axis_last("cross_entropy", log_probs)
    keep = target != ignore_index
    if weight is None:
        per_example = -jnp.sum(log_probs, axis=-1)
    else:
        weight = _check_class_weight("cross_entropy", weight, log_probs.shape[-1])
        per_example = -jnp.sum(log_probs * jnp.broadcast_to(weight, log_probs.shape), axis=-1)
    per_example = jnp.where(keep, per_example, 0.0)
    if reduction != "mean":
        return reduce_loss(per_example, reduction)
    if weight is None:
        return jnp.sum(per_example) / jnp.sum(keep)
    # PyTorch normalises by the weights of the kept targets, as its weighted NLL does.
    return jnp.sum(per_example) / jnp.sum(jnp.where(keep, weight[jnp.where(keep, target, 0)], 0.0))


def _cross_entropy_probabilities(logits, target, weight, reduction, label_smoothing):
    if target.shape != logits.shape:
        raise probability_target_mismatch("cross_entropy", target.shape, logits.shape)
    moved = _class_axis_last("cross_entropy", logits)
    target = _class_axis_last("cross_entropy", target)
    classes = moved.shape[-1]
    log_probs = jax.nn.log_softmax(moved, axis=-1)
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    weight = _check_class_weight("cross_entropy", weight, classes)
    if weight is not None:
        target = target * jnp.broadcast_to(weight, target.shape)
    # 0 log 0 = 0: a class with zero target probability contributes nothing, even
    # where its logit is -inf (a masked class), instead of 0 * -inf = nan.
    terms = jnp.where(target == 0, 0.0, target * log_probs)
    losses = -jnp.sum(terms, axis=-1)
    return reduce_loss(losses, reduction)

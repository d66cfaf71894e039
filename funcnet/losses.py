"""Losses with `torch.nn.functional` semantics: same arguments, values and gradients.

Every loss takes `(input, target)` in PyTorch's order and a `reduction` of `"mean"`,
`"sum"` or `"none"`. Shapes are checked in Python (at trace time under `jit`).

Where funcnet differs from PyTorch on purpose:

- A `target` whose shape differs from `input` in the elementwise losses (`mse_loss`,
  `l1_loss`, ...) is an error, not a broadcast with a warning: broadcasting there
  silently computes a different loss.
- Class-index targets are checked against `[0, C)` whenever their values are concrete
  (outside `jit`). Under `jit` the values are unknown while tracing, so an
  out-of-range target makes that example's loss `nan` rather than read a wrong class.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
from jax.typing import ArrayLike

from funcnet.errors import ShapeError

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]

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
            hint="reshape one to match; funcnet does not broadcast here, PyTorch warns.",
        )


# --- classification -------------------------------------------------------------


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
    weight = _float_input(name, "weight", weight)
    if weight.shape != (classes,):
        raise ShapeError(
            f"{name}: weight tensor should be defined either for all {classes} classes or "
            f"no classes but got weight tensor of shape: {list(weight.shape)}",
            layer=name,
            detail=f"needs weight of shape ({classes},) but receives {weight.shape}",
        )
    return weight


def _check_index_target(
    name: str, target: jax.Array, batch_shape: tuple, classes: int, ignore_index: int
) -> None:
    if target.shape != batch_shape:
        raise ShapeError(
            f"{name}: expected target of shape {batch_shape}, got {target.shape}",
            layer=name,
            detail=(
                f"needs one class index per example, shape {batch_shape}, but receives "
                f"{target.shape}"
            ),
            hint="for class probabilities pass a float target shaped like the input.",
        )
    values = _concrete(target)
    if values is None:
        return
    bad = (values != ignore_index) & ((values < 0) | (values >= classes))
    if bad.any():
        raise ValueError(
            f"{name}: Target {int(values[bad].flat[0])} is out of bounds: class indices "
            f"must lie in [0, {classes}) (or equal ignore_index={ignore_index})."
        )


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
        TypeError: for float targets or integer input.
        ShapeError: for mismatched shapes.
        ValueError: for concrete targets outside `[0, C)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> log_probs = jnp.log(jnp.array([[0.25, 0.75], [0.5, 0.5]]))
        >>> print(funcnet.nll_loss(log_probs, jnp.array([1, 0])))
        0.4904
    """
    _check_reduction("nll_loss", reduction)
    log_probs = _class_axis_last("nll_loss", _float_input("nll_loss", "input", input))
    target = _int_target("nll_loss", target)
    classes = log_probs.shape[-1]
    weight = _check_class_weight("nll_loss", weight, classes)
    _check_index_target("nll_loss", target, log_probs.shape[:-1], classes, ignore_index)
    picked, keep = _picked(log_probs, target, ignore_index)
    example_weight = keep.astype(log_probs.dtype)
    if weight is not None:
        example_weight = example_weight * weight[jnp.where(keep, target, 0)]
    losses = -picked * example_weight
    if reduction == "mean":
        return jnp.sum(losses) / jnp.sum(example_weight)
    return _reduce(losses, reduction)


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
        TypeError: for integer logits, or float targets not shaped like the input.
        ShapeError: for mismatched shapes.
        ValueError: for a bad `reduction` or `label_smoothing`, or concrete class
            indices outside `[0, C)`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> logits = jnp.array([[2.0, 0.0, 0.0], [0.0, 0.0, 3.0]])
        >>> print(funcnet.cross_entropy(logits, jnp.array([0, 2])))
        0.1672
    """
    _check_reduction("cross_entropy", reduction)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0.0 and 1.0, got {label_smoothing}."
        )
    logits = _float_input("cross_entropy", "input", input)
    _class_axis_last("cross_entropy", logits)  # a scalar has no class axis to softmax over
    target = jnp.asarray(target)
    if jnp.issubdtype(target.dtype, jnp.floating):
        return _cross_entropy_probabilities(logits, target, weight, reduction, label_smoothing)
    log_probs = jax.nn.log_softmax(logits, axis=0 if logits.ndim == 1 else 1)
    nll = nll_loss(
        log_probs, target, weight=weight, ignore_index=ignore_index, reduction=reduction
    )
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
        return _reduce(per_example, reduction)
    if weight is None:
        return jnp.sum(per_example) / jnp.sum(keep)
    # PyTorch normalises by the weights of the kept targets, as its weighted NLL does.
    return jnp.sum(per_example) / jnp.sum(jnp.where(keep, weight[jnp.where(keep, target, 0)], 0.0))


def _cross_entropy_probabilities(logits, target, weight, reduction, label_smoothing):
    if target.shape != logits.shape:
        raise TypeError(
            f"cross_entropy: a float target means class probabilities and must have the "
            f"input's shape {logits.shape}, got {target.shape}; for class indices pass "
            "integers (target.astype(jnp.int32))."
        )
    moved = _class_axis_last("cross_entropy", logits)
    target = _class_axis_last("cross_entropy", target)
    classes = moved.shape[-1]
    log_probs = jax.nn.log_softmax(moved, axis=-1)
    if label_smoothing > 0.0:
        target = target * (1.0 - label_smoothing) + label_smoothing / classes
    weight = _check_class_weight("cross_entropy", weight, classes)
    if weight is not None:
        target = target * jnp.broadcast_to(weight, target.shape)
    losses = -jnp.sum(target * log_probs, axis=-1)
    return _reduce(losses, reduction)


# --- regression -----------------------------------------------------------------


def _abs(x: jax.Array) -> jax.Array:
    """$|x|$ with gradient `sign(x)`, 0 at $x = 0$ as in PyTorch (`jnp.abs` gives 1 there)."""
    return x * jnp.sign(x)


def _pair(name: str, input: ArrayLike, target: ArrayLike, reduction: str):
    _check_reduction(name, reduction)
    input = _float_input(name, "input", input)
    target = _float_input(name, "target", target)
    _same_shape(name, input, target)
    return input, target


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
    if beta < 0:
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
    if delta <= 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta}.")
    input, target = _pair("huber_loss", input, target, reduction)
    diff = _abs(input - target)
    losses = jnp.where(diff <= delta, 0.5 * jnp.square(diff), delta * (diff - 0.5 * delta))
    return _reduce(losses, reduction)


# --- binary classification ------------------------------------------------------

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
    weight = _float_input(name, argument, weight)
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
    input, target = _pair("binary_cross_entropy", input, target, reduction)
    values = _concrete(input)
    if values is not None and not ((values >= 0) & (values <= 1)).all():
        raise ValueError(
            "binary_cross_entropy: all elements of input should be between 0 and 1; "
            "pass probabilities (after sigmoid), or use binary_cross_entropy_with_logits."
        )
    losses = _bce_terms(input, target)
    weight = _binary_weight("binary_cross_entropy", "weight", weight, losses.shape)
    if weight is not None:
        losses = losses * weight
    return _reduce(losses, reduction)


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
    input, target = _pair(name, input, target, reduction)
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
    return _reduce(losses, reduction)

"""Evaluation metrics: accuracy, precision, recall and F1.

These are measurements, not losses: they count thresholded or arg-maxed decisions, so
they are piecewise constant in the model's parameters and their gradient is zero
almost everywhere. Train with a loss (`cross_entropy`), report these.

Every metric takes `(input, target)`:

- `input` of the same shape as `target` holds predicted labels (integers), or
  probabilities for binary tasks (floats, thresholded at `threshold`);
- `input` with one more (last) axis than `target` holds scores or logits per class,
  and the prediction is their arg-max.

Divisions by zero (no predicted or no actual positives) give 0, as scikit-learn's
default `zero_division` does.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet.errors import ShapeError

__all__ = ["accuracy", "confusion_matrix", "f1_score", "precision", "recall"]


def _labels(name: str, input: ArrayLike, target: ArrayLike, threshold: float):
    input, target = jnp.asarray(input), jnp.asarray(target)
    if not (jnp.issubdtype(target.dtype, jnp.integer) or target.dtype == jnp.bool_):
        raise TypeError(f"{name}: target must hold integer labels, got dtype {target.dtype}.")
    if input.ndim == target.ndim + 1 and input.shape[:-1] == target.shape:
        return jnp.argmax(input, axis=-1), target
    if input.shape != target.shape:
        raise ShapeError(
            f"{name}: input shape {input.shape} does not fit target shape {target.shape}",
            layer=name,
            detail=(
                f"needs labels of shape {target.shape} or scores of shape "
                f"{(*target.shape, 'C')} but receives {input.shape}"
            ),
        )
    if jnp.issubdtype(input.dtype, jnp.floating):
        return (input >= threshold).astype(target.dtype), target
    return input, target


def accuracy(input: ArrayLike, target: ArrayLike, *, threshold: float = 0.5) -> jax.Array:
    """Fraction of predictions equal to the target.

    Args:
        input: `(*batch)` labels or probabilities, or `(*batch, C)` scores.
        target: `(*batch)` integer labels.
        threshold: for float `input` of `target`'s shape (binary probabilities).

    Returns:
        A scalar in `[0, 1]`.

    Example:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> logits = jnp.array([[2.0, 0.0], [0.0, 1.0], [3.0, 0.0]])
        >>> print(funcnet.accuracy(logits, jnp.array([0, 1, 1])))
        0.6667
    """
    predicted, target = _labels("accuracy", input, target, threshold)
    return jnp.mean((predicted == target).astype(jnp.result_type(float)))


def confusion_matrix(input: ArrayLike, target: ArrayLike, num_classes: int) -> jax.Array:
    """Counts `[i, j]` of examples with true class `i` predicted as class `j`.

    Args:
        input: `(*batch)` labels or `(*batch, C)` scores.
        target: `(*batch)` integer labels in `[0, num_classes)`.
        num_classes: the number of classes C.

    Returns:
        `(num_classes, num_classes)` integer counts (rows: truth, columns: prediction,
        as scikit-learn).

    Example:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.confusion_matrix(jnp.array([0, 1, 1]), jnp.array([0, 0, 1]), 2))
        [[1 1]
         [0 1]]
    """
    predicted, target = _labels("confusion_matrix", input, target, 0.5)
    flat = target.reshape(-1) * num_classes + predicted.reshape(-1)
    counts = jnp.bincount(flat, length=num_classes * num_classes)
    return counts.reshape(num_classes, num_classes)


def _safe_divide(numerator: jax.Array, denominator: jax.Array) -> jax.Array:
    return jnp.where(denominator > 0, numerator / jnp.maximum(denominator, 1), 0.0)


def _per_class(name, input, target, average, num_classes, threshold):
    """True positives, predicted positives and actual positives, per class or binary."""
    if average not in ("binary", "macro"):
        raise ValueError(f"{name}: average must be 'binary' or 'macro', got {average!r}.")
    predicted, target = _labels(name, input, target, threshold)
    dtype = jnp.result_type(float)
    if average == "binary":
        hits = (predicted == 1) & (target == 1)
        return (
            jnp.sum(hits).astype(dtype),
            jnp.sum(predicted == 1).astype(dtype),
            jnp.sum(target == 1).astype(dtype),
        )
    if num_classes is None:
        scores = jnp.asarray(input)
        if scores.ndim == target.ndim + 1:
            num_classes = scores.shape[-1]
        else:
            raise ValueError(f"{name}: average='macro' with label input needs num_classes.")
    matrix = confusion_matrix(predicted, target, num_classes).astype(dtype)
    return jnp.diagonal(matrix), matrix.sum(axis=0), matrix.sum(axis=1)


def precision(
    input: ArrayLike,
    target: ArrayLike,
    *,
    average: str = "binary",
    num_classes: int | None = None,
    threshold: float = 0.5,
) -> jax.Array:
    """Precision $TP / (TP + FP)$: of the predicted positives, the fraction that are right.

    Args:
        input: `(*batch)` labels or probabilities, or `(*batch, C)` scores.
        target: `(*batch)` integer labels.
        average: `"binary"` (class 1 is positive) or `"macro"` (unweighted mean over
            classes).
        num_classes: for `"macro"` with label input.
        threshold: for binary probabilities.

    Returns:
        A scalar in `[0, 1]`.

    Example:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.precision(jnp.array([1, 1, 0, 1]), jnp.array([1, 0, 0, 1])))
        0.6667
    """
    hits, predicted, _ = _per_class("precision", input, target, average, num_classes, threshold)
    return jnp.mean(_safe_divide(hits, predicted))


def recall(
    input: ArrayLike,
    target: ArrayLike,
    *,
    average: str = "binary",
    num_classes: int | None = None,
    threshold: float = 0.5,
) -> jax.Array:
    """Recall $TP / (TP + FN)$: of the actual positives, the fraction found.

    Args:
        input: `(*batch)` labels or probabilities, or `(*batch, C)` scores.
        target: `(*batch)` integer labels.
        average: `"binary"` or `"macro"`.
        num_classes: for `"macro"` with label input.
        threshold: for binary probabilities.

    Returns:
        A scalar in `[0, 1]`.

    Example:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.recall(jnp.array([1, 0, 0, 1]), jnp.array([1, 1, 0, 1])))
        0.6667
    """
    hits, _, actual = _per_class("recall", input, target, average, num_classes, threshold)
    return jnp.mean(_safe_divide(hits, actual))


def f1_score(
    input: ArrayLike,
    target: ArrayLike,
    *,
    average: str = "binary",
    num_classes: int | None = None,
    threshold: float = 0.5,
) -> jax.Array:
    """F1, the harmonic mean of precision and recall: $2TP / (2TP + FP + FN)$.

    With `"macro"`, the unweighted mean of the per-class F1 (scikit-learn's meaning).

    Args:
        input: `(*batch)` labels or probabilities, or `(*batch, C)` scores.
        target: `(*batch)` integer labels.
        average: `"binary"` or `"macro"`.
        num_classes: for `"macro"` with label input.
        threshold: for binary probabilities.

    Returns:
        A scalar in `[0, 1]`.

    Example:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.f1_score(jnp.array([1, 1, 0, 1]), jnp.array([1, 0, 0, 1])))
        0.8
    """
    hits, predicted, actual = _per_class("f1_score", input, target, average, num_classes, threshold)
    return jnp.mean(_safe_divide(2 * hits, predicted + actual))

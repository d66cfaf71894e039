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
`zero_division=0` does. `average="macro"` averages over the classes that occur in
`target` or in the predictions, as scikit-learn does when it is not given `labels`.

Labels are checked whenever their values are concrete (outside `jit`): `[0, C)` for
`confusion_matrix` and `"macro"`, `{0, 1}` for `"binary"`. Under `jit` the values are
unknown while tracing: `confusion_matrix` does not count an example with a label
outside `[0, C)`, and `"binary"` counts every label other than 1 as negative.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet._validate import concrete, integer, one_of
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


def _check_labels(name: str, labels: jax.Array, allowed: str, low: int, high: int) -> None:
    """Raise if concrete `labels` fall outside `[low, high)`."""
    values = concrete(labels)
    if values is None:
        return
    bad = (values < low) | (values >= high)
    if bad.any():
        raise ValueError(f"{name}: label {int(values[bad].flat[0])} is out of range; {allowed}.")


def _check_num_classes(name: str, input: jax.Array, target: jax.Array, num_classes) -> int:
    num_classes = integer(num_classes, "num_classes", name, wanted="an integer")
    if num_classes < 1:
        raise ValueError(f"{name}: num_classes must be at least 1, got {num_classes}.")
    if input.ndim == target.ndim + 1 and input.shape[-1] != num_classes:
        raise ShapeError(
            f"{name}: scores have {input.shape[-1]} classes but num_classes={num_classes}",
            layer=name,
            detail=(
                f"needs scores of shape {(*target.shape, num_classes)} but receives {input.shape}"
            ),
            hint="pass num_classes equal to the scores' last axis, or leave it out.",
        )
    return num_classes


def accuracy(input: ArrayLike, target: ArrayLike, *, threshold: float = 0.5) -> jax.Array:
    """Fraction of predictions equal to the target.

    Args:
        input: `(*batch)` labels or probabilities, or `(*batch, C)` scores.
        target: `(*batch)` integer labels.
        threshold: for float `input` of `target`'s shape (binary probabilities).

    Returns:
        A scalar in `[0, 1]`.

    Examples:
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

    Raises:
        ValueError: for concrete labels outside `[0, num_classes)`.
        ShapeError: for scores whose last axis is not `num_classes`.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.confusion_matrix(jnp.array([0, 1, 1]), jnp.array([0, 0, 1]), 2))
        [[1 1]
         [0 1]]
    """
    name = "confusion_matrix"
    num_classes = _check_num_classes(name, jnp.asarray(input), jnp.asarray(target), num_classes)
    predicted, target = _labels(name, input, target, 0.5)
    return _counts(name, predicted, target, num_classes)


def _counts(name: str, predicted: jax.Array, target: jax.Array, num_classes: int) -> jax.Array:
    allowed = f"labels must lie in [0, {num_classes}) for num_classes={num_classes}"
    _check_labels(name, target, allowed, 0, num_classes)
    _check_labels(name, predicted, allowed, 0, num_classes)
    predicted, target = predicted.reshape(-1), target.reshape(-1).astype(predicted.dtype)
    valid = (target >= 0) & (target < num_classes) & (predicted >= 0) & (predicted < num_classes)
    # An out-of-range pair (possible only under jit) would land in another cell: drop it.
    flat = jnp.where(valid, target * num_classes + predicted, 0)
    counts = jnp.bincount(flat, weights=valid.astype(jnp.int32), length=num_classes**2)
    return counts.reshape(num_classes, num_classes)


def _safe_divide(numerator: jax.Array, denominator: jax.Array) -> jax.Array:
    return jnp.where(denominator > 0, numerator / jnp.maximum(denominator, 1), 0.0)


def _average(scores: jax.Array, predicted: jax.Array, actual: jax.Array) -> jax.Array:
    """Mean of `scores` over the classes that are predicted or present (scikit-learn's)."""
    present = (predicted + actual) > 0
    return jnp.sum(jnp.where(present, scores, 0.0)) / jnp.maximum(jnp.sum(present), 1)


def _per_class(name, input, target, average, num_classes, threshold):
    """True positives, predicted positives and actual positives, per class or binary."""
    one_of(average, ("binary", "macro"), "average", name)
    scores = jnp.asarray(input)
    predicted, target = _labels(name, input, target, threshold)
    dtype = jnp.result_type(float)
    if average == "binary":
        # scikit-learn: "Target is multiclass but average='binary'".
        allowed = "average='binary' needs labels 0 and 1 (1 is positive); use average='macro'"
        _check_labels(name, target, allowed, 0, 2)
        _check_labels(name, predicted, allowed, 0, 2)
        hits = (predicted == 1) & (target == 1)
        return (
            jnp.sum(hits).astype(dtype),
            jnp.sum(predicted == 1).astype(dtype),
            jnp.sum(target == 1).astype(dtype),
        )
    if num_classes is None:
        if scores.ndim != target.ndim + 1:
            raise ValueError(f"{name}: average='macro' with label input needs num_classes.")
        num_classes = scores.shape[-1]
    num_classes = _check_num_classes(name, scores, target, num_classes)
    matrix = _counts(name, predicted, target, num_classes).astype(dtype)
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
            the classes that occur in `target` or in the predictions).
        num_classes: for `"macro"` with label input.
        threshold: for binary probabilities.

    Returns:
        A scalar in `[0, 1]`.

    Raises:
        ValueError: for a bad `average`, `"macro"` on labels without `num_classes`, or
            concrete labels outside `{0, 1}` (`"binary"`) or `[0, C)` (`"macro"`).
        TypeError: for a non-integer `target`.
        ShapeError: for an `input` shape that fits neither labels nor scores.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.precision(jnp.array([1, 1, 0, 1]), jnp.array([1, 0, 0, 1])))
        0.6667
    """
    hits, predicted, actual = _per_class(
        "precision", input, target, average, num_classes, threshold
    )
    return _average(_safe_divide(hits, predicted), predicted, actual)


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

    Raises:
        ValueError: for a bad `average`, `"macro"` on labels without `num_classes`, or
            concrete labels outside `{0, 1}` (`"binary"`) or `[0, C)` (`"macro"`).
        TypeError: for a non-integer `target`.
        ShapeError: for an `input` shape that fits neither labels nor scores.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.recall(jnp.array([1, 0, 0, 1]), jnp.array([1, 1, 0, 1])))
        0.6667
    """
    hits, predicted, actual = _per_class("recall", input, target, average, num_classes, threshold)
    return _average(_safe_divide(hits, actual), predicted, actual)


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

    Raises:
        ValueError: for a bad `average`, `"macro"` on labels without `num_classes`, or
            concrete labels outside `{0, 1}` (`"binary"`) or `[0, C)` (`"macro"`).
        TypeError: for a non-integer `target`.
        ShapeError: for an `input` shape that fits neither labels nor scores.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> print(funcnet.f1_score(jnp.array([1, 1, 0, 1]), jnp.array([1, 0, 0, 1])))
        0.8
    """
    hits, predicted, actual = _per_class(
        "f1_score", input, target, average, num_classes, threshold
    )
    return _average(_safe_divide(2 * hits, predicted + actual), predicted, actual)

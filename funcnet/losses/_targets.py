"""Checks of class-index and class-probability targets, and what went wrong, in words
that fix it.

The classification losses (and `fit`, before it compiles) call these; each names the
function the user called (`cross_entropy` or `nll_loss`), so an error raised by
`cross_entropy` does not speak of the `nll_loss` it uses inside.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet._checking import refuse_any
from funcnet._validate import integer
from funcnet.errors import ShapeError

# What each loss's input holds, for "a batch of 4 logits but 3 labels".
_SCORES = {"cross_entropy": "logits", "nll_loss": "log-probabilities"}


def check_ignore_index(name: str, ignore_index: object) -> int:
    """`ignore_index` as an int (not a bool).

    Raises:
        TypeError: if it is not an int.
    """
    return integer(ignore_index, "ignore_index", name)


def check_argument_order(name: str, input: ArrayLike, target: ArrayLike) -> None:
    """Refuse `loss(labels, logits)`: integer input, floating target that fits as input.

    The swap is recognised when the target has one more axis than the input (the class
    axis) or the same shape; any other integer input gets the plain dtype error.

    Raises:
        TypeError: naming the swap and the call in PyTorch's order.
    """
    input, target = jnp.asarray(input), jnp.asarray(target)
    integer_input = jnp.issubdtype(input.dtype, jnp.integer) or input.dtype == jnp.bool_
    if not integer_input or not jnp.issubdtype(target.dtype, jnp.floating):
        return
    if target.ndim == input.ndim + 1 or target.shape == input.shape:
        scores = _SCORES.get(name, "scores")
        raise TypeError(
            f"{name}: the arguments look swapped: input has integer dtype {input.dtype} "
            f"and shape {input.shape}, target has floating dtype {target.dtype} and shape "
            f"{target.shape}. The {scores} come first, then the labels, as in PyTorch: "
            f"{name}(input={scores.replace('-', '_')}, target=labels)."
        )


def check_index_target(
    name: str, target: jax.Array, batch_shape: tuple, classes: int, ignore_index: int
) -> None:
    """Integer class indices against the input: the batch shape, and values in
    `[0, classes)` or equal to `ignore_index`.

    Concrete values are checked now; under `jit` the check runs only inside
    `funcnet.checked` (an out-of-range index then makes that example's loss `nan`).

    Raises:
        ShapeError: for a target not of shape `batch_shape`, saying how to fix it.
        ValueError: for a concrete class index out of range.
    """
    if target.shape != batch_shape:
        raise index_target_mismatch(name, target.shape, batch_shape, classes)
    message = (
        f"{name}: Target {{}} is out of bounds: class indices must lie in [0, {classes}) "
        f"(or equal ignore_index={ignore_index})."
    )

    def wrong(values):
        return (values != ignore_index) & ((values < 0) | (values >= classes))

    refuse_any(wrong, target, message)


def index_target_mismatch(
    name: str, target_shape: tuple, batch_shape: tuple, classes: int
) -> ShapeError:
    """The error for class indices whose shape is not the input's batch shape.

    Args:
        name: the loss the user called.
        target_shape: the shape of the integer target.
        batch_shape: the shape it needed: the input's shape without its class axis.
        classes: the number of classes, $C$.
    """
    expected = f"expected target of shape {batch_shape}, got {target_shape}"
    scores = _SCORES.get(name, "scores")
    if target_shape == (*batch_shape, 1):
        squeeze = "labels[:, 0]" if len(target_shape) == 2 else "labels[..., 0]"
        return ShapeError(
            f"{name}: {expected}",
            layer=name,
            detail=(
                f"needs one class index per example, shape {batch_shape}, but receives "
                f"{target_shape}: the labels have an extra axis of size 1"
            ),
            hint=f"drop that axis: {name}(input, {squeeze}) or labels.squeeze(-1).",
        )
    if batch_shape and len(target_shape) == len(batch_shape) and target_shape[0] != batch_shape[0]:
        return ShapeError(
            f"{name}: Expected input batch_size ({batch_shape[0]}) to match target "
            f"batch_size ({target_shape[0]}).",
            layer=name,
            detail=(
                f"receives a batch of {batch_shape[0]} {scores} but {target_shape[0]} labels; "
                f"{expected}"
            ),
            hint=(
                "pass one label per example: take the input and the labels from the same "
                "batch (check how each was sliced)."
            ),
        )
    input_shape = (batch_shape[0], classes, *batch_shape[1:]) if batch_shape else (classes,)
    if target_shape == input_shape:
        hint = "integer labels shaped like the input look one-hot: pass labels.argmax(1)"
        if not batch_shape:
            hint = "integer labels shaped like the input look one-hot: pass labels.argmax(0)"
        if name == "cross_entropy":
            hint += ", or class probabilities as floats: labels.astype(jnp.float32)"
        return ShapeError(
            f"{name}: {expected}",
            layer=name,
            detail=f"needs one class index per example, shape {batch_shape}, but receives "
            f"{target_shape}, the shape of the input",
            hint=hint + ".",
        )
    return ShapeError(
        f"{name}: {expected}",
        layer=name,
        detail=(
            f"needs one class index per example, shape {batch_shape} (the input's shape "
            f"{input_shape} without its class axis 1), but receives {target_shape}"
        ),
        hint=f"give {name} labels of shape {batch_shape}.",
    )


def probability_target_mismatch(
    name: str, target_shape: tuple, input_shape: tuple
) -> TypeError | ShapeError:
    """The error for a float target that is not shaped like the input.

    A float target means class probabilities, so it must have the input's shape. A
    float target of the batch shape (or with an extra axis of size 1) looks like class
    indices stored as floats: a type problem. One of the input's shape but another
    batch size is a shape problem.
    """
    headline = (
        f"{name}: a float target means class probabilities and must have the input's "
        f"shape {input_shape}, got {target_shape}"
    )
    batch_shape = input_shape[:1] + input_shape[2:] if len(input_shape) > 1 else ()
    if target_shape in (batch_shape, (*batch_shape, 1)):
        labels = "target" if target_shape == batch_shape else "target[..., 0]"
        return TypeError(
            f"{headline}; these look like class indices stored as floats: pass integers, "
            f"{name}(input, {labels}.astype(jnp.int32))."
        )
    same_rank = len(target_shape) == len(input_shape) > 1
    if same_rank and target_shape[1:] == input_shape[1:]:
        return ShapeError(
            headline,
            layer=name,
            detail=(
                f"receives a batch of {input_shape[0]} {_SCORES.get(name, 'scores')} but "
                f"{target_shape[0]} target rows"
            ),
            hint="pass one target row per example, from the same batch as the input.",
        )
    return TypeError(
        f"{headline}; for class indices pass integers of shape {batch_shape} "
        "(target.astype(jnp.int32))."
    )

"""Evaluation and prediction: forward passes only, on one device or split over a mesh.

`evaluate` scores a model on data, `predict` returns its outputs, `per_example_grads`
gives each example's own gradient. They are re-exported from `funcnet.train` and
`funcnet`, where they have always been importable.

On a device mesh (`devices=`), the examples are split over the mesh's devices. The
evaluation forward pass treats examples independently (every funcnet layer does:
batch norm reads its running statistics, dropout is off), so a count that the devices
do not divide is padded with copies of the first examples and the padded outputs are
dropped before the loss: the numbers are those of one device, up to the order of
floating-point sums.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

from funcnet import _epochs, train
from funcnet import devices as _devices
from funcnet._guards import check_targets
from funcnet._validate import positive_int
from funcnet.layers import Layer, Params, State

__all__ = ["evaluate", "per_example_grads", "predict"]


def evaluate(
    model: Layer,
    params: Params | train.TrainState,
    data: tuple[ArrayLike, ArrayLike],
    *,
    loss_fn: train.LossFn,
    state: State | None = None,
    devices: _devices.DevicesLike = None,
) -> dict[str, float]:
    """Loss (and accuracy, for classification) on `data`, in evaluation mode.

    A model with state (batch norm) is evaluated with its running statistics: pass
    them as `state`, or pass the `TrainState` from `fit` as `params`.

    Args:
        model: the layer.
        params: its parameters, or a `TrainState` (its params and model state).
        data: `(x, y)`, `x: (N, ...)`, `y: (N, ...)`.
        loss_fn: `loss_fn(outputs, target) -> ()`.
        state: the model's state, for a model with state.
        devices: None for the default device; else a mesh, or what
            `funcnet.devices.mesh` builds one from (an int N for the first N of
            `jax.devices()`): the N examples are split over its devices.

    Returns:
        `{"loss": float}` plus `"accuracy"` for integer targets with class scores.

    Raises:
        TypeError, ValueError: for malformed data or devices, or a model with state
            evaluated without it.
        ShapeError, ValueError: for class targets that do not fit the model's outputs.

    Examples:
        >>> import jax, jax.numpy as jnp, funcnet
        >>> model = funcnet.Linear(2, 2, weight_init=funcnet.init.zeros())
        >>> params = model.init(jax.random.key(0), (1, 2))
        >>> params = {"weight": params["weight"], "bias": jnp.zeros(2)}
        >>> funcnet.evaluate(model, params, (jnp.ones((4, 2)), jnp.array([0, 1, 0, 1])),
        ...                  loss_fn=funcnet.cross_entropy)["loss"]  # log(2)
        0.6931...
    """
    x, y = _epochs.as_pair(data, "evaluate: data")
    params, state = train._with_model_state(model, params, state, "evaluate")
    check_targets("evaluate", model.output_shape(x.shape), y, loss_fn)
    grid = None if devices is None else _devices.mesh(devices)
    if grid is not None:
        params, state, x, y = _devices.replicate((params, state, x, y), grid)
    metrics = train._compiled_evaluate(model, loss_fn, grid)(params, state, x, y)
    return _epochs.floats(metrics)


def predict(
    model: Layer,
    params: Params | train.TrainState,
    x: ArrayLike,
    *,
    batch_size: int | None = None,
    state: State | None = None,
    devices: _devices.DevicesLike = None,
) -> jax.Array:
    """The model's outputs in evaluation mode: a forward pass only, no loss, no gradient.

    Args:
        model: the layer.
        params: its parameters, or a `TrainState` (its params and model state).
        x: `(N, ...)` inputs.
        batch_size: run in chunks of this many examples (bounds memory), or all at once.
        state: the model's state, for a model with state (batch norm).
        devices: None for the default device; else a mesh, or what
            `funcnet.devices.mesh` builds one from: each chunk's examples are split
            over its devices, and the outputs are gathered on every device.

    Returns:
        `(N, ...)` outputs, `model.output_shape(x.shape)`.

    Raises:
        TypeError, ValueError: for a bad batch size or devices, or a model with state
            run without it.

    Examples:
        >>> import jax, jax.numpy as jnp, funcnet
        >>> model = funcnet.Linear(3, 2)
        >>> params = model.init(jax.random.key(0), (1, 3))
        >>> funcnet.predict(model, params, jnp.ones((10, 3)), batch_size=4).shape
        (10, 2)
    """
    x = jnp.asarray(x)
    params, state = train._with_model_state(model, params, state, "predict")
    if batch_size is not None:
        positive_int(batch_size, "batch_size", "predict")
    grid = None if devices is None else _devices.mesh(devices)
    if grid is not None:
        params, state, x = _devices.replicate((params, state, x), grid)
    forward = jax.jit(lambda p, s, v: _epochs.outputs(model, p, s, v, grid))
    if batch_size is None or batch_size >= x.shape[0]:
        return forward(params, state, x)
    chunks = [
        forward(params, state, x[i : i + batch_size]) for i in range(0, x.shape[0], batch_size)
    ]
    return jnp.concatenate(chunks)


def per_example_grads(
    loss_fn: Callable[[Params, jax.Array, jax.Array], jax.Array],
    params: Params,
    batch: tuple[ArrayLike, ArrayLike],
) -> Params:
    """Gradients of each example's loss, stacked: `vmap` of `grad` over the batch.

    Args:
        loss_fn: `loss_fn(params, x, y) -> ()` for ONE example (`x` without the batch
            axis), e.g. `lambda p, x, y: funcnet.cross_entropy(model(p, x), y)`.
        params: the parameters.
        batch: `(x, y)` with `x: (N, ...)`, `y: (N, ...)`.

    Returns:
        A pytree shaped like `params` with a leading axis of size N on every leaf.

    Raises:
        TypeError, ValueError: when `batch` is not a pair of arrays with one target
            per example.

    Examples:
        >>> import jax, jax.numpy as jnp, funcnet
        >>> model = funcnet.Linear(3, 2)
        >>> params = model.init(jax.random.key(0), (1, 3))
        >>> loss = lambda p, x, y: funcnet.cross_entropy(model(p, x), y)
        >>> grads = funcnet.per_example_grads(loss, params, (jnp.ones((5, 3)), jnp.zeros(5, int)))
        >>> grads["weight"].shape
        (5, 2, 3)
    """
    x, y = _epochs.as_pair(batch, "per_example_grads: batch")
    return jax.vmap(jax.grad(loss_fn), in_axes=(None, 0, 0))(params, x, y)

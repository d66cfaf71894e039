"""Training: a pure train step, `fit` with one compiled call per epoch, evaluation.

The lesson's loop — forward, loss, `backward()`, update, "round after round" — is one
pure function here, `step(state, batch) -> (state, metrics)`. `fit` runs a whole epoch
of those steps as a single compiled call (`jax.lax.scan` over the shuffled
minibatches), so no Python runs between steps.

All randomness (shuffling, dropout) comes from the key carried in the `TrainState`, so
a run restarted from a saved state continues exactly as if it had never stopped.

Given `devices=` (a mesh, or a device count), `fit` is data parallel on JAX's own
sharding: params, optimizer state and model state are replicated, each step's batch
is split over the devices, and XLA adds the all-reduce of the gradients. The numbers
are those of one device, up to the order of floating-point sums (`funcnet.devices`).
Evaluation and prediction live in `funcnet.evaluation` and are re-exported here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import optax
from jax.sharding import Mesh
from jax.typing import ArrayLike

from funcnet import devices as _devices
from funcnet._epochs import EpochLoop, Progress
from funcnet._epochs import as_pair as _as_pair
from funcnet._epochs import batches as _batches
from funcnet._epochs import check_batch_size as _check_batch_size
from funcnet._epochs import floats as _floats
from funcnet._epochs import forward as _forward
from funcnet._epochs import metrics as _metrics
from funcnet._epochs import outputs as _outputs
from funcnet._epochs import place as _place
from funcnet._guards import (
    check_targets,
    deferred_interrupts,
    first_non_finite,
    sigterm_interrupts,
    warn_double_softmax,
)
from funcnet._validate import positive_int
from funcnet.data import num_batches
from funcnet.layers import Layer, Params, State

__all__ = [
    "TrainState",
    "fit",
    "init_state",
    "make_train_step",
    "steps_per_epoch",
]

# Defined in funcnet.evaluation, which builds on this module; importable from here too.
_EVALUATION = ("evaluate", "per_example_grads", "predict")

LossFn = Callable[[jax.Array, jax.Array], jax.Array]
Batch = tuple[jax.Array, jax.Array]


class TrainState(NamedTuple):
    """Everything a training run carries from step to step.

    Attributes:
        params: the model's parameters, which the optimizer trains.
        opt_state: the optax optimizer's state.
        step: `()` int32, the number of steps taken.
        key: the PRNG key that shuffling and dropout draw from.
        model_state: the model's state (batch norm's running statistics), which
            training carries and updates but does not differentiate: PyTorch's
            buffers. `()` for a model without state.
    """

    params: Params
    opt_state: optax.OptState
    step: jax.Array
    key: jax.Array
    model_state: State = ()


def init_state(
    params: Params,
    optimizer: optax.GradientTransformation,
    key: jax.Array,
    model_state: State = (),
) -> TrainState:
    """A fresh `TrainState` at step 0.

    Args:
        params: the model's parameters, from `model.init`.
        optimizer: an optax `GradientTransformation`.
        key: the PRNG key for shuffling and dropout.
        model_state: for a model with state, `model.initial_state(x.shape)`.

    Examples:
        >>> import jax, optax, funcnet
        >>> params = funcnet.Linear(3, 2).init(jax.random.key(0), (1, 3))
        >>> state = funcnet.init_state(params, optax.sgd(0.1), jax.random.key(1))
        >>> int(state.step)
        0
    """
    return TrainState(params, optimizer.init(params), jnp.zeros((), jnp.int32), key, model_state)


def _with_model_state(
    model: Layer, params: Any, state: State | None, owner: str
) -> tuple[Params, State]:
    """The params and model state to evaluate with; a `TrainState` brings both."""
    if isinstance(params, TrainState):
        params, state = params.params, params.model_state if state is None else state
    if model.stateful and not jax.tree_util.tree_leaves(state):
        raise TypeError(
            f"{owner}: the model carries state (batch norm's running statistics), which "
            "training and evaluation use: pass state=train_state.model_state, or pass the "
            "TrainState that fit returned in place of the params."
        )
    return params, state


def make_train_step(
    model: Layer, loss_fn: LossFn, optimizer: optax.GradientTransformation
) -> Callable[[TrainState, Batch], tuple[TrainState, dict[str, jax.Array]]]:
    """A pure train step: forward, loss, gradients, optimizer update.

    Args:
        model: the layer to train.
        loss_fn: `loss_fn(outputs, target) -> ()`, e.g. `funcnet.cross_entropy`.
        optimizer: an optax `GradientTransformation`, e.g. `optax.adam(1e-3)`.

    Returns:
        `step(state, (x, y)) -> (state, metrics)`, with `x: (batch, ...)` and
        `y: (batch, ...)`. `metrics` holds `"loss"` and, for integer targets and
        class scores, `"accuracy"`. Wrap it in `jax.jit` where you use it, or in
        `funcnet.checked` to have label values checked while it runs.

    Raises:
        ValueError: from `step`, when `x` and `y` hold different numbers of examples.

    Warns:
        DoubleSoftmaxWarning: when `model` ends in `Softmax` or `LogSoftmax` and
            `loss_fn` is `cross_entropy`, which takes logits.

    Examples:
        >>> import jax, jax.numpy as jnp, optax, funcnet
        >>> model = funcnet.Linear(3, 2)
        >>> optimizer = optax.sgd(0.1)
        >>> step = jax.jit(funcnet.make_train_step(model, funcnet.cross_entropy, optimizer))
        >>> params = model.init(jax.random.key(0), (4, 3))
        >>> state = funcnet.init_state(params, optimizer, jax.random.key(1))
        >>> state, metrics = step(state, (jnp.ones((4, 3)), jnp.array([0, 1, 0, 1])))
        >>> int(state.step), sorted(metrics)
        (1, ['accuracy', 'loss'])
    """
    warn_double_softmax(model, loss_fn, stacklevel=2)
    return step_function(model, loss_fn, optimizer)


def step_function(model: Layer, loss_fn: LossFn, optimizer: optax.GradientTransformation):
    """The train step `make_train_step` returns, without its warning: a building block."""

    def step(state: TrainState, batch: Batch) -> tuple[TrainState, dict[str, jax.Array]]:
        x, y = _as_pair(batch, "train step: batch")  # shapes are static: free under jit
        # Split the key only when a layer draws from it: deterministic models skip the
        # PRNG work, a measurable share of a small model's step.
        key, dropout_key = state.key, None
        if model.stochastic:
            key, dropout_key = jax.random.split(state.key)

        def objective(params):
            outputs, model_state = _forward(
                model, params, state.model_state, x, key=dropout_key, training=True
            )
            return loss_fn(outputs, y), (outputs, model_state)

        (loss, (outputs, model_state)), grads = jax.value_and_grad(objective, has_aux=True)(
            state.params
        )
        updates, opt_state = optimizer.update(grads, state.opt_state, state.params)
        params = optax.apply_updates(state.params, updates)
        new_state = TrainState(params, opt_state, state.step + 1, key, model_state)
        return new_state, _metrics(outputs, y, loss)

    return step


def epoch_function(
    step: Callable, batch_size: int, drop_last: bool, *, grid: Mesh | None = None
) -> Callable:
    """One epoch as a pure function: shuffle, scan the full batches, then the remainder.

    The building block of `fit` (jitted) and of sweeps (vmapped over runs, then
    jitted): `epoch(state, x, y) -> (state, mean metrics, (index, loss))`, the last
    being the first non-finite step loss and its index, or -1. `step` is a train
    step, `step(state, (x, y)) -> (state, metrics)`, such as `make_train_step` gives.

    With a mesh `grid`, the data and state are expected replicated on its devices:
    each batch of the scan is split over the mesh's batch axis (axis 1 of the
    `(steps, batch_size, ...)` stack), and so is the ragged remainder when the device
    count divides it; otherwise every device computes the remainder whole. The state
    comes out replicated.
    """

    def epoch(state: TrainState, x: jax.Array, y: jax.Array):
        count = x.shape[0]
        full = count // batch_size
        key, shuffle_key = jax.random.split(state.key)
        order = jax.random.permutation(shuffle_key, count)
        x, y = x[order], y[order]
        state = state._replace(key=key)
        head = full * batch_size
        batches = _batches((x[:head], y[:head]), full, batch_size)
        state, metrics = jax.lax.scan(step, state, _place(batches, grid, 1))
        totals = jax.tree_util.tree_map(lambda m: jnp.sum(m) * batch_size, metrics)
        losses, seen = metrics["loss"], head
        if count > head and not drop_last:
            state, last = step(state, _place((x[head:], y[head:]), grid, 0))
            totals = jax.tree_util.tree_map(lambda t, m: t + m * (count - head), totals, last)
            losses, seen = jnp.concatenate([losses, last["loss"][None]]), count
        means = jax.tree_util.tree_map(lambda t: t / seen, totals)
        if grid is not None:
            state = jax.lax.with_sharding_constraint(state, _devices.replicated(grid))
        return state, means, first_non_finite(losses, (state.params, state.model_state))

    return epoch


@functools.lru_cache(maxsize=32)
def _compiled_epoch(model, loss_fn, optimizer, batch_size: int, drop_last: bool, grid=None):
    """One jitted epoch of `epoch_function`, on one device or data parallel on `grid`.

    The input state is not donated: it is what `fit` returns when the epoch diverges
    or is interrupted.
    """
    step = step_function(model, loss_fn, optimizer)
    return jax.jit(epoch_function(step, batch_size, drop_last, grid=grid))


def fit(
    model: Layer,
    params_or_state: Params | TrainState,
    data: tuple[ArrayLike, ArrayLike],
    *,
    loss_fn: LossFn,
    optimizer: optax.GradientTransformation,
    epochs: int,
    batch_size: int,
    key: jax.Array | None = None,
    validation: tuple[ArrayLike, ArrayLike] | None = None,
    drop_last: bool = False,
    progress: bool = True,
    devices: _devices.DevicesLike = None,
) -> tuple[TrainState, dict[str, list[float]]]:
    """Train for `epochs` epochs; each epoch is one compiled call.

    Each epoch shuffles the examples with a key drawn from the state, runs
    `len(x) // batch_size` steps in a `lax.scan`, then one more step on the ragged
    remainder unless `drop_last`. The whole dataset is placed on the device once.

    With `devices` (data parallelism), the dataset, params, optimizer state and model
    state are copied to every device of the mesh once, and each step's batch is split
    over the devices; XLA sums the gradients across them. `batch_size` must be a
    multiple of the device count. The ragged last batch of an epoch is split too when
    the device count divides it, and otherwise computed whole on every device: never
    padded, so the gradients are those of one device, up to the order of sums.

    Before compiling, integer class targets (for `cross_entropy` and `nll_loss`) are
    checked against the model's class count, so a label outside `[0, C)` raises the
    eager loss's error instead of training on `nan`. After each epoch its step losses
    are checked: a non-finite one stops training (`DivergenceError`). Ctrl-C (SIGINT)
    or SIGTERM (if it has its default action) lets the running epoch finish, then
    raises `TrainingInterrupted`; XLA cannot stop inside a compiled epoch, and a
    signal recorded, not raised mid-way, cannot be lost. A second Ctrl-C raises at
    once and drops the running epoch.

    Args:
        model: the layer to train.
        params_or_state: initial params (a new `TrainState` is made with `key`), or a
            `TrainState` to continue from (its own key is used; `key` is ignored).
        data: `(x, y)` with `x: (N, ...)` and `y: (N, ...)`.
        loss_fn: `loss_fn(outputs, target) -> ()`.
        optimizer: an optax `GradientTransformation`.
        epochs: number of passes over the data.
        batch_size: examples per step.
        key: PRNG key for shuffling and dropout, needed when starting from params.
        validation: optional `(x, y)` validation data, evaluated after every epoch.
        drop_last: skip the ragged last batch of each epoch.
        progress: print one line per epoch to stderr, e.g.
            `epoch 3/5  loss 0.4  accuracy 0.9  val_loss 0.5  val_accuracy 0.8`.
        devices: None to train on the default device; else a `jax.sharding.Mesh`
            with a `"batch"` axis, an int N for the first N of `jax.devices()`, or a
            sequence of devices (see `funcnet.devices.mesh`).

    Returns:
        `(state, history)`: the final `TrainState`, and per-epoch lists `"loss"`
        (training mean over the epoch's steps), `"accuracy"` (for classification),
        `"val_loss"`, `"val_accuracy"` (with `validation`) and `"seconds"`.

    Raises:
        TypeError, ValueError: for malformed data, a bad batch size or a missing key,
            devices that do not exist, or a batch size they do not divide.
        ShapeError, ValueError: for class targets that do not fit the model's outputs.
        DivergenceError: when the training loss (or a parameter) becomes nan or inf;
            `error.state` is the state before that epoch.
        TrainingInterrupted: on SIGINT or SIGTERM; `error.state` is the state after
            the last completed epoch, `error.epoch` their number.

    Warns:
        DoubleSoftmaxWarning: for a final `Softmax`/`LogSoftmax` before `cross_entropy`.

    Examples:
        >>> import jax, jax.numpy as jnp, optax, funcnet
        >>> x = jax.random.normal(jax.random.key(0), (100, 2))
        >>> y = (x[:, 0] > 0).astype(jnp.int32)
        >>> model = funcnet.Linear(2, 2)
        >>> params = model.init(jax.random.key(1), x.shape)
        >>> state, history = funcnet.fit(
        ...     model, params, (x, y), loss_fn=funcnet.cross_entropy,
        ...     optimizer=optax.adam(0.1), epochs=5, batch_size=32,
        ...     key=jax.random.key(2), progress=False)
        >>> history["accuracy"][-1] > 0.9, int(state.step)
        (True, 20)
    """
    x, y = _as_pair(data, "fit: data")
    if x.shape[0] == 0:
        raise ValueError("fit: data has no examples (x has 0 rows); nothing to train on.")
    positive_int(epochs, "epochs", "fit")
    batch_size = _check_batch_size(batch_size, x.shape[0], drop_last)
    grid = _fit_mesh(devices, batch_size)
    state = _start(model, params_or_state, optimizer, key, x.shape)
    # Shape and label errors here name the layer or the label, before compiling.
    check_targets("fit", model.output_shape(x.shape), y, loss_fn)
    if validation is not None:
        validation = _as_pair(validation, "fit: validation")
        check_targets("fit", model.output_shape(validation[0].shape), validation[1], loss_fn)
    warn_double_softmax(model, loss_fn, stacklevel=2)
    if grid is not None:  # placed once: every epoch reads them where they are
        state, x, y, validation = _devices.replicate((state, x, y, validation), grid)
    validate = None
    if validation is not None:
        validate = functools.partial(_validate, model, validation, loss_fn, grid=grid)
    epoch_fn = _compiled_epoch(model, loss_fn, optimizer, batch_size, drop_last, grid)
    steps = steps_per_epoch(x.shape[0], batch_size, drop_last)
    with sigterm_interrupts(), deferred_interrupts() as interrupted:
        return EpochLoop(epoch_fn, (x, y), steps, validate).run(
            state, epochs, Progress(epochs, progress), interrupted
        )


def _fit_mesh(devices: _devices.DevicesLike, batch_size: int) -> Mesh | None:
    """The mesh `fit` splits its batches over, or None on the default device."""
    if devices is None:
        return None
    grid = _devices.mesh(devices)
    _devices.split_batches(batch_size, grid, "fit")
    return grid


def _start(
    model: Layer, params_or_state: Any, optimizer: Any, key: Any, shape: tuple[int, ...]
) -> TrainState:
    """The state `fit` starts from: the one given, or a new one from params and `key`."""
    if isinstance(params_or_state, TrainState):
        _with_model_state(model, params_or_state, None, "fit")
        return params_or_state
    if key is None:
        raise ValueError("fit: starting from params needs key=jax.random.key(seed).")
    return init_state(params_or_state, optimizer, key, model.initial_state(shape))


def _validate(
    model: Layer, data: Batch, loss_fn: LossFn, state: TrainState, *, grid: Mesh | None = None
) -> dict[str, float]:
    """`evaluate` without its checks, which `fit` made once before the first epoch."""
    metrics = _compiled_evaluate(model, loss_fn, grid)(state.params, state.model_state, *data)
    return _floats(metrics)


@functools.lru_cache(maxsize=32)
def _compiled_evaluate(model, loss_fn, grid=None):
    @jax.jit
    def run(params, model_state, x, y):
        outputs = _outputs(model, params, model_state, x, grid)
        return _metrics(outputs, y, loss_fn(outputs, y))

    return run


def steps_per_epoch(count: int, batch_size: int, drop_last: bool = False) -> int:
    """Number of optimizer steps in one epoch of `count` examples.

    Examples:
        >>> import funcnet
        >>> funcnet.steps_per_epoch(100, 32), funcnet.steps_per_epoch(100, 32, drop_last=True)
        (4, 3)
    """
    return num_batches(count, batch_size, drop_last)


def __getattr__(name: str) -> Any:
    """`evaluate`, `predict` and `per_example_grads`, from `funcnet.evaluation`."""
    if name in _EVALUATION:
        from funcnet import evaluation  # it imports this module: loaded on first use

        return getattr(evaluation, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

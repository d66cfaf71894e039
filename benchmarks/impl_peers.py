"""Flax NNX, Equinox and Haiku, each written the way its own documentation trains.

NNX: `nnx.jit` over the module and an `nnx.Optimizer`. Equinox: a per-example model,
`jax.vmap` over the batch, `eqx.filter_jit`. Haiku: `hk.transform` and `jax.jit`.
All three use optax's Adam and optax's integer-label softmax cross-entropy. NNX
convolutions are NHWC, so NNX gets its images transposed and its Flatten-following
Linear weight permuted to the same function.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax

from benchmarks.models import LEARNING_RATE, ModelSpec
from benchmarks.trainer import Skip, Trainer, jax_sync

__all__ = ["equinox_trainer", "haiku_trainer", "nnx_trainer"]


def _import(module: str, package: str):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise Skip(f"{package} is not installed or does not import ({error})") from None


def _loss(logits, target):
    return optax.softmax_cross_entropy_with_integer_labels(logits, target).mean()


def _activation(name: str):
    return {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}[name]


def _to_batch(spec: ModelSpec, nhwc: bool = False):
    dtype = jnp.dtype(spec.dtype)

    def to_batch(x, y):
        if nhwc and x.ndim == 4:
            x = x.transpose(0, 2, 3, 1)
        return jnp.asarray(x, dtype), jnp.asarray(y)

    return to_batch


def _nhwc_linear(weight: np.ndarray, channels: int, height: int, width: int) -> np.ndarray:
    """Reorder a Linear weight's inputs from (C, H, W) flattening to (H, W, C)."""
    classes = weight.shape[0]
    return (
        weight.reshape(classes, channels, height, width).transpose(0, 2, 3, 1).reshape(classes, -1)
    )


# --- Flax NNX ----------------------------------------------------------------------


def _nnx_model(spec: ModelSpec, weights: list[dict], nnx):
    dtype = jnp.dtype(spec.dtype)
    rngs = nnx.Rngs(0)
    options = {"rngs": rngs, "dtype": dtype, "param_dtype": dtype}

    def linear(layer, weight):
        module = nnx.Linear(weight.shape[1], weight.shape[0], **options)
        module.kernel.value = jnp.asarray(weight.T, dtype)
        module.bias.value = jnp.asarray(layer["bias"], dtype)
        return module

    layers = []
    if spec.kind == "cnn":
        channels, hidden, height, width, _ = spec.sizes
        conv = nnx.Conv(channels, hidden, (3, 3), padding=((1, 1), (1, 1)), **options)
        conv.kernel.value = jnp.asarray(weights[0]["weight"].transpose(2, 3, 1, 0), dtype)
        conv.bias.value = jnp.asarray(weights[0]["bias"], dtype)
        pool = lambda x: nnx.max_pool(x, (2, 2), (2, 2))  # noqa: E731
        flatten = lambda x: x.reshape(x.shape[0], -1)  # noqa: E731
        head = _nhwc_linear(weights[1]["weight"], hidden, height // 2, width // 2)
        return nnx.Sequential(conv, nnx.relu, pool, flatten, linear(weights[1], head))
    for index, layer in enumerate(weights):
        layers.append(linear(layer, layer["weight"]))
        if index < len(weights) - 1:
            layers.append(_activation(spec.activation))
    return nnx.Sequential(*layers)


def nnx_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    nnx = _import("flax.nnx", "flax")

    def init():
        model = _nnx_model(spec, weights, nnx)
        return model, nnx.Optimizer(model, optax.adam(LEARNING_RATE), wrt=nnx.Param)

    def make_step():
        @nnx.jit
        def train_step(model, optimizer, x, y):
            loss, grads = nnx.value_and_grad(lambda model: _loss(model(x), y))(model)
            optimizer.update(model, grads)
            return loss

        def step(state, batch):
            return state, train_step(*state, *batch)

        return step

    return Trainer(
        init=init,
        make_step=make_step,
        to_batch=_to_batch(spec, nhwc=True),
        sync=lambda state: jax_sync(nnx.state(state[0])),
    )


# --- Equinox -----------------------------------------------------------------------


def _equinox_model(spec: ModelSpec, weights: list[dict], eqx):
    dtype = jnp.dtype(spec.dtype)
    keys = iter(jax.random.split(jax.random.key(0), 8))
    layers, arrays = [], []
    if spec.kind == "cnn":
        channels, hidden = spec.sizes[:2]
        layers += [eqx.nn.Conv2d(channels, hidden, 3, padding=1, dtype=dtype, key=next(keys))]
        layers += [eqx.nn.Lambda(jax.nn.relu), eqx.nn.MaxPool2d(2, 2), eqx.nn.Lambda(jnp.ravel)]
        arrays += [weights[0]["weight"], weights[0]["bias"].reshape(hidden, 1, 1)]
        weights = weights[1:]
    for index, layer in enumerate(weights):
        fan_out, fan_in = layer["weight"].shape
        layers.append(eqx.nn.Linear(fan_in, fan_out, dtype=dtype, key=next(keys)))
        arrays += [layer["weight"], layer["bias"]]
        if index < len(weights) - 1:
            layers.append(eqx.nn.Lambda(_activation(spec.activation)))
    model = eqx.nn.Sequential(layers)
    trained = [index for index, layer in enumerate(layers) if hasattr(layer, "weight")]

    def where(model):
        return [getattr(model.layers[i], name) for i in trained for name in ("weight", "bias")]

    return eqx.tree_at(where, model, [jnp.asarray(value, dtype) for value in arrays])


def equinox_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    eqx = _import("equinox", "equinox")
    optimizer = optax.adam(LEARNING_RATE)

    def loss_fn(model, x, y):
        return _loss(jax.vmap(model)(x), y)

    def init():
        model = _equinox_model(spec, weights, eqx)
        return model, optimizer.init(eqx.filter(model, eqx.is_inexact_array))

    def make_step():
        @eqx.filter_jit
        def train_step(model, opt_state, x, y):
            loss, grads = eqx.filter_value_and_grad(loss_fn)(model, x, y)
            params = eqx.filter(model, eqx.is_inexact_array)
            updates, opt_state = optimizer.update(grads, opt_state, params)
            return eqx.apply_updates(model, updates), opt_state, loss

        def step(state, batch):
            model, opt_state, loss = train_step(*state, *batch)
            return (model, opt_state), loss

        return step

    return Trainer(
        init=init,
        make_step=make_step,
        to_batch=_to_batch(spec),
        sync=lambda state: jax_sync(eqx.filter(state, eqx.is_array)),
    )


# --- Haiku -------------------------------------------------------------------------


def _haiku_forward(spec: ModelSpec, hk):
    def forward(x):
        if spec.kind == "cnn":
            hidden, classes = spec.sizes[1], spec.sizes[-1]
            conv = hk.Conv2D(
                hidden, 3, padding=((1, 1), (1, 1)), data_format="NCHW", name="layer0"
            )
            x = jax.nn.relu(conv(x))
            x = hk.max_pool(x, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
            return hk.Linear(classes, name="layer1")(hk.Flatten()(x))
        for index, (_, fan_out) in enumerate(spec.layers):
            x = hk.Linear(fan_out, name=f"layer{index}")(x)
            if index < len(spec.layers) - 1:
                x = _activation(spec.activation)(x)
        return x

    return forward


def haiku_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    hk = _import("haiku", "dm-haiku")
    dtype = jnp.dtype(spec.dtype)
    model = hk.without_apply_rng(hk.transform(_haiku_forward(spec, hk)))
    optimizer = optax.adam(LEARNING_RATE)
    inputs = jax.ShapeDtypeStruct(spec.input_shape, dtype)
    template = jax.eval_shape(model.init, jax.random.PRNGKey(0), inputs)
    arrays = {}
    for index, layer in enumerate(weights):
        weight = layer["weight"]
        weight = weight.transpose(2, 3, 1, 0) if weight.ndim == 4 else weight.T
        shapes = template[f"layer{index}"]
        arrays[f"layer{index}"] = {
            "w": weight.reshape(shapes["w"].shape),
            "b": layer["bias"].reshape(shapes["b"].shape),
        }

    def loss_fn(params, x, y):
        return _loss(model.apply(params, x), y)

    def init():
        params = jax.tree.map(lambda value: jnp.asarray(value, dtype), arrays)
        return params, optimizer.init(params)

    def step(state, batch):
        params, opt_state = state
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optax.apply_updates(params, updates), opt_state), loss

    return Trainer(
        init=init,
        make_step=lambda: jax.jit(lambda state, batch: step(state, batch)),
        to_batch=_to_batch(spec),
        sync=jax_sync,
    )

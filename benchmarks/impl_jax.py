"""funcnet, hand-written `jax.numpy` (the zero-overhead reference) and `stax`.

Options after a colon in the implementation name, joined by `+`, each change one
thing: `donate` jits the step with `donate_argnums=0` (the old state's buffers are
reused for the new one); `io` stores Linear weights as `(in, out)` and computes `x @ W`.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax import lax

from benchmarks.models import LEARNING_RATE, ModelSpec
from benchmarks.trainer import Trainer, jax_sync

__all__ = ["funcnet_trainer", "raw_trainer", "stax_trainer"]

_B1, _B2, _EPS = 0.9, 0.999, 1e-8


def _to_batch(spec: ModelSpec):
    dtype = jnp.dtype(spec.dtype)
    return lambda x, y: (jnp.asarray(x, dtype), jnp.asarray(y))


def _jit(fn, option: str):
    return jax.jit(fn, donate_argnums=0) if "donate" in option.split("+") else jax.jit(fn)


def _activation(name: str):
    return {"sigmoid": jax.nn.sigmoid, "relu": jax.nn.relu}[name]


def cross_entropy(logits: jax.Array, target: jax.Array) -> jax.Array:
    """Mean negative log-likelihood of the integer targets, from logits, in plain jnp."""
    shifted = logits - lax.stop_gradient(jnp.max(logits, axis=1, keepdims=True))
    log_probs = shifted - jnp.log(jnp.sum(jnp.exp(shifted), axis=1, keepdims=True))
    return -jnp.mean(jnp.take_along_axis(log_probs, target[:, None], axis=1))


def _conv_pool(x, weight, bias):
    """Conv2d 3x3 padding 1 (NCHW, OIHW), ReLU, MaxPool2d 2, Flatten."""
    x = lax.conv_general_dilated(
        x, weight, (1, 1), ((1, 1), (1, 1)), None, None, ("NCHW", "OIHW", "NCHW")
    )
    x = jax.nn.relu(x + bias[None, :, None, None])
    x = lax.reduce_window(x, -jnp.inf, lax.max, (1, 1, 2, 2), (1, 1, 2, 2), "VALID")
    return x.reshape(x.shape[0], -1)


# --- hand-written jax.numpy --------------------------------------------------------


def _raw_forward(spec: ModelSpec, layout: str):
    activation = _activation(spec.activation)

    def forward(params, x):
        if spec.kind == "cnn":
            x = _conv_pool(x, params[0]["weight"], params[0]["bias"])
            params = params[1:]
        for index, layer in enumerate(params):
            weight = layer["weight"]
            x = (x @ weight if layout == "io" else x @ weight.T) + layer["bias"]
            if index < len(params) - 1:
                x = activation(x)
        return x

    return forward


def _adam(grads, opt_state, params):
    count, mu, nu = opt_state
    count = count + 1
    mu = jax.tree.map(lambda m, g: _B1 * m + (1 - _B1) * g, mu, grads)
    nu = jax.tree.map(lambda v, g: _B2 * v + (1 - _B2) * g * g, nu, grads)
    t = count.astype(jax.tree.leaves(params)[0].dtype)
    c1, c2 = 1 - _B1**t, 1 - _B2**t
    params = jax.tree.map(
        lambda p, m, v: p - LEARNING_RATE * (m / c1) / (jnp.sqrt(v / c2) + _EPS), params, mu, nu
    )
    return params, (count, mu, nu)


def raw_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    """Hand-written forward, cross-entropy and Adam; params are a list of dicts."""
    dtype = jnp.dtype(spec.dtype)
    layout = "io" if "io" in option.split("+") else "oi"
    forward = _raw_forward(spec, layout)

    arrays = [dict(layer) for layer in weights]
    if layout == "io":
        for layer in arrays[1 if spec.kind == "cnn" else 0 :]:
            layer["weight"] = np.ascontiguousarray(layer["weight"].T)

    def init():
        params = [
            {name: jnp.asarray(value, dtype) for name, value in layer.items()} for layer in arrays
        ]
        zeros = lambda: jax.tree.map(jnp.zeros_like, params)  # noqa: E731 - two separate buffers
        return params, (jnp.zeros((), jnp.int32), zeros(), zeros())

    def loss_fn(params, x, y):
        return cross_entropy(forward(params, x), y)

    def step(state, batch):
        params, opt_state = state
        loss, grads = jax.value_and_grad(loss_fn)(params, *batch)
        params, opt_state = _adam(grads, opt_state, params)
        return (params, opt_state), loss

    def make_epoch():
        @jax.jit
        def epoch(state, x, y):
            key = jax.random.fold_in(jax.random.key(0), state[1][0])
            order = jax.random.permutation(key, x.shape[0])
            steps = x.shape[0] // spec.batch
            xs = x[order].reshape(steps, spec.batch, *x.shape[1:])
            ys = y[order].reshape(steps, spec.batch)
            return lax.scan(step, state, (xs, ys))[0]

        return epoch

    return Trainer(
        init=init,
        make_step=lambda: _jit(lambda state, batch: step(state, batch), option),
        to_batch=_to_batch(spec),
        sync=jax_sync,
        make_epoch=make_epoch,
    )


# --- funcnet -----------------------------------------------------------------------


def _funcnet_model(spec: ModelSpec, dtype):
    import funcnet

    activation = {"sigmoid": funcnet.Sigmoid, "relu": funcnet.ReLU}[spec.activation]
    layers = []
    if spec.kind == "cnn":
        from funcnet.layers.conv import Conv2d
        from funcnet.layers.pool import MaxPool2d

        channels, hidden, height, width, classes = spec.sizes
        flat = hidden * (height // 2) * (width // 2)
        layers = [Conv2d(channels, hidden, 3, padding=1, dtype=dtype), funcnet.ReLU()]
        layers += [MaxPool2d(2), funcnet.Flatten(), funcnet.Linear(flat, classes, dtype=dtype)]
        return funcnet.Sequential(*layers)
    for index, (fan_in, fan_out) in enumerate(spec.layers):
        layers.append(funcnet.Linear(fan_in, fan_out, dtype=dtype))
        if index < len(spec.layers) - 1:
            layers.append(activation())
    return funcnet.Sequential(*layers)


def funcnet_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    """`funcnet.Sequential`, `funcnet.cross_entropy`, `make_train_step` and `fit`."""
    import funcnet

    dtype = jnp.dtype(spec.dtype)
    model = _funcnet_model(spec, dtype)
    optimizer = optax.adam(LEARNING_RATE)
    template = jax.eval_shape(lambda key: model.init(key, spec.input_shape), jax.random.key(0))
    layers = iter(weights)
    arrays = tuple(next(layers) if entry else {} for entry in template)
    if jax.tree.structure(template) != jax.tree.structure(arrays):
        raise RuntimeError("benchmark weights do not match funcnet's parameter structure")

    def init():
        params = jax.tree.map(lambda value: jnp.asarray(value, dtype), arrays)
        return funcnet.init_state(params, optimizer, jax.random.key(0))

    def make_epoch():
        def epoch(state, x, y):
            options = {"loss_fn": funcnet.cross_entropy, "optimizer": optimizer}
            return funcnet.fit(
                model, state, (x, y), **options, epochs=1, batch_size=spec.batch, progress=False
            )[0]

        return epoch

    return Trainer(
        init=init,
        make_step=lambda: _jit(
            funcnet.make_train_step(model, funcnet.cross_entropy, optimizer), option
        ),
        to_batch=_to_batch(spec),
        sync=jax_sync,
        loss_of=lambda metrics: float(metrics["loss"]),
        make_epoch=make_epoch,
    )


# --- stax --------------------------------------------------------------------------


def stax_trainer(spec: ModelSpec, weights: list[dict], option: str = "") -> Trainer:
    """`jax.example_libraries.stax` layers with `jax.example_libraries.optimizers.adam`."""
    from jax.example_libraries import optimizers, stax

    dtype = jnp.dtype(spec.dtype)
    activation = {"sigmoid": stax.Sigmoid, "relu": stax.Relu}[spec.activation]
    layers, params = [], []
    if spec.kind == "cnn":
        hidden = spec.sizes[1]
        conv = stax.GeneralConv(("NCHW", "OIHW", "NCHW"), hidden, (3, 3), padding=((1, 1), (1, 1)))
        layers += [conv, stax.Relu, stax.MaxPool((2, 2), (2, 2), spec="NCHW"), stax.Flatten]
        params += [(weights[0]["weight"], weights[0]["bias"].reshape(1, hidden, 1, 1)), (), (), ()]
    linears = weights[1:] if spec.kind == "cnn" else weights
    for index, layer in enumerate(linears):
        layers.append(stax.Dense(layer["weight"].shape[0]))
        params.append((layer["weight"].T, layer["bias"]))
        if index < len(linears) - 1:
            layers.append(activation)
            params.append(())
    _, apply_fn = stax.serial(*layers)
    opt_init, opt_update, get_params = optimizers.adam(LEARNING_RATE)

    def loss_fn(params, x, y):
        return cross_entropy(apply_fn(params, x), y)

    def step(state, batch):
        count, opt_state = state
        loss, grads = jax.value_and_grad(loss_fn)(get_params(opt_state), *batch)
        return (count + 1, opt_update(count, grads, opt_state)), loss

    def init():
        device = jax.tree.map(lambda value: jnp.asarray(np.asarray(value), dtype), params)
        return jnp.zeros((), jnp.int32), opt_init(device)

    return Trainer(
        init=init,
        make_step=lambda: _jit(lambda state, batch: step(state, batch), option),
        to_batch=_to_batch(spec),
        sync=jax_sync,
    )

"""The lesson, step by step, in funcnet: `funcnet demo`.

Each step prints what it shows; `run(print)` is the whole demo. The steps follow the
PyTorch lesson: shapes through `Linear`, the shape error, `Softmax`, `Sigmoid`, a
second `Linear`, `Sequential`, cross-entropy, gradients by parameter name, and a few
optimizer steps.
"""

from __future__ import annotations

from collections.abc import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax

import funcnet

Printer = Callable[[str], None]


def _section(out: Printer, title: str) -> None:
    out("")
    out(f"== {title}")


def _shapes(out: Printer, key: jax.Array) -> jax.Array:
    _section(out, "1. Matrix shapes through Linear")
    x = jax.random.uniform(key, (4, 10), jnp.float64)
    out(f"x.shape = {x.shape}                       # 4 rows (examples), 10 columns (features)")
    linear = funcnet.Linear(in_features=10, out_features=5)
    params = linear.init(jax.random.key(1), x.shape)
    out(f"Linear(10, 5)(x).shape = {linear(params, x).shape}")
    out("in_features must equal x's last dimension. With in_features=8:")
    try:
        funcnet.Linear(in_features=8, out_features=5).init(jax.random.key(1), x.shape)
    except funcnet.ShapeError as error:
        out("  ShapeError: " + str(error).replace("\n", "\n  "))
    return x


def _chain(out: Printer, x: jax.Array) -> None:
    _section(out, "2. Softmax, Sigmoid and a second Linear, by hand")
    linear = funcnet.Linear(10, 5)
    linear2 = funcnet.Linear(5, 8)  # in_features=5: the first Linear's output width
    p1 = linear.init(jax.random.key(1), x.shape)
    p2 = linear2.init(jax.random.key(2), (4, 5))
    probabilities = funcnet.softmax(linear(p1, x))
    out(f"softmax(linear(x)) has shape {probabilities.shape}; its rows sum to")
    out(f"  {np.round(np.asarray(probabilities.sum(axis=1)), 12)}")
    y = funcnet.softmax(linear2(p2, funcnet.sigmoid(linear(p1, x))))
    out(f"softmax(linear2(sigmoid(linear(x)))).shape = {y.shape}")


def _sequential(out: Printer, x: jax.Array):
    _section(out, "3. The same chain as a Sequential")
    model = funcnet.Sequential(
        funcnet.Linear(10, 5),
        funcnet.Sigmoid(),
        funcnet.Linear(5, 8),
        funcnet.Softmax(),
    )
    params = model.init(jax.random.key(3), x.shape)
    out(f"model(params, x).shape = {model(params, x).shape}")
    out(str(funcnet.summary(model, x.shape)))
    return model, params


def _gradients(out: Printer, model, params, x: jax.Array, key: jax.Array) -> jax.Array:
    _section(out, "4. Cross-entropy and gradients (the lesson's backward())")
    ytrue = jax.random.randint(key, (4,), 0, 8)
    out(f"ytrue = {np.asarray(ytrue)}   (shape {ytrue.shape}: one class index per row)")

    def loss_fn(params):
        return funcnet.cross_entropy(model(params, x), ytrue)

    loss, grads = jax.value_and_grad(loss_fn)(params)
    out(f"loss = {float(loss):.6f}")
    for name, grad in funcnet.named_parameters(grads):
        out(
            f"  {name:9s} grad shape {grad.shape!s:8s} |grad| = {float(jnp.linalg.norm(grad)):.3e}"
        )
    out("Note: this model ends in Softmax, and cross_entropy applies log_softmax itself,")
    out("so softmax runs twice. Probabilities squeezed into (0, 1) make weak logits, and")
    out("the gradient shrinks. The right form feeds logits to cross_entropy:")
    logits_model = funcnet.Sequential(*model.layers[:-1])
    logits_params = params[:-1]

    def logits_loss(params):
        return funcnet.cross_entropy(logits_model(params, x), ytrue)

    good_grads = jax.grad(logits_loss)(logits_params)
    out(f"  |grad| with double softmax: {_norm(grads):.3e}")
    out(f"  |grad| with logits:         {_norm(good_grads):.3e}")
    return ytrue


def _norm(tree) -> float:
    return float(optax.tree.norm(tree))


def _training(out: Printer, x: jax.Array, ytrue: jax.Array) -> list[float]:
    _section(out, "5. A few optimizer steps (optax Adam), the loss going down")
    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8))
    params = model.init(jax.random.key(3), x.shape)
    optimizer = optax.adam(0.1)
    state = optimizer.init(params)

    @jax.jit
    def step(params, state):
        loss, grads = jax.value_and_grad(lambda p: funcnet.cross_entropy(model(p, x), ytrue))(
            params
        )
        updates, state = optimizer.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    losses = []
    for i in range(20):
        params, state, loss = step(params, state)
        losses.append(float(loss))
        if i % 4 == 0 or i == 19:
            out(f"  step {i:2d}  loss {float(loss):.6f}")
    return losses


def _digits(out: Printer) -> float:
    _section(out, "6. Past the lesson: a real classifier on real data")
    from funcnet import experiment

    config = experiment.Config(epochs=25)
    model, dataset = experiment.build(config)
    out(
        f"scikit-learn's digits: {dataset.train.x.shape[0]} training and "
        f"{dataset.test.x.shape[0]} test images of 8x8 pixels, 10 classes"
    )
    out(f"model: {' '.join(repr(model).split())}")
    params = model.init(jax.random.key(config.seed), dataset.train.x.shape)
    state, history = funcnet.fit(
        model,
        params,
        dataset.train,
        loss_fn=funcnet.cross_entropy,
        optimizer=experiment.make_optimizer(config, dataset.train.x.shape[0]),
        epochs=config.epochs,
        batch_size=config.batch_size,
        key=jax.random.key(config.seed + 1),
        progress=False,
    )
    scores = funcnet.evaluate(model, state.params, dataset.test, loss_fn=funcnet.cross_entropy)
    for epoch in (0, 4, 9, config.epochs - 1):
        out(
            f"  epoch {epoch + 1:2d}  train loss {history['loss'][epoch]:.4f}  "
            f"train accuracy {history['accuracy'][epoch]:.4f}"
        )
    out(
        f"validation accuracy {scores['accuracy']:.4f} "
        f"({config.epochs} epochs, each one compiled call; `funcnet train` does more)"
    )
    return scores["accuracy"]


def run(out: Printer = print, *, train_digits: bool = True) -> dict:
    """Run the lesson demo, printing through `out`; return the key numbers.

    Runs in float64 (it turns on `jax_enable_x64`, as the lesson's `.double()` does).

    Args:
        out: a function taking one line of text.
        train_digits: finish by training an MLP on scikit-learn's digits.

    Returns:
        A dict with the shapes shown, the training losses and (with `train_digits`)
        the digits validation accuracy (the held-out split), for tests.

    Examples:
        >>> from funcnet import demo
        >>> lines = []
        >>> result = demo.run(lines.append, train_digits=False)
        >>> result["losses"][-1] < result["losses"][0]
        True
    """
    jax.config.update("jax_enable_x64", True)
    out("funcnet: the PyTorch lesson, written with pure functions on JAX")
    key = jax.random.key(0)
    x = _shapes(out, key)
    _chain(out, x)
    model, params = _sequential(out, x)
    ytrue = _gradients(out, model, params, x, jax.random.key(4))
    losses = _training(out, x, ytrue)
    result = {"x_shape": x.shape, "output_shape": model.output_shape(x.shape), "losses": losses}
    if train_digits:
        result["digits_accuracy"] = _digits(out)
    return result

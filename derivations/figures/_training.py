"""Full-batch training of small funcnet models, all compiled as one program.

The figures train tiny networks every time the site is built, so training must cost
seconds: every model's loop is a `lax.scan`, and all the models given are trained by
one compiled call, so there is one compilation and no Python between steps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def train(
    models: Mapping[Any, Any], x: Any, y: Any, *, steps: int, learning_rate: float, seed: int
) -> dict[Any, tuple[Any, Any]]:
    """Fits each model to `(x, y)` under mean squared error with Adam (cosine-decayed rate).

    Args:
        models: funcnet layers by name.
        x: `(examples, in_features)` inputs.
        y: `(examples, out_features)` targets.
        steps: Number of full-batch Adam steps.
        learning_rate: The initial learning rate.
        seed: Seeds the initial parameters (the same key for every model).

    Returns:
        Name -> `(params, losses)`: trained parameters and the `(steps,)` training losses.

    Examples:
        >>> import jax.numpy as jnp, funcnet
        >>> x = jnp.linspace(-1.0, 1.0, 8)[:, None]
        >>> fitted = train({"line": funcnet.Linear(1, 1)}, x, 3 * x, steps=200,
        ...                learning_rate=0.1, seed=0)
        >>> losses = fitted["line"][1]
        >>> bool(losses[-1] < 1e-3 * losses[0])
        True
    """
    import jax
    import optax

    import funcnet

    optimizer = optax.adam(optax.cosine_decay_schedule(learning_rate, steps))
    keys = jax.random.split(jax.random.key(seed))
    states = {
        name: funcnet.init_state(model.init(keys[0], x.shape), optimizer, keys[1])
        for name, model in models.items()
    }

    def run(name: Any, state: Any) -> tuple[Any, Any]:
        step = funcnet.make_train_step(models[name], funcnet.mse_loss, optimizer)

        def body(carry: Any, _: None) -> tuple[Any, Any]:
            carry, metrics = step(carry, (x, y))
            return carry, metrics["loss"]

        state, losses = jax.lax.scan(body, state, None, length=steps)
        return state.params, losses

    return jax.jit(lambda s: {name: run(name, state) for name, state in s.items()})(states)

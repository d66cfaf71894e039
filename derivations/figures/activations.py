"""The activations and their derivatives."""

from __future__ import annotations


def activations_figure():
    """sigmoid, tanh, ReLU and LeakyReLU with their derivatives from `jax.grad`."""
    import jax
    import jax.numpy as jnp
    import matplotlib.pyplot as plt

    import funcnet

    z = jnp.linspace(-5.0, 5.0, 401)
    functions = {
        "sigmoid": funcnet.sigmoid,
        "tanh": funcnet.tanh,
        "relu": funcnet.relu,
        "leaky_relu (a=0.2)": lambda v: funcnet.leaky_relu(v, 0.2),
    }
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    for name, function in functions.items():
        axes[0].plot(z, function(z), label=name)
        axes[1].plot(z, jax.vmap(jax.grad(function))(z), label=name)
    axes[0].set_title("activation")
    axes[1].set_title("derivative (jax.grad)")
    for axis in axes:
        axis.grid(alpha=0.3)
        axis.legend(fontsize=8)
    figure.tight_layout()
    return figure

"""Shared pieces of the training tests: a small classification problem, exact equality."""

import jax
import jax.numpy as jnp
import numpy as np

import funcnet


def problem(count=50, features=6, classes=3, seed=0):
    """A 3-class problem a two-layer tanh MLP can learn: `(model, params, x, y)`."""
    kx, kw = jax.random.split(jax.random.key(seed))
    x = jax.random.normal(kx, (count, features))
    y = jnp.argmax(x @ jax.random.normal(kw, (features, classes)), axis=-1).astype(jnp.int32)
    model = funcnet.Sequential(
        funcnet.Linear(features, 8), funcnet.Tanh(), funcnet.Linear(8, classes)
    )
    return model, model.init(jax.random.key(seed + 1), x.shape), x, y


def _plain(leaf):
    if jnp.issubdtype(jnp.asarray(leaf).dtype, jax.dtypes.prng_key):
        return np.asarray(jax.random.key_data(leaf))
    return np.asarray(leaf)


def leaves_equal(a, b):
    """Asserts two pytrees are bit-for-bit equal, PRNG keys included."""
    for left, right in zip(
        jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b), strict=True
    ):
        np.testing.assert_array_equal(_plain(left), _plain(right))

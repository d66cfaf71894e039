"""The lesson's model as a graph, forward or with its backward pass (`lesson_graph`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import jax
import jax.numpy as jnp

if TYPE_CHECKING:
    from funcnet.graph import Graph


def lesson_graph(*, backward: bool = False) -> Graph:
    """The graph of the lesson's model, `Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8),
    Softmax())`, on a `(4, 10)` float32 batch.

    Args:
        backward: Trace `jax.grad` of `cross_entropy(model(params, x), target)` with
            respect to `params` (the forward pass, the loss and the backward pass)
            instead of the forward pass alone.

    Returns:
        The graph; its inputs are `params.0.bias`, `params.0.weight`, `params.2.bias`,
        `params.2.weight`, `x`, and with `backward` also `target` (int32, `(4,)`).

    Examples:
        >>> from funcnet.graph import lesson_graph
        >>> [n.name for n in lesson_graph().nodes if n.primitive == "input"]
        ['params.0.bias', 'params.0.weight', 'params.2.bias', 'params.2.weight', 'x']
        >>> g = lesson_graph(backward=True)
        >>> sum(n.backward for n in g.nodes) > 0
        True
    """
    import funcnet
    from funcnet.graph import graph

    model = funcnet.Sequential(
        funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
    )
    shapes = jax.eval_shape(lambda key: model.init(key, (4, 10)), jax.random.key(0))
    # float32 whatever JAX's default float is, so the graph is the same everywhere.
    params = jax.tree.map(lambda p: jax.ShapeDtypeStruct(p.shape, jnp.float32), shapes)
    x = jax.ShapeDtypeStruct((4, 10), jnp.float32)
    if not backward:
        return graph(model, params, x)

    def loss(params, x, target):
        return funcnet.cross_entropy(model(params, x), target)

    return graph(jax.grad(loss), params, x, jax.ShapeDtypeStruct((4,), jnp.int32))

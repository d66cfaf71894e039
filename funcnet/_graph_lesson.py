"""The lesson's model to trace: as a function with example arguments, and as a graph."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import jax
import jax.numpy as jnp

if TYPE_CHECKING:
    from funcnet.graph import Graph


def lesson_function(*, backward: bool = False) -> tuple[Callable[..., Any], tuple[Any, ...]]:
    """The lesson's model as a function and example arguments to trace or compile it.

    The model is `Sequential(Linear(10, 5), Sigmoid(), Linear(5, 8), Softmax())` on a
    `(4, 10)` float32 batch; the arguments are `jax.ShapeDtypeStruct`s.

    Args:
        backward: Return `jax.grad` of `cross_entropy(model(params, x), target)` with
            respect to `params` (the forward pass, the loss and the backward pass),
            taking `(params, x, target)`, instead of the model, taking `(params, x)`.

    Returns:
        `(fn, example_args)`, ready for `funcnet.graph(fn, *example_args)` or
        `compiled_ops(fn, *example_args)`.

    Examples:
        >>> from funcnet.graph import lesson_function
        >>> fn, args = lesson_function(backward=True)
        >>> [a.shape for a in args[1:]]
        [(4, 10), (4,)]
    """
    import funcnet

    model = funcnet.Sequential(
        funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
    )
    shapes = jax.eval_shape(lambda key: model.init(key, (4, 10)), jax.random.key(0))
    # float32 whatever JAX's default float is, so the graph is the same everywhere.
    params = jax.tree.map(lambda p: jax.ShapeDtypeStruct(p.shape, jnp.float32), shapes)
    x = jax.ShapeDtypeStruct((4, 10), jnp.float32)
    if not backward:
        return model, (params, x)

    def loss(params, x, target):
        return funcnet.cross_entropy(model(params, x), target)

    return jax.grad(loss), (params, x, jax.ShapeDtypeStruct((4,), jnp.int32))


def lesson_graph(*, backward: bool = False) -> Graph:
    """The graph of the lesson's model (see `lesson_function`).

    Args:
        backward: Trace the gradient of the loss (forward pass, loss and backward
            pass) instead of the forward pass alone.

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
    from funcnet.graph import graph

    fn, args = lesson_function(backward=backward)
    return graph(fn, *args)

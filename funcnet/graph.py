"""The computation graph of a function, its topological order, and what XLA makes of it.

`graph(fn, *example_args)` traces `fn` with `jax.make_jaxpr` (shapes only, no
computing) and returns a `Graph`: one node per input and per operation, an edge from
the node that computes a value to every node that uses it. Node ids are positions in
the jaxpr, whose equations JAX writes in the order Python called them, so a value is
always defined above its first use: the ids, in order, are already a topological
order. `Graph.topological_order` finds one independently, with Kahn's algorithm, and
`Graph.check_order` tells whether an order is one.

Nested jaxprs: calls that run their body once, exactly where they are called (`jit`
and `pjit`, `custom_jvp_call`, `custom_vjp_call`, `remat`/`checkpoint`,
`closed_call`), are inlined, so `graph(jax.jit(f), ...)` is the graph of `f`. Control
flow (`scan`, `while`, `cond`) and any other primitive holding jaxprs stays one node,
its bodies kept as `Node.subgraphs`, because a body may run many times or not at all.

A node remembers the `Sequential` layer it comes from (each layer runs inside
`jax.named_scope("index:Type")`) and whether it belongs to the backward pass (JAX's
`transpose` of a `jvp`, which is how `jax.grad` builds it). `compiled_ops` counts the
operations before and after XLA compiles the function, to show what fusion does.
"""

from __future__ import annotations

import collections
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import jax

from funcnet._graph_lesson import lesson_function, lesson_graph
from funcnet._graph_order import find_cycle, kahn, not_a_permutation
from funcnet._graph_xla import CompiledOps, Kernel, compiled_ops

__all__ = [
    "CompiledOps",
    "CycleError",
    "Edge",
    "Graph",
    "Kernel",
    "Node",
    "compiled_ops",
    "graph",
    "lesson_function",
    "lesson_graph",
]

#: The `primitive` of nodes that compute nothing: a function's inputs and constants.
INPUT, CONSTANT = "input", "constant"


class CycleError(ValueError):
    """The graph has a cycle, so no topological order exists.

    Attributes:
        cycle: Node ids around one cycle, the first repeated at the end.
    """

    def __init__(self, message: str, cycle: tuple[int, ...]) -> None:
        super().__init__(message)
        self.cycle = cycle


@dataclasses.dataclass(frozen=True)
class Node:
    """One input, constant or operation of a traced function.

    Attributes:
        id: Position in `Graph.nodes`: inputs first, then constants and operations
            in the jaxpr's order.
        primitive: The JAX primitive (`"dot_general"`, `"logistic"`, ...), or `"input"`
            or `"constant"`.
        shapes: The shape of each output (one for almost every primitive).
        dtypes: The dtype of each output, e.g. `"float32"`.
        name: An input's name, from the argument and its place in the pytree
            (`"params.0.weight"`); `None` for operations.
        layer: The dotted name of the `Sequential` layer it comes from, as PyTorch
            names it (`"2"`, or `"1.0"` inside a nested `Sequential`); `None` outside
            any layer (inputs, a loss).
        layer_type: That layer's class name (`"Linear"`), or `None`.
        scopes: Every `jax.named_scope` it ran in, outermost first; a `Sequential`
            names its layers' scopes `"index:Type"`, e.g. `("2:Sequential", "0:Linear")`.
        backward: Whether it belongs to the backward pass of a `jax.grad`.
        subgraphs: For control flow (`scan`, `while`, `cond`): the graphs of its
            bodies, whose inputs are the node's operands in order.
    """

    id: int
    primitive: str
    shapes: tuple[tuple[int, ...], ...] = ()
    dtypes: tuple[str, ...] = ()
    name: str | None = None
    layer: str | None = None
    layer_type: str | None = None
    scopes: tuple[str, ...] = ()
    backward: bool = False
    subgraphs: tuple[Graph, ...] = ()

    @property
    def is_operation(self) -> bool:
        """True unless the node is an input or a constant."""
        return self.primitive not in (INPUT, CONSTANT)

    def describe(self) -> str:
        """`"7 (logistic)"`, or `"0 (input params.0.bias)"`: how errors name a node."""
        what = self.primitive if self.name is None else f"{self.primitive} {self.name}"
        return f"{self.id} ({what})"


@dataclasses.dataclass(frozen=True)
class Edge:
    """A value flowing from the node that computes it to a node that uses it.

    Attributes:
        source: Id of the node that computes the value.
        target: Id of the node that uses it.
        output: Which output of `source` it is (0 unless the node has several).
    """

    source: int
    target: int
    output: int = 0


@dataclasses.dataclass(frozen=True)
class Graph:
    """A computation graph: nodes, edges between them, inputs and outputs.

    An immutable value, built by `graph(...)` or by hand (a hand-built graph may have
    a cycle: `topological_order` then says so).

    Attributes:
        nodes: Every node, `nodes[i].id == i`.
        edges: Every edge, each `(source, target, output)` once.
        inputs: Ids of the input nodes, in the order the function takes them.
        outputs: Ids of the nodes whose values the function returns, in order.

    Raises:
        ValueError: A node's id is not its position, or an edge, input or output
            names a node that does not exist.

    Examples:
        >>> from funcnet.graph import Edge, Graph, Node
        >>> g = Graph(
        ...     nodes=(Node(0, "input", name="x"), Node(1, "sin"), Node(2, "cos"), Node(3, "add")),
        ...     edges=(Edge(0, 1), Edge(0, 2), Edge(1, 3), Edge(2, 3)),
        ...     inputs=(0,),
        ...     outputs=(3,),
        ... )
        >>> g.topological_order()
        (0, 1, 2, 3)
        >>> g.check_order([0, 2, 1, 3])
        (0, 2, 1, 3)
    """

    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    inputs: tuple[int, ...] = ()
    outputs: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        for position, node in enumerate(self.nodes):
            if node.id != position:
                raise ValueError(
                    f"Graph: node {node.describe()} is at position {position}; "
                    "nodes[i].id must equal i."
                )
        known = range(len(self.nodes))
        for edge in self.edges:
            if edge.source not in known or edge.target not in known:
                raise ValueError(
                    f"Graph: {edge} names a node that does not exist; ids run from 0 to "
                    f"{len(self.nodes) - 1}."
                )
        for what, ids in (("inputs", self.inputs), ("outputs", self.outputs)):
            unknown = [i for i in ids if i not in known]
            if unknown:
                raise ValueError(f"Graph: {what} {unknown} are not node ids.")

    @property
    def operations(self) -> tuple[Node, ...]:
        """The nodes that compute something (neither inputs nor constants)."""
        return tuple(node for node in self.nodes if node.is_operation)

    def counts(self) -> collections.Counter[str]:
        """How many operations of each primitive the graph has.

        Examples:
            >>> import jax.numpy as jnp
            >>> import funcnet
            >>> funcnet.graph(lambda x: jnp.sin(x) + jnp.sin(x), jnp.ones(3)).counts()
            Counter({'sin': 2, 'add': 1})
        """
        return collections.Counter(node.primitive for node in self.operations)

    def ancestors(self, nodes: Iterable[int]) -> frozenset[int]:
        """Every node that must be computed before `nodes` can be (the nodes excluded).

        Examples:
            >>> import jax.numpy as jnp
            >>> import funcnet
            >>> g = funcnet.graph(lambda x, y: (jnp.sin(x), jnp.cos(y)), jnp.ones(3), jnp.ones(3))
            >>> sine = g.outputs[0]
            >>> [g.nodes[i].name for i in sorted(g.ancestors([sine]))]
            ['x']
        """
        wanted = set(nodes)
        sources = collections.defaultdict(set)
        for edge in self.edges:
            sources[edge.target].add(edge.source)
        seen: set[int] = set()
        stack = list(wanted)
        while stack:
            for source in sources[stack.pop()]:
                if source not in seen:
                    seen.add(source)
                    stack.append(source)
        return frozenset(seen - wanted)

    def topological_order(self) -> tuple[int, ...]:
        """An order in which every node comes after all the nodes it uses: Kahn's algorithm.

        Count each node's incoming edges; the nodes with none are ready. Repeatedly
        take the ready node that became ready first, append it to the order and remove
        its outgoing edges; a node whose count drops to 0 becomes ready. If nodes
        remain when none is ready, each of them waits for another: a cycle.

        Returns:
            Every node id once. Ties are broken by readiness, first come first
            served, so the order differs from the jaxpr's whenever independent
            operations could run in another order.

        Raises:
            CycleError: The graph has a cycle; the message names one.

        Examples:
            >>> from funcnet.graph import Edge, Graph, Node
            >>> nodes = tuple(Node(i, "neg") for i in range(3))
            >>> Graph(nodes, (Edge(2, 0), Edge(0, 1))).topological_order()
            (2, 0, 1)
            >>> Graph(nodes, (Edge(0, 1), Edge(1, 2), Edge(2, 1))).topological_order()
            ... # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            funcnet.graph.CycleError: the graph has a cycle, 1 (neg) -> 2 (neg) -> 1 (neg): ...
        """
        pairs = [(edge.source, edge.target) for edge in self.edges]
        order, waiting = kahn(len(self.nodes), pairs)
        if len(order) < len(self.nodes):
            cycle = find_cycle(waiting, pairs)
            path = " -> ".join(self.nodes[i].describe() for i in cycle)
            raise CycleError(
                f"the graph has a cycle, {path}: each node on it needs the value of the one "
                "before it, so no topological order exists and none of them can be computed "
                f"({len(order)} of {len(self.nodes)} nodes could be ordered).",
                cycle,
            )
        return tuple(order)

    def check_order(self, order: Sequence[int] | None = None) -> tuple[int, ...]:
        """Checks that `order` is a topological order of the graph.

        Args:
            order: Node ids; by default the jaxpr's order, `0, 1, ..., len(nodes) - 1`.

        Returns:
            The order, as a tuple.

        Raises:
            ValueError: `order` does not list every node exactly once, or a node comes
                before a node whose value it uses (both are named).

        Examples:
            >>> import jax.numpy as jnp
            >>> import funcnet
            >>> g = funcnet.graph(lambda x: jnp.exp(jnp.sin(x)), jnp.ones(3))
            >>> g.check_order()
            (0, 1, 2)
            >>> g.check_order([0, 2, 1])  # doctest: +ELLIPSIS
            Traceback (most recent call last):
            ...
            ValueError: not a topological order: node 2 (exp) at position 1 comes before ...
        """
        order = tuple(range(len(self.nodes))) if order is None else tuple(order)
        wrong = not_a_permutation(order, len(self.nodes))
        if wrong:
            raise ValueError(
                f"an order must list each of the {len(self.nodes)} node ids once; {wrong}."
            )
        position = {node: i for i, node in enumerate(order)}
        for edge in self.edges:
            if position[edge.source] >= position[edge.target]:
                later, first = self.nodes[edge.source], self.nodes[edge.target]
                raise ValueError(
                    f"not a topological order: node {first.describe()} at position "
                    f"{position[first.id]} comes before node {later.describe()} at position "
                    f"{position[later.id]}, whose value it uses."
                )
        return order

    def to_dot(self, *, title: str | None = None, collapse_outside: bool = False) -> str:
        """The graph in Graphviz's DOT language, layers as clusters.

        Inputs are ellipses and operations boxes, shaded by pass; the outputs have a
        thick border, control flow (a node with subgraphs) a double one. Each
        `Sequential` layer is a cluster, one per pass, nested as the layers are; in a
        graph with layers, the operations outside all of them (a loss, say) get a
        cluster of their own. Arrows that carry a forward value into the backward
        pass are orange. Render the text with `dot -Tsvg` or any Graphviz.

        Args:
            title: A caption drawn above the graph.
            collapse_outside: Draw the operations outside any layer as one box per
                pass, with their count, instead of one box each.

        Returns:
            The DOT text; nodes are named `n<id>`, a collapsed box `outside0`
            (forward) or `outside1` (backward).

        Examples:
            >>> import jax.numpy as jnp
            >>> import funcnet
            >>> print(funcnet.graph(jnp.sin, jnp.ones(3)).to_dot())  # doctest: +ELLIPSIS
            digraph G {
            ...
              n0 -> n1;
            }
        """
        from funcnet._graph_export import to_dot

        return to_dot(self, title, collapse_outside)

    def to_mermaid(self) -> str:
        """The graph as a Mermaid flowchart, layers as subgraphs.

        Examples:
            >>> import jax.numpy as jnp
            >>> import funcnet
            >>> print(funcnet.graph(jnp.sin, jnp.ones(3)).to_mermaid())  # doctest: +ELLIPSIS
            flowchart TB
            ...
              n0 --> n1
            ...
        """
        from funcnet._graph_export import to_mermaid

        return to_mermaid(self)

    def to_text(self) -> str:
        """A table: each node's id, operation, output, layer, pass and the nodes it uses.

        Examples:
            >>> import jax.numpy as jnp
            >>> import funcnet
            >>> print(funcnet.graph(jnp.sin, jnp.ones(3, jnp.float32)).to_text())
            2 nodes (1 input, 1 operation), 1 edge
             id  operation  output  layer  pass     uses
              0  input x    f32[3]
              1  sin        f32[3]         forward  0
        """
        from funcnet._graph_export import to_text

        return to_text(self)


def graph(fn: Callable[..., Any], *example_args: Any) -> Graph:
    """Traces `fn` on example arguments into its computation graph.

    Only shapes and dtypes matter: the arguments may be `jax.ShapeDtypeStruct`s, and
    nothing is computed. Keyword arguments and static arguments are not traced; close
    over them (`lambda x: f(x, training=False)`).

    Args:
        fn: Any function of arrays and pytrees of arrays: a model (`model`, called as
            `model(params, x)`), `jax.grad(loss)`, a `jax.jit`-compiled function.
        *example_args: Its positional arguments: arrays, pytrees of arrays, or
            `jax.ShapeDtypeStruct`s.

    Returns:
        The graph. Inputs are named after `fn`'s parameters and their pytree paths,
        e.g. `params.0.weight`.

    Raises:
        TypeError: `fn` is not callable, or an argument holds something that is not
            an array (the argument and its place are named).

    Examples:
        >>> import jax, jax.numpy as jnp
        >>> import funcnet
        >>> model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid())
        >>> params = model.init(jax.random.key(0), (4, 10))
        >>> g = funcnet.graph(model, params, jnp.ones((4, 10)))
        >>> for node in g.operations:
        ...     print(node.primitive, node.layer, node.layer_type)
        dot_general 0 Linear
        broadcast_in_dim 0 Linear
        add 0 Linear
        logistic 1 Sigmoid
        >>> g.check_order() == tuple(range(len(g.nodes)))
        True
    """
    if not callable(fn):
        raise TypeError(
            f"graph: fn must be a function to trace, such as a model or jax.grad(loss), "
            f"got {fn!r} of type {type(fn).__name__}."
        )
    from funcnet._graph_trace import build, input_names

    names = input_names(fn, example_args)
    return build(jax.make_jaxpr(fn)(*example_args), names)

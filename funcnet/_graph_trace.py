"""From a jaxpr to a `funcnet.graph.Graph`: nodes, edges, inlining, layer attribution.

Each equation becomes a node, in the jaxpr's order, and each variable it reads becomes
an edge from the node that wrote it (literals such as the `1.0` of `1 - x` are part of
the operation, not nodes). Calls that run their body once where they stand are
inlined (`INLINED`); other primitives that hold jaxprs stay one node with their
bodies as subgraphs.

Where a node comes from is read from its equation's name stack, e.g.
`transpose(jvp(2:Sequential))/0:Linear`: the scopes `2:Sequential` and `0:Linear` are
layers of a `Sequential` (it names each layer's scope `index:Type`), so the node
belongs to layer `2.0`, a `Linear`; `transpose` marks the backward pass.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from typing import Any

import jax
from jax.extend.core import ClosedJaxpr, Jaxpr, Literal

from funcnet.graph import CONSTANT, INPUT, Edge, Graph, Node

#: Call primitives whose body runs once, where the call stands: their equations are
#: inlined into the graph.
INLINED = frozenset(
    {
        "jit",
        "pjit",
        "closed_call",
        "core_call",
        "custom_jvp_call",
        "custom_vjp_call",
        "custom_vjp_call_jaxpr",
        "remat",
        "remat2",
        "checkpoint",
        "named_call",
    }
)
_BODY_PARAMS = ("jaxpr", "call_jaxpr", "fun_jaxpr")
_LAYER_SCOPE = re.compile(r"(\d+):(\w+)")
_TRANSFORM = re.compile(r"([\w-]+)\((.*)\)", re.S)

Source = tuple[int, int] | None  # (node id, output index); None for a literal
Context = tuple[frozenset[str], tuple[str, ...]]  # (transforms, scopes)


def parse_name_stack(text: str) -> Context:
    """The transforms and the scopes (outermost first) of a name stack's text.

    Examples:
        >>> transforms, scopes = parse_name_stack("transpose(jvp(2:Sequential))/0:Linear")
        >>> sorted(transforms), scopes
        (['jvp', 'transpose'], ('2:Sequential', '0:Linear'))
        >>> parse_name_stack("")
        (frozenset(), ())
    """
    transforms: set[str] = set()
    scopes: list[str] = []
    for part in _split(text):
        match = _TRANSFORM.fullmatch(part)
        if match:
            transforms.add(match.group(1))
            inner_transforms, inner_scopes = parse_name_stack(match.group(2))
            transforms |= inner_transforms
            scopes += inner_scopes
        elif part:
            scopes.append(part)
    return frozenset(transforms), tuple(scopes)


def _split(text: str) -> list[str]:
    """`text` split at the slashes outside parentheses."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(text):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "/" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def layer_of(scopes: tuple[str, ...]) -> tuple[str | None, str | None]:
    """The dotted layer name and type from the `index:Type` scopes of `Sequential`.

    Examples:
        >>> layer_of(("2:Sequential", "0:Linear"))
        ('2.0', 'Linear')
        >>> layer_of(("loss",))
        (None, None)
    """
    matches = [m for m in map(_LAYER_SCOPE.fullmatch, scopes) if m]
    if not matches:
        return None, None
    return ".".join(m.group(1) for m in matches), matches[-1].group(2)


def _avals(variables: list[Any]) -> tuple[tuple[tuple[int, ...], ...], tuple[str, ...]]:
    avals = [v.aval for v in variables]
    shapes = tuple(tuple(int(d) for d in getattr(a, "shape", ())) for a in avals)
    dtypes = tuple(str(getattr(a, "dtype", type(a).__name__)) for a in avals)
    return shapes, dtypes


def _body(eqn: Any) -> ClosedJaxpr | Jaxpr | None:
    for name in _BODY_PARAMS:
        body = eqn.params.get(name)
        if isinstance(body, ClosedJaxpr | Jaxpr):
            inner = body.jaxpr if isinstance(body, ClosedJaxpr) else body
            if len(inner.invars) == len(eqn.invars):
                return body
    return None


def _nested(params: dict[str, Any]) -> list[ClosedJaxpr | Jaxpr]:
    found = []
    for value in params.values():
        values = value if isinstance(value, tuple | list) else (value,)
        found += [v for v in values if isinstance(v, ClosedJaxpr | Jaxpr)]
    return found


class _Builder:
    """Accumulates the nodes and edges of one graph."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: dict[Edge, None] = {}  # ordered, each edge once

    def node(self, primitive: str, variables: list[Any], context: Context, **fields) -> int:
        shapes, dtypes = _avals(variables)
        transforms, scopes = context
        layer, layer_type = layer_of(scopes)
        node = Node(
            len(self.nodes),
            primitive,
            shapes,
            dtypes,
            layer=layer,
            layer_type=layer_type,
            backward="transpose" in transforms,
            scopes=scopes,
            **fields,
        )
        self.nodes.append(node)
        return node.id

    def connect(self, source: Source, target: int) -> None:
        if source is not None:
            self.edges[Edge(source[0], target, source[1])] = None

    def constants(self, closed: ClosedJaxpr | Jaxpr, env: dict, context: Context) -> None:
        if isinstance(closed, ClosedJaxpr):
            for var in closed.jaxpr.constvars:
                env[var] = (self.node(CONSTANT, [var], context), 0)

    @staticmethod
    def read(var: Any, env: dict) -> Source:
        return None if isinstance(var, Literal) else env[var]

    def walk(self, jaxpr: Jaxpr, env: dict, context: Context) -> None:
        for eqn in jaxpr.eqns:
            transforms, scopes = parse_name_stack(str(eqn.source_info.name_stack))
            here = (context[0] | transforms, context[1] + scopes)
            sources = [self.read(v, env) for v in eqn.invars]
            body = _body(eqn) if eqn.primitive.name in INLINED else None
            if body is not None:
                self._inline(body, sources, eqn.outvars, env, here)
                continue
            subgraphs = tuple(_subgraph(j, here) for j in _nested(eqn.params))
            node = self.node(eqn.primitive.name, eqn.outvars, here, subgraphs=subgraphs)
            for source in sources:
                self.connect(source, node)
            for index, var in enumerate(eqn.outvars):
                env[var] = (node, index)

    def _inline(self, body, sources, outvars, env: dict, context: Context) -> None:
        inner = body.jaxpr if isinstance(body, ClosedJaxpr) else body
        inner_env = dict(zip(inner.invars, sources, strict=True))
        self.constants(body, inner_env, context)
        self.walk(inner, inner_env, context)
        for outer, var in zip(outvars, inner.outvars, strict=True):
            env[outer] = self.output(var, inner_env, context)

    def output(self, var: Any, env: dict, context: Context) -> Source:
        if isinstance(var, Literal):
            return (self.node(CONSTANT, [var], context), 0)
        return env[var]

    def graph(self, inputs: list[int], outputs: list[Source]) -> Graph:
        return Graph(
            tuple(self.nodes),
            tuple(self.edges),
            tuple(inputs),
            tuple(source[0] for source in outputs if source is not None),
        )


def _subgraph(body: ClosedJaxpr | Jaxpr, context: Context) -> Graph:
    inner = body.jaxpr if isinstance(body, ClosedJaxpr) else body
    return _build(body, [f"in{i}" for i in range(len(inner.invars))], context)


def _build(closed: ClosedJaxpr | Jaxpr, names: list[str], context: Context) -> Graph:
    jaxpr = closed.jaxpr if isinstance(closed, ClosedJaxpr) else closed
    builder, env = _Builder(), {}
    empty: Context = (frozenset(), ())
    inputs = []
    for var, name in zip(jaxpr.invars, names, strict=True):
        inputs.append(builder.node(INPUT, [var], empty, name=name))
        env[var] = (inputs[-1], 0)
    builder.constants(closed, env, context)
    builder.walk(jaxpr, env, context)
    outputs = [builder.output(var, env, context) for var in jaxpr.outvars]
    return builder.graph(inputs, outputs)


def build(closed: ClosedJaxpr, names: list[str]) -> Graph:
    """The graph of a traced function, its inputs named `names` (one per invar)."""
    return _build(closed, names, (frozenset(), ()))


def input_names(fn: Callable[..., Any], args: tuple[Any, ...]) -> list[str]:
    """`fn`'s parameter names joined with each array's place in the pytree: `params.0.bias`."""
    parameters = _parameter_names(fn, len(args))
    leaves = jax.tree_util.tree_flatten_with_path(args)[0]
    names = []
    for path, leaf in leaves:
        name = ".".join([parameters[path[0].idx], *(_key(k) for k in path[1:])])
        if not (hasattr(leaf, "shape") and hasattr(leaf, "dtype")) and not isinstance(
            leaf, bool | int | float | complex
        ):
            raise TypeError(
                f"graph: argument {name} must be an array or a jax.ShapeDtypeStruct, got "
                f"{leaf!r} of type {type(leaf).__name__}; close over other values "
                "(lambda x: fn(x, setting)) instead of passing them."
            )
        names.append(name)
    return names


def _parameter_names(fn: Callable[..., Any], count: int) -> list[str]:
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # builtins and some C functions have no signature
        parameters = []
    names = []
    for i in range(count):
        if i < len(parameters) and parameters[i].kind in (
            inspect.Parameter.POSITIONAL_ONLY,
            inspect.Parameter.POSITIONAL_OR_KEYWORD,
        ):
            names.append(parameters[i].name)
        else:
            names.append(f"arg{i}")
    return names


def _key(key: Any) -> str:
    for attribute in ("idx", "key", "name"):
        if hasattr(key, attribute):
            return str(getattr(key, attribute))
    return str(key)

"""Graph figures drawn when the site is built, published as `figures/<name>.svg`.

Each figure is the DOT text of a traced `funcnet.graph.Graph` (`GRAPHS`), laid out by
Graphviz compiled to WebAssembly (viz.js, pinned in `docsite/package.json`, installed
by `make docs` with `npm ci`) under Node: no Graphviz binary is needed, and the page
serves a plain SVG file, so nothing runs or is fetched when it is viewed.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import pathlib
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import Any

HERE = pathlib.Path(__file__).resolve().parent
SCRIPT = HERE / "render_graphviz.js"
VIZ = HERE / "node_modules" / "@viz-js" / "viz" / "package.json"


class GraphvizError(RuntimeError):
    """A DOT text Graphviz refused, or viz.js could not be run."""


def _forward() -> str:
    from funcnet.graph import lesson_graph

    return lesson_graph().to_dot()


def _backward() -> str:
    from funcnet.graph import lesson_graph

    # Without the operations nothing reads (XLA drops them too), and the loss's own
    # operations as one box per pass: the figure stays readable on a page.
    return live(lesson_graph(backward=True)).to_dot(collapse_outside=True)


def live(graph: Any) -> Any:
    """`graph` without the operations whose values no output needs, ids renumbered.

    Examples:
        >>> import jax.numpy as jnp
        >>> import funcnet
        >>> g = funcnet.graph(lambda x: (jnp.sin(x), jnp.cos(x))[0], jnp.ones(3))
        >>> [n.primitive for n in live(g).nodes]
        ['input', 'sin']
    """
    from funcnet.graph import Edge, Graph

    needed = graph.ancestors(graph.outputs) | set(graph.outputs) | set(graph.inputs)
    kept = [node for node in graph.nodes if node.id in needed]
    new = {node.id: i for i, node in enumerate(kept)}
    return Graph(
        tuple(dataclasses.replace(node, id=new[node.id]) for node in kept),
        tuple(
            Edge(new[e.source], new[e.target], e.output)
            for e in graph.edges
            if e.source in new and e.target in new
        ),
        tuple(new[i] for i in graph.inputs),
        tuple(new[i] for i in graph.outputs),
    )


#: Figure name -> a function returning its DOT text.
GRAPHS: dict[str, Callable[[], str]] = {
    "graph-forward": _forward,
    "graph-backward": _backward,
}


def render(dots: Sequence[str]) -> list[str]:
    """Lays out DOT texts as SVG, in one Node process.

    Args:
        dots: DOT texts.

    Returns:
        One SVG document per text, in order.

    Raises:
        GraphvizError: Node or viz.js is missing, or Graphviz refused a text (its
            messages are named).

    Examples:
        >>> svg = render(["digraph { a -> b }"])[0]
        >>> svg.count('class="node"'), svg.count('class="edge"')
        (2, 1)
    """
    node = shutil.which("node")
    if node is None or not VIZ.exists():
        raise GraphvizError(
            "drawing the site's graphs needs Node.js and viz.js: install Node.js "
            "(apt-get install nodejs npm), then run `npm ci --prefix docsite`"
        )
    completed = subprocess.run(
        [node, str(SCRIPT)],
        input=json.dumps(list(dots)),
        capture_output=True,
        text=True,
        cwd=HERE,
        check=False,
    )
    if completed.returncode != 0:
        raise GraphvizError(f"viz.js failed: {completed.stderr.strip()}")
    rendered = json.loads(completed.stdout)
    errors = [item["error"] for item in rendered if "error" in item]
    if errors:
        raise GraphvizError("Graphviz refused a graph: " + "; ".join(errors))
    return [item["svg"] for item in rendered]


@functools.cache
def _all() -> dict[str, bytes]:
    dots = [make() for make in GRAPHS.values()]
    return {name: svg.encode() for name, svg in zip(GRAPHS, render(dots), strict=True)}


def svg(name: str) -> bytes:
    """The figure `name` as SVG bytes; every figure is drawn once per build."""
    return _all()[name]


def names() -> list[str]:
    """The names of every graph figure the site publishes."""
    return sorted(GRAPHS)

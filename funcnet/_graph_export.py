"""A `funcnet.graph.Graph` as text: Graphviz DOT, a Mermaid flowchart, a table.

Producing the text needs no Graphviz and no Mermaid; rendering it does. In DOT and
Mermaid each `Sequential` layer is a cluster, nested as the layers are, with one
cluster per layer and pass when the graph has a backward pass.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from funcnet.graph import CONSTANT, INPUT, Graph, Node

_LAYER_SCOPE = re.compile(r"(\d+):(\w+)")
_DTYPE = re.compile(r"(bfloat|float|uint|int|complex)(\d+)")
_SHORT = {"bfloat": "bf", "float": "f", "uint": "u", "int": "i", "complex": "c"}

FORWARD_FILL, BACKWARD_FILL, OUTSIDE_FILL = "#dbeafe", "#fde7d3", "#f3f4f6"
BACKWARD_EDGE = "#c2410c"  # a forward value read by the backward pass
# (backward, outside any layer) -> the colour of a cluster's frame and label.
_CLUSTER_COLOR = {(False, False): "#1d4ed8", (False, True): "#6b7280", (True, False): "#c2410c"}
_CLUSTER_COLOR[True, True] = "#c2410c"
FONT = "Helvetica,Arial,sans-serif"

ClusterKey = tuple[bool, tuple[str, ...]]  # (backward, layer scopes down to this one)
_OUTSIDE = ""  # the scope of the cluster of operations outside any layer


def short_type(shape: tuple[int, ...], dtype: str) -> str:
    """`f32[4,5]`: a value's dtype and shape as jaxprs print them.

    Examples:
        >>> short_type((4, 5), "float32"), short_type((), "bool")
        ('f32[4,5]', 'bool[]')
    """
    match = _DTYPE.fullmatch(dtype)
    name = _SHORT[match.group(1)] + match.group(2) if match else dtype
    return f"{name}[{','.join(map(str, shape))}]"


def output_text(node: Node) -> str:
    return ", ".join(short_type(s, d) for s, d in zip(node.shapes, node.dtypes, strict=True))


def _what(node: Node) -> str:
    return node.name if node.name is not None else node.primitive


def _layer_scopes(node: Node) -> tuple[str, ...]:
    return tuple(s for s in node.scopes if _LAYER_SCOPE.fullmatch(s)) if node.layer else ()


def _cluster_label(key: ClusterKey, with_pass: bool) -> str:
    backward, scopes = key
    if scopes == (_OUTSIDE,):
        label = "outside any layer"
    else:
        matches = [_LAYER_SCOPE.fullmatch(s) for s in scopes]
        label = ".".join(m.group(1) for m in matches) + " " + matches[-1].group(2)
    if with_pass:
        label += ", backward" if backward else ", forward"
    return label


def _tree(graph: Graph) -> tuple[dict[ClusterKey, list[ClusterKey]], dict[ClusterKey, list[int]]]:
    """Clusters as a tree: children of each cluster (root `(False, ())`), nodes of each.

    When the graph has layers, operations outside all of them get a cluster too.
    """
    children: dict[ClusterKey, list[ClusterKey]] = {(False, ()): []}
    members: dict[ClusterKey, list[int]] = {(False, ()): []}
    layered = any(node.layer for node in graph.nodes)
    for node in graph.nodes:
        scopes = _layer_scopes(node)
        if layered and node.is_operation and not scopes:
            scopes = (_OUTSIDE,)  # in a model's graph, e.g. the loss
        parent: ClusterKey = (False, ())
        for depth in range(1, len(scopes) + 1):
            key = (node.backward, scopes[:depth])
            if key not in children:
                children[key], members[key] = [], []
                children[parent].append(key)
            parent = key
        members[parent].append(node.id)
    return children, members


def _fill(node: Node) -> str:
    return {"backward": BACKWARD_FILL, "forward": FORWARD_FILL}.get(_kind(node), OUTSIDE_FILL)


def _dot_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _dot_label(text: str) -> str:
    """A quoted DOT label; each newline becomes DOT's centred line break."""
    return _dot_string(text).replace("\n", "\\n")


def _dot_node(node: Node, output: bool) -> str:
    label = _dot_label(f"{_what(node)}\n{output_text(node)}")
    extra = ", penwidth=2.5" if output else ""  # what the function returns
    if node.subgraphs:
        extra += ", peripheries=2"  # control flow: its bodies are in node.subgraphs
    if node.primitive == INPUT:
        return (
            f'n{node.id} [label={label}, shape=ellipse, style=filled, fillcolor="white"{extra}];'
        )
    if node.primitive == CONSTANT:
        return f"n{node.id} [label={label}, shape=plaintext, style=solid{extra}];"
    return f'n{node.id} [label={label}, fillcolor="{_fill(node)}"{extra}];'


def to_dot(graph: Graph, title: str | None = None, collapse_outside: bool = False) -> str:
    """DOT text; see `funcnet.graph.Graph.to_dot`."""
    lines = [
        "digraph G {",
        f'  graph [rankdir=TB, fontname="{FONT}", fontsize=11, nodesep=0.2, ranksep=0.25];',
        f'  node [shape=box, style="rounded,filled", fontname="{FONT}", fontsize=10, '
        'margin="0.08,0.03", height=0.3];',
        '  edge [color="#64748b", arrowsize=0.6];',
    ]
    if title:
        lines.append(f"  label={_dot_string(title)}; labelloc=t;")
    children, members = _tree(graph)
    with_pass = any(node.backward for node in graph.nodes)
    count = iter(range(len(children)))
    outputs = set(graph.outputs)
    name = {node.id: f"n{node.id}" for node in graph.nodes}

    def emit(key: ClusterKey, indent: str) -> Iterator[str]:
        for node in members[key]:
            yield indent + _dot_node(graph.nodes[node], node in outputs)
        for child in children[key]:
            color = _CLUSTER_COLOR[child[0], child[1] == (_OUTSIDE,)]
            label = _cluster_label(child, with_pass)
            if collapse_outside and child[1] == (_OUTSIDE,):
                box = f"outside{int(child[0])}"
                inside = members[child]
                name.update(dict.fromkeys(inside, box))
                text = _dot_label(f"{label}\n{_plural(len(inside), 'operation')}")
                fill = BACKWARD_FILL if child[0] else OUTSIDE_FILL
                yield (
                    f'{indent}{box} [label={text}, fillcolor="{fill}", color="{color}", '
                    'style="rounded,filled,dashed"];'
                )
                continue
            yield f"{indent}subgraph cluster_{next(count)} {{"
            yield (
                f"{indent}  label={_dot_string(label)}; "
                f'color="{color}"; fontcolor="{color}"; style=rounded;'
            )
            yield from emit(child, indent + "  ")
            yield indent + "}"

    lines += emit((False, ()), "  ")
    arrows: dict[tuple[str, str], bool] = {}  # drawn arrow -> carries a forward value back
    for source, target in _unique_pairs(graph):
        if name[source] != name[target]:  # else inside a collapsed box
            read = graph.nodes[target].backward and not graph.nodes[source].backward
            key = (name[source], name[target])
            arrows[key] = arrows.get(key, False) or read
    for (source, target), read in arrows.items():
        style = f' [color="{BACKWARD_EDGE}", penwidth=1.3]' if read else ""
        lines.append(f"  {source} -> {target}{style};")
    lines.append("}")
    return "\n".join(lines)


def _unique_pairs(graph: Graph) -> list[tuple[int, int]]:
    """`(source, target)` of every arrow, once however many values flow along it."""
    return list(dict.fromkeys((edge.source, edge.target) for edge in graph.edges))


def _mermaid_label(node: Node) -> str:
    text = f"{_what(node)}<br/>{output_text(node)}".replace('"', "#quot;")
    if node.primitive == INPUT:
        return f'n{node.id}(["{text}"])'
    return f'n{node.id}["{text}"]'


def to_mermaid(graph: Graph) -> str:
    """Mermaid text; see `funcnet.graph.Graph.to_mermaid`."""
    lines = ["flowchart TB"]
    children, members = _tree(graph)
    with_pass = any(node.backward for node in graph.nodes)
    count = iter(range(len(children)))

    def emit(key: ClusterKey, indent: str) -> Iterator[str]:
        for node in members[key]:
            yield indent + _mermaid_label(graph.nodes[node])
        for child in children[key]:
            label = _cluster_label(child, with_pass).replace('"', "#quot;")
            yield f'{indent}subgraph c{next(count)}["{label}"]'
            yield from emit(child, indent + "  ")
            yield indent + "end"

    lines += emit((False, ()), "  ")
    lines += [f"  n{source} --> n{target}" for source, target in _unique_pairs(graph)]
    fills = (("forward", FORWARD_FILL), ("backward", BACKWARD_FILL), ("outside", OUTSIDE_FILL))
    for kind, fill in fills:
        lines.append(f"  classDef {kind} fill:{fill}")
        ids = [f"n{n.id}" for n in graph.operations if _kind(n) == kind]
        if ids:
            lines.append(f"  class {','.join(ids)} {kind}")
    return "\n".join(lines)


def _kind(node: Node) -> str:
    if not node.is_operation:
        return node.primitive
    if node.backward:
        return "backward"
    return "forward" if node.layer else "outside"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def to_text(graph: Graph) -> str:
    """A table; see `funcnet.graph.Graph.to_text`."""
    kinds = [(INPUT, "input"), (CONSTANT, "constant")]
    parts = [_plural(sum(n.primitive == p for n in graph.nodes), w) for p, w in kinds]
    parts = [p for p in parts if not p.startswith("0 ")]
    parts.append(_plural(len(graph.operations), "operation"))
    uses: dict[int, list[int]] = {node.id: [] for node in graph.nodes}
    for source, target in _unique_pairs(graph):
        uses[target].append(source)
    header = ("id", "operation", "output", "layer", "pass", "uses")
    rows = [header]
    for node in graph.nodes:
        what = f"{node.primitive} {node.name}" if node.name is not None else node.primitive
        layer = f"{node.layer} {node.layer_type}" if node.layer else ""
        stage = ("backward" if node.backward else "forward") if node.is_operation else ""
        used = " ".join(map(str, sorted(uses[node.id])))
        rows.append((str(node.id), what, output_text(node), layer, stage, used))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        f"{_plural(len(graph.nodes), 'node')} ({', '.join(parts)}), "
        f"{_plural(len(_unique_pairs(graph)), 'edge')}"
    ]
    for row in rows:
        cells = [row[0].rjust(max(widths[0], 3))]
        cells += [cell.ljust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)

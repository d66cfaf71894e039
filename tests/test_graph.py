"""funcnet.graph: traced graphs, their topological order, export, and what XLA compiles.

Orders are checked against Python's `graphlib.TopologicalSorter` and against the plain
definition (every edge points forward); DOT is laid out by a real Graphviz (viz.js)
where the site's Node modules are installed; layer attribution is checked against each
layer traced on its own.
"""

import graphlib
import itertools
import json
import pathlib
import re
import shutil
import subprocess

import jax
import jax.numpy as jnp
import pytest
from hypothesis import given
from hypothesis import strategies as st

import funcnet
from funcnet.graph import CycleError, Edge, Graph, Node, compiled_ops, lesson_graph

ROOT = pathlib.Path(__file__).resolve().parent.parent
F32 = jnp.float32


def lesson_model():
    return funcnet.Sequential(
        funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
    )


def lesson_params(model=None):
    model = model or lesson_model()
    params = model.init(jax.random.key(0), (4, 10))
    return jax.tree.map(lambda p: p.astype(F32), params)


@pytest.fixture(scope="module")
def forward():
    return lesson_graph()


@pytest.fixture(scope="module")
def backward():
    return lesson_graph(backward=True)


def assert_topological(g, order):
    """The definition, independently of `Graph.check_order`."""
    assert sorted(order) == list(range(len(g.nodes)))
    position = {node: i for i, node in enumerate(order)}
    for edge in g.edges:
        assert position[edge.source] < position[edge.target], edge


def reference_order(g):
    sorter = graphlib.TopologicalSorter({node.id: set() for node in g.nodes})
    for edge in g.edges:
        sorter.add(edge.target, edge.source)
    return tuple(sorter.static_order())


# --- the lesson's model, forward and backward -----------------------------------------


@pytest.mark.parametrize("which", ["forward", "backward"])
def test_lesson_orders_are_topological(which, request):
    g = request.getfixturevalue(which)
    jaxpr_order = tuple(range(len(g.nodes)))
    assert g.check_order() == jaxpr_order
    assert_topological(g, jaxpr_order)
    kahn = g.topological_order()
    assert_topological(g, kahn)
    assert g.check_order(kahn) == kahn
    assert kahn != jaxpr_order  # another valid order: independent operations move
    reference = reference_order(g)
    assert_topological(g, reference)
    assert g.check_order(reference) == reference


def test_lesson_forward_graph(forward):
    names = [n.name for n in forward.nodes if n.primitive == "input"]
    assert names == ["params.0.bias", "params.0.weight", "params.2.bias", "params.2.weight", "x"]
    assert len(forward.operations) == 16 and len(forward.edges) == 22
    assert forward.counts()["dot_general"] == 2 and forward.counts()["logistic"] == 1
    assert not any(node.backward for node in forward.nodes)
    (output,) = forward.outputs
    assert forward.nodes[output].primitive == "div"
    assert forward.nodes[output].shapes == ((4, 8),)
    assert forward.nodes[output].layer == "3"
    assert forward.ancestors([output]) == frozenset(range(len(forward.nodes) - 1))


def test_backward_nodes_consume_forward_values(backward):
    nodes = backward.nodes
    into_backward = [e for e in backward.edges if nodes[e.target].backward]
    from_forward = [e for e in into_backward if nodes[e.source].is_operation]
    from_forward = [e for e in from_forward if not nodes[e.source].backward]
    assert from_forward  # the backward pass reads values the forward pass computed
    # dL/dW of the second Linear is dot(dL/dz, h): h is the Sigmoid's forward output.
    grad_w2 = next(n for n in nodes if n.backward and n.shapes == ((8, 5),))
    assert grad_w2.primitive == "dot_general" and grad_w2.layer == "2"
    sources = {nodes[e.source].primitive for e in backward.edges if e.target == grad_w2.id}
    assert "logistic" in sources
    # Every gradient needs forward values: no backward without forward.
    for output in backward.outputs:
        assert nodes[output].backward
        needed = backward.ancestors([output])
        assert any(nodes[i].primitive == "logistic" for i in needed)
        assert any(nodes[i].primitive == "input" and nodes[i].name == "x" for i in needed)


def test_prediction_needs_neither_loss_nor_backward(backward):
    nodes = backward.nodes
    (prediction,) = [
        n
        for n in nodes
        if n.layer == "3" and n.primitive == "div" and n.shapes == ((4, 8),) and not n.backward
    ]
    needed = [nodes[i] for i in backward.ancestors([prediction.id])]
    assert needed
    assert not any(n.backward for n in needed)
    assert all(n.layer is not None for n in needed if n.is_operation)  # no loss node
    inputs = {n.name for n in needed if n.primitive == "input"}
    assert inputs == {"params.0.bias", "params.0.weight", "params.2.bias", "params.2.weight", "x"}
    # ...while the loss and every gradient need the target.
    target = next(n.id for n in nodes if n.name == "target")
    assert all(target in backward.ancestors([o]) for o in backward.outputs)


def test_graph_through_jit_is_the_same_graph():
    model, params, x = lesson_model(), lesson_params(), jnp.ones((4, 10), F32)
    plain = funcnet.graph(model, params, x)
    jitted = funcnet.graph(jax.jit(model), params, x)

    def summary(g):
        return [(n.primitive, n.shapes, n.layer, n.name) for n in g.nodes], g.edges, g.outputs

    assert summary(jitted) == summary(plain)
    assert [n.name for n in plain.nodes[:5]] == [
        "params.0.bias",
        "params.0.weight",
        "params.2.bias",
        "params.2.weight",
        "x",
    ]


def test_graph_from_abstract_arguments_equals_graph_from_arrays(forward):
    model, params = lesson_model(), lesson_params()
    concrete = funcnet.graph(model, params, jnp.ones((4, 10), F32))
    assert [n.primitive for n in concrete.nodes] == [n.primitive for n in forward.nodes]
    assert concrete.edges == forward.edges


# --- layer attribution ---------------------------------------------------------------


def nested_model():
    return funcnet.Sequential(
        funcnet.Linear(6, 5),
        funcnet.Sequential(funcnet.Linear(5, 4), funcnet.Tanh()),
        funcnet.ReLU(),
        funcnet.Linear(4, 3),
    )


def test_every_node_of_a_sequential_is_attributed_to_its_layer():
    model = nested_model()
    params = model.init(jax.random.key(0), (2, 6))
    x = jnp.ones((2, 6))
    g = funcnet.graph(model, params, x)
    assert all(node.layer is not None for node in g.operations)
    expected = {"0": "Linear", "1.0": "Linear", "1.1": "Tanh", "2": "ReLU", "3": "Linear"}
    assert {n.layer: n.layer_type for n in g.operations} == expected
    assert g.nodes[g.outputs[0]].layer == "3"
    # Each layer's nodes are exactly the operations of that layer traced alone.
    inputs = {"0": x}
    inputs["1.0"] = model[0](params[0], x)
    inputs["1.1"] = model[1][0](params[1][0], inputs["1.0"])
    inputs["2"] = model[1](params[1], inputs["1.0"])
    inputs["3"] = model[2](params[2], inputs["2"])
    layers = {
        "0": (model[0], params[0]),
        "1.0": (model[1][0], params[1][0]),
        "1.1": (model[1][1], params[1][1]),
        "2": (model[2], params[2]),
        "3": (model[3], params[3]),
    }
    for name, (layer, layer_params) in layers.items():
        alone = funcnet.graph(layer, layer_params, inputs[name])
        mine = [n.primitive for n in g.operations if n.layer == name]
        assert mine == [n.primitive for n in alone.operations], name
    scopes = {n.scopes for n in g.operations if n.layer == "1.1"}
    assert scopes == {("1:Sequential", "1:Tanh")}


def test_backward_nodes_are_attributed_to_their_layers(backward):
    layers = {(n.layer, n.layer_type) for n in backward.operations if n.backward and n.layer}
    assert layers == {("0", "Linear"), ("1", "Sigmoid"), ("2", "Linear"), ("3", "Softmax")}
    # The loss is outside the model: its nodes belong to no layer.
    assert any(n.layer is None and not n.backward for n in backward.operations)


def test_scopes_outside_sequential_are_kept_but_name_no_layer():
    def fn(x):
        with jax.named_scope("loss"):
            return jnp.sum(x**2)

    g = funcnet.graph(fn, jnp.ones(3))
    assert all(n.scopes == ("loss",) and n.layer is None for n in g.operations)


# --- nested jaxprs -------------------------------------------------------------------


def test_calls_are_inlined_and_control_flow_keeps_its_bodies():
    @jax.custom_vjp
    def sine(x):
        return jnp.sin(x)

    sine.defvjp(lambda x: (jnp.sin(x), jnp.cos(x)), lambda cos, g: (g * cos,))

    def fn(x):
        y = jax.nn.relu(sine(x)) + jax.checkpoint(jnp.tanh)(x)  # custom_jvp, remat
        total, ys = jax.lax.scan(lambda c, v: (c + v, c * v), 0.0, y)
        z = jax.lax.cond(total > 0, lambda v: v * 2, lambda v: v - 1, ys)
        return jax.jit(jnp.exp)(z)

    g = funcnet.graph(fn, jnp.ones(3, F32))
    counts = g.counts()
    for call in ("custom_vjp_call", "custom_jvp_call", "remat2", "checkpoint", "jit", "pjit"):
        assert call not in counts
    for primitive in ("sin", "max", "tanh", "exp"):
        assert counts[primitive] == 1, primitive
    scan = next(n for n in g.nodes if n.primitive == "scan")
    (body,) = scan.subgraphs
    assert isinstance(body, Graph) and len(body.inputs) == 2
    assert body.counts()["add"] == body.counts()["mul"] == 1
    cond = next(n for n in g.nodes if n.primitive == "cond")
    assert sorted(b.counts().most_common(1)[0][0] for b in cond.subgraphs) == ["mul", "sub"]
    assert_topological(g, g.topological_order())
    g.check_order()


def test_constants_and_literal_outputs_become_constant_nodes():
    table = jnp.arange(3.0, dtype=F32)
    g = funcnet.graph(lambda x: (x * table, 2.0), jnp.ones(3, F32))
    kinds = [n.primitive for n in g.nodes]
    assert kinds.count("constant") >= 1
    assert g.nodes[g.outputs[1]].primitive == "constant"
    g.check_order()


def test_input_names_follow_parameters_and_pytree_paths():
    def fn(weights, x, *rest):
        return weights["w"] @ x + rest[0]

    g = funcnet.graph(fn, {"w": jnp.ones((2, 3))}, jnp.ones(3), jnp.ones(2))
    assert [n.name for n in g.nodes if n.primitive == "input"] == ["weights.w", "x", "arg2"]


# --- Kahn's algorithm against a reference ----------------------------------------------


@st.composite
def dags(draw, max_nodes=25):
    """A random DAG whose ids are shuffled, so that id order is usually not topological."""
    count = draw(st.integers(1, max_nodes))
    hidden = draw(st.permutations(range(count)))  # hidden[i]: the i-th node in a valid order
    pairs = st.tuples(st.integers(0, count - 1), st.integers(0, count - 1))
    chosen = draw(st.lists(pairs, max_size=3 * count))
    edges = {(hidden[min(a, b)], hidden[max(a, b)]) for a, b in chosen if a != b}
    return count, sorted(edges)


def make_graph(count, edges):
    return Graph(tuple(Node(i, "op") for i in range(count)), tuple(Edge(a, b) for a, b in edges))


@given(dags())
def test_kahn_orders_random_dags_like_graphlib(dag):
    g = make_graph(*dag)
    order = g.topological_order()
    assert_topological(g, order)
    reference = reference_order(g)
    assert_topological(g, reference)
    assert g.check_order(reference) == reference
    # First come, first served: the first nodes are those without inputs, in id order.
    sources = [i for i in range(dag[0]) if all(b != i for _, b in dag[1])]
    assert list(order[: len(sources)]) == sources


@given(dags(), st.data())
def test_a_back_edge_makes_a_cycle_both_sorts_refuse(dag, data):
    count, edges = dag
    if not edges:
        return
    a, b = data.draw(st.sampled_from(edges))
    g = make_graph(count, [*edges, (b, a)])
    with pytest.raises(graphlib.CycleError):
        reference_order(g)
    with pytest.raises(CycleError, match="the graph has a cycle") as error:
        g.topological_order()
    cycle = error.value.cycle
    assert cycle[0] == cycle[-1] and len(set(cycle)) == len(cycle) - 1
    pairs = {(e.source, e.target) for e in g.edges}
    assert all((u, v) in pairs for u, v in itertools.pairwise(cycle))


def test_a_hand_built_cycle_is_a_clear_error():
    nodes = (
        Node(0, "input", name="x"),
        Node(1, "add"),
        Node(2, "mul"),
        Node(3, "exp"),
    )
    g = Graph(nodes, (Edge(0, 1), Edge(1, 2), Edge(2, 1), Edge(2, 3)), inputs=(0,), outputs=(3,))
    message = (
        r"the graph has a cycle, 1 \(add\) -> 2 \(mul\) -> 1 \(add\): each node on it needs "
        r"the value of the one before it, so no topological order exists and none of them can "
        r"be computed \(1 of 4 nodes could be ordered\)\."
    )
    with pytest.raises(CycleError, match=message) as error:
        g.topological_order()
    assert isinstance(error.value, ValueError) and error.value.cycle == (1, 2, 1)
    loop = Graph((Node(0, "neg"),), (Edge(0, 0),))
    with pytest.raises(CycleError, match=r"cycle, 0 \(neg\) -> 0 \(neg\)"):
        loop.topological_order()


def test_check_order_names_what_is_wrong():
    g = funcnet.graph(lambda x: jnp.exp(jnp.sin(x)), jnp.ones(3))
    with pytest.raises(ValueError, match=r"list each of the 3 node ids once; missing \[2\]"):
        g.check_order([0, 1])
    with pytest.raises(ValueError, match=r"repeated \[1\], unknown \[7\]"):
        g.check_order([0, 1, 1, 7])
    with pytest.raises(
        ValueError,
        match=r"node 1 \(sin\) at position 0 comes before node 0 \(input x\) at position 1",
    ):
        g.check_order([1, 0, 2])


def test_graph_values_are_checked_and_immutable():
    with pytest.raises(ValueError, match=r"node 1 \(add\) is at position 0"):
        Graph((Node(1, "add"),), ())
    with pytest.raises(ValueError, match="names a node that does not exist; ids run from 0 to 0"):
        Graph((Node(0, "add"),), (Edge(0, 3),))
    with pytest.raises(ValueError, match=r"outputs \[4\] are not node ids"):
        Graph((Node(0, "add"),), (), outputs=(4,))
    g = make_graph(2, [(0, 1)])
    with pytest.raises(AttributeError):
        g.nodes = ()


def test_graph_refuses_what_it_cannot_trace():
    with pytest.raises(TypeError, match="graph: fn must be a function to trace"):
        funcnet.graph("model", jnp.ones(3))
    with pytest.raises(TypeError, match=r"argument batch\.label must be an array"):
        funcnet.graph(lambda batch: batch["x"], {"x": jnp.ones(3), "label": "cat"})


# --- export --------------------------------------------------------------------------


def parse_dot(text):
    """Nodes, edges and clusters (label -> the node ids inside it, nested included)."""
    nodes = set(map(int, re.findall(r"^\s*n(\d+) \[label=", text, re.M)))
    edges = {(int(a), int(b)) for a, b in re.findall(r"^\s*n(\d+) -> n(\d+)", text, re.M)}
    clusters, stack = {}, []
    for line in text.splitlines():
        if re.match(r"\s*subgraph cluster_\d+ \{$", line):
            stack.append(None)
        elif stack and stack[-1] is None and (label := re.match(r'\s*label="([^"]*)";', line)):
            stack[-1] = label.group(1)
            clusters[label.group(1)] = set()
        elif (node := re.match(r"\s*n(\d+) \[label=", line)) and stack:
            for name in stack:
                clusters[name].add(int(node.group(1)))
        elif line.strip() == "}" and stack:
            stack.pop()
    assert not stack
    return nodes, edges, clusters


def unique_pairs(g):
    return {(e.source, e.target) for e in g.edges}


@pytest.mark.parametrize("which", ["forward", "backward"])
def test_dot_has_every_node_and_edge_and_layers_as_clusters(which, request):
    g = request.getfixturevalue(which)
    text = g.to_dot(title="lesson")
    assert text.startswith("digraph G {") and text.endswith("}")
    nodes, edges, clusters = parse_dot(text)
    assert nodes == set(range(len(g.nodes)))
    assert edges == unique_pairs(g)
    for node in g.operations:
        if node.layer is None:
            continue
        name = f"{node.layer} {node.layer_type}"
        if which == "backward":
            name += ", backward" if node.backward else ", forward"
        assert node.id in clusters[name], (node, name)
    if which == "backward":
        outside = clusters["outside any layer, forward"]
        assert outside == {n.id for n in g.operations if n.layer is None and not n.backward}


def test_dot_can_draw_what_is_outside_the_layers_as_one_box_per_pass(backward):
    text = backward.to_dot(collapse_outside=True)
    nodes, _, clusters = parse_dot(text)
    outside = {n.id for n in backward.operations if n.layer is None}
    assert nodes == set(range(len(backward.nodes))) - outside
    counts = {b: sum(backward.nodes[i].backward == b for i in outside) for b in (False, True)}
    assert f'outside0 [label="outside any layer, forward\\n{counts[False]} operations"' in text
    assert f'outside1 [label="outside any layer, backward\\n{counts[True]} operations"' in text
    assert not any(name.startswith("outside any layer") for name in clusters)

    def drawn(i):
        return f"outside{int(backward.nodes[i].backward)}" if i in outside else f"n{i}"

    arrows = set(re.findall(r"^\s*(\w+) -> (\w+)", text, re.M))
    expected = {(drawn(a), drawn(b)) for a, b in unique_pairs(backward)}
    assert arrows == {(a, b) for a, b in expected if a != b}


def test_the_site_figure_leaves_out_operations_no_output_needs(backward):
    from docsite.graphs import live

    kept = live(backward)
    needed = backward.ancestors(backward.outputs) | set(backward.outputs)
    assert len(kept.nodes) == len(needed | set(backward.inputs))
    assert kept.check_order() and len(kept.outputs) == len(backward.outputs)
    assert [n.primitive for n in kept.nodes] == [
        n.primitive for n in backward.nodes if n.id in needed or n.id in backward.inputs
    ]


def test_dot_of_a_nested_sequential_nests_its_clusters():
    model = nested_model()
    g = funcnet.graph(model, model.init(jax.random.key(0), (2, 6)), jnp.ones((2, 6)))
    _, _, clusters = parse_dot(g.to_dot())
    assert clusters["1.0 Linear"] < clusters["1 Sequential"]
    assert clusters["1.1 Tanh"] < clusters["1 Sequential"]
    assert clusters["1 Sequential"] == clusters["1.0 Linear"] | clusters["1.1 Tanh"]


VIZ = ROOT / "docsite" / "node_modules" / "@viz-js" / "viz"


@pytest.mark.skipif(
    not VIZ.exists() or shutil.which("node") is None,
    reason="viz.js is installed by `npm ci --prefix docsite`",
)
def test_graphviz_lays_out_the_dot(forward, backward):
    dots = [forward.to_dot(), backward.to_dot(title='a "quoted" title')]
    completed = subprocess.run(
        ["node", "render_graphviz.js"],
        input=json.dumps(dots),
        capture_output=True,
        text=True,
        cwd=ROOT / "docsite",
        check=True,
    )
    for g, item, dot in zip((forward, backward), json.loads(completed.stdout), dots, strict=True):
        svg = item["svg"]
        assert svg.count('class="node"') == len(g.nodes)
        assert svg.count('class="edge"') == len(unique_pairs(g))
        assert svg.count('class="cluster"') == len(parse_dot(dot)[2])


def parse_mermaid(text):
    """Nodes and edges; subgraph and end must balance."""
    nodes = {int(m) for m in re.findall(r'^\s*n(\d+)(?:\(\[|\[)"', text, re.M)}
    edges = {(int(a), int(b)) for a, b in re.findall(r"^\s*n(\d+) --> n(\d+)$", text, re.M)}
    depth = 0
    for line in text.splitlines():
        depth += line.strip().startswith("subgraph ") - (line.strip() == "end")
        assert depth >= 0
    assert depth == 0
    return nodes, edges


@pytest.mark.parametrize("which", ["forward", "backward"])
def test_mermaid_has_every_node_and_edge(which, request):
    g = request.getfixturevalue(which)
    text = g.to_mermaid()
    assert text.startswith("flowchart TB\n")
    nodes, edges = parse_mermaid(text)
    assert nodes == set(range(len(g.nodes)))
    assert edges == unique_pairs(g)
    backward_ids = {int(i) for i in re.findall(r"n(\d+)", _class_line(text, "backward"))}
    assert backward_ids == {n.id for n in g.nodes if n.backward}
    subgraphs = re.findall(r'subgraph c\d+\["([^"]+)"\]', text)
    layers = {f"{n.layer} {n.layer_type}" for n in g.operations if n.layer}
    assert {s.split(",")[0] for s in subgraphs} >= layers


def _class_line(text, name):
    found = re.search(rf"^\s*class ([n\d,]+) {name}$", text, re.M)
    return found.group(1) if found else ""


def test_text_lists_every_node_with_its_inputs(forward):
    lines = forward.to_text().splitlines()
    assert lines[0] == "21 nodes (5 inputs, 16 operations), 22 edges"
    assert lines[1].split() == ["id", "operation", "output", "layer", "pass", "uses"]
    assert len(lines) == 2 + len(forward.nodes)
    logistic = next(line for line in lines if "logistic" in line).split()
    assert logistic == ["8", "logistic", "f32[4,5]", "1", "Sigmoid", "forward", "7"]


# --- what XLA does with the graph ----------------------------------------------------


def test_xla_fuses_the_lesson_forward_pass():
    model = lesson_model()
    params = jax.tree.map(lambda p: jax.ShapeDtypeStruct(p.shape, F32), lesson_params())
    ops = compiled_ops(model, params, jax.ShapeDtypeStruct((4, 10), F32))
    assert ops.traced == 16
    assert ops.compiled < ops.lowered and ops.compiled < ops.traced
    assert ops.fused and all(k.opcode == "fusion" for k in ops.fused)
    # Sigmoid's exp on 4 x 5 values and Softmax's on 4 x 8 (XLA counts one each).
    assert ops.transcendentals == 4 * 5 + 4 * 8
    # The dot products: 2 flops per multiply-add, 4 x 10 x 5 and 4 x 5 x 8 of them.
    assert ops.flops >= 2 * (4 * 10 * 5 + 4 * 5 * 8)
    sources = {source for kernel in ops.kernels for source in kernel.sources}
    assert "1:Sigmoid/logistic" in sources or any("1:Sigmoid" in s for s in sources)
    spanning = [k for k in ops.kernels if len({s.split("/")[0] for s in k.sources}) > 1]
    assert spanning  # some kernel computes operations of two layers: fusion across layers


@pytest.mark.parametrize(("activation", "transcendental"), [(jax.nn.sigmoid, 1), (jax.nn.relu, 0)])
def test_cost_analysis_counts_one_exponential_per_sigmoid(activation, transcendental):
    x = jax.ShapeDtypeStruct((1000,), F32)
    forward = compiled_ops(activation, x)
    assert forward.transcendentals == transcendental * 1000
    both = compiled_ops(jax.grad(lambda v: activation(v).sum()), x)
    assert both.transcendentals == transcendental * 1000  # the derivative reuses the value
    exponentials = sum(op == "exponential" for k in forward.kernels for op in k.operations)
    assert exponentials == transcendental


def test_parse_hlo_reads_tuples_and_nested_fusions():
    from funcnet._graph_xla import kernels, lowered_count, parse_hlo

    text = """HloModule m

%inner (p: f32[2]) -> f32[2] {
  %p = f32[2]{0} parameter(0)
  ROOT %e = f32[2]{0} exponential(%p), metadata={op_name="jit(f)/1:Sigmoid/exp"}
}

%outer (q: f32[2]) -> f32[2] {
  %q = f32[2]{0} parameter(0)
  %n = f32[2]{0} negate(%q), metadata={op_name="jit(f)/0:Linear/neg"}
  ROOT %f = f32[2]{0} fusion(%n), kind=kLoop, calls=%inner
}

ENTRY %main (x: f32[2]) -> (f32[2], s32[]) {
  %x = f32[2]{0} parameter(0)
  %c = s32[] constant(1)
  %k = f32[2]{0} fusion(%x), kind=kLoop, calls=%outer, metadata={op_name="jit(f)/a"}
  %s = (f32[2]{0}, s32[]) sort(%k, %c), dimensions={0}
  ROOT %t = (f32[2]{0}, s32[]) tuple(%k, %c)
}
"""
    entry, computations = parse_hlo(text)
    assert entry == "main" and set(computations) == {"inner", "outer", "main"}
    found = kernels(text)
    assert [(k.name, k.opcode) for k in found] == [("k", "fusion"), ("s", "sort")]
    assert found[0].operations == ("negate", "exponential")
    assert found[0].sources == ("0:Linear/neg", "1:Sigmoid/exp")
    assert lowered_count(text) == 2
    with pytest.raises(ValueError, match="no ENTRY computation"):
        parse_hlo("HloModule m\n")

"""The computation graph: why it needs a topological order, when it is built, what it costs.

The lesson's claims about computing a network are about programs, not formulas, so
these checks read what JAX shows: the lesson's model traced by `funcnet.graph` (each
operation a node, each value an edge), the order of its jaxpr, Kahn's algorithm, and
XLA's cost analysis of compiled functions. Like :mod:`derivations.crosscheck` this
module imports funcnet and JAX inside its checks only, so importing it stays free of
them; every check computes in float32 whatever JAX's default is. The statements are
the facts the checks establish, written as formulas.
"""

from __future__ import annotations

import json
import pathlib
from typing import Any

import sympy as sp

from derivations._algebra import eq
from derivations._result import Result, result

#: Where `python -m benchmarks.activation_cost` records its measurements.
MEASURED = pathlib.Path(__file__).resolve().parent.parent / "benchmarks" / "activation_cost.json"

_pi = sp.Function(r"\pi")  # a node's position in an order
_T = sp.Function("T")  # transcendental evaluations XLA counts for a compiled function
_u, _v, _a, _b, _c, _n = sp.symbols("u v a b c n")


def _text(words: str) -> sp.Symbol:
    return sp.Symbol(rf"\text{{{words}}}")


def _edges_forward(graph: Any, order: tuple[int, ...]) -> bool:
    position = {node: i for i, node in enumerate(order)}
    return sorted(order) == list(range(len(graph.nodes))) and all(
        position[e.source] < position[e.target] for e in graph.edges
    )


def evaluation_order() -> Result:
    """The lesson's model, forward and backward, is computed in a topological order.

    Every operation of the traced graph comes after the operations whose values it
    uses, in the jaxpr's own order; Kahn's algorithm finds a different order that also
    satisfies every edge, and Python's `graphlib` a third.

    Examples:
        >>> evaluation_order().verified
        True
    """
    import graphlib

    from funcnet.graph import lesson_graph

    values: dict[str, Any] = {}
    ok = True
    for name, graph in (("forward", lesson_graph()), ("backward", lesson_graph(backward=True))):
        jaxpr_order = tuple(range(len(graph.nodes)))
        kahn = graph.topological_order()
        sorter = graphlib.TopologicalSorter({node.id: set() for node in graph.nodes})
        for edge in graph.edges:
            sorter.add(edge.target, edge.source)
        reference = tuple(sorter.static_order())
        ok = ok and all(_edges_forward(graph, o) for o in (jaxpr_order, kahn, reference))
        ok = ok and graph.check_order() == jaxpr_order and kahn != jaxpr_order
        values[name] = {
            "nodes": len(graph.nodes),
            "edges": len(graph.edges),
            "kahn_order": list(kahn),
        }
    return result(
        "computation.evaluation_order",
        claim="the lesson's model is computed in a topological order, forward and backward: "
        "each operation after every operation whose value it uses",
        statement=sp.Implies(sp.Symbol(r"u \to v"), sp.Lt(_pi(_u), _pi(_v))),
        verified=ok,
        detail=f"funcnet.graph traced the model ({values['forward']['nodes']} nodes) and the "
        f"gradient of its loss ({values['backward']['nodes']} nodes); in both the jaxpr's "
        "order, Kahn's algorithm's and graphlib's put every edge u -> v forward, and Kahn's "
        "differs from the jaxpr's",
        values=values,
        steps=(
            sp.Eq(_text("nodes, forward"), values["forward"]["nodes"]),
            sp.Eq(_text("nodes, forward and backward"), values["backward"]["nodes"]),
        ),
    )


def no_order_no_computation() -> Result:
    """A graph with a cycle has no topological order, and out of order nothing runs.

    A three-node cycle leaves Kahn's algorithm nothing to start from, and `graphlib`
    refuses it too. Moving the sigmoid of the lesson's jaxpr above the addition that
    computes its input makes a program JAX itself rejects: a variable used before it
    is defined.

    Examples:
        >>> no_order_no_computation().verified
        True
    """
    import graphlib

    import jax
    from jax.extend.core import JaxprTypeError, check_jaxpr

    from funcnet.graph import CycleError, Edge, Graph, Node, lesson_function

    cycle = Graph(tuple(Node(i, "add") for i in range(3)), (Edge(0, 1), Edge(1, 2), Edge(2, 0)))
    try:
        cycle.topological_order()
        kahn_refused = False
    except CycleError as error:
        kahn_refused = error.cycle == (0, 1, 2, 0)
    sorter = graphlib.TopologicalSorter({1: {0}, 2: {1}, 0: {2}})
    try:
        sorter.prepare()
        graphlib_refused = False
    except graphlib.CycleError:
        graphlib_refused = True
    fn, args = lesson_function()
    jaxpr = jax.make_jaxpr(fn)(*args).jaxpr
    check_jaxpr(jaxpr)  # in its own order it is a valid program
    names = [eqn.primitive.name for eqn in jaxpr.eqns]
    at = names.index("logistic")
    swapped = [*jaxpr.eqns[: at - 1], jaxpr.eqns[at], jaxpr.eqns[at - 1], *jaxpr.eqns[at + 1 :]]
    try:
        check_jaxpr(jaxpr.replace(eqns=swapped))
        jax_refused = ""
    except JaxprTypeError as error:
        jax_refused = str(error).splitlines()[0]
    ok = kahn_refused and graphlib_refused and jax_refused.startswith("Variable")
    chain = sp.And(sp.Lt(_pi(_a), _pi(_b)), sp.Lt(_pi(_b), _pi(_c)), sp.Lt(_pi(_c), _pi(_a)))
    return result(
        "computation.no_order_no_computation",
        claim="without a topological order a graph cannot be computed: a cycle has none, "
        "and a program whose operations are out of order does not run",
        statement=sp.Implies(chain, sp.Lt(_pi(_a), _pi(_a))),
        verified=ok,
        detail="Kahn's algorithm raised CycleError on a -> b -> c -> a and graphlib raised its "
        "CycleError; with its sigmoid moved above the addition it reads, the lesson's jaxpr "
        "fails JAX's own check (jax.extend.core.check_jaxpr): a variable used before it is "
        "defined",
        values={
            "kahn_refused": kahn_refused,
            "graphlib_refused": graphlib_refused,
            "jax_refused": jax_refused,
        },
        steps=(sp.Eq(_text("nodes Kahn's algorithm can order in a cycle"), 0),),
    )


def trace_then_run() -> Result:
    """JAX builds a graph both ways: whole before running, or recorded while running.

    `jax.make_jaxpr` traces the lesson's model from shapes alone: the whole graph
    exists before a single number does (as TensorFlow's graphs and `jax.jit`).
    `jax.vjp` runs the forward pass now and records the backward graph as it goes,
    keeping the forward values the backward pass will read (as PyTorch's autograd).
    Either graph is already in a topological order: nothing needs sorting afterwards.

    Examples:
        >>> trace_then_run().verified
        True
    """
    import jax
    import jax.numpy as jnp

    from funcnet.graph import graph, lesson_function

    fn, (params, x) = lesson_function()
    ahead = graph(fn, params, x)  # only ShapeDtypeStructs: nothing can be computed
    concrete = jax.tree.map(lambda s: jnp.full(s.shape, 0.1, s.dtype), (params, x))
    prediction, backward_fn = jax.vjp(lambda p: fn(p, concrete[1]), concrete[0])
    recorded = graph(backward_fn, jnp.ones_like(prediction))
    kept = sum(node.primitive == "constant" for node in recorded.nodes)
    ok = (
        not any(hasattr(a, "block_until_ready") for a in jax.tree.leaves((params, x)))
        and len(ahead.operations) > 0
        and ahead.check_order() == tuple(range(len(ahead.nodes)))
        and isinstance(prediction, jax.Array)
        and recorded.check_order() == tuple(range(len(recorded.nodes)))
        and kept > 0
        and len(recorded.outputs) == len(jax.tree.leaves(params))
    )
    return result(
        "computation.trace_then_run",
        claim="a graph can be built whole before running (jax.make_jaxpr, jax.jit; "
        "TensorFlow's graphs) or recorded while running (jax.vjp; PyTorch), and either way "
        "it comes in a topological order",
        statement=(
            sp.Eq(_text("values computed while tracing"), 0),
            sp.Eq(_text("operations traced"), len(ahead.operations)),
        ),
        verified=ok,
        detail=f"make_jaxpr traced {len(ahead.operations)} operations from shapes alone; "
        f"jax.vjp returned the prediction and a backward graph of "
        f"{len(recorded.operations)} operations holding {kept} forward values; both "
        "graphs' own orders passed Graph.check_order",
        values={
            "traced_operations": len(ahead.operations),
            "recorded_backward_operations": len(recorded.operations),
            "forward_values_kept": kept,
        },
    )


def _measured() -> dict[str, float]:
    try:
        record = json.loads(MEASURED.read_text(encoding="utf-8"))
        return {case["name"]: case["ratio"]["median"] for case in record["cases"]}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def sigmoid_cost() -> Result:
    """Sigmoid costs one exponential per value, ReLU none; in a network it hardly counts.

    XLA's cost analysis of the compiled functions on $n$ float32 values: sigmoid
    evaluates $n$ transcendental functions (its exponential), ReLU none, and the
    gradient of sigmoid still $n$, because $\\sigma' = \\sigma(1 - \\sigma)$ reuses the
    forward value. In the gradient of an MNIST-size MLP (784-512-512-10, batch 128)
    those exponentials are well under 0.1 % of the floating-point work, which the
    matrix products dominate, and compiling the lesson's model fuses the sigmoid into
    one kernel with the operations of its neighbouring layer.

    Examples:
        >>> sigmoid_cost().verified
        True
    """
    import jax
    import jax.numpy as jnp

    import funcnet
    from funcnet.graph import compiled_ops, lesson_function

    n = 1024
    x = jax.ShapeDtypeStruct((n,), jnp.float32)
    cost = {}
    for name in ("sigmoid", "relu"):
        activation = getattr(funcnet, name)
        forward = compiled_ops(activation, x)
        both = compiled_ops(jax.grad(lambda v, f=activation: f(v).sum()), x)
        gradient, example_args = _mlp_gradient(name)
        # The unoptimised program's cost: the same exponentials, without compiling.
        step = jax.jit(gradient).lower(*example_args).cost_analysis()
        cost[name] = {
            "transcendentals": forward.transcendentals,
            "gradient_transcendentals": both.transcendentals,
            "flops": forward.flops,
            "mlp_flops": float(step["flops"]),
            "mlp_transcendentals": float(step.get("transcendentals", 0.0)),
        }
    model, example_args = lesson_function()
    lesson = compiled_ops(model, *example_args)
    fused = [k for k in lesson.fused if any(s.startswith("1:Sigmoid/") for s in k.sources)]
    across = sorted({s.split("/")[0] for k in fused for s in k.sources})
    sigmoid, relu = cost["sigmoid"], cost["relu"]
    share = (sigmoid["mlp_transcendentals"] - relu["mlp_transcendentals"]) / sigmoid["mlp_flops"]
    ok = (
        sigmoid["transcendentals"] == n
        and relu["transcendentals"] == 0
        and sigmoid["gradient_transcendentals"] == n
        and relu["gradient_transcendentals"] == 0
        and sigmoid["flops"] > relu["flops"]
        and share < 1e-3
        and len(across) > 1
    )
    measured = _measured()
    ratios = ", ".join(f"{name} {ratio:.2f}" for name, ratio in measured.items())
    sigma, sigma_prime = sp.Symbol(r"\sigma"), sp.Symbol(r"\sigma'")
    return result(
        "computation.sigmoid_cost",
        claim="sigmoid evaluates one exponential per value and ReLU none, its derivative "
        "no second one, and in a network's gradient those exponentials are a tiny share "
        "of the work",
        statement=(
            sp.Eq(_T(sigma), _n),
            sp.Eq(_T(sp.Symbol(r"\operatorname{ReLU}")), 0),
            sp.Eq(_T(sigma_prime), _n),
        ),
        verified=ok,
        detail=f"XLA's cost analysis on n = {n} float32 values; in the MLP's gradient the "
        f"sigmoid's exponentials are {share:.1e} of its FLOPs; compiling the lesson's model, "
        f"XLA fused the sigmoid into one kernel with operations of {', '.join(across)}"
        + (f"; measured time ratios sigmoid / ReLU ({MEASURED.name}): {ratios}" if ratios else ""),
        values={
            "n": n,
            "cost": cost,
            "mlp_share": share,
            "sigmoid_fused_with": across,
            "measured_ratio": measured,
        },
    )


def _mlp_gradient(activation: str) -> tuple[Any, tuple[Any, ...]]:
    import jax
    import jax.numpy as jnp

    import funcnet

    layer = {"sigmoid": funcnet.Sigmoid, "relu": funcnet.ReLU}[activation]
    model = funcnet.Sequential(
        funcnet.Linear(784, 512),
        layer(),
        funcnet.Linear(512, 512),
        layer(),
        funcnet.Linear(512, 10),
    )
    shapes = jax.eval_shape(lambda key: model.init(key, (128, 784)), jax.random.key(0))
    params = jax.tree.map(lambda s: jax.ShapeDtypeStruct(s.shape, jnp.float32), shapes)

    def loss(params, x, target):
        return funcnet.cross_entropy(model(params, x), target)

    x = jax.ShapeDtypeStruct((128, 784), jnp.float32)
    return jax.grad(loss), (params, x, jax.ShapeDtypeStruct((128,), jnp.int32))


def backward_reads_forward() -> Result:
    """In the traced gradient of the lesson's loss, backward operations read forward values.

    Edges run from forward operations (the sigmoid's output among them) into the
    backward pass, and every gradient depends on the sigmoid; the prediction depends
    on the parameters and the input only: no loss, no label, no backward operation.

    Examples:
        >>> backward_reads_forward().verified
        True
    """
    from funcnet.graph import lesson_graph

    graph = lesson_graph(backward=True)
    nodes = graph.nodes
    read = [e for e in graph.edges if nodes[e.target].backward and nodes[e.source].is_operation]
    read = [e for e in read if not nodes[e.source].backward]
    (prediction,) = [
        n.id
        for n in nodes
        if n.layer == "3" and n.primitive == "div" and n.shapes == ((4, 8),) and not n.backward
    ]
    needs = [nodes[i] for i in graph.ancestors([prediction])]
    inputs = sorted(n.name for n in needs if n.primitive == "input")
    symbols = {
        "params.0.weight": "W_0",
        "params.0.bias": "b_0",
        "params.2.weight": "W_2",
        "params.2.bias": "b_2",
        "x": "x",
    }
    ok = (
        len(read) > 0
        and any(nodes[e.source].primitive == "logistic" for e in read)
        and all(
            any(nodes[i].primitive == "logistic" for i in graph.ancestors([o]))
            for o in graph.outputs
        )
        and not any(n.backward or (n.is_operation and n.layer is None) for n in needs)
        and inputs == sorted(symbols)
    )
    return result(
        "computation.backward_reads_forward",
        claim="in the traced gradient of the lesson's loss the backward operations read "
        "values the forward pass computed, and the prediction needs neither the loss nor "
        "the backward pass",
        statement=(
            eq(
                sp.Symbol(r"\operatorname{inputs}(\hat y)"),
                sp.FiniteSet(*sp.symbols(" ".join(symbols[name] for name in inputs))),
            ),
            sp.Eq(_text("forward values read by the backward pass"), len(read)),
        ),
        verified=ok,
        detail=f"funcnet.graph of jax.grad of the loss: {len(read)} edges from forward "
        "operations into backward ones; the prediction's ancestors are the model's forward "
        f"operations and the inputs {', '.join(inputs)}",
        values={"forward_to_backward_edges": len(read), "prediction_inputs": inputs},
    )


CHECKS = (
    evaluation_order,
    no_order_no_computation,
    trace_then_run,
    sigmoid_cost,
    backward_reads_forward,
)

"""The computation topic: its checks against numbers computed here independently.

The checks are called directly (not through the session's full report), so this file
runs in seconds on its own.
"""

from __future__ import annotations

import graphlib
import re

import jax
import jax.numpy as jnp
import pytest

from derivations import computation
from derivations.claims import CLAIMS

BY_ID = {claim.id: claim for claim in CLAIMS}


@pytest.fixture(scope="module")
def results():
    return {check.__name__: check() for check in computation.CHECKS}


@pytest.mark.parametrize("name", [check.__name__ for check in computation.CHECKS])
def test_check_is_verified_and_well_formed(results, name):
    r = results[name]
    assert r.verified, r.detail
    assert r.id == f"computation.{name}" and r.topic == "computation"
    assert r.claim and r.statement and r.detail


def test_evaluation_order_counts_the_traced_graphs(results):
    from funcnet.graph import lesson_graph

    values = results["evaluation_order"].values
    for name, graph in (("forward", lesson_graph()), ("backward", lesson_graph(backward=True))):
        assert values[name]["nodes"] == len(graph.nodes)
        order = values[name]["kahn_order"]
        position = {node: i for i, node in enumerate(order)}
        assert sorted(order) == list(range(len(graph.nodes)))
        assert all(position[e.source] < position[e.target] for e in graph.edges)
        sorter = graphlib.TopologicalSorter()
        for edge in graph.edges:
            sorter.add(edge.target, edge.source)
        sorter.prepare()  # graphlib agrees the graph has no cycle


def test_no_order_no_computation_saw_every_refusal(results):
    values = results["no_order_no_computation"].values
    assert values["kahn_refused"] and values["graphlib_refused"]
    assert values["jax_refused"].startswith("Variable")


def _exponentials(fn, *args):
    """Exponentials in the compiled program, counted from its HLO text, times their size."""
    text = jax.jit(fn).lower(*args).compile().as_text()
    total = 0
    for shape in re.findall(r"= f32\[([\d,]*)\]\{?[\d,]*\}? exponential\(", text):
        total += int(jnp.prod(jnp.array([int(d) for d in shape.split(",") if d] or [1])))
    return total


def test_sigmoid_cost_matches_the_exponentials_in_the_compiled_program(results):
    values = results["sigmoid_cost"].values
    n = values["n"]
    x = jax.ShapeDtypeStruct((n,), jnp.float32)
    sigmoid, relu = values["cost"]["sigmoid"], values["cost"]["relu"]
    assert sigmoid["transcendentals"] == _exponentials(jax.nn.sigmoid, x) == n
    assert relu["transcendentals"] == _exponentials(jax.nn.relu, x) == 0
    gradient = jax.grad(lambda v: jax.nn.sigmoid(v).sum())
    assert sigmoid["gradient_transcendentals"] == _exponentials(gradient, x) == n
    # 128 x 512 sigmoids in each hidden layer, forward only; the loss's log-softmax
    # adds the same 128 x 10 exponentials (and 128 logarithms) with either activation.
    assert sigmoid["mlp_transcendentals"] - relu["mlp_transcendentals"] == 2 * 128 * 512
    share = (sigmoid["mlp_transcendentals"] - relu["mlp_transcendentals"]) / sigmoid["mlp_flops"]
    assert values["mlp_share"] == pytest.approx(share) and share < 1e-3
    # The matrix products alone, 2 flops per multiply-add: forward, weight gradient and
    # input gradient per layer, except the first layer's input gradient (x is data).
    products = 2 * 128 * (2 * 784 * 512 + 3 * 512 * 512 + 3 * 512 * 10)
    assert products <= sigmoid["mlp_flops"] < 1.01 * products
    assert values["sigmoid_fused_with"] == ["0:Linear", "1:Sigmoid"]


def test_backward_reads_forward_names_the_prediction_inputs(results):
    values = results["backward_reads_forward"].values
    assert values["prediction_inputs"] == [
        "params.0.bias",
        "params.0.weight",
        "params.2.bias",
        "params.2.weight",
        "x",
    ]
    assert values["forward_to_backward_edges"] > 0


def test_trace_then_run_counts(results):
    values = results["trace_then_run"].values
    assert values["traced_operations"] == 16
    assert values["forward_values_kept"] > 0


def test_the_ledger_cites_every_computation_check():
    cited = {check for claim in CLAIMS for check in claim.checks}
    assert {f"computation.{c.__name__}" for c in computation.CHECKS} <= cited
    assert BY_ID["topological_order_needed"].verdict == "holds"
    assert BY_ID["graph_before_or_while_running"].verdict == "holds with a caveat"
    assert BY_ID["sigmoid_slower_than_relu"].verdict == "holds with a caveat"


def test_measured_ratios_are_read_when_recorded(tmp_path, monkeypatch):
    record = tmp_path / "activation_cost.json"
    record.write_text('{"cases": [{"name": "elementwise", "ratio": {"median": 3.0}}]}')
    monkeypatch.setattr(computation, "MEASURED", record)
    assert computation._measured() == {"elementwise": 3.0}
    monkeypatch.setattr(computation, "MEASURED", tmp_path / "missing.json")
    assert computation._measured() == {}

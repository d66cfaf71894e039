"""Batch norm's running statistics against PyTorch's buffers.

`apply_with_state(params, state, x, training=True)` returns, beside the output that
the parity fuzz compares, the running statistics updated from the batch;
torch.nn.BatchNorm1d and BatchNorm2d update their buffers in place. Both start from
the same drawn running mean, running variance and count of batches, see the same
input and must agree on all three afterwards, for every momentum, None (the cumulative
average 1 / t) included, in float64 and float32. In evaluation the state must come
back unchanged, as PyTorch's buffers stay. An empty batch (N = 0) has its own test:
PyTorch returns before touching the running mean and variance.

The tolerances are the parity fuzz's, relative to the terms that cancel: the running
mean sums the batch, the running variance its squared deviations.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from registry import OPERATORS, Case, batch_norm_case, batch_norm_state

import funcnet

NAMES = ("BatchNorm1d", "BatchNorm2d")
DTYPES = ("float64", "float32")
# Counts of batches seen before: momentum=None weighs the next batch 1 / (count + 1).
COUNTS = (0, 1, 9)


def _torch_module(case: Case, name: str, count: int) -> torch.nn.Module:
    """PyTorch's layer with the case's settings, parameters and running statistics."""
    config = {k: v for k, v in case.config.items() if k not in ("num_features", "training")}
    dtype = getattr(torch, case.arrays[0].dtype.name)
    module = getattr(torch.nn, name)(case.config["num_features"], **config, dtype=dtype)
    with torch.no_grad():
        if case.config["affine"]:
            module.weight.copy_(torch.from_numpy(case.arrays[1]))
            module.bias.copy_(torch.from_numpy(case.arrays[2]))
        module.running_mean.copy_(torch.from_numpy(case.data[0]))
        module.running_var.copy_(torch.from_numpy(case.data[1]))
        module.num_batches_tracked.fill_(count)
    return module


def _funcnet_step(case: Case, name: str, count: int, *, training: bool):
    """funcnet's output and new state from the same start."""
    config = {k: v for k, v in case.config.items() if k != "training"}
    layer = getattr(funcnet, name)(**config)
    x = case.arrays[0]
    state = batch_norm_state(layer, x.shape, *case.data)
    state["num_batches_tracked"] = jnp.asarray(count, state["num_batches_tracked"].dtype)
    params = {"weight": case.arrays[1], "bias": case.arrays[2]} if case.config["affine"] else {}
    return state, layer.apply_with_state(params, state, x, training=training)


def _tolerances(case: Case, dtype: str) -> dict[str, float]:
    """Absolute tolerances: rtol times the running value plus the batch's terms."""
    op = OPERATORS["BatchNorm1d"]
    rtol = op.rtol64 if dtype == "float64" else op.rtol32
    x = case.arrays[0].astype(np.float64)
    count = x.size // x.shape[1]
    mean, variance = (np.abs(a.astype(np.float64)).max() for a in case.data)
    terms = np.abs(x).max(initial=0.0)
    deviations = terms**2 * count / max(count - 1, 1)
    return {
        "running_mean": rtol * max(mean, terms),
        "running_var": rtol * max(variance, deviations),
    }


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_running_statistics_match_pytorch(name, dtype, data):
    case = data.draw(
        batch_norm_case(dtype, name=name, modes=("training",)).filter(
            lambda c: c.arrays[0].size > 0  # an empty batch: the test below
        ),
        label="case",
    )
    count = data.draw(st.sampled_from(COUNTS), label="batches seen")
    _, (_, state) = _funcnet_step(case, name, count, training=True)
    module = _torch_module(case, name, count).train()
    module(torch.from_numpy(case.arrays[0]))
    atol = _tolerances(case, dtype)
    for key in ("running_mean", "running_var"):
        expected = getattr(module, key).numpy()
        np.testing.assert_allclose(
            np.asarray(state[key]), expected, rtol=0, atol=atol[key], strict=True, err_msg=key
        )
    assert int(state["num_batches_tracked"]) == int(module.num_batches_tracked) == count + 1


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name", NAMES)
@given(data=st.data())
def test_evaluation_leaves_the_state_unchanged(name, dtype, data):
    case = data.draw(batch_norm_case(dtype, name=name, modes=("evaluation",)), label="case")
    state, (_, new_state) = _funcnet_step(case, name, 3, training=False)
    module = _torch_module(case, name, 3).eval()
    module(torch.from_numpy(case.arrays[0]))
    for key, value in state.items():
        np.testing.assert_array_equal(np.asarray(new_state[key]), np.asarray(value), strict=True)
        np.testing.assert_array_equal(getattr(module, key).numpy(), np.asarray(value))


@pytest.mark.parametrize("name", NAMES)
def test_an_empty_batch_leaves_the_running_statistics_unchanged(name):
    """PyTorch returns early for an input with no elements: the output is empty, the
    running mean and variance stay as they were, and only num_batches_tracked counts
    the batch."""
    shape = (0, 3) if name == "BatchNorm1d" else (0, 3, 2, 2)
    case = Case(
        (np.zeros(shape), np.ones(3), np.zeros(3)),
        (np.array([0.5, -1.0, 2.0]), np.array([1.5, 0.25, 4.0])),
        config={"num_features": 3, "eps": 1e-5, "momentum": 0.1, "affine": True},
    )
    _, (y, state) = _funcnet_step(case, name, 0, training=True)
    module = _torch_module(case, name, 0).train()
    expected = module(torch.from_numpy(case.arrays[0]))
    assert y.shape == tuple(expected.shape) == shape
    assert int(state["num_batches_tracked"]) == int(module.num_batches_tracked) == 1
    np.testing.assert_array_equal(module.running_mean.numpy(), case.data[0])
    np.testing.assert_array_equal(module.running_var.numpy(), case.data[1])
    np.testing.assert_array_equal(np.asarray(state["running_mean"]), case.data[0])
    np.testing.assert_array_equal(np.asarray(state["running_var"]), case.data[1])

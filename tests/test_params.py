"""Parameters by name: PyTorch's names, state dicts both ways, strict loading, summary."""

import dataclasses

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import funcnet


def lesson_models():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(10, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 8)
    ).double()
    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8))
    return reference, model, model.init(jax.random.key(0), (4, 10))


def test_names_match_pytorch():
    reference, _, params = lesson_models()
    ours = {name: p.shape for name, p in funcnet.named_parameters(params)}
    theirs = {name: tuple(p.shape) for name, p in reference.named_parameters()}
    assert ours == theirs
    assert set(funcnet.state_dict(params)) == set(reference.state_dict())


def test_gradients_by_name_match_pytorch_backward():
    reference, model, params = lesson_models()
    params = funcnet.load_state_dict(params, reference.state_dict())
    x = np.random.default_rng(0).random((4, 10))
    y = np.array([1, 7, 0, 3])
    loss = torch.nn.CrossEntropyLoss()(reference(torch.tensor(x)), torch.tensor(y))
    loss.backward()
    grads = jax.grad(lambda p: funcnet.cross_entropy(model(p, x), jnp.asarray(y)))(params)
    expected = {name: p.grad.numpy() for name, p in reference.named_parameters()}
    for name, grad in funcnet.named_parameters(grads):
        np.testing.assert_allclose(grad, expected[name], rtol=1e-10, atol=1e-14)


def test_state_dict_round_trip_into_pytorch():
    reference, model, params = lesson_models()
    reference.load_state_dict({k: torch.tensor(v) for k, v in funcnet.state_dict(params).items()})
    x = np.random.default_rng(1).random((3, 10))
    np.testing.assert_allclose(model(params, x), reference(torch.tensor(x)).detach(), rtol=1e-12)


def test_load_state_dict_accepts_numpy_jax_and_torch_and_casts_dtype():
    layer = funcnet.Linear(3, 2, dtype=jnp.float32)
    like = layer.init(jax.random.key(0), (1, 3))
    weight = np.arange(6.0).reshape(2, 3)
    for source in (weight, jnp.asarray(weight), torch.tensor(weight)):
        loaded = funcnet.load_state_dict(like, {"weight": source, "bias": np.zeros(2)})
        assert loaded["weight"].dtype == jnp.float32
        np.testing.assert_array_equal(loaded["weight"], weight)
    # The input is not mutated.
    assert not np.array_equal(like["weight"], weight)


def test_strict_loading_reports_every_problem_in_pytorch_words():
    _, _, params = lesson_models()
    state = funcnet.state_dict(params)
    del state["0.bias"]
    state["3.weight"] = np.zeros(1)
    state["2.weight"] = np.zeros((8, 4))
    with pytest.raises(funcnet.StateDictError) as info:
        funcnet.load_state_dict(params, state)
    message = str(info.value)
    assert message.startswith("Error(s) in loading state_dict:")
    assert 'Missing key(s) in state_dict: "0.bias"' in message
    assert 'Unexpected key(s) in state_dict: "3.weight"' in message
    assert (
        "size mismatch for 2.weight: copying a param with shape torch.Size([8, 4]) from "
        "checkpoint, the shape in current model is torch.Size([8, 5])."
    ) in message
    assert isinstance(info.value, ValueError)


def test_non_strict_loading_keeps_missing_and_ignores_unexpected():
    _, _, params = lesson_models()
    state = {"0.weight": np.ones((5, 10)), "extra": np.zeros(3)}
    loaded = funcnet.load_state_dict(params, state, strict=False)
    np.testing.assert_array_equal(loaded[0]["weight"], np.ones((5, 10)))
    np.testing.assert_array_equal(loaded[0]["bias"], params[0]["bias"])
    with pytest.raises(funcnet.StateDictError, match=r"size mismatch for 0\.weight"):
        funcnet.load_state_dict(params, {"0.weight": np.ones((5, 9))}, strict=False)


def test_non_strict_loading_refuses_to_load_nothing():
    _, _, params = lesson_models()
    renamed = {f"fc.{name}": value for name, value in funcnet.state_dict(params).items()}
    with pytest.raises(funcnet.StateDictError, match="nothing would be loaded"):
        funcnet.load_state_dict(params, renamed, strict=False)
    with pytest.raises(funcnet.StateDictError, match="the state_dict is empty"):
        funcnet.load_state_dict(params, {}, strict=False)
    # A model without parameters has nothing to match: an empty state dict loads.
    assert funcnet.load_state_dict((), {}, strict=False) == ()


def test_load_report_counts_what_was_loaded():
    _, _, params = lesson_models()
    state = {"0.weight": np.ones((5, 10)), "head.weight": np.zeros(3)}
    loaded, report = funcnet.load_state_dict(params, state, strict=False, return_report=True)
    np.testing.assert_array_equal(loaded[0]["weight"], np.ones((5, 10)))
    assert report == funcnet.params.LoadReport(
        matched=("0.weight",),
        missing_keys=("0.bias", "2.bias", "2.weight"),
        unexpected_keys=("head.weight",),
    )
    assert str(report) == (
        "loaded 1 of 4 parameters; missing: 0.bias, 2.bias, 2.weight; unexpected: head.weight"
    )
    full, report = funcnet.load_state_dict(params, funcnet.state_dict(params), return_report=True)
    assert str(report) == "loaded 4 of 4 parameters"
    assert jax.tree_util.tree_structure(full) == jax.tree_util.tree_structure(params)


def test_load_state_dict_rejects_non_mappings():
    with pytest.raises(TypeError, match="mapping of name -> array"):
        funcnet.load_state_dict({}, [("a", 1)])


def test_count_parameters_matches_pytorch():
    reference, _, params = lesson_models()
    assert funcnet.count_parameters(params) == sum(p.numel() for p in reference.parameters())
    assert funcnet.count_parameters(params) == 10 * 5 + 5 + 5 * 8 + 8


def test_summary_answers_the_in_features_question():
    model = funcnet.Sequential(
        funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
    )
    table = funcnet.summary(model, (4, 10))
    assert [row[2] for row in table.rows] == [(4, 5), (4, 5), (4, 8), (4, 8)]
    assert [row[3] for row in table.rows] == [55, 0, 48, 0]
    assert table.total_parameters == 103
    text = str(table)
    assert "total parameters: 103" in text
    assert "Sigmoid()" in text and "(4, 5)" in text


def test_summary_of_nested_model_and_broken_chain():
    model = funcnet.Sequential(
        funcnet.Flatten(), funcnet.Sequential(funcnet.Linear(12, 3), funcnet.ReLU())
    )
    table = funcnet.summary(model, (2, 3, 4))
    assert [row[0] for row in table.rows] == ["0", "1.0", "1.1"]
    with pytest.raises(funcnet.ShapeError, match=r"layer 1\.0"):
        funcnet.summary(model, (2, 3, 5))


def test_summary_computes_nothing():
    model = funcnet.Sequential(funcnet.Linear(4096, 4096), funcnet.ReLU())
    # eval_shape only: a (4096, 4096) float64 weight is never allocated, so this is cheap.
    assert funcnet.summary(model, (1, 4096)).total_parameters == 4096 * 4096 + 4096


def test_load_state_dict_into_an_abstract_structure():
    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8))
    abstract = jax.eval_shape(lambda key: model.init(key, (4, 10)), jax.random.key(0))
    _, _, params = lesson_models()
    loaded = funcnet.load_state_dict(abstract, funcnet.state_dict(params))
    for a, b in zip(
        jax.tree_util.tree_leaves(loaded), jax.tree_util.tree_leaves(params), strict=True
    ):
        np.testing.assert_array_equal(a, b)


# --- buffers: a model's state under PyTorch's names ----------------------------------


def batch_norm_models(seed=0):
    """A torch model with batch norm, trained for two steps, and the same funcnet model."""
    torch.manual_seed(seed)
    reference = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()
    x = torch.tensor(np.random.default_rng(seed).normal(size=(8, 5)))
    for _ in range(2):  # moves the running statistics away from their initial values
        reference(x)
    model = funcnet.Sequential(
        funcnet.Linear(5, 4), funcnet.BatchNorm1d(4), funcnet.ReLU(), funcnet.Linear(4, 2)
    )
    return reference, model, model.init(jax.random.key(1), (8, 5)), model.initial_state((8, 5))


def test_buffers_are_named_and_shaped_like_pytorch():
    reference, _, params, state = batch_norm_models()
    ours = {name: b.shape for name, b in funcnet.named_buffers(state)}
    assert ours == {name: tuple(b.shape) for name, b in reference.named_buffers()}
    names = list(funcnet.state_dict(params, state))
    assert set(names) == set(reference.state_dict())
    # PyTorch's order layer by layer, a layer's parameters before its buffers.
    assert [name.split(".")[0] for name in names] == ["0"] * 2 + ["1"] * 5 + ["3"] * 2
    assert names[2:4] == ["1.bias", "1.weight"]
    assert set(names[4:7]) == {"1.running_mean", "1.running_var", "1.num_batches_tracked"}


def test_torch_batch_norm_state_dict_loads_and_runs_the_same_in_both_modes():
    reference, model, like, state_like = batch_norm_models()
    params, state = funcnet.load_state_dict(like, reference.state_dict(), state_like=state_like)
    assert int(state[1]["num_batches_tracked"]) == 2
    assert state[1]["num_batches_tracked"].dtype == state_like[1]["num_batches_tracked"].dtype
    x = np.random.default_rng(5).normal(size=(6, 5))
    reference.eval()
    y, _ = model.apply_with_state(params, state, x)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach(), rtol=1e-12)
    reference.train()
    y, state = model.apply_with_state(params, state, x, training=True)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach(), rtol=1e-12)
    for name, buffer in funcnet.named_buffers(state):
        np.testing.assert_allclose(buffer, reference.state_dict()[name].numpy(), rtol=1e-12)


def test_torch_int64_count_is_cast_to_the_state_dtype():
    reference, _, like, state_like = batch_norm_models()
    assert reference.state_dict()["1.num_batches_tracked"].dtype == torch.int64
    abstract = jax.tree_util.tree_map(
        lambda leaf: jax.ShapeDtypeStruct(leaf.shape, jnp.int32 if leaf.ndim == 0 else leaf.dtype),
        state_like,
    )
    _, state = funcnet.load_state_dict(like, reference.state_dict(), state_like=abstract)
    assert state[1]["num_batches_tracked"].dtype == jnp.int32
    assert int(state[1]["num_batches_tracked"]) == 2


def test_params_and_state_round_trip_through_state_dict_and_into_pytorch():
    reference, model, params, state = batch_norm_models()
    x = np.random.default_rng(3).normal(size=(8, 5))
    _, state = model.apply_with_state(params, state, x, training=True)
    _, _, other, other_state = batch_norm_models(seed=1)
    sd = funcnet.state_dict(params, state)
    loaded, loaded_state = funcnet.load_state_dict(other, sd, state_like=other_state)
    for a, b in zip(
        jax.tree_util.tree_leaves((loaded, loaded_state)),
        jax.tree_util.tree_leaves((params, state)),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b, strict=True)
    reference.load_state_dict({name: torch.tensor(value) for name, value in sd.items()})
    reference.eval()
    y, _ = model.apply_with_state(params, state, x)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach(), rtol=1e-12)


def test_buffers_without_state_like_say_how_to_load_them():
    reference, _, like, _ = batch_norm_models()
    with pytest.raises(funcnet.StateDictError) as info:
        funcnet.load_state_dict(like, reference.state_dict())
    message = str(info.value)
    assert message.startswith(
        "Error(s) in loading state_dict:\n\tUnexpected key(s) in state_dict:"
    )
    assert '"1.running_mean", "1.running_var", "1.num_batches_tracked"' in message
    assert "are buffers (running statistics), not parameters: pass " in message
    assert "state_like=model.initial_state(input_shape)" in message
    # Not strict: the parameters load and the buffers are reported as ignored.
    params, report = funcnet.load_state_dict(
        like, reference.state_dict(), strict=False, return_report=True
    )
    np.testing.assert_array_equal(params[1]["weight"], reference[1].weight.detach().numpy())
    assert report.unexpected_keys == (
        "1.running_mean",
        "1.running_var",
        "1.num_batches_tracked",
    )
    assert str(report).startswith("loaded 6 of 6 parameters; unexpected: 1.running_mean")


def test_state_like_without_buffers_in_the_state_dict_reports_them_missing():
    reference, _, like, state_like = batch_norm_models()
    params_only = {name: p for name, p in reference.named_parameters()}
    with pytest.raises(funcnet.StateDictError, match=r'Missing key\(s\) in state_dict: "1\.num'):
        funcnet.load_state_dict(like, params_only, state_like=state_like)
    _, state, report = funcnet.load_state_dict(
        like, params_only, state_like=state_like, strict=False, return_report=True
    )
    assert str(report) == (
        "loaded 6 of 9 parameters and buffers; missing: 1.num_batches_tracked, "
        "1.running_mean, 1.running_var"
    )
    assert report.buffers == ("1.num_batches_tracked", "1.running_mean", "1.running_var")
    np.testing.assert_array_equal(state[1]["running_var"], state_like[1]["running_var"])
    full = funcnet.load_state_dict(
        like, reference.state_dict(), state_like=state_like, return_report=True
    )
    assert str(full[2]) == "loaded 9 of 9 parameters and buffers"


def test_a_size_mismatch_in_a_buffer_is_named():
    reference, _, like, state_like = batch_norm_models()
    sd = {**reference.state_dict(), "1.running_var": torch.ones(5)}
    with pytest.raises(
        funcnet.StateDictError,
        match=r"size mismatch for 1\.running_var: copying a param with shape "
        r"torch\.Size\(\[5\]\) from checkpoint, the shape in current model is "
        r"torch\.Size\(\[4\]\)\.",
    ):
        funcnet.load_state_dict(like, sd, state_like=state_like)


def test_a_name_shared_by_a_parameter_and_a_buffer_is_refused():
    params, state = {"scale": np.ones(2)}, {"scale": np.zeros(2)}
    with pytest.raises(ValueError, match="state_dict: two leaves share the name 'scale'"):
        funcnet.state_dict(params, state)
    with pytest.raises(ValueError, match="load_state_dict: two leaves share the name 'scale'"):
        funcnet.load_state_dict(params, {"scale": np.ones(2)}, state_like=state)


# --- summary of any combinator ----------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Residual(funcnet.Layer):
    """`x + body(x)`: a combinator that is not a Sequential, with params under "body"."""

    body: funcnet.Layer

    @property
    def stateful(self):
        return self.body.stateful

    def _output_shape(self, input_shape):
        return self.body.output_shape(input_shape)

    def _sublayers(self, input_shape):
        return (("body", self.body, input_shape),)

    def _init(self, key, input_shape):
        return {"body": self.body.init(key, input_shape)}

    def _initial_state(self, input_shape):
        return {"body": self.body.initial_state(input_shape)}

    def _apply_with_state(self, params, state, x, *, key, training):
        y, body = self.body.apply_with_state(params["body"], state["body"], x, training=training)
        return x + y, {"body": body}


def test_summary_walks_any_combinator_and_counts_buffers():
    inner = funcnet.Sequential(funcnet.Linear(4, 4), funcnet.BatchNorm1d(4))
    model = funcnet.Sequential(funcnet.Linear(6, 4), Residual(inner), funcnet.ReLU())
    table = funcnet.summary(model, (8, 6))
    assert [row[0] for row in table.rows] == ["0", "1.body.0", "1.body.1", "2"]
    assert [row[3] for row in table.rows] == [28, 20, 8, 0]
    assert [row[4] for row in table.rows] == [0, 0, 9, 0]
    assert (table.total_parameters, table.total_buffers) == (56, 9)
    # The rows are named as the state dict names the layers' entries.
    params, state = model.init(jax.random.key(0), (8, 6)), model.initial_state((8, 6))
    layers = {name.rsplit(".", 1)[0] for name in funcnet.state_dict(params, state)}
    assert layers == {"0", "1.body.0", "1.body.1"}
    lines = str(table).splitlines()
    assert lines[0].split() == ["#", "layer", "output", "shape", "params", "buffers"]
    assert lines[-2:] == ["total parameters: 56", "total buffers: 9"]
    assert lines[5].startswith("1.body.1  BatchNorm1d(4, eps=1e-05") and lines[5].endswith(" 9")


def test_summary_buffer_count_matches_pytorch():
    reference, model, _, _ = batch_norm_models()
    table = funcnet.summary(model, (8, 5))
    assert table.total_buffers == sum(b.numel() for b in reference.buffers())
    assert table.total_parameters == sum(p.numel() for p in reference.parameters())


def test_summary_of_a_stateless_model_keeps_four_columns():
    model = funcnet.Sequential(funcnet.Linear(3, 2), funcnet.ReLU())
    text = str(funcnet.summary(model, (1, 3)))
    assert "buffers" not in text
    assert text.splitlines()[0].split() == ["#", "layer", "output", "shape", "params"]

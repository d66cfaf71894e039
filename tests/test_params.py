"""Parameters by name: PyTorch's names, state dicts both ways, strict loading, summary."""

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

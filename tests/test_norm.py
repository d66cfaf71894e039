"""BatchNorm, LayerNorm and Embedding against PyTorch: values, gradients and state updates."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import funcnet

jax.config.update("jax_enable_x64", True)


def _params_from(module: torch.nn.Module) -> dict:
    return {name: jnp.asarray(value.detach().numpy()) for name, value in module.named_parameters()}


def _state_from(module: torch.nn.Module) -> dict:
    return {name: jnp.asarray(value.numpy()) for name, value in module.named_buffers()}


def _assert_state_matches(state: dict, module: torch.nn.Module) -> None:
    buffers = dict(module.named_buffers())
    assert sorted(state) == sorted(buffers)
    for name, value in state.items():
        np.testing.assert_allclose(value, buffers[name].numpy(), rtol=1e-12, atol=1e-12)


BATCH_NORMS = [
    (funcnet.BatchNorm1d(4), torch.nn.BatchNorm1d(4).double(), (6, 4)),
    (funcnet.BatchNorm1d(3), torch.nn.BatchNorm1d(3).double(), (5, 3, 7)),
    (
        funcnet.BatchNorm1d(3, momentum=None, eps=1e-3),
        torch.nn.BatchNorm1d(3, momentum=None, eps=1e-3).double(),
        (5, 3),
    ),
    (
        funcnet.BatchNorm2d(2, affine=False),
        torch.nn.BatchNorm2d(2, affine=False).double(),
        (3, 2, 4, 5),
    ),
    (
        funcnet.BatchNorm2d(3, momentum=0.3),
        torch.nn.BatchNorm2d(3, momentum=0.3).double(),
        (2, 3, 3, 3),
    ),
]


@pytest.mark.parametrize(("layer", "reference", "shape"), BATCH_NORMS, ids=repr)
def test_batch_norm_matches_pytorch_over_several_steps_then_in_evaluation(layer, reference, shape):
    rng = np.random.default_rng(0)
    params = layer.init(jax.random.key(0), shape)
    if layer.affine:  # non-trivial affine parameters, the same on both sides
        params = {name: jnp.asarray(rng.normal(size=p.shape)) for name, p in params.items()}
        reference.load_state_dict(
            {name: torch.tensor(np.asarray(p)) for name, p in params.items()}, strict=False
        )
    state = layer.initial_state(shape)
    _assert_state_matches(state, reference)
    reference.train()
    for step in range(3):
        x = rng.normal(loc=step, scale=1 + step, size=shape)
        t_x = torch.tensor(x, requires_grad=True)
        t_y = reference(t_x)
        cotangent = rng.normal(size=shape)
        (t_y * torch.tensor(cotangent)).sum().backward()

        def loss(p, v, s=state, c=cotangent):
            y, _ = layer.apply_with_state(p, s, v, training=True)
            return jnp.sum(y * c), y

        (_, y), (p_grad, x_grad) = jax.value_and_grad(loss, argnums=(0, 1), has_aux=True)(
            params, jnp.asarray(x)
        )
        _, state = layer.apply_with_state(params, state, x, training=True)
        np.testing.assert_allclose(y, t_y.detach().numpy(), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(x_grad, t_x.grad.numpy(), rtol=1e-9, atol=1e-12)
        for name, grad in p_grad.items():
            torch_grad = dict(reference.named_parameters())[name].grad
            np.testing.assert_allclose(grad, torch_grad.numpy(), rtol=1e-9, atol=1e-12)
            torch_grad.zero_()
        _assert_state_matches(state, reference)
    reference.eval()
    x = rng.normal(size=shape)
    y, same = layer.apply_with_state(params, state, x)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    assert same is state


def test_batch_norm_without_running_stats_uses_the_batch_in_both_modes():
    layer = funcnet.BatchNorm1d(3, track_running_stats=False)
    reference = torch.nn.BatchNorm1d(3, track_running_stats=False).double().eval()
    assert not layer.stateful and layer.initial_state((4, 3)) == {}
    x = np.random.default_rng(1).normal(size=(4, 3))
    params = layer.init(jax.random.key(0), (4, 3))
    np.testing.assert_allclose(
        layer(params, x), reference(torch.tensor(x)).detach().numpy(), rtol=1e-12
    )


def test_a_torch_batch_norm_model_runs_the_same_in_training_and_evaluation():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(5, 4), torch.nn.BatchNorm1d(4), torch.nn.ReLU(), torch.nn.Linear(4, 2)
    ).double()
    model = funcnet.Sequential(
        funcnet.Linear(5, 4), funcnet.BatchNorm1d(4), funcnet.ReLU(), funcnet.Linear(4, 2)
    )
    params = tuple(
        _params_from(module) if list(module.parameters()) else {} for module in reference
    )
    state = tuple(_state_from(module) for module in reference)
    x = np.random.default_rng(2).normal(size=(8, 5))
    for _ in range(2):
        y, state = model.apply_with_state(params, state, x, training=True)
        np.testing.assert_allclose(y, reference(torch.tensor(x)).detach().numpy(), rtol=1e-10)
    _assert_state_matches(state[1], reference[1])
    reference.eval()
    y, _ = model.apply_with_state(params, state, x)
    np.testing.assert_allclose(y, reference(torch.tensor(x)).detach().numpy(), rtol=1e-10)


@pytest.mark.parametrize(
    ("layer", "reference", "shape"),
    [
        (funcnet.LayerNorm(5), torch.nn.LayerNorm(5).double(), (3, 5)),
        (
            funcnet.LayerNorm((3, 4), eps=1e-3),
            torch.nn.LayerNorm((3, 4), eps=1e-3).double(),
            (2, 3, 4),
        ),
        (
            funcnet.LayerNorm(4, elementwise_affine=False),
            torch.nn.LayerNorm(4, elementwise_affine=False).double(),
            (2, 3, 4),
        ),
        (funcnet.LayerNorm(4, bias=False), torch.nn.LayerNorm(4, bias=False).double(), (6, 4)),
    ],
    ids=repr,
)
def test_layer_norm_matches_pytorch_values_and_gradients(layer, reference, shape):
    rng = np.random.default_rng(3)
    with torch.no_grad():
        for parameter in reference.parameters():
            parameter.copy_(torch.tensor(rng.normal(size=tuple(parameter.shape))))
    params = _params_from(reference)
    assert jax.tree_util.tree_structure(params) == jax.tree_util.tree_structure(
        layer.init(jax.random.key(0), shape)
    )
    x, cotangent = rng.normal(size=shape), rng.normal(size=shape)
    t_x = torch.tensor(x, requires_grad=True)
    t_y = reference(t_x)
    (t_y * torch.tensor(cotangent)).sum().backward()
    y = layer(params, x)
    p_grad, x_grad = jax.grad(lambda p, v: jnp.sum(layer(p, v) * cotangent), argnums=(0, 1))(
        params, jnp.asarray(x)
    )
    np.testing.assert_allclose(y, t_y.detach().numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(x_grad, t_x.grad.numpy(), rtol=1e-9, atol=1e-12)
    for name, parameter in reference.named_parameters():
        np.testing.assert_allclose(p_grad[name], parameter.grad.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding_matches_pytorch_values_and_gradients(padding_idx):
    reference = torch.nn.Embedding(6, 3, padding_idx=padding_idx).double()
    layer = funcnet.Embedding(6, 3, padding_idx=padding_idx)
    params = _params_from(reference)
    indices = np.array([[0, 2, 5, 2], [1, 1, 3, 5]])
    cotangent = np.random.default_rng(4).normal(size=(2, 4, 3))
    t_y = reference(torch.tensor(indices))
    (t_y * torch.tensor(cotangent)).sum().backward()
    y = layer(params, indices)
    grad = jax.grad(lambda p: jnp.sum(layer(p, indices) * cotangent))(params)
    np.testing.assert_allclose(y, t_y.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(grad["weight"], reference.weight.grad.numpy(), rtol=1e-12)
    if padding_idx is not None:
        fresh = layer.init(jax.random.key(0), (2, 4))["weight"]
        np.testing.assert_array_equal(fresh[padding_idx], np.zeros(3))
        np.testing.assert_array_equal(grad["weight"][padding_idx], np.zeros(3))


def test_embedding_refuses_an_index_out_of_range_eagerly_and_in_checked_mode():
    layer = funcnet.Embedding(5, 2)
    params = layer.init(jax.random.key(0), (3,))
    with pytest.raises(ValueError, match=r"index 5 is out of range: indices must lie in \[0, 5\)"):
        layer(params, jnp.array([0, 5, 1]))
    with pytest.raises(ValueError, match=r"index -1 is out of range"):
        funcnet.checked(layer.apply)(params, jnp.array([0, -1, 1]))
    # Under plain jit the row is nan, never a silently clamped row.
    rows = jax.jit(layer.apply)(params, jnp.array([0, 7]))
    assert not np.isnan(rows[0]).any() and np.isnan(rows[1]).all()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: funcnet.BatchNorm1d(0), ValueError, "num_features must be a positive int"),
        (
            lambda: funcnet.BatchNorm1d(3, momentum=2),
            ValueError,
            r"momentum must be None or a number in \[0, 1\], got 2",
        ),
        (lambda: funcnet.BatchNorm2d(3, eps=0), ValueError, "eps must be a positive number"),
        (lambda: funcnet.BatchNorm2d(3, affine=1), TypeError, "affine must be True or False"),
        (
            lambda: funcnet.BatchNorm1d(3).output_shape((2, 3, 4, 5)),
            funcnet.ShapeError,
            r"expected 2D or 3D input \(got 4D input\)",
        ),
        (
            lambda: funcnet.BatchNorm2d(3).output_shape((2, 4, 5, 5)),
            funcnet.ShapeError,
            "running_mean should contain 4 elements not 3",
        ),
        (lambda: funcnet.LayerNorm(0), ValueError, "normalized_shape must be a positive int"),
        (lambda: funcnet.LayerNorm((3, 0)), ValueError, "normalized_shape must be positive sizes"),
        (lambda: funcnet.LayerNorm("5"), TypeError, "normalized_shape must be a positive int"),
        (
            lambda: funcnet.LayerNorm(5).output_shape((4, 3)),
            funcnet.ShapeError,
            r"Given normalized_shape=\[5\], expected input with shape \[\*, 5\], but got "
            r"input of size\[4, 3\]",
        ),
        (lambda: funcnet.Embedding(5, 0), ValueError, "embedding_dim must be a positive int"),
        (lambda: funcnet.Embedding(5, 2, padding_idx=5), ValueError, "padding_idx must be"),
        (
            lambda: funcnet.Embedding(5, 2)({"weight": jnp.ones((5, 2))}, jnp.ones(3)),
            TypeError,
            "expects integer indices, got dtype float",
        ),
    ],
)
def test_bad_arguments_and_inputs(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_batch_norm_refuses_one_value_per_channel_in_training_only():
    layer = funcnet.BatchNorm1d(3)
    params, state = layer.init(jax.random.key(0), (1, 3)), layer.initial_state((1, 3))
    with pytest.raises(ValueError, match="Expected more than 1 value per channel when training"):
        layer.apply_with_state(params, state, jnp.ones((1, 3)), training=True)
    y, _ = layer.apply_with_state(params, state, jnp.ones((1, 3)))
    np.testing.assert_allclose(y, jnp.ones((1, 3)) / np.sqrt(1 + 1e-5))


def test_a_model_with_state_refuses_apply_and_says_how_to_call_it():
    model = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.BatchNorm1d(4))
    params = model.init(jax.random.key(0), (2, 3))
    with pytest.raises(TypeError, match=r"y, state = model.apply_with_state\(params, state, x"):
        model(params, jnp.ones((2, 3)))


def test_state_of_the_wrong_shape_or_structure_is_refused_naming_the_layer():
    model = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.BatchNorm1d(4))
    params = model.init(jax.random.key(0), (2, 3))
    with pytest.raises(ValueError, match="needs state with one entry per layer"):
        model.apply_with_state(params, {}, jnp.ones((2, 3)))
    wrong = funcnet.Sequential(funcnet.Linear(3, 5), funcnet.BatchNorm1d(5)).initial_state((2, 3))
    with pytest.raises(funcnet.ShapeError, match=r"expected running_mean of shape \(4,\)"):
        model.apply_with_state(params, wrong, jnp.ones((2, 3)))

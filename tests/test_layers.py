"""Layers: the shared protocol check, Linear against PyTorch, Sequential, and errors."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import torch

import funcnet
import funcnet.models

# Every public layer with an input shape it accepts; new layers join this list.
LAYERS = [
    (funcnet.Linear(10, 5), (4, 10)),
    (funcnet.Linear(10, 5, bias=False), (2, 3, 10)),
    (funcnet.Linear(out_features=3), (4, 7)),
    (funcnet.Sigmoid(), (4, 5)),
    (funcnet.Tanh(), (4, 5)),
    (funcnet.ReLU(), (3,)),
    (funcnet.LeakyReLU(0.2), (4, 5)),
    (funcnet.Softmax(), (4, 8)),
    (funcnet.Softmax(dim=0), (4, 8)),
    (funcnet.LogSoftmax(), (4, 8)),
    (funcnet.GELU(), (4, 5)),
    (funcnet.GELU("tanh"), (4, 5)),
    (funcnet.ELU(), (4, 5)),
    (funcnet.Softplus(), (4, 5)),
    (funcnet.SiLU(), (4, 5)),
    (funcnet.Identity(), (4, 5)),
    (funcnet.Flatten(), (2, 3, 4)),
    (funcnet.Flatten(0, 1), (2, 3, 4)),
    (funcnet.Conv2d(3, 4, 3), (2, 3, 6, 6)),
    (funcnet.Conv2d(4, 4, 3, stride=2, padding=1, groups=2, bias=False), (4, 7, 7)),
    (funcnet.MaxPool2d(2), (2, 3, 6, 6)),
    (funcnet.AvgPool2d(3, stride=1, padding=1), (2, 3, 5, 5)),
    (funcnet.MaxUnpool2d(2), (2, 3, 3, 3)),
    (funcnet.MaxUnpool2d(3, stride=2, padding=1), (3, 2, 2)),
    (funcnet.Dropout(0.3), (4, 5)),
    (funcnet.BatchNorm1d(5), (4, 5)),
    (funcnet.BatchNorm1d(3, momentum=None, affine=False), (4, 3, 6)),
    (funcnet.BatchNorm1d(3, track_running_stats=False), (4, 3)),
    (funcnet.BatchNorm2d(3), (2, 3, 4, 4)),
    (funcnet.LayerNorm(5), (4, 5)),
    (funcnet.LayerNorm((3, 4), elementwise_affine=False), (2, 3, 4)),
    (funcnet.LayerNorm(4, bias=False), (2, 4)),
    (funcnet.Embedding(10, 3), (4, 6)),
    (funcnet.Embedding(10, 3, padding_idx=-1), (5,)),
    (
        funcnet.Sequential(
            funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
        ),
        (4, 10),
    ),
    (
        funcnet.Sequential(
            funcnet.Flatten(), funcnet.Sequential(funcnet.Linear(12, 6), funcnet.ReLU())
        ),
        (2, 3, 4),
    ),
    (funcnet.models.digits_cnn(), (3, 1, 8, 8)),
    (funcnet.models.digits_cnn(batch_norm=True), (3, 1, 8, 8)),
]
LAYER_IDS = [" ".join(repr(layer).split()) for layer, _ in LAYERS]


def _example(layer, shape, key):
    """An input `layer` accepts: indices for an embedding, the `(values, indices)` pair of
    max pooling for unpooling, normal floats otherwise."""
    if isinstance(layer, funcnet.Embedding):
        return jax.random.randint(key, shape, 0, layer.num_embeddings)
    if isinstance(layer, funcnet.MaxUnpool2d):
        pool = funcnet.MaxPool2d(
            layer.kernel_size, layer.stride, layer.padding, return_indices=True
        )
        return pool({}, jax.random.normal(key, layer.output_shape(shape)))
    return jax.random.normal(key, shape)


def _another(layer, x):
    """A second input of the same kind as `x`."""
    if isinstance(layer, funcnet.Embedding):
        return (x + 1) % layer.num_embeddings
    if isinstance(layer, funcnet.MaxUnpool2d):
        return (2 * x[0], x[1])
    return 2 * x


def _floating(x) -> bool:
    return not isinstance(x, tuple) and jnp.issubdtype(x.dtype, jnp.floating)


def _forward(layer, state):
    """`apply` for a model without state; evaluation with `state` for one with state."""
    if not layer.stateful:
        return layer.apply
    return lambda params, x: layer.apply_with_state(params, state, x)[0]


@pytest.mark.parametrize(("layer", "shape"), LAYERS, ids=LAYER_IDS)
def test_shared_layer_protocol(layer, shape):
    params = layer.init(jax.random.key(0), shape)
    state = layer.initial_state(shape)
    forward = _forward(layer, state)
    x = _example(layer, shape, jax.random.key(1))
    promised = layer.output_shape(shape)
    y = forward(params, x)
    assert y.shape == promised
    assert jax.eval_shape(forward, params, x).shape == promised
    if not layer.stateful:
        assert layer(params, x).shape == promised  # callable form
    # jit gives the same numbers.
    np.testing.assert_allclose(jax.jit(forward)(params, x), y, rtol=1e-12, atol=1e-12)
    # grad reaches every parameter and (for float inputs) the input.
    argnums = (0, 1) if _floating(x) else (0,)
    grads = jax.grad(lambda p, v: jnp.sum(jnp.sin(forward(p, v))), argnums=argnums)(params, x)
    assert jax.tree_util.tree_structure(grads[0]) == jax.tree_util.tree_structure(params)
    assert argnums == (0,) or grads[1].shape == x.shape
    # vmap over an extra leading axis of inputs.
    other = _another(layer, x)
    xs = jax.tree_util.tree_map(lambda *inputs: jnp.stack(inputs), x, other)
    np.testing.assert_allclose(
        jax.vmap(forward, in_axes=(None, 0))(params, xs)[1], forward(params, other), rtol=1e-12
    )
    # vmap over a batch of params (an ensemble), one input.
    stacked = jax.vmap(lambda k: layer.init(k, shape))(jax.random.split(jax.random.key(2), 3))
    ensemble = jax.vmap(forward, in_axes=(0, None), axis_size=3)(stacked, x)
    assert ensemble.shape == (3, *promised)
    first = jax.tree_util.tree_map(lambda leaf: leaf[0], stacked)
    np.testing.assert_allclose(ensemble[0], forward(first, x), rtol=1e-12)


@pytest.mark.parametrize(("layer", "shape"), LAYERS, ids=LAYER_IDS)
def test_shared_state_protocol(layer, shape):
    """Training returns a state of the same structure, shapes and dtypes; jit agrees."""
    params = layer.init(jax.random.key(0), shape)
    state = layer.initial_state(shape)
    x = _example(layer, shape, jax.random.key(1))
    key = jax.random.key(3)

    def train(p, s, v):
        return layer.apply_with_state(p, s, v, key=key, training=True)

    y, new_state = train(params, state, x)
    assert y.shape == layer.output_shape(shape)
    assert jax.tree_util.tree_structure(new_state) == jax.tree_util.tree_structure(state)
    for old, new in zip(
        jax.tree_util.tree_leaves(state), jax.tree_util.tree_leaves(new_state), strict=True
    ):
        assert (old.shape, old.dtype) == (new.shape, new.dtype)
    jitted_y, jitted_state = jax.jit(train)(params, state, x)
    np.testing.assert_allclose(jitted_y, y, rtol=1e-12, atol=1e-12)
    for left, right in zip(
        jax.tree_util.tree_leaves(jitted_state), jax.tree_util.tree_leaves(new_state), strict=True
    ):
        np.testing.assert_allclose(left, right, rtol=1e-12)
    if not layer.stateful:
        assert jax.tree_util.tree_leaves(state) == []
        np.testing.assert_allclose(y, layer.apply(params, x, key=key, training=True), rtol=1e-12)
    else:
        with pytest.raises(TypeError, match="apply_with_state"):
            layer.apply(params, x)


def test_every_public_layer_is_in_the_shared_check():
    tested = {type(layer).__name__ for layer, _ in LAYERS}
    public = {
        name
        for name in funcnet.__all__
        if isinstance(getattr(funcnet, name), type)
        and issubclass(getattr(funcnet, name), funcnet.Layer)
        and name != "Layer"
    }
    assert public <= tested, f"layers missing from LAYERS: {public - tested}"


# --- Linear against PyTorch -----------------------------------------------------


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("shape", [(4, 10), (10,), (2, 3, 10)])
def test_linear_matches_pytorch_values_and_gradients(bias, shape):
    torch.manual_seed(0)
    module = torch.nn.Linear(10, 5, bias=bias).double()
    layer = funcnet.Linear(10, 5, bias=bias)
    params = funcnet.load_state_dict(layer.init(jax.random.key(0), shape), module.state_dict())
    x = np.random.default_rng(0).normal(size=shape)
    cotangent = np.random.default_rng(1).normal(size=(*shape[:-1], 5))

    t = torch.tensor(x, requires_grad=True)
    expected = module(t)
    (expected * torch.tensor(cotangent)).sum().backward()

    y, vjp = jax.vjp(layer.apply, params, jnp.asarray(x))
    param_grads, x_grad = vjp(jnp.asarray(cotangent))
    np.testing.assert_allclose(y, expected.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x_grad, t.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(param_grads["weight"], module.weight.grad.numpy(), rtol=1e-12)
    if bias:
        np.testing.assert_allclose(param_grads["bias"], module.bias.grad.numpy(), rtol=1e-12)


def test_linear_default_init_follows_pytorch_bounds():
    params = funcnet.Linear(100, 400).init(jax.random.key(0), (1, 100))
    bound = 1 / np.sqrt(100)
    for name in ("weight", "bias"):
        values = np.asarray(params[name])
        assert np.abs(values).max() <= bound
        # U(-k, k) has variance k^2 / 3; 40,000 draws pin it to a few percent.
        assert np.var(params["weight"]) == pytest.approx(bound**2 / 3, rel=0.05)
    assert params["weight"].shape == (400, 100)


def test_linear_dtype_follows_x64_and_the_argument():
    params = funcnet.Linear(3, 2, dtype=jnp.float32).init(jax.random.key(0), (1, 3))
    assert params["weight"].dtype == jnp.float32
    params = funcnet.Linear(3, 2).init(jax.random.key(0), (1, 3))
    assert params["weight"].dtype == jnp.float64  # x64 is on in the tests


def test_linear_custom_initializers():
    layer = funcnet.Linear(3, 2, weight_init=funcnet.init.ones(), bias_init=funcnet.init.zeros())
    params = layer.init(jax.random.key(0), (1, 3))
    np.testing.assert_array_equal(params["weight"], np.ones((2, 3)))
    np.testing.assert_array_equal(params["bias"], np.zeros(2))
    np.testing.assert_allclose(layer(params, jnp.array([[1.0, 2.0, 3.0]])), [[6.0, 6.0]])


def test_linear_infers_in_features():
    layer = funcnet.Linear(out_features=4)
    params = layer.init(jax.random.key(0), (2, 9))
    assert params["weight"].shape == (4, 9)
    with pytest.raises(funcnet.ShapeError, match=r"\(2x8 and 9x4\)"):
        layer(params, jnp.ones((2, 8)))


# --- the lesson's shape error ------------------------------------------------------


def test_lesson_shape_error_has_pytorch_words_exactly():
    x = jnp.ones((4, 10))
    with pytest.raises(funcnet.ShapeError) as info:
        funcnet.Linear(in_features=8, out_features=5).init(jax.random.key(0), x.shape)
    message = str(info.value)
    assert message.splitlines()[0] == "mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)"
    assert "expects 8 input features but receives 10" in message
    with pytest.raises(RuntimeError) as torch_info:
        torch.nn.Linear(8, 5)(torch.ones(4, 10))
    assert message.splitlines()[0] in str(torch_info.value)


def test_shape_error_is_a_value_error_also_at_apply_time():
    layer = funcnet.Linear(8, 5)
    params = layer.init(jax.random.key(0), (4, 8))
    with pytest.raises(ValueError, match=r"mat1 and mat2 shapes cannot be multiplied \(4x10"):
        layer(params, jnp.ones((4, 10)))
    with pytest.raises(ValueError, match="mat1 and mat2"):
        jax.jit(layer.apply)(params, jnp.ones((4, 10)))


def test_sequential_checks_the_whole_chain_at_init():
    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(8, 8))
    with pytest.raises(funcnet.ShapeError) as info:
        model.init(jax.random.key(0), (4, 10))
    message = str(info.value)
    assert "mat1 and mat2 shapes cannot be multiplied (4x5 and 8x8)" in message
    assert "layer 2, Linear(in_features=8, out_features=8, bias=True)" in message
    assert "expects 8 input features but receives 5 from layer 1, Sigmoid()" in message
    assert info.value.path == (2,)


def test_nested_sequential_error_names_the_dotted_index():
    inner = funcnet.Sequential(funcnet.ReLU(), funcnet.Linear(7, 2))
    model = funcnet.Sequential(funcnet.Linear(10, 5), inner)
    with pytest.raises(funcnet.ShapeError, match=r"layer 1\.1, .*receives 5 from layer 1\.0"):
        model.output_shape((4, 10))
    first = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sequential(funcnet.Linear(7, 2)))
    with pytest.raises(funcnet.ShapeError, match=r"layer 1\.0, .*receives 5 from layer 0,"):
        first.output_shape((4, 10))


def test_sequential_params_and_indexing():
    model = funcnet.Sequential(funcnet.Linear(3, 4), funcnet.ReLU(), funcnet.Linear(4, 2))
    params = model.init(jax.random.key(0), (1, 3))
    assert isinstance(params, tuple) and len(params) == 3 and params[1] == {}
    assert len(model) == 3 and model[1] == funcnet.ReLU()
    head = model[:2]
    assert isinstance(head, funcnet.Sequential)
    x = jnp.ones((1, 3))
    np.testing.assert_allclose(model[2](params[2], head(params[:2], x)), model(params, x))
    assert model == funcnet.Sequential(funcnet.Linear(3, 4), funcnet.ReLU(), funcnet.Linear(4, 2))
    assert hash(model) == hash(model[:])


def test_sequential_matches_pytorch_lesson_model():
    torch.manual_seed(0)
    reference = torch.nn.Sequential(
        torch.nn.Linear(10, 5), torch.nn.Sigmoid(), torch.nn.Linear(5, 8), torch.nn.Softmax(dim=1)
    ).double()
    model = funcnet.Sequential(
        funcnet.Linear(10, 5), funcnet.Sigmoid(), funcnet.Linear(5, 8), funcnet.Softmax()
    )
    params = funcnet.load_state_dict(
        model.init(jax.random.key(0), (4, 10)), reference.state_dict()
    )
    x = np.random.default_rng(0).random((4, 10))
    np.testing.assert_allclose(model(params, x), reference(torch.tensor(x)).detach(), rtol=1e-12)


def test_layers_are_immutable():
    layer = funcnet.Linear(3, 2)
    with pytest.raises(AttributeError):
        layer.out_features = 4
    with pytest.raises(AttributeError, match="layers"):
        funcnet.Sequential().layers = ()


def test_dropout_free_layers_ignore_training_flag_and_key():
    model = funcnet.Sequential(funcnet.Linear(3, 2), funcnet.Tanh())
    params = model.init(jax.random.key(0), (1, 3))
    x = jnp.ones((1, 3))
    np.testing.assert_array_equal(
        model(params, x), model(params, x, key=jax.random.key(1), training=True)
    )


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: funcnet.Linear(0, 5), ValueError, "in_features must be a positive int, got 0"),
        (lambda: funcnet.Linear(10, -1), ValueError, "out_features must be a positive int"),
        (lambda: funcnet.Linear(2.5, 5), TypeError, "in_features must be a positive int"),
        (lambda: funcnet.Linear(10, True), TypeError, "out_features"),
        (lambda: funcnet.Linear(5), TypeError, r"Linear\(out_features=5\)"),
        (lambda: funcnet.Linear(3, 2, bias="yes"), TypeError, "bias must be True or False"),
        (lambda: funcnet.Linear(3, 2, weight_init=3), TypeError, "weight_init must be callable"),
        (lambda: funcnet.LeakyReLU("a"), TypeError, "negative_slope must be a real number"),
        (lambda: funcnet.Softmax(dim=1.5), TypeError, "dim must be an int"),
        (lambda: funcnet.LogSoftmax(dim="1"), TypeError, "dim must be an int"),
        (lambda: funcnet.ELU(alpha="x"), TypeError, "alpha"),
        (lambda: funcnet.Softplus(beta=0), ValueError, "beta must be non-zero"),
        (lambda: funcnet.GELU("erf"), ValueError, "'none' or 'tanh'"),
        (lambda: funcnet.Flatten(1.0), TypeError, "start_dim must be an int"),
        (lambda: funcnet.Sequential(funcnet.ReLU), TypeError, r"class ReLU.*call it: ReLU\(\)"),
        (lambda: funcnet.Sequential(funcnet.relu), TypeError, r"function relu.*funcnet.ReLU\(\)"),
        (lambda: funcnet.Sequential(3), TypeError, "argument 0 must be a layer"),
    ],
)
def test_bad_constructor_arguments_fail_when_built(build, error, match):
    with pytest.raises(error, match=match):
        build()


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: funcnet.Linear(3, 2).init(0, (1, 3)), TypeError, "key must be a single PRNG key"),
        (
            lambda: funcnet.Linear(3, 2).init(jax.random.key(0), jnp.ones((1, 3))),
            TypeError,
            "pass x.shape",
        ),
        (lambda: funcnet.Linear(3, 2).init(jax.random.key(0), "13"), TypeError, "tuple of ints"),
        (lambda: funcnet.Linear(3, 2).init(jax.random.key(0), (-1, 3)), ValueError, "negative"),
        (
            lambda: funcnet.Linear(3, 2, dtype=jnp.int32).init(jax.random.key(0), (1, 3)),
            TypeError,
            "floating dtype",
        ),
        (lambda: funcnet.Linear(3, 2).output_shape(()), funcnet.ShapeError, "at least 1"),
        (lambda: funcnet.Softmax(dim=2).output_shape((4, 8)), funcnet.ShapeError, "out of range"),
        (lambda: funcnet.Flatten().output_shape((4,)), funcnet.ShapeError, "out of range"),
        (
            lambda: funcnet.Linear(3, 2)({"weight": jnp.ones((2, 3))}, jnp.ones((1, 3))),
            ValueError,
            "'bias' entry",
        ),
        (
            lambda: funcnet.Linear(3, 2)(
                funcnet.Linear(3, 2).init(jax.random.key(0), (1, 3)), jnp.ones((1, 3), jnp.int32)
            ),
            TypeError,
            "floating-point input",
        ),
        (
            lambda: funcnet.Sequential(funcnet.ReLU(), funcnet.ReLU())(({},), jnp.ones(2)),
            ValueError,
            "one entry per layer, got a tuple of 1 entry",
        ),
    ],
)
def test_bad_calls(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_float64_without_x64_is_a_clear_error():
    jax.config.update("jax_enable_x64", False)
    try:
        with pytest.raises(ValueError, match="jax_enable_x64"):
            funcnet.Linear(3, 2, dtype=jnp.float64).init(jax.random.key(0), (1, 3))
    finally:
        jax.config.update("jax_enable_x64", True)


def test_reprs_read_like_pytorch():
    assert repr(funcnet.Linear(10, 5)) == repr(torch.nn.Linear(10, 5))
    assert repr(funcnet.Sigmoid()) == repr(torch.nn.Sigmoid())
    assert repr(funcnet.LeakyReLU(0.2)) == "LeakyReLU(negative_slope=0.2)"
    model = funcnet.Sequential(funcnet.Linear(10, 5), funcnet.Sigmoid())
    assert repr(model) == repr(torch.nn.Sequential(torch.nn.Linear(10, 5), torch.nn.Sigmoid()))

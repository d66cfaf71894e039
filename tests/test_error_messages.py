"""Errors that a PyTorch user meets first: each names the real cause and the fix."""

import pickle

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import funcnet

KEY = jax.random.key(0)


def lesson_model(hidden=5):
    return funcnet.Sequential(
        funcnet.Linear(10, hidden), funcnet.ReLU(), funcnet.Linear(hidden, 3)
    )


# --- model(x): the PyTorch habit of calling a model without its params -------------


@pytest.mark.parametrize(
    ("call", "form"),
    [
        (lambda model, x: model(x), r"called as model\(params, x\), not model\(x\)"),
        (
            lambda model, x: model.apply(x),
            r"called as model\.apply\(params, x\), not model\.apply\(x\)",
        ),
    ],
    ids=["call", "apply"],
)
def test_calling_without_params_says_how_to_call(call, form):
    model = lesson_model()
    with pytest.raises(TypeError, match=form) as info:
        call(model, jnp.ones((4, 10)))
    message = str(info.value)
    assert message.startswith("Sequential")
    assert "got 1 argument but needs 2" in message
    assert "model.init(key, input_shape)" in message


def test_calling_without_params_is_caught_under_jit_and_for_single_layers():
    with pytest.raises(TypeError, match=r"Linear got 1 argument.*model\(params, x\)"):
        jax.jit(funcnet.Linear(10, 5))(jnp.ones((4, 10)))
    with pytest.raises(TypeError, match=r"ReLU got 0 arguments"):
        funcnet.ReLU()()


def test_keyword_arguments_still_work():
    layer = funcnet.Linear(3, 2)
    params = layer.init(key=KEY, input_shape=(1, 3))
    x = jnp.ones((1, 3))
    np.testing.assert_array_equal(layer(params, x=x), layer.apply(params=params, x=x))


def test_init_without_a_key_or_with_arguments_swapped():
    model = lesson_model()
    with pytest.raises(TypeError, match=r"Sequential\.init got 1 argument but needs 2, a PRNG"):
        model.init((4, 10))
    with pytest.raises(TypeError, match=r"arguments look swapped: init takes the PRNG key first"):
        model.init((4, 10), KEY)


# --- params made for another model ---------------------------------------------------


def test_params_of_another_model_blame_the_layer_they_do_not_fit():
    model = lesson_model(hidden=5)
    other = lesson_model(hidden=6).init(KEY, (4, 10))
    with pytest.raises(funcnet.ShapeError) as info:
        model(other, jnp.ones((4, 10)))
    message = str(info.value)
    assert message.splitlines()[0] == "Linear: expected weight of shape (5, 10), got (6, 10)"
    assert (
        "layer 0, Linear(in_features=10, out_features=5, bias=True), needs params['weight'] of "
        "shape (5, 10), that is (out_features, in_features), but receives (6, 10)."
    ) in message
    assert "build Linear(in_features=10, out_features=6, bias=True)" in message
    assert "model.init(key, input_shape)" in message
    assert " from layer" not in message  # the input did not cause it
    assert info.value.path == (0,)
    assert isinstance(info.value, ValueError)


def test_param_shapes_are_checked_at_trace_time_under_jit_and_vmap():
    layer = funcnet.Linear(4, 2)
    params = {"weight": jnp.zeros((2, 4)), "bias": jnp.zeros(3)}
    with pytest.raises(funcnet.ShapeError, match=r"expected bias of shape \(2,\), got \(3,\)"):
        jax.jit(layer.apply)(params, jnp.ones((1, 4)))
    stacked = jax.tree_util.tree_map(lambda a: jnp.stack([a, a]), params)
    with pytest.raises(funcnet.ShapeError, match=r"bias of shape \(2,\), got \(3,\)"):
        jax.vmap(layer.apply, in_axes=(0, None))(stacked, jnp.ones((1, 4)))


def test_conv2d_params_use_the_same_check_and_name_the_layout():
    model = funcnet.Sequential(funcnet.ReLU(), funcnet.Conv2d(3, 4, 3))
    params = ({}, funcnet.Conv2d(3, 8, 5).init(KEY, (1, 3, 8, 8)))
    with pytest.raises(funcnet.ShapeError) as info:
        model(params, jnp.ones((1, 3, 8, 8)))
    message = str(info.value)
    assert message.splitlines()[0] == (
        "Conv2d: expected weight of shape (4, 3, 3, 3), got (8, 3, 5, 5)"
    )
    assert "layer 1, Conv2d(3, 4, kernel_size=(3, 3), stride=(1, 1))," in message
    assert "(out_channels, in_channels // groups, kh, kw)" in message
    assert "build Conv2d(3, 8, kernel_size=(5, 5), stride=(1, 1))" in message
    assert "from layer 0" not in message


def test_inferred_in_features_is_any_size_in_the_param_check():
    layer = funcnet.Linear(out_features=4)
    params = layer.init(KEY, (2, 9))
    with pytest.raises(
        funcnet.ShapeError, match=r"expected weight of shape \(4, in_features\), got \(5, 9\)"
    ):
        layer({"weight": jnp.zeros((5, 9)), "bias": params["bias"]}, jnp.ones((2, 9)))


def test_params_with_an_entry_the_layer_would_ignore():
    with_bias = funcnet.Linear(3, 2).init(KEY, (1, 3))
    with pytest.raises(ValueError, match=r"unexpected entries \['bias'\].*would ignore"):
        funcnet.Linear(3, 2, bias=False)(with_bias, jnp.ones((1, 3)))


def test_params_of_a_whole_model_given_to_one_layer_and_back():
    params = lesson_model().init(KEY, (4, 10))
    with pytest.raises(ValueError, match=r"got a tuple of 3 entries \(the params of a whole"):
        funcnet.Linear(10, 5)(params, jnp.ones((4, 10)))
    with pytest.raises(
        ValueError, match=r"got a dict with keys \['bias', 'weight'\] \(the params"
    ):
        lesson_model()(params[0], jnp.ones((4, 10)))


def test_param_shape_error_pickles_and_stays_about_params():
    layer = funcnet.Sequential(funcnet.Linear(2, 2))
    with pytest.raises(funcnet.ShapeError) as info:
        layer(({"weight": jnp.zeros((2, 3)), "bias": jnp.zeros(2)},), jnp.ones((1, 2)))
    copy = pickle.loads(pickle.dumps(info.value))
    assert str(copy) == str(info.value) and copy.about_params


# --- cross_entropy and nll_loss: the target ------------------------------------------


@pytest.mark.parametrize("name", ["cross_entropy", "nll_loss"])
def test_labels_with_an_extra_axis_say_squeeze_and_the_function_called(name):
    with pytest.raises(funcnet.ShapeError) as info:
        getattr(funcnet, name)(jnp.zeros((4, 8)), jnp.zeros((4, 1), jnp.int32))
    message = str(info.value)
    assert message.startswith(f"{name}: expected target of shape (4,), got (4, 1)")
    assert "extra axis of size 1" in message
    assert f"{name}(input, labels[:, 0]) or labels.squeeze(-1)" in message
    assert "probabilities" not in message
    other = {"cross_entropy": "nll_loss", "nll_loss": "cross_entropy"}[name]
    assert other not in message


@pytest.mark.parametrize(("name", "scores"), [("cross_entropy", "logits"), ("nll_loss", "log-")])
def test_batch_size_mismatch_is_named_as_such(name, scores):
    with pytest.raises(funcnet.ShapeError) as info:
        getattr(funcnet, name)(jnp.zeros((4, 8)), jnp.zeros(3, jnp.int32))
    message = str(info.value)
    assert "Expected input batch_size (4) to match target batch_size (3)" in message
    assert f"batch of 4 {scores}" in message and "but 3 labels" in message
    assert "class probabilities" not in message


def test_integer_one_hot_labels_point_to_argmax():
    with pytest.raises(funcnet.ShapeError, match=r"look one-hot: pass labels\.argmax\(1\)"):
        funcnet.cross_entropy(jnp.zeros((4, 8)), jnp.eye(8, dtype=jnp.int32)[:4])


@pytest.mark.parametrize(
    ("name", "labels", "scores", "fix"),
    [
        ("cross_entropy", (4,), (4, 8), "cross_entropy(input=logits, target=labels)"),
        ("cross_entropy", (4, 4), (4, 4), "cross_entropy(input=logits, target=labels)"),
        ("nll_loss", (4,), (4, 8), "nll_loss(input=log_probabilities, target=labels)"),
    ],
    ids=["ce-class-axis", "ce-same-shape", "nll-class-axis"],
)
def test_swapped_arguments_are_detected(name, labels, scores, fix):
    with pytest.raises(TypeError, match=rf"^{name}: the arguments look swapped") as info:
        getattr(funcnet, name)(jnp.zeros(labels, jnp.int32), jnp.zeros(scores))
    assert fix in str(info.value)
    assert "convert it" not in str(info.value)


def test_integer_input_that_is_not_a_swap_keeps_the_dtype_message():
    with pytest.raises(TypeError, match=r"input must be floating point, got dtype int32"):
        funcnet.cross_entropy(jnp.zeros((4, 3), jnp.int32), jnp.zeros(4, jnp.int32))


def test_float_labels_say_they_look_like_class_indices():
    with pytest.raises(TypeError, match=r"look like class indices stored as floats"):
        funcnet.cross_entropy(jnp.zeros((4, 8)), jnp.zeros((4, 1)))
    with pytest.raises(funcnet.ShapeError, match=r"batch of 4 logits but 3 target rows"):
        funcnet.cross_entropy(jnp.zeros((4, 8)), jnp.full((3, 8), 1 / 8))


def test_cross_entropy_names_itself_for_ignore_index():
    with pytest.raises(TypeError, match=r"^cross_entropy: ignore_index must be an int"):
        funcnet.cross_entropy(jnp.zeros((4, 3)), jnp.zeros(4, jnp.int32), ignore_index=1.5)


def test_elementwise_loss_with_a_trailing_axis_says_which_to_drop():
    with pytest.raises(
        funcnet.ShapeError, match=r"drop the input's last axis .*input\[\.\.\., 0\]"
    ):
        funcnet.mse_loss(jnp.zeros((4, 1)), jnp.zeros(4))
    with pytest.raises(funcnet.ShapeError, match=r"drop the target's last axis"):
        funcnet.l1_loss(jnp.zeros(4), jnp.zeros((4, 1)))


# --- load_state_dict that would load nothing -----------------------------------------


def test_non_strict_load_with_no_matching_key_is_an_error():
    params = lesson_model().init(KEY, (1, 10))
    state = {"fc1.weight": np.zeros((5, 10)), "fc1.bias": np.zeros(5)}
    with pytest.raises(funcnet.StateDictError) as info:
        funcnet.load_state_dict(params, state, strict=False)
    message = str(info.value)
    assert "No key of the state_dict matches a parameter of the model" in message
    assert '"0.bias", "0.weight", "2.bias", "2.weight"' in message
    assert '"fc1.weight", "fc1.bias"' in message


def test_a_common_prefix_is_named_with_the_fix():
    params = lesson_model().init(KEY, (1, 10))
    state = {f"module.{k}": v for k, v in funcnet.state_dict(params).items()}
    for strict in (True, False):
        with pytest.raises(funcnet.StateDictError, match=r'behind the prefix "module\."'):
            funcnet.load_state_dict(params, state, strict=strict)
    fixed = {k.removeprefix("module."): v for k, v in state.items()}
    funcnet.load_state_dict(params, fixed)

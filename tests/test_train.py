"""Training: pure steps, compiled epoch equal to a loop, resume, evaluation, per-example grads."""

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import leaves_equal, problem

import funcnet
import funcnet.models


def test_step_is_pure_and_deterministic():
    model, params, x, y = problem()
    optimizer = optax.adam(1e-2)
    step = jax.jit(funcnet.make_train_step(model, funcnet.cross_entropy, optimizer))
    state = funcnet.init_state(params, optimizer, jax.random.key(3))
    snapshot = jax.tree_util.tree_map(np.array, state.params)
    first, metrics_first = step(state, (x, y))
    second, metrics_second = step(state, (x, y))
    leaves_equal(first, second)
    assert float(metrics_first["loss"]) == float(metrics_second["loss"])
    leaves_equal(state.params, snapshot)  # the input state is untouched
    assert int(first.step) == 1
    # A model without dropout draws nothing from the key; fit's shuffling still does.
    np.testing.assert_array_equal(jax.random.key_data(first.key), jax.random.key_data(state.key))


def test_step_matches_hand_written_optax_update():
    model, params, x, y = problem()
    optimizer = optax.sgd(0.5)
    state = funcnet.init_state(params, optimizer, jax.random.key(0))
    state, metrics = funcnet.make_train_step(model, funcnet.cross_entropy, optimizer)(
        state, (x, y)
    )
    loss, grads = jax.value_and_grad(lambda p: funcnet.cross_entropy(model(p, x), y))(params)
    expected = jax.tree_util.tree_map(lambda p, g: p - 0.5 * g, params, grads)
    for a, b in zip(
        jax.tree_util.tree_leaves(state.params), jax.tree_util.tree_leaves(expected), strict=True
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert float(metrics["loss"]) == pytest.approx(float(loss), rel=1e-12)


def python_loop_epoch(step, state, x, y, batch_size, drop_last=False):
    """The reference: what fit's compiled epoch must equal, one jitted step at a time."""
    key, shuffle_key = jax.random.split(state.key)
    order = jax.random.permutation(shuffle_key, x.shape[0])
    x, y = x[order], y[order]
    state = state._replace(key=key)
    losses, sizes = [], []
    for start in range(0, x.shape[0], batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        if drop_last and xb.shape[0] < batch_size:
            break
        state, metrics = step(state, (xb, yb))
        losses.append(float(metrics["loss"]))
        sizes.append(xb.shape[0])
    return state, float(np.average(losses, weights=sizes))


@pytest.mark.parametrize(("batch_size", "drop_last"), [(10, False), (16, False), (16, True)])
def test_compiled_epoch_equals_a_python_loop_of_steps(batch_size, drop_last):
    model, params, x, y = problem()
    optimizer = optax.adam(1e-2)
    step = jax.jit(funcnet.make_train_step(model, funcnet.cross_entropy, optimizer))
    start = funcnet.init_state(params, optimizer, jax.random.key(5))
    expected_state, expected_loss = python_loop_epoch(step, start, x, y, batch_size, drop_last)
    state, history = funcnet.fit(
        model,
        start,
        (x, y),
        loss_fn=funcnet.cross_entropy,
        optimizer=optimizer,
        epochs=1,
        batch_size=batch_size,
        drop_last=drop_last,
        progress=False,
    )
    assert int(state.step) == funcnet.steps_per_epoch(50, batch_size, drop_last)
    assert int(state.step) == int(expected_state.step)
    for a, b in zip(
        jax.tree_util.tree_leaves(state.params),
        jax.tree_util.tree_leaves(expected_state.params),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert history["loss"][0] == pytest.approx(expected_loss, rel=1e-10)


def test_ragged_last_batch_is_trained_on_not_dropped():
    model, params, x, y = problem(count=50)
    kwargs = dict(
        loss_fn=funcnet.cross_entropy, optimizer=optax.sgd(0.1), epochs=1, progress=False
    )
    kept, _ = funcnet.fit(model, params, (x, y), batch_size=16, key=jax.random.key(0), **kwargs)
    dropped, _ = funcnet.fit(
        model, params, (x, y), batch_size=16, key=jax.random.key(0), drop_last=True, **kwargs
    )
    assert int(kept.step) == 4 and int(dropped.step) == 3


def test_split_training_resumes_bit_for_bit():
    model, params, x, y = problem()
    kwargs = dict(
        loss_fn=funcnet.cross_entropy, optimizer=optax.adam(1e-2), batch_size=8, progress=False
    )
    whole, history = funcnet.fit(model, params, (x, y), epochs=4, key=jax.random.key(9), **kwargs)
    half, first = funcnet.fit(model, params, (x, y), epochs=2, key=jax.random.key(9), **kwargs)
    resumed, second = funcnet.fit(model, half, (x, y), epochs=2, **kwargs)
    leaves_equal(whole, resumed)
    assert history["loss"] == first["loss"] + second["loss"]


def test_fit_learns_and_reports_validation():
    model, params, x, y = problem(count=200)
    _, history = funcnet.fit(
        model,
        params,
        (x[:150], y[:150]),
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.adam(3e-2),
        epochs=15,
        batch_size=16,
        key=jax.random.key(0),
        validation=(x[150:], y[150:]),
        progress=False,
    )
    assert set(history) >= {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    assert len(history["loss"]) == 15
    assert history["loss"][-1] < 0.5 * history["loss"][0]
    assert history["val_accuracy"][-1] > 0.8


def test_fit_prints_one_progress_line_per_epoch(capsys):
    model, params, x, y = problem()
    funcnet.fit(
        model,
        params,
        (x, y),
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.sgd(0.1),
        epochs=3,
        batch_size=10,
        key=jax.random.key(0),
    )
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3
    assert "epoch 3/3" in lines[-1] and "loss" in lines[-1] and "steps/s" in lines[-1]


def test_fit_on_regression_reports_loss_only():
    x = jnp.linspace(-1, 1, 64).reshape(64, 1)
    model = funcnet.Linear(1, 1)
    _, history = funcnet.fit(
        model,
        model.init(jax.random.key(0), x.shape),
        (x, 3 * x),
        loss_fn=funcnet.mse_loss,
        optimizer=optax.adam(0.1),
        epochs=30,
        batch_size=16,
        key=jax.random.key(1),
        progress=False,
    )
    assert "accuracy" not in history
    assert history["loss"][-1] < 1e-2


def test_evaluate_and_predict_need_no_gradient():
    model, params, x, y = problem()
    scores = funcnet.evaluate(model, params, (x, y), loss_fn=funcnet.cross_entropy)
    logits = model(params, x)
    assert scores["loss"] == pytest.approx(float(funcnet.cross_entropy(logits, y)), rel=1e-12)
    assert scores["accuracy"] == pytest.approx(float(funcnet.accuracy(logits, y)))
    np.testing.assert_allclose(funcnet.predict(model, params, x, batch_size=7), logits, rtol=1e-12)


def test_per_example_grads_equal_a_loop_over_examples():
    model, params, x, y = problem(count=6)

    def loss(p, xi, yi):
        return funcnet.cross_entropy(model(p, xi), yi)

    grads = funcnet.per_example_grads(loss, params, (x, y))
    for i in range(6):
        single = jax.grad(loss)(params, x[i], y[i])
        for stacked, one in zip(
            jax.tree_util.tree_leaves(grads), jax.tree_util.tree_leaves(single), strict=True
        ):
            np.testing.assert_allclose(stacked[i], one, rtol=1e-12, atol=1e-15)
    # Their mean is the gradient of the mean loss.
    mean = jax.grad(lambda p: funcnet.cross_entropy(model(p, x), y))(params)
    np.testing.assert_allclose(grads[0]["weight"].mean(axis=0), mean[0]["weight"], rtol=1e-10)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 0}, ValueError, "batch_size must be a positive int"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be a positive int"),
        ({"batch_size": 100, "drop_last": True}, ValueError, "leaves no batch"),
        ({"key": None}, ValueError, "needs key"),
        ({"data": (jnp.ones((5, 6)), jnp.zeros(4, jnp.int32))}, ValueError, "same number"),
        ({"data": jnp.ones((5, 6))}, TypeError, r"pair \(x, y\)"),
        ({"data": (jnp.ones((5, 7)), jnp.zeros(5, jnp.int32))}, funcnet.ShapeError, "mat1"),
    ],
)
def test_fit_errors(kwargs, error, match):
    model, params, x, y = problem()
    arguments = dict(
        data=(x, y),
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.sgd(0.1),
        epochs=1,
        batch_size=10,
        key=jax.random.key(0),
        progress=False,
    )
    arguments.update(kwargs)
    data = arguments.pop("data")
    with pytest.raises(error, match=match):
        funcnet.fit(model, params, data, **arguments)


def test_resume_from_a_checkpoint_is_bit_exact(tmp_path):
    model, params, x, y = problem()
    kwargs = dict(
        loss_fn=funcnet.cross_entropy, optimizer=optax.adam(1e-2), batch_size=8, progress=False
    )
    whole, _ = funcnet.fit(model, params, (x, y), epochs=4, key=jax.random.key(9), **kwargs)
    half, _ = funcnet.fit(model, params, (x, y), epochs=2, key=jax.random.key(9), **kwargs)
    funcnet.checkpoint.save(tmp_path / "state.safetensors", half)
    like = funcnet.init_state(params, optax.adam(1e-2), jax.random.key(0))
    restored = funcnet.checkpoint.load(tmp_path / "state.safetensors", like=like)
    leaves_equal(restored, half)
    resumed, _ = funcnet.fit(model, restored, (x, y), epochs=2, **kwargs)
    leaves_equal(whole, resumed)


def test_dropout_is_active_in_training_and_reproducible():
    model = funcnet.Sequential(funcnet.Linear(6, 16), funcnet.Dropout(0.5), funcnet.Linear(16, 3))
    _, _, x, y = problem()
    params = model.init(jax.random.key(0), x.shape)
    optimizer = optax.sgd(0.1)
    step = jax.jit(funcnet.make_train_step(model, funcnet.cross_entropy, optimizer))
    state = funcnet.init_state(params, optimizer, jax.random.key(1))
    a, metrics_a = step(state, (x, y))
    b, _ = step(state, (x, y))
    leaves_equal(a, b)  # same key, same dropout mask
    _, metrics_other = step(state._replace(key=jax.random.key(2)), (x, y))
    assert float(metrics_a["loss"]) != float(metrics_other["loss"])
    # Evaluation runs without dropout: deterministic, and no key needed.
    clean = funcnet.evaluate(model, params, (x, y), loss_fn=funcnet.cross_entropy)["loss"]
    assert clean == pytest.approx(float(funcnet.cross_entropy(model(params, x), y)))


def test_small_tanh_mlp_fits_sine_to_mse_below_1e_3():
    dataset = funcnet.data.regression_1d(jax.random.key(0), n=256)  # sin on [-pi, pi]
    model = funcnet.models.mlp(1, 32, 1, activation="tanh")
    params = model.init(jax.random.key(1), dataset.train.x.shape)
    epochs, batch_size = 300, 32
    steps = epochs * funcnet.steps_per_epoch(dataset.train.x.shape[0], batch_size)
    state, _ = funcnet.fit(
        model,
        params,
        dataset.train,
        loss_fn=funcnet.mse_loss,
        optimizer=optax.adam(optax.cosine_decay_schedule(1e-2, steps)),
        epochs=epochs,
        batch_size=batch_size,
        key=jax.random.key(2),
        progress=False,
    )
    test = funcnet.evaluate(model, state.params, dataset.test, loss_fn=funcnet.mse_loss)
    assert test["loss"] < 1e-3

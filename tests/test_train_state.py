"""Training a model with state (batch norm): fit, evaluate, predict, resume and the CLI."""

import os
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import leaves_equal

import funcnet
import funcnet.models
from funcnet import data


def _problem(count=48):
    kx, kw = jax.random.split(jax.random.key(0))
    x = jax.random.normal(kx, (count, 5)) * 3 + 1
    y = jnp.argmax(x @ jax.random.normal(kw, (5, 3)), axis=-1).astype(jnp.int32)
    model = funcnet.Sequential(
        funcnet.Linear(5, 8), funcnet.BatchNorm1d(8), funcnet.ReLU(), funcnet.Linear(8, 3)
    )
    return model, model.init(jax.random.key(1), x.shape), x, y


def test_fit_threads_the_running_statistics_as_a_hand_written_loop_does():
    model, params, x, y = _problem()
    optimizer = optax.sgd(0.1)
    state, _ = funcnet.fit(
        model, params, (x, y), loss_fn=funcnet.cross_entropy, optimizer=optimizer,
        epochs=3, batch_size=len(x), key=jax.random.key(2), progress=False,
    )  # fmt: skip
    # One full batch per epoch: the shuffle reorders examples, which batch statistics
    # and the mean loss do not see, so a plain loop without shuffling agrees.
    model_state, opt_state = model.initial_state(x.shape), optimizer.init(params)
    for _ in range(3):

        def loss(p, s=model_state):
            outputs, new = model.apply_with_state(p, s, x, training=True)
            return funcnet.cross_entropy(outputs, y), new

        (_, model_state), grads = jax.value_and_grad(loss, has_aux=True)(params)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        params = optax.apply_updates(params, updates)
    for got, want in [(state.params, params), (state.model_state, model_state)]:
        for a, b in zip(
            jax.tree_util.tree_leaves(got), jax.tree_util.tree_leaves(want), strict=True
        ):
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    assert int(state.model_state[1]["num_batches_tracked"]) == 3


def test_evaluate_and_predict_use_the_running_statistics():
    model, params, x, y = _problem()
    state, history = funcnet.fit(
        model, params, (x, y), loss_fn=funcnet.cross_entropy, optimizer=optax.adam(0.05),
        epochs=4, batch_size=16, key=jax.random.key(2), validation=(x, y), progress=False,
    )  # fmt: skip
    expected, same = model.apply_with_state(state.params, state.model_state, x)
    leaves_equal(same, state.model_state)  # evaluation leaves the state as it was
    np.testing.assert_allclose(funcnet.predict(model, state, x), expected, rtol=1e-10)
    np.testing.assert_allclose(
        funcnet.predict(model, state.params, x, state=state.model_state, batch_size=10),
        expected,
        rtol=1e-10,
    )
    scores = funcnet.evaluate(model, state, (x, y), loss_fn=funcnet.cross_entropy)
    assert scores["loss"] == pytest.approx(float(funcnet.cross_entropy(expected, y)), rel=1e-10)
    assert history["val_loss"][-1] == pytest.approx(scores["loss"], rel=1e-10)
    # Batch statistics would give other outputs: the running ones were used.
    batch, _ = model.apply_with_state(state.params, state.model_state, x, training=True)
    assert not np.allclose(batch, expected)


@pytest.mark.parametrize("call", ["evaluate", "predict", "fit"])
def test_a_model_with_state_without_its_state_is_a_clear_error(call):
    model, params, x, y = _problem()
    bare = funcnet.init_state(params, optax.sgd(0.1), jax.random.key(0))  # no model_state
    calls = {
        "evaluate": lambda: funcnet.evaluate(model, params, (x, y), loss_fn=funcnet.cross_entropy),
        "predict": lambda: funcnet.predict(model, params, x),
        "fit": lambda: funcnet.fit(
            model,
            bare,
            (x, y),
            loss_fn=funcnet.cross_entropy,
            optimizer=optax.sgd(0.1),
            epochs=1,
            batch_size=8,
            progress=False,
        ),
    }
    with pytest.raises(TypeError, match=f"{call}: the model carries state .*model_state"):
        calls[call]()


def test_a_run_with_state_resumes_to_the_uninterrupted_result():
    model, params, x, y = _problem()
    options = dict(
        loss_fn=funcnet.cross_entropy, optimizer=optax.adam(0.01), batch_size=10, progress=False
    )
    whole, _ = funcnet.fit(model, params, (x, y), epochs=4, key=jax.random.key(5), **options)
    half, _ = funcnet.fit(model, params, (x, y), epochs=2, key=jax.random.key(5), **options)
    rest, _ = funcnet.fit(model, half, (x, y), epochs=2, **options)
    leaves_equal(rest, whole)


@pytest.mark.slow
def test_the_digits_cnn_with_batch_norm_reaches_98_percent_through_the_cli(tmp_path):
    out = str(tmp_path / "run")
    command = [sys.executable, "-m", "funcnet"]
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    trained = subprocess.run(
        [*command, "train", "--model", "cnn-bn", "--epochs", "6", "--out", out, "--no-progress"],
        capture_output=True, text=True, timeout=600, env=env, check=True,
    )  # fmt: skip
    accuracy = float(trained.stdout.split("validation accuracy ")[1].split()[0])
    assert accuracy >= 0.98
    evaluated = subprocess.run(
        [*command, "evaluate", out], capture_output=True, text=True, timeout=600, env=env
    )
    assert evaluated.returncode == 0, evaluated.stderr
    # `evaluate` reloads params and running statistics: the same accuracy as training's.
    assert f"{accuracy:.4f}" in evaluated.stdout


def test_the_digits_cnn_with_batch_norm_trains_through_fit():
    dataset = data.load_digits(image=True, seed=0)
    model = funcnet.models.digits_cnn(dataset.num_classes, batch_norm=True)
    params = model.init(jax.random.key(0), dataset.train.x.shape)
    state, history = funcnet.fit(
        model, params, dataset.train, loss_fn=funcnet.cross_entropy,
        optimizer=optax.adam(1e-3), epochs=5, batch_size=64, key=jax.random.key(1),
        validation=dataset.test, progress=False,
    )  # fmt: skip
    assert history["val_accuracy"][-1] >= 0.98
    counts = [s["num_batches_tracked"] for s in state.model_state if "num_batches_tracked" in s]
    assert len(counts) == 3 and all(int(count) == int(state.step) for count in counts)

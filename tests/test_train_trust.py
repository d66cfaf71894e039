"""Trust in the training path: labels checked before compiling, checked mode under jit,
divergence, interruption by real signals, the double-softmax warning, validation naming.
"""

import functools
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import warnings

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from helpers import leaves_equal, problem

import funcnet
import funcnet.train

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def options(**overrides):
    base = dict(
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.sgd(0.1),
        epochs=2,
        batch_size=10,
        key=jax.random.key(0),
        progress=False,
    )
    return base | overrides


def all_finite(tree):
    return all(bool(jnp.all(jnp.isfinite(leaf))) for leaf in jax.tree_util.tree_leaves(tree))


@pytest.fixture
def no_compiling(monkeypatch):
    """Fail if fit or evaluate reaches their compiled functions."""

    def refuse(*args, **kwargs):
        raise AssertionError("compiled before the targets were checked")

    monkeypatch.setattr(funcnet.train, "_compiled_epoch", refuse)
    monkeypatch.setattr(funcnet.train, "_compiled_evaluate", refuse)


def eager_message(logits, labels):
    with pytest.raises(ValueError) as eager:
        funcnet.cross_entropy(logits, labels)
    return str(eager.value)


# --- labels checked before compiling ---------------------------------------------------


def test_fit_refuses_labels_beyond_the_class_count_before_compiling(no_compiling):
    model, params, x, y = problem(classes=3)
    labels = y.at[7].set(3)  # 3 classes: 3 is one too many
    with pytest.raises(ValueError, match=r"Target 3 is out of bounds.*\[0, 3\)") as error:
        funcnet.fit(model, params, (x, labels), **options())
    # The eager loss's message (after the function's name), plus a note with the fix.
    expected = eager_message(model(params, x), labels)
    assert str(error.value).split(": ", 1)[1] == expected.split(": ", 1)[1]
    assert str(error.value).startswith("cross_entropy: ")
    assert "labels span [0, 3]" in error.value.__notes__[0]
    assert "one output per class" in error.value.__notes__[0]


def test_fit_used_to_train_on_nan_for_such_labels():
    """What the check replaces: the compiled epoch itself yields nan for a bad label."""
    model, params, x, y = problem(classes=3)
    optimizer = optax.sgd(0.1)
    epoch = funcnet.train._compiled_epoch(model, funcnet.cross_entropy, optimizer, 10, False)
    state = funcnet.init_state(params, optimizer, jax.random.key(0))
    _, metrics, (first_bad, _) = epoch(state, x, y.at[7].set(3))
    assert np.isnan(float(metrics["loss"])) and int(first_bad) >= 0


@pytest.mark.parametrize(
    ("loss_fn", "labels", "match"),
    [
        (funcnet.nll_loss, [0, 1, -1], r"nll_loss: Target -1 is out of bounds"),
        (functools.partial(funcnet.cross_entropy, label_smoothing=0.1), [0, 5], "Target 5"),
        (functools.partial(funcnet.cross_entropy, ignore_index=-1), [0, 1, -2], "Target -2"),
    ],
)
def test_fit_checks_every_classification_loss(no_compiling, loss_fn, labels, match):
    model, params, x, y = problem()
    bad = y.at[: len(labels)].set(jnp.array(labels, jnp.int32))
    with pytest.raises(ValueError, match=match):
        funcnet.fit(model, params, (x, bad), **options(loss_fn=loss_fn))


def test_ignored_labels_pass_the_check():
    model, params, x, y = problem()
    loss_fn = functools.partial(funcnet.cross_entropy, ignore_index=-1)
    state, history = funcnet.fit(model, params, (x, y.at[:5].set(-1)), **options(loss_fn=loss_fn))
    assert all_finite(state.params) and np.isfinite(history["loss"]).all()


def test_fit_checks_the_validation_labels_too(no_compiling):
    model, params, x, y = problem()
    with pytest.raises(ValueError, match=r"Target 9 is out of bounds.*\[0, 3\)"):
        funcnet.fit(model, params, (x, y), validation=(x, y.at[0].set(9)), **options())


def test_evaluate_checks_labels_before_compiling(no_compiling):
    model, params, x, y = problem()
    with pytest.raises(ValueError, match=r"Target 3 is out of bounds.*\[0, 3\)"):
        funcnet.evaluate(model, params, (x, y.at[0].set(3)), loss_fn=funcnet.cross_entropy)


def test_wrong_target_shape_is_a_shape_error_before_compiling(no_compiling):
    model, params, x, y = problem()
    with pytest.raises(funcnet.ShapeError, match=r"expected target of shape \(50,\)"):
        funcnet.fit(model, params, (x, y[:, None]), **options())


def test_regression_and_custom_losses_are_left_alone():
    model, params, x, _ = problem()
    # Integer targets far outside any class range, but the loss is not a class loss.
    counts = jnp.full((50, 3), 99, jnp.int32)
    loss_fn = lambda outputs, target: jnp.mean((outputs - target) ** 2)  # noqa: E731
    state, _ = funcnet.fit(model, params, (x, counts), **options(loss_fn=loss_fn, epochs=1))
    assert int(state.step) == 5


def test_mismatched_example_counts_are_a_clear_error():
    model, params, x, y = problem()
    with pytest.raises(ValueError, match=r"same number of examples, got 50 and 49") as error:
        funcnet.fit(model, params, (x, y[:49]), **options())
    assert "x of shape (50, 6), y of shape (49,)" in str(error.value)
    optimizer = optax.sgd(0.1)
    step = jax.jit(funcnet.make_train_step(model, funcnet.cross_entropy, optimizer))
    state = funcnet.init_state(params, optimizer, jax.random.key(0))
    with pytest.raises(ValueError, match=r"train step: batch: .*got 10 and 9"):
        step(state, (x[:10], y[:9]))


# --- checked mode -----------------------------------------------------------------------


def make_step(model, optimizer=None):
    optimizer = optimizer or optax.sgd(0.1)
    return funcnet.make_train_step(model, funcnet.cross_entropy, optimizer), optimizer


def test_checked_step_raises_the_eager_message_under_jit():
    model, params, x, y = problem(classes=3)
    step, optimizer = make_step(model)
    state = funcnet.init_state(params, optimizer, jax.random.key(0))
    bad = y.at[4].set(3)
    with pytest.raises(ValueError, match=r"Target 3 is out of bounds.*\[0, 3\)") as error:
        funcnet.checked(step)(state, (x, bad))
    assert str(error.value) == eager_message(model(params, x), bad)


def test_checked_step_equals_the_unchecked_and_the_eager_step():
    model, params, x, y = problem()
    step, optimizer = make_step(model, optax.adam(1e-2))
    state = funcnet.init_state(params, optimizer, jax.random.key(0))
    checked_state, checked_metrics = funcnet.checked(step)(state, (x, y))
    jitted_state, jitted_metrics = jax.jit(step)(state, (x, y))
    eager_state, eager_metrics = step(state, (x, y))
    leaves_equal(checked_state, jitted_state)
    assert float(checked_metrics["loss"]) == float(jitted_metrics["loss"])
    for a, b in zip(
        jax.tree_util.tree_leaves(checked_state.params),
        jax.tree_util.tree_leaves(eager_state.params),
        strict=True,
    ):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-15)
    assert float(checked_metrics["loss"]) == pytest.approx(float(eager_metrics["loss"]), 1e-12)


def test_the_unchecked_jitted_path_is_unchanged():
    model, params, x, y = problem(classes=3)
    step, optimizer = make_step(model)
    state = funcnet.init_state(params, optimizer, jax.random.key(0))
    bad = y.at[4].set(3)
    jaxpr = jax.make_jaxpr(step)(state, (x, bad))
    assert not jaxpr.effects and "check" not in str(jaxpr)
    # Still no error under plain jit: that example's loss is nan, as documented.
    _, metrics = jax.jit(step)(state, (x, bad))
    assert np.isnan(float(metrics["loss"]))
    # Checked mode leaves no trace in functions traced afterwards.
    funcnet.checked(step)(state, (x, y))
    assert not jax.make_jaxpr(step)(state, (x, bad)).effects


def test_checked_users_own_function_with_grad_scan_and_vmap():
    model, params, x, y = problem(classes=3)

    def loss(p, xb, yb):
        return funcnet.cross_entropy(model(p, xb), yb)

    def epoch(p, xs, ys):  # a hand-written scan of gradient steps
        def body(p, batch):
            value, grads = jax.value_and_grad(loss)(p, *batch)
            return jax.tree_util.tree_map(lambda w, g: w - 0.1 * g, p, grads), value

        return jax.lax.scan(body, p, (xs, ys))

    xs, ys = x.reshape(5, 10, 6), y.reshape(5, 10)
    good, good_losses = funcnet.checked(epoch)(params, xs, ys)
    expected, expected_losses = jax.jit(epoch)(params, xs, ys)
    leaves_equal(good, expected)
    np.testing.assert_array_equal(good_losses, expected_losses)
    with pytest.raises(ValueError, match=r"Target 7 is out of bounds.*\[0, 3\)"):
        funcnet.checked(epoch)(params, xs, ys.at[3, 2].set(7))
    per_example = jax.vmap(loss, in_axes=(None, 0, 0))
    with pytest.raises(ValueError, match=r"Target -4 is out of bounds"):
        funcnet.checked(per_example)(params, x, y.at[9].set(-4))
    # ignore_index is honoured at run time as it is eagerly.
    ignored = funcnet.checked(lambda p: funcnet.cross_entropy(model(p, x), y.at[0].set(-100)))
    assert np.isfinite(float(ignored(params)))


def test_checked_nll_loss_names_itself():
    log_probs = jnp.log(jnp.full((2, 4), 0.25))
    with pytest.raises(ValueError, match=r"^nll_loss: Target 4 is out of bounds: .*\[0, 4\)"):
        funcnet.checked(funcnet.nll_loss)(log_probs, jnp.array([0, 4]))


# --- divergence ---------------------------------------------------------------------------


def reference_run(model, params, x, y, loss_fn, optimizer, batch_size, key, epochs):
    """fit as a plain loop of jitted steps: (epoch, global step) of the first non-finite loss."""
    step = jax.jit(funcnet.make_train_step(model, loss_fn, optimizer))
    state = funcnet.init_state(params, optimizer, key)
    for epoch in range(1, epochs + 1):
        key, shuffle_key = jax.random.split(state.key)
        order = jax.random.permutation(shuffle_key, x.shape[0])
        state = state._replace(key=key)
        for start in range(0, x.shape[0], batch_size):
            batch = order[start : start + batch_size]
            state, metrics = step(state, (x[batch], y[batch]))
            if not np.isfinite(float(metrics["loss"])):
                return epoch, int(state.step)
    return None


def test_a_nan_in_the_data_stops_fit_at_its_step_with_the_state_before():
    model, params, x, y = problem()
    x = x.at[23].set(jnp.nan)
    kwargs = options(epochs=3, optimizer=optax.adam(1e-2))
    with pytest.raises(funcnet.DivergenceError, match="smaller learning rate") as error:
        funcnet.fit(model, params, (x, y), **kwargs)
    found = reference_run(model, params, x, y, kwargs["loss_fn"], kwargs["optimizer"], 10,
                          kwargs["key"], 3)  # fmt: skip
    assert found == (error.value.epoch, error.value.step) and found[0] == 1
    assert f"epoch 1 (step {found[1]})" in str(error.value)
    assert np.isnan(error.value.loss)
    leaves_equal(error.value.state.params, params)  # nothing of the failing epoch kept
    assert int(error.value.state.step) == 0 and error.value.history == {}
    assert isinstance(error.value, FloatingPointError)


def test_a_too_large_learning_rate_stops_fit_with_the_last_finite_state():
    x = jnp.linspace(-3, 3, 40).reshape(40, 1)
    model = funcnet.Linear(1, 1)
    params = model.init(jax.random.key(0), x.shape)
    kwargs = options(loss_fn=funcnet.mse_loss, optimizer=optax.sgd(5.0), epochs=500)
    with pytest.raises(funcnet.DivergenceError) as error:
        funcnet.fit(model, params, (x, 2 * x), **kwargs)
    failed = error.value.epoch
    assert failed > 1
    found = reference_run(model, params, x, 2 * x, funcnet.mse_loss, kwargs["optimizer"], 10,
                          kwargs["key"], failed)  # fmt: skip
    assert found == (failed, error.value.step)
    assert all_finite(error.value.state.params)
    assert len(error.value.history["loss"]) == failed - 1
    assert np.isfinite(error.value.history["loss"]).all()
    before, history = funcnet.fit(model, params, (x, 2 * x), **(kwargs | {"epochs": failed - 1}))
    leaves_equal(error.value.state, before)
    assert history["loss"] == error.value.history["loss"]


def test_parameters_that_become_non_finite_stop_fit_even_with_a_finite_loss():
    # sqrt has an infinite slope at 0: the loss is 0, the update makes the params nan.
    model = funcnet.Linear(2, 1)
    params = {"weight": jnp.zeros((1, 2)), "bias": jnp.zeros(1)}
    x, y = jnp.ones((8, 2)), jnp.zeros((8, 1))
    loss_fn = lambda outputs, target: jnp.mean(jnp.sqrt(jnp.abs(outputs - target)))  # noqa: E731
    state, metrics = funcnet.make_train_step(model, loss_fn, optax.sgd(0.1))(
        funcnet.init_state(params, optax.sgd(0.1), jax.random.key(0)), (x, y)
    )
    assert float(metrics["loss"]) == 0.0 and not all_finite(state.params)
    with pytest.raises(funcnet.DivergenceError) as error:  # one step per epoch
        funcnet.fit(model, params, (x, y), **options(loss_fn=loss_fn, batch_size=8))
    assert (error.value.epoch, error.value.step) == (1, 1)
    leaves_equal(error.value.state.params, params)


def test_divergence_error_pickles_with_its_attributes():
    import pickle

    error = funcnet.DivergenceError(state=None, history={"loss": [1.0]}, epoch=3, step=7)
    again = pickle.loads(pickle.dumps(error))
    assert (again.epoch, again.step, again.history, str(again)) == (
        3,
        7,
        {"loss": [1.0]},
        str(error),
    )


# --- interruption -----------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import json, signal, sys
    import jax
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp, optax, funcnet

    sys.path.insert(0, {tests!r})
    from helpers import problem
    from test_train_trust import options

    model, params, x, y = problem()
    try:
        funcnet.fit(model, params, (x, y), **options(epochs={epochs}, batch_size=25,
                                                      progress=True))
        print(json.dumps({{"finished": True}}))
    except funcnet.TrainingInterrupted as error:
        funcnet.checkpoint.save({path!r}, error.state)
        print(json.dumps({{
            "epoch": error.epoch, "signal": error.signal,
            "history": len(error.history["loss"]), "step": int(error.state.step),
            "sigterm_restored": signal.getsignal(signal.SIGTERM) is signal.SIG_DFL,
            "keyboard": isinstance(error, KeyboardInterrupt),
        }}))
    """
)


@pytest.mark.parametrize(
    "signal_number", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"]
)
def test_a_real_signal_interrupts_fit_and_resuming_is_bit_exact(tmp_path, signal_number):
    epochs, path = 3000, str(tmp_path / "state.safetensors")  # far more than a signal needs
    script = CHILD.format(tests=os.path.join(ROOT, "tests"), epochs=epochs, path=path)
    log = tmp_path / "stderr.txt"
    with open(log, "w") as stderr:
        child = subprocess.Popen(
            [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, stderr=stderr
        )
        deadline = time.monotonic() + 300
        while f"epoch 1/{epochs}" not in log.read_text() and child.poll() is None:
            assert time.monotonic() < deadline, "the child never finished epoch 1"
            time.sleep(0.01)
        os.kill(child.pid, signal_number)
        out, _ = child.communicate(timeout=300)
    report = json.loads(out.decode().strip().splitlines()[-1])
    name = signal.Signals(signal_number).name
    assert "finished" not in report, "fit ended before the signal arrived"
    assert report["signal"] == name and report["keyboard"] and report["sigterm_restored"]
    done = report["epoch"]
    assert 1 <= done < epochs and report["history"] == done and report["step"] == 2 * done

    model, params, x, y = problem()
    like = funcnet.init_state(params, optax.sgd(0.1), jax.random.key(0))
    interrupted = funcnet.checkpoint.load(path, like=like)
    kwargs = options(batch_size=25)
    resumed, _ = funcnet.fit(model, interrupted, (x, y), **(kwargs | {"epochs": epochs - done}))
    whole, _ = funcnet.fit(model, params, (x, y), **(kwargs | {"epochs": epochs}))
    leaves_equal(resumed, whole)


def signal_in_epoch(monkeypatch, epoch: int, signals: int, *, after_running: bool) -> None:
    """Makes `fit`'s compiled epochs send SIGINT `signals` times in the `epoch`-th call,
    before or after that epoch has run."""
    compiled = funcnet.train._compiled_epoch
    calls = []

    def interrupting(*args):
        epoch_fn = compiled(*args)

        def send():
            if len(calls) == epoch:
                for _ in range(signals):
                    signal.raise_signal(signal.SIGINT)

        def run(*arrays):
            calls.append(1)
            if not after_running:
                send()
            out = epoch_fn(*arrays)
            if after_running:
                send()
            return out

        return run

    monkeypatch.setattr(funcnet.train, "_compiled_epoch", interrupting)


def test_an_interrupt_ends_training_after_the_running_epoch(monkeypatch):
    """In process: SIGINT arrives as the third compiled epoch returns; it completes."""
    model, params, x, y = problem()
    signal_in_epoch(monkeypatch, 3, 1, after_running=True)
    with pytest.raises(funcnet.TrainingInterrupted) as error:
        funcnet.fit(model, params, (x, y), **options(epochs=5))
    assert (error.value.epoch, error.value.signal) == (3, "SIGINT")
    assert len(error.value.history["loss"]) == 3 and int(error.value.state.step) == 15
    monkeypatch.undo()
    three, history = funcnet.fit(model, params, (x, y), **options(epochs=3))
    leaves_equal(error.value.state, three)
    assert history["loss"] == error.value.history["loss"]


def test_a_second_interrupt_drops_the_running_epoch(monkeypatch):
    """Two SIGINTs inside the third epoch: the second raises at once."""
    model, params, x, y = problem()
    signal_in_epoch(monkeypatch, 3, 2, after_running=False)
    with pytest.raises(funcnet.TrainingInterrupted) as error:
        funcnet.fit(model, params, (x, y), **options(epochs=5))
    assert error.value.epoch == 2 and int(error.value.state.step) == 10
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_fit_turns_sigterm_into_an_interrupt_only_while_it_runs():
    model, params, x, y = problem()
    seen = []

    def loss_fn(outputs, target):  # traced inside fit
        seen.append(signal.getsignal(signal.SIGTERM))
        return funcnet.cross_entropy(outputs, target)

    before = signal.getsignal(signal.SIGTERM)
    funcnet.fit(model, params, (x, y), **options(loss_fn=loss_fn, epochs=1))
    assert signal.getsignal(signal.SIGTERM) is before
    if before is signal.SIG_DFL:
        assert callable(seen[0])

    def own(number, frame):
        pass

    previous = signal.signal(signal.SIGTERM, own)
    try:
        seen.clear()
        funcnet.fit(model, params, (x, y), **options(loss_fn=loss_fn, epochs=1, batch_size=25))
        assert seen[0] is own  # a program's own handler is left in place
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_training_interrupted_message_says_how_to_resume():
    error = funcnet.TrainingInterrupted(state=None, history={}, epoch=1, signal="SIGTERM")
    assert isinstance(error, KeyboardInterrupt)
    assert "interrupted by SIGTERM after 1 completed epoch;" in str(error)
    assert "fit(model, error.state, ...)" in str(error)


# --- softmax before cross_entropy ----------------------------------------------------------


@pytest.mark.parametrize("last", [funcnet.Softmax(), funcnet.LogSoftmax()])
def test_a_final_softmax_before_cross_entropy_warns_once(last):
    model, params, x, y = problem()
    model = funcnet.Sequential(model, last)  # nested: the last layer is still found
    with pytest.warns(funcnet.DoubleSoftmaxWarning) as record:
        funcnet.fit(model, (params, {}), (x, y), **options(epochs=3))
    assert len(record) == 1
    assert f"Fix: drop the final {type(last).__name__}" in str(record[0].message)
    assert "cross_entropy takes logits" in str(record[0].message)
    assert record[0].filename == __file__
    with pytest.warns(funcnet.DoubleSoftmaxWarning) as record:
        funcnet.make_train_step(model, funcnet.cross_entropy, optax.sgd(0.1))
    assert len(record) == 1 and record[0].filename == __file__
    assert issubclass(funcnet.DoubleSoftmaxWarning, UserWarning)


@pytest.mark.parametrize(
    ("last", "loss_fn"),
    [
        (funcnet.LogSoftmax(), funcnet.nll_loss),
        (funcnet.Tanh(), funcnet.cross_entropy),
        (funcnet.Softmax(), funcnet.mse_loss),
    ],
)
def test_no_warning_where_the_loss_expects_what_the_model_gives(last, loss_fn):
    model = funcnet.Sequential(funcnet.Linear(4, 3), last)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        funcnet.make_train_step(model, loss_fn, optax.sgd(0.1))


# --- one name for the held-out split ----------------------------------------------------


def test_validation_has_one_name_in_history_and_on_the_console(capsys):
    model, params, x, y = problem(count=60)
    _, history = funcnet.fit(
        model,
        params,
        (x[:40], y[:40]),
        validation=(x[40:], y[40:]),
        **options(progress=True),
    )
    assert list(history) == ["loss", "accuracy", "val_loss", "val_accuracy", "seconds"]
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 2
    for line, epoch in zip(lines, range(2), strict=True):
        assert f"val_loss {history['val_loss'][epoch]:.4f}" in line
        assert f"val_accuracy {history['val_accuracy'][epoch]:.4f}" in line
        assert "test" not in line

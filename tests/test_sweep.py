"""`funcnet.sweep`: every run equals the single `fit`, whatever the chunking or the devices.

The reference for each run is `fit` with the keys the sweep documents,
`init_key, train_key = jax.random.split(jax.random.key(seed))`, and the run's
hyperparameters. In float64 the two agree to 1e-12 (with `optax.adam(lr)` as fit's
optimizer). In float32 they agree to `FLOAT32_TOLERANCE` with fit given the same
injected optimizer the sweep uses: only the order of the sums in the vmapped products
differs. (`optax.adam(lr)` itself differs from `optax.inject_hyperparams(optax.adam)`
in float32, by about 1e-5 after eight steps: it rounds `1 - b1` from Python's float64,
the injected one computes it in float32.)
"""

import json
import os
import signal
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest

import funcnet
from funcnet import _sweep_epochs, checkpoint
from funcnet.models import ACTIVATIONS, mlp
from funcnet.sweep import SweepHistory, SweepInterrupted, SweepRun

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# Absolute, on parameters and figures of order 1 after 8 Adam steps: about 17 float32
# ulps (2**-23 = 1.2e-7); measured differences are 0.9e-7 to 3.3e-7.
FLOAT32_TOLERANCE = 2e-6
FLOAT64_TOLERANCE = 1e-12


def classification(count=30, features=4, classes=3, seed=0):
    kx, kw = jax.random.split(jax.random.key(seed))
    x = jax.random.normal(kx, (count, features))
    y = jnp.argmax(x @ jax.random.normal(kw, (features, classes)), axis=-1).astype(jnp.int32)
    return x, y


# Built once, so the compiled epochs are reused across tests.
GRID_MODELS = {name: mlp(4, 6, 3, activation=name) for name in ("sigmoid", "relu")}
STATEFUL = funcnet.Sequential(
    funcnet.Linear(4, 6),
    funcnet.BatchNorm1d(6),
    funcnet.ReLU(),
    funcnet.Dropout(0.25),
    funcnet.Linear(6, 3),
)
SGD = optax.sgd(0.1)
ADAM = {lr: optax.adam(lr) for lr in (0.05, 0.2)}
LINEAR = funcnet.Linear(3, 1)


@pytest.fixture
def float32():
    """JAX's default precision; the tests' conftest turns float64 on."""
    before = jax.config.jax_enable_x64
    jax.config.update("jax_enable_x64", False)
    yield
    jax.config.update("jax_enable_x64", before)


def run_fit(model, run, data, optimizer, **options):
    init_key, train_key = jax.random.split(jax.random.key(run.seed))
    params = model.init(init_key, data[0].shape)
    return funcnet.fit(
        model,
        params,
        data,
        loss_fn=funcnet.cross_entropy,
        optimizer=optimizer,
        key=train_key,
        progress=False,
        **options,
    )


def assert_close(ours, theirs, tolerance):
    for left, right in zip(jax.tree.leaves(ours), jax.tree.leaves(theirs), strict=True):
        if jnp.issubdtype(left.dtype, jax.dtypes.prng_key):
            left, right = jax.random.key_data(left), jax.random.key_data(right)
        np.testing.assert_allclose(np.asarray(left), np.asarray(right), rtol=0, atol=tolerance)


def grid_sweep(data, validation=None, seeds=(0, 7), rates=(0.05, 0.2), models=GRID_MODELS):
    return funcnet.sweep(
        models,
        data,
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.adam,
        hyperparameters={"learning_rate": list(rates)},
        seeds=list(seeds),
        epochs=2,
        batch_size=8,
        validation=validation,
        progress=False,
    )


def check_runs_equal_fit(state, history, data, validation, optimizer_of, tolerance):
    models = list(GRID_MODELS.values())
    for run in history.runs:
        reference, figures = run_fit(
            models[run.model],
            run,
            data,
            optimizer_of(run.hyperparameters["learning_rate"]),
            epochs=2,
            batch_size=8,
            validation=validation,
        )
        mine = funcnet.select_run(state, run.index)
        assert_close(
            (mine.params, mine.model_state, mine.step),
            (reference.params, reference.model_state, reference.step),
            tolerance,
        )
        assert_close(mine.key, reference.key, 0)
        for name in figures:
            if name != "seconds":
                np.testing.assert_allclose(
                    history.figures[name][run.index], figures[name], rtol=0, atol=tolerance
                )


@pytest.fixture(scope="module")
def float64_grid():
    """Two activations x two learning rates x two seeds, in float64, with validation."""
    data, validation = classification(), classification(12, seed=3)
    return data, validation, *grid_sweep(data, validation)


def test_every_run_equals_fit_in_float64(float64_grid):
    data, validation, state, history = float64_grid
    assert [
        (run.model, run.hyperparameters["learning_rate"], run.seed) for run in history.runs
    ] == [(m, lr, s) for m in (0, 1) for lr in (0.05, 0.2) for s in (0, 7)]
    assert list(history.figures) == ["loss", "accuracy", "val_loss", "val_accuracy"]
    check_runs_equal_fit(state, history, data, validation, ADAM.get, FLOAT64_TOLERANCE)


def test_every_run_equals_fit_in_float32(float32):
    # fit with the injected optimizer: optax.adam(lr) itself differs from it by float32
    # rounding of its constants (1 - b1), which the updates then carry along. 32
    # examples: no ragged last batch, so the compiled epoch is smaller.
    data = classification(32)
    state, history = grid_sweep(data, rates=(0.05,), models=[GRID_MODELS["sigmoid"]])
    injected = optax.inject_hyperparams(optax.adam)(learning_rate=0.05)
    check_runs_equal_fit(state, history, data, None, lambda _: injected, FLOAT32_TOLERANCE)


def test_a_model_with_state_and_dropout_equals_fit_in_chunks():
    data = classification(32)
    # Chunks of 2: the second holds run 2 and a copy of it, dropped at the end.
    state, history = funcnet.sweep(
        STATEFUL,
        data,
        loss_fn=funcnet.cross_entropy,
        optimizer=SGD,
        seeds=3,
        epochs=2,
        batch_size=8,
        max_parallel=2,
        progress=False,
    )
    assert state.step.shape == (3,)
    for run in history.runs:
        reference, figures = run_fit(STATEFUL, run, data, SGD, epochs=2, batch_size=8)
        assert_close(funcnet.select_run(state, run.index), reference, FLOAT64_TOLERANCE)
        assert int(reference.step) == 8
        np.testing.assert_allclose(
            history.figures["loss"][run.index], figures["loss"], rtol=0, atol=FLOAT64_TOLERANCE
        )


def test_a_selected_run_evaluates_predicts_saves_and_trains_on(tmp_path, float64_grid):
    data, validation, state, history = float64_grid
    best = history.best()
    assert best == int(np.nanargmin(history.final("val_loss")))
    run, model = history.runs[best], list(GRID_MODELS.values())[history.runs[best].model]
    chosen = funcnet.select_run(state, best)
    scores = funcnet.evaluate(model, chosen, validation, loss_fn=funcnet.cross_entropy)
    assert scores["loss"] == pytest.approx(history.final("val_loss")[best], abs=1e-12)
    assert funcnet.predict(model, chosen, validation[0]).shape == (12, 3)
    checkpoint.save(tmp_path / "best.safetensors", chosen)
    assert_close(checkpoint.load(tmp_path / "best.safetensors", like=chosen), chosen, 0)
    # The sweep's optimizer state continues under fit with the same injected optimizer.
    optimizer = optax.inject_hyperparams(optax.adam)(**run.hyperparameters)
    more, _ = funcnet.fit(
        model,
        chosen,
        data,
        loss_fn=funcnet.cross_entropy,
        optimizer=optimizer,
        epochs=1,
        batch_size=8,
        progress=False,
    )
    assert int(more.step) == int(chosen.step) + 4


def regression(count=24):
    x = jax.random.normal(jax.random.key(0), (count, 3))
    return x, x @ jnp.array([[1.0], [-2.0], [0.5]])


def linear_sweep(rates, **options):
    return funcnet.sweep(
        LINEAR,
        regression(),
        loss_fn=funcnet.mse_loss,
        optimizer=optax.sgd,
        hyperparameters={"learning_rate": rates},
        seeds=2,
        batch_size=4,
        **{"epochs": 3, "progress": False, **options},
    )


def test_any_chunking_gives_the_same_runs():
    whole, history = linear_sweep([0.05, 0.1])
    chunked, again = linear_sweep([0.05, 0.1], max_parallel=3)  # two chunks of 2
    assert_close(chunked, whole, FLOAT64_TOLERANCE)
    np.testing.assert_allclose(
        again.figures["loss"], history.figures["loss"], rtol=0, atol=FLOAT64_TOLERANCE
    )


def test_a_diverging_run_stops_with_its_last_finite_state_and_the_others_go_on(capsys, float32):
    state, history = linear_sweep([0.05, 1e4], progress=True)
    assert history.diverged == {2: 1, 3: 1}
    assert np.isnan(history.figures["loss"][2:]).all()
    assert np.isfinite(history.figures["loss"][:2]).all()
    assert_close(
        funcnet.select_run(state, 3).params,
        LINEAR.init(jax.random.split(jax.random.key(1))[0], (24, 3)),
        0,
    )
    assert int(funcnet.select_run(state, 3).step) == 0
    assert history.best() in (0, 1)
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 3 and "epoch 3/3  4 runs  best (run " in lines[-1]
    assert "2 diverged" in lines[-1] and "|  median loss " in lines[-1]


def test_when_every_run_diverges_the_sweep_raises(float32):
    with pytest.raises(funcnet.DivergenceError, match=r"became (nan|inf) in epoch 1") as error:
        linear_sweep([1e4])
    assert int(error.value.state.step[0]) == 0
    assert error.value.history.figures["loss"].shape == (2, 0)


def test_an_interrupt_stops_the_sweep_after_the_running_epoch(monkeypatch, float32):
    compiled, calls = _sweep_epochs.compiled_epoch, []

    def interrupting(*args):
        epoch = compiled(*args)

        def run(*arrays):
            out = epoch.run(*arrays)
            calls.append(1)
            if len(calls) == 2:
                signal.raise_signal(signal.SIGINT)
            return out

        return epoch._replace(run=run)

    monkeypatch.setattr(_sweep_epochs, "compiled_epoch", interrupting)
    with pytest.raises(SweepInterrupted, match="after 2 completed epochs") as error:
        linear_sweep([0.05], epochs=4)
    monkeypatch.undo()
    two, history = linear_sweep([0.05], epochs=2)
    assert error.value.epoch == 2 and error.value.signal == "SIGINT"
    assert_close(error.value.state, two, 0)
    np.testing.assert_array_equal(error.value.history.figures["loss"], history.figures["loss"])
    assert isinstance(error.value, funcnet.TrainingInterrupted)


def test_an_interrupted_sweep_resumed_equals_the_uninterrupted_one(monkeypatch, float32):
    # Batch norm, dropout, chunks of 2 (the second padded) and a run that diverges
    # before the interruption: everything a sweep carries from epoch to epoch.
    options = dict(
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.sgd,
        hyperparameters={"learning_rate": [0.1, 1e30]},
        seeds=2,
        batch_size=8,
        max_parallel=2,
        progress=False,
    )
    data = classification(32)
    whole, history = funcnet.sweep(STATEFUL, data, epochs=5, **options)
    assert set(history.diverged) == {2, 3}
    compiled, calls = _sweep_epochs.compiled_epoch, []

    def interrupting(*args):
        epoch = compiled(*args)

        def run(*arrays):
            calls.append(1)
            if len(calls) == 2 * 2:  # both chunks of epoch 2 are done
                signal.raise_signal(signal.SIGINT)
            return epoch.run(*arrays)

        return epoch._replace(run=run)

    monkeypatch.setattr(_sweep_epochs, "compiled_epoch", interrupting)
    with pytest.raises(SweepInterrupted, match="after 2 completed epochs") as error:
        funcnet.sweep(STATEFUL, data, epochs=5, **options)
    monkeypatch.undo()
    state, again = funcnet.sweep(STATEFUL, data, epochs=5, resume=error.value, **options)
    assert_close(state, whole, 0)
    np.testing.assert_array_equal(again.figures["loss"], history.figures["loss"])
    assert again.diverged == history.diverged and len(again.seconds) == 5
    # Resuming from (state, history) of a finished shorter sweep is the same.
    first = funcnet.sweep(STATEFUL, data, epochs=2, **options)
    state, _ = funcnet.sweep(STATEFUL, data, epochs=5, resume=first, **options)
    assert_close(state, whole, 0)


def test_resume_refuses_another_sweeps_state_or_nothing_left_to_train(float32):
    state, history = linear_sweep([0.05], epochs=2)
    with pytest.raises(ValueError, match="already completed 2 epochs; epochs=2 is the total"):
        linear_sweep([0.05], epochs=2, resume=(state, history))
    with pytest.raises(ValueError, match=r"from a sweep of 2 runs .* make 4 runs"):
        linear_sweep([0.05, 0.1], epochs=3, resume=(state, history))
    with pytest.raises(TypeError, match="resume must be the SweepInterrupted"):
        linear_sweep([0.05], epochs=3, resume=state)
    wider = funcnet.Linear(3, 2)
    other = r"state.params\['bias'\] is float32\[2, 1\], but this sweep's is float32\[2, 2\]"
    with pytest.raises(ValueError, match=other):
        funcnet.sweep(
            wider, regression(), loss_fn=funcnet.mse_loss, optimizer=optax.sgd,
            hyperparameters={"learning_rate": [0.05]}, seeds=2, batch_size=4, epochs=3,
            progress=False, resume=(state, history),
        )  # fmt: skip


MESH_CHILD = textwrap.dedent(
    """
    import json
    import jax, jax.numpy as jnp, numpy as np, optax, funcnet
    x = jax.random.normal(jax.random.key(0), (24, 3))
    y = x @ jnp.array([[1.0], [-2.0], [0.5]])
    kwargs = dict(loss_fn=funcnet.mse_loss, optimizer=optax.sgd, seeds=4, epochs=2,
                  hyperparameters={"learning_rate": [0.05, 0.1]}, batch_size=4, progress=False)
    model = funcnet.Linear(3, 1)
    alone, _ = funcnet.sweep(model, (x, y), **kwargs)
    shared, history = funcnet.sweep(model, (x, y), devices=4, **kwargs)
    print(json.dumps({
        "devices": len(jax.devices()),
        "spec": str(shared.params["weight"].sharding.spec),
        "shards": len(shared.params["weight"].sharding.device_set),
        "differ": max(float(jnp.max(jnp.abs(a - b))) for a, b in zip(
            jax.tree.leaves(alone.params), jax.tree.leaves(shared.params))),
        "runs": len(history),
    }))
    """
)


def test_the_run_axis_splits_over_a_mesh_of_four_devices():
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=4",
        "JAX_PLATFORMS": "cpu",
    }
    done = subprocess.run(
        [sys.executable, "-c", MESH_CHILD],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["devices"] == 4 and report["runs"] == 8
    assert report["spec"] == "P('runs',)" and report["shards"] == 4
    assert report["differ"] <= FLOAT32_TOLERANCE


# --- the history ------------------------------------------------------------------------


def history_of_four():
    runs = tuple(SweepRun(i, i // 2, {"learning_rate": 0.1}, i % 2) for i in range(4))
    figures = {
        "loss": np.array([[1.0, 0.5], [1.0, 0.2], [1.0, np.nan], [1.0, 0.3]]),
        "val_accuracy": np.array([[0.1, 0.5], [0.2, 0.6], [0.3, np.nan], [0.4, 0.9]]),
    }
    return SweepHistory(runs, ("relu", "tanh"), figures, (0.5, 0.25), {2: 2})


def test_history_ranks_groups_and_tabulates_runs():
    history = history_of_four()
    assert len(history) == 4
    assert history.best() == 1 and history.best("val_accuracy") == 3
    assert history.group("model") == {("relu",): [0, 1], ("tanh",): [2, 3]}
    assert history.group("learning_rate", "seed")[(0.1, 0)] == [0, 2]
    row = history.rows()[2]
    assert row["model"] == "tanh" and row["diverged"] == 2 and np.isnan(row["loss"])
    document = json.loads(json.dumps(history.as_dict()))
    assert document["figures"]["loss"][2] == [1.0, None] and document["diverged"] == {"2": 2}


def test_history_errors_name_what_was_recorded():
    history = history_of_four()
    with pytest.raises(KeyError, match=r"no figure 'accuracy'; the sweep recorded \['loss'"):
        history.final("accuracy")
    with pytest.raises(KeyError, match=r"cannot group by \['depth'\]"):
        history.group("depth")
    nan = {"loss": np.full((4, 2), np.nan)}
    with pytest.raises(ValueError, match="no run has a finite loss: every run diverged"):
        SweepHistory(history.runs, history.model_names, nan, (), {}).best()


def test_select_run_refuses_what_is_not_a_stacked_state():
    stacked = funcnet.TrainState(jnp.zeros((3, 2)), (), jnp.arange(3), jnp.zeros(3))
    with pytest.raises(ValueError, match=r"run must be in \[-3, 3\) for a sweep of 3 runs, got 3"):
        funcnet.select_run(stacked, 3)
    with pytest.raises(TypeError, match=r"run must be an int, got 1\.0"):
        funcnet.select_run(stacked, 1.0)
    with pytest.raises(TypeError, match="state must be the stacked TrainState sweep returned"):
        funcnet.select_run({"params": 1}, 0)
    single = funcnet.select_run(stacked, 0)
    with pytest.raises(ValueError, match=r"state has no run axis \(its step has shape \(\)"):
        funcnet.select_run(single, 0)


def test_chunks_are_consecutive_and_padded_for_the_devices():
    chunks = _sweep_epochs.plan([0, 0, 0, 1, 1], max_parallel=4, multiple=2)
    assert [chunk.runs for chunk in chunks] == [(0, 1, 2, 3), (4, 4, 4, 4)]
    assert [chunk.count for chunk in chunks] == [4, 1]
    assert [chunk.models for chunk in chunks] == [(0, 1), (1,)]
    assert _sweep_epochs.plan([0] * 3, max_parallel=1, multiple=2)[0].runs == (0, 1)
    # Even chunks: 9 runs in chunks of at most 8 are two chunks of 5, not 8 and 1.
    assert [c.count for c in _sweep_epochs.plan([0] * 9, max_parallel=8)] == [5, 4]


def test_the_automatic_chunk_size_follows_the_memory_estimate(monkeypatch):
    x, y = classification()
    state = jax.eval_shape(lambda k: (STATEFUL.init(k, x.shape),), jax.random.key(0))
    per_run = _sweep_epochs.bytes_per_run([STATEFUL], state, x, y, batch_size=8)
    # The data twice, four copies of the parameters, three of the layer outputs.
    size = x.dtype.itemsize
    params = (4 * 6 + 6 + 6 + 6 + 6 * 3 + 3) * size
    outputs = 8 * (6 + 6 + 6 + 6 + 3) * size
    assert per_run == 2 * (x.nbytes + y.nbytes) + 4 * params + 3 * outputs
    monkeypatch.setattr(_sweep_epochs, "memory_budget", lambda: 10 * per_run + 5)
    assert _sweep_epochs.automatic_parallel(per_run) == 10
    assert _sweep_epochs.automatic_parallel(per_run, devices=4) == 40


# --- bad arguments ----------------------------------------------------------------------

DATA = classification()


def call(**changes):
    arguments = dict(
        models=GRID_MODELS,
        data=DATA,
        loss_fn=funcnet.cross_entropy,
        optimizer=SGD,
        epochs=1,
        batch_size=8,
        progress=False,
    )
    arguments.update(changes)
    return funcnet.sweep(arguments.pop("models"), arguments.pop("data"), **arguments)


@pytest.mark.parametrize(
    ("changes", "error", "message"),
    [
        ({"models": []}, ValueError, "sweep: models is empty"),
        ({"models": "mlp"}, TypeError, "models must be a layer, a list of layers or a dict"),
        ({"models": [funcnet.Linear(4, 3), print]}, TypeError, r"models\[1\] must be a funcnet"),
        (
            {"models": [mlp(4, 6, 3), mlp(4, 7, 3)]},
            ValueError,
            r"models\[1\] has parameters shaped differently from models\[0\]: 0.bias is "
            r"\(7,\) float64, not \(6,\) float64",
        ),
        (
            {"models": [STATEFUL, mlp(4, 6, 3)]},
            ValueError,
            "models.1. has parameters shaped differently from models.0.: 1.bias is missing",
        ),
        ({"data": DATA[0]}, TypeError, "sweep: data must be a pair"),
        ({"data": (DATA[0][:0], DATA[1][:0])}, ValueError, "data has no examples"),
        ({"data": (DATA[0], DATA[1][:5])}, ValueError, "x and y must have the same number"),
        ({"data": (DATA[0], DATA[1] + 3)}, ValueError, r"Target \d+ is out of bounds"),
        ({"validation": (DATA[0], DATA[1] + 3)}, ValueError, r"Target \d+ is out of bounds"),
        ({"validation": DATA[0]}, TypeError, "sweep: validation must be a pair"),
        ({"epochs": 0}, ValueError, "sweep: epochs must be a positive int, got 0"),
        ({"batch_size": 2.5}, TypeError, "sweep: batch_size must be a positive int"),
        ({"batch_size": 64, "drop_last": True}, ValueError, "leaves no batch to train on"),
        ({"drop_last": 1}, TypeError, "sweep: drop_last must be True or False"),
        ({"progress": "yes"}, TypeError, "sweep: progress must be True or False"),
        ({"seeds": 0}, ValueError, "sweep: seeds must be a positive int, got 0"),
        ({"seeds": []}, ValueError, "sweep: seeds is empty"),
        ({"seeds": [1, -2]}, ValueError, r"seeds\[1\] must be a non-negative int, got -2"),
        ({"seeds": [1, 2, 1]}, ValueError, r"seeds repeats \[1\]; each seed makes one run"),
        ({"seeds": [0.5]}, TypeError, r"seeds\[0\] must be a non-negative int"),
        ({"max_parallel": 0}, ValueError, "sweep: max_parallel must be a positive int, got 0"),
        ({"optimizer": "adam"}, TypeError, "optimizer must be an optax GradientTransformation"),
        ({"optimizer": optax.adam}, TypeError, r"optimizer is a function \(adam\) but no hyper"),
        (
            {"hyperparameters": {"learning_rate": [0.1]}},
            TypeError,
            "need optimizer to be a function of them",
        ),
        (
            {"optimizer": optax.adam, "hyperparameters": [0.1]},
            TypeError,
            "hyperparameters must be a dict name -> list of values",
        ),
        (
            {"optimizer": optax.adam, "hyperparameters": {"learning_rate": []}},
            ValueError,
            r"hyperparameters\['learning_rate'\] is empty",
        ),
        (
            {"optimizer": optax.adam, "hyperparameters": {"learning_rate": ["0.1"]}},
            TypeError,
            r"hyperparameters\['learning_rate'\]\[0\] must be a real number, got '0.1'",
        ),
        (
            {"optimizer": optax.adam, "hyperparameters": {"lr": [0.1]}},
            ValueError,
            r"the optimizer function takes \['learning_rate', .*\], not \['lr'\]",
        ),
        ({"devices": 64}, ValueError, "devices=64 asks for 64 devices"),
    ],
)
def test_bad_arguments_are_refused_before_compiling(changes, error, message):
    with pytest.raises(error, match=message):
        call(**changes)


def test_a_final_softmax_warns_as_fit_does():
    model = funcnet.Sequential(funcnet.Linear(4, 3), funcnet.Softmax(dim=1))
    warns = pytest.warns(funcnet.DoubleSoftmaxWarning, match="cross_entropy applies log_softmax")
    with warns, pytest.raises(ValueError, match="max_parallel"):  # stops before compiling
        call(models=model, max_parallel=0)


# --- models for sweeps ------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_mlp_models_of_every_activation_share_their_parameters(name):
    model = mlp(10, (5, 4), 8, activation=name)
    assert type(model[1]) is type(ACTIVATIONS[name]()) and len(model) == 5
    shapes = jax.eval_shape(lambda k: model.init(k, (2, 10)), jax.random.key(0))
    relu = jax.eval_shape(lambda k: mlp(10, (5, 4), 8).init(k, (2, 10)), jax.random.key(0))
    assert shapes == relu


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ((10, 5, 8, "swish"), ValueError, "mlp: activation must be 'relu', 'sigmoid', .*'swish'"),
        ((10, (), 8, "relu"), ValueError, "mlp: hidden is empty"),
        ((10, "5", 8, "relu"), TypeError, "mlp: hidden must be an int or a sequence of ints"),
        ((10, (5, 0), 8, "relu"), ValueError, r"mlp: hidden\[1\] must be a positive int, got 0"),
        ((0, 5, 8, "relu"), ValueError, "mlp: in_features must be a positive int, got 0"),
        ((10, 5, 2.0, "relu"), TypeError, "mlp: classes must be a positive int"),
    ],
)
def test_mlp_refuses_bad_arguments(arguments, error, message):
    *sizes, activation = arguments
    with pytest.raises(error, match=message):
        mlp(*sizes, activation=activation)

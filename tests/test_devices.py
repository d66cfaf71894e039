"""Data parallelism on JAX's sharding: meshes, their errors, and training on N devices.

The tests in this process see JAX's one CPU device. Everything that needs several
devices runs `tests/devices_worker.py` in a subprocess whose `XLA_FLAGS` simulates
them (XLA reads the flag once, when JAX starts), and compares what it wrote.

Tolerances, measured on the digits MLP (Adam, 1,437 examples, batch 32, 2 epochs:
90 steps, the last one ragged): on 4 devices the params differ from one device's by
at most ~2.4e-7 in float32 (a few ulps; the gradient sums are added in another order)
and ~2e-15 in float64. The tests allow 2e-6 (float32) and 1e-12 (float64).
"""

from __future__ import annotations

import os
import pathlib
import socket
import subprocess
import sys

import jax
import jax.numpy as jnp
import numpy as np
import optax
import pytest
from jax.sharding import AbstractMesh, Mesh

import funcnet
import funcnet.evaluation
import funcnet.train
from funcnet import devices

ROOT = pathlib.Path(__file__).resolve().parent.parent
WORKER = ROOT / "tests" / "devices_worker.py"
FLOAT32 = 2e-6
FLOAT64 = 1e-12


# --- meshes and their errors, on the one device of this process -----------------------


def test_a_mesh_over_every_device_by_default():
    grid = devices.mesh()
    assert grid.axis_names == ("batch",) and grid.devices.size == len(jax.devices())
    assert devices.mesh(1, axis="runs").axis_names == ("runs",)
    assert list(devices.mesh(jax.devices()[:1]).devices.flat) == jax.devices()[:1]
    assert devices.mesh(grid) is grid


def test_describe_names_kind_count_processes_and_mesh():
    assert devices.describe(devices.mesh(1)) == (
        "1 device of kind 'cpu' (platform cpu) in 1 process; mesh batch=1"
    )


def test_asking_for_more_devices_than_exist_says_how_to_simulate_them():
    wanted = len(jax.devices()) + 1
    with pytest.raises(
        ValueError,
        match=r"jax\.devices\(\) lists 1 \(cpu\).*"
        r"XLA_FLAGS=--xla_force_host_platform_device_count=N",
    ):
        devices.mesh(wanted)


@pytest.mark.parametrize(
    ("given", "error", "match"),
    [
        (0, ValueError, r"devices must be a positive int, got 0"),
        (True, TypeError, r"devices must be a positive int"),
        ("2", TypeError, r"devices must be None \(every device\), an int .* got str"),
        (2.0, TypeError, r"got float"),
        ([], ValueError, r"empty sequence"),
        ([0], TypeError, r"must hold jax\.Device values .* got int"),
    ],
)
def test_bad_devices_are_refused(given, error, match):
    with pytest.raises(error, match=match):
        devices.mesh(given)


def test_a_device_listed_twice_is_refused():
    with pytest.raises(ValueError, match="lists a device more than once"):
        devices.mesh(jax.devices()[:1] * 2)


def test_a_mesh_without_the_axis_is_refused():
    grid = Mesh(np.array(jax.devices()[:1]), ("data",))
    with pytest.raises(ValueError, match=r"has axes \('data',\).*named 'batch'"):
        devices.mesh(grid)
    with pytest.raises(TypeError, match="axis must be a non-empty str"):
        devices.mesh(1, axis="")


def test_split_and_replicated_shardings():
    grid = devices.mesh(1)
    assert devices.split(grid).spec == jax.sharding.PartitionSpec("batch")
    assert devices.split(grid, dim=1).spec == jax.sharding.PartitionSpec(None, "batch")
    assert devices.replicated(grid).spec == jax.sharding.PartitionSpec()
    with pytest.raises(ValueError, match="split: dim must be a non-negative int, got -1"):
        devices.split(grid, dim=-1)


def test_replicate_places_every_leaf_keys_included():
    grid = devices.mesh(1)
    tree = devices.replicate({"key": jax.random.key(0), "w": jnp.ones(2)}, grid)
    assert all(leaf.sharding == devices.replicated(grid) for leaf in jax.tree.leaves(tree))
    assert jax.random.key_data(tree["key"]).tolist() == [0, 0]


def test_a_batch_the_devices_do_not_divide_is_refused():
    four = AbstractMesh((4,), ("batch",))
    assert devices.split_batches(32, four, "fit") == 8
    with pytest.raises(
        ValueError,
        match=r"fit: batch_size=30 does not split evenly over "
        r"the mesh's 4 devices.*multiple of 4, e.g\. 28 or 32",
    ):
        devices.split_batches(30, four, "fit")
    with pytest.raises(ValueError, match=r"multiple of 4, e\.g\. 4\.$"):
        devices.split_batches(3, four, "fit")


def test_padding_repeats_the_first_examples():
    four = AbstractMesh((4,), ("batch",))
    assert devices.pad_examples(jnp.arange(5), four).tolist() == [0, 1, 2, 3, 4, 0, 1, 2]
    assert devices.pad_examples(jnp.arange(1), four).tolist() == [0, 0, 0, 0]
    assert devices.pad_examples(jnp.ones((8, 2)), four).shape == (8, 2)


# --- the training functions on a one-device mesh ---------------------------------------


def _problem():
    x = jax.random.normal(jax.random.key(0), (50, 3))
    y = (x[:, 0] > 0).astype(jnp.int32)
    model = funcnet.Sequential(funcnet.Linear(3, 8), funcnet.ReLU(), funcnet.Linear(8, 2))
    return model, model.init(jax.random.key(1), x.shape), x, y


def _fit(devices=None, **overrides):
    model, params, x, y = _problem()
    options = dict(
        loss_fn=funcnet.cross_entropy,
        optimizer=optax.adam(0.05),
        epochs=2,
        batch_size=16,
        key=jax.random.key(2),
        progress=False,
        validation=(x, y),
    )
    return funcnet.fit(model, params, (x, y), devices=devices, **options | overrides)


def test_fit_on_a_one_device_mesh_matches_the_default_device():
    plain, history = _fit()
    meshed, meshed_history = _fit(devices=1)
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(meshed), strict=True):
        np.testing.assert_allclose(np.asarray(_data(a)), np.asarray(_data(b)), rtol=1e-6)
    assert meshed.params[0]["weight"].sharding.spec == jax.sharding.PartitionSpec()
    np.testing.assert_allclose(history["val_loss"], meshed_history["val_loss"], rtol=1e-6)


def _data(leaf):
    return jax.random.key_data(leaf) if jnp.issubdtype(leaf.dtype, jax.dtypes.prng_key) else leaf


def test_evaluate_and_predict_on_a_mesh_match_the_default_device():
    model, params, x, y = _problem()
    plain = funcnet.evaluate(model, params, (x, y), loss_fn=funcnet.cross_entropy)
    meshed = funcnet.evaluate(model, params, (x, y), loss_fn=funcnet.cross_entropy, devices=1)
    assert meshed == pytest.approx(plain, rel=1e-6)
    outputs = funcnet.predict(model, params, x, batch_size=16, devices=1)
    np.testing.assert_allclose(outputs, model(params, x), rtol=1e-6)


def test_fit_refuses_missing_devices_before_compiling():
    with pytest.raises(ValueError, match=r"devices=2 asks for 2 devices.*lists 1"):
        _fit(devices=2)


def test_evaluation_names_are_still_importable_from_train():
    from funcnet.train import evaluate, per_example_grads, predict

    assert evaluate is funcnet.evaluation.evaluate is funcnet.evaluate
    assert predict is funcnet.evaluation.predict
    assert per_example_grads is funcnet.evaluation.per_example_grads
    with pytest.raises(AttributeError, match="has no attribute 'nothing'"):
        funcnet.train.nothing  # noqa: B018


# --- several simulated devices and processes, in subprocesses -------------------------


def _run(*arguments: str) -> subprocess.Popen:
    """Start the worker; XLA_FLAGS of this process are not inherited."""
    environment = {k: v for k, v in os.environ.items() if k not in {"XLA_FLAGS"}}
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT), environment.get("PYTHONPATH", "")])
    return subprocess.Popen(
        [sys.executable, str(WORKER), *arguments],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait(*processes: subprocess.Popen) -> None:
    for process in processes:
        output, _ = process.communicate(timeout=300)
        assert process.returncode == 0, output[-3000:]


def _largest_difference(results, label: str, reference, of: str) -> float:
    """The largest difference of any param or buffer between runs `label` and `of`."""
    prefix = f"{of}/param:"
    names = [key.removeprefix(prefix) for key in reference.files if key.startswith(prefix)]
    assert names
    return max(
        float(np.max(np.abs(reference[f"{of}/param:{name}"] - results[f"{label}/param:{name}"])))
        for name in names
    )


def test_four_devices_match_one_in_float32(tmp_path):
    out = tmp_path / "float32.npz"
    _wait(_run(str(out), "--simulate", "4", "--runs", "none,4"))
    results = np.load(out)
    assert int(results["device_count"]) == 4
    assert _largest_difference(results, "mlp/4", results, "mlp/none") <= FLOAT32
    assert int(results["mlp/4/step"]) == 90  # 2 x (44 full batches and the ragged one)
    np.testing.assert_allclose(results["mlp/4/loss"], results["mlp/none/loss"], rtol=1e-5)
    np.testing.assert_allclose(
        results["mlp/4/outputs"], results["mlp/none/outputs"], rtol=1e-4, atol=1e-5
    )
    assert "batch_size=5 does not split evenly over the mesh's 4 devices" in str(
        results["mlp/error:batch_size"]
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_float64_two_processes_and_checkpoints_match_one_device(tmp_path):
    """In float64 the runs agree to 1e-12: on 4 simulated devices in one process; on
    2 processes x 2 devices joined over loopback by `jax.distributed` (the multi-host
    recipe); and through checkpoints saved on the mesh and loaded on one device and
    back. The second model has batch norm (statistics reduced across devices and
    processes) and dropout (masks that must not depend on how a batch is split)."""
    common = ["--x64", "--epochs", "3"]
    one = _run(
        str(tmp_path / "one.npz"),
        *common,
        "--models",
        "mlp,bn-dropout",
        "--simulate",
        "4",
        "--runs",
        "none,4",
        "--checkpoints",
        str(tmp_path),
        "--even",
    )
    coordinator = f"127.0.0.1:{_free_port()}"
    hosts = [
        _run(
            str(tmp_path / f"process{i}.npz"),
            *common,
            "--models",
            "bn-dropout",
            "--simulate",
            "2",
            "--runs",
            "4",
            "--coordinator",
            coordinator,
            "--processes",
            "2",
            "--process-id",
            str(i),
        )
        for i in range(2)
    ]
    _wait(one, *hosts)
    results = np.load(tmp_path / "one.npz")
    for model in ("mlp", "bn-dropout"):
        reference = f"{model}/none"
        assert _largest_difference(results, f"{model}/4", results, reference) <= FLOAT64
        assert results[f"{model}/4/state_specs"].tolist() == ["P()"]  # all replicated
        loss = results[f"{model}/4/evaluate_loss"] - results[f"{reference}/evaluate_loss"]
        assert abs(float(loss)) <= FLOAT64
        np.testing.assert_allclose(
            results[f"{model}/4/outputs"], results[f"{reference}/outputs"], atol=1e-11
        )
    for i in range(2):  # the model whose batch statistics cross the processes
        host = np.load(tmp_path / f"process{i}.npz")
        assert _largest_difference(host, "bn-dropout/4", results, "bn-dropout/none") <= FLOAT64
        np.testing.assert_allclose(
            host["bn-dropout/4/outputs"], results["bn-dropout/none/outputs"], atol=1e-11
        )
    assert _largest_difference(results, "mlp/roundtrip", results, "mlp/none") <= FLOAT64
    # 1,436 examples: the last batch, 28, is split over the 4 devices like the others.
    assert int(results["mlp/even/step"]) == 45
    assert _largest_difference(results, "mlp/even/4", results, "mlp/even/none") <= FLOAT64
    assert results["mlp/roundtrip/loaded_on"].tolist() == [1]  # loaded onto one device
    assert str(results["describe"]) == (
        "4 devices of kind 'cpu' (platform cpu) in 1 process; mesh batch=4"
    )
    host = np.load(tmp_path / "process1.npz")
    assert (int(host["device_count"]), int(host["process_count"])) == (4, 2)
    assert "4 devices of kind 'cpu' (platform cpu) in 2 processes" in str(host["describe"])


# --- runs: devices are how a run trains, not one of its settings -----------------------


def test_a_run_trains_resumes_and_evaluates_on_a_mesh(tmp_path):
    from funcnet import experiment

    config = experiment.Config(dataset="iris", epochs=2, batch_size=16, hidden=8)
    plain = experiment.train_run(config, tmp_path / "plain", progress=False)
    meshed = experiment.train_run(config, tmp_path / "mesh", progress=False, devices=1)
    assert meshed.val_loss == pytest.approx(plain.val_loss, rel=1e-6)
    scores = experiment.evaluate_run(tmp_path / "mesh", devices=1)
    assert scores["loss"] == pytest.approx(meshed.val_loss, rel=1e-6)
    assert "devices" not in (tmp_path / "mesh" / "config.json").read_text()


def test_a_run_refuses_missing_devices_before_writing_anything(tmp_path):
    from funcnet import experiment

    with pytest.raises(ValueError, match=r"devices=2 asks for 2 devices"):
        experiment.train_run(experiment.Config(), tmp_path / "run", devices=2)
    assert not (tmp_path / "run").exists()


# --- scripts/gpu_check.py: only what a CPU can check ----------------------------------


def _gpu_check(*arguments: str) -> subprocess.CompletedProcess:
    script = ROOT / "scripts" / "gpu_check.py"
    return subprocess.run(
        [sys.executable, str(script), *arguments], capture_output=True, text=True, timeout=120
    )


def test_gpu_check_without_a_gpu_says_what_to_install():
    completed = _gpu_check()
    assert completed.returncode == 2, completed.stderr
    assert "no GPU found: JAX sees only [CpuDevice(id=0)]" in completed.stderr
    assert "pip install -e '.[gpu]'" in completed.stderr
    assert "funcnet's code does not change" in completed.stderr


def test_gpu_check_refuses_a_single_epoch():
    completed = _gpu_check("--epochs", "1")
    assert completed.returncode == 2
    assert "--epochs must be at least 2 (the first epoch compiles)" in completed.stderr


# --- funcnet train --devices N ---------------------------------------------------------


def test_the_command_line_trains_on_the_devices_it_names(tmp_path):
    environment = {**os.environ, "XLA_FLAGS": "--xla_force_host_platform_device_count=2"}
    command = [sys.executable, "-m", "funcnet", "train", "--dataset", "iris", "--epochs", "2"]
    command += ["--batch-size", "16", "--devices", "2", "--out", str(tmp_path / "run")]
    completed = subprocess.run(
        [*command, "--no-progress"], env=environment, capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr
    lines = completed.stdout.splitlines()
    assert lines[0] == (
        "training on 2 devices of kind 'cpu' (platform cpu) in 1 process; mesh batch=2"
    )
    assert lines[1].startswith("validation accuracy ")


def test_the_command_line_refuses_devices_that_are_not_there(tmp_path, capsys):
    from funcnet.cli import main

    out = tmp_path / "run"
    assert main(["train", "--devices", "2", "--out", str(out), "--no-progress"]) == 2
    error = capsys.readouterr().err
    assert error.startswith("funcnet train: error: devices=2 asks for 2 devices, but")
    assert "xla_force_host_platform_device_count" in error and not out.exists()


# --- benchmarks/devices.py: the recorded results and the page agree --------------------


def test_the_recorded_benchmark_is_on_the_page_and_says_what_it_measures():
    import json

    from benchmarks import devices as bench

    record = json.loads((ROOT / "benchmarks" / "devices.json").read_text(encoding="utf-8"))
    cases = [(case["model"], case["devices"]) for case in record["cases"]]
    assert cases == [(m.name, n) for m in bench.MODELS for n in bench.DEVICES]
    assert "not a speed-up" in bench.markdown(record)
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert bench.markdown(record) in page

"""The command line: train and evaluate on digits, the run directory, and errors."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from funcnet import checkpoint, experiment
from funcnet.cli import main


def run_cli(*args, check=True):
    completed = subprocess.run(
        [sys.executable, "-m", "funcnet", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "JAX_PLATFORMS": "cpu"},
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp")
    completed = run_cli("train", "--model", "mlp", "--out", str(out))
    return out, completed


def test_default_mlp_reaches_the_target_accuracy(mlp_run):
    _, completed = mlp_run
    accuracy = float(completed.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.97
    assert "epoch 40/40" in completed.stderr  # the progress lines


def test_run_directory_holds_every_artifact(mlp_run):
    out, _ = mlp_run
    for name in ("config.json", "params.safetensors", "state.safetensors", "history.json"):
        assert (out / name).is_file()
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 40 and history["loss"][-1] < history["loss"][0]
    assert (out / "history.csv").read_text().startswith("epoch,loss,accuracy")
    assert (out / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


def test_evaluate_reproduces_the_reported_accuracy(mlp_run):
    out, completed = mlp_run
    again = run_cli("evaluate", str(out))
    assert again.stdout.strip() == completed.stdout.splitlines()[0].strip()


def test_checkpoint_loads_into_pytorch(mlp_run):
    out, _ = mlp_run
    _, model, params, dataset = experiment.load_run(out)
    reference = torch.nn.Sequential(
        torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10)
    )
    state = checkpoint.load(out / "params.safetensors")
    reference.load_state_dict({name: torch.from_numpy(a) for name, a in state.items()})
    x = dataset.test.x[:16]
    expected = reference(torch.from_numpy(x)).detach().numpy()
    np.testing.assert_allclose(model(params, x), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_default_cnn_reaches_the_target_accuracy(tmp_path):
    completed = run_cli("train", "--model", "cnn", "--out", str(tmp_path), "--no-progress")
    accuracy = float(completed.stdout.split("test accuracy ")[1].split()[0])
    assert accuracy >= 0.98


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--model", "cnn", "--dataset", "iris"], "needs image data"),
        (["train", "--epochs", "0"], "epochs must be a positive int"),
        (["evaluate", "/nonexistent/run"], "not a funcnet run directory"),
    ],
)
def test_bad_arguments_exit_2_with_a_message(args, message, capsys):
    with pytest.raises(SystemExit) as info:
        main(args)
    assert info.value.code == 2
    assert message in capsys.readouterr().err

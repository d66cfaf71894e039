"""The command line: training, the run directory, interruption and resume, and errors.

The signal tests start `python -m funcnet train` as a user would, wait for its first
epoch line, and send a real SIGINT or SIGTERM.
"""

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from funcnet import checkpoint, experiment
from funcnet.cli import main
from funcnet.config import Config

ENV = {**os.environ, "JAX_PLATFORMS": "cpu"}
PROGRESS = re.compile(r"^\[[#.]+\] epoch \d+/\d+ ")


def run_cli(*args, check=True):
    completed = subprocess.run(
        [sys.executable, "-m", "funcnet", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=ENV,
    )
    if check:
        assert completed.returncode == 0, completed.stderr
    return completed


@pytest.fixture
def start():
    """`start(*args)` runs `python -m funcnet ARGS` in the background; stopped at teardown."""
    processes = []

    def run(*args):
        process = subprocess.Popen(
            [sys.executable, "-m", "funcnet", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=ENV,
        )
        processes.append(process)
        return process

    yield run
    for process in processes:
        if process.poll() is None:
            process.kill()
        process.communicate()


def interrupt_after_first_epoch(process, number):
    """Send signal `number` once the first epoch line is out; `(status, stdout, stderr)`."""
    seen = []
    for line in process.stderr:
        seen.append(line)
        if PROGRESS.match(line):
            break
    process.send_signal(number)
    out, err = process.communicate(timeout=300)
    return process.returncode, out, "".join(seen) + err


def messages(stderr):
    """The lines of stderr that are not per-epoch progress lines."""
    return [line for line in stderr.splitlines() if not PROGRESS.match(line)]


def assert_one_line(err, *pieces):
    assert "Traceback" not in err
    assert err.count("\n") == 1 and err.endswith("\n"), err
    for piece in pieces:
        assert piece in err, err


def load_finite_state(directory):
    """The saved training state as arrays, checking that every float in it is finite."""
    state = checkpoint.load(directory / "state.safetensors")
    for name, array in state.items():
        if np.issubdtype(array.dtype, np.floating):
            assert np.isfinite(array).all(), name
    return state


@pytest.fixture(scope="module")
def mlp_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("mlp")
    completed = run_cli("train", "--model", "mlp", "--out", str(out))
    return out, completed


def test_default_mlp_reaches_the_target_accuracy(mlp_run):
    _, completed = mlp_run
    first = completed.stdout.splitlines()[0]
    assert re.fullmatch(r"validation accuracy \d\.\d{4}  validation loss \d\.\d{4}", first)
    assert float(first.split()[2]) >= 0.97
    assert "epoch 40/40" in completed.stderr  # the progress lines
    assert "val_accuracy" in completed.stderr


def test_run_directory_holds_every_artifact(mlp_run):
    out, _ = mlp_run
    for name in ("config.json", "params.safetensors", "state.safetensors", "history.json"):
        assert (out / name).is_file()
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == 40 and history["loss"][-1] < history["loss"][0]
    assert {"val_loss", "val_accuracy"} <= set(history)
    assert (out / "history.csv").read_text().startswith("epoch,loss,accuracy")
    assert (out / "history.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in os.listdir(out) if p.endswith(".tmp")]


def test_evaluate_reproduces_the_reported_accuracy(mlp_run):
    out, completed = mlp_run
    again = run_cli("evaluate", str(out))
    assert again.stdout.strip() == completed.stdout.splitlines()[0].strip()
    assert again.stderr == ""


def test_checkpoint_loads_into_pytorch(mlp_run):
    out, _ = mlp_run
    _, model, params, dataset, _ = experiment.load_run(out)
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
    accuracy = float(completed.stdout.split("validation accuracy ")[1].split()[0])
    assert accuracy >= 0.98


def test_ctrl_c_saves_a_run_that_resumes_to_the_uninterrupted_result(tmp_path, start):
    settings = ["--dataset", "iris", "--epochs", "300", "--seed", "3"]
    reference = start("train", *settings, "--no-progress", "--out", str(tmp_path / "whole"))
    interrupted = start("train", *settings, "--out", str(tmp_path / "cut"))
    status, out, err = interrupt_after_first_epoch(interrupted, signal.SIGINT)
    assert status == 130 and out == ""
    [line] = messages(err)
    match = re.fullmatch(
        r"funcnet train: interrupted after epoch (\d+) of 300; "
        r"resume with: funcnet train --resume (\S+)",
        line,
    )
    assert match and match[2] == str(tmp_path / "cut"), err
    assert "Traceback" not in err
    done = int(match[1])
    assert 1 <= done < 300
    load_finite_state(tmp_path / "cut")
    assert len(json.loads((tmp_path / "cut" / "history.json").read_text())["loss"]) == done
    assert experiment.evaluate_run(tmp_path / "cut")["epochs_completed"] == done

    resumed = run_cli("train", "--resume", str(tmp_path / "cut"))
    assert messages(resumed.stderr) == [f"resuming {tmp_path / 'cut'} after epoch {done} of 300"]
    assert f"epoch {300 - done}/{300 - done} " in resumed.stderr  # fit counts its own epochs
    assert reference.wait(timeout=600) == 0
    for name in ("params.safetensors", "state.safetensors"):
        # The same tensors, bit for bit, and the same metadata (whose order in the
        # header the safetensors package does not fix).
        whole, cut = (checkpoint.load(tmp_path / run / name) for run in ("whole", "cut"))
        assert list(cut) == list(whole), name
        for key in whole:
            np.testing.assert_array_equal(cut[key], whole[key], err_msg=f"{name}: {key}")
        metadata = (checkpoint.load_metadata(tmp_path / run / name) for run in ("whole", "cut"))
        assert next(metadata) == next(metadata), name
    history = json.loads((tmp_path / "cut" / "history.json").read_text())
    expected = json.loads((tmp_path / "whole" / "history.json").read_text())
    assert history["val_loss"] == expected["val_loss"] and len(history["loss"]) == 300


def test_sigterm_saves_a_resumable_run(tmp_path, start, capsys):
    process = start("train", "--dataset", "iris", "--epochs", "300", "--out", str(tmp_path))
    status, out, err = interrupt_after_first_epoch(process, signal.SIGTERM)
    assert status == 130 and out == "" and "Traceback" not in err
    [line] = messages(err)
    assert re.fullmatch(
        rf"funcnet train: interrupted after epoch \d+ of 300; "
        rf"resume with: funcnet train --resume {re.escape(str(tmp_path))}",
        line,
    )
    state = load_finite_state(tmp_path)
    assert int(state["step"]) > 0
    metadata = checkpoint.load_metadata(tmp_path / "state.safetensors")
    assert f"after epoch {metadata['epochs_completed']} of 300;" in line

    assert main(["evaluate", str(tmp_path)]) == 0  # the saved epochs can be evaluated
    captured = capsys.readouterr()
    assert captured.out.startswith("validation accuracy ")
    assert captured.err == (
        f"note: {tmp_path} was interrupted after epoch {metadata['epochs_completed']} of 300; "
        f"finish it with: funcnet train --resume {tmp_path}\n"
    )


def test_an_interrupt_before_the_first_epoch_writes_nothing(tmp_path, start):
    out = tmp_path / "runs" / "early"
    process = start("train", "--dataset", "iris", "--epochs", "300", "--out", str(out))
    deadline = time.monotonic() + 300
    while not out.exists() and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 130, err
    assert_one_line(err, "funcnet train: interrupted before ", "nothing was written")
    assert os.listdir(tmp_path) == []


def test_a_diverging_run_stops_with_one_line_and_writes_nothing(tmp_path):
    out = tmp_path / "run"
    completed = run_cli(
        "train",
        "--dataset",
        "iris",
        "--epochs",
        "5",
        "--lr",
        "1e6",
        "--out",
        str(out),
        check=False,
    )
    assert completed.returncode == 1 and completed.stdout == ""
    [line] = messages(completed.stderr)
    assert re.fullmatch(
        r"funcnet train: error: training diverged: the loss became (nan|inf) in epoch \d "
        r"\(step \d+\); nothing was written\. Use a smaller --lr \(try a tenth\), "
        r"or check the data\.",
        line,
    )
    assert not out.exists()
    for path in tmp_path.rglob("*.safetensors"):  # none; any there would have to be finite
        load_finite_state(path.parent)


# In-process failures: main() returns the status and prints one line on stderr.


@pytest.fixture
def iris_config(tmp_path):
    """A run directory holding only a valid config.json (no training needed)."""
    directory = tmp_path / "run"
    directory.mkdir()
    config = dataclasses.asdict(Config(dataset="iris", epochs=2))
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    return directory


def fail(capsys, *args, status=2):
    assert main([str(arg) for arg in args]) == status
    captured = capsys.readouterr()
    assert captured.out == ""
    assert_one_line(captured.err)
    return captured.err.removesuffix("\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "cnn", "--dataset", "iris"], "error: model 'cnn' needs image data"),
        (["--epochs", "0"], "funcnet train: error: epochs must be a positive int, got 0."),
        (["--epochs", "two"], "argument --epochs: invalid int value: 'two'"),
        (["--lr", "-1"], "funcnet train: error: lr must be a positive number, got -1.0."),
        (["--dataset", "mnist"], "argument --dataset: invalid choice: 'mnist'"),
    ],
)
def test_bad_flags_exit_2_with_one_line(args, message, capsys):
    assert message in fail(capsys, "train", *args)


def test_a_directory_holding_files_is_not_overwritten(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    line = fail(capsys, "train", "--dataset", "iris", "--epochs", "1", "--out", tmp_path)
    assert line == (
        f"funcnet train: error: --out {tmp_path} already holds 1 file (notes.txt); "
        "add --force to overwrite it, or choose another --out."
    )
    assert os.listdir(tmp_path) == ["notes.txt"]


def test_force_writes_into_a_directory_and_keeps_other_files(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    args = ["train", "--dataset", "iris", "--epochs", "1", "--no-progress"]
    assert main([*args, "--out", str(tmp_path), "--force"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert re.fullmatch(r"validation accuracy \d\.\d{4}  validation loss \d\.\d{4}", lines[0])
    assert lines[1].endswith(f" to {tmp_path}")
    assert (tmp_path / "notes.txt").read_text() == "mine"
    line = fail(capsys, *args, "--out", tmp_path)
    assert f"--out {tmp_path} already holds a run (config.json, " in line

    line = fail(capsys, "train", "--resume", tmp_path)
    assert line == (
        f"funcnet train: error: {tmp_path} has completed its 1 epoch; there is nothing to "
        f"resume (evaluate it with `funcnet evaluate {tmp_path}`)."
    )


def test_the_default_out_is_a_new_numbered_directory(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    args = ["train", "--dataset", "iris", "--epochs", "1", "--no-progress"]
    assert main(args) == 0 and main(args) == 0
    out = capsys.readouterr().out
    assert "to runs/iris-mlp-1\n" in out and "to runs/iris-mlp-2\n" in out


def test_out_cannot_be_a_file_or_under_one(tmp_path, capsys):
    (tmp_path / "file").write_text("")
    line = fail(capsys, "train", "--out", tmp_path / "file")
    assert line == (
        f"funcnet train: error: cannot use {tmp_path / 'file'} as a run directory: it is a "
        "file; name a new or empty directory."
    )
    line = fail(capsys, "train", "--out", tmp_path / "file" / "run")
    assert line == (
        f"funcnet train: error: cannot create the run directory {tmp_path / 'file' / 'run'}: "
        f"{tmp_path / 'file'} is a file, not a directory."
    )


def test_evaluate_names_what_is_not_a_run(tmp_path, capsys):
    missing = tmp_path / "missing"
    assert fail(capsys, "evaluate", missing) == (
        f"funcnet evaluate: error: {missing} does not exist; give a directory written by "
        "`funcnet train`."
    )
    assert fail(capsys, "evaluate", tmp_path) == (
        f"funcnet evaluate: error: {tmp_path} is not a funcnet run directory (it has no "
        "config.json); create one with `funcnet train --out DIR`."
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", r" must hold a JSON object of settings such as .*; it holds an array\."),
        (
            '{\n  "dataset": "iris"\n  "epochs": 2\n}',
            r" is not valid JSON: Expecting "
            r"',' delimiter at line 3, column 3\.",
        ),
        (
            None,
            r": unknown setting 'hiden', missing setting 'hidden'; the settings "
            r"are dataset, model, epochs, lr, batch_size, seed, hidden, weight_decay\.",
        ),
    ],
)
def test_a_bad_config_json_is_named_with_what_is_wrong(iris_config, text, message, capsys):
    path = iris_config / "config.json"
    if text is None:
        values = json.loads(path.read_text())
        values["hiden"] = values.pop("hidden")
        text = json.dumps(values)
    path.write_text(text)
    for command in (["evaluate"], ["train", "--resume"]):
        line = fail(capsys, *command, iris_config)
        assert re.fullmatch(rf"funcnet {command[0]}: error: {re.escape(str(path))}{message}", line)


def test_a_corrupt_checkpoint_is_named(iris_config, capsys):
    (iris_config / "params.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{}")
    line = fail(capsys, "evaluate", iris_config)
    assert line.startswith(
        f"funcnet evaluate: error: checkpoint '{iris_config / 'params.safetensors'}'"
    )
    assert "header length in its first 8 bytes exceeds the file" in line


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lr", "0.1"], r"but --lr 0.1 \(saved: 0.003\) would change them"),
        (
            ["--epochs", "5", "--seed", "1", "--dataset", "iris"],
            r"but --epochs 5 \(saved: 2\), --seed 1 \(saved: 0\) would change them; drop those "
            r"flags, or start a new run with --out\.",
        ),
        (["--force"], r"--force starts a run over and --resume continues one; use one\."),
        (["--out", "elsewhere"], r"--resume .* writes back into .*; drop --out\."),
    ],
)
def test_resume_refuses_flags_that_change_the_run(iris_config, args, message, capsys):
    line = fail(capsys, "train", "--resume", iris_config, *args)
    assert re.search(message, line), line
    assert "continues with the settings saved in" in line or "--force" in args or "--out" in args


def test_resume_accepts_flags_that_agree(iris_config, capsys):
    # The flags agree with config.json, so the error is the missing state, not a conflict.
    line = fail(capsys, "train", "--resume", iris_config, "--dataset", "iris", "--epochs", "2")
    assert line == (
        f"funcnet train: error: {iris_config / 'state.safetensors'} is missing; this run "
        "cannot be resumed."
    )


def test_help_shows_every_default(capsys):
    assert main(["train", "--help"]) == 0
    help_text = capsys.readouterr().out
    options = re.findall(r"^  (--[a-z-]+)", help_text, flags=re.MULTILINE)
    assert len(options) == 11
    blocks = re.split(r"\n  (?=--)", help_text.split("options:")[1])[1:]
    for block in blocks:
        assert "(default: " in " ".join(block.split()), block
    for default in ("(default: digits)", "(default: 40)", "(default: 0.003)", "(default: 32)"):
        assert default in help_text
    assert "exit status: 0 success, 1 training diverged, 2 usage error" in help_text


def test_version(capsys):
    from importlib.metadata import version

    assert main(["--version"]) == 0
    assert capsys.readouterr().out == f"funcnet {version('funcnet')}\n"


def test_graph_prints_the_lesson_graph_its_orders_and_xla_counts(capsys):
    from funcnet.graph import lesson_graph

    assert main(["graph", "--model", "lesson"]) == 0
    out = capsys.readouterr().out
    graph = lesson_graph()
    assert out.startswith(graph.to_text() + "\n")
    assert "jaxpr order 0..20: a topological order" in out
    kahn = re.search(r"^Kahn's order: ([\d ]+)$", out, re.M).group(1)
    assert tuple(map(int, kahn.split())) == graph.topological_order()
    counts = re.search(r"XLA: 16 traced operations, (\d+) HLO .* (\d+) kernels after", out)
    assert int(counts.group(2)) < 16 < int(counts.group(1))


@pytest.mark.parametrize(("form", "start"), [("dot", "digraph G {"), ("mermaid", "flowchart TB")])
def test_graph_exports_the_backward_pass(capsys, form, start):
    from funcnet.graph import lesson_graph

    assert main(["graph", "--backward", "--format", form]) == 0
    out = capsys.readouterr().out
    graph = lesson_graph(backward=True)
    assert out == (graph.to_dot() if form == "dot" else graph.to_mermaid()) + "\n"
    assert out.startswith(start) and "backward" in out


def test_graph_refuses_an_unknown_format_or_model(capsys):
    assert main(["graph", "--format", "svg"]) == 2
    assert "argument --format: invalid choice: 'svg'" in capsys.readouterr().err
    assert main(["graph", "--model", "resnet"]) == 2
    assert "argument --model: invalid choice: 'resnet'" in capsys.readouterr().err

"""`funcnet sweep`: the results table and plots, the runs `funcnet train` would make, errors."""

import contextlib
import csv
import io
import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest

from funcnet import _sweep_epochs, checkpoint, experiment
from funcnet._sweep_command import STATE
from funcnet._sweep_report import FILES
from funcnet.cli import main
from funcnet.config import Config

ENV = {**os.environ, "JAX_PLATFORMS": "cpu"}
PROGRESS = re.compile(r"^\[[#.]+\] epoch \d+/\d+  \d+ runs  best \(run \d+\) ")
# iris has 120 training examples: batches of 40 leave no ragged last batch to compile.
SMALL = ["--dataset", "iris", "--hidden", "8", "--epochs", "2", "--batch-size", "40"]
SMALL += ["--no-progress"]
GRID = ["--activations", "relu,tanh", "--seeds", "2"]


@pytest.fixture(scope="module")
def swept(tmp_path_factory):
    """Two activations x two learning rates x two seeds on iris, through `main`."""
    out = tmp_path_factory.mktemp("sweep") / "results"
    arguments = ["sweep", *SMALL, *GRID]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        status = main([*arguments, "--lr", "0.01,0.03", "--out", str(out)])
    assert status == 0
    return out, printed.getvalue().splitlines()


def test_a_sweep_writes_its_table_and_plots(swept):
    out, printed = swept
    assert printed[0].startswith("activation  lr ")
    assert [line.split()[:2] for line in printed[1:5]] == [
        ["relu", "0.01"],
        ["relu", "0.03"],
        ["tanh", "0.01"],
        ["tanh", "0.03"],
    ]
    assert printed[5].startswith("best run ") and printed[-1].startswith("wrote results.csv")
    assert sorted(os.listdir(out)) == sorted([*FILES, STATE])
    with open(out / "results.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    assert list(rows[0]) == [
        "run", "activation", "seed", "learning_rate", "diverged",
        "loss", "accuracy", "val_loss", "val_accuracy",
    ]  # fmt: skip
    assert [(row["activation"], row["learning_rate"], row["seed"]) for row in rows] == [
        (a, lr, s) for a in ("relu", "tanh") for lr in ("0.01", "0.03") for s in ("0", "1")
    ]
    document = json.loads((out / "results.json").read_text())
    assert document["settings"]["activations"] == ["relu", "tanh"]
    assert document["settings"]["data_seed"] == 0
    curves = document["history"]["figures"]["val_accuracy"]
    assert len(curves) == 8 and all(len(curve) == 2 for curve in curves)
    assert float(rows[3]["val_accuracy"]) == pytest.approx(curves[3][-1], abs=1e-6)
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"


def test_each_run_is_the_run_funcnet_train_makes(swept, tmp_path):
    out, _ = swept
    document = json.loads((out / "results.json").read_text())
    run = document["runs"][2]  # relu, learning rate 0.03, seed 0: the shared split's seed
    assert (run["activation"], run["learning_rate"], run["seed"]) == ("relu", 0.03, 0)
    config = Config(dataset="iris", epochs=2, lr=0.03, hidden=8, seed=0, batch_size=40)
    alone = experiment.train_run(config, tmp_path / "train", progress=False)
    assert run["val_loss"] == pytest.approx(alone.val_loss, abs=1e-12)
    assert run["val_accuracy"] == pytest.approx(alone.val_accuracy, abs=1e-12)
    assert document["history"]["figures"]["loss"][2] == pytest.approx(
        alone.history["loss"], abs=1e-12
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--activations", "relu,swish"], "activations: 'swish' is not one of relu, sigmoid"),
        (["--activations", "relu,relu"], r"activations: \['relu', 'relu'\] names one twice"),
        (["--activations", "relu,"], "argument --activations: 'relu,' has an empty entry"),
        (["--lr", "1e-3;0.1"], "argument --lr: '1e-3;0.1' is not a comma-separated list"),
        (["--lr", "0.1,-1"], "lr must be a positive number, got -1.0"),
        (["--seeds", "0"], "seeds must be a positive int, got 0"),
        (["--batch-size", "0"], "batch_size must be a positive int, got 0"),
        (["--max-parallel", "0"], "sweep: max_parallel must be a positive int, got 0"),
        (["--devices", "64"], "devices=64 asks for 64 devices"),
        (["--model", "cnn"], "argument --model: invalid choice: 'cnn'"),
    ],
)
def test_bad_flags_are_one_line_with_exit_status_2(arguments, message, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["sweep", *SMALL, *arguments, "--out", str(out)]) == 2
    error = capsys.readouterr().err
    assert re.search(message, error), error
    assert error.startswith("funcnet sweep: error: ") and error.count("\n") == 1
    assert not out.exists()


def test_an_occupied_out_needs_force(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["sweep", *SMALL, "--out", str(tmp_path)]) == 2
    assert "already holds 1 file (notes.txt); add --force" in capsys.readouterr().err


def test_when_every_run_diverges_nothing_is_written(swept, tmp_path, capsys):
    out = tmp_path / "out"  # the settings of `swept` but the learning rates: no compiling
    assert main(["sweep", *SMALL, *GRID, "--lr", "1e300,1e301", "--out", str(out)]) == 1
    error = capsys.readouterr().err
    assert "funcnet sweep: error: every run diverged" in error and "smaller --lr" in error
    assert not out.exists()


def test_ctrl_c_stops_after_the_running_epoch_and_writes_the_completed_epochs(tmp_path):
    out = tmp_path / "out"
    process = subprocess.Popen(
        [sys.executable, "-m", "funcnet", "sweep", "--dataset", "iris", "--hidden", "8",
         "--batch-size", "40", "--epochs", "100000", "--seeds", "2", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV,
    )  # fmt: skip
    seen = []
    for line in process.stderr:
        seen.append(line)
        if PROGRESS.match(line):
            break
    process.send_signal(signal.SIGINT)
    _, rest = process.communicate(timeout=300)
    lines = [line for line in ("".join(seen) + rest).splitlines() if not PROGRESS.match(line)]
    assert process.returncode == 130, lines
    done = int(re.search(r"interrupted after (\d+) completed epochs?", lines[-1]).group(1))
    assert f"their results are in {out}; resume with: funcnet sweep --resume {out}" in lines[-1]
    assert done >= 1 and sorted(p.name for p in out.iterdir()) == sorted([*FILES, STATE])
    stored = json.loads((out / "results.json").read_text())
    assert stored["settings"]["completed_epochs"] == done
    assert stored["settings"]["interrupted_by"] == "SIGINT"
    assert all(len(curve) == done for curve in stored["history"]["figures"]["loss"])


def test_resume_finishes_an_interrupted_sweep_as_if_never_stopped(tmp_path, monkeypatch):
    arguments = ["sweep", *SMALL, *GRID, "--epochs", "4", "--max-parallel", "2"]
    whole, out = tmp_path / "whole", tmp_path / "out"
    assert main([*arguments, "--out", str(whole)]) == 0
    compiled, calls = _sweep_epochs.compiled_epoch, []

    def interrupting(*args):
        epoch = compiled(*args)

        def run(*arrays):
            calls.append(1)
            if len(calls) == 2 * 2:  # two chunks of two runs: after epoch 2
                signal.raise_signal(signal.SIGINT)
            return epoch.run(*arrays)

        return epoch._replace(run=run)

    monkeypatch.setattr(_sweep_epochs, "compiled_epoch", interrupting)
    assert main([*arguments, "--out", str(out)]) == 130
    monkeypatch.undo()
    halfway = json.loads((out / "results.json").read_text())
    assert halfway["settings"]["completed_epochs"] == 2
    assert main(["sweep", "--resume", str(out), "--seeds", "2", "--no-progress"]) == 0
    finished, expected = (json.loads((d / "results.json").read_text()) for d in (out, whole))
    assert finished["settings"]["completed_epochs"] == 4
    assert finished["history"]["figures"] == expected["history"]["figures"]
    assert finished["runs"] == expected["runs"]
    state, reference = (checkpoint.load(d / STATE) for d in (out, whole))
    assert state.keys() == reference.keys()
    for name in state:
        np.testing.assert_array_equal(state[name], reference[name], err_msg=name)


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--epochs", "9"], "--epochs 9 disagrees with {out}/results.json, whose sweep has "
         "epochs 2; leave --epochs out to resume it."),
        (["--lr", "0.5"], "--lr 0.5 disagrees with"),
        (["--out", "elsewhere"], "leave out --out and --force"),
        ([], "{out} is complete: all 2 epochs ran, so there is nothing to resume."),
    ],
)  # fmt: skip
def test_resume_refuses_what_cannot_be_resumed(swept, capsys, flags, message):
    out, _ = swept
    assert main(["sweep", "--resume", str(out), *flags]) == 2
    error = capsys.readouterr().err
    assert error.startswith("funcnet sweep: error: ") and message.format(out=out) in error, error


def test_resume_of_a_directory_that_is_not_a_sweep(tmp_path, capsys):
    assert main(["sweep", "--resume", str(tmp_path / "absent")]) == 2
    assert "absent does not exist: it is not a funcnet sweep directory." in capsys.readouterr().err
    assert main(["sweep", "--resume", str(tmp_path)]) == 2
    assert "holds no results.json" in capsys.readouterr().err


def test_ctrl_c_before_the_first_epoch_writes_nothing(tmp_path, monkeypatch):
    from funcnet import _sweep_command
    from funcnet.sweep import SweepInterrupted

    def interrupted(*args, **kwargs):
        raise SweepInterrupted(state=None, history=None, epoch=0)

    monkeypatch.setattr(_sweep_command, "sweep", interrupted)
    out = tmp_path / "out"
    assert main(["sweep", *SMALL, "--out", str(out)]) == 130
    assert not out.exists()


def test_the_summary_groups_seeds_and_leaves_diverged_runs_out():
    from funcnet import _sweep_report
    from funcnet.sweep import SweepHistory, SweepRun

    runs = tuple(SweepRun(i, 0, {"learning_rate": 0.1 * (1 + i // 2)}, i % 2) for i in range(4))
    final = np.array([[0.5], [0.7], [0.9], [np.nan]])
    history = SweepHistory(runs, ("relu",), {"val_accuracy": final}, (1.0,), {3: 1})
    assert _sweep_report.settings_of(history) == ["learning_rate"]
    first, second = _sweep_report.summary(history, "val_accuracy")
    assert first["learning_rate"] == 0.1 and first["mean"] == pytest.approx(0.6)
    assert first["std"] == pytest.approx(0.1) and (first["min"], first["max"]) == (0.5, 0.7)
    assert (second["runs"], second["diverged"], second["mean"]) == (2, 1, 0.9)
    assert _sweep_report.label((0.2,), ["learning_rate"]) == "lr 0.2"
    text = _sweep_report.as_csv(history, model_field="activation").decode().splitlines()
    assert text[0] == "run,activation,seed,learning_rate,diverged,val_accuracy"
    assert text[4] == "3,relu,1,0.2,1,"


def test_evaluate_says_a_sweep_directory_is_not_a_run(swept, capsys):
    out, _ = swept
    assert main(["evaluate", str(out)]) == 2
    error = capsys.readouterr().err
    assert f"funcnet evaluate: error: {out} holds a sweep (results.json), not a run" in error
    assert "results.csv" in error and "funcnet sweep --resume DIR" in error

"""Runs as a library: the run directory, config.json, checkpoints that are always usable."""

import dataclasses
import json
import os
import pickle
import re
import shutil

import jax.numpy as jnp
import matplotlib.pyplot
import pytest

from funcnet import TrainState, checkpoint, curves, experiment, runs
from funcnet.config import Config, read_config
from funcnet.experiment import RunInterrupted
from funcnet.runs import RunError, RunExistsError


@pytest.fixture(scope="module")
def iris_run(tmp_path_factory):
    """A finished one-epoch run on iris (trained in this process, float64)."""
    out = tmp_path_factory.mktemp("runs") / "iris"
    result = experiment.train_run(Config(dataset="iris", epochs=1), out, progress=False)
    return out, result


def claim(path, **options):
    with runs.claimed(path, stem="unused", **options) as claimed:
        return claimed


def write_config(directory, text):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "config.json").write_text(text)
    return directory


def test_a_run_holds_every_file_and_its_epoch_count(iris_run):
    out, result = iris_run
    assert sorted(result.files) == sorted(os.listdir(out))
    assert result.directory == str(out) and result.resumed_from == 0
    assert set(result.history) == {"loss", "accuracy", "val_loss", "val_accuracy", "seconds"}
    metadata = checkpoint.load_metadata(out / "state.safetensors")
    assert metadata["epochs_completed"] == "1"
    assert json.loads(metadata["config"]) == dataclasses.asdict(result.config)
    assert read_config(out) == result.config


def test_evaluate_run_gives_the_validation_scores_and_epochs(iris_run):
    out, result = iris_run
    scores = experiment.evaluate_run(out)
    assert scores["accuracy"] == pytest.approx(result.val_accuracy)
    assert scores["loss"] == pytest.approx(result.val_loss)
    assert (scores["epochs_completed"], scores["epochs"]) == (1, 1)


def test_a_finished_run_cannot_be_resumed(iris_run):
    out, _ = iris_run
    with pytest.raises(RunError, match=r"has completed its 1 epoch; there is nothing to resume"):
        experiment.resume_run(out, progress=False)


def test_a_checkpoint_that_does_not_fit_its_config_names_both_files(iris_run, tmp_path):
    out, result = iris_run
    shutil.copytree(out, tmp_path / "run")
    values = {**dataclasses.asdict(result.config), "hidden": 64, "epochs": 2}
    (tmp_path / "run" / "config.json").write_text(json.dumps(values))
    state_file = str(tmp_path / "run" / "state.safetensors")
    with pytest.raises(RunError, match=rf"{re.escape(state_file)} does not fit .*config.json: "):
        experiment.resume_run(tmp_path / "run", progress=False)
    with pytest.raises(RunError, match=r"size mismatch for 0.bias: .* \(and 2 more\); the two"):
        experiment.evaluate_run(tmp_path / "run")


def test_new_runs_get_the_first_free_numbered_directory(tmp_path):
    stem = str(tmp_path / "runs" / "iris-mlp")
    with runs.claimed(None, stem=stem) as first:
        (tmp_path / "runs" / "iris-mlp-1" / "config.json").write_text("{}")
    with runs.claimed(None, stem=stem) as second:
        pass
    assert (os.path.basename(first), os.path.basename(second)) == ("iris-mlp-1", "iris-mlp-2")


def test_a_failed_start_leaves_no_directory_behind(tmp_path):
    with pytest.raises(KeyboardInterrupt), runs.claimed(tmp_path / "a" / "b" / "run", stem="x"):
        assert (tmp_path / "a" / "b" / "run").is_dir()
        raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


def test_a_directory_holding_files_is_refused_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(RunExistsError, match=r"holds 1 file \(notes.txt\); pass force=True"):
        claim(tmp_path)
    assert claim(tmp_path, force=True) == str(tmp_path)
    assert (tmp_path / "notes.txt").read_text() == "mine"
    error = pickle.loads(pickle.dumps(RunExistsError(str(tmp_path), ["notes.txt"])))
    assert error.names == ["notes.txt"]


def test_a_file_is_not_a_run_directory(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(RunError, match=r"file as a run directory: it is a file"):
        claim(tmp_path / "file")
    with pytest.raises(RunError, match=r"file/run: .*file is a file, not a directory"):
        claim(tmp_path / "file" / "run")


def test_a_non_finite_state_is_never_written(tmp_path):
    state = TrainState({"weight": jnp.array([1.0, jnp.nan])}, (), jnp.array(3), None)
    with pytest.raises(RunError, match=r"nan or inf in .*weight"):
        runs.write_run(str(tmp_path), {}, state, {"loss": [1.0]}, epochs_completed=1, title="t")
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[]", r"config.json must hold a JSON object of settings .* it holds an array"),
        ('"digits"', r"it holds a string"),
        (
            '{"dataset": "iris",\n "model": "mlp"\n "epochs": 2}',
            r"not valid JSON: .* line 3, column 2",
        ),
        ("{", r"not valid JSON: .* line 1, column 2"),
        ('{"hiden": 128}', r"unknown setting 'hiden', missing setting 'dataset'"),
        ('{"seed": 0}', r"missing setting 'dataset', .*; the settings are dataset, model, epochs"),
    ],
)
def test_config_json_errors_name_the_file_and_the_problem(tmp_path, text, message):
    write_config(tmp_path, text)
    with pytest.raises(RunError, match=message) as info:
        read_config(tmp_path)
    assert str(tmp_path / "config.json") in str(info.value)


@pytest.mark.parametrize(
    ("setting", "value", "message"),
    [
        ("lr", "0.1", r"lr must be a positive number, got '0.1'"),
        ("lr", -1.0, r"lr must be a positive number, got -1.0"),
        ("epochs", 2.0, r"epochs must be a positive int, got 2.0"),
        ("epochs", True, r"epochs must be a positive int, got True"),
        ("seed", None, r"seed must be an int, got None"),
        ("model", "resnet", r"model must be one of \['mlp', 'cnn', 'cnn-bn'\], got 'resnet'"),
        ("dataset", ["iris"], r"dataset must be one of \['digits', 'iris'\], got \['iris'\]"),
        ("model", {}, r"model must be one of \[.*\], got \{\}"),
        ("weight_decay", float("nan"), r"weight_decay must be a number >= 0, got nan"),
    ],
)
def test_a_bad_setting_names_the_file_and_the_setting(tmp_path, setting, value, message):
    values = {**dataclasses.asdict(Config()), setting: value}
    write_config(tmp_path, json.dumps(values))
    with pytest.raises(RunError, match=message):
        read_config(tmp_path)


def test_config_json_that_is_not_utf8_is_named(tmp_path):
    tmp_path.joinpath("config.json").write_bytes(b'{"dataset": "\xff"}')
    with pytest.raises(RunError, match=r"config.json is not UTF-8 text"):
        read_config(tmp_path)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda path: path / "missing", r"missing does not exist"),
        (lambda path: path, r"is not a funcnet run directory \(it has no config.json\)"),
    ],
)
def test_something_that_is_not_a_run_is_named(tmp_path, make, message):
    with pytest.raises(RunError, match=message):
        experiment.evaluate_run(make(tmp_path))


def test_a_run_without_its_checkpoint_is_named(tmp_path):
    write_config(tmp_path, json.dumps(dataclasses.asdict(Config(dataset="iris"))))
    with pytest.raises(RunError, match=r"params.safetensors is missing"):
        experiment.evaluate_run(tmp_path)
    with pytest.raises(RunError, match=r"state.safetensors is missing; this run cannot be"):
        experiment.resume_run(tmp_path, progress=False)


def test_run_interrupted_says_where_the_run_is_and_pickles():
    saved = RunInterrupted(state=None, history={}, epoch=3, epochs=40, directory="runs/x")
    assert "after epoch 3 of 40; resume_run('runs/x') finishes it" in str(saved)
    assert isinstance(saved, KeyboardInterrupt)
    nothing = RunInterrupted(state=None, history={}, epoch=0, epochs=40, directory=None)
    assert "before epoch 1 of 40 completed; nothing was written" in str(nothing)
    again = pickle.loads(pickle.dumps(saved))
    assert (again.epoch, again.epochs, again.directory, str(again)) == (
        3,
        40,
        "runs/x",
        str(saved),
    )


def test_the_plot_names_the_splits_and_the_run():
    history = {"loss": [1.0, 0.5], "accuracy": [0.5, 0.75]}
    history |= {"val_loss": [1.1, 0.7], "val_accuracy": [0.4, 0.7]}
    figure = curves.figure(history, "MLP on iris")
    assert figure.get_suptitle() == "MLP on iris"
    assert [axis.get_title() for axis in figure.axes] == ["loss", "accuracy"]
    for axis in figure.axes:
        legend = [text.get_text() for text in axis.get_legend().get_texts()]
        assert legend == ["training", "validation"]
    matplotlib.pyplot.close(figure)
    assert curves.as_png(history, "MLP on iris")[:8] == b"\x89PNG\r\n\x1a\n"

"""Train a model on a bundled dataset, save everything, and re-evaluate it later.

This is what `funcnet train` and `funcnet evaluate` run. A run directory holds:

- `config.json`: the dataset, model and hyperparameters (enough to rebuild the model);
- `params.safetensors`: the trained parameters, with PyTorch names (`0.weight`, ...);
- `state.safetensors`: the whole `TrainState` (optimizer state, step, key), to resume;
- `history.json` and `history.csv`: per-epoch loss and accuracy;
- `history.png`: loss and accuracy curves (when matplotlib is installed).

Every file is written atomically.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
from collections.abc import Callable
from typing import Any

import jax
import optax

from funcnet import _io, checkpoint, data, models
from funcnet.layers import Layer
from funcnet.losses import cross_entropy
from funcnet.params import load_state_dict
from funcnet.train import evaluate, fit

__all__ = ["Config", "build", "evaluate_run", "load_run", "make_optimizer", "train_run"]

DATASETS: dict[str, Callable[..., data.Dataset]] = {
    "digits": data.load_digits,
    "iris": data.load_iris,
}


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of one training run; the defaults reach >= 0.97 test accuracy on digits.

    Examples:
        >>> from funcnet.experiment import Config
        >>> Config(model="cnn").dataset
        'digits'
    """

    dataset: str = "digits"
    model: str = "mlp"
    epochs: int = 40
    lr: float = 3e-3
    batch_size: int = 32
    seed: int = 0
    hidden: int = 128
    weight_decay: float = 1e-4

    def __post_init__(self) -> None:
        if self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {self.dataset!r}.")
        if self.model not in ("mlp", "cnn"):
            raise ValueError(f"model must be 'mlp' or 'cnn', got {self.model!r}.")
        if self.model == "cnn" and self.dataset != "digits":
            raise ValueError("model 'cnn' needs image data: use --dataset digits.")
        for name in ("epochs", "batch_size", "hidden"):
            value = getattr(self, name)
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        if not self.lr > 0:
            raise ValueError(f"lr must be positive, got {self.lr!r}.")
        if not self.weight_decay >= 0:
            raise ValueError(f"weight_decay must be >= 0, got {self.weight_decay!r}.")


def make_optimizer(config: Config, train_size: int) -> optax.GradientTransformation:
    """AdamW whose learning rate decays from `config.lr` to 0 on a cosine over the run.

    Examples:
        >>> from funcnet.experiment import Config, make_optimizer
        >>> optimizer = make_optimizer(Config(epochs=2), train_size=64)
    """
    steps = config.epochs * -(-train_size // config.batch_size)
    schedule = optax.cosine_decay_schedule(config.lr, steps)
    return optax.adamw(schedule, weight_decay=config.weight_decay)


def build(config: Config) -> tuple[Layer, data.Dataset]:
    """The model and dataset a config describes.

    Examples:
        >>> from funcnet.experiment import Config, build
        >>> model, dataset = build(Config())
        >>> model.output_shape(dataset.train.x.shape)[1], dataset.num_classes
        (10, 10)
    """
    dataset = DATASETS[config.dataset](
        seed=config.seed, **({"image": True} if config.model == "cnn" else {})
    )
    if config.model == "cnn":
        return models.digits_cnn(dataset.num_classes), dataset
    features = dataset.train.x.shape[1]
    return models.mlp(features, config.hidden, dataset.num_classes), dataset


def _history_csv(history: dict[str, list[float]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    names = list(history)
    writer.writerow(["epoch", *names])
    for epoch, row in enumerate(zip(*(history[name] for name in names), strict=True), 1):
        writer.writerow([epoch, *(f"{value:.6g}" for value in row)])
    return buffer.getvalue().encode()


def _plot(path: str, history: dict[str, list[float]]) -> bool:
    """Write loss and accuracy curves; False (and nothing written) without matplotlib."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    figure, axes = plt.subplots(1, 2, figsize=(9, 3.5))
    epochs = range(1, len(history["loss"]) + 1)
    for axis, metric in zip(axes, ("loss", "accuracy"), strict=True):
        for prefix, label in (("", "train"), ("val_", "test")):
            if prefix + metric in history:
                axis.plot(epochs, history[prefix + metric], label=label)
        axis.set_xlabel("epoch")
        axis.set_title(metric)
        axis.legend()
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=100)
    plt.close(figure)
    _io.write_bytes(path, buffer.getvalue())
    return True


def train_run(config: Config, out: str | os.PathLike, *, progress: bool = True) -> dict[str, Any]:
    """Train as `config` says, write the run directory `out`, return the results.

    The test split is evaluated after every epoch for the curves; nothing is selected
    on it, so the final test accuracy is an honest estimate.

    Returns:
        `{"test_loss", "test_accuracy", "history", "files"}`.
    """
    model, dataset = build(config)
    os.makedirs(out, exist_ok=True)
    key = jax.random.key(config.seed)
    init_key, train_key = jax.random.split(key)
    params = model.init(init_key, dataset.train.x.shape)
    state, history = fit(
        model,
        params,
        dataset.train,
        loss_fn=cross_entropy,
        optimizer=make_optimizer(config, dataset.train.x.shape[0]),
        epochs=config.epochs,
        batch_size=config.batch_size,
        key=train_key,
        validation=dataset.test,
        progress=progress,
    )
    scores = evaluate(model, state.params, dataset.test, loss_fn=cross_entropy)
    files = _write_run(out, config, state, history)
    return {
        "test_loss": scores["loss"],
        "test_accuracy": scores["accuracy"],
        "history": history,
        "files": files,
    }


def _write_run(out, config: Config, state, history) -> list[str]:
    join = lambda name: os.path.join(out, name)  # noqa: E731 - a local shorthand
    meta = {"config": json.dumps(dataclasses.asdict(config))}
    checkpoint.save(join("params.safetensors"), state.params, metadata=meta)
    checkpoint.save(join("state.safetensors"), state, metadata=meta)
    _io.write_bytes(join("config.json"), json.dumps(dataclasses.asdict(config), indent=2).encode())
    _io.write_bytes(join("history.json"), json.dumps(history, indent=2).encode())
    _io.write_bytes(join("history.csv"), _history_csv(history))
    files = ["config.json", "params.safetensors", "state.safetensors", "history.json"]
    files.append("history.csv")
    if _plot(join("history.png"), history):
        files.append("history.png")
    return files


def load_run(out: str | os.PathLike) -> tuple[Config, Layer, Any, data.Dataset]:
    """Rebuild a run's config, model, trained params and dataset from its directory.

    Raises:
        FileNotFoundError: if `out` is not a run directory.
    """
    config_path = os.path.join(out, "config.json")
    if not os.path.isfile(config_path):
        raise FileNotFoundError(
            f"{out!r} is not a funcnet run directory (no config.json); create one with "
            "`funcnet train --out DIR`."
        )
    with open(config_path) as file:
        config = Config(**json.load(file))
    model, dataset = build(config)
    like = jax.eval_shape(lambda key: model.init(key, dataset.train.x.shape), jax.random.key(0))
    stored = checkpoint.load(os.path.join(out, "params.safetensors"))
    # load_state_dict checks every name and shape, and casts to the current default
    # float (the run may have been trained with or without 64-bit mode).
    params = load_state_dict(like, stored)
    return config, model, params, dataset


def evaluate_run(out: str | os.PathLike) -> dict[str, float]:
    """Reload a run directory's checkpoint and evaluate it on its test split.

    Returns:
        `{"loss": float, "accuracy": float}` on the test split.
    """
    _, model, params, dataset = load_run(out)
    return evaluate(model, params, dataset.test, loss_fn=cross_entropy)

"""The settings of a training run (`Config`), and the model, data and optimizer they make.

`funcnet train` stores them in the run directory's `config.json`; `read_config` reads
them back, and names the file and the setting when something in it is wrong.
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Callable
from typing import Any

import optax

from funcnet import data, models, runs
from funcnet.layers import Layer
from funcnet.runs import RunError

__all__ = [
    "DATASETS",
    "IMAGE_MODELS",
    "MODELS",
    "Config",
    "build",
    "make_optimizer",
    "read_config",
]

DATASETS: dict[str, Callable[..., data.Dataset]] = {
    "digits": data.load_digits,
    "iris": data.load_iris,
}


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return (_is_int(value) or isinstance(value, float)) and math.isfinite(value)


#: The models `funcnet train --model` builds: an MLP, the digits CNN, and the same
#: CNN with batch norm after each convolution and the hidden Linear.
MODELS = ("mlp", "cnn", "cnn-bn")
IMAGE_MODELS = ("cnn", "cnn-bn")


@dataclasses.dataclass(frozen=True)
class Config:
    """Settings of one training run; the defaults reach >= 0.97 validation accuracy on digits.

    Raises:
        ValueError: for an unknown dataset or model, a CNN on non-image data, a
            non-positive or non-int count, or a learning rate or weight decay that is
            not a finite number in range.

    Examples:
        >>> from funcnet.experiment import Config
        >>> Config(model="cnn").dataset
        'digits'
        >>> Config(lr="0.1")
        Traceback (most recent call last):
        ...
        ValueError: lr must be a positive number, got '0.1'.
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
        if not isinstance(self.dataset, str) or self.dataset not in DATASETS:
            raise ValueError(f"dataset must be one of {sorted(DATASETS)}, got {self.dataset!r}.")
        if not isinstance(self.model, str) or self.model not in MODELS:
            raise ValueError(f"model must be one of {list(MODELS)}, got {self.model!r}.")
        if self.model in IMAGE_MODELS and self.dataset != "digits":
            raise ValueError(f"model {self.model!r} needs image data: use dataset 'digits'.")
        for name in ("epochs", "batch_size", "hidden"):
            value = getattr(self, name)
            if not _is_int(value) or value <= 0:
                raise ValueError(f"{name} must be a positive int, got {value!r}.")
        if not _is_int(self.seed):
            raise ValueError(f"seed must be an int, got {self.seed!r}.")
        if not (_is_number(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a positive number, got {self.lr!r}.")
        if not (_is_number(self.weight_decay) and self.weight_decay >= 0):
            raise ValueError(f"weight_decay must be a number >= 0, got {self.weight_decay!r}.")


def make_optimizer(config: Config, train_size: int) -> optax.GradientTransformation:
    """AdamW whose learning rate decays from `config.lr` to 0 on a cosine over the run.

    The schedule reads the step count kept in the optimizer state, so a resumed run
    continues on the same curve.

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
    image = config.model in IMAGE_MODELS
    dataset = DATASETS[config.dataset](seed=config.seed, **({"image": True} if image else {}))
    if image:
        batch_norm = config.model == "cnn-bn"
        return models.digits_cnn(dataset.num_classes, batch_norm=batch_norm), dataset
    features = dataset.train.x.shape[1]
    return models.mlp(features, config.hidden, dataset.num_classes), dataset


def read_config(directory: str | os.PathLike) -> Config:
    """The `Config` stored in a run directory's `config.json`.

    Raises:
        RunError: naming the file, if it is missing, not a JSON object, has an
            unknown or a missing setting, or a setting `Config` refuses.
    """
    path = os.path.join(runs.require_run(directory), "config.json")
    values = runs.read_json(path)
    if not isinstance(values, dict):
        raise RunError(
            f"{path} must hold a JSON object of settings such as "
            f'{{"dataset": "digits", "epochs": 40}}; it holds {runs.json_type(values)}.'
        )
    known = [field.name for field in dataclasses.fields(Config)]
    unknown = [name for name in values if name not in known]
    missing = [name for name in known if name not in values]
    if unknown or missing:
        problems = [f"unknown setting {name!r}" for name in unknown]
        problems += [f"missing setting {name!r}" for name in missing]
        raise RunError(f"{path}: {', '.join(problems)}; the settings are {', '.join(known)}.")
    try:
        return Config(**values)
    except ValueError as error:
        raise RunError(f"{path}: {error}") from None

"""What `funcnet sweep` runs: MLPs with several activations, seeds and learning rates, at once.

Every run is the `funcnet train` run with the same settings (AdamW whose learning
rate decays on a cosine to 0 over the run, weight decay, batch size, epochs), except
that all runs share one split of the dataset, made with seed 0: the seeds vary the
initial parameters and the shuffling only, so the runs are compared on the same
validation examples.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import sys
from typing import Any, NamedTuple

import jax
import optax

from funcnet import _sweep_grid, _sweep_report, checkpoint, models, runs
from funcnet._sweep_history import grid
from funcnet.config import DATASETS, Config
from funcnet.losses import cross_entropy
from funcnet.sweep import SweepHistory, SweepInterrupted, sweep

#: The split of the dataset every run of a sweep shares.
DATA_SEED = 0
#: The file that holds every run's state, stacked along a leading run axis.
STATE = "state.safetensors"


@dataclasses.dataclass(frozen=True)
class SweepSettings:
    """The settings of a `funcnet sweep`; the defaults are `funcnet train`'s.

    Raises:
        ValueError: for an unknown dataset or activation, no activation or learning
            rate, or a setting `Config` refuses (the message names it).

    Examples:
        >>> from funcnet._sweep_command import SweepSettings
        >>> SweepSettings(activations=("relu", "tanh"), seeds=2).runs
        4
        >>> SweepSettings(activations=("swish",))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: activations: 'swish' is not one of relu, sigmoid, tanh, leaky_relu, ...
    """

    dataset: str = "digits"
    model: str = "mlp"
    activations: tuple[str, ...] = ("relu",)
    seeds: int = 1
    lr: tuple[float, ...] = (Config.lr,)
    epochs: int = Config.epochs
    batch_size: int = Config.batch_size
    hidden: int = Config.hidden
    weight_decay: float = Config.weight_decay
    max_parallel: int | None = None
    devices: int | None = None

    def __post_init__(self) -> None:
        if not self.activations:
            raise ValueError("activations: give at least one, such as relu,sigmoid.")
        for name in self.activations:
            if name not in models.ACTIVATIONS:
                known = ", ".join(models.ACTIVATIONS)
                raise ValueError(f"activations: {name!r} is not one of {known}.")
        if len(set(self.activations)) != len(self.activations):
            raise ValueError(f"activations: {list(self.activations)} names one twice.")
        if not self.lr:
            raise ValueError("lr: give at least one learning rate, such as 1e-3,1e-2.")
        for lr in self.lr:  # Config checks each setting, with its own message
            Config(
                dataset=self.dataset,
                model=self.model,
                epochs=self.epochs,
                lr=lr,
                batch_size=self.batch_size,
                seed=self.seeds,
                hidden=self.hidden,
                weight_decay=self.weight_decay,
            )
        if self.model != "mlp":
            raise ValueError(f"model: a sweep trains 'mlp' models, got {self.model!r}.")
        if not isinstance(self.seeds, int) or self.seeds < 1:
            raise ValueError(f"seeds must be a positive int, got {self.seeds!r}.")

    @property
    def runs(self) -> int:
        """How many runs: activations x learning rates x seeds."""
        return len(self.activations) * len(self.lr) * self.seeds


class SweepResult(NamedTuple):
    """What `run_sweep` returns: the directory, the history, the files written."""

    directory: str
    history: SweepHistory
    files: list[str]


@functools.lru_cache(maxsize=8)
def _optimizer(steps: int, weight_decay: float):
    """`funcnet train`'s optimizer as a function of the learning rate.

    Kept, so that sweeps with the same settings share their compiled epoch.
    """

    def adamw_cosine(learning_rate):
        schedule = optax.cosine_decay_schedule(learning_rate, steps)
        return optax.adamw(schedule, weight_decay=weight_decay)

    return adamw_cosine


def title(settings: SweepSettings) -> str:
    """The plots' title."""
    return (
        f"MLP ({settings.hidden} hidden) on {settings.dataset}: {settings.seeds} seeds, "
        f"{settings.epochs} epochs, batch size {settings.batch_size}"
    )


def run_sweep(
    settings: SweepSettings,
    out: str | os.PathLike | None,
    *,
    force: bool = False,
    progress: bool = True,
    resume: bool = False,
) -> SweepResult:
    """Train every run of `settings` and write the results into `out`.

    Besides the table and the plots, `state.safetensors` holds every run's `TrainState`
    (stacked, run axis first), so that an interrupted sweep can be resumed.

    Args:
        settings: what to sweep.
        out: the results directory; it must be absent or empty unless `force`. None
            picks the first free `sweeps/DATASET-mlp-N`.
        force: write into `out` even if it holds files.
        progress: print one line per epoch to stderr.
        resume: continue the interrupted sweep in `out` (whose settings `settings`
            must be, see `stored_settings`) up to `settings.epochs`.

    Raises:
        RunExistsError, RunError: for an unusable `out`, or, with `resume`, one that
            holds no interrupted sweep.
        SweepInterrupted: on Ctrl-C or SIGTERM. After at least one completed epoch,
            the results of the completed epochs and the state are written first
            (`results.json` says how many under `settings.completed_epochs`) and the
            error's `written` is the directory; before, nothing is written.
        DivergenceError: when every run diverged; nothing is written.
    """
    stem = os.path.join("sweeps", f"{settings.dataset}-{settings.model}")
    with runs.claimed(out, stem=stem, force=force or resume) as directory:
        dataset = DATASETS[settings.dataset](seed=DATA_SEED)
        features = dataset.train.x.shape[1]
        layers = {
            name: models.mlp(features, settings.hidden, dataset.num_classes, activation=name)
            for name in settings.activations
        }
        steps = settings.epochs * -(-dataset.train.x.shape[0] // settings.batch_size)
        optimizer = _optimizer(steps, settings.weight_decay)
        hyperparameters = {"learning_rate": list(settings.lr)}
        earlier = None
        if resume:
            shape = dataset.train.x.shape
            earlier = _earlier(directory, layers, optimizer, hyperparameters, settings, shape)
        if progress:
            print(f"{settings.runs} runs: {title(settings)}", file=sys.stderr)
        stored = {**dataclasses.asdict(settings), "data_seed": DATA_SEED}
        try:
            state, history = sweep(
                layers,
                dataset.train,
                loss_fn=cross_entropy,
                optimizer=optimizer,
                hyperparameters=hyperparameters,
                seeds=settings.seeds,
                epochs=settings.epochs,
                batch_size=settings.batch_size,
                validation=dataset.test,
                max_parallel=settings.max_parallel,
                devices=settings.devices,
                progress=progress,
                resume=earlier,
            )
        except SweepInterrupted as error:
            if error.epoch:  # keep what the completed epochs measured
                done = {**stored, "completed_epochs": error.epoch, "interrupted_by": error.signal}
                heading = f"{title(settings)} (interrupted after epoch {error.epoch})"
                _write(directory, error.state, error.history, done, heading)
                error.written = directory
            raise
        stored["completed_epochs"] = settings.epochs
        files = _write(directory, state, history, stored, title(settings))
    return SweepResult(directory, history, files)


def _write(directory: str, state: Any, history: SweepHistory, stored: dict, heading: str) -> list:
    """The state first, then the table and plots that say how many epochs it holds."""
    epochs = str(stored["completed_epochs"])
    checkpoint.save(os.path.join(directory, STATE), state, metadata={"completed_epochs": epochs})
    files = _sweep_report.write(directory, history, stored, heading, model_field="activation")
    return [*files, STATE]


def stored_settings(directory: str | os.PathLike) -> tuple[SweepSettings, int]:
    """The settings of the sweep in `directory` and how many epochs it completed.

    Raises:
        RunError: if `directory` holds no `results.json` of a sweep, or an unreadable one.
    """
    path = os.path.join(directory, "results.json")
    try:
        with open(path, encoding="utf-8") as file:
            stored = dict(json.load(file)["settings"])
        done = int(stored.pop("completed_epochs"))
        for name in ("data_seed", "interrupted_by"):
            stored.pop(name, None)
        for name in ("activations", "lr"):
            stored[name] = tuple(stored[name])
        return SweepSettings(**stored), done
    except FileNotFoundError:
        missing = "does not exist" if not os.path.isdir(directory) else "holds no results.json"
        raise runs.RunError(
            f"{directory} {missing}: it is not a funcnet sweep directory."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise runs.RunError(f"{path} is not the results of a funcnet sweep: {error}") from None


def _earlier(directory, layers, optimizer, hyperparameters, settings, shape) -> tuple:
    """`(state, history)` of the interrupted sweep in `directory`, checked."""
    with open(os.path.join(directory, "results.json"), encoding="utf-8") as file:
        document = json.load(file)
    history = SweepHistory.from_dict(document["history"])
    path = os.path.join(directory, STATE)
    if not os.path.exists(path):
        raise runs.RunError(f"{directory} holds no {STATE}: there is no state to resume from.")
    saved = checkpoint.load_metadata(path).get("completed_epochs")
    if saved != str(len(history.seconds)):
        raise runs.RunError(
            f"{path} holds epoch {saved} but results.json records {len(history.seconds)}; "
            "the directory was changed by hand."
        )
    spec, values = _sweep_grid.check_optimizer(optimizer, hyperparameters)
    every = grid(len(layers), values, tuple(range(settings.seeds)))
    like = jax.eval_shape(
        lambda: _sweep_grid.initial_states(tuple(layers.values()), spec, every, shape)
    )
    return checkpoint.load(path, like), history


def report_lines(history: SweepHistory) -> list[str]:
    """The summary `funcnet sweep` prints: one line per group of seeds, then the best run."""
    rows = _sweep_report.summary(history, "val_accuracy", ["model", "learning_rate"])
    width = max(len("activation"), *(len(row["model"]) for row in rows))
    lines = [f"{'activation':<{width}}  lr        validation accuracy over seeds"]
    for row in rows:
        diverged = f"  ({row['diverged']} diverged)" if row["diverged"] else ""
        lines.append(
            f"{row['model']:<{width}}  {row['learning_rate']:<8g}  mean {row['mean']:.4f}  "
            f"std {row['std']:.4f}  min {row['min']:.4f}  max {row['max']:.4f}{diverged}"
        )
    best = history.best()
    run = history.runs[best]
    lines.append(
        f"best run {best}: {history.model_names[run.model]}, lr "
        f"{run.hyperparameters['learning_rate']:g}, seed {run.seed}: validation accuracy "
        f"{history.final('val_accuracy')[best]:.4f}, validation loss "
        f"{history.final('val_loss')[best]:.4f}"
    )
    return lines


# --- the command line -------------------------------------------------------------------

_FLAGS = (
    "dataset",
    "model",
    "activations",
    "seeds",
    "lr",
    "epochs",
    "batch_size",
    "hidden",
    "max_parallel",
    "devices",
)


def handle(arguments: argparse.Namespace) -> int:
    """`funcnet sweep`: train, write the results, print one line per group and the best."""
    given = {name: getattr(arguments, name) for name in _FLAGS}
    progress = not arguments.no_progress
    if arguments.resume is not None:
        settings = _resumed_settings(arguments, given)
        result = run_sweep(settings, arguments.resume, progress=progress, resume=True)
    else:
        chosen = {name: value for name, value in given.items() if value is not None}
        settings = SweepSettings(**chosen)
        result = run_sweep(settings, arguments.out, force=arguments.force, progress=progress)
    for line in report_lines(result.history):
        print(line)
    if result.history.diverged:
        print(
            f"note: {len(result.history.diverged)} of {len(result.history)} runs diverged "
            "(their figures are empty from then on); try smaller --lr values.",
            file=sys.stderr,
        )
    print(f"wrote {', '.join(result.files)} to {result.directory}")
    return 0


def _resumed_settings(arguments: argparse.Namespace, given: dict[str, Any]) -> SweepSettings:
    """The settings stored in `--resume DIR`, checked against the flags given with it."""
    directory = arguments.resume
    if arguments.out is not None or arguments.force:
        raise runs.RunError(
            f"--resume continues the sweep in {directory} and writes there; leave out "
            "--out and --force."
        )
    settings, done = stored_settings(directory)
    for name, value in given.items():
        if value is not None and value != getattr(settings, name):
            show = lambda v: ",".join(map(str, v)) if isinstance(v, tuple) else v  # noqa: E731
            flag = "--" + name.replace("_", "-")
            raise runs.RunError(
                f"{flag} {show(value)} disagrees with {directory}/results.json, whose "
                f"sweep has {name} {show(getattr(settings, name))}; leave {flag} out to "
                "resume it."
            )
    if done >= settings.epochs:
        raise runs.RunError(
            f"{directory} is complete: all {settings.epochs} epochs ran, so there is "
            "nothing to resume."
        )
    return settings


def listed(kind: type, what: str):
    """An argparse type for a comma-separated list, such as `relu,tanh` or `1e-3,1e-2`.

    Examples:
        >>> listed(float, "numbers")("1e-3, 0.01")
        (0.001, 0.01)
        >>> listed(float, "numbers")("1e-3;0.01")
        Traceback (most recent call last):
        ...
        argparse.ArgumentTypeError: '1e-3;0.01' is not a comma-separated list of numbers
    """

    def parse(text: str) -> tuple:
        items = [item.strip() for item in text.split(",")]
        if not all(items):
            raise argparse.ArgumentTypeError(f"{text!r} has an empty entry")
        try:
            return tuple(kind(item) for item in items)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a comma-separated list of {what}"
            ) from None

    return parse


_DESCRIPTION = """\
Train one MLP per activation, learning rate and seed, all at once: one compiled call
per epoch (funcnet.sweep). Each run is the `funcnet train` run with its settings, on
one split of the dataset (seed 0) shared by every run. Writes results.csv and
results.json (one row per run; the JSON also holds every epoch's figures), the
plots curves.png (mean and range over the seeds per epoch) and final.png, and
state.safetensors (every run's parameters and optimizer state, run axis first).
Ctrl-C writes the completed epochs; --resume DIR continues from there."""


def add_parser(commands: Any, epilog: str) -> None:
    """Add `sweep` to the `funcnet` command's subparsers."""
    sweep_parser = commands.add_parser(
        "sweep",
        help="train many MLPs at once: activations x learning rates x seeds",
        description=_DESCRIPTION,
        epilog=epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    option = sweep_parser.add_argument
    option("--dataset", choices=list(DATASETS), help="(default: digits)")
    option("--model", choices=["mlp"], help="(default: mlp)")
    option(
        "--activations",
        type=listed(str, "activation names"),
        metavar="A,B,...",
        help=f"comma-separated, from {', '.join(models.ACTIVATIONS)} (default: relu)",
    )
    option("--seeds", type=int, metavar="N", help="seeds 0..N-1 for each setting (default: 1)")
    option(
        "--lr",
        type=listed(float, "numbers"),
        metavar="LR,...",
        help=f"comma-separated peak AdamW learning rates (default: {Config.lr:g})",
    )
    option("--epochs", type=int, metavar="N", help=f"(default: {Config.epochs})")
    option("--batch-size", type=int, metavar="N", help=f"(default: {Config.batch_size})")
    option("--hidden", type=int, metavar="N", help=f"hidden width (default: {Config.hidden})")
    option(
        "--max-parallel",
        type=int,
        metavar="N",
        help="the most runs per compiled call (default: as many as a quarter of the memory holds)",
    )
    option(
        "--devices",
        type=int,
        metavar="N",
        help="split the runs over the first N of jax.devices() (default: one device)",
    )
    option(
        "--out",
        metavar="DIR",
        help="results directory, absent or empty unless --force (default: a new "
        "sweeps/DATASET-mlp-N)",
    )
    option("--force", action="store_true", help="write into --out even if it holds files")
    option(
        "--resume",
        metavar="DIR",
        help="continue the interrupted sweep in DIR with the settings in DIR/results.json; "
        "other setting flags must agree with them (default: start a new sweep)",
    )
    option("--no-progress", action="store_true", help="no per-epoch lines (default: off)")
    sweep_parser.set_defaults(handler=handle)

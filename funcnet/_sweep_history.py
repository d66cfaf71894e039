"""What a sweep records: each run's place in the grid, its per-epoch figures, interrupts.

`funcnet.sweep` returns a `SweepHistory` and raises `SweepInterrupted`; both are
exported from `funcnet.sweep` and `funcnet`.
"""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Mapping
from typing import Any, NamedTuple

import numpy as np

from funcnet._sweep_loop import best_run, ranking_metric
from funcnet.errors import TrainingInterrupted


class SweepRun(NamedTuple):
    """One run of a sweep: where it sits in the grid.

    Attributes:
        index: its position on the run axis of the stacked `TrainState`.
        model: the index of its model in the `models` given to `sweep`.
        hyperparameters: name -> value, the optimizer's arguments for this run.
        seed: its seed; `jax.random.split(jax.random.key(seed))` gives its init key
            and its train key (shuffling, dropout).
    """

    index: int
    model: int
    hyperparameters: dict[str, float]
    seed: int


def grid(
    model_count: int, values: Mapping[str, tuple[float, ...]], seeds: tuple[int, ...]
) -> tuple[SweepRun, ...]:
    """Every run: models outermost, then hyperparameter combinations, seeds innermost.

    Examples:
        >>> [run[1:] for run in grid(2, {"lr": (0.1,)}, (0, 1))]
        [(0, {'lr': 0.1}, 0), (0, {'lr': 0.1}, 1), (1, {'lr': 0.1}, 0), (1, {'lr': 0.1}, 1)]
    """
    names = tuple(values)
    combos = list(itertools.product(*(values[name] for name in names)))
    cells = itertools.product(range(model_count), combos, seeds)
    return tuple(
        SweepRun(index, model, dict(zip(names, combo, strict=True)), seed)
        for index, (model, combo, seed) in enumerate(cells)
    )


@dataclasses.dataclass(frozen=True)
class SweepHistory:
    """What a sweep recorded: each run's configuration and per-epoch figures.

    Attributes:
        runs: one `SweepRun` per run, in run order (the stacked state's leading axis).
        model_names: the models' names (the keys of a dict of models, else
            `"model 0"`, `"model 1"`, ...).
        figures: name -> `(runs, epochs)` float64 array: `"loss"` (the training mean over
            the epoch's steps), `"accuracy"` (classification), `"val_loss"` and
            `"val_accuracy"` (with validation data). nan from the epoch a run diverged.
        seconds: the wall time of each epoch, all runs together.
        diverged: run index -> the 1-based epoch in which its loss became non-finite.
    """

    runs: tuple[SweepRun, ...]
    model_names: tuple[str, ...]
    figures: Mapping[str, np.ndarray]
    seconds: tuple[float, ...]
    diverged: Mapping[int, int]

    def __len__(self) -> int:
        return len(self.runs)

    def final(self, name: str) -> np.ndarray:
        """`(runs,)`: each run's figure `name` after the last epoch (nan if it diverged).

        Raises:
            KeyError: naming the figures recorded, for a name that is not one.
        """
        if name not in self.figures:
            raise KeyError(f"no figure {name!r}; the sweep recorded {sorted(self.figures)}.")
        return self.figures[name][:, -1]

    def best(self, name: str | None = None) -> int:
        """The index of the best run: lowest final loss, or highest final accuracy.

        Args:
            name: the figure to rank by; by default `"val_loss"` with validation data,
                else `"loss"`. A name containing "loss" is minimised, others maximised.

        Raises:
            KeyError: for a figure the sweep did not record.
            ValueError: when every run diverged.
        """
        name = ranking_metric(list(self.figures)) if name is None else name
        values = self.final(name)
        if not np.isfinite(values).any():
            raise ValueError(f"no run has a finite {name}: every run diverged.")
        return best_run(values, name)

    def rows(self) -> list[dict[str, Any]]:
        """One dict per run: index, model name, seed, hyperparameters, final figures.

        Examples:
            >>> import numpy as np
            >>> from funcnet.sweep import SweepHistory, SweepRun
            >>> history = SweepHistory((SweepRun(0, 0, {"lr": 0.1}, 3),), ("relu",),
            ...                        {"loss": np.array([[0.9, 0.5]])}, (0.1, 0.1), {})
            >>> history.rows()
            [{'run': 0, 'model': 'relu', 'seed': 3, 'lr': 0.1, 'diverged': None, 'loss': 0.5}]
        """
        return [
            {
                "run": run.index,
                "model": self.model_names[run.model],
                "seed": run.seed,
                **run.hyperparameters,
                "diverged": self.diverged.get(run.index),
                **{name: float(values[run.index, -1]) for name, values in self.figures.items()},
            }
            for run in self.runs
        ]

    def group(self, *by: str) -> dict[tuple, list[int]]:
        """Run indices grouped by `"model"`, `"seed"` or hyperparameter names, in run order.

        Examples:
            >>> from funcnet.sweep import SweepHistory, SweepRun
            >>> runs = tuple(SweepRun(i, i // 2, {}, i % 2) for i in range(4))
            >>> SweepHistory(runs, ("relu", "tanh"), {}, (), {}).group("model")
            {('relu',): [0, 1], ('tanh',): [2, 3]}
        """
        groups: dict[tuple, list[int]] = {}
        for row in self.rows():
            missing = [name for name in by if name not in row]
            if missing:
                raise KeyError(f"cannot group by {missing}; a run has {list(row)[1:-1]}.")
            groups.setdefault(tuple(row[name] for name in by), []).append(row["run"])
        return groups

    def as_dict(self) -> dict[str, Any]:
        """JSON-compatible: runs, model names, figures as nested lists (nan as None)."""
        clean = lambda values: [[None if np.isnan(v) else float(v) for v in row] for row in values]  # noqa: E731
        return {
            "runs": [run._asdict() for run in self.runs],
            "model_names": list(self.model_names),
            "figures": {name: clean(values) for name, values in self.figures.items()},
            "seconds": list(self.seconds),
            "diverged": {str(run): epoch for run, epoch in self.diverged.items()},
        }

    @classmethod
    def from_dict(cls, document: Mapping[str, Any]) -> SweepHistory:
        """The history `as_dict` gave (read back from JSON): the inverse of `as_dict`.

        Raises:
            ValueError: if `document` lacks a part of a history or a figure's shape is
                not `(runs, epochs)`.

        Examples:
            >>> import json
            >>> from funcnet.sweep import SweepHistory, SweepRun
            >>> history = SweepHistory((SweepRun(0, 0, {"lr": 0.1}, 0),), ("relu",),
            ...                        {"loss": np.array([[0.5, np.nan]])}, (1.0, 1.0), {0: 2})
            >>> again = SweepHistory.from_dict(json.loads(json.dumps(history.as_dict())))
            >>> again.runs == history.runs, again.diverged, again.figures["loss"]
            (True, {0: 2}, array([[0.5, nan]]))
        """
        try:
            runs = tuple(SweepRun(**run) for run in document["runs"])
            seconds = tuple(float(value) for value in document["seconds"])
            figures = {
                name: np.array(values, dtype=np.float64).reshape(len(runs), len(seconds))
                for name, values in document["figures"].items()
            }
            return cls(
                runs,
                tuple(document["model_names"]),
                figures,
                seconds,
                {int(run): int(epoch) for run, epoch in document["diverged"].items()},
            )
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"not a sweep history: {error!r}") from None


class SweepInterrupted(TrainingInterrupted):
    """A sweep was interrupted (Ctrl-C / SIGINT, or SIGTERM) between two epochs.

    Attributes:
        state: the stacked `TrainState` after the last completed epoch.
        history: the `SweepHistory` of the completed epochs.
        epoch: how many epochs completed.
        signal: the name of the signal, e.g. `"SIGINT"`.

    Examples:
        >>> from funcnet.sweep import SweepInterrupted
        >>> print(SweepInterrupted(state=None, history=None, epoch=2))  # doctest: +ELLIPSIS
        sweep was interrupted by SIGINT after 2 completed epochs; the unfinished epoch ...
    """

    def __init__(self, *, state: Any, history: Any, epoch: int, signal: str = "SIGINT") -> None:
        super().__init__(state=state, history=history, epoch=epoch, signal=signal)
        self.args = (
            f"sweep was interrupted by {signal} after {epoch} completed epoch"
            f"{'' if epoch == 1 else 's'}; the unfinished epoch was dropped. error.state "
            f"holds the stacked TrainState after epoch {epoch}, error.history its figures.",
        )

    def __reduce__(self):
        kwargs = {"state": self.state, "history": self.history, "epoch": self.epoch}
        return (_rebuild_interrupted, ({**kwargs, "signal": self.signal},))


def _rebuild_interrupted(kwargs: dict[str, Any]) -> SweepInterrupted:
    return SweepInterrupted(**kwargs)

"""The run directory of `funcnet train`: claiming it, writing it, reading it back.

A run directory holds:

- `config.json`: the settings of the run (enough to rebuild model, data and optimizer);
- `params.safetensors`: the parameters and buffers (batch norm's running statistics),
  with PyTorch names (`0.weight`, `1.running_mean`, ...), as `model.state_dict()`;
- `state.safetensors`: the whole `TrainState` (optimizer state, step, key), to resume;
- `history.json` and `history.csv`: per-epoch loss and accuracy, training and validation;
- `history.png`: the curves (when matplotlib is installed).

Both checkpoints record in their metadata how many epochs they hold
(`epochs_completed`), so an interrupted run can be told from a finished one.

Every file is written atomically (`funcnet._io`), with Ctrl-C and SIGTERM held back
until the whole set is written, and only finite values are ever written: a run
directory holds one consistent, usable run or nothing new.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import threading
from collections.abc import Iterator, Mapping
from typing import Any

import jax
import numpy as np

from funcnet import _io, checkpoint, curves
from funcnet._names import dotted_names
from funcnet.params import state_dict

__all__ = [
    "FILES",
    "RunError",
    "RunExistsError",
    "claimed",
    "read_history",
    "read_json",
    "read_state",
    "require_run",
    "signals_held",
    "write_run",
]

FILES = (
    "config.json",
    "params.safetensors",
    "state.safetensors",
    "history.json",
    "history.csv",
    "history.png",
)
_EPOCHS_KEY = "epochs_completed"
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class RunError(ValueError):
    """A run directory, or a file in it, cannot be used; the message names the path."""


class RunExistsError(RunError):
    """The directory chosen for a new run already holds files.

    Attributes:
        path: the directory.
        names: the entries it holds, sorted.
    """

    def __init__(self, path: str, names: list[str]) -> None:
        self.path, self.names = path, names
        super().__init__(
            f"{path} already holds {describe_contents(names)}; pass force=True to "
            "overwrite it, or choose another directory."
        )

    def __reduce__(self):
        return (RunExistsError, (self.path, self.names))


def describe_contents(names: list[str]) -> str:
    """A short description of a directory's entries, for messages.

    Examples:
        >>> from funcnet.runs import describe_contents
        >>> describe_contents(["config.json", "history.csv", "history.json", "x.txt"])
        'a run (config.json, history.csv, history.json and 1 more)'
        >>> describe_contents(["notes.txt"])
        '1 file (notes.txt)'
    """
    shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
    if "config.json" in names:
        return f"a run ({shown})"
    return f"{len(names)} file{'' if len(names) == 1 else 's'} ({shown})"


def _make_directories(path: str, new: list[str]) -> None:
    """Create `path` and its missing parents, outermost first, listing each in `new`.

    A directory is listed before it is made, so that whenever this stops (an error,
    a Ctrl-C between two calls), `new` names every directory it may have created.
    """
    missing, head = [], os.path.normpath(path)
    while head and not os.path.exists(head):
        missing.append(head)
        head = os.path.dirname(head)
    if head and not os.path.isdir(head):
        raise RunError(
            f"cannot create the run directory {path}: {head} is a file, not a directory."
        )
    for directory in reversed(missing):
        new.append(directory)
        os.mkdir(directory)


def _remove_empty(new: list[str]) -> None:
    """Remove the directories in `new` (innermost first) that exist and are empty."""
    for directory in reversed(new):
        try:
            os.rmdir(directory)
        except FileNotFoundError:
            continue
        except OSError:
            return  # not empty: it, and the directories holding it, stay


def _claim(path: str, force: bool, new: list[str]) -> None:
    if os.path.isdir(path):
        names = sorted(os.listdir(path))
        if names and not force:
            raise RunExistsError(path, names)
        return
    if os.path.lexists(path):
        raise RunError(
            f"cannot use {path} as a run directory: it is a file; name a new or empty directory."
        )
    _make_directories(path, new)


def _claim_numbered(stem: str, new: list[str]) -> str:
    """Create the first free `stem-1`, `stem-2`, ...; `mkdir` makes the claim atomic."""
    _make_directories(os.path.dirname(stem) or ".", new)
    for number in range(1, 1_000_000):
        path = f"{stem}-{number}"
        try:
            os.mkdir(path)
        except FileExistsError:
            continue
        # Listed only once made: another process may own a name that was taken.
        new.append(path)
        return path
    raise RunError(f"no free run directory name {stem}-N left.")


@contextlib.contextmanager
def claimed(out: str | os.PathLike | None, *, stem: str, force: bool = False) -> Iterator[str]:
    """Make sure a new run may be written to `out`, and yield its path.

    The directory is created at once (so a path that cannot be written fails before
    any training); if the block raises while the directories created here are still
    empty, they are removed again, so an early failure leaves nothing behind.

    Args:
        out: the run directory, or None for the first free `stem-1`, `stem-2`, ...
        stem: the prefix of the numbered directory when `out` is None.
        force: allow an existing directory that holds files; funcnet's files there
            are replaced when the run writes, other files are left alone.

    Raises:
        RunExistsError: if `out` holds files and `force` is False.
        RunError: if `out` is a file, or lies under one.
        OSError: if the directory cannot be created (permissions, ...).

    Examples:
        >>> import os, tempfile
        >>> from funcnet.runs import claimed
        >>> root = tempfile.mkdtemp()
        >>> with claimed(None, stem=os.path.join(root, "digits-mlp")) as path:
        ...     os.path.basename(path)
        'digits-mlp-1'
    """
    new: list[str] = []
    try:
        if out is None:
            path = _claim_numbered(stem, new)
        else:
            path = os.fspath(out)
            _claim(path, force, new)
        yield path
    except BaseException:
        _remove_empty(new)
        raise


@contextlib.contextmanager
def signals_held(*, redeliver: bool) -> Iterator[None]:
    """Hold SIGINT and SIGTERM back while the block runs.

    The handler only records the signal, so it cannot be lost: a `KeyboardInterrupt`
    raised the usual way can land in a garbage-collector callback (JAX registers
    one), where Python prints and drops it.

    Args:
        redeliver: when the block ends normally, hand the first signal that arrived
            to the handler it would have met (Ctrl-C then raises `KeyboardInterrupt`
            here); otherwise signals that arrived are dropped, as `write_run` does:
            the files they would have interrupted are complete, and the process is
            about to stop.

    Outside the main thread (where Python cannot set handlers) this does nothing.

    Examples:
        >>> import os, signal
        >>> from funcnet.runs import signals_held
        >>> previous = signal.signal(signal.SIGINT, signal.default_int_handler)
        >>> try:
        ...     with signals_held(redeliver=True):
        ...         os.kill(os.getpid(), signal.SIGINT)
        ...         print("the block finishes first")
        ... except KeyboardInterrupt:
        ...     print("then Ctrl-C is handled")
        ... finally:
        ...     _ = signal.signal(signal.SIGINT, previous)
        the block finishes first
        then Ctrl-C is handled
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []
    record = lambda number, frame: received.append(number)  # noqa: E731 - a tiny handler
    previous = {number: signal.signal(number, record) for number in _SIGNALS}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, signal.SIG_DFL if handler is None else handler)
    if redeliver and received:
        # raise_signal runs the restored Python handler before it returns.
        signal.raise_signal(received[0])


def _non_finite(tree: Any) -> list[str]:
    names = []
    for name, leaf in dotted_names(tree):
        if jax.dtypes.issubdtype(leaf.dtype, jax.dtypes.prng_key):
            continue
        if jax.numpy.issubdtype(leaf.dtype, np.inexact) and not bool(np.isfinite(leaf).all()):
            names.append(name)
    return names


def write_run(
    directory: str,
    config: Mapping[str, Any],
    state: Any,
    history: Mapping[str, list[float]],
    *,
    epochs_completed: int,
    title: str,
) -> list[str]:
    """Write a run's files into `directory` (which must exist); returns their names.

    Args:
        directory: the run directory.
        config: the run's settings, as stored in `config.json`.
        state: the `TrainState` to save (`state.params` also go to
            `params.safetensors`, with its model state's buffers).
        history: per-epoch lists, one per metric, `epochs_completed` long.
        epochs_completed: how many epochs `state` has trained.
        title: the plot's title.

    Raises:
        RunError: if `state` holds nan or inf; nothing is written then.
    """
    bad = _non_finite(state)
    if bad:
        raise RunError(
            f"refusing to write {directory}: the training state holds nan or inf in "
            f"{', '.join(bad[:3])}."
        )
    join = lambda name: os.path.join(directory, name)  # noqa: E731 - a local shorthand
    meta = {"config": json.dumps(dict(config)), _EPOCHS_KEY: str(epochs_completed)}
    png = curves.as_png(history, title)
    with signals_held(redeliver=False):
        weights = state_dict(state.params, state.model_state)
        checkpoint.save(join("params.safetensors"), weights, metadata=meta)
        checkpoint.save(join("state.safetensors"), state, metadata=meta)
        _io.write_bytes(join("history.json"), json.dumps(history, indent=2).encode())
        _io.write_bytes(join("history.csv"), curves.as_csv(history))
        if png is None:
            with contextlib.suppress(FileNotFoundError):
                os.remove(join("history.png"))  # a stale plot of an overwritten run
        else:
            _io.write_bytes(join("history.png"), png)
        # Last, so a directory with a config.json always has the files beside it.
        _io.write_bytes(join("config.json"), json.dumps(dict(config), indent=2).encode())
    return [name for name in FILES if png is not None or name != "history.png"]


def require_run(directory: str | os.PathLike) -> str:
    """`directory` as a string, if it looks like a run directory.

    Raises:
        RunError: if it does not exist, is a file, or has no `config.json`.
    """
    path = os.fspath(directory)
    if not os.path.exists(path):
        raise RunError(f"{path} does not exist; give a directory written by `funcnet train`.")
    if not os.path.isdir(path):
        raise RunError(f"{path} is a file; give a directory written by `funcnet train`.")
    if not os.path.isfile(os.path.join(path, "config.json")):
        if os.path.isfile(os.path.join(path, "results.json")):
            raise RunError(
                f"{path} holds a sweep (results.json), not a run (it has no config.json): "
                "every run's validation figures are in its results.csv; `funcnet sweep "
                "--resume DIR` finishes an interrupted sweep."
            )
        raise RunError(
            f"{path} is not a funcnet run directory (it has no config.json); create one "
            "with `funcnet train --out DIR`."
        )
    return path


_JSON_TYPES = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}


def json_type(value: Any) -> str:
    """The JSON name of a parsed value's type, for messages.

    Examples:
        >>> from funcnet.runs import json_type
        >>> json_type([]), json_type(3), json_type(None)
        ('an array', 'a number', 'null')
    """
    if value is None:
        return "null"
    return _JSON_TYPES.get(type(value), "a number")


def read_json(path: str) -> Any:
    """Parse the JSON file `path`.

    Raises:
        RunError: naming the file, if it is missing, not UTF-8, or not valid JSON
            (with the line and column of the mistake).
    """
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except FileNotFoundError:
        raise RunError(f"{path} is missing.") from None
    except IsADirectoryError:
        raise RunError(f"{path} is a directory; expected a JSON file.") from None
    except UnicodeDecodeError as error:
        raise RunError(f"{path} is not UTF-8 text (byte {error.start}).") from None
    except json.JSONDecodeError as error:
        raise RunError(
            f"{path} is not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}."
        ) from None


def read_history(directory: str) -> dict[str, list[float]]:
    """The per-epoch history of a run.

    Raises:
        RunError: if `history.json` is missing or is not `{name: [numbers]}` with
            lists of one length.
    """
    path = os.path.join(directory, "history.json")
    history = read_json(path)
    valid = isinstance(history, dict) and all(
        isinstance(values, list) and all(isinstance(v, int | float) for v in values)
        for values in history.values()
    )
    if not valid or len({len(values) for values in history.values()}) > 1:
        raise RunError(
            f"{path} must hold an object of equally long lists of numbers, one per metric."
        )
    return history


def read_state(directory: str, like: Any) -> tuple[Any, int]:
    """A run's saved `TrainState`, in the form of `like`, and how many epochs it holds.

    Args:
        directory: the run directory.
        like: the expected pytree (e.g. from `jax.eval_shape`).

    Returns:
        `(state, epochs_completed)`.

    Raises:
        RunError: if `state.safetensors` is missing or does not say its epoch count.
        CheckpointError: if it is truncated or corrupt.
        StateDictError: if it does not match `like`.
    """
    path = os.path.join(directory, "state.safetensors")
    if not os.path.isfile(path):
        raise RunError(f"{path} is missing; this run cannot be resumed.")
    metadata = checkpoint.load_metadata(path)
    count = metadata.get(_EPOCHS_KEY, "")
    if not count.isdigit():
        raise RunError(f"{path} does not record how many epochs it holds; it cannot be resumed.")
    return checkpoint.load(path, like), int(count)


def epochs_completed(directory: str) -> int | None:
    """How many epochs a run's `params.safetensors` holds, or None if it does not say.

    Raises:
        RunError: if `params.safetensors` is missing.
        CheckpointError: if it is truncated or corrupt.
    """
    path = os.path.join(directory, "params.safetensors")
    if not os.path.isfile(path):
        raise RunError(f"{path} is missing; the run was never completed.")
    count = checkpoint.load_metadata(path).get(_EPOCHS_KEY, "")
    return int(count) if count.isdigit() else None

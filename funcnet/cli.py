"""The `funcnet` command line: `demo`, `train`, `evaluate`, `sweep` and `graph`.

Every failure is one line on stderr, `funcnet COMMAND: error: ...`, naming the flag
or file at fault and what was expected, and the exit status says what happened:
0 success, 1 training diverged (for `sweep`: every run did), 2 a usage error (a bad
flag, an unusable `--out` or run directory, an invalid `config.json` or checkpoint),
130 interrupted (Ctrl-C or SIGTERM; `funcnet train` saves the completed epochs and
says how to resume; `funcnet sweep` writes the results and the state of its completed
epochs, and `funcnet sweep --resume DIR` continues).
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

EXIT_STATUS = """\
exit status: 0 success, 1 training diverged, 2 usage error (bad flag, unusable
directory, invalid config.json or checkpoint), 130 interrupted (Ctrl-C or SIGTERM)"""
_SETTINGS = ("dataset", "model", "epochs", "lr", "batch_size", "seed")


class _UsageError(Exception):
    """A command line that cannot work as given; exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An `ArgumentParser` whose errors are one line (with where to read more)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def _scores(accuracy: float, loss: float) -> str:
    return f"validation accuracy {accuracy:.4f}  validation loss {loss:.4f}"


def _resume_hint(directory: str) -> str:
    return f"funcnet train --resume {shlex.quote(directory)}"


def _demo(arguments: argparse.Namespace) -> int:
    from funcnet import demo

    demo.run(print, train_digits=not arguments.skip_training)
    return 0


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _check_resume(arguments: argparse.Namespace, given: dict[str, Any]) -> None:
    """Refuse flags that would change the settings of the run being resumed."""
    from funcnet import experiment

    directory = arguments.resume
    if arguments.out is not None and os.path.normpath(arguments.out) != os.path.normpath(
        directory
    ):
        raise _UsageError(f"--resume {directory} writes back into {directory}; drop --out.")
    if arguments.force:
        raise _UsageError("--force starts a run over and --resume continues one; use one.")
    saved = experiment.read_config(directory)
    conflicts = [
        f"{_flag(name)} {value} (saved: {getattr(saved, name)})"
        for name, value in given.items()
        if value != getattr(saved, name)
    ]
    if conflicts:
        raise _UsageError(
            f"--resume {directory} continues with the settings saved in "
            f"{os.path.join(directory, 'config.json')}, but {', '.join(conflicts)} "
            "would change them; drop those flags, or start a new run with --out."
        )


def _train(arguments: argparse.Namespace) -> int:
    from funcnet import experiment

    given = {name: getattr(arguments, name) for name in _SETTINGS}
    given = {name: value for name, value in given.items() if value is not None}
    progress = not arguments.no_progress
    devices = _devices(arguments.devices)
    if arguments.resume is not None:
        _check_resume(arguments, given)
        result = experiment.resume_run(arguments.resume, progress=progress, devices=devices)
    else:
        config = experiment.Config(**given)
        result = experiment.train_run(
            config, arguments.out, force=arguments.force, progress=progress, devices=devices
        )
    print(_scores(result.val_accuracy, result.val_loss))
    print(f"wrote {', '.join(result.files)} to {result.directory}")
    return 0


def _devices(count: int | None) -> Any:
    """The mesh of `--devices N`, announced on stdout; None without the flag."""
    if count is None:
        return None
    from funcnet import devices

    mesh = devices.mesh(count)
    print(f"training on {devices.describe(mesh)}", flush=True)
    return mesh


def _evaluate(arguments: argparse.Namespace) -> int:
    from funcnet import experiment

    scores = experiment.evaluate_run(arguments.directory)
    print(_scores(scores["accuracy"], scores["loss"]))
    done, epochs = scores["epochs_completed"], scores["epochs"]
    if done is not None and done < epochs:
        print(
            f"note: {arguments.directory} was interrupted after epoch {done} of {epochs}; "
            f"finish it with: {_resume_hint(arguments.directory)}",
            file=sys.stderr,
        )
    return 0


def _graph(arguments: argparse.Namespace) -> int:
    from funcnet.graph import compiled_ops, graph, lesson_function

    fn, example_args = lesson_function(backward=arguments.backward)
    traced = graph(fn, *example_args)
    if arguments.format == "dot":
        print(traced.to_dot())
    elif arguments.format == "mermaid":
        print(traced.to_mermaid())
    else:
        print(traced.to_text())
        traced.check_order()  # raises ValueError, naming the edge, if it is not
        last = len(traced.nodes) - 1
        print(f"\njaxpr order 0..{last}: a topological order (checked: every edge points forward)")
        print("Kahn's order:", " ".join(map(str, traced.topological_order())))
        ops = compiled_ops(fn, *example_args)
        print(
            f"XLA: {ops.traced} traced operations, {ops.lowered} HLO operations before "
            f"optimising, {ops.compiled} kernels after ({len(ops.fused)} fused)"
        )
    return 0


def _add_graph(commands: Any) -> None:
    parser = commands.add_parser(
        "graph",
        help="print a model's computation graph and its topological order",
        description="Trace a model with jax.make_jaxpr and print its computation graph: "
        "a table with the topological orders and XLA's operation counts (text), or "
        "Graphviz DOT or Mermaid text to render elsewhere (e.g. dot -Tsvg).",
    )
    parser.add_argument(
        "--model",
        choices=["lesson"],
        default="lesson",
        help="the lesson's Linear(10, 5), Sigmoid, Linear(5, 8), Softmax on a (4, 10) "
        "batch (default: lesson)",
    )
    parser.add_argument(
        "--backward",
        action="store_true",
        help="the gradient of the cross-entropy loss: forward pass, loss and backward "
        "pass (default: the forward pass alone)",
    )
    parser.add_argument(
        "--format",
        choices=["text", "dot", "mermaid"],
        default="text",
        help="output format (default: text)",
    )
    parser.set_defaults(handler=_graph)


def _add_train(commands: Any) -> None:
    from funcnet.config import MODELS
    from funcnet.experiment import Config

    defaults = Config()
    train = commands.add_parser(
        "train",
        help="train a model on a bundled dataset",
        description="Train a model on a bundled dataset and write a run directory.",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    option = train.add_argument
    option(
        "--dataset",
        choices=["digits", "iris"],
        help=f"scikit-learn's bundled data (default: {defaults.dataset})",
    )
    option(
        "--model",
        choices=list(MODELS),
        help=f"cnn and cnn-bn (batch norm) need --dataset digits (default: {defaults.model})",
    )
    option("--epochs", type=int, metavar="N", help=f"epochs to train (default: {defaults.epochs})")
    option("--lr", type=float, help=f"peak AdamW learning rate (default: {defaults.lr:g})")
    option(
        "--batch-size",
        type=int,
        metavar="N",
        help=f"examples per step (default: {defaults.batch_size})",
    )
    option("--seed", type=int, metavar="N", help=f"random seed (default: {defaults.seed})")
    option(
        "--out",
        metavar="DIR",
        help="run directory to write; it must be absent or empty unless --force "
        "(default: a new runs/DATASET-MODEL-N, with the first free N)",
    )
    option(
        "--force",
        action="store_true",
        help="write into --out even if it holds files: funcnet's files there are "
        "replaced, others are kept (default: off)",
    )
    option(
        "--resume",
        metavar="DIR",
        help="finish the interrupted run in DIR with the settings in DIR/config.json; "
        "other setting flags must agree with them (default: start a new run)",
    )
    option("--no-progress", action="store_true", help="no per-epoch lines (default: off)")
    option(
        "--devices",
        type=int,
        metavar="N",
        help="train data parallel on the first N of jax.devices(), each batch split over "
        "them; --batch-size must be a multiple of N (default: the default device)",
    )
    train.set_defaults(handler=_train)


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("funcnet")
    except metadata.PackageNotFoundError:
        from funcnet import __version__

        return __version__


def add_sweep_command(commands: Any, epilog: str) -> None:
    """`funcnet sweep`, whose flags and handler live beside what it runs."""
    from funcnet._sweep_command import add_parser

    add_parser(commands, epilog)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `funcnet` command.

    Setting flags of `train` default to None, so that `--resume` can tell the flags
    given from those left out; the help shows the value each one falls back to.

    Examples:
        >>> from funcnet.cli import build_parser
        >>> build_parser().parse_args(["train", "--model", "cnn"]).model
        'cnn'
    """
    parser = _Parser(
        prog="funcnet",
        description="A PyTorch beginner lesson as a pure-functional JAX library.",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"funcnet {_version()}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = commands.add_parser("demo", help="walk through the lesson, then train on digits")
    demo.add_argument("--skip-training", action="store_true", help="stop after the lesson")
    demo.set_defaults(handler=_demo)
    _add_train(commands)
    evaluate = commands.add_parser(
        "evaluate",
        help="reload a run directory and evaluate it on its validation split",
        epilog=EXIT_STATUS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    evaluate.add_argument("directory", help="a run directory written by `funcnet train`")
    evaluate.set_defaults(handler=_evaluate)
    add_sweep_command(commands, EXIT_STATUS)
    _add_graph(commands)
    return parser


def _interrupted(arguments: argparse.Namespace, error: KeyboardInterrupt) -> str:
    """The one line that says what an interrupt left behind."""
    directory = getattr(error, "directory", None)
    if directory is not None:
        return (
            f"interrupted after epoch {error.epoch} of {error.epochs}; "
            f"resume with: {_resume_hint(directory)}"
        )
    if hasattr(error, "epochs"):
        return f"interrupted before epoch 1 of {error.epochs} completed; nothing was written"
    if arguments.command == "train" and arguments.resume is not None:
        directory = arguments.resume
        return f"interrupted; {directory} is unchanged; resume with: {_resume_hint(directory)}"
    if arguments.command == "train":
        return "interrupted before the first epoch completed; nothing was written"
    if arguments.command == "sweep":
        done = getattr(error, "epoch", 0)
        epochs = f"{done} completed epoch{'' if done == 1 else 's'}"
        written = getattr(error, "written", None)
        if written is not None:
            return (
                f"interrupted after {epochs}; their results are in {written}; "
                f"resume with: funcnet sweep --resume {shlex.quote(str(written))}"
            )
        return f"interrupted after {epochs}; nothing was written"
    return "interrupted"


def _diverged(error: Any, command: str) -> str:
    step = "" if error.step is None else f" (step {error.step})"
    if command == "sweep":
        return (
            f"every run diverged: the last loss became {error.loss} in epoch {error.epoch}"
            f"{step}; nothing was written. Use smaller --lr values (try a tenth)."
        )
    return (
        f"training diverged: the loss became {error.loss} in epoch {error.epoch}{step}; "
        "nothing was written. Use a smaller --lr (try a tenth), or check the data."
    )


def _describe(error: BaseException, arguments: argparse.Namespace) -> str:
    """An error as one line, in the command line's terms."""
    from funcnet.runs import RunExistsError, describe_contents

    if isinstance(error, RunExistsError):
        return (
            f"--out {error.path} already holds {describe_contents(error.names)}; add --force "
            "to overwrite it, or choose another --out."
        )
    if isinstance(error, OSError) and error.strerror and error.filename:
        return f"{error.filename}: {error.strerror}"
    return " ".join(str(error).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `funcnet` command; returns the exit status.

    Examples:
        >>> from funcnet.cli import main
        >>> main(["--version"])  # doctest: +ELLIPSIS
        funcnet ...
        0
    """
    parser = build_parser()
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit:
        return exit.code if isinstance(exit.code, int) else 2
    name = f"funcnet {arguments.command}"
    from funcnet._guards import sigterm_interrupts
    from funcnet.errors import DivergenceError

    # SIGTERM stops a command as Ctrl-C does: a run saves its completed epochs.
    with sigterm_interrupts():
        try:
            return arguments.handler(arguments)
        except KeyboardInterrupt as error:
            print(f"{name}: {_interrupted(arguments, error)}", file=sys.stderr)
            return 130
        except DivergenceError as error:
            print(f"{name}: error: {_diverged(error, arguments.command)}", file=sys.stderr)
            return 1
        except (_UsageError, ValueError, OSError, ImportError) as error:
            print(f"{name}: error: {_describe(error, arguments)}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())

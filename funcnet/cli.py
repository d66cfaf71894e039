"""The `funcnet` command line: `demo`, `train` and `evaluate`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _demo(arguments: argparse.Namespace) -> int:
    from funcnet import demo

    demo.run(print, train_digits=not arguments.skip_training)
    return 0


def _train(arguments: argparse.Namespace) -> int:
    from funcnet import experiment

    config = experiment.Config(
        dataset=arguments.dataset,
        model=arguments.model,
        epochs=arguments.epochs,
        lr=arguments.lr,
        batch_size=arguments.batch_size,
        seed=arguments.seed,
    )
    result = experiment.train_run(config, arguments.out, progress=not arguments.no_progress)
    print(f"test accuracy {result['test_accuracy']:.4f}  test loss {result['test_loss']:.4f}")
    print(f"wrote {', '.join(result['files'])} to {arguments.out}")
    return 0


def _evaluate(arguments: argparse.Namespace) -> int:
    from funcnet import experiment

    scores = experiment.evaluate_run(arguments.directory)
    print(f"test accuracy {scores['accuracy']:.4f}  test loss {scores['loss']:.4f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `funcnet` command.

    Examples:
        >>> from funcnet.cli import build_parser
        >>> build_parser().parse_args(["train", "--model", "cnn"]).model
        'cnn'
    """
    from funcnet.experiment import Config

    defaults = Config()
    parser = argparse.ArgumentParser(
        prog="funcnet", description="A PyTorch beginner lesson as a pure-functional JAX library."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="walk through the lesson, then train on digits")
    demo.add_argument("--skip-training", action="store_true", help="stop after the lesson")
    demo.set_defaults(handler=_demo)

    train = commands.add_parser("train", help="train a model on a bundled dataset")
    train.add_argument("--dataset", choices=["digits", "iris"], default=defaults.dataset)
    train.add_argument("--model", choices=["mlp", "cnn"], default=defaults.model)
    train.add_argument("--epochs", type=int, default=defaults.epochs)
    train.add_argument("--lr", type=float, default=defaults.lr, help="Adam learning rate")
    train.add_argument("--batch-size", type=int, default=defaults.batch_size)
    train.add_argument("--seed", type=int, default=defaults.seed)
    train.add_argument("--out", default="runs/latest", help="run directory to write")
    train.add_argument("--no-progress", action="store_true", help="no per-epoch lines")
    train.set_defaults(handler=_train)

    evaluate = commands.add_parser("evaluate", help="reload a run directory and re-evaluate")
    evaluate.add_argument("directory", help="a directory written by `funcnet train`")
    evaluate.set_defaults(handler=_evaluate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `funcnet` command; returns the exit status."""
    parser = build_parser()
    arguments = parser.parse_args(argv)
    try:
        return arguments.handler(arguments)
    except (ValueError, FileNotFoundError, ImportError) as error:
        parser.exit(2, f"funcnet {arguments.command}: error: {error}\n")


if __name__ == "__main__":
    sys.exit(main())

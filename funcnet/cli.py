"""The `funcnet` command line: `funcnet demo`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence


def _demo(arguments: argparse.Namespace) -> int:
    from funcnet import demo

    demo.run(print)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `funcnet` command."""
    parser = argparse.ArgumentParser(
        prog="funcnet", description="A PyTorch beginner lesson as a pure-functional JAX library."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="walk through the lesson step by step")
    demo.set_defaults(handler=_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `funcnet` command; returns the exit status.

    Example:
        >>> from funcnet.cli import build_parser
        >>> build_parser().parse_args(["demo"]).command
        'demo'
    """
    arguments = build_parser().parse_args(argv)
    return arguments.handler(arguments)


if __name__ == "__main__":
    sys.exit(main())

"""The built site in a real browser: every page, both languages, as a reader gets it.

    python -m docsite.check site --screenshots ci-artifacts/screenshots --report check.json

Prints one line per page, then a summary, also written as JSON with `--report`. Exit
status 1 if anything failed, 2 if the check could not run (no built site, no chromium).
"""

from __future__ import annotations

import argparse
import pathlib
import sys
from collections.abc import Sequence

from docsite.check.browser import CHROMIUM, SEARCH_TERMS, Options, check_site
from docsite.check.report import summary_lines, write_report
from docsite.check.site import SetupError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m docsite.check", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "site", type=pathlib.Path, help="the built site (`make docs` writes site/)"
    )
    parser.add_argument("--screenshots", type=pathlib.Path, help="folder for full-page PNGs")
    parser.add_argument("--report", type=pathlib.Path, help="write the results here as JSON")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the browser (default {CHROMIUM})")
    parser.add_argument("--no-search", action="store_true", help="skip the search terms")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Runs the check; 0 if every page is clean, 1 if anything failed, 2 if it cannot run.

    Example (needs chromium, so not a doctest):

        main(["site", "--screenshots", "shots", "--report", "check.json"])  # 0: all clean
    """
    args = _parser().parse_args(argv)
    options = Options(
        screenshots=args.screenshots,
        search_terms={} if args.no_search else SEARCH_TERMS,
        chromium=args.chromium,
    )
    try:
        report = check_site(args.site, options)
    except SetupError as error:
        print(f"docsite.check: {error}", file=sys.stderr)
        return 2
    for line in summary_lines(report):
        print(line)
    if args.report is not None:
        write_report(report, args.report)
    return 0 if report.ok else 1

"""``python -m derivations``: print every check and claim verdict; fail if a check fails.

Usage::

    python -m derivations                 # the full report
    python -m derivations --only fourier  # one topic ("claims" for the ledger alone)
    python -m derivations --json out.json # also write the results for the docs site
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from derivations import TOPICS, run
from derivations._result import Result
from derivations.claims import CLAIMS, judge, required_topics


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m derivations",
        description="Check funcnet's mathematics and judge the lesson's claims.",
    )
    parser.add_argument(
        "--only",
        choices=[*TOPICS, "claims"],
        help="run one topic; 'claims' prints only the claims ledger",
    )
    parser.add_argument(
        "--json",
        type=Path,
        metavar="PATH",
        help="also write the results as JSON to PATH (atomically)",
    )
    return parser


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Writes ``payload`` to ``path`` atomically: a temporary file, then ``os.replace``.

    A reader (the docs build) never sees a half-written file.

    Example:
        >>> import tempfile, pathlib
        >>> target = pathlib.Path(tempfile.mkdtemp()) / "r.json"
        >>> write_json(target, {"ok": True}); target.read_text()
        '{\\n  "ok": true\\n}\\n'
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            json.dump(payload, stream, indent=2, ensure_ascii=False, default=str)
            stream.write("\n")
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _claim_rows(by_id: dict[str, Result]) -> list[dict[str, Any]]:
    return [{**claim.as_dict(), "decided": judge(claim, by_id)} for claim in CLAIMS]


def report(only: str | None = None) -> tuple[list[Result], list[dict[str, Any]]]:
    """Runs the requested checks and judges the claims when the whole ledger is in reach.

    Args:
        only: A topic name, ``"claims"``, or ``None`` for everything.

    Returns:
        ``(results, claims)``; ``claims`` is empty when only one topic ran.

    Example:
        >>> results, claims = report("affine")
        >>> len(results) > 0, claims
        (True, [])
    """
    topics = {None: None, "claims": required_topics()}.get(only, [only])
    results = run(topics)
    claims = _claim_rows({r.id: r for r in results}) if only in (None, "claims") else []
    return results, claims


def _print(results: list[Result], claims: list[dict[str, Any]], show_checks: bool) -> None:
    if show_checks:
        for r in results:
            print(f"{'PASS' if r.verified else 'FAIL'}  {r.id}: {r.claim}")
            if not r.verified:
                print(f"        {r.detail}")
    for c in claims:
        mark = "" if c["decided"] else "  [UNDECIDED: a deciding check failed]"
        print(f"CLAIM [{c['verdict']}] {c['id']}: {c['claim']}{mark}")
        if c["verdict"] != "holds":
            print(f"        -> {c['correction']}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 when every check and claim is verified).

    Example:
        >>> main(["--only", "backprop"])  # doctest: +ELLIPSIS
        PASS  backprop.backward_needs_forward: ...
        PASS  backprop.prediction_needs_no_loss: ...
        2/2 checks verified in ...s
        0
    """
    args = _parser().parse_args(argv)
    start = time.perf_counter()
    results, claims = report(args.only)
    elapsed = time.perf_counter() - start
    _print(results, claims, show_checks=args.only != "claims")
    passed = sum(r.verified for r in results)
    decided = sum(c["decided"] for c in claims)
    summary = f"{passed}/{len(results)} checks verified"
    if claims:
        summary += f", {decided}/{len(claims)} claim verdicts decided"
    print(f"{summary} in {elapsed:.1f}s")
    if args.json is not None:
        write_json(
            args.json,
            {
                "checks": [r.as_dict() for r in results],
                "claims": claims,
                "summary": {
                    "checks": len(results),
                    "verified": passed,
                    "claims": len(claims),
                    "decided": decided,
                },
            },
        )
    return 0 if passed == len(results) and decided == len(claims) else 1


if __name__ == "__main__":
    sys.exit(main())

"""``python -m derivations``: print every check and claim verdict; fail if a check fails.

Usage::

    python -m derivations                 # the full report, each check as it finishes
    python -m derivations --only fourier  # one topic ("claims" for the ledger alone)
    python -m derivations --verbose       # also each check's statement and steps (LaTeX)
    python -m derivations --json out.json # also write the results for the docs site
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from derivations import ISOLATED, TOPICS, stream
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
    parser.add_argument(
        "--verbose",
        action="store_true",
        help="print each check's statement and proof steps (LaTeX) under its line",
    )
    return parser


def write_json(path: Path, payload: dict[str, Any]) -> None:
    """Writes ``payload`` to ``path`` atomically: a temporary file, then ``os.replace``.

    A reader (the docs build) never sees a half-written file.

    Examples:
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


def _topics(only: str | None) -> list[str] | None:
    return {None: None, "claims": required_topics()}.get(only, [only])


def iter_report(only: str | None = None, *, isolated: Sequence[str] = ()) -> Iterator[Result]:
    """The results of :func:`report`, one at a time, each as soon as its check returns.

    Args:
        only: A topic name, ``"claims"`` (the topics the ledger needs), or ``None`` for
            everything.
        isolated: Topics to run in a worker process (see :func:`derivations.stream`).

    Yields:
        One result per check, in report order.

    Examples:
        >>> next(iter_report("affine")).id
        'affine.scalar_collapse'
    """
    yield from stream(_topics(only), isolated=isolated)


def report(only: str | None = None) -> tuple[list[Result], list[dict[str, Any]]]:
    """Runs the requested checks and judges the claims when the whole ledger is in reach.

    Args:
        only: A topic name, ``"claims"``, or ``None`` for everything.

    Returns:
        ``(results, claims)``; ``claims`` is empty when only one topic ran.

    Examples:
        >>> results, claims = report("affine")
        >>> len(results) > 0, claims
        (True, [])
    """
    results = list(iter_report(only))
    return results, _claims(only, results)


def _claims(only: str | None, results: list[Result]) -> list[dict[str, Any]]:
    return _claim_rows({r.id: r for r in results}) if only in (None, "claims") else []


def _print_check(r: Result, verbose: bool, out: TextIO) -> None:
    lines = [f"{'PASS' if r.verified else 'FAIL'}  {r.id}: {r.claim}"]
    if not r.verified:
        lines.append(f"        {r.detail}")
    if verbose:
        lines.append(f"        statement: {r.statement}")
        lines.extend(f"        step {i}: {step}" for i, step in enumerate(r.steps, 1))
    print("\n".join(lines), file=out, flush=True)


def _print_claims(claims: list[dict[str, Any]], out: TextIO) -> None:
    for c in claims:
        mark = "" if c["decided"] else "  [UNDECIDED: a deciding check failed]"
        print(f"CLAIM [{c['verdict']}] {c['id']}: {c['claim']}{mark}", file=out)
        if c["verdict"] != "holds":
            print(f"        -> {c['correction']}", file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status (0 when every check and claim is verified).

    Each check's line is printed (and flushed) as soon as the check returns. The
    topics in :data:`derivations.ISOLATED` run in a worker process meanwhile.

    Examples:
        >>> main(["--only", "backprop"])  # doctest: +ELLIPSIS
        PASS  backprop.backward_needs_forward: ...
        PASS  backprop.prediction_needs_no_loss: ...
        2/2 checks verified in ...s
        0
    """
    args = _parser().parse_args(argv)
    out = sys.stdout
    start = time.perf_counter()
    results = []
    for r in iter_report(args.only, isolated=ISOLATED):
        results.append(r)
        if args.only != "claims":
            _print_check(r, args.verbose, out)
    claims = _claims(args.only, results)
    elapsed = time.perf_counter() - start
    _print_claims(claims, out)
    passed = sum(r.verified for r in results)
    decided = sum(c["decided"] for c in claims)
    summary = f"{passed}/{len(results)} checks verified"
    if claims:
        summary += f", {decided}/{len(claims)} claim verdicts decided"
    print(f"{summary} in {elapsed:.1f}s", file=out, flush=True)
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

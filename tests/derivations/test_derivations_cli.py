"""``python -m derivations``: streaming report, --verbose, exit status, --only and --json."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import types
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest
import sympy as sp

import derivations
import derivations.__main__ as cli
from derivations import Result
from derivations._result import result

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cached_run(monkeypatch: pytest.MonkeyPatch, results: dict[str, Result]) -> None:
    """Makes the CLI reuse the session's results instead of recomputing them."""

    def stream(topics: Iterable[str] | None = None, **_: object) -> Iterator[Result]:
        wanted = None if topics is None else set(topics)
        yield from (r for r in results.values() if wanted is None or r.topic in wanted)

    monkeypatch.setattr(cli, "stream", stream)


def _fake_topic(monkeypatch: pytest.MonkeyPatch, name: str, *checks: object) -> None:
    """Registers a topic module ``name`` whose CHECKS are ``checks``."""
    module = types.ModuleType(f"fake_{name}")
    module.CHECKS = checks  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, module.__name__, module)
    monkeypatch.setitem(derivations.TOPICS, name, module.__name__)


def _check(id: str, verified: bool = True) -> Result:
    x = sp.Symbol("x")
    return result(
        id,
        claim=f"claim of {id}",
        statement=sp.Eq(x, x, evaluate=False),
        verified=verified,
        detail="why",
        steps=[sp.Gt(x**2 + 1, 0)],
    )


def test_full_report_exits_0_and_prints_every_check_and_claim(
    cached_run: None, results: dict[str, Result], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("PASS  ") for line in lines) == len(results)
    assert sum(line.startswith("CLAIM [") for line in lines) == 20
    assert "20/20 claim verdicts decided" in lines[-1]


def test_each_line_is_printed_before_the_next_check_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen_before_second: list[str] = []

    def first() -> Result:
        return _check("stream.first")

    def second() -> Result:
        seen_before_second.append(capsys.readouterr().out)
        return _check("stream.second")

    _fake_topic(monkeypatch, "stream", first, second)
    assert cli.main(["--only", "stream"]) == 0
    assert seen_before_second == ["PASS  stream.first: claim of stream.first\n"]
    assert capsys.readouterr().out.startswith("PASS  stream.second")


def test_lines_reach_a_pipe_while_the_run_goes_on(tmp_path: Path) -> None:
    # The second check waits until the reader has seen the first line: without a flush
    # after each line the reader would wait for the end, and the second check would fail.
    marker = tmp_path / "first-line-read"
    script = textwrap.dedent(
        f"""
        import sys, time, types, pathlib
        import sympy as sp
        import derivations, derivations.__main__ as cli
        from derivations._result import result

        def make(id, wait=False):
            def check():
                deadline = time.monotonic() + 60
                while wait and not pathlib.Path({str(marker)!r}).exists():
                    if time.monotonic() > deadline:
                        raise TimeoutError("the first line never reached the reader")
                    time.sleep(0.05)
                return result(id, claim=id, statement=sp.Eq(sp.Symbol("x"), 1), verified=True)
            check.__name__ = id.split(".")[1]
            return check

        module = types.ModuleType("fake_piped")
        module.CHECKS = (make("piped.first"), make("piped.second", wait=True))
        sys.modules["fake_piped"] = module
        derivations.TOPICS["piped"] = "fake_piped"
        sys.exit(cli.main(["--only", "piped"]))
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, cwd=ROOT
    ) as process:
        assert process.stdout is not None
        first = process.stdout.readline()
        marker.touch()
        rest = process.stdout.read()
    assert first == "PASS  piped.first: piped.first\n"
    assert process.returncode == 0, rest
    assert rest.startswith("PASS  piped.second")


def test_verbose_prints_each_statement_and_step(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    r = _check("loud.one")
    _fake_topic(monkeypatch, "loud", lambda: r)
    assert cli.main(["--only", "loud", "--verbose"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:3] == [f"        statement: {r.statement}", f"        step 1: {r.steps[0]}"]
    assert r.statement == "x = x" and r.steps == ("x^{2} + 1 > 0",)


def test_without_verbose_no_latex_is_printed(
    cached_run: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--only", "affine"]) == 0
    assert "statement:" not in capsys.readouterr().out


def test_verbose_full_report_shows_every_statement(
    cached_run: None, results: dict[str, Result], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--verbose"]) == 0
    out = capsys.readouterr().out
    assert all(f"        statement: {r.statement}\n" in out for r in results.values())
    steps = sum(len(r.steps) for r in results.values())
    assert out.count("        step ") == steps > 0


def test_json_matches_the_printed_results(
    cached_run: None, results: dict[str, Result], tmp_path: Path
) -> None:
    target = tmp_path / "site" / "derivations.json"
    assert cli.main(["--json", str(target)]) == 0
    payload = json.loads(target.read_text())
    assert [c["id"] for c in payload["checks"]] == list(results)
    assert [c["steps"] for c in payload["checks"]] == [list(r.steps) for r in results.values()]
    assert payload["summary"] == {
        "checks": len(results),
        "verified": len(results),
        "claims": 20,
        "decided": 20,
    }
    assert all(c["decided"] for c in payload["claims"])
    assert list(tmp_path.glob("site/.*tmp")) == []  # no temporary file left behind


def test_a_failed_check_makes_the_exit_status_nonzero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def broken() -> Result:
        return _check("mixed.broken", verified=False)

    _fake_topic(monkeypatch, "mixed", lambda: _check("mixed.fine"), broken)
    assert cli.main(["--only", "mixed"]) == 1
    out = capsys.readouterr().out
    assert "PASS  mixed.fine" in out and "FAIL  mixed.broken" in out
    assert "1/2 checks verified" in out


def test_a_raising_check_fails_the_run_and_the_others_still_report(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def exploding() -> Result:
        """Divides by zero."""
        return 1 / 0  # type: ignore[return-value]

    _fake_topic(monkeypatch, "boom", exploding, lambda: _check("boom.after"))
    assert cli.main(["--only", "boom"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  boom.exploding: Divides by zero." in out
    assert "ZeroDivisionError" in out and "PASS  boom.after" in out


def test_claims_without_their_checks_are_undecided(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "stream", lambda topics=None, **_: iter(()))
    assert cli.main(["--only", "claims"]) == 1
    assert "UNDECIDED" in capsys.readouterr().out


def test_the_cli_runs_the_isolated_topics_in_a_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[object] = []

    def stream(topics: Iterable[str] | None = None, *, isolated: object = ()) -> Iterator[Result]:
        asked.append(isolated)
        return iter(())

    monkeypatch.setattr(cli, "stream", stream)
    cli.main(["--only", "affine"])
    assert asked == [derivations.ISOLATED]
    assert "crosscheck" in derivations.ISOLATED  # JAX and its x64 switch stay out of the CLI


def test_report_returns_results_and_claims(cached_run: None, results: dict[str, Result]) -> None:
    found, claims = cli.report()
    assert [r.id for r in found] == list(results) and len(claims) == 20
    assert cli.report("affine")[1] == []
    assert [r.id for r in cli.iter_report("affine")] == [
        i for i in results if i.startswith("affine.")
    ]


def test_json_write_failure_leaves_no_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(cli.os, "replace", refuse)
    with pytest.raises(OSError, match="disk full"):
        cli.write_json(tmp_path / "out.json", {"a": 1})
    assert list(tmp_path.iterdir()) == []


def test_unknown_topic_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--only", "trigonometry"])
    assert exit_info.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_module_entry_point_runs_one_topic() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "derivations", "--only", "affine"],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "6/6 checks verified" in done.stdout

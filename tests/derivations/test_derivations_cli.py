"""``python -m derivations``: report, exit status, ``--only`` and ``--json``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import derivations.__main__ as cli
from derivations import Result

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def cached_run(monkeypatch: pytest.MonkeyPatch, results: dict[str, Result]) -> None:
    """Makes the CLI reuse the session's results instead of recomputing them."""

    def run(topics: list[str] | None = None) -> list[Result]:
        return [r for r in results.values() if topics is None or r.topic in topics]

    monkeypatch.setattr(cli, "run", run)


def test_full_report_exits_0_and_prints_every_check_and_claim(
    cached_run: None, results: dict[str, Result], capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main([]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert sum(line.startswith("PASS  ") for line in lines) == len(results)
    assert sum(line.startswith("CLAIM [") for line in lines) == 17
    assert "17/17 claim verdicts decided" in lines[-1]


def test_json_matches_the_printed_results(
    cached_run: None, results: dict[str, Result], tmp_path: Path
) -> None:
    target = tmp_path / "site" / "derivations.json"
    assert cli.main(["--json", str(target)]) == 0
    payload = json.loads(target.read_text())
    assert [c["id"] for c in payload["checks"]] == list(results)
    assert payload["summary"] == {
        "checks": len(results),
        "verified": len(results),
        "claims": 17,
        "decided": 17,
    }
    assert all(c["decided"] for c in payload["claims"])
    assert list(tmp_path.glob("site/.*tmp")) == []  # no temporary file left behind


def test_a_failed_check_makes_the_exit_status_nonzero(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = Result("affine.scalar_collapse", "affine", "claim", "s", False, "broken")
    monkeypatch.setattr(cli, "run", lambda topics=None: [failed])
    assert cli.main(["--only", "affine"]) == 1
    assert "FAIL  affine.scalar_collapse" in capsys.readouterr().out


def test_claims_without_their_checks_are_undecided(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "run", lambda topics=None: [])
    assert cli.main(["--only", "claims"]) == 1
    assert "UNDECIDED" in capsys.readouterr().out


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

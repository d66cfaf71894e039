"""benchmarks.sweep: correctness of a tiny run and of the recorded results.

Nothing here asserts a timing: the quick run checks that the sweep's runs agree with
the fits (the benchmark refuses to time them otherwise), that the child process has one
CPU device per usable core, and what is written; the recorded run (the one the docs
show) is checked for form.
"""

import json
import os
import pathlib

import pytest

from benchmarks import sweep as bench

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = "# Benchmarks\n\nintro\n\n<!-- benchmarks:begin -->\ntables\n<!-- benchmarks:end -->\n"


def test_a_quick_run_checks_the_runs_and_writes_its_section(tmp_path):
    json_path, page_path = tmp_path / "sweep.json", tmp_path / "benchmarks.md"
    page_path.write_text(PAGE + f"\n{bench.BEGIN}\nstale\n{bench.END}\n")
    argv = ["--quick", "--only", "digits", "--only", "digits-cores", "--json", str(json_path)]
    assert bench.main([*argv, "--markdown", str(page_path)]) == 0
    results = json.loads(json_path.read_text(encoding="utf-8"))
    assert results["settings"]["quick"] is True
    digits, split = results["cases"]
    cores = len(os.sched_getaffinity(0))
    assert (digits["name"], digits["devices"]) == ("digits", 1)
    assert (split["name"], split["devices"]) == ("digits-cores", cores)
    for case in results["cases"]:
        assert case["largest_difference"] <= 1e-4
        for timing in ("compile_excluded", "compile_included"):
            ratio = case[timing]["ratio"]
            assert 0 < ratio["q1"] <= ratio["median"] <= ratio["q3"]
    assert digits["memory"]["chunk"]["total"] > 0
    page = page_path.read_text(encoding="utf-8")
    assert page.startswith(PAGE) and "stale" not in page
    assert "not a measurement" in page and "| digits | 2 |" in page


def test_the_recorded_run_is_a_full_one_and_the_docs_show_it():
    record = json.loads((ROOT / "benchmarks" / "sweep.json").read_text(encoding="utf-8"))
    assert record["settings"]["quick"] is False
    assert [case["name"] for case in record["cases"]] == [case.name for case in bench.CASES]
    for case, spec in zip(record["cases"], bench.CASES, strict=True):
        assert (case["runs"], case["epochs"], case["target"]) == (
            spec.runs,
            spec.epochs,
            spec.target,
        )
        assert case["largest_difference"] <= 1e-4
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert bench.markdown(record) in page


@pytest.mark.parametrize(
    ("sweep", "fits", "expected"),
    [((1.0, 6.0), (20.0, 23.0), 47.0), ((1.0, 6.0), (5.0, 8.0), None)],
)
def test_break_even_extrapolates_from_the_two_measurements(sweep, fits, expected):
    seconds = lambda s, f: {"seconds": {"sweep": {"median": s}, "fits": {"median": f}}}  # noqa: E731
    case = {
        "epochs": 10,
        "compile_excluded": seconds(sweep[0], fits[0]),
        "compile_included": seconds(sweep[1], fits[1]),
    }
    assert bench.break_even(case) == expected

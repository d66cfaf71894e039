"""benchmarks.activation_cost: correctness of a tiny run and of the recorded results.

Nothing here asserts a timing: the quick run checks the costs XLA reports and the
files written, and the recorded run (the one the docs show) is checked for form.
"""

import json
import pathlib

from benchmarks import activation_cost

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGE = "# Benchmarks\n\nintro\n\n<!-- benchmarks:begin -->\ntables\n<!-- benchmarks:end -->\n"


def test_a_quick_run_reports_costs_and_ratios_and_writes_its_section(tmp_path):
    json_path, page_path = tmp_path / "cost.json", tmp_path / "benchmarks.md"
    page_path.write_text(PAGE + f"\n{activation_cost.BEGIN}\nstale\n{activation_cost.END}\n")
    argv = ["--quick", "--only", "elementwise", "--json", str(json_path)]
    assert activation_cost.main([*argv, "--markdown", str(page_path)]) == 0
    results = json.loads(json_path.read_text(encoding="utf-8"))
    assert results["settings"]["quick"] is True and results["settings"]["rounds"] == 2
    (case,) = results["cases"]
    n = int(2**20 * activation_cost.QUICK.size)
    assert case["cost"]["sigmoid"]["transcendentals"] == n
    assert case["cost"]["relu"]["transcendentals"] == 0
    assert case["cost"]["sigmoid"]["flops"] > case["cost"]["relu"]["flops"]
    for name in activation_cost.ACTIVATIONS:
        assert case["seconds"][name]["median"] > 0
    assert case["ratio"]["q1"] <= case["ratio"]["median"] <= case["ratio"]["q3"]
    page = page_path.read_text(encoding="utf-8")
    assert page.startswith(PAGE) and "stale" not in page
    assert "not a measurement" in page and "| activation(x), 2^20 float32 values |" in page


def test_the_recorded_run_is_a_full_one_and_the_docs_show_it():
    record = json.loads((ROOT / "benchmarks" / "activation_cost.json").read_text())
    assert record["settings"]["quick"] is False
    assert [case["name"] for case in record["cases"]] == [c.name for c in activation_cost.CASES]
    elementwise = record["cases"][0]
    assert elementwise["cost"]["sigmoid"]["transcendentals"] == 2**20
    assert elementwise["cost"]["relu"]["transcendentals"] == 0
    page = (ROOT / "docs" / "benchmarks.md").read_text(encoding="utf-8")
    assert activation_cost.markdown(record) in page

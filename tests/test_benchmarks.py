"""The benchmark harness, on a tiny configuration: correctness only, never timings.

Each run spawns worker processes and checks that every implementation reaches the same
loss as raw JAX after two Adam steps, that the JSON and the Markdown page are written,
and that ratios are computed. The optional peers run only where they are installed.
"""

import json

import pytest

from benchmarks import harness, report
from benchmarks.__main__ import main
from benchmarks.models import ModelSpec, step_flops

REQUIRED = ("funcnet", "rawjax", "stax", "torch")
PAGE = f"# Benchmarks\n\nintro\n\n{report.BEGIN}\nstale table\n{report.END}\n\nafter\n"


def run_quick(tmp_path, frameworks):
    json_path, page_path = tmp_path / "results.json", tmp_path / "benchmarks.md"
    page_path.write_text(PAGE, encoding="utf-8")
    argv = ["--quick", "--only", "lesson-f64", "--frameworks", ",".join(frameworks)]
    status = main([*argv, "--json", str(json_path), "--markdown", str(page_path)])
    assert status == 0
    return json.loads(json_path.read_text(encoding="utf-8")), page_path.read_text(encoding="utf-8")


def test_funcnet_raw_jax_stax_and_torch_agree_and_are_reported(tmp_path):
    results, page = run_quick(tmp_path, REQUIRED)
    (check,) = results["checks"]
    assert sorted(check["losses"]) == sorted(REQUIRED)
    assert check["dtype"] == "float64"
    assert check["max_relative_difference"] <= check["tolerance"] == 1e-12
    losses = check["losses"]["rawjax"]
    assert len(losses) == 3 and losses[2] < losses[0]  # two Adam steps lower the loss
    (config,) = results["configs"]
    cases = {case["key"]: case for case in config["cases"]}
    assert sorted(cases) == sorted(REQUIRED)
    assert cases["rawjax"]["ratio"] == {"median": 1.0, "q1": 1.0, "q3": 1.0}
    for case in cases.values():
        assert len(case["samples"]) == 2
        assert case["seconds"]["median"] > 0 and case["ratio"]["median"] > 0
    target = results["targets"][0]
    assert target["value"] == cases["funcnet"]["ratio"]["median"]
    assert target["met"] in (True, False)
    assert results["machine"]["cpu"] and results["machine"]["versions"]["jax"]
    assert page.startswith("# Benchmarks\n\nintro\n\n" + report.BEGIN)
    assert page.endswith(report.END + "\n\nafter\n")
    assert "stale table" not in page
    assert "| funcnet | " in page and "| PyTorch eager | " in page


@pytest.mark.parametrize(
    ("peer", "module"), [("nnx", "flax.nnx"), ("equinox", "equinox"), ("haiku", "haiku")]
)
def test_peer_agrees_with_raw_jax(tmp_path, peer, module):
    pytest.importorskip(module)
    results, _ = run_quick(tmp_path, ("rawjax", peer))
    if peer in results["skipped_implementations"]:
        pytest.skip(results["skipped_implementations"][peer])
    (check,) = results["checks"]
    assert sorted(check["losses"]) == sorted(["rawjax", peer])
    (config,) = results["configs"]
    (case,) = [case for case in config["cases"] if case["key"] == peer]
    assert case["ratio"]["median"] > 0


def test_a_disagreement_stops_the_run():
    losses = {"rawjax": [2.0, 1.9, 1.8], "funcnet": [2.0, 1.9, 1.8 + 1e-9]}
    with pytest.raises(
        harness.CheckFailed, match=r"(?s)disagree in float64.*funcnet: \[2.0, 1.9, 1.80000000"
    ):
        harness.compare_losses(losses, "float64")
    assert harness.compare_losses(losses, "float32") == pytest.approx(1e-9 / 1.8)


def test_flops_count_only_the_products_a_step_needs():
    mnist = ModelSpec("mlp", (784, 512, 512, 10), "relu", 128, "float32")
    forward = 2 * 128 * (784 * 512 + 512 * 512 + 512 * 10)
    backward = 4 * 128 * (512 * 512 + 512 * 10) + 2 * 128 * 784 * 512
    assert step_flops(mnist) == forward + backward == 410_779_648


def test_the_table_replaces_only_the_marked_block():
    block = f"{report.BEGIN}\nnew\n{report.END}\n"
    assert report.inject(PAGE, block) == (
        f"# Benchmarks\n\nintro\n\n{report.BEGIN}\nnew\n{report.END}\n\nafter\n"
    )
    assert report.inject("# Benchmarks", block) == f"# Benchmarks\n{block}"


def test_summary_is_median_and_quartiles():
    assert harness.summary([3.0, 1.0, 2.0, 100.0, 4.0]) == {"median": 3.0, "q1": 2.0, "q3": 4.0}
    assert harness.summary([5.0]) == {"median": 5.0, "q1": 5.0, "q3": 5.0}

"""The main demo: `funcnet demo` shows the lesson's shapes, its error and a falling loss."""

import os
import subprocess
import sys

from funcnet import demo


def test_demo_run_returns_the_lesson_numbers():
    lines = []
    result = demo.run(lines.append)
    text = "\n".join(lines)
    assert result["x_shape"] == (4, 10)
    assert result["output_shape"] == (4, 8)
    assert "Linear(10, 5)(x).shape = (4, 5)" in text
    assert "mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)" in text
    assert "total parameters: 103" in text
    assert "0.weight" in text and "2.bias" in text
    losses = result["losses"]
    assert losses[-1] < 0.5 * losses[0]


def test_command_line_demo_runs_in_a_fresh_process():
    env = {**os.environ, "JAX_PLATFORMS": "cpu"}
    for command in ([sys.executable, "-m", "funcnet", "demo"],):
        completed = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        assert completed.returncode == 0, completed.stderr
        assert "(4, 5)" in completed.stdout and "(4, 8)" in completed.stdout
        assert "mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)" in completed.stdout
        assert "double softmax" in completed.stdout

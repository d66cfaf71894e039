"""The documentation site builds in strict mode from the code (generated tables, figures)."""

import pathlib
import shutil
import subprocess
import sys

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs", reason="the docs extra is installed by `make test`")
    mkdocs = shutil.which("mkdocs", path=str(pathlib.Path(sys.executable).parent))
    completed = subprocess.run(
        [mkdocs, "build", "--strict", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stderr[-4000:]
    math_page = (tmp_path / "site" / "math" / "index.html").read_text()
    assert "tanh" in math_page and "wrong" in math_page  # the generated claims ledger
    assert (tmp_path / "site" / "figures" / "activations.png").stat().st_size > 1000
    assert "mat1 and mat2" in (tmp_path / "site" / "lesson" / "index.html").read_text()

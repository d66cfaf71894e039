"""The package as a whole: light import, documented public API, README examples run."""

import inspect
import pathlib
import subprocess
import sys

import pytest

import funcnet

ROOT = pathlib.Path(__file__).resolve().parent.parent


def test_import_is_light():
    code = (
        "import sys, funcnet; "
        "heavy = [m for m in ('torch', 'sympy', 'matplotlib', 'derivations', 'sklearn') "
        "if m in sys.modules]; print(heavy)"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert completed.stdout.strip() == "[]"


@pytest.mark.parametrize("name", funcnet.__all__)
def test_every_public_name_has_a_docstring_with_an_example(name):
    value = getattr(funcnet, name)
    if inspect.ismodule(value) or name in {"Layer"}:
        doc = value.__doc__ or ""
    else:
        doc = inspect.getdoc(value) or ""
    assert doc.strip(), f"{name} has no docstring"
    if (callable(value) and not isinstance(value, type)) or name in {"Linear", "Sequential"}:
        assert "Example" in doc, f"{name}'s docstring has no example"


def test_readme_python_examples_run():
    """The README's blocks run here; the site's run when the site is built (docsite)."""
    from docsite.execute import run_page

    run_page((ROOT / "README.md").read_text(), "README.md")

"""The package as a whole: light import, documented public API, README examples run."""

import inspect
import pathlib
import re
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


def _python_blocks(path: pathlib.Path) -> list[str]:
    return re.findall(r"```python\n(.*?)```", path.read_text(), flags=re.S)


@pytest.mark.parametrize(
    "path",
    [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_markdown_python_examples_run(path):
    namespace = {"__name__": "__docs__"}  # a page's blocks build on each other, in order
    for block in _python_blocks(path):
        exec(compile(block, str(path), "exec"), namespace)

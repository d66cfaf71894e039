"""The site's build machinery: blocks run and show their output, formulas must parse."""

import pytest

from docsite import execute, katex
from docsite.notebooks import notebook


def test_blocks_share_a_namespace_and_show_what_they_print():
    page = "```python\nx = 6\n```\n\ntext\n\n```python\nprint(x * 7)\n```\n"
    rendered = execute.render(page, "demo.md")
    assert rendered.count('<div class="fn-output" markdown>') == 1
    assert "42" in rendered.split("\ntext\n")[1]


def test_a_block_that_raises_fails_the_build_naming_page_and_block():
    page = "```python\nprint(1)\n```\n```python\n1 / 0\n```\n"
    with pytest.raises(execute.BlockError, match=r"bad\.md, python block 2 raised ZeroDivision"):
        execute.render(page, "bad.md")


def test_an_expected_error_is_shown_and_must_happen():
    page = '```python raises="ValueError"\nint("seven")\n```\n'
    rendered = execute.render(page, "ok.md")
    assert "ValueError: invalid literal for int() with base 10: 'seven'" in rendered
    assert 'raises="ValueError"' not in rendered  # the mark is not shown to the reader
    assert '<div class="fn-output fn-raised" markdown>' in rendered  # its box wraps
    quiet = '```python raises="ValueError"\nint("7")\n```\n'
    with pytest.raises(execute.BlockError, match="should raise ValueError but raised nothing"):
        execute.render(quiet, "quiet.md")
    other = '```python raises="KeyError"\nint("seven")\n```\n'
    with pytest.raises(execute.BlockError, match="raised ValueError"):
        execute.render(other, "other.md")


def test_a_base_class_name_matches_an_expected_error():
    import funcnet  # noqa: F401  (the block imports it too)

    page = (
        '```python raises="ValueError"\nimport funcnet, jax\n'
        "funcnet.Linear(8, 5).init(jax.random.key(0), (4, 10))\n```\n"
    )
    assert "ShapeError: mat1 and mat2 shapes cannot be multiplied (4x10 and 8x5)" in (
        execute.render(page, "shape.md")
    )


def test_norun_blocks_are_shown_but_never_run():
    page = "```python norun\nraise SystemExit('never')\n```\n"
    rendered = execute.render(page, "gpu.md")
    assert "raise SystemExit" in rendered and "fn-output" not in rendered
    assert [cell["cell_type"] for cell in notebook(page)["cells"]] == []


def test_a_page_runs_under_jax_defaults_whatever_the_process_set():
    import jax

    assert jax.config.jax_enable_x64  # the tests' conftest turns float64 on
    page = "```python\nimport jax.numpy as jnp\nprint(jnp.zeros(1).dtype)\n```\n"
    assert "float32" in execute.render(page, "dtype.md")
    assert jax.config.jax_enable_x64  # and it is restored afterwards


def test_a_malformed_formula_is_refused_naming_page_and_formula():
    with pytest.raises(katex.KatexError, match=r"in lesson\.md:\n  '\\\\frac\{1\}\{'"):
        katex.render([("x^2", False), ("\\frac{1}{", True)], where="lesson.md")


def test_formulas_render_to_katex_html():
    inline, display = katex.render([("x^2", False), ("\\sum_i x_i", True)])
    assert inline.startswith('<span class="katex">')
    assert display.startswith('<span class="katex-display">')

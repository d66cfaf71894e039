"""Every Python block on the site runs when the site is built; what it prints is shown.

A page's ```` ```python ```` blocks run in order, in one namespace per page, and the text
each one prints is inserted under it, so the page shows real outputs and cannot drift
from the code. A block that raises fails the build, naming the page and the block.

Two marks on the fence change that:

- ```` ```python raises="ShapeError" ````: the block must raise that exception (its
  type name, or a base class's); the page shows `ShapeError: <message>` as its output.
  The build fails if it raises nothing or something else.
- ```` ```python norun ````: shown, never run. For code that needs what a build machine
  does not have (a GPU); the page's text says so.

markdown-exec runs blocks too, but has no way to show an expected error as an output;
this is the same idea in a page of code, with that added. The notebooks
(`docsite/notebooks.py`) and the tests read the same parsed blocks.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import re
import traceback

# A fenced block at the top level of a page: ```python [marks]\n body ```
_FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```[ \t]*$", re.M | re.S)
_RAISES = re.compile(r'raises="([A-Za-z_][A-Za-z0-9_]*)"')

OUTPUT_CLASS = "fn-output"


class BlockError(RuntimeError):
    """A page's code block failed when the site was built."""


@dataclasses.dataclass(frozen=True)
class Block:
    """One ```` ```python ```` block of a page.

    Attributes:
        code: The block's source.
        raises: The exception name it must raise, or None.
        run: False for a block marked `norun`.
        start: Offset of the fence in the page's Markdown.
        end: Offset just after the closing fence.
    """

    code: str
    raises: str | None
    run: bool
    start: int
    end: int


def blocks(markdown: str) -> list[Block]:
    """The page's Python blocks, in order.

    Examples:
        >>> [b.raises for b in blocks('```python raises="ValueError"\\nint("x")\\n```\\n')]
        ['ValueError']
    """
    found = []
    for match in _FENCE.finditer(markdown):
        marks = match.group(1)
        raises = _RAISES.search(marks)
        found.append(
            Block(
                code=match.group(2),
                raises=raises.group(1) if raises else None,
                run="norun" not in marks.split(),
                start=match.start(),
                end=match.end(),
            )
        )
    return found


def _matches(error: BaseException, name: str) -> bool:
    return any(cls.__name__ == name for cls in type(error).__mro__)


# JAX's defaults, set before each page: a page's output must not depend on the process
# that builds the site (the tests turn float64 on) or on the page before it.
_JAX_DEFAULTS = {
    "jax_enable_x64": False,
    "jax_numpy_rank_promotion": "allow",
    "jax_debug_nans": False,
}


@contextlib.contextmanager
def _jax_defaults():
    """Runs a page under JAX's default settings, then restores the caller's."""
    try:
        import jax
    except ImportError:  # a page without jax has nothing to set
        yield
        return
    saved = {name: getattr(jax.config, name) for name in _JAX_DEFAULTS}
    try:
        for name, value in _JAX_DEFAULTS.items():
            jax.config.update(name, value)
        yield
    finally:
        for name, value in saved.items():
            jax.config.update(name, value)


def _run_one(block: Block, namespace: dict, where: str) -> str:
    stdout = io.StringIO()
    try:
        with contextlib.redirect_stdout(stdout):
            exec(compile(block.code, where, "exec"), namespace)
    except Exception as error:
        if block.raises and _matches(error, block.raises):
            return stdout.getvalue() + f"{type(error).__name__}: {error}\n"
        detail = "".join(traceback.format_exception(error, limit=-3))
        raise BlockError(f"{where} raised {type(error).__name__}:\n{detail}") from error
    if block.raises:
        raise BlockError(f"{where} should raise {block.raises} but raised nothing")
    return stdout.getvalue()


_Codes = tuple[tuple[str, str | None, bool], ...]
# By the code alone: the Chinese build of a page with the same code reuses the run.
_CACHE: dict[_Codes, tuple[tuple[str, ...], dict]] = {}


def _run(page: str, markdown: str) -> tuple[tuple[str, ...], dict]:
    codes = tuple((b.code, b.raises, b.run) for b in blocks(markdown))
    if codes in _CACHE:
        return _CACHE[codes]
    namespace: dict = {"__name__": "__main__"}
    outputs = []
    with _jax_defaults():
        for index, (code, raises, run) in enumerate(codes, start=1):
            if not run:
                outputs.append("")
                continue
            block = Block(code, raises, run, 0, 0)
            outputs.append(_run_one(block, namespace, f"{page}, python block {index}"))
    _CACHE[codes] = (tuple(outputs), namespace)
    return _CACHE[codes]


def run_page(markdown: str, page: str) -> list[str]:
    """Runs a page's blocks in order in one namespace; returns what each printed.

    A page whose blocks have run once in this process (in either language: the key
    is the code) is not run again.

    Args:
        markdown: The page's Markdown.
        page: The page's path, named in errors.

    Returns:
        One string per block (empty for a `norun` block or one that prints nothing).

    Raises:
        BlockError: A block raised (or did not raise its expected exception).

    Examples:
        >>> run_page('```python\\nx = 2\\n```\\n```python\\nprint(x * 21)\\n```\\n', "demo.md")
        ['', '42\\n']
    """
    return list(_run(page, markdown)[0])


def page_namespace(markdown: str, page: str) -> dict:
    """The variables a page's blocks leave, from the same single run as `run_page`.

    A module that draws a page's figures from the page's own results reads them here,
    so the figures and the printed outputs come from one run.

    Raises:
        BlockError: A block raised (or did not raise its expected exception).

    Examples:
        >>> page_namespace('```python\\ny = 6 * 7\\n```\\n', "demo.md")["y"]
        42
    """
    return _run(page, markdown)[1]


def _output_html(output: str, raised: bool = False) -> str:
    """The output box; an expected error's box wraps its (one long line) message."""
    fence = "````" if "```" in output else "```"
    classes = f"{OUTPUT_CLASS} fn-raised" if raised else OUTPUT_CLASS
    return f'\n\n<div class="{classes}" markdown>\n\n{fence}text\n{output}{fence}\n\n</div>\n'


def render(markdown: str, page: str) -> str:
    """The page with its marks stripped and each block's output shown under it.

    Examples:
        >>> print(render('```python\\nprint("hi")\\n```\\n', "demo.md"))  # doctest: +ELLIPSIS
        ```python
        print("hi")
        ```
        <BLANKLINE>
        <div class="fn-output" markdown>
        ...hi...
    """
    found = blocks(markdown)
    if not found:
        return markdown
    outputs = run_page(markdown, page)
    pieces, last = [], 0
    for block, output in zip(found, outputs, strict=True):
        pieces.append(markdown[last : block.start])
        pieces.append(f"```python\n{block.code}```")
        if output:
            pieces.append(_output_html(output, raised=bool(block.raises)))
        last = block.end
    pieces.append(markdown[last:])
    return "".join(pieces)

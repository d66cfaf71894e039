"""Writing a file so that a reader never sees half of it."""

from __future__ import annotations

import os
import pathlib
import tempfile


def write_text_atomic(path: pathlib.Path, text: str) -> None:
    """Writes `text` to `path` as UTF-8, atomically: a reader sees the old file or the new one.

    The text goes to a temporary file in `path`'s folder (created if missing) that then
    replaces `path` in one step. If writing fails, the temporary file is removed and `path`
    is left as it was.

    Args:
        path: The file to write.
        text: Its new content.

    Examples:
        >>> import shutil, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "search" / "index.json"
        >>> write_text_atomic(path, '{"docs": []}')
        >>> write_text_atomic(path, "\\ud800")  # a lone surrogate: no UTF-8 for it
        Traceback (most recent call last):
        UnicodeEncodeError: 'utf-8' codec can't encode character ...
        >>> path.read_text(encoding="utf-8"), [file.name for file in path.parent.iterdir()]
        ('{"docs": []}', ['index.json'])
        >>> shutil.rmtree(path.parent.parent)
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.replace(temporary, path)
    except BaseException:
        pathlib.Path(temporary).unlink(missing_ok=True)
        raise

"""Atomic file writes: a crash mid-write never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from typing import BinaryIO


def _file_mode(path: str) -> int:
    """Keep an existing file's permissions; otherwise what `open` would give."""
    with contextlib.suppress(FileNotFoundError):
        return stat.S_IMODE(os.stat(path).st_mode)
    try:  # Linux reports the umask without changing it, which is thread-safe.
        with open("/proc/self/status") as status:
            umask = next(int(line.split()[1], 8) for line in status if line.startswith("Umask:"))
    except (OSError, StopIteration, ValueError):
        umask = os.umask(0)
        os.umask(umask)
    return 0o666 & ~umask


def _fsync_directory(directory: str) -> None:
    """Make a rename durable; best effort, as not every system can open a folder."""
    with contextlib.suppress(OSError):
        handle = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


def _fsync_file(path: str) -> None:
    handle = os.open(path, os.O_RDWR)
    try:
        os.fsync(handle)
    finally:
        os.close(handle)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[str]:
    """A temporary file's path beside `path`; on success it replaces `path` atomically.

    For writers that take a file name (`safetensors.numpy.save_file`). Whatever was
    written there is fsynced before `os.replace`, so readers see the old file or the
    complete new one, never a mix. On any error the temporary file is removed and
    `path` is left as it was. A new file gets the usual permissions (umask); an
    existing one keeps its own.

    Raises:
        FileNotFoundError: if the directory of `path` does not exist.

    Examples:
        >>> import os, tempfile
        >>> from funcnet._io import atomic_path
        >>> path = os.path.join(tempfile.mkdtemp(), "notes.txt")
        >>> with atomic_path(path) as temporary:
        ...     with open(temporary, "w") as file:
        ...         _ = file.write("done")
        >>> with open(path) as file:
        ...     file.read()
        'done'
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"cannot write {path!r}: directory {directory!r} does not exist.")
    mode = _file_mode(path)
    prefix = f".{os.path.basename(path)}."
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".tmp")
    os.close(handle)
    try:
        yield temporary
        _fsync_file(temporary)
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.remove(temporary)
        raise
    _fsync_directory(directory)


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike) -> Iterator[BinaryIO]:
    """Open a temporary file beside `path`; on success it replaces `path` atomically.

    The file is closed, fsynced and renamed as `atomic_path` does.

    Raises:
        FileNotFoundError: if the directory of `path` does not exist.
    """
    with atomic_path(path) as temporary, open(temporary, "wb") as file:
        yield file


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically (see `atomic_writer`)."""
    with atomic_writer(path) as file:
        file.write(data)

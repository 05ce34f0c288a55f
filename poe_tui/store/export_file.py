"""Writing an export file: private, never through a link, never over a file unasked.

Used by `poe-tui export -o` and meant for the app's F8 alike, so both refuse the same
things with the same one-line reasons.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

PRIVATE = 0o600  # a conversation is as private as the history it comes from


class ExportTargetError(Exception):
    """The export cannot be written there; the message says why, in one line."""


def write_export(path: Path, text: str, *, force: bool = False) -> None:
    """Write `text` to a new file at `path` (created 0600). With `force`, an existing
    regular file is replaced; a link, a folder, a device or a FIFO never is."""
    fd = _open_target(path, force)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ExportTargetError(f"{path} is not a regular file; nothing was written.")
        if force:
            os.ftruncate(fd, 0)
        data = text.encode("utf-8")
        written = 0
        while written < len(data):
            written += os.write(fd, data[written:])
    except OSError as error:
        raise ExportTargetError(f"Cannot write {path}: {error.strerror or error}.") from None
    finally:
        os.close(fd)


def _open_target(path: Path, force: bool) -> int:
    # O_NOFOLLOW: a link planted at the target never redirects the write. O_NONBLOCK:
    # a FIFO there must not hang the export (it is refused right after, by fstat).
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    if not force:
        flags |= os.O_EXCL
    try:
        return os.open(path, flags, PRIVATE)
    except OSError as error:
        raise ExportTargetError(_refusal(path, error)) from None


def _refusal(path: Path, error: OSError) -> str:
    if error.errno == errno.EEXIST:
        if path.is_symlink():
            return f"{path} is a link; nothing is written through a link."
        if path.is_dir():
            return f"{path} is a folder; add a file name."
        return f"{path} already exists; pass --force to replace it."
    if error.errno == errno.ELOOP:
        return f"{path} is a link; nothing is written through a link."
    if error.errno == errno.EISDIR:
        return f"{path} is a folder; add a file name."
    if error.errno == errno.ENXIO:  # a FIFO without a reader, opened non-blocking
        return f"{path} is not a regular file; nothing was written."
    return f"Cannot write {path}: {error.strerror or error}."

"""Attachment files on disk, stored once by SHA-256 under `ab/cdef…`.

Rows only name the hash (DESIGN.md section 8: no base64 in rows). A file is first
written to a temp name while hashing (outside any transaction: it may be large), then
renamed into place by the store inside the write transaction that adds its row, so a
garbage collection in another process never sees a row without its file or removes a
file a row is about to claim.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
TEMP_PREFIX = ".incoming-"


def is_sha256(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)


@dataclass(frozen=True, slots=True)
class Staged:
    """A file written under a temp name, hashed, not yet in place."""

    temp: Path
    sha256: str
    size: int


class BlobDir:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        if not is_sha256(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def stage(self, source: Path | bytes) -> Staged:
        """Copy `source` to a temp file in the store, hashing it on the way (one read)."""
        self.root.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=self.root)
        temp = Path(name)
        try:
            with os.fdopen(handle, "wb") as out:
                digest, size = _copy(source, out)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return Staged(temp, digest, size)

    def publish(self, staged: Staged) -> None:
        """Move a staged file into place; when that content is already there, drop it."""
        target = self.path_for(staged.sha256)
        if target.exists():
            staged.temp.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staged.temp, target)

    def remove(self, sha256: str) -> None:
        path = self.path_for(sha256)
        path.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            path.parent.rmdir()  # only succeeds when empty; keeps the tree tidy

    def files(self) -> Iterator[tuple[str, Path]]:
        """(hash, path) of every stored file; stray temp files come with hash ''."""
        if not self.root.is_dir():
            return
        for entry in self.root.iterdir():
            if entry.name.startswith(TEMP_PREFIX):
                yield "", entry
            elif entry.is_dir() and len(entry.name) == 2:
                for file in entry.iterdir():
                    digest = entry.name + file.name
                    if is_sha256(digest):
                        yield digest, file


def _copy(source: Path | bytes, out: BinaryIO) -> tuple[str, int]:
    if isinstance(source, bytes):
        out.write(source)
        return hashlib.sha256(source).hexdigest(), len(source)
    hasher = hashlib.sha256()
    size = 0
    with source.open("rb") as src:
        while chunk := src.read(CHUNK):
            hasher.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return hasher.hexdigest(), size

"""Where the app keeps copies of attached files and of files bots send.

With the SQLite history the copies live in its attachments folder, once per content
hash, linked to their message rows, so they come back with the conversation. In demo
mode and with the in-memory store, a temporary folder holds them for this run only.
Either way a message's `MessageFile.path` points at the copy, never at the user's
original (which may change or go away after it was attached).
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import aiofiles

from poe_tui.core.attachments import MessageFile
from poe_tui.core.files import CHUNK


class FileKeeper(Protocol):
    async def keep(self, source: Path, name: str, content_type: str) -> MessageFile:
        """Copy `source` in; the result names the copy."""
        ...

    def link(self, message_id: str, files: Sequence[MessageFile]) -> None:
        """Record that the (saved) message carries these kept files."""
        ...

    def close(self) -> None: ...


class StoreKeeper:
    """Copies in the SQLite store's attachments folder, linked to message rows."""

    def __init__(self, store: object) -> None:
        from poe_tui.store import SqliteStore

        assert isinstance(store, SqliteStore)
        self.store = store

    async def keep(self, source: Path, name: str, content_type: str) -> MessageFile:
        # The store's copy is synchronous file I/O; a thread keeps the UI responsive.
        ref = await asyncio.to_thread(self.store.add_attachment, source, name, content_type)
        path = self.store.attachment_path(ref)
        return MessageFile(name, content_type, ref.size, sha256=ref.sha256, path=path)

    def link(self, message_id: str, files: Sequence[MessageFile]) -> None:
        from poe_tui.store import AttachmentRef

        refs = [
            AttachmentRef(f.sha256, f.name, f.content_type, f.size or 0)
            for f in files
            if f.sha256 is not None
        ]
        if refs:
            self.store.link_attachments(message_id, refs)

    def close(self) -> None:
        pass


class TempKeeper:
    """Copies in a temporary folder, by content hash, removed when the app ends."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="poe-tui-files-"))

    async def keep(self, source: Path, name: str, content_type: str) -> MessageFile:
        temp = self.root / f".incoming-{os.getpid()}-{id(source)}"
        hasher = hashlib.sha256()
        size = 0
        async with aiofiles.open(source, "rb") as src, aiofiles.open(temp, "wb") as out:
            while chunk := await src.read(CHUNK):
                hasher.update(chunk)
                size += len(chunk)
                await out.write(chunk)
        digest = hasher.hexdigest()
        path = self.root / digest
        os.replace(temp, path)
        return MessageFile(name, content_type, size, sha256=digest, path=path)

    def link(self, message_id: str, files: Sequence[MessageFile]) -> None:
        pass  # the conversation lives in memory; its messages hold the files

    def close(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def keeper_for(store: object) -> FileKeeper:
    """The SQLite store's folder when there is one, else a temporary folder."""
    from poe_tui.store import SqliteStore

    if isinstance(store, SqliteStore) and not store.is_memory:
        return StoreKeeper(store)
    return TempKeeper()

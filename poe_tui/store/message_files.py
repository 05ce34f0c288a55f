"""Files on loaded messages: rows in `message_attachments` become `Message.attachments`.

A row names the content hash; the file lives once in the blob folder, so a loaded
message's `MessageFile.path` points there (the UI opens, previews and re-sends it from
that copy, and the native transport uploads it again only once per conversation).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Message
from poe_tui.store.blobs import BlobDir

_BATCH = 500  # ids per query, well under SQLite's limit on bound variables


def attach_files(conn: sqlite3.Connection, blobs: BlobDir, messages: Sequence[Message]) -> None:
    """Set each message's attachments from its rows, in their stored order."""
    by_id = {m.id: m for m in messages}
    ids = list(by_id)
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        marks = ", ".join("?" * len(batch))
        rows = conn.execute(
            "SELECT ma.message_id, ma.sha256, ma.name, ma.mime, a.size "
            "FROM message_attachments ma JOIN attachments a ON a.sha256 = ma.sha256 "
            f"WHERE ma.message_id IN ({marks}) ORDER BY ma.message_id, ma.position",
            batch,
        ).fetchall()
        for message_id, sha256, name, mime, size in rows:
            path = blobs.path_for(sha256)
            file = MessageFile(name, mime, int(size), sha256=sha256, path=path)
            by_id[message_id].attachments.append(file)

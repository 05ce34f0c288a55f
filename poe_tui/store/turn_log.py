"""The history as the turn runner's sink (`core.chat.TurnSink`).

A streaming reply is appended to: each batch the runner saves is one row of
`reply_chunks`, committed before the batch is shown, so a kill -9 loses nothing that was
on screen and saving costs time in proportion to the reply. When the reply ends its
whole text is written once into `messages` (the full-text index is updated then) and
its chunks are deleted, in one transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import TYPE_CHECKING

from poe_tui.core.chat.reducer import ReplyDelta
from poe_tui.core.conversation import Conversation, Message, MessageStatus

if TYPE_CHECKING:
    from poe_tui.store.sqlite_store import SqliteStore

_APPEND = """
INSERT INTO reply_chunks (message_id, kind, data)
SELECT :id, :kind, :data WHERE EXISTS (SELECT 1 FROM messages WHERE id = :id)
"""
# The EXISTS: a conversation deleted mid-reply takes its reply with it; what still
# arrives is dropped instead of failing the stream.


class TurnLog:
    """Keeps turns in `store` as they happen."""

    def __init__(self, store: SqliteStore) -> None:
        self.store = store

    def open_reply(self, conversation: Conversation, reply: Message) -> None:
        self.store.open_reply(conversation, reply)

    def append_reply(self, conversation: Conversation, reply: Message, delta: ReplyDelta) -> None:
        rows = chunk_rows(reply.id, delta)
        if rows:
            self.store.append_chunks(rows)

    def close_reply(self, conversation: Conversation, reply: Message) -> None:
        self.store.close_reply(conversation, reply)


def chunk_rows(message_id: str, delta: ReplyDelta) -> list[dict[str, str]]:
    rows = []
    if delta.replaced is not None:
        rows.append({"id": message_id, "kind": "replace", "data": delta.replaced})
    if delta.text:
        rows.append({"id": message_id, "kind": "text", "data": delta.text})
    if delta.thinking:
        rows.append({"id": message_id, "kind": "thinking", "data": delta.thinking})
    return rows


def append_chunk_rows(conn: sqlite3.Connection, rows: Sequence[dict[str, str]]) -> None:
    conn.executemany(_APPEND, rows)


def add_chunks(conn: sqlite3.Connection, messages: Sequence[Message]) -> None:
    """Bring replies still streaming (here or in another process) up to what was saved."""
    for message in messages:
        if message.status is not MessageStatus.STREAMING:
            continue
        chunks = conn.execute(
            "SELECT kind, data FROM reply_chunks WHERE message_id = ? ORDER BY seq",
            (message.id,),
        ).fetchall()
        message.text, message.thinking = merged(message.text, message.thinking, chunks)


def merged(text: str, thinking: str, chunks: Sequence[tuple[str, str]]) -> tuple[str, str]:
    pieces, thoughts = [text], [thinking]
    for kind, data in chunks:
        if kind == "replace":
            pieces = [data]
        elif kind == "text":
            pieces.append(data)
        else:
            thoughts.append(data)
    return "".join(pieces), "".join(thoughts)


def fold_chunks(conn: sqlite3.Connection, message_id: str) -> None:
    """Write a reply's chunks into its row and drop them (a reply whose writer died)."""
    row = conn.execute("SELECT text, thinking FROM messages WHERE id = ?", (message_id,)).fetchone()
    if row is None:
        return
    chunks = conn.execute(
        "SELECT kind, data FROM reply_chunks WHERE message_id = ? ORDER BY seq", (message_id,)
    ).fetchall()
    if not chunks:
        return
    text, thinking = merged(row[0], row[1], chunks)
    conn.execute(
        "UPDATE messages SET text = ?, thinking = ? WHERE id = ?", (text, thinking, message_id)
    )
    conn.execute("DELETE FROM reply_chunks WHERE message_id = ?", (message_id,))

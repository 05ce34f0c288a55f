"""Read-only SQL over the message tree, as plain functions of a connection."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from poe_tui.core.conversation import Message
from poe_tui.store.errors import CorruptDatabase, StoreBusy, StoreError
from poe_tui.store.rows import MESSAGE_COLUMNS, to_message
from poe_tui.store.turn_log import add_chunks

# A bound on walks up the tree, so a hand-damaged database with a parent cycle ends.
MAX_DEPTH = 1_000_000

_PATH_UP = f"""
WITH RECURSIVE path(id, depth) AS (
    SELECT :start, 0
    UNION ALL
    SELECT m.parent_id, path.depth + 1 FROM messages m JOIN path ON m.id = path.id
    WHERE m.parent_id IS NOT NULL AND path.depth + 1 < :limit
)
SELECT {", ".join("m." + c.strip() for c in MESSAGE_COLUMNS.split(","))}
FROM path JOIN messages m ON m.id = path.id
ORDER BY path.depth DESC
"""

_NEWEST_LEAF = """
WITH RECURSIVE down(id, depth) AS (
    SELECT :start, 0
    UNION ALL
    SELECT (SELECT c.id FROM messages c WHERE c.parent_id = down.id ORDER BY c.seq DESC LIMIT 1),
           down.depth + 1
    FROM down WHERE down.id IS NOT NULL AND down.depth < :limit
)
SELECT id FROM down WHERE id IS NOT NULL ORDER BY depth DESC LIMIT 1
"""


def classify(error: sqlite3.Error) -> StoreError:
    """A sqlite3 error as one of ours, so callers match on meaning, not on text."""
    name = getattr(error, "sqlite_errorname", "") or ""
    text = str(error)
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in text:
        return StoreBusy(f"the database is in use by another program ({text})")
    if name.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")):
        return CorruptDatabase(f"the database is damaged ({text})")
    return StoreError(f"database error: {text}")


@contextmanager
def translated() -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as error:
        raise classify(error) from error


def path_up(conn: sqlite3.Connection, start_id: str, limit: int | None = None) -> list[Message]:
    """`start_id` and its ancestors, oldest first; at most `limit` of them (the newest)."""
    bound = MAX_DEPTH if limit is None else max(0, min(limit, MAX_DEPTH))
    if bound == 0:
        return []
    rows = conn.execute(_PATH_UP, {"start": start_id, "limit": bound}).fetchall()
    messages = [to_message(row) for row in rows]
    add_chunks(conn, messages)
    return messages


def path_ids(conn: sqlite3.Connection, start_id: str) -> list[str]:
    return [m.id for m in path_up(conn, start_id)]


def newest_leaf_below(conn: sqlite3.Connection, message_id: str) -> str:
    """Follow the newest child down from `message_id` to a leaf."""
    row = conn.execute(_NEWEST_LEAF, {"start": message_id, "limit": MAX_DEPTH}).fetchone()
    return str(row[0]) if row else message_id


def active_leaf(conn: sqlite3.Connection, conversation_id: str) -> str | None:
    """The end of the active path; the newest message when the pointer is missing."""
    row = conn.execute(
        "SELECT c.active_leaf_id FROM conversations c "
        "JOIN messages m ON m.id = c.active_leaf_id AND m.conversation_id = c.id "
        "WHERE c.id = ?",
        (conversation_id,),
    ).fetchone()
    if row is None:
        row = conn.execute(
            "SELECT id FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1",
            (conversation_id,),
        ).fetchone()
    return None if row is None else str(row[0])


def message_owner(conn: sqlite3.Connection, message_id: str) -> tuple[str, str | None] | None:
    """(conversation id, parent id) of a message, or None when there is no such message."""
    row = conn.execute(
        "SELECT conversation_id, parent_id FROM messages WHERE id = ?", (message_id,)
    ).fetchone()
    return None if row is None else (str(row[0]), row[1])


def sibling_ids(conn: sqlite3.Connection, message_id: str) -> list[str]:
    rows = conn.execute(
        "SELECT s.id FROM messages m JOIN messages s "
        "ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id "
        "WHERE m.id = ? ORDER BY s.seq",
        (message_id,),
    ).fetchall()
    return [str(r[0]) for r in rows]


def sibling_positions(conn: sqlite3.Connection, conversation_id: str) -> dict[str, tuple[int, int]]:
    """Message id -> (position from 1, number of versions) for every message of a
    conversation whose turn has several versions (edits or regenerations)."""
    rows = conn.execute(
        "SELECT m.id, SUM(s.seq <= m.seq), COUNT(*) FROM messages m JOIN messages s "
        "ON s.conversation_id = m.conversation_id AND s.parent_id IS m.parent_id "
        "WHERE m.conversation_id = ? GROUP BY m.id HAVING COUNT(*) > 1",
        (conversation_id,),
    ).fetchall()
    return {str(r[0]): (int(r[1]), int(r[2])) for r in rows}


def orphan_attachments(
    conn: sqlite3.Connection, candidates: list[str] | None, now: float | None = None
) -> list[str]:
    """Hashes no message uses and nobody holds (of `candidates`, or of all when None)."""
    sql = (
        "SELECT a.sha256 FROM attachments a WHERE NOT EXISTS "
        "(SELECT 1 FROM message_attachments ma WHERE ma.sha256 = a.sha256) "
        "AND (a.held_until IS NULL OR a.held_until < :now)"
    )
    params: dict[str, object] = {"now": time.time() if now is None else now}
    if candidates is not None:
        sql += " AND a.sha256 IN (SELECT value FROM json_each(:candidates))"
        params["candidates"] = json.dumps(candidates)
    return [str(r[0]) for r in conn.execute(sql, params).fetchall()]

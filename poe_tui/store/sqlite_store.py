"""Conversations in SQLite: the `ConversationStore` the app keeps between runs.

Messages form a tree (each row has a `parent_id`): editing a prompt or regenerating a
reply adds a sibling, and the conversation's `active_leaf_id` picks the path `load`
returns. `Conversation` objects stay the in-memory truth; `save` writes the rows that
changed (a fingerprint per message skips the rest) and never deletes a message, so a
branch the list no longer shows is kept, not lost.

Connections run in autocommit mode and every write is an explicit BEGIN IMMEDIATE, so
a write waits for the lock up front (busy_timeout) instead of failing half-way. WAL lets
readers (another window, `poe-tui history`) read while a reply is being written.

A reply left "streaming" by a process that is gone (killed, crashed) is marked stopped
with `error_title` "Interrupted" when the store is next opened; its text stays.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import stat
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from types import TracebackType
from typing import Any

from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.text import strip_terminal_controls
from poe_tui.store import queries as q
from poe_tui.store.blobs import BlobDir
from poe_tui.store.errors import AlreadyExists, AmbiguousId, NotFound, StoreBusy, StoreError
from poe_tui.store.message_files import attach_files
from poe_tui.store.models import (
    AttachmentRef,
    BranchInfo,
    ConversationSummary,
    MessageExtras,
    SearchHit,
)
from poe_tui.store.rows import (
    UPSERT_MESSAGE,
    Fingerprint,
    fingerprint,
    json_object,
    message_params,
    writer_alive,
)
from poe_tui.store.schema import migrate
from poe_tui.store.search import fts_query
from poe_tui.store.turn_log import append_chunk_rows, fold_chunks

DEFAULT_BUSY_TIMEOUT_MS = 5000
HOLD_SECONDS = 3600.0  # an attachment added for an unsent prompt survives GC this long
STALE_AFTER = 120.0  # where a pid cannot be probed: no write for this long means dead
INTERRUPTED_TITLE = "Interrupted"
INTERRUPTED_MESSAGE = "poe-tui ended before this reply finished; the text that arrived is kept."
MEMORY = Path(":memory:")

_SUMMARY = """
SELECT c.id, c.title, c.bot, c.created_at, c.updated_at,
       (SELECT COALESCE(SUM(points), 0) FROM messages WHERE conversation_id = c.id),
       (SELECT COUNT(*) FROM messages WHERE conversation_id = c.id),
       c.archived_at IS NOT NULL
FROM conversations c
"""

_SEARCH = """
SELECT m.conversation_id, m.id, snippet(messages_fts, 0, :open, :close, '…', 12),
       bm25(messages_fts) AS rank, c.title, m.role, m.created_at
FROM messages_fts
JOIN messages m ON m.seq = messages_fts.rowid
JOIN conversations c ON c.id = m.conversation_id
WHERE messages_fts MATCH :query
ORDER BY rank
LIMIT :limit
"""


def connect(path: Path, busy_timeout_ms: int) -> sqlite3.Connection:
    if path != MEMORY:
        _make_private(path)
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        _use_wal(conn, busy_timeout_ms)
        # NORMAL in WAL mode: a killed process loses nothing committed; only a power
        # cut can lose the last commits, and it never corrupts the file.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA secure_delete = ON")  # a deleted conversation is really gone
    except BaseException:
        conn.close()
        raise
    return conn


def _make_private(path: Path) -> None:
    """Create the database file 0600 before SQLite does (it would use 0644), or narrow
    one an older version left readable by others. SQLite gives the -wal and -shm files
    it creates the database's mode; existing ones are narrowed too."""
    with contextlib.suppress(OSError):  # exists already, or SQLite will say what is wrong
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    for file in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
        with contextlib.suppress(OSError):  # absent, or not ours: SQLite reports what matters
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                file.chmod(mode & 0o700)


def _use_wal(conn: sqlite3.Connection, busy_timeout_ms: int) -> None:
    """Switch the file to WAL. While another connection is switching it too, SQLite says
    "database is locked" at once, without waiting on busy_timeout: so wait here."""
    deadline = time.monotonic() + busy_timeout_ms / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)


class SqliteStore:
    """Conversations in one SQLite file (or in memory: `SqliteStore.in_memory()`)."""

    def __init__(
        self,
        path: Path,
        *,
        attachments_dir: Path | None = None,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    ) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._live: dict[str, Conversation] = {}  # the objects handed out, by id
        self._written: dict[str, Fingerprint] = {}  # message id -> what the row holds
        # Replies streaming in this process: their rows belong to the turn runner (which
        # appends chunks) until `close_reply`, so `save` leaves them alone.
        self._appending: set[str] = set()
        self._tempdir: tempfile.TemporaryDirectory[str] | None = None
        self.blobs = BlobDir(self._attachments_root(attachments_dir))
        self._conn: sqlite3.Connection | None = None
        try:
            with q.translated():
                self._conn = connect(path, busy_timeout_ms)
                self.migrated_from = migrate(self._conn)
            self.recovered = self._recover_interrupted()
        except BaseException:
            self.close()
            raise

    @classmethod
    def in_memory(cls) -> SqliteStore:
        """A store for this run only (the fallback when the file cannot be used)."""
        return cls(MEMORY)

    @property
    def is_memory(self) -> bool:
        return self.path == MEMORY

    def _attachments_root(self, given: Path | None) -> Path:
        if given is not None:
            return given
        if self.path == MEMORY:
            # Never the real attachments folder: this store's GC would remove files the
            # on-disk database still uses.
            self._tempdir = tempfile.TemporaryDirectory(prefix="poe-tui-attachments-")
            return Path(self._tempdir.name)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path.parent / "attachments"

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
            if self._tempdir is not None:
                self._tempdir.cleanup()
                self._tempdir = None

    def __enter__(self) -> SqliteStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # --- transactions -------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError("the conversation store is closed")
        return self._conn

    @contextmanager
    def _read(self) -> Iterator[sqlite3.Connection]:
        with self._lock, q.translated():
            yield self.conn

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock, q.translated():
            conn = self.conn
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # --- the ConversationStore protocol -------------------------------------------------

    def list_conversations(self) -> list[Conversation]:
        """Unarchived conversations, newest activity first, each loaded in full once.

        The same objects come back on every call (those the UI holds). A UI with many
        long conversations should list `summaries()` and `load(..., last_n=...)` instead.
        """
        return [self._live.get(s.id) or self.load(s.id) for s in self.summaries()]

    def save(self, conversation: Conversation) -> None:
        with self._write() as conn:
            written = self._save_in(conn, conversation)
        self._remember(conversation, written)

    def delete(self, conversation_id: str) -> None:
        """Delete for real, with every branch, then remove attachment files now unused."""
        with self._write() as conn:
            hashes = [
                str(r[0])
                for r in conn.execute(
                    "SELECT DISTINCT ma.sha256 FROM message_attachments ma "
                    "JOIN messages m ON m.id = ma.message_id WHERE m.conversation_id = ?",
                    (conversation_id,),
                )
            ]
            conn.execute("DELETE FROM conversations WHERE id = ?", (conversation_id,))
            self._drop_attachments(conn, q.orphan_attachments(conn, hashes))
        self._forget(conversation_id)

    def drop_messages(self, conversation: Conversation, message_ids: Sequence[str]) -> None:
        """Delete messages that were taken off the end of `conversation` (a turn that
        failed before any reply text), so they do not linger as an old version."""
        with self._write() as conn:
            conn.execute(
                "DELETE FROM messages WHERE conversation_id = ? AND id IN "
                "(SELECT value FROM json_each(?))",
                (conversation.id, json_text(list(message_ids))),
            )
        for message_id in message_ids:
            self._written.pop(message_id, None)

    # --- saving -------------------------------------------------------------------------

    def _save_in(
        self, conn: sqlite3.Connection, conversation: Conversation
    ) -> dict[str, Fingerprint]:
        """Write the conversation row and changed messages; returns their fingerprints."""
        leaf = conversation.messages[-1].id if conversation.messages else None
        conn.execute(
            "INSERT INTO conversations (id, title, titled, bot, created_at, updated_at, "
            "active_leaf_id) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET "
            "title = excluded.title, titled = excluded.titled, bot = excluded.bot, "
            "updated_at = excluded.updated_at, active_leaf_id = excluded.active_leaf_id",
            (
                conversation.id,
                conversation.title,
                int(conversation.titled),
                conversation.bot,
                conversation.created_at,
                conversation.updated_at,
                leaf,
            ),
        )
        written: dict[str, Fingerprint] = {}
        parent: str | None = None  # list order gives new messages their parent
        for message in conversation.messages:
            mark = fingerprint(conversation.id, message)
            if message.id in self._appending:
                pass
            elif self._written.get(message.id) != mark:
                conn.execute(UPSERT_MESSAGE, message_params(conversation.id, message, parent))
                written[message.id] = mark
            parent = message.id
        return written

    def _remember(self, conversation: Conversation, written: dict[str, Fingerprint]) -> None:
        self._written.update(written)
        self._live[conversation.id] = conversation

    def _forget(self, conversation_id: str) -> None:
        gone = self._live.pop(conversation_id, None)
        for message in gone.messages if gone else []:
            self._written.pop(message.id, None)

    def save_user_message(
        self,
        conversation: Conversation,
        message: Message,
        *,
        transport: str | None = None,
        parameters: dict[str, Any] | None = None,
        attachments: Sequence[AttachmentRef] = (),
    ) -> None:
        """Commit a prompt (with its attachments) before it is sent."""
        _require_member(conversation, message)
        with self._write() as conn:
            written = self._save_in(conn, conversation)
            _set_extras(conn, message.id, transport, parameters)
            _link(conn, message.id, attachments)
        self._remember(conversation, written)

    def open_reply(self, conversation: Conversation, reply: Message) -> None:
        """Commit `reply` as it is now, marked streaming (a version not on the shown path
        only updates its own row); from now on its text grows by `append_chunks`."""
        shown = any(m is reply for m in conversation.messages)
        self._appending.discard(reply.id)
        self._written.pop(reply.id, None)
        with self._write() as conn:
            conn.execute("DELETE FROM reply_chunks WHERE message_id = ?", (reply.id,))
            written = self._save_in(conn, conversation) if shown else {}
            if not shown:
                conn.execute(_UPDATE_REPLY, message_params(conversation.id, reply, None))
        self._remember(conversation, written)
        self._appending.add(reply.id)

    def append_chunks(self, rows: Sequence[dict[str, str]]) -> None:
        """Commit a batch of a streaming reply (see `TurnLog`)."""
        with self._write() as conn:
            append_chunk_rows(conn, rows)

    def close_reply(self, conversation: Conversation, reply: Message) -> None:
        """Write the finished reply whole, once, and drop its chunks."""
        with self._write() as conn:
            conn.execute("DELETE FROM reply_chunks WHERE message_id = ?", (reply.id,))
            conn.execute(_UPDATE_REPLY, message_params(conversation.id, reply, None))
            conn.execute(
                "UPDATE conversations SET updated_at = ? WHERE id = ?",
                (conversation.updated_at, conversation.id),
            )
        self._appending.discard(reply.id)
        self._written[reply.id] = fingerprint(conversation.id, reply)

    def update_reply(self, conversation: Conversation, message: Message) -> None:
        """Write a finished reply again (its points or error changed). An UPDATE only: a
        conversation deleted meanwhile must stay deleted."""
        mark = fingerprint(conversation.id, message)
        if self._written.get(message.id) == mark or message.id in self._appending:
            return
        with self._write() as conn:
            conn.execute(_UPDATE_REPLY, message_params(conversation.id, message, None))
        self._written[message.id] = mark

    # --- loading ------------------------------------------------------------------------

    def summaries(
        self, *, archived: bool | None = False, limit: int | None = None
    ) -> list[ConversationSummary]:
        """Newest activity first; archived=False hides archived ones, True lists only
        them, None lists all."""
        sql = _SUMMARY
        if archived is not None:
            sql += f" WHERE c.archived_at IS {'NOT ' if archived else ''}NULL"
        sql += " ORDER BY c.updated_at DESC LIMIT ?"
        with self._read() as conn:
            rows = conn.execute(sql, (-1 if limit is None else limit,)).fetchall()
        return [
            ConversationSummary(r[0], r[1], r[2], r[3], r[4], int(r[5]), int(r[6]), bool(r[7]))
            for r in rows
        ]

    def load(self, conversation_id: str, *, last_n: int | None = None) -> Conversation:
        """The conversation with its active path (only the newest `last_n` when given)."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT id, title, titled, bot, created_at, updated_at FROM conversations "
                "WHERE id = ?",
                (conversation_id,),
            ).fetchone()
            if row is None:
                raise NotFound(f"No conversation {conversation_id}.")
            leaf = q.active_leaf(conn, conversation_id)
            messages = q.path_up(conn, leaf, last_n) if leaf else []
            attach_files(conn, self.blobs, messages)
            sent_with = _last_sent_with(conn, conversation_id)
        conversation = Conversation(
            bot=row[3],
            title=row[1],
            id=row[0],
            messages=messages,
            created_at=row[4],
            updated_at=row[5],
            titled=bool(row[2]),
        )
        if sent_with is not None:
            conversation.transport, conversation.parameters = sent_with
        self._remember(conversation, {m.id: fingerprint(row[0], m) for m in messages})
        return conversation

    def get(self, conversation_id: str) -> Conversation:
        """The conversation object already handed out (it may be newer than its rows, e.g.
        while a reply streams into it), else a fresh load of it."""
        live = self._live.get(conversation_id)
        return live if live is not None else self.load(conversation_id)

    def load_older(self, conversation_id: str, before_message_id: str, n: int) -> list[Message]:
        """Up to `n` messages before `before_message_id` on its path, oldest first."""
        with self._read() as conn:
            owner = q.message_owner(conn, before_message_id)
            if owner is None or owner[0] != conversation_id:
                raise NotFound(f"No message {before_message_id} in {conversation_id}.")
            messages = q.path_up(conn, owner[1], n) if owner[1] else []
            attach_files(conn, self.blobs, messages)
        self._written.update({m.id: fingerprint(conversation_id, m) for m in messages})
        return messages

    def open_at(self, conversation_id: str, message_id: str, *, before: int = 2) -> Conversation:
        """Load a conversation so it shows `message_id` (a search hit) and what follows.

        When the hit is on another branch, that branch becomes the active one.
        """
        with self._write() as conn:
            owner = q.message_owner(conn, message_id)
            if owner is None or owner[0] != conversation_id:
                raise NotFound(f"No message {message_id} in {conversation_id}.")
            leaf = q.active_leaf(conn, conversation_id) or message_id
            ids = q.path_ids(conn, leaf)
            if message_id not in ids:
                leaf = q.newest_leaf_below(conn, message_id)
                _set_leaf(conn, conversation_id, leaf)
                ids = q.path_ids(conn, leaf)
        return self.load(conversation_id, last_n=len(ids) - ids.index(message_id) + before)

    def message_extras(self, message_id: str) -> MessageExtras:
        with self._read() as conn:
            row = conn.execute(
                "SELECT parent_id, transport, parameters, first_token_at FROM messages "
                "WHERE id = ?",
                (message_id,),
            ).fetchone()
        if row is None:
            raise NotFound(f"No message {message_id}.")
        return MessageExtras(
            parent_id=row[0],
            transport=row[1],
            parameters=json_object(row[2]),
            first_token_at=row[3],
            attachments=tuple(self.attachments_for(message_id)),
        )

    def resolve_id(self, prefix: str) -> str:
        """The one conversation whose id starts with `prefix` (as git does with commits)."""
        text = prefix.strip().lower()
        if not text or any(c not in "0123456789abcdef" for c in text):
            raise NotFound(f"No conversation id starts with '{prefix}'.")
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id FROM conversations WHERE substr(id, 1, ?) = ? ORDER BY updated_at DESC",
                (len(text), text),
            ).fetchall()
        ids = [str(r[0]) for r in rows]
        if text in ids:
            return text
        if not ids:
            raise NotFound(f"No conversation id starts with '{prefix}'.")
        if len(ids) > 1:
            raise AmbiguousId(prefix, ids)
        return ids[0]

    # --- conversations ------------------------------------------------------------------

    def rename(self, conversation_id: str, title: str) -> None:
        title = " ".join(strip_terminal_controls(title).split())
        if not title:
            raise StoreError("A title cannot be empty.")
        self._update_conversation(conversation_id, "title = ?, titled = 1", (title,))
        live = self._live.get(conversation_id)
        if live is not None:
            live.title, live.titled = title, True

    def archive(self, conversation_id: str) -> None:
        self._update_conversation(conversation_id, "archived_at = ?", (time.time(),))

    def unarchive(self, conversation_id: str) -> None:
        self._update_conversation(conversation_id, "archived_at = NULL", ())

    def _update_conversation(
        self, conversation_id: str, sets: str, params: tuple[Any, ...]
    ) -> None:
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE conversations SET {sets} WHERE id = ?", (*params, conversation_id)
            )
            if cursor.rowcount == 0:
                raise NotFound(f"No conversation {conversation_id}.")

    def import_conversation(self, conversation: Conversation) -> None:
        """Add a conversation read from an export; never overwrites what is stored."""
        with self._write() as conn:
            if conn.execute(
                "SELECT 1 FROM conversations WHERE id = ?", (conversation.id,)
            ).fetchone():
                raise AlreadyExists(
                    f"Conversation {conversation.id[:12]} is already stored; nothing imported."
                )
            ids = json_ids(conversation.messages)
            clash = conn.execute(
                "SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?))", (ids,)
            ).fetchone()
            if clash:
                raise AlreadyExists(f"Message {clash[0][:12]} is already stored; nothing imported.")
            for message in conversation.messages:
                if message.status is MessageStatus.STREAMING:  # no one is writing it here
                    message.status = MessageStatus.STOPPED
            written = self._save_in(conn, conversation)
            _relink_known_files(conn, self.blobs, conversation)
        self._remember(conversation, written)

    # --- search -------------------------------------------------------------------------

    def search(
        self, text: str, limit: int = 50, *, mark: tuple[str, str] = ("[", "]")
    ) -> list[SearchHit]:
        """Messages matching every word of `text` (the last one as a prefix), best first."""
        query = fts_query(text)
        if not query:
            return []
        params = {"open": mark[0], "close": mark[1], "query": query, "limit": limit}
        with self._read() as conn:
            rows = conn.execute(_SEARCH, params).fetchall()
        return [SearchHit(r[0], r[1], r[2], float(r[3]), r[4], r[5], r[6]) for r in rows]

    # --- branches -----------------------------------------------------------------------

    def edit_user_message(self, conversation: Conversation, message_id: str, text: str) -> Message:
        """A new version of a prompt, as a sibling; the old branch is kept.

        The conversation now ends at the new prompt: start a reply to send it.
        """
        old = conversation.messages[_index(conversation, message_id)]
        if old.role != "user":
            raise StoreError("Only your own messages can be edited.")
        new = conversation.new_prompt(text)
        self._branch(conversation, message_id, new)
        return new

    def regenerate(
        self, conversation: Conversation, message_id: str, *, bot: str | None = None
    ) -> Message:
        """A new, empty, streaming reply beside `message_id` (same or another bot)."""
        old = conversation.messages[_index(conversation, message_id)]
        if old.role != "assistant":
            raise StoreError("Only a reply can be regenerated.")
        new = Message(role="assistant", text="", bot=bot or old.bot, status=MessageStatus.STREAMING)
        self._branch(conversation, message_id, new)
        return new

    def _branch(self, conversation: Conversation, replaced_id: str, new: Message) -> None:
        before = list(conversation.messages)
        try:
            with self._write() as conn:
                written = self._save_in(conn, conversation)
                owner = q.message_owner(conn, replaced_id)
                parent = owner[1] if owner else None
                conn.execute(UPSERT_MESSAGE, message_params(conversation.id, new, parent))
                del conversation.messages[_index(conversation, replaced_id) :]
                conversation.messages.append(new)
                conversation.touch()
                written.update(self._save_in(conn, conversation))
        except BaseException:
            conversation.messages[:] = before
            raise
        self._remember(conversation, written)

    def continue_reply(self, conversation: Conversation, message_id: str) -> Message:
        """Reopen a stopped (or failed) reply: a turn run on it (`Turn.for_reply(...,
        continuing=True)`) appends to its text."""
        message = conversation.messages[_index(conversation, message_id)]
        if message.role != "assistant":
            raise StoreError("Only a reply can be continued.")
        message.status = MessageStatus.STREAMING
        message.finished_at = None
        message.error_title = message.error_message = None
        message.error_retryable = False
        return message

    def switch_branch(self, conversation: Conversation, message_id: str) -> None:
        """Make the branch through `message_id` active (its newest continuation)."""
        with self._write() as conn:
            written = self._save_in(conn, conversation)
            owner = q.message_owner(conn, message_id)
            if owner is None or owner[0] != conversation.id:
                raise NotFound(f"No message {message_id} in this conversation.")
            leaf = q.newest_leaf_below(conn, message_id)
            _set_leaf(conn, conversation.id, leaf)
            path = q.path_up(conn, leaf)
        self._remember(conversation, written)
        # Keep the objects the UI already shows; they may be newer than their rows.
        shown = {m.id: m for m in conversation.messages}
        conversation.messages[:] = [shown.get(m.id, m) for m in path]
        self._written.update({m.id: fingerprint(conversation.id, m) for m in path})

    def points_of(self, conversation_id: str) -> int:
        """Points every reply of the conversation cost, on every branch."""
        with self._read() as conn:
            row = conn.execute(
                "SELECT COALESCE(SUM(points), 0) FROM messages WHERE conversation_id = ?",
                (conversation_id,),
            ).fetchone()
        return int(row[0])

    def branch_positions(self, conversation_id: str) -> dict[str, tuple[int, int]]:
        """Message id -> (position, count) for messages whose turn has several versions."""
        with self._read() as conn:
            return q.sibling_positions(conn, conversation_id)

    def branch_info(self, message_id: str) -> BranchInfo:
        with self._read() as conn:
            siblings = q.sibling_ids(conn, message_id)
        if message_id not in siblings:
            return BranchInfo(1, 1, (message_id,))  # not saved yet: the only version
        return BranchInfo(siblings.index(message_id) + 1, len(siblings), tuple(siblings))

    # --- attachments --------------------------------------------------------------------

    def add_attachment(
        self, source: Path | bytes, name: str, mime: str, *, hold_seconds: float = HOLD_SECONDS
    ) -> AttachmentRef:
        """Store a file once by content; held from GC until linked or `hold_seconds` pass."""
        try:
            staged = self.blobs.stage(source)
        except OSError as error:
            raise StoreError(f"Cannot store {name}: {error.strerror or error}.") from error
        try:
            with self._write() as conn:
                conn.execute(
                    "INSERT INTO attachments (sha256, size, created_at, held_until) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT(sha256) DO UPDATE SET held_until = "
                    "max(COALESCE(held_until, 0), excluded.held_until)",
                    (staged.sha256, staged.size, time.time(), time.time() + hold_seconds),
                )
                self.blobs.publish(staged)  # inside the transaction: see blobs.py
        finally:
            staged.temp.unlink(missing_ok=True)
        return AttachmentRef(staged.sha256, name, mime, staged.size)

    def link_attachments(self, message_id: str, refs: Sequence[AttachmentRef]) -> None:
        with self._write() as conn:
            _link(conn, message_id, refs)

    def attachments_for(self, message_id: str) -> list[AttachmentRef]:
        with self._read() as conn:
            rows = conn.execute(
                "SELECT ma.sha256, ma.name, ma.mime, a.size FROM message_attachments ma "
                "JOIN attachments a ON a.sha256 = ma.sha256 WHERE ma.message_id = ? "
                "ORDER BY ma.position",
                (message_id,),
            ).fetchall()
        return [AttachmentRef(r[0], r[1], r[2], int(r[3])) for r in rows]

    def attachment_path(self, ref: AttachmentRef | str) -> Path:
        return self.blobs.path_for(ref if isinstance(ref, str) else ref.sha256)

    def gc_attachments(self, *, now: float | None = None, temp_grace: float = 3600.0) -> int:
        """Remove attachments no message uses (and stale temp files); returns how many.

        Files with a hash but no row are left alone: they may belong to a database
        kept aside after it could not be opened.
        """
        now = time.time() if now is None else now
        with self._write() as conn:
            removed = self._drop_attachments(conn, q.orphan_attachments(conn, None, now))
        for digest, path in self.blobs.files():
            if not digest and _mtime(path) < now - temp_grace:
                path.unlink(missing_ok=True)
        return removed

    def _drop_attachments(self, conn: sqlite3.Connection, hashes: list[str]) -> int:
        # Files go inside the transaction: another process adding the same content
        # waits for our lock, then sees no row and writes the file again.
        for digest in hashes:
            conn.execute("DELETE FROM attachments WHERE sha256 = ?", (digest,))
            self.blobs.remove(digest)
        return len(hashes)

    # --- health -------------------------------------------------------------------------

    def check(self) -> str:
        """SQLite's quick_check: "ok", or the first problem found (for `doctor`)."""
        with self._read() as conn:
            row = conn.execute("PRAGMA quick_check").fetchone()
        return str(row[0])

    def _drop_leftover_chunks(self) -> None:
        with contextlib.suppress(StoreBusy), self._write() as conn:
            conn.execute(
                "DELETE FROM reply_chunks WHERE message_id NOT IN "
                "(SELECT id FROM messages WHERE status = 'streaming')"
            )

    def _recover_interrupted(self) -> list[str]:
        """Mark replies whose writing process is gone as stopped; returns their ids.

        Chunks of a reply that is no longer streaming are leftovers (a batch whose save
        was still queued when its reply was closed): never shown, so they go."""
        with self._read() as conn:
            rows = conn.execute(
                "SELECT id, writer, written_at FROM messages WHERE status = 'streaming'"
            ).fetchall()
        dead = [r[0] for r in rows if not writer_alive(r[1], r[2], stale_after=STALE_AFTER)]
        self._drop_leftover_chunks()
        if not dead:
            return []
        try:
            with self._write() as conn:
                for message_id in dead:
                    fold_chunks(conn, message_id)
                    conn.execute(
                        _MARK_INTERRUPTED, (INTERRUPTED_TITLE, INTERRUPTED_MESSAGE, message_id)
                    )
        except StoreBusy:
            return []  # someone holds the lock; the next open tries again
        return dead


_UPDATE_REPLY = """
UPDATE messages SET
    text = :text, bot = :bot, status = :status, finished_at = :finished_at,
    written_at = :written_at, thinking = :thinking, error_title = :error_title,
    error_message = :error_message, error_retryable = :error_retryable,
    suggested_replies = :suggested_replies, prompt_tokens = :prompt_tokens,
    completion_tokens = :completion_tokens, points = :points, writer = :writer,
    first_token_at = :first_token_at
WHERE id = :id AND conversation_id = :conversation_id
"""

_MARK_INTERRUPTED = """
UPDATE messages SET status = 'stopped',
    finished_at = COALESCE(finished_at, written_at, created_at),
    error_title = ?, error_message = ?, writer = NULL
WHERE id = ? AND status = 'streaming'
"""


def _require_member(conversation: Conversation, message: Message) -> None:
    if not any(m is message for m in conversation.messages):
        raise ValueError("the message must be in conversation.messages")


def _index(conversation: Conversation, message_id: str) -> int:
    for index, message in enumerate(conversation.messages):
        if message.id == message_id:
            return index
    raise NotFound(f"No message {message_id} in this conversation.")


def _set_extras(
    conn: sqlite3.Connection,
    message_id: str,
    transport: str | None,
    parameters: dict[str, Any] | None,
) -> None:
    if transport is None and parameters is None:
        return
    conn.execute(
        "UPDATE messages SET transport = COALESCE(?, transport), "
        "parameters = COALESCE(?, parameters) WHERE id = ?",
        (transport, None if parameters is None else json_text(parameters), message_id),
    )


def _last_sent_with(
    conn: sqlite3.Connection, conversation_id: str
) -> tuple[str, dict[str, Any]] | None:
    """The transport and parameters of the newest prompt that recorded them: the
    conversation's own settings, without a column of their own (no migration needed)."""
    row = conn.execute(
        "SELECT transport, parameters FROM messages WHERE conversation_id = ? "
        "AND role = 'user' AND transport IS NOT NULL ORDER BY seq DESC LIMIT 1",
        (conversation_id,),
    ).fetchone()
    return None if row is None else (str(row[0]), json_object(row[1]))


def _link(conn: sqlite3.Connection, message_id: str, refs: Sequence[AttachmentRef]) -> None:
    row = conn.execute(
        "SELECT COALESCE(MAX(position), -1) FROM message_attachments WHERE message_id = ?",
        (message_id,),
    ).fetchone()
    for offset, ref in enumerate(refs, start=int(row[0]) + 1):
        conn.execute(
            "INSERT INTO message_attachments (message_id, position, sha256, name, mime) "
            "VALUES (?, ?, ?, ?, ?)",
            (message_id, offset, ref.sha256, ref.name, ref.mime),
        )
        # Linked now: the row protects it, the hold is no longer needed.
        conn.execute("UPDATE attachments SET held_until = NULL WHERE sha256 = ?", (ref.sha256,))


def _relink_known_files(
    conn: sqlite3.Connection, blobs: BlobDir, conversation: Conversation
) -> None:
    """An import names files by hash: link those this history still holds and point the
    messages at the local copies. Files whose bytes are not here are not kept (a row
    must point at stored bytes); the Markdown export still names them."""
    for message in conversation.messages:
        refs: list[AttachmentRef] = []
        for index, file in enumerate(message.attachments):
            known = (
                file.sha256
                and conn.execute(
                    "SELECT size FROM attachments WHERE sha256 = ?", (file.sha256,)
                ).fetchone()
            )
            if not known or file.sha256 is None:
                continue
            refs.append(AttachmentRef(file.sha256, file.name, file.content_type, int(known[0])))
            message.attachments[index] = replace(file, path=blobs.path_for(file.sha256))
        _link(conn, message.id, refs)


def _set_leaf(conn: sqlite3.Connection, conversation_id: str, leaf: str) -> None:
    conn.execute(
        "UPDATE conversations SET active_leaf_id = ? WHERE id = ?", (leaf, conversation_id)
    )


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return time.time()


def json_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def json_ids(messages: Sequence[Message]) -> str:
    return json_text([m.id for m in messages])

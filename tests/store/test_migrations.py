"""Schema versions: a v1 file built by hand migrates; bad files are kept aside."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from poe_tui.store import SqliteStore, open_or_quarantine
from poe_tui.store.schema import LATEST_VERSION

# Version 1 as it shipped, written out in full so later edits to schema.py cannot
# change what "an old database" means here.
V1_SQL = """
CREATE TABLE conversations (
    id TEXT PRIMARY KEY, title TEXT NOT NULL, titled INTEGER NOT NULL DEFAULT 0,
    bot TEXT NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL,
    active_leaf_id TEXT
);
CREATE TABLE messages (
    seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
    conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    text TEXT NOT NULL DEFAULT '', bot TEXT NOT NULL, status TEXT NOT NULL,
    created_at REAL NOT NULL, finished_at REAL, first_token_at REAL, written_at REAL,
    thinking TEXT NOT NULL DEFAULT '', error_title TEXT, error_message TEXT,
    error_retryable INTEGER NOT NULL DEFAULT 0, suggested_replies TEXT NOT NULL DEFAULT '[]',
    prompt_tokens INTEGER, completion_tokens INTEGER, transport TEXT,
    parameters TEXT NOT NULL DEFAULT '{}', writer TEXT
);
CREATE INDEX messages_by_conversation ON messages(conversation_id, seq);
CREATE INDEX messages_by_parent ON messages(parent_id);
CREATE INDEX conversations_by_activity ON conversations(updated_at);
CREATE TABLE attachments (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE message_attachments (
    message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
    position INTEGER NOT NULL, sha256 TEXT NOT NULL REFERENCES attachments(sha256),
    name TEXT NOT NULL, mime TEXT NOT NULL, PRIMARY KEY (message_id, position)
);
INSERT INTO conversations VALUES ('c1', 'Old chat', 1, 'old-bot', 100.0, 200.0, 'm2');
INSERT INTO messages (id, conversation_id, parent_id, role, text, bot, status, created_at)
VALUES ('m1', 'c1', NULL, 'user', 'What is a platypus?', 'old-bot', 'complete', 100.0),
       ('m2', 'c1', 'm1', 'assistant', 'An egg-laying mammal.', 'old-bot', 'complete', 101.0);
PRAGMA user_version = 1;
"""


def make_v1(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.executescript(V1_SQL)
    conn.close()


def test_v1_database_migrates_to_latest(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    make_v1(path)
    with SqliteStore(path) as store:
        assert store.migrated_from == 1
        version = store.conn.execute("PRAGMA user_version").fetchone()[0]
        assert version == LATEST_VERSION == 3
        loaded = store.load("c1")
        assert [m.text for m in loaded.messages] == ["What is a platypus?", "An egg-laying mammal."]
        assert loaded.messages[1].points is None  # a v2 column, empty for old rows
        # v2's full-text index covers the rows that were there before it existed.
        assert [hit.message_id for hit in store.search("mammal")] == ["m2"]
        store.archive("c1")  # and v2's archive column works
        assert store.summaries() == []
    with SqliteStore(path) as again:
        assert again.migrated_from == LATEST_VERSION  # nothing left to do


def test_fresh_database_is_latest(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "new.db") as store:
        assert store.migrated_from == 0
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION


def test_failed_migration_leaves_old_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from poe_tui.store import schema

    path = tmp_path / "c.db"
    make_v1(path)
    broken = (*schema.V2[:2], "THIS IS NOT SQL")
    monkeypatch.setattr(schema, "MIGRATIONS", (schema.V1, broken))
    with pytest.raises(Exception, match="syntax"):
        SqliteStore(path)
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
    columns = [r[1] for r in conn.execute("PRAGMA table_info(conversations)")]
    assert "archived_at" not in columns  # the half-done migration was rolled back
    conn.close()


def test_corrupt_file_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    garbage = b"this is not a database at all " * 200
    path.write_bytes(garbage)
    store, message = open_or_quarantine(path)
    with store:
        assert not store.is_memory
        assert store.summaries() == []
    kept = [p for p in tmp_path.iterdir() if p.name.startswith("conversations.db.corrupt-")]
    assert len(kept) == 1
    assert kept[0].read_bytes() == garbage  # moved, untouched, never deleted
    assert message is not None
    assert "could not be read" in message and str(kept[0]) in message


def test_newer_schema_is_kept_aside(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    make_v1(path)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    store, message = open_or_quarantine(path)
    store.close()
    kept = [p for p in tmp_path.iterdir() if ".newer-schema-v99-" in p.name]
    assert len(kept) == 1
    assert message is not None
    assert "newer poe-tui" in message and "schema version 99" in message
    old = sqlite3.connect(kept[0])
    assert old.execute("SELECT title FROM conversations").fetchone()[0] == "Old chat"
    assert old.execute("PRAGMA user_version").fetchone()[0] == 99
    old.close()


def test_locked_file_falls_back_to_memory(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    make_v1(path)  # a v1 file needs a write (the migration) to open
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        store, message = open_or_quarantine(path, busy_timeout_ms=50)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with store:
        assert store.is_memory
        conversation_works = store.summaries() == []
        assert conversation_works
    assert message is not None and "locked" in message
    assert sorted(p.name for p in tmp_path.iterdir()) == ["conversations.db"]  # untouched


def test_two_processes_starting_at_once_migrate_once(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    make_v1(path)
    errors: list[BaseException] = []

    def open_it() -> None:
        try:
            SqliteStore(path).close()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with SqliteStore(path) as store:
        assert len(store.search("platypus")) == 1  # the rebuild ran once, not four times

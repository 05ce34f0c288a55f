"""The database layout, as a list of migrations numbered by `PRAGMA user_version`.

Migration N brings a database from version N-1 to N. Each is a tuple of single SQL
statements rather than one script: Python's `executescript` commits first, and we want
every migration, and the version bump, inside one transaction, so a crash half-way
leaves the old version intact. Never edit a shipped migration; append a new one.
"""

from __future__ import annotations

import sqlite3

from poe_tui.store.errors import NewerSchemaError

Migration = tuple[str, ...]

V1: Migration = (
    """
    CREATE TABLE conversations (
        id TEXT PRIMARY KEY,
        title TEXT NOT NULL,
        titled INTEGER NOT NULL DEFAULT 0,
        bot TEXT NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL,
        active_leaf_id TEXT
    )
    """,
    # `seq` is an explicit INTEGER PRIMARY KEY so the full-text index can point at a
    # rowid that VACUUM never renumbers.
    """
    CREATE TABLE messages (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        conversation_id TEXT NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
        parent_id TEXT REFERENCES messages(id) ON DELETE CASCADE,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        text TEXT NOT NULL DEFAULT '',
        bot TEXT NOT NULL,
        status TEXT NOT NULL,
        created_at REAL NOT NULL,
        finished_at REAL,
        first_token_at REAL,
        written_at REAL,
        thinking TEXT NOT NULL DEFAULT '',
        error_title TEXT,
        error_message TEXT,
        error_retryable INTEGER NOT NULL DEFAULT 0,
        suggested_replies TEXT NOT NULL DEFAULT '[]',
        prompt_tokens INTEGER,
        completion_tokens INTEGER,
        transport TEXT,
        parameters TEXT NOT NULL DEFAULT '{}',
        writer TEXT
    )
    """,
    "CREATE INDEX messages_by_conversation ON messages(conversation_id, seq)",
    "CREATE INDEX messages_by_parent ON messages(parent_id)",
    "CREATE INDEX conversations_by_activity ON conversations(updated_at)",
    """
    CREATE TABLE attachments (
        sha256 TEXT PRIMARY KEY,
        size INTEGER NOT NULL,
        created_at REAL NOT NULL
    )
    """,
    """
    CREATE TABLE message_attachments (
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        sha256 TEXT NOT NULL REFERENCES attachments(sha256),
        name TEXT NOT NULL,
        mime TEXT NOT NULL,
        PRIMARY KEY (message_id, position)
    )
    """,
    "CREATE INDEX message_attachments_by_hash ON message_attachments(sha256)",
)

# v2: archiving, points per reply, attachment holds, and full-text search over every
# message. The index is external-content (the text lives once, in `messages`) and
# triggers keep it in step; 'rebuild' indexes the messages a v1 database already holds.
# `held_until` keeps an attachment added for a prompt not yet sent safe from collection.
V2: Migration = (
    "ALTER TABLE conversations ADD COLUMN archived_at REAL",
    "ALTER TABLE messages ADD COLUMN points INTEGER",
    "ALTER TABLE attachments ADD COLUMN held_until REAL",
    """
    CREATE VIRTUAL TABLE messages_fts USING fts5(
        text, content='messages', content_rowid='seq',
        tokenize='unicode61 remove_diacritics 2'
    )
    """,
    """
    CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts(rowid, text) VALUES (new.seq, new.text);
    END
    """,
    """
    CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
    END
    """,
    """
    CREATE TRIGGER messages_fts_update AFTER UPDATE OF text ON messages
    WHEN old.text IS NOT new.text BEGIN
        INSERT INTO messages_fts(messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
        INSERT INTO messages_fts(rowid, text) VALUES (new.seq, new.text);
    END
    """,
    "INSERT INTO messages_fts(messages_fts) VALUES ('rebuild')",
)

# v3: a streaming reply is appended to, not rewritten. Each saved batch is one row here
# (cost in proportion to the batch); when the reply ends its text is written once into
# `messages` (so the full-text index is updated once) and its chunks are deleted. A
# reader, or the next open after a kill, adds the chunks of a reply still streaming.
V3: Migration = (
    """
    CREATE TABLE reply_chunks (
        seq INTEGER PRIMARY KEY,
        message_id TEXT NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        kind TEXT NOT NULL CHECK (kind IN ('text', 'thinking', 'replace')),
        data TEXT NOT NULL
    )
    """,
    "CREATE INDEX reply_chunks_by_message ON reply_chunks(message_id, seq)",
)

MIGRATIONS: tuple[Migration, ...] = (V1, V2, V3)
LATEST_VERSION = len(MIGRATIONS)


def user_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("PRAGMA user_version").fetchone()
    return int(row[0])


def migrate(conn: sqlite3.Connection, target: int = LATEST_VERSION) -> int:
    """Bring the database up to `target`; returns the version it was at before.

    The connection must be in autocommit mode (isolation_level=None). The version is
    read again under the write lock, so two processes starting at once migrate once.
    """
    found = user_version(conn)
    if found > LATEST_VERSION:
        raise NewerSchemaError(found, LATEST_VERSION)
    if found >= target:
        return found
    conn.execute("BEGIN IMMEDIATE")
    try:
        found = user_version(conn)
        if found > LATEST_VERSION:
            raise NewerSchemaError(found, LATEST_VERSION)
        for version in range(found + 1, target + 1):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {max(found, target)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return found

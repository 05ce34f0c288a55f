"""SqliteStore as a ConversationStore: save, load, list, page, rename, archive, delete."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, ConversationStore, MessageStatus
from poe_tui.store import AmbiguousId, NotFound, SqliteStore, StoreError
from tests.support.replies import write_reply


def chat(store: SqliteStore, bot: str, *turns: tuple[str, str]) -> Conversation:
    """A saved conversation with finished (prompt, reply) turns."""
    conversation = Conversation(bot=bot)
    for prompt, answer in turns:
        user = conversation.add_user_message(prompt)
        store.save_user_message(conversation, user)
        write_reply(store, conversation, conversation.start_reply(), answer)
    return conversation


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "conversations.db") as opened:
        yield opened


def test_store_never_imports_textual() -> None:
    code = (
        "import sys, poe_tui.store, poe_tui.store.export, poe_tui.commands.history\n"
        "print(','.join(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_it_is_a_conversation_store(store: SqliteStore) -> None:
    typed: ConversationStore = store  # mypy checks the protocol; this checks at runtime
    assert typed.list_conversations() == []


def test_pragmas_wal_foreign_keys(store: SqliteStore) -> None:
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
    assert store.conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        conversation = chat(store, "bot-a", ("Hello there", "Hi!"), ("More", "Sure."))
        reply = conversation.messages[-1]
        reply.points, reply.prompt_tokens, reply.completion_tokens = 42, 10, 3
        reply.suggested_replies = ["Tell me more"]
        reply.thinking = "hmm"
        store.save(conversation)
    with SqliteStore(path) as store:
        loaded = store.load(conversation.id)
    assert loaded == conversation
    assert loaded.title == "Hello there"
    assert loaded.titled


def test_list_conversations_newest_first_same_objects(store: SqliteStore) -> None:
    first = chat(store, "a", ("one", "1"))
    second = chat(store, "b", ("two", "2"))
    first.touch()
    store.save(first)
    listed = store.list_conversations()
    assert [c.id for c in listed] == [first.id, second.id]
    assert listed[0] is first  # the objects the UI holds, not copies
    assert store.list_conversations()[1] is second


def test_save_writes_only_changed_messages(store: SqliteStore) -> None:
    conversation = chat(store, "a", ("one", "1"), ("two", "2"))
    store.conn.execute("CREATE TEMP TABLE writes (id TEXT)")
    store.conn.execute(
        "CREATE TEMP TRIGGER count_writes AFTER UPDATE ON main.messages "
        "BEGIN INSERT INTO writes VALUES (new.id); END"
    )
    conversation.messages[-1].points = 7
    store.save(conversation)
    writes = [r[0] for r in store.conn.execute("SELECT id FROM writes")]
    assert writes == [conversation.messages[-1].id]


def test_summaries_points_counts_archive(store: SqliteStore) -> None:
    kept = chat(store, "a", ("one", "1"))
    kept.messages[-1].points = 5
    store.save(kept)
    hidden = chat(store, "b", ("two", "2"))
    store.archive(hidden.id)
    (summary,) = store.summaries()
    assert (summary.id, summary.points, summary.message_count) == (kept.id, 5, 2)
    assert [s.id for s in store.summaries(archived=True)] == [hidden.id]
    assert len(store.summaries(archived=None)) == 2
    assert [c.id for c in store.list_conversations()] == [kept.id]
    store.unarchive(hidden.id)
    assert len(store.summaries()) == 2


def test_rename(store: SqliteStore) -> None:
    conversation = chat(store, "a", ("one", "1"))
    store.rename(conversation.id, "  My   title ")
    assert conversation.title == "My title"
    assert store.load(conversation.id).title == "My title"
    with pytest.raises(StoreError):
        store.rename(conversation.id, "   ")
    with pytest.raises(NotFound):
        store.rename("nope", "x")


def test_delete_removes_everything(store: SqliteStore) -> None:
    conversation = chat(store, "a", ("needle", "haystack"))
    store.delete(conversation.id)
    assert store.summaries(archived=None) == []
    assert store.conn.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 0
    assert store.search("needle") == []
    with pytest.raises(NotFound):
        store.load(conversation.id)


def test_long_conversation_pages_in(store: SqliteStore) -> None:
    turns = [(f"prompt {i}", f"reply {i}") for i in range(30)]
    conversation = chat(store, "a", *turns)
    recent = store.load(conversation.id, last_n=10)
    assert [m.text for m in recent.messages] == [m.text for m in conversation.messages[-10:]]
    older = store.load_older(conversation.id, recent.messages[0].id, 25)
    assert [m.id for m in older] == [m.id for m in conversation.messages[25:50]]
    oldest = store.load_older(conversation.id, older[0].id, 25)
    assert [m.id for m in oldest] == [m.id for m in conversation.messages[:25]]
    assert store.load_older(conversation.id, oldest[0].id, 25) == []


def test_saving_a_partly_loaded_conversation_keeps_older_messages(store: SqliteStore) -> None:
    conversation = chat(store, "a", *[(f"p{i}", f"r{i}") for i in range(5)])
    recent = store.load(conversation.id, last_n=2)
    user = recent.add_user_message("next")
    store.save_user_message(recent, user)
    full = store.load(conversation.id)
    assert [m.text for m in full.messages][-3:] == ["p4", "r4", "next"]
    assert len(full.messages) == 11


def test_resolve_id_prefix(store: SqliteStore) -> None:
    one = Conversation(bot="a", id="abc111" + "0" * 26)
    two = Conversation(bot="a", id="abc222" + "0" * 26)
    for conversation in (one, two):
        store.save(conversation)
    assert store.resolve_id("abc1") == one.id
    assert store.resolve_id(two.id.upper()) == two.id
    with pytest.raises(AmbiguousId, match="several"):
        store.resolve_id("abc")
    with pytest.raises(NotFound):
        store.resolve_id("fff")
    with pytest.raises(NotFound):
        store.resolve_id("%")


def test_streaming_save_marks_writer(store: SqliteStore) -> None:
    """The UI's own periodic save() of a streaming reply is recoverable too."""
    conversation = Conversation(bot="a")
    conversation.add_user_message("hi")
    reply = conversation.start_reply()
    reply.text = "partial"
    store.save(conversation)
    writer = store.conn.execute("SELECT writer FROM messages WHERE id = ?", (reply.id,))
    assert writer.fetchone()[0].startswith(f"{__import__('os').getpid()}:")
    reply.status = MessageStatus.COMPLETE
    store.save(conversation)
    writer = store.conn.execute("SELECT writer FROM messages WHERE id = ?", (reply.id,))
    assert writer.fetchone()[0] is None


def test_closed_store_says_so(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "c.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.summaries()
    assert isinstance(sqlite3.sqlite_version, str)

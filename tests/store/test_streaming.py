"""Replies saved as they stream: batches, readers meanwhile, and surviving kill -9."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import INTERRUPTED_TITLE, ReplyWriter, SqliteStore


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def start(store: SqliteStore, **options: float) -> tuple[Conversation, ReplyWriter]:
    conversation = Conversation(bot="bot")
    user = conversation.add_user_message("Tell me a story")
    store.save_user_message(conversation, user)
    reply = conversation.start_reply()
    return conversation, store.reply_writer(conversation, reply, **options)  # type: ignore[arg-type]


def stored_text(path: Path, message_id: str) -> tuple[str, str]:
    conn = sqlite3.connect(path)
    try:
        row = conn.execute("SELECT text, status FROM messages WHERE id = ?", (message_id,))
        text, status = row.fetchone()
    finally:
        conn.close()
    return text, status


def test_user_message_is_committed_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        conversation = Conversation(bot="bot")
        user = conversation.add_user_message("saved first")
        store.save_user_message(conversation, user, transport="openai", parameters={"t": 1})
        assert stored_text(path, user.id) == ("saved first", "complete")  # another connection
        extras = store.message_extras(user.id)
        assert (extras.transport, extras.parameters) == ("openai", {"t": 1})


def test_writer_batches_by_time_and_size(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    clock = FakeClock()
    with SqliteStore(path) as store:
        conversation = Conversation(bot="bot")
        conversation.add_user_message("q")
        reply = conversation.start_reply()
        writer = ReplyWriter(store, conversation, reply, interval=0.5, max_chars=100, clock=clock)
        store.save(conversation)  # what reply_writer does first
        for _ in range(10):
            writer.append("ab")
        assert writer.flushes == 0
        assert stored_text(path, reply.id) == ("", "streaming")
        clock.now = 0.6
        writer.append("c")
        assert writer.flushes == 1
        assert stored_text(path, reply.id)[0] == "ab" * 10 + "c"
        writer.append("x" * 100)  # a big delta is written at once, whatever the time
        assert writer.flushes == 2
        writer.finish()
        assert stored_text(path, reply.id) == ("ab" * 10 + "c" + "x" * 100, "complete")
        assert reply.finished_at is not None
        assert store.message_extras(reply.id).first_token_at is not None


def test_writer_as_context_manager_records_how_it_ended(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "c.db") as store:
        _, writer = start(store)
        with pytest.raises(asyncio.CancelledError), writer:
            writer.append("half")
            raise asyncio.CancelledError
        assert writer.message.status is MessageStatus.STOPPED
        _, writer = start(store)
        with pytest.raises(RuntimeError), writer:
            raise RuntimeError("boom")
        loaded = store.load(writer.conversation.id).messages[-1]
        assert loaded.status is MessageStatus.FAILED
        assert loaded.error_message == "RuntimeError: boom"


def test_reply_to_a_deleted_conversation_is_dropped_quietly(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "c.db") as store:
        conversation, writer = start(store, interval=0)
        store.delete(conversation.id)
        writer.append("still arriving")  # no error: the reply goes with its conversation
        writer.finish()
        assert store.summaries() == []


def test_reader_sees_batches_while_a_reply_streams(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    writer_store = SqliteStore(path)
    conversation, writer = start(writer_store, interval=0.01)
    reply_id = writer.message.id
    done = threading.Event()
    errors: list[BaseException] = []

    def stream() -> None:
        try:
            for i in range(300):
                writer.append(f"w{i} ")
                time.sleep(0.001)
            writer.finish()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            done.set()

    thread = threading.Thread(target=stream)
    thread.start()
    seen: list[str] = []
    # The reader opens mid-stream: the live reply must not be mistaken for a dead one.
    with SqliteStore(path, busy_timeout_ms=200) as reader:
        while not done.is_set():
            messages = reader.load(conversation.id).messages
            seen.append(messages[-1].text)
            hits = reader.search("w1")  # reads the index too
            assert all(hit.message_id == reply_id for hit in hits)
            time.sleep(0.005)
        final = reader.load(conversation.id).messages[-1]
    thread.join()
    writer_store.close()
    assert errors == []
    assert final.status is MessageStatus.COMPLETE
    assert all(final.text.startswith(text) for text in seen)
    assert len(set(seen)) > 3  # batches arrived one after another, not all at the end


def test_dead_writer_is_marked_interrupted_live_one_is_not(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        ids = []
        for _ in range(3):
            _, writer = start(store)
            writer.append("partial text")
            writer.flush()
            ids.append(writer.message.id)
        dead, reused_pid, alive = ids
        store.conn.execute("UPDATE messages SET writer = '999999999:x' WHERE id = ?", (dead,))
        store.conn.execute(
            "UPDATE messages SET writer = ? WHERE id = ?", (f"{os.getpid()}:older-run", reused_pid)
        )
        store.conn.execute(
            "UPDATE messages SET writer = ? WHERE id = ?", (f"{os.getppid()}:other", alive)
        )
    with SqliteStore(path) as again:
        assert sorted(again.recovered) == sorted([dead, reused_pid])
        rows = dict(again.conn.execute("SELECT id, status FROM messages WHERE role='assistant'"))
        assert rows == {dead: "stopped", reused_pid: "stopped", alive: "streaming"}
        message = next(m for c in again.list_conversations() for m in c.messages if m.id == dead)
        assert message.text == "partial text"
        assert message.error_title == INTERRUPTED_TITLE
        assert message.finished_at is not None


STREAMER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from poe_tui.core.conversation import Conversation
    from poe_tui.store import SqliteStore

    store = SqliteStore(Path(sys.argv[1]))
    conversation = Conversation(bot="slow-bot")
    user = conversation.add_user_message("Tell me a long story")
    store.save_user_message(conversation, user)
    writer = store.reply_writer(conversation, conversation.start_reply(), interval=0.02)
    print(conversation.id, writer.message.id, flush=True)
    i = 0
    while True:
        writer.append(f"word{i} ")
        i += 1
        time.sleep(0.001)
    """
)


def expected_prefix(text: str) -> str:
    words = text.split()
    return "".join(f"word{i} " for i in range(len(words)))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL (POSIX)")
def test_kill_9_mid_reply_keeps_database_and_partial_reply(tmp_path: Path) -> None:
    path = tmp_path / "conversations.db"
    process = subprocess.Popen(
        [sys.executable, "-c", STREAMER, str(path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        assert process.stdout is not None
        conversation_id, reply_id = process.stdout.readline().split()
        deadline = time.monotonic() + 10
        seen = ""
        while len(seen) < 2000 and time.monotonic() < deadline:
            seen = stored_text(path, reply_id)[0]  # a reader while the reply streams
            time.sleep(0.01)
        assert len(seen) >= 2000, process.stderr.read() if process.stderr else ""
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
    assert process.returncode == -signal.SIGKILL

    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    text, status = conn.execute(
        "SELECT text, status FROM messages WHERE id = ?", (reply_id,)
    ).fetchone()
    conn.close()
    assert status == "streaming"  # nobody marked it: the process died mid-stream
    assert text.startswith(seen)  # nothing committed was lost
    assert text == expected_prefix(text)  # whole batches, in order, nothing torn

    with SqliteStore(path) as store:
        assert store.recovered == [reply_id]
        user, reply = store.load(conversation_id).messages
        assert user.text == "Tell me a long story"
        assert reply.text == text
        assert reply.status is MessageStatus.STOPPED
        assert reply.error_title == INTERRUPTED_TITLE
        assert store.check() == "ok"

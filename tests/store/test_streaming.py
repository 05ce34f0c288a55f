"""Replies saved as they stream: batches, readers meanwhile, and surviving kill -9."""

from __future__ import annotations

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

from poe_tui.core.chat import ReplyDelta
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.store import INTERRUPTED_TITLE, SqliteStore, TurnLog
from tests.support.replies import finish, stream_into


def start(store: SqliteStore) -> tuple[Conversation, Message]:
    conversation = Conversation(bot="bot")
    user = conversation.add_user_message("Tell me a story")
    store.save_user_message(conversation, user)
    reply = conversation.start_reply()
    TurnLog(store).open_reply(conversation, reply)
    return conversation, reply


def stored_text(path: Path, message_id: str) -> tuple[str, str]:
    """What another program reading the history sees of a message (chunks included)."""
    with SqliteStore(path) as reader:
        row = reader.conn.execute(
            "SELECT conversation_id, status FROM messages WHERE id = ?", (message_id,)
        ).fetchone()
        message = next(m for m in reader.load(row[0]).messages if m.id == message_id)
    return message.text, row[1]


def test_user_message_is_committed_before_sending(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        conversation = Conversation(bot="bot")
        user = conversation.add_user_message("saved first")
        store.save_user_message(conversation, user, transport="openai", parameters={"t": 1})
        assert stored_text(path, user.id) == ("saved first", "complete")  # another connection
        extras = store.message_extras(user.id)
        assert (extras.transport, extras.parameters) == ("openai", {"t": 1})


def test_each_batch_is_appended_not_rewritten(tmp_path: Path) -> None:
    """Saving grows with the batch, not the reply: the row and its index are written once,
    when the reply ends."""
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        conversation, reply = start(store)
        stream_into(store, conversation, reply, "ab", "cd", "ef")
        row_text = store.conn.execute("SELECT text FROM messages WHERE id = ?", (reply.id,))
        assert row_text.fetchone()[0] == ""  # the row was not rewritten per batch
        chunks = store.conn.execute(
            "SELECT data FROM reply_chunks WHERE message_id = ? ORDER BY seq", (reply.id,)
        ).fetchall()
        assert chunks == [("ab",), ("cd",), ("ef",)]
        assert stored_text(path, reply.id) == ("abcdef", "streaming")  # another reader
        finish(store, conversation, reply)
        assert store.conn.execute("SELECT COUNT(*) FROM reply_chunks").fetchone()[0] == 0
        assert stored_text(path, reply.id) == ("abcdef", "complete")


def test_replace_and_thinking_chunks_are_read_back_in_order(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        conversation, reply = start(store)
        log = TurnLog(store)
        for delta in (
            ReplyDelta(text="draft", thinking="hm"),
            ReplyDelta(replaced="Final", text=" answer", thinking=" ok"),
        ):
            log.append_reply(conversation, reply, delta)
        loaded = SqliteStore(path).load(conversation.id).messages[-1]
        assert (loaded.text, loaded.thinking) == ("Final answer", "hm ok")


def test_a_continued_reply_appends_after_its_text(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "c.db") as store:
        conversation, reply = start(store)
        stream_into(store, conversation, reply, "1 2 3")
        finish(store, conversation, reply, MessageStatus.STOPPED)
        again = store.continue_reply(conversation, reply.id)
        TurnLog(store).open_reply(conversation, again)
        stream_into(store, conversation, again, " 4", " 5")
        assert store.load(conversation.id).messages[-1].text == "1 2 3 4 5"


def test_reply_to_a_deleted_conversation_is_dropped_quietly(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "c.db") as store:
        conversation, reply = start(store)
        store.delete(conversation.id)
        stream_into(store, conversation, reply, "still arriving")  # no error
        finish(store, conversation, reply)
        assert store.summaries() == []
        assert store.conn.execute("SELECT COUNT(*) FROM reply_chunks").fetchone()[0] == 0


def test_reader_sees_batches_while_a_reply_streams(tmp_path: Path) -> None:
    path = tmp_path / "c.db"
    writer_store = SqliteStore(path)
    conversation, reply = start(writer_store)
    reply_id = reply.id
    done = threading.Event()
    errors: list[BaseException] = []

    def stream() -> None:
        try:
            for i in range(300):
                stream_into(writer_store, conversation, reply, f"w{i} ")
                time.sleep(0.001)
            finish(writer_store, conversation, reply)
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
            conversation, reply = start(store)
            stream_into(store, conversation, reply, "partial ", "text")
            ids.append(reply.id)
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
    from poe_tui.core.chat import ReplyDelta
    from poe_tui.store import SqliteStore, TurnLog

    store = SqliteStore(Path(sys.argv[1]))
    log = TurnLog(store)
    conversation = Conversation(bot="slow-bot")
    user = conversation.add_user_message("Tell me a long story")
    store.save_user_message(conversation, user)
    reply = conversation.start_reply()
    log.open_reply(conversation, reply)
    print(conversation.id, reply.id, flush=True)
    i = 0
    while True:
        log.append_reply(conversation, reply, ReplyDelta(text=f"word{i} "))
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
    (status,) = conn.execute("SELECT status FROM messages WHERE id = ?", (reply_id,)).fetchone()
    chunks = conn.execute(
        "SELECT data FROM reply_chunks WHERE message_id = ? ORDER BY seq", (reply_id,)
    ).fetchall()
    conn.close()
    text = "".join(c[0] for c in chunks)
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


def test_chunks_left_after_a_reply_ended_are_dropped_on_open(tmp_path: Path) -> None:
    """A batch whose save was still queued when its reply was closed (Esc) was never
    shown; it must not linger or come back."""
    path = tmp_path / "c.db"
    with SqliteStore(path) as store:
        conversation, reply = start(store)
        stream_into(store, conversation, reply, "shown")
        finish(store, conversation, reply, MessageStatus.STOPPED)
        TurnLog(store).append_reply(conversation, reply, ReplyDelta(text=" never shown"))
    with SqliteStore(path) as again:
        assert again.conn.execute("SELECT COUNT(*) FROM reply_chunks").fetchone()[0] == 0
        assert again.load(conversation.id).messages[-1].text == "shown"

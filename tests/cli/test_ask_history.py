"""`poe-tui ask` keeps its exchanges in the history the app shares; kill -9 loses nothing."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from poe_tui.core.conversation import MessageStatus
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from poe_tui.store.turn_log import merged

KEY = "ask-history-key-0123456789"


@pytest.fixture
def env(isolated_home: Path, fake_poe: FakePoeServer) -> dict[str, str]:
    return dict(os.environ, POE_API_KEY=KEY, POE_API_BASE=fake_poe.base_url)


def db_path(env: dict[str, str]) -> Path:
    return Path(env["POE_TUI_DATA_DIR"]) / "conversations.db"


def ask(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", "ask", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def conversations(env: dict[str, str]) -> list:
    with SqliteStore(db_path(env)) as store:
        return store.list_conversations()


def test_ask_is_saved_and_no_save_is_not(env: dict[str, str]) -> None:
    assert ask(env, "-b", "echo", "keep this one").returncode == 0
    assert ask(env, "-b", "echo", "--no-save", "forget this one").returncode == 0
    assert ask(env, "-b", "echo", "--no-stream", "and this one").returncode == 0
    saved = {c.title: c for c in conversations(env)}
    assert set(saved) == {"keep this one", "and this one"}
    for conversation in saved.values():
        prompt, reply = conversation.messages
        assert reply.text.startswith(f"You said: {prompt.text}")
        assert reply.status is MessageStatus.COMPLETE


def test_failed_ask_is_saved_as_failed(env: dict[str, str]) -> None:
    result = ask(env, "-b", "fail-midstream", "--transport", "openai", "break please")
    assert result.returncode != 0
    (conversation,) = conversations(env)
    reply = conversation.messages[-1]
    assert reply.status is MessageStatus.FAILED
    assert reply.text and reply.error_title == "Server error"


def saved_reply(path: Path) -> str:
    """The newest reply's text as the database holds it now ("" before there is one)."""
    if not path.exists():
        return ""  # connecting would create the file before the app does
    try:
        with sqlite3.connect(path, timeout=5) as raw:
            row = raw.execute(
                "SELECT id, text FROM messages WHERE role = 'assistant' ORDER BY rowid DESC LIMIT 1"
            ).fetchone()
            if row is None:
                return ""
            chunks = raw.execute(  # the batches of a reply still streaming
                "SELECT kind, data FROM reply_chunks WHERE message_id = ? ORDER BY seq", (row[0],)
            ).fetchall()
    except sqlite3.OperationalError:  # the schema is not there yet
        return ""
    return merged(str(row[1]), "", chunks)[0]


def wait_saved(path: Path, words: str, deadline: float) -> None:
    """Wait until the reply saved so far holds `words`: the store's batching decides when."""
    while words not in saved_reply(path):
        assert time.monotonic() < deadline, f"{words!r} never reached {path}"
        time.sleep(0.02)


def test_kill_9_mid_reply_keeps_the_database_and_the_partial_reply(
    isolated_home: Path,
) -> None:
    with FakePoeServer(speed=0.4) as server:  # slow-echo: 0.2 s a word
        env = dict(os.environ, POE_API_KEY=KEY, POE_API_BASE=server.base_url)
        words = " ".join(f"word{i}" for i in range(60))
        process = subprocess.Popen(
            [sys.executable, "-m", "poe_tui", "ask", "-b", "slow-echo", words],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        seen = ""
        deadline = time.monotonic() + 30
        while "word12" not in seen and time.monotonic() < deadline:
            seen += process.stdout.read(1)
        wait_saved(db_path(env), "word12", deadline)  # then the kill lands mid-reply
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
    assert "word12" in seen
    with sqlite3.connect(db_path(env)) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    (conversation,) = conversations(env)
    reply = conversation.messages[-1]
    assert reply.text.startswith("You said: word0")
    assert "word12" in reply.text and not reply.text.rstrip().endswith("word59")
    assert reply.text.startswith(seen)  # everything printed was saved first
    # The writer is gone, so the next open marks the reply interrupted, text kept.
    assert reply.status is MessageStatus.STOPPED and reply.error_title == "Interrupted"

"""Issue 17, point 2: imported conversations are untrusted, and bot names go into URLs
only checked and percent-encoded.

Each hostile export is refused with one clear error naming the field, and nothing is
written; a bot name that would address another path on the API host never leaves.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from poe_tui.commands.history import history_table, import_conversation
from poe_tui.commands.output import CommandError
from poe_tui.core.apikey import ApiKey
from poe_tui.core.botnames import BadBotName, bot_path
from poe_tui.core.client import PoeClient
from poe_tui.core.events import StreamFailed
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from poe_tui.store.export import FORMAT, from_json

T0 = 1_700_000_000.0
PATH_TRICK = "../usage/current_balance?x="


def export(**changes: Any) -> dict[str, Any]:
    """A valid export of one exchange; `changes` replace top-level keys, or the first
    message's keys when given as message={...}."""
    message = {
        "role": "user",
        "id": "m0",
        "text": "hi",
        "bot": "echo",
        "created_at": T0,
        "attachments": [{"name": "a.txt", "content_type": "text/plain", "size": 2, "sha256": None}],
    }
    message |= changes.pop("message", {})
    data = {
        "format": FORMAT,
        "id": "c" * 32,
        "title": "Hello",
        "bot": "echo",
        "created_at": T0,
        "updated_at": T0,
        "messages": [message],
    }
    return data | changes


def file_of(data: dict[str, Any]) -> str:
    return json.dumps(data)


def deep(levels: int) -> str:
    return '{"format": "poe-tui/1", "messages": [], "x": ' + "[" * levels + "]" * levels + "}"


def attachment(**changes: Any) -> dict[str, Any]:
    return {"attachments": [{"name": "a.txt", "content_type": "text/plain"} | changes]}


# (what is wrong, the export's text, words the error must hold)
HOSTILE: list[tuple[str, Callable[[], str], str]] = [
    ("a time of 1e308", lambda: file_of(export(created_at=1e308)), "created_at"),
    ("a message time of -1", lambda: file_of(export(message={"created_at": -1})), "created_at"),
    ("NaN", lambda: file_of(export()).replace(f"{T0}", "NaN", 1), "NaN"),
    ("Infinity", lambda: file_of(export()).replace(f"{T0}", "Infinity", 1), "Infinity"),
    ("10^40 points", lambda: file_of(export(message={"points": 10**40})), "points"),
    ("negative tokens", lambda: file_of(export(message={"prompt_tokens": -5})), "prompt_tokens"),
    ("5,000 digits", lambda: file_of(export()).replace('"size": 2', '"size": ' + "9" * 5000), ""),
    ("200k-deep JSON", lambda: deep(200_000), "deep"),
    ("40-deep JSON", lambda: deep(40), "deep"),
    ("a path as bot", lambda: file_of(export(bot=PATH_TRICK)), "bot"),
    ("escapes in a bot", lambda: file_of(export(bot="echo\x1b]0;PWNED\x07")), "bot"),
    ("a space in a bot", lambda: file_of(export(message={"bot": "echo bot"})), "messages[0].bot"),
    ("a percent in a bot", lambda: file_of(export(message={"bot": "ec%2Fho"})), "bot"),
    ("a slash in an id", lambda: file_of(export(id="../../etc")), "id"),
    ("a list as status", lambda: file_of(export(message={"status": []})), "status"),
    ("an odd transport", lambda: file_of(export(message={"transport": "ftp"})), "transport"),
    ("a path as digest", lambda: file_of(export(message=attachment(sha256="../x"))), "sha256"),
    ("a file: URL", lambda: file_of(export(message=attachment(url="file:///etc/passwd"))), "url"),
    ("a bad media type", lambda: file_of(export(message=attachment(content_type="x"))), "type"),
    (
        "Infinity in parameters",
        lambda: file_of(export(message={"parameters": {"t": 1e400}})),
        "Infinity",
    ),
    ("too many messages", lambda: _many_messages(), "messages"),
]


def _many_messages() -> str:
    data = export()
    data["messages"] = [{"role": "user"}] * 100_001
    return file_of(data)


@pytest.mark.parametrize(("problem", "text", "named"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_export_is_refused_clearly_and_nothing_is_written(
    problem: str, text: Callable[[], str], named: str, tmp_path: Path
) -> None:
    source = tmp_path / "hostile.json"
    source.write_text(text(), encoding="utf-8")
    with SqliteStore(tmp_path / "history.db") as store:
        with pytest.raises(CommandError) as refused:
            import_conversation(store, source)
        message = str(refused.value)
        assert named.lower() in message.lower(), message
        assert len(message.splitlines()) == 1 and len(message) < 400
        assert "\x1b" not in message
        assert history_table(store) == "No conversations yet."


def test_a_valid_export_still_imports_and_its_shown_texts_are_cleaned(tmp_path: Path) -> None:
    data = export(
        message={
            "error_title": "Bad\x1b[2J",
            "error_message": "oops\x1b]52;c;SEFDS0VE\x07",
            "suggested_replies": ["more\x9b1m"],
            "parameters": {"eff\x07ort": "hi\x07gh"},
        }
    )
    conversation = from_json(file_of(data))
    (message,) = conversation.messages
    assert (message.error_title, message.error_message) == ("Bad", "oops")
    assert message.suggested_replies == ["more"] and message.parameters == {"effort": "high"}
    source = tmp_path / "ok.json"
    source.write_text(file_of(data), encoding="utf-8")
    with SqliteStore(tmp_path / "history.db") as store:
        assert "Imported 'Hello'" in import_conversation(store, source)


def test_the_import_command_refuses_in_one_line_and_history_keeps_working(
    tmp_path: Path, isolated_home: Path
) -> None:
    source = tmp_path / "hostile.json"
    source.write_text(file_of(export(created_at=1e308)), encoding="utf-8")
    env = dict(os.environ)

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "poe_tui", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)

    refused = run("import", str(source))
    assert refused.returncode == 1, refused.stderr
    assert refused.stderr.count("\n") == 1 and "created_at" in refused.stderr
    listed = run("history")
    assert listed.returncode == 0 and "No conversations yet." in listed.stdout
    not_a_file = run("import", "/dev/zero")
    assert not_a_file.returncode == 1 and "not a regular file" in not_a_file.stderr


# --- bot names in URLs ------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", [PATH_TRICK, "..", ".hidden", "a/b", "a?b", "a%2Fb", "a b", "a\x1bb", "", "x" * 129]
)
def test_bot_path_refuses_what_cannot_be_a_bot(name: str) -> None:
    with pytest.raises(BadBotName):
        bot_path(name)


def test_bot_path_keeps_every_real_name() -> None:
    assert bot_path("Claude-Sonnet-4.5") == "/bot/Claude-Sonnet-4.5"
    assert bot_path("gpt_5.1-mini") == "/bot/gpt_5.1-mini"


@pytest.mark.parametrize("transport", list(Transport))
async def test_a_stored_bad_bot_name_fails_clearly_and_sends_nothing(
    fake_poe: FakePoeServer, transport: Transport
) -> None:
    before = len(fake_poe.state.requests)
    async with PoeClient(ApiKey("botname-test-key"), base_url=fake_poe.base_url) as client:
        events = [
            e
            async for e in client.stream_chat(
                PATH_TRICK, [ChatMessage("user", "hi")], transport=transport
            )
        ]
        with pytest.raises(BadBotName):
            await client.chat(PATH_TRICK, [ChatMessage("user", "hi")], transport=transport)
    (failed,) = events
    assert isinstance(failed, StreamFailed) and isinstance(failed.error, BadBotName)
    assert "is not a bot name" in failed.error.one_line()
    assert len(fake_poe.state.requests) == before  # not one request, to any path


def test_ask_refuses_a_bad_bot_name_before_sending(
    fake_poe: FakePoeServer, isolated_home: Path
) -> None:
    env = dict(os.environ, POE_API_KEY="ask-botname-key-123", POE_API_BASE=fake_poe.base_url)
    before = len(fake_poe.state.requests)
    done = subprocess.run(
        [sys.executable, "-m", "poe_tui", "ask", "-b", PATH_TRICK, "hello"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("poe-tui: Bad bot name:"), done.stderr
    assert len(fake_poe.state.requests) == before


def test_history_shows_a_hostile_bot_name_an_older_version_stored_clean(tmp_path: Path) -> None:
    from poe_tui.core.conversation import Conversation

    with SqliteStore(tmp_path / "history.db") as store:
        conversation = Conversation(bot="echo\x1b]0;PWNED\x07\x9b2J")
        conversation.add_user_message("hi")
        store.save(conversation)  # as an import before these checks could
        shown = history_table(store)
    assert "echo" in shown and "PWNED" not in shown
    assert not any((ord(c) < 0x20 and c != "\n") or 0x7F <= ord(c) <= 0x9F for c in shown)

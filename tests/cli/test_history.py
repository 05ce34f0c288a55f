"""`poe-tui history`, `export` and `import` as real processes over a real SQLite file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import SqliteStore


def run(args: list[str], data_dir: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, POE_TUI_DATA_DIR=str(data_dir))
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def saved(tmp_path: Path) -> tuple[Path, Conversation]:
    data = tmp_path / "data"
    data.mkdir()
    with SqliteStore(data / "conversations.db") as store:
        conversation = Conversation(bot="echo")
        conversation.add_user_message("How do penguins keep warm?")
        reply = conversation.start_reply()
        reply.text = "Penguins huddle together and have dense feathers."
        reply.status = MessageStatus.COMPLETE
        store.save(conversation)
    return data, conversation


def test_history_lists_and_searches(saved: tuple[Path, Conversation]) -> None:
    data, conversation = saved
    listing = run(["history"], data)
    assert listing.returncode == 0, listing.stderr
    assert conversation.id[:8] in listing.stdout and "How do penguins" in listing.stdout
    found = run(["history", "--search", "feathers"], data)
    assert "dense feathers" in found.stdout and conversation.id[:8] in found.stdout
    assert "No messages match" in run(["history", "--search", "giraffe"], data).stdout


def test_export_markdown_json_and_import(saved: tuple[Path, Conversation], tmp_path: Path) -> None:
    data, conversation = saved
    markdown = run(["export", conversation.id[:6]], data)
    assert markdown.returncode == 0, markdown.stderr
    assert markdown.stdout.startswith("---\n") and "Penguins huddle" in markdown.stdout
    target = tmp_path / "conv.json"
    written = run(["export", conversation.id[:6], "--format", "json", "-o", str(target)], data)
    assert written.returncode == 0 and json.loads(target.read_text())["format"] == "poe-tui/1"
    again = run(["import", str(target)], data)
    assert again.returncode != 0 and "Traceback" not in again.stderr
    assert len(again.stderr.strip().splitlines()) == 1
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    imported = run(["import", str(target)], fresh)
    assert imported.returncode == 0 and "Imported" in imported.stdout
    assert "How do penguins" in run(["history"], fresh).stdout


def test_unknown_id_is_one_clear_line(saved: tuple[Path, Conversation]) -> None:
    data, _conversation = saved
    result = run(["export", "zzzz"], data)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert result.stderr.startswith("poe-tui: ") and len(result.stderr.splitlines()) == 1

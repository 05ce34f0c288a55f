"""`export -o` behaves like F8 (issue 17, points 7 and 8): a private (0600) file, no
overwriting without --force, no writing through a link, `-o -` is stdout, and a bad
path is one line, not a crash."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import SqliteStore


@pytest.fixture
def exporter(tmp_path: Path) -> tuple[Path, str]:
    """A data dir holding one conversation, and that conversation's id prefix."""
    data = tmp_path / "data"
    with SqliteStore(data / "conversations.db") as store:
        conversation = Conversation(bot="echo")
        conversation.add_user_message("export me")
        reply = conversation.start_reply()
        reply.text = "You said: export me"
        reply.status = MessageStatus.COMPLETE
        store.save(conversation)
    return data, conversation.id[:8]


def export(exporter: tuple[Path, str], *args: str) -> subprocess.CompletedProcess[str]:
    data, prefix = exporter
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", "export", prefix, *args],
        env=dict(os.environ, POE_TUI_DATA_DIR=str(data)),
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 1, result.stderr  # a user's mistake, not 70 (a bug)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poe-tui: "), result.stderr
    assert "unexpected error" not in lines[0]
    for word in words:
        assert word in lines[0], lines[0]


def test_no_overwrite_without_force(exporter: tuple[Path, str], tmp_path: Path) -> None:
    target = tmp_path / "chat.md"
    target.write_text("mine, keep it")
    one_line_error(export(exporter, "-o", str(target)), "already exists", "--force")
    assert target.read_text() == "mine, keep it"
    assert export(exporter, "-o", str(target), "--force").returncode == 0
    assert "export me" in target.read_text()


@pytest.mark.parametrize("force", [False, True])
def test_never_through_a_link(exporter: tuple[Path, str], tmp_path: Path, force: bool) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    link = tmp_path / "chat.md"
    link.symlink_to(victim)
    dangling = tmp_path / "new.md"
    dangling.symlink_to(tmp_path / "created-through-the-link.md")
    more = ["--force"] if force else []
    one_line_error(export(exporter, "-o", str(link), *more), "is a link")
    one_line_error(export(exporter, "-o", str(dangling), *more), "is a link")
    assert victim.read_text() == "untouched"
    assert not (tmp_path / "created-through-the-link.md").exists()


def test_dash_is_stdout(exporter: tuple[Path, str], tmp_path: Path) -> None:
    result = export(exporter, "-o", "-")
    assert result.returncode == 0 and "export me" in result.stdout
    assert not Path("-").exists() and not (tmp_path / "-").exists()


@pytest.mark.parametrize("force", [False, True])
def test_bad_paths_are_one_line(exporter: tuple[Path, str], tmp_path: Path, force: bool) -> None:
    more = ["--force"] if force else []
    one_line_error(export(exporter, "-o", str(tmp_path), *more), "is a folder")
    one_line_error(export(exporter, "-o", str(tmp_path / "no" / "such.md"), *more), "Cannot write")
    if Path("/dev/full").exists():
        one_line_error(export(exporter, "-o", "/dev/full", *more), "/dev/full")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)  # no reader: opened plainly, the export would wait forever
    one_line_error(export(exporter, "-o", str(fifo), *more), "fifo")


def test_the_file_is_created_0600(exporter: tuple[Path, str], tmp_path: Path) -> None:
    previous = os.umask(0o022)  # the common umask, under which a plain create gives 0644
    try:
        target = tmp_path / "chat.md"
        assert export(exporter, "-o", str(target)).returncode == 0
    finally:
        os.umask(previous)
    assert "export me" in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o600

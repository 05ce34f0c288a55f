"""Files we write are private (issue 17, point 7): the history database with its WAL
and shm, and the viewer's temporary copies, which go at exit. Exports: in
test_cli_export_output.py."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import SqliteStore


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The common umask 022, under which a plain create gives 0644 (children inherit it)."""
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def saved_conversation(store: SqliteStore) -> Conversation:
    conversation = Conversation(bot="echo")
    conversation.add_user_message("private words")
    reply = conversation.start_reply()
    reply.text = "You said: private words"
    reply.status = MessageStatus.COMPLETE
    store.save(conversation)
    return conversation


def test_database_wal_and_shm_are_created_0600(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "conversations.db"
    with SqliteStore(db) as store:
        saved_conversation(store)
        sidecars = [db.with_name(db.name + end) for end in ("-wal", "-shm")]
        assert all(path.exists() for path in sidecars)  # WAL mode, open: both are there
        assert [mode(p) for p in (db, *sidecars)] == [0o600, 0o600, 0o600]


def test_an_older_readable_database_is_narrowed(tmp_path: Path, open_umask: None) -> None:
    db = tmp_path / "conversations.db"
    with SqliteStore(db) as store:
        saved_conversation(store)
    db.chmod(0o644)  # as versions before this one left it
    with SqliteStore(db):
        assert mode(db) == 0o600


def test_viewer_copies_are_private_and_removed_at_exit(tmp_path: Path) -> None:
    script = textwrap.dedent(
        """
        import stat
        from poe_tui.ui.opener import new_viewer_copies_folder
        folders = [new_viewer_copies_folder(), new_viewer_copies_folder()]
        for folder in folders:
            (folder / "picture.png").write_bytes(b"copy")
        modes = {oct(stat.S_IMODE(f.stat().st_mode)) for f in (*folders, folders[0].parent)}
        print(*folders, *modes)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    first, second, *modes = result.stdout.split()
    assert first != second and modes == ["0o700"]
    assert not Path(first).exists() and not Path(second).exists()
    assert not Path(first).parent.exists()

"""`--demo` on every command (issue 17, point 13): accepted before or after the command
name, and nothing in demo mode reads or writes the real data dir."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.store import SqliteStore
from poe_tui.store.export import to_json


def run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k not in ("POE_API_KEY", "POE_API_BASE")}
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def conversation(text: str) -> Conversation:
    made = Conversation(bot="echo")
    made.add_user_message(text)
    reply = made.start_reply()
    reply.text = f"You said: {text}"
    reply.status = MessageStatus.COMPLETE
    return made


def snapshot(folder: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under `folder` with its modification time and bytes."""
    return {
        str(path.relative_to(folder)): (path.stat().st_mtime_ns, path.read_bytes())
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def real_data(isolated_home: Path) -> Path:
    """The real data dir (POE_TUI_DATA_DIR, in the temp home) with one conversation."""
    data = Path(os.environ["POE_TUI_DATA_DIR"])
    with SqliteStore(data / "conversations.db") as store:
        store.save(conversation("the real history"))
    return data


@pytest.mark.parametrize("before", [True, False], ids=["demo-first", "demo-after"])
def test_history_export_import_take_demo_and_leave_the_data_dir_alone(
    real_data: Path, tmp_path: Path, before: bool
) -> None:
    exported = tmp_path / "other.json"
    exported.write_text(to_json(conversation("imported in demo")), encoding="utf-8")
    untouched = snapshot(real_data)

    def demo(command: str, *rest: str) -> subprocess.CompletedProcess[str]:
        args = ["--demo", command, *rest] if before else [command, "--demo", *rest]
        return run(args, tmp_path)

    imported = demo("import", str(exported))
    assert imported.returncode == 0, imported.stderr
    assert (
        "Imported 'imported in demo'" in imported.stdout and "nothing was kept" in imported.stdout
    )
    listing = demo("history")
    assert listing.returncode == 0, listing.stderr
    assert "No conversations yet." in listing.stdout  # not the real one, not the import
    missing = demo("export", "0")
    assert missing.returncode == 1 and "Traceback" not in missing.stderr
    assert snapshot(real_data) == untouched
    real = run(["history"], tmp_path)
    assert "the real history" in real.stdout and "imported in demo" not in real.stdout

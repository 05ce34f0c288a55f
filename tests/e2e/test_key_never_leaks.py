"""The key is sacred: after a real session with it, it is in no file, no process argument,
no export, no output and not in Textual's crash report.

The app runs in a real terminal (tmux, private socket) against the local Poe server,
which only accepts this key, with the key in the environment, as a user sets it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.fakepoe import FakePoeServer
from tests.support.launch_with_hooks import CRASH_MESSAGE
from tests.support.paths import LAUNCHER
from tests.support.tmux import Tmux, require_tmux, sidebar_balance, wait_exit, wait_for

SECRET = "sk-poe-LEAKTEST-7f3a9c21e5b84d06"
# Pieces of the key, so a key wrapped over two lines of a report is still caught.
FRAGMENTS = (SECRET, SECRET[:14], SECRET[-14:])


def leaks(text: str | bytes) -> list[str]:
    data = text.encode() if isinstance(text, str) else text
    return [f for f in FRAGMENTS if f.encode() in data]


def process_tree(root_pid: int) -> list[int]:
    """`root_pid` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root_pid]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def command_lines(pids: list[int]) -> list[bytes]:
    lines = []
    for pid in pids:
        try:
            lines.append(Path(f"/proc/{pid}/cmdline").read_bytes())
        except OSError:
            continue  # it ended meanwhile
    return lines


def files_holding_the_key(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and leaks(p.read_bytes())]


@pytest.fixture
def keyed_server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        yield server


@pytest.fixture
def tmux_with_key(tmp_path: Path, keyed_server: FakePoeServer) -> Iterator[Tmux]:
    session = Tmux(require_tmux(), tmp_path)
    session.env |= {"POE_API_KEY": SECRET, "POE_API_BASE": keyed_server.base_url}
    # A config file exists, so "not in the config" is checked against a real file.
    config = Path(session.env["POE_TUI_CONFIG_DIR"]) / "config.toml"
    config.write_text('[chat]\ndefault_bot = "echo"\n')
    try:
        yield session
    finally:
        session.kill()


@pytest.mark.tmux
def test_a_session_with_a_key_leaves_it_nowhere(tmux_with_key: Tmux, tmp_path: Path) -> None:
    tmux = tmux_with_key
    data_dir = Path(tmux.env["POE_TUI_DATA_DIR"])
    downloads = Path(tmux.env["HOME"]) / "Downloads"
    downloads.mkdir()
    tmux.start([sys.executable, str(LAUNCHER)])
    wait_for(
        tmux,
        "the first screen with a balance (the server took the key)",
        lambda s: "Message Echo" in s and sidebar_balance(s) is not None,
    )
    tmux.keys("keep this secret safe", literal=True)
    tmux.keys("Enter")
    wait_for(tmux, "the echo reply", lambda s: "You said: keep this secret safe" in s)

    # While the app runs: its process tree's arguments, and the history with its WAL.
    pane_pid = int(tmux.run("display", "-p", "-t", "main", "#{pane_pid}").strip())
    pids = process_tree(pane_pid)
    assert len(pids) >= 2, "the app's process was not found under the pane"
    assert not [c for c in command_lines(pids) if leaks(c)], "the key is in a command line"
    history = sorted(p.name for p in data_dir.rglob("*") if p.is_file())
    assert any(name.endswith(".db-wal") for name in history), history
    assert files_holding_the_key(data_dir) == []

    for key, suffix, label in (("F8", ".md", "as Markdown to"), ("S-F8", ".json", "as JSON to")):
        tmux.keys(key)
        wait_for(tmux, f"the {suffix} export prompt", lambda s, x=label: x in s)
        tmux.keys("Enter")
        wait_for(tmux, f"the {suffix} export", lambda s, x=suffix: any(downloads.glob(f"*{x}")))
    exports = sorted(downloads.iterdir())
    assert [p.suffix for p in exports] == [".json", ".md"]
    assert all("keep this secret safe" in p.read_text() for p in exports)

    # A crash with the raw key in a local: Textual prints its report on the terminal.
    tmux.keys("F12")
    assert wait_exit(tmux) == 70  # a crash is a failure for whoever started the app
    report = tmux.everything()
    assert CRASH_MESSAGE in report and "RuntimeError" in report, report
    assert "unexpected error" in report
    assert leaks(report) == [], f"the crash report shows the key:\n{report}"

    # Every file the session could have written: config, history, exports, anything.
    assert files_holding_the_key(tmp_path) == []


def test_ask_with_a_key_prints_and_stores_no_key(
    tmp_path: Path, keyed_server: FakePoeServer
) -> None:
    import subprocess

    from tests.support.tmux import isolated_env

    env = isolated_env(tmp_path) | {"POE_API_KEY": SECRET, "POE_API_BASE": keyed_server.base_url}
    for command in (["ask", "-b", "echo", "hello"], ["key", "status"], ["balance"], ["doctor"]):
        done = subprocess.run(
            [sys.executable, "-m", "poe_tui", *command],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert leaks(done.stdout + done.stderr) == [], command
    assert any(Path(env["POE_TUI_DATA_DIR"]).glob("*.db"))  # the exchange was kept
    assert files_holding_the_key(tmp_path) == []
    assert os.environ.get("POE_API_KEY") != SECRET  # the test's own process was not changed

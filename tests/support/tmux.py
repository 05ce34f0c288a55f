"""A real terminal for the e2e tests: a private tmux server, its pane, and waits on it.

Each session runs its own tmux server on a private socket (`tmux -L`), so nothing here
touches a tmux the developer is using. The server is started with an isolated
environment (temp HOME and config/data dirs, no POE_API_KEY / POE_API_BASE) and a
config that keeps dead panes, so what the app printed and its exit status can be read
afterwards. No timing is asserted: every wait polls the pane up to a generous deadline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

WIDTH, HEIGHT = 120, 36
DEADLINE = 25.0  # seconds; generous for a loaded CI machine, never a measured budget
POLL = 0.1
ISOLATED_DIRS = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "POE_TUI_CONFIG_DIR",
    "POE_TUI_DATA_DIR",
)
SIDEBAR_BALANCE = re.compile(r"^\s*(\d[\d,]*) points\b")
EXIT_LINE = re.compile(r"^POE-TUI-EXIT=(\d+)$", re.MULTILINE)
# tmux 3.3a leaves #{pane_dead_status} empty for a command that ran a while, so a
# shell around the command prints the exit status instead.
STATUS_WRAPPER = ["sh", "-c", '"$@"; echo "POE-TUI-EXIT=$?"', "sh"]


def require_tmux() -> str:
    """The tmux binary; a skip locally, but a failure in CI (CI must run these)."""
    tmux = shutil.which("tmux")
    if tmux is None:
        reason = "tmux is not installed (apt-get install tmux)"
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the tmux tests")
        pytest.skip(reason)
    return tmux


def isolated_env(root: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("POE_API_KEY", "POE_API_BASE")}
    for name in ISOLATED_DIRS:
        folder = root / name.lower()
        folder.mkdir(exist_ok=True)
        env[name] = str(folder)
    env.pop("TMUX", None)  # we may run inside someone's tmux; ours is a separate server
    env["TERM"] = "xterm-256color"
    return env


class Tmux:
    """One private tmux server with one pane running `command`."""

    def __init__(self, tmux: str, root: Path) -> None:
        self.tmux = tmux
        self.socket = f"poe-tui-test-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.env = isolated_env(root)
        self.config = root / "tmux.conf"
        # remain-on-exit must be set before the command starts, or a fast exit races it.
        self.config.write_text("set -g remain-on-exit on\nset -g history-limit 5000\n")

    def run(self, *args: str) -> str:
        command = [self.tmux, "-L", self.socket, "-f", str(self.config), *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise AssertionError(f"tmux {args[0]} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, command: list[str]) -> None:
        size = ["-x", str(WIDTH), "-y", str(HEIGHT)]
        self.run("new-session", "-d", "-s", "main", *size, "--", *STATUS_WRAPPER, *command)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "main")

    def everything(self) -> str:
        """The pane with its scrollback, for what was printed after the app left."""
        return self.run("capture-pane", "-p", "-S", "-", "-t", "main")

    def keys(self, *keys: str, literal: bool = False) -> None:
        self.run("send-keys", "-t", "main", *(["-l"] if literal else []), *keys)

    def kill(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            timeout=10,
        )


def wait_for(
    tmux: Tmux, what: str, found: Callable[[str], bool], *, scrollback: bool = False
) -> str:
    """Poll the pane until `found(screen)`; fail with the last screen when it never is."""
    deadline = time.monotonic() + DEADLINE
    while True:
        screen = tmux.everything() if scrollback else tmux.screen()
        if found(screen):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what}; the pane showed:\n{screen}")
        time.sleep(POLL)


def choose_bot(tmux: Tmux, search: str, name: str) -> None:
    """Pick a bot in the model picker (F2) by typing `search`; wait for its prompt."""
    tmux.keys("F2")
    wait_for(tmux, "the model picker", lambda s: "Choose a model" in s)
    tmux.keys(search, literal=True)
    tmux.keys("Enter")
    wait_for(tmux, f"{name} chosen", lambda s: f"Message {name}" in s)


def wait_exit(tmux: Tmux) -> int:
    """The exit status of the pane's command, once it has exited."""
    # Scrollback too: leaving the alternate screen can push the line out of view.
    screen = wait_for(
        tmux, "the app exit", lambda s: EXIT_LINE.search(s) is not None, scrollback=True
    )
    match = EXIT_LINE.search(screen)
    assert match is not None
    return int(match.group(1))


def sidebar_balance(screen: str) -> int | None:
    """The points balance under the big digits: the sidebar is right of the last `▏`."""
    for line in screen.splitlines():
        match = SIDEBAR_BALANCE.match(line.rpartition("▏")[2])
        if match:
            return int(match.group(1).replace(",", ""))
    return None

"""The real thing: poe-tui in a real terminal (tmux), driven by keys and read off the pane.

Each test runs its own tmux server on a private socket (`tmux -L`), so nothing here
touches a tmux the developer is using. The server is started with an isolated
environment (temp HOME and config/data dirs, no POE_API_KEY / POE_API_BASE) and a
config that keeps dead panes, so what the app printed and its exit status can be read
afterwards.
No timing is asserted: every wait polls the pane up to a generous deadline.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.tmux

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
SHOWCASE_LAST_LINE = "Happy chatting!"
# The native protocol reports no token counts, so the footer may go straight to the time.
REPLY_FOOTER = re.compile(r"demo-showcase · (?:[\d,]+ tokens · )?[\d.]+ s")
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


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(require_tmux(), tmp_path)
    try:
        yield session
    finally:
        session.kill()


def test_chat_in_a_real_terminal(tmux: Tmux) -> None:
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    first = wait_for(
        tmux,
        "the first screen with a balance",
        lambda s: "Message Demo-Showcase" in s and sidebar_balance(s) is not None,
    )
    before = sidebar_balance(first)
    assert before is not None

    tmux.keys("Show me what replies can look like", literal=True)
    tmux.keys("Enter")
    reply = wait_for(
        tmux,
        "the finished showcase reply",
        lambda s: SHOWCASE_LAST_LINE in s and REPLY_FOOTER.search(s) is not None,
    )
    assert "Traceback" not in reply
    after_screen = wait_for(
        tmux,
        "a lower balance",
        lambda s: (sidebar_balance(s) or before) < before,
    )
    after = sidebar_balance(after_screen)
    assert after is not None and after < before

    tmux.keys("C-q")
    assert wait_exit(tmux) == 0
    assert "Traceback" not in tmux.everything()


def test_ask_prints_to_a_terminal(tmux: Tmux) -> None:
    tmux.start([sys.executable, "-m", "poe_tui", "ask", "--demo", "-b", "echo", "hello"])
    assert wait_exit(tmux) == 0
    output = tmux.everything()
    assert "You said: hello" in output
    assert "Traceback" not in output


def test_attach_a_file_and_the_echo_bot_acknowledges_it(tmux: Tmux, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("remember the milk\n")
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    wait_for(tmux, "the first screen", lambda s: "Message Demo-Showcase" in s)
    choose_bot(tmux, "echo", "Echo")

    tmux.keys(f"/attach {notes}", literal=True)
    tmux.keys("Enter")
    wait_for(tmux, "the file's chip", lambda s: "notes.txt · text · 18 B" in s)
    tmux.keys("what is in this file?", literal=True)
    tmux.keys("Enter")
    screen = wait_for(
        tmux,
        "the echo bot acknowledging the file",
        lambda s: "notes.txt (text/plain, 18 B)" in s,
    )
    assert "You said: what is in this file?" in screen
    assert "1 file, 18 B" not in screen  # the panel emptied when the prompt was sent
    assert "Traceback" not in screen

    tmux.keys("C-q")
    assert wait_exit(tmux) == 0
    assert "Traceback" not in tmux.everything()


def test_alt_1_sends_a_suggestion_and_ctrl_j_adds_a_line(tmux: Tmux) -> None:
    """Keys as a terminal sends them (Alt+1 is Esc 1), not as Pilot presses them."""
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    wait_for(tmux, "the first screen", lambda s: "Message Demo-Showcase" in s)
    choose_bot(tmux, "demo-suggest", "Demo-Suggest")

    tmux.keys("first line", literal=True)
    tmux.keys("C-j")
    tmux.keys("second line", literal=True)
    screen = wait_for(tmux, "two lines in the prompt", lambda s: "second line" in s)
    assert "▌ first line" not in screen  # nothing was sent yet
    tmux.keys("Enter")
    chips = wait_for(tmux, "the chips", lambda s: "alt+1" in s and "Tell me more." in s)
    assert "first linesecond line" not in chips  # ctrl+j made a line of its own
    lines = chips.splitlines()
    assert any("first line" in line and "second line" not in line for line in lines)
    tmux.keys("M-1")
    screen = wait_for(
        tmux,
        "the first suggestion sent as a prompt",
        lambda s: (
            any(
                "Tell me more." in line and "alt+1" not in line and "¡" not in line
                for line in s.splitlines()
            )
            and s.count("Tell me more.") >= 2
        ),
    )
    assert "¡" not in screen  # not typed into the prompt as a character
    tmux.keys("C-q")
    assert wait_exit(tmux) == 0

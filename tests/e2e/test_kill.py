"""Nothing shown is lost: the app in tmux, killed with SIGKILL while a reply streams.

The private demo bot `demo-count` streams numbered tokens (`n0001 n0002 …`) with a long
pause after the thirtieth. Ten times, the app is started against the local server with
a real history on disk, asked to count, and killed with `kill -9` once the pane shows a
token chosen at random (once during the pause). Every token that was on the screen
must then be in the history, in order.
"""

from __future__ import annotations

import os
import random
import re
import signal
import sys
import time
from pathlib import Path

import pytest

from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.bots import COUNT_PAUSE_AFTER, COUNT_TOKENS
from poe_tui.store import SqliteStore
from tests.support.tmux import DEADLINE, POLL, Tmux, require_tmux, wait_for

pytestmark = pytest.mark.tmux

RUNS = 10
TOKEN = re.compile(r"\bn(\d{4})\b")
KEY = "kill-test-key"


def tokens_on(screen: str) -> list[int]:
    return [int(n) for n in TOKEN.findall(screen)]


def start_app(tmux: Tmux) -> int:
    """Start poe-tui as the pane's own process (no shell between) and return its pid."""
    size = ["-x", "120", "-y", "36"]
    tmux.run("new-session", "-d", "-s", "main", *size, "--", sys.executable, "-m", "poe_tui")
    return int(tmux.run("display", "-p", "-t", "main", "#{pane_pid}").strip())


def end_app(tmux: Tmux, pid: int, ending: str) -> None:
    """Kill the app with a signal, or close its terminal, and wait until it is gone
    (reaped: the next open of the history may then recover its reply)."""
    if ending == "closed terminal":
        tmux.kill()  # the pty closes under the app: the kernel sends it SIGHUP
        deadline = time.monotonic() + DEADLINE
        while process_exists(pid):  # no pane left to read: watch the process itself
            assert time.monotonic() < deadline, "the app outlived its terminal"
            time.sleep(POLL)
        return
    os.kill(pid, getattr(signal, ending))
    wait_for(tmux, "the pane to die", lambda _: pane_dead(tmux))


def process_exists(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state != "Z"


def pane_dead(tmux: Tmux) -> bool:
    return tmux.run("display", "-p", "-t", "main", "#{pane_dead}").strip() == "1"


def kept_reply(data_dir: Path) -> str:
    with SqliteStore(data_dir / "conversations.db") as store:
        (conversation,) = store.list_conversations()
        user, reply = conversation.messages
    assert user.text == "count"
    return reply.text


def one_run(
    root: Path, server: FakePoeServer, target: int | None, ending: str = "SIGKILL"
) -> tuple[int, list[int]]:
    """End the app (`ending`) once the pane shows token `target` (None: during the
    pause); returns the highest token seen on screen just before, and the tokens kept."""
    root.mkdir()
    tmux = Tmux(require_tmux(), root)
    tmux.env |= {"POE_API_KEY": KEY, "POE_API_BASE": server.base_url}
    config = Path(tmux.env["POE_TUI_CONFIG_DIR"]) / "config.toml"
    config.write_text('[chat]\ndefault_bot = "demo-count"\n')
    try:
        pid = start_app(tmux)
        wait_for(tmux, "the prompt", lambda s: "Message demo-count" in s)
        tmux.keys("count", literal=True)
        tmux.keys("Enter")
        wanted = COUNT_PAUSE_AFTER if target is None else target
        screen = wait_for(tmux, f"token {wanted}", lambda s: max(tokens_on(s), default=0) >= wanted)
        end_app(tmux, pid, ending)
    finally:
        tmux.kill()
    kept = tokens_on(kept_reply(Path(tmux.env["POE_TUI_DATA_DIR"])))
    return max(tokens_on(screen)), kept


def test_kill_9_mid_reply_keeps_every_token_that_was_on_screen(tmp_path: Path) -> None:
    seed = random.randrange(1 << 30)
    moments = random.Random(seed)
    targets: list[int | None] = [moments.randint(1, COUNT_TOKENS - 1) for _ in range(RUNS - 1)]
    targets.insert(moments.randrange(RUNS), None)  # once during the pause
    with FakePoeServer(speed=1.0, api_key=KEY) as server:
        for run, target in enumerate(targets):
            seen, kept = one_run(tmp_path / f"run{run}", server, target)
            moment = "during the pause" if target is None else f"at token {target}"
            assert kept == list(range(1, len(kept) + 1)), f"run {run} (seed {seed}): {kept}"
            assert len(kept) >= seen, (
                f"run {run}, killed {moment} (seed {seed}): token {seen} was on screen "
                f"but the history kept only up to {len(kept)}"
            )


@pytest.mark.parametrize("ending", ["SIGTERM", "SIGHUP", "closed terminal"])
def test_other_endings_keep_what_was_shown(tmp_path: Path, ending: str) -> None:
    with FakePoeServer(speed=1.0, api_key=KEY) as server:
        seen, kept = one_run(tmp_path / "run", server, COUNT_PAUSE_AFTER // 2, ending)
    assert kept == list(range(1, len(kept) + 1))
    assert len(kept) >= seen, f"{ending}: token {seen} was on screen, kept {len(kept)}"

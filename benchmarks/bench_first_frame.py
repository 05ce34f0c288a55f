"""Time to first frame: `poe-tui --demo` against a bare Textual app, both in tmux.

Each program starts in a new window of a private tmux server (120x36), and the pane is
read every 10 ms until the program's first screen shows. The clock starts just before
tmux is asked to spawn it, so both sides pay the same interpreter start and tmux
overhead; the ratio is poe-tui's own cost (issue 9's target: at most 1.3x).

The data dir holds 500 saved conversations. `--demo` keeps its chats in memory and never
reads them, so a third side runs poe-tui for real (against a local Poe server, with a
key in the environment) until the newest of those 500 conversations is listed. A
fourth figure, "ready", waits for the demo's balance in the sidebar (fetched from the
local server after the first frame).

    python benchmarks/bench_first_frame.py [--runs N]
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import (
    BENCH_DIR,
    Row,
    Tmux,
    at_most,
    have_tmux,
    isolated_env,
    median,
    poll,
    print_table,
)
from stream_content import history

from poe_tui.core.conversation import Conversation, Message
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from poe_tui.store.opening import DB_NAME

POLL_SECONDS = 0.01
DEADLINE_SECONDS = 30.0  # a bound for a stuck program, not a budget
BENCH = "first frame"
BALANCE = re.compile(r"\d[\d,]* points ·")
CONVERSATIONS = 500
NEWEST_TITLE = "Saved chat 500"
TARGET = 1.3

Seen = Callable[[str], bool]


def bare_seen(screen: str) -> bool:
    from bare_app import PLACEHOLDER

    return PLACEHOLDER in screen and "Quit" in screen


def app_seen(screen: str) -> bool:
    # The empty conversation's hint and the footer: the whole layout is on screen.
    return "Ask anything." in screen and "Quit" in screen


def app_ready(screen: str) -> bool:
    return app_seen(screen) and BALANCE.search(screen) is not None


def listed_seen(screen: str) -> bool:
    return app_seen(screen) and NEWEST_TITLE in screen


def write_conversations(data_dir: Path, count: int = CONVERSATIONS) -> None:
    """`count` saved conversations of two turns each, the newest titled NEWEST_TITLE."""
    turns = history(2 * count)
    with SqliteStore(data_dir / DB_NAME) as store:
        for number in range(1, count + 1):
            title = f"Saved chat {number}"
            conversation = Conversation(bot="echo", title=title, titled=True)
            for prompt, reply in turns[2 * number - 2 : 2 * number]:
                conversation.add_user_message(prompt)
                conversation.messages.append(Message("assistant", reply, "echo"))
            conversation.updated_at += number  # a strict order: number 500 is the newest
            store.save(conversation)


def time_until(tmux: Tmux, name: str, command: list[str], marks: list[Seen]) -> list[float]:
    """Seconds from spawn until each of `marks` (in order) is true of the pane."""
    times: list[float] = []
    start = time.perf_counter()
    tmux.start(name, command)
    try:
        for seen in marks:
            poll(
                lambda s=seen: s(tmux.capture(name)),
                every=POLL_SECONDS,
                deadline=DEADLINE_SECONDS,
                what=f"{name} to show its screen",
            )
            times.append(time.perf_counter() - start)
    finally:
        tmux.stop(name, quit_key="C-q")
    return times


def measure(runs: int) -> list[Row]:
    if not have_tmux():
        print("bench_first_frame: tmux is not installed; skipped.", file=sys.stderr)
        return []
    python = sys.executable
    bare = [python, str(BENCH_DIR / "bare_app.py")]
    app = [python, "-m", "poe_tui", "--demo"]
    bare_times: list[float] = []
    app_times: list[float] = []
    ready_times: list[float] = []
    listed_times: list[float] = []
    with tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as home, FakePoeServer() as server:
        env = isolated_env(Path(home))
        write_conversations(Path(env["POE_TUI_DATA_DIR"]))
        env["POE_API_KEY"] = "bench-key"  # read by the real side only; the server takes any
        real = [python, "-m", "poe_tui", "--base-url", server.base_url]
        tmux = Tmux(env)
        try:
            # One untimed round first: cold caches would make the first side look slow.
            time_until(tmux, "warm-bare", bare, [bare_seen])
            time_until(tmux, "warm-app", app, [app_seen])
            time_until(tmux, "warm-real", real, [listed_seen])
            for run in range(runs):  # interleaved, so drifting load hits every side
                bare_times += time_until(tmux, f"bare-{run}", bare, [bare_seen])
                first, ready = time_until(tmux, f"app-{run}", app, [app_seen, app_ready])
                app_times.append(first)
                ready_times.append(ready)
                listed_times += time_until(tmux, f"real-{run}", real, [listed_seen])
        finally:
            tmux.close()
    floor = median(bare_times)

    def row(subject: str, times: list[float], target: bool = True) -> Row:
        ratio = median(times) / floor
        limit = f"<= {TARGET}x" if target else ""
        met = at_most(TARGET, ratio) if target else None
        return Row(BENCH, subject, median(times) * 1000, "ms", ratio, target=limit, met=met)

    return [
        Row(BENCH, "bare Textual app (Header, Input, Footer)", floor * 1000, "ms", floor=True),
        row("poe-tui --demo: first frame", app_times),
        row(f"poe-tui, {CONVERSATIONS} saved conversations: listed", listed_times),
        row("poe-tui --demo: balance shown", ready_times, target=False),
    ]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per program (default 5)")
    rows = measure(parser.parse_args(argv).runs)
    print_table(rows)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

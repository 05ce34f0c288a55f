"""Opening a 2,000-message conversation: time to interactive and memory, against a bare app.

A SQLite history with one conversation of 1,000 turns (2,000 messages, replies of a few
hundred characters of Markdown with lists, tables and code) is written to an isolated
data dir. Then, each in a new window of a private tmux server (120x36):

- the floor: `bare_app.py` (Header, Input, Footer), until its first screen shows;
- poe-tui with an empty history, until its first screen shows (what a history costs);
- `poe-tui --resume`, until the newest reply of the long conversation is on screen with
  the footer: the conversation is open and takes keys.

Memory is the resident set (VmRSS) of each process once its screen is up, read from
/proc. Both poe-tui sides talk to a local Poe server started here (no network).

Issue 9's target is the difference the long conversation makes: opening it costs at
most 300 ms and 100 MB more than opening an empty history (both measured here, in the
same run); the bare app is shown for scale.

    python benchmarks/bench_long_history.py [--runs N] [--turns N]
"""

from __future__ import annotations

import argparse
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
DEADLINE_SECONDS = 60.0  # a bound for a stuck program, not a budget
BENCH = "long history"
LAST_MARK = "END-OF-HISTORY"
TARGET_MS = 300.0
TARGET_MB = 100.0

Seen = Callable[[str], bool]


def write_history(data_dir: Path, turns: int) -> None:
    conversation = Conversation(bot="echo", title="A very long conversation", titled=True)
    for prompt, reply in history(turns):
        conversation.add_user_message(prompt)
        conversation.messages.append(Message("assistant", reply, "echo"))
    conversation.messages[-1].text += f"\n\n{LAST_MARK}"
    with SqliteStore(data_dir / DB_NAME) as store:
        store.save(conversation)


def bare_seen(screen: str) -> bool:
    from bare_app import PLACEHOLDER

    return PLACEHOLDER in screen and "Quit" in screen


def empty_seen(screen: str) -> bool:
    return "Ask anything." in screen and "Quit" in screen


def resumed_seen(screen: str) -> bool:
    return LAST_MARK in screen and "Quit" in screen


def rss_kb(tmux: Tmux, name: str) -> float:
    """Resident memory of the program in window `name` (the pane's process)."""
    pid = tmux.run("display-message", "-p", "-t", f"bench:{name}", "#{pane_pid}").strip()
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return float(line.split()[1])
    return float("nan")


def run_once(tmux: Tmux, name: str, command: list[str], seen: Seen) -> tuple[float, float]:
    """Seconds from spawn until `seen` is true of the pane, and the RSS (kB) then."""
    start = time.perf_counter()
    tmux.start(name, command)
    try:
        poll(
            lambda: seen(tmux.capture(name)),
            every=POLL_SECONDS,
            deadline=DEADLINE_SECONDS,
            what=f"{name} to show its screen",
        )
        elapsed = time.perf_counter() - start
        time.sleep(0.2)  # let the first frame's allocations settle before reading memory
        return elapsed, rss_kb(tmux, name)
    finally:
        tmux.stop(name, quit_key="C-q")


def measure(runs: int, turns: int = 1000) -> list[Row]:
    if not have_tmux() or not Path("/proc/self/status").exists():
        print("bench_long_history: needs tmux and /proc; skipped.", file=sys.stderr)
        return []
    python = sys.executable
    with tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as home, FakePoeServer() as server:
        env = isolated_env(Path(home))
        env["POE_API_KEY"] = "bench-key"  # the local server takes any key
        long_dir = Path(home) / "long-data"
        long_dir.mkdir()
        write_history(long_dir, turns)
        app = [python, "-m", "poe_tui", "--base-url", server.base_url]
        sides: dict[str, tuple[list[str], Seen, dict[str, str]]] = {
            "bare": ([python, str(BENCH_DIR / "bare_app.py")], bare_seen, env),
            "empty": (app, empty_seen, env),
            "long": ([*app, "--resume"], resumed_seen, {**env, "POE_TUI_DATA_DIR": str(long_dir)}),
        }
        results: dict[str, list[tuple[float, float]]] = {side: [] for side in sides}
        for run in range(-1, runs):  # run -1 warms the caches and is not counted
            for side, (command, seen, side_env) in sides.items():
                tmux = Tmux(side_env)
                try:
                    result = run_once(tmux, f"{side}-{run}", command, seen)
                finally:
                    tmux.close()
                if run >= 0:
                    results[side].append(result)
    return rows(results, turns)


def rows(results: dict[str, list[tuple[float, float]]], turns: int) -> list[Row]:
    def times(side: str) -> float:
        return median([t for t, _ in results[side]]) * 1000

    def memory(side: str) -> float:
        return median([m for _, m in results[side]]) / 1024

    messages = f"{turns * 2:,}-message conversation"
    extra_ms = times("long") - times("empty")
    extra_mb = memory("long") - memory("empty")
    return [
        Row(BENCH, "bare Textual app: first frame", times("bare"), "ms", floor=True),
        Row(BENCH, "poe-tui, empty history: first frame", times("empty"), "ms",
            times("empty") / times("bare")),
        Row(BENCH, f"poe-tui --resume, {messages}: interactive", times("long"), "ms",
            times("long") / times("bare")),
        Row(BENCH, f"{messages} minus empty history: time", extra_ms, "ms",
            target=f"<= {TARGET_MS:.0f} ms", met=at_most(TARGET_MS, extra_ms)),
        Row(BENCH, "bare Textual app: memory (RSS)", memory("bare"), "MB", floor=True),
        Row(BENCH, "poe-tui, empty history: memory", memory("empty"), "MB",
            memory("empty") / memory("bare")),
        Row(BENCH, f"poe-tui --resume, {messages}: memory", memory("long"), "MB",
            memory("long") / memory("bare")),
        Row(BENCH, f"{messages} minus empty history: memory", extra_mb, "MB",
            target=f"<= {TARGET_MB:.0f} MB", met=at_most(TARGET_MB, extra_mb)),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per side (default 3)")
    parser.add_argument("--turns", type=int, default=1000, help="turns (default 1000)")
    args = parser.parse_args(argv)
    result = measure(args.runs, args.turns)
    print_table(result)
    return 0 if result else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

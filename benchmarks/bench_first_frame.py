"""Time to first frame: `poe-tui --demo` against a bare Textual app, both in tmux.

Each program starts in a new window of a private tmux server (120x36), and the pane is
read every 10 ms until the program's first screen shows. The clock starts just before
tmux is asked to spawn it, so both sides pay the same interpreter start and tmux
overhead; the ratio is poe-tui's own cost. A second poe-tui figure, "ready", waits for
the balance in the sidebar (fetched from the local server after the first frame).

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

from _common import BENCH_DIR, Row, Tmux, have_tmux, isolated_env, median, poll, print_table

POLL_SECONDS = 0.01
DEADLINE_SECONDS = 30.0  # a bound for a stuck program, not a budget
BENCH = "first frame"
BALANCE = re.compile(r"\d[\d,]* points ·")

Seen = Callable[[str], bool]


def bare_seen(screen: str) -> bool:
    from bare_app import PLACEHOLDER

    return PLACEHOLDER in screen and "Quit" in screen


def app_seen(screen: str) -> bool:
    # The empty conversation's hint and the footer: the whole layout is on screen.
    return "Ask anything." in screen and "Quit" in screen


def app_ready(screen: str) -> bool:
    return app_seen(screen) and BALANCE.search(screen) is not None


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
    with tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as home:
        tmux = Tmux(isolated_env(Path(home)))
        try:
            # One untimed round first: cold caches would make the first side look slow.
            time_until(tmux, "warm-bare", bare, [bare_seen])
            time_until(tmux, "warm-app", app, [app_seen])
            for run in range(runs):  # interleaved, so drifting load hits both sides
                bare_times += time_until(tmux, f"bare-{run}", bare, [bare_seen])
                first, ready = time_until(tmux, f"app-{run}", app, [app_seen, app_ready])
                app_times.append(first)
                ready_times.append(ready)
        finally:
            tmux.close()
    floor = median(bare_times)
    return [
        Row(BENCH, "bare Textual app (Header, Input, Footer)", floor * 1000, "ms", floor=True),
        Row(BENCH, "poe-tui --demo: first frame", median(app_times) * 1000, "ms",
            median(app_times) / floor),
        Row(BENCH, "poe-tui --demo: balance shown", median(ready_times) * 1000, "ms",
            median(ready_times) / floor),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per program (default 5)")
    rows = measure(parser.parse_args(argv).runs)
    print_table(rows)
    return 0 if rows else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

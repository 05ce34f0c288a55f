"""CPU cost of streaming a long reply: poe-tui against a plain Log app, same stream.

A local server (`sse_server.py`, its own process) streams an ~80k-character Markdown
reply (~20k tokens: prose, lists, tables, code) in N chunks at a fixed rate, in the
OpenAI-compatible format poe-tui reads. Each side runs in its own process
(`stream_harness.py`) in a tmux window, so it draws to a real terminal:

- poe-tui: a conversation of 100 earlier messages opened from the store, then a prompt
  sent; the reply goes PoeClient -> loopback SSE -> the live Markdown widget;
- floor: a Header/Log/Footer app, the same history in the Log, the same stream read with
  PoeClient and written chunk by chunk to the Log;
- client only: the same stream read with PoeClient and dropped (no UI).

Reported: CPU seconds of the client process while the reply streams (median of the
runs) and the ratio to the Log floor, wall time, and the chunk-to-screen delay.

    python benchmarks/bench_streaming.py [--runs N] [--chunks 5000] [--rate 100]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from _common import (
    BENCH_DIR,
    Row,
    Tmux,
    have_tmux,
    isolated_env,
    median,
    percentile,
    poll,
    print_table,
)

BENCH = "streaming"
HISTORY_TURNS = 50  # 100 earlier messages
VARIANTS = ("log", "app", "client")
LABELS = {
    "log": "Log widget app (same chunks)",
    "app": "poe-tui chat (100 earlier messages)",
    "app-all": "poe-tui, all 100 messages mounted",
    "client": "PoeClient only, no UI",
}
EXTRA_SECONDS = 120.0  # beyond the stream's own length, before a run counts as stuck


@contextmanager
def stream_server(env: dict[str, str], chunks: int, rate: float) -> Iterator[str]:
    """The paced stream server in its own process; yields its base URL."""
    command = [sys.executable, str(BENCH_DIR / "sse_server.py"), "--chunks", str(chunks)]
    command += ["--rate", str(rate)]
    server = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "port N" once it accepts connections
        if not line.startswith("port "):
            raise RuntimeError(f"the stream server did not start: {line!r}")
        yield f"http://127.0.0.1:{int(line.split()[1])}"
    finally:
        server.terminate()
        server.wait(10)


class Runner:
    """Runs harness processes: in tmux windows when there is tmux, else headless."""

    def __init__(self, env: dict[str, str], work: Path, base_url: str, stream_seconds: float):
        self.env = env
        self.work = work
        self.base_url = base_url
        self.deadline = stream_seconds + EXTRA_SECONDS
        self.tmux = Tmux(env) if have_tmux() else None
        self.count = 0

    def run(self, variant: str) -> dict[str, Any]:
        self.count += 1
        out = self.work / f"{variant}-{self.count}.json"
        command = [sys.executable, str(BENCH_DIR / "stream_harness.py"), variant]
        command += ["--base-url", self.base_url, "--out", str(out)]
        command += ["--turns", str(HISTORY_TURNS)]
        if self.tmux is None or variant == "client":
            headless = [] if variant == "client" else ["--headless"]
            subprocess.run(command + headless, env=self.env, timeout=self.deadline, check=True)
        else:
            name = f"{variant}-{self.count}"
            self.tmux.start(name, command)
            try:
                poll(out.exists, every=0.2, deadline=self.deadline, what=f"{variant} to finish")
            finally:
                self.tmux.stop(name, wait=10)
        result: dict[str, Any] = json.loads(out.read_text())
        if not result["ok"]:
            raise RuntimeError(f"{variant} run failed: {result['error']}")
        return result

    def close(self) -> None:
        if self.tmux is not None:
            self.tmux.close()


def rows_for(results: dict[str, list[dict[str, Any]]], rate: float, chunks: int) -> list[Row]:
    floor = median([r["cpu"] for r in results["log"]])
    rows = []
    for variant, runs in results.items():
        cpu = median([r["cpu"] for r in runs])
        ratio = None if variant == "log" else cpu / floor
        load = f"{median([r['cpu'] / r['wall'] for r in runs]):.0%} of a core"
        rows.append(Row(BENCH, f"CPU: {LABELS[variant]}", cpu, "s", ratio, load, variant == "log"))
    stream_seconds = chunks / rate
    for variant in ("log", *[v for v in results if v.startswith("app")]):
        runs = results[variant]
        wall = median([r["wall"] for r in runs])
        note = f"stream itself {stream_seconds:.0f} s"
        rows.append(Row(BENCH, f"wall: {LABELS[variant]}", wall, "s", note=note))
        delays = [d for r in runs for d in r["delays"]]
        p50, p95 = percentile(delays, 0.5) * 1000, percentile(delays, 0.95) * 1000
        note = f"p95 {p95:,.0f} ms; frames/s {median([r['frames'] / r['wall'] for r in runs]):.0f}"
        rows.append(Row(BENCH, f"chunk->screen: {LABELS[variant]}", p50, "ms", note=note))
    return rows


def measure(
    runs: int, chunks: int = 5000, rate: float = 100.0, all_history: bool = False
) -> list[Row]:
    variants = (*VARIANTS, "app-all") if all_history else VARIANTS
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    with tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as work:
        env = isolated_env(Path(work))
        with stream_server(env, chunks, rate) as base_url:
            runner = Runner(env, Path(work), base_url, chunks / rate)
            try:
                for _ in range(runs):  # interleaved, so drifting load hits every side
                    for variant in variants:
                        results[variant].append(runner.run(variant))
            finally:
                runner.close()
    return rows_for(results, rate, chunks)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--chunks", type=int, default=5000, help="chunks in the reply")
    parser.add_argument("--rate", type=float, default=100.0, help="chunks per second")
    parser.add_argument(
        "--all-history", action="store_true", help="also run with all 100 messages mounted"
    )
    args = parser.parse_args(argv)
    print_table(measure(args.runs, args.chunks, args.rate, args.all_history))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Streaming a long reply: poe-tui against a plain Log app fed the same stream.

A local server (`sse_server.py`, its own process) streams an ~80k-character Markdown
reply (~20k tokens: prose, lists, tables, code) in N chunks, in the OpenAI-compatible
format poe-tui reads. Each side runs in its own process (`stream_harness.py`) in a tmux
window, so it draws to a real terminal:

- poe-tui: a conversation of 200 earlier messages opened from the store, then a prompt
  sent; the reply goes PoeClient -> loopback SSE -> the live Markdown widget;
- floor: a Header/Log/Footer app, the same history in the Log, the same stream read with
  PoeClient and written chunk by chunk to the Log;
- client only: the same stream read with PoeClient and dropped (no UI);
- raw httpx (full speed only): the same stream's bytes read with httpx, nothing parsed.

Paced (100 chunks/s): CPU seconds of the client process while the reply streams
(median of the runs) and the ratio to the Log (issue 9's target: at most 1.0x), wall
time, and the chunk-to-screen delay (target: p95 at most 100 ms).
Full speed (`--rate 0` server): seconds until the final text is on screen, against the
Log (target: at most 2x); raw httpx reading is shown as the floor beneath both.

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
    at_most,
    have_tmux,
    isolated_env,
    median,
    percentile,
    poll,
    print_table,
)

BENCH = "streaming"
FULL_BENCH = "full speed"
HISTORY_TURNS = 100  # 200 earlier messages
VARIANTS = ("log", "app", "client")
FULL_VARIANTS = ("raw", "log", "app")
LABELS = {
    "log": "Log widget app (same chunks)",
    "app": "poe-tui chat (200 earlier messages)",
    "app-all": "poe-tui, all 200 messages mounted",
    "client": "PoeClient only, no UI",
    "raw": "raw httpx reading, no parsing",
}
TARGET_CPU = 1.0
TARGET_P95_MS = 100.0
TARGET_FULL = 2.0
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
        if self.tmux is None or variant in ("client", "raw"):
            headless = [] if variant in ("client", "raw") else ["--headless"]
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
        target = variant.startswith("app")
        rows.append(Row(BENCH, f"CPU: {LABELS[variant]}", cpu, "s", ratio, load, variant == "log",
                        f"<= {TARGET_CPU:g}x" if target else "",
                        at_most(TARGET_CPU, ratio) if target else None))  # fmt: skip
    stream_seconds = chunks / rate
    for variant in ("log", *[v for v in results if v.startswith("app")]):
        runs = results[variant]
        wall = median([r["wall"] for r in runs])
        note = f"stream itself {stream_seconds:.0f} s"
        rows.append(Row(BENCH, f"wall: {LABELS[variant]}", wall, "s", note=note))
        delays = [d for r in runs for d in r["delays"]]
        p50, p95 = percentile(delays, 0.5) * 1000, percentile(delays, 0.95) * 1000
        frames = median([r["frames"] / r["wall"] for r in runs])
        note = f"median {p50:,.0f} ms; frames/s {frames:.0f}"
        target = variant.startswith("app")
        rows.append(Row(BENCH, f"chunk->screen p95: {LABELS[variant]}", p95, "ms", note=note,
                        target=f"<= {TARGET_P95_MS:.0f} ms" if target else "",
                        met=at_most(TARGET_P95_MS, p95) if target else None))  # fmt: skip
    return rows


def full_speed_rows(results: dict[str, list[dict[str, Any]]]) -> list[Row]:
    def rendered(variant: str) -> float:
        return median([r["rendered"] for r in results[variant]])

    raw, log, app = rendered("raw"), rendered("log"), rendered("app")
    return [
        Row(FULL_BENCH, f"until read: {LABELS['raw']}", raw, "s", floor=True),
        Row(FULL_BENCH, f"until shown: {LABELS['log']}", log, "s", log / raw),
        Row(FULL_BENCH, f"until shown: {LABELS['app']}", app, "s", app / raw,
            note=f"{app / log:.2f}x the Log", target=f"<= {TARGET_FULL:g}x the Log",
            met=at_most(TARGET_FULL, app / log)),
    ]  # fmt: skip


def run_all(
    env: dict[str, str], work: Path, variants: tuple[str, ...], runs: int, chunks: int, rate: float
) -> dict[str, list[dict[str, Any]]]:
    results: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    work = work / f"rate-{rate:g}"  # each series its own result files
    work.mkdir()
    with stream_server(env, chunks, rate) as base_url:
        runner = Runner(env, work, base_url, chunks / rate if rate > 0 else 0.0)
        try:
            for _ in range(runs):  # interleaved, so drifting load hits every side
                for variant in variants:
                    results[variant].append(runner.run(variant))
        finally:
            runner.close()
    return results


def measure(
    runs: int, chunks: int = 2000, rate: float = 100.0, all_history: bool = False
) -> list[Row]:
    variants = (*VARIANTS, "app-all") if all_history else VARIANTS
    with tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as work:
        env = isolated_env(Path(work))
        paced = run_all(env, Path(work), variants, runs, chunks, rate)
        full = run_all(env, Path(work), FULL_VARIANTS, runs, chunks, 0.0)
    return rows_for(paced, rate, chunks) + full_speed_rows(full)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--chunks", type=int, default=2000, help="chunks in the reply")
    parser.add_argument("--rate", type=float, default=100.0, help="chunks per second")
    parser.add_argument(
        "--all-history", action="store_true", help="also run with all 200 messages mounted"
    )
    args = parser.parse_args(argv)
    print_table(measure(args.runs, args.chunks, args.rate, args.all_history))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What keeping the history costs: a 50 MB reply through `ask`, saved and not saved.

`poe-tui ask` reads the same 50 MB reply (the benchmark's long Markdown reply, 640
times over, in 100-character chunks, served as fast as loopback allows) once into the
history and once with `--no-save`; the floor is the `--no-save` run. Saving appends
each batch and writes the whole reply once at the end, so the ratio must stay flat as
replies grow. Issue 13's target: at most 3x.

    python benchmarks/bench_history_writes.py [--runs N] [--megabytes N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import Row, at_most, isolated_env, median, print_table
from bench_imports import poe_tui_command
from stream_content import REPLY_CHARS

BENCH = "history writes"
TARGET = 3.0
PIECE_CHARS = 100
HERE = Path(__file__).resolve().parent


def start_server(megabytes: int) -> tuple[subprocess.Popen[str], str]:
    repeat = max(1, megabytes * 1_000_000 // REPLY_CHARS)
    command = [
        sys.executable,
        str(HERE / "sse_server.py"),
        "--chunks",
        str(REPLY_CHARS // PIECE_CHARS),
        "--rate",
        "0",
        "--repeat",
        str(repeat),
    ]
    server = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=HERE)
    assert server.stdout is not None
    port = server.stdout.readline().split()[1]
    return server, f"http://127.0.0.1:{port}"


def ask_seconds(env: dict[str, str], save: bool) -> float:
    command = [*poe_tui_command(), "ask", "-b", "bench", "--transport", "openai", "go"]
    if not save:
        command.insert(-1, "--no-save")
    start = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: int, megabytes: int = 50) -> list[Row]:
    server, base_url = start_server(megabytes)
    try:
        with tempfile.TemporaryDirectory(prefix="poe-tui-bench-") as root:
            env = isolated_env(Path(root)) | {"POE_API_KEY": "bench", "POE_API_BASE": base_url}
            saved, unsaved = [], []
            for _ in range(runs):  # interleaved, so drifting load hits both sides
                unsaved.append(ask_seconds(env, save=False))
                saved.append(ask_seconds(env, save=True))
    finally:
        server.terminate()
        server.wait()
    floor = median(unsaved)
    ratio = median(saved) / floor
    subject = f"ask, a {megabytes} MB reply"
    return [
        Row(BENCH, f"{subject}, --no-save", floor, "s", floor=True),
        Row(BENCH, f"{subject}, kept in the history", median(saved), "s", ratio,
            target=f"<= {TARGET:g}x", met=at_most(TARGET, ratio)),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--megabytes", type=int, default=50, help="reply size (default 50)")
    args = parser.parse_args(argv)
    print_table(measure(args.runs, args.megabytes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

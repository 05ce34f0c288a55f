"""Start-up of the command line: `poe-tui --version` against importing Textual and httpx.

Both are spawned the same way (a new interpreter each time, output thrown away) and
timed from spawn to exit; the floor is `python -c "import textual.app, httpx"`, what any
Textual client of an HTTP API pays before doing anything. Issue 9's target: at most 1.2x.

    python benchmarks/bench_imports.py [--runs N]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from _common import Row, at_most, median, print_table

BENCH = "imports"
TARGET = 1.2


def poe_tui_command() -> list[str]:
    """The installed `poe-tui` script beside this interpreter (else `python -m poe_tui`)."""
    script = Path(sys.executable).with_name("poe-tui")
    return [str(script)] if script.exists() else [sys.executable, "-m", "poe_tui"]


def spawn_seconds(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def measure(runs: int) -> list[Row]:
    floor_command = [sys.executable, "-c", "import textual.app, httpx"]
    version_command = [*poe_tui_command(), "--version"]
    spawn_seconds(floor_command)  # warm the file cache for both
    spawn_seconds(version_command)
    floor_times, version_times = [], []
    for _ in range(runs):  # interleaved, so drifting load hits both sides
        floor_times.append(spawn_seconds(floor_command))
        version_times.append(spawn_seconds(version_command))
    floor = median(floor_times)
    ratio = median(version_times) / floor
    return [
        Row(BENCH, 'python -c "import textual.app, httpx"', floor * 1000, "ms", floor=True),
        Row(BENCH, "poe-tui --version", median(version_times) * 1000, "ms", ratio,
            target=f"<= {TARGET}x", met=at_most(TARGET, ratio)),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each side (default 9)")
    print_table(measure(parser.parse_args(argv).runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run every benchmark and print one table: medians, and ratios to same-run floors.

    python benchmarks/run_all.py [--runs N] [--stream-chunks N] [--all-history]

The defaults finish in about four minutes on two cores: 3 runs of each side, and a
streamed reply of 80k characters in 2,000 chunks at 100 chunks a second (20 s a side).
`bench_streaming.py --chunks 5000` repeats DESIGN.md §4's 5,000-chunk setup (50 s a side).
"""

from __future__ import annotations

import argparse
import sys
import time

import bench_first_frame
import bench_long_history
import bench_pricing_browser
import bench_streaming
from _common import Row, print_table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--stream-chunks", type=int, default=2000, help="default 2000")
    parser.add_argument("--rate", type=float, default=100.0, help="chunks per second")
    parser.add_argument(
        "--all-history", action="store_true", help="also stream with all 100 messages mounted"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows: list[Row] = []
    rows += bench_first_frame.measure(args.runs)
    rows += bench_long_history.measure(args.runs)
    rows += bench_pricing_browser.measure(args.runs)
    rows += bench_streaming.measure(args.runs, args.stream_chunks, args.rate, args.all_history)
    print(
        f"poe-tui benchmarks: median of {args.runs} runs; streamed reply of "
        f"{args.stream_chunks} chunks at {args.rate:g}/s; "
        f"took {time.monotonic() - started:.0f} s\n"
    )
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

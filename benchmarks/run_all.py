"""Run every benchmark and print one table: medians, ratios to same-run floors, and
issue 9's target beside each ratio with whether it is met.

    python benchmarks/run_all.py [--runs N] [--stream-chunks N] [--all-history] [--markdown]

The defaults finish in about six minutes on two cores: 3 runs of each side, and a
streamed reply of 80k characters (~20k tokens) in 2,000 chunks, at 100 chunks a second
(20 s a side) and then as fast as the local server can send it.
"""

from __future__ import annotations

import argparse
import sys
import time

import bench_first_frame
import bench_history_writes
import bench_imports
import bench_long_history
import bench_parsing
import bench_pricing_browser
import bench_streaming
from _common import Row, print_markdown_table, print_table


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs of each side (default 3)")
    parser.add_argument("--stream-chunks", type=int, default=2000, help="default 2000")
    parser.add_argument("--rate", type=float, default=100.0, help="chunks per second")
    parser.add_argument(
        "--all-history", action="store_true", help="also stream with all 200 messages mounted"
    )
    parser.add_argument(
        "--markdown", action="store_true", help="also print the table as Markdown (README)"
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    rows: list[Row] = []
    rows += bench_first_frame.measure(args.runs)
    rows += bench_imports.measure(max(args.runs, 9))  # cheap: more runs, steadier median
    rows += bench_long_history.measure(args.runs)
    rows += bench_parsing.measure(max(args.runs, 5))
    rows += bench_streaming.measure(args.runs, args.stream_chunks, args.rate, args.all_history)
    rows += bench_pricing_browser.measure(args.runs)
    rows += bench_history_writes.measure(args.runs)
    print(
        f"poe-tui benchmarks: median of {args.runs} runs; streamed reply of "
        f"{args.stream_chunks} chunks at {args.rate:g}/s and at full speed; "
        f"took {time.monotonic() - started:.0f} s\n"
    )
    print_table(rows)
    if args.markdown:
        print()
        print_markdown_table(rows)
    met = [row.met for row in rows if row.met is not None]
    print(f"\ntargets met: {sum(met)} of {len(met)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

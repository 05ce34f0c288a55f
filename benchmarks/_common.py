"""What every benchmark shares: an isolated environment, a private tmux, medians, tables.

Benchmarks print ratios against a floor measured in the same run on the same machine
(DESIGN.md §7), so a slow or busy machine moves both sides together.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH_DIR = ROOT / "benchmarks"
ISOLATED_DIRS = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "POE_TUI_CONFIG_DIR",
    "POE_TUI_DATA_DIR",
)
TERMINAL_SIZE = (120, 36)


def isolated_env(root: Path) -> dict[str, str]:
    """This environment with every config/data dir under `root` and no key or base URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("POE_API_KEY", "POE_API_BASE")}
    for name in ISOLATED_DIRS:
        folder = root / name.lower()
        folder.mkdir(parents=True, exist_ok=True)
        env[name] = str(folder)
    env.pop("TMUX", None)  # our tmux server is private, whoever runs us
    env["TERM"] = "xterm-256color"
    return env


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# --- results -------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of a benchmark's table: a median, its unit, and its ratio to the floor."""

    benchmark: str
    subject: str
    value: float
    unit: str
    ratio: float | None = None  # value / floor; None for the floor itself or a side note
    note: str = ""
    floor: bool = False
    target: str = ""  # the target for this figure, e.g. "<= 1.3x"
    met: bool | None = None  # whether the target is reached (None: no target)


def at_most(limit: float, value: float | None) -> bool | None:
    return None if value is None or value != value else value <= limit


def at_least(limit: float, value: float | None) -> bool | None:
    return None if value is None or value != value else value >= limit


def print_table(rows: Iterable[Row]) -> None:
    rows = list(rows)
    header = ("benchmark", "subject", "median", "ratio", "target", "met", "note")
    lines = [
        (
            row.benchmark,
            row.subject,
            f"{row.value:,.{_decimals(row.value)}f} {row.unit}",
            "floor" if row.floor else _ratio(row.ratio),
            row.target,
            "" if row.met is None else "yes" if row.met else "NO",
            row.note,
        )
        for row in rows
    ]
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *lines, strict=True)]
    for cells in (header, tuple("-" * w for w in widths), *lines):
        print("  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


def _decimals(value: float) -> int:
    return 2 if abs(value) < 10 else 1 if abs(value) < 100 else 0


def _ratio(ratio: float | None) -> str:
    return "" if ratio is None else f"{ratio:.2f}x"


# --- a private tmux ----------------------------------------------------------------------


def have_tmux() -> bool:
    return shutil.which("tmux") is not None


class Tmux:
    """A tmux server of our own (`tmux -L`), one session, one window per program run."""

    def __init__(self, env: dict[str, str], size: tuple[int, int] = TERMINAL_SIZE) -> None:
        tmux = shutil.which("tmux")
        if tmux is None:
            raise RuntimeError("tmux is not installed (apt-get install tmux)")
        self.tmux = tmux
        self.env = env
        self.socket = f"poe-tui-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        width, height = size
        # A placeholder window keeps the session (and its size) alive between runs.
        self.run("new-session", "-d", "-s", "bench", "-x", str(width), "-y", str(height))
        self.run("set-option", "-g", "history-limit", "0")

    def run(self, *args: str) -> str:
        command = [self.tmux, "-L", self.socket, "-f", os.devnull, *args]
        done = subprocess.run(command, env=self.env, capture_output=True, text=True, timeout=10)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.strip()}")
        return done.stdout

    def start(self, name: str, command: Sequence[str]) -> None:
        self.run("new-window", "-d", "-t", "bench", "-n", name, "--", *command)

    def capture(self, name: str) -> str:
        return self.run("capture-pane", "-p", "-t", f"bench:{name}")

    def windows(self) -> set[str]:
        return set(self.run("list-windows", "-t", "bench", "-F", "#{window_name}").split())

    def stop(self, name: str, quit_key: str | None = None, wait: float = 5.0) -> None:
        """Quit the program politely when it has a quit key, else (or then) kill it."""
        if quit_key and name in self.windows():
            self.run("send-keys", "-t", f"bench:{name}", quit_key)
            deadline = time.monotonic() + wait
            while name in self.windows() and time.monotonic() < deadline:
                time.sleep(0.05)
        if name in self.windows():
            try:
                self.run("kill-window", "-t", f"bench:{name}")
            except RuntimeError:
                if name in self.windows():  # else it ended by itself meanwhile
                    raise

    def close(self) -> None:
        subprocess.run(
            [self.tmux, "-L", self.socket, "kill-server"],
            env=self.env,
            capture_output=True,
            timeout=10,
        )


def poll(check: Callable[[], bool], *, every: float, deadline: float, what: str) -> None:
    """Call `check` every `every` seconds until it is true; fail after `deadline` seconds."""
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(every)


def print_markdown_table(rows: Iterable[Row]) -> None:
    """The same table as Markdown, for the README's performance section."""
    print("| benchmark | subject | median | ratio | target | met |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        value = f"{row.value:,.{_decimals(row.value)}f} {row.unit}"
        ratio = "floor" if row.floor else _ratio(row.ratio)
        met = "" if row.met is None else "yes" if row.met else "**no**"
        note = f" ({row.note})" if row.note else ""
        print(
            f"| {row.benchmark} | {row.subject}{note} | {value} | {ratio} | {row.target} | {met} |"
        )

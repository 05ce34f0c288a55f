"""Small helpers for printing to the terminal: tables, safe text, errors."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TextIO

from poe_tui.core.text import strip_terminal_controls


class CommandError(Exception):
    """A failure to report as one line on stderr with a non-zero exit."""

    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def safe(text: str, stream: TextIO | None = None) -> str:
    """Text from a bot, made harmless when it goes to a terminal; untouched otherwise."""
    stream = stream or sys.stdout
    return strip_terminal_controls(text) if stream.isatty() else text


def table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, right: set[int]) -> str:
    """A plain aligned table; `right` lists the columns to right-align (numbers).
    Cells come from servers and the history: they lose any terminal controls here."""
    rows = [[strip_terminal_controls(cell) for cell in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in rows:
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len(cell))

    def line(cells: Sequence[str]) -> str:
        parts = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(cells)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(row) for row in rows)])


def clip(text: str, width: int) -> str:
    text = " ".join(strip_terminal_controls(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"

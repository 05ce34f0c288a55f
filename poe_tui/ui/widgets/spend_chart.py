"""A small bar chart of points spent per day, drawn with block characters.

Textual's `Sparkline` scales from the smallest value rather than from zero and stretches
the data to the width, so a quiet month would look busy; this draws one column per day
from a zero baseline, and only merges neighbouring days when the widget is narrower
than the number of days.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from poe_tui.ui.styles import load_css

MUTED = "$foreground-muted"
BAR_ROWS = 4
EIGHTHS = " ▁▂▃▄▅▆▇█"
EMPTY_DAY = "·"  # a visible baseline, so a day with no spend differs from a missing day


def short_number(value: int) -> str:
    """`950`, `6.1k`, `12k`, `1.2M`: a count that fits a narrow label."""
    for size, suffix in ((1_000_000, "M"), (1_000, "k")):
        if abs(value) >= size:
            scaled = value / size
            return f"{scaled:.1f}{suffix}" if abs(scaled) < 10 else f"{scaled:.0f}{suffix}"
    return str(value)


def merge_columns(values: Sequence[int], columns: int) -> list[int]:
    """`values` summed into `columns` neighbouring groups (unchanged when they fit)."""
    if columns >= len(values):
        return list(values)
    step = Fraction(len(values), columns)
    return [sum(values[int(step * i) : int(step * (i + 1))]) for i in range(columns)]


def bar_eighths(value: int, peak: int, rows: int = BAR_ROWS) -> int:
    """The bar height in eighths of a row; any spend shows at least a sliver."""
    if value <= 0 or peak <= 0:
        return 0
    return max(1, round(value / peak * rows * 8))


def bar_cell(eighths: int, row_from_bottom: int) -> str:
    """The block character for one cell of a bar `eighths` tall."""
    filled = eighths - row_from_bottom * 8
    return EIGHTHS[max(0, min(filled, 8))]


class SpendChart(Widget):
    """Points per day, oldest on the left, today on the right, with max and total."""

    DEFAULT_CSS = load_css(__file__, "spend_chart.tcss")

    daily: reactive[tuple[int, ...]] = reactive(tuple, layout=False)

    def show(self, daily: Sequence[int]) -> None:
        """Draw these daily totals (oldest first, today last)."""
        self.daily = tuple(daily)

    def render(self) -> Content:
        if not self.daily:
            return Content.styled("—", MUTED)  # history not loaded yet
        width = max(1, self.content_size.width)
        columns = merge_columns(self.daily, width)
        lines = [
            *self._bar_lines(columns),
            self._axis_line(len(columns)),
            self._summary_line(len(columns)),
        ]
        return Content("\n").join(lines)

    def _bar_lines(self, columns: list[int]) -> list[Content]:
        peak = max(columns, default=0)
        heights = [bar_eighths(value, peak) for value in columns]
        lines: list[Content] = []
        last = len(heights) - 1
        for row in reversed(range(BAR_ROWS)):
            cells = [
                self._cell(height, row, today=index == last) for index, height in enumerate(heights)
            ]
            lines.append(Content.assemble(*cells))
        return lines

    @staticmethod
    def _cell(height: int, row: int, *, today: bool) -> tuple[str, str]:
        if height == 0:
            return (EMPTY_DAY if row == 0 else " ", MUTED)
        # Today's column stands out so the newest spend is easy to find.
        return (bar_cell(height, row), "$accent" if today else "$primary")

    def _axis_line(self, width: int) -> Content:
        """Labels under the bars, spanning the bars' width."""
        left = f"{len(self.daily)}d ago"
        right = "today"
        gap = max(1, width - len(left) - len(right))
        return Content.styled(f"{left}{' ' * gap}{right}", MUTED)

    def _summary_line(self, width: int) -> Content:
        """`max 1,544/day` on the left and `total 6,123` on the right, shortened to fit."""
        peak = max(self.daily, default=0)
        total = sum(self.daily)
        left, right = f"{peak:,}", f"{total:,}"
        if len(left) + len(right) + len("max /day total ") >= width:
            left, right = short_number(peak), short_number(total)
        gap = max(1, width - len(left) - len(right) - len("max /day total "))
        return Content.assemble(
            ("max ", MUTED), left, ("/day", MUTED), " " * gap, ("total ", MUTED), right
        )

"""Points per bot as horizontal bars: where the month's points went, at a glance.

One line per bot: the name (cut to fit), the total, and a bar scaled to the biggest
spender drawn in eighths of a cell. Fits a 30-column sidebar; wider, the bars grow.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual.content import Content
from textual.reactive import reactive
from textual.widget import Widget

from poe_tui.ui.styles import load_css
from poe_tui.ui.widgets.spend_chart import short_number

MUTED = "$foreground-muted"
PARTIAL = " ▏▎▍▌▋▊▉"  # 0..7 eighths of a cell
NAME_SHARE = 0.45  # of the width, at most, for the bot name
MIN_BAR = 4


def bar(value: int, peak: int, width: int) -> str:
    """A bar `width` cells at most, in eighths; any spend shows at least a sliver."""
    if value <= 0 or peak <= 0 or width <= 0:
        return ""
    eighths = max(1, round(value / peak * width * 8))
    full, rest = divmod(eighths, 8)
    return "█" * full + (PARTIAL[rest] if rest else "")


def bot_lines(rows: Sequence[tuple[str, int]], width: int) -> list[Content]:
    """`name  1,234 ████▌` lines fitted to `width` cells (numbers flush right)."""
    if not rows:
        return [Content.styled("no usage yet", MUTED)]
    values = [f"{points:,}" for _, points in rows]
    if max(map(len, values)) > width // 4:
        values = [short_number(points) for _, points in rows]
    value_width = max(map(len, values))
    name_width = min(max(len(name) for name, _ in rows), int(width * NAME_SHARE))
    bar_width = max(MIN_BAR, width - name_width - value_width - 2)
    peak = max(points for _, points in rows)
    lines = []
    for (name, points), value in zip(rows, values, strict=True):
        style = MUTED if name.endswith(" others") else ""
        # The padding rides at the end of the name, so the number never starts with
        # spaces of its own (SVG renderers drop those in snapshots).
        gap = " " * (value_width - len(value) + 1)
        lines.append(
            Content.assemble(
                Content.styled(name, style).truncate(name_width, ellipsis=True, pad=True),
                (gap, style),
                Content(value),
                " ",
                (bar(points, peak, bar_width), MUTED if style else "$primary"),
            )
        )
    return lines


class BotSpend(Widget):
    """Net points per bot, biggest first (see `core.accounting.top_bots`)."""

    DEFAULT_CSS = load_css(__file__, "bot_spend.tcss")

    rows: reactive[tuple[tuple[str, int], ...] | None] = reactive(None, layout=True)

    def show(self, rows: Sequence[tuple[str, int]]) -> None:
        self.rows = tuple(rows)

    def render(self) -> Content:
        if self.rows is None:
            return Content.styled("—", MUTED)  # history not loaded yet
        width = max(1, self.content_size.width)
        return Content("\n").join(bot_lines(self.rows, width))

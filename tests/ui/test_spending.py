"""The sidebar's spending: today and this month, and points per bot as bars (30 columns)."""

from __future__ import annotations

from datetime import timedelta

from textual.widgets import Static

from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar, totals_lines
from poe_tui.ui.widgets.bot_spend import BotSpend, bar, bot_lines
from tests.support.sidebar import NOW, SidebarHost, entry


def test_bars_scale_to_the_biggest_in_eighths() -> None:
    assert bar(100, 100, 8) == "█" * 8
    assert bar(50, 100, 8) == "█" * 4
    assert bar(1, 1_000, 8) == "▏"  # any spend shows
    assert bar(0, 100, 8) == bar(-5, 100, 8) == ""
    assert bar(3, 16, 8) == "█▌"  # 1.5 cells


def test_bot_lines_fit_the_width_with_numbers_aligned() -> None:
    rows = [("Claude-Sonnet-4.5-Extended", 123_456), ("GPT-5", 4_000), ("3 others", 12)]
    for width in (26, 40):
        lines = [line.plain for line in bot_lines(rows, width)]
        assert all(len(line) <= width for line in lines), lines
        # Without the bar, every line ends where its number ends: numbers flush right.
        ends = {len(line.rstrip("█▏▎▍▌▋▊▉ ")) for line in lines}
        assert len(ends) == 1, lines
    narrow = [line.plain for line in bot_lines(rows, 26)]
    assert narrow[0].startswith("Claude-Son…") and "123k" in narrow[0]  # shortened to fit
    assert [line.plain for line in bot_lines([], 26)] == ["no usage yet"]


def test_totals_lines_put_numbers_flush_right() -> None:
    lines = totals_lines(1_544, 12_345, 26).plain.splitlines()
    assert lines == ["Today" + " " * 16 + "1,544", "This month" + " " * 10 + "12,345"]


async def test_sidebar_shows_spending_for_the_month_and_bots_for_30_days() -> None:
    history = [
        entry(NOW, 500, "GPT-5"),
        entry(NOW - timedelta(hours=1), -100, "GPT-5"),  # a refund today
        entry(NOW - timedelta(days=2), 300, "Veo-3"),
        entry(NOW - timedelta(days=28), 40, "Echo"),  # last month, within 30 days
        entry(NOW - timedelta(days=40), 9_999, "Too-Old"),
    ]
    app = SidebarHost()
    async with app.run_test(size=(100, 60)) as pilot:
        sidebar = app.query_one(BalanceSidebar)
        sidebar.show_history(history, now=NOW)
        await pilot.pause()
        totals = str(sidebar.query_one("#spend-totals", Static).render()).splitlines()
        assert totals[0].split() == ["Today", "400"]
        assert totals[1].split() == ["This", "month", "700"]
        bots = sidebar.query_one(BotSpend)
        assert bots.rows == (("GPT-5", 400), ("Veo-3", 300), ("Echo", 40))
        lines = str(bots.render()).splitlines()
        assert lines[0].split()[:2] == ["GPT-5", "400"] and len(lines) == 3
        assert all(len(line) <= bots.content_size.width for line in lines)

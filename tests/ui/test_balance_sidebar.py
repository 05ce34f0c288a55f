"""The balance sidebar: per-day spend (pure), and the widget through Pilot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from textual.app import App
from textual.widgets import Digits, Static

from poe_tui.core.models import ModelInfo, Parameter, Pricing
from poe_tui.core.usage import Balance
from poe_tui.ui.spend import daily_spend
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar, big_number, compact_age
from poe_tui.ui.widgets.spend_chart import SpendChart, bar_eighths, merge_columns
from tests.support.sidebar import NOW, SidebarHost, entry

# --- daily_spend ------------------------------------------------------------------------


def test_thirty_days_oldest_first_today_last() -> None:
    totals = daily_spend([entry(NOW, 5), entry(NOW - timedelta(days=29), 7)], NOW)
    assert len(totals) == 30
    assert totals[-1] == 5
    assert totals[0] == 7
    assert sum(totals) == 12


def test_buckets_by_local_day_of_now() -> None:
    late_yesterday_local = datetime(2026, 3, 27, 3, 0, tzinfo=UTC)  # 22:00 on the 26th, local
    early_today_local = datetime(2026, 3, 27, 5, 30, tzinfo=UTC)  # 00:30 on the 27th, local
    totals = daily_spend([entry(late_yesterday_local, 10), entry(early_today_local, 3)], NOW)
    assert totals[-1] == 3
    assert totals[-2] == 10


def test_refunds_count_against_their_day_but_never_below_zero() -> None:
    yesterday = NOW - timedelta(days=1)
    totals = daily_spend(
        [entry(NOW, 100), entry(NOW, -30), entry(yesterday, 20), entry(yesterday, -50)], NOW
    )
    assert totals[-1] == 70
    assert totals[-2] == 0


def test_entries_older_than_the_window_are_ignored_and_future_ones_count_today() -> None:
    totals = daily_spend(
        [entry(NOW - timedelta(days=30), 999), entry(NOW + timedelta(minutes=2), 4)], NOW
    )
    assert sum(totals) == 4
    assert totals[-1] == 4
    assert daily_spend([], NOW, days=7) == [0] * 7
    with pytest.raises(ValueError):
        daily_spend([], NOW, days=0)


def test_chart_and_label_helpers() -> None:
    assert merge_columns([1, 2, 3, 4], 2) == [3, 7]
    assert merge_columns([1, 2, 3], 5) == [1, 2, 3]
    assert sum(merge_columns(list(range(30)), 28)) == sum(range(30))
    assert bar_eighths(0, 10) == 0
    assert bar_eighths(1, 1000) == 1  # any spend shows
    assert bar_eighths(10, 10) == 32
    assert compact_age(NOW - timedelta(seconds=5), NOW) == "5s"
    assert compact_age(NOW - timedelta(minutes=12), NOW) == "12m"
    assert compact_age(NOW - timedelta(days=3), NOW) == "3d"
    assert compact_age(NOW + timedelta(seconds=5), NOW) == "now"
    assert big_number(654_141) == "654,141"
    assert big_number(1_234_567_890) == "1,234.6M"


# --- the widget -------------------------------------------------------------------------

MODEL = ModelInfo(
    id="claude-sonnet-4.5",
    display_name="Claude-Sonnet-4.5",
    owned_by="Anthropic",
    description="",
    created_ms=None,
    input_modalities=("text", "image"),
    output_modalities=("text",),
    modality="",
    context_length=200_000,
    max_output_tokens=64_000,
    pricing=Pricing(prompt=Decimal("0.000003"), completion=Decimal("0.000015")),
    reasoning=None,
    supported_endpoints=(),
    supported_features=(),
    parameters=(Parameter("thinking_budget", "number", 0, has_default=True),),
)

HISTORY = [
    entry(NOW - timedelta(minutes=3), 1234, "Claude-Sonnet-4.5"),
    entry(NOW - timedelta(hours=2), 310, "GPT-5"),
    entry(NOW - timedelta(days=1), -50, "Gemini-2.5-Pro"),
    entry(NOW - timedelta(days=2), 12, "echo"),
    entry(NOW - timedelta(days=3), 900, "GPT-5"),
    entry(NOW - timedelta(days=4), 77, "Oldest-Shown-Not"),
]


def text_of(app: App[None], selector: str) -> str:
    return str(app.query_one(selector, Static).content)


async def test_balance_loading_loaded_and_failed() -> None:
    app = SidebarHost()
    async with app.run_test(size=(100, 30)) as pilot:
        sidebar = app.query_one(BalanceSidebar)
        assert sidebar.outer_size.width == 30
        assert "—" in text_of(app, "#points-note")
        sidebar.show_balance(Balance(current_point_balance=654_141, total_balance_usd="19.82"))
        await pilot.pause()
        assert app.query_one("#points", Digits).value == "654,141"
        assert "654,141 points · $19.82" in text_of(app, "#points-note")
        assert not app.query_one("#balance-error").display
        sidebar.show_balance(None, error="Bad API key: The API key was rejected.")
        await pilot.pause()
        assert app.query_one("#balance-error").display
        assert "rejected" in text_of(app, "#balance-error")
        assert app.query_one("#points", Digits).value == "-"


async def test_history_rows_chart_and_bot() -> None:
    app = SidebarHost()
    async with app.run_test(size=(100, 30)) as pilot:
        sidebar = app.query_one(BalanceSidebar)
        sidebar.show_history(HISTORY, now=NOW)
        sidebar.show_bot("claude-sonnet-4.5", MODEL)
        await pilot.pause()
        rows = text_of(app, "#recent").splitlines()
        assert len(rows) == 5  # the newest five
        assert rows[0].split() == ["Claude-Sonnet-4.5", "1,234", "3m"]
        assert rows[2].split() == ["Gemini-2.5-Pro", "-50", "1d"]
        assert all(len(row) <= sidebar.content_size.width for row in rows)
        assert app.query_one(SpendChart).daily[-1] == 1234 + 310
        bot = text_of(app, "#bot")
        assert "Claude-Sonnet-4.5" in bot and "Anthropic" in bot
        assert "$3.00 in / $15.00 out\nper 1M tokens" in bot
        assert "context 200k · max out 64k" in bot
        assert "thinking_budget" not in bot  # parameters live in the form below
        sidebar.show_bot("mystery-bot", None)
        await pilot.pause()
        assert "mystery-bot" in text_of(app, "#bot")


async def test_long_bot_names_fit_a_narrow_sidebar() -> None:
    app = SidebarHost()
    async with app.run_test(size=(100, 30)) as pilot:
        sidebar = app.query_one(BalanceSidebar)
        sidebar.show_history([entry(NOW, 123_456, "A-Very-Long-Bot-Name-Indeed-2026")], now=NOW)
        await pilot.pause()
        (row,) = text_of(app, "#recent").splitlines()
        assert row.startswith("A-Very-Long")
        assert "…" in row and "123,456" in row
        assert len(row) <= sidebar.content_size.width


async def test_refresh_on_click_and_on_r_when_focused() -> None:
    app = SidebarHost()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.click("#refresh")
        await pilot.pause()
        assert app.refreshes == 1
        app.query_one(BalanceSidebar).focus()
        await pilot.press("r")
        await pilot.pause()
        assert app.refreshes == 2

"""The balance sidebar on its own: a host app, and points entries at a fixed clock."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from poe_tui.core.usage import PointsEntry
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar

# A zone five hours behind UTC: 03:00 UTC on the 27th is still the 26th there.
LOCAL = timezone(timedelta(hours=-5))
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=LOCAL)


def entry(at: datetime, points: int, bot: str = "GPT-5", query_id: str = "") -> PointsEntry:
    stamp = int(at.timestamp() * 1_000_000)
    return PointsEntry(
        query_id=query_id or f"q{stamp}", bot_name=bot, creation_time_us=stamp, cost_points=points
    )


class SidebarHost(App[None]):
    CSS = "#main { width: 1fr; }"

    def __init__(self) -> None:
        super().__init__()
        self.refreshes = 0

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("chat", id="main")
            yield BalanceSidebar(id="sidebar")

    def on_balance_sidebar_refresh_requested(self, _: BalanceSidebar.RefreshRequested) -> None:
        self.refreshes += 1

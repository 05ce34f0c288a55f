"""Snapshots of the balance sidebar: the balance with the 30-day chart at 100x30, and the
spending (totals, chart, per-bot bars) at 80x44, with fixed data and a fixed clock.

Regenerate after an intended change with `pytest tests/ui/test_balance_sidebar_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from poe_tui.core.usage import Balance
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from tests.support.snapshots import DAY, HISTORY, NOW, SIZE, SONNET, SnapCompare, spent

pytestmark = pytest.mark.usefixtures("steady_cursors")


class SidebarHost(App[None]):
    CSS = "#main { width: 1fr; padding: 1 2; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("(the conversation)", id="main")
            yield BalanceSidebar(id="sidebar")

    def on_mount(self) -> None:
        sidebar = self.query_one(BalanceSidebar)
        sidebar.show_balance(Balance(current_point_balance=654_141, total_balance_usd="19.82"))
        sidebar.show_history(HISTORY, now=NOW)
        sidebar.show_bot(SONNET.id, SONNET)


def test_balance_sidebar(snap_compare: SnapCompare) -> None:
    assert snap_compare(SidebarHost(), terminal_size=SIZE)


SPENDING = [
    *HISTORY,
    spent(20, 2_500, "Veo-3"),
    spent(DAY * 6, 800, "Claude-Sonnet-4.5"),
    spent(DAY * 9, 420, "DeepSeek-R1"),
    spent(DAY * 12, 95, "Gemini-2.5-Flash"),
    spent(DAY * 14, 64, "Llama-3.3-70B"),
    spent(DAY * 40, 99_999, "Too-Old-To-Count"),
]


class SpendingHost(App[None]):
    CSS = "#main { width: 1fr; padding: 1 2; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("(the conversation)", id="main")
            yield BalanceSidebar(id="sidebar")

    def on_mount(self) -> None:
        sidebar = self.query_one(BalanceSidebar)
        sidebar.show_balance(Balance(current_point_balance=654_141, total_balance_usd="19.82"))
        sidebar.show_history(SPENDING, now=NOW)
        sidebar.show_bot(SONNET.id, SONNET)


def test_sidebar_spending(snap_compare: SnapCompare) -> None:
    assert snap_compare(SpendingHost(), terminal_size=(80, 44))

"""Snapshots for issue 7: the sidebar's spending (totals, 30-day chart, per-bot bars)
and the pricing browser, with fixed data and a fixed clock.

Regenerate after an intended change with `pytest tests/ui/test_pricing_browser_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.widgets import Checkbox, Static

from poe_tui.core.accounting import ObservedCost
from poe_tui.core.models import parse_models
from poe_tui.core.usage import Balance
from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.ui.screens.pricing_browser import PricingBrowserScreen
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from tests.ui.test_model_picker_snapshots import HISTORY, NOW, SONNET, spent

SnapCompare = Callable[..., bool]

pytestmark = pytest.mark.usefixtures("steady_cursors")

DAY = 24 * 60
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


# --- the pricing browser ------------------------------------------------------------------


class BrowserHost(App[None]):
    """The browser over the demo catalogue, with a known observed cost for two bots."""

    def on_mount(self) -> None:
        models = parse_models(catalogue_json())
        observed = {
            "gpt-5": ObservedCost(replies=6, points=2_705),
            "veo-3": ObservedCost(replies=1, points=53_334),
        }
        self.push_screen(PricingBrowserScreen(models, "gpt-5", observed=observed))


def test_pricing_browser(snap_compare: SnapCompare) -> None:
    assert snap_compare(BrowserHost(), terminal_size=(100, 30))


def test_pricing_browser_sorted_and_filtered(snap_compare: SnapCompare) -> None:
    async def narrow_down(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PricingBrowserScreen)
        screen.query_one("#filter-params", Checkbox).value = True
        screen.set_sort("request")
        screen.action_reverse()  # dearest first
        await pilot.pause()

    assert snap_compare(BrowserHost(), terminal_size=(80, 24), run_before=narrow_down)

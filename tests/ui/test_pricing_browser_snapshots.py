"""Snapshots of the pricing browser over the demo catalogue: as opened, and sorted and
filtered.

Regenerate after an intended change with `pytest tests/ui/test_pricing_browser_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Checkbox

from poe_tui.core.accounting import ObservedCost
from poe_tui.core.models import parse_models
from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.ui.screens.pricing_browser import PricingBrowserScreen
from tests.support.snapshots import SnapCompare

pytestmark = pytest.mark.usefixtures("steady_cursors")


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

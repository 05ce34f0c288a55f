"""Snapshot of the sidebar's transport and parameter form (pytest-textual-snapshot).

A server of our own with an empty history and a fixed clock keep it the same on every
run. Regenerate after an intended change with `--snapshot-update` and look at the SVG.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from poe_tui.config import Settings
from poe_tui.core.apikey import ApiKey
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from poe_tui.ui.widgets.parameter_form import ParameterForm
from tests.support.pilot import workers_done

pytestmark = pytest.mark.usefixtures("steady_cursors")

NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC
SIZE = (110, 34)


async def show_form(pilot: Pilot[Any]) -> None:
    app = pilot.app
    assert isinstance(app, PoeApp)
    await workers_done(app)
    while app.models is None:
        await pilot.pause(0.02)
    await pilot.pause()
    form = app.chat_screen.query_one(ParameterForm)
    budget = next(c for c, p in form._parameters.items() if p.name == "thinking_budget")
    assert isinstance(budget, Input)
    budget.value = "99999"  # out of range: the inline error shows
    await pilot.pause()
    app.chat_screen.query_one(BalanceSidebar).scroll_end(animate=False, immediate=True)
    app.chat_screen.query_one("#prompt").focus()
    await pilot.pause(0.2)


def test_sidebar_parameter_form(snap_compare: Any, quiet_poe: FakePoeServer) -> None:
    app = PoeApp(
        base_url=quiet_poe.base_url,
        api_key=ApiKey("snapshot-key"),
        settings=Settings(default_bot="demo-params"),
        store=SqliteStore.in_memory(),
        clock=lambda: NOW,
    )
    assert snap_compare(app, terminal_size=SIZE, run_before=show_form)

"""Snapshot of the several-bots picker with two bots marked.

Regenerate after an intended change with `pytest tests/ui/test_several_bots_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

import pytest
from textual.app import App
from textual.pilot import Pilot

from poe_tui.ui.screens.several_bots import SeveralBotsScreen
from tests.support.snapshots import MODELS, SIZE, SnapCompare, steady_cursor

pytestmark = pytest.mark.usefixtures("steady_cursors")


class SeveralHost(App[None]):
    def on_mount(self) -> None:
        self.push_screen(SeveralBotsScreen(MODELS, current="claude-sonnet-4.5"))


async def mark_two(pilot: Pilot[None]) -> None:
    await steady_cursor(pilot)
    await pilot.press("tab", "down", "down", "tab")
    await pilot.pause()


def test_several_bots_picker_with_two_marked(snap_compare: SnapCompare) -> None:
    assert snap_compare(SeveralHost(), terminal_size=SIZE, run_before=mark_two)

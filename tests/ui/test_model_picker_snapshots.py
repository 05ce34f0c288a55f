"""Snapshots of the model picker at 100x30: the list, a search, and no match.

Regenerate after an intended change with `pytest tests/ui/test_model_picker_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

import pytest
from textual.app import App

from poe_tui.ui.screens.model_picker import ModelPickerScreen
from tests.support.snapshots import MODELS, SIZE, SnapCompare, steady_cursor

pytestmark = pytest.mark.usefixtures("steady_cursors")


class PickerHost(App[None]):
    def on_mount(self) -> None:
        self.push_screen(ModelPickerScreen(MODELS, current="claude-sonnet-4.5"))


def test_model_picker(snap_compare: SnapCompare) -> None:
    assert snap_compare(PickerHost(), terminal_size=SIZE, run_before=steady_cursor)


def test_model_picker_searching(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        PickerHost(), terminal_size=SIZE, run_before=steady_cursor, press=["g", "o", "o"]
    )


def test_model_picker_no_match(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        PickerHost(), terminal_size=SIZE, run_before=steady_cursor, press=["z", "z", "z"]
    )

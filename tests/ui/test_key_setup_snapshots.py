"""Snapshots of the key screen at 100x30, with and without an OS keyring.

Regenerate after an intended change with `pytest tests/ui/test_key_setup_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

import pytest
from textual.app import App

from poe_tui.ui.screens.key_setup import KeySetupScreen
from tests.support.snapshots import SIZE, SnapCompare, steady_cursor

UNUSED_URL = "http://127.0.0.1:9"  # the snapshots never send a key anywhere

pytestmark = pytest.mark.usefixtures("steady_cursors")


class KeyHost(App[None]):
    def __init__(self, keyring_problem: str | None = None) -> None:
        super().__init__()
        self.keyring_problem = keyring_problem

    def on_mount(self) -> None:
        self.push_screen(KeySetupScreen(UNUSED_URL, keyring_problem=self.keyring_problem))


def test_key_setup(snap_compare: SnapCompare) -> None:
    assert snap_compare(KeyHost(), terminal_size=SIZE, run_before=steady_cursor)


def test_key_setup_without_keyring(snap_compare: SnapCompare) -> None:
    problem = "No OS keyring is available here (common on headless Linux)."
    assert snap_compare(KeyHost(problem), terminal_size=SIZE, run_before=steady_cursor)

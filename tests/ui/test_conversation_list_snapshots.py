"""Snapshot of the conversation list marking chats that are replying or whose reply
ended unseen.

Regenerate after an intended change with `pytest tests/ui/test_conversation_list_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from poe_tui.store.models import ConversationSummary
from poe_tui.ui.widgets.conversation_list import ConversationList
from tests.support.snapshots import SIZE, SnapCompare, steady_cursor

NOW = 1_800_000_000.0

pytestmark = pytest.mark.usefixtures("steady_cursors")


def summary(number: int, title: str, minutes_ago: int) -> ConversationSummary:
    at = NOW - 60 * minutes_ago
    return ConversationSummary(f"c{number}", title, "GPT-5", at, at, 0, 2, False)


class ListHost(App[None]):
    CSS = "ConversationList { width: 40; }"

    def compose(self) -> ComposeResult:
        yield ConversationList(clock=lambda: NOW)

    def on_mount(self) -> None:
        summaries = [
            summary(1, "Still answering", 0),
            summary(2, "Answered while away", 3),
            summary(3, "Quiet one", 90),
        ]
        self.query_one(ConversationList).show(summaries, "c3", streaming={"c1"}, finished={"c2"})


def test_conversation_list_marks_replying_and_unseen(snap_compare: SnapCompare) -> None:
    assert snap_compare(ListHost(), terminal_size=SIZE, run_before=steady_cursor)

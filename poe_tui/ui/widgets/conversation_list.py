"""The conversations of this store, newest first, with a "New" button.

One `OptionList` holds every entry (options are not widgets), so a long history
costs one widget, not one per conversation.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button, OptionList
from textual.widgets.option_list import Option

from poe_tui.core.conversation import Conversation
from poe_tui.core.text import strip_terminal_controls
from poe_tui.ui.styles import load_css

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def relative_time(then: float, now: float) -> str:
    """`just now`, `5m ago`, `3h ago`, `2d ago`, or the date for older ones (short: the
    list is narrow)."""
    seconds = max(0.0, now - then)
    if seconds < _MINUTE:
        return "just now"
    if seconds < _HOUR:
        return f"{int(seconds // _MINUTE)}m ago"
    if seconds < _DAY:
        return f"{int(seconds // _HOUR)}h ago"
    if seconds < 7 * _DAY:
        return f"{int(seconds // _DAY)}d ago"
    return time.strftime("%Y-%m-%d", time.localtime(then))


def entry_prompt(conversation: Conversation, now: float) -> Content:
    when = relative_time(conversation.updated_at, now)
    title = strip_terminal_controls(conversation.title)  # the user's own text, pasted maybe
    return Content.assemble((title, "bold"), "\n", (f"{conversation.bot} · {when}", "dim"))


class ConversationList(Vertical):
    DEFAULT_CSS = load_css(__file__, "conversation_list.tcss")

    class Selected(Message):
        """The user chose a conversation to open."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class NewRequested(Message):
        """The user asked for a new conversation."""

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._shown: list[Conversation] = []
        self._current_id: str | None = None

    def compose(self) -> ComposeResult:
        yield Button("+ New chat", id="new-conversation", compact=True)
        yield OptionList(id="conversation-options")

    def on_mount(self) -> None:
        # Relative times ("5 min ago") age while the app is open.
        self.set_interval(30, self._redraw_unless_browsing)

    def show(self, conversations: Sequence[Conversation], current_id: str | None) -> None:
        self._shown = list(conversations)
        self._current_id = current_id
        self._redraw()

    def _redraw_unless_browsing(self) -> None:
        # Redrawing moves the highlight back to the open conversation: not under the user.
        if not self.query_one(OptionList).has_focus:
            self._redraw()

    def _redraw(self) -> None:
        options = self.query_one(OptionList)
        now = self._clock()
        options.set_options(Option(entry_prompt(c, now), id=c.id) for c in self._shown)
        ids = [c.id for c in self._shown]
        if self._current_id in ids:
            options.highlighted = ids.index(self._current_id)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "new-conversation":
            event.stop()
            self.post_message(self.NewRequested())

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.post_message(self.Selected(event.option.id))

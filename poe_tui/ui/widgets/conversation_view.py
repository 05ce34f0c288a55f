"""The conversation pane: a scrolling column of `MessageView`s.

Only the newest messages are mounted when a conversation opens; older ones are paged
in when the reader reaches the top (DESIGN.md §4: a long history must not mount
hundreds of Markdown widgets). While a reply streams the pane follows the bottom with
Textual's anchor, which lets go as soon as the user scrolls up and takes hold again
when they come back to the bottom, so nobody is yanked away from what they read.
"""

from __future__ import annotations

from textual.containers import VerticalScroll
from textual.widgets import Button, Static

from poe_tui.core.conversation import Conversation, Message
from poe_tui.ui.messages import MessageChanged
from poe_tui.ui.styles import load_css
from poe_tui.ui.widgets.message_view import MessageView
from poe_tui.ui.widgets.reply_text import virtual_size_from_layout

WINDOW = 6  # messages mounted when a conversation opens (more than a screenful)
PAGE = 10  # messages added each time the reader reaches the top

EMPTY_HINT = """Ask anything.

  Enter               send
  ctrl+j              new line
  ↑ ↓                 earlier prompts
  Esc                 stop a reply
  F2                  change the bot
  ctrl+t              attach files
  ctrl+f              search chats
  F1                  every key"""


class ConversationView(VerticalScroll):
    DEFAULT_CSS = load_css(__file__, "conversation_view.tcss")
    virtual_size = virtual_size_from_layout()

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.conversation: Conversation | None = None
        self._first_mounted = 0  # index in conversation.messages of the oldest view
        # Message id -> (position, count) for turns with several versions.
        self._branches: dict[str, tuple[int, int]] = {}

    # --- what is shown --------------------------------------------------------------

    async def show_conversation(self, conversation: Conversation) -> None:
        self.conversation = conversation
        messages = conversation.messages
        self._first_mounted = max(0, len(messages) - WINDOW)
        await self.remove_children()
        widgets: list[Static | Button | MessageView] = []
        if not messages:
            widgets.append(Static(EMPTY_HINT, id="empty-hint", markup=False))
        if self._first_mounted:
            widgets.append(self._earlier_button())
        widgets += [self._view(m) for m in messages[self._first_mounted :]]
        await self.mount_all(widgets)
        self._mark_latest()
        self.follow_bottom()
        self.call_after_refresh(self._fill_viewport)

    async def _fill_viewport(self) -> None:
        """Short messages may not fill the pane, and a pane that cannot scroll never
        reaches its top: page older ones in until it scrolls (or none are left)."""
        if self._first_mounted and self.max_scroll_y <= 0 and self.is_mounted:
            await self.load_earlier()
            self.call_after_refresh(self._fill_viewport)

    def _view(self, message: Message, *, live: bool = False) -> MessageView:
        view = MessageView(message, live=live)
        view.branch = self._branches.get(message.id)
        return view

    def show_branches(self, branches: dict[str, tuple[int, int]]) -> None:
        """Which messages have other versions (shown as "‹ 2/3 ›" on them)."""
        self._branches = dict(branches)
        for view in self.query_children(MessageView):
            view.show_branch(self._branches.get(view.message.id))

    async def sync_messages(self) -> None:
        """Match the views to the conversation after its tail changed (an edit, a
        regeneration, another branch): views of messages that left go, new ones come."""
        if self.conversation is None:
            return
        messages = self.conversation.messages
        present = {id(m) for m in messages}
        gone = [v for v in self.query_children(MessageView) if id(v.message) not in present]
        await self.remove_children(gone)
        shown = {id(v.message) for v in self.query_children(MessageView)}
        start = min(self._first_mounted, len(messages))
        await self.mount_all([self._view(m) for m in messages[start:] if id(m) not in shown])
        if messages:
            await self.query("#empty-hint").remove()
        elif not self.query("#empty-hint"):
            await self.mount(Static(EMPTY_HINT, id="empty-hint", markup=False))
        self._mark_latest()

    async def reveal(self, message: Message) -> MessageView | None:
        """Page older messages in until `message` is mounted, then scroll it into view."""
        while self.view_for(message) is None and self._first_mounted:
            await self.load_earlier()
        view = self.view_for(message)
        if view is not None:
            self.release_anchor()
            self.call_after_refresh(self.scroll_to_widget, view, animate=False, top=True)
        return view

    async def add_message(self, message: Message) -> MessageView:
        """Mount the view of a message just appended to the conversation."""
        await self.query("#empty-hint").remove()
        if message.role == "assistant":
            # Only the newest reply stays a live Markdown; older ones become cheap.
            for older in self.reply_views():
                await older.freeze()
        view = self._view(message, live=message.role == "assistant")
        await self.mount(view)
        self._mark_latest()
        return view

    async def remove_message(self, message: Message) -> None:
        view = self.view_for(message)
        if view is not None:
            await view.remove()
        self._mark_latest()

    async def on_message_changed(self, change: MessageChanged) -> None:
        """The model changed: the message's view (if it is shown) draws the change."""
        change.stop()
        view = self.view_for(change.message)
        if view is not None:
            await view.show_change(change)

    def view_for(self, message: Message) -> MessageView | None:
        for view in self.query_children(MessageView):
            if view.message is message:
                return view
        return None

    def reply_views(self) -> list[MessageView]:
        return [view for view in self.query_children(MessageView) if view.is_reply]

    def follow_bottom(self) -> None:
        """Scroll to the end and stay there as the reply grows (until the user scrolls)."""
        self.anchor()

    @property
    def is_at_bottom(self) -> bool:
        return self.scroll_y >= self.max_scroll_y - 1

    def _mark_latest(self) -> None:
        views = list(self.query_children(MessageView))
        for view in views:
            view.set_class(view is views[-1], "-latest")

    # --- paging older messages in ---------------------------------------------------

    def _earlier_button(self) -> Button:
        count = self._first_mounted
        label = f"↑ Show {min(count, PAGE)} earlier messages ({count} hidden)"
        return Button(label, id="show-earlier", compact=True)

    async def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "show-earlier":
            event.stop()
            await self.load_earlier()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if new_value <= 0 < old_value and self._first_mounted:
            self.call_later(self.load_earlier)

    async def load_earlier(self) -> None:
        if self.conversation is None or not self._first_mounted:
            return
        start = max(0, self._first_mounted - PAGE)
        older = [self._view(m) for m in self.conversation.messages[start : self._first_mounted]]
        first_view = next(iter(self.query_children(MessageView)), None)
        offset = first_view.virtual_region.y - self.scroll_y if first_view else 0
        self._first_mounted = start
        await self.query("#show-earlier").remove()
        await self.mount_all(older, before=first_view)
        if start:
            await self.mount(self._earlier_button(), before=older[0])
        if first_view is not None:
            # Keep the message the reader was looking at where it was on screen.
            self.call_after_refresh(self._keep_in_place, first_view, offset)

    def _keep_in_place(self, view: MessageView, offset: float) -> None:
        self.scroll_to(y=view.virtual_region.y - offset, animate=False)

"""The prompt: a multi-line editor where Enter sends and ctrl+j adds a line.

Terminals cannot tell shift+enter from enter (without the kitty keyboard protocol), so
the newline key is ctrl+j (which every terminal sends as LF). Alt+Enter and Shift+Enter
work too where the terminal reports them (kitty's keyboard protocol); most send Alt+Enter
as Esc then Enter, which Textual cannot tell from Enter, so it is not advertised. Up and
Down walk earlier prompts of this run while the editor is empty or showing one of them.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import events
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.widgets import TextArea

from poe_tui.core.conversation import Message as ChatMessage
from poe_tui.core.files import pasted_paths
from poe_tui.ui.styles import load_css

PLACEHOLDER = "Message {bot}…  Enter sends · ctrl+j: new line"
IN_ORDER_ACTIONS = frozenset({"submit", "newline"})
SUGGESTION_CHARACTERS = frozenset("¡™£")  # what Textual makes of Esc 1, Esc 2, Esc 3
EDITING_TITLE = "Editing an earlier prompt · Enter sends it as a new version · Esc cancels"


class PromptInput(TextArea):
    DEFAULT_CSS = load_css(__file__, "prompt_input.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        # Not priority: a priority binding runs ahead of the keys typed before it, so a
        # fast "text<Enter>" burst (paste, tmux send-keys) would send an empty prompt.
        # `_on_key` runs it in order instead (TextArea would insert a newline).
        Binding("enter", "submit", "Send", show=False, id="send_message"),
        Binding(
            "ctrl+j,alt+enter,shift+enter", "newline", "New line", show=False, id="insert_newline"
        ),
    ]

    class PathsPasted(Message):
        """A paste held nothing but paths of existing files: attach them (issue 5)."""

        def __init__(self, paths: list[Path]) -> None:
            super().__init__()
            self.paths = paths

    class Submitted(Message):
        """The user sent `text` (already stripped, never empty); `editing` is the earlier
        prompt it replaces, when the user was editing one."""

        def __init__(
            self, prompt_input: PromptInput, text: str, editing: ChatMessage | None = None
        ) -> None:
            super().__init__()
            self.prompt_input = prompt_input
            self.text = text
            self.editing = editing

        @property
        def control(self) -> PromptInput:
            return self.prompt_input

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(
            "",
            id=id,
            classes=classes,
            soft_wrap=True,
            show_line_numbers=False,
            tab_behavior="focus",
            highlight_cursor_line=False,
        )
        self.sent_prompts: list[str] = []
        self.attach_pasted_paths = True  # set from the settings by the chat screen
        # Index into sent_prompts while browsing; None when editing a fresh draft.
        self._browse_index: int | None = None
        self.editing: ChatMessage | None = None  # the earlier prompt being edited
        self._draft_before_edit = ""

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        # Terminals send Alt+1..3 as Esc 1..3, which Textual reads as the characters
        # below; in an empty prompt they are the screen's suggestion keys, not text.
        if character in SUGGESTION_CHARACTERS and not self.text:
            return False
        return super().check_consume_key(key, character)

    def show_bot(self, bot_name: str) -> None:
        self.placeholder = PLACEHOLDER.format(bot=bot_name)

    def action_submit(self) -> None:
        text = self.text.strip()
        if not text:
            return
        self.remember(text)
        self.post_message(self.Submitted(self, text, self.editing))

    def begin_edit(self, message: ChatMessage) -> None:
        """Put an earlier prompt in the editor; what was typed comes back on cancel."""
        if self.editing is None:
            self._draft_before_edit = self.text
        self.editing = message
        self.load_text(message.text)
        self.move_cursor(self.document.end)
        self.border_title = EDITING_TITLE
        self.add_class("-editing")
        self.focus()

    def end_edit(self, *, restore_draft: bool) -> None:
        if self.editing is None:
            return
        self.editing = None
        self.border_title = None
        self.remove_class("-editing")
        if restore_draft:
            self.load_text(self._draft_before_edit)
            self.move_cursor(self.document.end)
        self._draft_before_edit = ""

    def action_newline(self) -> None:
        start, end = self.selection
        self.replace("\n", start, end, maintain_selection_offset=False)

    def remember(self, text: str) -> None:
        if not self.sent_prompts or self.sent_prompts[-1] != text:
            self.sent_prompts.append(text)
        self._browse_index = None

    def restore_draft(self, text: str) -> bool:
        """Put `text` back unless the user already typed something new."""
        if self.text.strip():
            return False
        self.load_text(text)
        self.move_cursor(self.document.end)
        self._browse_index = None
        return True

    def type_ahead(self, text: str) -> None:
        """Take the focus, and `text` typed while another widget had it."""
        self.focus()
        if text:
            self.insert(text)

    def clear_prompt(self) -> None:
        self.load_text("")
        self._browse_index = None

    async def _on_paste(self, event: events.Paste) -> None:
        # Terminals paste a dropped file's path: offer it as an attachment, not text.
        # Anything else falls through to TextArea's own handler (Textual runs it next).
        paths = pasted_paths(event.text) if self.attach_pasted_paths else None
        if paths:
            event.stop()
            event.prevent_default()
            self.post_message(self.PathsPasted(paths))

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape" and self.editing is not None:
            event.stop()
            event.prevent_default()
            self.end_edit(restore_draft=True)
            return
        if event.key in ("up", "down") and self._is_browsing_history():
            event.stop()
            event.prevent_default()
            self._walk_history(-1 if event.key == "up" else 1)
            return
        # Send and new-line keys run here, in typing order: as bindings they would run
        # after the keys queued behind them ("ab", ctrl+j, "cd" gave "abcd\n").
        if await self._run_own_binding(event):
            return
        await super()._on_key(event)

    async def _run_own_binding(self, event: events.Key) -> bool:
        """Run our send or new-line binding for this key (as remapped), in typing order."""
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.node is not self or not active.enabled:
            return False
        if active.binding.action not in IN_ORDER_ACTIONS:
            return False
        event.stop()
        event.prevent_default()
        await self.run_action(active.binding.action)
        return True

    def _is_browsing_history(self) -> bool:
        if not self.sent_prompts:
            return False
        if not self.text:
            return True
        index = self._browse_index
        return index is not None and self.text == self.sent_prompts[index]

    def _walk_history(self, step: int) -> None:
        count = len(self.sent_prompts)
        index = count if self._browse_index is None else self._browse_index
        index = max(0, min(count, index + step))
        if index == count:
            self._browse_index = None
            self.load_text("")
            return
        self._browse_index = index
        self.load_text(self.sent_prompts[index])
        self.move_cursor(self.document.end)

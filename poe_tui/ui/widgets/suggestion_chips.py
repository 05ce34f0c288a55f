"""Follow-up prompts a bot suggested, as buttons under its finished reply."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Button

from poe_tui.core.text import strip_terminal_controls
from poe_tui.ui.styles import load_css


def chip_label(text: str, key: str) -> str:
    clean = " ".join(strip_terminal_controls(text).split())  # bot text is untrusted
    return f"{key}  {clean}" if key else clean


class SuggestionChips(Vertical):
    DEFAULT_CSS = load_css(__file__, "suggestion_chips.tcss")

    class Chosen(Message):
        """A chip was clicked: send `text` as the next prompt."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, suggestions: list[str], keys: list[str]) -> None:
        """`keys[i]` is shown on chip i (the key that sends it); missing keys show none."""
        super().__init__()
        self.suggestions = list(suggestions)
        self._keys = keys

    def compose(self) -> ComposeResult:
        for index, text in enumerate(self.suggestions):
            key = self._keys[index] if index < len(self._keys) else ""
            # Content, not a str: a str label is parsed as markup, and bot text may hold
            # "[/i]" (a crash) or "[@click=...]" (an action).
            label = Content(chip_label(text, key))
            yield Button(label, classes="chip", compact=True, name=str(index))

    @on(Button.Pressed, ".chip")
    def _chosen(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.Chosen(self.suggestions[int(event.button.name or 0)]))

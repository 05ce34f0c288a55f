"""The floor for first-frame timing: the smallest Textual app that looks like a chat.

A Header, an Input and a Footer, nothing loaded, nothing fetched. Whatever poe-tui
takes beyond this to paint its first frame is poe-tui's own cost.
"""

from __future__ import annotations

from typing import ClassVar

from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Footer, Header, Input

PLACEHOLDER = "Type a message to the bare app"


class BareApp(App[None]):
    TITLE = "bare"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", "Quit", priority=True)]

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder=PLACEHOLDER)
        yield Footer()


if __name__ == "__main__":
    BareApp().run()

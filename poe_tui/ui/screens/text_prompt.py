"""One line of text in a modal (a new title, a file path), checked before it is taken.

Enter submits: a `check` that returns a message keeps the modal open and shows it under
the field, so nothing typed is lost; Esc dismisses with None.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

Check = Callable[[str], str | None]  # the problem with a value, or None when it is fine


def not_blank(value: str) -> str | None:
    return None if value.strip() else "This cannot be empty."


class TextPromptScreen(ModalScreen[str | None]):
    CSS_PATH = "text_prompt.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="text_prompt_cancel"),
    ]

    def __init__(
        self, title: str, value: str = "", *, hint: str = "", check: Check = not_blank
    ) -> None:
        super().__init__()
        self.prompt_title = title
        self.initial = value
        self.hint = hint
        self.check = check

    def compose(self) -> ComposeResult:
        with Vertical(id="text-prompt-box"):
            yield Label(self.prompt_title, id="text-prompt-title", markup=False)
            yield Input(self.initial, id="text-prompt-input", select_on_focus=False)
            yield Static("", id="text-prompt-error", markup=False)
            yield Static(
                f"{self.hint}  Enter: OK · Esc: cancel".strip(), id="text-prompt-hint", markup=False
            )

    def on_mount(self) -> None:
        box = self.query_one(Input)
        box.focus()
        box.cursor_position = len(box.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        problem = self.check(event.value)
        error = self.query_one("#text-prompt-error", Static)
        error.update(problem or "")
        error.display = problem is not None
        if problem is None:
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)

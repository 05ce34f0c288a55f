"""A yes/no question in a modal: Enter or y confirms, Esc or n backs out.

Dismisses with True only on an explicit yes, so closing it any other way is a no.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static
from textual.widgets._button import ButtonVariant


class ConfirmScreen(ModalScreen[bool]):
    CSS_PATH = "confirm.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,n", "answer(False)", "Cancel", id="confirm_no"),
        Binding("y", "answer(True)", "Yes", id="confirm_yes"),
    ]

    def __init__(self, title: str, body: str, *, yes: str = "Yes", danger: bool = False) -> None:
        super().__init__()
        self.question_title = title
        self.body = body
        self.yes_label = yes
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-box"):
            yield Label(self.question_title, id="confirm-title", markup=False)
            yield Static(self.body, id="confirm-body", markup=False)
            with Horizontal(id="confirm-buttons"):
                variant: ButtonVariant = "error" if self.danger else "primary"
                yield Button(f"{self.yes_label} (y)", id="confirm-yes", variant=variant)
                yield Button("Cancel (Esc)", id="confirm-no")

    def on_mount(self) -> None:
        # Enter presses the focused button: yes for ordinary questions, no for dangerous
        # ones, so a stray Enter never deletes anything.
        self.query_one("#confirm-no" if self.danger else "#confirm-yes").focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm-yes")

    def action_answer(self, yes: bool) -> None:
        self.dismiss(yes)

"""Files the bot may not read: send them anyway, drop them, or go back.

Shown when a prompt carries files whose kind (image, audio, video, other files) the
bot does not list among its inputs (`/v1/models` input_modalities). Nothing is lost
whatever the choice: "drop" only takes those files out of the panel.
Dismisses with "send", "drop" or None (back to editing).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmFilesScreen(ModalScreen[str | None]):
    CSS_PATH = "confirm_files.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "back", "Back", id="confirm_files_back"),
        Binding("s", "choose('send')", "Send anyway", show=False),
        Binding("d", "choose('drop')", "Drop them", show=False),
    ]

    def __init__(self, bot: str, warnings: list[str]) -> None:
        super().__init__()
        self.bot = bot
        self.warnings = warnings

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm-files"):
            yield Label(f"{self.bot} may not read these files", id="confirm-title", markup=False)
            listed = "\n".join(f"• {warning}" for warning in self.warnings)
            yield Static(listed, id="confirm-list", markup=False)
            with Horizontal(id="confirm-buttons"):
                yield Button("Send anyway (s)", id="confirm-send", variant="warning", compact=True)
                yield Button("Drop them and send (d)", id="confirm-drop", compact=True)
                yield Button("Back (Esc)", id="confirm-back", compact=True)

    def on_mount(self) -> None:
        self.query_one("#confirm-send", Button).focus()

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

    def action_back(self) -> None:
        self.dismiss(None)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        choices = {"confirm-send": "send", "confirm-drop": "drop"}
        self.dismiss(choices.get(event.button.id or ""))

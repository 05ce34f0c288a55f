"""Ask before sending: the bot is priced per request or per image above the user's
limit, or the balance is below it (`[guards]` in config.toml).

Enter or `y` sends, `a` sends and stops asking for this bot in this conversation (until
the app restarts), Esc or `n` cancels; the prompt keeps its text either way until the
message is really sent.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static

from poe_tui.config import Settings
from poe_tui.core.guards import GuardLimits, SendWarning

Answer = Literal["send", "always"]


def guard_limits(settings: Settings) -> GuardLimits:
    """The settings' guard limits as the core wants them (None: that guard is off)."""
    price = settings.guard_request_usd
    return GuardLimits(
        request_price_usd=None if price is None else Decimal(str(price)),
        low_balance_points=settings.guard_low_balance_points,
    )


def warning_content(warning: SendWarning) -> Content:
    marker = "$" if warning.kind == "price" else "!"
    return Content.assemble(
        (f"{marker} ", "bold $text-warning"),
        (warning.headline, "bold"),
        "\n",
        (warning.detail, "$foreground-muted"),
    )


class ConfirmSendScreen(ModalScreen[Answer | None]):
    """Dismisses with "send", "always" or None (cancelled)."""

    CSS_PATH = "confirm_send.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer('send')", "Send", id="guard_send"),
        Binding("a", "answer('always')", "Don't ask again here", id="guard_always"),
        Binding("escape,n", "answer('')", "Cancel", id="guard_cancel"),
    ]

    def __init__(self, warnings: list[SendWarning], bot_name: str) -> None:
        super().__init__()
        self.warnings = warnings
        self.bot_name = bot_name

    def compose(self) -> ComposeResult:
        with Vertical(id="guard-box"):
            yield Label(f"Send to {self.bot_name}?", id="guard-title", markup=False)
            for warning in self.warnings:
                yield Static(warning_content(warning), classes="guard-warning")
            with Horizontal(id="guard-buttons"):
                yield Button("Send (Enter, y)", variant="warning", compact=True, id="guard-send")
                yield Button("Cancel (Esc, n)", compact=True, id="guard-cancel")
                yield Button("Don't ask again (a)", compact=True, id="guard-always")

    def on_mount(self) -> None:
        # Enter presses the focused button: Send, unless the user tabs elsewhere.
        self.query_one("#guard-send", Button).focus()

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        answers = {"guard-send": "send", "guard-always": "always", "guard-cancel": ""}
        self.action_answer(answers.get(event.button.id or "", ""))

    def action_answer(self, answer: str) -> None:
        if not self.is_active:
            return  # a second key queued behind the first must not dismiss twice
        if answer == "send":
            self.dismiss("send")
        elif answer == "always":
            self.dismiss("always")
        else:
            self.dismiss(None)

"""First run without a key: ask for one, check it with Poe, keep it in the OS keyring.

The key is checked before it is stored, so a typo never lands in the keyring. With no
keyring (headless Linux) the key still works for this run, and the screen says how to
keep it with POE_API_KEY; it is never written to a file. The input stays masked, and
no message here ever contains the key.
"""

from __future__ import annotations

import asyncio
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Button, Input, Label, Link, Static

from poe_tui.core.apikey import ApiKey, InvalidKeyFormat
from poe_tui.core.client import PoeClient
from poe_tui.core.errors import KEY_URL, AuthenticationError, NetworkError, PoeError
from poe_tui.secrets import KeyringUnavailable, store_key

INTRO = (
    "poe-tui talks to Poe with your Poe API key. The key lets this app spend your "
    "points, so keep it secret. Get one (or copy yours) here:"
)
STORE_NOTE = "It is checked with Poe first, then saved in your OS keyring — never in a file."
RUN_ONLY_AHEAD = "A key entered here will be checked and used for this run only."
RUN_ONLY_AFTER = "Poe accepted the key, but it could not be saved: it is used for this run only."
KEEP_IT = (
    "To keep it, put this line in your shell profile (~/.bashrc, ~/.zshrc, …):\n"
    "    export POE_API_KEY=...your key..."
)
REJECTED = "Poe rejected this key. Check it (copy it again from the link above) and retry."


class KeySetupScreen(Screen[ApiKey | None]):
    """Ask for the key; dismisses with the checked key, or None when skipped."""

    CSS_PATH = "key_setup.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "skip", "Skip for now", id="key_setup_skip"),
    ]

    def __init__(self, base_url: str, keyring_problem: str | None = None) -> None:
        super().__init__()
        self.base_url = base_url
        self.keyring_problem = keyring_problem
        self._checked_key: ApiKey | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="key-box"):
            yield Label("Add your Poe API key", id="key-title")
            yield Static(INTRO, id="key-intro")
            yield Link(KEY_URL, url=KEY_URL, id="key-link")
            yield Static(STORE_NOTE, id="key-store-note")
            yield Input(placeholder="Paste your key here", password=True, id="key-input")
            with Horizontal(id="key-buttons"):
                yield Button("Save", id="key-save", variant="primary")
                yield Button("Skip for now", id="key-skip")
            yield Static("", id="key-status", markup=False)
            with Vertical(id="key-no-keyring"):
                yield Label("No OS keyring", id="key-no-keyring-title")
                yield Static("", id="key-no-keyring-text", markup=False)
                yield Button("Continue", id="key-continue", variant="primary")

    def on_mount(self) -> None:
        if self.keyring_problem:
            self._show_keyring_note(self.keyring_problem, checked=False)
        self.query_one("#key-input", Input).focus()

    # --- submitting ---------------------------------------------------------------

    @on(Input.Submitted, "#key-input")
    @on(Button.Pressed, "#key-save")
    def _submit(self) -> None:
        try:
            # Straight into ApiKey: a raw string in a local would show in a crash report.
            key = ApiKey(self.query_one("#key-input", Input).value)
        except InvalidKeyFormat as exc:
            self._set_status(str(exc), "error")
            return
        self._set_busy(True)
        self._set_status("Checking the key with Poe…", "working")
        self.check_and_store(key)

    @work(group="key-check", exclusive=True, exit_on_error=False)
    async def check_and_store(self, key: ApiKey) -> None:
        """Ask Poe for the balance with this key, then save it in the keyring."""
        problem = await self._check(key)
        if problem is not None:
            self._set_busy(False)
            # A server that echoes the request must not put the key on screen.
            self._set_status(key.redact(problem), "error")
            return
        try:
            # Keyring backends block (D-Bus, Keychain prompts): keep the UI responsive.
            await asyncio.to_thread(store_key, key)
        except KeyringUnavailable as exc:
            self._checked_key = key
            self._set_status("", "ok")
            self._show_keyring_note(str(exc), checked=True)
            return
        self.notify("Key checked and saved to the OS keyring.", title="API key")
        self.dismiss(key)

    async def _check(self, key: ApiKey) -> str | None:
        """None when Poe accepts the key, else what to tell the user."""
        try:
            async with PoeClient(key, base_url=self.base_url) as client:
                await client.get_balance()
        except AuthenticationError:
            return REJECTED
        except NetworkError as error:
            return f"Could not reach Poe to check the key: {error.message} {error.hint}"
        except PoeError as error:
            return error.one_line()
        return None

    # --- showing state ------------------------------------------------------------

    def _set_status(self, text: str, kind: str) -> None:
        status = self.query_one("#key-status", Static)
        status.update(text)
        status.set_classes(f"-{kind}")

    def _set_busy(self, busy: bool) -> None:
        # The typed text stays in the box: after a network error it can be sent again.
        self.query_one("#key-input", Input).disabled = busy
        self.query_one("#key-save", Button).disabled = busy
        if not busy:
            self.query_one("#key-input", Input).focus()

    def _show_keyring_note(self, problem: str, *, checked: bool) -> None:
        """Why the key cannot be kept, and how to keep it; `checked`: offer Continue."""
        self.query_one("#key-no-keyring").display = True
        self.query_one("#key-store-note").display = False  # it promises the keyring
        run_only = RUN_ONLY_AFTER if checked else RUN_ONLY_AHEAD
        self.query_one("#key-no-keyring-text", Static).update(f"{problem}\n\n{run_only} {KEEP_IT}")
        continue_button = self.query_one("#key-continue", Button)
        continue_button.display = checked
        if checked:
            # The key is already checked: the only way on is Continue (or Skip with Esc).
            self.query_one("#key-buttons").display = False
            self.query_one("#key-status").display = False
            self.query_one("#key-input", Input).disabled = True
            continue_button.focus()

    # --- leaving ----------------------------------------------------------------------

    @on(Button.Pressed, "#key-continue")
    def _continue(self) -> None:
        self.dismiss(self._checked_key)

    @on(Button.Pressed, "#key-skip")
    def _skip_pressed(self) -> None:
        self.action_skip()

    def action_skip(self) -> None:
        self.dismiss(None)

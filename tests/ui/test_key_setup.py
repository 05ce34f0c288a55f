"""The key screen against a real local Poe server over loopback."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Button, Input, Static

from poe_tui.core.apikey import ApiKey
from poe_tui.fakepoe import FakePoeServer
from poe_tui.secrets import NO_KEYRING_HELP, KeyringUnavailable
from poe_tui.ui.screens import key_setup
from poe_tui.ui.screens.key_setup import KeySetupScreen
from tests.support.pilot import workers_done

GOOD_KEY = "good-key-123"
UNSET = object()


@pytest.fixture(scope="module")
def poe_server() -> Iterator[FakePoeServer]:
    with FakePoeServer(api_key=GOOD_KEY, speed=0) as server:
        yield server


@pytest.fixture
def stored(monkeypatch: pytest.MonkeyPatch) -> list[ApiKey]:
    """Keys handed to the keyring (a recorder: the real keyring is tested elsewhere)."""
    keys: list[ApiKey] = []
    monkeypatch.setattr(key_setup, "store_key", keys.append)
    return keys


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(_key: ApiKey) -> None:
        raise KeyringUnavailable(NO_KEYRING_HELP)

    monkeypatch.setattr(key_setup, "store_key", refuse)


def closed_port_url() -> str:
    """A loopback URL where nothing listens, so connecting fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class KeyHost(App[None]):
    def __init__(self, base_url: str, keyring_problem: str | None = None) -> None:
        super().__init__()
        self.base_url = base_url
        self.keyring_problem = keyring_problem
        self.result: object = UNSET

    def on_mount(self) -> None:
        screen = KeySetupScreen(self.base_url, keyring_problem=self.keyring_problem)
        self.push_screen(screen, self._chosen)

    def _chosen(self, key: ApiKey | None) -> None:
        self.result = key


async def type_and_enter(
    pilot: Pilot[None], app: KeyHost, text: str, *, key_by_key: bool = False
) -> None:
    """Put `text` in the key box, press Enter, and wait for the check with Poe."""
    key_input = app.screen.query_one("#key-input", Input)
    key_input.value = "" if key_by_key else text
    await pilot.press(*(text if key_by_key else ""), "enter")
    await workers_done(app)
    await pilot.pause()


def status_text(app: App[None]) -> str:
    return str(app.screen.query_one("#key-status", Static).content)


async def test_a_valid_key_is_stored_and_returned(
    poe_server: FakePoeServer, stored: list[ApiKey]
) -> None:
    app = KeyHost(poe_server.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        key_input = app.screen.query_one("#key-input", Input)
        assert key_input.password
        await type_and_enter(pilot, app, GOOD_KEY, key_by_key=True)
    assert app.result == ApiKey(GOOD_KEY)
    assert stored == [ApiKey(GOOD_KEY)]


async def test_a_rejected_key_keeps_the_screen(
    poe_server: FakePoeServer, stored: list[ApiKey]
) -> None:
    app = KeyHost(poe_server.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_and_enter(pilot, app, "wrong-key")
        assert isinstance(app.screen, KeySetupScreen)
        assert "Poe rejected this key" in status_text(app)
        key_input = app.screen.query_one("#key-input", Input)
        assert key_input.value == "wrong-key" and not key_input.disabled
        # The screen shows only dots, never the key.
        assert "wrong-key" not in app.export_screenshot()
    assert app.result is UNSET
    assert stored == []


async def test_a_badly_formed_key_is_refused_before_any_request(stored: list[ApiKey]) -> None:
    app = KeyHost(closed_port_url())
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("space", "enter")
        await pilot.pause()
        assert "empty" in status_text(app)
        assert "-error" in app.screen.query_one("#key-status").classes
    assert stored == []


async def test_no_network_says_so_and_keeps_the_text(stored: list[ApiKey]) -> None:
    app = KeyHost(closed_port_url())
    async with app.run_test(size=(100, 30)) as pilot:
        await type_and_enter(pilot, app, GOOD_KEY)
        assert "Could not reach Poe" in status_text(app)
        assert app.screen.query_one("#key-input", Input).value == GOOD_KEY
    assert app.result is UNSET
    assert stored == []


@pytest.mark.usefixtures("no_keyring")
async def test_no_keyring_explains_and_continue_returns_the_key(
    poe_server: FakePoeServer,
) -> None:
    app = KeyHost(poe_server.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await type_and_enter(pilot, app, GOOD_KEY)
        assert isinstance(app.screen, KeySetupScreen)
        note = str(app.screen.query_one("#key-no-keyring-text", Static).content)
        assert "No OS keyring is available" in note
        assert "this run only" in note
        assert "export POE_API_KEY=" in note
        assert GOOD_KEY not in note
        assert app.screen.query_one("#key-continue", Button).has_focus
        await pilot.click("#key-continue")
        await pilot.pause()
    assert app.result == ApiKey(GOOD_KEY)


async def test_a_known_keyring_problem_is_shown_from_the_start(
    poe_server: FakePoeServer, stored: list[ApiKey]
) -> None:
    app = KeyHost(poe_server.base_url, keyring_problem="The OS keyring is locked.")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert app.screen.query_one("#key-no-keyring").display
        note = str(app.screen.query_one("#key-no-keyring-text", Static).content)
        assert "The OS keyring is locked." in note and "this run only" in note
        assert not app.screen.query_one("#key-continue").display
        assert not app.screen.query_one("#key-store-note").display
        # The key can still be saved if the keyring works after all.
        await type_and_enter(pilot, app, GOOD_KEY)
    assert app.result == ApiKey(GOOD_KEY)


async def test_escape_skips_and_ctrl_q_quits(poe_server: FakePoeServer) -> None:
    app = KeyHost(poe_server.base_url)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None
    quitter = KeyHost(poe_server.base_url)
    async with quitter.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
        assert not quitter.is_running

"""Shared fixtures: a local Poe server over loopback, a home directory of our own, the app
built against them, and a private tmux server. Helpers live in tests/support/."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from poe_tui.fakepoe import FakePoeServer

# Shared fixtures that live in modules of their own.
from tests.support.bots_gate import gate  # noqa: F401
from tests.support.tmux import Tmux, require_tmux

if TYPE_CHECKING:  # Textual loads for the Pilot tests that ask for make_app, not here
    from poe_tui.ui.app import PoeApp

ISOLATED_VARIABLES = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "POE_TUI_CONFIG_DIR",
    "POE_TUI_DATA_DIR",
    "POE_TUI_RUNTIME_DIR",  # the shared request limiter's files
)


@pytest.fixture(scope="session")
def fake_poe() -> Iterator[FakePoeServer]:
    """One local Poe server for the session, with no artificial delays (speed 0)."""
    with FakePoeServer(speed=0) as server:
        yield server


@pytest.fixture(scope="module")
def quiet_poe() -> Iterator[FakePoeServer]:
    """A server of the module's own for snapshots: its balance stays put and its points
    history is empty, where what earlier tests spent on the shared one would show."""
    with FakePoeServer(speed=0) as server:
        server.state.history.clear()
        yield server


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, config and data dirs in a temp dir; no key or base URL from the environment."""
    for name in ISOLATED_VARIABLES:
        folder = tmp_path / name.lower()
        folder.mkdir(mode=0o700)
        monkeypatch.setenv(name, str(folder))
    monkeypatch.delenv("POE_API_KEY", raising=False)
    monkeypatch.delenv("POE_API_BASE", raising=False)
    return tmp_path


@pytest.fixture
def make_app(fake_poe: FakePoeServer, isolated_home: Path) -> Callable[..., PoeApp]:
    """Build the app against the shared local server: `make_app(bot, **PoeApp arguments)`."""
    from tests.support.app import app_against

    return partial(app_against, fake_poe, isolated_home)


@pytest.fixture
def steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors that do not blink: a snapshot must not depend on when it was taken."""
    from textual.widgets import Input, TextArea

    for widget in (Input, TextArea):
        monkeypatch.setattr(widget.__dict__["cursor_blink"], "_default", False)


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[Tmux]:
    """A private tmux server for one e2e test, killed afterwards whatever happened."""
    session = Tmux(require_tmux(), tmp_path)
    try:
        yield session
    finally:
        session.kill()

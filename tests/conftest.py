"""Shared fixtures: a local Poe server over loopback, and a home directory of our own."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.fakepoe import FakePoeServer

# Shared fixtures that live in modules of their own.
from tests.support.bots_gate import gate  # noqa: F401

ISOLATED_VARIABLES = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_DATA_HOME",
    "POE_TUI_CONFIG_DIR",
    "POE_TUI_DATA_DIR",
)


@pytest.fixture(scope="session")
def fake_poe() -> Iterator[FakePoeServer]:
    """One local Poe server for the session, with no artificial delays (speed 0)."""
    with FakePoeServer(speed=0) as server:
        yield server


@pytest.fixture
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME, config and data dirs in a temp dir; no key or base URL from the environment."""
    for name in ISOLATED_VARIABLES:
        folder = tmp_path / name.lower()
        folder.mkdir()
        monkeypatch.setenv(name, str(folder))
    monkeypatch.delenv("POE_API_KEY", raising=False)
    monkeypatch.delenv("POE_API_BASE", raising=False)
    return tmp_path


@pytest.fixture
def steady_cursors(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cursors that do not blink: a snapshot must not depend on when it was taken."""
    from textual.widgets import Input, TextArea

    for widget in (Input, TextArea):
        monkeypatch.setattr(widget.__dict__["cursor_blink"], "_default", False)

"""The one way Pilot tests build the app: against a local Poe server, from a temp home.

Tests reach it through the `make_app` fixture (tests/conftest.py); a module that needs
other defaults for all its tests (a store, an opener) wraps that fixture, it does not
build `PoeApp` by hand.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from poe_tui.config import Settings
from poe_tui.core.apikey import ApiKey
from poe_tui.fakepoe import FakePoeServer
from poe_tui.ui.app import PoeApp

TEST_KEY = "test-key"  # the shared local server takes any key


def app_against(server: FakePoeServer, home: Path, bot: str = "echo", **overrides: Any) -> PoeApp:
    """The app talking to `server`, chatting with `bot`, its config file in `home`.

    `overrides` are `PoeApp` arguments (`settings=` replaces the default settings whole).
    """
    options: dict[str, Any] = {
        "base_url": server.base_url,
        "api_key": ApiKey(TEST_KEY),
        "settings": Settings(default_bot=bot),
        "config_path": home / "config.toml",
    }
    options.update(overrides)
    return PoeApp(**options)

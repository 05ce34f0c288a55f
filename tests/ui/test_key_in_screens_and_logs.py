"""The key never shows in a screenshot and never reaches a log record.

Screenshots: `scripts/make_screenshots.py` drops any POE_API_KEY and runs with the demo
key; and the app's own screens, even with a real key typed or in use, never draw it.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Input

from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.fakepoe import FakePoeServer
from poe_tui.ui.screens.key_setup import KeySetupScreen
from tests.support.app import app_against
from tests.support.paths import SCRIPTS
from tests.support.pilot import wait_until, workers_done

SECRET = "sk-poe-SHOTTEST-0c9d8e7f6a5b4c3d"
SCRIPT = SCRIPTS / "make_screenshots.py"


def load_screenshot_script(monkeypatch: pytest.MonkeyPatch) -> Any:
    spec = importlib.util.spec_from_file_location("make_screenshots", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "make_screenshots", module)  # dataclasses look it up
    spec.loader.exec_module(module)
    return module


def test_the_screenshot_script_drops_any_key_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = load_screenshot_script(monkeypatch)
    monkeypatch.setenv("POE_API_KEY", SECRET)
    for name in script.ISOLATED:
        monkeypatch.setenv(name, os.environ.get(name, ""))  # restored after the test
    script.isolate_environment(tmp_path)
    assert "POE_API_KEY" not in os.environ
    app = script.build_app("http://127.0.0.1:9", with_key=True)
    assert app.api_key is not None and app.api_key.reveal() != SECRET


async def test_screens_with_a_key_in_use_or_typed_never_draw_it(
    tmp_path: Path, isolated_home
) -> None:
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        app = app_against(server, isolated_home, "echo", api_key=ApiKey(SECRET))
        async with app.run_test(size=(120, 36)) as pilot:
            await workers_done(app)
            chat = Path(app.save_screenshot(filename="chat.svg", path=str(tmp_path)))
            app.push_screen(KeySetupScreen(server.base_url))
            await wait_until(pilot, lambda: bool(app.screen.query("#key-input")))
            app.screen.query_one("#key-input", Input).value = SECRET
            await pilot.pause()
            typed = Path(app.save_screenshot(filename="typed.svg", path=str(tmp_path)))
    for shot in (chat, typed):
        text = shot.read_text()
        assert "poe-tui" in text  # a real screenshot of the app
        assert SECRET not in text and SECRET[:12] not in text and SECRET[-12:] not in text


async def test_no_log_record_holds_the_key(caplog: pytest.LogCaptureFixture) -> None:
    """httpx and httpcore log requests at DEBUG; the key's header must not be in them."""
    caplog.set_level(logging.DEBUG)
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        async with PoeClient(ApiKey(SECRET), base_url=server.base_url) as client:
            await client.get_balance()
            await client.list_models()
    assert any(r.name.startswith(("httpx", "httpcore")) for r in caplog.records)
    assert SECRET not in caplog.text
    assert all(SECRET not in repr(r.args) for r in caplog.records)

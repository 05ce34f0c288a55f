"""Preferences do not rewrite the user's config.toml (issue 17, point 16): the theme,
the sidebar and the last bot are remembered in state.toml beside it."""

from __future__ import annotations

from pathlib import Path

from poe_tui.config import Settings, load_settings, remember, state_path
from poe_tui.core.apikey import ApiKey
from poe_tui.fakepoe import FakePoeServer
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.chat import ChatScreen
from tests.support.pilot import wait_until, workers_done

COMMENTED = """\
# My poe-tui settings. Keep these comments!
[api]
read_timeout   = 300   # slow bots

[chat]
default_bot = "echo"    # my usual bot

[ui]
theme = "nord"          # easy on the eyes
"""


async def test_commented_config_is_byte_identical_after_theme_bot_and_sidebar(
    isolated_home: Path, fake_poe: FakePoeServer
) -> None:
    config = isolated_home / "config.toml"
    config.write_text(COMMENTED)
    app = PoeApp(
        base_url=fake_poe.base_url,
        api_key=ApiKey("test-key"),
        settings=load_settings(config),
        config_path=config,
    )
    async with app.run_test(size=(120, 35)) as pilot:
        await workers_done(app)
        await pilot.pause()
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await pilot.press("f2")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen))
        app.screen.dismiss("gpt-5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.press("ctrl+b")
        await wait_until(pilot, lambda: load_settings(config).show_sidebar is False)
        await workers_done(app)
    assert config.read_text() == COMMENTED
    remembered = load_settings(config)
    assert (remembered.theme, remembered.default_bot) == ("gruvbox", "gpt-5")
    assert remembered.read_timeout == 300  # the rest still comes from config.toml
    assert state_path(config).read_text().startswith("# Written by poe-tui")


def test_an_edit_of_config_toml_wins_over_what_was_remembered(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[ui]\ntheme = "nord"\n')
    remember(config, theme="gruvbox", show_sidebar=False)
    assert load_settings(config).theme == "gruvbox"
    config.write_text('[ui]\ntheme = "dracula"\n')  # the user changes their mind by hand
    settings = load_settings(config)
    assert (settings.theme, settings.show_sidebar) == ("dracula", False)
    assert load_settings(config, remembered=False) == Settings(theme="dracula")


def test_a_broken_state_file_is_ignored(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    for junk in (
        "not toml [",
        "[remembered]\ntheme = 3\n[config_said]\ntheme = 3\n",
        "x = " + "[" * 5000,
    ):
        state_path(config).write_text(junk)
        assert load_settings(config) == Settings()

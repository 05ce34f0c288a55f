"""Config: TOML round trip, and errors that name the file, the key and what is expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from poe_tui.config import ConfigError, Settings, load_settings, save_settings, update_settings


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "config.toml") == Settings()


def test_round_trip_writes_only_changes(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    settings = Settings(
        default_bot="claude-sonnet-4.5", theme="nord", keybindings={"pick_model": "f2"}
    )
    save_settings(settings, path)
    text = path.read_text()
    assert 'default_bot = "claude-sonnet-4.5"' in text and "base_url" not in text
    assert load_settings(path) == settings


def test_update_settings_keeps_other_values(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    update_settings(path, theme="gruvbox")
    update_settings(path, default_bot="echo")
    assert load_settings(path) == Settings(theme="gruvbox", default_bot="echo")


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[api]\nread_timeout = "long"\n', r"'api.read_timeout' should be a number of seconds"),
        ("[ui]\nshow_sidebar = 1\n", r"'ui.show_sidebar' should be true or false"),
        ("[chat]\ndefault_bot = 3\n", r"'chat.default_bot' should be a bot name"),
        ('[chat]\nbot = "x"\n', r"unknown setting 'chat.bot'"),
        ("[api\nbase_url=", r"not valid TOML"),
        ("chat = 3\n", r"'chat' should be a table"),
        ("[keybindings]\nquit = 5\n", r"'keybindings.quit' should be a key list"),
        ("[colours]\nx = 1\n", r"unknown table 'colours'"),
    ],
)
def test_bad_file_names_file_key_and_expectation(tmp_path: Path, toml: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=expected) as info:
        load_settings(path)
    assert str(path) in str(info.value)


def test_boolean_is_not_a_number(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[api]\nconnect_timeout = true\n")
    with pytest.raises(ConfigError, match="connect_timeout"):
        load_settings(path)

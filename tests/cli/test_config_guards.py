"""The [guards] settings: numbers or false, validated with messages that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from poe_tui.config import ConfigError, Settings, load_settings, save_settings


def test_defaults_ask_above_ten_cents_and_below_a_thousand_points(tmp_path: Path) -> None:
    settings = load_settings(tmp_path / "missing.toml")
    assert settings.guard_request_usd == 0.10
    assert settings.guard_low_balance_points == 1_000


def test_values_and_false_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("[guards]\nrequest_price_usd = 1\nlow_balance_points = false\n")
    settings = load_settings(path)
    assert settings.guard_request_usd == 1.0 and settings.guard_low_balance_points is None
    save_settings(settings, path)
    text = path.read_text()
    assert "low_balance_points = false" in text and "request_price_usd = 1.0" in text
    assert load_settings(path) == settings
    save_settings(Settings(), path)
    assert "guards" not in path.read_text()  # defaults are not written


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ("[guards]\nrequest_price_usd = true\n", r"'guards.request_price_usd' should be a price"),
        ('[guards]\nrequest_price_usd = "0.1"\n', r"'guards.request_price_usd' should be"),
        ("[guards]\nrequest_price_usd = -1\n", r"or false to never ask, not -1"),
        ("[guards]\nlow_balance_points = 10.5\n", r"'guards.low_balance_points' should be a"),
        ("[guards]\nmax = 3\n", r"unknown setting 'guards.max' \(known: low_balance_points"),
        ("guards = 3\n", r"'guards' should be a table"),
    ],
)
def test_bad_guard_values_name_file_key_and_expectation(
    tmp_path: Path, toml: str, expected: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError, match=expected) as info:
        load_settings(path)
    assert str(path) in str(info.value)

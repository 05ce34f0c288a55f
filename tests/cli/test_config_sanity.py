"""Config values that parse but make no sense (issue 17, point 9) are refused with a
message naming the file and the key, and the defaults are used; nothing crashes or hangs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui.config import ConfigError, load_settings
from poe_tui.fakepoe import FakePoeServer


@pytest.mark.parametrize(
    ("toml", "key"),
    [
        ("[api]\nread_timeout = inf\n", "api.read_timeout"),
        ("[api]\nconnect_timeout = nan\n", "api.connect_timeout"),
        ("[api]\nconnect_timeout = -5\n", "api.connect_timeout"),
        ("[api]\nread_timeout = 0\n", "api.read_timeout"),
        ("[api]\nretry_max_wait = inf\n", "api.retry_max_wait"),
        ("[api]\nretries = 1000000000000000000000000000000\n", "api.retries"),
        ("[chat]\nmax_attachment_mb = inf\n", "chat.max_attachment_mb"),
        ("[chat]\nmax_attachment_mb = nan\n", "chat.max_attachment_mb"),
        ("[chat]\nmax_attachment_mb = -inf\n", "chat.max_attachment_mb"),
        ("[guards]\nrequest_price_usd = nan\n", "guards.request_price_usd"),
        ("[guards]\nrequest_price_usd = inf\n", "guards.request_price_usd"),
        ("[guards]\nlow_balance_points = 99999999999999999999\n", "guards.low_balance_points"),
    ],
)
def test_senseless_numbers_name_the_file_and_key(tmp_path: Path, toml: str, key: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(toml)
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    assert str(path) in str(info.value) and f"'{key}'" in str(info.value)


@pytest.mark.parametrize(
    ("opening", "depth"), [("[", 200_000), ("{a = ", 100_000)], ids=["arrays", "inline-tables"]
)
def test_deep_nesting_is_refused_not_a_crash(tmp_path: Path, opening: str, depth: int) -> None:
    closing = "]" if opening == "[" else "}"
    path = tmp_path / "config.toml"
    path.write_text(f"x = {opening * depth}1{closing * depth}\n")
    with pytest.raises(ConfigError, match="nested too deeply") as info:
        load_settings(path)
    assert str(path) in str(info.value)


def command(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=20,  # a FIFO in place of the file used to block here forever
    )


@pytest.mark.parametrize(
    ("make_config", "words"),
    [
        (lambda p: p.write_text("[api]\nread_timeout = inf\n"), ["'api.read_timeout'"]),
        (lambda p: p.write_text(f"x = {'[' * 200_000}"), ["nested too deeply"]),
        (lambda p: os.mkfifo(p), ["not a regular file"]),
    ],
    ids=["inf", "nesting", "fifo"],
)
def test_commands_warn_once_and_use_the_defaults(
    isolated_home: Path, fake_poe: FakePoeServer, make_config: object, words: list[str]
) -> None:
    config = Path(os.environ["POE_TUI_CONFIG_DIR"]) / "config.toml"
    make_config(config)  # type: ignore[operator]
    env = dict(os.environ, POE_API_KEY="sanity-key-0123456789", POE_API_BASE=fake_poe.base_url)
    result = command(env, "ask", "-b", "echo", "still works")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("You said: still works")
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"poe-tui: warning: {config}") and "Using defaults." in warning
    for word in words:
        assert word in warning

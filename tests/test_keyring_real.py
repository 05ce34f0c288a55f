"""The key in a real Secret Service: gnome-keyring under dbus-run-session, HOME in a temp dir."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui.fakepoe import FakePoeServer

pytestmark = pytest.mark.keyring

SECRET = "sk-real-keyring-test-0123456789"
SESSION_SCRIPT = """
set -e
echo -n "keyring-test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf '%s\\n' "$NEW_KEY" | "$PY" -m poe_tui key set
echo "--- status"; "$PY" -m poe_tui key status
echo "--- balance"; "$PY" -m poe_tui balance
echo "--- backend"; "$PY" -c 'import keyring; print(type(keyring.get_keyring()).__module__)'
echo "--- delete"; "$PY" -m poe_tui key delete
echo "--- after"; "$PY" -m poe_tui key status
"""


def _require(tool: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} is not installed (CI installs it)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def test_keyring_round_trip(tmp_path: Path) -> None:
    _require("dbus-run-session")
    _require("gnome-keyring-daemon")
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        env = {
            "PATH": os.environ["PATH"],
            "HOME": str(tmp_path),
            "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_DATA_HOME": str(tmp_path / "data"),
            "XDG_RUNTIME_DIR": str(tmp_path / "run"),
            "POE_API_BASE": server.base_url,
            "PY": sys.executable,
            # The key reaches the child through its environment, never its arguments.
            "NEW_KEY": SECRET,
        }
        (tmp_path / "run").mkdir(mode=0o700)
        result = subprocess.run(
            ["dbus-run-session", "--", "bash", "-c", SESSION_SCRIPT],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
    out = result.stdout
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Key accepted" in out and "Stored the key in the OS keyring." in out
    status = out.split("--- status")[1].split("--- balance")[0]
    assert "OS keyring" in status
    assert "Points balance:" in out.split("--- balance")[1]  # the server took the stored key
    assert "SecretService" in out.split("--- backend")[1]
    assert "No key found" in out.split("--- after")[1]
    assert SECRET not in out + result.stderr
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"key written to {path}"

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


def session_env(tmp_path: Path, base_url: str) -> dict[str, str]:
    """A bare environment: HOME in a temp dir, no D-Bus session, no key."""
    (tmp_path / "run").mkdir(mode=0o700, exist_ok=True)
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_RUNTIME_DIR": str(tmp_path / "run"),
        "POE_API_BASE": base_url,
        "PY": sys.executable,
        # The key reaches the child through its environment, never its arguments.
        "NEW_KEY": SECRET,
    }


def in_keyring_session(tmp_path: Path, script: str, env: dict[str, str]) -> str:
    """Run `script` under a private D-Bus session with an unlocked gnome-keyring."""
    _require("dbus-run-session")
    _require("gnome-keyring-daemon")
    result = subprocess.run(
        ["dbus-run-session", "--", "bash", "-c", script],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert SECRET not in result.stdout + result.stderr
    return result.stdout


def assert_no_file_holds_the_key(root: Path) -> None:
    for path in root.rglob("*"):
        if path.is_file():
            assert SECRET.encode() not in path.read_bytes(), f"key written to {path}"


def test_keyring_round_trip(tmp_path: Path) -> None:
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        out = in_keyring_session(tmp_path, SESSION_SCRIPT, session_env(tmp_path, server.base_url))
    assert "Key accepted" in out and "Stored the key in the OS keyring." in out
    status = out.split("--- status")[1].split("--- balance")[0]
    assert "OS keyring" in status
    assert "Points balance:" in out.split("--- balance")[1]  # the server took the stored key
    assert "SecretService" in out.split("--- backend")[1]
    assert "No key found" in out.split("--- after")[1]
    assert_no_file_holds_the_key(tmp_path)


# Lock the default collection the way a screen lock does; no prompter can unlock it here
# (gcr-prompter needs a display), so reading or storing must fail, and say why.
LOCKED_SCRIPT = """
set -e
echo -n "keyring-test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf '%s\\n' "$NEW_KEY" | "$PY" -m poe_tui key set
"$PY" -c '
import secretstorage
collection = secretstorage.get_default_collection(secretstorage.dbus_init())
collection.lock()
assert collection.is_locked()
'
echo "--- status"; "$PY" -m poe_tui key status 2>&1
echo "--- set"; printf '%s\\n' "$NEW_KEY" | "$PY" -m poe_tui key set 2>&1 || echo "exit=$?"
echo "--- balance"; "$PY" -m poe_tui balance 2>&1 || echo "exit=$?"
"""


def test_locked_keyring_gives_a_clear_message(tmp_path: Path) -> None:
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        out = in_keyring_session(tmp_path, LOCKED_SCRIPT, session_env(tmp_path, server.base_url))
    status = out.split("--- status")[1].split("--- set")[0]
    assert "No key found" in status and "keyring is locked" in status
    assert "POE_API_KEY" in status
    stored = out.split("--- set")[1].split("--- balance")[0]
    assert "keyring is locked" in stored and "exit=1" in stored
    assert "Traceback" not in out
    assert_no_file_holds_the_key(tmp_path)


PRECEDENCE_SCRIPT = """
set -e
echo -n "keyring-test-password" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
printf '%s\\n' "$NEW_KEY" | "$PY" -m poe_tui key set >/dev/null
echo "POE_API_KEY=sk-from-dotenv-file-000" > .env
echo "--- all three"; POE_API_KEY=sk-from-environment-000 "$PY" -m poe_tui key status
echo "--- dotenv and keyring"; "$PY" -m poe_tui key status
echo "--- dotenv balance"; "$PY" -m poe_tui balance 2>&1 || echo "exit=$?"
rm .env
echo "--- keyring only"; "$PY" -m poe_tui key status
echo "--- keyring balance"; "$PY" -m poe_tui balance
"""


def test_precedence_environment_then_dotenv_then_keyring(tmp_path: Path) -> None:
    """With a real keyring: the server accepts only the keyring's key, so `balance`
    shows which key was really sent, not only what `key status` says."""
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        env = session_env(tmp_path, server.base_url)
        out = in_keyring_session(tmp_path, PRECEDENCE_SCRIPT, env)
    sections = dict(part.split("\n", 1) for part in out.split("--- ")[1:])
    assert "environment (POE_API_KEY)" in sections["all three"]
    assert ".env file" in sections["dotenv and keyring"]
    assert "exit=" in sections["dotenv balance"]  # the .env key was sent, and refused
    assert "OS keyring" in sections["keyring only"]
    assert "Points balance:" in sections["keyring balance"]


def test_no_keyring_gives_a_clear_message(tmp_path: Path) -> None:
    """No D-Bus session at all (a headless box): say so, store nothing, point to the env."""
    with FakePoeServer(speed=0, api_key=SECRET) as server:
        env = session_env(tmp_path, server.base_url)
        run = [sys.executable, "-m", "poe_tui", "key"]
        status = subprocess.run(
            [*run, "status"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60
        )
        stored = subprocess.run(
            [*run, "set"],
            env=env,
            cwd=tmp_path,
            input=SECRET + "\n",
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert "No OS keyring is available here" in status.stdout + status.stderr
    assert stored.returncode == 1 and "No OS keyring" in stored.stderr
    assert "POE_API_KEY" in stored.stderr and "Traceback" not in stored.stderr
    assert SECRET not in status.stdout + stored.stdout + stored.stderr
    assert_no_file_holds_the_key(tmp_path)

"""`.env` is read safely (issue 17, point 4): only a regular file, at most 64 KB, not
through a link leaving the folder, never blocking; a skipped one is explained."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui import secrets
from poe_tui.core.apikey import ApiKey
from poe_tui.fakepoe import FakePoeServer

KEY = "dotenv-key-0123456789"


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch, isolated_home: Path) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    monkeypatch.setattr(keyring.core, "_keyring_backend", FailKeyring())


def limit_memory() -> None:
    # Before the fix, a .env linked to /dev/zero read until memory ran out.
    resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))


def key_status(folder: Path) -> subprocess.CompletedProcess[str]:
    """`poe-tui key status` in `folder`, as a process that must neither hang nor bloat."""
    environ = {k: v for k, v in os.environ.items() if k != "POE_API_KEY"}
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", "key", "status"],
        env=environ,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=20,
        preexec_fn=limit_memory,
    )


def test_a_link_to_dev_zero_is_skipped_and_explained(isolated_home: Path, tmp_path: Path) -> None:
    (tmp_path / ".env").symlink_to("/dev/zero")
    result = key_status(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "No key found" in result.stdout
    assert f"{tmp_path / '.env'} was skipped: it links outside" in result.stdout


def test_a_fifo_does_not_block(isolated_home: Path, tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".env")  # no writer: a plain open() waits forever
    result = key_status(tmp_path)
    assert result.returncode == 0, result.stderr
    assert "was skipped: it is not a regular file" in result.stdout


def test_an_oversize_file_is_skipped(tmp_path: Path, no_keyring: None) -> None:
    filler = "# padding\n" * 7000  # 70 KB of comments, the key after them
    (tmp_path / ".env").write_text(f"{filler}POE_API_KEY={KEY}\n")
    found = secrets.find_key(tmp_path)
    assert found.key is None
    assert found.notice is not None and "larger than 64 KB" in found.notice
    assert found.problem is not None and found.notice in found.problem


def test_a_link_inside_the_folder_is_read(tmp_path: Path, no_keyring: None) -> None:
    (tmp_path / "keys.env").write_text(f"POE_API_KEY={KEY}\n")
    (tmp_path / ".env").symlink_to("keys.env")
    found = secrets.find_key(tmp_path)
    assert found.key == ApiKey(KEY) and found.notice is None


def test_a_link_out_of_the_folder_is_not_read(tmp_path: Path, no_keyring: None) -> None:
    outside = tmp_path / "elsewhere.env"
    outside.write_text(f"POE_API_KEY={KEY}\n")
    project = tmp_path / "project"
    project.mkdir()
    (project / ".env").symlink_to(outside)
    found = secrets.find_key(project)
    assert found.key is None
    assert found.notice is not None and "links outside" in found.notice


def test_commands_say_it_on_stderr(
    isolated_home: Path, tmp_path: Path, fake_poe: FakePoeServer
) -> None:
    os.mkfifo(tmp_path / ".env")
    environ = dict(os.environ, POE_API_BASE=fake_poe.base_url)
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    result = subprocess.run(
        [sys.executable, "-m", "poe_tui", "balance"],
        env=environ,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    note = result.stderr.splitlines()[0]
    assert note.startswith("poe-tui: note: ") and "it is not a regular file" in note

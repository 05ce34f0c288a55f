"""Child processes never inherit the key (issue 17, point 6)."""

from __future__ import annotations

import os
import re
import stat
import sys
import time
from pathlib import Path

import pytest

import poe_tui
from poe_tui.secrets import SECRET_VARIABLES
from poe_tui.ui.opener import system_open

KEY = "child-env-key-0123456789"


def fake_viewer(folder: Path, dump: Path) -> None:
    """An `xdg-open` that writes its environment to `dump` (whole, by a rename)."""
    script = folder / "xdg-open"
    script.write_text(f"#!/bin/sh\nenv > {dump}.part && mv {dump}.part {dump}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)


def wait_for(path: Path, timeout: float = 20.0) -> str:
    deadline = time.monotonic() + timeout
    while not path.exists():  # the viewer is detached: its only sign is the file
        assert time.monotonic() < deadline, "the viewer never ran"
        time.sleep(0.02)
    return path.read_text()


@pytest.mark.skipif(sys.platform != "linux", reason="the viewer is xdg-open on Linux")
def test_the_system_viewer_gets_no_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    dump = tmp_path / "viewer-env"
    fake_viewer(tmp_path, dump)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("POE_API_KEY", KEY)
    monkeypatch.setenv("SOME_OTHER_SETTING", "kept")
    system_open(str(tmp_path / "picture.png"))
    environment = wait_for(dump)
    assert "SOME_OTHER_SETTING=kept" in environment  # the rest of the environment passes
    assert KEY not in environment and "POE_API_KEY" not in environment


def test_every_child_process_is_started_through_the_helper() -> None:
    """A new launch site must pass env=child_environment() too."""
    launch = re.compile(r"subprocess\.(Popen|run|call|check_call|check_output)\(|create_subprocess")
    package = Path(poe_tui.__file__).parent
    for source in package.rglob("*.py"):
        text = source.read_text()
        for match in launch.finditer(text):
            call = text[match.start() : text.find(")\n", match.start())]
            assert "env=child_environment()" in call, f"{source}: {call[:60]}"
    assert "POE_API_KEY" in SECRET_VARIABLES

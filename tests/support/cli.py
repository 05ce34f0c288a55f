"""The command line as a user runs it: a real process, and the one-line error it owes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

KEY = "cli-test-key-0123456789"


def run(
    args: list[str], env: dict[str, str], stdin: str | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        cwd=cwd,
    )


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("poe-tui: ")
    for word in words:
        assert word.lower() in lines[0].lower(), lines[0]

"""`ask | head`: the reader leaving early ends `ask` quietly, with the SIGPIPE status."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SIGPIPE_STATUS = 141  # what a shell reports for a process killed by SIGPIPE
# The traceback came in about half the runs before the fix: several runs make a
# regression all but certain to show.
RUNS = ("native", "openai", "native", "openai", "openai", "openai")


def start_ask_into_head(transport: str, stderr_file: Path) -> tuple[subprocess.Popen[bytes], ...]:
    """`poe-tui --demo ask ... | head -c 5`, two real processes on a real pipe; the reply
    is still streaming when head exits."""
    # Without POE_TUI_CONFIG_DIR (XDG_CONFIG_HOME still keeps the config in the temp
    # home): the slower start through platformdirs is what made the race show.
    unset = ("POE_API_KEY", "POE_API_BASE", "POE_TUI_CONFIG_DIR")
    environ = {k: v for k, v in os.environ.items() if k not in unset}
    with stderr_file.open("wb") as stderr:
        ask = subprocess.Popen(
            [sys.executable, "-m", "poe_tui", "--demo", "ask", "--transport", transport, "show me"],
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=environ,
        )
    head = subprocess.Popen(["head", "-c", "5"], stdin=ask.stdout, stdout=subprocess.PIPE)
    assert ask.stdout is not None
    ask.stdout.close()  # only head reads it now, so ask sees the pipe break
    return ask, head


def test_ask_into_head_exits_quietly(isolated_home: Path) -> None:
    for run, transport in enumerate(RUNS):  # one at a time: together, the race hid
        stderr_file = isolated_home / f"stderr-{run}"
        ask, head = start_ask_into_head(transport, stderr_file)
        printed, _ = head.communicate(timeout=60)
        status = ask.wait(timeout=60)
        assert printed == b"# Wel"
        # No BrokenPipeError, no "aclose(): asynchronous generator is already running".
        assert stderr_file.read_text() == ""
        assert status == SIGPIPE_STATUS

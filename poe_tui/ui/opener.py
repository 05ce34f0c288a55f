"""Opening a file or link with the system's viewer (xdg-open, open, startfile).

The app takes the opener as a parameter, so tests pass a recorder and never start a
viewer; this is the real one.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from poe_tui.secrets import child_environment

Opener = Callable[[str], None]


_copies_root: Path | None = None


def new_viewer_copies_folder() -> Path:
    """A new private temporary folder (0700) for copies handed to the viewer. All of
    them go when poe-tui exits; a viewer that is still open keeps its own handle."""
    global _copies_root
    if _copies_root is None:
        _copies_root = Path(tempfile.mkdtemp(prefix="poe-tui-open-"))
        atexit.register(shutil.rmtree, _copies_root, ignore_errors=True)
    return Path(tempfile.mkdtemp(dir=_copies_root))


class NoViewer(OSError):
    """No system viewer could be started; the message says which command is missing."""


def system_open(target: str) -> None:
    """Hand `target` (a path or URL) to the desktop's viewer, detached from us."""
    if sys.platform == "win32":
        os.startfile(target)  # type: ignore[attr-defined]  # only exists on Windows
        return
    command = ["open", target] if sys.platform == "darwin" else ["xdg-open", target]
    try:
        subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # the viewer outlives us and never sees our keys
            env=child_environment(),
        )
    except FileNotFoundError:
        raise NoViewer(f"{command[0]} was not found; save the file and open it yourself.") from None

"""Run `poe-tui` with test-only hooks, for the tests that drive it in a real terminal.

    python tests/support/launch_with_hooks.py [poe-tui arguments]

- F12 crashes the app from a handler holding the raw key in a local variable, as a
  careless handler might (the crash-report test reads what Textual prints).
- With POE_TUI_TEST_HOSTILE=1, the local server's `echo` bot answers with terminal
  control sequences in its text, thinking, suggested reply and file name.

Nothing here ships: it lives under tests/ and only patches this one process.
"""

from __future__ import annotations

import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import ClassVar

from textual.binding import BindingType

CRASH_MESSAGE = "forced crash for the key test"
HOSTILE_TEXT = (
    "Start of hostile reply\n\n"
    "clip\x1b]52;c;SEFDS0VE\x07board "  # OSC 52: put "HACKED" on the clipboard
    "ti\x1b]0;PWNED-TITLE\x07tle\x1b]2;PWNED-TITLE\x1b\\ "  # OSC 0 and 2: window title
    "bell\x07 "
    "clear\x1b[2J\x1b[H\x1b[10;10Hscreen "  # CSI: clear the screen, move the cursor
    "\x1b[31mred\x1b[0m "
    "\x1b]8;;https://evil.example/\x1b\\link\x1b]8;;\x1b\\ "  # OSC 8 hyperlink
    "abc\x08\x08\x08XYZ "  # backspaces
    "over\rwrite\n\n"  # a carriage return
    "End of hostile reply"
)


def install_crash_key() -> None:
    from textual.binding import Binding

    from poe_tui.ui import app

    class CrashableApp(app.PoeApp):
        CSS_PATH = str(Path(app.__file__).with_name("app.tcss"))  # relative to this file else
        BINDINGS: ClassVar[list[BindingType]] = [Binding("f12", "crash_for_test", priority=True)]

        def action_crash_for_test(self) -> None:
            raw_key = self.api_key.reveal() if self.api_key else "no key"
            raise RuntimeError(f"{CRASH_MESSAGE} ({len(raw_key)} characters in a local)")

    app.PoeApp = CrashableApp  # type: ignore[misc]  # launch.run_app imports it late


def install_hostile_echo() -> None:
    from poe_tui.fakepoe import bots

    async def hostile(request: bots.BotRequest, pace: bots.Pace) -> AsyncIterator[bots.Piece]:
        yield bots.Think(f"thinking {HOSTILE_TEXT}")
        async for piece in bots.stream_text(HOSTILE_TEXT, pace):
            yield piece
        yield bots.Suggest("sugg\x1b]52;c;SEFDS0VE\x07estion\x07")
        url = request.server_url.rstrip("/") + bots.DEMO_IMAGE_PATH
        yield bots.SendFile(url, "image/png", "pic\x1b]2;PWNED-TITLE\x07ture\x07.png")

    bots.BOTS["echo"] = hostile


def main() -> int:
    install_crash_key()
    if os.environ.get("POE_TUI_TEST_HOSTILE") == "1":
        install_hostile_echo()
    from poe_tui.cli import main as poe_tui_main

    return poe_tui_main(sys.argv[1:])


if __name__ == "__main__":
    sys.exit(main())

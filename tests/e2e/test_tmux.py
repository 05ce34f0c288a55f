"""The real thing: poe-tui in a real terminal (tmux), driven by keys and read off the pane.

Each test runs its own tmux server on a private socket (`tmux -L`), so nothing here
touches a tmux the developer is using. The server is started with an isolated
environment (temp HOME and config/data dirs, no POE_API_KEY / POE_API_BASE) and a
config that keeps dead panes, so what the app printed and its exit status can be read
afterwards (see tests/support/tmux.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest

from tests.support.tmux import Tmux, choose_bot, sidebar_balance, wait_exit, wait_for

pytestmark = pytest.mark.tmux

SHOWCASE_LAST_LINE = "Happy chatting!"
# The native protocol reports no token counts, so the footer may go straight to the time.
REPLY_FOOTER = re.compile(r"demo-showcase · (?:[\d,]+ tokens · )?[\d.]+ s")


def test_chat_in_a_real_terminal(tmux: Tmux) -> None:
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    first = wait_for(
        tmux,
        "the first screen with a balance",
        lambda s: "Message Demo-Showcase" in s and sidebar_balance(s) is not None,
    )
    before = sidebar_balance(first)
    assert before is not None

    tmux.keys("Show me what replies can look like", literal=True)
    tmux.keys("Enter")
    reply = wait_for(
        tmux,
        "the finished showcase reply",
        lambda s: SHOWCASE_LAST_LINE in s and REPLY_FOOTER.search(s) is not None,
    )
    assert "Traceback" not in reply
    after_screen = wait_for(
        tmux,
        "a lower balance",
        lambda s: (sidebar_balance(s) or before) < before,
    )
    after = sidebar_balance(after_screen)
    assert after is not None and after < before

    tmux.keys("C-q")
    assert wait_exit(tmux) == 0
    assert "Traceback" not in tmux.everything()


def test_ask_prints_to_a_terminal(tmux: Tmux) -> None:
    tmux.start([sys.executable, "-m", "poe_tui", "ask", "--demo", "-b", "echo", "hello"])
    assert wait_exit(tmux) == 0
    output = tmux.everything()
    assert "You said: hello" in output
    assert "Traceback" not in output


def test_attach_a_file_and_the_echo_bot_acknowledges_it(tmux: Tmux, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("remember the milk\n")
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    wait_for(tmux, "the first screen", lambda s: "Message Demo-Showcase" in s)
    choose_bot(tmux, "echo", "Echo")

    tmux.keys(f"/attach {notes}", literal=True)
    tmux.keys("Enter")
    wait_for(tmux, "the file's chip", lambda s: "notes.txt · text · 18 B" in s)
    tmux.keys("what is in this file?", literal=True)
    tmux.keys("Enter")
    screen = wait_for(
        tmux,
        "the echo bot acknowledging the file",
        lambda s: "notes.txt (text/plain, 18 B)" in s,
    )
    assert "You said: what is in this file?" in screen
    assert "1 file, 18 B" not in screen  # the panel emptied when the prompt was sent
    assert "Traceback" not in screen

    tmux.keys("C-q")
    assert wait_exit(tmux) == 0
    assert "Traceback" not in tmux.everything()


def test_alt_1_sends_a_suggestion_and_ctrl_j_adds_a_line(tmux: Tmux) -> None:
    """Keys as a terminal sends them (Alt+1 is Esc 1), not as Pilot presses them."""
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    wait_for(tmux, "the first screen", lambda s: "Message Demo-Showcase" in s)
    choose_bot(tmux, "demo-suggest", "Demo-Suggest")

    tmux.keys("first line", literal=True)
    tmux.keys("C-j")
    tmux.keys("second line", literal=True)
    screen = wait_for(tmux, "two lines in the prompt", lambda s: "second line" in s)
    assert "▌ first line" not in screen  # nothing was sent yet
    tmux.keys("Enter")
    chips = wait_for(tmux, "the chips", lambda s: "alt+1" in s and "Tell me more." in s)
    assert "first linesecond line" not in chips  # ctrl+j made a line of its own
    lines = chips.splitlines()
    assert any("first line" in line and "second line" not in line for line in lines)
    tmux.keys("M-1")
    screen = wait_for(
        tmux,
        "the first suggestion sent as a prompt",
        lambda s: (
            any(
                "Tell me more." in line and "alt+1" not in line and "¡" not in line
                for line in s.splitlines()
            )
            and s.count("Tell me more.") >= 2
        ),
    )
    assert "¡" not in screen  # not typed into the prompt as a character
    tmux.keys("C-q")
    assert wait_exit(tmux) == 0

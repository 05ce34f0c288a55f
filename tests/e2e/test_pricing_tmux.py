"""The pricing browser and a send guard in a real terminal (tmux), read off the pane."""

from __future__ import annotations

import sys

import pytest

from poe_tui.fakepoe.catalogue import all_models
from tests.support.tmux import Tmux, sidebar_balance, wait_exit, wait_for

pytestmark = pytest.mark.tmux


def test_browse_prices_pick_a_bot_and_meet_the_guard(tmux: Tmux) -> None:
    tmux.start([sys.executable, "-m", "poe_tui", "--demo"])
    wait_for(
        tmux,
        "the first screen with a balance",
        lambda s: "Message Demo-Showcase" in s and sidebar_balance(s) is not None,
    )
    tmux.keys("F4")
    browser = wait_for(tmux, "the pricing browser", lambda s: "Model prices" in s)
    count = len(all_models())  # the demo catalogue, as /v1/models serves it
    assert f"{count} models" in browser and "In $/1M" in browser and "Paid/reply" in browser

    tmux.keys("/")
    tmux.keys("veo", literal=True)
    filtered = wait_for(tmux, "the filtered list", lambda s: f"1 of {count} models" in s)
    assert "$1.60" in filtered and "per request" in filtered  # the row and its details
    tmux.keys("Enter")  # start a conversation with the highlighted model
    wait_for(tmux, "a chat with Veo-3", lambda s: "Message Veo-3" in s)

    tmux.keys("a red kite over hills", literal=True)
    tmux.keys("Enter")
    dialog = wait_for(tmux, "the guard", lambda s: "Send to Veo-3?" in s)
    assert "Veo-3 costs $1.60 per request." in dialog
    tmux.keys("n")
    back = wait_for(tmux, "the prompt again", lambda s: "Send to Veo-3?" not in s)
    assert "a red kite over hills" in back  # the text is still in the prompt

    tmux.keys("C-q")
    assert wait_exit(tmux) == 0
    assert "Traceback" not in tmux.everything()

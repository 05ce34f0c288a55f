"""Malformed or enormous Markdown (issue 8) neither crashes nor freezes the app.

Each reply comes from the local Poe server (its `echo` bot swapped for one that sends
the hostile text in 4 KiB chunks). After the reply and after the next one (which turns
it into the cheap finished form), the prompt must still take a key: a generous bound,
not a timing assert.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from textual.pilot import Pilot

from poe_tui.core.conversation import MessageStatus
from poe_tui.fakepoe import bots
from poe_tui.ui.app import PoeApp
from poe_tui.ui.widgets.message_view import MessageView
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.pilot import chat, send, wait_until

SIZE = (120, 35)
CHUNK = 4096
GENEROUS = 30.0  # seconds: a frozen app never gets there; a slow machine does
END = "END-OF-REPLY"

HOSTILE = {
    "a 1 MB line": "word " * 200_000 + END,
    "a 10,000-row table": "| n | name | note |\n|---|---|---|\n"
    + "".join(f"| {n} | row {n} | some text |\n" for n in range(10_000))
    + f"\n{END}\n",
    "deeply nested lists": "".join(f"{'  ' * depth}- level {depth}\n" for depth in range(400))
    + "".join(f"{'> ' * depth}quote {depth}\n" for depth in range(1, 200))
    + f"\n{END}\n",
    "an unterminated fence": "Here:\n\n```python\n" + "print('hello')\n" * 20_000 + END,
}


def hostile_bot(text: str) -> bots.Bot:
    async def bot(request: bots.BotRequest, pace: bots.Pace) -> AsyncIterator[bots.Piece]:
        for start in range(0, len(text), CHUNK):
            yield bots.Text(text[start : start + CHUNK])

    return bot


async def still_takes_keys(pilot: Pilot[Any]) -> None:
    prompt = chat(pilot).query_one(PromptInput)
    prompt.load_text("")
    prompt.focus()
    await pilot.press("o", "k")
    await wait_until(pilot, lambda: prompt.text == "ok", GENEROUS)
    prompt.load_text("")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("name", list(HOSTILE))
async def test_enormous_markdown_neither_crashes_nor_freezes(
    name: str, make_app: Callable[[], PoeApp], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = HOSTILE[name]
    monkeypatch.setitem(bots.BOTS, "echo", hostile_bot(text))
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "please misbehave", timeout=GENEROUS)
        reply = chat(pilot).conversation.messages[-1]
        assert reply.status is MessageStatus.COMPLETE and reply.text == text
        await still_takes_keys(pilot)
        # The next reply turns this one into its finished form: that must not hang either.
        await send(pilot, "and again", timeout=GENEROUS)
        assert chat(pilot).conversation.messages[-1].status is MessageStatus.COMPLETE
        await still_takes_keys(pilot)
        views = list(chat(pilot).query(MessageView).results(MessageView))
        assert sum(v.is_reply for v in views) == 2

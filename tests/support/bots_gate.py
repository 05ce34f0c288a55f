"""A gate for the fake server's echo bots: they say their first words, then wait until
the test opens it. A test then knows a reply is still streaming, with no timing."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from poe_tui.fakepoe import bots
from poe_tui.fakepoe.bots import BotRequest, Pace, Piece, Sleep, Text, echo_text, split_chunks

GATED_BOTS = ("slow-echo", "echo", "demo-params")


class Gate:
    """Bots that say their first words, then wait until the test opens the gate."""

    def __init__(self) -> None:
        self.opened = threading.Event()  # the server runs on a thread of its own

    def bot(self) -> bots.Bot:
        async def held_echo(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
            chunks = split_chunks(echo_text(request))
            yield Text(chunks[0])
            while not self.opened.is_set():
                yield Sleep(0.01)
            for chunk in chunks[1:]:
                yield Text(chunk)

        return held_echo


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    held = Gate()
    for name in GATED_BOTS:
        monkeypatch.setitem(bots.BOTS, name, held.bot())
    yield held
    held.opened.set()  # never leave a server stream waiting

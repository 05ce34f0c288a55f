"""Helpers the native and Anthropic routes share: billing, pauses and the prompt text."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from poe_tui.fakepoe.billing import estimate_tokens, reply_cost
from poe_tui.fakepoe.bots import BotMessage, Piece, Sleep
from poe_tui.fakepoe.catalogue import Model
from poe_tui.fakepoe.common import Call


def prompt_tokens(messages: Sequence[BotMessage]) -> int:
    return estimate_tokens("\n".join(m.text for m in messages))


def charge(call: Call, model: Model, prompt: int, completion_text: str) -> None:
    """Only finished replies cost points; failures and drops are free."""
    cost = reply_cost(model, prompt, estimate_tokens(completion_text))
    call.state.charge(model, cost)


async def without_sleeps(pieces: AsyncIterator[Piece]) -> AsyncIterator[Piece]:
    """The pieces with their pauses taken (a route only renders the rest)."""
    async for piece in pieces:
        if isinstance(piece, Sleep):
            await asyncio.sleep(piece.seconds)
        else:
            yield piece

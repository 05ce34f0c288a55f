"""What each fake bot says, independent of the wire format.

A bot is an async generator of reply pieces: text chunks, pauses, a failure, or an
instruction to drop the connection. Each transport (OpenAI route now; native SSE and
Anthropic later) renders the same pieces into its own bytes, so a bot behaves the same
whichever API the client uses.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.catalogue import SHOWCASE_ASSET, Model, read_asset


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Fail:
    """Stop with this failure: an HTTP error before any text, an in-stream error after."""

    failure: failures.Failure


@dataclass(frozen=True)
class Drop:
    """Cut the TCP connection without finishing the response."""


Piece = Text | Sleep | Fail | Drop


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    url: str | None = None


@dataclass(frozen=True)
class BotMessage:
    role: str  # "system" | "user" | "assistant" | "tool" (transports map "bot" here)
    text: str


@dataclass(frozen=True)
class BotRequest:
    """A query reduced to what the bots look at."""

    model: Model
    requested_name: str  # the caller's spelling, echoed back in replies
    messages: tuple[BotMessage, ...]
    attachments: tuple[Attachment, ...] = ()  # those on the last user message
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.role == "user":
                return message.text
        return ""


@dataclass(frozen=True)
class Pace:
    """Turns a bot's nominal delays into real ones; `speed` multiplies every delay."""

    speed: float = 1.0

    def delay(self, nominal: float, *, floor: float = 0.0) -> float:
        # `floor` keeps a bot whose whole point is slowness slow even at speed 0.
        return max(nominal * self.speed, floor)


Bot = Callable[[BotRequest, Pace], AsyncIterator[Piece]]

CHUNKS_PER_SECOND = 60
SLOW_WORD_SECONDS = 0.5
SLOW_WORD_FLOOR = 0.05
_WORDS = re.compile(r"\S+\s*|\s+")


def split_chunks(text: str, words: int = 3) -> list[str]:
    """Split into chunks of a few words; the chunks join back to exactly `text`."""
    tokens = _WORDS.findall(text)
    return ["".join(tokens[i : i + words]) for i in range(0, len(tokens), words)]


async def stream_text(
    text: str, pace: Pace, *, words: int = 3, gap: float = 1 / CHUNKS_PER_SECOND, floor: float = 0
) -> AsyncIterator[Piece]:
    for i, chunk in enumerate(split_chunks(text, words)):
        seconds = pace.delay(gap, floor=floor)
        if i and seconds > 0:
            yield Sleep(seconds)
        yield Text(chunk)


def echo_text(request: BotRequest) -> str:
    """`You said: …` plus one line listing attachments and parameters received."""
    said = request.last_user_text
    if request.parameters.get("shout") is True:
        said = said.upper()
    repeat = request.parameters.get("repeat", 1)
    times = int(repeat) if isinstance(repeat, int | float) and 1 <= repeat <= 5 else 1
    lines = [f"You said: {said}"] * times
    files = ", ".join(f"{a.name} ({a.content_type})" for a in request.attachments) or "none"
    params = ", ".join(
        f"{k}={json.dumps(v, sort_keys=True)}" for k, v in sorted(request.parameters.items())
    )
    lines.append(f"Attachments: {files} · Parameters: {params or 'none'}")
    return "\n\n".join(lines)


async def echo(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text(echo_text(request), pace):
        yield piece


async def slow_echo(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    pieces = stream_text(
        echo_text(request), pace, words=1, gap=SLOW_WORD_SECONDS, floor=SLOW_WORD_FLOOR
    )
    async for piece in pieces:
        yield piece


async def showcase(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text(read_asset(SHOWCASE_ASSET), pace):
        yield piece


def _quote(text: str, limit: int = 400) -> str:
    text = text.strip() or "(an empty message)"
    if len(text) > limit:
        text = text[:limit].rstrip() + "…"
    return "\n".join(f"> {line}" for line in text.splitlines())


def friendly_text(request: BotRequest) -> str:
    """A short reply that names the model, so the demo feels alive with any of them."""
    name = request.model.display_name
    media = [m for m in request.model.output_modalities if m != "text"]
    lines = [
        f"Hello from **{name}** (well, its stand-in: this is poe-tui's *demo mode*, "
        "so replies come from a small local server and no real points are spent).",
        "",
        "You wrote:",
        "",
        _quote(request.last_user_text),
        "",
    ]
    if media:
        lines += [
            f"On Poe, {name} would answer with {' and '.join(media)}; the demo only describes it.",
            "",
        ]
    lines += [
        "Things to try next:",
        "",
        "- ask `Demo-Showcase` for a tour of what replies can look like;",
        "- send something to `Slow-Echo` and cancel it half way;",
        "- pick a `fail-…` bot to see how errors are explained.",
    ]
    return "\n".join(lines)


async def friendly(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text(friendly_text(request), pace):
        yield piece


def failing(failure: failures.Failure) -> Bot:
    """A bot that fails before saying anything."""

    async def bot(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
        yield Fail(failure)

    return bot


async def fail_not_found(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    yield Fail(failures.model_not_found(request.requested_name))


async def fail_midstream(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text("Let me think about that. The answer begins with ", pace):
        yield piece
    yield Fail(failures.UPSTREAM)


async def fail_drop(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text("This reply is about to be cut off in the middle of a ", pace):
        yield piece
    yield Drop()


BOTS: dict[str, Bot] = {
    "demo-showcase": showcase,
    "echo": echo,
    "slow-echo": slow_echo,
    "fail-auth": failing(failures.AUTHENTICATION),
    "fail-points": failing(failures.INSUFFICIENT_POINTS),
    "fail-notfound": fail_not_found,
    "fail-ratelimit": failing(failures.RATE_LIMIT),
    "fail-server": failing(failures.SERVER),
    "fail-overloaded": failing(failures.OVERLOADED),
    "fail-midstream": fail_midstream,
    "fail-drop": fail_drop,
}


def bot_for(model: Model) -> Bot:
    """The behaviour behind a catalogue entry; every realistic model gets `friendly`."""
    return BOTS.get(model.id, friendly)

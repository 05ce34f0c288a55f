"""What each fake bot says, independent of the wire format.

A bot is an async generator of reply pieces: text chunks, pauses, a failure, or an
instruction to drop the connection, plus the pieces only some APIs can carry natively
(replace-response, suggested replies, thinking, files). Each transport (native SSE,
OpenAI, Anthropic) renders the same pieces into its own bytes, so a bot behaves the same
whichever API the client uses; `flattened_text` says how the others show what they lack.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.catalogue import SHOWCASE_ASSET, Model, read_asset
from poe_tui.fakepoe.fault_plan import FaultPlan, Kind


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


@dataclass(frozen=True)
class Raw:
    """Bytes sent as they are, whatever the wire format (broken streams, on purpose)."""

    data: bytes


@dataclass(frozen=True)
class Stop:
    """End the body cleanly but early: no closing event (`done`, `[DONE]`, ...)."""


@dataclass(frozen=True)
class Replace:
    """The whole answer so far, replacing what was sent (native `replace_response`)."""

    text: str


@dataclass(frozen=True)
class Suggest:
    """A follow-up prompt (native `suggested_reply`); other APIs have no such thing."""

    text: str


@dataclass(frozen=True)
class Think:
    """Reasoning text, sent apart from the answer on every API."""

    text: str


@dataclass(frozen=True)
class SendFile:
    """A file the bot returns (native `file` event; a Markdown link elsewhere)."""

    url: str
    content_type: str
    name: str


Piece = Text | Sleep | Fail | Drop | Raw | Stop | Replace | Suggest | Think | SendFile


def flattened_text(piece: Piece) -> str | None:
    """The text an API without replace/file events sends instead (None: nothing).

    A stream cannot take text back, so a replacement is appended after a blank line;
    a file becomes a Markdown link, the way Poe's media bots answer over OpenAI.
    """
    if isinstance(piece, Text):
        return piece.text
    if isinstance(piece, Replace):
        return f"\n\n{piece.text}"
    if isinstance(piece, SendFile):
        image = "!" if piece.content_type.startswith("image/") else ""
        return f"\n\n{image}[{piece.name}]({piece.url})"
    return None


@dataclass(frozen=True)
class Attachment:
    name: str
    content_type: str
    url: str | None = None
    size: int | None = None  # bytes, when the server can tell (inline data, its uploads)

    def describe(self) -> str:
        """`name (type, size)`, as the echo bot acknowledges a file."""
        if self.size is None:
            return f"{self.name} ({self.content_type})"
        return f"{self.name} ({self.content_type}, {human_size(self.size)})"


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


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
    server_url: str = ""  # this server's root, for bots that send back files it serves

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
    files = ", ".join(a.describe() for a in request.attachments) or "none"
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


def thinking_budget(request: BotRequest) -> float:
    value = request.parameters.get("thinking_budget", 0)
    return value if isinstance(value, int | float) and not isinstance(value, bool) else 0


def thinking_text(request: BotRequest) -> str:
    return (
        f"The user wrote {len(request.last_user_text)} characters. "
        "I should greet them, quote their message and suggest what to try next."
    )


async def friendly(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    # A thinking budget makes the stand-in think first, like the Claude models it imitates.
    if thinking_budget(request) > 0:
        for chunk in split_chunks(thinking_text(request)):
            yield Think(chunk)
    async for piece in stream_text(friendly_text(request), pace):
        yield piece


def params_table(request: BotRequest) -> str:
    """A Markdown table of the parameters received, with their JSON types."""
    if not request.parameters:
        return "No parameters received."
    rows = [
        f"| `{name}` | `{json.dumps(value)}` | {type(value).__name__} |"
        for name, value in sorted(request.parameters.items())
    ]
    return "\n".join(["| Parameter | Value | Type |", "|---|---|---|", *rows])


async def demo_params(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text(params_table(request), pace):
        yield piece


SUGGESTIONS = ("Tell me more.", "Can you give an example?", "Summarise that in one line.")


async def demo_suggest(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text("Here is an answer with follow-ups to pick from.", pace):
        yield piece
    for suggestion in SUGGESTIONS:
        yield Suggest(suggestion)


REPLACE_DRAFT = "Drafting a first answer… this text will be replaced."
REPLACE_FINAL = "This is the final answer: it replaced the draft."


async def demo_replace(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    async for piece in stream_text(REPLACE_DRAFT, pace):
        yield piece
    yield Replace(REPLACE_FINAL)


THINKING = "Let me think step by step. Two plus two is four, and four times ten is forty."
THINKING_ANSWER = "The answer is **40**."


async def demo_thinking(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    for chunk in split_chunks(THINKING):
        yield Think(chunk)
    async for piece in stream_text(THINKING_ANSWER, pace):
        yield piece


DEMO_IMAGE_NAME = "demo-image.png"
DEMO_IMAGE_PATH = "/poe_api/demo/demo-image.png"


def image_caption(request: BotRequest) -> str:
    prompt = " ".join(request.last_user_text.split())[:80] or "a picture"
    return f"Here is your image for “{prompt}” (a demo picture; real image bots draw one)."


async def demo_image(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    """An image bot: a caption, then the picture as a file (a Markdown image link on
    the APIs without file events, as Poe's media bots answer there)."""
    async for piece in stream_text(image_caption(request), pace):
        yield piece
    url = request.server_url.rstrip("/") + DEMO_IMAGE_PATH
    yield SendFile(url, "image/png", DEMO_IMAGE_NAME)


MIDSTREAM_TEXT = "Let me think about that. The answer begins with "
DROP_TEXT = "This reply is about to be cut off in the middle of a "


def saying(text: str) -> Bot:
    """A bot that says `text` (nothing, if empty) and ends."""

    async def bot(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
        async for piece in stream_text(text, pace):
            yield piece

    return bot


def _fails_at_once(status: int) -> tuple[str, FaultPlan]:
    return "", FaultPlan(Kind.ERROR, status=status, after=0)


# The `fail-…` bots: what each says, then the fault plan that breaks its reply (the
# same plan a test can send); the routes apply it (fakepoe.fault_doors.run_bot).
FAILING_BOTS: dict[str, tuple[str, FaultPlan]] = {
    "fail-auth": _fails_at_once(401),
    "fail-points": _fails_at_once(402),
    "fail-notfound": _fails_at_once(404),
    "fail-ratelimit": _fails_at_once(429),
    "fail-server": _fails_at_once(500),
    "fail-overloaded": _fails_at_once(529),
    "fail-midstream": (MIDSTREAM_TEXT, FaultPlan(Kind.ERROR, after=len(MIDSTREAM_TEXT))),
    "fail-drop": (DROP_TEXT, FaultPlan(Kind.RESET, after=len(DROP_TEXT))),
}


def own_fault(request: BotRequest) -> FaultPlan | None:
    """The fault plan a `fail-…` bot's replies carry; None for every other bot."""
    said = FAILING_BOTS.get(request.model.id)
    if said is None:
        return None
    plan = said[1]
    if plan.status == 404:  # the message echoes the caller's spelling, like Poe's
        return replace(plan, message=failures.model_not_found(request.requested_name).message)
    return plan


COUNT_TOKENS = 60
COUNT_PAUSE_AFTER = 30
COUNT_GAP_SECONDS = 0.05
COUNT_PAUSE_SECONDS = 3.0


def count_token(number: int) -> str:
    return f"n{number:04d} "


async def demo_count(request: BotRequest, pace: Pace) -> AsyncIterator[Piece]:
    """Numbered tokens, one at a time, with a long pause after COUNT_PAUSE_AFTER (its
    delays have floors: it is slow on purpose, even on a server at speed 0)."""
    for number in range(1, COUNT_TOKENS + 1):
        if number > 1:
            yield Sleep(pace.delay(COUNT_GAP_SECONDS, floor=COUNT_GAP_SECONDS / 2))
        yield Text(count_token(number))
        if number == COUNT_PAUSE_AFTER:
            yield Sleep(pace.delay(COUNT_PAUSE_SECONDS, floor=COUNT_PAUSE_SECONDS))


BOTS: dict[str, Bot] = {
    "demo-showcase": showcase,
    "echo": echo,
    "slow-echo": slow_echo,
    "demo-params": demo_params,
    "demo-suggest": demo_suggest,
    "demo-replace": demo_replace,
    "demo-thinking": demo_thinking,
    "demo-image": demo_image,
    "demo-count": demo_count,
    **{name: saying(text) for name, (text, _) in FAILING_BOTS.items()},
}


def bot_for(model: Model) -> Bot:
    """The behaviour behind a catalogue entry; every realistic model gets `friendly`."""
    return BOTS.get(model.id, friendly)

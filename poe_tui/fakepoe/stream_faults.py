"""Broken replies on demand, for every chat transport: the server side of the fault matrix.

A fault is chosen per request with the header `x-fakepoe-fault: <mode>`, or armed from a
test for the next chat request(s) with `FakePoeServer.arm_fault(mode, times=1)`, so that
a retry afterwards succeeds. A mode is one of `Fault` or an HTTP status from
`failures.BY_STATUS` ("429"). Mid-stream faults strike after the bot's first few text
chunks, so a client has partial text to keep.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator
from enum import StrEnum
from typing import Any, Literal

from starlette.responses import HTMLResponse, Response

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.bots import Drop, Fail, Piece, Raw, Sleep, Stop, Text
from poe_tui.fakepoe.common import Call
from poe_tui.fakepoe.failures import Failure

FAULT_HEADER = "x-fakepoe-fault"
TEXT_BEFORE_FAULT = 2  # text chunks a mid-stream fault lets through first
STALL_SECONDS = 30.0  # silence longer than any read timeout a test sets
HUGE_EVENT_BYTES = 5 * 1024 * 1024
GARBAGE_SEED = 8
GARBAGE_BYTES = 512
WRONG_TYPE_PAGE = "<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>"

Wire = Literal["native", "openai", "anthropic"]


class Fault(StrEnum):
    """What can go wrong with a reply once the server has said 200."""

    ERROR = "error"  # the wire's error object or event, after some text
    RESET = "reset"  # the connection cut mid-body, after some text
    NO_DONE = "no-done"  # the body ends cleanly but without its closing event
    STALL = "stall"  # silence for STALL_SECONDS after some text
    MALFORMED = "malformed"  # one event whose JSON is cut short
    WRONG_TYPE = "wrong-type"  # 200 with an HTML page instead of a stream
    HUGE = "huge"  # one 5 MB event
    GARBAGE = "garbage"  # random bytes that are not UTF-8, after some text


def modes() -> list[str]:
    """Every mode the header and `arm_fault` accept, streaming faults first."""
    return [*(f.value for f in Fault), *(str(status) for status in failures.BY_STATUS)]


def parse(mode: str) -> Fault | Failure:
    """The fault a mode names; ValueError for a mode nobody knows."""
    text = mode.strip().lower()
    if text.isdigit() and int(text) in failures.BY_STATUS:
        return failures.BY_STATUS[int(text)]
    try:
        return Fault(text)
    except ValueError:
        raise ValueError(f"unknown fault {mode!r}; choose one of {', '.join(modes())}") from None


def take(call: Call) -> Fault | Failure | None:
    """The fault for this chat request: the header's, else one armed on the server."""
    header = call.request.headers.get(FAULT_HEADER)
    if header is not None:
        try:
            return parse(header)
        except ValueError as exc:
            return failures.bad_request(str(exc))
    armed = call.state.take_fault()
    return parse(armed) if armed is not None else None


def wrong_type_response(call: Call) -> Response:
    return HTMLResponse(WRONG_TYPE_PAGE, 200, headers=call.headers())


async def inject(
    fault: Fault | None, pieces: AsyncIterator[Piece], wire: Wire
) -> AsyncIterator[Piece]:
    """The bot's pieces with `fault` put in after its first text chunks."""
    if fault is None:
        async for piece in pieces:
            yield piece
        return
    spoken = 0
    async for piece in pieces:
        yield piece
        spoken += isinstance(piece, Text)
        if spoken == TEXT_BEFORE_FAULT:
            break
    for piece in _fault_pieces(fault, wire):
        yield piece
    if fault in (Fault.STALL, Fault.MALFORMED, Fault.HUGE, Fault.GARBAGE):
        # The server goes on as if nothing happened; the client must not.
        async for piece in pieces:
            yield piece


def _fault_pieces(fault: Fault, wire: Wire) -> list[Piece]:
    match fault:
        case Fault.ERROR:
            return [Fail(failures.UPSTREAM)]
        case Fault.RESET:
            return [Drop()]
        case Fault.NO_DONE:
            return [Stop()]
        case Fault.STALL:
            return [Sleep(STALL_SECONDS)]
        case Fault.MALFORMED:
            return [Raw(malformed_event(wire))]
        case Fault.HUGE:
            return [Raw(text_event(wire, "x" * HUGE_EVENT_BYTES))]
        case Fault.GARBAGE:
            return [Raw(garbage())]
    return []  # WRONG_TYPE is answered before any piece


def _event(wire: Wire, data: str) -> bytes:
    if wire == "native":  # fastapi-poe's CRLF framing, like the route's default
        return f"event: text\r\ndata: {data}\r\n\r\n".encode()
    if wire == "anthropic":
        return f"event: content_block_delta\ndata: {data}\n\n".encode()
    return f"data: {data}\n\n".encode()


def _text_payload(wire: Wire, text: str) -> dict[str, Any]:
    if wire == "native":
        return {"text": text}
    if wire == "anthropic":
        delta = {"type": "text_delta", "text": text}
        return {"type": "content_block_delta", "index": 0, "delta": delta}
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    return {"object": "chat.completion.chunk", "choices": [choice]}


def text_event(wire: Wire, text: str) -> bytes:
    """A well-formed text event of the wire's format."""
    return _event(wire, json.dumps(_text_payload(wire, text), ensure_ascii=False))


def malformed_event(wire: Wire) -> bytes:
    """A text event whose JSON stops half way (a proxy that cut a line short)."""
    payload = json.dumps(_text_payload(wire, "and then"))
    return _event(wire, payload[: len(payload) // 2])


def garbage() -> bytes:
    """The same random bytes every time; 0xFF never occurs in UTF-8, so none decode."""
    noise = random.Random(GARBAGE_SEED).randbytes(GARBAGE_BYTES)
    return b"\xff\xfe" + noise + b"\n\n"

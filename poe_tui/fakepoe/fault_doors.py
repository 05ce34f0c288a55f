"""How every door applies the fault plan (fault_plan.py), so each route reads it once.

A route calls `plan_for(call, door)` at one place, answers `refusal(...)` if there is
one (a status, a drop, an HTML page), and the chat doors run their bot through
`run_bot`, which breaks the reply as the plan (or the `fail-…` bot's own plan) says.
"""

from __future__ import annotations

import json
import random
from collections.abc import AsyncIterator, Callable
from enum import StrEnum
from typing import Any

from starlette.responses import HTMLResponse, Response

from poe_tui.fakepoe.bots import (
    BotRequest,
    Drop,
    Fail,
    Pace,
    Piece,
    Raw,
    Sleep,
    Stop,
    Text,
    bot_for,
    own_fault,
)
from poe_tui.fakepoe.common import Call
from poe_tui.fakepoe.failures import Failure
from poe_tui.fakepoe.fault_plan import HEADER, STALL_SECONDS, FaultPlan, Kind
from poe_tui.fakepoe.transport import DroppedResponse

HUGE_EVENT_BYTES = 5 * 1024 * 1024
GARBAGE_SEED = 8
GARBAGE_BYTES = 512
WRONG_TYPE_PAGE = "<!doctype html><html><body><h1>502 Bad Gateway</h1></body></html>"
# Breaks after which the server goes on as if nothing happened; the client must not.
_CARRIES_ON = (Kind.STALL, Kind.MALFORMED, Kind.HUGE, Kind.GARBAGE)


class Door(StrEnum):
    """Where a request came in: a chat door (which has a wire format) or another."""

    NATIVE = "native"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    UPLOAD = "upload"
    OTHER = "other"  # models, usage

    @property
    def chat(self) -> bool:
        return self in (Door.NATIVE, Door.OPENAI, Door.ANTHROPIC)


def plan_for(call: Call, door: Door) -> FaultPlan | None:
    """The fault for this request: its header's, else (chat doors) one armed by a test.

    A break needs a stream, so other doors answer a break's header normally. A header
    that does not parse is a 400 saying why."""
    text = call.request.headers.get(HEADER)
    if text is None:
        return call.state.take_armed_fault() if door.chat else None
    try:
        plan = FaultPlan.from_header(text)
    except ValueError as exc:
        return FaultPlan(Kind.STATUS, status=400, message=f"{HEADER}: {exc}".replace(";", ","))
    if plan.kind.breaks_a_stream and not door.chat:
        return None
    return plan if call.state.meets_fault(plan) else None


def refusal(
    call: Call, plan: FaultPlan | None, door: Door, render: Callable[[Failure], Response]
) -> Response | None:
    """What the door answers instead of its reply, if the plan strikes before it."""
    if plan is None:
        return None
    if plan.kind is Kind.STATUS:
        return _adjusted(render(plan.failure()), plan)
    if plan.kind is Kind.DROP:
        return DroppedResponse()
    if plan.kind is Kind.WRONG_TYPE and door.chat:
        return HTMLResponse(WRONG_TYPE_PAGE, 200, headers=call.headers())
    return None


def fault_refusal(call: Call, door: Door, render: Callable[[Failure], Response]) -> Response | None:
    """`refusal` for a door that has no reply to break: its plan is read here, once."""
    return refusal(call, plan_for(call, door), door, render)


def _adjusted(response: Response, plan: FaultPlan) -> Response:
    """A fault that clears lets the client retry; Retry-After as the plan says."""
    if plan.times is not None and "x-should-retry" in response.headers:
        del response.headers["x-should-retry"]
    if plan.retry_after is not None:
        response.headers["retry-after"] = plan.retry_after
    return response


def run_bot(
    plan: FaultPlan | None, request: BotRequest, pace: Pace, door: Door
) -> AsyncIterator[Piece]:
    """The bot's reply, broken by its own plan (`fail-…` bots), then by the request's."""
    pieces = bot_for(request.model)(request, pace)
    return broken(plan, broken(own_fault(request), pieces, door), door)


async def broken(
    plan: FaultPlan | None, pieces: AsyncIterator[Piece], door: Door
) -> AsyncIterator[Piece]:
    """The pieces, with the plan's break put in after `plan.after` characters of text."""
    if plan is None or not plan.kind.breaks_a_stream or plan.kind is Kind.WRONG_TYPE:
        async for piece in pieces:
            yield piece
        return
    rest = ""
    spoken = 0
    if plan.after > 0:
        async for piece in pieces:
            if isinstance(piece, Text) and spoken + len(piece.text) >= plan.after:
                cut = plan.after - spoken
                yield Text(piece.text[:cut])
                rest = piece.text[cut:]
                break
            spoken += len(piece.text) if isinstance(piece, Text) else 0
            yield piece
    for piece in _break_pieces(plan, door):
        yield piece
    if plan.kind in _CARRIES_ON:
        if rest:
            yield Text(rest)
        async for piece in pieces:
            yield piece


def _break_pieces(plan: FaultPlan, door: Door) -> list[Piece]:
    match plan.kind:
        case Kind.ERROR:
            return [Fail(plan.failure())]
        case Kind.RESET:
            return [Drop()]
        case Kind.NO_DONE:
            return [Stop()]
        case Kind.STALL:
            return [Sleep(STALL_SECONDS)]
        case Kind.MALFORMED:
            return [Raw(malformed_event(door))]
        case Kind.HUGE:
            return [Raw(text_event(door, "x" * HUGE_EVENT_BYTES))]
        case Kind.GARBAGE:
            return [Raw(garbage())]
    return []


def _event(door: Door, data: str) -> bytes:
    if door is Door.NATIVE:  # fastapi-poe's CRLF framing, like the route's default
        return f"event: text\r\ndata: {data}\r\n\r\n".encode()
    if door is Door.ANTHROPIC:
        return f"event: content_block_delta\ndata: {data}\n\n".encode()
    return f"data: {data}\n\n".encode()


def _text_payload(door: Door, text: str) -> dict[str, Any]:
    if door is Door.NATIVE:
        return {"text": text}
    if door is Door.ANTHROPIC:
        delta = {"type": "text_delta", "text": text}
        return {"type": "content_block_delta", "index": 0, "delta": delta}
    choice = {"index": 0, "delta": {"content": text}, "finish_reason": None}
    return {"object": "chat.completion.chunk", "choices": [choice]}


def text_event(door: Door, text: str) -> bytes:
    """A well-formed text event of the door's wire format."""
    return _event(door, json.dumps(_text_payload(door, text), ensure_ascii=False))


def malformed_event(door: Door) -> bytes:
    """A text event whose JSON stops half way (a proxy that cut a line short)."""
    payload = json.dumps(_text_payload(door, "and then"))
    return _event(door, payload[: len(payload) // 2])


def garbage() -> bytes:
    """The same random bytes every time; 0xFF never occurs in UTF-8, so none decode."""
    noise = random.Random(GARBAGE_SEED).randbytes(GARBAGE_BYTES)
    return b"\xff\xfe" + noise + b"\n\n"

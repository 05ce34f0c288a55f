"""`POST /bot/<Name>`: the native Poe protocol (§1, §9 items 4-8).

Bots fail the way api.poe.com tells API-key clients: HTTP 200 and an `error` event
(rate limit, points, unknown bot, crash). Only a bad key and a fault plan's status
(fault_plan.py) give raw HTTP statuses; the plan `error; status=S; after=0` gives that
failure as an `error` event instead, whatever the bot. The plan is read once the request
is known to be a query, so fastapi-poe's back-channel requests never use up an armed
one. The default bytes are those of a fastapi-poe server (CRLF,
spaced JSON, a leading `meta`); the request header `x-fakepoe-sse` varies them for
tests with comma-separated flags: `lf`, `compact`, `no-meta`, `no-done` and `noise`
(a comment, a ping, a `data` event, an unknown event and a late `meta`).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.bots import (
    Attachment,
    BotRequest,
    Drop,
    Fail,
    Pace,
    Piece,
    Raw,
    Replace,
    SendFile,
    Stop,
    Suggest,
    Text,
    Think,
)
from poe_tui.fakepoe.catalogue import Model, find_model
from poe_tui.fakepoe.common import Call, begin
from poe_tui.fakepoe.failures import Failure
from poe_tui.fakepoe.fault_doors import Door, broken, plan_for, refusal, run_bot
from poe_tui.fakepoe.fault_plan import FaultPlan
from poe_tui.fakepoe.native_request import NativeQuery, parse_query
from poe_tui.fakepoe.replies import charge, prompt_tokens, without_sleeps
from poe_tui.fakepoe.transport import (
    ConnectionDropped,
    DroppableStreamingResponse,
    open_reply,
    replay,
)
from poe_tui.fakepoe.upload_routes import uploaded_size

STYLE_HEADER = "x-fakepoe-sse"
SSE_HEADERS = {"cache-control": "no-store", "x-accel-buffering": "no"}
RATE_LIMIT_TEXT = "You have exceeded rate limit to query bot using User API Key. Try again later."
INTERNAL_ERROR_TEXT = "Internal server error"
BOT_CRASHED_TEXT = "The bot encountered an unexpected issue."  # fastapi-poe's words
_ERROR_TYPES = {402: "insufficient_fund", 413: "user_message_too_long"}
# Answers to the back-channel requests fastapi-poe's client makes to the same URL.
BACK_CHANNEL: dict[str, dict[str, Any]] = {
    "settings": {"allow_attachments": True, "expand_text_attachments": True},
    "report_error": {},
    "report_feedback": {},
    "report_reaction": {},
}


@dataclass(frozen=True)
class SseStyle:
    newline: str = "\r\n"
    compact: bool = False
    meta: bool = True
    done: bool = True
    noise: bool = False

    @classmethod
    def parse(cls, header: str | None) -> SseStyle:
        flags = {flag.strip().lower() for flag in (header or "").split(",")}
        return cls(
            newline="\n" if "lf" in flags else "\r\n",
            compact="compact" in flags,
            meta="no-meta" not in flags,
            done="no-done" not in flags,
            noise="noise" in flags,
        )

    def event(self, name: str, data: dict[str, Any]) -> bytes:
        separators = (",", ":") if self.compact else (", ", ": ")
        payload = json.dumps(data, separators=separators, ensure_ascii=False)
        return f"event: {name}{self.newline}data: {payload}{self.newline}{self.newline}".encode()

    def noise_events(self) -> list[bytes]:
        """What a client must skip: sse-starlette's comment ping, an old-style ping,
        a `data` event, an event from the future and a meta that is not first."""
        late_meta = {"content_type": "text/plain", "suggested_replies": True, "linkify": False}
        return [
            f": ping - {time.time():.0f}{self.newline}{self.newline}".encode(),
            self.event("ping", {}),
            self.event("data", {"metadata": "fakepoe"}),
            self.event("future_event", {"anything": [1, 2, 3]}),
            self.event("meta", late_meta),
        ]


def error_data(failure: Failure) -> dict[str, Any]:
    """A transport-neutral failure as the native `error` event's data (§1.5, §8)."""
    if failure.status == 429:
        return {"allow_retry": True, "text": RATE_LIMIT_TEXT}
    if failure.status == 402:
        return {"allow_retry": False, "text": failure.message, "error_type": "insufficient_fund"}
    if failure.status == 413:
        return {
            "allow_retry": False,
            "text": failure.message,
            "error_type": "user_message_too_long",
        }
    if failure.status == 404:
        return {"allow_retry": True, "text": INTERNAL_ERROR_TEXT}
    if failure.status == 500:
        return {"allow_retry": False, "text": BOT_CRASHED_TEXT, "raw_response": failure.message}
    return {"allow_retry": failure.status >= 500 or failure.status == 408, "text": failure.message}


def thinking_chunk(model_name: str, text: str) -> dict[str, Any]:
    """Reasoning as Poe's `json` event carries it: an OpenAI chunk (§1.3, §1.6)."""
    return {
        "id": f"chatcmpl-{secrets.token_hex(12)}",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model_name,
        "choices": [{"index": 0, "delta": {"reasoning_content": text}, "finish_reason": None}],
    }


async def bot_endpoint(request: Request) -> Response:
    call = await begin(request)
    failure = call.auth_failure()
    if failure is not None:
        return call.error(failure)
    body = call.body
    if not isinstance(body, dict) or not isinstance(body.get("type"), str):
        return call.error(failures.bad_request("The body must be a JSON object with a `type`."))
    kind = body["type"]
    if kind in BACK_CHANNEL:
        return call.json(BACK_CHANNEL[kind])
    if kind != "query":
        unsupported = f"Unsupported request type {kind!r}."
        return call.error(Failure(501, "invalid_request_error", unsupported, 501))
    plan = plan_for(call, Door.NATIVE)
    faulted = refusal(call, plan, Door.NATIVE, call.error)
    if faulted is not None:
        return faulted
    query = parse_query(body)
    if isinstance(query, Failure):
        return call.error(query)
    return await respond(call, request.path_params["name"], query, plan)


def with_sizes(call: Call, attachments: tuple[Attachment, ...]) -> tuple[Attachment, ...]:
    """Attachments by URL, with the size of those this server holds (its uploads)."""
    return tuple(
        replace(a, size=uploaded_size(call.request, a.url)) if a.url else a for a in attachments
    )


async def _failing(failure: Failure) -> AsyncIterator[Piece]:
    yield Fail(failure)


def _pieces(
    call: Call, name: str, model: Model | None, query: NativeQuery, plan: FaultPlan | None
) -> AsyncIterator[Piece]:
    if model is None:
        return broken(plan, _failing(failures.model_not_found(name)), Door.NATIVE)
    if not model.is_free and call.state.snapshot_balance() <= 0:
        return broken(plan, _failing(failures.INSUFFICIENT_POINTS), Door.NATIVE)
    bot_request = BotRequest(
        model,
        name,
        query.messages,
        with_sizes(call, query.attachments),
        query.parameters,
        server_url=str(call.request.base_url),
    )
    return run_bot(plan, bot_request, Pace(call.config.speed), Door.NATIVE)


async def respond(
    call: Call, name: str, query: NativeQuery, plan: FaultPlan | None = None
) -> Response:
    model = find_model(name, private=True)
    pieces = _pieces(call, name, model, query, plan)
    failed, taken = await open_reply(pieces)
    if failed is not None and failed.failure.status == 401:
        return call.error(failed.failure)  # the key is checked before any bot runs
    first = (failed,) if failed is not None else taken
    reply = NativeReply(
        call, model, name, query, SseStyle.parse(call.request.headers.get(STYLE_HEADER))
    )
    return DroppableStreamingResponse(
        reply.body(replay(first, pieces, call.config.closing)),
        headers=call.headers(SSE_HEADERS),
        media_type="text/event-stream",
    )


@dataclass
class NativeReply:
    """One native reply being streamed: where it goes and the text so far (for billing)."""

    call: Call
    model: Model | None
    name: str
    query: NativeQuery
    style: SseStyle
    text: str = ""
    thinking: str = ""

    def meta(self) -> bytes:
        suggests = self.model is not None and self.model.id == "demo-suggest"
        data = {
            "content_type": "text/markdown",
            "refetch_settings": False,
            "linkify": True,
            "suggested_replies": suggests,
        }
        return self.style.event("meta", data)

    async def body(self, pieces: AsyncIterator[Piece]) -> AsyncIterator[bytes]:
        if self.style.meta:
            yield self.meta()
        if self.style.noise:
            for chunk in self.style.noise_events():
                yield chunk
        async for piece in without_sleeps(pieces):
            if isinstance(piece, Drop):
                raise ConnectionDropped
            if isinstance(piece, Stop):
                return
            if isinstance(piece, Raw):
                yield piece.data
                continue
            yield self.render(piece)
            if isinstance(piece, Fail):
                break
        else:
            if self.model is not None:
                charge(self.call, self.model, prompt_tokens(self.query.messages), self.spoken)
        if self.style.done:
            yield self.style.event("done", {})

    @property
    def spoken(self) -> str:
        return self.thinking + self.text

    def render(self, piece: Piece) -> bytes:
        event = self.style.event
        if isinstance(piece, Text):
            self.text += piece.text
            return event("text", {"text": piece.text})
        if isinstance(piece, Replace):
            self.text = piece.text
            return event("replace_response", {"text": piece.text})
        if isinstance(piece, Suggest):
            return event("suggested_reply", {"text": piece.text})
        if isinstance(piece, Think):
            self.thinking += piece.text
            return event("json", thinking_chunk(self.name, piece.text))
        if isinstance(piece, SendFile):
            file = {"url": piece.url, "content_type": piece.content_type, "name": piece.name}
            return event("file", {**file, "inline_ref": None})
        if isinstance(piece, Fail):
            return event("error", error_data(piece.failure))
        raise TypeError(f"cannot render {piece!r}")  # Sleep and Drop never get here


def routes() -> list[BaseRoute]:
    return [Route("/bot/{name}", bot_endpoint, methods=["POST"])]

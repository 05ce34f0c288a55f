"""`POST /v1/chat/completions`: the OpenAI-compatible transport (§4.1-4.4, §9 items 9-13)."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.billing import estimate_tokens, reply_cost
from poe_tui.fakepoe.bots import (
    BotRequest,
    Drop,
    Fail,
    Pace,
    Piece,
    Raw,
    Sleep,
    Stop,
    Think,
    flattened_text,
)
from poe_tui.fakepoe.catalogue import Model, find_model
from poe_tui.fakepoe.common import JSON_TYPE, Call, begin
from poe_tui.fakepoe.fault_doors import Door, plan_for, refusal, run_bot
from poe_tui.fakepoe.fault_plan import FaultPlan
from poe_tui.fakepoe.openai_request import ChatRequest, parse_chat
from poe_tui.fakepoe.transport import (
    ConnectionDropped,
    DroppableStreamingResponse,
    TruncatedResponse,
    open_reply,
    replay,
)

FEATURE_HEADERS = {"x-poe-feature-active": "chat-completions-legacy"}
SSE_HEADERS = {"cache-control": "no-cache", **FEATURE_HEADERS}
DONE = b"data: [DONE]\n\n"


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sse(value: Any) -> bytes:
    return f"data: {_dumps(value)}\n\n".encode()


def usage_json(prompt_tokens: int, completion_tokens: int) -> dict[str, int]:
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


@dataclass
class Reply:
    """One completion being produced: ids, the model and the text so far."""

    chat: ChatRequest
    model: Model
    id: str
    created: int
    prompt_tokens: int
    text: str = ""
    reasoning: str = ""

    def chunk(self, delta: dict[str, Any], finish: str | None = None) -> bytes:
        return sse(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.chat.model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            }
        )

    def usage(self) -> dict[str, int]:
        return usage_json(self.prompt_tokens, estimate_tokens(self.reasoning + self.text))

    def usage_chunk(self) -> bytes:
        return sse(
            {
                "id": self.id,
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.chat.model,
                "choices": [],
                "usage": self.usage(),
            }
        )

    def body(self) -> dict[str, Any]:
        message = {"role": "assistant", "content": self.text}
        if self.reasoning:  # reasoning models carry both keys (§4.2)
            message |= {"reasoning_content": self.reasoning, "reasoning": self.reasoning}
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.chat.model,  # the caller's spelling, as Poe does
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": self.usage(),
        }


def new_reply(chat: ChatRequest, model: Model) -> Reply:
    prompt = "\n".join(m.text for m in chat.messages)
    return Reply(
        chat, model, f"chatcmpl-{secrets.token_hex(12)}", int(time.time()), estimate_tokens(prompt)
    )


def bill(call: Call, reply: Reply) -> None:
    """Only finished replies cost points; failures and drops are free."""
    usage = reply.usage()
    cost = reply_cost(reply.model, usage["prompt_tokens"], usage["completion_tokens"])
    call.state.charge(reply.model, cost)


async def chat_completions(request: Request) -> Response:
    call = await begin(request)
    plan = plan_for(call, Door.OPENAI)
    faulted = refusal(call, plan, Door.OPENAI, partial(call.error, extra=FEATURE_HEADERS))
    if faulted is not None:
        return faulted
    failure = call.auth_failure()
    if failure is None and call.body is None:
        failure = failures.bad_request("The request body is not valid JSON.")
    if failure is not None:
        return call.error(failure, FEATURE_HEADERS)
    chat = parse_chat(call.body)
    if isinstance(chat, failures.Failure):
        return call.error(chat, FEATURE_HEADERS)
    call.record.extra.update(chat.extra)
    model = find_model(chat.model)
    if model is None:
        return call.error(failures.model_not_found(chat.model), FEATURE_HEADERS)
    if not model.is_free and call.state.snapshot_balance() <= 0:
        return call.error(failures.INSUFFICIENT_POINTS, FEATURE_HEADERS)
    return await respond(call, chat, model, plan)


async def respond(
    call: Call, chat: ChatRequest, model: Model, plan: FaultPlan | None = None
) -> Response:
    bot_request = BotRequest(
        model,
        chat.model,
        chat.messages,
        chat.attachments,
        chat.extra,
        server_url=str(call.request.base_url),
    )
    pieces = run_bot(plan, bot_request, Pace(call.config.speed), Door.OPENAI)
    failed, taken = await open_reply(pieces)
    if failed is not None:
        return call.error(failed.failure, FEATURE_HEADERS)
    reply = new_reply(chat, model)
    all_pieces = replay(taken, pieces, call.config.closing)
    if chat.stream:
        return DroppableStreamingResponse(
            stream_body(call, reply, all_pieces),
            headers=call.headers(SSE_HEADERS),
            media_type="text/event-stream",
        )
    return await complete(call, reply, all_pieces)


async def stream_body(
    call: Call, reply: Reply, pieces: AsyncIterator[Piece]
) -> AsyncIterator[bytes]:
    yield reply.chunk({"role": "assistant", "content": ""})
    async for piece in pieces:
        if isinstance(piece, Sleep):
            await asyncio.sleep(piece.seconds)
        elif isinstance(piece, Think):
            reply.reasoning += piece.text
            yield reply.chunk({"reasoning_content": piece.text})
        elif flattened_text(piece):
            text = flattened_text(piece) or ""
            reply.text += text
            yield reply.chunk({"content": text})
        elif isinstance(piece, Raw):
            yield piece.data
        elif isinstance(piece, Stop):
            return
        elif isinstance(piece, Fail):
            # The form the openai SDK turns into APIError; the stream ends without [DONE].
            failure = piece.failure
            yield sse({"error": {"message": failure.message, "type": failure.type}})
            return
        elif isinstance(piece, Drop):
            raise ConnectionDropped
    bill(call, reply)  # before [DONE], so a client that saw [DONE] sees the new balance
    yield reply.chunk({}, "stop")
    if reply.chat.include_usage:
        yield reply.usage_chunk()
    yield DONE


async def complete(call: Call, reply: Reply, pieces: AsyncIterator[Piece]) -> Response:
    async for piece in pieces:
        if isinstance(piece, Sleep):
            await asyncio.sleep(piece.seconds)
        elif isinstance(piece, Think):
            reply.reasoning += piece.text
        elif flattened_text(piece):
            reply.text += flattened_text(piece) or ""
        elif isinstance(piece, Fail):
            return call.error(piece.failure, FEATURE_HEADERS)
        elif isinstance(piece, Drop):
            return TruncatedResponse(
                _dumps(reply.body()), headers=call.headers(FEATURE_HEADERS), media_type=JSON_TYPE
            )
    bill(call, reply)
    return call.json(reply.body(), extra=FEATURE_HEADERS)


def routes() -> list[BaseRoute]:
    return [Route("/v1/chat/completions", chat_completions, methods=["POST"])]

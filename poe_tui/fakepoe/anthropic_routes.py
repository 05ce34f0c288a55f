"""`POST /v1/messages`: the Anthropic-compatible transport (§7, §9 item 17).

Claude models only, plus the demo bots that list `/v1/messages` among their endpoints
(so the failure bots can be tried here too). Errors use Anthropic's shape and statuses;
the response `model` is the resolved Anthropic id, ids start with `req_poe_`, and usage
carries Poe's extra `total_tokens`.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.anthropic_request import MessagesRequest, parse_messages
from poe_tui.fakepoe.billing import estimate_tokens
from poe_tui.fakepoe.bots import (
    BotRequest,
    Drop,
    Fail,
    Pace,
    Piece,
    Raw,
    Stop,
    Think,
    flattened_text,
)
from poe_tui.fakepoe.catalogue import Model, find_model
from poe_tui.fakepoe.common import JSON_TYPE, Call, bearer_key, begin
from poe_tui.fakepoe.failures import Failure
from poe_tui.fakepoe.fault_doors import Door, plan_for, refusal, run_bot
from poe_tui.fakepoe.fault_plan import FaultPlan
from poe_tui.fakepoe.replies import charge, prompt_tokens, without_sleeps
from poe_tui.fakepoe.transport import (
    ConnectionDropped,
    DroppableStreamingResponse,
    TruncatedResponse,
    open_reply,
    replay,
)

PATH = "/v1/messages"
RATE_LIMIT_REQUESTS = 500
# Poe names and the Anthropic ids it resolves them to (the response carries the latter).
RESOLVED_IDS = {
    "claude-sonnet-4.5": "claude-sonnet-4-5-20250929",
    "claude-haiku-4.5": "claude-haiku-4-5-20251001",
    "claude-opus-4.1": "claude-opus-4-1-20250805",
}
_POE_NAMES = {anthropic_id: poe for poe, anthropic_id in RESOLVED_IDS.items()}
ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    408: "timeout_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    502: "api_error",
    529: "overloaded_error",
}


def find_claude(name: str) -> Model | None:
    """A model this route serves, by Poe name or Anthropic id; None otherwise."""
    model = find_model(_POE_NAMES.get(name.strip().lower(), name))
    if model is None:
        return None
    endpoints = model.entry.get("supported_endpoints") or []
    claude = model.id.startswith("claude") or model.owned_by.lower() == "anthropic"
    return model if claude or PATH in endpoints else None


def error_body(failure: Failure, request_id: str) -> dict[str, Any]:
    kind = ERROR_TYPES.get(failure.status, "api_error")
    error = {"type": kind, "message": failure.message}
    return {"type": "error", "error": error, "request_id": request_id}


def _headers(call: Call, extra: dict[str, str] | None = None) -> dict[str, str]:
    reset = datetime.now(UTC).replace(microsecond=0) + timedelta(minutes=1)
    remaining = max(0, RATE_LIMIT_REQUESTS - call.state.count(PATH))
    return {
        "request-id": call.request_id,
        "x-request-id": call.request_id,
        "anthropic-ratelimit-requests-limit": str(RATE_LIMIT_REQUESTS),
        "anthropic-ratelimit-requests-remaining": str(remaining),
        "anthropic-ratelimit-requests-reset": reset.isoformat().replace("+00:00", "Z"),
        **(extra or {}),
    }


def error_response(call: Call, failure: Failure) -> JSONResponse:
    # x-should-retry: false keeps the anthropic SDK from silently retrying 429/5xx.
    extra = {"x-should-retry": "false"}
    if failure.retry_after is not None:
        extra["retry-after"] = str(failure.retry_after)
    body = error_body(failure, call.request_id)
    return JSONResponse(body, failure.status, headers=_headers(call, extra), media_type=JSON_TYPE)


def auth_failure(request: Request, api_key: str | None) -> Failure | None:
    """x-api-key, or Bearer; when both are sent, x-api-key wins (§7)."""
    key = request.headers.get("x-api-key", "").strip() or bearer_key(request)
    if not key:
        return failures.AUTHENTICATION.with_message(
            "Missing API key: send `x-api-key: <POE_API_KEY>`."
        )
    if api_key is not None and key != api_key:
        return failures.AUTHENTICATION
    return None


def _precheck(call: Call) -> Failure | None:
    request = call.request
    failure = auth_failure(request, call.config.api_key)
    if failure is None and not request.headers.get("anthropic-version"):
        failure = failures.bad_request("anthropic-version: header is required")
    if failure is None and call.body is None:
        failure = failures.bad_request("The request body is not valid JSON.")
    return failure


async def create_message(request: Request) -> Response:
    call = await begin(request)
    plan = plan_for(call, Door.ANTHROPIC)
    faulted = refusal(call, plan, Door.ANTHROPIC, partial(error_response, call))
    if faulted is not None:
        return faulted
    failure = _precheck(call)
    if failure is not None:
        return error_response(call, failure)
    parsed = parse_messages(call.body)
    if isinstance(parsed, Failure):
        return error_response(call, parsed)
    model = find_claude(parsed.model)
    if model is None:
        return error_response(call, failures.NOT_FOUND.with_message(f"model: {parsed.model}"))
    if not model.is_free and call.state.snapshot_balance() <= 0:
        return error_response(call, failures.INSUFFICIENT_POINTS)
    return await respond(call, parsed, model, plan)


async def respond(
    call: Call, parsed: MessagesRequest, model: Model, plan: FaultPlan | None = None
) -> Response:
    params = {"thinking_budget": parsed.thinking_budget} if parsed.thinking_budget else {}
    bot_request = BotRequest(
        model,
        parsed.model,
        parsed.messages,
        parsed.attachments,
        params,
        server_url=str(call.request.base_url),
    )
    pieces = run_bot(plan, bot_request, Pace(call.config.speed), Door.ANTHROPIC)
    failed, taken = await open_reply(pieces)
    if failed is not None:
        return error_response(call, failed.failure)
    reply = MessageReply(call, parsed, model, f"req_poe_{secrets.token_hex(16)}")
    all_pieces = without_sleeps(replay(taken, pieces, call.config.closing))
    if parsed.stream:
        return DroppableStreamingResponse(
            reply.stream(all_pieces), headers=_headers(call), media_type="text/event-stream"
        )
    return await reply.complete(all_pieces)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def sse(event: str, data: dict[str, Any]) -> bytes:
    return f"event: {event}\ndata: {_dumps(data)}\n\n".encode()


@dataclass
class MessageReply:
    """One message being produced: its content blocks so far and its usage."""

    call: Call
    parsed: MessagesRequest
    model: Model
    id: str
    blocks: list[dict[str, Any]] = field(default_factory=list)

    @property
    def resolved_model(self) -> str:
        return RESOLVED_IDS.get(self.model.id, self.parsed.model)

    def usage(self) -> dict[str, Any]:
        prompt = prompt_tokens(self.parsed.messages)
        output = estimate_tokens(self.spoken())
        return {
            "input_tokens": prompt,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
            "output_tokens": output,
            "total_tokens": prompt + output,
            "service_tier": "standard",
        }

    def spoken(self) -> str:
        return "".join(b.get("text", "") + b.get("thinking", "") for b in self.blocks)

    def message(self, content: list[dict[str, Any]], stop: str | None) -> dict[str, Any]:
        return {
            "model": self.resolved_model,
            "id": self.id,
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": self.usage(),
        }

    def add(self, piece: Piece) -> tuple[str, str] | None:
        """Add a piece to the blocks; returns (block kind, new text) or None if dropped."""
        if isinstance(piece, Think):
            if not self.parsed.thinking_budget:
                return None  # thinking is only sent when the request enabled it
            kind, text = "thinking", piece.text
        else:
            flat = flattened_text(piece)
            if not flat:
                return None  # suggested replies have no Anthropic form
            kind, text = "text", flat
        if not self.blocks or self.blocks[-1]["type"] != kind:
            self.blocks.append(_new_block(kind))
        self.blocks[-1][kind] += text
        return kind, text

    async def stream(self, pieces: AsyncIterator[Piece]) -> AsyncIterator[bytes]:
        yield sse("message_start", {"type": "message_start", "message": self.message([], None)})
        yield sse("ping", {"type": "ping"})
        async for piece in pieces:
            if isinstance(piece, Drop):
                raise ConnectionDropped
            if isinstance(piece, Stop):
                return
            if isinstance(piece, Raw):
                yield piece.data
                continue
            if isinstance(piece, Fail):
                yield sse("error", error_body(piece.failure, self.id))
                return
            count = len(self.blocks)
            added = self.add(piece)
            if added is None:
                continue
            if len(self.blocks) > count:
                for chunk in self._switch_block(count):
                    yield chunk
            yield sse("content_block_delta", _delta(len(self.blocks) - 1, *added))
        for chunk in self._close_block(len(self.blocks) - 1):
            yield chunk
        charge(self.call, self.model, prompt_tokens(self.parsed.messages), self.spoken())
        delta = {"stop_reason": "end_turn", "stop_sequence": None}
        usage = {"output_tokens": self.usage()["output_tokens"]}
        yield sse("message_delta", {"type": "message_delta", "delta": delta, "usage": usage})
        yield sse("message_stop", {"type": "message_stop"})

    def _switch_block(self, new_index: int) -> list[bytes]:
        """Close the previous block (if any) and open the new, empty one."""
        kind = self.blocks[new_index]["type"]
        # The start event carries the block empty; its text follows as deltas.
        block = {"type": kind, kind: "", **({"signature": ""} if kind == "thinking" else {})}
        start = {"type": "content_block_start", "index": new_index, "content_block": block}
        return [*self._close_block(new_index - 1), sse("content_block_start", start)]

    def _close_block(self, index: int) -> list[bytes]:
        if index < 0:
            return []
        chunks = []
        if self.blocks[index]["type"] == "thinking":
            signature = {"type": "signature_delta", "signature": self.blocks[index]["signature"]}
            chunks.append(sse("content_block_delta", _delta_raw(index, signature)))
        chunks.append(sse("content_block_stop", {"type": "content_block_stop", "index": index}))
        return chunks

    async def complete(self, pieces: AsyncIterator[Piece]) -> Response:
        async for piece in pieces:
            if isinstance(piece, Fail):
                return error_response(self.call, piece.failure)
            if isinstance(piece, Drop):
                body = _dumps(self.message(self.blocks, "end_turn"))
                return TruncatedResponse(body, headers=_headers(self.call), media_type=JSON_TYPE)
            self.add(piece)
        charge(self.call, self.model, prompt_tokens(self.parsed.messages), self.spoken())
        message = self.message(self.blocks, "end_turn")
        return JSONResponse(message, headers=_headers(self.call), media_type=JSON_TYPE)


def _new_block(kind: str) -> dict[str, Any]:
    if kind == "thinking":
        # A stand-in for the opaque signature real thinking blocks carry.
        return {"type": "thinking", "thinking": "", "signature": secrets.token_urlsafe(24)}
    return {"type": "text", "text": ""}


def _delta(index: int, kind: str, text: str) -> dict[str, Any]:
    delta_type = "thinking_delta" if kind == "thinking" else "text_delta"
    return _delta_raw(index, {"type": delta_type, kind: text})


def _delta_raw(index: int, delta: dict[str, Any]) -> dict[str, Any]:
    return {"type": "content_block_delta", "index": index, "delta": delta}


def routes() -> list[BaseRoute]:
    return [Route(PATH, create_message, methods=["POST"])]

"""Chat over the Anthropic-compatible `POST {base}/v1/messages` (poe-api.md section 7).

Only Claude bots are served there: `refusal` says so, and the client asks it before
anything is sent. The one custom parameter this API can carry is the thinking budget (as
Anthropic's `thinking` block); `max_output_tokens` becomes `max_tokens`.
"""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import unquote_to_bytes

from poe_tui.core.auth import AuthScheme
from poe_tui.core.errors import (
    InvalidParameterError,
    PoeError,
    ProtocolError,
    UnsupportedTransportError,
    error_from_body,
)
from poe_tui.core.events import (
    Done,
    StreamEvent,
    StreamFailed,
    TextDelta,
    ThinkingDelta,
    Usage,
)
from poe_tui.core.files import is_text
from poe_tui.core.messages import Attachment, ChatMessage, ChatReply
from poe_tui.core.models import ModelInfo
from poe_tui.core.sse import ServerSentEvent, event_object
from poe_tui.core.transports.wire import HttpSession, cut_off, post_json, stream_sse

PATH = "/v1/messages"
AUTH = AuthScheme.X_API_KEY
ANTHROPIC_VERSION = "2023-06-01"
DEFAULT_MAX_TOKENS = 4096
MIN_THINKING_BUDGET = 1024  # Anthropic refuses smaller budgets
THINKING_PARAMETER = "thinking_budget"
MAX_TOKENS_PARAMETER = "max_output_tokens"
PARAMETERS = frozenset({THINKING_PARAMETER, MAX_TOKENS_PARAMETER})  # all this API can carry
_DOCUMENT_TYPES = frozenset({"application/pdf"})  # text files go as plain-text sources
IMAGE_TYPES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})


# --- which bots, which parameters ---------------------------------------------------


def serves(bot: str, model: ModelInfo | None = None) -> bool:
    """Whether `/v1/messages` serves this bot: a Claude id, or (when the model list is
    known) an Anthropic-owned model or one that lists the endpoint."""
    if bot.strip().casefold().startswith("claude"):
        return True
    if model is None:
        return False
    return model.owned_by.strip().casefold() == "anthropic" or PATH in model.supported_endpoints


def refusal(bot: str, model: ModelInfo | None = None) -> PoeError | None:
    if serves(bot, model):
        return None
    return UnsupportedTransportError(
        "The Anthropic-compatible API only serves Claude bots; "
        f"choose the native or OpenAI transport for {bot}."
    )


def file_refusal(name: str, content_type: str) -> PoeError | None:
    """Why this API cannot take the file (asked before anything is read or sent)."""
    is_image = content_type.startswith("image/")
    if is_image and content_type not in IMAGE_TYPES:
        return UnsupportedTransportError(
            f"The Anthropic-compatible API takes JPEG, PNG, GIF and WebP images, "
            f"not {name} ({content_type}); send it with the native transport."
        )
    if not is_image and content_type not in _DOCUMENT_TYPES and not is_text(content_type):
        return UnsupportedTransportError(
            f"The Anthropic-compatible API takes images, PDFs and text, not "
            f"{name} ({content_type}); send it with the native transport."
        )
    return None


def require_claude(bot: str, model: ModelInfo | None = None) -> None:
    error = refusal(bot, model)
    if error is not None:
        raise error


def _whole_number(name: str, value: Any) -> int:
    if isinstance(value, bool):
        raise InvalidParameterError(f"Parameter '{name}': {value!r} is not a number.")
    try:
        return int(float(value))
    except (TypeError, ValueError):
        raise InvalidParameterError(f"Parameter '{name}': {value!r} is not a number.") from None


def _limits(parameters: Mapping[str, Any]) -> tuple[int, int]:
    """(max_tokens, thinking budget); refuses parameters this API cannot carry."""
    unsupported = sorted(set(parameters) - PARAMETERS)
    if unsupported:
        raise UnsupportedTransportError(
            "The Anthropic-compatible API cannot send the parameter(s) "
            f"{', '.join(unsupported)}; use the native transport for them."
        )
    budget = max(0, _whole_number(THINKING_PARAMETER, parameters.get(THINKING_PARAMETER, 0)))
    if 0 < budget < MIN_THINKING_BUDGET:
        raise InvalidParameterError(
            f"Parameter '{THINKING_PARAMETER}' is {budget}; the Anthropic API needs 0 (off) "
            f"or at least {MIN_THINKING_BUDGET}."
        )
    max_tokens = DEFAULT_MAX_TOKENS
    if MAX_TOKENS_PARAMETER in parameters:
        max_tokens = max(1, _whole_number(MAX_TOKENS_PARAMETER, parameters[MAX_TOKENS_PARAMETER]))
    if budget and max_tokens <= budget:
        max_tokens = budget + DEFAULT_MAX_TOKENS  # the answer needs room after thinking
    return max_tokens, budget


# --- the request --------------------------------------------------------------------


def _source(attachment: Attachment) -> dict[str, Any]:
    url = attachment.url
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[5:].split(";", 1)[0] or attachment.content_type
        return {"type": "base64", "media_type": media_type, "data": data}
    return {"type": "url", "url": url}


def _text_source(attachment: Attachment) -> dict[str, Any]:
    """A text file as Anthropic's plain-text document source (base64 is for PDFs only)."""
    header, _, data = attachment.url.partition(",")
    if not attachment.url.startswith("data:"):
        raise UnsupportedTransportError(
            f"The Anthropic-compatible API takes text files inline, not a link to "
            f"{attachment.name}; send it with the native transport."
        )
    raw = base64.b64decode(data) if header.endswith(";base64") else unquote_to_bytes(data)
    return {"type": "text", "media_type": "text/plain", "data": raw.decode("utf-8", "replace")}


def _block(attachment: Attachment) -> dict[str, Any]:
    content_type = attachment.content_type
    if content_type.startswith("image/"):
        return {"type": "image", "source": _source(attachment)}
    if content_type in _DOCUMENT_TYPES:
        return {"type": "document", "source": _source(attachment), "title": attachment.name}
    if is_text(content_type):
        return {"type": "document", "source": _text_source(attachment), "title": attachment.name}
    raise UnsupportedTransportError(
        f"The Anthropic-compatible API takes images, PDFs and text, not {attachment.name} "
        f"({content_type}); send it with the native transport."
    )


def _content(text: str, attachments: Sequence[Attachment]) -> str | list[dict[str, Any]]:
    if not attachments:
        return text
    return [*(_block(a) for a in attachments), {"type": "text", "text": text}]


def _messages(
    messages: Sequence[ChatMessage], attachments: Sequence[Attachment]
) -> list[dict[str, Any]]:
    turns = [m for m in messages if m.role != "system"]
    last_user = max((i for i, m in enumerate(turns) if m.role == "user"), default=None)
    result = []
    for index, message in enumerate(turns):
        files = [*message.attachments, *(attachments if index == last_user else ())]
        result.append({"role": message.role, "content": _content(message.content, files)})
    return result


def request_body(
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    stream: bool,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> dict[str, Any]:
    max_tokens, budget = _limits(parameters or {})
    body: dict[str, Any] = {
        "model": bot,
        "max_tokens": max_tokens,
        "messages": _messages(messages, attachments),
        "stream": stream,
    }
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    if system:
        body["system"] = system
    if budget:
        body["thinking"] = {"type": "enabled", "budget_tokens": budget}
    return body


# --- the reply ----------------------------------------------------------------------


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _block_events(block: Mapping[str, Any]) -> list[StreamEvent]:
    """Text or thinking from a content block or a delta (both shapes share keys)."""
    kind = block.get("type")
    if kind in ("text", "text_delta") and isinstance(block.get("text"), str) and block["text"]:
        return [TextDelta(block["text"])]
    thinking = block.get("thinking")
    if kind in ("thinking", "thinking_delta") and isinstance(thinking, str) and thinking:
        return [ThinkingDelta(thinking)]
    return []  # signature_delta, tool input and future block types


class AnthropicReader:
    """Turns Anthropic SSE events into typed events."""

    def __init__(self) -> None:
        self._stopped = False
        self.input_tokens = 0
        self.output_tokens = 0
        self.stop_reason: str | None = None

    @property
    def finished(self) -> bool:
        return self._stopped

    def read(self, sse: ServerSentEvent) -> list[StreamEvent]:
        kind = sse.event
        if kind not in _KNOWN_EVENTS:
            return []  # ping and event types added after this was written
        data = event_object(sse)
        if kind == "error":
            raise error_from_body(None, data)
        if kind == "message_start":
            self._usage(_mapping(_mapping(data.get("message")).get("usage")))
        elif kind == "content_block_start":
            return _block_events(_mapping(data.get("content_block")))
        elif kind == "content_block_delta":
            return _block_events(_mapping(data.get("delta")))
        elif kind == "message_delta":
            reason = _mapping(data.get("delta")).get("stop_reason")
            self.stop_reason = reason if isinstance(reason, str) else self.stop_reason
            self._usage(_mapping(data.get("usage")))
        elif kind == "message_stop":
            self._stopped = True
            return [self.usage(), Done(self.stop_reason)]
        return []

    def _usage(self, usage: Mapping[str, Any]) -> None:
        # output_tokens in message_delta is cumulative, so the last value wins.
        self.input_tokens = _count(usage.get("input_tokens")) or self.input_tokens
        self.output_tokens = _count(usage.get("output_tokens")) or self.output_tokens

    def usage(self) -> Usage:
        return Usage(self.input_tokens, self.output_tokens, self.input_tokens + self.output_tokens)

    def end(self) -> list[StreamEvent]:
        if not self._stopped:
            raise cut_off()
        return []


_KNOWN_EVENTS = frozenset(
    {
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
        "error",
    }
)


def parse_message(payload: Any) -> ChatReply:
    """A non-streaming Messages reply: thinking and text blocks, stop reason, usage."""
    if not isinstance(payload, Mapping):
        raise ProtocolError("The server's reply is not a JSON object.")
    if payload.get("type") == "error":
        raise error_from_body(None, payload)
    content = payload.get("content")
    if not isinstance(content, list):
        raise ProtocolError("The server's reply has no content blocks.")
    text = thinking = ""
    for block in content:
        for event in _block_events(_mapping(block)):
            if isinstance(event, TextDelta):
                text += event.text
            elif isinstance(event, ThinkingDelta):
                thinking += event.text
    usage = _mapping(payload.get("usage"))
    prompt, completion = _count(usage.get("input_tokens")), _count(usage.get("output_tokens"))
    total = _count(usage.get("total_tokens"))
    if total is None and prompt is not None and completion is not None:
        total = prompt + completion
    reason = payload.get("stop_reason")
    return ChatReply(
        text=text,
        finish_reason=reason if isinstance(reason, str) else None,
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=total,
        thinking=thinking,
    )


async def stream(
    session: HttpSession,
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> AsyncIterator[StreamEvent]:
    """Stream a reply; never raises PoeError (failures end in `StreamFailed`)."""
    try:
        body = request_body(
            bot, messages, stream=True, parameters=parameters, attachments=attachments
        )
    except PoeError as exc:
        yield StreamFailed(exc)
        return
    events = stream_sse(
        session,
        PATH,
        body,
        auth=AUTH,
        reader=AnthropicReader(),
        headers={"anthropic-version": ANTHROPIC_VERSION},
    )
    async for event in events:
        yield event


async def complete(
    session: HttpSession,
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> ChatReply:
    body = request_body(bot, messages, stream=False, parameters=parameters, attachments=attachments)
    headers = {"anthropic-version": ANTHROPIC_VERSION}
    return parse_message(await post_json(session, PATH, body, auth=AUTH, headers=headers))

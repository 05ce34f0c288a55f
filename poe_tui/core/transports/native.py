"""Chat over the native Poe protocol, `POST {base}/bot/<Name>` (poe-api.md section 1).

Unlike fastapi-poe's client, HTTP failures are reported by their status (it turns them
all into "Error communicating with bot"). This module never retries: the caller's
`core.retry` policy decides, guided by `PoeError.retryable` (the event's `allow_retry`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from poe_tui.core.auth import AuthScheme
from poe_tui.core.botnames import bot_path
from poe_tui.core.errors import (
    BadRequestError,
    InsufficientPointsError,
    PermissionDeniedError,
    PoeError,
    ProtocolError,
    RateLimitError,
    RequestTooLargeError,
    ServerError,
)
from poe_tui.core.events import (
    Done,
    FileOutput,
    JsonData,
    Meta,
    ReplaceResponse,
    StreamEvent,
    StreamFailed,
    SuggestedReply,
    TextDelta,
    ThinkingDelta,
)
from poe_tui.core.messages import Attachment, ChatMessage, ChatReply
from poe_tui.core.sse import ServerSentEvent, event_object
from poe_tui.core.transports.wire import HttpSession, collect_reply, cut_off, stream_sse

PROTOCOL_VERSION = "1.2"
RATE_LIMIT_TEXT = "You have exceeded rate limit"
INTERNAL_ERROR_TEXT = "Internal server error"
AUTH = AuthScheme.BEARER
_ROLES = {"system": "system", "user": "user", "assistant": "bot"}


def _attachment_json(attachment: Attachment) -> dict[str, Any]:
    return {
        "url": attachment.url,
        "content_type": attachment.content_type,
        "name": attachment.name,
        "inline_ref": attachment.inline_ref,
        "parsed_content": attachment.parsed_content,
    }


def _message_json(
    message: ChatMessage, parameters: Mapping[str, Any], attachments: Sequence[Attachment]
) -> dict[str, Any]:
    """One ProtocolMessage with every field, defaults included (like fastapi-poe)."""
    return {
        "role": _ROLES[message.role],
        "message_type": None,
        "sender_id": None,
        "sender": None,
        "content": message.content,
        "parameters": dict(parameters),
        "content_type": "text/markdown",
        "timestamp": 0,
        "message_id": "",
        "feedback": [],
        "attachments": [_attachment_json(a) for a in attachments],
        "metadata": None,
        "referenced_message": None,
        "reactions": [],
    }


def _last_user_index(messages: Sequence[ChatMessage]) -> int | None:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].role == "user":
            return index
    return None


def query_request(
    messages: Sequence[ChatMessage],
    *,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> dict[str, Any]:
    """The full QueryRequest body (section 1.2). Custom parameters and the new
    attachments ride on the last user message, which is where bots read them."""
    last_user = _last_user_index(messages)
    if last_user is None and (parameters or attachments):
        raise BadRequestError("Parameters and attachments need a user message to ride on.")
    query = []
    for index, message in enumerate(messages):
        is_target = index == last_user
        files = [*message.attachments, *(attachments if is_target else ())]
        params = (parameters or {}) if is_target else {}
        query.append(_message_json(message, params, files))
    return {
        "version": PROTOCOL_VERSION,
        "type": "query",
        "query": query,
        "user_id": "",
        "conversation_id": "",
        "message_id": "",
        "metadata": "",
        "api_key": "<missing>",
        "access_key": "<missing>",
        "temperature": None,
        "skip_system_prompt": False,
        "logit_bias": {},
        "stop_sequences": [],
        "language_code": "en",
        "adopt_current_bot_name": None,
        "bot_query_id": "",
        "users": [],
        "tools": None,
        "tool_calls": None,
        "tool_results": None,
        "query_creation_time": None,
        "extra_params": None,
    }


def native_error(data: Mapping[str, Any], bot: str) -> PoeError:
    """The typed error for an `error` event; `allow_retry` decides `retryable`."""
    text = data.get("text") if isinstance(data.get("text"), str) else ""
    text = (text or "").strip()
    error_type = data.get("error_type") if isinstance(data.get("error_type"), str) else None
    error = _classify(text, error_type, bot)
    error.error_type = error_type
    # allow_retry defaults to true in the protocol (fastapi-poe reads it the same way).
    error.retryable = data.get("allow_retry", True) is not False
    return error


def _classify(text: str, error_type: str | None, bot: str) -> PoeError:
    if error_type == "insufficient_fund":
        return InsufficientPointsError(text or "You've used up your points.")
    if error_type == "user_message_too_long":
        return RequestTooLargeError(text or "The message is too long for this bot.")
    if error_type in ("user_caused_error", "privacy_authorization_error"):
        cls = BadRequestError if error_type == "user_caused_error" else PermissionDeniedError
        return cls(text or "The bot refused the request.")
    if text.startswith(RATE_LIMIT_TEXT):
        return RateLimitError(text)
    if text.startswith(INTERNAL_ERROR_TEXT):
        # What api.poe.com answers for an unknown bot name as well as a crashed bot.
        return ServerError(
            f"Poe answered “{text}” for bot {bot!r}: the bot name may be wrong "
            "(not found) or the bot failed.",
            hint="Check the name with `poe-tui models --search NAME`, or try again.",
        )
    if text == "Access denied":
        return PermissionDeniedError(text)
    return ServerError(text or f"Bot {bot!r} reported an error.")


def _string(data: Mapping[str, Any], key: str, event: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise ProtocolError(f"The {event!r} event has no string {key!r}.")
    return value


def _meta(data: Mapping[str, Any]) -> Meta | None:
    content_type = data.get("content_type", "text/markdown")
    suggested = data.get("suggested_replies", False)
    linkify = data.get("linkify", False)
    if content_type not in ("text/markdown", "text/plain"):
        return None
    if not isinstance(suggested, bool) or not isinstance(linkify, bool):
        return None  # fastapi-poe also skips a meta with wrong types
    return Meta(content_type, suggested, linkify)


def _reasoning(data: Mapping[str, Any]) -> str | None:
    """`choices[0].delta.reasoning_content` of an OpenAI-chunk-shaped `json` event."""
    choices = data.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        return None
    delta = choices[0].get("delta")
    if not isinstance(delta, Mapping):
        return None
    value = delta.get("reasoning_content")
    return value if isinstance(value, str) else None


class NativeReader:
    """Turns native SSE events into typed events (the table in section 1.3)."""

    def __init__(self, bot: str) -> None:
        self.bot = bot
        self._seen_any = False
        self._done = False

    @property
    def finished(self) -> bool:
        return self._done

    def read(self, sse: ServerSentEvent) -> list[StreamEvent]:
        first = not self._seen_any
        self._seen_any = True
        handler = _HANDLERS.get(sse.event)
        if handler is None and sse.event not in _CONTROL_EVENTS:
            # ping, `data` and events from newer protocol versions: skipped whatever
            # their data, so an old-style ping with a bare timestamp cannot break a reply.
            return []
        data = event_object(sse)
        if handler is not None:
            return handler(data)
        return self._control(sse.event, data, first=first)

    def _control(self, event: str, data: Mapping[str, Any], *, first: bool) -> list[StreamEvent]:
        if event == "error":
            raise native_error(data, self.bot)
        if event == "done":
            self._done = True
            return [Done(None)]
        meta = _meta(data) if first else None  # a late meta is ignored, as in fastapi-poe
        return [meta] if meta else []

    def end(self) -> list[StreamEvent]:
        if not self._done:
            raise cut_off()
        return []


def _text(data: Mapping[str, Any]) -> list[StreamEvent]:
    text = _string(data, "text", "text")
    return [TextDelta(text)] if text else []


def _replace(data: Mapping[str, Any]) -> list[StreamEvent]:
    return [ReplaceResponse(_string(data, "text", "replace_response"))]


def _suggested(data: Mapping[str, Any]) -> list[StreamEvent]:
    return [SuggestedReply(_string(data, "text", "suggested_reply"))]


def _json(data: Mapping[str, Any]) -> list[StreamEvent]:
    thinking = _reasoning(data)
    if thinking is not None:
        return [ThinkingDelta(thinking)] if thinking else []
    return [JsonData(data)]


def _file(data: Mapping[str, Any]) -> list[StreamEvent]:
    inline_ref = data.get("inline_ref")
    return [
        FileOutput(
            url=_string(data, "url", "file"),
            content_type=_string(data, "content_type", "file"),
            name=_string(data, "name", "file"),
            inline_ref=inline_ref if isinstance(inline_ref, str) else None,
        )
    ]


_HANDLERS = {
    "text": _text,
    "replace_response": _replace,
    "suggested_reply": _suggested,
    "json": _json,
    "file": _file,
}
_CONTROL_EVENTS = frozenset({"meta", "done", "error"})


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
        path = bot_path(bot)  # a bad name fails here, before any request
        body = query_request(messages, parameters=parameters, attachments=attachments)
    except PoeError as exc:
        yield StreamFailed(exc)
        return
    reader = NativeReader(bot)
    async for event in stream_sse(session, path, body, auth=AUTH, reader=reader):
        yield event


async def complete(
    session: HttpSession,
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> ChatReply:
    """The whole reply: the native protocol only streams, so this collects the stream."""
    return await collect_reply(
        stream(session, bot, messages, parameters=parameters, attachments=attachments)
    )

"""Chat over the OpenAI-compatible `/v1/chat/completions` (poe-api.md section 4)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from poe_tui.core.auth import AuthScheme
from poe_tui.core.errors import (
    PoeError,
    ProtocolError,
    UnsupportedTransportError,
    error_from_body,
)
from poe_tui.core.events import (
    Done,
    StreamEvent,
    TextDelta,
    ThinkingDelta,
    Usage,
)
from poe_tui.core.messages import Attachment, ChatMessage, ChatReply
from poe_tui.core.sse import ServerSentEvent, json_value
from poe_tui.core.transports.wire import (
    HttpSession,
    cut_off,
    failed_stream,
    post_json,
    stream_sse,
)

PATH = "/v1/chat/completions"
AUTH = AuthScheme.BEARER


def _part(attachment: Attachment) -> dict[str, Any]:
    """A content part (section 4.1): images by URL, other files only as data URLs."""
    if attachment.content_type.startswith("image/"):
        return {"type": "image_url", "image_url": {"url": attachment.url}}
    if attachment.url.startswith("data:"):
        return {"type": "file", "file": {"filename": attachment.name, "file_data": attachment.url}}
    raise UnsupportedTransportError(
        f"The OpenAI-compatible API takes files as data URLs, not a link to {attachment.name}; "
        "send it with the native transport."
    )


def _message_json(message: ChatMessage, extra: Sequence[Attachment]) -> dict[str, Any]:
    files = [*message.attachments, *extra]
    if not files:
        return {"role": message.role, "content": message.content}
    parts = [{"type": "text", "text": message.content}, *(_part(a) for a in files)]
    return {"role": message.role, "content": parts}


def _messages_json(
    messages: Sequence[ChatMessage], attachments: Sequence[Attachment]
) -> list[dict[str, Any]]:
    last_user = max((i for i, m in enumerate(messages) if m.role == "user"), default=None)
    return [_message_json(m, attachments if i == last_user else ()) for i, m in enumerate(messages)]


def request_body(
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    stream: bool,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": bot,
        "messages": _messages_json(messages, attachments),
        "stream": stream,
    }
    if stream:
        body["stream_options"] = {"include_usage": True}
    if parameters:
        # Poe reads custom parameters from extra top-level keys here (section 4.1).
        body.update({k: v for k, v in parameters.items() if k not in body})
    return body


def _usage(obj: Any) -> Usage | None:
    if not isinstance(obj, Mapping):
        return None
    try:
        return Usage(
            prompt_tokens=int(obj.get("prompt_tokens") or 0),
            completion_tokens=int(obj.get("completion_tokens") or 0),
            total_tokens=int(obj.get("total_tokens") or 0),
        )
    except (TypeError, ValueError, OverflowError):  # Python's json reads `Infinity`
        return None


class _ChunkReader:
    """Turns `data:` chunks into events and remembers how the stream ended."""

    def __init__(self) -> None:
        self.finish_reason: str | None = None
        self.saw_done = False

    @property
    def finished(self) -> bool:
        return self.saw_done

    def end(self) -> list[StreamEvent]:
        # A finish_reason without [DONE] still means the answer is whole.
        if self.saw_done or self.finish_reason is not None:
            return [Done(self.finish_reason)]
        raise cut_off()

    def read(self, sse: ServerSentEvent) -> list[StreamEvent]:
        data = sse.data
        if not data.startswith("{"):  # the common case skips both strips
            data = data.strip()
            if data == "[DONE]":
                self.saw_done = True
                return []
            if not data:
                return []
        try:
            chunk = json_value(data)
        except ValueError:
            raise ProtocolError("The server sent a chunk that is not valid JSON.") from None
        # `type(...) is dict`, not isinstance(..., Mapping): json only makes dicts, and
        # the ABC check was a tenth of the parsing time (profiled, benchmarks/bench_parsing).
        if type(chunk) is not dict:
            raise ProtocolError("The server sent a chunk that is not a JSON object.")
        if chunk.get("error"):
            raise error_from_body(None, chunk)
        return self._events(chunk)

    def _events(self, chunk: dict[str, Any]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        choices = chunk.get("choices")
        if type(choices) is list and choices and type(choices[0]) is dict:
            choice = choices[0]
            delta = choice.get("delta")
            if type(delta) is dict:
                thinking = delta.get("reasoning_content")
                if thinking and type(thinking) is str:
                    events.append(ThinkingDelta(thinking))
                content = delta.get("content")
                if content and type(content) is str:
                    events.append(TextDelta(content))
            finish_reason = choice.get("finish_reason")
            if type(finish_reason) is str:
                self.finish_reason = finish_reason
        usage = chunk.get("usage")
        if usage is not None:
            parsed = _usage(usage)
            if parsed is not None:
                events.append(parsed)
        return events


def stream(
    session: HttpSession,
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> AsyncIterator[StreamEvent]:
    """Stream a reply; never raises PoeError (failures end in `StreamFailed`). A plain
    function handing back `stream_sse`'s events: no generator layer of its own."""
    try:
        body = request_body(
            bot, messages, stream=True, parameters=parameters, attachments=attachments
        )
    except PoeError as exc:
        return failed_stream(exc)
    return stream_sse(session, PATH, body, auth=AUTH, reader=_ChunkReader())


async def complete(
    session: HttpSession,
    bot: str,
    messages: Sequence[ChatMessage],
    *,
    parameters: Mapping[str, Any] | None = None,
    attachments: Sequence[Attachment] = (),
) -> ChatReply:
    body = request_body(bot, messages, stream=False, parameters=parameters, attachments=attachments)
    return parse_completion(await post_json(session, PATH, body, auth=AUTH))


def parse_completion(payload: Any) -> ChatReply:
    if not isinstance(payload, Mapping):
        raise ProtocolError("The server's reply is not a JSON object.")
    if payload.get("error"):
        raise error_from_body(None, payload)
    choices = payload.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], Mapping):
        raise ProtocolError("The server's reply has no choices.")
    message = choices[0].get("message")
    if not isinstance(message, Mapping):
        raise ProtocolError("The server's reply has no message.")
    content = message.get("content")
    thinking = message.get("reasoning_content")
    usage = _usage(payload.get("usage"))
    return ChatReply(
        text=content if isinstance(content, str) else "",
        finish_reason=choices[0].get("finish_reason"),
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        total_tokens=usage.total_tokens if usage else None,
        thinking=thinking if isinstance(thinking, str) else "",
    )

"""What every door shares: the narrow HTTP interface it talks through, the SSE driver,
one JSON POST, and collecting a stream into one `ChatReply`.

Each door supplies a reader that turns one server-sent event into typed events;
`stream_sse` does the HTTP, the error mapping and the "did it finish?" check once.
Doors see `HttpSession`, not `PoeClient`: the client imports the doors (through the
registry), so a door importing the client would close a cycle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from poe_tui.core.auth import AuthScheme, KeyHeader
from poe_tui.core.delta import ReplyDelta
from poe_tui.core.errors import PoeError, ProtocolError, error_from_response
from poe_tui.core.events import (
    StreamEvent,
    StreamFailed,
)
from poe_tui.core.messages import Attachment, ChatReply
from poe_tui.core.network import network_error
from poe_tui.core.sse import ServerSentEvent, SseDecoder

if TYPE_CHECKING:
    import httpx


class HttpSession(Protocol):
    """What a door needs of the client: its connections, where the server is, and the
    key in the door's header. `PoeClient` is one."""

    @property
    def http(self) -> httpx.AsyncClient: ...

    @property
    def base_url(self) -> str: ...

    def url(self, path: str) -> str: ...

    def authorize(self, scheme: AuthScheme) -> KeyHeader:
        """The key in `scheme`'s header; raises AuthenticationError when none is set."""
        ...


class SseReader(Protocol):
    """Turns the events of one stream into typed events; raises PoeError on failure."""

    @property
    def finished(self) -> bool:
        """True once the end-of-reply event arrived (stop reading then)."""
        ...

    def read(self, sse: ServerSentEvent) -> list[StreamEvent]: ...

    def end(self) -> list[StreamEvent]:
        """The closing events once the body ended; raises when the reply was cut off."""
        ...


async def check_stream_response(response: httpx.Response) -> None:
    """HTTP failures by status (never hidden), then insist on an event stream."""
    if response.status_code >= 400:
        content = await response.aread()
        raise error_from_response(response.status_code, content, response.headers)
    content_type = response.headers.get("content-type", "")
    if "text/event-stream" not in content_type:
        raise ProtocolError(
            f"Expected a stream but the server sent {content_type or 'no content type'}."
        )


async def stream_sse(
    session: HttpSession,
    path: str,
    body: Mapping[str, Any],
    *,
    auth: AuthScheme,
    reader: SseReader,
    headers: Mapping[str, str] | None = None,
) -> AsyncIterator[StreamEvent]:
    """POST `body`, read the SSE reply through `reader`. Never raises PoeError:
    failures arrive as one final `StreamFailed`, after whatever text came first."""
    import httpx  # loaded already by the client; imported here to keep it off start-up

    started = False
    try:
        request = session.http.build_request(
            "POST",
            session.url(path),
            json=body,
            headers={"Accept": "text/event-stream", "Cache-Control": "no-store", **(headers or {})},
        )
        response = await session.http.send(request, auth=session.authorize(auth), stream=True)
        try:
            await check_stream_response(response)
            # The decoding loop is inline, not a generator of its own: every generator
            # layer costs each event a hop, and this loop runs per token (bench_parsing).
            decoder = SseDecoder()
            async for chunk in response.aiter_bytes():
                for sse in decoder.feed(chunk):
                    for event in reader.read(sse):
                        started = True
                        yield event
                    if reader.finished:
                        break
                if reader.finished:
                    break
            else:
                decoder.close()
        finally:
            await response.aclose()
        closing = reader.end()
    except PoeError as exc:
        yield StreamFailed(exc)
        return
    except httpx.HTTPError as exc:
        yield StreamFailed(network_error(exc, session.base_url, mid_stream=started))
        return
    for event in closing:
        yield event


async def failed_stream(error: PoeError) -> AsyncIterator[StreamEvent]:
    """A stream that fails before any request (the request could not be built)."""
    yield StreamFailed(error)


async def post_json(
    session: HttpSession,
    path: str,
    body: Mapping[str, Any],
    *,
    auth: AuthScheme,
    headers: Mapping[str, str] | None = None,
) -> Any:
    """POST `body` and decode the JSON answer; raises PoeError (status, network, JSON)."""
    import httpx  # loaded already by the client; imported here to keep it off start-up

    try:
        response = await session.http.post(
            session.url(path), json=body, headers=headers, auth=session.authorize(auth)
        )
    except httpx.HTTPError as exc:
        raise network_error(exc, session.base_url) from None
    if response.status_code >= 400:
        raise error_from_response(response.status_code, response.content, response.headers)
    try:
        return response.json()
    except ValueError:
        raise ProtocolError("The server's reply is not valid JSON.") from None


def cut_off() -> ProtocolError:
    return ProtocolError("The reply was cut off before it finished.")


async def collect_reply(events: AsyncIterator[StreamEvent]) -> ChatReply:
    """Gather a stream into one reply (folded by the one reducer of events); raises the
    stream's PoeError if it failed."""
    delta = ReplyDelta()
    async for event in events:
        delta.add(event)
        if delta.failure is not None:
            raise delta.failure
        if delta.done is not None:
            return _as_reply(delta, delta.done.finish_reason)
    raise cut_off()


def _as_reply(delta: ReplyDelta, finish_reason: str | None) -> ChatReply:
    usage = delta.usage
    return ChatReply(
        text=(delta.replaced or "") + delta.text,
        finish_reason=finish_reason,
        prompt_tokens=usage.prompt_tokens if usage else None,
        completion_tokens=usage.completion_tokens if usage else None,
        total_tokens=usage.total_tokens if usage else None,
        thinking=delta.thinking,
        suggested_replies=tuple(delta.suggestions),
        files=tuple(Attachment(f.url, f.content_type, f.name, f.inline_ref) for f in delta.files),
    )

"""Helpers every transport uses to turn reply pieces into an HTTP response.

Dropping a connection on purpose: an ASGI app cannot reach the socket, but when it
returns after starting a response without finishing it, uvicorn closes the transport.
The client then sees a truncated body (httpx: RemoteProtocolError), which is what a
network failure mid-reply looks like.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence

from starlette.responses import Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from poe_tui.fakepoe.bots import Drop, Fail, Piece, Sleep

# The line uvicorn logs when we drop a connection on purpose; filtered out of its log.
UVICORN_UNFINISHED = "ASGI callable returned without completing response."


class ConnectionDropped(Exception):
    """Raised inside a body iterator to cut the connection instead of finishing."""


class DroppableStreamingResponse(StreamingResponse):
    """A streaming response whose body iterator may raise ConnectionDropped."""

    async def stream_response(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        try:
            async for chunk in self.body_iterator:
                data = chunk if isinstance(chunk, bytes) else str(chunk).encode(self.charset)
                await send({"type": "http.response.body", "body": data, "more_body": True})
        except ConnectionDropped:
            return  # no final empty body: uvicorn closes the socket mid-message
        await send({"type": "http.response.body", "body": b"", "more_body": False})


class TruncatedResponse(Response):
    """Announces a full body, sends half of it, then lets the connection drop."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        half = self.body[: len(self.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})


class DroppedResponse(Response):
    """Starts a 200 reply and ends before any byte of its body: the client loses the
    connection before the reply starts (no content-length, so nothing looks finished)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = [(b"content-type", b"text/event-stream; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})


class _DropFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.getMessage() != UVICORN_UNFINISHED


def quiet_intentional_drops() -> None:
    """Keep deliberate drops out of uvicorn's error log (once per process)."""
    logger = logging.getLogger("uvicorn.error")
    if not any(isinstance(f, _DropFilter) for f in logger.filters):
        logger.addFilter(_DropFilter())


async def open_reply(
    pieces: AsyncIterator[Piece],
) -> tuple[Fail | None, Sequence[Piece]]:
    """Run a bot up to its first real piece, honouring leading pauses.

    A transport must choose the HTTP status before sending anything, so it needs to
    know whether the bot fails straight away (→ HTTP error) or starts talking (→ 200).
    Returns the failure, or the pieces already taken (to be replayed first).
    """
    async for piece in pieces:
        if isinstance(piece, Sleep):
            await asyncio.sleep(piece.seconds)
            continue
        if isinstance(piece, Fail):
            return piece, ()
        return None, (piece,)
    return None, ()


async def replay(
    taken: Sequence[Piece], rest: AsyncIterator[Piece], closing: threading.Event
) -> AsyncIterator[Piece]:
    """The pieces `open_reply` took, then the rest; a Drop instead once `closing` is set."""
    for piece in taken:
        yield piece
    async for piece in rest:
        if closing.is_set():
            yield Drop()
            return
        yield piece

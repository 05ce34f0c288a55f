"""Faults that clear by themselves, for testing a client's retries.

The routes inject a fault when a request carries `x-fakepoe-fail: <status>` (or, on
`/bot/<Name>`, `x-fakepoe-native-error: <status>`). This middleware, in front of them,
adds what a retry test needs:

- `x-fakepoe-fail-times: N`: only the first N requests with the same
  `x-fakepoe-fail-id` (any string a test picks) get the fault; later ones are served
  normally, so a client that retries succeeds. `FakePoeState.fault_attempts(id)` says
  how many requests carried the id. Such faults also lose `x-should-retry: false`
  (which the routes send to stop SDK retries): the server does not forbid a retry.
- `x-fakepoe-fail: drop`: the connection closes before any byte of the reply, the
  way a reset or a crashed proxy looks to the client.
- `x-fakepoe-retry-after: <value>`: the failing reply's `Retry-After` is this value
  (seconds, or an HTTP date).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from poe_tui.fakepoe.common import FAIL_HEADER, NATIVE_ERROR_HEADER, parse_json
from poe_tui.fakepoe.state import FakePoeState, RecordedRequest

TIMES_HEADER = "x-fakepoe-fail-times"
ID_HEADER = "x-fakepoe-fail-id"
RETRY_AFTER_HEADER = "x-fakepoe-retry-after"
DROP = "drop"
_FAULT_HEADERS = {FAIL_HEADER, NATIVE_ERROR_HEADER, RETRY_AFTER_HEADER}


def _headers(scope: Scope) -> dict[str, str]:
    return {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}


def _without(scope: Scope, names: set[str]) -> Scope:
    kept = [(k, v) for k, v in scope["headers"] if k.decode("latin-1").lower() not in names]
    return {**scope, "headers": kept}


class Faults:
    """ASGI middleware: counts faults per id, drops connections, sets Retry-After."""

    def __init__(self, app: ASGIApp, state: FakePoeState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        times = headers.get(TIMES_HEADER)
        if times is not None:
            attempt = self.state.count_fault_attempt(headers.get(ID_HEADER, ""))
            if attempt > _whole(times):
                await self.app(_without(scope, _FAULT_HEADERS), receive, send)
                return
        if headers.get(FAIL_HEADER, "").strip().lower() == DROP:
            await self._drop(scope, receive, send)
            return
        retry_after = headers.get(RETRY_AFTER_HEADER)
        clears = times is not None
        await self.app(scope, receive, _rewriting(send, retry_after, clears))

    async def _drop(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Log the request like the routes do, start a stream and end it at once:
        uvicorn closes the socket, and the client loses the connection before any
        byte of the reply (an ASGI app cannot reset the socket itself)."""
        raw = b""
        more = True
        while more:
            message = await receive()
            raw += message.get("body", b"")
            more = message.get("more_body", False)
        method, path, headers = scope["method"], scope["path"], _headers(scope)
        self.state.record(RecordedRequest(method, path, {}, headers, parse_json(raw)))
        start = [(b"content-type", b"text/event-stream; charset=utf-8")]
        await send({"type": "http.response.start", "status": 200, "headers": start})


def _whole(text: str) -> int:
    try:
        return max(0, int(text.strip()))
    except ValueError:
        return 0


def _rewriting(send: Send, retry_after: str | None, clears: bool) -> Send:
    """A `send` that sets Retry-After and drops x-should-retry on error replies."""
    if retry_after is None and not clears:
        return send

    async def rewritten(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] >= 400:
            dropped = {b"x-should-retry"} if clears else set()
            if retry_after is not None:
                dropped.add(b"retry-after")
            headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in dropped]
            if retry_after is not None:
                headers.append((b"retry-after", retry_after.encode("latin-1")))
            message = {**message, "headers": headers}
        await send(message)

    return rewritten

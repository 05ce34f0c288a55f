"""A hostile Poe for tests: the local fake server with chosen paths answered by a test.

`serve_instead(server, path, respond)` wraps the server's ASGI app before it starts, so
every other path keeps the fake server's real behaviour (and its loopback socket).
`respond(headers)` gets the request's headers, so a test can echo them back the way a
misconfigured proxy or a debug page does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from poe_tui.fakepoe import FakePoeServer

Responder = Callable[[Mapping[str, str]], Response]


class _Instead:
    def __init__(self, app: ASGIApp, path: str, respond: Responder) -> None:
        self.app = app
        self.path = path
        self.respond = respond

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != self.path:
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        more = True
        while more:  # read the request body before answering, as a server would
            more = (await receive()).get("more_body", False)
        await self.respond(headers)(scope, receive, send)


def serve_instead(server: FakePoeServer, path: str, respond: Responder) -> None:
    """Answer `path` with `respond(headers)` from now on (call before `start()`)."""
    server.app = _Instead(server.app, path, respond)  # type: ignore[assignment]


# Every way a string can try to drive a terminal: OSC 52 (clipboard) and OSC 0 (title)
# ended by BEL, by ST and never, CSI, 8-bit CSI and OSC (U+009B, U+009D), DCS, APC,
# PM, SOS (7- and 8-bit), an OSC cut short by the next CSI, a reset, a screen fill, a
# lone ESC, BEL, backspace and a carriage return.
ESCAPES = (
    "\x1b]52;c;SEFDS0VE\x07\x1b]0;PWNED\x1b\\\x1b[2J\x9b31m\x9d0;PWNED\x07"
    "\x1bP+q544e\x1b\\\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\\x90dcs\x9c\x9fapc\x9c"
    "\x1b]2;unended\x1b[0m\x1bc\x1b#8\x1b\x07\x08\r"
)


def is_terminal_control(char: str) -> bool:
    """C0 controls (but tab and newline), DEL and the C1 controls."""
    code = ord(char)
    return (code < 0x20 and char not in "\t\n") or 0x7F <= code <= 0x9F

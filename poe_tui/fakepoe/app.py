"""Builds the Starlette app from the route modules.

Each transport lives in its own module exposing `routes()` (OpenAI-compatible, native
`/bot/<Name>`, Anthropic `/v1/messages`); adding one (say, the upload route) means
writing the module and listing it in ROUTE_MODULES.
"""

from __future__ import annotations

from email.utils import formatdate
from types import ModuleType

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from poe_tui.fakepoe import (
    anthropic_routes,
    models_routes,
    native_routes,
    openai_routes,
    upload_routes,
    usage_routes,
)
from poe_tui.fakepoe.common import JSON_TYPE, ServerConfig, openai_error_body
from poe_tui.fakepoe.failures import Failure
from poe_tui.fakepoe.state import FakePoeState

ROUTE_MODULES: tuple[ModuleType, ...] = (
    models_routes,
    openai_routes,
    usage_routes,
    native_routes,
    anthropic_routes,
    upload_routes,
)


async def _http_error(request: Request, exc: Exception) -> Response:
    """Unknown paths and methods answer in Poe's JSON error shape, not plain text."""
    assert isinstance(exc, HTTPException)
    kind = "not_found_error" if exc.status_code == 404 else "invalid_request_error"
    message = f"{request.method} {request.url.path}: {exc.detail}"
    body = openai_error_body(Failure(exc.status_code, kind, message, exc.status_code))
    return JSONResponse(
        body, exc.status_code, media_type=JSON_TYPE, headers={"x-should-retry": "false"}
    )


class DateHeader:
    """Stamps every reply with the server clock's `Date`, as Poe (Cloudflare) does.

    Uvicorn's own header is turned off (see server.py) so this one, which follows the
    state's clock skew, is the only one.
    """

    def __init__(self, app: ASGIApp, state: FakePoeState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_date(message: Message) -> None:
            if message["type"] == "http.response.start":
                stamp = formatdate(self.state.now_us() / 1_000_000, usegmt=True)
                headers = [*message.get("headers", []), (b"date", stamp.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_date)


def build_app(state: FakePoeState, config: ServerConfig) -> Starlette:
    routes = [route for module in ROUTE_MODULES for route in module.routes()]
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error})
    app.add_middleware(DateHeader, state=state)
    app.state.fake_state = state
    app.state.fake_config = config
    return app

"""Plumbing shared by every route: the request log, auth, headers, errors.

Error bodies here use the OpenAI-compatible shapes (§4.4), which Poe also uses for
`/v1/models` and `/usage/*`; the Anthropic route will bring its own renderer.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.failures import Failure
from poe_tui.fakepoe.state import FakePoeState, RecordedRequest

JSON_TYPE = "application/json; charset=utf-8"
DEFAULT_MAX_UPLOAD_BYTES = 50 * 1024 * 1024
OPENAI_VERSION = "2020-10-01"


@dataclass(frozen=True)
class ServerConfig:
    speed: float = 1.0
    api_key: str | None = None  # None: any non-empty key works (demo mode)
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES  # larger uploads get a 413
    # Set by FakePoeServer.stop(): replies in flight drop at their next piece, so the
    # server stops at once instead of waiting on (or cancelling) a slow stream.
    closing: threading.Event = field(default_factory=threading.Event, compare=False)


def server_state(request: Request) -> FakePoeState:
    state: FakePoeState = request.app.state.fake_state
    return state


def server_config(request: Request) -> ServerConfig:
    config: ServerConfig = request.app.state.fake_config
    return config


def parse_json(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        return None


class Call:
    """One request in flight: its log entry, its id and its timing."""

    def __init__(self, request: Request, record: RecordedRequest, raw_body: bytes) -> None:
        self.request = request
        self.record = record
        self.raw_body = raw_body
        self.request_id = f"req_poe_{uuid.uuid4().hex}"
        self._started = time.monotonic()

    @property
    def body(self) -> Any:
        return self.record.body

    @property
    def state(self) -> FakePoeState:
        return server_state(self.request)

    @property
    def config(self) -> ServerConfig:
        return server_config(self.request)

    def headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        elapsed_ms = int((time.monotonic() - self._started) * 1000)
        headers = {
            "x-request-id": self.request_id,
            "openai-version": OPENAI_VERSION,
            "openai-processing-ms": str(elapsed_ms),
        }
        headers.update(extra or {})
        return headers

    def json(
        self, body: Any, status: int = 200, extra: dict[str, str] | None = None
    ) -> JSONResponse:
        return JSONResponse(body, status, headers=self.headers(extra), media_type=JSON_TYPE)

    def error(self, failure: Failure, extra: dict[str, str] | None = None) -> JSONResponse:
        # x-should-retry: false stops the openai SDK from silently retrying 429/5xx, so
        # tests and the demo see exactly one request per call.
        headers = {"x-should-retry": "false", **(extra or {})}
        if failure.retry_after is not None:
            headers["retry-after"] = str(failure.retry_after)
        return self.json(openai_error_body(failure), failure.status, headers)

    def auth_failure(self) -> Failure | None:
        """The Bearer key's failure, if any (most routes take the key this way)."""
        return bearer_auth_failure(self.request, self.config)


async def begin(request: Request) -> Call:
    """Log the request (before anything can fail) and start its clock."""
    raw = await request.body()
    record = RecordedRequest(
        method=request.method,
        path=request.url.path,
        query=dict(request.query_params),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=parse_json(raw),
    )
    return Call(request, server_state(request).record(record), raw)


def openai_error_body(failure: Failure) -> dict[str, Any]:
    error: dict[str, Any] = {"message": failure.message, "type": failure.type}
    if isinstance(failure.code, str):
        error["param"] = None  # the error page's shape carries `param`, like OpenAI's
    error["code"] = failure.code
    if failure.metadata is not None:
        error["metadata"] = failure.metadata
    return {"error": error}


def bearer_key(request: Request) -> str | None:
    value = request.headers.get("authorization", "")
    scheme, _, key = value.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        return None
    return key.strip()


def bearer_auth_failure(request: Request, config: ServerConfig) -> Failure | None:
    key = bearer_key(request)
    if key is None:
        return failures.AUTHENTICATION.with_message(
            "Missing API key: send `Authorization: Bearer <POE_API_KEY>`."
        )
    if config.api_key is not None and key != config.api_key:
        return failures.AUTHENTICATION
    return None

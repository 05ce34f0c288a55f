"""Issue 17, point 3: a server or proxy that echoes the request back (an error JSON
quoting the Authorization header, an HTML debug page, an error event mid-stream) must
not put the key on stderr, in the history database or in an export.

The key here is deliberately not shaped like a Poe key, so it is the active key itself,
not a pattern, that is masked; a Poe-shaped key and a foreign Bearer token are masked by
shape.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from poe_tui.core.apikey import ApiKey
from poe_tui.core.errors import error_from_body, error_from_response
from poe_tui.fakepoe import FakePoeServer
from tests.support.hostile_server import serve_instead

SECRET = "Zq7TfA0xEchoKey4LpW9sVb2NmR6cYd8UhJ3kGe5"
SHAPED = "sk-poe-SomeoneElses-0a1b2c3d4e5f"


def echo_400(headers: Mapping[str, str]) -> Response:
    body = {
        "error": {
            "message": f"Invalid request. You sent Authorization: {headers['authorization']}",
            "type": "invalid_request_error",
            "debug": {"request_headers": dict(headers)},
        }
    }
    return JSONResponse(body, status_code=400)


def echo_debug_page(headers: Mapping[str, str]) -> Response:
    # The key straddles the 300th character, where the message is cut.
    padding = "x" * (300 - len("<html><pre>") - len("authorization: Bearer ") - 10)
    page = f"<html><pre>{padding}authorization: {headers['authorization']}\n{headers}</pre>"
    return HTMLResponse(page, status_code=400)


def _sse(event: str | None, data: object) -> str:
    head = f"event: {event}\n" if event else ""
    return f"{head}data: {json.dumps(data)}\n\n"


def echo_mid_stream_native(headers: Mapping[str, str]) -> Response:
    said = f"upstream rejected Authorization: {headers['authorization']} ({SHAPED})"
    events = [
        _sse("text", {"text": "partial "}),
        _sse("error", {"text": said, "allow_retry": False}),
    ]
    return StreamingResponse(iter(events), media_type="text/event-stream")


def echo_mid_stream_openai(headers: Mapping[str, str]) -> Response:
    chunk = {"choices": [{"index": 0, "delta": {"content": "partial "}}]}
    error = {"error": {"message": f"proxy says {headers['authorization']}", "code": SECRET}}
    events = [_sse(None, chunk), _sse(None, error)]
    return StreamingResponse(iter(events), media_type="text/event-stream")


CASES = {
    "400-native": ("/bot/echo", echo_400, "native"),
    "debug-page-native": ("/bot/echo", echo_debug_page, "native"),
    "mid-stream-native": ("/bot/echo", echo_mid_stream_native, "native"),
    "400-openai": ("/v1/chat/completions", echo_400, "openai"),
    "mid-stream-openai": ("/v1/chat/completions", echo_mid_stream_openai, "openai"),
}


@pytest.fixture(params=sorted(CASES))
def echoing(request: pytest.FixtureRequest) -> Iterator[tuple[FakePoeServer, str]]:
    path, respond, transport = CASES[request.param]
    server = FakePoeServer(speed=0)
    serve_instead(server, path, respond)
    with server:
        yield server, transport


def leaks(data: str | bytes) -> list[str]:
    raw = data.encode() if isinstance(data, str) else data
    pieces = (SECRET, SECRET[:12], SECRET[-12:], SHAPED)
    return [piece for piece in pieces if piece.encode() in raw]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_ask_history_and_exports_never_hold_an_echoed_key(
    echoing: tuple[FakePoeServer, str], isolated_home: Path
) -> None:
    server, transport = echoing
    env = dict(os.environ, POE_API_KEY=SECRET, POE_API_BASE=server.base_url)
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    done = run(["ask", "-b", "echo", "--transport", transport, "hello"], env)
    assert done.returncode != 0
    assert "[redacted]" in done.stderr, done.stderr  # the error itself is still shown
    assert leaks(done.stdout + done.stderr) == []

    listed = run(["history"], env)
    assert listed.returncode == 0, listed.stderr
    conversation_id = listed.stdout.splitlines()[-1].split()[0]
    for form in ("json", "md"):
        exported = run(["export", conversation_id, "--format", form], env)
        assert exported.returncode == 0, exported.stderr
        assert "[redacted]" in exported.stdout
        assert leaks(exported.stdout) == []
    stored = [p for p in isolated_home.rglob("*") if p.is_file() and leaks(p.read_bytes())]
    assert stored == []


def test_the_active_key_and_key_shapes_are_masked_in_error_bodies() -> None:
    ApiKey(SECRET)  # the key this process holds
    body = json.dumps(
        {
            "error": {
                "message": f"got {SECRET}; x-api-key: abc123secret; Bearer tok.en-1; {SHAPED}",
                "type": f"echo {SECRET}",
            }
        }
    ).encode()
    error = error_from_response(400, body, {"x-request-id": f"req {SECRET}"})
    shown = " ".join([error.one_line(), str(error.error_type), str(error.request_id)])
    assert leaks(shown) == []
    for secret in ("abc123secret", "tok.en-1"):
        assert secret not in shown
    assert error.message.startswith("got [redacted]; x-api-key: [redacted]")


def test_a_stream_error_object_is_masked_too() -> None:
    ApiKey(SECRET)
    error = error_from_body(None, {"error": {"message": f"Authorization: Bearer {SECRET}"}})
    assert error.message == "Authorization: Bearer [redacted]"


def test_short_keys_and_ordinary_words_are_left_alone() -> None:
    ApiKey("demo")  # too short to mask without mangling ordinary text
    error = error_from_body(400, {"error": {"message": "The demo bot needs an API key."}})
    assert error.message == "The demo bot needs an API key."

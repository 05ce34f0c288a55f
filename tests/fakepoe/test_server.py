"""The fake Poe server over real loopback sockets, checked with plain httpx."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import HEADER
from tests.support.paths import REPO_ROOT

KEY = {"Authorization": "Bearer demo-key"}
CHAT = "/v1/chat/completions"
MODEL_KEYS = {
    "id",
    "object",
    "created",
    "description",
    "owned_by",
    "root",
    "architecture",
    "supported_features",
    "supported_endpoints",
    "pricing",
    "context_window",
    "context_length",
    "metadata",
    "reasoning",
    "parameters",
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: FakePoeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


def ask(model: str, text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}], **extra}


def sse_events(raw: bytes) -> list[str]:
    """The `data:` payloads of an OpenAI-style stream, checking the framing as we go."""
    text = raw.decode()
    assert text.endswith("\n\n")
    blocks = text[:-2].split("\n\n")
    assert all(block.startswith("data: ") for block in blocks)
    return [block.removeprefix("data: ") for block in blocks]


def stream_chat(client: httpx.Client, body: dict[str, Any]) -> tuple[httpx.Response, bytes]:
    with client.stream("POST", CHAT, headers=KEY, json={**body, "stream": True}) as response:
        return response, response.read()


# --- /v1/models -------------------------------------------------------------------


def test_models_need_no_auth_and_carry_all_fifteen_keys(client: httpx.Client) -> None:
    response = client.get("/v1/models")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    assert response.headers["openai-version"] == "2020-10-01"
    assert int(response.headers["openai-processing-ms"]) >= 0
    body = response.json()
    assert body["object"] == "list"
    for entry in body["data"]:
        assert set(entry) == MODEL_KEYS, entry["id"]
        assert entry["id"] == entry["id"].lower() == entry["root"]
        assert entry["created"] > 10**12  # milliseconds
        window = entry["context_window"]
        assert entry["context_length"] == (window and window["context_length"])
        assert set(entry["metadata"]) == {"display_name", "image", "url"}


def test_models_cover_every_variant_the_client_must_parse(client: httpx.Client) -> None:
    data = client.get("/v1/models").json()["data"]
    by_id = {entry["id"]: entry for entry in data}
    assert len(data) >= 35
    pricings = [e["pricing"] for e in data]
    assert None in pricings
    assert any(p and p["prompt"] == "0" for p in pricings)  # a free bot
    assert any(p and p["request"] for p in pricings)
    assert any(p and p["image"] for p in pricings)
    assert any(p and p["input_cache_write"] for p in pricings)
    assert any(e["reasoning"] is None for e in data) and any(e["reasoning"] for e in data)
    schemas = [p["schema"] for e in data for p in e["parameters"]]
    assert {"number", "boolean", "string"} <= {s.get("type") for s in schemas}
    assert any("enum" in s and "type" not in s for s in schemas)
    assert any("minimum" in s and "maximum" in s for s in schemas)
    params = [p for e in data for p in e["parameters"]]
    assert any("default_value" in p for p in params)
    assert any("default_value" not in p and "description" not in p for p in params)
    demo = {
        "demo-showcase",
        "echo",
        "slow-echo",
        "fail-auth",
        "fail-points",
        "fail-notfound",
        "fail-ratelimit",
        "fail-server",
        "fail-overloaded",
        "fail-midstream",
        "fail-drop",
    }
    assert all(by_id[name]["owned_by"] == "Poe Demo" for name in demo)
    assert by_id["echo"]["metadata"]["display_name"] == "Echo"


# --- /v1/chat/completions ---------------------------------------------------------


def test_chat_non_stream_shape(client: httpx.Client) -> None:
    response = client.post(CHAT, headers=KEY, json=ask("Claude-Sonnet-4.5", "tell me a joke"))
    assert response.status_code == 200
    assert response.headers["x-request-id"]
    assert response.headers["openai-version"] == "2020-10-01"
    assert "openai-processing-ms" in response.headers
    body = response.json()
    assert re.fullmatch(r"chatcmpl-[0-9a-f]{24}", body["id"])
    assert body["object"] == "chat.completion"
    assert abs(body["created"] - time.time()) < 60  # seconds
    assert body["model"] == "Claude-Sonnet-4.5"  # the requested spelling
    [choice] = body["choices"]
    assert choice["index"] == 0 and choice["finish_reason"] == "stop"
    assert choice["message"]["role"] == "assistant"
    assert "Claude-Sonnet-4.5" in choice["message"]["content"]
    assert "tell me a joke" in choice["message"]["content"]
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_chat_stream_bytes_without_usage(client: httpx.Client) -> None:
    response, raw = stream_chat(client, ask("echo", "hi there"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert chunks[-1]["choices"][0] == {"index": 0, "delta": {}, "finish_reason": "stop"}
    assert all(c["choices"] for c in chunks)  # no usage chunk unless asked
    assert len({c["id"] for c in chunks}) == 1
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "echo" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert text == "You said: hi there\n\nAttachments: none · Parameters: none"
    assert len(chunks) > 4  # really chunked


def test_chat_stream_usage_chunk_only_when_asked(client: httpx.Client) -> None:
    body = ask("ECHO", "count me", stream_options={"include_usage": True})
    _, raw = stream_chat(client, body)
    events = sse_events(raw)
    assert events[-1] == "[DONE]"
    usage_chunk = json.loads(events[-2])
    assert usage_chunk["choices"] == []
    usage = usage_chunk["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0
    assert json.loads(events[-3])["choices"][0]["finish_reason"] == "stop"
    assert json.loads(events[0])["model"] == "ECHO"


def test_showcase_streams_long_markdown(client: httpx.Client) -> None:
    _, raw = stream_chat(client, ask("demo-showcase"))
    chunks = [json.loads(e) for e in sse_events(raw)[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert 3000 <= len(text) <= 4500
    for marker in ("# ", "- ", "1. ", "**", "`", "| ", "> ", "```python", "```bash"):
        assert marker in text
    assert len(chunks) > 100


def test_content_parts_and_unknown_keys_are_recorded_and_echoed(
    server: FakePoeServer, client: httpx.Client
) -> None:
    parts = [
        {"type": "text", "text": "look at these"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
        {
            "type": "file",
            "file": {"filename": "notes.pdf", "file_data": "data:application/pdf;base64,JVBERi0="},
        },
    ]
    body = {
        "model": "echo",
        "messages": [{"role": "user", "content": parts}],
        "thinking_budget": 2048,
        "web_search": True,
        "temperature": 0.5,
    }
    response = client.post(CHAT, headers=KEY, json=body)
    content = response.json()["choices"][0]["message"]["content"]
    assert content.startswith("You said: look at these\n\n")
    assert "image-1.png (image/png, 8 B)" in content
    assert "notes.pdf (application/pdf, 5 B)" in content
    assert "thinking_budget=2048" in content and "web_search=true" in content
    assert "temperature" not in content  # a standard key, not a bot parameter
    record = server.state.requests_to(CHAT)[-1]
    assert record.extra == {"thinking_budget": 2048, "web_search": True}
    assert record.body == body
    assert record.headers["authorization"] == "Bearer demo-key"


def test_slow_echo_streams_word_by_word(client: httpx.Client) -> None:
    _, raw = stream_chat(client, ask("slow-echo", "a b"))
    chunks = [json.loads(e) for e in sse_events(raw)[1:-2]]
    words = [c["choices"][0]["delta"]["content"] for c in chunks]
    assert words[:4] == ["You ", "said: ", "a ", "b\n\n"]


FAILURES = [
    # bot, status, type, code
    ("fail-auth", 401, "authentication_error", "invalid_api_key"),
    ("fail-points", 402, "insufficient_credits", 402),
    ("fail-notfound", 404, "not_found_error", 404),
    ("fail-ratelimit", 429, "rate_limit_error", "rate_limit_exceeded"),
    ("fail-server", 500, "api_error", "internal_error"),
    ("fail-overloaded", 529, "overloaded_error", 529),
    ("fail-midstream", 502, "upstream_error", 502),  # non-stream form
]


@pytest.mark.parametrize(("bot", "status", "kind", "code"), FAILURES)
def test_failure_bots_non_stream(
    client: httpx.Client, bot: str, status: int, kind: str, code: int | str
) -> None:
    response = client.post(CHAT, headers=KEY, json=ask(bot))
    assert response.status_code == status
    assert response.headers["x-should-retry"] == "false"
    assert response.headers["x-request-id"]
    error = response.json()["error"]
    assert error["type"] == kind and error["code"] == code and error["message"]
    # Both documented shapes: integer code with metadata, string code without.
    assert ("metadata" in error) == isinstance(code, int)
    if bot == "fail-points":
        assert error["message"] == (
            "You've used up your points! Visit https://poe.com/api/keys to get more."
        )
    if bot == "fail-ratelimit":
        assert response.headers["retry-after"] == "7"


@pytest.mark.parametrize(("bot", "status"), [(b, s) for b, s, _, _ in FAILURES[:-1]])
def test_failure_bots_stream_fail_before_any_chunk(
    client: httpx.Client, bot: str, status: int
) -> None:
    response, raw = stream_chat(client, ask(bot))
    assert response.status_code == status
    assert json.loads(raw)["error"]["message"]


def test_fail_midstream_sends_error_chunk_and_no_done(client: httpx.Client) -> None:
    response, raw = stream_chat(client, ask("fail-midstream"))
    assert response.status_code == 200
    events = sse_events(raw)
    assert "[DONE]" not in events
    assert json.loads(events[-1]) == {
        "error": {"message": "The bot stopped unexpectedly.", "type": "upstream_error"}
    }
    assert json.loads(events[1])["choices"][0]["delta"]["content"]


def test_fail_drop_cuts_the_connection(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        stream_chat(client, ask("fail-drop"))
    with pytest.raises(httpx.RemoteProtocolError):
        client.post(CHAT, headers=KEY, json=ask("fail-drop"))
    assert client.get("/v1/models").status_code == 200  # the server lives on


def test_unknown_model_is_404_with_the_requested_spelling(client: httpx.Client) -> None:
    response = client.post(CHAT, headers=KEY, json=ask("GPT-9-Ultra"))
    assert response.status_code == 404
    assert response.json()["error"] == {
        "message": "Model `GPT-9-Ultra` not found.",
        "type": "not_found_error",
        "code": 404,
        "metadata": {},
    }


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        (None, "not valid JSON"),
        ({"messages": []}, "`model`"),
        ({"model": "echo"}, "`messages`"),
        ({**ask("echo"), "n": 2}, "`n`"),
    ],
)
def test_bad_requests_are_400(client: httpx.Client, body: Any, fragment: str) -> None:
    content = b"{nope" if body is None else json.dumps(body).encode()
    response = client.post(
        CHAT, headers={**KEY, "content-type": "application/json"}, content=content
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and fragment in error["message"]


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, "invalid_request_error"),
        (403, "moderation_error"),
        (408, "timeout_error"),
        (413, "request_too_large"),
        (502, "upstream_error"),
    ],
)
@pytest.mark.parametrize("route", [CHAT, "/v1/models", "/usage/current_balance"])
def test_injected_failures_on_any_route(
    client: httpx.Client, route: str, status: int, kind: str
) -> None:
    headers = {**KEY, HEADER: str(status)}
    if route == CHAT:
        response = client.post(route, headers=headers, json=ask("echo"))
    else:
        response = client.get(route, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["type"] == kind
    assert response.headers["x-should-retry"] == "false"


def test_unknown_path_is_a_json_404(client: httpx.Client) -> None:
    response = client.get("/v2/nothing")
    assert response.status_code == 404
    assert response.json()["error"]["type"] == "not_found_error"


# --- billing and usage ------------------------------------------------------------


def balance(client: httpx.Client) -> int:
    value: int = client.get("/usage/current_balance", headers=KEY).json()["current_point_balance"]
    return value


def test_balance_has_the_extended_fields(client: httpx.Client) -> None:
    body = client.get("/usage/current_balance", headers=KEY).json()
    assert isinstance(body["current_point_balance"], int)
    assert re.fullmatch(r"\d+\.\d\d", body["total_balance_usd"])
    assert body["next_monthly_grant_time"] > 10**15  # microseconds
    assert body["auto_recharge"]["enabled"] is False


def test_successful_replies_cost_points_and_log_history(
    server: FakePoeServer, client: httpx.Client
) -> None:
    before = balance(client)
    client.post(CHAT, headers=KEY, json=ask("gpt-4o-mini", "what is 2+2?"))
    after = balance(client)
    assert after < before
    top = client.get("/usage/points_history?limit=1", headers=KEY).json()["data"][0]
    assert top["bot_name"] == "GPT-4o-mini"
    assert top["cost_points"] == before - after >= 1
    assert top["usage_type"] == "API" and top["chat_name"] is None
    assert float(top["cost_usd"]) == pytest.approx(top["cost_points"] * 0.00003)
    breakdown = top["cost_breakdown_in_points"]
    assert re.fullmatch(r"\d+ points \(\d+ tokens\)", breakdown["Input"])
    assert breakdown["Total"] == f"{top['cost_points']} points"
    assert abs(top["creation_time"] / 1e6 - time.time()) < 60
    assert server.state.history[0].query_id == top["query_id"]

    stream_chat(client, ask("echo", "streamed"))
    assert balance(client) < after


def test_failures_cost_nothing(client: httpx.Client) -> None:
    before = balance(client)
    top_before = client.get("/usage/points_history?limit=1", headers=KEY).json()["data"][0]
    client.post(CHAT, headers=KEY, json=ask("fail-server"))
    stream_chat(client, ask("fail-midstream"))
    with pytest.raises(httpx.RemoteProtocolError):
        stream_chat(client, ask("fail-drop"))
    assert balance(client) == before
    top_after = client.get("/usage/points_history?limit=1", headers=KEY).json()["data"][0]
    assert top_after == top_before


def test_history_pages_newest_first_to_the_end(client: httpx.Client) -> None:
    first = client.get("/usage/points_history", headers=KEY).json()
    assert first["length"] == len(first["data"]) == 20 and first["has_more"] is True
    seen: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["starting_after"] = cursor
        page = client.get("/usage/points_history", headers=KEY, params=params).json()
        seen += page["data"]
        if not page["has_more"]:
            break
        assert page["length"] == 7
        cursor = page["data"][-1]["query_id"]
    times = [entry["creation_time"] for entry in seen]
    assert times == sorted(times, reverse=True)
    assert len({entry["query_id"] for entry in seen}) == len(seen) >= 40
    assert all(re.fullmatch(r"[a-z][a-z0-9]{17}", entry["query_id"]) for entry in seen)
    assert any(entry["cost_points"] < 0 for entry in seen)  # the refund
    assert len({entry["bot_name"] for entry in seen}) >= 4
    oldest_days = (time.time() - times[-1] / 1e6) / 86_400
    assert 20 < oldest_days <= 30


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "limit=many", "starting_after=zzz"])
def test_history_rejects_bad_queries(client: httpx.Client, query: str) -> None:
    response = client.get(f"/usage/points_history?{query}", headers=KEY)
    assert response.status_code == 400
    assert response.json()["error"]["type"] == "invalid_request_error"


def test_zero_balance_refuses_with_402() -> None:
    with FakePoeServer(speed=0, balance=0) as broke, httpx.Client(base_url=broke.base_url) as c:
        response = c.post(CHAT, headers=KEY, json=ask("echo"))
        assert response.status_code == 402
        assert response.json()["error"]["type"] == "insufficient_credits"
        assert c.post(CHAT, headers=KEY, json=ask("gemma-3-27b")).status_code == 200  # free


# --- auth and lifecycle -----------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "route"),
    [("POST", CHAT), ("GET", "/usage/current_balance"), ("GET", "/usage/points_history")],
)
def test_missing_key_is_401(client: httpx.Client, method: str, route: str) -> None:
    for headers in ({}, {"Authorization": "Bearer"}, {"Authorization": "demo-key"}):
        response = client.request(method, route, headers=headers, json=ask("echo"))
        assert response.status_code == 401
        assert response.json()["error"]["type"] == "authentication_error"


def test_a_configured_key_is_the_only_key() -> None:
    with FakePoeServer(speed=0, api_key="sekrit") as locked:
        with httpx.Client(base_url=locked.base_url) as c:
            wrong = c.post(CHAT, headers={"Authorization": "Bearer nope"}, json=ask("echo"))
            assert wrong.status_code == 401
            assert wrong.json()["error"]["code"] == "invalid_api_key"
            assert c.get("/usage/current_balance").status_code == 401
            good = {"Authorization": "Bearer sekrit"}
            assert c.post(CHAT, headers=good, json=ask("echo")).status_code == 200
            assert c.get("/v1/models").status_code == 200
        assert locked.state.count(CHAT) == 2
        assert locked.state.count("/usage/current_balance") == 1


def test_stop_joins_and_frees_the_port() -> None:
    server = FakePoeServer(speed=0)
    url = server.start()
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url) and server.base_url == url
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v1/models", timeout=2)
    server.stop()  # twice is fine


def test_module_runs_in_the_foreground() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "poe_tui.fakepoe", "--speed", "0"],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        deadline = time.monotonic() + 10
        while True:
            try:
                assert httpx.get(f"{url}/v1/models", timeout=2).status_code == 200
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline
                time.sleep(0.05)
    finally:
        process.terminate()
        process.wait(10)

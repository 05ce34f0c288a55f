"""The fake server's native `/bot/<Name>` and Anthropic `/v1/messages` routes, byte by
byte with plain httpx (the clients that parse them are tested elsewhere)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.bots import REPLACE_FINAL, SUGGESTIONS, THINKING
from poe_tui.fakepoe.fault_plan import HEADER

KEY = {"Authorization": "Bearer demo-key"}
RATE_LIMIT_TEXT = "You have exceeded rate limit to query bot using User API Key. Try again later."


@pytest.fixture(scope="module")
def server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0) as running:
        yield running


@pytest.fixture(scope="module")
def client(server: FakePoeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as http:
        yield http


def query(text: str = "hello", **message: Any) -> dict[str, Any]:
    return {
        "version": "1.2",
        "type": "query",
        "query": [{"role": "user", "content": text, **message}],
        "user_id": "",
        "conversation_id": "",
        "message_id": "",
    }


def native(
    client: httpx.Client, bot: str, body: dict[str, Any] | None = None, **headers: str
) -> tuple[httpx.Response, str]:
    with client.stream(
        "POST", f"/bot/{bot}", json=body or query(), headers={**KEY, **headers}
    ) as response:
        return response, response.read().decode()


def events(raw: str, newline: str = "\r\n") -> list[tuple[str, Any]]:
    """(event, data) pairs, checking the framing as we go."""
    assert raw.endswith(newline * 2)
    pairs = []
    for block in raw[: -2 * len(newline)].split(newline * 2):
        if block.startswith(":"):
            continue
        name_line, data_line = block.split(newline)
        assert name_line.startswith("event: ") and data_line.startswith("data: ")
        pairs.append((name_line[7:], json.loads(data_line[6:])))
    return pairs


def text_of(pairs: list[tuple[str, Any]]) -> str:
    return "".join(data["text"] for name, data in pairs if name == "text")


# --- the native route ---------------------------------------------------------------------


def test_default_bytes_are_fastapi_poe_like(client: httpx.Client) -> None:
    response, raw = native(client, "echo")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert raw.startswith('event: meta\r\ndata: {"content_type": "text/markdown", ')
    assert raw.endswith("event: done\r\ndata: {}\r\n\r\n")
    pairs = events(raw)
    assert pairs[0][0] == "meta" and pairs[-1] == ("done", {})
    assert text_of(pairs).startswith("You said: hello")


def test_lf_compact_and_bare_variants(client: httpx.Client) -> None:
    _, raw = native(client, "echo", **{"x-fakepoe-sse": "lf,compact,no-meta,no-done"})
    assert "\r" not in raw and raw.startswith('event: text\ndata: {"text":"You said: ')
    pairs = events(raw, "\n")
    assert {name for name, _ in pairs} == {"text"}


def test_noise_has_everything_a_client_must_skip(client: httpx.Client) -> None:
    _, raw = native(client, "echo", **{"x-fakepoe-sse": "noise"})
    assert "\r\n: ping - " in raw
    names = [name for name, _ in events(raw)]
    assert names[:6] == ["meta", "ping", "data", "future_event", "meta", "text"]


def test_parameters_and_attachments_of_the_last_user_message(
    server: FakePoeServer, client: httpx.Client
) -> None:
    body = query("first", parameters={"ignored": 1})
    body["query"] += [
        {"role": "bot", "content": "ok", "parameters": {}},
        {
            "role": "user",
            "content": "second",
            "parameters": {"shout": True, "style": "x"},
            "attachments": [
                {
                    "url": "https://f.example/a.pdf",
                    "content_type": "application/pdf",
                    "name": "a.pdf",
                }
            ],
            "some_future_field": {"tolerated": True},
        },
    ]
    body["tools"] = None
    _, raw = native(client, "echo", body)
    text = text_of(events(raw))
    assert text.startswith("You said: SECOND")
    assert "a.pdf (application/pdf)" in text and 'shout=true, style="x"' in text
    assert "ignored" not in text
    assert server.state.requests_to("/bot/echo")[-1].body == body


def test_every_demo_bot_event(client: httpx.Client) -> None:
    replace = events(native(client, "demo-replace")[1])
    assert ("replace_response", {"text": REPLACE_FINAL}) in replace
    suggest = events(native(client, "demo-suggest")[1])
    assert suggest[0][1]["suggested_replies"] is True
    assert [d["text"] for n, d in suggest if n == "suggested_reply"] == list(SUGGESTIONS)
    thinking = events(native(client, "demo-thinking")[1])
    chunks = [data for name, data in thinking if name == "json"]
    assert all(c["object"] == "chat.completion.chunk" for c in chunks)
    assert "".join(c["choices"][0]["delta"]["reasoning_content"] for c in chunks) == THINKING


def test_demo_params_is_in_the_catalogue_with_all_four_kinds(client: httpx.Client) -> None:
    models = {m["id"]: m for m in client.get("/v1/models").json()["data"]}
    assert {"demo-params", "demo-suggest", "demo-replace", "demo-thinking"} <= set(models)
    params = {p["name"]: p["schema"] for p in models["demo-params"]["parameters"]}
    assert params["thinking_budget"] == {"type": "number", "minimum": 0, "maximum": 31999}
    assert params["web_search"] == {"type": "boolean"}
    assert params["style"] == {"type": "string"}
    assert "enum" in params["aspect_ratio"] and "type" not in params["aspect_ratio"]


@pytest.mark.parametrize(
    ("bot", "error"),
    [
        ("fail-ratelimit", {"allow_retry": True, "text": RATE_LIMIT_TEXT}),
        ("fail-notfound", {"allow_retry": True, "text": "Internal server error"}),
        ("no-such-bot", {"allow_retry": True, "text": "Internal server error"}),
        (
            "fail-points",
            {
                "allow_retry": False,
                "text": "You've used up your points! Visit https://poe.com/api/keys to get more.",
                "error_type": "insufficient_fund",
            },
        ),
    ],
)
def test_failures_are_200_and_an_error_event(
    client: httpx.Client, bot: str, error: dict[str, Any]
) -> None:
    response, raw = native(client, bot)
    assert response.status_code == 200
    assert [name for name, _ in events(raw)] == ["meta", "error", "done"]
    assert events(raw)[1][1] == error


def test_fail_server_may_not_be_retried(client: httpx.Client) -> None:
    error = events(native(client, "fail-server")[1])[1][1]
    assert (
        error["allow_retry"] is False
        and error["text"] == "The bot encountered an unexpected issue."
    )


def test_fail_midstream_sends_text_then_error(client: httpx.Client) -> None:
    pairs = events(native(client, "fail-midstream")[1])
    names = [name for name, _ in pairs]
    assert names[0] == "meta" and names[-2:] == ["error", "done"] and "text" in names
    assert text_of(pairs).startswith("Let me think")


def test_fail_drop_cuts_the_connection(client: httpx.Client) -> None:
    with pytest.raises(httpx.RemoteProtocolError):
        native(client, "fail-drop")


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Authorization": ""}, 401),
        ({HEADER: "429"}, 429),
        ({HEADER: "500"}, 500),
    ],
)
def test_raw_http_statuses(client: httpx.Client, headers: dict[str, str], status: int) -> None:
    response = client.post("/bot/echo", json=query(), headers={**KEY, **headers})
    assert response.status_code == status and response.json()["error"]["message"]


def test_fail_auth_is_a_raw_401(client: httpx.Client) -> None:
    response = client.post("/bot/fail-auth", json=query(), headers=KEY)
    assert (
        response.status_code == 401 and response.json()["error"]["type"] == "authentication_error"
    )


@pytest.mark.parametrize("kind", ["settings", "report_error", "report_feedback", "report_reaction"])
def test_back_channel_requests_are_accepted(client: httpx.Client, kind: str) -> None:
    body = {"version": "1.2", "type": kind, "message": "x", "metadata": {}}
    response = client.post("/bot/echo", json=body, headers=KEY)
    assert response.status_code == 200 and isinstance(response.json(), dict)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"version": "1.2", "type": "teleport"}, 501),
        ({"version": "1.2"}, 400),
        ({"version": "1.2", "type": "query", "query": []}, 400),
        ({"version": "1.2", "type": "query", "query": [{"role": "user"}]}, 400),
        (query(parameters=[1]), 400),
        (query(attachments=[{"url": 1}]), 400),
    ],
)
def test_malformed_queries(client: httpx.Client, body: dict[str, Any], status: int) -> None:
    response = client.post("/bot/echo", json=body, headers=KEY)
    assert response.status_code == status and response.json()["error"]["message"]


def test_native_replies_are_billed(client: httpx.Client) -> None:
    def balance() -> int:
        return int(
            client.get("/usage/current_balance", headers=KEY).json()["current_point_balance"]
        )

    before = balance()
    native(client, "gpt-5")
    after = balance()
    assert after < before
    native(client, "fail-ratelimit")
    native(client, "fail-midstream")
    assert balance() == after


# --- the Anthropic route ---------------------------------------------------------------------

AKEY = {"x-api-key": "demo-key", "anthropic-version": "2023-06-01"}


def message(model: str = "claude-sonnet-4.5", **extra: Any) -> dict[str, Any]:
    return {
        "model": model,
        "max_tokens": 4096,
        "messages": [{"role": "user", "content": "hello"}],
        **extra,
    }


def anthropic_events(raw: str) -> list[tuple[str, dict[str, Any]]]:
    pairs = []
    for block in raw.rstrip("\n").split("\n\n"):
        name, data = block.split("\n")
        pairs.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    return pairs


def test_message_shape_resolved_id_usage_and_headers(client: httpx.Client) -> None:
    response = client.post("/v1/messages", json=message(), headers=AKEY)
    assert response.status_code == 200
    body = response.json()
    assert re.fullmatch(r"req_poe_[0-9a-f]{32}", body["id"])
    assert body["model"] == "claude-sonnet-4-5-20250929"
    assert body["type"] == "message" and body["role"] == "assistant"
    assert [b["type"] for b in body["content"]] == ["text"] and body["stop_reason"] == "end_turn"
    usage = body["usage"]
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert response.headers["anthropic-ratelimit-requests-limit"] == "500"
    assert int(response.headers["anthropic-ratelimit-requests-remaining"]) < 500
    assert response.headers["anthropic-ratelimit-requests-reset"].endswith("Z")


def test_anthropic_ids_and_bearer_are_accepted(client: httpx.Client) -> None:
    headers = {"Authorization": "Bearer demo-key", "anthropic-version": "2099-01-01"}
    response = client.post(
        "/v1/messages", json=message("claude-haiku-4-5-20251001"), headers=headers
    )
    assert response.status_code == 200 and response.json()["model"] == "claude-haiku-4-5-20251001"


def test_x_api_key_wins_over_bearer() -> None:
    server = FakePoeServer(speed=0, api_key="right")
    with server, httpx.Client(base_url=server.base_url) as http:
        wins = {"x-api-key": "right", "Authorization": "Bearer wrong", "anthropic-version": "1"}
        loses = {
            "x-api-key": "wrong",
            "Authorization": "Bearer right",
            "anthropic-version": "1",
        }
        assert http.post("/v1/messages", json=message(), headers=wins).status_code == 200
        assert http.post("/v1/messages", json=message(), headers=loses).status_code == 401


def test_thinking_stream_event_sequence(client: httpx.Client) -> None:
    body = message(
        "demo-thinking", stream=True, thinking={"type": "enabled", "budget_tokens": 2048}
    )
    with client.stream("POST", "/v1/messages", json=body, headers=AKEY) as response:
        raw = response.read().decode()
    assert response.headers["content-type"].startswith("text/event-stream")
    pairs = anthropic_events(raw)
    names = [name for name, _ in pairs]
    assert names[:3] == ["message_start", "ping", "content_block_start"]
    assert names[-2:] == ["message_delta", "message_stop"]
    starts = [
        data["content_block"]["type"] for name, data in pairs if name == "content_block_start"
    ]
    assert starts == ["thinking", "text"]
    deltas = [data["delta"]["type"] for name, data in pairs if name == "content_block_delta"]
    assert "signature_delta" in deltas and deltas.index("signature_delta") < deltas.index(
        "text_delta"
    )
    assert all(data["type"] == name for name, data in pairs)


@pytest.mark.parametrize(
    ("model", "headers", "body", "status", "kind"),
    [
        ("gpt-5", AKEY, {}, 404, "not_found_error"),
        ("claude-sonnet-4.5", {"x-api-key": "k"}, {}, 400, "invalid_request_error"),
        ("claude-sonnet-4.5", {"anthropic-version": "2023-06-01"}, {}, 401, "authentication_error"),
        ("claude-sonnet-4.5", AKEY, {"max_tokens": 0}, 400, "invalid_request_error"),
        (
            "claude-sonnet-4.5",
            AKEY,
            {"thinking": {"type": "enabled", "budget_tokens": 100}},
            400,
            "invalid_request_error",
        ),
        ("fail-auth", AKEY, {}, 401, "authentication_error"),
        ("fail-points", AKEY, {}, 402, "billing_error"),
        ("fail-notfound", AKEY, {}, 404, "not_found_error"),
        ("fail-ratelimit", AKEY, {}, 429, "rate_limit_error"),
        ("fail-server", AKEY, {}, 500, "api_error"),
        ("fail-overloaded", AKEY, {}, 529, "overloaded_error"),
    ],
)
def test_anthropic_errors(
    client: httpx.Client,
    model: str,
    headers: dict[str, str],
    body: dict[str, Any],
    status: int,
    kind: str,
) -> None:
    response = client.post("/v1/messages", json=message(model, **body), headers=headers)
    assert response.status_code == status
    error = response.json()
    assert error["type"] == "error" and error["error"]["type"] == kind and error["error"]["message"]
    assert error["request_id"].startswith("req_poe_")


def test_anthropic_midstream_error_event(client: httpx.Client) -> None:
    with client.stream(
        "POST", "/v1/messages", json=message("fail-midstream", stream=True), headers=AKEY
    ) as r:
        pairs = anthropic_events(r.read().decode())
    assert pairs[-1][0] == "error" and pairs[-1][1]["error"]["type"] == "api_error"
    assert "message_stop" not in [name for name, _ in pairs]


# --- pieces other APIs cannot carry, on the OpenAI route ----------------------------------


def test_openai_route_renders_thinking_and_replacements(client: httpx.Client) -> None:
    body = {"model": "demo-thinking", "messages": [{"role": "user", "content": "x"}]}
    message_ = client.post("/v1/chat/completions", json=body, headers=KEY).json()["choices"][0][
        "message"
    ]
    assert message_["reasoning_content"] == message_["reasoning"] == THINKING
    body["model"] = "demo-replace"
    content = client.post("/v1/chat/completions", json=body, headers=KEY).json()["choices"][0][
        "message"
    ]["content"]
    assert content.endswith("\n\n" + REPLACE_FINAL)

"""The fault plan: its header syntax, and every door applying it, against the local
server over loopback, byte by byte with plain httpx (the clients that parse the
broken replies are tested in test_core_faults)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import DEFAULT_AFTER, HEADER, FaultPlan, Kind

BEARER = {"Authorization": "Bearer plan-key"}
PROMPT = "fault plan"
ECHO_TEXT = f"You said: {PROMPT}\n\nAttachments: none · Parameters: none"
RATE_LIMIT_TEXT = "You have exceeded rate limit to query bot using User API Key. Try again later."
Send = Callable[[httpx.Client, dict[str, str]], httpx.Response]


def to_native(http: httpx.Client, headers: dict[str, str], kind: str = "query") -> httpx.Response:
    body = {
        "version": "1.2",
        "type": kind,
        "query": [{"role": "user", "content": PROMPT}],
        "user_id": "",
        "conversation_id": "",
        "message_id": "",
    }
    return http.post("/bot/echo", json=body, headers={**BEARER, **headers})


def to_openai(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    body = {"model": "echo", "messages": [{"role": "user", "content": PROMPT}]}
    return http.post("/v1/chat/completions", json=body, headers={**BEARER, **headers})


def to_anthropic(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    body = {"model": "echo", "max_tokens": 50, "messages": [{"role": "user", "content": PROMPT}]}
    anthropic = {"x-api-key": "plan-key", "anthropic-version": "2023-06-01"}
    return http.post("/v1/messages", json=body, headers={**anthropic, **headers})


def to_upload(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    files = {"file": ("a.txt", b"x")}
    upload = "/poe_api/file_upload_3RD_PARTY_POST"
    return http.post(upload, files=files, headers={"Authorization": "plan-key", **headers})


def to_models(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return http.get("/v1/models", headers=headers)


def to_balance(http: httpx.Client, headers: dict[str, str]) -> httpx.Response:
    return http.get("/usage/current_balance", headers={**BEARER, **headers})


CHAT_DOORS: dict[str, Send] = {
    "native": to_native,
    "openai": to_openai,
    "anthropic": to_anthropic,
}
DOORS: dict[str, Send] = {
    **CHAT_DOORS,
    "upload": to_upload,
    "models": to_models,
    "balance": to_balance,
}


@pytest.fixture(scope="module")
def server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0) as running:
        yield running


@pytest.fixture
def http(server: FakePoeServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.base_url, timeout=10) as client:
        yield client
    server.state.disarm_faults()  # a failed test must not break the next one


def fresh_id() -> str:
    return uuid.uuid4().hex


# --- the header's syntax ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plan"),
    [
        ("503", FaultPlan(Kind.STATUS, status=503)),
        ("drop", FaultPlan(Kind.DROP)),
        (" Reset ;AFTER = 0", FaultPlan(Kind.RESET, after=0)),
        ("error; status=429; after=0", FaultPlan(Kind.ERROR, status=429, after=0)),
        ("429; times=2; id=t1", FaultPlan(Kind.STATUS, status=429, times=2, id="t1")),
        (
            "503; retry-after=Wed, 21 Oct 2015 07:28:00 GMT; message=Come back later.",
            FaultPlan(
                Kind.STATUS,
                status=503,
                retry_after="Wed, 21 Oct 2015 07:28:00 GMT",
                message="Come back later.",
            ),
        ),
    ],
)
def test_the_header_says_what_the_plan_says(text: str, plan: FaultPlan) -> None:
    assert FaultPlan.parse(text) == plan
    assert FaultPlan.parse(plan.header()) == plan


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("gremlins", "unknown fault 'gremlins'"),
        ("status", "unknown fault"),
        ("", "unknown fault"),
        ("200", "400-599"),
        ("503; when=2", "unknown fault option 'when=2'"),
        ("503; times", "unknown fault option"),
        ("reset; after=-1", "whole number"),
        ("503; times=two", "whole number"),
        ("error; status=99", "400-599"),
        ("503; status=404", "status= goes with error"),
    ],
)
def test_a_plan_that_makes_no_sense_says_why(text: str, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        FaultPlan.parse(text)


def test_counting_in_a_header_needs_an_id() -> None:
    assert FaultPlan.from_header("503; times=1; id=x").times == 1
    with pytest.raises(ValueError, match="needs an id"):
        FaultPlan.from_header("503; times=1")


# --- statuses and drops, on every door ---------------------------------------------------


@pytest.mark.parametrize("door", list(DOORS))
def test_fail_n_times_then_answer(server: FakePoeServer, http: httpx.Client, door: str) -> None:
    fault_id = fresh_id()
    headers = {HEADER: f"503; times=2; id={fault_id}"}
    replies = [DOORS[door](http, headers) for _ in range(3)]
    assert [r.status_code for r in replies] == [503, 503, 200]
    assert server.state.fault_attempts(fault_id) == 3
    # The fault clears, so the server does not forbid the client to retry.
    assert all("x-should-retry" not in r.headers for r in replies[:2])


@pytest.mark.parametrize("door", list(DOORS))
def test_a_plan_without_times_fails_every_request(http: httpx.Client, door: str) -> None:
    headers = {HEADER: "429; retry-after=42; message=Slow down, please."}
    for _ in range(2):
        reply = DOORS[door](http, headers)
        assert reply.status_code == 429
        assert reply.headers["retry-after"] == "42"
        assert "Slow down, please." in reply.text
        if door != "upload":  # the upload door speaks plain text, and no SDK reads it
            assert reply.headers["x-should-retry"] == "false"


@pytest.mark.parametrize("door", list(DOORS))
def test_drop_cuts_the_connection_before_any_byte(
    server: FakePoeServer, http: httpx.Client, door: str
) -> None:
    before = len(server.state.requests)
    with pytest.raises(httpx.RemoteProtocolError):
        DOORS[door](http, {HEADER: "drop"})
    assert len(server.state.requests) == before + 1  # logged like any request


@pytest.mark.parametrize("door", list(DOORS))
def test_a_bad_header_is_a_400_that_says_why(http: httpx.Client, door: str) -> None:
    reply = DOORS[door](http, {HEADER: "gremlins"})
    assert reply.status_code == 400 and "unknown fault 'gremlins'" in reply.text


@pytest.mark.parametrize("door", ["upload", "models", "balance"])
def test_doors_without_a_stream_answer_a_break_normally(http: httpx.Client, door: str) -> None:
    assert DOORS[door](http, {HEADER: "reset"}).status_code == 200


def test_an_error_at_once_is_an_event_on_native_and_a_status_elsewhere(
    http: httpx.Client,
) -> None:
    headers = {HEADER: "error; status=429; after=0"}
    reply = to_native(http, headers)
    assert reply.status_code == 200
    errors = [
        json.loads(block.split("data: ", 1)[1])
        for block in reply.text.split("\r\n\r\n")
        if block.startswith("event: error")
    ]
    assert errors == [{"allow_retry": True, "text": RATE_LIMIT_TEXT}]
    assert "event: text" not in reply.text
    assert to_openai(http, headers).status_code == 429
    assert to_anthropic(http, headers).status_code == 429


# --- armed plans ------------------------------------------------------------------------


def test_an_armed_plan_hits_the_next_chat_requests_only(
    server: FakePoeServer, http: httpx.Client
) -> None:
    server.arm_fault(FaultPlan(Kind.STATUS, status=503, times=2, id=(fault_id := fresh_id())))
    assert to_models(http, {}).status_code == 200
    assert to_balance(http, {}).status_code == 200
    assert to_upload(http, {}).status_code == 200
    assert to_native(http, {}, kind="settings").status_code == 200  # fastapi-poe's back channel
    assert to_openai(http, {}).status_code == 503
    assert to_anthropic(http, {}).status_code == 503
    assert to_native(http, {}).status_code == 200
    assert server.state.fault_attempts(fault_id) == 2


def test_an_armed_plan_without_times_breaks_one_request(
    server: FakePoeServer, http: httpx.Client
) -> None:
    server.arm_fault("502")
    assert [to_openai(http, {}).status_code for _ in range(2)] == [502, 200]


def test_a_header_plan_goes_before_an_armed_one(server: FakePoeServer, http: httpx.Client) -> None:
    server.arm_fault("502")
    assert to_openai(http, {HEADER: "404"}).status_code == 404
    assert to_openai(http, {}).status_code == 502


def test_arming_a_bad_plan_fails_in_the_test(server: FakePoeServer) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        server.arm_fault("gremlins")
    assert server.state.take_armed_fault() is None


# --- breaks after K characters, read byte by byte ---------------------------------------

CLOSING = {"native": "event: done", "openai": "data: [DONE]", "anthropic": "event: message_stop"}


def stream_request(door: str) -> tuple[str, dict[str, Any], dict[str, str]]:
    """Path, body and headers of a streamed request for echo through a chat door."""
    messages = [{"role": "user", "content": PROMPT}]
    if door == "native":
        return "/bot/echo", {"version": "1.2", "type": "query", "query": messages}, BEARER
    if door == "openai":
        return (
            "/v1/chat/completions",
            {"model": "echo", "messages": messages, "stream": True},
            BEARER,
        )
    anthropic = {"x-api-key": "plan-key", "anthropic-version": "2023-06-01"}
    body = {"model": "echo", "max_tokens": 50, "messages": messages, "stream": True}
    return "/v1/messages", body, anthropic


def streamed(http: httpx.Client, door: str, plan: str) -> tuple[str, bool]:
    """The body's text as far as it came, and whether the connection was cut."""
    path, body, headers = stream_request(door)
    chunks: list[bytes] = []
    try:
        with http.stream("POST", path, json=body, headers={**headers, HEADER: plan}) as reply:
            assert reply.status_code == 200
            chunks.extend(reply.iter_raw())
    except httpx.RemoteProtocolError:
        return b"".join(chunks).decode(), True
    return b"".join(chunks).decode(), False


def text_of(door: str, raw: str) -> str:
    """The reply's text in the door's wire format."""
    said = ""
    for block in raw.replace("\r\n", "\n").split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line)
        if "data" not in lines or lines["data"] == "[DONE]":
            continue
        data = json.loads(lines["data"])
        event = lines.get("event")
        if door == "native" and event == "text":
            said += data["text"]
        elif door == "openai" and data.get("choices"):
            said += data["choices"][0]["delta"].get("content") or ""
        elif door == "anthropic" and event == "content_block_delta":
            said += data["delta"].get("text", "")
    return said


@pytest.mark.parametrize("door", list(CHAT_DOORS))
@pytest.mark.parametrize("after", [7, 33, DEFAULT_AFTER])
def test_a_reset_strikes_after_k_characters(http: httpx.Client, door: str, after: int) -> None:
    plan = "reset" if after == DEFAULT_AFTER else f"reset; after={after}"
    raw, cut = streamed(http, door, plan)
    assert cut and text_of(door, raw) == ECHO_TEXT[:after]


@pytest.mark.parametrize("door", list(CHAT_DOORS))
def test_an_error_break_carries_the_status_it_names(http: httpx.Client, door: str) -> None:
    raw, cut = streamed(http, door, "error; status=529; after=11")
    assert not cut and text_of(door, raw) == ECHO_TEXT[:11]
    assert "The bot is overloaded." in raw
    assert (CLOSING[door] in raw) == (door == "native")  # native says done after an error


@pytest.mark.parametrize("door", list(CHAT_DOORS))
def test_a_break_counted_by_id_clears(server: FakePoeServer, http: httpx.Client, door: str) -> None:
    plan = f"no-done; times=1; id={(fault_id := fresh_id())}"
    (first, _), (second, _) = [streamed(http, door, plan) for _ in range(2)]
    assert CLOSING[door] not in first and text_of(door, first) == ECHO_TEXT[:DEFAULT_AFTER]
    assert CLOSING[door] in second and text_of(door, second) == ECHO_TEXT
    assert server.state.fault_attempts(fault_id) == 2

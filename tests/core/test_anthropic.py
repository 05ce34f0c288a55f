"""The Anthropic-compatible transport (poe-api.md section 7), over real loopback sockets."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.events import Done, StreamEvent, StreamFailed, TextDelta, ThinkingDelta, Usage
from poe_tui.core.messages import Attachment, ChatMessage
from poe_tui.core.models import parse_model
from poe_tui.core.transports import anthropic_chat
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.bots import THINKING, THINKING_ANSWER
from tests.support.loopback import LoopbackServer

KEY = ApiKey("anthropic-test-key")
ANTHROPIC = Transport.ANTHROPIC
PATH = "/v1/messages"
THINK = {"thinking_budget": 2048}


@pytest.fixture
async def client(fake_poe: FakePoeServer):
    async with PoeClient(KEY, base_url=fake_poe.base_url) as c:
        await c.list_models()  # so demo bots listing /v1/messages count as served
        yield c


def ask(text: str = "hello") -> list[ChatMessage]:
    return [ChatMessage("user", text)]


async def collect(client: PoeClient, bot: str, text: str = "hello", **kw) -> list[StreamEvent]:
    return [ev async for ev in client.stream_chat(bot, ask(text), transport=ANTHROPIC, **kw)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


def failure_of(events: list[StreamEvent]) -> e.PoeError:
    assert isinstance(events[-1], StreamFailed), events
    assert sum(isinstance(ev, Done | StreamFailed) for ev in events) == 1
    return events[-1].error


# --- the request ------------------------------------------------------------------------


def test_body_system_roles_and_no_thinking_by_default() -> None:
    history = [
        ChatMessage("system", "be brief"),
        ChatMessage("user", "one"),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "two"),
    ]
    body = anthropic_chat.request_body("claude-sonnet-4.5", history, stream=True)
    assert body == {
        "model": "claude-sonnet-4.5",
        "max_tokens": anthropic_chat.DEFAULT_MAX_TOKENS,
        "messages": [
            {"role": "user", "content": "one"},
            {"role": "assistant", "content": "ok"},
            {"role": "user", "content": "two"},
        ],
        "stream": True,
        "system": "be brief",
    }
    zero = anthropic_chat.request_body(
        "claude-x", ask(), stream=False, parameters={"thinking_budget": 0}
    )
    assert "thinking" not in zero


def test_thinking_budget_becomes_thinking_with_room_to_answer() -> None:
    body = anthropic_chat.request_body(
        "claude-x", ask(), stream=False, parameters={"thinking_budget": "8000"}
    )
    assert body["thinking"] == {"type": "enabled", "budget_tokens": 8000}
    assert body["max_tokens"] > 8000
    capped = anthropic_chat.request_body(
        "claude-x",
        ask(),
        stream=False,
        parameters={"thinking_budget": 1024, "max_output_tokens": 3000},
    )
    assert capped["max_tokens"] == 3000 and capped["thinking"]["budget_tokens"] == 1024


@pytest.mark.parametrize(
    ("parameters", "cls", "words"),
    [
        ({"thinking_budget": 500}, e.InvalidParameterError, "at least 1024"),
        ({"thinking_budget": "lots"}, e.InvalidParameterError, "not a number"),
        ({"thinking_budget": True}, e.InvalidParameterError, "not a number"),
        ({"web_search": True}, e.UnsupportedTransportError, "web_search"),
    ],
)
def test_parameters_this_api_cannot_carry(parameters, cls: type, words: str) -> None:
    with pytest.raises(cls, match=words):
        anthropic_chat.request_body("claude-x", ask(), stream=False, parameters=parameters)


def test_attachments_become_image_and_document_blocks() -> None:
    files = [
        Attachment("https://f.example/p.png", "image/png", "p.png"),
        Attachment("data:application/pdf;base64,JVBERi0=", "application/pdf", "n.pdf"),
    ]
    body = anthropic_chat.request_body("claude-x", ask("look"), stream=False, attachments=files)
    assert body["messages"][0]["content"] == [
        {"type": "image", "source": {"type": "url", "url": "https://f.example/p.png"}},
        {
            "type": "document",
            "source": {"type": "base64", "media_type": "application/pdf", "data": "JVBERi0="},
            "title": "n.pdf",
        },
        {"type": "text", "text": "look"},
    ]
    with pytest.raises(e.UnsupportedTransportError, match=r"a\.zip"):
        anthropic_chat.request_body(
            "claude-x",
            ask(),
            stream=False,
            attachments=[Attachment("https://f/a.zip", "application/zip", "a.zip")],
        )


@pytest.mark.parametrize(
    ("bot", "entry", "served"),
    [
        ("claude-sonnet-4.5", None, True),
        ("Claude-Haiku-4.5", None, True),
        ("gpt-5", None, False),
        ("my-sonnet", {"owned_by": "Anthropic"}, True),
        ("echo", {"owned_by": "Poe Demo", "supported_endpoints": ["/v1/messages"]}, True),
        ("gpt-5", {"owned_by": "OpenAI", "supported_endpoints": ["/v1/chat/completions"]}, False),
    ],
)
def test_which_bots_are_served(bot: str, entry: dict | None, served: bool) -> None:
    model = parse_model({"id": bot.lower(), **entry}) if entry is not None else None
    assert anthropic_chat.serves(bot, model) is served


async def test_non_claude_is_refused_before_sending(
    client: PoeClient, fake_poe: FakePoeServer
) -> None:
    before = fake_poe.state.count(PATH)
    error = failure_of(await collect(client, "gpt-5"))
    assert isinstance(error, e.UnsupportedTransportError)
    assert "only serves Claude bots" in error.message and "gpt-5" in error.message
    with pytest.raises(e.UnsupportedTransportError):
        await client.chat("gpt-5", ask(), transport=ANTHROPIC)
    assert fake_poe.state.count(PATH) == before


async def test_headers_on_the_wire(client: PoeClient, fake_poe: FakePoeServer) -> None:
    await collect(client, "claude-haiku-4.5")
    record = fake_poe.state.requests_to(PATH)[-1]
    assert record.headers["x-api-key"] == "anthropic-test-key"
    assert "authorization" not in record.headers
    assert record.headers["anthropic-version"] == "2023-06-01"
    assert record.headers["accept"] == "text/event-stream"
    assert record.body["stream"] is True and record.body["model"] == "claude-haiku-4.5"


# --- replies ----------------------------------------------------------------------------------


async def test_stream_text_usage_and_stop_reason(client: PoeClient) -> None:
    events = await collect(client, "claude-sonnet-4.5", "hi there")
    assert "Claude-Sonnet-4.5" in text_of(events) and "> hi there" in text_of(events)
    assert not any(isinstance(ev, ThinkingDelta) for ev in events)
    usage = [ev for ev in events if isinstance(ev, Usage)]
    assert (
        len(usage) == 1
        and usage[0].total_tokens == usage[0].prompt_tokens + usage[0].completion_tokens
    )
    assert events[-1] == Done("end_turn")


async def test_thinking_blocks_when_enabled(client: PoeClient) -> None:
    events = await collect(client, "demo-thinking", parameters=THINK)
    thinking = "".join(ev.text for ev in events if isinstance(ev, ThinkingDelta))
    assert (thinking, text_of(events)) == (THINKING, THINKING_ANSWER)
    plain = await collect(client, "demo-thinking")
    assert not any(isinstance(ev, ThinkingDelta) for ev in plain)
    assert text_of(plain) == THINKING_ANSWER


async def test_claude_thinks_when_given_a_budget(client: PoeClient) -> None:
    reply = await client.chat("claude-sonnet-4.5", ask(), parameters=THINK, transport=ANTHROPIC)
    assert reply.thinking and reply.text.startswith("Hello from")
    assert reply.finish_reason == "end_turn"
    assert reply.total_tokens == reply.prompt_tokens + reply.completion_tokens


async def test_stream_and_complete_agree(client: PoeClient) -> None:
    events = await collect(client, "demo-thinking", parameters=THINK)
    reply = await client.chat("demo-thinking", ask(), parameters=THINK, transport=ANTHROPIC)
    assert reply.text == text_of(events) and reply.thinking == THINKING
    usage = next(ev for ev in events if isinstance(ev, Usage))
    assert reply.completion_tokens == usage.completion_tokens


ANTHROPIC_FAILURES = [
    ("fail-auth", e.AuthenticationError, 401),
    ("fail-points", e.InsufficientPointsError, 402),
    ("fail-notfound", e.NotFoundError, 404),
    ("fail-ratelimit", e.RateLimitError, 429),
    ("fail-server", e.ServerError, 500),
    ("fail-overloaded", e.ServerError, 529),
    ("claude-nonexistent-9", e.NotFoundError, 404),
]


@pytest.mark.parametrize(("bot", "cls", "status"), ANTHROPIC_FAILURES)
async def test_failure_bots(client: PoeClient, bot: str, cls: type, status: int) -> None:
    error = failure_of(await collect(client, bot))
    assert type(error) is cls and error.status == status and error.message
    assert error.request_id and error.request_id.startswith("req_poe_")
    with pytest.raises(cls):
        await client.chat(bot, ask(), transport=ANTHROPIC)


async def test_rate_limit_says_when_to_retry(client: PoeClient) -> None:
    error = failure_of(await collect(client, "fail-ratelimit"))
    assert isinstance(error, e.RateLimitError) and error.retry_after == 7


async def test_midstream_error_event(client: PoeClient) -> None:
    events = await collect(client, "fail-midstream")
    error = failure_of(events)
    assert text_of(events).startswith("Let me think")
    assert isinstance(error, e.ServerError) and error.status is None and error.retryable
    assert error.error_type == "api_error"


async def test_drop_is_a_network_error(client: PoeClient) -> None:
    events = await collect(client, "fail-drop")
    assert text_of(events) and isinstance(failure_of(events), e.NetworkError)


async def test_a_keyed_server_reads_x_api_key() -> None:
    with FakePoeServer(speed=0, api_key="the-right-key") as server:
        for key, ok in (("the-right-key", True), ("the-wrong-key", False)):
            async with PoeClient(ApiKey(key), base_url=server.base_url) as client:
                events = await collect(client, "claude-haiku-4.5")
            assert isinstance(events[-1], Done) is ok


async def test_missing_key_is_refused_without_a_request(fake_poe: FakePoeServer) -> None:
    async with PoeClient(None, base_url=fake_poe.base_url) as client:
        error = failure_of(await collect(client, "claude-haiku-4.5"))
    assert isinstance(error, e.AuthenticationError) and "No API key" in error.message


# --- hand-written bytes ------------------------------------------------------------------------

SCRIPTS: dict[str, str] = {}


async def _scripted(request: Request) -> Response:
    body = await request.json()
    return Response(SCRIPTS[body["model"]].encode(), media_type="text/event-stream")


@pytest.fixture(scope="module")
def scripted() -> Iterator[str]:
    app = Starlette(routes=[Route(PATH, _scripted, methods=["POST"])])
    with LoopbackServer(app) as server:
        yield server.base_url


def ev(name: str, data: str) -> str:
    return f"event: {name}\ndata: {data}\n\n"


START = ev("message_start", '{"type":"message_start","message":{"usage":{"input_tokens":5}}}')
STOP = ev("message_stop", '{"type":"message_stop"}')


def delta(kind: str, text: str) -> str:
    key = {"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "signature"}[kind]
    return ev(
        "content_block_delta",
        f'{{"type":"content_block_delta","index":0,"delta":{{"type":"{kind}","{key}":"{text}"}}}}',
    )


async def run_script(base_url: str, name: str, body: str) -> list[StreamEvent]:
    SCRIPTS[name] = body
    async with PoeClient(KEY, base_url=base_url) as client:
        return await collect(client, name)


async def test_scripted_full_stream(scripted: str) -> None:
    body = (
        START
        + ev("ping", '{"type":"ping"}')
        + ev("content_block_start", '{"index":0,"content_block":{"type":"thinking","thinking":""}}')
        + delta("thinking_delta", "hm")
        + delta("signature_delta", "sig")
        + ev("content_block_stop", '{"index":0}')
        + ev("content_block_start", '{"index":1,"content_block":{"type":"text","text":"He"}}')
        + delta("text_delta", "llo")
        + ev("some_future_event", "not even json")
        + ev("message_delta", '{"delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":9}}')
        + STOP
        + delta("text_delta", "ignored after stop")
    )
    events = await run_script(scripted, "claude-full", body)
    assert events == [
        ThinkingDelta("hm"),
        TextDelta("He"),
        TextDelta("llo"),
        Usage(5, 9, 14),
        Done("max_tokens"),
    ]


@pytest.mark.parametrize(
    ("name", "body", "cls", "words"),
    [
        ("claude-cut", START + delta("text_delta", "part"), e.ProtocolError, "cut off"),
        ("claude-bad-json", START + ev("content_block_delta", "{oops"), e.ProtocolError, "JSON"),
        ("claude-array", START + ev("message_delta", "[1]"), e.ProtocolError, "JSON object"),
        (
            "claude-overloaded",
            START
            + ev("error", '{"type":"error","error":{"type":"overloaded_error","message":"Busy."}}'),
            e.ServerError,
            "Busy.",
        ),
        (
            "claude-limited",
            START
            + ev("error", '{"type":"error","error":{"type":"rate_limit_error","message":"Slow."}}'),
            e.RateLimitError,
            "Slow.",
        ),
    ],
)
async def test_scripted_failures(
    scripted: str, name: str, body: str, cls: type, words: str
) -> None:
    error = failure_of(await run_script(scripted, name, body))
    assert type(error) is cls and words in error.message


def test_non_streaming_parse() -> None:
    payload = {
        "model": "claude-haiku-4-5-20251001",
        "id": "req_poe_0",
        "type": "message",
        "content": [
            {"type": "thinking", "thinking": "a", "signature": "s"},
            {"type": "text", "text": "b"},
            {"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}},
            {"type": "text", "text": "c"},
        ],
        "stop_reason": "end_turn",
        "usage": {"input_tokens": 3, "output_tokens": 4},
    }
    reply = anthropic_chat.parse_message(payload)
    assert (reply.thinking, reply.text, reply.total_tokens) == ("a", "bc", 7)
    with pytest.raises(e.ServerError, match="Busy"):
        anthropic_chat.parse_message(
            {"type": "error", "error": {"type": "api_error", "message": "Busy"}}
        )
    with pytest.raises(e.ProtocolError):
        anthropic_chat.parse_message({"type": "message"})

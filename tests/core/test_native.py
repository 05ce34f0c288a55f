"""The native Poe protocol transport (poe-api.md section 1), over real loopback sockets:
against our local server, and against hand-written SSE bytes for the edge cases."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import fastapi_poe as fp
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.events import (
    Done,
    FileOutput,
    JsonData,
    Meta,
    ReplaceResponse,
    StreamEvent,
    StreamFailed,
    SuggestedReply,
    TextDelta,
    ThinkingDelta,
)
from poe_tui.core.messages import Attachment, ChatMessage
from poe_tui.core.models import Parameter, parse_model
from poe_tui.core.parameters import guess_scalar, parse_assignments, validate_parameters
from poe_tui.core.transports import native
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.bots import REPLACE_FINAL, SUGGESTIONS, THINKING, THINKING_ANSWER
from poe_tui.fakepoe.fault_plan import HEADER
from tests.support.loopback import LoopbackServer

KEY = ApiKey("native-test-key")
NATIVE = Transport.NATIVE
PDF = Attachment("https://files.example/y.pdf", "application/pdf", "y.pdf")


@pytest.fixture
async def client(fake_poe: FakePoeServer):
    async with PoeClient(KEY, base_url=fake_poe.base_url) as c:
        yield c


def ask(text: str = "hello") -> list[ChatMessage]:
    return [ChatMessage("user", text)]


async def collect(client: PoeClient, bot: str, text: str = "hello", **kw) -> list[StreamEvent]:
    return [ev async for ev in client.stream_chat(bot, ask(text), transport=NATIVE, **kw)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


def failure_of(events: list[StreamEvent]) -> e.PoeError:
    assert isinstance(events[-1], StreamFailed), events
    assert sum(isinstance(ev, Done | StreamFailed) for ev in events) == 1
    return events[-1].error


# --- the request ---------------------------------------------------------------------

MESSAGE_KEYS = set(fp.ProtocolMessage.model_fields)
QUERY_KEYS = set(fp.QueryRequest.model_fields)


def test_query_request_has_every_field_bot_roles_and_params_on_last_user() -> None:
    history = [
        ChatMessage("system", "be brief"),
        ChatMessage("user", "one", (PDF,)),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "two"),
        ChatMessage("assistant", "(draft)"),
    ]
    image = Attachment("https://files.example/p.png", "image/png", "p.png")
    body = native.query_request(history, parameters={"thinking_budget": 1000}, attachments=[image])
    assert set(body) == QUERY_KEYS
    assert body["version"] == "1.2" and body["type"] == "query"
    query = body["query"]
    assert [m["role"] for m in query] == ["system", "user", "bot", "user", "bot"]
    assert all(set(m) == MESSAGE_KEYS for m in query)
    assert [m["parameters"] for m in query] == [{}, {}, {}, {"thinking_budget": 1000}, {}]
    assert [a["name"] for a in query[1]["attachments"]] == ["y.pdf"]
    assert query[3]["attachments"] == [
        {
            "url": "https://files.example/p.png",
            "content_type": "image/png",
            "name": "p.png",
            "inline_ref": None,
            "parsed_content": None,
        }
    ]
    # fastapi-poe's own model (the protocol's reference) accepts the body as it is.
    parsed = fp.QueryRequest.model_validate(body)
    assert parsed.query[3].parameters == {"thinking_budget": 1000}


def test_query_request_defaults_match_fastapi_poe() -> None:
    body = native.query_request(ask("hi"))
    reference = fp.QueryRequest(
        version="1.2",
        type="query",
        query=[fp.ProtocolMessage(role="user", content="hi")],
        user_id="",
        conversation_id="",
        message_id="",
    ).model_dump(mode="json")
    assert body == reference


def test_parameters_without_a_user_message_are_refused() -> None:
    with pytest.raises(e.BadRequestError):
        native.query_request([ChatMessage("system", "x")], parameters={"a": 1})


async def test_request_on_the_wire(client: PoeClient, fake_poe: FakePoeServer) -> None:
    await collect(client, "echo", parameters={"shout": True}, attachments=[PDF])
    record = fake_poe.state.requests_to("/bot/echo")[-1]
    assert record.method == "POST"
    assert record.headers["authorization"] == "Bearer native-test-key"
    assert record.headers["accept"] == "text/event-stream"
    assert "x-api-key" not in record.headers
    last = record.body["query"][-1]
    assert last["parameters"] == {"shout": True}
    assert last["attachments"][0]["url"] == PDF.url


# --- events from the local server -----------------------------------------------------


async def test_text_meta_and_done(client: PoeClient) -> None:
    events = await collect(client, "echo", "hi there")
    assert isinstance(events[0], Meta) and events[0].content_type == "text/markdown"
    assert text_of(events).startswith("You said: hi there")
    assert isinstance(events[-1], Done)
    assert sum(isinstance(ev, Done | StreamFailed) for ev in events) == 1


async def test_parameters_and_attachments_reach_the_bot(client: PoeClient) -> None:
    reply = await client.chat(
        "echo",
        ask("x"),
        parameters={"shout": True, "repeat": 2},
        attachments=[PDF],
        transport=NATIVE,
    )
    assert reply.text.startswith("You said: X\n\nYou said: X")
    assert "y.pdf (application/pdf)" in reply.text
    assert "repeat=2" in reply.text and "shout=true" in reply.text


async def test_replace_response(client: PoeClient) -> None:
    events = await collect(client, "demo-replace")
    replaced = [ev for ev in events if isinstance(ev, ReplaceResponse)]
    assert text_of(events) and replaced == [ReplaceResponse(REPLACE_FINAL)]
    reply = await client.chat("demo-replace", ask(), transport=NATIVE)
    assert reply.text == REPLACE_FINAL


async def test_suggested_replies(client: PoeClient) -> None:
    events = await collect(client, "demo-suggest")
    assert isinstance(events[0], Meta) and events[0].suggested_replies
    assert [ev.text for ev in events if isinstance(ev, SuggestedReply)] == list(SUGGESTIONS)
    reply = await client.chat("demo-suggest", ask(), transport=NATIVE)
    assert reply.suggested_replies == SUGGESTIONS and "follow-ups" in reply.text


async def test_thinking_arrives_as_json_reasoning(client: PoeClient) -> None:
    events = await collect(client, "demo-thinking")
    thinking = [i for i, ev in enumerate(events) if isinstance(ev, ThinkingDelta)]
    answer = [i for i, ev in enumerate(events) if isinstance(ev, TextDelta)]
    assert thinking and answer and max(thinking) < min(answer)
    reply = await client.chat("demo-thinking", ask(), transport=NATIVE)
    assert (reply.thinking, reply.text) == (THINKING, THINKING_ANSWER)


async def test_demo_params_table_shows_json_types(client: PoeClient) -> None:
    params = {"thinking_budget": 2048, "web_search": True, "style": "noir", "aspect_ratio": "16:9"}
    reply = await client.chat("demo-params", ask(), parameters=params, transport=NATIVE)
    for row in (
        "| `thinking_budget` | `2048` | int |",
        "| `web_search` | `true` | bool |",
        '| `style` | `"noir"` | str |',
        '| `aspect_ratio` | `"16:9"` | str |',
    ):
        assert row in reply.text


NATIVE_FAILURES = [
    # bot, error class, retryable, words in one_line()
    ("fail-ratelimit", e.RateLimitError, True, "exceeded rate limit"),
    ("fail-points", e.InsufficientPointsError, False, "poe.com/api/keys"),
    ("fail-notfound", e.ServerError, True, "name may be wrong"),
    ("no-such-bot-anywhere", e.ServerError, True, "poe-tui models"),
    ("fail-server", e.ServerError, False, "unexpected issue"),
    ("fail-overloaded", e.ServerError, True, "overloaded"),
]


@pytest.mark.parametrize(("bot", "cls", "retryable", "words"), NATIVE_FAILURES)
async def test_failure_bots_send_error_events(
    client: PoeClient, fake_poe: FakePoeServer, bot: str, cls: type, retryable: bool, words: str
) -> None:
    events = await collect(client, bot)
    error = failure_of(events)
    assert type(error) is cls and error.retryable is retryable
    assert error.status is None  # HTTP 200 + an error event, as api.poe.com does
    assert words.lower() in error.one_line().lower()
    with pytest.raises(cls):
        await client.chat(bot, ask(), transport=NATIVE)


async def test_points_error_carries_its_type(client: PoeClient) -> None:
    error = failure_of(await collect(client, "fail-points"))
    assert error.error_type == "insufficient_fund"


async def test_bad_key_is_an_http_401(client: PoeClient) -> None:
    error = failure_of(await collect(client, "fail-auth"))
    assert isinstance(error, e.AuthenticationError) and error.status == 401


async def test_midstream_error_keeps_partial_text(client: PoeClient) -> None:
    events = await collect(client, "fail-midstream")
    assert text_of(events).startswith("Let me think")
    assert isinstance(failure_of(events), e.ServerError)


async def test_dropped_connection_is_a_network_error(client: PoeClient) -> None:
    events = await collect(client, "fail-drop")
    error = failure_of(events)
    assert text_of(events) and isinstance(error, e.NetworkError) and "mid-reply" in error.message


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, e.BadRequestError),
        (401, e.AuthenticationError),
        (402, e.InsufficientPointsError),
        (404, e.NotFoundError),
        (429, e.RateLimitError),
        (500, e.ServerError),
        (529, e.ServerError),
    ],
)
async def test_http_statuses_are_reported_by_status(
    fake_poe: FakePoeServer, status: int, cls: type
) -> None:
    async with PoeClient(KEY, base_url=fake_poe.base_url) as client:
        client.http.headers[HEADER] = str(status)
        error = failure_of(await collect(client, "echo"))
        assert type(error) is cls and error.status == status


@pytest.mark.parametrize("style", ["", "lf", "compact", "lf, compact", "noise", "lf,noise"])
async def test_byte_variants_give_the_same_reply(fake_poe: FakePoeServer, style: str) -> None:
    async with PoeClient(KEY, base_url=fake_poe.base_url) as client:
        client.http.headers["x-fakepoe-sse"] = style
        events = await collect(client, "demo-suggest")
    metas = [ev for ev in events if isinstance(ev, Meta)]
    assert metas == [Meta("text/markdown", True, True)]  # the late text/plain meta is ignored
    assert text_of(events) == "Here is an answer with follow-ups to pick from."
    assert len([ev for ev in events if isinstance(ev, SuggestedReply)]) == 3
    assert isinstance(events[-1], Done)


async def test_missing_done_is_cut_off_and_keeps_the_text(fake_poe: FakePoeServer) -> None:
    async with PoeClient(KEY, base_url=fake_poe.base_url) as client:
        client.http.headers["x-fakepoe-sse"] = "no-done, no-meta"
        events = await collect(client, "echo", "partial")
        with pytest.raises(e.ProtocolError, match="cut off"):
            await client.chat("echo", ask(), transport=NATIVE)
    assert not any(isinstance(ev, Meta) for ev in events)
    assert text_of(events).startswith("You said: partial")
    error = failure_of(events)
    assert isinstance(error, e.ProtocolError) and "cut off" in error.message


async def test_billing_applies_on_the_native_route() -> None:
    with FakePoeServer(speed=0) as server:
        async with PoeClient(KEY, base_url=server.base_url) as client:
            before = (await client.get_balance()).current_point_balance
            await collect(client, "gpt-5", "cost me something")
            after = (await client.get_balance()).current_point_balance
            assert after < before
            await collect(client, "fail-server")
            await collect(client, "fail-midstream")
            assert (await client.get_balance()).current_point_balance == after


# --- hand-written bytes ----------------------------------------------------------------

SCRIPTS: dict[str, tuple[int, str, bytes]] = {}
SSE = "text/event-stream"


def script(name: str, body: str, *, status: int = 200, content_type: str = SSE) -> str:
    SCRIPTS[name] = (status, content_type, body.encode())
    return name


async def _scripted(request: Request) -> Response:
    status, content_type, body = SCRIPTS[request.path_params["name"]]
    return Response(body, status, media_type=content_type)


@pytest.fixture(scope="module")
def scripted() -> Iterator[str]:
    app = Starlette(routes=[Route("/bot/{name}", _scripted, methods=["POST"])])
    with LoopbackServer(app) as server:
        yield server.base_url


async def run_script(base_url: str, name: str) -> list[StreamEvent]:
    async with PoeClient(KEY, base_url=base_url) as client:
        return await collect(client, name)


def ev(name: str, data: str, nl: str = "\n") -> str:
    return f"event: {name}{nl}data: {data}{nl}{nl}"


DONE = ev("done", "{}")


@pytest.mark.parametrize("nl", ["\n", "\r\n", "\r"])
async def test_every_line_ending(scripted: str, nl: str) -> None:
    body = ev("text", '{"text":"a"}', nl) + ev("text", '{"text": "b"}', nl) + ev("done", "{}", nl)
    events = await run_script(scripted, script(f"nl{len(nl)}{nl == chr(13)}", body))
    assert text_of(events) == "ab" and isinstance(events[-1], Done)


async def test_meta_only_first_and_checked(scripted: str) -> None:
    late = ev("text", '{"text":"x"}') + ev("meta", '{"content_type":"text/plain"}') + DONE
    events = await run_script(scripted, script("late-meta", late))
    assert not any(isinstance(x, Meta) for x in events)
    first = ev("meta", '{"content_type":"text/plain","linkify":true}') + DONE
    events = await run_script(scripted, script("first-meta", first))
    assert events[0] == Meta("text/plain", False, True)
    wrong = ev("meta", '{"suggested_replies":"yes"}') + DONE
    events = await run_script(scripted, script("wrong-meta", wrong))
    assert events == [Done(None)]


async def test_ping_data_comments_and_unknown_events_are_skipped(scripted: str) -> None:
    body = (
        ": keep-alive\n\n"
        + ev("ping", "1712345678")  # an old sse-starlette ping: bare timestamp
        + ev("data", '{"metadata":"m"}')
        + ev("tool_progress", "not json at all")
        + "data: no event name\n\n"
        + ev("text", '{"text":"ok","index":0}')
        + DONE
        + ev("text", '{"text":"after done"}')
    )
    events = await run_script(scripted, script("noise", body))
    assert text_of(events) == "ok" and isinstance(events[-1], Done)


async def test_json_events(scripted: str) -> None:
    reasoning = '{"choices":[{"index":0,"delta":{"reasoning_content":"hmm"}}]}'
    tool = '{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1"}]}}]}'
    body = ev("json", reasoning) + ev("json", tool) + DONE
    events = await run_script(scripted, script("json", body))
    assert events[0] == ThinkingDelta("hmm")
    assert isinstance(events[1], JsonData) and events[1].data["choices"][0]["delta"]["tool_calls"]


async def test_file_event(scripted: str) -> None:
    data = '{"url":"https://f.example/a.png","content_type":"image/png","name":"a.png"}'
    events = await run_script(scripted, script("file", ev("file", data) + DONE))
    assert events[0] == FileOutput("https://f.example/a.png", "image/png", "a.png", None)
    broken = ev("file", '{"url":"https://f.example/a.png","name":"a.png"}') + DONE
    error = failure_of(await run_script(scripted, script("file-broken", broken)))
    assert isinstance(error, e.ProtocolError) and "content_type" in error.message


@pytest.mark.parametrize(
    ("name", "body", "words"),
    [
        ("array", ev("text", "[1, 2]"), "not a JSON object"),
        ("string", ev("text", '"hi"'), "not a JSON object"),
        ("invalid", ev("text", "{text: hi}"), "not valid JSON"),
        ("done-array", ev("done", "[]"), "not a JSON object"),
        ("error-bad", ev("error", "oops"), "not valid JSON"),
        ("text-number", ev("text", '{"text": 5}'), "no string 'text'"),
    ],
)
async def test_malformed_data_is_a_protocol_error(
    scripted: str, name: str, body: str, words: str
) -> None:
    events = await run_script(scripted, script(name, ev("text", '{"text":"kept"}') + body + DONE))
    error = failure_of(events)
    assert text_of(events) == "kept"
    assert isinstance(error, e.ProtocolError) and words in error.message


@pytest.mark.parametrize(
    ("data", "cls", "retryable"),
    [
        ('{"text":"too long","error_type":"user_message_too_long"}', e.RequestTooLargeError, True),
        (
            '{"allow_retry":false,"error_type":"insufficient_fund"}',
            e.InsufficientPointsError,
            False,
        ),
        ('{"allow_retry":true,"text":"Access denied"}', e.PermissionDeniedError, True),
        (
            '{"allow_retry":false,"text":"no","error_type":"user_caused_error"}',
            e.BadRequestError,
            False,
        ),
        (
            '{"allow_retry":true,"text":"Internal server error (error_id: 1f2e)"}',
            e.ServerError,
            True,
        ),
        ("{}", e.ServerError, True),
    ],
)
async def test_error_event_shapes(scripted: str, data: str, cls: type, retryable: bool) -> None:
    name = script(f"err-{abs(hash(data))}", ev("error", data) + DONE)
    error = failure_of(await run_script(scripted, name))
    assert type(error) is cls and error.retryable is retryable and error.message


async def test_not_an_event_stream_is_a_protocol_error(scripted: str) -> None:
    name = script("json-body", '{"text":"hi"}', content_type="application/json")
    error = failure_of(await run_script(scripted, name))
    assert isinstance(error, e.ProtocolError) and "application/json" in error.message


async def test_http_failure_with_a_text_body(scripted: str) -> None:
    name = script("crash", "Internal Server Error", status=500, content_type="text/plain")
    error = failure_of(await run_script(scripted, name))
    assert isinstance(error, e.ServerError) and error.status == 500


# --- parameters and transport choice -------------------------------------------------


@pytest.fixture
async def demo_params(client: PoeClient):
    await client.list_models()
    model = client.known_model("Demo-Params")
    assert model is not None
    return model


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("thinking_budget", "2048", 2048),
        ("thinking_budget", " 0 ", 0),
        ("thinking_budget", "1.5", 1.5),
        ("thinking_budget", 31999, 31999),
        ("web_search", "yes", True),
        ("web_search", "FALSE", False),
        ("web_search", "1", True),
        ("web_search", "off", False),
        ("web_search", True, True),
        ("style", "film noir, 1940s", "film noir, 1940s"),
        ("style", "", ""),
        ("aspect_ratio", "16:9", "16:9"),
    ],
)
def test_parameters_coerce_to_their_kind(demo_params, name: str, value, expected) -> None:
    result = validate_parameters(demo_params, {name: value})
    assert result == {name: expected} and type(result[name]) is type(expected)


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("thinking_budget", "lots", ["'thinking_budget'", "'lots'", "from 0 to 31999"]),
        ("thinking_budget", "32000", ["'32000'", "from 0 to 31999"]),
        ("thinking_budget", "-1", ["'-1'"]),
        ("thinking_budget", "nan", ["'nan'"]),
        ("thinking_budget", True, ["'true'", "a number"]),
        ("web_search", "maybe", ["'web_search'", "'maybe'", "true or false"]),
        ("web_search", 2, ["'2'"]),
        ("style", 5, ["'style'", "text"]),
        ("aspect_ratio", "2:1", ["'2:1'", "one of 1:1, 16:9, 9:16, 4:3"]),
        ("colour", "red", ["no parameter 'colour'", "aspect_ratio, style, thinking_budget"]),
    ],
)
def test_bad_parameters_are_named(demo_params, name: str, value, words: list[str]) -> None:
    with pytest.raises(e.InvalidParameterError) as info:
        validate_parameters(demo_params, {name: value})
    for word in words:
        assert word in info.value.message
    assert isinstance(info.value, e.BadRequestError) and info.value.title == "Bad parameter"


def test_enum_members_keep_their_type_and_match_case_insensitively() -> None:
    kinds = Parameter("quality", "enum", choices=("Low", "High", 4))
    model = dataclasses.replace(parse_model({"id": "m", "parameters": []}), parameters=(kinds,))
    assert validate_parameters(model, {"quality": "high"}) == {"quality": "High"}
    assert validate_parameters(model, {"quality": "4"}) == {"quality": 4}


def test_assignments_and_guesses() -> None:
    assert parse_assignments(["a=1", "b=x=y", "a=2", "c="]) == {"a": "2", "b": "x=y", "c": ""}
    for bad in ("novalue", "=3"):
        with pytest.raises(e.InvalidParameterError):
            parse_assignments([bad])
    guesses = {"2048": 2048, "1.5": 1.5, "true": True, "False": False, "hi": "hi"}
    guesses |= {"null": "null", "[1]": "[1]", "NaN": "NaN", '"q"': '"q"'}
    for text, value in guesses.items():
        assert guess_scalar(text) == value and type(guess_scalar(text)) is type(value)


def test_transport_names() -> None:
    assert Transport.parse(" Native ") is Transport.NATIVE
    assert [t.value for t in Transport] == ["native", "openai", "anthropic"]
    with pytest.raises(ValueError, match="native, openai, anthropic"):
        Transport.parse("grpc")


async def test_stream_chat_still_defaults_to_openai(
    client: PoeClient, fake_poe: FakePoeServer
) -> None:
    before = fake_poe.state.count("/v1/chat/completions")
    events = [ev async for ev in client.stream_chat("echo", ask())]
    assert text_of(events) and fake_poe.state.count("/v1/chat/completions") == before + 1


# --- command line ------------------------------------------------------------------------

CLI_KEY = "cli-native-key-0123456789"


@pytest.fixture
def env(isolated_home: Path, fake_poe: FakePoeServer) -> dict[str, str]:
    environ = dict(os.environ)
    environ.update(
        POE_API_KEY=CLI_KEY,
        POE_API_BASE=fake_poe.base_url,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    # The native failure bots allow a retry; these tests are about the final line, and
    # automatic retries (with their waits) are tested in test_core_retry.py.
    config = Path(environ["POE_TUI_CONFIG_DIR"]) / "config.toml"
    config.write_text("[api]\nretries = 0\n", encoding="utf-8")
    return environ


def poe_tui(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1 and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("poe-tui: "), result.stderr
    return lines[0].lower()


def test_cli_ask_defaults_to_native(env: dict[str, str], fake_poe: FakePoeServer) -> None:
    before = fake_poe.state.count("/bot/echo")
    result = poe_tui(["ask", "-b", "echo", "over native"], env)
    assert result.returncode == 0 and result.stdout.startswith("You said: over native")
    assert fake_poe.state.count("/bot/echo") == before + 1


def test_cli_params_are_validated_and_typed(env: dict[str, str], fake_poe: FakePoeServer) -> None:
    args = ["ask", "-b", "demo-params", "--param", "thinking_budget=2048"]
    args += ["--param", "web_search=yes", "--param", "style=noir", "--param", "aspect_ratio=16:9"]
    result = poe_tui([*args, "hi"], env)
    assert result.returncode == 0, result.stderr
    assert "| `thinking_budget` | `2048` | int |" in result.stdout
    assert "| `web_search` | `true` | bool |" in result.stdout
    last = fake_poe.state.requests_to("/bot/demo-params")[-1].body["query"][-1]
    assert last["parameters"] == {
        "thinking_budget": 2048,
        "web_search": True,
        "style": "noir",
        "aspect_ratio": "16:9",
    }


@pytest.mark.parametrize(
    ("param", "words"),
    [
        ("thinking_budget=lots", ["thinking_budget", "lots", "from 0 to 31999"]),
        ("web_search=maybe", ["web_search", "maybe", "true or false"]),
        ("aspect_ratio=2:1", ["aspect_ratio", "2:1", "1:1, 16:9, 9:16, 4:3"]),
        ("colour=red", ["colour", "aspect_ratio, style, thinking_budget, web_search"]),
        ("no-equals-sign", ["name=value"]),
    ],
)
def test_cli_bad_params_are_one_line_and_send_nothing(
    env: dict[str, str], fake_poe: FakePoeServer, param: str, words: list[str]
) -> None:
    before = fake_poe.state.count("/bot/demo-params")
    line = one_line_error(poe_tui(["ask", "-b", "demo-params", "--param", param, "hi"], env))
    for word in words:
        assert word.lower() in line
    assert fake_poe.state.count("/bot/demo-params") == before


def test_cli_unknown_bot_params_are_guessed(env: dict[str, str], fake_poe: FakePoeServer) -> None:
    poe_tui(["ask", "-b", "private-bot", "--param", "n=3", "--param", "on=true", "hi"], env)
    last = fake_poe.state.requests_to("/bot/private-bot")[-1].body["query"][-1]
    assert last["parameters"] == {"n": 3, "on": True}


@pytest.mark.parametrize(
    ("bot", "words"),
    [
        ("fail-ratelimit", ["rate limited", "exceeded rate limit"]),
        ("fail-points", ["out of points", "poe.com/api/keys"]),
        ("fail-notfound", ["not found", "poe-tui models"]),
        ("fail-auth", ["bad api key", "key set"]),
        ("fail-server", ["server error"]),
        ("fail-drop", ["connection", "lost"]),
    ],
)
def test_cli_native_failures_are_one_line(env: dict[str, str], bot: str, words: list[str]) -> None:
    line = one_line_error(poe_tui(["ask", "-b", bot, "hi"], env))
    for word in words:
        assert word in line


def test_cli_replace_response_when_piped(env: dict[str, str]) -> None:
    result = poe_tui(["ask", "-b", "demo-replace", "hi"], env)
    lines = result.stdout.rstrip("\n").split("\n")
    assert lines[-1] == REPLACE_FINAL
    if len(lines) > 1:  # the draft was printed before the replacement arrived
        draft, marker = lines[:-1]
        assert draft.startswith("Drafting") and marker == "[replaced]"
    no_stream = poe_tui(["ask", "-b", "demo-replace", "--no-stream", "hi"], env)
    assert no_stream.stdout == REPLACE_FINAL + "\n"


def test_cli_thinking_only_when_asked(env: dict[str, str]) -> None:
    quiet = poe_tui(["ask", "-b", "demo-thinking", "hi"], env)
    assert quiet.stdout == THINKING_ANSWER + "\n" and quiet.stderr == ""
    shown = poe_tui(["ask", "-b", "demo-thinking", "--show-thinking", "hi"], env)
    assert shown.stdout == THINKING_ANSWER + "\n"
    assert shown.stderr == THINKING + "\n"  # not a terminal: no dim codes


def test_cli_suggestions_stay_off_a_piped_stderr(env: dict[str, str]) -> None:
    result = poe_tui(["ask", "-b", "demo-suggest", "hi"], env)
    assert result.returncode == 0 and "Suggested" not in result.stdout + result.stderr


@pytest.mark.parametrize("transport", ["openai", "anthropic"])
def test_cli_other_transports(env: dict[str, str], transport: str) -> None:
    result = poe_tui(["ask", "--transport", transport, "-b", "echo", "hi"], env)
    assert result.returncode == 0 and result.stdout.startswith("You said: hi")


def test_cli_anthropic_refuses_non_claude_and_thinks(env: dict[str, str]) -> None:
    line = one_line_error(poe_tui(["ask", "--transport", "anthropic", "-b", "gpt-5", "hi"], env))
    assert "only serves claude" in line and "gpt-5" in line
    args = ["ask", "--transport", "anthropic", "-b", "demo-thinking", "--show-thinking"]
    result = poe_tui([*args, "--param", "thinking_budget=2048", "hi"], env)
    assert result.stdout == THINKING_ANSWER + "\n" and result.stderr == THINKING + "\n"

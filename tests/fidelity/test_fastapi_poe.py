"""Fidelity for the native protocol, both ways round:

- a REAL fastapi-poe bot server (the library Poe publishes for its own protocol) is a
  peer our native transport streams from, event for event;
- fastapi-poe's own client, pointed at OUR local server, reads the same replies our
  transport reads.

Everything stays on 127.0.0.1: `make_app` gets no `bot_name`, so it never syncs settings
to api.poe.com, and every request carries a Bearer header.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import fastapi_poe as fp
import httpx
import pytest
from sse_starlette import ServerSentEvent

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.attachments import FileSender, MessageFile
from poe_tui.core.client import PoeClient
from poe_tui.core.events import (
    Done,
    FileOutput,
    JsonData,
    Meta,
    StreamEvent,
    StreamFailed,
    SuggestedReply,
    TextDelta,
    ThinkingDelta,
)
from poe_tui.core.files import check_file
from poe_tui.core.messages import Attachment, ChatMessage
from poe_tui.core.transports import native
from poe_tui.core.transports.registry import Transport
from poe_tui.core.uploads import Uploader
from poe_tui.fakepoe import FakePoeServer
from tests.support.loopback import LoopbackServer

KEY = ApiKey("fidelity-native-key")
NATIVE = Transport.NATIVE
FILE = fp.Attachment(
    url="https://files.example/chart.png", content_type="image/png", name="chart.png"
)


def chunk(delta: dict[str, Any]) -> ServerSentEvent:
    body = {"object": "chat.completion.chunk", "choices": [{"index": 0, "delta": delta}]}
    return ServerSentEvent(data=json.dumps(body), event="json")


Reply = AsyncIterable[fp.PartialResponse | ServerSentEvent]


class StreamBot(fp.PoeBot):
    async def get_response(self, request: fp.QueryRequest) -> Reply:
        yield fp.MetaResponse(text="", content_type="text/plain", suggested_replies=True)
        for piece in ("Hello", ", ", "world"):
            yield fp.PartialResponse(text=piece)
        yield fp.MetaResponse(text="", content_type="text/markdown")  # late: ignored


class ReplaceBot(fp.PoeBot):
    async def get_response(self, request: fp.QueryRequest) -> Reply:
        yield fp.PartialResponse(text="draft")
        yield fp.PartialResponse(text="final", is_replace_response=True)
        yield fp.PartialResponse(text="!")


class SuggestBot(fp.PoeBot):
    async def get_response(self, request: fp.QueryRequest) -> Reply:
        yield fp.PartialResponse(text="answer")
        yield fp.PartialResponse(text="More?", is_suggested_reply=True)
        yield fp.PartialResponse(text="Why?", is_suggested_reply=True)


class FileBot(fp.PoeBot):
    async def get_response(self, request: fp.QueryRequest) -> Reply:
        yield fp.PartialResponse(text="Here it is: ")
        # 0.0.83 turns an attachment on a partial response into a `file` event.
        yield fp.PartialResponse(text="", attachment=FILE)
        yield self.file_event("https://files.example/a.txt", "text/plain", "a.txt", "ref1")


class ThinkBot(fp.PoeBot):
    async def get_response(self, request: fp.QueryRequest) -> Reply:
        yield chunk({"reasoning_content": "thinking "})
        yield chunk({"reasoning_content": "hard"})
        yield chunk({"tool_calls": [{"index": 0, "id": "call_1", "type": "function"}]})
        yield fp.PartialResponse(text="done thinking")


def error_bot(text: str | None, *, allow_retry: bool, error_type: str | None = None) -> type:
    class ErrorBot(fp.PoeBot):
        async def get_response(self, request: fp.QueryRequest) -> Reply:
            yield fp.PartialResponse(text="partial ")
            yield fp.ErrorResponse(text=text or "", allow_retry=allow_retry, error_type=error_type)

    return ErrorBot


class CrashBot(fp.PoeBot):
    async def get_response(self, request: fp.QueryRequest) -> Reply:
        yield fp.PartialResponse(text="about to crash")
        raise RuntimeError("boom")


class RecordBot(fp.PoeBot):
    raw: ClassVar[list[dict[str, Any]]] = []
    parsed: ClassVar[list[fp.QueryRequest]] = []

    async def get_response_with_context(
        self, request: fp.QueryRequest, context: fp.RequestContext
    ) -> Reply:
        self.raw.append(json.loads(await context.http_request.body()))
        self.parsed.append(request)
        yield fp.PartialResponse(text="recorded")


class AttachEchoBot(fp.PoeBot):
    """Says back the attachments it received on the last message, one per line."""

    async def get_response(self, request: fp.QueryRequest) -> Reply:
        files = request.query[-1].attachments
        lines = [f"{a.name} | {a.content_type} | {a.url}" for a in files] or ["no files"]
        yield fp.PartialResponse(text="\n".join(lines))


BOTS: dict[str, fp.PoeBot] = {
    "Stream": StreamBot(),
    "Replace": ReplaceBot(),
    "Suggest": SuggestBot(),
    "File": FileBot(),
    "Think": ThinkBot(),
    "Retry": error_bot("Try again", allow_retry=True)(),
    "NoRetry": error_bot("Do not try again", allow_retry=False)(),
    "Fund": error_bot("No points left", allow_retry=False, error_type="insufficient_fund")(),
    "TooLong": error_bot(None, allow_retry=False, error_type="user_message_too_long")(),
    "Crash": CrashBot(),
    "Record": RecordBot(should_insert_attachment_messages=False),
    "AttachEcho": AttachEchoBot(should_insert_attachment_messages=False),
    "Keyed": StreamBot(access_key="k" * 32),
}


@pytest.fixture(scope="module")
def peer() -> Iterator[str]:
    for name, bot in BOTS.items():
        bot.path = f"/bot/{name}"
    app = fp.make_app(list(BOTS.values()), allow_without_key=True)  # no bot_name: no sync
    with LoopbackServer(app) as server:
        yield server.base_url


@pytest.fixture
async def client(peer: str):
    async with PoeClient(KEY, base_url=peer) as c:
        yield c


async def collect(client: PoeClient, bot: str, **kw: Any) -> list[StreamEvent]:
    messages = [ChatMessage("user", "hi")]
    return [ev async for ev in client.stream_chat(bot, messages, transport=NATIVE, **kw)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


def failure_of(events: list[StreamEvent]) -> e.PoeError:
    assert isinstance(events[-1], StreamFailed), events
    return events[-1].error


# --- our transport, streaming from a real fastapi-poe server -------------------------------


async def test_text_and_meta_only_first(client: PoeClient) -> None:
    events = await collect(client, "Stream")
    assert events[0] == Meta("text/plain", True, True)
    assert [ev for ev in events if isinstance(ev, Meta)] == [events[0]]
    assert text_of(events) == "Hello, world" and events[-1] == Done(None)


async def test_replace_response(client: PoeClient) -> None:
    reply = await client.chat("Replace", [ChatMessage("user", "hi")], transport=NATIVE)
    assert reply.text == "final!"


async def test_suggested_replies(client: PoeClient) -> None:
    events = await collect(client, "Suggest")
    assert [ev.text for ev in events if isinstance(ev, SuggestedReply)] == ["More?", "Why?"]
    assert text_of(events) == "answer"


async def test_files(client: PoeClient) -> None:
    events = await collect(client, "File")
    assert [ev for ev in events if isinstance(ev, FileOutput)] == [
        FileOutput(FILE.url, "image/png", "chart.png", None),
        FileOutput("https://files.example/a.txt", "text/plain", "a.txt", "ref1"),
    ]
    reply = await client.chat("File", [ChatMessage("user", "hi")], transport=NATIVE)
    assert [f.name for f in reply.files] == ["chart.png", "a.txt"] and reply.text == "Here it is: "


async def test_json_reasoning_and_tool_chunks(client: PoeClient) -> None:
    events = await collect(client, "Think")
    assert [ev.text for ev in events if isinstance(ev, ThinkingDelta)] == ["thinking ", "hard"]
    tools = [ev for ev in events if isinstance(ev, JsonData)]
    assert (
        len(tools) == 1 and tools[0].data["choices"][0]["delta"]["tool_calls"][0]["id"] == "call_1"
    )
    assert text_of(events) == "done thinking"


@pytest.mark.parametrize(
    ("bot", "cls", "retryable", "message"),
    [
        ("Retry", e.ServerError, True, "Try again"),
        ("NoRetry", e.ServerError, False, "Do not try again"),
        ("Fund", e.InsufficientPointsError, False, "No points left"),
        ("TooLong", e.RequestTooLargeError, False, None),
        ("Crash", e.ServerError, False, "The bot encountered an unexpected issue."),
    ],
)
async def test_error_responses(
    client: PoeClient, bot: str, cls: type, retryable: bool, message: str | None
) -> None:
    events = await collect(client, bot)
    error = failure_of(events)
    assert type(error) is cls and error.retryable is retryable
    assert message is None or error.message == message
    assert text_of(events) in ("partial ", "about to crash")


async def test_the_request_the_bot_received(client: PoeClient) -> None:
    history = [
        ChatMessage("system", "be brief"),
        ChatMessage("user", "one"),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "two"),
    ]
    params = {"thinking_budget": 2048, "web_search": True, "style": "terse"}
    files = [Attachment("https://files.example/y.pdf", "application/pdf", "y.pdf")]
    reply = await client.chat(
        "Record", history, parameters=params, attachments=files, transport=NATIVE
    )
    assert reply.text == "recorded"
    raw, parsed = RecordBot.raw[-1], RecordBot.parsed[-1]
    assert raw == native.query_request(history, parameters=params, attachments=files)
    assert [m.role for m in parsed.query] == ["system", "user", "bot", "user"]
    assert [m.parameters for m in parsed.query] == [{}, {}, {}, params]
    assert [a.model_dump() for a in parsed.query[-1].attachments] == [
        {
            "url": "https://files.example/y.pdf",
            "content_type": "application/pdf",
            "name": "y.pdf",
            "inline_ref": None,
            "parsed_content": None,
        }
    ]
    assert all(not m.attachments for m in parsed.query[:-1])
    assert (parsed.version, parsed.type) == ("1.2", "query")


async def test_http_failures_are_reported_by_status(client: PoeClient) -> None:
    error = failure_of(await collect(client, "Keyed"))  # wrong access key
    assert isinstance(error, e.AuthenticationError) and error.status == 401
    assert "Invalid access key" in error.message
    missing = failure_of(await collect(client, "Nobody"))
    assert isinstance(missing, e.NotFoundError) and missing.status == 404


# --- fastapi-poe's client, reading OUR local server ---------------------------------------------


async def fp_reply(base_url: str, bot: str, parameters: dict[str, Any]) -> tuple[str, list[str]]:
    """The text and suggested replies as fastapi-poe's client assembles them."""
    message = fp.ProtocolMessage(role="user", content="compare me", parameters=parameters)
    text, suggested = "", []
    async for part in fp.get_bot_response(
        [message], bot_name=bot, api_key="fidelity-native-key", base_url=f"{base_url}/bot/"
    ):
        if part.is_suggested_reply:
            suggested.append(part.text)
        elif part.is_replace_response:
            text = part.text
        else:
            text += part.text
    return text, suggested


@pytest.mark.parametrize(
    ("bot", "parameters"),
    [
        ("echo", {"shout": True, "repeat": 2}),
        ("demo-showcase", {}),
        ("demo-replace", {}),
        ("demo-suggest", {}),
        ("demo-thinking", {}),
        ("claude-sonnet-4.5", {"thinking_budget": 2048}),
    ],
)
async def test_fastapi_poe_client_reads_our_server_like_we_do(
    fake_poe: FakePoeServer, bot: str, parameters: dict[str, Any]
) -> None:
    theirs, suggested = await fp_reply(fake_poe.base_url, bot, parameters)
    async with PoeClient(KEY, base_url=fake_poe.base_url) as client:
        ours = await client.chat(
            bot, [ChatMessage("user", "compare me")], parameters=parameters, transport=NATIVE
        )
    assert ours.text == theirs != ""
    assert list(ours.suggested_replies) == suggested
    # fastapi-poe reports protocol mistakes with back-POSTs; our server earned none.
    kinds = {r.body["type"] for r in fake_poe.state.requests_to(f"/bot/{bot}")}
    assert kinds == {"query"}


@pytest.mark.parametrize(
    ("bot", "their_error", "retryable"),
    [
        ("fail-ratelimit", fp.BotError, True),
        ("fail-notfound", fp.BotError, True),
        ("fail-points", fp.BotErrorNoRetry, False),
        ("fail-server", fp.BotErrorNoRetry, False),
    ],
)
async def test_fastapi_poe_client_sees_our_failures_too(
    fake_poe: FakePoeServer, bot: str, their_error: type, retryable: bool
) -> None:
    with pytest.raises(their_error) as info:
        await fp_reply(fake_poe.base_url, bot, {})
    async with PoeClient(KEY, base_url=fake_poe.base_url) as client:
        error = failure_of(await collect(client, bot))
    assert error.retryable is retryable
    assert json.loads(str(info.value))["text"] in error.message
    if retryable:
        assert not isinstance(info.value, fp.BotErrorNoRetry)


# --- uploads: files go to the upload endpoint, their URLs to a real fastapi-poe bot ---------


async def test_uploaded_files_reach_a_fastapi_poe_bot(
    client: PoeClient, fake_poe: FakePoeServer, tmp_path: Path
) -> None:
    (tmp_path / "plan.pdf").write_bytes(b"%PDF-1.7 the plan")
    (tmp_path / "notes.txt").write_text("remember the milk")
    files = [
        MessageFile.from_local(await check_file(tmp_path / n)) for n in ("plan.pdf", "notes.txt")
    ]
    # Poe's upload endpoint here is the local server's; the bot is a real fastapi-poe one.
    async with httpx.AsyncClient() as http:
        uploader = Uploader(http, lambda: KEY, fake_poe.upload_url)
        sender = FileSender(NATIVE, uploader, "fidelity")
        history = await sender.with_files([ChatMessage("user", "read these")], [files])
        reply = await client.chat("AttachEcho", history, transport=NATIVE)
        received = [line.split(" | ") for line in reply.text.splitlines()]
        assert [(name, kind) for name, kind, _url in received] == [
            ("plan.pdf", "application/pdf"),
            ("notes.txt", "text/plain"),
        ]
        contents = [(await http.get(url)).content for _name, _kind, url in received]
    assert contents == [b"%PDF-1.7 the plan", b"remember the milk"]
    upload = fake_poe.state.requests_to("/poe_api/file_upload_3RD_PARTY_POST")[-1]
    assert upload.headers["authorization"] == KEY.reveal()

"""Files on the wire: content parts and blocks checked with the official SDKs' own types,
and files echoed back by the local server's bots on all three transports."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import httpx
import pytest
from anthropic.types import MessageParam
from openai.types.chat import ChatCompletionMessageParam
from pydantic import TypeAdapter

from poe_tui.core.apikey import ApiKey
from poe_tui.core.attachments import FileSender, MessageFile, linked_files
from poe_tui.core.client import PoeClient
from poe_tui.core.errors import UnsupportedTransportError
from poe_tui.core.events import FileOutput
from poe_tui.core.files import FileMissing, check_file
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports import anthropic_chat, openai_chat
from poe_tui.core.transports.registry import Transport
from poe_tui.core.uploads import Uploader
from poe_tui.fakepoe import FakePoeServer
from tests.support.paths import DEMO_IMAGE

PNG = DEMO_IMAGE.read_bytes()
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
TEXT = "Groceries:\n- milk\n- bread\n- café au lait\n"
OPENAI_MESSAGE = TypeAdapter(ChatCompletionMessageParam)
ANTHROPIC_MESSAGE = TypeAdapter(MessageParam)


def plain(value: Any) -> Any:
    """A validated value with pydantic's lazy iterators turned into lists (validating them)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return [plain(item) for item in value]


async def stored(tmp_path: Path, name: str, data: bytes) -> MessageFile:
    path = tmp_path / name
    path.write_bytes(data)
    return MessageFile.from_local(await check_file(path))


@pytest.fixture
async def three_files(tmp_path: Path) -> list[MessageFile]:
    return [
        await stored(tmp_path, "sunset.png", PNG),
        await stored(tmp_path, "report.pdf", PDF),
        await stored(tmp_path, "list.txt", TEXT.encode()),
    ]


async def wire_history(
    transport: Transport, files: list[MessageFile], **kw: Any
) -> list[ChatMessage]:
    sender = FileSender(transport, kw.get("uploader"), "conversation")
    history = [ChatMessage("user", "look at these")]
    return await sender.with_files(history, [files])


# --- content parts, parsed with the SDKs' types ------------------------------------------------


async def test_openai_content_parts_match_the_sdk_types(three_files: list[MessageFile]) -> None:
    history = await wire_history(Transport.OPENAI, three_files)
    body = openai_chat.request_body("gpt-5", history, stream=True)
    message = body["messages"][0]
    assert plain(OPENAI_MESSAGE.validate_python(message)) == message  # nothing unknown dropped
    parts = message["content"]
    assert [p["type"] for p in parts] == ["text", "image_url", "file", "file"]
    assert parts[1]["image_url"]["url"] == "data:image/png;base64," + base64.b64encode(PNG).decode()
    assert parts[2]["file"] == {
        "filename": "report.pdf",
        "file_data": "data:application/pdf;base64," + base64.b64encode(PDF).decode(),
    }
    assert base64.b64decode(parts[3]["file"]["file_data"].split(",", 1)[1]).decode() == TEXT


async def test_anthropic_blocks_match_the_sdk_types(three_files: list[MessageFile]) -> None:
    history = await wire_history(Transport.ANTHROPIC, three_files)
    body = anthropic_chat.request_body("claude-sonnet-4.5", history, stream=True)
    message = body["messages"][0]
    assert plain(ANTHROPIC_MESSAGE.validate_python(message)) == message
    image, pdf, text, prompt = message["content"]
    assert image == {
        "type": "image",
        "source": {
            "type": "base64",
            "media_type": "image/png",
            "data": base64.b64encode(PNG).decode(),
        },
    }
    assert pdf["type"] == "document" and pdf["source"]["media_type"] == "application/pdf"
    assert base64.b64decode(pdf["source"]["data"]) == PDF and pdf["title"] == "report.pdf"
    # Text goes as a plain-text source: base64 with text/plain is not a valid block.
    assert text == {
        "type": "document",
        "source": {"type": "text", "media_type": "text/plain", "data": TEXT},
        "title": "list.txt",
    }
    assert prompt == {"type": "text", "text": "look at these"}


async def test_the_old_text_as_base64_block_is_what_the_sdk_refuses() -> None:
    """The check above can fail: the SDK types refuse a base64 text/plain document."""
    wrong = {
        "role": "user",
        "content": [
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "text/plain", "data": "eA=="},
            }
        ],
    }
    with pytest.raises(ValueError):
        plain(ANTHROPIC_MESSAGE.validate_python(wrong))


async def test_anthropic_refuses_what_it_cannot_carry_before_reading(tmp_path: Path) -> None:
    archive = await stored(tmp_path, "a.zip", b"PK\x03\x04 zip")
    bmp = await stored(tmp_path, "b.bmp", b"BM" + b"\x00" * 60)
    for file, said in ((archive, "images, PDFs and text"), (bmp, "JPEG, PNG, GIF and WebP")):
        with pytest.raises(UnsupportedTransportError, match=said):
            await wire_history(Transport.ANTHROPIC, [file])


async def test_a_lost_local_copy_is_a_clear_error(tmp_path: Path) -> None:
    file = await stored(tmp_path, "gone.txt", b"soon gone")
    assert file.path is not None
    file.path.unlink()
    with pytest.raises(FileMissing, match=r"gone\.txt kept with this conversation is gone"):
        await wire_history(Transport.OPENAI, [file])


async def test_progress_reports_each_file(three_files: list[MessageFile]) -> None:
    seen: list[tuple[int, int, int]] = []
    sender = FileSender(Transport.OPENAI, None, "c")
    await sender.with_files([ChatMessage("user", "x")], [three_files], lambda *a: seen.append(a))
    assert seen == [
        (0, len(PNG), len(PNG)),
        (1, len(PDF), len(PDF)),
        (2, len(TEXT.encode()), len(TEXT.encode())),
    ]


async def test_earlier_turns_keep_their_files(
    tmp_path: Path, three_files: list[MessageFile]
) -> None:
    history = [
        ChatMessage("user", "first"),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "second"),
    ]
    sender = FileSender(Transport.OPENAI, None, "c")
    wired = await sender.with_files(history, [three_files[:1], three_files[1:2]])
    assert [len(m.attachments) for m in wired] == [1, 0, 1]
    assert (
        wired[0].attachments[0].name == "sunset.png"
        and wired[2].attachments[0].name == "report.pdf"
    )
    latest = await sender.with_files(history, [three_files[:1], three_files[1:2]], last_only=True)
    assert [len(m.attachments) for m in latest] == [0, 0, 1]


# --- over loopback: the echo bot acknowledges name, type and size on every transport ---------


@pytest.fixture
async def client(fake_poe: FakePoeServer) -> AsyncIterator[PoeClient]:
    async with PoeClient(ApiKey("wire-test-key"), base_url=fake_poe.base_url) as opened:
        yield opened


def acknowledged(text: str) -> str:
    return next(line for line in text.splitlines() if line.startswith("Attachments:"))


@pytest.mark.parametrize("transport", list(Transport))
async def test_echo_acknowledges_files_on_every_transport(
    client: PoeClient, fake_poe: FakePoeServer, three_files: list[MessageFile], transport: Transport
) -> None:
    await client.list_models()  # the Anthropic route serves the demo bots that list it
    uploader = Uploader(client.http, client.require_key, fake_poe.upload_url)
    sender = FileSender(transport, uploader, f"conv-{transport}")
    history = await sender.with_files([ChatMessage("user", "what are these?")], [three_files])
    reply = await client.chat("echo", history, transport=transport)
    assert reply.text.startswith("You said: what are these?")
    # Image parts and blocks carry no file name on the OpenAI and Anthropic APIs.
    image = "sunset.png" if transport is Transport.NATIVE else "image-1.png"
    assert acknowledged(reply.text) == (
        f"Attachments: {image} (image/png, {len(PNG) / 1024:.1f} KB), "
        f"report.pdf (application/pdf, {len(PDF)} B), "
        f"list.txt (text/plain, {len(TEXT.encode())} B) · Parameters: none"
    )


async def test_native_uploads_then_sends_urls(
    client: PoeClient, fake_poe: FakePoeServer, three_files: list[MessageFile]
) -> None:
    uploader = Uploader(client.http, client.require_key, fake_poe.upload_url)
    before = fake_poe.state.count("/poe_api/file_upload_3RD_PARTY_POST")
    sender = FileSender(Transport.NATIVE, uploader, "native-conv")
    history = await sender.with_files([ChatMessage("user", "x")], [three_files])
    await client.chat("echo", history, transport=Transport.NATIVE)
    assert fake_poe.state.count("/poe_api/file_upload_3RD_PARTY_POST") == before + 3
    query = fake_poe.state.requests_to("/bot/echo")[-1].body["query"]
    urls = [a["url"] for a in query[-1]["attachments"]]
    assert all(url.startswith(fake_poe.base_url + "/poe_api/files/") for url in urls)
    async with httpx.AsyncClient() as http:
        assert (await http.get(urls[0])).content == PNG
    # The next turn re-sends the first turn's files without uploading them again.
    again = await sender.with_files(
        [*history, ChatMessage("assistant", "ok"), ChatMessage("user", "more")], [three_files, []]
    )
    assert [a.url for a in again[0].attachments] == urls
    assert fake_poe.state.count("/poe_api/file_upload_3RD_PARTY_POST") == before + 3


# --- files from bots -------------------------------------------------------------------------


async def test_demo_image_bot_sends_a_file_event_on_native(
    client: PoeClient, fake_poe: FakePoeServer
) -> None:
    reply = await client.chat(
        "demo-image", [ChatMessage("user", "a sunset")], transport=Transport.NATIVE
    )
    assert "a sunset" in reply.text
    assert [(f.name, f.content_type) for f in reply.files] == [("demo-image.png", "image/png")]
    async with httpx.AsyncClient() as http:
        served = await http.get(reply.files[0].url)
    assert served.content == PNG and served.headers["content-type"] == "image/png"


async def test_demo_image_bot_answers_with_a_markdown_image_on_openai(client: PoeClient) -> None:
    reply = await client.chat(
        "demo-image", [ChatMessage("user", "a sunset")], transport=Transport.OPENAI
    )
    assert not reply.files and "![demo-image.png](" in reply.text
    assert [(f.name, f.content_type) for f in linked_files(reply.text)] == [
        ("demo-image.png", "image/png")
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("![cat](https://cdn.example/a/cat.jpg)", [("cat.jpg", "image/jpeg")]),
        ('![](https://cdn.example/x.webp "title")', [("x.webp", "image/webp")]),
        ("![alt text](https://cdn.example/generated)", [("generated", "image/png")]),
        (
            "[the report](https://files.example/q3%20report.pdf)",
            [("q3 report.pdf", "application/pdf")],
        ),
        (
            "[song](https://files.example/s.mp3) and [clip](https://files.example/c.mp4)",
            [("s.mp3", "audio/mpeg"), ("c.mp4", "video/mp4")],
        ),
        ("[docs](https://example.com/guide.html) [home](https://example.com/)", []),
        ("`![not](https://x/y.png)` is code… still a link to us", [("y.png", "image/png")]),
        ("![a](https://x/same.png) again ![b](https://x/same.png)", [("same.png", "image/png")]),
        ("![local](file:///etc/passwd) ![data](data:image/png;base64,AAAA)", []),
    ],
)
def test_linked_files(text: str, expected: Iterable[tuple[str, str]]) -> None:
    assert [(f.name, f.content_type) for f in linked_files(text)] == list(expected)


def test_linked_files_keep_order_and_urls() -> None:
    text = "First [pdf](https://f.example/a.pdf), then ![img](https://f.example/b.png)."
    assert linked_files(text) == [
        FileOutput("https://f.example/a.pdf", "application/pdf", "a.pdf"),
        FileOutput("https://f.example/b.png", "image/png", "b.png"),
    ]


@pytest.mark.parametrize(
    ("url", "fetched"),
    [
        ("https://pfst.cf2.poecdn.net/base/image/abc.png", True),
        ("https://poecdn.net/x.png", True),
        ("http://127.0.0.1:8123/files/demo.png", True),  # the API's own host (demo mode)
        ("https://evil-poecdn.net/x.png", False),
        ("http://192.168.1.1/router.png", False),  # a reply must not make us probe the LAN
        ("https://example.com/cat.png", False),
        ("ftp://poecdn.net/x.png", False),
    ],
)
def test_which_bot_files_are_fetched_without_asking(url: str, fetched: bool) -> None:
    from poe_tui.core.attachments import fetched_without_asking

    assert fetched_without_asking(url, "http://127.0.0.1:8123") is fetched

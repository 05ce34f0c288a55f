"""Uploads to the local server's copy of Poe's upload endpoint, over loopback (§2, §9.18)."""

from __future__ import annotations

import asyncio
import hashlib
import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import fastapi_poe as fp
import httpx
import pytest

from poe_tui.core.apikey import ApiKey
from poe_tui.core.errors import AuthenticationError, NetworkError
from poe_tui.core.files import LocalFile, check_file
from poe_tui.core.uploads import (
    DEFAULT_UPLOAD_URL,
    FileChangedError,
    Uploader,
    UploadError,
    UploadTooLargeError,
    local_upload_url,
    resolve_upload_url,
)
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import HEADER

KEY = "upload-test-key"
LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0, api_key=KEY, max_upload_bytes=LIMIT) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


def uploader(http: httpx.AsyncClient, server: FakePoeServer, key: str = KEY, **kw: int) -> Uploader:
    return Uploader(http, lambda: ApiKey(key), server.upload_url, **kw)


async def a_file(tmp_path: Path, name: str, data: bytes) -> LocalFile:
    path = tmp_path / name
    path.write_bytes(data)
    return await check_file(path)


def upload_count(server: FakePoeServer) -> int:
    return server.state.count("/poe_api/file_upload_3RD_PARTY_POST")


async def test_multipart_upload_round_trip(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    data = bytes(range(256)) * 40 + b"\r\n--not-a-boundary\r\n"  # binary, CRLFs included
    file = await a_file(tmp_path, "chart.png", data)
    uploaded = await uploader(http, server).upload(file)
    assert uploaded.content_type == "image/png" and uploaded.name == "chart.png"
    assert uploaded.url.startswith(server.base_url + "/poe_api/files/")
    assert uploaded.url.endswith("/chart.png")
    served = await http.get(uploaded.url)
    assert served.content == data and served.headers["content-type"] == "image/png"
    record = server.state.requests_to("/poe_api/file_upload_3RD_PARTY_POST")[-1]
    assert record.headers["authorization"] == KEY  # the raw key, no "Bearer "
    assert record.headers["content-type"].startswith("multipart/form-data; boundary=")
    assert int(record.headers["content-length"]) > len(data)


async def test_names_with_quotes_and_unicode_survive(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, 'my "best" résumé.txt', b"hello")
    uploaded = await uploader(http, server).upload(file)
    stored = list(server.state.uploads.values())[-1]
    assert stored.name == 'my "best" résumé.txt' and stored.content_type == "text/plain"
    assert (await http.get(uploaded.url)).content == b"hello"


async def test_progress_is_reported_chunk_by_chunk(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, "data.bin", b"z" * 10_000)
    seen: list[tuple[int, int]] = []
    await uploader(http, server, chunk_size=1024).upload(
        file, progress=lambda s, t: seen.append((s, t))
    )
    assert seen[0] == (0, 10_000) and seen[-1] == (10_000, 10_000)
    assert len(seen) == 11  # the start, then one per 1 KB chunk (10 chunks; the last short)
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)


async def test_same_content_is_uploaded_once_per_conversation(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    ups = uploader(http, server)
    first = await a_file(tmp_path, "a.txt", b"same bytes")
    renamed = await a_file(tmp_path, "b.txt", b"same bytes")
    before = upload_count(server)
    one = await ups.upload_once("conversation-1", first)
    progress: list[tuple[int, int]] = []
    two = await ups.upload_once(
        "conversation-1", renamed, progress=lambda s, t: progress.append((s, t))
    )
    assert upload_count(server) == before + 1
    assert two.url == one.url and two.name == "b.txt"
    assert two.sha256 == hashlib.sha256(b"same bytes").hexdigest()
    assert progress == [(10, 10)]  # a reused upload is reported as done at once
    await ups.upload_once("conversation-2", first)  # another conversation uploads its own
    assert upload_count(server) == before + 2


async def test_oversize_is_refused_with_a_typed_error(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, "huge.bin", b"x" * (LIMIT + 1))
    with pytest.raises(UploadTooLargeError) as info:
        await uploader(http, server).upload(file)
    assert info.value.status == 413
    assert "huge.bin" in info.value.message and "File too large" in info.value.message
    assert info.value.title == "File too large for Poe"


async def test_bad_auth_is_an_authentication_error(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, "a.txt", b"x")
    with pytest.raises(AuthenticationError) as info:
        await uploader(http, server, key="wrong-key").upload(file)
    assert info.value.status == 401 and "The upload of a.txt was refused" in info.value.message
    assert "Invalid API key" in info.value.message and KEY not in info.value.message


@pytest.mark.parametrize(
    ("header", "said"),
    [
        ({}, "Missing API key"),
        ({"Authorization": f"Bearer {KEY}"}, "takes the key without Bearer"),
        ({"Authorization": "wrong"}, "Invalid API key"),
    ],
)
async def test_the_server_wants_the_raw_key(
    server: FakePoeServer, http: httpx.AsyncClient, header: dict[str, str], said: str
) -> None:
    files = {"file": ("a.txt", b"x")}
    response = await http.post(server.upload_url, files=files, headers=header)
    assert response.status_code == 401 and said in response.text
    assert response.headers["content-type"].startswith("text/plain")


async def test_other_failures_keep_the_servers_words(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, "a.txt", b"x")
    failing = Uploader(
        httpx.AsyncClient(headers={HEADER: "500"}, timeout=10),
        lambda: ApiKey(KEY),
        server.upload_url,
    )
    with pytest.raises(UploadError, match=r"HTTP 500 \(.+\)"):
        await failing.upload(file)
    await failing.http.aclose()


async def test_network_failure(http: httpx.AsyncClient, tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed when the block ends: nobody listens
    file = await a_file(tmp_path, "a.txt", b"x")
    ups = Uploader(http, lambda: ApiKey(KEY), f"http://127.0.0.1:{port}/upload")
    with pytest.raises(NetworkError, match="Could not connect"):
        await ups.upload(file)


async def test_cancelling_stops_the_upload(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, "big.bin", b"y" * (200 * 1024))
    before = len(server.state.uploads)
    started = asyncio.Event()
    chunks_sent: list[int] = []

    def progress(sent: int, total: int) -> None:
        chunks_sent.append(sent)
        if sent:
            started.set()

    task = asyncio.create_task(
        uploader(http, server, chunk_size=1024).upload(file, progress=progress)
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert max(chunks_sent) < file.size
    assert len(server.state.uploads) == before  # nothing half-uploaded was kept


async def test_a_file_that_changes_mid_upload(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    file = await a_file(tmp_path, "growing.log", b"a" * 100)
    file.path.write_bytes(b"a" * 50)  # shrank after the check
    with pytest.raises(FileChangedError, match="changed while it was being uploaded"):
        await uploader(http, server).upload(file)


async def test_download_url_form(
    server: FakePoeServer, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    source = await uploader(http, server).upload(await a_file(tmp_path, "src.pdf", b"%PDF-1.7 x"))
    uploaded = await uploader(http, server).upload_from_url(source.url, "copy.pdf")
    assert uploaded.content_type == "application/pdf" and uploaded.url != source.url
    assert (await http.get(uploaded.url)).content == b"%PDF-1.7 x"
    record = server.state.requests_to("/poe_api/file_upload_3RD_PARTY_POST")[-1]
    assert record.headers["content-type"] == "application/x-www-form-urlencoded"


async def test_download_url_stays_on_loopback(
    server: FakePoeServer, http: httpx.AsyncClient
) -> None:
    with pytest.raises(UploadError, match="only downloads from loopback"):
        await uploader(http, server).upload_from_url("https://example.com/a.png")


async def test_fastapi_poe_upload_file_talks_to_our_server(
    server: FakePoeServer, tmp_path: Path
) -> None:
    """Poe's own client library uploads to the local server and gets what it expects."""
    attachment = await fp.upload_file(
        file=b"bytes from fastapi-poe",
        file_name="fp.txt",
        api_key=KEY,
        base_url=f"{server.base_url}/poe_api/",
    )
    assert attachment.name == "fp.txt" and attachment.content_type == "text/plain"
    async with httpx.AsyncClient() as client:
        assert (await client.get(attachment.url)).content == b"bytes from fastapi-poe"
    with pytest.raises(fp.client.AttachmentUploadError, match="401"):
        await fp.upload_file(
            file=b"x",
            file_name="x.txt",
            api_key="wrong",
            base_url=f"{server.base_url}/poe_api/",
            num_tries=1,
            on_error=lambda exc, msg: None,
        )


def test_upload_url_setting_and_environment() -> None:
    assert resolve_upload_url(DEFAULT_UPLOAD_URL, environ={}) == DEFAULT_UPLOAD_URL
    assert resolve_upload_url("https://proxy.example/up", environ={}) == "https://proxy.example/up"
    env = {"POE_UPLOAD_URL": "http://127.0.0.1:9/up"}
    assert resolve_upload_url("https://proxy.example/up", environ=env) == "http://127.0.0.1:9/up"
    assert local_upload_url("http://127.0.0.1:5/") == (
        "http://127.0.0.1:5/poe_api/file_upload_3RD_PARTY_POST"
    )

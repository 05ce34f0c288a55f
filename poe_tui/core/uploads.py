"""Uploading files to Poe for the native protocol (poe-api.md section 2).

`POST https://www.quora.com/poe_api/file_upload_3RD_PARTY_POST` with the raw key (no
`Bearer `) in Authorization, and either a multipart body with one part named `file` or
a form with `download_url` (and `download_filename`). The answer is JSON with
`attachment_url` and `mime_type`; failures come back as non-200 statuses with a text
body.

The multipart body is streamed from disk in chunks (aiofiles), so a large file neither
sits in memory nor blocks the loop, each chunk reports progress, and cancelling the
task that awaits `upload` stops the upload at the next chunk. A file already uploaded
in the same conversation (same content hash) is not uploaded again.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
from collections.abc import AsyncIterator, Callable, Generator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from poe_tui.core.apikey import ApiKey
from poe_tui.core.errors import AuthenticationError, PoeError, ProtocolError, parse_retry_after
from poe_tui.core.files import CHUNK, LocalFile, format_size, read_chunks
from poe_tui.core.network import network_error
from poe_tui.core.retry import TRANSIENT_STATUSES, Retrier
from poe_tui.core.text import strip_terminal_controls

DEFAULT_UPLOAD_URL = "https://www.quora.com/poe_api/file_upload_3RD_PARTY_POST"
UPLOAD_URL_ENV = "POE_UPLOAD_URL"
UPLOAD_PATH = "/poe_api/file_upload_3RD_PARTY_POST"
ERROR_TEXT_LIMIT = 300

Progress = Callable[[int, int], None]
"""Called with (bytes sent, bytes in all) as an upload goes."""


class UploadError(PoeError):
    """The upload endpoint refused or failed; the message has its words."""

    @property
    def title(self) -> str:
        return "Upload failed"


class UploadTooLargeError(UploadError):
    default_hint = "Send a smaller file, or use a transport that sends files inline."

    @property
    def title(self) -> str:
        return "File too large for Poe"


class FileChangedError(UploadError):
    default_hint = "Attach the file again once it stops changing."


def resolve_upload_url(setting: str, *, environ: Mapping[str, str] | None = None) -> str:
    """`POE_UPLOAD_URL` when set, else the setting (whose default is Poe's endpoint)."""
    env = os.environ if environ is None else environ
    return (env.get(UPLOAD_URL_ENV) or setting or DEFAULT_UPLOAD_URL).strip()


def local_upload_url(base_url: str) -> str:
    """Where the built-in local server takes uploads (demo mode, tests)."""
    return base_url.rstrip("/") + UPLOAD_PATH


@dataclass(frozen=True, slots=True)
class Uploaded:
    """A file Poe holds for us: the URL bots read, and the type Poe says it has."""

    url: str
    content_type: str
    name: str
    sha256: str | None = None


class RawKeyAuth(httpx.Auth):
    """The upload endpoint wants the bare key; added at send time, never stored."""

    def __init__(self, key: ApiKey) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self._key.reveal()
        yield request


async def file_sha256(path: Path) -> str:
    hasher = hashlib.sha256()
    async for chunk in read_chunks(path):
        hasher.update(chunk)
    return hasher.hexdigest()


def _quoted(name: str) -> str:
    # As browsers and httpx do: quotes percent-encoded, UTF-8 kept (RFC 7578 section 4.2).
    return name.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


class MultipartFile:
    """A one-part `multipart/form-data` body streamed from a file, with progress."""

    def __init__(self, file: LocalFile, progress: Progress | None, chunk_size: int) -> None:
        self.file = file
        self.progress = progress
        self.chunk_size = chunk_size
        self.boundary = secrets.token_hex(16)
        self.head = (
            f"--{self.boundary}\r\n"
            f'Content-Disposition: form-data; name="file"; filename="{_quoted(file.name)}"\r\n'
            f"Content-Type: {file.content_type}\r\n\r\n"
        ).encode()
        self.tail = f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    @property
    def length(self) -> int:
        return len(self.head) + self.file.size + len(self.tail)

    async def body(self) -> AsyncIterator[bytes]:
        yield self.head
        sent = 0
        self._report(0)
        async for chunk in read_chunks(self.file.path, self.chunk_size):
            sent += len(chunk)
            if sent > self.file.size:
                break
            yield chunk
            self._report(sent)
        if sent != self.file.size:
            # Content-Length is already on the wire: a changed file cannot be sent right.
            raise FileChangedError(
                f"{self.file.name} changed while it was being uploaded "
                f"({format_size(self.file.size)} when attached)."
            )
        yield self.tail

    def _report(self, sent: int) -> None:
        if self.progress is not None:
            self.progress(sent, self.file.size)


class Uploader:
    """Uploads files to Poe's endpoint, once per content hash per conversation."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        key: Callable[[], ApiKey],
        url: str = DEFAULT_UPLOAD_URL,
        *,
        chunk_size: int = CHUNK,
        retrier: Retrier | None = None,
    ) -> None:
        """Pass the client's `retrier` so uploads share its policy and request limiter."""
        self.http = http
        self.retrier = retrier or Retrier()
        self._key = key
        self.url = url
        self.chunk_size = chunk_size
        self._done: dict[tuple[str, str], Uploaded] = {}

    def known(self, scope: str, sha256: str) -> Uploaded | None:
        """The upload of this content in this conversation, if there was one."""
        return self._done.get((scope, sha256))

    async def upload_once(
        self,
        scope: str,
        file: LocalFile,
        *,
        sha256: str | None = None,
        progress: Progress | None = None,
    ) -> Uploaded:
        """Upload unless this content was already uploaded in `scope` (a conversation)."""
        digest = sha256 or await file_sha256(file.path)
        earlier = self.known(scope, digest)
        if earlier is not None:
            if progress is not None:
                progress(file.size, file.size)
            return Uploaded(earlier.url, earlier.content_type, file.name, digest)
        uploaded = await self.upload(file, progress=progress)
        uploaded = Uploaded(uploaded.url, uploaded.content_type, uploaded.name, digest)
        self._done[(scope, digest)] = uploaded
        return uploaded

    async def upload(self, file: LocalFile, *, progress: Progress | None = None) -> Uploaded:
        """Send the file as multipart `file`; cancel the awaiting task to stop it.
        A transient failure sends it again from the start (progress restarts)."""
        return await self.retrier.call(lambda: self._upload_once(file, progress))

    async def _upload_once(self, file: LocalFile, progress: Progress | None) -> Uploaded:
        body = MultipartFile(file, progress, self.chunk_size)
        headers = {"Content-Type": body.content_type, "Content-Length": str(body.length)}
        request = self.http.build_request("POST", self.url, content=body.body(), headers=headers)
        return await self._send(request, file.name, file.content_type)

    async def upload_from_url(self, download_url: str, name: str | None = None) -> Uploaded:
        """Ask Poe to fetch the file itself (the `download_url` form)."""
        data = {"download_url": download_url}
        if name:
            data["download_filename"] = name

        async def once() -> Uploaded:
            request = self.http.build_request("POST", self.url, data=data)
            return await self._send(request, name or "file", None)

        return await self.retrier.call(once)

    async def _send(self, request: httpx.Request, name: str, fallback_type: str | None) -> Uploaded:
        try:
            response = await self.http.send(request, auth=RawKeyAuth(self._key()))
        except httpx.HTTPError as exc:
            cause = exc.__context__ if isinstance(exc.__context__, PoeError) else None
            if cause is not None:  # our own body generator failed (the file changed)
                raise cause from None
            raise network_error(exc, self.url) from None
        if response.status_code != 200:
            raise _upload_failure(response, name)
        return _parse_answer(response, name, fallback_type)


def _upload_failure(response: httpx.Response, name: str) -> PoeError:
    status = response.status_code
    said = " ".join(strip_terminal_controls(response.text).split())[:ERROR_TEXT_LIMIT]
    detail = f" ({said})" if said else ""
    if status in (401, 403):
        return AuthenticationError(f"The upload of {name} was refused{detail}.", status=status)
    if status == 413:
        return UploadTooLargeError(f"Poe would not take {name}: too large{detail}.", status=status)
    error = UploadError(
        f"Uploading {name} failed with HTTP {status}{detail}.",
        status=status,
        retry_after=parse_retry_after(response.headers.get("retry-after")),
    )
    error.retryable = status in TRANSIENT_STATUSES
    return error


def _parse_answer(response: httpx.Response, name: str, fallback_type: str | None) -> Uploaded:
    try:
        data = response.json()
    except (ValueError, json.JSONDecodeError):
        raise ProtocolError(f"The upload of {name} got an answer that is not JSON.") from None
    url = data.get("attachment_url") if isinstance(data, dict) else None
    kind = data.get("mime_type") if isinstance(data, dict) else None
    if not isinstance(url, str) or not url:
        raise ProtocolError(f"The upload of {name} got no attachment_url back.")
    content_type = kind if isinstance(kind, str) and kind else fallback_type
    return Uploaded(url, content_type or "application/octet-stream", name)

"""Files on messages: what a `Message` carries, and how each transport sends them.

A `MessageFile` is transport-neutral: a name, a type, a size, a local copy (by path,
usually the store's copy named by content hash) and, for files a bot sent, the URL it
came from. `FileSender` turns them into the wire `Attachment`s of one request: the
native protocol uploads each file (once per conversation and content) and sends its
URL; the OpenAI and Anthropic APIs take the bytes inline as `data:` URLs, which their
request builders turn into content parts and content blocks.

Bots send files two ways: the native `file` event, and links in the reply text (media
bots answer with a Markdown image link on the OpenAI API). `linked_files` finds the
second kind, so both end up as attachments on the reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from poe_tui.core.errors import UnsupportedTransportError
from poe_tui.core.events import FileOutput
from poe_tui.core.files import FileMissing, LocalFile, data_url, guess_type
from poe_tui.core.messages import Attachment, ChatMessage
from poe_tui.core.transports.registry import Transport, spec_for

if TYPE_CHECKING:
    from poe_tui.core.uploads import Uploader  # httpx: imported with the client

FileProgress = Callable[[int, int, int], None]
"""Called with (index of the file, bytes sent, bytes in all)."""


@dataclass(frozen=True, slots=True)
class MessageFile:
    """A file on a message: the user's attachment, or a file a bot sent back."""

    name: str
    content_type: str
    size: int | None = None
    sha256: str | None = None  # the content hash, once a copy is kept
    path: Path | None = None  # where the bytes are on this machine, if they are
    url: str | None = None  # where a bot's file came from

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    @classmethod
    def from_local(cls, file: LocalFile) -> MessageFile:
        return cls(file.name, file.content_type, file.size, path=file.path)


def local_copy(file: MessageFile) -> LocalFile:
    """The file's bytes on disk, as the uploader and readers need them."""
    if file.path is None or file.size is None or not file.path.is_file():
        raise FileMissing(
            f"The copy of {file.name} kept with this conversation is gone; attach it again."
        )
    return LocalFile(file.path, file.name, file.content_type, file.size)


def check_transport_takes(transport: Transport, file: MessageFile) -> None:
    """Refuse, before anything is read or sent, a file the chosen API cannot carry."""
    refusal = spec_for(transport).file_refusal(file.name, file.content_type)
    if refusal is not None:
        raise refusal


class FileSender:
    """Makes the wire attachments of one request, for one transport."""

    def __init__(self, transport: Transport, uploader: Uploader | None, scope: str) -> None:
        self.transport = transport
        self.uploader = uploader
        self.scope = scope  # the conversation: uploads are reused within it

    async def attachment(
        self, file: MessageFile, progress: Callable[[int, int], None] | None = None
    ) -> Attachment:
        check_transport_takes(self.transport, file)
        local = local_copy(file)
        if spec_for(self.transport).uploads_files:
            if self.uploader is None:
                raise UnsupportedTransportError("No upload endpoint is set for this API.")
            uploaded = await self.uploader.upload_once(
                self.scope, local, sha256=file.sha256, progress=progress
            )
            return Attachment(uploaded.url, uploaded.content_type or file.content_type, file.name)
        url = await data_url(local.path, file.content_type)
        if progress is not None:
            progress(local.size, local.size)
        return Attachment(url, file.content_type, file.name)

    async def attachments(
        self, files: Sequence[MessageFile], progress: FileProgress | None = None
    ) -> tuple[Attachment, ...]:
        result = []
        for index, file in enumerate(files):
            report = _for_file(progress, index)
            result.append(await self.attachment(file, report))
        return tuple(result)

    async def with_files(
        self,
        history: Sequence[ChatMessage],
        files_by_turn: Sequence[Sequence[MessageFile]],
        progress: FileProgress | None = None,
        *,
        last_only: bool = False,
    ) -> list[ChatMessage]:
        """`history` with each user turn's files attached (files_by_turn lists them for
        the user turns in order). Progress reports only the last turn's files: earlier
        ones were sent before (and, on the native API, are reused without uploading)."""
        user_turns = [i for i, m in enumerate(history) if m.role == "user"]
        result = list(history)
        for number, (index, files) in enumerate(zip(user_turns, files_by_turn, strict=False)):
            is_last = number == len(user_turns) - 1
            if not files or (last_only and not is_last):
                continue
            wire = await self.attachments(files, progress if is_last else None)
            result[index] = replace(history[index], attachments=wire)
        return result


def _for_file(progress: FileProgress | None, index: int) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda sent, total: progress(index, sent, total)


# --- files in reply text ------------------------------------------------------------------

_IMAGE_LINK = re.compile(r"!\[([^\]\n]*)\]\(\s*<?(https?://[^\s)>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
_LINK = re.compile(r"(?<!!)\[([^\]\n]+)\]\(\s*<?(https?://[^\s)>]+)>?(?:\s+\"[^\"\n]*\")?\s*\)")
# A link counts as a file when its path names one of these kinds (not a web page).
_FILE_MAJOR_TYPES = ("image/", "audio/", "video/")
_FILE_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/json",
        "text/csv",
        "text/plain",
        "text/markdown",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)


def name_from_url(url: str, fallback: str = "file") -> str:
    path = unquote(urlsplit(url).path)
    return PurePosixPath(path).name or fallback


def _linked_type(url: str) -> str | None:
    kind = guess_type(name_from_url(url))
    if kind and (kind.startswith(_FILE_MAJOR_TYPES) or kind in _FILE_TYPES):
        return kind
    return None


# Where Poe serves the files its bots make. Other hosts are fetched only when the user
# asks (Save), so a reply cannot make the app request addresses of its choosing.
POE_FILE_HOSTS = ("poecdn.net", "poe.com", "quora.com")
MAX_FETCHED_PER_REPLY = 10


def fetched_without_asking(url: str, api_base: str) -> bool:
    """Whether a bot's file at `url` may be downloaded as soon as the reply ends: one of
    Poe's file hosts, or the API's own host (the local server in demo mode)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").casefold()
    if parts.scheme not in ("http", "https") or not host:
        return False
    if host == (urlsplit(api_base).hostname or "").casefold():
        return True
    return any(host == known or host.endswith("." + known) for known in POE_FILE_HOSTS)


def linked_files(text: str) -> list[FileOutput]:
    """Files a reply links to: every Markdown image, and links whose path names a file
    (an image, audio, video, PDF, archive…). Each URL once, in order of appearance."""
    found: dict[str, tuple[int, FileOutput]] = {}
    for match in _IMAGE_LINK.finditer(text):
        alt, url = match.group(1).strip(), match.group(2)
        name = name_from_url(url, alt or "image")
        kind = guess_type(name)
        content_type = kind if kind and kind.startswith("image/") else "image/png"
        found.setdefault(url, (match.start(), FileOutput(url, content_type, name)))
    for match in _LINK.finditer(text):
        url = match.group(2)
        kind = _linked_type(url)
        if kind is not None:
            found.setdefault(url, (match.start(), FileOutput(url, kind, name_from_url(url))))
    return [file for _start, file in sorted(found.values(), key=lambda pair: pair[0])]

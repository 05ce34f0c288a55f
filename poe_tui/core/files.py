"""Local files a person attaches: the checks before sending, their types and sizes, and
saving files bots send into a folder under a safe name.

Every check ends in a `FileProblem` whose message names the file and says what to do,
so the UI and `poe-tui ask` can show it as it is. File I/O goes through aiofiles:
nothing here blocks an event loop on the disk.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import errno
import mimetypes
import shlex
import stat
import unicodedata
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from pathlib import Path

import aiofiles
import aiofiles.os

from poe_tui.core.errors import PoeError

DEFAULT_MAX_MB = 50  # the default size limit (a setting); Poe does not publish its own
MB = 1024 * 1024
CHUNK = 256 * 1024
SNIFF_BYTES = 4096
FALLBACK_TYPE = "application/octet-stream"
MAX_NAME_BYTES = 200  # well under every file system's 255, leaving room for " (12)"

# Types mimetypes misses on some systems, or names badly for our purpose.
_EXTRA_TYPES = {
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".py": "text/x-python",
    ".toml": "text/plain",
    ".yaml": "text/plain",
    ".yml": "text/plain",
    ".log": "text/plain",
    ".rs": "text/plain",
    ".go": "text/plain",
    ".ts": "text/plain",
    ".tsx": "text/plain",
    ".webp": "image/webp",
    ".heic": "image/heic",
    ".m4a": "audio/mp4",
    ".opus": "audio/ogg",
}
_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
)
# Characters that make a name lie about itself or break a line of text: bidi
# overrides can show "gpj.exe" as "exe.jpg"; zero-width ones hide in plain sight.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u2060\ufeff")
_BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_RESERVED = frozenset('<>:"/\\|?*')
_WINDOWS_RESERVED = frozenset(
    {"con", "prn", "aux", "nul"}
    | {f"com{n}" for n in range(1, 10)}
    | {f"lpt{n}" for n in range(1, 10)}
)


# --- problems -----------------------------------------------------------------------


class FileProblem(PoeError):
    """A file that cannot be attached as it is; the message says which and why."""

    @property
    def title(self) -> str:
        return "Cannot attach"


class FileMissing(FileProblem):
    default_hint = "Check the path; nothing was attached."


class NotAFile(FileProblem):
    default_hint = "Pick a file inside it instead."


class FileUnreadable(FileProblem):
    default_hint = "Check its permissions."


class FileEmpty(FileProblem):
    default_hint = "Bots cannot read an empty file."


class FileTooLarge(FileProblem):
    default_hint = "Raise [chat] max_attachment_mb in the config file, or send a smaller file."

    @property
    def title(self) -> str:
        return "File too large"


class OddFileName(FileProblem):
    default_hint = "Rename the file, then attach it again."


class UnsupportedFileType(FileProblem):
    """The bot does not list this kind of input; sending anyway is the user's call."""

    default_hint = "Send it anyway, drop it, or pick a bot that takes it."

    def __init__(self, message: str, *, kind: str, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.kind = kind

    @property
    def title(self) -> str:
        return "Bot may not read this file"


# --- sizes and types ----------------------------------------------------------------


def format_size(size: int) -> str:
    """`512 B`, `1.2 KB`, `3.4 MB`, `1.0 GB` (binary units, as file managers show)."""
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KB", "MB", "GB", "TB"):
        value /= 1024
        if value < 1024 or unit == "TB":
            return f"{value:.1f} {unit}"
    raise AssertionError("unreachable")


def guess_type(name: str) -> str | None:
    """The MIME type the name suggests, or None when the extension says nothing."""
    suffix = Path(name).suffix.lower()
    if suffix in _EXTRA_TYPES:
        return _EXTRA_TYPES[suffix]
    guessed, _encoding = mimetypes.guess_type(name, strict=False)
    return guessed


def sniff_type(head: bytes) -> str | None:
    """The type the first bytes prove (a few magic numbers, or UTF-8 text)."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if not head or b"\x00" in head:
        return None
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still text.
        if error.start < len(head) - 3:
            return None
    return "text/plain"


def content_type_for(name: str, head: bytes) -> str:
    """By extension first (what the user named it), then by content."""
    return guess_type(name) or sniff_type(head) or FALLBACK_TYPE


def kind_of(content_type: str) -> str:
    """The `/v1/models` input modality a type needs: image, audio, video or file."""
    major = content_type.split("/", 1)[0].lower()
    return major if major in ("image", "audio", "video") else "file"


def is_text(content_type: str) -> bool:
    return content_type.startswith("text/") or content_type in (
        "application/json",
        "application/xml",
        "application/x-yaml",
        "application/javascript",
    )


def type_label(content_type: str) -> str:
    """A short name for a chip: `PNG`, `PDF`, `text`, `Markdown`…"""
    labels = {
        "application/pdf": "PDF",
        "text/plain": "text",
        "text/markdown": "Markdown",
        "text/x-python": "Python",
        "application/json": "JSON",
        "text/csv": "CSV",
        "text/html": "HTML",
        "application/zip": "ZIP",
        FALLBACK_TYPE: "binary",
    }
    if content_type in labels:
        return labels[content_type]
    major, _, minor = content_type.partition("/")
    if major in ("image", "audio", "video"):
        return minor.removeprefix("x-").upper() or major
    return minor.removeprefix("x-") or content_type


# --- names ----------------------------------------------------------------------------


def name_problem(name: str) -> str | None:
    """What is odd about a file name, in words; None when it is fine to send."""
    if not name.strip():
        return "the name is blank"
    for index, char in enumerate(name):
        where = f"at position {index + 1}"
        if "\udc80" <= char <= "\udcff":
            return f"it has bytes that are not valid text {where}"
        if char in _BIDI:
            return f"it has a text-direction control (U+{ord(char):04X}) {where}"
        if char in _INVISIBLE:
            return f"it has an invisible character (U+{ord(char):04X}) {where}"
        if unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            return f"it has a control character (U+{ord(char):04X}) {where}"
    if name != name.strip():
        return "it starts or ends with a space"
    return None


def printable_name(name: str) -> str:
    """The name with anything unprintable escaped, safe to show in a message."""
    return "".join(
        char if name_problem(char) is None or char == " " else f"\\u{ord(char):04x}"
        for char in name
    )


def safe_file_name(name: str, fallback: str = "file") -> str:
    """A name that is one plain path component on every system: no folders, no
    control or bidi characters, no reserved characters or names, not hidden, short."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    chars = []
    for char in base:
        unsafe = char in _RESERVED or char in _BIDI or char in _INVISIBLE
        if unsafe or unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn"):
            chars.append("_")
        else:
            chars.append(char)
    cleaned = "".join(chars).strip().lstrip(".").rstrip(". ")
    stem, dot, suffix = cleaned.rpartition(".")
    if not dot:
        stem, suffix = cleaned, ""
    if stem.lower() in _WINDOWS_RESERVED:
        cleaned = f"_{cleaned}"
    if not cleaned.strip("_"):
        return fallback
    return _shorten(cleaned, suffix)


def _shorten(name: str, suffix: str) -> str:
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    ending = f".{suffix}" if suffix and len(suffix) < 16 else ""
    stem = name[: len(name) - len(ending)] if ending else name
    while len((stem + ending).encode()) > MAX_NAME_BYTES:
        stem = stem[:-1]
    return stem + ending


# --- checking a local file ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LocalFile:
    """A file on disk that passed the checks, with what the user will see of it."""

    path: Path
    name: str
    content_type: str
    size: int
    linked_as: str | None = None  # the name of the link the user gave, when it was one

    @property
    def kind(self) -> str:
        return kind_of(self.content_type)

    @property
    def link_notice(self) -> str | None:
        """What to tell the user when the path was a link: the file goes as its target."""
        if self.linked_as is None:
            return None
        return (
            f"{printable_name(self.linked_as)} is a link; it is sent as the file it points "
            f"to, {printable_name(str(self.path))}."
        )

    @property
    def label(self) -> str:
        return f"{self.name} ({type_label(self.content_type)}, {format_size(self.size)})"


def expand_path(text: str, cwd: Path | None = None) -> Path:
    """A typed or pasted path: quotes, `file://` and `~` understood, relative to `cwd`."""
    raw = text.strip()
    if len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "'\"":
        raw = raw[1:-1]
    if raw.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        raw = unquote(urlsplit(raw).path)
    path = Path(raw).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return path


MAX_PASTE_CHARS = 8192  # longer pastes are text, not a list of paths


def split_paths(text: str) -> list[str]:
    """Paths in a line as a shell would split them (terminals quote dropped files)."""
    try:
        return shlex.split(text)
    except ValueError:
        return [text.strip()]


def pasted_paths(text: str, cwd: Path | None = None) -> list[Path] | None:
    """The files a paste names, when it is nothing but paths of existing files (what a
    terminal pastes when files are dropped on it); None for any other text."""
    if not text.strip() or len(text) > MAX_PASTE_CHARS:
        return None
    paths: list[Path] = []
    for line in text.strip().splitlines():
        for word in split_paths(line) if line.strip() else []:
            if not word.startswith(("/", "~", "file://", "./", "../")):
                return None
            path = expand_path(word, cwd)
            if not path.is_file():
                return None
            paths.append(path)
    return paths or None


async def check_file(path: Path, *, max_bytes: int = DEFAULT_MAX_MB * MB) -> LocalFile:
    """The file, checked: it exists, is a regular file we can read, is not empty, fits
    the limit and has a name worth sending. Raises a `FileProblem` saying which.

    A link is sent under its target's name, never its own: `notes.txt` pointing at a
    private key must not go out looking like notes (see `LocalFile.link_notice`)."""
    linked_as = path.name if await aiofiles.os.path.islink(path) else None
    if linked_as is not None:
        path = await _link_target(path)
    shown = printable_name(str(path))
    problem = name_problem(path.name)
    if problem is not None:
        raise OddFileName(f"Cannot attach “{shown}”: {problem}.")
    try:
        info = await aiofiles.os.stat(path)
    except FileNotFoundError:
        raise FileMissing(f"There is no file at {shown}.") from None
    except NotADirectoryError:
        raise FileMissing(f"There is no file at {shown} (a folder on the way is a file).") from None
    except PermissionError:
        raise FileUnreadable(f"Cannot read {shown}: permission denied.") from None
    except OSError as error:
        raise FileUnreadable(f"Cannot read {shown}: {error.strerror or error}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise NotAFile(f"{shown} is a folder, not a file.")
    if not stat.S_ISREG(info.st_mode):
        raise NotAFile(f"{shown} is not a regular file (a device, socket or pipe).")
    if info.st_size == 0:
        raise FileEmpty(f"{shown} is empty.")
    if info.st_size > max_bytes:
        raise FileTooLarge(
            f"{path.name} is {format_size(info.st_size)}; the limit is {format_size(max_bytes)}."
        )
    head = await _read_head(path, shown)
    content_type = content_type_for(path.name, head)
    return LocalFile(path, path.name, content_type, info.st_size, linked_as=linked_as)


async def _link_target(path: Path) -> Path:
    shown = printable_name(str(path))
    try:
        return await asyncio.to_thread(path.resolve, strict=True)
    except FileNotFoundError:
        raise FileMissing(f"{shown} is a link to a file that is not there.") from None
    except (OSError, RuntimeError) as error:  # a loop of links
        reason = getattr(error, "strerror", None) or "a loop of links"
        raise FileUnreadable(f"Cannot follow the link {shown}: {reason}.") from None


async def _read_head(path: Path, shown: str) -> bytes:
    try:
        async with aiofiles.open(path, "rb") as handle:
            return await handle.read(SNIFF_BYTES)
    except PermissionError:
        raise FileUnreadable(f"Cannot read {shown}: permission denied.") from None
    except OSError as error:
        raise FileUnreadable(f"Cannot read {shown}: {error.strerror or error}.") from None


def unsupported_kind(content_type: str, input_modalities: Iterable[str] | None) -> str | None:
    """The modality a bot lacks for this type (None: it takes it, or we do not know)."""
    if input_modalities is None:
        return None
    modalities = {m.lower() for m in input_modalities}
    if not modalities:
        return None
    kind = kind_of(content_type)
    return None if kind in modalities else kind


def check_bot_takes(file: LocalFile, bot: str, input_modalities: Iterable[str] | None) -> None:
    """Raise `UnsupportedFileType` when the bot's input modalities leave this file out."""
    missing = unsupported_kind(file.content_type, input_modalities)
    if missing is None:
        return
    what = {"file": "files", "image": "images", "audio": "audio", "video": "video"}[missing]
    takes = ", ".join(sorted(input_modalities or ())) or "nothing"
    raise UnsupportedFileType(
        f"{bot} does not list {what} among its inputs (it takes: {takes}); "
        f"it may ignore {file.name}.",
        kind=missing,
    )


# --- reading and writing ------------------------------------------------------------------


async def read_chunks(path: Path, chunk_size: int = CHUNK) -> AsyncIterator[bytes]:
    async with aiofiles.open(path, "rb") as handle:
        while chunk := await handle.read(chunk_size):
            yield chunk


async def read_bytes(path: Path) -> bytes:
    async with aiofiles.open(path, "rb") as handle:
        data: bytes = await handle.read()
        return data


async def data_url(path: Path, content_type: str) -> str:
    """The file as a `data:` URL (base64), as the OpenAI and Anthropic APIs take files."""
    encoded = base64.b64encode(await read_bytes(path)).decode("ascii")
    return f"data:{content_type};base64,{encoded}"


def _unique_target(folder: Path, name: str) -> Path:
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem:
        stem, suffix = name, ""
    ending = f".{suffix}" if suffix else ""
    for number in range(1, 10_000):
        candidate = folder / (name if number == 1 else f"{stem} ({number - 1}){ending}")
        if not candidate.exists():
            return candidate
    raise FileExistsError(errno.EEXIST, "too many files with that name", str(folder / name))


def inside(folder: Path, target: Path) -> bool:
    """Whether `target` (resolved) lies directly in `folder` (resolved)."""
    return target.resolve().parent == folder.resolve()


async def save_into(folder: Path, name: str, chunks: AsyncIterator[bytes]) -> Path:
    """Write `chunks` to a new file in `folder` named after `name` (sanitized, made
    unique). Never writes outside `folder`, never replaces or follows an existing file."""
    folder = folder.expanduser()
    try:
        await aiofiles.os.makedirs(folder, exist_ok=True)
    except OSError as error:
        reason = error.strerror or error
        raise FileUnreadable(f"Cannot use the folder {folder}: {reason}.") from None
    if not (await aiofiles.os.path.isdir(folder)):
        raise NotAFile(f"{folder} is not a folder.")
    for _attempt in range(5):
        target = _unique_target(folder, safe_file_name(name))
        if not inside(folder, target):  # belt and braces: a sanitized name has no "/"
            raise OddFileName(f"Refusing to write {printable_name(name)} outside {folder}.")
        try:
            # "xb": O_EXCL, so a file (or symlink) created meanwhile is never overwritten.
            async with aiofiles.open(target, "xb") as out:
                async for chunk in chunks:
                    await out.write(chunk)
            return target
        except FileExistsError:
            continue
        except OSError as error:
            await _remove_quietly(target)
            raise FileUnreadable(f"Cannot write {target}: {error.strerror or error}.") from None
        except BaseException:
            await _remove_quietly(target)  # cancelled half-way: no truncated file left
            raise
    raise FileUnreadable(f"Cannot find a free name for {name} in {folder}.")


async def _remove_quietly(path: Path) -> None:
    with contextlib.suppress(OSError):
        await aiofiles.os.remove(path)

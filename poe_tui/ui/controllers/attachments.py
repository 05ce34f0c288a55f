"""Files on prompts and replies: the waiting files, keeping them, and bots' files.

`AttachmentController` holds the logic the chat screen's attachment panel, file picker,
`/attach` and pasted paths share, and what becomes of files once a prompt is sent:

- adding: each file is checked (`core.files.check_file`) before it waits in the panel;
  a problem is a notice and nothing typed is lost.
- sending: the waiting files are checked again and copied into the history's folder
  (the keeper); the core's `TurnRunner` uploads them. A turn that ends before any reply
  text gives its files back to the panel.
- bots' files: `file` events and links in replies become attachments on the reply,
  fetched into the same folder so they can be opened and saved.

It imports no Textual: what it needs from the screen goes through `AttachmentHost`.
Every file copy, download and store call runs off the event loop.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from poe_tui.config import Settings, download_dir
from poe_tui.core.attachments import (
    MAX_FETCHED_PER_REPLY,
    MessageFile,
    fetched_without_asking,
    linked_files,
)
from poe_tui.core.conversation import Message
from poe_tui.core.errors import PoeError
from poe_tui.core.files import (
    MB,
    FileProblem,
    LocalFile,
    UnsupportedFileType,
    check_bot_takes,
    check_file,
    expand_path,
    printable_name,
    read_chunks,
    save_into,
    split_paths,
)
from poe_tui.core.models import ModelInfo
from poe_tui.store.errors import StoreError
from poe_tui.ui.file_keeper import FileKeeper, keeper_for
from poe_tui.ui.opener import new_viewer_copies_folder

if TYPE_CHECKING:
    import httpx

ATTACH_COMMAND = "/attach"
Severity = Literal["information", "warning", "error"]
Choice = Literal["send", "drop"]


@dataclass(frozen=True, slots=True)
class PendingFile:
    """A checked file waiting to be sent; `warning` says why the bot may ignore it."""

    file: LocalFile
    warning: str | None = None


def command_words(text: str) -> str | None:
    """What follows `/attach` in a prompt ("" for the command alone); None when the
    prompt is not that command."""
    head, _, rest = text.strip().partition(" ")
    return rest.strip() if head == ATTACH_COMMAND else None


def pending_from(file: MessageFile) -> PendingFile | None:
    """A kept file back in the panel (its copy stands in for the original)."""
    if file.path is None or file.size is None:
        return None
    return PendingFile(LocalFile(file.path, file.name, file.content_type, file.size))


class WaitingFiles(Protocol):
    """The files waiting for the next prompt, as the panel shows them."""

    files: list[PendingFile]

    async def add(self, pending: PendingFile) -> bool:
        """False when that very path is already waiting."""
        ...

    async def discard(self, pending: PendingFile) -> None: ...

    async def take(self) -> list[PendingFile]: ...


class AttachmentHost(Protocol):
    """What the controller needs from the screen (all called on the event loop)."""

    @property
    def waiting(self) -> WaitingFiles: ...

    def notice(self, text: str, *, title: str = "", severity: Severity = "information") -> None:
        """Tell the user (plain text, never markup)."""
        ...

    def history_problem(self, error: StoreError) -> None: ...

    async def ask_files(self, start: Path) -> list[Path] | None:
        """The files the user picks, starting in `start`; None or [] when none."""
        ...

    async def ask_unsupported(self, bot: str, warnings: list[str]) -> Choice | None:
        """Send files the bot may not read anyway, drop them, or None: go back."""
        ...

    async def ask_save_folder(self, name: str, folder: Path) -> Path | None: ...

    def files_changed(self, message: Message) -> None:
        """The files on `message` changed (a bot's file came, or was fetched)."""
        ...

    def open_in_viewer(self, target: str) -> None:
        """The system viewer, on a path or a web link; raises OSError when it cannot."""
        ...


class AttachmentController:
    def __init__(
        self,
        host: AttachmentHost,
        *,
        store: object,
        settings: Callable[[], Settings],
        model_info: Callable[[str], ModelInfo | None],
        base_url: str,
        http: Callable[[], httpx.AsyncClient],
    ) -> None:
        self.host = host
        self._store = store
        # Callables: the settings change when saved, and the HTTP client is made on
        # first use (kept off the way to the first frame).
        self._settings = settings
        self._model_info = model_info
        self._base_url = base_url
        self._http = http
        self._keeper: FileKeeper | None = None
        self._open_dir: Path | None = None
        self.picker_dir: Path | None = None  # where the picker opens next
        self.save_dir: Path | None = None  # where the last file was saved

    @property
    def keeper(self) -> FileKeeper:
        if self._keeper is None:
            self._keeper = keeper_for(self._store)
        return self._keeper

    @property
    def max_bytes(self) -> int:
        return int(self._settings().max_attachment_mb * MB)

    def close(self) -> None:
        if self._keeper is not None:
            self._keeper.close()

    def _problem(self, error: PoeError, *, severity: Severity = "error") -> None:
        self.host.notice(error.one_line(), title=error.title, severity=severity)

    # --- adding files -----------------------------------------------------------------

    async def attach_path(self, path: Path, bot: str) -> bool:
        """Check `path` and let it wait for the next prompt to `bot`; False (after
        saying why) when it cannot."""
        try:
            file = await check_file(path, max_bytes=self.max_bytes)
        except FileProblem as problem:
            self._problem(problem)
            return False
        warning = self.type_warning(file, bot)
        if not await self.host.waiting.add(PendingFile(file, warning)):
            self.host.notice(f"{printable_name(file.name)} is already attached.")
            return False
        if file.link_notice:
            self.host.notice(file.link_notice, title="A link")
        if warning:
            self.host.notice(warning, title="Bot may not read this file", severity="warning")
        return True

    def type_warning(self, file: LocalFile, bot: str) -> str | None:
        model = self._model_info(bot)
        try:
            check_bot_takes(file, bot, model.input_modalities if model else None)
        except UnsupportedFileType as unsupported:
            return unsupported.message
        return None

    async def pick_files(self, bot: str) -> bool:
        """The picker, then each chosen file added; False when nothing was chosen."""
        paths = await self.host.ask_files(self.picker_dir or Path.cwd())
        if not paths:
            return False
        self.picker_dir = paths[0].parent
        for path in paths:
            await self.attach_path(path, bot)
        return True

    async def attach_words(self, words: str, bot: str) -> bool:
        """`/attach`'s paths (quoted as a shell would); True when every one was added."""
        results = [await self.attach_path(expand_path(word), bot) for word in split_paths(words)]
        return all(results)

    async def attach_pasted(self, paths: Sequence[Path], bot: str) -> int:
        """Paths pasted into the prompt; says how many were attached, and returns it."""
        added = [path for path in paths if await self.attach_path(path, bot)]
        if added:
            noun = "file" if len(added) == 1 else "files"
            self.host.notice(
                f"Attached {len(added)} pasted {noun}. To paste a path as text, type "
                "it, or set [chat] attach_pasted_paths = false."
            )
        return len(added)

    # --- sending ------------------------------------------------------------------------

    def unsupported_warnings(self, bot: str) -> list[str]:
        """Why `bot` may not read some waiting files (nothing when it takes them all)."""
        waiting = self.host.waiting.files
        return [w for p in waiting if (w := self.type_warning(p.file, bot))]

    async def confirm_unsupported(self, bot: str) -> bool:
        """Ask what to do with waiting files `bot` may not read; False: the user went
        back (everything stays). "drop" takes those files off the panel."""
        warnings = self.unsupported_warnings(bot)
        if not warnings:
            return True
        choice = await self.host.ask_unsupported(bot, warnings)
        if choice is None:
            return False
        if choice == "drop":
            waiting = self.host.waiting
            for pending in list(waiting.files):
                if self.type_warning(pending.file, bot):
                    await waiting.discard(pending)
        return True

    async def take_files(self) -> list[MessageFile] | None:
        """The waiting files, checked again and kept with the history; None (after
        saying why, with every file still waiting) when one cannot be sent."""
        waiting = self.host.waiting
        kept: list[MessageFile] = []
        for pending in list(waiting.files):
            copy = await self._keep_waiting(pending.file)
            if copy is None:
                return None
            kept.append(copy)
        await waiting.take()
        return kept

    async def _keep_waiting(self, file: LocalFile) -> MessageFile | None:
        try:
            await check_file(file.path, max_bytes=self.max_bytes)
            return await self.keeper.keep(file.path, file.name, file.content_type)
        except FileProblem as problem:
            self._problem(problem)
        except (OSError, StoreError) as error:
            name = printable_name(file.name)
            self.host.notice(f"Cannot keep {name}: {error}", severity="error")
        return None

    async def link(self, message: Message, files: Sequence[MessageFile] | None = None) -> None:
        """Record in the history that the saved `message` carries its (kept) files. A
        failure is said: the files still go out, only the history misses them."""
        files = message.attachments if files is None else files
        if not files:
            return
        try:
            await asyncio.to_thread(self.keeper.link, message.id, list(files))
        except StoreError as error:
            self.host.history_problem(error)

    async def restore(self, prompt: Message | None) -> None:
        """A turn that ended before any reply: its files wait in the panel again."""
        if prompt is None:
            return
        for file in prompt.attachments:
            pending = pending_from(file)
            if pending is not None:
                await self.host.waiting.add(pending)

    async def drop_sent(self, prompt: Message) -> None:
        """The files `prompt` carries leave the panel (its draft is being sent again)."""
        sent = {f.path for f in prompt.attachments if f.path}
        waiting = self.host.waiting
        for pending in list(waiting.files):
            if pending.file.path in sent:
                await waiting.discard(pending)

    # --- files from bots ---------------------------------------------------------------

    def collect_reply_files(self, reply: Message) -> list[MessageFile]:
        """Files linked in the reply's text join its `file` events; returns those to
        fetch now (from Poe's own hosts; other links wait until the user asks)."""
        known = {f.url for f in reply.attachments}
        for found in linked_files(reply.text):
            if found.url not in known:
                reply.attachments.append(MessageFile(found.name, found.content_type, url=found.url))
                known.add(found.url)
        wanted = [
            f
            for f in reply.attachments
            if f.path is None and f.url and fetched_without_asking(f.url, self._base_url)
        ]
        return wanted[:MAX_FETCHED_PER_REPLY]

    async def fetch_reply_files(self, reply: Message, files: Sequence[MessageFile]) -> None:
        """Fetch `files` of `reply` into the history's folder, one after another."""
        for file in files:
            try:
                kept = await self.fetch(file)
            except PoeError as error:
                said = f"{printable_name(file.name)}: {error.one_line()}"
                self.host.notice(said, title="Bot's file", severity="warning")
                continue
            except (OSError, StoreError) as error:
                said = f"Cannot keep {printable_name(file.name)}: {error}"
                self.host.notice(said, title="Bot's file", severity="warning")
                continue
            # The reply may have been retried meanwhile: only fill in a file still there.
            index = next((i for i, f in enumerate(reply.attachments) if f is file), None)
            if index is None:
                continue
            reply.attachments[index] = kept
            self.host.files_changed(reply)
            await self.link(reply, [kept])

    async def fetch(self, file: MessageFile) -> MessageFile:
        """A bot's file, downloaded and kept; the result names the copy."""
        from poe_tui.core.downloads import download  # httpx: after the first frame

        if file.url is None:
            raise FileProblem(f"{printable_name(file.name)} has no address to fetch it from.")
        with tempfile.TemporaryDirectory(prefix="poe-tui-fetch-") as folder:
            target = Path(folder) / "download"
            served = await download(self._http(), file.url, target, max_bytes=self.max_bytes)
            content_type = file.content_type
            if served and content_type in ("application/octet-stream", ""):
                content_type = served
            kept = await self.keeper.keep(target, file.name, content_type)
        return replace(kept, url=file.url)

    async def open_file(self, file: MessageFile) -> None:
        """The system viewer, on a copy named like the file (viewers go by extension)."""
        name = printable_name(file.name)
        try:
            target = await self._viewer_target(file)
            if target is None:
                self.host.notice(f"{name} is not on this machine.", severity="warning")
                return
            self.host.open_in_viewer(target)
        except PoeError as error:
            self._problem(error)
            return
        except OSError as error:
            self.host.notice(f"Could not open {name}: {error}", severity="error")
            return
        self.host.notice(f"Opened {name} with the system viewer.")

    async def _viewer_target(self, file: MessageFile) -> str | None:
        if file.path is not None and await asyncio.to_thread(file.path.is_file):
            if self._open_dir is None:  # removed at exit
                self._open_dir = await asyncio.to_thread(new_viewer_copies_folder)
            return str(await save_into(self._open_dir, file.name, read_chunks(file.path)))
        if file.url and file.url.startswith(("http://", "https://")):
            return file.url
        return None

    async def save_file(self, file: MessageFile) -> Path | None:
        """Ask for a folder and save a copy of `file` there (fetched first when it is
        not on this machine); the path saved to, or None."""
        folder = self.save_dir or download_dir(self._settings())
        chosen = await self.host.ask_save_folder(file.name, folder)
        if chosen is None:
            return None
        try:
            if file.path is None or not await asyncio.to_thread(file.path.is_file):
                file = await self.fetch(file)
            assert file.path is not None
            saved = await save_into(chosen, file.name, read_chunks(file.path))
        except PoeError as error:
            self._problem(error)
            return None
        except (OSError, StoreError) as error:
            said = f"Could not save {printable_name(file.name)}: {error}"
            self.host.notice(said, severity="error")
            return None
        self.save_dir = chosen
        self.host.notice(f"Saved {saved}", title="Saved")
        return saved

"""The chat screen's attachments: adding files, sending them, and bots' files.

`AttachmentsMixin` is mixed into `ChatScreen` (its own module keeps `chat.py` small):

- adding: the file picker (ctrl+t, the palette, `/attach` alone), `/attach PATH…` in
  the prompt, and pasting paths of existing files into the prompt. Each file is checked
  (`core.files.check_file`) before its chip appears; a problem is a notification and
  nothing typed is lost.
- sending: the panel's files are checked again, copied into the history's attachment
  folder (by content hash) and put on the user message; the reply worker then makes the
  wire attachments (`core.attachments.FileSender`: uploads with progress on the native
  API, inline on the others). Esc cancels an upload like a reply; a turn that fails or
  stops before any reply text puts the text and the files back.
- bots' files: `file` events and file links in replies become attachments on the reply,
  fetched into the same folder so they can be opened (system viewer), saved (a chosen
  folder, sanitized names) and previewed.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import work

from poe_tui.config import download_dir
from poe_tui.core.attachments import (
    MAX_FETCHED_PER_REPLY,
    MessageFile,
    fetched_without_asking,
    linked_files,
)
from poe_tui.core.conversation import Conversation, Message
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
from poe_tui.store.errors import StoreError
from poe_tui.ui.file_keeper import FileKeeper, keeper_for
from poe_tui.ui.messages import MessageChanged, Part
from poe_tui.ui.opener import new_viewer_copies_folder
from poe_tui.ui.widgets.attachment_panel import AttachmentPanel, PendingFile
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.message_files import FileRow, MessageFiles
from poe_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from poe_tui.core.uploads import Uploader
    from poe_tui.ui.app import PoeApp
    from poe_tui.ui.controllers.replies import ReplyJob

ATTACH_COMMAND = "/attach"


def pending_from(file: MessageFile) -> PendingFile | None:
    """A kept file back in the panel (its copy stands in for the original)."""
    if file.path is None or file.size is None:
        return None
    return PendingFile(LocalFile(file.path, file.name, file.content_type, file.size))


class AttachmentsMixin:
    """Mixed into ChatScreen; see the module docstring."""

    if TYPE_CHECKING:  # what ChatScreen provides
        conversation: Conversation
        poe_app: PoeApp

        def notify(self, message: str, **kw: Any) -> None: ...
        def query_one(self, *a: Any, **kw: Any) -> Any: ...
        @property
        def app(self) -> Any: ...

    _picker_dir: Path | None = None
    _save_dir: Path | None = None
    _keeper: FileKeeper | None = None
    _uploader: Uploader | None = None
    _open_dir: Path | None = None

    # --- plumbing -----------------------------------------------------------------------

    @property
    def keeper(self) -> FileKeeper:
        if self._keeper is None:
            self._keeper = keeper_for(self.poe_app.store)
        return self._keeper

    @property
    def uploader(self) -> Uploader:
        """One per run, so a file is uploaded once per conversation (content hash)."""
        if self._uploader is None:
            self._uploader = self.poe_app.client.uploader(self.poe_app.upload_url)
        return self._uploader

    @property
    def attachment_panel(self) -> AttachmentPanel:
        panel: AttachmentPanel = self.query_one(AttachmentPanel)
        return panel

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.poe_app.settings.max_attachment_mb * MB)

    def close_attachments(self) -> None:
        if self._keeper is not None:
            self._keeper.close()

    def on_unmount(self) -> None:
        # A handler here runs besides any ChatScreen.on_unmount (Textual walks the MRO).
        self.close_attachments()

    def _problem(self, error: PoeError, *, severity: str = "error") -> None:
        self.notify(error.one_line(), title=error.title, severity=severity, markup=False)

    # --- adding files -----------------------------------------------------------------

    def action_attach_file(self) -> None:
        self.pick_files()

    async def action_clear_attachments(self) -> None:
        await self.attachment_panel.take()

    @work(group="file-picker", exclusive=True, exit_on_error=False)
    async def pick_files(self) -> None:
        from poe_tui.ui.screens.file_picker import FilePickerScreen  # lazy: first paint

        start = self._picker_dir or Path.cwd()
        paths = await self.app.push_screen_wait(FilePickerScreen(start))
        if not paths:
            return
        self._picker_dir = paths[0].parent
        for path in paths:
            await self.attach_path(path)
        self.query_one(PromptInput).focus()

    async def attach_path(self, path: Path) -> bool:
        """Check `path` and add it to the panel; False (after saying why) when it fails."""
        try:
            file = await check_file(path, max_bytes=self.max_attachment_bytes)
        except FileProblem as problem:
            self._problem(problem)
            return False
        warning = self._type_warning(file)
        if not await self.attachment_panel.add(PendingFile(file, warning)):
            self.notify(f"{printable_name(file.name)} is already attached.", markup=False)
            return False
        if file.link_notice:
            self.notify(file.link_notice, title="A link", markup=False)
        if warning:
            title = "Bot may not read this file"
            self.notify(warning, title=title, severity="warning", markup=False)
        return True

    def _type_warning(self, file: LocalFile) -> str | None:
        bot = self.conversation.bot
        model = self.poe_app.model_info(bot)
        try:
            check_bot_takes(file, bot, model.input_modalities if model else None)
        except UnsupportedFileType as unsupported:
            return unsupported.message
        return None

    async def attach_command(self, text: str) -> bool:
        """`/attach` opens the picker; `/attach PATH…` attaches files. True if it was one."""
        head, _, rest = text.strip().partition(" ")
        if head != ATTACH_COMMAND:
            return False
        prompt = self.query_one(PromptInput)
        if not rest.strip():
            prompt.clear_prompt()
            self.pick_files()
            return True
        results = [await self.attach_path(expand_path(word)) for word in split_paths(rest)]
        if all(results):
            prompt.clear_prompt()  # on a problem the command stays, to be corrected
        return True

    # Handlers go by name, not @on: a mixin is no MessagePump, so @on would be ignored.

    async def on_prompt_input_paths_pasted(self, event: PromptInput.PathsPasted) -> None:
        event.stop()
        added = [path for path in event.paths if await self.attach_path(path)]
        if added:
            noun = "file" if len(added) == 1 else "files"
            self.notify(
                f"Attached {len(added)} pasted {noun}. To paste a path as text, type "
                "it, or set [chat] attach_pasted_paths = false.",
                markup=False,
            )

    # --- sending ------------------------------------------------------------------------

    def files_need_confirming(self, text: str) -> bool:
        """True when some waiting files are of a kind the bot does not list: the user
        decides (send anyway, drop, back) in a dialog, which sends `text` itself."""
        warnings = [w for p in self.attachment_panel.files if (w := self._type_warning(p.file))]
        if not warnings:
            return False
        from poe_tui.ui.screens.confirm_files import ConfirmFilesScreen

        screen = ConfirmFilesScreen(self.poe_app.display_name(self.conversation.bot), warnings)
        self.app.push_screen(screen, callback=lambda choice: self._confirmed(choice, text))
        return True

    async def _confirmed(self, choice: str | None, text: str) -> None:
        if choice is None:
            return
        panel = self.attachment_panel
        if choice == "drop":
            for pending in list(panel.files):
                if self._type_warning(pending.file):
                    await panel.remove(pending)
        await self.send_with_files(text)

    async def send_with_files(self, text: str) -> None:
        """Send `text` with the waiting files (ChatScreen.send_prompt's second half)."""
        if not self._may_send():  # type: ignore[attr-defined]
            return
        files = await self.take_files()
        if files is None:
            return
        self.query_one(PromptInput).clear_prompt()
        await self.send_text(text, files=files)  # type: ignore[attr-defined]

    async def take_files(self) -> list[MessageFile] | None:
        """The waiting files, checked again and kept with the history; None (after saying
        why, with every file still waiting) when one cannot be sent."""
        panel = self.attachment_panel
        waiting = list(panel.files)
        kept: list[MessageFile] = []
        for pending in waiting:
            file = pending.file
            try:
                await check_file(file.path, max_bytes=self.max_attachment_bytes)
                copy = await self.keeper.keep(file.path, file.name, file.content_type)
            except FileProblem as problem:
                self._problem(problem)
                return None
            except (OSError, StoreError) as error:
                self.notify(
                    f"Cannot keep {printable_name(file.name)}: {error}",
                    severity="error",
                    markup=False,
                )
                return None
            kept.append(copy)
        await panel.take()
        return kept

    def link_files(self, message: Message) -> None:
        if not message.attachments:
            return
        try:
            self.keeper.link(message.id, message.attachments)
        except StoreError as error:  # the files still go out; only the history misses them
            self.history_problem(error)  # type: ignore[attr-defined]

    def _files_widget(self, message: Message) -> MessageFiles | None:
        view = self.query_one(ConversationView).view_for(message)
        if view is None or not view.query(MessageFiles):
            return None
        widget: MessageFiles = view.query_one(MessageFiles)
        return widget

    async def restore_files(self, job: ReplyJob) -> None:
        """A turn that ended before any reply: its files go back to the panel."""
        prompt = job.turn.prompt
        if prompt is None:
            return
        for file in prompt.attachments:
            pending = pending_from(file)
            if pending is not None:
                await self.attachment_panel.add(pending)

    # --- files from bots ---------------------------------------------------------------

    async def collect_reply_files(self, job: ReplyJob) -> None:
        """Files linked in the reply's text join its `file` events; then fetch them."""
        reply = job.reply
        known = {f.url for f in reply.attachments}
        for found in linked_files(reply.text):
            if found.url not in known:
                reply.attachments.append(MessageFile(found.name, found.content_type, url=found.url))
                known.add(found.url)
        base = self.poe_app.base_url
        wanted = [
            f
            for f in reply.attachments
            if f.path is None and f.url and fetched_without_asking(f.url, base)
        ][:MAX_FETCHED_PER_REPLY]
        if wanted:
            self.fetch_reply_files(job.conversation, reply, wanted)
        await self._refresh_files(reply)

    async def _refresh_files(self, message: Message) -> None:
        self.query_one(ConversationView).post_message(MessageChanged(message, Part.FILES))

    @work(group="fetch-files", exit_on_error=False)
    async def fetch_reply_files(
        self, conversation: Conversation, reply: Message, files: list[MessageFile]
    ) -> None:
        for file in files:
            try:
                kept = await self._fetch(file)
            except PoeError as error:
                said = f"{printable_name(file.name)}: {error.one_line()}"
                self.notify(said, title="Bot's file", severity="warning", markup=False)
                continue
            # The reply may have been retried meanwhile: only fill in a file still there.
            index = next((i for i, f in enumerate(reply.attachments) if f is file), None)
            if index is None:
                continue
            reply.attachments[index] = kept
            try:
                self.keeper.link(reply.id, [kept])
            except StoreError as error:
                self.history_problem(error)  # type: ignore[attr-defined]
            await self._refresh_files(reply)

    async def _fetch(self, file: MessageFile) -> MessageFile:
        from poe_tui.core.downloads import download  # httpx: after the first frame

        assert file.url is not None
        with tempfile.TemporaryDirectory(prefix="poe-tui-fetch-") as folder:
            target = Path(folder) / "download"
            served = await download(
                self.poe_app.client.http, file.url, target, max_bytes=self.max_attachment_bytes
            )
            content_type = file.content_type
            if served and content_type in ("application/octet-stream", ""):
                content_type = served
            kept = await self.keeper.keep(target, file.name, content_type)
        return replace(kept, url=file.url)

    async def on_file_row_open_requested(self, event: FileRow.OpenRequested) -> None:
        event.stop()
        await self.open_file(event.file)

    async def open_file(self, file: MessageFile) -> None:
        """The system viewer, on a copy named like the file (viewers go by extension)."""
        try:
            if file.path is not None and file.path.is_file():
                if self._open_dir is None:
                    self._open_dir = new_viewer_copies_folder()  # removed at exit
                target = str(await save_into(self._open_dir, file.name, read_chunks(file.path)))
            elif file.url and file.url.startswith(("http://", "https://")):
                target = file.url
            else:
                said = f"{printable_name(file.name)} is not on this machine."
                self.notify(said, severity="warning", markup=False)
                return
            self.poe_app.opener(target)
        except PoeError as error:
            self._problem(error)
            return
        except OSError as error:
            self.notify(
                f"Could not open {printable_name(file.name)}: {error}",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"Opened {printable_name(file.name)} with the system viewer.", markup=False)

    def on_file_row_save_requested(self, event: FileRow.SaveRequested) -> None:
        event.stop()
        self.save_file(event.message, event.file)

    @work(group="save-file", exclusive=True, exit_on_error=False)
    async def save_file(self, message: Message, file: MessageFile) -> None:
        from poe_tui.ui.screens.save_file import SaveFileScreen

        folder = self._save_dir or download_dir(self.poe_app.settings)
        chosen = await self.app.push_screen_wait(SaveFileScreen(file.name, folder))
        if chosen is None:
            return
        try:
            if file.path is None or not file.path.is_file():
                file = await self._fetch(file)
            assert file.path is not None
            saved = await save_into(chosen, file.name, read_chunks(file.path))
        except PoeError as error:
            self._problem(error)
            return
        self._save_dir = chosen
        self.notify(f"Saved {saved}", title="Saved", markup=False)

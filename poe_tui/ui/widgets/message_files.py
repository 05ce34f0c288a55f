"""The files on one message: what the user attached, or what a bot sent back.

A row per file: name, type and size, with Open (the system viewer) and Save (to a chosen
folder) buttons; `o` and `s` do the same while the row has focus. Images get a preview
under their row: half-block pixels for PNGs, a description otherwise (see
`ui/thumbnail.py`). While a prompt's files upload, each row shows how far it got.
The screen does the opening, saving and fetching; this widget only shows and asks.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import ClassVar

import aiofiles
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message as TextualMessage
from textual.widgets import Button, Label, Static

from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Message
from poe_tui.core.files import format_size, printable_name, type_label
from poe_tui.ui.styles import load_css
from poe_tui.ui.thumbnail import describe_image, preview

PREVIEW_WIDTH = 40
PREVIEW_ROWS = 10
MAX_PREVIEW_BYTES = 8 * 1024 * 1024
BAR_CELLS = 20


def file_line(file: MessageFile) -> str:
    parts = [f"• {printable_name(file.name)}", type_label(file.content_type)]
    if file.size is not None:
        parts.append(format_size(file.size))
    return " · ".join(parts)


def progress_line(name: str, sent: int, total: int, cancel_key: str) -> str:
    share = sent / total if total else 1.0
    filled = round(share * BAR_CELLS)
    bar = "█" * filled + "░" * (BAR_CELLS - filled)
    done = f"{format_size(sent)} of {format_size(total)}"
    hint = f" · {cancel_key} cancels" if cancel_key and share < 1 else ""
    return f"Uploading {printable_name(name)} {bar} {share:.0%} ({done}){hint}"


class FileRow(Vertical):
    """One file of a message, with its buttons, status and preview."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("o", "open", "Open file", id="open_file"),
        Binding("s", "save", "Save file", id="save_file"),
    ]

    class OpenRequested(TextualMessage):
        def __init__(self, message: Message, file: MessageFile) -> None:
            super().__init__()
            self.message = message
            self.file = file

    class SaveRequested(TextualMessage):
        def __init__(self, message: Message, file: MessageFile) -> None:
            super().__init__()
            self.message = message
            self.file = file

    def __init__(self, message: Message, file: MessageFile) -> None:
        super().__init__(classes="file-row")
        self.message = message
        self.file = file

    def compose(self) -> ComposeResult:
        with Horizontal(classes="file-head"):
            yield Label(file_line(self.file), classes="file-name", markup=False)
            yield Button("Open", classes="file-open", compact=True)
            yield Button("Save", classes="file-save", compact=True)
        yield Static("", classes="file-status", markup=False)
        yield Static("", classes="file-preview")

    def on_mount(self) -> None:
        self.query_one(".file-status").display = False
        self.query_one(".file-preview").display = False
        if self.file.is_image:
            self.show_preview()

    def set_status(self, text: str) -> None:
        status = self.query_one(".file-status", Static)
        status.update(text)
        status.display = bool(text)

    @work(group="preview", exclusive=True, exit_on_error=False)
    async def show_preview(self) -> None:
        """Pixels for a PNG, words for any other picture (or one not fetched yet)."""
        box = self.query_one(".file-preview", Static)
        path = self.file.path
        if path is None:
            waiting = "Preview once the picture is fetched." if self.file.url else ""
            box.update(Text(waiting, style="dim"))
            box.display = bool(waiting)
            return
        data = await _read(path)
        if data is None:
            box.update(Text("The picture's copy cannot be read.", style="dim"))
        else:
            pixels = await asyncio.to_thread(preview, data, PREVIEW_WIDTH, PREVIEW_ROWS)
            box.update(pixels if pixels is not None else self._fallback(data))
        box.display = True

    def _fallback(self, data: bytes) -> Text:
        about = describe_image(self.file.name, self.file.content_type, data)
        return Text(f"{about}. No inline preview for this format; press o to open it.", "dim")

    def action_open(self) -> None:
        self.post_message(self.OpenRequested(self.message, self.file))

    def action_save(self) -> None:
        self.post_message(self.SaveRequested(self.message, self.file))

    @on(Button.Pressed, ".file-open")
    def _open(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_open()

    @on(Button.Pressed, ".file-save")
    def _save(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save()


async def _read(path: Path) -> bytes | None:
    try:
        async with aiofiles.open(path, "rb") as handle:
            data: bytes = await handle.read(MAX_PREVIEW_BYTES + 1)
    except OSError:
        return None
    return data if len(data) <= MAX_PREVIEW_BYTES else data[:MAX_PREVIEW_BYTES]


class MessageFiles(Vertical):
    DEFAULT_CSS = load_css(__file__, "message_files.tcss")

    def __init__(self, message: Message) -> None:
        super().__init__(classes="message-files")
        self.message = message
        self._shown: list[MessageFile] = []

    def compose(self) -> ComposeResult:
        self._shown = list(self.message.attachments)
        for file in self._shown:
            yield FileRow(self.message, file)

    def on_mount(self) -> None:
        self.display = bool(self._shown)

    async def refresh_files(self) -> None:
        """Show the message's files as they are now (new, fetched, or gone)."""
        if self.message.attachments != self._shown:
            await self.recompose()
        self.display = bool(self._shown)

    def rows(self) -> list[FileRow]:
        return list(self.query(FileRow))

    def show_progress(self, index: int, sent: int, total: int, cancel_key: str) -> None:
        if not self.is_mounted:  # the conversation was switched away mid-upload
            return
        rows = self.rows()
        if 0 <= index < len(rows):
            row = rows[index]
            done = sent >= total
            row.set_status("" if done else progress_line(row.file.name, sent, total, cancel_key))

    def clear_progress(self) -> None:
        if not self.is_mounted:
            return
        for row in self.rows():
            row.set_status("")

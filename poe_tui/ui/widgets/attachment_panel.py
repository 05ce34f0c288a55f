"""The files waiting to go with the next prompt: a chip (a line) per file above the prompt.

Each chip shows the name, type and size (and a warning when the bot may not read that
kind of file); its ✕ or Delete/Backspace while it has focus removes it. The last line
says how many files and how large they are together. The panel hides itself when empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Button, Label, Static

from poe_tui.core.files import format_size, printable_name, type_label
from poe_tui.ui.controllers.attachments import PendingFile
from poe_tui.ui.styles import load_css

__all__ = ["AttachmentChip", "AttachmentPanel", "PendingFile"]


def chip_text(pending: PendingFile) -> str:
    file = pending.file
    mark = "⚠ " if pending.warning else ""
    name = printable_name(file.name)
    return f"{mark}{name} · {type_label(file.content_type)} · {format_size(file.size)}"


def total_text(files: list[PendingFile], add_key: str) -> str:
    count = len(files)
    size = format_size(sum(p.file.size for p in files))
    noun = "file" if count == 1 else "files"
    hint = f" · {add_key} adds" if add_key else ""
    return f"{count} {noun}, {size} · Del or ✕ removes{hint}"


class AttachmentChip(Horizontal):
    """One waiting file; focusable so the keyboard can remove it."""

    can_focus = True
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("delete,backspace", "remove", "Remove file", id="remove_attachment"),
    ]

    class RemoveRequested(Message):
        def __init__(self, chip: AttachmentChip) -> None:
            super().__init__()
            self.chip = chip

    def __init__(self, pending: PendingFile) -> None:
        super().__init__(classes="chip -warning" if pending.warning else "chip")
        self.pending = pending
        if pending.warning:
            self.tooltip = pending.warning

    def compose(self) -> ComposeResult:
        yield Label(chip_text(self.pending), classes="chip-label", markup=False)
        yield Button("✕", classes="chip-remove", compact=True, tooltip="Remove this file")

    def action_remove(self) -> None:
        self.post_message(self.RemoveRequested(self))

    @on(Button.Pressed, ".chip-remove")
    def _clicked_remove(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_remove()


class AttachmentPanel(Vertical):
    DEFAULT_CSS = load_css(__file__, "attachment_panel.tcss")

    class Changed(Message):
        """The waiting files changed (added, removed, taken)."""

    def __init__(self, *, add_key: str = "", id: str | None = None) -> None:
        super().__init__(id=id)
        self.files: list[PendingFile] = []
        self.add_key = add_key

    def compose(self) -> ComposeResult:
        yield VerticalScroll(classes="chips", can_focus=False)
        yield Static("", classes="attachments-total", markup=False)

    def on_mount(self) -> None:
        self.display = False

    def has(self, path: Path) -> bool:
        return any(p.file.path == path for p in self.files)

    async def add(self, pending: PendingFile) -> bool:
        """Add a file (False when that very path is already waiting)."""
        if self.has(pending.file.path):
            return False
        self.files.append(pending)
        await self.query_one(".chips", VerticalScroll).mount(AttachmentChip(pending))
        self._changed()
        return True

    async def discard(self, pending: PendingFile) -> None:
        for chip in self.query(AttachmentChip):
            if chip.pending is pending:
                await chip.remove()
        self.files = [p for p in self.files if p is not pending]
        self._changed()

    async def take(self) -> list[PendingFile]:
        """Empty the panel and return what was in it (the files go with a prompt)."""
        taken, self.files = self.files, []
        await self.query(AttachmentChip).remove()
        self._changed()
        return taken

    def _changed(self) -> None:
        self.display = bool(self.files)
        total = total_text(self.files, self.add_key) if self.files else ""
        self.query_one(".attachments-total", Static).update(total)
        self.post_message(self.Changed())

    async def on_attachment_chip_remove_requested(
        self, event: AttachmentChip.RemoveRequested
    ) -> None:
        event.stop()
        chips = list(self.query(AttachmentChip))
        index = chips.index(event.chip) if event.chip in chips else -1
        await self.discard(event.chip.pending)
        rest = list(self.query(AttachmentChip))
        if rest:  # keep the keyboard in the panel: the next chip (or the last one)
            rest[min(max(index, 0), len(rest) - 1)].focus()
        else:
            self.screen.focus_next()

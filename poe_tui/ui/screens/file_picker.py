"""The file picker: a folder tree (keyboard and mouse) with filters and a preview.

Enter (or a click on a selected file) attaches the highlighted file; Backspace in the
tree goes up a folder; the name filter and the type list narrow the files shown
(folders stay, so you can walk through them); F6 or the checkbox shows hidden files.
The preview shows the start of a text file, or a picture (see `ui/thumbnail.py`). The
path box at the bottom takes a typed or pasted path: a folder opens in the tree, a
file is attached. Dismisses with the chosen paths, or None.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

import aiofiles
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Checkbox, DirectoryTree, Input, Label, Select, Static

from poe_tui.core.files import (
    SNIFF_BYTES,
    content_type_for,
    expand_path,
    format_size,
    guess_type,
    is_text,
    kind_of,
    printable_name,
    type_label,
)
from poe_tui.core.text import strip_terminal_controls
from poe_tui.ui.thumbnail import describe_image, preview

PREVIEW_LINES = 40
PREVIEW_TEXT_BYTES = 16 * 1024
PREVIEW_IMAGE_BYTES = 8 * 1024 * 1024
DOCUMENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/msword",
        "application/rtf",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    }
)
TYPE_CHOICES: list[tuple[str, str]] = [
    ("All files", "all"),
    ("Images", "image"),
    ("Documents (PDF, Office)", "document"),
    ("Text and code", "text"),
    ("Audio", "audio"),
    ("Video", "video"),
]


def type_group(name: str) -> str:
    """Which entry of the type list a file name belongs to ("" for none)."""
    content_type = guess_type(name) or ""
    if content_type in DOCUMENT_TYPES:
        return "document"
    if content_type and is_text(content_type):
        return "text"
    kind = kind_of(content_type) if content_type else ""
    return kind if kind in ("image", "audio", "video") else ""


def shows(path: Path, *, is_dir: bool, hidden: bool, name: str, kind: str) -> bool:
    """Whether the tree lists `path` under these filters (folders ignore name and type)."""
    if not hidden and path.name.startswith("."):
        return False
    if is_dir:
        return True
    if name and name.casefold() not in path.name.casefold():
        return False
    return kind == "all" or type_group(path.name) == kind


class FileTree(DirectoryTree):
    """A DirectoryTree with the picker's filters, and Backspace for the parent folder."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("backspace", "parent", "Up a folder", id="file_picker_parent"),
    ]

    def __init__(self, path: Path, *, id: str | None = None) -> None:
        self.show_hidden = False
        self.name_filter = ""
        self.kind_filter = "all"
        super().__init__(path, id=id)

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [
            path
            for path in paths
            if shows(
                path,
                is_dir=self._safe_is_dir(path),
                hidden=self.show_hidden,
                name=self.name_filter,
                kind=self.kind_filter,
            )
        ]

    def action_parent(self) -> None:
        current = Path(self.path).resolve()
        if current.parent != current:
            self.path = current.parent


class FilePickerScreen(ModalScreen[list[Path] | None]):
    CSS_PATH = "file_picker.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="file_picker_close"),
        Binding("f6", "toggle_hidden", "Hidden files", id="file_picker_hidden"),
    ]

    def __init__(self, start: Path) -> None:
        super().__init__()
        self.start = start if start.is_dir() else Path.home()

    def compose(self) -> ComposeResult:
        with Vertical(id="file-picker"):
            with Horizontal(id="file-picker-heading"):
                yield Label("Attach a file", id="file-picker-title")
                yield Label(str(self.start), id="file-picker-folder", markup=False)
            with Horizontal(id="file-picker-filters"):
                yield Input(placeholder="Filter by name", id="name-filter")
                yield Select(TYPE_CHOICES, value="all", allow_blank=False, id="type-filter")
                yield Checkbox("Hidden files (F6)", id="hidden-files", compact=True)
            with Horizontal(id="file-picker-body"):
                yield FileTree(self.start, id="file-tree")
                with Vertical(id="file-preview-pane"):
                    yield Static("", id="file-preview-title", markup=False)
                    yield Static("", id="file-preview")
            yield Input(placeholder="…or type or paste a path and press Enter", id="path-input")
            yield Static(
                "Enter attach · Backspace up a folder · F6 hidden files · Esc close",
                id="file-picker-keys",
            )

    def on_mount(self) -> None:
        self.file_tree.focus()
        self.watch(self.file_tree, "path", self._folder_changed, init=False)

    @property
    def file_tree(self) -> FileTree:
        return self.query_one(FileTree)

    # --- filters ------------------------------------------------------------------

    @on(Input.Changed, "#name-filter")
    async def _name_changed(self, event: Input.Changed) -> None:
        self.file_tree.name_filter = event.value.strip()
        await self.file_tree.reload()

    @on(Select.Changed, "#type-filter")
    async def _type_changed(self, event: Select.Changed) -> None:
        self.file_tree.kind_filter = str(event.value)
        await self.file_tree.reload()

    @on(Checkbox.Changed, "#hidden-files")
    async def _hidden_changed(self, event: Checkbox.Changed) -> None:
        self.file_tree.show_hidden = event.value
        await self.file_tree.reload()

    def action_toggle_hidden(self) -> None:
        checkbox = self.query_one("#hidden-files", Checkbox)
        checkbox.value = not checkbox.value

    # --- choosing -----------------------------------------------------------------------

    @on(DirectoryTree.FileSelected)
    def _file_chosen(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        self.dismiss([event.path])

    @on(Input.Submitted, "#path-input")
    def _path_typed(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        path = expand_path(text, Path(self.file_tree.path))
        if path.is_dir():
            self.file_tree.path = path
            event.input.value = ""
            self.file_tree.focus()
        elif path.exists() or path.is_symlink():
            self.dismiss([path])
        else:
            self.notify(
                f"There is no file or folder at {printable_name(str(path))}.",
                severity="warning",
                markup=False,
            )

    def action_cancel(self) -> None:
        self.dismiss(None)

    def _folder_changed(self, path: str | Path) -> None:
        self.query_one("#file-picker-folder", Label).update(str(path))

    # --- preview ----------------------------------------------------------------------

    @on(DirectoryTree.NodeHighlighted)
    def _highlighted(self, event: DirectoryTree.NodeHighlighted[object]) -> None:
        entry = event.node.data
        path = getattr(entry, "path", None)
        if isinstance(path, Path):
            self.show_preview(path)

    @work(group="file-preview", exclusive=True, exit_on_error=False)
    async def show_preview(self, path: Path) -> None:
        title, body = await describe(path)
        self.query_one("#file-preview-title", Static).update(title)
        self.query_one("#file-preview", Static).update(body)


async def describe(path: Path) -> tuple[str, Text]:
    """A title line and a body for the preview pane."""
    name = printable_name(path.name)
    try:
        info = await asyncio.to_thread(path.stat)
    except OSError as error:
        return name, Text(f"Cannot read it: {error.strerror or error}.", "dim")
    if path.is_dir():
        count = await asyncio.to_thread(_count_entries, path)
        return f"{name}/", Text(f"Folder · {count} entries · Enter opens it", "dim")
    if not os.access(path, os.R_OK):
        return name, Text("Not readable (permission denied).", "dim")
    head = await _read_head(path, PREVIEW_IMAGE_BYTES)
    content_type = content_type_for(path.name, head[:SNIFF_BYTES])
    title = f"{name} · {type_label(content_type)} · {format_size(info.st_size)}"
    if content_type.startswith("image/"):
        pixels = await asyncio.to_thread(preview, head, 36, 12)
        return title, pixels or Text(describe_image(path.name, content_type, head), "dim")
    if is_text(content_type):
        return title, Text(_text_head(head[:PREVIEW_TEXT_BYTES]))
    if info.st_size == 0:
        return title, Text("Empty file: bots cannot read it.", "dim")
    return title, Text(f"{type_label(content_type)} file; no preview.", "dim")


def _count_entries(path: Path) -> int:
    try:
        return sum(1 for _ in path.iterdir())
    except OSError:
        return 0


async def _read_head(path: Path, limit: int) -> bytes:
    try:
        async with aiofiles.open(path, "rb") as handle:
            data: bytes = await handle.read(limit)
            return data
    except OSError:
        return b""


def _text_head(data: bytes) -> str:
    text = strip_terminal_controls(data.decode("utf-8", "replace"))
    lines = text.splitlines()[:PREVIEW_LINES]
    return "\n".join(lines)

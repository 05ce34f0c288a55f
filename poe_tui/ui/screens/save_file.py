"""Where to save a bot's file: a folder box (prefilled) and a tree of folders to browse.

Enter in the box (or the Save button) saves there; choosing a folder in the tree puts
it in the box. The file keeps its (sanitized) name; the screen only picks the folder.
Dismisses with the folder, or None.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DirectoryTree, Input, Label, Static

from poe_tui.core.files import expand_path, printable_name, safe_file_name


class FolderTree(DirectoryTree):
    """Only folders (hidden ones left out): the file name is already decided."""

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        return [p for p in paths if self._safe_is_dir(p) and not p.name.startswith(".")]


class SaveFileScreen(ModalScreen[Path | None]):
    CSS_PATH = "save_file.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="save_file_close"),
    ]

    def __init__(self, name: str, folder: Path) -> None:
        super().__init__()
        self.file_name = name
        self.folder = folder

    def compose(self) -> ComposeResult:
        shown = printable_name(safe_file_name(self.file_name))
        with Vertical(id="save-file"):
            yield Label(f"Save {shown} to a folder", id="save-file-title", markup=False)
            yield Input(str(self.folder), id="save-folder")
            tree_root = self.folder if self.folder.is_dir() else Path.home()
            yield FolderTree(tree_root, id="save-tree")
            with Horizontal(id="save-buttons"):
                yield Button("Save", variant="primary", id="save-ok", compact=True)
                yield Button("Cancel", id="save-cancel", compact=True)
            yield Static("Enter saves · pick a folder below · Esc close", id="save-keys")

    def on_mount(self) -> None:
        self.query_one("#save-folder", Input).focus()

    @on(DirectoryTree.DirectorySelected)
    def _folder_picked(self, event: DirectoryTree.DirectorySelected) -> None:
        event.stop()
        self.query_one("#save-folder", Input).value = str(event.path)

    @on(Input.Submitted, "#save-folder")
    @on(Button.Pressed, "#save-ok")
    def _save(self) -> None:
        text = self.query_one("#save-folder", Input).value.strip()
        if not text:
            self.notify("Type a folder to save into.", severity="warning", markup=False)
            return
        self.dismiss(expand_path(text))

    @on(Button.Pressed, "#save-cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)

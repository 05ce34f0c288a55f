"""The chat screen as the attachment controller's host: its questions made into modal
screens and its notices into notifications. No state and no logic of its own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from poe_tui.core.conversation import Message
from poe_tui.store.errors import StoreError
from poe_tui.ui.controllers.attachments import Choice, Severity
from poe_tui.ui.messages import MessageChanged, Part
from poe_tui.ui.widgets.attachment_panel import AttachmentPanel
from poe_tui.ui.widgets.conversation_view import ConversationView

if TYPE_CHECKING:
    from poe_tui.ui.screens.chat import ChatScreen


class ChatAttachmentHost:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen

    @property
    def waiting(self) -> AttachmentPanel:
        panel: AttachmentPanel = self.screen.query_one(AttachmentPanel)
        return panel

    def notice(self, text: str, *, title: str = "", severity: Severity = "information") -> None:
        self.screen.notify(text, title=title, severity=severity, markup=False)

    def history_problem(self, error: StoreError) -> None:
        self.screen.history_problem(error)

    async def ask_files(self, start: Path) -> list[Path] | None:
        from poe_tui.ui.screens.file_picker import FilePickerScreen  # lazy: first paint

        return await self.screen.app.push_screen_wait(FilePickerScreen(start))

    async def ask_unsupported(self, bot: str, warnings: list[str]) -> Choice | None:
        from poe_tui.ui.screens.confirm_files import ConfirmFilesScreen

        name = self.screen.poe_app.display_name(bot)
        answer = await self.screen.app.push_screen_wait(ConfirmFilesScreen(name, warnings))
        return "drop" if answer == "drop" else "send" if answer == "send" else None

    async def ask_save_folder(self, name: str, folder: Path) -> Path | None:
        from poe_tui.ui.screens.save_file import SaveFileScreen

        return await self.screen.app.push_screen_wait(SaveFileScreen(name, folder))

    def files_changed(self, message: Message) -> None:
        if not self.screen.is_mounted:  # a fetch that ended while the app closes
            return
        view = self.screen.query_one(ConversationView)
        view.post_message(MessageChanged(message, Part.FILES))

    def open_in_viewer(self, target: str) -> None:
        self.screen.poe_app.opener(target)

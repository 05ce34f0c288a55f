"""The chat screen as the history controller's host: each call of `HistoryHost` made
into widget updates and modal questions.

Kept beside the screen rather than in it so the screen module stays about sending and
streaming; it holds no state and no logic of its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from poe_tui.config import download_dir
from poe_tui.core.conversation import Conversation, Message
from poe_tui.core.models import ModelInfo
from poe_tui.store.models import ConversationSummary, SearchHit
from poe_tui.ui.controllers.history import Check, Severity
from poe_tui.ui.controllers.replies import ReplyJob
from poe_tui.ui.widgets.conversation_list import ConversationList
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from poe_tui.ui.screens.chat import ChatScreen

HIT_FLASH_SECONDS = 2.0


class ChatHistoryHost:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen

    @property
    def conversation(self) -> Conversation:
        return self.screen.conversation

    def notify(
        self, message: str, *, title: str = "", severity: Severity = "information", markup: bool
    ) -> None:
        self.screen.notify(message, title=title, severity=severity, markup=markup)

    # --- the list and the conversation ----------------------------------------------------

    def list_mode(self) -> tuple[str, bool]:
        conversations = self.screen.query_one(ConversationList)
        search_text = conversations.search_text if conversations.searching else ""
        return search_text, conversations.showing_archived

    def show_summaries(self, summaries: Sequence[ConversationSummary]) -> None:
        screen = self.screen
        screen.query_one(ConversationList).show(
            summaries,
            screen.conversation.id,
            streaming=screen.replies.streaming_ids(),
            finished=screen.finished_away,
        )

    def show_hits(self, hits: Sequence[SearchHit], titles: Sequence[ConversationSummary]) -> None:
        self.screen.query_one(ConversationList).show_hits(hits, titles)

    def show_versions(self, positions: dict[str, tuple[int, int]]) -> None:
        self.screen.query_one(ConversationView).show_branches(positions)

    async def show_messages(self) -> None:
        await self.screen.query_one(ConversationView).sync_messages()

    async def open_conversation(self, conversation: Conversation) -> None:
        await self.screen.open_conversation(conversation)

    def default_bot(self) -> str:
        return self.screen.poe_app.settings.default_bot

    def export_dir(self) -> Path:
        return download_dir(self.screen.poe_app.settings)

    # --- focus and the prompt -----------------------------------------------------------

    def focus_prompt(self) -> None:
        self.screen.query_one(PromptInput).focus()

    def begin_edit(self, message: Message) -> None:
        self.screen.query_one(PromptInput).begin_edit(message)

    async def flash_message(self, message: Message) -> None:
        view = await self.screen.query_one(ConversationView).reveal(message)
        if view is not None:
            view.focus(scroll_visible=False)
            view.add_class("-hit")
            self.screen.set_timer(HIT_FLASH_SECONDS, lambda: view.remove_class("-hit"))

    def focus_message(self, message: Message) -> None:
        view = self.screen.query_one(ConversationView).view_for(message)
        if view is not None:
            view.focus()

    def follow_bottom(self) -> None:
        self.screen.query_one(ConversationView).follow_bottom()

    # --- questions (in a worker: each waits for its answer) -------------------------------

    async def ask_text(self, title: str, value: str, *, check: Check | None = None) -> str | None:
        from poe_tui.ui.screens.text_prompt import TextPromptScreen, not_blank  # first paint

        question = TextPromptScreen(title, value, check=check or not_blank)
        answer: str | None = await self.screen.app.push_screen_wait(question)
        return answer

    async def confirm(self, title: str, body: str, *, yes: str, danger: bool) -> bool:
        from poe_tui.ui.screens.confirm import ConfirmScreen  # lazy: first paint

        question = ConfirmScreen(title, body, yes=yes, danger=danger)
        answer: bool | None = await self.screen.app.push_screen_wait(question)
        return bool(answer)

    async def ensure_models(self) -> list[ModelInfo] | None:
        return await self.screen.ensure_models()

    async def pick_model(self, models: list[ModelInfo], current: str) -> str | None:
        from poe_tui.ui.screens.model_picker import ModelPickerScreen  # lazy: first paint

        choice: str | None = await self.screen.app.push_screen_wait(
            ModelPickerScreen(models, current)
        )
        return choice

    async def pick_bots(self, models: list[ModelInfo], current: str) -> list[str] | None:
        from poe_tui.ui.screens.several_bots import SeveralBotsScreen  # lazy: first paint

        bots: list[str] | None = await self.screen.app.push_screen_wait(
            SeveralBotsScreen(models, current)
        )
        return bots

    # --- replies ----------------------------------------------------------------------

    def may_send(self) -> bool:
        return self.screen.may_send()

    async def after_guards(self, send: Callable[[], Awaitable[None]], bot: str) -> None:
        await self.screen.after_guards(send, bot)

    async def guards_allow(self, bot: str) -> bool:
        return await self.screen.guards_allow(bot)

    async def start_reply(
        self, reply: Message, *, draft: str | None, continuing: bool = False
    ) -> None:
        await self.screen._start_reply(reply, draft=draft, continuing=continuing)

    def launch_reply(self, reply: Message, *, draft: str | None) -> ReplyJob:
        return self.screen.launch_reply(reply, draft=draft)

    async def take_back_draft(self, reply: Message) -> None:
        await self.screen.listener.take_back_draft(reply)

    def link_files(self, message: Message) -> None:
        self.screen.link_files(message)

"""The chat screen's side of points: what the accounting controller finds, drawn in the
sidebar, the header and the replies' footers, and the guards' questions before a send.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from poe_tui.core.conversation import Conversation, Message
from poe_tui.core.guards import SendWarning
from poe_tui.store import StoreError
from poe_tui.ui.controllers.replies import ReplyJob
from poe_tui.ui.messages import MessageChanged, Part
from poe_tui.ui.screens.confirm_send import ConfirmSendScreen, guard_limits
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from poe_tui.ui.screens.chat import ChatScreen

COST_RECHECK_SECONDS = 5.0  # when a reply's history row is late, look again after this


class ChatPoints:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self.accounting = screen.accounting
        self._confirming = False  # a guard's question is on screen

    # --- balance, history and each reply's cost ----------------------------------------

    def refresh(self) -> None:
        if self.screen.is_mounted:  # not for a late recheck timer while the app closes
            self.screen.refresh_account()

    async def refresh_now(self) -> None:
        """The balance and the history again (in the screen's `refresh_account` worker:
        one at a time, a newer one cancels an older one)."""
        screen = self.screen
        update = await self.accounting.refresh(screen.poe_app.client)
        sidebar = screen.query_one(BalanceSidebar)
        if update.balance_error is not None:
            said = update.balance_error.one_line()
            sidebar.show_balance(None, error=said)
            screen.notify(said, title="Balance", severity="warning", markup=False)
            return
        sidebar.show_balance(update.balance)
        for reply in update.explained:
            self.refresh_error(reply)
        if update.history_error is not None:
            said = update.history_error.one_line()
            screen.notify(said, title="Points history", severity="warning", markup=False)
        if update.history_loaded:
            sidebar.show_history(self.accounting.ledger.entries, now=update.now)
            self._show_observed_costs()
        for reply in update.priced:
            self._show_points(reply)
        if update.still_waiting:
            screen.set_timer(COST_RECHECK_SECONDS, self.refresh, name="cost-recheck")

    def reply_ended(self, job: ReplyJob) -> None:
        """Wait for the reply's bill; an out-of-points failure says what to do."""
        reply = job.reply
        model = self.screen.poe_app.model_info(reply.bot)
        if self.accounting.reply_ended(job.conversation, reply, job.turn.failure, model):
            self.refresh_error(reply)
        self.refresh()

    def _save_owner(self, reply: Message) -> None:
        """Write a finished reply again (its points or error changed), wherever the user
        is now. An update only: a conversation deleted meanwhile must stay deleted."""
        owner = self.accounting.owner_of(reply)
        if owner is not None:
            self.screen.run_worker(self._update_reply(owner, reply), group="save-points")

    async def _update_reply(self, owner: Conversation, reply: Message) -> None:
        try:
            await asyncio.to_thread(self.screen.poe_app.store.update_reply, owner, reply)
        except StoreError as error:
            self.screen.history_problem(error)

    def _show_points(self, reply: Message) -> None:
        if reply.points is None:
            return
        self._save_owner(reply)
        self.screen.refresh_history_list()  # the list shows each conversation's points
        self.screen.query_one(ConversationView).post_message(MessageChanged(reply, Part.FOOTER))
        self.show_total()

    def refresh_error(self, reply: Message) -> None:
        self.screen.query_one(ConversationView).post_message(MessageChanged(reply, Part.ERROR))
        self._save_owner(reply)

    def show_total(self) -> None:
        self.screen.show_total()

    async def show_total_now(self) -> None:
        """What this conversation has cost so far, at the right of the header."""
        screen = self.screen
        conversation = screen.conversation
        # Every version's replies, as the list counts them: points spent are spent.
        try:
            spent = await asyncio.to_thread(screen.poe_app.store.points_of, conversation.id)
        except StoreError:
            spent = sum(m.points or 0 for m in conversation.messages)
        if conversation is not screen.conversation:
            return  # the user moved on meanwhile
        total = screen.query_one("#chat-total", Static)
        total.display = spent != 0
        total.update(Content.assemble((f"{spent:,}", "bold"), (" pts", "dim")))

    def _show_observed_costs(self) -> None:
        from poe_tui.ui.screens.pricing_browser import PricingBrowserScreen

        observed = self.accounting.observed()
        for screen in self.screen.app.screen_stack:
            if isinstance(screen, PricingBrowserScreen) and observed is not None:
                screen.show_observed(observed)

    # --- guards -------------------------------------------------------------------------

    def _warnings(self, bot: str) -> list[SendWarning]:
        app = self.screen.poe_app
        limits = guard_limits(app.settings)
        return self.accounting.warnings(
            self.screen.conversation.id, bot, app.model_info(bot), limits
        )

    async def after_guards(
        self, send: Callable[[], Awaitable[None]], bot: str | None = None
    ) -> None:
        """Run `send` now, or once the user confirms what the guards warn about; `bot` is
        who will answer (the conversation's own bot by default)."""
        if self._confirming:
            return  # a second Enter queued behind the first: one question is enough
        screen = self.screen
        bot = bot or screen.conversation.bot
        warnings = self._warnings(bot)
        if not warnings:
            await send()
            return
        conversation_id = screen.conversation.id
        self._confirming = True

        async def answered(answer: str | None) -> None:
            self._confirming = False
            if answer is None:
                screen.query_one(PromptInput).focus()  # the text is still there
                return
            if answer == "always":
                self.accounting.waive(conversation_id, bot)
            if screen.may_send():
                await send()

        name = screen.poe_app.display_name(bot)
        screen.app.push_screen(ConfirmSendScreen(warnings, name), callback=answered)

    async def guards_allow(self, bot: str) -> bool:
        """Whether `bot` may answer here, asking first when a guard warns (in a worker:
        the question is awaited, so several bots are asked about one after another)."""
        warnings = self._warnings(bot)
        if not warnings:
            return True
        name = self.screen.poe_app.display_name(bot)
        answer = await self.screen.app.push_screen_wait(ConfirmSendScreen(warnings, name))
        if answer == "always":
            self.accounting.waive(self.screen.conversation.id, bot)
        return answer is not None

"""The chat screen's bot: the header, the prompt's placeholder and the sidebar's bot,
door and parameters; choosing another bot or door; the model list, fetched once."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from poe_tui.core.errors import PoeError
from poe_tui.core.models import ModelInfo
from poe_tui.core.parameters import validate_parameters
from poe_tui.core.transports.registry import Transport, spec_for
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from poe_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from typing import Any

    from poe_tui.ui.screens.chat import ChatScreen


class ChatBot:
    def __init__(self, screen: ChatScreen) -> None:
        self.screen = screen
        self._models_lock = asyncio.Lock()

    def show(self) -> None:
        """Draw who answers, and how, wherever the screen says it."""
        screen = self.screen
        app = screen.poe_app
        conversation = screen.conversation
        screen.points.show_total()
        bot = conversation.bot
        name = app.display_name(bot)
        key = app.key_for("pick_model")
        # Most important first: a narrow pane cuts the end (the transport is always seen).
        header = Content.assemble(
            (name, "bold"),
            (" · ", "dim"),
            (f"{spec_for(Transport.parse(conversation.transport)).label} API", ""),
            (" · demo" if app.demo else "", "italic dim"),
            (f" · ▾ {key}", "dim"),
            # The id only when it says more than the name (not just another case).
            (f" ({bot})" if name.casefold() != bot.casefold() else "", "dim"),
        )
        screen.query_one("#bot-header", Static).update(header)
        screen.query_one(PromptInput).show_bot(name)
        sidebar = screen.query_one(BalanceSidebar)
        sidebar.show_bot(bot, app.model_info(bot))
        sidebar.show_transport(conversation.transport)
        screen.call_later(self._show_parameters)

    async def _show_parameters(self) -> None:
        conversation = self.screen.conversation
        await self.screen.query_one(BalanceSidebar).show_parameters(
            self.screen.poe_app.model_info(conversation.bot),
            conversation.transport,
            conversation.parameters,
        )

    async def choose(self) -> None:
        """The model picker; the chosen bot answers from now on."""
        models = await self.ensure_models()
        if models is None:
            return
        from poe_tui.ui.screens.model_picker import ModelPickerScreen  # lazy: first paint

        screen = self.screen
        picker = ModelPickerScreen(models, screen.conversation.bot)
        choice = await screen.app.push_screen_wait(picker)
        if choice:
            self.use(choice)
        screen.query_one(PromptInput).focus()  # next comes a prompt, whatever had focus

    def use(self, bot: str) -> None:
        """Switch the current conversation to `bot` and make it the default for new ones."""
        screen = self.screen
        conversation = screen.conversation
        if bot != conversation.bot:
            conversation.parameters = {}  # values belong to the bot that declared them
        conversation.bot = bot
        self._keep_transport_possible()
        screen.poe_app.save_settings(default_bot=bot)
        if conversation.messages:
            screen.run_worker(screen.save_conversation(conversation), group="save-bot")
        self.show()
        screen.refresh_history_list()

    async def ensure_models(self) -> list[ModelInfo] | None:
        """The model list, fetched once; None (after a notification) when it fails."""
        app = self.screen.poe_app
        async with self._models_lock:
            if app.models is None:
                try:
                    catalogue = await app.client.list_models()
                except PoeError as error:
                    self._say(error.one_line(), "Model list", "warning")
                    return None
                app.models = catalogue
                if notice := catalogue.skipped_notice():  # once: the list is fetched once
                    self._say(notice, "Model list", "warning")
                self.show()
            return app.models

    def set_transport(self, value: str) -> bool:
        """Use `value` for this conversation's next messages; False (with a note) when
        the bot cannot be reached that way, leaving the transport as it was."""
        transport = Transport.parse(value)
        conversation = self.screen.conversation
        bot = conversation.bot
        refusal = spec_for(transport).refusal(bot, self.screen.poe_app.model_info(bot))
        if refusal is not None:
            self._say(refusal.message, "Transport", "warning")
            self.show()  # puts the sidebar's Select back
            return False
        conversation.transport = transport.value
        self.show()
        return True

    def _keep_transport_possible(self) -> None:
        """After a bot change: a door that does not serve the new bot (Anthropic: Claude
        only) falls back to native, which serves every bot."""
        conversation = self.screen.conversation
        spec = spec_for(Transport.parse(conversation.transport))
        bot = conversation.bot
        if spec.refusal(bot, self.screen.poe_app.model_info(bot)) is None:
            return
        conversation.transport = Transport.NATIVE.value
        self._say(f"{bot} is not served by the {spec.label} API; using native.", "Transport")

    def set_parameters(self, values: dict[str, Any]) -> None:
        conversation = self.screen.conversation
        model = self.screen.poe_app.model_info(conversation.bot)
        if model is not None:
            values = validate_parameters(model, values)  # the form already coerced them
        conversation.parameters = values

    def _say(self, text: str, title: str, severity: Any = "information") -> None:
        self.screen.notify(text, title=title, severity=severity, markup=False)

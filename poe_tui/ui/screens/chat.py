"""The main screen: conversations on the left, the chat in the centre, balance on the right.

A view. It composes the widgets and the controllers (`ui/controllers/`: replies,
history, attachments, accounting) and hands user actions to them; the turn itself runs
in the core's `TurnRunner`, one `ReplyJob` per reply, so several stream at once: one
per conversation, and several versions of one turn ("regenerate with several bots").
The glue that needs the screen but not its layout lives beside it: `bot_host`,
`points_host`, `reply_listener`, `history_host` and `attachment_host`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, cast

from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Select, Static
from textual.worker import Worker, WorkerState

from poe_tui.core.accounting import (
    bot_names,
)
from poe_tui.core.attachments import MessageFile
from poe_tui.core.chat import TurnRunner
from poe_tui.core.chat.reducer import reset_for_retry
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.models import ModelInfo
from poe_tui.core.transports.registry import Transport
from poe_tui.store import StoreError, TurnLog
from poe_tui.ui.controllers.accounting import AccountingController
from poe_tui.ui.controllers.attachments import (
    AttachmentController,
    command_words,
)
from poe_tui.ui.controllers.history import HistoryController
from poe_tui.ui.controllers.replies import ReplyController, ReplyJob, ReportingSink
from poe_tui.ui.messages import MessageChanged, Part
from poe_tui.ui.screens.attachment_host import ChatAttachmentHost
from poe_tui.ui.screens.bot_host import ChatBot
from poe_tui.ui.screens.chat_keys import CHAT_BINDINGS
from poe_tui.ui.screens.history_host import ChatHistoryHost
from poe_tui.ui.screens.points_host import ChatPoints
from poe_tui.ui.screens.reply_listener import ChatReplyListener
from poe_tui.ui.widgets.attachment_panel import AttachmentPanel
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from poe_tui.ui.widgets.conversation_list import HIT_CLOSE, HIT_OPEN, ConversationList
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.message_files import FileRow
from poe_tui.ui.widgets.message_view import MessageView
from poe_tui.ui.widgets.parameter_form import ParameterForm
from poe_tui.ui.widgets.prompt_input import PromptInput
from poe_tui.ui.widgets.suggestion_chips import SuggestionChips

if TYPE_CHECKING:
    from poe_tui.core.uploads import Uploader
    from poe_tui.ui.app import PoeApp

WIDE_COLUMNS = 100  # below this the balance sidebar hides itself
ROOMY_COLUMNS = 130  # from here the conversation list gets its full width
LIST_MIN_COLUMNS = 70  # below this the conversation list hides itself too
STORE_WARNING_EVERY_SECONDS = 30.0  # a failing history is said again at most this often

CLIPBOARD_NOTE = (
    "Sent with OSC 52; some terminals ignore it (tmux without `set-clipboard on`, macOS Terminal)."
)


def is_empty_failure(message: Message) -> bool:
    """A reply that ended before any text: nothing worth keeping in the history."""
    failed = message.status in (MessageStatus.FAILED, MessageStatus.STOPPED)
    return message.role == "assistant" and failed and not message.text.strip()


class ChatScreen(Screen[None]):
    CSS_PATH = "chat.tcss"
    AUTO_FOCUS = "#prompt"
    HORIZONTAL_BREAKPOINTS = [  # noqa: RUF012 (Textual types it a plain list)
        (0, "-narrow"),
        (WIDE_COLUMNS, "-wide"),
        (ROOMY_COLUMNS, "-roomy"),
    ]

    BINDINGS: ClassVar[list[BindingType]] = CHAT_BINDINGS

    sidebar_visible: reactive[bool] = reactive(True, init=False)
    list_visible: reactive[bool] = reactive(True, init=False)

    def __init__(self) -> None:
        super().__init__()
        self.conversation = Conversation(bot=self.poe_app.settings.default_bot)
        # Every reply streaming now, in any conversation, each run by the core's runner.
        self.listener = ChatReplyListener(self)
        self.replies = ReplyController(self._make_runner, self.listener, spawn=self._spawn_reply)
        self.history = HistoryController(
            self.poe_app.store,
            ChatHistoryHost(self),
            self.replies,
            clock=self.poe_app.clock,
            hit_mark=(HIT_OPEN, HIT_CLOSE),
        )
        self._uploader: Uploader | None = None
        app = self.poe_app
        self.attachments = AttachmentController(
            ChatAttachmentHost(self),
            store=app.store,
            settings=lambda: app.settings,
            model_info=app.model_info,
            base_url=app.base_url,
            http=lambda: app.client.http,
        )
        self.finished_away: set[str] = set()  # conversations whose reply ended unseen
        self._wide: bool | None = None
        # Points accounting (issue 7): the month's history, replies awaiting their bill,
        # failures for want of points, and guards waived per (conversation, bot).
        self.accounting = AccountingController(
            names_for=lambda bot: bot_names(bot, self.poe_app.models), clock=self.poe_app.clock
        )
        self.points = ChatPoints(self)
        self.bot = ChatBot(self)
        self._last_store_warning = -STORE_WARNING_EVERY_SECONDS

    @property
    def poe_app(self) -> PoeApp:
        return cast("PoeApp", self.app)

    @property
    def jobs(self) -> list[ReplyJob]:
        return self.replies.jobs

    def jobs_of(self, conversation: Conversation) -> list[ReplyJob]:
        return self.replies.of(conversation)

    @property
    def job(self) -> ReplyJob | None:
        """The reply streaming into the open conversation (the shown version first)."""
        return self.replies.shown_of(self.conversation)

    @property
    def is_streaming(self) -> bool:
        """A reply streams into the open conversation (any version): Esc stops it."""
        return self.job is not None

    @property
    def is_busy(self) -> bool:
        """The shown reply of the open conversation is still arriving: sending, editing
        and regenerating here wait (other conversations and versions do not)."""
        return self.replies.is_busy(self.conversation)

    def _make_runner(self) -> TurnRunner:
        sink = ReportingSink(
            TurnLog(self.poe_app.store),
            (StoreError,),
            self._history_error,
            asyncio.get_running_loop(),
        )
        return TurnRunner(
            self.poe_app.client, sink, uploader=self.uploader, clock=self.poe_app.clock
        )

    @property
    def uploader(self) -> Uploader:
        """One per run, so a file is uploaded once per conversation (content hash)."""
        if self._uploader is None:
            self._uploader = self.poe_app.client.uploader(self.poe_app.upload_url)
        return self._uploader

    def _spawn_reply(self, work: Coroutine[Any, Any, None]) -> Worker[None]:
        return self.run_worker(work, group="reply", exit_on_error=False)

    def _history_error(self, error: Exception) -> None:
        if isinstance(error, StoreError):
            self.history_problem(error)

    # --- layout ---------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="chat-body"):
            yield ConversationList(clock=self.poe_app.clock, id="conversations")
            with Vertical(id="centre"):
                with Horizontal(id="header-row"):
                    yield Static(id="bot-header")
                    yield Static(id="chat-total")
                yield ConversationView(id="conversation")
                yield AttachmentPanel(add_key=self.poe_app.key_for("attach_file"), id="attachments")
                yield PromptInput(id="prompt")
            yield BalanceSidebar(id="sidebar")
        yield Footer(compact=True)

    async def on_mount(self) -> None:
        self.query_one(PromptInput).attach_pasted_paths = self.poe_app.settings.attach_pasted_paths
        self._apply_width(self.app.size.width)
        await self.query_one(ConversationView).show_conversation(self.conversation)
        self._show_bot()
        await self.history.refresh_list()
        if self.poe_app.resume:
            await self.history.resume(self.poe_app.resume)

    def on_resize(self, event: events.Resize) -> None:
        self._apply_width(event.size.width)

    def _apply_width(self, width: int) -> None:
        wide = width >= WIDE_COLUMNS
        if wide != self._wide:
            # Crossing the breakpoint resets to what suits the size; ctrl+b still toggles.
            self._wide = wide
            self.sidebar_visible = wide and self.poe_app.settings.show_sidebar
        self.list_visible = width >= LIST_MIN_COLUMNS

    def watch_sidebar_visible(self, visible: bool) -> None:
        self.query_one(BalanceSidebar).display = visible

    def watch_list_visible(self, visible: bool) -> None:
        self.query_one(ConversationList).display = visible

    def action_toggle_sidebar(self) -> None:
        self.sidebar_visible = not self.sidebar_visible
        if self._wide:
            self.poe_app.save_settings(show_sidebar=self.sidebar_visible)

    def action_toggle_conversations(self) -> None:
        self.list_visible = not self.list_visible

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return self.is_streaming  # hidden (and Esc passes through) when idle
        if action == "stop_all_replies":
            return bool(self.jobs)
        if action == "retry":
            return True if self._retry_target() is not None else None
        if action == "suggestion":
            index = parameters[0] if parameters else 0
            return isinstance(index, int) and self._suggestion(index) is not None
        return True

    # --- the bot ----------------------------------------------------------------------

    def _show_bot(self) -> None:
        self.bot.show()

    def on_click(self, event: events.Click) -> None:
        if event.widget is not None and event.widget.id == "bot-header":
            self.action_pick_model()

    def action_pick_model(self) -> None:
        self.choose_model()

    @work(group="picker", exclusive=True, exit_on_error=False)
    async def choose_model(self) -> None:
        await self.bot.choose()

    def use_bot(self, bot: str) -> None:
        self.bot.use(bot)

    async def ensure_models(self) -> list[ModelInfo] | None:
        return await self.bot.ensure_models()

    @work(group="models", exclusive=True, exit_on_error=False)
    async def load_models(self) -> None:
        await self.ensure_models()

    # --- sending and streaming ----------------------------------------------------------

    @on(PromptInput.Submitted)
    async def send_prompt(self, event: PromptInput.Submitted) -> None:
        if event.editing is not None:
            if self.may_send():
                await self.after_guards(lambda: self._send_edit(event))
            return
        if await self.attach_command(event.text):  # "/attach PATH": files, not a prompt
            return
        if not self.may_send():
            return

        async def send() -> None:
            if not self.query_one(AttachmentPanel).files:
                event.prompt_input.clear_prompt()
                await self.send_text(event.text)
            elif self.attachments.unsupported_warnings(self.conversation.bot):
                self.confirm_files_then_send(event.text)
            else:
                await self.send_with_files(event.text)

        await self.after_guards(send)  # the prompt keeps the text until it is sent

    async def _send_edit(self, event: PromptInput.Submitted) -> None:
        """An earlier prompt, edited: sent as a new version (with the original's files)."""
        if event.editing is None or not self.may_send():
            return
        if not any(m is event.editing for m in self.conversation.messages):
            self.notify(
                "The prompt you were editing is no longer shown here; your text stays in "
                "the prompt (Esc leaves the edit).",
                severity="warning",
                markup=False,
            )
            return
        prompt = event.prompt_input
        prompt.clear_prompt()
        prompt.end_edit(restore_draft=False)
        await self.query(SuggestionChips).remove()
        await self.history.send_edited(event.editing, event.text)

    def may_send(self) -> bool:
        """False (after saying why) while a reply streams or a parameter is invalid."""
        form = self.query_one(ParameterForm)
        if form.has_errors:
            names = ", ".join(sorted(form.errors))
            self.notify(
                f"Fix the parameter(s) {names} in the sidebar first; your text stays "
                "in the prompt.",
                title="Not sent",
                severity="warning",
                markup=False,
            )
            return False
        if self.is_busy:
            self.notify(
                "A reply is still arriving here. Press Esc to stop it, or wait; "
                "your text stays in the prompt.",
                title="Not sent",
                severity="warning",
                markup=False,
            )
            return False
        return True

    async def send_text(self, text: str, files: list[MessageFile] | None = None) -> None:
        """Add `text` (with kept `files`) as the next prompt and stream the reply to it."""
        await self.query(SuggestionChips).remove()
        await self._drop_empty_failure()
        user_message = self.conversation.add_user_message(text)
        if files:
            user_message.attachments = list(files)
            await self.save_conversation(self.conversation)  # the row first: files link to it
            await self.attachments.link(user_message)
        view = self.query_one(ConversationView)
        await view.add_message(user_message)
        view.follow_bottom()
        await self._start_reply(self.conversation.start_reply(), draft=text)

    async def _drop_empty_failure(self) -> None:
        """A turn whose reply failed before any text is replaced by the next send.

        Only a turn with no other versions: an edited prompt or a regenerated reply that
        failed stays, so no earlier version (or the replies under it) is ever dropped.
        """
        messages = self.conversation.messages
        if len(messages) < 2 or not is_empty_failure(messages[-1]):
            return
        dropped = messages[-2:]
        if dropped[0].role != "user" or await self._has_versions(dropped):
            return
        if messages[-2:] != dropped:
            return  # it changed while the history was asked
        view = self.query_one(ConversationView)
        for message in dropped:
            await view.remove_message(message)
        del messages[-2:]
        store = self.poe_app.store
        ids = [m.id for m in dropped]
        try:
            await asyncio.to_thread(store.drop_messages, self.conversation, ids)
        except StoreError as error:
            self.history_problem(error)

    async def _has_versions(self, messages: list[Message]) -> bool:
        store = self.poe_app.store
        try:
            versions = await asyncio.to_thread(store.branch_positions, self.conversation.id)
        except StoreError:
            return True  # unsure: keep everything
        return any(m.id in versions for m in messages)

    async def _start_reply(
        self, reply: Message, *, draft: str | None, continuing: bool = False
    ) -> None:
        view = self.query_one(ConversationView)
        if view.view_for(reply) is None:
            await view.add_message(reply)
        else:
            view.post_message(MessageChanged(reply, Part.STATUS))  # streaming again
        await self.save_conversation(self.conversation)  # listed at once, as it streams
        self.launch_reply(reply, draft=draft, continuing=continuing)
        self.refresh_history_list()

    def launch_reply(
        self, reply: Message, *, draft: str | None, continuing: bool = False
    ) -> ReplyJob:
        """Stream `reply` (on the open conversation's shown path) in a job of its own; the
        runner saves the conversation with it before anything is sent."""
        job = self.replies.start(self.conversation, reply, draft=draft, continuing=continuing)
        self.refresh_bindings()
        return job

    async def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.report_bug(event.worker.error, event.worker.name or "a background task")

    def report_bug(self, error: BaseException | None, where: str) -> None:
        """A background task failed on something we did not foresee: say so, keep going
        (the workers run with exit_on_error=False, so this is the only trace)."""
        self.notify(
            f"Something went wrong ({where}): {type(error).__name__}: {error}. "
            "Nothing you typed was lost.",
            title="Unexpected error",
            severity="error",
            timeout=15,
            markup=False,
        )

    def action_cancel_reply(self) -> None:
        """Stop the shown reply of the open conversation, else all of its versions."""
        self.replies.cancel_shown(self.conversation)

    def action_stop_all_replies(self) -> None:
        self.replies.cancel_all()

    def stop_replies_of(self, conversation_id: str, *, discard: bool = False) -> None:
        """Stop every reply streaming into a conversation (being archived or deleted)."""
        self.replies.stop_conversation(conversation_id, discard=discard)

    def _retry_target(self) -> Message | None:
        messages = self.conversation.messages
        if self.is_busy or len(messages) < 2 or messages[-1].role != "assistant":
            return None
        return messages[-1]

    async def action_retry(self) -> None:
        reply = self._retry_target()
        if reply is None:
            self.notify("There is no finished reply to retry.", severity="warning", markup=False)
            return
        await self.after_guards(lambda: self._retry(reply))

    async def _retry(self, reply: Message) -> None:
        if reply is not self._retry_target():
            return  # something changed while the guard asked
        self.accounting.retried(reply)
        await self.listener.take_back_draft(reply)
        reset_for_retry(reply, self.poe_app.clock())
        reply.bot = self.conversation.bot
        self.query_one(ConversationView).follow_bottom()
        await self._start_reply(reply, draft=None)

    async def on_message_view_retry_requested(self, event: MessageView.RetryRequested) -> None:
        event.stop()
        if event.message is self._retry_target():
            await self.action_retry()

    # --- transport and parameters ----------------------------------------------------------

    def action_set_transport(self, value: str) -> None:
        self.set_transport(value)

    def set_transport(self, value: str) -> bool:
        return self.bot.set_transport(value)

    @on(Select.Changed, "#transport")
    def _transport_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and event.value != self.conversation.transport:
            self.set_transport(event.value)

    def on_parameter_form_changed(self, event: ParameterForm.Changed) -> None:
        event.stop()
        self.bot.set_parameters(event.values)

    def on_parameter_form_switch_to_native(self, event: ParameterForm.SwitchToNative) -> None:
        event.stop()
        self.set_transport(Transport.NATIVE.value)

    # --- attachments: the controller's host, and the glue that needs a DOM node -------

    def on_unmount(self) -> None:
        self.attachments.close()

    def action_attach_file(self) -> None:
        self.pick_files()

    async def action_clear_attachments(self) -> None:
        await self.query_one(AttachmentPanel).take()

    @work(group="file-picker", exclusive=True, exit_on_error=False)
    async def pick_files(self) -> None:
        if await self.attachments.pick_files(self.conversation.bot):
            self.query_one(PromptInput).focus()

    async def attach_path(self, path: Path) -> bool:
        return await self.attachments.attach_path(path, self.conversation.bot)

    async def attach_command(self, text: str) -> bool:
        """`/attach` opens the picker; `/attach PATH…` attaches files. True if it was one."""
        words = command_words(text)
        if words is None:
            return False
        prompt = self.query_one(PromptInput)
        if not words:
            prompt.clear_prompt()
            self.pick_files()
        elif await self.attachments.attach_words(words, self.conversation.bot):
            prompt.clear_prompt()  # on a problem the command stays, to be corrected
        return True

    async def on_prompt_input_paths_pasted(self, event: PromptInput.PathsPasted) -> None:
        event.stop()
        await self.attachments.attach_pasted(event.paths, self.conversation.bot)

    @work(group="confirm-files", exclusive=True, exit_on_error=False)
    async def confirm_files_then_send(self, text: str) -> None:
        """The bot may not read some waiting files: the user decides, then it is sent."""
        if await self.attachments.confirm_unsupported(self.conversation.bot):
            await self.send_with_files(text)

    async def send_with_files(self, text: str) -> None:
        """Send `text` with the waiting files (send_prompt's second half)."""
        if not self.may_send():
            return
        files = await self.attachments.take_files()
        if files is not None:
            self.query_one(PromptInput).clear_prompt()
            await self.send_text(text, files=files)

    def link_files(self, message: Message) -> None:
        """For callers that cannot wait: the history records the files in a worker."""
        self.run_worker(self.attachments.link(message), group="link-files", exit_on_error=False)

    async def collect_reply_files(self, job: ReplyJob) -> None:
        wanted = self.attachments.collect_reply_files(job.reply)
        if wanted:
            self.fetch_reply_files(job.reply, wanted)
        self.query_one(ConversationView).post_message(MessageChanged(job.reply, Part.FILES))

    @work(group="fetch-files", exit_on_error=False)
    async def fetch_reply_files(self, reply: Message, files: list[MessageFile]) -> None:
        await self.attachments.fetch_reply_files(reply, files)

    async def on_file_row_open_requested(self, event: FileRow.OpenRequested) -> None:
        event.stop()
        await self.attachments.open_file(event.file)

    def on_file_row_save_requested(self, event: FileRow.SaveRequested) -> None:
        event.stop()
        self.save_file(event.file)

    @work(group="save-file", exclusive=True, exit_on_error=False)
    async def save_file(self, file: MessageFile) -> None:
        await self.attachments.save_file(file)

    # --- suggested replies ----------------------------------------------------------------

    def suggestion_keys(self) -> list[str]:
        return [self.poe_app.key_for(f"suggestion_{n}") for n in (1, 2, 3)]

    def _suggestion(self, number: int) -> str | None:
        """Chip `number` (from 1) of the latest reply, while the prompt is empty."""
        if self.is_busy or self.query_one(PromptInput).text.strip():
            return None
        # Only the latest reply's own children: this runs on every key-binding refresh,
        # and querying the whole screen cost 170 ms when opening a long chat (profiled).
        replies = self.query_one(ConversationView).reply_views()
        chips = list(replies[-1].query_children(SuggestionChips)) if replies else []
        if not chips or not 1 <= number <= len(chips[-1].suggestions):
            return None
        return chips[-1].suggestions[number - 1]

    async def action_suggestion(self, number: int) -> None:
        text = self._suggestion(number)
        if text is not None and self.may_send():
            await self.after_guards(lambda: self.send_text(text))

    async def on_suggestion_chips_chosen(self, event: SuggestionChips.Chosen) -> None:
        event.stop()
        if self.may_send():
            await self.after_guards(lambda: self.send_text(event.text))

    # --- code blocks --------------------------------------------------------------------

    def action_copy_code(self) -> None:
        code = self._code_to_copy()
        if code is None:
            self.notify("No code block to copy yet.", severity="warning", markup=False)
            return
        self.copy_code(code)

    def _code_to_copy(self) -> str | None:
        focused = self.focused
        if isinstance(focused, MessageView) and focused.is_reply:
            return focused.last_code_block()
        for view in reversed(self.query_one(ConversationView).reply_views()):
            code = view.last_code_block()
            if code is not None:
                return code
        return None

    def on_message_view_typed_ahead(self, event: MessageView.TypedAhead) -> None:
        event.stop()
        self.query_one(PromptInput).type_ahead(event.text)

    def on_message_view_copy_requested(self, event: MessageView.CopyRequested) -> None:
        event.stop()
        self.copy_code(event.code)

    def copy_code(self, code: str) -> None:
        self.app.copy_to_clipboard(code)
        lines = len(code.splitlines()) or 1
        noun = "line" if lines == 1 else "lines"
        self.notify(
            f"Copied {lines} {noun} of code. {CLIPBOARD_NOTE}", title="Copied", markup=False
        )

    # --- conversations ------------------------------------------------------------------

    async def action_new_conversation(self) -> None:
        if self.conversation.messages:
            await self.open_conversation(Conversation(bot=self.poe_app.settings.default_bot))
        self.query_one(PromptInput).focus()

    async def on_conversation_list_new_requested(
        self, event: ConversationList.NewRequested
    ) -> None:
        event.stop()
        await self.action_new_conversation()

    async def open_conversation(self, conversation: Conversation) -> None:
        # A reply streaming elsewhere keeps streaming into its own Message.
        self.conversation = conversation
        self.finished_away.discard(conversation.id)
        self.query_one(PromptInput).end_edit(restore_draft=True)
        self.listener.returned_to(conversation)
        await self.query_one(ConversationView).show_conversation(conversation)
        await self.history.show_versions()
        self._show_bot()
        self.refresh_history_list()
        self.refresh_bindings()

    # --- history: thin glue; the work is in HistoryController -------------------------

    def _history_work(self, work: Coroutine[Any, Any, None]) -> None:
        """In a worker: the store is read in a thread and a question waits for its
        answer (push_screen_wait), while the screen goes on handling messages."""
        self.run_worker(work, group="history", exit_on_error=False)

    def refresh_history_list(self) -> None:
        self._history_work(self.history.refresh_list())

    def action_search_history(self) -> None:
        self.list_visible = True
        self.query_one(ConversationList).focus_search()

    def on_conversation_list_search_changed(self, event: ConversationList.SearchChanged) -> None:
        event.stop()
        self._history_work(self.history.search(event.text))

    async def on_conversation_list_selected(self, event: ConversationList.Selected) -> None:
        event.stop()
        await self.history.open(event.conversation_id)

    async def on_conversation_list_hit_selected(self, event: ConversationList.HitSelected) -> None:
        event.stop()
        await self.history.open_hit(event.conversation_id, event.message_id)

    def on_conversation_list_archived_toggled(
        self, event: ConversationList.ArchivedToggled
    ) -> None:
        event.stop()
        self.refresh_history_list()

    def on_conversation_list_action_requested(
        self, event: ConversationList.ActionRequested
    ) -> None:
        event.stop()
        self._history_work(self.history.manage(event.action, event.conversation_id))

    def action_manage_current(self, action: str) -> None:
        self._history_work(self.history.manage_current(action))

    def action_toggle_archived(self) -> None:
        self.list_visible = True
        self.query_one(ConversationList).action_toggle_archived()

    def action_export_conversation(self, fmt: str) -> None:
        self._history_work(self.history.export(fmt))

    def action_import_conversation(self) -> None:
        self._history_work(self.history.import_conversation())

    def on_message_view_edit_requested(self, event: MessageView.EditRequested) -> None:
        event.stop()
        self.history.edit(event.message)

    def action_edit_last_prompt(self) -> None:
        self.history.edit_last()

    def on_message_view_regenerate_requested(self, event: MessageView.RegenerateRequested) -> None:
        event.stop()
        if event.several:
            self._history_work(self.history.regenerate_with_several(event.message))
        else:
            self._history_work(self.history.regenerate(event.message, event.choose_bot))

    def action_regenerate_last(self, choose_bot: bool) -> None:
        self._history_work(self.history.regenerate_last(choose_bot))

    def action_regenerate_last_with_several(self) -> None:
        self._history_work(self.history.regenerate_last_with_several())

    async def on_message_view_continue_requested(
        self, event: MessageView.ContinueRequested
    ) -> None:
        event.stop()
        await self.history.continue_reply(event.message)

    async def action_continue_last(self) -> None:
        await self.history.continue_last()

    async def on_message_view_branch_requested(self, event: MessageView.BranchRequested) -> None:
        event.stop()
        await self.history.switch_version(event.message, event.step)

    # --- balance and points -------------------------------------------------------------

    def action_refresh_balance(self) -> None:
        self.refresh_account()

    def on_balance_sidebar_refresh_requested(self, event: BalanceSidebar.RefreshRequested) -> None:
        event.stop()
        self.refresh_account()

    @work(group="account", exclusive=True, exit_on_error=False)
    async def refresh_account(self) -> None:
        await self.points.refresh_now()

    @work(group="chat-total", exclusive=True, exit_on_error=False)
    async def show_total(self) -> None:
        await self.points.show_total_now()

    async def save_conversation(self, conversation: Conversation) -> bool:
        """Save to the history, off the event loop; a store that fails (disk full, locked
        by another program) is said, not fatal: the chat goes on and what is on screen
        stays."""
        try:
            await asyncio.to_thread(self.poe_app.store.save, conversation)
        except StoreError as error:
            self.history_problem(error)
            return False
        return True

    def history_problem(self, error: StoreError) -> None:
        now = time.monotonic()
        if now - self._last_store_warning < STORE_WARNING_EVERY_SECONDS:
            return  # once, not on every save of a streaming reply
        self._last_store_warning = now
        self.notify(
            f"Could not save to the conversation history: {error}. The chat goes on; "
            "what could not be saved is still on screen.",
            title="Conversation history",
            severity="error",
            timeout=10,
            markup=False,
        )

    async def after_guards(
        self, send: Callable[[], Awaitable[None]], bot: str | None = None
    ) -> None:
        await self.points.after_guards(send, bot)

    async def guards_allow(self, bot: str) -> bool:
        return await self.points.guards_allow(bot)

    def action_pricing_browser(self) -> None:
        self.open_pricing_browser()

    @work(group="pricing", exclusive=True, exit_on_error=False)
    async def open_pricing_browser(self) -> None:
        """Every model's prices; Enter starts a new conversation with the chosen one."""
        from poe_tui.ui.screens.pricing_browser import PricingBrowserScreen

        models = await self.ensure_models()
        if models is None:
            return
        observed = self.accounting.observed()
        browser = PricingBrowserScreen(models, self.conversation.bot, observed=observed)
        choice = await self.app.push_screen_wait(browser)
        if choice:
            await self.action_new_conversation()
            self.use_bot(choice)

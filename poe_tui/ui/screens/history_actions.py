"""What the chat screen does with its history: search, open at a hit, rename, delete,
archive, export and import conversations; edit a prompt, regenerate or continue a
reply (with one bot or several at once), and switch between the versions of a turn.

A mixin of `ChatScreen` (its methods take `self: ChatScreen`), kept apart so the
screen module stays about sending and streaming. Everything here goes through the
`SqliteStore` the app was given (in memory for `--demo`), and a store error ends in
a notification, never a crash.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

import aiofiles
from textual import work

from poe_tui.config import download_dir
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.store import StoreError
from poe_tui.ui.widgets.conversation_list import HIT_CLOSE, HIT_OPEN, ConversationList
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.message_view import MessageView, can_continue
from poe_tui.ui.widgets.prompt_input import PromptInput

if TYPE_CHECKING:
    from poe_tui.ui.screens.chat import ChatScreen

HIT_FLASH_SECONDS = 2.0
EXPORT_SUFFIX = {"md": ".md", "json": ".json"}
BUSY_NOTE = "A reply is still arriving here. Stop it with Esc or wait, then try again."


def file_slug(title: str) -> str:
    """A title as a safe file name part: letters, digits and dashes."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.casefold()).strip("-")
    return slug[:40].rstrip("-") or "conversation"


def contains(conversation: Conversation, message: Message) -> bool:
    return any(m is message for m in conversation.messages)


def export_path_problem(text: str) -> str | None:
    """Why `text` cannot be written as a new export file, or None."""
    if not text.strip():
        return "Give a file name."
    path = Path(text.strip()).expanduser()
    if path.is_dir():
        return f"{path} is a folder; add a file name."
    if path.exists():
        return f"{path} already exists; choose another name (nothing is overwritten)."
    if not path.parent.is_dir():
        return f"The folder {path.parent} does not exist."
    return None


def import_path_problem(text: str) -> str | None:
    path = Path(text.strip()).expanduser()
    if not text.strip():
        return "Give the path of a JSON file made by `poe-tui export --format json`."
    if not path.is_file():
        return f"{path} is not a file."
    return None


class HistoryActions:
    # --- the list: search, open, rename, delete, archive ---------------------------------

    def refresh_history_list(self: ChatScreen) -> None:
        conversations = self.query_one(ConversationList)
        if conversations.searching:
            self._run_search(conversations.search_text)
            return
        summaries = self.poe_app.store.summaries(archived=conversations.showing_archived)
        conversations.show(
            summaries,
            self.conversation.id,
            streaming={job.conversation.id for job in self.jobs},
            finished=self._finished_away,
        )

    def action_search_history(self: ChatScreen) -> None:
        if not self.list_visible:
            self.list_visible = True
        self.query_one(ConversationList).focus_search()

    def on_conversation_list_search_changed(
        self: ChatScreen, event: ConversationList.SearchChanged
    ) -> None:
        event.stop()
        if event.text:
            self._run_search(event.text)
        else:
            self.refresh_history_list()

    def _run_search(self: ChatScreen, text: str) -> None:
        store = self.poe_app.store
        try:
            hits = store.search(text, mark=(HIT_OPEN, HIT_CLOSE))
        except StoreError as error:
            self.notify(str(error), title="Search", severity="warning", markup=False)
            hits = []
        wanted = text.casefold()
        titles = [s for s in store.summaries(archived=None) if wanted in s.title.casefold()]
        self.query_one(ConversationList).show_hits(hits, titles)

    async def resume_conversation(self: ChatScreen, prefix: str) -> None:
        """Open the conversation `poe-tui --resume` named ("latest": the newest)."""
        store = self.poe_app.store
        try:
            if prefix == "latest":
                newest = store.summaries(archived=None, limit=1)
                if not newest:
                    self.notify("There is no saved conversation to resume yet.", markup=False)
                    return
                conversation_id = newest[0].id
            else:
                conversation_id = store.resolve_id(prefix)
            conversation = store.get(conversation_id)
        except StoreError as error:
            self.notify(str(error), title="Resume", severity="warning", markup=False)
            return
        await self.open_conversation(conversation)

    async def on_conversation_list_selected(
        self: ChatScreen, event: ConversationList.Selected
    ) -> None:
        event.stop()
        if event.conversation_id != self.conversation.id:
            conversation = self._get_conversation(event.conversation_id)
            if conversation is not None:
                await self.open_conversation(conversation)
        self.query_one(PromptInput).focus()

    def _get_conversation(self: ChatScreen, conversation_id: str) -> Conversation | None:
        for job in self.jobs:
            if job.conversation.id == conversation_id:
                return job.conversation  # the object the reply streams into
        try:
            return self.poe_app.store.get(conversation_id)
        except StoreError as error:
            self.notify(str(error), title="Open conversation", severity="error", markup=False)
            return None

    async def on_conversation_list_hit_selected(
        self: ChatScreen, event: ConversationList.HitSelected
    ) -> None:
        event.stop()
        conversation = self._get_conversation(event.conversation_id)
        if conversation is None:
            return
        if not any(m.id == event.message_id for m in conversation.messages):
            conversation = self._open_other_branch(conversation, event.message_id)
            if conversation is None:
                return
        if conversation is not self.conversation:
            await self.open_conversation(conversation)
        await self._show_hit(event.message_id)

    def _open_other_branch(
        self: ChatScreen, conversation: Conversation, message_id: str
    ) -> Conversation | None:
        """The conversation with the branch holding `message_id` made the active one."""
        if self.jobs_of(conversation):  # a reload would leave the streams behind
            self.notify(BUSY_NOTE, title="Search", severity="warning", markup=False)
            return None
        store = self.poe_app.store
        try:
            store.open_at(conversation.id, message_id)
            return store.load(conversation.id)
        except StoreError as error:
            self.notify(str(error), title="Search", severity="error", markup=False)
            return None

    async def _show_hit(self: ChatScreen, message_id: str) -> None:
        message = next((m for m in self.conversation.messages if m.id == message_id), None)
        if message is None:
            return
        view = await self.query_one(ConversationView).reveal(message)
        if view is not None:
            view.focus(scroll_visible=False)
            view.add_class("-hit")
            self.set_timer(HIT_FLASH_SECONDS, lambda: view.remove_class("-hit"))

    def on_conversation_list_archived_toggled(
        self: ChatScreen, event: ConversationList.ArchivedToggled
    ) -> None:
        event.stop()
        self.refresh_history_list()

    def on_conversation_list_action_requested(
        self: ChatScreen, event: ConversationList.ActionRequested
    ) -> None:
        event.stop()
        self.manage_conversation(event.action, event.conversation_id)

    def action_manage_current(self: ChatScreen, action: str) -> None:
        """A list action (rename, delete, archive, unarchive) on the open conversation."""
        if not self.conversation.messages:
            self.notify("This conversation has no messages yet.", severity="warning", markup=False)
            return
        self.manage_conversation(action, self.conversation.id)

    def action_toggle_archived(self: ChatScreen) -> None:
        if not self.list_visible:
            self.list_visible = True
        self.query_one(ConversationList).action_toggle_archived()

    @work(group="history", exit_on_error=False)
    async def manage_conversation(self: ChatScreen, action: str, conversation_id: str) -> None:
        store = self.poe_app.store
        summary = next((s for s in store.summaries(archived=None) if s.id == conversation_id), None)
        if summary is None:
            self.notify("That conversation is not saved.", severity="warning", markup=False)
            return
        try:
            if action == "rename":
                await self._rename(conversation_id, summary.title)
            elif action == "delete":
                await self._delete(conversation_id, summary.title, summary.message_count)
            elif action == "archive":
                self.stop_replies_of(conversation_id)  # what arrived is kept, marked stopped
                store.archive(conversation_id)
                self.notify(
                    f"Archived “{summary.title}”. Press v in the list (or the Archived "
                    "button) to see archived chats.",
                    title="Archived",
                    markup=False,
                )
            elif action == "unarchive":
                store.unarchive(conversation_id)
                self.notify(f"“{summary.title}” is back in the list.", markup=False)
        except StoreError as error:
            self.notify(str(error), title="Conversation", severity="error", markup=False)
        self.refresh_history_list()

    async def _rename(self: ChatScreen, conversation_id: str, title: str) -> None:
        from poe_tui.ui.screens.text_prompt import TextPromptScreen  # lazy: first paint

        new_title = await self.app.push_screen_wait(TextPromptScreen("Rename conversation", title))
        if new_title and new_title != title:
            self.poe_app.store.rename(conversation_id, new_title)

    async def _delete(self: ChatScreen, conversation_id: str, title: str, count: int) -> None:
        noun = "message" if count == 1 else "messages"
        streaming = any(job.conversation.id == conversation_id for job in self.jobs)
        stopped = " Its reply still arriving is stopped." if streaming else ""
        from poe_tui.ui.screens.confirm import ConfirmScreen  # lazy: first paint

        question = ConfirmScreen(
            f"Delete “{title}”?",
            f"Its {count} {noun} (every version counted) and the attachments only it "
            f"uses are removed for good. This cannot be undone.{stopped}",
            yes="Delete",
            danger=True,
        )
        if not await self.app.push_screen_wait(question):
            return
        # Stopped before the rows go; a discarded job never writes its conversation back.
        self.stop_replies_of(conversation_id, discard=True)
        self.poe_app.store.delete(conversation_id)
        if conversation_id == self.conversation.id:
            await self.open_conversation(Conversation(bot=self.poe_app.settings.default_bot))
        self.notify(f"Deleted “{title}”.", title="Deleted", markup=False)

    # --- export and import ------------------------------------------------------------

    @work(group="history", exit_on_error=False)
    async def action_export_conversation(self: ChatScreen, fmt: str) -> None:
        from poe_tui.store.export import to_json, to_markdown  # lazy: first paint
        from poe_tui.ui.screens.text_prompt import TextPromptScreen

        conversation = self.conversation
        if not conversation.messages:
            self.notify("Nothing to export yet.", severity="warning", markup=False)
            return
        name = f"{file_slug(conversation.title)}-{conversation.id[:8]}{EXPORT_SUFFIX[fmt]}"
        label = "Markdown" if fmt == "md" else "JSON"
        target = await self.app.push_screen_wait(
            TextPromptScreen(
                f"Export “{conversation.title}” as {label} to",
                str(download_dir(self.poe_app.settings) / name),
                check=export_path_problem,
            )
        )
        if not target:
            return
        text = to_markdown(conversation) if fmt == "md" else to_json(conversation)
        path = Path(target).expanduser()
        try:
            async with aiofiles.open(path, "x", encoding="utf-8") as file:
                await file.write(text)
        except OSError as error:
            self.notify(
                f"Could not write {path}: {error.strerror or error}.",
                title="Export",
                severity="error",
                markup=False,
            )
            return
        self.notify(f"Exported to {path}", title="Export", markup=False)

    @work(group="history", exit_on_error=False)
    async def action_import_conversation(self: ChatScreen) -> None:
        from poe_tui.store.export import from_json  # lazy: first paint
        from poe_tui.ui.screens.text_prompt import TextPromptScreen

        source = await self.app.push_screen_wait(
            TextPromptScreen(
                "Import a conversation from a poe-tui JSON export",
                str(Path.cwd()) + "/",
                check=import_path_problem,
            )
        )
        if not source:
            return
        path = Path(source).expanduser()
        try:
            async with aiofiles.open(path, encoding="utf-8") as file:
                conversation = from_json(await file.read())
            self.poe_app.store.import_conversation(conversation)
        except (OSError, UnicodeDecodeError, StoreError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self.notify(f"{path}: {reason}", title="Import", severity="error", markup=False)
            return
        await self.open_conversation(conversation)
        self.notify(f"Imported “{conversation.title}”.", title="Import", markup=False)

    # --- versions of a turn: edit, regenerate, continue, switch ---------------------------

    def _refuse_while_streaming(self: ChatScreen) -> bool:
        if self.is_busy:
            self.notify(BUSY_NOTE, severity="warning", markup=False)
        return self.is_busy

    def on_message_view_edit_requested(self: ChatScreen, event: MessageView.EditRequested) -> None:
        event.stop()
        if not self._refuse_while_streaming():
            self.query_one(PromptInput).begin_edit(event.message)

    def action_edit_last_prompt(self: ChatScreen) -> None:
        last = next((m for m in reversed(self.conversation.messages) if m.role == "user"), None)
        if last is None:
            self.notify("There is no prompt to edit yet.", severity="warning", markup=False)
        elif not self._refuse_while_streaming():
            self.query_one(PromptInput).begin_edit(last)

    async def send_edited(self: ChatScreen, original: Message, text: str) -> None:
        """Send `text` as a new version of the prompt `original`; the old one is kept."""
        if not contains(self.conversation, original):
            self.notify("That prompt is no longer shown here.", severity="warning", markup=False)
            return
        store = self.poe_app.store
        try:
            new = store.edit_user_message(self.conversation, original.id, text)
            if original.attachments:  # an edit changes the words; the files stay
                new.attachments = list(original.attachments)
                store.save(self.conversation)  # the row first: files link to it
                self.link_files(new)
        except StoreError as error:
            self.notify(str(error), title="Edit", severity="error", markup=False)
            return
        await self._after_branch_change()
        await self._start_reply(self.conversation.start_reply(), draft=text)

    async def on_message_view_regenerate_requested(
        self: ChatScreen, event: MessageView.RegenerateRequested
    ) -> None:
        event.stop()
        if event.several:
            self.regenerate_with_several(event.message)
        else:
            self.regenerate(event.message, event.choose_bot)

    def action_regenerate_last(self: ChatScreen, choose_bot: bool) -> None:
        last = self.conversation.messages[-1] if self.conversation.messages else None
        if last is None or last.role != "assistant":
            self.notify("There is no reply to regenerate.", severity="warning", markup=False)
            return
        self.regenerate(last, choose_bot)

    @work(group="history", exit_on_error=False)
    async def regenerate(self: ChatScreen, reply: Message, choose_bot: bool) -> None:
        if not self._may_regenerate(reply):
            return
        conversation = self.conversation
        bot = reply.bot
        if choose_bot:
            models = await self.ensure_models()
            choice = None
            if models is not None:
                from poe_tui.ui.screens.model_picker import ModelPickerScreen  # lazy: first paint

                choice = await self.app.push_screen_wait(ModelPickerScreen(models, bot))
            # The user may have sent or switched chats while the picker was open.
            if not choice or conversation is not self.conversation:
                return
            if not self._may_regenerate(reply):
                return
            bot = choice

        async def go() -> None:
            if self._may_regenerate(reply):
                await self._regenerate_now(reply, bot)

        await self.after_guards(go, bot)

    def action_regenerate_last_with_several(self: ChatScreen) -> None:
        last = self.conversation.messages[-1] if self.conversation.messages else None
        if last is None or last.role != "assistant":
            self.notify("There is no reply to regenerate.", severity="warning", markup=False)
            return
        self.regenerate_with_several(last)

    @work(group="history", exit_on_error=False)
    async def regenerate_with_several(self: ChatScreen, reply: Message) -> None:
        """Pick several bots; each streams a new version of this turn at once."""
        if not self._may_regenerate(reply):
            return
        conversation = self.conversation
        models = await self.ensure_models()
        if models is None:
            return
        from poe_tui.ui.screens.several_bots import SeveralBotsScreen  # lazy: first paint

        bots = await self.app.push_screen_wait(SeveralBotsScreen(models, reply.bot))
        allowed = [bot for bot in bots or [] if await self.guards_allow(bot)]
        # The user may have sent or switched chats while the questions were open.
        if allowed and conversation is self.conversation and self._may_regenerate(reply):
            await self._regenerate_several_now(reply, allowed)

    async def _regenerate_several_now(self: ChatScreen, reply: Message, bots: list[str]) -> None:
        """One new version per bot, each streaming; the last one is shown (←/→ switch)."""
        store = self.poe_app.store
        beside = reply
        for bot in bots:
            try:
                # Beside the previous new version: the path now ends there, not at `reply`.
                new = store.regenerate(self.conversation, beside.id, bot=bot)
            except StoreError as error:
                self.notify(str(error), title="Regenerate", severity="error", markup=False)
                break
            new.created_at = self.poe_app.clock()
            self.launch_reply(new, draft=None)
            beside = new
        await self._after_branch_change()
        self.query_one(ConversationView).follow_bottom()

    def _may_regenerate(self: ChatScreen, reply: Message) -> bool:
        if self._refuse_while_streaming() or not contains(self.conversation, reply):
            return False
        return self._may_send()

    async def _regenerate_now(self: ChatScreen, reply: Message, bot: str) -> None:
        try:
            new = self.poe_app.store.regenerate(self.conversation, reply.id, bot=bot)
        except StoreError as error:
            self.notify(str(error), title="Regenerate", severity="error", markup=False)
            return
        new.created_at = self.poe_app.clock()
        await self._after_branch_change()
        self.query_one(ConversationView).follow_bottom()
        await self._start_reply(new, draft=None)

    async def on_message_view_continue_requested(
        self: ChatScreen, event: MessageView.ContinueRequested
    ) -> None:
        event.stop()
        await self.continue_reply(event.message)

    async def action_continue_last(self: ChatScreen) -> None:
        last = self.conversation.messages[-1] if self.conversation.messages else None
        if last is None or not can_continue(last):
            self.notify(
                "Only a reply that was stopped or cut off can be continued.",
                severity="warning",
                markup=False,
            )
            return
        await self.continue_reply(last)

    async def continue_reply(self: ChatScreen, reply: Message) -> None:
        if self._refuse_while_streaming() or not self._may_send():
            return
        if not self.conversation.messages or reply is not self.conversation.messages[-1]:
            self.notify("Only the latest reply can be continued.", severity="warning")
            return
        await self.after_guards(lambda: self._continue_now(reply), reply.bot)

    async def _continue_now(self: ChatScreen, reply: Message) -> None:
        if self.is_busy or not can_continue(reply):
            return
        await self._take_back_draft(reply)
        reply.status = MessageStatus.STREAMING
        reply.finished_at = None
        reply.error_title = reply.error_message = None
        reply.error_retryable = False
        self.query_one(ConversationView).follow_bottom()
        await self._start_reply(reply, draft=None, continuing=True)

    async def on_message_view_branch_requested(
        self: ChatScreen, event: MessageView.BranchRequested
    ) -> None:
        event.stop()
        store = self.poe_app.store
        try:
            info = store.branch_info(event.message.id)
            index = info.position - 1 + event.step
            if not 0 <= index < info.count:
                return
            store.switch_branch(self.conversation, info.sibling_ids[index])
        except StoreError as error:
            self.notify(str(error), title="Versions", severity="error", markup=False)
            return
        self._use_live_replies()
        await self._after_branch_change()
        target = next(
            (m for m in self.conversation.messages if m.id == info.sibling_ids[index]), None
        )
        view = self.query_one(ConversationView).view_for(target) if target else None
        if view is not None:
            view.focus()

    def _use_live_replies(self: ChatScreen) -> None:
        """A version streaming off the shown path comes back from the store as a copy of
        its last saved row: show the object the stream still writes into instead."""
        live = {job.reply.id: job.reply for job in self.jobs_of(self.conversation)}
        messages = self.conversation.messages
        messages[:] = [live.get(m.id, m) for m in messages]

    async def _after_branch_change(self: ChatScreen) -> None:
        view = self.query_one(ConversationView)
        await view.sync_messages()
        self.show_branches()
        self.refresh_history_list()

    def show_branches(self: ChatScreen) -> None:
        try:
            positions = self.poe_app.store.branch_positions(self.conversation.id)
        except StoreError:
            positions = {}  # the versions arrows are a convenience; the chat still works
        self.query_one(ConversationView).show_branches(positions)

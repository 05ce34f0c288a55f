"""What the chat does with its history: the conversation list and search-as-you-type,
open at a hit, rename, delete, archive, export and import; edit a prompt, regenerate or
continue a reply (with one bot or several at once), and switch between versions.

`HistoryController` is a plain class: every SQLite call and file write runs off the
event loop (`offload`, a thread by default), a store error ends in a notice through the
`HistoryHost`, never a crash, and what the user sees or answers goes through the host
(the chat screen's glue), so tests drive it without Textual.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, Literal, Protocol

from poe_tui.core.conversation import Conversation, Message, can_continue
from poe_tui.core.models import ModelInfo
from poe_tui.store import SqliteStore, StoreError
from poe_tui.store.models import ConversationSummary, SearchHit
from poe_tui.ui.controllers.replies import ReplyController, ReplyJob

EXPORT_SUFFIX = {"md": ".md", "json": ".json"}
BUSY_NOTE = "A reply is still arriving here. Stop it with Esc or wait, then try again."

Severity = Literal["information", "warning", "error"]
Offload = Callable[..., Awaitable[Any]]
Check = Callable[[str], str | None]


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


def write_new_file(path: Path, text: str) -> None:
    """Write `text` to `path`, which must not exist yet (an export never overwrites)."""
    with path.open("x", encoding="utf-8") as file:
        file.write(text)


class HistoryHost(Protocol):
    """What the controller needs from the screen (all on the event loop)."""

    @property
    def conversation(self) -> Conversation:
        """The open conversation."""
        ...

    def notify(
        self, message: str, *, title: str = "", severity: Severity = "information", markup: bool
    ) -> None: ...

    def list_mode(self) -> tuple[str, bool]:
        """(the search text, or "" when not searching; whether archived chats are shown)."""
        ...

    def show_summaries(self, summaries: Sequence[ConversationSummary]) -> None: ...

    def show_hits(
        self, hits: Sequence[SearchHit], titles: Sequence[ConversationSummary]
    ) -> None: ...

    def show_versions(self, positions: dict[str, tuple[int, int]]) -> None:
        """Which shown messages have other versions: message id -> (position, count)."""
        ...

    async def show_messages(self) -> None:
        """The open conversation's messages changed at its tail: show them."""
        ...

    async def open_conversation(self, conversation: Conversation) -> None: ...

    def default_bot(self) -> str: ...

    def export_dir(self) -> Path: ...

    def focus_prompt(self) -> None: ...

    def begin_edit(self, message: Message) -> None:
        """Put a prompt into the prompt box to be edited."""
        ...

    async def flash_message(self, message: Message) -> None:
        """Scroll to a message of the open conversation and mark it for a moment."""
        ...

    def focus_message(self, message: Message) -> None: ...

    def follow_bottom(self) -> None: ...

    async def ask_text(self, title: str, value: str, *, check: Check | None = None) -> str | None:
        """One line from the user (None: they cancelled); `check` (default: not blank)
        says what is wrong with a value, keeping the question open."""
        ...

    async def confirm(self, title: str, body: str, *, yes: str, danger: bool) -> bool: ...

    async def ensure_models(self) -> list[ModelInfo] | None: ...

    async def pick_model(self, models: list[ModelInfo], current: str) -> str | None: ...

    async def pick_bots(self, models: list[ModelInfo], current: str) -> list[str] | None: ...

    def may_send(self) -> bool:
        """Whether a reply may start now (says why not)."""
        ...

    async def after_guards(self, send: Callable[[], Awaitable[None]], bot: str) -> None:
        """Run `send`, or once the user confirms what the spending guards warn about."""
        ...

    async def guards_allow(self, bot: str) -> bool: ...

    async def start_reply(
        self, reply: Message, *, draft: str | None, continuing: bool = False
    ) -> None:
        """Show `reply` (in the open conversation) and stream it."""
        ...

    def launch_reply(self, reply: Message, *, draft: str | None) -> ReplyJob:
        """Stream `reply` (already shown or about to be) in a job of its own."""
        ...

    async def take_back_draft(self, reply: Message) -> None: ...

    def link_files(self, message: Message) -> None: ...


class HistoryController:
    def __init__(
        self,
        store: SqliteStore,
        host: HistoryHost,
        replies: ReplyController,
        *,
        clock: Callable[[], float],
        hit_mark: tuple[str, str] = ("[", "]"),
        offload: Offload = asyncio.to_thread,
    ) -> None:
        self.store = store
        self.host = host
        self.replies = replies
        self.clock = clock
        self.hit_mark = hit_mark
        # Tests hold a call at a gate through this; the app runs it in a thread.
        self._offload = offload
        # Each list refresh or search takes a number; only the newest one is shown, so a
        # slow query that ends late never overwrites what the user typed since.
        self._list_generation = 0

    def _say(self, text: str, *, title: str = "", severity: Severity = "information") -> None:
        self.host.notify(text, title=title, severity=severity, markup=False)

    def _refuse_while_streaming(self) -> bool:
        busy = self.replies.is_busy(self.host.conversation)
        if busy:
            self._say(BUSY_NOTE, severity="warning")
        return busy

    # --- the list and search -------------------------------------------------------------

    def _next_list_generation(self) -> int:
        self._list_generation += 1
        return self._list_generation

    async def refresh_list(self) -> None:
        """Show the conversations (or the results of the search being typed) again."""
        search_text, archived = self.host.list_mode()
        if search_text:
            await self.search(search_text)
            return
        generation = self._next_list_generation()
        try:
            summaries = await self._offload(self.store.summaries, archived=archived)
        except StoreError as error:
            self._say(str(error), title="Conversations", severity="error")
            return
        if generation == self._list_generation:
            self.host.show_summaries(summaries)

    async def search(self, text: str) -> None:
        """Messages and titles matching `text`; an empty text shows the list again."""
        if not text:
            await self.refresh_list()
            return
        generation = self._next_list_generation()
        hits, titles, problem = await self._offload(self._find, text)
        if generation != self._list_generation:
            return  # the user typed on: a newer search is on its way
        if problem is not None:
            self._say(problem, title="Search", severity="warning")
        self.host.show_hits(hits, titles)

    def _find(self, text: str) -> tuple[list[SearchHit], list[ConversationSummary], str | None]:
        """(hits, conversations whose title matches, what went wrong); in a thread."""
        problem = None
        try:
            hits = self.store.search(text, mark=self.hit_mark)
        except StoreError as error:
            problem, hits = str(error), []
        wanted = text.casefold()
        try:
            summaries = self.store.summaries(archived=None)
        except StoreError as error:
            problem, summaries = problem or str(error), []
        return hits, [s for s in summaries if wanted in s.title.casefold()], problem

    # --- opening ----------------------------------------------------------------------

    async def resume(self, prefix: str) -> None:
        """Open the conversation `poe-tui --resume` named ("latest": the newest)."""
        try:
            conversation = await self._offload(self._find_to_resume, prefix)
        except StoreError as error:
            self._say(str(error), title="Resume", severity="warning")
            return
        if conversation is None:
            self._say("There is no saved conversation to resume yet.")
            return
        await self.host.open_conversation(conversation)

    def _find_to_resume(self, prefix: str) -> Conversation | None:
        if prefix == "latest":
            newest = self.store.summaries(archived=None, limit=1)
            if not newest:
                return None
            return self.store.get(newest[0].id)
        return self.store.get(self.store.resolve_id(prefix))

    async def open(self, conversation_id: str) -> None:
        """A conversation chosen in the list; the prompt gets the focus either way."""
        if conversation_id != self.host.conversation.id:
            conversation = await self._get(conversation_id)
            if conversation is not None:
                await self.host.open_conversation(conversation)
        self.host.focus_prompt()

    async def _get(self, conversation_id: str) -> Conversation | None:
        for job in self.replies.jobs:
            if job.conversation.id == conversation_id:
                return job.conversation  # the object the reply streams into
        try:
            conversation: Conversation = await self._offload(self.store.get, conversation_id)
        except StoreError as error:
            self._say(str(error), title="Open conversation", severity="error")
            return None
        return conversation

    async def open_hit(self, conversation_id: str, message_id: str) -> None:
        """Open a search hit's conversation on the version holding it, and show it."""
        conversation = await self._get(conversation_id)
        if conversation is None:
            return
        if not any(m.id == message_id for m in conversation.messages):
            conversation = await self._open_other_branch(conversation, message_id)
            if conversation is None:
                return
        if conversation is not self.host.conversation:
            await self.host.open_conversation(conversation)
        shown = self.host.conversation.messages
        message = next((m for m in shown if m.id == message_id), None)
        if message is not None:
            await self.host.flash_message(message)

    async def _open_other_branch(
        self, conversation: Conversation, message_id: str
    ) -> Conversation | None:
        """The conversation with the branch holding `message_id` made the active one."""
        if self.replies.of(conversation):  # a reload would leave the streams behind
            self._say(BUSY_NOTE, title="Search", severity="warning")
            return None

        def switch_and_load() -> Conversation:
            self.store.open_at(conversation.id, message_id)
            return self.store.load(conversation.id)

        try:
            loaded: Conversation = await self._offload(switch_and_load)
        except StoreError as error:
            self._say(str(error), title="Search", severity="error")
            return None
        return loaded

    # --- rename, delete, archive ---------------------------------------------------------

    async def manage_current(self, action: str) -> None:
        """A list action (rename, delete, archive, unarchive) on the open conversation."""
        if not self.host.conversation.messages:
            self._say("This conversation has no messages yet.", severity="warning")
            return
        await self.manage(action, self.host.conversation.id)

    async def manage(self, action: str, conversation_id: str) -> None:
        try:
            summaries = await self._offload(self.store.summaries, archived=None)
            summary = next((s for s in summaries if s.id == conversation_id), None)
            if summary is None:
                self._say("That conversation is not saved.", severity="warning")
                return
            if action == "rename":
                await self._rename(conversation_id, summary.title)
            elif action == "delete":
                await self._delete(conversation_id, summary.title, summary.message_count)
            elif action == "archive":
                await self._archive(conversation_id, summary.title)
            elif action == "unarchive":
                await self._offload(self.store.unarchive, conversation_id)
                self._say(f"“{summary.title}” is back in the list.")
        except StoreError as error:  # rolled back: the list is as it was
            self._say(str(error), title="Conversation", severity="error")
            return
        await self.refresh_list()

    async def _rename(self, conversation_id: str, title: str) -> None:
        new_title = await self.host.ask_text("Rename conversation", title)
        if new_title and new_title != title:
            await self._offload(self.store.rename, conversation_id, new_title)

    async def _delete(self, conversation_id: str, title: str, count: int) -> None:
        noun = "message" if count == 1 else "messages"
        streaming = any(job.conversation.id == conversation_id for job in self.replies.jobs)
        stopped = " Its reply still arriving is stopped." if streaming else ""
        body = (
            f"Its {count} {noun} (every version counted) and the attachments only it "
            f"uses are removed for good. This cannot be undone.{stopped}"
        )
        if not await self.host.confirm(f"Delete “{title}”?", body, yes="Delete", danger=True):
            return
        # Stopped before the rows go; a discarded job never writes its conversation back.
        self.replies.stop_conversation(conversation_id, discard=True)
        await self._offload(self.store.delete, conversation_id)
        if conversation_id == self.host.conversation.id:
            await self.host.open_conversation(Conversation(bot=self.host.default_bot()))
        self._say(f"Deleted “{title}”.", title="Deleted")

    async def _archive(self, conversation_id: str, title: str) -> None:
        self.replies.stop_conversation(conversation_id)  # what arrived is kept, marked stopped
        await self._offload(self.store.archive, conversation_id)
        self._say(
            f"Archived “{title}”. Press v in the list (or the Archived button) to see "
            "archived chats.",
            title="Archived",
        )

    # --- export and import ---------------------------------------------------------------

    async def export(self, fmt: str) -> None:
        """Write the open conversation as Markdown ("md") or JSON to a new file."""
        from poe_tui.store.export import to_json, to_markdown  # lazy: first paint

        conversation = self.host.conversation
        if not conversation.messages:
            self._say("Nothing to export yet.", severity="warning")
            return
        name = f"{file_slug(conversation.title)}-{conversation.id[:8]}{EXPORT_SUFFIX[fmt]}"
        label = "Markdown" if fmt == "md" else "JSON"
        target = await self.host.ask_text(
            f"Export “{conversation.title}” as {label} to",
            str(self.host.export_dir() / name),
            check=export_path_problem,
        )
        if not target:
            return
        text = to_markdown(conversation) if fmt == "md" else to_json(conversation)
        path = Path(target).expanduser()
        try:
            await self._offload(write_new_file, path, text)
        except OSError as error:
            reason = error.strerror or error
            self._say(f"Could not write {path}: {reason}.", title="Export", severity="error")
            return
        self._say(f"Exported to {path}", title="Export")

    async def import_conversation(self) -> None:
        """Add a conversation from a poe-tui JSON export and open it."""
        source = await self.host.ask_text(
            "Import a conversation from a poe-tui JSON export",
            str(Path.cwd()) + "/",
            check=import_path_problem,
        )
        if not source:
            return
        path = Path(source).expanduser()
        try:
            conversation = await self._offload(self._read_and_import, path)
        except (OSError, UnicodeDecodeError, StoreError) as error:
            reason = getattr(error, "strerror", None) or str(error)
            self._say(f"{path}: {reason}", title="Import", severity="error")
            return
        await self.host.open_conversation(conversation)
        self._say(f"Imported “{conversation.title}”.", title="Import")

    def _read_and_import(self, path: Path) -> Conversation:
        from poe_tui.store.export import from_json  # lazy: first paint

        conversation = from_json(path.read_text(encoding="utf-8"))
        self.store.import_conversation(conversation)
        return conversation

    # --- edit a prompt -----------------------------------------------------------------

    def edit(self, prompt: Message) -> None:
        if not self._refuse_while_streaming():
            self.host.begin_edit(prompt)

    def edit_last(self) -> None:
        messages = self.host.conversation.messages
        last = next((m for m in reversed(messages) if m.role == "user"), None)
        if last is None:
            self._say("There is no prompt to edit yet.", severity="warning")
        else:
            self.edit(last)

    async def send_edited(self, original: Message, text: str) -> None:
        """Send `text` as a new version of the prompt `original`; the old one is kept."""
        conversation = self.host.conversation
        if not contains(conversation, original):
            self._say("That prompt is no longer shown here.", severity="warning")
            return
        try:
            new = await self._offload(self.store.edit_user_message, conversation, original.id, text)
            if original.attachments:  # an edit changes the words; the files stay
                new.attachments = list(original.attachments)
                await self._offload(self.store.save, conversation)  # files link to the row
                self.host.link_files(new)
        except StoreError as error:
            self._say(str(error), title="Edit", severity="error")
            return
        if conversation is not self.host.conversation:
            return  # the user opened another chat meanwhile; the new version is saved
        await self._after_branch_change()
        await self.host.start_reply(conversation.start_reply(), draft=text)

    # --- regenerate ----------------------------------------------------------------------

    def _last_reply(self) -> Message | None:
        messages = self.host.conversation.messages
        last = messages[-1] if messages else None
        if last is None or last.role != "assistant":
            self._say("There is no reply to regenerate.", severity="warning")
            return None
        return last

    async def regenerate_last(self, choose_bot: bool) -> None:
        last = self._last_reply()
        if last is not None:
            await self.regenerate(last, choose_bot)

    async def regenerate_last_with_several(self) -> None:
        last = self._last_reply()
        if last is not None:
            await self.regenerate_with_several(last)

    def _may_regenerate(self, reply: Message) -> bool:
        if self._refuse_while_streaming() or not contains(self.host.conversation, reply):
            return False
        return self.host.may_send()

    async def regenerate(self, reply: Message, choose_bot: bool) -> None:
        """A new version of `reply`, from its bot or (`choose_bot`) one the user picks."""
        if not self._may_regenerate(reply):
            return
        conversation = self.host.conversation
        bot = reply.bot
        if choose_bot:
            models = await self.host.ensure_models()
            choice = None if models is None else await self.host.pick_model(models, bot)
            # The user may have sent or switched chats while the picker was open.
            if not choice or conversation is not self.host.conversation:
                return
            if not self._may_regenerate(reply):
                return
            bot = choice

        async def go() -> None:
            if self._may_regenerate(reply):
                await self._regenerate_now(reply, bot)

        await self.host.after_guards(go, bot)

    async def _regenerate_now(self, reply: Message, bot: str) -> None:
        conversation = self.host.conversation
        try:
            new = await self._offload(self.store.regenerate, conversation, reply.id, bot=bot)
        except StoreError as error:
            self._say(str(error), title="Regenerate", severity="error")
            return
        new.created_at = self.clock()
        await self._after_branch_change()
        self.host.follow_bottom()
        await self.host.start_reply(new, draft=None)

    async def regenerate_with_several(self, reply: Message) -> None:
        """Pick several bots; each streams a new version of this turn at once."""
        if not self._may_regenerate(reply):
            return
        conversation = self.host.conversation
        models = await self.host.ensure_models()
        if models is None:
            return
        bots = await self.host.pick_bots(models, reply.bot)
        allowed = [bot for bot in bots or [] if await self.host.guards_allow(bot)]
        # The user may have sent or switched chats while the questions were open.
        if allowed and conversation is self.host.conversation and self._may_regenerate(reply):
            await self._regenerate_several_now(reply, allowed)

    async def _regenerate_several_now(self, reply: Message, bots: list[str]) -> None:
        """One new version per bot, each streaming; the last one is shown (←/→ switch)."""
        conversation = self.host.conversation
        beside = reply
        for bot in bots:
            try:
                # Beside the previous new version: the path now ends there, not at `reply`.
                new = await self._offload(self.store.regenerate, conversation, beside.id, bot=bot)
            except StoreError as error:
                self._say(str(error), title="Regenerate", severity="error")
                break
            new.created_at = self.clock()
            self.host.launch_reply(new, draft=None)
            beside = new
        await self._after_branch_change()
        self.host.follow_bottom()

    # --- continue ----------------------------------------------------------------------

    async def continue_last(self) -> None:
        messages = self.host.conversation.messages
        last = messages[-1] if messages else None
        if last is None or not can_continue(last):
            self._say(
                "Only a reply that was stopped or cut off can be continued.", severity="warning"
            )
            return
        await self.continue_reply(last)

    async def continue_reply(self, reply: Message) -> None:
        if self._refuse_while_streaming() or not self.host.may_send():
            return
        messages = self.host.conversation.messages
        if not messages or reply is not messages[-1]:
            self._say("Only the latest reply can be continued.", severity="warning")
            return
        await self.host.after_guards(lambda: self._continue_now(reply), reply.bot)

    async def _continue_now(self, reply: Message) -> None:
        conversation = self.host.conversation
        if self.replies.is_busy(conversation) or not can_continue(reply):
            return
        await self.host.take_back_draft(reply)
        try:
            self.store.continue_reply(conversation, reply.id)  # in memory only: no SQL
        except StoreError as error:
            self._say(str(error), title="Continue", severity="error")
            return
        self.host.follow_bottom()
        await self.host.start_reply(reply, draft=None, continuing=True)

    # --- versions ----------------------------------------------------------------------

    async def switch_version(self, message: Message, step: int) -> None:
        """Show the version `step` away (-1 before, +1 after) of `message`'s turn."""
        conversation = self.host.conversation

        def switch() -> str | None:
            info = self.store.branch_info(message.id)
            index = info.position - 1 + step
            if not 0 <= index < info.count:
                return None
            self.store.switch_branch(conversation, info.sibling_ids[index])
            return info.sibling_ids[index]

        try:
            target_id = await self._offload(switch)
        except StoreError as error:
            self._say(str(error), title="Versions", severity="error")
            return
        if target_id is None:
            return
        self._use_live_replies(conversation)
        await self._after_branch_change()
        target = next((m for m in conversation.messages if m.id == target_id), None)
        if target is not None:
            self.host.focus_message(target)

    def _use_live_replies(self, conversation: Conversation) -> None:
        """A version streaming off the shown path comes back from the store as a copy of
        its last saved row: show the object the stream still writes into instead."""
        live = {job.reply.id: job.reply for job in self.replies.of(conversation)}
        messages = conversation.messages
        messages[:] = [live.get(m.id, m) for m in messages]

    async def _after_branch_change(self) -> None:
        await self.host.show_messages()
        await self.show_versions()
        await self.refresh_list()

    async def show_versions(self) -> None:
        """Mark the messages of the open conversation that have other versions."""
        conversation = self.host.conversation
        try:
            positions = await self._offload(self.store.branch_positions, conversation.id)
        except StoreError:
            positions = {}  # the versions arrows are a convenience; the chat still works
        if conversation is self.host.conversation:
            self.host.show_versions(positions)

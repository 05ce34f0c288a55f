"""HistoryController without Textual: a fake host records what the screen would show or
ask, and a real SqliteStore (a file in tmp_path) holds the conversations, so what the
controller does is checked in the database too."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.models import ModelInfo
from poe_tui.store import SqliteStore, StoreError
from poe_tui.store.export import to_json
from poe_tui.store.models import ConversationSummary, SearchHit
from poe_tui.ui.controllers.history import (
    BUSY_NOTE,
    HistoryController,
    Offload,
    Severity,
    export_path_problem,
    file_slug,
)
from poe_tui.ui.controllers.replies import ReplyController, ReplyJob

NOW = 1_750_000_000.0


class Parked:
    """A reply job's handle whose work never runs: the job just stays 'streaming'."""

    def __init__(self) -> None:
        self.cancelled = False

    def cancel(self) -> None:
        self.cancelled = True


def park(work: Coroutine[Any, Any, None]) -> Parked:
    work.close()
    return Parked()


class Quiet:
    def reply_changed(self, job: ReplyJob, delta: Any, *, wait_changed: bool) -> None: ...

    def uploading(self, job: ReplyJob, index: int, sent: int, total: int) -> None: ...

    def reply_finished(self, job: ReplyJob) -> None: ...


def no_runner() -> Any:
    raise AssertionError("no reply runs in these tests")


class FakeHost:
    """Records what the chat screen would show; answers questions from queues."""

    def __init__(self, replies: ReplyController) -> None:
        self.conversation = Conversation(bot="echo")
        self.replies = replies
        self.notes: list[tuple[str, str, Severity]] = []
        self.search_text = ""
        self.archived = False
        self.summaries: list[list[str]] = []  # titles, each time the list was shown
        self.hits: list[list[str]] = []  # hit snippets, each time results were shown
        self.versions: list[dict[str, tuple[int, int]]] = []
        self.opened: list[Conversation] = []
        self.answers: list[Any] = []  # for ask_text, confirm, pick_model, pick_bots
        self.asked: list[tuple[str, str]] = []
        self.started: list[tuple[Message, str | None, bool]] = []
        self.launched: list[Message] = []
        self.edits: list[Message] = []
        self.flashed: list[Message] = []
        self.focused: list[Message | str] = []
        self.synced = 0
        self.sending_allowed = True
        self.refused_bots: set[str] = set()
        self.linked: list[Message] = []

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Severity = "information",
        markup: bool = True,
    ) -> None:
        self.notes.append((message, title, severity))

    def list_mode(self) -> tuple[str, bool]:
        return self.search_text, self.archived

    def show_summaries(self, summaries: Sequence[ConversationSummary]) -> None:
        self.summaries.append([s.title for s in summaries])

    def show_hits(self, hits: Sequence[SearchHit], titles: Sequence[ConversationSummary]) -> None:
        self.hits.append([h.snippet for h in hits] + [t.title for t in titles])

    def show_versions(self, positions: dict[str, tuple[int, int]]) -> None:
        self.versions.append(positions)

    async def show_messages(self) -> None:
        self.synced += 1

    async def open_conversation(self, conversation: Conversation) -> None:
        self.conversation = conversation
        self.opened.append(conversation)

    def default_bot(self) -> str:
        return "default-bot"

    def export_dir(self) -> Path:
        return Path("/nowhere")

    def focus_prompt(self) -> None:
        self.focused.append("prompt")

    def begin_edit(self, message: Message) -> None:
        self.edits.append(message)

    async def flash_message(self, message: Message) -> None:
        self.flashed.append(message)

    def focus_message(self, message: Message) -> None:
        self.focused.append(message)

    def follow_bottom(self) -> None: ...

    async def ask_text(self, title: str, value: str, *, check: Any = None) -> str | None:
        self.asked.append((title, value))
        answer: str | None = self.answers.pop(0)
        if answer is not None and check is not None:
            assert check(answer) is None, check(answer)
        return answer

    async def confirm(self, title: str, body: str, *, yes: str, danger: bool) -> bool:
        self.asked.append((title, body))
        return bool(self.answers.pop(0))

    async def ensure_models(self) -> list[ModelInfo] | None:
        return []

    async def pick_model(self, models: list[ModelInfo], current: str) -> str | None:
        answer: str | None = self.answers.pop(0)
        return answer

    async def pick_bots(self, models: list[ModelInfo], current: str) -> list[str] | None:
        answer: list[str] | None = self.answers.pop(0)
        return answer

    def may_send(self) -> bool:
        return self.sending_allowed

    async def after_guards(self, send: Callable[[], Awaitable[None]], bot: str) -> None:
        if bot not in self.refused_bots:
            await send()

    async def guards_allow(self, bot: str) -> bool:
        return bot not in self.refused_bots

    async def start_reply(
        self, reply: Message, *, draft: str | None, continuing: bool = False
    ) -> None:
        self.started.append((reply, draft, continuing))

    def launch_reply(self, reply: Message, *, draft: str | None) -> ReplyJob:
        self.launched.append(reply)
        return self.replies.start(self.conversation, reply, draft=draft)

    async def take_back_draft(self, reply: Message) -> None: ...

    def link_files(self, message: Message) -> None:
        self.linked.append(message)

    def warnings(self) -> list[str]:
        return [text for text, _, severity in self.notes if severity != "information"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "history.db") as opened:
        yield opened


@pytest.fixture
def replies() -> ReplyController:
    return ReplyController(no_runner, Quiet(), spawn=park)


@pytest.fixture
def host(replies: ReplyController) -> FakeHost:
    return FakeHost(replies)


def controller(
    store: SqliteStore, host: FakeHost, *, offload: Offload | None = None
) -> HistoryController:
    extra = {} if offload is None else {"offload": offload}
    return HistoryController(store, host, host.replies, clock=lambda: NOW, **extra)


@pytest.fixture
def history(store: SqliteStore, host: FakeHost) -> HistoryController:
    return controller(store, host)


def saved(store: SqliteStore, title: str, *turns: tuple[str, str]) -> Conversation:
    conversation = Conversation(bot="echo")
    for question, answer in turns:
        conversation.add_user_message(question)
        conversation.messages.append(Message("assistant", answer, "echo"))
    conversation.title, conversation.titled = title, True
    store.save(conversation)
    return conversation


def texts(conversation: Conversation) -> list[str]:
    return [m.text for m in conversation.messages]


# --- no Textual -----------------------------------------------------------------------


def test_the_controller_imports_without_textual() -> None:
    code = (
        "import sys, poe_tui.ui.controllers.history\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# --- the list and search --------------------------------------------------------------


async def test_the_list_shows_saved_or_archived_conversations(store, host, history) -> None:
    saved(store, "Animals", ("axolotl?", "A salamander."))
    cooking = saved(store, "Cooking", ("egg?", "Nine minutes."))
    store.archive(cooking.id)
    await history.refresh_list()
    host.archived = True
    await history.refresh_list()
    assert host.summaries == [["Animals"], ["Cooking"]]


async def test_a_list_that_cannot_be_read_is_a_notice(store, host, history) -> None:
    store.close()
    await history.refresh_list()
    assert host.summaries == []
    assert host.warnings() == ["the conversation store is closed"]


async def test_search_shows_matching_messages_and_titles(store, host, history) -> None:
    saved(store, "Animals", ("tell me about the axolotl", "A salamander."))
    saved(store, "Axolotl care", ("water?", "Cold."))
    saved(store, "Cooking", ("egg?", "Nine minutes."))
    await history.search("axolotl")
    [shown] = host.hits
    assert any("axolotl" in snippet for snippet in shown)
    assert "Axolotl care" in shown and "Cooking" not in shown


async def test_an_empty_search_shows_the_list_again(store, host, history) -> None:
    saved(store, "Animals", ("axolotl?", "A salamander."))
    await history.search("")
    assert host.summaries == [["Animals"]] and host.hits == []


async def test_a_search_that_cannot_run_says_why_and_shows_nothing(store, host, history) -> None:
    store.close()
    await history.search("axolotl")
    assert host.hits == [[]]
    assert host.notes == [("the conversation store is closed", "Search", "warning")]


async def test_the_store_is_read_off_the_event_loop(store, host, history, monkeypatch) -> None:
    saved(store, "Animals", ("axolotl?", "A salamander."))
    threads: list[threading.Thread] = []
    for name in ("search", "summaries"):
        original = getattr(store, name)

        def recording(*args: Any, _original: Any = original, **kwargs: Any) -> Any:
            threads.append(threading.current_thread())
            return _original(*args, **kwargs)

        monkeypatch.setattr(store, name, recording)
    await history.search("axolotl")
    await history.refresh_list()
    assert len(threads) == 3
    assert threading.main_thread() not in threads


async def test_a_slow_search_never_overwrites_a_newer_one(store, host) -> None:
    saved(store, "Animals", ("the axolotl", "A salamander."), ("an axe", "Sharp."))
    held = asyncio.Event()
    release = asyncio.Event()

    async def gated(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if args == ("ax",):  # the first search, typed before the rest of the word
            held.set()
            await release.wait()
        return await asyncio.to_thread(call, *args, **kwargs)

    history = controller(store, host, offload=gated)
    first = asyncio.create_task(history.search("ax"))
    await held.wait()
    await history.search("axolotl")
    release.set()
    await first
    assert len(host.hits) == 1  # the stale one was dropped
    assert all("axe" not in snippet.replace("axolotl", "") for snippet in host.hits[0])
    assert any("axolotl" in snippet for snippet in host.hits[0])


# --- opening ------------------------------------------------------------------------


async def test_resume_opens_the_newest_or_the_named_conversation(store, host, history) -> None:
    older = saved(store, "Older", ("one", "1"))
    newer = saved(store, "Newer", ("two", "2"))
    store.rename(newer.id, "Newer")  # touched last: the newest
    await history.resume("latest")
    await history.resume(older.id[:8])
    assert [c.id for c in host.opened] == [newer.id, older.id]


async def test_resume_with_nothing_or_an_unknown_id_says_so(store, host, history) -> None:
    await history.resume("latest")
    await history.resume("feedbeef")
    assert host.opened == []
    assert host.notes[0][0] == "There is no saved conversation to resume yet."
    assert host.notes[1][1:] == ("Resume", "warning")


async def test_choosing_a_conversation_opens_it_and_focuses_the_prompt(
    store, host, history
) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    await history.open(animals.id)
    assert [c.id for c in host.opened] == [animals.id]
    assert texts(host.conversation) == ["axolotl?", "A salamander."]
    await history.open("no-such-id")
    assert len(host.opened) == 1 and host.focused == ["prompt", "prompt"]
    assert host.notes[-1][1:] == ("Open conversation", "error")


async def test_a_conversation_with_a_reply_streaming_is_opened_as_the_live_object(
    store, host, history, replies
) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    live = store.load(animals.id)
    replies.start(live, live.messages[-1], draft=None)
    await history.open(animals.id)
    assert host.conversation is live


async def test_a_hit_on_another_version_opens_that_version(store, host, history) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    old_reply = animals.messages[-1]
    store.regenerate(animals, old_reply.id)  # the newer, empty version is now shown
    await history.open_hit(animals.id, old_reply.id)
    assert [m.id for m in host.conversation.messages][-1] == old_reply.id
    assert [m.id for m in host.flashed] == [old_reply.id]
    assert store.load(animals.id).messages[-1].id == old_reply.id  # the active branch


async def test_a_hit_on_another_version_waits_while_a_reply_streams_there(
    store, host, history, replies
) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    old_reply = animals.messages[-1]
    new = store.regenerate(animals, old_reply.id)
    replies.start(animals, new, draft=None)
    await history.open_hit(animals.id, old_reply.id)
    assert host.flashed == [] and host.notes == [(BUSY_NOTE, "Search", "warning")]


# --- rename, delete, archive ----------------------------------------------------------


async def test_rename_asks_and_saves_the_new_title(store, host, history) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    host.answers = ["Salamanders", None]
    await history.manage("rename", animals.id)
    await history.manage("rename", animals.id)  # cancelled: nothing changes
    assert [s.title for s in store.summaries()] == ["Salamanders"]
    assert host.asked == [("Rename conversation", t) for t in ("Animals", "Salamanders")]
    assert host.summaries[-1] == ["Salamanders"]


async def test_a_rename_the_store_refuses_is_a_notice(store, host, history, monkeypatch) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))

    def refuse(*args: Any) -> None:
        raise StoreError("the disk is full")

    monkeypatch.setattr(store, "rename", refuse)
    host.answers = ["Salamanders"]
    await history.manage("rename", animals.id)
    assert host.notes == [("the disk is full", "Conversation", "error")]
    assert [s.title for s in store.summaries()] == ["Animals"]


async def test_delete_asks_first_and_stops_what_streams_there(
    store, host, history, replies
) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    host.conversation = store.load(animals.id)
    job = replies.start(host.conversation, host.conversation.messages[-1], draft=None)
    host.answers = [False, True]
    await history.manage("delete", animals.id)
    assert store.summaries() != [] and not job.discarded
    await history.manage("delete", animals.id)
    assert store.summaries() == []
    assert job.discarded and isinstance(job.handle, Parked) and job.handle.cancelled
    assert "Its reply still arriving is stopped." in host.asked[0][1]
    assert host.conversation.bot == "default-bot" and not host.conversation.messages
    assert host.notes[-1] == ("Deleted “Animals”.", "Deleted", "information")


async def test_archive_and_unarchive(store, host, history) -> None:
    animals = saved(store, "Animals", ("axolotl?", "A salamander."))
    await history.manage("archive", animals.id)
    assert store.summaries() == [] and store.summaries(archived=True)[0].id == animals.id
    await history.manage("unarchive", animals.id)
    assert [s.id for s in store.summaries()] == [animals.id]
    assert [title for _, title, _ in host.notes] == ["Archived", ""]


async def test_managing_an_unsaved_or_empty_conversation_is_refused(store, host, history) -> None:
    await history.manage_current("rename")  # the open one is new and empty
    await history.manage("delete", "no-such-id")
    assert host.warnings() == [
        "This conversation has no messages yet.",
        "That conversation is not saved.",
    ]
    store.close()
    await history.manage("archive", "no-such-id")
    assert host.notes[-1] == ("the conversation store is closed", "Conversation", "error")


# --- export and import --------------------------------------------------------------


async def test_export_writes_a_new_file_and_never_overwrites(store, host, history, tmp_path):
    host.conversation = saved(store, "Animals", ("axolotl?", "A salamander."))
    target = tmp_path / "animals.md"
    host.answers = [str(target)]
    await history.export("md")
    assert "A salamander." in target.read_text(encoding="utf-8")
    assert host.asked[0][1].startswith("/nowhere/animals-")
    assert export_path_problem(str(target)) is not None  # the modal refuses it now
    assert host.notes[-1] == (f"Exported to {target}", "Export", "information")


async def test_an_export_that_cannot_be_written_says_why(store, host, history, tmp_path):
    host.conversation = saved(store, "Animals", ("axolotl?", "A salamander."))
    (tmp_path / "taken.json").write_text("mine", encoding="utf-8")
    history_unchecked = controller(store, host)
    host.answers = [str(tmp_path / "taken.json")]
    host.ask_text = _unchecked(host.ask_text)  # type: ignore[method-assign]
    await history_unchecked.export("json")
    assert (tmp_path / "taken.json").read_text(encoding="utf-8") == "mine"
    assert host.notes[-1][1:] == ("Export", "error")
    assert host.notes[-1][0].startswith(f"Could not write {tmp_path / 'taken.json'}")


def _unchecked(ask: Callable[..., Awaitable[str | None]]) -> Callable[..., Any]:
    """The question without its check: as if the file appeared after it was answered."""

    async def ask_unchecked(title: str, value: str, *, check: Any = None) -> str | None:
        return await ask(title, value)

    return ask_unchecked


async def test_export_of_an_empty_conversation_is_refused(host, history) -> None:
    await history.export("md")
    assert host.asked == [] and host.warnings() == ["Nothing to export yet."]


async def test_import_adds_the_conversation_and_opens_it(store, host, history, tmp_path):
    original = Conversation(bot="echo")
    original.add_user_message("imported question")
    original.messages.append(Message("assistant", "imported answer", "echo"))
    source = tmp_path / "in.json"
    source.write_text(to_json(original), encoding="utf-8")
    host.answers = [str(source)]
    await history.import_conversation()
    assert texts(host.conversation) == ["imported question", "imported answer"]
    assert texts(store.load(host.conversation.id)) == texts(host.conversation)


async def test_importing_a_bad_file_is_explained(store, host, history, tmp_path) -> None:
    source = tmp_path / "bad.json"
    source.write_text(json.dumps({"not": "an export"}), encoding="utf-8")
    host.answers = [str(source)]
    await history.import_conversation()
    assert host.opened == [] and store.summaries() == []
    assert host.notes[-1][0].startswith(f"{source}: ")
    assert host.notes[-1][1:] == ("Import", "error")


def test_file_slug() -> None:
    assert file_slug("Hello, World! ✨") == "hello-world"
    assert file_slug("✨") == "conversation"


# --- edit -----------------------------------------------------------------------------


async def test_an_edit_is_a_new_version_whose_reply_starts(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("first", "r1"), ("second", "r2"))
    old_second = host.conversation.messages[2]
    history.edit(old_second)
    assert host.edits == [old_second]
    await history.send_edited(old_second, "second, better")
    assert texts(host.conversation)[:3] == ["first", "r1", "second, better"]
    [(reply, draft, continuing)] = host.started
    assert reply is host.conversation.messages[-1] and reply.role == "assistant"
    assert (draft, continuing) == ("second, better", False)
    assert host.synced == 1 and host.versions[-1]  # the arrows show two versions now
    info = store.branch_info(host.conversation.messages[2].id)
    assert (info.position, info.count) == (2, 2)


async def test_an_edited_prompt_keeps_its_files(store, host, history) -> None:
    from poe_tui.core.attachments import MessageFile

    host.conversation = saved(store, "Q", ("look", "seen"))
    prompt = host.conversation.messages[0]
    prompt.attachments = [MessageFile(name="a.png", content_type="image/png", size=1)]
    await history.send_edited(prompt, "look again")
    new = host.conversation.messages[0]
    assert new is not prompt and new.attachments == prompt.attachments
    assert host.linked == [new]


async def test_edits_are_refused_while_the_reply_streams_or_the_prompt_is_gone(
    store, host, history, replies
) -> None:
    host.conversation = saved(store, "Q", ("first", "r1"))
    elsewhere = Message("user", "not here", "echo")
    await history.send_edited(elsewhere, "text")
    replies.start(host.conversation, host.conversation.messages[-1], draft=None)
    history.edit_last()
    assert host.edits == [] and host.started == []
    assert host.warnings() == ["That prompt is no longer shown here.", BUSY_NOTE]


async def test_an_edit_the_store_refuses_starts_nothing(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("first", "r1"))
    prompt = host.conversation.messages[0]
    store.close()
    await history.send_edited(prompt, "again")
    assert host.started == [] and texts(host.conversation) == ["first", "r1"]
    assert host.notes == [("the conversation store is closed", "Edit", "error")]


async def test_edit_last_with_no_prompt_says_so(host, history) -> None:
    history.edit_last()
    assert host.warnings() == ["There is no prompt to edit yet."]


# --- regenerate -----------------------------------------------------------------------


async def test_regenerate_adds_a_version_from_the_same_or_a_chosen_bot(
    store, host, history
) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    first = host.conversation.messages[-1]
    await history.regenerate_last(choose_bot=False)
    host.answers = ["other-bot"]
    await history.regenerate_last(choose_bot=True)
    assert [reply.bot for reply, _, _ in host.started] == ["echo", "other-bot"]
    new = host.started[-1][0]
    assert host.conversation.messages[-1] is new and new.created_at == NOW
    assert store.branch_info(new.id).count == 3
    assert store.branch_info(first.id).sibling_ids[0] == first.id


async def test_regenerate_is_refused_when_sending_is_or_the_picker_is_dismissed(
    store, host, history
) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    host.answers = [None]
    await history.regenerate_last(choose_bot=True)
    host.sending_allowed = False
    await history.regenerate_last(choose_bot=False)
    host.sending_allowed = True
    host.refused_bots = {"echo"}  # the spending guard's question was declined
    await history.regenerate_last(choose_bot=False)
    assert host.started == [] and store.branch_positions(host.conversation.id) == {}


async def test_a_regeneration_the_store_refuses_is_a_notice(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    store.close()
    await history.regenerate_last(choose_bot=False)
    assert host.started == []
    assert host.notes == [("the conversation store is closed", "Regenerate", "error")]


async def test_regenerate_with_nothing_to_regenerate_says_so(host, history) -> None:
    await history.regenerate_last(choose_bot=False)
    await history.regenerate_last_with_several()
    assert host.warnings() == ["There is no reply to regenerate."] * 2


async def test_several_bots_each_stream_a_version_of_the_turn(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    reply = host.conversation.messages[-1]
    host.refused_bots = {"pricey"}
    host.answers = [["a", "pricey", "b"]]
    await history.regenerate_last_with_several()
    assert [m.bot for m in host.launched] == ["a", "b"]
    assert host.conversation.messages[-1] is host.launched[-1]
    assert store.branch_info(reply.id).count == 3
    assert len(host.replies.jobs) == 2


async def test_several_bots_stop_at_the_first_store_error(store, host, history, monkeypatch):
    host.conversation = saved(store, "Q", ("hi", "hello"))
    original = store.regenerate
    calls = 0

    def fail_second(*args: Any, **kwargs: Any) -> Message:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise StoreError("the disk is full")
        return original(*args, **kwargs)

    monkeypatch.setattr(store, "regenerate", fail_second)
    host.answers = [["a", "b", "c"]]
    await history.regenerate_last_with_several()
    assert [m.bot for m in host.launched] == ["a"]
    assert host.notes == [("the disk is full", "Regenerate", "error")]


# --- continue -------------------------------------------------------------------------


async def test_a_stopped_reply_continues(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("count", "1 2 3"))
    reply = host.conversation.messages[-1]
    reply.status = MessageStatus.STOPPED
    await history.continue_last()
    assert host.started == [(reply, None, True)]
    assert reply.status is MessageStatus.STREAMING


async def test_only_a_reply_cut_short_and_the_latest_continues(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("one", "1"), ("two", "2"))
    await history.continue_last()  # it finished
    earlier = host.conversation.messages[1]
    earlier.status = MessageStatus.STOPPED
    await history.continue_reply(earlier)
    assert host.started == []
    assert host.warnings() == [
        "Only a reply that was stopped or cut off can be continued.",
        "Only the latest reply can be continued.",
    ]


# --- versions -------------------------------------------------------------------------


async def test_switching_versions_back_and_forth(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    first = host.conversation.messages[-1]
    second = store.regenerate(host.conversation, first.id)
    second.text, second.status = "hey", MessageStatus.COMPLETE
    store.save(host.conversation)
    await history.switch_version(second, -1)
    assert texts(host.conversation) == ["hi", "hello"] and host.focused == [first]
    await history.switch_version(first, -1)  # no version before the first: nothing
    await history.switch_version(first, +1)
    assert texts(host.conversation) == ["hi", "hey"]
    assert host.versions[-1] == {first.id: (1, 2), second.id: (2, 2)}


async def test_a_version_streaming_off_the_path_comes_back_as_the_live_object(
    store, host, history, replies
) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    first = host.conversation.messages[-1]
    streaming = store.regenerate(host.conversation, first.id)
    replies.start(host.conversation, streaming, draft=None)
    await history.switch_version(streaming, -1)
    streaming.text = "more arrived meanwhile"
    await history.switch_version(first, +1)
    assert host.conversation.messages[-1] is streaming


async def test_a_version_switch_the_store_refuses_is_a_notice(store, host, history) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    reply = host.conversation.messages[-1]
    store.close()
    await history.switch_version(reply, -1)
    await history.show_versions()
    assert host.notes == [("the conversation store is closed", "Versions", "error")]
    assert host.versions == [{}]  # the arrows are a convenience: none, and no notice


async def test_versions_read_for_a_chat_left_meanwhile_are_not_shown(store, host) -> None:
    host.conversation = saved(store, "Q", ("hi", "hello"))
    store.regenerate(host.conversation, host.conversation.messages[-1].id)
    held = asyncio.Event()
    release = asyncio.Event()

    async def gated(call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        held.set()
        await release.wait()
        return await asyncio.to_thread(call, *args, **kwargs)

    history = controller(store, host, offload=gated)
    reading = asyncio.create_task(history.show_versions())
    await held.wait()
    host.conversation = saved(store, "Other", ("yo", "hey"))  # the user opened another
    release.set()
    await reading
    assert host.versions == []

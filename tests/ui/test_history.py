"""Conversations that last, through Pilot: search, rename, delete, archive, export and
import; edit a prompt, regenerate and continue a reply, and switch between versions.

The app runs against the local Poe server over loopback with a real SqliteStore (a file
in a temp dir), so what the UI does is checked in the database too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from poe_tui.core.conversation import CONTINUE_REQUEST, Conversation, Message, MessageStatus
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.confirm import ConfirmScreen
from poe_tui.ui.screens.model_picker import ModelPickerScreen
from poe_tui.ui.screens.text_prompt import TextPromptScreen
from poe_tui.ui.widgets.conversation_list import ConversationList
from poe_tui.ui.widgets.conversation_view import WINDOW, ConversationView
from poe_tui.ui.widgets.message_view import MessageView
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.pilot import chat, screen_text, send, settled, wait_until

SIZE = (130, 40)


@pytest.fixture
def store(tmp_path: Path) -> SqliteStore:
    with SqliteStore(tmp_path / "history.db") as opened:
        yield opened


@pytest.fixture
def build(make_app: Callable[..., PoeApp], store: SqliteStore) -> Callable[[str], PoeApp]:
    def make(bot: str = "echo") -> PoeApp:
        return make_app(bot, store=store)

    return make


def saved(
    store: SqliteStore, title: str, *turns: tuple[str, str], bot: str = "echo"
) -> Conversation:
    conversation = Conversation(bot=bot)
    for question, answer in turns:
        conversation.add_user_message(question)
        conversation.messages.append(Message("assistant", answer, bot))
    conversation.title, conversation.titled = title, True
    store.save(conversation)
    return conversation


def entries(pilot: Pilot[Any]) -> list[str]:
    options = chat(pilot).query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


def notes(pilot: Pilot[Any]) -> list[str]:
    return [n.message for n in pilot.app._notifications]


def view_of(pilot: Pilot[Any], message: Message) -> MessageView:
    view = chat(pilot).query_one(ConversationView).view_for(message)
    assert view is not None
    return view


async def highlight(pilot: Pilot[Any], title: str) -> None:
    """Focus the conversation list with the entry titled `title` highlighted."""
    options = chat(pilot).query_one(OptionList)
    options.focus()
    options.highlighted = next(i for i, e in enumerate(entries(pilot)) if e.startswith(title))
    await pilot.pause()


async def modal(pilot: Pilot[Any], kind: type) -> Any:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    await pilot.pause()
    return pilot.app.screen


# --- the list: search ------------------------------------------------------------------------


async def test_search_finds_messages_and_opens_the_conversation_at_the_hit(build, store) -> None:
    turns = [(f"question {i}", f"answer {i}") for i in range(30)]
    turns[2] = ("tell me about the axolotl", "The axolotl is a salamander.")
    long_one = saved(store, "Animals", *turns)
    saved(store, "Cooking", ("how long to boil an egg", "About nine minutes."))
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("ctrl+f")
        assert isinstance(app.focused, Input) and app.focused.id == "history-search"
        await pilot.press(*"axolotl")
        await wait_until(pilot, lambda: chat(pilot).query_one(ConversationList).searching)
        await wait_until(pilot, lambda: len(entries(pilot)) == 2)
        assert all("axolotl" in e.casefold() for e in entries(pilot))
        assert "2 matches" in screen_text(chat(pilot), "#list-mode")
        await pilot.press("enter")  # opens the first result
        await wait_until(pilot, lambda: chat(pilot).conversation.id == long_one.id)
        hit = next(m for m in chat(pilot).conversation.messages if "axolotl" in m.text)
        # The hit is far above the newest messages the pane mounts first: paged in and shown.
        await wait_until(pilot, lambda: app.focused is view_of(pilot, hit))
        assert view_of(pilot, hit).has_class("-hit")
        assert len(chat(pilot).query(MessageView)) > WINDOW
        await pilot.press("ctrl+f", "escape")  # Esc clears the search: the full list is back
        await wait_until(pilot, lambda: not chat(pilot).query_one(ConversationList).searching)
        assert [e.split("\n")[0] for e in entries(pilot)] == ["Cooking", "Animals"]


async def test_search_matches_titles_too_and_says_when_nothing_matches(build, store) -> None:
    saved(store, "Holiday plans", ("where to go", "Lisbon."))
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        chat(pilot).query_one(ConversationList).focus_search()
        await pilot.press(*"holiday")
        await wait_until(pilot, lambda: entries(pilot)[:1] and "Holiday plans" in entries(pilot)[0])
        chat(pilot).query_one("#history-search", Input).value = "zebra"
        await wait_until(pilot, lambda: not entries(pilot))
        assert "0 matches" in screen_text(chat(pilot), "#list-mode")


async def test_a_hit_on_an_older_version_switches_to_that_version(build, store) -> None:
    conversation = saved(store, "Versions", ("first wording", "reply one"))
    store.edit_user_message(conversation, conversation.messages[0].id, "second wording")
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        chat(pilot).query_one(ConversationList).focus_search()
        await pilot.press(*"first")
        await wait_until(pilot, lambda: any("first" in e for e in entries(pilot)))
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat(pilot).conversation.id == conversation.id)
        await wait_until(
            pilot, lambda: chat(pilot).conversation.messages[0].text == "first wording"
        )
        first_reply = chat(pilot).conversation.messages[1]
        assert first_reply.text == "reply one" and view_of(pilot, first_reply).is_mounted
        assert "second wording" not in screen_text(chat(pilot), ".user-text")


# --- the list: rename, delete, archive ---------------------------------------------------


async def test_rename_from_the_list_keeps_the_modal_open_on_an_empty_title(build, store) -> None:
    conversation = saved(store, "Old title", ("hi", "hello"))
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await highlight(pilot, "Old title")
        await pilot.press("r")
        prompt = await modal(pilot, TextPromptScreen)
        field = prompt.query_one(Input)
        assert field.value == "Old title"
        field.value = "   "
        await pilot.press("enter")
        await pilot.pause()
        assert pilot.app.screen is prompt  # not taken, still open, error shown
        assert "cannot be empty" in str(prompt.query_one("#text-prompt-error").render())
        field.value = "Trip to Lisbon"
        await pilot.press("enter")
        await wait_until(pilot, lambda: entries(pilot) and entries(pilot)[0].startswith("Trip"))
        assert store.load(conversation.id).title == "Trip to Lisbon"


async def test_delete_asks_first_and_then_really_deletes(build, store) -> None:
    keep = saved(store, "Keep me", ("a", "b"))
    doomed = saved(store, "Delete me", ("c", "d"))
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await chat(pilot).open_conversation(store.get(doomed.id))
        await highlight(pilot, "Delete me")
        await pilot.press("d")
        question = await modal(pilot, ConfirmScreen)
        assert "cannot be undone" in str(question.query_one("#confirm-body").render())
        await pilot.press("enter")  # Enter is "Cancel" on a dangerous question
        await wait_until(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))
        assert {s.id for s in store.summaries()} == {keep.id, doomed.id}
        await highlight(pilot, "Delete me")
        await pilot.press("delete")
        await modal(pilot, ConfirmScreen)
        await pilot.press("y")
        await wait_until(pilot, lambda: [s.id for s in store.summaries()] == [keep.id])
        # The open conversation was the deleted one: a fresh one takes its place.
        await wait_until(pilot, lambda: not chat(pilot).conversation.messages)
        assert not chat(pilot).query(MessageView)
        assert any("Deleted" in n for n in notes(pilot))


async def test_archive_hides_and_the_archived_view_brings_it_back(build, store) -> None:
    saved(store, "Active", ("a", "b"))
    old = saved(store, "Old project", ("c", "d"))
    app = build()
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await highlight(pilot, "Old project")
        await pilot.press("a")
        await wait_until(pilot, lambda: len(entries(pilot)) == 1)
        assert [s.id for s in store.summaries(archived=True)] == [old.id]
        await pilot.press("v")  # the archived chats
        await wait_until(pilot, lambda: entries(pilot)[:1] and "Old project" in entries(pilot)[0])
        assert "unarchive" in screen_text(chat(pilot), "#list-mode")
        await highlight(pilot, "Old project")
        await pilot.press("a")
        await wait_until(pilot, lambda: not store.summaries(archived=True))
        await pilot.click("#toggle-archived")  # and back, with the mouse
        await wait_until(pilot, lambda: len(entries(pilot)) == 2)


# --- editing, regenerating, continuing ----------------------------------------------------------


async def test_edit_and_resend_keeps_the_old_version_and_can_switch_back(build, store) -> None:
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await send(pilot, "draft one")
        prompt_message = chat(pilot).conversation.messages[0]
        prompt = chat(pilot).query_one(PromptInput)
        prompt.load_text("half-typed")
        view_of(pilot, prompt_message).focus()
        await pilot.press("e")
        assert prompt.editing is prompt_message and prompt.text == "draft one"
        assert prompt.has_class("-editing")
        prompt.load_text("draft two")
        await pilot.press("enter")
        screen = chat(pilot)
        await wait_until(
            pilot, lambda: screen.job is None and len(screen.conversation.messages) == 2
        )
        await wait_until(pilot, lambda: screen.conversation.messages[-1].is_finished)
        first, reply = screen.conversation.messages
        assert first.text == "draft two" and "draft two" in reply.text
        assert prompt.editing is None and not prompt.has_class("-editing")
        assert store.branch_info(first.id).count == 2
        await wait_until(pilot, lambda: view_of(pilot, first).branch == (2, 2))
        nav = view_of(pilot, first).query_one(".branch-label")
        assert "prompt 2/2" in str(nav.render())
        view_of(pilot, first).focus()
        await pilot.press("left")  # the older version, with its own reply
        await wait_until(pilot, lambda: screen.conversation.messages[0].text == "draft one")
        assert "draft one" in screen.conversation.messages[1].text
        assert "draft two" not in screen_text(screen, ".user-text")
        assert store.load(screen.conversation.id).messages[0].text == "draft one"


async def test_escape_cancels_an_edit_and_gives_back_the_draft(build) -> None:
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await send(pilot, "original")
        prompt = chat(pilot).query_one(PromptInput)
        prompt.load_text("my draft")
        await chat(pilot).run_action("edit_last_prompt")
        assert prompt.text == "original"
        await pilot.press("escape")
        assert prompt.editing is None and prompt.text == "my draft"
        assert len(chat(pilot).conversation.messages) == 2


async def test_regenerate_adds_a_version_and_another_bot_can_answer(build, store) -> None:
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        first = await send(pilot, "say something")
        view_of(pilot, first).focus()
        await pilot.press("g")
        screen = chat(pilot)
        await wait_until(pilot, lambda: screen.conversation.messages[-1] is not first)
        await wait_until(pilot, lambda: screen.job is None)
        second = screen.conversation.messages[-1]
        assert second.status is MessageStatus.COMPLETE and "say something" in second.text
        assert store.branch_info(second.id).count == 2
        view_of(pilot, second).focus()
        await pilot.press("b")  # with another bot: the picker asks which
        await modal(pilot, ModelPickerScreen)
        await pilot.press(*"demo-showcase", "enter")
        await wait_until(pilot, lambda: screen.conversation.messages[-1].bot == "demo-showcase")
        await wait_until(pilot, lambda: screen.job is None)
        third = screen.conversation.messages[-1]
        assert third.text.startswith("# Welcome to poe-tui")
        assert store.branch_info(third.id).count == 3
        assert screen.conversation.bot == "echo"  # the conversation keeps its own bot
        view_of(pilot, third).focus()
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.conversation.messages[-1].id == second.id)


async def test_continue_carries_on_a_stopped_reply(build, fake_poe) -> None:
    app = build("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        words = " ".join(f"w{i}" for i in range(40))
        reply = await send(pilot, words, wait=False)
        await wait_until(pilot, lambda: len(reply.text) > 10)
        await pilot.press("escape")
        screen = chat(pilot)
        await wait_until(pilot, lambda: screen.job is None)
        assert reply.status is MessageStatus.STOPPED
        partial = reply.text
        view_of(pilot, reply).focus()
        await pilot.press("c")
        await wait_until(pilot, lambda: screen.job is not None or reply.is_finished)
        await wait_until(pilot, lambda: screen.job is None, timeout=30)
        assert reply.status is MessageStatus.COMPLETE
        assert reply.text.startswith(partial) and len(reply.text) > len(partial)
        assert len(screen.conversation.messages) == 2  # the same reply, carried on
        sent = fake_poe.state.requests_to("/bot/slow-echo")[-1].body["query"]
        assert [m["role"] for m in sent] == ["user", "bot", "user"]
        assert sent[1]["content"] == partial and sent[2]["content"] == CONTINUE_REQUEST
        assert "stopped" not in screen_text(screen, ".reply-footer")


async def test_keys_that_do_not_apply_are_refused_politely(build) -> None:
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        reply = await send(pilot, "hi")
        view = view_of(pilot, reply)
        assert not view.check_action("continue_reply", ())  # it finished: nothing to continue
        assert not view.check_action("edit", ())  # replies are not edited
        assert not view.check_action("branch", (-1,))  # only one version
        await chat(pilot).run_action("continue_last")
        await pilot.pause()
        assert any("stopped or cut off" in n for n in notes(pilot))


# --- export and import -----------------------------------------------------------------------


async def test_export_markdown_and_json_then_import(
    build, store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await send(pilot, "export me please")
        conversation = chat(pilot).conversation
        await pilot.press("f8")
        prompt = await modal(pilot, TextPromptScreen)
        suggested = Path(prompt.query_one(Input).value)
        assert suggested.parent == Path.home() and suggested.suffix == ".md"  # no ~/Downloads
        await pilot.press("enter")
        await wait_until(pilot, lambda: suggested.exists())
        text = suggested.read_text()
        assert text.startswith("---\n") and "export me please" in text
        await pilot.press("f8")  # the same name again: refused, nothing overwritten
        prompt = await modal(pilot, TextPromptScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert "already exists" in str(prompt.query_one("#text-prompt-error").render())
        await pilot.press("escape")
        await chat(pilot).run_action("export_conversation('json')")
        prompt = await modal(pilot, TextPromptScreen)
        exported = Path(prompt.query_one(Input).value)
        await pilot.press("enter")
        await wait_until(pilot, lambda: exported.exists())
        assert json.loads(exported.read_text())["id"] == conversation.id
        store.delete(conversation.id)
        await pilot.press("f9")
        prompt = await modal(pilot, TextPromptScreen)
        prompt.query_one(Input).value = str(exported)
        await pilot.press("enter")
        await wait_until(pilot, lambda: [s.id for s in store.summaries()] == [conversation.id])
        assert chat(pilot).conversation.id == conversation.id
        assert "export me please" in screen_text(chat(pilot), ".user-text")


async def test_importing_a_bad_file_is_explained(build, tmp_path: Path) -> None:
    bad = tmp_path / "not-ours.json"
    bad.write_text('{"hello": "world"}')
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await chat(pilot).run_action("import_conversation")
        prompt = await modal(pilot, TextPromptScreen)
        prompt.query_one(Input).value = str(bad)
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("not-ours.json" in n for n in notes(pilot)))
        assert not chat(pilot).conversation.messages  # nothing half-imported was opened


# --- resuming from the command line ------------------------------------------------------------


def test_resume_flag_parses_with_and_without_an_id() -> None:
    from poe_tui.cli import LATEST, build_parser

    assert build_parser().parse_args(["--resume"]).resume == LATEST
    assert build_parser().parse_args(["--resume", "3fa2"]).resume == "3fa2"
    assert build_parser().parse_args([]).resume is None


@pytest.mark.parametrize("how", ["latest", "prefix"])
async def test_resume_opens_the_conversation_at_start(build, store, how: str) -> None:
    older = saved(store, "Older", ("one", "two"))
    newer = saved(store, "Newer", ("three", "four"))
    target = newer if how == "latest" else older
    app = build()
    app.resume = "latest" if how == "latest" else older.id[:6]
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert chat(pilot).conversation.id == target.id
        assert target.messages[0].text in screen_text(chat(pilot), ".user-text")


async def test_resume_with_an_unknown_id_says_so_and_starts_empty(build, store) -> None:
    saved(store, "Something", ("one", "two"))
    app = build()
    app.resume = "ffffffff"
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert not chat(pilot).conversation.messages
        assert any("No conversation id starts with 'ffffffff'" in n for n in notes(pilot))


def test_a_snippet_highlights_the_matched_words_and_drops_control_codes() -> None:
    from poe_tui.ui.widgets.conversation_list import HIT_CLOSE, HIT_OPEN, snippet_content

    snippet = f"the {HIT_OPEN}axolotl{HIT_CLOSE} is\na \x1b[31msalamander"
    content = snippet_content(snippet)
    assert content.plain == "the axolotl is a salamander"  # the colour code is gone
    marked = [content.plain[span.start : span.end] for span in content.spans]
    assert marked == ["axolotl"]


async def test_a_failed_edit_is_kept_with_its_versions_when_the_chat_goes_on(build, store) -> None:
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await send(pilot, "alpha")
        screen = chat(pilot)
        first_prompt = screen.conversation.messages[0]
        screen.use_bot("fail-server")  # the edited version fails before any text
        await screen.run_action("edit_last_prompt")
        prompt = screen.query_one(PromptInput)
        prompt.load_text("alpha, edited")
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: screen.job is None and len(screen.conversation.messages) == 2
        )
        await wait_until(pilot, lambda: screen.conversation.messages[-1].is_finished)
        assert screen.conversation.messages[-1].status is MessageStatus.FAILED
        screen.use_bot("echo")
        prompt.clear_prompt()
        await send(pilot, "next question")
        texts = [m.text for m in screen.conversation.messages if m.role == "user"]
        assert texts == ["alpha, edited", "next question"]  # the failed version stays
        assert store.branch_info(first_prompt.id).count == 2  # and so does the original
        assert store.load(screen.conversation.id).messages[-2].text == "next question"


async def test_typing_on_a_focused_message_goes_to_the_prompt(build) -> None:
    app = build("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        reply = await send(pilot, "hello")
        prompt = chat(pilot).query_one(PromptInput)
        view_of(pilot, reply).focus()
        await pilot.press(*"test points")  # "e" would edit, "t"... none may act here
        assert app.focused is prompt and prompt.text == "test points"
        assert len(chat(pilot).conversation.messages) == 2  # nothing was resent
        view_of(pilot, chat(pilot).conversation.messages[0]).focus()
        await pilot.press("escape")
        assert app.focused is prompt

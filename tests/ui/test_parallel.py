"""Many replies at once, through Pilot against the local Poe server (issue 8, "Load").

The bots under test are held at a gate after their first words: the test then knows
every stream is open at the same moment (no timing involved), checks that the app still
answers keys and switches conversations, and opens the gate. At the end every reply's
whole text must be in the SQLite file exactly once, with its bot and conversation.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList

from poe_tui.config import Settings
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.store import SqliteStore
from poe_tui.store.turn_log import merged
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.confirm import ConfirmScreen
from poe_tui.ui.screens.several_bots import SeveralBotsScreen
from poe_tui.ui.widgets.conversation_list import (
    FINISHED_NOTE,
    STREAMING_NOTE,
    ConversationList,
)
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support import bots_gate
from tests.support.pilot import chat, send, wait_until, workers_done

SIZE = (130, 40)
GATED_BOTS = bots_gate.GATED_BOTS


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "history.db"


@pytest.fixture
def build(
    make_app: Callable[..., PoeApp], db_path: Path
) -> Callable[[str], tuple[PoeApp, SqliteStore]]:
    opened: list[SqliteStore] = []

    def make(bot: str = "slow-echo") -> tuple[PoeApp, SqliteStore]:
        store = SqliteStore(db_path)
        opened.append(store)
        settings = Settings(default_bot=bot, guard_request_usd=None)
        return make_app(bot, settings=settings, store=store), store

    yield make
    for store in opened:
        store.close()


def expected_reply(prompt: str) -> str:
    return f"You said: {prompt}\n\nAttachments: none · Parameters: none"


def saved_replies(db_path: Path) -> list[tuple[str, str, str, str]]:
    """(conversation id, bot, text, status) of every reply row, read afresh from the file."""
    return [row[:4] for row in saved_rows(db_path)]


def saved_rows(db_path: Path) -> list[tuple[str, str, str, str, str]]:
    """(conversation id, bot, text, status, message id) of every reply row, with what a
    reply still streaming has saved so far (its chunks)."""
    with sqlite3.connect(db_path) as conn:
        rows = conn.execute(
            "SELECT conversation_id, bot, text, status, id FROM messages WHERE role = 'assistant'"
        ).fetchall()
        result = []
        for conversation_id, bot, text, status, message_id in rows:
            chunks = conn.execute(
                "SELECT kind, data FROM reply_chunks WHERE message_id = ? ORDER BY seq",
                (message_id,),
            ).fetchall()
            text = merged(str(text), "", chunks)[0]
            result.append((str(conversation_id), str(bot), text, str(status), str(message_id)))
    return result


def ids(messages: list[Message]) -> set[str]:
    return {m.id for m in messages}


def list_entries(pilot: Pilot[Any]) -> dict[str, str]:
    """Conversation id -> the text of its entry in the list."""
    options = chat(pilot).query_one(OptionList)
    found = {}
    for index in range(options.option_count):
        option = options.get_option_at_index(index)
        if option.id is not None:
            found[option.id] = str(option.prompt)
    return found


async def send_now(pilot: Pilot[Any], text: str) -> tuple[Conversation, Message]:
    """Send `text` in the open conversation; return it and the reply, still streaming."""
    reply = await send(pilot, text, wait=False)
    return chat(pilot).conversation, reply


async def highlight(pilot: Pilot[Any], conversation_id: str) -> None:
    options = chat(pilot).query_one(OptionList)
    ids = [options.get_option_at_index(i).id for i in range(options.option_count)]
    options.focus()
    await pilot.pause()
    options.highlighted = ids.index(conversation_id)
    await pilot.pause()


async def open_from_list(pilot: Pilot[Any], conversation_id: str) -> None:
    """Highlight the conversation's entry in the list and press Enter, as a user would."""
    await highlight(pilot, conversation_id)
    await pilot.press("enter")
    await wait_until(pilot, lambda: chat(pilot).conversation.id == conversation_id)


async def test_ten_conversations_stream_at_once_and_lose_nothing(
    build, gate, db_path, fake_poe
) -> None:
    app, _ = build("slow-echo")
    balance_before = fake_poe.state.balance
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        started: list[tuple[str, Conversation, Message]] = []
        for number in range(10):
            if number:
                await pilot.press("ctrl+n")
                await wait_until(pilot, lambda: not screen.conversation.messages)
            prompt = f"question number {number}"
            conversation, reply = await send_now(pilot, prompt)
            started.append((prompt, conversation, reply))

        # Every reply is open at once (each said its first words, none has finished).
        await wait_until(
            pilot, lambda: len(screen.jobs) == 10 and all(r.text for _, _, r in started)
        )
        assert len({c.id for _, c, _ in started}) == 10
        assert all(r.status is MessageStatus.STREAMING for _, _, r in started)
        entries = list_entries(pilot)
        assert all(STREAMING_NOTE in entries[c.id] for _, c, _ in started)

        # Responsive meanwhile: typing lands in the prompt, switching shows the live reply.
        prompt_input = screen.query_one(PromptInput)
        prompt_input.focus()
        await pilot.press(*"still here")
        await wait_until(pilot, lambda: prompt_input.text == "still here")
        _, first, first_reply = started[0]
        await open_from_list(pilot, first.id)
        view = screen.query_one(ConversationView).view_for(first_reply)
        assert view is not None and view.is_live  # the very Message the stream writes into
        assert screen.job is not None and screen.job.reply is first_reply

        gate.opened.set()
        await wait_until(pilot, lambda: not screen.jobs, timeout=60)
        await workers_done(app)
        await pilot.pause()

        for prompt, _, reply in started:
            assert reply.text == expected_reply(prompt)
            assert reply.status is MessageStatus.COMPLETE
        # Each reply gets its own bill from the points history, none twice.
        await wait_until(pilot, lambda: all(r.points is not None for _, _, r in started))
        spent = balance_before - fake_poe.state.balance
        assert sum(r.points or 0 for _, _, r in started) == spent
        # Finished while the user was elsewhere: marked, except the open conversation.
        entries = list_entries(pilot)
        assert FINISHED_NOTE not in entries[first.id]
        assert all(FINISHED_NOTE in entries[c.id] for _, c, _ in started[1:])
        await open_from_list(pilot, started[1][1].id)
        assert FINISHED_NOTE not in list_entries(pilot)[started[1][1].id]

    rows = saved_replies(db_path)
    assert len(rows) == 10  # each reply exactly once
    by_conversation = {row[0]: row for row in rows}
    for prompt, conversation, _ in started:
        _, bot, text, status = by_conversation[conversation.id]
        assert (bot, text, status) == ("slow-echo", expected_reply(prompt), "complete")


async def test_regenerate_with_several_bots_streams_every_version_at_once(
    build, gate, db_path
) -> None:
    app, _ = build("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        gate.opened.set()  # the first answer comes straight through
        conversation, original = await send_now(pilot, "compare yourselves")
        await wait_until(pilot, lambda: not screen.jobs and original.is_finished)
        gate.opened.clear()

        view = screen.query_one(ConversationView).view_for(original)
        assert view is not None
        view.focus()
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, SeveralBotsScreen))
        picker = app.screen
        assert isinstance(picker, SeveralBotsScreen)
        for name in GATED_BOTS:
            picker.query_one(Input).value = name
            await wait_until(
                pilot,
                lambda name=name: (
                    (model := picker.highlighted_model()) is not None and model.id == name
                ),
            )
            await pilot.press("tab")
        assert picker.marked == list(GATED_BOTS)
        await pilot.press("enter")

        # Three new versions, streaming at once; the last one is shown.
        await wait_until(pilot, lambda: len(screen.jobs) == 3)
        replies = [job.reply for job in screen.jobs]
        await wait_until(pilot, lambda: all(r.text for r in replies))
        assert [r.bot for r in replies] == list(GATED_BOTS)
        assert screen.conversation.messages[-1] is replies[-1]
        shown = screen.query_one(ConversationView).view_for(replies[-1])
        assert shown is not None and shown.branch == (4, 4)
        # The versions not shown are saved as they stream too, each in its own row.
        await wait_until(
            pilot,
            lambda: (
                {r.id: r.text for r in replies}
                == {row[4]: row[2] for row in saved_rows(db_path) if row[4] in ids(replies)}
            ),
        )

        # ←/→ switch between versions while they stream; each is the live object.
        shown.focus()
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.conversation.messages[-1] is replies[1])
        previous = screen.query_one(ConversationView).view_for(replies[1])
        assert previous is not None and previous.is_live and previous.branch == (3, 4)
        previous.focus()
        await pilot.press("left")
        await wait_until(pilot, lambda: screen.conversation.messages[-1] is replies[0])

        gate.opened.set()
        await wait_until(pilot, lambda: not screen.jobs, timeout=30)
        await workers_done(app)
        for reply in replies:
            assert reply.text == expected_reply("compare yourselves")
            assert reply.status is MessageStatus.COMPLETE

    rows = [row for row in saved_replies(db_path) if row[0] == conversation.id]
    assert sorted(row[1] for row in rows) == sorted(["slow-echo", *GATED_BOTS])
    assert all(row[2] == expected_reply("compare yourselves") for row in rows)
    assert all(row[3] == "complete" for row in rows)


async def test_sending_in_another_conversation_while_one_streams(build, gate, db_path) -> None:
    app, _ = build("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        first, first_reply = await send_now(pilot, "the first chat")
        await wait_until(pilot, lambda: bool(first_reply.text))
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: screen.conversation is not first)
        second, second_reply = await send_now(pilot, "the second chat")
        await wait_until(pilot, lambda: len(screen.jobs) == 2)

        # Esc stops the open conversation's reply only.
        await pilot.press("escape")
        await wait_until(pilot, lambda: second_reply.is_finished)
        assert second_reply.status is MessageStatus.STOPPED
        assert first_reply.status is MessageStatus.STREAMING

        gate.opened.set()
        await wait_until(pilot, lambda: not screen.jobs, timeout=30)
        assert first_reply.text == expected_reply("the first chat")
    texts = {row[0]: row[2] for row in saved_replies(db_path)}
    assert texts[first.id] == expected_reply("the first chat")
    assert texts[second.id] == second_reply.text  # what arrived before Esc is kept


async def test_stop_all_replies_from_the_palette_action(build, gate) -> None:
    app, _ = build("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        first, one = await send_now(pilot, "one")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not screen.conversation.messages)
        _, two = await send_now(pilot, "two")
        await wait_until(pilot, lambda: len(screen.jobs) == 2)
        await app.run_action("stop_all_replies", screen)
        await wait_until(pilot, lambda: not screen.jobs)
        assert one.status is two.status is MessageStatus.STOPPED
        # Each stopped prompt comes back to the prompt box, in its own conversation.
        prompt = screen.query_one(PromptInput)
        assert prompt.text == "two"
        prompt.clear_prompt()
        await open_from_list(pilot, first.id)
        assert prompt.text == "one"


async def test_deleting_a_streaming_conversation_stops_it_and_leaves_no_rows(
    build, gate, db_path
) -> None:
    app, store = build("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        doomed, doomed_reply = await send_now(pilot, "delete me while I stream")
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not screen.conversation.messages)
        kept, kept_reply = await send_now(pilot, "archive me while I stream")
        await wait_until(pilot, lambda: len(screen.jobs) == 2)

        await highlight(pilot, doomed.id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "stopped" in str(app.screen.query_one("#confirm-body").render())
        await pilot.press("y")
        await wait_until(pilot, lambda: doomed_reply.is_finished)
        await highlight(pilot, kept.id)
        await pilot.press("a")
        await wait_until(pilot, lambda: not screen.jobs)
        await workers_done(app)
        gate.opened.set()
        await pilot.pause()
        assert doomed_reply.status is kept_reply.status is MessageStatus.STOPPED
        summaries = {s.id for s in store.summaries(archived=None)}
        assert doomed.id not in summaries  # not written back when its stream ended
        assert kept.id in {s.id for s in store.summaries(archived=True)}
    rows = saved_replies(db_path)
    assert [row[0] for row in rows] == [kept.id]
    assert rows[0][2] == kept_reply.text and rows[0][3] == "stopped"


async def test_a_reply_ending_elsewhere_keeps_the_highlight_of_someone_browsing(
    build, gate
) -> None:
    app, _ = build("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        gate.opened.set()
        quiet, _ = await send_now(pilot, "a finished chat")
        await wait_until(pilot, lambda: not screen.jobs)
        gate.opened.clear()
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: not screen.conversation.messages)
        _, busy_reply = await send_now(pilot, "a streaming chat")
        await highlight(pilot, quiet.id)  # the user browses the list...
        gate.opened.set()  # ...while the other reply ends and the list is redrawn
        await wait_until(pilot, lambda: not screen.jobs and busy_reply.is_finished)
        await workers_done(app)
        await pilot.pause()
        assert screen.query_one(ConversationList).highlighted_id == quiet.id

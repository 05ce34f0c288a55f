"""Snapshots of the chat screen (pytest-textual-snapshot), with fixed data and a fixed clock.

Conversations are built in code rather than streamed, so times, tokens and points are
the same on every run; the local server they talk to has an empty points history.
"""

from __future__ import annotations

from typing import Any

import pytest
from textual.pilot import Pilot

from poe_tui.config import Settings
from poe_tui.core.apikey import ApiKey
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.catalogue import SHOWCASE_ASSET, read_asset
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from tests.support.pilot import workers_done

pytestmark = pytest.mark.usefixtures("steady_cursors")

NOW = 1_767_225_600.0  # 2026-01-01 00:00 UTC: every time shown is relative to this
SIZE = (100, 30)


def showcase_conversation() -> Conversation:
    conversation = Conversation(bot="demo-showcase", created_at=NOW - 180)
    prompt = conversation.add_user_message("Show me what replies look like")
    prompt.created_at = NOW - 180
    reply = Message(
        role="assistant",
        text=read_asset(SHOWCASE_ASSET),
        bot="demo-showcase",
        created_at=NOW - 178,
        finished_at=NOW - 174.8,
        completion_tokens=822,
        prompt_tokens=12,
        points=138,
    )
    conversation.messages.append(reply)
    conversation.updated_at = NOW - 174
    return conversation


def failed_conversation() -> Conversation:
    conversation = Conversation(bot="gpt-5", created_at=NOW - 60)
    conversation.add_user_message("Summarise the plot of Hamlet in three lines")
    conversation.messages.append(
        Message(
            role="assistant",
            text="",
            bot="gpt-5",
            status=MessageStatus.FAILED,
            created_at=NOW - 59,
            finished_at=NOW - 58.6,
            error_title="Out of points",
            error_message=(
                "You've used up your points! Visit https://poe.com/api/keys to get more.\n"
                "Get more points at https://poe.com/api/keys."
            ),
        )
    )
    conversation.updated_at = NOW - 58
    return conversation


def build_app(server: FakePoeServer, *conversations: Conversation) -> PoeApp:
    store = SqliteStore.in_memory()
    for conversation in conversations:
        store.save(conversation)
    return PoeApp(
        base_url=server.base_url,
        api_key=ApiKey("snapshot-key"),
        settings=Settings(default_bot="demo-showcase"),
        store=store,
        clock=lambda: NOW,
    )


def opening(conversation: Conversation | None) -> Any:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        assert isinstance(app, PoeApp)
        await workers_done(app)
        if conversation is not None:
            await app.chat_screen.open_conversation(conversation)
        await pilot.pause()
        await workers_done(app)
        await pilot.pause(0.2)

    return run_before


def test_empty_chat(snap_compare: Any, quiet_poe: FakePoeServer) -> None:
    app = build_app(quiet_poe)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(None))


def test_finished_showcase_reply(snap_compare: Any, quiet_poe: FakePoeServer) -> None:
    conversation = showcase_conversation()
    app = build_app(quiet_poe, conversation)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(conversation))


def test_error_in_place(snap_compare: Any, quiet_poe: FakePoeServer) -> None:
    conversation = failed_conversation()
    app = build_app(quiet_poe, showcase_conversation(), conversation)
    assert snap_compare(app, terminal_size=SIZE, run_before=opening(conversation))


def test_narrow_terminal(snap_compare: Any, quiet_poe: FakePoeServer) -> None:
    conversation = showcase_conversation()
    app = build_app(quiet_poe, conversation)
    assert snap_compare(app, terminal_size=(80, 24), run_before=opening(conversation))

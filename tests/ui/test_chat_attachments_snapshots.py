"""Snapshots of attachments: the panel with three files, and a reply with a picture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from poe_tui.config import Settings
from poe_tui.core.apikey import ApiKey
from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Conversation, Message
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.paths import DEMO_IMAGE
from tests.support.pilot import workers_done

pytestmark = pytest.mark.usefixtures("steady_cursors")

NOW = 1_767_225_600.0
SIZE = (100, 30)
PNG = DEMO_IMAGE


def build_app(server: FakePoeServer, store: SqliteStore | None = None) -> PoeApp:
    return PoeApp(
        base_url=server.base_url,
        api_key=ApiKey("snapshot-key"),
        settings=Settings(default_bot="echo"),
        store=store or SqliteStore.in_memory(),
        clock=lambda: NOW,
        upload_url=server.upload_url,
        opener=lambda target: None,
    )


async def settle(pilot: Pilot[Any]) -> None:
    app = pilot.app
    await workers_done(app)
    await pilot.pause()
    await workers_done(app)
    await pilot.pause(0.2)


def test_panel_with_three_files(
    snap_compare: Any, quiet_poe: FakePoeServer, tmp_path: Path
) -> None:
    (tmp_path / "quarterly report.pdf").write_bytes(b"%PDF-1.7\n" + b"x" * 48_000)
    (tmp_path / "notes.md").write_text("# Notes\n" * 40)
    (tmp_path / "sunset.png").write_bytes(PNG.read_bytes())
    app = build_app(quiet_poe)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        screen = app.chat_screen
        for name in ("quarterly report.pdf", "notes.md", "sunset.png"):
            assert await screen.attach_path(tmp_path / name)
        prompt = screen.query_one(PromptInput)
        prompt.load_text("Compare these, please")
        prompt.focus()
        app.clear_notifications()
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_reply_with_a_picture(snap_compare: Any, quiet_poe: FakePoeServer) -> None:
    conversation = Conversation(bot="demo-image", created_at=NOW - 60)
    prompt = conversation.add_user_message("A sunset over the hills")
    prompt.created_at = NOW - 60
    reply = Message(
        role="assistant",
        text="Here is your image for “A sunset over the hills”.",
        bot="demo-image",
        created_at=NOW - 59,
        finished_at=NOW - 57.5,
        points=120,
    )
    reply.attachments.append(
        MessageFile("demo-image.png", "image/png", PNG.stat().st_size, path=PNG)
    )
    conversation.messages.append(reply)
    conversation.updated_at = NOW - 57
    store = SqliteStore.in_memory()
    store.save(conversation)
    app = build_app(quiet_poe, store)

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await app.chat_screen.open_conversation(conversation)
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

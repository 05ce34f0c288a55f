"""The chat screen's controllers are plain classes: driven here without Textual."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.core.apikey import ApiKey
from poe_tui.core.chat import ReplyDelta, TurnRunner
from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.core.guards import GuardLimits
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore, StoreError, TurnLog
from poe_tui.ui.controllers.accounting import AccountingController
from poe_tui.ui.controllers.replies import ReplyController, ReplyJob, ReportingSink


@pytest.mark.parametrize(
    "module", ["poe_tui.ui.controllers.replies", "poe_tui.ui.controllers.accounting"]
)
def test_controllers_import_no_textual(module: str) -> None:
    code = f"import sys, {module}; print(any(m.startswith('textual') for m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.stdout.strip() == "False", done.stderr


class Listener:
    def __init__(self) -> None:
        self.changes: list[tuple[ReplyJob, ReplyDelta, bool]] = []
        self.finished: list[ReplyJob] = []
        self.done = asyncio.Event()

    def reply_changed(self, job: ReplyJob, delta: ReplyDelta, *, wait_changed: bool) -> None:
        self.changes.append((job, delta, wait_changed))

    def uploading(self, job: ReplyJob, index: int, sent: int, total: int) -> None:
        pass

    def reply_finished(self, job: ReplyJob) -> None:
        self.finished.append(job)
        self.done.set()


@pytest.fixture
def client(fake_poe: FakePoeServer) -> Iterator[PoeClient]:
    yield PoeClient(ApiKey("test-key"), base_url=fake_poe.base_url)


def conversation_with(bot: str, prompt: str) -> Conversation:
    conversation = Conversation(bot=bot)
    conversation.add_user_message(prompt)
    return conversation


async def test_replies_stream_and_are_kept(client: PoeClient, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "c.db") as store:
        listener = Listener()
        replies = ReplyController(lambda: TurnRunner(client, TurnLog(store)), listener)
        conversation = conversation_with("echo", "hello")
        job = replies.start(conversation, conversation.start_reply(), draft="hello")
        assert replies.is_busy(conversation) and replies.shown_of(conversation) is job
        await listener.done.wait()
        await client.aclose()
        assert listener.finished == [job] and replies.jobs == []
        assert job.reply.status is MessageStatus.COMPLETE and not job.failed_early
        assert any(delta.text for _, delta, _ in listener.changes)
        assert store.load(conversation.id).messages[-1].text == job.reply.text


async def test_stopping_a_conversation_stops_its_reply(client: PoeClient) -> None:
    from poe_tui.core.chat import NullSink

    listener = Listener()
    replies = ReplyController(lambda: TurnRunner(client, NullSink()), listener)
    conversation = conversation_with("demo-count", "count")
    job = replies.start(conversation, conversation.start_reply(), draft="count")
    while not job.reply.text:
        await asyncio.sleep(0.01)
    replies.stop_conversation(conversation.id, discard=True)
    await listener.done.wait()
    await client.aclose()
    assert job.discarded and job.reply.status is MessageStatus.STOPPED
    assert job.failed_early  # stopped: the prompt goes back to the user


def test_a_failing_history_is_reported_not_raised() -> None:
    class Broken:
        def open_reply(self, *args: object) -> None:
            raise StoreError("disk full")

        append_reply = close_reply = open_reply

    reported: list[Exception] = []
    loop = asyncio.new_event_loop()
    try:
        sink = ReportingSink(Broken(), (StoreError,), reported.append, loop)
        conversation = conversation_with("echo", "hi")
        sink.open_reply(conversation, conversation.start_reply())  # no exception
        loop.run_until_complete(asyncio.sleep(0))
    finally:
        loop.close()
    assert [str(e) for e in reported] == ["disk full"]


async def test_accounting_guards_and_waivers(client: PoeClient) -> None:
    accounting = AccountingController(names_for=lambda bot: {bot}, clock=lambda: 1.8e9)
    update = await accounting.refresh(client)
    await client.aclose()
    assert update.balance is not None and accounting.last_balance is not None
    limits = GuardLimits(request_price_usd=None, low_balance_points=10**9)
    (warning,) = accounting.warnings("c1", "echo", None, limits)  # the balance is "low"
    assert warning.kind == "balance"
    accounting.waive("c1", "ECHO")
    assert accounting.warnings("c1", "echo", None, limits) == []
    assert accounting.warnings("c2", "echo", None, limits) != []

"""The one turn runner (core/chat), against the local Poe server over loopback.

What the app, `ask` and "regenerate with several bots" rely on: every door gives the
same reply; each batch is in the history before anyone is told about it; a failure, a
cancellation or a bug ends the reply in the history, never halfway; files go with the
prompt; a fast stream costs fewer commits than events.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from poe_tui.core.apikey import ApiKey
from poe_tui.core.attachments import MessageFile
from poe_tui.core.chat import NullSink, ReplyDelta, Turn, TurnRunner, reduce_events
from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.errors import ServerError
from poe_tui.core.events import ReplaceResponse, Retrying, TextDelta, ThinkingDelta
from poe_tui.core.transports.registry import Transport
from poe_tui.core.uploads import local_upload_url
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore, TurnLog

ECHO = "You said: hello\n\nAttachments: none · Parameters: none"


class Recorder:
    """A sink and an observer at once, logging what happened in order."""

    def __init__(self, inner: Any = None) -> None:
        self.inner = inner or NullSink()
        self.log: list[tuple[str, str]] = []
        self.saved = ""  # the answer as far as the history has it

    def open_reply(self, conversation: Conversation, reply: Message) -> None:
        self.inner.open_reply(conversation, reply)
        self.saved = reply.text
        self.log.append(("open", reply.status.value))

    def append_reply(self, conversation: Conversation, reply: Message, delta: ReplyDelta) -> None:
        self.inner.append_reply(conversation, reply, delta)
        self.saved = (self.saved if delta.replaced is None else delta.replaced) + delta.text
        self.log.append(("append", delta.text))

    def close_reply(self, conversation: Conversation, reply: Message) -> None:
        self.inner.close_reply(conversation, reply)
        self.saved = reply.text
        self.log.append(("close", reply.status.value))

    def reply_changed(self, turn: Turn, delta: ReplyDelta) -> None:
        # What the front end may show now was saved first.
        assert turn.reply.text == self.saved, "shown before it was saved"
        self.log.append(("shown", delta.text))

    def uploading(self, turn: Turn, index: int, sent: int, total: int) -> None:
        self.log.append(("upload", f"{index}:{sent}/{total}"))

    def kinds(self) -> list[str]:
        return [kind for kind, _ in self.log]


@pytest.fixture
def client(fake_poe: FakePoeServer) -> Iterator[PoeClient]:
    yield PoeClient(ApiKey("test-key"), base_url=fake_poe.base_url)


def turn_for(bot: str, prompt: str, transport: Transport = Transport.NATIVE) -> Turn:
    conversation = Conversation(bot=bot, transport=transport.value)
    conversation.add_user_message(prompt)
    return Turn.for_reply(conversation, conversation.start_reply())


@pytest.mark.parametrize("transport", [Transport.NATIVE, Transport.OPENAI])
async def test_every_door_gives_the_same_reply_saved_before_shown(
    client: PoeClient, transport: Transport
) -> None:
    recorder = Recorder()
    turn = turn_for("echo", "hello", transport)
    await TurnRunner(client, recorder).run(turn, recorder)
    await client.aclose()
    assert turn.reply.text == ECHO
    assert turn.reply.status is MessageStatus.COMPLETE
    assert turn.reply.first_token_at is not None and turn.reply.finished_at is not None
    kinds = recorder.kinds()
    assert kinds[0] == "open" and recorder.log[-1] == ("close", "complete")
    shown = [i for i, (kind, text) in enumerate(recorder.log) if kind == "shown" and text]
    assert "append" in kinds and kinds.index("append") < shown[0]


async def test_the_history_has_the_reply_when_it_ends(client: PoeClient, tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "c.db") as store:
        recorder = Recorder(TurnLog(store))
        turn = turn_for("echo", "hello")
        store.save(turn.conversation)
        await TurnRunner(client, recorder).run(turn, recorder)
        await client.aclose()
        (_, kept) = store.load(turn.conversation.id).messages
        assert (kept.text, kept.status) == (ECHO, MessageStatus.COMPLETE)
        assert [h.message_id for h in store.search("said")] == [turn.reply.id]


async def test_a_failure_ends_in_the_reply(client: PoeClient) -> None:
    recorder = Recorder()
    turn = turn_for("fail-midstream", "hello")
    await TurnRunner(client, recorder).run(turn, recorder)
    await client.aclose()
    reply = turn.reply
    assert reply.status is MessageStatus.FAILED
    assert reply.text.startswith("Let me think about that.")  # what arrived is kept
    assert reply.error_title and turn.failure is not None
    assert recorder.log[-1] == ("close", "failed")


async def test_cancelling_stops_the_reply_and_keeps_what_arrived(
    client: PoeClient, tmp_path: Path
) -> None:
    recorder = Recorder()
    turn = turn_for("demo-count", "count")
    task = asyncio.ensure_future(TurnRunner(client, recorder).run(turn, recorder))
    while "n0003" not in turn.reply.text:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await client.aclose()
    assert turn.reply.status is MessageStatus.STOPPED
    assert turn.reply.text.startswith("n0001 n0002 n0003 ")
    assert recorder.log[-1] == ("close", "stopped")
    assert recorder.saved == turn.reply.text


async def test_a_bug_in_the_history_marks_the_reply_and_is_raised(client: PoeClient) -> None:
    class BrokenSink(NullSink):
        def append_reply(self, conversation: Conversation, reply: Message, delta: Any) -> None:
            raise RuntimeError("disk on fire")

    closed: list[MessageStatus] = []

    class Watching(BrokenSink):
        def close_reply(self, conversation: Conversation, reply: Message) -> None:
            closed.append(reply.status)

    turn = turn_for("echo", "hello")
    with pytest.raises(RuntimeError, match="disk on fire"):
        await TurnRunner(client, Watching()).run(turn, Recorder())
    await client.aclose()
    assert turn.reply.status is MessageStatus.FAILED
    assert turn.reply.error_message == "RuntimeError: disk on fire"
    assert closed == [MessageStatus.FAILED]


async def test_a_whole_reply_is_reduced_like_a_stream(client: PoeClient) -> None:
    recorder = Recorder()
    turn = turn_for("echo", "hello", Transport.OPENAI)
    await TurnRunner(client, recorder).run(turn, recorder, stream=False)
    await client.aclose()
    assert (turn.reply.text, turn.reply.status) == (ECHO, MessageStatus.COMPLETE)
    assert turn.reply.completion_tokens is not None


async def test_files_go_with_the_prompt(
    client: PoeClient, fake_poe: FakePoeServer, tmp_path: Path
) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("remember the milk")
    conversation = Conversation(bot="echo")
    prompt = conversation.add_user_message("what is in the file?")
    prompt.attachments = [MessageFile("notes.txt", "text/plain", note.stat().st_size, path=note)]
    turn = Turn.for_reply(conversation, conversation.start_reply())
    recorder = Recorder()
    uploader = client.uploader(local_upload_url(fake_poe.base_url))
    await TurnRunner(client, recorder, uploader=uploader).run(turn, recorder)
    await client.aclose()
    assert "notes.txt" in turn.reply.text.split("Attachments:")[1]
    assert "upload" in recorder.kinds()


async def test_a_fast_stream_is_saved_in_fewer_batches_than_events(client: PoeClient) -> None:
    """While a batch is being saved the next events queue up and are saved together."""

    async def slow_offload(call: Any, *args: Any) -> Any:
        await asyncio.sleep(0.01)
        return call(*args)

    recorder = Recorder()
    turn = turn_for("demo-showcase", "show me")
    await TurnRunner(client, recorder, offload=slow_offload).run(turn, recorder)
    await client.aclose()
    appends = recorder.kinds().count("append")
    assert turn.reply.status is MessageStatus.COMPLETE
    assert 1 <= appends < len(turn.reply.text.split()) / 3  # the bot sends ~3 words a chunk


def test_the_reducer_keeps_order_and_replacements() -> None:
    delta = reduce_events(
        [
            TextDelta("draft "),
            ThinkingDelta("hmm"),
            ReplaceResponse("Final"),
            TextDelta(" answer"),
        ]
    )
    assert (delta.replaced, delta.text, delta.thinking) == ("Final", " answer", "hmm")
    waiting = reduce_events([TextDelta("a"), Retrying(2, 4, 1.0, ServerError("x"))])
    assert waiting.wait is not None
    assert reduce_events([Retrying(2, 4, 1.0, ServerError("x")), TextDelta("b")]).wait is None

"""The turn runner: from a `Turn` to a finished reply, for every front end.

One turn: the reply row is committed, files are uploaded (native) or encoded (others),
the request goes out through the client's limiter and retrier, and events stream back.
Events that arrive while the last batch is being saved are taken together: each batch is
folded by the reducer, committed through the sink, and only then applied to the reply
and announced to the observer. So nothing is ever shown that is not in the history, and
a fast stream costs one commit per batch, not per token.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, Protocol

from poe_tui.core.attachments import FileSender
from poe_tui.core.chat.reducer import ReplyDelta, apply_delta, reduce_events
from poe_tui.core.chat.sink import TurnSink
from poe_tui.core.chat.turn import Turn
from poe_tui.core.conversation import MessageStatus
from poe_tui.core.errors import PoeError
from poe_tui.core.events import (
    Done,
    FileOutput,
    Retrying,
    StreamEvent,
    StreamFailed,
    SuggestedReply,
    TextDelta,
    ThinkingDelta,
    Throttled,
    Usage,
)
from poe_tui.core.messages import ChatMessage

if TYPE_CHECKING:
    from poe_tui.core.client import PoeClient
    from poe_tui.core.uploads import Uploader

Offload = Callable[..., Awaitable[Any]]
UNEXPECTED = "Unexpected error"


class TurnObserver(Protocol):
    """What a front end hears of a running turn (all calls come on the event loop)."""

    def reply_changed(self, turn: Turn, delta: ReplyDelta) -> None:
        """`delta` is saved and applied to `turn.reply` (also: a wait began or ended)."""
        ...

    def uploading(self, turn: Turn, index: int, sent: int, total: int) -> None:
        """File `index` of the prompt: `sent` of `total` bytes are on their way."""
        ...


class _End:
    """Put on the queue when the stream is over (or `error` broke the reading)."""

    def __init__(self, error: BaseException | None = None) -> None:
        self.error = error


_Queue = asyncio.Queue[StreamEvent | _End]


class TurnRunner:
    """Runs turns for one client and one history."""

    def __init__(
        self,
        client: PoeClient,
        sink: TurnSink,
        *,
        uploader: Uploader | None = None,
        clock: Callable[[], float] = time.time,
        offload: Offload = asyncio.to_thread,
    ) -> None:
        self.client = client
        self.sink = sink
        self.uploader = uploader
        self.clock = clock
        # Sink calls block on the disk: off the event loop, in a thread by default.
        self._offload = offload

    async def run(self, turn: Turn, observer: TurnObserver, *, stream: bool = True) -> None:
        """Produce `turn.reply`. Poe's failures end in the reply (status FAILED, error
        fields) and `turn.failure`; a cancellation stops it (STOPPED, kept) and is
        re-raised; anything unforeseen marks it failed and is re-raised."""
        reply = turn.reply
        await self._offload(self.sink.open_reply, turn.conversation, reply)
        try:
            try:
                history = await self._with_files(turn, observer)
            except PoeError as error:
                self._apply(turn, observer, ReplyDelta(failure=error))
            else:
                await self._stream(turn, history, observer, stream=stream)
        except asyncio.CancelledError:
            reply.status = MessageStatus.STOPPED
            self._close_now(turn)
            raise
        except Exception as error:
            reply.status = MessageStatus.FAILED
            reply.error_title = UNEXPECTED
            reply.error_message = f"{type(error).__name__}: {error}"
            self._close_now(turn)
            raise
        if reply.status is MessageStatus.STREAMING:  # the stream ended without a verdict
            reply.status = MessageStatus.COMPLETE
        reply.finished_at = self.clock()
        turn.conversation.touch()
        await self._offload(self.sink.close_reply, turn.conversation, reply)

    def _close_now(self, turn: Turn) -> None:
        """Close on the way out of a cancellation or a bug: awaiting is not safe there,
        and one commit keeps what was shown."""
        turn.reply.finished_at = self.clock()
        turn.conversation.touch()
        self.sink.close_reply(turn.conversation, turn.reply)

    async def _with_files(self, turn: Turn, observer: TurnObserver) -> list[ChatMessage]:
        if not turn.has_files:
            return turn.history
        sender = FileSender(turn.transport, self.uploader, turn.conversation.id)

        def progress(index: int, sent: int, total: int) -> None:
            observer.uploading(turn, index, sent, total)

        return await sender.with_files(turn.history, turn.files_by_turn, progress)

    def _events(
        self, turn: Turn, history: list[ChatMessage], stream: bool, queue: _Queue
    ) -> AsyncIterator[StreamEvent]:
        if stream:
            return self.client.stream_chat(
                turn.bot, history, parameters=turn.parameters, transport=turn.transport
            )
        return self._whole_reply(turn, history, queue.put_nowait)

    async def _stream(
        self, turn: Turn, history: list[ChatMessage], observer: TurnObserver, *, stream: bool
    ) -> None:
        queue: _Queue = asyncio.Queue()
        pump = asyncio.create_task(_pump(self._events(turn, history, stream, queue), queue))
        try:
            ended = False
            while not ended:
                batch, end = await _take_batch(queue)
                ended = end is not None
                if end is not None and end.error is not None:
                    raise end.error
                delta = reduce_events(batch)
                if delta.has_content:
                    await self._offload(
                        self.sink.append_reply, turn.conversation, turn.reply, delta
                    )
                self._apply(turn, observer, delta)
        finally:
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump

    def _apply(self, turn: Turn, observer: TurnObserver, delta: ReplyDelta) -> None:
        apply_delta(turn.reply, delta, now=self.clock())
        if delta.failure is not None:
            turn.failure = delta.failure
        observer.reply_changed(turn, delta)

    async def _whole_reply(
        self,
        turn: Turn,
        history: list[ChatMessage],
        on_wait: Callable[[Retrying | Throttled], None],
    ) -> AsyncIterator[StreamEvent]:
        """A reply asked for whole (`ask --no-stream`), as the events a stream would have
        given, so both paths are reduced and saved alike. Waits before it go straight
        onto the queue (`on_wait`), as a stream's own `Retrying` events would."""
        try:
            reply = await self.client.chat(
                turn.bot,
                history,
                parameters=turn.parameters,
                transport=turn.transport,
                on_wait=on_wait,
            )
        except PoeError as error:
            yield StreamFailed(error)
            return
        if reply.thinking:
            yield ThinkingDelta(reply.thinking)
        yield TextDelta(reply.text)
        for file in reply.files:
            yield FileOutput(url=file.url, content_type=file.content_type, name=file.name)
        for suggestion in reply.suggested_replies:
            yield SuggestedReply(suggestion)
        if reply.total_tokens is not None:
            yield Usage(reply.prompt_tokens or 0, reply.completion_tokens or 0, reply.total_tokens)
        yield Done(reply.finish_reason)


async def _pump(events: AsyncIterator[StreamEvent], queue: _Queue) -> None:
    """Read the stream while the consumer saves: what arrives meanwhile forms a batch."""
    end = _End()
    try:
        async for event in events:
            queue.put_nowait(event)
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a bug in reading: the consumer re-raises it
        end = _End(error)
    finally:
        with contextlib.suppress(Exception):
            await events.aclose()  # type: ignore[attr-defined]
        queue.put_nowait(end)


async def _take_batch(queue: _Queue) -> tuple[list[StreamEvent], _End | None]:
    """Everything queued now (waiting for one item if none is)."""
    items = [await queue.get()]
    while not queue.empty():
        items.append(queue.get_nowait())
    events: list[StreamEvent] = []
    for item in items:
        if isinstance(item, _End):
            return events, item
        events.append(item)
    return events, None

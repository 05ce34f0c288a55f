"""The replies streaming now, in any conversation, each run by the core's turn runner.

`ReplyController` starts a `ReplyJob` per reply (several at once: one per conversation,
and several versions of one turn), tells the screen what changed through
`ReplyListener`, and never touches a widget.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from poe_tui.core.chat import ReplyDelta, Turn, TurnRunner, TurnSink
from poe_tui.core.conversation import Conversation, Message, MessageStatus


class Cancellable(Protocol):
    def cancel(self) -> Any: ...


Spawn = Callable[[Coroutine[Any, Any, None]], Cancellable]


@dataclass(slots=True, eq=False)
class ReplyJob:
    """One reply being produced, and what to put back in the prompt if it fails early."""

    turn: Turn
    draft: str | None
    handle: Cancellable | None = None
    discarded: bool = False  # its conversation was deleted: nothing more is shown
    waiting: bool = False  # a retry notice is counting down under the reply
    error: BaseException | None = field(default=None)  # a bug that ended it, if any

    @property
    def conversation(self) -> Conversation:
        return self.turn.conversation

    @property
    def reply(self) -> Message:
        return self.turn.reply

    @property
    def is_shown(self) -> bool:
        return self.turn.is_shown

    @property
    def failed_early(self) -> bool:
        """It ended before any text: the prompt (and its files) go back to the user."""
        reply = self.reply
        failed = reply.status is MessageStatus.FAILED and not reply.text.strip()
        return failed or reply.status is MessageStatus.STOPPED

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()


class ReplyListener(Protocol):
    """What the screen hears (on the event loop)."""

    def reply_changed(self, job: ReplyJob, delta: ReplyDelta, *, wait_changed: bool) -> None:
        """`delta` is saved and in the reply; `wait_changed`: a retry notice should
        appear (`delta.wait`) or go (None)."""
        ...

    def uploading(self, job: ReplyJob, index: int, sent: int, total: int) -> None: ...

    def reply_finished(self, job: ReplyJob) -> None: ...


class _JobObserver:
    """Adapts the runner's observer calls to one job."""

    def __init__(self, job: ReplyJob, listener: ReplyListener) -> None:
        self.job = job
        self.listener = listener

    def reply_changed(self, turn: Turn, delta: ReplyDelta) -> None:
        # A wait ends with whatever comes next, possibly in a later batch.
        wait_changed = delta.wait is not None or self.job.waiting
        self.job.waiting = delta.wait is not None
        self.listener.reply_changed(self.job, delta, wait_changed=wait_changed)

    def uploading(self, turn: Turn, index: int, sent: int, total: int) -> None:
        self.listener.uploading(self.job, index, sent, total)


class ReplyController:
    def __init__(
        self,
        make_runner: Callable[[], TurnRunner],
        listener: ReplyListener,
        *,
        spawn: Spawn | None = None,
    ) -> None:
        # Made with the first reply: the runner needs the HTTP client, which is kept
        # off the way to the first frame.
        self._make_runner = make_runner
        self._runner: TurnRunner | None = None
        self.listener = listener
        # The screen runs jobs as Textual workers; tests can use plain tasks.
        self._spawn: Spawn = spawn or asyncio.ensure_future
        self.jobs: list[ReplyJob] = []

    def start(
        self,
        conversation: Conversation,
        reply: Message,
        *,
        draft: str | None,
        continuing: bool = False,
    ) -> ReplyJob:
        """Stream `reply` (already in `conversation.messages`) in a job of its own."""
        job = ReplyJob(Turn.for_reply(conversation, reply, continuing=continuing), draft)
        self.jobs.append(job)
        job.handle = self._spawn(self._run(job))
        return job

    async def _run(self, job: ReplyJob) -> None:
        if self._runner is None:
            self._runner = self._make_runner()
        try:
            await self._runner.run(job.turn, _JobObserver(job, self.listener))
        except asyncio.CancelledError:
            self._finished(job)
            raise
        except Exception as error:  # a bug, not Poe's failure: the reply says so
            job.error = error
        self._finished(job)

    def _finished(self, job: ReplyJob) -> None:
        if job in self.jobs:
            self.jobs.remove(job)
        self.listener.reply_finished(job)

    # --- which replies ------------------------------------------------------------------

    def of(self, conversation: Conversation) -> list[ReplyJob]:
        return [job for job in self.jobs if job.conversation.id == conversation.id]

    def shown_of(self, conversation: Conversation) -> ReplyJob | None:
        """The reply streaming into `conversation` (the shown version first)."""
        mine = self.of(conversation)
        shown = [job for job in mine if job.is_shown]
        candidates = shown or mine
        return candidates[0] if candidates else None

    def is_busy(self, conversation: Conversation) -> bool:
        """The shown reply of `conversation` is still arriving."""
        return any(job.is_shown for job in self.of(conversation))

    def streaming_ids(self) -> set[str]:
        return {job.conversation.id for job in self.jobs}

    # --- stopping -----------------------------------------------------------------------

    def cancel_shown(self, conversation: Conversation) -> None:
        """Stop the shown reply of `conversation`, else all of its versions."""
        mine = self.of(conversation)
        for job in [job for job in mine if job.is_shown] or mine:
            job.cancel()

    def cancel_all(self) -> None:
        for job in list(self.jobs):
            job.cancel()

    def stop_conversation(self, conversation_id: str, *, discard: bool = False) -> None:
        """Stop every reply of a conversation being archived or deleted (`discard`: it
        is gone, so nothing of it is shown again)."""
        for job in list(self.jobs):
            if job.conversation.id == conversation_id:
                job.discarded = job.discarded or discard
                job.cancel()


class ReportingSink:
    """A sink whose storage errors are reported, not raised: a failing history must not
    end a reply; what is on screen stays and the user is told (`report` runs on the
    event loop, whichever thread the error happened in)."""

    def __init__(
        self,
        inner: TurnSink,
        errors: tuple[type[Exception], ...],
        report: Callable[[Exception], None],
        loop: asyncio.AbstractEventLoop,
    ) -> None:
        self.inner = inner
        self.errors = errors
        self.report = report
        self.loop = loop

    def _guard(self, call: Callable[[], None]) -> None:
        try:
            call()
        except self.errors as error:
            self.loop.call_soon_threadsafe(self.report, error)

    def open_reply(self, conversation: Conversation, reply: Message) -> None:
        self._guard(lambda: self.inner.open_reply(conversation, reply))

    def append_reply(self, conversation: Conversation, reply: Message, delta: ReplyDelta) -> None:
        self._guard(lambda: self.inner.append_reply(conversation, reply, delta))

    def close_reply(self, conversation: Conversation, reply: Message) -> None:
        self._guard(lambda: self.inner.close_reply(conversation, reply))

"""Saving a reply while it streams, in batches.

One commit per delta would be thousands of fsyncs a minute; one commit at the end
loses everything on a crash. So text is written at most every `interval` seconds or
every `max_chars` characters, whichever comes first, and always at `finish`. A kill -9
loses at most the last batch, and the row stays "streaming" until the next open marks
it interrupted (see `SqliteStore`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING

from poe_tui.core.conversation import Conversation, Message, MessageStatus

if TYPE_CHECKING:
    from poe_tui.store.sqlite_store import SqliteStore

DEFAULT_INTERVAL = 0.5
DEFAULT_MAX_CHARS = 4000


class ReplyWriter:
    """Appends to `message` and writes it through `store` in batches.

    Call `append(delta)` per text delta (or mutate the message yourself and call
    `sync()`), then `finish(status)`. As a context manager, an exception that escapes
    marks the reply stopped (cancelled) or failed, and what arrived is written.
    """

    def __init__(
        self,
        store: SqliteStore,
        conversation: Conversation,
        message: Message,
        *,
        interval: float = DEFAULT_INTERVAL,
        max_chars: int = DEFAULT_MAX_CHARS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.conversation = conversation
        self.message = message
        self.interval = interval
        self.max_chars = max_chars
        self._clock = clock
        self._last_flush = clock()
        self._pending = 0
        self._first_token_at: float | None = None
        self.flushes = 0

    def append(self, text: str) -> None:
        if not text:
            return
        self._note_first_token()
        self.message.text += text
        self._pending += len(text)
        self.sync()

    def replace(self, text: str) -> None:
        """The whole answer so far (the native protocol's replace_response)."""
        self._note_first_token()
        self.message.text = text
        self._pending += len(text)
        self.sync()

    def sync(self) -> None:
        """Write if a batch is due; for callers that change the message themselves."""
        if self.message.text:
            self._note_first_token()
        due = self._clock() - self._last_flush >= self.interval
        if due or self._pending >= self.max_chars:
            self.flush()

    def flush(self) -> None:
        self.conversation.touch()
        self.store.flush_reply(self.conversation, self.message, self._first_token_at)
        self._last_flush = self._clock()
        self._pending = 0
        self.flushes += 1

    def finish(self, status: MessageStatus = MessageStatus.COMPLETE) -> None:
        """Mark the reply ended (unless the caller already did) and write it now."""
        if self.message.status is MessageStatus.STREAMING:
            self.message.status = status
        if self.message.finished_at is None:
            self.message.finished_at = time.time()
        self.flush()

    def _note_first_token(self) -> None:
        if self._first_token_at is None:
            self._first_token_at = time.time()

    def __enter__(self) -> ReplyWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is None:
            self.finish()
            return
        if isinstance(exc, asyncio.CancelledError | KeyboardInterrupt):
            self.finish(MessageStatus.STOPPED)
            return
        if self.message.status is MessageStatus.STREAMING:
            self.message.error_title = self.message.error_title or "Unexpected error"
            self.message.error_message = f"{type(exc).__name__}: {exc}"
        self.finish(MessageStatus.FAILED)

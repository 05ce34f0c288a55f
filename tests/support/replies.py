"""Writing replies into a store as the turn runner does, without a server."""

from __future__ import annotations

from poe_tui.core.chat import ReplyDelta, apply_delta
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.store import SqliteStore, TurnLog


def stream_into(
    store: SqliteStore, conversation: Conversation, reply: Message, *parts: str
) -> None:
    """Append `parts` to an open reply, each saved before it is applied."""
    log = TurnLog(store)
    for part in parts:
        delta = ReplyDelta(text=part)
        log.append_reply(conversation, reply, delta)
        apply_delta(reply, delta, now=0.0)


def finish(
    store: SqliteStore,
    conversation: Conversation,
    reply: Message,
    status: MessageStatus = MessageStatus.COMPLETE,
) -> None:
    reply.status = status
    reply.finished_at = reply.finished_at or 1.0
    TurnLog(store).close_reply(conversation, reply)


def write_reply(
    store: SqliteStore,
    conversation: Conversation,
    reply: Message,
    text: str,
    status: MessageStatus = MessageStatus.COMPLETE,
) -> None:
    """A whole reply, streamed in and finished."""
    TurnLog(store).open_reply(conversation, reply)
    stream_into(store, conversation, reply, text)
    finish(store, conversation, reply, status)

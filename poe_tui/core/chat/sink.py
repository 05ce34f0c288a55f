"""Where a turn is kept: the protocol the runner writes through.

The store implements it (`store.TurnLog`); `NullSink` keeps nothing (`ask --no-save`).
Every method is synchronous and may block on the disk: the runner calls them off the
event loop, one at a time per turn, in this order: `open_reply`, any number of
`append_reply`, then exactly one `close_reply` (also when the turn fails or is stopped).
"""

from __future__ import annotations

from typing import Protocol

from poe_tui.core.chat.reducer import ReplyDelta
from poe_tui.core.conversation import Conversation, Message


class TurnSink(Protocol):
    def open_reply(self, conversation: Conversation, reply: Message) -> None:
        """Commit the reply as it is now (empty, or the text a continuation extends),
        marked streaming, together with whatever else the conversation needs saved."""
        ...

    def append_reply(self, conversation: Conversation, reply: Message, delta: ReplyDelta) -> None:
        """Commit `delta` (answer and thinking text), before it is shown. Must cost time
        in proportion to the delta, not to the reply."""
        ...

    def close_reply(self, conversation: Conversation, reply: Message) -> None:
        """Commit the finished reply whole (status, usage, files, suggestions) and make it
        searchable."""
        ...


class NullSink:
    """Keeps nothing: for a turn whose history is not wanted."""

    def open_reply(self, conversation: Conversation, reply: Message) -> None:
        return None

    def append_reply(self, conversation: Conversation, reply: Message, delta: ReplyDelta) -> None:
        return None

    def close_reply(self, conversation: Conversation, reply: Message) -> None:
        return None

"""What one turn sends, worked out once from the conversation.

The app and `ask` both build a `Turn` from a `Conversation` (its bot, transport and
parameters), so they cannot disagree on what goes on the wire.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Conversation, Message
from poe_tui.core.errors import PoeError
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports.registry import Transport, sendable_parameters


@dataclass(slots=True)
class Turn:
    """One reply to produce, and everything it is sent with.

    What goes on the wire is taken when the turn is made, while the reply is still on the
    conversation's shown path: a later regeneration beside it changes that path.
    """

    conversation: Conversation
    reply: Message
    transport: Transport
    parameters: dict[str, Any] | None
    history: list[ChatMessage]
    # Each user turn's files, in order, for the uploads or inline parts of the request.
    files_by_turn: list[list[MessageFile]] = field(default_factory=list)
    continuing: bool = False
    failure: PoeError | None = None  # what ended the turn, when it failed

    @classmethod
    def for_reply(
        cls, conversation: Conversation, reply: Message, *, continuing: bool = False
    ) -> Turn:
        """The turn that produces `reply` (already in `conversation.messages`): a new
        reply, a retry, or with `continuing` the rest of a reply cut short."""
        messages = conversation.messages
        index = next((i for i, m in enumerate(messages) if m is reply), len(messages))
        earlier = messages[:index]
        if continuing:
            history = conversation.history_to_continue(reply)
        else:
            history = conversation.history(upto=reply)
        transport = Transport.parse(conversation.transport)
        return cls(
            conversation=conversation,
            reply=reply,
            transport=transport,
            parameters=sendable_parameters(transport, conversation.parameters),
            history=history,
            files_by_turn=[list(m.attachments) for m in earlier if m.role == "user"],
            continuing=continuing,
        )

    @property
    def bot(self) -> str:
        return self.reply.bot

    @property
    def has_files(self) -> bool:
        return any(self.files_by_turn)

    @property
    def prompt(self) -> Message | None:
        """The user message this reply answers."""
        messages = self.conversation.messages
        index = next((i for i, m in enumerate(messages) if m is self.reply), len(messages))
        earlier = [m for m in messages[:index] if m.role == "user"]
        return earlier[-1] if earlier else None

    @property
    def is_shown(self) -> bool:
        """The reply is on its conversation's shown path (not another version)."""
        return any(m is self.reply for m in self.conversation.messages)

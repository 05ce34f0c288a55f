"""Conversations as plain data, shaped so a store can plug in.

The UI keeps the text here, not in widgets (DESIGN.md section 4): a widget shows a
`Message`, and a store persists `Conversation`s through the
`ConversationStore` protocol (`store.SqliteStore`, in a file or in memory).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, Protocol

from poe_tui.core.attachments import MessageFile
from poe_tui.core.messages import ChatMessage
from poe_tui.core.text import strip_terminal_controls

TITLE_LENGTH = 48


class MessageStatus(Enum):
    COMPLETE = "complete"
    STREAMING = "streaming"
    STOPPED = "stopped"  # cancelled by the user; what arrived is kept
    FAILED = "failed"  # an error ended it; what arrived is kept


# Sent (not shown) to continue a reply: the three APIs have no "continue" of their own.
CONTINUE_REQUEST = (
    "Your previous message was cut off. Continue it exactly where it stopped, without "
    "repeating anything already written and without any preamble."
)


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(slots=True)
class Message:
    role: Literal["user", "assistant"]
    text: str
    bot: str
    status: MessageStatus = MessageStatus.COMPLETE
    id: str = field(default_factory=new_id)
    created_at: float = field(default_factory=time.time)
    finished_at: float | None = None
    first_token_at: float | None = None  # when the first answer or thinking text arrived
    thinking: str = ""
    error_title: str | None = None
    error_message: str | None = None
    error_retryable: bool = False
    suggested_replies: list[str] = field(default_factory=list)
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    points: int | None = None
    # What a user message was sent with (None: not recorded, e.g. older rows).
    transport: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    # A `meta` event asked for plain text: show the reply without Markdown.
    plain_text: bool = False
    # Files the user attached, or the bot sent back (issue 5).
    attachments: list[MessageFile] = field(default_factory=list)

    @property
    def is_finished(self) -> bool:
        return self.status is not MessageStatus.STREAMING


@dataclass(slots=True)
class Conversation:
    bot: str
    title: str = "New conversation"
    id: str = field(default_factory=new_id)
    messages: list[Message] = field(default_factory=list)
    created_at: float = field(default_factory=time.time)
    updated_at: float = field(default_factory=time.time)
    titled: bool = False
    # How the next message goes out: a `core.transport.Transport` value. Native is the
    # default because it is the only API that serves every bot and custom parameters.
    transport: str = "native"
    # Custom parameter values for the current bot (only the ones the user set).
    parameters: dict[str, Any] = field(default_factory=dict)

    def new_prompt(self, text: str) -> Message:
        """A user message with the bot, transport and parameters it goes out with."""
        return Message(
            role="user",
            text=text,
            bot=self.bot,
            transport=self.transport,
            parameters=dict(self.parameters),
        )

    def add_user_message(self, text: str) -> Message:
        message = self.new_prompt(text)
        self.messages.append(message)
        if not self.titled:
            self.title = make_title(text)
            self.titled = True
        self.touch()
        return message

    def start_reply(self) -> Message:
        message = Message(role="assistant", text="", bot=self.bot, status=MessageStatus.STREAMING)
        self.messages.append(message)
        self.touch()
        return message

    def touch(self) -> None:
        self.updated_at = time.time()

    def history(self, *, upto: Message | None = None) -> list[ChatMessage]:
        """What to send: earlier turns, skipping failed and empty replies."""
        result: list[ChatMessage] = []
        for message in self.messages:
            if message is upto:
                break
            if message.role == "assistant" and (
                message.status is MessageStatus.FAILED or not message.text.strip()
            ):
                continue
            result.append(ChatMessage(message.role, message.text))
        return result

    def history_to_continue(self, reply: Message) -> list[ChatMessage]:
        """What to send so a bot carries on `reply` where it stopped: the turns before it,
        the partial reply as the bot's own, and a request to go on without repeating."""
        return [
            *self.history(upto=reply),
            ChatMessage("assistant", reply.text),
            ChatMessage("user", CONTINUE_REQUEST),
        ]

    @property
    def total_points(self) -> int:
        return sum(m.points or 0 for m in self.messages)


def make_title(prompt: str) -> str:
    """A title from the first prompt: its first line, shortened on a word boundary.

    Without control characters: a title is shown in many places (list, prompts,
    notifications), and a pasted prompt may carry escape sequences.
    """
    prompt = strip_terminal_controls(prompt)
    first_line = next((line.strip() for line in prompt.splitlines() if line.strip()), "")
    text = " ".join(first_line.split()) or "New conversation"
    if len(text) <= TITLE_LENGTH:
        return text
    cut = text[: TITLE_LENGTH - 1].rsplit(" ", 1)[0]
    return (cut if len(cut) > TITLE_LENGTH // 2 else text[: TITLE_LENGTH - 1]) + "…"


def can_continue(message: Message) -> bool:
    """A reply that ended early with some text can be asked to go on."""
    ended_early = message.status in (MessageStatus.STOPPED, MessageStatus.FAILED)
    return message.role == "assistant" and ended_early and bool(message.text.strip())


class ConversationStore(Protocol):
    """Where conversations live; `store.SqliteStore` implements this."""

    def list_conversations(self) -> list[Conversation]:
        """Newest activity first."""
        ...

    def save(self, conversation: Conversation) -> None:
        """Persist the conversation and its messages (called as they change)."""
        ...

    def delete(self, conversation_id: str) -> None: ...

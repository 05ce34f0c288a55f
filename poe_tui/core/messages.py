"""What a conversation sends: roles, text and attachments, transport-neutral."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file a message carries, by URL (an uploaded file's URL, or a data: URL)."""

    url: str
    content_type: str
    name: str
    inline_ref: str | None = None
    parsed_content: str | None = None


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str
    attachments: tuple[Attachment, ...] = ()


@dataclass(frozen=True, slots=True)
class ChatReply:
    """A whole reply, as the non-streaming call returns it."""

    text: str
    finish_reason: str | None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    thinking: str = ""
    suggested_replies: tuple[str, ...] = ()
    files: tuple[Attachment, ...] = ()

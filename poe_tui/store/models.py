"""Plain records the store hands out besides `Conversation` and `Message`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class ConversationSummary:
    """One row of the conversations list: cheap, no messages loaded."""

    id: str
    title: str
    bot: str
    created_at: float
    updated_at: float
    points: int  # every reply's points, on every branch: points spent are spent
    message_count: int
    archived: bool


@dataclass(frozen=True, slots=True)
class SearchHit:
    """A message that matches a search; `rank` is bm25, lower is better."""

    conversation_id: str
    message_id: str
    snippet: str
    rank: float
    title: str = ""
    role: str = "user"
    created_at: float = 0.0


@dataclass(frozen=True, slots=True)
class AttachmentRef:
    """A file stored once by content hash; `name` and `mime` are per use."""

    sha256: str
    name: str
    mime: str
    size: int


@dataclass(frozen=True, slots=True)
class BranchInfo:
    """Where a message sits among its siblings (edits or regenerations of one turn)."""

    position: int  # 1-based, in creation order
    count: int
    sibling_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class MessageExtras:
    """What a row knows that `core.Message` has no field for (yet)."""

    parent_id: str | None
    transport: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    first_token_at: float | None = None
    attachments: tuple[AttachmentRef, ...] = ()

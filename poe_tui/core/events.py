"""Typed stream events: the seam between the wire formats and the UI.

Every transport turns its stream into these small frozen dataclasses, so widgets never
see httpx, JSON or SSE. A stream ends with exactly one `Done` or one `StreamFailed`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from poe_tui.core.errors import PoeError


@dataclass(frozen=True, slots=True)
class TextDelta:
    """More answer text, to append to what arrived before."""

    text: str


@dataclass(frozen=True, slots=True)
class ReplaceResponse:
    """The whole answer so far, replacing everything shown (native protocol)."""

    text: str


@dataclass(frozen=True, slots=True)
class SuggestedReply:
    """A follow-up prompt the bot proposes; not part of the answer."""

    text: str


@dataclass(frozen=True, slots=True)
class ThinkingDelta:
    """Reasoning text, shown apart from the answer."""

    text: str


@dataclass(frozen=True, slots=True)
class FileOutput:
    """A file the bot sent back (native `file` event or a link in the reply)."""

    url: str
    content_type: str
    name: str
    inline_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Meta:
    """How to show the reply (native `meta`, honoured only as the first event)."""

    content_type: str = "text/markdown"  # or "text/plain": do not render Markdown
    suggested_replies: bool = False
    linkify: bool = False


@dataclass(frozen=True, slots=True)
class JsonData:
    """A native `json` event we do not turn into anything else (e.g. tool-call chunks)."""

    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Usage:
    """Token counts reported for the reply."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


@dataclass(frozen=True, slots=True)
class Done:
    """The reply finished normally."""

    finish_reason: str | None = None


@dataclass(frozen=True, slots=True)
class StreamFailed:
    """The reply failed; `error.retryable` says whether trying again may help."""

    error: PoeError


@dataclass(frozen=True, slots=True)
class Retrying:
    """Nothing reached the user yet and `error` is transient: attempt `attempt` of
    `max_attempts` starts in `delay` seconds (cancel the stream to give up)."""

    attempt: int
    max_attempts: int
    delay: float
    error: PoeError


@dataclass(frozen=True, slots=True)
class Throttled:
    """The client-side limit (requests a minute per key) is full: the request goes
    out in `delay` seconds."""

    delay: float


StreamEvent = (
    TextDelta
    | ReplaceResponse
    | SuggestedReply
    | ThinkingDelta
    | FileOutput
    | Meta
    | JsonData
    | Usage
    | Done
    | StreamFailed
    | Retrying
    | Throttled
)

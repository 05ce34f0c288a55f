"""The fold of stream events: what a run of them changes in a reply.

It knows only the events, so the doors can use it too (`wire.collect_reply`) without
depending on the turn; `core.chat.reducer.apply_delta` writes a delta into a `Message`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from poe_tui.core.errors import PoeError
from poe_tui.core.events import (
    Done,
    FileOutput,
    Meta,
    ReplaceResponse,
    Retrying,
    StreamEvent,
    StreamFailed,
    SuggestedReply,
    TextDelta,
    ThinkingDelta,
    Throttled,
    Usage,
)


@dataclass(slots=True)
class ReplyDelta:
    """What a run of events changes in a reply.

    `replaced` (a native `replace_response`) restarts the answer; `text` follows it.
    """

    text: str = ""
    replaced: str | None = None
    thinking: str = ""
    suggestions: list[str] = field(default_factory=list)
    files: list[FileOutput] = field(default_factory=list)
    plain_text: bool | None = None
    usage: Usage | None = None
    done: Done | None = None
    failure: PoeError | None = None
    wait: Retrying | Throttled | None = None  # the newest wait, if nothing came after it

    @property
    def has_content(self) -> bool:
        """Whether the answer or its thinking grew or changed (what is worth saving
        before it is shown)."""
        return bool(self.text or self.thinking) or self.replaced is not None

    @property
    def ended(self) -> bool:
        return self.done is not None or self.failure is not None

    def add(self, event: StreamEvent) -> None:
        """Fold one event in (the order of text events is kept)."""
        if not isinstance(event, Retrying | Throttled):
            self.wait = None
        match event:
            case TextDelta(text=text):
                self.text += text
            case ReplaceResponse(text=text):
                self.replaced, self.text = text, ""
            case ThinkingDelta(text=text):
                self.thinking += text
            case SuggestedReply(text=text):
                self.suggestions.append(text)
            case FileOutput():
                self.files.append(event)
            case Meta(content_type=content_type):
                self.plain_text = content_type == "text/plain"
            case Usage():
                self.usage = event
            case Done():
                self.done = event
            case StreamFailed(error=error):
                self.failure = error
            case Retrying() | Throttled():
                self.wait = event
            case _:
                pass  # JsonData: nothing of the reply (tool calls come with the tools issue)


def reduce_events(events: Iterable[StreamEvent]) -> ReplyDelta:
    delta = ReplyDelta()
    for event in events:
        delta.add(event)
    return delta

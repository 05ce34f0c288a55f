"""The one reducer: stream events in, changes to a reply out.

Events are folded into a `ReplyDelta` first and applied to the `Message` second, so the
runner can save a delta before anyone can see it (the history is never behind the
screen). Nothing else in poe-tui applies stream events to a message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Message, MessageStatus
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
    files: list[MessageFile] = field(default_factory=list)
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
            case FileOutput(url=url, content_type=content_type, name=name):
                self.files.append(MessageFile(name or "file", content_type, url=url))
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


def apply_delta(reply: Message, delta: ReplyDelta, *, now: float) -> None:
    """Write `delta` into `reply` (the text lives in the model, not in widgets)."""
    if delta.replaced is not None:
        reply.text = delta.replaced
    if delta.text:
        reply.text += delta.text
    if delta.thinking:
        reply.thinking += delta.thinking
    if delta.has_content and reply.first_token_at is None:
        reply.first_token_at = now
    reply.suggested_replies.extend(delta.suggestions)
    reply.attachments.extend(delta.files)
    if delta.plain_text is not None:
        reply.plain_text = delta.plain_text
    if delta.usage is not None:
        reply.prompt_tokens = delta.usage.prompt_tokens
        reply.completion_tokens = delta.usage.completion_tokens
    if delta.failure is not None:
        mark_failed(reply, delta.failure)
    elif delta.done is not None:
        reply.status = MessageStatus.COMPLETE


def mark_failed(reply: Message, error: PoeError) -> None:
    reply.status = MessageStatus.FAILED
    reply.error_title = error.title
    # Message has no hint field, so the hint rides on its own line of the message.
    reply.error_message = f"{error.message}\n{error.hint}" if error.hint else error.message
    reply.error_retryable = error.retryable


def reset_for_retry(reply: Message, now: float) -> None:
    """Empty a finished reply so it can be asked for again in place."""
    reply.text = ""
    reply.thinking = ""
    reply.status = MessageStatus.STREAMING
    reply.error_title = reply.error_message = None
    reply.error_retryable = False
    reply.suggested_replies = []
    reply.attachments = []
    reply.plain_text = False
    reply.prompt_tokens = reply.completion_tokens = reply.points = None
    reply.created_at = now
    reply.first_token_at = None
    reply.finished_at = None

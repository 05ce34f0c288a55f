"""The one reducer: stream events in, changes to a reply out.

Events are folded into a `ReplyDelta` first and applied to the `Message` second, so the
runner can save a delta before anyone can see it (the history is never behind the
screen). Nothing else in poe-tui applies stream events to a message.
"""

from __future__ import annotations

from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Message, MessageStatus
from poe_tui.core.delta import ReplyDelta, reduce_events
from poe_tui.core.errors import PoeError

__all__ = ["ReplyDelta", "apply_delta", "mark_failed", "reduce_events", "reset_for_retry"]


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
    reply.attachments.extend(
        MessageFile(file.name or "file", file.content_type, url=file.url) for file in delta.files
    )
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

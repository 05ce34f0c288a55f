"""Rows to `Message`s and back, and who is writing a streaming row."""

from __future__ import annotations

import json
import os
import sqlite3
import time
import uuid
from typing import Any

from poe_tui.core.conversation import Message, MessageStatus

# Columns read into a Message, in this order (see `to_message`).
MESSAGE_COLUMNS = (
    "id, role, text, bot, status, created_at, finished_at, thinking, error_title, "
    "error_message, error_retryable, suggested_replies, prompt_tokens, completion_tokens, "
    "points, transport, parameters, first_token_at"
)

UPSERT_MESSAGE = """
INSERT INTO messages (
    id, conversation_id, parent_id, role, text, bot, status, created_at, finished_at,
    written_at, thinking, error_title, error_message, error_retryable, suggested_replies,
    prompt_tokens, completion_tokens, points, writer, transport, parameters, first_token_at
) VALUES (
    :id, :conversation_id, :parent_id, :role, :text, :bot, :status, :created_at,
    :finished_at, :written_at, :thinking, :error_title, :error_message, :error_retryable,
    :suggested_replies, :prompt_tokens, :completion_tokens, :points, :writer, :transport,
    :parameters, :first_token_at
)
ON CONFLICT(id) DO UPDATE SET
    text = excluded.text, bot = excluded.bot, status = excluded.status,
    finished_at = excluded.finished_at, written_at = excluded.written_at,
    thinking = excluded.thinking, error_title = excluded.error_title,
    error_message = excluded.error_message, error_retryable = excluded.error_retryable,
    suggested_replies = excluded.suggested_replies, prompt_tokens = excluded.prompt_tokens,
    completion_tokens = excluded.completion_tokens, points = excluded.points,
    writer = excluded.writer,
    first_token_at = COALESCE(excluded.first_token_at, messages.first_token_at),
    transport = COALESCE(excluded.transport, messages.transport),
    parameters = CASE WHEN excluded.parameters = '{}' THEN messages.parameters
        ELSE excluded.parameters END
WHERE messages.conversation_id = excluded.conversation_id
"""
# Transport and parameters only ever fill in: `save_user_message` may have recorded
# them already, and a Message without them must not erase them.
# A message's parent and conversation never change once written: the tree only grows,
# so no update can make a cycle or move a message between conversations.

Fingerprint = tuple[object, ...]

_TOKENS: dict[int, str] = {}


def writer_token() -> str:
    """`pid:random`, fresh per process (a forked child gets its own)."""
    pid = os.getpid()
    if pid not in _TOKENS:
        _TOKENS[pid] = f"{pid}:{uuid.uuid4().hex}"
    return _TOKENS[pid]


def to_message(row: sqlite3.Row | tuple[Any, ...]) -> Message:
    return Message(
        id=row[0],
        role="user" if row[1] == "user" else "assistant",
        text=row[2],
        bot=row[3],
        status=parse_status(row[4]),
        created_at=row[5],
        finished_at=row[6],
        thinking=row[7],
        error_title=row[8],
        error_message=row[9],
        error_retryable=bool(row[10]),
        suggested_replies=_string_list(row[11]),
        prompt_tokens=row[12],
        completion_tokens=row[13],
        points=row[14],
        transport=row[15],
        parameters=json_object(row[16]),
        first_token_at=row[17],
    )


def parse_status(value: str) -> MessageStatus:
    try:
        return MessageStatus(value)
    except ValueError:
        # A status a newer version invented: what arrived is kept, so "stopped" is honest.
        return MessageStatus.STOPPED


def _string_list(raw: str) -> list[str]:
    try:
        value = json.loads(raw)
    except ValueError:
        return []
    return [str(v) for v in value] if isinstance(value, list) else []


def json_object(raw: str | None) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def message_params(conversation_id: str, message: Message, parent_id: str | None) -> dict[str, Any]:
    streaming = message.status is MessageStatus.STREAMING
    return {
        "id": message.id,
        "conversation_id": conversation_id,
        "parent_id": parent_id,
        "role": message.role,
        "text": message.text,
        "bot": message.bot,
        "status": message.status.value,
        "created_at": message.created_at,
        "finished_at": message.finished_at,
        "written_at": time.time(),
        "thinking": message.thinking,
        "error_title": message.error_title,
        "error_message": message.error_message,
        "error_retryable": int(message.error_retryable),
        "suggested_replies": json.dumps(message.suggested_replies),
        "prompt_tokens": message.prompt_tokens,
        "completion_tokens": message.completion_tokens,
        "points": message.points,
        "writer": writer_token() if streaming else None,
        "transport": message.transport,
        "parameters": json.dumps(message.parameters, ensure_ascii=False, sort_keys=True),
        "first_token_at": message.first_token_at,
    }


def fingerprint(conversation_id: str, message: Message) -> Fingerprint:
    """What a save would write; equal fingerprints mean the row is already up to date."""
    return (
        conversation_id,
        message.text,
        message.bot,
        message.status,
        message.finished_at,
        message.first_token_at,
        message.thinking,
        message.error_title,
        message.error_message,
        message.error_retryable,
        tuple(message.suggested_replies),
        message.prompt_tokens,
        message.completion_tokens,
        message.points,
        message.transport,
        tuple(sorted((k, repr(v)) for k, v in message.parameters.items())),
    )


def writer_alive(writer: str | None, written_at: float | None, *, stale_after: float) -> bool:
    """Whether the process that left a row "streaming" may still be writing it."""
    if not writer:
        return False
    if writer == writer_token():
        return True
    pid_text, _, _ = writer.partition(":")
    try:
        pid = int(pid_text)
    except ValueError:
        return False
    if pid == os.getpid():
        return False  # an earlier process that had our pid (containers reuse pid 1)
    if os.name != "posix":
        # os.kill(pid, 0) is not a probe on Windows; go by the last write instead.
        return written_at is not None and time.time() - written_at < stale_after
    return _pid_running(pid)


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, and not ours to judge
    return True

"""A conversation as Markdown (to read) or JSON (to keep, and to import again).

The JSON carries a `format` marker so an import can refuse what it does not understand
with a clear message instead of guessing. Only the conversation's active path is
exported, as the `Conversation` holds it. Unknown keys are ignored on import, so a file
from a newer poe-tui with extra fields still imports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.text import strip_terminal_controls
from poe_tui.store.errors import BadExportFile

FORMAT = "poe-tui/1"
_MISSING = object()


# --- Markdown ---------------------------------------------------------------------------


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def bots_of(conversation: Conversation) -> list[str]:
    """Every bot that replied, in order of first reply (the conversation's own if none)."""
    seen = [m.bot for m in conversation.messages if m.role == "assistant"]
    return list(dict.fromkeys(seen)) or [conversation.bot]


def to_markdown(conversation: Conversation) -> str:
    front = [
        "---",
        f"title: {json.dumps(conversation.title, ensure_ascii=False)}",
        f"id: {conversation.id}",
        f"bots: {json.dumps(bots_of(conversation), ensure_ascii=False)}",
        f"created: {iso(conversation.created_at)}",
        f"updated: {iso(conversation.updated_at)}",
        f"points: {conversation.total_points}",
        f"messages: {len(conversation.messages)}",
        "---",
        "",
        f"# {conversation.title}",
    ]
    body = [_message_markdown(m) for m in conversation.messages]
    return "\n".join(front + body) + "\n"


def _message_markdown(message: Message) -> str:
    who = "You" if message.role == "user" else message.bot
    details = [iso(message.created_at).replace("T", " ").replace("Z", " UTC")]
    if message.completion_tokens is not None:
        details.append(f"{message.completion_tokens:,} tokens")
    if message.points is not None:
        details.append(f"{message.points:,} points")
    if message.status is not MessageStatus.COMPLETE:
        details.append(message.status.value)
    parts = ["", f"## {who}", f"_{' · '.join(details)}_", ""]
    if message.thinking:
        parts += ["<details><summary>Thinking</summary>", "", message.thinking, "", "</details>"]
        parts.append("")
    parts.append(message.text)
    if message.attachments:
        parts += ["", "Files:"]
        parts += [f"- {_file_line(f)}" for f in message.attachments]
    if message.error_title or message.error_message:
        parts += ["", f"> **{message.error_title or 'Error'}**: {message.error_message or ''}"]
    return "\n".join(parts)


def _file_line(file: MessageFile) -> str:
    details = [file.content_type]
    if file.size is not None:
        details.append(f"{file.size:,} bytes")
    line = f"`{file.name}` ({', '.join(details)})"
    return f"{line} <{file.url}>" if file.url else line


# --- JSON -------------------------------------------------------------------------------


def to_json(conversation: Conversation) -> str:
    data = {
        "format": FORMAT,
        "id": conversation.id,
        "title": conversation.title,
        "titled": conversation.titled,
        "bot": conversation.bot,
        "created_at": conversation.created_at,
        "updated_at": conversation.updated_at,
        "messages": [_message_dict(m) for m in conversation.messages],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def _message_dict(message: Message) -> dict[str, Any]:
    data = {f.name: getattr(message, f.name) for f in fields(message)}
    data["status"] = message.status.value
    # Files by name, type, size and content hash: the bytes stay in the history's
    # attachments folder, and a local path means nothing on another machine.
    data["attachments"] = [_file_dict(f) for f in message.attachments]
    return data


def _file_dict(file: MessageFile) -> dict[str, Any]:
    return {
        "name": file.name,
        "content_type": file.content_type,
        "size": file.size,
        "sha256": file.sha256,
        "url": file.url,
    }


def from_json(text: str) -> Conversation:
    """A conversation from our own JSON export; BadExportFile says what is wrong, where."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadExportFile(
            f"Not JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None
    if not isinstance(data, dict) or "format" not in data:
        raise BadExportFile('Not a poe-tui export: there is no "format" field.')
    if data["format"] != FORMAT:
        raise BadExportFile(
            f"Unsupported format {data['format']!r}; this poe-tui reads {FORMAT!r}."
        )
    raw_messages = _field(data, "messages", _list, "")
    messages = [_message(m, f"messages[{i}]") for i, m in enumerate(raw_messages)]
    _check_unique(messages)
    return Conversation(
        bot=_field(data, "bot", _text, ""),
        title=" ".join(strip_terminal_controls(_field(data, "title", _text, "")).split()),
        id=_field(data, "id", _text, ""),
        messages=messages,
        created_at=_field(data, "created_at", _number, ""),
        updated_at=_field(data, "updated_at", _number, ""),
        titled=_field(data, "titled", _bool, "", default=True),
    )


def _message(raw: object, where: str) -> Message:
    if not isinstance(raw, dict):
        raise BadExportFile(f"{where}: expected an object.")
    role = _field(raw, "role", _text, where)
    if role not in ("user", "assistant"):
        raise BadExportFile(f'{where}.role: expected "user" or "assistant", got {role!r}.')
    return Message(
        role="user" if role == "user" else "assistant",
        id=_field(raw, "id", _text, where),
        text=_field(raw, "text", _any_text, where),
        bot=_field(raw, "bot", _text, where),
        status=_field(raw, "status", _status, where, default=MessageStatus.COMPLETE),
        created_at=_field(raw, "created_at", _number, where),
        finished_at=_field(raw, "finished_at", _optional(_number), where, default=None),
        thinking=_field(raw, "thinking", _any_text, where, default=""),
        error_title=_field(raw, "error_title", _optional(_any_text), where, default=None),
        error_message=_field(raw, "error_message", _optional(_any_text), where, default=None),
        error_retryable=_field(raw, "error_retryable", _bool, where, default=False),
        suggested_replies=_field(raw, "suggested_replies", _texts, where, default=[]),
        prompt_tokens=_field(raw, "prompt_tokens", _optional(_int), where, default=None),
        completion_tokens=_field(raw, "completion_tokens", _optional(_int), where, default=None),
        points=_field(raw, "points", _optional(_int), where, default=None),
        transport=_field(raw, "transport", _optional(_text), where, default=None),
        parameters=_field(raw, "parameters", _object, where, default={}),
        attachments=[
            _file(f, f"{where}.attachments[{i}]")
            for i, f in enumerate(_field(raw, "attachments", _list, where, default=[]))
        ],
    )


def _file(raw: object, where: str) -> MessageFile:
    if not isinstance(raw, dict):
        raise BadExportFile(f"{where}: expected an object.")
    return MessageFile(
        name=_field(raw, "name", _text, where),
        content_type=_field(raw, "content_type", _text, where),
        size=_field(raw, "size", _optional(_int), where, default=None),
        sha256=_field(raw, "sha256", _optional(_text), where, default=None),
        url=_field(raw, "url", _optional(_text), where, default=None),
    )


def _check_unique(messages: list[Message]) -> None:
    seen: set[str] = set()
    for index, message in enumerate(messages):
        if message.id in seen:
            raise BadExportFile(f"messages[{index}].id: {message.id!r} appears twice.")
        seen.add(message.id)


# Each checker returns the value or raises ValueError naming what was expected.
Checker = Callable[[Any], Any]


def _field(
    data: dict[str, Any], key: str, check: Checker, where: str, default: Any = _MISSING
) -> Any:
    name = f"{where}.{key}" if where else key
    if key not in data:
        if default is _MISSING:
            raise BadExportFile(f"{name}: missing.")
        return default
    try:
        return check(data[key])
    except ValueError as error:
        raise BadExportFile(f"{name}: expected {error}, got {data[key]!r:.60}.") from None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value


def _any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number")
    return float(value)


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number")
    return value


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("an object")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("a list")
    return value


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of strings")
    return list(value)


def _status(value: Any) -> MessageStatus:
    try:
        return MessageStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in MessageStatus)
        raise ValueError(f"one of {names}") from None


def _optional(check: Checker) -> Checker:
    def checked(value: Any) -> Any:
        if value is None:
            return None
        try:
            return check(value)
        except ValueError as error:
            raise ValueError(f"{error} or null") from None

    return checked

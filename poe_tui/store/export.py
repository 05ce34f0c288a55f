"""A conversation as Markdown (to read) or JSON (to keep, and to import again).

The JSON carries a `format` marker so an import can refuse what it does not understand
with a clear message instead of guessing. Only the conversation's active path is
exported, as the `Conversation` holds it. Unknown keys are ignored on import, so a file
from a newer poe-tui with extra fields still imports.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from dataclasses import fields
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from poe_tui.core.attachments import MessageFile
from poe_tui.core.botnames import bot_name_problem
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.text import clean_json, has_terminal_controls, strip_terminal_controls
from poe_tui.core.transports.registry import Transport
from poe_tui.store.blobs import is_sha256
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


# What an import accepts. The file is untrusted (anyone can hand one over), and what
# passes is written to the history and read on every later run, so each value is
# checked for its type and its range before anything is written.
MAX_IMPORT_CHARS = 64 * 1024 * 1024
MAX_MESSAGES = 100_000
MAX_DEPTH = 32  # deeper than any export we write (parameters are flat)
MAX_WHOLE = 2**53  # counts of tokens, points and bytes; JSON readers agree up to here
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC).timestamp()
LATEST = datetime(2200, 1, 1, tzinfo=UTC).timestamp()
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_CONTENT_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]*")


def from_json(text: str) -> Conversation:
    """A conversation from our own JSON export, checked in full before anything is
    written; BadExportFile says what is wrong, where."""
    data = _decode(text)
    if not isinstance(data, dict) or "format" not in data:
        raise BadExportFile('Not a poe-tui export: there is no "format" field.')
    if data["format"] != FORMAT:
        raise BadExportFile(
            f"Unsupported format {_shown(data['format'])}; this poe-tui reads {FORMAT!r}."
        )
    raw_messages = _field(data, "messages", _list, "")
    if len(raw_messages) > MAX_MESSAGES:
        raise BadExportFile(f"messages: more than {MAX_MESSAGES:,} messages.")
    messages = [_message(m, f"messages[{i}]") for i, m in enumerate(raw_messages)]
    _check_unique(messages)
    return Conversation(
        bot=_field(data, "bot", _bot, ""),
        title=" ".join(strip_terminal_controls(_field(data, "title", _text, "")).split()),
        id=_field(data, "id", _identifier, ""),
        messages=messages,
        created_at=_field(data, "created_at", _timestamp, ""),
        updated_at=_field(data, "updated_at", _timestamp, ""),
        titled=_field(data, "titled", _bool, "", default=True),
    )


def _decode(text: str) -> Any:
    if len(text) > MAX_IMPORT_CHARS:
        raise BadExportFile(f"Too large: an export has at most {MAX_IMPORT_CHARS:,} characters.")
    try:
        data = json.loads(text, parse_constant=_no_constant)
    except json.JSONDecodeError as error:
        raise BadExportFile(
            f"Not JSON (line {error.lineno}, column {error.colno}: {error.msg})."
        ) from None
    except RecursionError:
        raise BadExportFile(f"Nested too deep (more than {MAX_DEPTH} levels).") from None
    except ValueError as error:  # an integer of thousands of digits, NaN, Infinity
        raise BadExportFile(f"Not a valid export: {error}.") from None
    if _depth_exceeds(data, MAX_DEPTH):
        raise BadExportFile(f"Nested too deep (more than {MAX_DEPTH} levels).")
    return data


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number an export can hold")


def _depth_exceeds(data: Any, limit: int) -> bool:
    """Whether `data` nests deeper than `limit`, found without recursion."""
    todo = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            children = value.values() if isinstance(value, dict) else value
            todo.extend((child, depth + 1) for child in children)
    return False


def _shown(value: Any) -> str:
    """A value quoted in an error message: short, and without terminal controls."""
    return strip_terminal_controls(f"{value!r:.60}")


def _message(raw: object, where: str) -> Message:
    if not isinstance(raw, dict):
        raise BadExportFile(f"{where}: expected an object.")
    role = _field(raw, "role", _text, where)
    if role not in ("user", "assistant"):
        raise BadExportFile(f'{where}.role: expected "user" or "assistant", got {_shown(role)}.')
    return Message(
        role="user" if role == "user" else "assistant",
        id=_field(raw, "id", _identifier, where),
        text=_field(raw, "text", _any_text, where),
        bot=_field(raw, "bot", _bot, where),
        status=_field(raw, "status", _status, where, default=MessageStatus.COMPLETE),
        created_at=_field(raw, "created_at", _timestamp, where),
        finished_at=_field(raw, "finished_at", _optional(_timestamp), where, default=None),
        thinking=_field(raw, "thinking", _any_text, where, default=""),
        error_title=_field(raw, "error_title", _optional(_shown_text), where, default=None),
        error_message=_field(raw, "error_message", _optional(_shown_text), where, default=None),
        error_retryable=_field(raw, "error_retryable", _bool, where, default=False),
        suggested_replies=_field(raw, "suggested_replies", _texts, where, default=[]),
        prompt_tokens=_field(raw, "prompt_tokens", _optional(_count), where, default=None),
        completion_tokens=_field(raw, "completion_tokens", _optional(_count), where, default=None),
        points=_field(raw, "points", _optional(_int), where, default=None),
        transport=_field(raw, "transport", _optional(_transport), where, default=None),
        parameters=_field(raw, "parameters", _parameters, where, default={}),
        attachments=[
            _file(f, f"{where}.attachments[{i}]")
            for i, f in enumerate(_field(raw, "attachments", _list, where, default=[]))
        ],
    )


def _file(raw: object, where: str) -> MessageFile:
    if not isinstance(raw, dict):
        raise BadExportFile(f"{where}: expected an object.")
    return MessageFile(
        name=_field(raw, "name", _file_name, where),
        content_type=_field(raw, "content_type", _content_type, where),
        size=_field(raw, "size", _optional(_count), where, default=None),
        sha256=_field(raw, "sha256", _optional(_sha256), where, default=None),
        url=_field(raw, "url", _optional(_url), where, default=None),
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
        raise BadExportFile(f"{name}: expected {error}, got {_shown(data[key])}.") from None


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("a non-empty string")
    return value


def _any_text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("a string")
    return value


def _shown_text(value: Any) -> str:
    """A text shown as is (error texts, suggestions): no terminal controls."""
    return strip_terminal_controls(_any_text(value))


def _identifier(value: Any) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise ValueError("an id of letters, digits, '-' and '_' (at most 64)")
    return value


def _bot(value: Any) -> str:
    if not isinstance(value, str) or bot_name_problem(value):
        raise ValueError("a bot name (letters, digits, '-', '_' and '.')")
    return value


def _transport(value: Any) -> str:
    try:
        return Transport(value).value
    except (ValueError, TypeError):
        raise ValueError("one of " + ", ".join(t.value for t in Transport)) from None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a number")
    try:
        return float(value)
    except OverflowError:
        raise ValueError("a number") from None


def _timestamp(value: Any) -> float:
    stamp = _number(value)
    if not EARLIEST <= stamp <= LATEST:  # NaN fails this too
        raise ValueError("a time between the years 2000 and 2200 (seconds since 1970)")
    return stamp


def _int(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a whole number")
    if abs(value) > MAX_WHOLE:
        raise ValueError(f"a whole number of at most {MAX_WHOLE:,}")
    return value


def _count(value: Any) -> int:
    number = _int(value)
    if number < 0:
        raise ValueError("a whole number of at least 0")
    return number


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("true or false")
    return value


def _object(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ValueError("an object")
    return value


def _parameters(value: Any) -> dict[str, Any]:
    """Bot parameters go back to the bot: their names and texts lose terminal controls,
    numbers must be ones JSON writers agree on."""
    parameters = clean_json(_object(value))
    for item in _scalars(parameters):
        if isinstance(item, float) and not math.isfinite(item):
            raise ValueError("an object of finite values")
        if isinstance(item, int) and not isinstance(item, bool) and abs(item) > MAX_WHOLE:
            raise ValueError(f"an object of numbers of at most {MAX_WHOLE:,}")
    return dict(parameters)


def _scalars(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [s for item in value.values() for s in _scalars(item)]
    if isinstance(value, list):
        return [s for item in value for s in _scalars(item)]
    return [value]


def _file_name(value: Any) -> str:
    name = " ".join(strip_terminal_controls(_text(value)).split())
    if not name:
        raise ValueError("a file name")
    return name


def _content_type(value: Any) -> str:
    if not isinstance(value, str) or not _CONTENT_TYPE.fullmatch(value.split(";")[0].strip()):
        raise ValueError("a media type such as text/plain")
    return value.split(";")[0].strip()


def _sha256(value: Any) -> str:
    if not isinstance(value, str) or not is_sha256(value):
        raise ValueError("a SHA-256 digest in lowercase hex")
    return value


def _url(value: Any) -> str:
    if not isinstance(value, str) or urlsplit(value).scheme not in ("http", "https", "data"):
        raise ValueError("an http, https or data URL")
    if has_terminal_controls(value) or any(c.isspace() for c in value):
        raise ValueError("a URL without spaces or control characters")
    return value


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError("a list")
    return value


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("a list of strings")
    return [strip_terminal_controls(v) for v in value]


def _status(value: Any) -> MessageStatus:
    try:
        return MessageStatus(value)
    except (ValueError, TypeError):  # TypeError: a list or an object is no status
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

"""Reading a native `QueryRequest` (§1.2) into what the bots need.

Every field fastapi-poe sends is tolerated, and so are extra keys; only what the bots
look at is checked. Roles: `bot` becomes `assistant`; unknown roles are skipped, as the
protocol tells servers to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.bots import Attachment, BotMessage
from poe_tui.fakepoe.failures import Failure

_ROLES = {"system": "system", "user": "user", "bot": "assistant", "tool": "tool"}


class BadQuery(ValueError):
    """The body is malformed; the message is what the 400 says."""


@dataclass(frozen=True)
class NativeQuery:
    messages: tuple[BotMessage, ...]
    attachments: tuple[Attachment, ...] = ()  # on the last user message
    parameters: dict[str, Any] = field(default_factory=dict)  # of the last user message


def parse_query(body: dict[str, Any]) -> NativeQuery | Failure:
    try:
        return _parse(body)
    except BadQuery as exc:
        return failures.bad_request(str(exc))


def _parse(body: dict[str, Any]) -> NativeQuery:
    query = body.get("query")
    if not isinstance(query, list) or not query:
        raise BadQuery("`query` must be a non-empty array of messages.")
    messages: list[BotMessage] = []
    last_user: dict[str, Any] | None = None
    for index, raw in enumerate(query):
        if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
            raise BadQuery(f"`query[{index}]` must be an object with a string `role`.")
        if not isinstance(raw.get("content"), str):
            raise BadQuery(f"`query[{index}].content` must be a string.")
        role = _ROLES.get(raw["role"])
        if role is None:
            continue
        messages.append(BotMessage(role, raw["content"]))
        if role == "user":
            last_user = raw
    if last_user is None:
        return NativeQuery(tuple(messages))
    return NativeQuery(tuple(messages), _attachments(last_user), _parameters(last_user))


def _parameters(message: dict[str, Any]) -> dict[str, Any]:
    parameters = message.get("parameters", {})
    if not isinstance(parameters, dict):
        raise BadQuery("`parameters` must be an object.")
    return parameters


def _attachments(message: dict[str, Any]) -> tuple[Attachment, ...]:
    raw = message.get("attachments", [])
    if not isinstance(raw, list):
        raise BadQuery("`attachments` must be an array.")
    result = []
    for index, item in enumerate(raw):
        keys = ("url", "content_type", "name")
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in keys):
            raise BadQuery(f"`attachments[{index}]` needs string url, content_type and name.")
        result.append(Attachment(item["name"], item["content_type"], item["url"]))
    return tuple(result)

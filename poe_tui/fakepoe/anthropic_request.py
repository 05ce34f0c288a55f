"""Reading an Anthropic Messages request (§7) into what the bots need."""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass
from typing import Any

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.bots import Attachment, BotMessage
from poe_tui.fakepoe.failures import Failure

MIN_THINKING_BUDGET = 1024


class BadRequest(ValueError):
    """The body is malformed; the message is what the 400 says."""


@dataclass(frozen=True)
class MessagesRequest:
    model: str
    max_tokens: int
    messages: tuple[BotMessage, ...]  # the system prompt first, when there is one
    attachments: tuple[Attachment, ...]  # image/document blocks of the last user turn
    stream: bool = False
    thinking_budget: int = 0  # 0: thinking not enabled


def parse_messages(body: Any) -> MessagesRequest | Failure:
    try:
        return _parse(body)
    except BadRequest as exc:
        return failures.bad_request(str(exc))


def _parse(body: Any) -> MessagesRequest:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise BadRequest("model: Field required")
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, bool) or not isinstance(max_tokens, int) or max_tokens < 1:
        raise BadRequest("max_tokens: Field required (a whole number of at least 1)")
    raw = body.get("messages")
    if not isinstance(raw, list) or not raw:
        raise BadRequest("messages: at least one message is required")
    turns = [_turn(message, i) for i, message in enumerate(raw)]
    system = _text(body.get("system"), "system") if body.get("system") is not None else ""
    messages = ([BotMessage("system", system)] if system else []) + [m for m, _ in turns]
    user_files = [files for message, files in turns if message.role == "user"]
    return MessagesRequest(
        model=model,
        max_tokens=max_tokens,
        messages=tuple(messages),
        attachments=tuple(user_files[-1]) if user_files else (),
        stream=body.get("stream") is True,
        thinking_budget=_thinking(body.get("thinking"), max_tokens),
    )


def _thinking(value: Any, max_tokens: int) -> int:
    if value is None:
        return 0
    if not isinstance(value, dict) or value.get("type") not in ("enabled", "disabled"):
        raise BadRequest("thinking: expected {type: enabled, budget_tokens} or {type: disabled}")
    if value["type"] == "disabled":
        return 0
    budget = value.get("budget_tokens")
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < MIN_THINKING_BUDGET:
        raise BadRequest(f"thinking.budget_tokens: must be at least {MIN_THINKING_BUDGET}")
    if budget >= max_tokens:
        raise BadRequest("max_tokens: must be greater than thinking.budget_tokens")
    return budget


def _turn(raw: Any, index: int) -> tuple[BotMessage, list[Attachment]]:
    where = f"messages.{index}"
    if not isinstance(raw, dict) or raw.get("role") not in ("user", "assistant"):
        raise BadRequest(f"{where}.role: Input should be 'user' or 'assistant'")
    content = raw.get("content")
    if isinstance(content, str):
        return BotMessage(raw["role"], content), []
    if not isinstance(content, list):
        raise BadRequest(f"{where}.content: Input should be a string or a list of blocks")
    files: list[Attachment] = []
    for block in content:
        attachment = _attachment(block, len(files) + 1)
        if attachment is not None:
            files.append(attachment)
    texts = [b["text"] for b in content if isinstance(b, dict) and b.get("type") == "text"]
    return BotMessage(raw["role"], "\n".join(map(str, texts))), files


def _text(value: Any, where: str) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(str(b.get("text", "")) for b in value if isinstance(b, dict))
    raise BadRequest(f"{where}: Input should be a string or a list of text blocks")


def _attachment(block: Any, number: int) -> Attachment | None:
    if not isinstance(block, dict) or block.get("type") not in ("image", "document"):
        return None  # text, thinking, tool_use, tool_result: no file
    source = block.get("source")
    if not isinstance(source, dict):
        raise BadRequest(f"{block['type']}.source: Field required")
    title = block.get("title")
    if source.get("type") == "url" and isinstance(source.get("url"), str):
        url = source["url"]
        name = title or url.rsplit("/", 1)[-1] or f"file-{number}"
        guessed = mimetypes.guess_type(name)[0]
        kind = guessed or ("image/jpeg" if block["type"] == "image" else "application/pdf")
        return Attachment(name, kind, url)
    media_type = source.get("media_type")
    if not isinstance(media_type, str):
        raise BadRequest(f"{block['type']}.source.media_type: Field required")
    extension = mimetypes.guess_extension(media_type) or ".bin"
    name = title or f"{block['type']}-{number}{extension}"
    return Attachment(name, media_type, size=_source_size(source))


def _source_size(source: dict[str, Any]) -> int | None:
    """Bytes in a base64 or plain-text source (Anthropic's two inline forms)."""
    data = source.get("data")
    if not isinstance(data, str):
        return None
    if source.get("type") == "text":
        return len(data.encode("utf-8"))
    try:
        return len(base64.b64decode(data, validate=False))
    except ValueError:
        return None

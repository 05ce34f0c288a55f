"""Reading an OpenAI-style chat request (§4.1) into what the bots need."""

from __future__ import annotations

import base64
import mimetypes
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_to_bytes, urlparse

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.bots import Attachment, BotMessage
from poe_tui.fakepoe.failures import Failure

# Keys of the OpenAI request the server knows. Anything else is a custom bot parameter
# (the SDK's extra_body lands at the top level), so it is recorded and passed on.
# reasoning_effort and verbosity are left out on purpose: Poe forwards them to the bot.
STANDARD_KEYS = frozenset(
    {
        "model",
        "messages",
        "stream",
        "stream_options",
        "max_tokens",
        "max_completion_tokens",
        "top_p",
        "tools",
        "tool_choice",
        "parallel_tool_calls",
        "stop",
        "temperature",
        "n",
        "logprobs",
        "top_logprobs",
        "store",
        "metadata",
        "response_format",
        "prediction",
        "presence_penalty",
        "frequency_penalty",
        "seed",
        "service_tier",
        "audio",
        "logit_bias",
        "user",
        "modalities",
        "functions",
        "function_call",
        "web_search_options",
        "safety_identifier",
        "prompt_cache_key",
    }
)


class BadRequest(ValueError):
    """The body is malformed; the message is what the 400 says."""


@dataclass(frozen=True)
class ChatRequest:
    model: str
    messages: tuple[BotMessage, ...]
    attachments: tuple[Attachment, ...]  # from the last user message
    stream: bool = False
    include_usage: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def parse_chat(body: Any) -> ChatRequest | Failure:
    try:
        return _parse(body)
    except BadRequest as exc:
        return failures.bad_request(str(exc))


def _parse(body: Any) -> ChatRequest:
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise BadRequest("`model` is required and must be a string.")
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise BadRequest("`messages` must be a non-empty array.")
    if body.get("n", 1) != 1:
        raise BadRequest("`n` must be 1.")
    parsed = [_message(m, i) for i, m in enumerate(raw_messages)]
    last_user = [files for msg, files in parsed if msg.role == "user"]
    options = body.get("stream_options")
    return ChatRequest(
        model=model,
        messages=tuple(msg for msg, _ in parsed),
        attachments=tuple(last_user[-1]) if last_user else (),
        stream=body.get("stream") is True,
        include_usage=isinstance(options, dict) and options.get("include_usage") is True,
        extra={k: v for k, v in body.items() if k not in STANDARD_KEYS},
    )


def _message(raw: Any, index: int) -> tuple[BotMessage, list[Attachment]]:
    if not isinstance(raw, dict) or not isinstance(raw.get("role"), str):
        raise BadRequest(f"`messages[{index}]` must be an object with a string `role`.")
    content = raw.get("content")
    if content is None or isinstance(content, str):
        return BotMessage(raw["role"], content or ""), []
    if not isinstance(content, list):
        raise BadRequest(f"`messages[{index}].content` must be a string or an array of parts.")
    texts: list[str] = []
    files: list[Attachment] = []
    for part_index, part in enumerate(content):
        where = f"messages[{index}].content[{part_index}]"
        text, attachment = _part(part, where, len(files) + 1)
        if text is not None:
            texts.append(text)
        if attachment is not None:
            files.append(attachment)
    return BotMessage(raw["role"], "\n".join(texts)), files


def _part(part: Any, where: str, number: int) -> tuple[str | None, Attachment | None]:
    if not isinstance(part, dict):
        raise BadRequest(f"`{where}` must be an object.")
    kind = part.get("type")
    if kind == "text":
        if not isinstance(part.get("text"), str):
            raise BadRequest(f"`{where}.text` must be a string.")
        return part["text"], None
    if kind == "image_url":
        return None, _image(part.get("image_url"), where, number)
    if kind == "file":
        return None, _file(part.get("file"), where, number)
    return None, None  # audio and future part types: tolerated, like most unknown fields


def data_url_size(url: str) -> int | None:
    """How many bytes a `data:` URL holds (None when it is not a readable one)."""
    header, sep, data = url.partition(",")
    if not sep or not header.startswith("data:"):
        return None
    if header.endswith(";base64"):
        try:
            return len(base64.b64decode(data, validate=False))
        except ValueError:
            return None
    return len(unquote_to_bytes(data))


def _data_url_type(url: str) -> str | None:
    if not url.startswith("data:"):
        return None
    return url[5:].split(";", 1)[0].split(",", 1)[0] or "application/octet-stream"


def _image(value: Any, where: str, number: int) -> Attachment:
    url = value.get("url") if isinstance(value, dict) else value
    if not isinstance(url, str) or not url:
        raise BadRequest(f"`{where}.image_url.url` must be a data URL or an https URL.")
    data_type = _data_url_type(url)
    if data_type is not None:
        extension = mimetypes.guess_extension(data_type) or ".bin"
        return Attachment(f"image-{number}{extension}", data_type, size=data_url_size(url))
    name = urlparse(url).path.rsplit("/", 1)[-1] or f"image-{number}"
    return Attachment(name, mimetypes.guess_type(name)[0] or "image/jpeg", url)


def _file(value: Any, where: str, number: int) -> Attachment:
    if not isinstance(value, dict) or not isinstance(value.get("file_data"), str):
        raise BadRequest(f"`{where}.file.file_data` must be a data URL.")
    data_type = _data_url_type(value["file_data"])
    if data_type is None:
        raise BadRequest(f"`{where}.file.file_data` must be a data URL.")
    name = value.get("filename")
    name = name if isinstance(name, str) and name else f"file-{number}"
    return Attachment(name, data_type, size=data_url_size(value["file_data"]))

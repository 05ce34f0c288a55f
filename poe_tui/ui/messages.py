"""Textual messages that carry the model's changes down to the widgets that show it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from textual.message import Message as TextualMessage

from poe_tui.core.conversation import Message
from poe_tui.core.events import Retrying, Throttled


class Part(Enum):
    """What changed in a message, so its view redraws only that."""

    TEXT = "text"  # more answer or thinking text (saved already)
    WAIT = "wait"  # a retry or limiter wait began or ended
    STATUS = "status"  # it started streaming again, or it ended
    FILES = "files"  # its files changed (a bot's file was fetched)
    FOOTER = "footer"  # its points are known
    ERROR = "error"  # its error text changed (e.g. the balance is known now)
    UPLOAD = "upload"  # one of its files is being uploaded, or the uploads ended


@dataclass(frozen=True, slots=True)
class UploadProgress:
    """How far the upload of the message's file number `index` (from 0) has got."""

    index: int
    sent: int
    total: int
    cancel_key: str  # the key that stops it, said beside the progress


class MessageChanged(TextualMessage):
    """Posted to the `ConversationView`, which hands it to the message's own view."""

    def __init__(
        self,
        message: Message,
        part: Part,
        *,
        wait: Retrying | Throttled | None = None,
        suggestion_keys: list[str] | None = None,
        upload: UploadProgress | None = None,
    ) -> None:
        super().__init__()
        self.message = message
        self.part = part
        self.wait = wait
        # With STATUS, at the end of a reply shown in the open conversation: its chips.
        self.suggestion_keys = suggestion_keys
        # With UPLOAD: the progress to show; None clears it (the uploads are over).
        self.upload = upload

"""Every door to Poe described once: its path, its auth, which bots it serves and what it
can carry (DESIGN.md section 3). The client, the app's selector, the parameter form, the
palette and the command line all read these descriptions, so they cannot disagree.

A new door is one module (its request and its reader) plus one `TransportSpec` below and
its routes in the fake server.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from poe_tui.core.auth import AuthScheme
from poe_tui.core.botnames import bot_path
from poe_tui.core.errors import PoeError
from poe_tui.core.events import StreamEvent
from poe_tui.core.messages import Attachment, ChatMessage, ChatReply
from poe_tui.core.models import ModelInfo
from poe_tui.core.transports import anthropic_chat, native, openai_chat
from poe_tui.core.transports.wire import HttpSession


class Transport(StrEnum):
    """Which Poe API carries a chat; the values are stored with each message."""

    NATIVE = "native"
    OPENAI = "openai"
    ANTHROPIC = "anthropic"

    @classmethod
    def parse(cls, text: str) -> Transport:
        try:
            return cls(text.strip().lower())
        except ValueError:
            choices = ", ".join(t.value for t in cls)
            raise ValueError(f"unknown transport {text!r}; choose one of {choices}") from None


class Capability(StrEnum):
    """What poe-tui sends over a door today (not everything the API could take)."""

    PARAMETERS = "parameters"  # any of the bot's custom parameters
    FILES = "files"
    THINKING = "thinking"  # a thinking budget can be asked for
    TOOLS = "tools"  # no door carries tools yet


class DoorStream(Protocol):
    def __call__(
        self,
        session: HttpSession,
        bot: str,
        messages: Sequence[ChatMessage],
        *,
        parameters: Mapping[str, Any] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncIterator[StreamEvent]: ...


class DoorComplete(Protocol):
    async def __call__(
        self,
        session: HttpSession,
        bot: str,
        messages: Sequence[ChatMessage],
        *,
        parameters: Mapping[str, Any] | None = None,
        attachments: Sequence[Attachment] = (),
    ) -> ChatReply: ...


def _serves_every_bot(bot: str, model: ModelInfo | None) -> PoeError | None:
    return None


def _takes_every_file(name: str, content_type: str) -> PoeError | None:
    return None


@dataclass(frozen=True, slots=True)
class TransportSpec:
    transport: Transport
    label: str  # as the app names it: "{label} API" in the header, "Transport: {label}"
    summary: str  # what it is and whom it serves, after "over" in help texts
    path: Callable[[str], str]  # bot -> request path
    auth: AuthScheme
    carries: frozenset[Capability]
    stream: DoorStream
    complete: DoorComplete
    # Parameters the door maps onto fields of its own without carrying custom ones.
    mapped_parameters: frozenset[str] = frozenset()
    parameters_note: str = ""  # what the parameter form says about parameters here
    refuse: Callable[[str, ModelInfo | None], PoeError | None] = field(default=_serves_every_bot)
    # Files go up to the upload endpoint first and travel as URLs; else inline `data:` URLs.
    uploads_files: bool = False
    refuse_file: Callable[[str, str], PoeError | None] = field(default=_takes_every_file)

    def refusal(self, bot: str, model: ModelInfo | None) -> PoeError | None:
        """Why this door cannot serve `bot` (before anything is sent), else None."""
        return self.refuse(bot, model)

    @property
    def serves_every_bot(self) -> bool:
        """False when `refusal` may say no, which it decides better with the model list."""
        return self.refuse is _serves_every_bot

    def file_refusal(self, name: str, content_type: str) -> PoeError | None:
        """Why this door cannot carry the file (before it is read or sent), else None."""
        return self.refuse_file(name, content_type)

    def takes_parameter(self, name: str) -> bool:
        return Capability.PARAMETERS in self.carries or name in self.mapped_parameters


_SPECS = (
    TransportSpec(
        transport=Transport.NATIVE,
        label="native",
        summary="the native Poe protocol (every bot, parameters, files by upload)",
        path=bot_path,
        auth=native.AUTH,
        carries=frozenset({Capability.PARAMETERS, Capability.FILES, Capability.THINKING}),
        stream=native.stream,
        complete=native.complete,
        uploads_files=True,
    ),
    TransportSpec(
        transport=Transport.OPENAI,
        label="OpenAI-compatible",
        summary=f"{openai_chat.PATH} (public bots; parameters best effort)",
        path=lambda bot: openai_chat.PATH,
        auth=openai_chat.AUTH,
        carries=frozenset({Capability.PARAMETERS, Capability.FILES, Capability.THINKING}),
        stream=openai_chat.stream,
        complete=openai_chat.complete,
        parameters_note=(
            "On the OpenAI-compatible API these go as extra keys of the request; "
            "Poe applies them best effort."
        ),
    ),
    TransportSpec(
        transport=Transport.ANTHROPIC,
        label="Anthropic-compatible",
        summary=f"{anthropic_chat.PATH} (Claude bots only)",
        path=lambda bot: anthropic_chat.PATH,
        auth=anthropic_chat.AUTH,
        carries=frozenset({Capability.FILES, Capability.THINKING}),
        stream=anthropic_chat.stream,
        complete=anthropic_chat.complete,
        mapped_parameters=anthropic_chat.PARAMETERS,
        parameters_note=(
            f"On the Anthropic-compatible API only {anthropic_chat.THINKING_PARAMETER} and "
            f"{anthropic_chat.MAX_TOKENS_PARAMETER} apply."
        ),
        refuse=anthropic_chat.refusal,
        refuse_file=anthropic_chat.file_refusal,
    ),
)
_BY_TRANSPORT = {spec.transport: spec for spec in _SPECS}


def all_specs() -> tuple[TransportSpec, ...]:
    """Every door, in the order menus list them (native first: it serves every bot)."""
    return _SPECS


def spec_for(transport: Transport | str) -> TransportSpec:
    """The door's description; a stored string value is accepted (ValueError if unknown)."""
    return _BY_TRANSPORT[Transport.parse(transport)]


def sendable_parameters(
    transport: Transport | str, parameters: Mapping[str, Any]
) -> dict[str, Any] | None:
    """The user's custom values this door carries (None when none is left): what the app
    and `ask` both send, so a door cannot carry a value in one and drop it in the other."""
    spec = spec_for(transport)
    kept = {name: value for name, value in parameters.items() if spec.takes_parameter(name)}
    return kept or None

"""How the UI names the three Poe APIs, and which parameters each can carry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from poe_tui.core.anthropic_chat import THINKING_PARAMETER
from poe_tui.core.transport import Transport

TRANSPORT_LABELS: dict[Transport, str] = {
    Transport.NATIVE: "native",
    Transport.OPENAI: "OpenAI-compatible",
    Transport.ANTHROPIC: "Anthropic-compatible",
}

OPENAI_NOTE = "Custom parameters are not supported on the OpenAI-compatible API."
ANTHROPIC_NOTE = f"On the Anthropic-compatible API only {THINKING_PARAMETER} applies."


def transport_label(value: str) -> str:
    try:
        return TRANSPORT_LABELS[Transport(value)]
    except ValueError:
        return value


def applies(transport: str, name: str) -> bool:
    """Whether parameter `name` can go out over `transport` (the seed's comparison table)."""
    if transport == Transport.OPENAI:
        return False
    if transport == Transport.ANTHROPIC:
        return name == THINKING_PARAMETER
    return True


def sendable(transport: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in parameters.items() if applies(transport, name)}

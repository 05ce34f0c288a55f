"""What `ui/screens/chat.py` still asks about the doors, answered from the registry.

Left for the chat screen until the turn runner replaces it: new code should call
`spec_for` and `sendable_parameters` in `poe_tui.core.transports.registry` directly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from poe_tui.core.transports.registry import sendable_parameters, spec_for


def transport_label(value: str) -> str:
    try:
        return spec_for(value).label
    except ValueError:
        return value


def sendable(transport: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    return sendable_parameters(transport, parameters) or {}

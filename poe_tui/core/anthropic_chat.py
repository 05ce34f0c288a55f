"""Kept only for `ui/screens/chat.py` (`require_claude`) and `core/chat/turn.py`
(`THINKING_PARAMETER`) until they ask the registry: `spec_for(t).refusal(...)` and
`sendable_parameters(...)` in `poe_tui.core.transports.registry`. Then delete this."""

from poe_tui.core.transports.anthropic_chat import THINKING_PARAMETER, require_claude

__all__ = ["THINKING_PARAMETER", "require_claude"]

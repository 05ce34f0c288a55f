"""Kept only for `ui/screens/chat.py`, which imports `require_claude` from here until the
turn runner replaces it (it should ask `spec_for(transport).refusal(...)` instead)."""

from poe_tui.core.transports.anthropic_chat import require_claude

__all__ = ["require_claude"]

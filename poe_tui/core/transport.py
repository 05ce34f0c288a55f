"""The old home of `Transport`, which many modules and stored rows name; the doors and
their descriptions now live in `poe_tui.core.transports`."""

from poe_tui.core.transports.registry import Transport

__all__ = ["Transport"]

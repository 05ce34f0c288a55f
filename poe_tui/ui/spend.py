"""Points spent per calendar day, for the sidebar's usage chart.

The arithmetic lives in `poe_tui.core.accounting` (the CLI's `usage --by day` uses it
too); this module keeps the names the widgets import.
"""

from __future__ import annotations

from poe_tui.core.accounting import CHART_DAYS, daily_spend

__all__ = ["CHART_DAYS", "daily_spend"]

"""Points spent per calendar day, for the sidebar's usage chart.

Pure functions, no Textual: the chart widget only draws what this returns. Days are
calendar days in the time zone of `now`, so pass an aware local time
(`datetime.now().astimezone()`) to bucket by the user's local day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from poe_tui.core.usage import PointsEntry

CHART_DAYS = 30


def daily_spend(entries: Iterable[PointsEntry], now: datetime, days: int = CHART_DAYS) -> list[int]:
    """Points spent on each of the last `days` days, oldest first, today last.

    Refunds (negative costs) count against their day, but a day never goes below 0.
    Entries older than the window are ignored; entries stamped after `now` (clock skew
    between us and Poe) count as today.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    zone = now.astimezone().tzinfo if now.tzinfo is None else now.tzinfo
    today = now.astimezone(zone).date()
    totals = [0] * days
    for entry in entries:
        age = (today - entry.created_at.astimezone(zone).date()).days
        if age < days:
            totals[days - 1 - max(age, 0)] += entry.cost_points
    return [max(total, 0) for total in totals]

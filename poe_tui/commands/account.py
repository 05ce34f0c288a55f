"""`poe-tui balance` and `poe-tui usage`."""

from __future__ import annotations

import json
from datetime import datetime

from poe_tui.commands.output import clip, table
from poe_tui.core.usage import Balance, PointsEntry


def balance_text(balance: Balance) -> str:
    lines = [f"Points balance: {balance.current_point_balance:,}"]
    if balance.plan_points_balance is not None and balance.addon_point_balance is not None:
        lines.append(
            f"  plan {balance.plan_points_balance:,} + add-on {balance.addon_point_balance:,}"
        )
    if balance.total_balance_usd:
        lines.append(f"  worth ${balance.total_balance_usd}")
    if balance.next_monthly_grant_time_us and balance.next_monthly_grant_amount:
        when = datetime.fromtimestamp(balance.next_monthly_grant_time_us / 1e6)
        lines.append(
            f"  next grant: {balance.next_monthly_grant_amount:,} points on {when:%Y-%m-%d}"
        )
    return "\n".join(lines)


def usage_table(entries: list[PointsEntry]) -> str:
    rows = [
        [
            entry.created_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            clip(entry.bot_name, 28),
            f"{entry.cost_points:,}",
            (entry.cost_usd and f"${entry.cost_usd}") or "",
            entry.usage_type,
            entry.query_id,
        ]
        for entry in entries
    ]
    headers = ["When", "Bot", "Points", "USD", "Type", "Query id"]
    total = sum(e.cost_points for e in entries)
    body = table(headers, rows, right={2, 3})
    return f"{body}\n\n{len(entries)} entries, {total:,} points in all."


def usage_json(entries: list[PointsEntry]) -> str:
    return json.dumps(
        [
            {
                "query_id": e.query_id,
                "bot_name": e.bot_name,
                "creation_time": e.creation_time_us,
                "cost_points": e.cost_points,
                "cost_usd": e.cost_usd,
                "usage_type": e.usage_type,
                "cost_breakdown_in_points": dict(e.cost_breakdown),
            }
            for e in entries
        ],
        indent=2,
    )

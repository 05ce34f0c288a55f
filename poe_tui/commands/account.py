"""`poe-tui balance` and `poe-tui usage`."""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from decimal import Decimal
from typing import Any

from poe_tui.commands.output import clip, table
from poe_tui.core.accounting import UsageGroup, summarize_by_bot, summarize_by_day
from poe_tui.core.client import PoeClient
from poe_tui.core.errors import InsufficientPointsError, PoeError
from poe_tui.core.guards import out_of_points_note
from poe_tui.core.models import format_usd
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


# --- `usage --by bot|day` (issue 7) -----------------------------------------------------


def _usd_text(amount: Decimal | None) -> str:
    return "" if amount is None else format_usd(amount)


def _share(points: int, total: int) -> str:
    return f"{points / total:.0%}" if total > 0 and points > 0 else ""


def _group_json(group: UsageGroup, key_name: str) -> dict[str, Any]:
    return {
        key_name: group.key,
        "replies": group.replies,
        "refunds": group.refunds,
        "points": group.points,
        "average_points": group.average_points,
        "cost_usd": None if group.usd is None else str(group.usd),
    }


def _bot_table(groups: list[UsageGroup], total: int) -> str:
    rows = [
        [
            clip(g.key, 28),
            f"{g.replies:,}",
            f"{g.refunds:,}" if g.refunds else "",
            f"{g.points:,}",
            "" if g.average_points is None else f"{g.average_points:,}",
            _usd_text(g.usd),
            _share(g.points, total),
        ]
        for g in groups
    ]
    headers = ["Bot", "Replies", "Refunds", "Points", "Avg/reply", "USD", "Share"]
    return table(headers, rows, right={1, 2, 3, 4, 5, 6})


def _day_table(groups: list[UsageGroup]) -> str:
    rows = [
        [
            g.key,
            f"{g.replies:,}",
            f"{g.refunds:,}" if g.refunds else "",
            f"{g.points:,}",
            _usd_text(g.usd),
        ]
        for g in groups
    ]
    return table(["Day", "Replies", "Refunds", "Points", "USD"], rows, right={1, 2, 3, 4})


def usage_summary(
    entries: list[PointsEntry], by: str, *, days: int | None, as_json: bool, zone: tzinfo | None
) -> str:
    """Totals per bot (most points first) or per local day (newest first)."""
    if by == "bot":
        groups, key_name = summarize_by_bot(entries), "bot_name"
    else:
        local = zone or datetime.now().astimezone().tzinfo
        assert local is not None
        groups, key_name = summarize_by_day(entries, local), "day"
    if as_json:
        return json.dumps([_group_json(g, key_name) for g in groups], indent=2)
    total = sum(e.cost_points for e in entries)
    period = f"in the last {days} days" if days else "in all"
    noun = "bot" if by == "bot" else "day"
    count = f"{len(groups)} {noun}{'' if len(groups) == 1 else 's'}"
    footer = f"{count}, {len(entries):,} entries, {total:,} points {period}."
    if not groups:
        return f"No usage {period}."
    body = _bot_table(groups, total) if by == "bot" else _day_table(groups)
    return f"{body}\n\n{footer}"


async def out_of_points_line(client: PoeClient, error: InsufficientPointsError) -> str:
    """The out-of-points error on one line, with the balance when it can be had."""
    line = error.one_line()
    try:
        balance = (await client.get_balance()).current_point_balance
    except PoeError:
        return line
    return f"{line} {out_of_points_note(balance, line)}"

"""Typed objects for `/usage/current_balance` and `/usage/points_history` (section 6).

Every string of a body, keys included, loses its terminal controls (`clean_json`) before
any field is read, so a field added later cannot forget it; only the history cursor,
which goes back to the server, is kept as it came.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from poe_tui.core.errors import ProtocolError
from poe_tui.core.text import clean_json


@dataclass(frozen=True, slots=True)
class Balance:
    current_point_balance: int
    plan_points_balance: int | None = None
    addon_point_balance: int | None = None
    total_balance_usd: str | None = None
    next_daily_grant_time_us: int | None = None
    next_monthly_grant_time_us: int | None = None
    next_monthly_grant_amount: int | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class PointsEntry:
    query_id: str
    bot_name: str
    creation_time_us: int
    cost_points: int
    usage_type: str = "API"
    cost_usd: str | None = None
    cost_breakdown: Mapping[str, str] = field(default_factory=dict)
    chat_name: str | None = None

    @property
    def created_at(self) -> datetime:
        return datetime.fromtimestamp(self.creation_time_us / 1_000_000, tz=UTC)


@dataclass(frozen=True, slots=True)
class PointsPage:
    entries: tuple[PointsEntry, ...]
    has_more: bool

    @property
    def last_query_id(self) -> str | None:
        """The cursor for the next page (`starting_after`)."""
        return self.entries[-1].query_id if self.entries else None


def _int(data: Mapping[str, Any], key: str, where: str, *, required: bool) -> int | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ProtocolError(f"{where}: '{key}' should be a number, got {type(value).__name__}")
    # Python's JSON reads NaN and Infinity, which no count can be.
    if isinstance(value, float) and not math.isfinite(value):
        raise ProtocolError(f"{where}: '{key}' should be a finite number, got {value}")
    return int(value)


def _str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) else None


def _cleaned(body: Any, where: str) -> Any:
    try:
        return clean_json(body)
    except ValueError as error:
        raise ProtocolError(f"{where}: {error}") from None


BALANCE_KEYS = frozenset(
    {
        "current_point_balance",
        "plan_points_balance",
        "addon_point_balance",
        "total_balance_usd",
        "next_daily_grant_time",
        "next_monthly_grant_time",
        "next_monthly_grant_amount",
    }
)


def parse_balance(body: Any) -> Balance:
    if not isinstance(body, Mapping):
        raise ProtocolError("The balance reply should be a JSON object.")
    where = "balance"
    body = _cleaned(body, where)
    points = _int(body, "current_point_balance", where, required=True)
    assert points is not None
    return Balance(
        current_point_balance=points,
        plan_points_balance=_int(body, "plan_points_balance", where, required=False),
        addon_point_balance=_int(body, "addon_point_balance", where, required=False),
        total_balance_usd=_str(body, "total_balance_usd"),
        next_daily_grant_time_us=_int(body, "next_daily_grant_time", where, required=False),
        next_monthly_grant_time_us=_int(body, "next_monthly_grant_time", where, required=False),
        next_monthly_grant_amount=_int(body, "next_monthly_grant_amount", where, required=False),
        extra={k: v for k, v in body.items() if k not in BALANCE_KEYS},
    )


def _parse_breakdown(value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): str(v) for k, v in value.items()}


def parse_points_entry(data: Any, index: int) -> PointsEntry:
    where = f"points history entry {index}"
    if not isinstance(data, Mapping):
        raise ProtocolError(f"{where}: expected an object")
    query_id = data.get("query_id")  # sent back as a cursor: as it came
    if not isinstance(query_id, str) or not query_id:
        raise ProtocolError(f"{where}: missing 'query_id'")
    data = _cleaned(data, where)
    created = _int(data, "creation_time", where, required=True)
    cost = _int(data, "cost_points", where, required=True)
    assert created is not None and cost is not None
    return PointsEntry(
        query_id=query_id,
        bot_name=_str(data, "bot_name") or _str(data, "app_name") or "?",
        creation_time_us=created,
        cost_points=cost,
        usage_type=_str(data, "usage_type") or "API",
        cost_usd=_str(data, "cost_usd"),
        cost_breakdown=_parse_breakdown(data.get("cost_breakdown_in_points")),
        chat_name=_str(data, "chat_name"),
    )


def parse_points_page(body: Any) -> PointsPage:
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise ProtocolError("The points history should be an object with a 'data' list.")
    entries = tuple(parse_points_entry(item, i) for i, item in enumerate(body["data"]))
    return PointsPage(entries=entries, has_more=bool(body.get("has_more")) and bool(entries))

"""`GET /usage/current_balance` and `GET /usage/points_history` (§6)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from poe_tui.fakepoe import failures
from poe_tui.fakepoe.billing import USD_PER_POINT
from poe_tui.fakepoe.common import begin
from poe_tui.fakepoe.fault_doors import Door, fault_refusal
from poe_tui.fakepoe.state import now_us

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MONTHLY_GRANT_POINTS = 1_000_000
_US_PER_DAY = 86_400 * 1_000_000


def _usd(points: int) -> str:
    return f"{points * USD_PER_POINT:.2f}"


def balance_body(balance: int) -> dict[str, Any]:
    """The documented field plus the extended ones real responses carry (µs times)."""
    now = now_us()
    day_start = now - now % _US_PER_DAY
    return {
        "current_point_balance": balance,
        "plan_points_balance": balance,
        "addon_point_balance": 0,
        "plan_balance_usd": _usd(balance),
        "addon_balance_usd": "0.00",
        "total_balance_usd": _usd(balance),
        "points_cycle_start_time": day_start - 12 * _US_PER_DAY,
        "next_daily_grant_time": day_start + _US_PER_DAY,
        "next_monthly_grant_time": day_start + 18 * _US_PER_DAY,
        "next_daily_grant_amount": 0,
        "next_monthly_grant_amount": MONTHLY_GRANT_POINTS,
        "auto_recharge": {
            "enabled": False,
            "status": "disabled",
            "threshold_points": 10_000,
            "threshold_usd": _usd(10_000),
            "refill_points": 100_000,
            "refill_usd": _usd(100_000),
            "last_recharge_failure_time": None,
        },
    }


async def current_balance(request: Request) -> Response:
    call = await begin(request)
    faulted = fault_refusal(call, Door.OTHER, call.error)
    if faulted is not None:
        return faulted
    failure = call.auth_failure()
    if failure is not None:
        return call.error(failure)
    return call.json(balance_body(call.state.snapshot_balance()))


def parse_limit(raw: str | None) -> int | None:
    """The page size, or None when it is not an integer in 1..100."""
    if raw is None:
        return DEFAULT_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        return None
    return limit if 1 <= limit <= MAX_LIMIT else None


async def points_history(request: Request) -> Response:
    call = await begin(request)
    faulted = fault_refusal(call, Door.OTHER, call.error)
    if faulted is not None:
        return faulted
    failure = call.auth_failure()
    if failure is not None:
        return call.error(failure)
    limit = parse_limit(request.query_params.get("limit"))
    if limit is None:
        return call.error(
            failures.bad_request(f"`limit` must be an integer from 1 to {MAX_LIMIT}.")
        )
    cursor = request.query_params.get("starting_after") or None
    try:
        page, has_more = call.state.history_page(limit, cursor)
    except KeyError:
        # Real behaviour is unknown (§10.9); a clear 400 beats silently restarting.
        return call.error(
            failures.bad_request(
                f"`starting_after` {cursor!r} is not a query_id in your points history."
            )
        )
    return call.json(
        {"has_more": has_more, "length": len(page), "data": [entry.to_json() for entry in page]}
    )


def routes() -> list[BaseRoute]:
    return [
        Route("/usage/current_balance", current_balance, methods=["GET"]),
        Route("/usage/points_history", points_history, methods=["GET"]),
    ]

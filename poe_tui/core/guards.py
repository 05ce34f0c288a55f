"""Reasons to ask before sending: an expensive bot, or a low balance.

Both limits are settings (`[guards]` in config.toml); `None` turns a guard off. The UI
asks; this only says whether and why.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from poe_tui.core.accounting import ObservedCost
from poe_tui.core.errors import POINTS_URL
from poe_tui.core.models import ModelInfo, format_usd


@dataclass(frozen=True, slots=True)
class GuardLimits:
    # Ask before sending to a bot whose per-request or per-image price is above this.
    request_price_usd: Decimal | None = None
    # Ask before sending while the balance is below this many points.
    low_balance_points: int | None = None


@dataclass(frozen=True, slots=True)
class SendWarning:
    kind: Literal["price", "balance"]
    headline: str
    detail: str


def _price_warning(
    model: ModelInfo, limit: Decimal, observed: ObservedCost | None
) -> SendWarning | None:
    pricing = model.pricing
    if pricing is None:
        return None
    over = [
        (price, unit)
        for price, unit in ((pricing.request, "request"), (pricing.image, "image"))
        if price is not None and price > limit
    ]
    if not over:
        return None
    costs = " and ".join(f"{format_usd(price)} per {unit}" for price, unit in over)
    detail = f"That is above your limit of {format_usd(limit)} ([guards] request_price_usd)."
    if observed is not None and observed.replies:
        replies = "reply" if observed.replies == 1 else f"{observed.replies:,} replies"
        detail += f" You paid {observed.average:,} points per reply on average ({replies})."
    return SendWarning("price", f"{model.display_name} costs {costs}.", detail)


def _balance_warning(balance: int, limit: int) -> SendWarning | None:
    if balance >= limit:
        return None
    return SendWarning(
        "balance",
        f"Your balance is {balance:,} points.",
        f"That is below your limit of {limit:,} points ([guards] low_balance_points). "
        f"Get more points at {POINTS_URL}.",
    )


def send_warnings(
    model: ModelInfo | None,
    balance: int | None,
    limits: GuardLimits,
    observed: ObservedCost | None = None,
) -> list[SendWarning]:
    """Why sending now deserves a second thought (empty: just send).

    An unknown model (list not loaded) or an unknown balance (not fetched yet) raises
    no warning: the guard is there to catch a known cost, not to block on the network.
    """
    warnings: list[SendWarning] = []
    if model is not None and limits.request_price_usd is not None:
        warning = _price_warning(model, limits.request_price_usd, observed)
        if warning is not None:
            warnings.append(warning)
    if balance is not None and limits.low_balance_points is not None:
        low = _balance_warning(balance, limits.low_balance_points)
        if low is not None:
            warnings.append(low)
    return warnings


def out_of_points_note(balance: int | None, already_said: str = "") -> str:
    """The line under an "Out of points" failure: the balance, and where to get points
    unless Poe's own message (`already_said`) names that page already."""
    where = "" if POINTS_URL in already_said else f"Get more points at {POINTS_URL}."
    if balance is None:
        return where or "Checking your balance…"
    return f"Your balance is {balance:,} points. {where}".strip()

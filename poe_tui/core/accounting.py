"""Points accounting over `/usage/points_history`: what each reply cost, what was spent.

No Textual here: the chat screen, the sidebar, the pricing browser and `poe-tui usage`
all read the same numbers from these functions.

- `PointsLedger` keeps the last month of history up to date with few requests: the first
  load pages back (via `starting_after`) to the horizon, later loads stop at the first
  page that overlaps what is already known.
- `match_cost` / `CostTracker` tie a finished reply to its history row. Poe bills as a
  reply ends, so the row nearest the reply's end wins, within a window that allows for
  the difference between our clock and Poe's. Rows with negative `cost_points` are
  refunds, never the bill of a reply, but they do count in the spending totals.
- `daily_spend`, `spend_summary`, `summarize_by_bot`, `summarize_by_day` and
  `observed_costs` are the totals shown in the sidebar, the browser and the CLI.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, tzinfo
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from poe_tui.core.conversation import Message
from poe_tui.core.errors import BadRequestError
from poe_tui.core.models import ModelInfo
from poe_tui.core.usage import PointsEntry

if TYPE_CHECKING:
    from poe_tui.core.client import PoeClient

US_PER_SECOND = 1_000_000
CHART_DAYS = 30
# Rows stamped this long before a reply started may still be its bill: Poe's clock and
# ours never agree exactly, and the estimate from the Date header is only to the second.
COST_MATCH_SLACK_US = 10 * US_PER_SECOND
# A row stamped later than this after the reply ended belongs to some other request.
MAX_BILLING_DELAY_US = 10 * 60 * US_PER_SECOND
HISTORY_PAGE = 100  # the most /usage/points_history gives per request
LEDGER_DAYS = 32  # covers this calendar month and the 30-day chart
LEDGER_MAX_ENTRIES = 5_000  # a bound on the first load for very heavy users


# --- bot names ----------------------------------------------------------------------------


def bot_names(bot: str, models: Iterable[ModelInfo] | None) -> set[str]:
    """Names a points-history row may use for `bot`, casefolded (Poe logs display names)."""
    names = {bot.casefold()}
    for model in models or ():
        if model.id.casefold() == bot.casefold():
            names.add(model.display_name.casefold())
    return names


# --- matching a reply to its bill -----------------------------------------------------------


def reply_window_us(reply: Message, clock_offset_us: int = 0) -> tuple[int, int]:
    """When the reply ran, in Poe's clock: (started, finished) in microseconds."""
    start = int(reply.created_at * US_PER_SECOND) + clock_offset_us
    end = int((reply.finished_at or reply.created_at) * US_PER_SECOND) + clock_offset_us
    return start, end


def match_cost(
    reply: Message,
    entries: Iterable[PointsEntry],
    names: set[str],
    claimed: set[str],
    *,
    clock_offset_us: int = 0,
) -> PointsEntry | None:
    """The unclaimed bill for this bot nearest to when the reply ended, or None.

    `clock_offset_us` is Poe's clock minus ours (see `ServerClock`): the reply's times
    are moved onto Poe's clock before they are compared with the rows' stamps.
    """
    start_us, end_us = reply_window_us(reply, clock_offset_us)
    earliest = start_us - COST_MATCH_SLACK_US
    latest = end_us + MAX_BILLING_DELAY_US
    candidates = [
        entry
        for entry in entries
        if entry.cost_points >= 0  # a refund is not the bill of a reply
        and entry.query_id not in claimed
        and earliest <= entry.creation_time_us <= latest
        and entry.bot_name.casefold() in names
    ]
    return min(candidates, key=lambda e: abs(e.creation_time_us - end_us), default=None)


@dataclass(slots=True)
class _Waiting:
    reply: Message
    attempts: int = 0


@dataclass(slots=True)
class CostTracker:
    """Finished replies waiting for their history row, and the rows already claimed.

    `settle` is called after each history refresh. A reply whose row is not there yet
    (Poe may log it a moment late) keeps waiting for a few refreshes; meanwhile, when it
    is the only reply waiting, the drop in the balance stands in for its cost.
    """

    names_for: Callable[[str], set[str]]
    max_attempts: int = 3
    claimed: set[str] = field(default_factory=set)
    _waiting: list[_Waiting] = field(default_factory=list)

    @property
    def waiting(self) -> bool:
        return bool(self._waiting)

    def expect(self, reply: Message) -> None:
        if not any(w.reply is reply for w in self._waiting):
            self._waiting.append(_Waiting(reply))

    def forget(self, reply: Message) -> None:
        """The reply is being retried: its old cost no longer applies."""
        self._waiting = [w for w in self._waiting if w.reply is not reply]

    def settle(
        self,
        entries: Sequence[PointsEntry],
        *,
        balance_drop: int | None = None,
        clock_offset_us: int = 0,
    ) -> list[Message]:
        """Give each waiting reply its cost where possible; returns the replies changed."""
        changed: list[Message] = []
        unmatched: list[_Waiting] = []
        # Oldest first, so an earlier reply claims the earlier of two similar rows.
        ordered = sorted(self._waiting, key=lambda w: w.reply.finished_at or w.reply.created_at)
        for waiting in ordered:
            reply = waiting.reply
            entry = match_cost(
                reply,
                entries,
                self.names_for(reply.bot),
                self.claimed,
                clock_offset_us=clock_offset_us,
            )
            if entry is None:
                waiting.attempts += 1
                unmatched.append(waiting)
                continue
            self.claimed.add(entry.query_id)
            reply.points = entry.cost_points
            changed.append(reply)
        # What the matched replies cost is part of the drop too: only the rest is left
        # to estimate the one unmatched reply with.
        rest = (balance_drop or 0) - sum(r.points or 0 for r in changed)
        if len(unmatched) == 1 and unmatched[0].attempts == 1 and rest > 0:
            # An estimate until the row shows up (and the only figure if it never does).
            unmatched[0].reply.points = rest
            changed.append(unmatched[0].reply)
        still = [w for w in unmatched if w.attempts < self.max_attempts]
        self._waiting = still
        return changed


# --- the ledger: the last month of history, kept fresh ---------------------------------------


class PointsLedger:
    """The points history back to a horizon, newest first, refreshed incrementally."""

    def __init__(self, *, days: int = LEDGER_DAYS, max_entries: int = LEDGER_MAX_ENTRIES) -> None:
        self.days = days
        self.max_entries = max_entries
        self._entries: list[PointsEntry] = []
        self._ids: set[str] = set()
        self._complete = False  # reached the horizon, the end of history or the bound
        self.loaded = False  # at least one refresh finished

    @property
    def entries(self) -> list[PointsEntry]:
        """Newest first."""
        return list(self._entries)

    def horizon_us(self, now_us: int) -> int:
        return now_us - self.days * 86_400 * US_PER_SECOND

    async def refresh(self, client: PoeClient, now_us: int) -> int:
        """Fetch what is new since the last refresh; returns how many rows were added.

        Safe to cancel at any await: what is kept is always one unbroken run of history
        from the newest row down, and the next refresh carries on where this one stopped.
        """
        horizon = self.horizon_us(now_us)
        if self._entries:
            added = await self._fetch_newest(client, horizon)
        else:
            added = await self._fetch_pages(client, horizon, cursor=None)
        if not self._complete and self._entries:
            added += await self._fetch_pages(client, horizon, self._entries[-1].query_id)
        self._keep([e for e in self._entries if e.creation_time_us >= horizon])
        self.loaded = True
        return added

    def _keep(self, entries: list[PointsEntry]) -> None:
        self._entries = entries
        self._ids = {e.query_id for e in entries}

    async def _fetch_pages(self, client: PoeClient, horizon: int, cursor: str | None) -> int:
        """Append the pages below `cursor` (None: from the top), keeping each as it comes,
        until the horizon, the end of history or the bound."""
        added = 0
        while True:
            try:
                page = await client.get_points_history(limit=HISTORY_PAGE, starting_after=cursor)
            except BadRequestError:
                if cursor is None:
                    raise
                self._complete = True  # the cursor aged out of Poe's history
                return added
            new = [e for e in page.entries if e.query_id not in self._ids]
            self._keep(self._entries + new)
            added += len(new)
            # A page of rows we already have means the cursor did not move on: stop
            # rather than ask for the same page forever.
            done = not page.has_more or page.last_query_id is None or not new
            if done or self._past_limits(page.entries, horizon, len(self._entries)):
                self._complete = True
                return added
            cursor = page.last_query_id

    async def _fetch_newest(self, client: PoeClient, horizon: int) -> int:
        """Pages from the top until one reaches a row we have. They are added in one go,
        so a refresh cancelled half way never leaves a gap above the rows we had."""
        fresh: list[PointsEntry] = []
        cursor: str | None = None
        while True:
            page = await client.get_points_history(limit=HISTORY_PAGE, starting_after=cursor)
            new = [e for e in page.entries if e.query_id not in self._ids]
            fresh.extend(new)
            if len(new) < len(page.entries):  # reached what we had: one unbroken run
                self._keep(fresh + self._entries)
                return len(fresh)
            done = not page.has_more or page.last_query_id is None
            if done or self._past_limits(page.entries, horizon, len(fresh)):
                # What we had is gone from the history or beyond the bound: start afresh.
                self._keep(fresh)
                self._complete = True
                return len(fresh)
            cursor = page.last_query_id

    def _past_limits(self, page: Sequence[PointsEntry], horizon: int, count: int) -> bool:
        oldest = min((e.creation_time_us for e in page), default=horizon)
        return oldest < horizon or count >= self.max_entries


async def history_since(
    client: PoeClient, since_us: int | None, *, max_entries: int, starting_after: str | None = None
) -> list[PointsEntry]:
    """Newest first, across pages, until `since_us` (exclusive), `max_entries` or the end."""
    entries: list[PointsEntry] = []
    cursor = starting_after
    while len(entries) < max_entries:
        page = await client.get_points_history(
            limit=min(HISTORY_PAGE, max_entries - len(entries)), starting_after=cursor
        )
        for entry in page.entries:
            if since_us is not None and entry.creation_time_us < since_us:
                return entries
            entries.append(entry)
        if not page.has_more or page.last_query_id is None:
            break
        cursor = page.last_query_id
    return entries[:max_entries]


# --- totals -----------------------------------------------------------------------------


def _zone(now: datetime) -> tzinfo:
    zone = now.tzinfo if now.tzinfo is not None else now.astimezone().tzinfo
    assert zone is not None
    return zone


def local_day(entry: PointsEntry, zone: tzinfo) -> date:
    return entry.created_at.astimezone(zone).date()


def daily_spend(entries: Iterable[PointsEntry], now: datetime, days: int = CHART_DAYS) -> list[int]:
    """Points spent on each of the last `days` days, oldest first, today last.

    Days are calendar days in the time zone of `now` (pass an aware local time).
    Refunds count against their day, but a day never goes below 0. Entries older than
    the window are ignored; entries stamped after `now` (clock skew) count as today.
    """
    if days < 1:
        raise ValueError("days must be at least 1")
    zone = _zone(now)
    today = now.astimezone(zone).date()
    totals = [0] * days
    for entry in entries:
        age = (today - local_day(entry, zone)).days
        if age < days:
            totals[days - 1 - max(age, 0)] += entry.cost_points
    return [max(total, 0) for total in totals]


@dataclass(frozen=True, slots=True)
class SpendSummary:
    """Net points spent today and since the first of this month (local calendar)."""

    today: int
    this_month: int


def spend_summary(entries: Iterable[PointsEntry], now: datetime) -> SpendSummary:
    zone = _zone(now)
    today = now.astimezone(zone).date()
    day_total = month_total = 0
    for entry in entries:
        day = min(local_day(entry, zone), today)  # a row from Poe's future is today's
        if (day.year, day.month) == (today.year, today.month):
            month_total += entry.cost_points
            if day == today:
                day_total += entry.cost_points
    return SpendSummary(today=day_total, this_month=month_total)


def _usd(value: str | None) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(value)
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class UsageGroup:
    """The rows of one bot or one day: bills, refunds and their net total."""

    key: str
    replies: int  # rows with cost_points >= 0
    refunds: int  # rows with cost_points < 0
    points: int  # net of refunds
    usd: Decimal | None  # None when no row carried cost_usd

    @property
    def average_points(self) -> int | None:
        """Net points per billed reply, rounded; None without a billed reply."""
        return round(self.points / self.replies) if self.replies else None


def _group(entries: Iterable[PointsEntry], key: Callable[[PointsEntry], str]) -> list[UsageGroup]:
    rows: dict[str, list[PointsEntry]] = defaultdict(list)
    for entry in entries:
        rows[key(entry)].append(entry)
    groups = []
    for name, members in rows.items():
        amounts = [usd for e in members if (usd := _usd(e.cost_usd)) is not None]
        groups.append(
            UsageGroup(
                key=name,
                replies=sum(1 for e in members if e.cost_points >= 0),
                refunds=sum(1 for e in members if e.cost_points < 0),
                points=sum(e.cost_points for e in members),
                usd=sum(amounts, Decimal(0)) if amounts else None,
            )
        )
    return groups


def summarize_by_bot(entries: Iterable[PointsEntry]) -> list[UsageGroup]:
    """One group per bot name as Poe logs it, most points first (ties by name)."""
    groups = _group(entries, lambda e: e.bot_name)
    return sorted(groups, key=lambda g: (-g.points, g.key.casefold()))


def summarize_by_day(entries: Iterable[PointsEntry], zone: tzinfo) -> list[UsageGroup]:
    """One group per local calendar day (ISO date keys), newest day first."""
    groups = _group(entries, lambda e: local_day(e, zone).isoformat())
    return sorted(groups, key=lambda g: g.key, reverse=True)


def top_bots(entries: Iterable[PointsEntry], count: int) -> list[tuple[str, int]]:
    """The `count` bots with the most net points (positive only), then "others"."""
    groups = [g for g in summarize_by_bot(entries) if g.points > 0]
    shown = [(g.key, g.points) for g in groups[:count]]
    rest = sum(g.points for g in groups[count:])
    if rest > 0:
        shown.append((f"{len(groups) - count} others", rest))
    return shown


# --- observed cost per bot ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ObservedCost:
    """What the user actually paid for a bot's replies, from the points history."""

    replies: int
    points: int  # net of refunds

    @property
    def average(self) -> int:
        return round(self.points / self.replies) if self.replies else 0


def observed_costs(entries: Iterable[PointsEntry]) -> dict[str, ObservedCost]:
    """Casefolded history bot name -> observed cost (bots with a billed reply only)."""
    return {
        group.key.casefold(): ObservedCost(group.replies, group.points)
        for group in summarize_by_bot(entries)
        if group.replies
    }


def observed_for(model: ModelInfo, observed: dict[str, ObservedCost]) -> ObservedCost | None:
    """The observed cost of `model`, whichever of its names the history used."""
    return observed.get(model.display_name.casefold()) or observed.get(model.id.casefold())


def since_days(now: datetime, days: int) -> datetime:
    """The start of the day `days - 1` days before `now`'s day: a window of `days` days."""
    zone = _zone(now)
    start = now.astimezone(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    return start - timedelta(days=days - 1)

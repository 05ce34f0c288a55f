"""Points accounting: replies matched to history rows (across pages, with clock skew and
refunds), the incremental ledger, and the totals, against the local server over loopback.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest

from poe_tui.core.accounting import (
    COST_MATCH_SLACK_US,
    CostTracker,
    ObservedCost,
    PointsLedger,
    bot_names,
    daily_spend,
    history_since,
    match_cost,
    observed_costs,
    observed_for,
    spend_summary,
    summarize_by_bot,
    summarize_by_day,
    top_bots,
)
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import Message
from poe_tui.core.messages import ChatMessage
from poe_tui.core.models import ModelInfo
from poe_tui.core.server_clock import ServerClock
from poe_tui.core.transports.registry import Transport
from poe_tui.core.usage import PointsEntry, PointsPage
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.state import HistoryEntry

KEY = ApiKey("accounting-test-key")
US = 1_000_000


def row(query_id: str, seconds: float, bot: str = "GPT-5", cost: int = 1) -> PointsEntry:
    return PointsEntry(query_id, bot, int(seconds * US), cost)


def reply(start: float, end: float, bot: str = "gpt-5") -> Message:
    return Message("assistant", "hi", bot, created_at=start, finished_at=end)


# --- match_cost ---------------------------------------------------------------------------


def test_the_row_nearest_the_reply_end_wins() -> None:
    entries = [
        row("later", 1030, cost=7),
        row("ours", 1004.2, cost=5),
        row("other-bot", 1004.1, bot="Claude-Sonnet-4.5"),
        row("earlier", 960, cost=9),
    ]
    ours = reply(1000, 1004)
    assert match_cost(ours, entries, {"claude-haiku-4.5"}, set()) is None
    match = match_cost(ours, entries, {"gpt-5"}, set())  # names compare casefolded
    assert match is not None and match.query_id == "ours"
    match = match_cost(ours, entries, {"gpt-5"}, {"ours"})
    assert match is not None and match.query_id == "later"


def test_a_refund_is_never_a_reply_bill() -> None:
    # The refund is stamped right at the reply's end; the bill a little later.
    entries = [row("bill", 1006, cost=40), row("refund", 1004, cost=-40)]
    match = match_cost(reply(1000, 1004), entries, {"gpt-5"}, set())
    assert match is not None and match.query_id == "bill"
    assert match_cost(reply(1000, 1004), [entries[1]], {"gpt-5"}, set()) is None


def test_rows_outside_the_window_belong_to_other_requests() -> None:
    ours = reply(1000, 1004)
    too_early = row("early", 1000 - COST_MATCH_SLACK_US / US - 1)
    too_late = row("late", 1004 + 11 * 60)
    assert match_cost(ours, [too_early, too_late], {"gpt-5"}, set()) is None
    within_slack = row("skewed", 1000 - COST_MATCH_SLACK_US / US + 1)
    assert match_cost(ours, [within_slack], {"gpt-5"}, set()) is within_slack


@pytest.mark.parametrize("skew_seconds", [-180, -45, 45, 180])
def test_clock_skew_is_corrected_with_the_offset(skew_seconds: int) -> None:
    """Poe's clock `skew_seconds` off ours: its rows are stamped that much off."""
    ours = reply(1000, 1004)
    bill = row("ours", 1004.5 + skew_seconds, cost=12)
    # The same bot's previous bill, 40 s of Poe's clock before ours.
    previous = row("previous", 964.5 + skew_seconds, cost=99)
    entries = [bill, previous]
    match = match_cost(ours, entries, {"gpt-5"}, set(), clock_offset_us=skew_seconds * US)
    assert match is bill
    if skew_seconds < -COST_MATCH_SLACK_US / US:
        # Without the offset, a clock far behind puts our bill before the reply began.
        assert match_cost(ours, [bill], {"gpt-5"}, set()) is None


def model_named(model_id: str, display_name: str) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        display_name=display_name,
        owned_by="Poe",
        description="",
        created_ms=None,
        input_modalities=("text",),
        output_modalities=("text",),
        modality="",
        context_length=None,
        max_output_tokens=None,
        pricing=None,
        reasoning=None,
        supported_endpoints=(),
        supported_features=(),
        parameters=(),
    )


def test_bot_names_include_the_display_name() -> None:
    assert bot_names("GPT-5", None) == {"gpt-5"}
    models = [model_named("dall-e-3", "DALL-E-3"), model_named("sd3", "StableDiffusion3")]
    assert bot_names("SD3", models) == {"sd3", "stablediffusion3"}


# --- CostTracker ------------------------------------------------------------------------


def names(bot: str) -> set[str]:
    return {bot.casefold()}


def test_tracker_gives_each_reply_its_own_row_oldest_first() -> None:
    first, second = reply(1000, 1002), reply(1003, 1005)
    tracker = CostTracker(names_for=names)
    tracker.expect(second)
    tracker.expect(first)
    tracker.expect(first)  # twice is once
    # Both rows lie in both windows; each reply must get the one nearest its own end.
    entries = [row("b", 1005.3, cost=20), row("a", 1002.2, cost=10)]
    changed = tracker.settle(entries)
    assert {id(m) for m in changed} == {id(first), id(second)}
    assert (first.points, second.points) == (10, 20)
    assert not tracker.waiting
    assert tracker.claimed == {"a", "b"}


def test_a_late_row_replaces_the_balance_drop_estimate() -> None:
    late = reply(1000, 1002)
    tracker = CostTracker(names_for=names, max_attempts=3)
    tracker.expect(late)
    assert tracker.settle([], balance_drop=33) == [late]
    assert late.points == 33 and tracker.waiting  # an estimate; still waiting
    tracker.settle([], balance_drop=5)
    assert late.points == 33  # a later drop is someone else's
    tracker.settle([row("late", 1003, cost=31)])
    assert late.points == 31 and not tracker.waiting


def test_the_estimate_leaves_out_what_matched_replies_cost() -> None:
    matched, unmatched = reply(1000, 1002), reply(1003, 1005)
    tracker = CostTracker(names_for=names)
    tracker.expect(matched)
    tracker.expect(unmatched)
    # One row arrived (20 points); the balance fell by 50: the other reply cost 30.
    tracker.settle([row("m", 1002.1, cost=20)], balance_drop=50)
    assert (matched.points, unmatched.points) == (20, 30)


def test_unmatched_replies_give_up_after_max_attempts() -> None:
    a, b = reply(1000, 1002), reply(1003, 1004)
    tracker = CostTracker(names_for=names, max_attempts=2)
    tracker.expect(a)
    tracker.expect(b)
    assert tracker.settle([], balance_drop=50) == []  # two waiting: a drop says nothing
    assert tracker.waiting
    tracker.settle([])
    assert not tracker.waiting and a.points is None and b.points is None


def test_forget_drops_a_retried_reply() -> None:
    a = reply(1000, 1002)
    tracker = CostTracker(names_for=names)
    tracker.expect(a)
    tracker.forget(a)
    assert not tracker.waiting and tracker.settle([row("x", 1002)]) == []


# --- against the local server: pages, the ledger, the server clock ------------------------


@pytest.fixture
def server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0) as fake:
        fake.state.history.clear()
        yield fake


@pytest.fixture
async def client(server: FakePoeServer) -> AsyncIterator[PoeClient]:
    async with PoeClient(KEY, base_url=server.base_url) as c:
        yield c


def other_usage(server: FakePoeServer, count: int, *, after_us: int, tag: str = "other") -> None:
    """`count` rows of another bot, newer than `after_us`, at the top of the history."""
    rows = [
        HistoryEntry(after_us + (count - i) * 1000, "Claude-Haiku-4.5", f"{tag}{i:04d}", 3, {})
        for i in range(count)
    ]
    server.state.history[:0] = rows


async def stream_reply(client: PoeClient, bot: str, clock: float | None = None) -> Message:
    """A real reply from the local server, timed by our clock as the chat screen does."""
    message = Message("assistant", "", bot, created_at=clock or time.time())
    async for event in client.stream_chat(
        bot, [ChatMessage("user", "hello")], transport=Transport.NATIVE
    ):
        text = getattr(event, "text", "")
        message.text += text if isinstance(text, str) else ""
    message.finished_at = time.time()
    return message


async def test_reply_matched_when_its_row_is_on_a_later_page(
    server: FakePoeServer, client: PoeClient
) -> None:
    ours = await stream_reply(client, "echo")
    bill = server.state.history[0]
    assert bill.bot_name == "Echo"
    # 250 later requests by another client push our row down to the third page.
    other_usage(server, 250, after_us=bill.creation_time)
    ledger = PointsLedger()
    await ledger.refresh(client, server.state.now_us())
    pages = server.state.requests_to("/usage/points_history")
    assert len(pages) == 3
    assert pages[1].query["starting_after"] == "other0099"
    tracker = CostTracker(names_for=lambda bot: bot_names(bot, [model_named("echo", "Echo")]))
    tracker.expect(ours)
    tracker.settle(ledger.entries, clock_offset_us=client.server_clock.offset_us)
    assert ours.points == bill.cost_points > 0


async def test_ledger_refresh_fetches_only_what_is_new(
    server: FakePoeServer, client: PoeClient
) -> None:
    now = server.state.now_us()
    other_usage(server, 230, after_us=now - 3_600 * US)
    ledger = PointsLedger()
    await ledger.refresh(client, server.state.now_us())
    assert len(ledger.entries) == 230
    first_load = server.state.count("/usage/points_history")
    assert first_load == 3  # 100 + 100 + 30
    await stream_reply(client, "echo")
    added = await ledger.refresh(client, server.state.now_us())
    assert added == 1 and ledger.entries[0].bot_name == "Echo"
    assert server.state.count("/usage/points_history") == first_load + 1


async def test_ledger_stops_at_its_horizon(server: FakePoeServer, client: PoeClient) -> None:
    now = server.state.now_us()
    day = 86_400 * US
    server.state.history[:0] = [
        HistoryEntry(now - d * day, "GPT-5", f"day{d:03d}", 10, {}) for d in range(0, 200)
    ]
    ledger = PointsLedger(days=32)
    await ledger.refresh(client, now)
    ages = {(now - e.creation_time_us) // day for e in ledger.entries}
    assert max(ages) == 32 and len(ledger.entries) == 33  # days 0..32 inclusive
    assert server.state.count("/usage/points_history") == 1  # the first page went past it


async def test_a_first_load_cut_short_resumes_below_the_oldest_row(
    server: FakePoeServer, client: PoeClient
) -> None:
    now = server.state.now_us()
    other_usage(server, 150, after_us=now - 3_600 * US)
    ledger = PointsLedger(max_entries=100)  # the first load stops after one page
    await ledger.refresh(client, now)
    assert len(ledger.entries) == 100
    ledger.max_entries = 1_000
    ledger._complete = False  # as if a cancelled refresh had left it half done
    await ledger.refresh(client, now)
    assert len(ledger.entries) == 150
    assert len({e.query_id for e in ledger.entries}) == 150


async def test_a_refresh_cancelled_half_way_leaves_no_gap(
    server: FakePoeServer, client: PoeClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    now = server.state.now_us()
    other_usage(server, 250, after_us=now - 3_600 * US)
    real = client.get_points_history
    second_page = asyncio.Event()

    async def stalls_on_the_second_page(**kw: Any) -> PointsPage:
        if kw.get("starting_after"):
            second_page.set()
            await asyncio.Event().wait()  # until cancelled
        return await real(**kw)

    monkeypatch.setattr(client, "get_points_history", stalls_on_the_second_page)
    ledger = PointsLedger()
    refresh = asyncio.create_task(ledger.refresh(client, now))
    await second_page.wait()
    refresh.cancel()  # as when the sidebar's worker is replaced by a newer one
    with pytest.raises(asyncio.CancelledError):
        await refresh
    assert [e.query_id for e in ledger.entries] == [f"other{i:04d}" for i in range(100)]
    # Meanwhile, new usage at the top; the next refresh fills in above and below.
    other_usage(server, 120, after_us=now, tag="newer")
    monkeypatch.setattr(client, "get_points_history", real)
    await ledger.refresh(client, server.state.now_us())
    ids = [e.query_id for e in ledger.entries]
    assert ids == [e.query_id for e in server.state.history]  # 370 rows, in order, once
    assert len(ids) == 370


async def test_history_since_pages_and_stops_at_the_cutoff(
    server: FakePoeServer, client: PoeClient
) -> None:
    now = server.state.now_us()
    other_usage(server, 180, after_us=now - 3_600 * US)
    cutoff = server.state.history[149].creation_time
    found = await history_since(client, cutoff, max_entries=1_000)
    assert len(found) == 150 and found[-1].query_id == server.state.history[149].query_id
    assert len(await history_since(client, None, max_entries=120)) == 120


@pytest.mark.parametrize("skew_seconds", [-150, 150])
async def test_server_clock_offset_matches_a_skewed_server(
    server: FakePoeServer, client: PoeClient, skew_seconds: int
) -> None:
    server.state.clock_skew_us = skew_seconds * US
    await client.get_balance()
    assert client.server_clock.observed
    assert abs(client.server_clock.offset_us - skew_seconds * US) <= 1.5 * US
    ours = await stream_reply(client, "echo")
    bill = server.state.history[0]
    # The same bot billed 40 s earlier on Poe's clock, by another client.
    server.state.history.insert(
        1, dataclasses.replace(bill, query_id="earlier", creation_time=bill.creation_time - 40 * US)
    )
    ledger = PointsLedger()
    await ledger.refresh(client, server.state.now_us())
    tracker = CostTracker(names_for=lambda bot: {"echo"})
    tracker.expect(ours)
    tracker.settle(ledger.entries, clock_offset_us=client.server_clock.offset_us)
    assert tracker.claimed == {bill.query_id}
    assert ours.points == bill.cost_points


def test_server_clock_ignores_missing_or_odd_dates() -> None:
    clock = ServerClock()
    clock.observe(None, 1.0, 2.0)
    clock.observe("not a date", 1.0, 2.0)
    assert not clock.observed and clock.offset_us == 0
    clock.observe("Thu, 01 Jan 2026 00:00:10 GMT", 1_767_225_600.0, 1_767_225_600.0)
    assert clock.observed and clock.offset_us == 10.5 * US


# --- totals -------------------------------------------------------------------------------

LOCAL = timezone(timedelta(hours=-5))
NOW = datetime(2026, 3, 2, 12, 0, tzinfo=LOCAL)


def at(when: datetime, points: int, bot: str = "GPT-5", usd: str | None = None) -> PointsEntry:
    stamp = int(when.timestamp() * US)
    return PointsEntry(f"q{stamp}{bot}{points}", bot, stamp, points, cost_usd=usd)


def test_today_and_this_month_in_local_time() -> None:
    entries = [
        at(NOW, 100),
        at(NOW, -30),  # a refund today
        at(datetime(2026, 3, 2, 4, 0, tzinfo=UTC), 7),  # 23:00 on the 1st, local
        at(datetime(2026, 2, 28, 23, 0, tzinfo=LOCAL), 500),  # last month
        at(NOW + timedelta(minutes=3), 2),  # Poe's clock ahead: today
    ]
    summary = spend_summary(entries, NOW)
    assert summary.today == 72
    assert summary.this_month == 79
    assert daily_spend(entries, NOW, days=3) == [500, 7, 72]


def test_summaries_by_bot_and_day_net_refunds() -> None:
    entries = [
        at(NOW, 100, "GPT-5", "0.003"),
        at(NOW - timedelta(hours=1), 50, "GPT-5", "0.0015"),
        at(NOW - timedelta(days=1), -50, "GPT-5"),
        at(NOW - timedelta(days=1), 400, "Veo-3"),
        at(NOW - timedelta(days=1), 7, "echo"),
    ]
    by_bot = summarize_by_bot(entries)
    assert [g.key for g in by_bot] == ["Veo-3", "GPT-5", "echo"]
    gpt = by_bot[1]
    assert (gpt.replies, gpt.refunds, gpt.points) == (2, 1, 100)
    assert gpt.average_points == 50 and gpt.usd == Decimal("0.0045")
    assert by_bot[0].usd is None
    by_day = summarize_by_day(entries, LOCAL)
    assert [(g.key, g.points, g.replies) for g in by_day] == [
        ("2026-03-02", 150, 2),
        ("2026-03-01", 357, 2),
    ]
    assert top_bots(entries, 1) == [("Veo-3", 400), ("2 others", 107)]


def test_observed_cost_per_bot_under_either_name() -> None:
    entries = [
        at(NOW, 120, "Claude-Sonnet-4.5"),
        at(NOW - timedelta(hours=2), 80, "Claude-Sonnet-4.5"),
        at(NOW - timedelta(hours=3), -80, "Claude-Sonnet-4.5"),
        at(NOW, -5, "Only-Refunds"),
    ]
    observed = observed_costs(entries)
    assert observed == {"claude-sonnet-4.5": ObservedCost(replies=2, points=120)}
    assert observed["claude-sonnet-4.5"].average == 60
    model = model_named("claude-sonnet-4.5", "Claude-Sonnet-4.5")
    assert observed_for(model, observed) == ObservedCost(2, 120)
    assert observed_for(dataclasses.replace(model, display_name="X"), observed) is not None
    assert observed_for(dataclasses.replace(model, id="y", display_name="Y"), observed) is None

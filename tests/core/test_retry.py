"""Automatic retries and the request limiter, against the local Poe server over loopback.

Waits go through an injected sleep that records them (and moves an injected clock), so
the tests assert the computed delays without sleeping; one test sleeps for real, briefly.
"""

from __future__ import annotations

import random
import socket
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from email.utils import formatdate
from pathlib import Path
from typing import Any

import httpx
import pytest

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.events import (
    Done,
    Retrying,
    StreamEvent,
    StreamFailed,
    TextDelta,
    Throttled,
)
from poe_tui.core.files import check_file
from poe_tui.core.messages import ChatMessage
from poe_tui.core.retry import (
    Jitter,
    RequestLimiter,
    RetryBudget,
    RetryPolicy,
    is_transient,
)
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import HEADER, FaultPlan

KEY = ApiKey("retry-test-key")
PROMPT = [ChatMessage("user", "hello there")]
ECHO = "You said: hello there"
# No jitter: the waits are exactly 1, 2, 4... so tests can name them.
STEADY = RetryPolicy(max_attempts=4, base_delay=1.0, factor=2.0, max_delay=20.0, jitter=Jitter.NONE)
TRANSPORTS = [Transport.NATIVE, Transport.OPENAI, Transport.ANTHROPIC]
TRANSIENT = [408, 429, 500, 502, 503, 529]
PERMANENT = [400, 401, 402, 403, 404, 413]


class Clock:
    """A clock that moves only when the recording sleep says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class RecordingSleep:
    def __init__(self, clock: Clock | None = None) -> None:
        self.delays: list[float] = []
        self.clock = clock

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        if self.clock is not None:
            self.clock.now += seconds


def fault(what: int | str, times: int, **options: Any) -> tuple[str, dict[str, str]]:
    """The header of a fault plan that fails the first `times` requests with `what` (a
    status or a fault's name, see fakepoe.fault_plan), and the id the server counts
    them under."""
    plan = replace(FaultPlan.parse(str(what)), times=times, id=uuid.uuid4().hex, **options)
    return plan.id, {HEADER: plan.header()}


@asynccontextmanager
async def client_for(
    server: FakePoeServer,
    headers: dict[str, str] | None = None,
    *,
    policy: RetryPolicy = STEADY,
    sleep: RecordingSleep | None = None,
    limiter: RequestLimiter | None = None,
    base_url: str | None = None,
) -> AsyncIterator[PoeClient]:
    async with httpx.AsyncClient(timeout=10) as http:
        client = PoeClient(
            KEY,
            base_url=base_url or server.base_url,
            http=http,
            retry=policy,
            sleep=sleep or RecordingSleep(),
            limiter=limiter,
        )
        if base_url is None:
            await client.list_models()  # the demo bots that speak /v1/messages
        http.headers.update(headers or {})  # the faults start after that
        yield client


async def collect(client: PoeClient, transport: Transport, bot: str = "echo") -> list[StreamEvent]:
    return [ev async for ev in client.stream_chat(bot, PROMPT, transport=transport)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


def echoed(events: list[StreamEvent]) -> bool:
    """The echo bot's answer, once, and the stream finished."""
    said = text_of(events)
    return said.startswith(ECHO) and said.count("You said") == 1 and isinstance(events[-1], Done)


def retries(events: list[StreamEvent]) -> list[Retrying]:
    return [ev for ev in events if isinstance(ev, Retrying)]


def failure(events: list[StreamEvent]) -> e.PoeError:
    assert isinstance(events[-1], StreamFailed), events
    return events[-1].error


# --- transient failures are retried, then succeed ---------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", TRANSIENT)
async def test_transient_status_is_retried_until_it_clears(
    fake_poe: FakePoeServer, transport: Transport, status: int
) -> None:
    fault_id, headers = fault(status, 2)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, transport)
    assert echoed(events)
    assert fake_poe.state.fault_attempts(fault_id) == 3
    assert [(r.attempt, r.max_attempts) for r in retries(events)] == [(2, 4), (3, 4)]
    assert all(r.error.status == status for r in retries(events))
    # The fake 429 carries Retry-After: 7, which wins over the backoff.
    assert sleep.delays == ([7.0, 7.0] if status == 429 else [1.0, 2.0])


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("status", PERMANENT)
async def test_permanent_status_is_sent_once(
    fake_poe: FakePoeServer, transport: Transport, status: int
) -> None:
    fault_id, headers = fault(status, 1)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, transport)
    assert failure(events).status == status
    assert fake_poe.state.fault_attempts(fault_id) == 1
    assert retries(events) == [] and sleep.delays == []


async def test_server_forbidding_a_retry_is_obeyed(fake_poe: FakePoeServer) -> None:
    # A plan without times makes the fake send x-should-retry: false, as the SDKs read it.
    sleep = RecordingSleep()
    headers = {HEADER: "503"}
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.OPENAI)
    assert failure(events).status == 503 and not failure(events).retryable
    assert sleep.delays == []


async def test_attempts_run_out(fake_poe: FakePoeServer) -> None:
    fault_id, headers = fault(502, 99)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.OPENAI)
    assert failure(events).status == 502
    assert fake_poe.state.fault_attempts(fault_id) == STEADY.max_attempts
    assert sleep.delays == [1.0, 2.0, 4.0]


# --- native error events: allow_retry decides -------------------------------------------


async def test_native_error_allowing_retry_is_retried(fake_poe: FakePoeServer) -> None:
    fault_id, headers = fault("error", 1, status=503, after=0)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.NATIVE)
    assert echoed(events)
    assert fake_poe.state.fault_attempts(fault_id) == 2
    assert sleep.delays == [1.0]


async def test_native_error_with_allow_retry_false_is_final(fake_poe: FakePoeServer) -> None:
    # The fake renders a 500 as fastapi-poe's crash: allow_retry false.
    fault_id, headers = fault("error", 1, status=500, after=0)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.NATIVE)
    assert isinstance(failure(events), e.ServerError) and not failure(events).retryable
    assert fake_poe.state.fault_attempts(fault_id) == 1 and sleep.delays == []


# --- connections ------------------------------------------------------------------------


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_connection_lost_before_the_first_byte_is_retried(
    fake_poe: FakePoeServer, transport: Transport
) -> None:
    fault_id, headers = fault("drop", 1)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, transport)
    assert echoed(events)
    assert isinstance(retries(events)[0].error, e.NetworkError)
    assert fake_poe.state.fault_attempts(fault_id) == 2


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port  # closed again: connecting is refused


async def test_connection_refused_is_retried_then_reported(fake_poe: FakePoeServer) -> None:
    sleep = RecordingSleep()
    base_url = f"http://127.0.0.1:{closed_port()}"
    async with client_for(fake_poe, sleep=sleep, base_url=base_url) as client:
        events = await collect(client, Transport.OPENAI)
        with pytest.raises(e.NetworkError):
            await client.get_balance()
    assert isinstance(failure(events), e.NetworkError)
    assert len(retries(events)) == 3
    assert sleep.delays == [1.0, 2.0, 4.0] * 2


# --- once text went out, nothing is retried ---------------------------------------------


PATHS = {
    Transport.NATIVE: "/bot/{bot}",
    Transport.OPENAI: "/v1/chat/completions",
    Transport.ANTHROPIC: "/v1/messages",
}


@pytest.mark.parametrize("transport", TRANSPORTS)
@pytest.mark.parametrize("bot", ["fail-midstream", "fail-drop"])
async def test_failure_after_text_is_not_retried(
    fake_poe: FakePoeServer, transport: Transport, bot: str
) -> None:
    path = PATHS[transport].format(bot=bot)
    sleep = RecordingSleep()
    async with client_for(fake_poe, sleep=sleep) as client:
        before = fake_poe.state.count(path)
        events = await collect(client, transport, bot)
    assert fake_poe.state.count(path) - before == 1
    assert is_transient(failure(events))  # it would have been retried before any text
    said = text_of(events)
    assert said and said.count(said.split()[0]) == 1  # the text once, not twice
    assert retries(events) == [] and sleep.delays == []


# --- Retry-After and the total budget ---------------------------------------------------


async def test_retry_after_seconds_is_honoured(fake_poe: FakePoeServer) -> None:
    _, headers = fault(503, 1, retry_after="13")
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.ANTHROPIC)
    assert echoed(events) and sleep.delays == [13.0]
    assert retries(events)[0].delay == 13.0


async def test_retry_after_as_an_http_date_is_honoured(fake_poe: FakePoeServer) -> None:
    import time

    when = formatdate(time.time() + 30, usegmt=True)
    _, headers = fault(429, 1, retry_after=when)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.OPENAI)
    assert echoed(events)
    assert len(sleep.delays) == 1 and 20 < sleep.delays[0] <= 31


async def test_retry_after_beyond_the_budget_fails_at_once(fake_poe: FakePoeServer) -> None:
    fault_id, headers = fault(429, 1, retry_after="120")
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        events = await collect(client, Transport.OPENAI)
    error = failure(events)
    assert isinstance(error, e.RateLimitError) and "Wait 2 min" in error.one_line()
    assert fake_poe.state.fault_attempts(fault_id) == 1 and sleep.delays == []


async def test_total_wait_is_bounded(fake_poe: FakePoeServer) -> None:
    policy = RetryPolicy(
        max_attempts=10,
        base_delay=10,
        factor=2,
        max_delay=100,
        max_total_wait=25,
        jitter=Jitter.NONE,
    )
    fault_id, headers = fault(500, 99)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, policy=policy, sleep=sleep) as client:
        events = await collect(client, Transport.OPENAI)
    assert sleep.delays == [10.0, 15.0]  # the second wait is cut to what the budget has left
    assert sum(sleep.delays) == policy.max_total_wait
    assert failure(events).status == 500 and fake_poe.state.fault_attempts(fault_id) == 3


@pytest.mark.parametrize("jitter", [Jitter.FULL, Jitter.DECORRELATED])
def test_jitter_stays_within_bounds_and_grows(jitter: Jitter) -> None:
    policy = RetryPolicy(
        max_attempts=50, base_delay=0.5, max_delay=8, max_total_wait=10_000, jitter=jitter
    )
    budget = RetryBudget(policy, random.Random(7).uniform)
    delays = [budget.next_delay(e.ServerError("x", status=503)) for _ in range(40)]
    assert all(d is not None and 0 <= d <= policy.max_delay for d in delays)
    spread = {round(d or 0, 3) for d in delays}
    assert len(spread) > 20  # jittered, not a fixed schedule
    if jitter is Jitter.FULL:
        first = RetryBudget(policy, lambda low, high: high)
        ceilings = [first.next_delay(e.ServerError("x", status=503)) for _ in range(6)]
        assert ceilings == [0.5, 1.0, 2.0, 4.0, 8.0, 8.0]  # the bounds grow, then cap
    else:
        assert min(delays, key=lambda d: d or 0) >= policy.base_delay


def test_none_policy_never_retries() -> None:
    budget = RetryBudget(RetryPolicy.none(), random.uniform)
    assert budget.next_delay(e.ServerError("x", status=503)) is None


def test_settings_choose_the_attempts_and_the_budget(tmp_path: Path) -> None:
    from poe_tui.config import ConfigError, load_settings

    config = tmp_path / "config.toml"
    config.write_text("[api]\nretries = 0\nretry_max_wait = 15\n")
    settings = load_settings(config)
    policy = RetryPolicy.for_app(
        demo=False, retries=settings.retries, max_wait=settings.retry_max_wait
    )
    assert policy.max_attempts == 1 and policy.max_total_wait == 15
    assert RetryPolicy.for_app(demo=False).max_attempts == 4
    config.write_text("[api]\nretries = -1\n")
    with pytest.raises(ConfigError, match=r"api\.retries"):
        load_settings(config)


def test_parse_retry_after_reads_seconds_and_dates() -> None:
    now = 1_445_412_470.0
    assert e.parse_retry_after("5") == 5.0
    assert e.parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=now) == 10.0
    assert e.parse_retry_after("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0
    assert e.parse_retry_after("soon") is None and e.parse_retry_after("-3") is None


# --- the rest of the client: models, balance, chat, uploads -----------------------------


async def test_get_json_endpoints_are_retried(fake_poe: FakePoeServer) -> None:
    fault_id, headers = fault(503, 1)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        balance = await client.get_balance()
    assert balance.current_point_balance > 0
    assert fake_poe.state.fault_attempts(fault_id) == 2 and sleep.delays == [1.0]


@pytest.mark.parametrize("transport", TRANSPORTS)
async def test_whole_reply_chat_is_retried(fake_poe: FakePoeServer, transport: Transport) -> None:
    fault_id, headers = fault(502, 1)
    async with client_for(fake_poe, headers) as client:
        reply = await client.chat("echo", PROMPT, transport=transport)
    assert reply.text.startswith(ECHO) and fake_poe.state.fault_attempts(fault_id) == 2


async def test_uploads_are_retried(fake_poe: FakePoeServer, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("retry me\n")
    fault_id, headers = fault(502, 1)
    sleep = RecordingSleep()
    async with client_for(fake_poe, headers, sleep=sleep) as client:
        uploaded = await client.uploader(fake_poe.upload_url).upload(await check_file(path))
    assert uploaded.url.startswith("http") and sleep.delays == [1.0]
    assert fake_poe.state.fault_attempts(fault_id) == 2


async def test_a_real_short_wait_end_to_end(fake_poe: FakePoeServer) -> None:
    policy = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, jitter=Jitter.FULL)
    fault_id, headers = fault(503, 2)
    async with (
        httpx.AsyncClient(headers=headers, timeout=10) as http,
        PoeClient(KEY, base_url=fake_poe.base_url, http=http, retry=policy) as client,
    ):
        events = [ev async for ev in client.stream_chat("echo", PROMPT)]
    assert echoed(events) and len(retries(events)) == 2
    assert fake_poe.state.fault_attempts(fault_id) == 3


# --- the limiter ------------------------------------------------------------------------


def test_limiter_holds_the_501st_request_of_a_minute() -> None:
    clock = Clock()
    limiter = RequestLimiter(500, 60.0, clock=clock)
    waits = [limiter.reserve() for _ in range(501)]
    assert waits[:500] == [0.0] * 500 and waits[500] == 60.0
    clock.now += 30
    assert limiter.reserve() == 30.0  # the 502nd: still one window after the 2nd
    clock.now += 100
    assert limiter.reserve() == 0.0


async def test_every_request_of_a_client_shares_the_limiter(fake_poe: FakePoeServer) -> None:
    clock = Clock()
    sleep = RecordingSleep(clock)
    limiter = RequestLimiter(3, 60.0, clock=clock)
    async with client_for(fake_poe, sleep=sleep, limiter=limiter) as client:  # list_models: 1
        await client.get_balance()  # 2
        events = await collect(client, Transport.OPENAI)  # 3
        assert sleep.delays == []
        later = await collect(client, Transport.NATIVE)  # 4: a minute after the first
    assert echoed(events) and echoed(later)
    assert later[0] == Throttled(60.0) and sleep.delays == [60.0]


# --- poe-tui ask ------------------------------------------------------------------------


@pytest.mark.parametrize("stream", [True, False])
async def test_ask_says_retrying_on_stderr_only(
    fake_poe: FakePoeServer, capsys: pytest.CaptureFixture[str], stream: bool
) -> None:
    from poe_tui.commands.ask import run_ask

    _, headers = fault(503, 1, retry_after="3")
    async with client_for(fake_poe, headers) as client:
        await run_ask(client, "echo", "hello there", stream=stream, transport=Transport.OPENAI)
    out, err = capsys.readouterr()
    assert out.startswith(ECHO) and "Retrying" not in out
    assert err == (
        "poe-tui: Retrying in 3 s (attempt 2 of 4): Server error (HTTP 503) · Ctrl-C cancels\n"
    )

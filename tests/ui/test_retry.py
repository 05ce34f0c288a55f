"""Automatic retries in the app, through Pilot against the local Poe server: the reply
counts down "Retrying in N s", Esc cancels the wait, and a retry that works leaves no
trace but the answer."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from textual.pilot import Pilot

from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import MessageStatus
from poe_tui.core.errors import ServerError
from poe_tui.core.events import Retrying, Throttled
from poe_tui.core.retry import Jitter, RetryPolicy
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import HEADER, FaultPlan, Kind
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.chat import ChatScreen
from poe_tui.ui.widgets.prompt_input import PromptInput
from poe_tui.ui.widgets.retry_notice import RetryNotice
from tests.support.pilot import chat, submit, wait_until, workers_done

SIZE = (120, 35)


@pytest.fixture
def app(make_app: Callable[..., PoeApp]) -> PoeApp:
    return make_app("echo")


def fault(status: int, times: int, retry_after: str | None = None) -> tuple[str, dict[str, str]]:
    plan = FaultPlan(
        Kind.STATUS, status=status, times=times, id=uuid.uuid4().hex, retry_after=retry_after
    )
    return plan.id, {HEADER: plan.header()}


async def use_client(app: PoeApp, headers: dict[str, str], policy: RetryPolicy) -> None:
    """The app's client, but sending the fault headers (a real client, real sockets).

    Swapped once the start-up fetches (models, balance) are done, so the faults meet
    only the requests the test makes."""
    await workers_done(app)
    old = app.client
    http = httpx.AsyncClient(headers=headers, timeout=10)
    app._client = PoeClient(old.api_key, base_url=old.base_url, http=http, retry=policy)
    await old.aclose()


async def send(pilot: Pilot[Any], text: str) -> ChatScreen:
    """Send on the OpenAI-compatible door (the fault headers' door); returns at once."""
    screen = chat(pilot)
    screen.set_transport("openai")
    await submit(pilot, text)
    return screen


def chat_attempts(server: FakePoeServer, fault_id: str) -> int:
    """Chat requests carrying the fault (the app also asks for the balance and history)."""
    sent = server.state.requests_to("/v1/chat/completions")
    return sum(f"id={fault_id}" in r.headers.get(HEADER, "") for r in sent)


def notices(screen: ChatScreen) -> list[str]:
    return [str(n.render()) for n in screen.query(RetryNotice)]


async def test_the_wait_is_shown_and_esc_cancels_it(app: PoeApp, fake_poe: FakePoeServer) -> None:
    fault_id, headers = fault(503, 5, retry_after="30")
    async with app.run_test(size=SIZE) as pilot:
        await use_client(app, headers, RetryPolicy())  # the app's own policy
        screen = await send(pilot, "please answer")
        await wait_until(pilot, lambda: bool(notices(screen)))
        assert notices(screen) == [
            "Retrying in 30 s (attempt 2 of 4): Server error (HTTP 503) · Esc cancels"
        ]
        await pilot.press("escape")
        await wait_until(pilot, lambda: screen.job is None)
        reply = screen.conversation.messages[-1]
        assert reply.status is MessageStatus.STOPPED and notices(screen) == []
        assert screen.query_one(PromptInput).text == "please answer"  # the draft is back
        await workers_done(app)  # a retry still waiting would keep its worker running
        assert chat_attempts(fake_poe, fault_id) == 1  # nothing more went out


async def test_a_retry_that_works_leaves_just_the_answer(
    app: PoeApp, fake_poe: FakePoeServer
) -> None:
    fault_id, headers = fault(502, 1)
    quick = RetryPolicy(base_delay=0.3, jitter=Jitter.NONE)
    async with app.run_test(size=SIZE) as pilot:
        await use_client(app, headers, quick)
        screen = await send(pilot, "hello there")
        await wait_until(pilot, lambda: screen.job is None)
        reply = screen.conversation.messages[-1]
        assert reply.status is MessageStatus.COMPLETE
        assert reply.text.startswith("You said: hello there")
        assert reply.text.count("You said") == 1 and notices(screen) == []
        assert chat_attempts(fake_poe, fault_id) == 2


def test_the_notice_counts_down_each_second() -> None:
    now = [100.0]
    error = ServerError("down", status=503)
    notice = RetryNotice(Retrying(2, 4, 3.0, error), clock=lambda: now[0])
    seen = []
    for _ in range(3):
        seen.append(notice.text().split(" (")[0])
        now[0] += 1.0
    assert seen == ["Retrying in 3 s", "Retrying in 2 s", "Retrying in 1 s"]
    limited = RetryNotice(Throttled(12.0), clock=lambda: now[0])
    assert limited.text() == "Waiting 12 s: over 500 requests a minute · Esc cancels"

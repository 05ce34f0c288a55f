"""The core client against the local Poe server over real loopback sockets."""

from __future__ import annotations

import socket

import pytest

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient, Timeouts
from poe_tui.core.events import Done, StreamEvent, StreamFailed, TextDelta, Usage
from poe_tui.core.messages import ChatMessage
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import HEADER

KEY = ApiKey("test-key-for-loopback")


@pytest.fixture
async def client(fake_poe: FakePoeServer):
    async with PoeClient(KEY, base_url=fake_poe.base_url) as c:
        yield c


def _ask(text: str) -> list[ChatMessage]:
    return [ChatMessage("user", text)]


async def _collect(client: PoeClient, bot: str, text: str = "hello") -> list[StreamEvent]:
    return [event async for event in client.stream_chat(bot, _ask(text))]


def _text(events: list[StreamEvent]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextDelta))


async def test_stream_text_usage_and_done(client: PoeClient) -> None:
    events = await _collect(client, "echo", "hi there")
    assert _text(events).startswith("You said: hi there")
    assert isinstance(events[-1], Done) and events[-1].finish_reason == "stop"
    usage = [ev for ev in events if isinstance(ev, Usage)]
    assert (
        len(usage) == 1
        and usage[0].total_tokens == (usage[0].prompt_tokens + usage[0].completion_tokens) > 0
    )
    assert sum(isinstance(ev, Done | StreamFailed) for ev in events) == 1


async def test_stream_long_markdown_showcase(client: PoeClient) -> None:
    text = _text(await _collect(client, "demo-showcase"))
    assert len(text) > 2000 and "```python" in text and "|" in text


async def test_stream_and_complete_give_same_text(client: PoeClient) -> None:
    streamed = _text(await _collect(client, "echo", "same please"))
    reply = await client.chat("echo", _ask("same please"))
    assert reply.text == streamed
    assert reply.finish_reason == "stop" and reply.total_tokens


async def test_model_name_is_case_insensitive(client: PoeClient) -> None:
    assert _text(await _collect(client, "EcHo", "x")).startswith("You said: x")


async def test_conversation_history_is_sent(client: PoeClient, fake_poe: FakePoeServer) -> None:
    messages = [
        ChatMessage("system", "be brief"),
        ChatMessage("user", "one"),
        ChatMessage("assistant", "ok"),
        ChatMessage("user", "two"),
    ]
    await client.chat("echo", messages, parameters={"shout": True})
    body = fake_poe.state.requests_to("/v1/chat/completions")[-1].body
    assert [m["role"] for m in body["messages"]] == ["system", "user", "assistant", "user"]
    assert body["shout"] is True and body["stream"] is False


@pytest.mark.parametrize(
    ("bot", "cls", "words"),
    [
        ("fail-auth", e.AuthenticationError, "key"),
        ("fail-points", e.InsufficientPointsError, "used up your points"),
        ("fail-notfound", e.NotFoundError, "not found"),
        ("fail-ratelimit", e.RateLimitError, "Wait 7 s"),
        ("fail-server", e.ServerError, "try again"),
        ("fail-overloaded", e.ServerError, "try again"),
        ("no-such-bot-anywhere", e.NotFoundError, "not found"),
    ],
)
async def test_failure_bots_stream_and_complete(
    client: PoeClient, bot: str, cls: type, words: str
) -> None:
    events = await _collect(client, bot)
    assert len(events) == 1 and isinstance(events[0], StreamFailed)
    assert type(events[0].error) is cls
    assert words.lower() in events[0].error.one_line().lower()
    with pytest.raises(cls):
        await client.chat(bot, _ask("x"))


async def test_midstream_error_keeps_partial_text(client: PoeClient) -> None:
    events = await _collect(client, "fail-midstream")
    assert _text(events)
    assert isinstance(events[-1], StreamFailed)
    assert isinstance(events[-1].error, e.ServerError)
    assert "stopped unexpectedly" in events[-1].error.message


async def test_dropped_connection_is_network_error_mid_reply(client: PoeClient) -> None:
    events = await _collect(client, "fail-drop")
    assert _text(events)
    failure = events[-1]
    assert isinstance(failure, StreamFailed) and isinstance(failure.error, e.NetworkError)
    assert "mid-reply" in failure.error.message
    with pytest.raises(e.NetworkError):
        await client.chat("fail-drop", _ask("x"))


@pytest.mark.parametrize("status", [400, 403, 408, 413, 502])
async def test_injected_statuses(fake_poe: FakePoeServer, status: int) -> None:
    async with PoeClient(KEY, base_url=fake_poe.base_url) as client:
        client.http.headers[HEADER] = str(status)
        events = await _collect(client, "echo")
        failure = events[-1]
        assert isinstance(failure, StreamFailed) and failure.error.status == status
        assert failure.error.one_line()


async def test_connection_refused_is_network_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with PoeClient(
        KEY, base_url=f"http://127.0.0.1:{port}", timeouts=Timeouts(connect=2)
    ) as client:
        events = await _collect(client, "echo")
        assert isinstance(events[-1], StreamFailed)
        assert isinstance(events[-1].error, e.NetworkError)
        assert "Could not connect" in events[-1].error.message
        with pytest.raises(e.NetworkError):
            await client.get_balance()


async def test_missing_key_is_clear_without_a_request(fake_poe: FakePoeServer) -> None:
    async with PoeClient(None, base_url=fake_poe.base_url) as client:
        with pytest.raises(e.AuthenticationError, match="No API key"):
            await client.get_balance()
        assert len(await client.list_models()) > 20  # models need no key


async def test_wrong_key_is_rejected_by_a_keyed_server() -> None:
    with FakePoeServer(speed=0, api_key="the-right-key") as server:
        async with PoeClient(ApiKey("the-wrong-key"), base_url=server.base_url) as client:
            with pytest.raises(e.AuthenticationError):
                await client.get_balance()
            events = await _collect(client, "echo")
            assert isinstance(events[-1], StreamFailed)
            assert isinstance(events[-1].error, e.AuthenticationError)


async def test_models_parse_with_every_parameter_kind(client: PoeClient) -> None:
    models = await client.list_models()
    ids = {m.id for m in models}
    assert {"demo-showcase", "echo", "fail-drop", "claude-sonnet-4.5"} <= ids
    assert {p.kind for m in models for p in m.parameters} == {"number", "boolean", "string", "enum"}


async def test_balance_goes_down_and_history_records_the_reply() -> None:
    with FakePoeServer(speed=0) as server:
        async with PoeClient(KEY, base_url=server.base_url) as client:
            before = (await client.get_balance()).current_point_balance
            await _collect(client, "gpt-5", "cost me something")
            after = (await client.get_balance()).current_point_balance
            newest = (await client.get_points_history(limit=1)).entries[0]
            assert after < before
            assert newest.bot_name.lower() == "gpt-5"
            assert newest.cost_points == before - after
            failed_before = after
            await _collect(client, "fail-server")
            assert (await client.get_balance()).current_point_balance == failed_before


async def test_history_paging_walks_every_entry_once(client: PoeClient) -> None:
    first = await client.get_points_history(limit=7)
    assert len(first.entries) == 7 and first.has_more
    second = await client.get_points_history(limit=7, starting_after=first.last_query_id)
    assert not {x.query_id for x in first.entries} & {x.query_id for x in second.entries}
    times = [x.creation_time_us for x in (*first.entries, *second.entries)]
    assert times == sorted(times, reverse=True)
    everything = [x async for x in client.iter_points_history(1000)]
    assert len({x.query_id for x in everything}) == len(everything) >= 30
    assert any(x.cost_points < 0 for x in everything)


async def test_history_limit_is_checked_before_sending(client: PoeClient) -> None:
    with pytest.raises(ValueError):
        await client.get_points_history(limit=0)
    with pytest.raises(e.BadRequestError):
        await client.get_points_history(limit=5, starting_after="no-such-query")

"""Fidelity: the official anthropic SDK, as a client of the local server's `/v1/messages`,
sees the same text, thinking and errors as our Anthropic transport."""

from __future__ import annotations

from typing import Any

import anthropic
import pytest

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.events import Done, StreamFailed, TextDelta, ThinkingDelta, Usage
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer

KEY = "fidelity-anthropic-key"
ANTHROPIC = Transport.ANTHROPIC
PROMPT = "compare me"
THINKING = {"type": "enabled", "budget_tokens": 2048}


@pytest.fixture
def sdk(fake_poe: FakePoeServer) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(api_key=KEY, base_url=fake_poe.base_url, max_retries=0)


@pytest.fixture
async def ours(fake_poe: FakePoeServer):
    async with PoeClient(ApiKey(KEY), base_url=fake_poe.base_url) as client:
        await client.list_models()
        yield client


def sdk_args(bot: str, thinking: bool) -> dict[str, Any]:
    args: dict[str, Any] = {
        "model": bot,
        "max_tokens": 8192,
        "messages": [{"role": "user", "content": PROMPT}],
    }
    return args | {"thinking": THINKING} if thinking else args


def our_params(thinking: bool) -> dict[str, Any] | None:
    return {"thinking_budget": THINKING["budget_tokens"]} if thinking else None


def blocks(message: Any, kind: str) -> str:
    attribute = "thinking" if kind == "thinking" else "text"
    return "".join(getattr(b, attribute) for b in message.content if b.type == kind)


CASES = [
    ("claude-sonnet-4.5", False),
    ("claude-sonnet-4.5", True),
    ("claude-haiku-4-5-20251001", True),
    ("demo-thinking", True),
    ("echo", False),
    ("demo-showcase", False),
]


@pytest.mark.parametrize(("bot", "thinking"), CASES)
async def test_streaming_same_text_thinking_and_usage(sdk, ours, bot: str, thinking: bool) -> None:
    async with sdk.messages.stream(**sdk_args(bot, thinking)) as stream:
        deltas = [event async for event in stream]
        final = await stream.get_final_message()
    messages = [ChatMessage("user", PROMPT)]
    events = [
        ev
        async for ev in ours.stream_chat(
            bot, messages, parameters=our_params(thinking), transport=ANTHROPIC
        )
    ]
    text = "".join(ev.text for ev in events if isinstance(ev, TextDelta))
    thought = "".join(ev.text for ev in events if isinstance(ev, ThinkingDelta))
    assert text == blocks(final, "text") != ""
    assert thought == blocks(final, "thinking")
    assert bool(thought) is thinking
    assert any(d.type == "content_block_delta" for d in deltas)
    usage = next(ev for ev in events if isinstance(ev, Usage))
    assert (usage.prompt_tokens, usage.completion_tokens) == (
        final.usage.input_tokens,
        final.usage.output_tokens,
    )
    assert events[-1] == Done(final.stop_reason)


@pytest.mark.parametrize(("bot", "thinking"), CASES)
async def test_non_streaming_same_reply(sdk, ours, bot: str, thinking: bool) -> None:
    message = await sdk.messages.create(**sdk_args(bot, thinking))
    reply = await ours.chat(
        bot, [ChatMessage("user", PROMPT)], parameters=our_params(thinking), transport=ANTHROPIC
    )
    assert message.id.startswith("req_poe_")
    assert (reply.text, reply.thinking) == (blocks(message, "text"), blocks(message, "thinking"))
    assert reply.finish_reason == message.stop_reason == "end_turn"
    assert reply.completion_tokens == message.usage.output_tokens
    assert reply.total_tokens == message.usage.model_extra["total_tokens"]  # Poe's extra


async def test_resolved_model_id(sdk) -> None:
    message = await sdk.messages.create(**sdk_args("claude-sonnet-4.5", False))
    assert message.model == "claude-sonnet-4-5-20250929"


@pytest.mark.parametrize(
    ("bot", "sdk_error", "our_error"),
    [
        ("fail-auth", anthropic.AuthenticationError, e.AuthenticationError),
        ("fail-points", anthropic.APIStatusError, e.InsufficientPointsError),
        ("fail-notfound", anthropic.NotFoundError, e.NotFoundError),
        ("claude-unknown-9", anthropic.NotFoundError, e.NotFoundError),
        ("fail-ratelimit", anthropic.RateLimitError, e.RateLimitError),
        ("fail-server", anthropic.InternalServerError, e.ServerError),
        ("fail-overloaded", anthropic.InternalServerError, e.ServerError),
    ],
)
async def test_failure_bots_raise_matching_errors(sdk, ours, bot, sdk_error, our_error) -> None:
    with pytest.raises(sdk_error) as sdk_info:
        await sdk.messages.create(**sdk_args(bot, False))
    with pytest.raises(our_error) as our_info:
        await ours.chat(bot, [ChatMessage("user", PROMPT)], transport=ANTHROPIC)
    theirs = sdk_info.value
    assert theirs.status_code == our_info.value.status
    assert theirs.api_message == our_info.value.message
    assert theirs.type == our_info.value.error_type
    assert theirs.request_id and our_info.value.request_id  # one per request: req_poe_…
    assert theirs.request_id[:8] == our_info.value.request_id[:8] == "req_poe_"


async def test_a_non_claude_bot_is_a_404_for_the_sdk_and_refused_by_us(sdk, ours) -> None:
    with pytest.raises(anthropic.NotFoundError):
        await sdk.messages.create(**sdk_args("gpt-5", False))
    with pytest.raises(e.UnsupportedTransportError):
        await ours.chat("gpt-5", [ChatMessage("user", PROMPT)], transport=ANTHROPIC)


async def test_midstream_error_both_fail_after_partial_text(sdk, ours) -> None:
    sdk_text = ""
    with pytest.raises(anthropic.APIStatusError) as info:
        async with sdk.messages.stream(**sdk_args("fail-midstream", False)) as stream:
            async for text in stream.text_stream:
                sdk_text += text
    messages = [ChatMessage("user", PROMPT)]
    events = [ev async for ev in ours.stream_chat("fail-midstream", messages, transport=ANTHROPIC)]
    assert "".join(ev.text for ev in events if isinstance(ev, TextDelta)) == sdk_text != ""
    assert isinstance(events[-1], StreamFailed) and isinstance(events[-1].error, e.ServerError)
    assert events[-1].error.message == info.value.api_message
    assert events[-1].error.error_type == info.value.type == "api_error"

"""Fidelity: the official openai SDK, as a client of the local server, sees what we see."""

from __future__ import annotations

import openai
import pytest

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.events import Done, StreamFailed, TextDelta, Usage
from poe_tui.core.messages import ChatMessage
from poe_tui.fakepoe import FakePoeServer

KEY = "fidelity-test-key"


@pytest.fixture
def sdk(fake_poe: FakePoeServer) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(api_key=KEY, base_url=f"{fake_poe.base_url}/v1", max_retries=0)


@pytest.fixture
async def ours(fake_poe: FakePoeServer):
    async with PoeClient(ApiKey(KEY), base_url=fake_poe.base_url) as client:
        yield client


PROMPT = [{"role": "user", "content": "compare me"}]


@pytest.mark.parametrize("bot", ["echo", "demo-showcase", "claude-sonnet-4.5"])
async def test_streaming_same_text_finish_and_usage(sdk, ours, bot: str) -> None:
    stream = await sdk.chat.completions.create(
        model=bot, messages=PROMPT, stream=True, stream_options={"include_usage": True}
    )
    sdk_text, sdk_finish, sdk_usage = "", None, None
    async for chunk in stream:
        if chunk.choices:
            sdk_text += chunk.choices[0].delta.content or ""
            sdk_finish = chunk.choices[0].finish_reason or sdk_finish
        if chunk.usage:
            sdk_usage = chunk.usage
    events = [ev async for ev in ours.stream_chat(bot, [ChatMessage("user", "compare me")])]
    text = "".join(ev.text for ev in events if isinstance(ev, TextDelta))
    usage = next(ev for ev in events if isinstance(ev, Usage))
    assert text == sdk_text and len(text) > 10
    assert isinstance(events[-1], Done) and events[-1].finish_reason == sdk_finish == "stop"
    assert sdk_usage is not None
    assert (usage.prompt_tokens, usage.completion_tokens, usage.total_tokens) == (
        sdk_usage.prompt_tokens,
        sdk_usage.completion_tokens,
        sdk_usage.total_tokens,
    )


async def test_non_streaming_same_reply(sdk, ours) -> None:
    completion = await sdk.chat.completions.create(model="echo", messages=PROMPT)
    reply = await ours.chat("echo", [ChatMessage("user", "compare me")])
    assert completion.id.startswith("chatcmpl-") and len(completion.id) == len("chatcmpl-") + 24
    assert reply.text == completion.choices[0].message.content
    assert reply.finish_reason == completion.choices[0].finish_reason
    assert completion.usage is not None
    assert reply.total_tokens == completion.usage.total_tokens


@pytest.mark.parametrize(
    ("bot", "sdk_error", "our_error"),
    [
        ("fail-auth", openai.AuthenticationError, e.AuthenticationError),
        ("fail-points", openai.APIStatusError, e.InsufficientPointsError),
        ("fail-notfound", openai.NotFoundError, e.NotFoundError),
        ("fail-ratelimit", openai.RateLimitError, e.RateLimitError),
        ("fail-server", openai.InternalServerError, e.ServerError),
        ("fail-overloaded", openai.InternalServerError, e.ServerError),
    ],
)
async def test_failure_bots_raise_matching_errors(sdk, ours, bot, sdk_error, our_error) -> None:
    with pytest.raises(sdk_error) as sdk_info:
        await sdk.chat.completions.create(model=bot, messages=PROMPT)
    with pytest.raises(our_error) as our_info:
        await ours.chat(bot, [ChatMessage("user", "x")])
    assert sdk_info.value.status_code == our_info.value.status
    assert sdk_info.value.message.endswith(f" - {our_info.value.message}")


async def test_midstream_error_both_fail_after_partial_text(sdk, ours) -> None:
    sdk_text = ""
    with pytest.raises(openai.APIError) as info:
        stream = await sdk.chat.completions.create(
            model="fail-midstream", messages=PROMPT, stream=True
        )
        async for chunk in stream:
            if chunk.choices:
                sdk_text += chunk.choices[0].delta.content or ""
    events = [
        ev async for ev in ours.stream_chat("fail-midstream", [ChatMessage("user", "compare me")])
    ]
    assert "".join(ev.text for ev in events if isinstance(ev, TextDelta)) == sdk_text != ""
    assert isinstance(events[-1], StreamFailed)
    assert events[-1].error.message == info.value.message

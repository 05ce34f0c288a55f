"""Broken replies in the app: the partial text stays, the failure is said, the app keeps
working, a retry completes the reply, and the history holds what was shown.

The faults come from the local server, armed for one request so the retry succeeds; the
mid-stream ones are spread over the three transports.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from textual.widgets import Static

from poe_tui.config import Settings
from poe_tui.core.conversation import Message, MessageStatus
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.fault_plan import DEFAULT_AFTER
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.chat import ChatScreen
from poe_tui.ui.widgets.conversation_view import ConversationView
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.pilot import chat, reply_markdown, send, wait_until, workers_done

SIZE = (120, 35)
PROMPT = "fault matrix"
WHOLE = f"You said: {PROMPT}\n\nAttachments: none · Parameters: none"
PARTIAL = WHOLE[:DEFAULT_AFTER]
STALL_READ_TIMEOUT = 0.5

# fault, transport, the title and the words the user must see
CASES = [
    ("reset", "native", "Connection problem", "lost mid-reply"),
    ("stall", "openai", "Connection problem", "read timed out"),
    ("malformed", "anthropic", "Bad response", "not valid JSON"),
    ("garbage", "native", "Bad response", "not valid UTF-8"),
    ("huge", "openai", "Bad response", "larger than 4 MB"),
    ("no-done", "anthropic", "Bad response", "cut off"),
    ("error", "openai", "Server error", "stopped unexpectedly"),
]


@pytest.fixture
def server(fake_poe: FakePoeServer):
    yield fake_poe
    fake_poe.state.disarm_faults()


@pytest.fixture
def build(server: FakePoeServer, make_app: Callable[..., PoeApp]) -> Callable[[float], PoeApp]:
    def with_timeout(read_timeout: float) -> PoeApp:
        settings = Settings(default_bot="echo", read_timeout=read_timeout)
        return make_app(settings=settings, store=SqliteStore.in_memory())

    return with_timeout


def shown_reply(screen: ChatScreen, reply: Message) -> str:
    view = screen.query_one(ConversationView).view_for(reply)
    assert view is not None
    return reply_markdown(view)


def error_shown(screen: ChatScreen) -> str:
    return "\n".join(str(w.render()) for w in screen.query(".reply-error").results(Static))


@pytest.mark.parametrize(("fault", "transport", "title", "words"), CASES)
async def test_a_broken_reply_keeps_its_text_and_the_app_keeps_working(
    build, server: FakePoeServer, fault: str, transport: str, title: str, words: str
) -> None:
    app = build(STALL_READ_TIMEOUT if fault == "stall" else 30.0)
    async with app.run_test(size=SIZE) as pilot:
        await workers_done(app)  # the model list: the Anthropic API needs it for echo
        assert chat(pilot).set_transport(transport)
        server.arm_fault(fault)
        reply = await send(pilot, PROMPT)
        screen = chat(pilot)

        # The text so far stays, on screen and in the model, and the failure is said.
        assert reply.status is MessageStatus.FAILED
        assert reply.text == PARTIAL
        assert PARTIAL.strip() in shown_reply(screen, reply)
        assert title in error_shown(screen) and words in error_shown(screen)
        assert screen.query_one(".retry").display

        # The history holds the partial text and the failure.
        stored = app.store.load(screen.conversation.id).messages[-1]
        assert (stored.id, stored.text, stored.status) == (reply.id, PARTIAL, MessageStatus.FAILED)
        assert stored.error_title == title and words in (stored.error_message or "")

        # The app still answers: typing works, another conversation opens and back.
        failed_conversation = screen.conversation
        screen.query_one(PromptInput).focus()
        await pilot.press(*"still here")
        assert screen.query_one(PromptInput).text == "still here"
        screen.query_one(PromptInput).clear_prompt()
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: screen.conversation is not failed_conversation)
        await screen.open_conversation(failed_conversation)
        await pilot.pause()
        assert title in error_shown(screen)

        # Retry: the fault was armed once, so the reply now completes.
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: reply.status is MessageStatus.COMPLETE)
        await wait_until(pilot, lambda: screen.job is None)
        await pilot.pause()
        assert reply.text == WHOLE
        assert not screen.query(".reply-error")
        stored = app.store.load(screen.conversation.id).messages[-1]
        assert (stored.text, stored.status, stored.error_title) == (
            WHOLE,
            MessageStatus.COMPLETE,
            None,
        )

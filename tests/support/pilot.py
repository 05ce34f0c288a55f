"""What Pilot tests share beyond fixtures: waiting for a condition or for workers, the
chat screen, and the one send helper (type a prompt, press Enter, wait for the reply)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from poe_tui.core.conversation import Message
from poe_tui.ui.screens.chat import ChatScreen
from poe_tui.ui.widgets.message_view import MessageView, ThemedMarkdown
from poe_tui.ui.widgets.prompt_input import PromptInput

ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)
PATIENCE = 15.0  # seconds: a generous bound for a loaded machine, not a measured budget


async def workers_done(app: App[Any]) -> None:
    """Wait until no worker is pending or running.

    Textual's `workers.wait_for_complete()` raises when a worker was cancelled, and the
    app cancels some on purpose (an exclusive balance refresh replaces the one before
    it); a cancelled worker is finished as far as a test is concerned. poe-tui starts
    its first fetches a refresh after the first frame, so those are waited for first.
    """
    fetches_started = getattr(app, "fetches_started", None)
    if isinstance(fetches_started, asyncio.Event):
        await fetches_started.wait()
    while active := [w for w in app.workers if w.state in ACTIVE]:
        await asyncio.gather(*(w.wait() for w in active), return_exceptions=True)


async def wait_until(
    pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = PATIENCE
) -> None:
    """Let the app run until `condition` holds (a generous bound, not a measured budget)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await pilot.pause(0.02)


def reply_markdown(view: MessageView) -> str:
    """The text a reply's widgets were given: sealed blocks, then the live tail (the
    Markdown source of each), or the plain text of a text/plain reply."""
    parts = []
    for widget in view.query(".reply-prose, .reply-body, .reply-plain").results(Static):
        if isinstance(widget.content, ThemedMarkdown):
            parts.append(widget.content.markdown.markup)
        elif widget.has_class("reply-plain"):
            parts.append(str(widget.render()))
    return "\n\n".join(parts)


async def settled(pilot: Pilot[Any]) -> None:
    """The start-up fetches (and any other worker) are done and the screen is redrawn."""
    await workers_done(pilot.app)
    await pilot.pause()


def text_of(widget: Static) -> str:
    return str(widget.render())


def screen_text(screen: ChatScreen, selector: str) -> str:
    """What the Static widgets matching `selector` show, one per line."""
    return "\n".join(text_of(w) for w in screen.query(selector).results(Static))


def chat(pilot: Pilot[Any]) -> ChatScreen:
    """The chat screen, which must be the one on top."""
    screen = pilot.app.screen
    assert isinstance(screen, ChatScreen)
    return screen


async def submit(pilot: Pilot[Any], text: str) -> None:
    """Put `text` in the prompt and press Enter, as a user would; waits for nothing.

    `load_text` replaces a draft a failed send put back; typing is slow in Pilot.
    """
    prompt = pilot.app.chat_screen.query_one(PromptInput)  # type: ignore[attr-defined]
    prompt.load_text(text)
    prompt.focus()
    await pilot.press("enter")


async def send(
    pilot: Pilot[Any], text: str, *, wait: bool = True, timeout: float = PATIENCE
) -> Message:
    """Send `text` from the chat screen; the reply, finished unless `wait` is False."""
    screen = chat(pilot)
    await submit(pilot, text)
    await wait_until(pilot, lambda: screen.conversation.messages[-2:][0].text == text, timeout)
    reply = screen.conversation.messages[-1]
    if wait:
        await wait_until(pilot, lambda: screen.job is None, timeout)
        await pilot.pause()
    return reply

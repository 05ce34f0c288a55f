"""What Pilot tests share beyond fixtures: waiting for a condition or for workers."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Static
from textual.worker import WorkerState

from poe_tui.ui.widgets.message_view import MessageView, ThemedMarkdown

ACTIVE = (WorkerState.PENDING, WorkerState.RUNNING)


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


async def wait_until(pilot: Pilot[Any], condition: Callable[[], bool], timeout: float = 15) -> None:
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

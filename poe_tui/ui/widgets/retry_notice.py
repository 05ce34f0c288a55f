"""The line under a reply that counts down an automatic retry (or a request-limit wait)."""

from __future__ import annotations

import time
from collections.abc import Callable

from textual.widgets import Static

from poe_tui.core.events import Retrying, Throttled
from poe_tui.core.retry import wait_notice
from poe_tui.ui.styles import load_css

CANCEL_HINT = "Esc cancels"


class RetryNotice(Static):
    """`Retrying in 4 s (attempt 2 of 4): Server error (HTTP 503) · Esc cancels`,
    counting down each second until the next event of the stream removes it."""

    DEFAULT_CSS = load_css(__file__, "retry_notice.tcss")

    def __init__(
        self, wait: Retrying | Throttled, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.wait = wait
        self._clock = clock
        self._deadline = clock() + wait.delay
        super().__init__(self.text(), markup=False, classes="retry-notice")

    def text(self) -> str:
        return f"{wait_notice(self.wait, self._deadline - self._clock())} · {CANCEL_HINT}"

    def on_mount(self) -> None:
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        self.update(self.text())

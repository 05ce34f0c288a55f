"""Automatic retries of transient failures, and the per-key request limiter.

A failure is retried only when trying again may help (a transient HTTP status, a lost
connection, a native `error` event with `allow_retry`) and, for a stream, only while
nothing has reached the user: once text went out, a second attempt would repeat it, so
that retry is the user's decision. Waits grow exponentially with jitter, honour
`Retry-After`, and stay inside a total budget; a server asking for longer than the
budget gets an immediate failure that says how long to wait.

Poe allows 500 requests a minute per key; `RequestLimiter` keeps one client under that
by making requests wait for a free slot instead of collecting 429s, and
`SharedRequestLimiter` keeps every process using the key under it together.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from poe_tui.core.errors import (
    NetworkError,
    PoeError,
    RateLimitError,
    RequestTimeoutError,
    ServerError,
    format_seconds,
)
from poe_tui.core.events import Meta, Retrying, StreamEvent, StreamFailed, Throttled

T = TypeVar("T")
Sleep = Callable[[float], Awaitable[None]]
Uniform = Callable[[float, float], float]

# 504 is not in Poe's list but is the same "a proxy gave up" as 502.
TRANSIENT_STATUSES = frozenset({408, 429, 500, 502, 503, 504, 529})
# Without a status (connection lost, an error inside a stream) the kind decides.
_TRANSIENT_KINDS = (RateLimitError, RequestTimeoutError, ServerError, NetworkError)
POE_REQUESTS_PER_MINUTE = 500


class Jitter(StrEnum):
    FULL = "full"  # uniform between 0 and the exponential ceiling (AWS "full jitter")
    DECORRELATED = "decorrelated"  # uniform between base and 3x the last wait, capped
    NONE = "none"  # the ceiling itself: predictable, for demos and tests


def is_transient(error: PoeError) -> bool:
    """Whether the same request may succeed if sent again unchanged."""
    if not error.retryable:  # native allow_retry false, or the server said x-should-retry
        return False
    if error.status is not None:
        return error.status in TRANSIENT_STATUSES
    return isinstance(error, _TRANSIENT_KINDS)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how long to retry. `max_attempts` counts the first try."""

    max_attempts: int = 4
    base_delay: float = 1.0
    factor: float = 2.0
    max_delay: float = 20.0
    max_total_wait: float = 60.0
    jitter: Jitter = Jitter.FULL

    @classmethod
    def none(cls) -> RetryPolicy:
        """One attempt: every failure goes straight to the caller."""
        return cls(max_attempts=1, max_total_wait=0.0)

    @classmethod
    def demo(cls) -> RetryPolicy:
        """Short, visible waits for demo mode, where the failures are canned."""
        return cls(max_attempts=3, base_delay=1.0, max_delay=2.0, max_total_wait=5.0)

    @classmethod
    def for_app(cls, *, demo: bool, retries: int = 3, max_wait: float = 60.0) -> RetryPolicy:
        """What the app and the commands use: the settings' `retries` and
        `retry_max_wait`, with short waits in demo mode."""
        policy = cls.demo() if demo else cls(max_total_wait=max_wait)
        return replace(policy, max_attempts=1 + max(0, retries))

    def backoff(self, retry: int, previous: float, uniform: Uniform) -> float:
        """The wait before retry number `retry` (1 = the first retry), without budget."""
        ceiling = min(self.max_delay, self.base_delay * self.factor ** (retry - 1))
        if self.jitter is Jitter.FULL:
            return uniform(0.0, ceiling)
        if self.jitter is Jitter.DECORRELATED:
            return min(self.max_delay, uniform(self.base_delay, max(self.base_delay, previous * 3)))
        return ceiling


class RetryBudget:
    """The attempts and waiting time one request has left."""

    def __init__(self, policy: RetryPolicy, uniform: Uniform) -> None:
        self.policy = policy
        self.uniform = uniform
        self.attempt = 1  # the attempt being made (or just failed)
        self.waited = 0.0
        self._previous = policy.base_delay

    @property
    def remaining(self) -> float:
        return max(0.0, self.policy.max_total_wait - self.waited)

    def next_delay(self, error: PoeError) -> float | None:
        """Seconds to wait before trying again, or None to give up with `error`."""
        if self.attempt >= self.policy.max_attempts or not is_transient(error):
            return None
        if error.retry_after is not None:
            if error.retry_after > self.remaining:
                error.hint = f"Wait {format_seconds(error.retry_after)} and try again."
                return None
            delay = error.retry_after
        elif self.remaining <= 0:
            return None
        else:
            delay = min(
                self.remaining, self.policy.backoff(self.attempt, self._previous, self.uniform)
            )
        self.attempt += 1
        self.waited += delay
        self._previous = delay
        return delay


class RequestLimiter:
    """At most `limit` requests in any `window` seconds, for every request of a client.

    A slot is taken when a request is about to be sent (`reserve` returns 0 and records
    the time then), not when it starts waiting: a wait that overran, or that was
    cancelled (Esc), never leaves a slot booked for a moment that did not happen.
    """

    def __init__(
        self,
        limit: int = POE_REQUESTS_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit = limit
        self.window = window
        self.clock = clock
        self._sends: deque[float] = deque(maxlen=limit)

    def reserve(self) -> float:
        """0 with the slot taken when a request may be sent now; else the seconds to
        wait before asking again (nothing is taken)."""
        now = self.clock()
        wait = wait_for_slot(self._sends, now, self.limit, self.window)
        if wait <= 0:
            self._sends.append(now)
        return wait


def wait_for_slot(sends: Sequence[float], now: float, limit: int, window: float) -> float:
    """Seconds until one of `limit` slots in `window` is free, given the send times."""
    recent = [t for t in sends if t > now - window]
    if len(recent) < limit:
        return 0.0
    return sorted(recent)[-limit] + window - now


class SharedRequestLimiter(RequestLimiter):
    """The same limit for every process using one key: the recent send times live in
    a small file (one per key, named by the caller without the key), read and updated
    under an exclusive lock. Times are wall-clock, the one clock processes share.
    If the file cannot be used, this process still keeps the limit by itself."""

    def __init__(
        self,
        path: Path,
        limit: int = POE_REQUESTS_PER_MINUTE,
        window: float = 60.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(limit, window, clock)
        self.path = path

    def reserve(self) -> float:
        try:
            return self._reserve_in_file()
        except (OSError, ImportError):  # no fcntl (Windows), or the file is unusable
            return super().reserve()

    def _reserve_in_file(self) -> float:
        import fcntl

        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            now = self.clock()
            sends = [t for t in _read_times(fd) if t > now - self.window]
            wait = wait_for_slot(sends, now, self.limit, self.window)
            if wait <= 0:
                sends.append(now)
                _write_times(fd, sends[-self.limit :])
            return wait
        finally:
            os.close(fd)  # releases the lock


def _read_times(fd: int) -> list[float]:
    os.lseek(fd, 0, os.SEEK_SET)
    chunks = []
    while chunk := os.read(fd, 65536):
        chunks.append(chunk)
    times = []
    for word in b"".join(chunks).split():
        try:
            value = float(word)
        except ValueError:
            continue  # a torn or foreign line: the times that parse still count
        if math.isfinite(value):
            times.append(value)
    return times


def _write_times(fd: int, times: Sequence[float]) -> None:
    data = "".join(f"{t:.6f}\n" for t in times).encode("ascii")
    os.lseek(fd, 0, os.SEEK_SET)
    os.ftruncate(fd, 0)
    os.write(fd, data)


def _reaches_user(event: StreamEvent) -> bool:
    # Meta only says how to render; a retry sends a fresh one.
    return not isinstance(event, Meta | Retrying | Throttled)


async def _close(events: AsyncIterator[StreamEvent]) -> None:
    """Close an attempt's generator now, so its response is released before the wait
    rather than whenever the garbage collector gets to it."""
    close = getattr(events, "aclose", None)
    if close is not None:
        await close()


def wait_notice(wait: Retrying | Throttled, seconds_left: float) -> str:
    """What a person reads during the wait, e.g. `Retrying in 4 s (attempt 2 of 4):
    Server error (HTTP 503)`; `seconds_left` counts down from `wait.delay`."""
    seconds = max(1, math.ceil(seconds_left))
    if isinstance(wait, Throttled):
        return f"Waiting {seconds} s: over {POE_REQUESTS_PER_MINUTE} requests a minute"
    error = wait.error
    reason = f"{error.title} (HTTP {error.status})" if error.status else error.title
    return f"Retrying in {seconds} s (attempt {wait.attempt} of {wait.max_attempts}): {reason}"


class Retrier:
    """Runs requests through the limiter and retries them under one policy."""

    def __init__(
        self,
        policy: RetryPolicy | None = None,
        *,
        limiter: RequestLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
        uniform: Uniform = random.uniform,
    ) -> None:
        self.policy = policy or RetryPolicy.none()
        self.limiter = limiter or RequestLimiter()
        self.sleep = sleep
        self.uniform = uniform

    def budget(self) -> RetryBudget:
        return RetryBudget(self.policy, self.uniform)

    async def call(
        self,
        attempt: Callable[[], Awaitable[T]],
        on_wait: Callable[[Retrying | Throttled], None] | None = None,
    ) -> T:
        """`await attempt()` until it succeeds or a failure is final (then raised);
        `on_wait` hears of each wait first, as a stream's events would say it."""
        budget = self.budget()
        while True:
            await self._throttle(on_wait)
            try:
                return await attempt()
            except PoeError as exc:
                delay = budget.next_delay(exc)
                if delay is None:
                    raise
                if on_wait is not None:
                    on_wait(Retrying(budget.attempt, self.policy.max_attempts, delay, exc))
            await self.sleep(delay)

    async def stream(
        self, open_stream: Callable[[], AsyncIterator[StreamEvent]]
    ) -> AsyncIterator[StreamEvent]:
        """The events of `open_stream()`, opened again after a transient failure that
        came before anything reached the user; a `Retrying` event precedes each wait."""
        budget = self.budget()
        while True:
            while (wait := self.limiter.reserve()) > 0:
                yield Throttled(wait)
                await self.sleep(wait)
            failed: StreamFailed | None = None
            events = open_stream()
            delivered = False
            try:
                async for event in events:
                    if not delivered:  # after that, events only pass through (per token)
                        if isinstance(event, StreamFailed):
                            failed = event
                            break
                        delivered = _reaches_user(event)
                    yield event
            finally:
                await _close(events)
            if failed is None:
                return
            delay = budget.next_delay(failed.error)
            if delay is None:
                yield failed
                return
            yield Retrying(budget.attempt, self.policy.max_attempts, delay, failed.error)
            await self.sleep(delay)

    async def _throttle(self, on_wait: Callable[[Throttled], None] | None = None) -> None:
        """Wait until the limiter gives a slot; a cancelled wait has taken none."""
        while (wait := self.limiter.reserve()) > 0:
            if on_wait is not None:
                on_wait(Throttled(wait))
            await self.sleep(wait)

"""The 500-a-minute limit holds on the wire (issue 17, point 10): a slot is taken when
a request is sent, a cancelled wait gives its slot back, and processes using one key
share the limit."""

from __future__ import annotations

import asyncio
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from poe_tui.core.apikey import ApiKey
from poe_tui.core.retry import RequestLimiter, Retrier
from poe_tui.runtime import request_limiter_for

KEY = "limiter-key-0123456789"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class LateSleep:
    """Advances the fake clock by the wait, plus `late` seconds the first time: an event
    loop busy elsewhere wakes a waiting request after its moment."""

    def __init__(self, clock: Clock, late: float) -> None:
        self.clock = clock
        self.late = late
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        self.clock.now += seconds + self.late
        self.late = 0.0


def assert_at_most(sends: list[float], limit: int, window: float) -> None:
    """No `window` holds more than `limit` of the send times."""
    ordered = sorted(sends)
    for first, later in zip(ordered, ordered[limit:], strict=False):
        assert later - first >= window, (ordered, first, later)


async def test_a_late_wake_up_lets_no_extra_request_out() -> None:
    clock = Clock()
    retrier = Retrier(limiter=RequestLimiter(2, 60.0, clock=clock), sleep=LateSleep(clock, 20))
    sends: list[float] = []

    async def send() -> None:
        sends.append(clock.now)  # the moment the request goes on the wire

    for _ in range(5):
        await retrier.call(send)
    assert_at_most(sends, 2, 60.0)


async def test_a_cancelled_wait_gives_its_slot_back() -> None:
    clock = Clock()
    limiter = RequestLimiter(1, 60.0, clock=clock)
    never = asyncio.Event()
    waits: list[float] = []

    async def wait_forever(seconds: float) -> None:
        waits.append(seconds)
        await never.wait()

    async def no_wait(seconds: float) -> None:
        raise AssertionError(f"waited {seconds} s for a slot that was free")

    async def send() -> None:
        pass

    await Retrier(limiter=limiter).call(send)  # the one slot of this minute
    waiting = asyncio.create_task(Retrier(limiter=limiter, sleep=wait_forever).call(send))
    while not waits:
        await asyncio.sleep(0)
    waiting.cancel()  # Esc during the wait
    with pytest.raises(asyncio.CancelledError):
        await waiting
    clock.now += 60.0  # the first request's minute is over
    await Retrier(limiter=limiter, sleep=no_wait).call(send)


TAKER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from poe_tui.core.retry import SharedRequestLimiter

    limiter = SharedRequestLimiter(Path(sys.argv[1]), limit=3, window=float(sys.argv[2]))
    for _ in range(3):
        while (wait := limiter.reserve()) > 0:
            time.sleep(wait)
        print(time.time(), flush=True)
    """
)


def test_two_processes_share_the_limit(tmp_path: Path) -> None:
    window = 3.0
    shared = tmp_path / "requests"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", TAKER, str(shared), str(window)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    sends = [float(line) for p in processes for line in p.communicate(timeout=60)[0].split()]
    assert len(sends) == 6
    assert_at_most(sends, 3, window - 0.05)  # measured just after the recorded moment


def test_the_shared_file_is_private_and_holds_no_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("POE_TUI_RUNTIME_DIR", str(tmp_path / "run"))
    limiter = request_limiter_for(ApiKey(KEY), "https://api.poe.com")
    assert limiter is not None and limiter.reserve() == 0.0
    (file,) = (tmp_path / "run").iterdir()
    assert KEY not in file.name and KEY.encode() not in file.read_bytes()
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "run").stat().st_mode) == 0o700
    same = request_limiter_for(ApiKey(KEY), "https://api.poe.com/")
    other = request_limiter_for(ApiKey(KEY + "x"), "https://api.poe.com")
    assert same is not None and other is not None
    assert getattr(same, "path", None) == file and getattr(other, "path", None) != file

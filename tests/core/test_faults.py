"""The fault matrix in the core: every fault of the local server × every transport.

Each broken reply must give the text that came before the fault, then exactly one
StreamFailed carrying the right typed error with a message a person can read; and the
next request (the retry) must succeed. The transports are called directly, so automatic
retries elsewhere cannot hide a fault.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator

import httpx
import pytest

from poe_tui.core import errors as e
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient, Timeouts
from poe_tui.core.events import Done, StreamEvent, StreamFailed, TextDelta
from poe_tui.core.messages import ChatMessage
from poe_tui.core.transports import anthropic_chat, native, openai_chat
from poe_tui.core.transports.registry import Transport
from poe_tui.fakepoe import FakePoeServer, failures
from poe_tui.fakepoe.fault_plan import DEFAULT_AFTER, HEADER, modes
from tests.support.paths import SCRIPTS

BOT = "echo"
PROMPT = "fault matrix"
STALL_READ_TIMEOUT = 0.5
STREAMS: dict[Transport, Callable[..., AsyncIterator[StreamEvent]]] = {
    Transport.NATIVE: native.stream,
    Transport.OPENAI: openai_chat.stream,
    Transport.ANTHROPIC: anthropic_chat.stream,
}
ECHO_TEXT = f"You said: {PROMPT}\n\nAttachments: none · Parameters: none"
PARTIAL = ECHO_TEXT[:DEFAULT_AFTER]

# fault → (error class, words the message must hold, whether text came first)
STREAM_FAULTS: dict[str, tuple[type[e.PoeError], str, bool]] = {
    "error": (e.ServerError, "stopped unexpectedly", True),
    "reset": (e.NetworkError, "lost mid-reply", True),
    "no-done": (e.ProtocolError, "cut off", True),
    "stall": (e.NetworkError, "read timed out", True),
    "malformed": (e.ProtocolError, "not valid JSON", True),
    "wrong-type": (e.ProtocolError, "text/html", False),
    "huge": (e.ProtocolError, "larger than 4 MB", True),
    "garbage": (e.ProtocolError, "not valid UTF-8", True),
}
STATUS_CLASSES: dict[int, type[e.PoeError]] = {
    400: e.BadRequestError,
    401: e.AuthenticationError,
    402: e.InsufficientPointsError,
    403: e.PermissionDeniedError,
    404: e.NotFoundError,
    408: e.RequestTimeoutError,
    413: e.RequestTooLargeError,
    429: e.RateLimitError,
    500: e.ServerError,
    502: e.ServerError,
    529: e.ServerError,
}
# Python's spellings a user must never read: exception names, reprs, byte strings.
LEAKS = re.compile(
    r"\b\w*(Error|Exception)\b|Traceback|object at 0x|<[a-z_.]+ |\bb'|\\x[0-9a-f]{2}"
)


@pytest.fixture
def server(fake_poe: FakePoeServer) -> Iterator[FakePoeServer]:
    yield fake_poe
    fake_poe.state.disarm_faults()  # a failed test must not break the next one


async def run(
    fake_poe: FakePoeServer,
    transport: Transport,
    *,
    read: float = 30.0,
    http: httpx.AsyncClient | None = None,
) -> list[StreamEvent]:
    key, timeouts = ApiKey("fault-key"), Timeouts(read=read)
    async with PoeClient(key, base_url=fake_poe.base_url, timeouts=timeouts, http=http) as client:
        if transport is Transport.ANTHROPIC:
            await client.list_models()  # echo lists /v1/messages among its endpoints
        messages = [ChatMessage("user", PROMPT)]
        return [event async for event in STREAMS[transport](client, BOT, messages)]


def text_of(events: list[StreamEvent]) -> str:
    return "".join(event.text for event in events if isinstance(event, TextDelta))


def the_failure(events: list[StreamEvent]) -> e.PoeError:
    """The one StreamFailed, which must be the last event, with no Done anywhere."""
    failed = [event for event in events if isinstance(event, StreamFailed)]
    assert len(failed) == 1, events
    assert events[-1] is failed[0]
    assert not any(isinstance(event, Done) for event in events)
    return failed[0].error


def assert_readable(error: e.PoeError) -> None:
    assert error.message.strip() and error.title not in ("", "Error")
    assert not LEAKS.search(error.one_line()), error.one_line()


def assert_retry_succeeds(events: list[StreamEvent]) -> None:
    assert isinstance(events[-1], Done), events[-1]
    assert text_of(events) == ECHO_TEXT


@pytest.mark.parametrize("transport", list(Transport))
@pytest.mark.parametrize("fault", list(STREAM_FAULTS))
async def test_stream_fault_keeps_text_then_fails_once(
    server: FakePoeServer, fault: str, transport: Transport
) -> None:
    cls, words, text_first = STREAM_FAULTS[fault]
    server.arm_fault(fault)
    read = STALL_READ_TIMEOUT if fault == "stall" else 30.0
    events = await run(server, transport, read=read)
    error = the_failure(events)
    assert type(error) is cls, error.one_line()
    assert words in error.message
    assert error.retryable
    assert_readable(error)
    assert text_of(events) == (PARTIAL if text_first else "")
    assert_retry_succeeds(await run(server, transport))


@pytest.mark.parametrize("transport", list(Transport))
@pytest.mark.parametrize("status", sorted(failures.BY_STATUS))
async def test_http_status_fault_is_typed(
    server: FakePoeServer, status: int, transport: Transport
) -> None:
    server.arm_fault(str(status))
    error = the_failure(events := await run(server, transport))
    # Any 5xx not named (a 503, say) is a server error too.
    assert type(error) is STATUS_CLASSES.get(status, e.ServerError), error.one_line()
    assert error.status == status
    assert_readable(error)
    assert text_of(events) == ""
    assert_retry_succeeds(await run(server, transport))


@pytest.mark.parametrize("transport", list(Transport))
async def test_fault_header_breaks_every_request_it_is_sent_with(
    server: FakePoeServer, transport: Transport
) -> None:
    http = httpx.AsyncClient(headers={HEADER: "reset"}, timeout=30)
    async with http:
        for _ in range(2):
            error = the_failure(events := await run(server, transport, http=http))
            assert isinstance(error, e.NetworkError) and text_of(events) == PARTIAL


def test_arming_an_unknown_fault_fails_in_the_test(fake_poe: FakePoeServer) -> None:
    with pytest.raises(ValueError, match="unknown fault"):
        fake_poe.arm_fault("gremlins")
    assert fake_poe.state.take_armed_fault() is None


def test_armed_faults_are_used_up_in_order(fake_poe: FakePoeServer) -> None:
    fake_poe.arm_fault("reset; times=2")
    fake_poe.arm_fault("429")
    taken = [fake_poe.state.take_armed_fault() for _ in range(4)]
    assert [plan and plan.header() for plan in taken] == [
        "reset; times=2",
        "reset; times=2",
        "429",
        None,
    ]


def test_the_fault_matrix_script_prints_every_cell() -> None:
    script = SCRIPTS / "fault_matrix.py"
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr
    rows = done.stdout.strip().splitlines()
    assert len(rows) == 2 + len(modes())
    assert all(row.count("retry works") == len(Transport) for row in rows[2:])
    assert f"kept {len(PARTIAL)}/{len(ECHO_TEXT)} chars" in rows[2]  # error mid-stream
    assert "**Server error**" in rows[2]

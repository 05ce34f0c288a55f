"""Property tests for the SSE decoder and the three stream readers (hypothesis).

Whatever bytes arrive, split however the network splits them, the core raises nothing
but its own PoeError; and a valid stream decodes to the same events whatever the split.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poe_tui.core.errors import PoeError
from poe_tui.core.events import Done, StreamEvent, TextDelta
from poe_tui.core.sse import ServerSentEvent, SseDecoder
from poe_tui.core.transports.anthropic_chat import AnthropicReader
from poe_tui.core.transports.native import NativeReader
from poe_tui.core.transports.openai_chat import _ChunkReader
from poe_tui.core.transports.wire import SseReader

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
READERS: dict[str, Callable[[], SseReader]] = {
    "native": lambda: NativeReader("echo"),
    "openai": _ChunkReader,
    "anthropic": AnthropicReader,
}
ENDINGS = ("\n", "\r\n", "\r")


def split(data: bytes, cuts: list[int]) -> list[bytes]:
    """`data` cut at the given offsets (taken modulo its length, any order)."""
    points = sorted({cut % (len(data) + 1) for cut in cuts})
    edges = [0, *points, len(data)]
    return [data[a:b] for a, b in pairwise(edges)]


def decode(chunks: list[bytes], max_event_bytes: int | None = None) -> list[ServerSentEvent]:
    decoder = SseDecoder() if max_event_bytes is None else SseDecoder(max_event_bytes)
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    decoder.close()
    return events


def read_through(wire: str, chunks: list[bytes]) -> None:
    """The chunks through the decoder and the wire's reader, as `stream_sse` does; a
    PoeError is a fine way to end, any other exception fails the test."""
    reader = READERS[wire]()
    decoder = SseDecoder()
    try:
        for chunk in chunks:
            for sse in decoder.feed(chunk):
                reader.read(sse)
                if reader.finished:
                    return
        reader.end()
    except PoeError:
        pass


cuts = st.lists(st.integers(min_value=0, max_value=10_000), max_size=12)

# Bytes that look like streams often enough to reach the readers' code, and bytes that don't.
FIELD_BITS = [
    b"data:",
    b"data: ",
    b"event: text",
    b"event: error",
    b"event: done",
    b"event: content_block_delta",
    b"event: message_stop",
    b"event: replace_response",
    b"event: file",
    b"id: 7",
    b"retry: 10",
    b": comment",
    b"[DONE]",
    b"\xef\xbb\xbf",
    b"\xff",
    b"\xc3",
    b"\xa9",
    b"\r",
    b"\n",
    b"\r\n",
]
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | st.text(max_size=8)
    | st.sampled_from(["text", "text_delta", "choices", "delta", "content", "error"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "text",
                    "type",
                    "delta",
                    "choices",
                    "content",
                    "error",
                    "usage",
                    "prompt_tokens",
                    "finish_reason",
                    "url",
                    "name",
                    "content_type",
                    "allow_retry",
                    "message",
                    "code",
                    "content_block",
                    "thinking",
                    "reasoning_content",
                ]
            ),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)
json_lines = json_values.map(lambda value: b"data: " + json.dumps(value).encode() + b"\n\n")
streamish = st.lists(
    st.sampled_from(FIELD_BITS) | st.binary(max_size=6) | json_lines, max_size=30
).map(b"".join)
any_bytes = st.binary(max_size=400) | streamish


@FAST
@given(data=any_bytes, cuts=cuts, limit=st.sampled_from([None, 16, 64]))
def test_decoder_raises_only_our_errors(data: bytes, cuts: list[int], limit: int | None) -> None:
    try:
        events = decode(split(data, cuts), limit)
    except PoeError:
        return
    for event in events:
        assert isinstance(event.data, str) and event.event


@FAST
@given(data=any_bytes, cuts=cuts, wire=st.sampled_from(sorted(READERS)))
def test_readers_raise_only_our_errors(data: bytes, cuts: list[int], wire: str) -> None:
    read_through(wire, split(data, cuts))


# Events shaped like each wire's, with any JSON where the values go: the readers must
# turn every odd value (a string count, an infinite float, a list for an object) into
# skipped data or a ProtocolError, never a TypeError.
EDGES = [float("inf"), float("-inf"), float("nan"), 10**400, -1, 0, "", "12", [], {}]
# Half the leaves are edge cases: left to chance, an infinite count is too rare to meet.
leaf = st.sampled_from(EDGES) | (
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=6)
)


def object_of(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[dict[str, object]]:
    return st.fixed_dictionaries({}, optional=fields)


def some_of(**fields: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return object_of(**fields) | leaf


openai_usage = some_of(prompt_tokens=leaf, completion_tokens=leaf, total_tokens=leaf)
openai_choice = some_of(
    delta=some_of(content=leaf, reasoning_content=leaf), finish_reason=leaf, index=leaf
)
openai_chunk = object_of(
    choices=st.lists(openai_choice, max_size=2) | leaf, usage=openai_usage, error=json_values
)
native_data = object_of(
    text=leaf,
    url=leaf,
    name=leaf,
    content_type=leaf,
    inline_ref=leaf,
    allow_retry=leaf,
    error_type=leaf,
    suggested_replies=leaf,
    linkify=leaf,
    choices=st.lists(openai_choice, max_size=2),
)
anthropic_usage = some_of(input_tokens=leaf, output_tokens=leaf)
anthropic_block = some_of(type=leaf, text=leaf, thinking=leaf, stop_reason=leaf)
anthropic_data = object_of(
    type=leaf,
    message=some_of(usage=anthropic_usage),
    content_block=anthropic_block,
    delta=anthropic_block,
    usage=anthropic_usage,
    error=some_of(type=leaf, message=leaf),
)
NATIVE_EVENTS = ["text", "replace_response", "suggested_reply", "json", "file", "meta", "done"]
ANTHROPIC_EVENTS = [
    "message_start",
    "content_block_start",
    "content_block_delta",
    "message_delta",
    "message_stop",
    "error",
]


def sse_bytes(name: str | None, data: object) -> bytes:
    head = f"event: {name}\n" if name else ""
    return f"{head}data: {json.dumps(data)}\n\n".encode()


shaped = {
    "native": st.builds(sse_bytes, st.sampled_from([*NATIVE_EVENTS, "error"]), native_data),
    "openai": st.builds(sse_bytes, st.none(), openai_chunk),
    "anthropic": st.builds(sse_bytes, st.sampled_from(ANTHROPIC_EVENTS), anthropic_data),
}


@FAST
@given(data=st.data(), wire=st.sampled_from(sorted(READERS)), cuts=cuts)
def test_readers_survive_odd_json(data: st.DataObject, wire: str, cuts: list[int]) -> None:
    body = b"".join(data.draw(st.lists(shaped[wire], min_size=1, max_size=6)))
    read_through(wire, split(body, cuts))


# --- valid streams ------------------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    name: str
    data: str
    id: str | None


line_text = st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]))
events = st.lists(
    st.builds(
        Event,
        name=line_text.filter(lambda name: ":" not in name),
        data=st.text(st.characters(exclude_characters="\r", exclude_categories=["Cs"])),
        id=st.none() | line_text.filter(lambda value: "\0" not in value),
    ),
    max_size=8,
)


def encode(stream: list[Event], endings: list[str], bom: bool) -> bytes:
    """The events written out, each line ended by the next of `endings` in turn."""
    lines: list[str] = []
    for index, event in enumerate(stream):
        if index % 2:
            lines.append(": keep-alive")
        if event.name:
            lines.append(f"event: {event.name}")
        if event.id is not None:
            lines.append(f"id: {event.id}")
        lines.extend(f"data: {line}" for line in event.data.split("\n"))
        lines.append("")
    text, previous = "", ""
    for index, line in enumerate(lines):
        ending = endings[index % len(endings)]
        if previous == "\r" and not line and ending == "\n":
            ending = "\r"  # CR then a bare LF is one CRLF ending, not a blank line
        text += line + ending
        previous = ending
    return ("\ufeff" if bom else "").encode() + text.encode()


def expected(stream: list[Event]) -> list[ServerSentEvent]:
    result, last_id = [], ""
    for event in stream:
        last_id = event.id if event.id is not None else last_id
        result.append(ServerSentEvent(event.name or "message", event.data, last_id))
    return result


@FAST
@given(
    stream=events,
    endings=st.lists(st.sampled_from(ENDINGS), min_size=1, max_size=4),
    bom=st.booleans(),
    cuts=cuts,
)
def test_valid_streams_decode_the_same_however_split(
    stream: list[Event], endings: list[str], bom: bool, cuts: list[int]
) -> None:
    data = encode(stream, endings, bom)
    assert decode([data]) == expected(stream)
    assert decode(split(data, cuts)) == expected(stream)
    assert decode([bytes([b]) for b in data]) == expected(stream)


def wire_bytes(wire: str, texts: list[str]) -> bytes:
    """A whole, valid reply in the wire's own framing."""
    if wire == "native":
        body = [("text", {"text": t}) for t in texts] + [("done", {})]
        return b"".join(
            f"event: {name}\r\ndata: {json.dumps(data)}\r\n\r\n".encode() for name, data in body
        )
    if wire == "openai":
        chunks = [{"choices": [{"index": 0, "delta": {"content": t}}]} for t in texts]
        chunks.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
        return b"".join(f"data: {json.dumps(c)}\n\n".encode() for c in chunks) + b"data: [DONE]\n\n"
    deltas = [("content_block_delta", {"delta": {"type": "text_delta", "text": t}}) for t in texts]
    body = [*deltas, ("message_stop", {"type": "message_stop"})]
    return b"".join(f"event: {n}\ndata: {json.dumps(d)}\n\n".encode() for n, d in body)


@FAST
@given(
    texts=st.lists(st.text(min_size=1, max_size=20), max_size=6),
    wire=st.sampled_from(sorted(READERS)),
    cuts=cuts,
)
def test_valid_replies_read_the_same_however_split(
    texts: list[str], wire: str, cuts: list[int]
) -> None:
    reader = READERS[wire]()
    decoder = SseDecoder()
    got: list[StreamEvent] = []
    for chunk in split(wire_bytes(wire, texts), cuts):
        for sse in decoder.feed(chunk):
            got.extend(reader.read(sse))
    got.extend(reader.end())
    assert "".join(e.text for e in got if isinstance(e, TextDelta)) == "".join(texts)
    assert isinstance(got[-1], Done)

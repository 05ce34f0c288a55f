"""The SSE decoder on the cases that matter most, one by one (properties are elsewhere)."""

from __future__ import annotations

import pytest
from httpx_sse._decoders import SSEDecoder as HttpxSseDecoder

from poe_tui.core.errors import ProtocolError
from poe_tui.core.sse import MAX_EVENT_BYTES, ServerSentEvent, SseDecoder, decode_all


def test_a_crlf_split_between_chunks_is_one_line_ending() -> None:
    decoder = SseDecoder()
    assert decoder.feed(b"data: one\r") == []
    assert decoder.feed(b"\n\r") == [ServerSentEvent(data="one")]
    assert decoder.feed(b"\ndata: two\r\n\r\n") == [ServerSentEvent(data="two")]


def test_a_lone_cr_ends_a_line() -> None:
    assert decode_all([b"event: text\rdata: a\rdata: b\r\r"]) == [ServerSentEvent("text", "a\nb")]


def test_utf8_and_bom_split_anywhere() -> None:
    body = "\ufeffdata: café ☕\n\n".encode()
    assert decode_all([bytes([b]) for b in body]) == [ServerSentEvent(data="café ☕")]


def test_only_a_leading_bom_is_dropped() -> None:
    assert decode_all([b"data: \xef\xbb\xbfx\n\n"]) == [ServerSentEvent(data="\ufeffx")]


def test_fields_per_the_spec() -> None:
    body = (
        b": a comment\n"
        b"retry: 1500\nid: 42\nevent: done\ndata:{}\n\n"  # no space after the colon is fine
        b"id: bad\0id\ndata\n\n"  # an id with NUL is ignored; `data` alone is an empty line
        b"event: ping\n\n"  # no data: nothing is dispatched, and the name is forgotten
        b"data: last\n\n"
        b"data: unfinished\n"  # no blank line before the end: dropped
    )
    assert decode_all([body]) == [
        ServerSentEvent("done", "{}", "42", 1500),
        ServerSentEvent("message", "", "42"),
        ServerSentEvent("message", "last", "42"),
    ]


def test_an_event_over_the_cap_is_refused_with_a_clear_message() -> None:
    decoder = SseDecoder()
    decoder.feed(b"data: ")
    with pytest.raises(ProtocolError, match="event larger than 4 MB"):
        for _ in range(MAX_EVENT_BYTES // 65536 + 2):
            decoder.feed(b"x" * 65536)  # one line that never ends


def test_many_data_lines_count_towards_the_cap() -> None:
    with pytest.raises(ProtocolError, match="larger than"):
        SseDecoder(max_event_bytes=64).feed(b"data: 12345678\n" * 10 + b"\n")


def test_invalid_utf8_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not valid UTF-8"):
        decode_all([b"data: ok\n\n", b"data: \xff\xfe\n\n"])


def test_agrees_with_httpx_sse_on_a_real_shaped_stream() -> None:
    body = (
        b'event: meta\r\ndata: {"content_type": "text/markdown"}\r\n\r\n'
        b": ping\r\n\r\n"
        b'event: text\r\ndata: {"text": "Hello"}\r\n\r\n'
        b"id: 3\r\nretry: 20\r\nevent: text\r\ndata: line one\r\ndata: line two\r\n\r\n"
        b"event: done\r\ndata: {}\r\n\r\n"
    )
    theirs = HttpxSseDecoder()
    expected = []
    for line in body.decode().splitlines():
        event = theirs.decode(line)
        if event is not None:
            expected.append(ServerSentEvent(event.event, event.data, event.id, event.retry))
    assert decode_all([body]) == expected

"""An incremental server-sent-events decoder: bytes in, events out.

It follows the WHATWG event-stream rules (LF, CRLF and CR line endings, comments,
`event`/`data`/`id`/`retry`, one leading BOM, an unfinished event dropped at the end)
and adds what a client facing the open network needs: bytes split anywhere (inside a
UTF-8 character, between the CR and LF of one line ending), a cap on one event's size,
and failures only as our own `ProtocolError`.

Speed matters (every reply token passes through here), so it works a chunk at a time:
one search for the last line ending, one decode, one split, and a plain loop over lines.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import orjson

from poe_tui.core.errors import ProtocolError

MAX_EVENT_BYTES = 4 * 1024 * 1024  # far above any real reply event, far below harm
_BOM = "\ufeff"


class ServerSentEvent(NamedTuple):
    """One dispatched event; `event` is "message" when the stream named none.
    (A named tuple: built for every token, it must be cheap to make.)"""

    event: str = "message"
    data: str = ""
    id: str = ""
    retry: int | None = None


def too_large() -> ProtocolError:
    megabytes = MAX_EVENT_BYTES // (1024 * 1024)
    return ProtocolError(f"The server sent an event larger than {megabytes} MB.")


def not_utf8() -> ProtocolError:
    return ProtocolError("The server sent bytes that are not valid UTF-8 text.")


class SseDecoder:
    """Feed it the body's chunks as they come; it returns the events they complete."""

    def __init__(self, max_event_bytes: int = MAX_EVENT_BYTES) -> None:
        self.max_event_bytes = max_event_bytes
        self._pending = bytearray()  # the start of a line whose end has not come yet
        self._skip_lf = False  # the last chunk ended in CR: an LF next ends no new line
        self._started = False  # a leading BOM is only dropped from the first text
        self._event = ""
        self._data: list[str] = []
        self._size = 0  # characters of data in the event being built
        self._last_id = ""  # carries over between events, as the spec says
        self._retry: int | None = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        if self._skip_lf and chunk:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) + 1  # just past the last line
        if not end:
            self._pending += chunk
            self._check_size()
            return []
        block: bytes | bytearray = chunk
        if end < len(chunk):
            block = chunk[:end]
        elif chunk[end - 1] == 0x0D:
            self._skip_lf = True  # the LF of a CRLF may open the next chunk
        if self._pending:
            block = self._pending + block
            self._pending = bytearray()
        if end < len(chunk):
            self._pending += chunk[end:]
        events = self._lines(self._text(block))
        self._check_size()
        return events

    def _check_size(self) -> None:
        if len(self._pending) + self._size > self.max_event_bytes:
            raise too_large()

    def _text(self, block: bytes | bytearray) -> str:
        try:
            text = block.decode("utf-8")
        except UnicodeDecodeError:
            raise not_utf8() from None
        if not self._started:
            self._started = True
            if text.startswith(_BOM):
                text = text[1:]
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return text

    def _lines(self, text: str) -> list[ServerSentEvent]:
        # One loop, the common `data:` line first, no call per line and locals for the
        # state: this is the hot path of every stream.
        events: list[ServerSentEvent] = []
        lines = text.split("\n")
        lines.pop()  # the block ends with a line ending: nothing after it
        limit = self.max_event_bytes
        data = self._data
        size = self._size
        for line in lines:
            if line.startswith("data:"):
                value = line[6:] if line.startswith(" ", 5) else line[5:]
                size += len(value) + 1
                if size > limit:
                    raise too_large()
                data.append(value)
            elif not line:
                if data:
                    joined = data[0] if len(data) == 1 else "\n".join(data)
                    name = self._event or "message"
                    events.append(ServerSentEvent(name, joined, self._last_id, self._retry))
                    data = self._data = []
                    size = 0
                self._event = ""
                self._retry = None
            elif line[0] != ":":
                self._size = size
                self._field(line)
                size = self._size
        self._size = size
        return events

    def _field(self, line: str) -> None:
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":  # `data` alone: an empty data line
            self._data.append(value)
            self._size += 1
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def close(self) -> None:
        """The body ended: an event without its closing blank line is dropped (spec)."""
        self._pending.clear()
        self._data = []
        self._size = 0
        self._event = ""
        self._retry = None


def decode_all(chunks: list[bytes]) -> list[ServerSentEvent]:
    """Every event in a whole body given as chunks (tests and benchmarks)."""
    decoder = SseDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    decoder.close()
    return events


def json_value(text: str) -> Any:
    """The JSON in one event's data. orjson, not the json module: this runs per token,
    and it cut the parse to under half (benchmarks/bench_parsing.py). Strict JSON: NaN
    and Infinity are errors, as they are for JSON.parse. Raises ValueError."""
    return orjson.loads(text)


def event_object(sse: ServerSentEvent) -> dict[str, Any]:
    """An event whose data must be a JSON object (the native and Anthropic streams)."""
    try:
        data = json_value(sse.data)
    except ValueError:
        raise ProtocolError(f"The {sse.event!r} event's data is not valid JSON.") from None
    if type(data) is not dict:
        raise ProtocolError(f"The {sse.event!r} event's data is not a JSON object.")
    return data

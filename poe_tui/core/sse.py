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

from dataclasses import dataclass

from poe_tui.core.errors import ProtocolError

MAX_EVENT_BYTES = 4 * 1024 * 1024  # far above any real reply event, far below harm
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event; `event` is "message" when the stream named none."""

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
        cut = max(chunk.rfind(b"\n"), chunk.rfind(b"\r"))
        if cut < 0:
            self._pending += chunk
            if len(self._pending) + self._size > self.max_event_bytes:
                raise too_large()
            return []
        if cut == len(chunk) - 1 and chunk[cut] == 0x0D:
            self._skip_lf = True
        if self._pending:
            block = bytes(self._pending) + chunk[: cut + 1]
            self._pending = bytearray(chunk[cut + 1 :])
        else:
            block = chunk[: cut + 1] if cut + 1 < len(chunk) else chunk
            self._pending = bytearray(chunk[cut + 1 :])
        events = self._lines(self._decode(block))
        if len(self._pending) + self._size > self.max_event_bytes:
            raise too_large()
        return events

    def _decode(self, block: bytes) -> str:
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
        events: list[ServerSentEvent] = []
        lines = text.split("\n")
        lines.pop()  # the block ends with a line ending: nothing after it
        for line in lines:
            if not line:
                if self._data:
                    events.append(self._dispatch())
                else:
                    self._event = ""
                    self._retry = None
            elif line[0] != ":":
                self._field(line)
        return events

    def _field(self, line: str) -> None:
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._size += len(value) + 1
            if self._size > self.max_event_bytes:
                raise too_large()
            self._data.append(value)
        elif name == "event":
            self._event = value
        elif name == "id":
            if "\0" not in value:
                self._last_id = value
        elif name == "retry" and value.isascii() and value.isdigit():
            self._retry = int(value)

    def _dispatch(self) -> ServerSentEvent:
        data = self._data[0] if len(self._data) == 1 else "\n".join(self._data)
        event = ServerSentEvent(self._event or "message", data, self._last_id, self._retry)
        self._data = []
        self._size = 0
        self._event = ""
        self._retry = None
        return event

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

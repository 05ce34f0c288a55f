"""How far Poe's clock is from ours, read from the HTTP `Date` header of its replies.

Points-history rows are stamped by Poe's clock, replies by ours; when the two disagree
by more than a few seconds a reply would miss its bill. Every HTTP reply carries the
server's time to the second, so the offset is known to about a second after the first
request, with no extra request.
"""

from __future__ import annotations

from email.utils import parsedate_to_datetime

US_PER_SECOND = 1_000_000


class ServerClock:
    """Poe's clock minus ours, in microseconds (0 until a `Date` header was seen)."""

    def __init__(self) -> None:
        self.offset_us = 0
        self.observed = False

    def observe(self, date_header: str | None, sent_at: float, received_at: float) -> None:
        """Note one reply's `Date` (`sent_at`/`received_at`: our clock around the request)."""
        if not date_header:
            return
        try:
            server = parsedate_to_datetime(date_header)
        except (TypeError, ValueError):
            return
        if server.tzinfo is None:
            return  # not the RFC 7231 form; nothing to trust
        # The header is truncated to the second: the server's time was up to 1 s later.
        server_s = server.timestamp() + 0.5
        local_s = (sent_at + received_at) / 2
        self.offset_us = round((server_s - local_s) * US_PER_SECOND)
        self.observed = True

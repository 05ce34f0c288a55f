"""Turn httpx's transport exceptions into our NetworkError with plain words."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from poe_tui.core.errors import NetworkError, PoeError, ProtocolError

if TYPE_CHECKING:
    import httpx


def network_error(exc: httpx.HTTPError, base_url: str, *, mid_stream: bool = False) -> PoeError:
    import httpx  # loaded already: `exc` is one of its errors (kept off start-up)

    host = urlsplit(base_url).netloc or base_url
    if isinstance(exc, httpx.ConnectTimeout):
        return NetworkError(f"Could not reach {host} (connection timed out).")
    if isinstance(exc, httpx.ConnectError):
        return NetworkError(f"Could not connect to {host}.")
    if isinstance(exc, httpx.ReadTimeout):
        return NetworkError(f"{host} stopped sending data (read timed out).")
    if isinstance(exc, httpx.TimeoutException):
        return NetworkError(f"The request to {host} timed out.")
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
        where = "mid-reply" if mid_stream else "before replying"
        return NetworkError(f"The connection to {host} was lost {where}.")
    if isinstance(exc, httpx.DecodingError):
        return ProtocolError(f"{host} sent a reply that could not be decoded.")
    return NetworkError(f"Network error talking to {host}: {type(exc).__name__}.")

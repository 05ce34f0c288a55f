"""Fetching files bots send (by URL) to a local file, streamed, with a size limit.

Only http(s) URLs are fetched: a reply is untrusted text, and a `file:` or `data:`
link must not make us read local files, and a redirect is followed only on the same
host. The bytes go to disk through aiofiles.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import aiofiles
import httpx

from poe_tui.core.errors import PoeError
from poe_tui.core.files import FileTooLarge, format_size
from poe_tui.core.network import network_error

Progress = Callable[[int, int | None], None]
MAX_REDIRECTS = 5


class DownloadError(PoeError):
    @property
    def title(self) -> str:
        return "Download failed"


async def download(
    http: httpx.AsyncClient,
    url: str,
    target: Path,
    *,
    max_bytes: int,
    progress: Progress | None = None,
) -> str | None:
    """Write the file at `url` to `target`; returns the Content-Type the server gave."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise DownloadError(f"Only web links can be fetched, not {url[:60]}.")
    try:
        for _hop in range(MAX_REDIRECTS + 1):
            async with http.stream("GET", url, follow_redirects=False) as response:
                if response.is_redirect:
                    url = _same_host_redirect(url, response)
                    continue
                if response.status_code != 200:
                    raise DownloadError(f"{url} answered HTTP {response.status_code}.")
                total = _length(response)
                if total is not None and total > max_bytes:
                    raise _too_large(total, max_bytes)
                await _write(response, target, max_bytes, total, progress)
                content_type = response.headers.get("content-type")
                break
        else:
            raise DownloadError(f"{url} redirects more than {MAX_REDIRECTS} times.")
    except httpx.HTTPError as exc:
        target.unlink(missing_ok=True)
        raise network_error(exc, url) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return content_type.split(";")[0].strip() if content_type else None


def _same_host_redirect(url: str, response: httpx.Response) -> str:
    """Where a redirect leads, when that is the same host (http may become https).

    A reply is untrusted: a link that looks like the bot's file host must not take the
    fetch, and what it saves, to any other host (an internal address, say)."""
    location = response.headers.get("location", "")
    target = str(response.url.join(location))
    here, there = urlsplit(url), urlsplit(target)
    same_host = (here.hostname or "").lower() == (there.hostname or "").lower()
    same_place = there.scheme == here.scheme and there.port == here.port
    upgrade = (here.scheme, there.scheme) == ("http", "https") and there.port in (None, 443)
    if not (location and same_host and (same_place or upgrade)):
        shown = there.hostname or location[:60]
        raise DownloadError(f"{url[:80]} redirects to another host ({shown}); it was not followed.")
    return target


def _length(response: httpx.Response) -> int | None:
    try:
        return int(response.headers["content-length"])
    except (KeyError, ValueError):
        return None


def _too_large(size: int, limit: int) -> FileTooLarge:
    return FileTooLarge(f"The file is {format_size(size)}; the limit is {format_size(limit)}.")


async def _write(
    response: httpx.Response,
    target: Path,
    max_bytes: int,
    total: int | None,
    progress: Progress | None,
) -> None:
    received = 0
    async with aiofiles.open(target, "wb") as out:
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > max_bytes:
                raise _too_large(received, max_bytes)
            await out.write(chunk)
            if progress is not None:
                progress(received, total)

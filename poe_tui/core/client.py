"""One async client for every Poe endpoint, over one `httpx.AsyncClient`.

The client owns the connection pool and the key; the doors described in
`core.transports.registry` borrow them through the `HttpSession` interface and turn
streams into the typed events of `poe_tui.core.events`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self

import httpx

from poe_tui.core.apikey import ApiKey
from poe_tui.core.auth import AuthScheme, KeyHeader
from poe_tui.core.botnames import bad_bot_name
from poe_tui.core.errors import (
    AuthenticationError,
    decode_json,
    error_from_response,
)
from poe_tui.core.events import Retrying, StreamEvent, Throttled
from poe_tui.core.messages import Attachment, ChatMessage, ChatReply
from poe_tui.core.models import ModelInfo, ModelList, parse_models
from poe_tui.core.network import network_error
from poe_tui.core.retry import RequestLimiter, Retrier, RetryPolicy, Sleep
from poe_tui.core.server_clock import ServerClock
from poe_tui.core.transports.registry import Transport, spec_for
from poe_tui.core.transports.wire import failed_stream
from poe_tui.core.usage import Balance, PointsEntry, PointsPage, parse_balance, parse_points_page

if TYPE_CHECKING:
    from poe_tui.core.uploads import Uploader

DEFAULT_BASE_URL = "https://api.poe.com"
USER_AGENT = "poe-tui"


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Explicit limits, in seconds. `read` is the longest silence allowed mid-stream."""

    connect: float = 10.0
    read: float = 120.0
    write: float = 30.0
    pool: float = 10.0

    def to_httpx(self) -> httpx.Timeout:
        return httpx.Timeout(connect=self.connect, read=self.read, write=self.write, pool=self.pool)


class PoeClient:
    """The Poe API: models, balance, points history and chat."""

    def __init__(
        self,
        api_key: ApiKey | None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeouts: Timeouts | None = None,
        http: httpx.AsyncClient | None = None,
        retry: RetryPolicy | None = None,
        limiter: RequestLimiter | None = None,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        """`retry` defaults to none: a library call fails at once unless asked to retry
        (the app and the commands pass `RetryPolicy.for_app`). One `limiter` (500 requests a
        minute) covers every request of this client, whatever the policy."""
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeouts = timeouts or Timeouts()
        self._owns_http = http is None
        self._known_models: dict[str, ModelInfo] = {}
        # Poe's clock against ours, from the Date header (points-history matching).
        self.server_clock = ServerClock()
        self.retrier = Retrier(retry, limiter=limiter, sleep=sleep)
        self.http = http or httpx.AsyncClient(
            timeout=self.timeouts.to_httpx(),
            headers={"User-Agent": USER_AGENT},
            follow_redirects=False,
        )

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._owns_http:
            await self.http.aclose()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _key(self) -> ApiKey:
        if self.api_key is None:
            raise AuthenticationError(
                "No API key is set.",
                hint="Run `poe-tui key set`, set POE_API_KEY, or try `--demo`.",
            )
        return self.api_key

    def require_key(self) -> ApiKey:
        """The key, or an AuthenticationError saying how to set one."""
        return self._key()

    def authorize(self, scheme: AuthScheme) -> KeyHeader:
        """The key in `scheme`'s header, added when each request is sent."""
        return scheme.for_key(self._key())

    def uploader(self, url: str) -> Uploader:
        """An uploader to `url` sharing this client's connections, retries and limiter."""
        from poe_tui.core.uploads import Uploader  # aiofiles: only once a file is sent

        return Uploader(self.http, self.require_key, url, retrier=self.retrier)

    def known_model(self, bot: str) -> ModelInfo | None:
        """The bot's `/v1/models` entry if the list was fetched by this client."""
        return self._known_models.get(bot.strip().casefold())

    async def _get_json(
        self, path: str, *, params: Mapping[str, Any] | None = None, authed: bool = True
    ) -> Any:
        return await self.retrier.call(lambda: self._get_json_once(path, params, authed))

    async def _get_json_once(
        self, path: str, params: Mapping[str, Any] | None, authed: bool
    ) -> Any:
        auth = self.authorize(AuthScheme.BEARER) if authed else None
        sent_at = time.time()
        try:
            response = await self.http.get(
                self.url(path), params=params, auth=auth or httpx.USE_CLIENT_DEFAULT
            )
        except httpx.HTTPError as exc:
            raise network_error(exc, self.base_url) from None
        self.server_clock.observe(response.headers.get("date"), sent_at, time.time())
        if response.status_code >= 400:
            raise error_from_response(response.status_code, response.content, response.headers)
        return decode_json(path, response.content)

    # --- catalogue and account ------------------------------------------------

    async def list_models(self) -> ModelList:
        """Every public model; `/v1/models` needs no key. Remembered for `known_model`."""
        models = parse_models(await self._get_json("/v1/models", authed=False))
        self._known_models = {m.id.casefold(): m for m in models}
        return models

    async def get_balance(self) -> Balance:
        return parse_balance(await self._get_json("/usage/current_balance"))

    async def get_points_history(
        self, *, limit: int = 20, starting_after: str | None = None
    ) -> PointsPage:
        if not 1 <= limit <= 100:
            raise ValueError("limit must be between 1 and 100")
        params: dict[str, Any] = {"limit": limit}
        if starting_after:
            params["starting_after"] = starting_after
        return parse_points_page(await self._get_json("/usage/points_history", params=params))

    async def iter_points_history(self, max_entries: int) -> AsyncIterator[PointsEntry]:
        """Newest first, across pages, until `max_entries` or the end of history."""
        cursor: str | None = None
        seen = 0
        while seen < max_entries:
            page = await self.get_points_history(
                limit=min(100, max_entries - seen), starting_after=cursor
            )
            for entry in page.entries:
                yield entry
            seen += len(page.entries)
            if not page.has_more or page.last_query_id is None:
                return
            cursor = page.last_query_id

    # --- chat -------------------------------------------------------------------

    def stream_chat(
        self,
        bot: str,
        messages: Sequence[ChatMessage],
        *,
        parameters: Mapping[str, Any] | None = None,
        transport: Transport = Transport.OPENAI,
        attachments: Sequence[Attachment] = (),
    ) -> AsyncIterator[StreamEvent]:
        """Stream a reply over the chosen API. Never raises PoeError: failures arrive
        as a final `StreamFailed` event. Parameters and attachments go with the last
        user message. A transient failure before any content is retried under the
        client's policy, announced by a `Retrying` event; a full limiter by `Throttled`."""
        if bad_name := bad_bot_name(bot):  # on every door, before any request
            return failed_stream(bad_name)
        spec = spec_for(transport)
        refusal = spec.refusal(bot, self.known_model(bot))
        if refusal is not None:
            return failed_stream(refusal)
        return self.retrier.stream(
            lambda: spec.stream(self, bot, messages, parameters=parameters, attachments=attachments)
        )

    async def chat(
        self,
        bot: str,
        messages: Sequence[ChatMessage],
        *,
        parameters: Mapping[str, Any] | None = None,
        transport: Transport = Transport.OPENAI,
        attachments: Sequence[Attachment] = (),
        on_wait: Callable[[Retrying | Throttled], None] | None = None,
    ) -> ChatReply:
        """The whole reply at once (raises PoeError on failure; transient failures are
        retried first, as nothing was shown yet, and `on_wait` hears of each wait)."""
        if bad_name := bad_bot_name(bot):
            raise bad_name
        spec = spec_for(transport)
        refusal = spec.refusal(bot, self.known_model(bot))
        if refusal is not None:
            raise refusal
        return await self.retrier.call(
            lambda: spec.complete(
                self, bot, messages, parameters=parameters, attachments=attachments
            ),
            on_wait,
        )

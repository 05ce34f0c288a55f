"""How a request proves the key: a header added when the request is sent, so the key
never sits in client defaults or logs.

A plain callable (httpx takes one as `auth`) rather than an `httpx.Auth` subclass, so
that the doors and their registry load without httpx: `poe-tui --version` builds the
command line, whose `--transport` choices come from the registry.
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING

from poe_tui.core.apikey import ApiKey

if TYPE_CHECKING:
    import httpx


class KeyHeader:
    """Sets one header to the key (with a prefix) on each request as it is sent."""

    __slots__ = ("_key", "_name", "_prefix")

    def __init__(self, name: str, prefix: str, key: ApiKey) -> None:
        self._name = name
        self._prefix = prefix
        self._key = key

    def __call__(self, request: httpx.Request) -> httpx.Request:
        request.headers[self._name] = self._prefix + self._key.reveal()
        return request


class AuthScheme(StrEnum):
    """Which header a door wants the key in."""

    BEARER = "bearer"  # every Poe endpoint but the Anthropic-compatible one
    X_API_KEY = "x-api-key"

    def for_key(self, key: ApiKey) -> KeyHeader:
        if self is AuthScheme.X_API_KEY:
            return KeyHeader("x-api-key", "", key)
        return KeyHeader("Authorization", "Bearer ", key)

"""The API key, wrapped so that it never shows up by accident.

Textual's crash report and rich tracebacks print local variables with `repr`; logs use
`str`. Both are masked here, and the raw value only leaves through `reveal()`, which
the HTTP layer calls at the last moment when it builds a request header.
"""

from __future__ import annotations

import re
import threading
from typing import NoReturn

REDACTED = "[redacted]"
# Shorter "keys" (a demo placeholder, a typo) are not masked: masking them would mangle
# ordinary words in every error text.
MIN_SECRET_LENGTH = 12
_BEARER = re.compile(r"(?i)\b(bearer\s+)(?!\[redacted\])[^\s\"',;}\]]+")
_POE_KEY = re.compile(r"\bsk-poe-[A-Za-z0-9_-]+")
# An echoed header or field: `Authorization: x`, `"x-api-key": "x"`, `api_key=x`.
_NAMED_SECRET = re.compile(
    r"(?i)\b((?:authorization|x-api-key|api[_-]?key|access[_-]?key)[\"']?\s*[:=]\s*[\"']?)"
    r"(?!bearer\b|\[redacted\])[^\s\"',;}\]]+"
)
_known_secrets: set[str] = set()
_known_lock = threading.Lock()


def redact_secrets(text: str) -> str:
    """`text` without any key this process holds, nor anything shaped like a Poe key,
    a Bearer token or an echoed key header. For texts that came from outside (error
    bodies), which may quote our own request back."""
    with _known_lock:
        known = sorted(_known_secrets, key=len, reverse=True)
    for secret in known:
        text = text.replace(secret, REDACTED)
    text = _POE_KEY.sub(REDACTED, text)
    text = _BEARER.sub(rf"\1{REDACTED}", text)
    return _NAMED_SECRET.sub(rf"\1{REDACTED}", text)


def _remember(secret: str) -> None:
    if len(secret) >= MIN_SECRET_LENGTH:
        with _known_lock:
            _known_secrets.add(secret)


class InvalidKeyFormat(ValueError):
    """The text given as a key cannot be one (empty, spaces or control characters)."""


class ApiKey:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        cleaned = value.strip()
        if not cleaned:
            raise InvalidKeyFormat("The key is empty.")
        if any(ch.isspace() or not ch.isprintable() for ch in cleaned):
            raise InvalidKeyFormat("The key contains spaces or control characters.")
        self._value = cleaned
        # Every key this process has held is masked in error texts from outside, so an
        # error built anywhere (any door, upload, download) cannot show it.
        _remember(cleaned)

    def reveal(self) -> str:
        """The raw key, for a request header or the keyring. Never log it."""
        return self._value

    def __repr__(self) -> str:
        return "ApiKey(<hidden>)"

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return repr(self)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiKey) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("ApiKey", self._value))

    def __reduce__(self) -> NoReturn:
        # Pickling would write the raw key wherever the pickle goes.
        raise TypeError("ApiKey cannot be pickled")

    def redact(self, text: str) -> str:
        """`text` with every occurrence of the key replaced by a mask."""
        return text.replace(self._value, "***")

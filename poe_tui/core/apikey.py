"""The API key, wrapped so that it never shows up by accident.

Textual's crash report and rich tracebacks print local variables with `repr`; logs use
`str`. Both are masked here, and the raw value only leaves through `reveal()`, which
the HTTP layer calls at the last moment when it builds a request header.
"""

from __future__ import annotations

from typing import NoReturn


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

"""Where the key comes from, and the OS keyring.

Precedence (documented in the README): POE_API_KEY in the environment, then a `.env`
file in the working directory, then the OS keyring. The key is never written to any
other file: with no keyring we say so and fall back to the environment.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from poe_tui.core.apikey import ApiKey, InvalidKeyFormat

KEYRING_SERVICE = "poe-tui"
KEYRING_USERNAME = "api-key"
ENV_VAR = "POE_API_KEY"

NO_KEYRING_HELP = (
    "No OS keyring is available here (common on headless Linux). "
    "Set POE_API_KEY in the environment instead, e.g. `export POE_API_KEY=...`."
)


class KeySource(Enum):
    ENVIRONMENT = "environment (POE_API_KEY)"
    DOTENV = ".env file"
    KEYRING = "OS keyring"
    NONE = "none"


class KeyringUnavailable(Exception):
    """The keyring cannot be used; the message says why and what to do instead."""


class BadKeyText(Exception):
    """A key was found but is not usable; the message names where it came from."""


@dataclass(frozen=True, slots=True)
class FoundKey:
    key: ApiKey | None
    source: KeySource
    problem: str | None = None  # e.g. the keyring could not be read


def read_dotenv_key(directory: Path) -> str | None:
    """POE_API_KEY from `directory/.env` (KEY=VALUE lines, optional quotes and export)."""
    path = directory / ".env"
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    for raw_line in text.splitlines():
        line = raw_line.strip()
        if not line or line.startswith("#"):
            continue
        line = line.removeprefix("export ").strip()
        name, sep, value = line.partition("=")
        if sep and name.strip() == ENV_VAR:
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            return value or None
    return None


def _keyring_failure(exc: BaseException, action: str) -> KeyringUnavailable:
    name = type(exc).__name__
    if name == "NoKeyringError":
        return KeyringUnavailable(NO_KEYRING_HELP)
    if name in ("KeyringLocked", "InitError"):
        return KeyringUnavailable(
            f"The OS keyring is locked or could not start, so the key could not be {action}. "
            "Unlock it (log in to your desktop session) or set POE_API_KEY instead."
        )
    return KeyringUnavailable(
        f"The OS keyring failed ({name}), so the key could not be {action}. "
        "Set POE_API_KEY in the environment instead."
    )


def read_keyring_key() -> str | None:
    try:
        import keyring

        return keyring.get_password(KEYRING_SERVICE, KEYRING_USERNAME)
    except Exception as exc:  # keyring backends raise many types (dbus, secretstorage)
        raise _keyring_failure(exc, "read") from None


def store_key(key: ApiKey) -> None:
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, KEYRING_USERNAME, key.reveal())
    except Exception as exc:
        raise _keyring_failure(exc, "stored") from None


def delete_key() -> bool:
    """Remove the key from the keyring; False when there was none."""
    try:
        import keyring
        from keyring.errors import PasswordDeleteError

        try:
            keyring.delete_password(KEYRING_SERVICE, KEYRING_USERNAME)
        except PasswordDeleteError:
            return False
        return True
    except Exception as exc:
        raise _keyring_failure(exc, "deleted") from None


def _wrap(text: str, source: KeySource) -> ApiKey:
    try:
        return ApiKey(text)
    except InvalidKeyFormat as exc:
        raise BadKeyText(f"The key from the {source.value} is not usable: {exc}") from None


def find_key(directory: Path | None = None, *, use_keyring: bool = True) -> FoundKey:
    """The key by precedence: environment > .env > keyring."""
    env_value = os.environ.get(ENV_VAR)
    if env_value and env_value.strip():
        return FoundKey(_wrap(env_value, KeySource.ENVIRONMENT), KeySource.ENVIRONMENT)
    dotenv_value = read_dotenv_key(directory or Path.cwd())
    if dotenv_value:
        return FoundKey(_wrap(dotenv_value, KeySource.DOTENV), KeySource.DOTENV)
    if not use_keyring:
        return FoundKey(None, KeySource.NONE)
    try:
        stored = read_keyring_key()
    except KeyringUnavailable as exc:
        return FoundKey(None, KeySource.NONE, problem=str(exc))
    if stored:
        return FoundKey(_wrap(stored, KeySource.KEYRING), KeySource.KEYRING)
    return FoundKey(None, KeySource.NONE)

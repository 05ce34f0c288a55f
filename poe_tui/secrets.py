"""Where the key comes from, and the OS keyring.

Precedence (documented in the README): POE_API_KEY in the environment, then a `.env`
file in the working directory, then the OS keyring. The key is never written to any
other file: with no keyring we say so and fall back to the environment.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, replace
from enum import Enum
from pathlib import Path

from poe_tui.core.apikey import ApiKey, InvalidKeyFormat

KEYRING_SERVICE = "poe-tui"
KEYRING_USERNAME = "api-key"
ENV_VAR = "POE_API_KEY"

# The environment variables we read that hold a secret: never passed to a child process.
SECRET_VARIABLES = frozenset({ENV_VAR})

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
    notice: str | None = None  # e.g. why a `.env` was skipped, said even when a key was found


DOTENV_MAX_BYTES = 64 * 1024  # a .env of KEY=VALUE lines; more is not one


class DotenvSkipped(Exception):
    """A `.env` was there but not read; the message says which and why."""


def read_dotenv_key(directory: Path) -> str | None:
    """POE_API_KEY from `directory/.env` (KEY=VALUE lines, optional quotes and export).

    Raises DotenvSkipped for a `.env` that is not safe to read (see `_read_dotenv`).
    """
    text = _read_dotenv(directory / ".env")
    if text is None:
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


def _read_dotenv(path: Path) -> str | None:
    """The text of `.env`, None when there is none.

    Only a regular file of at most DOTENV_MAX_BYTES, reached without leaving the folder:
    a link to /dev/zero would fill the memory, and a FIFO or a terminal would block the
    start forever (hence the non-blocking open, checked with fstat before reading).
    """
    try:
        target = _dotenv_target(path)
        if target is None:
            return None
        fd = os.open(target, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_NOFOLLOW)
    except OSError as exc:
        raise DotenvSkipped(f"{path} was skipped: it cannot be read ({exc.strerror}).") from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise DotenvSkipped(f"{path} was skipped: it is not a regular file.")
        data = handle.read(DOTENV_MAX_BYTES + 1)
    if len(data) > DOTENV_MAX_BYTES:
        raise DotenvSkipped(f"{path} was skipped: it is larger than {DOTENV_MAX_BYTES // 1024} KB.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise DotenvSkipped(f"{path} was skipped: it is not UTF-8 text.") from None


def _dotenv_target(path: Path) -> Path | None:
    """The file to open for `path`: itself, or where its link points when that stays
    inside the folder; None when there is no `.env`."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if not stat.S_ISLNK(info.st_mode):
        return path
    folder = path.parent.resolve()
    try:
        target = path.resolve(strict=True)
    except (OSError, RuntimeError):  # dangling, or a loop
        raise DotenvSkipped(f"{path} was skipped: it is a broken link.") from None
    if not target.is_relative_to(folder):
        raise DotenvSkipped(f"{path} was skipped: it links outside {folder}.")
    return target


def child_environment() -> dict[str, str]:
    """Our environment without its secrets, for every process we start: a viewer (and
    whatever it starts in turn) has no use for the key."""
    return {name: value for name, value in os.environ.items() if name not in SECRET_VARIABLES}


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
    try:
        dotenv_value, notice = read_dotenv_key(directory or Path.cwd()), None
    except DotenvSkipped as skipped:
        dotenv_value, notice = None, str(skipped)
    if dotenv_value:
        return FoundKey(_wrap(dotenv_value, KeySource.DOTENV), KeySource.DOTENV)
    found = _keyring_key() if use_keyring else FoundKey(None, KeySource.NONE)
    if notice is None:
        return found
    # Without a key the notice is the problem to show (the app shows only that one).
    problem = " ".join(p for p in (notice, found.problem) if p) if found.key is None else None
    return replace(found, notice=notice, problem=problem or found.problem)


def _keyring_key() -> FoundKey:
    try:
        stored = read_keyring_key()
    except KeyringUnavailable as exc:
        return FoundKey(None, KeySource.NONE, problem=str(exc))
    if stored:
        return FoundKey(_wrap(stored, KeySource.KEYRING), KeySource.KEYRING)
    return FoundKey(None, KeySource.NONE)

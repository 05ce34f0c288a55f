"""`poe-tui key set|delete|status`: the key in the OS keyring. Never prints the key."""

from __future__ import annotations

import getpass
import sys

from poe_tui.commands.output import CommandError
from poe_tui.core.apikey import ApiKey, InvalidKeyFormat
from poe_tui.core.client import PoeClient
from poe_tui.core.errors import KEY_URL as GET_KEY_URL
from poe_tui.core.errors import AuthenticationError, PoeError
from poe_tui.secrets import (
    ENV_VAR,
    KeyringUnavailable,
    KeySource,
    delete_key,
    find_key,
    read_keyring_key,
    store_key,
)


def prompt_for_key() -> ApiKey:
    if sys.stdin.isatty():
        print(f"Paste your Poe API key (from {GET_KEY_URL}); it will not be shown.")
        text = getpass.getpass("API key: ")
    else:
        text = sys.stdin.readline()
    try:
        return ApiKey(text)
    except InvalidKeyFormat as exc:
        raise CommandError(f"That is not a usable key: {exc}", 2) from None


async def verify_key(client: PoeClient) -> int:
    """The balance, proving the key works; raises a CommandError when it does not."""
    try:
        balance = await client.get_balance()
    except AuthenticationError:
        raise CommandError(
            f"Poe rejected that key; nothing was stored. Copy it again from {GET_KEY_URL}."
        ) from None
    except PoeError as exc:
        raise CommandError(
            f"Could not check the key ({exc.one_line()}); nothing was stored. "
            "Use --no-verify to store it anyway."
        ) from None
    return balance.current_point_balance


def save_key(key: ApiKey) -> None:
    try:
        store_key(key)
    except KeyringUnavailable as exc:
        raise CommandError(f"{exc} The key was not stored.") from None


def remove_key() -> str:
    try:
        removed = delete_key()
    except KeyringUnavailable as exc:
        raise CommandError(str(exc)) from None
    return "Deleted the key from the OS keyring." if removed else "No key was stored."


def key_status_text() -> str:
    found = find_key()
    lines = []
    if found.source is KeySource.NONE:
        lines.append("No key found.")
        lines.append(
            f"Store one with `poe-tui key set`, or set {ENV_VAR}. Get a key at {GET_KEY_URL}."
        )
    else:
        lines.append(f"Key found in: {found.source.value}.")
    if found.problem:
        lines.append(found.problem)
    elif found.notice:
        lines.append(found.notice)
    elif found.source in (KeySource.ENVIRONMENT, KeySource.DOTENV):
        lines.append(_shadowed_keyring_note())
    return "\n".join(line for line in lines if line)


def _shadowed_keyring_note() -> str:
    try:
        stored = read_keyring_key()
    except KeyringUnavailable:
        return ""
    return "A key is also stored in the OS keyring; this one takes precedence." if stored else ""

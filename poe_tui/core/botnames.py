"""What a Poe bot name may be, and the one way a name goes into a URL path.

Names come from outside (the catalogue, imported conversations, the command line), and
the native door puts them into `/bot/<name>`: a name like `../usage/current_balance?x=`
would send the prompt, with the key, to another path on the API host. So a name must
match a strict syntax (every name in the real catalogue does) and is percent-encoded
as well, in case the syntax is ever widened.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from poe_tui.core.errors import BadRequestError

MAX_BOT_NAME_LENGTH = 128
# Letters, digits, "-", "_" and "."; the first one a letter or digit, so "." and ".."
# (which URL resolution would treat as path steps) can never be a name.
_BOT_NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9._-]{{0,{MAX_BOT_NAME_LENGTH - 1}}}")


class BadBotName(BadRequestError):
    """A bot name that cannot be a Poe bot; nothing was sent."""

    default_hint = "Bot names hold only letters, digits, '-', '_' and '.'."

    @property
    def title(self) -> str:
        return "Bad bot name"


def bot_name_problem(name: str) -> str | None:
    """Why `name` cannot be a bot name, or None when it can."""
    if not name:
        return "a bot name cannot be empty"
    if len(name) > MAX_BOT_NAME_LENGTH:
        return f"a bot name has at most {MAX_BOT_NAME_LENGTH} characters"
    if _BOT_NAME.fullmatch(name) is None:
        return f"{name[:60]!r} is not a bot name (letters, digits, '-', '_' and '.' only)"
    return None


def bad_bot_name(name: str) -> BadBotName | None:
    """The error to report for `name`, or None when it can be a bot name."""
    problem = bot_name_problem(name)
    return None if problem is None else BadBotName(problem[0].upper() + problem[1:] + ".")


def check_bot_name(name: str) -> str:
    """`name` itself, or BadBotName saying what is wrong with it."""
    if error := bad_bot_name(name):
        raise error
    return name


def bot_path(name: str) -> str:
    """The native door's path for `name`, checked and percent-encoded."""
    return "/bot/" + quote(check_bot_name(name), safe="")

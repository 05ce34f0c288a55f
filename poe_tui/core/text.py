"""Make untrusted text from bots safe to print to a terminal."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

# Whole escape sequences, in their 7-bit (ESC ...) and 8-bit (C1) forms, so that no
# payload is left behind as text: OSC ends with BEL or ST (ESC \ or U+009C), or at the
# next ESC, or never; DCS, SOS, PM and APC strings end with ST. Whatever escapes these
# patterns (a stray C0 or C1 control) is removed one character at a time below.
_ESCAPE_SEQUENCE = re.compile(
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"  # OSC
    r"|(?:\x1b[P^_X]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x1b\\|\x9c)?"  # DCS SOS PM APC
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI
    r"|\x1b[ -/]*[0-~]?"  # every other escape (ESC c, ESC ( B, ESC # 8), and a lone ESC
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def strip_terminal_controls(text: str) -> str:
    """Remove escape sequences and control characters; keep tabs and newlines.

    A carriage return would let a reply overwrite what was printed before it on the
    same line, so it goes too (CRLF line ends become LF).
    """
    text = text.replace("\r\n", "\n")
    return _CONTROL.sub("", _ESCAPE_SEQUENCE.sub("", text))


# Deeper than any JSON Poe sends; a guard so a hostile body cannot exhaust the stack.
MAX_JSON_DEPTH = 64


def clean_json(
    value: Any, clean: Callable[[str], str] = strip_terminal_controls, *, depth: int = 0
) -> Any:
    """A decoded JSON tree with every string (object keys too) passed through `clean`
    (by default: stripped of terminal controls). Parsers take their input through
    this, so a field added later cannot forget to clean. ValueError when the tree is
    nested deeper than MAX_JSON_DEPTH."""
    if isinstance(value, str):
        return clean(value)
    if depth >= MAX_JSON_DEPTH and isinstance(value, dict | list):
        raise ValueError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
    if isinstance(value, dict):
        return {clean(str(k)): clean_json(v, clean, depth=depth + 1) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_json(v, clean, depth=depth + 1) for v in value]
    return value


def has_terminal_controls(text: str) -> bool:
    """True when showing `text` raw could drive a terminal (or it holds a CR)."""
    return strip_terminal_controls(text) != text

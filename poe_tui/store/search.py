"""Turning what a person types into a safe FTS5 query."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """Every word must match; the last one also as a prefix (search as you type).

    Words are quoted, so FTS5 syntax in the input (AND, NEAR, quotes, `-`, `*`, `:`)
    is searched for as text instead of raising a syntax error.
    """
    words = _WORD.findall(text)
    if not words:
        return ""
    quoted = [f'"{word}"' for word in words]
    quoted[-1] += "*"
    return " ".join(quoted)

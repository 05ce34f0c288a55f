"""Store errors: small and typed, each message fit to show a person as it is."""

from __future__ import annotations


class StoreError(Exception):
    """The conversation store cannot do what was asked; the message says why."""


class StoreBusy(StoreError):
    """Another program holds the database lock longer than we are willing to wait."""


class NewerSchemaError(StoreError):
    """The database was written by a newer poe-tui; we must not touch its layout."""

    def __init__(self, found: int, known: int) -> None:
        super().__init__(
            f"it was written by a newer poe-tui (schema version {found}; "
            f"this version understands up to {known})"
        )
        self.found = found
        self.known = known


class NotFound(StoreError):
    """No conversation (or message) with that id."""


class AmbiguousId(StoreError):
    """An id prefix matches more than one conversation."""

    def __init__(self, prefix: str, matches: list[str]) -> None:
        shown = ", ".join(m[:12] for m in matches[:5])
        more = f" and {len(matches) - 5} more" if len(matches) > 5 else ""
        super().__init__(f"'{prefix}' matches several conversations: {shown}{more}.")
        self.matches = matches


class AlreadyExists(StoreError):
    """An import would overwrite a conversation or message that is already stored."""


class BadExportFile(StoreError):
    """A file given to import is not a poe-tui JSON export we can read."""


class CorruptDatabase(StoreError):
    """The file is not a SQLite database, or its pages are damaged."""

"""Conversations on disk (SQLite): no Textual import here, ever (DESIGN.md section 2).

Start with `open_default_store()` (or `open_or_quarantine(path)`): it always returns a
usable `SqliteStore`, plus a message for the user when the file could not be used.
"""

from __future__ import annotations

from poe_tui.store.errors import (
    AlreadyExists,
    AmbiguousId,
    BadExportFile,
    CorruptDatabase,
    NewerSchemaError,
    NotFound,
    StoreBusy,
    StoreError,
)
from poe_tui.store.models import (
    AttachmentRef,
    BranchInfo,
    ConversationSummary,
    MessageExtras,
    SearchHit,
)
from poe_tui.store.opening import default_db_path, open_default_store, open_or_quarantine
from poe_tui.store.sqlite_store import INTERRUPTED_TITLE, SqliteStore
from poe_tui.store.turn_log import TurnLog

__all__ = [
    "INTERRUPTED_TITLE",
    "AlreadyExists",
    "AmbiguousId",
    "AttachmentRef",
    "BadExportFile",
    "BranchInfo",
    "ConversationSummary",
    "CorruptDatabase",
    "MessageExtras",
    "NewerSchemaError",
    "NotFound",
    "SearchHit",
    "SqliteStore",
    "StoreBusy",
    "StoreError",
    "TurnLog",
    "default_db_path",
    "open_default_store",
    "open_or_quarantine",
]

"""Opening the store so the app always starts, whatever state the file is in.

- damaged (not a database, malformed pages): the file, with its -wal and -shm, is moved
  aside to `<name>.corrupt-<timestamp>` (never deleted) and a fresh one is started;
- written by a newer poe-tui: moved aside to `<name>.newer-schema-v<N>-<timestamp>`, so
  the newer version's history is intact for when the user goes back to it;
- locked by another program, or the folder cannot be written: the file is fine, so it is
  left alone and this run uses an in-memory store.
Each case returns a message that says what happened and where the file is.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from poe_tui.store.errors import CorruptDatabase, NewerSchemaError, StoreBusy, StoreError
from poe_tui.store.sqlite_store import DEFAULT_BUSY_TIMEOUT_MS, SqliteStore

DB_NAME = "conversations.db"
SIDECARS = ("-wal", "-shm", "-journal")


def default_db_path() -> Path:
    from poe_tui.config import data_dir

    return data_dir() / DB_NAME


def open_or_quarantine(
    path: Path, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS
) -> tuple[SqliteStore, str | None]:
    """A usable store and, when the file could not be used as it was, why (for the UI)."""
    try:
        return SqliteStore(path, busy_timeout_ms=busy_timeout_ms), None
    except CorruptDatabase as error:
        return _fresh_after(path, "corrupt", f"could not be read: {error}")
    except NewerSchemaError as error:
        label = f"newer-schema-v{error.found}"
        return _fresh_after(path, label, f"was {error}")
    except StoreBusy:
        return _in_memory(
            f"{path} is locked by another program (another poe-tui busy with it?). "
            "Close it and restart poe-tui to use your history."
        )
    except (StoreError, OSError) as error:
        return _in_memory(f"{path} cannot be opened: {error}.")


def _fresh_after(path: Path, label: str, why: str) -> tuple[SqliteStore, str | None]:
    try:
        kept = quarantine(path, label)
        store = SqliteStore(path)
    except (StoreError, OSError) as error:
        return _in_memory(f"{path} {why}, and a new one could not be started ({error}).")
    return store, (
        f"Your conversation history {why}. It was kept as {kept} (nothing was deleted); "
        "a new, empty history was started."
    )


def _in_memory(problem: str) -> tuple[SqliteStore, str]:
    return SqliteStore.in_memory(), f"Conversations will not be saved this time: {problem}"


def quarantine(path: Path, label: str) -> Path:
    """Move a file (a database with its sidecar files) aside under one new name.

    Used for a broken config file too: it is kept, never deleted. Returns the new name.

    The -wal file keeps its suffix on the new name, so SQLite still finds the committed
    pages in it when someone opens the kept copy.
    """
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.{label}-{stamp}")
    counter = 1
    while target.exists():
        counter += 1
        target = path.with_name(f"{path.name}.{label}-{stamp}-{counter}")
    os.replace(path, target)
    for suffix in SIDECARS:
        sidecar = path.with_name(path.name + suffix)
        if sidecar.exists():
            os.replace(sidecar, target.with_name(target.name + suffix))
    return target


def open_default_store() -> tuple[SqliteStore, str | None]:
    """The store in the platform data dir (POE_TUI_DATA_DIR overrides it)."""
    return open_or_quarantine(default_db_path())

"""`poe-tui history`, `export` and `import`: the conversation store from the shell.

Each function returns the text to print and raises CommandError for anything the user
should read on stderr, so the CLI only wires arguments to them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from poe_tui.commands.output import CommandError, clip, table
from poe_tui.core.text import strip_terminal_controls
from poe_tui.store import SqliteStore, StoreError, default_db_path
from poe_tui.store.export import MAX_IMPORT_CHARS, from_json, to_json, to_markdown

SHORT_ID = 8
TITLE_WIDTH = 40
SNIPPET_WIDTH = 70
FORMATS = ("md", "json")


def open_for_command(path: Path | None = None) -> SqliteStore:
    """The store for a plain command. Unlike the app, a command never moves a bad file
    aside: it says what is wrong and exits, and the next `poe-tui` start deals with it."""
    path = path or default_db_path()
    try:
        return SqliteStore(path)
    except StoreError as error:
        raise CommandError(f"Conversation history {path}: {error}") from None
    except OSError as error:
        raise CommandError(f"Conversation history {path}: {error.strerror or error}.") from None


def short(conversation_id: str) -> str:
    return conversation_id[:SHORT_ID]


def when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp).strftime("%Y-%m-%d %H:%M")


def _clean(text: str, width: int) -> str:
    # Titles and snippets are the user's and the bots' text: no raw control sequences.
    return clip(strip_terminal_controls(text), width)


def history_table(
    store: SqliteStore, search: str | None = None, *, include_archived: bool = False
) -> str:
    """Conversations, newest first, or the messages that match `search`."""
    try:
        if search is not None:
            return _search_table(store, search)
        summaries = store.summaries(archived=None if include_archived else False)
    except StoreError as error:
        raise CommandError(str(error)) from None
    if not summaries:
        return "No conversations yet."
    rows = [
        [
            short(s.id),
            _clean(s.title, TITLE_WIDTH) + (" (archived)" if s.archived else ""),
            _clean(s.bot, TITLE_WIDTH),  # an older poe-tui imported any name
            when(s.updated_at),
            f"{s.points:,}",
            str(s.message_count),
        ]
        for s in summaries
    ]
    headers = ["ID", "Title", "Bot", "Last activity", "Points", "Messages"]
    return table(headers, rows, right={4, 5})


def _search_table(store: SqliteStore, text: str) -> str:
    hits = store.search(text, limit=50, mark=("", ""))
    if not hits:
        return f"No messages match {text!r}."
    rows = [
        [
            short(hit.conversation_id),
            _clean(hit.title, TITLE_WIDTH // 2),
            "You" if hit.role == "user" else "Bot",
            _clean(hit.snippet, SNIPPET_WIDTH),
        ]
        for hit in hits
    ]
    return table(["ID", "Title", "Who", "Match"], rows, right=set())


def export_conversation(store: SqliteStore, id_prefix: str, fmt: str) -> str:
    """The conversation whose id starts with `id_prefix`, as Markdown or JSON."""
    if fmt not in FORMATS:
        raise CommandError(f"Unknown format {fmt!r}; use one of: {', '.join(FORMATS)}.", 2)
    try:
        conversation = store.load(store.resolve_id(id_prefix))
    except StoreError as error:
        raise CommandError(str(error)) from None
    return to_markdown(conversation) if fmt == "md" else to_json(conversation)


def _read_export(path: Path) -> str:
    """The file's text, read only up to the largest export an import takes. A file
    handed over by someone else may be anything: a FIFO would hang, /dev/zero never end."""
    limit = MAX_IMPORT_CHARS * 4  # UTF-8: at most 4 bytes a character
    try:
        if path.exists() and not path.is_file():
            raise CommandError(f"{path}: not a regular file; nothing imported.")
        with path.open("rb") as file:
            data = file.read(limit + 1)
    except OSError as error:
        raise CommandError(f"{path}: cannot be read ({error.strerror or error}).") from None
    if len(data) > limit:
        raise CommandError(f"{path}: too large for an export; nothing imported.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CommandError(f"{path}: cannot be read ({error}).") from None


def import_conversation(store: SqliteStore, path: Path) -> str:
    """Add a conversation from one of our JSON exports; says what was imported."""
    text = _read_export(path)
    try:
        conversation = from_json(text)
        store.import_conversation(conversation)
    except StoreError as error:
        raise CommandError(f"{path}: {error}") from None
    count = len(conversation.messages)
    noun = "message" if count == 1 else "messages"
    title = strip_terminal_controls(conversation.title)
    return f"Imported {title!r} ({count} {noun}) as {short(conversation.id)}."

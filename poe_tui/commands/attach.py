"""`poe-tui ask --attach FILE`: the same checks as the app, then the files on the wire.

Every problem is one line on stderr through `CommandError` (the first problem found,
named with its file). A type the bot does not list is refused unless
`--attach-anyway`, since a script cannot be asked; upload progress goes to stderr
when it is a terminal.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from poe_tui.commands.output import CommandError
from poe_tui.core.client import PoeClient
from poe_tui.core.errors import PoeError
from poe_tui.core.files import LocalFile, check_bot_takes, check_file, expand_path, format_size
from poe_tui.store import AttachmentRef, SqliteStore

ANYWAY_FLAG = "--attach-anyway"


async def check_attachments(
    client: PoeClient,
    bot: str,
    paths: Sequence[str],
    *,
    max_bytes: int,
    anyway: bool = False,
) -> list[LocalFile]:
    """Every file checked (and against the bot's inputs when the catalogue is known)."""
    if not paths:
        return []
    checked = []
    for text in paths:
        try:
            file = await check_file(expand_path(text), max_bytes=max_bytes)
        except PoeError as problem:
            raise CommandError(problem.one_line()) from None
        if file.link_notice:
            print(f"poe-tui: note: {file.link_notice}", file=sys.stderr)
        checked.append(file)
    if not anyway:
        with contextlib.suppress(PoeError):  # no catalogue: no verdict on types
            await client.list_models()
        model = client.known_model(bot)
        for file in checked:
            try:
                check_bot_takes(file, bot, model.input_modalities if model else None)
            except PoeError as problem:
                raise CommandError(f"{problem.one_line()} (or pass {ANYWAY_FLAG})") from None
    return checked


class UploadMeter:
    """`Uploading name: 45% (2.3 MB of 5.1 MB)` on one rewritten stderr line."""

    def __init__(self, files: Sequence[LocalFile], err: TextIO) -> None:
        self.files = files
        self.err = err
        self.shown = False

    def __call__(self, index: int, sent: int, total: int) -> None:
        if not self.err.isatty():
            return
        percent = 100 * sent // total if total else 100
        name = self.files[index].name
        line = f"Uploading {name}: {percent}% ({format_size(sent)} of {format_size(total)})"
        self.err.write(f"\r\x1b[2K{line}")
        self.err.flush()
        self.shown = True

    def done(self) -> None:
        if self.shown:
            self.err.write("\r\x1b[2K")
            self.err.flush()


def stored_refs(store: SqliteStore, files: Sequence[LocalFile]) -> list[AttachmentRef]:
    """Copies kept with the history (by content hash), so the app can show them later."""
    return [store.add_attachment(Path(f.path), f.name, f.content_type) for f in files]

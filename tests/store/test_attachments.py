"""Attachments: stored once by content hash, referenced from rows, collected when unused."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from poe_tui.core.conversation import Conversation
from poe_tui.store import AttachmentRef, SqliteStore, StoreError


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "c.db") as opened:
        yield opened


def send(store: SqliteStore, text: str, refs: list[AttachmentRef]) -> Conversation:
    conversation = Conversation(bot="a")
    user = conversation.add_user_message(text)
    store.save_user_message(conversation, user, attachments=refs)
    return conversation


def test_same_content_is_stored_once(store: SqliteStore, tmp_path: Path) -> None:
    source = tmp_path / "photo.png"
    source.write_bytes(b"\x89PNG fake image" * 1000)
    first = store.add_attachment(source, "photo.png", "image/png")
    second = store.add_attachment(source.read_bytes(), "copy.png", "image/png")
    assert first.sha256 == second.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert (first.name, second.name) == ("photo.png", "copy.png")
    path = store.attachment_path(first)
    assert path == tmp_path / "attachments" / first.sha256[:2] / first.sha256[2:]
    assert path.read_bytes() == source.read_bytes()
    files = [p for p in (tmp_path / "attachments").rglob("*") if p.is_file()]
    assert files == [path]
    assert store.conn.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 1


def test_rows_reference_files_not_contents(store: SqliteStore) -> None:
    ref = store.add_attachment(b"%PDF-1.7 " + b"x" * 5000, "doc.pdf", "application/pdf")
    conversation = send(store, "read this", [ref])
    message_id = conversation.messages[0].id
    assert store.attachments_for(message_id) == [ref]
    assert store.message_extras(message_id).attachments == (ref,)
    biggest = store.conn.execute(
        "SELECT MAX(length(text) + length(parameters)) FROM messages"
    ).fetchone()[0]
    assert biggest < 100  # the 5 KB file is not inlined anywhere


def test_delete_removes_files_nothing_else_uses(store: SqliteStore) -> None:
    shared = store.add_attachment(b"shared bytes", "s.txt", "text/plain")
    own = store.add_attachment(b"only in the first", "o.txt", "text/plain")
    first = send(store, "one", [shared, own])
    second = send(store, "two", [shared])
    store.delete(first.id)
    assert not store.attachment_path(own).exists()
    assert store.attachment_path(shared).exists()  # the second still uses it
    assert not store.attachment_path(own).parent.exists()  # no empty folders left
    store.delete(second.id)
    assert not store.attachment_path(shared).exists()
    assert store.conn.execute("SELECT COUNT(*) FROM attachments").fetchone()[0] == 0


def test_gc_spares_attachments_held_for_an_unsent_prompt(store: SqliteStore) -> None:
    pending = store.add_attachment(b"not sent yet", "p.txt", "text/plain", hold_seconds=60)
    assert store.gc_attachments() == 0
    assert store.attachment_path(pending).exists()
    assert store.gc_attachments(now=time.time() + 120) == 1
    assert not store.attachment_path(pending).exists()


def test_gc_removes_stale_temp_files(store: SqliteStore, tmp_path: Path) -> None:
    store.add_attachment(b"x", "x", "text/plain")
    stray = tmp_path / "attachments" / ".incoming-crashed"
    stray.write_bytes(b"half a file")
    store.gc_attachments(now=time.time() + 7200)
    assert not stray.exists()


def test_unreadable_file_is_a_clear_error(store: SqliteStore, tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"Cannot store missing\.png"):
        store.add_attachment(tmp_path / "missing.png", "missing.png", "image/png")
    leftovers = [p for p in (tmp_path / "attachments").iterdir()]
    assert leftovers == []


def test_memory_store_never_touches_the_real_folder(tmp_path: Path) -> None:
    with SqliteStore.in_memory() as store:
        ref = store.add_attachment(b"temp", "t", "text/plain")
        root = store.attachment_path(ref).parents[1]
        assert root.exists()
    assert not root.exists()  # its own temp folder, cleaned on close

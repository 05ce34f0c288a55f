"""AttachmentController without Textual: a fake host, real files in tmp_path, a real
SQLite store, and the local Poe server over loopback for bots' files."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from poe_tui.config import Settings
from poe_tui.core.attachments import MessageFile
from poe_tui.core.conversation import Conversation, Message
from poe_tui.core.models import ModelInfo
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.upload_routes import DEMO_IMAGE, demo_image_url, read_asset_bytes
from poe_tui.store import SqliteStore, StoreError
from poe_tui.ui.controllers.attachments import (
    AttachmentController,
    Choice,
    PendingFile,
    Severity,
    command_words,
)

PNG = read_asset_bytes(DEMO_IMAGE)  # what the local server sends for the demo image
NO_IMAGES = "no-images"  # a bot that lists text and files among its inputs, no images


def no_images_model() -> ModelInfo:
    return ModelInfo(
        id=NO_IMAGES,
        display_name="No Images",
        owned_by="test",
        description="",
        created_ms=None,
        input_modalities=("text", "file"),
        output_modalities=("text",),
        modality="text->text",
        context_length=None,
        max_output_tokens=None,
        pricing=None,
        reasoning=None,
        supported_endpoints=(),
        supported_features=(),
        parameters=(),
    )


class FakePanel:
    """The waiting files, as AttachmentPanel keeps them."""

    def __init__(self) -> None:
        self.files: list[PendingFile] = []

    async def add(self, pending: PendingFile) -> bool:
        if any(p.file.path == pending.file.path for p in self.files):
            return False
        self.files.append(pending)
        return True

    async def discard(self, pending: PendingFile) -> None:
        self.files = [p for p in self.files if p is not pending]

    async def take(self) -> list[PendingFile]:
        taken, self.files = self.files, []
        return taken

    def names(self) -> list[str]:
        return [p.file.name for p in self.files]


class FakeHost:
    """Records what the controller tells the screen; answers the dialogs as set up."""

    def __init__(self) -> None:
        self.panel = FakePanel()
        self.notices: list[tuple[str, str, Severity]] = []
        self.history_errors: list[StoreError] = []
        self.picked: list[Path] | None = None
        self.picker_starts: list[Path] = []
        self.choice: Choice | None = None
        self.asked_unsupported: list[list[str]] = []
        self.save_folder: Path | None = None
        self.changed: list[Message] = []
        self.opened: list[str] = []
        self.open_error: OSError | None = None

    @property
    def waiting(self) -> FakePanel:
        return self.panel

    def notice(self, text: str, *, title: str = "", severity: Severity = "information") -> None:
        self.notices.append((text, title, severity))

    def said(self, words: str) -> Severity | None:
        """The severity of the notice containing `words` (None: nothing said it)."""
        return next((sev for text, _, sev in self.notices if words in text), None)

    def history_problem(self, error: StoreError) -> None:
        self.history_errors.append(error)

    async def ask_files(self, start: Path) -> list[Path] | None:
        self.picker_starts.append(start)
        return self.picked

    async def ask_unsupported(self, bot: str, warnings: list[str]) -> Choice | None:
        self.asked_unsupported.append(warnings)
        return self.choice

    async def ask_save_folder(self, name: str, folder: Path) -> Path | None:
        return self.save_folder

    def files_changed(self, message: Message) -> None:
        self.changed.append(message)

    def open_in_viewer(self, target: str) -> None:
        if self.open_error is not None:
            raise self.open_error
        self.opened.append(target)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "files"
    root.mkdir()
    (root / "notes.txt").write_text("Shopping list\n- milk\n")
    (root / "photo.png").write_bytes(PNG)
    (root / "two words.txt").write_text("spaced")
    (root / "empty.txt").write_bytes(b"")
    return root


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    with SqliteStore(tmp_path / "history.db") as opened:
        yield opened


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10) as client:
        yield client


Make = Callable[..., tuple[AttachmentController, FakeHost]]


@pytest.fixture
def make(store: SqliteStore, fake_poe: FakePoeServer, http: httpx.AsyncClient) -> Make:
    def build(**overrides: Any) -> tuple[AttachmentController, FakeHost]:
        host = FakeHost()
        settings = overrides.pop("settings", Settings(download_dir=""))
        options: dict[str, Any] = {
            "store": store,
            "settings": lambda: settings,
            "model_info": lambda bot: no_images_model() if bot == NO_IMAGES else None,
            "base_url": fake_poe.base_url,
            "http": lambda: http,
        }
        options.update(overrides)
        return AttachmentController(host, **options), host

    return build


def saved_prompt(store: SqliteStore, files: list[MessageFile]) -> Message:
    conversation = Conversation(bot="echo")
    prompt = conversation.add_user_message("with files")
    prompt.attachments = list(files)
    store.save(conversation)
    return prompt


def test_the_controller_imports_without_textual() -> None:
    code = (
        "import sys, poe_tui.ui.controllers.attachments\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] == 'textual')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_command_words() -> None:
    assert command_words("hello /attach x") is None
    assert command_words("/attachment x") is None
    assert command_words("  /attach  ") == ""
    assert command_words("/attach a.txt 'b c.txt'") == "a.txt 'b c.txt'"


# --- adding files -------------------------------------------------------------------------


async def test_attach_path_adds_a_checked_file(make: Make, folder: Path) -> None:
    controller, host = make()
    assert await controller.attach_path(folder / "notes.txt", "echo")
    (pending,) = host.panel.files
    assert (pending.file.name, pending.file.size, pending.warning) == ("notes.txt", 21, None)
    assert host.notices == []


async def test_attach_path_refuses_bad_and_repeated_files(make: Make, folder: Path) -> None:
    controller, host = make()
    assert not await controller.attach_path(folder / "missing.txt", "echo")
    assert host.said("There is no file at") == "error"
    assert not await controller.attach_path(folder / "empty.txt", "echo")
    assert host.said("empty.txt is empty") == "error"
    assert await controller.attach_path(folder / "notes.txt", "echo")
    assert not await controller.attach_path(folder / "notes.txt", "echo")
    assert host.said("notes.txt is already attached.") == "information"
    assert host.panel.names() == ["notes.txt"]


async def test_attach_path_over_the_limit(make: Make, folder: Path) -> None:
    controller, host = make(settings=Settings(max_attachment_mb=0.001))
    assert not await controller.attach_path(folder / "photo.png", "echo")
    assert host.said("photo.png is 1.1 KB; the limit is 1.0 KB") == "error"


async def test_a_type_the_bot_does_not_list_waits_with_a_warning(make: Make, folder: Path) -> None:
    controller, host = make()
    assert await controller.attach_path(folder / "photo.png", NO_IMAGES)
    (pending,) = host.panel.files
    assert pending.warning is not None and "does not list images" in pending.warning
    assert host.said("does not list images") == "warning"


async def test_pick_files_attaches_the_chosen_and_remembers_the_folder(
    make: Make, folder: Path
) -> None:
    controller, host = make()
    host.picked = None
    assert not await controller.pick_files("echo")
    assert host.picker_starts == [Path.cwd()]
    host.picked = [folder / "notes.txt", folder / "photo.png"]
    assert await controller.pick_files("echo")
    assert host.panel.names() == ["notes.txt", "photo.png"]
    assert controller.picker_dir == folder
    host.picked = []
    assert not await controller.pick_files("echo")
    assert host.picker_starts[-1] == folder


async def test_attach_words_takes_quoted_paths_and_says_which_failed(
    make: Make, folder: Path
) -> None:
    controller, host = make()
    words = f"{folder / 'notes.txt'} '{folder / 'two words.txt'}'"
    assert await controller.attach_words(words, "echo")
    assert host.panel.names() == ["notes.txt", "two words.txt"]
    assert not await controller.attach_words(f"{folder / 'photo.png'} {folder / 'nope'}", "echo")
    assert host.panel.names() == ["notes.txt", "two words.txt", "photo.png"]
    assert host.said("There is no file at") == "error"


async def test_attach_pasted_says_how_many(make: Make, folder: Path) -> None:
    controller, host = make()
    paths = [folder / "notes.txt", folder / "empty.txt", folder / "photo.png"]
    assert await controller.attach_pasted(paths, "echo") == 2
    assert host.said("Attached 2 pasted files.") == "information"
    assert await controller.attach_pasted([folder / "empty.txt"], "echo") == 0
    assert host.said("pasted file.") is None


# --- sending ----------------------------------------------------------------------------


async def test_files_every_bot_takes_need_no_question(make: Make, folder: Path) -> None:
    controller, host = make()
    await controller.attach_path(folder / "photo.png", "echo")
    assert controller.unsupported_warnings("echo") == []
    assert await controller.confirm_unsupported("echo")
    assert host.asked_unsupported == []


@pytest.mark.parametrize(
    ("choice", "goes_on", "left"),
    [
        ("send", True, ["notes.txt", "photo.png"]),
        ("drop", True, ["notes.txt"]),
        (None, False, ["notes.txt", "photo.png"]),
    ],
)
async def test_unsupported_files_send_anyway_drop_or_back(
    make: Make, folder: Path, choice: Choice | None, goes_on: bool, left: list[str]
) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", NO_IMAGES)
    await controller.attach_path(folder / "photo.png", NO_IMAGES)
    host.choice = choice
    assert await controller.confirm_unsupported(NO_IMAGES) is goes_on
    (warnings,) = host.asked_unsupported
    assert len(warnings) == 1 and "photo.png" in warnings[0]
    assert host.panel.names() == left


async def test_take_files_keeps_copies_in_the_store_and_empties_the_panel(
    make: Make, folder: Path, store: SqliteStore
) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    await controller.attach_path(folder / "photo.png", "echo")
    files = await controller.take_files()
    assert files is not None and host.panel.files == []
    assert [(f.name, f.content_type, f.size) for f in files] == [
        ("notes.txt", "text/plain", 21),
        ("photo.png", "image/png", len(PNG)),
    ]
    for file in files:
        assert file.path is not None and file.path != folder / file.name
        assert file.sha256 is not None and file.path == store.attachment_path(file.sha256)
    assert files[1].path is not None and files[1].path.read_bytes() == PNG


async def test_take_files_keeps_everything_waiting_when_a_file_vanished(
    make: Make, folder: Path
) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    await controller.attach_path(folder / "photo.png", "echo")
    (folder / "photo.png").unlink()
    assert await controller.take_files() is None
    assert host.said("There is no file at") == "error"
    assert host.panel.names() == ["notes.txt", "photo.png"]


async def test_take_files_says_when_the_history_cannot_keep_a_copy(
    make: Make, folder: Path, store: SqliteStore
) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    blobs = store.attachment_path("0" * 64).parent.parent
    shutil.rmtree(blobs, ignore_errors=True)
    blobs.write_text("a file where the attachments folder was")
    assert await controller.take_files() is None
    assert host.said("Cannot keep notes.txt: Cannot store notes.txt") == "error"
    assert host.panel.names() == ["notes.txt"]


async def test_copies_and_links_run_off_the_event_loop(
    make: Make, folder: Path, store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads: list[str] = []
    for name in ("add_attachment", "link_attachments"):
        real = getattr(store, name)

        def spy(*args: Any, _real: Any = real, _name: str = name) -> Any:
            threads.append(f"{_name}:{threading.current_thread() is threading.main_thread()}")
            return _real(*args)

        monkeypatch.setattr(store, name, spy)
    controller, _host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    files = await controller.take_files()
    assert files is not None
    await controller.link(saved_prompt(store, files))
    assert threads == ["add_attachment:False", "link_attachments:False"]


async def test_link_records_the_files_with_their_message(
    make: Make, folder: Path, store: SqliteStore
) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    files = await controller.take_files()
    assert files is not None
    prompt = saved_prompt(store, files)
    await controller.link(prompt)
    assert [ref.name for ref in store.attachments_for(prompt.id)] == ["notes.txt"]
    assert host.history_errors == []


async def test_a_link_the_history_refuses_is_a_notice_not_a_crash(
    make: Make, folder: Path, store: SqliteStore
) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    files = await controller.take_files()
    assert files is not None
    unsaved = Conversation(bot="echo").add_user_message("never saved")
    unsaved.attachments = files
    await controller.link(unsaved)
    (error,) = host.history_errors
    assert "FOREIGN KEY" in str(error)


async def test_restore_and_drop_sent(make: Make, folder: Path, store: SqliteStore) -> None:
    controller, host = make()
    await controller.attach_path(folder / "notes.txt", "echo")
    await controller.attach_path(folder / "photo.png", "echo")
    files = await controller.take_files()
    assert files is not None
    prompt = saved_prompt(store, files)
    await controller.restore(None)
    assert host.panel.files == []
    await controller.restore(prompt)
    assert host.panel.names() == ["notes.txt", "photo.png"]
    assert [p.file.path for p in host.panel.files] == [f.path for f in files]  # the copies
    await controller.attach_path(folder / "two words.txt", "echo")
    await controller.drop_sent(prompt)
    assert host.panel.names() == ["two words.txt"]


# --- files from bots ---------------------------------------------------------------------


def a_reply(text: str = "", files: list[MessageFile] | None = None) -> Message:
    conversation = Conversation(bot="demo-image")
    conversation.add_user_message("a picture please")
    reply = conversation.start_reply()
    reply.text = text
    reply.attachments = list(files or [])
    return reply


async def test_collect_takes_linked_files_and_fetches_only_from_poes_hosts(
    make: Make, fake_poe: FakePoeServer
) -> None:
    controller, _host = make()
    own = demo_image_url(fake_poe.base_url)
    reply = a_reply(f"Here: ![sunset]({own})\n\n![router](http://192.168.1.1/admin.png)")
    wanted = controller.collect_reply_files(reply)
    assert [f.url for f in reply.attachments] == [own, "http://192.168.1.1/admin.png"]
    assert [f.url for f in wanted] == [own]
    assert controller.collect_reply_files(reply) == wanted  # no file twice


async def test_fetch_keeps_a_bots_file_and_links_it(
    make: Make, fake_poe: FakePoeServer, store: SqliteStore
) -> None:
    controller, host = make()
    url = demo_image_url(fake_poe.base_url)
    file = MessageFile("demo-image.png", "image/png", url=url)
    conversation = Conversation(bot="demo-image")
    conversation.add_user_message("a picture please")
    reply = conversation.start_reply()
    reply.attachments = [file]
    store.save(conversation)
    await controller.fetch_reply_files(reply, [file])
    (kept,) = reply.attachments
    assert kept.path is not None and kept.path.read_bytes() == PNG and kept.url == url
    assert host.changed == [reply] and host.notices == []
    assert [ref.name for ref in store.attachments_for(reply.id)] == ["demo-image.png"]


async def test_a_file_that_cannot_be_fetched_is_a_warning(
    make: Make, fake_poe: FakePoeServer
) -> None:
    controller, host = make()
    missing = MessageFile("gone.png", "image/png", url=f"{fake_poe.base_url}/poe_api/demo/gone")
    reply = a_reply(files=[missing])
    await controller.fetch_reply_files(reply, [missing])
    assert reply.attachments == [missing] and host.changed == []
    assert host.said("gone.png: ") == "warning"


async def test_a_fetched_file_the_history_cannot_keep_is_a_warning(
    make: Make, fake_poe: FakePoeServer, store: SqliteStore
) -> None:
    controller, host = make()
    file = MessageFile("demo-image.png", "image/png", url=demo_image_url(fake_poe.base_url))
    reply = a_reply(files=[file])
    blobs = store.attachment_path("0" * 64).parent.parent
    shutil.rmtree(blobs, ignore_errors=True)
    blobs.write_text("not a folder")
    await controller.fetch_reply_files(reply, [file])
    assert reply.attachments == [file]
    assert host.said("Cannot keep demo-image.png") == "warning"


async def test_a_reply_retried_meanwhile_keeps_its_new_files(
    make: Make, fake_poe: FakePoeServer
) -> None:
    controller, host = make()
    file = MessageFile("demo-image.png", "image/png", url=demo_image_url(fake_poe.base_url))
    reply = a_reply(files=[])  # the retry emptied the reply's files before the fetch ended
    await controller.fetch_reply_files(reply, [file])
    assert reply.attachments == [] and host.changed == []


async def test_open_file_a_named_copy_a_link_or_a_notice(
    make: Make, folder: Path, tmp_path: Path
) -> None:
    controller, host = make()
    kept = tmp_path / "0123abcd"  # copies are kept under their hash
    kept.write_bytes(PNG)
    await controller.open_file(MessageFile("sunset.png", "image/png", len(PNG), path=kept))
    opened = Path(host.opened[-1])
    assert opened.name == "sunset.png" and opened.read_bytes() == PNG
    assert host.said("Opened sunset.png with the system viewer.") == "information"
    await controller.open_file(MessageFile("web.png", "image/png", url="https://x.test/web.png"))
    assert host.opened[-1] == "https://x.test/web.png"
    await controller.open_file(MessageFile("nowhere.png", "image/png", url="data:x"))
    assert host.said("nowhere.png is not on this machine.") == "warning"
    host.open_error = OSError("no viewer")
    await controller.open_file(MessageFile("web.png", "image/png", url="https://x.test/web.png"))
    assert host.said("Could not open web.png: no viewer") == "error"


async def test_save_file_into_the_chosen_folder(
    make: Make, tmp_path: Path, fake_poe: FakePoeServer
) -> None:
    controller, host = make()
    kept = tmp_path / "abc123"
    kept.write_text("report")
    file = MessageFile("../../evil\x1b.txt", "text/plain", 6, path=kept)
    assert await controller.save_file(file) is None  # the dialog was cancelled
    host.save_folder = tmp_path / "saved"
    saved = await controller.save_file(file)
    assert saved is not None and saved.parent == tmp_path / "saved"
    assert saved.read_text() == "report" and "/" not in saved.name and "\x1b" not in saved.name
    assert controller.save_dir == tmp_path / "saved"
    # A bot's file not fetched yet is fetched first.
    remote = MessageFile("demo-image.png", "image/png", url=demo_image_url(fake_poe.base_url))
    fetched = await controller.save_file(remote)
    assert fetched is not None and fetched.read_bytes() == PNG


async def test_save_file_problems_are_notices(
    make: Make, tmp_path: Path, fake_poe: FakePoeServer
) -> None:
    controller, host = make()
    (tmp_path / "a-file").write_text("x")
    host.save_folder = tmp_path / "a-file"  # not a folder
    kept = tmp_path / "abc123"
    kept.write_text("report")
    assert await controller.save_file(MessageFile("r.txt", "text/plain", 6, path=kept)) is None
    assert host.said("a-file") == "error"
    host.save_folder = tmp_path / "saved"
    gone = MessageFile("gone.png", "image/png", url=f"{fake_poe.base_url}/poe_api/demo/gone")
    assert await controller.save_file(gone) is None
    assert host.said("gone") == "error"
    assert controller.save_dir is None


async def test_save_file_says_when_the_history_cannot_keep_the_fetched_copy(
    make: Make, tmp_path: Path, fake_poe: FakePoeServer, store: SqliteStore
) -> None:
    controller, host = make()
    host.save_folder = tmp_path / "saved"
    blobs = store.attachment_path("0" * 64).parent.parent
    shutil.rmtree(blobs, ignore_errors=True)
    blobs.write_text("not a folder")
    remote = MessageFile("demo-image.png", "image/png", url=demo_image_url(fake_poe.base_url))
    assert await controller.save_file(remote) is None
    assert host.said("Could not save demo-image.png: Cannot store") == "error"


async def test_close_removes_the_temporary_copies_of_an_in_memory_history(
    make: Make, folder: Path
) -> None:
    with SqliteStore.in_memory() as memory:
        controller, _host = make(store=memory)
        await controller.attach_path(folder / "notes.txt", "echo")
        files = await controller.take_files()
        assert files is not None and files[0].path is not None
        assert files[0].path.is_file()
        controller.close()
        assert not files[0].path.exists()

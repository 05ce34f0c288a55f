"""Attachments in the app, through Pilot, against the local Poe server over loopback:
the panel, the picker, sending (uploads and inline), every bad-file case, and the
files bots send back (open, save, preview)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, Select, Static

from poe_tui.config import Settings
from poe_tui.core.conversation import Message, MessageStatus
from poe_tui.core.uploads import Uploader
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.chat import ChatScreen
from poe_tui.ui.screens.confirm_files import ConfirmFilesScreen
from poe_tui.ui.screens.file_picker import FilePickerScreen, FileTree
from poe_tui.ui.screens.save_file import SaveFileScreen
from poe_tui.ui.widgets.attachment_panel import AttachmentChip, AttachmentPanel
from poe_tui.ui.widgets.message_files import FileRow, MessageFiles
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.loopback import LoopbackServer
from tests.support.paths import DEMO_IMAGE
from tests.support.pilot import submit, wait_until, workers_done

SIZE = (120, 40)
PNG = DEMO_IMAGE.read_bytes()
UPLOADS = "/poe_api/file_upload_3RD_PARTY_POST"


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "files"
    root.mkdir()
    (root / "notes.txt").write_text("Shopping list\n- milk\n- bread\n")
    (root / "photo.png").write_bytes(PNG)
    (root / "report.pdf").write_bytes(b"%PDF-1.7\n% a tiny report\n")
    (root / ".secret.txt").write_text("hidden file")
    (root / "empty.txt").write_bytes(b"")
    (root / "sub").mkdir()
    (root / "sub" / "deep.md").write_text("# deep\n")
    return root


class Opened:
    """Records what the app asked the system viewer to open (never starts one)."""

    def __init__(self) -> None:
        self.targets: list[str] = []

    def __call__(self, target: str) -> None:
        self.targets.append(target)


@pytest.fixture
def opened() -> Opened:
    return Opened()


@pytest.fixture
def make_app(
    make_app: Callable[..., PoeApp], fake_poe: FakePoeServer, isolated_home: Path, opened: Opened
) -> Callable[..., PoeApp]:
    """The shared builder, with a folder to save files in, the server's upload door and an
    opener that only records."""

    def build(bot: str = "echo", **overrides: Any) -> PoeApp:
        options: dict[str, Any] = {
            "settings": Settings(default_bot=bot, download_dir=str(isolated_home / "saved")),
            "upload_url": fake_poe.upload_url,
            "opener": opened,
        }
        options.update(overrides)
        return make_app(bot, **options)

    return build


def chat(pilot: Pilot[Any]) -> ChatScreen:
    screen = pilot.app.screen_stack[0]
    assert isinstance(screen, ChatScreen)
    return screen


def panel(pilot: Pilot[Any]) -> AttachmentPanel:
    return chat(pilot).query_one(AttachmentPanel)


def chip_names(pilot: Pilot[Any]) -> list[str]:
    return [chip.pending.file.name for chip in panel(pilot).query(AttachmentChip)]


def notes(pilot: Pilot[Any]) -> list[str]:
    return [str(n.message) for n in pilot.app._notifications]


async def noted(pilot: Pilot[Any], words: str) -> None:
    """Wait for a notification containing `words` (notify reaches the app a bit later)."""
    await wait_until(pilot, lambda: any(words in note for note in notes(pilot)), timeout=5)


async def ready(pilot: Pilot[Any]) -> None:
    await wait_until(pilot, lambda: pilot.app.models is not None)  # type: ignore[attr-defined]
    await pilot.pause()


async def reply_done(pilot: Pilot[Any]) -> Message:
    screen = chat(pilot)
    await wait_until(pilot, lambda: screen.job is None and len(screen.conversation.messages) >= 2)
    await workers_done(pilot.app)
    await pilot.pause()
    return screen.conversation.messages[-1]


# --- the panel ---------------------------------------------------------------------------------


async def test_panel_shows_chips_total_and_removes_by_key_and_click(
    make_app: Callable[..., PoeApp], folder: Path
) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        assert panel(pilot).display is False  # hidden while empty
        for name in ("notes.txt", "photo.png", "report.pdf"):
            assert await screen.attach_path(folder / name)
        await pilot.pause()
        assert panel(pilot).display is True
        labels = [
            str(c.query_one(".chip-label").render()) for c in panel(pilot).query(AttachmentChip)
        ]
        assert labels == [
            "notes.txt · text · 29 B",
            "photo.png · PNG · 1.1 KB",
            "report.pdf · PDF · 25 B",
        ]
        total = str(panel(pilot).query_one(".attachments-total", Static).render())
        assert total == "3 files, 1.2 KB · Del or ✕ removes · ^t adds"
        # The same file twice is refused politely.
        assert not await screen.attach_path(folder / "notes.txt")
        await noted(pilot, "notes.txt is already attached.")
        # Remove by key: focus a chip, press Delete.
        panel(pilot).query(AttachmentChip)[1].focus()
        await pilot.press("delete")
        await pilot.pause()
        assert chip_names(pilot) == ["notes.txt", "report.pdf"]
        assert pilot.app.focused is panel(pilot).query(AttachmentChip)[1]  # focus stays
        # Remove by click on the chip's ✕.
        await pilot.click(".chip-remove")
        await pilot.pause()
        assert chip_names(pilot) == ["report.pdf"]
        assert str(panel(pilot).query_one(".attachments-total", Static).render()).startswith(
            "1 file, 25 B"
        )


# --- every bad-file case: a clear message, nothing lost ----------------------------------------


async def test_bad_files_are_explained_and_nothing_is_lost(
    make_app: Callable[..., PoeApp], folder: Path
) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        cases = [
            (folder / "missing.txt", "There is no file at"),
            (folder / "sub", "is a folder, not a file"),
            (folder / "empty.txt", "empty.txt is empty"),
            (folder / "bad\x1bname.txt", "control character (U+001B)"),
        ]
        (folder / "bad\x1bname.txt").write_text("x")
        for path, said in cases:
            assert not await screen.attach_path(path)
            await noted(pilot, said)
        assert chip_names(pilot) == []
        # "/attach" with a bad path keeps the command in the prompt to be corrected.
        await submit(pilot, f"/attach {folder / 'nope.pdf'}")
        await pilot.pause()
        assert screen.query_one(PromptInput).text == f"/attach {folder / 'nope.pdf'}"
        assert screen.conversation.messages == []


async def test_over_the_size_limit(make_app: Callable[..., PoeApp], folder: Path) -> None:
    settings = Settings(default_bot="echo", max_attachment_mb=0.001)
    async with make_app(settings=settings).run_test(size=SIZE) as pilot:
        assert not await chat(pilot).attach_path(folder / "photo.png")
        await noted(pilot, "photo.png is 1.1 KB; the limit is 1.0 KB")


async def test_a_file_that_vanished_before_sending_keeps_everything(
    make_app: Callable[..., PoeApp], folder: Path, tmp_path: Path
) -> None:
    doomed = tmp_path / "doomed.txt"
    doomed.write_text("soon gone")
    async with make_app().run_test(size=SIZE) as pilot:
        await ready(pilot)
        assert await chat(pilot).attach_path(doomed)
        doomed.unlink()
        await submit(pilot, "read this")
        await pilot.pause()
        await noted(pilot, "There is no file at")
        assert chat(pilot).query_one(PromptInput).text == "read this"
        assert chip_names(pilot) == ["doomed.txt"]
        assert chat(pilot).conversation.messages == []


# --- a type the bot cannot take: send anyway, drop, or back -------------------------------------


@pytest.mark.parametrize(("key", "sent_files"), [("s", ["photo.png"]), ("d", [])])
async def test_unsupported_type_asks_send_anyway_or_drop(
    make_app: Callable[..., PoeApp], folder: Path, key: str, sent_files: list[str]
) -> None:
    async with make_app(bot="demo-params").run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        assert await screen.attach_path(folder / "photo.png")
        assert panel(pilot).query(AttachmentChip)[0].has_class("-warning")
        await noted(pilot, "does not list images among its inputs")
        await submit(pilot, "what is in the picture?")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmFilesScreen))
        await pilot.press(key)
        reply = await reply_done(pilot)
        prompt = screen.conversation.messages[-2]
        assert [f.name for f in prompt.attachments] == sent_files
        assert prompt.text == "what is in the picture?" and reply.status is MessageStatus.COMPLETE
        assert chip_names(pilot) == []


async def test_unsupported_type_back_keeps_text_and_files(
    make_app: Callable[..., PoeApp], folder: Path
) -> None:
    async with make_app(bot="demo-params").run_test(size=SIZE) as pilot:
        await ready(pilot)
        await chat(pilot).attach_path(folder / "photo.png")
        await submit(pilot, "keep me")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ConfirmFilesScreen))
        await pilot.press("escape")
        await pilot.pause()
        assert chat(pilot).conversation.messages == []
        assert chat(pilot).query_one(PromptInput).text == "keep me"
        assert chip_names(pilot) == ["photo.png"]


# --- sending: uploads on native, inline on OpenAI; the panel empties; files on the message ------


@pytest.mark.parametrize("transport", ["native", "openai"])
async def test_send_files_to_the_echo_bot(
    make_app: Callable[..., PoeApp], folder: Path, fake_poe: FakePoeServer, transport: str
) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        screen.set_transport(transport)
        uploads_before = fake_poe.state.count(UPLOADS)
        for name in ("notes.txt", "report.pdf"):
            await screen.attach_path(folder / name)
        await submit(pilot, "here you go")
        reply = await reply_done(pilot)
        assert chip_names(pilot) == [] and panel(pilot).display is False
        prompt = screen.conversation.messages[-2]
        assert [(f.name, f.size) for f in prompt.attachments] == [
            ("notes.txt", 29),
            ("report.pdf", 25),
        ]
        assert all(f.path is not None and f.path.is_file() for f in prompt.attachments)
        assert "notes.txt (text/plain, 29 B), report.pdf (application/pdf, 25 B)" in reply.text
        rows = [r for r in screen.query(FileRow) if r.message is prompt]
        assert [r.file.name for r in rows] == ["notes.txt", "report.pdf"]
        uploaded = fake_poe.state.count(UPLOADS) - uploads_before
        assert uploaded == (2 if transport == "native" else 0)


async def test_same_file_is_uploaded_once_per_conversation(
    make_app: Callable[..., PoeApp], folder: Path, fake_poe: FakePoeServer
) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        before = fake_poe.state.count(UPLOADS)
        await screen.attach_path(folder / "photo.png")
        await submit(pilot, "first")
        await reply_done(pilot)
        await screen.attach_path(folder / "photo.png")
        await submit(pilot, "the same again")
        reply = await reply_done(pilot)
        assert "photo.png (image/png, 1.1 KB)" in reply.text
        assert fake_poe.state.count(UPLOADS) == before + 1


async def test_slash_attach_and_pasted_paths(make_app: Callable[..., PoeApp], folder: Path) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        await submit(pilot, f"/attach {folder / 'notes.txt'} '{folder / 'report.pdf'}'")
        await pilot.pause()
        assert chip_names(pilot) == ["notes.txt", "report.pdf"]
        assert screen.query_one(PromptInput).text == ""
        prompt = screen.query_one(PromptInput)
        prompt.focus()
        pilot.app.post_message(events.Paste(str(folder / "photo.png")))
        await pilot.pause()
        assert chip_names(pilot) == ["notes.txt", "report.pdf", "photo.png"]
        assert prompt.text == ""  # the path went to the panel, not the text
        pilot.app.post_message(events.Paste("just some text /not/a/file"))
        await pilot.pause()
        assert prompt.text == "just some text /not/a/file"


async def test_pasted_paths_can_be_plain_text_by_setting(
    make_app: Callable[..., PoeApp], folder: Path
) -> None:
    settings = Settings(default_bot="echo", attach_pasted_paths=False)
    async with make_app(settings=settings).run_test(size=SIZE) as pilot:
        prompt = chat(pilot).query_one(PromptInput)
        prompt.focus()
        pilot.app.post_message(events.Paste(str(folder / "photo.png")))
        await pilot.pause()
        assert prompt.text == str(folder / "photo.png") and chip_names(pilot) == []


# --- cancelling a slow upload -------------------------------------------------------------------


def slow_upload_app() -> Any:
    """An upload endpoint that reads slowly, like a poor uplink (real sockets)."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        while True:
            message = await receive()
            if message["type"] == "http.disconnect" or not message.get("more_body"):
                break
            await asyncio.sleep(0.05)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send(
            {"type": "http.response.body", "body": b'{"attachment_url":"x","mime_type":"x"}'}
        )

    return app


@pytest.fixture(scope="module")
def slow_upload() -> Iterator[str]:
    with LoopbackServer(slow_upload_app()) as server:
        yield server.base_url + "/upload"


async def test_large_upload_shows_progress_and_esc_cancels(
    make_app: Callable[..., PoeApp], tmp_path: Path, slow_upload: str
) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"\x00" * (24 * 1024 * 1024))
    async with make_app(upload_url=slow_upload).run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        screen._uploader = Uploader(
            pilot.app.client.http, pilot.app.client.require_key, slow_upload, chunk_size=64 * 1024
        )
        await screen.attach_path(big)
        await submit(pilot, "a big one")

        def uploading() -> str:
            return " ".join(
                str(s.render()) for s in screen.query(".file-status").results(Static) if s.display
            )

        await wait_until(pilot, lambda: "Uploading big.bin" in uploading() and "%" in uploading())
        assert "esc cancels" in uploading()
        await pilot.press("escape")
        reply = await reply_done(pilot)
        assert reply.status is MessageStatus.STOPPED and reply.text == ""
        await pilot.pause()
        assert screen.query_one(PromptInput).text == "a big one"  # the text comes back
        assert chip_names(pilot) == ["big.bin"]  # and so does the file


# --- the picker, driven by keys and the mouse (Enter or a click attaches) ---------------------


async def open_picker(pilot: Pilot[Any], folder: Path) -> FilePickerScreen:
    chat(pilot).attachments.picker_dir = folder
    await pilot.press("ctrl+t")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, FilePickerScreen))
    picker = pilot.app.screen
    assert isinstance(picker, FilePickerScreen)
    tree = picker.query_one(FileTree)
    await wait_until(pilot, lambda: len(tree.root.children) > 0)
    await pilot.pause()
    return picker


def listed(picker: FilePickerScreen) -> list[str]:
    return [str(node.label) for node in picker.query_one(FileTree).root.children]


async def test_picker_keyboard_preview_and_attach(
    make_app: Callable[..., PoeApp], folder: Path
) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        picker = await open_picker(pilot, folder)
        assert listed(picker) == ["sub", "empty.txt", "notes.txt", "photo.png", "report.pdf"]
        tree = picker.query_one(FileTree)
        assert pilot.app.focused is tree
        while str(tree.cursor_node.label if tree.cursor_node else "") != "notes.txt":
            await pilot.press("down")
        title = picker.query_one("#file-preview-title", Static)
        body = picker.query_one("#file-preview", Static)
        await wait_until(pilot, lambda: str(title.render()) == "notes.txt · text · 29 B")
        assert "- milk" in str(body.render())
        await pilot.press("down")  # photo.png: a picture in half blocks
        await wait_until(pilot, lambda: "▀" in str(body.render()))
        assert str(title.render()) == "photo.png · PNG · 1.1 KB"
        await pilot.press("up", "enter")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen))
        await wait_until(pilot, lambda: chip_names(pilot) == ["notes.txt"])


async def test_picker_filters_hidden_files_folders_and_mouse(
    make_app: Callable[..., PoeApp], folder: Path
) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        picker = await open_picker(pilot, folder)
        tree = picker.query_one(FileTree)
        # Hidden files: F6 (or the checkbox) shows them.
        await pilot.press("f6")
        await wait_until(pilot, lambda: ".secret.txt" in listed(picker))
        assert picker.query_one(Checkbox).value is True
        await pilot.click("#hidden-files")
        await wait_until(pilot, lambda: ".secret.txt" not in listed(picker))
        # Filter by name: folders stay so they can be walked.
        picker.query_one("#name-filter", Input).value = "rep"
        await wait_until(pilot, lambda: listed(picker) == ["sub", "report.pdf"])
        picker.query_one("#name-filter", Input).value = ""
        # Filter by type.
        picker.query_one("#type-filter", Select).value = "image"
        await wait_until(pilot, lambda: listed(picker) == ["sub", "photo.png"])
        picker.query_one("#type-filter", Select).value = "text"
        await wait_until(pilot, lambda: listed(picker) == ["sub", "empty.txt", "notes.txt"])
        picker.query_one("#type-filter", Select).value = "all"
        await wait_until(pilot, lambda: "report.pdf" in listed(picker))
        # Into a folder and back up with Backspace.
        tree.focus()
        tree.path = folder / "sub"
        await wait_until(pilot, lambda: listed(picker) == ["deep.md"])
        assert str(picker.query_one("#file-picker-folder").render()).endswith("sub")
        await pilot.press("backspace")
        await wait_until(pilot, lambda: "notes.txt" in listed(picker))
        # The mouse: a click on a file attaches it.
        index = listed(picker).index("report.pdf")
        top = tree.content_region.y - tree.region.y  # the border
        await pilot.click(FileTree, offset=(6, top + 1 + index))  # the root line, then entries
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen))
        await wait_until(pilot, lambda: chip_names(pilot) == ["report.pdf"])


async def test_picker_path_box_and_escape(make_app: Callable[..., PoeApp], folder: Path) -> None:
    async with make_app().run_test(size=SIZE) as pilot:
        picker = await open_picker(pilot, folder)
        box = picker.query_one("#path-input", Input)
        box.focus()
        box.value = str(folder / "sub")  # a folder opens in the tree
        await pilot.press("enter")
        await wait_until(pilot, lambda: listed(picker) == ["deep.md"])
        box.focus()
        box.value = "nowhere.txt"
        await pilot.press("enter")
        await pilot.pause()
        await noted(pilot, "There is no file or folder at")
        box.value = "deep.md"  # relative to the folder shown
        await pilot.press("enter")
        await wait_until(pilot, lambda: chip_names(pilot) == ["deep.md"])
        picker = await open_picker(pilot, folder)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, ChatScreen))
        assert chip_names(pilot) == ["deep.md"]


# --- files from bots ------------------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["native", "openai"])
async def test_image_bot_reply_has_the_image_with_preview_open_and_save(
    make_app: Callable[..., PoeApp], opened: Opened, isolated_home: Path, transport: str
) -> None:
    async with make_app(bot="demo-image").run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        screen.set_transport(transport)
        await submit(pilot, "a sunset please")
        reply = await reply_done(pilot)
        await wait_until(
            pilot, lambda: bool(reply.attachments) and reply.attachments[0].path is not None
        )
        await workers_done(pilot.app)
        await pilot.pause()
        (file,) = reply.attachments
        assert (file.name, file.content_type, file.size) == (
            "demo-image.png",
            "image/png",
            len(PNG),
        )
        assert file.path is not None and file.path.read_bytes() == PNG
        if transport == "native":
            assert "demo-image.png](" not in reply.text  # a file event, not a link
        row = next(r for r in screen.query(FileRow) if r.message is reply)
        preview = row.query_one(".file-preview", Static)
        await wait_until(pilot, lambda: "▀" in str(preview.render()))
        # Open: the system viewer gets a copy with the real name.
        row.focus()
        await pilot.press("o")
        await pilot.pause()
        target = Path(opened.targets[-1])
        assert target.name == "demo-image.png" and target.read_bytes() == PNG
        # Save: into the chosen folder, never outside it.
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SaveFileScreen))
        box = pilot.app.screen.query_one("#save-folder", Input)
        assert box.value == str(isolated_home / "saved")
        await pilot.press("enter")
        await wait_until(pilot, lambda: (isolated_home / "saved" / "demo-image.png").exists())
        assert (isolated_home / "saved" / "demo-image.png").read_bytes() == PNG


async def test_hostile_names_from_bots_are_sanitized_when_saved(
    make_app: Callable[..., PoeApp], isolated_home: Path
) -> None:
    from poe_tui.core.chat import apply_delta, reduce_events
    from poe_tui.core.events import FileOutput

    async with make_app(bot="demo-image").run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        await submit(pilot, "x")
        reply = await reply_done(pilot)
        url = reply.attachments[0].url
        assert url is not None
        hostile = FileOutput(url, "image/png", "../../evil\x1b[31m.png")
        apply_delta(reply, reduce_events([hostile]), now=0.0)
        await screen.collect_reply_files(screen.job or _job(screen, reply))
        await workers_done(pilot.app)
        await wait_until(pilot, lambda: all(f.path for f in reply.attachments))

        def hostile_row() -> FileRow | None:
            """The row of the fetched file, once drawn (the rows are redrawn per file)."""
            rows = [r for r in screen.query(FileRow) if r.message is reply]
            drawn = rows and rows[-1].file.path is not None and rows[-1].query(".file-name")
            return rows[-1] if drawn else None

        await wait_until(pilot, lambda: hostile_row() is not None)
        row = hostile_row()
        assert row is not None
        label = str(row.query_one(".file-name").render())
        assert "\x1b" not in label and "\\u001b" in label
        row.focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: isinstance(pilot.app.screen, SaveFileScreen))
        await pilot.press("enter")
        saved_dir = isolated_home / "saved"
        await wait_until(pilot, lambda: saved_dir.exists() and any(saved_dir.iterdir()))
        assert [p.name for p in saved_dir.iterdir()] == ["evil_[31m.png"]
        assert not (isolated_home / "evil_[31m.png").exists()


async def test_links_to_other_hosts_are_listed_but_fetched_only_when_asked(
    make_app: Callable[..., PoeApp],
) -> None:
    async with make_app(bot="echo").run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        await submit(pilot, "hello")
        reply = await reply_done(pilot)
        reply.text += "\n\n![router](http://192.168.1.1/admin.png)"
        fetched: list[Any] = []
        screen.fetch_reply_files = lambda *args: fetched.append(args)  # type: ignore[method-assign]
        await screen.collect_reply_files(_job(screen, reply))
        (linked,) = [f for f in reply.attachments if f.url == "http://192.168.1.1/admin.png"]
        assert linked.path is None and fetched == []  # shown under the reply, not downloaded
        # The view hears of the change by a message: wait for it.
        await wait_until(pilot, lambda: any(r.file is linked for r in screen.query(FileRow)))


def _job(screen: ChatScreen, reply: Message) -> Any:
    from poe_tui.core.chat import Turn
    from poe_tui.ui.controllers.replies import ReplyJob

    return ReplyJob(Turn.for_reply(screen.conversation, reply), None)


async def test_files_persist_with_the_sqlite_history(
    make_app: Callable[..., PoeApp], folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    with SqliteStore(db) as store:
        async with make_app(store=store).run_test(size=SIZE) as pilot:
            await ready(pilot)
            await chat(pilot).attach_path(folder / "notes.txt")
            await submit(pilot, "keep this with its file")
            await reply_done(pilot)
            chat(pilot).use_bot("demo-image")
            await submit(pilot, "and a picture")
            reply = await reply_done(pilot)
            await wait_until(pilot, lambda: all(f.path for f in reply.attachments))
    with SqliteStore(db) as reopened:
        (conversation,) = reopened.list_conversations()
        prompt, _echo, _ask, picture_reply = conversation.messages
        assert [(f.name, f.content_type, f.size) for f in prompt.attachments] == [
            ("notes.txt", "text/plain", 29)
        ]
        (picture,) = picture_reply.attachments
        assert picture.name == "demo-image.png" and picture.path is not None
        assert picture.path.read_bytes() == PNG
        assert picture.path.parent.parent == db.parent / "attachments"


async def test_opening_a_conversation_shows_its_files(
    make_app: Callable[..., PoeApp], folder: Path, tmp_path: Path
) -> None:
    db = tmp_path / "history.db"
    with SqliteStore(db) as store:
        async with make_app(store=store).run_test(size=SIZE) as pilot:
            await ready(pilot)
            await chat(pilot).attach_path(folder / "photo.png")
            await submit(pilot, "look")
            await reply_done(pilot)
    with SqliteStore(db) as reopened:
        async with make_app(store=reopened).run_test(size=SIZE) as pilot:
            await ready(pilot)
            (conversation,) = reopened.list_conversations()
            await chat(pilot).open_conversation(conversation)
            await pilot.pause()
            rows = list(chat(pilot).query(MessageFiles).first().query(FileRow))
            assert [r.file.name for r in rows] == ["photo.png"]
            preview = rows[0].query_one(".file-preview", Static)
            await wait_until(pilot, lambda: "▀" in str(preview.render()))

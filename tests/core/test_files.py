"""Checks before a file is attached, types and sizes, and saving bots' files safely."""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from poe_tui.core import files as f
from poe_tui.core.files import (
    FileEmpty,
    FileMissing,
    FileTooLarge,
    FileUnreadable,
    NotAFile,
    OddFileName,
    UnsupportedFileType,
    check_bot_takes,
    check_file,
    expand_path,
    format_size,
    safe_file_name,
    save_into,
)

PNG_HEAD = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


# --- the good case ---------------------------------------------------------------------------


async def test_a_good_file_has_name_type_and_size(tmp_path: Path) -> None:
    checked = await check_file(write(tmp_path / "notes.md", b"# Notes\n"))
    assert (checked.name, checked.content_type, checked.size) == ("notes.md", "text/markdown", 8)
    assert checked.kind == "file" and checked.label == "notes.md (Markdown, 8 B)"


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("photo.png", PNG_HEAD, "image/png"),
        ("no-extension", PNG_HEAD, "image/png"),  # sniffed
        ("README", "héllo wörld".encode(), "text/plain"),  # UTF-8 text, sniffed
        ("blob", b"\x00\x01\x02binary", "application/octet-stream"),
        ("report.pdf", b"%PDF-1.7", "application/pdf"),
        ("scan", b"%PDF-1.4 body", "application/pdf"),
        ("clip.webp", b"RIFF\x00\x00\x00\x00WEBPVP8 ", "image/webp"),
    ],
)
async def test_types_by_name_then_content(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    assert (await check_file(write(tmp_path / name, data))).content_type == expected


# --- every bad-file case, each with a clear message -------------------------------------------


async def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileMissing, match=r"There is no file at .*nope\.txt") as info:
        await check_file(tmp_path / "nope.txt")
    assert info.value.title == "Cannot attach"
    assert "Cannot attach: There is no file" in info.value.one_line()


async def test_a_folder_on_the_way_is_a_file(tmp_path: Path) -> None:
    write(tmp_path / "plain", b"x")
    with pytest.raises(FileMissing, match="a folder on the way is a file"):
        await check_file(tmp_path / "plain" / "inner.txt")


async def test_directory(tmp_path: Path) -> None:
    with pytest.raises(NotAFile, match="is a folder, not a file") as info:
        await check_file(tmp_path)
    assert "Pick a file inside it" in info.value.one_line()


async def test_not_a_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotAFile, match="not a regular file"):
        await check_file(fifo)
    sock_path = Path(tempfile.mkdtemp()) / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(NotAFile, match="not a regular file"):
            await check_file(sock_path)


async def test_empty_file(tmp_path: Path) -> None:
    with pytest.raises(FileEmpty, match=r"empty\.txt is empty") as info:
        await check_file(write(tmp_path / "empty.txt", b""))
    assert "cannot read an empty file" in info.value.one_line()


async def test_over_the_size_limit(tmp_path: Path) -> None:
    path = write(tmp_path / "big.bin", b"x" * 3000)
    with pytest.raises(FileTooLarge, match=r"big\.bin is 2\.9 KB; the limit is 2\.0 KB") as info:
        await check_file(path, max_bytes=2048)
    assert info.value.title == "File too large"
    assert "max_attachment_mb" in info.value.one_line()
    assert (await check_file(path, max_bytes=3000)).size == 3000  # the limit itself is fine


def check_as_nobody(path: Path) -> str:
    """check_file's verdict on `path`, run by a forked child that dropped to `nobody`
    (root reads anything, and CI runs as root); no exec, so no interpreter to reach."""
    import asyncio
    import pwd

    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        verdict = "READ IT"
        try:
            os.setgid(pwd.getpwnam("nobody").pw_gid)
            os.setuid(pwd.getpwnam("nobody").pw_uid)
            asyncio.run(check_file(path))
        except FileUnreadable as error:
            verdict = "UNREADABLE: " + error.one_line()
        except BaseException as error:
            verdict = f"OTHER: {type(error).__name__}: {error}"
        os.write(write_end, verdict.encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        verdict = pipe.read().decode()
    os.waitpid(pid, 0)
    return verdict


async def test_unreadable_file() -> None:
    # A folder anyone may enter, holding a file nobody may read.
    folder = Path(tempfile.mkdtemp())
    folder.chmod(0o755)
    path = write(folder / "secret.txt", b"hidden")
    path.chmod(0o000)
    if os.geteuid() == 0:
        verdict = check_as_nobody(path)
    else:
        try:
            await check_file(path)
            verdict = "READ IT"
        except FileUnreadable as error:
            verdict = "UNREADABLE: " + error.one_line()
    assert verdict.startswith("UNREADABLE:"), verdict
    assert "secret.txt: permission denied" in verdict
    assert "Check its permissions" in verdict


async def test_unreadable_in_process_message() -> None:
    error = FileUnreadable("Cannot read /x: permission denied.")
    assert (
        error.one_line()
        == "Cannot attach: Cannot read /x: permission denied. — Check its permissions."
    )


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("bad\x1bname.txt", "control character (U+001B) at position 4"),
        ("line\nbreak.txt", "control character (U+000A) at position 5"),
        ("invoice\u202egpj.exe", "text-direction control (U+202E) at position 8"),
        ("zero\u200bwidth.txt", "invisible character (U+200B) at position 5"),
        ("undecodable-\udcff.txt", "bytes that are not valid text at position 13"),
        (" padded.txt", "starts or ends with a space"),
    ],
)
async def test_odd_characters_in_the_name(tmp_path: Path, name: str, problem: str) -> None:
    path = tmp_path / name
    # Some names cannot even be created here; the name check comes first anyway.
    with contextlib.suppress(OSError, UnicodeEncodeError):
        write(path, b"content")
    with pytest.raises(OddFileName) as info:
        await check_file(path)
    assert problem in info.value.message
    assert "\x1b" not in info.value.message and "\n" not in info.value.message.strip()
    assert "Rename the file" in info.value.one_line()


async def test_plain_unicode_names_are_fine(tmp_path: Path) -> None:
    for name in ("résumé final.pdf", "日本語のメモ.txt", "emoji 🎉.txt"):
        assert (await check_file(write(tmp_path / name, b"ok"))).name == name


async def test_a_type_the_bot_cannot_take(tmp_path: Path) -> None:
    image = await check_file(write(tmp_path / "p.png", PNG_HEAD))
    pdf = await check_file(write(tmp_path / "r.pdf", b"%PDF-1.7"))
    check_bot_takes(image, "gpt-4o", ["text", "image"])  # fine
    check_bot_takes(pdf, "unknown-bot", None)  # no catalogue: no verdict
    with pytest.raises(UnsupportedFileType) as info:
        check_bot_takes(image, "llama-3.3-70b", ["text"])
    assert info.value.kind == "image"
    assert "llama-3.3-70b does not list images among its inputs (it takes: text)" in str(info.value)
    assert "Send it anyway, drop it" in info.value.one_line()
    with pytest.raises(UnsupportedFileType, match="does not list files"):
        check_bot_takes(pdf, "gpt-4o", ["text", "image"])


# --- sizes, names, paths -------------------------------------------------------------------------


def test_format_size() -> None:
    assert [format_size(n) for n in (0, 1023, 1024, 1536, 5 * 1024**2, 3 * 1024**3)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "1.5 KB",
        "5.0 MB",
        "3.0 GB",
    ]


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\x.dll", "x.dll"),
        ("/abs/path/pic.png", "pic.png"),
        (".bashrc", "bashrc"),
        ("..", "file"),
        ("", "file"),
        ("a<b>c:d|e?f*.txt", "a_b_c_d_e_f_.txt"),
        ("evil\u202egpj.exe", "evil_gpj.exe"),
        ("bell\x07.txt", "bell_.txt"),
        ("CON.txt", "_CON.txt"),
        ("nul", "_nul"),
        ("trailing dots...", "trailing dots"),
    ],
)
def test_safe_file_names(given: str, safe: str) -> None:
    assert safe_file_name(given) == safe


def test_long_names_are_cut_keeping_the_extension() -> None:
    name = safe_file_name("x" * 500 + ".png")
    assert name.endswith(".png") and len(name.encode()) <= f.MAX_NAME_BYTES


def test_expand_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert expand_path("~/a.txt") == tmp_path / "a.txt"
    assert expand_path("'/x/my file.txt'") == Path("/x/my file.txt")
    assert expand_path('"/x/y.txt"') == Path("/x/y.txt")
    assert expand_path("file:///x/my%20file.txt") == Path("/x/my file.txt")
    assert expand_path("rel/a.txt", cwd=tmp_path) == tmp_path / "rel" / "a.txt"


# --- saving a bot's file into a folder --------------------------------------------------------


async def chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


async def test_save_into_a_folder(tmp_path: Path) -> None:
    saved = await save_into(tmp_path / "downloads", "cat.png", chunks(b"one", b"two"))
    assert saved == tmp_path / "downloads" / "cat.png" and saved.read_bytes() == b"onetwo"


async def test_save_never_overwrites(tmp_path: Path) -> None:
    write(tmp_path / "cat.png", b"mine")
    first = await save_into(tmp_path, "cat.png", chunks(b"a"))
    second = await save_into(tmp_path, "cat.png", chunks(b"b"))
    assert (first.name, second.name) == ("cat (1).png", "cat (2).png")
    assert (tmp_path / "cat.png").read_bytes() == b"mine"


@pytest.mark.parametrize(
    "hostile", ["../../escape.txt", "/etc/cron.d/evil", "..", "sub/../../x", "a\\..\\..\\b.txt"]
)
async def test_save_never_writes_outside_the_folder(tmp_path: Path, hostile: str) -> None:
    folder = tmp_path / "inbox"
    saved = await save_into(folder, hostile, chunks(b"data"))
    assert saved.parent == folder
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == [saved.name]


async def test_save_does_not_follow_a_planted_symlink(tmp_path: Path) -> None:
    target = write(tmp_path / "victim.txt", b"precious")
    folder = tmp_path / "inbox"
    folder.mkdir()
    (folder / "report.txt").symlink_to(target)
    saved = await save_into(folder, "report.txt", chunks(b"bot data"))
    assert saved.name == "report (1).txt" and not saved.is_symlink()
    assert target.read_bytes() == b"precious"


async def test_save_into_a_file_is_refused(tmp_path: Path) -> None:
    blocker = write(tmp_path / "not-a-folder", b"x")
    with pytest.raises(f.FileProblem, match="not-a-folder"):
        await save_into(blocker, "a.txt", chunks(b"x"))


async def test_a_cancelled_save_leaves_no_half_file(tmp_path: Path) -> None:
    async def failing() -> AsyncIterator[bytes]:
        yield b"first half"
        raise RuntimeError("connection lost")

    with pytest.raises(RuntimeError):
        await save_into(tmp_path, "half.bin", failing())
    assert not (tmp_path / "half.bin").exists()

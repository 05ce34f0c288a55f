"""`poe-tui ask --attach FILE`: real processes against the local server, every check."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import SqliteStore
from tests.support.paths import DEMO_IMAGE

KEY = "cli-attach-key-0123456789"
UPLOADS = "/poe_api/file_upload_3RD_PARTY_POST"
PNG = DEMO_IMAGE.read_bytes()


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "poe_tui", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.fixture
def env(isolated_home: Path, fake_poe: FakePoeServer) -> dict[str, str]:
    environ = dict(os.environ)
    environ["POE_API_KEY"] = KEY
    environ["POE_API_BASE"] = fake_poe.base_url
    environ["POE_UPLOAD_URL"] = fake_poe.upload_url
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return environ


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    made = {
        "notes": tmp_path / "notes.txt",
        "photo": tmp_path / "photo.png",
        "empty": tmp_path / "empty.txt",
        "odd": tmp_path / "odd\x1bname.txt",
    }
    made["notes"].write_text("remember the milk\n")
    made["photo"].write_bytes(PNG)
    made["empty"].write_bytes(b"")
    made["odd"].write_text("x")
    return made


def one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("poe-tui: Cannot attach") or lines[0].startswith("poe-tui: ")
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("transport", ["native", "openai", "anthropic"])
def test_attached_files_are_acknowledged(
    env: dict[str, str], files: dict[str, Path], transport: str
) -> None:
    args = ["ask", "--no-save", "-b", "echo", "--transport", transport, "what is this?"]
    result = run([*args, "--attach", str(files["notes"]), "--attach", str(files["photo"])], env)
    assert result.returncode == 0, result.stderr
    assert "notes.txt (text/plain, 18 B)" in result.stdout
    assert f"(image/png, {len(PNG) / 1024:.1f} KB)" in result.stdout


def test_native_uploads_to_the_upload_url(
    env: dict[str, str], files: dict[str, Path], fake_poe: FakePoeServer
) -> None:
    before = fake_poe.state.count(UPLOADS)
    result = run(["ask", "--no-save", "-b", "echo", "hi", "--attach", str(files["notes"])], env)
    assert result.returncode == 0, result.stderr
    assert fake_poe.state.count(UPLOADS) == before + 1
    assert fake_poe.state.requests_to(UPLOADS)[-1].headers["authorization"] == KEY


def test_demo_mode_uploads_to_the_local_server(files: dict[str, Path], isolated_home: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("POE_API_KEY", "POE_UPLOAD_URL")}
    result = run(["ask", "--demo", "-b", "echo", "hi", "--attach", str(files["photo"])], env)
    assert result.returncode == 0, result.stderr
    assert "photo.png (image/png," in result.stdout


@pytest.mark.parametrize(
    ("which", "words"),
    [
        ("missing", ["There is no file at", "nope.txt", "Check the path"]),
        ("folder", ["is a folder, not a file"]),
        ("empty", ["empty.txt is empty"]),
        ("odd", ["control character (U+001B)", "Rename the file"]),
    ],
)
def test_bad_files_end_in_one_clear_line(
    env: dict[str, str], files: dict[str, Path], tmp_path: Path, which: str, words: list[str]
) -> None:
    path = {"missing": tmp_path / "nope.txt", "folder": tmp_path}.get(which) or files[which]
    result = run(["ask", "-b", "echo", "hi", "--attach", str(path)], env)
    line = one_line_error(result, *words)
    assert "\x1b" not in line
    assert result.stdout == ""  # nothing was sent


def test_over_the_size_limit(env: dict[str, str], files: dict[str, Path]) -> None:
    config = Path(env["POE_TUI_CONFIG_DIR"]) / "config.toml"
    config.write_text("[chat]\nmax_attachment_mb = 0.001\n")
    result = run(["ask", "-b", "echo", "hi", "--attach", str(files["photo"])], env)
    one_line_error(result, "photo.png is 1.1 KB; the limit is 1.0 KB", "max_attachment_mb")


def test_a_type_the_bot_cannot_take(env: dict[str, str], files: dict[str, Path]) -> None:
    args = ["ask", "--no-save", "-b", "demo-params", "hi", "--attach", str(files["photo"])]
    refused = run(args, env)
    one_line_error(refused, "demo-params does not list images", "--attach-anyway")
    sent = run([*args, "--attach-anyway"], env)
    assert sent.returncode == 0, sent.stderr


def test_attachments_are_kept_with_the_history(env: dict[str, str], files: dict[str, Path]) -> None:
    result = run(["ask", "-b", "echo", "keep my file", "--attach", str(files["notes"])], env)
    assert result.returncode == 0, result.stderr
    db = Path(env["POE_TUI_DATA_DIR"]) / "conversations.db"
    with SqliteStore(db) as store:
        (conversation,) = store.list_conversations()
        prompt = conversation.messages[0]
        (file,) = prompt.attachments
        assert (file.name, file.content_type, file.size) == ("notes.txt", "text/plain", 18)
        assert file.path is not None and file.path.read_text() == "remember the milk\n"
        assert file.path.parent.parent == db.parent / "attachments"


def test_attachment_settings(tmp_path: Path) -> None:
    from poe_tui.config import ConfigError, Settings, download_dir, load_settings
    from poe_tui.core.uploads import DEFAULT_UPLOAD_URL

    assert Settings().upload_url == DEFAULT_UPLOAD_URL  # the two copies agree
    config = tmp_path / "config.toml"
    config.write_text(
        '[api]\nupload_url = "http://127.0.0.1:1/up"\n'
        '[chat]\nmax_attachment_mb = 5\ndownload_dir = "~/inbox"\nattach_pasted_paths = false\n'
    )
    settings = load_settings(config)
    assert (settings.upload_url, settings.max_attachment_mb) == ("http://127.0.0.1:1/up", 5)
    assert download_dir(settings) == Path("~/inbox").expanduser()
    assert settings.attach_pasted_paths is False
    config.write_text("[chat]\nmax_attachment_mb = 0\n")
    with pytest.raises(ConfigError, match=r"'chat\.max_attachment_mb' should be a size"):
        load_settings(config)
    config.write_text('[chat]\nmax_attachment_mb = "big"\n')
    with pytest.raises(ConfigError, match="max_attachment_mb"):
        load_settings(config)

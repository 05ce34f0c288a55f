"""Bad files on disk: a broken config or database never stops the app and is never lost.

The app is built by the real launcher (`run_app`, with `PoeApp.run` captured) from a
temp HOME, then run under Pilot against the local Poe server.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from poe_tui.config import Settings, config_path, load_settings, state_path
from poe_tui.fakepoe import FakePoeServer
from poe_tui.store import default_db_path
from poe_tui.ui.app import PoeApp
from tests.support.pilot import wait_until, workers_done

SIZE = (110, 34)

BAD_CONFIGS = {
    "invalid TOML": b"[ui\ntheme = ",
    "wrong types": b'[ui]\ntheme = 5\n[api]\nread_timeout = "soon"\n',
    "binary garbage": bytes(range(256)) * 4,
    "unknown table": b"[colours]\nred = 1\n",
}


@pytest.fixture
def captured_apps(monkeypatch: pytest.MonkeyPatch) -> list[PoeApp]:
    apps: list[PoeApp] = []
    monkeypatch.setattr(PoeApp, "run", lambda self: apps.append(self))
    return apps


def launch(server: FakePoeServer, captured: list[PoeApp], monkeypatch) -> PoeApp:
    """The app exactly as `poe-tui` builds it (not demo: the real history file)."""
    from poe_tui.ui.launch import run_app

    monkeypatch.setenv("POE_API_KEY", "env-key-for-bad-files")
    run_app(demo=False, base_url=server.base_url)
    (app,) = captured
    return app


def kept_aside(folder: Path, name: str) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith(f"{name}.corrupt-"))


async def settle(pilot) -> None:
    """Let the model list arrive and its widgets mount before the app is closed."""
    await workers_done(pilot.app)
    await pilot.pause()


def notices(app: PoeApp) -> str:
    return "\n".join(f"{n.title}: {n.message}" for n in app._notifications)


@pytest.mark.parametrize("content", BAD_CONFIGS.values(), ids=list(BAD_CONFIGS))
async def test_bad_config_is_kept_aside_explained_and_not_overwritten(
    isolated_home, captured_apps, monkeypatch, fake_poe: FakePoeServer, content: bytes
) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    app = launch(fake_poe, captured_apps, monkeypatch)

    (kept,) = kept_aside(path.parent, "config.toml")
    assert kept.read_bytes() == content  # moved, byte for byte
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "Config file" in notices(app))
        text = notices(app)
        assert str(path) in text and str(kept) in text and "nothing was deleted" in text
        # A preference saved now is remembered in state.toml; the old file stays aside.
        app.theme = "nord"
        await wait_until(pilot, lambda: state_path(path).exists())
        await settle(pilot)
    assert load_settings(path).theme == "nord" and not path.exists()
    assert kept.read_bytes() == content


async def test_unreadable_config_is_kept_aside(
    isolated_home, captured_apps, monkeypatch, fake_poe: FakePoeServer
) -> None:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[ui]\ntheme = 'nord'\n")
    path.chmod(0)
    if os.access(path, os.R_OK):  # root reads anything: a folder in its place instead
        path.chmod(0o600)
        path.unlink()
        path.mkdir()
    app = launch(fake_poe, captured_apps, monkeypatch)
    assert app.config_problem is not None and "cannot be read" in app.config_problem
    assert kept_aside(path.parent, "config.toml") and not path.exists()
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "cannot be read" in notices(app))
        await settle(pilot)


def test_cli_warns_about_a_bad_config_but_leaves_it_in_place(isolated_home, capsys) -> None:
    """Only the app, which writes preferences, moves the file; a script just warns."""
    from poe_tui.runtime import load_settings_or_default

    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(BAD_CONFIGS["binary garbage"])
    settings, problem = load_settings_or_default()
    assert settings == Settings()
    assert problem is not None and "UTF-8" in problem and str(path) in problem
    assert path.exists() and not kept_aside(path.parent, "config.toml")


DB_DAMAGE = {
    "not a database": lambda p: p.write_bytes(b"this is not a database" * 200),
    "truncated header": lambda p: p.write_bytes(b"SQLite format 3\x00" + b"\xff" * 84),
}


@pytest.mark.parametrize("damage", DB_DAMAGE.values(), ids=list(DB_DAMAGE))
async def test_corrupt_history_is_shown_kept_and_the_app_works(
    isolated_home, captured_apps, monkeypatch, fake_poe: FakePoeServer, damage
) -> None:
    db = default_db_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    damage(db)
    original = db.read_bytes()
    app = launch(fake_poe, captured_apps, monkeypatch)
    (kept,) = kept_aside(db.parent, db.name)
    assert kept.read_bytes() == original
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "Conversation history" in notices(app))
        assert str(kept) in notices(app)
        await settle(pilot)
    assert not app.store.is_memory  # a fresh file is in use


async def test_unopenable_history_falls_back_to_memory_and_says_so(
    isolated_home, captured_apps, monkeypatch, fake_poe: FakePoeServer
) -> None:
    db = default_db_path()
    db.mkdir(parents=True)  # a folder where the file should be: cannot be opened
    app = launch(fake_poe, captured_apps, monkeypatch)
    assert app.store.is_memory and db.is_dir()  # left alone
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "will not be saved" in notices(app))
        await settle(pilot)

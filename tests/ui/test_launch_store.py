"""The app keeps conversations in the SQLite history; demo chats never reach it."""

from __future__ import annotations

from pathlib import Path

import pytest

from poe_tui.ui.app import PoeApp


@pytest.fixture
def captured_apps(monkeypatch: pytest.MonkeyPatch) -> list[PoeApp]:
    apps: list[PoeApp] = []
    monkeypatch.setattr(PoeApp, "run", lambda self: apps.append(self))
    return apps


def test_real_launch_opens_the_sqlite_history(isolated_home, captured_apps, monkeypatch) -> None:
    from poe_tui.config import data_dir
    from poe_tui.store import SqliteStore
    from poe_tui.ui.launch import run_app

    monkeypatch.setenv("POE_API_KEY", "env-key")
    run_app(demo=False, base_url="http://127.0.0.1:1")
    (app,) = captured_apps
    assert isinstance(app.store, SqliteStore)
    assert app.store_problem is None
    assert any(p.suffix == ".db" for p in Path(data_dir()).iterdir())


def test_corrupt_history_is_kept_aside_and_explained(
    isolated_home, captured_apps, monkeypatch
) -> None:
    from poe_tui.config import data_dir
    from poe_tui.store import SqliteStore, default_db_path
    from poe_tui.ui.launch import run_app

    monkeypatch.setenv("POE_API_KEY", "env-key")
    path = default_db_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"this is not a database" * 100)
    run_app(demo=False, base_url="http://127.0.0.1:1")
    (app,) = captured_apps
    assert isinstance(app.store, SqliteStore)
    assert app.store_problem and "corrupt" in app.store_problem.lower()
    kept = [p for p in Path(data_dir()).iterdir() if ".corrupt-" in p.name]
    assert kept and kept[0].read_bytes().startswith(b"this is not a database")


def test_demo_launch_keeps_chats_in_memory(isolated_home, captured_apps) -> None:
    from poe_tui.store import SqliteStore, default_db_path
    from poe_tui.ui.launch import run_app

    run_app(demo=True, base_url=None)
    (app,) = captured_apps
    assert isinstance(app.store, SqliteStore) and app.store.is_memory
    assert not default_db_path().exists()


async def test_conversation_survives_a_restart(isolated_home, fake_poe) -> None:
    from poe_tui.config import Settings
    from poe_tui.core.apikey import ApiKey
    from poe_tui.core.conversation import MessageStatus
    from poe_tui.store import default_db_path, open_or_quarantine

    def build() -> PoeApp:
        store, problem = open_or_quarantine(default_db_path())
        assert problem is None
        return PoeApp(
            base_url=fake_poe.base_url,
            api_key=ApiKey("k"),
            settings=Settings(default_bot="echo"),
            store=store,
        )

    app = build()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"remember me")
        await pilot.press("enter")
        for _ in range(200):
            await pilot.pause(0.02)
            conv = app.store.list_conversations()
            if conv and conv[0].messages[-1].status is MessageStatus.COMPLETE:
                break
    again = build()
    (conversation,) = again.store.list_conversations()
    assert conversation.title == "remember me"
    assert conversation.messages[0].text == "remember me"
    assert conversation.messages[1].text.startswith("You said: remember me")
    assert conversation.messages[1].status is MessageStatus.COMPLETE


def test_the_demo_server_answers_a_request_made_before_it_started() -> None:
    """`--demo` paints before its local server runs: an early request must just wait."""
    import threading

    import httpx

    from poe_tui.ui.launch import DemoServer

    answers: list[int] = []
    with DemoServer() as server:
        early = threading.Thread(
            target=lambda: answers.append(
                httpx.get(f"{server.base_url}/v1/models", timeout=30).status_code
            )
        )
        early.start()  # connects to the listening socket; nothing serves it yet
        server.start_soon()
        early.join(60)
    assert answers == [200]

"""Start the full-screen app: settings, key, (demo) local server, then `PoeApp.run()`."""

from __future__ import annotations

import socket
import threading
from dataclasses import replace
from pathlib import Path
from typing import Any

from poe_tui.config import DEMO_BOT, config_path
from poe_tui.core.apikey import ApiKey
from poe_tui.runtime import DEMO_KEY, load_settings_or_default, resolve_base_url
from poe_tui.secrets import BadKeyText, FoundKey, KeySource, find_key
from poe_tui.store import SqliteStore

LOOPBACK = "127.0.0.1"


def run_app(demo: bool, base_url: str | None, resume: str | None = None) -> int:
    """Run the app until the user quits; `demo` talks to a built-in local Poe server;
    `resume` opens a saved conversation (an id prefix, or "latest"). Returns the app's
    exit status: 0, or 1 after a crash (Textual has printed the report)."""
    from poe_tui.ui.app import PoeApp

    settings, config_problem = load_settings_or_default(keep_aside=True)
    if demo:
        # The server lives exactly as long as the app (it runs on its own thread).
        with DemoServer() as server:
            app = PoeApp(
                base_url=server.base_url,
                api_key=ApiKey(DEMO_KEY),
                settings=replace(settings, default_bot=DEMO_BOT),
                demo=True,
                store=SqliteStore.in_memory(),  # demo chats never reach the real history
                config_path=config_path(),
                config_problem=config_problem,
                resume=resume,
                after_first_frame=server.start_soon,
            )
            app.run()
        return app.return_code or 0
    found = find_key_or_problem()
    store, store_problem = open_store()
    app = PoeApp(
        base_url=resolve_base_url(base_url, settings),
        api_key=found.key,
        settings=settings,
        store=store,
        config_path=config_path(),
        keyring_problem=found.problem,
        config_problem=config_problem,
        store_problem=store_problem,
        resume=resume,
    )
    app.run()
    return app.return_code or 0


class DemoServer:
    """The local Poe server of `--demo`, listening at once, serving after the first frame.

    Importing and starting it (Starlette, uvicorn, its thread) took a sixth of the time
    to first frame (profiled); a connection made meanwhile waits in the listen backlog.
    """

    def __init__(self) -> None:
        self.socket = socket.create_server((LOOPBACK, 0))
        self.base_url = f"http://{LOOPBACK}:{self.socket.getsockname()[1]}"
        self._starting: threading.Thread | None = None
        self._server: Any = None  # a FakePoeServer once started

    def start_soon(self) -> None:
        if self._starting is None:
            self._starting = threading.Thread(target=self._start, name="demo-start", daemon=True)
            self._starting.start()

    def _start(self) -> None:
        from poe_tui.fakepoe import FakePoeServer

        server = FakePoeServer(sock=self.socket)
        server.start()
        self._server = server

    def __enter__(self) -> DemoServer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._starting is not None:
            self._starting.join()
        if self._server is not None:
            self._server.stop()  # closes the socket too
        else:
            self.socket.close()


def find_key_or_problem() -> FoundKey:
    """The key, or none plus why (a malformed key is a problem to show, not a crash)."""
    try:
        return find_key(Path.cwd())
    except BadKeyText as error:
        return FoundKey(None, KeySource.NONE, problem=str(error))


def open_store() -> tuple[SqliteStore, str | None]:
    """The SQLite history in the data dir; a file that cannot be used is moved aside
    (never deleted) and the reason comes back to show the user."""
    from poe_tui.store import open_default_store

    return open_default_store()

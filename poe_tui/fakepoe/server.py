"""FakePoeServer: the fake api.poe.com served by uvicorn on loopback.

`start()` runs uvicorn on a daemon thread with its own event loop, so the demo app and
synchronous tests alike can use it; `run()` serves in the foreground for
`python -m poe_tui.fakepoe`.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from types import TracebackType

import uvicorn

from poe_tui.fakepoe.app import build_app
from poe_tui.fakepoe.common import DEFAULT_MAX_UPLOAD_BYTES, ServerConfig
from poe_tui.fakepoe.fault_plan import FaultPlan
from poe_tui.fakepoe.state import DEFAULT_BALANCE, FakePoeState
from poe_tui.fakepoe.transport import quiet_intentional_drops

HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 5.0


class FakePoeServer:
    """A local imitation of api.poe.com; `base_url` is the API root."""

    def __init__(
        self,
        speed: float = 1.0,
        balance: int = DEFAULT_BALANCE,
        api_key: str | None = None,
        *,
        port: int = 0,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
        sock: socket.socket | None = None,
    ) -> None:
        self.state = FakePoeState(balance)
        self.config = ServerConfig(speed=speed, api_key=api_key, max_upload_bytes=max_upload_bytes)
        self.app = build_app(self.state, self.config)
        self._port = port
        # A socket bound (and listening) already: the demo app binds one before it
        # imports this server, so clients can connect while it starts.
        self._socket: socket.socket | None = sock
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None
        self._bound_port: int | None = sock.getsockname()[1] if sock is not None else None

    @property
    def upload_url(self) -> str:
        """Where this server takes uploads (poe-api.md section 2)."""
        return f"{self.base_url}/poe_api/file_upload_3RD_PARTY_POST"

    @property
    def base_url(self) -> str:
        if self._bound_port is None:
            raise RuntimeError("FakePoeServer is not started")
        return f"http://{HOST}:{self._bound_port}"

    def arm_fault(self, plan: FaultPlan | str) -> None:
        """Break the next chat request(s), on any chat door, with `plan` (a FaultPlan or
        the text of its header, e.g. "reset" or "429; times=2"): `plan.times` requests,
        or one. A bad plan fails here, in the test, not in the server."""
        self.state.arm_fault(FaultPlan.parse(plan) if isinstance(plan, str) else plan)

    def bind(self) -> str:
        """Reserve the port now (before serving) and return the base URL it will have."""
        self._listening_socket()
        return self.base_url

    def _listening_socket(self) -> socket.socket:
        # Binding here (not in uvicorn) lets port 0 pick a free port we can report.
        if self._socket is not None:
            return self._socket
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((HOST, self._port))
        sock.set_inheritable(True)
        self._socket = sock
        self._bound_port = sock.getsockname()[1]
        return sock

    def _uvicorn(self) -> uvicorn.Server:
        quiet_intentional_drops()
        config = uvicorn.Config(
            self.app,
            log_config=None,  # leave the host program's logging alone
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            ws="none",
            timeout_graceful_shutdown=1,
            date_header=False,  # the app's DateHeader follows the fake clock instead
        )
        self._server = uvicorn.Server(config)
        return self._server

    def start(self) -> str:
        """Serve on a daemon thread; returns once connections are accepted."""
        if self._thread is not None:
            return self.base_url
        sock = self._listening_socket()
        self.config.closing.clear()
        server = self._uvicorn()
        self._thread = threading.Thread(
            target=self._serve_thread, args=(server, sock), name="fakepoe", daemon=True
        )
        self._thread.start()
        self._wait_started(server)
        return self.base_url

    def _serve_thread(self, server: uvicorn.Server, sock: socket.socket) -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except BaseException as exc:  # reported to start() instead of dying silently
            self._error = exc

    def _wait_started(self, server: uvicorn.Server) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            thread = self._thread
            if self._error is not None or thread is None or not thread.is_alive():
                raise RuntimeError("FakePoeServer failed to start") from self._error
            if time.monotonic() > deadline:
                raise RuntimeError("FakePoeServer did not start in time")
            time.sleep(0.005)

    def stop(self) -> None:
        """Stop serving and join the thread; safe to call twice."""
        self.config.closing.set()
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT)
            self._thread = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None
        self._server = None

    def run(self) -> None:
        """Serve in the foreground until Ctrl-C (uvicorn handles the signals)."""
        sock = self._listening_socket()
        self._uvicorn().run(sockets=[sock])

    def __enter__(self) -> FakePoeServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

"""Downloads follow no redirect to another host, and an attached link goes out under
its target's name, with a notice (issue 17, point 11)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest

from poe_tui.core.downloads import DownloadError, download
from poe_tui.core.files import check_file
from poe_tui.fakepoe import FakePoeServer

BODY = b"the file's bytes"


class Site:
    """A real HTTP server on loopback: `/file` serves BODY, `/go?to=URL` redirects."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                site.paths.append(self.path)
                if self.path.startswith("/go?to="):
                    self.send_response(302)
                    self.send_header("Location", self.path.removeprefix("/go?to="))
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(BODY)))
                self.end_headers()
                self.wfile.write(BODY)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sites() -> Iterator[tuple[Site, Site]]:
    first, second = Site(), Site()
    yield first, second
    first.close()
    second.close()


async def test_a_redirect_to_another_host_is_not_followed(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    here, elsewhere = sites
    # Same machine, another host name (and port): what an internal address would be.
    url = f"http://127.0.0.1:{here.port}/go?to=http://localhost:{elsewhere.port}/file"
    target = tmp_path / "download"
    async with httpx.AsyncClient() as http:
        with pytest.raises(DownloadError, match=r"redirects to another host \(localhost\)"):
            await download(http, url, target, max_bytes=1000)
    assert elsewhere.paths == [] and not target.exists()


async def test_a_redirect_on_the_same_host_is_followed(
    sites: tuple[Site, Site], tmp_path: Path
) -> None:
    here, _ = sites
    target = tmp_path / "download"
    async with httpx.AsyncClient() as http:
        served = await download(
            http, f"http://127.0.0.1:{here.port}/go?to=/file", target, max_bytes=1000
        )
    assert served == "text/plain" and target.read_bytes() == BODY
    assert here.paths == ["/go?to=/file", "/file"]


async def test_an_attached_link_goes_as_its_target(tmp_path: Path) -> None:
    secret = tmp_path / "id_ed25519"
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    link = tmp_path / "notes.txt"
    link.symlink_to(secret)
    file = await check_file(link)
    assert (file.name, file.path, file.linked_as) == ("id_ed25519", secret, "notes.txt")
    assert file.link_notice is not None and "notes.txt is a link" in file.link_notice
    plain = await check_file(secret)
    assert plain.linked_as is None and plain.link_notice is None


def test_ask_says_so_and_sends_the_target_name(
    isolated_home: Path, fake_poe: FakePoeServer, tmp_path: Path
) -> None:
    target = tmp_path / "real-report.txt"
    target.write_text("quarterly numbers\n")
    link = tmp_path / "notes.txt"
    link.symlink_to(target)
    environ = dict(os.environ, POE_API_KEY="link-key-0123456789", POE_API_BASE=fake_poe.base_url)
    args = ["ask", "--no-save", "-b", "echo", "--transport", "openai", "--attach", str(link)]
    result = subprocess.run(
        [sys.executable, "-m", "poe_tui", *args, "what is this?"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "real-report.txt (text/plain" in result.stdout and "notes.txt" not in result.stdout
    (note,) = result.stderr.splitlines()
    assert note.startswith("poe-tui: note: notes.txt is a link")

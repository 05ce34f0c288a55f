"""What every command needs: the base URL, the key, the client, demo mode."""

from __future__ import annotations

import contextlib
import hashlib
import os
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from poe_tui.config import ConfigError, Settings, config_path, load_settings, with_remembered
from poe_tui.core.apikey import ApiKey
from poe_tui.core.retry import RequestLimiter, RetryPolicy, SharedRequestLimiter
from poe_tui.secrets import FoundKey, KeySource, find_key

if TYPE_CHECKING:
    from poe_tui.core.client import PoeClient

BASE_URL_ENV = "POE_API_BASE"
DEMO_KEY = "demo-key-not-secret"


@dataclass(frozen=True, slots=True)
class Connection:
    """Where to talk to and with which key, resolved from flags, environment and config."""

    base_url: str
    found_key: FoundKey
    demo: bool
    settings: Settings

    @property
    def key(self) -> ApiKey | None:
        return self.found_key.key

    @property
    def upload_url(self) -> str:
        """Poe's upload endpoint (setting, POE_UPLOAD_URL); the local server's in demo."""
        from poe_tui.core.uploads import local_upload_url, resolve_upload_url

        if self.demo:
            return local_upload_url(self.base_url)
        return resolve_upload_url(self.settings.upload_url)

    @property
    def max_attachment_bytes(self) -> int:
        return int(self.settings.max_attachment_mb * 1024 * 1024)

    def client(self) -> PoeClient:
        # Imported here: the app imports this module on its way to the first frame.
        from poe_tui.core.client import PoeClient, Timeouts

        timeouts = Timeouts(connect=self.settings.connect_timeout, read=self.settings.read_timeout)
        retry = RetryPolicy.for_app(
            demo=self.demo, retries=self.settings.retries, max_wait=self.settings.retry_max_wait
        )
        limiter = None if self.demo else request_limiter_for(self.key, self.base_url)
        return PoeClient(
            self.key, base_url=self.base_url, timeouts=timeouts, retry=retry, limiter=limiter
        )


def request_limiter_for(key: ApiKey | None, base_url: str) -> RequestLimiter | None:
    """The limiter every process using `key` on `base_url` shares (Poe counts requests
    per key), in a file of the runtime dir named by a hash of both, never the key
    itself; None (each client on its own) without a key or a private folder."""
    if key is None:
        return None
    folder = runtime_dir()
    if folder is None:
        return None
    both = f"{base_url.rstrip('/')}\n{key.reveal()}".encode()
    digest = hashlib.sha256(both).hexdigest()[:32]
    return SharedRequestLimiter(folder / f"requests-{digest}")


def runtime_dir() -> Path | None:
    """A folder only we can use for files that matter while poe-tui runs:
    $POE_TUI_RUNTIME_DIR, else $XDG_RUNTIME_DIR/poe-tui, else one in the temp dir."""
    if not hasattr(os, "getuid"):  # Windows: no flock either (see SharedRequestLimiter)
        return None
    override = os.environ.get("POE_TUI_RUNTIME_DIR")
    base = os.environ.get("XDG_RUNTIME_DIR")
    if override:
        folder = Path(override)
    elif base:
        folder = Path(base) / "poe-tui"
    else:
        folder = Path(tempfile.gettempdir()) / f"poe-tui-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.lstat()
    except OSError:
        return None
    # In a shared temp dir someone else could have made it first: use only our own.
    private = stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
    return folder if private and not stat.S_IMODE(info.st_mode) & 0o077 else None


def load_settings_or_default(*, keep_aside: bool = False) -> tuple[Settings, str | None]:
    """Settings, or the defaults plus the reason when the config file is broken.

    With `keep_aside` (the app, which saves preferences such as the theme), a broken
    file is first moved to `config.toml.corrupt-<timestamp>`: the next save then writes
    a fresh file instead of failing every time, and what the user wrote is kept.
    """
    path = config_path()
    try:
        return load_settings(path), None
    except ConfigError as exc:
        problem = str(exc)
    defaults = with_remembered(Settings(), path)
    if not keep_aside:
        return defaults, problem
    from poe_tui.store.opening import quarantine

    try:
        kept = quarantine(path, "corrupt")
    except OSError as exc:
        return defaults, f"{problem} It could not be moved aside ({exc.strerror})."
    return defaults, f"{problem} It was kept as {kept} (nothing was deleted)."


def resolve_base_url(flag: str | None, settings: Settings) -> str:
    """--base-url, then POE_API_BASE, then the config file, then api.poe.com."""
    return (flag or os.environ.get(BASE_URL_ENV) or settings.base_url).rstrip("/")


@contextlib.contextmanager
def connection(
    *, demo: bool, base_url: str | None, settings: Settings, need_key: bool = True
) -> Iterator[Connection]:
    """Yield a Connection; in demo mode the local Poe server runs for its lifetime."""
    if demo:
        from poe_tui.fakepoe import FakePoeServer

        with FakePoeServer() as server:
            found = FoundKey(ApiKey(DEMO_KEY), KeySource.NONE)
            yield Connection(server.base_url, found, True, settings)
        return
    found = find_key(Path.cwd()) if need_key else FoundKey(None, KeySource.NONE)
    yield Connection(resolve_base_url(base_url, settings), found, False, settings)

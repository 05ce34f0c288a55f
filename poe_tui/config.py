"""Settings in a TOML file in the platform config dir, and the app's paths.

Read with tomllib, written with tomli-w. Every problem names the file, the key and what
is expected, so a person can fix it without reading code. The key is never stored here.
"""

from __future__ import annotations

import math
import os
import stat
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

APP_NAME = "poe-tui"
DEFAULT_BASE_URL = "https://api.poe.com"
DEFAULT_BOT = "gpt-5-mini"
DEMO_BOT = "demo-showcase"
DEFAULT_UPLOAD_URL = "https://www.quora.com/poe_api/file_upload_3RD_PARTY_POST"
DEFAULT_MAX_ATTACHMENT_MB = 50
DEFAULT_GUARD_REQUEST_USD = 0.10
DEFAULT_GUARD_LOW_BALANCE = 1_000


class ConfigError(Exception):
    """The config file cannot be used; the message says where and what is expected."""


def config_dir() -> Path:
    override = os.environ.get("POE_TUI_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_path

    return user_config_path(APP_NAME, appauthor=False)


def data_dir() -> Path:
    override = os.environ.get("POE_TUI_DATA_DIR")
    if override:
        return Path(override)
    from platformdirs import user_data_path

    return user_data_path(APP_NAME, appauthor=False)


def download_dir(settings: Settings) -> Path:
    """Where bots' files are saved by default: the setting, else ~/Downloads, else home."""
    if settings.download_dir.strip():
        return Path(settings.download_dir).expanduser()
    downloads = Path.home() / "Downloads"
    return downloads if downloads.is_dir() else Path.home()


def config_path() -> Path:
    return config_dir() / "config.toml"


@dataclass(frozen=True, slots=True)
class Settings:
    base_url: str = DEFAULT_BASE_URL
    default_bot: str = DEFAULT_BOT
    connect_timeout: float = 10.0
    read_timeout: float = 120.0
    # Automatic retries of failures that may pass (0 turns them off) and their total wait.
    retries: int = 3
    retry_max_wait: float = 60.0
    theme: str = "textual-dark"
    show_sidebar: bool = True
    keybindings: dict[str, str] = field(default_factory=dict)
    # Attachments (issue 5). POE_UPLOAD_URL overrides upload_url for one run.
    upload_url: str = DEFAULT_UPLOAD_URL
    max_attachment_mb: float = DEFAULT_MAX_ATTACHMENT_MB
    download_dir: str = ""  # where bots' files are saved; "" = ~/Downloads (or home)
    attach_pasted_paths: bool = True  # a pasted path of an existing file attaches it
    # [guards]: ask before sending; None turns a guard off (false in the file).
    guard_request_usd: float | None = DEFAULT_GUARD_REQUEST_USD
    guard_low_balance_points: int | None = DEFAULT_GUARD_LOW_BALANCE


# TOML layout: table -> {toml key: (Settings field, expected type, description)}
_LAYOUT: dict[str, dict[str, tuple[str, type | tuple[type, ...], str]]] = {
    "api": {
        "base_url": ("base_url", str, 'a URL such as "https://api.poe.com"'),
        "connect_timeout": ("connect_timeout", (int, float), "a number of seconds"),
        "read_timeout": ("read_timeout", (int, float), "a number of seconds"),
        "retries": ("retries", int, "a whole number of retries, 0 for none"),
        "retry_max_wait": ("retry_max_wait", (int, float), "a number of seconds"),
        "upload_url": ("upload_url", str, "the URL of Poe's file upload endpoint"),
    },
    "chat": {
        "default_bot": ("default_bot", str, 'a bot name such as "gpt-5-mini"'),
        "max_attachment_mb": ("max_attachment_mb", (int, float), "a size in megabytes"),
        "download_dir": ("download_dir", str, 'a folder such as "~/Downloads"'),
        "attach_pasted_paths": ("attach_pasted_paths", bool, "true or false"),
    },
    "ui": {
        "theme": ("theme", str, 'a Textual theme name such as "textual-dark"'),
        "show_sidebar": ("show_sidebar", bool, "true or false"),
    },
}


# Numbers that parse but make no sense (inf, nan, negative, absurdly large) are refused
# like a wrong type: field -> (lowest, whether the lowest itself is allowed, highest).
_RANGES: dict[str, tuple[float, bool, float]] = {
    "connect_timeout": (0, False, 3_600),
    "read_timeout": (0, False, 86_400),
    "retries": (0, True, 100),
    "retry_max_wait": (0, True, 86_400),
    "max_attachment_mb": (0, False, 1_000_000),
    "guard_request_usd": (0, True, 1_000_000),
    "guard_low_balance_points": (0, True, 10**15),
}


def _check_range(path: Path, dotted: str, field_name: str, value: Any, description: str) -> None:
    lowest, lowest_allowed, highest = _RANGES[field_name]
    above = value >= lowest if lowest_allowed else value > lowest
    finite = isinstance(value, int) or math.isfinite(value)  # a huge int has no float
    if not (finite and above and value <= highest):
        bound = f"from {lowest:g}" if lowest_allowed else f"above {lowest:g}"
        raise ConfigError(
            f"{path}: '{dotted}' should be {description}, {bound} to {highest:,}, not {value!r}."
        )


def _check(path: Path, dotted: str, value: Any, expected: Any, description: str) -> None:
    ok = isinstance(value, expected) and not (
        isinstance(value, bool) and expected in ((int, float), int)
    )
    if not ok:
        raise ConfigError(f"{path}: '{dotted}' should be {description}, not {value!r}.")


MAX_CONFIG_BYTES = 1024 * 1024  # a settings file; far more is not one


def _read_toml(path: Path) -> dict[str, Any]:
    text = _read_config_text(path)
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc}).") from None
    except RecursionError:  # tomllib recurses into nested arrays and inline tables
        raise ConfigError(f"{path}: nested too deeply to be a settings file.") from None


def _read_config_text(path: Path) -> str:
    """The file's text; a FIFO or a device in its place is refused instead of blocking
    (non-blocking open, checked with fstat before reading)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
        with os.fdopen(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise ConfigError(f"{path}: not a regular file.")
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    if len(data) > MAX_CONFIG_BYTES:
        raise ConfigError(f"{path}: larger than {MAX_CONFIG_BYTES // 1024} KB.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (TOML must be UTF-8).") from None


def _parse_keybindings(path: Path, table: Any) -> dict[str, str]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: '[keybindings]' should be a table of action = \"keys\".")
    result: dict[str, str] = {}
    for action, keys in table.items():
        _check(path, f"keybindings.{action}", keys, str, 'a key list such as "ctrl+k,f2"')
        result[str(action)] = keys
    return result


# --- [guards] (issue 7): numbers, or false to turn a guard off -------------------------------

# toml key -> (Settings field, number type, description)
_GUARDS: dict[str, tuple[str, type, str]] = {
    "request_price_usd": (
        "guard_request_usd",
        float,
        "a price in USD such as 0.10 (ask before sending to a bot priced per request or "
        "per image above it), or false to never ask",
    ),
    "low_balance_points": (
        "guard_low_balance_points",
        int,
        "a number of points such as 1000 (ask before sending while the balance is "
        "below it), or false to never ask",
    ),
}


def _parse_guards(path: Path, table: Any) -> dict[str, Any]:
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: 'guards' should be a table ([guards]).")
    values: dict[str, Any] = {}
    for key, value in table.items():
        if key not in _GUARDS:
            known = ", ".join(sorted(_GUARDS))
            raise ConfigError(f"{path}: unknown setting 'guards.{key}' (known: {known}).")
        field_name, kind, description = _GUARDS[key]
        if value is False:
            values[field_name] = None
            continue
        number_ok = isinstance(value, int | float) and not isinstance(value, bool)
        if kind is int and isinstance(value, float):
            number_ok = False
        if not number_ok or value < 0:
            raise ConfigError(f"{path}: 'guards.{key}' should be {description}, not {value!r}.")
        _check_range(path, f"guards.{key}", field_name, value, description)
        values[field_name] = kind(value)
    return values


def _guards_to_toml(settings: Settings) -> dict[str, Any]:
    defaults = Settings()
    out: dict[str, Any] = {}
    for key, (field_name, _kind, _description) in _GUARDS.items():
        value = getattr(settings, field_name)
        if value != getattr(defaults, field_name):
            out[key] = False if value is None else value
    return out


# --- reading and writing -----------------------------------------------------------------


def parse_settings(path: Path, data: dict[str, Any]) -> Settings:
    values: dict[str, Any] = {}
    for table_name, keys in _LAYOUT.items():
        table = data.get(table_name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: '{table_name}' should be a table ([{table_name}]).")
        for key, value in table.items():
            if key not in keys:
                known = ", ".join(sorted(keys))
                raise ConfigError(f"{path}: unknown setting '{table_name}.{key}' (known: {known}).")
            field_name, expected, description = keys[key]
            _check(path, f"{table_name}.{key}", value, expected, description)
            if field_name in _RANGES:
                _check_range(path, f"{table_name}.{key}", field_name, value, description)
            values[field_name] = value
    if "keybindings" in data:
        values["keybindings"] = _parse_keybindings(path, data["keybindings"])
    if "guards" in data:
        values.update(_parse_guards(path, data["guards"]))
    unknown = set(data) - set(_LAYOUT) - {"keybindings", "guards"}
    if unknown:
        raise ConfigError(f"{path}: unknown table '{sorted(unknown)[0]}'.")
    return Settings(**values)


def load_settings(path: Path | None = None, *, remembered: bool = True) -> Settings:
    """Settings from the config file, or the defaults when there is none; with
    `remembered`, what the app remembers (state.toml beside it) applied on top."""
    path = path or config_path()
    try:
        exists = path.exists()
    except OSError as exc:  # e.g. a config folder we may not look into
        raise ConfigError(f"{path}: cannot be read ({exc.strerror}).") from None
    settings = parse_settings(path, _read_toml(path)) if exists else Settings()
    return with_remembered(settings, path) if remembered else settings


# --- what the app remembers: state.toml, never config.toml -------------------------------
#
# The theme, the sidebar and the last bot change as the app is used. They are kept in
# state.toml beside config.toml, which poe-tui never writes: rewriting it dropped the
# user's comments and layout. Each remembered value is stored with what config.toml
# said when it was remembered, so a later edit of config.toml still wins.

REMEMBERED: dict[str, type] = {"theme": str, "show_sidebar": bool, "default_bot": str}
STATE_NAME = "state.toml"
_STATE_HEADER = (
    "# Written by poe-tui: what the app remembers (theme, sidebar, last bot).\n"
    "# Put your settings in config.toml; a value you change there wins over this file.\n"
)


def state_path(config_file: Path | None = None) -> Path:
    return (config_file or config_path()).with_name(STATE_NAME)


def with_remembered(settings: Settings, config_file: Path | None = None) -> Settings:
    """`settings` (from config.toml) with the remembered values that still apply."""
    values, config_said = _read_state(state_path(config_file))
    kept = {
        name: value
        for name, value in values.items()
        if name in config_said and config_said[name] == getattr(settings, name)
    }
    return replace(settings, **kept) if kept else settings


def remember(config_file: Path | None = None, **changes: Any) -> Path:
    """Keep `changes` (fields of REMEMBERED) in state.toml; config.toml is not touched."""
    bad = set(changes) - set(REMEMBERED)
    if bad:
        raise ValueError(f"not remembered settings: {sorted(bad)}")
    config_file = config_file or config_path()
    path = state_path(config_file)
    values, config_said = _read_state(path)
    try:
        from_config = load_settings(config_file, remembered=False)
    except ConfigError:
        from_config = Settings()  # the app runs on the defaults then
    for name, value in changes.items():
        values[name] = value
        config_said[name] = getattr(from_config, name)
    text = tomli_w.dumps({"remembered": values, "config_said": config_said})
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_name(f".{STATE_NAME}.{os.getpid()}.tmp")
    temp.write_text(_STATE_HEADER + text, encoding="utf-8")
    temp.replace(path)
    return path


def _read_state(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The remembered values and what config.toml said for each. The file is ours and
    disposable: anything wrong with it (or in it) is ignored, never an error."""
    try:
        if not path.exists():
            return {}, {}
        data = tomllib.loads(_read_config_text(path))
    except (ConfigError, OSError, tomllib.TOMLDecodeError, RecursionError):
        return {}, {}
    tables = [data.get("remembered"), data.get("config_said")]
    values, config_said = (t if isinstance(t, dict) else {} for t in tables)

    def fits(name: str, value: Any) -> bool:
        return name in REMEMBERED and type(value) is REMEMBERED[name]

    return (
        {name: value for name, value in values.items() if fits(name, value)},
        {name: value for name, value in config_said.items() if fits(name, value)},
    )


def settings_to_toml(settings: Settings) -> dict[str, Any]:
    defaults = Settings()
    out: dict[str, Any] = {}
    for table_name, keys in _LAYOUT.items():
        for key, (field_name, _expected, _desc) in keys.items():
            value = getattr(settings, field_name)
            if value != getattr(defaults, field_name):
                out.setdefault(table_name, {})[key] = value
    if settings.keybindings:
        out["keybindings"] = dict(settings.keybindings)
    guards = _guards_to_toml(settings)
    if guards:
        out["guards"] = guards
    return out


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    """Write only what differs from the defaults, atomically."""
    path = path or config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(".toml.tmp")
    temp.write_text(tomli_w.dumps(settings_to_toml(settings)), encoding="utf-8")
    temp.replace(path)
    return path


def update_settings(path: Path | None = None, **changes: Any) -> Settings:
    """Load, change some fields, save; returns the new settings."""
    known = {f.name for f in fields(Settings)}
    bad = set(changes) - known
    if bad:
        raise ValueError(f"unknown settings: {sorted(bad)}")
    settings = replace(load_settings(path, remembered=False), **changes)
    save_settings(settings, path)
    return settings

"""Where the key comes from (environment > .env > keyring) and how it stays hidden."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from poe_tui import secrets
from poe_tui.core.apikey import ApiKey, InvalidKeyFormat

SECRET = "sk-poe-test-0123456789abcdefghij"


@pytest.fixture
def no_env_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("POE_API_KEY", raising=False)


@pytest.fixture
def keyring_value(monkeypatch: pytest.MonkeyPatch) -> dict[str, str | None]:
    """A keyring stand-in for precedence tests; the real keyring is tested separately."""
    box: dict[str, str | None] = {"value": "from-keyring-key"}
    monkeypatch.setattr(secrets, "read_keyring_key", lambda: box["value"])
    return box


def test_key_is_hidden_in_repr_str_format_and_pickle() -> None:
    key = ApiKey(SECRET)
    for text in (repr(key), str(key), f"{key}", f"{key!r}", f"{[key]}"):
        assert SECRET not in text
    with pytest.raises(TypeError):
        pickle.dumps(key)
    assert key.reveal() == SECRET
    assert key.redact(f"Bearer {SECRET}") == "Bearer ***"


@pytest.mark.parametrize("bad", ["", "   ", "two words", "tab\there", "nul\x00"])
def test_unusable_key_text(bad: str) -> None:
    with pytest.raises(InvalidKeyFormat):
        ApiKey(bad)


def test_environment_wins(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, keyring_value: dict
) -> None:
    (tmp_path / ".env").write_text("POE_API_KEY=from-dotenv-key\n")
    monkeypatch.setenv("POE_API_KEY", "from-env-key")
    found = secrets.find_key(tmp_path)
    assert found.source is secrets.KeySource.ENVIRONMENT
    assert found.key == ApiKey("from-env-key")


def test_dotenv_beats_keyring(tmp_path: Path, no_env_key: None, keyring_value: dict) -> None:
    (tmp_path / ".env").write_text("# comment\nOTHER=1\nexport POE_API_KEY='from-dotenv-key'\n")
    found = secrets.find_key(tmp_path)
    assert found.source is secrets.KeySource.DOTENV
    assert found.key == ApiKey("from-dotenv-key")


def test_keyring_last(tmp_path: Path, no_env_key: None, keyring_value: dict) -> None:
    found = secrets.find_key(tmp_path)
    assert found.source is secrets.KeySource.KEYRING
    assert found.key == ApiKey("from-keyring-key")


def test_none_anywhere(tmp_path: Path, no_env_key: None, keyring_value: dict) -> None:
    keyring_value["value"] = None
    found = secrets.find_key(tmp_path)
    assert (found.key, found.source, found.problem) == (None, secrets.KeySource.NONE, None)


def test_no_keyring_backend_is_explained(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, no_env_key: None
) -> None:
    import keyring
    from keyring.backends.fail import Keyring as FailKeyring

    monkeypatch.setattr(keyring.core, "_keyring_backend", FailKeyring())
    found = secrets.find_key(tmp_path)
    assert found.key is None
    assert found.problem is not None and "POE_API_KEY" in found.problem
    with pytest.raises(secrets.KeyringUnavailable, match="No OS keyring"):
        secrets.store_key(ApiKey(SECRET))


def test_locked_keyring_is_explained(monkeypatch: pytest.MonkeyPatch) -> None:
    import keyring
    from keyring.backend import KeyringBackend
    from keyring.errors import InitError

    class Locked(KeyringBackend):
        priority = 1  # type: ignore[assignment]

        def get_password(self, service: str, username: str) -> str | None:
            raise InitError("Failed to unlock the collection!")

        def set_password(self, service: str, username: str, password: str) -> None:
            raise InitError("Failed to unlock the collection!")

        def delete_password(self, service: str, username: str) -> None:
            raise InitError("Failed to unlock the collection!")

    monkeypatch.setattr(keyring.core, "_keyring_backend", Locked())
    with pytest.raises(secrets.KeyringUnavailable, match="locked"):
        secrets.read_keyring_key()
    with pytest.raises(secrets.KeyringUnavailable, match="locked"):
        secrets.store_key(ApiKey(SECRET))

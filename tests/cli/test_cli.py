"""The plain commands, run as a user would: real processes against the local server."""

from __future__ import annotations

import dataclasses
import json
import os
from pathlib import Path

import pytest

from poe_tui.fakepoe import FakePoeServer
from tests.support.cli import KEY, assert_one_line_error, run


@pytest.fixture
def env(isolated_home: Path, fake_poe: FakePoeServer) -> dict[str, str]:
    environ = dict(os.environ)
    environ["POE_API_KEY"] = KEY
    environ["POE_API_BASE"] = fake_poe.base_url
    # No Secret Service here: keyring must say so instead of hanging on D-Bus.
    environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    return environ


def test_ask_streams_reply(env: dict[str, str]) -> None:
    result = run(["ask", "-b", "echo", "hello", "there"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("You said: hello there")
    assert result.stdout.endswith("\n") and result.stderr == ""


def test_ask_reads_piped_stdin_and_no_stream(env: dict[str, str]) -> None:
    result = run(["ask", "-b", "echo", "--no-stream"], env, stdin="from a pipe\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("You said: from a pipe")


def test_ask_without_prompt_is_explained(env: dict[str, str]) -> None:
    assert_one_line_error(run(["ask", "-b", "echo"], env, stdin=""), "no prompt")


def test_ask_demo_streams_the_showcase(isolated_home: Path) -> None:
    environ = {k: v for k, v in os.environ.items() if k not in ("POE_API_KEY", "POE_API_BASE")}
    result = run(["ask", "--demo", "show me"], environ)
    assert result.returncode == 0, result.stderr
    assert "```python" in result.stdout and len(result.stdout) > 2000


@pytest.mark.parametrize(
    ("bot", "words"),
    [
        ("fail-auth", ["bad api key", "key set"]),
        ("fail-points", ["out of points", "poe.com/api/keys"]),
        ("fail-notfound", ["not found", "poe-tui models"]),
        ("fail-ratelimit", ["rate limited", "7 s"]),
        ("fail-server", ["server error", "try again"]),
        ("fail-overloaded", ["server error", "overloaded"]),
        ("fail-midstream", ["server error"]),
        ("fail-drop", ["connection", "lost"]),
    ],
)
def test_failure_bots_end_in_one_clear_line(
    env: dict[str, str], bot: str, words: list[str]
) -> None:
    # The words are those of the OpenAI-compatible errors; native ones: test_core_native.py.
    assert_one_line_error(run(["ask", "--transport", "openai", "-b", bot, "hi"], env), *words)


def test_network_down_is_one_line(env: dict[str, str]) -> None:
    env["POE_API_BASE"] = "http://127.0.0.1:9"  # discard port: nothing listens
    assert_one_line_error(run(["balance"], env), "could not connect")


def test_no_key_anywhere_is_explained(env: dict[str, str], tmp_path: Path) -> None:
    del env["POE_API_KEY"]
    result = run(["balance"], env, cwd=tmp_path)
    assert_one_line_error_lines = [ln for ln in result.stderr.splitlines() if ln]
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert "No API key" in assert_one_line_error_lines[-1]
    assert "key set" in assert_one_line_error_lines[-1]


def test_models_table_search_and_json(env: dict[str, str]) -> None:
    table = run(["models"], env)
    assert table.returncode == 0
    header = table.stdout.splitlines()[0]
    for column in ("Model", "Owner", "In $/1M", "Out $/1M", "Context"):
        assert column in header
    assert "Claude-Sonnet-4.5" in table.stdout and "free" in table.stdout
    found = run(["models", "--search", "claude", "--json"], env)
    data = json.loads(found.stdout)
    assert data and all("claude" in (m["id"] + m["display_name"]).lower() for m in data)
    assert {"id", "pricing", "context_length", "parameters"} <= set(data[0])
    assert_one_line_error(run(["models", "--search", "zzzznothing"], env), "no model")


def test_models_work_without_a_key(env: dict[str, str]) -> None:
    del env["POE_API_KEY"]
    assert run(["models", "--json"], env).returncode == 0


def test_balance_and_usage_paging(env: dict[str, str]) -> None:
    balance = run(["balance"], env)
    assert balance.returncode == 0 and balance.stdout.startswith("Points balance: ")
    page = json.loads(run(["usage", "--json", "--limit", "5"], env).stdout)
    assert len(page) == 5
    rest = json.loads(
        run(
            ["usage", "--json", "--limit", "5", "--starting-after", page[-1]["query_id"]], env
        ).stdout
    )
    assert rest and not {e["query_id"] for e in page} & {e["query_id"] for e in rest}
    table = run(["usage", "--limit", "3"], env)
    assert "Query id" in table.stdout and "3 entries" in table.stdout


def test_usage_pages_past_100_entries(isolated_home: Path) -> None:
    with FakePoeServer(speed=0) as server:
        oldest = server.state.history[-1]
        server.state.history.extend(  # unique, older entries: > 100 in all
            dataclasses.replace(
                oldest, query_id=f"older{i:04d}", creation_time=oldest.creation_time - i - 1
            )
            for i in range(120)
        )
        total = len(server.state.history)
        environ = dict(os.environ, POE_API_KEY=KEY, POE_API_BASE=server.base_url)
        many = json.loads(run(["usage", "--json", "--limit", "150"], environ).stdout)
        pages = server.state.requests_to("/usage/points_history")
    assert total > 150 and len(many) == 150
    assert len({entry["query_id"] for entry in many}) == 150
    assert len(pages) == 2 and pages[1].query["starting_after"] == many[99]["query_id"]


def test_key_status_never_prints_the_key(env: dict[str, str], tmp_path: Path) -> None:
    result = run(["key", "status"], env, cwd=tmp_path)
    assert "environment" in result.stdout and KEY not in result.stdout + result.stderr
    del env["POE_API_KEY"]
    (tmp_path / ".env").write_text(f"POE_API_KEY={KEY}\n")
    result = run(["key", "status"], env, cwd=tmp_path)
    assert ".env" in result.stdout and KEY not in result.stdout + result.stderr
    (tmp_path / ".env").unlink()
    result = run(["key", "status"], env, cwd=tmp_path)
    assert "No key found" in result.stdout and "POE_API_KEY" in result.stdout


def test_key_set_without_keyring_is_clear_and_writes_nothing(
    env: dict[str, str], isolated_home: Path
) -> None:
    result = run(["key", "set"], env, stdin="a-fresh-key-123456\n")
    assert_one_line_error(result, "no os keyring", "POE_API_KEY")
    leaked = [
        p
        for p in isolated_home.rglob("*")
        if p.is_file() and b"a-fresh-key-123456" in p.read_bytes()
    ]
    assert leaked == []


def test_key_set_rejected_key_is_not_stored() -> None:
    with FakePoeServer(speed=0, api_key="only-this-key") as server:
        environ = dict(os.environ, POE_API_BASE=server.base_url)
        environ.pop("POE_API_KEY", None)
        result = run(["key", "set"], environ, stdin="a-wrong-key-123456\n")
    assert_one_line_error(result, "rejected", "nothing was stored")


def test_bad_config_is_named_and_defaults_used(env: dict[str, str], isolated_home: Path) -> None:
    config = Path(env["POE_TUI_CONFIG_DIR"]) / "config.toml"
    config.write_text("[api]\nread_timeout = 'x'\n")
    result = run(["ask", "-b", "echo", "still works"], env)
    assert result.returncode == 0
    assert str(config) in result.stderr and "read_timeout" in result.stderr
    assert result.stdout.startswith("You said: still works")


def test_version_and_help() -> None:
    assert run(["--version"], dict(os.environ)).stdout.startswith("poe-tui ")
    assert "ask" in run(["--help"], dict(os.environ)).stdout

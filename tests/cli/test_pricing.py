"""`poe-tui models` sort/filter and `poe-tui usage --by bot|day`, as real processes
against the local server (the same rules as the app's pricing browser and sidebar).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from poe_tui import cli
from poe_tui.core.model_query import MODALITIES, PRICE_CLASSES, SORT_KEYS, sort_models
from poe_tui.core.models import parse_models
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.fakepoe.state import HistoryEntry
from tests.support.cli import KEY, assert_one_line_error, run

US = 1_000_000


@pytest.fixture(scope="module")
def server() -> Iterator[FakePoeServer]:
    """Our own server, with a history whose totals the tests can know."""
    with FakePoeServer(speed=0) as fake:
        now = datetime.now().astimezone()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)

        def stamp(days_ago: int, fraction: float = 0.5) -> int:
            """A time `fraction` of the way through that local day (today: until now)."""
            if days_ago == 0:
                when = today + (now - today) * fraction
            else:
                when = today - timedelta(days=days_ago) + timedelta(hours=24 * fraction)
            return int(when.timestamp() * US)

        rows = [
            HistoryEntry(stamp(0), "GPT-5", "q1", 300, {}),
            HistoryEntry(stamp(0, 0.25), "Veo-3", "q2", 50_000, {}),
            HistoryEntry(stamp(1), "GPT-5", "q3", 100, {}),
            HistoryEntry(stamp(1, 0.25), "GPT-5", "q4", -100, {}),  # a refund
            HistoryEntry(stamp(3), "Claude-Sonnet-4.5", "q5", 700, {}),
            HistoryEntry(stamp(40), "GPT-5", "q6", 9_999, {}),  # outside 30 days
        ]
        fake.state.history[:] = rows
        yield fake


@pytest.fixture
def env(isolated_home: Path, server: FakePoeServer) -> dict[str, str]:
    return dict(
        os.environ,
        POE_API_KEY=KEY,
        POE_API_BASE=server.base_url,
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )


def ids(env: dict[str, str], *args: str) -> list[str]:
    result = run(["models", "--json", *args], env)
    assert result.returncode == 0, result.stderr
    return [model["id"] for model in json.loads(result.stdout)]


def test_cli_choices_are_the_cores() -> None:
    assert tuple(SORT_KEYS) == cli.MODEL_SORTS
    assert cli.MODALITY_CHOICES == MODALITIES
    assert cli.PRICE_CHOICES == PRICE_CLASSES


def test_models_filters(env: dict[str, str]) -> None:
    assert ids(env, "--owner", "GOOGLE", "--output", "video") == ["veo-3"]
    assert ids(env, "--price", "free") == ["gemma-3-27b"]
    assert set(ids(env, "--input", "audio")) == {"gemini-2.5-pro", "gemini-2.5-flash"}
    found = json.loads(run(["models", "--json", "--has-params", "--search", "claude"], env).stdout)
    assert found and all(m["parameters"] and "claude" in m["id"] for m in found)
    assert_one_line_error(
        run(["models", "--owner", "OpenAI", "--output", "video"], env),
        "no model matches owner OpenAI, video out",
    )


def test_models_sorting_matches_the_core(env: dict[str, str]) -> None:
    demo = parse_models(catalogue_json())
    for key in ("input", "context", "request", "params"):
        expected = [m.id for m in sort_models(demo, SORT_KEYS[key], descending=True)]
        assert ids(env, "--sort", key, "--desc") == expected, key
    by_output = ids(env, "--sort", "output")
    assert by_output[0] == "gemma-3-27b"  # $0 out
    table = run(["models", "--sort", "request", "--desc", "--has-params"], env).stdout
    lines = table.splitlines()
    assert "Params" in lines[0]
    assert lines[2].startswith("Veo-3") and "$1.60/req" in lines[2]


def test_usage_by_bot_json_and_table(env: dict[str, str]) -> None:
    result = run(["usage", "--by", "bot", "--json"], env)
    assert result.returncode == 0, result.stderr
    groups = {g["bot_name"]: g for g in json.loads(result.stdout)}
    assert list(groups) == ["Veo-3", "Claude-Sonnet-4.5", "GPT-5"]  # most points first
    gpt = groups["GPT-5"]  # the 40-day-old row is outside the default 30 days
    assert (gpt["replies"], gpt["refunds"], gpt["points"], gpt["average_points"]) == (
        2,
        1,
        300,
        150,
    )
    assert gpt["cost_usd"] is not None
    table = run(["usage", "--by", "bot"], env).stdout
    assert table.splitlines()[0].split() == [
        "Bot",
        "Replies",
        "Refunds",
        "Points",
        "Avg/reply",
        "USD",
        "Share",
    ]
    assert "3 bots, 5 entries, 51,000 points in the last 30 days." in table
    wider = json.loads(run(["usage", "--by", "bot", "--json", "--days", "60"], env).stdout)
    assert {g["bot_name"]: g["points"] for g in wider}["GPT-5"] == 300 + 9_999


def test_usage_by_day(env: dict[str, str]) -> None:
    days = json.loads(run(["usage", "--by", "day", "--json", "--days", "2"], env).stdout)
    assert [d["points"] for d in days] == [50_300, 0]  # newest first; refund nets to 0
    assert days[0]["day"] > days[1]["day"]
    assert days[1]["refunds"] == 1 and days[1]["replies"] == 1
    table = run(["usage", "--by", "day"], env).stdout
    assert table.splitlines()[0].split() == ["Day", "Replies", "Refunds", "Points", "USD"]
    assert "3 days, 5 entries" in table


def test_usage_days_limits_the_plain_listing(env: dict[str, str]) -> None:
    listed = json.loads(run(["usage", "--json", "--days", "1"], env).stdout)
    assert [e["query_id"] for e in listed] == ["q1", "q2"]
    assert len(json.loads(run(["usage", "--json"], env).stdout)) == 6  # default: 20 entries


@pytest.mark.parametrize("transport", ["native", "openai"])
def test_ask_out_of_points_says_the_balance(
    env: dict[str, str], server: FakePoeServer, transport: str
) -> None:
    result = run(["ask", "--transport", transport, "-b", "fail-points", "hi"], env)
    balance = server.state.snapshot_balance()
    assert_one_line_error(
        result, "out of points", "poe.com/api/keys", f"your balance is {balance:,} points"
    )

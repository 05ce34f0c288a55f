"""Snapshots of the model picker, the balance sidebar and the key screen at 100x30.

Regenerate after an intended change with `pytest tests/ui/test_model_picker_snapshots.py
--snapshot-update`, then look at the SVGs under tests/ui/__snapshots__/.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.widgets import Input, Static

from poe_tui.core.models import ModelInfo, Parameter, Pricing
from poe_tui.core.usage import Balance, PointsEntry
from poe_tui.ui.screens.key_setup import KeySetupScreen
from poe_tui.ui.screens.model_picker import ModelPickerScreen
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar

SnapCompare = Callable[..., bool]
SIZE = (100, 30)
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=timezone(timedelta(hours=1)))
UNUSED_URL = "http://127.0.0.1:9"  # the snapshots never send a key anywhere

pytestmark = pytest.mark.usefixtures("steady_cursors")


def model(
    model_id: str,
    name: str,
    owner: str,
    pricing: Pricing | None,
    context: int | None,
    modalities: tuple[tuple[str, ...], tuple[str, ...]] = (("text", "image"), ("text",)),
    description: str = "",
    parameters: tuple[Parameter, ...] = (),
) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        display_name=name,
        owned_by=owner,
        description=description,
        created_ms=None,
        input_modalities=modalities[0],
        output_modalities=modalities[1],
        modality="",
        context_length=context,
        max_output_tokens=context // 4 if context else None,
        pricing=pricing,
        reasoning=None,
        supported_endpoints=(),
        supported_features=(),
        parameters=parameters,
    )


def per_token(prompt: str, completion: str) -> Pricing:
    million = Decimal(1_000_000)
    return Pricing(prompt=Decimal(prompt) / million, completion=Decimal(completion) / million)


SONNET = model(
    "claude-sonnet-4.5",
    "Claude-Sonnet-4.5",
    "Anthropic",
    per_token("3", "15"),
    200_000,
    description="Anthropic's balanced model for coding, writing and analysis.\n\nMore.",
    parameters=(
        Parameter("thinking_budget", "number", 0, has_default=True),
        Parameter("web_search", "boolean", False, has_default=True),
    ),
)

MODELS = [
    model("gpt-5", "GPT-5", "OpenAI", per_token("1.25", "10"), 400_000),
    SONNET,
    model("claude-opus-4.5", "Claude-Opus-4.5", "Anthropic", None, 200_000),
    model("gemini-2.5-pro", "Gemini-2.5-Pro", "Google", per_token("1.25", "10"), 1_048_576),
    model("echo", "Echo", "Poe", Pricing(request=Decimal(0)), None, (("text",), ("text",))),
    model(
        "flux-pro",
        "FLUX-pro",
        "fal",
        Pricing(image=Decimal("0.04")),
        None,
        (("text",), ("image",)),
    ),
    model(
        "veo-3", "Veo-3", "Google", Pricing(request=Decimal("1.2")), None, (("text",), ("video",))
    ),
]


def spent(minutes_ago: int, points: int, bot: str) -> PointsEntry:
    at = NOW - timedelta(minutes=minutes_ago)
    return PointsEntry(
        query_id=f"q{minutes_ago}",
        bot_name=bot,
        creation_time_us=int(at.timestamp() * 1_000_000),
        cost_points=points,
    )


DAY = 24 * 60
HISTORY = [
    spent(3, 1_234, "Claude-Sonnet-4.5"),
    spent(47, 310, "GPT-5"),
    spent(DAY + 5, -50, "Gemini-2.5-Pro"),
    spent(2 * DAY, 12, "Echo"),
    spent(3 * DAY, 900, "GPT-5"),
    *(spent(d * DAY, 40 * (d % 7) + 20, "GPT-5") for d in range(4, 30)),
]


class PickerHost(App[None]):
    def on_mount(self) -> None:
        self.push_screen(ModelPickerScreen(MODELS, current="claude-sonnet-4.5"))


class SidebarHost(App[None]):
    CSS = "#main { width: 1fr; padding: 1 2; }"

    def compose(self) -> ComposeResult:
        with Horizontal():
            yield Static("(the conversation)", id="main")
            yield BalanceSidebar(id="sidebar")

    def on_mount(self) -> None:
        sidebar = self.query_one(BalanceSidebar)
        sidebar.show_balance(Balance(current_point_balance=654_141, total_balance_usd="19.82"))
        sidebar.show_history(HISTORY, now=NOW)
        sidebar.show_bot(SONNET.id, SONNET)


class KeyHost(App[None]):
    def __init__(self, keyring_problem: str | None = None) -> None:
        super().__init__()
        self.keyring_problem = keyring_problem

    def on_mount(self) -> None:
        self.push_screen(KeySetupScreen(UNUSED_URL, keyring_problem=self.keyring_problem))


async def steady_cursor(pilot: Pilot[None]) -> None:
    """A blinking cursor would make the picture depend on timing."""
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False


def test_model_picker(snap_compare: SnapCompare) -> None:
    assert snap_compare(PickerHost(), terminal_size=SIZE, run_before=steady_cursor)


def test_model_picker_searching(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        PickerHost(), terminal_size=SIZE, run_before=steady_cursor, press=["g", "o", "o"]
    )


def test_model_picker_no_match(snap_compare: SnapCompare) -> None:
    assert snap_compare(
        PickerHost(), terminal_size=SIZE, run_before=steady_cursor, press=["z", "z", "z"]
    )


def test_balance_sidebar(snap_compare: SnapCompare) -> None:
    assert snap_compare(SidebarHost(), terminal_size=SIZE)


def test_key_setup(snap_compare: SnapCompare) -> None:
    assert snap_compare(KeyHost(), terminal_size=SIZE, run_before=steady_cursor)


def test_key_setup_without_keyring(snap_compare: SnapCompare) -> None:
    problem = "No OS keyring is available here (common on headless Linux)."
    assert snap_compare(KeyHost(problem), terminal_size=SIZE, run_before=steady_cursor)

"""Fixed data the snapshot tests share: models, points spent at a fixed clock, a cursor
that does not blink. A picture must not depend on when or where it was taken."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from decimal import Decimal

from textual.pilot import Pilot
from textual.widgets import Input

from poe_tui.core.models import ModelInfo, Parameter, Pricing
from poe_tui.core.usage import PointsEntry

SnapCompare = Callable[..., bool]
SIZE = (100, 30)
NOW = datetime(2026, 3, 27, 12, 0, tzinfo=timezone(timedelta(hours=1)))


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


async def steady_cursor(pilot: Pilot[None]) -> None:
    """A blinking cursor would make the picture depend on timing."""
    await pilot.pause()
    for box in pilot.app.screen.query(Input):
        box.cursor_blink = False

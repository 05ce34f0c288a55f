"""What a reply costs in the fake server: tokens, USD and Poe points.

Poe bills in points, but `/v1/models` prices are USD per token/image/request. The real
exchange rate is not published in the API; this is our demo assumption.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from poe_tui.fakepoe.catalogue import Model

USD_PER_POINT = Decimal("0.00003")
# Bots with `pricing: null` are still billed on Poe; charge a flat, plausible amount.
UNPRICED_REPLY_POINTS = 30
CHARS_PER_TOKEN = 4


def estimate_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: about four characters per token."""
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN)) if text else 0


def usd_string(points: int) -> str:
    """Points as the USD string Poe's usage endpoints use (rate = USD_PER_POINT)."""
    return f"{points * USD_PER_POINT:.5f}"


@dataclass(frozen=True)
class Cost:
    """The bill for one reply, with the per-part breakdown shown in points history."""

    input_points: int
    output_points: int
    other_points: int  # per-request and per-image charges
    total_points: int
    prompt_tokens: int
    completion_tokens: int

    def breakdown(self) -> dict[str, str]:
        parts = {
            "Input": f"{self.input_points} points ({self.prompt_tokens} tokens)",
            "Output": f"{self.output_points} points ({self.completion_tokens} tokens)",
        }
        if self.other_points:
            parts["Request"] = f"{self.other_points} points"
        parts["Total"] = f"{self.total_points} points"
        return parts


def _points(usd: Decimal) -> int:
    return math.ceil(usd / USD_PER_POINT)


def reply_cost(model: Model, prompt_tokens: int, completion_tokens: int) -> Cost:
    """Cost from the model's pricing; at least 1 point unless the model is free."""
    if model.pricing is None:
        return Cost(
            0, 0, UNPRICED_REPLY_POINTS, UNPRICED_REPLY_POINTS, prompt_tokens, completion_tokens
        )
    input_points = _points(model.price("prompt") * prompt_tokens)
    output_points = _points(model.price("completion") * completion_tokens)
    images = 1 if "image" in model.output_modalities else 0
    other_points = _points(model.price("request") + model.price("image") * images)
    total = input_points + output_points + other_points
    if not model.is_free:
        total = max(1, total)
    return Cost(input_points, output_points, other_points, total, prompt_tokens, completion_tokens)

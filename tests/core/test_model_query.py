"""Filtering and sorting models (shared by the pricing browser and `poe-tui models`), and
the send guards, over the demo catalogue and the real 360-model capture.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from poe_tui.core.accounting import ObservedCost
from poe_tui.core.guards import GuardLimits, out_of_points_note, send_warnings
from poe_tui.core.model_query import (
    SORT_KEYS,
    ModelFilter,
    owners,
    price_class,
    sort_models,
)
from poe_tui.core.models import ModelInfo, parse_models
from poe_tui.fakepoe.catalogue import catalogue_json
from tests.support.real_data import real_models_json


@pytest.fixture(scope="module")
def demo() -> list[ModelInfo]:
    return parse_models(catalogue_json())


@pytest.fixture(scope="module")
def real_raw() -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = real_models_json()["data"]
    return data


def by_id(models: list[ModelInfo]) -> dict[str, ModelInfo]:
    return {m.id: m for m in models}


def test_price_classes(demo: list[ModelInfo]) -> None:
    models = by_id(demo)
    assert price_class(models["gemma-3-27b"]) == "free"
    assert price_class(models["gpt-5"]) == "priced"
    assert price_class(models["veo-3"]) == "priced"
    assert price_class(models["kimi-k2"]) == "unknown"


def test_each_filter_narrows_as_named(demo: list[ModelInfo]) -> None:
    ids = lambda f: {m.id for m in f.apply(demo)}  # noqa: E731
    assert ids(ModelFilter(owner="google")) == {
        "gemini-2.5-pro",
        "gemini-2.5-flash",
        "gemma-3-27b",
        "imagen-4",
        "veo-3",
    }
    assert ids(ModelFilter(output_modality="video")) == {"veo-3"}
    assert ids(ModelFilter(input_modality="audio")) == {"gemini-2.5-pro", "gemini-2.5-flash"}
    assert ids(ModelFilter(price="free")) == {"gemma-3-27b"}
    assert "gpt-5" not in ids(ModelFilter(price="unknown"))
    assert ids(ModelFilter(text="sonnet")) == {"claude-sonnet-4.5"}
    with_params = ids(ModelFilter(has_parameters=True))
    assert "imagen-4" in with_params and "gpt-4o" not in with_params
    combined = ModelFilter(owner="Google", output_modality="image", has_parameters=True)
    assert ids(combined) == {"imagen-4"}
    assert ModelFilter().apply(demo) == demo and ModelFilter().is_empty
    assert combined.describe() == "owner Google, image out, with parameters"


def test_sorting_puts_unknown_last_both_ways(demo: list[ModelInfo]) -> None:
    ascending = sort_models(demo, SORT_KEYS["input"])
    descending = sort_models(demo, SORT_KEYS["input"], descending=True)
    known = [m for m in demo if m.pricing and m.pricing.prompt is not None]
    assert ascending[0].id == "gemma-3-27b"  # $0
    assert descending[0].id == "claude-opus-4.1"  # the dearest input
    assert {m.id for m in ascending[len(known) :]} == {m.id for m in descending[len(known) :]}
    assert all(m.pricing is None or m.pricing.prompt is None for m in ascending[len(known) :])
    names = [m.display_name.casefold() for m in sort_models(demo, SORT_KEYS["name"])]
    assert names == sorted(names)
    context = sort_models(demo, SORT_KEYS["context"], descending=True)
    assert context[0].context_length == max(m.context_length or 0 for m in demo)


def test_every_sort_key_sorts_the_real_list(real_raw: list[dict[str, Any]]) -> None:
    models = parse_models({"data": real_raw})
    for name, value in SORT_KEYS.items():
        for descending in (False, True):
            ordered = sort_models(models, value, descending=descending)
            assert len(ordered) == 360, name
            values = [value(m) for m in ordered if value(m) is not None]
            assert values == sorted(values, reverse=descending), name


def test_real_filters_agree_with_the_raw_json(real_raw: list[dict[str, Any]]) -> None:
    models = parse_models({"data": real_raw})
    for modality in ("text", "image", "video", "audio"):
        expected = sum(modality in m["architecture"]["output_modalities"] for m in real_raw)
        assert len(ModelFilter(output_modality=modality).apply(models)) == expected
        expected = sum(modality in m["architecture"]["input_modalities"] for m in real_raw)
        assert len(ModelFilter(input_modality=modality).apply(models)) == expected
    unknown = sum(
        m["pricing"] is None or all(v is None for v in m["pricing"].values()) for m in real_raw
    )
    assert len(ModelFilter(price="unknown").apply(models)) == unknown
    parts = [ModelFilter(price=p).apply(models) for p in ("free", "priced", "unknown")]
    assert sum(map(len, parts)) == 360
    assert len(ModelFilter(has_parameters=True).apply(models)) == sum(
        bool(m["parameters"]) for m in real_raw
    )
    fal = sum(m["owned_by"] == "fal" for m in real_raw)
    assert len(ModelFilter(owner="FAL").apply(models)) == fal
    assert owners(models)[0] == ("fal", fal)


# --- guards -----------------------------------------------------------------------------------

LIMITS = GuardLimits(request_price_usd=Decimal("0.10"), low_balance_points=1_000)


def test_price_guard_only_for_request_or_image_prices_above_the_limit(
    demo: list[ModelInfo],
) -> None:
    models = by_id(demo)
    (warning,) = send_warnings(models["veo-3"], 50_000, LIMITS)
    assert warning.kind == "price" and warning.headline == "Veo-3 costs $1.60 per request."
    assert "$0.10" in warning.detail and "request_price_usd" in warning.detail
    assert send_warnings(models["flux-pro"], 50_000, LIMITS) == []  # $0.05 per image
    (image,) = send_warnings(models["flux-pro"], None, GuardLimits(Decimal("0.01")))
    assert image.headline == "FLUX-pro costs $0.05 per image."
    assert send_warnings(models["claude-opus-4.1"], 50_000, LIMITS) == []  # per token
    assert send_warnings(models["veo-3"], 50_000, GuardLimits()) == []  # guards off
    observed = ObservedCost(replies=4, points=200_000)
    (seen,) = send_warnings(models["veo-3"], 50_000, LIMITS, observed)
    assert "50,000 points per reply on average (4 replies)" in seen.detail


def test_low_balance_guard(demo: list[ModelInfo]) -> None:
    (warning,) = send_warnings(by_id(demo)["echo"], 999, LIMITS)
    assert warning.kind == "balance" and warning.headline == "Your balance is 999 points."
    assert "https://poe.com/api/keys" in warning.detail
    assert send_warnings(by_id(demo)["echo"], 1_000, LIMITS) == []
    assert send_warnings(None, None, LIMITS) == []  # nothing known yet: no guard
    both = send_warnings(by_id(demo)["veo-3"], 10, LIMITS)
    assert [w.kind for w in both] == ["price", "balance"]
    assert out_of_points_note(0) == (
        "Your balance is 0 points. Get more points at https://poe.com/api/keys."
    )
    poe_says = "You've used up your points! Visit https://poe.com/api/keys to get more."
    assert out_of_points_note(1_234, poe_says) == "Your balance is 1,234 points."
    assert out_of_points_note(None, poe_says) == "Checking your balance…"
    assert out_of_points_note(None).startswith("Get more points at https://poe.com/api/keys")

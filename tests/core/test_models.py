"""`/v1/models` parsing: the real 360-model capture and the edge cases it contains."""

from __future__ import annotations

from decimal import Decimal

import pytest

from poe_tui.core.errors import ProtocolError
from poe_tui.core.models import (
    Pricing,
    format_tokens,
    parse_model,
    parse_models,
    price_summary,
)
from tests.support.real_data import real_models_json


@pytest.fixture(scope="module")
def real_models_body() -> dict:
    return real_models_json()


def test_every_real_model_parses_without_loss(real_models_body: dict) -> None:
    raw = real_models_body["data"]
    models = parse_models(real_models_body)
    assert len(models) == len(raw) == 360
    for entry, model in zip(raw, models, strict=True):
        assert model.id == entry["id"]
        assert model.display_name == entry["metadata"]["display_name"]
        assert model.owned_by == entry["owned_by"]
        assert model.description == entry["description"]
        assert model.created_ms == entry["created"]
        assert list(model.input_modalities) == entry["architecture"]["input_modalities"]
        assert list(model.output_modalities) == entry["architecture"]["output_modalities"]
        assert list(model.supported_endpoints) == entry["supported_endpoints"]
        assert list(model.supported_features) == entry["supported_features"]
        assert model.context_length == entry["context_length"]
        window = entry["context_window"]
        assert model.max_output_tokens == (window or {}).get("max_output_tokens")
        _check_pricing(entry["pricing"], model.pricing)
        assert (model.reasoning is None) == (entry["reasoning"] is None)
        assert [p.name for p in model.parameters] == [p["name"] for p in entry["parameters"]]
        for raw_param, param in zip(entry["parameters"], model.parameters, strict=True):
            assert param.default == raw_param.get("default_value")
            assert param.has_default == ("default_value" in raw_param)
            assert list(param.choices) == raw_param["schema"].get("enum", [])
        assert model.extra == {}


def _check_pricing(raw: dict | None, pricing: Pricing | None) -> None:
    if raw is None:
        assert pricing is None
        return
    assert pricing is not None
    for key, value in raw.items():
        parsed = getattr(pricing, key)
        assert parsed == (None if value is None else Decimal(value)), key


def test_real_capture_has_every_parameter_kind(real_models_body: dict) -> None:
    kinds = {p.kind for m in parse_models(real_models_body) for p in m.parameters}
    assert kinds == {"number", "boolean", "string", "enum"}


def _entry(**overrides: object) -> dict:
    base: dict = {
        "id": "x-bot",
        "object": "model",
        "created": 1,
        "description": "d",
        "owned_by": "O",
        "root": "x-bot",
        "architecture": {
            "input_modalities": ["text"],
            "output_modalities": ["text"],
            "modality": "text->text",
        },
        "supported_features": [],
        "supported_endpoints": [],
        "pricing": None,
        "context_window": None,
        "context_length": None,
        "metadata": {"display_name": "X-Bot", "image": None, "url": None},
        "reasoning": None,
        "parameters": [],
    }
    base.update(overrides)
    return base


def test_number_parameter_with_bounds_and_enum_without_type() -> None:
    model = parse_model(
        _entry(
            parameters=[
                {
                    "name": "thinking_budget",
                    "schema": {"type": "number", "minimum": 0, "maximum": 31999},
                    "default_value": 0,
                },
                {"name": "effort", "schema": {"enum": ["low", "high"]}},
            ]
        )
    )
    budget, effort = model.parameters
    assert (budget.kind, budget.minimum, budget.maximum, budget.default) == ("number", 0, 31999, 0)
    assert effort.kind == "enum" and effort.choices == ("low", "high") and not effort.has_default


def test_wrong_types_raise_protocol_error_naming_model_and_field() -> None:
    with pytest.raises(ProtocolError, match=r"x-bot.*context_length"):
        parse_model(_entry(context_length="lots"))
    with pytest.raises(ProtocolError, match="data"):
        parse_models({"object": "list"})
    with pytest.raises(ProtocolError, match=r"price|decimal"):
        parse_model(_entry(pricing={"prompt": "cheap"}))


def test_unknown_keys_are_kept() -> None:
    assert parse_model(_entry(permission=[], parent=None)).extra == {
        "permission": [],
        "parent": None,
    }


@pytest.mark.parametrize(
    ("pricing", "expected"),
    [
        (None, "unknown"),
        ({"prompt": "0.00000125", "completion": "0.00001"}, "$1.25 in / $10.00 out per 1M"),
        ({"prompt": None, "completion": None, "request": "0.04"}, "$0.04 /request"),
        ({"image": "0.0039"}, "$0.0039 /image"),
        ({"prompt": "0", "completion": "0"}, "free"),
        ({"prompt": None, "completion": None}, "unknown"),
    ],
)
def test_price_summary(pricing: dict | None, expected: str) -> None:
    assert price_summary(parse_model(_entry(pricing=pricing)).pricing) == expected


def test_format_tokens() -> None:
    assert [format_tokens(n) for n in (None, 512, 128_000, 1_048_576, 2_500_000)] == [
        "—",
        "512",
        "128k",
        "1M",
        "2.5M",
    ]

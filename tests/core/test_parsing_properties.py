"""Property tests: whatever JSON (or bytes) a server sends, parsing ends in a result or in
one of our typed errors (PoeError subclasses), never in a stray KeyError or OverflowError.

The strategies aim at the keys the parsers read, with any JSON value in them, so the
examples reach deep into each parser instead of failing at the first type check.
"""

from __future__ import annotations

import contextlib
import json
import math
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from poe_tui.core.errors import (
    PoeError,
    ProtocolError,
    decode_json,
    error_from_body,
    error_from_response,
)
from poe_tui.core.models import parse_models
from poe_tui.core.parameters import guess_scalar
from poe_tui.core.usage import BALANCE_KEYS, parse_balance, parse_points_page

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Python's json module accepts NaN and Infinity, so a server can send them; integers
# include ones too large for a float.
EDGE_NUMBERS = (math.inf, -math.inf, math.nan, 10**400, -(10**400), -1, 0, 1e308)
numbers = (
    st.sampled_from(EDGE_NUMBERS) | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
)
scalars = st.none() | st.booleans() | numbers | st.text(max_size=12)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)


def mostly(typed: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Usually a value of the expected type (edge values included), now and then null or
    any JSON at all: with a dozen keys per object, pure noise would almost always fail
    at the first key and never reach the rest of the parser."""
    return st.integers(0, 9).flatmap(
        lambda roll: typed if roll < 8 else st.none() if roll == 8 else json_values
    )


texts = mostly(st.text(max_size=8))
names = mostly(st.text(min_size=1, max_size=8))
numeric = mostly(numbers)
flags = mostly(st.booleans())
text_lists = mostly(st.lists(st.text(max_size=6), max_size=3))
decimals = mostly(st.text(max_size=8) | numbers | st.from_regex(r"\A-?\d{1,6}(\.\d{1,8})?\Z"))


def objects(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """Usually an object with any subset of `keys`, each from its strategy."""
    return mostly(st.fixed_dictionaries({}, optional=keys))


PRICING_KEYS = ("prompt", "completion", "image", "request", "input_cache_read", "input_cache_write")
schemas = objects(
    {
        "type": mostly(st.sampled_from(["string", "number", "integer", "boolean"]) | texts),
        "enum": mostly(st.lists(scalars, max_size=3)),
        "minimum": numeric,
        "maximum": numeric,
    }
)
parameters = objects(
    {"name": names, "default_value": json_values, "description": texts, "schema": schemas}
)
model_entries = objects(
    {
        "id": names,
        "owned_by": texts,
        "description": texts,
        "root": texts,
        "created": numeric,
        "context_length": numeric,
        "supported_endpoints": text_lists,
        "supported_features": text_lists,
        "architecture": objects(
            {"input_modalities": text_lists, "output_modalities": text_lists, "modality": texts}
        ),
        "context_window": objects({"context_length": numeric, "max_output_tokens": numeric}),
        "pricing": objects(dict.fromkeys(PRICING_KEYS, decimals)),
        "reasoning": objects(
            {
                "budget": objects({"min_tokens": numeric, "max_tokens": numeric}),
                "required": flags,
                "supports_reasoning_effort": flags,
            }
        ),
        "metadata": objects(
            {"display_name": texts, "url": texts, "image": objects({"url": texts})}
        ),
        "parameters": mostly(st.lists(parameters, max_size=3)),
    }
)
models_bodies = objects({"data": mostly(st.lists(model_entries, max_size=3))})

balance_bodies = objects(
    dict.fromkeys(sorted(BALANCE_KEYS), numeric) | {"total_balance_usd": texts}
)
points_entries = objects(
    {
        "query_id": names,
        "bot_name": texts,
        "app_name": texts,
        "creation_time": numeric,
        "cost_points": numeric,
        "usage_type": texts,
        "cost_usd": texts,
        "cost_breakdown_in_points": mostly(st.dictionaries(st.text(max_size=6), scalars)),
        "chat_name": texts,
    }
)
points_bodies = objects({"data": mostly(st.lists(points_entries, max_size=3)), "has_more": flags})
error_bodies = objects(
    {
        "error": objects({"type": texts, "code": mostly(texts | numbers), "message": texts})
        | texts,
        "detail": texts,
    }
)


def parses_or_protocol_error(parse: Any, body: Any) -> None:
    with contextlib.suppress(ProtocolError):
        parse(body)


@FAST
@given(models_bodies)
def test_models_parsing_raises_only_protocol_errors(body: Any) -> None:
    parses_or_protocol_error(parse_models, body)


@FAST
@given(balance_bodies)
def test_balance_parsing_raises_only_protocol_errors(body: Any) -> None:
    parses_or_protocol_error(parse_balance, body)


@FAST
@given(points_bodies)
def test_points_history_parsing_raises_only_protocol_errors(body: Any) -> None:
    parses_or_protocol_error(parse_points_page, body)


@FAST
@given(st.one_of(st.none(), st.integers(100, 599)), error_bodies, st.text(max_size=8))
def test_error_bodies_always_become_a_typed_error(
    status: int | None, body: Any, retry_after: str
) -> None:
    error = error_from_body(status, body)
    assert isinstance(error, PoeError) and error.message
    response_error = error_from_response(
        status or 500, json.dumps(body).encode(), {"retry-after": retry_after}
    )
    assert isinstance(response_error, PoeError)


@FAST
@given(st.binary(max_size=200), st.integers(400, 599))
def test_any_bytes_as_an_error_response_become_a_typed_error(content: bytes, status: int) -> None:
    assert isinstance(error_from_response(status, content, {}), PoeError)


@FAST
@given(
    st.binary(max_size=200)
    | models_bodies.map(lambda b: json.dumps(b).encode())
    | st.text(max_size=50).map(str.encode)
)
def test_any_bytes_as_a_success_body_parse_or_raise_protocol_errors(content: bytes) -> None:
    for parse in (parse_models, parse_balance, parse_points_page):
        with contextlib.suppress(ProtocolError):
            parse(decode_json("/v1/models", content))


@pytest.mark.parametrize("content", [b"[" * 100_000, b'{"a":' * 100_000])
def test_deeply_nested_json_is_a_protocol_error(content: bytes) -> None:
    with pytest.raises(ProtocolError, match="did not return JSON"):
        decode_json("/v1/models", content)
    assert isinstance(error_from_response(500, content, {}), PoeError)


# --- well-formed bodies with optional fields missing or null ---------------------------

FULL_MODEL: dict[str, Any] = {
    "id": "gpt-test",
    "object": "model",
    "created": 1_700_000_000_000,
    "owned_by": "OpenAI",
    "description": "A model.",
    "root": "gpt-test",
    "architecture": {
        "input_modalities": ["text"],
        "output_modalities": ["text"],
        "modality": "text->text",
    },
    "context_window": {"context_length": 128_000, "max_output_tokens": 4096},
    "context_length": 128_000,
    "pricing": dict.fromkeys(PRICING_KEYS, "0.000001"),
    "reasoning": {
        "budget": {"min_tokens": 0, "max_tokens": 1000},
        "required": False,
        "supports_reasoning_effort": True,
    },
    "metadata": {"display_name": "GPT-Test", "url": "https://poe.com/x", "image": {"url": "u"}},
    "supported_endpoints": ["/v1/chat/completions"],
    "supported_features": ["tools"],
    "parameters": [
        {"name": "effort", "schema": {"enum": ["low", "high"]}, "default_value": "low"},
        {"name": "n", "schema": {"type": "integer", "minimum": 1, "maximum": 5}},
    ],
}
REQUIRED_ENTRY_KEYS = ("query_id", "creation_time", "cost_points")
OPTIONAL_MODEL_KEYS = sorted(set(FULL_MODEL) - {"id"})


@FAST
@given(st.dictionaries(st.sampled_from(OPTIONAL_MODEL_KEYS), st.sampled_from(["drop", "null"])))
def test_a_model_with_optional_fields_missing_or_null_parses(changes: dict[str, str]) -> None:
    entry = dict(FULL_MODEL)
    for key, how in changes.items():
        if how == "drop":
            del entry[key]
        else:
            entry[key] = None
    (model,) = parse_models({"data": [entry]})
    assert model.id == "gpt-test"
    assert model.display_name == ("GPT-Test" if "metadata" not in changes else "gpt-test")


FULL_BALANCE = dict.fromkeys(sorted(BALANCE_KEYS), 10) | {"total_balance_usd": "1.00"}
FULL_ENTRY: dict[str, Any] = {
    "query_id": "q1",
    "bot_name": "GPT-5",
    "creation_time": 1_700_000_000_000_000,
    "cost_points": 12,
    "usage_type": "API",
    "cost_usd": "0.01",
    "cost_breakdown_in_points": {"Input": "2 points"},
    "chat_name": "Hello",
}


@FAST
@given(
    st.sets(st.sampled_from(sorted(BALANCE_KEYS - {"current_point_balance"}))),
    st.sets(
        st.sampled_from(sorted(set(FULL_ENTRY) - {"query_id", "creation_time", "cost_points"}))
    ),
    st.booleans(),
)
def test_usage_with_optional_fields_missing_or_null_parses(
    balance_gaps: set[str], entry_gaps: set[str], use_null: bool
) -> None:
    balance = {k: v for k, v in FULL_BALANCE.items() if k not in balance_gaps}
    balance |= dict.fromkeys(balance_gaps) if use_null else {}
    assert parse_balance(balance).current_point_balance == 10
    entry = {k: v for k, v in FULL_ENTRY.items() if k not in entry_gaps}
    entry |= dict.fromkeys(entry_gaps) if use_null else {}
    page = parse_points_page({"data": [entry]})
    assert page.entries[0].cost_points == 12 and not page.has_more


@FAST
@given(st.text(max_size=30) | st.integers().map(str) | st.sampled_from(["1" * 400, "1e999"]))
def test_any_param_text_becomes_a_json_scalar_or_stays_text(text: str) -> None:
    """`--param name=VALUE` for a bot without a schema: a guess, never a crash."""
    value = guess_scalar(text)
    assert isinstance(value, bool | int | float | str)
    assert json.loads(json.dumps(value, allow_nan=False)) == value

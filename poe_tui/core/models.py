"""Typed objects for `/v1/models` (poe-api.md section 5).

Parsing is lenient about what the live data gets wrong (nulls, missing optional keys)
and strict about types: a value of the wrong type raises `ProtocolError` naming the
model and field, rather than a bare KeyError deep in the UI. In a whole catalogue such
an entry is left out (and counted) rather than failing every model.

Every string of an entry, keys included, loses its terminal controls (`clean_json`)
before any field is read, so a field added later cannot forget it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from poe_tui.core.botnames import bot_name_problem
from poe_tui.core.errors import ProtocolError
from poe_tui.core.text import clean_json, strip_terminal_controls

# "other": a schema type we do not know (e.g. "array"), shown read-only and never sent.
ParameterKind = Literal["number", "boolean", "string", "enum", "other"]
JsonValue = Any


@dataclass(frozen=True, slots=True)
class Pricing:
    """USD prices per token (prompt/completion/cache) or per image/request; None = unknown."""

    prompt: Decimal | None = None
    completion: Decimal | None = None
    image: Decimal | None = None
    request: Decimal | None = None
    input_cache_read: Decimal | None = None
    input_cache_write: Decimal | None = None

    @property
    def is_free(self) -> bool:
        prices = [p for p in self.all_prices() if p is not None]
        return bool(prices) and all(p == 0 for p in prices)

    @property
    def is_known(self) -> bool:
        return any(p is not None for p in self.all_prices())

    def all_prices(self) -> tuple[Decimal | None, ...]:
        return (
            self.prompt,
            self.completion,
            self.image,
            self.request,
            self.input_cache_read,
            self.input_cache_write,
        )


@dataclass(frozen=True, slots=True)
class Parameter:
    """A custom parameter a bot declares; goes into the message's `parameters`."""

    name: str
    kind: ParameterKind
    default: JsonValue = None
    description: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[JsonValue, ...] = ()
    has_default: bool = False
    # The schema as Poe sent it, for showing in full (the fields above are parsed from it).
    schema: Mapping[str, JsonValue] = field(default_factory=dict, compare=False)


@dataclass(frozen=True, slots=True)
class Reasoning:
    budget_min_tokens: int | None
    budget_max_tokens: int | None
    required: bool
    supports_reasoning_effort: bool


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    display_name: str
    owned_by: str
    description: str
    created_ms: int | None
    input_modalities: tuple[str, ...]
    output_modalities: tuple[str, ...]
    modality: str
    context_length: int | None
    max_output_tokens: int | None
    pricing: Pricing | None
    reasoning: Reasoning | None
    supported_endpoints: tuple[str, ...]
    supported_features: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    url: str | None = None
    image_url: str | None = None
    root: str | None = None
    extra: Mapping[str, JsonValue] = field(default_factory=dict)

    def matches(self, needle: str) -> bool:
        """Case-insensitive substring match over id, display name, owner and description."""
        text = needle.casefold()
        return any(
            text in value.casefold()
            for value in (self.id, self.display_name, self.owned_by, self.description)
        )


_KNOWN_KEYS = frozenset(
    {
        "id",
        "object",
        "created",
        "description",
        "owned_by",
        "root",
        "architecture",
        "supported_features",
        "supported_endpoints",
        "pricing",
        "context_window",
        "context_length",
        "metadata",
        "reasoning",
        "parameters",
    }
)


class _Reader:
    """Typed access to one JSON object, with errors that name the model and key."""

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, Mapping):
            raise ProtocolError(f"{where}: expected an object, got {type(data).__name__}")
        self.data: Mapping[str, Any] = data
        self.where = where

    def _fail(self, key: str, expected: str) -> ProtocolError:
        got = type(self.data.get(key)).__name__
        return ProtocolError(f"{self.where}: '{key}' should be {expected}, got {got}")

    def opt_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise self._fail(key, "a string")

    def opt_int(self, key: str) -> int | None:
        value = self.data.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._fail(key, "a number")
        # Python's JSON reads NaN and Infinity, which no count can be.
        if isinstance(value, float) and not math.isfinite(value):
            raise self._fail(key, "a finite number")
        return int(value)

    def opt_obj(self, key: str) -> _Reader | None:
        value = self.data.get(key)
        if value is None:
            return None
        return _Reader(value, f"{self.where}.{key}")

    def str_list(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self._fail(key, "a list of strings")
        return tuple(value)

    def opt_decimal(self, key: str) -> Decimal | None:
        value = self.data.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self._fail(key, "a decimal string")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise self._fail(key, "a decimal string") from None

    def opt_bool(self, key: str) -> bool:
        value = self.data.get(key)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self._fail(key, "true or false")
        return value


def _parse_pricing(reader: _Reader | None) -> Pricing | None:
    if reader is None:
        return None
    return Pricing(
        prompt=reader.opt_decimal("prompt"),
        completion=reader.opt_decimal("completion"),
        image=reader.opt_decimal("image"),
        request=reader.opt_decimal("request"),
        input_cache_read=reader.opt_decimal("input_cache_read"),
        input_cache_write=reader.opt_decimal("input_cache_write"),
    )


def _parse_reasoning(reader: _Reader | None) -> Reasoning | None:
    if reader is None:
        return None
    budget = reader.opt_obj("budget")
    return Reasoning(
        budget_min_tokens=budget.opt_int("min_tokens") if budget else None,
        budget_max_tokens=budget.opt_int("max_tokens") if budget else None,
        required=reader.opt_bool("required"),
        supports_reasoning_effort=reader.opt_bool("supports_reasoning_effort"),
    )


def _schema_kind(schema: _Reader) -> ParameterKind:
    if isinstance(schema.data.get("enum"), list):
        return "enum"
    kind = schema.opt_str("type")
    if kind in ("number", "integer"):
        return "number"
    if kind == "boolean":
        return "boolean"
    if kind == "string":
        return "string"
    return "other"


def _shown(name: str | None) -> str:
    """A name shown in tables and headers: one line, no control characters."""
    return " ".join(strip_terminal_controls(name or "").split())


def _bound(value: Any) -> float | None:
    """A schema's minimum or maximum; none when it is no usable number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        bound = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return bound if math.isfinite(bound) else None


def parse_parameter(data: Any, where: str) -> Parameter:
    try:
        data = clean_json(data)  # idempotent: a catalogue entry was cleaned already
    except ValueError as error:
        raise ProtocolError(f"{where}: {error}") from None
    reader = _Reader(data, where)
    name = reader.opt_str("name")
    if not name:
        raise ProtocolError(f"{where}: parameter without a name")
    schema = reader.opt_obj("schema") or _Reader({"type": "string"}, f"{where}.schema")
    kind = _schema_kind(schema)
    minimum = schema.data.get("minimum")
    maximum = schema.data.get("maximum")
    return Parameter(
        name=name,
        kind=kind,
        default=reader.data.get("default_value"),
        has_default="default_value" in reader.data,
        description=reader.opt_str("description"),
        minimum=_bound(minimum),
        maximum=_bound(maximum),
        choices=tuple(schema.data.get("enum") or ()),
        schema=dict(schema.data),
    )


def parse_model(data: Any) -> ModelInfo:
    """Parse one `/v1/models` entry (its strings cleaned of terminal controls first)."""
    raw_id = data.get("id") if isinstance(data, Mapping) else None
    where = f"model {raw_id[:60]!r}" if isinstance(raw_id, str) else "model"
    if isinstance(raw_id, str) and (problem := bot_name_problem(raw_id)):
        # The id is sent back as the bot's name: cleaning it would name another bot.
        raise ProtocolError(f"{where}: 'id' is unusable: {problem}")
    try:
        data = clean_json(data)
    except ValueError as error:
        raise ProtocolError(f"{where}: {error}") from None
    reader = _Reader(data, where)
    model_id = reader.opt_str("id")
    if not model_id:
        raise ProtocolError(f"{where}: missing 'id'")
    arch = reader.opt_obj("architecture") or _Reader({}, f"{where}.architecture")
    window = reader.opt_obj("context_window")
    meta = reader.opt_obj("metadata") or _Reader({}, f"{where}.metadata")
    image = meta.opt_obj("image")
    raw_params = reader.data.get("parameters") or []
    if not isinstance(raw_params, list):
        raise ProtocolError(f"{where}: 'parameters' should be a list")
    context_length = window.opt_int("context_length") if window else None
    return ModelInfo(
        id=model_id,
        display_name=_shown(meta.opt_str("display_name")) or model_id,
        owned_by=_shown(reader.opt_str("owned_by")),
        description=reader.opt_str("description") or "",
        created_ms=reader.opt_int("created"),
        input_modalities=arch.str_list("input_modalities"),
        output_modalities=arch.str_list("output_modalities"),
        modality=arch.opt_str("modality") or "",
        context_length=context_length
        if context_length is not None
        else reader.opt_int("context_length"),
        max_output_tokens=window.opt_int("max_output_tokens") if window else None,
        pricing=_parse_pricing(reader.opt_obj("pricing")),
        reasoning=_parse_reasoning(reader.opt_obj("reasoning")),
        supported_endpoints=reader.str_list("supported_endpoints"),
        supported_features=reader.str_list("supported_features"),
        parameters=tuple(
            parse_parameter(p, f"{where}.parameters[{i}]") for i, p in enumerate(raw_params)
        ),
        url=meta.opt_str("url"),
        image_url=image.opt_str("url") if image else None,
        root=reader.opt_str("root"),
        extra={k: v for k, v in reader.data.items() if k not in _KNOWN_KEYS},
    )


class ModelList(list[ModelInfo]):
    """The usable models of a catalogue; `skipped` says why each other entry was left out."""

    def __init__(self, models: Sequence[ModelInfo] = (), skipped: Sequence[str] = ()) -> None:
        super().__init__(models)
        self.skipped: tuple[str, ...] = tuple(skipped)

    def skipped_notice(self) -> str | None:
        """One line for stderr or a notification, or None when nothing was skipped."""
        count = len(self.skipped)
        if not count:
            return None
        entries = "entry" if count == 1 else "entries"
        first = self.skipped[0] if len(self.skipped[0]) <= 160 else self.skipped[0][:159] + "…"
        return f"Skipped {count} unusable model {entries} in the catalogue ({first})."


def parse_models(body: Any) -> ModelList:
    """Parse a whole `/v1/models` response body. A bad entry (wrong types, an id that
    cannot be a bot name, an id seen before) is skipped, not fatal to the rest."""
    if not isinstance(body, Mapping) or not isinstance(body.get("data"), list):
        raise ProtocolError("The model list should be an object with a 'data' list.")
    entries: Sequence[Any] = body["data"]
    models: list[ModelInfo] = []
    skipped: list[str] = []
    seen: set[str] = set()
    for entry in entries:
        try:
            model = parse_model(entry)
        except ProtocolError as error:
            skipped.append(error.message)
            continue
        # Poe's ids are case-insensitive; the UI keys its tables by id.
        if model.id.casefold() in seen:
            skipped.append(f"model {model.id!r}: the same id appears twice")
            continue
        seen.add(model.id.casefold())
        models.append(model)
    return ModelList(models, skipped)


# --- prices a person can read -------------------------------------------------

_MILLION = Decimal(1_000_000)


def format_usd(value: Decimal) -> str:
    """A USD amount with cents, or more digits for sub-cent prices."""
    if value == 0:
        return "$0"
    if value >= 100:
        return f"${value:,.0f}"
    text = f"{value:.4f}".rstrip("0")
    whole, _, decimals = text.partition(".")
    # Cents always show two digits ($0.20, $1.10); smaller prices keep their digits.
    return f"${whole}.{decimals.ljust(2, '0')}"


def price_summary(pricing: Pricing | None) -> str:
    """One short line: "$1.25 in / $10 out per 1M", "$0.04 /image", "free", "unknown"."""
    if pricing is None or not pricing.is_known:
        return "unknown"
    if pricing.is_free:
        return "free"
    parts: list[str] = []
    if pricing.prompt is not None or pricing.completion is not None:
        inp = format_usd(pricing.prompt * _MILLION) if pricing.prompt is not None else "?"
        out = format_usd(pricing.completion * _MILLION) if pricing.completion is not None else "?"
        parts.append(f"{inp} in / {out} out per 1M")
    if pricing.request:
        parts.append(f"{format_usd(pricing.request)} /request")
    if pricing.image:
        parts.append(f"{format_usd(pricing.image)} /image")
    return ", ".join(parts) if parts else "free"


def per_million(value: Decimal | None) -> str:
    """A per-token price as USD per 1M tokens, or "—" when unknown."""
    return "—" if value is None else format_usd(value * _MILLION)


def format_tokens(count: int | None) -> str:
    """128000 -> "128k", 1048576 -> "1M", None -> "—"."""
    if count is None:
        return "—"
    if count >= 1_000_000:
        return f"{count / 1_000_000:.1f}M".replace(".0M", "M")
    if count >= 1_000:
        return f"{count / 1_000:.0f}k"
    return str(count)

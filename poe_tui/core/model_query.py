"""Filtering and sorting the model list: one definition for the pricing browser and
`poe-tui models`, so both show the same models in the same order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from poe_tui.core.models import ModelInfo, Pricing

PriceClass = Literal["free", "priced", "unknown"]
PRICE_CLASSES: tuple[PriceClass, ...] = ("free", "priced", "unknown")
MODALITIES = ("text", "image", "video", "audio")
SortValue = Callable[[ModelInfo], Any]


def price_class(model: ModelInfo) -> PriceClass:
    """`free` when every published price is 0, `unknown` when none is published."""
    pricing = model.pricing
    if pricing is None or not pricing.is_known:
        return "unknown"
    return "free" if pricing.is_free else "priced"


@dataclass(frozen=True, slots=True)
class ModelFilter:
    """What the user narrowed the list to; the defaults keep every model."""

    text: str = ""  # substring of id, name, owner or description
    owner: str | None = None  # exact, case-insensitive
    input_modality: str | None = None
    output_modality: str | None = None
    price: PriceClass | None = None
    has_parameters: bool = False

    def matches(self, model: ModelInfo) -> bool:
        if self.text.strip() and not model.matches(self.text.strip()):
            return False
        if self.owner and model.owned_by.casefold() != self.owner.casefold():
            return False
        if self.input_modality and self.input_modality not in model.input_modalities:
            return False
        if self.output_modality and self.output_modality not in model.output_modalities:
            return False
        if self.price and price_class(model) != self.price:
            return False
        return not (self.has_parameters and not model.parameters)

    def apply(self, models: Iterable[ModelInfo]) -> list[ModelInfo]:
        return [model for model in models if self.matches(model)]

    @property
    def is_empty(self) -> bool:
        return self == ModelFilter()

    def describe(self) -> str:
        """The active filters in words, e.g. `owner OpenAI, image in, free`."""
        parts = []
        if self.text.strip():
            parts.append(f"“{self.text.strip()}”")
        if self.owner:
            parts.append(f"owner {self.owner}")
        if self.input_modality:
            parts.append(f"{self.input_modality} in")
        if self.output_modality:
            parts.append(f"{self.output_modality} out")
        if self.price:
            parts.append(f"{self.price} price" if self.price == "unknown" else self.price)
        if self.has_parameters:
            parts.append("with parameters")
        return ", ".join(parts)


def owners(models: Iterable[ModelInfo]) -> list[tuple[str, int]]:
    """Every owner with its number of models, most models first (ties by name)."""
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for model in models:
        if model.owned_by:
            key = model.owned_by.casefold()
            counts[key] = counts.get(key, 0) + 1
            names.setdefault(key, model.owned_by)
    return sorted(((names[k], n) for k, n in counts.items()), key=lambda o: (-o[1], o[0].lower()))


def _price(part: Callable[[Pricing], Decimal | None]) -> SortValue:
    def value(model: ModelInfo) -> Decimal | None:
        return part(model.pricing) if model.pricing is not None else None

    return value


def _reasoning(model: ModelInfo) -> int | None:
    """0 without reasoning; more for more control (a budget, effort levels)."""
    reasoning = model.reasoning
    if reasoning is None:
        return None
    return 1 + (reasoning.budget_max_tokens is not None) + reasoning.supports_reasoning_effort


def _modalities(names: tuple[str, ...]) -> tuple[int, tuple[str, ...]] | None:
    """More modalities sort higher; the same number sorts by name."""
    return (len(names), names) if names else None


# name -> the value a model sorts by (None: unknown, always sorted last).
SORT_KEYS: dict[str, SortValue] = {
    "name": lambda m: m.display_name.casefold(),
    "owner": lambda m: m.owned_by.casefold() or None,
    "input": _price(lambda p: p.prompt),
    "output": _price(lambda p: p.completion),
    "request": _price(lambda p: p.request),
    "image": _price(lambda p: p.image),
    "cache-read": _price(lambda p: p.input_cache_read),
    "cache-write": _price(lambda p: p.input_cache_write),
    "context": lambda m: m.context_length,
    "max-output": lambda m: m.max_output_tokens,
    "input-modalities": lambda m: _modalities(m.input_modalities),
    "output-modalities": lambda m: _modalities(m.output_modalities),
    "reasoning": _reasoning,
    "params": lambda m: len(m.parameters),
}


def sort_models(
    models: Iterable[ModelInfo], value: SortValue, *, descending: bool = False
) -> list[ModelInfo]:
    """Sorted by `value`, unknown values last in either direction, ties by name."""
    known: list[tuple[Any, ModelInfo]] = []
    unknown: list[ModelInfo] = []
    for model in models:
        result = value(model)
        if result is None:
            unknown.append(model)
        else:
            known.append((result, model))
    # Two stable sorts: by name first, then by value, so equal values stay alphabetical.
    known.sort(key=lambda pair: pair[1].display_name.casefold())
    known.sort(key=lambda pair: pair[0], reverse=descending)
    unknown.sort(key=lambda model: model.display_name.casefold())
    return [model for _, model in known] + unknown

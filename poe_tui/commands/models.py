"""`poe-tui models`: the model list as a table or JSON."""

from __future__ import annotations

import argparse
import json
from decimal import Decimal
from typing import Any

from poe_tui.commands.output import clip, table
from poe_tui.core.model_query import SORT_KEYS, ModelFilter, sort_models
from poe_tui.core.models import ModelInfo, Pricing, format_tokens, format_usd, per_million


def _price_cells(pricing: Pricing | None) -> tuple[str, str, str]:
    """Input per 1M, output per 1M, and other (request/image) prices."""
    if pricing is None or not pricing.is_known:
        return ("unknown", "", "")
    if pricing.is_free:
        return ("free", "", "")
    other = []
    if pricing.request:
        other.append(f"{format_usd(pricing.request)}/req")
    if pricing.image:
        other.append(f"{format_usd(pricing.image)}/image")
    inp = per_million(pricing.prompt) if pricing.prompt is not None else ""
    out = per_million(pricing.completion) if pricing.completion is not None else ""
    return (inp, out, " ".join(other))


def models_table(models: list[ModelInfo]) -> str:
    rows = []
    for model in models:
        inp, out, other = _price_cells(model.pricing)
        rows.append(
            [
                clip(model.display_name, 32),
                clip(model.owned_by, 16),
                inp,
                out,
                other,
                format_tokens(model.context_length),
                str(len(model.parameters)) if model.parameters else "",
            ]
        )
    headers = ["Model", "Owner", "In $/1M", "Out $/1M", "Other", "Context", "Params"]
    return table(headers, rows, right={2, 3, 5, 6})


def _decimal(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def model_to_json(model: ModelInfo) -> dict[str, Any]:
    pricing = model.pricing
    return {
        "id": model.id,
        "display_name": model.display_name,
        "owned_by": model.owned_by,
        "description": model.description,
        "created_ms": model.created_ms,
        "input_modalities": list(model.input_modalities),
        "output_modalities": list(model.output_modalities),
        "context_length": model.context_length,
        "max_output_tokens": model.max_output_tokens,
        "pricing": None
        if pricing is None
        else {
            "prompt": _decimal(pricing.prompt),
            "completion": _decimal(pricing.completion),
            "image": _decimal(pricing.image),
            "request": _decimal(pricing.request),
            "input_cache_read": _decimal(pricing.input_cache_read),
            "input_cache_write": _decimal(pricing.input_cache_write),
        },
        "supported_endpoints": list(model.supported_endpoints),
        "supported_features": list(model.supported_features),
        "reasoning": None
        if model.reasoning is None
        else {
            "budget_min_tokens": model.reasoning.budget_min_tokens,
            "budget_max_tokens": model.reasoning.budget_max_tokens,
            "required": model.reasoning.required,
            "supports_reasoning_effort": model.reasoning.supports_reasoning_effort,
        },
        "parameters": [
            {
                "name": p.name,
                "kind": p.kind,
                "default": p.default,
                "minimum": p.minimum,
                "maximum": p.maximum,
                "choices": list(p.choices),
                "description": p.description,
            }
            for p in model.parameters
        ],
        "url": model.url,
    }


def models_json(models: list[ModelInfo]) -> str:
    return json.dumps([model_to_json(m) for m in models], indent=2, ensure_ascii=False)


def model_filter(args: argparse.Namespace) -> ModelFilter:
    """The filters given on the command line (the browser's, by the same rules)."""
    return ModelFilter(
        text=args.search or "",
        owner=args.owner,
        input_modality=args.input_modality,
        output_modality=args.output_modality,
        price=args.price,
        has_parameters=args.has_params,
    )


def select_models(models: list[ModelInfo], args: argparse.Namespace) -> tuple[list[ModelInfo], str]:
    """The filtered, sorted models, and the filters in words for a "no match" message."""
    chosen = model_filter(args)
    found = chosen.apply(models)
    if args.sort:
        found = sort_models(found, SORT_KEYS[args.sort], descending=args.desc)
    elif args.desc:
        found.reverse()
    return found, chosen.describe() or "at all"

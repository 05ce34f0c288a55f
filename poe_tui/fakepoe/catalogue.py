"""The fake server's model catalogue, loaded from `assets/demo-models.json`.

The assets folder ships as the `poe_tui.assets` package in a wheel, but in a source
checkout it sits at the top of the repo; both places are tried.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

MODELS_ASSET = "demo-models.json"
SHOWCASE_ASSET = "demo-showcase.md"
DEMO_OWNER = "Poe Demo"


def read_asset(name: str) -> str:
    """The text of a file from the assets folder, installed or in a checkout."""
    try:
        return resources.files("poe_tui.assets").joinpath(name).read_text(encoding="utf-8")
    except ModuleNotFoundError:
        checkout = Path(__file__).resolve().parents[2] / "assets" / name
        return checkout.read_text(encoding="utf-8")


@dataclass(frozen=True)
class Model:
    """One catalogue entry plus the bits the server needs to reason about it."""

    id: str
    display_name: str
    owned_by: str
    entry: dict[str, Any]

    @property
    def pricing(self) -> dict[str, str | None] | None:
        pricing: dict[str, str | None] | None = self.entry.get("pricing")
        return pricing

    @property
    def output_modalities(self) -> list[str]:
        modalities: list[str] = self.entry["architecture"]["output_modalities"]
        return modalities

    def price(self, key: str) -> Decimal:
        """USD price for one unit of `key` (token, image, request); 0 when absent."""
        value = (self.pricing or {}).get(key)
        return Decimal(value) if value else Decimal(0)

    @property
    def is_free(self) -> bool:
        """Priced, and every price is zero (null pricing means "unknown", not free)."""
        pricing = self.pricing
        return pricing is not None and all(
            Decimal(v) == 0 for v in pricing.values() if v is not None
        )


@cache
def catalogue_json() -> dict[str, Any]:
    """The `/v1/models` body, parsed once per process."""
    data: dict[str, Any] = json.loads(read_asset(MODELS_ASSET))
    return data


@cache
def _index() -> dict[str, Model]:
    index: dict[str, Model] = {}
    for entry in catalogue_json()["data"]:
        model = Model(entry["id"], entry["metadata"]["display_name"], entry["owned_by"], entry)
        index[model.id.lower()] = model
    return index


# Private bots: served on the native door but not listed by /v1/models, as Poe does with
# a user's own bots. `demo-count` streams numbered tokens with a pause half-way, so a
# test (or a curious user) can check that what was shown is what the history kept.
PRIVATE_MODELS = {
    "demo-count": Model(
        "demo-count",
        "Demo-Count",
        "Poe Demo",
        {"id": "demo-count", "metadata": {"display_name": "Demo-Count"}, "pricing": None},
    ),
}


def find_model(name: str, *, private: bool = False) -> Model | None:
    """Look a model up the way Poe does: case-insensitively; private bots only where
    asked (the native door, which serves every bot)."""
    key = name.strip().lower()
    return _index().get(key) or (PRIVATE_MODELS.get(key) if private else None)


def all_models() -> list[Model]:
    return list(_index().values())

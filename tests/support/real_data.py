"""The real `/v1/models` capture, read from ../shared beside the repository (never copied in).

Tests that use it skip, saying why, on a machine without it.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.paths import REPO_ROOT

REAL_MODELS = REPO_ROOT.parent / "shared/fixtures/poe-v1-models-2026-03-27.json"


def real_models_json() -> dict[str, Any]:
    """The whole captured response body; skips the calling test when it is absent."""
    if not REAL_MODELS.exists():
        pytest.skip(f"the real model capture is not here ({REAL_MODELS})")
    data: dict[str, Any] = json.loads(REAL_MODELS.read_text(encoding="utf-8"))
    return data

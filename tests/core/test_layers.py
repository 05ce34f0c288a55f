"""The layer rule (DESIGN.md section 2): core and the local server never import Textual."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "poe_tui.core.client",
        "poe_tui.core.conversation",
        "poe_tui.core.accounting",
        "poe_tui.core.guards",
        "poe_tui.core.model_query",
        "poe_tui.fakepoe",
        "poe_tui.store",
        "poe_tui.cli",
        "poe_tui.secrets",
        "poe_tui.config",
    ],
)
def test_module_imports_without_textual(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "loaded = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "", f"{module} pulled in: {result.stdout.strip()}"

"""What the way to the first frame must not import (issue 9: first frame within 1.3x
of a bare Textual app). Each of these cost 20-45 ms when it was on that way; timing
itself is measured by benchmarks/bench_first_frame.py, never here."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Loaded by the first request, a Markdown reply or a screen the user opens; not before.
HEAVY = (
    "httpx",
    "markdown_it",
    "textual.widgets._data_table",
    "poe_tui.ui.screens.pricing_browser",
)
FIRST_FRAME_ONLY = (
    "markdown_it",
    "textual.widgets._data_table",
    "poe_tui.ui.screens.pricing_browser",
)


def loaded_after(code: str) -> set[str]:
    """The modules of HEAVY that `code` (run in a fresh interpreter) leaves imported."""
    script = code + "\nimport sys\nprint(','.join(m for m in sys.modules))\n"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    modules = set(done.stdout.strip().splitlines()[-1].split(","))
    return modules & set(HEAVY)


def test_importing_the_app_loads_no_heavy_module() -> None:
    assert loaded_after("import poe_tui.cli, poe_tui.ui.launch, poe_tui.ui.app") == set()


def test_composing_the_chat_screen_imports_no_other_screen_nor_markdown() -> None:
    # Headless, up to the first frame: the chat screen composed and mounted, key
    # lookups (key_for) done. httpx is not checked: the fetches start right after.
    code = textwrap.dedent(
        """
        import asyncio
        from poe_tui.config import Settings
        from poe_tui.core.apikey import ApiKey
        from poe_tui.runtime import DEMO_KEY
        from poe_tui.ui.app import PoeApp

        async def first_frame() -> None:
            key = ApiKey(DEMO_KEY)
            app = PoeApp(base_url="http://127.0.0.1:9", api_key=key, settings=Settings())
            async with app.run_test(size=(120, 36)):
                app.exit()

        asyncio.run(first_frame())
        """
    )
    assert loaded_after(code) & set(FIRST_FRAME_ONLY) == set()

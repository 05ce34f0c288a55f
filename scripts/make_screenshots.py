"""Make the README screenshots: the real app, driven by Textual's Pilot, in demo mode.

Every shot runs `PoeApp` against a local `FakePoeServer(speed=0)` with the demo key
(never a real one) and an isolated home, saves an SVG into `screenshots/` and, when
`rsvg-convert` (librsvg2-bin) is installed, a PNG beside it.

    python scripts/make_screenshots.py            # all shots
    python scripts/make_screenshots.py picker     # only the shots named
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent.parent / "screenshots"
WIDE = (120, 36)
NARROW = (80, 24)
WAIT_SECONDS = 30.0  # a bound for a stuck app, not a budget: screenshots are not timed
ISOLATED = ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "POE_TUI_CONFIG_DIR", "POE_TUI_DATA_DIR")


def isolate_environment(root: Path) -> None:
    """Point every config/data dir at `root` and drop any key, before poe_tui is imported."""
    for name in ISOLATED:
        folder = root / name.lower()
        folder.mkdir(exist_ok=True)
        os.environ[name] = str(folder)
    os.environ.pop("POE_API_KEY", None)
    os.environ.pop("POE_API_BASE", None)


# --- driving the app ------------------------------------------------------------------

Pilot = Any  # textual.pilot.Pilot[None]; imported late, after the environment is isolated
Scenario = Callable[[Pilot], Awaitable[None]]


@dataclass(frozen=True)
class Shot:
    name: str
    description: str
    scenario: Scenario
    size: tuple[int, int] = WIDE
    with_key: bool = True


async def wait_until(pilot: Pilot, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        await pilot.pause(0.05)


async def settle(pilot: Pilot, *, workers: bool = True) -> None:
    """Let workers (models, balance, replies) finish and the screen repaint.

    `workers=False` while a modal is open: the worker that opened it waits for it.
    """
    if workers:
        await asyncio.wait_for(workers_done(pilot.app), WAIT_SECONDS)
    await pilot.pause(0.3)  # a few refresh cycles for the last layout and paint


async def workers_done(app: Any) -> None:
    """Until no worker runs; a cancelled one (a refresh replaced by a newer) counts as done."""
    from textual.worker import WorkerState

    active_states = (WorkerState.PENDING, WorkerState.RUNNING)
    while active := [w for w in app.workers if w.state in active_states]:
        await asyncio.gather(*(w.wait() for w in active), return_exceptions=True)


async def ready(pilot: Pilot) -> None:
    """The first screen is complete: models loaded and the balance shown."""
    from textual.widgets import Digits

    app = pilot.app
    await wait_until(pilot, lambda: app.models is not None, "the model list")
    digits = app.chat_screen.query_one("#points", Digits)
    await wait_until(pilot, lambda: digits.value not in ("", "-"), "the balance")
    await settle(pilot)


async def send(pilot: Pilot, text: str, bot: str | None = None) -> None:
    """Send `text` (to `bot` when given) the way a person does, and wait for the reply."""
    from poe_tui.ui.widgets.prompt_input import PromptInput

    screen = pilot.app.chat_screen
    if bot is not None:
        screen.use_bot(bot)
    prompt = screen.query_one(PromptInput)
    prompt.load_text(text)  # typing it key by key in Pilot is slow and shows nothing more
    prompt.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: bool(screen.conversation.messages), "the prompt to be sent")
    await wait_until(pilot, lambda: screen.job is None, "the reply to finish")
    await settle(pilot)


async def scroll_to_heading(pilot: Pilot, heading: str, block_after: str = "") -> None:
    """Put a heading of the last reply (or the block after it) at the top of the pane."""
    from poe_tui.ui.widgets.conversation_view import ConversationView

    view = pilot.app.chat_screen.query_one(ConversationView)
    # By CSS type name: Textual does not export its Markdown block classes.
    headings = view.query("MarkdownH1, MarkdownH2, MarkdownH3")
    target = next(h for h in headings if heading in (getattr(h, "source", None) or ""))
    if block_after:  # the first block of this kind after the heading, e.g. its table
        blocks = list(view.query(block_after))
        target = next(b for b in blocks if b.virtual_region.y > target.virtual_region.y)
    view.release_anchor()  # as a reader scrolling up would: the pane stops following
    view.scroll_to_widget(target, top=True, animate=False)
    await settle(pilot)


# --- the shots --------------------------------------------------------------------------


async def chat_showcase(pilot: Pilot) -> None:
    await ready(pilot)
    await send(pilot, "Show me what a reply can look like.")
    # From the table down: a table, a quote, a heading and highlighted code all show.
    await scroll_to_heading(pilot, "Prices at a glance", block_after="MarkdownTable")


async def model_picker(pilot: Pilot) -> None:
    from textual.widgets import Input

    from poe_tui.ui.screens.model_picker import ModelPickerScreen

    await ready(pilot)
    await pilot.press("f2")
    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, ModelPickerScreen), "the model picker"
    )
    await pilot.press(*"claude")
    search = pilot.app.screen.query_one("#search", Input)
    await wait_until(pilot, lambda: search.value == "claude", "the search text")
    await settle(pilot, workers=False)


async def pricing_browser(pilot: Pilot) -> None:
    from poe_tui.ui.screens.pricing_browser import PricingBrowserScreen

    await ready(pilot)
    await pilot.press("f4")
    app = pilot.app
    await wait_until(
        pilot, lambda: isinstance(app.screen, PricingBrowserScreen), "the pricing browser"
    )
    screen = app.screen
    await wait_until(pilot, lambda: screen.observed_loaded, "the points history")
    await pilot.press("s", "s", "s")  # sorted by input price, cheapest first
    await wait_until(pilot, lambda: screen.sort_key == "input", "the sort")
    await settle(pilot, workers=False)


async def failure_in_place(pilot: Pilot) -> None:
    await ready(pilot)
    await send(pilot, "Hello! Who am I talking to?", bot="echo")
    await send(pilot, "Write me a long story about a lighthouse.", bot="fail-points")


async def files_from_a_bot(pilot: Pilot) -> None:
    await ready(pilot)
    await send(pilot, "A lighthouse at dusk", bot="demo-image")


async def history_search(pilot: Pilot) -> None:
    from poe_tui.ui.widgets.conversation_list import ConversationList

    await ready(pilot)
    await send(pilot, "How do lighthouses work?", bot="echo")
    await pilot.press("ctrl+n")
    await send(pilot, "Plan a weekend in Lisbon with a lighthouse visit", bot="echo")
    await pilot.press("ctrl+n")
    await send(pilot, "Explain SSE in one paragraph", bot="echo")
    await pilot.press("ctrl+f", *"lighthouse")
    conversations = pilot.app.chat_screen.query_one(ConversationList)
    await wait_until(pilot, lambda: conversations.searching, "the search results")
    await settle(pilot)


async def narrow_layout(pilot: Pilot) -> None:
    await ready(pilot)
    await send(pilot, "What can you do?", bot="gpt-5")


async def key_setup(pilot: Pilot) -> None:
    from poe_tui.ui.screens.key_setup import KeySetupScreen

    await wait_until(
        pilot, lambda: isinstance(pilot.app.screen, KeySetupScreen), "the key setup screen"
    )
    await settle(pilot)


SHOTS = (
    Shot("chat", "a finished Demo-Showcase reply: headings, a table, code", chat_showcase),
    Shot("model-picker", "the model picker with a search typed", model_picker),
    Shot("pricing", "the pricing browser sorted by input price", pricing_browser),
    Shot("failure", "a failed reply explained in place, with Retry", failure_in_place),
    Shot(
        "files",
        "a picture from the Demo-Image bot, previewed, with Open and Save",
        files_from_a_bot,
    ),
    Shot("history", "full-text search across every conversation", history_search),
    Shot("narrow", "the 80x24 layout", narrow_layout, size=NARROW),
    Shot("key-setup", "first run without a key", key_setup, with_key=False),
)


# --- running and saving ---------------------------------------------------------------


def build_app(base_url: str, with_key: bool) -> Any:
    from poe_tui.config import DEMO_BOT, Settings
    from poe_tui.core.apikey import ApiKey
    from poe_tui.runtime import DEMO_KEY
    from poe_tui.ui.app import PoeApp

    settings = replace(Settings(), default_bot=DEMO_BOT)
    if not with_key:  # a first run: no key, not demo mode (demo mode never asks for one)
        return PoeApp(base_url=base_url, api_key=None, settings=settings)
    return PoeApp(base_url=base_url, api_key=ApiKey(DEMO_KEY), settings=settings, demo=True)


async def take(shot: Shot, base_url: str) -> Path:
    app = build_app(base_url, shot.with_key)
    async with app.run_test(size=shot.size) as pilot:
        await shot.scenario(pilot)
        svg = Path(app.save_screenshot(filename=f"{shot.name}.svg", path=str(OUT)))
    keep_leading_spaces(svg)
    return svg


def keep_leading_spaces(svg: Path) -> None:
    """Mark the SVG `xml:space="preserve"`.

    Textual writes each styled run as its own <text>, spaces as &#160;. librsvg drops a
    run's leading &#160; unless told to preserve spaces, which glues words together
    ("Demo-Showcase(demo-showcase)") in the PNG; browsers are unaffected.
    """
    text = svg.read_text(encoding="utf-8")
    if 'xml:space="preserve"' not in text:
        text = text.replace("<svg ", '<svg xml:space="preserve" ', 1)
        svg.write_text(text, encoding="utf-8")


def to_png(svg: Path, rsvg: str) -> Path:
    png = svg.with_suffix(".png")
    # Twice the SVG's nominal size keeps the terminal text crisp in a README.
    subprocess.run([rsvg, "--zoom", "2", "-o", str(png), str(svg)], check=True)
    return png


def parse_args(argv: list[str]) -> list[Shot]:
    names = [shot.name for shot in SHOTS]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shots", nargs="*", metavar="SHOT", help=f"one of {', '.join(names)}")
    chosen = parser.parse_args(argv).shots
    unknown = sorted(set(chosen) - set(names))
    if unknown:  # checked here: argparse's `choices` trips over nargs="*" with no values
        parser.error(f"unknown shot {', '.join(unknown)}; choose from {', '.join(names)}")
    return [shot for shot in SHOTS if not chosen or shot.name in chosen]


def main(argv: list[str]) -> int:
    shots = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="poe-tui-shots-") as home:
        isolate_environment(Path(home))
        from poe_tui.fakepoe import FakePoeServer

        OUT.mkdir(exist_ok=True)
        rsvg = shutil.which("rsvg-convert")
        if rsvg is None:
            print("rsvg-convert not found (apt-get install librsvg2-bin): SVGs only, no PNGs.")
        for shot in shots:
            # A fresh server per shot: each starts from the same balance and history.
            with FakePoeServer(speed=0) as server:
                svg = asyncio.run(take(shot, server.base_url))
            made = [svg] + ([to_png(svg, rsvg)] if rsvg else [])
            print(f"{shot.name:13} {shot.description}: {', '.join(p.name for p in made)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

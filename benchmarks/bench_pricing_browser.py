"""Time to interactive of the pricing browser with 360 models, against an empty DataTable.

Both sides run headless in this process (`App.run_test`, 120x36), over the same host
app: the clock starts when a screen is pushed and stops when that screen, once drawn,
has handled an Esc sent right after and closed. The floor is a screen holding a `DataTable` with the
browser's columns and no rows (and a Footer), so the ratio is what 360 models, the
filters and the details pane cost on top of the widget itself. The models are the real
`/v1/models` capture from ../shared/fixtures when it is there, else the demo catalogue
repeated to 360 models.

Also reported, against the same floor: a re-sort (`s`) and one filter keystroke with all
360 models shown.

    python benchmarks/bench_pricing_browser.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
import time
from collections.abc import Callable
from typing import Any, ClassVar

from _common import ROOT, Row, median, print_table
from textual import events
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static

from poe_tui.core.models import ModelInfo, parse_models
from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.ui.screens.pricing_browser import COLUMNS, PricingBrowserScreen

BENCH = "pricing browser"
SIZE = (120, 36)
MODELS = 360
DEADLINE = 30.0  # seconds: a bound for a stuck screen, not a budget
FIXTURE = ROOT.parent / "shared" / "fixtures" / "poe-v1-models-2026-03-27.json"


def load_models() -> tuple[list[ModelInfo], str]:
    if FIXTURE.exists():
        return parse_models(json.loads(FIXTURE.read_text())), "the real /v1/models capture"
    demo = parse_models(catalogue_json())
    copies = [
        dataclasses.replace(model, id=f"{model.id}-{n}", display_name=f"{model.display_name} {n}")
        for n in range(MODELS // len(demo) + 1)
        for model in demo
    ]
    return copies[:MODELS], "the demo catalogue repeated (no real capture here)"


class EmptyTableScreen(Screen[None]):
    """The floor: the browser's columns in a DataTable with no rows, an Input, a Footer."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close"),
        Binding("s", "sort", "Sort"),
    ]
    AUTO_FOCUS = "DataTable"

    def __init__(self) -> None:
        super().__init__()
        self.sorts = 0

    def compose(self) -> ComposeResult:
        yield Input(id="filter-text")
        yield DataTable(cursor_type="row")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(column.label, width=column.width, key=column.key)

    def action_sort(self) -> None:
        self.query_one(DataTable).sort()
        self.sorts += 1


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("host")


def send_key(app: App[Any], key: str) -> None:
    """A key as the terminal driver delivers it (Pilot's `press` also waits for idle,
    a CPU-time heuristic that would swamp what is measured here)."""
    event = events.Key(key, key if len(key) == 1 else None)
    event.set_sender(app)
    assert app._driver is not None
    app._driver.send_message(event)


async def until(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + DEADLINE
    while not check():
        if time.monotonic() > deadline:
            raise RuntimeError("the screen never got there")
        await asyncio.sleep(0)


async def painted(screen: Screen[Any]) -> None:
    """Returns once the screen has been refreshed (laid out and drawn)."""
    done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    screen.call_after_refresh(lambda: done.done() or done.set_result(None))
    await done


async def open_and_close(app: App[Any], screen: Screen[Any]) -> float:
    """Seconds from push until the screen, drawn, has handled Esc and closed."""
    closed = asyncio.Event()
    start = time.perf_counter()
    await app.push_screen(screen, callback=lambda _result: closed.set())
    await painted(screen)
    send_key(app, "escape")
    await closed.wait()
    return time.perf_counter() - start


async def after_key(app: App[Any], key: str, done: Callable[[], bool]) -> float:
    """Seconds from a key until `done()` and the screen drawn again."""
    start = time.perf_counter()
    send_key(app, key)
    await until(done)
    await painted(app.screen)
    return time.perf_counter() - start


async def one_round(models: list[ModelInfo]) -> dict[str, float]:
    """Every measure once, each side in turn."""
    results: dict[str, float] = {}
    app = Host()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        results["floor_open"] = await open_and_close(app, EmptyTableScreen())
        results["open"] = await open_and_close(app, PricingBrowserScreen(models, "gpt-5"))

        floor = EmptyTableScreen()
        await app.push_screen(floor)
        await painted(floor)
        results["floor_sort"] = await after_key(app, "s", lambda: floor.sorts == 1)
        floor.set_focus(floor.query_one(Input))
        box = floor.query_one(Input)
        results["floor_key"] = await after_key(app, "e", lambda: box.value == "e")
        app.pop_screen()

        browser = PricingBrowserScreen(models, "gpt-5")
        await app.push_screen(browser)
        await painted(browser)
        results["sort"] = await after_key(app, "s", lambda: browser.sort_key == "name")
        browser.set_focus(browser.query_one("#filter-text", Input))
        # A letter in almost every name: the table is rebuilt with most of its rows.
        results["key"] = await after_key(app, "e", lambda: browser.filter.text == "e")
        assert len(browser.shown) > MODELS // 2
    return results


def measure(runs: int) -> list[Row]:
    models, source = load_models()
    asyncio.run(one_round(models))  # warm-up: imports, CSS parsing, caches
    rounds = [asyncio.run(one_round(models)) for _ in range(runs)]

    def med(key: str) -> float:
        return median([r[key] for r in rounds]) * 1000

    floor_open, floor_sort, floor_key = med("floor_open"), med("floor_sort"), med("floor_key")
    note = f"{len(models)} models: {source}"
    return [
        Row(BENCH, "empty DataTable screen: open to interactive", floor_open, "ms", floor=True),
        Row(BENCH, "pricing browser: open to interactive", med("open"), "ms",
            med("open") / floor_open, note=note),
        Row(BENCH, "empty DataTable: sort key", floor_sort, "ms", floor=True),
        Row(BENCH, "pricing browser: re-sort (s)", med("sort"), "ms", med("sort") / floor_sort),
        Row(BENCH, "empty screen: a keystroke in an Input", floor_key, "ms", floor=True),
        Row(BENCH, "pricing browser: a filter keystroke", med("key"), "ms",
            med("key") / floor_key),
    ]  # fmt: skip


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each side (default 5)")
    print_table(measure(parser.parse_args(argv).runs))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

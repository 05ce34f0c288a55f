"""Issue 17, points 1 and 5: a hostile or broken `/v1/models` served over loopback.

Every string of every parsed model is free of terminal controls (walked generically, so
a field added later is covered too); a bad entry is skipped and counted instead of
breaking the catalogue; and the app's model picker and pricing browser, opened on such
a catalogue, draw no control character.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from starlette.responses import JSONResponse
from textual.app import App
from textual.widgets import DataTable

from poe_tui.config import Settings
from poe_tui.core.apikey import ApiKey
from poe_tui.core.client import PoeClient
from poe_tui.core.models import ModelInfo, parse_models
from poe_tui.fakepoe import FakePoeServer
from poe_tui.ui.app import PoeApp
from poe_tui.ui.screens.model_picker import ModelPickerScreen
from poe_tui.ui.screens.pricing_browser import PricingBrowserScreen
from tests.support.hostile_server import ESCAPES, is_terminal_control, serve_instead
from tests.support.pilot import settled, wait_until

E = ESCAPES


def hostile_entry(model_id: str = "hostile-bot") -> dict[str, Any]:
    """A well-formed entry with escapes in every string the server controls."""
    return {
        "id": model_id,
        "object": f"model{E}",
        "created": 1_700_000_000,
        "description": f"Des{E}cription",
        "owned_by": f"Own{E}er",
        "root": f"ro{E}ot",
        "architecture": {
            "input_modalities": [f"te{E}xt", f"im{E}age"],
            "output_modalities": [f"te{E}xt"],
            "modality": f"text{E}->text",
        },
        "supported_features": [f"too{E}ls"],
        "supported_endpoints": [f"/v1/chat/{E}completions"],
        "pricing": {"prompt": "0.000001", "completion": "0.000002", "request": None},
        "context_window": {"context_length": 128_000, "max_output_tokens": 4096},
        "metadata": {
            "display_name": f"Hos{E}tile",
            "url": f"https://poe.com/{E}hostile",
            "image": {"url": f"https://img{E}.example/x.png"},
        },
        "reasoning": {"budget": None, "required": False, "supports_reasoning_effort": True},
        "parameters": [
            {
                "name": f"eff{E}ort",
                "schema": {"enum": [f"lo{E}w", "high"], f"x-no{E}te": f"\x9b1m{E}"},
                "default_value": f"lo{E}w",
                "description": f"How hard{E} to think",
            },
            {"name": "temperature", "schema": {"type": "number", "minimum": 0, "maximum": 2}},
        ],
        f"extra{E}": {f"k{E}": [f"v{E}", {f"deep{E}": f"er{E}"}]},
    }


def broken_entries() -> list[Any]:
    """One of each way an entry broke the whole catalogue before."""
    with_array = hostile_entry("array-params")
    with_array["parameters"] = [
        {"name": "stops", "schema": {"type": "array", "items": {"type": "string"}}}
    ]
    return [
        with_array,  # kept: the parameter is shown read-only
        hostile_entry(f"evil{E}id"),  # skipped: the id is sent back, it cannot be cleaned
        hostile_entry(),  # skipped: the same id twice crashed the pricing table on F4
        hostile_entry("Hostile-Bot"),  # skipped: Poe's ids are case-insensitive
        {"id": "wrong-types", "context_window": {"context_length": "lots"}},  # skipped
        "not an object",  # skipped
        {"id": "../usage/current_balance?x="},  # skipped: not a bot name
    ]


def control_characters_in(value: Any, where: str = "model") -> list[str]:
    """Where any string inside `value` holds a terminal control: dataclass fields,
    mapping keys and values, sequences, all the way down."""
    if isinstance(value, str):
        return [f"{where}: {value!r}"] if any(map(is_terminal_control, value)) else []
    found: list[str] = []
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for field in dataclasses.fields(value):
            found += control_characters_in(getattr(value, field.name), f"{where}.{field.name}")
    elif isinstance(value, Mapping):
        for key, item in value.items():
            found += control_characters_in(key, f"{where} key")
            found += control_characters_in(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += control_characters_in(item, f"{where}[{index}]")
    return found


def catalogue(entries: list[Any]) -> dict[str, Any]:
    return {"object": "list", "data": entries}


ECHO = {"id": "echo", "metadata": {"display_name": "Echo"}}
# Well-formed but hostile (point 1), and that plus broken entries (point 5).
CATALOGUES = {
    "hostile": [hostile_entry(), ECHO],
    "broken": [hostile_entry(), *broken_entries(), ECHO],
}


@contextmanager
def serving(entries: list[Any]) -> Iterator[FakePoeServer]:
    server = FakePoeServer(speed=0)
    body = catalogue(entries)
    serve_instead(server, "/v1/models", lambda _headers: JSONResponse(body))
    with server:
        yield server


@pytest.fixture(params=sorted(CATALOGUES))
def hostile_poe(request: pytest.FixtureRequest) -> Iterator[FakePoeServer]:
    with serving(CATALOGUES[request.param]) as server:
        yield server


@pytest.fixture
def broken_poe() -> Iterator[FakePoeServer]:
    with serving(CATALOGUES["broken"]) as server:
        yield server


def test_the_walk_sees_a_control_character_wherever_it_hides() -> None:
    """The checker itself: a raw string deep inside a model is found."""
    (model,) = parse_models(catalogue([{"id": "plain"}]))
    spoiled = dataclasses.replace(model, extra={"a": [{"b": "x\x9dy"}]})
    assert control_characters_in(spoiled) == ["model.extra['a'][0]['b']: 'x\\x9dy'"]


async def test_every_string_of_a_hostile_catalogue_arrives_clean(
    hostile_poe: FakePoeServer,
) -> None:
    async with PoeClient(None, base_url=hostile_poe.base_url) as client:
        models = await client.list_models()
    hostile = next(m for m in models if m.id == "hostile-bot")
    assert control_characters_in(list(models)) == []
    # Cleaned, not dropped: the text around the escapes is all there.
    assert hostile.display_name == "Hostile"
    assert hostile.input_modalities == ("text", "image")
    assert hostile.supported_endpoints == ("/v1/chat/completions",)
    assert hostile.url == "https://poe.com/hostile"
    assert hostile.parameters[0].name == "effort"
    assert "x-note" in hostile.parameters[0].schema


async def test_bad_entries_are_skipped_and_counted_and_the_rest_kept(
    broken_poe: FakePoeServer,
) -> None:
    async with PoeClient(None, base_url=broken_poe.base_url) as client:
        models = await client.list_models()
    assert [m.id for m in models] == ["hostile-bot", "array-params", "echo"]
    assert len(models.skipped) == 6
    notice = models.skipped_notice()
    assert notice is not None and notice.startswith("Skipped 6 unusable model entries")
    (stops,) = next(m for m in models if m.id == "array-params").parameters
    assert stops.kind == "other" and stops.schema["type"] == "array"
    assert parse_models(catalogue([{"id": "fine"}])).skipped_notice() is None


def drawn_text(app: App[Any]) -> str:
    """Every character of every cell the app would draw now (its styles left out)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip) for strip in strips)


def assert_nothing_drawn_raw(app: App[Any]) -> None:
    drawn = drawn_text(app)
    raw = sorted({f"U+{ord(c):04X}" for c in drawn if is_terminal_control(c)})
    assert raw == [], f"terminal controls reached the screen: {raw}"
    assert "PWNED" not in drawn or "\x1b" not in drawn


async def test_picker_and_pricing_browser_draw_no_control_character(
    hostile_poe: FakePoeServer, isolated_home: Path
) -> None:
    app = PoeApp(
        base_url=hostile_poe.base_url,
        api_key=ApiKey("test-key-hostile"),
        settings=Settings(default_bot="hostile-bot"),
        config_path=isolated_home / "config.toml",
    )
    async with app.run_test(size=(160, 45)) as pilot:
        await settled(pilot)
        await wait_until(pilot, lambda: app.models is not None)
        skipped = [n for n in app._notifications if n.message.startswith("Skipped ")]
        assert len(skipped) == (1 if getattr(app.models, "skipped", ()) else 0)  # said once
        assert_nothing_drawn_raw(app)

        await pilot.press("f2")
        await wait_until(pilot, lambda: isinstance(app.screen, ModelPickerScreen))
        await pilot.pause()
        assert_nothing_drawn_raw(app)
        assert "Hostile" in drawn_text(app)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ModelPickerScreen))

        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, PricingBrowserScreen))
        browser = app.screen
        table = browser.query_one(DataTable)
        rows = len(app.models)
        await wait_until(pilot, lambda: table.row_count == rows)
        for row in range(rows):  # the details pane of each model in turn
            table.move_cursor(row=row)
            await pilot.pause()
            assert_nothing_drawn_raw(app)
            assert "Modalities" in drawn_text(app)  # the details pane is drawn
        table.move_cursor(row=0)
        await pilot.pause()
        assert "https://poe.com/hostile" in drawn_text(app)


def test_a_model_list_of_only_sane_models_is_untouched() -> None:
    """The cleaning changes nothing an honest catalogue sends."""
    entry = {
        "id": "gpt-5",
        "description": "Line one.\n\tIndented line two — ünïcode 🎉",
        "metadata": {"display_name": "GPT-5"},
    }
    (model,) = parse_models(catalogue([entry]))
    assert model.description == entry["description"]
    assert isinstance(model, ModelInfo)


def test_models_command_says_on_stderr_how_many_were_skipped(
    broken_poe: FakePoeServer, isolated_home: Path
) -> None:
    from tests.support.cli import run

    environ = dict(os.environ, POE_API_BASE=broken_poe.base_url)
    environ.pop("POE_API_KEY", None)
    done = run(["models"], environ)
    assert done.returncode == 0, done.stderr
    assert "Skipped 6 unusable model entries" in done.stderr
    assert "Hostile" in done.stdout and "Echo" in done.stdout
    assert not any(map(is_terminal_control, done.stdout.replace("\n", "")))


async def test_a_parameter_of_an_unknown_type_is_shown_read_only() -> None:
    from textual.widgets import Input

    from poe_tui.core.errors import InvalidParameterError
    from poe_tui.core.parameters import coerce
    from poe_tui.ui.widgets.parameter_form import ParameterForm

    (model,) = parse_models(catalogue([broken_entries()[0]]))
    (stops,) = model.parameters

    class FormHost(App[None]):
        def compose(self) -> Any:
            yield ParameterForm()

    app = FormHost()
    async with app.run_test() as pilot:
        form = app.query_one(ParameterForm)
        await form.show(model, "native", {})
        await pilot.pause()
        (field,) = form.query(Input).results(Input)
        assert field.disabled
        assert "stops (read-only: type not supported)" in drawn_text(app)
    with pytest.raises(InvalidParameterError, match="cannot set"):
        coerce(stops, '["a"]')


async def test_every_string_of_hostile_usage_replies_arrives_clean() -> None:
    balance = {"current_point_balance": 5, "total_balance_usd": f"1{E}.00", f"x{E}": [f"y{E}"]}
    entry = {"query_id": "q1", "bot_name": f"B{E}ot", "creation_time": 1, "cost_points": 2}
    entry |= {"usage_type": f"A{E}PI", "cost_usd": f"0{E}.1", "chat_name": f"C{E}hat"}
    entry |= {"cost_breakdown_in_points": {f"In{E}put": f"2{E} points"}}
    page = {"data": [entry], "has_more": False}
    server = FakePoeServer(speed=0)
    serve_instead(server, "/usage/current_balance", lambda _h: JSONResponse(balance))
    serve_instead(server, "/usage/points_history", lambda _h: JSONResponse(page))
    with server:
        async with PoeClient(ApiKey("usage-test-key"), base_url=server.base_url) as client:
            found = [await client.get_balance(), await client.get_points_history()]
    assert control_characters_in(found) == []
    assert found[1].entries[0].cost_breakdown == {"Input": "2 points"}


def test_the_skipped_notice_stays_one_short_line() -> None:
    models = parse_models(catalogue([{"id": "x" * 100_000 + "\x1b"}, ECHO]))
    notice = models.skipped_notice()
    assert notice is not None and len(notice) < 300 and "\n" not in notice

"""Issue 7 through Pilot: the pricing browser (real 360 models and the demo catalogue),
the send guards, out-of-points in place, and what replies and conversations cost.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Checkbox, DataTable, Input, Select, Static

from poe_tui.config import Settings
from poe_tui.core.accounting import ObservedCost, observed_costs, summarize_by_bot
from poe_tui.core.conversation import MessageStatus
from poe_tui.core.model_query import SORT_KEYS, ModelFilter, sort_models
from poe_tui.core.models import ModelInfo, parse_models, per_million
from poe_tui.core.usage import PointsEntry
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.catalogue import catalogue_json
from poe_tui.ui.app import PALETTE_COMMANDS, ChatCommands, PoeApp
from poe_tui.ui.screens.chat import ChatScreen
from poe_tui.ui.screens.confirm_send import ConfirmSendScreen
from poe_tui.ui.screens.pricing_browser import COLUMN_KEYS, COLUMNS, PricingBrowserScreen
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.pilot import send, settled, submit, wait_until
from tests.support.real_data import real_models_json

SIZE = (120, 35)


@pytest.fixture(scope="module")
def real_models() -> list[ModelInfo]:
    return parse_models(real_models_json())


@pytest.fixture(scope="module")
def demo_models() -> list[ModelInfo]:
    return parse_models(catalogue_json())


class BrowserHost(App[None]):
    def __init__(self, models: list[ModelInfo], observed: dict[str, ObservedCost] | None) -> None:
        super().__init__()
        self.models = models
        self.observed = observed
        self.result: object = "not dismissed"

    def on_mount(self) -> None:
        screen = PricingBrowserScreen(self.models, "gpt-5", observed=self.observed)
        self.push_screen(screen, callback=self._done)

    def _done(self, result: str | None) -> None:
        self.result = result


def browser(pilot: Pilot[Any]) -> PricingBrowserScreen:
    screen = pilot.app.screen
    assert isinstance(screen, PricingBrowserScreen)
    return screen


def shown_ids(pilot: Pilot[Any]) -> list[str]:
    """The model ids in the table's own row order (not the screen's list)."""
    table = browser(pilot).query_one(DataTable)
    return [str(row.key.value) for row in table.ordered_rows]


def header_x(key: str) -> int:
    """The x offset of a column's header cell within the table (cell padding 1)."""
    x = 0
    for column in COLUMNS:
        if column.key == key:
            return x + 2
        x += column.width + 2
    raise KeyError(key)


async def pick(pilot: Pilot[Any], selector: str, value: str) -> None:
    select = browser(pilot).query_one(selector, Select)
    select.value = value
    await pilot.pause()


# --- sorting and filtering over the real 360 models -------------------------------------------


async def test_sorting_the_real_models_by_header_click_and_keys(
    real_models: list[ModelInfo],
) -> None:
    app = BrowserHost(real_models, {})
    async with app.run_test(size=(200, 40)) as pilot:
        await pilot.pause()
        assert shown_ids(pilot) == [m.id for m in real_models]  # Poe's order at first
        await pilot.click("#prices", offset=(header_x("input"), 0))
        await pilot.pause()
        ordered = sort_models(real_models, SORT_KEYS["input"])
        assert shown_ids(pilot) == [m.id for m in ordered]
        cheapest = ordered[0].pricing
        assert cheapest is not None and cheapest.prompt is not None
        assert browser(pilot).cell_at(0, "input") == per_million(cheapest.prompt)
        assert browser(pilot).cell_at(359, "input") in ("unknown", "—")
        await pilot.click("#prices", offset=(header_x("input"), 0))  # again: reversed
        await pilot.pause()
        dearest = sort_models(real_models, SORT_KEYS["input"], descending=True)
        assert shown_ids(pilot) == [m.id for m in dearest]
        assert "In $/1M ▼" in browser(pilot).sort_label()
        # Keys: s walks the columns, S walks back, r reverses.
        await pilot.press("s")
        assert browser(pilot).sort_key == "output"
        await pilot.press("S", "S")
        assert browser(pilot).sort_key == "owner"
        browser(pilot).set_sort("context")  # capacities start with the biggest
        await pilot.pause()
        biggest = max(m.context_length or 0 for m in real_models)
        first = next(m for m in real_models if m.id == shown_ids(pilot)[0])
        assert first.context_length == biggest
        await pilot.press("r")
        assert browser(pilot).descending is False
        smallest = min(m.context_length for m in real_models if m.context_length is not None)
        first = next(m for m in real_models if m.id == shown_ids(pilot)[0])
        assert first.context_length == smallest


async def test_filtering_the_real_models(real_models: list[ModelInfo]) -> None:
    raw = real_models_json()["data"]
    app = BrowserHost(real_models, {})
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await pick(pilot, "#filter-output", "video")
        video = [m["id"] for m in raw if "video" in m["architecture"]["output_modalities"]]
        assert shown_ids(pilot) == video
        await pick(pilot, "#filter-input", "audio")
        both = [
            m["id"]
            for m in raw
            if "video" in m["architecture"]["output_modalities"]
            and "audio" in m["architecture"]["input_modalities"]
        ]
        assert shown_ids(pilot) == both
        status = str(browser(pilot).query_one("#browser-status").render())
        assert f"{len(both)} of 360 models" in status
        await pilot.press("c")  # clear every filter
        assert len(shown_ids(pilot)) == 360
        await pick(pilot, "#filter-owner", "Anthropic")
        await pick(pilot, "#filter-price", "priced")
        browser(pilot).query_one("#filter-params", Checkbox).value = True
        await pilot.pause()
        expected = ModelFilter(owner="Anthropic", price="priced", has_parameters=True)
        assert shown_ids(pilot) == [m.id for m in expected.apply(real_models)]
        assert shown_ids(pilot) and all(i.startswith("claude") for i in shown_ids(pilot))
        await pilot.press("c", "slash", *"opus")
        assert isinstance(app.focused, Input)
        await pilot.pause()
        assert shown_ids(pilot) == [m.id for m in real_models if m.matches("opus")]
        await pick(pilot, "#filter-price", "unknown")
        unknown = [m for m in real_models if m.matches("opus") and m.pricing is None]
        assert shown_ids(pilot) == [m.id for m in unknown]
        if not unknown:
            empty = browser(pilot).query_one("#browser-empty", Static)
            assert empty.display and "No model matches" in str(empty.render())


# --- the demo catalogue: details, observed cost, Enter ----------------------------------------


async def test_details_pane_shows_description_parameters_and_endpoints(
    demo_models: list[ModelInfo],
) -> None:
    observed = {"gpt-5": ObservedCost(replies=4, points=1_800)}
    app = BrowserHost(demo_models, observed)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = browser(pilot)
        assert screen.highlighted_id() == "gpt-5"  # the current bot is highlighted
        assert screen.cell_at(0, "observed") == "450"
        body = str(screen.query_one("#details-body", Static).render())
        gpt5 = next(m for m in demo_models if m.id == "gpt-5")
        assert gpt5.description.split(".")[0] in body
        assert "450 points per reply on average (4 replies" in body
        assert "/v1/chat/completions" in body or "native /bot/ only" in body
        for parameter in gpt5.parameters:
            assert parameter.name in body
        screen.query_one("#filter-text", Input).value = "veo"
        await pilot.pause()
        body = str(screen.query_one("#details-body", Static).render())
        assert "$1.60 per request" in body and '"enum"' in body and "default" in body
        assert screen.cell_at(0, "request") == "$1.60"
        assert screen.cell_at(0, "observed") == "—"
        await pilot.press("d")
        assert not screen.query_one("#details").display
        screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert app.result == "veo-3"


async def test_escape_leaves_the_filter_first_then_closes(demo_models: list[ModelInfo]) -> None:
    app = BrowserHost(demo_models, None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        body = str(browser(pilot).query_one("#details-body", Static).render())
        assert "points history has not loaded" in body
        await pilot.press("slash", "x")
        await pilot.press("escape")
        assert isinstance(app.focused, DataTable) and app.result == "not dismissed"
        await pilot.press("escape")
        await pilot.pause()
        assert app.result is None


async def test_typing_a_filter_then_arrows_and_enter_pick_a_model(
    demo_models: list[ModelInfo],
) -> None:
    app = BrowserHost(demo_models, {})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"gemini", "s")  # letters are text while typing
        await pilot.pause()
        assert browser(pilot).query_one("#filter-text", Input).value == "geminis"
        await pilot.press("backspace")
        await pilot.pause()
        assert shown_ids(pilot) == ["gemini-2.5-pro", "gemini-2.5-flash"]
        assert browser(pilot).sort_key is None
        await pilot.press("down", "enter")
        await pilot.pause()
        assert app.result == "gemini-2.5-flash"


# --- in the app: key, palette, observed cost from the history, Enter ---------------------------


@pytest.fixture
def make_app(make_app: Callable[..., PoeApp]) -> Callable[..., PoeApp]:
    """The shared builder, optionally against another server, with settings as keywords."""

    def build(bot: str = "echo", server: FakePoeServer | None = None, **settings: Any) -> PoeApp:
        overrides: dict[str, Any] = {"settings": Settings(default_bot=bot, **settings)}
        if server is not None:
            overrides["base_url"] = server.base_url
        return make_app(bot, **overrides)

    return build


@pytest.fixture(scope="module")
def rich_server() -> Iterator[FakePoeServer]:
    """For replies from Veo-3 (53,334 points each): the shared server's balance would
    soon fall under the low-balance guard and stop every later test's sends."""
    with FakePoeServer(speed=0, balance=100_000_000) as server:
        yield server


def chat(pilot: Pilot[Any]) -> ChatScreen:
    return pilot.app.chat_screen  # type: ignore[attr-defined,no-any-return]


async def test_f4_opens_the_browser_and_enter_starts_a_conversation(
    make_app: Callable[..., PoeApp], fake_poe: FakePoeServer
) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await send(pilot, "an earlier chat")
        old = chat(pilot).conversation
        await settled(pilot)
        await pilot.press("f4")
        await wait_until(pilot, lambda: isinstance(app.screen, PricingBrowserScreen))
        await wait_until(pilot, lambda: browser(pilot).observed_loaded)
        history = [
            PointsEntry(e.query_id, e.bot_name, e.creation_time, e.cost_points)
            for e in fake_poe.state.history
        ]
        gpt5 = observed_costs(history)["gpt-5"]
        screen = browser(pilot)
        row = shown_ids(pilot).index("gpt-5")
        assert screen.cell_at(row, "observed") == f"{gpt5.average:,}"
        screen.query_one("#filter-text", Input).value = "claude-haiku"
        await pilot.pause()
        screen.query_one(DataTable).focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.pause()
        assert chat(pilot).conversation is not old and chat(pilot).conversation.bot == (
            "claude-haiku-4.5"
        )
        assert not chat(pilot).conversation.messages
        assert old.bot == "echo" and old.messages  # the earlier chat is untouched


async def test_palette_opens_the_browser(make_app: Callable[..., PoeApp]) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert any(c.title == "Pricing browser" for c in PALETTE_COMMANDS)
        labels = [str(hit.display) async for hit in ChatCommands(app.screen).discover()]
        assert "Pricing browser (f4)" in labels
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"pricing browser")
        await settled(pilot)  # the palette searches in a worker: its hits are listed
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, PricingBrowserScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert chat(pilot).conversation.bot == "echo"


# --- guards -----------------------------------------------------------------------------------


async def type_and_enter(pilot: Pilot[Any], text: str) -> PromptInput:
    """Submit `text`; the prompt, for what a guard left in it."""
    await submit(pilot, text)
    await pilot.pause()
    return chat(pilot).query_one(PromptInput)


async def test_expensive_bot_asks_first_cancel_keeps_the_text_confirm_sends(
    make_app: Callable[..., PoeApp],
    rich_server: FakePoeServer,
) -> None:
    app = make_app("veo-3", server=rich_server)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        prompt = await type_and_enter(pilot, "a cat on a skateboard")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        dialog = str(app.screen.query_one(".guard-warning", Static).render())
        assert "Veo-3 costs $1.60 per request." in dialog and "$0.10" in dialog
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert prompt.text == "a cat on a skateboard" and not chat(pilot).conversation.messages
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert prompt.text == "a cat on a skateboard" and not chat(pilot).conversation.messages
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        await pilot.press("y")
        await wait_until(pilot, lambda: len(chat(pilot).conversation.messages) == 2)
        assert chat(pilot).conversation.messages[0].text == "a cat on a skateboard"
        assert prompt.text == ""


async def test_a_second_enter_does_not_ask_or_send_twice(
    make_app: Callable[..., PoeApp], rich_server: FakePoeServer
) -> None:
    app = make_app("veo-3", server=rich_server)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        prompt = chat(pilot).query_one(PromptInput)
        prompt.load_text("just once")
        prompt.focus()
        # Both Enters reach the prompt before the question is on screen.
        prompt.post_message(PromptInput.Submitted(prompt, "just once"))
        prompt.post_message(PromptInput.Submitted(prompt, "just once"))
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        await pilot.pause()
        assert len(app.screen_stack) == 2
        await pilot.press("y")
        await wait_until(
            pilot, lambda: chat(pilot).job is None and bool(chat(pilot).conversation.messages)
        )
        await settled(pilot)
        assert [m.text for m in chat(pilot).conversation.messages if m.role == "user"] == [
            "just once"
        ]


async def test_dont_ask_again_holds_for_this_conversation_only(
    make_app: Callable[..., PoeApp],
    rich_server: FakePoeServer,
) -> None:
    app = make_app("veo-3", server=rich_server)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await type_and_enter(pilot, "first")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        await pilot.press("a")
        await wait_until(
            pilot, lambda: chat(pilot).job is None and chat(pilot).conversation.messages
        )
        await settled(pilot)
        await type_and_enter(pilot, "second")
        await wait_until(pilot, lambda: len(chat(pilot).conversation.messages) == 4)
        assert isinstance(app.screen, ChatScreen)
        await wait_until(pilot, lambda: chat(pilot).job is None)
        await chat(pilot).action_new_conversation()
        await type_and_enter(pilot, "in a new chat")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))


async def test_guards_can_be_turned_off(
    make_app: Callable[..., PoeApp], rich_server: FakePoeServer
) -> None:
    app = make_app("veo-3", server=rich_server, guard_request_usd=None)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await type_and_enter(pilot, "no questions")
        await wait_until(pilot, lambda: len(chat(pilot).conversation.messages) == 2)
        assert isinstance(app.screen, ChatScreen)


@pytest.fixture
def poor_server() -> Iterator[FakePoeServer]:
    with FakePoeServer(speed=0, balance=600) as server:
        yield server


async def test_low_balance_asks_first(
    make_app: Callable[..., PoeApp], poor_server: FakePoeServer
) -> None:
    app = make_app("echo", server=poor_server)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        prompt = await type_and_enter(pilot, "cheap but poor")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        dialog = str(app.screen.query_one(".guard-warning", Static).render())
        assert "Your balance is 600 points." in dialog and "1,000 points" in dialog
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert prompt.text == "cheap but poor"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmSendScreen))
        await pilot.press("enter")  # Enter presses the focused Send button
        await wait_until(pilot, lambda: len(chat(pilot).conversation.messages) == 2)


# --- out of points, in place ------------------------------------------------------------------


@pytest.mark.parametrize("transport", ["native", "openai"])
async def test_out_of_points_shows_the_balance_and_where_to_get_points(
    make_app: Callable[..., PoeApp], fake_poe: FakePoeServer, transport: str
) -> None:
    app = make_app("fail-points")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        chat(pilot).set_transport(transport)
        reply = await send(pilot, "please")
        await settled(pilot)
        assert reply.status is MessageStatus.FAILED
        balance = fake_poe.state.snapshot_balance()
        error = "\n".join(
            str(w.render()) for w in chat(pilot).query(".reply-error").results(Static)
        )
        assert "Out of points" in error
        assert f"Your balance is {balance:,} points." in error
        assert "https://poe.com/api/keys" in error
        assert chat(pilot).query_one(PromptInput).text == "please"  # the draft is back


async def test_a_zero_balance_fails_in_place_with_the_balance(
    make_app: Callable[..., PoeApp],
) -> None:
    with FakePoeServer(speed=0, balance=0) as broke:
        app = make_app("echo", server=broke, guard_low_balance_points=None)
        async with app.run_test(size=SIZE) as pilot:
            await settled(pilot)
            reply = await send(pilot, "anything")
            await settled(pilot)
            assert reply.status is MessageStatus.FAILED
            assert "Your balance is 0 points." in (reply.error_message or "")


# --- points per reply, per conversation, in the sidebar --------------------------------------


async def test_each_reply_shows_its_cost_and_the_chat_its_total(
    make_app: Callable[..., PoeApp], fake_poe: FakePoeServer
) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        total = chat(pilot).query_one("#chat-total", Static)
        assert not total.display  # nothing spent yet
        first = await send(pilot, "one")
        await wait_until(pilot, lambda: first.points is not None)
        first_bill = next(e for e in fake_poe.state.history if e.cost_points == first.points)
        second = await send(pilot, "two, a little longer this time")
        await wait_until(pilot, lambda: second.points is not None)
        assert first.points is not None and second.points is not None
        assert first_bill.bot_name == "Echo"
        assert total.display
        assert f"{first.points + second.points:,}" in str(total.render())
        footers = [str(w.render()) for w in chat(pilot).query(".reply-footer").results(Static)]
        assert f"{first.points:,} points" in footers[0]
        assert f"{second.points:,} points" in footers[1]
        await chat(pilot).action_new_conversation()
        await pilot.pause()
        assert not total.display  # a new chat has cost nothing


async def test_sidebar_shows_today_month_and_per_bot_spending(
    make_app: Callable[..., PoeApp], fake_poe: FakePoeServer
) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        reply = await send(pilot, "count me")
        await wait_until(pilot, lambda: reply.points is not None)
        await settled(pilot)
        sidebar = chat(pilot).query_one(BalanceSidebar)
        totals = str(sidebar.query_one("#spend-totals", Static).render())
        today_line = totals.splitlines()[0]
        assert today_line.startswith("Today")
        assert int(today_line.split()[-1].replace(",", "")) >= reply.points  # type: ignore[operator]
        entries = chat(pilot).accounting.ledger.entries
        top = summarize_by_bot(entries)[0]
        bars = str(sidebar.query_one("#bot-spend").render())
        assert bars.splitlines()[0].startswith(top.key[:8])


def test_observed_cost_is_beside_the_published_price() -> None:
    keys = list(COLUMN_KEYS)
    assert keys.index("observed") == keys.index("image") + 1


async def test_browser_keys_can_be_remapped(make_app: Callable[..., PoeApp]) -> None:
    keys = {"pricing_browser": "f9", "pricing_sort_reverse": "v"}
    app = make_app("echo", keybindings=keys)
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert not any("Unknown key binding" in n.message for n in app._notifications)
        await pilot.press("f4")  # no longer bound
        await pilot.pause()
        assert isinstance(app.screen, ChatScreen)
        await pilot.press("f9")
        await wait_until(pilot, lambda: isinstance(app.screen, PricingBrowserScreen))
        await pilot.press("v")
        assert browser(pilot).sort_key == "name" and browser(pilot).descending

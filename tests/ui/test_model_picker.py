"""The model picker: fuzzy search, keys, mouse, and the full real model list."""

from __future__ import annotations

from decimal import Decimal

from textual.app import App
from textual.widgets import Input, OptionList, Static

from poe_tui.core.models import ModelInfo, Pricing, parse_models
from poe_tui.ui.screens.model_picker import (
    ModelPickerScreen,
    fuzzy_match,
    search_models,
)
from tests.support.real_data import real_models_json

UNSET = object()


def make_model(
    model_id: str,
    name: str,
    owner: str,
    pricing: Pricing | None = None,
    context: int | None = None,
    description: str = "",
) -> ModelInfo:
    return ModelInfo(
        id=model_id,
        display_name=name,
        owned_by=owner,
        description=description,
        created_ms=None,
        input_modalities=("text", "image"),
        output_modalities=("text",),
        modality="text,image->text",
        context_length=context,
        max_output_tokens=64_000 if context else None,
        pricing=pricing,
        reasoning=None,
        supported_endpoints=(),
        supported_features=(),
        parameters=(),
    )


MODELS = [
    make_model(
        "gpt-5",
        "GPT-5",
        "OpenAI",
        Pricing(prompt=Decimal("0.00000125"), completion=Decimal("0.00001")),
        400_000,
        "OpenAI's flagship model.",
    ),
    make_model(
        "claude-sonnet-4.5",
        "Claude-Sonnet-4.5",
        "Anthropic",
        Pricing(prompt=Decimal("0.000003"), completion=Decimal("0.000015")),
        200_000,
        "Anthropic's balanced model.\n\nMore text that is not the first paragraph.",
    ),
    make_model("claude-opus-4.5", "Claude-Opus-4.5", "Anthropic", None, 200_000),
    make_model("echo", "Echo", "Poe", Pricing(request=Decimal(0)), None, "Says it back."),
    make_model("flux-pro", "FLUX-pro", "fal", Pricing(image=Decimal("0.04"))),
]


class PickerHost(App[None]):
    def __init__(self, models: list[ModelInfo], current: str | None = None) -> None:
        super().__init__()
        self.models = models
        self.current = current
        self.result: object = UNSET

    def on_mount(self) -> None:
        self.push_screen(ModelPickerScreen(self.models, self.current), self._picked)

    def _picked(self, model_id: str | None) -> None:
        self.result = model_id


def shown_rows(app: App[None]) -> list[str]:
    results = app.screen.query_one(OptionList)
    return [str(results.get_option_at_index(i).prompt) for i in range(results.option_count)]


def shown_ids(app: App[None]) -> list[str]:
    screen = app.screen
    assert isinstance(screen, ModelPickerScreen)
    return [match.model.id for match in screen._shown]


def detail_text(app: App[None]) -> str:
    parts = ("#detail-title", "#detail-description", "#detail-prices")
    return "\n".join(str(app.screen.query_one(part, Static).content) for part in parts)


# --- the matcher ------------------------------------------------------------------------


def test_fuzzy_match_prefers_word_starts_and_runs() -> None:
    assert fuzzy_match("xyz", "claude-sonnet-4.5") is None
    _, positions = fuzzy_match("cls45", "claude-sonnet-4.5") or (0, ())
    assert positions == (0, 1, 7, 14, 16)
    run = fuzzy_match("son", "claude-sonnet-4.5")
    scattered = fuzzy_match("son", "Assistant-of-note")
    assert run is not None and scattered is not None
    assert run[1] == (7, 8, 9)
    assert run[0] > scattered[0]


def test_search_matches_name_id_and_owner_best_first() -> None:
    assert search_models(MODELS, "cls45")[0].model.id == "claude-sonnet-4.5"
    assert [m.model.id for m in search_models(MODELS, "sonnet")] == ["claude-sonnet-4.5"]
    assert {m.model.id for m in search_models(MODELS, "anthropic")} == {
        "claude-sonnet-4.5",
        "claude-opus-4.5",
    }
    # Each word must match somewhere: the owner and the name together.
    assert [m.model.id for m in search_models(MODELS, "openai gpt")] == ["gpt-5"]
    assert search_models(MODELS, "qqq") == []
    assert [m.model.id for m in search_models(MODELS, "  ")] == [m.id for m in MODELS]


def test_matched_letters_are_remembered_for_highlighting() -> None:
    (match,) = search_models(MODELS, "opus")
    assert match.name_hits == frozenset({7, 8, 9, 10})
    (by_owner,) = search_models(MODELS, "fal")
    assert by_owner.owner_hits == frozenset({0, 1, 2})


# --- the screen -------------------------------------------------------------------------


async def test_typing_narrows_and_enter_returns_the_highlighted_id() -> None:
    app = PickerHost(MODELS, current="gpt-5")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert len(shown_rows(app)) == len(MODELS)
        await pilot.press(*"sonnet")
        assert shown_ids(app) == ["claude-sonnet-4.5"]
        assert "Anthropic's balanced model." in detail_text(app)
        assert "More text" not in detail_text(app)
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == "claude-sonnet-4.5"


async def test_up_and_down_move_while_typing() -> None:
    app = PickerHost(MODELS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"claude")
        # Equal matches: the shorter name first.
        assert shown_ids(app) == ["claude-opus-4.5", "claude-sonnet-4.5"]
        await pilot.press("down")
        assert app.screen.query_one(Input).has_focus
        assert "Claude-Sonnet-4.5" in detail_text(app)
        await pilot.press("up", "down", "enter")
        await pilot.pause()
    assert app.result == "claude-sonnet-4.5"


async def test_escape_returns_none() -> None:
    app = PickerHost(MODELS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"gpt", "escape")
        await pilot.pause()
    assert app.result is None


async def test_click_picks_a_model() -> None:
    app = PickerHost(MODELS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        # Rows start at the top of the (borderless) list: row 2 is the third model.
        await pilot.click("#results", offset=(5, 2))
        await pilot.pause()
    assert app.result == "claude-opus-4.5"


async def test_rows_show_price_context_modalities_and_current_marker() -> None:
    app = PickerHost(MODELS, current="claude-sonnet-4.5")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        rows = dict(zip(shown_ids(app), shown_rows(app), strict=True))
        assert "$1.25 in / $10.00 out per 1M" in rows["gpt-5"]
        assert "400k" in rows["gpt-5"]
        assert "text+img→text" in rows["gpt-5"]
        assert "unknown" in rows["claude-opus-4.5"]
        assert "free" in rows["echo"]
        assert "$0.04 /image" in rows["flux-pro"]
        assert rows["claude-sonnet-4.5"].startswith("●")
        assert not rows["gpt-5"].startswith("●")
        # The current model starts highlighted, with its details below.
        assert app.screen.query_one(OptionList).highlighted == 1
        detail = detail_text(app)
        assert "current" in detail
        assert "In $3.00/1M" in detail and "Out $15.00/1M" in detail
        assert "Max output 64k" in detail


async def test_no_match_shows_a_message_and_enter_does_nothing() -> None:
    app = PickerHost(MODELS)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"zzzz")
        empty = app.screen.query_one("#empty", Static)
        assert empty.display
        assert "No model matches “zzzz”" in str(empty.content)
        assert not app.screen.query_one(OptionList).display
        await pilot.press("enter")
        await pilot.pause()
        assert app.result is UNSET
        await pilot.press("backspace", "backspace", "backspace", "backspace")
        assert not empty.display
        assert len(shown_rows(app)) == len(MODELS)


async def test_works_with_the_real_360_model_list() -> None:
    models = parse_models(real_models_json())
    assert len(models) >= 300
    app = PickerHost(models, current="gpt-5")
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert len(shown_rows(app)) == len(models)
        await pilot.press(*"cls45")
        assert shown_ids(app)[0] == "claude-sonnet-4.5"
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == "claude-sonnet-4.5"


async def test_the_current_model_is_in_view_at_80_by_24(make_app) -> None:
    from tests.support.pilot import workers_done

    app = make_app("claude-sonnet-4.5")
    async with app.run_test(size=(80, 24)) as pilot:
        await workers_done(app)
        await pilot.press("f2")
        for _ in range(5):
            await pilot.pause(0.05)
        results = app.screen.query_one(OptionList)
        assert results.highlighted is not None
        top = int(results.scroll_y)
        assert top <= results.highlighted < top + results.scrollable_content_region.height

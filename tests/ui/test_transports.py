"""Transports per conversation, the parameter form, suggestion chips, replace_response,
thinking and plain-text replies: the app through Pilot against the local Poe server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widgets import Collapsible, Input, Select, Static, Switch

from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.core.transports.registry import Transport, spec_for
from poe_tui.fakepoe import FakePoeServer
from poe_tui.fakepoe.bots import REPLACE_DRAFT, REPLACE_FINAL, SUGGESTIONS, THINKING
from poe_tui.store.sqlite_store import SqliteStore
from poe_tui.ui.widgets.message_view import MessageView
from poe_tui.ui.widgets.parameter_form import ParameterForm
from poe_tui.ui.widgets.prompt_input import PromptInput
from poe_tui.ui.widgets.suggestion_chips import SuggestionChips
from tests.support.pilot import chat, reply_markdown, send, settled, wait_until

SIZE = (120, 35)


def form(pilot: Pilot[Any]) -> ParameterForm:
    return chat(pilot).query_one(ParameterForm)


def field_control(pilot: Pilot[Any], name: str) -> Any:
    """The control of parameter `name` in the sidebar's form."""
    parameters = form(pilot)._parameters
    return next(control for control, p in parameters.items() if p.name == name)


def field_error(pilot: Pilot[Any], name: str) -> Static:
    return field_control(pilot, name).parent.query_one(".param-error", Static)


def header(pilot: Pilot[Any]) -> str:
    return str(chat(pilot).query_one("#bot-header", Static).render())


def notes(app: App[Any]) -> list[str]:
    return [n.message for n in app._notifications]


def sent_parameters(fake_poe: FakePoeServer, bot: str) -> Any:
    return fake_poe.state.requests_to(f"/bot/{bot}")[-1].body["query"][-1].get("parameters")


async def click_visible(pilot: Pilot[Any], widget: Any) -> None:
    """Scroll the sidebar to `widget`, then click it as a person would."""
    widget.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    await pilot.click(widget)


async def ready(pilot: Pilot[Any]) -> None:
    """Models loaded and the parameter form built."""
    await settled(pilot)
    await wait_until(pilot, lambda: pilot.app.models is not None)  # type: ignore[attr-defined]
    await pilot.pause()


# --- transports ------------------------------------------------------------------------------


async def test_default_transport_is_native_and_shown(make_app, fake_poe) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        screen = chat(pilot)
        assert screen.conversation.transport == "native"
        assert "native API" in header(pilot)
        assert screen.query_one("#transport", Select).value == "native"
        before = len(fake_poe.state.requests_to("/bot/echo"))
        reply = await send(pilot, "hello native")
        assert reply.status is MessageStatus.COMPLETE
        assert len(fake_poe.state.requests_to("/bot/echo")) == before + 1
        assert screen.conversation.messages[-2].transport == "native"


async def test_openai_sends_the_parameters_best_effort(make_app, fake_poe) -> None:
    app = make_app("demo-params")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        chat(pilot).query_one("#transport", Select).value = "openai"
        await pilot.pause()
        assert chat(pilot).conversation.transport == "openai"
        assert "OpenAI-compatible API" in header(pilot)
        note = form(pilot).query_one("#param-note", Static)
        assert str(note.render()) == spec_for(Transport.OPENAI).parameters_note and note.display
        assert not form(pilot).query_one("#switch-native").display  # nothing is left out
        field_control(pilot, "style").value = "terse"
        await pilot.pause()
        before = len(fake_poe.state.requests_to("/v1/chat/completions"))
        await send(pilot, "over openai")
        sent = fake_poe.state.requests_to("/v1/chat/completions")
        assert len(sent) == before + 1
        assert sent[-1].extra == {"style": "terse"}  # the same as `ask --transport openai`


async def test_switch_button_when_the_door_leaves_parameters_out(make_app) -> None:
    app = make_app("claude-sonnet-4.5")  # declares web_search, which /v1/messages cannot carry
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.run_action("set_transport('anthropic')", chat(pilot))
        await pilot.pause()
        button = form(pilot).query_one("#switch-native")
        assert button.display
        await click_visible(pilot, button)
        await pilot.pause()
        assert chat(pilot).conversation.transport == "native"
        assert chat(pilot).query_one("#transport", Select).value == "native"
        assert not button.display
        assert {p.name for p in form(pilot)._parameters.values()} == {
            "thinking_budget",
            "web_search",
        }


async def test_anthropic_refused_for_gpt5(make_app) -> None:
    app = make_app("gpt-5")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        select = chat(pilot).query_one("#transport", Select)
        select.value = "anthropic"
        await pilot.pause()
        assert chat(pilot).conversation.transport == "native"
        assert select.value == "native"
        assert any("only serves Claude" in n for n in notes(app))
        await app.run_action("set_transport('anthropic')", chat(pilot))  # the palette's way
        assert chat(pilot).conversation.transport == "native"


async def test_anthropic_accepted_for_claude(make_app, fake_poe) -> None:
    app = make_app("claude-sonnet-4.5")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        await app.run_action("set_transport('anthropic')", chat(pilot))
        await pilot.pause()
        assert chat(pilot).conversation.transport == "anthropic"
        assert chat(pilot).query_one("#transport", Select).value == "anthropic"
        assert "Anthropic-compatible API" in header(pilot)
        note = str(form(pilot).query_one("#param-note", Static).render())
        assert note == spec_for(Transport.ANTHROPIC).parameters_note
        assert [p.name for p in form(pilot)._parameters.values()] == ["thinking_budget"]
        before = len(fake_poe.state.requests_to("/v1/messages"))
        reply = await send(pilot, "hello claude")
        assert reply.status is MessageStatus.COMPLETE, reply.error_message
        assert len(fake_poe.state.requests_to("/v1/messages")) == before + 1


def test_palette_lists_the_three_transports() -> None:
    from poe_tui.ui.app import PALETTE_COMMANDS

    titles = {c.title for c in PALETTE_COMMANDS}
    assert {
        "Transport: native",
        "Transport: OpenAI-compatible",
        "Transport: Anthropic-compatible",
    } <= titles


# --- the parameter form ------------------------------------------------------------------------


async def test_each_kind_of_parameter_and_the_values_arrive(make_app, fake_poe) -> None:
    app = make_app("demo-params")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        budget = field_control(pilot, "thinking_budget")
        assert isinstance(budget, Input) and budget.placeholder == "default 0"
        label = budget.parent.query_one(".param-label", Static)
        assert "(0–31999)" in str(label.render())
        assert isinstance(field_control(pilot, "web_search"), Switch)
        assert isinstance(field_control(pilot, "style"), Input)
        aspect = field_control(pilot, "aspect_ratio")
        assert isinstance(aspect, Select) and aspect.value == "1:1"
        budget.value = "2048"
        field_control(pilot, "web_search").value = True
        field_control(pilot, "style").value = "terse"
        aspect.value = "16:9"
        await pilot.pause()
        expected = {
            "thinking_budget": 2048,
            "web_search": True,
            "style": "terse",
            "aspect_ratio": "16:9",
        }
        assert chat(pilot).conversation.parameters == expected
        await send(pilot, "show me")
        assert sent_parameters(fake_poe, "demo-params") == expected
        assert chat(pilot).conversation.messages[-2].parameters == expected


async def test_defaults_are_not_sent_and_reset_clears(make_app, fake_poe) -> None:
    app = make_app("demo-params")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        switch = field_control(pilot, "web_search")
        switch.value = True
        await pilot.pause()
        switch.value = False  # back to the default: nothing to send
        field_control(pilot, "thinking_budget").value = "100"
        await pilot.pause()
        assert chat(pilot).conversation.parameters == {"thinking_budget": 100}
        await click_visible(pilot, form(pilot).query_one("#reset-params"))
        await pilot.pause()
        assert chat(pilot).conversation.parameters == {}
        assert field_control(pilot, "thinking_budget").value == ""
        await send(pilot, "defaults")
        assert not sent_parameters(fake_poe, "demo-params")


async def test_invalid_number_shows_inline_error_and_nothing_is_sent(make_app, fake_poe) -> None:
    app = make_app("demo-params")
    async with app.run_test(size=SIZE) as pilot:
        await ready(pilot)
        field_control(pilot, "thinking_budget").value = "50000"
        await pilot.pause()
        error = field_error(pilot, "thinking_budget")
        assert error.display and "from 0 to 31999" in str(error.render())
        assert "thinking_budget" not in chat(pilot).conversation.parameters
        before = len(fake_poe.state.requests_to("/bot/demo-params"))
        prompt = chat(pilot).query_one(PromptInput)
        prompt.load_text("not yet")
        prompt.focus()
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("thinking_budget" in n for n in notes(app)))
        await settled(pilot)  # the refusal is said; anything the key started has ended
        assert len(fake_poe.state.requests_to("/bot/demo-params")) == before
        assert not chat(pilot).conversation.messages
        assert prompt.text == "not yet"
        field_control(pilot, "thinking_budget").value = "3000"
        await pilot.pause()
        assert not error.display
        await send(pilot, "now")
        assert sent_parameters(fake_poe, "demo-params") == {"thinking_budget": 3000}


# --- suggestions, replace, thinking, plain text -------------------------------------------------


async def test_suggestion_chips_send_on_click_and_on_alt_1(make_app) -> None:
    app = make_app("demo-suggest")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "suggest something")
        assert reply.suggested_replies == list(SUGGESTIONS)
        screen = chat(pilot)
        chips = screen.query_one(SuggestionChips)
        assert chips.suggestions == list(SUGGESTIONS)
        await pilot.click(chips.query(".chip").last())
        await wait_until(
            pilot, lambda: screen.job is None and len(screen.conversation.messages) == 4
        )
        await pilot.pause()
        assert screen.conversation.messages[2].text == SUGGESTIONS[-1]
        assert chips not in screen.query(SuggestionChips)  # the old chips went away
        screen.query_one(PromptInput).focus()
        await pilot.press("alt+1")
        await wait_until(
            pilot, lambda: screen.job is None and len(screen.conversation.messages) == 6
        )
        assert screen.conversation.messages[4].text == SUGGESTIONS[0]


async def test_alt_1_does_nothing_while_the_prompt_has_text(make_app) -> None:
    app = make_app("demo-suggest")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "suggest")
        prompt = chat(pilot).query_one(PromptInput)
        prompt.load_text("draft")
        prompt.focus()
        await pilot.press("alt+1")  # handled when press returns; a send it began runs on
        await settled(pilot)
        assert len(chat(pilot).conversation.messages) == 2


async def test_replace_response_shows_only_the_replacement(make_app) -> None:
    app = make_app("demo-replace")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "replace it")
        assert reply.text == REPLACE_FINAL
        view = chat(pilot).query(MessageView).last()
        shown = reply_markdown(view)
        assert shown.strip() == REPLACE_FINAL
        assert REPLACE_DRAFT not in shown


async def test_thinking_is_collapsed_and_apart_from_the_answer(make_app) -> None:
    app = make_app("demo-thinking")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "what is (2+2)*10?")
        assert reply.thinking == THINKING
        view = chat(pilot).query(MessageView).last()
        box = view.query_one(".thinking", Collapsible)
        assert box.display and box.collapsed
        assert box.title == f"Thinking ({len(THINKING.split())} words)"
        assert str(box.query_one(".thinking-body", Static).render()) == THINKING
        body = view.query_one(".reply-body", Static)
        assert "step by step" not in reply_markdown(view) and "40" in reply_markdown(view)
        assert list(view.children).index(box) < list(view.children).index(body)
        await pilot.click(box.query_one("CollapsibleTitle"))
        await pilot.pause()
        assert not box.collapsed


class OneMessage(App[None]):
    def __init__(self, message: Message) -> None:
        super().__init__()
        self.message = message

    def compose(self) -> ComposeResult:
        yield MessageView(self.message)


async def test_plain_text_reply_is_not_markdown() -> None:
    message = Message(role="assistant", text="**not bold** _here_", bot="echo", plain_text=True)
    app = OneMessage(message)
    async with app.run_test() as pilot:
        await pilot.pause()
        prose = app.query_one(".reply-prose", Static)
        assert str(prose.render()) == "**not bold** _here_"


async def test_plain_text_while_streaming_swaps_the_live_markdown() -> None:
    message = Message(role="assistant", text="", bot="echo", status=MessageStatus.STREAMING)
    app = OneMessage(message)
    async with app.run_test() as pilot:
        view = app.query_one(MessageView)
        message.plain_text = True
        message.text = "# not a heading"
        await view.flush()
        await pilot.pause()
        assert not view.query(".reply-body")
        assert str(view.query_one(".reply-plain", Static).render()) == "# not a heading"
        message.status = MessageStatus.COMPLETE
        await view.sync()
        await view.freeze()
        assert str(view.query_one(".reply-plain", Static).render()) == "# not a heading"


# --- the store keeps them ----------------------------------------------------------------------


def test_store_keeps_transport_and_parameters(tmp_path: Path) -> None:
    with SqliteStore(tmp_path / "chats.db") as store:
        conversation = Conversation(bot="demo-params", transport="openai")
        conversation.parameters = {"thinking_budget": 2048}
        conversation.add_user_message("hi")
        store.save(conversation)
    with SqliteStore(tmp_path / "chats.db") as store:
        loaded = store.load(conversation.id)
    assert loaded.transport == "openai"
    assert loaded.parameters == {"thinking_budget": 2048}
    assert loaded.messages[0].transport == "openai"
    assert loaded.messages[0].parameters == {"thinking_budget": 2048}


async def test_chips_show_bot_text_literally_even_when_it_looks_like_markup() -> None:
    class ChipsHost(App[None]):
        def compose(self) -> ComposeResult:
            yield SuggestionChips(["What is a [/i] tag?", "[@click=app.quit]Quit[/]"], ["alt+1"])

    app = ChipsHost()
    async with app.run_test() as pilot:  # a markup label would fail to mount here
        labels = [str(chip.label) for chip in app.query(".chip")]
        assert labels == ["alt+1  What is a [/i] tag?", "[@click=app.quit]Quit[/]"]
        await pilot.click(list(app.query(".chip"))[1])
        await pilot.pause()
        assert app.is_running  # the "[@click=app.quit]" text did not become an action

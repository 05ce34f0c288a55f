"""The chat app through Textual's Pilot, against a real local Poe server over loopback."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Markdown, OptionList, Static

from poe_tui.config import Settings, load_settings, save_settings
from poe_tui.core.apikey import ApiKey
from poe_tui.core.conversation import Conversation, Message, MessageStatus
from poe_tui.store import SqliteStore
from poe_tui.ui.app import PALETTE_COMMANDS, ChatCommands, PoeApp
from poe_tui.ui.screens.chat import ChatScreen
from poe_tui.ui.widgets.balance_sidebar import BalanceSidebar
from poe_tui.ui.widgets.conversation_list import ConversationList
from poe_tui.ui.widgets.conversation_view import WINDOW, ConversationView
from poe_tui.ui.widgets.message_view import (
    MessageView,
    ThemedMarkdown,
    seal_point,
    split_code_blocks,
)
from poe_tui.ui.widgets.prompt_input import PromptInput
from tests.support.pilot import (
    chat,
    reply_markdown,
    screen_text,
    send,
    settled,
    text_of,
    wait_until,
)

SIZE = (120, 35)


@pytest.fixture
def config_file(isolated_home: Path) -> Path:
    return isolated_home / "config.toml"


def sidebar_text(screen: ChatScreen) -> str:
    return "\n".join(text_of(w) for w in screen.query_one(BalanceSidebar).query(Static))


# --- sending, streaming, balance ----------------------------------------------------------


async def test_send_streams_reply_and_balance_drops(make_app, fake_poe) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        chat(pilot).set_transport("openai")  # token counts come with the OpenAI API only
        before = fake_poe.state.snapshot_balance()
        reply = await send(pilot, "hello there")
        assert reply.status is MessageStatus.COMPLETE
        assert reply.text.startswith("You said: hello there")
        await settled(pilot)
        after = fake_poe.state.snapshot_balance()
        assert after < before
        assert f"{after:,}" in sidebar_text(chat(pilot)) or str(after) in sidebar_text(chat(pilot))
        assert reply.points == before - after
        footer = screen_text(chat(pilot), ".reply-footer")
        assert "echo" in footer and "tokens" in footer and f"{reply.points} points" in footer


async def test_escape_cancels_and_keeps_partial_text(make_app) -> None:
    app = make_app("slow-echo")
    async with app.run_test(size=SIZE) as pilot:
        prompt = " ".join(f"word{i}" for i in range(40))
        reply = await send(pilot, prompt, wait=False)
        await wait_until(pilot, lambda: len(reply.text) > 10)
        await pilot.press("escape")
        await wait_until(pilot, lambda: chat(pilot).job is None)
        assert reply.status is MessageStatus.STOPPED
        assert 0 < len(reply.text) < len(prompt)
        await settled(pilot)  # a worker still streaming would finish the reply first
        assert reply.status is MessageStatus.STOPPED  # the worker is really gone
        assert "stopped" in screen_text(chat(pilot), ".reply-footer")
        assert chat(pilot).query_one(PromptInput).text == prompt  # the draft comes back
        await pilot.press("ctrl+r")  # asking again takes it back: Enter must not resend it
        await wait_until(pilot, lambda: chat(pilot).job is not None)
        assert chat(pilot).query_one(PromptInput).text == ""
        await pilot.press("escape")
        await wait_until(pilot, lambda: chat(pilot).job is None)


async def test_sending_while_streaming_is_refused_and_keeps_text(make_app, gate) -> None:
    app = make_app("slow-echo")  # held after its first words until the gate opens
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "one two three four five six seven eight", wait=False)
        await wait_until(pilot, lambda: bool(chat(pilot).conversation.messages[-1].text))
        await pilot.press(*"next", "enter")  # typing works while the reply streams
        await pilot.pause()
        assert chat(pilot).query_one(PromptInput).text == "next"
        assert len(chat(pilot).conversation.messages) == 2
        assert any("still arriving" in n.message for n in app._notifications)
        await pilot.press("escape")


# --- failures in place, retry, draft ---------------------------------------------------------


@pytest.mark.parametrize(
    ("bot", "words"),
    [
        ("fail-auth", ["Bad API key", "poe-tui key set"]),
        ("fail-points", ["Out of points", "used up your points"]),
        ("fail-notfound", ["Bot not found", "not found"]),
        ("fail-ratelimit", ["Rate limited", "Wait 7 s"]),
        ("fail-server", ["Server error", "try again"]),
        ("fail-overloaded", ["Server error", "overloaded"]),
        ("fail-midstream", ["Server error", "stopped unexpectedly"]),
        ("fail-drop", ["Connection problem", "lost"]),
    ],
)
async def test_each_failure_is_explained_in_place(make_app, bot: str, words: list[str]) -> None:
    app = make_app(bot)
    async with app.run_test(size=SIZE) as pilot:
        # These are the OpenAI-compatible error shapes (the native ones differ in detail).
        chat(pilot).set_transport("openai")
        reply = await send(pilot, "hi")
        assert reply.status is MessageStatus.FAILED
        error = screen_text(chat(pilot), ".reply-error")
        for word in words:
            assert word in error
        assert chat(pilot).query_one(".retry").display
        if bot in ("fail-midstream", "fail-drop"):
            assert reply.text  # what arrived before the failure is kept
        await send(pilot, "still works?")  # the app keeps working afterwards


async def test_failure_before_any_text_restores_the_draft(make_app) -> None:
    app = make_app("fail-server")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "my precious draft")
        assert chat(pilot).query_one(PromptInput).text == "my precious draft"


async def test_resending_replaces_an_empty_failed_turn(make_app) -> None:
    app = make_app("fail-server")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "try once")
        chat(pilot).use_bot("echo")
        chat(pilot).query_one(PromptInput).clear_prompt()
        await send(pilot, "try once")
        messages = chat(pilot).conversation.messages
        assert [m.role for m in messages] == ["user", "assistant"]
        assert messages[1].status is MessageStatus.COMPLETE
        # Gone from the history too, not kept as an older version of the turn.
        store, conversation_id = app.store, chat(pilot).conversation.id
        assert store.branch_positions(conversation_id) == {}
        assert [m.id for m in store.load(conversation_id).messages] == [m.id for m in messages]


async def test_retry_reruns_the_failed_reply(make_app) -> None:
    app = make_app("fail-server")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "please work")
        assert reply.status is MessageStatus.FAILED
        chat(pilot).use_bot("echo")
        await pilot.press("ctrl+r")
        await wait_until(pilot, lambda: reply.status is MessageStatus.COMPLETE)
        await wait_until(pilot, lambda: chat(pilot).job is None)
        assert reply.text.startswith("You said: please work")
        assert not chat(pilot).query(".reply-error")
        assert len(chat(pilot).conversation.messages) == 2


async def test_retry_button_reruns_the_reply(make_app) -> None:
    app = make_app("fail-midstream")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "again")
        chat(pilot).use_bot("echo")
        await pilot.click(".retry")
        await wait_until(pilot, lambda: reply.status is MessageStatus.COMPLETE)


# --- the bot ------------------------------------------------------------------------------


async def test_model_picker_switches_bot_and_saves_default(make_app, config_file) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.press("f2")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen))
        app.screen.dismiss("gpt-5")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.pause()
        screen = chat(pilot)
        assert screen.conversation.bot == "gpt-5"
        assert "GPT-5" in text_of(screen.query_one("#bot-header", Static))
        assert load_settings(config_file).default_bot == "gpt-5"
        reply = await send(pilot, "hi")
        assert reply.bot == "gpt-5" and reply.status is MessageStatus.COMPLETE


async def test_clicking_the_header_opens_the_picker(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        await pilot.click("#bot-header")
        await wait_until(pilot, lambda: not isinstance(app.screen, ChatScreen))
        app.screen.dismiss(None)
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        assert chat(pilot).conversation.bot == "echo"


# --- the prompt ----------------------------------------------------------------------------


async def test_prompt_history_walks_with_up_and_down(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first")
        await send(pilot, "second")
        prompt = chat(pilot).query_one(PromptInput)
        await pilot.press("up")
        assert prompt.text == "second"
        await pilot.press("up")
        assert prompt.text == "first"
        await pilot.press("down")
        assert prompt.text == "second"
        await pilot.press("down")
        assert prompt.text == ""


async def test_ctrl_j_and_alt_enter_insert_newlines(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        chat(pilot).query_one(PromptInput).focus()
        await pilot.press("a", "ctrl+j", "b", "alt+enter", "c")
        assert chat(pilot).query_one(PromptInput).text == "a\nb\nc"
        assert not chat(pilot).conversation.messages
        await pilot.press("enter")
        await wait_until(pilot, lambda: len(chat(pilot).conversation.messages) == 2)
        assert chat(pilot).conversation.messages[0].text == "a\nb\nc"


async def test_fast_typing_then_enter_sends_everything(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        chat(pilot).query_one(PromptInput).focus()
        await pilot.press(*"burst", "enter")  # no pause between keys, like a paste
        await wait_until(pilot, lambda: len(chat(pilot).conversation.messages) == 2)
        assert chat(pilot).conversation.messages[0].text == "burst"


# --- layout --------------------------------------------------------------------------------


async def test_sidebar_toggles_and_remembers(make_app, config_file) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        sidebar = chat(pilot).query_one(BalanceSidebar)
        assert sidebar.display
        await pilot.press("ctrl+b")
        assert not sidebar.display
        assert load_settings(config_file).show_sidebar is False
        await pilot.press("ctrl+b")
        assert sidebar.display


async def test_narrow_terminal_keeps_prompt_and_conversation(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = chat(pilot)
        assert not screen.query_one(BalanceSidebar).display
        await send(pilot, "narrow")
        for widget in (screen.query_one(PromptInput), screen.query_one(ConversationView)):
            assert widget.region.width >= 50 and widget.region.height >= 3
        assert screen.query_one(ConversationList).region.width <= 22
        await pilot.press("ctrl+b")  # still reachable on demand
        assert screen.query_one(BalanceSidebar).display


# --- conversations -------------------------------------------------------------------------


async def test_new_conversation_and_switching_back(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "first topic")
        first = chat(pilot).conversation
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert chat(pilot).conversation is not first
        assert not chat(pilot).query(MessageView)
        await send(pilot, "second topic")
        options = chat(pilot).query_one(OptionList)
        titles = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert titles[0].startswith("second topic") and titles[1].startswith("first topic")
        options.focus()
        options.highlighted = 1
        await pilot.press("enter")
        await wait_until(pilot, lambda: chat(pilot).conversation is first)
        shown = screen_text(chat(pilot), ".user-text")
        assert "first topic" in shown and "second topic" not in shown


async def test_long_conversations_mount_only_the_newest_messages(make_app) -> None:
    store = SqliteStore.in_memory()
    conversation = Conversation(bot="echo")
    for i in range(40):
        conversation.add_user_message(f"question {i}")
        conversation.messages.append(Message("assistant", f"answer {i}", "echo"))
    store.save(conversation)
    app = make_app("echo", store=store)
    async with app.run_test(size=SIZE) as pilot:
        await chat(pilot).open_conversation(conversation)
        view = chat(pilot).query_one(ConversationView)
        # One-line messages: pages come in until the pane can scroll, no more.
        await wait_until(pilot, lambda: view.max_scroll_y > 0)
        mounted = len(view.query_children(MessageView))
        assert WINDOW <= mounted < len(conversation.messages)
        assert view.query("#show-earlier")
        view.scroll_home(animate=False)  # reaching the top pages older ones in
        await wait_until(pilot, lambda: len(view.query_children(MessageView)) > mounted)
        await wait_until(pilot, lambda: view.scroll_y > 0)  # the reader stays where they were


# --- reading while a reply streams ---------------------------------------------------------


async def test_scrolling_up_during_a_stream_is_not_undone(make_app) -> None:
    app = make_app("slow-echo")
    async with app.run_test(size=(70, 16)) as pilot:
        for i in range(3):
            chat(pilot).conversation.add_user_message(f"older question {i}\n" * 4)
        await chat(pilot).open_conversation(chat(pilot).conversation)
        view = chat(pilot).query_one(ConversationView)
        reply = await send(pilot, " ".join(f"w{i}" for i in range(60)), wait=False)
        await wait_until(pilot, lambda: len(reply.text) > 20)
        await wait_until(pilot, lambda: view.max_scroll_y > 5)
        view.scroll_home(animate=False)  # what the mouse wheel and PageUp do
        await pilot.pause()

        def drawn() -> int:
            reply_view = view.view_for(reply)
            return len(reply_markdown(reply_view)) if reply_view else 0

        shown_before = drawn()
        await wait_until(pilot, lambda: drawn() > shown_before + 30)
        grown = drawn()
        await wait_until(pilot, lambda: drawn() > grown)  # a flush later: any yank is done
        assert view.scroll_y == 0  # not yanked back to the bottom
        view.scroll_end(animate=False)  # back at the bottom: following again
        await pilot.pause()
        await wait_until(pilot, lambda: chat(pilot).job is None)
        await wait_until(pilot, lambda: view.scroll_y == view.max_scroll_y)


async def test_a_reply_is_followed_while_at_the_bottom(make_app) -> None:
    app = make_app("slow-echo")
    async with app.run_test(size=(70, 16)) as pilot:
        view = chat(pilot).query_one(ConversationView)
        await send(pilot, " ".join(f"w{i}" for i in range(50)))
        await wait_until(pilot, lambda: view.max_scroll_y > 0)
        await wait_until(pilot, lambda: view.scroll_y == view.max_scroll_y)


# --- code blocks ---------------------------------------------------------------------------


async def test_ctrl_y_copies_the_last_code_block(make_app) -> None:
    app = make_app("demo-showcase")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "show me")
        await pilot.press("ctrl+y")
        assert app.clipboard.startswith("# Ask one question")
        last_block = [s for s in split_code_blocks(reply.text) if s.kind == "code"][-1]
        assert app.clipboard == last_block.text
        assert any("OSC 52" in n.message and "tmux" in n.message for n in app._notifications)


async def test_clicking_a_code_block_copies_it(make_app) -> None:
    app = make_app("demo-showcase")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "show me")
        fence = chat(pilot).query(".reply-code").first()
        fence.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(fence)
        assert app.clipboard.startswith("from openai import OpenAI")
        # Older (finished) replies' code blocks copy on click too.
        await send(pilot, "again")
        old = chat(pilot).query(MessageView).results(MessageView)
        snapshot = next(v for v in old if v.is_reply and not v.is_live)
        block = snapshot.query(".reply-code").first()
        app.copy_to_clipboard("")
        block.scroll_visible(animate=False)
        await pilot.pause()
        await pilot.click(block)
        assert app.clipboard.startswith("from openai import OpenAI")


async def test_finished_replies_become_cheap_snapshots(make_app) -> None:
    app = make_app("demo-showcase")
    async with app.run_test(size=SIZE) as pilot:
        await send(pilot, "one")
        await send(pilot, "two")
        views = [v for v in chat(pilot).query(MessageView).results(MessageView) if v.is_reply]
        older, newest = views
        assert newest.is_live and not older.is_live
        # Rendered Markdown in Statics, not Textual's Markdown (a widget per block). How
        # many Statics depends on how the stream's flushes sealed it, so no count here.
        assert not older.query(Markdown)
        assert list(older.query(".reply-prose").results(Static))
        app.theme = "textual-light"  # snapshots re-render in the new colours
        await pilot.pause()
        assert older.query(".reply-prose") and older.query(".reply-code")


# --- palette, keys, theme, key setup --------------------------------------------------------


async def test_palette_lists_every_chat_action(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        provider = ChatCommands(app.screen)
        labels = [str(hit.display) async for hit in provider.discover()]
        for command in PALETTE_COMMANDS:
            assert any(label.startswith(command.title) for label in labels)
        assert any("New conversation (^n)" in label for label in labels)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"toggle sidebar")
        await settled(pilot)  # the palette searches in a worker: its hits are listed
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await pilot.pause()
        assert not chat(pilot).query_one(BalanceSidebar).display


async def test_keymap_from_settings_remaps_keys(make_app) -> None:
    settings = Settings(
        default_bot="echo", keybindings={"toggle_sidebar": "f9", "send_message": "ctrl+s"}
    )
    app = make_app(settings=settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = chat(pilot)
        await pilot.press("ctrl+b")
        assert screen.query_one(BalanceSidebar).display
        await pilot.press("f9")
        assert not screen.query_one(BalanceSidebar).display
        screen.query_one(PromptInput).focus()
        await pilot.press("a", "enter", "b")
        assert screen.query_one(PromptInput).text == "a\nb"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: len(screen.conversation.messages) == 2)
        assert screen.conversation.messages[0].text == "a\nb"


async def test_theme_comes_from_settings_and_changes_are_saved(make_app, config_file) -> None:
    save_settings(Settings(theme="nord"), config_file)
    app = make_app(settings=load_settings(config_file))
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "nord"
        app.theme = "gruvbox"
        await pilot.pause()
        assert load_settings(config_file).theme == "gruvbox"


async def test_no_key_asks_for_one_first(make_app) -> None:
    app = make_app(api_key=None, keyring_problem="No OS keyring is available here.")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        from poe_tui.ui.screens.key_setup import KeySetupScreen

        assert isinstance(app.screen, KeySetupScreen)
        app.screen.dismiss(ApiKey("test-key"))
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen))
        await wait_until(pilot, lambda: app.client.api_key == ApiKey("test-key"))
        reply = await send(pilot, "now with a key")
        assert reply.status is MessageStatus.COMPLETE


async def test_a_broken_config_is_reported_not_fatal(make_app) -> None:
    app = make_app(config_problem="config.toml: 'ui.theme' should be a string.")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert any("ui.theme" in n.message for n in app._notifications)
        reply = await send(pilot, "still fine")
        assert reply.status is MessageStatus.COMPLETE


async def test_unreachable_server_is_a_notification_not_a_crash(make_app) -> None:
    app = make_app("echo", base_url="http://127.0.0.1:9")
    async with app.run_test(size=SIZE) as pilot:
        await settled(pilot)
        assert any("Connection" in (n.title + n.message) for n in app._notifications)
        reply = await send(pilot, "anyone there?")
        assert reply.status is MessageStatus.FAILED
        assert "Connection problem" in screen_text(chat(pilot), ".reply-error")


# --- launch ------------------------------------------------------------------------------


@pytest.fixture
def captured_apps(monkeypatch: pytest.MonkeyPatch) -> list[PoeApp]:
    """Apps that `run_app` built, instead of running them."""
    apps: list[PoeApp] = []

    def fake_run(self: PoeApp) -> None:
        apps.append(self)

    monkeypatch.setattr(PoeApp, "run", fake_run)
    return apps


def test_demo_launch_uses_the_local_server(isolated_home, captured_apps) -> None:
    from poe_tui.runtime import DEMO_KEY
    from poe_tui.ui.launch import run_app

    run_app(demo=True, base_url=None)
    (app,) = captured_apps
    assert app.demo and app.api_key == ApiKey(DEMO_KEY)
    assert app.settings.default_bot == "demo-showcase"
    assert app.base_url.startswith("http://127.0.0.1:")


def test_launch_with_key_in_environment_and_broken_config(
    isolated_home, captured_apps, monkeypatch
) -> None:
    from poe_tui.config import config_path
    from poe_tui.ui.launch import run_app

    config_path().write_text("[ui]\ntheme = 3\n", encoding="utf-8")
    monkeypatch.setenv("POE_API_KEY", "env-key")
    run_app(demo=False, base_url="http://127.0.0.1:1")
    (app,) = captured_apps
    assert app.api_key == ApiKey("env-key")  # no key setup screen for this run
    assert app.base_url == "http://127.0.0.1:1"
    assert app.config_problem is not None and "ui.theme" in app.config_problem
    assert app.settings == Settings()


# --- long replies ----------------------------------------------------------------------------


def test_seal_point_cuts_between_top_level_blocks() -> None:
    text = "# Title\n\npara one\n\n```python\nx = 1\n\ny = 2\n```\n\n- a\n- b\n\ntail"
    cut = seal_point(text, keep=4)
    assert text[cut:] == "tail"
    cut = seal_point(text, keep=len("- a\n- b\n\ntail") + 1)
    assert text[cut:].startswith("```python")  # never inside the fence
    assert seal_point("just one paragraph", keep=3) == 0


async def test_a_long_reply_keeps_only_its_tail_live(make_app) -> None:
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        paragraphs = [f"Paragraph {i}: " + "lorem ipsum dolor " * 8 + "." for i in range(60)]
        reply = await send(pilot, "\n\n".join(paragraphs))
        assert reply.status is MessageStatus.COMPLETE
        view = chat(pilot).query(MessageView).results(MessageView)
        live = next(v for v in view if v.is_reply)
        assert live.is_live
        sealed = live.query(".reply-prose")
        assert sealed, "the head of a long live reply is sealed into cheap widgets"
        tail = live.query_one(".reply-body", Static).content
        assert isinstance(tail, ThemedMarkdown)  # only the last block stays live
        assert "Attachments" in tail.markdown.markup and "Paragraph" not in tail.markdown.markup
        head = sealed.first(Static).content
        assert isinstance(head, ThemedMarkdown) and "Paragraph 0:" in head.markdown.markup


async def test_a_growing_reply_costs_one_layout_a_flush(make_app) -> None:
    """Issue 9: Textual lays the screen out again when a widget's virtual size changes;
    the reply's widgets opt out, so a flush that grows the reply is one layout, not two
    or three (each a full reflow and paint of the screen)."""
    app = make_app("echo")
    async with app.run_test(size=SIZE) as pilot:
        reply = await send(pilot, "first words")
        screen = chat(pilot)
        view = next(v for v in screen.query(MessageView).results(MessageView) if v.is_reply)
        await settled(pilot)
        height = view.size.height
        layouts: list[object] = []
        screen.screen_layout_refresh_signal.subscribe(screen, layouts.append, immediate=True)
        for _ in range(3):
            reply.text += "\n\nanother paragraph of words"
            await view.flush()
            for _ in range(5):  # several frames: any second layout would show up here
                await pilot.pause()
        assert view.size.height > height  # the reply did grow on screen
        assert len(layouts) == 3

"""Hostile bot text never drives the terminal: the app and `ask` in a real terminal (tmux),
and `ask` into a pipe, which must stay byte-exact.

tmux itself is the witness: with `set-clipboard on` a raw OSC 52 lands in a paste
buffer, a raw OSC 0/2 changes `#{pane_title}`, a raw BEL sets `#{window_bell_flag}` (the
session is never attached, so every bell counts), and a raw clear-screen or cursor move
would wreck the app's layout on the pane.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.launch_with_hooks import HOSTILE_TEXT
from tests.support.paths import LAUNCHER
from tests.support.tmux import Tmux, choose_bot, isolated_env, require_tmux, wait_exit, wait_for

HOSTILE_ENV = {"POE_TUI_TEST_HOSTILE": "1"}
CLEANED = "clipboard title bell clearscreen red link abcXYZ overwrite"


@pytest.fixture
def witness(tmp_path: Path) -> Iterator[Tmux]:
    session = Tmux(require_tmux(), tmp_path)
    session.env |= HOSTILE_ENV
    with session.config.open("a") as config:
        config.write("set -g set-clipboard on\nset -g monitor-bell on\n")
    try:
        yield session
    finally:
        session.kill()


def terminal_state(tmux: Tmux) -> tuple[str, str, str]:
    """(paste buffers, pane title, bell flag) as tmux saw them."""
    buffers = tmux.run("list-buffers")
    shown = tmux.run("display", "-p", "-t", "main", "#{pane_title}\t#{window_bell_flag}")
    title, bell = shown.rstrip("\n").split("\t")
    return buffers, title, bell


def assert_terminal_untouched(tmux: Tmux, title_before: str) -> None:
    buffers, title, bell = terminal_state(tmux)
    assert buffers == "", f"a clipboard write reached tmux: {buffers!r}"
    assert "PWNED" not in title and title == title_before, title
    assert bell == "0", "a bell reached the terminal"


@pytest.mark.tmux
def test_hostile_reply_in_the_app(witness: Tmux) -> None:
    tmux = witness
    tmux.start([sys.executable, str(LAUNCHER), "--demo"])
    wait_for(tmux, "the first screen", lambda s: "Message Demo-Showcase" in s)
    title_before = terminal_state(tmux)[1]
    choose_bot(tmux, "echo", "Echo")
    tmux.keys("say something nasty", literal=True)
    tmux.keys("Enter")
    screen = wait_for(
        tmux,
        "the whole hostile reply and its file",
        lambda s: "End of hostile reply" in s and "echo · " in s and "ture\\u0007.png" in s,
    )
    # The app is intact: header, the prompt and the reply's own lines where they belong
    # (a raw clear-screen would have blanked them, a cursor move scattered them).
    assert "Start of hostile reply" in screen and "Echo · native API" in screen
    assert "Message Echo" in screen
    # The sequences are gone, not obeyed; BS and CR did not act.
    assert CLEANED in screen
    assert "HACKED" not in screen  # (the file row shows its name escaped, PWNED and all)
    assert_terminal_untouched(tmux, title_before)

    tmux.keys("C-q")
    code = wait_exit(tmux)
    assert code == 0, tmux.everything()[-4000:]
    assert_terminal_untouched(tmux, title_before)


@pytest.mark.tmux
def test_hostile_reply_from_ask_in_a_terminal(witness: Tmux) -> None:
    tmux = witness
    command = [sys.executable, str(LAUNCHER), "ask", "--demo", "--show-thinking", "-b", "echo"]
    tmux.start([*command, "hi"])
    assert wait_exit(tmux) == 0
    output = tmux.everything()
    assert "Start of hostile reply" in output and "End of hostile reply" in output
    assert CLEANED in output
    assert "[file: picture.png]" in output
    assert "Traceback" not in output
    assert_terminal_untouched(tmux, terminal_state(tmux)[1])


def test_hostile_reply_from_ask_into_a_pipe_is_byte_exact(tmp_path: Path) -> None:
    env = isolated_env(tmp_path) | HOSTILE_ENV
    done = subprocess.run(
        [sys.executable, str(LAUNCHER), "ask", "--demo", "--show-thinking", "-b", "echo", "hi"],
        env=env,
        capture_output=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(HOSTILE_TEXT.encode())  # every byte, escapes included
    assert b"\n[file: pic\x1b]2;PWNED-TITLE\x07ture\x07.png] http" in done.stdout
    assert f"thinking {HOSTILE_TEXT}".encode() in done.stderr  # --show-thinking, piped


# --- text from elsewhere that the app shows: names, titles, notifications -------------

ESCAPES = "\x1b]52;c;SEFDS0VE\x07\x1b[2J\x07\x08\r"


def test_model_names_from_the_server_are_cleaned_and_a_bad_id_skipped() -> None:
    from poe_tui.core.models import parse_models

    entry = {
        "id": "gpt-x",
        "owned_by": f"Open{ESCAPES}AI",
        "metadata": {"display_name": "G\x07P\x1b[1mT"},
    }
    (model,) = parse_models({"data": [entry]})
    assert (model.owned_by, model.display_name) == ("OpenAI", "GPT")
    skipped = parse_models({"data": [{"id": f"gpt{ESCAPES}"}]})
    assert list(skipped) == [] and "not a bot name" in skipped.skipped[0]


def test_points_history_names_are_cleaned_but_the_cursor_kept() -> None:
    from poe_tui.core.usage import parse_points_page

    raw = {"query_id": "q\x1b1", "bot_name": f"Bot{ESCAPES}", "chat_name": f"Chat{ESCAPES}"}
    raw |= {"creation_time": 1, "cost_points": 2}
    (entry,) = parse_points_page({"data": [raw]}).entries
    assert (entry.bot_name, entry.chat_name, entry.query_id) == ("Bot", "Chat", "q\x1b1")


def test_titles_never_hold_control_characters() -> None:
    from poe_tui.core.conversation import Conversation
    from poe_tui.store import SqliteStore
    from poe_tui.store.export import from_json, to_json

    conversation = Conversation(bot="echo")
    conversation.add_user_message(f"hello{ESCAPES} there")
    assert conversation.title == "hello there"
    assert conversation.messages[0].text == f"hello{ESCAPES} there"  # the prompt stays raw

    conversation.title = f"imported{ESCAPES}"
    assert from_json(to_json(conversation)).title == "imported"

    with SqliteStore.in_memory() as store:
        store.save(conversation)
        store.rename(conversation.id, f"re{ESCAPES}named")
        (summary,) = store.summaries()
        assert summary.title == "renamed"


async def test_notifications_lose_control_characters(isolated_home) -> None:
    from poe_tui.config import Settings
    from poe_tui.ui.app import PoeApp

    app = PoeApp(base_url="http://127.0.0.1:9", api_key=None, settings=Settings())
    async with app.run_test() as pilot:
        app.screen.notify(f"file{ESCAPES}.png saved", title=f"Sa{ESCAPES}ve", markup=False)
        await pilot.pause()
        assert any((n.message, n.title) == ("file.png saved", "Save") for n in app._notifications)


def test_parameter_names_and_choices_are_shown_clean() -> None:
    """Parameters are written by each bot's author (private bots too)."""
    from poe_tui.core.models import parse_parameter
    from poe_tui.ui.widgets.parameter_form import label_text, plain

    parameter = parse_parameter(
        {"name": f"eff{ESCAPES}ort", "schema": {"enum": [f"hi{ESCAPES}gh"]}}, "test"
    )
    assert label_text(parameter) == "effort"
    assert plain(parameter.choices[0]) == "high"
    assert parameter.choices[0] == "high"  # cleaned where it entered, like every string

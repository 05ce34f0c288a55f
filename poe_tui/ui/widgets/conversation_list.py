"""The conversations on the left: newest first, searchable, renamable, archivable.

One `OptionList` holds every entry (options are not widgets), so a long history costs
one widget, not one per conversation. The list only shows what it is handed
(`ConversationSummary` rows or `SearchHit`s) and says what the user asked for with
messages; the chat screen talks to the store.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from typing import ClassVar

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from poe_tui.core.text import strip_terminal_controls
from poe_tui.store.models import ConversationSummary, SearchHit
from poe_tui.ui.styles import load_css

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR
SEARCH_DELAY = 0.15  # seconds of quiet typing before the search runs
# Marks the store puts around matched words in a snippet; they cannot occur in text.
HIT_OPEN, HIT_CLOSE = "\x02", "\x03"
HIT_PREFIX = "hit:"  # option ids: "hit:<conversation id>:<message id>" or a conversation id


def relative_time(then: float, now: float) -> str:
    """`just now`, `5m ago`, `3h ago`, `2d ago`, or the date for older ones (short: the
    list is narrow)."""
    seconds = max(0.0, now - then)
    if seconds < _MINUTE:
        return "just now"
    if seconds < _HOUR:
        return f"{int(seconds // _MINUTE)}m ago"
    if seconds < _DAY:
        return f"{int(seconds // _HOUR)}h ago"
    if seconds < 7 * _DAY:
        return f"{int(seconds // _DAY)}d ago"
    return time.strftime("%Y-%m-%d", time.localtime(then))


# What the list says of a conversation whose reply streams, or ended while away.
STREAMING_MARK = ("● ", "$text-warning")
FINISHED_MARK = ("● ", "$text-success")
STREAMING_NOTE = "replying…"
FINISHED_NOTE = "new reply"


def entry_prompt(summary: ConversationSummary, now: float, state: str = "") -> Content:
    """Title, then bot, last activity and points spent; `state` "streaming" or
    "finished" (a reply ended while the user was elsewhere) marks the entry."""
    title = strip_terminal_controls(summary.title)  # the user's own text, pasted maybe
    details = [summary.bot, relative_time(summary.updated_at, now)]
    if summary.points:
        details.append(f"{summary.points:,} pts")
    mark: tuple[str, str] | str = ""
    if state == "streaming":
        mark, details = STREAMING_MARK, [STREAMING_NOTE, *details]
    elif state == "finished":
        mark, details = FINISHED_MARK, [FINISHED_NOTE, *details]
    return Content.assemble(mark, (title, "bold"), "\n", (" · ".join(details), "dim"))


def snippet_content(snippet: str) -> Content:
    """A search snippet with the matched words highlighted."""
    parts: list[tuple[str, str] | str] = []
    # Split on the marks first: they are control characters, which cleaning removes.
    for index, piece in enumerate(snippet.split(HIT_OPEN)):
        matched, _, rest = piece.partition(HIT_CLOSE) if index else ("", "", piece)
        if matched:
            parts.append((one_line(matched), "bold reverse"))
        parts.append(one_line(rest))
    return Content.assemble(*parts)


def one_line(text: str) -> str:
    """Bot or user text made safe and flat for a one-line list entry."""
    return re.sub(r"\s+", " ", strip_terminal_controls(text))


def hit_prompt(hit: SearchHit, now: float) -> Content:
    who = "you" if hit.role == "user" else "bot"
    return Content.assemble(
        (strip_terminal_controls(hit.title), "bold"),
        "\n",
        snippet_content(hit.snippet),
        "\n",
        (f"{who} · {relative_time(hit.created_at, now)}", "dim"),
    )


def hit_option_id(hit: SearchHit) -> str:
    return f"{HIT_PREFIX}{hit.conversation_id}:{hit.message_id}"


class ConversationList(Vertical):
    DEFAULT_CSS = load_css(__file__, "conversation_list.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "rename", "Rename", id="rename_conversation"),
        Binding("delete,d", "delete", "Delete", id="delete_conversation"),
        Binding("a", "archive", "Archive/unarchive", id="archive_conversation"),
        Binding("v", "toggle_archived", "Archived", id="show_archived"),
    ]

    class Selected(Message):
        """The user chose a conversation to open."""

        def __init__(self, conversation_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id

    class HitSelected(Message):
        """The user chose a search hit: open its conversation at that message."""

        def __init__(self, conversation_id: str, message_id: str) -> None:
            super().__init__()
            self.conversation_id = conversation_id
            self.message_id = message_id

    class NewRequested(Message):
        """The user asked for a new conversation."""

    class SearchChanged(Message):
        """The search text changed (after a short pause in typing); "" ends the search."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class ActionRequested(Message):
        """Rename, delete or archive (`action`) the conversation `conversation_id`."""

        def __init__(self, action: str, conversation_id: str) -> None:
            super().__init__()
            self.action = action
            self.conversation_id = conversation_id

    class ArchivedToggled(Message):
        """Switch between the active conversations and the archived ones."""

        def __init__(self, archived: bool) -> None:
            super().__init__()
            self.archived = archived

    def __init__(self, *, clock: Callable[[], float] = time.time, id: str | None = None) -> None:
        super().__init__(id=id)
        self._clock = clock
        self._summaries: list[ConversationSummary] = []
        self._hits: list[SearchHit] = []
        self._current_id: str | None = None
        self._streaming: set[str] = set()
        self._finished: set[str] = set()
        self.showing_archived = False
        self.searching = False
        self._search_timer: Timer | None = None
        self._announced = ""  # the search text the screen was last told about
        self._open_first_result = False  # Enter was pressed before the results came

    def compose(self) -> ComposeResult:
        yield Button("+ New chat", id="new-conversation", compact=True)
        yield Input(placeholder="Search all chats…", id="history-search", compact=True)
        yield Static("", id="list-mode", markup=False)
        yield OptionList(id="conversation-options")
        yield Button("Archived ▸", id="toggle-archived", compact=True)

    def on_mount(self) -> None:
        # Relative times ("5m ago") age while the app is open.
        self.set_interval(30, self._redraw_unless_browsing)
        self._show_mode()

    # --- what the screen calls --------------------------------------------------------

    def show(
        self,
        summaries: Sequence[ConversationSummary],
        current_id: str | None,
        *,
        streaming: Iterable[str] = (),
        finished: Iterable[str] = (),
    ) -> None:
        """The entries; `streaming` and `finished` are conversation ids to mark."""
        self._summaries = list(summaries)
        self._current_id = current_id
        self._streaming = set(streaming)
        self._finished = set(finished)
        if not self.searching:
            self._redraw()

    def show_hits(self, hits: Sequence[SearchHit], titles: Sequence[ConversationSummary]) -> None:
        """Search results: conversations whose title matches, then matching messages."""
        self._hits = list(hits)
        self._summaries = list(titles)
        self._redraw()
        if self._open_first_result:
            self._open_first()

    def focus_search(self) -> None:
        self.query_one("#history-search", Input).focus()

    @property
    def search_text(self) -> str:
        return self.query_one("#history-search", Input).value.strip()

    @property
    def highlighted_id(self) -> str | None:
        """The conversation of the highlighted entry (a hit's conversation for a hit)."""
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        option_id = options.get_option_at_index(options.highlighted).id
        return None if option_id is None else conversation_of(option_id)

    # --- drawing ----------------------------------------------------------------------

    def _redraw_unless_browsing(self) -> None:
        # Redrawing moves the highlight back to the open conversation: not under the user.
        if not self.query_one(OptionList).has_focus:
            self._redraw()

    def _redraw(self) -> None:
        options = self.query_one(OptionList)
        # While the user moves through the list, a redraw (a reply started or ended in
        # some conversation) keeps their highlight instead of jumping to the open one.
        browsing = self.highlighted_id if options.has_focus and not self.searching else None
        now = self._clock()
        entries = [
            Option(entry_prompt(s, now, self._state(s.id)), id=s.id) for s in self._summaries
        ]
        if self.searching:
            entries += [Option(hit_prompt(h, now), id=hit_option_id(h)) for h in self._hits]
        options.set_options(entries)
        ids = [s.id for s in self._summaries]
        if browsing in ids:
            options.highlighted = ids.index(browsing)
        elif self._current_id in ids and not self.searching:
            options.highlighted = ids.index(self._current_id)
        elif self.searching and options.has_focus and options.option_count:
            options.highlighted = 0  # results arrived while the user waits in the list
        self._show_mode()

    def _state(self, conversation_id: str) -> str:
        if conversation_id in self._streaming:
            return "streaming"
        return "finished" if conversation_id in self._finished else ""

    def _show_mode(self) -> None:
        mode = self.query_one("#list-mode", Static)
        count = self.query_one(OptionList).option_count
        if self.searching:
            text = f"{count} match{'' if count == 1 else 'es'} · Esc clears"
        elif self.showing_archived:
            text = "Archived chats · a: unarchive" if count else "No archived chats"
        else:
            text = "" if count else "No chats yet"
        mode.update(text)
        mode.display = bool(text)
        label = "◂ Back to chats" if self.showing_archived else "Archived ▸"
        self.query_one("#toggle-archived", Button).label = label

    # --- input ------------------------------------------------------------------------

    @on(Input.Changed, "#history-search")
    def _search_typed(self, event: Input.Changed) -> None:
        event.stop()
        if self._search_timer is not None:
            self._search_timer.stop()
        self._search_timer = self.set_timer(SEARCH_DELAY, self._announce_search)

    @on(Input.Submitted, "#history-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box opens the first result (as soon as there is one)."""
        event.stop()
        if self._announce_search():
            self._open_first_result = True  # the results are on their way
        else:
            self._open_first()

    def _open_first(self) -> None:
        self._open_first_result = False
        options = self.query_one(OptionList)
        if self.searching and options.option_count:
            options.highlighted = 0
            self._choose(options.get_option_at_index(0).id)

    def _announce_search(self) -> bool:
        """Tell the screen the search text, if it changed; True when it did."""
        if self._search_timer is not None:
            self._search_timer.stop()
            self._search_timer = None
        text = self.search_text
        if text == self._announced:
            return False
        self._announced = text
        self.searching = bool(text)
        self.post_message(self.SearchChanged(text))
        return True

    def clear_search(self) -> None:
        search = self.query_one("#history-search", Input)
        if search.value:
            search.value = ""
            self._announce_search()

    def on_key(self, event: events.Key) -> None:
        search = self.query_one("#history-search", Input)
        if event.key == "escape" and (search.has_focus or self.searching) and search.value:
            event.stop()
            self.clear_search()
            search.focus()
        elif event.key == "down" and search.has_focus:
            event.stop()
            self.query_one(OptionList).focus()

    @on(Button.Pressed, "#new-conversation")
    def _new_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(self.NewRequested())

    @on(Button.Pressed, "#toggle-archived")
    def _archived_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_toggle_archived()

    @on(OptionList.OptionSelected)
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self._choose(event.option.id)

    def _choose(self, option_id: str | None) -> None:
        if option_id is None:
            return
        if option_id.startswith(HIT_PREFIX):
            conversation_id, _, message_id = option_id.removeprefix(HIT_PREFIX).partition(":")
            self.post_message(self.HitSelected(conversation_id, message_id))
        else:
            self.post_message(self.Selected(option_id))

    # --- actions on the highlighted entry -----------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("rename", "delete", "archive"):
            return self.highlighted_id is not None
        return True

    def _request(self, action: str) -> None:
        conversation_id = self.highlighted_id
        if conversation_id is not None:
            self.post_message(self.ActionRequested(action, conversation_id))

    def action_rename(self) -> None:
        self._request("rename")

    def action_delete(self) -> None:
        self._request("delete")

    def action_archive(self) -> None:
        self._request("unarchive" if self.showing_archived else "archive")

    def action_toggle_archived(self) -> None:
        self.showing_archived = not self.showing_archived
        self.clear_search()
        self.post_message(self.ArchivedToggled(self.showing_archived))

    @on(OptionList.OptionHighlighted)
    def _highlight_moved(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        self.refresh_bindings()  # rename/delete/archive follow the highlight


def conversation_of(option_id: str) -> str:
    if option_id.startswith(HIT_PREFIX):
        return option_id.removeprefix(HIT_PREFIX).partition(":")[0]
    return option_id

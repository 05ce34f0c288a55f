"""Pick several bots to regenerate a reply with: each answers as a version of its own.

The model picker's search and rows, with a mark per row: Tab (or a click) marks or
unmarks the highlighted model, Enter regenerates with the marked ones (with the
highlighted one when none is marked). Typing stays in the search box, as in the picker,
so a space can be part of the search.
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.widgets import Input, Label, OptionList, Static

from poe_tui.core.models import ModelInfo
from poe_tui.ui.screens.model_picker import (
    MUTED,
    ModelMatch,
    ModelSearchScreen,
    header_row,
    row_prompt,
)

MAX_BOTS = 10  # replies at once from one key press: a bound on points spent by mistake
MARKED = ("[x] ", "bold $text-accent")
UNMARKED = ("[ ] ", MUTED)
KEYS_HINT = "↑↓ move · Tab or click mark · Enter regenerate with the marked · Esc close"


class SeveralBotsScreen(ModelSearchScreen[list[str] | None]):
    """Dismisses with the chosen model ids (in the order marked), or None on Esc."""

    CSS_PATH = "several_bots.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="several_bots_close"),
        Binding("tab", "toggle_mark", "Mark", id="several_bots_mark"),
    ]

    def __init__(self, models: list[ModelInfo], current: str | None = None) -> None:
        super().__init__(models, current)
        self.marked: list[str] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="several"):
            with Horizontal(id="several-heading"):
                yield Label("Regenerate with several bots", id="several-title")
                yield Label("", id="several-count")
            yield Input(placeholder="Search by name, id or owner (fuzzy)", id="several-search")
            yield Static(Content.assemble("    ", header_row()), id="several-columns")
            yield OptionList(id="several-results", compact=True)
            yield Static("", id="several-chosen", markup=False)
            yield Static(Content.styled(KEYS_HINT, MUTED), id="several-keys")

    def on_mount(self) -> None:
        # Textual runs ModelSearchScreen.on_mount too (handlers of every class run).
        self._show_chosen()

    def row(self, match: ModelMatch) -> Content:
        mark = MARKED if match.model.id in self.marked else UNMARKED
        return Content.assemble(mark, row_prompt(match, is_current=False))

    def _show_chosen(self) -> None:
        names = [self._bot_name(bot) for bot in self.marked]
        text = "Marked: " + ", ".join(names) if names else "Nothing marked yet."
        self.query_one("#several-chosen", Static).update(text)
        self.query_one("#several-count", Label).update(f"{len(names)} of at most {MAX_BOTS}")

    def _bot_name(self, bot: str) -> str:
        return next((m.display_name for m in self.models if m.id == bot), bot)

    @on(OptionList.OptionSelected, "#several-results")
    def action_toggle_mark(self) -> None:
        model = self.highlighted_model()
        index = self.query_one(OptionList).highlighted
        if model is None or index is None:
            return
        if model.id in self.marked:
            self.marked.remove(model.id)
        elif len(self.marked) >= MAX_BOTS:
            self.notify(f"At most {MAX_BOTS} bots at once.", severity="warning", markup=False)
            return
        else:
            self.marked.append(model.id)
        row = self.row(self._shown[index])
        self.query_one(OptionList).replace_option_prompt_at_index(index, row)
        self._show_chosen()

    @on(Input.Submitted, "#several-search")
    def choose(self) -> None:
        model = self.highlighted_model()
        chosen = list(self.marked) or ([model.id] if model is not None else [])
        # is_active: a second Enter queued behind the first must not dismiss twice.
        if chosen and self.is_active:
            self.dismiss(chosen)

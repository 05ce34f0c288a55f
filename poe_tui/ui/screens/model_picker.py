"""The model picker: fuzzy search over every Poe model, with price, context and modalities.

Typing stays in the search box while Up/Down move through the results, so a model is
one short word and Enter away. The results are one `OptionList` (options are not
widgets), which keeps 360 models cheap to filter on every keystroke.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, TypeVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList, Static
from textual.widgets.option_list import Option

from poe_tui.core.models import (
    ModelInfo,
    Pricing,
    format_tokens,
    format_usd,
    per_million,
    price_summary,
)
from poe_tui.core.text import strip_terminal_controls

# --- fuzzy matching (pure; no widgets) ------------------------------------------------

CONSECUTIVE_BONUS = 2.0  # letters in a run beat letters scattered across the name
EXACT_FIELD_BONUS = 6.0  # "gpt-5" should put GPT-5 above GPT-5-Pro
LENGTH_PENALTY = 0.02  # among equal matches, shorter names first
OWNER_WEIGHT = 0.7  # a name match says more than an owner match
_NO_SCORE = float("-inf")


def _boundary_bonus(text: str, index: int) -> float:
    """Extra weight for a letter that starts a word: `s` in `claude-sonnet`, `4` in `sonnet4`."""
    if index == 0:
        return 3.0
    previous, char = text[index - 1], text[index]
    if not previous.isalnum():
        return 2.0
    if previous.isalpha() != char.isalpha() or (previous.islower() and char.isupper()):
        return 1.0
    return 0.0


def _is_subsequence(term: str, lowered: str) -> bool:
    position = -1
    for char in term:
        position = lowered.find(char, position + 1)
        if position < 0:
            return False
    return True


def fuzzy_match(term: str, text: str) -> tuple[float, tuple[int, ...]] | None:
    """Best score and matched positions of `term`'s letters, in order, within `text`.

    `term` must be lower case. A small dynamic programme finds the best alignment
    (word starts and runs score higher); None when the letters do not all appear.
    """
    lowered = text.lower()
    if not term or len(lowered) != len(text) or not _is_subsequence(term, lowered):
        return None
    rows: list[list[float]] = []
    backs: list[list[int]] = []
    for index, char in enumerate(term):
        row, back = _match_row(char, lowered, text, rows[index - 1] if index else None)
        rows.append(row)
        backs.append(back)
    last = rows[-1]
    end = max(range(len(last)), key=last.__getitem__)
    positions = [end]
    for back in reversed(backs[1:]):
        positions.append(back[positions[-1]])
    return last[end], tuple(reversed(positions))


def _match_row(
    char: str, lowered: str, text: str, previous: list[float] | None
) -> tuple[list[float], list[int]]:
    """Scores for `char` matched at each position, given the previous letter's scores."""
    row = [_NO_SCORE] * len(lowered)
    back = [-1] * len(lowered)
    best_gap, best_gap_at = _NO_SCORE, -1  # best previous score ending before j - 1
    for j, letter in enumerate(lowered):
        if previous is not None and j >= 2 and previous[j - 2] > best_gap:
            best_gap, best_gap_at = previous[j - 2], j - 2
        if letter != char:
            continue
        gain = 1.0 + _boundary_bonus(text, j)
        if previous is None:
            row[j] = gain - j * 0.01  # the earliest of equal starts wins
            continue
        adjacent = previous[j - 1] + CONSECUTIVE_BONUS if j >= 1 else _NO_SCORE
        if adjacent >= best_gap and adjacent > _NO_SCORE:
            row[j], back[j] = adjacent + gain, j - 1
        elif best_gap > _NO_SCORE:
            row[j], back[j] = best_gap + gain, best_gap_at
    return row, back


@dataclass(frozen=True, slots=True)
class ModelMatch:
    """A model that matches the search, with the letters to highlight."""

    model: ModelInfo
    score: float = 0.0
    name_hits: frozenset[int] = frozenset()
    owner_hits: frozenset[int] = frozenset()


def _term_match(term: str, model: ModelInfo) -> tuple[float, str, tuple[int, ...]] | None:
    """The best field for one search term: (score, "name" | "owner", positions)."""
    # The id is searched too, but its hits show on the name when the two differ only by case.
    id_is_name = model.id.lower() == model.display_name.lower()
    fields = [("name", model.display_name, 1.0), ("owner", model.owned_by, OWNER_WEIGHT)]
    if not id_is_name:
        fields.append(("id", model.id, 1.0))
    best: tuple[float, str, tuple[int, ...]] | None = None
    for field, text, weight in fields:
        found = fuzzy_match(term, text)
        if found is None:
            continue
        score = found[0] * weight - LENGTH_PENALTY * len(text)
        if term == text.lower():
            score += EXACT_FIELD_BONUS
        if best is None or score > best[0]:
            best = (score, field, found[1])
    return best


def match_model(model: ModelInfo, terms: Sequence[str]) -> ModelMatch | None:
    """Every term must match the name, id or owner; the scores add up."""
    total = 0.0
    hits: dict[str, set[int]] = {"name": set(), "owner": set(), "id": set()}
    for term in terms:
        found = _term_match(term, model)
        if found is None:
            return None
        score, field, positions = found
        total += score
        hits[field].update(positions)
    return ModelMatch(model, total, frozenset(hits["name"]), frozenset(hits["owner"]))


def search_models(models: Iterable[ModelInfo], query: str) -> list[ModelMatch]:
    """Matches best first; an empty query keeps every model in Poe's own order."""
    terms = query.lower().split()
    if not terms:
        return [ModelMatch(model) for model in models]
    found = [match for model in models if (match := match_model(model, terms))]
    found.sort(key=lambda match: match.score, reverse=True)  # stable: ties keep Poe's order
    return found


# --- rows and details ---------------------------------------------------------------

NAME_WIDTH = 24
OWNER_WIDTH = 12
PRICE_WIDTH = 28
CONTEXT_WIDTH = 7
MATCH_STYLE = "bold underline"
MUTED = "$foreground-muted"
SHORT_MODALITY = {"image": "img", "video": "vid", "audio": "aud"}
DESCRIPTION_CHARS = 240


def highlighted(text: str, hits: frozenset[int], style: str = "") -> Content:
    content = Content.styled(text, style) if style else Content(text)
    for index in sorted(hits):
        content = content.stylize(MATCH_STYLE, index, index + 1)
    return content


def modality_summary(model: ModelInfo) -> str:
    """`text+img→text`: short, because it is the last column of a narrow row."""
    inputs = "+".join(SHORT_MODALITY.get(m, m) for m in model.input_modalities) or "?"
    outputs = "+".join(SHORT_MODALITY.get(m, m) for m in model.output_modalities) or "?"
    return f"{inputs}→{outputs}"


def price_cell(pricing: Pricing | None) -> Content:
    summary = price_summary(pricing)
    style = {"free": "$text-success", "unknown": MUTED}.get(summary, "")
    return Content.styled(summary, style)


def cell(content: Content, width: int) -> Content:
    return content.truncate(width, ellipsis=True, pad=True)


def row_prompt(match: ModelMatch, *, is_current: bool) -> Content:
    """One result row: marker, name, owner, price, context, modalities."""
    model = match.model
    marker = ("● ", "$text-accent") if is_current else "  "
    return Content.assemble(
        marker,
        cell(highlighted(model.display_name, match.name_hits), NAME_WIDTH),
        " ",
        cell(highlighted(model.owned_by, match.owner_hits, MUTED), OWNER_WIDTH),
        " ",
        cell(price_cell(model.pricing), PRICE_WIDTH),
        " ",
        Content(format_tokens(model.context_length)).right(CONTEXT_WIDTH),
        " ",
        (modality_summary(model), MUTED),
    )


def header_row() -> Content:
    return Content.assemble(
        "  ",
        cell(Content("Model"), NAME_WIDTH),
        " ",
        cell(Content("Owner"), OWNER_WIDTH),
        " ",
        cell(Content("Price"), PRICE_WIDTH),
        " ",
        Content("Context").right(CONTEXT_WIDTH, ellipsis=True),
        " ",
        "In→Out",
    ).stylize("bold " + MUTED)


def first_lines(description: str) -> str:
    """The first paragraph, on one line, cut to a couple of lines' worth."""
    paragraph = strip_terminal_controls(description).strip().split("\n\n", 1)[0]
    text = " ".join(paragraph.split())
    if len(text) > DESCRIPTION_CHARS:
        text = text[: DESCRIPTION_CHARS - 1].rstrip() + "…"
    return text or "No description."


def detail_title(model: ModelInfo, *, is_current: bool) -> Content:
    parts: list[str | tuple[str, str]] = [(model.display_name, "bold")]
    if model.id != model.display_name:
        parts.append((f"  {model.id}", MUTED))
    if model.owned_by:
        parts.append((f" · {model.owned_by}", MUTED))
    if is_current:
        parts.append(("  ● current", "$text-accent"))
    return Content.assemble(*parts)


def detail_prices(model: ModelInfo) -> Content:
    """Every known price and the token limits, labelled."""
    pricing = model.pricing or Pricing()
    request = format_usd(pricing.request) if pricing.request is not None else "—"
    image = format_usd(pricing.image) if pricing.image is not None else "—"
    fields = [
        ("In", f"{per_million(pricing.prompt)}/1M"),
        ("Out", f"{per_million(pricing.completion)}/1M"),
        ("Request", request),
        ("Image", image),
        ("Context", format_tokens(model.context_length)),
        ("Max output", format_tokens(model.max_output_tokens)),
    ]
    parts: list[str | tuple[str, str]] = []
    for label, value in fields:
        if parts:
            parts.append((" · ", MUTED))
        parts.extend([(f"{label} ", MUTED), value])
    return Content.assemble(*parts)


# --- the screen ---------------------------------------------------------------------


ResultT = TypeVar("ResultT")


class ModelSearchScreen(ModalScreen[ResultT]):
    """What the model pickers share: one search box that keeps the focus, and the
    matching models in one `OptionList` below it that the arrows move through."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # The search box keeps the focus; these reach the results from there.
        Binding("down", "move('cursor_down')", "Next", show=False),
        Binding("up", "move('cursor_up')", "Previous", show=False),
        Binding("pagedown", "move('page_down')", "Page down", show=False),
        Binding("pageup", "move('page_up')", "Page up", show=False),
    ]

    def __init__(self, models: list[ModelInfo], current: str | None = None) -> None:
        super().__init__()
        self.models = models
        self.current = current
        self._shown: list[ModelMatch] = []

    def on_mount(self) -> None:
        # The list never takes the focus, so typing always goes to the search box.
        self.query_one(OptionList).can_focus = False
        self.query_one(Input).focus()
        self.show_matches(search_models(self.models, ""))

    @on(Input.Changed)
    def _search_changed(self, event: Input.Changed) -> None:
        self.show_matches(search_models(self.models, event.value))

    def show_matches(self, matches: list[ModelMatch]) -> None:
        self._shown = matches
        results = self.query_one(OptionList)
        results.set_options(Option(self.row(m)) for m in matches)
        if matches:
            results.highlighted = self._initial_highlight()
            # Once laid out: on a short screen the current model may sit below the fold.
            self.call_after_refresh(results.scroll_to_highlight)

    def row(self, match: ModelMatch) -> Content:
        return row_prompt(match, is_current=match.model.id == self.current)

    def _initial_highlight(self) -> int:
        """The current model while nothing is typed, else the best match."""
        if not self.query_one(Input).value.strip():
            for index, match in enumerate(self._shown):
                if match.model.id == self.current:
                    return index
        return 0

    def highlighted_model(self) -> ModelInfo | None:
        index = self.query_one(OptionList).highlighted
        if index is None or index >= len(self._shown):
            return None
        return self._shown[index].model

    def action_move(self, action: str) -> None:
        results = self.query_one(OptionList)
        getattr(results, f"action_{action}")()

    def action_cancel(self) -> None:
        self.dismiss(None)


class ModelPickerScreen(ModelSearchScreen[str | None]):
    """Pick a model; dismisses with its id, or None on Esc."""

    CSS_PATH = "model_picker.tcss"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close", id="model_picker_close"),
    ]

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            with Horizontal(id="picker-heading"):
                yield Label("Choose a model", id="picker-title")
                yield Label("", id="picker-count")
            yield Input(placeholder="Search by name, id or owner (fuzzy)", id="search")
            yield Static(header_row(), id="columns")
            yield OptionList(id="results", compact=True)
            yield Static("", id="empty")
            with Vertical(id="detail"):
                yield Static("", id="detail-title")
                yield Static("", id="detail-description")
                yield Static("", id="detail-prices")
            yield Static(
                Content.styled("↑↓ move · Enter choose · click choose · Esc close", MUTED),
                id="picker-keys",
            )

    def show_matches(self, matches: list[ModelMatch]) -> None:
        super().show_matches(matches)
        self.query_one(OptionList).display = bool(matches)
        self._show_empty(not matches)
        self._show_count(len(matches))
        if not matches:
            self._show_detail(None)

    def _show_empty(self, empty: bool) -> None:
        message = self.query_one("#empty", Static)
        message.display = empty
        self.query_one("#columns").display = not empty
        if empty:
            query = self.query_one(Input).value.strip()
            message.update(
                Content.assemble(
                    f"No model matches “{query}”.\n",
                    ("Try fewer letters, or an owner such as “openai”.", MUTED),
                )
            )

    def _show_count(self, count: int) -> None:
        total = len(self.models)
        text = f"{total} models" if count == total else f"{count} of {total} models"
        self.query_one("#picker-count", Label).update(text)

    @on(OptionList.OptionHighlighted, "#results")
    def _highlighted(self) -> None:
        # Read the list now rather than the event's index: typing may have replaced the
        # results since the event was posted.
        self._show_detail(self.highlighted_model())

    def _show_detail(self, model: ModelInfo | None) -> None:
        title = self.query_one("#detail-title", Static)
        description = self.query_one("#detail-description", Static)
        prices = self.query_one("#detail-prices", Static)
        if model is None:
            for part in (title, description, prices):
                part.update("")
            return
        title.update(detail_title(model, is_current=model.id == self.current))
        description.update(Content.styled(first_lines(model.description), MUTED))
        prices.update(detail_prices(model))

    @on(Input.Submitted, "#search")
    @on(OptionList.OptionSelected, "#results")
    def pick_highlighted(self) -> None:
        """Enter in the search box, or a click on a row (which highlights it first)."""
        model = self.highlighted_model()
        # is_active: a second Enter queued behind the first must not dismiss twice.
        if model is not None and self.is_active:
            self.dismiss(model.id)

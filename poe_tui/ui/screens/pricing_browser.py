"""The pricing browser: every model from /v1/models in one sortable, filterable table.

Columns: name, owner, input and output price per 1M tokens, per-request and per-image
prices, what the user actually paid per reply (from the points history), cache prices,
context window, max output, modalities, reasoning and the number of parameters. The
filters and sort keys are `core.model_query`'s, shared with `poe-tui models`; the pane
below the table has the whole description, every parameter with its schema and default,
and the supported endpoints. Enter starts a conversation with the highlighted model.

Speed with hundreds of models: a `DataTable` draws only the rows on screen, and each
model's cells are built once and kept, so a new filter or sort only re-adds rows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from rich.style import Style
from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import Checkbox, DataTable, Footer, Input, Label, Select, Static
from textual.widgets.data_table import ColumnKey, RowKey

from poe_tui.core.accounting import ObservedCost, observed_for
from poe_tui.core.model_query import (
    MODALITIES,
    SORT_KEYS,
    ModelFilter,
    PriceClass,
    SortValue,
    owners,
    sort_models,
)
from poe_tui.core.models import (
    ModelInfo,
    Parameter,
    Pricing,
    format_tokens,
    format_usd,
    per_million,
)
from poe_tui.core.text import strip_terminal_controls

MUTED = "$foreground-muted"
NONE = "—"
SHORT_MODALITY = {"image": "img", "video": "vid", "audio": "aud"}
OBSERVED = "observed"  # the column that is not a core sort key: it needs the history

Observed = dict[str, ObservedCost]


# --- cells (pure: a model in, rich Text out) ---------------------------------------------


def _money(value: Decimal | None) -> str:
    return NONE if value is None else format_usd(value)


def _per_million(value: Decimal | None) -> str:
    return NONE if value is None else per_million(value)


def _modalities(names: tuple[str, ...]) -> str:
    return "+".join(SHORT_MODALITY.get(name, name) for name in names) or NONE


def reasoning_label(model: ModelInfo) -> str:
    """`—`, `yes`, `budget`, `effort` or `budget+effort`, plus `!` when required."""
    reasoning = model.reasoning
    if reasoning is None:
        return NONE
    kinds = []
    if reasoning.budget_max_tokens is not None:
        kinds.append("budget")
    if reasoning.supports_reasoning_effort:
        kinds.append("effort")
    label = "+".join(kinds) or "yes"
    return f"{label}!" if reasoning.required else label


@dataclass(frozen=True, slots=True)
class Column:
    key: str  # a core.model_query sort key, or OBSERVED
    label: str
    width: int
    text: Callable[[ModelInfo, ObservedCost | None], str]
    right: bool = False  # numbers line up on the right
    descending_first: bool = False  # bigger is what people look for (context, ...)


def _price(part: Callable[[Pricing], Decimal | None], per_1m: bool) -> Callable[..., str]:
    def text(model: ModelInfo, _observed: ObservedCost | None) -> str:
        if model.pricing is None:
            return NONE
        value = part(model.pricing)
        return _per_million(value) if per_1m else _money(value)

    return text


def _input_price(model: ModelInfo, observed: ObservedCost | None) -> str:
    # The first price column says "unknown" outright, so a row of dashes is explained.
    if model.pricing is None or not model.pricing.is_known:
        return "unknown"
    return _price(lambda p: p.prompt, per_1m=True)(model, observed)


def _observed(_model: ModelInfo, observed: ObservedCost | None) -> str:
    return NONE if observed is None else f"{observed.average:,}"


COLUMNS: tuple[Column, ...] = (
    Column("name", "Model", 24, lambda m, _: m.display_name),
    Column("owner", "Owner", 12, lambda m, _: m.owned_by or NONE),
    Column("input", "In $/1M", 9, _input_price, right=True),
    Column("output", "Out $/1M", 10, _price(lambda p: p.completion, True), right=True),
    Column("request", "Request", 9, _price(lambda p: p.request, False), right=True),
    Column("image", "Image", 8, _price(lambda p: p.image, False), right=True),
    Column(OBSERVED, "Paid/reply", 12, _observed, right=True),
    Column("cache-read", "Cache rd", 10, _price(lambda p: p.input_cache_read, True), right=True),
    Column("cache-write", "Cache wr", 10, _price(lambda p: p.input_cache_write, True), right=True),
    Column(
        "context",
        "Context",
        9,
        lambda m, _: format_tokens(m.context_length),
        right=True,
        descending_first=True,
    ),
    Column(
        "max-output",
        "Max out",
        9,
        lambda m, _: format_tokens(m.max_output_tokens),
        right=True,
        descending_first=True,
    ),
    Column(
        "input-modalities",
        "Input",
        16,
        lambda m, _: _modalities(m.input_modalities),
        descending_first=True,
    ),
    Column(
        "output-modalities",
        "Output",
        10,
        lambda m, _: _modalities(m.output_modalities),
        descending_first=True,
    ),
    Column("reasoning", "Reasoning", 14, lambda m, _: reasoning_label(m), descending_first=True),
    Column(
        "params",
        "Params",
        8,
        lambda m, _: str(len(m.parameters)) if m.parameters else NONE,
        right=True,
        descending_first=True,
    ),
)
COLUMN_KEYS = tuple(column.key for column in COLUMNS)


def header_text(column: Column, arrow: str | None) -> Text:
    """The column's label, with ▲/▼ when the table is sorted by it."""
    label = f"{column.label} {arrow}" if arrow else column.label
    style = Style(bold=True, underline=True) if arrow else Style(bold=True)
    return Text(label, style=style, justify="right" if column.right else "left", no_wrap=True)


def cell_text(column: Column, model: ModelInfo, observed: ObservedCost | None) -> Text:
    value = column.text(model, observed)
    style = Style(dim=True) if value in (NONE, "unknown") else Style()
    return Text(value, style=style, justify="right" if column.right else "left", no_wrap=True)


# --- the details pane ------------------------------------------------------------------


def _schema_text(parameter: Parameter) -> str:
    """The parameter's schema as Poe sent it, or rebuilt from what was parsed."""
    if parameter.schema:
        return json.dumps(dict(parameter.schema), ensure_ascii=False, separators=(", ", ": "))
    schema: dict[str, Any] = {"type": parameter.kind}
    if parameter.choices:
        schema = {"enum": list(parameter.choices)}
    if parameter.minimum is not None:
        schema["minimum"] = parameter.minimum
    if parameter.maximum is not None:
        schema["maximum"] = parameter.maximum
    return json.dumps(schema, ensure_ascii=False, separators=(", ", ": "))


def parameter_lines(model: ModelInfo) -> list[Content]:
    if not model.parameters:
        return [Content.styled("No custom parameters.", MUTED)]
    lines = []
    for parameter in model.parameters:
        default = json.dumps(parameter.default) if parameter.has_default else "none"
        lines.append(
            Content.assemble(
                ("• ", MUTED),
                (parameter.name, "bold"),
                ("  schema ", MUTED),
                _schema_text(parameter),
                ("  default ", MUTED),
                default,
            )
        )
        if parameter.description:
            lines.append(
                Content.styled(f"  {strip_terminal_controls(parameter.description)}", MUTED)
            )
    return lines


def _labelled(label: str, value: str) -> Content:
    return Content.assemble((f"{label:<11}", MUTED), value)


def price_line(model: ModelInfo) -> str:
    """Every price Poe publishes for the model (the unpublished ones are left out)."""
    pricing = model.pricing
    if pricing is None or not pricing.is_known:
        return "unknown (Poe publishes no price for this bot)"
    if pricing.is_free:
        return "free (every price Poe publishes for it is $0)"
    parts = [
        (pricing.prompt, f"in {_per_million(pricing.prompt)}/1M tokens"),
        (pricing.completion, f"out {_per_million(pricing.completion)}/1M tokens"),
        (pricing.request, f"{_money(pricing.request)} per request"),
        (pricing.image, f"{_money(pricing.image)} per image"),
        (pricing.input_cache_read, f"cache read {_per_million(pricing.input_cache_read)}/1M"),
        (pricing.input_cache_write, f"cache write {_per_million(pricing.input_cache_write)}/1M"),
    ]
    return " · ".join(text for value, text in parts if value is not None)


def observed_line(observed: ObservedCost | None, loaded: bool) -> str:
    if not loaded:
        return "not known yet: your points history has not loaded (it needs your API key)"
    if observed is None:
        return "no replies in your points history (last 30 days)"
    replies = "1 reply" if observed.replies == 1 else f"{observed.replies:,} replies"
    return f"{observed.average:,} points per reply on average ({replies}, last 30 days)"


def reasoning_line(model: ModelInfo) -> str:
    reasoning = model.reasoning
    if reasoning is None:
        return "no"
    parts = []
    if reasoning.budget_max_tokens is not None:
        low = reasoning.budget_min_tokens or 0
        parts.append(f"budget {low:,}–{reasoning.budget_max_tokens:,} tokens")
    if reasoning.supports_reasoning_effort:
        parts.append("effort levels")
    parts.append("required" if reasoning.required else "optional")
    return ", ".join(parts)


def details(model: ModelInfo, observed: ObservedCost | None, loaded: bool) -> Content:
    """Everything about one model: the whole description, prices, limits, parameters."""
    title_parts: list[str | tuple[str, str]] = [(model.display_name, "bold")]
    if model.id != model.display_name:
        title_parts.append((f"  {model.id}", MUTED))
    if model.owned_by:
        title_parts.append((f" · {model.owned_by}", MUTED))
    if model.url:
        title_parts.append((f" · {model.url}", MUTED))
    endpoints = ", ".join(model.supported_endpoints) or "native /bot/ only"
    lines: list[Content] = [
        Content.assemble(*title_parts),
        Content(strip_terminal_controls(model.description).strip() or "No description."),
        Content(""),
        _labelled("Price", price_line(model)),
        _labelled("You paid", observed_line(observed, loaded)),
        _labelled(
            "Limits",
            f"context {format_tokens(model.context_length)} · "
            f"max output {format_tokens(model.max_output_tokens)}",
        ),
        _labelled(
            "Modalities",
            f"{', '.join(model.input_modalities) or '?'} → "
            f"{', '.join(model.output_modalities) or '?'}",
        ),
        _labelled("Reasoning", reasoning_line(model)),
        _labelled("Features", ", ".join(model.supported_features) or NONE),
        _labelled("Endpoints", endpoints),
        Content(""),
        Content.styled(f"Parameters ({len(model.parameters)})", "bold"),
        *parameter_lines(model),
    ]
    return Content("\n").join(lines)


# --- the table ---------------------------------------------------------------------------


class PriceTable(DataTable[Text]):
    """A DataTable whose columns all have fixed widths and whose rows are one line high.

    DataTable measures every cell of every new row on idle to size auto-width columns,
    even when no column is auto-width: with 360 models and 15 columns that was half the
    cost of each new filter or sort. Nothing here needs measuring, so only the virtual
    size is recomputed (the base method does that when given no new rows).
    """

    def _update_dimensions(self, new_rows: Iterable[RowKey]) -> None:
        super()._update_dimensions(())


# --- filter choices ---------------------------------------------------------------------

PRICE_OPTIONS: tuple[tuple[str, PriceClass], ...] = (
    ("Free", "free"),
    ("Priced", "priced"),
    ("Unknown price", "unknown"),
)


def _selected(select: Select[str]) -> str | None:
    value = select.value
    return value if isinstance(value, str) and value else None


# --- the screen -------------------------------------------------------------------------


class PricingBrowserScreen(Screen[str | None]):
    """Browse prices; dismisses with the chosen model's id (Enter) or None (Esc)."""

    CSS_PATH = "pricing_browser.tcss"
    AUTO_FOCUS = "#prices"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="pricing_close"),
        # Priority, so the keys typed right after it land in the box (a plain binding
        # runs only once the key has bubbled up, after the next keys went elsewhere).
        # Off while the box has the focus, where a slash is text.
        Binding("slash", "focus_filter", "Filter", priority=True, id="pricing_filter"),
        # From the filter box, as in the model picker: the arrows move the highlight.
        Binding("down", "move('cursor_down')", "Next", show=False),
        Binding("up", "move('cursor_up')", "Previous", show=False),
        Binding("pagedown", "move('page_down')", "Page down", show=False),
        Binding("pageup", "move('page_up')", "Page up", show=False),
        Binding("s", "sort(1)", "Sort", id="pricing_sort_next"),
        Binding("S", "sort(-1)", "Sort back", show=False, id="pricing_sort_previous"),
        Binding("r", "reverse", "Reverse", id="pricing_sort_reverse"),
        Binding("d", "toggle_details", "Details", id="pricing_details"),
        Binding("c", "clear_filters", "Clear filters", id="pricing_clear_filters"),
    ]

    def __init__(
        self,
        models: list[ModelInfo],
        current: str | None = None,
        *,
        observed: Observed | None = None,
    ) -> None:
        super().__init__()
        self.models = models
        self.current = current
        self.observed: Observed = observed or {}
        self.observed_loaded = observed is not None
        self.filter = ModelFilter()
        self.sort_key: str | None = None  # None: Poe's own order
        self.descending = False
        self.shown: list[ModelInfo] = []
        self._cells: dict[str, list[Text]] = {}

    # --- layout -------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="browser-heading"):
            yield Label("Model prices", id="browser-title")
            yield Label("", id="browser-status")
        with Horizontal(classes="browser-filters"):
            yield Input(placeholder="/ Filter by name, owner, description…", id="filter-text")
            yield Checkbox("Has parameters", compact=True, id="filter-params")
        with Horizontal(classes="browser-filters"):
            yield Select(
                [(f"{name} ({count})", name) for name, count in owners(self.models)],
                prompt="Any owner",
                compact=True,
                id="filter-owner",
            )
            yield Select(
                [(f"{m} in", m) for m in MODALITIES],
                prompt="Any input",
                compact=True,
                id="filter-input",
            )
            yield Select(
                [(f"{m} out", m) for m in MODALITIES],
                prompt="Any output",
                compact=True,
                id="filter-output",
            )
            yield Select(PRICE_OPTIONS, prompt="Any price", compact=True, id="filter-price")
        yield PriceTable(cursor_type="row", fixed_columns=1, zebra_stripes=True, id="prices")
        yield Static("", id="browser-empty")
        with VerticalScroll(id="details"):
            yield Static("", id="details-body")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for column in COLUMNS:
            table.add_column(header_text(column, None), width=column.width, key=column.key)
        self.rebuild(keep=self.current)

    # --- what is shown ----------------------------------------------------------------------

    def _observed(self, model: ModelInfo) -> ObservedCost | None:
        return observed_for(model, self.observed)

    def _row(self, model: ModelInfo) -> list[Text]:
        cells = self._cells.get(model.id)
        if cells is None:
            observed = self._observed(model)
            cells = [cell_text(column, model, observed) for column in COLUMNS]
            if model.id == self.current:
                cells[0].stylize("bold")
            self._cells[model.id] = cells
        return cells

    def _sort_value(self) -> SortValue | None:
        if self.sort_key is None:
            return None
        if self.sort_key == OBSERVED:
            return lambda m: cost.average if (cost := self._observed(m)) else None
        return SORT_KEYS[self.sort_key]

    def rebuild(self, keep: str | None = None, *, top: bool = False) -> None:
        """Filter, sort and show the rows. The highlight goes to the top (after a new sort
        or filter: the first rows are the answer), else stays on `keep` or the model
        highlighted now (when only the data changed)."""
        table = self.query_one(DataTable)
        keep = None if top else keep or self.highlighted_id()
        models = self.filter.apply(self.models)
        value = self._sort_value()
        if value is not None:
            models = sort_models(models, value, descending=self.descending)
        self.shown = models
        table.clear()
        for model in models:
            table.add_row(*self._row(model), key=model.id)
        index = next((i for i, m in enumerate(models) if m.id == keep), 0)
        if models:
            table.move_cursor(row=index, animate=False, scroll=True)
        self._show_empty(not models)
        self._show_headers()
        self._show_status()
        self._show_details()

    def _show_empty(self, empty: bool) -> None:
        message = self.query_one("#browser-empty", Static)
        message.display = empty
        self.query_one(DataTable).display = not empty
        if empty:
            message.update(
                Content.assemble(
                    f"No model matches {self.filter.describe()}.\n",
                    ("Press c to clear the filters.", MUTED),
                )
            )

    def _show_headers(self) -> None:
        table = self.query_one(DataTable)
        arrow = "▼" if self.descending else "▲"
        for column in COLUMNS:
            sorted_by = arrow if column.key == self.sort_key else None
            table.columns[ColumnKey(column.key)].label = header_text(column, sorted_by)
        table.refresh()

    def sort_label(self) -> str:
        if self.sort_key is None:
            return "Poe's order"
        column = next(c for c in COLUMNS if c.key == self.sort_key)
        return f"{column.label} {'▼' if self.descending else '▲'}"

    def _show_status(self) -> None:
        total = len(self.models)
        count = len(self.shown)
        models = f"{total} models" if count == total else f"{count} of {total} models"
        self.query_one("#browser-status", Label).update(
            Content.assemble(models, (f" · sorted by {self.sort_label()}", MUTED))
        )

    def highlighted_model(self) -> ModelInfo | None:
        table = self.query_one(DataTable)
        if not self.shown or not table.is_valid_row_index(table.cursor_row):
            return None
        return self.shown[table.cursor_row]

    def highlighted_id(self) -> str | None:
        model = self.highlighted_model()
        return model.id if model else None

    def _show_details(self) -> None:
        body = self.query_one("#details-body", Static)
        model = self.highlighted_model()
        if model is None:
            body.update("")
            return
        body.update(details(model, self._observed(model), self.observed_loaded))
        self.query_one("#details", VerticalScroll).scroll_home(animate=False)

    def show_observed(self, observed: Observed) -> None:
        """The points history arrived (or changed): redraw the paid-per-reply column."""
        self.observed = observed
        self.observed_loaded = True
        self._cells.clear()
        self.rebuild()

    # --- events ----------------------------------------------------------------------------

    @on(DataTable.RowHighlighted, "#prices")
    def _row_highlighted(self) -> None:
        self._show_details()

    @on(DataTable.RowSelected, "#prices")
    def _row_selected(self) -> None:
        model = self.highlighted_model()
        if model is not None and self.is_active:
            self.dismiss(model.id)

    @on(DataTable.HeaderSelected, "#prices")
    def _header_clicked(self, event: DataTable.HeaderSelected) -> None:
        key = str(event.column_key.value)
        if key == self.sort_key:
            self.descending = not self.descending
        else:
            self.set_sort(key)
            return
        self.rebuild(top=True)

    def set_sort(self, key: str | None) -> None:
        """Sort by column `key` in its natural direction (None: Poe's order)."""
        self.sort_key = key
        column = next((c for c in COLUMNS if c.key == key), None)
        self.descending = column is not None and column.descending_first
        self.rebuild(top=True)

    @on(Input.Changed, "#filter-text")
    @on(Select.Changed)
    @on(Checkbox.Changed, "#filter-params")
    def _filters_changed(self) -> None:
        self.filter = ModelFilter(
            text=self.query_one("#filter-text", Input).value,
            owner=_selected(self.query_one("#filter-owner", Select)),
            input_modality=_selected(self.query_one("#filter-input", Select)),
            output_modality=_selected(self.query_one("#filter-output", Select)),
            price=_price_class(_selected(self.query_one("#filter-price", Select))),
            has_parameters=self.query_one("#filter-params", Checkbox).value,
        )
        self.rebuild(top=True)

    @on(Input.Submitted, "#filter-text")
    def _filter_submitted(self) -> None:
        """Enter in the filter box picks the highlighted model, as the picker does."""
        self._row_selected()

    # --- actions ---------------------------------------------------------------------------

    def action_close(self) -> None:
        table = self.query_one(DataTable)
        if self.focused is not table and table.display:
            self.set_focus(table)  # Esc leaves the filters first, then the browser
        elif self.is_active:
            self.dismiss(None)

    def action_focus_filter(self) -> None:
        # At once, not after the queue (`focus()`): keys typed right after the slash,
        # already waiting in the queue, must land in the filter box.
        self.set_focus(self.query_one("#filter-text", Input))

    def action_sort(self, step: int) -> None:
        keys: list[str | None] = [None, *COLUMN_KEYS]
        index = keys.index(self.sort_key)
        self.set_sort(keys[(index + step) % len(keys)])

    def action_reverse(self) -> None:
        if self.sort_key is None:
            self.set_sort("name")
        self.descending = not self.descending
        self.rebuild(top=True)

    def action_toggle_details(self) -> None:
        pane = self.query_one("#details", VerticalScroll)
        pane.display = not pane.display

    def action_clear_filters(self) -> None:
        with self.prevent(Input.Changed, Select.Changed, Checkbox.Changed):
            self.query_one("#filter-text", Input).value = ""
            for select in self.query(Select).results(Select):
                select.clear()
            self.query_one("#filter-params", Checkbox).value = False
        self.filter = ModelFilter()
        self.rebuild(top=True)
        self.set_focus(self.query_one(DataTable))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Letters typed into the filter box are text, not commands.
        typing = isinstance(self.focused, Input)
        if action in ("sort", "reverse", "toggle_details", "clear_filters", "focus_filter"):
            return not typing
        if action == "move":
            return typing  # the table moves its own cursor when it has the focus
        return True

    def action_move(self, action: str) -> None:
        getattr(self.query_one(DataTable), f"action_{action}")()

    def cell_at(self, row: int, column: str) -> str:
        """The text of one cell as shown (for tests and screen readers of the table)."""
        table = self.query_one(DataTable)
        index = COLUMN_KEYS.index(column)
        cell = table.get_cell_at(Coordinate(row, index))
        return cell.plain if isinstance(cell, Text) else str(cell)


def _price_class(value: str | None) -> PriceClass | None:
    for _label, price in PRICE_OPTIONS:
        if price == value:
            return price
    return None

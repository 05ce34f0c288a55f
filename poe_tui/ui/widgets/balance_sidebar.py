"""The right-hand sidebar: points balance, recent costs, today's and this month's spending,
a 30-day chart, points per bot, the current bot, the conversation's transport and the
bot's parameter form.

The chat screen fetches; this only shows typed core objects it is handed, and asks for
a refresh with a message (the fetching lives with the client, in the screen).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.events import Resize
from textual.message import Message
from textual.renderables.digits import Digits as DigitsRenderable
from textual.widgets import Button, Digits, Label, Select, Static

from poe_tui.core.accounting import since_days, spend_summary, top_bots
from poe_tui.core.models import ModelInfo, format_tokens, price_summary
from poe_tui.core.transports.registry import Transport, all_specs
from poe_tui.core.usage import Balance, PointsEntry
from poe_tui.ui.spend import CHART_DAYS, daily_spend
from poe_tui.ui.styles import load_css
from poe_tui.ui.widgets.bot_spend import BotSpend
from poe_tui.ui.widgets.parameter_form import ParameterForm
from poe_tui.ui.widgets.spend_chart import SpendChart

MUTED = "$foreground-muted"
LOADING = "— loading…"
RECENT_ROWS = 5
TOP_BOTS = 5  # bars per bot in the sidebar; the rest are summed as "others"
DIGITS_MAX_WIDTH = 26  # a 30-column sidebar less border, padding and scrollbar
FALLBACK_WIDTH = 26  # before the first layout, assume the narrowest sidebar


def compact_age(then: datetime, now: datetime) -> str:
    """`now`, `45s`, `12m`, `3h`, `5d`, `8w`: short enough for a 30-column sidebar."""
    seconds = max(0, int((now - then).total_seconds()))
    for unit, size in (("w", 604_800), ("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "now"


def big_number(points: int) -> str:
    """The balance for the big digits: exact when it fits, else like `123.4M`."""
    exact = f"{points:,}"
    if DigitsRenderable.get_width(exact) <= DIGITS_MAX_WIDTH:
        return exact
    return f"{points / 1_000_000:,.1f}M"


def recent_rows(entries: list[PointsEntry], now: datetime, width: int) -> list[Content]:
    """Rows of bot, points (refunds in green) and age; the bot name gets what is left."""
    points = [f"{e.cost_points:,}" for e in entries]
    ages = [compact_age(e.created_at, now) for e in entries]
    points_width = max(map(len, points), default=0)
    age_width = max(map(len, ages), default=0)
    name_width = max(4, width - points_width - age_width - 2)
    return [
        Content.assemble(
            Content(e.bot_name).truncate(name_width, ellipsis=True, pad=True),
            " ",
            Content.styled(text, "$text-success" if e.cost_points < 0 else "").right(points_width),
            " ",
            Content.styled(age, MUTED).right(age_width),
        )
        for e, text, age in zip(entries, points, ages, strict=True)
    ]


def totals_lines(today: int, month: int, width: int) -> Content:
    """`Today … 1,544` and `This month … 12,345`, numbers flush right."""
    rows = [("Today", f"{today:,}"), ("This month", f"{month:,}")]
    return Content("\n").join(
        Content.assemble(Content.styled(label.ljust(max(1, width - len(value))), MUTED), value)
        for label, value in rows
    )


def modalities(model: ModelInfo) -> str:
    inputs = "+".join(model.input_modalities) or "?"
    outputs = "+".join(model.output_modalities) or "?"
    return f"{inputs} → {outputs}"


def price_lines(model: ModelInfo) -> list[Content]:
    """The price summary, with "per 1M" on its own line so a narrow sidebar never orphans it."""
    summary = price_summary(model.pricing)
    prices, per_million, rest = summary.partition(" per 1M")
    if not per_million:
        return [Content(summary)]
    return [Content(prices), Content.styled(f"per 1M tokens{rest}", MUTED)]


def bot_summary(bot_id: str, model: ModelInfo | None) -> Content:
    """The current bot: name, owner, price, context and modalities (its parameters are
    in the form below, with their defaults)."""
    if model is None:
        return Content.assemble((bot_id, "bold"), "\n", ("details not loaded", MUTED))
    lines: list[Content] = [Content.styled(model.display_name, "bold")]
    identity = [model.id] if model.id.casefold() != model.display_name.casefold() else []
    if model.owned_by:
        identity.append(model.owned_by)
    if identity:
        lines.append(Content.styled(" · ".join(identity), MUTED))
    lines.extend(price_lines(model))
    context = f"context {format_tokens(model.context_length)}"
    lines.append(Content(f"{context} · max out {format_tokens(model.max_output_tokens)}"))
    lines.append(Content.styled(modalities(model), MUTED))
    return Content("\n").join(lines)


class BalanceSidebar(VerticalScroll):
    """Shows the account and the current bot; posts `RefreshRequested` on `r` or Refresh."""

    DEFAULT_CSS = load_css(__file__, "balance_sidebar.tcss")

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "refresh", "Refresh balance", id="refresh_balance")
    ]

    class RefreshRequested(Message):
        """The user asked to reload the balance and points history."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._entries: list[PointsEntry] = []
        self._history_time: datetime | None = None

    def compose(self) -> ComposeResult:
        with Horizontal(id="balance-heading"):
            yield Label("Points", classes="section-title")
            yield Button("↻ Refresh", id="refresh", compact=True)
        yield Digits("-", id="points")
        yield Static(Content.styled(LOADING, MUTED), id="points-note")
        yield Static("", id="balance-error")
        yield Label("Recent replies", classes="section-title")
        yield Static(Content.styled("—", MUTED), id="recent")
        yield Label("Spending", classes="section-title")
        yield Static(Content.styled("—", MUTED), id="spend-totals")
        yield SpendChart(id="spend")
        yield Label(f"By bot, {CHART_DAYS} days", classes="section-title")
        yield BotSpend(id="bot-spend")
        yield Label("Bot", classes="section-title")
        yield Static(Content.styled("—", MUTED), id="bot")
        yield Label("Transport", classes="section-title")
        options = [(spec.label, spec.transport.value) for spec in all_specs()]
        # Its Select.Changed bubbles to the screen, which may refuse the choice.
        yield Select(
            options, value=Transport.NATIVE.value, allow_blank=False, compact=True, id="transport"
        )
        yield Label("Parameters", classes="section-title")
        yield ParameterForm(id="parameters")

    # --- what the app calls ---------------------------------------------------------

    def show_balance(self, balance: Balance | None, error: str | None = None) -> None:
        """Show the balance (None: not known yet, or failed when `error` says why)."""
        digits = self.query_one("#points", Digits)
        note = self.query_one("#points-note", Static)
        if balance is None:
            digits.update("-")
            note.update(Content.styled("— (could not load)" if error else LOADING, MUTED))
        else:
            digits.update(big_number(balance.current_point_balance))
            note.update(self._balance_note(balance))
        problem = self.query_one("#balance-error", Static)
        problem.update(Content(error or ""))  # server text: never markup
        problem.display = bool(error)

    def show_history(self, entries: list[PointsEntry], now: datetime | None = None) -> None:
        """Show the newest costs and the per-day chart; `now` is fixed in tests."""
        self._history_time = now or datetime.now().astimezone()
        self._entries = sorted(entries, key=lambda e: e.creation_time_us, reverse=True)
        self.query_one(SpendChart).show(daily_spend(self._entries, self._history_time))
        window = since_days(self._history_time, CHART_DAYS).timestamp() * 1_000_000
        recent = [e for e in self._entries if e.creation_time_us >= window]
        self.query_one(BotSpend).show(top_bots(recent, TOP_BOTS))
        self._show_recent()

    def show_bot(self, bot_id: str, model: ModelInfo | None) -> None:
        self.query_one("#bot", Static).update(bot_summary(bot_id, model))

    def show_transport(self, transport: str) -> None:
        """Show the conversation's transport without announcing it as a new choice."""
        select: Select[str] = self.query_one("#transport", Select)
        if select.value != transport:
            with select.prevent(Select.Changed):
                select.value = transport

    async def show_parameters(
        self, model: ModelInfo | None, transport: str, values: dict[str, Any]
    ) -> None:
        await self.query_one(ParameterForm).show(model, transport, values)

    # --- internals ------------------------------------------------------------------

    @staticmethod
    def _balance_note(balance: Balance) -> Content:
        text = f"{balance.current_point_balance:,} points"
        if balance.total_balance_usd:
            text += f" · ${balance.total_balance_usd}"
        return Content.styled(text, MUTED)

    def _show_recent(self) -> None:
        """The newest rows and the spending totals, both fitted to the width."""
        recent = self.query_one("#recent", Static)
        if self._history_time is None:
            return
        totals = spend_summary(self._entries, self._history_time)
        width = recent.content_size.width or FALLBACK_WIDTH
        self.query_one("#spend-totals", Static).update(
            totals_lines(totals.today, totals.this_month, width)
        )
        if not self._entries:
            recent.update(Content.styled("no usage yet", MUTED))
            return
        rows = recent_rows(self._entries[:RECENT_ROWS], self._history_time, width)
        recent.update(Content("\n").join(rows))

    def on_resize(self, _event: Resize) -> None:
        # The rows are fitted to the width, so a new width means new rows.
        self.call_after_refresh(self._show_recent)

    @on(Button.Pressed, "#refresh")
    def _refresh_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_refresh()

    def action_refresh(self) -> None:
        self.post_message(self.RefreshRequested())

"""One message of a conversation: the user's prompt, or a bot's reply as Markdown.

The text lives in the `Message`; this widget only shows it, always with the same cheap
widgets: a handful of `Static`s (Rich Markdown for prose, one highlighted block per code
fence). Textual's `Markdown` widget mounts a widget per paragraph, list item and table
cell, and every layout pass walks them all: streamed into one, a 20k-token reply cost
more than twice a plain `Log` fed the same text, and finished replies on screen made
every frame dearer (DESIGN.md §4).

While a reply streams, a timer looks at the message about ten times a second
(coalescing in the UI, never per chunk). The finished top-level blocks of what arrived
are "sealed": rendered once into snapshot widgets that never change again. Only the
unfinished tail (the block still growing, usually a paragraph or a fence) is a live
`Static`, rendered again on each flush, so a flush costs the size of one block, not the
size of the reply.

Hostile replies are capped, not trusted: a block too big to render again on every flush
(a 1 MB line, a 10,000-row table, a huge unterminated fence) streams as plain text, and
a finished segment past `HEAVY_CHARS` or `HEAVY_LINES` is shown as plain text rather
than laid out as Markdown, so nothing a bot sends can freeze the app.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Hashable
from dataclasses import dataclass
from typing import ClassVar

from rich.console import Console, ConsoleOptions, RenderResult
from rich.segment import Segment as RichSegment
from rich.style import Style
from rich.theme import Theme as RichTheme
from textual import events
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.color import Color
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.message import Message as TextualMessage
from textual.timer import Timer
from textual.widget import Widget
from textual.widgets import Button, Collapsible, Static

from poe_tui.core.conversation import Message, MessageStatus, can_continue
from poe_tui.core.events import Retrying, Throttled
from poe_tui.core.text import strip_terminal_controls
from poe_tui.ui.messages import MessageChanged, Part, UploadProgress
from poe_tui.ui.styles import load_css
from poe_tui.ui.widgets.message_files import MessageFiles
from poe_tui.ui.widgets.reply_text import ReplyText, virtual_size_from_layout
from poe_tui.ui.widgets.retry_notice import RetryNotice
from poe_tui.ui.widgets.suggestion_chips import SuggestionChips

FLUSHES_PER_SECOND = 10
SEAL_AT_CHARS = 1_200  # finished blocks are sealed once the live tail is this long
LIVE_LIMIT_CHARS = 8_000  # an unfinished block past this streams as plain text
HEAVY_CHARS = 50_000  # a finished segment past this (or HEAVY_LINES) is shown plain
HEAVY_LINES = 2_000


# --- pure helpers ---------------------------------------------------------------------


def code_blocks(markdown: str) -> list[str]:
    """The contents of every fenced or indented code block, in order."""
    # Imported here, as the three Markdown modules below: ~35 ms, no first frame needs them.
    from markdown_it import MarkdownIt

    tokens = MarkdownIt("commonmark").parse(markdown)
    # Without the final newline, so pasting into a shell does not run the last line.
    return [t.content.rstrip("\n") for t in tokens if t.type in ("fence", "code_block")]


def last_code_block(markdown: str) -> str | None:
    blocks = code_blocks(markdown)
    return blocks[-1] if blocks else None


@dataclass(frozen=True, slots=True)
class Segment:
    """A run of prose, or one top-level code block with its language."""

    kind: str  # "prose" | "code"
    text: str
    language: str = ""


def split_code_blocks(markdown: str) -> list[Segment]:
    """Cut Markdown at its top-level code blocks, so each block can be its own widget."""
    from markdown_it import MarkdownIt  # not on start-up: see code_blocks

    lines = markdown.splitlines(keepends=True)
    segments: list[Segment] = []
    cursor = 0
    for token in MarkdownIt("commonmark").parse(markdown):
        if token.type not in ("fence", "code_block") or token.level or not token.map:
            continue
        start, end = token.map
        segments.append(Segment("prose", "".join(lines[cursor:start])))
        language = token.info.split()[0] if token.info.strip() else ""
        segments.append(Segment("code", token.content.rstrip("\n"), language))
        cursor = end
    segments.append(Segment("prose", "".join(lines[cursor:])))
    return [s for s in segments if s.kind == "code" or s.text.strip()]


def seal_point(markdown: str, keep: int) -> int:
    """Where a top-level block starts with at least `keep` characters after it (0: none).

    Cutting there leaves the head complete Markdown on its own, so it can be rendered
    apart from the tail that is still growing.
    """
    from markdown_it import MarkdownIt  # not on start-up: see code_blocks

    offsets = [0]
    for line in markdown.splitlines(keepends=True):
        offsets.append(offsets[-1] + len(line))
    limit = len(markdown) - keep
    best = 0
    for token in MarkdownIt("gfm-like").parse(markdown):
        if token.level == 0 and token.map and token.nesting >= 0:
            start = offsets[min(token.map[0], len(offsets) - 1)]
            if 0 < start <= limit:
                best = max(best, start)
    return best


def is_heavy(text: str) -> bool:
    """Too big to lay out as Markdown in reasonable time (a bot's hostile reply)."""
    return len(text) > HEAVY_CHARS or text.count("\n", 0, HEAVY_CHARS * 2) > HEAVY_LINES


def plain_cut(text: str, limit: int) -> int:
    """Where to cut plain text of more than `limit` characters: after the last newline
    within the limit (or at the limit, for one enormous line); 0 when short enough."""
    if len(text) <= limit:
        return 0
    newline = text.rfind("\n", 0, limit)
    return newline + 1 if newline > 0 else limit


def reply_footer(message: Message) -> str:
    """`bot · 1,234 tokens · 2.4 s · 56 points` plus how the reply ended."""
    parts = [message.bot]
    if message.status is MessageStatus.STREAMING:
        parts.append("thinking…" if message.thinking and not message.text else "writing…")
    if message.completion_tokens is not None:
        parts.append(f"{message.completion_tokens:,} tokens")
    if message.finished_at is not None:
        parts.append(f"{max(0.0, message.finished_at - message.created_at):.1f} s")
    if message.points is not None:
        parts.append(f"{message.points:,} points")
    if message.status is MessageStatus.STOPPED:
        parts.append("stopped")
    elif message.status is MessageStatus.FAILED:
        parts.append("failed")
    return " · ".join(parts)


def thinking_title(message: Message) -> str:
    """The thinking box's title: "Thinking…" while streaming, then its word count."""
    if message.status is MessageStatus.STREAMING:
        return "Thinking…"
    words = len(message.thinking.split())
    return f"Thinking ({words:,} word{'' if words == 1 else 's'})"


def error_content(message: Message) -> Content:
    """The failure in words: a bold title, then what happened and what to do."""
    # Stored errors may predate the core's cleaning (or come from an import): clean again.
    title = strip_terminal_controls(message.error_title or "Error")
    details = strip_terminal_controls(message.error_message or "The reply failed.")
    return Content.assemble(("⚠ " + title, "bold"), "\n", details)


# --- snapshot rendering ------------------------------------------------------------------


def _rich_color(value: str | None, background: Color) -> str | None:
    """A Textual CSS colour value as a Rich colour (alpha blended), or None."""
    if not value:
        return None
    try:
        color = Color.parse(value)
    except Exception:  # "auto 87%", "initial" and friends: let the widget colour show
        return None
    if color.a < 1:
        color = background.blend(color.with_alpha(1), color.a)
    return color.hex6


def markdown_theme(variables: dict[str, str]) -> RichTheme:
    """Rich Markdown styles taken from the Textual theme, to match the live Markdown."""
    background = Color.parse(variables.get("background", "#000000"))

    def color(name: str) -> str | None:
        return _rich_color(variables.get(name), background)

    styles: dict[str, Style] = {}
    for level in range(1, 7):
        text_style = variables.get(f"markdown-h{level}-text-style", "bold")
        parsed = Style.parse(text_style.replace("none", "").strip() or "none")
        styles[f"markdown.h{level}"] = parsed + Style(color=color(f"markdown-h{level}-color"))
    styles["markdown.code"] = Style(color=color("text-warning"), bgcolor=color("warning-muted"))
    styles["markdown.block_quote"] = Style(color=color("foreground"), italic=True)
    styles["markdown.item.bullet"] = Style(color=color("text-primary"), bold=True)
    styles["markdown.item.number"] = Style(color=color("text-primary"))
    styles["markdown.link"] = Style(color=color("text-accent"), underline=True)
    styles["markdown.link_url"] = Style(color=color("text-accent"), underline=True)
    styles["markdown.table.border"] = Style(color=color("foreground-muted"))
    styles["markdown.table.header"] = Style(color=color("text-primary"), bold=True)
    styles["markdown.hr"] = Style(color=color("foreground-muted"))
    return RichTheme(styles, inherit=True)


class ThemedMarkdown:
    """Rich Markdown rendered under a theme, so its colours follow the Textual theme.

    The lines are kept for the last width they were rendered at: Textual asks for them
    again to measure the height and to paint whenever the layout moves, and laying out
    Markdown again each time was most of what a streaming reply still cost (profiled).
    """

    def __init__(self, markdown: str, theme: RichTheme) -> None:
        from rich.markdown import Markdown as RichMarkdown  # not on start-up: see code_blocks

        self.markdown = RichMarkdown(markdown, hyperlinks=True)
        self.theme = theme
        self._lines: tuple[Hashable, list[list[RichSegment]]] | None = None

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        key = (options.max_width, options.no_wrap, options.overflow, console.color_system)
        if self._lines is None or self._lines[0] != key:
            with console.use_theme(self.theme):
                lines = console.render_lines(self.markdown, options, pad=False, new_lines=True)
            self._lines = (key, lines)
        for line in self._lines[1]:
            yield from line


# --- the widget ----------------------------------------------------------------------------


class MessageView(Vertical):
    DEFAULT_CSS = load_css(__file__, "message_view.tcss")
    virtual_size = virtual_size_from_layout()

    # Keys for the focused message (click it, or Tab to it); check_action hides the
    # ones that do not apply to this message.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("e", "edit", "Edit & resend", id="edit_message"),
        Binding("g", "regenerate(False)", "Regenerate", id="regenerate_reply"),
        Binding("b", "regenerate(True)", "Regenerate with…", id="regenerate_with_bot"),
        Binding("m", "regenerate_several", "Regenerate with several…", id="regenerate_with_bots"),
        Binding("c", "continue_reply", "Continue", id="continue_reply"),
        Binding("left,[", "branch(-1)", "Older version", id="previous_branch"),
        Binding("right,]", "branch(1)", "Newer version", id="next_branch"),
        Binding("escape", "back_to_prompt", "Prompt", show=False, id="back_to_prompt"),
        Binding("up,k", "focus_neighbour(-1)", "Previous message", show=False, id="focus_up"),
        Binding("down,j", "focus_neighbour(1)", "Next message", show=False, id="focus_down"),
    ]

    class RetryRequested(TextualMessage):
        """The Retry button of a failed reply was pressed."""

        def __init__(self, message: Message) -> None:
            super().__init__()
            self.message = message

    class CopyRequested(TextualMessage):
        """A code block was clicked; `code` is its text."""

        def __init__(self, code: str) -> None:
            super().__init__()
            self.code = code

    class EditRequested(TextualMessage):
        """Edit this prompt and send it again (a new branch; the old one is kept)."""

        def __init__(self, message: Message) -> None:
            super().__init__()
            self.message = message

    class RegenerateRequested(TextualMessage):
        """Ask for this reply again, as a new branch; `choose_bot` asks which bot first,
        `several` which bots (each answers as a version of its own, all at once)."""

        def __init__(self, message: Message, choose_bot: bool, *, several: bool = False) -> None:
            super().__init__()
            self.message = message
            self.choose_bot = choose_bot
            self.several = several

    class ContinueRequested(TextualMessage):
        """Let the bot carry on a reply that was stopped or cut off."""

        def __init__(self, message: Message) -> None:
            super().__init__()
            self.message = message

    class TypedAhead(TextualMessage):
        """The user typed on a message (or pressed Esc on it): the prompt should take
        the focus, and `text` (empty for Esc)."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class BranchRequested(TextualMessage):
        """Show the previous (`step` -1) or next (+1) version of this turn."""

        def __init__(self, message: Message, step: int) -> None:
            super().__init__()
            self.message = message
            self.step = step

    def __init__(self, message: Message, *, live: bool = False) -> None:
        super().__init__(classes=f"-{message.role}")
        self.message = message
        # Focusable so the keys above (and ctrl+y on replies) act on this message.
        self.can_focus = True
        self.branch: tuple[int, int] | None = None  # (position, count) when several versions
        self.is_live = live or message.status is MessageStatus.STREAMING
        self._shown = ""  # the part of message.text already on screen
        self._sealed = 0  # how much of _shown went into snapshot widgets above the live one
        self._plain_from: int | None = None  # from here on the reply streams as plain text
        self._flush_timer: Timer | None = None
        self._flush_lock = asyncio.Lock()
        self._flush_scheduled = False
        self._code_by_widget: dict[Static, str] = {}
        self._follows_theme = False
        self._thinking_shown = ""
        self._ended = False  # the reply's text is final (sealing need not wait)
        self._last_flush = 0.0  # monotonic time of the last scheduled flush

    @property
    def is_reply(self) -> bool:
        return self.message.role == "assistant"

    def compose(self) -> ComposeResult:
        if self.branch is not None:
            yield self._branch_nav()
        if not self.is_reply:
            text = strip_terminal_controls(self.message.text)
            yield Static(text, markup=False, classes="user-text")
            if self.message.attachments:
                yield MessageFiles(self.message)
            return
        yield self._thinking_widget()
        if self.is_live and self.message.plain_text:
            self._shown = self.message.text
            yield self._plain_body()
        elif self.is_live:
            self._shown = self.message.text
            yield ReplyText(classes="reply-body")
        else:
            yield from self._snapshot_widgets()
        yield Static(reply_footer(self.message), markup=False, classes="reply-footer")
        if self.message.attachments:  # below the footer: text widgets mount above it
            yield MessageFiles(self.message)
        if self.message.status is MessageStatus.FAILED:
            yield from self._error_widgets()

    async def on_mount(self) -> None:
        if self.is_live and self.query(".reply-body"):
            await self._show_live()
        if self.is_reply and not self.is_live:
            self._follow_theme()

    def on_unmount(self) -> None:
        self._stop_timer()

    # --- keeping up with the message ---------------------------------------------------

    async def show_change(self, change: MessageChanged) -> None:
        """Show what the model says changed (handed down by the ConversationView)."""
        match change.part:
            case Part.TEXT:
                self._request_flush()
            case Part.WAIT:
                await self.show_wait(change.wait)
            case Part.STATUS:
                await self.sync()
                keys = change.suggestion_keys
                if keys is not None and self.message.status is MessageStatus.COMPLETE:
                    await self.show_suggestions(keys)
            case Part.FILES:
                await self.show_files()
            case Part.FOOTER:
                self.refresh_footer()
            case Part.ERROR:
                self.refresh_error()
            case Part.UPLOAD:
                self.show_upload(change.upload)

    def show_upload(self, upload: UploadProgress | None) -> None:
        for files in self.query_children(MessageFiles):
            if upload is None:
                files.clear_progress()
            else:
                files.show_progress(upload.index, upload.sent, upload.total, upload.cancel_key)

    async def sync(self) -> None:
        """Bring the widget in line with the message after its status changed."""
        if not self.is_reply:
            return
        if self.message.status is MessageStatus.STREAMING:
            await self._restart_live()
        else:
            await self.show_wait(None)
            await self._finish_stream()
            await self._show_error_if_failed()
        self._show_thinking()
        self.refresh_footer()
        await self.show_files()

    async def show_files(self) -> None:
        """Bring the files under the message up to date (issue 5: attachments)."""
        if self.query(MessageFiles):
            await self.query_one(MessageFiles).refresh_files()
        elif self.message.attachments:
            footer = self.query(".reply-footer")
            files = MessageFiles(self.message)
            await (self.mount(files, after=footer.first()) if footer else self.mount(files))

    async def show_wait(self, wait: Retrying | Throttled | None) -> None:
        """Count down an automatic retry above the footer; None takes the notice away."""
        await self.query(RetryNotice).remove()
        if wait is not None and self.is_reply:
            await self.mount(RetryNotice(wait), before=self.query_one(".reply-footer"))

    def refresh_footer(self) -> None:
        if self.is_reply and self.is_mounted:
            self.query_one(".reply-footer", Static).update(reply_footer(self.message))

    async def flush(self) -> None:
        """Show what arrived since the last flush (called ~10 times a second)."""
        self._show_thinking()
        async with self._flush_lock:
            if self.message.plain_text:
                await self._flush_plain()
                return
            text = self.message.text
            if not self.is_live or text == self._shown or not self.query(".reply-body"):
                return
            if not text.startswith(self._shown):  # a replace_response event rewrote it
                await self._remove_sealed()
            self._shown = text
            await self._show_live()

    async def freeze(self) -> None:
        """Make a finished live reply final: the live tail is sealed like the rest."""
        if not self.is_live or self.message.status is MessageStatus.STREAMING:
            return
        await self._finish_stream()
        self.is_live = False
        if self.query(".reply-body"):
            async with self._flush_lock:
                tail = self._shown[self._sealed :]
                if tail.strip():
                    await self._seal(tail, plain=self._plain_from is not None)
                await self.query(".reply-body").remove()
        self._follow_theme()

    async def _show_live(self) -> None:
        """Seal the finished blocks, then draw the tail (lock held, or on mount)."""
        await self._seal_finished_blocks()
        body = self.query_one(".reply-body", Static)
        tail = strip_terminal_controls(self._shown[self._sealed :])
        self._code_by_widget.pop(body, None)
        segments = [] if self._plain_from is not None else split_code_blocks(tail)
        if self._plain_from is not None:
            body.update(Content(tail))
        elif len(segments) == 1 and segments[0].kind == "code":
            body.update(self._highlight(segments[0]))
            self._code_by_widget[body] = segments[0].text
        else:
            body.update(ThemedMarkdown(tail, self._theme()))
        body.set_class(len(segments) == 1 and segments[0].kind == "code", "-code")

    async def _seal_finished_blocks(self) -> None:
        """Move finished top-level blocks above the live tail, rendered once for good."""
        live = self._shown[self._sealed :]
        # While it streams, sealing waits for a long enough tail (each seal costs a mount);
        # once the reply ended, every finished block goes.
        threshold = 0 if self._ended else SEAL_AT_CHARS
        if self._plain_from is None and len(live) >= threshold:
            cut = seal_point(live[: LIVE_LIMIT_CHARS * 2], keep=0)  # never parse a flood
            if cut:
                await self._seal(live[:cut])
                live = live[cut:]
            if len(live) > LIVE_LIMIT_CHARS:
                self._plain_from = self._sealed  # one block too big to redraw each flush
        if self._plain_from is not None:
            while cut := plain_cut(live, LIVE_LIMIT_CHARS):
                await self._seal(live[:cut], plain=True)
                live = live[cut:]

    async def _seal(self, markdown: str, *, plain: bool = False) -> None:
        widgets = self._snapshot_widgets(markdown, plain=plain)
        await self.mount_all(widgets, before=self.query_one(".reply-body"))
        self._sealed += len(markdown)

    async def _remove_sealed(self) -> None:
        await self._remove_snapshot_widgets()
        self._sealed = 0
        self._plain_from = None

    def _request_flush(self) -> None:
        """New text is in the model: draw it now, or when the last flush is far enough
        behind (at most FLUSHES_PER_SECOND: a flush per token costs a layout per token)."""
        if self._flush_timer is not None or self._flush_scheduled or not self.is_live:
            return
        wait = self._last_flush + 1 / FLUSHES_PER_SECOND - time.monotonic()
        if wait <= 0:
            self._schedule_flush()
        else:
            self._flush_timer = self.set_timer(wait, self._flush_due)

    def _flush_due(self) -> None:
        self._flush_timer = None
        self._schedule_flush()

    def _schedule_flush(self) -> None:
        # The flush runs in our message queue, not in the timer's task: stopping the
        # timer cancels that task, and a flush cut short mid-seal would lose text.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self.call_later(self._scheduled_flush)

    async def _scheduled_flush(self) -> None:
        self._flush_scheduled = False
        self._last_flush = time.monotonic()
        await self.flush()

    async def _finish_stream(self) -> None:
        self._stop_timer()
        if not self.is_live:
            return
        await self.flush()
        if self.message.plain_text or not self.query(".reply-body"):
            return
        async with self._flush_lock:  # the text is final: only its last block stays live
            self._ended = True
            await self._show_live()

    async def _restart_live(self) -> None:
        """The message is streaming again (a retry): back to an empty live tail."""
        await self.query(".reply-error, .retry, .reply-plain").remove()
        await self.query(SuggestionChips).remove()
        self._show_thinking()
        async with self._flush_lock:
            self._ended = False
            self._shown = self.message.text
            await self._remove_sealed()
            if not self.query(".reply-body"):
                await self.mount(
                    ReplyText(classes="reply-body"), before=self.query_one(".reply-footer")
                )
            self.is_live = True
            await self._show_live()

    def _stop_timer(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.stop()
            self._flush_timer = None

    # --- the snapshot form -------------------------------------------------------------

    def _snapshot_widgets(
        self, markdown: str | None = None, *, plain: bool = False
    ) -> list[Widget]:
        """Widgets for `markdown` (the whole message by default): prose and code blocks."""
        text = strip_terminal_controls(self.message.text if markdown is None else markdown)
        if plain or self.message.plain_text:
            return [ReplyText(Content(text), classes="reply-prose")]
        if len(text) > HEAVY_CHARS * 4:  # not even worth parsing as Markdown
            return self._plain_pieces(text)
        widgets: list[Widget] = []
        theme = self._theme()
        for segment in split_code_blocks(text):
            if is_heavy(segment.text):
                widgets += self._plain_pieces(segment.text)
            elif segment.kind == "prose":
                prose = ThemedMarkdown(segment.text, theme)
                widgets.append(ReplyText(prose, classes="reply-prose"))
            else:
                block = ReplyText(self._highlight(segment), classes="reply-code")
                self._code_by_widget[block] = segment.text
                widgets.append(block)
        return widgets

    def _plain_pieces(self, text: str) -> list[Widget]:
        """Enormous text as plain `Static`s of at most HEAVY_CHARS each."""
        pieces: list[Widget] = []
        while cut := plain_cut(text, HEAVY_CHARS):
            pieces.append(ReplyText(Content(text[:cut]), classes="reply-prose"))
            text = text[cut:]
        return [*pieces, ReplyText(Content(text), classes="reply-prose")]

    def _theme(self) -> RichTheme:
        return markdown_theme(self.app.theme_variables or self.app.get_css_variables())

    def _highlight(self, segment: Segment) -> Content:
        # The very highlighter the live Markdown's fences use, so both forms look alike.
        from textual.widgets.markdown import MarkdownFence  # not on start-up: see code_blocks

        return MarkdownFence.highlight(
            segment.text,
            segment.language,
            ansi=self.app.native_ansi_color,
            dark=self.app.current_theme.dark,
        )

    def _follow_theme(self) -> None:
        # Snapshot colours are baked in when rendered, so a new theme means a new render.
        if not self._follows_theme:
            self._follows_theme = True
            self.watch(self.app, "theme", self._restyle_snapshot, init=False)

    async def _restyle_snapshot(self) -> None:
        if self.is_live or not self.is_mounted:
            return
        footer = self.query_one(".reply-footer")
        await self._remove_snapshot_widgets()
        await self.mount_all(self._snapshot_widgets(), before=footer)
        self._plain_from = None

    async def _remove_snapshot_widgets(self) -> None:
        await self.query(".reply-prose, .reply-code").remove()
        self._code_by_widget = {w: c for w, c in self._code_by_widget.items() if w.is_attached}

    # --- thinking, plain text, suggestions -----------------------------------------------

    def _thinking_widget(self) -> Collapsible:
        """Reasoning, collapsed above the answer; hidden until some arrives."""
        self._thinking_shown = self.message.thinking
        body = Static(strip_terminal_controls(self._thinking_shown), markup=False)
        body.add_class("thinking-body")
        box = Collapsible(body, title=thinking_title(self.message), classes="thinking")
        box.display = bool(self._thinking_shown)
        return box

    def _show_thinking(self) -> None:
        """Bring the collapsed thinking up to date (called with each ~10 Hz flush)."""
        if not self.is_reply or not self.is_mounted:
            return
        box = self.query_one(".thinking", Collapsible)
        thinking = self.message.thinking
        if thinking != self._thinking_shown:
            self._thinking_shown = thinking
            box.query_one(".thinking-body", Static).update(strip_terminal_controls(thinking))
        box.title = thinking_title(self.message)
        box.display = bool(thinking)

    def _plain_body(self) -> Static:
        text = strip_terminal_controls(self.message.text)
        return ReplyText(text, markup=False, classes="reply-plain")

    async def _flush_plain(self) -> None:
        """A `meta` asked for plain text: one Static replaces the live Markdown (lock held)."""
        if not self.query(".reply-plain"):
            await self._remove_sealed()
            await self.query(".reply-body").remove()
            await self.mount(self._plain_body(), before=self.query_one(".reply-footer"))
        elif self.message.text != self._shown:
            self.query_one(".reply-plain", Static).update(
                strip_terminal_controls(self.message.text)
            )
        self._shown = self.message.text

    async def show_suggestions(self, keys: list[str]) -> None:
        """Chips for the reply's suggested follow-ups, under its footer."""
        await self.query(SuggestionChips).remove()
        if self.message.suggested_replies:
            await self.mount(SuggestionChips(self.message.suggested_replies, keys))

    # --- failures ---------------------------------------------------------------------

    def _error_widgets(self) -> list[Widget]:
        return [
            Static(error_content(self.message), classes="reply-error"),
            Button("Retry (ctrl+r)", classes="retry", compact=True),
        ]

    def refresh_error(self) -> None:
        """Show the failure's text again after it changed (the balance was added)."""
        for widget in self.query(".reply-error").results(Static):
            widget.update(error_content(self.message))

    async def _show_error_if_failed(self) -> None:
        if self.message.status is MessageStatus.FAILED and not self.query(".reply-error"):
            await self.mount_all(self._error_widgets())

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.has_class("retry"):
            event.stop()
            self.post_message(self.RetryRequested(self.message))
        elif event.button.has_class("branch-prev") or event.button.has_class("branch-next"):
            event.stop()
            step = -1 if event.button.has_class("branch-prev") else 1
            if self.check_action("branch", (step,)):
                self.post_message(self.BranchRequested(self.message, step))

    # --- versions (branches) and per-message actions ---------------------------------

    def _branch_nav(self) -> Horizontal:
        """ "‹ prompt 2/3 ›": only mounted on turns with several versions (few widgets
        per message keep long conversations cheap)."""
        return Horizontal(
            Button("‹", classes="branch-prev", compact=True),
            Static(self._branch_text(), classes="branch-label", markup=False),
            Button("›", classes="branch-next", compact=True),
            classes="branch-nav",
        )

    def _branch_text(self) -> str:
        if self.branch is None:
            return ""
        position, count = self.branch
        return f"{'reply' if self.is_reply else 'prompt'} {position}/{count}"

    def show_branch(self, branch: tuple[int, int] | None) -> None:
        """Show "‹ 2/3 ›" when this turn has several versions (edits, regenerations)."""
        self.branch = branch
        if not self.is_mounted:
            return
        navs = self.query(".branch-nav")
        if branch is None:
            navs.remove()
        elif navs:
            navs.first().query_one(".branch-label", Static).update(self._branch_text())
        else:
            self.mount(self._branch_nav(), before=0)
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        message = self.message
        finished = message.status is not MessageStatus.STREAMING
        if action == "back_to_prompt":
            # While a reply streams, Esc is the screen's: it stops the reply.
            return not getattr(self.screen, "is_streaming", False)
        if action == "edit":
            return not self.is_reply
        if action in ("regenerate", "regenerate_several"):
            return self.is_reply and finished
        if action == "continue_reply":
            return can_continue(message)
        if action == "branch":
            step = parameters[0] if parameters else 0
            if self.branch is None or not isinstance(step, int):
                return False
            position, count = self.branch
            return 1 <= position + step <= count
        return True

    def action_back_to_prompt(self) -> None:
        self.post_message(self.TypedAhead(""))

    def on_key(self, event: events.Key) -> None:
        """Typing on a focused message goes to the prompt, unless the key is bound here
        (e, g, b, c…): nobody should resend a prompt by typing a word."""
        if not event.is_printable or not event.character:
            return
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.enabled:
            return  # ours, or a file row's inside us (o, s), or the screen's
        event.stop()
        event.prevent_default()
        self.post_message(self.TypedAhead(event.character))

    def action_edit(self) -> None:
        self.post_message(self.EditRequested(self.message))

    def action_regenerate(self, choose_bot: bool) -> None:
        self.post_message(self.RegenerateRequested(self.message, choose_bot))

    def action_regenerate_several(self) -> None:
        self.post_message(self.RegenerateRequested(self.message, True, several=True))

    def action_continue_reply(self) -> None:
        self.post_message(self.ContinueRequested(self.message))

    def action_branch(self, step: int) -> None:
        self.post_message(self.BranchRequested(self.message, step))

    def action_focus_neighbour(self, step: int) -> None:
        parent = self.parent
        if parent is None:
            return
        views = list(parent.query_children(MessageView))
        index = views.index(self) + step
        if 0 <= index < len(views):
            views[index].focus()
            views[index].scroll_visible(animate=False)

    # --- code blocks ------------------------------------------------------------------

    def on_click(self, event: events.Click) -> None:
        code = self._code_at(event.widget)
        if code is not None:
            event.stop()
            self.post_message(self.CopyRequested(code))

    def _code_at(self, widget: Widget | None) -> str | None:
        if widget is None:
            return None
        from textual.widgets.markdown import MarkdownFence  # not on start-up: see code_blocks

        for node in widget.ancestors_with_self:
            if isinstance(node, MarkdownFence):
                return node.code
            if isinstance(node, Static) and node in self._code_by_widget:
                return self._code_by_widget[node]
        return None

    def last_code_block(self) -> str | None:
        return last_code_block(self.message.text) if self.is_reply else None

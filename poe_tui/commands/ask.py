"""`poe-tui ask`: one prompt, the reply on stdout as it arrives.

What goes where, so scripts can rely on it:
- stdout: the answer. A `replace_response` (native bots that rewrite their answer)
  prints a line `[replaced]` and then the new text, on a terminal and in a pipe alike,
  since what was printed cannot be taken back. Files the bot returns follow the answer,
  one `[file: NAME] URL` line each.
- stderr: thinking, only with `--show-thinking` (dimmed on a terminal); suggested
  replies as `Suggested: …` lines, only when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from poe_tui.commands.attach import UploadMeter, check_attachments, stored_refs
from poe_tui.commands.output import CommandError, safe
from poe_tui.core.attachments import MessageFile
from poe_tui.core.chat import NullSink, ReplyDelta, Turn, TurnRunner, TurnSink
from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import Conversation
from poe_tui.core.errors import PoeError
from poe_tui.core.events import Retrying, Throttled
from poe_tui.core.files import LocalFile
from poe_tui.core.parameters import guess_parameters, validate_parameters
from poe_tui.core.retry import wait_notice
from poe_tui.core.transports.registry import Transport, sendable_parameters, spec_for
from poe_tui.store import SqliteStore, TurnLog

DIM = "\x1b[2m"
RESET = "\x1b[0m"
REPLACED_MARK = "[replaced]"


@dataclass(frozen=True, slots=True)
class AttachOptions:
    """`--attach` files and how to send them."""

    paths: Sequence[str] = ()
    upload_url: str = ""
    max_bytes: int = 50 * 1024 * 1024
    anyway: bool = False


def read_prompt(args: argparse.Namespace) -> str:
    if args.prompt:
        return " ".join(args.prompt)
    if not sys.stdin.isatty():
        text = sys.stdin.read()
        if text.strip():
            return text
    raise CommandError("No prompt given. Pass it as an argument or pipe it on stdin.", 2)


async def resolve_parameters(
    client: PoeClient, bot: str, raw: Mapping[str, str], transport: Transport
) -> dict[str, Any]:
    """Check `--param` values against the bot's schema when /v1/models knows the bot;
    otherwise pass them as best-guess JSON scalars. The Anthropic transport also needs
    the list to tell which bots it serves. A value the door cannot carry is an error,
    never dropped without a word."""
    if not raw and spec_for(transport).serves_every_bot:
        return {}
    with contextlib.suppress(PoeError):  # no catalogue: guess, and let the chat report it
        await client.list_models()
    model = client.known_model(bot)
    values = guess_parameters(raw) if model is None else validate_parameters(model, raw)
    dropped = sorted(set(values) - set(sendable_parameters(transport, values) or {}))
    if dropped:
        label = spec_for(transport).label
        raise CommandError(
            f"The {label} API cannot carry the parameter(s) {', '.join(dropped)}; "
            "use --transport native.",
            2,
        )
    return values


class ReplyPrinter:
    """Shows a turn on stdout/stderr as the runner reports it (after it is saved), and
    keeps lines tidy between the parts."""

    def __init__(
        self, out: TextIO, err: TextIO, *, show_thinking: bool, meter: UploadMeter | None = None
    ) -> None:
        self.out = out
        self.err = err
        self.show_thinking = show_thinking
        self.meter = meter
        self.at_line_start = True
        self.printed = False  # any answer text on stdout yet
        self.thinking_open = False
        self.suggestions: list[str] = []

    # --- the runner's observer ------------------------------------------------------

    def reply_changed(self, turn: Turn, delta: ReplyDelta) -> None:
        if delta.wait is not None:
            self.wait(delta.wait)
        if delta.thinking:
            self.thinking(delta.thinking)
        if delta.replaced is not None:
            self.replace(delta.replaced)
        if delta.text:
            self.text(delta.text)
        for file in delta.files:
            self.file(file.name, file.url or "")
        self.suggestions.extend(delta.suggestions)

    def uploading(self, turn: Turn, index: int, sent: int, total: int) -> None:
        if self.meter is not None:
            self.meter(index, sent, total)

    # --- writing ----------------------------------------------------------------------

    def text(self, text: str) -> None:
        self._end_thinking()
        self.printed = self.printed or bool(text)
        self.out.write(safe(text, self.out))
        self.out.flush()
        if text:
            self.at_line_start = text.endswith("\n")

    def replace(self, text: str) -> None:
        """The answer restarts; only what was already printed needs the marker (a draft
        replaced within one batch was never shown)."""
        if self.printed:
            self.newline()
            text = f"{REPLACED_MARK}\n{text}"
        self.text(text)

    def thinking(self, text: str) -> None:
        if not self.show_thinking:
            return
        dim = self.err.isatty()
        if not self.thinking_open and dim:
            self.err.write(DIM)
        self.thinking_open = True
        self.err.write(safe(text, self.err))
        self.err.flush()

    def _end_thinking(self) -> None:
        if self.thinking_open:
            self.err.write((RESET if self.err.isatty() else "") + "\n")
            self.err.flush()
            self.thinking_open = False

    def wait(self, wait: Retrying | Throttled) -> None:
        """An automatic retry or limiter wait: said on stderr, stdout stays the reply."""
        self._end_thinking()
        self.err.write(f"poe-tui: {wait_notice(wait, wait.delay)} · Ctrl-C cancels\n")
        self.err.flush()

    def file(self, name: str, url: str) -> None:
        self.newline()
        self.text(f"[file: {name}] {url}\n")

    def newline(self) -> None:
        if not self.at_line_start:
            self.out.write("\n")
            self.at_line_start = True
        self.out.flush()

    def finish(self) -> None:
        self._end_thinking()
        self.newline()
        if self.err.isatty():
            for suggestion in self.suggestions:
                self.err.write(f"Suggested: {safe(suggestion, self.err)}\n")
            self.err.flush()
        if self.meter is not None:
            self.meter.done()


def ask_conversation(
    bot: str,
    prompt: str,
    transport: Transport,
    parameters: dict[str, Any],
    files: Sequence[LocalFile],
) -> Conversation:
    """A conversation of one prompt, sent as the app would send it."""
    conversation = Conversation(bot=bot, transport=transport.value, parameters=parameters)
    message = conversation.add_user_message(prompt)
    message.attachments = [MessageFile.from_local(f) for f in files]
    return conversation


def keep_prompt(store: SqliteStore, conversation: Conversation, files: Sequence[LocalFile]) -> None:
    """The prompt is committed (with copies of its files) before it is sent."""
    prompt = conversation.messages[-1]
    store.save_user_message(
        conversation,
        prompt,
        transport=conversation.transport,
        parameters=conversation.parameters,
        attachments=stored_refs(store, files),
    )


async def run_ask(
    client: PoeClient,
    bot: str,
    prompt: str,
    *,
    stream: bool,
    transport: Transport = Transport.NATIVE,
    params: Mapping[str, str] | None = None,
    show_thinking: bool = False,
    store: SqliteStore | None = None,
    attach: AttachOptions | None = None,
) -> None:
    """Ask once, through the same turn runner as the app; with a `store`, the exchange is
    kept in the history (each part saved before it is printed)."""
    attach = attach or AttachOptions()
    parameters = await resolve_parameters(client, bot, params or {}, transport)
    files = await check_attachments(
        client, bot, attach.paths, max_bytes=attach.max_bytes, anyway=attach.anyway
    )
    conversation = ask_conversation(bot, prompt, transport, parameters, files)
    sink: TurnSink = NullSink()
    if store is not None:
        keep_prompt(store, conversation, files)
        sink = TurnLog(store)
    uploader = client.uploader(attach.upload_url) if files else None
    runner = TurnRunner(client, sink, uploader=uploader)
    meter = UploadMeter(files, sys.stderr) if files else None
    printer = ReplyPrinter(sys.stdout, sys.stderr, show_thinking=show_thinking, meter=meter)
    turn = Turn.for_reply(conversation, conversation.start_reply())
    try:
        await runner.run(turn, printer, stream=stream)
    finally:
        printer.finish()
    if turn.failure is not None:
        raise turn.failure

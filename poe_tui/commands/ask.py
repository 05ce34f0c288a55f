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
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from poe_tui.commands.attach import check_attachments, stored_refs, with_attachments
from poe_tui.commands.output import CommandError, safe
from poe_tui.core.client import PoeClient
from poe_tui.core.conversation import Conversation, MessageStatus
from poe_tui.core.errors import PoeError
from poe_tui.core.events import (
    Done,
    FileOutput,
    ReplaceResponse,
    Retrying,
    StreamEvent,
    StreamFailed,
    SuggestedReply,
    TextDelta,
    ThinkingDelta,
    Throttled,
    Usage,
)
from poe_tui.core.files import LocalFile
from poe_tui.core.messages import ChatMessage
from poe_tui.core.parameters import guess_parameters, validate_parameters
from poe_tui.core.retry import wait_notice
from poe_tui.core.transport import Transport
from poe_tui.store import SqliteStore

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
    the list to tell which bots it serves."""
    if not raw and transport is not Transport.ANTHROPIC:
        return {}
    with contextlib.suppress(PoeError):  # no catalogue: guess, and let the chat report it
        await client.list_models()
    model = client.known_model(bot)
    if model is None:
        return guess_parameters(raw)
    return validate_parameters(model, raw)


class ReplyPrinter:
    """Writes stream events to stdout/stderr and keeps lines tidy between them."""

    def __init__(self, out: TextIO, err: TextIO, *, show_thinking: bool) -> None:
        self.out = out
        self.err = err
        self.show_thinking = show_thinking
        self.at_line_start = True
        self.thinking_open = False
        self.suggestions: list[str] = []

    def text(self, text: str) -> None:
        self._end_thinking()
        self.out.write(safe(text, self.out))
        self.out.flush()
        if text:
            self.at_line_start = text.endswith("\n")

    def replace(self, text: str) -> None:
        self.newline()
        self.text(f"{REPLACED_MARK}\n{text}")

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


class ReplyLog:
    """Keeps an `ask` exchange in the conversation history the app shares.

    The prompt is committed before it is sent and the reply is written in batches as it
    streams, so an interrupted `ask` leaves its partial reply behind, marked.
    """

    def __init__(
        self,
        store: SqliteStore,
        bot: str,
        prompt: str,
        transport: Transport,
        parameters: dict[str, Any],
        files: Sequence[LocalFile] = (),
    ) -> None:
        conversation = Conversation(bot=bot)
        prompt_message = conversation.add_user_message(prompt)
        store.save_user_message(
            conversation,
            prompt_message,
            transport=transport.value,
            parameters=parameters,
            attachments=stored_refs(store, files),
        )
        self.reply = conversation.start_reply()
        self.writer = store.reply_writer(
            conversation, self.reply, transport=transport.value, parameters=parameters
        )

    def record(self, event: StreamEvent) -> None:
        match event:
            case TextDelta(text):
                self.writer.append(text)
            case ReplaceResponse(text):
                self.writer.replace(text)
            case ThinkingDelta(text):
                self.reply.thinking += text
            case SuggestedReply(text):
                self.reply.suggested_replies.append(text)
            case Usage():
                self.reply.prompt_tokens = event.prompt_tokens
                self.reply.completion_tokens = event.completion_tokens
            case StreamFailed(error):
                self.reply.error_title = error.title
                self.reply.error_message = error.message
                self.reply.error_retryable = error.retryable
                self.writer.finish(MessageStatus.FAILED)
            case Done():
                self.writer.finish(MessageStatus.COMPLETE)


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
    """Ask once; with a `store`, the exchange is kept in the history."""
    attach = attach or AttachOptions()
    parameters = await resolve_parameters(client, bot, params or {}, transport)
    files = await check_attachments(
        client, bot, attach.paths, max_bytes=attach.max_bytes, anyway=attach.anyway
    )
    messages = await with_attachments(
        client, [ChatMessage("user", prompt)], files, transport, attach.upload_url
    )
    log = ReplyLog(store, bot, prompt, transport, parameters, files) if store else None
    if log is None:
        await _ask(client, bot, messages, stream, transport, parameters, show_thinking, None)
        return
    with log.writer:  # an escaping error or Ctrl-C marks the reply failed or stopped
        await _ask(client, bot, messages, stream, transport, parameters, show_thinking, log)


async def _ask(
    client: PoeClient,
    bot: str,
    messages: list[ChatMessage],
    stream: bool,
    transport: Transport,
    parameters: dict[str, Any],
    show_thinking: bool,
    log: ReplyLog | None,
) -> None:
    printer = ReplyPrinter(sys.stdout, sys.stderr, show_thinking=show_thinking)
    if not stream:
        events = _whole_reply(client, bot, messages, parameters, transport, printer.wait)
    else:
        events = client.stream_chat(bot, messages, parameters=parameters, transport=transport)
    async for event in events:
        if log is not None:
            log.record(event)
        match event:
            case TextDelta(text):
                printer.text(text)
            case ReplaceResponse(text):
                printer.replace(text)
            case ThinkingDelta(text):
                printer.thinking(text)
            case SuggestedReply(text):
                printer.suggestions.append(text)
            case FileOutput(url=url, name=name):
                printer.file(name, url)
            case Retrying() | Throttled():
                printer.wait(event)
            case StreamFailed(error):
                printer.newline()
                raise error
            case Done():
                printer.finish()


async def _whole_reply(
    client: PoeClient,
    bot: str,
    messages: list[ChatMessage],
    parameters: dict[str, Any],
    transport: Transport,
    on_wait: Callable[[Retrying | Throttled], None],
) -> AsyncIterator[StreamEvent]:
    """The `--no-stream` reply as the events a stream would have given, so both paths
    print and record alike."""
    try:
        reply = await client.chat(
            bot, messages, parameters=parameters, transport=transport, on_wait=on_wait
        )
    except PoeError as error:
        yield StreamFailed(error)
        return
    if reply.thinking:
        yield ThinkingDelta(reply.thinking)
    yield TextDelta(reply.text)
    for file in reply.files:
        yield FileOutput(url=file.url, content_type=file.content_type, name=file.name)
    for suggestion in reply.suggested_replies:
        yield SuggestedReply(suggestion)
    if reply.total_tokens is not None:
        yield Usage(reply.prompt_tokens or 0, reply.completion_tokens or 0, reply.total_tokens)
    yield Done(reply.finish_reason)

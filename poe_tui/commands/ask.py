"""`poe-tui ask`: one prompt, the reply on stdout as it arrives."""

from __future__ import annotations

import argparse
import sys

from poe_tui.commands.output import CommandError, safe
from poe_tui.core.client import PoeClient
from poe_tui.core.events import Done, StreamFailed, TextDelta
from poe_tui.core.messages import ChatMessage


def read_prompt(args: argparse.Namespace) -> str:
    if args.prompt:
        return " ".join(args.prompt)
    if not sys.stdin.isatty():
        text = sys.stdin.read()
        if text.strip():
            return text
    raise CommandError("No prompt given. Pass it as an argument or pipe it on stdin.", 2)


async def run_ask(client: PoeClient, bot: str, prompt: str, *, stream: bool) -> None:
    messages = [ChatMessage("user", prompt)]
    out = sys.stdout
    if not stream:
        reply = await client.chat(bot, messages)
        out.write(safe(reply.text, out))
        out.write("\n")
        out.flush()
        return
    wrote_any = False
    ended_with_newline = True
    async for event in client.stream_chat(bot, messages):
        match event:
            case TextDelta(text):
                out.write(safe(text, out))
                out.flush()
                wrote_any = True
                ended_with_newline = text.endswith("\n")
            case StreamFailed(error):
                if wrote_any and not ended_with_newline:
                    out.write("\n")
                out.flush()
                raise error
            case Done():
                if not ended_with_newline:
                    out.write("\n")
                out.flush()
